//! `claude_block_starts(ts [, hours])`: an aggregate over TIMESTAMP or TIMESTAMPTZ that
//! returns the billing blocks of the instants (the rule of [`crate::transcript::blocks`]:
//! ccusage's `blocks`, default 5 hours) as a list, in time order, of
//! `STRUCT(block_start, first_activity, after_gap BOOLEAN)` — the timestamps of the input's
//! type. A request belongs to the last block whose `first_activity` is at or before it (an
//! ASOF join), so blocks can be computed per group (per user on a server) with GROUP BY.
//! NULL instants are ignored; no rows give an empty list; `hours` NULL means 5, and the first
//! non-NULL `hours` of a group counts; `hours` that is not positive (or under a millisecond) is
//! an error.

use crate::ffi::aggregate::{struct_type, Instants, InstantsAggregate, Output};
use crate::ffi::{sys, LogicalType};
use crate::transcript::blocks::{block_length, block_starts_sorted, DEFAULT_BLOCK_HOURS};

pub struct ClaudeBlockStarts;

impl InstantsAggregate for ClaudeBlockStarts {
    const NAME: &'static str = "claude_block_starts";
    type Param = f64;

    /// `LIST(STRUCT(block_start, first_activity, after_gap BOOLEAN))`, timestamps of the
    /// input's type.
    fn return_type(ts: &LogicalType) -> LogicalType {
        let flag = LogicalType::new(sys::DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN);
        let row = struct_type(&[("block_start", ts), ("first_activity", ts), ("after_gap", &flag)]);
        LogicalType::list(&row)
    }

    fn check(hours: f64) -> Result<(), String> {
        match block_length(hours) {
            Some(_) => Ok(()),
            None => Err(format!("hours must be a positive number of hours (at least a millisecond), got {hours}")),
        }
    }

    fn finalize(state: &Instants<f64>, out: &mut Output<'_>, row: usize) -> Result<(), String> {
        // `check` saw the hours; the default is valid.
        let length = block_length(state.param.unwrap_or(DEFAULT_BLOCK_HOURS)).unwrap_or(5 * 3_600_000_000);
        let blocks = block_starts_sorted(&state.sorted(), length);
        let items: Vec<_> = blocks.iter().map(|b| (b.start, b.first_activity, b.after_gap)).collect();
        out.set_list_of_triples(row, &items)
    }
}
