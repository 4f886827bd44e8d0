//! `--git-range` (push and pull-request checks) and `--staged` (pre-commit).

mod util;

use util::{Fake, Repo};

const PAT: &str = "github-pat-classic";
const ZERO: &str = "0000000000000000000000000000000000000000";

fn h(path: &str, line: usize, commit: &str) -> (String, String, String, usize, String) {
    (
        PAT.into(),
        "history".into(),
        path.into(),
        line,
        commit.into(),
    )
}

/// A repository with an old secret on main, then a pushed range on top.
fn base_repo(fake: &mut Fake) -> (Repo, String, String) {
    let repo = Repo::new();
    let old = fake.github("ghp_");
    repo.write("config.env", format!("A=1\nOLD={old}\n"));
    let base = repo.commit("base with an old secret");
    (repo, base, old)
}

#[test]
fn range_reports_only_what_its_commits_add() {
    let mut fake = Fake::new(200);
    let (repo, base, old) = base_repo(&mut fake);
    let new = fake.github("ghp_");
    // Touch the file with the old secret without adding one.
    repo.write("config.env", format!("A=2\nOLD={old}\n"));
    repo.commit("unrelated edit");
    repo.write("app/new.env", format!("x\ny\nNEW={new}\n"));
    let c2 = repo.commit("add a secret");
    let (code, report) = repo.scan_json(&[".", "--git-range", &format!("{base}..HEAD")]);
    assert_eq!(code, 1);
    assert_eq!(report.history(), vec![h("app/new.env", 3, &c2)]);
    // The same range by name.
    repo.git(&["tag", "base", &base]);
    let (_, report) = repo.scan_json(&[".", "--git-range", "base..main"]);
    assert_eq!(report.history(), vec![h("app/new.env", 3, &c2)]);
}

#[test]
fn range_that_only_deletes_reports_nothing() {
    let mut fake = Fake::new(201);
    let (repo, base, _) = base_repo(&mut fake);
    repo.write("config.env", "A=1\n");
    repo.commit("remove the old secret");
    let (code, report) = repo.scan_json(&[".", "--git-range", &format!("{base}..HEAD")]);
    assert_eq!((code, report.findings.len()), (0, 0));
}

#[test]
fn secret_moved_within_a_file_is_not_new() {
    let mut fake = Fake::new(202);
    let (repo, base, old) = base_repo(&mut fake);
    repo.write("config.env", format!("OLD={old}\nA=1\nB=2\n"));
    repo.commit("reorder");
    let (code, _) = repo.scan_json(&[".", "--git-range", &format!("{base}..HEAD")]);
    assert_eq!(code, 0);
}

#[test]
fn names_git_sorts_apart_pair_up_across_a_range() {
    // Git sorts a directory as if its name ended in `/`: `conf.txt` comes before the directory
    // `conf`, the file `conf` before both. The range pairs old and new entries in that order;
    // a slip would take the untouched `conf/` or `conf.d/` for new and report their old
    // secrets.
    let mut fake = Fake::new(207);
    let repo = Repo::new();
    let [in_dir, in_d, moved] = std::array::from_fn(|_| fake.github("ghp_"));
    repo.write("conf/old.env", format!("T={in_dir}\n"));
    repo.write("conf.d/a.env", format!("T={in_d}\n"));
    repo.write("settings", format!("T={moved}\n"));
    let base = repo.commit("base");
    let [beside, inside, d_added, became] = std::array::from_fn(|_| fake.github("ghp_"));
    repo.write("conf.txt", format!("T={beside}\n"));
    repo.write("conf/new.env", format!("x\nT={inside}\n"));
    repo.write("conf.d/a.env", format!("T={in_d}\nU={d_added}\n"));
    // A file that becomes a directory of the same name.
    std::fs::remove_file(repo.path().join("settings")).expect("remove the file");
    repo.write("settings/app.env", format!("T={became}\n"));
    let c = repo.commit("add beside and inside");
    let (code, report) = repo.scan_json(&[".", "--git-range", &format!("{base}..HEAD")]);
    assert_eq!(code, 1);
    assert_eq!(
        report.history(),
        vec![
            h("conf.d/a.env", 2, &c),
            h("conf.txt", 1, &c),
            h("conf/new.env", 2, &c),
            h("settings/app.env", 1, &c),
        ]
    );
}

#[test]
fn new_branch_with_all_zero_base_scans_what_no_other_ref_has() {
    let mut fake = Fake::new(203);
    let (repo, _, _) = base_repo(&mut fake);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let new = fake.github("ghp_");
    repo.write("f.env", format!("T={new}\n"));
    let c = repo.commit("feature secret");
    let (code, report) = repo.scan_json(&[".", "--git-range", &format!("{ZERO}..HEAD")]);
    assert_eq!(code, 1);
    // The old secret on main is not reported: main is another ref that has it.
    assert_eq!(report.history(), vec![h("f.env", 1, &c)]);
}

#[test]
fn force_push_base_missing_falls_back_to_merge_base_with_a_warning() {
    let mut fake = Fake::new(204);
    let (repo, _, _) = base_repo(&mut fake);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let new = fake.github("ghp_");
    repo.write("f.env", format!("T={new}\n"));
    let c = repo.commit("rewritten feature");
    let gone = "1234567890abcdef1234567890abcdef12345678";
    let out = repo.dir.run(&[
        "scan",
        ".",
        "--git-range",
        &format!("{gone}..HEAD"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: util::Report = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report.history(), vec![h("f.env", 1, &c)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not in the repository") && stderr.contains("merge-base"),
        "{stderr}"
    );
}

#[test]
fn merge_commit_in_range_reports_what_the_branch_added_once() {
    let mut fake = Fake::new(205);
    let (repo, base, _) = base_repo(&mut fake);
    repo.git(&["checkout", "-q", "-b", "topic"]);
    let new = fake.github("ghp_");
    repo.write("t.env", format!("T={new}\n"));
    let c = repo.commit("topic secret");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("m.txt", "m\n");
    repo.commit("main");
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge", "topic"]);
    let (code, report) = repo.scan_json(&[".", "--git-range", &format!("{base}..HEAD")]);
    assert_eq!(code, 1);
    assert_eq!(report.history(), vec![h("t.env", 1, &c)]);
}

#[test]
fn bad_range_is_a_usage_error() {
    let mut fake = Fake::new(206);
    let (repo, _, _) = base_repo(&mut fake);
    for spec in ["HEAD", "..HEAD", "HEAD..nope-no-such-rev"] {
        let out = repo.dir.run(&["scan", ".", "--git-range", spec]);
        assert_eq!(out.status.code(), Some(2), "{spec}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).lines().count(),
            1,
            "{spec}"
        );
    }
}

#[test]
fn staged_secret_on_an_added_line_blocks() {
    let mut fake = Fake::new(210);
    let (repo, _, _) = base_repo(&mut fake);
    let new = fake.github("ghp_");
    repo.write("src/app.env", format!("a\nNEW={new}\n"));
    repo.git(&["add", "src/app.env"]);
    let (code, report) = repo.scan_json(&["--staged"]);
    assert_eq!(code, 1);
    let loc = &report.findings[0].locations[0];
    assert_eq!(
        (
            loc.source.as_str(),
            loc.path.as_deref(),
            loc.line,
            loc.column
        ),
        ("staged", Some("src/app.env"), 2, 5)
    );
    // Unstaged changes are not what the commit records.
    repo.git(&["reset", "-q"]);
    let (code, _) = repo.scan_json(&["--staged"]);
    assert_eq!(code, 0);
}

#[test]
fn staged_edit_of_a_file_with_an_old_secret_does_not_block() {
    let mut fake = Fake::new(211);
    let (repo, _, old) = base_repo(&mut fake);
    repo.write("config.env", format!("A=2\nOLD={old}\nB=3\n"));
    repo.git(&["add", "config.env"]);
    let (code, report) = repo.scan_json(&["--staged"]);
    assert_eq!((code, report.findings.len()), (0, 0));
}

#[test]
fn staged_runs_from_a_subdirectory_and_before_the_first_commit() {
    let repo = Repo::new();
    let mut fake = Fake::new(212);
    repo.write("deep/dir/x.env", format!("T={}\n", fake.github("ghp_")));
    repo.git(&["add", "-A"]);
    let out = repo
        .dir
        .cmd(&["scan", "--staged", "--format", "json"])
        .current_dir(repo.path().join("deep/dir"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let report: util::Report = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report.places()[0].1, "deep/dir/x.env");
}

#[test]
fn staged_outside_a_repository_is_an_error() {
    let dir = util::Dir::new();
    let out = dir.run(&["scan", "--staged"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a git repository"));
}

#[test]
fn missing_blob_in_a_range_is_counted_and_the_rest_scanned() {
    let mut fake = Fake::new(207);
    let (repo, base, _) = base_repo(&mut fake);
    repo.write(
        "gone.txt",
        "this blob will be deleted from the object database\n",
    );
    let new = fake.github("ghp_");
    repo.write("kept.env", format!("T={new}\n"));
    let c = repo.commit("two files");
    let blob = repo.git(&["rev-parse", "HEAD:gone.txt"]);
    std::fs::remove_file(
        repo.path()
            .join(".git/objects")
            .join(&blob[..2])
            .join(&blob[2..]),
    )
    .expect("delete the loose blob");
    let out = repo.dir.run(&[
        "scan",
        ".",
        "--git-range",
        &format!("{base}..HEAD"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: util::Report = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report.history(), vec![h("kept.env", 1, &c)]);
    assert_eq!(report.skipped("corrupt"), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains(&blob));
}
