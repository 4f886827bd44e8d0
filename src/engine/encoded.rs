//! Base64 blobs in text: where they are and what text they hold, so secrets encoded in them
//! (a token inside a base64 HTTP body recorded by a test, a `.dockerconfigjson`) are found.

use std::ops::Range;

/// Shortest run of base64 characters tried: 24 bytes of text. Shorter encoded values
/// (`user:password` in a Basic header, a Kubernetes Secret's value) have their own rules.
pub const MIN_RUN: usize = 32;

/// Longest run decoded: a base64 blob this large is a file (an image, an archive), not text.
const MAX_RUN: usize = 1 << 20;

/// Standard and URL-safe base64 characters.
const BASE64: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_');
        c += 1;
    }
    t
};

/// Appends to `out` the runs of at least [`MIN_RUN`] base64 characters in `data` (with their
/// `=` padding) that mix upper case, lower case and digits, as encoded text does and words,
/// paths and identifiers rarely do.
///
/// Any run that long contains one of every `MIN_RUN`-th byte, so only those are looked at
/// until one is a base64 character: a pass over a tenth of the bytes of ordinary text.
pub fn base64_runs(data: &[u8], out: &mut Vec<Range<usize>>) {
    let mut i = MIN_RUN - 1;
    let mut done = 0;
    while i < data.len() {
        if !BASE64[usize::from(data[i])] {
            i += MIN_RUN;
            continue;
        }
        let mut start = i;
        while start > done && BASE64[usize::from(data[start - 1])] {
            start -= 1;
        }
        let mut end = i + 1;
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
        // The next run starts after this one and reaches `MIN_RUN` bytes further.
        i = padded + MIN_RUN;
    }
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
