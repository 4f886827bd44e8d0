//! Standard input, scanned as one blob.

use std::io::Read;

use crate::findings::SourceKind;
use crate::scan::{Error, SkipReason, Worker, template};

/// Reads all of standard input and scans it, unless it exceeds the size limit.
pub(crate) fn scan(worker: &mut Worker<'_>) -> Result<(), Error> {
    let limit = worker.options().max_file_size;
    let mut data = Vec::new();
    // Read one byte past the limit to tell "exactly at the limit" from "over it" without
    // holding an unbounded input in memory.
    std::io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|source| Error::Io {
            what: "standard input".to_string(),
            source,
        })?;
    if data.len() as u64 > limit {
        worker.skip(SkipReason::TooLarge);
        worker.warn(format!(
            "<stdin>: skipped: larger than the {limit}-byte size limit"
        ));
        return Ok(());
    }
    worker.scan_blob(&data, &template(SourceKind::Stdin, None));
    Ok(())
}
