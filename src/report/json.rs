//! The JSON contract (`--format json` / `jsonl`), version 1.
//!
//! ```json
//! { "version": 1,
//!   "findings": [ {
//!       "rule": { "id": "github-pat-classic", "name": "…", "severity": "high" },
//!       "secret": "ghp_Q8vR…(40)",
//!       "fingerprint": "sha-256 hex of rule id, NUL, secret",
//!       "entropy": 4.7,
//!       "rotation": { "url": "…", "steps": "…" },
//!       "locations": [ {
//!           "source": "worktree",            // worktree | history | staged | stdin
//!           "path": "config/deploy.env", "line": 12, "column": 9,
//!           "end_line": 12, "end_column": 49,   // end_column is exclusive
//!           "commit": "…", "author": "…", "email": "…", "date": "RFC 3339", // history only
//!           "blob": "…",                       // history and unreachable: the git blob id
//!           "matched_by": "generic-secret"     // only where another rule than the finding's
//!       } ] } ],                               // recognised the secret (one finding per secret)
//!   "stats": { "blobs_scanned": 0, "bytes_scanned": 0,
//!              "skipped": { "binary": 0, "too_large": 0, "unreadable": 0, "symlink": 0,
//!                           "special": 0, "allowlisted": 0, "corrupt": 0, "default_skip": 0 },
//!              "suppressed": 0, "baselined": 0, "submodules": 0, "shallow": false,
//!              "duration_ms": 0 } }
//! ```
//!
//! `source` is `worktree`, `history`, `staged`, `stdin` or `unreachable` (a blob no ref
//! reaches; it has no path). `suppressed` counts matches silenced by allow comments or
//! allowlists, `baselined` findings silenced by `--baseline`.
//!
//! `--format jsonl` writes each finding object on its own line, and nothing else. Fields
//! are only ever added within a version; removing or changing one bumps `version`.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use super::ReportOptions;
use crate::findings::{Finding, Location};
use crate::scan::{ScanReport, SkipReason, Stats};

/// Version of the JSON contract.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Vec<FindingOut<'a>>,
    stats: StatsOut,
}

#[derive(Serialize)]
struct RuleOut<'a> {
    id: &'a str,
    name: &'a str,
    severity: &'a str,
}

#[derive(Serialize)]
struct RotationOut<'a> {
    url: Option<&'a str>,
    steps: &'a str,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    rule: RuleOut<'a>,
    secret: String,
    fingerprint: &'a str,
    entropy: f64,
    rotation: RotationOut<'a>,
    locations: &'a [Location],
}

#[derive(Serialize)]
struct StatsOut {
    blobs_scanned: u64,
    bytes_scanned: u64,
    skipped: BTreeMap<&'static str, u64>,
    suppressed: u64,
    baselined: u64,
    submodules: u64,
    shallow: bool,
    duration_ms: u64,
}

fn finding(f: &Finding, options: ReportOptions) -> FindingOut<'_> {
    FindingOut {
        rule: RuleOut {
            id: &f.rule_id,
            name: &f.rule_name,
            severity: f.severity.as_str(),
        },
        secret: f.shown_secret(options.show_secrets),
        fingerprint: &f.fingerprint,
        entropy: f.entropy,
        rotation: RotationOut {
            url: f.rotate_url.as_deref(),
            steps: &f.rotation,
        },
        locations: &f.locations,
    }
}

fn stats(s: &Stats) -> StatsOut {
    StatsOut {
        blobs_scanned: s.blobs_scanned,
        bytes_scanned: s.bytes_scanned,
        skipped: SkipReason::ALL
            .iter()
            .map(|r| (r.as_str(), s.skipped(*r)))
            .collect(),
        suppressed: s.suppressed,
        baselined: s.baselined,
        submodules: s.submodules,
        shallow: s.shallow,
        duration_ms: s.duration_ms,
    }
}

/// Writes the whole document.
pub fn write(
    report: &ScanReport,
    options: ReportOptions,
    out: &mut dyn Write,
) -> Result<(), super::Error> {
    let doc = Document {
        version: VERSION,
        findings: report
            .findings
            .iter()
            .map(|f| finding(f, options))
            .collect(),
        stats: stats(&report.stats),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

/// Writes one finding per line.
pub fn write_lines(
    report: &ScanReport,
    options: ReportOptions,
    out: &mut dyn Write,
) -> Result<(), super::Error> {
    for f in &report.findings {
        serde_json::to_writer(&mut *out, &finding(f, options))?;
        writeln!(out)?;
    }
    Ok(())
}
