//! Sources of blobs: files on disk and standard input. Each source feeds a
//! [`Worker`](crate::scan::Worker) per thread and counts what it could not scan.

pub mod fs;
pub mod git;
pub mod stdin;
