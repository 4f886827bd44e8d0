//! End-to-end directory and stdin scans: exact findings, decoys, redaction, exit codes,
//! ignore handling and bad input.

mod util;

use std::io::Write;
use std::process::Stdio;

use util::{Dir, Fake, Repo};

#[test]
fn planted_secrets_are_found_at_exact_positions() {
    let dir = Dir::new();
    let mut fake = Fake::new(1);
    let pat = fake.github("ghp_");
    let aws = fake.aws_key_id();
    let generic = fake.alnum(20);
    dir.write(
        "config/deploy.env",
        format!(
            "# deploy settings\nREGION=eu-west-1\nGITHUB_TOKEN={pat}\n\n  AWS_ACCESS_KEY_ID={aws}\n"
        ),
    );
    dir.write(
        "src/app.py",
        format!("import os\n\ndb_password = \"{generic}\"\n"),
    );
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![
            (
                "aws-access-key-id".into(),
                "config/deploy.env".into(),
                5,
                21
            ),
            (
                "github-pat-classic".into(),
                "config/deploy.env".into(),
                3,
                14
            ),
            ("password-assignment".into(), "src/app.py".into(), 3, 16),
        ]
    );
    let gh = report
        .findings
        .iter()
        .find(|f| f.rule.id == "github-pat-classic")
        .expect("github finding");
    let loc = &gh.locations[0];
    assert_eq!((loc.end_line, loc.end_column), (3, 14 + 40));
    assert_eq!(loc.source, "worktree");
    assert!(loc.commit.is_none());
    assert!(!gh.rotation.steps.is_empty());
    assert_eq!(gh.rule.severity, "high");
    assert_eq!(gh.fingerprint.len(), 64);
}

#[test]
fn decoys_are_not_reported() {
    let dir = Dir::new();
    let mut fake = Fake::new(2);
    dir.write(
        "README.md",
        "Set AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE and\n\
         aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
         export GITHUB_TOKEN=${GITHUB_TOKEN}\n\
         api_key = \"<your-key>\"\n\
         password: changeme\n\
         token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
    );
    // A real-looking token, but inside a binary file: counted, not scanned.
    let mut bin = vec![0u8, 1, 2, 3];
    bin.extend_from_slice(fake.github("ghp_").as_bytes());
    dir.write("logo.dat", bin);
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(report.places(), vec![]);
    assert_eq!(code, 0);
    assert_eq!(report.skipped("binary"), 1);
    assert_eq!(report.stats.blobs_scanned, 1);
}

#[test]
fn a_php_serialized_object_is_text_despite_its_nul_marks() {
    let dir = Dir::new();
    let mut fake = Fake::new(41);
    let token = fake.github("ghp_");
    // PHP's serialize() writes a protected property's name between NUL bytes.
    let object = format!(
        "O:6:\"Client\":2:{{s:10:\"\0*\0baseUrl\";s:22:\"https://api.github.com\";s:8:\"\0*\0token\";s:40:\"{token}\";}}\n"
    );
    dir.write("cache/client.txt", object);
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![(
            "github-pat-classic".into(),
            "cache/client.txt".into(),
            1,
            86
        )]
    );
    assert_eq!(report.skipped("binary"), 0);
}

/// A key generated for this test and used nowhere else.
const TEST_RSA_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\n\
MIIBOwIBAAJBAN5puQaRnsge52Iy+BRDFMks/4ZFUlyl6/hofCOH5fO85kYrJzbD\n\
nikGKJCgU4CTZvBPLz4uAWwlvG4lXVntpq8CAwEAAQJBANSsTYOtfSIpAuIQkM13\n\
M4oG4DO5V79F3TUEXCfxi/4aixizGF+4valx5H8EzJxruPtz1Cb7BLRPA3rxVHwT\n\
OEECIQD8geQwpR7DLc744ugtM+Z4IfO5LoNWgpcWxh1zjJHNTwIhAOF9RPxVbvWV\n\
JswQbRAsfep7vLl9idU/skteNcqHefihAiEAy0B+/s0a6v7nmB2FyET7of2qYohX\n\
Pf6WQcWtFUK0Zi8CIGSSyiU+OdqBpydXoD2ZiqP+gsO9MbAS1AR3xchKuuVhAiAT\n\
T9FVM1udgTIGa9gAA4GuCwGoyAgvFmdpriEXHU5SPw==\n\
-----END RSA PRIVATE KEY-----\n";

#[test]
fn a_pem_key_inside_a_binary_file_is_found() {
    let dir = Dir::new();
    let mut fake = Fake::new(41);
    // A program with the key compiled in: NUL bytes around it make the file binary, and a
    // token in the same file is not read (only the private-key rules read binary content).
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\n".to_vec();
    elf.extend_from_slice(fake.github("ghp_").as_bytes());
    elf.extend_from_slice(b"\0\0\n");
    elf.extend_from_slice(TEST_RSA_KEY.as_bytes());
    elf.extend_from_slice(b"\0\0\0");
    dir.write("bin/server", &elf);
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![("private-key-rsa".into(), "bin/server".into(), 3, 1)]
    );
    assert_eq!(report.skipped("binary"), 1);
}

#[test]
fn github_token_with_a_bad_checksum_is_not_reported() {
    let dir = Dir::new();
    let mut fake = Fake::new(3);
    let mut token = fake.github("ghp_").into_bytes();
    token[39] = if token[39] == b'A' { b'B' } else { b'A' };
    dir.write("a.env", [b"TOKEN=".as_slice(), &token].concat());
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!((code, report.findings.len()), (0, 0));
}

#[test]
fn one_finding_per_secret_with_every_location() {
    let dir = Dir::new();
    let mut fake = Fake::new(4);
    let pat = fake.github("ghp_");
    dir.write("a.env", format!("T={pat}\n"));
    dir.write("b/c.yml", format!("x: 1\ntoken: {pat}\n"));
    dir.write("b/d.txt", format!("{pat} {pat}\n"));
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(report.findings.len(), 1);
    let places: Vec<(String, usize, usize)> = report.findings[0]
        .locations
        .iter()
        .map(|l| (l.path.clone().unwrap_or_default(), l.line, l.column))
        .collect();
    assert_eq!(
        places,
        vec![
            ("a.env".into(), 1, 3),
            ("b/c.yml".into(), 2, 8),
            ("b/d.txt".into(), 1, 1),
            ("b/d.txt".into(), 1, 42),
        ]
    );
}

#[test]
fn secrets_are_redacted_unless_asked() {
    let dir = Dir::new();
    let mut fake = Fake::new(5);
    let pat = fake.github("ghp_");
    dir.write("a.env", format!("GITHUB_TOKEN={pat}\n"));
    for format in ["human", "json", "jsonl"] {
        let out = dir.run(&["scan", ".", "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stdout.contains(&pat),
            "{format} leaked the secret:\n{stdout}"
        );
        assert!(stdout.contains("github-pat-classic"), "{format}:\n{stdout}");
        let shown = dir.run(&["scan", ".", "--format", format, "--show-secrets"]);
        assert!(
            String::from_utf8_lossy(&shown.stdout).contains(&pat),
            "{format}"
        );
    }
}

#[test]
fn human_report_names_the_rule_that_matched_a_place_filed_under_another() {
    // One finding per secret: the compose file's password line is a place of the URL's
    // finding, and the report says which rule saw that line.
    let dir = Dir::new();
    let password = Fake::new(35).alnum(14);
    dir.write(
        "docker-compose.yml",
        format!(
            "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: {password}\n      \
             DATABASE_URL: postgres://app:{password}@db/app\n"
        ),
    );
    let out = dir.run(&["scan", "."]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("database-url-postgres"), "{stdout}");
    assert!(
        stdout.contains("  found   docker-compose.yml:4:26 (matched by password-config-line)\n"),
        "{stdout}"
    );
}

#[test]
fn human_report_says_what_and_how_to_rotate() {
    let dir = Dir::new();
    let mut fake = Fake::new(6);
    dir.write("a.env", format!("GITHUB_TOKEN={}\n", fake.github("ghp_")));
    let out = dir.run(&["scan", "."]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains('\x1b'), "no colour on a pipe:\n{stdout}");
    assert!(stdout.contains("HIGH"), "{stdout}");
    assert!(stdout.contains("a.env:1:14"), "{stdout}");
    assert!(stdout.contains("rotate  "), "{stdout}");
    assert!(
        stdout.contains("Found 1 secret (1 high) in 1 location."),
        "{stdout}"
    );
}

#[test]
fn jsonl_has_one_finding_per_line() {
    let dir = Dir::new();
    let mut fake = Fake::new(7);
    dir.write(
        "a.env",
        format!("A={}\nB={}\n", fake.github("ghp_"), fake.aws_key_id()),
    );
    let out = dir.run(&["scan", ".", "--format", "jsonl"]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l["rule"]["id"].is_string() && l["locations"].is_array())
    );
}

#[test]
fn output_file_receives_the_report() {
    let dir = Dir::new();
    let mut fake = Fake::new(8);
    dir.write("src/a.env", format!("A={}\n", fake.github("ghp_")));
    let out = dir.run(&["scan", "src", "--format", "json", "--output", "report.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(dir.path().join("report.json")).expect("report written");
    let report: util::Report = serde_json::from_str(&text).expect("typed report");
    assert_eq!(report.version, 1);
    assert_eq!(report.places()[0].1, "a.env");
}

#[test]
fn gitignore_is_respected_in_a_work_tree_unless_no_ignore() {
    let repo = Repo::new();
    let mut fake = Fake::new(9);
    repo.write(".gitignore", "secrets/\n*.log\n*.key\n");
    repo.write(".env", format!("T={}\n", fake.github("ghp_")));
    repo.commit("first");
    // Ignored and untracked: build output, not part of the project.
    repo.write("secrets/prod.env", format!("T={}\n", fake.github("ghp_")));
    repo.write("debug.log", format!("T={}\n", fake.github("ghp_")));
    // Ignored but tracked (`git add -f`): in the repository all the same.
    repo.write("tests/ca.key", format!("T={}\n", fake.github("ghp_")));
    repo.git(&["add", "-f", "tests/ca.key"]);
    let paths = |args: &[&str]| -> Vec<String> {
        let (_, report) = repo.scan_json(args);
        let mut p: Vec<String> = report.places().into_iter().map(|p| p.1).collect();
        p.sort();
        p.dedup();
        p
    };
    assert_eq!(paths(&[".", "--no-history"]), vec![".env", "tests/ca.key"]);
    // A subdirectory scan keeps the tracked file, shown relative to the scanned folder.
    assert_eq!(paths(&["tests", "--no-history"]), vec!["ca.key"]);
    assert_eq!(
        paths(&[".", "--no-history", "--no-ignore"]),
        vec![".env", "debug.log", "secrets/prod.env", "tests/ca.key"]
    );
}

#[test]
fn an_unreadable_index_is_reported_and_the_walk_still_scans() {
    let repo = Repo::new();
    let mut fake = Fake::new(29);
    repo.write(".gitignore", "*.key\n");
    repo.write(".env", format!("T={}\n", fake.github("ghp_")));
    repo.commit("first");
    std::fs::write(repo.path().join(".git/index"), "not an index").expect("write index");
    let out = repo
        .dir
        .run(&["scan", ".", "--no-history", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot read the git index"), "{stderr}");
    let report: util::Report = serde_json::from_slice(&out.stdout).expect("json");
    let paths: Vec<String> = report.places().into_iter().map(|p| p.1).collect();
    assert_eq!(paths, vec![".env"]);
}

#[test]
fn gitignore_outside_a_work_tree_hides_nothing() {
    // An unpacked archive or a copied tree: its .gitignore says nothing about what the
    // project holds.
    let dir = Dir::new();
    let mut fake = Fake::new(19);
    dir.write(".gitignore", "secrets/\n*.log\n");
    dir.write("secrets/prod.env", format!("T={}\n", fake.github("ghp_")));
    dir.write(".env", format!("T={}\n", fake.github("ghp_")));
    let (_, report) = dir.scan_json(&["."]);
    let paths: Vec<String> = report.places().into_iter().map(|p| p.1).collect();
    assert_eq!(paths, vec![".env", "secrets/prod.env"]);
}

#[test]
fn dot_git_is_never_read_as_files() {
    let dir = Dir::new();
    let mut fake = Fake::new(10);
    dir.write(
        ".git/config",
        format!("[remote]\n\turl = x\n# {}\n", fake.github("ghp_")),
    );
    dir.write(".git/objects/ab/cd", fake.github("ghp_"));
    dir.write("ok.txt", "nothing here\n");
    let (code, report) = dir.scan_json(&[".", "--no-ignore"]);
    assert_eq!((code, report.findings.len()), (0, 0));
    assert_eq!(report.stats.blobs_scanned, 1);
}

#[test]
fn stdin_is_scanned() {
    let dir = Dir::new();
    let mut fake = Fake::new(11);
    let pat = fake.github("ghp_");
    let mut child = dir
        .cmd(&["scan", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("line one\n  token={pat}\n").as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1));
    let report: util::Report = serde_json::from_slice(&out.stdout).expect("json");
    let loc = &report.findings[0].locations[0];
    assert_eq!(
        (
            loc.source.as_str(),
            loc.path.as_deref(),
            loc.line,
            loc.column
        ),
        ("stdin", None, 2, 9)
    );
}

#[test]
fn single_file_target_reports_the_given_path() {
    let dir = Dir::new();
    let mut fake = Fake::new(12);
    dir.write("conf/app.env", format!("T={}\n", fake.github("ghp_")));
    let (code, report) = dir.scan_json(&["conf/app.env"]);
    assert_eq!(code, 1);
    assert_eq!(report.places()[0].1, "conf/app.env");
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let dir = Dir::new();
    for args in [
        vec!["scan", "no/such/dir"],
        vec!["scan", ".", "--format", "xml"],
        vec!["scan", ".", "--bogus-flag"],
        vec!["scan", ".", "--config", "missing.toml"],
        vec!["scan", ".", "--max-file-size", "lots"],
    ] {
        let out = dir.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.trim().is_empty(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = dir.run(&["scan", "no/such/dir"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "keyhound: no/such/dir: no such file or directory\n"
    );
    let out = dir.run(&["scan", ".", "--config", "missing.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("keyhound: cannot read config missing.toml: "),
        "{stderr}"
    );
}

#[test]
fn bad_config_is_exit_2_naming_file_key_and_line() {
    let dir = Dir::new();
    dir.write(".keyhound.toml", "[allowlist]\nregexes = ['(unclosed']\n");
    let out = dir.run(&["scan", "."]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".keyhound.toml:2: allowlist.regexes"),
        "{stderr}"
    );
}

#[test]
fn config_allowlists_and_allow_comments_suppress() {
    let dir = Dir::new();
    let mut fake = Fake::new(13);
    dir.write(".keyhound.toml", "[allowlist]\npaths = ['fixtures/**']\n");
    dir.write("fixtures/t.env", format!("T={}\n", fake.github("ghp_")));
    dir.write(
        "app.env",
        format!(
            "A={} # keyhound:allow\nB={} # gitleaks:allow\n# pragma: allowlist nextline secret\nC={}\nD={}\n",
            fake.github("ghp_"),
            fake.github("ghp_"),
            fake.github("ghp_"),
            fake.github("ghp_")
        ),
    );
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![("github-pat-classic".into(), "app.env".into(), 5, 3)]
    );
    assert_eq!(report.stats.suppressed, 3);
    assert_eq!(report.skipped("allowlisted"), 1);
}

#[test]
fn bad_input_is_counted_and_never_fatal() {
    let dir = Dir::new();
    let mut fake = Fake::new(14);
    let pat = fake.github("ghp_");
    dir.write("empty.txt", "");
    // 20 MB: over the default 10 MiB limit.
    dir.write("huge.txt", vec![b'a'; 20_000_000]);
    // A single 5 MB line with a secret at its very end.
    let mut line = vec![b'x'; 5_000_000];
    for (i, b) in line.iter_mut().enumerate() {
        *b = b"ab cd"[i % 5];
    }
    line.extend_from_slice(format!(" token={pat}").as_bytes());
    dir.write("one-line.js", &line);
    // Invalid UTF-8 around a secret.
    let mut bad = vec![0xff, 0xfe, b'\n', 0xc3, 0x28, b' '];
    bad.extend_from_slice(format!("T={pat}\n").as_bytes());
    dir.write("latin1.txt", bad);
    // Symlink loops and a dangling link: never followed, counted.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("b", dir.path().join("a")).expect("symlink");
        std::os::unix::fs::symlink("a", dir.path().join("b")).expect("symlink");
        std::os::unix::fs::symlink(".", dir.path().join("loop")).expect("symlink");
    }
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![
            ("github-pat-classic".into(), "latin1.txt".into(), 2, 6),
            (
                "github-pat-classic".into(),
                "one-line.js".into(),
                1,
                5_000_008
            ),
        ]
    );
    assert_eq!(report.skipped("too_large"), 1);
    #[cfg(unix)]
    assert_eq!(report.skipped("symlink"), 3);
    assert_eq!(report.stats.blobs_scanned, 3);
}

#[test]
fn max_file_size_is_configurable() {
    let dir = Dir::new();
    let mut fake = Fake::new(15);
    dir.write(
        "a.env",
        format!("T={}\n{}\n", fake.github("ghp_"), "y".repeat(2000)),
    );
    let (code, report) = dir.scan_json(&[".", "--max-file-size", "1K"]);
    assert_eq!((code, report.skipped("too_large")), (0, 1));
    let out = dir.run(&["scan", ".", "--max-file-size", "1K"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("a.env: skipped"));
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_counted() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new();
    let p = dir.write("locked.env", "T=1\n");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let root = std::fs::read(&p).is_ok(); // root reads anyway
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 0);
    if !root {
        assert_eq!(report.skipped("unreadable"), 1);
    }
    // A file whose read fails even for root.
    if std::path::Path::new("/proc/self/mem").exists() {
        let (code, report) = dir.scan_json(&["/proc/self/mem"]);
        assert_eq!(code, 0);
        assert_eq!(report.skipped("unreadable"), 1);
    }
}

#[cfg(unix)]
#[test]
fn fifos_are_not_opened() {
    let dir = Dir::new();
    let fifo = dir.path().join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 0);
    assert_eq!(report.skipped("special"), 1);
}

#[test]
fn progress_only_when_asked_on_a_pipe() {
    let dir = Dir::new();
    dir.write("a.txt", "nothing\n");
    let quiet = dir.run(&["scan", ".", "--format", "json"]);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("scanned"));
    let forced = dir.run(&["scan", ".", "--format", "json", "--progress"]);
    let stderr = String::from_utf8_lossy(&forced.stderr);
    assert!(stderr.contains("keyhound: scanned 1 blobs"), "{stderr}");
    let off = dir.run(&["scan", ".", "--progress", "--no-progress"]);
    assert!(!String::from_utf8_lossy(&off.stderr).contains("scanned"));
}

#[test]
fn whole_file_secrets_are_found_by_path() {
    let dir = Dir::new();
    let mut fake = Fake::new(31);
    let key = fake.hex(32);
    dir.write("config/master.key", format!("{key}\n"));
    dir.write("config/credentials/production.key", fake.hex(32));
    dir.write("config/other.key", format!("{key}\n"));
    dir.write("config/master.key.txt", format!("{key}\n"));
    // A Compose secrets file holds one password; a wordlist with that kind of name many.
    dir.write("db/password.txt", "Tq4rL9vWm2Xs\n");
    dir.write("wordlists/passwords.txt", "admin\nhunter2\nletmein\n");
    dir.write("db/password.md", "Tq4rL9vWm2Xs\n");
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![
            ("password-file".into(), "db/password.txt".into(), 1, 1),
            (
                "rails-master-key-file".into(),
                "config/credentials/production.key".into(),
                1,
                1
            ),
            (
                "rails-master-key-file".into(),
                "config/master.key".into(),
                1,
                1
            ),
        ]
    );
}

#[test]
fn a_path_rule_and_a_password_rule_on_one_value_are_one_finding() {
    let dir = Dir::new();
    // `rclone obscure` of a random password, made for this test the way rclone does it.
    let obscured = "aKl3QM34iJjIZPH0YLAAYGWhrzJsokRvbdKrIA";
    let conf =
        format!("[nas]\ntype = sftp\nhost = nas.keyhound.test\nuser = backup\npass = {obscured}\n");
    dir.write("rclone.conf", &conf);
    // The same line in a file of another name is only a password in an INI line.
    dir.write("backup/remote.conf", &conf);
    let (code, report) = dir.scan_json(&["backup"]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![(
            "password-config-line-spaced".into(),
            "remote.conf".into(),
            5,
            8
        )]
    );
    // Scanned together, it is one secret: the rclone rule's, at both places.
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(
        report.places(),
        vec![
            (
                "rclone-obscured-password".into(),
                "backup/remote.conf".into(),
                5,
                8
            ),
            (
                "rclone-obscured-password".into(),
                "rclone.conf".into(),
                5,
                8
            ),
        ]
    );
}

#[test]
fn password_hashes_are_reported_in_credential_stores_not_in_code_fixtures_or_docs() {
    let dir = Dir::new();
    let mut fake = Fake::new(33);
    let crypt = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let htpasswd_hash = format!("$2y$10${}", fake.from(crypt, 53));
    let hash = format!("$2b$10${}", fake.from(crypt, 53));
    let store_line = format!("admin:{hash}\n");
    // Credential stores: an htpasswd file, a shadow file.
    dir.write("deploy/htpasswd", format!("admin:{htpasswd_hash}\n"));
    dir.write("etc/shadow", format!("root:{hash}:19700:0:99999:7:::\n"));
    // A hash kept as a value in code or seed data is how an application ships a default
    // account without its password.
    dir.write("db/seed.php", format!("'password' => '{hash}',\n"));
    dir.write(
        "config/users.yml",
        format!("admin_password_hash: \"{hash}\"\n"),
    );
    // Test suites carry hashes of their test users as fixtures by the hundred.
    dir.write("tests/integration/api/users.htpasswd", &store_line);
    dir.write("src/Auth/LoginTest.php", &store_line);
    dir.write("internal/auth/hash_test.go", &store_line);
    dir.write("web/src/login.spec.ts", &store_line);
    dir.write("spec/fixtures/users.passwd", &store_line);
    dir.write("database/factories/users.passwd", &store_line);
    // Documentation shows the format with an example entry.
    dir.write("docs/middlewares/basicauth.passwd", &store_line);
    dir.write("README.rst", format!("  admin:{hash}\n"));
    // Words that only end like a test file name are not one.
    dir.write("app/Latest.passwd", &store_line);
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![
            (
                "crypt-password-hash".into(),
                "app/Latest.passwd".into(),
                1,
                7
            ),
            ("crypt-password-hash".into(), "etc/shadow".into(), 1, 6),
            // One finding per secret: the htpasswd rule, with htpasswd's rotation steps.
            ("htpasswd-bcrypt".into(), "deploy/htpasswd".into(), 1, 7),
        ]
    );
}

#[test]
fn a_pkcs12_key_store_is_found_by_name_and_structure() {
    let dir = Dir::new();
    let mut fake = Fake::new(32);
    // DER: SEQUENCE, two length bytes, INTEGER 3, then the authSafe SEQUENCE; the rest is
    // binary (NUL bytes make it a binary file).
    let mut pfx = vec![
        0x30, 0x82, 0x01, 0x20, 0x02, 0x01, 0x03, 0x30, 0x82, 0x01, 0x00, 0x00,
    ];
    pfx.extend(fake.alnum(280).into_bytes());
    dir.write("certs/client.p12", &pfx);
    dir.write("certs/client.bin", &pfx);
    let mut not_pfx = pfx.clone();
    not_pfx[6] = 0x01;
    dir.write("certs/other.pfx", &not_pfx);
    // A trust store whose bags are all encrypted: its name says it holds certificates.
    let mut trust = pfx[..12].to_vec();
    trust.extend(fake.alnum(280).into_bytes());
    dir.write("certs/client-truststore.p12", &trust);
    // A CA's own key store, whose name only mentions trust, is reported.
    let mut ca = pfx[..12].to_vec();
    ca.extend(fake.alnum(280).into_bytes());
    dir.write("certs/trusted-ca-keystore.p12", &ca);
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![
            ("pkcs12-keystore".into(), "certs/client.p12".into(), 1, 1),
            (
                "pkcs12-keystore".into(),
                "certs/trusted-ca-keystore.p12".into(),
                1,
                1
            ),
        ]
    );
    // The binary files are still counted as skipped for the text rules.
    assert_eq!(report.skipped("binary"), 5);
}

#[test]
fn a_kerberos_keytab_is_found_by_name_and_version() {
    let dir = Dir::new();
    let mut fake = Fake::new(34);
    // Version 05 02, one entry of 0x43 bytes (principal svc@KEYHOUND.TEST), then its key.
    let mut keytab = vec![0x05, 0x02, 0x00, 0x00, 0x00, 0x43, 0x00, 0x01, 0x00, 0x0d];
    keytab.extend(b"KEYHOUND.TEST\x00\x03svc\x00\x00\x00\x01");
    keytab.extend(fake.alnum(48).into_bytes());
    dir.write("deploy/http.keytab", &keytab);
    dir.write("deploy/http.bin", &keytab);
    let mut v1 = keytab.clone();
    v1[1] = 0x01;
    dir.write("deploy/old.keytab", &v1);
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![(
            "kerberos-keytab-file".into(),
            "deploy/http.keytab".into(),
            1,
            1
        )]
    );
}

#[test]
fn java_key_stores_are_found_by_name_and_magic() {
    let dir = Dir::new();
    let mut fake = Fake::new(33);
    let mut jks = vec![
        0xfe, 0xed, 0xfe, 0xed, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01,
    ];
    jks.extend(fake.alnum(200).into_bytes());
    dir.write("android/app/release.jks", &jks);
    dir.write("android/app/release.bin", &jks);
    let mut jceks = jks.clone();
    jceks[..4].copy_from_slice(&[0xce, 0xce, 0xce, 0xce]);
    dir.write("server/keys.jceks", &jceks);
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.places(),
        vec![
            (
                "java-keystore".into(),
                "android/app/release.jks".into(),
                1,
                1
            ),
            ("java-keystore".into(), "server/keys.jceks".into(), 1, 1),
        ]
    );
}
