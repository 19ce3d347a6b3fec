-- TEST FIXTURE: the previous sql/schema.sql (git show 5db17c1:sql/schema.sql), to test the upgrade.
-- The server's tables (idempotent). Run once per database: .read sql/schema.sql
-- Column order and names follow the reference server; usage_events holds every
-- read_claude_session column plus username, source, ref_id and processor_version.

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
    processor_version INTEGER
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
    username VARCHAR
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
    ingested_at TIMESTAMP WITH TIME ZONE
);
