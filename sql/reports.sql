-- Usage reports, created at LOAD after macros.sql, in the in-memory catalog claude_usage.
--
-- Each report is written once, over a table name (query_table: a table, a view or a CTE) with
-- the columns of read_claude_usage: usage_rollup, usage_sessions, usage_blocks. The server
-- runs them over its stored usage_requests table. The path-based reports (daily, weekly,
-- monthly, sessions, blocks) name read_claude_usage(path) in a CTE and hand the CTE's name to
-- the same macro: a DuckDB macro cannot take a relation as an argument, but query_table in the
-- inner macro resolves the outer query's CTE, and projection still reaches the scan.
--
-- Rows with kept = false (duplicates that dedup := false lists) are left out everywhere.
-- cost_usd sums the priced rows (0 when none is priced); unpriced_tokens counts the tokens
-- (input + output + cache writes + cache reads) of rows without a price.

-- The totals of the kept rows of `rows` (a table name with read_claude_usage's counters and
-- cost_usd) per the columns named in `keys` (in the table's column order): requests, the six
-- token counts, web searches, cost_usd and unpriced_tokens. What every cost report sums with
-- (here, and the subagent and plugin reports of attribution.sql).
CREATE OR REPLACE MACRO claude_usage.usage_totals(rows, keys) AS TABLE
SELECT
    COLUMNS(lambda c: list_contains(keys, c)),
    count(*) AS requests,
    claude_usage.token_sum(input_tokens) AS input_tokens,
    claude_usage.token_sum(output_tokens) AS output_tokens,
    claude_usage.token_sum(cache_creation_tokens) AS cache_creation_tokens,
    claude_usage.token_sum(cache_creation_5m_tokens) AS cache_creation_5m_tokens,
    claude_usage.token_sum(cache_creation_1h_tokens) AS cache_creation_1h_tokens,
    claude_usage.token_sum(cache_read_tokens) AS cache_read_tokens,
    claude_usage.token_sum(web_search_requests) AS web_search_requests,
    coalesce(sum(cost_usd), 0.0) AS cost_usd,
    claude_usage.token_sum(CASE WHEN cost_usd IS NULL
        THEN claude_usage.row_tokens(input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens) END) AS unpriced_tokens
FROM query_table(rows)
WHERE kept IS NOT false
GROUP BY ALL;

-- One row per period, project and model. period: 'day' (the day), 'week' (its Monday),
-- 'month' (its first day), or any other date_trunc part of a day or more; the day is
-- occurred_at (UTC) seen in DuckDB's TimeZone setting.
CREATE OR REPLACE MACRO claude_usage.usage_rollup(usage_table, period := 'day') AS TABLE
WITH cu_periods AS (
    SELECT CAST(date_trunc(period, CAST(timezone('UTC', occurred_at) AS DATE)) AS DATE) AS period, *
    FROM query_table(usage_table))
SELECT * FROM claude_usage.usage_totals('cu_periods', ['period', 'project', 'model'])
ORDER BY 1, 2 NULLS FIRST, 3 NULLS FIRST;

-- One row per session_id, main thread and subagents together. project: the main thread's
-- project at its first request (a session of subagent rows only: theirs). models: the models
-- used, sorted. subagent_cost_share: subagent_cost_usd / cost_usd (NULL when cost_usd is 0).
CREATE OR REPLACE MACRO claude_usage.usage_sessions(usage_table) AS TABLE
WITH
    cu_totals AS (SELECT * FROM claude_usage.usage_totals(usage_table, ['session_id'])),
    cu_more AS (
        SELECT
            session_id,
            coalesce(arg_min(project, occurred_at) FILTER (WHERE agent_id IS NULL), arg_min(project, occurred_at))
                AS project,
            min(occurred_at) AS first_activity,
            max(occurred_at) AS last_activity,
            count(*) FILTER (WHERE agent_id IS NOT NULL) AS subagent_requests,
            coalesce(sum(cost_usd) FILTER (WHERE agent_id IS NOT NULL), 0.0) AS subagent_cost_usd,
            coalesce(list(DISTINCT model ORDER BY model) FILTER (WHERE model IS NOT NULL), []) AS models
        FROM query_table(usage_table)
        WHERE kept IS NOT false
        GROUP BY session_id)
SELECT
    t.session_id, m.project, m.first_activity, m.last_activity, t.requests, m.subagent_requests,
    t.input_tokens, t.output_tokens, t.cache_creation_tokens, t.cache_creation_5m_tokens,
    t.cache_creation_1h_tokens, t.cache_read_tokens, t.web_search_requests, t.cost_usd,
    m.subagent_cost_usd, m.subagent_cost_usd / nullif(t.cost_usd, 0.0) AS subagent_cost_share,
    t.unpriced_tokens, m.models
FROM cu_totals AS t
JOIN cu_more AS m ON m.session_id IS NOT DISTINCT FROM t.session_id
ORDER BY m.first_activity, t.session_id;

-- Billing blocks over all rows of usage_table (one account), as ccusage's `blocks`: the block
-- starts come from claude_block_starts (floor to the UTC hour; a request more than `hours` after
-- the block start or after the previous request opens a new block); a request belongs to the
-- last block whose first_activity is at or before it. A gap row (is_gap) runs from the
-- previous request + hours to the first request of a block opened more than `hours` after the
-- previous request. is_active: now is before block_end and less than `hours` after the last
-- request. tokens_per_minute and cost_per_hour: total_tokens and cost_usd over the minutes from
-- the first to the last request (NULL when they are equal). projected_cost_usd (active block
-- only): cost_usd + cost_per_hour over the minutes left until block_end (rounded to whole
-- minutes), rounded to cents. models: in order of first use, without '<synthetic>'.
-- hours NULL means 5.
CREATE OR REPLACE MACRO claude_usage.usage_blocks(usage_table, hours := 5) AS TABLE
WITH
    cu_requests AS (
        SELECT occurred_at, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd
        FROM query_table(usage_table)
        WHERE kept IS NOT false AND occurred_at IS NOT NULL),
    cu_length AS (
        -- ccusage's length: hours in whole milliseconds; now as a UTC TIMESTAMP
        SELECT to_microseconds(CAST(trunc(coalesce(CAST(hours AS DOUBLE), 5.0) * 3600000) AS BIGINT) * 1000) AS len,
               timezone('UTC', current_timestamp) AS now),
    cu_starts AS (
        SELECT unnest(claude_block_starts(occurred_at, coalesce(CAST(hours AS DOUBLE), 5.0)), recursive := true) FROM cu_requests),
    cu_assigned AS (
        SELECT s.first_activity AS block_first, r.*
        FROM cu_requests AS r ASOF JOIN cu_starts AS s ON r.occurred_at >= s.first_activity),
    cu_models AS (
        SELECT block_first, list(model ORDER BY first_use, model) AS models
        FROM (SELECT block_first, model, min(occurred_at) AS first_use
              FROM cu_assigned WHERE model IS NOT NULL AND model <> '<synthetic>' GROUP BY ALL)
        GROUP BY block_first),
    cu_sums AS (
        SELECT
            block_first,
            max(occurred_at) AS last_activity,
            count(*) AS requests,
            claude_usage.token_sum(input_tokens) AS input_tokens,
            claude_usage.token_sum(output_tokens) AS output_tokens,
            claude_usage.token_sum(cache_creation_tokens) AS cache_creation_tokens,
            claude_usage.token_sum(cache_read_tokens) AS cache_read_tokens,
            coalesce(sum(cost_usd), 0.0) AS cost_usd
        FROM cu_assigned GROUP BY block_first),
    cu_blocks AS (
        SELECT
            s.block_start, s.block_start + l.len AS block_end, s.first_activity, m.last_activity,
            s.after_gap,
            lag(m.last_activity) OVER (ORDER BY s.first_activity) + l.len AS gap_start,
            m.requests, m.input_tokens, m.output_tokens, m.cache_creation_tokens, m.cache_read_tokens,
            CAST(least(claude_usage.row_tokens(m.input_tokens, m.output_tokens, m.cache_creation_tokens, m.cache_read_tokens), 9223372036854775807) AS BIGINT) AS total_tokens,
            m.cost_usd,
            coalesce(md.models, []) AS models,
            l.now < s.block_start + l.len AND l.now - m.last_activity < l.len AS is_active,
            nullif(epoch_us(m.last_activity) - epoch_us(s.first_activity), 0) / 60000000.0 AS minutes,
            round((epoch_ms(s.block_start + l.len) - epoch_ms(l.now)) / 60000.0) AS minutes_left
        FROM cu_starts AS s
        JOIN cu_sums AS m ON m.block_first = s.first_activity
        LEFT JOIN cu_models AS md ON md.block_first = s.first_activity
        CROSS JOIN cu_length AS l)
SELECT
    block_start, block_end, first_activity, last_activity, false AS is_gap, is_active, requests,
    input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, total_tokens, cost_usd, models,
    total_tokens / minutes AS tokens_per_minute,
    cost_usd / minutes * 60 AS cost_per_hour,
    CASE WHEN is_active AND minutes IS NOT NULL
         THEN round(cost_usd + cost_usd / minutes * 60 / 60 * minutes_left, 2) END AS projected_cost_usd
FROM cu_blocks
UNION ALL
SELECT
    gap_start, first_activity, NULL, NULL, true, false, 0,
    0, 0, 0, 0, 0, 0.0, [], NULL, NULL, NULL
FROM cu_blocks WHERE after_gap
ORDER BY block_start, is_gap DESC, first_activity NULLS FIRST;
