//! Extension settings (`SET claude_usage_prices = '...'`) through the C API's config options.

use super::{c_string, sys, LogicalType};

/// Registers a VARCHAR setting `name`, empty by default, settable per session (`SET`) or
/// globally (`SET GLOBAL`); read back through [`super::value::ClientContext::setting`].
///
/// # Safety
/// `con` must be a live connection.
pub unsafe fn register_varchar_setting(
    con: sys::duckdb_connection,
    name: &str,
    description: &str,
) -> Result<(), String> {
    let cname = c_string(name);
    let cdesc = c_string(description);
    let empty = c_string("");
    // SAFETY: the option and the default value are created, handed to DuckDB (which copies
    // them), then destroyed.
    unsafe {
        let mut option = sys::duckdb_create_config_option();
        sys::duckdb_config_option_set_name(option, cname.as_ptr());
        sys::duckdb_config_option_set_type(option, LogicalType::varchar().0);
        let mut default = sys::duckdb_create_varchar(empty.as_ptr());
        sys::duckdb_config_option_set_default_value(option, default);
        sys::duckdb_config_option_set_default_scope(
            option,
            sys::duckdb_config_option_scope_DUCKDB_CONFIG_OPTION_SCOPE_SESSION,
        );
        sys::duckdb_config_option_set_description(option, cdesc.as_ptr());
        let state = sys::duckdb_register_config_option(con, option);
        sys::duckdb_destroy_value(&mut default);
        sys::duckdb_destroy_config_option(&mut option);
        if state != sys::duckdb_state_DuckDBSuccess {
            return Err(format!("could not register the setting {name}"));
        }
    }
    Ok(())
}
