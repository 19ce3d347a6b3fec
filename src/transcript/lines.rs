//! Streaming line splitter: bytes from any `Read` to numbered, trimmed lines.
//!
//! The reader keeps one buffer that grows only to the longest line it meets, so a file is
//! never held whole in memory. Lines end at `\n`; surrounding whitespace (including a
//! trailing `\r`) is trimmed the way Python's `str.strip()` trims it, and a UTF-8 byte-order
//! mark at the very start of a file is dropped. Line numbers are 1-based physical lines.

use std::io::{self, Read};

use memchr::memchr;

/// Initial buffer size; the buffer doubles when one line does not fit.
const INITIAL_CAPACITY: usize = 256 * 1024;

/// Reads lines from `source` and calls `on_line(line_number, trimmed_line)` for every line
/// that is not blank after trimming. Returns the number of physical lines seen.
pub fn for_each_line<R, F>(source: R, on_line: F) -> io::Result<u64>
where
    R: Read,
    F: FnMut(u64, &[u8]),
{
    LineReader::new().for_each_line(source, on_line)
}

/// A byte range of a file whose lines one reader handles: the lines that *start* in
/// `[start, end)`. Several readers can split one file this way, each line read exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: u64,
    pub end: u64,
}

impl Range {
    pub const WHOLE: Range = Range { start: 0, end: u64::MAX };

    /// Where the source handed to [`LineReader::for_range`] must be positioned: one byte
    /// early, to see whether a line starts exactly at `start`.
    pub fn read_from(&self) -> u64 {
        self.start.saturating_sub(1)
    }
}

/// What [`LineReader::for_range`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeRead {
    /// The physical lines of the range.
    pub lines: u64,
    /// The source ended before the range did: its last line, if any, runs to the end of the
    /// data (for a range that is not a file's last, the file shrank while it was read, or its
    /// last line has no newline).
    pub ended: bool,
}

/// A reusable line splitter: its buffer survives from file to file, so a thread that reads
/// many small files allocates (and zeroes) it once.
#[derive(Default)]
pub struct LineReader {
    buf: Vec<u8>,
}

impl LineReader {
    pub fn new() -> Self {
        LineReader { buf: Vec::new() }
    }

    /// See [`for_each_line`].
    pub fn for_each_line<R, F>(&mut self, source: R, on_line: F) -> io::Result<u64>
    where
        R: Read,
        F: FnMut(u64, &[u8]),
    {
        self.for_range(source, Range::WHOLE, on_line).map(|read| read.lines)
    }

    /// Reads the lines starting in `range` from `source`, which is positioned at
    /// `range.read_from()`. Line numbers count from 1 at the range's first line; the result
    /// has the number of physical lines in the range and whether the source ended first. A
    /// buffer that grew for one long line is shrunk back on the next call.
    pub fn for_range<R, F>(&mut self, mut source: R, range: Range, mut on_line: F) -> io::Result<RangeRead>
    where
        R: Read,
        F: FnMut(u64, &[u8]),
    {
        if self.buf.len() != INITIAL_CAPACITY {
            self.buf = vec![0; INITIAL_CAPACITY];
        }
        let buf = &mut self.buf;
        let mut start = 0usize; // first unconsumed byte
        let mut end = 0usize; // end of valid data
        let mut line_number = 0u64;
        // Offset (from `read_from`) of buf[start], the start of the next line.
        let mut offset = 0u64;
        let limit = range.end.saturating_sub(range.read_from());
        // A range that does not start the file begins after the first newline at or after
        // `read_from` (the previous range owns the line that straddles the boundary).
        let mut skipping = range.start > 0;
        let mut first = range.start == 0;
        loop {
            if start > 0 && (end == buf.len() || start == end) {
                buf.copy_within(start..end, 0);
                end -= start;
                start = 0;
            }
            if end == buf.len() {
                if skipping {
                    // Still inside the straddling line: drop what we have.
                    offset += end as u64;
                    start = 0;
                    end = 0;
                } else {
                    let new_len = buf.len() * 2;
                    buf.resize(new_len, 0);
                }
            }
            let n = read_some(&mut source, &mut buf[end..])?;
            if n == 0 {
                if start < end && !skipping && offset < limit {
                    line_number += 1;
                    emit(&buf[start..end], line_number, &mut first, &mut on_line);
                }
                return Ok(RangeRead { lines: line_number, ended: true });
            }
            let mut search = end;
            end += n;
            while let Some(pos) = memchr(b'\n', &buf[search..end]) {
                let nl = search + pos;
                if skipping {
                    skipping = false;
                } else {
                    if offset >= limit {
                        return Ok(RangeRead { lines: line_number, ended: false });
                    }
                    line_number += 1;
                    emit(&buf[start..nl], line_number, &mut first, &mut on_line);
                }
                offset += (nl + 1 - start) as u64;
                start = nl + 1;
                search = start;
            }
            if !skipping && offset >= limit {
                return Ok(RangeRead { lines: line_number, ended: false });
            }
        }
    }
}

fn read_some<R: Read>(source: &mut R, dst: &mut [u8]) -> io::Result<usize> {
    loop {
        match source.read(dst) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn emit<F: FnMut(u64, &[u8])>(line: &[u8], number: u64, first: &mut bool, on_line: &mut F) {
    let mut line = line;
    if *first {
        *first = false;
        line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    }
    let line = trim(line);
    if !line.is_empty() {
        on_line(number, line);
    }
}

/// Trims what Python's `str.strip()` trims: ASCII whitespace, the separators `\x1c`..`\x1f`
/// and Unicode white space.
pub fn trim(mut line: &[u8]) -> &[u8] {
    loop {
        match line.first() {
            Some(&b) if b < 0x80 => {
                if is_ascii_space(b) {
                    line = &line[1..];
                    continue;
                }
                break;
            }
            Some(_) => match leading_unicode_space(line) {
                Some(len) => line = &line[len..],
                None => break,
            },
            None => return line,
        }
    }
    loop {
        match line.last() {
            Some(&b) if b < 0x80 => {
                if is_ascii_space(b) {
                    line = &line[..line.len() - 1];
                    continue;
                }
                break;
            }
            Some(_) => match trailing_unicode_space(line) {
                Some(len) => line = &line[..line.len() - len],
                None => break,
            },
            None => return line,
        }
    }
    line
}

fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f)
}

fn leading_unicode_space(line: &[u8]) -> Option<usize> {
    let head = &line[..line.len().min(4)];
    let s = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
    };
    let c = s.chars().next()?;
    c.is_whitespace().then(|| c.len_utf8())
}

fn trailing_unicode_space(line: &[u8]) -> Option<usize> {
    let tail = &line[line.len().saturating_sub(4)..];
    (1..=tail.len()).find_map(|len| {
        let s = std::str::from_utf8(&tail[tail.len() - len..]).ok()?;
        let c = s.chars().next()?;
        (c.len_utf8() == len && c.is_whitespace()).then_some(len)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(data: &[u8]) -> (Vec<(u64, Vec<u8>)>, u64) {
        let mut out = Vec::new();
        let n = for_each_line(data, |n, l| out.push((n, l.to_vec()))).unwrap();
        (out, n)
    }

    #[test]
    fn numbers_physical_lines_and_skips_blank_ones() {
        let (lines, n) = collect(b"a\n\n  \r\nb\r\nc");
        assert_eq!(lines, vec![(1, b"a".to_vec()), (4, b"b".to_vec()), (5, b"c".to_vec())]);
        assert_eq!(n, 5);
    }

    #[test]
    fn drops_bom_and_python_whitespace() {
        let (lines, _) = collect("\u{feff}{}\n\u{a0}\x1c{\"a\":1}\u{3000}\n".as_bytes());
        assert_eq!(lines, vec![(1, b"{}".to_vec()), (2, b"{\"a\":1}".to_vec())]);
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert_eq!(collect(b""), (vec![], 0));
        assert_eq!(collect(b"\n\n"), (vec![], 2));
    }

    #[test]
    fn lines_longer_than_the_buffer() {
        let long = vec![b'x'; INITIAL_CAPACITY * 3 + 17];
        let mut data = long.clone();
        data.extend_from_slice(b"\nshort\n");
        data.extend_from_slice(&long);
        let (lines, n) = collect(&data);
        assert_eq!(n, 3);
        assert_eq!(lines[0].1.len(), long.len());
        assert_eq!(lines[1].1, b"short");
        assert_eq!(lines[2].1.len(), long.len());
    }

    /// A reader that hands out one byte at a time.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    #[test]
    fn short_reads_do_not_split_lines() {
        let mut out = Vec::new();
        for_each_line(Trickle(b"ab\ncd\n"), |n, l| out.push((n, l.to_vec()))).unwrap();
        assert_eq!(out, vec![(1, b"ab".to_vec()), (2, b"cd".to_vec())]);
    }

    /// Splitting a file into ranges at every possible boundary gives every line once.
    #[test]
    fn ranges_partition_the_lines() {
        let data: &[u8] = b"\xEF\xBB\xBFaa\n\nbbb\r\ncccc\nd\n\neeeee";
        let (whole, total) = collect(data);
        let numbered: Vec<(u64, Vec<u8>)> = whole;
        for cut1 in 0..=data.len() {
            for cut2 in cut1..=data.len() {
                let mut got = Vec::new();
                let mut base = 0;
                for (a, b) in [(0, cut1), (cut1, cut2), (cut2, data.len())] {
                    let range = Range { start: a as u64, end: if b == data.len() { u64::MAX } else { b as u64 } };
                    let src = &data[range.read_from() as usize..];
                    let read =
                        LineReader::new().for_range(src, range, |no, l| got.push((base + no, l.to_vec()))).unwrap();
                    // A range runs into the end of the data when it is the last, or when no line
                    // starts at or after its end.
                    let ended = b == data.len() || !data[b.saturating_sub(1)..].contains(&b'\n');
                    assert_eq!(read.ended, ended, "cuts {cut1} {cut2}: {a}..{b}");
                    base += read.lines;
                }
                assert_eq!(got, numbered, "cuts {cut1} {cut2}");
                assert_eq!(base, total, "cuts {cut1} {cut2}");
            }
        }
    }

    #[test]
    fn a_range_inside_one_long_line_is_empty() {
        let mut data = vec![b'x'; INITIAL_CAPACITY * 3];
        data.push(b'\n');
        data.extend_from_slice(b"tail\n");
        let range = Range { start: 10, end: (INITIAL_CAPACITY * 2) as u64 };
        let mut got = Vec::new();
        let read = LineReader::new().for_range(&data[9..], range, |no, l| got.push((no, l.to_vec()))).unwrap();
        assert_eq!((read, got.len()), (RangeRead { lines: 0, ended: false }, 0));
        let range = Range { start: 10, end: u64::MAX };
        let read = LineReader::new().for_range(&data[9..], range, |no, l| got.push((no, l.to_vec()))).unwrap();
        assert_eq!(read, RangeRead { lines: 1, ended: true });
        assert_eq!(got, vec![(1, b"tail".to_vec())]);
    }

    #[test]
    fn invalid_utf8_is_passed_through() {
        let (lines, _) = collect(b"\xff\xfe{}\n");
        assert_eq!(lines, vec![(1, b"\xff\xfe{}".to_vec())]);
    }
}
