//! Billing blocks: the 5-hour windows Claude's subscription limits count in, as ccusage
//! (`blocks`) draws them over one account's requests.
//!
//! The rule, over the request instants sorted by time:
//! * the first request opens a block that starts at its instant floored to the hour (UTC);
//! * a later request joins the current block unless it is **more than** `length` after the
//!   block's start, or **more than** `length` after the previous request; then it opens a new
//!   block (again floored to the hour). Exactly `length` after either keeps the block;
//! * when the new block was opened because the request is more than `length` after the
//!   previous request, a gap runs from previous request + `length` to the request
//!   (`after_gap`); a block opened only because its start is too far back has no gap before it;
//! * a request at the same instant as the previous one always stays in its block (ccusage
//!   differs only when `length` is under an hour, where the floored start can already lie more
//!   than `length` back: it would open one block per request there). This keeps a block's
//!   first instant unique, so the instant identifies the block.
//!
//! `length` is `hours` as ccusage computes it: `hours * 3_600_000` truncated to whole
//! milliseconds. Instants are microseconds since the epoch (UTC), as DuckDB's TIMESTAMP.
//! The SQL macro `claude_usage.usage_blocks` (sql/reports.sql; `claude_usage.blocks` over files
//! in sql/reports_paths.sql) derives everything else (ends, gap rows, activity, burn rate) from
//! these starts.

/// The block length ccusage uses when none is given.
pub const DEFAULT_BLOCK_HOURS: f64 = 5.0;

pub const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// The beginning of one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockStart {
    /// The first request's instant floored to the hour (UTC).
    pub start: i64,
    /// The first request's instant.
    pub first_activity: i64,
    /// Whether the previous request lies more than `length` back (a gap row precedes this
    /// block); false for the first block.
    pub after_gap: bool,
}

/// The block length in microseconds for `hours` (ccusage's millisecond truncation), or `None`
/// when `hours` is not a positive finite number of at least one millisecond, or too large.
pub fn block_length(hours: f64) -> Option<i64> {
    if !hours.is_finite() || hours <= 0.0 {
        return None;
    }
    let millis = (hours * 3_600_000.0).trunc();
    // 2^53 ms is about 285,000 years: beyond any TIMESTAMP range that matters.
    if !(1.0..=9_007_199_254_740_992.0).contains(&millis) {
        return None;
    }
    Some(millis as i64 * 1000)
}

/// `instant` floored to the hour (UTC); instants before 1970 floor downwards too (saturating
/// at the bottom of the range).
pub fn floor_to_hour(instant: i64) -> i64 {
    instant.saturating_sub(instant.rem_euclid(MICROS_PER_HOUR))
}

/// The block starts of `instants` (any order; sorted in place) with blocks of `length`
/// microseconds. Empty input gives no blocks.
pub fn block_starts(instants: &mut [i64], length: i64) -> Vec<BlockStart> {
    if !instants.is_sorted() {
        instants.sort_unstable();
    }
    block_starts_sorted(instants, length)
}

/// [`block_starts`] over instants already in ascending order.
pub fn block_starts_sorted(instants: &[i64], length: i64) -> Vec<BlockStart> {
    debug_assert!(instants.is_sorted());
    let mut out = Vec::new();
    let mut iter = instants.iter().copied();
    let Some(first) = iter.next() else {
        return out;
    };
    let mut start = floor_to_hour(first);
    let mut previous = first;
    out.push(BlockStart { start, first_activity: first, after_gap: false });
    for instant in iter {
        if instant != previous {
            // i128: differences of extreme TIMESTAMPs (infinity is i64::MAX) cannot overflow.
            let since_start = instant as i128 - start as i128;
            let since_previous = instant as i128 - previous as i128;
            let length = length as i128;
            if since_start > length || since_previous > length {
                start = floor_to_hour(instant);
                out.push(BlockStart { start, first_activity: instant, after_gap: since_previous > length });
            }
        }
        previous = instant;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = MICROS_PER_HOUR;
    const M: i64 = 60_000_000;
    /// 2026-03-01 00:00:00 UTC.
    const DAY: i64 = 1_772_323_200 * 1_000_000;

    fn at(hour: i64, minute: i64) -> i64 {
        DAY + hour * H + minute * M
    }

    fn five() -> i64 {
        block_length(5.0).unwrap()
    }

    fn starts(mut instants: Vec<i64>, length: i64) -> Vec<(i64, i64, bool)> {
        block_starts(&mut instants, length).into_iter().map(|b| (b.start, b.first_activity, b.after_gap)).collect()
    }

    #[test]
    fn lengths() {
        assert_eq!(block_length(5.0), Some(5 * H));
        assert_eq!(block_length(1.0), Some(H));
        assert_eq!(block_length(1.5), Some(H + 30 * M));
        // truncated to whole milliseconds, as ccusage does
        assert_eq!(block_length(1.0 / 3_600_000.0 * 1.9), Some(1000));
        assert_eq!(block_length(0.0), None);
        assert_eq!(block_length(-5.0), None);
        assert_eq!(block_length(f64::NAN), None);
        assert_eq!(block_length(f64::INFINITY), None);
        assert_eq!(block_length(1e-12), None);
        assert_eq!(block_length(1e300), None);
    }

    #[test]
    fn floors_to_the_hour() {
        assert_eq!(floor_to_hour(at(10, 55) + 30_000_000), at(10, 0));
        assert_eq!(floor_to_hour(at(10, 0)), at(10, 0));
        assert_eq!(floor_to_hour(-1), -H);
        assert_eq!(floor_to_hour(0), 0);
        assert_eq!(starts(vec![at(10, 55)], five()), vec![(at(10, 0), at(10, 55), false)]);
    }

    #[test]
    fn empty_input() {
        assert_eq!(starts(vec![], five()), vec![]);
    }

    #[test]
    fn one_block_within_hours() {
        assert_eq!(starts(vec![at(10, 5), at(11, 0), at(14, 59)], five()), vec![(at(10, 0), at(10, 5), false)]);
    }

    #[test]
    fn more_than_hours_after_the_start_without_gap() {
        // 10:30 opens 10:00-15:00; 14:00 joins; 15:30 is 5.5 h after the start but 1.5 h after
        // the previous request: a new block at 15:00, no gap
        assert_eq!(
            starts(vec![at(10, 30), at(14, 0), at(15, 30)], five()),
            vec![(at(10, 0), at(10, 30), false), (at(15, 0), at(15, 30), false)]
        );
    }

    #[test]
    fn a_gap() {
        // 10:00, then 16:01 (6 h 1 min later): block, gap 15:00-16:01, block at 16:00
        assert_eq!(
            starts(vec![at(10, 0), at(16, 1)], five()),
            vec![(at(10, 0), at(10, 0), false), (at(16, 0), at(16, 1), true)]
        );
        // 10:30, 12:00, then 17:30 (5.5 h after 12:00)
        assert_eq!(
            starts(vec![at(10, 30), at(12, 0), at(17, 30)], five()),
            vec![(at(10, 0), at(10, 30), false), (at(17, 0), at(17, 30), true)]
        );
    }

    #[test]
    fn exactly_hours_apart() {
        // 10:00 and 15:00: exactly 5 h after both the start and the previous request: one block
        assert_eq!(starts(vec![at(10, 0), at(15, 0)], five()), vec![(at(10, 0), at(10, 0), false)]);
        // one microsecond more: a new block after a gap
        assert_eq!(
            starts(vec![at(10, 0), at(15, 0) + 1], five()),
            vec![(at(10, 0), at(10, 0), false), (at(15, 0), at(15, 0) + 1, true)]
        );
        // 10:30 and 15:30: exactly 5 h after the previous request (no gap) but 5.5 h after
        // the block start 10:00: a new block at 15:00 without a gap
        assert_eq!(
            starts(vec![at(10, 30), at(15, 30)], five()),
            vec![(at(10, 0), at(10, 30), false), (at(15, 0), at(15, 30), false)]
        );
        // a request exactly at the block's end stays in it; the next one opens a block that
        // starts at that same instant (blocks may share their boundary instant)
        assert_eq!(
            starts(vec![at(10, 59), at(15, 0), at(15, 30)], five()),
            vec![(at(10, 0), at(10, 59), false), (at(15, 0), at(15, 30), false)]
        );
    }

    #[test]
    fn one_hour_blocks() {
        let one = block_length(1.0).unwrap();
        // 10:10, 10:50, 11:00 (exactly 1 h after the start), 11:20 (1 h 20 after the start,
        // 20 min after the previous), 12:21 (61 min after 11:20: a gap), 12:21 again
        assert_eq!(
            starts(vec![at(10, 10), at(10, 50), at(11, 0), at(11, 20), at(12, 21), at(12, 21)], one),
            vec![(at(10, 0), at(10, 10), false), (at(11, 0), at(11, 20), false), (at(12, 0), at(12, 21), true)]
        );
    }

    #[test]
    fn unsorted_input_and_duplicates() {
        let sorted = starts(vec![at(10, 0), at(10, 0), at(12, 0), at(16, 1), at(22, 0)], five());
        let unsorted = starts(vec![at(22, 0), at(10, 0), at(16, 1), at(10, 0), at(12, 0)], five());
        assert_eq!(sorted, unsorted);
        assert_eq!(
            sorted,
            vec![(at(10, 0), at(10, 0), false), (at(16, 0), at(16, 1), false), (at(22, 0), at(22, 0), true)]
        );
    }

    #[test]
    fn equal_instants_share_a_block_under_an_hour() {
        // 30-minute blocks: 10:40 (40 min after 10:00: a gap) floors to 10:00, already more than
        // 30 min back; a second request at 10:40 still stays with the first; 10:45 is 45 min
        // after its block's start: a new block (also starting at 10:00), no gap
        let half = block_length(0.5).unwrap();
        assert_eq!(
            starts(vec![at(10, 0), at(10, 40), at(10, 40), at(10, 45)], half),
            vec![(at(10, 0), at(10, 0), false), (at(10, 0), at(10, 40), true), (at(10, 0), at(10, 45), false)]
        );
    }

    #[test]
    fn extreme_instants() {
        assert_eq!(
            starts(vec![i64::MIN + 1, i64::MAX], five()),
            vec![(i64::MIN, i64::MIN + 1, false), (floor_to_hour(i64::MAX), i64::MAX, true)]
        );
    }
}
