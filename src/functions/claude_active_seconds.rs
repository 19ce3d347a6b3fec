//! `claude_active_seconds(ts [, gap_seconds])`: an aggregate over TIMESTAMP or TIMESTAMPTZ
//! that sums activity blocks, a new block starting after a gap over `gap_seconds` (default
//! 600): the reference's 10-minute rule across any set of rows.
//!
//! Registered through the raw C API (duckdb-rs has no aggregate API). Each state is a
//! pointer to a boxed list of instants; `combine` copies (in window frames the source is a
//! shared segment-tree node), `finalize` never mutates its source.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::ffi::{c_string, panic_message, sys, LogicalType};
use crate::transcript::summary::{active_seconds_sorted, DEFAULT_GAP_SECONDS};

const NAME: &str = "claude_active_seconds";

#[derive(Default, Clone)]
struct State {
    gap_seconds: Option<i64>,
    instants: Vec<i64>,
}

type StatePtr = *mut State;

/// Registers the four overloads: (TIMESTAMP | TIMESTAMPTZ) with and without `gap_seconds`.
///
/// # Safety
/// `con` must be a live connection.
pub unsafe fn register(con: sys::duckdb_connection) -> Result<(), String> {
    let name = c_string(NAME);
    // SAFETY: the set and its functions are configured, registered, then destroyed; DuckDB
    // keeps copies.
    unsafe {
        let mut set = sys::duckdb_create_aggregate_function_set(name.as_ptr());
        for ts_type in [sys::DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP, sys::DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_TZ] {
            for with_gap in [false, true] {
                let mut f = sys::duckdb_create_aggregate_function();
                sys::duckdb_aggregate_function_set_name(f, name.as_ptr());
                sys::duckdb_aggregate_function_add_parameter(f, LogicalType::new(ts_type).0);
                if with_gap {
                    sys::duckdb_aggregate_function_add_parameter(
                        f,
                        LogicalType::new(sys::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT).0,
                    );
                }
                sys::duckdb_aggregate_function_set_return_type(
                    f,
                    LogicalType::new(sys::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT).0,
                );
                sys::duckdb_aggregate_function_set_functions(
                    f,
                    Some(state_size),
                    Some(state_init),
                    Some(update),
                    Some(combine),
                    Some(finalize),
                );
                sys::duckdb_aggregate_function_set_destructor(f, Some(destroy));
                sys::duckdb_add_aggregate_function_to_set(set, f);
                sys::duckdb_destroy_aggregate_function(&mut f);
            }
        }
        let state = sys::duckdb_register_aggregate_function_set(con, set);
        sys::duckdb_destroy_aggregate_function_set(&mut set);
        if state != sys::duckdb_state_DuckDBSuccess {
            return Err(format!("could not register aggregate {NAME}"));
        }
    }
    Ok(())
}

/// Runs a callback body; a panic becomes an aggregate error instead of an abort.
fn guarded(info: sys::duckdb_function_info, body: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(body)) {
        let msg = c_string(&format!("{NAME}: internal error: {}", panic_message(payload.as_ref())));
        // SAFETY: valid function info; DuckDB copies the message.
        unsafe { sys::duckdb_aggregate_function_set_error(info, msg.as_ptr()) }
    }
}

unsafe extern "C" fn state_size(_info: sys::duckdb_function_info) -> sys::idx_t {
    std::mem::size_of::<StatePtr>() as sys::idx_t
}

unsafe extern "C" fn state_init(info: sys::duckdb_function_info, state: sys::duckdb_aggregate_state) {
    guarded(info, || {
        // SAFETY: DuckDB gives `state_size` bytes, 8-byte aligned, for this state.
        unsafe { state.cast::<StatePtr>().write(Box::into_raw(Box::<State>::default())) }
    });
}

unsafe extern "C" fn destroy(states: *mut sys::duckdb_aggregate_state, count: sys::idx_t) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        for i in 0..count as usize {
            // SAFETY: each state holds a pointer from `state_init` (or NULL after a failed init).
            unsafe {
                let slot = (*states.add(i)).cast::<StatePtr>();
                let ptr = slot.read();
                if !ptr.is_null() {
                    drop(Box::from_raw(ptr));
                    slot.write(std::ptr::null_mut());
                }
            }
        }
    }));
}

/// The state behind a state slot.
///
/// # Safety
/// `slot` must be a state initialised by `state_init`.
unsafe fn state_mut<'a>(slot: sys::duckdb_aggregate_state) -> &'a mut State {
    // SAFETY: guaranteed by the caller.
    unsafe { &mut *slot.cast::<StatePtr>().read() }
}

unsafe extern "C" fn update(
    info: sys::duckdb_function_info,
    input: sys::duckdb_data_chunk,
    states: *mut sys::duckdb_aggregate_state,
) {
    guarded(info, || {
        // SAFETY: the input has one TIMESTAMP(TZ) column and optionally a BIGINT column,
        // `rows` values each; `states` has one entry per row.
        unsafe {
            let rows = sys::duckdb_data_chunk_get_size(input) as usize;
            let columns = sys::duckdb_data_chunk_get_column_count(input);
            let ts_vec = sys::duckdb_data_chunk_get_vector(input, 0);
            let ts = sys::duckdb_vector_get_data(ts_vec).cast::<i64>();
            let ts_valid = sys::duckdb_vector_get_validity(ts_vec);
            let (gap, gap_valid) = if columns > 1 {
                let v = sys::duckdb_data_chunk_get_vector(input, 1);
                (sys::duckdb_vector_get_data(v).cast::<i64>(), sys::duckdb_vector_get_validity(v))
            } else {
                (std::ptr::null_mut(), std::ptr::null_mut())
            };
            let valid =
                |mask: *mut u64, row: usize| mask.is_null() || sys::duckdb_validity_row_is_valid(mask, row as u64);
            for row in 0..rows {
                let state = state_mut(*states.add(row));
                if state.gap_seconds.is_none() && !gap.is_null() && valid(gap_valid, row) {
                    state.gap_seconds = Some(*gap.add(row));
                }
                if valid(ts_valid, row) {
                    state.instants.push(*ts.add(row));
                }
            }
        }
    });
}

unsafe extern "C" fn combine(
    info: sys::duckdb_function_info,
    source: *mut sys::duckdb_aggregate_state,
    target: *mut sys::duckdb_aggregate_state,
    count: sys::idx_t,
) {
    guarded(info, || {
        for i in 0..count as usize {
            // SAFETY: both arrays hold `count` initialised states; the source is only read.
            unsafe {
                let src: &State = state_mut(*source.add(i));
                let dst = state_mut(*target.add(i));
                if dst.gap_seconds.is_none() {
                    dst.gap_seconds = src.gap_seconds;
                }
                dst.instants.extend_from_slice(&src.instants);
            }
        }
    });
}

unsafe extern "C" fn finalize(
    info: sys::duckdb_function_info,
    source: *mut sys::duckdb_aggregate_state,
    result: sys::duckdb_vector,
    count: sys::idx_t,
    offset: sys::idx_t,
) {
    guarded(info, || {
        // SAFETY: `result` is a BIGINT vector with room for offset + count values.
        unsafe {
            let out = sys::duckdb_vector_get_data(result).cast::<i64>();
            for i in 0..count as usize {
                let state: &State = state_mut(*source.add(i));
                let gap = state.gap_seconds.unwrap_or(DEFAULT_GAP_SECONDS);
                let seconds = if state.instants.is_sorted() {
                    active_seconds_sorted(&state.instants, gap)
                } else {
                    let mut sorted = state.instants.clone();
                    sorted.sort_unstable();
                    active_seconds_sorted(&sorted, gap)
                };
                *out.add(offset as usize + i) = seconds;
            }
        }
    });
}
