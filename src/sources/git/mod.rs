//! Git repositories, read with `gix` (never by running `git`).
//!
//! Three modes, one per use:
//! - [`audit`]: every unique blob of the object database once, decoded pack by pack along
//!   the delta tree on all cores, then (only for blobs with findings) provenance;
//! - [`range`]: the blobs that the commits of `BASE..HEAD` add, reporting only secrets that
//!   their parents' versions of the same path lack;
//! - [`staged`]: the index against `HEAD`, likewise.
//!
//! Trust: repositories are opened with `gix::open::Options::isolated()` — no system, global
//! or environment configuration — and nothing here checks files out, runs filters, hooks,
//! fsmonitor, external diff or credential helpers. Reading objects executes nothing.

pub mod audit;
pub mod provenance;
pub mod range;
pub mod staged;

use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::bstr::{BStr, BString, ByteSlice, ByteVec};

use crate::findings::Location;

/// A repository could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No repository at (or above) the path.
    #[error("{}: not a git repository", path.display())]
    NotARepository {
        /// The path.
        path: PathBuf,
        /// What gix said.
        #[source]
        source: Box<gix::Error>,
    },
    /// A revision in `--git-range` does not resolve.
    #[error("cannot resolve `{spec}` in --git-range")]
    Revision {
        /// The revision.
        spec: String,
        /// What gix said.
        #[source]
        source: Box<gix::Error>,
    },
    /// A ref given to `--branch` does not resolve to a commit.
    #[error("cannot resolve `{name}` given to --branch")]
    Ref {
        /// The ref.
        name: String,
        /// What gix said.
        #[source]
        source: Box<gix::Error>,
    },
    /// `--git-range` is not of the form `BASE..HEAD`.
    #[error("--git-range `{0}` is not of the form BASE..HEAD")]
    RangeSyntax(String),
    /// `--staged` was used on a bare repository.
    #[error("--staged needs a repository with a working tree")]
    Bare,
    /// Another repository operation failed.
    #[error("{what}")]
    Git {
        /// What was being done.
        what: String,
        /// What gix said.
        #[source]
        source: Box<gix::Error>,
    },
}

impl Error {
    pub(crate) fn git(what: impl Into<String>) -> impl FnOnce(gix::Error) -> Error {
        let what = what.into();
        move |source| Error::Git {
            what,
            source: Box::new(source),
        }
    }
}

/// Opens the repository whose work tree or git directory is exactly `path`, trusting none
/// of its configuration beyond what reading objects needs. `None` if `path` is not one.
pub fn open_exact(path: &Path) -> Option<gix::Repository> {
    let repo = gix::open_opts(path, open_options()).ok()?;
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    let here = canonical(path)?;
    let is_root = repo.workdir().and_then(canonical).as_deref() == Some(here.as_path())
        || canonical(repo.git_dir()).as_deref() == Some(here.as_path());
    is_root.then(|| with_caches(repo))
}

/// Finds the repository containing `path` (for `--staged`, run from any subdirectory).
pub fn discover(path: &Path) -> Result<gix::Repository, Error> {
    gix::discover_opts(path, Default::default(), open_options())
        .map(with_caches)
        .map_err(|source| Error::NotARepository {
            path: path.to_path_buf(),
            source: Box::new(source),
        })
}

/// Isolated (no system, global or environment configuration), with a larger delta-base cache:
/// provenance reads every distinct tree of the history, and trees are long delta chains.
/// Measured on git/git with findings (one provenance thread): default cache 24.7 s, 96 MiB
/// 23.4 s, 256 MiB 19.2 s. With two provenance threads, 128 MiB per handle gives 15.6 s at
/// 550 MB peak RSS (256 MiB: 15.4 s at 815 MB), within the 1 GiB budget.
fn open_options() -> gix::open::Options {
    gix::open::Options::isolated().config_overrides(["core.deltaBaseCacheLimit=128m"])
}

fn with_caches(mut repo: gix::Repository) -> gix::Repository {
    // Trees and commits are read many times during provenance and diffs; a small object
    // cache and the pack delta cache keep them hot.
    repo.object_cache_size_if_unset(16 * 1024 * 1024);
    repo
}

/// Path of a tree entry below `prefix`.
pub(crate) fn join(prefix: &BStr, name: &BStr) -> BString {
    let mut p = BString::from(Vec::with_capacity(prefix.len() + 1 + name.len()));
    if !prefix.is_empty() {
        p.push_str(prefix);
        p.push(b'/');
    }
    p.push_str(name);
    p
}

/// Commit metadata attached to history locations.
#[derive(Debug, Clone, Default)]
pub(crate) struct CommitInfo {
    pub id: String,
    pub author: Option<String>,
    pub email: Option<String>,
    pub date: Option<String>,
}

impl CommitInfo {
    /// Reads the commit's author and date. A malformed signature leaves them empty rather
    /// than losing the location.
    pub fn read(repo: &gix::Repository, id: ObjectId) -> CommitInfo {
        let mut info = CommitInfo {
            id: id.to_string(),
            ..CommitInfo::default()
        };
        if let Ok(commit) = repo.find_commit(id)
            && let Ok(sig) = commit.author()
        {
            info.author = Some(sig.name.to_str_lossy().trim().to_string());
            info.email = Some(sig.email.to_str_lossy().trim().to_string());
            info.date = sig
                .time()
                .ok()
                .and_then(|t| t.format(gix::date::time::format::ISO8601_STRICT).ok());
        }
        info
    }

    /// Fills the provenance fields of `location`.
    pub fn apply(&self, location: &mut Location) {
        location.commit = Some(self.id.clone());
        location.author.clone_from(&self.author);
        location.email.clone_from(&self.email);
        location.date.clone_from(&self.date);
    }
}

/// `(path, blob id)` pairs of a tree.
pub(crate) type TreeBlobs = Vec<(BString, ObjectId)>;

/// Every blob of a tree, recursively: `(path, blob id)`. Gitlinks (submodules) are not
/// followed; their paths are returned separately.
pub(crate) fn tree_blobs(
    repo: &gix::Repository,
    tree: ObjectId,
) -> Result<(TreeBlobs, Vec<BString>), gix::Error> {
    let mut blobs = Vec::new();
    let mut submodules = Vec::new();
    let mut stack = vec![(BString::default(), tree)];
    while let Some((prefix, id)) = stack.pop() {
        let tree = repo.find_tree(id)?;
        let decoded = tree.decode()?;
        for entry in &decoded.entries {
            let path = join(prefix.as_ref(), entry.filename);
            if entry.mode.is_tree() {
                stack.push((path, entry.oid.to_owned()));
            } else if entry.mode.is_commit() {
                submodules.push(path);
            } else {
                blobs.push((path, entry.oid.to_owned()));
            }
        }
    }
    Ok((blobs, submodules))
}

/// A blob that differs between two trees: its path, new id, and the old id at that path if
/// the old tree had a blob there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub path: BString,
    pub new: ObjectId,
    pub old: Option<ObjectId>,
}

/// Blobs of `new` that are not identical at the same path in `old` (all of them when `old`
/// is `None`). Subtrees with equal ids are skipped without being read. Gitlinks are counted
/// in `submodules`, not followed.
pub(crate) fn changed_blobs(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: ObjectId,
    out: &mut Vec<Change>,
    submodules: &mut u64,
) -> Result<(), gix::Error> {
    let mut stack = vec![(BString::default(), old, new)];
    while let Some((prefix, old, new)) = stack.pop() {
        if old == Some(new) {
            continue;
        }
        let old_tree = old.map(|id| repo.find_tree(id)).transpose()?;
        let old_decoded = old_tree.as_ref().map(|t| t.decode()).transpose()?;
        let tree = repo.find_tree(new)?;
        let decoded = tree.decode()?;
        // Both trees are in git's order, so one merge walk pairs the entries, and a path is
        // built only for what changed: a push to git/git touches a few files, and a map key
        // and a path for every entry of the trees on the way (`t/` holds over a thousand)
        // were most of a range scan's diffing. A tree out of order (corrupt: `git fsck` rejects
        // it) can only leave an entry unpaired, which is then scanned as new: nothing is missed.
        let mut before = old_decoded.as_ref().map_or(&[][..], |d| &d.entries[..]);
        for entry in &decoded.entries {
            let here = (entry.filename.as_bytes(), entry.mode.is_tree());
            while let Some(first) = before.first()
                && git_order((first.filename.as_bytes(), first.mode.is_tree()), here).is_lt()
            {
                before = &before[1..];
            }
            let was = before
                .first()
                .filter(|first| {
                    git_order((first.filename.as_bytes(), first.mode.is_tree()), here).is_eq()
                })
                .map(|first| (first.mode, first.oid));
            if entry.mode.is_tree() {
                let old_sub = was.filter(|(m, _)| m.is_tree()).map(|(_, id)| id);
                if old_sub != Some(entry.oid) {
                    stack.push((
                        join(prefix.as_ref(), entry.filename),
                        old_sub.map(|id| id.to_owned()),
                        entry.oid.to_owned(),
                    ));
                }
            } else if entry.mode.is_commit() {
                *submodules += 1;
            } else {
                let old_blob = was
                    .filter(|(m, _)| m.is_blob_or_symlink())
                    .map(|(_, id)| id);
                if old_blob != Some(entry.oid) {
                    out.push(Change {
                        path: join(prefix.as_ref(), entry.filename),
                        new: entry.oid.to_owned(),
                        old: old_blob.map(|id| id.to_owned()),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Git's order of tree entries: by name, a subtree's name compared as if it ended in `/`.
/// Entries of one name and kind compare equal; a file and a directory of one name do not (a
/// path that changed kind is a new file or a new directory, as before).
fn git_order(a: (&[u8], bool), b: (&[u8], bool)) -> std::cmp::Ordering {
    let n = a.0.len().min(b.0.len());
    a.0[..n].cmp(&b.0[..n]).then_with(|| {
        let next = |(name, tree): (&[u8], bool)| name.get(n).copied().or(tree.then_some(b'/'));
        next(a).cmp(&next(b))
    })
}

/// The commit `spec` (a ref, a tag, an id, `HEAD~3`) names, through annotated tags.
pub(crate) fn resolve_commit(
    repo: &gix::Repository,
    spec: &str,
) -> Result<ObjectId, Box<gix::Error>> {
    repo.rev_parse_single(spec)
        .and_then(|id| id.object())
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id)
        .map_err(Box::new)
}

/// Commits that references (and a detached HEAD) point to, peeled through tags; tags of
/// trees or blobs are left out.
pub(crate) fn ref_tips(repo: &gix::Repository, warnings: &mut Vec<String>) -> Vec<ObjectId> {
    let mut tips = Vec::new();
    match repo.references() {
        Ok(platform) => match platform.all() {
            Ok(iter) => {
                for r in iter {
                    match r {
                        Ok(mut r) => {
                            if let Ok(id) = r.peel_to_id() {
                                tips.push(id.detach());
                            }
                        }
                        Err(e) => warnings.push(format!("cannot read a reference: {e}")),
                    }
                }
            }
            Err(e) => warnings.push(format!("cannot list references: {e}")),
        },
        Err(e) => warnings.push(format!("cannot list references: {e}")),
    }
    if let Ok(head) = repo.head_id() {
        tips.push(head.detach());
    }
    tips.retain(|id| repo.find_commit(*id).is_ok());
    tips.sort_unstable();
    tips.dedup();
    tips
}

/// Root directory and version-control details of `repo`, for reports.
pub(crate) fn context(repo: &gix::Repository) -> crate::scan::ScanContext {
    let root = repo
        .workdir()
        .unwrap_or_else(|| repo.git_dir())
        .to_path_buf();
    let config = repo.config_snapshot();
    let uri = config
        .string("remote.origin.url")
        .map(|u| u.to_str_lossy().into_owned())
        .filter(|u| u.contains("://"))
        // `https://x-access-token:<token>@github.com/…` (CI checkouts): the report, which may
        // be uploaded, must not carry the token.
        .map(|u| super::remote::without_credentials(&u))
        .unwrap_or_else(|| {
            let abs = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
            format!("file://{}", abs.display())
        });
    let head = repo.head_id().ok().map(|id| id.to_string());
    let branch = repo
        .head_name()
        .ok()
        .flatten()
        .map(|n| n.shorten().to_str_lossy().into_owned());
    crate::scan::ScanContext {
        root: Some(root),
        repository: Some(crate::scan::RepositoryInfo { uri, head, branch }),
    }
}

/// Reads blob `id` and finds its secrets. `None` when it is too large, binary or unreadable
/// (each counted, an unreadable one also reported).
pub(crate) fn find_in_blob(
    repo: &gix::Repository,
    id: ObjectId,
    worker: &mut crate::scan::Worker<'_>,
) -> Option<Vec<crate::scan::LocatedMatch>> {
    use crate::scan::SkipReason;
    match repo.find_blob(id) {
        Ok(blob) => {
            if blob.data.len() as u64 > worker.options().max_file_size {
                worker.skip(SkipReason::TooLarge);
                return None;
            }
            worker.find(&blob.data, &id)
        }
        Err(e) => {
            worker.skip(SkipReason::Corrupt);
            worker.warn(format!("blob {id}: cannot be read: {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_entries_compare_in_git_order() {
        // `git mktree` order for these names: the file `conf`, then `conf-old`, `conf.d/`,
        // `conf/` (a directory sorts as `conf/`), then `conf0`.
        let sorted = [
            (&b"conf"[..], false),
            (b"conf-old", false),
            (b"conf.d", true),
            (b"conf", true),
            (b"conf0", false),
        ];
        for (i, a) in sorted.iter().enumerate() {
            for (j, b) in sorted.iter().enumerate() {
                assert_eq!(git_order(*a, *b), i.cmp(&j), "{a:?} {b:?}");
            }
        }
    }
}
