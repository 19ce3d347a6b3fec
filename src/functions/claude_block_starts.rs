//! `claude_block_starts(ts [, hours])`: an aggregate over TIMESTAMP or TIMESTAMPTZ that
//! returns the billing blocks of the instants (the rule of [`crate::transcript::blocks`]:
//! ccusage's `blocks`, default 5 hours) as a list, in time order, of
//! `STRUCT(block_start, first_activity, after_gap BOOLEAN)` — the timestamps of the input's
//! type. A request belongs to the last block whose `first_activity` is at or before it (an
//! ASOF join), so blocks can be computed per group (per user on a server) with GROUP BY.
//! NULL instants are ignored; no rows give an empty list; `hours` NULL means 5, and the first
//! non-NULL `hours` of a group counts; `hours` that is not positive (or under a millisecond) is
//! an error.
//!
//! Registered through the raw C API like `claude_active_seconds`: each state is a pointer to a
//! boxed list of instants; `combine` copies (in window frames the source is a shared
//! segment-tree node), `finalize` never mutates its source.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::ffi::{c_string, panic_message, sys, LogicalType};
use crate::transcript::blocks::{block_length, block_starts_sorted, BlockStart, DEFAULT_BLOCK_HOURS};

const NAME: &str = "claude_block_starts";

/// The struct's fields, in order.
const FIELDS: [&str; 3] = ["block_start", "first_activity", "after_gap"];

#[derive(Default, Clone)]
struct State {
    hours: Option<f64>,
    instants: Vec<i64>,
}

type StatePtr = *mut State;

/// Registers the four overloads: (TIMESTAMP | TIMESTAMPTZ) with and without `hours` (DOUBLE;
/// integers are cast).
///
/// # Safety
/// `con` must be a live connection.
pub unsafe fn register(con: sys::duckdb_connection) -> Result<(), String> {
    let name = c_string(NAME);
    let field_names: Vec<_> = FIELDS.iter().map(|f| c_string(f)).collect();
    // SAFETY: the set, its functions and the types are configured, registered, then
    // destroyed; DuckDB keeps copies.
    unsafe {
        let mut set = sys::duckdb_create_aggregate_function_set(name.as_ptr());
        for ts_type in [sys::DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP, sys::DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_TZ] {
            let ts = LogicalType::new(ts_type);
            let flag = LogicalType::new(sys::DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN);
            let mut members = [ts.0, ts.0, flag.0];
            let mut names: Vec<_> = field_names.iter().map(|n| n.as_ptr()).collect();
            let row = LogicalType(sys::duckdb_create_struct_type(
                members.as_mut_ptr(),
                names.as_mut_ptr(),
                FIELDS.len() as sys::idx_t,
            ));
            let list = LogicalType::list(&row);
            for with_hours in [false, true] {
                let mut f = sys::duckdb_create_aggregate_function();
                sys::duckdb_aggregate_function_set_name(f, name.as_ptr());
                sys::duckdb_aggregate_function_add_parameter(f, ts.0);
                if with_hours {
                    sys::duckdb_aggregate_function_add_parameter(
                        f,
                        LogicalType::new(sys::DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE).0,
                    );
                }
                sys::duckdb_aggregate_function_set_return_type(f, list.0);
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

fn set_error(info: sys::duckdb_function_info, msg: &str) {
    let msg = c_string(&format!("{NAME}: {msg}"));
    // SAFETY: valid function info; DuckDB copies the message.
    unsafe { sys::duckdb_aggregate_function_set_error(info, msg.as_ptr()) }
}

/// Runs a callback body; a panic becomes an aggregate error instead of an abort.
fn guarded(info: sys::duckdb_function_info, body: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(body)) {
        set_error(info, &format!("internal error: {}", panic_message(payload.as_ref())));
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
        // SAFETY: the input has one TIMESTAMP(TZ) column and optionally a DOUBLE column,
        // `rows` values each; `states` has one entry per row.
        unsafe {
            let rows = sys::duckdb_data_chunk_get_size(input) as usize;
            let columns = sys::duckdb_data_chunk_get_column_count(input);
            let ts_vec = sys::duckdb_data_chunk_get_vector(input, 0);
            let ts = sys::duckdb_vector_get_data(ts_vec).cast::<i64>();
            let ts_valid = sys::duckdb_vector_get_validity(ts_vec);
            let (hours, hours_valid) = if columns > 1 {
                let v = sys::duckdb_data_chunk_get_vector(input, 1);
                (sys::duckdb_vector_get_data(v).cast::<f64>(), sys::duckdb_vector_get_validity(v))
            } else {
                (std::ptr::null_mut(), std::ptr::null_mut())
            };
            let valid =
                |mask: *mut u64, row: usize| mask.is_null() || sys::duckdb_validity_row_is_valid(mask, row as u64);
            for row in 0..rows {
                let state = state_mut(*states.add(row));
                if state.hours.is_none() && !hours.is_null() && valid(hours_valid, row) {
                    let h = *hours.add(row);
                    if block_length(h).is_none() {
                        set_error(
                            info,
                            &format!("hours must be a positive number of hours (at least a millisecond), got {h}"),
                        );
                        return;
                    }
                    state.hours = Some(h);
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
                if dst.hours.is_none() {
                    dst.hours = src.hours;
                }
                dst.instants.extend_from_slice(&src.instants);
            }
        }
    });
}

/// The blocks of one state, without touching it.
fn blocks_of(state: &State) -> Vec<BlockStart> {
    // `update` checked the hours; the default is valid.
    let length = block_length(state.hours.unwrap_or(DEFAULT_BLOCK_HOURS)).unwrap_or(5 * 3_600_000_000);
    if state.instants.is_sorted() {
        block_starts_sorted(&state.instants, length)
    } else {
        let mut sorted = state.instants.clone();
        sorted.sort_unstable();
        block_starts_sorted(&sorted, length)
    }
}

unsafe extern "C" fn finalize(
    info: sys::duckdb_function_info,
    source: *mut sys::duckdb_aggregate_state,
    result: sys::duckdb_vector,
    count: sys::idx_t,
    offset: sys::idx_t,
) {
    guarded(info, || {
        // SAFETY: `result` is a LIST(STRUCT(ts, ts, BOOLEAN)) vector with room for
        // offset + count entries; its child grows through reserve / set_size, and the child
        // vectors and their data are fetched again after every reserve.
        unsafe {
            for i in 0..count as usize {
                let state: &State = state_mut(*source.add(i));
                let blocks = blocks_of(state);
                let base = sys::duckdb_list_vector_get_size(result);
                let len = blocks.len() as sys::idx_t;
                if sys::duckdb_list_vector_reserve(result, base + len) != sys::duckdb_state_DuckDBSuccess {
                    set_error(info, "could not grow the result list");
                    return;
                }
                let child = sys::duckdb_list_vector_get_child(result);
                let starts = sys::duckdb_vector_get_data(sys::duckdb_struct_vector_get_child(child, 0)).cast::<i64>();
                let firsts = sys::duckdb_vector_get_data(sys::duckdb_struct_vector_get_child(child, 1)).cast::<i64>();
                let gaps = sys::duckdb_vector_get_data(sys::duckdb_struct_vector_get_child(child, 2)).cast::<bool>();
                for (j, b) in blocks.iter().enumerate() {
                    let at = base as usize + j;
                    *starts.add(at) = b.start;
                    *firsts.add(at) = b.first_activity;
                    *gaps.add(at) = b.after_gap;
                }
                if sys::duckdb_list_vector_set_size(result, base + len) != sys::duckdb_state_DuckDBSuccess {
                    set_error(info, "could not size the result list");
                    return;
                }
                let entries = sys::duckdb_vector_get_data(result).cast::<sys::duckdb_list_entry>();
                *entries.add(offset as usize + i) = sys::duckdb_list_entry { offset: base, length: len };
            }
        }
    });
}
