//! The benchmark floor: the least work any reader of transcripts must do.
//!
//!     floor [--threads N] [--utf8] PATH...
//!
//! PATHs are `.jsonl` files or folders (walked recursively, following symbolic links, for
//! `*.jsonl`). Threads take whole files from an atomic queue; each file is read through a
//! buffered reader, split into lines, and every non-blank line is parsed with serde_json into
//! borrowed structs holding exactly the fields the extension reads (everything else is skipped
//! by serde). Nothing is computed from them except counts, printed at the end:
//! `files=.. bytes=.. lines=.. bad=.. tool_uses=.. hwm_kb=..` (hwm_kb: peak RSS, from /proc/self/status).
//!
//! `--utf8` validates each whole line as UTF-8 first and parses from `&str` (what the
//! extension does); the default parses from bytes, validating only the strings it keeps.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

#[allow(dead_code)]
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    uuid: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "parentUuid")]
    parent_uuid: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "sessionId")]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<bool>,
    #[serde(borrow, rename = "requestId")]
    request_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tool_use_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "toolUseId")]
    tool_use_id_camel: Option<Cow<'a, str>>,
    is_error: Option<bool>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    content: Content<'a>,
    usage: Option<Usage>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct Usage {
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    cache_read_input_tokens: Option<i64>,
    cache_creation_input_tokens: Option<i64>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct Item<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    input: Option<&'a RawValue>,
    #[serde(borrow)]
    tool_use_id: Option<Cow<'a, str>>,
    is_error: Option<bool>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
}

/// `message.content`: a string or a list of items.
#[allow(dead_code)]
#[derive(Default)]
enum Content<'a> {
    #[default]
    Absent,
    Text(Cow<'a, str>),
    Items(Vec<Item<'a>>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Content<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Item<'a>>()? {
                    items.push(item);
                }
                Ok(Content::Items(items))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Default, Clone, Copy)]
struct Counts {
    bytes: u64,
    lines: u64,
    bad: u64,
    tool_uses: u64,
}

fn parse_line(line: &[u8], utf8: bool, c: &mut Counts) {
    let parsed: Result<Line, ()> = if utf8 {
        match std::str::from_utf8(line) {
            Ok(s) => serde_json::from_str(s).map_err(|_| ()),
            Err(_) => Err(()),
        }
    } else {
        serde_json::from_slice(line).map_err(|_| ())
    };
    match parsed {
        Ok(l) => {
            if l.kind.as_deref() == Some("assistant") {
                if let Some(Message { content: Content::Items(items), .. }) = &l.message {
                    c.tool_uses += items.iter().filter(|i| i.kind.as_deref() == Some("tool_use")).count() as u64;
                }
            }
        }
        Err(()) => c.bad += 1,
    }
}

fn read_file(path: &Path, utf8: bool, c: &mut Counts, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let mut r = BufReader::with_capacity(256 * 1024, File::open(path)?);
    loop {
        buf.clear();
        let n = r.read_until(b'\n', buf)?;
        if n == 0 {
            return Ok(());
        }
        c.bytes += n as u64;
        let line = buf.trim_ascii();
        if line.is_empty() {
            continue;
        }
        c.lines += 1;
        parse_line(line, utf8, c);
    }
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
                Err(_) => return,
            };
            entries.sort();
            for e in entries {
                let is_dir = std::fs::metadata(&e).map(|m| m.is_dir()).unwrap_or(false);
                if is_dir || e.extension().is_some_and(|x| x == "jsonl") {
                    collect(&e, out);
                }
            }
        }
        Ok(_) => out.push(path.to_owned()),
        Err(e) => eprintln!("floor: {}: {e}", path.display()),
    }
}

fn main() {
    let mut threads = 1usize;
    let mut utf8 = false;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().and_then(|v| v.parse().ok()).expect("--threads N"),
            "--utf8" => utf8 = true,
            "-h" | "--help" => {
                println!("usage: floor [--threads N] [--utf8] PATH...");
                return;
            }
            _ => collect(Path::new(&a), &mut files),
        }
    }
    let next = AtomicUsize::new(0);
    let totals: Vec<Counts> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut c = Counts::default();
                    let mut buf = Vec::with_capacity(1 << 20);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        if let Err(e) = read_file(path, utf8, &mut c, &mut buf) {
                            eprintln!("floor: {}: {e}", path.display());
                        }
                    }
                    c
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("worker")).collect()
    });
    let mut t = Counts::default();
    for c in totals {
        t.bytes += c.bytes;
        t.lines += c.lines;
        t.bad += c.bad;
        t.tool_uses += c.tool_uses;
    }
    // Peak RSS of this process (VmHWM; ru_maxrss would include the parent's RSS at fork).
    let hwm_kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()))
        .unwrap_or(0);
    println!(
        "files={} bytes={} lines={} bad={} tool_uses={} hwm_kb={hwm_kb}",
        files.len(),
        t.bytes,
        t.lines,
        t.bad,
        t.tool_uses
    );
}
