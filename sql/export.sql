-- Export of the server's tables (sql/schema.sql) to a Hive-partitioned Parquet lake.
--
--   SET VARIABLE claude_export_to = '/srv/lake';     -- a folder or any URL this DuckDB can write
--                                                    -- ('s3://bucket/claude' with httpfs) (required)
--   SET VARIABLE claude_export_shard = 'node1';      -- NULL: 'data'; one name per ingest node
--   SET VARIABLE claude_export_since_day = DATE '2026-05-01';  -- NULL: every day
--   .read sql/export.sql                   -- or con.execute(open('sql/export.sql').read())
--
-- Writes <to>/<table>/day=<YYYY-MM-DD>/<shard>_0.parquet for usage_requests, usage_events
-- (day of occurred_at, UTC), usage_session_summary (day of started_at), usage_cost_daily,
-- usage_tool_daily and usage_plugin_daily (their day); rows without a day go to
-- day=__HIVE_DEFAULT_PARTITION__, read back as NULL. Each file is rewritten whole (same name,
-- OVERWRITE_OR_IGNORE), so running this again replaces a day's file of this shard, never adds
-- one, and other shards' files in the same folders are never touched. Rows are written in a
-- fixed order: the same table content gives byte-identical files. Each file holds its day column
-- too (first for the tables without one), so a file is complete on its own (DuckLake's
-- ducklake_add_data_files needs every column in the file); readers:
--   SELECT * FROM read_parquet('<to>/usage_cost_daily/**/*.parquet', hive_partitioning = true);
-- Every table is read in one transaction: one consistent snapshot, even while ingest.sql runs
-- on another connection of the same database. The extension is not needed.
-- Limit: a day that loses every row of this shard (a rewritten session moved all of them to
-- another day) keeps its old file; delete <to>/<table>/day=<d>/<shard>_0.parquet by hand.

BEGIN TRANSACTION;

SET VARIABLE claude_export_file = coalesce(CAST(getvariable('claude_export_shard') AS VARCHAR), 'data') || '_{i}';
SET VARIABLE claude_export_root = CASE
    WHEN coalesce(CAST(getvariable('claude_export_to') AS VARCHAR), '') = ''
        THEN error('export.sql: SET VARIABLE claude_export_to = ''<folder or URL>'' first')
    ELSE rtrim(getvariable('claude_export_to'), '/') END;

-- Creates the folder <to> when its parent exists (a partitioned write of no rows; nothing on S3).
COPY (SELECT NULL::DATE AS day, NULL AS x WHERE false) TO (getvariable('claude_export_root'))
  (FORMAT parquet, PARTITION_BY (day), OVERWRITE_OR_IGNORE);

CREATE OR REPLACE TEMP MACRO claude_export_day(day) AS
    getvariable('claude_export_since_day') IS NULL OR day IS NULL
    OR day >= CAST(getvariable('claude_export_since_day') AS DATE);

COPY (
    SELECT CAST(occurred_at AS DATE) AS day, * FROM usage_requests
    WHERE claude_export_day(CAST(occurred_at AS DATE))
    ORDER BY filename, line_number
) TO (getvariable('claude_export_root') || '/usage_requests')
  (FORMAT parquet, PARTITION_BY (day), WRITE_PARTITION_COLUMNS true,
   FILENAME_PATTERN (getvariable('claude_export_file')), OVERWRITE_OR_IGNORE);

COPY (
    SELECT CAST(occurred_at AS DATE) AS day, * FROM usage_events
    WHERE claude_export_day(CAST(occurred_at AS DATE))
    ORDER BY filename, line_number, id
) TO (getvariable('claude_export_root') || '/usage_events')
  (FORMAT parquet, PARTITION_BY (day), WRITE_PARTITION_COLUMNS true,
   FILENAME_PATTERN (getvariable('claude_export_file')), OVERWRITE_OR_IGNORE);

COPY (
    SELECT CAST(started_at AS DATE) AS day, * FROM usage_session_summary
    WHERE claude_export_day(CAST(started_at AS DATE))
    ORDER BY filename
) TO (getvariable('claude_export_root') || '/usage_session_summary')
  (FORMAT parquet, PARTITION_BY (day), WRITE_PARTITION_COLUMNS true,
   FILENAME_PATTERN (getvariable('claude_export_file')), OVERWRITE_OR_IGNORE);

COPY (
    SELECT * FROM usage_cost_daily WHERE claude_export_day(day) ORDER BY ALL
) TO (getvariable('claude_export_root') || '/usage_cost_daily')
  (FORMAT parquet, PARTITION_BY (day), WRITE_PARTITION_COLUMNS true,
   FILENAME_PATTERN (getvariable('claude_export_file')), OVERWRITE_OR_IGNORE);

COPY (
    SELECT * FROM usage_tool_daily WHERE claude_export_day(day) ORDER BY ALL
) TO (getvariable('claude_export_root') || '/usage_tool_daily')
  (FORMAT parquet, PARTITION_BY (day), WRITE_PARTITION_COLUMNS true,
   FILENAME_PATTERN (getvariable('claude_export_file')), OVERWRITE_OR_IGNORE);

COPY (
    SELECT * FROM usage_plugin_daily WHERE claude_export_day(day) ORDER BY ALL
) TO (getvariable('claude_export_root') || '/usage_plugin_daily')
  (FORMAT parquet, PARTITION_BY (day), WRITE_PARTITION_COLUMNS true,
   FILENAME_PATTERN (getvariable('claude_export_file')), OVERWRITE_OR_IGNORE);

COMMIT;
