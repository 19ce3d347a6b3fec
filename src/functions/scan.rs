//! The scanner both table functions share: path arguments to a sorted file list at bind,
//! an atomic queue that hands whole files to DuckDB's threads, and the reading of one file
//! through DuckDB's file system into the transcript core.

use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::ffi::fs::FileSystem;
use crate::ffi::table::{BindInfo, Signature};
use crate::ffi::value::ClientContext;
use crate::ffi::{panic_message, ColumnType, LogicalType};
use crate::paths;
use crate::transcript::lines::{LineReader, Range};
use crate::transcript::{Needs, SessionOutput, SessionScanner};

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
                let list = p.to_string_list().ok_or_else(|| {
                    format!("{function}: the path must be VARCHAR or VARCHAR[], not {}", p.type_name())
                })?;
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
    paths::AccessPolicy::new(
        false,
        &context.setting_list("allowed_directories"),
        &context.setting_list("allowed_paths"),
    )
}

/// Files larger than 1.5 parts are split into ranges of this many bytes that threads read
/// in parallel; their parts are merged in file order. The environment variable
/// `CLAUDE_USAGE_PART_BYTES` overrides it (tests use tiny parts to split every file).
const PART_BYTES: u64 = 16 << 20;

fn part_bytes() -> u64 {
    std::env::var("CLAUDE_USAGE_PART_BYTES").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(PART_BYTES)
}

/// One piece of work: a whole file, or one range of a big one.
struct Unit {
    file: usize,
    range: Range,
    part: usize,
    parts: usize,
}

/// The parts of a split file read so far.
struct Assembly {
    parts: Vec<Option<(SessionScanner, u64)>>,
    done: usize,
    skipped: bool,
}

/// Hands out work units, each exactly once, in sorted file order, and re-assembles split
/// files; shared by all threads of one scan.
pub struct WorkQueue {
    units: Vec<Unit>,
    next: AtomicUsize,
    assemblies: Mutex<HashMap<usize, Assembly>>,
}

impl WorkQueue {
    /// Plans the units of `files` (sizes come from the file system; remote or unknown sizes
    /// give one unit).
    pub fn new(files: &[String]) -> Self {
        let part_bytes = part_bytes();
        let mut units = Vec::with_capacity(files.len());
        for (file, path) in files.iter().enumerate() {
            let size = if paths::is_remote(path) {
                0
            } else {
                std::fs::metadata(path).ok().filter(|m| m.is_file()).map_or(0, |m| m.len())
            };
            if size <= part_bytes + part_bytes / 2 {
                units.push(Unit { file, range: Range::WHOLE, part: 0, parts: 1 });
                continue;
            }
            let parts = size.div_ceil(part_bytes) as usize;
            for part in 0..parts {
                let start = part as u64 * part_bytes;
                // The last part reads to the end, however far the file has grown meanwhile.
                let end = if part + 1 == parts { u64::MAX } else { start + part_bytes };
                units.push(Unit { file, range: Range { start, end }, part, parts });
            }
        }
        WorkQueue { units, next: AtomicUsize::new(0), assemblies: Mutex::new(HashMap::new()) }
    }

    /// Threads worth starting.
    pub fn max_threads(&self) -> u64 {
        self.units.len().clamp(1, 256) as u64
    }

    /// Reads units until one completes a file; returns that file's index and output, or
    /// `None` when no work is left for this thread. Unreadable files are skipped when
    /// `ignore_errors` is set.
    pub fn next_file(&self, reader: &mut FileReader<'_>) -> Result<Option<(usize, SessionOutput)>, String> {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(unit) = self.units.get(i) else { return Ok(None) };
            let scanned = reader.read(unit.file, unit.range)?;
            if unit.parts == 1 {
                match scanned {
                    Some((scanner, _)) => return Ok(Some((unit.file, reader.finish(unit.file, scanner)?))),
                    None => continue,
                }
            }
            if let Some(scanner) = self.assemble(unit, scanned) {
                return Ok(Some((unit.file, reader.finish(unit.file, scanner)?)));
            }
        }
    }

    /// Stores one part; the thread that brings the last part gets the merged scanner.
    fn assemble(&self, unit: &Unit, scanned: Option<(SessionScanner, u64)>) -> Option<SessionScanner> {
        let parts = {
            let mut all = self.assemblies.lock().unwrap_or_else(|e| e.into_inner());
            let entry = all.entry(unit.file).or_insert_with(|| Assembly {
                parts: (0..unit.parts).map(|_| None).collect(),
                done: 0,
                skipped: false,
            });
            entry.done += 1;
            match scanned {
                Some(part) => entry.parts[unit.part] = Some(part),
                None => entry.skipped = true,
            }
            if entry.done < unit.parts {
                return None;
            }
            let entry = all.remove(&unit.file).expect("entry exists");
            if entry.skipped {
                return None;
            }
            entry.parts
        };
        let mut parts = parts.into_iter().flatten();
        let (mut merged, mut lines) = parts.next()?;
        for (next, n) in parts {
            merged.append(next, lines);
            lines += n;
        }
        Some(merged)
    }
}

/// What one thread keeps between scan calls: its file-system handle (created on first use)
/// and its line buffer.
#[derive(Default)]
pub struct ThreadReader {
    fs: Option<FileSystem>,
    lines: LineReader,
}

impl ThreadReader {
    /// The next complete file of the scan, read by this thread (see [`WorkQueue::next_file`]).
    pub fn next_file(
        &mut self,
        function: &'static str,
        bind: &ScanBind,
        queue: &WorkQueue,
        needs: Needs,
    ) -> Result<Option<(usize, SessionOutput)>, String> {
        if self.fs.is_none() {
            self.fs = Some(bind.file_system()?);
        }
        let mut reader = FileReader {
            function,
            fs: self.fs.as_ref().expect("file system was just created"),
            lines: &mut self.lines,
            files: &bind.files,
            needs,
            ignore_errors: bind.ignore_errors,
        };
        queue.next_file(&mut reader)
    }
}

/// One thread's means to read: DuckDB's file system, a reusable line buffer, and what the
/// scan wants.
pub struct FileReader<'a> {
    function: &'static str,
    fs: &'a FileSystem,
    lines: &'a mut LineReader,
    files: &'a [String],
    needs: Needs,
    ignore_errors: bool,
}

impl FileReader<'_> {
    fn unreadable<T>(&self, path: &str, why: String) -> Result<Option<T>, String> {
        if self.ignore_errors {
            Ok(None)
        } else {
            Err(format!("{}: cannot read \"{path}\": {why}", self.function))
        }
    }

    /// Reads the lines of one range of a file through DuckDB's file system into a scanner.
    /// `Ok(None)`: unreadable and skipped. Errors name the function, the file and, for a
    /// failure inside the file, the line.
    fn read(&mut self, file: usize, range: Range) -> Result<Option<(SessionScanner, u64)>, String> {
        let path = self.files[file].as_str();
        if !paths::is_remote(path) {
            // A FIFO or a device would block or never end: only regular files are read.
            match std::fs::metadata(path) {
                Ok(m) if m.is_file() => {}
                Ok(m) if m.is_dir() => return self.unreadable(path, "it is a directory".into()),
                Ok(_) => return self.unreadable(path, "it is not a regular file".into()),
                Err(e) => return self.unreadable(path, e.to_string()),
            }
        }
        let mut handle = match self.fs.open(path) {
            Ok(h) => h,
            Err(e) => return self.unreadable(path, e),
        };
        if range.read_from() > 0 {
            if let Err(e) = handle.seek(range.read_from()) {
                return self.unreadable(path, e);
            }
        }
        let line = Cell::new(0u64);
        let needs = self.needs;
        let lines = &mut *self.lines;
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut scanner = SessionScanner::new(paths::stem(path), needs);
            lines
                .for_range(handle, range, |n, bytes| {
                    line.set(n);
                    scanner.push_line(n, bytes);
                })
                .map(|count| (scanner, count))
        }));
        match result {
            Ok(Ok(scanned)) => Ok(Some(scanned)),
            Ok(Err(e)) => self.unreadable(path, e.to_string()),
            Err(payload) => {
                let at = match (line.get(), range.start) {
                    (0, _) => String::new(),
                    (n, 0) => format!(" at line {n}"),
                    (n, start) => format!(" at line {n} after byte {start}"),
                };
                Err(format!(
                    "{}: internal error reading \"{path}\"{at}: {}",
                    self.function,
                    panic_message(payload.as_ref())
                ))
            }
        }
    }

    /// Resolves a complete file's scanner into its events and summary.
    fn finish(&self, file: usize, scanner: SessionScanner) -> Result<SessionOutput, String> {
        catch_unwind(AssertUnwindSafe(|| scanner.finish())).map_err(|payload| {
            format!(
                "{}: internal error finishing \"{}\": {}",
                self.function,
                self.files[file],
                panic_message(payload.as_ref())
            )
        })
    }
}
