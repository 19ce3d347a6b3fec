//! One session file, line by line: records in, events and a summary out.
//!
//! [`SessionScanner`] is fed the file's non-blank lines in order and keeps only what the
//! rules need across lines: the events found so far (their `is_error` and, before the
//! first valid timestamp, their time depend on later lines), the ids of failed tool uses,
//! and the summary's accumulators. [`SessionScanner::finish`] resolves the look-ahead and
//! returns the file's events and summary.

use foldhash::{HashMap, HashSet};

use super::event::{classify, slash_commands, user_texts, Classify, Event, EventType, EventView, Fields, Text, Texts};
use super::prices::PriceTable;
use super::record::{is_repairable, repair, Content, LineError, Message, Record, Usage};
use super::summary::{active_seconds, add_into, ModelCounter, Parts, Summary, Tokens, DEFAULT_GAP_SECONDS};
use super::timestamp::parse_timestamp;
use super::usage::{self, PackedFile, Rank, Request, RequestSet, Slot, Totals};

/// What the caller wants computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// Keep the events (for `read_claude_session`). Without it only their counts survive.
    pub events: bool,
    /// Which parts of each kept event are read (the projected columns): the rest is neither
    /// derived nor stored. Every event is kept whatever this holds: its row exists.
    pub fields: Fields,
    /// Accumulate the summary (for `session_summary`).
    pub summary: bool,
    /// Which parts of the summary are computed (the projected columns); the rest are zero.
    pub parts: Parts,
    /// Keep the API requests (for `read_claude_usage`): assistant lines with a usage object and
    /// the subagent messages embedded in `agent_progress` lines.
    pub requests: bool,
    /// With `requests`: keep every line as its own row instead of merging the lines of a
    /// request within the file (`dedup := false`).
    pub every_line: bool,
}

impl Needs {
    pub const ALL: Needs = Needs {
        events: true,
        fields: Fields::ALL,
        summary: true,
        parts: Parts::ALL,
        requests: true,
        every_line: false,
    };
    /// The whole summary alone.
    pub const SUMMARY: Needs = Needs::summary(Parts::ALL);

    /// The events with `fields`, no summary.
    pub const fn events(fields: Fields) -> Needs {
        Needs { events: true, fields, summary: false, parts: Parts::NONE, requests: false, every_line: false }
    }

    /// The summary with `parts`, no events.
    pub const fn summary(parts: Parts) -> Needs {
        Needs { events: false, fields: Fields::NONE, summary: true, parts, requests: false, every_line: false }
    }

    /// The requests alone, each line apart when `every_line`.
    pub const fn requests(every_line: bool) -> Needs {
        Needs { events: false, fields: Fields::NONE, summary: false, parts: Parts::NONE, requests: true, every_line }
    }

    /// Whether kept events carry `f`.
    fn keeps(&self, f: Fields) -> bool {
        self.events && self.fields.contains(f)
    }

    /// Whether the summary has `part`.
    fn sums(&self, part: Parts) -> bool {
        self.summary && self.parts.contains(part)
    }
}

/// What a scanner derives, decided once from its [`Needs`].
#[derive(Debug, Clone, Copy)]
struct Work {
    /// Parse timestamps (the summary's times, events' `occurred_at`).
    times: bool,
    /// Collect the ids of failed tool uses (the summary's errors, events' `is_error`).
    failures: bool,
    /// Collect the agents that tool results name (events' `spawned_agent_id`).
    spawned: bool,
    /// Keep each event's tool id: asked for, or needed at the end to resolve `is_error`.
    tool_ids: bool,
    /// Which names tool inputs are read for (a Skill's skill, a Task/Agent's subagent type).
    classify: Classify,
    /// Match user texts for slash commands (events' rows, the summary's count).
    slash_commands: bool,
    /// The summary's tallies of tool uses ([`Parts::TOOLS`], [`Parts::ERRORS`],
    /// [`Parts::SKILLS`]) and of slash commands.
    count: Counts,
    /// The summary's model counter and token sums.
    models: bool,
    tokens: bool,
    /// The summary's requests, merged by the keep rule (its `*_dedup` tokens and cost).
    requests_own: bool,
    /// The query's requests (`read_claude_usage`).
    requests: bool,
}

/// Which tallies of the summary are kept.
#[derive(Debug, Clone, Copy)]
struct Counts {
    tools: bool,
    errors: bool,
    skills: bool,
    slash_commands: bool,
}

impl Work {
    fn of(needs: &Needs) -> Work {
        let count = Counts {
            tools: needs.sums(Parts::TOOLS),
            errors: needs.sums(Parts::ERRORS),
            skills: needs.sums(Parts::SKILLS),
            slash_commands: needs.sums(Parts::SLASH_COMMANDS),
        };
        Work {
            times: needs.sums(Parts::TIMES) || needs.keeps(Fields::OCCURRED_AT) || needs.requests,
            failures: count.errors || needs.keeps(Fields::IS_ERROR),
            spawned: needs.keeps(Fields::SPAWNED_AGENT_ID),
            tool_ids: needs.keeps(Fields::TOOL_ID)
                || needs.keeps(Fields::IS_ERROR)
                || needs.keeps(Fields::SPAWNED_AGENT_ID),
            classify: Classify {
                skill: count.skills || needs.keeps(Fields::SKILL_NAME),
                subagent: needs.keeps(Fields::SUBAGENT_TYPE),
            },
            slash_commands: needs.events || count.slash_commands,
            count,
            models: needs.sums(Parts::MODEL),
            tokens: needs.sums(Parts::TOKENS),
            requests_own: needs.sums(Parts::TOKENS_DEDUP) || needs.sums(Parts::COST),
            requests: needs.requests,
        }
    }

    /// Whether tool uses are looked at for the summary at all.
    fn tallies_tools(&self) -> bool {
        self.count.tools || self.count.errors || self.count.skills
    }
}

/// The result of one file.
#[derive(Debug)]
pub struct SessionOutput {
    pub session_id: String,
    pub events: Vec<Event>,
    /// The strings of `events`.
    pub texts: Texts,
    pub summary: Option<Summary>,
    /// The API requests (when asked for), packed, with what the keep rule across files reads.
    pub requests: Option<PackedFile>,
}

impl SessionOutput {
    /// Event `i` with its strings.
    pub fn event(&self, i: usize) -> EventView<'_> {
        self.events[i].view(&self.texts)
    }

    /// Every event with its strings.
    pub fn views(&self) -> impl Iterator<Item = EventView<'_>> {
        self.events.iter().map(|e| e.view(&self.texts))
    }
}

/// Streaming state of one file; see the module documentation.
pub struct SessionScanner {
    needs: Needs,
    work: Work,
    stem: String,
    session_id: Option<String>,
    events: Vec<Event>,
    texts: Texts,
    /// What the summary needs of the events when they are not kept (`Needs::events` false):
    /// a few bytes per event instead of a whole `Event`, so one huge file stays small.
    tally: Tally,
    /// Time of the first and of the most recent line with a valid timestamp.
    first_time: Option<i64>,
    last_time: Option<i64>,
    /// Events found before the first valid timestamp: they take the first valid time at the
    /// end (or, for a later part of a split file, the previous part's last time).
    untimed_prefix: usize,
    failed_tools: HashSet<Box<str>>,
    /// Tool use id -> the agent its result names (`toolUseResult.agentId`, else `agentId: <id>`
    /// in the result's text); the first result of an id counts.
    spawned: HashMap<Box<str>, Box<str>>,
    // Strings stored once and shared: consecutive lines mostly have the same cwd and model,
    // and a file uses a few tool names many times.
    last_cwd: Option<Text>,
    last_model: Option<Text>,
    tool_names: Vec<Text>,
    // Summary accumulators.
    times: Vec<i64>,
    user_messages: i64,
    assistant_messages: i64,
    models: ModelCounter,
    tokens: Tokens,
    /// The file's own assistant lines with usage, merged by the keep rule (the summary's).
    own_requests: RequestSet,
    /// Every request of the file, progress copies included (`read_claude_usage`'s).
    requests: RequestSet,
    last_git_branch: Option<Text>,
    last_version: Option<Text>,
    lines: i64,
    malformed_lines: i64,
}

impl SessionScanner {
    /// `stem` is the file name without `.jsonl`, the session id when no line has one.
    pub fn new(stem: &str, needs: Needs) -> Self {
        SessionScanner {
            needs,
            work: Work::of(&needs),
            stem: stem.to_owned(),
            session_id: None,
            events: Vec::new(),
            texts: Texts::default(),
            tally: Tally::default(),
            first_time: None,
            last_time: None,
            untimed_prefix: 0,
            failed_tools: HashSet::default(),
            spawned: HashMap::default(),
            last_cwd: None,
            last_model: None,
            tool_names: Vec::new(),
            times: Vec::new(),
            user_messages: 0,
            assistant_messages: 0,
            models: ModelCounter::default(),
            tokens: [0; 4],
            own_requests: RequestSet::new(false),
            requests: RequestSet::new(needs.every_line),
            last_git_branch: None,
            last_version: None,
            lines: 0,
            malformed_lines: 0,
        }
    }

    /// Feeds one non-blank, trimmed line.
    pub fn push_line(&mut self, line_number: u64, line: &[u8]) {
        self.lines += 1;
        match Record::parse(line) {
            Ok(rec) => self.push_record(line_number, &rec),
            // Valid JSON that serde_json refuses to read into a field (a lone surrogate
            // escape, a number beyond f64): read a repaired copy instead.
            Err(LineError::Syntax(e)) if is_repairable(&e) => {
                match repair(line).as_deref().map(|fixed| Record::parse(fixed.as_bytes())) {
                    Some(Ok(rec)) => self.push_record(line_number, &rec),
                    _ => self.malformed_lines += 1,
                }
            }
            Err(_) => self.malformed_lines += 1,
        }
    }

    /// Feeds one parsed line.
    pub fn push_record(&mut self, line_number: u64, rec: &Record<'_>) {
        let time = if self.work.times { rec.timestamp.as_deref().and_then(parse_timestamp) } else { None };
        if let Some(t) = time {
            if self.first_time.is_none() {
                self.first_time = Some(t);
                self.untimed_prefix = self.events.len();
            }
            self.last_time = Some(t);
            if self.needs.sums(Parts::TIMES) {
                self.times.push(t);
            }
        }
        if self.session_id.is_none() {
            if let Some(sid) = rec.session_id.as_deref().filter(|s| !s.is_empty()) {
                self.session_id = Some(sid.to_owned());
            }
        }
        if self.work.failures {
            self.collect_failures(rec);
        }
        if self.work.spawned {
            self.collect_spawned(rec);
        }

        let kind = rec.kind.as_deref().unwrap_or("");
        match kind {
            "assistant" => {
                self.assistant_messages += 1;
                if self.work.models || self.work.tokens || self.work.requests_own || self.work.requests {
                    self.count_assistant(line_number, rec);
                }
                if self.needs.events || self.work.tallies_tools() {
                    self.tool_events(line_number, rec);
                }
            }
            "user" => {
                self.user_messages += 1;
                if self.work.slash_commands {
                    self.command_events(line_number, rec);
                }
            }
            "progress" if self.work.requests => self.progress_request(line_number, rec),
            // Every other type ("progress", "system", "summary", ...) gives no events.
            _ => {}
        }
    }

    /// A request of a running subagent embedded in an `agent_progress` line: the agent's, on a
    /// sidechain, at the embedded line's own time when it has a valid one.
    fn progress_request(&mut self, line_number: u64, rec: &Record<'_>) {
        let Some(progress) = rec.progress.as_deref().filter(|p| p.kind.as_deref() == Some("agent_progress")) else {
            return;
        };
        let Some(line) = progress.message.as_ref() else { return };
        let Some(msg) = line.message.as_ref().filter(|m| m.usage.is_some()) else { return };
        let time = line.timestamp.as_deref().and_then(parse_timestamp).or(self.last_time);
        let agent = progress.agent_id.as_deref();
        self.count_request(false, line_number, rec, msg, line.request_id.as_deref(), time, Some(true), agent);
    }

    /// Counts the request of `msg` (which has a usage object) into the file's own requests
    /// (the summary's: `own`) or the query's. A line that is not kept over the row of its
    /// request already there stores nothing; `own` rows store only the strings the keep rule
    /// and the price read.
    #[allow(clippy::too_many_arguments)]
    fn count_request(
        &mut self,
        own: bool,
        line_number: u64,
        rec: &Record<'_>,
        msg: &Message<'_>,
        request_id: Option<&str>,
        occurred_at: Option<i64>,
        is_sidechain: Option<bool>,
        agent_id: Option<&str>,
    ) {
        let usage = msg.usage.as_ref().expect("requests have a usage object");
        let counts = usage::Counts::of(usage);
        let rank = Rank::new(is_sidechain, &counts, usage.speed.is_some());
        let SessionScanner {
            texts, own_requests, requests, last_model, last_cwd, last_git_branch, last_version, ..
        } = self;
        let set = if own { own_requests } else { requests };
        let key = msg.id.as_deref().filter(|s| !s.is_empty()).map(|id| (id, request_id));
        let slot = set.slot(texts, key);
        if let Slot::Existing(i) = slot {
            if rank <= set.rank_of(i) {
                set.count_line(i);
                return;
            }
        }
        let mut r = Request {
            line_number,
            occurred_at,
            agent_id: None,
            message_id: key.map(|(id, _)| texts.push(id)),
            request_id: request_id.map(|s| texts.push(s)),
            model: reuse_last(texts, last_model, msg.model.as_deref()),
            speed: usage.speed.as_deref().map(|s| texts.push(s)),
            service_tier: None,
            cwd: None,
            git_branch: None,
            version: None,
            is_sidechain,
            counts,
            lines: 1,
        };
        if !own {
            r.agent_id = agent_id.map(|s| texts.push(s));
            r.service_tier = usage.service_tier.as_deref().map(|s| texts.push(s));
            r.cwd = reuse_last(texts, last_cwd, rec.cwd.as_deref());
            r.git_branch = reuse_last(texts, last_git_branch, rec.git_branch.as_deref());
            r.version = reuse_last(texts, last_version, rec.version.as_deref());
        }
        set.fill(texts, slot, r);
    }

    /// Tool uses whose result says `is_error: true`: top-level `tool_use_result` lines and
    /// `tool_result` items of any line's message.
    fn collect_failures(&mut self, rec: &Record<'_>) {
        if rec.kind.as_deref() == Some("tool_use_result") && rec.is_error {
            let id = [&rec.tool_use_id, &rec.tool_use_id_camel]
                .into_iter()
                .find_map(|s| s.as_deref().filter(|s| !s.is_empty()));
            if let Some(id) = id {
                self.failed_tools.insert(id.into());
            }
        }
        if let Some(Content::Items(items)) = rec.message.as_ref().map(|m| &m.content) {
            for item in items {
                if item.is_error && item.kind.as_deref() == Some("tool_result") {
                    if let Some(id) = item.tool_use_id.as_deref().filter(|s| !s.is_empty()) {
                        if !self.failed_tools.contains(id) {
                            self.failed_tools.insert(id.into());
                        }
                    }
                }
            }
        }
    }

    /// The agents that tool results name: the line's `toolUseResult.agentId` for its
    /// `tool_result` items, else an `agentId: <id>` in an item's output.
    fn collect_spawned(&mut self, rec: &Record<'_>) {
        let Some(Content::Items(items)) = rec.message.as_ref().map(|m| &m.content) else { return };
        for item in items.iter().filter(|i| i.kind.as_deref() == Some("tool_result")) {
            let Some(id) = item.tool_use_id.as_deref().filter(|s| !s.is_empty()) else { continue };
            if self.spawned.contains_key(id) {
                continue;
            }
            let agent = rec
                .result_agent_id
                .as_deref()
                .filter(|s| !s.is_empty())
                .or_else(|| item.content.and_then(agent_in_text));
            if let Some(agent) = agent {
                self.spawned.insert(id.into(), agent.into());
            }
        }
    }

    fn count_assistant(&mut self, line_number: u64, rec: &Record<'_>) {
        let Some(msg) = rec.message.as_ref() else { return };
        if self.work.models {
            if let Some(model) = msg.model.as_deref().filter(|m| !m.is_empty()) {
                self.models.add(model);
            }
        }
        let Some(usage) = msg.usage.as_ref() else { return };
        if self.work.tokens {
            add_into(&mut self.tokens, &usage_values(usage));
        }
        let (request_id, time) = (rec.request_id.as_deref(), self.last_time);
        if self.work.requests_own {
            self.count_request(true, line_number, rec, msg, request_id, time, rec.is_sidechain, None);
        }
        if self.work.requests {
            let agent = rec.agent_id.as_deref();
            self.count_request(false, line_number, rec, msg, request_id, time, rec.is_sidechain, agent);
        }
    }

    fn cwd(&mut self, rec: &Record<'_>) -> Option<Text> {
        reuse_last(&mut self.texts, &mut self.last_cwd, rec.cwd.as_deref())
    }

    /// A tool name, stored once per file (up to [`MAX_TOOL_NAMES`] names).
    fn tool_name(&mut self, name: &str) -> Text {
        let texts = &self.texts;
        if let Some(&t) = self.tool_names.iter().find(|&&t| texts.get(t) == name) {
            return t;
        }
        let t = self.texts.push(name);
        if self.tool_names.len() < MAX_TOOL_NAMES {
            self.tool_names.push(t);
        }
        t
    }

    fn tool_events(&mut self, line_number: u64, rec: &Record<'_>) {
        let Some(msg) = rec.message.as_ref() else { return };
        let Content::Items(items) = &msg.content else { return };
        let work = self.work;
        let keeps = |f| self.needs.keeps(f);
        let (keep_name, keep_skill, keep_input) =
            (keeps(Fields::TOOL_NAME), keeps(Fields::SKILL_NAME), keeps(Fields::TOOL_INPUT));
        let mut line_fields: Option<LineFields> = None;
        for item in items.iter().filter(|i| i.kind.as_deref() == Some("tool_use")) {
            let name = item.name.as_deref().unwrap_or("");
            let class = classify(name, item, work.classify);
            let tool_id = item.id.as_deref().filter(|s| !s.is_empty());
            if work.tallies_tools() {
                let tool = Some(name).filter(|n| !n.is_empty());
                self.tally.add(&work.count, class.event_type, tool_id, tool, class.skill_name.as_deref());
            }
            if !self.needs.events {
                continue;
            }
            let fields = match line_fields {
                Some(f) => f,
                None => {
                    let f = self.line_fields(rec, msg.model.as_deref());
                    line_fields = Some(f);
                    f
                }
            };
            let tool_name = (keep_name && !name.is_empty()).then(|| self.tool_name(name));
            let texts = &mut self.texts;
            let skill_name = if keep_skill { class.skill_name.map(|s| texts.push(&s)) } else { None };
            self.events.push(Event {
                line_number,
                event_uuid: fields.uuid,
                parent_uuid: fields.parent,
                tool_id: if work.tool_ids { tool_id.map(|s| texts.push(s)) } else { None },
                event_type: class.event_type,
                tool_name,
                skill_name,
                subagent_type: class.subagent_type.map(|s| texts.push(&s)),
                command_name: None,
                is_error: false,
                model: fields.model,
                cwd: fields.cwd,
                occurred_at: fields.occurred_at,
                is_sidechain: fields.is_sidechain,
                tool_input: if keep_input { item.input.map(|s| texts.push(s)) } else { None },
                agent_id: fields.agent_id,
                spawned_agent_id: None,
            });
        }
    }

    /// What the line's events share, those parts asked for (the model only for tool uses).
    fn line_fields(&mut self, rec: &Record<'_>, model: Option<&str>) -> LineFields {
        let needs = self.needs;
        let texts = &mut self.texts;
        let mut keep = |f, v: Option<&str>| if needs.keeps(f) { v.map(|s| texts.push(s)) } else { None };
        let uuid = keep(Fields::EVENT_UUID, rec.uuid.as_deref());
        let agent_id = keep(Fields::AGENT_ID, rec.agent_id.as_deref());
        let parent = keep(Fields::PARENT_UUID, rec.parent_uuid.as_deref());
        let cwd = if needs.keeps(Fields::CWD) { self.cwd(rec) } else { None };
        let model =
            if needs.keeps(Fields::MODEL) { reuse_last(&mut self.texts, &mut self.last_model, model) } else { None };
        LineFields {
            uuid,
            agent_id,
            parent,
            cwd,
            model,
            is_sidechain: rec.is_sidechain.filter(|_| needs.keeps(Fields::IS_SIDECHAIN)),
            occurred_at: self.last_time.filter(|_| needs.keeps(Fields::OCCURRED_AT)),
        }
    }

    fn command_events(&mut self, line_number: u64, rec: &Record<'_>) {
        // Names are kept only when asked for; otherwise, and for the summary, only counted.
        let keep_names = self.needs.keeps(Fields::COMMAND_NAME);
        let mut count = 0;
        let mut names: Vec<Text> = Vec::new();
        let texts = &mut self.texts;
        for text in user_texts(rec) {
            slash_commands(&text, |n| {
                count += 1;
                if keep_names {
                    names.push(texts.push(n));
                }
            });
        }
        if self.work.count.slash_commands {
            self.tally.by_type[EventType::SlashCommand as usize] += count;
        }
        if count == 0 || !self.needs.events {
            return;
        }
        let fields = self.line_fields(rec, None);
        let mut names = names.into_iter();
        for _ in 0..count {
            let command_name = names.next();
            self.events.push(Event {
                line_number,
                event_uuid: fields.uuid,
                parent_uuid: fields.parent,
                tool_id: None,
                event_type: EventType::SlashCommand,
                tool_name: None,
                skill_name: None,
                subagent_type: None,
                command_name,
                is_error: false,
                model: None,
                cwd: fields.cwd,
                occurred_at: fields.occurred_at,
                is_sidechain: fields.is_sidechain,
                tool_input: None,
                agent_id: fields.agent_id,
                spawned_agent_id: None,
            });
        }
    }

    /// Events without a time of their own so far (before the first valid timestamp).
    fn untimed(&self) -> usize {
        if self.first_time.is_some() {
            self.untimed_prefix
        } else {
            self.events.len()
        }
    }

    /// Makes room for the events and strings of `later` parts of the same file, so that
    /// appending them ([`SessionScanner::append`]) grows nothing by doubling.
    pub fn reserve_for<'a>(&mut self, later: impl Iterator<Item = &'a SessionScanner>) {
        let (mut events, mut texts) = (0, 0);
        for next in later {
            events += next.events.len();
            texts += next.texts.len();
        }
        self.events.reserve_exact(events);
        self.texts.reserve_exact(texts);
    }

    /// Appends the scanner of the next part of the same file (see [`super::lines::Range`]);
    /// `lines_before` is the number of physical lines before that part.
    pub fn append(&mut self, mut next: SessionScanner, lines_before: u64) {
        let next_untimed = next.untimed();
        let by = self.texts.append(&next.texts);
        // Requests before the next part's first valid time take this part's last one.
        next.requests.date_untimed(self.last_time);
        self.requests.append(&self.texts, std::mem::take(&mut next.requests), by, lines_before);
        self.own_requests.append(&self.texts, std::mem::take(&mut next.own_requests), by, lines_before);
        for (i, e) in next.events.iter_mut().enumerate() {
            e.line_number += lines_before;
            e.shift(by);
            if i < next_untimed && self.last_time.is_some() && self.needs.keeps(Fields::OCCURRED_AT) {
                e.occurred_at = self.last_time;
            }
        }
        if self.first_time.is_none() {
            self.untimed_prefix = self.events.len() + next_untimed;
        }
        self.first_time = self.first_time.or(next.first_time);
        self.last_time = next.last_time.or(self.last_time);
        self.events.append(&mut next.events);
        self.tally.merge(next.tally);
        if self.session_id.is_none() {
            self.session_id = next.session_id;
        }
        self.failed_tools.extend(next.failed_tools);
        for (id, agent) in next.spawned {
            self.spawned.entry(id).or_insert(agent);
        }
        self.times.append(&mut next.times);
        self.user_messages += next.user_messages;
        self.assistant_messages += next.assistant_messages;
        self.models.merge(&next.models);
        add_into(&mut self.tokens, &next.tokens);
        self.lines += next.lines;
        self.malformed_lines += next.malformed_lines;
    }

    /// Resolves what needed the whole file and returns its events, summary and requests, the
    /// summary's cost by the built-in prices.
    pub fn finish(self) -> SessionOutput {
        self.finish_with(PriceTable::builtin())
    }

    /// [`SessionScanner::finish`] with the summary's requests priced by `prices`.
    pub fn finish_with(mut self, prices: &PriceTable) -> SessionOutput {
        self.requests.date_untimed(self.first_time);
        if let Some(t) = self.first_time.filter(|_| self.needs.keeps(Fields::OCCURRED_AT)) {
            // The first valid time of the file also dates the events before it.
            for e in &mut self.events[..self.untimed_prefix] {
                e.occurred_at = Some(t);
            }
        }
        let session_id = self.session_id.take().unwrap_or_else(|| self.stem.clone());
        if self.needs.keeps(Fields::IS_ERROR) && !self.failed_tools.is_empty() {
            for e in &mut self.events {
                if let Some(id) = e.tool_id {
                    e.is_error = self.failed_tools.contains(self.texts.get(id));
                }
            }
        }
        if self.work.spawned && !self.spawned.is_empty() {
            for e in self.events.iter_mut().filter(|e| e.event_type == EventType::Subagent) {
                let agent = e.tool_id.and_then(|id| self.spawned.get(self.texts.get(id)));
                e.spawned_agent_id = agent.map(|a| self.texts.push(a));
            }
        }
        if self.work.tool_ids && !self.needs.keeps(Fields::TOOL_ID) {
            // Kept only to resolve `is_error`.
            for e in &mut self.events {
                e.tool_id = None;
            }
        }
        let summary = self.needs.summary.then(|| self.summary(&session_id, prices));
        // Packed here, by the thread that read the file (a scan's reader threads work in parallel).
        let requests = self.needs.requests.then(|| PackedFile::pack(&self.requests, &self.texts));
        SessionOutput { session_id, events: self.events, texts: self.texts, summary, requests }
    }

    fn summary(&mut self, session_id: &str, prices: &PriceTable) -> Summary {
        let mut s = Summary {
            session_id: session_id.to_owned(),
            user_messages: self.user_messages,
            assistant_messages: self.assistant_messages,
            primary_model: self.models.primary().map(str::to_owned),
            tokens: self.tokens,
            lines: self.lines,
            malformed_lines: self.malformed_lines,
            ..Summary::default()
        };
        if let (Some(&lo), Some(&hi)) = (self.times.iter().min(), self.times.iter().max()) {
            s.started_at = Some(lo);
            s.ended_at = Some(hi);
            s.wall_seconds = (hi - lo) / 1_000_000;
        }
        s.active_seconds = active_seconds(&mut self.times, DEFAULT_GAP_SECONDS);
        if self.work.requests_own {
            let totals = Totals::of(&self.own_requests, &self.texts, prices);
            let c = totals.counts;
            if self.needs.parts.contains(Parts::TOKENS_DEDUP) {
                s.tokens_dedup = [c.input, c.output, c.cache_read, c.cache_creation];
            }
            if self.needs.parts.contains(Parts::COST) {
                (s.cost_usd, s.unpriced_tokens) = (totals.cost_usd, totals.unpriced_tokens);
            }
        }
        self.tally.fill(&mut s, &self.failed_tools);
        s
    }
}

/// Event counts for the summary without the events themselves.
#[derive(Debug, Default)]
struct Tally {
    /// tool_use, subagent, mcp_call, slash_command.
    by_type: [i64; 4],
    skill_invocations: i64,
    tools: HashSet<Box<str>>,
    skills: HashSet<Box<str>>,
    /// Events per tool id, to count the failed ones once the whole file is known.
    tool_ids: HashMap<Box<str>, i64>,
}

impl Tally {
    /// Counts one tool use, in the tallies that `count` keeps.
    fn add(&mut self, count: &Counts, kind: EventType, tool_id: Option<&str>, tool: Option<&str>, skill: Option<&str>) {
        if count.tools {
            self.by_type[kind as usize] += 1;
            if let Some(tool) = tool {
                if !self.tools.contains(tool) {
                    self.tools.insert(tool.into());
                }
            }
        }
        if let (true, Some(id)) = (count.errors, tool_id) {
            // Tool ids are nearly unique: one lookup, which mostly inserts.
            *self.tool_ids.entry(id.into()).or_insert(0) += 1;
        }
        if let (true, Some(skill)) = (count.skills, skill) {
            self.skill_invocations += 1;
            if !self.skills.contains(skill) {
                self.skills.insert(skill.into());
            }
        }
    }

    fn merge(&mut self, later: Tally) {
        add_into(&mut self.by_type, &later.by_type);
        self.skill_invocations += later.skill_invocations;
        self.tools.extend(later.tools);
        self.skills.extend(later.skills);
        for (id, n) in later.tool_ids {
            *self.tool_ids.entry(id).or_insert(0) += n;
        }
    }

    /// Writes the counts into `s`; `failed` are the tool ids whose results were errors.
    fn fill(&self, s: &mut Summary, failed: &HashSet<Box<str>>) {
        [s.tool_calls, s.subagent_dispatches, s.mcp_calls, s.slash_commands] = self.by_type;
        s.skill_invocations = self.skill_invocations;
        s.distinct_tools = self.tools.len() as i64;
        s.distinct_skills = self.skills.len() as i64;
        s.tool_errors += failed.iter().filter_map(|id| self.tool_ids.get(id)).sum::<i64>();
    }
}

/// Per-line values shared by the line's events.
#[derive(Clone, Copy)]
struct LineFields {
    uuid: Option<Text>,
    parent: Option<Text>,
    cwd: Option<Text>,
    model: Option<Text>,
    is_sidechain: Option<bool>,
    occurred_at: Option<i64>,
    agent_id: Option<Text>,
}

/// The agent id after `agentId: ` in a tool result's raw JSON output (Claude Code ends a
/// Task/Agent result's text with it): letters, digits, `_` and `-`.
fn agent_in_text(raw: &str) -> Option<&str> {
    const MARK: &str = "agentId: ";
    let at = memchr::memmem::find(raw.as_bytes(), MARK.as_bytes())? + MARK.len();
    let rest = &raw[at..];
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// Distinct tool names a scanner remembers; later ones are stored per event.
const MAX_TOOL_NAMES: usize = 64;

/// Stores `value`, or reuses `last` when it holds the same text.
fn reuse_last(texts: &mut Texts, last: &mut Option<Text>, value: Option<&str>) -> Option<Text> {
    let value = value?;
    match *last {
        Some(prev) if texts.get(prev) == value => Some(prev),
        _ => {
            *last = Some(texts.push(value));
            *last
        }
    }
}

/// The four counters of a usage object; an absent counter is 0.
fn usage_values(u: &Usage<'_>) -> Tokens {
    [
        u.input_tokens.unwrap_or(0),
        u.output_tokens.unwrap_or(0),
        u.cache_read_input_tokens.unwrap_or(0),
        u.cache_creation_input_tokens.unwrap_or(0),
    ]
}

/// Reads a whole session from bytes (used by tests and the fuzz target).
pub fn scan_bytes(stem: &str, data: &[u8], needs: Needs) -> SessionOutput {
    let mut scanner = SessionScanner::new(stem, needs);
    super::lines::for_each_line(data, |n, line| scanner.push_line(n, line)).expect("reading from memory cannot fail");
    scanner.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(data: &str) -> SessionOutput {
        scan_bytes("stem", data.as_bytes(), Needs::ALL)
    }

    const T0: i64 = 1_778_598_000_000_000; // 2026-05-12T15:00:00Z

    #[test]
    fn error_results_before_and_after_their_tool_use() {
        let out = scan(concat!(
            r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1","is_error":true}]}}"#,
            "\n",
            r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"Bash"},{"type":"tool_use","id":"t2","name":"Read"},{"type":"tool_use","id":"t3","name":"Edit"}]}}"#,
            "\n",
            r#"{"type":"tool_use_result","toolUseId":"t2","is_error":true}"#,
            "\n",
            r#"{"type":"progress","message":{"content":[{"type":"tool_result","tool_use_id":"t3","is_error":false}]}}"#,
        ));
        let errs: Vec<bool> = out.events.iter().map(|e| e.is_error).collect();
        assert_eq!(errs, vec![true, true, false]);
        assert_eq!(out.summary.unwrap().tool_errors, 2);
    }

    #[test]
    fn times_fall_back_to_the_last_valid_then_the_first_valid() {
        let out = scan(concat!(
            r#"{"type":"user","message":{"content":"/a"}}"#,
            "\n",
            r#"{"type":"system","timestamp":"2026-05-12T15:00:00Z"}"#,
            "\n",
            r#"{"type":"user","timestamp":"garbage","message":{"content":"/b"}}"#,
            "\n",
            r#"{"type":"user","timestamp":"2026-05-12T17:00:00+02:00","message":{"content":"/c"}}"#,
        ));
        let times: Vec<Option<i64>> = out.events.iter().map(|e| e.occurred_at).collect();
        assert_eq!(times, vec![Some(T0), Some(T0), Some(T0)]);
        let s = out.summary.unwrap();
        assert_eq!((s.started_at, s.ended_at, s.wall_seconds), (Some(T0), Some(T0), 0));
    }

    #[test]
    fn no_valid_time_at_all_is_null() {
        let out = scan(r#"{"type":"user","message":{"content":"/a"}}"#);
        assert_eq!(out.events[0].occurred_at, None);
        assert_eq!(out.session_id, "stem");
    }

    #[test]
    fn dedup_takes_the_largest_per_message_and_request() {
        let line = |id: &str, req: &str, out: i64| {
            format!(
                r#"{{"type":"assistant","requestId":{req},"message":{{"id":{id},"model":"m","usage":{{"input_tokens":1,"output_tokens":{out}}}}}}}"#
            )
        };
        let data = [
            line("\"m1\"", "\"r1\"", 5),
            line("\"m1\"", "\"r1\"", 9),
            line("\"m1\"", "\"r1\"", 7),
            line("\"m1\"", "null", 2),
            line("null", "\"r1\"", 3),
            line("\"\"", "\"r1\"", 4),
        ]
        .join("\n");
        let s = scan(&data).summary.unwrap();
        assert_eq!(s.tokens, [6, 30, 0, 0]);
        assert_eq!(s.tokens_dedup, [4, 9 + 2 + 3 + 4, 0, 0]);
        assert_eq!(s.assistant_messages, 6);
        assert_eq!(s.primary_model.as_deref(), Some("m"));
    }

    /// A file split into parts at any two line boundaries and re-assembled with `append`
    /// gives exactly what one scanner gives.
    #[test]
    fn split_scans_equal_whole_scans() {
        let lines = [
            r#"{"type":"user","message":{"content":"/early"}}"#,
            r#"{"type":"assistant","message":{"id":"m1","model":"a","content":[{"type":"tool_use","id":"t1","name":"Bash"}],"usage":{"output_tokens":3}}}"#,
            r#"{"type":"system","sessionId":"s9","timestamp":"2026-05-12T15:00:00Z"}"#,
            "garbage",
            r#"{"type":"assistant","requestId":"r","message":{"id":"m1","model":"b","content":[{"type":"tool_use","id":"t2","name":"Skill","input":{"skill":"x"}}],"usage":{"output_tokens":5}}}"#,
            r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1","is_error":true}]}}"#,
            r#"{"type":"user","timestamp":"2026-05-12T16:00:00Z","message":{"content":"<command-name>/x</command-name>"}}"#,
            r#"{"type":"assistant","message":{"model":"b","content":[{"type":"tool_use","id":"t3","name":"mcp__a__b"}]}}"#,
        ];
        let whole = scan(&lines.join("\n"));
        for a in 0..=lines.len() {
            for b in a..=lines.len() {
                let mut parts = [&lines[..a], &lines[a..b], &lines[b..]].into_iter().map(|part| {
                    let mut sc = SessionScanner::new("stem", Needs::ALL);
                    for (i, l) in part.iter().enumerate() {
                        sc.push_line(i as u64 + 1, l.as_bytes());
                    }
                    (sc, part.len() as u64)
                });
                let (mut merged, mut seen) = parts.next().unwrap();
                for (sc, n) in parts {
                    merged.append(sc, seen);
                    seen += n;
                }
                let out = merged.finish();
                assert!(out.views().eq(whole.views()), "split at {a} {b}");
                assert_eq!(out.summary, whole.summary, "split at {a} {b}");
                assert_eq!(out.session_id, whole.session_id);
            }
        }
    }

    /// The summary is the same whether the events are kept or only tallied.
    #[test]
    fn tallied_summary_equals_the_summary_of_kept_events() {
        let data = concat!(
            r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"Bash"},{"type":"tool_use","id":"t1","name":"Skill","input":{"skill":"x"}}]}}"#,
            "\n",
            r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t2","name":"Task"},{"type":"tool_use","name":"mcp__a__b"},{"type":"tool_use","id":"t3","name":"Skill","input":{"name":"x"}}]}}"#,
            "\n",
            r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1","is_error":true},{"type":"text","text":"/a <command-name>/b</command-name>"}]}}"#,
            "\n",
            r#"{"type":"tool_use_result","tool_use_id":"t3","is_error":true}"#,
        );
        let all = scan_bytes("s", data.as_bytes(), Needs::ALL);
        let kept = all.summary.unwrap();
        // The tally agrees with the events themselves.
        let count = |t: EventType| all.events.iter().filter(|e| e.event_type == t).count() as i64;
        let errors = all.events.iter().filter(|e| e.is_error).count() as i64;
        assert_eq!(
            (kept.subagent_dispatches, kept.mcp_calls, kept.slash_commands, kept.tool_errors),
            (count(EventType::Subagent), count(EventType::McpCall), count(EventType::SlashCommand), errors)
        );
        let only = Needs::SUMMARY;
        let tallied = scan_bytes("s", data.as_bytes(), only);
        assert!(tallied.events.is_empty());
        let tallied = tallied.summary.unwrap();
        assert_eq!(tallied, kept);
        assert_eq!((kept.tool_calls, kept.tool_errors, kept.skill_invocations, kept.distinct_skills), (3, 3, 2, 1));
        assert_eq!((kept.subagent_dispatches, kept.mcp_calls, kept.slash_commands, kept.distinct_tools), (1, 1, 2, 4));
    }

    /// A projection (any set of fields) gives the same rows, each with exactly the fields asked
    /// for, over every hand-made fixture; the summary does not depend on it.
    #[test]
    fn fields_asked_for_are_exactly_those_kept() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test/data");
        let dir = root.join("events");
        let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.extend(std::fs::read_dir(root.join("agents")).unwrap().map(|e| e.unwrap().path()));
        files.retain(|p| p.extension().is_some_and(|x| x == "jsonl"));
        files.sort();
        assert!(files.len() > 20, "fixtures in {dir:?}");
        let mut sets = vec![Fields::NONE, Fields::ALL, Fields::ID, Fields::TOOL_NAME | Fields::IS_ERROR];
        for f in Fields::EACH {
            sets.extend([f, f.complement()]);
        }
        let mut with_events = 0;
        for file in &files {
            let data = std::fs::read(file).unwrap();
            let full = scan_bytes("stem", &data, Needs::ALL);
            with_events += usize::from(!full.events.is_empty());
            for &fields in &sets {
                for summary in [false, true] {
                    let out = scan_bytes(
                        "stem",
                        &data,
                        Needs { events: true, fields, summary, parts: Parts::ALL, ..Needs::ALL },
                    );
                    let want: Vec<_> = full.views().map(|v| fields.mask(v)).collect();
                    assert_eq!(out.views().collect::<Vec<_>>(), want, "{file:?} {fields:?} summary {summary}");
                    assert_eq!(out.session_id, full.session_id);
                    assert_eq!(out.summary, summary.then(|| full.summary.clone().unwrap()));
                }
            }
            // Nothing asked for, nothing stored: the rows alone.
            assert!(scan_bytes("stem", &data, Needs::events(Fields::NONE)).texts.is_empty(), "{file:?}");
        }
        assert!(with_events > 20);
    }

    /// A summary with some of its parts (a projection of `session_summary`) equals the whole
    /// summary with the other parts cleared, over every hand-made fixture, with or without
    /// events; leaving parts out leaves work out.
    #[test]
    fn summary_parts_asked_for_are_exactly_those_computed() {
        let mut files = Vec::new();
        for dir in ["test/data/events", "test/data/summary"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            files.extend(std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()));
        }
        files.retain(|p| p.extension().is_some_and(|x| x == "jsonl"));
        files.sort();
        let mut sets = vec![Parts::NONE, Parts::ALL, Parts::TOKENS | Parts::TOKENS_DEDUP];
        for p in Parts::EACH {
            sets.extend([p, p.complement()]);
        }
        let mut nonzero = [0usize; 9];
        for file in &files {
            let data = std::fs::read(file).unwrap();
            let full = scan_bytes("stem", &data, Needs::SUMMARY).summary.unwrap();
            for (k, p) in Parts::EACH.into_iter().enumerate() {
                nonzero[k] += usize::from(p.mask(&full) != Parts::NONE.mask(&full));
            }
            for &parts in &sets {
                let only = scan_bytes("stem", &data, Needs::summary(parts));
                assert_eq!(only.summary.as_ref(), Some(&parts.mask(&full)), "{file:?} {parts:?}");
                let both = scan_bytes("stem", &data, Needs { parts, ..Needs::ALL });
                assert_eq!(both.summary.as_ref(), Some(&parts.mask(&full)), "{file:?} {parts:?} with events");
            }
        }
        // Every part is non-trivial in some fixture, so that leaving it out is seen.
        assert!(nonzero.iter().all(|&n| n > 0), "{nonzero:?}");
    }

    #[test]
    fn malformed_lines_are_counted_not_fatal() {
        let out = scan("{\"type\":\"user\",\"sessionId\":\"s1\"}\nnot json\n[1]\n\n{\"type\":\"user\"");
        let s = out.summary.unwrap();
        assert_eq!((s.lines, s.malformed_lines, s.user_messages), (4, 3, 1));
        assert_eq!(out.session_id, "s1");
    }

    #[test]
    fn lone_surrogates_and_huge_numbers_do_not_make_a_line_malformed() {
        // Valid JSON that Python reads; serde_json refuses it where a field is read.
        let out = scan(concat!(
            r#"{"type":"user","cwd":"/w\ud800","timestamp":1e400,"message":{"content":"/a\udc00 b"}}"#,
            "\n",
            r#"{"type":"assistant","isSidechain":-1e999,"message":{"model":"m","usage":{"input_tokens":1e400,"output_tokens":2},"content":[{"type":"tool_use","id":"t\ud800","name":"Skill","input":{"skill":1e400,"name":"pdf"}}]}}"#,
            "\n",
            r#"{"type":"user","message":{"content":"/b"},"x":NaN}"#,
            "\n",
            r#"{"type":"user","message":{"content":[{"type":"text","text":"/c\ud800"}]}}"#,
        ));
        let s = out.summary.as_ref().unwrap();
        assert_eq!((s.lines, s.malformed_lines, s.user_messages, s.assistant_messages), (4, 1, 2, 1));
        assert_eq!(s.tokens, [0, 2, 0, 0]);
        assert_eq!(out.events.len(), 3);
        assert_eq!(out.event(2).command_name, Some("c"));
        let (a, t) = (out.event(0), out.event(1));
        assert_eq!((a.command_name, a.cwd, a.occurred_at), (Some("a"), Some("/w\u{fffd}"), None));
        assert_eq!((t.tool_id, t.skill_name, t.is_sidechain), (Some("t\u{fffd}"), Some("pdf"), None));
        assert_eq!(t.tool_input, Some(r#"{"skill":1.7976931348623157e308,"name":"pdf"}"#));
    }

    #[test]
    fn event_fields_and_classification() {
        let out = scan(
            r#"{"type":"assistant","uuid":"a1","parentUuid":"u0","sessionId":"s","cwd":"/w","isSidechain":true,"timestamp":"2026-05-12T15:00:00Z","message":{"model":"claude","content":[{"type":"text","text":"hi"},{"type":"tool_use","id":"t1","name":"Skill","input":{"skill":"pdf"}},{"type":"tool_use","id":"t2","name":"Task","input":{"subagent_type":"rev"}},{"type":"tool_use","id":"t3","name":"mcp__gh__issue","input":{"a":1}}]}}"#,
        );
        let e: Vec<_> = out.views().collect();
        assert_eq!(e.len(), 3);
        assert_eq!((e[0].event_type, e[0].skill_name), (EventType::ToolUse, Some("pdf")));
        assert_eq!((e[1].event_type, e[1].subagent_type), (EventType::Subagent, Some("rev")));
        assert_eq!(e[2].event_type, EventType::McpCall);
        assert_eq!(e[2].tool_input, Some(r#"{"a":1}"#));
        assert_eq!(e[0].cwd, Some("/w"));
        assert_eq!(e[0].model, Some("claude"));
        assert_eq!(e[0].is_sidechain, Some(true));
        assert_eq!(e[0].parent_uuid, Some("u0"));
        let s = out.summary.unwrap();
        assert_eq!((s.tool_calls, s.subagent_dispatches, s.mcp_calls, s.skill_invocations), (1, 1, 1, 1));
        assert_eq!((s.distinct_tools, s.distinct_skills), (3, 1));
    }
}
