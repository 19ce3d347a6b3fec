//! `read_claude_usage(path [, ignore_errors := false] [, dedup := true] [, prices := NULL])`:
//! one row per API request, de-duplicated across all files of the query and priced.
//!
//! Every file is read (in parallel, by the shared scanner) before the first row comes out: a
//! later file may hold the line of a request that is kept over an earlier file's. Each file's
//! requests, already merged within the file, are packed into bytes ([`Packed`], about 90 a
//! request) and kept in memory up to a budget, past it in an unnamed scratch file, so memory
//! stays flat however many files a query reads. The thread that finds the scan done applies
//! the keep rule across files in sorted path order ([`Dedup`]: 4 bytes a row, about 40 a
//! request), and the rows are then written, file by file, by whichever threads still ask.

use std::cell::OnceCell;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::{Mutex, OnceLock};

use crate::ffi::chunk::OutputChunk;
use crate::ffi::table::{BindInfo, InitInfo, TableFunction};
use crate::ffi::ColumnType::{self, Bigint, Boolean, Double, Timestamp, Varchar};
use crate::transcript::usage::{file_agent_id, project_of, Dedup, Packed, RequestRow, Standing};
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
}

enum Stored {
    Memory(Vec<u8>),
    /// At `offset` in the scratch file, `len` bytes.
    Spilled { offset: u64, len: usize },
}

/// The files' requests until every file is in, then the rows to write.
pub struct Global {
    scan: ScanGlobal,
    collected: Mutex<Collected>,
    verdicts: OnceLock<Dedup>,
    /// Where the writers are: the next file (in sorted order) and row.
    cursor: Mutex<Cursor>,
}

#[derive(Default)]
struct Collected {
    /// By file index (`None`: not read, unreadable, or no requests).
    files: Vec<Option<FileRequests>>,
    /// DuckDB threads scanning that have not yet found the scan finished.
    scanning: usize,
    /// Packed bytes held in memory.
    in_memory: u64,
    budget: u64,
    scratch: Option<File>,
    scratch_len: u64,
}

impl Collected {
    /// Keeps a file's packed requests: in memory within the budget, else in the scratch file.
    fn store(&mut self, file: usize, session_id: String, packed: Packed) -> Result<(), String> {
        let len = packed.bytes.len();
        let bytes = if self.in_memory + len as u64 <= self.budget {
            self.in_memory += len as u64;
            Stored::Memory(packed.bytes)
        } else {
            let scratch = match &mut self.scratch {
                Some(f) => f,
                None => self.scratch.insert(
                    tempfile::tempfile().map_err(|e| format!("cannot create a scratch file: {e}"))?,
                ),
            };
            scratch.write_all_at(&packed.bytes, self.scratch_len).map_err(|e| format!("cannot write the scratch file: {e}"))?;
            let offset = self.scratch_len;
            self.scratch_len += len as u64;
            Stored::Spilled { offset, len }
        };
        self.files[file] = Some(FileRequests { session_id, dict: packed.dict, bytes });
        Ok(())
    }

    /// A file's packed bytes (read back from the scratch file into `buf` when spilled).
    fn bytes<'a>(&'a self, f: &'a FileRequests, buf: &'a mut Vec<u8>) -> Result<&'a [u8], String> {
        match &f.bytes {
            Stored::Memory(b) => Ok(b),
            Stored::Spilled { offset, len } => {
                buf.resize(*len, 0);
                let scratch = self.scratch.as_ref().ok_or("the scratch file is gone")?;
                scratch.read_exact_at(buf, *offset).map_err(|e| format!("cannot read the scratch file: {e}"))?;
                Ok(buf)
            }
        }
    }
}

/// The writers' position: file `file` (an index into the files, in sorted order), its rows
/// from byte `offset` of its packed bytes on, row number `row`.
#[derive(Default)]
struct Cursor {
    file: usize,
    offset: usize,
    row: usize,
    /// The verdict's index of the current file among the files with requests.
    rank: u32,
}

pub struct Local {
    reader: ThreadReader,
    started: bool,
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
        let budget = std::env::var("CLAUDE_USAGE_SPILL_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(MEMORY_BUDGET);
        let files = (0..bind.files.len()).map(|_| None).collect();
        Ok(Global {
            scan,
            collected: Mutex::new(Collected { files, budget, ..Collected::default() }),
            verdicts: OnceLock::new(),
            cursor: Mutex::new(Cursor::default()),
        })
    }

    fn local_init(_bind: &ScanBind) -> Result<Local, String> {
        Ok(Local { reader: ThreadReader::default(), started: false })
    }

    fn scan(bind: &ScanBind, global: &Global, local: &mut Local, out: &mut OutputChunk) -> Result<(), String> {
        if !local.started {
            local.started = true;
            collect(bind, global, local)?;
        }
        let Some(verdicts) = global.verdicts.get() else {
            // Another thread brings the last file and writes the rows.
            out.set_len(0);
            return Ok(());
        };
        write_chunk(out, bind, global, verdicts)
    }
}

/// Reads files until the scan is done, packing each file's requests; the last thread to find
/// the scan done applies the keep rule across the files.
fn collect(bind: &ScanBind, global: &Global, local: &mut Local) -> Result<(), String> {
    lock(&global.collected).scanning += 1;
    let read = (|| {
        while let Some((file, output)) = global.scan.scan.next_file(&mut local.reader, bind)? {
            if !output.requests.is_empty() {
                let packed = Packed::pack(&output.requests, &output.texts);
                drop(output.events);
                lock(&global.collected).store(file, output.session_id, packed)?;
            }
        }
        Ok::<_, String>(())
    })();
    let mut collected = lock(&global.collected);
    collected.scanning -= 1;
    read?;
    if collected.scanning == 0 && global.verdicts.get().is_none() {
        let mut verdicts = Dedup::default();
        let mut buf = Vec::new();
        for f in collected.files.iter().flatten() {
            let bytes = collected.bytes(f, &mut buf)?;
            verdicts.add_file(Packed::rows(&f.dict, bytes).map(|r| (r.key(), r.rank(), r.lines)));
        }
        drop(collected);
        let _ = global.verdicts.set(verdicts);
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes the next rows (the kept ones, or every line with `dedup := false`), in sorted file
/// order, into `out`.
fn write_chunk(out: &mut OutputChunk, bind: &ScanBind, global: &Global, verdicts: &Dedup) -> Result<(), String> {
    let collected = lock(&global.collected);
    let mut cursor = lock(&global.cursor);
    let cursor = &mut *cursor;
    // A spilled file read back (one per chunk: the rows borrow it).
    let spilled: OnceCell<Vec<u8>> = OnceCell::new();
    let mut rows: Vec<(usize, &str, RequestRow<'_>, Standing)> = Vec::new();
    // The files with requests, in sorted order, from the cursor's on.
    let mut files = collected.files.iter().enumerate().skip(cursor.file).filter_map(|(i, f)| f.as_ref().map(|f| (i, f)));
    while rows.len() < out.capacity() {
        let Some((index, f)) = files.next() else { break };
        let bytes: &[u8] = match &f.bytes {
            Stored::Memory(b) => b,
            Stored::Spilled { .. } => {
                if spilled.get().is_some() {
                    break;
                }
                let mut buf = Vec::new();
                collected.bytes(f, &mut buf)?;
                let _ = spilled.set(buf);
                spilled.get().expect("just set")
            }
        };
        if index != cursor.file {
            (cursor.file, cursor.offset, cursor.row) = (index, 0, 0);
        }
        let mut it = Packed::rows(&f.dict, &bytes[cursor.offset..]);
        while rows.len() < out.capacity() {
            let Some(r) = it.next() else { break };
            let standing = verdicts.standing(cursor.rank, cursor.row, r.lines);
            cursor.row += 1;
            if standing.kept || !bind.dedup {
                rows.push((index, f.session_id.as_str(), r, standing));
            }
        }
        cursor.offset = bytes.len() - it.remaining();
        if it.remaining() > 0 {
            break;
        }
        // The file is done: the next one starts at its beginning.
        (cursor.file, cursor.offset, cursor.row) = (index + 1, 0, 0);
        cursor.rank += 1;
    }
    write_rows(out, &global.scan.columns, bind, &rows);
    out.set_len(rows.len());
    Ok(())
}

fn write_rows(out: &mut OutputChunk, columns: &[usize], bind: &ScanBind, rows: &[(usize, &str, RequestRow<'_>, Standing)]) {
    // The price of each row, once, when a price column is projected.
    let priced = columns.iter().any(|&c| (25..=27).contains(&c));
    let costs: Vec<_> = if priced { rows.iter().map(|(_, _, r, _)| r.cost(&bind.prices)).collect() } else { Vec::new() };
    for (i, &col) in columns.iter().enumerate() {
        let mut v = out.column(i);
        for (n, (file, session_id, r, standing)) in rows.iter().enumerate() {
            let path = bind.files[*file].as_str();
            let c = &r.counts;
            match col {
                0 => v.set_str(n, path),
                1 => v.set_str(n, session_id),
                2 => v.set_opt_str(n, r.agent_id.or_else(|| file_agent_id(path))),
                3 => v.set_opt_str(n, project_of(path)),
                4 => v.set_opt_str(n, r.cwd),
                5 => v.set_opt_str(n, r.git_branch),
                6 => v.set_opt_str(n, r.version),
                7 => v.set_opt_str(n, r.message_id),
                8 => v.set_opt_str(n, r.request_id),
                9 => v.set_opt_i64(n, r.occurred_at),
                10 => v.set_i64(n, r.line_number as i64),
                11 => v.set_opt_str(n, r.model),
                12 => v.set_opt_str(n, r.speed),
                13 => v.set_opt_str(n, r.service_tier),
                14 => v.set_opt_bool(n, r.is_sidechain),
                15 => v.set_i64(n, c.input),
                16 => v.set_i64(n, c.output),
                17 => v.set_i64(n, c.cache_creation),
                18 => v.set_i64(n, c.cache_creation_5m()),
                19 => v.set_i64(n, c.cache_creation_1h),
                20 => v.set_i64(n, c.cache_read),
                21 => v.set_i64(n, c.web_search_requests),
                22 => v.set_i64(n, c.web_fetch_requests),
                23 => v.set_i64(n, standing.duplicate_lines),
                24 => v.set_bool(n, standing.kept),
                25 => v.set_opt_f64(n, costs[n].map(|(_, c)| c.usd)),
                26 => v.set_opt_str(n, costs[n].map(|(p, _)| p.model.as_str())),
                27 => v.set_opt_bool(n, costs[n].map(|(_, c)| c.long_context)),
                _ => v.set_null(n),
            }
        }
    }
}
