//! The scanner both table functions share: path arguments to a sorted file list at bind, a
//! queue of work units (files, and ranges of big files) shared by DuckDB's threads and the
//! scan's own reader threads, and the reading of one unit through DuckDB's file system into
//! the transcript core.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{self, Read};
use std::ops::BitOr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::ffi::fs::FileSystem;
use crate::ffi::table::{BindInfo, InitInfo, Signature};
use crate::ffi::value::ClientContext;
use crate::ffi::{panic_message, ColumnType, LogicalType};
use crate::paths;
use crate::transcript::lines::{LineReader, Range};
use crate::transcript::prices::PriceTable;
use crate::transcript::{Needs, SessionOutput, SessionScanner};

/// A named parameter a scanning function takes besides `ignore_errors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// `dedup := true`: requests de-duplicated across the query's files.
    Dedup,
    /// `prices := 'file.csv'`: a price file over the table in effect.
    Prices,
}

/// The setting that names a price file for the session (`SET claude_usage_prices = '...'`).
pub const PRICES_SETTING: &str = "claude_usage_prices";

/// The signature every scanning function has: one positional `path` (VARCHAR, VARCHAR[] or
/// NULL for the default folder), the named parameter `ignore_errors`, and `options`.
///
/// One signature, not three overloads: DuckDB's C API (v1) keeps only the first table
/// function registered under a name (`DuckSchemaEntry::CreateTableFunction` does not merge
/// overloads), so the path is typed `ANY` and checked at bind.
pub fn signature(options: &[Named]) -> Signature {
    let boolean = || LogicalType::new(libduckdb_sys::DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN);
    let mut named = vec![("ignore_errors", boolean())];
    for option in options {
        named.push(match option {
            Named::Dedup => ("dedup", boolean()),
            Named::Prices => ("prices", LogicalType::varchar()),
        });
    }
    Signature { positional: vec![LogicalType::new(libduckdb_sys::DUCKDB_TYPE_DUCKDB_TYPE_ANY)], named }
}

/// What bind decided: the files, in sorted order, and how to treat unreadable ones.
pub struct ScanBind {
    pub files: Arc<[String]>,
    pub ignore_errors: bool,
    /// `dedup` (true unless the query said false).
    pub dedup: bool,
    /// The prices in effect: the built-in table, the session's price file over it, the
    /// query's `prices` file over that.
    pub prices: Arc<PriceTable>,
    /// DuckDB's `threads` setting when the query was bound.
    pub threads: usize,
    context: ClientContext,
}

/// The prices in effect for a query of `function`: the built-in table, with the rows of the
/// file named by the setting [`PRICES_SETTING`] over it, and those of `file` (the `prices`
/// parameter) over that. Files are read through DuckDB's file system (its access rules apply).
pub fn prices_in_effect(
    function: &str,
    context: &ClientContext,
    file: Option<String>,
) -> Result<Arc<PriceTable>, String> {
    let mut table: Option<PriceTable> = None;
    let from_setting = context.setting(PRICES_SETTING).filter(|p| !p.trim().is_empty());
    for path in [from_setting, file].into_iter().flatten() {
        let text = read_text(context, &paths::expand_home(&path)).map_err(|e| format!("{function}: {e}"))?;
        let rows = PriceTable::parse(&path, &text).map_err(|e| format!("{function}: {e}"))?;
        table = Some(table.as_ref().unwrap_or(PriceTable::builtin()).with_overrides(rows));
    }
    Ok(match table {
        Some(t) => Arc::new(t),
        None => Arc::new(PriceTable::builtin().with_overrides(Vec::new())),
    })
}

/// A whole (small) file as UTF-8 text, through DuckDB's file system.
fn read_text(context: &ClientContext, path: &str) -> Result<String, String> {
    let fs = FileSystem::new(context)?;
    let mut handle = fs.open(path).map_err(|e| format!("cannot read prices file \"{path}\": {e}"))?;
    let mut bytes = Vec::new();
    handle.read_to_end(&mut bytes).map_err(|e| format!("cannot read prices file \"{path}\": {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("prices file \"{path}\" is not UTF-8 text"))
}

impl ScanBind {
    /// Reads the path argument(s) and `ignore_errors`, expands the patterns, and declares
    /// `columns` (a function's column table, [`reads`]) as the result schema.
    pub fn bind<P>(function: &str, info: &BindInfo, columns: &[(&str, ColumnType, P)]) -> Result<ScanBind, String> {
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
        let flag = |name: &str, default: bool| match info.named_parameter(name) {
            Some(v) if !v.is_null() => v.to_bool(),
            _ => default,
        };
        let dedup = flag("dedup", true);
        let context = info.client_context();
        let prices_file = info.named_parameter("prices").filter(|v| !v.is_null()).map(|v| v.to_text());
        let prices = prices_in_effect(function, &context, prices_file)?;
        let policy = access_policy(&context);
        let files = paths::expand_all(&patterns, &policy).map_err(|e| format!("{function}: {e}"))?;
        for (name, ty, _) in columns {
            info.add_result_column(name, *ty);
        }
        let threads = context.setting("threads").and_then(|t| t.trim().parse().ok()).unwrap_or(1);
        Ok(ScanBind { files: files.into(), ignore_errors, dedup, prices, threads, context })
    }

    /// A file system handle for one thread.
    pub fn file_system(&self) -> Result<FileSystem, String> {
        FileSystem::new(&self.context)
    }
}

/// What a scanning table function keeps for the whole query: the scan and the projected
/// columns (indices into its column table).
pub struct ScanGlobal {
    pub scan: Scan,
    pub columns: Vec<usize>,
}

impl ScanGlobal {
    /// Starts `function`'s scan for the projected columns of `table` (its column table:
    /// name, type, and the part of the core's output the column reads, a `Fields` or `Parts`
    /// set). `needs` turns the union of the parts read (`nothing` when none) into the core's
    /// [`Needs`].
    pub fn init<P: Copy + BitOr<Output = P>>(
        function: &'static str,
        info: &InitInfo,
        bind: &ScanBind,
        table: &[(&str, ColumnType, P)],
        nothing: P,
        needs: impl Fn(P) -> Needs,
    ) -> ScanGlobal {
        let columns = info.projected_columns();
        let scan = Scan::new(function, bind, needs(reads(table, &columns, nothing)));
        info.set_max_threads(scan.max_threads());
        ScanGlobal { scan, columns }
    }
}

/// What the projected `columns` read, from a function's column table: the union of their
/// entries; an index outside the table, such as DuckDB's row id, reads nothing.
fn reads<P: Copy + BitOr<Output = P>>(table: &[(&str, ColumnType, P)], columns: &[usize], nothing: P) -> P {
    columns.iter().filter_map(|&c| table.get(c)).fold(nothing, |all, &(_, _, part)| all | part)
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
#[derive(Debug, Clone, Copy)]
struct Unit {
    file: usize,
    range: Range,
    part: usize,
    parts: usize,
    /// Bytes the unit is expected to read (a whole file's size once planned; 0 when unknown).
    bytes: u64,
    /// The size of the whole file as planned (0 when unknown).
    file_bytes: u64,
}

impl Unit {
    /// A file taken whole, not yet looked at.
    fn whole(file: usize) -> Unit {
        Unit { file, range: Range::WHOLE, part: 0, parts: 1, bytes: 0, file_bytes: 0 }
    }

    /// Bytes counted in the read-ahead window while the unit is out: a part's from when it is
    /// taken; a whole file's only once it is done (its size is learnt by the thread reading it).
    fn counted(&self) -> u64 {
        if self.parts > 1 {
            self.bytes
        } else {
            0
        }
    }
}

/// What looking at a newly taken unit decided ([`Shared::plan`]).
enum Planned {
    /// Read this unit (the taken one, or the first part of its file).
    Read(Unit),
    /// The file cannot be read: why.
    Unreadable(usize, String),
    /// Planning failed (a panic): the query's error.
    Failed(usize, String),
}

/// One range of a file, read.
struct Scanned {
    scanner: SessionScanner,
    /// Physical lines in the range.
    lines: u64,
    /// The file ended before the range did: it shrank while it was read, and what later
    /// parts read is not a continuation of this one.
    short: bool,
}

/// The parts of a split file read so far.
struct Assembly {
    parts: Vec<Option<Scanned>>,
    done: usize,
    skipped: bool,
}

/// How big files are split into parts, and the re-assembly of their parts.
struct WorkQueue {
    part_bytes: u64,
    assemblies: Mutex<HashMap<usize, Assembly>>,
}

impl WorkQueue {
    fn new() -> Self {
        let part_bytes = bytes_setting("CLAUDE_USAGE_PART_BYTES", PART_BYTES);
        WorkQueue { part_bytes, assemblies: Mutex::new(HashMap::new()) }
    }

    /// The parts of file `file` of `size` bytes, in order, or `None` when it is read whole
    /// (up to 1.5 parts).
    fn split(&self, file: usize, size: u64) -> Option<Vec<Unit>> {
        let part_bytes = self.part_bytes;
        if size <= part_bytes.saturating_add(part_bytes / 2) {
            return None;
        }
        let parts = size.div_ceil(part_bytes) as usize;
        let units = (0..parts)
            .map(|part| {
                let start = part as u64 * part_bytes;
                // The last part reads to the end, however far the file has grown meanwhile.
                let end = if part + 1 == parts { u64::MAX } else { start + part_bytes };
                Unit { file, range: Range { start, end }, part, parts, bytes: end.min(size) - start, file_bytes: size }
            })
            .collect();
        Some(units)
    }

    /// Reads one unit. Returns the file, its output (`None`: unreadable and skipped) and its
    /// size when the unit completes its file, `None` when other parts of the file are still out.
    fn process(&self, unit: &Unit, reader: &mut FileReader<'_>) -> Result<Option<Completed>, String> {
        let scanned = reader.read(unit.file, unit.range)?;
        let scanner = if unit.parts == 1 {
            scanned.map(|s| s.scanner)
        } else {
            match self.assemble(unit, scanned) {
                Assembled::Pending => return Ok(None),
                Assembled::Skipped => None,
                Assembled::Complete(scanner) => Some(*scanner),
            }
        };
        let prices = &reader.shared.prices;
        Ok(Some((unit.file, scanner.map(|s| s.finish_with(prices)), unit.file_bytes)))
    }

    /// Stores one part; the thread that brings the last part gets the merged scanner. A file
    /// that shrank while its parts were read ends with the first part that found it short, so
    /// the result is still a prefix of the file.
    fn assemble(&self, unit: &Unit, scanned: Option<Scanned>) -> Assembled {
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
        let mut parts: Vec<Scanned> = parts.into_iter().flatten().collect();
        // The parts that make the file: up to the first that found it short.
        let kept = parts.iter().position(|p| p.short).map_or(parts.len(), |i| i + 1);
        parts.truncate(kept);
        let mut parts = parts.into_iter();
        let Some(first) = parts.next() else { return Assembled::Skipped };
        let (mut merged, mut lines) = (first.scanner, first.lines);
        // Room for all of them at once: growing by doubling would hold up to twice the
        // file's events and strings while it is merged.
        merged.reserve_for(parts.as_slice().iter().map(|p| &p.scanner));
        for next in parts {
            merged.append(next.scanner, lines);
            lines += next.lines;
        }
        Assembled::Complete(Box::new(merged))
    }
}

enum Assembled {
    Pending,
    Skipped,
    Complete(Box<SessionScanner>),
}

/// A file's index, its output (`None`: unreadable and skipped under `ignore_errors`) and its
/// size as planned.
type Completed = (usize, Option<SessionOutput>, u64);

/// Who works on what, under one lock: the files read and not yet handed to a consumer,
/// the units being read, and the threads taking part.
struct Board {
    /// The next file to take (files are taken in sorted order).
    next_take: usize,
    /// Parts of split files not yet taken: they go before the next file.
    parts: VecDeque<Unit>,
    /// Completed files waiting for a consumer, with their sizes.
    done: BTreeMap<usize, (Option<SessionOutput>, u64)>,
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
    prices: Arc<PriceTable>,
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

    /// Takes the next unit if the read-ahead window allows it: a part of a split file, else
    /// the next file, whole (the taker plans it, see [`Shared::plan`]).
    ///
    /// While one consumer reads, the parts of the next file to hand out are taken even when the
    /// window is full: another thread may have taken later files before this one was split,
    /// and nothing that waits behind this file can leave the window before it is done. (Several
    /// consumers take any completed file, so the window always drains.)
    fn take(&self, board: &mut Board) -> Option<Unit> {
        let full = board.ahead >= self.window_bytes || board.done.len() >= MAX_WAITING_FILES;
        let blocking = board.consumers == 1 && board.parts.front().is_some_and(|part| part.file <= board.next_file);
        if full && !blocking {
            return None;
        }
        let unit = match board.parts.pop_front() {
            Some(part) => part,
            None if board.next_take < self.files.len() => {
                board.next_take += 1;
                Unit::whole(board.next_take - 1)
            }
            None => return None,
        };
        board.in_flight += 1;
        board.ahead += unit.counted();
        Some(unit)
    }

    fn exhausted(&self, board: &Board) -> bool {
        board.next_take >= self.files.len() && board.parts.is_empty()
    }

    /// Looks at the file of a unit just taken whole, with one `stat` (which also keeps
    /// directories and FIFOs from being opened: a FIFO would block): its size, and for a big
    /// file its parts, the later ones queued first in line for any thread. Sizes are learnt
    /// here, by the threads that read, rather than in one pass over every file before the scan
    /// starts.
    fn plan(&self, unit: Unit) -> Planned {
        let path = self.files[unit.file].as_str();
        if unit.parts > 1 || paths::is_remote(path) {
            return Planned::Read(unit);
        }
        let size = match std::fs::metadata(path) {
            Ok(m) if m.is_file() => m.len(),
            Ok(m) if m.is_dir() => return Planned::Unreadable(unit.file, "it is a directory".into()),
            Ok(_) => return Planned::Unreadable(unit.file, "it is not a regular file".into()),
            Err(e) => return Planned::Unreadable(unit.file, e.to_string()),
        };
        let Some(parts) = self.queue.split(unit.file, size) else {
            return Planned::Read(Unit { bytes: size, file_bytes: size, ..unit });
        };
        let first = parts[0];
        {
            let mut board = self.lock();
            board.ahead += first.counted();
            // Before any later file's parts (two threads may split files at once).
            let at = board.parts.partition_point(|u| u.file < unit.file);
            for (k, part) in parts[1..].iter().enumerate() {
                board.parts.insert(at + k, *part);
            }
        }
        self.changed.notify_all();
        Planned::Read(first)
    }

    /// [`Shared::plan`], a panic included (a unit taken must reach [`Shared::read`]).
    fn plan_caught(&self, unit: Unit) -> Planned {
        let planned = catch_unwind(AssertUnwindSafe(|| self.plan(unit)));
        planned.unwrap_or_else(|payload| Planned::Failed(unit.file, panic_message(payload.as_ref())))
    }

    /// Plans and reads a unit just taken and records the outcome on the board.
    fn work(&self, unit: Unit, reader: &mut FileReader<'_>) {
        let planned = self.plan_caught(unit);
        self.read(planned, reader);
    }

    /// Reads a planned unit and records the outcome on the board.
    fn read(&self, planned: Planned, reader: &mut FileReader<'_>) {
        let internal = |file: usize, why: &str| {
            Err(format!("{}: internal error reading \"{}\": {why}", self.function, self.files[file]))
        };
        let (unit, result) = match planned {
            Planned::Read(unit) => {
                let result = catch_unwind(AssertUnwindSafe(|| self.queue.process(&unit, reader)));
                (unit, result.unwrap_or_else(|payload| internal(unit.file, &panic_message(payload.as_ref()))))
            }
            // Skipped (`ignore_errors`): the file is done, with no output.
            Planned::Unreadable(file, why) => {
                let skipped = reader.unreadable::<()>(&self.files[file], why).map(|_| Some((file, None, 0)));
                (Unit::whole(file), skipped)
            }
            Planned::Failed(file, why) => (Unit::whole(file), internal(file, &why)),
        };
        let mut board = self.lock();
        board.in_flight -= 1;
        board.ahead -= unit.counted();
        match result {
            Ok(Some((file, output, bytes))) => {
                board.ahead += bytes;
                board.done.insert(file, (output, bytes));
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
    fn pop(&self, board: &mut Board) -> Option<(usize, Option<SessionOutput>)> {
        let (&first, _) = board.done.first_key_value()?;
        // Units are handed out in file order, so while one consumer reads, the lowest file
        // waiting is the next one exactly when that one is done.
        let earlier_pending = first != board.next_file && !(self.exhausted(board) && board.in_flight == 0);
        if board.consumers == 1 && earlier_pending {
            return None;
        }
        let (file, (output, bytes)) = board.done.pop_first()?;
        board.next_file = file + 1;
        board.ahead -= bytes;
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
                if let Some(unit) = self.take(&mut board) {
                    break Some(unit);
                }
                board = self.wait(board);
            };
            let Some(unit) = unit else {
                board.helpers -= 1;
                drop(board);
                self.changed.notify_all();
                return;
            };
            drop(board);
            self.work(unit, &mut reader);
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

/// One reserved reader thread, made only by [`reserve_readers`]. It is kept with the thread's
/// handle and dropped once the thread is joined (as soon as its work has ended, see
/// [`Scan::reap_helpers`], or at once when the thread never started), which gives it back: a
/// thread whose work has ended but that has not exited yet still counts.
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
    helpers: Mutex<Vec<(JoinHandle<()>, ReaderSlot)>>,
}

impl Scan {
    pub fn new(function: &'static str, bind: &ScanBind, needs: Needs) -> Self {
        let threads = bind.threads.max(1);
        let shared = Shared {
            function,
            queue: WorkQueue::new(),
            files: bind.files.clone(),
            needs,
            prices: bind.prices.clone(),
            ignore_errors: bind.ignore_errors,
            threads,
            window_bytes: bytes_setting("CLAUDE_USAGE_READ_AHEAD_BYTES", READ_AHEAD_BYTES)
                .saturating_mul(threads as u64),
            board: Mutex::new(Board {
                next_take: 0,
                parts: VecDeque::new(),
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

    /// Threads worth starting (a big file's parts are read by the scan's own reader threads).
    pub fn max_threads(&self) -> u64 {
        self.shared.files.len().clamp(1, 256) as u64
    }

    /// The next complete file for the calling DuckDB thread, or `None` when the scan is
    /// done. Unreadable files are skipped when `ignore_errors` is set.
    pub fn next_file(
        &self,
        local: &mut ThreadReader,
        bind: &ScanBind,
    ) -> Result<Option<(usize, SessionOutput)>, String> {
        loop {
            match self.next_outcome(local, bind)? {
                None => return Ok(None),
                Some((file, Some(output))) => return Ok(Some((file, output))),
                Some((_, None)) => continue,
            }
        }
    }

    /// [`Scan::next_file`], with the files skipped as unreadable too (their output `None`), for
    /// a consumer that must know every file's fate.
    pub fn next_outcome(
        &self,
        local: &mut ThreadReader,
        bind: &ScanBind,
    ) -> Result<Option<(usize, Option<SessionOutput>)>, String> {
        let shared = &*self.shared;
        self.reap_helpers();
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
                return Ok(Some((file, output)));
            }
            if let Some(unit) = shared.take(&mut board) {
                local.taken += 1;
                drop(board);
                // The unit is taken: nothing may unwind before `read` records it.
                let planned = shared.plan_caught(unit);
                // Helpers start once the query wants a second unit: a second file, or the
                // later parts of a big file just split. (A LIMIT that one small file satisfies
                // never starts them.)
                let split = matches!(planned, Planned::Read(first) if first.parts > 1 && unit.parts == 1);
                if local.taken == 2 || split {
                    let _ = catch_unwind(AssertUnwindSafe(|| self.start_helpers(bind)));
                }
                let fs = local.fs.as_ref().expect("file system was just created");
                shared.read(planned, &mut FileReader { shared, fs, lines: &mut local.lines });
                board = shared.lock();
                continue;
            }
            if shared.exhausted(&board) && board.in_flight == 0 && board.done.is_empty() {
                return Ok(None);
            }
            board = shared.wait(board);
        }
    }

    /// Starts the helper threads, once per scan: `threads` less the DuckDB threads scanning,
    /// within the process-wide budget.
    fn start_helpers(&self, bind: &ScanBind) {
        let shared = &*self.shared;
        let slots = {
            let mut board = shared.lock();
            if board.spawned || shared.threads <= board.consumers {
                return;
            }
            let slots = reserve_readers(shared.threads - board.consumers, shared.threads - 1);
            board.spawned = true;
            board.helpers += slots.len();
            slots
        };
        if !slots.is_empty() {
            self.spawn(slots, bind);
        }
    }

    /// Joins the helper threads whose work has ended and gives their slots back, so that other
    /// queries may start readers while this one goes on (checked at every file handed out).
    fn reap_helpers(&self) {
        let Ok(mut handles) = self.helpers.try_lock() else { return };
        if !handles.iter().any(|(h, _)| h.is_finished()) {
            return;
        }
        let (ended, running): (Vec<_>, Vec<_>) = handles.drain(..).partition(|(h, _)| h.is_finished());
        *handles = running;
        drop(handles);
        for (handle, slot) in ended {
            let _ = handle.join();
            drop(slot);
        }
    }

    /// Starts a helper thread per slot (fewer if the system refuses threads; a slot not used
    /// is given back as it drops).
    fn spawn(&self, slots: Vec<ReaderSlot>, bind: &ScanBind) {
        let mut handles = self.helpers.lock().unwrap_or_else(|e| e.into_inner());
        for slot in slots {
            let started = bind.file_system().ok().and_then(|fs| {
                let shared = Arc::clone(&self.shared);
                std::thread::Builder::new().name("claude_usage reader".into()).spawn(move || shared.help(fs)).ok()
            });
            match started {
                // The slot is given back once the thread is joined, not when its work ends:
                // until then the thread still exists.
                Some(handle) => handles.push((handle, slot)),
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
        for (handle, slot) in self.helpers.get_mut().unwrap_or_else(|e| e.into_inner()).drain(..) {
            let _ = handle.join();
            drop(slot);
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
    fn read(&mut self, file: usize, range: Range) -> Result<Option<Scanned>, String> {
        let path = self.shared.files[file].as_str();
        // (Only regular files get here: see `Shared::plan`.)
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
            let source = Cancellable { inner: handle, cancel };
            let read = lines.for_range(source, range, |n, bytes| {
                line.set(n);
                scanner.push_line(n, bytes);
            })?;
            // A range that is not the file's last ends at the first line that starts past it;
            // if the file ends first, it shrank (or its last line has no newline, and nothing
            // follows anyway).
            let short = range.end != u64::MAX && read.ended;
            Ok::<_, io::Error>(Scanned { scanner, lines: read.lines, short })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::event::EventView;
    use crate::transcript::Needs;

    /// A part of a three-part file, read from `lines` (one tool use each, ids `t<n>`).
    fn part(part: usize, lines: std::ops::Range<u64>, short: bool) -> (Unit, Scanned) {
        let mut scanner = SessionScanner::new("f", Needs::ALL);
        for (i, n) in lines.clone().enumerate() {
            let line = format!(
                r#"{{"type":"assistant","message":{{"content":[{{"type":"tool_use","id":"t{n}","name":"Bash"}}]}}}}"#
            );
            scanner.push_line(i as u64 + 1, line.as_bytes());
        }
        let unit = Unit { file: 0, range: Range::WHOLE, part, parts: 3, bytes: 1, file_bytes: 3 };
        (unit, Scanned { scanner, lines: lines.end - lines.start, short })
    }

    fn tool_ids(merged: Assembled) -> Vec<String> {
        let Assembled::Complete(scanner) = merged else { panic!("not complete") };
        let out = scanner.finish();
        out.views().map(|e: EventView<'_>| e.tool_id.unwrap_or("").to_owned()).collect()
    }

    fn assemble_all(parts: Vec<(Unit, Scanned)>) -> Vec<String> {
        let queue = WorkQueue { part_bytes: 1, assemblies: Mutex::new(HashMap::new()) };
        let mut last = None;
        for (unit, scanned) in parts {
            last = Some(queue.assemble(&unit, Some(scanned)));
        }
        tool_ids(last.expect("three parts"))
    }

    /// Parts are merged in order, whatever order they arrive in; a part that found the file
    /// short (it shrank while being read) ends the file, so what later parts read is dropped
    /// and the result stays a prefix.
    #[test]
    fn a_file_that_shrank_ends_at_its_first_short_part() {
        let whole = assemble_all(vec![part(2, 5..7, false), part(0, 1..3, false), part(1, 3..5, false)]);
        assert_eq!(whole, ["t1", "t2", "t3", "t4", "t5", "t6"]);
        let cut = assemble_all(vec![part(2, 5..7, false), part(0, 1..3, false), part(1, 3..5, true)]);
        assert_eq!(cut, ["t1", "t2", "t3", "t4"]);
        let cut = assemble_all(vec![part(1, 3..5, false), part(0, 1..3, true), part(2, 5..7, false)]);
        assert_eq!(cut, ["t1", "t2"]);
    }
}
