//! `read_claude_usage(path [, ignore_errors := false] [, dedup := true] [, prices := NULL])`:
//! one row per API request, de-duplicated across all files of the query and priced.
//!
//! Every file is read (in parallel, by the shared scanner) before the first row comes out: a
//! later file may hold the line of a request that is kept over an earlier file's. The files'
//! requests, already merged within each file, are collected; the thread that brings the last
//! file applies the keep rule across files in sorted path order ([`Dedup`]), and the rows are
//! then written by whichever threads still ask, chunk by chunk.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::ffi::chunk::OutputChunk;
use crate::ffi::table::{BindInfo, InitInfo, TableFunction};
use crate::ffi::ColumnType::{self, Bigint, Boolean, Double, Timestamp, Varchar};
use crate::transcript::event::Texts;
use crate::transcript::prices::{Price, PriceTable};
use crate::transcript::usage::{file_agent_id, project_of, Dedup, RequestSet};
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

/// One file's requests, as collected.
struct FileRequests {
    session_id: String,
    requests: RequestSet,
    texts: Texts,
}

/// The files' requests until every file is in, then the rows to write.
pub struct Global {
    scan: ScanGlobal,
    collected: Mutex<Collected>,
    rows: OnceLock<Rows>,
    /// Rows handed to writers so far.
    next_row: AtomicUsize,
}

#[derive(Default)]
struct Collected {
    /// By file index (`None`: not read, unreadable, or no requests).
    files: Vec<Option<FileRequests>>,
    /// DuckDB threads scanning that have not yet found the scan finished.
    scanning: usize,
}

/// Everything known once every file is in: the files with requests (in sorted path order),
/// the keep rule's verdicts, and the rows to write as (file, row) pairs.
struct Rows {
    files: Vec<(usize, FileRequests)>,
    dedup: Dedup,
    order: Vec<(u32, u32)>,
}

pub struct Local {
    reader: ThreadReader,
    started: bool,
    /// The model of the last row priced and its price row.
    last_price: Option<(String, Option<Price>)>,
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
        let files = (0..bind.files.len()).map(|_| None).collect();
        Ok(Global {
            scan,
            collected: Mutex::new(Collected { files, scanning: 0 }),
            rows: OnceLock::new(),
            next_row: AtomicUsize::new(0),
        })
    }

    fn local_init(_bind: &ScanBind) -> Result<Local, String> {
        Ok(Local { reader: ThreadReader::default(), started: false, last_price: None })
    }

    fn scan(bind: &ScanBind, global: &Global, local: &mut Local, out: &mut OutputChunk) -> Result<(), String> {
        if !local.started {
            local.started = true;
            collect(bind, global, local)?;
        }
        let Some(rows) = global.rows.get() else {
            // Another thread brings the last file and writes the rows.
            out.set_len(0);
            return Ok(());
        };
        let from = global.next_row.fetch_add(out.capacity(), Ordering::Relaxed).min(rows.order.len());
        let to = (from + out.capacity()).min(rows.order.len());
        write_rows(out, &global.scan.columns, bind, rows, &rows.order[from..to], local);
        out.set_len(to - from);
        Ok(())
    }
}

/// Reads files until the scan is done; the last thread to find it done builds the rows.
fn collect(bind: &ScanBind, global: &Global, local: &mut Local) -> Result<(), String> {
    lock(&global.collected).scanning += 1;
    let read = (|| {
        while let Some((file, output)) = global.scan.scan.next_file(&mut local.reader, bind)? {
            if !output.requests.is_empty() {
                let requests = FileRequests { session_id: output.session_id, requests: output.requests, texts: output.texts };
                lock(&global.collected).files[file] = Some(requests);
            }
        }
        Ok::<_, String>(())
    })();
    let mut collected = lock(&global.collected);
    collected.scanning -= 1;
    read?;
    if collected.scanning == 0 && global.rows.get().is_none() {
        let files = std::mem::take(&mut collected.files);
        drop(collected);
        let _ = global.rows.set(build_rows(files, bind.dedup));
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The keep rule across files, in sorted path order, and the rows to write: the kept ones,
/// or every line with `dedup := false`.
fn build_rows(files: Vec<Option<FileRequests>>, dedup: bool) -> Rows {
    let files: Vec<(usize, FileRequests)> =
        files.into_iter().enumerate().filter_map(|(i, f)| f.map(|f| (i, f))).collect();
    let mut verdicts = Dedup::default();
    for f in &files {
        verdicts.add_file(&f.1.requests, &f.1.texts, |i| {
            let f = &files[i as usize].1;
            (&f.requests, &f.texts)
        });
    }
    let mut order = Vec::new();
    for (i, (_, f)) in files.iter().enumerate() {
        for (j, r) in f.requests.rows.iter().enumerate() {
            if !dedup || verdicts.row(i as u32, j, r).kept {
                order.push((i as u32, j as u32));
            }
        }
    }
    Rows { files, dedup: verdicts, order }
}

/// The price row of `model`, remembered for the next row (rows come mostly in runs of one model).
fn price_of<'a>(last: &'a mut Option<(String, Option<Price>)>, prices: &PriceTable, model: &str) -> Option<&'a Price> {
    if last.as_ref().is_none_or(|(m, _)| m != model) {
        *last = Some((model.to_owned(), prices.lookup(model).cloned()));
    }
    last.as_ref().and_then(|(_, p)| p.as_ref())
}

fn write_rows(out: &mut OutputChunk, columns: &[usize], bind: &ScanBind, rows: &Rows, take: &[(u32, u32)], local: &mut Local) {
    // The price of each row, once, when a price column is projected.
    let priced = columns.iter().any(|&c| (25..=27).contains(&c));
    let costs: Vec<_> = if priced {
        take.iter()
            .map(|&(f, r)| {
                let file = &rows.files[f as usize].1;
                let req = &file.requests.rows[r as usize];
                let model = file.texts.opt(req.model)?;
                let price = price_of(&mut local.last_price, &bind.prices, model)?;
                let fast = file.texts.opt(req.speed) == Some("fast");
                Some((price.model.clone(), price.cost(&req.counts.priced(fast))))
            })
            .collect()
    } else {
        Vec::new()
    };
    for (i, &col) in columns.iter().enumerate() {
        let mut v = out.column(i);
        for (n, &(f, r)) in take.iter().enumerate() {
            let (index, file) = &rows.files[f as usize];
            let path = bind.files[*index].as_str();
            let req = &file.requests.rows[r as usize];
            let t = &file.texts;
            let c = &req.counts;
            match col {
                0 => v.set_str(n, path),
                1 => v.set_str(n, &file.session_id),
                2 => v.set_opt_str(n, t.opt(req.agent_id).or_else(|| file_agent_id(path))),
                3 => v.set_opt_str(n, project_of(path)),
                4 => v.set_opt_str(n, t.opt(req.cwd)),
                5 => v.set_opt_str(n, t.opt(req.git_branch)),
                6 => v.set_opt_str(n, t.opt(req.version)),
                7 => v.set_opt_str(n, t.opt(req.message_id)),
                8 => v.set_opt_str(n, t.opt(req.request_id)),
                9 => v.set_opt_i64(n, req.occurred_at),
                10 => v.set_i64(n, req.line_number as i64),
                11 => v.set_opt_str(n, t.opt(req.model)),
                12 => v.set_opt_str(n, t.opt(req.speed)),
                13 => v.set_opt_str(n, t.opt(req.service_tier)),
                14 => v.set_opt_bool(n, req.is_sidechain),
                15 => v.set_i64(n, c.input),
                16 => v.set_i64(n, c.output),
                17 => v.set_i64(n, c.cache_creation),
                18 => v.set_i64(n, c.cache_creation_5m()),
                19 => v.set_i64(n, c.cache_creation_1h),
                20 => v.set_i64(n, c.cache_read),
                21 => v.set_i64(n, c.web_search_requests),
                22 => v.set_i64(n, c.web_fetch_requests),
                23 => v.set_i64(n, rows.dedup.row(f, r as usize, req).duplicate_lines),
                24 => v.set_bool(n, rows.dedup.row(f, r as usize, req).kept),
                25 => v.set_opt_f64(n, costs[n].as_ref().and_then(|(_, c)| c.map(|c| c.usd))),
                26 => v.set_opt_str(n, costs[n].as_ref().filter(|(_, c)| c.is_some()).map(|(m, _)| m.as_str())),
                27 => v.set_opt_bool(n, costs[n].as_ref().and_then(|(_, c)| c.map(|c| c.long_context))),
                _ => v.set_null(n),
            }
        }
    }
}

