//! Parameter values and the client context (settings, file system).

use super::table::borrowed_c_str;
use super::{c_string, sys};

/// An owned `duckdb_value`.
pub struct Value(sys::duckdb_value);

impl Value {
    pub(super) fn from_raw(raw: sys::duckdb_value) -> Self {
        Value(raw)
    }

    pub fn is_null(&self) -> bool {
        // SAFETY: valid value (or NULL pointer, which DuckDB treats as NULL).
        self.0.is_null() || unsafe { sys::duckdb_is_null_value(self.0) }
    }

    fn type_id(&self) -> sys::DUCKDB_TYPE {
        // SAFETY: the logical type belongs to the value and is not destroyed here.
        unsafe {
            let ty = sys::duckdb_get_value_type(self.0);
            sys::duckdb_get_type_id(ty)
        }
    }

    /// The value as text (DuckDB's cast to VARCHAR).
    pub fn to_text(&self) -> String {
        // SAFETY: duckdb_get_varchar returns a malloc'ed string that we free.
        unsafe {
            let p = sys::duckdb_get_varchar(self.0);
            let s = borrowed_c_str(p);
            sys::duckdb_free(p.cast());
            s
        }
    }

    pub fn to_bool(&self) -> bool {
        // SAFETY: valid value; DuckDB casts when needed.
        unsafe { sys::duckdb_get_bool(self.0) }
    }

    /// The SQL name of the value's type.
    pub fn type_name(&self) -> String {
        // SAFETY: the type belongs to the value; the string is malloc'ed and freed here.
        unsafe {
            let ty = sys::duckdb_get_value_type(self.0);
            let p = sys::duckdb_logical_type_get_alias(ty);
            if !p.is_null() {
                let s = borrowed_c_str(p);
                sys::duckdb_free(p.cast());
                return s;
            }
        }
        match self.type_id() {
            sys::DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR => "VARCHAR",
            sys::DUCKDB_TYPE_DUCKDB_TYPE_LIST => "LIST",
            sys::DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN => "BOOLEAN",
            sys::DUCKDB_TYPE_DUCKDB_TYPE_INTEGER => "INTEGER",
            sys::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT => "BIGINT",
            _ => "a non-text type",
        }
        .to_owned()
    }

    /// A VARCHAR gives one string, a LIST of VARCHAR its non-NULL elements; NULL gives
    /// none; any other type gives `None`.
    pub fn to_string_list(&self) -> Option<Vec<String>> {
        if self.is_null() {
            return Some(Vec::new());
        }
        match self.type_id() {
            sys::DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR => Some(vec![self.to_text()]),
            sys::DUCKDB_TYPE_DUCKDB_TYPE_LIST => {
                // SAFETY: a LIST value; each child is an owned value.
                let n = unsafe { sys::duckdb_get_list_size(self.0) };
                let children: Vec<Value> =
                    (0..n).map(|i| Value(unsafe { sys::duckdb_get_list_child(self.0, i) })).collect();
                let mut out = Vec::with_capacity(children.len());
                for child in children.iter().filter(|v| !v.is_null()) {
                    if child.type_id() != sys::DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR {
                        return None;
                    }
                    out.push(child.to_text());
                }
                Some(out)
            }
            _ => None,
        }
    }
}

impl Drop for Value {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: we own the value.
            unsafe { sys::duckdb_destroy_value(&mut self.0) }
        }
    }
}

/// The client context of a query: its settings and its file system.
pub struct ClientContext(sys::duckdb_client_context);

// SAFETY: the wrapper only refers to DuckDB's ClientContext, which outlives the query; we
// use it from scan threads only to create per-thread file-system wrappers.
unsafe impl Send for ClientContext {}
// SAFETY: see above; creating a file-system wrapper does not mutate the context.
unsafe impl Sync for ClientContext {}

impl ClientContext {
    pub(super) fn from_raw(raw: sys::duckdb_client_context) -> Self {
        ClientContext(raw)
    }

    pub(super) fn raw(&self) -> sys::duckdb_client_context {
        self.0
    }

    /// A setting's current value as text, or `None` when unknown.
    pub fn setting(&self, name: &str) -> Option<String> {
        let cname = c_string(name);
        let mut scope: sys::duckdb_config_option_scope = 0;
        // SAFETY: valid context and name; the returned value is owned.
        let raw = unsafe { sys::duckdb_client_context_get_config_option(self.0, cname.as_ptr(), &mut scope) };
        if raw.is_null() {
            return None;
        }
        let v = Value(raw);
        (!v.is_null()).then(|| v.to_text())
    }

    /// A LIST setting (like `allowed_directories`) as strings.
    pub fn setting_list(&self, name: &str) -> Vec<String> {
        let cname = c_string(name);
        let mut scope: sys::duckdb_config_option_scope = 0;
        // SAFETY: as in `setting`.
        let raw = unsafe { sys::duckdb_client_context_get_config_option(self.0, cname.as_ptr(), &mut scope) };
        if raw.is_null() {
            return Vec::new();
        }
        Value(raw).to_string_list().unwrap_or_default()
    }
}

impl Drop for ClientContext {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: we own the wrapper.
            unsafe { sys::duckdb_destroy_client_context(&mut self.0) }
        }
    }
}
