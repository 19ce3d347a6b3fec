-- TEST FIXTURE: the previous sql/ingest.sql (git show 5db17c1:sql/ingest.sql), reading only the
-- columns the previous layout (schema_v1.sql) has, to make a database as the previous version did.
-- Incremental ingest of Claude Code sessions into the tables of sql/schema.sql.
--
--   SET VARIABLE claude_sessions = '/srv/claude/**/*.jsonl';  -- the glob (required)
--   SET VARIABLE claude_username = 'alice';        -- NULL: first directory below the glob's root
--   SET VARIABLE claude_since_day = DATE '2026-05-01';  -- NULL: today (UTC) minus 7 days
--   .read sql/ingest.sql                   -- or con.execute(open('sql/ingest.sql').read())
--
-- In one transaction: reads only files that are new or changed (size or modification time,
-- from read_blob without reading content), replaces those files' events (attributed) and
-- summaries, rebuilds both daily rollups from since_day, and records the files. Nothing
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
WHERE i.filename IS NULL OR i.size IS DISTINCT FROM f.size OR i.modified_at IS DISTINCT FROM f.modified_at;

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
    getvariable('claude_username'),
    CASE WHEN starts_with(path, getvariable('claude_ingest_root'))
              AND contains(path[length(getvariable('claude_ingest_root')) + 1:], '/')
         THEN nullif(split_part(path[length(getvariable('claude_ingest_root')) + 1:], '/', 1), '') END);

SET VARIABLE claude_ingest_since = coalesce(
    CAST(getvariable('claude_since_day') AS DATE),
    CAST(timezone('UTC', now()) AS DATE) - 7);

CREATE OR REPLACE TEMP TABLE claude_ingest_events AS
SELECT * EXCLUDE (agent_id, spawned_agent_id), claude_ingest_user(filename) AS username, 2 AS processor_version
FROM read_claude_session(getvariable('claude_ingest_list'));

-- Replace the changed files' rows: a file that shrank or was rewritten leaves nothing stale.
DELETE FROM usage_events WHERE filename IN (SELECT filename FROM claude_ingest_changed);

INSERT INTO usage_events BY NAME
SELECT * FROM claude_usage.attribute_events('claude_ingest_events')
WHERE id NOT IN (SELECT id FROM usage_events)
QUALIFY row_number() OVER (PARTITION BY id ORDER BY filename, line_number) = 1;

DELETE FROM usage_session_summary WHERE filename IN (SELECT filename FROM claude_ingest_changed);

INSERT INTO usage_session_summary BY NAME
SELECT * EXCLUDE (cost_usd, unpriced_tokens), claude_ingest_user(filename) AS username
FROM session_summary(getvariable('claude_ingest_list'));

-- Rebuild both rollups from since_day (DELETE + INSERT of those days, as the reference).
DELETE FROM usage_tool_daily WHERE day >= getvariable('claude_ingest_since');
INSERT INTO usage_tool_daily BY NAME
SELECT * FROM claude_usage.tool_daily('usage_events', since_day := getvariable('claude_ingest_since'));

DELETE FROM usage_plugin_daily WHERE day >= getvariable('claude_ingest_since');
INSERT INTO usage_plugin_daily BY NAME
SELECT * FROM claude_usage.plugin_daily('usage_events', since_day := getvariable('claude_ingest_since'));

DELETE FROM usage_ingested_files WHERE filename IN (SELECT filename FROM claude_ingest_changed);
INSERT INTO usage_ingested_files BY NAME
SELECT filename, size, modified_at, now() AS ingested_at FROM claude_ingest_changed;

COMMIT;
