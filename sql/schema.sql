-- The server's tables. Run it on a new database, and again after every update of this file:
-- .read sql/schema.sql  (idempotent; it upgrades a database made by an earlier version in place:
-- new tables are created, new columns added at the end, nothing is dropped or rewritten).
-- Column order and names follow the reference server; usage_events holds every
-- read_claude_session column plus username, source, ref_id and processor_version.
-- Columns added after the first version are appended in the CREATE TABLEs too, in the order of
-- the ALTERs below, so that a new database and an upgraded one have the same layout.

CREATE TABLE IF NOT EXISTS usage_attribution_skills (source VARCHAR, ref_id VARCHAR, skill_name VARCHAR);
CREATE TABLE IF NOT EXISTS usage_attribution_agents (source VARCHAR, ref_id VARCHAR, agent_name VARCHAR);
CREATE TABLE IF NOT EXISTS usage_attribution_commands (source VARCHAR, ref_id VARCHAR, command_name VARCHAR);

CREATE TABLE IF NOT EXISTS usage_events (
    filename VARCHAR,
    session_id VARCHAR,
    id VARCHAR PRIMARY KEY,
    event_uuid VARCHAR,
    parent_uuid VARCHAR,
    tool_id VARCHAR,
    event_type VARCHAR,
    tool_name VARCHAR,
    skill_name VARCHAR,
    subagent_type VARCHAR,
    command_name VARCHAR,
    is_error BOOLEAN,
    model VARCHAR,
    cwd VARCHAR,
    occurred_at TIMESTAMP,
    line_number BIGINT,
    is_sidechain BOOLEAN,
    tool_input VARCHAR,
    username VARCHAR,
    source VARCHAR,
    ref_id VARCHAR,
    processor_version INTEGER,
    agent_id VARCHAR,
    spawned_agent_id VARCHAR
);

CREATE TABLE IF NOT EXISTS usage_session_summary (
    filename VARCHAR PRIMARY KEY,
    session_id VARCHAR,
    started_at TIMESTAMP,
    ended_at TIMESTAMP,
    active_seconds BIGINT,
    wall_seconds BIGINT,
    user_messages BIGINT,
    assistant_messages BIGINT,
    tool_calls BIGINT,
    tool_errors BIGINT,
    skill_invocations BIGINT,
    subagent_dispatches BIGINT,
    mcp_calls BIGINT,
    slash_commands BIGINT,
    distinct_tools BIGINT,
    distinct_skills BIGINT,
    primary_model VARCHAR,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cache_read_tokens BIGINT,
    cache_creation_tokens BIGINT,
    input_tokens_dedup BIGINT,
    output_tokens_dedup BIGINT,
    cache_read_tokens_dedup BIGINT,
    cache_creation_tokens_dedup BIGINT,
    lines BIGINT,
    malformed_lines BIGINT,
    processor_version INTEGER,
    username VARCHAR,
    cost_usd DOUBLE,
    unpriced_tokens BIGINT
);

CREATE TABLE IF NOT EXISTS usage_tool_daily (
    day DATE,
    tool_name VARCHAR,
    source VARCHAR,
    invocations BIGINT,
    error_count BIGINT,
    distinct_users BIGINT,
    distinct_sessions BIGINT
);

CREATE TABLE IF NOT EXISTS usage_plugin_daily (
    day DATE,
    source VARCHAR,
    ref_id VARCHAR,
    invocations BIGINT,
    distinct_users BIGINT,
    distinct_sessions BIGINT
);

CREATE TABLE IF NOT EXISTS usage_ingested_files (
    filename VARCHAR PRIMARY KEY,
    size BIGINT,
    modified_at TIMESTAMP WITH TIME ZONE,
    ingested_at TIMESTAMP WITH TIME ZONE,
    ingest_version INTEGER
);

-- One row per request line of the last ingested version of every file ever ingested (a file
-- that vanished keeps its rows): the read_claude_usage(..., dedup := false) columns, username,
-- and the attribution of claude_usage.attribute_usage. kept / duplicate_lines follow
-- read_claude_usage's keep rule over the whole table, so `WHERE kept` is one row per request.
CREATE TABLE IF NOT EXISTS usage_requests (
    filename VARCHAR,
    session_id VARCHAR,
    agent_id VARCHAR,
    project VARCHAR,
    cwd VARCHAR,
    git_branch VARCHAR,
    version VARCHAR,
    message_id VARCHAR,
    request_id VARCHAR,
    occurred_at TIMESTAMP,
    line_number BIGINT,
    model VARCHAR,
    speed VARCHAR,
    service_tier VARCHAR,
    is_sidechain BOOLEAN,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cache_creation_tokens BIGINT,
    cache_creation_5m_tokens BIGINT,
    cache_creation_1h_tokens BIGINT,
    cache_read_tokens BIGINT,
    web_search_requests BIGINT,
    web_fetch_requests BIGINT,
    duplicate_lines BIGINT,
    kept BOOLEAN,
    cost_usd DOUBLE,
    priced_as VARCHAR,
    long_context BOOLEAN,
    username VARCHAR,
    spawned_by_tool_id VARCHAR,
    root_tool_id VARCHAR,
    subagent_type VARCHAR,
    source VARCHAR,
    ref_id VARCHAR
);

-- The kept requests per UTC day of occurred_at (NULL when the request has no time), user,
-- project, model and attribution. cost_usd sums the priced requests (0 when none is);
-- unpriced_tokens sums input + output + cache writes + cache reads of those without a price.
CREATE TABLE IF NOT EXISTS usage_cost_daily (
    day DATE,
    username VARCHAR,
    project VARCHAR,
    model VARCHAR,
    source VARCHAR,
    ref_id VARCHAR,
    requests BIGINT,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cache_creation_tokens BIGINT,
    cache_creation_5m_tokens BIGINT,
    cache_creation_1h_tokens BIGINT,
    cache_read_tokens BIGINT,
    cost_usd DOUBLE,
    unpriced_tokens BIGINT
);

-- Upgrades of a database made by an earlier schema.sql (no-ops on a new one). Rows already
-- there get NULL; ingest.sql re-reads every file recorded with an older ingest_version (NULL:
-- the first version) at its next run, which fills them for every file still present.
ALTER TABLE usage_events ADD COLUMN IF NOT EXISTS agent_id VARCHAR;
ALTER TABLE usage_events ADD COLUMN IF NOT EXISTS spawned_agent_id VARCHAR;
ALTER TABLE usage_session_summary ADD COLUMN IF NOT EXISTS cost_usd DOUBLE;
ALTER TABLE usage_session_summary ADD COLUMN IF NOT EXISTS unpriced_tokens BIGINT;
ALTER TABLE usage_ingested_files ADD COLUMN IF NOT EXISTS ingest_version INTEGER;
