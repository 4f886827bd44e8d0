//! The pre-commit hook: `keyhound install-hook` in a fresh repository blocks a commit that adds
//! a secret, with a message that says what, where and how to allow a false positive, and lets
//! a clean commit through. Also `.pre-commit-hooks.yaml` as pre-commit reads it.

mod util;

use std::path::Path;
use std::process::Command;

use util::{Fake, Repo};

fn git_commit(repo: &Repo, message: &str) -> std::process::Output {
    Command::new("git")
        .args(["commit", "-q", "-m", message])
        .current_dir(repo.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", repo.path())
        .env("GIT_AUTHOR_NAME", "Ada Author")
        .env("GIT_AUTHOR_EMAIL", "ada@example.test")
        .env("GIT_COMMITTER_NAME", "Ada Author")
        .env("GIT_COMMITTER_EMAIL", "ada@example.test")
        .output()
        .expect("git commit")
}

#[test]
fn hook_blocks_a_leaking_commit_and_lets_a_clean_one_through() {
    let repo = Repo::new();
    let out = repo.dir.run(&["install-hook"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hook = repo.path().join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).expect("hook written");
    assert!(text.starts_with("#!/bin/sh\n") && text.contains("scan --staged"));

    repo.write("README.md", "hello\n");
    repo.git(&["add", "README.md"]);
    let ok = git_commit(&repo, "clean");
    assert!(
        ok.status.success(),
        "clean commit blocked: {}",
        String::from_utf8_lossy(&ok.stdout)
    );

    let mut fake = Fake::new(500);
    let token = fake.github("ghp_");
    repo.write("deploy/app.env", format!("A=1\nGITHUB_TOKEN={token}\n"));
    repo.git(&["add", "deploy/app.env"]);
    let blocked = git_commit(&repo, "leak");
    assert!(!blocked.status.success(), "the leaking commit went through");
    let message = String::from_utf8_lossy(&blocked.stdout).to_string()
        + &String::from_utf8_lossy(&blocked.stderr);
    assert!(message.contains("github-pat-classic"), "{message}");
    assert!(message.contains("deploy/app.env:2:14"), "{message}");
    assert!(message.contains("keyhound:allow"), "{message}");
    assert!(!message.contains(&token), "the hook printed the secret");

    // The documented way out for a false positive works.
    repo.write(
        "deploy/app.env",
        format!("A=1\nGITHUB_TOKEN={token} # keyhound:allow\n"),
    );
    repo.git(&["add", "deploy/app.env"]);
    assert!(git_commit(&repo, "allowed").status.success());
}

#[test]
fn install_hook_refuses_to_replace_another_hook_without_force() {
    let repo = Repo::new();
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().expect("hooks dir")).expect("mkdir");
    std::fs::write(&hook, "#!/bin/sh\necho someone else's hook\n").expect("write");
    let out = repo.dir.run(&["install-hook"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert!(
        std::fs::read_to_string(&hook)
            .expect("hook")
            .contains("someone else")
    );
    let out = repo.dir.run(&["install-hook", "--force"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&hook)
            .expect("hook")
            .contains("scan --staged")
    );
    // Re-installing over keyhound's own hook needs no --force.
    assert_eq!(repo.dir.run(&["install-hook"]).status.code(), Some(0));
}

#[test]
fn pre_commit_hooks_yaml_declares_both_hooks() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .expect(".pre-commit-hooks.yaml");
    let hooks: Vec<&str> = text.split("\n- id: ").skip(1).collect();
    assert_eq!(hooks.len(), 2, "{text}");
    assert!(hooks[0].starts_with("keyhound\n") && hooks[0].contains("language: rust"));
    assert!(hooks[1].starts_with("keyhound-system\n") && hooks[1].contains("language: system"));
    for h in hooks {
        assert!(h.contains("entry: keyhound scan --staged"));
        assert!(h.contains("pass_filenames: false"));
    }
}
