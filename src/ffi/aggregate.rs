//! Aggregates over instants, through the raw C API (duckdb-rs has no aggregate API), behind a
//! safe trait: `claude_active_seconds` and `claude_block_starts` are both "collect the
//! TIMESTAMP or TIMESTAMPTZ values of a group, and a parameter, then compute from them sorted".
//!
//! Each state is a pointer to a boxed [`Instants`]; `combine` copies (in window frames the
//! source is a shared segment-tree node), `finalize` never mutates its source, and every
//! callback runs inside `catch_unwind`: a panic becomes the aggregate's error, never an abort.

use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{c_string, panic_message, sys, LogicalType};

/// The values an aggregate state gathers: the instants (microseconds; NULLs left out) and the
/// first non-NULL parameter of the group.
#[derive(Debug, Clone)]
pub struct Instants<P> {
    pub param: Option<P>,
    pub instants: Vec<i64>,
}

impl<P> Default for Instants<P> {
    fn default() -> Self {
        Instants { param: None, instants: Vec::new() }
    }
}

impl<P> Instants<P> {
    /// The instants in ascending order (sorted in a copy unless they already are).
    pub fn sorted(&self) -> std::borrow::Cow<'_, [i64]> {
        if self.instants.is_sorted() {
            std::borrow::Cow::Borrowed(&self.instants)
        } else {
            let mut v = self.instants.clone();
            v.sort_unstable();
            std::borrow::Cow::Owned(v)
        }
    }
}

/// A parameter type: its DuckDB type and how it is read from a vector.
pub trait Param: Copy + Send + 'static {
    const TYPE: sys::DUCKDB_TYPE;
}

impl Param for i64 {
    const TYPE: sys::DUCKDB_TYPE = sys::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT;
}

impl Param for f64 {
    const TYPE: sys::DUCKDB_TYPE = sys::DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE;
}

/// An aggregate `NAME(ts [, param])` over TIMESTAMP or TIMESTAMPTZ.
pub trait InstantsAggregate: 'static {
    const NAME: &'static str;
    type Param: Param;
    /// The result type, given the type of `ts`.
    fn return_type(ts: &LogicalType) -> LogicalType;
    /// Checks a parameter value when it is first seen (the error message, without the name).
    fn check(param: Self::Param) -> Result<(), String>;
    /// Writes the result of one group into row `row` of `out`.
    fn finalize(state: &Instants<Self::Param>, out: &mut Output<'_>, row: usize) -> Result<(), String>;
}

/// The result vector of a finalize call, written row by row.
pub struct Output<'a> {
    vector: sys::duckdb_vector,
    offset: usize,
    _result: PhantomData<&'a mut ()>,
}

impl Output<'_> {
    /// Row `row` of a BIGINT result.
    pub fn set_i64(&mut self, row: usize, value: i64) {
        // SAFETY: the result is a BIGINT vector with room for offset + count rows (`row` < count).
        unsafe { *sys::duckdb_vector_get_data(self.vector).cast::<i64>().add(self.offset + row) = value }
    }

    /// Row `row` of a `LIST(STRUCT(i64-backed, i64-backed, BOOLEAN))` result (timestamps are
    /// i64): the list of `items`.
    pub fn set_list_of_triples(&mut self, row: usize, items: &[(i64, i64, bool)]) -> Result<(), String> {
        // SAFETY: the result is such a list vector with room for offset + count entries; its
        // child grows through reserve / set_size, and the child vectors and their data are
        // fetched again after the reserve.
        unsafe {
            let result = self.vector;
            let base = sys::duckdb_list_vector_get_size(result);
            let len = items.len() as sys::idx_t;
            if sys::duckdb_list_vector_reserve(result, base + len) != sys::duckdb_state_DuckDBSuccess {
                return Err("could not grow the result list".into());
            }
            let child = sys::duckdb_list_vector_get_child(result);
            let a = sys::duckdb_vector_get_data(sys::duckdb_struct_vector_get_child(child, 0)).cast::<i64>();
            let b = sys::duckdb_vector_get_data(sys::duckdb_struct_vector_get_child(child, 1)).cast::<i64>();
            let c = sys::duckdb_vector_get_data(sys::duckdb_struct_vector_get_child(child, 2)).cast::<bool>();
            for (j, &(x, y, z)) in items.iter().enumerate() {
                let at = base as usize + j;
                *a.add(at) = x;
                *b.add(at) = y;
                *c.add(at) = z;
            }
            if sys::duckdb_list_vector_set_size(result, base + len) != sys::duckdb_state_DuckDBSuccess {
                return Err("could not size the result list".into());
            }
            let entries = sys::duckdb_vector_get_data(result).cast::<sys::duckdb_list_entry>();
            *entries.add(self.offset + row) = sys::duckdb_list_entry { offset: base, length: len };
        }
        Ok(())
    }
}

/// A `STRUCT` type with the given field names and types (which DuckDB copies).
pub fn struct_type(fields: &[(&str, &LogicalType)]) -> LogicalType {
    let names: Vec<_> = fields.iter().map(|(n, _)| c_string(n)).collect();
    let mut name_ptrs: Vec<_> = names.iter().map(|n| n.as_ptr()).collect();
    let mut types: Vec<_> = fields.iter().map(|(_, t)| t.0).collect();
    // SAFETY: both arrays hold `fields.len()` valid entries for the duration of the call.
    LogicalType(unsafe {
        sys::duckdb_create_struct_type(types.as_mut_ptr(), name_ptrs.as_mut_ptr(), fields.len() as sys::idx_t)
    })
}

/// Registers `A` for TIMESTAMP and TIMESTAMPTZ, each with and without the parameter.
///
/// # Safety
/// `con` must be a live connection.
pub unsafe fn register<A: InstantsAggregate>(con: sys::duckdb_connection) -> Result<(), String> {
    let name = c_string(A::NAME);
    // SAFETY: the set, its functions and the types are configured, registered, then
    // destroyed; DuckDB keeps copies.
    unsafe {
        let mut set = sys::duckdb_create_aggregate_function_set(name.as_ptr());
        for ts_type in [sys::DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP, sys::DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_TZ] {
            let ts = LogicalType::new(ts_type);
            let result = A::return_type(&ts);
            for with_param in [false, true] {
                let mut f = sys::duckdb_create_aggregate_function();
                sys::duckdb_aggregate_function_set_name(f, name.as_ptr());
                sys::duckdb_aggregate_function_add_parameter(f, ts.0);
                if with_param {
                    sys::duckdb_aggregate_function_add_parameter(f, LogicalType::new(A::Param::TYPE).0);
                }
                sys::duckdb_aggregate_function_set_return_type(f, result.0);
                sys::duckdb_aggregate_function_set_functions(
                    f,
                    Some(state_size::<A>),
                    Some(state_init::<A>),
                    Some(update::<A>),
                    Some(combine::<A>),
                    Some(finalize::<A>),
                );
                sys::duckdb_aggregate_function_set_destructor(f, Some(destroy::<A>));
                sys::duckdb_add_aggregate_function_to_set(set, f);
                sys::duckdb_destroy_aggregate_function(&mut f);
            }
        }
        let state = sys::duckdb_register_aggregate_function_set(con, set);
        sys::duckdb_destroy_aggregate_function_set(&mut set);
        if state != sys::duckdb_state_DuckDBSuccess {
            return Err(format!("could not register aggregate {}", A::NAME));
        }
    }
    Ok(())
}

type StatePtr<A> = *mut Instants<<A as InstantsAggregate>::Param>;

fn set_error<A: InstantsAggregate>(info: sys::duckdb_function_info, msg: &str) {
    let msg = c_string(&format!("{}: {msg}", A::NAME));
    // SAFETY: valid function info; DuckDB copies the message.
    unsafe { sys::duckdb_aggregate_function_set_error(info, msg.as_ptr()) }
}

/// Runs a callback body; an error or a panic becomes the aggregate's error.
fn guarded<A: InstantsAggregate>(info: sys::duckdb_function_info, body: impl FnOnce() -> Result<(), String>) {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {}
        Ok(Err(msg)) => set_error::<A>(info, &msg),
        Err(payload) => set_error::<A>(info, &format!("internal error: {}", panic_message(payload.as_ref()))),
    }
}

unsafe extern "C" fn state_size<A: InstantsAggregate>(_info: sys::duckdb_function_info) -> sys::idx_t {
    std::mem::size_of::<StatePtr<A>>() as sys::idx_t
}

unsafe extern "C" fn state_init<A: InstantsAggregate>(
    info: sys::duckdb_function_info,
    state: sys::duckdb_aggregate_state,
) {
    guarded::<A>(info, || {
        // SAFETY: DuckDB gives `state_size` bytes, 8-byte aligned, for this state.
        unsafe { state.cast::<StatePtr<A>>().write(Box::into_raw(Box::default())) };
        Ok(())
    });
}

unsafe extern "C" fn destroy<A: InstantsAggregate>(states: *mut sys::duckdb_aggregate_state, count: sys::idx_t) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        for i in 0..count as usize {
            // SAFETY: each state holds a pointer from `state_init` (or NULL after a failed init).
            unsafe {
                let slot = (*states.add(i)).cast::<StatePtr<A>>();
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
unsafe fn state_mut<'a, A: InstantsAggregate>(slot: sys::duckdb_aggregate_state) -> &'a mut Instants<A::Param> {
    // SAFETY: guaranteed by the caller.
    unsafe { &mut *slot.cast::<StatePtr<A>>().read() }
}

unsafe extern "C" fn update<A: InstantsAggregate>(
    info: sys::duckdb_function_info,
    input: sys::duckdb_data_chunk,
    states: *mut sys::duckdb_aggregate_state,
) {
    guarded::<A>(info, || {
        // SAFETY: the input has one TIMESTAMP(TZ) column and optionally a parameter column of
        // `A::Param`'s type, `rows` values each; `states` has one entry per row.
        unsafe {
            let rows = sys::duckdb_data_chunk_get_size(input) as usize;
            let columns = sys::duckdb_data_chunk_get_column_count(input);
            let ts_vec = sys::duckdb_data_chunk_get_vector(input, 0);
            let ts = sys::duckdb_vector_get_data(ts_vec).cast::<i64>();
            let ts_valid = sys::duckdb_vector_get_validity(ts_vec);
            let (param, param_valid) = if columns > 1 {
                let v = sys::duckdb_data_chunk_get_vector(input, 1);
                (sys::duckdb_vector_get_data(v).cast::<A::Param>(), sys::duckdb_vector_get_validity(v))
            } else {
                (std::ptr::null_mut(), std::ptr::null_mut())
            };
            let valid =
                |mask: *mut u64, row: usize| mask.is_null() || sys::duckdb_validity_row_is_valid(mask, row as u64);
            for row in 0..rows {
                let state = state_mut::<A>(*states.add(row));
                if state.param.is_none() && !param.is_null() && valid(param_valid, row) {
                    let p = *param.add(row);
                    A::check(p)?;
                    state.param = Some(p);
                }
                if valid(ts_valid, row) {
                    state.instants.push(*ts.add(row));
                }
            }
        }
        Ok(())
    });
}

unsafe extern "C" fn combine<A: InstantsAggregate>(
    info: sys::duckdb_function_info,
    source: *mut sys::duckdb_aggregate_state,
    target: *mut sys::duckdb_aggregate_state,
    count: sys::idx_t,
) {
    guarded::<A>(info, || {
        for i in 0..count as usize {
            // SAFETY: both arrays hold `count` initialised states; the source is only read.
            unsafe {
                let src: &Instants<A::Param> = state_mut::<A>(*source.add(i));
                let dst = state_mut::<A>(*target.add(i));
                if dst.param.is_none() {
                    dst.param = src.param;
                }
                dst.instants.extend_from_slice(&src.instants);
            }
        }
        Ok(())
    });
}

unsafe extern "C" fn finalize<A: InstantsAggregate>(
    info: sys::duckdb_function_info,
    source: *mut sys::duckdb_aggregate_state,
    result: sys::duckdb_vector,
    count: sys::idx_t,
    offset: sys::idx_t,
) {
    guarded::<A>(info, || {
        let mut out = Output { vector: result, offset: offset as usize, _result: PhantomData };
        for i in 0..count as usize {
            // SAFETY: `source` holds `count` initialised states, only read here.
            let state: &Instants<A::Param> = unsafe { state_mut::<A>(*source.add(i)) };
            A::finalize(state, &mut out, i)?;
        }
        Ok(())
    });
}
