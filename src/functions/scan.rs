//! The scanner both table functions share: path arguments to a sorted file list at bind, a
//! queue of work units (files, and ranges of big files) shared by DuckDB's threads and the
//! scan's own reader threads, and the reading of one unit through DuckDB's file system into
//! the transcript core.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

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
    pub files: Arc<[String]>,
    pub ignore_errors: bool,
    /// DuckDB's `threads` setting when the query was bound.
    pub threads: usize,
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
        let threads = context.setting("threads").and_then(|t| t.trim().parse().ok()).unwrap_or(1);
        Ok(ScanBind { files: files.into(), ignore_errors, threads, context })
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

/// A positive byte count from the environment variable `name`, or `default`.
fn bytes_setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(default)
}

/// Bytes of files the scan reads ahead of its consumers, per thread.
/// `CLAUDE_USAGE_READ_AHEAD_BYTES` overrides it (tests use a tiny window, so that reader
/// threads keep waiting for the consumer).
const READ_AHEAD_BYTES: u64 = 32 << 20;

/// Completed files waiting for a consumer, at most (many tiny files).
const MAX_WAITING_FILES: usize = 1024;

/// One piece of work: a whole file, or one range of a big one.
struct Unit {
    file: usize,
    range: Range,
    part: usize,
    parts: usize,
    /// Bytes the unit is expected to read (0 when the size is unknown).
    bytes: u64,
}

/// The parts of a split file read so far.
struct Assembly {
    parts: Vec<Option<(SessionScanner, u64)>>,
    done: usize,
    skipped: bool,
}

/// The work units of one scan, in sorted file order, and the re-assembly of split files.
struct WorkQueue {
    units: Vec<Unit>,
    /// Each file's size as planned.
    file_bytes: Vec<u64>,
    assemblies: Mutex<HashMap<usize, Assembly>>,
}

impl WorkQueue {
    /// Plans the units of `files` (sizes come from the file system; remote or unknown sizes
    /// give one unit).
    fn new(files: &[String]) -> Self {
        let part_bytes = bytes_setting("CLAUDE_USAGE_PART_BYTES", PART_BYTES);
        let mut units = Vec::with_capacity(files.len());
        let mut file_bytes = Vec::with_capacity(files.len());
        for (file, path) in files.iter().enumerate() {
            let size = if paths::is_remote(path) {
                0
            } else {
                std::fs::metadata(path).ok().filter(|m| m.is_file()).map_or(0, |m| m.len())
            };
            file_bytes.push(size);
            if size <= part_bytes.saturating_add(part_bytes / 2) {
                units.push(Unit { file, range: Range::WHOLE, part: 0, parts: 1, bytes: size });
                continue;
            }
            let parts = size.div_ceil(part_bytes) as usize;
            for part in 0..parts {
                let start = part as u64 * part_bytes;
                // The last part reads to the end, however far the file has grown meanwhile.
                let end = if part + 1 == parts { u64::MAX } else { start + part_bytes };
                let bytes = end.min(size) - start;
                units.push(Unit { file, range: Range { start, end }, part, parts, bytes });
            }
        }
        WorkQueue { units, file_bytes, assemblies: Mutex::new(HashMap::new()) }
    }

    /// Reads one unit. Returns the file and its output (`None`: unreadable and skipped) when
    /// the unit completes its file, `None` when other parts of the file are still out.
    fn process(&self, unit: &Unit, reader: &mut FileReader<'_>) -> Result<Option<Completed>, String> {
        let scanned = reader.read(unit.file, unit.range)?;
        let scanner = if unit.parts == 1 {
            scanned.map(|(scanner, _)| scanner)
        } else {
            match self.assemble(unit, scanned) {
                Assembled::Pending => return Ok(None),
                Assembled::Skipped => None,
                Assembled::Complete(scanner) => Some(*scanner),
            }
        };
        Ok(Some((unit.file, scanner.map(SessionScanner::finish))))
    }

    /// Stores one part; the thread that brings the last part gets the merged scanner.
    fn assemble(&self, unit: &Unit, scanned: Option<(SessionScanner, u64)>) -> Assembled {
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
                return Assembled::Pending;
            }
            let entry = all.remove(&unit.file).expect("entry exists");
            if entry.skipped {
                return Assembled::Skipped;
            }
            entry.parts
        };
        let mut parts = parts.into_iter().flatten();
        let Some((mut merged, mut lines)) = parts.next() else { return Assembled::Skipped };
        for (next, n) in parts {
            merged.append(next, lines);
            lines += n;
        }
        Assembled::Complete(Box::new(merged))
    }
}

enum Assembled {
    Pending,
    Skipped,
    Complete(Box<SessionScanner>),
}

/// A file's index and its output (`None`: unreadable and skipped under `ignore_errors`).
type Completed = (usize, Option<SessionOutput>);

/// Who works on what, under one lock: the files read and not yet handed to a consumer,
/// the units being read, and the threads taking part.
struct Board {
    /// The next unit to hand out.
    next_unit: usize,
    /// Completed files waiting for a consumer.
    done: BTreeMap<usize, Option<SessionOutput>>,
    /// With a single consumer, files are handed out in order: the next one to hand out.
    next_file: usize,
    /// Units taken and not yet finished.
    in_flight: usize,
    /// Bytes of the units being read plus the sizes of the completed files waiting.
    ahead: u64,
    /// DuckDB threads that called `scan`.
    consumers: usize,
    /// Helper threads still running.
    helpers: usize,
    spawned: bool,
    error: Option<String>,
}

/// The state all threads of one scan share.
struct Shared {
    function: &'static str,
    queue: WorkQueue,
    files: Arc<[String]>,
    needs: Needs,
    ignore_errors: bool,
    /// DuckDB's `threads` setting: consumers plus helpers never exceed it.
    threads: usize,
    /// Units are taken only while fewer bytes than this are read ahead of what the consumers
    /// took (bounds memory; one unit may overshoot, so a big file still makes progress).
    window_bytes: u64,
    board: Mutex<Board>,
    changed: Condvar,
    cancel: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, board: MutexGuard<'a, Board>) -> MutexGuard<'a, Board> {
        self.changed.wait(board).unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the next unit if the read-ahead window allows it.
    fn take(&self, board: &mut Board) -> Option<usize> {
        let full = board.ahead >= self.window_bytes || board.done.len() >= MAX_WAITING_FILES;
        let i = board.next_unit;
        if full || i >= self.queue.units.len() {
            return None;
        }
        board.next_unit += 1;
        board.in_flight += 1;
        board.ahead += self.queue.units[i].bytes;
        Some(i)
    }

    fn exhausted(&self, board: &Board) -> bool {
        board.next_unit >= self.queue.units.len()
    }

    /// Reads unit `i` and records the outcome on the board.
    fn work(&self, i: usize, reader: &mut FileReader<'_>) {
        let unit = &self.queue.units[i];
        let result = catch_unwind(AssertUnwindSafe(|| self.queue.process(unit, reader))).unwrap_or_else(|payload| {
            Err(format!(
                "{}: internal error reading \"{}\": {}",
                self.function,
                self.files[unit.file],
                panic_message(payload.as_ref())
            ))
        });
        let mut board = self.lock();
        board.in_flight -= 1;
        board.ahead -= unit.bytes;
        match result {
            Ok(Some((file, output))) => {
                board.ahead += self.queue.file_bytes[file];
                board.done.insert(file, output);
            }
            Ok(None) => {}
            Err(e) => {
                board.error.get_or_insert(e);
            }
        }
        drop(board);
        self.changed.notify_all();
    }

    /// Hands out a completed file: in file order while one consumer reads (DuckDB then
    /// keeps insertion order), any file when several do.
    fn pop(&self, board: &mut Board) -> Option<Completed> {
        let (&first, _) = board.done.first_key_value()?;
        // Units are handed out in file order, so while one consumer reads, the lowest file
        // waiting is the next one exactly when that one is done.
        let earlier_pending = first != board.next_file && !(self.exhausted(board) && board.in_flight == 0);
        if board.consumers == 1 && earlier_pending {
            return None;
        }
        let (file, output) = board.done.pop_first()?;
        board.next_file = file + 1;
        board.ahead -= self.queue.file_bytes[file];
        Some((file, output))
    }

    /// A helper thread: reads units ahead of the consumers until the work runs out, the scan
    /// is dropped, or DuckDB itself runs enough threads.
    fn help(&self, fs: FileSystem) {
        let mut lines = LineReader::default();
        let mut reader = FileReader { shared: self, fs: &fs, lines: &mut lines };
        loop {
            let mut board = self.lock();
            let unit = loop {
                let stop = self.cancel.load(Ordering::Relaxed)
                    || board.error.is_some()
                    || board.consumers + board.helpers > self.threads
                    || self.exhausted(&board);
                if stop {
                    break None;
                }
                if let Some(i) = self.take(&mut board) {
                    break Some(i);
                }
                board = self.wait(board);
            };
            let Some(i) = unit else {
                board.helpers -= 1;
                drop(board);
                self.changed.notify_all();
                return;
            };
            drop(board);
            self.work(i, &mut reader);
        }
    }
}

/// Reader threads running in this process, over all scans. A server running many queries at
/// once must not multiply them: together they stay within one query's `threads` less one.
static READERS: AtomicUsize = AtomicUsize::new(0);

/// Reserves up to `want` reader threads while the process runs fewer than `cap`: one
/// [`ReaderSlot`] each.
fn reserve_readers(want: usize, cap: usize) -> Vec<ReaderSlot> {
    let mut running = READERS.load(Ordering::Relaxed);
    loop {
        let n = want.min(cap.saturating_sub(running));
        if n == 0 {
            return Vec::new();
        }
        match READERS.compare_exchange_weak(running, running + n, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => return (0..n).map(|_| ReaderSlot { _reserved: () }).collect(),
            Err(now) => running = now,
        }
    }
}

/// One reserved reader thread, made only by [`reserve_readers`]. It moves into the thread
/// it was reserved for; dropping it gives it back, whether the thread ended (however) or
/// never started.
struct ReaderSlot {
    _reserved: (),
}

impl Drop for ReaderSlot {
    fn drop(&mut self) {
        READERS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One scan: the units, the completed files, and the helper threads that read ahead.
///
/// DuckDB runs a table function's scan on one thread when the plan must keep insertion
/// order, and a table function registered through the C API cannot report batch indexes to
/// lift that. So the scan brings its own parallelism: once the first consumer asks for a
/// second file, it starts helper threads (DuckDB's `threads` setting less the threads
/// already scanning, within the process-wide budget `READERS`) that read files ahead, at
/// most `READ_AHEAD_BYTES` per thread beyond what was handed out. A single consumer gets
/// files in sorted order; when DuckDB does run the scan on several threads the helpers step
/// back.
pub struct Scan {
    shared: Arc<Shared>,
    helpers: Mutex<Vec<JoinHandle<()>>>,
}

impl Scan {
    pub fn new(function: &'static str, bind: &ScanBind, needs: Needs) -> Self {
        let threads = bind.threads.max(1);
        let shared = Shared {
            function,
            queue: WorkQueue::new(&bind.files),
            files: bind.files.clone(),
            needs,
            ignore_errors: bind.ignore_errors,
            threads,
            window_bytes: bytes_setting("CLAUDE_USAGE_READ_AHEAD_BYTES", READ_AHEAD_BYTES)
                .saturating_mul(threads as u64),
            board: Mutex::new(Board {
                next_unit: 0,
                done: BTreeMap::new(),
                next_file: 0,
                in_flight: 0,
                ahead: 0,
                consumers: 0,
                helpers: 0,
                spawned: false,
                error: None,
            }),
            changed: Condvar::new(),
            cancel: AtomicBool::new(false),
        };
        Scan { shared: Arc::new(shared), helpers: Mutex::new(Vec::new()) }
    }

    /// Threads worth starting.
    pub fn max_threads(&self) -> u64 {
        self.shared.queue.units.len().clamp(1, 256) as u64
    }

    /// The next complete file for the calling DuckDB thread, or `None` when the scan is
    /// done. Unreadable files are skipped when `ignore_errors` is set.
    pub fn next_file(
        &self,
        local: &mut ThreadReader,
        bind: &ScanBind,
    ) -> Result<Option<(usize, SessionOutput)>, String> {
        let shared = &*self.shared;
        let first_call = local.fs.is_none();
        if first_call {
            local.fs = Some(bind.file_system()?);
        }
        let mut board = shared.lock();
        if first_call {
            board.consumers += 1;
        }
        loop {
            if let Some(e) = &board.error {
                return Err(e.clone());
            }
            if let Some((file, output)) = shared.pop(&mut board) {
                // A slot of the read-ahead window is free again.
                shared.changed.notify_all();
                match output {
                    Some(output) => return Ok(Some((file, output))),
                    None => continue,
                }
            }
            if let Some(i) = shared.take(&mut board) {
                local.taken += 1;
                let spawn = local.taken == 2 && !board.spawned && shared.threads > board.consumers;
                let slots = if spawn {
                    reserve_readers(shared.threads - board.consumers, shared.threads - 1)
                } else {
                    Vec::new()
                };
                if spawn {
                    board.spawned = true;
                    board.helpers += slots.len();
                }
                drop(board);
                if !slots.is_empty() {
                    // Unit `i` is taken: nothing may unwind before `work` records it.
                    let _ = catch_unwind(AssertUnwindSafe(|| self.spawn(slots, bind)));
                }
                let fs = local.fs.as_ref().expect("file system was just created");
                shared.work(i, &mut FileReader { shared, fs, lines: &mut local.lines });
                board = shared.lock();
                continue;
            }
            if shared.exhausted(&board) && board.in_flight == 0 && board.done.is_empty() {
                return Ok(None);
            }
            board = shared.wait(board);
        }
    }

    /// Starts a helper thread per slot (fewer if the system refuses threads; a slot not used
    /// is given back as it drops).
    fn spawn(&self, slots: Vec<ReaderSlot>, bind: &ScanBind) {
        let mut handles = self.helpers.lock().unwrap_or_else(|e| e.into_inner());
        for slot in slots {
            let started = bind.file_system().ok().and_then(|fs| {
                let shared = Arc::clone(&self.shared);
                std::thread::Builder::new()
                    .name("claude_usage reader".into())
                    .spawn(move || {
                        let _slot = slot;
                        shared.help(fs)
                    })
                    .ok()
            });
            match started {
                Some(handle) => handles.push(handle),
                None => {
                    self.shared.lock().helpers -= 1;
                    self.shared.changed.notify_all();
                }
            }
        }
    }
}

impl Drop for Scan {
    /// Stops the helpers (a read in progress ends at its next buffer) and waits for them:
    /// they read through the query's file system, which must not outlive the query.
    fn drop(&mut self) {
        // Under the board lock: a helper checks `cancel` and then waits while holding it, so
        // the store cannot fall between its check and its wait (a lost wake-up would hang here).
        {
            let _board = self.shared.lock();
            self.shared.cancel.store(true, Ordering::Relaxed);
        }
        self.shared.changed.notify_all();
        for handle in self.helpers.get_mut().unwrap_or_else(|e| e.into_inner()).drain(..) {
            let _ = handle.join();
        }
    }
}

/// What one DuckDB thread keeps between scan calls: its file-system handle (created on first
/// use), its line buffer, and its standing in the scan.
#[derive(Default)]
pub struct ThreadReader {
    fs: Option<FileSystem>,
    lines: LineReader,
    taken: usize,
}

/// A reader that fails once the scan is cancelled, so a helper stops within one buffer.
struct Cancellable<'a, R> {
    inner: R,
    cancel: &'a AtomicBool,
}

impl<R: Read> Read for Cancellable<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::other("the scan was cancelled"));
        }
        self.inner.read(buf)
    }
}

/// One thread's means to read the scan's files: DuckDB's file system and a reusable line
/// buffer.
struct FileReader<'a> {
    shared: &'a Shared,
    fs: &'a FileSystem,
    lines: &'a mut LineReader,
}

impl FileReader<'_> {
    fn unreadable<T>(&self, path: &str, why: String) -> Result<Option<T>, String> {
        if self.shared.ignore_errors {
            Ok(None)
        } else {
            Err(format!("{}: cannot read \"{path}\": {why}", self.shared.function))
        }
    }

    /// Reads the lines of one range of a file through DuckDB's file system into a scanner.
    /// `Ok(None)`: unreadable and skipped. Errors name the function, the file and, for a
    /// failure inside the file, the line.
    fn read(&mut self, file: usize, range: Range) -> Result<Option<(SessionScanner, u64)>, String> {
        let path = self.shared.files[file].as_str();
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
        // Set only when the scan is dropped: then a helper stops within one buffer.
        let cancel = &self.shared.cancel;
        let line = Cell::new(0u64);
        let needs = self.shared.needs;
        let lines = &mut *self.lines;
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut scanner = SessionScanner::new(paths::stem(path), needs);
            lines
                .for_range(Cancellable { inner: handle, cancel }, range, |n, bytes| {
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
                    self.shared.function,
                    panic_message(payload.as_ref())
                ))
            }
        }
    }
}
