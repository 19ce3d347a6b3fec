-- The figures `make run` prints (scripts/overview.py runs them one by one, split on the
-- `-- name:` lines). Each one pastes into the DuckDB shell after
--   LOAD 'build/release/claude_usage.duckdb_extension';
--   SET VARIABLE sessions = '~/.claude/projects/**/*.jsonl';
-- Days are in DuckDB's TimeZone setting; the block times are UTC.

-- name: Cost per day (USD), the 30 days up to the newest request in the data
WITH days AS (
    SELECT period AS day, sum(requests) AS requests, sum(cost_usd) AS usd,
           sum(unpriced_tokens) AS unpriced_tokens
    FROM claude_usage.daily(getvariable('sessions')) GROUP BY ALL),
calendar AS (
    SELECT unnest(generate_series(max(day) - 29, max(day), INTERVAL 1 DAY))::DATE AS day FROM days)
SELECT strftime(day, '%a %Y-%m-%d') AS day, coalesce(requests, 0)::BIGINT AS requests,
       coalesce(usd, 0)::DECIMAL(9, 2) AS usd,
       bar(coalesce(usd, 0), 0, greatest(max(usd) OVER (), 0.01), 40) AS chart,
       CASE WHEN unpriced_tokens > 0 THEN '+ unpriced' ELSE '' END AS note
FROM calendar LEFT JOIN days USING (day) ORDER BY calendar.day;

-- name: Cost by project (top 10)
SELECT project, count(DISTINCT session_id) AS sessions, count(*) AS requests,
       max(occurred_at)::DATE AS last_used, sum(cost_usd)::DECIMAL(12, 2) AS usd,
       round(100 * sum(cost_usd) / sum(sum(cost_usd)) OVER (), 1) AS pct,
       sum(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens)
           FILTER (cost_usd IS NULL)::BIGINT AS unpriced_tokens
FROM read_claude_usage(getvariable('sessions'))
GROUP BY ALL ORDER BY sum(cost_usd) DESC NULLS LAST, project LIMIT 10;

-- name: Cost by model (top 10; a model without a price shows its tokens, not $0)
SELECT model, coalesce(priced_as, 'no price') AS priced_as, count(*) AS requests,
       sum(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens)::BIGINT AS tokens,
       sum(cost_usd)::DECIMAL(12, 2) AS usd,
       round(100 * sum(cost_usd) / sum(sum(cost_usd)) OVER (), 1) AS pct
FROM read_claude_usage(getvariable('sessions'))
WHERE model IS DISTINCT FROM '<synthetic>'
GROUP BY ALL ORDER BY sum(cost_usd) DESC NULLS LAST, tokens DESC LIMIT 10;

-- name: Share of cost spent by subagents: overall, and the 5 sessions where they spent most
WITH s AS (SELECT * FROM claude_usage.sessions(getvariable('sessions'))),
rows AS (
    SELECT 0 AS k, 'all ' || count(*) || ' sessions' AS session, NULL AS project, NULL AS day,
           sum(cost_usd) AS usd, sum(subagent_cost_usd) AS subagent_usd FROM s
    UNION ALL
    (SELECT 1, session_id[:8], project, first_activity::DATE, cost_usd, subagent_cost_usd
     FROM s WHERE subagent_cost_usd > 0 ORDER BY subagent_cost_usd DESC LIMIT 5))
SELECT session, project, day, usd::DECIMAL(12, 2) AS usd, subagent_usd::DECIMAL(12, 2) AS subagent_usd,
       round(100 * subagent_usd / nullif(usd, 0), 1) AS subagent_pct
FROM rows ORDER BY k, subagent_usd DESC;

-- name: The current 5-hour block and its projection (UTC; when none is active, the last block)
SELECT CASE WHEN is_active THEN 'active' ELSE 'none active: this is the last block' END AS status,
       block_start, block_end, date_trunc('second', last_activity) AS last_activity, requests,
       total_tokens, cost_usd::DECIMAL(12, 2) AS usd, cost_per_hour::DECIMAL(12, 2) AS usd_per_hour,
       projected_cost_usd AS projected_usd,
       CASE WHEN is_active THEN date_trunc('minute', block_end - timezone('UTC', now())) END AS time_left,
       array_to_string(models, ', ') AS models
FROM claude_usage.blocks(getvariable('sessions'))
WHERE NOT is_gap ORDER BY block_start DESC LIMIT 1;

-- name: Top tools and their error rates (top 15 by calls)
SELECT tool_name AS tool, count(*) AS calls, count(*) FILTER (is_error) AS errors,
       round(100 * avg(is_error::INT), 1) AS error_pct,
       bar(100 * avg(is_error::INT), 0, 100, 20) AS errors_chart
FROM read_claude_session(getvariable('sessions'))
WHERE tool_name IS NOT NULL GROUP BY ALL ORDER BY calls DESC, tool LIMIT 15;

-- name: Totals
SELECT count(DISTINCT session_id) AS sessions, count(*) AS files, sum(user_messages)::BIGINT AS user_messages,
       sum(tool_calls + subagent_dispatches + mcp_calls)::BIGINT AS tool_calls,
       sum(tool_errors)::BIGINT AS tool_errors,
       round(sum(active_seconds) / 3600, 1) AS active_hours,
       (SELECT sum(cost_usd)::DECIMAL(12, 2) FROM read_claude_usage(getvariable('sessions'))) AS usd,
       sum(input_tokens_dedup + cache_read_tokens_dedup + cache_creation_tokens_dedup)::BIGINT
           AS input_tokens_incl_cache,
       sum(output_tokens_dedup)::BIGINT AS output_tokens,
       date_trunc('second', min(started_at)) AS first_activity,
       date_trunc('second', max(ended_at)) AS last_activity
FROM session_summary(getvariable('sessions'));
