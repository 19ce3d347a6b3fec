-- Usage attribution: which Task/Agent call (and so which subagent type and plugin) each API
-- request of read_claude_usage belongs to, and daily cost reports over the result. Loaded at
-- LOAD after macros.sql, reports.sql and reports_paths.sql (src/lib.rs), into the same
-- in-memory catalog claude_usage. Table arguments
-- are table names (query_table), so a table, a view or a CTE works.

-- The requests of `usage` (read_claude_usage columns; needs session_id, agent_id, occurred_at)
-- with spawned_by_tool_id, root_tool_id, subagent_type, source, ref_id added (columns of those
-- names already in `usage` are replaced). Every row of `usage` comes out exactly once.
--
-- `events` (read_claude_session columns; needs session_id, tool_id, event_type, agent_id,
-- spawned_agent_id, occurred_at, skill_name, subagent_type, command_name) gives the spawning
-- calls: its `subagent` events with a spawned_agent_id. Copies of one call (the same
-- session_id and tool_id in several rows) count once: the earliest row.
--
-- Matching. A request with an agent_id is matched to the calls of the same session_id whose
-- spawned_agent_id is that agent_id. One call: that call. Several (an agent resumed by a
-- later Task call names the same agent): the latest call made at or before the request's
-- occurred_at, else (the request is earlier than every call, or has no time) the earliest
-- call; calls at the same instant: the smallest tool_id. No call: NULL spawner.
--
-- root_tool_id: the spawning call's own agent_id is matched the same way (at the call's
-- occurred_at) to the call that started that agent, and so on up to a call made on the main
-- thread (agent_id NULL); for a direct child it is spawned_by_tool_id. When the chain does
-- not reach the main thread (a spawner missing from the data, a cycle, or more than 100
-- calls deep) root_tool_id is NULL while spawned_by_tool_id stays.
--
-- subagent_type, source, ref_id: those of the spawning call (not of the root call), by the
-- rules of attribute_events: skill_name in `skills`, else subagent_type in `agents`, else
-- command_name in `commands`, else ('builtin', NULL); within one table the first source
-- ascending ('curated' before 'flea'), then the smallest ref_id. Main-thread requests and
-- agents without a spawner in the data: spawned_by_tool_id, root_tool_id and subagent_type
-- NULL, ('builtin', NULL).
CREATE OR REPLACE MACRO claude_usage.attribute_usage(
    usage,
    events := 'usage_events',
    skills := 'usage_attribution_skills',
    agents := 'usage_attribution_agents',
    commands := 'usage_attribution_commands'
) AS TABLE
WITH RECURSIVE
    cu_usage AS (
        SELECT COLUMNS(lambda c: c NOT IN ('spawned_by_tool_id', 'root_tool_id', 'subagent_type', 'source', 'ref_id'))
        FROM query_table(usage)),
    -- one row per spawning call, attributed by attribute_events' rules
    cu_calls AS (
        SELECT DISTINCT ON (session_id, tool_id)
            session_id, tool_id, spawned_agent_id, agent_id, occurred_at, subagent_type, source, ref_id
        FROM claude_usage.attribute_events(events, skills := skills, agents := agents, commands := commands)
        WHERE event_type = 'subagent' AND spawned_agent_id IS NOT NULL AND tool_id IS NOT NULL
          AND session_id IS NOT NULL
        ORDER BY session_id, tool_id, occurred_at NULLS LAST, spawned_agent_id, agent_id NULLS FIRST,
                 subagent_type NULLS LAST, skill_name NULLS LAST, command_name NULLS LAST),
    -- the calls that can start an agent at an instant: at most one per (session, agent, time)
    cu_starts AS (
        SELECT DISTINCT ON (session_id, spawned_agent_id, occurred_at) session_id, spawned_agent_id, occurred_at, tool_id
        FROM cu_calls
        ORDER BY session_id, spawned_agent_id, occurred_at, tool_id),
    cu_first AS (
        SELECT DISTINCT ON (session_id, spawned_agent_id) session_id, spawned_agent_id, tool_id
        FROM cu_starts
        ORDER BY session_id, spawned_agent_id, occurred_at NULLS LAST, tool_id),
    -- every (session, agent, time) to resolve: the requests' and the calls made inside agents
    cu_points AS (
        SELECT DISTINCT session_id, agent_id, occurred_at FROM cu_usage
        WHERE agent_id IS NOT NULL AND session_id IS NOT NULL
        UNION
        SELECT session_id, agent_id, occurred_at FROM cu_calls WHERE agent_id IS NOT NULL),
    -- (session, agent, time) -> the call that started the agent then
    cu_spawner AS (
        SELECT p.session_id, p.agent_id, p.occurred_at, coalesce(s.tool_id, f.tool_id) AS tool_id
        FROM cu_points AS p
        ASOF LEFT JOIN cu_starts AS s
            ON s.session_id = p.session_id AND s.spawned_agent_id = p.agent_id AND s.occurred_at <= p.occurred_at
        LEFT JOIN cu_first AS f ON f.session_id = p.session_id AND f.spawned_agent_id = p.agent_id),
    -- from each call up its chain of spawners; the row whose call is on the main thread is the root
    cu_chain AS (
        SELECT session_id, tool_id AS start_tool_id, tool_id, agent_id, occurred_at, 0 AS depth, [tool_id] AS path
        FROM cu_calls
        UNION ALL
        SELECT c.session_id, c.start_tool_id, up.tool_id, up.agent_id, up.occurred_at, c.depth + 1, list_append(c.path, up.tool_id)
        FROM cu_chain AS c
        JOIN cu_spawner AS sp
            ON sp.session_id = c.session_id AND sp.agent_id = c.agent_id AND sp.occurred_at IS NOT DISTINCT FROM c.occurred_at
        JOIN cu_calls AS up ON up.session_id = sp.session_id AND up.tool_id = sp.tool_id
        WHERE c.agent_id IS NOT NULL AND c.depth < 100 AND NOT list_contains(c.path, up.tool_id)),
    cu_roots AS (
        SELECT DISTINCT ON (session_id, start_tool_id) session_id, start_tool_id, tool_id AS root_tool_id
        FROM cu_chain WHERE agent_id IS NULL
        ORDER BY session_id, start_tool_id, depth)
SELECT
    u.*,
    c.tool_id AS spawned_by_tool_id,
    r.root_tool_id,
    c.subagent_type,
    coalesce(c.source, 'builtin') AS source,
    c.ref_id
FROM cu_usage AS u
LEFT JOIN cu_spawner AS sp
    ON sp.session_id = u.session_id AND sp.agent_id = u.agent_id AND sp.occurred_at IS NOT DISTINCT FROM u.occurred_at
LEFT JOIN cu_calls AS c ON c.session_id = sp.session_id AND c.tool_id = sp.tool_id
LEFT JOIN cu_roots AS r ON r.session_id = c.session_id AND r.start_tool_id = c.tool_id;

-- Daily cost per subagent type of an attributed usage table (attribute_usage's output; needs
-- occurred_at, kept, subagent_type, the token columns and cost_usd): UTC days from since_day
-- on (all days when NULL). Only rows with kept (read_claude_usage(..., dedup := false) keeps
-- every line and flags the one that counts; the de-duplicated output is all kept; a NULL kept
-- counts, as in the reports), so a
-- request counts once. Main-thread requests and agents without a spawner: subagent_type NULL.
-- cost_usd sums the priced requests (0 when none); unpriced_tokens: input + output +
-- cache_creation + cache_read of the requests without a price (cost_usd NULL). Token sums
-- saturate at the BIGINT maximum, as the summaries' do.
CREATE OR REPLACE MACRO claude_usage.subagent_cost_daily(attributed, since_day := NULL) AS TABLE
WITH cu_days AS (
    SELECT CAST(occurred_at AS DATE) AS day, * FROM query_table(attributed)
    WHERE since_day IS NULL OR CAST(occurred_at AS DATE) >= CAST(since_day AS DATE))
SELECT * EXCLUDE (web_search_requests) FROM claude_usage.usage_totals('cu_days', ['day', 'subagent_type']);

-- Daily cost per plugin (source, ref_id) of an attributed usage table, same rules as
-- subagent_cost_daily; everything not attributed to a plugin is ('builtin', NULL).
CREATE OR REPLACE MACRO claude_usage.plugin_cost_daily(attributed, since_day := NULL) AS TABLE
WITH cu_days AS (
    SELECT CAST(occurred_at AS DATE) AS day, * FROM query_table(attributed)
    WHERE since_day IS NULL OR CAST(occurred_at AS DATE) >= CAST(since_day AS DATE))
SELECT * EXCLUDE (web_search_requests) FROM claude_usage.usage_totals('cu_days', ['day', 'source', 'ref_id']);
