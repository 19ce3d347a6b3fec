//! Fuzz target over the transcript core: bytes -> events and summary.
//!
//! Besides "no panic", it checks what can be stated without the reference:
//! * the line count equals an independent split (LF ends a line, a BOM at the very start is
//!   dropped, blank lines after trimming do not count);
//! * a line `serde_json::Value` reads as an object is never malformed, one that is not UTF-8,
//!   not an object, or not JSON for a reason other than the ones the core accepts on purpose
//!   (nesting deeper than serde_json's limit, numbers beyond f64, lone surrogate escapes) is
//!   always malformed; user / assistant counts agree with those lines;
//! * the events: counts match the summary, line numbers are those of good lines in order, an
//!   assistant line gives exactly one event per `tool_use` item, user lines only slash
//!   commands; times lie within the summary's range; ids are 64 hex digits;
//! * what is computed does not depend on what is asked for (`Needs`) nor on how the bytes
//!   arrive (short reads through the streaming reader).
#![no_main]

use std::io::Read;

use claude_usage::transcript::lines::{for_each_line, trim};
use claude_usage::transcript::summary::Parts;
use claude_usage::transcript::{scan_bytes, EventType, Fields, Needs, SessionOutput, SessionScanner};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| check(data));

/// What `serde_json::Value` says about one non-blank line.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Verdict {
    /// A JSON object with this `type`.
    Good(Kind),
    /// Certainly malformed.
    Bad,
    /// Valid JSON serde_json::Value cannot hold (deep, huge number, lone surrogate): the core
    /// may accept it.
    Unknown,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    User,
    Assistant,
    Other,
}

struct Line {
    number: u64,
    verdict: Verdict,
    value: Option<Value>,
}

fn judge(line: &[u8]) -> (Verdict, Option<Value>) {
    if std::str::from_utf8(line).is_err() {
        return (Verdict::Bad, None);
    }
    match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(map)) => {
            let kind = match map.get("type") {
                Some(Value::String(s)) if s == "user" => Kind::User,
                Some(Value::String(s)) if s == "assistant" => Kind::Assistant,
                _ => Kind::Other,
            };
            (Verdict::Good(kind), Some(Value::Object(map)))
        }
        Ok(_) => (Verdict::Bad, None),
        Err(e) => {
            let msg = e.to_string();
            let accepted_on_purpose = ["recursion limit exceeded", "number out of range", "lone leading surrogate", "unexpected end of hex escape"];
            if accepted_on_purpose.iter().any(|p| msg.starts_with(p)) {
                (Verdict::Unknown, None)
            } else {
                (Verdict::Bad, None)
            }
        }
    }
}

/// `tool_use` items of an assistant line's `message.content`, as `Value` sees them.
fn tool_uses(v: &Value) -> usize {
    let Some(Value::Array(items)) = v.get("message").and_then(|m| m.get("content")) else { return 0 };
    items.iter().filter(|i| matches!(i.get("type"), Some(Value::String(t)) if t == "tool_use")).count()
}

fn check(data: &[u8]) {
    let out = scan_bytes("fuzz", data, Needs::ALL);
    let s = out.summary.as_ref().expect("summary was asked for");

    // --- Lines, split independently.
    let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut physical: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    if physical.last().is_some_and(|l| l.is_empty()) {
        physical.pop();
    }
    let lines: Vec<Line> = physical
        .iter()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, trim(l)))
        .filter(|(_, l)| !l.is_empty())
        .map(|(number, text)| {
            let (verdict, value) = judge(text);
            Line { number, verdict, value }
        })
        .collect();
    assert_eq!(s.lines, lines.len() as i64, "non-blank lines");
    assert!((0..=s.lines).contains(&s.malformed_lines));
    let count = |f: &dyn Fn(Verdict) -> bool| lines.iter().filter(|l| f(l.verdict)).count() as i64;
    let bad = count(&|v| v == Verdict::Bad);
    let unknown = count(&|v| v == Verdict::Unknown);
    let good = count(&|v| matches!(v, Verdict::Good(_)));
    assert!(s.malformed_lines >= bad && s.malformed_lines <= bad + unknown, "malformed {} vs bad {bad} unknown {unknown}", s.malformed_lines);
    assert!(s.lines - s.malformed_lines >= good);
    let users = count(&|v| v == Verdict::Good(Kind::User));
    let assistants = count(&|v| v == Verdict::Good(Kind::Assistant));
    assert!(s.user_messages >= users && s.user_messages <= users + unknown);
    assert!(s.assistant_messages >= assistants && s.assistant_messages <= assistants + unknown);

    // --- Events.
    let ev: Vec<_> = out.views().collect();
    let typed = |t: EventType| ev.iter().filter(|e| e.event_type == t).count() as i64;
    assert_eq!(s.tool_calls, typed(EventType::ToolUse));
    assert_eq!(s.subagent_dispatches, typed(EventType::Subagent));
    assert_eq!(s.mcp_calls, typed(EventType::McpCall));
    assert_eq!(s.slash_commands, typed(EventType::SlashCommand));
    assert_eq!(s.tool_calls + s.subagent_dispatches + s.mcp_calls + s.slash_commands, ev.len() as i64);
    assert!(s.tool_errors <= ev.len() as i64 && s.tool_errors >= 0);
    assert!(s.skill_invocations <= s.tool_calls);
    assert!(s.distinct_skills <= s.skill_invocations && s.distinct_tools <= ev.len() as i64);
    assert!(ev.windows(2).all(|w| w[0].line_number <= w[1].line_number), "events in line order");
    for e in &ev {
        let line = lines.iter().find(|l| l.number == e.line_number).expect("an event's line is a non-blank line");
        assert_ne!(line.verdict, Verdict::Bad, "event from a malformed line {}", e.line_number);
        match line.verdict {
            Verdict::Good(Kind::User) => assert_eq!(e.event_type, EventType::SlashCommand),
            Verdict::Good(Kind::Assistant) => assert_ne!(e.event_type, EventType::SlashCommand),
            Verdict::Good(Kind::Other) => panic!("event from a line that is neither user nor assistant"),
            _ => {}
        }
        assert!(!e.is_error || e.tool_id.is_some(), "is_error without a tool id");
        assert!(e.event_type != EventType::SlashCommand || (e.command_name.is_some() && e.tool_id.is_none()));
        let id = e.id(&out.session_id);
        assert!(id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()));
        match (e.occurred_at, s.started_at, s.ended_at) {
            (Some(t), Some(lo), Some(hi)) => assert!(lo <= t && t <= hi, "event time outside the session"),
            (None, None, None) => {}
            other => panic!("event time and session range disagree: {other:?}"),
        }
    }
    for l in &lines {
        if let (Verdict::Good(Kind::Assistant), Some(v)) = (l.verdict, &l.value) {
            let n = ev.iter().filter(|e| e.line_number == l.number).count();
            assert_eq!(n, tool_uses(v), "events of assistant line {}", l.number);
        }
    }
    match (s.started_at, s.ended_at) {
        (Some(lo), Some(hi)) => {
            assert!(lo <= hi);
            assert_eq!(s.wall_seconds, (hi - lo) / 1_000_000);
            assert!(s.active_seconds >= 0 && s.active_seconds <= s.wall_seconds + 1);
        }
        (None, None) => assert_eq!((s.wall_seconds, s.active_seconds), (0, 0)),
        other => panic!("half a time range: {other:?}"),
    }
    assert!(!out.session_id.is_empty());

    // --- The same answers whatever is asked for.
    let summary_only = scan_bytes("fuzz", data, Needs::SUMMARY);
    assert_eq!(summary_only.summary.as_ref(), Some(s));
    assert!(summary_only.events.is_empty());
    assert_eq!(summary_only.session_id, out.session_id);
    // Any set of summary parts (a projection of session_summary): exactly those parts.
    let parts = Parts::from_bits(data.iter().fold(0u16, |h, &b| h.rotate_left(3) ^ u16::from(b)));
    let some_parts = scan_bytes("fuzz", data, Needs::summary(parts));
    assert_eq!(some_parts.summary, Some(parts.mask(s)), "parts {parts:?}");
    // Any set of fields (a projection): the same rows, each with exactly those fields.
    let fields = Fields::from_bits(data.iter().fold(0u16, |h, &b| h.rotate_left(5) ^ u16::from(b)));
    let events_only = scan_bytes("fuzz", data, Needs::events(fields));
    assert!(events_only.summary.is_none());
    assert_eq!(events_only.events.len(), ev.len());
    for (a, b) in events_only.views().zip(ev.iter().copied()) {
        assert_eq!(a, fields.mask(b), "fields {fields:?}");
    }

    // --- The same answers whatever the reads return.
    let streamed = stream(data);
    assert_eq!(streamed.summary.as_ref(), Some(s));
    assert!(streamed.views().eq(ev.iter().copied()));
}

/// Reads through `for_each_line` in short, uneven reads.
fn stream(data: &[u8]) -> SessionOutput {
    struct Uneven<'a> {
        data: &'a [u8],
        step: usize,
    }
    impl Read for Uneven<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.step = self.step * 7 % 13 + 1;
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }
    let mut scanner = SessionScanner::new("fuzz", Needs::ALL);
    for_each_line(Uneven { data, step: data.len() % 13 }, |n, l| scanner.push_line(n, l)).expect("in memory");
    scanner.finish()
}
