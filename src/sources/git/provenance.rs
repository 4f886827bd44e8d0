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
use rayon::prelude::*;

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
    // The pass is split into contiguous runs of commits, one per worker, each with its own
    // memo; the oldest commit wins when runs are merged. A run re-reads at most the trees its
    // first commit shares with the run before it, which is small next to the whole history
    // (git/git: 85k commits, ~20 s on one thread).
    let workers = rayon::current_num_threads().max(1);
    let run_len = commits.len().div_ceil(workers).max(1);
    let sync = repo.clone().into_sync();
    let runs: Vec<Run> = commits
        .par_chunks(run_len)
        .enumerate()
        .map(|(i, chunk)| walk_run(&sync.to_thread_local(), chunk, i * run_len, targets))
        .collect();
    let mut first: HashMap<(ObjectId, BString), usize> = HashMap::new();
    let mut submodules: BTreeSet<BString> = BTreeSet::new();
    let mut missing = 0u64;
    for run in runs {
        for (key, index) in run.first {
            first
                .entry(key)
                .and_modify(|i| *i = (*i).min(index))
                .or_insert(index);
        }
        submodules.extend(run.submodules);
        missing += run.missing;
    }
    let mut infos: HashMap<usize, CommitInfo> = HashMap::new();
    let mut found: Vec<((ObjectId, BString), usize)> = first.into_iter().collect();
    found.sort();
    for ((id, path), index) in found {
        let places = out.places.entry(id).or_default();
        let path = path.to_str_lossy().into_owned();
        let info = infos
            .entry(index)
            .or_insert_with(|| CommitInfo::read(repo, commits[index]));
        if allowlist.allows_path(&path) || allowlist.allows_commit(&info.id) {
            continue;
        }
        places.push(Place {
            path,
            commit: info.clone(),
        });
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

/// What one run of commits found: for each (blob, path), the index of the first commit in
/// the run that has it.
#[derive(Default)]
struct Run {
    first: HashMap<(ObjectId, BString), usize>,
    submodules: BTreeSet<BString>,
    missing: u64,
}

fn walk_run(
    repo: &gix::Repository,
    commits: &[ObjectId],
    base: usize,
    targets: &HashSet<ObjectId>,
) -> Run {
    let mut run = Run::default();
    let mut seen_trees: HashSet<(ObjectId, u64)> = HashSet::new();
    for (offset, commit_id) in commits.iter().enumerate() {
        let Ok(commit) = repo.find_commit(*commit_id) else {
            run.missing += 1;
            continue;
        };
        let Ok(tree) = commit.tree_id() else {
            run.missing += 1;
            continue;
        };
        let mut stack = vec![(BString::default(), tree.detach())];
        while let Some((prefix, tree_id)) = stack.pop() {
            if !seen_trees.insert((tree_id, path_hash(&prefix))) {
                continue;
            }
            let Ok(tree) = repo.find_tree(tree_id) else {
                run.missing += 1;
                continue;
            };
            let Ok(decoded) = tree.decode() else {
                run.missing += 1;
                continue;
            };
            for entry in &decoded.entries {
                if entry.mode.is_tree() {
                    stack.push((join(prefix.as_ref(), entry.filename), entry.oid.to_owned()));
                } else if entry.mode.is_commit() {
                    run.submodules.insert(join(prefix.as_ref(), entry.filename));
                } else if targets.contains(entry.oid) {
                    run.first
                        .entry((entry.oid.to_owned(), join(prefix.as_ref(), entry.filename)))
                        .or_insert(base + offset);
                }
            }
        }
    }
    run
}

/// Submodules (gitlinks) in `HEAD`'s tree.
pub(crate) fn count_head_submodules(repo: &gix::Repository) -> u64 {
    let Ok(tree) = repo.head_tree_id() else {
        return 0;
    };
    super::tree_blobs(repo, tree.detach()).map_or(0, |(_, subs)| subs.len() as u64)
}
