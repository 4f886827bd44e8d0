//! The report for people: findings grouped by severity then rule, each with its redacted
//! secret, first location, how many more, and what to do; then a summary.

use std::io::Write;

use super::{ReportOptions, sanitize};
use crate::findings::{Finding, Location, SourceKind};
use crate::rules::Severity;
use crate::scan::{ScanReport, SkipReason};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let label = format!("{:<8}", s.as_str().to_uppercase());
        let code = match s {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
        };
        self.wrap(code, &label)
    }
    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }
}

/// `path:line:column`, or `<stdin>:line:column`.
pub fn place(loc: &Location) -> String {
    let path = match (&loc.path, loc.source) {
        (Some(p), _) => sanitize(p),
        (None, SourceKind::Stdin) => "<stdin>".to_string(),
        (None, _) => match &loc.blob {
            Some(blob) => format!("<unreachable blob {}>", &blob[..blob.len().min(12)]),
            None => "<unknown>".to_string(),
        },
    };
    format!("{path}:{}:{}", loc.line, loc.column)
}

/// ` (matched by password-config-line)`: the place was found by another rule than the one
/// the finding is filed under (one finding per secret takes the most specific rule), so a
/// reader looking at `POSTGRES_PASSWORD:` under a URL rule learns why that line is listed.
fn matched_by(loc: &Location, paint: &Paint) -> String {
    loc.matched_by.as_deref().map_or_else(String::new, |id| {
        format!(" {}", paint.dim(&format!("(matched by {})", sanitize(id))))
    })
}

fn provenance(loc: &Location) -> Option<String> {
    let commit = loc.commit.as_deref()?;
    let short = &commit[..commit.len().min(12)];
    let mut s = format!("commit {short}");
    if let Some(a) = &loc.author {
        s.push_str(&format!(" by {}", sanitize(a)));
        if let Some(e) = &loc.email {
            s.push_str(&format!(" <{}>", sanitize(e)));
        }
    }
    if let Some(d) = &loc.date {
        s.push_str(&format!(" on {d}"));
    }
    Some(s)
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Writes the report.
pub fn write(
    report: &ScanReport,
    options: ReportOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let paint = Paint { on: options.color };
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by(|a, b| (a.severity, &a.rule_id).cmp(&(b.severity, &b.rule_id)));
    for f in &findings {
        writeln!(
            out,
            "{} {}  {}",
            paint.severity(f.severity),
            paint.bold(&f.rule_id),
            sanitize(&f.rule_name)
        )?;
        writeln!(
            out,
            "  secret  {}",
            sanitize(&f.shown_secret(options.show_secrets))
        )?;
        let first = &f.locations[0];
        writeln!(
            out,
            "  found   {}{}",
            place(first),
            matched_by(first, &paint)
        )?;
        if let Some(p) = provenance(first) {
            writeln!(out, "          {}", paint.dim(&p))?;
        }
        // The first place is the working tree's copy, or the history place whose path sorts
        // first: say separately which commit brought the secret in.
        if let Some(oldest) = f.introduced()
            && !std::ptr::eq(oldest, first)
            && let Some(p) = provenance(oldest)
        {
            writeln!(
                out,
                "  added   {}{}",
                paint.dim(&format!("{p}, {}", place(oldest))),
                matched_by(oldest, &paint)
            )?;
        }
        if f.locations.len() > 1 {
            writeln!(
                out,
                "          {}",
                paint.dim(&format!(
                    "+{} more",
                    plural(f.locations.len() - 1, "location", "locations")
                ))
            )?;
        }
        let mut lines = f.rotation.lines();
        if let Some(l) = lines.next() {
            writeln!(out, "  rotate  {}", l.trim())?;
        }
        for l in lines {
            writeln!(out, "          {}", l.trim())?;
        }
        writeln!(out)?;
    }
    let s = &report.stats;
    let locations: usize = report.findings.iter().map(|f| f.locations.len()).sum();
    if report.findings.is_empty() {
        writeln!(out, "{}", paint.bold("No secrets found."))?;
    } else {
        let mut by_sev = Vec::new();
        for sev in [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
        ] {
            let n = report.findings.iter().filter(|f| f.severity == sev).count();
            if n > 0 {
                by_sev.push(format!("{n} {sev}"));
            }
        }
        writeln!(
            out,
            "{} ({}) in {}.",
            paint.bold(&format!(
                "Found {}",
                plural(report.findings.len(), "secret", "secrets")
            )),
            by_sev.join(", "),
            plural(locations, "location", "locations")
        )?;
    }
    let mut summary = format!(
        "Scanned {} ({}) in {} ms.",
        plural(s.blobs_scanned as usize, "blob", "blobs"),
        human_bytes(s.bytes_scanned),
        s.duration_ms
    );
    let skipped: Vec<String> = SkipReason::ALL
        .iter()
        .filter(|r| s.skipped(**r) > 0)
        .map(|r| format!("{} {}", s.skipped(*r), r.as_str().replace('_', " ")))
        .collect();
    if !skipped.is_empty() {
        summary.push_str(&format!(" Skipped: {}.", skipped.join(", ")));
    }
    if s.suppressed > 0 {
        summary.push_str(&format!(" Allowed: {}.", s.suppressed));
    }
    writeln!(out, "{summary}")?;
    let staged = report
        .findings
        .iter()
        .any(|f| f.locations.iter().any(|l| l.source == SourceKind::Staged));
    if staged {
        writeln!(
            out,
            "\nThis commit adds the secret(s) above, so it was stopped. If a secret is real, \
             take it out of the commit and rotate it. If it is a false positive, add \
             `keyhound:allow` in a comment on its line, or allow it in .keyhound.toml \
             ([allowlist] paths, regexes or stopwords). `git commit --no-verify` skips the \
             check once."
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_readable() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1500), "1.5 KB");
        assert_eq!(human_bytes(91_000_000), "91.0 MB");
    }
}
