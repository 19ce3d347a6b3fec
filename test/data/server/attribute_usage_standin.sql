-- A stand-in for claude_usage.attribute_usage (branch attrib) until it is on main: created only
-- when the extension has none. A request line of a subagent (agent_id) is attributed to the
-- Task/Agent call of its session that spawned it (usage_events.spawned_agent_id): that call's
-- tool_id, subagent_type, source and ref_id; every other line gets NULLs.
CREATE MACRO IF NOT EXISTS claude_usage.attribute_usage(
    usage,
    events := 'usage_events',
    skills := 'usage_attribution_skills',
    agents := 'usage_attribution_agents',
    commands := 'usage_attribution_commands'
) AS TABLE
SELECT u.*, e.tool_id AS spawned_by_tool_id, e.tool_id AS root_tool_id, e.subagent_type, e.source, e.ref_id
FROM query_table(usage) AS u
LEFT JOIN (
    SELECT DISTINCT ON (session_id, spawned_agent_id) session_id, spawned_agent_id, tool_id, subagent_type, source, ref_id
    FROM query_table(events) WHERE spawned_agent_id IS NOT NULL
    ORDER BY session_id, spawned_agent_id, occurred_at, tool_id) AS e
  ON e.session_id = u.session_id AND e.spawned_agent_id = u.agent_id;
