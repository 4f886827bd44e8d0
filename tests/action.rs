//! The GitHub Action's scan step (`action/scan.sh`), driven locally with the environment
//! variables and event payloads GitHub sets, against repositories built in the test.

mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use util::{Fake, Repo};

const ZERO: &str = "0000000000000000000000000000000000000000";

struct Run {
    out: Output,
    outputs: String,
    summary: String,
    sarif: serde_json::Value,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("action/scan.sh")
}

fn run_action(repo: &Repo, event: &str, payload: serde_json::Value, fail: &str) -> Run {
    let work = repo.path();
    let event_path = work.join(".git/event.json");
    let output = work.join(".git/github_output");
    let summary = work.join(".git/step_summary");
    let sarif = work.join(".git/out.sarif");
    std::fs::write(&event_path, payload.to_string()).expect("event");
    let _ = std::fs::remove_file(&output);
    let _ = std::fs::remove_file(&summary);
    let out = Command::new("bash")
        .arg(script())
        .current_dir(work)
        .env("KEYHOUND", util::program())
        .env("GITHUB_EVENT_NAME", event)
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_WORKSPACE", work)
        .env("GITHUB_ACTIONS", "true")
        .env("CI", "true")
        .env("INPUT_PATH", ".")
        .env("INPUT_SARIF_FILE", &sarif)
        .env("INPUT_FAIL_ON_FINDINGS", fail)
        .env("INPUT_ARGS", "")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run the action script");
    Run {
        outputs: std::fs::read_to_string(&output).unwrap_or_default(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        sarif: serde_json::from_slice(&std::fs::read(&sarif).unwrap_or_default())
            .unwrap_or(serde_json::Value::Null),
        out,
    }
}

fn result_paths(run: &Run) -> Vec<String> {
    let mut v: Vec<String> = run.sarif["runs"][0]["results"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| {
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// main holds an old secret; `before` is main's tip; two commits are pushed on top.
fn pushed(fake: &mut Fake) -> (Repo, String, String, String) {
    let repo = Repo::new();
    repo.write("old.env", format!("T={}\n", fake.github("ghp_")));
    let before = repo.commit("old secret");
    let token = fake.github("ghp_");
    repo.write("new.env", format!("x\nT={token}\n"));
    repo.commit("new secret");
    repo.write("README.md", "docs\n");
    let after = repo.commit("docs");
    (repo, before, after, token)
}

#[test]
fn push_scans_the_pushed_commits_and_fails() {
    let mut fake = Fake::new(400);
    let (repo, before, after, token) = pushed(&mut fake);
    let run = run_action(
        &repo,
        "push",
        serde_json::json!({"before": before, "after": after}),
        "true",
    );
    assert_eq!(
        run.out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.out.stderr)
    );
    assert_eq!(result_paths(&run), vec!["new.env"]);
    assert!(run.outputs.contains("findings=1"), "{}", run.outputs);
    assert!(run.outputs.contains("sarif-file="), "{}", run.outputs);
    assert!(
        run.summary.contains("## keyhound: 1 secret found"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("github-pat-classic") && run.summary.contains("new.env:2:3"));
    assert!(!run.summary.contains(&token), "summary leaked the secret");
    assert!(String::from_utf8_lossy(&run.out.stdout).contains("::error::"));
}

#[test]
fn fail_on_findings_false_reports_without_failing() {
    let mut fake = Fake::new(401);
    let (repo, before, after, _) = pushed(&mut fake);
    let run = run_action(
        &repo,
        "push",
        serde_json::json!({"before": before, "after": after}),
        "false",
    );
    assert_eq!(run.out.status.code(), Some(0));
    assert!(run.outputs.contains("findings=1"));
}

#[test]
fn new_branch_push_with_all_zero_before() {
    let mut fake = Fake::new(402);
    let repo = Repo::new();
    repo.write("old.env", format!("T={}\n", fake.github("ghp_")));
    repo.commit("main");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("f.env", format!("T={}\n", fake.github("ghp_")));
    let after = repo.commit("feature");
    let run = run_action(
        &repo,
        "push",
        serde_json::json!({"before": ZERO, "after": after}),
        "true",
    );
    assert_eq!(run.out.status.code(), Some(1));
    assert_eq!(result_paths(&run), vec!["f.env"]);
}

#[test]
fn deleted_branch_push_scans_nothing() {
    let mut fake = Fake::new(403);
    let (repo, before, _, _) = pushed(&mut fake);
    let run = run_action(
        &repo,
        "push",
        serde_json::json!({"before": before, "after": ZERO}),
        "true",
    );
    assert_eq!(run.out.status.code(), Some(0));
    assert_eq!(run.sarif["version"], "2.1.0");
}

#[test]
fn pull_request_scans_base_to_head() {
    let mut fake = Fake::new(404);
    let repo = Repo::new();
    repo.write("old.env", format!("T={}\n", fake.github("ghp_")));
    let base = repo.commit("main");
    repo.git(&["checkout", "-q", "-b", "pr"]);
    repo.write("src/pr.env", format!("T={}\n", fake.github("ghp_")));
    let head = repo.commit("pr");
    let payload =
        serde_json::json!({"pull_request": {"base": {"sha": base}, "head": {"sha": head}}});
    let run = run_action(&repo, "pull_request", payload, "true");
    assert_eq!(run.out.status.code(), Some(1));
    assert_eq!(result_paths(&run), vec!["src/pr.env"]);
}

#[test]
fn schedule_scans_the_whole_history() {
    let mut fake = Fake::new(405);
    let (repo, _, _, _) = pushed(&mut fake);
    let run = run_action(&repo, "schedule", serde_json::json!({}), "true");
    assert_eq!(run.out.status.code(), Some(1));
    assert_eq!(
        result_paths(&run),
        vec!["new.env", "new.env", "old.env", "old.env"]
    );
}

#[test]
fn action_yml_declares_inputs_outputs_and_a_composite_run() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"))
        .expect("action.yml");
    for needle in [
        "using: composite",
        "fail-on-findings:",
        "sarif-file:",
        "value: ${{ steps.scan.outputs.sarif-file }}",
        "actions/cache@",
        "cargo install --locked --path \"$GITHUB_ACTION_PATH\"",
        "action/scan.sh",
    ] {
        assert!(text.contains(needle), "action.yml lacks {needle}");
    }
}
