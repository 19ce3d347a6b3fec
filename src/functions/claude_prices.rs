//! `claude_prices([prices := NULL])`: the price table in effect, one row per model (the
//! built-in table, with the session's `claude_usage_prices` file and the `prices` file over it).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::ffi::chunk::OutputChunk;
use crate::ffi::table::{BindInfo, InitInfo, Signature, TableFunction};
use crate::ffi::ColumnType::{self, Bigint, Double, Varchar};
use crate::ffi::LogicalType;
use crate::transcript::prices::{PriceTable, Rates};

use super::scan::prices_in_effect;

pub struct ClaudePrices;

/// The columns: those of the price CSV, in its order.
pub const COLUMNS: [(&str, ColumnType); 16] = [
    ("model", Varchar),
    ("input", Double),
    ("output", Double),
    ("cache_write_5m", Double),
    ("cache_write_1h", Double),
    ("cache_read", Double),
    ("long_context_threshold", Bigint),
    ("long_input", Double),
    ("long_output", Double),
    ("long_cache_write_5m", Double),
    ("long_cache_write_1h", Double),
    ("long_cache_read", Double),
    ("fast_multiplier", Double),
    ("web_search_per_1k", Double),
    ("source", Varchar),
    ("as_of", Varchar),
];

pub fn signature() -> Signature {
    Signature { positional: Vec::new(), named: vec![("prices", LogicalType::varchar())] }
}

pub struct Bind {
    prices: Arc<PriceTable>,
}

/// The rows are handed out in chunks to whichever thread asks.
pub struct Global {
    columns: Vec<usize>,
    next_row: AtomicUsize,
}

impl TableFunction for ClaudePrices {
    const NAME: &'static str = "claude_prices";
    type Bind = Bind;
    type Global = Global;
    type Local = ();

    fn bind(info: &BindInfo) -> Result<Bind, String> {
        let file = info.named_parameter("prices").filter(|v| !v.is_null()).map(|v| v.to_text());
        let prices = prices_in_effect(Self::NAME, &info.client_context(), file)?;
        for (name, ty) in COLUMNS {
            info.add_result_column(name, ty);
        }
        info.set_cardinality(prices.rows().len() as u64, true);
        Ok(Bind { prices })
    }

    fn init(info: &InitInfo, _bind: &Bind) -> Result<Global, String> {
        Ok(Global { columns: info.projected_columns(), next_row: AtomicUsize::new(0) })
    }

    fn local_init(_bind: &Bind) -> Result<(), String> {
        Ok(())
    }

    fn scan(bind: &Bind, global: &Global, _local: &mut (), out: &mut OutputChunk) -> Result<(), String> {
        let all = bind.prices.rows();
        let from = global.next_row.fetch_add(out.capacity(), Ordering::Relaxed).min(all.len());
        let rows = &all[from..(from + out.capacity()).min(all.len())];
        let rate = |r: &Rates, k: usize| [r.input, r.output, r.cache_write_5m, r.cache_write_1h, r.cache_read][k];
        for (i, &col) in global.columns.iter().enumerate() {
            let mut v = out.column(i);
            for (n, p) in rows.iter().enumerate() {
                match col {
                    0 => v.set_str(n, &p.model),
                    1..=5 => v.set_f64(n, rate(&p.rates, col - 1)),
                    6 => v.set_opt_i64(n, p.long_context_threshold),
                    7..=11 => v.set_opt_f64(n, p.long_rates.as_ref().map(|r| rate(r, col - 7))),
                    12 => v.set_opt_f64(n, p.fast_multiplier),
                    13 => v.set_f64(n, p.web_search_per_1k),
                    14 => v.set_str(n, &p.source),
                    15 => v.set_str(n, &p.as_of),
                    _ => v.set_null(n),
                }
            }
        }
        out.set_len(rows.len());
        Ok(())
    }
}
