-- Macros created at LOAD, in an in-memory catalog named claude_usage: callable from every
-- connection and cursor of the database instance (claude_usage.<macro>(...)), never written
-- into the user's database file, and possible even when that database is read-only.
-- Table arguments are table names (query_table), so a table, a view or a CTE works.

ATTACH IF NOT EXISTS ':memory:' AS claude_usage (READ_WRITE);

-- The sum of a token count as BIGINT, for the reports: 0 over no rows, and at most the BIGINT
-- maximum (hostile counts saturate, as the summaries' sums do, instead of failing the query).
CREATE OR REPLACE MACRO claude_usage.token_sum(x) AS
    CAST(least(coalesce(sum(x), 0), 9223372036854775807) AS BIGINT);

-- input + output + cache writes + cache reads of a row (HUGEINT: no overflow), NULLs as 0.
CREATE OR REPLACE MACRO claude_usage.row_tokens(i, o, w, r) AS
    CAST(coalesce(i, 0) AS HUGEINT) + coalesce(o, 0) + coalesce(w, 0) + coalesce(r, 0);

-- The events of `events` with (source, ref_id) added, by the reference's order: skill_name
-- found in `skills`, else subagent_type in `agents`, else command_name in `commands`, else
-- ('builtin', NULL). Within one table 'curated' beats 'flea' (the first source ascending;
-- then the smallest ref_id, so that duplicates cannot multiply or reorder events). Columns
-- named source / ref_id already in `events` are replaced.
CREATE OR REPLACE MACRO claude_usage.attribute_events(
    events,
    skills := 'usage_attribution_skills',
    agents := 'usage_attribution_agents',
    commands := 'usage_attribution_commands'
) AS TABLE
WITH
    cu_events AS (SELECT COLUMNS(lambda c: c NOT IN ('source', 'ref_id')) FROM query_table(events)),
    cu_skills AS (
        SELECT DISTINCT ON (skill_name) skill_name AS name, source, ref_id
        FROM query_table(skills) ORDER BY skill_name, source, ref_id),
    cu_agents AS (
        SELECT DISTINCT ON (agent_name) agent_name AS name, source, ref_id
        FROM query_table(agents) ORDER BY agent_name, source, ref_id),
    cu_commands AS (
        SELECT DISTINCT ON (command_name) command_name AS name, source, ref_id
        FROM query_table(commands) ORDER BY command_name, source, ref_id)
SELECT
    e.*,
    CASE
        WHEN s.name IS NOT NULL THEN s.source
        WHEN a.name IS NOT NULL THEN a.source
        WHEN c.name IS NOT NULL THEN c.source
        ELSE 'builtin'
    END AS source,
    CASE
        WHEN s.name IS NOT NULL THEN s.ref_id
        WHEN a.name IS NOT NULL THEN a.ref_id
        WHEN c.name IS NOT NULL THEN c.ref_id
    END AS ref_id
FROM cu_events AS e
LEFT JOIN cu_skills AS s ON s.name = e.skill_name
LEFT JOIN cu_agents AS a ON a.name = e.subagent_type
LEFT JOIN cu_commands AS c ON c.name = e.command_name;

-- Daily tool rollup of an attributed events table (needs username, session_id, tool_name,
-- source, is_error, occurred_at), as the reference's rebuild_rollups computes it: UTC days
-- from since_day on (all days when NULL); events without tool_name are left out.
CREATE OR REPLACE MACRO claude_usage.tool_daily(events, since_day := NULL) AS TABLE
SELECT
    CAST(occurred_at AS DATE) AS day,
    tool_name,
    source,
    count(*) AS invocations,
    CAST(sum(CASE WHEN is_error THEN 1 ELSE 0 END) AS BIGINT) AS error_count,
    count(DISTINCT username) AS distinct_users,
    count(DISTINCT session_id) AS distinct_sessions
FROM query_table(events)
WHERE (since_day IS NULL OR CAST(occurred_at AS DATE) >= CAST(since_day AS DATE))
  AND tool_name IS NOT NULL
GROUP BY ALL;

-- Daily plugin rollup: curated / flea events with a ref_id, per UTC day.
CREATE OR REPLACE MACRO claude_usage.plugin_daily(events, since_day := NULL) AS TABLE
SELECT
    CAST(occurred_at AS DATE) AS day,
    source,
    ref_id,
    count(*) AS invocations,
    count(DISTINCT username) AS distinct_users,
    count(DISTINCT session_id) AS distinct_sessions
FROM query_table(events)
WHERE (since_day IS NULL OR CAST(occurred_at AS DATE) >= CAST(since_day AS DATE))
  AND ref_id IS NOT NULL
  AND source IN ('curated', 'flea')
GROUP BY ALL;
