-- The usage reports over files: each reads read_claude_usage(path, ignore_errors, prices) in a
-- CTE and hands the CTE's name to the table-based report of reports.sql, so the SELECT exists
-- once. Run at LOAD after reports.sql (CREATE MACRO binds read_claude_usage, registered before).

CREATE OR REPLACE MACRO claude_usage.daily(path, ignore_errors := false, prices := NULL) AS TABLE
WITH cu_usage_requests AS (FROM read_claude_usage(path, ignore_errors := ignore_errors, prices := prices))
FROM claude_usage.usage_rollup('cu_usage_requests', period := 'day');

CREATE OR REPLACE MACRO claude_usage.weekly(path, ignore_errors := false, prices := NULL) AS TABLE
WITH cu_usage_requests AS (FROM read_claude_usage(path, ignore_errors := ignore_errors, prices := prices))
FROM claude_usage.usage_rollup('cu_usage_requests', period := 'week');

CREATE OR REPLACE MACRO claude_usage.monthly(path, ignore_errors := false, prices := NULL) AS TABLE
WITH cu_usage_requests AS (FROM read_claude_usage(path, ignore_errors := ignore_errors, prices := prices))
FROM claude_usage.usage_rollup('cu_usage_requests', period := 'month');

CREATE OR REPLACE MACRO claude_usage.sessions(path, ignore_errors := false, prices := NULL) AS TABLE
WITH cu_usage_requests AS (FROM read_claude_usage(path, ignore_errors := ignore_errors, prices := prices))
FROM claude_usage.usage_sessions('cu_usage_requests');

CREATE OR REPLACE MACRO claude_usage.blocks(path, hours := 5, ignore_errors := false, prices := NULL) AS TABLE
WITH cu_usage_requests AS (FROM read_claude_usage(path, ignore_errors := ignore_errors, prices := prices))
FROM claude_usage.usage_blocks('cu_usage_requests', hours := hours);
