//! A Markdown summary of a scan, for GitHub's job summary (`$GITHUB_STEP_SUMMARY`) and pull
//! request comments: one table row per finding, secrets redacted.

use std::io::Write;

use super::human::place;
use super::{ReportOptions, sanitize};
use crate::findings::Finding;
use crate::scan::ScanReport;

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    sanitize(text)
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('`', "'")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes the summary.
pub fn write(
    report: &ScanReport,
    options: ReportOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let n = report.findings.len();
    if n == 0 {
        writeln!(out, "## keyhound: no secrets found\n")?;
    } else {
        writeln!(
            out,
            "## keyhound: {n} secret{} found\n",
            if n == 1 { "" } else { "s" }
        )?;
        writeln!(
            out,
            "| Severity | Rule | Secret | Location | Added in | Rotate |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|")?;
        let mut findings: Vec<&Finding> = report.findings.iter().collect();
        findings.sort_by(|a, b| (a.severity, &a.rule_id).cmp(&(b.severity, &b.rule_id)));
        for f in findings {
            let first = &f.locations[0];
            let mut location = cell(&place(first));
            if f.locations.len() > 1 {
                location.push_str(&format!(" (+{} more)", f.locations.len() - 1));
            }
            let commit = f
                .introduced()
                .and_then(|l| l.commit.as_deref())
                .map(|c| format!("`{}`", &c[..c.len().min(12)]))
                .unwrap_or_default();
            let rotate = f
                .rotate_url
                .as_deref()
                .map(|u| format!("[rotate]({u})"))
                .unwrap_or_default();
            writeln!(
                out,
                "| {} | `{}` | `{}` | {location} | {commit} | {rotate} |",
                f.severity,
                cell(&f.rule_id),
                cell(&f.shown_secret(options.show_secrets)),
            )?;
        }
        writeln!(out)?;
    }
    let s = &report.stats;
    writeln!(
        out,
        "Scanned {} blobs ({} bytes) in {} ms.\n",
        s.blobs_scanned, s.bytes_scanned, s.duration_ms
    )?;
    Ok(())
}
