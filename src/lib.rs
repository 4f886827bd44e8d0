//! keyhound finds credentials committed to a repository — in files on disk, in what is
//! staged, and in git history — and says how to rotate each one.
//!
//! The pipeline: sources yield blobs, the [`engine`] finds [`engine::Match`]es in them, the
//! [`findings::Collector`] groups matches into [`Finding`]s (one per rule and secret, with
//! every location), and [`report`] writes them.
//!
//! ```
//! use keyhound::{RuleSet, Scanner, ScanOptions, Target};
//!
//! let rules = RuleSet::builtin().expect("built-in rules are validated by the test suite");
//! let scanner = Scanner::new(&rules).expect("built-in rules compile");
//! let dir = std::env::temp_dir().join("keyhound-doctest");
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("app.env"), "DEBUG=true\n").unwrap();
//! let report = scanner.scan(&ScanOptions::new(Target::Path(dir))).unwrap();
//! assert!(report.findings.is_empty());
//! ```

#![deny(missing_docs, unsafe_code)]

pub mod archive;
pub mod baseline;
pub mod config;
pub mod engine;
pub mod findings;
pub mod hook;
pub mod report;
pub mod rules;
pub mod scan;
pub mod sources;

pub use config::Config;
pub use findings::{Finding, Location, SourceKind};
pub use rules::{Rule, RuleSet, Severity};
pub use scan::{Progress, ScanOptions, ScanReport, Scanner, SkipReason, Stats, Target};
