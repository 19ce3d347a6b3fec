//! The SQL functions, one file each, as thin bindings over the transcript core.
//!
//! `read_claude_session` and `session_summary` share one scanner ([`scan`]): the same path
//! rules, file queue and file reader; they differ only in what they keep and emit.

pub mod claude_active_seconds;
pub mod claude_block_starts;
pub mod read_claude_session;
pub mod scan;
pub mod session_summary;

use crate::ffi::sys;
use crate::ffi::table::register;

/// Registers every function on `con`.
///
/// # Safety
/// `con` must be a live connection.
pub unsafe fn register_all(con: sys::duckdb_connection) -> Result<(), String> {
    // SAFETY: forwarded from the caller.
    unsafe {
        register::<read_claude_session::ReadClaudeSession>(con, &scan::signature())?;
        register::<session_summary::SessionSummary>(con, &scan::signature())?;
        claude_active_seconds::register(con)?;
        claude_block_starts::register(con)?;
    }
    Ok(())
}
