//! The SQL functions, one file each, as thin bindings over the transcript core.
//!
//! `read_claude_session` and `session_summary` share one scanner ([`scan`]): the same path
//! rules, file queue and file reader; they differ only in what they keep and emit.

pub mod claude_active_seconds;
pub mod claude_block_starts;
pub mod claude_prices;
pub mod read_claude_session;
pub mod read_claude_usage;
pub mod scan;
pub mod session_summary;

use crate::ffi::aggregate;
use crate::ffi::sys;
use crate::ffi::table::register;
use scan::Named;

/// Registers every function on `con`.
///
/// # Safety
/// `con` must be a live connection.
pub unsafe fn register_all(con: sys::duckdb_connection) -> Result<(), String> {
    // SAFETY: forwarded from the caller.
    unsafe {
        crate::ffi::config::register_varchar_setting(
            con,
            scan::PRICES_SETTING,
            "claude_usage: a price CSV whose rows replace or add models of the built-in price table",
        )?;
        register::<read_claude_session::ReadClaudeSession>(con, &scan::signature(&[]))?;
        register::<session_summary::SessionSummary>(con, &scan::signature(&[Named::Prices]))?;
        register::<read_claude_usage::ReadClaudeUsage>(con, &scan::signature(&[Named::Dedup, Named::Prices]))?;
        register::<claude_prices::ClaudePrices>(con, &claude_prices::signature())?;
        aggregate::register::<claude_active_seconds::ClaudeActiveSeconds>(con)?;
        aggregate::register::<claude_block_starts::ClaudeBlockStarts>(con)?;
    }
    Ok(())
}
