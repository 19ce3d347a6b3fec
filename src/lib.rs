//! `claude_usage`: a DuckDB extension that reads Claude Code session transcripts.
//!
//! Three layers:
//! * [`transcript`]: pure Rust, no DuckDB types: bytes to lines to records to events and
//!   summaries (the rules of the reference module, with its documented differences);
//! * [`functions`]: one file per SQL function, thin bindings over the core, sharing one
//!   file scanner; [`ffi`]: the small unsafe toolkit they use;
//! * `sql/`: macros created at LOAD (embedded with `include_str!`) and the server scripts.

pub mod ffi;
pub mod functions;
pub mod paths;
pub mod transcript;

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use ffi::sys;

/// The C API version this build targets: the file-system and config-option functions are
/// stable from v1.5.6, and both pinned DuckDBs (CLI 1.5.6, Python 2.0.0) accept it.
pub const MIN_DUCKDB_VERSION: &str = "v1.5.6";

/// SQL run at LOAD: the in-memory `claude_usage` catalog and its macros (`sql/macros.sql`), then
/// the usage reports over a table (`sql/reports.sql`) and over files (`sql/reports_paths.sql`,
/// after the functions are registered: CREATE MACRO binds `read_claude_usage`), then the usage
/// attribution to subagents and plugins (`sql/attribution.sql`).
pub const MACROS_SQL: &str = concat!(
    include_str!("../sql/macros.sql"),
    "\n",
    include_str!("../sql/reports.sql"),
    "\n",
    include_str!("../sql/reports_paths.sql"),
    "\n",
    include_str!("../sql/attribution.sql")
);

/// Entry point DuckDB calls on `LOAD` (the name follows the file name `claude_usage`).
///
/// # Safety
/// Called by DuckDB with valid `info` and `access` pointers.
#[no_mangle]
pub unsafe extern "C" fn claude_usage_init_c_api(
    info: sys::duckdb_extension_info,
    access: *const sys::duckdb_extension_access,
) -> bool {
    let result = catch_unwind(AssertUnwindSafe(|| unsafe { init(info, access) }))
        .unwrap_or_else(|p| Err(format!("claude_usage: panic during LOAD: {}", ffi::panic_message(p.as_ref()))));
    match result {
        Ok(loaded) => loaded,
        Err(msg) => {
            // SAFETY: `access` is valid for the duration of the call.
            if let Some(set_error) = unsafe { (*access).set_error } {
                let msg = ffi::c_string(&msg);
                unsafe { set_error(info, msg.as_ptr() as *const c_char) };
            }
            false
        }
    }
}

unsafe fn init(info: sys::duckdb_extension_info, access: *const sys::duckdb_extension_access) -> Result<bool, String> {
    // SAFETY: forwarded from DuckDB.
    let have_api =
        unsafe { sys::duckdb_rs_extension_api_init(info, access, MIN_DUCKDB_VERSION) }.map_err(str::to_owned)?;
    if !have_api {
        return Ok(false);
    }
    let get_database = unsafe { (*access).get_database }.ok_or("DuckDB gave no get_database")?;
    let db_ptr = unsafe { get_database(info) };
    if db_ptr.is_null() {
        return Ok(false);
    }
    let db = unsafe { *db_ptr };
    let mut con: sys::duckdb_connection = std::ptr::null_mut();
    if unsafe { sys::duckdb_connect(db, &mut con) } != sys::duckdb_state_DuckDBSuccess {
        return Err("claude_usage: cannot connect to the database".into());
    }
    let result = unsafe { functions::register_all(con).and_then(|()| ffi::execute(con, MACROS_SQL)) };
    unsafe { sys::duckdb_disconnect(&mut con) };
    result.map_err(|e| format!("claude_usage: LOAD failed: {e}"))?;
    Ok(true)
}
