//! Structural checks for formats that carry one, so precision does not rest on entropy.

use crate::rules::Checksum;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// True when `secret` satisfies the structural check `kind`.
pub fn verify(kind: Checksum, secret: &[u8]) -> bool {
    match kind {
        Checksum::GithubCrc32 => github_crc32(secret),
        Checksum::Jwt => jwt(secret),
        Checksum::BasicAuth => basic_auth(secret),
    }
}

/// GitHub's token format (and npm's, which copies it): after the prefix, 30 random base62
/// characters, then the CRC32 of those 30 in base62, left-padded with `0` to 6 characters.
/// The CRC covers the random part only and the alphabet is digits, upper, lower: GitHub's
/// blog announcing the format does not say, so this follows the public reimplementations and
/// was confirmed on format-valid tokens that checksum this way.
fn github_crc32(secret: &[u8]) -> bool {
    if secret.len() < 36 {
        return false;
    }
    let tail = &secret[secret.len() - 36..];
    let (random, check) = tail.split_at(30);
    if !tail.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    base62_6(crc32fast::hash(random)) == check
}

fn base62_6(mut n: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// A JWT's header is base64url JSON with an `alg` member; its payload is base64url JSON too.
fn jwt(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let is_object_with = |segment: &[u8], key: Option<&str>| {
        let Some(json) = base64url_decode(segment) else {
            return false;
        };
        match serde_json::from_slice::<serde_json::Value>(&json) {
            Ok(serde_json::Value::Object(map)) => key.is_none_or(|k| map.contains_key(k)),
            _ => false,
        }
    };
    is_object_with(header, Some("alg")) && is_object_with(payload, None)
}

/// RFC 7617: `base64(user-id ":" password)`, printable, with a non-empty password.
fn basic_auth(secret: &[u8]) -> bool {
    let Some(plain) = base64url_decode(secret) else {
        return false;
    };
    let printable = plain.iter().all(|b| (0x20..0x7f).contains(b));
    let colon = plain.iter().position(|&b| b == b':');
    printable && colon.is_some_and(|i| i + 1 < plain.len())
}

/// Decodes unpadded (or padded) base64url; `None` on any other byte.
fn base64url_decode(input: &[u8]) -> Option<Vec<u8>> {
    let input = input
        .strip_suffix(b"==")
        .or_else(|| input.strip_suffix(b"="))
        .unwrap_or(input);
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
pub(crate) fn github_token(prefix: &str, random30: &str) -> String {
    let check = base62_6(crc32fast::hash(random30.as_bytes()));
    format!("{prefix}{random30}{}", String::from_utf8_lossy(&check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_checksum_round_trip() {
        let t = github_token("ghp_", "Q8vR2mXk7LpW3nZb9TfYa1B2c3D4e5");
        assert_eq!(t.len(), 40);
        assert!(verify(Checksum::GithubCrc32, t.as_bytes()));
        let mut bad = t.into_bytes();
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert!(!verify(Checksum::GithubCrc32, &bad));
    }

    #[test]
    fn base62_is_zero_padded() {
        assert_eq!(&base62_6(0), b"000000");
        assert_eq!(&base62_6(61), b"00000z");
        assert_eq!(&base62_6(62), b"000010");
    }

    #[test]
    fn basic_auth_structure() {
        // "deploy:Zq7vR2mXk9Lp"
        assert!(verify(Checksum::BasicAuth, b"ZGVwbG95OlpxN3ZSMm1YazlMcA=="));
        // "deploy" (no colon), "deploy:" (no password), binary.
        assert!(!verify(Checksum::BasicAuth, b"ZGVwbG95"));
        assert!(!verify(Checksum::BasicAuth, b"ZGVwbG95Og=="));
        assert!(!verify(Checksum::BasicAuth, b"/////w=="));
    }

    #[test]
    fn jwt_structure() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"test"} . sig
        let ok = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl";
        assert!(verify(Checksum::Jwt, ok));
        // {"typ":"JWT"} has no alg.
        assert!(!verify(
            Checksum::Jwt,
            b"eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ0ZXN0In0.c2ln"
        ));
        assert!(!verify(
            Checksum::Jwt,
            b"eyJhbGciOi.eyJzdWIiOiJ0ZXN0In0.c2ln"
        ));
    }
}
