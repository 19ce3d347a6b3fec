//! The scanner both table functions share: path arguments to a sorted file list at bind,
//! an atomic queue that hands whole files to DuckDB's threads, and the reading of one file
//! through DuckDB's file system into the transcript core.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::ffi::fs::FileSystem;
use crate::ffi::table::{BindInfo, Signature};
use crate::ffi::value::ClientContext;
use crate::ffi::{panic_message, ColumnType, LogicalType};
use crate::paths;
use crate::transcript::{lines, Needs, SessionOutput, SessionScanner};

/// The signature every scanning function has: one positional `path` (VARCHAR, VARCHAR[] or
/// NULL for the default folder) and the named parameter `ignore_errors`.
///
/// One signature, not three overloads: DuckDB's C API (v1) keeps only the first table
/// function registered under a name (`DuckSchemaEntry::CreateTableFunction` does not merge
/// overloads), so the path is typed `ANY` and checked at bind.
pub fn signature() -> Signature {
    Signature {
        positional: vec![LogicalType::new(libduckdb_sys::DUCKDB_TYPE_DUCKDB_TYPE_ANY)],
        named: vec![("ignore_errors", LogicalType::new(libduckdb_sys::DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN))],
    }
}

/// What bind decided: the files, in sorted order, and how to treat unreadable ones.
pub struct ScanBind {
    pub files: Vec<String>,
    pub ignore_errors: bool,
    context: ClientContext,
}

impl ScanBind {
    /// Reads the path argument(s) and `ignore_errors`, expands the patterns, and declares
    /// `columns` as the result schema.
    pub fn bind(function: &str, info: &BindInfo, columns: &[(&str, ColumnType)]) -> Result<ScanBind, String> {
        let path = (info.parameter_count() > 0).then(|| info.parameter(0));
        let patterns = match path {
            None => vec![paths::default_pattern()],
            Some(p) if p.is_null() => vec![paths::default_pattern()],
            Some(p) => {
                let list = p
                    .to_string_list()
                    .ok_or_else(|| format!("{function}: the path must be VARCHAR or VARCHAR[], not {}", p.type_name()))?;
                // An empty list reads nothing (handy for "the files that changed").
                list
            }
        };
        let ignore_errors = match info.named_parameter("ignore_errors") {
            Some(v) if !v.is_null() => v.to_bool(),
            _ => false,
        };
        let context = info.client_context();
        let policy = access_policy(&context);
        let files = paths::expand_all(&patterns, &policy).map_err(|e| format!("{function}: {e}"))?;
        for (name, ty) in columns {
            info.add_result_column(name, *ty);
        }
        Ok(ScanBind { files, ignore_errors, context })
    }

    /// A file system handle for one thread.
    pub fn file_system(&self) -> Result<FileSystem, String> {
        FileSystem::new(&self.context)
    }
}

/// DuckDB's access settings as the query sees them.
fn access_policy(context: &ClientContext) -> paths::AccessPolicy {
    let external = context.setting("enable_external_access").is_none_or(|v| v.eq_ignore_ascii_case("true"));
    if external {
        return paths::AccessPolicy::unrestricted();
    }
    paths::AccessPolicy::new(false, &context.setting_list("allowed_directories"), &context.setting_list("allowed_paths"))
}

/// Hands out file indices, each exactly once, in sorted order.
#[derive(Default)]
pub struct FileQueue {
    next: AtomicUsize,
}

impl FileQueue {
    pub fn take(&self, len: usize) -> Option<usize> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i < len).then_some(i)
    }
}

/// Threads worth starting for `files` files.
pub fn max_threads(files: usize) -> u64 {
    files.clamp(1, 256) as u64
}

/// Reads one file through DuckDB's file system. `Ok(None)` means the file was unreadable
/// and `ignore_errors` is set. Errors name the function, the file and, for a failure inside
/// the file, the line.
pub fn read_file(
    function: &str,
    fs: &FileSystem,
    path: &str,
    needs: Needs,
    ignore_errors: bool,
) -> Result<Option<SessionOutput>, String> {
    let unreadable = |why: String| {
        if ignore_errors {
            Ok(None)
        } else {
            Err(format!("{function}: cannot read \"{path}\": {why}"))
        }
    };
    if !paths::is_remote(path) {
        // A FIFO or a device would block or never end: only regular files are read.
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => {}
            Ok(m) if m.is_dir() => return unreadable("it is a directory".into()),
            Ok(_) => return unreadable("it is not a regular file".into()),
            Err(e) => return unreadable(e.to_string()),
        }
    }
    let handle = match fs.open(path) {
        Ok(h) => h,
        Err(e) => return unreadable(e),
    };
    let line = Cell::new(0u64);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut scanner = SessionScanner::new(paths::stem(path), needs);
        let read = lines::for_each_line(handle, |n, bytes| {
            line.set(n);
            scanner.push_line(n, bytes);
        });
        read.map(|_| {
            line.set(0);
            scanner.finish()
        })
    }));
    match result {
        Ok(Ok(out)) => Ok(Some(out)),
        Ok(Err(e)) => unreadable(e.to_string()),
        Err(payload) => {
            let at = match line.get() {
                0 => String::new(),
                n => format!(" at line {n}"),
            };
            Err(format!("{function}: internal error reading \"{path}\"{at}: {}", panic_message(payload.as_ref())))
        }
    }
}
