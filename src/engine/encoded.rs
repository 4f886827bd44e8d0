//! Base64 blobs in text: where they are and what text they hold, so secrets encoded in them
//! (a token inside a base64 HTTP body recorded by a test, a `.dockerconfigjson`) are found.

use std::ops::Range;

/// Shortest run of base64 characters tried: 24 bytes of text. Shorter encoded values
/// (`user:password` in a Basic header, a Kubernetes Secret's value) have their own rules.
pub const MIN_RUN: usize = 32;

/// Longest run decoded: a base64 blob this large is a file (an image, an archive), not text.
const MAX_RUN: usize = 1 << 20;

/// Standard base64 characters. URL-safe base64 (`-`, `_`) is left out: it encodes tokens
/// (JWTs, which their rule reads) more than text, and with `_` every long snake_case name in
/// code became a run to look at, a tenth of a history scan.
const BASE64: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/');
        c += 1;
    }
    t
};

/// Appends to `out` the runs of at least [`MIN_RUN`] base64 characters in `data` (with their
/// `=` padding) that mix upper case, lower case and digits, as encoded text does and words,
/// paths and identifiers rarely do.
///
/// A run of 31 bytes or more holds one whole 16-byte block of the data (blocks at offsets 0,
/// 16, 32, ...), so only blocks that are base64 through and through are looked at, eight bytes
/// at a time (see [`all_base64`]); in code they are rare. Probing one byte in `MIN_RUN` and
/// walking the word around it, the earlier way, took 1.0 s of one core on 1.4 GB of git's
/// history, most of it mispredicted branches at word ends, and ~10% of a history scan.
pub fn base64_runs(data: &[u8], out: &mut Vec<Range<usize>>) {
    const BLOCK: usize = 16;
    const _: () = assert!(2 * BLOCK - 1 <= MIN_RUN);
    let mut block = 0;
    let mut done = 0;
    while block + BLOCK <= data.len() {
        if !all_base64(&data[block..block + BLOCK]) {
            block += BLOCK;
            continue;
        }
        let mut start = block;
        while start > done && BASE64[usize::from(data[start - 1])] {
            start -= 1;
        }
        let mut end = block + BLOCK;
        while end < data.len() && BASE64[usize::from(data[end])] {
            end += 1;
        }
        let run = &data[start..end];
        let mut padded = end;
        while padded < data.len() && padded - end < 2 && data[padded] == b'=' {
            padded += 1;
        }
        if run.len() >= MIN_RUN
            && run.len() <= MAX_RUN
            && run.iter().any(u8::is_ascii_uppercase)
            && run.iter().any(u8::is_ascii_lowercase)
            && run.iter().any(u8::is_ascii_digit)
        {
            out.push(start..padded);
        }
        done = padded;
        // The next run starts at `padded` or later, so its first whole block does too.
        block = padded.next_multiple_of(BLOCK);
    }
}

/// Whether all 16 bytes of `block` are [`BASE64`] characters: two eight-byte words, each byte
/// compared with the ranges at once (SWAR), without a branch per byte.
fn all_base64(block: &[u8]) -> bool {
    let (a, b) = block.split_at(8);
    let word = |w: &[u8]| u64::from_le_bytes(w.try_into().expect("eight bytes"));
    all_base64_word(word(a)) && all_base64_word(word(b))
}

fn all_base64_word(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    const LOW7: u64 = ONES * 0x7f;
    // Bytes of 0x80 and above are no base64, and would borrow across bytes below.
    if x & HIGH != 0 {
        return false;
    }
    // Per byte (all below 0x80 now), the high bit is set where `lo <= b`, resp. `b <= hi`.
    let at_least = |v: u64, lo: u8| (v | HIGH).wrapping_sub(ONES * u64::from(lo));
    let at_most = |v: u64, hi: u8| (HIGH | (ONES * u64::from(hi))).wrapping_sub(v);
    let digit = at_least(x, b'0') & at_most(x, b'9');
    let folded = x | (ONES * 0x20);
    let letter = at_least(folded, b'a') & at_most(folded, b'z');
    // `+` (0x2b) and `/` (0x2f) are the bytes that give 0x2f with bit 2 set; a byte is zero
    // after the XOR exactly there.
    let diff = (x | (ONES * 0x04)) ^ (ONES * 0x2f);
    let nonzero = ((diff & LOW7) + LOW7) | diff;
    let sign = !nonzero;
    (digit | letter | sign) & HIGH == HIGH
}

/// The text `run` encodes, or `None` when it is not base64 of text: valid UTF-8 without
/// control characters other than tab and line breaks. Binary (images, keys in DER, random
/// bytes) is rejected after its first few dozen bytes.
pub fn decode_text(run: &[u8]) -> Option<Vec<u8>> {
    let is_text = |bytes: &[u8]| {
        bytes
            .iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r'))
            && bytes.iter().any(u8::is_ascii_alphabetic)
    };
    let head = &run[..run.len().min(64)];
    let head = &head[..head.len() / 4 * 4];
    if !is_text(&super::checksum::base64url_decode(head)?) {
        return None;
    }
    let text = super::checksum::base64url_decode(run)?;
    (text.len() >= 16 && is_text(&text) && std::str::from_utf8(&text).is_ok()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(data: &str) -> Vec<&str> {
        let mut out = Vec::new();
        base64_runs(data.as_bytes(), &mut out);
        out.into_iter().map(|r| &data[r]).collect()
    }

    #[test]
    fn finds_encoded_runs_and_skips_words_and_paths() {
        let body = "eyJ0b2tlbiI6InYxLjAxMjM0NTY3ODlhYmNkZWZmZWRjYmE5ODc2NTQzMjEwMGExYjJjM2QifQ==";
        assert_eq!(runs(&format!("{{\"base64_string\":\"{body}\"}}")), [body]);
        // At the very start and end of the data, and two in a row.
        assert_eq!(runs(&format!("{body} {body}")), [body, body]);
        assert!(runs("src/main/java/org/springframework/security/crypto/password").is_empty());
        assert!(runs("a_very_long_snake_case_identifier_without_any_digit_in_it").is_empty());
        assert!(runs("short aGVsbG8gd29ybGQ= value").is_empty());
    }

    /// The straightforward search: every maximal run, checked like `base64_runs` does.
    fn runs_by_scanning(data: &[u8]) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < data.len() {
            if !BASE64[usize::from(data[i])] {
                i += 1;
                continue;
            }
            let start = i;
            while i < data.len() && BASE64[usize::from(data[i])] {
                i += 1;
            }
            let run = &data[start..i];
            let mut padded = i;
            while padded < data.len() && padded - i < 2 && data[padded] == b'=' {
                padded += 1;
            }
            if run.len() >= MIN_RUN
                && run.iter().any(u8::is_ascii_uppercase)
                && run.iter().any(u8::is_ascii_lowercase)
                && run.iter().any(u8::is_ascii_digit)
            {
                out.push(start..padded);
            }
            i = padded.max(i);
        }
        out
    }

    #[test]
    fn the_sampled_search_finds_what_a_byte_scan_finds() {
        // Runs of every length around the limit, at every offset around the 64-byte blocks.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"AZaz09+/Qm3x";
        let mut total = 0;
        for _ in 0..2000 {
            let len = (next() % 300) as usize;
            let data: Vec<u8> = (0..len)
                // Separators one byte in 30: runs average 30 bytes, either side of the limit.
                .map(|_| match next() % 60 {
                    0 => b' ',
                    1 => b'=',
                    _ => alphabet[(next() % alphabet.len() as u64) as usize],
                })
                .collect();
            let mut found = Vec::new();
            base64_runs(&data, &mut found);
            let expected = runs_by_scanning(&data);
            total += expected.len();
            assert_eq!(found, expected, "{}", String::from_utf8_lossy(&data));
        }
        assert!(total > 1000, "the data holds runs to find: {total}");
    }

    #[test]
    fn a_word_is_base64_exactly_when_each_byte_is() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = *b"QmZ0aXg9";
                word[at] = b;
                assert_eq!(
                    all_base64_word(u64::from_le_bytes(word)),
                    BASE64[usize::from(b)],
                    "byte {b:#x} at {at}"
                );
            }
        }
    }

    #[test]
    fn decodes_text_only() {
        let text = decode_text(
            b"eyJ0b2tlbiI6InYxLjAxMjM0NTY3ODlhYmNkZWZmZWRjYmE5ODc2NTQzMjEwMGExYjJjM2QifQ==",
        )
        .expect("text");
        assert!(text.starts_with(b"{\"token\":\"v1.0123456789"));
        // DER (a certificate's start) and random bytes are not text.
        assert!(
            decode_text(
                b"MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJRTESMBAGA1UE"
            )
            .is_none()
        );
        assert!(decode_text(b"yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f4OHi4+Tl").is_none());
    }
}
