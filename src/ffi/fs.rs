//! DuckDB's file system as `std::io::Read`.
//!
//! Files are opened through the query's client context, so DuckDB's own access rules
//! (`enable_external_access`, `allowed_directories`, `allowed_paths`) apply to every read,
//! exactly as they apply to `read_json`.

use std::io;

use super::table::borrowed_c_str;
use super::value::ClientContext;
use super::{c_string, sys};

/// One thread's view of DuckDB's file system.
pub struct FileSystem(sys::duckdb_file_system);

// SAFETY: the wrapper refers to the database's file system, which DuckDB itself uses from
// all its threads; a wrapper is created on one thread and then used by one other thread
// only (a scan's reader thread), which is joined before the query ends.
unsafe impl Send for FileSystem {}

impl FileSystem {
    pub fn new(ctx: &ClientContext) -> Result<Self, String> {
        // SAFETY: valid context; the wrapper is owned and destroyed on drop.
        let raw = unsafe { sys::duckdb_client_context_get_file_system(ctx.raw()) };
        if raw.is_null() {
            return Err("DuckDB gave no file system".into());
        }
        Ok(FileSystem(raw))
    }

    /// Opens `path` for reading; the error is DuckDB's message.
    pub fn open(&self, path: &str) -> Result<FileHandle, String> {
        let cpath = c_string(path);
        // SAFETY: the options and the handle are owned here; the path is NUL-terminated.
        unsafe {
            let mut options = sys::duckdb_create_file_open_options();
            sys::duckdb_file_open_options_set_flag(options, sys::duckdb_file_flag_DUCKDB_FILE_FLAG_READ, true);
            let mut handle: sys::duckdb_file_handle = std::ptr::null_mut();
            let state = sys::duckdb_file_system_open(self.0, cpath.as_ptr(), options, &mut handle);
            sys::duckdb_destroy_file_open_options(&mut options);
            if state != sys::duckdb_state_DuckDBSuccess || handle.is_null() {
                let mut err = sys::duckdb_file_system_error_data(self.0);
                let msg = borrowed_c_str(sys::duckdb_error_data_message(err));
                sys::duckdb_destroy_error_data(&mut err);
                return Err(if msg.is_empty() { "cannot open file".into() } else { msg });
            }
            Ok(FileHandle(handle))
        }
    }
}

impl Drop for FileSystem {
    fn drop(&mut self) {
        // SAFETY: we own the wrapper.
        unsafe { sys::duckdb_destroy_file_system(&mut self.0) }
    }
}

/// An open file; reads go through DuckDB.
pub struct FileHandle(sys::duckdb_file_handle);

impl FileHandle {
    /// Moves the read position to `pos` bytes from the start.
    pub fn seek(&mut self, pos: u64) -> Result<(), String> {
        // SAFETY: the handle is open.
        let state = unsafe { sys::duckdb_file_handle_seek(self.0, pos as i64) };
        if state == sys::duckdb_state_DuckDBSuccess {
            Ok(())
        } else {
            Err(format!("cannot seek to byte {pos}"))
        }
    }
}

impl io::Read for FileHandle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: the handle is open and `buf` is writable for its length.
        let n = unsafe { sys::duckdb_file_handle_read(self.0, buf.as_mut_ptr().cast(), buf.len() as i64) };
        if n < 0 {
            // SAFETY: the error data is owned and destroyed here.
            let msg = unsafe {
                let mut err = sys::duckdb_file_handle_error_data(self.0);
                let msg = borrowed_c_str(sys::duckdb_error_data_message(err));
                sys::duckdb_destroy_error_data(&mut err);
                msg
            };
            return Err(io::Error::other(msg));
        }
        Ok(n as usize)
    }
}

impl Drop for FileHandle {
    fn drop(&mut self) {
        // SAFETY: we own the handle; destroying closes it.
        unsafe { sys::duckdb_destroy_file_handle(&mut self.0) }
    }
}
