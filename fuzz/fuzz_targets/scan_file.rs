//! Any bytes, as a file on disk: the whole per-blob pipeline (binary sniffing, archives,
//! base64 bodies, the keyword prefilter, every rule and its filters, line and column
//! arithmetic), then every report format, with and without secrets shown.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use keyhound::report::{self, Format, ReportOptions};
use keyhound::{RuleSet, ScanOptions, Scanner, Target};
use libfuzzer_sys::fuzz_target;

static RULES: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::builtin().expect("built-in rules"));
static SCANNER: LazyLock<Scanner> = LazyLock::new(|| Scanner::new(&RULES).expect("rules compile"));
// One directory per process: libFuzzer's `-fork`/`-jobs` run several at once.
static DIR: LazyLock<PathBuf> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("keyhound-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
});

/// The byte offset of a 1-based line and column, counted as keyhound counts them: columns are
/// characters, so UTF-8 continuation bytes do not start one.
fn offset_of(data: &[u8], line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += data[start..].iter().position(|&b| b == b'\n')? + 1;
    }
    let mut col = 1;
    let mut at = start;
    while col < column {
        at += 1;
        if at > data.len() {
            return None;
        }
        if at == data.len() || !(0x80..0xC0).contains(&data[at]) {
            col += 1;
        }
    }
    Some(at)
}

fuzz_target!(|data: &[u8]| {
    let file = DIR.join("input");
    std::fs::write(&file, data).expect("write input");
    let mut options = ScanOptions::new(Target::Path(file));
    options.threads = 1;
    let scan = SCANNER
        .scan(&options)
        .expect("a readable file always scans");
    // Positions: without base64 decoding and archives, every finding of a UTF-8 text file is
    // where its location says, and ends where its end says.
    if !keyhound::scan::is_binary(data) && std::str::from_utf8(data).is_ok() {
        let mut plain = ScanOptions::new(Target::Path(DIR.join("input")));
        plain.threads = 1;
        plain.decode_base64 = false;
        plain.archives = false;
        let report = SCANNER.scan(&plain).expect("a readable file always scans");
        for f in &report.findings {
            for loc in &f.locations {
                let start = offset_of(data, loc.line, loc.column);
                let end = offset_of(data, loc.end_line, loc.end_column);
                assert!(
                    start.is_some_and(|s| data[s..].starts_with(f.secret.as_bytes())),
                    "rule {}: {}:{} does not start {:?}",
                    f.rule_id,
                    loc.line,
                    loc.column,
                    f.secret
                );
                assert_eq!(
                    end.zip(start).map(|(e, s)| e - s),
                    Some(f.secret.len()),
                    "rule {}: end {}:{}",
                    f.rule_id,
                    loc.end_line,
                    loc.end_column
                );
            }
        }
    }
    for format in [Format::Human, Format::Json, Format::Jsonl, Format::Sarif] {
        for show_secrets in [false, true] {
            let options = ReportOptions {
                show_secrets,
                color: true,
            };
            let mut out = Vec::new();
            report::write(&scan, RULES.rules(), format, options, &mut out).expect("report");
            if !show_secrets {
                // Redaction: no finding's secret may appear in a redacted report, but for the
                // published values (`keyboard cat`) that rules name in their titles.
                for f in &scan.findings {
                    let published = RULES
                        .rules()
                        .iter()
                        .any(|r| r.id == f.rule_id && r.known_value);
                    if f.secret.len() >= 12 && !published {
                        assert!(
                            !out.windows(f.secret.len())
                                .any(|w| w == f.secret.as_bytes()),
                            "{format:?} report shows a secret of rule {}",
                            f.rule_id
                        );
                    }
                }
            }
        }
    }
});
