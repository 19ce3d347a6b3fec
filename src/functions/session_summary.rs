//! `session_summary(path [, ignore_errors := false] [, prices := NULL])`: one row per session
//! file (`path` NULL: the default session folder).

use crate::ffi::chunk::OutputChunk;
use crate::ffi::table::{BindInfo, InitInfo, TableFunction};
use crate::ffi::ColumnType::{self, Bigint, Double, Integer, Timestamp, Varchar};
use crate::transcript::summary::{Parts, PROCESSOR_VERSION};
use crate::transcript::{Needs, Summary};

use super::scan::{ScanBind, ScanGlobal, ThreadReader};

pub struct SessionSummary;

/// The result columns, in order, with the part of a summary each one reads: the scan
/// computes only those of the projected columns.
pub const COLUMNS: [(&str, ColumnType, Parts); 30] = [
    ("filename", Varchar, Parts::NONE),
    ("session_id", Varchar, Parts::NONE),
    ("started_at", Timestamp, Parts::TIMES),
    ("ended_at", Timestamp, Parts::TIMES),
    ("active_seconds", Bigint, Parts::TIMES),
    ("wall_seconds", Bigint, Parts::TIMES),
    ("user_messages", Bigint, Parts::NONE),
    ("assistant_messages", Bigint, Parts::NONE),
    ("tool_calls", Bigint, Parts::TOOLS),
    ("tool_errors", Bigint, Parts::ERRORS),
    ("skill_invocations", Bigint, Parts::SKILLS),
    ("subagent_dispatches", Bigint, Parts::TOOLS),
    ("mcp_calls", Bigint, Parts::TOOLS),
    ("slash_commands", Bigint, Parts::SLASH_COMMANDS),
    ("distinct_tools", Bigint, Parts::TOOLS),
    ("distinct_skills", Bigint, Parts::SKILLS),
    ("primary_model", Varchar, Parts::MODEL),
    ("input_tokens", Bigint, Parts::TOKENS),
    ("output_tokens", Bigint, Parts::TOKENS),
    ("cache_read_tokens", Bigint, Parts::TOKENS),
    ("cache_creation_tokens", Bigint, Parts::TOKENS),
    ("input_tokens_dedup", Bigint, Parts::TOKENS_DEDUP),
    ("output_tokens_dedup", Bigint, Parts::TOKENS_DEDUP),
    ("cache_read_tokens_dedup", Bigint, Parts::TOKENS_DEDUP),
    ("cache_creation_tokens_dedup", Bigint, Parts::TOKENS_DEDUP),
    ("cost_usd", Double, Parts::COST),
    ("unpriced_tokens", Bigint, Parts::COST),
    ("lines", Bigint, Parts::NONE),
    ("malformed_lines", Bigint, Parts::NONE),
    ("processor_version", Integer, Parts::NONE),
];

pub struct Local {
    reader: ThreadReader,
    rows: Vec<(usize, Summary)>,
}

impl TableFunction for SessionSummary {
    const NAME: &'static str = "session_summary";
    type Bind = ScanBind;
    type Global = ScanGlobal;
    type Local = Local;

    fn bind(info: &BindInfo) -> Result<ScanBind, String> {
        let bind = ScanBind::bind(Self::NAME, info, &COLUMNS)?;
        info.set_cardinality(bind.files.len() as u64, !bind.ignore_errors);
        Ok(bind)
    }

    fn init(info: &InitInfo, bind: &ScanBind) -> Result<ScanGlobal, String> {
        Ok(ScanGlobal::init(Self::NAME, info, bind, &COLUMNS, Parts::NONE, Needs::summary))
    }

    fn local_init(_bind: &ScanBind) -> Result<Local, String> {
        Ok(Local { reader: ThreadReader::default(), rows: Vec::new() })
    }

    fn scan(bind: &ScanBind, global: &ScanGlobal, local: &mut Local, out: &mut OutputChunk) -> Result<(), String> {
        local.rows.clear();
        // Small batches keep the files spread over threads.
        let batch = out.capacity().min(64);
        while local.rows.len() < batch {
            let Some((file, output)) = global.scan.next_file(&mut local.reader, bind)? else { break };
            if let Some(summary) = output.summary {
                local.rows.push((file, summary));
            }
        }
        write_summaries(out, &global.columns, &bind.files, &local.rows);
        Ok(())
    }
}

fn write_summaries(out: &mut OutputChunk, columns: &[usize], files: &[String], rows: &[(usize, Summary)]) {
    for (i, &col) in columns.iter().enumerate() {
        let mut v = out.column(i);
        for (r, (file, s)) in rows.iter().enumerate() {
            match col {
                0 => v.set_str(r, &files[*file]),
                1 => v.set_str(r, &s.session_id),
                2 => v.set_opt_i64(r, s.started_at),
                3 => v.set_opt_i64(r, s.ended_at),
                4 => v.set_i64(r, s.active_seconds),
                5 => v.set_i64(r, s.wall_seconds),
                6 => v.set_i64(r, s.user_messages),
                7 => v.set_i64(r, s.assistant_messages),
                8 => v.set_i64(r, s.tool_calls),
                9 => v.set_i64(r, s.tool_errors),
                10 => v.set_i64(r, s.skill_invocations),
                11 => v.set_i64(r, s.subagent_dispatches),
                12 => v.set_i64(r, s.mcp_calls),
                13 => v.set_i64(r, s.slash_commands),
                14 => v.set_i64(r, s.distinct_tools),
                15 => v.set_i64(r, s.distinct_skills),
                16 => v.set_opt_str(r, s.primary_model.as_deref()),
                17..=20 => v.set_i64(r, s.tokens[col - 17]),
                21..=24 => v.set_i64(r, s.tokens_dedup[col - 21]),
                25 => v.set_f64(r, s.cost_usd),
                26 => v.set_i64(r, s.unpriced_tokens),
                27 => v.set_i64(r, s.lines),
                28 => v.set_i64(r, s.malformed_lines),
                29 => v.set_i32(r, PROCESSOR_VERSION),
                _ => v.set_null(r),
            }
        }
    }
    out.set_len(rows.len());
}
