//! `--staged`: what `git commit` would record now.
//!
//! Each index entry whose blob differs from `HEAD`'s at the same path is scanned, and so is
//! `HEAD`'s version; only secrets the staged version adds are reported (compared by rule and
//! secret), so an old secret elsewhere in a touched file does not block an unrelated commit.
//! Reading the index and objects runs nothing from the repository's configuration.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;
use gix::bstr::{BString, ByteSlice};

use super::{Error, tree_blobs};
use crate::engine::Engine;
use crate::findings::SourceKind;
use crate::scan::{ScanOptions, Worker, WorkerResults, template};

/// Scans the staged changes of `repo`.
pub(crate) fn scan(
    engine: &Engine,
    repo: &gix::Repository,
    options: &ScanOptions,
) -> Result<WorkerResults, Error> {
    if repo.workdir().is_none() {
        return Err(Error::Bare);
    }
    let mut worker = Worker::new(engine, options);
    let index = repo
        .index_or_empty()
        .map_err(Error::git("cannot read the index"))?;
    let head: HashMap<BString, ObjectId> = match repo.head_tree_id() {
        Ok(tree) => {
            let (blobs, _) =
                tree_blobs(repo, tree.detach()).map_err(Error::git("cannot read HEAD's tree"))?;
            blobs.into_iter().collect()
        }
        // No commit yet: everything staged is new.
        Err(_) => HashMap::new(),
    };
    for entry in index.entries() {
        if entry.stage() != gix::index::entry::Stage::Unconflicted
            || entry
                .flags
                .contains(gix::index::entry::Flags::INTENT_TO_ADD)
            || entry.mode == gix::index::entry::Mode::COMMIT
        {
            continue;
        }
        let path = entry.path(&index);
        let before = head.get(path);
        if before == Some(&entry.id) {
            continue;
        }
        let shown = path.to_str_lossy().into_owned();
        if let Some(reason) = options.allowlist.skip_reason(&shown) {
            worker.skip(reason);
            continue;
        }
        let Some(new) = super::find_in_blob(repo, entry.id, &mut worker) else {
            continue;
        };
        if new.is_empty() {
            continue;
        }
        let old: HashSet<(usize, Vec<u8>)> = before
            .and_then(|id| super::find_in_blob(repo, *id, &mut worker))
            .unwrap_or_default()
            .into_iter()
            .map(|m| (m.rule, m.secret))
            .collect();
        let loc = template(SourceKind::Staged, Some(shown));
        for m in new
            .iter()
            .filter(|m| !old.contains(&(m.rule, m.secret.clone())))
        {
            worker.record(m, &loc);
        }
    }
    Ok(worker.finish())
}
