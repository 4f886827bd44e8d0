//! Where blobs with findings entered history: for each (blob, path), the oldest commit that
//! has the blob at that path, with its author and date.
//!
//! Only runs when something was found, so a clean repository pays nothing. One pass over
//! every commit reachable from any ref (branches, tags, remote-tracking refs, the stash,
//! notes, a detached HEAD), oldest first. A subtree already seen at the same path was fully
//! visited for an older commit, so it is skipped: the pass costs one visit per distinct
//! (tree, path), not per commit. Memory is the set of those pairs plus the places found.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

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
    commits_from(repo, tips, warnings)
}

/// Every commit reachable from `tips`, oldest first.
pub(crate) fn commits_from(
    repo: &gix::Repository,
    tips: Vec<ObjectId>,
    warnings: &mut Vec<String>,
) -> Vec<ObjectId> {
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

/// Finds the places of `targets` in the history `tips` reach.
pub(crate) fn locate(
    repo: &gix::Repository,
    tips: Vec<ObjectId>,
    targets: &HashSet<ObjectId>,
    allowlist: &Allowlist,
) -> Located {
    let mut out = Located::default();
    let commits = commits_from(repo, tips, &mut out.warnings);
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

/// A subtree visited at a path (by the path's hash). Its hash is the tree id's first eight
/// bytes mixed with the path's: both are hashes already, and SipHash over them was 5% of the
/// provenance pass.
#[derive(PartialEq, Eq)]
struct Visit {
    tree: ObjectId,
    path: u64,
}

impl Hash for Visit {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let head: [u8; 8] = self.tree.as_bytes()[..8]
            .try_into()
            .expect("ids are 20 or 32 bytes");
        state.write_u64(u64::from_ne_bytes(head) ^ self.path);
    }
}

/// Hands on the one `u64` a [`Visit`] writes.
#[derive(Default)]
struct Premixed(u64);

impl Hasher for Premixed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used by `Visit`; a fold keeps any other key correct, if slow.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// FNV-1a of the path `prefix/name` (of `name` alone at the root), without building it.
fn path_hash(prefix: &[u8], name: &[u8]) -> u64 {
    let sep: &[u8] = if prefix.is_empty() { b"" } else { b"/" };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in prefix.iter().chain(sep).chain(name) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn walk_run(
    repo: &gix::Repository,
    commits: &[ObjectId],
    base: usize,
    targets: &HashSet<ObjectId>,
) -> Run {
    use gix::objs::FindExt;
    let targets: gix::hashtable::HashSet<ObjectId> = targets.iter().copied().collect();
    let mut run = Run::default();
    let mut seen: HashSet<Visit, BuildHasherDefault<Premixed>> = HashSet::default();
    let mut buf = Vec::new();
    let mut stack: Vec<(BString, ObjectId)> = Vec::new();
    for (offset, commit_id) in commits.iter().enumerate() {
        let root = repo
            .objects
            .find_commit_iter(commit_id, &mut buf)
            .ok()
            .and_then(|mut commit| commit.tree_id().ok());
        let Some(root) = root else {
            run.missing += 1;
            continue;
        };
        // A subtree is marked seen when it is queued, so one already visited at the same
        // path costs neither a lookup nor its path.
        if !seen.insert(Visit {
            tree: root,
            path: path_hash(b"", b""),
        }) {
            continue;
        }
        stack.push((BString::default(), root));
        while let Some((prefix, tree_id)) = stack.pop() {
            let Ok(entries) = repo.objects.find_tree_iter(&tree_id, &mut buf) else {
                run.missing += 1;
                continue;
            };
            for entry in entries {
                let Ok(entry) = entry else {
                    run.missing += 1;
                    break;
                };
                if entry.mode.is_tree() {
                    let visit = Visit {
                        tree: entry.oid.to_owned(),
                        path: path_hash(&prefix, entry.filename),
                    };
                    if seen.insert(visit) {
                        stack.push((join(prefix.as_ref(), entry.filename), entry.oid.to_owned()));
                    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_hashes_as_the_joined_path() {
        assert_eq!(path_hash(b"a/b", b"c"), path_hash(b"", b"a/b/c"));
        assert_ne!(path_hash(b"a", b"bc"), path_hash(b"ab", b"c"));
        assert_ne!(path_hash(b"", b""), path_hash(b"", b"a"));
    }

    #[test]
    fn one_tree_at_two_paths_is_two_visits() {
        let tree = ObjectId::from_hex(b"4b825dc642cb6eb9a060e54bf8d69288fbee4904").expect("hex");
        let mut seen: HashSet<Visit, BuildHasherDefault<Premixed>> = HashSet::default();
        assert!(seen.insert(Visit {
            tree,
            path: path_hash(b"", b"src"),
        }));
        assert!(seen.insert(Visit {
            tree,
            path: path_hash(b"", b"lib"),
        }));
        assert!(!seen.insert(Visit {
            tree,
            path: path_hash(b"", b"src"),
        }));
    }
}
