//! Report writers. They read [`Finding`](crate::findings::Finding)s and
//! [`Stats`](crate::scan::Stats), never engine types, and redact secrets unless told to show
//! them.

pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;

use std::io::Write;

use crate::scan::ScanReport;

/// A report could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Writing failed (a closed pipe, a full disk).
    #[error("cannot write the report")]
    Io(#[from] std::io::Error),
    /// Serialising failed.
    #[error("cannot serialise the report")]
    Json(#[from] serde_json::Error),
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: grouped, coloured on a terminal, with rotation steps.
    Human,
    /// One JSON document (see [`json`]).
    Json,
    /// One JSON finding per line.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

/// How to write.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    /// Print secrets in clear.
    pub show_secrets: bool,
    /// Use ANSI colours (human format only).
    pub color: bool,
}

/// Writes `report` in `format` to `out`.
pub fn write(
    report: &ScanReport,
    rules: &[crate::rules::Rule],
    format: Format,
    options: ReportOptions,
    out: &mut dyn Write,
) -> Result<(), Error> {
    match format {
        Format::Human => human::write(report, options, out)?,
        Format::Json => json::write(report, options, out)?,
        Format::Jsonl => json::write_lines(report, options, out)?,
        Format::Sarif => sarif::write(report, rules, options, out)?,
    }
    out.flush()?;
    Ok(())
}

/// Escapes control, bidi and zero-width characters so repository text cannot move the
/// cursor, recolour the terminal or reorder what a person reads.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let dangerous = c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        if dangerous {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                _ => out.push_str(&c.escape_unicode().to_string()),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_escapes_terminal_controls() {
        assert_eq!(sanitize("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(sanitize("x\u{202e}y\n"), "x\\u{202e}y\\n");
        assert_eq!(sanitize("plain/path.env"), "plain/path.env");
    }
}
