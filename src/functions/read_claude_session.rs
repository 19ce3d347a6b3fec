//! `read_claude_session(path [, ignore_errors := false])`: one row per event (`path` NULL:
//! the default session folder).

use std::ops::Range;

use crate::ffi::chunk::OutputChunk;
use crate::ffi::table::{BindInfo, InitInfo, TableFunction};
use crate::ffi::ColumnType::{self, Bigint, Boolean, Timestamp, Varchar};
use crate::transcript::usage::file_agent_id;
use crate::transcript::{Fields, Needs, SessionOutput};

use super::scan::{ScanBind, ScanGlobal, ThreadReader};

pub struct ReadClaudeSession;

/// The result columns, in order, with the parts of an event each one reads: the scan derives
/// and stores only those of the projected columns.
pub const COLUMNS: [(&str, ColumnType, Fields); 20] = [
    ("filename", Varchar, Fields::NONE),
    ("session_id", Varchar, Fields::NONE),
    ("id", Varchar, Fields::ID),
    ("event_uuid", Varchar, Fields::EVENT_UUID),
    ("parent_uuid", Varchar, Fields::PARENT_UUID),
    ("tool_id", Varchar, Fields::TOOL_ID),
    ("event_type", Varchar, Fields::NONE),
    ("tool_name", Varchar, Fields::TOOL_NAME),
    ("skill_name", Varchar, Fields::SKILL_NAME),
    ("subagent_type", Varchar, Fields::SUBAGENT_TYPE),
    ("command_name", Varchar, Fields::COMMAND_NAME),
    ("is_error", Boolean, Fields::IS_ERROR),
    ("model", Varchar, Fields::MODEL),
    ("cwd", Varchar, Fields::CWD),
    ("occurred_at", Timestamp, Fields::OCCURRED_AT),
    ("line_number", Bigint, Fields::NONE),
    ("is_sidechain", Boolean, Fields::IS_SIDECHAIN),
    ("tool_input", Varchar, Fields::TOOL_INPUT),
    ("agent_id", Varchar, Fields::AGENT_ID),
    ("spawned_agent_id", Varchar, Fields::SPAWNED_AGENT_ID),
];

/// One thread's file whose events are being emitted (the file, its output, and how many of its
/// events are written), and how many chunks it has written.
pub struct Local {
    reader: ThreadReader,
    current: Option<(usize, SessionOutput, usize)>,
    chunks: usize,
}

/// Some events of one file, for one chunk.
struct Piece {
    file: usize,
    output: SessionOutput,
    rows: Range<usize>,
}

/// Rows a chunk is filled to before it is handed on. Small chunks cost DuckDB the same per
/// chunk as full ones in every operator (a file holds 44 events on average in the benchmark
/// corpus, and its per-chunk work made `count(DISTINCT ...)` cost 40 ms instead of 3), so chunks
/// are filled across files: the first chunk of a thread with one file (the first rows, and a
/// `LIMIT`, need one file read), then 256, 512, ... up to DuckDB's vector size.
fn chunk_target(chunks: usize, capacity: usize) -> usize {
    match chunks {
        0 => 1,
        n => (256usize << (n - 1).min(8)).min(capacity),
    }
}

impl TableFunction for ReadClaudeSession {
    const NAME: &'static str = "read_claude_session";
    type Bind = ScanBind;
    type Global = ScanGlobal;
    type Local = Local;

    fn bind(info: &BindInfo) -> Result<ScanBind, String> {
        let bind = ScanBind::bind(Self::NAME, info, &COLUMNS)?;
        info.set_cardinality(bind.files.len() as u64 * 1000, false);
        Ok(bind)
    }

    fn init(info: &InitInfo, bind: &ScanBind) -> Result<ScanGlobal, String> {
        Ok(ScanGlobal::init(Self::NAME, info, bind, &COLUMNS, Fields::NONE, Needs::events))
    }

    fn local_init(_bind: &ScanBind) -> Result<Local, String> {
        Ok(Local { reader: ThreadReader::default(), current: None, chunks: 0 })
    }

    fn scan(bind: &ScanBind, global: &ScanGlobal, local: &mut Local, out: &mut OutputChunk) -> Result<(), String> {
        let capacity = out.capacity();
        let target = chunk_target(local.chunks, capacity);
        let mut pieces = Vec::new();
        let mut rows = 0;
        while rows < target {
            let (file, output, from) = match local.current.take() {
                Some(current) => current,
                None => match global.scan.next_file(&mut local.reader, bind)? {
                    Some((file, output)) => (file, output, 0),
                    None => break,
                },
            };
            let to = output.events.len().min(from + capacity - rows);
            rows += to - from;
            if from < to {
                pieces.push(Piece { file, output, rows: from..to });
            }
        }
        write_events(out, &global.columns, &bind.files, &pieces);
        out.set_len(rows);
        local.chunks += 1;
        // A file with events left goes on in the next chunk.
        if let Some(last) = pieces.pop() {
            if last.rows.end < last.output.events.len() {
                local.current = Some((last.file, last.output, last.rows.end));
            }
        }
        Ok(())
    }
}

/// Writes the events of `pieces`, one after the other, into the projected columns.
fn write_events(out: &mut OutputChunk, columns: &[usize], files: &[String], pieces: &[Piece]) {
    let mut id_buf = [0u8; 64];
    for (i, &col) in columns.iter().enumerate() {
        let mut v = out.column(i);
        // A chunk of one file has a constant name and session id.
        if let ([piece], 0 | 1) = (pieces, col) {
            v.set_constant_str(if col == 0 { &files[piece.file] } else { &piece.output.session_id });
            continue;
        }
        let mut r = 0;
        for piece in pieces {
            let (path, session_id) = (files[piece.file].as_str(), piece.output.session_id.as_str());
            let file_agent = if col == 18 { file_agent_id(path) } else { None };
            let texts = &piece.output.texts;
            for e in &piece.output.events[piece.rows.clone()] {
                match col {
                    0 => v.set_str(r, path),
                    1 => v.set_str(r, session_id),
                    2 => v.set_str(r, e.id_into(session_id, texts, &mut id_buf)),
                    3 => v.set_opt_str(r, texts.opt(e.event_uuid)),
                    4 => v.set_opt_str(r, texts.opt(e.parent_uuid)),
                    5 => v.set_opt_str(r, texts.opt(e.tool_id)),
                    6 => v.set_str(r, e.event_type.as_str()),
                    7 => v.set_opt_str(r, texts.opt(e.tool_name)),
                    8 => v.set_opt_str(r, texts.opt(e.skill_name)),
                    9 => v.set_opt_str(r, texts.opt(e.subagent_type)),
                    10 => v.set_opt_str(r, texts.opt(e.command_name)),
                    11 => v.set_bool(r, e.is_error),
                    12 => v.set_opt_str(r, texts.opt(e.model)),
                    13 => v.set_opt_str(r, texts.opt(e.cwd)),
                    14 => v.set_opt_i64(r, e.occurred_at),
                    15 => v.set_i64(r, e.line_number as i64),
                    16 => v.set_opt_bool(r, e.is_sidechain),
                    17 => v.set_opt_str(r, texts.opt(e.tool_input)),
                    18 => v.set_opt_str(r, texts.opt(e.agent_id).or(file_agent)),
                    19 => v.set_opt_str(r, texts.opt(e.spawned_agent_id)),
                    _ => v.set_null(r),
                }
                r += 1;
            }
        }
    }
}
