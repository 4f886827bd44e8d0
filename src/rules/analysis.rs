//! What a rule's regex says about itself, from its syntax alone: how many capture groups it
//! has, and whether every match begins with a literal holding one of the rule's keywords
//! verbatim (then a case-sensitive keyword hit cannot miss a match).
//!
//! Shared with `build.rs`, which analyses the built-in rules at compile time so that loading
//! them does not parse 250 regexes again (15 ms measured, most of the start-up budget).
//! Depends on `regex-syntax` only.

use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// The analysis of one pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Analysis {
    /// Explicit capture groups.
    pub groups: usize,
    /// Every match begins with a literal containing a keyword verbatim.
    pub anchored: bool,
}

/// Parses `pattern` the way the engine compiles it (bytes, Unicode off) and analyses it.
pub fn analyse(pattern: &str, keywords: &[String]) -> Result<Analysis, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())?;
    let groups = hir.properties().explicit_captures_len();
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    let anchored = seq.literals().is_some_and(|literals| {
        !literals.is_empty()
            && literals.iter().all(|lit| {
                keywords
                    .iter()
                    .any(|k| !k.is_empty() && contains(lit.as_bytes(), k.as_bytes()))
            })
    });
    Ok(Analysis { groups, anchored })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
