//! Every built-in rule's examples through the whole command, not only the engine that
//! `keyhound rules check` runs: each example, written to a file of its own, gives a finding of
//! its rule, and every finding's line and column (start and end) point at its secret's text.

mod util;

use std::collections::BTreeMap;

use keyhound::RuleSet;
use util::Dir;

/// The byte offset of a 1-based line and column, counted as reports count them: columns are
/// characters, so UTF-8 continuation bytes do not start one.
fn offset_of(data: &[u8], line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += data[start..].iter().position(|&b| b == b'\n')? + 1;
    }
    let mut at = start;
    for _ in 1..column {
        at += 1;
        while at < data.len() && (0x80..0xC0).contains(&data[at]) {
            at += 1;
        }
        if at > data.len() {
            return None;
        }
    }
    Some(at)
}

#[test]
fn every_example_is_found_at_the_place_its_finding_names() {
    let rules = RuleSet::builtin().expect("built-in rules load");
    let dir = Dir::new();
    // Path rules read only files of their names; their examples say so by path, not content.
    let mut written: BTreeMap<String, String> = BTreeMap::new();
    for rule in rules.rules().iter().filter(|r| r.path.is_none()) {
        for (i, example) in rule.examples.iter().enumerate() {
            let rel = format!("{}/{i}.txt", rule.id);
            dir.write(&rel, example);
            written.insert(rel, rule.id.clone());
        }
    }
    assert!(written.len() > 2000, "{} examples", written.len());

    let out = dir.run(&["scan", ".", "--format", "json", "--show-secrets"]);
    assert_eq!(out.status.code(), Some(1));
    let report: util::Report = serde_json::from_slice(&out.stdout).expect("JSON report");

    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut misplaced = Vec::new();
    for f in &report.findings {
        for loc in &f.locations {
            let path = loc.path.clone().expect("files have paths");
            found
                .entry(path.clone())
                .or_default()
                .push(f.rule.id.clone());
            let data = std::fs::read(dir.path().join(&path)).expect("read example");
            let start = offset_of(&data, loc.line, loc.column);
            let end = offset_of(&data, loc.end_line, loc.end_column);
            let at_start = start.is_some_and(|s| data[s..].starts_with(f.secret.as_bytes()));
            let spans = start.zip(end).is_some_and(|(s, e)| e - s == f.secret.len());
            if !at_start || !spans {
                misplaced.push(format!(
                    "{path}: {} at {}:{}-{}:{} is not {:?}",
                    f.rule.id, loc.line, loc.column, loc.end_line, loc.end_column, f.secret
                ));
            }
        }
    }
    assert!(misplaced.is_empty(), "{}", misplaced.join("\n"));

    // Rules' examples share values (`generic-secret` and `c-define-secret` both find
    // `#define SECRET "…"`), and one secret matched by several rules is one finding, owned by
    // the most specific rule. So an example reported under another rule is scanned again alone.
    let missed: Vec<String> = written
        .iter()
        .filter(|(path, rule)| !found.get(*path).is_some_and(|rules| rules.contains(rule)))
        .filter(|(path, rule)| {
            let (_, alone) = dir.scan_json(&[path.as_str()]);
            !alone.findings.iter().any(|f| f.rule.id == **rule)
        })
        .map(|(path, rule)| format!("{path}: no finding of {rule}"))
        .collect();
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}
