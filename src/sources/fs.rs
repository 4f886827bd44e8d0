//! Files on disk, walked in parallel with the `ignore` crate.
//!
//! `.gitignore` and `.git/info/exclude` are honoured unless `--no-ignore`, and only inside a
//! git work tree (as ripgrep does): in an unpacked archive or a copied tree nothing says the
//! ignored files are not part of the project. Files that git tracks are scanned even where a
//! `.gitignore` matches them (`git add -f tests/ca.key`): they are in the repository. The
//! user's global excludes are not read, so two people scanning the same tree get the same
//! answer. Hidden files are scanned (`.env` is where secrets live) but `.git` is never read as
//! files: history is the git source's job. Symbolic links are not followed (a link may lead
//! outside the tree, or into a loop); they are counted. FIFOs, sockets and devices are
//! counted, never opened.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use crate::engine::Engine;
use crate::findings::SourceKind;
use crate::scan::{Error, ScanOptions, SkipReason, Worker, WorkerResults, template};

/// Blob ids already scanned from history: a file on disk with one of these ids is not
/// scanned again, only recorded so its findings can list the file too.
pub(crate) struct KnownBlobs {
    pub hash: gix::hash::Kind,
    pub ids: HashSet<gix::ObjectId>,
}

/// Scans `root` (a directory or a single file).
pub(crate) fn scan(
    engine: &Engine,
    root: &Path,
    options: &ScanOptions,
) -> Result<WorkerResults, Error> {
    scan_with_known(engine, root, options, None).map(|(results, _)| results)
}

/// Like [`scan`], but files whose git blob id is in `known` are not scanned; they are
/// returned as `(path, blob id)` instead.
pub(crate) fn scan_with_known(
    engine: &Engine,
    root: &Path,
    options: &ScanOptions,
    known: Option<&KnownBlobs>,
) -> Result<(WorkerResults, Vec<(String, gix::ObjectId)>), Error> {
    let meta = std::fs::symlink_metadata(root).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::NotFound {
                path: root.to_path_buf(),
            }
        } else {
            Error::Io {
                what: root.display().to_string(),
                source,
            }
        }
    })?;
    let respect = options.respect_gitignore;
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .ignore(false)
        .parents(respect)
        .git_ignore(respect)
        .git_exclude(respect)
        .git_global(false)
        .require_git(true)
        .follow_links(false)
        .threads(options.threads)
        .filter_entry(|e| e.depth() == 0 || e.file_name() != ".git");
    let single_file = !meta.is_dir();
    let sink = Mutex::new(Sink::default());
    let mut visitors = Visitors {
        engine,
        options,
        root,
        single_file,
        known,
        sink: &sink,
    };
    builder.build_parallel().visit(&mut visitors);
    if respect && !single_file {
        scan_ignored_tracked(&visitors);
    }
    let sink = sink
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Ok((sink.results, sink.known))
}

/// Scans the files under the root that git tracks but the walk left out because a
/// `.gitignore` matches them. Without a repository, or with an unreadable index, there is
/// nothing to add: the walk honoured no `.gitignore` outside a work tree.
fn scan_ignored_tracked(visitors: &Visitors<'_>) {
    let Ok(repo) = super::git::discover(visitors.root) else {
        return;
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    let (Some(workdir), Some(root)) =
        (repo.workdir().and_then(canonical), canonical(visitors.root))
    else {
        return;
    };
    let Ok(prefix) = root.strip_prefix(&workdir) else {
        return;
    };
    let index = match repo.index_or_empty() {
        Ok(index) => index,
        Err(err) => {
            visitors.visitor().worker.warn(format!(
                "cannot read the git index ({err}): files git tracks but .gitignore matches \
                 were not scanned (--no-ignore scans them)"
            ));
            return;
        }
    };
    let visited: HashSet<String> = {
        let mut sink = visitors
            .sink
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::take(&mut sink.visited).into_iter().collect()
    };
    let mut visitor = visitors.visitor();
    for entry in index.entries() {
        if entry.stage() != gix::index::entry::Stage::Unconflicted
            || entry.mode != gix::index::entry::Mode::FILE
                && entry.mode != gix::index::entry::Mode::FILE_EXECUTABLE
        {
            continue;
        }
        let Ok(path) = std::str::from_utf8(entry.path(&index)) else {
            continue;
        };
        let Ok(rel) = Path::new(path).strip_prefix(prefix) else {
            continue;
        };
        let file = root.join(rel);
        let shown = visitor.display_path(&visitors.root.join(rel));
        if visited.contains(&shown) {
            continue;
        }
        match std::fs::symlink_metadata(&file) {
            // Deleted or replaced in the work tree: what is on disk is what this scan reads.
            Ok(meta) if meta.is_file() => visitor.visit_file(&file, shown),
            _ => {}
        }
    }
}

#[derive(Default)]
struct Sink {
    results: WorkerResults,
    known: Vec<(String, gix::ObjectId)>,
    visited: Vec<String>,
}

struct Visitors<'a> {
    engine: &'a Engine,
    options: &'a ScanOptions,
    root: &'a Path,
    single_file: bool,
    known: Option<&'a KnownBlobs>,
    sink: &'a Mutex<Sink>,
}

impl<'s> Visitors<'s> {
    fn visitor(&self) -> Visitor<'s> {
        Visitor {
            worker: Worker::new(self.engine, self.options),
            root: self.root,
            single_file: self.single_file,
            known: self.known,
            sink: self.sink,
            buf: Vec::new(),
            known_found: Vec::new(),
            visited: Vec::new(),
        }
    }
}

impl<'s> ParallelVisitorBuilder<'s> for Visitors<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(self.visitor())
    }
}

/// One walker thread. Its findings go to the shared sink once, when the thread is done, so
/// the walk itself takes no lock.
struct Visitor<'a> {
    worker: Worker<'a>,
    root: &'a Path,
    single_file: bool,
    known: Option<&'a KnownBlobs>,
    sink: &'a Mutex<Sink>,
    buf: Vec<u8>,
    known_found: Vec<(String, gix::ObjectId)>,
    /// Paths of the regular files this thread read, so tracked files the walk left out can
    /// be told apart.
    visited: Vec<String>,
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        let results = std::mem::take(&mut self.worker.results);
        let mut sink = self
            .sink
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        sink.results.merge(results);
        sink.known.append(&mut self.known_found);
        sink.visited.append(&mut self.visited);
    }
}

impl ParallelVisitor for Visitor<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        match entry {
            Ok(entry) => self.visit_entry(&entry),
            Err(err) => {
                self.worker.skip(SkipReason::Unreadable);
                self.worker.warn(format!("skipped: {err}"));
            }
        }
        WalkState::Continue
    }
}

impl Visitor<'_> {
    fn display_path(&self, path: &Path) -> String {
        let rel = if self.single_file {
            path
        } else {
            path.strip_prefix(self.root).unwrap_or(path)
        };
        let s = rel.to_string_lossy();
        if std::path::MAIN_SEPARATOR == '/' {
            s.into_owned()
        } else {
            s.replace(std::path::MAIN_SEPARATOR, "/")
        }
    }

    fn visit_entry(&mut self, entry: &DirEntry) {
        let Some(ft) = entry.file_type() else {
            // Only stdin has no file type; the walker never yields it here.
            return;
        };
        if ft.is_dir() {
            return;
        }
        let path = entry.path();
        let shown = self.display_path(path);
        if ft.is_symlink() {
            self.worker.skip(SkipReason::Symlink);
            return;
        }
        if !ft.is_file() {
            self.worker.skip(SkipReason::Special);
            self.worker
                .warn(format!("{shown}: skipped: not a regular file"));
            return;
        }
        self.visit_file(path, shown);
    }

    /// Reads and scans one regular file.
    fn visit_file(&mut self, path: &Path, shown: String) {
        // Only a walk that honoured .gitignore needs to know what it read.
        if self.worker.options().respect_gitignore && !self.single_file {
            self.visited.push(shown.clone());
        }
        if let Some(reason) = self.worker.options().allowlist.skip_reason(&shown) {
            self.worker.skip(reason);
            return;
        }
        let limit = self.worker.options().max_file_size;
        let file = File::open(path).and_then(|f| f.metadata().map(|m| (f, m.len())));
        let (file, len) = match file {
            Ok(ok) => ok,
            Err(err) => {
                self.worker.skip(SkipReason::Unreadable);
                self.worker.warn(format!("{shown}: skipped: {err}"));
                return;
            }
        };
        if len > limit {
            self.worker.skip(SkipReason::TooLarge);
            self.worker.warn(format!(
                "{shown}: skipped: {len} bytes is over the {limit}-byte limit"
            ));
            return;
        }
        self.buf.clear();
        // The file may grow between stat and read; never read past the limit.
        if let Err(err) = file.take(limit + 1).read_to_end(&mut self.buf) {
            self.worker.skip(SkipReason::Unreadable);
            self.worker.warn(format!("{shown}: skipped: {err}"));
            return;
        }
        if self.buf.len() as u64 > limit {
            self.worker.skip(SkipReason::TooLarge);
            self.worker.warn(format!(
                "{shown}: skipped: grew over the {limit}-byte limit"
            ));
            return;
        }
        if let Some(known) = self.known
            && let Ok(id) = gix::objs::compute_hash(known.hash, gix::objs::Kind::Blob, &self.buf)
            && known.ids.contains(&id)
        {
            self.known_found.push((shown, id));
            return;
        }
        let buf = std::mem::take(&mut self.buf);
        self.worker
            .scan_blob(&buf, &template(SourceKind::Worktree, Some(shown)));
        self.buf = buf;
    }
}
