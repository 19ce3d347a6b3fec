//! The price table (USD per million tokens, per model) and the cost of one request.
//!
//! The built-in table is `data/claude_prices.csv`, embedded at build time; a price file of the
//! same form can replace or add rows ([`PriceTable::with_overrides`]).
//!
//! # The CSV
//! Columns: `model`, `input`, `output`, `cache_write_5m`, `cache_write_1h`, `cache_read`,
//! `long_context_threshold`, `long_input`, `long_output`, `long_cache_write_5m`,
//! `long_cache_write_1h`, `long_cache_read`, `fast_multiplier`, `web_search_per_1k`, `source`,
//! `as_of`, in any order.
//! - The first non-blank line is the header. `model` and the five base rates are required; the
//!   other columns may be left out of the header (then every row has none of them,
//!   `web_search_per_1k` is 10, `source` is the file's name and `as_of` empty). A column not in
//!   this list, or one named twice, is an error: a typo must not be ignored.
//! - Every line has as many fields as the header. Fields are trimmed; blank lines (and lines of
//!   empty fields only) are skipped. An empty cell is "none" (for `web_search_per_1k`: 10).
//! - Rates and multipliers are finite numbers, not negative; the threshold is a whole number,
//!   not negative. `long_context_threshold` and the five `long_*` rates come all together or not
//!   at all. A model may appear once per file.
//! - Every error names the file and the 1-based line, and for a value its column:
//!   `prices file "x.csv", line 3: cache_read: "abc" is not a number`.
//!
//! # Matching
//! A model string matches the row of the same name exactly, else the row of its name without one
//! trailing `-YYYYMMDD` (eight digits): `claude-opus-4-5-20251101` is priced as
//! `claude-opus-4-5`. Nothing else: no prefix, no family, no case folding, so a model missing
//! from the table (`claude-opus-4-7` with no row) is unpriced, never priced as a neighbour
//! (`claude-opus-4`).
//!
//! # Cost of a request
//! The prompt is input + 5m cache writes + 1h cache writes + cache reads. Above the row's
//! threshold (strictly), every token of the request, output included, is priced at the long
//! rates (`long_context`). 1h writes go at the 1h rate, the other writes at the 5m rate. Fast
//! mode multiplies the token cost by the row's fast multiplier; a row without one leaves a fast
//! request unpriced. Web searches (`web_search_per_1k` per 1,000) are added after. The counts are
//! `i64` and may be anything: the sum is saturating, the arithmetic `f64`, and a negative count
//! counts as 0.

use std::sync::OnceLock;

use foldhash::HashMap;

/// The built-in table, as checked into the repository.
pub const BUILTIN_CSV: &str = include_str!("../../data/claude_prices.csv");

/// The name the built-in table goes by in errors.
const BUILTIN_ORIGIN: &str = "data/claude_prices.csv";

/// USD per 1,000 web searches when a price file leaves it out.
pub const DEFAULT_WEB_SEARCH_PER_1K: f64 = 10.0;

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    pub input: f64,
    pub output: f64,
    pub cache_write_5m: f64,
    pub cache_write_1h: f64,
    pub cache_read: f64,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    pub model: String,
    pub rates: Rates,
    /// Above this many prompt tokens (input + cache writes + cache reads), every token of the
    /// request is priced at `long_rates`.
    pub long_context_threshold: Option<i64>,
    pub long_rates: Option<Rates>,
    pub fast_multiplier: Option<f64>,
    pub web_search_per_1k: f64,
    pub source: String,
    pub as_of: String,
}

/// One request's billable counts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Request {
    pub input: i64,
    pub output: i64,
    pub cache_write_5m: i64,
    pub cache_write_1h: i64,
    pub cache_read: i64,
    pub web_search_requests: i64,
    pub fast: bool,
}

/// What a request cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    pub usd: f64,
    /// Whether the request was priced at the long-context rates.
    pub long_context: bool,
}

/// Price rows in file order, with an index by model.
#[derive(Debug, Clone)]
pub struct PriceTable {
    rows: Vec<Price>,
    index: HashMap<String, usize>,
}

/// The columns of a price file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Model,
    Input,
    Output,
    CacheWrite5m,
    CacheWrite1h,
    CacheRead,
    LongContextThreshold,
    LongInput,
    LongOutput,
    LongCacheWrite5m,
    LongCacheWrite1h,
    LongCacheRead,
    FastMultiplier,
    WebSearchPer1k,
    Source,
    AsOf,
}

impl Column {
    const ALL: [Column; 16] = [
        Column::Model,
        Column::Input,
        Column::Output,
        Column::CacheWrite5m,
        Column::CacheWrite1h,
        Column::CacheRead,
        Column::LongContextThreshold,
        Column::LongInput,
        Column::LongOutput,
        Column::LongCacheWrite5m,
        Column::LongCacheWrite1h,
        Column::LongCacheRead,
        Column::FastMultiplier,
        Column::WebSearchPer1k,
        Column::Source,
        Column::AsOf,
    ];

    /// The columns every price file has.
    const REQUIRED: [Column; 6] =
        [Column::Model, Column::Input, Column::Output, Column::CacheWrite5m, Column::CacheWrite1h, Column::CacheRead];

    /// The long rates, in `Rates` order.
    const LONG: [Column; 5] = [
        Column::LongInput,
        Column::LongOutput,
        Column::LongCacheWrite5m,
        Column::LongCacheWrite1h,
        Column::LongCacheRead,
    ];

    const fn name(self) -> &'static str {
        match self {
            Column::Model => "model",
            Column::Input => "input",
            Column::Output => "output",
            Column::CacheWrite5m => "cache_write_5m",
            Column::CacheWrite1h => "cache_write_1h",
            Column::CacheRead => "cache_read",
            Column::LongContextThreshold => "long_context_threshold",
            Column::LongInput => "long_input",
            Column::LongOutput => "long_output",
            Column::LongCacheWrite5m => "long_cache_write_5m",
            Column::LongCacheWrite1h => "long_cache_write_1h",
            Column::LongCacheRead => "long_cache_read",
            Column::FastMultiplier => "fast_multiplier",
            Column::WebSearchPer1k => "web_search_per_1k",
            Column::Source => "source",
            Column::AsOf => "as_of",
        }
    }

    fn from_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Drops one trailing `-YYYYMMDD` (a dash and eight ASCII digits, after at least one character).
pub fn model_key(model: &str) -> &str {
    let bytes = model.as_bytes();
    let n = bytes.len();
    if n > 9 && bytes[n - 9] == b'-' && bytes[n - 8..].iter().all(u8::is_ascii_digit) {
        &model[..n - 9]
    } else {
        model
    }
}

impl PriceTable {
    /// The embedded table (parsed once; a unit test proves it parses).
    pub fn builtin() -> &'static PriceTable {
        static TABLE: OnceLock<PriceTable> = OnceLock::new();
        TABLE.get_or_init(|| match PriceTable::parse(BUILTIN_ORIGIN, BUILTIN_CSV) {
            Ok(rows) => PriceTable::from_rows(rows),
            // The unit test `builtin_table_parses` keeps this from happening in a build.
            Err(e) => panic!("the built-in price table does not parse: {e}"),
        })
    }

    fn from_rows(rows: Vec<Price>) -> PriceTable {
        let index = rows.iter().enumerate().map(|(i, p)| (p.model.clone(), i)).collect();
        PriceTable { rows, index }
    }

    /// Parses a price CSV; `origin` (a file name) is named in every error together with the
    /// 1-based line: e.g. `prices file "x.csv", line 3: cache_read: "abc" is not a number`.
    pub fn parse(origin: &str, text: &str) -> Result<Vec<Price>, String> {
        let error = |line: u64, message: String| format!("prices file \"{origin}\", line {line}: {message}");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        // Lines from byte offsets: the reader's own line count skips blank lines.
        let newlines: Vec<usize> = memchr::memchr_iter(b'\n', text.as_bytes()).collect();
        // A record's position is where the reader began to look for it, before the line ends
        // (and blank lines) it skipped.
        let line_at = |position: Option<&csv::Position>| -> u64 {
            let from = usize::try_from(position.map_or(0, csv::Position::byte)).unwrap_or(usize::MAX);
            let rest = text.as_bytes().get(from..).unwrap_or_default();
            let start = from.saturating_add(rest.iter().take_while(|&&b| b == b'\n' || b == b'\r').count());
            newlines.partition_point(|&n| n < start) as u64 + 1
        };
        let line_of = |record: &csv::StringRecord| line_at(record.position());
        // The text is a str, so the reader cannot meet bad UTF-8; what else it may report is named as is.
        let csv_error = |e: csv::Error| error(line_at(e.position()), e.to_string());

        // The header: the first record that is not blank.
        let (header_line, header) = loop {
            match records.next() {
                None => return Err(error(1, "no header: the file is empty".to_string())),
                Some(Err(e)) => return Err(csv_error(e)),
                Some(Ok(record)) if is_blank(&record) => continue,
                Some(Ok(record)) => break (line_of(&record), record),
            }
        };
        let mut columns: Vec<Column> = Vec::with_capacity(header.len());
        for name in header.iter() {
            let name = name.trim_start_matches('\u{feff}');
            let column =
                Column::from_name(name).ok_or_else(|| error(header_line, format!("unknown column \"{name}\"")))?;
            if columns.contains(&column) {
                return Err(error(header_line, format!("column \"{name}\" appears twice")));
            }
            columns.push(column);
        }
        if let Some(missing) = Column::REQUIRED.into_iter().find(|c| !columns.contains(c)) {
            return Err(error(header_line, format!("missing column \"{}\"", missing.name())));
        }

        let mut rows: Vec<Price> = Vec::new();
        let mut lines: HashMap<String, u64> = HashMap::default();
        for record in records {
            let record = record.map_err(csv_error)?;
            if is_blank(&record) {
                continue;
            }
            let line = line_of(&record);
            if record.len() != columns.len() {
                return Err(error(line, format!("{} fields, the header has {}", record.len(), columns.len())));
            }
            let cell = |column: Column| -> &str {
                columns.iter().position(|&c| c == column).and_then(|i| record.get(i)).unwrap_or("")
            };
            let price = parse_row(origin, &cell).map_err(|message| error(line, message))?;
            if let Some(first) = lines.get(&price.model) {
                return Err(error(line, format!("model \"{}\" is already on line {first}", price.model)));
            }
            lines.insert(price.model.clone(), line);
            rows.push(price);
        }
        Ok(rows)
    }

    /// This table with `rows` replacing rows of the same model and adding new ones (new models
    /// after the old ones, in their order).
    pub fn with_overrides(&self, rows: Vec<Price>) -> PriceTable {
        let mut table = self.clone();
        for row in rows {
            match table.index.get(&row.model) {
                Some(&i) => table.rows[i] = row,
                None => {
                    table.index.insert(row.model.clone(), table.rows.len());
                    table.rows.push(row);
                }
            }
        }
        table
    }

    /// The row for a model string: exact match after dropping one trailing `-YYYYMMDD` (8
    /// digits); nothing fuzzy. A row named with its date (in an override file) matches that
    /// dated string first.
    pub fn lookup(&self, model: &str) -> Option<&Price> {
        let i = self.index.get(model).or_else(|| self.index.get(model_key(model)))?;
        self.rows.get(*i)
    }

    pub fn rows(&self) -> &[Price] {
        &self.rows
    }
}

/// One data row, from its cells by column (`""` for a column the file does not have).
fn parse_row<'a>(origin: &str, cell: &dyn Fn(Column) -> &'a str) -> Result<Price, String> {
    let model = cell(Column::Model);
    if model.is_empty() {
        return Err("model is empty".to_string());
    }
    let required = |column: Column| -> Result<f64, String> {
        match cell(column) {
            "" => Err(format!("{} is empty", column.name())),
            text => rate(column, text),
        }
    };
    let optional = |column: Column| -> Result<Option<f64>, String> {
        match cell(column) {
            "" => Ok(None),
            text => rate(column, text).map(Some),
        }
    };
    let rates = Rates {
        input: required(Column::Input)?,
        output: required(Column::Output)?,
        cache_write_5m: required(Column::CacheWrite5m)?,
        cache_write_1h: required(Column::CacheWrite1h)?,
        cache_read: required(Column::CacheRead)?,
    };

    let threshold = match cell(Column::LongContextThreshold) {
        "" => None,
        text => Some(whole(Column::LongContextThreshold, text)?),
    };
    let mut long = [0.0; 5];
    let mut long_set = [false; 5];
    for (k, column) in Column::LONG.into_iter().enumerate() {
        if let Some(value) = optional(column)? {
            long[k] = value;
            long_set[k] = true;
        }
    }
    let long_rates = match (threshold, long_set.iter().position(|set| !set), long_set.iter().position(|set| *set)) {
        (Some(_), None, _) => Some(Rates {
            input: long[0],
            output: long[1],
            cache_write_5m: long[2],
            cache_write_1h: long[3],
            cache_read: long[4],
        }),
        (Some(_), Some(unset), _) => {
            return Err(format!("long_context_threshold is set but {} is empty", Column::LONG[unset].name()))
        }
        (None, _, Some(set)) => {
            return Err(format!("{} is set but long_context_threshold is empty", Column::LONG[set].name()))
        }
        (None, _, None) => None,
    };

    Ok(Price {
        model: model.to_string(),
        rates,
        long_context_threshold: threshold,
        long_rates,
        fast_multiplier: optional(Column::FastMultiplier)?,
        web_search_per_1k: optional(Column::WebSearchPer1k)?.unwrap_or(DEFAULT_WEB_SEARCH_PER_1K),
        source: match cell(Column::Source) {
            "" => origin.to_string(),
            text => text.to_string(),
        },
        as_of: cell(Column::AsOf).to_string(),
    })
}

/// A rate or multiplier: a finite number, not negative.
fn rate(column: Column, text: &str) -> Result<f64, String> {
    let name = column.name();
    match text.parse::<f64>() {
        Err(_) => Err(format!("{name}: \"{text}\" is not a number")),
        Ok(v) if !v.is_finite() => Err(format!("{name}: \"{text}\" is not a finite number")),
        Ok(v) if v < 0.0 => Err(format!("{name}: \"{text}\" is negative")),
        Ok(v) => Ok(v),
    }
}

/// A token count: a whole number, not negative.
fn whole(column: Column, text: &str) -> Result<i64, String> {
    let name = column.name();
    match text.parse::<i64>() {
        Err(_) => Err(format!("{name}: \"{text}\" is not a whole number")),
        Ok(v) if v < 0 => Err(format!("{name}: \"{text}\" is negative")),
        Ok(v) => Ok(v),
    }
}

fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(str::is_empty)
}

impl Price {
    /// The cost of one request; `None` when it is fast mode and the row has no fast multiplier.
    /// Long context: prompt tokens (input + both writes + read) strictly greater than the
    /// threshold; then every token (output too) at the long rates. Fast multiplies the token
    /// cost; web searches (web_search_requests * web_search_per_1k / 1000) are added after.
    pub fn cost(&self, r: &Request) -> Option<Cost> {
        let multiplier = if r.fast { self.fast_multiplier? } else { 1.0 };
        let [input, output, write_5m, write_1h, read, searches] =
            [r.input, r.output, r.cache_write_5m, r.cache_write_1h, r.cache_read, r.web_search_requests]
                .map(|n| n.max(0));
        let prompt = input.saturating_add(write_5m).saturating_add(write_1h).saturating_add(read);
        let (rates, long_context) = match (self.long_context_threshold, self.long_rates) {
            (Some(threshold), Some(long)) if prompt > threshold => (long, true),
            _ => (self.rates, false),
        };
        let per_mtok = input as f64 * rates.input
            + output as f64 * rates.output
            + write_5m as f64 * rates.cache_write_5m
            + write_1h as f64 * rates.cache_write_1h
            + read as f64 * rates.cache_read;
        let usd = per_mtok / 1_000_000.0 * multiplier + searches as f64 * self.web_search_per_1k / 1000.0;
        Some(Cost { usd, long_context })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "model,input,output,cache_write_5m,cache_write_1h,cache_read";

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() <= 1e-12 * expected.abs().max(1.0), "{actual} != {expected}");
    }

    fn price(model: &str) -> &'static Price {
        PriceTable::builtin().lookup(model).unwrap_or_else(|| panic!("no row for {model}"))
    }

    fn rates(input: f64, output: f64, cache_write_5m: f64, cache_write_1h: f64, cache_read: f64) -> Rates {
        Rates { input, output, cache_write_5m, cache_write_1h, cache_read }
    }

    #[test]
    fn builtin_table_parses() {
        let rows = PriceTable::parse(BUILTIN_ORIGIN, BUILTIN_CSV).unwrap();
        assert_eq!(rows.len(), PriceTable::builtin().rows().len());
        for row in &rows {
            assert_eq!(model_key(&row.model), row.model, "{} has a date", row.model);
            assert!(!row.source.is_empty() && row.source != BUILTIN_ORIGIN, "{} has no source", row.model);
            assert_eq!(row.as_of.len(), 10, "{}: as_of {:?}", row.model, row.as_of);
            assert!(row.as_of.as_bytes()[4] == b'-' && row.as_of.as_bytes()[7] == b'-');
            let expected_search = if row.model == "<synthetic>" { 0.0 } else { 10.0 };
            assert_eq!(row.web_search_per_1k, expected_search, "{}", row.model);
        }
        assert!(BUILTIN_CSV.starts_with(
            "model,input,output,cache_write_5m,cache_write_1h,cache_read,long_context_threshold,long_input,long_output,\
             long_cache_write_5m,long_cache_write_1h,long_cache_read,fast_multiplier,web_search_per_1k,source,as_of\n"
        ));
    }

    #[test]
    fn builtin_has_every_model_claude_code_used() {
        for model in [
            "claude-opus-4-5",
            "claude-opus-4-6",
            "claude-opus-4-7",
            "claude-opus-4-8",
            "claude-fable-5",
            "claude-opus-4",
            "claude-opus-4-1",
            "claude-sonnet-4",
            "claude-sonnet-4-5",
            "claude-sonnet-4-6",
            "claude-haiku-4-5",
            "claude-3-7-sonnet",
            "claude-3-5-sonnet",
            "claude-3-5-haiku",
            "claude-3-opus",
            "claude-3-sonnet",
            "claude-3-haiku",
            "<synthetic>",
        ] {
            assert_eq!(price(model).model, model);
        }
    }

    #[test]
    fn builtin_rates_given_by_the_issue() {
        let opus = rates(5.0, 25.0, 6.25, 10.0, 0.50);
        for (model, fast) in [
            ("claude-opus-4-5", None),
            ("claude-opus-4-6", Some(6.0)),
            ("claude-opus-4-7", Some(6.0)),
            ("claude-opus-4-8", Some(2.0)),
        ] {
            let p = price(model);
            assert_eq!(p.rates, opus, "{model}");
            assert_eq!(p.fast_multiplier, fast, "{model}");
            assert_eq!((p.long_context_threshold, p.long_rates), (None, None), "{model}");
        }
        assert_eq!(price("claude-fable-5").rates, rates(10.0, 50.0, 12.5, 20.0, 1.00));
        for model in ["claude-opus-4", "claude-opus-4-1"] {
            assert_eq!(price(model).rates, rates(15.0, 75.0, 18.75, 30.0, 1.50), "{model}");
        }
        let sonnet = rates(3.0, 15.0, 3.75, 6.0, 0.30);
        for model in ["claude-sonnet-4", "claude-sonnet-4-5"] {
            let p = price(model);
            assert_eq!(p.rates, sonnet, "{model}");
            assert_eq!(p.long_context_threshold, Some(200_000), "{model}");
            assert_eq!(p.long_rates, Some(rates(6.0, 22.5, 7.5, 12.0, 0.60)), "{model}");
        }
        for model in ["claude-sonnet-4-6", "claude-3-7-sonnet"] {
            let p = price(model);
            assert_eq!(p.rates, sonnet, "{model}");
            assert_eq!((p.long_context_threshold, p.long_rates), (None, None), "{model}");
        }
        assert_eq!(price("claude-haiku-4-5").rates, rates(1.0, 5.0, 1.25, 2.0, 0.10));
        assert_eq!(price("claude-3-5-haiku").rates, rates(0.80, 4.0, 1.0, 1.6, 0.08));
        // Fast multipliers only where the issue gives them (and 1 for the free <synthetic>).
        for p in PriceTable::builtin().rows() {
            if !["claude-opus-4-6", "claude-opus-4-7", "claude-opus-4-8", "<synthetic>"].contains(&p.model.as_str()) {
                assert_eq!(p.fast_multiplier, None, "{}", p.model);
            }
        }
    }

    #[test]
    fn builtin_rates_looked_up() {
        assert_eq!(price("claude-3-opus").rates, rates(15.0, 75.0, 18.75, 30.0, 1.50));
        assert_eq!(price("claude-3-sonnet").rates, rates(3.0, 15.0, 3.75, 6.0, 0.30));
        assert_eq!(price("claude-3-5-sonnet").rates, rates(3.0, 15.0, 3.75, 6.0, 0.30));
        assert_eq!(price("claude-3-haiku").rates, rates(0.25, 1.25, 0.30, 0.50, 0.03));
        assert_eq!(price("claude-opus-5").rates, rates(5.0, 25.0, 6.25, 10.0, 0.50));
        assert_eq!(price("claude-opus-5-5").rates, rates(4.0, 20.0, 5.0, 8.0, 0.20));
        assert_eq!(price("claude-sonnet-5").rates, rates(2.0, 10.0, 2.5, 4.0, 0.20));
        assert_eq!(price("claude-sonnet-5-5").rates, rates(2.0, 10.0, 2.5, 4.0, 0.10));
        let haiku = price("claude-haiku-5-5");
        assert_eq!(haiku.rates, rates(0.10, 0.50, 0.125, 0.20, 0.01));
        assert_eq!(haiku.long_context_threshold, Some(100_000));
        assert_eq!(haiku.long_rates, Some(rates(0.50, 2.50, 0.625, 1.00, 0.05)));
        for model in ["claude-fable-5-1", "claude-mythos-5-1"] {
            assert_eq!(price(model).rates, rates(10.0, 50.0, 12.5, 20.0, 0.25), "{model}");
        }
        assert_eq!(price("claude-mythos-5").rates, rates(10.0, 50.0, 12.5, 20.0, 1.00));
        assert_eq!(price("claude-fable-5-2").rates, rates(8.0, 40.0, 10.0, 16.0, 0.20));
        let synthetic = price("<synthetic>");
        assert_eq!(synthetic.rates, rates(0.0, 0.0, 0.0, 0.0, 0.0));
        assert_eq!(synthetic.web_search_per_1k, 0.0);
    }

    #[test]
    fn model_key_drops_one_date() {
        assert_eq!(model_key("claude-opus-4-5-20251101"), "claude-opus-4-5");
        assert_eq!(model_key("claude-sonnet-4-20250514"), "claude-sonnet-4");
        assert_eq!(model_key("claude-opus-4-6"), "claude-opus-4-6");
        assert_eq!(model_key("claude-opus-4-5-2025110"), "claude-opus-4-5-2025110");
        assert_eq!(model_key("claude-opus-4-5-202511011"), "claude-opus-4-5-202511011");
        assert_eq!(model_key("claude-x-20250101-20250102"), "claude-x-20250101");
        assert_eq!(model_key("claude-x-2025010a"), "claude-x-2025010a");
        assert_eq!(model_key("-20250101"), "-20250101");
        assert_eq!(model_key("x-２0250101"), "x-２0250101");
        assert_eq!(model_key(""), "");
    }

    #[test]
    fn lookup_is_exact() {
        let table = PriceTable::builtin();
        assert_eq!(table.lookup("claude-opus-4-5-20251101").unwrap().model, "claude-opus-4-5");
        assert_eq!(table.lookup("claude-sonnet-4-20250514").unwrap().model, "claude-sonnet-4");
        assert_eq!(table.lookup("claude-haiku-4-5-20251001").unwrap().model, "claude-haiku-4-5");
        assert_eq!(table.lookup("claude-3-5-sonnet-20241022").unwrap().model, "claude-3-5-sonnet");
        assert_eq!(table.lookup("claude-opus-4-6").unwrap().model, "claude-opus-4-6");
        assert!(table.lookup("claude-opus-4-5-2025110").is_none());
        assert!(table.lookup("Claude-Opus-4-5").is_none());
        assert!(table.lookup("claude-opus").is_none());
        assert!(table.lookup("claude-opus-4-9").is_none());
        assert!(table.lookup("").is_none());
        // A missing claude-opus-4-7 is not priced as claude-opus-4.
        let without =
            PriceTable::from_rows(table.rows().iter().filter(|p| p.model != "claude-opus-4-7").cloned().collect());
        assert!(without.lookup("claude-opus-4-7").is_none());
        assert!(without.lookup("claude-opus-4-7-20260101").is_none());
        assert_eq!(without.lookup("claude-opus-4").unwrap().model, "claude-opus-4");
        let synthetic = table.lookup("<synthetic>").unwrap();
        let all = Request {
            input: 1_000_000,
            output: 1_000_000,
            cache_write_5m: 1_000_000,
            cache_write_1h: 1_000_000,
            cache_read: 1_000_000,
            web_search_requests: 7,
            fast: false,
        };
        assert_eq!(synthetic.cost(&all), Some(Cost { usd: 0.0, long_context: false }));
        assert_eq!(synthetic.cost(&Request { fast: true, ..all }), Some(Cost { usd: 0.0, long_context: false }));
    }

    #[test]
    fn cost_of_a_1h_5m_mix() {
        // Opus 4.5: 1,000 in at $5, 2,000 out at $25, 3,000 5m writes at $6.25, 4,000 1h writes
        // at $10, 100,000 reads at $0.50 (per MTok).
        let r = Request {
            input: 1_000,
            output: 2_000,
            cache_write_5m: 3_000,
            cache_write_1h: 4_000,
            cache_read: 100_000,
            ..Request::default()
        };
        let cost = price("claude-opus-4-5").cost(&r).unwrap();
        assert!(!cost.long_context);
        close(cost.usd, 0.005 + 0.05 + 0.01875 + 0.04 + 0.05);
        // Haiku 3.5: the 1h write at $1.6, the 5m at $1.
        let r = Request { cache_write_5m: 1_000_000, cache_write_1h: 1_000_000, ..Request::default() };
        close(price("claude-3-5-haiku").cost(&r).unwrap().usd, 2.6);
        assert_eq!(price("claude-opus-4-5").cost(&Request::default()), Some(Cost { usd: 0.0, long_context: false }));
    }

    #[test]
    fn long_context_prices_every_token() {
        let sonnet = price("claude-sonnet-4-5");
        // 200,000 prompt tokens: not long.
        let at = Request {
            input: 50_000,
            output: 10_000,
            cache_write_5m: 30_000,
            cache_write_1h: 20_000,
            cache_read: 100_000,
            ..Request::default()
        };
        let cost = sonnet.cost(&at).unwrap();
        assert!(!cost.long_context);
        close(cost.usd, 0.05 * 3.0 + 0.01 * 15.0 + 0.03 * 3.75 + 0.02 * 6.0 + 0.1 * 0.30);
        // 200,001: every token, output included, at the long rates.
        let over = Request { input: 50_001, ..at };
        let cost = sonnet.cost(&over).unwrap();
        assert!(cost.long_context);
        close(cost.usd, 0.050001 * 6.0 + 0.01 * 22.5 + 0.03 * 7.5 + 0.02 * 12.0 + 0.1 * 0.60);
        // Reads alone cross it too; a model without a threshold never does.
        let reads = Request { cache_read: 1_000_000, ..Request::default() };
        assert_eq!(sonnet.cost(&reads), Some(Cost { usd: 0.60, long_context: true }));
        let cost = price("claude-sonnet-4-6").cost(&reads).unwrap();
        assert!(!cost.long_context);
        close(cost.usd, 0.30);
        // Haiku 5.5 switches at 100,000.
        let haiku = price("claude-haiku-5-5");
        assert!(!haiku.cost(&Request { input: 100_000, ..Request::default() }).unwrap().long_context);
        let cost = haiku.cost(&Request { input: 100_001, output: 1_000, ..Request::default() }).unwrap();
        assert!(cost.long_context);
        close(cost.usd, 0.100001 * 0.50 + 0.001 * 2.50);
    }

    #[test]
    fn fast_mode() {
        let r = Request { input: 1_000_000, output: 1_000_000, fast: true, ..Request::default() };
        let cost = price("claude-opus-4-6").cost(&r).unwrap();
        close(cost.usd, 180.0);
        close(price("claude-opus-4-7").cost(&r).unwrap().usd, 180.0);
        close(price("claude-opus-4-8").cost(&r).unwrap().usd, 60.0);
        assert_eq!(price("claude-opus-4-5").cost(&r), None);
        assert_eq!(price("claude-sonnet-4-5").cost(&r), None);
        close(price("claude-opus-4-5").cost(&Request { fast: false, ..r }).unwrap().usd, 30.0);
        // Web searches are not multiplied.
        let r = Request { input: 1_000_000, web_search_requests: 3, fast: true, ..Request::default() };
        close(price("claude-opus-4-8").cost(&r).unwrap().usd, 10.03);
    }

    #[test]
    fn web_searches_are_added() {
        let r = Request { web_search_requests: 1, ..Request::default() };
        close(price("claude-haiku-4-5").cost(&r).unwrap().usd, 0.01);
        let r = Request { input: 1_000, web_search_requests: 25, ..Request::default() };
        close(price("claude-sonnet-4-6").cost(&r).unwrap().usd, 0.003 + 0.25);
    }

    #[test]
    fn huge_and_negative_counts_do_not_panic() {
        let huge = Request {
            input: i64::MAX,
            output: i64::MAX,
            cache_write_5m: i64::MAX,
            cache_write_1h: i64::MAX,
            cache_read: i64::MAX,
            web_search_requests: i64::MAX,
            fast: true,
        };
        let cost = price("claude-sonnet-4-5").cost(&Request { fast: false, ..huge }).unwrap();
        assert!(cost.long_context && cost.usd.is_finite() && cost.usd > 0.0);
        assert!(price("claude-opus-4-6").cost(&huge).unwrap().usd.is_finite());
        let negative = Request { input: -5, output: i64::MIN, web_search_requests: -1, ..Request::default() };
        assert_eq!(price("claude-opus-4-6").cost(&negative), Some(Cost { usd: 0.0, long_context: false }));
    }

    #[test]
    fn overrides_replace_and_add() {
        let rows = PriceTable::parse(
            "mine.csv",
            &format!("{HEADER}\nclaude-opus-4-5,1,2,3,4,5\nmy-model,0.5,1,1,1,0.1\nclaude-next,1,1,1,1,1\n"),
        )
        .unwrap();
        let base = PriceTable::builtin();
        let table = base.with_overrides(rows);
        assert_eq!(table.rows().len(), base.rows().len() + 2);
        let opus = table.lookup("claude-opus-4-5-20251101").unwrap();
        assert_eq!(opus.rates, rates(1.0, 2.0, 3.0, 4.0, 5.0));
        assert_eq!((opus.source.as_str(), opus.as_of.as_str(), opus.web_search_per_1k), ("mine.csv", "", 10.0));
        assert_eq!(opus.fast_multiplier, None);
        let position = |t: &PriceTable, m: &str| t.rows().iter().position(|p| p.model == m);
        assert_eq!(position(&table, "claude-opus-4-5"), position(base, "claude-opus-4-5"));
        let n = base.rows().len();
        assert_eq!(position(&table, "my-model"), Some(n));
        assert_eq!(position(&table, "claude-next"), Some(n + 1));
        assert_eq!(table.lookup("my-model").unwrap().rates.input, 0.5);
        // The built-in table is untouched.
        assert_eq!(base.lookup("claude-opus-4-5").unwrap().rates.input, 5.0);
        // A row named with its date prices that dated string only.
        let dated = PriceTable::parse("d.csv", &format!("{HEADER}\nclaude-opus-4-5-20251101,1,1,1,1,1\n")).unwrap();
        let table = base.with_overrides(dated);
        assert_eq!(table.lookup("claude-opus-4-5-20251101").unwrap().rates.input, 1.0);
        assert_eq!(table.lookup("claude-opus-4-5").unwrap().rates.input, 5.0);
    }

    #[test]
    fn parse_reads_every_column_in_any_order() {
        let text = "\n\
            as_of , model,fast_multiplier,input,output,cache_write_5m,cache_write_1h,cache_read,web_search_per_1k,source,\
            long_context_threshold,long_input,long_output,long_cache_write_5m,long_cache_write_1h,long_cache_read\n\
            \n\
            2026-01-02,m1,3,1,2,3,4,5,0,\"a, b\",1000,6,7,8,9,10\n\
            ,,,,,,,,,,,,,,,\n\
            2026-01-03,m2,,1,2,3,4,5,,,,,,,,\n";
        let rows = PriceTable::parse("o.csv", text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            Price {
                model: "m1".to_string(),
                rates: rates(1.0, 2.0, 3.0, 4.0, 5.0),
                long_context_threshold: Some(1000),
                long_rates: Some(rates(6.0, 7.0, 8.0, 9.0, 10.0)),
                fast_multiplier: Some(3.0),
                web_search_per_1k: 0.0,
                source: "a, b".to_string(),
                as_of: "2026-01-02".to_string(),
            }
        );
        assert_eq!(rows[1].long_rates, None);
        assert_eq!(rows[1].web_search_per_1k, 10.0);
        assert_eq!(rows[1].source, "o.csv");
        assert_eq!(PriceTable::parse("o.csv", &format!("{HEADER}\n")).unwrap(), vec![]);
    }

    #[test]
    fn parse_errors_name_file_line_and_column() {
        let err = |text: &str| PriceTable::parse("x.csv", text).unwrap_err();
        assert_eq!(
            err(&format!("{HEADER}\nm1,1,1,1,1,1\nm2,1,1,1,1,abc\n")),
            r#"prices file "x.csv", line 3: cache_read: "abc" is not a number"#
        );
        assert_eq!(
            err(&format!("{HEADER}\nm1,-1,1,1,1,1\n")),
            r#"prices file "x.csv", line 2: input: "-1" is negative"#
        );
        assert_eq!(
            err(&format!("{HEADER}\nm1,1,inf,1,1,1\n")),
            r#"prices file "x.csv", line 2: output: "inf" is not a finite number"#
        );
        assert_eq!(
            err(&format!("{HEADER}\nm1,1,NaN,1,1,1\n")),
            r#"prices file "x.csv", line 2: output: "NaN" is not a finite number"#
        );
        assert_eq!(err(&format!("{HEADER}\nm1,1,1,,1,1\n")), r#"prices file "x.csv", line 2: cache_write_5m is empty"#);
        assert_eq!(
            err("model,input,output,cache_write_5m,cache_write_1h\nm1,1,1,1,1\n"),
            r#"prices file "x.csv", line 1: missing column "cache_read""#
        );
        assert_eq!(
            err("model,input,output,cache_write_5m,cache_write_1h,cache_raed\nm1,1,1,1,1,1\n"),
            r#"prices file "x.csv", line 1: unknown column "cache_raed""#
        );
        assert_eq!(err(&format!("{HEADER},input\n")), r#"prices file "x.csv", line 1: column "input" appears twice"#);
        assert_eq!(
            err(&format!("{HEADER}\nm1,1,1,1,1,1\n\nm1,2,2,2,2,2\n")),
            r#"prices file "x.csv", line 4: model "m1" is already on line 2"#
        );
        assert_eq!(
            err(&format!("{HEADER},long_context_threshold\nm1,1,1,1,1,1,200000\n")),
            r#"prices file "x.csv", line 2: long_context_threshold is set but long_input is empty"#
        );
        assert_eq!(
            err(&format!(
                "{HEADER},long_context_threshold,long_input,long_output,long_cache_write_5m,long_cache_write_1h,long_cache_read\n\
                 m1,1,1,1,1,1,200000,2,2,2,,2\n"
            )),
            r#"prices file "x.csv", line 2: long_context_threshold is set but long_cache_write_1h is empty"#
        );
        assert_eq!(
            err(&format!("{HEADER},long_output\nm1,1,1,1,1,1,2\n")),
            r#"prices file "x.csv", line 2: long_output is set but long_context_threshold is empty"#
        );
        assert_eq!(
            err(&format!(
                "{HEADER},long_context_threshold,long_input,long_output,long_cache_write_5m,long_cache_write_1h,long_cache_read\n\
                 m1,1,1,1,1,1,2e5,2,2,2,2,2\n"
            )),
            r#"prices file "x.csv", line 2: long_context_threshold: "2e5" is not a whole number"#
        );
        assert_eq!(
            err(&format!("{HEADER},fast_multiplier\nm1,1,1,1,1,1,x6\n")),
            r#"prices file "x.csv", line 2: fast_multiplier: "x6" is not a number"#
        );
        assert_eq!(
            err(&format!("{HEADER}\nm1,1,1,1,1\n")),
            r#"prices file "x.csv", line 2: 5 fields, the header has 6"#
        );
        assert_eq!(err(&format!("{HEADER}\n,1,1,1,1,1\n")), r#"prices file "x.csv", line 2: model is empty"#);
        assert_eq!(err(""), r#"prices file "x.csv", line 1: no header: the file is empty"#);
        assert_eq!(err("\n\n"), r#"prices file "x.csv", line 1: no header: the file is empty"#);
        // Lines count blank ones and CRLF ends.
        assert_eq!(
            err(&format!("\r\n{HEADER}\r\n\r\nm1,1,1,1,1,1\r\n  \r\n,,,,,\r\nm2,1,1,1,1,-0.1\r\n")),
            r#"prices file "x.csv", line 7: cache_read: "-0.1" is negative"#
        );
        // A quoted field over two lines: the next record's line is still right.
        assert_eq!(
            err(&format!("{HEADER},source\nm1,1,1,1,1,1,\"a\nb\"\nm2,1,1,1,1,x,\n")),
            r#"prices file "x.csv", line 4: cache_read: "x" is not a number"#
        );
    }
}
