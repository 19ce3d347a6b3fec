//! API requests: the usage of each assistant message, and the rule that keeps one line per
//! request.
//!
//! Claude Code writes one line per content block of an assistant message and repeats the
//! message's `usage` on each (streaming lines may carry smaller counts); a resumed session
//! copies earlier lines into its new file; a subagent's transcript can replay a main-thread
//! message; and Claude Code 2.1 embeds a running subagent's messages in the parent file as
//! `agent_progress` lines. A request is identified by (`message.id`, `requestId`); of its lines
//! the one kept is, in order: the one not on a sidechain, the one with the larger token total
//! (input + output + cache writes + cache reads), the one that has `usage.speed`, the first
//! seen (files in sorted path order, lines in order). A line without a non-empty string
//! `message.id` is its own request.
//!
//! [`RequestSet`] holds one file's requests (merged by that rule within the file, or every line
//! when asked); [`Dedup`] applies the rule across the files of a query.

use std::hash::{BuildHasher, Hash, Hasher};

use foldhash::HashMap;
use hashbrown::HashTable;
use integer_encoding::VarInt;
use xxhash_rust::xxh3::Xxh3;

use super::event::{Text, Texts};
use super::prices::{self, PriceTable};
use super::record::Usage;

/// The counters of one request's usage; an absent counter is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub input: i64,
    pub output: i64,
    /// All cache writes (`cache_creation_input_tokens`).
    pub cache_creation: i64,
    /// The part of `cache_creation` kept for an hour, within `0..=cache_creation`.
    pub cache_creation_1h: i64,
    pub cache_read: i64,
    pub web_search_requests: i64,
    pub web_fetch_requests: i64,
}

impl Counts {
    /// The counters of a usage object: an absent or negative counter is 0, and the 1-hour part
    /// of the cache writes is at most the writes.
    pub fn of(u: &Usage<'_>) -> Counts {
        let count = |v: Option<i64>| v.unwrap_or(0).max(0);
        let cache_creation = count(u.cache_creation_input_tokens);
        Counts {
            input: count(u.input_tokens),
            output: count(u.output_tokens),
            cache_creation,
            cache_creation_1h: count(u.cache_creation_1h).min(cache_creation),
            cache_read: count(u.cache_read_input_tokens),
            web_search_requests: count(u.web_search_requests),
            web_fetch_requests: count(u.web_fetch_requests),
        }
    }

    /// Cache writes kept for 5 minutes: the writes less the 1-hour part.
    pub fn cache_creation_5m(&self) -> i64 {
        self.cache_creation.saturating_sub(self.cache_creation_1h)
    }

    /// input + output + cache writes + cache reads (saturating): what decides between lines.
    pub fn total(&self) -> i64 {
        self.input.saturating_add(self.output).saturating_add(self.cache_creation).saturating_add(self.cache_read)
    }

    /// The counts a price applies to.
    pub fn priced(&self, fast: bool) -> prices::Request {
        prices::Request {
            input: self.input,
            output: self.output,
            cache_write_5m: self.cache_creation_5m(),
            cache_write_1h: self.cache_creation_1h,
            cache_read: self.cache_read,
            web_search_requests: self.web_search_requests,
            fast,
        }
    }
}

/// One request line. Its strings live in the file's [`Texts`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    pub line_number: u64,
    /// UTC microseconds, by the timestamp rule of the events.
    pub occurred_at: Option<i64>,
    pub agent_id: Option<Text>,
    pub message_id: Option<Text>,
    pub request_id: Option<Text>,
    pub model: Option<Text>,
    pub speed: Option<Text>,
    pub service_tier: Option<Text>,
    pub cwd: Option<Text>,
    pub git_branch: Option<Text>,
    pub version: Option<Text>,
    pub is_sidechain: Option<bool>,
    pub counts: Counts,
    /// Lines of this request in the file merged into this row (1 when lines are kept apart).
    pub lines: i64,
}

impl Request {
    /// Whether the request has a key (a non-empty message id) and may have copies.
    pub fn keyed(&self) -> bool {
        self.message_id.is_some()
    }

    /// Whether this line is kept rather than `other`, a line of the same request seen before.
    pub fn beats(&self, other: &Request) -> bool {
        self.rank() > other.rank()
    }

    pub fn rank(&self) -> Rank {
        Rank::new(self.is_sidechain, &self.counts, self.speed.is_some())
    }

    /// Moves the row's strings by `by` (its file's texts were appended to others).
    pub fn shift(&mut self, by: usize) {
        for t in [
            &mut self.agent_id,
            &mut self.message_id,
            &mut self.request_id,
            &mut self.model,
            &mut self.speed,
            &mut self.service_tier,
            &mut self.cwd,
            &mut self.git_branch,
            &mut self.version,
        ]
        .into_iter()
        .flatten()
        {
            *t = t.shifted(by);
        }
    }

    /// The cost under `prices` (`None`: no price row, or no rate for this request).
    pub fn cost(&self, texts: &Texts, prices: &PriceTable) -> Option<prices::Cost> {
        let price = prices.lookup(texts.opt(self.model)?)?;
        price.cost(&self.counts.priced(texts.opt(self.speed) == Some("fast")))
    }
}

/// The hash of a request's key.
fn key_hash(message_id: &str, request_id: Option<&str>) -> u64 {
    let mut h = foldhash::quality::FixedState::with_seed(0x636c_6175_6465).build_hasher();
    message_id.hash(&mut h);
    request_id.hash(&mut h);
    h.finish()
}

fn key_of<'a>(texts: &'a Texts, r: &Request) -> Option<(&'a str, Option<&'a str>)> {
    Some((texts.opt(r.message_id)?, texts.opt(r.request_id)))
}

/// Where a line goes in a [`RequestSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A row of its own (no key, or every line kept apart).
    Alone,
    /// A new keyed row (the key's hash).
    New(u64),
    /// The row of the same request, at this index.
    Existing(usize),
}

/// One file's requests, with the strings they point into.
#[derive(Debug, Default)]
pub struct RequestSet {
    pub rows: Vec<Request>,
    /// Keyed rows by key, when lines of a request are merged.
    index: HashTable<u32>,
    /// Every line is its own row (`dedup := false`); the rule is applied across files later.
    every_line: bool,
}

impl RequestSet {
    pub fn new(every_line: bool) -> RequestSet {
        RequestSet { every_line, ..RequestSet::default() }
    }

    /// Where a line of request `key` (`None`: no message id) goes: a row of its own, a new
    /// keyed row, or the row of the same request already there. Looked up before the line's
    /// strings are stored, so that a line that is not kept stores nothing.
    pub fn slot(&self, texts: &Texts, key: Option<(&str, Option<&str>)>) -> Slot {
        let Some((id, req)) = key.filter(|_| !self.every_line) else { return Slot::Alone };
        let hash = key_hash(id, req);
        match self.index.find(hash, |&i| key_of(texts, &self.rows[i as usize]) == Some((id, req))) {
            Some(&i) => Slot::Existing(i as usize),
            None => Slot::New(hash),
        }
    }

    /// The rank of the row in `Slot::Existing(i)`.
    pub fn rank_of(&self, i: usize) -> Rank {
        self.rows[i].rank()
    }

    /// Counts one more line of the request in row `i`, which stays as it is.
    pub fn count_line(&mut self, i: usize) {
        self.rows[i].lines = self.rows[i].lines.saturating_add(1);
    }

    /// Puts a line's request, whose strings are in `texts`, where [`RequestSet::slot`] said:
    /// an existing row becomes this line (its line count carried over).
    pub fn fill(&mut self, texts: &Texts, slot: Slot, mut r: Request) {
        match slot {
            Slot::Alone => self.rows.push(r),
            Slot::Existing(i) => {
                r.lines = r.lines.saturating_add(self.rows[i].lines);
                self.rows[i] = r;
            }
            Slot::New(hash) => {
                let rows = &mut self.rows;
                let i = rows.len() as u32;
                rows.push(r);
                self.index.insert_unique(hash, i, |&j| {
                    let row = &rows[j as usize];
                    key_hash(texts.opt(row.message_id).unwrap_or(""), texts.opt(row.request_id))
                });
            }
        }
    }

    /// Adds a line's request, whose strings are already in `texts`: merged into the row of the
    /// same request when lines are merged (the row becomes this line if it beats it).
    pub fn add(&mut self, texts: &Texts, r: Request) {
        match self.slot(texts, key_of(texts, &r)) {
            Slot::Existing(i) if !r.beats(&self.rows[i]) => {
                self.rows[i].lines = self.rows[i].lines.saturating_add(r.lines);
            }
            slot => self.fill(texts, slot, r),
        }
    }

    /// Adds the rows of a later part of the same file, whose texts were appended to `texts`
    /// at `shift`.
    pub fn append(&mut self, texts: &Texts, later: RequestSet, shift: usize, lines_before: u64) {
        self.rows.reserve(later.rows.len());
        for mut r in later.rows {
            r.shift(shift);
            r.line_number += lines_before;
            self.add(texts, r);
        }
    }

    /// Fills the time of rows without one (lines before the first valid timestamp of what was read).
    pub fn date_untimed(&mut self, time: Option<i64>) {
        if time.is_none() {
            return;
        }
        for r in self.rows.iter_mut().filter(|r| r.occurred_at.is_none()) {
            r.occurred_at = time;
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// What a file's requests add up to, priced: the summary's de-duplicated tokens and cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub counts: Counts,
    pub cost_usd: f64,
    /// Tokens (input + output + cache writes + cache reads) of requests without a price.
    pub unpriced_tokens: i64,
}

impl Totals {
    pub fn of(set: &RequestSet, texts: &Texts, prices: &PriceTable) -> Totals {
        let mut t = Totals::default();
        for r in &set.rows {
            let c = &r.counts;
            for (sum, v) in [
                (&mut t.counts.input, c.input),
                (&mut t.counts.output, c.output),
                (&mut t.counts.cache_creation, c.cache_creation),
                (&mut t.counts.cache_creation_1h, c.cache_creation_1h),
                (&mut t.counts.cache_read, c.cache_read),
                (&mut t.counts.web_search_requests, c.web_search_requests),
                (&mut t.counts.web_fetch_requests, c.web_fetch_requests),
            ] {
                *sum = sum.saturating_add(v);
            }
            match r.cost(texts, prices) {
                Some(cost) => t.cost_usd += cost.usd,
                None => t.unpriced_tokens = t.unpriced_tokens.saturating_add(c.total()),
            }
        }
        t
    }
}

/// What decides between two lines of one request, in order: not on a sidechain, the larger
/// token total, has `usage.speed` (the larger rank is kept; equal ranks keep the first seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    not_sidechain: bool,
    total: i64,
    has_speed: bool,
}

impl Rank {
    pub fn new(is_sidechain: Option<bool>, counts: &Counts, has_speed: bool) -> Rank {
        Rank { not_sidechain: is_sidechain != Some(true), total: counts.total(), has_speed }
    }
}

/// The 128-bit hash of a request's key, (`message.id`, `requestId`): how requests are matched
/// across files without keeping their ids in memory (xxh3; a collision among 10^9 requests has
/// a probability below 10^-20).
pub fn request_key(message_id: &str, request_id: Option<&str>) -> u128 {
    let mut h = Xxh3::new();
    h.update(message_id.as_bytes());
    match request_id {
        // A separator no UTF-8 text holds, then the request id; or another for none.
        Some(r) => {
            h.update(&[0xff]);
            h.update(r.as_bytes());
        }
        None => h.update(&[0xfe]),
    }
    h.digest128()
}

/// A request read back from a [`Packed`] file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestRow<'a> {
    pub line_number: u64,
    pub occurred_at: Option<i64>,
    pub agent_id: Option<&'a str>,
    pub message_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub model: Option<&'a str>,
    pub speed: Option<&'a str>,
    pub service_tier: Option<&'a str>,
    pub cwd: Option<&'a str>,
    pub git_branch: Option<&'a str>,
    pub version: Option<&'a str>,
    pub is_sidechain: Option<bool>,
    pub counts: Counts,
    pub lines: i64,
}

impl RequestRow<'_> {
    pub fn key(&self) -> Option<u128> {
        self.message_id.map(|id| request_key(id, self.request_id))
    }

    pub fn rank(&self) -> Rank {
        Rank::new(self.is_sidechain, &self.counts, self.speed.is_some())
    }
}

/// One file's requests packed into bytes (about 90 per request instead of a few hundred as
/// structs and strings): what a query holds for every file until the last one is read. The
/// strings a file repeats (model, cwd, branch, version, agent, speed, tier) are stored once in
/// `dict`; counts and line numbers are varints.
#[derive(Debug, Default, Clone)]
pub struct Packed {
    pub dict: Vec<String>,
    pub bytes: Vec<u8>,
    pub rows: usize,
}

/// Fields of a row that go through the dictionary, in order.
const DICT_FIELDS: usize = 7;

impl Packed {
    pub fn pack(set: &RequestSet, texts: &Texts) -> Packed {
        let mut p = Packed { rows: set.rows.len(), ..Packed::default() };
        let mut by_text: HashMap<&str, u64> = HashMap::default();
        let mut last: [(Option<Text>, u64); DICT_FIELDS] = [(None, 0); DICT_FIELDS];
        for r in &set.rows {
            put(&mut p.bytes, r.line_number);
            match r.occurred_at {
                Some(t) => {
                    p.bytes.push(1);
                    p.bytes.extend_from_slice(&t.to_le_bytes());
                }
                None => p.bytes.push(0),
            }
            let fields = [r.agent_id, r.model, r.speed, r.service_tier, r.cwd, r.git_branch, r.version];
            for (t, last) in fields.into_iter().zip(&mut last) {
                let code = match t {
                    None => 0,
                    // Rows mostly share the stored string of the row before (see `reuse_last`).
                    Some(t) if last.0 == Some(t) => last.1,
                    Some(t) => {
                        let code = *by_text.entry(texts.get(t)).or_insert_with_key(|s| {
                            p.dict.push((*s).to_owned());
                            p.dict.len() as u64
                        });
                        *last = (Some(t), code);
                        code
                    }
                };
                put(&mut p.bytes, code);
            }
            for t in [r.message_id, r.request_id] {
                match texts.opt(t) {
                    None => put(&mut p.bytes, 0),
                    Some(s) => {
                        put(&mut p.bytes, s.len() as u64 + 1);
                        p.bytes.extend_from_slice(s.as_bytes());
                    }
                }
            }
            p.bytes.push(match r.is_sidechain {
                None => 0,
                Some(false) => 1,
                Some(true) => 2,
            });
            let c = &r.counts;
            for v in [c.input, c.output, c.cache_creation, c.cache_creation_1h, c.cache_read] {
                put(&mut p.bytes, v as u64);
            }
            for v in [c.web_search_requests, c.web_fetch_requests, r.lines] {
                put(&mut p.bytes, v as u64);
            }
        }
        p.bytes.shrink_to_fit();
        p
    }

    /// The rows of packed `bytes` with their dictionary, in order.
    pub fn rows<'a>(dict: &'a [String], bytes: &'a [u8]) -> Rows<'a> {
        Rows { dict, bytes }
    }
}

/// A file's packed requests and, per row, what the keep rule across files reads (its key's
/// hash, rank and line count; dropped once applied).
#[derive(Debug, Default, Clone)]
pub struct PackedFile {
    pub packed: Packed,
    pub verdict_input: Vec<(Option<u128>, Rank, i64)>,
}

impl PackedFile {
    pub fn pack(set: &RequestSet, texts: &Texts) -> PackedFile {
        let verdict_input = set
            .rows
            .iter()
            .map(|r| {
                let key = texts.opt(r.message_id).map(|id| request_key(id, texts.opt(r.request_id)));
                (key, r.rank(), r.lines)
            })
            .collect();
        PackedFile { packed: Packed::pack(set, texts), verdict_input }
    }

    pub fn is_empty(&self) -> bool {
        self.packed.rows == 0
    }
}

fn put(buf: &mut Vec<u8>, v: u64) {
    let mut tmp = [0u8; 10];
    let n = v.encode_var(&mut tmp);
    buf.extend_from_slice(&tmp[..n]);
}

/// The rows of a [`Packed`] file, decoded one by one.
pub struct Rows<'a> {
    dict: &'a [String],
    bytes: &'a [u8],
}

impl<'a> Rows<'a> {
    /// Bytes not yet decoded.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    fn varint(&mut self) -> u64 {
        let (v, n) = u64::decode_var(self.bytes).expect("packed by Packed::pack");
        self.bytes = &self.bytes[n..];
        v
    }

    fn byte(&mut self) -> u8 {
        let b = self.bytes[0];
        self.bytes = &self.bytes[1..];
        b
    }

    fn text(&mut self) -> Option<&'a str> {
        let n = self.varint() as usize;
        if n == 0 {
            return None;
        }
        let (s, rest) = self.bytes.split_at(n - 1);
        self.bytes = rest;
        Some(std::str::from_utf8(s).expect("packed from a str"))
    }
}

impl<'a> Iterator for Rows<'a> {
    type Item = RequestRow<'a>;

    fn next(&mut self) -> Option<RequestRow<'a>> {
        if self.bytes.is_empty() {
            return None;
        }
        let line_number = self.varint();
        let occurred_at = match self.byte() {
            0 => None,
            _ => {
                let (t, rest) = self.bytes.split_at(8);
                self.bytes = rest;
                Some(i64::from_le_bytes(t.try_into().expect("8 bytes")))
            }
        };
        let mut dict = [None; DICT_FIELDS];
        for d in &mut dict {
            *d = match self.varint() {
                0 => None,
                i => Some(self.dict[i as usize - 1].as_str()),
            };
        }
        let [agent_id, model, speed, service_tier, cwd, git_branch, version] = dict;
        let (message_id, request_id) = (self.text(), self.text());
        let is_sidechain = match self.byte() {
            0 => None,
            1 => Some(false),
            _ => Some(true),
        };
        let mut n = [0i64; 8];
        for v in &mut n {
            *v = self.varint() as i64;
        }
        let counts = Counts {
            input: n[0],
            output: n[1],
            cache_creation: n[2],
            cache_creation_1h: n[3],
            cache_read: n[4],
            web_search_requests: n[5],
            web_fetch_requests: n[6],
        };
        Some(RequestRow {
            line_number,
            occurred_at,
            agent_id,
            message_id,
            request_id,
            model,
            speed,
            service_tier,
            cwd,
            git_branch,
            version,
            is_sidechain,
            counts,
            lines: n[7],
        })
    }
}

/// One request across the files of a query: the row kept, its rank, and how many lines it had.
#[derive(Debug, Clone, Copy)]
struct Group {
    file: u32,
    row: u32,
    rank: Rank,
    lines: i64,
}

/// The keep rule across files. Files are added in sorted path order ([`Dedup::add_file`]),
/// each as its rows' keys, ranks and line counts; then each row asks whether it is kept and how
/// many lines its request had ([`Dedup::standing`]). Holds 4 bytes per row and about 40 per
/// request.
#[derive(Debug, Default)]
pub struct Dedup {
    groups: Vec<Group>,
    index: HashMap<u128, u32>,
    /// Per file, per row: its group (`u32::MAX` for a row without a key).
    row_groups: Vec<Vec<u32>>,
}

/// A row's standing across files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub kept: bool,
    /// Lines of the request over all files, the kept one included.
    pub duplicate_lines: i64,
}

impl Dedup {
    /// Adds the next file in order: per row, its key (`None`: its own request), rank and lines.
    pub fn add_file(&mut self, rows: impl Iterator<Item = (Option<u128>, Rank, i64)>) {
        let file = self.row_groups.len() as u32;
        let mut groups = Vec::new();
        for (row, (key, rank, lines)) in rows.enumerate() {
            let Some(key) = key else {
                groups.push(u32::MAX);
                continue;
            };
            let next = self.groups.len() as u32;
            let g = *self.index.entry(key).or_insert(next);
            if g == next {
                self.groups.push(Group { file, row: row as u32, rank, lines });
            } else {
                let group = &mut self.groups[g as usize];
                if rank > group.rank {
                    (group.file, group.row, group.rank) = (file, row as u32, rank);
                }
                group.lines = group.lines.saturating_add(lines);
            }
            groups.push(g);
        }
        groups.shrink_to_fit();
        self.row_groups.push(groups);
    }

    /// Whether row `row` of file `file` (the index it was added with), which had `lines` lines
    /// in its file, is kept, and its request's line count.
    pub fn standing(&self, file: u32, row: usize, lines: i64) -> Standing {
        match self.row_groups[file as usize][row] {
            u32::MAX => Standing { kept: true, duplicate_lines: lines },
            g => {
                let g = &self.groups[g as usize];
                Standing { kept: (g.file, g.row as usize) == (file, row), duplicate_lines: g.lines }
            }
        }
    }
}

/// The agent of a subagent transcript, from its file name `agent-<id>.jsonl`.
pub fn file_agent_id(path: &str) -> Option<&str> {
    let name = path.rsplit(['/', '\\']).next()?;
    let id = name.strip_prefix("agent-")?.strip_suffix(".jsonl")?;
    (!id.is_empty()).then_some(id)
}

/// The project of a session file: the folder holding it, or for a subagent transcript (below
/// a `<session>/subagents/` folder) the folder holding `<session>/`.
pub fn project_of(path: &str) -> Option<&str> {
    let mut dirs: Vec<&str> = path.split(['/', '\\']).collect();
    dirs.pop(); // the file name
    if let Some(at) = dirs.iter().rposition(|&d| d == "subagents") {
        if at >= 2 {
            return Some(dirs[at - 2]).filter(|d| !d.is_empty());
        }
    }
    dirs.pop().filter(|d| !d.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(texts: &mut Texts, line: u64, id: Option<&str>, req: Option<&str>, output: i64) -> Request {
        Request {
            line_number: line,
            occurred_at: None,
            agent_id: None,
            message_id: id.map(|s| texts.push(s)),
            request_id: req.map(|s| texts.push(s)),
            model: None,
            speed: None,
            service_tier: None,
            cwd: None,
            git_branch: None,
            version: None,
            is_sidechain: None,
            counts: Counts { output, ..Counts::default() },
            lines: 1,
        }
    }

    #[test]
    fn the_keep_rule() {
        let mut t = Texts::default();
        let a = row(&mut t, 1, Some("m"), Some("r"), 5);
        let mut side = row(&mut t, 2, Some("m"), Some("r"), 50);
        side.is_sidechain = Some(true);
        assert!(a.beats(&side) && !side.beats(&a));
        let bigger = row(&mut t, 3, Some("m"), Some("r"), 6);
        assert!(bigger.beats(&a) && !a.beats(&bigger));
        let mut fast = row(&mut t, 4, Some("m"), Some("r"), 5);
        fast.speed = Some(t.push("standard"));
        assert!(fast.beats(&a) && !a.beats(&fast));
        let same = row(&mut t, 5, Some("m"), Some("r"), 5);
        assert!(!same.beats(&a) && !a.beats(&same));
    }

    #[test]
    fn lines_of_a_request_merge_within_a_file() {
        let mut t = Texts::default();
        let mut set = RequestSet::new(false);
        for (line, id, req, out) in [
            (1, Some("m1"), Some("r1"), 5),
            (2, Some("m1"), Some("r1"), 9),
            (3, Some("m1"), Some("r1"), 7),
            (4, Some("m1"), None, 2),
            (5, None, Some("r1"), 3),
            (6, None, Some("r1"), 3),
            (7, Some("m2"), Some("r1"), 1),
        ] {
            let r = row(&mut t, line, id, req, out);
            set.add(&t, r);
        }
        let got: Vec<_> = set.rows.iter().map(|r| (r.line_number, r.counts.output, r.lines)).collect();
        assert_eq!(got, [(2, 9, 3), (4, 2, 1), (5, 3, 1), (6, 3, 1), (7, 1, 1)]);
        let mut every = RequestSet::new(true);
        for line in 1..=3 {
            let r = row(&mut t, line, Some("m1"), Some("r1"), 1);
            every.add(&t, r);
        }
        assert_eq!(every.len(), 3);
    }

    #[test]
    fn across_files_the_first_seen_wins_a_tie_and_counts_add_up() {
        let k = |id: &str, req: &str| Some(request_key(id, Some(req)));
        let rank = |out: i64| Rank::new(None, &Counts { output: out, ..Counts::default() }, false);
        let mut d = Dedup::default();
        // File 0: m1 (two lines merged in the file), m2; file 1: a copy of m1 (ties: the first
        // file keeps it), a larger m2 (the later file keeps it), a row without a key.
        d.add_file([(k("m1", "r1"), rank(4), 2), (k("m2", "r2"), rank(1), 1)].into_iter());
        d.add_file([(k("m1", "r1"), rank(4), 1), (k("m2", "r2"), rank(8), 1), (None, rank(8), 1)].into_iter());
        assert_eq!(d.standing(0, 0, 2), Standing { kept: true, duplicate_lines: 3 });
        assert_eq!(d.standing(0, 1, 1), Standing { kept: false, duplicate_lines: 2 });
        assert_eq!(d.standing(1, 0, 1), Standing { kept: false, duplicate_lines: 3 });
        assert_eq!(d.standing(1, 1, 1), Standing { kept: true, duplicate_lines: 2 });
        assert_eq!(d.standing(1, 2, 1), Standing { kept: true, duplicate_lines: 1 });
        // Keys: the request id matters, and "no request id" is not an empty one.
        assert_ne!(request_key("m", Some("r")), request_key("m", Some("")));
        assert_ne!(request_key("m", Some("")), request_key("m", None));
        assert_ne!(request_key("ab", Some("c")), request_key("a", Some("bc")));
    }

    #[test]
    fn packed_rows_read_back_as_stored() {
        let mut t = Texts::default();
        let mut set = RequestSet::new(true);
        let mut a = row(&mut t, 7, Some("msg_1"), Some("req_1"), 5);
        a.occurred_at = Some(-1);
        a.model = Some(t.push("claude-opus-4-6"));
        a.cwd = Some(t.push("/w"));
        a.speed = Some(t.push("fast"));
        a.is_sidechain = Some(true);
        a.counts = Counts {
            input: i64::MAX,
            output: 1,
            cache_creation: 300,
            cache_creation_1h: 200,
            cache_read: 0,
            web_search_requests: 2,
            web_fetch_requests: 3,
        };
        a.lines = 4;
        set.add(&t, a);
        let mut b = row(&mut t, 9, None, None, 0);
        b.model = Some(t.push("claude-opus-4-6")); // the same model again: one dictionary entry
        b.is_sidechain = Some(false);
        set.add(&t, b);
        let p = Packed::pack(&set, &t);
        assert_eq!((p.rows, p.dict.len()), (2, 3));
        let rows: Vec<_> = Packed::rows(&p.dict, &p.bytes).collect();
        assert_eq!(rows.len(), 2);
        let r = &rows[0];
        assert_eq!(
            (r.line_number, r.occurred_at, r.message_id, r.request_id),
            (7, Some(-1), Some("msg_1"), Some("req_1"))
        );
        assert_eq!(
            (r.model, r.cwd, r.speed, r.agent_id, r.is_sidechain, r.lines),
            (Some("claude-opus-4-6"), Some("/w"), Some("fast"), None, Some(true), 4)
        );
        assert_eq!(r.counts, a.counts);
        assert_eq!(r.key(), Some(request_key("msg_1", Some("req_1"))));
        assert_eq!(r.rank(), a.rank());
        let r = &rows[1];
        assert_eq!(
            (r.line_number, r.occurred_at, r.message_id, r.model, r.is_sidechain, r.key()),
            (9, None, None, Some("claude-opus-4-6"), Some(false), None)
        );
    }

    #[test]
    fn counts_split_cache_writes() {
        let u = Usage {
            cache_creation_input_tokens: Some(10),
            cache_creation_1h: Some(6),
            input_tokens: Some(1),
            ..Usage::default()
        };
        let c = Counts::of(&u);
        assert_eq!((c.cache_creation_5m(), c.cache_creation_1h, c.total()), (4, 6, 11));
        let odd =
            Counts::of(&Usage { cache_creation_input_tokens: Some(3), cache_creation_1h: Some(9), ..Usage::default() });
        assert_eq!((odd.cache_creation_5m(), odd.cache_creation_1h), (0, 3));
        let none = Counts::of(&Usage { cache_creation_1h: Some(9), ..Usage::default() });
        assert_eq!((none.cache_creation_5m(), none.cache_creation_1h), (0, 0));
        let negative = Counts::of(&Usage { input_tokens: Some(-5), output_tokens: Some(2), ..Usage::default() });
        assert_eq!((negative.input, negative.output, negative.total()), (0, 2, 2));
    }

    #[test]
    fn projects_and_agents_from_paths() {
        assert_eq!(project_of("/h/.claude/projects/-home-a-web/s1.jsonl"), Some("-home-a-web"));
        assert_eq!(project_of("/h/.claude/projects/-home-a-web/s1/subagents/agent-x.jsonl"), Some("-home-a-web"));
        assert_eq!(project_of("/p/-w/s1/subagents/workflows/wf1/agent-y.jsonl"), Some("-w"));
        assert_eq!(project_of("/p/-w/agent-z.jsonl"), Some("-w"));
        assert_eq!(project_of("s.jsonl"), None);
        assert_eq!(file_agent_id("/p/-w/s1/subagents/agent-a1b2.jsonl"), Some("a1b2"));
        assert_eq!(file_agent_id("/p/-w/s1.jsonl"), None);
        assert_eq!(file_agent_id("/p/agent-.jsonl"), None);
    }
}
