//! Secrets inside base64 blobs: recorded HTTP bodies, encoded configuration, nested
//! encodings; reported at the blob's place.

mod util;

use util::{Dir, Fake};

const PAT: &str = "github-pat-classic";

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

#[test]
fn a_token_in_a_base64_body_is_found_at_the_body() {
    let dir = Dir::new();
    let mut fake = Fake::new(911);
    let (a, b) = (fake.github("ghp_"), fake.github("ghp_"));
    let body = base64(format!("{{\"token\":\"{a}\",\"expires_at\":\"2017-01-01\"}}").as_bytes());
    dir.write(
        "cassettes/create_token.json",
        format!(
            "{{\n  \"response\": {{\n    \"body\": {{\"base64_string\": \"{body}\"}}\n  }}\n}}\n"
        ),
    );
    // Encoded twice: an environment file inside a base64 document inside a base64 value.
    let inner = base64(format!("GITHUB_TOKEN={b}\n").as_bytes());
    let outer = base64(format!("kind: bundle\nenv: {inner}\n").as_bytes());
    dir.write("deploy/bundle.yaml", format!("data: {outer}\n"));
    // A bare value encoded twice: the middle layer is one line of text, which must not be
    // taken for a one-line password file and left undecoded.
    let (d,) = (fake.github("ghp_"),);
    let twice = base64(base64(d.as_bytes()).as_bytes());
    dir.write("Dockerfile", format!("ARG hook=\"{twice}\"\n"));
    // Three levels deep is past the limit.
    let (c,) = (fake.github("ghp_"),);
    let deep =
        base64(base64(base64(format!("GITHUB_TOKEN={c}\n").as_bytes()).as_bytes()).as_bytes());
    dir.write("deep.txt", format!("v: {deep}\n"));
    let (code, report) = dir.scan_json(&[".", "--show-secrets"]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        [
            (PAT.to_string(), "Dockerfile".to_string(), 1, 11),
            (
                PAT.to_string(),
                "cassettes/create_token.json".to_string(),
                3,
                32
            ),
            (PAT.to_string(), "deploy/bundle.yaml".to_string(), 1, 7),
        ]
    );
    let secrets: Vec<&str> = report.findings.iter().map(|f| f.secret.as_str()).collect();
    assert!(secrets.contains(&a.as_str()) && secrets.contains(&b.as_str()));

    let (code, report) = dir.scan_json(&[".", "--no-base64"]);
    assert_eq!((code, report.findings.len()), (0, 0));
}

#[test]
fn encoded_blobs_other_rules_match_are_not_reported_twice_and_allow_comments_apply() {
    let dir = Dir::new();
    let mut fake = Fake::new(912);
    let a = fake.github("ghp_");
    // A Kubernetes Secret's value: its own rule reports the decoded token once.
    let value = base64(format!("{a}-and-some-more-text").as_bytes());
    dir.write(
        "secret.yaml",
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ndata:\n  token: {value}\n"),
    );
    let b = fake.github("ghp_");
    let body = base64(format!("{{\"token\":\"{b}\"}}").as_bytes());
    dir.write(
        "fixture.json",
        format!("{{\"b\": \"{body}\"}} // keyhound:allow\n"),
    );
    let (_, report) = dir.scan_json(&[".", "--show-secrets"]);
    let places: Vec<(String, String)> = report
        .places()
        .into_iter()
        .map(|(rule, path, _, _)| (rule, path))
        .collect();
    assert_eq!(places.len(), 1, "{places:?}");
    assert_eq!(places[0].1, "secret.yaml");
    assert_eq!(report.stats.suppressed, 1);
}
