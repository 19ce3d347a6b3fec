//! `read_claude_usage(path [, ignore_errors := false] [, dedup := true] [, prices := NULL])`:
//! one row per API request, de-duplicated across all files of the query and priced.
//!
//! Every file is read (in parallel, by the shared scanner) before the first row comes out: a
//! later file may hold the line of a request that is kept over an earlier file's. Each file's
//! requests, already merged within the file, are packed into bytes ([`Packed`], about 90 a
//! request) and kept in memory up to a budget, past it in an unnamed scratch file, so memory
//! stays flat however many files a query reads. The keep rule across files ([`Dedup`]: 4 bytes
//! a row, about 40 a request) is applied in sorted path order while files come in, as far as
//! every earlier file is in; the thread that finds the scan done finishes it, and the rows are
//! then written file by file by every thread still asking, in parallel.

use std::cell::OnceCell;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use crate::ffi::chunk::OutputChunk;
use crate::ffi::panic_message;
use crate::ffi::table::{BindInfo, InitInfo, TableFunction};
use crate::ffi::ColumnType::{self, Bigint, Boolean, Double, Timestamp, Varchar};
use crate::transcript::prices::Price;
use crate::transcript::usage::{file_agent_id, project_of, Dedup, Packed, PackedFile, Rank, RequestRow, Standing};
use crate::transcript::Needs;

use super::scan::{ScanBind, ScanGlobal, ThreadReader};

pub struct ReadClaudeUsage;

/// The result columns, in order. (Every column comes from the same stored request, so the
/// projection does not change what is read.)
pub const COLUMNS: [(&str, ColumnType, bool); 28] = [
    ("filename", Varchar, true),
    ("session_id", Varchar, true),
    ("agent_id", Varchar, true),
    ("project", Varchar, true),
    ("cwd", Varchar, true),
    ("git_branch", Varchar, true),
    ("version", Varchar, true),
    ("message_id", Varchar, true),
    ("request_id", Varchar, true),
    ("occurred_at", Timestamp, true),
    ("line_number", Bigint, true),
    ("model", Varchar, true),
    ("speed", Varchar, true),
    ("service_tier", Varchar, true),
    ("is_sidechain", Boolean, true),
    ("input_tokens", Bigint, true),
    ("output_tokens", Bigint, true),
    ("cache_creation_tokens", Bigint, true),
    ("cache_creation_5m_tokens", Bigint, true),
    ("cache_creation_1h_tokens", Bigint, true),
    ("cache_read_tokens", Bigint, true),
    ("web_search_requests", Bigint, true),
    ("web_fetch_requests", Bigint, true),
    ("duplicate_lines", Bigint, true),
    ("kept", Boolean, true),
    ("cost_usd", Double, true),
    ("priced_as", Varchar, true),
    ("long_context", Boolean, true),
];

/// Packed requests kept in memory, in bytes, before later files go to a scratch file
/// (`CLAUDE_USAGE_SPILL_BYTES` overrides it; tests use a tiny budget).
const MEMORY_BUDGET: u64 = 4 << 20;

/// One file's requests, as collected: packed, in memory or in the scratch file.
struct FileRequests {
    session_id: String,
    dict: Vec<String>,
    bytes: Stored,
    /// Per row, what the keep rule reads, until it is applied.
    verdict_input: Vec<(Option<u128>, Rank, i64)>,
}

enum Stored {
    Memory(Vec<u8>),
    /// At `offset` in the scratch file, `len` bytes.
    Spilled {
        offset: u64,
        len: usize,
    },
}

/// The files' requests while they are read, then everything the writers need.
pub struct Global {
    scan: ScanGlobal,
    collected: Mutex<Collected>,
    /// Signalled when `ready` is set or a thread failed: threads that finished reading wait
    /// for it, to take part in writing.
    finished: Condvar,
    ready: OnceLock<Ready>,
    /// The next file (a position in `Ready::files`) a writer takes.
    next_file: AtomicUsize,
}

/// What the reading threads build: the files' packed requests, and the keep rule applied to
/// the files read so far in sorted order (so that little is left to do when the last file is in).
#[derive(Default)]
struct Collected {
    /// By file index (`None`: not read yet, unreadable, or no requests).
    files: Vec<Option<FileRequests>>,
    /// By file index: handed out by the scan (its requests, if any, are in `files`).
    done: Vec<bool>,
    /// Files before this index have been added to `verdicts` (those with requests).
    added: usize,
    verdicts: Dedup,
    /// DuckDB threads scanning that have not yet found the scan finished.
    scanning: usize,
    /// A thread's reading failed: the query fails, nobody waits for the rest.
    failed: bool,
    /// Packed bytes held in memory, and the most that may be.
    in_memory: u64,
    budget: u64,
    scratch: Option<Arc<File>>,
    scratch_len: u64,
}

/// Packed bytes to write into the scratch file, at `offset`, once the lock is released.
struct Spill {
    file: Arc<File>,
    offset: u64,
    bytes: Vec<u8>,
}

impl Spill {
    fn write(self) -> Result<(), String> {
        self.file.write_all_at(&self.bytes, self.offset).map_err(|e| format!("cannot write the scratch file: {e}"))
    }
}

/// Once every file is in: the files with requests in sorted order (their position is their
/// index in `verdicts`), the verdicts, and the scratch file.
struct Ready {
    files: Vec<(usize, FileRequests)>,
    verdicts: Dedup,
    scratch: Option<Arc<File>>,
}

impl Collected {
    /// Keeps a file's packed requests: in memory within the budget, else in the scratch file,
    /// at a place reserved here and written by the caller once the lock is released (no
    /// thread reads a file's bytes before every thread has finished reading).
    fn store(&mut self, file: usize, session_id: String, packed: PackedFile) -> Result<Option<Spill>, String> {
        let PackedFile { packed, verdict_input } = packed;
        let len = packed.bytes.len();
        let (bytes, spill) = if self.in_memory + len as u64 <= self.budget {
            self.in_memory += len as u64;
            (Stored::Memory(packed.bytes), None)
        } else {
            let scratch = match &self.scratch {
                Some(f) => Arc::clone(f),
                None => {
                    let f = tempfile::tempfile().map_err(|e| format!("cannot create a scratch file: {e}"))?;
                    Arc::clone(self.scratch.insert(Arc::new(f)))
                }
            };
            let offset = self.scratch_len;
            self.scratch_len += len as u64;
            (Stored::Spilled { offset, len }, Some(Spill { file: scratch, offset, bytes: packed.bytes }))
        };
        self.files[file] = Some(FileRequests { session_id, dict: packed.dict, bytes, verdict_input });
        Ok(spill)
    }

    /// Adds the files in sorted order to the verdicts, as far as every earlier file is done
    /// (`all`: every file, the scan being over).
    fn advance(&mut self, all: bool) {
        while self.added < self.files.len() && (all || self.done[self.added]) {
            if let Some(f) = &mut self.files[self.added] {
                self.verdicts.add_file(std::mem::take(&mut f.verdict_input).into_iter());
            }
            self.added += 1;
        }
    }
}

/// A file's packed bytes (read back from the scratch file into `buf` when spilled).
fn read_back<'a>(f: &'a FileRequests, scratch: Option<&Arc<File>>, buf: &'a mut Vec<u8>) -> Result<&'a [u8], String> {
    match &f.bytes {
        Stored::Memory(b) => Ok(b),
        Stored::Spilled { offset, len } => {
            buf.resize(*len, 0);
            let scratch = scratch.ok_or("the scratch file is gone")?;
            scratch.read_exact_at(buf, *offset).map_err(|e| format!("cannot read the scratch file: {e}"))?;
            Ok(buf)
        }
    }
}

/// A writer's place: the file (a position in `Ready::files`), the byte offset of its next row
/// and that row's number.
#[derive(Clone, Copy)]
struct Place {
    file: usize,
    offset: usize,
    row: usize,
}

pub struct Local {
    reader: ThreadReader,
    started: bool,
    place: Option<Place>,
    /// The spilled file this thread is writing, read back once (a position in
    /// `Ready::files`, its bytes).
    spilled: OnceCell<(usize, Vec<u8>)>,
}

impl TableFunction for ReadClaudeUsage {
    const NAME: &'static str = "read_claude_usage";
    type Bind = ScanBind;
    type Global = Global;
    type Local = Local;

    fn bind(info: &BindInfo) -> Result<ScanBind, String> {
        let bind = ScanBind::bind(Self::NAME, info, &COLUMNS)?;
        info.set_cardinality(bind.files.len() as u64 * 100, false);
        Ok(bind)
    }

    fn init(info: &InitInfo, bind: &ScanBind) -> Result<Global, String> {
        let every_line = !bind.dedup;
        let scan = ScanGlobal::init(Self::NAME, info, bind, &COLUMNS, false, |_| Needs::requests(every_line));
        let budget =
            std::env::var("CLAUDE_USAGE_SPILL_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(MEMORY_BUDGET);
        let n = bind.files.len();
        let collected =
            Collected { files: (0..n).map(|_| None).collect(), done: vec![false; n], budget, ..Collected::default() };
        Ok(Global {
            scan,
            collected: Mutex::new(collected),
            finished: Condvar::new(),
            ready: OnceLock::new(),
            next_file: AtomicUsize::new(0),
        })
    }

    fn local_init(_bind: &ScanBind) -> Result<Local, String> {
        Ok(Local { reader: ThreadReader::default(), started: false, place: None, spilled: OnceCell::new() })
    }

    fn scan(bind: &ScanBind, global: &Global, local: &mut Local, out: &mut OutputChunk) -> Result<(), String> {
        if !local.started {
            local.started = true;
            collect(bind, global, local)?;
        }
        let Some(ready) = global.ready.get() else {
            // Another thread failed.
            out.set_len(0);
            return Ok(());
        };
        // A chunk stops before a second spilled file; one that stopped there with no row (the
        // first had no kept row) must not end this thread's scan: go on with the next.
        loop {
            let rows = write_chunk(out, bind, global, ready, local)?;
            if rows > 0 || local.place.is_none() {
                return Ok(());
            }
        }
    }
}

/// Reads files until the scan is done, packing each file's requests and applying the keep rule
/// to the files in order as far as they are in; the last thread to find the scan done finishes
/// the rule and hands everything to the writers.
fn collect(bind: &ScanBind, global: &Global, local: &mut Local) -> Result<(), String> {
    lock(&global.collected).scanning += 1;
    // Whatever happens (an error, a panic), the waiting threads must hear of it.
    let read = catch_unwind(AssertUnwindSafe(|| {
        while let Some((file, output)) = global.scan.scan.next_outcome(&mut local.reader, bind)? {
            let mut collected = lock(&global.collected);
            let mut spill = None;
            if let Some(output) = output {
                if let Some(packed) = output.requests.filter(|p| !p.is_empty()) {
                    spill = collected.store(file, output.session_id, packed)?;
                }
            }
            // Skipped as unreadable, or read: done either way.
            collected.done[file] = true;
            collected.advance(false);
            drop(collected);
            if let Some(spill) = spill {
                spill.write()?;
            }
        }
        Ok::<_, String>(())
    }))
    .unwrap_or_else(|p| Err(format!("read_claude_usage: internal error: {}", panic_message(p.as_ref()))));
    let mut collected = lock(&global.collected);
    collected.scanning -= 1;
    let finish = read.and_then(|()| {
        let build = catch_unwind(AssertUnwindSafe(|| {
            if collected.scanning > 0 || global.ready.get().is_some() {
                return Ok(());
            }
            collected.advance(true);
            let files = std::mem::take(&mut collected.files).into_iter().enumerate();
            let ready = Ready {
                files: files.filter_map(|(i, f)| f.map(|f| (i, f))).collect(),
                verdicts: std::mem::take(&mut collected.verdicts),
                scratch: collected.scratch.take(),
            };
            let _ = global.ready.set(ready);
            Ok(())
        }));
        build.unwrap_or_else(|p| Err(format!("read_claude_usage: internal error: {}", panic_message(p.as_ref()))))
    });
    if finish.is_err() {
        collected.failed = true;
    }
    global.finished.notify_all();
    finish?;
    // Wait for the last file (read by another thread), then help write the rows.
    while global.ready.get().is_none() && !collected.failed {
        collected = global.finished.wait(collected).unwrap_or_else(|e| e.into_inner());
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes the next rows of this thread's files (the kept ones, or every line with
/// `dedup := false`) into `out`; a thread takes the next file when its own is done, so the
/// writers work in parallel.
fn write_chunk(
    out: &mut OutputChunk,
    bind: &ScanBind,
    global: &Global,
    ready: &Ready,
    local: &mut Local,
) -> Result<usize, String> {
    // The spilled file read back is kept across chunks while this thread writes it; a chunk
    // reads back at most one (its rows borrow the bytes).
    if local.spilled.get().is_some_and(|(file, _)| local.place.is_none_or(|p| p.file != *file)) {
        local.spilled.take();
    }
    let (spilled, place_slot) = (&local.spilled, &mut local.place);
    let mut rows: Vec<(usize, &str, RequestRow<'_>, Standing)> = Vec::new();
    while rows.len() < out.capacity() {
        let place = match *place_slot {
            Some(p) => p,
            None => {
                let file = global.next_file.fetch_add(1, Ordering::Relaxed);
                if file >= ready.files.len() {
                    break;
                }
                Place { file, offset: 0, row: 0 }
            }
        };
        let (index, f) = &ready.files[place.file];
        let bytes: &[u8] = match &f.bytes {
            Stored::Memory(b) => b,
            Stored::Spilled { .. } => match spilled.get() {
                Some((file, bytes)) if *file == place.file => bytes,
                Some(_) => {
                    *place_slot = Some(place);
                    break;
                }
                None => {
                    let mut buf = Vec::new();
                    read_back(f, ready.scratch.as_ref(), &mut buf)?;
                    let _ = spilled.set((place.file, buf));
                    &spilled.get().expect("just set").1
                }
            },
        };
        let mut it = Packed::rows(&f.dict, &bytes[place.offset..]);
        let mut row = place.row;
        while rows.len() < out.capacity() {
            let Some(r) = it.next() else { break };
            let standing = ready.verdicts.standing(place.file as u32, row, r.lines);
            row += 1;
            if standing.kept || !bind.dedup {
                rows.push((*index, f.session_id.as_str(), r, standing));
            }
        }
        let offset = bytes.len() - it.remaining();
        *place_slot = (it.remaining() > 0).then_some(Place { file: place.file, offset, row });
    }
    write_rows(out, &global.scan.columns, bind, &rows);
    out.set_len(rows.len());
    Ok(rows.len())
}

fn write_rows(
    out: &mut OutputChunk,
    columns: &[usize],
    bind: &ScanBind,
    rows: &[(usize, &str, RequestRow<'_>, Standing)],
) {
    // The price of each row, once, when a price column is projected (rows come in runs of one
    // model: its price row is looked up once a run).
    let priced = columns.iter().any(|&c| (25..=27).contains(&c));
    let mut last: Option<(&str, Option<&Price>)> = None;
    let costs: Vec<_> = if priced {
        rows.iter()
            .map(|(_, _, r, _)| {
                let model = r.model?;
                let price = match last {
                    Some((m, p)) if m == model => p,
                    _ => {
                        let p = bind.prices.lookup(model);
                        last = Some((model, p));
                        p
                    }
                }?;
                Some((price, price.cost(&r.counts.priced(r.speed == Some("fast")))?))
            })
            .collect()
    } else {
        Vec::new()
    };
    // What a row's path gives (its project, the agent of its file name), once a file.
    let mut per_file: Option<(usize, Option<&str>, Option<&str>)> = None;
    let paths: Vec<(&str, Option<&str>, Option<&str>)> = if columns.iter().any(|&c| c == 2 || c == 3) {
        rows.iter()
            .map(|(file, ..)| {
                let path = bind.files[*file].as_str();
                match per_file {
                    Some((f, p, a)) if f == *file => (path, p, a),
                    _ => {
                        let (p, a) = (project_of(path), file_agent_id(path));
                        per_file = Some((*file, p, a));
                        (path, p, a)
                    }
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    for (i, &col) in columns.iter().enumerate() {
        let mut v = out.column(i);
        // One loop per column, the column chosen once.
        macro_rules! fill {
            ($set:ident, |$n:ident, $row:pat_param| $value:expr) => {
                for ($n, $row) in rows.iter().enumerate() {
                    v.$set($n, $value)
                }
            };
        }
        match col {
            0 => fill!(set_str, |_n, (file, ..)| &bind.files[*file]),
            1 => fill!(set_str, |_n, (_, session_id, ..)| session_id),
            2 => fill!(set_opt_str, |n, (_, _, r, _)| r.agent_id.or(paths[n].2)),
            3 => fill!(set_opt_str, |n, _| paths[n].1),
            4 => fill!(set_opt_str, |_n, (_, _, r, _)| r.cwd),
            5 => fill!(set_opt_str, |_n, (_, _, r, _)| r.git_branch),
            6 => fill!(set_opt_str, |_n, (_, _, r, _)| r.version),
            7 => fill!(set_opt_str, |_n, (_, _, r, _)| r.message_id),
            8 => fill!(set_opt_str, |_n, (_, _, r, _)| r.request_id),
            9 => fill!(set_opt_i64, |_n, (_, _, r, _)| r.occurred_at),
            10 => fill!(set_i64, |_n, (_, _, r, _)| r.line_number as i64),
            11 => fill!(set_opt_str, |_n, (_, _, r, _)| r.model),
            12 => fill!(set_opt_str, |_n, (_, _, r, _)| r.speed),
            13 => fill!(set_opt_str, |_n, (_, _, r, _)| r.service_tier),
            14 => fill!(set_opt_bool, |_n, (_, _, r, _)| r.is_sidechain),
            15 => fill!(set_i64, |_n, (_, _, r, _)| r.counts.input),
            16 => fill!(set_i64, |_n, (_, _, r, _)| r.counts.output),
            17 => fill!(set_i64, |_n, (_, _, r, _)| r.counts.cache_creation),
            18 => fill!(set_i64, |_n, (_, _, r, _)| r.counts.cache_creation_5m()),
            19 => fill!(set_i64, |_n, (_, _, r, _)| r.counts.cache_creation_1h),
            20 => fill!(set_i64, |_n, (_, _, r, _)| r.counts.cache_read),
            21 => fill!(set_i64, |_n, (_, _, r, _)| r.counts.web_search_requests),
            22 => fill!(set_i64, |_n, (_, _, r, _)| r.counts.web_fetch_requests),
            23 => fill!(set_i64, |_n, (_, _, _, standing)| standing.duplicate_lines),
            24 => fill!(set_bool, |_n, (_, _, _, standing)| standing.kept),
            25 => fill!(set_opt_f64, |n, _| costs[n].map(|(_, c)| c.usd)),
            26 => fill!(set_opt_str, |n, _| costs[n].map(|(p, _)| p.model.as_str())),
            27 => fill!(set_opt_bool, |n, _| costs[n].map(|(_, c)| c.long_context)),
            _ => {
                for n in 0..rows.len() {
                    v.set_null(n);
                }
            }
        }
    }
}
