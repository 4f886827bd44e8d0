//! Whole-repository audit: every unique blob in the object database, scanned once.
//!
//! Packs are decoded with gix's delta-tree traversal (`DeltaTreeLookup`): each base object is
//! inflated once and its deltas are applied from it, in parallel across threads, in pack
//! order. Random-access lookups by id would re-resolve delta chains again and again; this is
//! the cheapest way to see every object. Blobs present in an earlier pack are skipped, as are
//! loose objects that are also packed, so each blob id is scanned once. Commit metadata is
//! not needed to scan and is only looked up for blobs that produced a finding
//! ([`super::provenance`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gix::ObjectId;
use gix::odb::pack;
use rayon::prelude::*;

use super::Error;
use super::provenance::{self, Place};
use crate::engine::Engine;
use crate::findings::SourceKind;
use crate::scan::{LocatedMatch, ScanOptions, SkipReason, Worker, WorkerResults, template};
use crate::sources::fs::{self, KnownBlobs};

/// A blob with findings, before we know where it lives.
#[derive(Debug)]
pub(crate) struct BlobHit {
    pub id: ObjectId,
    pub matches: Vec<LocatedMatch>,
}

/// What scanning the object database produced.
#[derive(Debug, Default)]
pub(crate) struct OdbScan {
    pub hits: Vec<BlobHit>,
    pub scanned: HashSet<ObjectId>,
    pub results: WorkerResults,
}

/// Scans the history of `repo` (unless disabled) and its work tree (unless disabled).
pub(crate) fn scan(
    engine: &Engine,
    repo: &gix::Repository,
    options: &ScanOptions,
) -> Result<WorkerResults, Error> {
    let mut out = WorkerResults::default();
    // `--branch`: resolved first, so a misspelt ref fails before the scan, not after it.
    let tips = if options.refs.is_empty() {
        None
    } else {
        let mut tips = Vec::with_capacity(options.refs.len());
        for name in &options.refs {
            tips.push(resolve_ref(repo, name)?);
        }
        Some(tips)
    };
    let odb = if options.history {
        scan_object_database(engine, repo, options)?
    } else {
        OdbScan::default()
    };
    let OdbScan {
        hits,
        scanned,
        results,
    } = odb;
    out.merge(results);
    if options.history && is_partial_clone(repo) {
        let missing = missing_blobs(repo, &mut out.warnings);
        if missing > 0 {
            *out.stats.skipped.entry(SkipReason::Corrupt).or_default() += missing;
            out.warnings.push(format!(
                "partial clone: {missing} blob(s) of the history were never fetched and were \
                 not scanned (clone without --filter to scan them)"
            ));
        }
    }
    if options.history && repo.is_shallow().unwrap_or(false) {
        out.warnings.push(
            "shallow clone: commits before the shallow boundary are not in the repository \
             and were not scanned"
                .to_string(),
        );
        out.stats.shallow = true;
    }
    let mut worktree_dupes: Vec<(String, ObjectId)> = Vec::new();
    if options.worktree
        && let Some(workdir) = repo.workdir()
    {
        let known = KnownBlobs {
            hash: repo.object_hash(),
            ids: scanned,
        };
        let (results, dupes) = fs::scan_with_known(engine, workdir, options, Some(&known))
            .map_err(|e| Error::Git {
                what: format!("cannot scan the work tree {}", workdir.display()),
                source: Box::new(gix::Error::from_error(e)),
            })?;
        out.merge(results);
        worktree_dupes = dupes;
    }
    if !hits.is_empty() {
        let targets: HashSet<ObjectId> = hits.iter().map(|h| h.id).collect();
        let restricted = tips.is_some();
        let tips = tips.unwrap_or_else(|| super::ref_tips(repo, &mut out.warnings));
        let found = provenance::locate(repo, tips, &targets, &options.allowlist);
        out.warnings.extend(found.warnings);
        out.stats.submodules += found.submodules;
        let mut worktree_by_blob: HashMap<ObjectId, Vec<&str>> = HashMap::new();
        for (path, id) in &worktree_dupes {
            worktree_by_blob.entry(*id).or_default().push(path);
        }
        let mut outside = 0u64;
        for hit in &hits {
            let places = found.places.get(&hit.id);
            let worktree = worktree_by_blob.get(&hit.id);
            if restricted && places.is_none() {
                // Not in the history asked for: its copies on disk, if any, are still findings.
                outside += 1;
                record_hit(&mut out, hit, Some(&[]), worktree, options);
            } else {
                record_hit(&mut out, hit, places.map(Vec::as_slice), worktree, options);
            }
        }
        if outside > 0 {
            out.warnings.push(format!(
                "{outside} blob(s) with findings are not in the history of {}: not reported \
                 (scan without --branch to see them)",
                options.refs.join(", ")
            ));
        }
    } else if options.history {
        out.stats.submodules += provenance::count_head_submodules(repo);
    }
    Ok(out)
}

/// The commit a `--branch` ref names, through tags.
fn resolve_ref(repo: &gix::Repository, name: &str) -> Result<ObjectId, Error> {
    super::resolve_commit(repo, name).map_err(|source| Error::Ref {
        name: name.to_string(),
        source,
    })
}

fn record_hit(
    out: &mut WorkerResults,
    hit: &BlobHit,
    places: Option<&[Place]>,
    worktree: Option<&Vec<&str>>,
    options: &ScanOptions,
) {
    let blob = hit.id.to_string();
    let mut add = |loc: crate::findings::Location| {
        for m in &hit.matches {
            out.collector.add(m.rule, &m.secret, m.locate(&loc));
        }
    };
    match places {
        // Reached by history; an empty list means every place is allowlisted or skipped.
        Some(places) => {
            for place in places {
                let mut loc = template(SourceKind::History, Some(place.path.clone()));
                place.commit.apply(&mut loc);
                loc.blob = Some(blob.clone());
                add(loc);
            }
        }
        None => {
            // No ref reaches the blob, but it is still in the repository.
            let mut loc = template(SourceKind::Unreachable, None);
            loc.blob = Some(blob.clone());
            add(loc);
        }
    }
    for path in worktree.into_iter().flatten() {
        if !options.allowlist.allows_path(path) {
            add(template(SourceKind::Worktree, Some((*path).to_string())));
        }
    }
}

/// A partial clone (`git clone --filter=blob:none`, or a CI checkout with a filter) holds
/// only the blobs it has needed so far; the rest live on the promisor remote. Git marks the
/// packs it got that way with a `.promisor` file and records the remote in the config.
fn is_partial_clone(repo: &gix::Repository) -> bool {
    let config = repo.config_snapshot();
    if config.string("extensions.partialClone").is_some() {
        return true;
    }
    let promisor_remote = repo.remote_names().iter().any(|name| {
        config
            .boolean(format!("remote.{name}.promisor").as_str())
            .unwrap_or(false)
    });
    promisor_remote
        || object_dirs(repo).iter().any(|dir| {
            std::fs::read_dir(dir.join("pack")).is_ok_and(|entries| {
                entries
                    .filter_map(Result::ok)
                    .any(|e| e.path().extension().is_some_and(|x| x == "promisor"))
            })
        })
}

/// Blobs that commits reachable from any ref name but the object database does not hold.
/// Git would fetch them from the promisor remote on demand; keyhound never touches the
/// network (nor runs git), so they are counted and reported instead. Whether a blob exists
/// does not depend on its path, so each worker visits each distinct tree once; the runs of
/// commits are split across workers as in [`provenance::locate`], and a blob two runs both
/// miss is counted once.
fn missing_blobs(repo: &gix::Repository, warnings: &mut Vec<String>) -> u64 {
    let commits = provenance::all_commits(repo, warnings);
    let workers = rayon::current_num_threads().max(1);
    let run_len = commits.len().div_ceil(workers).max(1);
    let sync = repo.clone().into_sync();
    let missing: HashSet<ObjectId> = commits
        .par_chunks(run_len)
        .map(|run| {
            let repo = sync.to_thread_local();
            let mut seen_trees: HashSet<ObjectId> = HashSet::new();
            let mut seen_blobs: HashSet<ObjectId> = HashSet::new();
            let mut missing: HashSet<ObjectId> = HashSet::new();
            for commit_id in run {
                let Some(tree) = repo
                    .find_commit(*commit_id)
                    .ok()
                    .and_then(|c| c.tree_id().ok())
                else {
                    continue;
                };
                let mut stack = vec![tree.detach()];
                while let Some(tree_id) = stack.pop() {
                    if !seen_trees.insert(tree_id) {
                        continue;
                    }
                    let Ok(tree) = repo.find_tree(tree_id) else {
                        continue;
                    };
                    let Ok(decoded) = tree.decode() else {
                        continue;
                    };
                    for entry in &decoded.entries {
                        if entry.mode.is_tree() {
                            stack.push(entry.oid.to_owned());
                        } else if !entry.mode.is_commit()
                            && seen_blobs.insert(entry.oid.to_owned())
                            && !repo.has_object(entry.oid)
                        {
                            missing.insert(entry.oid.to_owned());
                        }
                    }
                }
            }
            missing
        })
        .reduce(HashSet::new, |mut a, b| {
            a.extend(b);
            a
        });
    missing.len() as u64
}

/// Object directories: the repository's own, then its alternates.
fn object_dirs(repo: &gix::Repository) -> Vec<PathBuf> {
    let main = repo.objects.store_ref().path().to_path_buf();
    let mut dirs = vec![main.clone()];
    if let Ok(text) = std::fs::read_to_string(main.join("info").join("alternates")) {
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let p = Path::new(line);
            dirs.push(if p.is_absolute() {
                p.to_path_buf()
            } else {
                main.join(p)
            });
        }
    }
    dirs
}

fn pack_indices(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir.join("pack")) else {
            continue;
        };
        let mut idx: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "idx"))
            .collect();
        idx.sort();
        out.extend(idx);
    }
    out
}

/// Scans every blob of every pack and every loose blob, each id once.
pub(crate) fn scan_object_database(
    engine: &Engine,
    repo: &gix::Repository,
    options: &ScanOptions,
) -> Result<OdbScan, Error> {
    let dirs = object_dirs(repo);
    let mut bundles: Vec<pack::Bundle> = Vec::new();
    let mut scan = OdbScan::default();
    for idx in pack_indices(&dirs) {
        match pack::Bundle::at(&idx, repo.object_hash()) {
            Ok(b) => bundles.push(b),
            Err(e) => {
                scan.results.stats.skip(SkipReason::Corrupt);
                scan.results
                    .warnings
                    .push(format!("{}: skipped unreadable pack: {e}", idx.display()));
            }
        }
    }
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.threads
    };
    for (i, bundle) in bundles.iter().enumerate() {
        scan_pack(engine, bundle, &bundles[..i], options, threads, &mut scan);
    }
    scan_loose(engine, repo, &dirs, &bundles, options, &mut scan);
    Ok(scan)
}

/// Shared state of one pack traversal. Cloned once per worker thread by gix.
struct PackScan<'a> {
    worker: Worker<'a>,
    earlier: &'a [pack::Bundle],
    max: u64,
    hits: Vec<BlobHit>,
    ids: Vec<ObjectId>,
    processed: u64,
    sink: &'a Mutex<(WorkerResults, Vec<BlobHit>, Vec<ObjectId>)>,
    processed_total: &'a AtomicU64,
}

impl Clone for PackScan<'_> {
    fn clone(&self) -> Self {
        PackScan {
            worker: Worker::new(self.worker.engine(), self.worker.options()),
            earlier: self.earlier,
            max: self.max,
            hits: Vec::new(),
            ids: Vec::new(),
            processed: 0,
            sink: self.sink,
            processed_total: self.processed_total,
        }
    }
}

impl Drop for PackScan<'_> {
    fn drop(&mut self) {
        self.processed_total
            .fetch_add(self.processed, Ordering::Relaxed);
        let results = std::mem::take(&mut self.worker.results);
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        sink.0.merge(results);
        sink.1.append(&mut self.hits);
        sink.2.append(&mut self.ids);
    }
}

impl PackScan<'_> {
    fn process(&mut self, kind: gix::objs::Kind, data: &[u8], id: &ObjectId) {
        self.processed += 1;
        if kind != gix::objs::Kind::Blob {
            return;
        }
        if self.earlier.iter().any(|b| b.index.lookup(id).is_some()) {
            return;
        }
        self.ids.push(*id);
        if data.len() as u64 > self.max {
            self.worker.skip(SkipReason::TooLarge);
            return;
        }
        if let Some(found) = self.worker.find(data, id)
            && !found.is_empty()
        {
            self.hits.push(BlobHit {
                id: *id,
                matches: found,
            });
        }
    }
}

fn scan_pack(
    engine: &Engine,
    bundle: &pack::Bundle,
    earlier: &[pack::Bundle],
    options: &ScanOptions,
    threads: usize,
    scan: &mut OdbScan,
) {
    let sink = Mutex::new((WorkerResults::default(), Vec::new(), Vec::new()));
    let processed = AtomicU64::new(0);
    let interrupt = AtomicBool::new(false);
    let outcome = {
        let mut state = PackScan {
            worker: Worker::new(engine, options),
            earlier,
            max: options.max_file_size,
            hits: Vec::new(),
            ids: Vec::new(),
            processed: 0,
            sink: &sink,
            processed_total: &processed,
        };
        let processor = move |kind: gix::objs::Kind,
                              data: &[u8],
                              entry: &pack::index::Entry,
                              _: &dyn gix::Progress|
              -> gix::Result {
            state.process(kind, data, &entry.oid);
            Ok(())
        };
        bundle.index.traverse(
            &bundle.pack,
            &mut gix::progress::Discard,
            &interrupt,
            processor,
            pack::index::traverse::Options {
                traversal: pack::index::traverse::Algorithm::DeltaTreeLookup,
                thread_limit: Some(threads),
                // Damaged objects are counted below instead of aborting the whole pack.
                check: pack::index::traverse::SafetyCheck::SkipFileAndObjectChecksumVerificationAndNoAbortOnDecodeError,
                alloc_limit_bytes: None,
                make_pack_lookup_cache: || pack::cache::Never,
            },
        )
    };
    let (results, mut hits, ids) = sink.into_inner().unwrap_or_else(|p| p.into_inner());
    scan.results.merge(results);
    scan.hits.append(&mut hits);
    scan.scanned.extend(ids);
    let total = u64::from(bundle.index.num_objects());
    let done = processed.load(Ordering::Relaxed);
    let pack_name = bundle.pack.path().display().to_string();
    if let Err(e) = outcome {
        scan.results
            .warnings
            .push(format!("{pack_name}: pack traversal stopped: {e}"));
    }
    if done < total {
        let missing = total - done;
        *scan
            .results
            .stats
            .skipped
            .entry(SkipReason::Corrupt)
            .or_default() += missing;
        scan.results.warnings.push(format!(
            "{pack_name}: {missing} object(s) could not be decoded and were not scanned"
        ));
    }
}

fn scan_loose(
    engine: &Engine,
    repo: &gix::Repository,
    dirs: &[PathBuf],
    bundles: &[pack::Bundle],
    options: &ScanOptions,
    scan: &mut OdbScan,
) {
    let mut ids: Vec<ObjectId> = Vec::new();
    for dir in dirs {
        let store = gix::odb::loose::Store::at(dir, repo.object_hash());
        for id in store.iter() {
            match id {
                Ok(id) => {
                    if !bundles.iter().any(|b| b.index.lookup(id).is_some())
                        && !scan.scanned.contains(&id)
                    {
                        ids.push(id);
                    }
                }
                Err(e) => {
                    scan.results.stats.skip(SkipReason::Corrupt);
                    scan.results
                        .warnings
                        .push(format!("loose object store: {e}"));
                }
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return;
    }
    let sync = repo.clone().into_sync();
    let parts: Vec<(WorkerResults, Vec<BlobHit>, Vec<ObjectId>)> = ids
        .par_chunks(256)
        .map(|chunk| {
            let repo = sync.to_thread_local();
            let mut worker = Worker::new(engine, options);
            let mut hits = Vec::new();
            let mut scanned = Vec::new();
            for id in chunk {
                match repo.try_find_object(*id) {
                    Ok(Some(obj)) if obj.kind == gix::objs::Kind::Blob => {
                        scanned.push(*id);
                        if obj.data.len() as u64 > options.max_file_size {
                            worker.skip(SkipReason::TooLarge);
                            continue;
                        }
                        if let Some(found) = worker.find(&obj.data, id)
                            && !found.is_empty()
                        {
                            hits.push(BlobHit {
                                id: *id,
                                matches: found,
                            });
                        }
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => {}
                    Err(e) => {
                        worker.skip(SkipReason::Corrupt);
                        worker.warn(format!("object {id}: cannot be read: {e}"));
                    }
                }
            }
            (worker.finish(), hits, scanned)
        })
        .collect();
    for (results, mut hits, scanned) in parts {
        scan.results.merge(results);
        scan.hits.append(&mut hits);
        scan.scanned.extend(scanned);
    }
}
