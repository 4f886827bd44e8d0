//! Structural checks for formats that carry one, so precision does not rest on entropy.

use crate::rules::Checksum;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// True when `secret` satisfies the structural check `kind`.
pub fn verify(kind: Checksum, secret: &[u8]) -> bool {
    match kind {
        Checksum::GithubCrc32 => crc32_tail(secret, 30),
        Checksum::Jwt => jwt(secret),
        Checksum::JwtJoined => {
            let token: Vec<u8> = secret
                .iter()
                .copied()
                .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                .collect();
            jwt(&token)
        }
        Checksum::BasicAuth => basic_auth(secret),
        Checksum::Discord => discord(secret),
        Checksum::PypiMacaroon => pypi_macaroon(secret),
        Checksum::Base64PrivateKey => base64_private_key(secret),
        Checksum::GrafanaLegacy => json_object_with(secret, &["k", "n", "id"]),
        Checksum::KeyStoreWithKey => key_store_with_key(secret),
        Checksum::StellarSecretSeed => stellar_strkey(secret, 18 << 3),
        Checksum::NatsNkeySeed => nats_nkey_seed(secret),
        Checksum::CiscoType7 => cisco_type7(secret),
        Checksum::CephKey => ceph_key(secret),
        Checksum::CephBootstrapToken => json_object_with(secret, &["fsid", "key"]),
        Checksum::SeqeraToken => seqera_token(secret),
        Checksum::StandardWebhooks => standard_webhooks(secret),
        Checksum::JuniperType9 => juniper_type9_decode(secret).is_some(),
        Checksum::Base58Check => base58_check(secret),
        Checksum::Bech32 => bech32(secret),
        Checksum::Bip39Mnemonic => bip39_mnemonic(secret),
        Checksum::DefuseKey => defuse_key(secret),
        Checksum::LaravelSanctum => laravel_sanctum(secret),
        Checksum::MatrixToken => matrix_token(secret),
        Checksum::CloudflareTunnelToken => cloudflare_tunnel_token(secret),
        Checksum::OverseerrApiKey => overseerr_api_key(secret),
        Checksum::KeeperKsmConfig => json_object_with(secret, &["clientId", "privateKey"]),
        Checksum::RcloneObscured => rclone_reveal(secret).is_some(),
        Checksum::TwentyApiKey => {
            jwt_claims(secret, &[br#""type":"API_KEY""#, br#""workspaceId":""#])
        }
        Checksum::ConcourseAccessToken => concourse_access_token(secret),
        Checksum::GitnessToken => jwt_claims(secret, &[br#""iss":"Gitness""#, br#""tkn":{"#]),
        Checksum::JsrToken => {
            secret.len() == 40
                && secret
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
                && base62_6(crc32fast::hash(&secret[..34])) == secret[34..]
        }
        Checksum::ArgocdToken => jwt_claims(secret, &[br#""iss":"argocd""#]),
        Checksum::PolarToken => crc32_tail(secret, 37),
        Checksum::StackAuthApiKey => {
            secret.len() == 102
                && secret.is_ascii()
                && format!("{:08x}", crc32fast::hash(&secret[..94])).as_bytes() == &secret[94..]
        }
        Checksum::MomentoV1Key => json_object_with(secret, &["endpoint", "api_key"]),
        Checksum::HasDigitAndLetter => {
            secret.iter().any(u8::is_ascii_digit) && secret.iter().any(u8::is_ascii_alphabetic)
        }
        Checksum::Base36NotHex => secret
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric())
            .any(|b| matches!(b.to_ascii_lowercase(), b'g'..=b'z')),
    }
}

/// cloudflared's `TunnelToken.Encode()`: Go's `json.Marshal` writes the members in field order,
/// so the text starts with the account tag, `{"a":"<32 hex>"`, and names the secret and the
/// tunnel id after it.
fn cloudflare_tunnel_token(secret: &[u8]) -> bool {
    base64url_decode(secret).is_some_and(|json| {
        json.len() > 45
            && json.starts_with(b"{\"a\":\"")
            && json[6..38].iter().all(u8::is_ascii_hexdigit)
            && json[38] == b'"'
            && [&b"\"s\":"[..], b"\"t\":"]
                .iter()
                .all(|k| memchr::memmem::find(&json, k).is_some())
    })
}

/// `Buffer.from(`${Date.now()}${randomUUID()}`).toString('base64')`: 49 bytes, 13 digits and a
/// lower-case version-4 UUID with its dashes.
fn overseerr_api_key(secret: &[u8]) -> bool {
    base64url_decode(secret).is_some_and(|text| {
        let Some((stamp, uuid)) = text.split_at_checked(13) else {
            return false;
        };
        text.len() == 49
            && stamp.iter().all(u8::is_ascii_digit)
            && uuid.iter().enumerate().all(|(i, &b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                14 => b == b'4',
                19 => matches!(b, b'8' | b'9' | b'a' | b'b'),
                _ => matches!(b, b'0'..=b'9' | b'a'..=b'f'),
            })
    })
}

/// The key rclone's `obscure` package publishes (`fs/config/obscure/obscure.go`): obscuring hides
/// a password from a glance, not from anyone with rclone, which is why a found one is a leak.
const RCLONE_OBSCURE_KEY: [u8; 32] = [
    0x9c, 0x93, 0x5b, 0x48, 0x73, 0x0a, 0x55, 0x4d, 0x6b, 0xfd, 0x7c, 0x63, 0xc8, 0x86, 0xa9, 0x2b,
    0xd3, 0x90, 0x19, 0x8e, 0xb8, 0x12, 0x8a, 0xfb, 0xf4, 0xde, 0x16, 0x2b, 0x8b, 0x95, 0xf6, 0x38,
];

/// `rclone reveal`: unpadded base64url of the IV and the AES-256-CTR ciphertext. rclone checks
/// nothing, so any base64url "reveals" to bytes; a real obscured password reveals to printable
/// UTF-8, which six or more random bytes are about one time in 400 or less (the rules take values
/// of 30 characters or more: six bytes after the IV).
fn rclone_reveal(secret: &[u8]) -> Option<String> {
    use aes::cipher::{KeyIvInit, StreamCipher};
    if secret.len() % 4 == 1
        || !secret
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    {
        return None;
    }
    let bytes = base64url_decode(secret)?;
    let (iv, text) = bytes.split_at_checked(16)?;
    if text.is_empty() {
        return None;
    }
    let mut text = text.to_vec();
    let mut cipher = ctr::Ctr128BE::<aes::Aes256>::new(
        &RCLONE_OBSCURE_KEY.into(),
        &<[u8; 16]>::try_from(iv).ok()?.into(),
    );
    cipher.apply_keystream(&mut text);
    let text = String::from_utf8(text).ok()?;
    (!text.chars().any(char::is_control)).then_some(text)
}

fn defuse_key(secret: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    crate::findings::unhex(secret).is_some_and(|bytes| {
        bytes.len() == 4 + 32 + 32
            && bytes.starts_with(&[0xde, 0xf0, 0x00, 0x00])
            && Sha256::digest(&bytes[..36])[..] == bytes[36..]
    })
}

/// The last 48 characters of a Sanctum token: 40 random alphanumerics and `hash('crc32b', …)`
/// of them (what `HasApiTokens::generateTokenString` appends), 8 lower-case hex digits.
fn laravel_sanctum(secret: &[u8]) -> bool {
    let Some(at) = secret.len().checked_sub(48) else {
        return false;
    };
    let (random, check) = secret[at..].split_at(40);
    random.iter().all(u8::is_ascii_alphanumeric)
        && format!("{:08x}", crc32fast::hash(random)).as_bytes() == check
}

/// Synapse's `syt_<base64 user>_<20 letters>_<crc>` and the Matrix Authentication Service's
/// `mat_<30 alphanumerics>_<crc>`: the CRC-32 of the text before the last `_`, in base62. The two
/// servers write the digits in opposite orders (Synapse's `base62_encode` prepends each digit,
/// MAS's appends it), both left-padded with `0` to six.
fn matrix_token(secret: &[u8]) -> bool {
    let Some(cut) = memchr::memrchr(b'_', secret) else {
        return false;
    };
    let (base, check) = (&secret[..cut], &secret[cut + 1..]);
    let crc = crc32fast::hash(base);
    if secret.starts_with(b"sy") {
        base62_6(crc) == check
    } else {
        let mut digits = Vec::with_capacity(6);
        let mut n = crc;
        while n > 0 {
            digits.push(BASE62[(n % 62) as usize]);
            n /= 62;
        }
        let mut expected = vec![b'0'; 6usize.saturating_sub(digits.len())];
        expected.extend(digits);
        expected == check
    }
}

const BASE58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Decodes Bitcoin's base58: each leading `1` is a zero byte, the rest a big-endian number.
fn base58_decode(text: &[u8]) -> Option<Vec<u8>> {
    // Little-endian bytes of the number while it is built, so a carry appends.
    let mut number: Vec<u8> = Vec::with_capacity(text.len());
    for &c in text {
        let mut carry = BASE58.iter().position(|&b| b == c)? as u32;
        for byte in &mut number {
            carry += u32::from(*byte) * 58;
            *byte = carry as u8;
            carry >>= 8;
        }
        while carry > 0 {
            number.push(carry as u8);
            carry >>= 8;
        }
    }
    let zeros = text.iter().take_while(|&&c| c == b'1').count();
    let mut bytes = vec![0; zeros];
    bytes.extend(number.iter().rev());
    Some(bytes)
}

fn base58_check(secret: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let Some(bytes) = base58_decode(secret) else {
        return false;
    };
    if bytes.len() < 5 {
        return false;
    }
    let (payload, check) = bytes.split_at(bytes.len() - 4);
    Sha256::digest(Sha256::digest(payload))[..4] == *check
}

/// BIP 173's checksum: the polynomial over the expanded human-readable part and the data must
/// come to 1 (bech32m's constant would be 0x2bc830a3; NIP-19 keys use bech32).
fn bech32(secret: &[u8]) -> bool {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    const GENERATOR: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let lower = secret.to_ascii_lowercase();
    let Some(separator) = lower.iter().rposition(|&b| b == b'1') else {
        return false;
    };
    if separator == 0 || separator + 7 > lower.len() {
        return false;
    }
    let (hrp, data) = (&lower[..separator], &lower[separator + 1..]);
    let mut values: Vec<u8> = hrp.iter().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.iter().map(|b| b & 31));
    for c in data {
        match CHARSET.iter().position(|x| x == c) {
            Some(v) => values.push(v as u8),
            None => return false,
        }
    }
    let mut check: u32 = 1;
    for v in values {
        let top = check >> 25;
        check = ((check & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GENERATOR.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                check ^= g;
            }
        }
    }
    check == 1
}

/// Words separated by any run of whitespace (a mnemonic wrapped over lines, or with two
/// spaces), in any case.
fn bip39_mnemonic(secret: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(secret) else {
        return false;
    };
    let words: Vec<String> = text
        .split_ascii_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &words.join(" ")).is_ok()
}

/// A cephx key (`ceph-authtool --gen-print-key`) encodes `CryptoKey`: a little-endian u16
/// crypto type (1 is AES-128; 2 is taken too, for the AES-256 keys of recent releases), the
/// creation time (u32 seconds, u32 nanoseconds), a u16 key length, then the key. The length
/// must be 16 or 32 bytes and account for every byte after the header, which random base64 of
/// this size satisfies about once in 10^9.
fn ceph_key(secret: &[u8]) -> bool {
    base64url_decode(secret).is_some_and(|bin| {
        bin.len() > 12
            && matches!(u16::from_le_bytes([bin[0], bin[1]]), 1..=2)
            && matches!(u16::from_le_bytes([bin[10], bin[11]]), 16 | 32)
            && usize::from(u16::from_le_bytes([bin[10], bin[11]])) == bin.len() - 12
    })
}

/// The alphabet of Junos `$9$` secrets in four families; a character of family `i` as the
/// salt is followed by `3 - i` random characters.
const JUNIPER_FAMILIES: [&[u8]; 4] = [
    b"QzF3n6/9CAtpu0O",
    b"B1IREhcSyrleKvMW8LXx",
    b"7N-dVbwsY2g4oaJZGUDj",
    b"iHkq.mPf5T",
];

/// How each plaintext character, in turn, is spread over 2 to 4 characters of gaps.
const JUNIPER_ENCODING: [&[u32]; 7] = [
    &[1, 4, 32],
    &[1, 16, 32],
    &[1, 8, 32],
    &[1, 64],
    &[1, 32],
    &[1, 4, 16, 128],
    &[1, 32, 64],
];

/// Decodes a Junos `$9$` secret (the algorithm every Junos device and the public
/// reimplementations share): `None` unless every character is in the alphabet, the groups
/// fill the value exactly and each decodes to printable ASCII.
fn juniper_type9_decode(secret: &[u8]) -> Option<Vec<u8>> {
    let letters = JUNIPER_FAMILIES.iter().map(|f| f.len()).sum::<usize>();
    let position = |c: u8| {
        JUNIPER_FAMILIES
            .iter()
            .flat_map(|f| f.iter())
            .position(|&a| a == c)
    };
    let body = secret.strip_prefix(b"$9$")?;
    let (&salt, rest) = body.split_first()?;
    let family = JUNIPER_FAMILIES.iter().position(|f| f.contains(&salt))?;
    let mut rest = rest.get(3 - family..)?;
    let mut prev = position(salt)?;
    let mut plain = Vec::new();
    while !rest.is_empty() {
        let weights = JUNIPER_ENCODING[plain.len() % JUNIPER_ENCODING.len()];
        let group = rest.get(..weights.len())?;
        rest = &rest[weights.len()..];
        let mut value = 0u32;
        for (&c, &w) in group.iter().zip(weights) {
            let at = position(c)?;
            let gap = (at + letters - prev) % letters;
            // A gap of 0 would encode -1: no encoder writes it.
            value += u32::try_from(gap.checked_sub(1)?).ok()? * w;
            prev = at;
        }
        let byte = u8::try_from(value % 256).ok()?;
        if !(0x20..0x7f).contains(&byte) {
            return None;
        }
        plain.push(byte);
    }
    (!plain.is_empty()).then_some(plain)
}

/// A Standard Webhooks secret is `whsec_` and the HMAC key in padded standard base64 (24 to 64
/// bytes, the spec's bounds). A `+`, `/` or `=` sets it apart from Stripe's secrets of the same
/// prefix, which are alphanumeric.
fn standard_webhooks(secret: &[u8]) -> bool {
    let Some(body) = secret.strip_prefix(b"whsec_") else {
        return false;
    };
    body.len().is_multiple_of(4)
        && !body.contains(&b'-')
        && !body.contains(&b'_')
        && body.iter().any(|b| matches!(b, b'+' | b'/' | b'='))
        && base64url_decode(body).is_some_and(|key| (24..=64).contains(&key.len()))
}

/// A Seqera Platform token decodes to `{"tid": <digits>}.` and 40 lower-case hex digits: the
/// token's numeric id (the one its Tokens API lists) and its secret part.
fn seqera_token(secret: &[u8]) -> bool {
    base64url_decode(secret).is_some_and(|text| {
        let Some(rest) = text.strip_prefix(b"{\"tid\":") else {
            return false;
        };
        let rest = rest.trim_ascii_start();
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let Some(hex) = rest[digits..].strip_prefix(b"}.") else {
            return false;
        };
        digits > 0
            && hex.len() == 40
            && hex
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    })
}

/// The key Cisco IOS XORs type 7 passwords with (`service password-encryption`), published in
/// every description of the scheme.
const CISCO_TYPE7_KEY: &[u8] = b"dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87";

/// A Cisco type 7 string decodes to printable ASCII: the first two digits pick where in the key
/// to start, each following hex pair is one character XORed with the key.
fn cisco_type7(secret: &[u8]) -> bool {
    if secret.len() < 4 || !secret.len().is_multiple_of(2) {
        return false;
    }
    let Some(offset) = std::str::from_utf8(&secret[..2])
        .ok()
        .and_then(|d| d.parse::<usize>().ok())
    else {
        return false;
    };
    secret[2..].chunks(2).enumerate().all(|(i, pair)| {
        std::str::from_utf8(pair)
            .ok()
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .is_some_and(|b| {
                let c = b ^ CISCO_TYPE7_KEY[(offset + i) % CISCO_TYPE7_KEY.len()];
                (0x20..0x7f).contains(&c)
            })
    })
}

/// Stellar StrKey (SEP-23): 56 base32 characters that decode to a version byte, 32 bytes of key
/// and a CRC16-XModem of the two, little-endian. `version` is the key type (18 << 3 for a
/// secret seed, whose text starts with `S`).
fn stellar_strkey(secret: &[u8], version: u8) -> bool {
    if secret.len() != 56 {
        return false;
    }
    let Some(bytes) = base32_unpadded(secret) else {
        return false;
    };
    bytes.len() == 35 && bytes[0] == version && crc16_xmodem_le_matches(&bytes)
}

/// NATS nkey seed: 58 base32 characters that decode to two prefix bytes, the 32-byte ed25519
/// seed and a CRC16-XModem of the three, little-endian (the nkeys library's format, borrowed
/// from Stellar). The prefix packs the seed marker 18 << 3 with the key's type byte spread
/// over both bytes, so the text reads `SU` for a user, `SA` account, `SO` operator, `SN`
/// server, `SC` cluster, `SX` curve key; public keys (`U...`, `A...`) are one byte shorter and
/// fail here.
fn nats_nkey_seed(secret: &[u8]) -> bool {
    if secret.len() != 58 {
        return false;
    }
    let Some(bytes) = base32_unpadded(secret) else {
        return false;
    };
    if bytes.len() != 36 || bytes[0] & 0xf8 != 18 << 3 || bytes[1] & 0x07 != 0 {
        return false;
    }
    let kind = (bytes[0] & 0x07) << 5 | bytes[1] >> 3;
    // Account 0, cluster 2, server 13, operator 14, user 20, curve 23, each shifted by 3.
    matches!(kind >> 3, 0 | 2 | 13 | 14 | 20 | 23)
        && kind & 0x07 == 0
        && crc16_xmodem_le_matches(&bytes)
}

/// RFC 4648 base32 without padding, upper case.
fn base32_unpadded(text: &[u8]) -> Option<Vec<u8>> {
    unpack_digits(text, 5, |c| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    })
}

/// Whether the last two bytes are the CRC16-XModem (polynomial 0x1021, initial 0) of the
/// others, little-endian.
fn crc16_xmodem_le_matches(bytes: &[u8]) -> bool {
    let Some((body, check)) = bytes.split_last_chunk::<2>() else {
        return false;
    };
    let mut crc: u16 = 0;
    for &b in body {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc == u16::from_le_bytes(*check)
}

/// DER of the PKCS #12 bag type OIDs 1.2.840.113549.1.12.10.1.{1,2,3} (RFC 7292, 4.2): a key
/// bag, a shrouded (encrypted) key bag, a certificate bag; the last byte differs.
const PKCS12_BAG_OID: &[u8] = b"\x06\x0b\x2a\x86\x48\x86\xf7\x0d\x01\x0c\x0a\x01";

/// False only for a store shown to hold certificates alone (a trust store). JKS and JCEKS
/// entries are read (tag 1 is a private key, 2 a trusted certificate, 3 a secret key); a
/// PKCS #12 file is a trust store when a certificate bag is visible and no key bag is. Keys
/// and certificates both encrypted, or a store cut short, cannot be told apart: reported.
fn key_store_with_key(secret: &[u8]) -> bool {
    if secret.starts_with(b"\xfe\xed\xfe\xed") || secret.starts_with(b"\xce\xce\xce\xce") {
        return jks_entries_hold_key(secret).unwrap_or(true);
    }
    let bags = memchr::memmem::find_iter(secret, PKCS12_BAG_OID)
        .filter_map(|at| secret.get(at + PKCS12_BAG_OID.len()).copied());
    let (mut keys, mut certs) = (false, false);
    for kind in bags {
        match kind {
            1 | 2 => keys = true,
            3 => certs = true,
            _ => {}
        }
    }
    keys || !certs
}

/// Whether a JKS or JCEKS store has an entry other than a trusted certificate; `None` when
/// it ends before its entries do.
fn jks_entries_hold_key(data: &[u8]) -> Option<bool> {
    let mut at: usize = 4;
    let mut take = |n: usize| -> Option<&[u8]> {
        let bytes = data.get(at..at.checked_add(n)?)?;
        at += n;
        Some(bytes)
    };
    let u32_at = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let version = u32_at(take(4)?);
    let count = u32_at(take(4)?);
    for _ in 0..count {
        if u32_at(take(4)?) != 2 {
            return Some(true);
        }
        let alias = take(2)?;
        take(usize::from(u16::from_be_bytes([alias[0], alias[1]])))?;
        take(8)?; // creation time
        if version == 2 {
            let kind = take(2)?;
            take(usize::from(u16::from_be_bytes([kind[0], kind[1]])))?;
        }
        let len = u32_at(take(4)?);
        take(len)?;
    }
    Some(false)
}

/// The decoded text opens a PEM private key block: `-----BEGIN [RSA |EC |OPENSSH |...]PRIVATE
/// KEY-----`. Only the first 96 characters are decoded; the rest may be cut by the regex.
fn base64_private_key(secret: &[u8]) -> bool {
    // Wrapped lines are one value: their breaks and indentation are no base64.
    let compact: Vec<u8> = secret
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .take(96)
        .collect();
    let head = &compact[..compact.len() / 4 * 4];
    base64url_decode(head).is_some_and(|text| {
        let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
        line.starts_with(b"-----BEGIN ")
            && memchr::memmem::find(line, b"PRIVATE KEY-----").is_some()
    })
}

/// Base64 of a JSON-like object naming every one of `keys`. Grafana's legacy API keys are
/// `{"k":<key>,"n":<name>,"id":<org>}`; Power BI links carry `{"k":..,"t":..}`, which fails.
/// The member names are looked for as text, so a key cut short at its end still passes.
fn json_object_with(secret: &[u8], keys: &[&str]) -> bool {
    base64url_decode(secret).is_some_and(|json| {
        json.starts_with(b"{")
            && keys.iter().all(|k| {
                let quoted = format!("\"{k}\"");
                memchr::memmem::find(&json, quoted.as_bytes()).is_some()
            })
    })
}

/// Discord's token is `base64(user id) . timestamp . HMAC`; user ids are snowflakes of 17 to
/// 20 decimal digits, so the first part must decode to digits only.
fn discord(secret: &[u8]) -> bool {
    let first = secret.split(|&b| b == b'.').next().unwrap_or_default();
    base64url_decode(first)
        .is_some_and(|id| (17..=20).contains(&id.len()) && id.iter().all(u8::is_ascii_digit))
}

/// A PyPI API token is `pypi-` and a base64url-encoded macaroon in libmacaroons' version-2
/// binary format: version byte 2; a header section (optional location, field type 1, then the
/// identifier, type 2) ended by EOS (0); caveat sections, each ended by EOS; one more EOS; and
/// the signature field (type 6) of 32 bytes, which ends the token. A truncated or made-up token
/// fails to parse.
fn pypi_macaroon(secret: &[u8]) -> bool {
    let Some(body) = secret.strip_prefix(b"pypi-") else {
        return false;
    };
    let Some(bin) = base64url_decode(body) else {
        return false;
    };
    parse_macaroon_v2(&bin).is_some()
}

fn parse_macaroon_v2(bin: &[u8]) -> Option<()> {
    let mut at = 1;
    if *bin.first()? != 2 {
        return None;
    }
    // Header: the identifier is required.
    let header = macaroon_section(bin, &mut at)?;
    if !header.contains(&2) {
        return None;
    }
    // Caveats until the EOS that closes the list.
    while *bin.get(at)? != 0 {
        macaroon_section(bin, &mut at)?;
    }
    at += 1;
    let (kind, len) = (
        macaroon_varint(bin, &mut at)?,
        macaroon_varint(bin, &mut at)?,
    );
    (kind == 6 && len == 32 && at + 32 == bin.len()).then_some(())
}

/// Reads fields up to and including the section's EOS; returns their types.
fn macaroon_section(bin: &[u8], at: &mut usize) -> Option<Vec<u64>> {
    let mut kinds = Vec::new();
    loop {
        let kind = macaroon_varint(bin, at)?;
        if kind == 0 {
            return Some(kinds);
        }
        let len = usize::try_from(macaroon_varint(bin, at)?).ok()?;
        *at = at.checked_add(len).filter(|&end| end <= bin.len())?;
        kinds.push(kind);
    }
}

/// Unsigned LEB128, as libmacaroons writes field types and lengths.
fn macaroon_varint(bin: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bin.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// GitHub's token format (and npm's, which copies it): after the prefix, 30 random base62
/// characters, then the CRC32 of those 30 in base62, left-padded with `0` to 6 characters.
/// The CRC covers the random part only and the alphabet is digits, upper, lower: GitHub's
/// blog announcing the format does not say, so this follows the public reimplementations and
/// was confirmed on format-valid tokens that checksum this way. Polar's tokens are the same
/// with 37 random characters (its generator is public).
fn crc32_tail(secret: &[u8], random_len: usize) -> bool {
    if secret.len() < random_len + 6 {
        return false;
    }
    let tail = &secret[secret.len() - random_len - 6..];
    let (random, check) = tail.split_at(random_len);
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

/// A JWT's header is base64url JSON naming an `alg` member; its payload is base64url JSON too.
/// Checked as text (`{...}` naming `"alg"`, then `{...}`), not parsed: a token whose header has
/// one byte mangled is still a token someone pasted; a cut-off one is not a token.
fn jwt(secret: &[u8]) -> bool {
    jwt_payload(secret).is_some()
}

/// The payload JSON of a token that passes the `jwt` check.
fn jwt_payload(secret: &[u8]) -> Option<Vec<u8>> {
    let mut parts = secret.split(|&b| b == b'.');
    let (header, payload) = (parts.next()?, parts.next()?);
    let object = |segment: &[u8]| {
        base64url_decode(segment)
            .filter(|json| json.starts_with(b"{") && json.trim_ascii_end().ends_with(b"}"))
    };
    let header = object(header)?;
    let at = memchr::memmem::find(&header, b"\"alg\"")?;
    if names_alg_none(&header[at + 5..]) {
        return None;
    }
    object(payload)
}

/// skymarshal's `token.Generate`: 20 random bytes and the expiry (`binary.LittleEndian`), in
/// `base64.RawStdEncoding`. Eight random bytes land between 2014 and 2100 about once in seven
/// billion.
fn concourse_access_token(secret: &[u8]) -> bool {
    secret.len() == 38
        && base64url_decode(secret).is_some_and(|bytes| {
            bytes.len() == 28
                && u64::from_le_bytes(bytes[20..28].try_into().unwrap_or_default())
                    .checked_sub(1_388_534_400)
                    .is_some_and(|since_2014| since_2014 < 2_713_910_400)
        })
}

/// A JWT (the `jwt` check) whose payload, as compact JSON, holds every one of `claims`: how a
/// product's own tokens are told from every other JWT when they carry no prefix.
fn jwt_claims(secret: &[u8], claims: &[&[u8]]) -> bool {
    jwt_payload(secret).is_some_and(|payload| {
        claims
            .iter()
            .all(|c| memchr::memmem::find(&payload, c).is_some())
    })
}

/// After `"alg"`: `: "none"` (any case, any blanks). An unsecured JWT (RFC 7519 §6) carries no
/// signature, so no key stands behind it, whatever junk follows its last dot.
fn names_alg_none(rest: &[u8]) -> bool {
    let rest = rest.trim_ascii_start();
    rest.strip_prefix(b":")
        .map(<[u8]>::trim_ascii_start)
        .and_then(|v| v.get(..6))
        .is_some_and(|v| v.eq_ignore_ascii_case(b"\"none\""))
}

/// RFC 7617: `base64(user-id ":" password)`, printable, with a non-empty password. The user-id
/// holds no `/` or `"` and is at most 128 characters, so an encoded URL (`https://host/...`), a
/// sentence with a colon or a piece of JSON (`{"iss":"auth0"}`) is not taken for credentials.
fn basic_auth(secret: &[u8]) -> bool {
    let Some(plain) = base64url_decode(secret) else {
        return false;
    };
    // `echo user:pass | base64` encodes the line's newline too.
    let plain = plain
        .strip_suffix(b"\n")
        .map(|p| p.strip_suffix(b"\r").unwrap_or(p))
        .unwrap_or(&plain);
    let printable = plain.iter().all(|b| (0x20..0x7f).contains(b));
    let colon = plain.iter().position(|&b| b == b':');
    printable
        && colon.is_some_and(|i| {
            i + 1 < plain.len()
                && i <= 128
                && !plain[..i].contains(&b'/')
                && !plain[..i].contains(&b'"')
                && plain[i + 1] != b'/'
                // `testuser:fakepassword`, `fake:user` (curl's tests): a documentation or
                // test stand-in, once decoded; `user:wrongpass`: one a test means to refuse.
                && !super::filters::says_it_is_a_stand_in(&plain[i + 1..])
                && !plain[..i].to_ascii_lowercase().starts_with(b"fake")
                && ![&b"wrong"[..], b"invalid", b"incorrect", b"badpass", b"bad_pass", b"bad-pass"]
                    .iter()
                    .any(|w| plain[i + 1..].to_ascii_lowercase().starts_with(w))
                // `x-access-token:github-token`: the password names its slot, once decoded.
                && !super::filters::names_its_slot(&plain[i + 1..])
                // `some-username:some-password`: both slots named, qualified. A named user's
                // password (`phil:mypass`) is what the documentation has them send.
                && !(names_user_slot(&plain[..i])
                    && super::filters::is_self_describing_password(
                        &plain[i + 1..].to_ascii_lowercase(),
                    ))
        })
}

/// `some-username`, `my_user`, `your-login`: a user name that names its own slot.
fn names_user_slot(user: &[u8]) -> bool {
    let mut word: Vec<u8> = user
        .iter()
        .filter(|b| b.is_ascii_alphabetic())
        .map(u8::to_ascii_lowercase)
        .collect();
    for qualifier in [&b"some"[..], b"my", b"your", b"the", b"any"] {
        if let Some(rest) = word.strip_prefix(qualifier) {
            word = rest.to_vec();
            break;
        }
    }
    matches!(
        word.as_slice(),
        b"user" | b"username" | b"login" | b"userid"
    )
}

/// `eyJhbGciOi...` without a dot (or with only a trailing one) that decodes to a JSON object
/// naming an `alg`: a JWT header on its own, public and the same for every token of a service.
pub(crate) fn is_jwt_header_only(value: &[u8]) -> bool {
    // `eyJ….`: the header and its dot, a token cut before its payload.
    let value = value.strip_suffix(b".").unwrap_or(value);
    value.starts_with(b"eyJ")
        && !value.contains(&b'.')
        && base64url_decode(value).is_some_and(|json| {
            json.starts_with(b"{")
                && json.ends_with(b"}")
                && memchr::memmem::find(&json, b"\"alg\"").is_some()
        })
}

/// Decodes unpadded (or padded) base64url; `None` on any other byte.
pub(crate) fn base64url_decode(input: &[u8]) -> Option<Vec<u8>> {
    let input = input
        .strip_suffix(b"==")
        .or_else(|| input.strip_suffix(b"="))
        .unwrap_or(input);
    unpack_digits(input, 6, |c| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' | b'+' => Some(62),
        b'_' | b'/' => Some(63),
        _ => None,
    })
}

/// Bytes of `input` read as `width`-bit digits (`digit` gives each character's value; 6 for
/// base64, 5 for base32), most significant first; leftover bits are dropped. `None` on a
/// character that is no digit.
fn unpack_digits(input: &[u8], width: u32, digit: impl Fn(u8) -> Option<u8>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * width as usize / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in input {
        acc = (acc << width) | u32::from(digit(c)?);
        bits += width;
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
    fn base58_check_takes_a_key_and_rejects_one_changed_character() {
        let xprv = b"xprv9s21ZrQH143K3u9KqWDphpKZ96MsPsrJHMTneBZURizwdZZ8r76Pxcie4cUBTiABvwbWdG8rWKZPrzHa5z7c5euRRCFAu6RspoLRmP9vQde";
        assert!(base58_check(xprv));
        let mut changed = xprv.to_vec();
        *changed.last_mut().unwrap() = b'f';
        assert!(!base58_check(&changed));
        // Not base58 (`0`), and too short to hold a checksum.
        assert!(!base58_check(b"xprv0abc"));
        assert!(!base58_check(b"1111"));
    }

    #[test]
    fn bech32_holds_for_an_nsec_and_fails_when_a_character_changes() {
        let nsec = b"nsec1kptxfm5em49tkxaqyxyguvp0fltwyfzrpxpj3uds2e5kmvmprynq3dfgnm";
        assert!(bech32(nsec));
        assert!(bech32(&nsec.to_ascii_uppercase()));
        assert!(!bech32(
            b"nsec1kptxfm5em49tkxaqyxyguvp0fltwyfzrpxpj3uds2e5kmvmprynq3dfgnq"
        ));
        // `b` is not in the data alphabet; no separator at all.
        assert!(!bech32(
            b"nsec1bptxfm5em49tkxaqyxyguvp0fltwyfzrpxpj3uds2e5kmvmprynq3dfgnm"
        ));
        assert!(!bech32(b"nsec"));
    }

    #[test]
    fn bip39_needs_listed_words_and_the_checksum() {
        assert!(bip39_mnemonic(
            b"right like bus hub measure under kingdom clerk kit jeans rent move"
        ));
        // Wrapped over two lines, in capitals.
        assert!(bip39_mnemonic(
            b"RIGHT like bus hub measure under\n  kingdom clerk kit jeans rent move"
        ));
        assert!(!bip39_mnemonic(
            b"right like bus hub measure under kingdom clerk kit jeans rent mouse"
        ));
        // Eleven words; a word not on the list.
        assert!(!bip39_mnemonic(
            b"right like bus hub measure under kingdom clerk kit jeans rent"
        ));
        assert!(!bip39_mnemonic(
            b"right like bus hub measure under kingdom clerk kit jeans rent moves"
        ));
    }

    #[test]
    fn basic_credentials_that_say_they_are_stand_ins_fail() {
        // testuser:fakepassword, ops:Wq8vZt3mLk2R
        assert!(!basic_auth(b"dGVzdHVzZXI6ZmFrZXBhc3N3b3Jk"));
        assert!(basic_auth(b"b3BzOldxOHZadDNtTGsyUg=="));
        // x-access-token:github-token
        assert!(!basic_auth(b"eC1hY2Nlc3MtdG9rZW46Z2l0aHViLXRva2Vu"));
        // fake:user, user:wrongpass (curl's tests)
        assert!(!basic_auth(b"ZmFrZTp1c2Vy"));
        assert!(!basic_auth(b"dXNlcjp3cm9uZ3Bhc3M="));
    }

    #[test]
    fn defuse_key_checksum_covers_header_and_key() {
        // Generated for this test: header, 32 random bytes, their SHA-256.
        let key = b"def00000f1c31783ff2cf8fb218f95de3bbbcf92c20c8280358c2fb9e1f35c1b1ccee5462054848c5a810d146f9969d388ed5ab296a077fe37ccbd99dab736d3de6f2fd0";
        assert!(defuse_key(key));
        // One key digit changed: the digest no longer matches.
        let mut bad = key.to_vec();
        bad[20] = if bad[20] == b'0' { b'1' } else { b'0' };
        assert!(!defuse_key(&bad));
        // A password-protected key (`def10000`) is ciphertext, not this format.
        let mut other = key.to_vec();
        other[3] = b'1';
        assert!(!defuse_key(&other));
        assert!(!defuse_key(b"def00000"));
    }

    #[test]
    fn laravel_sanctum_checksum_covers_the_random_part() {
        // Generated for this test: id 7, 40 random characters, their CRC-32.
        let token = b"7|BMk6zLz2O52mQ5ldYFUGij7PIKy58WK93MXK6fFCf21990b6";
        assert!(laravel_sanctum(token));
        // With an application prefix between `|` and the random part.
        assert!(laravel_sanctum(
            b"7|acme_BMk6zLz2O52mQ5ldYFUGij7PIKy58WK93MXK6fFCf21990b6"
        ));
        let mut bad = token.to_vec();
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert!(!laravel_sanctum(&bad));
        // Upper-case hex is not what PHP's `hash()` writes.
        let upper = format!(
            "7|BMk6zLz2O52mQ5ldYFUGij7PIKy58WK93MXK6fFC{}",
            "f21990b6".to_ascii_uppercase()
        );
        assert!(!laravel_sanctum(upper.as_bytes()));
        assert!(!laravel_sanctum(b"7|short"));
    }

    #[test]
    fn matrix_tokens_carry_their_servers_crc() {
        // Generated for this test the way Synapse and MAS build them.
        let synapse = b"syt_YWxpY2U_PWCiPFBGkIwDLPYHxROJ_40hDW4";
        let mas = b"mat_7AazoxcQqKXI9sj1XIENAz2GjC0Yde_VKnyj2";
        assert!(matrix_token(synapse));
        assert!(matrix_token(mas));
        // The CRC covers the prefix: a MAS token relabelled `syt_` fails.
        let mut swapped = b"sy".to_vec();
        swapped.extend_from_slice(&mas[2..]);
        assert!(!matrix_token(&swapped));
        let mut bad = synapse.to_vec();
        let at = bad.len() - 10;
        bad[at] = if bad[at] == b'a' { b'b' } else { b'a' };
        assert!(!matrix_token(&bad));
        assert!(!matrix_token(b"syt_nocrc"));
    }

    #[test]
    fn cloudflare_tunnel_token_decodes_to_cloudflareds_json() {
        // {"a":<32 hex>,"s":<base64 of 32 bytes>,"t":<uuid>}, generated for this test.
        assert!(cloudflare_tunnel_token(b"eyJhIjoiOTc1MjhlYTExNzliMzQ5YzgxNmY4Y2I5ZjNhZThhYWIiLCJzIjoiZ2VIaFJqaWhTVWVoWExxSnZUcDlWYlJQNXg0eDZ3SWdqMFFhdmNYMDJ6Zz0iLCJ0IjoiOTc0N2MzNDUtMTFmZC00NDg0LTk0NDEtNjFmNmRiZmI0ZDVlIn0="));
        // The first member is "a", but not an account tag.
        assert!(!cloudflare_tunnel_token(
            b"eyJhIjoibm90LWFuLWFjY291bnQtdGFnLXZhbHVlLWhlcmUteHgiLCJzIjoieCIsInQiOiJ5In0="
        ));
        assert!(!cloudflare_tunnel_token(b"eyJhIjoi"));
    }

    #[test]
    fn rclone_obscured_password_reveals_to_text() {
        // `rclone obscure` of a 16-character password, generated for this test the way rclone does.
        assert_eq!(
            rclone_reveal(b"lTaEXUGOVzqyWIJYWpEnCfR95Oe8sDJ7hofmPvs0HGo").map(|t| t.len()),
            Some(16)
        );
        // Random base64url of the same length reveals to bytes that are not text.
        assert!(rclone_reveal(b"G11HKqTSLknKsY04rjnKIn0Off2_3NvRO5mr-sdu2Ec").is_none());
        // Too short to hold an IV and a password; not base64url.
        assert!(rclone_reveal(b"lTaEXUGOVzqyWIJYWpEnCf").is_none());
        assert!(rclone_reveal(b"lTaEXUGOVzqyWIJYWpEnCfR95Oe8sDJ7hofmPvs0HG+").is_none());
    }

    #[test]
    fn jwt_claims_tell_a_products_tokens_from_other_jwts() {
        // Minted for this test: {"exp":…,"iat":…,"iss":"Gitness","pid":110,"tkn":{…}}.
        let gitness = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3OTU2ODYwMDAsImlhdCI6MTc2NDE1MDAwMCwiaXNzIjoiR2l0bmVzcyIsInBpZCI6MTEwLCJ0a24iOnsidHlwIjoicGF0IiwiaWQiOjE5NzR9fQ.Deie-nSDedeOLQhen1rasO_ZYAChH2o9oIBXP9DjD34";
        assert!(verify(Checksum::GitnessToken, gitness));
        assert!(!verify(Checksum::TwentyApiKey, gitness));
        // Another issuer.
        assert!(!verify(Checksum::GitnessToken, b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3OTU2ODYwMDAsImlhdCI6MTc2NDE1MDAwMCwiaXNzIjoia2V5aG91bmQtaWRwIiwic3ViIjoidTcifQ.DMWCjd6zhuy2qo-tn7DXNwrdTvp5PH985rWldDgEXr4"));
    }

    #[test]
    fn jsr_token_ends_in_its_crc() {
        let check = |s: &[u8]| verify(Checksum::JsrToken, s);
        // Generated for this test as JSR's `generate_token` does.
        assert!(check(b"jsrp_z96R0JJDyNPInQ1YWj9lrAeHQLqZy1G1hON"));
        assert!(!check(b"jsrp_z96R0JJDyNPInQ1YWj9lrAeHQLqZy1G1hOX"));
        assert!(!check(b"jsrp_z96R0JJDyNPInQ1YWj9lrAeHQLqZy1G1hO"));
    }

    #[test]
    fn stack_auth_api_key_ends_in_the_hex_crc_of_the_rest() {
        let check = |s: &[u8]| verify(Checksum::StackAuthApiKey, s);
        let body = format!(
            "sk_{}{}user0574ck4u7h",
            "q8vr2mxk7npw3nzb9tfyzt4wr9nb2cf7qgm3xa5h6j7k8", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
        );
        let key = format!("{body}{:08x}", crc32fast::hash(body.as_bytes()));
        assert_eq!(key.len(), 102);
        assert!(check(key.as_bytes()));
        // One character of the secret part changed, the checksum upper-cased, one short.
        let mut bad = key.clone().into_bytes();
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert!(!check(&bad));
        assert!(!check(key.to_uppercase().as_bytes()));
        assert!(!check(&key.as_bytes()[..101]));
    }

    #[test]
    fn polar_token_ends_in_the_crc_of_its_37_random_characters() {
        let check = |s: &[u8]| verify(Checksum::PolarToken, s);
        let random = "Q8vR2mXk7LpW3nZb9TfYzt4wR9nB2cF7qLm3X";
        let token = format!(
            "polar_cs_{random}{}",
            String::from_utf8_lossy(&base62_6(crc32fast::hash(random.as_bytes())))
        );
        assert_eq!(token.len(), "polar_cs_".len() + 43);
        assert!(check(token.as_bytes()));
        let mut bad = token.clone().into_bytes();
        bad[12] = if bad[12] == b'a' { b'b' } else { b'a' };
        assert!(!check(&bad));
        // GitHub's 30 + 6 split does not verify a Polar token, nor the reverse.
        assert!(!verify(Checksum::GithubCrc32, token.as_bytes()));
        assert!(!check(b"polar_cs_short"));
    }

    #[test]
    fn argocd_token_names_its_issuer() {
        let check = |s: &[u8]| verify(Checksum::ArgocdToken, s);
        // HS256 tokens minted for this test: issuer `argocd`, then `argocdx`.
        assert!(check(
            b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhcmdvY2QiLCJzdWIiOiJjaS1ib3Q6YXBpS2V5IiwibmJmIjoxNzY0MDAwMDAwLCJpYXQiOjE3NjQwMDAwMDAsImp0aSI6IjY2YzYwNTZiLTc3MDItNDk2My05NzUzLTQzZjc2MmIwNDk2ZCJ9.pnfP33y3agmD8jsEzO4YuxdjTJ3XiigC02a5s-DvQjQ"
        ));
        assert!(!check(
            b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhcmdvY2R4Iiwic3ViIjoiZGVwbG95ZXI6YXBpS2V5IiwibmJmIjoxNzYzMDAwMDAwLCJpYXQiOjE3NjMwMDAwMDAsImp0aSI6ImMwYTEyZTU5LTAwOTItNDgzYi05NjExLTAzZDdlZjc0OTFiNSJ9.nn8pGwirJZ8PvAAx0ODL4mi8IX59QG7iKe3aDUiZrss"
        ));
    }

    #[test]
    fn has_digit_and_letter_rejects_words_and_numbers() {
        let check = |s: &[u8]| verify(Checksum::HasDigitAndLetter, s);
        assert!(check(b"mainnetQ7vXk2LmP9sTzR4wYbN8cJ3dHf6gAe"));
        // A camelCase name after the network word, and a run of digits.
        assert!(!check(b"previewImageForTheSelectedItemInList"));
        assert!(!check(b"12345678901234567890123456789012"));
    }

    #[test]
    fn concourse_access_token_ends_in_its_expiry() {
        // 20 random bytes and 2026-11-26 (1795686000) little-endian, made for this test.
        assert!(concourse_access_token(
            b"Cogy9ziM8sDMDJKZeWHyZwd70tBw/gdrAAAAAA"
        ));
        // 28 random bytes.
        assert!(!concourse_access_token(
            b"nV4ZQuwtwCcMcIkALOse0/wa94iUGJpqCUTH/A"
        ));
        assert!(!concourse_access_token(b"short"));
    }

    #[test]
    fn keeper_ksm_config_names_a_client() {
        // {"hostname": …, "clientId": …, "privateKey": …}, shortened for the test.
        assert!(verify(Checksum::KeeperKsmConfig, b"eyJob3N0bmFtZSI6ICJrZWVwZXJzZWN1cml0eS5jb20iLCAiY2xpZW50SWQiOiAiYzJ4dmRBPT0iLCAicHJpdmF0ZUtleSI6ICJhMlY1In0="));
        // A configuration without the client's id and key.
        assert!(!verify(
            Checksum::KeeperKsmConfig,
            b"eyJob3N0bmFtZSI6ICJrZWVwZXJzZWN1cml0eS5jb20iLCAiYXBwS2V5IjogImEyVjUifQ=="
        ));
    }

    #[test]
    fn overseerr_api_key_is_a_timestamp_and_a_v4_uuid() {
        assert!(overseerr_api_key(
            b"MTY1NjgwMTgzMjE1Nzc2NTdiYjJlLTE4YjUtNGVlZS1iOTljLWQxZGRkM2Y5MjM0ZA=="
        ));
        // A version-1 UUID after the digits.
        assert!(!overseerr_api_key(
            b"MTExMTExMTExMTExMTI3NTUyZmQ4LWViZGQtMTFmMS1hOThiLTAyZmMwMDAwMDAwMQ=="
        ));
        assert!(!overseerr_api_key(b"MTY1Njgw"));
    }

    #[test]
    fn seqera_token_structure() {
        // {"tid": 4821}.<40 hex>
        assert!(seqera_token(
            b"eyJ0aWQiOiA0ODIxfS4zN2ZkMWQ3NGRmYTA4NWYzNjU5M2YxNjYyODhiMGZlOTRlNWI2MmYz"
        ));
        // {"tid": 17}.notahexvalue
        assert!(!seqera_token(b"eyJ0aWQiOiAxN30ubm90YWhleHZhbHVl"));
    }

    #[test]
    fn juniper_type9_decodes_to_text() {
        // Crypt::Juniper's documented example.
        assert_eq!(
            juniper_type9_decode(b"$9$LbHX-wg4Z").as_deref(),
            Some(&b"lc"[..])
        );
        // `Tundra-Owl8`, encoded for this test.
        assert_eq!(
            juniper_type9_decode(b"$9$z6DoFCpIEyWLNCtMX7NY2qmPQn9BIcevLrl").as_deref(),
            Some(&b"Tundra-Owl8"[..])
        );
        // Cut short, a character outside the alphabet, a Cisco type 9 hash.
        assert!(juniper_type9_decode(b"$9$z6DoFCpIEyWLNCtMX7NY2qmPQn9BIcevLr").is_none());
        assert!(juniper_type9_decode(b"$9$LbHX-wg4_").is_none());
        assert!(juniper_type9_decode(b"$9$1ZBLVLxcHIT0yP$XZHQnHPNPZ7wWZ").is_none());
    }

    #[test]
    fn standard_webhooks_secret_is_padded_base64_of_a_key() {
        assert!(standard_webhooks(
            b"whsec_bLxjnDrBQcfJuM6PAvAYavUzsRKYtaqIY7WEYf7UAds="
        ));
        assert!(standard_webhooks(b"whsec_juuYowItfkfdChK6O/rpb6BQ2Le0Y775"));
        // Alphanumeric: Stripe's shape, left to its rule.
        assert!(!standard_webhooks(
            b"whsec_zcgsXTUC5sOhH6lRVibC78tAxe1ExAuC"
        ));
        // 12 bytes: too short a key.
        assert!(!standard_webhooks(b"whsec_juuYowItfk/dChK6"));
        // Not a whole number of base64 quads.
        assert!(!standard_webhooks(b"whsec_juuYowItfkfdChK6O/rpb6BQ2Le0Y77"));
    }

    #[test]
    fn ceph_key_header_matches_its_length() {
        // type 1, a creation time, length 16, 16 random bytes
        assert!(ceph_key(b"AQAA8VNlAAAAABAAtm6i0/TcdDv5n/LNG+mrJQ=="));
        // the same with length 15 in the header
        assert!(!ceph_key(b"AQAA8VNlAAAAAA8Ahkf4DAjdOVrNg1nRhTcHXA=="));
        // 28 bytes of base64 that are no key
        assert!(!ceph_key(b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmM="));
        assert!(verify(
            Checksum::CephBootstrapToken,
            b"eyJmc2lkIjoiYzRkMWEyYjMtNWU2Zi00YTdiLThjOWQtMGUxZjJhM2I0YzVkIiwiY2xpZW50X2lkIjoicmJkLW1pcnJvci1wZWVyIiwia2V5IjoiQVFCWDlWTmxBQUFBQUJBQWF1d1N3eW9GVzNZS3NyTFZNeENHanc9PSIsIm1vbl9ob3N0IjoiW3YyOjE5Mi4wLjIuMTA6MzMwMCx2MToxOTIuMC4yLjEwOjY3ODldIn0="
        ));
        // {"fsid":…,"client_id":…,"mon_host":…}: no key
        assert!(!verify(
            Checksum::CephBootstrapToken,
            b"eyJmc2lkIjoiYzRkMWEyYjMtNWU2Zi00YTdiLThjOWQtMGUxZjJhM2I0YzVkIiwiY2xpZW50X2lkIjoicmJkLW1pcnJvci1wZWVyIiwibW9uX2hvc3QiOiJbdjI6MTkyLjAuMi4xMDozMzAwXSJ9"
        ));
    }

    #[test]
    fn cisco_type7_decodes_to_text() {
        // `Tundra-Owl8` and `lab-rtr-91` with the key at offsets 7 and 12.
        assert!(cisco_type7(b"073B34424A1B184838050754"));
        assert!(cisco_type7(b"121504155F191816677275"));
        // An FS.com switch's value, odd length, a non-decimal offset.
        assert!(!cisco_type7(b"0932840928a209842390"));
        assert!(!cisco_type7(b"073B34424A1B18483805075"));
        assert!(!cisco_type7(b"AB3B34424A1B1848"));
    }

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
        // {"iss":"auth0"}: JSON, not credentials.
        assert!(!verify(Checksum::BasicAuth, b"eyJpc3MiOiJhdXRoMCJ9"));
        // "deploy:Zq7vR2mXk9Lp\n", as `echo … | base64` writes it.
        assert!(verify(Checksum::BasicAuth, b"ZGVwbG95OlpxN3ZSMm1YazlMcAo="));
        // "phil:mypass": a named user's password.
        assert!(verify(Checksum::BasicAuth, b"cGhpbDpteXBhc3M="));
        // "some-username:some-password"
        assert!(!verify(
            Checksum::BasicAuth,
            b"c29tZS11c2VybmFtZTpzb21lLXBhc3N3b3Jk"
        ));
        // "deploy:\n": still no password.
        assert!(!verify(Checksum::BasicAuth, b"ZGVwbG95Ogo="));
        // "deploy" (no colon), "deploy:" (no password), binary.
        assert!(!verify(Checksum::BasicAuth, b"ZGVwbG95"));
        assert!(!verify(Checksum::BasicAuth, b"ZGVwbG95Og=="));
        assert!(!verify(Checksum::BasicAuth, b"/////w=="));
        // "https://example.com"
        assert!(!verify(
            Checksum::BasicAuth,
            b"aHR0cHM6Ly9leGFtcGxlLmNvbQ=="
        ));
    }

    #[test]
    fn base64_private_key_structure() {
        // base64("-----BEGIN PRIVATE KEY-----\nMC4CAQAw...")
        assert!(verify(
            Checksum::Base64PrivateKey,
            b"LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1DNENBUUF3QlFZREsyVndCQ0lFSUYreWEx"
        ));
        // base64("-----BEGIN CERTIFICATE-----\n...")
        assert!(!verify(
            Checksum::Base64PrivateKey,
            b"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUR4RENDQXF5Z0F3SUJBZ0lV"
        ));
    }

    #[test]
    fn nats_seeds_carry_their_type_and_crc() {
        // Generated for this test: a user seed and an operator seed.
        let user = b"SUAKWJDCIFBOHKMZPZUA2S6JYBYNSNE3QBW46UYSTYCAY7E4XW2CUX6C5U";
        assert!(nats_nkey_seed(user));
        assert!(nats_nkey_seed(
            b"SOAMSMZN253V4R2K3DFBIHC3CN32ZO2ZJNDTWJEXKAV5K2Q3ZJWTYPSOKQ"
        ));
        let mut changed = *user;
        changed[20] = if changed[20] == b'Q' { b'R' } else { b'Q' };
        assert!(!nats_nkey_seed(&changed));
        assert!(!nats_nkey_seed(&user[..57]));
        // A Stellar seed is one byte shorter.
        assert!(!nats_nkey_seed(
            b"SB73U3WDFOPB43RT3ACAZW3IQHN7S36YWR6VHWADYI47Q4POX6LTR6CP"
        ));
    }

    #[test]
    fn stellar_secret_seeds_are_strkeys_with_their_crc() {
        let seed = b"SB26JZF4RKWBJZGHSM6TUJ5KGUAK3E4IGZVZ6QGUCGZEWJ4M7YYONUHV";
        assert!(stellar_strkey(seed, 18 << 3));
        let mut changed = *seed;
        changed[20] = if changed[20] == b'A' { b'B' } else { b'A' };
        assert!(!stellar_strkey(&changed, 18 << 3));
        // A public key (`G…`, version 6 << 3) with a valid checksum is not a seed.
        assert!(!stellar_strkey(
            b"GBLALYEDN7CC3QC36UQMTI44MAYFQPYRAPYYPCAFKY675RJ773H5R364",
            18 << 3
        ));
        assert!(!stellar_strkey(&seed[..55], 18 << 3));
    }

    #[test]
    fn grafana_legacy_structure() {
        // {"k":"T0pQ9xWm3LrV7nZb2YcK5dFa","n":"ci","id":1}
        assert!(verify(
            Checksum::GrafanaLegacy,
            b"eyJrIjoiVDBwUTl4V20zTHJWN25aYjJZY0s1ZEZhIiwibiI6ImNpIiwiaWQiOjF9"
        ));
        // {"k":"T0pQ9xWm3LrV7nZb2YcK5dFa","t":"tenant"}
        assert!(!verify(
            Checksum::GrafanaLegacy,
            b"eyJrIjoiVDBwUTl4V20zTHJWN25aYjJZY0s1ZEZhIiwidCI6InRlbmFudCJ9"
        ));
    }

    #[test]
    fn discord_structure() {
        // base64("107560760482872777") . timestamp . hmac
        assert!(verify(
            Checksum::Discord,
            b"MTA3NTYwNzYwNDgyODcyNzc3.GkVrQz.z8kZXrFpTriaydmA3MP_rFChRgSz_wllrP4k"
        ));
        // base64("not an id at all!!")
        assert!(!verify(
            Checksum::Discord,
            b"bm90IGFuIGlkIGF0IGFsbCEh.GkVrQz.z8kZXrFpTriaydmA3MP_rFChRgSz_wllrP4k"
        ));
    }

    #[test]
    fn pypi_macaroon_structure() {
        fn token(bin: &[u8]) -> Vec<u8> {
            const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = b"pypi-".to_vec();
            for chunk in bin.chunks(3) {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
                for i in 0..=chunk.len() {
                    out.push(B64[(n >> (18 - 6 * i) & 63) as usize]);
                }
            }
            out
        }
        let mut bin = vec![2, 1, 8];
        bin.extend_from_slice(b"pypi.org");
        bin.extend_from_slice(&[2, 4]);
        bin.extend_from_slice(b"k3y1");
        bin.push(0);
        bin.extend_from_slice(&[2, 5]);
        bin.extend_from_slice(b"{\"v\"}");
        bin.push(0);
        bin.push(0);
        bin.extend_from_slice(&[6, 32]);
        bin.extend_from_slice(&[0x5a; 32]);
        let good = token(&bin);
        assert!(good.starts_with(b"pypi-AgEIcHlwaS5vcmc"));
        assert!(verify(Checksum::PypiMacaroon, &good));
        // Truncated: the signature is cut short.
        assert!(!verify(
            Checksum::PypiMacaroon,
            &token(&bin[..bin.len() - 4])
        ));
        // A field claims more bytes than there are.
        let mut bad = bin.clone();
        bad[12] = 200;
        assert!(!verify(Checksum::PypiMacaroon, &token(&bad)));
    }

    #[test]
    fn joined_jwt_structure() {
        let joined = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\" +\n  \"eyJzdWIiOiJrZXlob3VuZC1maXh0dXJlIiwibmFtZSI6IlRlc3QgVXNlciIsImlhdCI6MTc2NzIyNTYwMH0.\" +\n  \"5IdvmQQmhx8rehiqZy3VJLkqgQwMxfxwXBdApgmZES8";
        assert!(verify(Checksum::JwtJoined, joined));
        // A payload cut short: `{"sub":"keyhoun`, not a JSON object.
        let cut = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\" +\n  \"eyJzdWIiOiJrZXlob3Vu.\" +\n  \"5IdvmQQmhx8rehiqZy3VJLkqgQwMxfxwXBdApgmZES8";
        assert!(!verify(Checksum::JwtJoined, cut));
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
        // {"alg":"none"}: unsecured, with junk or nothing after the last dot.
        assert!(!verify(
            Checksum::Jwt,
            b"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ0ZXN0In0.anVuaw"
        ));
        assert!(!verify(
            Checksum::Jwt,
            b"eyJ0eXAiOiJKV1QiLCAiYWxnIiA6ICJOT05FIn0.eyJzdWIiOiJ0ZXN0In0."
        ));
    }
}
