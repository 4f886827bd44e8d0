//! Where blobs with findings entered history: for each (blob, path), the oldest commit that
//! has the blob at that path, with its author and date.
//!
//! Only runs when something was found, so a clean repository pays nothing. One pass over
//! every commit reachable from any ref (branches, tags, remote-tracking refs, the stash,
//! notes, a detached HEAD), oldest first. A subtree already seen at the same path was fully
//! visited for an older commit, so it is skipped: the pass costs one visit per distinct
//! (tree, path), not per commit. Memory is the set of those pairs plus the places found.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};

use gix::ObjectId;
use gix::bstr::{BString, ByteSlice};

use super::{CommitInfo, join};
use crate::config::Allowlist;

/// A path at which a blob entered history, and the commit that brought it.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub path: String,
    pub commit: CommitInfo,
}

/// Result of [`locate`].
#[derive(Debug, Default)]
pub(crate) struct Located {
    /// Blob → places. A blob reached only at allowlisted places maps to an empty list; a
    /// blob no commit reaches is absent.
    pub places: HashMap<ObjectId, Vec<Place>>,
    pub warnings: Vec<String>,
    pub submodules: u64,
}

/// Every commit reachable from any reference, oldest first.
pub(crate) fn all_commits(repo: &gix::Repository, warnings: &mut Vec<String>) -> Vec<ObjectId> {
    let tips = super::ref_tips(repo, warnings);
    if tips.is_empty() {
        return Vec::new();
    }
    let walk = repo
        .rev_walk(tips)
        .sorting(gix::revision::walk::Sorting::ByCommitTime(
            gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
        ))
        .all();
    let mut commits = Vec::new();
    match walk {
        Ok(walk) => {
            for info in walk {
                match info {
                    Ok(info) => commits.push(info.id),
                    Err(e) => {
                        warnings.push(format!("history walk stopped early: {e}"));
                        break;
                    }
                }
            }
        }
        Err(e) => warnings.push(format!("cannot walk history: {e}")),
    }
    commits.reverse();
    commits
}

fn path_hash(path: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    path.hash(&mut h);
    h.finish()
}

/// Finds the places of `targets` in history.
pub(crate) fn locate(
    repo: &gix::Repository,
    targets: &HashSet<ObjectId>,
    allowlist: &Allowlist,
) -> Located {
    let mut out = Located::default();
    let commits = all_commits(repo, &mut out.warnings);
    let mut seen_trees: HashSet<(ObjectId, u64)> = HashSet::new();
    let mut recorded: HashSet<(ObjectId, BString)> = HashSet::new();
    let mut submodules: BTreeSet<BString> = BTreeSet::new();
    let mut missing = 0u64;
    for commit_id in commits {
        let Ok(commit) = repo.find_commit(commit_id) else {
            missing += 1;
            continue;
        };
        let Ok(tree) = commit.tree_id() else {
            missing += 1;
            continue;
        };
        let mut info: Option<CommitInfo> = None;
        let mut stack = vec![(BString::default(), tree.detach())];
        while let Some((prefix, tree_id)) = stack.pop() {
            if !seen_trees.insert((tree_id, path_hash(&prefix))) {
                continue;
            }
            let Ok(tree) = repo.find_tree(tree_id) else {
                missing += 1;
                continue;
            };
            let Ok(decoded) = tree.decode() else {
                missing += 1;
                continue;
            };
            for entry in &decoded.entries {
                if entry.mode.is_tree() {
                    stack.push((join(prefix.as_ref(), entry.filename), entry.oid.to_owned()));
                } else if entry.mode.is_commit() {
                    submodules.insert(join(prefix.as_ref(), entry.filename));
                } else if targets.contains(entry.oid) {
                    let path = join(prefix.as_ref(), entry.filename);
                    let id = entry.oid.to_owned();
                    if !recorded.insert((id, path.clone())) {
                        continue;
                    }
                    let places = out.places.entry(id).or_default();
                    let path = path.to_str_lossy().into_owned();
                    let info = info.get_or_insert_with(|| CommitInfo::read(repo, commit_id));
                    if allowlist.allows_path(&path) || allowlist.allows_commit(&info.id) {
                        continue;
                    }
                    places.push(Place {
                        path,
                        commit: info.clone(),
                    });
                }
            }
        }
    }
    if missing > 0 {
        out.warnings.push(format!(
            "{missing} commit(s) or tree(s) are missing or corrupt; provenance may be incomplete"
        ));
    }
    for path in &submodules {
        out.warnings.push(format!(
            "submodule at {path} is not followed (scan its repository separately)"
        ));
    }
    out.submodules = submodules.len() as u64;
    out
}

/// Submodules (gitlinks) in `HEAD`'s tree.
pub(crate) fn count_head_submodules(repo: &gix::Repository) -> u64 {
    let Ok(tree) = repo.head_tree_id() else {
        return 0;
    };
    super::tree_blobs(repo, tree.detach()).map_or(0, |(_, subs)| subs.len() as u64)
}
