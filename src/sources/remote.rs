//! Repositories named by URL (`keyhound scan https://github.com/org/repo`): cloned bare by the
//! system's `git` into a temporary directory, audited like a local repository, and removed.
//!
//! A bare clone checks nothing out and runs no hook, so the repository's content cannot make
//! keyhound or git execute anything; `ext::` URLs, which run a command by design, are refused.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

/// Why a repository could not be cloned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No empty directory could be made for the clone.
    #[error("cannot create a directory to clone into: {0}")]
    TempDir(#[source] std::io::Error),
    /// `git` could not be started.
    #[error("cannot run git to clone {url} (is git installed?): {source}")]
    Spawn {
        /// The repository, without credentials.
        url: String,
        /// Why it could not be started.
        source: std::io::Error,
    },
    /// `git clone` failed; git has said why on standard error.
    #[error("git clone {url} failed ({status})")]
    Failed {
        /// The repository, without credentials.
        url: String,
        /// git's exit status.
        status: ExitStatus,
    },
}

/// Whether `arg` names a remote repository rather than a path: a URL in a scheme git fetches
/// over (`https://`, `http://`, `ssh://`, `git://`, `file://`) or scp-like `user@host:path`.
pub fn is_url(arg: &str) -> bool {
    const SCHEMES: [&str; 5] = ["https://", "http://", "ssh://", "git://", "file://"];
    if SCHEMES.iter().any(|s| {
        arg.len() > s.len()
            && arg
                .get(..s.len())
                .is_some_and(|a| a.eq_ignore_ascii_case(s))
    }) {
        return true;
    }
    // `git@github.com:org/repo.git`: a user, a host, a colon and a path, with no slash before
    // the colon (git's own rule for telling this form from a local path).
    match (arg.find('@'), arg.find(':')) {
        (Some(at), Some(colon)) => {
            at > 0 && colon > at + 1 && colon + 1 < arg.len() && !arg[..colon].contains('/')
        }
        _ => false,
    }
}

/// Whether `arg` reads as a repository named without a scheme, `host.tld/owner/repo`: the
/// first segment a domain name, two or more segments after it.
pub fn looks_like_host_path(arg: &str) -> bool {
    let mut segments = arg.split('/');
    let host = segments.next().unwrap_or_default();
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
        && segments.filter(|s| !s.is_empty()).count() >= 2
}

/// `url` without the user name and password of an `https://user:token@host/…` URL, for
/// reports and messages: the token in a clone URL is a secret too.
pub fn without_credentials(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// A bare clone in a temporary directory, removed when dropped.
#[derive(Debug)]
pub struct BareClone {
    dir: PathBuf,
}

impl Drop for BareClone {
    fn drop(&mut self) {
        // Nothing to report to: the scan is over, and a leftover directory in the temporary
        // directory is the worst outcome.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl BareClone {
    /// The clone's git directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// A new, empty directory under the system's temporary directory, to clone into with
    /// [`BareClone::fetch`]. Knowing it before git runs lets a caller remove it if the process is
    /// interrupted (no destructor runs then).
    pub fn new() -> Result<BareClone, Error> {
        Ok(BareClone {
            dir: empty_temp_dir().map_err(Error::TempDir)?,
        })
    }

    /// Clones every branch and tag of `url` into the directory with `git clone --bare`. git's
    /// progress is shown on standard error unless `quiet`; its error messages always are.
    pub fn fetch(&self, url: &str, quiet: bool) -> Result<(), Error> {
        fetch(&self.dir, url, quiet)
    }
}

fn fetch(dir: &Path, url: &str, quiet: bool) -> Result<(), Error> {
    let mut git = Command::new("git");
    git.args(["-c", "protocol.ext.allow=never", "clone", "--bare"]);
    if quiet {
        git.arg("--quiet");
    }
    let status = git
        .arg("--")
        .arg(url)
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .map_err(|source| Error::Spawn {
            url: without_credentials(url),
            source,
        })?;
    if !status.success() {
        return Err(Error::Failed {
            url: without_credentials(url),
            status,
        });
    }
    Ok(())
}

/// A new, empty directory under the system's temporary directory.
fn empty_temp_dir() -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut attempt = 0u32;
    loop {
        let dir = base.join(format!(
            "keyhound-clone-{}-{nanos:08x}-{attempt}",
            std::process::id()
        ));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths_are_told_apart() {
        for url in [
            "https://github.com/org/repo",
            "HTTPS://github.com/org/repo.git",
            "http://git.example.test/repo",
            "ssh://git@github.com/org/repo.git",
            "git://git.example.test/repo",
            "file:///srv/git/repo.git",
            "git@github.com:org/repo.git",
        ] {
            assert!(is_url(url), "{url}");
        }
        for path in [
            ".",
            "src",
            "./git@host:repo",
            "dir/user@host:repo",
            "C:\\repo",
            "https://",
            "user@host:",
            "@host:repo",
            "é@:x",
            "日本語://",
        ] {
            assert!(!is_url(path), "{path}");
        }
    }

    #[test]
    fn host_paths_are_told_from_relative_paths() {
        for arg in [
            "github.com/org/repo",
            "gitlab.example.test/group/sub/repo.git",
        ] {
            assert!(looks_like_host_path(arg), "{arg}");
        }
        for arg in [
            "src/engine/mod.rs",
            "./github.com/org",
            "github.com/org",
            "a.b/c/d",
            "v1.2/x/y",
        ] {
            assert!(!looks_like_host_path(arg), "{arg}");
        }
    }

    #[test]
    fn credentials_are_taken_out_of_urls() {
        assert_eq!(
            without_credentials("https://x-access-token:ghs_abc@github.com/org/repo.git"),
            "https://github.com/org/repo.git"
        );
        assert_eq!(
            without_credentials("https://user@git.example.test/a@b"),
            "https://git.example.test/a@b"
        );
        assert_eq!(
            without_credentials("https://github.com/org/repo"),
            "https://github.com/org/repo"
        );
        assert_eq!(
            without_credentials("git@github.com:org/repo.git"),
            "git@github.com:org/repo.git"
        );
    }
}
