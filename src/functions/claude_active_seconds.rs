//! `claude_active_seconds(ts [, gap_seconds])`: an aggregate over TIMESTAMP or TIMESTAMPTZ
//! that sums activity blocks, a new block starting after a gap over `gap_seconds` (default
//! 600): the reference's 10-minute rule across any set of rows. NULL instants are ignored; the
//! first non-NULL `gap_seconds` of a group counts.

use crate::ffi::aggregate::{Instants, InstantsAggregate, Output};
use crate::ffi::{sys, LogicalType};
use crate::transcript::summary::{active_seconds_sorted, DEFAULT_GAP_SECONDS};

pub struct ClaudeActiveSeconds;

impl InstantsAggregate for ClaudeActiveSeconds {
    const NAME: &'static str = "claude_active_seconds";
    type Param = i64;

    fn return_type(_ts: &LogicalType) -> LogicalType {
        LogicalType::new(sys::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT)
    }

    fn check(_gap_seconds: i64) -> Result<(), String> {
        Ok(())
    }

    fn finalize(state: &Instants<i64>, out: &mut Output<'_>, row: usize) -> Result<(), String> {
        let gap = state.param.unwrap_or(DEFAULT_GAP_SECONDS);
        out.set_i64(row, active_seconds_sorted(&state.sorted(), gap));
        Ok(())
    }
}
