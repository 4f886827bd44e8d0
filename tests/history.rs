//! Whole-history scans of repositories built inside the test: provenance, deduplication,
//! branches, tags, renames, merges, unreachable blobs and unusual repositories.

mod util;

use util::{Fake, Repo};

const PAT: &str = "github-pat-classic";

fn h(
    rule: &str,
    source: &str,
    path: &str,
    line: usize,
    commit: &str,
) -> (String, String, String, usize, String) {
    (rule.into(), source.into(), path.into(), line, commit.into())
}

#[test]
fn secret_added_then_deleted_is_found_in_history_with_its_commit() {
    let repo = Repo::new();
    let mut fake = Fake::new(100);
    let token = fake.github("ghp_");
    repo.write("README.md", "hello\n");
    repo.commit("init");
    repo.write("deploy.env", format!("REGION=x\nGITHUB_TOKEN={token}\n"));
    let added = repo.commit("add deploy config");
    repo.git(&["rm", "-q", "deploy.env"]);
    repo.commit("remove it");
    let (code, report) = repo.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.history(),
        vec![h(PAT, "history", "deploy.env", 2, &added)]
    );
    let loc = &report.findings[0].locations[0];
    assert_eq!(loc.column, 14);
    assert_eq!(loc.author.as_deref(), Some("Ada Author"));
    assert_eq!(loc.email.as_deref(), Some("ada@example.test"));
    assert!(
        loc.date
            .as_deref()
            .is_some_and(|d| d.starts_with("2024-01-01T00:")),
        "{loc:?}"
    );
    assert!(loc.blob.is_some());
    // Only the files on disk: nothing.
    let (code, report) = repo.scan_json(&[".", "--no-history"]);
    assert_eq!((code, report.findings.len()), (0, 0));
}

#[test]
fn side_branch_and_tag_only_secrets_are_found() {
    let repo = Repo::new();
    let mut fake = Fake::new(101);
    let (a, b) = (fake.github("ghp_"), fake.aws_key_id());
    repo.write("a.txt", "base\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.env", format!("T={a}\n"));
    let on_branch = repo.commit("feature work");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["checkout", "-q", "-b", "tmp"]);
    repo.write("release.env", format!("AWS_ACCESS_KEY_ID={b}\n"));
    let tagged = repo.commit("release");
    repo.git(&["tag", "-a", "v1", "-m", "v1"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-q", "-D", "tmp"]);
    let (code, report) = repo.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.history(),
        vec![
            h("aws-access-key-id", "history", "release.env", 1, &tagged),
            h(PAT, "history", "feature.env", 1, &on_branch),
        ]
    );
}

#[test]
fn branch_limits_the_audit_to_the_history_a_ref_reaches() {
    let repo = Repo::new();
    let mut fake = Fake::new(103);
    let (a, b, c) = (fake.github("ghp_"), fake.aws_key_id(), fake.github("ghp_"));
    repo.write("base.env", format!("T={a}\n"));
    let on_main = repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.env", format!("AWS_ACCESS_KEY_ID={b}\n"));
    let on_feature = repo.commit("feature work");
    repo.git(&["tag", "-a", "v1", "-m", "v1"]);
    repo.git(&["checkout", "-q", "main"]);
    // On disk only, never committed: a finding whatever the history asked for.
    repo.write("local.env", format!("T={c}\n"));

    let (code, report) = repo.scan_json(&[".", "--branch", "main"]);
    assert_eq!(code, 1);
    assert_eq!(
        report.history(),
        vec![
            h(PAT, "history", "base.env", 1, &on_main),
            h(PAT, "worktree", "base.env", 1, ""),
            h(PAT, "worktree", "local.env", 1, ""),
        ]
    );
    let out = repo
        .dir
        .run(&["scan", ".", "--branch", "main", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 blob(s) with findings are not in the history of main"),
        "{stderr}"
    );

    // The feature branch reaches both commits; a tag names a commit as well as a branch does.
    for refs in [
        &["--branch", "feature"][..],
        &["--branch", "v1", "--branch", "main"],
    ] {
        let mut args = vec![".", "--no-worktree"];
        args.extend_from_slice(refs);
        let (code, report) = repo.scan_json(&args);
        assert_eq!(code, 1, "{refs:?}");
        assert_eq!(
            report.history(),
            vec![
                h(
                    "aws-access-key-id",
                    "history",
                    "feature.env",
                    1,
                    &on_feature
                ),
                h(PAT, "history", "base.env", 1, &on_main),
            ],
            "{refs:?}"
        );
    }

    // A ref that names nothing is an error naming it, before anything is scanned; --branch
    // with a push range or the index is a usage error.
    let out = repo.dir.run(&["scan", ".", "--branch", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`no-such-branch` given to --branch"),
        "{stderr}"
    );
    for other in [
        &["--git-range", "HEAD~1..HEAD"][..],
        &["--staged"],
        &["--no-history"],
    ] {
        let mut args = vec!["scan", ".", "--branch", "main"];
        args.extend_from_slice(other);
        assert_eq!(repo.dir.run(&args).status.code(), Some(2), "{other:?}");
    }
}

#[test]
fn one_secret_in_three_files_across_five_commits_is_one_finding() {
    let repo = Repo::new();
    let mut fake = Fake::new(102);
    let token = fake.github("ghp_");
    repo.write("a.env", format!("T={token}\n"));
    let c1 = repo.commit("one");
    repo.write("b/config.yml", format!("x: 1\ntoken: {token}\n"));
    let c2 = repo.commit("two");
    repo.write("a.env", format!("# moved down\nT={token}\n"));
    let c3 = repo.commit("three");
    repo.write("c.txt", format!("{token}\n"));
    let c4 = repo.commit("four");
    repo.write("unrelated.txt", "nothing\n");
    repo.commit("five");
    let (code, report) = repo.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(report.findings.len(), 1, "{:?}", report.history());
    assert_eq!(
        report.history(),
        vec![
            h(PAT, "history", "a.env", 1, &c1),
            h(PAT, "history", "a.env", 2, &c3),
            h(PAT, "history", "b/config.yml", 2, &c2),
            h(PAT, "history", "c.txt", 1, &c4),
            // Files on disk identical to history blobs are not rescanned but still listed.
            h(PAT, "worktree", "a.env", 2, ""),
            h(PAT, "worktree", "b/config.yml", 2, ""),
            h(PAT, "worktree", "c.txt", 1, ""),
        ]
    );
    // Each blob is scanned once: 5 distinct blobs in history, none rescanned on disk.
    assert_eq!(report.stats.blobs_scanned, 5);
}

#[test]
fn renamed_file_and_merge_keep_the_introducing_commit() {
    let repo = Repo::new();
    let mut fake = Fake::new(103);
    let token = fake.github("ghp_");
    repo.write("README.md", "r\n");
    repo.commit("init");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("old.env", format!("T={token}\n"));
    let added = repo.commit("add");
    repo.git(&["mv", "old.env", "new.env"]);
    let renamed = repo.commit("rename");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("other.txt", "o\n");
    repo.commit("main work");
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge topic", "topic"]);
    let (code, report) = repo.scan_json(&[".", "--no-worktree"]);
    assert_eq!(code, 1);
    assert_eq!(
        report.history(),
        vec![
            h(PAT, "history", "new.env", 1, &renamed),
            h(PAT, "history", "old.env", 1, &added),
        ]
    );
}

#[test]
fn blobs_no_ref_reaches_are_reported_as_unreachable() {
    let repo = Repo::new();
    let mut fake = Fake::new(104);
    let token = fake.github("ghp_");
    repo.write("a.env", format!("T={token}\n"));
    repo.commit("oops");
    repo.write("a.env", "T=from-env\n");
    repo.git(&["commit", "-q", "-a", "--amend", "-m", "fixed"]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    let (code, report) = repo.scan_json(&[".", "--no-worktree"]);
    assert_eq!(code, 1);
    let loc = &report.findings[0].locations[0];
    assert_eq!(
        (loc.source.as_str(), loc.path.as_deref(), loc.line),
        ("unreachable", None, 1)
    );
    assert!(loc.blob.is_some() && loc.commit.is_none());
}

#[test]
fn packed_history_is_scanned() {
    let repo = Repo::new();
    let mut fake = Fake::new(105);
    let token = fake.github("ghp_");
    for i in 0..5 {
        repo.write("log.txt", format!("entry {i}\n").repeat(i + 1));
        repo.commit(&format!("c{i}"));
    }
    repo.write("s.env", format!("T={token}\n"));
    let added = repo.commit("secret");
    repo.git(&["rm", "-q", "s.env"]);
    repo.commit("gone");
    repo.git(&["gc", "-q", "--aggressive"]);
    let (code, report) = repo.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.history(),
        vec![h(PAT, "history", "s.env", 1, &added)]
    );
    assert_eq!(report.skipped("corrupt"), 0);
}

#[test]
fn empty_repository_and_repository_without_commits() {
    let repo = Repo::new();
    let (code, report) = repo.scan_json(&["."]);
    assert_eq!((code, report.findings.len()), (0, 0));
    // Files on disk but no commit: the work tree is still scanned.
    let mut fake = Fake::new(106);
    repo.write("a.env", format!("T={}\n", fake.github("ghp_")));
    let (code, report) = repo.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(report.places()[0].1, "a.env");
}

#[test]
fn bare_repository_is_scanned() {
    let repo = Repo::new();
    let mut fake = Fake::new(107);
    let token = fake.github("ghp_");
    repo.write("a.env", format!("T={token}\n"));
    let c = repo.commit("c");
    let bare = repo.path().join("bare.git");
    repo.git(&[
        "clone",
        "-q",
        "--bare",
        ".",
        bare.to_str().expect("utf-8 path"),
    ]);
    let (code, report) = repo.scan_json(&["bare.git"]);
    assert_eq!(code, 1);
    assert_eq!(report.history(), vec![h(PAT, "history", "a.env", 1, &c)]);
}

#[test]
fn shallow_clone_is_scanned_and_flagged() {
    let repo = Repo::new();
    let mut fake = Fake::new(108);
    let old = fake.github("ghp_");
    let new = fake.github("ghp_");
    repo.write("a.env", format!("T={old}\n"));
    repo.commit("old");
    repo.write("a.env", format!("T={new}\n"));
    let c2 = repo.commit("new");
    let url = format!("file://{}", repo.path().display());
    repo.git(&["clone", "-q", "--depth", "1", &url, "shallow"]);
    let out = repo
        .dir
        .run(&["scan", "shallow", "--format", "json", "--no-worktree"]);
    assert_eq!(out.status.code(), Some(1));
    let report: util::Report = serde_json::from_slice(&out.stdout).expect("json");
    assert!(report.stats.shallow);
    assert_eq!(report.history(), vec![h(PAT, "history", "a.env", 1, &c2)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("shallow clone"));
}

#[test]
fn partial_clone_counts_the_blobs_it_never_fetched() {
    let repo = Repo::new();
    let mut fake = Fake::new(112);
    let small = fake.github("ghp_");
    let large = fake.github("ghp_");
    repo.write("a.env", format!("T={small}\n"));
    // Over the clone's blob size limit: the partial clone never fetches it.
    repo.write(
        "big.env",
        format!("{}\nT={large}\n", "# padding\n".repeat(40)),
    );
    let c = repo.commit("both");
    repo.git(&["config", "uploadpack.allowFilter", "true"]);
    let url = format!("file://{}", repo.path().display());
    repo.git(&[
        "clone",
        "-q",
        "--bare",
        "--filter=blob:limit=200",
        &url,
        "partial.git",
    ]);
    let out = repo
        .dir
        .run(&["scan", "partial.git", "--format", "json", "--no-worktree"]);
    assert_eq!(out.status.code(), Some(1));
    let report: util::Report = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report.history(), vec![h(PAT, "history", "a.env", 1, &c)]);
    assert_eq!(report.skipped("corrupt"), 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("partial clone: 1 blob(s) of the history were never fetched"),
        "{stderr}"
    );
    // A full clone of the same history has nothing missing and says nothing about it.
    repo.git(&["clone", "-q", "--bare", &url, "full.git"]);
    let out = repo
        .dir
        .run(&["scan", "full.git", "--format", "json", "--no-worktree"]);
    let report: util::Report = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report.history().len(), 2);
    assert_eq!(report.skipped("corrupt"), 0);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("partial clone"));
}

#[test]
fn corrupt_loose_object_is_counted_and_the_rest_scanned() {
    let repo = Repo::new();
    let mut fake = Fake::new(109);
    repo.write("junk.txt", "to be corrupted\n");
    repo.write("a.env", format!("T={}\n", fake.github("ghp_")));
    repo.commit("c");
    let junk = repo.git(&["rev-parse", "HEAD:junk.txt"]);
    let path = repo
        .path()
        .join(".git/objects")
        .join(&junk[..2])
        .join(&junk[2..]);
    let mut perms = std::fs::metadata(&path)
        .expect("loose object")
        .permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).expect("chmod");
    std::fs::write(&path, b"this is not zlib data").expect("corrupt it");
    let (code, report) = repo.scan_json(&[".", "--no-worktree"]);
    assert_eq!(code, 1);
    assert_eq!(report.skipped("corrupt"), 1);
    assert_eq!(report.places()[0].1, "a.env");
}

#[test]
fn submodules_are_not_followed_but_reported() {
    let sub = Repo::new();
    sub.write("x.txt", "x\n");
    sub.commit("sub");
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit("a");
    let url = sub.path().to_str().expect("utf-8").to_string();
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &url,
        "vendor/sub",
    ]);
    repo.commit("add submodule");
    let (code, report) = repo.scan_json(&[".", "--no-worktree"]);
    assert_eq!(code, 0);
    assert_eq!(report.stats.submodules, 1);
}

#[test]
fn linked_worktree_and_gitfile_repositories_are_scanned() {
    let repo = Repo::new();
    let mut fake = Fake::new(110);
    let token = fake.github("ghp_");
    repo.write("a.env", format!("T={token}\n"));
    let c = repo.commit("c");
    repo.git(&["worktree", "add", "-q", "linked", "-b", "linked"]);
    let (code, report) = repo.scan_json(&["linked", "--no-worktree"]);
    assert_eq!(code, 1);
    assert_eq!(report.history(), vec![h(PAT, "history", "a.env", 1, &c)]);
    // A `.git` file pointing at a git directory elsewhere.
    let sep = Repo::new();
    let gitdir = sep.path().join("elsewhere.git");
    let work = sep.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    sep.git_in(
        &work,
        &[
            "init",
            "-q",
            "--separate-git-dir",
            gitdir.to_str().expect("utf-8"),
        ],
    );
    sep.write("work/s.env", format!("T={token}\n"));
    sep.git_in(&work, &["add", "-A"]);
    sep.git_in(&work, &["commit", "-q", "-m", "c"]);
    let (code, report) = sep.scan_json(&["work", "--no-worktree"]);
    assert_eq!(code, 1);
    assert_eq!(report.places()[0].1, "s.env");
}

#[test]
fn huge_blobs_are_skipped_and_counted() {
    let repo = Repo::new();
    let mut fake = Fake::new(111);
    let mut big = format!("T={}\n", fake.github("ghp_")).into_bytes();
    big.extend(std::iter::repeat_n(b'a', 2 << 20));
    repo.write("big.txt", &big);
    repo.commit("big");
    let (code, report) = repo.scan_json(&[".", "--no-worktree", "--max-file-size", "1M"]);
    assert_eq!((code, report.skipped("too_large")), (0, 1));
}

#[test]
fn symlinks_in_trees_are_harmless() {
    let repo = Repo::new();
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", repo.path().join("link")).expect("symlink");
    repo.write("a.txt", "a\n");
    repo.commit("links");
    let (code, report) = repo.scan_json(&["."]);
    assert_eq!((code, report.findings.len()), (0, 0));
}

#[test]
fn nothing_in_the_repository_configuration_is_executed() {
    let repo = Repo::new();
    let marker = repo.path().join("pwned");
    let cmd = format!("touch {}", marker.display());
    repo.write("a.txt", "a\n");
    repo.commit("c");
    repo.write("b.txt", "b\n");
    repo.git(&["add", "b.txt"]);
    repo.write(".gitattributes", "* filter=evil diff=evil\n");
    repo.write(".githooks/pre-commit", format!("#!/bin/sh\n{cmd}\n"));
    for (k, v) in [
        ("core.fsmonitor", cmd.as_str()),
        ("filter.evil.clean", cmd.as_str()),
        ("filter.evil.smudge", cmd.as_str()),
        ("filter.evil.process", cmd.as_str()),
        ("diff.external", cmd.as_str()),
        ("core.sshCommand", cmd.as_str()),
        ("credential.helper", cmd.as_str()),
        ("core.hooksPath", ".githooks"),
    ] {
        repo.git(&["config", k, v]);
    }
    let _ = std::fs::remove_file(&marker);
    for args in [
        vec!["."],
        vec![".", "--staged"],
        vec![".", "--git-range", "HEAD~0..HEAD"],
    ] {
        let (code, _) = repo.scan_json(&args);
        assert_eq!(code, 0, "{args:?}");
        assert!(
            !marker.exists(),
            "{args:?} ran something from the repository's config"
        );
    }
}

#[test]
fn allowlisted_and_default_skipped_paths_in_history_are_not_reported() {
    let repo = Repo::new();
    let mut fake = Fake::new(112);
    repo.write(".keyhound.toml", "[allowlist]\npaths = ['fixtures/**']\n");
    repo.write("fixtures/creds.env", format!("T={}\n", fake.github("ghp_")));
    repo.write(
        "package-lock.json",
        format!("{{\"t\": \"{}\"}}\n", fake.github("ghp_")),
    );
    repo.commit("fixtures");
    repo.git(&["rm", "-q", "-r", "fixtures", "package-lock.json"]);
    repo.commit("remove");
    let (code, report) = repo.scan_json(&["."]);
    assert_eq!((code, report.history()), (0, vec![]));
}

#[test]
fn secret_only_in_the_stash_is_found() {
    let repo = Repo::new();
    let mut fake = Fake::new(113);
    repo.write("a.txt", "a\n");
    repo.commit("base");
    repo.write("a.txt", format!("a\nT={}\n", fake.github("ghp_")));
    repo.git(&["stash", "push", "-q", "-m", "wip"]);
    let stash = repo.git(&["rev-parse", "refs/stash"]);
    let (code, report) = repo.scan_json(&[".", "--no-worktree"]);
    assert_eq!(code, 1);
    let locs = &report.findings[0].locations;
    assert!(
        locs.iter()
            .any(|l| l.source == "history" && l.path.as_deref() == Some("a.txt") && l.line == 2),
        "{locs:?}"
    );
    // The stash's work-tree commit (or its index commit) introduced it, not a branch commit.
    let commits: Vec<&str> = locs.iter().filter_map(|l| l.commit.as_deref()).collect();
    let stash_parents = repo.git(&["rev-list", "--parents", "-n", "1", &stash]);
    assert!(
        commits.iter().all(|c| stash_parents.contains(c)),
        "{commits:?} vs {stash_parents}"
    );
}

#[test]
fn a_committed_rails_master_key_is_found_by_its_path_only() {
    let repo = Repo::new();
    let mut fake = Fake::new(107);
    let key = fake.hex(32);
    repo.write("README.md", "app\n");
    repo.commit("init");
    // The same 32 hex characters in a file with another name are no master key.
    repo.write("notes/checksum.txt", format!("{key}\n"));
    repo.commit("notes");
    repo.write("config/master.key", format!("{key}\n"));
    let added = repo.commit("add master key by mistake");
    repo.git(&["rm", "-q", "config/master.key"]);
    repo.commit("remove it");
    let (code, report) = repo.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.history(),
        vec![h(
            "rails-master-key-file",
            "history",
            "config/master.key",
            1,
            &added
        )]
    );
    // On disk only the other file is left: nothing to report.
    let (code, report) = repo.scan_json(&[".", "--no-history"]);
    assert_eq!((code, report.findings.len()), (0, 0));
}

#[test]
fn human_report_and_summary_name_the_commit_that_brought_the_secret_in() {
    let repo = Repo::new();
    let mut fake = Fake::new(140);
    let token = fake.github("ghp_");
    repo.write("z.env", format!("GITHUB_TOKEN={token}\n"));
    let added = repo.commit("add z");
    // A later copy at a path that sorts first: the oldest commit is not the first place.
    repo.write("a.env", format!("GITHUB_TOKEN={token}\n"));
    let copied = repo.commit("copy to a");
    let summary = repo.path().join("summary.md");
    let out = repo
        .dir
        .run(&["scan", ".", "--summary", summary.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("  found   a.env:1:14\n"), "{stdout}");
    let line = format!(
        "  added   commit {} by Ada Author <ada@example.test> on 2024-01-01T00:00:03+00:00, z.env:1:14\n",
        &added[..12]
    );
    assert!(stdout.contains(&line), "{stdout}");
    assert!(!stdout.contains(&copied[..12]), "{stdout}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains(&format!("| `{}` |", &added[..12])), "{md}");

    // History only: the first place is the copy's commit, and the oldest is named after it.
    let out = repo.dir.run(&["scan", ".", "--no-worktree"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = format!(
        "  found   a.env:1:14\n          commit {} by",
        &copied[..12]
    );
    assert!(stdout.contains(&first), "{stdout}");
    assert!(stdout.contains(&line), "{stdout}");
}
