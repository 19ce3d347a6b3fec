//! Writing rows into an output data chunk.

use super::sys;

/// The output chunk of one scan call.
pub struct OutputChunk {
    raw: sys::duckdb_data_chunk,
}

impl OutputChunk {
    pub(super) fn new(raw: sys::duckdb_data_chunk) -> Self {
        OutputChunk { raw }
    }

    /// Rows one call may write (DuckDB's vector size).
    pub fn capacity(&self) -> usize {
        // SAFETY: no preconditions.
        unsafe { sys::duckdb_vector_size() as usize }
    }

    pub fn column_count(&self) -> usize {
        // SAFETY: valid chunk.
        unsafe { sys::duckdb_data_chunk_get_column_count(self.raw) as usize }
    }

    /// The vector of output column `i` (the i-th projected column).
    pub fn column(&mut self, i: usize) -> Column<'_> {
        // SAFETY: i < column_count (callers iterate over the projection).
        let raw = unsafe { sys::duckdb_data_chunk_get_vector(self.raw, i as u64) };
        Column { raw, validity: std::ptr::null_mut(), _chunk: std::marker::PhantomData }
    }

    pub fn set_len(&mut self, rows: usize) {
        // SAFETY: rows <= capacity by construction of the writers.
        unsafe { sys::duckdb_data_chunk_set_size(self.raw, rows as u64) }
    }
}

/// One output vector.
pub struct Column<'a> {
    raw: sys::duckdb_vector,
    validity: *mut u64,
    _chunk: std::marker::PhantomData<&'a mut OutputChunk>,
}

impl Column<'_> {
    fn data<T>(&self) -> *mut T {
        // SAFETY: valid vector.
        unsafe { sys::duckdb_vector_get_data(self.raw).cast::<T>() }
    }

    pub fn set_null(&mut self, row: usize) {
        // SAFETY: the validity mask is made writable once, then row < capacity.
        unsafe {
            if self.validity.is_null() {
                sys::duckdb_vector_ensure_validity_writable(self.raw);
                self.validity = sys::duckdb_vector_get_validity(self.raw);
            }
            sys::duckdb_validity_set_row_invalid(self.validity, row as u64);
        }
    }

    pub fn set_str(&mut self, row: usize, value: &str) {
        // SAFETY: DuckDB copies the bytes (or inlines them). A `&str` is UTF-8, so DuckDB's own
        // check (a second pass over every string, `Utf8Proc::Analyze`) is skipped; the function
        // is stable since C API v1.5.6, the version this extension requires.
        unsafe {
            sys::duckdb_unsafe_vector_assign_string_element_len(
                self.raw,
                row as u64,
                value.as_ptr().cast(),
                value.len() as u64,
            )
        }
    }

    /// Makes the vector constant: every row holds `value`, stored once (DuckDB copies it).
    pub fn set_constant_str(&mut self, value: &str) {
        // SAFETY: the value is made from valid UTF-8 bytes; `Vector::Reference` copies it into
        // the vector's own buffers, so it is destroyed right after.
        unsafe {
            let mut v = sys::duckdb_create_varchar_length(value.as_ptr().cast(), value.len() as u64);
            sys::duckdb_vector_reference_value(self.raw, v);
            sys::duckdb_destroy_value(&mut v);
        }
    }

    pub fn set_opt_str(&mut self, row: usize, value: Option<&str>) {
        match value {
            Some(v) => self.set_str(row, v),
            None => self.set_null(row),
        }
    }

    pub fn set_i64(&mut self, row: usize, value: i64) {
        // SAFETY: a BIGINT or TIMESTAMP vector holds i64 values; row < capacity.
        unsafe { *self.data::<i64>().add(row) = value }
    }

    pub fn set_opt_i64(&mut self, row: usize, value: Option<i64>) {
        match value {
            Some(v) => self.set_i64(row, v),
            None => self.set_null(row),
        }
    }

    pub fn set_i32(&mut self, row: usize, value: i32) {
        // SAFETY: an INTEGER vector holds i32 values; row < capacity.
        unsafe { *self.data::<i32>().add(row) = value }
    }

    pub fn set_f64(&mut self, row: usize, value: f64) {
        // SAFETY: a DOUBLE vector holds f64 values; row < capacity.
        unsafe { *self.data::<f64>().add(row) = value }
    }

    pub fn set_opt_f64(&mut self, row: usize, value: Option<f64>) {
        match value {
            Some(v) => self.set_f64(row, v),
            None => self.set_null(row),
        }
    }

    pub fn set_bool(&mut self, row: usize, value: bool) {
        // SAFETY: a BOOLEAN vector holds one byte per value; row < capacity.
        unsafe { *self.data::<bool>().add(row) = value }
    }

    pub fn set_opt_bool(&mut self, row: usize, value: Option<bool>) {
        match value {
            Some(v) => self.set_bool(row, v),
            None => self.set_null(row),
        }
    }
}
