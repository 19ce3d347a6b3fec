//! Path arguments to file lists: `~` expansion, the default session folder, and glob
//! expansion (`*`, `?`, `[...]`, `**`) in sorted order.
//!
//! Pure Rust over `std::fs`; which files may then be *read* is decided by DuckDB's file
//! system when the scanner opens them. `**` follows symbolic links to directories but never
//! enters a directory twice, so a link loop ends instead of recursing.

#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use glob::{MatchOptions, Pattern};

/// The default pattern: `$CLAUDE_CONFIG_DIR/projects/**/*.jsonl`, else
/// `~/.claude/projects/**/*.jsonl`.
pub fn default_pattern() -> String {
    match std::env::var("CLAUDE_CONFIG_DIR") {
        Ok(dir) if !dir.is_empty() => format!("{}/projects/**/*.jsonl", dir.trim_end_matches('/')),
        _ => "~/.claude/projects/**/*.jsonl".to_owned(),
    }
}

/// Replaces a leading `~` (alone or followed by `/`) with `$HOME`.
pub fn expand_home(pattern: &str) -> String {
    let home = || std::env::var("HOME").ok().filter(|h| !h.is_empty());
    if pattern == "~" {
        return home().unwrap_or_else(|| pattern.to_owned());
    }
    match (pattern.strip_prefix("~/"), home()) {
        (Some(rest), Some(h)) => format!("{}/{}", h.trim_end_matches('/'), rest),
        _ => pattern.to_owned(),
    }
}

/// True when `s` has glob meta characters.
pub fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// True for paths DuckDB resolves through another file system (`s3://`, `https://`, ...):
/// they are passed through unexpanded.
pub fn is_remote(s: &str) -> bool {
    s.find("://").is_some_and(|i| i > 0 && s[..i].chars().all(|c| c.is_ascii_alphanumeric() || c == '+'))
}

/// Why a pattern gave no files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    NoMatch(String),
    BadPattern(String, String),
    /// Outside `allowed_directories` / `allowed_paths` while external access is disabled.
    Refused(String),
}

impl std::fmt::Display for ExpandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpandError::NoMatch(p) => write!(f, "No files found that match the pattern \"{p}\""),
            ExpandError::BadPattern(p, e) => write!(f, "Invalid glob pattern \"{p}\": {e}"),
            ExpandError::Refused(p) => write!(
                f,
                "Permission Error: Cannot access file \"{p}\" - file system operations are disabled by configuration"
            ),
        }
    }
}

/// Expands every pattern (after `~` expansion); the union, sorted and without duplicates.
/// A pattern that matches nothing is an error naming it; so is one the access policy
/// refuses. Files a glob matches outside the policy are left out.
pub fn expand_all(patterns: &[String], policy: &AccessPolicy) -> Result<Vec<String>, ExpandError> {
    let mut out = Vec::new();
    for p in patterns {
        let expanded = expand_home(p);
        if !is_remote(&expanded) && !policy.allows_pattern(&expanded) {
            return Err(ExpandError::Refused(expanded));
        }
        let mut found = expand(&expanded)?;
        if !is_remote(&expanded) {
            if !is_glob(&expanded) {
                // A plain path names its file: refused outright, not silently dropped.
                if found.len() == 1 && !policy.allows_file(&found[0]) {
                    return Err(ExpandError::Refused(expanded));
                }
            } else {
                found.retain(|f| policy.allows_file(f));
            }
        }
        if found.is_empty() {
            return Err(ExpandError::NoMatch(p.clone()));
        }
        out.extend(found);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Expands one pattern. A path without meta characters is returned as is when it exists
/// (or is remote); a glob gives every matching entry, directories included (the reader
/// reports those as unreadable).
pub fn expand(pattern: &str) -> Result<Vec<String>, ExpandError> {
    if is_remote(pattern) {
        return Ok(vec![pattern.to_owned()]);
    }
    if !is_glob(pattern) {
        let exists = fs::symlink_metadata(pattern).is_ok();
        return Ok(if exists { vec![pattern.to_owned()] } else { vec![] });
    }
    let absolute = pattern.starts_with('/');
    let mut parts: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    // Collapse runs of `**`.
    parts.dedup_by(|a, b| *a == "**" && *b == "**");
    let mut comps = Vec::with_capacity(parts.len());
    for part in parts {
        comps.push(if part == "**" {
            Comp::Recursive
        } else if is_glob(part) {
            Comp::Glob(Pattern::new(part).map_err(|e| ExpandError::BadPattern(pattern.to_owned(), e.to_string()))?)
        } else {
            Comp::Literal(part.to_owned())
        });
    }
    let root = if absolute { PathBuf::from("/") } else { PathBuf::new() };
    let mut walker = Walker { out: Vec::new(), visited: HashSet::new() };
    walker.walk(&root, &comps);
    let mut out: Vec<String> = walker.out.into_iter().map(|p| p.to_string_lossy().into_owned()).collect();
    out.sort();
    out.dedup();
    Ok(out)
}

enum Comp {
    Literal(String),
    Glob(Pattern),
    Recursive,
}

const MATCH: MatchOptions =
    MatchOptions { case_sensitive: true, require_literal_separator: true, require_literal_leading_dot: false };

struct Walker {
    out: Vec<PathBuf>,
    /// (pattern position, device, inode) of directories entered through `**`.
    visited: HashSet<(usize, u64, u64)>,
}

impl Walker {
    fn walk(&mut self, dir: &Path, comps: &[Comp]) {
        let Some((first, rest)) = comps.split_first() else {
            return;
        };
        match first {
            Comp::Literal(name) => {
                let child = dir.join(name);
                if rest.is_empty() {
                    if fs::symlink_metadata(&child).is_ok() {
                        self.out.push(child);
                    }
                } else if child.is_dir() {
                    self.walk(&child, rest);
                }
            }
            Comp::Glob(pattern) => self.matching(dir, &list(dir), pattern, rest),
            Comp::Recursive => {
                let here = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
                let Ok(meta) = fs::metadata(here) else { return };
                if !meta.is_dir() || !self.visited.insert((comps.len(), meta.dev(), meta.ino())) {
                    return;
                }
                // One listing serves both readings of `**` here.
                let entries = list(dir);
                // Zero directories (a trailing `**` has nothing left to match) ...
                match rest.split_first() {
                    None => {}
                    Some((Comp::Glob(pattern), after)) => self.matching(dir, &entries, pattern, after),
                    Some(_) => self.walk(dir, rest),
                }
                // ... or one more, then `**` again; a trailing `**` also takes every file.
                for entry in &entries {
                    if entry.is_dir(dir) {
                        self.walk(&entry.path(dir), comps);
                    } else if rest.is_empty() {
                        self.out.push(entry.path(dir));
                    }
                }
            }
        }
    }

    /// The entries of `dir` (its listing) that `pattern` matches, followed by `rest`.
    fn matching(&mut self, dir: &Path, entries: &[Entry], pattern: &Pattern, rest: &[Comp]) {
        for entry in entries {
            if !pattern.matches_with(&entry.name, MATCH) {
                continue;
            }
            if rest.is_empty() {
                self.out.push(entry.path(dir));
            } else if entry.is_dir(dir) {
                self.walk(&entry.path(dir), rest);
            }
        }
    }
}

/// One entry of a directory listing.
struct Entry {
    name: String,
    /// The entry's own type as the listing gives it (no `stat` for plain files).
    kind: Option<fs::FileType>,
}

impl Entry {
    /// The entry's path in `dir`, its directory.
    fn path(&self, dir: &Path) -> PathBuf {
        dir.join(&self.name)
    }

    /// Whether the entry of `dir` is a directory, or a link to one (only links cost a `stat`).
    fn is_dir(&self, dir: &Path) -> bool {
        match self.kind {
            Some(kind) if !kind.is_symlink() => kind.is_dir(),
            _ => self.path(dir).is_dir(),
        }
    }
}

/// The entries of a directory, sorted by name; an unreadable directory has none.
fn list(dir: &Path) -> Vec<Entry> {
    let here = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let Ok(rd) = fs::read_dir(here) else { return Vec::new() };
    let mut v: Vec<Entry> = rd
        .filter_map(Result::ok)
        .map(|e| Entry { name: e.file_name().to_string_lossy().into_owned(), kind: e.file_type().ok() })
        .collect();
    v.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    v
}

/// DuckDB's file-access settings, applied to what the extension expands itself.
///
/// DuckDB checks `allowed_directories` / `allowed_paths` lexically when a file is opened;
/// on top of that, a matched file must *resolve* (symbolic links followed) inside an
/// allowed directory or to an allowed path, so neither `..` nor a link can escape, and a
/// glob silently never yields a file outside them.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    /// `enable_external_access`: when true nothing below applies.
    pub external_access: bool,
    /// Lexically normalised, each ending in `/`.
    pub allowed_directories: Vec<String>,
    pub allowed_paths: Vec<String>,
    /// The same entries resolved (links followed) once, when the policy is made: directories
    /// ending in `/`, and each path as itself when it does not resolve.
    real_directories: Vec<String>,
    real_paths: Vec<String>,
}

impl AccessPolicy {
    pub fn unrestricted() -> Self {
        AccessPolicy { external_access: true, ..Default::default() }
    }

    pub fn new(external_access: bool, directories: &[String], paths: &[String]) -> Self {
        let dir = |d: &String| {
            let mut n = normalize(d);
            if !n.ends_with('/') {
                n.push('/');
            }
            n
        };
        let allowed_directories: Vec<String> = directories.iter().map(dir).collect();
        let allowed_paths: Vec<String> = paths.iter().map(|p| normalize(p)).collect();
        AccessPolicy {
            external_access,
            real_directories: allowed_directories
                .iter()
                .map(|d| format!("{}/", real_of(d).trim_end_matches('/')))
                .collect(),
            real_paths: allowed_paths.iter().map(|p| real_of(p)).collect(),
            allowed_directories,
            allowed_paths,
        }
    }

    /// May a pattern (or a plain path) be looked at at all? Checked on the text, before
    /// anything is listed: its fixed part must lie inside an allowed directory, or the whole
    /// path must be an allowed path.
    pub fn allows_pattern(&self, pattern: &str) -> bool {
        if self.external_access {
            return true;
        }
        let fixed = normalize(pattern);
        self.allowed_paths.contains(&fixed) || self.allowed_directories.iter().any(|d| fixed.starts_with(d.as_str()))
    }

    /// May this matched file be read? Its real path (links resolved) must be inside an
    /// allowed directory (itself resolved) or be an allowed path.
    pub fn allows_file(&self, path: &str) -> bool {
        if self.external_access {
            return true;
        }
        let lexical = normalize(path);
        // A file that cannot be resolved is judged on its text; opening it fails anyway.
        let real = fs::canonicalize(path).ok().map(|r| r.to_string_lossy().into_owned());
        let inside = |candidate: &str| {
            self.allowed_paths.iter().chain(&self.real_paths).any(|p| p == candidate)
                || self
                    .allowed_directories
                    .iter()
                    .chain(&self.real_directories)
                    .any(|d| candidate.starts_with(d.as_str()))
        };
        inside(&lexical) && real.is_none_or(|real| real == lexical || inside(&real))
    }
}

/// The resolved form of an allowed entry (itself when it does not exist).
fn real_of(p: &str) -> String {
    fs::canonicalize(p.trim_end_matches('/')).map(|r| r.to_string_lossy().into_owned()).unwrap_or_else(|_| p.to_owned())
}

/// Makes a path absolute (against the working directory) and resolves `.` and `..`
/// lexically, as DuckDB does before comparing with its allowed lists.
pub fn normalize(path: &str) -> String {
    let expanded = expand_home(path);
    let absolute = if expanded.starts_with('/') {
        expanded
    } else {
        let cwd = std::env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
        format!("{}/{}", cwd.trim_end_matches('/'), expanded)
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in absolute.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = format!("/{}", parts.join("/"));
    if absolute.ends_with('/') && out.len() > 1 {
        out.push('/');
    }
    out
}

/// The file name without a trailing `.jsonl`: the session id of a file without one.
pub fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".jsonl").unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> PathBuf {
        let base = std::env::temp_dir().join(format!("claude_usage_paths_{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        for d in ["u1/p1", "u1/p2/sub", "u2/p1"] {
            fs::create_dir_all(base.join(d)).unwrap();
        }
        for f in ["u1/p1/a.jsonl", "u1/p1/b.txt", "u1/p2/sub/c.jsonl", "u2/p1/d.jsonl", "top.jsonl"] {
            fs::write(base.join(f), "{}\n").unwrap();
        }
        std::os::unix::fs::symlink(base.join("u1"), base.join("u1/p2/loop")).unwrap();
        base
    }

    #[test]
    fn globs_and_recursion() {
        let base = tree();
        let b = base.to_string_lossy().to_string();
        let rel = |v: Vec<String>| v.into_iter().map(|p| p[b.len() + 1..].to_owned()).collect::<Vec<_>>();
        assert_eq!(
            rel(expand(&format!("{b}/**/*.jsonl")).unwrap()),
            vec!["top.jsonl", "u1/p1/a.jsonl", "u1/p2/sub/c.jsonl", "u2/p1/d.jsonl"]
        );
        assert_eq!(
            rel(expand(&format!("{b}/u?/p1/*")).unwrap()),
            vec!["u1/p1/a.jsonl", "u1/p1/b.txt", "u2/p1/d.jsonl"]
        );
        assert_eq!(rel(expand(&format!("{b}/u[2]/*/*.jsonl")).unwrap()), vec!["u2/p1/d.jsonl"]);
        assert_eq!(rel(expand(&format!("{b}/top.jsonl")).unwrap()), vec!["top.jsonl"]);
        // `**` then a literal, and `**` then a glob with more after it.
        assert_eq!(rel(expand(&format!("{b}/**/sub/*.jsonl")).unwrap()), vec!["u1/p2/sub/c.jsonl"]);
        assert_eq!(rel(expand(&format!("{b}/**/p?/*.jsonl")).unwrap()), vec!["u1/p1/a.jsonl", "u2/p1/d.jsonl"]);
        // The link back to u1 is followed once below p2 (each `**` enters a directory once).
        assert_eq!(
            rel(expand(&format!("{b}/**/p2/**/*.jsonl")).unwrap()),
            vec!["u1/p2/loop/p1/a.jsonl", "u1/p2/sub/c.jsonl"]
        );
        assert_eq!(
            rel(expand(&format!("{b}/u1/**")).unwrap()),
            vec!["u1/p1/a.jsonl", "u1/p1/b.txt", "u1/p2/sub/c.jsonl"]
        );
        assert!(expand(&format!("{b}/missing.jsonl")).unwrap().is_empty());
        let err = expand_all(&[format!("{b}/nothing/*.jsonl")], &AccessPolicy::unrestricted()).unwrap_err();
        assert_eq!(err.to_string(), format!("No files found that match the pattern \"{b}/nothing/*.jsonl\""));
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn access_policy_refuses_escapes() {
        let base = std::env::temp_dir().join(format!("claude_usage_policy_{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(base.join("ok/sub")).unwrap();
        fs::create_dir_all(base.join("secret")).unwrap();
        fs::write(base.join("ok/sub/a.jsonl"), "{}").unwrap();
        fs::write(base.join("secret/s.jsonl"), "{}").unwrap();
        std::os::unix::fs::symlink(base.join("secret/s.jsonl"), base.join("ok/sub/link.jsonl")).unwrap();
        let b = base.to_string_lossy().to_string();
        let policy = AccessPolicy::new(false, &[format!("{b}/ok")], &[]);
        assert!(policy.allows_pattern(&format!("{b}/ok/**/*.jsonl")));
        assert!(!policy.allows_pattern(&format!("{b}/ok/../secret/*.jsonl")));
        assert!(!policy.allows_pattern(&format!("{b}/okay/*.jsonl")));
        assert!(policy.allows_file(&format!("{b}/ok/sub/a.jsonl")));
        assert!(!policy.allows_file(&format!("{b}/ok/sub/link.jsonl")));
        let files = expand_all(&[format!("{b}/ok/**/*.jsonl")], &policy).unwrap();
        assert_eq!(files, vec![format!("{b}/ok/sub/a.jsonl")]);
        let err = expand_all(&[format!("{b}/ok/sub/link.jsonl")], &policy).unwrap_err();
        assert!(matches!(err, ExpandError::Refused(_)));
        let nothing = AccessPolicy::new(false, &[], &[]);
        assert!(matches!(expand_all(&[format!("{b}/ok/*")], &nothing).unwrap_err(), ExpandError::Refused(_)));
        let one = AccessPolicy::new(false, &[], &[format!("{b}/ok/sub/a.jsonl")]);
        assert_eq!(expand_all(&[format!("{b}/ok/sub/a.jsonl")], &one).unwrap().len(), 1);
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize("/a/./b/../c/"), "/a/c/");
        assert_eq!(normalize("/../x"), "/x");
        assert_eq!(normalize("/a/b/.."), "/a");
    }

    #[test]
    fn home_default_and_stem() {
        std::env::set_var("HOME", "/home/x");
        assert_eq!(expand_home("~/a/*.jsonl"), "/home/x/a/*.jsonl");
        assert_eq!(expand_home("a/~/b"), "a/~/b");
        assert_eq!(stem("/a/b/sess-1.jsonl"), "sess-1");
        assert_eq!(stem("x.json"), "x.json");
        assert!(is_remote("s3://bucket/x.jsonl"));
        assert!(!is_remote("/tmp/a://b"));
    }
}
