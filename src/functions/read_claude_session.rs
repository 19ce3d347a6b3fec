//! `read_claude_session(path [, ignore_errors := false])`: one row per event (`path` NULL:
//! the default session folder).

use std::ops::Range;

use crate::ffi::chunk::OutputChunk;
use crate::ffi::table::{BindInfo, InitInfo, TableFunction};
use crate::ffi::ColumnType::{self, Bigint, Boolean, Timestamp, Varchar};
use crate::transcript::{Fields, Needs, SessionOutput};

use super::scan::{reads, Scan, ScanBind, ThreadReader};

pub struct ReadClaudeSession;

/// The result columns, in order, with the parts of an event each one reads: the scan derives
/// and stores only those of the projected columns.
pub const COLUMNS: [(&str, ColumnType, Fields); 18] = [
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
];

pub struct Global {
    scan: Scan,
    columns: Vec<usize>,
}

/// One thread's current file and how many of its events were emitted.
pub struct Local {
    reader: ThreadReader,
    file: usize,
    current: Option<SessionOutput>,
    emitted: usize,
}

impl TableFunction for ReadClaudeSession {
    const NAME: &'static str = "read_claude_session";
    type Bind = ScanBind;
    type Global = Global;
    type Local = Local;

    fn bind(info: &BindInfo) -> Result<ScanBind, String> {
        let bind = ScanBind::bind(Self::NAME, info, &COLUMNS)?;
        info.set_cardinality(bind.files.len() as u64 * 1000, false);
        Ok(bind)
    }

    fn init(info: &InitInfo, bind: &ScanBind) -> Result<Global, String> {
        let columns = info.projected_columns();
        let scan = Scan::new(Self::NAME, bind, Needs::events(reads(&COLUMNS, &columns, Fields::NONE)));
        info.set_max_threads(scan.max_threads());
        Ok(Global { scan, columns })
    }

    fn local_init(_bind: &ScanBind) -> Result<Local, String> {
        Ok(Local { reader: ThreadReader::default(), file: 0, current: None, emitted: 0 })
    }

    fn scan(bind: &ScanBind, global: &Global, local: &mut Local, out: &mut OutputChunk) -> Result<(), String> {
        loop {
            if let Some(cur) = &local.current {
                if local.emitted < cur.events.len() {
                    let end = (local.emitted + out.capacity()).min(cur.events.len());
                    let path = &bind.files[local.file];
                    write_events(out, &global.columns, path, cur, local.emitted..end);
                    local.emitted = end;
                    return Ok(());
                }
            }
            local.current = None;
            let Some((file, output)) = global.scan.next_file(&mut local.reader, bind)? else {
                out.set_len(0);
                return Ok(());
            };
            local.file = file;
            local.emitted = 0;
            local.current = Some(output);
        }
    }
}

/// Writes events `rows` of one file's output.
fn write_events(out: &mut OutputChunk, columns: &[usize], path: &str, file: &SessionOutput, rows: Range<usize>) {
    let (session_id, texts, events) = (file.session_id.as_str(), &file.texts, &file.events[rows]);
    let mut id_buf = [0u8; 64];
    for (i, &col) in columns.iter().enumerate() {
        let mut v = out.column(i);
        // A chunk holds the events of one file: its name and session id are constant.
        let constant = match col {
            0 => Some(path),
            1 => Some(session_id),
            _ => None,
        };
        if let Some(value) = constant {
            v.set_constant_str(value);
            continue;
        }
        for (r, e) in events.iter().enumerate() {
            match col {
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
                _ => v.set_null(r),
            }
        }
    }
    out.set_len(events.len());
}
