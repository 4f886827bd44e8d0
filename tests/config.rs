//! Configuration, baselines and default skips, end to end.

mod util;

use util::{Dir, Fake, Repo};

#[test]
fn baseline_accepts_what_exists_and_blocks_what_is_new() {
    let repo = Repo::new();
    let mut fake = Fake::new(600);
    let old = fake.github("ghp_");
    repo.write("app.env", format!("A=1\nT={old}\n"));
    repo.commit("old secret");
    let out = repo.dir.run(&[
        "scan",
        ".",
        "--baseline-out",
        "baseline.json",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(repo.path().join("baseline.json")).expect("baseline");
    assert!(
        !text.contains(&old),
        "the baseline must not hold the secret"
    );
    assert!(text.contains("\"fingerprint\"") && text.contains("github-pat-classic"));

    // Accepted: also after moving to another line, file and commit.
    let (code, report) = repo.scan_json(&[".", "--baseline", "baseline.json"]);
    assert_eq!((code, report.findings.len()), (0, 0));
    assert!(report.stats.baselined >= 1);
    repo.write("app.env", "A=1\n");
    repo.write("moved/other.yml", format!("x: 1\ny: 2\ntoken: {old}\n"));
    repo.commit("move it");
    let (code, _) = repo.scan_json(&[".", "--baseline", "baseline.json"]);
    assert_eq!(code, 0);

    // A new secret in the same file is still reported.
    let new = fake.github("ghp_");
    repo.write("moved/other.yml", format!("x: 1\ny: {new}\ntoken: {old}\n"));
    let (code, report) = repo.scan_json(&[".", "--baseline", "baseline.json", "--no-history"]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![("github-pat-classic".into(), "moved/other.yml".into(), 2, 4)]
    );
}

#[test]
fn bad_baseline_is_exit_2() {
    let dir = Dir::new();
    dir.write("b.json", "{\"version\": 9, \"fingerprints\": []}");
    let out = dir.run(&["scan", ".", "--baseline", "b.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("version 9"));
    let out = dir.run(&["scan", ".", "--baseline", "missing.json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn lock_files_and_assets_are_skipped_by_default() {
    let dir = Dir::new();
    let mut fake = Fake::new(601);
    let token = fake.github("ghp_");
    dir.write("package-lock.json", format!("{{\"t\": \"{token}\"}}\n"));
    // A lock file's copy kept beside it.
    dir.write("yarn.lock.backup", format!("  resolved \"{token}\"\n"));
    dir.write("static/app.min.js", format!("var t=\"{token}\";\n"));
    // detect-secrets' baseline holds digests of accepted secrets, named like secrets.
    dir.write(
        ".secrets.baseline",
        "{\"results\": {\"a.py\": [{\"hashed_secret\": \"5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8\"}]}}\n",
    );
    dir.write("src/app.js", "console.log(1)\n");
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 0);
    assert_eq!(report.skipped("default_skip"), 4);
    let (code, report) = dir.scan_json(&[".", "--no-default-skips"]);
    assert_eq!(code, 1);
    assert_eq!(report.findings[0].locations.len(), 3);
    assert_eq!(
        report.findings.len(),
        1,
        "a SHA-1 digest named hashed_secret is no secret"
    );
    dir.write(".keyhound.toml", "default_skips = ['lockfiles']\n");
    let (_, report) = dir.scan_json(&["."]);
    assert_eq!(report.places()[0].1, "static/app.min.js");
}

#[test]
fn exclude_skips_paths_on_disk_and_in_history() {
    let repo = Repo::new();
    let mut fake = Fake::new(602);
    let [vendored, own, old] = std::array::from_fn(|_| fake.github("ghp_"));
    repo.write("vendor/lib/settings.env", format!("T={vendored}\n"));
    repo.write("app.env", format!("T={own}\n"));
    repo.write("docs/old.md", format!("token {old}\n"));
    repo.commit("three secrets");
    // Removed from the work tree, still in history.
    std::fs::remove_file(repo.path().join("docs/old.md")).expect("remove");
    repo.commit("drop the doc");
    let (code, report) = repo.scan_json(&[".", "--exclude", "vendor/**", "--exclude", "*.md"]);
    assert_eq!(code, 1);
    let mut paths: Vec<String> = report
        .places()
        .into_iter()
        .map(|(_, path, ..)| path)
        .collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths, vec!["app.env".to_string()]);
    assert_eq!(
        report.skipped("allowlisted"),
        1,
        "the vendored file on disk"
    );
    // An invalid glob is a usage error that names the flag.
    let out = repo.dir.run(&["scan", ".", "--exclude", "vendor/["]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--exclude"));
}

#[test]
fn rules_are_chosen_on_the_command_line() {
    let dir = Dir::new();
    let mut fake = Fake::new(603);
    let token = fake.github("ghp_");
    let password = fake.alnum(20);
    dir.write(
        "app.env",
        format!("GITHUB_TOKEN={token}\nDB_PASSWORD={password}\n"),
    );
    let rules = |report: &util::Report| {
        let mut v: Vec<String> = report.findings.iter().map(|f| f.rule.id.clone()).collect();
        v.sort();
        v
    };
    let (_, all) = dir.scan_json(&["."]);
    assert!(rules(&all).contains(&"github-pat-classic".to_string()));
    assert!(rules(&all).len() >= 2, "{:?}", rules(&all));
    let (code, only) = dir.scan_json(&[".", "--enable-rule", "github-pat-classic"]);
    assert_eq!(
        (code, rules(&only)),
        (1, vec!["github-pat-classic".to_string()])
    );
    // Without the GitHub rule the token is still a secret assigned to a name: a generic rule
    // reports it.
    let (_, without) = dir.scan_json(&[".", "--disable-rule", "github-pat-classic"]);
    assert!(!rules(&without).contains(&"github-pat-classic".to_string()));
    assert_eq!(without.findings.len(), all.findings.len());
    for flag in ["--enable-rule", "--disable-rule"] {
        let out = dir.run(&["scan", ".", flag, "github-pat-clasic"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(flag) && err.contains("github-pat-clasic"),
            "{err}"
        );
    }
}

#[test]
fn config_check_reports_problems() {
    let dir = Dir::new();
    dir.write(".keyhound.toml", "[allowlist]\npaths = ['vendor/**']\n");
    let out = dir.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: .keyhound.toml"));
    dir.write("bad.toml", "[allowlist]\npaths = ['a']\nregexs = ['x']\n");
    let out = dir.run(&["config", "check", "bad.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("bad.toml") && stdout.contains("regexs") && stdout.contains("line 3"),
        "{stdout}"
    );
    dir.write(
        "rules.toml",
        "[[rules]]\nid = 'acme-key'\nname = 'Acme key'\nseverity = 'high'\nkeywords = ['acme_']\nregex = '''\\b(acme_[a-z0-9]{20})\\b'''\nexamples = ['k = acme_short']\n",
    );
    let out = dir.run(&["config", "check", "rules.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("rule `acme-key`: example 1 gives no finding")
    );
    let out = dir.run(&["config", "check", "nope.toml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn extra_rules_and_overrides_from_config() {
    let dir = Dir::new();
    dir.write(
        ".keyhound.toml",
        "disabled_rules = ['generic-secret']\n\
         [overrides.github-pat-classic]\nseverity = 'critical'\n\
         [[rules]]\nid = 'acme-key'\nname = 'Acme key'\nseverity = 'low'\nkeywords = ['acme_']\n\
         regex = '''\\b(acme_[a-z0-9]{20})\\b'''\nexamples = ['k = acme_q8vr2mxk7lpw3nzb9tfy']\n",
    );
    let mut fake = Fake::new(602);
    dir.write(
        "a.env",
        format!(
            "K=acme_z8vr2mxk7lpw3nzb9tfq\nT={}\napi_secret = Xk9mQ2vLp7wZ\n",
            fake.github("ghp_")
        ),
    );
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    let mut rules: Vec<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.rule.id.clone(), f.rule.severity.clone()))
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        vec![
            ("acme-key".into(), "low".into()),
            ("github-pat-classic".into(), "critical".into())
        ]
    );
}

#[test]
fn one_secret_found_by_two_rules_is_one_finding_and_one_baseline_entry_covers_it() {
    let dir = Dir::new();
    let mut fake = Fake::new(640);
    let key = fake.from(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+",
        40,
    );
    let id = fake.aws_key_id();
    dir.write(
        "credentials",
        format!("aws_access_key_id = {id}\naws_secret_access_key = {key}\n"),
    );
    // No AWS name here: only the generic rule recognises the same key.
    dir.write("deploy.sh", format!("export DEPLOY_SECRET=\"{key}\"\n"));
    let (code, alone) = dir.scan_json(&["deploy.sh"]);
    assert_eq!(code, 1);
    assert_eq!(
        alone.places(),
        vec![("generic-secret".into(), "deploy.sh".into(), 1, 23)]
    );

    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(report.findings.len(), 2, "{:?}", report.places());
    assert_eq!(
        report.places(),
        vec![
            ("aws-access-key-id".into(), "credentials".into(), 1, 21),
            ("aws-secret-access-key".into(), "credentials".into(), 2, 25),
            ("aws-secret-access-key".into(), "deploy.sh".into(), 1, 23),
        ]
    );
    // The place only the generic rule saw names it; the AWS rule's own places name none.
    let matched_by: Vec<_> = report
        .findings
        .iter()
        .flat_map(|f| &f.locations)
        .map(|l| (l.path.clone().unwrap_or_default(), l.matched_by.clone()))
        .collect();
    assert!(
        matched_by.contains(&("deploy.sh".into(), Some("generic-secret".into()))),
        "{matched_by:?}"
    );
    assert!(
        matched_by
            .iter()
            .filter(|(path, _)| path == "credentials")
            .all(|(_, by)| by.is_none()),
        "{matched_by:?}"
    );

    // A baseline taken where only the generic rule saw the key (a push that touched
    // deploy.sh) still accepts it when the AWS rule owns it.
    let out = dir.run(&["scan", "deploy.sh", "--baseline-out", "generic.json"]);
    assert_eq!(out.status.code(), Some(1));
    let (code, report) = dir.scan_json(&[".", "--baseline", "generic.json"]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![("aws-access-key-id".into(), "credentials".into(), 1, 21)]
    );

    // And the other way round: the whole scan's baseline names both rules' fingerprints.
    let out = dir.run(&["scan", ".", "--baseline-out", "all.json"]);
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(dir.path().join("all.json")).unwrap();
    assert!(text.contains("\"generic-secret\""), "{text}");
    assert!(text.contains("\"aws-secret-access-key\""), "{text}");
    assert!(!text.contains(&key));
    let (code, report) = dir.scan_json(&["deploy.sh", "--baseline", "all.json"]);
    assert_eq!((code, report.findings.len()), (0, 0));
}
