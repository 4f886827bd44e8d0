//! Baselines: "accept what exists, block what is new".
//!
//! `--baseline-out FILE` records the fingerprints (SHA-256 of rule id and secret, never the
//! secret) of every current finding; `--baseline FILE` then suppresses findings whose
//! fingerprint is recorded. A fingerprint does not depend on where the secret is, so moving a
//! baselined secret to another line, file or commit keeps it suppressed, while a new secret in
//! the same file is still reported.
//!
//! ```json
//! { "version": 1,
//!   "fingerprints": [ { "fingerprint": "…64 hex…", "rule": "github-pat-classic" } ] }
//! ```

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::findings::Finding;

/// Version of the baseline file format.
pub const VERSION: u32 = 1;

/// A baseline file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing failed.
    #[error("cannot {action} baseline {}", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a baseline.
    #[error("baseline {} is not valid", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The file has a version this keyhound does not know.
    #[error("baseline {} has version {version}; this keyhound reads version {VERSION}", path.display())]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        version: u32,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    fingerprints: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct Entry {
    fingerprint: String,
    rule: String,
}

/// A set of accepted fingerprints.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    fingerprints: HashSet<String>,
}

impl Baseline {
    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        let file: File = serde_json::from_slice(&bytes).map_err(|source| Error::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        if file.version != VERSION {
            return Err(Error::Version {
                path: path.to_path_buf(),
                version: file.version,
            });
        }
        Ok(Baseline {
            fingerprints: file
                .fingerprints
                .into_iter()
                .map(|e| e.fingerprint)
                .collect(),
        })
    }

    /// True when `finding` is accepted by this baseline.
    pub fn contains(&self, finding: &Finding) -> bool {
        self.fingerprints.contains(&finding.fingerprint)
            || finding
                .merged
                .iter()
                .any(|(_, fp)| self.fingerprints.contains(fp))
    }

    /// Number of fingerprints.
    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

/// Writes the fingerprints of `findings` to `path`, sorted, one entry per finding.
pub fn write(path: &Path, findings: &[Finding]) -> Result<(), Error> {
    let entries: BTreeSet<Entry> = findings
        .iter()
        .flat_map(|f| {
            std::iter::once((&f.rule_id, &f.fingerprint))
                .chain(f.merged.iter().map(|(rule, fp)| (rule, fp)))
        })
        .map(|(rule, fp)| Entry {
            fingerprint: fp.clone(),
            rule: rule.clone(),
        })
        .collect();
    let file = File {
        version: VERSION,
        fingerprints: entries.into_iter().collect(),
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(|source| Error::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    text.push('\n');
    std::fs::write(path, text).map_err(|source| Error::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}
