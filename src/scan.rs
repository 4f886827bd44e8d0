//! Running a scan: options, the per-thread worker every source feeds, and the result.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::archive;
use crate::config::Allowlist;
use crate::engine::lines::{Locator, Position, line_at, line_bounds};
use crate::engine::{Engine, Match, Scratch, encoded};
use crate::findings::{Collector, Finding, Location, SourceKind};
use crate::rules::RuleSet;
use crate::sources;

/// Bytes sniffed for a NUL to call a blob binary (the same test git uses).
pub const BINARY_SNIFF_LEN: usize = 8192;

/// A NUL byte in the first [`BINARY_SNIFF_LEN`] bytes: binary content, which only whole-file
/// rules (key stores found by path) are tried on. Except text with lone NULs as marks and no
/// other control byte: PHP's `serialize()` writes protected and private properties as
/// `s:12:"\0*\0secretKey";` (4 % of a Flutterwave SDK's saved object), and a session or cache
/// file of that stays text to read. Binary formats hold other control bytes or runs of NULs
/// (padding) within 8 KiB, and UTF-16 text is half NULs: of 75,715 files with a NUL on this
/// machine, none but one text file passes.
pub fn is_binary(data: &[u8]) -> bool {
    let head = &data[..data.len().min(BINARY_SNIFF_LEN)];
    let nuls = memchr::memchr_iter(0, head).count();
    nuls > 0
        && !(nuls * 10 <= head.len()
            && memchr::memmem::find(head, b"\0\0").is_none()
            && head
                .iter()
                .all(|&b| b >= 0x20 || matches!(b, 0 | b'\t' | b'\n' | b'\r')))
}

/// Levels of base64 decoded inside one another (a token in base64 JSON inside a base64
/// Kubernetes Secret is 2).
const MAX_DECODE_DEPTH: usize = 2;

/// Default `--max-file-size`: 10 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// A scan could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The path to scan does not exist.
    #[error("{}: no such file or directory", path.display())]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// Reading the input failed as a whole (not one file among many).
    #[error("cannot read {what}")]
    Io {
        /// What was being read.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The repository could not be read.
    #[error(transparent)]
    Git(#[from] crate::sources::git::Error),
    /// The worker thread pool could not be started.
    #[error("cannot start worker threads")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    /// The rules could not be compiled into an engine.
    #[error(transparent)]
    Engine(#[from] crate::engine::Error),
}

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A directory or file on disk.
    Path(PathBuf),
    /// Standard input.
    Stdin,
}

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// What to scan.
    pub target: Target,
    /// Honour `.gitignore` and `.git/info/exclude`.
    pub respect_gitignore: bool,
    /// Files (and blobs) larger than this are skipped and counted.
    pub max_file_size: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// What the user's configuration allows.
    pub allowlist: Allowlist,
    /// For a repository: scan every blob of its history.
    pub history: bool,
    /// For a repository: scan the files on disk.
    pub worktree: bool,
    /// Scan only what the commits of `BASE..HEAD` add.
    pub git_range: Option<String>,
    /// Audit only the history these refs reach (branches, tags, commits); empty: every ref,
    /// and the blobs no ref reaches.
    pub refs: Vec<String>,
    /// Scan only what the next commit would add.
    pub staged: bool,
    /// Counters a caller can watch while the scan runs (for a progress bar).
    pub progress: Option<std::sync::Arc<Progress>>,
    /// Findings whose fingerprint this holds are not reported.
    pub baseline: Option<crate::baseline::Baseline>,
    /// Search the members of zip, tar and gzip archives (see [`crate::archive`]).
    pub archives: bool,
    /// Search the text that base64 blobs encode (see [`crate::engine::encoded`]).
    pub decode_base64: bool,
}

/// Live counters of a running scan, updated by every worker (relaxed atomics: one add per
/// blob, never on the per-byte path).
#[derive(Debug, Default)]
pub struct Progress {
    /// Blobs scanned so far.
    pub blobs: std::sync::atomic::AtomicU64,
    /// Bytes scanned so far.
    pub bytes: std::sync::atomic::AtomicU64,
}

impl ScanOptions {
    /// Defaults for scanning `target`.
    pub fn new(target: Target) -> ScanOptions {
        ScanOptions {
            target,
            respect_gitignore: true,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
            allowlist: Allowlist::default(),
            history: true,
            worktree: true,
            git_range: None,
            refs: Vec::new(),
            staged: false,
            progress: None,
            baseline: None,
            archives: true,
            decode_base64: true,
        }
    }
}

/// Why an input was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A NUL byte in the first 8 KiB.
    Binary,
    /// Larger than `--max-file-size`.
    TooLarge,
    /// Could not be opened or read.
    Unreadable,
    /// A symbolic link (never followed: it may point outside the tree).
    Symlink,
    /// A FIFO, socket or device: reading it could block or never end.
    Special,
    /// Matched an allowlisted path.
    Allowlisted,
    /// A git object that is missing or cannot be decoded.
    Corrupt,
    /// A kind of file never meaningful to scan (lock files, minified assets, media,
    /// archives); see `default_skips`.
    DefaultSkip,
}

impl SkipReason {
    /// Every reason, so reports always list the same keys.
    pub const ALL: [SkipReason; 8] = [
        SkipReason::Binary,
        SkipReason::TooLarge,
        SkipReason::Unreadable,
        SkipReason::Symlink,
        SkipReason::Special,
        SkipReason::Allowlisted,
        SkipReason::Corrupt,
        SkipReason::DefaultSkip,
    ];

    /// Name used in JSON and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too_large",
            SkipReason::Unreadable => "unreadable",
            SkipReason::Symlink => "symlink",
            SkipReason::Special => "special",
            SkipReason::Allowlisted => "allowlisted",
            SkipReason::Corrupt => "corrupt",
            SkipReason::DefaultSkip => "default_skip",
        }
    }
}

/// Counters of a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Blobs (files, git blobs, stdin) whose content was scanned.
    pub blobs_scanned: u64,
    /// Bytes of those blobs.
    pub bytes_scanned: u64,
    /// Inputs not scanned, by reason.
    pub skipped: BTreeMap<SkipReason, u64>,
    /// Matches dropped by an inline allow comment or an allowlist.
    pub suppressed: u64,
    /// Findings dropped because the baseline holds their fingerprint.
    pub baselined: u64,
    /// Submodules seen and not followed.
    pub submodules: u64,
    /// The repository is a shallow clone: older history is absent.
    pub shallow: bool,
    /// Wall time.
    pub duration_ms: u64,
}

impl Stats {
    /// Counts one skipped input.
    pub fn skip(&mut self, reason: SkipReason) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    /// Count of inputs skipped for `reason`.
    pub fn skipped(&self, reason: SkipReason) -> u64 {
        self.skipped.get(&reason).copied().unwrap_or(0)
    }

    fn merge(&mut self, other: &Stats) {
        self.blobs_scanned += other.blobs_scanned;
        self.bytes_scanned += other.bytes_scanned;
        for (r, n) in &other.skipped {
            *self.skipped.entry(*r).or_default() += n;
        }
        self.suppressed += other.suppressed;
        self.submodules += other.submodules;
        self.shallow |= other.shallow;
    }
}

/// The repository a scan read, for reports that record version-control provenance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepositoryInfo {
    /// `remote.origin.url`, or a `file://` URI of the repository.
    pub uri: String,
    /// `HEAD`'s commit, if there is one.
    pub head: Option<String>,
    /// The checked-out branch, if any.
    pub branch: Option<String>,
}

/// What was scanned.
#[derive(Debug, Clone, Default)]
pub struct ScanContext {
    /// Directory that paths are relative to (absent for stdin).
    pub root: Option<PathBuf>,
    /// The repository, when one was read.
    pub repository: Option<RepositoryInfo>,
}

/// What a scan found.
#[derive(Debug, Clone)]
pub struct ScanReport {
    /// What was scanned.
    pub context: ScanContext,
    /// Findings, sorted by first location.
    pub findings: Vec<Finding>,
    /// Findings the baseline suppressed (not reported; kept for `--baseline-out`).
    pub baselined: Vec<Finding>,
    /// Counters.
    pub stats: Stats,
    /// Problems that did not stop the scan (one line each), sorted.
    pub warnings: Vec<String>,
}

/// Rules compiled into an engine, ready to scan any number of targets.
#[derive(Debug)]
pub struct Scanner {
    engine: Engine,
}

impl Scanner {
    /// Compiles `rules`.
    pub fn new(rules: &RuleSet) -> Result<Scanner, Error> {
        Ok(Scanner {
            engine: Engine::new(rules)?,
        })
    }

    fn dispatch(&self, options: &ScanOptions) -> Result<(WorkerResults, ScanContext), Error> {
        use sources::git;
        let engine = &self.engine;
        match &options.target {
            Target::Stdin => {
                let mut worker = Worker::new(engine, options);
                sources::stdin::scan(&mut worker)?;
                Ok((worker.finish(), ScanContext::default()))
            }
            Target::Path(path) if options.staged || options.git_range.is_some() => {
                let repo = git::discover(path)?;
                let context = git::context(&repo);
                let results = match &options.git_range {
                    Some(spec) => git::range::scan(engine, &repo, spec, options)?,
                    None => git::staged::scan(engine, &repo, options)?,
                };
                Ok((results, context))
            }
            Target::Path(path) => {
                if !path.exists() && std::fs::symlink_metadata(path).is_err() {
                    return Err(Error::NotFound { path: path.clone() });
                }
                match git::open_exact(path) {
                    Some(repo) if options.history => {
                        let context = git::context(&repo);
                        Ok((git::audit::scan(engine, &repo, options)?, context))
                    }
                    _ => {
                        let root = if path.is_dir() {
                            Some(path.clone())
                        } else {
                            std::env::current_dir().ok()
                        };
                        let context = ScanContext {
                            root,
                            repository: git::open_exact(path)
                                .map(|r| git::context(&r).repository)
                                .unwrap_or_default(),
                        };
                        Ok((sources::fs::scan(engine, path, options)?, context))
                    }
                }
            }
        }
    }

    /// The compiled engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs a scan.
    pub fn scan(&self, options: &ScanOptions) -> Result<ScanReport, Error> {
        let started = Instant::now();
        let mut pool = rayon::ThreadPoolBuilder::new();
        if options.threads > 0 {
            pool = pool.num_threads(options.threads);
        }
        let pool = pool.build()?;
        let (mut results, context) = pool.install(|| self.dispatch(options))?;
        results.stats.duration_ms =
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        results.warnings.sort();
        let mut findings = results.collector.into_findings(self.engine.rules());
        let mut baselined = Vec::new();
        if let Some(baseline) = &options.baseline {
            let (old, new): (Vec<Finding>, Vec<Finding>) =
                findings.into_iter().partition(|f| baseline.contains(f));
            findings = new;
            baselined = old;
            results.stats.baselined = baselined.len() as u64;
        }
        Ok(ScanReport {
            context,
            findings,
            baselined,
            stats: results.stats,
            warnings: results.warnings,
        })
    }
}

/// What one worker gathered.
#[derive(Debug, Default)]
pub(crate) struct WorkerResults {
    pub collector: Collector,
    pub stats: Stats,
    pub warnings: Vec<String>,
}

impl WorkerResults {
    pub fn merge(&mut self, other: WorkerResults) {
        self.collector.merge(other.collector);
        self.stats.merge(&other.stats);
        self.warnings.extend(other.warnings);
    }
}

/// Per-thread state: scratch buffers, the thread's findings and counters.
pub(crate) struct Worker<'a> {
    engine: &'a Engine,
    options: &'a ScanOptions,
    scratch: Scratch,
    matches: Vec<Match>,
    pub results: WorkerResults,
}

impl<'a> Worker<'a> {
    pub fn new(engine: &'a Engine, options: &'a ScanOptions) -> Worker<'a> {
        Worker {
            engine,
            options,
            scratch: Scratch::default(),
            matches: Vec::new(),
            results: WorkerResults::default(),
        }
    }

    pub fn options(&self) -> &'a ScanOptions {
        self.options
    }

    pub fn engine(&self) -> &'a Engine {
        self.engine
    }

    pub fn skip(&mut self, reason: SkipReason) {
        self.results.stats.skip(reason);
    }

    pub fn warn(&mut self, message: String) {
        self.results.warnings.push(message);
    }

    /// Finds the secrets in one blob's content, with their positions, after inline allow
    /// comments and the secret allowlist. An archive's members are searched in its place
    /// (see [`crate::archive`]); `label` names the blob in warnings about them. `None` when
    /// the blob is binary (then counted).
    pub fn find(
        &mut self,
        data: &[u8],
        label: &dyn std::fmt::Display,
    ) -> Option<Vec<LocatedMatch>> {
        if self.options.archives
            && let Some(kind) = archive::sniff(data)
        {
            let mut found = Vec::new();
            let mut budget = archive::Budget::new(self.options.max_file_size);
            self.find_in_archive(data, kind, "", 1, &mut budget, label, &mut found);
            return Some(found);
        }
        self.find_in_content(data)
    }

    /// Searches the members of an archive `depth` levels deep, at member path `prefix`
    /// (empty for a top-level archive), appending what they hold to `out`.
    #[allow(clippy::too_many_arguments)]
    fn find_in_archive(
        &mut self,
        data: &[u8],
        kind: archive::Kind,
        prefix: &str,
        depth: usize,
        budget: &mut archive::Budget,
        label: &dyn std::fmt::Display,
        out: &mut Vec<LocatedMatch>,
    ) {
        let member_path = |path: &str| match (prefix.is_empty(), path.is_empty()) {
            (_, true) => prefix.to_string(),
            (true, false) => path.to_string(),
            (false, false) => format!("{prefix}!{path}"),
        };
        let shown = |member: &str| {
            if member.is_empty() {
                label.to_string()
            } else {
                format!("{label}!{member}")
            }
        };
        let (mut links, mut first_link) = (0usize, None::<String>);
        let result =
            archive::for_each_entry(data, kind, budget, &mut |entry, budget| match entry {
                archive::Entry::File { path, data } => {
                    let member = member_path(&path);
                    // Lock files and minified bundles are as meaningless inside a package as
                    // outside; the member's own path is what names them.
                    if let Some(reason) = self.options.allowlist.skip_reason(&path) {
                        self.skip(reason);
                        return;
                    }
                    if let Some(inner) = archive::sniff(&data) {
                        if depth < archive::MAX_DEPTH {
                            self.find_in_archive(
                                &data,
                                inner,
                                &member,
                                depth + 1,
                                budget,
                                label,
                                out,
                            );
                            return;
                        }
                        self.warn(format!(
                            "{}: an archive nested more than {} deep: not opened",
                            shown(&member),
                            archive::MAX_DEPTH
                        ));
                    }
                    if let Some(found) = self.find_in_content(&data) {
                        let member: Option<Box<str>> = (!member.is_empty()).then(|| member.into());
                        out.extend(found.into_iter().map(|mut m| {
                            m.member = member.clone();
                            m
                        }));
                    }
                }
                // Links are counted and named once per archive: a container image's tar holds
                // hundreds of hard links (busybox), which one warning each would bury.
                archive::Entry::Skipped {
                    reason: SkipReason::Symlink,
                    path,
                    ..
                } => {
                    self.skip(SkipReason::Symlink);
                    links += 1;
                    first_link.get_or_insert(path);
                }
                archive::Entry::Skipped { path, reason, why } => {
                    self.skip(reason);
                    self.warn(format!(
                        "{}: not scanned: {why}",
                        shown(&member_path(&path))
                    ));
                }
            });
        if let Some(first) = first_link {
            let others = match links {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            self.warn(format!(
                "{}: not scanned: a link{others} (links are not followed)",
                shown(&member_path(&first))
            ));
        }
        if let Err(damaged) = result {
            self.skip(SkipReason::Corrupt);
            self.warn(format!(
                "{}: damaged archive, not read to the end: {damaged}",
                shown(prefix)
            ));
        }
    }

    /// [`Worker::find`] for content that is not opened as an archive.
    fn find_in_content(&mut self, data: &[u8]) -> Option<Vec<LocatedMatch>> {
        if is_binary(data) {
            // Text rules do not apply; only whole-file rules (key stores found by path) do.
            self.skip(SkipReason::Binary);
            self.matches.clear();
            self.engine
                .scan_whole_blob(data, &mut self.scratch, &mut self.matches);
            // A PEM private key compiled into a program, or captured in a pcap, is still the
            // key: the private-key rules (and only they) read binary content that holds a PEM
            // header. Other rules would match noise between the NULs.
            if memchr::memmem::find(data, b"PRIVATE KEY-----").is_some() {
                let mut keys = Vec::new();
                self.engine.scan(data, &mut self.scratch, &mut keys);
                let rules = self.engine.rules();
                keys.retain(|m| rules[m.rule].id.starts_with("private-key-"));
                self.matches.extend(keys);
            }
            if self.matches.is_empty() {
                return None;
            }
            return Some(self.locate_matches(data));
        }
        self.results.stats.blobs_scanned += 1;
        self.results.stats.bytes_scanned += data.len() as u64;
        if let Some(p) = &self.options.progress {
            use std::sync::atomic::Ordering::Relaxed;
            p.blobs.fetch_add(1, Relaxed);
            p.bytes.fetch_add(data.len() as u64, Relaxed);
        }
        self.matches.clear();
        self.engine.scan(data, &mut self.scratch, &mut self.matches);
        let mut found = self.locate_matches(data);
        if self.options.decode_base64 {
            self.find_encoded(data, &mut found);
        }
        Some(found)
    }

    /// Appends the secrets held in base64 blobs of `data` (see [`encoded`]), each at the
    /// place of its blob. A blob a rule already matched (a JWT, a base64 key, a Kubernetes
    /// Secret's value) is not decoded: that rule reported it.
    fn find_encoded(&mut self, data: &[u8], found: &mut Vec<LocatedMatch>) {
        let taken: Vec<std::ops::Range<usize>> =
            self.matches.iter().map(|m| m.secret.clone()).collect();
        let mut decoded = Vec::new();
        self.decoded_matches(data, &taken, 1, &mut decoded);
        if decoded.is_empty() {
            return;
        }
        let mut locator = Locator::new(data);
        let mut inline = InlineAllow::default();
        for (run, rule, secret) in decoded {
            let rule_id = &self.engine.rules()[rule].id;
            if inline.allows(data, run.start)
                || self.options.allowlist.allows_secret(rule_id, &secret)
            {
                self.results.stats.suppressed += 1;
                continue;
            }
            found.push(LocatedMatch {
                rule,
                secret,
                start: locator.locate(run.start),
                end: locator.locate(run.end),
                member: None,
            });
        }
    }

    /// The matches in the text that base64 runs of `data` encode, as (run, rule, secret);
    /// runs overlapping `taken` are skipped. Text inside decoded text is decoded too, down to
    /// [`MAX_DECODE_DEPTH`] levels, and reported at the outermost run.
    fn decoded_matches(
        &mut self,
        data: &[u8],
        taken: &[std::ops::Range<usize>],
        depth: usize,
        out: &mut Vec<(std::ops::Range<usize>, usize, Vec<u8>)>,
    ) {
        let mut runs = Vec::new();
        encoded::base64_runs(data, &mut runs);
        for run in runs {
            if taken.iter().any(|t| t.start < run.end && run.start < t.end) {
                continue;
            }
            let Some(text) = encoded::decode_text(&data[run.clone()]) else {
                continue;
            };
            let mut matches = Vec::new();
            self.engine.scan(&text, &mut self.scratch, &mut matches);
            // Decoded text is no file: rules for whole files by name (a one-line
            // `password.txt`) do not apply, and must not keep a second layer from being decoded.
            let rules = self.engine.rules();
            matches.retain(|m| rules[m.rule].path.is_none());
            for m in &matches {
                out.push((run.clone(), m.rule, text[m.secret.clone()].to_vec()));
            }
            if depth < MAX_DECODE_DEPTH {
                let inner_taken: Vec<_> = matches.iter().map(|m| m.secret.clone()).collect();
                let mut inner = Vec::new();
                self.decoded_matches(&text, &inner_taken, depth + 1, &mut inner);
                out.extend(
                    inner
                        .into_iter()
                        .map(|(_, rule, secret)| (run.clone(), rule, secret)),
                );
            }
        }
    }

    /// Positions of `self.matches` in `data`, after inline allow comments and the secret
    /// allowlist.
    fn locate_matches(&mut self, data: &[u8]) -> Vec<LocatedMatch> {
        let mut found = Vec::new();
        if self.matches.is_empty() {
            return found;
        }
        let mut locator = Locator::new(data);
        let mut inline = InlineAllow::default();
        for m in &self.matches {
            let secret = &data[m.secret.clone()];
            let rule = &self.engine.rules()[m.rule];
            if inline.allows(data, m.secret.start)
                || self.options.allowlist.allows_secret(&rule.id, secret)
            {
                self.results.stats.suppressed += 1;
                continue;
            }
            let start = locator.locate(m.secret.start);
            let trimmed_end = m.secret.end - usize::from(secret.ends_with(b"\n"));
            let end = locator.locate(trimmed_end);
            found.push(LocatedMatch {
                rule: m.rule,
                secret: secret.to_vec(),
                start,
                end,
                member: None,
            });
        }
        found
    }

    /// Scans one blob and records its findings at `template` (source, path, provenance).
    pub fn scan_blob(&mut self, data: &[u8], template: &Location) {
        let label = template.path.as_deref().unwrap_or("<stdin>");
        if let Some(found) = self.find(data, &label) {
            for m in &found {
                self.record(m, template);
            }
        }
    }

    /// Records one located match at `template`.
    pub fn record(&mut self, m: &LocatedMatch, template: &Location) {
        self.results
            .collector
            .add(m.rule, &m.secret, m.locate(template));
    }

    pub fn finish(self) -> WorkerResults {
        self.results
    }
}

/// A match with its position in the blob, independent of where the blob lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocatedMatch {
    pub rule: usize,
    pub secret: Vec<u8>,
    pub start: Position,
    pub end: Position,
    /// Where in an archive the match is (`conf/app.properties`, or `lib/a.jar!conf/x.env`
    /// nested); `None` outside archives.
    pub member: Option<Box<str>>,
}

impl LocatedMatch {
    /// This match at the place described by `template`.
    pub fn locate(&self, template: &Location) -> Location {
        let mut location = template.clone();
        location.line = self.start.line;
        location.column = self.start.column;
        location.end_line = self.end.line;
        location.end_column = self.end.column;
        if let Some(member) = &self.member {
            location.path = Some(match &location.path {
                Some(path) => format!("{path}!{member}"),
                None => member.to_string(),
            });
        }
        location
    }
}

/// Markers that silence a finding on their line. Teams moving from gitleaks and
/// detect-secrets keep their existing annotations.
const ALLOW_MARKERS: &[&[u8]] = &[
    b"keyhound:allow",
    b"gitleaks:allow",
    b"pragma: allowlist secret",
];
const ALLOW_NEXT_LINE: &[u8] = b"pragma: allowlist nextline secret";

/// [`is_allowed_inline`] for the matches of one blob, judged once per line: a minified
/// line with thousands of matches is searched for the markers once.
#[derive(Default)]
struct InlineAllow {
    line: Option<(std::ops::Range<usize>, bool)>,
}

impl InlineAllow {
    fn allows(&mut self, data: &[u8], offset: usize) -> bool {
        match &self.line {
            Some((line, allowed)) if line.start <= offset && offset <= line.end => *allowed,
            _ => {
                let allowed = is_allowed_inline(data, offset);
                self.line = Some((line_bounds(data, offset), allowed));
                allowed
            }
        }
    }
}

fn is_allowed_inline(data: &[u8], offset: usize) -> bool {
    let line = line_at(data, offset);
    if ALLOW_MARKERS
        .iter()
        .any(|m| memchr::memmem::find(line, m).is_some())
    {
        return true;
    }
    let line_start = memchr::memrchr(b'\n', &data[..offset.min(data.len())]).map_or(0, |i| i + 1);
    line_start > 0 && memchr::memmem::find(line_at(data, line_start - 1), ALLOW_NEXT_LINE).is_some()
}

/// A location with everything but the position filled in.
pub(crate) fn template(source: SourceKind, path: Option<String>) -> Location {
    Location {
        source,
        path,
        line: 0,
        column: 0,
        end_line: 0,
        end_column: 0,
        commit: None,
        author: None,
        email: None,
        date: None,
        blob: None,
        matched_by: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_with_a_few_nul_marks_is_not_binary() {
        let php = b"O:15:\"Flutterwave\\Rave\":2:{s:12:\"\0*\0secretKey\";s:8:\"abcdefgh\";s:6:\"\0*\0key\";s:3:\"xyz\";s:20:\"\0*\0baseUrl\";s:30:\"https://api.example.test/v3/\";}\n";
        assert!(!is_binary(php));
        assert!(!is_binary(b"plain text\n"));
        // Other control bytes, NULs in numbers, UTF-16: binary.
        assert!(is_binary(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        assert!(is_binary(b"a\0b\0c\0d\0"));
        assert!(is_binary(
            b"!<arch>\nname/           0           0     0     644     8         `\n\0\0\0\x01abc"
        ));
        let utf16: Vec<u8> = "password=hunter2\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(is_binary(&utf16));
    }

    #[test]
    fn inline_allow_is_judged_per_line() {
        let data = b"a=1 b=2 # keyhound:allow\nc=3 d=4\n";
        let mut inline = InlineAllow::default();
        assert!(inline.allows(data, 0));
        assert!(inline.allows(data, 4));
        assert!(!inline.allows(data, 25));
        assert!(!inline.allows(data, 29));
        assert!(inline.allows(data, 2));
    }

    #[test]
    fn allow_comments() {
        assert!(is_allowed_inline(b"a\ntoken = x # keyhound:allow\n", 4));
        assert!(is_allowed_inline(b"token = x // gitleaks:allow", 0));
        assert!(is_allowed_inline(b"x = 1  # pragma: allowlist secret", 0));
        assert!(is_allowed_inline(
            b"# pragma: allowlist nextline secret\ntoken = x",
            40
        ));
        assert!(!is_allowed_inline(
            b"# pragma: allowlist nextline secret\n\ntoken = x",
            40
        ));
        assert!(!is_allowed_inline(b"token = x", 3));
    }
}
