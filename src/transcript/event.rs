//! Events: what one line contributes (tool uses, subagent dispatches, MCP calls, slash
//! commands), and the event id the reference server keys its rows by.

use std::cmp::Ordering;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

use regex_syntax::hir::{Class, HirKind};
use sha2::{Digest, Sha256};

use super::record::{Content, Item, Record, ToolInput};

/// The kind of an event, as the `event_type` column spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    ToolUse = 0,
    Subagent = 1,
    McpCall = 2,
    SlashCommand = 3,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ToolUse => "tool_use",
            EventType::Subagent => "subagent",
            EventType::McpCall => "mcp_call",
            EventType::SlashCommand => "slash_command",
        }
    }
}

/// A string of one file's events: a range of that file's [`Texts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    start: usize,
    /// Never 0 ([`Texts`] starts with a placeholder byte), so `Option<Text>` is no larger.
    end: NonZeroUsize,
}

impl Text {
    /// The same text in a buffer appended after `by` bytes of another.
    pub(crate) fn shifted(self, by: usize) -> Text {
        Text { start: self.start + by, end: self.end.saturating_add(by) }
    }
}

/// The strings of one file's events, end to end in one buffer: an event holds [`Text`]
/// ranges into it, so keeping an event allocates nothing of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Texts {
    buf: String,
}

impl Default for Texts {
    fn default() -> Self {
        Texts { buf: String::from("\0") }
    }
}

impl Texts {
    pub fn push(&mut self, s: &str) -> Text {
        let start = self.buf.len();
        self.buf.push_str(s);
        Text { start, end: NonZeroUsize::MIN.saturating_add(self.buf.len() - 1) }
    }

    pub fn get(&self, t: Text) -> &str {
        &self.buf[t.start..t.end.get()]
    }

    pub fn opt(&self, t: Option<Text>) -> Option<&str> {
        t.map(|t| self.get(t))
    }

    /// Appends `later`'s strings; returns the shift for `later`'s [`Text`]s ([`Event::shift`]).
    pub fn append(&mut self, later: &Texts) -> usize {
        let by = self.buf.len() - 1;
        self.buf.push_str(&later.buf[1..]);
        by
    }

    /// Makes room for `bytes` more.
    pub fn reserve_exact(&mut self, bytes: usize) {
        self.buf.reserve_exact(bytes);
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.buf.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One event. Its strings live in the file's [`Texts`]; [`Event::view`] reads them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    pub line_number: u64,
    pub event_uuid: Option<Text>,
    pub parent_uuid: Option<Text>,
    pub tool_id: Option<Text>,
    pub event_type: EventType,
    pub tool_name: Option<Text>,
    pub skill_name: Option<Text>,
    pub subagent_type: Option<Text>,
    pub command_name: Option<Text>,
    pub is_error: bool,
    pub model: Option<Text>,
    pub cwd: Option<Text>,
    /// Microseconds since the epoch, UTC; `None` when no line of the file has a valid time.
    pub occurred_at: Option<i64>,
    pub is_sidechain: Option<bool>,
    /// The tool input object as JSON text (only when asked for).
    pub tool_input: Option<Text>,
    /// The line's `agentId` (the subagent whose transcript the line is in).
    pub agent_id: Option<Text>,
    /// For a Task/Agent call: the agent its result names.
    pub spawned_agent_id: Option<Text>,
}

impl Event {
    /// The event with its strings read from `texts`.
    pub fn view<'t>(&self, texts: &'t Texts) -> EventView<'t> {
        EventView {
            line_number: self.line_number,
            event_uuid: texts.opt(self.event_uuid),
            parent_uuid: texts.opt(self.parent_uuid),
            tool_id: texts.opt(self.tool_id),
            event_type: self.event_type,
            tool_name: texts.opt(self.tool_name),
            skill_name: texts.opt(self.skill_name),
            subagent_type: texts.opt(self.subagent_type),
            command_name: texts.opt(self.command_name),
            is_error: self.is_error,
            model: texts.opt(self.model),
            cwd: texts.opt(self.cwd),
            occurred_at: self.occurred_at,
            is_sidechain: self.is_sidechain,
            tool_input: texts.opt(self.tool_input),
            agent_id: texts.opt(self.agent_id),
            spawned_agent_id: texts.opt(self.spawned_agent_id),
        }
    }

    /// Moves the event's strings by `by` bytes (see [`Texts::append`]).
    pub fn shift(&mut self, by: usize) {
        for t in [
            &mut self.event_uuid,
            &mut self.parent_uuid,
            &mut self.tool_id,
            &mut self.tool_name,
            &mut self.skill_name,
            &mut self.subagent_type,
            &mut self.command_name,
            &mut self.model,
            &mut self.cwd,
            &mut self.tool_input,
            &mut self.agent_id,
            &mut self.spawned_agent_id,
        ] {
            *t = t.map(|t| t.shifted(by));
        }
    }

    /// The reference server's key ([`EventView::id_into`]).
    pub fn id_into<'b>(&self, session_id: &str, texts: &Texts, buf: &'b mut [u8; 64]) -> &'b str {
        let parts = [
            texts.opt(self.event_uuid),
            texts.opt(self.tool_id),
            Some(self.event_type.as_str()),
            texts.opt(self.tool_name),
            texts.opt(self.command_name),
        ];
        event_key(session_id, parts, buf)
    }
}

/// A set of the parts of an event ([`Event`]'s optional fields). `line_number` and
/// `event_type` are always there: they cost nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields(u16);

impl Fields {
    pub const NONE: Fields = Fields(0);
    pub const EVENT_UUID: Fields = Fields(1 << 0);
    pub const PARENT_UUID: Fields = Fields(1 << 1);
    pub const TOOL_ID: Fields = Fields(1 << 2);
    pub const TOOL_NAME: Fields = Fields(1 << 3);
    pub const SKILL_NAME: Fields = Fields(1 << 4);
    pub const SUBAGENT_TYPE: Fields = Fields(1 << 5);
    pub const COMMAND_NAME: Fields = Fields(1 << 6);
    pub const IS_ERROR: Fields = Fields(1 << 7);
    pub const MODEL: Fields = Fields(1 << 8);
    pub const CWD: Fields = Fields(1 << 9);
    pub const OCCURRED_AT: Fields = Fields(1 << 10);
    pub const IS_SIDECHAIN: Fields = Fields(1 << 11);
    pub const TOOL_INPUT: Fields = Fields(1 << 12);
    pub const AGENT_ID: Fields = Fields(1 << 13);
    /// The agent a Task/Agent call started: the ids of tool results and the agents they name.
    pub const SPAWNED_AGENT_ID: Fields = Fields(1 << 14);
    pub const ALL: Fields = Fields((1 << 15) - 1);
    /// What the event id ([`Event::id_into`]) is computed from, besides the session id.
    pub const ID: Fields = Fields::EVENT_UUID.with(Fields::TOOL_ID).with(Fields::TOOL_NAME).with(Fields::COMMAND_NAME);
    /// Each field alone, in [`Event`]'s order.
    pub const EACH: [Fields; 15] = [
        Fields::EVENT_UUID,
        Fields::PARENT_UUID,
        Fields::TOOL_ID,
        Fields::TOOL_NAME,
        Fields::SKILL_NAME,
        Fields::SUBAGENT_TYPE,
        Fields::COMMAND_NAME,
        Fields::IS_ERROR,
        Fields::MODEL,
        Fields::CWD,
        Fields::OCCURRED_AT,
        Fields::IS_SIDECHAIN,
        Fields::TOOL_INPUT,
        Fields::AGENT_ID,
        Fields::SPAWNED_AGENT_ID,
    ];

    /// `view` with the fields outside the set cleared (absent, `is_error` false): what a scan
    /// that asked for this set gives.
    pub fn mask<'t>(self, view: EventView<'t>) -> EventView<'t> {
        let pick = |f: Fields, v: Option<&'t str>| if self.contains(f) { v } else { None };
        EventView {
            event_uuid: pick(Fields::EVENT_UUID, view.event_uuid),
            parent_uuid: pick(Fields::PARENT_UUID, view.parent_uuid),
            tool_id: pick(Fields::TOOL_ID, view.tool_id),
            tool_name: pick(Fields::TOOL_NAME, view.tool_name),
            skill_name: pick(Fields::SKILL_NAME, view.skill_name),
            subagent_type: pick(Fields::SUBAGENT_TYPE, view.subagent_type),
            command_name: pick(Fields::COMMAND_NAME, view.command_name),
            is_error: self.contains(Fields::IS_ERROR) && view.is_error,
            model: pick(Fields::MODEL, view.model),
            cwd: pick(Fields::CWD, view.cwd),
            occurred_at: if self.contains(Fields::OCCURRED_AT) { view.occurred_at } else { None },
            is_sidechain: if self.contains(Fields::IS_SIDECHAIN) { view.is_sidechain } else { None },
            tool_input: pick(Fields::TOOL_INPUT, view.tool_input),
            agent_id: pick(Fields::AGENT_ID, view.agent_id),
            spawned_agent_id: pick(Fields::SPAWNED_AGENT_ID, view.spawned_agent_id),
            ..view
        }
    }
}

bit_set!(Fields, u16);

/// An [`Event`] with its strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventView<'t> {
    pub line_number: u64,
    pub event_uuid: Option<&'t str>,
    pub parent_uuid: Option<&'t str>,
    pub tool_id: Option<&'t str>,
    pub event_type: EventType,
    pub tool_name: Option<&'t str>,
    pub skill_name: Option<&'t str>,
    pub subagent_type: Option<&'t str>,
    pub command_name: Option<&'t str>,
    pub is_error: bool,
    pub model: Option<&'t str>,
    pub cwd: Option<&'t str>,
    pub occurred_at: Option<i64>,
    pub is_sidechain: Option<bool>,
    pub tool_input: Option<&'t str>,
    pub agent_id: Option<&'t str>,
    pub spawned_agent_id: Option<&'t str>,
}

impl EventView<'_> {
    /// The reference server's key: lowercase hex sha256 of
    /// `session_id|event_uuid|tool_id|event_type|tool_name|command_name`, absent values empty.
    pub fn id(&self, session_id: &str) -> String {
        let parts = [self.event_uuid, self.tool_id, Some(self.event_type.as_str()), self.tool_name, self.command_name];
        event_key(session_id, parts, &mut [0; 64]).to_owned()
    }
}

/// The key of [`EventView::id`] written into `buf`, without allocating (one per row of a scan).
fn event_key<'b>(session_id: &str, parts: [Option<&str>; 5], buf: &'b mut [u8; 64]) -> &'b str {
    let mut h = Sha256::new();
    h.update(session_id.as_bytes());
    for p in parts {
        h.update(b"|");
        h.update(p.unwrap_or("").as_bytes());
    }
    for (pair, b) in buf.chunks_exact_mut(2).zip(h.finalize()) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 15)];
    }
    std::str::from_utf8(buf).expect("hex digits are ASCII")
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The character classes of the slash-command rules, as sorted code-point ranges: Python's `re`
/// `\s` on `str` (Unicode white space and `\x1c`-`\x1f`) and the characters of a command name
/// (`\p{L}`, `\p{N}`, `_`, `:`, `-`; Python's `\w` plus `:` and `-`).
///
/// The ranges come from `regex-syntax`'s Unicode tables, parsed once (tens of microseconds);
/// the two rules are simple enough to match by hand, which spares compiling them into automata
/// (2 to 3 ms, in the first query of every process). The unit tests compare the matcher with the
/// `regex` crate's reading of the same patterns.
struct Classes {
    space: Vec<(char, char)>,
    name: Vec<(char, char)>,
}

/// The class syntax of [`Classes`], in `regex` syntax.
const SPACE_CLASS: &str = r"[\s\x1c-\x1f]";
const NAME_CLASS: &str = r"[\p{L}\p{N}_:-]";

fn classes() -> &'static Classes {
    static CLASSES: OnceLock<Classes> = OnceLock::new();
    CLASSES.get_or_init(|| Classes { space: ranges(SPACE_CLASS), name: ranges(NAME_CLASS) })
}

/// The code-point ranges of a Unicode class in `regex` syntax.
fn ranges(class: &str) -> Vec<(char, char)> {
    let hir = regex_syntax::Parser::new().parse(class).expect("a valid class");
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().map(|r| (r.start(), r.end())).collect(),
        other => unreachable!("{class} is not a Unicode class: {other:?}"),
    }
}

fn in_class(ranges: &[(char, char)], c: char) -> bool {
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                Ordering::Less
            } else if lo > c {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .is_ok()
}

/// A command name at the start of `s`: an ASCII letter, then name characters (as many as
/// there are).
fn name_at(s: &str) -> Option<&str> {
    if !s.as_bytes().first()?.is_ascii_alphabetic() {
        return None;
    }
    let name = &classes().name;
    let end = s.char_indices().skip(1).find(|&(_, c)| !in_class(name, c)).map_or(s.len(), |(i, _)| i);
    Some(&s[..end])
}

/// The name of a user text that starts with `/name`, after white space (the reference's rule).
fn leading_command(text: &str) -> Option<&str> {
    let space = &classes().space;
    name_at(text.trim_start_matches(|c| in_class(space, c)).strip_prefix('/')?)
}

/// The names of every `<command-name>/name</command-name>` in a user text, left to right (how
/// Claude Code writes them).
fn tagged_commands(text: &str, mut out: impl FnMut(&str)) {
    const OPEN: &str = "<command-name>/";
    const CLOSE: &str = "</command-name>";
    let mut from = 0;
    while let Some(at) = text[from..].find(OPEN).map(|i| from + i) {
        let start = at + OPEN.len();
        match name_at(&text[start..]) {
            Some(name) if text[start + name.len()..].starts_with(CLOSE) => {
                out(name);
                from = start + name.len() + CLOSE.len();
            }
            // No tag here: look again one byte on (the next match may start inside this one).
            _ => from = at + 1,
        }
    }
}

/// Slash-command names in one user text: the leading `/name` first, then every tag.
pub fn slash_commands(text: &str, mut out: impl FnMut(&str)) {
    // Both rules need a `/`; most user texts have none.
    if !text.contains('/') {
        return;
    }
    if let Some(name) = leading_command(text) {
        out(name);
    }
    if text.contains("<command-name>/") {
        tagged_commands(text, out);
    }
}

/// How a `tool_use` item is classified.
pub struct Classified<'a> {
    pub event_type: EventType,
    pub skill_name: Option<std::borrow::Cow<'a, str>>,
    pub subagent_type: Option<std::borrow::Cow<'a, str>>,
}

/// Which names [`classify`] reads from a tool input (each costs a second walk over it).
#[derive(Debug, Clone, Copy)]
pub struct Classify {
    /// A Skill's skill name.
    pub skill: bool,
    /// A Task/Agent's subagent type (the input is a long prompt; a summary does not need it).
    pub subagent: bool,
}

impl Classify {
    pub const ALL: Classify = Classify { skill: true, subagent: true };
}

/// Classifies a tool use by its name: `Skill` (skill from input `skill` or `name`),
/// `Task`/`Agent` (subagent type from input, defaulting to the tool name), `mcp__*`, or a
/// plain tool use. The names are read only where `read` asks for them.
pub fn classify<'a>(name: &str, item: &Item<'a>, read: Classify) -> Classified<'a> {
    let non_empty = |s: Option<std::borrow::Cow<'a, str>>| s.filter(|s| !s.is_empty());
    match name {
        "Skill" => Classified {
            event_type: EventType::ToolUse,
            skill_name: read
                .skill
                .then(|| {
                    let input = item.input.map(ToolInput::parse).unwrap_or_default();
                    non_empty(input.skill).or_else(|| non_empty(input.name))
                })
                .flatten(),
            subagent_type: None,
        },
        "Task" | "Agent" => Classified {
            event_type: EventType::Subagent,
            skill_name: None,
            subagent_type: read.subagent.then(|| {
                let input = item.input.map(ToolInput::parse).unwrap_or_default();
                non_empty(input.subagent_type).unwrap_or_else(|| name.to_owned().into())
            }),
        },
        _ if name.starts_with("mcp__") => {
            Classified { event_type: EventType::McpCall, skill_name: None, subagent_type: None }
        }
        _ => Classified { event_type: EventType::ToolUse, skill_name: None, subagent_type: None },
    }
}

/// The texts of a user line in which slash commands are looked for: the content string, or
/// the `text` of every `{"type":"text"}` item.
pub fn user_texts<'r>(rec: &'r Record<'_>) -> impl Iterator<Item = std::borrow::Cow<'r, str>> {
    let content = rec.message.as_ref().map(|m| &m.content);
    let text = match content {
        Some(Content::Text(t)) => Some(std::borrow::Cow::Borrowed(&**t)),
        _ => None,
    };
    let items = match content {
        Some(Content::Items(items)) => items.as_slice(),
        _ => &[],
    };
    let texts = items.iter().filter(|i| i.kind.as_deref() == Some("text") && i.text.is_some_and(may_name_a_command));
    text.into_iter().chain(texts.filter_map(Item::text))
}

/// Whether the raw JSON of a text may hold a slash command once decoded: it needs a `/`,
/// written as is, as `\/`, or as a `\u` escape.
fn may_name_a_command(raw: &str) -> bool {
    raw.contains('/') || raw.contains("\\u")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        let mut v = Vec::new();
        slash_commands(text, |n| v.push(n.to_owned()));
        v
    }

    /// The rules as `regex` patterns (Python's `re` semantics, spelled for the `regex` crate):
    /// what the hand matcher must agree with.
    fn names_by_regex(text: &str) -> Vec<String> {
        static RES: OnceLock<(regex::Regex, regex::Regex)> = OnceLock::new();
        let (leading, tag) = RES.get_or_init(|| {
            let leading = format!(r"\A{SPACE_CLASS}*/([A-Za-z]{NAME_CLASS}*)");
            let tag = format!(r"<command-name>/([A-Za-z]{NAME_CLASS}*)</command-name>");
            (regex::Regex::new(&leading).unwrap(), regex::Regex::new(&tag).unwrap())
        });
        let mut v: Vec<String> = leading.captures(text).map(|c| c[1].to_owned()).into_iter().collect();
        v.extend(tag.captures_iter(text).map(|c| c[1].to_owned()));
        v
    }

    #[test]
    fn the_matcher_agrees_with_the_regex_patterns() {
        // Pieces that matter to the rules: white space of every kind (and what is not white
        // space to Python), the tag, letters and numbers of other scripts, marks (not name
        // characters), the separators of a name.
        let pieces = [
            "/",
            "<command-name>/",
            "</command-name>",
            "<command-name>",
            "</command-name",
            " ",
            "\n",
            "\t",
            "\u{1c}",
            "\u{1f}",
            "\u{85}",
            "\u{a0}",
            "\u{2003}",
            "\u{200b}",
            "\u{feff}",
            "a",
            "Z",
            "1",
            "_",
            ":",
            "-",
            "é",
            "ß",
            "中",
            "²",
            "٣",
            "\u{301}",
            "\u{1d400}",
            "x y",
            "<",
            ">",
            "clear",
            "model",
            ".",
            "\\",
            "/clear",
            "/a:b-c_1",
            "/é",
            "<command-name>/model</command-name>",
            "<command-name>/x",
            "/1abc",
            "  /review-pr",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut found = 0;
        for _ in 0..100_000 {
            let len = next() % 8;
            let text: String = (0..len).map(|_| pieces[(next() % pieces.len() as u64) as usize]).collect();
            let want = names_by_regex(&text);
            assert_eq!(names(&text), want, "{text:?}");
            found += want.len();
        }
        assert!(found > 5_000, "{found} names: the generator must reach the rules");
    }

    #[test]
    fn leading_slash_and_tags() {
        assert_eq!(names("/compound:debug start"), vec!["compound:debug"]);
        assert_eq!(names("  \n/review-pr 12"), vec!["review-pr"]);
        assert_eq!(names("\x1c/x"), vec!["x"]);
        assert_eq!(names("please /not-a-command"), Vec::<String>::new());
        assert_eq!(names("/1abc"), Vec::<String>::new());
        assert_eq!(names("/héllo_wörld"), vec!["héllo_wörld"]);
        assert_eq!(
            names("<command-message>x</command-message>\n<command-name>/model</command-name><command-name>/a:b</command-name>"),
            vec!["model", "a:b"]
        );
        assert_eq!(names("/clear <command-name>/clear</command-name>"), vec!["clear", "clear"]);
        assert_eq!(names(""), Vec::<String>::new());
    }

    /// An event of `event_type` with nothing else set.
    fn bare(event_type: EventType) -> Event {
        Event {
            line_number: 1,
            event_uuid: None,
            parent_uuid: None,
            tool_id: None,
            event_type,
            tool_name: None,
            skill_name: None,
            subagent_type: None,
            command_name: None,
            is_error: false,
            model: None,
            cwd: None,
            occurred_at: None,
            is_sidechain: None,
            tool_input: None,
            agent_id: None,
            spawned_agent_id: None,
        }
    }

    #[test]
    fn event_id_matches_the_reference_key() {
        // sha256("sess-mixed|u1|||slash_command||compound:debug"), as the reference server computes it.
        let no_texts = Texts::default();
        let e = EventView {
            event_uuid: Some("u1"),
            command_name: Some("compound:debug"),
            ..bare(EventType::SlashCommand).view(&no_texts)
        };
        assert_eq!(e.id("sess-mixed"), "255cd5cbe8553193ab3bb5da07f878be241a485a8df6cf2221525fddc06d3797");
        // The same key from the stored event.
        let mut texts = Texts::default();
        let stored = Event {
            event_uuid: Some(texts.push("u1")),
            command_name: Some(texts.push("compound:debug")),
            ..bare(EventType::SlashCommand)
        };
        assert_eq!(stored.view(&texts), e);
        assert_eq!(stored.id_into("sess-mixed", &texts, &mut [0; 64]), e.id("sess-mixed"));
    }

    #[test]
    fn texts_hold_empty_strings_and_shift_when_appended() {
        let mut a = Texts::default();
        let (x, empty) = (a.push("ab"), a.push(""));
        assert_eq!((a.get(x), a.get(empty), a.len()), ("ab", "", 2));
        let mut b = Texts::default();
        let y = b.push("cde");
        let by = a.append(&b);
        let mut e = Event { event_uuid: Some(y), tool_id: Some(y), cwd: Some(y), ..bare(EventType::ToolUse) };
        e.shift(by);
        let v = e.view(&a);
        assert_eq!((v.event_uuid, v.tool_id, v.cwd, v.tool_name), (Some("cde"), Some("cde"), Some("cde"), None));
        assert_eq!(std::mem::size_of::<Option<Text>>(), std::mem::size_of::<Text>());
    }

    #[test]
    fn user_texts_skip_only_texts_without_a_slash() {
        let rec = Record::parse(
            br#"{"message":{"content":[{"type":"text","text":"\u002fclear"},{"type":"text","text":"\/model x"},{"type":"text","text":"no command"},{"type":"text","text":"<command-name>/a</command-name>"}]}}"#,
        )
        .unwrap();
        let texts: Vec<String> = user_texts(&rec).map(|t| t.into_owned()).collect();
        assert_eq!(texts, ["/clear", "/model x", "<command-name>/a</command-name>"]);
        let found: Vec<String> = texts.iter().flat_map(|t| names(t)).collect();
        assert_eq!(found, ["clear", "model", "a"]);
    }

    #[test]
    fn classification() {
        let rec = Record::parse(
            br#"{"message":{"content":[{"type":"tool_use","name":"Skill","input":{"skill":"","name":"n"}},{"type":"tool_use","name":"Task","input":{}},{"type":"tool_use","name":"Agent","input":{"subagent_type":"rev"}}]}}"#,
        )
        .unwrap();
        let Some(Content::Items(items)) = rec.message.as_ref().map(|m| &m.content) else { panic!() };
        let all = Classify::ALL;
        let c = classify("Skill", &items[0], all);
        assert_eq!((c.event_type, c.skill_name.as_deref()), (EventType::ToolUse, Some("n")));
        let c = classify("Task", &items[1], all);
        assert_eq!((c.event_type, c.subagent_type.as_deref()), (EventType::Subagent, Some("Task")));
        let c = classify("Agent", &items[2], all);
        assert_eq!(c.subagent_type.as_deref(), Some("rev"));
        let c = classify("Agent", &items[2], Classify { skill: true, subagent: false });
        assert_eq!((c.event_type, c.subagent_type), (EventType::Subagent, None));
        let c = classify("Skill", &items[0], Classify { skill: true, subagent: false });
        assert_eq!(c.skill_name.as_deref(), Some("n"));
        let c = classify("Skill", &items[0], Classify { skill: false, subagent: true });
        assert_eq!((c.event_type, c.skill_name), (EventType::ToolUse, None));
        assert_eq!(classify("mcp__gh__x", &items[0], all).event_type, EventType::McpCall);
        assert_eq!(classify("Bash", &items[0], all).event_type, EventType::ToolUse);
    }
}
