//! One transcript line as a typed record.
//!
//! A line is parsed straight into borrowed structs that hold only the fields the events and
//! the summary need; everything else is skipped without being materialised. The fast reader
//! in [`skim`] reads the lines it can; the rest, and the rules, are `serde_json`'s (the
//! visitors below), which the fast reader matches exactly. The contract is lenient by field and strict by line:
//!
//! * a line that is not a JSON object is an error (the caller counts it as malformed);
//! * a field of the wrong JSON type is *absent* (a numeric `timestamp`, a string `message`,
//!   a `content` that is neither list nor string, a non-object `usage` or `input`, a boolean
//!   or float usage counter, ...);
//! * a duplicated key keeps its last value, as Python's `json` module does.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::skim;

/// A string borrowed from the line when it holds no escapes, owned otherwise.
pub type Str<'a> = Cow<'a, str>;

/// One parsed line (a "turn" in the reference's words).
#[derive(Debug, Default)]
pub struct Record<'a> {
    /// `type`: "user", "assistant", "progress", "tool_use_result", ...
    pub kind: Option<Str<'a>>,
    pub uuid: Option<Str<'a>>,
    pub parent_uuid: Option<Str<'a>>,
    pub session_id: Option<Str<'a>>,
    pub timestamp: Option<Str<'a>>,
    pub cwd: Option<Str<'a>>,
    pub is_sidechain: Option<bool>,
    pub request_id: Option<Str<'a>>,
    /// Top-level `tool_use_id` of an old-style `tool_use_result` line.
    pub tool_use_id: Option<Str<'a>>,
    /// Top-level `toolUseId`, the camel-case spelling of the same.
    pub tool_use_id_camel: Option<Str<'a>>,
    /// Top-level `is_error` (only JSON `true` counts).
    pub is_error: bool,
    pub message: Option<Message<'a>>,
    /// `agentId`: the subagent whose transcript the line is in.
    pub agent_id: Option<Str<'a>>,
    /// `gitBranch` and `version` (of Claude Code).
    pub git_branch: Option<Str<'a>>,
    pub version: Option<Str<'a>>,
    /// `data`, when it is an object: a `progress` line's payload.
    pub progress: Option<Box<Progress<'a>>>,
    /// `toolUseResult.agentId`: the agent a Task/Agent result names.
    pub result_agent_id: Option<Str<'a>>,
}

/// The `data` object of a `progress` line. With `type` `agent_progress` it carries a running
/// subagent's message: `agentId` and, in `message`, a line of that agent's transcript.
#[derive(Debug, Default)]
pub struct Progress<'a> {
    pub kind: Option<Str<'a>>,
    pub agent_id: Option<Str<'a>>,
    pub message: Option<Embedded<'a>>,
}

/// A transcript line embedded in a progress line (`data.message`): the fields a request needs.
#[derive(Debug, Default)]
pub struct Embedded<'a> {
    pub kind: Option<Str<'a>>,
    pub timestamp: Option<Str<'a>>,
    pub request_id: Option<Str<'a>>,
    pub message: Option<Message<'a>>,
}

/// The `message` object of a line.
#[derive(Debug, Default)]
pub struct Message<'a> {
    pub id: Option<Str<'a>>,
    pub model: Option<Str<'a>>,
    pub content: Content<'a>,
    pub usage: Option<Usage<'a>>,
}

/// `message.content`: a plain string or a list of items; anything else is absent.
#[derive(Debug, Default)]
pub enum Content<'a> {
    #[default]
    Absent,
    Text(Str<'a>),
    Items(Vec<Item<'a>>),
}

/// One element of a content list. Elements that are not objects are kept as `None` in the
/// list so that nothing shifts; they produce nothing.
#[derive(Debug, Default)]
pub struct Item<'a> {
    pub kind: Option<Str<'a>>,
    pub id: Option<Str<'a>>,
    pub name: Option<Str<'a>>,
    /// The raw JSON text of `input` when it is an object.
    pub input: Option<&'a str>,
    pub tool_use_id: Option<Str<'a>>,
    pub is_error: bool,
    /// The raw JSON of `text`, decoded only where slash commands are looked for (user
    /// lines): assistant text is long and full of escapes, and never needed.
    pub text: Option<&'a str>,
    /// The raw JSON of `content` (a tool result's output), searched only for the agent a
    /// Task/Agent result names.
    pub content: Option<&'a str>,
}

impl<'a> Item<'a> {
    /// `text` decoded, when it is a JSON string.
    pub fn text(&self) -> Option<Str<'a>> {
        let raw = self.text?;
        if !raw.starts_with('"') {
            return None;
        }
        if let Some(plain) = skim::plain_string(raw) {
            return Some(Cow::Borrowed(plain));
        }
        match serde_json::from_str::<String>(raw) {
            Ok(s) => Some(Cow::Owned(s)),
            // A lone surrogate escape: decode a repaired copy (see [`repair`]).
            Err(e) if is_repairable(&e.to_string()) => {
                serde_json::from_str::<String>(&repair(raw.as_bytes())?).ok().map(Cow::Owned)
            }
            Err(_) => None,
        }
    }
}

/// The usage object of an assistant message; a counter that is not an integer in the `i64`
/// range is absent, as is a nested object or string of the wrong type.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Usage<'a> {
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cache_read_input_tokens: Option<i64>,
    pub cache_creation_input_tokens: Option<i64>,
    /// `cache_creation.ephemeral_1h_input_tokens`: the part of the cache writes kept for an hour.
    pub cache_creation_1h: Option<i64>,
    /// `server_tool_use.web_search_requests` and `.web_fetch_requests`.
    pub web_search_requests: Option<i64>,
    pub web_fetch_requests: Option<i64>,
    /// `speed` (`"standard"`, `"fast"`) and `service_tier`.
    pub speed: Option<Str<'a>>,
    pub service_tier: Option<Str<'a>>,
}

/// The few fields of a tool input that classify an event.
#[derive(Debug, Default)]
pub struct ToolInput<'a> {
    pub skill: Option<Str<'a>>,
    pub name: Option<Str<'a>>,
    pub subagent_type: Option<Str<'a>>,
}

/// Why a line was not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// Not UTF-8.
    Encoding,
    /// Not JSON, or nested deeper than the parser allows.
    Syntax(String),
    /// JSON, but not an object.
    NotAnObject,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::Encoding => f.write_str("line is not valid UTF-8"),
            LineError::Syntax(e) => write!(f, "line is not valid JSON: {e}"),
            LineError::NotAnObject => f.write_str("line is not a JSON object"),
        }
    }
}

impl<'a> Record<'a> {
    /// Parses one line (already stripped of surrounding whitespace).
    pub fn parse(line: &'a [u8]) -> Result<Record<'a>, LineError> {
        // SIMD validation (simdutf8 picks AVX2 or SSE4.2 at run time): several times the speed of
        // `std::str::from_utf8` on the long tool outputs most lines are made of.
        let text = simdutf8::basic::from_utf8(line).map_err(|_| LineError::Encoding)?;
        match skim::record(text) {
            Some(rec) => Ok(rec),
            None => slow_record(text),
        }
    }
}

/// [`Record::parse`] with `serde_json` alone: the lines the fast path ([`skim`]) declines.
pub fn slow_record(text: &str) -> Result<Record<'_>, LineError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let rec = match de.deserialize_any(RecordVisitor) {
        Ok(Some(rec)) => rec,
        Ok(None) => return Err(LineError::NotAnObject),
        Err(e) => return Err(LineError::Syntax(e.to_string())),
    };
    de.end().map_err(|e| LineError::Syntax(e.to_string()))?;
    Ok(rec)
}

impl<'a> ToolInput<'a> {
    /// Reads the classifying fields of a tool input object (raw JSON text of an object).
    pub fn parse(raw: &'a str) -> ToolInput<'a> {
        if let Some(input) = skim::tool_input(raw) {
            return input;
        }
        match Self::parse_with_serde(raw) {
            Ok(input) => input,
            // A lone surrogate or an out-of-range number where a field is read: read a
            // repaired copy (see [`repair`]).
            Err(e) if is_repairable(&e) => repair(raw.as_bytes())
                .and_then(|fixed| Self::parse_with_serde(&fixed).ok().map(ToolInput::into_owned))
                .unwrap_or_default(),
            Err(_) => ToolInput::default(),
        }
    }

    /// The classifying fields read with `serde_json` alone (what [`ToolInput::parse`] falls back to).
    pub fn parse_with_serde(text: &str) -> Result<ToolInput<'_>, String> {
        let mut de = serde_json::Deserializer::from_str(text);
        de.deserialize_any(ToolInputVisitor).map(Option::unwrap_or_default).map_err(|e| e.to_string())
    }

    fn into_owned(self) -> ToolInput<'static> {
        let own = |s: Option<Str<'_>>| s.map(|s| Cow::Owned(s.into_owned()));
        ToolInput { skill: own(self.skill), name: own(self.name), subagent_type: own(self.subagent_type) }
    }
}

/// True for the `serde_json` errors that [`repair`] removes: valid JSON that `serde_json`
/// refuses to read into a `str` or a number.
pub fn is_repairable(error: &str) -> bool {
    error.starts_with("lone leading surrogate in hex escape")
        || error.starts_with("unexpected end of hex escape")
        || error.starts_with("number out of range")
}

/// The largest finite double, written the way it replaces an out-of-range number.
const MAX_DOUBLE: &str = "1.7976931348623157e308";

/// Rewrites the two kinds of valid JSON that `serde_json` refuses where a value is read (in
/// skipped values it accepts both):
///
/// * a `\u` escape of a lone UTF-16 surrogate (`"\ud800"`) becomes `\ufffd`, the
///   replacement character (a VARCHAR cannot hold a lone surrogate; Python's `json` keeps it);
/// * a number beyond the range of a double (`1e400`, Python's `inf`) becomes the largest
///   finite double of its sign, still a float, so every lenient field treats it alike.
///
/// Returns `None` when the text has neither (or is not UTF-8 after all), so that a line that
/// is malformed for another reason stays malformed. Works on the bytes of one line; strings
/// are tracked so that a number-like text inside a string is left alone.
pub fn repair(line: &[u8]) -> Option<String> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0usize; // bytes of `line` already in `out`
    let replace = |out: &mut Option<Vec<u8>>, copied: &mut usize, from: usize, to: usize, with: &[u8]| {
        let buf = out.get_or_insert_with(|| Vec::with_capacity(line.len() + 16));
        buf.extend_from_slice(&line[*copied..from]);
        buf.extend_from_slice(with);
        *copied = to;
    };
    let hex4 = |at: usize| -> Option<u16> {
        let digits = line.get(at..at + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u16::from_str_radix(text, 16).ok()
    };
    let mut i = 0usize;
    let mut in_string = false;
    while i < line.len() {
        let b = line[i];
        if in_string {
            match b {
                b'"' => in_string = false,
                b'\\' if line.get(i + 1) == Some(&b'u') => {
                    let Some(n) = hex4(i + 2) else {
                        i += 2;
                        continue;
                    };
                    let paired = (0xD800..0xDC00).contains(&n)
                        && line.get(i + 6..i + 8) == Some(b"\\u")
                        && hex4(i + 8).is_some_and(|m| (0xDC00..0xE000).contains(&m));
                    if paired {
                        i += 12;
                        continue;
                    }
                    if (0xD800..0xE000).contains(&n) {
                        replace(&mut out, &mut copied, i, i + 6, b"\\ufffd");
                    }
                    i += 6;
                    continue;
                }
                b'\\' => {
                    i += 2;
                    continue;
                }
                _ => {}
            }
            i += 1;
        } else if b == b'"' {
            in_string = true;
            i += 1;
        } else if b == b'-' || b.is_ascii_digit() {
            let end = line[i..]
                .iter()
                .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .map_or(line.len(), |p| i + p);
            let token = &line[i..end];
            if is_json_number(token) && serde_json::from_slice::<f64>(token).is_err() {
                let with = if b == b'-' { format!("-{MAX_DOUBLE}") } else { MAX_DOUBLE.to_owned() };
                replace(&mut out, &mut copied, i, end, with.as_bytes());
            }
            i = end;
        } else {
            i += 1;
        }
    }
    let mut buf = out?;
    buf.extend_from_slice(&line[copied..]);
    String::from_utf8(buf).ok()
}

/// True when `t` is exactly one JSON number ([`skim::number_end`]'s grammar).
fn is_json_number(t: &[u8]) -> bool {
    skim::number_end(t, 0).is_some_and(|(end, _)| end == t.len())
}

// ---------------------------------------------------------------------------------------
// Lenient leaf values: the right JSON type gives `Some`, any other value is consumed and
// gives `None`.

/// A string field; any other JSON type is absent.
struct LenientStr<'a>(Option<Str<'a>>);

impl<'de> Deserialize<'de> for LenientStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientStrVisitor).map(LenientStr)
    }
}

struct LenientStrVisitor;

/// Consumes a whole value of the "wrong" type and yields `Self::Value::default()`.
macro_rules! absent_for_other_types {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
}

macro_rules! absent_for_strings {
    () => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
}

macro_rules! absent_for_seqs {
    () => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Default::default())
        }
    };
}

macro_rules! absent_for_maps {
    () => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Default::default())
        }
    };
}

impl<'de> Visitor<'de> for LenientStrVisitor {
    type Value = Option<Str<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v)))
    }
    absent_for_other_types!();
    absent_for_seqs!();
    absent_for_maps!();
}

/// An object key, borrowed from the line (serde's own `Cow<str>` would always allocate).
struct Key<'a>(Str<'a>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(LenientStrVisitor).map(|k| Key(k.unwrap_or_default()))
    }
}

/// `true` only for the JSON literal `true`; any other value counts as absent (false).
struct LenientTrue(bool);

impl<'de> Deserialize<'de> for LenientTrue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientTrueVisitor).map(LenientTrue)
    }
}

struct LenientTrueVisitor;

impl<'de> Visitor<'de> for LenientTrueVisitor {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    absent_for_strings!();
    absent_for_seqs!();
    absent_for_maps!();
}

/// A boolean field (`isSidechain`); any other JSON type is absent.
struct LenientBool(Option<bool>);

impl<'de> Deserialize<'de> for LenientBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientBoolVisitor).map(LenientBool)
    }
}

struct LenientBoolVisitor;

impl<'de> Visitor<'de> for LenientBoolVisitor {
    type Value = Option<bool>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    absent_for_strings!();
    absent_for_seqs!();
    absent_for_maps!();
}

/// An integer usage counter; booleans, floats, strings, and integers outside `i64` are absent.
struct LenientInt(Option<i64>);

impl<'de> Deserialize<'de> for LenientInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientIntVisitor).map(LenientInt)
    }
}

struct LenientIntVisitor;

impl<'de> Visitor<'de> for LenientIntVisitor {
    type Value = Option<i64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).ok())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    absent_for_strings!();
    absent_for_seqs!();
    absent_for_maps!();
}

/// Wraps an object visitor: an object gives `Some`, any other JSON value is consumed and
/// gives `None`.
macro_rules! object_or_absent {
    ($visitor:ident, $value:ty, |$map:ident| $body:block) => {
        struct $visitor;
        impl<'de> Visitor<'de> for $visitor {
            type Value = Option<$value>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut $map: A) -> Result<Self::Value, A::Error> {
                $body
            }
            absent_for_other_types!();
            absent_for_strings!();
            absent_for_seqs!();
        }
    };
}

/// Deserializes with the given visitor through `deserialize_any`.
struct With<V>(V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for With<V> {
    type Value = V::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_any(self.0)
    }
}

fn str_value<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Str<'de>>, A::Error> {
    Ok(map.next_value::<LenientStr<'de>>()?.0)
}

object_or_absent!(RecordVisitor, Record<'de>, |map| {
    let mut rec = Record::default();
    while let Some(key) = map.next_key::<Key<'de>>()? {
        match key.0.as_ref() {
            "type" => rec.kind = str_value(&mut map)?,
            "uuid" => rec.uuid = str_value(&mut map)?,
            "parentUuid" => rec.parent_uuid = str_value(&mut map)?,
            "sessionId" => rec.session_id = str_value(&mut map)?,
            "timestamp" => rec.timestamp = str_value(&mut map)?,
            "cwd" => rec.cwd = str_value(&mut map)?,
            "isSidechain" => rec.is_sidechain = map.next_value::<LenientBool>()?.0,
            "requestId" => rec.request_id = str_value(&mut map)?,
            "tool_use_id" => rec.tool_use_id = str_value(&mut map)?,
            "toolUseId" => rec.tool_use_id_camel = str_value(&mut map)?,
            "is_error" => rec.is_error = map.next_value::<LenientTrue>()?.0,
            "message" => rec.message = map.next_value_seed(With(MessageVisitor))?,
            "agentId" => rec.agent_id = str_value(&mut map)?,
            "gitBranch" => rec.git_branch = str_value(&mut map)?,
            "version" => rec.version = str_value(&mut map)?,
            "data" => rec.progress = map.next_value_seed(With(ProgressVisitor))?.map(Box::new),
            "toolUseResult" => rec.result_agent_id = map.next_value_seed(With(ResultVisitor))?.flatten(),
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(Some(rec))
});

object_or_absent!(ProgressVisitor, Progress<'de>, |map| {
    let mut progress = Progress::default();
    while let Some(key) = map.next_key::<Key<'de>>()? {
        match key.0.as_ref() {
            "type" => progress.kind = str_value(&mut map)?,
            "agentId" => progress.agent_id = str_value(&mut map)?,
            "message" => progress.message = map.next_value_seed(With(EmbeddedVisitor))?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(Some(progress))
});

object_or_absent!(EmbeddedVisitor, Embedded<'de>, |map| {
    let mut line = Embedded::default();
    while let Some(key) = map.next_key::<Key<'de>>()? {
        match key.0.as_ref() {
            "type" => line.kind = str_value(&mut map)?,
            "timestamp" => line.timestamp = str_value(&mut map)?,
            "requestId" => line.request_id = str_value(&mut map)?,
            "message" => line.message = map.next_value_seed(With(MessageVisitor))?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(Some(line))
});

// `toolUseResult`: only its `agentId` is read.
object_or_absent!(ResultVisitor, Option<Str<'de>>, |map| {
    let mut agent_id = None;
    while let Some(key) = map.next_key::<Key<'de>>()? {
        match key.0.as_ref() {
            "agentId" => agent_id = str_value(&mut map)?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(Some(agent_id))
});

object_or_absent!(MessageVisitor, Message<'de>, |map| {
    let mut msg = Message::default();
    while let Some(key) = map.next_key::<Key<'de>>()? {
        match key.0.as_ref() {
            "id" => msg.id = str_value(&mut map)?,
            "model" => msg.model = str_value(&mut map)?,
            "content" => msg.content = map.next_value_seed(With(ContentVisitor))?,
            "usage" => msg.usage = map.next_value_seed(With(UsageVisitor))?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(Some(msg))
});

object_or_absent!(UsageVisitor, Usage<'de>, |map| {
    let mut usage = Usage::default();
    while let Some(key) = map.next_key::<Key<'de>>()? {
        let slot = match key.0.as_ref() {
            "input_tokens" => &mut usage.input_tokens,
            "output_tokens" => &mut usage.output_tokens,
            "cache_read_input_tokens" => &mut usage.cache_read_input_tokens,
            "cache_creation_input_tokens" => &mut usage.cache_creation_input_tokens,
            "cache_creation" => {
                usage.cache_creation_1h = map.next_value_seed(With(CacheCreationVisitor))?.flatten();
                continue;
            }
            "server_tool_use" => {
                let counts = map.next_value_seed(With(ServerToolUseVisitor))?.unwrap_or_default();
                (usage.web_search_requests, usage.web_fetch_requests) = counts;
                continue;
            }
            "speed" => {
                usage.speed = str_value(&mut map)?;
                continue;
            }
            "service_tier" => {
                usage.service_tier = str_value(&mut map)?;
                continue;
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
        };
        *slot = map.next_value::<LenientInt>()?.0;
    }
    Ok(Some(usage))
});

// `usage.cache_creation`: only `ephemeral_1h_input_tokens` is read.
object_or_absent!(CacheCreationVisitor, Option<i64>, |map| {
    let mut hour = None;
    while let Some(key) = map.next_key::<Key<'de>>()? {
        match key.0.as_ref() {
            "ephemeral_1h_input_tokens" => hour = map.next_value::<LenientInt>()?.0,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(Some(hour))
});

// `usage.server_tool_use`: web searches and fetches.
object_or_absent!(ServerToolUseVisitor, (Option<i64>, Option<i64>), |map| {
    let mut counts = (None, None);
    while let Some(key) = map.next_key::<Key<'de>>()? {
        match key.0.as_ref() {
            "web_search_requests" => counts.0 = map.next_value::<LenientInt>()?.0,
            "web_fetch_requests" => counts.1 = map.next_value::<LenientInt>()?.0,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(Some(counts))
});

object_or_absent!(ItemVisitor, Item<'de>, |map| {
    let mut item = Item::default();
    while let Some(key) = map.next_key::<Key<'de>>()? {
        match key.0.as_ref() {
            "type" => item.kind = str_value(&mut map)?,
            "id" => item.id = str_value(&mut map)?,
            "name" => item.name = str_value(&mut map)?,
            "tool_use_id" => item.tool_use_id = str_value(&mut map)?,
            "is_error" => item.is_error = map.next_value::<LenientTrue>()?.0,
            "text" => item.text = Some(map.next_value::<&'de RawValue>()?.get()),
            "content" => item.content = Some(map.next_value::<&'de RawValue>()?.get()),
            "input" => {
                let raw = map.next_value::<&'de RawValue>()?.get();
                item.input = raw.starts_with('{').then_some(raw);
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(Some(item))
});

object_or_absent!(ToolInputVisitor, ToolInput<'de>, |map| {
    let mut input = ToolInput::default();
    while let Some(key) = map.next_key::<Key<'de>>()? {
        match key.0.as_ref() {
            "skill" => input.skill = str_value(&mut map)?,
            "name" => input.name = str_value(&mut map)?,
            "subagent_type" => input.subagent_type = str_value(&mut map)?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(Some(input))
});

/// `content`: a string, or a list whose object elements are items.
struct ContentVisitor;

impl<'de> Visitor<'de> for ContentVisitor {
    type Value = Content<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Content::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Content::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Content::Text(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(With(ItemVisitor))? {
            if let Some(item) = item {
                items.push(item);
            }
        }
        Ok(Content::Items(items))
    }
    absent_for_other_types!();
    absent_for_maps!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_it_needs() {
        let line = br#"{"type":"assistant","uuid":"a1","parentUuid":null,"sessionId":"s","timestamp":"2026-05-12T15:00:01.000Z","cwd":"/w","isSidechain":false,"requestId":"r1","message":{"id":"m1","model":"claude","content":[{"type":"tool_use","id":"tu1","name":"Skill","input":{"skill":"x","deep":{"a":[1,2]}}}],"usage":{"input_tokens":3,"output_tokens":4,"cache_read_input_tokens":5,"cache_creation_input_tokens":6}}}"#;
        let rec = Record::parse(line).unwrap();
        assert_eq!(rec.kind.as_deref(), Some("assistant"));
        assert_eq!(rec.parent_uuid, None);
        assert_eq!(rec.is_sidechain, Some(false));
        let msg = rec.message.unwrap();
        assert_eq!(msg.id.as_deref(), Some("m1"));
        assert_eq!(
            msg.usage,
            Some(Usage {
                input_tokens: Some(3),
                output_tokens: Some(4),
                cache_read_input_tokens: Some(5),
                cache_creation_input_tokens: Some(6),
                ..Usage::default()
            })
        );
        let Content::Items(items) = msg.content else { panic!("items") };
        assert_eq!(items.len(), 1);
        let input = items[0].input.unwrap();
        assert_eq!(input, r#"{"skill":"x","deep":{"a":[1,2]}}"#);
        assert_eq!(ToolInput::parse(input).skill.as_deref(), Some("x"));
    }

    #[test]
    fn wrong_types_are_absent() {
        let line = br#"{"type":7,"timestamp":12345,"sessionId":5,"isSidechain":"yes","message":{"content":{"a":1},"usage":{"input_tokens":true,"output_tokens":1.5,"cache_read_input_tokens":"9","cache_creation_input_tokens":18446744073709551615}}}"#;
        let rec = Record::parse(line).unwrap();
        assert!(rec.kind.is_none() && rec.timestamp.is_none() && rec.session_id.is_none());
        assert_eq!(rec.is_sidechain, None);
        let msg = rec.message.unwrap();
        assert!(matches!(msg.content, Content::Absent));
        assert_eq!(msg.usage, Some(Usage::default()));
        let rec = Record::parse(br#"{"message":"hello"}"#).unwrap();
        assert!(rec.message.is_none());
        let rec = Record::parse(br#"{"message":{"usage":[1],"content":5}}"#).unwrap();
        let msg = rec.message.unwrap();
        assert!(msg.usage.is_none() && matches!(msg.content, Content::Absent));
        let rec = Record::parse(br#"{"message":{"content":[1,"x",{"type":"tool_use","input":[1]}]}}"#).unwrap();
        let Content::Items(items) = rec.message.unwrap().content else { panic!() };
        assert_eq!(items.len(), 1);
        assert!(items[0].input.is_none());
    }

    #[test]
    fn is_error_needs_literal_true() {
        let rec = Record::parse(br#"{"is_error":1}"#).unwrap();
        assert!(!rec.is_error);
        let rec = Record::parse(br#"{"is_error":true}"#).unwrap();
        assert!(rec.is_error);
    }

    #[test]
    fn duplicate_keys_keep_the_last() {
        let rec = Record::parse(br#"{"type":"user","type":"assistant"}"#).unwrap();
        assert_eq!(rec.kind.as_deref(), Some("assistant"));
    }

    #[test]
    fn escaped_strings_are_decoded() {
        let rec = Record::parse(br#"{"cwd":"C:\\work\u00e9"}"#).unwrap();
        assert_eq!(rec.cwd.as_deref(), Some("C:\\work\u{e9}"));
    }

    #[test]
    fn non_objects_and_garbage_are_errors() {
        assert_eq!(Record::parse(b"[1,2]").unwrap_err(), LineError::NotAnObject);
        assert_eq!(Record::parse(b"null").unwrap_err(), LineError::NotAnObject);
        assert_eq!(Record::parse(b"\"s\"").unwrap_err(), LineError::NotAnObject);
        assert!(matches!(Record::parse(b"{\"a\":").unwrap_err(), LineError::Syntax(_)));
        assert!(matches!(Record::parse(b"{} {}").unwrap_err(), LineError::Syntax(_)));
        assert_eq!(Record::parse(b"{\"a\":\"\xff\"}").unwrap_err(), LineError::Encoding);
    }

    #[test]
    fn repair_replaces_lone_surrogates_and_out_of_range_numbers_only() {
        let fix = |s: &str| repair(s.as_bytes());
        assert_eq!(fix(r#"{"a":"x\ud800y"}"#).as_deref(), Some(r#"{"a":"x\ufffdy"}"#));
        assert_eq!(fix(r#"{"a":"\udc00\ud800\u0041"}"#).as_deref(), Some(r#"{"a":"\ufffd\ufffd\u0041"}"#));
        assert_eq!(fix(r#"{"a":"\ud83d\ude00"}"#), None); // a pair is fine
        assert_eq!(fix(r#"{"a":"\\ud800"}"#), None); // an escaped backslash, then text
        assert_eq!(
            fix(r#"{"a":1e400,"b":-1E+999,"c":1e-400,"d":"1e400","e":12}"#).as_deref(),
            Some(r#"{"a":1.7976931348623157e308,"b":-1.7976931348623157e308,"c":1e-400,"d":"1e400","e":12}"#)
        );
        // Whatever else is wrong stays wrong.
        assert!(Record::parse(fix(r#"{"a":1e4000x}"#).unwrap().as_bytes()).is_err());
        assert_eq!(fix(r#"{"a":1e4000.}"#), None); // not a number: left alone
        assert_eq!(fix(r#"{"a":"\ud800"#).as_deref(), Some(r#"{"a":"\ufffd"#)); // still not JSON
        assert_eq!(fix("{\"a\":\"\\ud8"), None);
        for ok in ["0", "-0", "1.5", "-12e3", "1E+2", "10"] {
            assert!(is_json_number(ok.as_bytes()), "{ok}");
        }
        for bad in ["", "-", "01", "1.", ".5", "1e", "1e+", "--1", "1-2", "+1"] {
            assert!(!is_json_number(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn text_with_a_lone_surrogate_is_repaired() {
        let rec = Record::parse(br#"{"message":{"content":[{"type":"text","text":"/cmd \udfff x"}]}}"#).unwrap();
        let Some(Content::Items(items)) = rec.message.as_ref().map(|m| &m.content) else { panic!() };
        assert_eq!(items[0].text().as_deref(), Some("/cmd \u{fffd} x"));
    }

    #[test]
    fn tool_input_with_unreadable_values_is_repaired() {
        let input = ToolInput::parse(r#"{"skill":1e400,"name":"n\ud800","subagent_type":"s"}"#);
        assert_eq!(input.skill, None);
        assert_eq!(input.name.as_deref(), Some("n\u{fffd}"));
        assert_eq!(input.subagent_type.as_deref(), Some("s"));
    }

    #[test]
    fn unicode_escapes_need_four_hex_digits_even_where_skipped() {
        for bad in [r#"{"type":"user","junk":"\ud80\u000c0"}"#, r#"{"a":"\u12"}"#, r#"{"a":"x\\\uzzzz"}"#] {
            let bad = bad.replace("\\u000c", "\u{c}");
            assert!(matches!(Record::parse(bad.as_bytes()), Err(LineError::Syntax(_))), "{bad}");
        }
        for good in [r#"{"a":"\u00e9 \\u not an escape \\\\uzz"}"#, r#"{"a":"\uD83D\uDE00","b":"\\"}"#] {
            assert!(Record::parse(good.as_bytes()).is_ok(), "{good}");
        }
    }

    #[test]
    fn deep_nesting_in_skipped_values_is_fine_and_unbalanced_is_not() {
        // Values the record does not need are skipped iteratively: no depth limit, no stack use.
        let deep = format!("{{\"type\":\"user\",\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(Record::parse(deep.as_bytes()).unwrap().kind.as_deref(), Some("user"));
        let unbalanced = format!("{{\"a\":{}}}", "[".repeat(100_000));
        assert!(matches!(Record::parse(unbalanced.as_bytes()).unwrap_err(), LineError::Syntax(_)));
    }
}
