//! Repositories named by URL: cloned bare by git into the temporary directory, audited, and
//! removed; credentials in the URL never reach a report or a message.

mod util;

use serde_json::Value;
use util::{Dir, Fake, Repo};

const PAT: &str = "github-pat-classic";

/// Keyhound's temporary directory for one test, so what a clone leaves behind can be counted.
fn with_tmpdir<'a>(cmd: &'a mut std::process::Command, tmp: &Dir) -> &'a mut std::process::Command {
    cmd.env("TMPDIR", tmp.path())
}

fn leftovers(tmp: &Dir) -> Vec<String> {
    std::fs::read_dir(tmp.path())
        .expect("read temp dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_file_url_is_cloned_and_its_history_audited() {
    let origin = Repo::new();
    let mut fake = Fake::new(310);
    let (a, b) = (fake.github("ghp_"), fake.github("ghp_"));
    origin.write("README.md", "hello\n");
    origin.commit("init");
    origin.write("ci.env", format!("GITHUB_TOKEN={a}\n"));
    let on_main = origin.commit("ci token");
    origin.git(&["rm", "-q", "ci.env"]);
    origin.commit("remove it");
    origin.git(&["checkout", "-q", "-b", "feature"]);
    origin.write("deploy/app.env", format!("X=1\nGH_TOKEN={b}\n"));
    let on_branch = origin.commit("feature token");
    origin.git(&["checkout", "-q", "main"]);

    let url = format!("file://{}", origin.path().display());
    let tmp = Dir::new();
    let work = Dir::new();
    let out = with_tmpdir(&mut work.cmd(&["scan", &url, "--format", "json"]), &tmp)
        .output()
        .expect("run keyhound");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: util::Report = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(
        report.history(),
        vec![
            (PAT.into(), "history".into(), "ci.env".into(), 1, on_main),
            (
                PAT.into(),
                "history".into(),
                "deploy/app.env".into(),
                2,
                on_branch
            ),
        ]
    );
    assert!(leftovers(&tmp).is_empty(), "{:?}", leftovers(&tmp));

    // SARIF names the URL as the repository and no directory that no longer exists.
    let out = with_tmpdir(&mut work.cmd(&["scan", &url, "--format", "sarif"]), &tmp)
        .output()
        .expect("run keyhound");
    assert_eq!(out.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let run = &log["runs"][0];
    assert_eq!(
        run["versionControlProvenance"][0]["repositoryUri"],
        url.as_str()
    );
    assert!(run.get("originalUriBaseIds").is_none(), "{run}");
    assert!(leftovers(&tmp).is_empty());
}

#[test]
fn a_url_that_cannot_be_cloned_is_an_error_without_its_credentials() {
    let missing = Dir::new();
    let url = format!(
        "file://x-access-token:hunter2hunter2@localhost{}/nothing-here",
        missing.path().display()
    );
    let tmp = Dir::new();
    let out = with_tmpdir(&mut missing.cmd(&["scan", &url]), &tmp)
        .output()
        .expect("run keyhound");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("keyhound:"))
        .collect();
    assert_eq!(ours.len(), 1, "{stderr}");
    assert!(ours[0].contains("git clone file://localhost"), "{stderr}");
    assert!(!ours[0].contains("hunter2"), "{stderr}");
    assert!(leftovers(&tmp).is_empty(), "{:?}", leftovers(&tmp));

    // A URL has no work tree or index.
    for flag in ["--staged", "--no-history"] {
        let out = missing.run(&[
            "scan",
            flag,
            "https://user:hunter2hunter2@git.example.test/r.git",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains("https://git.example.test/r.git"),
            "{stderr}"
        );
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}

#[test]
fn a_directory_with_a_url_like_name_is_scanned_as_a_directory() {
    let dir = Dir::new();
    let mut fake = Fake::new(311);
    let token = fake.github("ghp_");
    dir.write("git@host:repo/app.env", format!("GITHUB_TOKEN={token}\n"));
    let (code, report) = dir.scan_json(&["git@host:repo"]);
    assert_eq!(code, 1);
    assert_eq!(report.places(), vec![(PAT.into(), "app.env".into(), 1, 14)]);

    // Named without a scheme, as Kingfisher takes it: not a URL here, and the error says how.
    let out = dir.run(&["scan", "github.com/org/repo"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("name it by URL: https://github.com/org/repo"),
        "{stderr}"
    );
}

#[test]
fn a_checkouts_origin_url_loses_its_credentials_in_sarif() {
    // `actions/checkout` and many CI systems leave the token in `remote.origin.url`.
    let repo = Repo::new();
    let mut fake = Fake::new(312);
    repo.write("app.env", format!("GITHUB_TOKEN={}\n", fake.github("ghp_")));
    repo.commit("token");
    repo.git(&[
        "remote",
        "add",
        "origin",
        "https://x-access-token:hunter2hunter2@github.com/org/repo.git",
    ]);
    let out = repo.dir.run(&["scan", ".", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_eq!(
        log["runs"][0]["versionControlProvenance"][0]["repositoryUri"],
        "https://github.com/org/repo.git"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"));
}

#[test]
fn an_interrupted_clone_is_removed() {
    // A stand-in `git` that makes the clone directory non-empty and then takes its time, so
    // the interrupt lands mid-clone.
    let bin = Dir::new();
    let git = bin.write(
        "git",
        "#!/bin/sh\nfor last; do :; done\necho partial > \"$last/objects\"\nexec sleep 5\n",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&git, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let tmp = Dir::new();
    let work = Dir::new();
    let mut child = with_tmpdir(
        &mut work.cmd(&["scan", "https://git.example.test/r.git"]),
        &tmp,
    )
    .env("PATH", path)
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("start keyhound");
    // Wait for the stand-in to have written into the clone directory.
    let started = std::time::Instant::now();
    while !leftovers(&tmp)
        .iter()
        .any(|d| tmp.path().join(d).join("objects").exists())
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no clone started: {:?}",
            leftovers(&tmp)
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let status = child.wait().expect("wait for keyhound");
    assert_eq!(status.code(), Some(130));
    assert!(leftovers(&tmp).is_empty(), "{:?}", leftovers(&tmp));
}

#[test]
fn a_url_without_git_on_the_path_is_an_error_saying_so() {
    let empty = Dir::new();
    let tmp = Dir::new();
    let out = with_tmpdir(
        &mut empty.cmd(&["scan", "https://user:hunter2hunter2@git.example.test/r.git"]),
        &tmp,
    )
    .env("PATH", empty.path())
    .output()
    .expect("run keyhound");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr
            .contains("cannot run git to clone https://git.example.test/r.git (is git installed?)"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(leftovers(&tmp).is_empty(), "{:?}", leftovers(&tmp));
}
