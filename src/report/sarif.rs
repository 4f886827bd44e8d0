//! SARIF 2.1.0 (`--format sarif`) for GitHub code scanning and other SARIF consumers.
//!
//! One result per location. Every rule of the run is described in `tool.driver.rules` with
//! short and full descriptions, help in text and markdown (the rotation steps) and a
//! `helpUri`. URIs are relative to `%SRCROOT%`, the scanned root. `partialFingerprints`
//! hash the rule, the secret and the path, so an alert survives re-runs and the secret moving
//! to another line. History results name their commit in the message and in `properties`.
//! Built with the `serde-sarif` model so the shape follows the schema; the output is checked
//! against the vendored schema in the tests and with the SARIF Multitool's GitHub rules.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::json;
use serde_sarif::sarif;

use super::ReportOptions;
use crate::findings::{Finding, Location, SourceKind};
use crate::rules::{Rule, Severity};
use crate::scan::ScanReport;

const INFORMATION_URI: &str = "https://github.com/keyhound/keyhound";

fn level(s: Severity) -> sarif::ResultLevel {
    match s {
        Severity::Critical | Severity::High => sarif::ResultLevel::Error,
        Severity::Medium => sarif::ResultLevel::Warning,
        Severity::Low => sarif::ResultLevel::Note,
    }
}

fn level_str(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub ranks alerts by `security-severity` (0-10).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// `GitHub personal access token (classic)` → `GitHubPersonalAccessTokenClassic`: SARIF
/// rule names are identifiers, and must differ from the id.
fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn text(t: impl Into<String>) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder().text(t).build()
}

fn descriptor(rule: &Rule) -> sarif::ReportingDescriptor {
    let help_uri = rule
        .rotate_url
        .clone()
        .or_else(|| rule.references.first().cloned());
    let mut markdown = format!(
        "**{}** ({})\n\n**How to rotate:** {}\n",
        rule.name,
        rule.provider,
        rule.rotation.replace('\n', " ")
    );
    if let Some(url) = &rule.rotate_url {
        markdown.push_str(&format!("\nRevoke or rotate it here: <{url}>\n"));
    }
    if !rule.references.is_empty() {
        markdown.push_str("\n**References:**\n");
        for r in &rule.references {
            markdown.push_str(&format!("- <{r}>\n"));
        }
    }
    let mut props = BTreeMap::new();
    props.insert(
        "security-severity".to_string(),
        json!(security_severity(rule.severity)),
    );
    props.insert(
        "precision".to_string(),
        json!(if rule.generic { "medium" } else { "high" }),
    );
    props.insert(
        "problem.severity".to_string(),
        json!(level_str(rule.severity)),
    );
    let mut d = sarif::ReportingDescriptor::builder()
        .id(rule.id.clone())
        .name(pascal(&rule.name))
        .short_description(text(rule.name.clone()))
        .full_description(text(format!(
            "A {} ({}) was found. Anyone who can read the repository, or any of its clones and \
             forks, can use it until it is revoked.",
            rule.name, rule.provider
        )))
        .help(
            sarif::MultiformatMessageString::builder()
                .text(format!("How to rotate: {}", rule.rotation))
                .markdown(markdown)
                .build(),
        )
        .default_configuration(sarif::ReportingConfiguration {
            level: Some(json!(level_str(rule.severity))),
            ..Default::default()
        })
        .properties(sarif::PropertyBag {
            tags: Some(vec![
                "security".to_string(),
                "secret".to_string(),
                "external/cwe/cwe-798".to_string(),
            ]),
            additional_properties: props,
        })
        .build();
    d.help_uri = help_uri;
    d
}

/// Percent-encodes a relative path for a URI reference, keeping `/`.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a location lives, as a URI relative to `%SRCROOT%`.
fn artifact_uri(loc: &Location) -> String {
    match (&loc.path, loc.source, &loc.blob) {
        (Some(p), _, _) => uri_path(p),
        (None, SourceKind::Stdin, _) => "stdin".to_string(),
        (None, _, Some(blob)) => format!("unreachable-blob/{blob}"),
        (None, _, None) => "unknown".to_string(),
    }
}

/// The finding's fingerprint salted with the path: one alert per secret and file, stable
/// across runs and line moves. Same digest construction as the finding fingerprint.
fn partial_fingerprint(f: &Finding, loc: &Location) -> String {
    crate::findings::fingerprint(&f.fingerprint, artifact_uri(loc).as_bytes())
}

fn result(
    f: &Finding,
    rule_index: Option<usize>,
    loc: &Location,
    options: ReportOptions,
) -> sarif::Result {
    let mut message = format!(
        "{} `{}` found in {}.",
        f.rule_name,
        f.shown_secret(options.show_secrets),
        artifact_uri(loc)
    );
    let mut props = BTreeMap::new();
    props.insert("source".to_string(), json!(loc.source));
    props.insert("fingerprint".to_string(), json!(f.fingerprint));
    if let Some(commit) = &loc.commit {
        message.push_str(&format!(" Introduced in commit {commit}"));
        if let Some(a) = &loc.author {
            message.push_str(&format!(" by {a}"));
        }
        if let Some(d) = &loc.date {
            message.push_str(&format!(" on {d}"));
        }
        message.push('.');
        props.insert("commit".to_string(), json!(commit));
        if let Some(a) = &loc.author {
            props.insert("author".to_string(), json!(a));
        }
        if let Some(e) = &loc.email {
            props.insert("email".to_string(), json!(e));
        }
        if let Some(d) = &loc.date {
            props.insert("date".to_string(), json!(d));
        }
    }
    if let Some(blob) = &loc.blob {
        props.insert("blob".to_string(), json!(blob));
    }
    if let Some(url) = &f.rotate_url {
        message.push_str(&format!(" Rotate it at {url}."));
    }
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert("keyhound/v1".to_string(), partial_fingerprint(f, loc));
    let mut r = sarif::Result::builder()
        .rule_id(f.rule_id.clone())
        .level(level(f.severity))
        .message(sarif::Message {
            text: Some(message),
            ..Default::default()
        })
        .locations(vec![sarif::Location {
            physical_location: Some(sarif::PhysicalLocation {
                artifact_location: Some(sarif::ArtifactLocation {
                    uri: Some(artifact_uri(loc)),
                    uri_base_id: Some("%SRCROOT%".to_string()),
                    ..Default::default()
                }),
                region: Some(sarif::Region {
                    start_line: Some(loc.line as i64),
                    start_column: Some(loc.column as i64),
                    end_line: Some(loc.end_line as i64),
                    end_column: Some(loc.end_column as i64),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }])
        .partial_fingerprints(fingerprints)
        .properties(sarif::PropertyBag {
            tags: None,
            additional_properties: props,
        })
        .build();
    r.rule_index = rule_index.map(|i| i as i64);
    r
}

/// `file:///abs/dir/` for `%SRCROOT%`.
fn file_uri(dir: &std::path::Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut s = uri_path(&abs.to_string_lossy());
    if !s.ends_with('/') {
        s.push('/');
    }
    if s.starts_with('/') {
        format!("file://{s}")
    } else {
        format!("file:///{s}")
    }
}

/// Writes the SARIF log for `report`, describing `rules`.
pub fn write(
    report: &ScanReport,
    rules: &[Rule],
    options: ReportOptions,
    out: &mut dyn Write,
) -> Result<(), super::Error> {
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut results = Vec::new();
    for f in &report.findings {
        for loc in &f.locations {
            results.push(result(
                f,
                index.get(f.rule_id.as_str()).copied(),
                loc,
                options,
            ));
        }
    }
    let driver = sarif::ToolComponent::builder()
        .name("keyhound")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(rules.iter().map(descriptor).collect::<Vec<_>>())
        .build();
    let mut run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(json!("unicodeCodePoints"))
        .build();
    if let Some(root) = &report.context.root {
        let mut bases = BTreeMap::new();
        bases.insert(
            "%SRCROOT%".to_string(),
            sarif::ArtifactLocation {
                uri: Some(file_uri(root)),
                ..Default::default()
            },
        );
        run.original_uri_base_ids = Some(bases);
    }
    if let Some(repo) = &report.context.repository {
        let mut details = sarif::VersionControlDetails::builder()
            .repository_uri(repo.uri.clone())
            .build();
        details.revision_id = repo.head.clone();
        details.branch = repo.branch.clone();
        details.mapped_to = Some(sarif::ArtifactLocation {
            uri_base_id: Some("%SRCROOT%".to_string()),
            ..Default::default()
        });
        run.version_control_provenance = Some(vec![details]);
    }
    let log = sarif::Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json")
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_uris() {
        assert_eq!(
            pascal("GitHub personal access token (classic)"),
            "GitHubPersonalAccessTokenClassic"
        );
        assert_eq!(pascal("JSON web token"), "JSONWebToken");
        assert_eq!(uri_path("a b/c#d.env"), "a%20b/c%23d.env");
        assert_eq!(uri_path("dir/ü.txt"), "dir/%C3%BC.txt");
    }
}
