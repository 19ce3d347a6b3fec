//! Table functions over the raw C API, behind a safe trait.
//!
//! duckdb-rs' `VTab` has no per-thread state; DuckDB's C API does (`local_init`), and a
//! scanner that spreads files over threads needs it. Every callback runs inside
//! `catch_unwind`: a panic becomes a DuckDB error that names the function, never an abort.

use std::ffi::{c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::chunk::OutputChunk;
use super::value::{ClientContext, Value};
use super::{c_string, panic_message, sys, ColumnType, LogicalType};

/// Bind-time access to arguments and the result schema.
pub struct BindInfo {
    raw: sys::duckdb_bind_info,
}

impl BindInfo {
    pub fn parameter_count(&self) -> usize {
        // SAFETY: `raw` is the live bind info of this callback.
        unsafe { sys::duckdb_bind_get_parameter_count(self.raw) as usize }
    }

    pub fn parameter(&self, index: usize) -> Value {
        // SAFETY: index < parameter_count (checked by callers); DuckDB returns an owned value.
        Value::from_raw(unsafe { sys::duckdb_bind_get_parameter(self.raw, index as u64) })
    }

    /// A named parameter, or `None` when the query did not give it.
    pub fn named_parameter(&self, name: &str) -> Option<Value> {
        let name = c_string(name);
        // SAFETY: valid bind info and NUL-terminated name; the result is owned or NULL.
        let raw = unsafe { sys::duckdb_bind_get_named_parameter(self.raw, name.as_ptr()) };
        (!raw.is_null()).then(|| Value::from_raw(raw))
    }

    pub fn add_result_column(&self, name: &str, ty: ColumnType) {
        let name = c_string(name);
        let ty = ty.logical_type();
        // SAFETY: DuckDB copies the name and the type.
        unsafe { sys::duckdb_bind_add_result_column(self.raw, name.as_ptr(), ty.0) }
    }

    pub fn set_cardinality(&self, rows: u64, exact: bool) {
        // SAFETY: valid bind info.
        unsafe { sys::duckdb_bind_set_cardinality(self.raw, rows, exact) }
    }

    /// The client context of the query (its file system and settings).
    pub fn client_context(&self) -> ClientContext {
        let mut ctx: sys::duckdb_client_context = std::ptr::null_mut();
        // SAFETY: valid bind info; DuckDB allocates a wrapper that ClientContext destroys.
        unsafe { sys::duckdb_table_function_get_client_context(self.raw, &mut ctx) };
        ClientContext::from_raw(ctx)
    }
}

/// Init-time access to the projection and the thread count.
pub struct InitInfo {
    raw: sys::duckdb_init_info,
}

impl InitInfo {
    /// The table columns DuckDB wants, in output-vector order.
    pub fn projected_columns(&self) -> Vec<usize> {
        // SAFETY: valid init info; indices are below the column count.
        unsafe {
            let n = sys::duckdb_init_get_column_count(self.raw);
            (0..n).map(|i| sys::duckdb_init_get_column_index(self.raw, i) as usize).collect()
        }
    }

    pub fn set_max_threads(&self, threads: u64) {
        // SAFETY: valid init info.
        unsafe { sys::duckdb_init_set_max_threads(self.raw, threads) }
    }
}

/// A table function: bind once, init once per query, init once per thread, scan until done.
pub trait TableFunction: 'static {
    /// The SQL name, used in error messages.
    const NAME: &'static str;
    type Bind: Send + Sync + 'static;
    type Global: Send + Sync + 'static;
    type Local: 'static;

    fn bind(info: &BindInfo) -> Result<Self::Bind, String>;
    fn init(info: &InitInfo, bind: &Self::Bind) -> Result<Self::Global, String>;
    fn local_init(bind: &Self::Bind) -> Result<Self::Local, String>;
    /// Fills `out` with up to its capacity; leaving it empty ends the scan of this thread.
    fn scan(
        bind: &Self::Bind,
        global: &Self::Global,
        local: &mut Self::Local,
        out: &mut OutputChunk,
    ) -> Result<(), String>;
}

/// One overload: positional parameter types and named parameters.
pub struct Signature {
    pub positional: Vec<LogicalType>,
    pub named: Vec<(&'static str, LogicalType)>,
}

/// Registers `T` under `T::NAME` with the given signature.
///
/// # Safety
/// `con` must be a live connection.
pub unsafe fn register<T: TableFunction>(con: sys::duckdb_connection, sig: &Signature) -> Result<(), String> {
    let name = c_string(T::NAME);
    // SAFETY: a freshly created table function is configured and registered on a live
    // connection, then destroyed (DuckDB keeps its own copy).
    unsafe {
        let mut tf = sys::duckdb_create_table_function();
        sys::duckdb_table_function_set_name(tf, name.as_ptr());
        for ty in &sig.positional {
            sys::duckdb_table_function_add_parameter(tf, ty.0);
        }
        for (pname, ty) in &sig.named {
            let pname = c_string(pname);
            sys::duckdb_table_function_add_named_parameter(tf, pname.as_ptr(), ty.0);
        }
        sys::duckdb_table_function_supports_projection_pushdown(tf, true);
        sys::duckdb_table_function_set_bind(tf, Some(bind_trampoline::<T>));
        sys::duckdb_table_function_set_init(tf, Some(init_trampoline::<T>));
        sys::duckdb_table_function_set_local_init(tf, Some(local_init_trampoline::<T>));
        sys::duckdb_table_function_set_function(tf, Some(scan_trampoline::<T>));
        let state = sys::duckdb_register_table_function(con, tf);
        sys::duckdb_destroy_table_function(&mut tf);
        if state != sys::duckdb_state_DuckDBSuccess {
            return Err(format!("could not register table function {}", T::NAME));
        }
    }
    Ok(())
}

/// Runs a callback body, turning errors and panics into one message.
fn guarded<R>(name: &str, body: impl FnOnce() -> Result<R, String>) -> Result<R, String> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r,
        Err(payload) => Err(format!("{name}: internal error: {}", panic_message(payload.as_ref()))),
    }
}

unsafe extern "C" fn drop_box<B>(ptr: *mut c_void) {
    if !ptr.is_null() {
        // Dropping user data must not unwind into DuckDB either.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: `ptr` came from `Box::into_raw(Box<B>)` in this module.
            drop(unsafe { Box::from_raw(ptr.cast::<B>()) })
        }));
    }
}

unsafe extern "C" fn bind_trampoline<T: TableFunction>(info: sys::duckdb_bind_info) {
    let bind = BindInfo { raw: info };
    match guarded(T::NAME, || T::bind(&bind)) {
        Ok(data) => {
            let ptr = Box::into_raw(Box::new(data)).cast::<c_void>();
            // SAFETY: DuckDB owns the box from now on and frees it with `drop_box`.
            unsafe { sys::duckdb_bind_set_bind_data(info, ptr, Some(drop_box::<T::Bind>)) }
        }
        Err(msg) => {
            let msg = c_string(&msg);
            // SAFETY: valid bind info; DuckDB copies the message.
            unsafe { sys::duckdb_bind_set_error(info, msg.as_ptr()) }
        }
    }
}

unsafe extern "C" fn init_trampoline<T: TableFunction>(info: sys::duckdb_init_info) {
    let init = InitInfo { raw: info };
    let result = guarded(T::NAME, || {
        // SAFETY: bind data was set by `bind_trampoline::<T>` and outlives the query.
        let bind = unsafe { &*sys::duckdb_init_get_bind_data(info).cast::<T::Bind>() };
        T::init(&init, bind)
    });
    match result {
        // SAFETY: DuckDB owns the box from now on.
        Ok(global) => unsafe {
            sys::duckdb_init_set_init_data(info, Box::into_raw(Box::new(global)).cast(), Some(drop_box::<T::Global>))
        },
        Err(msg) => {
            let msg = c_string(&msg);
            // SAFETY: valid init info.
            unsafe { sys::duckdb_init_set_error(info, msg.as_ptr()) }
        }
    }
}

unsafe extern "C" fn local_init_trampoline<T: TableFunction>(info: sys::duckdb_init_info) {
    let result = guarded(T::NAME, || {
        // SAFETY: as in `init_trampoline`.
        let bind = unsafe { &*sys::duckdb_init_get_bind_data(info).cast::<T::Bind>() };
        T::local_init(bind)
    });
    match result {
        // SAFETY: DuckDB owns the box from now on.
        Ok(local) => unsafe {
            sys::duckdb_init_set_init_data(info, Box::into_raw(Box::new(local)).cast(), Some(drop_box::<T::Local>))
        },
        Err(msg) => {
            let msg = c_string(&msg);
            // SAFETY: valid init info.
            unsafe { sys::duckdb_init_set_error(info, msg.as_ptr()) }
        }
    }
}

unsafe extern "C" fn scan_trampoline<T: TableFunction>(
    info: sys::duckdb_function_info,
    output: sys::duckdb_data_chunk,
) {
    let result = guarded(T::NAME, || {
        // SAFETY: the three states were set by the trampolines above; the local state belongs
        // to the calling thread alone.
        let (bind, global, local) = unsafe {
            (
                &*sys::duckdb_function_get_bind_data(info).cast::<T::Bind>(),
                &*sys::duckdb_function_get_init_data(info).cast::<T::Global>(),
                &mut *sys::duckdb_function_get_local_init_data(info).cast::<T::Local>(),
            )
        };
        let mut out = OutputChunk::new(output);
        T::scan(bind, global, local, &mut out)
    });
    if let Err(msg) = result {
        let msg = c_string(&msg);
        // SAFETY: valid function info.
        unsafe {
            sys::duckdb_data_chunk_set_size(output, 0);
            sys::duckdb_function_set_error(info, msg.as_ptr())
        }
    }
}

/// Reads a C string owned by DuckDB (not freed here).
///
/// # Safety
/// `ptr` must be NULL or a valid NUL-terminated string.
pub unsafe fn borrowed_c_str(ptr: *const std::os::raw::c_char) -> String {
    if ptr.is_null() {
        String::new()
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
    }
}
