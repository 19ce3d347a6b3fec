//! The per-session summary row and the 10-minute activity rule.

/// Default gap (seconds) after which activity starts a new block.
pub const DEFAULT_GAP_SECONDS: i64 = 600;

// foldhash rather than std's SipHash for the per-file maps of ids and names: faster on short keys, and
// seeded at random per process as std's is.
use foldhash::HashMap;

/// The version of the processing rules, as the reference server stores it.
pub const PROCESSOR_VERSION: i32 = 2;

/// Token counters, in the order input, output, cache read, cache creation.
pub type Tokens = [i64; 4];

/// One summary row of a session file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub session_id: String,
    /// Microseconds since the epoch, UTC.
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub active_seconds: i64,
    pub wall_seconds: i64,
    pub user_messages: i64,
    pub assistant_messages: i64,
    pub tool_calls: i64,
    pub tool_errors: i64,
    pub skill_invocations: i64,
    pub subagent_dispatches: i64,
    pub mcp_calls: i64,
    pub slash_commands: i64,
    pub distinct_tools: i64,
    pub distinct_skills: i64,
    pub primary_model: Option<String>,
    pub tokens: Tokens,
    pub tokens_dedup: Tokens,
    /// The file's requests (its own assistant lines, de-duplicated), priced.
    pub cost_usd: f64,
    /// Tokens of those requests that have no price.
    pub unpriced_tokens: i64,
    /// Non-blank lines.
    pub lines: i64,
    /// Lines skipped as malformed (not UTF-8, not JSON, not an object).
    pub malformed_lines: i64,
}

/// A set of the parts of a summary row that cost work to compute (the columns a query
/// projects). The session id and the counts of lines and messages always come; a part left
/// out is zero (or absent) in the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts(u16);

impl Parts {
    pub const NONE: Parts = Parts(0);
    /// `started_at`, `ended_at`, `active_seconds`, `wall_seconds`: every line's time.
    pub const TIMES: Parts = Parts(1 << 0);
    /// `tool_calls`, `subagent_dispatches`, `mcp_calls`, `distinct_tools`: tool uses by type
    /// and their names.
    pub const TOOLS: Parts = Parts(1 << 1);
    /// `tool_errors`: the ids of failed tool uses and of every tool use.
    pub const ERRORS: Parts = Parts(1 << 2);
    /// `skill_invocations`, `distinct_skills`: each Skill's input read for its name.
    pub const SKILLS: Parts = Parts(1 << 3);
    /// `slash_commands`: user texts matched for commands.
    pub const SLASH_COMMANDS: Parts = Parts(1 << 4);
    /// `primary_model`: the models of assistant lines counted.
    pub const MODEL: Parts = Parts(1 << 5);
    /// `input_tokens` ... `cache_creation_tokens`: usage summed.
    pub const TOKENS: Parts = Parts(1 << 6);
    /// `*_tokens_dedup`: the usage of the requests kept per (`message.id`, `requestId`).
    pub const TOKENS_DEDUP: Parts = Parts(1 << 7);
    /// `cost_usd`, `unpriced_tokens`: the same requests, priced.
    pub const COST: Parts = Parts(1 << 8);
    pub const ALL: Parts = Parts((1 << 9) - 1);
    /// Each part alone.
    pub const EACH: [Parts; 9] = [
        Parts::TIMES,
        Parts::TOOLS,
        Parts::ERRORS,
        Parts::SKILLS,
        Parts::SLASH_COMMANDS,
        Parts::MODEL,
        Parts::TOKENS,
        Parts::TOKENS_DEDUP,
        Parts::COST,
    ];

    /// `s` with the parts outside the set cleared: what a scan that asked for this set gives.
    pub fn mask(self, s: &Summary) -> Summary {
        let mut out = Summary {
            session_id: s.session_id.clone(),
            user_messages: s.user_messages,
            assistant_messages: s.assistant_messages,
            lines: s.lines,
            malformed_lines: s.malformed_lines,
            ..Summary::default()
        };
        if self.contains(Parts::TIMES) {
            (out.started_at, out.ended_at, out.active_seconds, out.wall_seconds) =
                (s.started_at, s.ended_at, s.active_seconds, s.wall_seconds);
        }
        if self.contains(Parts::TOOLS) {
            (out.tool_calls, out.subagent_dispatches, out.mcp_calls, out.distinct_tools) =
                (s.tool_calls, s.subagent_dispatches, s.mcp_calls, s.distinct_tools);
        }
        if self.contains(Parts::ERRORS) {
            out.tool_errors = s.tool_errors;
        }
        if self.contains(Parts::SKILLS) {
            (out.skill_invocations, out.distinct_skills) = (s.skill_invocations, s.distinct_skills);
        }
        if self.contains(Parts::SLASH_COMMANDS) {
            out.slash_commands = s.slash_commands;
        }
        if self.contains(Parts::MODEL) {
            out.primary_model.clone_from(&s.primary_model);
        }
        if self.contains(Parts::TOKENS) {
            out.tokens = s.tokens;
        }
        if self.contains(Parts::TOKENS_DEDUP) {
            out.tokens_dedup = s.tokens_dedup;
        }
        if self.contains(Parts::COST) {
            (out.cost_usd, out.unpriced_tokens) = (s.cost_usd, s.unpriced_tokens);
        }
        out
    }
}

bit_set!(Parts, u16);

/// Active seconds of a set of instants (microseconds): sorted, split into blocks wherever the
/// gap between neighbours exceeds `gap_seconds`, block lengths summed.
///
/// The reference sums the blocks' lengths as Python floats (`timedelta.total_seconds()`), left
/// to right, and truncates the sum; this does the same so that results agree to the second.
pub fn active_seconds(instants: &mut [i64], gap_seconds: i64) -> i64 {
    if instants.is_empty() {
        return 0;
    }
    instants.sort_unstable();
    active_seconds_sorted(instants, gap_seconds)
}

/// [`active_seconds`] over instants already sorted ascending.
pub fn active_seconds_sorted(instants: &[i64], gap_seconds: i64) -> i64 {
    let Some(&first) = instants.first() else { return 0 };
    let gap_micros = i128::from(gap_seconds) * 1_000_000;
    let mut total = 0.0f64;
    let mut block_start = first;
    let mut prev = first;
    for &t in &instants[1..] {
        if i128::from(t) - i128::from(prev) > gap_micros {
            total += micros_as_seconds(prev - block_start);
            block_start = t;
        }
        prev = t;
    }
    total += micros_as_seconds(prev - block_start);
    total as i64
}

/// `timedelta.total_seconds()`: the microsecond count divided by 10^6 in floating point.
fn micros_as_seconds(micros: i64) -> f64 {
    micros as f64 / 1e6
}

/// Usage counters de-duplicated per (`message.id`, `requestId`): the largest value seen per
/// key and counter. Claude Code writes the lines of one response next to each other, so the
/// last key is kept at hand and the map is touched only when the key changes.
#[derive(Debug, Default)]
pub struct MessageTokens {
    by_key: HashMap<MessageKey, Tokens>,
    current: Option<(MessageKey, Tokens)>,
}

/// (`message.id`, `requestId`).
type MessageKey = (Box<str>, Option<Box<str>>);

impl MessageTokens {
    pub fn add(&mut self, id: &str, request_id: Option<&str>, values: Tokens) {
        match &mut self.current {
            Some(((cur_id, cur_req), best)) if **cur_id == *id && cur_req.as_deref() == request_id => {
                max_into(best, &values);
            }
            _ => {
                self.flush();
                self.current = Some(((Box::from(id), request_id.map(Box::from)), values.map(|v| v.max(0))));
            }
        }
    }

    fn flush(&mut self) {
        if let Some((key, values)) = self.current.take() {
            max_into(self.by_key.entry(key).or_insert([0; 4]), &values);
        }
    }

    /// Adds the keys of a later part of the same file.
    pub fn merge(&mut self, mut later: MessageTokens) {
        self.flush();
        later.flush();
        for (key, values) in later.by_key {
            max_into(self.by_key.entry(key).or_insert([0; 4]), &values);
        }
    }

    /// The sum over keys of each counter's largest value.
    pub fn total(&mut self) -> Tokens {
        self.flush();
        let mut total = [0i64; 4];
        for best in self.by_key.values() {
            add_into(&mut total, best);
        }
        total
    }
}

/// Adds `values` into `sums`, saturating at the `i64` bounds.
pub fn add_into(sums: &mut Tokens, values: &Tokens) {
    for (s, v) in sums.iter_mut().zip(values) {
        *s = s.saturating_add(*v);
    }
}

/// Keeps the larger of each pair (a key's counters start at 0, as in the reference's oracle).
fn max_into(best: &mut Tokens, values: &Tokens) {
    for (b, v) in best.iter_mut().zip(values) {
        *b = (*b).max(*v);
    }
}

/// Counts per model, remembering first-seen order so that a tie goes to the earliest.
#[derive(Debug, Default)]
pub struct ModelCounter {
    counts: Vec<(String, i64)>,
}

impl ModelCounter {
    pub fn add(&mut self, model: &str) {
        self.add_n(model, 1);
    }

    fn add_n(&mut self, model: &str, n: i64) {
        // Few distinct models per file: a linear scan beats hashing.
        if let Some(slot) = self.counts.iter_mut().find(|(m, _)| m == model) {
            slot.1 += n;
        } else {
            self.counts.push((model.to_owned(), n));
        }
    }

    /// Adds the counts of a later part of the same file.
    pub fn merge(&mut self, later: &ModelCounter) {
        for (model, n) in &later.counts {
            self.add_n(model, *n);
        }
    }

    /// The most frequent model; a tie goes to the one seen first.
    pub fn primary(&self) -> Option<&str> {
        let mut best: Option<&(String, i64)> = None;
        for entry in &self.counts {
            if best.is_none_or(|b| entry.1 > b.1) {
                best = Some(entry);
            }
        }
        best.map(|(m, _)| m.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    #[test]
    fn blocks_split_only_after_more_than_the_gap() {
        assert_eq!(active_seconds(&mut [], 600), 0);
        assert_eq!(active_seconds(&mut [5 * S], 600), 0);
        assert_eq!(active_seconds(&mut [0, 599 * S], 600), 599);
        assert_eq!(active_seconds(&mut [0, 600 * S], 600), 600);
        assert_eq!(active_seconds(&mut [0, 600 * S + 1], 600), 0);
        assert_eq!(active_seconds(&mut [0, 611 * S, 10 * S], 600), 10);
        assert_eq!(active_seconds(&mut [0, 10 * S, 1000 * S, 1030 * S], 600), 40);
    }

    #[test]
    fn float_sum_truncates_like_python() {
        // Python: int(0.2 + 0.7 + 0.1) == 0 because 0.2 + 0.7 + 0.1 == 0.9999999999999999.
        let mut t = [0, 200_000, 1_000 * S, 1_000 * S + 700_000, 2_000 * S, 2_000 * S + 100_000];
        assert_eq!(active_seconds(&mut t, 600), 0);
    }

    #[test]
    fn primary_model_tie_goes_to_first_seen() {
        let mut c = ModelCounter::default();
        assert_eq!(c.primary(), None);
        for m in ["b", "a", "a", "b"] {
            c.add(m);
        }
        assert_eq!(c.primary(), Some("b"));
        c.add("a");
        assert_eq!(c.primary(), Some("a"));
    }
}
