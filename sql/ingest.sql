-- Incremental ingest of Claude Code sessions into the tables of sql/schema.sql.
--
--   SET VARIABLE claude_sessions = '/srv/claude/**/*.jsonl';  -- the glob (required)
--   SET VARIABLE claude_username = 'alice';        -- NULL: first directory below the glob's root
--   SET VARIABLE claude_since_day = DATE '2026-05-01';  -- NULL: today (UTC) minus 7 days
--   .read sql/ingest.sql                   -- or con.execute(open('sql/ingest.sql').read())
--
-- In one transaction: reads only files that are new or changed (size or modification time,
-- from read_blob without reading content; or recorded by an older ingest_version, which re-reads
-- every file once after an upgrade of the schema), replaces those files' events (attributed),
-- summaries and request lines, re-applies the keep rule over usage_requests for the requests
-- those lines belong to, rebuilds usage_cost_daily for the days they touch, rebuilds both daily
-- rollups from since_day, and records the files. A file that vanished keeps its rows. Nothing
-- changed: nothing changes. No files: a no-op. On any error nothing is committed (run
-- ROLLBACK before reusing the connection, as after any failed transaction).

BEGIN TRANSACTION;

-- The matching files with their size and modification time (content is never read here).
CREATE OR REPLACE TEMP TABLE claude_ingest_files AS
SELECT filename, size, last_modified AS modified_at
FROM read_blob(getvariable('claude_sessions'));

CREATE OR REPLACE TEMP TABLE claude_ingest_changed AS
SELECT f.*
FROM claude_ingest_files AS f
LEFT JOIN usage_ingested_files AS i USING (filename)
WHERE i.filename IS NULL OR i.size IS DISTINCT FROM f.size OR i.modified_at IS DISTINCT FROM f.modified_at
   OR coalesce(i.ingest_version, 1) < 2;

SET VARIABLE claude_ingest_list = (
    SELECT coalesce(list(filename ORDER BY filename), []::VARCHAR[]) FROM claude_ingest_changed);

-- The fixed root of the glob (the path up to the first component with a wildcard): the
-- default username is the first directory below it, as in the server's <root>/<user>/... layout.
-- Normalized as DuckDB's glob normalizes the file names it returns (no 'file://', no empty or
-- '.' components, 'dir/..' resolved), so that './sessions/**/*.jsonl' or 'a//b/**' work too.
SET VARIABLE claude_ingest_root = (
    WITH raw AS (
        SELECT regexp_replace(regexp_replace(
            regexp_extract(getvariable('claude_sessions'), '^[^*?\[]*'), '[^/]*$', ''), '^file://', '') AS root),
    parts AS (
        SELECT regexp_extract(root, '^[A-Za-z][A-Za-z0-9+.-]*://') AS scheme, root FROM raw),
    norm AS (
        SELECT scheme,
            CASE WHEN starts_with(root[length(scheme) + 1:], '/') THEN '/' ELSE '' END AS lead,
            list_reduce(
                list_filter(string_split(root[length(scheme) + 1:], '/'), lambda c: c NOT IN ('', '.')),
                lambda acc, c: CASE
                    WHEN c = '..' AND acc NOT IN ('', '..') AND NOT ends_with(acc, '/..')
                        THEN regexp_replace(acc, '/?[^/]*$', '')
                    WHEN acc = '' THEN c
                    ELSE acc || '/' || c END,
                '') AS path
        FROM parts)
    SELECT scheme || lead || path || CASE WHEN path <> '' THEN '/' ELSE '' END FROM norm);

CREATE OR REPLACE TEMP MACRO claude_ingest_user(path) AS coalesce(
    CAST(getvariable('claude_username') AS VARCHAR),
    CASE WHEN starts_with(path, getvariable('claude_ingest_root'))
              AND contains(path[length(getvariable('claude_ingest_root')) + 1:], '/')
         THEN nullif(split_part(path[length(getvariable('claude_ingest_root')) + 1:], '/', 1), '') END);

SET VARIABLE claude_ingest_since = coalesce(
    CAST(getvariable('claude_since_day') AS DATE),
    CAST(timezone('UTC', now()) AS DATE) - 7);

CREATE OR REPLACE TEMP TABLE claude_ingest_events AS
SELECT *, claude_ingest_user(filename) AS username, 2 AS processor_version
FROM read_claude_session(getvariable('claude_ingest_list'));

-- Replace the changed files' rows: a file that shrank or was rewritten leaves nothing stale.
DELETE FROM usage_events WHERE filename IN (SELECT filename FROM claude_ingest_changed);

INSERT INTO usage_events BY NAME
SELECT * FROM claude_usage.attribute_events('claude_ingest_events')
WHERE id NOT IN (SELECT id FROM usage_events)
QUALIFY row_number() OVER (PARTITION BY id ORDER BY filename, line_number) = 1;

DELETE FROM usage_session_summary WHERE filename IN (SELECT filename FROM claude_ingest_changed);

INSERT INTO usage_session_summary BY NAME
SELECT *, claude_ingest_user(filename) AS username
FROM session_summary(getvariable('claude_ingest_list'));

-- Rebuild both rollups from since_day (DELETE + INSERT of those days, as the reference).
DELETE FROM usage_tool_daily WHERE day >= getvariable('claude_ingest_since');
INSERT INTO usage_tool_daily BY NAME
SELECT * FROM claude_usage.tool_daily('usage_events', since_day := getvariable('claude_ingest_since'));

DELETE FROM usage_plugin_daily WHERE day >= getvariable('claude_ingest_since');
INSERT INTO usage_plugin_daily BY NAME
SELECT * FROM claude_usage.plugin_daily('usage_events', since_day := getvariable('claude_ingest_since'));

-- Requests. A request's key, as read_claude_usage's: (message_id, request_id) when the line has
-- a message id; a line without one is a request of its own.
CREATE OR REPLACE TEMP MACRO claude_ingest_request_key(message_id, request_id, filename, line_number) AS
    CASE WHEN coalesce(message_id, '') <> ''
         THEN 'm' || length(message_id) || ':' || message_id || coalesce('|' || request_id, '')
         ELSE 'l' || line_number || ':' || filename END;

-- A line's token total as the keep rule compares it: input + output + cache writes + cache reads,
-- saturating at the BIGINT maximum as read_claude_usage's does.
CREATE OR REPLACE TEMP MACRO claude_ingest_total(i, o, cc, cr) AS
    least(claude_usage.row_tokens(i, o, cc, cr), 9223372036854775807);

-- Every request line of the changed files (kept and duplicate_lines are recomputed below, over
-- the whole table).
CREATE OR REPLACE TEMP TABLE claude_ingest_usage AS
SELECT * EXCLUDE (kept, duplicate_lines), claude_ingest_user(filename) AS username,
    claude_ingest_request_key(message_id, request_id, filename, line_number) AS request_key
FROM read_claude_usage(getvariable('claude_ingest_list'), dedup := false);

-- The changed files' stored lines (their new lines replace them).
CREATE OR REPLACE TEMP TABLE claude_ingest_old AS
SELECT claude_ingest_request_key(message_id, request_id, filename, line_number) AS request_key,
    message_id, session_id
FROM usage_requests
WHERE filename IN (SELECT filename FROM claude_ingest_changed);

-- Requests whose lines change (the changed files' old and new lines), and sessions whose
-- attribution may change (a subagent's lines can arrive before or after the call that spawned it).
CREATE OR REPLACE TEMP TABLE claude_ingest_keys AS
SELECT request_key, message_id FROM claude_ingest_old
UNION SELECT request_key, message_id FROM claude_ingest_usage;

CREATE OR REPLACE TEMP TABLE claude_ingest_sessions AS
SELECT session_id FROM claude_ingest_old
UNION SELECT session_id FROM claude_ingest_usage
UNION SELECT session_id FROM claude_ingest_events;

-- The stored lines to rewrite: the changed files' (dropped) and the other files' lines of those
-- requests (the keep rule re-applied) or of those sessions (re-attributed). Only lines of the
-- changed files, of those sessions or with one of those message ids are looked at closely.
CREATE OR REPLACE TEMP TABLE claude_ingest_redo AS
WITH candidates AS (
    SELECT filename, line_number, session_id, CAST(occurred_at AS DATE) AS day,
        claude_ingest_request_key(message_id, request_id, filename, line_number) AS request_key
    FROM usage_requests
    WHERE filename IN (SELECT filename FROM claude_ingest_changed)
       OR session_id IN (SELECT session_id FROM claude_ingest_sessions)
       OR message_id IN (SELECT message_id FROM claude_ingest_keys))
SELECT filename, line_number, request_key, day,
    filename IN (SELECT filename FROM claude_ingest_changed) AS dropped,
    request_key IN (SELECT request_key FROM claude_ingest_keys) AS rekeep
FROM candidates
WHERE filename IN (SELECT filename FROM claude_ingest_changed)
   OR request_key IN (SELECT request_key FROM claude_ingest_keys)
   OR session_id IN (SELECT session_id FROM claude_ingest_sessions);

-- The days whose usage_cost_daily rows are rebuilt: those of every line rewritten, before and after.
CREATE OR REPLACE TEMP TABLE claude_ingest_days AS
SELECT day FROM claude_ingest_redo
UNION SELECT CAST(occurred_at AS DATE) FROM claude_ingest_usage;

-- The lines to write back, before attribution: the kept rule over all lines of each request
-- (not sidechain, then the larger token total, then one with speed, then the first in
-- (filename, line_number) order); other lines keep their standing.
CREATE OR REPLACE TEMP TABLE claude_ingest_lines AS
WITH lines AS (
    SELECT r.* EXCLUDE (spawned_by_tool_id, root_tool_id, subagent_type, source, ref_id),
        x.request_key, x.rekeep
    FROM usage_requests AS r
    JOIN claude_ingest_redo AS x USING (filename, line_number)
    WHERE NOT x.dropped
    UNION ALL BY NAME
    SELECT *, true AS rekeep FROM claude_ingest_usage)
SELECT * EXCLUDE (request_key, rekeep, kept, duplicate_lines),
    CASE WHEN rekeep THEN count(*) OVER (PARTITION BY request_key) ELSE duplicate_lines END AS duplicate_lines,
    CASE WHEN rekeep
         THEN row_number() OVER (PARTITION BY request_key ORDER BY coalesce(is_sidechain, false),
                  claude_ingest_total(input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens) DESC,
                  speed IS NULL, filename, line_number) = 1
         ELSE kept END AS kept
FROM lines;

DELETE FROM usage_requests
WHERE (filename, line_number) IN (SELECT (filename, line_number) FROM claude_ingest_redo);

INSERT INTO usage_requests BY NAME
SELECT * FROM claude_usage.attribute_usage('claude_ingest_lines', events := 'usage_events');

DELETE FROM usage_cost_daily
WHERE day IN (SELECT day FROM claude_ingest_days)
   OR (day IS NULL AND EXISTS (SELECT 1 FROM claude_ingest_days WHERE day IS NULL));

INSERT INTO usage_cost_daily BY NAME
WITH claude_ingest_day_rows AS (
    SELECT CAST(occurred_at AS DATE) AS day, * FROM usage_requests
    WHERE CAST(occurred_at AS DATE) IN (SELECT day FROM claude_ingest_days)
       OR (occurred_at IS NULL AND EXISTS (SELECT 1 FROM claude_ingest_days WHERE day IS NULL)))
SELECT * EXCLUDE (web_search_requests)
FROM claude_usage.usage_totals('claude_ingest_day_rows', ['day', 'project', 'model', 'username', 'source', 'ref_id']);

DELETE FROM usage_ingested_files WHERE filename IN (SELECT filename FROM claude_ingest_changed);
INSERT INTO usage_ingested_files BY NAME
SELECT filename, size, modified_at, now() AS ingested_at, 2 AS ingest_version FROM claude_ingest_changed;

COMMIT;
