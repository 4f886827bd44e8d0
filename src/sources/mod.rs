//! Sources of blobs: files on disk, git repositories (local, or cloned from a URL) and standard
//! input. Each source feeds a [`Worker`](crate::scan::Worker) per thread and counts what it
//! could not scan.

pub mod fs;
pub mod git;
pub mod remote;
pub mod stdin;
