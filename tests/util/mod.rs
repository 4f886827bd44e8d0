//! Shared test support: temporary directories, the command under test with a pinned
//! environment, typed JSON output, and generators of fake, format-valid secrets.
#![allow(dead_code)] // each test binary uses part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde::Deserialize;

/// The binary under test: `KEYHOUND_TEST_PROGRAM` (e.g. a release build) or Cargo's build.
pub fn program() -> PathBuf {
    std::env::var_os("KEYHOUND_TEST_PROGRAM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_keyhound")))
}

/// A temporary directory that files are written into.
pub struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::Builder::new()
                .prefix("keyhound-test-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Writes `contents` to `rel`, creating parent directories.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.tmp.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::fs::write(&p, contents).expect("write file");
        p
    }

    /// A command running keyhound with `args`, in this directory, environment pinned.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(program());
        c.args(args)
            .current_dir(self.path())
            .env_remove("NO_COLOR")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdin(Stdio::null());
        c
    }

    /// Runs keyhound with `args`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run keyhound")
    }

    /// Runs `keyhound scan <args> --format json` and parses the report.
    pub fn scan_json(&self, args: &[&str]) -> (i32, Report) {
        let mut all = vec!["scan"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--format", "json"]);
        let out = self.run(&all);
        let code = out.status.code().expect("exit code");
        let report: Report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "bad JSON ({e}); exit {code}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, report)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub version: u32,
    pub findings: Vec<FindingJson>,
    pub stats: StatsJson,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingJson {
    pub rule: RuleJson,
    pub secret: String,
    pub fingerprint: String,
    pub entropy: f64,
    pub rotation: RotationJson,
    pub locations: Vec<LocationJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleJson {
    pub id: String,
    pub name: String,
    pub severity: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationJson {
    pub url: Option<String>,
    pub steps: String,
}

#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LocationJson {
    pub source: String,
    pub path: Option<String>,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub commit: Option<String>,
    pub author: Option<String>,
    pub email: Option<String>,
    pub date: Option<String>,
    pub blob: Option<String>,
    pub matched_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsJson {
    pub blobs_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped: std::collections::BTreeMap<String, u64>,
    pub suppressed: u64,
    pub baselined: u64,
    pub submodules: u64,
    pub shallow: bool,
    pub duration_ms: u64,
}

impl Report {
    /// (rule id, path, line, column) of every location, sorted.
    pub fn places(&self) -> Vec<(String, String, usize, usize)> {
        let mut v: Vec<_> = self
            .findings
            .iter()
            .flat_map(|f| {
                f.locations.iter().map(|l| {
                    (
                        f.rule.id.clone(),
                        l.path.clone().unwrap_or_default(),
                        l.line,
                        l.column,
                    )
                })
            })
            .collect();
        v.sort();
        v
    }

    pub fn skipped(&self, reason: &str) -> u64 {
        self.stats.skipped.get(reason).copied().unwrap_or(0)
    }
}

/// A deterministic generator of fake secrets (xorshift), so test data is random-looking,
/// format-valid and the same on every run.
pub struct Fake {
    state: u64,
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl Fake {
    pub fn new(seed: u64) -> Fake {
        Fake {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }

    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    /// `n` characters from `alphabet`, rejecting runs a placeholder filter would drop.
    pub fn from(&mut self, alphabet: &[u8], n: usize) -> String {
        loop {
            let s: Vec<u8> = (0..n)
                .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
                .collect();
            let seq = s
                .windows(3)
                .any(|w| w[1] == w[0].wrapping_add(1) && w[2] == w[1].wrapping_add(1));
            let lower = s.to_ascii_lowercase();
            if !seq && !lower.windows(2).any(|w| w == b"xx") {
                return String::from_utf8(s).expect("ascii");
            }
        }
    }

    pub fn alnum(&mut self, n: usize) -> String {
        self.from(ALNUM, n)
    }

    pub fn upper_digits(&mut self, n: usize) -> String {
        self.from(b"ABCDEFGHIJKLMNOPQRSTUVWYZ234567", n)
    }

    pub fn hex(&mut self, n: usize) -> String {
        self.from(b"0123456789abcdef", n)
    }

    /// A GitHub-style token: prefix, 30 random base62, 6-char base62 CRC32 of those 30.
    pub fn github(&mut self, prefix: &str) -> String {
        let random = self.alnum(30);
        let mut n = crc32fast::hash(random.as_bytes());
        let mut check = [b'0'; 6];
        for slot in check.iter_mut().rev() {
            *slot = BASE62[(n % 62) as usize];
            n /= 62;
        }
        format!("{prefix}{random}{}", String::from_utf8_lossy(&check))
    }

    pub fn aws_key_id(&mut self) -> String {
        format!("AKIA{}", self.upper_digits(16))
    }

    pub fn slack_bot(&mut self) -> String {
        format!(
            "xoxb-{}-{}-{}",
            self.from(b"0123456789", 12),
            self.from(b"0123456789", 13),
            self.alnum(24)
        )
    }

    pub fn stripe_live(&mut self) -> String {
        format!("sk_live_{}", self.alnum(24))
    }
}

/// A git repository built inside the test, with fixed identities and dates and no user or
/// system configuration, so commit ids are the same on every machine.
pub struct Repo {
    pub dir: Dir,
    tick: std::cell::Cell<u32>,
}

impl Repo {
    /// `git init -b main` in a fresh directory.
    pub fn new() -> Repo {
        let repo = Repo {
            dir: Dir::new(),
            tick: std::cell::Cell::new(0),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        self.dir.write(rel, contents);
    }

    /// Runs git in the repository and returns its trimmed stdout; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(self.path(), args)
    }

    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let t = self.tick.get() + 1;
        self.tick.set(t);
        let date = format!("2024-01-01T00:{:02}:{:02}+00:00", t / 60, t % 60);
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", self.path())
            .env("GIT_AUTHOR_NAME", "Ada Author")
            .env("GIT_AUTHOR_EMAIL", "ada@example.test")
            .env("GIT_COMMITTER_NAME", "Ada Author")
            .env("GIT_COMMITTER_EMAIL", "ada@example.test")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .stdin(Stdio::null())
            .output()
            .expect("run git");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `git add -A && git commit`, returning the new commit id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Runs `keyhound scan <args> --format json` in the repository.
    pub fn scan_json(&self, args: &[&str]) -> (i32, Report) {
        self.dir.scan_json(args)
    }
}

impl Report {
    /// (rule, source, path, line, commit) of every location, sorted.
    pub fn history(&self) -> Vec<(String, String, String, usize, String)> {
        let mut v: Vec<_> = self
            .findings
            .iter()
            .flat_map(|f| {
                f.locations.iter().map(|l| {
                    (
                        f.rule.id.clone(),
                        l.source.clone(),
                        l.path.clone().unwrap_or_default(),
                        l.line,
                        l.commit.clone().unwrap_or_default(),
                    )
                })
            })
            .collect();
        v.sort();
        v
    }
}
