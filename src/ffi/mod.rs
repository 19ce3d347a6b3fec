//! The binding layer's toolkit: the only place besides `src/functions/` and the entry
//! point where `unsafe` code lives.
//!
//! * [`table`]: a safe trait for table functions (bind / global init / per-thread init /
//!   scan), with `extern "C"` trampolines that catch every panic and report it as a DuckDB
//!   error;
//! * [`chunk`]: writing typed values and NULLs into an output chunk;
//! * [`value`]: reading `duckdb_value` parameters and configuration options;
//! * [`fs`]: DuckDB's own file system (so that `enable_external_access`,
//!   `allowed_directories` and friends apply) as a `std::io::Read`.

pub mod aggregate;
pub mod chunk;
pub mod config;
pub mod fs;
pub mod table;
pub mod value;

use std::any::Any;
use std::ffi::CString;

pub use libduckdb_sys as sys;

/// Turns a panic payload into a message.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// A C string for DuckDB; interior NULs are replaced so that a message is never lost.
pub fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).unwrap_or_default()
}

/// Runs SQL (one or more statements) on a connection; the error is DuckDB's message.
///
/// # Safety
/// `con` must be a live connection.
pub unsafe fn execute(con: sys::duckdb_connection, sql: &str) -> Result<(), String> {
    let sql = c_string(sql);
    // SAFETY: the result is zero-initialised, filled by DuckDB and destroyed here.
    unsafe {
        let mut result: sys::duckdb_result = std::mem::zeroed();
        let state = sys::duckdb_query(con, sql.as_ptr(), &mut result);
        let outcome = if state == sys::duckdb_state_DuckDBSuccess {
            Ok(())
        } else {
            Err(table::borrowed_c_str(sys::duckdb_result_error(&mut result)))
        };
        sys::duckdb_destroy_result(&mut result);
        outcome
    }
}

/// An owned logical type, destroyed on drop.
pub struct LogicalType(pub sys::duckdb_logical_type);

impl LogicalType {
    pub fn new(id: sys::DUCKDB_TYPE) -> Self {
        // SAFETY: creating a primitive type has no preconditions.
        LogicalType(unsafe { sys::duckdb_create_logical_type(id) })
    }

    pub fn varchar() -> Self {
        Self::new(sys::DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR)
    }

    pub fn list(child: &LogicalType) -> Self {
        // SAFETY: `child` is a valid logical type; DuckDB copies it.
        LogicalType(unsafe { sys::duckdb_create_list_type(child.0) })
    }
}

impl Drop for LogicalType {
    fn drop(&mut self) {
        // SAFETY: we own the type.
        unsafe { sys::duckdb_destroy_logical_type(&mut self.0) }
    }
}

/// Column types used by this extension's functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Varchar,
    Bigint,
    Integer,
    Boolean,
    Timestamp,
    Double,
}

impl ColumnType {
    pub fn logical_type(self) -> LogicalType {
        LogicalType::new(match self {
            ColumnType::Varchar => sys::DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR,
            ColumnType::Bigint => sys::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT,
            ColumnType::Integer => sys::DUCKDB_TYPE_DUCKDB_TYPE_INTEGER,
            ColumnType::Boolean => sys::DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN,
            ColumnType::Timestamp => sys::DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP,
            ColumnType::Double => sys::DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE,
        })
    }
}
