//! The fast path of [`Record::parse`](super::record::Record::parse): a hand-written reader for
//! the lines Claude Code actually writes.
//!
//! Most of a transcript's bytes sit in values the record never reads: tool outputs, file
//! snapshots, progress payloads, assistant text. `serde_json` has to walk them a few bytes at a
//! time. This reader validates them just as strictly but crosses a string 16, then 64 bytes at
//! a time: vector compares (AVX2 through `pulp` where the CPU has it, else SSE2 through
//! `wide`; both safe) turn its quotes, backslashes and bytes below 0x20 into bit masks, the
//! escaped bytes follow by bit arithmetic, and no byte is visited one by one. Between tokens only the space is read as whitespace.
//!
//! The contract is one-sided. [`record`] returns `None` for anything it does not handle, and
//! the caller then parses the line with `serde_json` as before: a control byte in a string or
//! between tokens (a tab, say), a key with an escape, a lone surrogate or a number beyond f64
//! where `serde_json` reads a value, a usage counter that is not a plain non-negative integer
//! of at most 18 digits, nesting deeper than 256 levels in a skipped value, and every syntax
//! error. So an accepted line is always valid JSON and its record equals `serde_json`'s field
//! for field (the unit tests and the `skim` fuzz target check this); every other line keeps
//! exactly its old result, malformed or not.

use std::borrow::Cow;

use memchr::memchr2;
use wide::u8x16;

use super::record::{Content, Embedded, Item, Message, Progress, Record, Str, ToolInput, Usage};

/// Reads a whole line, or `None` to leave it to `serde_json`.
pub fn record(line: &str) -> Option<Record<'_>> {
    whole_object(line, record_field)
}

/// Reads the classifying fields of a tool input (the raw text of a JSON object), or `None`
/// to leave it to `serde_json`.
pub fn tool_input(raw: &str) -> Option<ToolInput<'_>> {
    whole_object(raw, tool_input_field)
}

/// A text that is one object and nothing else (spaces aside), read field by field with
/// `field(cursor, key, value)` (see [`Cursor::object_or_absent`]).
fn whole_object<'a, T: Default>(
    text: &'a str,
    field: impl Fn(&mut Cursor<'a>, &[u8], &mut T) -> Option<()>,
) -> Option<T> {
    let mut c = Cursor { s: text, b: text.as_bytes(), i: 0 };
    c.ws();
    if c.peek()? != b'{' {
        return None;
    }
    let mut value = T::default();
    c.object(|c, key| field(c, key, &mut value))?;
    c.ws();
    (c.i == c.b.len()).then_some(value)
}

fn record_field<'a>(c: &mut Cursor<'a>, key: &[u8], rec: &mut Record<'a>) -> Option<()> {
    match key {
        b"type" => rec.kind = c.str_value()?,
        b"uuid" => rec.uuid = c.str_value()?,
        b"parentUuid" => rec.parent_uuid = c.str_value()?,
        b"sessionId" => rec.session_id = c.str_value()?,
        b"timestamp" => rec.timestamp = c.str_value()?,
        b"cwd" => rec.cwd = c.str_value()?,
        b"isSidechain" => rec.is_sidechain = c.bool_value()?,
        b"requestId" => rec.request_id = c.str_value()?,
        b"tool_use_id" => rec.tool_use_id = c.str_value()?,
        b"toolUseId" => rec.tool_use_id_camel = c.str_value()?,
        b"is_error" => rec.is_error = c.true_value()?,
        b"message" => rec.message = c.object_or_absent(message_field)?,
        b"agentId" => rec.agent_id = c.str_value()?,
        b"gitBranch" => rec.git_branch = c.str_value()?,
        b"version" => rec.version = c.str_value()?,
        b"data" => rec.progress = c.object_or_absent(progress_field)?.map(Box::new),
        b"toolUseResult" => rec.result_agent_id = c.object_or_absent(result_field)?.flatten(),
        _ => c.skip_value()?,
    }
    Some(())
}

fn progress_field<'a>(c: &mut Cursor<'a>, key: &[u8], progress: &mut Progress<'a>) -> Option<()> {
    match key {
        b"type" => progress.kind = c.str_value()?,
        b"agentId" => progress.agent_id = c.str_value()?,
        b"message" => progress.message = c.object_or_absent(embedded_field)?,
        _ => c.skip_value()?,
    }
    Some(())
}

fn embedded_field<'a>(c: &mut Cursor<'a>, key: &[u8], line: &mut Embedded<'a>) -> Option<()> {
    match key {
        b"type" => line.kind = c.str_value()?,
        b"timestamp" => line.timestamp = c.str_value()?,
        b"requestId" => line.request_id = c.str_value()?,
        b"message" => line.message = c.object_or_absent(message_field)?,
        _ => c.skip_value()?,
    }
    Some(())
}

/// `toolUseResult`: only its `agentId`.
fn result_field<'a>(c: &mut Cursor<'a>, key: &[u8], agent_id: &mut Option<Str<'a>>) -> Option<()> {
    match key {
        b"agentId" => *agent_id = c.str_value()?,
        _ => c.skip_value()?,
    }
    Some(())
}

fn message_field<'a>(c: &mut Cursor<'a>, key: &[u8], msg: &mut Message<'a>) -> Option<()> {
    match key {
        b"id" => msg.id = c.str_value()?,
        b"model" => msg.model = c.str_value()?,
        b"content" => msg.content = c.content()?,
        b"usage" => msg.usage = c.object_or_absent(usage_field)?,
        _ => c.skip_value()?,
    }
    Some(())
}

fn usage_field<'a>(c: &mut Cursor<'a>, key: &[u8], usage: &mut Usage<'a>) -> Option<()> {
    match key {
        b"input_tokens" => usage.input_tokens = c.int_value()?,
        b"output_tokens" => usage.output_tokens = c.int_value()?,
        b"cache_read_input_tokens" => usage.cache_read_input_tokens = c.int_value()?,
        b"cache_creation_input_tokens" => usage.cache_creation_input_tokens = c.int_value()?,
        b"cache_creation" => usage.cache_creation_1h = c.object_or_absent(cache_creation_field)?.flatten(),
        b"server_tool_use" => {
            (usage.web_search_requests, usage.web_fetch_requests) =
                c.object_or_absent(server_tool_use_field)?.unwrap_or_default();
        }
        b"speed" => usage.speed = c.str_value()?,
        b"service_tier" => usage.service_tier = c.str_value()?,
        _ => c.skip_value()?,
    }
    Some(())
}

/// `usage.cache_creation`: only the 1-hour writes.
fn cache_creation_field(c: &mut Cursor<'_>, key: &[u8], hour: &mut Option<i64>) -> Option<()> {
    match key {
        b"ephemeral_1h_input_tokens" => *hour = c.int_value()?,
        _ => c.skip_value()?,
    }
    Some(())
}

/// `usage.server_tool_use`: web searches and fetches.
fn server_tool_use_field(c: &mut Cursor<'_>, key: &[u8], counts: &mut (Option<i64>, Option<i64>)) -> Option<()> {
    match key {
        b"web_search_requests" => counts.0 = c.int_value()?,
        b"web_fetch_requests" => counts.1 = c.int_value()?,
        _ => c.skip_value()?,
    }
    Some(())
}

fn item_field<'a>(c: &mut Cursor<'a>, key: &[u8], item: &mut Item<'a>) -> Option<()> {
    match key {
        b"type" => item.kind = c.str_value()?,
        b"id" => item.id = c.str_value()?,
        b"name" => item.name = c.str_value()?,
        b"tool_use_id" => item.tool_use_id = c.str_value()?,
        b"is_error" => item.is_error = c.true_value()?,
        b"text" => item.text = Some(c.raw_value()?),
        b"content" => item.content = Some(c.raw_value()?),
        b"input" => {
            let raw = c.raw_value()?;
            item.input = raw.starts_with('{').then_some(raw);
        }
        _ => c.skip_value()?,
    }
    Some(())
}

fn tool_input_field<'a>(c: &mut Cursor<'a>, key: &[u8], input: &mut ToolInput<'a>) -> Option<()> {
    match key {
        b"skill" => input.skill = c.str_value()?,
        b"name" => input.name = c.str_value()?,
        b"subagent_type" => input.subagent_type = c.str_value()?,
        _ => c.skip_value()?,
    }
    Some(())
}

/// Where the JSON number starting at `at` ends, and whether it is a plain integer; `None`
/// when the text there is not a number by the grammar
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` (what follows it is not looked at).
pub fn number_end(b: &[u8], at: usize) -> Option<(usize, bool)> {
    let digits = |i: &mut usize| {
        let start = *i;
        while matches!(b.get(*i), Some(b'0'..=b'9')) {
            *i += 1;
        }
        *i > start
    };
    let mut i = at;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => {
            digits(&mut i);
        }
        _ => return None,
    }
    let mut integer = true;
    if b.get(i) == Some(&b'.') {
        integer = false;
        i += 1;
        digits(&mut i).then_some(())?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        integer = false;
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        digits(&mut i).then_some(())?;
    }
    Some((i, integer))
}

/// A JSON string's text (`raw` with its quotes) when it holds no escape, borrowed.
pub fn plain_string(raw: &str) -> Option<&str> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    (memchr2(b'"', b'\\', inner.as_bytes()).is_none()).then_some(inner)
}

/// Bytes per block of [`Cursor::string`].
const BLOCK: usize = 64;

/// The `N` bytes at `at` (fewer at the end of `b`, padded with spaces); `None` past the end.
#[inline(always)]
fn block<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    match b.get(at..at + N) {
        Some(block) => block.try_into().ok(),
        None => {
            let rest = b.get(at..)?;
            let mut padded = [b' '; N];
            padded[..rest.len()].copy_from_slice(rest);
            Some(padded)
        }
    }
}

/// One bit per byte of `block` (16-byte SSE2 compares through `wide`, safe SIMD) where
/// `hit` says so.
#[inline(always)]
fn mask<const N: usize>(block: &[u8; N], hit: impl Fn(u8x16) -> u8x16) -> u64 {
    let mut bits = 0u64;
    for (n, chunk) in block.chunks_exact(16).enumerate() {
        let v = u8x16::new(chunk.try_into().unwrap_or([0; 16]));
        bits |= u64::from(hit(v).move_mask() as u16) << (16 * n);
    }
    bits
}

/// The stops of a string scan: quotes, backslashes and bytes below 0x20.
#[inline(always)]
fn stops(v: u8x16) -> u8x16 {
    v.cmp_eq(u8x16::splat(b'"')) | v.cmp_eq(u8x16::splat(b'\\')) | v.min(u8x16::splat(0x1f)).cmp_eq(v)
}

/// The bytes that may follow a backslash.
const ESCAPE_LETTERS: &[u8; 9] = b"\"\\/bfnrtu";

/// [`ESCAPE_LETTERS`] in a 16-byte vector.
#[inline(always)]
fn escape_letters(v: u8x16) -> u8x16 {
    ESCAPE_LETTERS[1..].iter().fold(v.cmp_eq(u8x16::splat(ESCAPE_LETTERS[0])), |m, &c| m | v.cmp_eq(u8x16::splat(c)))
}

/// The bytes of a 64-byte block that a backslash escapes, given the backslashes and whether
/// the block's first byte is escaped (`carry`, updated for the next block). Runs of
/// backslashes pair up: in `\\\\\"` the quote is escaped, in `\\\\"` it is not. The carry trick
/// of simdjson (`find_escaped_branchless`): no branch per backslash.
#[inline(always)]
fn escaped_bytes(backslash: u64, carry: &mut u64) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    let backslash = backslash & !*carry;
    let follows_escape = backslash << 1 | *carry;
    let odd_starts = backslash & !EVEN & !follows_escape;
    let (even_starts, overflow) = odd_starts.overflowing_add(backslash);
    *carry = u64::from(overflow);
    (EVEN ^ (even_starts << 1)) & follows_escape
}

/// The masks [`string_end`] needs of a 64-byte block, one bit per byte.
trait Lanes: Copy {
    /// Quotes, backslashes and bytes below 0x20.
    fn stops(self, block: &[u8; BLOCK]) -> (u64, u64, u64);
    /// The bytes that may follow a backslash ([`escape_letters`]), and the `u`s among them.
    fn letters(self, block: &[u8; BLOCK]) -> (u64, u64);
}

/// 16-byte compares (SSE2, part of every x86-64), through `wide`.
#[derive(Clone, Copy)]
struct Sse2;

impl Lanes for Sse2 {
    #[inline(always)]
    fn stops(self, block: &[u8; BLOCK]) -> (u64, u64, u64) {
        (
            mask(block, |v| v.cmp_eq(u8x16::splat(b'"'))),
            mask(block, |v| v.cmp_eq(u8x16::splat(b'\\'))),
            mask(block, |v| v.min(u8x16::splat(0x1f)).cmp_eq(v)),
        )
    }

    #[inline(always)]
    fn letters(self, block: &[u8; BLOCK]) -> (u64, u64) {
        (mask(block, escape_letters), mask(block, |v| v.cmp_eq(u8x16::splat(b'u'))))
    }
}

/// 32-byte compares (AVX2), through `pulp`'s safe intrinsics; only made from a
/// `pulp::x86::V3` token, which exists only where the CPU has AVX2.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Avx2(pulp::x86::V3);

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    /// One bit per byte of `block` where `hit` says so.
    #[inline(always)]
    fn mask(self, block: &[u8; BLOCK], hit: impl Fn(std::arch::x86_64::__m256i) -> std::arch::x86_64::__m256i) -> u64 {
        let mut bits = 0u64;
        for (n, chunk) in block.chunks_exact(32).enumerate() {
            let bytes: [u8; 32] = chunk.try_into().unwrap_or([0; 32]);
            let v = pulp::bytemuck::cast(bytes);
            bits |= u64::from(self.0.avx2._mm256_movemask_epi8(hit(v)) as u32) << (32 * n);
        }
        bits
    }

    #[inline(always)]
    fn eq(self, v: std::arch::x86_64::__m256i, byte: u8) -> std::arch::x86_64::__m256i {
        self.0.avx2._mm256_cmpeq_epi8(v, self.0.avx._mm256_set1_epi8(byte as i8))
    }
}

#[cfg(target_arch = "x86_64")]
impl Lanes for Avx2 {
    #[inline(always)]
    fn stops(self, block: &[u8; BLOCK]) -> (u64, u64, u64) {
        let below_space =
            |v| self.0.avx2._mm256_cmpeq_epi8(self.0.avx2._mm256_min_epu8(v, self.0.avx._mm256_set1_epi8(0x1f)), v);
        (self.mask(block, |v| self.eq(v, b'"')), self.mask(block, |v| self.eq(v, b'\\')), self.mask(block, below_space))
    }

    #[inline(always)]
    fn letters(self, block: &[u8; BLOCK]) -> (u64, u64) {
        let letters = |v| {
            let first = self.eq(v, ESCAPE_LETTERS[0]);
            ESCAPE_LETTERS[1..].iter().fold(first, |m, &c| self.0.avx2._mm256_or_si256(m, self.eq(v, c)))
        };
        (self.mask(block, letters), self.mask(block, |v| self.eq(v, b'u')))
    }
}

/// Scans a string from `at` (inside it, where no backslash run crosses) 64 bytes at a time:
/// the position of its closing quote and whether it holds an escape, or `None` when it is
/// not a valid JSON string. The closing quote is the first unescaped quote ([`escaped_bytes`]);
/// no byte is visited one by one except a `\u`'s hex digits.
#[inline(always)]
fn string_end<L: Lanes>(lanes: L, b: &[u8], mut at: usize) -> Option<(usize, bool)> {
    let mut carry = 0u64;
    let mut escaped_any = false;
    loop {
        let bytes = block::<BLOCK>(b, at)?;
        let (quote, backslash, control) = lanes.stops(&bytes);
        let escaped = escaped_bytes(backslash, &mut carry);
        let closing = quote & !escaped;
        // The bytes of the string in this block: those before the closing quote.
        let inside = if closing == 0 { u64::MAX } else { (closing & closing.wrapping_neg()) - 1 };
        if control & inside != 0 {
            return None;
        }
        let escaped = escaped & inside;
        if escaped != 0 {
            escaped_any = true;
            let (letters, u) = lanes.letters(&bytes);
            if escaped & !letters != 0 {
                return None;
            }
            let mut u = escaped & u;
            while u != 0 {
                let k = at + u.trailing_zeros() as usize;
                if !b.get(k + 1..k + 5)?.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                u &= u - 1;
            }
        }
        if closing != 0 {
            return Some((at + closing.trailing_zeros() as usize, escaped_any));
        }
        at += BLOCK;
        if at >= b.len() {
            return None;
        }
    }
}

/// Deepest nesting [`Cursor::skip_value`] tracks before it gives up (`serde_json` has no
/// limit there; such lines take the slow path).
const MAX_SKIP_DEPTH: usize = 256;

struct Cursor<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.b.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.i += 1)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.b.get(self.i..self.i + word.len()).filter(|w| *w == word)?;
        self.i += word.len();
        Some(())
    }

    /// At an opening quote: moves past the closing one and returns the bounds of the text
    /// between them and whether it holds an escape. Escapes are checked as `serde_json`
    /// checks them where it skips a string (a `\u` needs four hex digits; surrogates are not
    /// paired there); a byte below 0x20 is an error.
    ///
    /// Works on blocks: a first look at 16 bytes returns most short strings at their first
    /// stop; then 64 bytes at a time, with masks of the quotes, backslashes and control bytes
    /// of the block ([`escaped_bytes`] finds the escaped bytes): the closing quote is the
    /// first unescaped quote, and no byte is visited one by one except a `\u`'s hex digits.
    #[inline]
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        let b = self.b;
        let start = self.i + 1;
        let first = mask(&block::<16>(b, start)?, stops);
        if first == 0 {
            return self.long_string(start, start + 16);
        }
        let k = start + first.trailing_zeros() as usize;
        if b.get(k) != Some(&b'"') {
            return self.long_string(start, start);
        }
        self.i = k + 1;
        Some((start, k, false))
    }

    /// The rest of [`Cursor::string`] from `at`, a position in the string that no backslash
    /// run crosses. With AVX2 (checked at run time, through `pulp`), 32 bytes per compare;
    /// else SSE2, 16.
    #[inline(never)]
    fn long_string(&mut self, start: usize, at: usize) -> Option<(usize, usize, bool)> {
        let b = self.b;
        #[cfg(target_arch = "x86_64")]
        let found = match pulp::x86::V3::try_new() {
            Some(simd) => simd.vectorize(
                #[inline(always)]
                || string_end(Avx2(simd), b, at),
            ),
            None => string_end(Sse2, b, at),
        };
        #[cfg(not(target_arch = "x86_64"))]
        let found = string_end(Sse2, b, at);
        let (k, escaped) = found?;
        self.i = k + 1;
        Some((start, k, escaped))
    }

    /// A number, checked against the JSON grammar; returns whether it is a plain integer.
    fn number(&mut self) -> Option<bool> {
        let (end, integer) = number_end(self.b, self.i)?;
        self.i = end;
        Some(integer)
    }

    /// A number that is a plain integer of at most 18 characters (it fits an `i64`), as text;
    /// `None` for any other number, which is left to `serde_json` (its rules for them, `-0`
    /// is a float and `1e400` an error where a value is read, are not worth copying).
    fn short_integer(&mut self) -> Option<&'a str> {
        let start = self.i;
        (self.number()? && self.i - start <= 18).then(|| self.s.get(start..self.i))?
    }

    /// Skips one value, validating it, without recursion.
    fn skip_value(&mut self) -> Option<()> {
        // One bit per open container: set for an object.
        let mut open = [0u64; MAX_SKIP_DEPTH / 64];
        let mut depth = 0usize;
        let is_object = |open: &[u64], depth: usize| open[(depth - 1) / 64] >> ((depth - 1) % 64) & 1 == 1;
        loop {
            // A value starts here.
            match self.peek()? {
                b'"' => {
                    self.string()?;
                }
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                open_byte @ (b'{' | b'[') => {
                    let close = if open_byte == b'{' { b'}' } else { b']' };
                    if self.open(close)? {
                        if depth == MAX_SKIP_DEPTH {
                            return None;
                        }
                        let (word, bit) = (depth / 64, depth % 64);
                        open[word] = open[word] & !(1 << bit) | u64::from(open_byte == b'{') << bit;
                        depth += 1;
                        if open_byte == b'{' {
                            self.key()?;
                        }
                        continue;
                    }
                }
                _ => return None,
            }
            // A value ended: close what ends here, then go on to the next value.
            loop {
                if depth == 0 {
                    return Some(());
                }
                self.ws();
                let object = is_object(&open, depth);
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        self.ws();
                        if object {
                            self.key()?;
                        }
                        break;
                    }
                    b'}' if object => {
                        self.i += 1;
                        depth -= 1;
                    }
                    b']' if !object => {
                        self.i += 1;
                        depth -= 1;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// Inside a skipped object: a key, its colon, and the space before the value.
    fn key(&mut self) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        self.string()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(())
    }

    /// At a `{`: walks the object, calling `value(cursor, key)` with the cursor on each
    /// value; `value` must consume it. A key with an escape is left to `serde_json`.
    fn object(&mut self, mut value: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        if !self.open(b'}')? {
            return Some(());
        }
        let b = self.b;
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let (start, end, escaped) = self.string()?;
            if escaped {
                return None;
            }
            self.ws();
            self.eat(b':')?;
            self.ws();
            value(self, &b[start..end])?;
            if !self.next(b'}')? {
                return Some(());
            }
        }
    }

    /// A string value, decoded (borrowed when it has no escape).
    fn decoded_string(&mut self) -> Option<Str<'a>> {
        let (start, end, escaped) = self.string()?;
        if !escaped {
            return self.s.get(start..end).map(Cow::Borrowed);
        }
        // Escapes are rare in the fields kept: let serde_json decode them, and refuse what it
        // refuses (a lone surrogate).
        serde_json::from_str::<String>(self.s.get(start - 1..end + 1)?).ok().map(Cow::Owned)
    }

    /// A value of the wrong type where `serde_json` reads a value (the field is then absent).
    /// `serde_json` still decodes a string or a number there and refuses what it cannot hold
    /// (a lone surrogate, a number beyond f64); it decodes the keys of an object too, and only
    /// skips what lies deeper. Strings are checked the same way; numbers other than short
    /// integers and objects with an escaped key are declined.
    fn wrong_type(&mut self) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(|c, _| c.skip_value()),
            b'"' => self.decoded_string().map(drop),
            b'-' | b'0'..=b'9' => self.short_integer().map(drop),
            _ => self.skip_value(),
        }
    }

    /// A string field; any other value is skipped and absent.
    fn str_value(&mut self) -> Option<Option<Str<'a>>> {
        if self.peek()? == b'"' {
            return self.decoded_string().map(Some);
        }
        self.wrong_type().map(|()| None)
    }

    /// A boolean field; any other value is skipped and absent.
    fn bool_value(&mut self) -> Option<Option<bool>> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|()| Some(true)),
            b'f' => self.literal(b"false").map(|()| Some(false)),
            _ => self.wrong_type().map(|()| None),
        }
    }

    /// `true` only for the literal `true`.
    fn true_value(&mut self) -> Option<bool> {
        Some(self.bool_value()? == Some(true))
    }

    /// A usage counter. A plain non-negative integer of up to 18 digits always fits an `i64`;
    /// other numbers (negative, fractions, exponents, longer) are left to `serde_json`, whose
    /// rules for them (`-0` is a float, `1e400` is an error) are not worth copying.
    fn int_value(&mut self) -> Option<Option<i64>> {
        match self.peek()? {
            b'0'..=b'9' => self.short_integer()?.parse().ok().map(Some),
            b'-' => None, // negative: left to serde_json (see `short_integer`)
            _ => self.wrong_type().map(|()| None),
        }
    }

    /// The raw text of any value.
    fn raw_value(&mut self) -> Option<&'a str> {
        let start = self.i;
        self.skip_value()?;
        self.s.get(start..self.i)
    }

    /// An object read field by field: `field(cursor, key, value)` with the cursor on each
    /// value, which it must consume. Any other value is of the wrong type and absent.
    fn object_or_absent<T: Default>(
        &mut self,
        field: impl Fn(&mut Self, &[u8], &mut T) -> Option<()>,
    ) -> Option<Option<T>> {
        if self.peek()? != b'{' {
            return self.wrong_type().map(|()| None);
        }
        let mut value = T::default();
        self.object(|c, key| field(c, key, &mut value))?;
        Some(Some(value))
    }

    /// `content`: a string, or a list whose object elements are items (other elements are
    /// dropped, as serde_json's reader drops them); anything else is absent.
    fn content(&mut self) -> Option<Content<'a>> {
        match self.peek()? {
            b'"' => self.decoded_string().map(Content::Text),
            b'[' => {
                let mut items = Vec::new();
                self.array(|c| {
                    if let Some(item) = c.object_or_absent(item_field)? {
                        items.push(item);
                    }
                    Some(())
                })?;
                Some(Content::Items(items))
            }
            _ => self.wrong_type().map(|()| Content::Absent),
        }
    }

    /// At a `[`: walks the array, calling `element(cursor)` with the cursor on each element;
    /// `element` must consume it.
    fn array(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if !self.open(b']')? {
            return Some(());
        }
        loop {
            element(self)?;
            if !self.next(b']')? {
                return Some(());
            }
        }
    }

    /// At a `{` or `[`: moves past it; whether an element follows (`false`: the container was
    /// empty and `close` is consumed too).
    fn open(&mut self, close: u8) -> Option<bool> {
        self.i += 1;
        self.ws();
        if self.peek()? == close {
            self.i += 1;
            return Some(false);
        }
        Some(true)
    }

    /// After an element of a container that ends with `close`: moves past the `,` and
    /// whether another element follows (`false`: `close` is consumed); `None` for anything
    /// else.
    fn next(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let more = match self.peek()? {
            b',' => true,
            c if c == close => false,
            _ => return None,
        };
        self.i += 1;
        if more {
            self.ws();
        }
        Some(more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::record::slow_record;

    /// The fast path either declines or agrees with serde_json exactly.
    fn agrees(line: &str) -> bool {
        let fast = record(line);
        let slow = slow_record(line);
        match (&fast, &slow) {
            (Some(f), Ok(s)) => assert_eq!(format!("{f:?}"), format!("{s:?}"), "{line}"),
            (Some(_), Err(e)) => panic!("fast path accepted what serde_json refuses ({e}): {line}"),
            (None, _) => {}
        }
        fast.is_some()
    }

    #[test]
    fn typical_lines_take_the_fast_path_and_agree() {
        let lines = [
            r#"{"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/w","sessionId":"s1","version":"2.0.1","type":"user","message":{"role":"user","content":"/review the code"},"uuid":"u1","timestamp":"2026-05-12T15:00:00.000Z"}"#,
            r#"{"type":"assistant","uuid":"a1","parentUuid":"u1","sessionId":"s","timestamp":"2026-05-12T15:00:01.000Z","cwd":"/w","isSidechain":true,"requestId":"r1","message":{"id":"m1","model":"claude","type":"message","content":[{"type":"thinking","thinking":"hm","signature":"x=="},{"type":"text","text":"Sure \"quoted\" \u00e9 \\ done"},{"type":"tool_use","id":"tu1","name":"Skill","input":{"skill":"x","deep":{"a":[1,2.5e-3,-0,true,false,null,{}],"b":[]}}}],"stop_reason":null,"usage":{"input_tokens":3,"output_tokens":0,"cache_read_input_tokens":123456789012345678,"cache_creation_input_tokens":6,"server_tool_use":{"web_search_requests":0},"service_tier":"standard"}}}"#,
            r#"{"type":"user","message":{"role":"user","content":[{"tool_use_id":"tu1","type":"tool_result","content":"line 1\nline 2\t\u001b[0m ✓ ünï","is_error":true},{"type":"text","text":"<command-name>/x</command-name>"}]},"toolUseResult":{"stdout":"…","interrupted":false},"uuid":"u2","timestamp":"2026-05-12T15:00:02Z"}"#,
            r#"{"type":"progress","data":{"type":"hook_progress","nested":[[[[{"a":"b"}]]]]},"toolUseID":"t","parentToolUseID":"p","timestamp":"2026-05-12T15:00:03Z"}"#,
            r#"{"type":"progress","agentId":"x","gitBranch":"main","version":"2.1.34","data":{"message":{"type":"assistant","timestamp":"2026-05-12T15:00:03Z","requestId":"r2","uuid":"u","message":{"id":"m2","model":"claude-opus-4-6","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":3,"cache_creation_input_tokens":10,"cache_creation":{"ephemeral_5m_input_tokens":4,"ephemeral_1h_input_tokens":6},"server_tool_use":{"web_search_requests":2,"web_fetch_requests":1},"speed":"fast","service_tier":"standard"}}},"type":"agent_progress","agentId":"a1"},"toolUseResult":{"status":"completed","agentId":"a9","usage":{"input_tokens":1}}}"#,
            r#"{"data":"text","toolUseResult":"Error: failed","message":{"usage":{"cache_creation":7,"server_tool_use":[1],"speed":5}}}"#,
            r#"{"data":{"message":5,"agentId":[1]},"toolUseResult":[{"type":"text"}],"message":{"usage":{"cache_creation":{"ephemeral_1h_input_tokens":"x"},"server_tool_use":{"web_search_requests":"1"}}}}"#,
            r#"{"type":"file-history-snapshot","messageId":"m","snapshot":{"trackedFileBackups":{},"timestamp":"2026-05-12T15:00:04Z"},"isSnapshotUpdate":false}"#,
            r#"{"type":"tool_use_result","tool_use_id":"tu9","toolUseId":"tu9","is_error":true}"#,
            r#" { "type" : "user" , "message" : { "content" : [ 1 , "x" , { "type" : "tool_use" , "input" : [ 1 ] } ] } } "#,
            r#"{"type":7,"timestamp":12345,"sessionId":5,"isSidechain":"yes","message":{"content":{"a":1},"usage":{"input_tokens":true,"output_tokens":1,"cache_read_input_tokens":"9","cache_creation_input_tokens":null}}}"#,
            r#"{"message":"hello","is_error":1}"#,
            r#"{"message":{"usage":[1],"content":5}}"#,
            r#"{"type":"user","type":"assistant","cwd":"C:\\work\u00e9"}"#,
            r#"{"junk":"\ud800 lone surrogates are fine where skipped","n":1e400}"#,
            r#"{}"#,
            // Inside a value of the wrong type serde_json only skips: no checks there.
            r#"{"message":{"content":[[1e400,"\ud800"],{"type":"text"}]},"isSidechain":{"a":"\udfff"}}"#,
        ];
        for line in lines {
            assert!(agrees(line), "declined: {line}");
        }
    }

    #[test]
    fn what_it_declines_keeps_its_old_result() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(300), "]".repeat(300));
        let declined = [
            "{\"a\":\"tab\there\"}",                        // a control byte in a string: malformed
            "{\"a\":1,\t\"b\":2}",                          // a tab between tokens: fine, but not ours
            r#"{"typ\u0065":"user"}"#,                      // an escaped key
            r#"{"cwd":"\ud800"}"#,                          // a lone surrogate where a string is kept
            r#"{"message":{"usage":{"input_tokens":-0}}}"#, // -0 is a float to serde_json
            r#"{"message":{"usage":{"input_tokens":-5}}}"#,
            r#"{"message":{"usage":{"input_tokens":1.0}}}"#,
            r#"{"message":{"usage":{"input_tokens":1e400}}}"#,
            r#"{"message":{"usage":{"input_tokens":1234567890123456789}}}"#,
            &deep,
            // serde_json decodes a string or number of the wrong type where it reads a field,
            // and refuses a lone surrogate or a number beyond f64 there.
            r#"{"type":1e400,"message":{"content":"/typed"}}"#,
            r#"{"isSidechain":"\ud800"}"#,
            r#"{"message":{"content":[1e400]}}"#,
            r#"{"message":"\udfff"}"#,
            r#"{"message":{"usage":{"input_tokens":"\ud800"}}}"#,
            r#"{"is_error":-1e999}"#,
            r#"{"type":{"ro\ud800le":"user"}}"#, // and decodes the keys of an object there
            // Syntax errors of every kind.
            "[1,2]",
            "null",
            "\"s\"",
            "{\"a\":",
            "{} {}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":1e}",
            "{\"a\":-}",
            "{\"a\":tru}",
            "{\"a\":truex}",
            "{\"a\":nul}",
            "{\"a\":[1,]}",
            "{\"a\":{\"b\":1,}}",
            "{\"a\":{1:2}}",
            "{\"a\":[1 2]}",
            "{\"a\":{\"b\" 1}}",
            "{\"a\":[}",
            "{\"a\":{]}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"\\u12g4\"}",
            "{\"a\":\"unterminated}",
            "{\"a\":1,}",
            "{,}",
            "{\"a\"}",
            "{\"message\":{\"content\":[{\"text\":}]}}",
            "{\"message\":{\"content\":[1,]}}",
        ];
        for line in declined {
            assert!(!agrees(line), "accepted: {line}");
        }
    }

    #[test]
    fn tool_inputs_and_plain_strings() {
        let input =
            tool_input(r#"{"description":"d","prompt":"p \"q\"","subagent_type":"Explore","skill":7}"#).unwrap();
        assert_eq!((input.subagent_type.as_deref(), input.skill, input.name), (Some("Explore"), None, None));
        assert!(tool_input(r#"{"name":"\udfff"}"#).is_none());
        assert!(tool_input("[1]").is_none());
        assert_eq!(plain_string(r#""/cmd x""#), Some("/cmd x"));
        assert_eq!(plain_string(r#""a\nb""#), None);
        assert_eq!(plain_string("5"), None);
    }

    /// The SSE2 path runs only on CPUs without AVX2: it must give the AVX2 path's answers
    /// (and on such a CPU the unit tests above check it against serde_json).
    #[test]
    fn both_lane_widths_agree() {
        let alphabet: &[u8] = b"ab\"\\\\u0fn/\x01\xc3\xa9 ";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for _ in 0..20_000 {
            let len = next() % 200;
            let b: Vec<u8> = (0..len).map(|_| alphabet[next() % alphabet.len()]).collect();
            let at = next() % (len + 1);
            let sse2 = string_end(Sse2, &b, at);
            #[cfg(target_arch = "x86_64")]
            if let Some(simd) = pulp::x86::V3::try_new() {
                assert_eq!(simd.vectorize(|| string_end(Avx2(simd), &b, at)), sse2, "{:?} from {at}", b);
            }
            // Against a byte-by-byte reading of the same rules.
            assert_eq!(sse2, string_end_bytewise(&b, at), "{:?} from {at}", b);
        }
    }

    /// [`string_end`], one byte at a time.
    fn string_end_bytewise(b: &[u8], mut at: usize) -> Option<(usize, bool)> {
        let mut escaped = false;
        loop {
            match *b.get(at)? {
                b'"' => return Some((at, escaped)),
                b'\\' => {
                    escaped = true;
                    match *b.get(at + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => at += 2,
                        b'u' if b.get(at + 2..at + 6)?.iter().all(u8::is_ascii_hexdigit) => at += 6,
                        _ => return None,
                    }
                }
                c if c < 0x20 => return None,
                _ => at += 1,
            }
        }
    }

    #[test]
    fn strings_across_block_boundaries() {
        // Every escape and stop at every offset around the 64-byte blocks, kept and skipped.
        for pad in 0..140 {
            let x = "x".repeat(pad);
            // Runs of backslashes: an even run leaves the next quote (here the closing one)
            // unescaped, an odd one escapes it.
            let runs = (1..=7).map(|n| "\\".repeat(n) + if n % 2 == 1 { "\"q" } else { "" });
            let fixed =
                [r#"\\"#, r#"\""#, r#"\\\""#, r#"\u00e9"#, r#"\uD83D\uDE00"#, "é", r#"\n"#, ""].map(String::from);
            for tail in fixed.into_iter().chain(runs) {
                for line in [format!(r#"{{"cwd":"{x}{tail}","k":"{tail}{x}"}}"#), format!(r#"{{"z":["{x}{tail}"]}}"#)] {
                    assert!(agrees(&line), "declined: {line}");
                }
            }
            for bad in ["\\u", "\\u00", "\\q", "\\", "\\\\\\", "\u{1f}", "\n", "\t"] {
                for line in [format!("{{\"cwd\":\"{x}{bad}\"}}"), format!("{{\"k\":\"{x}{bad}xx\"}}")] {
                    assert!(!agrees(&line), "accepted: {line:?}");
                }
            }
            assert!(!agrees(&format!("{{\"cwd\":\"{x}")), "unterminated");
        }
    }
}
