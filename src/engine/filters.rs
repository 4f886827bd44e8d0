//! Checks shared by all rules that drop values which only look like secrets: placeholders,
//! templates, references to where the real value lives, and vendors' documentation keys.

/// Substrings (compared ASCII-case-insensitively) that mark a value as a placeholder or a
/// template rather than a credential.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "example",
    "sample",
    "dummy",
    "placeholder",
    "changeme",
    // Microsoft's fictional companies in its documentation.
    "contoso",
    "fabrikam",
    "change_me",
    "change-me",
    // `RANDOMCHARS-----DWxg…`: PHPMailer's example refresh token, which says it stands for one.
    "randomchars",
    // `Mustbe8characters`, `mustbeeightchars`: the rule a password must follow, written where
    // it goes (the Terraform and AWS RDS documentation's master password).
    "mustbe",
    // `ThisShouldBeAVerySecureAndLongSecretString`: what it should be, said in its place.
    "shouldbe",
    "should_be",
    "should-be",
    // `replace_me`, `REPLACE-THIS`, `swarm2replace2password`: an instruction to replace it.
    "replace",
    "yourown",
    // `insert_random_key_at_least_32_bytes`, `insert-token`: an instruction to insert one.
    "insert_",
    "insert-",
    // `Bearer tr_dev_completely_invalid_key_xyz_not_real`: a value a test makes fail on purpose.
    "invalid",
    // `client_secret=revoked…` (praw's documented example): a key shown once it was revoked.
    "revoked",
    "not_real",
    "not-real",
    "notreal",
    // `…ThisIsNotARealKeyOMG.`, `supersecret-pw-12345-NOT-A-REAL-CREDENTIAL`
    "notareal",
    "not-a-real",
    "not_a_real",
    // pyotp's documented example secret (`base32secret3232`) and its variants.
    "base32secret",
    // `CHANGE-THIS! VERY IMPORTANT!`; `fillmein`, a template's default.
    "fillmein",
    "fill_me_in",
    "fill-me-in",
    // `TOBESETBYINSTALLER2`, `fixme_amp_password`: to be filled in by a person or a script.
    "tobeset",
    "to_be_set",
    "to-be-set",
    "fixme",
    // `random_string_here`: what to put there.
    "randomstring",
    "random_string",
    "random-string",
    // `not-used-for-oauth2`: a slot the configuration has to fill, saying it is ignored.
    "not-used",
    "not_used",
    "notused",
    // `ThisIsStillNotRight`: a password a test sends to be refused.
    "notright",
    "not-right",
    "not_right",
    "notcorrect",
    "not-correct",
    "not_correct",
    // `POST /w/?token=abc___snip___xyz`: a value cut short, and said so.
    "___snip___",
    // `DEC0DEDITtVwMoyAuTz1…`: hex-speak for "decoded it", the filler a test recorder
    // (cloud-custodian's Azure cassettes) writes in place of every storage key.
    "dec0dedit",
    "changethis",
    "change_this",
    "change-this",
    "your_",
    "your-",
    // `my-api-key-lowercase`: "my" and the field, as a test names the key it sends.
    "my-api-key",
    "my_api_key",
    "myapikey",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourpassword",
    // `0xYourPrivateKeyHere`: a wallet key's slot.
    "yourprivatekey",
    "yourpass",
    "redacted",
    // `redactme01`: a test's value for the redaction it checks; `_FLOWISE_BLANK_<uuid>`: the
    // sentinel an API returns in place of a stored credential.
    "redactme",
    // `KEPLOYREDACTabc123`: a recorder's mark for a value it masked.
    "redact",
    "_blank_",
    // `secret-key-missing!`: a default that says none was set.
    "key-missing",
    "key_missing",
    // Crowdin's in-context translation placeholders (`crwdns6798:0crwdne6798:0`), which fill
    // every string of its pseudo-language.
    "crwdns",
    // Laravel's `APP_KEY=SomeRandomStringOf32CharsExactly`: what to put there, described.
    "somerandom",
    "randomstring",
    "random_string",
    "random-string",
    // `sk-randomAPIkeyasdsa32ekasd32e`: "a random API key", said in its place. Not "apikey"
    // alone: Paddle's keys start `pdl_live_apikey_`, AWS Bedrock's `bedrock-api-key-`.
    "randomapikey",
    "random_api_key",
    "random-api-key",
    // `base64encodedaccountkey`: what to put there, written as one word.
    "base64encoded",
    "base64_encoded",
    "base64-encoded",
    // `SET_A_PASSWORD_HERE_123`, `api-key-here`: "put it here".
    "_here",
    "-here",
    "xxxx",
    "****",
    "...",
];

/// The starts of the signatures of jwt.io's sample tokens (its HS256 samples, signed with
/// `your-256-bit-secret`, `secret` and its newer default secret, and its RS256 samples signed
/// with the key pair it publishes, and RS512), over its sample claims with and without
/// `"admin":true`.
const JWT_IO_SIGNATURES: &[&str] = &[
    "jYW04zLDHfR1v7xdrW3lCGZrMIsVe0vWCfVkN2DRns2c3MN-mcp_-RE6TN9umSBYoNV-mnb3",
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "KMUFsIDTnFmyG3nMiGM6H9FNFUROf3wh7SmqJp-QV30",
    "TJVA95OrM7E2cBab30RMHrHDcEfxjoYZgeFONFh7HgQ",
    "NHVaYe26MbtOYhSKkoKYdFVomg4i8ZJd8_-RU8VNbftc4TSMb4bXP3l3YlNWACwyXPGffz5",
    "EkN-DOsnsuRjRO6BxXemmJDm3HbxrbRzXglbN2S4sOkopdU4IsDxTI8jO19W_A4K8ZPJijNL",
];

/// The HMAC secrets jwt.io fills in for its HS256, HS384 and HS512 samples, old and new.
const JWT_IO_HMAC_SECRETS: &[&str] = &[
    "your-256-bit-secret",
    "your-384-bit-secret",
    "your-512-bit-secret",
    "a-string-secret-at-least-256-bits-long",
];

/// An HS256, HS384 or HS512 JWT of jwt.io's sample claims whose signature verifies with one
/// of jwt.io's published sample secrets: the site's own sample token, in any claim order or
/// algorithm it has shown, which anyone can forge, so it opens nothing.
fn is_signed_with_published_secret(secret: &[u8]) -> bool {
    // RFC 2104's HMAC; the keys here are shorter than a block, so none is hashed first.
    fn hmac<D: sha2::Digest>(block: usize, key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut k = key.to_vec();
        k.resize(block, 0);
        let mut inner = D::new();
        inner.update(k.iter().map(|b| b ^ 0x36).collect::<Vec<u8>>());
        inner.update(message);
        let mut outer = D::new();
        outer.update(k.iter().map(|b| b ^ 0x5c).collect::<Vec<u8>>());
        outer.update(inner.finalize());
        outer.finalize().to_vec()
    }
    if !secret.starts_with(b"eyJ") || secret.len() > 4096 {
        return false;
    }
    let mut parts = secret.splitn(3, |&b| b == b'.');
    let (Some(header), Some(payload), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(json) = super::checksum::base64url_decode(header) else {
        return false;
    };
    // jwt.io's own sample claims only: tests that put their claims in and sign them with
    // the secret jwt.io filled in hold test tokens, as labellers call them.
    if !super::checksum::base64url_decode(payload).is_some_and(|claims| {
        memchr::memmem::find(&claims, b"\"John Doe\"").is_some()
            && memchr::memmem::find(&claims, b"\"1234567890\"").is_some()
    }) {
        return false;
    }
    let Some(signature) = super::checksum::base64url_decode(signature) else {
        return false;
    };
    let signed = &secret[..header.len() + 1 + payload.len()];
    let alg = |name: &[u8]| memchr::memmem::find(&json, name).is_some();
    JWT_IO_HMAC_SECRETS.iter().any(|key| {
        let key = key.as_bytes();
        let mac = if alg(b"\"HS256\"") {
            hmac::<sha2::Sha256>(64, key, signed)
        } else if alg(b"\"HS384\"") {
            hmac::<sha2::Sha384>(128, key, signed)
        } else if alg(b"\"HS512\"") {
            hmac::<sha2::Sha512>(128, key, signed)
        } else {
            return false;
        };
        mac == signature
    })
}

/// The first markers of [`PLACEHOLDER_MARKERS`] are words, long enough never to occur by
/// chance in random text; the rest are short symbols.
const WORD_MARKERS: usize = 7;

/// `testuser:fakepassword` inside a Basic header: a decoded credential that says it is a
/// stand-in (a word marker, or `fake`).
pub fn says_it_is_a_stand_in(decoded: &[u8]) -> bool {
    let lower = decoded.to_ascii_lowercase();
    PLACEHOLDER_MARKERS[..WORD_MARKERS]
        .iter()
        .chain(&["fake"])
        .any(|m| memchr::memmem::find(&lower, m.as_bytes()).is_some())
}

/// The private keys of the 20 accounts Hardhat's and Anvil's local chains fund from their
/// published mnemonic (`test test … junk`), printed by `npx hardhat node` and `anvil` at every
/// start: every tutorial and test suite of a contract repository uses them, and they hold
/// nothing on a real network.
const DEV_CHAIN_KEYS: &[&str] = &[
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    "f214f2b2cd398c806f84e317254e0f0b801d0643303237d97a22a48e01628897",
    "701b615bbdfb9de65240bc28bd21bbc0d996645a3dd57e7b12bc2bdf6f192c82",
    "a267530f49f8280200edf313ee7af6b827f2a8bce2897751d06a843f644967b1",
    "47c99abed3324a2707c28affff1267e45918ec8c3f20b8aa892e8b065d2942dd",
    "c526ee95bf44d8fc405a158bb884d9d1238d99f0612e9f33d006bb0789009aaa",
    "8166f546bab6da521a8369cab06c5d2b9e46670292d85c875ee9ec20e84ffb61",
    "ea6c44ac03bff858b476bba40716402b03e41b8e97e276d1baec7c37d42484a0",
    "689af8efa8c651a91ad287602527f3af2fe9f6501a7ac4b061667b5a93e037fd",
    "de9be858da4a475276426320d5e9262ecfc3ba460bfac56360bfa6c4c28b4ee0",
    "df57089febbacf7ba0bc227dafbffa9fc08a93fdc68e1e42411a14efcf23656e",
];

/// True when a value is base64 of a DER `SubjectPublicKeyInfo` (what `-----BEGIN PUBLIC
/// KEY-----` holds, and what `encKey = "MFwwDQYJ…"` assigns): an algorithm identifier followed
/// by a BIT STRING is a public key. A PKCS #8 private key starts with a version INTEGER instead,
/// and its key is an OCTET STRING.
fn is_spki_public_key(secret: &[u8]) -> bool {
    if secret.len() < 40 || !secret.starts_with(b"M") {
        return false;
    }
    let Some(der) = super::checksum::base64url_decode(&secret[..64.min(secret.len() / 4 * 4)])
    else {
        return false;
    };
    // The length after a tag: short form, or 0x81/0x82 and one or two bytes.
    let length = |at: usize| -> Option<(usize, usize)> {
        match *der.get(at)? {
            n @ 0..=0x7f => Some((usize::from(n), at + 1)),
            0x81 => Some((usize::from(*der.get(at + 1)?), at + 2)),
            0x82 => Some((
                usize::from(*der.get(at + 1)?) << 8 | usize::from(*der.get(at + 2)?),
                at + 3,
            )),
            _ => None,
        }
    };
    let spki = || -> Option<bool> {
        if *der.first()? != 0x30 {
            return None;
        }
        let (_, at) = length(1)?;
        if *der.get(at)? != 0x30 || *der.get(at + 1)? as usize > 0x7f {
            return None;
        }
        let (algorithm, body) = length(at + 1)?;
        Some(*der.get(body)? == 0x06 && *der.get(body + algorithm)? == 0x03)
    };
    spki().unwrap_or(false)
}

/// True when a value is one of [`DEV_CHAIN_KEYS`], with or without `0x`, in either case.
fn is_dev_chain_key(secret: &[u8]) -> bool {
    let hex = secret
        .strip_prefix(b"0x")
        .or_else(|| secret.strip_prefix(b"0X"))
        .unwrap_or(secret);
    hex.len() == 64
        && DEV_CHAIN_KEYS
            .iter()
            .any(|k| k.as_bytes().eq_ignore_ascii_case(hex))
}

/// Values published in vendors' documentation and in standards as examples. They are public
/// and inert.
const DOCUMENTATION_VALUES: &[&str] = &[
    // MDN's `SubtleCrypto.importKey()` example EC key (P-384), which runtimes' docs and tests
    // copy, and the EC and RSA private keys of RFC 7517's Appendix A.2.
    "wouCtU7Nw4E8_7n5C1-xBjB4xqSb_liZhYMsy8MGgxUny6Q8NCoH9xSiviwLFfK_",
    "870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE",
    "X4cTteJY_gn4FYPsXB8rdXix5vwsg1FLN5E3EaG6RJoVH-HLLKD9M7dx5oo7GURknchnrRweUkC7hT5fJLM0WbFAKNLWY2vv7B6NqXSzUvxT0_YSfqijwp3RTzlBaCxWp4doFk5N2o8Gy_nHNKroADIkJ46pRUohsXywbReAdYaMwFs9tv8d_cPVY3i07a3t8MN6TNwm0dSawm9v47UiCl3Sk5ZiG7xojPLu4sbg1U2jx4IBTNBznbJSzFHK66jT8bgkuqsk0GjskDJk19Z4qwjwbsnn4j2WBii3RL-Us2lGVkY8fkFzme1z0HbIkfz0Y6mqnOYtqc0X4jfcKoAC8Q",
    // Microsoft Edge's Read Aloud `TrustedClientToken`, which every Edge browser sends in the
    // speech service's URL.
    "6A5AA1D4EAFF4E9FB37E23D68491D6F4",
    // RFC 7914's scrypt test vector password.
    "pleaseletmein",
    // YouTube's web client (InnerTube) key, in every youtube.com page and the `youtubei/v1`
    // URLs scrapers and their recorded cassettes call.
    "AIzaSyAO_FJ2SlqU8Q4STEHLGCilw_Y9_11qcW8",
    // The signing key of Google's public `widevine_test` signer, as Shaka Packager's and Shaka
    // Streamer's documentation configure it against the UAT license server.
    "1ae8ccd0e7985cc0b6203a55855a1034afc252980e970ca90e5202689f947ab9",
    // Twitch's developer documentation: its example client secret and refresh token
    // ("Getting OAuth Access Tokens", "Refreshing Access Tokens").
    "nyo51xcdrerl8z9m56w9w6wg",
    "eyJfaWQmNzMtNGCJ9%6VFV5LNrZFUj8oU231/3Aj",
    // RFC 7635's example TURN OAuth MAC key and self-contained token (Appendix B), which
    // WebRTC stacks' tests use.
    "WmtzanB3ZW9peFhtdm42NzUzNG0=",
    "AAwg3kPHWPfvk9bDFL936wYvkoctMADzQ5VhNDgeMR3+ZlZ35byg972fW8QjpEl7bx91YLBPFsIhsxloWcXPhA==",
    // The DES crypt of `password` that Apache's stock `ssl.conf` tells FakeBasicAuth users to
    // put in their password file (`file needs this password: \`xxj31ZMTZzkVA'`).
    "xxj31ZMTZzkVA",
    // Datadog's API documentation (its API and application key in every example), which
    // module documentation and tests copy.
    "9775a026f1ca7d1c6c5af9d94d9595a4",
    "87ce4a24b5553d2e482ea8a8500e71b8ad4554ff",
    // AWS IAM user guide.
    "AKIAIOSFODNN7EXAMPLE",
    // OAuth 2.0's examples (RFC 6749: the access and refresh tokens, the code, the resource
    // owner's password; RFC 6750: the bearer tokens), OpenID Connect Core's `at_hash` and
    // `c_hash` examples (A.3 and 3.3.2.11) and RFC 9449's DPoP-bound access token, which OAuth
    // libraries' tests and docs copy.
    "2YotnFZFEjr1zCsicMWpAA",
    "tGzv3JOkF0XG5Qx2TlKWIA",
    "SplxlOBeZQQYbYS6WxSbIA",
    "A3ddj3w",
    "vF9dft4qmT",
    "mF_9.B5f-4.1JqM",
    "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
    "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk",
    "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU",
    // Nextcloud's developer manual, Login Flow v2: the poll token and the app password of its
    // example responses, which clients copy into their tests and mocks.
    "mQUYQdffOSAMJYtm8pVpkOsVqXt5hglnuSpO5EMbgJMNEPFGaiDe8OUjvrJ2WcYcBSLgqynu9jaPFvZHMl83ybMvp6aDIDARjTFIBpRWod6p32fL9LIpIStvc6k8Wrs1",
    "yKTVA4zgxjfivy52WqD8kW3M2pKGQr6srmUXMipRdunxjPFripJn0GMfmtNOqOolYSuJ6sCN",
    // HTTP Basic's example credentials (RFC 2617 and RFC 7617: `Aladdin:open sesame`), as a
    // header and as a URL's userinfo.
    "QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
    "open sesame",
    "open%20sesame",
    // Stytch's documentation: the project secret of its SDKs' README example, and the magic
    // link tokens of its sandbox values (success, 401 and 404), which only the Test
    // environment answers, with canned responses.
    "secret-live-80JASucyk7z_G8Z-7dVwZVGXL5NT_qGAQ2I=",
    "DOYoip3rvIMMW5lgItikFK-Ak1CfMsgjuiCyI7uuU94=",
    "3pzjQpgksDlGKWEwUq2Up--hCHC_0oamfLHyfspKDFU=",
    "CprTtwhnRNiMBiUS2jSLcWYrfuO2POeBNdo5HhW6qTM=",
    // The secret API key every local Supabase stack starts with (the Supabase CLI's
    // `defaultSecretKey`, beside the demo JWTs it also prints).
    "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz",
    // The OAuth client secrets the Google Cloud SDK ships for its installed-app clients
    // (`CLOUDSDK_CLIENT_NOTSOSECRET`, and `DEFAULT_CREDENTIALS_DEFAULT_CLIENT_SECRET` of the
    // application-default credentials client), public in every gcloud install and in the
    // token requests that recorded test cassettes keep.
    "ZmssLNjJy2998hD4CTg2ejr2",
    "d-FL95Q19q7MQmFpd7hHD0Ty",
    // The Basic-auth and proxy passwords of axios's README (`janedoe`, `mikeymike`), in every
    // `node_modules/axios` a repository or a bundled function archive commits.
    "s00pers3cret",
    "rapunz3l",
    // The one-time passwords of HOTP's test values (RFC 4226, Appendix D) and TOTP's SHA-1
    // column (RFC 6238, Appendix B), which two-factor tests send as the password.
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
    "94287082",
    "07081804",
    "14050471",
    "89005924",
    "69279037",
    "65353130",
    // The API key Google's own `analytics.js` sends to `ampcid.google.com` (its client-id
    // service), the same in every copy of the script a site vendors.
    "AIzaSyA65lEHUEizIsNtlbNo-l2K18dT680nsaM",
    // Binance's API documentation: the key pair of its signing examples, the sub-account and
    // low-latency ("special") keys and the margin listen token of its response examples, which
    // its connectors' generated tests and docstrings copy.
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
    "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
    "k5V49ldtn4tszj6W3hystegdfvmGbqDzjmkCtpTvC0G74WhK7yd4rfCTo4lShf",
    "npOzOAeLVgr2TuxWfNo43AaPWpBbJEoKezh1o8mSQb6ryE2odE11A4AoVlJbQoGx",
    "znpOzOAeLVgr2TuxWfNo43AaPWpBbJEoKezh1o8mSQb6ryE2odE11A4AoVlJbQoG",
    "87ssWB7azoy6ACRfyp6OVOL5U3rtZptX31QWw2kWjl1jHEYRbyM1pd6qykRBQw8p",
    "6xXxePXwZRjVSHKhzUCCGnmN3fkvMTXru+pYJS8RwijXk9Vcyr3rkwfVOTcP2OkONqciYA",
    // web3.js's documentation key (`privateKeyToAccount('0x4c0883a6…')`), in wallet examples.
    "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
    "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
    // The keys of Kubernetes' EncryptionConfiguration example ("secret is secure", "…, or is
    // it?", "…, I think"), in the API types' doc comment every vendored client-go carries.
    "c2VjcmV0IGlzIHNlY3VyZQ==",
    "c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==",
    "c2VjcmV0IGlzIHNlY3VyZSwgSSB0aGluaw==",
    // The API token of PagerDuty's REST API reference (`Authorization: Token
    // token=y_NbAkKc66ryYTWUXYEu`), which its OpenAPI spec, generated clients and tests copy.
    "y_NbAkKc66ryYTWUXYEu",
    // xkcd 936's passphrase, the stock example of a strong password in documentation and
    // generated API references (`"db_pass": "correct-horse-battery-staple"`).
    "correct-horse-battery-staple",
    "correct horse battery staple",
    "correcthorsebatterystaple",
    "CorrectHorseBatteryStaple",
    // The sample keys and salts of WordPress's `wp_salt()` docblock (wp-includes/pluggable.php),
    // in every copy of WordPress a site repository vendors.
    " Xakm<o xQy rw4EMsLKM-?!T+,PFF})H4lzcW57AF0U@N@< >M%G4Yt>f`z]MON",
    "LzJ}op]mr|6+![P}Ak:uNdJCJZd>(Hx.-Mh#Tz)pCIU#uGEnfFz|f ;;eU%/U^O~",
    "|i|Ux`9<p-h$aFf(qnT:sDO:D1P^wZ$$/Ra@miTJi9G;ddp_<q}6H1)o|a +&JCM",
    "%:R{[P|,s.KuMltH5}cI;/k<Gx~j!f0I)m_sIyu+&NJZ)-iO>z7X>QYR0Z_XnZ@|",
    "eZyT)-Naw]F8CwA*VaW#q*|.)g@o}||wf~@C-YSt}(dh_r6EbI#A,y|nU2{B#JBW",
    "!=oLUTXh,QW=H `}`L|9/^4-3 STz},T(w}W<I`.JjPi)<Bmf1v,HpGe}T1:Xt7n",
    "+XSqHc;@Q*K_b|Z?NC[3H!!EONbh.n<+=uKR:>*c(u`g~EJBf#8u#R{mUEZrozmm",
    "h`GXHhD>SLWVfg1(1(N{;.V!MoE(SfbA_ksP@&`+AycHcAV$+?@3q+rxV{%^VyKT",
    // The `SECRET_KEY` of Werkzeug's `contrib.securecookie` docstring (before 1.0), vendored
    // with Python web applications.
    r"\xfa\xdd\xb8z\xae\xe0}4\x8b\xea",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    // Stripe API reference test keys (today's, and the one its documentation showed for
    // years before, which SDK test suites still carry).
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    // The account key of Microsoft's storage emulator (Azurite, `devstoreaccount1`), the same
    // in every install.
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    // MinIO's public playground (play.min.io), whose keys its documentation and `mc`'s default
    // configuration publish.
    "Q3AM3UQ867SPQQA43P2F",
    "zuf+tfteSlswRu7BJ86wekitnifILbZam1KYY3TG",
    // The Azure Cosmos DB emulator's fixed key, published in its documentation.
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
    // The S3 key pair of Argo Workflows' artifact repository documentation, copied by
    // Litestream's, GoToSocial's and many other projects' storage guides.
    "AKIAJSIE27KKMHXI3BJQ",
    "5bEYu26084qjSFyclM/f2pz4gviSfoOg+mFwBH39",
    // The i18n-tasks gem's configuration template (`i18n-tasks init`), which Rails projects
    // commit with its translation-service examples commented out.
    "AbC-dEf5",
    "48E92789-57A3-466A-9959-1A1A1A1A1A1A",
    // Google Authenticator's Key URI Format example TOTP secret.
    "JBSWY3DPEHPK3PXP",
    // The example UUIDs of RFC 4122 and of Wikipedia's UUID article, in every API reference
    // that shows a request id.
    "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
    "550e8400-e29b-41d4-a716-446655440000",
    // The `temp_clone_token` of GitHub's REST API reference (Get a repository), in every
    // recorded GitHub API response that test fixtures copy from it.
    "ABTLWHOULUVAXGTRYU7OC2876QJ2O",
    // jwt.io's default token.
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    // Mollie's API documentation key, in every example of its reference and SDK READMEs, and
    // Square's API reference OAuth client secret and webhook signature key.
    "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM",
    "live_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM",
    "sq0csp-30a-4C_tVOnTh14Piza2BfTPBXyLafLPWSzY1qAjeBfM",
    "1k9bIJKCeTmSQwyagtNRLg",
    // The `Authorization` token of Twilio's Mobile Identity examples (Identity Match, Silent
    // Network Auth), the same in every language of its documentation snippets.
    "y5jBqXWLzEF4OgK61EbJ4jbEesmxE5No",
    // Slack's `oauth.v2.access` response example, which Slack apps copy into tests.
    "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
    // Slack's API documentation: the signing secret and verification token of "Verifying
    // requests from Slack" and the token of the Events API `url_verification` example.
    "8f742231b10e8888abcd99yyyzzz85a5",
    "xyzz0WbapA4vBCDEFasx0q6G",
    "Jhj5dZrVaK7ZwHHjRyZWjbDl",
    // The verification token of the slash-command payload in Slack's "Implementing slash
    // commands" guide, which Bolt's tests and docs copy.
    "gIkuvaNzQIHg97ATvDxqgjtO",
    // The examples of the OAuth RFCs, which OAuth libraries' docstrings and tests reuse: RFC 6749
    // (client `s6BhdRkqt3:gX1fBat3bV`, its Basic header, access and refresh tokens), RFC 6750's
    // bearer token, RFC 7009's revoked token, RFC 5849's OAuth 1.0 credentials.
    "gX1fBat3bV",
    "czZCaGRSa3F0MzpnWDFmQmF0M2JW",
    "2YotnFZFEjr1zCsicMWpAA",
    "tGzv3JOkF0XG5Qx2TlKWIA",
    "SplxlOBeZQQYbYS6WxSbIA",
    "mF_9.B5f-4.1JqM",
    "45ghiukldjahdnhzdauz",
    "hh5s93j4hdidpola",
    "hdhd0244k9j7ao03",
    "nnch734d00sl2jdk",
    "pfkkdhi9sl3r4s00",
    "kkk9d7dh3k39sjv7",
    "h480djs93hd8",
    // The token response of oauth.com ("OAuth 2.0 Simplified"), which OAuth servers' docstrings
    // and tests copy.
    "MTQ0NjJkZmQ5OTM2NDE1ZTZjNGZmZjI3",
    "IwOGYzYTlmM2YxOTQ5MGE3YmNmMDFkNTVk",
    // Twitter's (X's) "Creating a signature" walkthrough for OAuth 1.0a: its consumer secret and
    // token secret, the known-answer input of OAuth 1 libraries' signing tests.
    "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    // Google reCAPTCHA's test keys, which always pass (reCAPTCHA FAQ).
    "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI",
    "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe",
    // The Maps JavaScript API samples' key (developers.google.com/maps/documentation/javascript),
    // restricted to Google's sample site.
    "AIzaSyB41DRUbKWJHPxaFjMAwdrzWzbVKartNGg",
    // The MD5, SHA-1 and SHA-256 digests of empty input, compared against as sentinels.
    "d41d8cd98f00b204e9800998ecf8427e",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    // RFC 7662's introspection request, sent with this bearer token (section 2.1).
    "23410913-abewfq.123483",
    // OpenID Connect Core 1.0's token response (section 3.1.3.3).
    "SlAV32hkKG",
    "8xLOxBtZp8",
    // JOSE test vectors, the private parts (`d`) of published keys: RFC 7520's bilbo.baggins
    // keys (EC P-521 and RSA), RFC 7518 Appendix C's ECDH-ES keys, RFC 8037's Ed25519 key and
    // the X25519/P-256 keys of the ECDH-1PU draft (draft-madden-jose-ecdh-1pu).
    "AAhRON2r9cqXX1hg-RoI6R1tX5p2rUAYdmpHZoC1XNM56KtscrX6zbKipQrCW9CGZH3T4ubpnoTKLDYJ_fF3_rJt",
    "bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-bMwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDjd18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOcOpBrQzwQ",
    "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw",
    "0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo",
    "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
    "Hndv7ZZjs_ke8o9zXYo3iq-Yr8SewI5vrqd0pAvEPqg",
    "i9KuFhSzEBsiv3PKVL5115OCdsqQai5nj_Flzfkw5jU",
    "1gDirl_r_Y3-qUa3WXHgEXrrEHngWThU3c9zj9A2uBg",
    "Jcv8gklhMjC0b-lsk5onBbppWAx5ncNtbM63Jr9xBQE",
    "x8EVZH4Fwk673_mUujnliJoSrLz0zYzzCWp5GUX2fc8",
    // RFC 5849 (OAuth 1.0): the credentials of its photo-printing example (sections 1.2 and
    // 3.1) and of its signed request (section 3.5.1).
    "dpf43f3p2l4k3l03",
    "kd94hf93k423kf44",
    "hh5s93j4hdidpola",
    "hdhd0244k9j7ao03",
    "nnch734d00sl2jdk",
    "pfkkdhi9sl3r4s00",
    "0685bd9184jfhq22",
    "ad180jjd733klru7",
    // requests-oauthlib's and oauthlib's documented OAuth 1 and 2 flows (their docstrings and
    // guides, vendored by many SDKs).
    "sdf0o9823sjdfsdf",
    "2kjshdfp92i34asdasd",
    "kjerht2309u",
    "kjerht2309uf",
    "lsdajfh923874",
    "w34o8967345",
    "lsdkfol23w54jlksdef",
    "qwe089234lkjsdf",
    "askfjh234as9sd8",
    "23sdf876234",
];

/// Vendors' documentation examples that tests copy with their last part changed: Akamai's
/// EdgeGrid `.edgerc` example (its client token, access token and client secret spell their
/// names in digits), whose tests end in `-request` or another made-up suffix.
const DOCUMENTATION_PREFIXES: &[&str] = &[
    // AWS's example access key and secret key (`AKIAIOSFODNN7EXAMPLE`, `wJalrXUtnFEMI/K7MDENG/
    // bPxRfiCYEXAMPLEKEY`), their endings altered by policy scanners' tests (`…EXAMPL3`,
    // `…CHANGED`) so a rule that skips the exact example still fires.
    "AKIAIOSFODNN7",
    "wJalrXUtnFEMI/K7MDENG",
    // The OAUTHBEARER example token of RFC 7628, with the `ya29.` prefix Google's XOAUTH2
    // page writes before it.
    "ya29.vF9dft4qmT",
    "akab-c113ntt0k3n4qtari252bfxxbsl",
    "akab-acc35t0k3nodujqunph3w7hzp7",
    "C113nt53KR3TN6N90yVuAgICxIRwsObLi0E67/",
    // The App Certificate of Agora's token-builder tests, copied into every port and sample of
    // them, in both cases.
    "5CFd2fd1755d40ecb72977518be15d3b",
    "5cfd2fd1755d40ecb72977518be15d3b",
];

/// Prefixes of keys that vendors issue to be shipped in web pages and apps: PostHog project
/// keys, Stripe publishable keys, Mapbox public tokens (`pk.eyJ…` in tile URLs; its secret
/// tokens are `sk.`), Midtrans client keys (Snap.js's `data-client-key`; its server keys are
/// `Mid-server-`). A generic rule must not report them as secrets.
const PUBLIC_KEY_PREFIXES: &[&str] = &[
    "phc_",
    "pk_live_",
    "pk_test_",
    "pk.eyJ",
    "Mid-client-",
    "SB-Mid-client-",
];

/// Substrings (ASCII-case-insensitive) of values that name where a secret lives instead of
/// holding one: environment lookups, settings objects, secret-store references.
const REFERENCE_MARKERS: &[&str] = &[
    "process.env",
    "os.environ",
    "getenv",
    "environ[",
    "environ.get",
    "env(",
    "env[",
    "env.",
    "settings.",
    "config.",
    "self.",
    "this.",
    "secrets.",
    "vault:",
    "://",
];

/// A digest or ciphertext labelled as such, never the secret itself: Vault's audit log
/// replaces every sensitive value with `hmac-sha256:<hex>`, Jupyter stores passwords as
/// `sha1:<salt>:<hash>`, PostgreSQL as `md5<32 hex>` or `SCRAM-SHA-256$…`, and Jenkins keeps
/// credentials encrypted with its instance key as `{AQAAABAAAAAQ…}`.
pub fn is_tagged_digest(value: &[u8]) -> bool {
    // `rl-sha256:<hex>`: a vendor's tag before the algorithm (ReversingLabs reports a detected
    // secret by its digest).
    let vendor = value.iter().take_while(|b| b.is_ascii_lowercase()).count();
    let value = match value.get(vendor) {
        Some(b'-') if (1..=10).contains(&vendor) => &value[vendor + 1..],
        _ => value,
    };
    let tagged = [
        &b"hmac-sha256:"[..],
        b"hmac-sha1:",
        b"hmac-sha512:",
        b"sha1:",
        b"sha256:",
        b"sha384:",
        b"sha512:",
        b"md5:",
    ]
    .iter()
    .any(|p| value.len() >= p.len() + 16 && value[..p.len()].eq_ignore_ascii_case(p));
    // `secret = "hash:<64 hex>"`: the Supabase CLI's config diff, which shows a SHA-256 of each
    // secret instead of the secret.
    let hash_tagged = value.len() == 69
        && value.starts_with(b"hash:")
        && value[5..].iter().all(u8::is_ascii_hexdigit);
    let postgres_md5 = value.len() == 35
        && value.starts_with(b"md5")
        && value[3..].iter().all(u8::is_ascii_hexdigit);
    let jenkins = value.starts_with(b"{AQAAAB") && value.ends_with(b"}");
    // `default_pass = encrypted:F/bjQk…`: RabbitMQ's configuration value encryption, the
    // ciphertext of a passphrase kept outside the file.
    let rabbitmq = value.len() >= 26 && value.starts_with(b"encrypted:");
    // `password: __encrypt__<iv>:<ciphertext>`: netmiko's inventory encryption (its
    // `encrypt_value`), decrypted with a key from the environment.
    let netmiko = value.len() >= 36 && value.starts_with(b"__encrypt__");
    // `sha512-OrXJ…==`: a Subresource Integrity digest (W3C SRI, npm's `integrity`), the
    // algorithm, a dash and the base64 digest (43, 64 or 86 characters before padding).
    let sri = [&b"sha256-"[..], b"sha384-", b"sha512-"].iter().any(|p| {
        value.strip_prefix(*p).is_some_and(|digest| {
            let b64 = digest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
                .count();
            matches!(b64, 43 | 64 | 86)
        })
    });
    // `password=ENC(mYRk…==)`: Jasypt's encrypted property (Spring Boot, ActiveMQ), opened with
    // a master password kept outside the file.
    let jasypt = value.len() >= 16 && value.starts_with(b"ENC(");
    // `rpcauth=user:<salt>$<hmac>`: Bitcoin Core's salted HMAC-SHA256 of an RPC password (its
    // `share/rpcauth/rpcauth.py`), 32 hex characters of salt and 64 of digest.
    let rpcauth = value.len() == 97
        && value[32] == b'$'
        && value[..32].iter().all(u8::is_ascii_hexdigit)
        && value[33..].iter().all(u8::is_ascii_hexdigit);
    tagged
        || hash_tagged
        || postgres_md5
        || jenkins
        || rabbitmq
        || netmiko
        || jasypt
        || sri
        || rpcauth
        || value.starts_with(b"SCRAM-SHA-256$")
}

/// `OS_CREDENTIAL_DUMPING_ETC_PASSWORD_AND_ETC_SHADOW: T1003.008`: a MITRE ATT&CK technique
/// id (`T` and four digits, a sub-technique's three after a dot), as security findings'
/// enumerations name the technique.
fn is_attack_technique_id(value: &[u8]) -> bool {
    let Some(rest) = value.strip_prefix(b"T") else {
        return false;
    };
    let (technique, sub) = match memchr::memchr(b'.', rest) {
        Some(dot) => (&rest[..dot], Some(&rest[dot + 1..])),
        None => (rest, None),
    };
    technique.len() == 4
        && technique.iter().all(u8::is_ascii_digit)
        && sub.is_none_or(|s| s.len() == 3 && s.iter().all(u8::is_ascii_digit))
}

/// The value inside `\"…\"`, when it has one.
fn without_escaped_quotes(value: &[u8]) -> Option<&[u8]> {
    value
        .strip_prefix(b"\\\"")
        .and_then(|v| v.strip_suffix(b"\\\""))
        .filter(|inner| !inner.is_empty())
}

/// `token = 1*255TCHAR`, `password = 1*UTF8-SAFE`: an RFC's ABNF grammar (RFC 5234), a
/// repetition of a named rule, as the RFC texts that mail and HTTP libraries keep say.
fn is_abnf_repetition(value: &[u8]) -> bool {
    let Some(star) = memchr::memchr(b'*', value) else {
        return false;
    };
    let (counts, rule) = (&value[..star], &value[star + 1..]);
    let rule = &rule[rule.iter().take_while(|b| b.is_ascii_digit()).count()..];
    counts.iter().all(u8::is_ascii_digit)
        && rule.len() >= 3
        && rule[0].is_ascii_alphabetic()
        && rule
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'-')
}

/// `cattle-global-data:cc-26b5h`: a `namespace:name` reference to a Kubernetes object (here
/// the Secret holding a cloud credential), in lower case with dashes, not the secret.
fn is_namespaced_reference(value: &[u8]) -> bool {
    let mut parts = value.split(|&b| b == b':');
    let (Some(ns), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let dns_label = |p: &[u8]| {
        !p.is_empty()
            && p.len() <= 63
            && p[0].is_ascii_lowercase()
            && p.iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
    };
    dns_label(ns) && ns.contains(&b'-') && dns_label(name) && name.len() <= 40
}

/// `ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]`: a value SOPS encrypted, committed by design;
/// `U2FsdGVkX1…`: base64 of `Salted__`, the header of `openssl enc` output.
fn is_sops_value(value: &[u8]) -> bool {
    value.starts_with(b"ENC[AES256_GCM,data:") || value.starts_with(b"U2FsdGVkX1")
}

/// True when a generic rule's value looks like a literal secret: not a reference, a URL, a
/// path, or a plain identifier (`tokenizer.next_token`, `String`). Literal secrets nearly
/// always carry a digit or a symbol; identifiers and type names do not.
pub fn is_generic_literal(value: &[u8]) -> bool {
    // `SECRET_STRING:'\"$1$CXKw…\"'`: a value quoted once more with escaped quotes (a parse
    // tree's dump, a string in a string) is judged without them.
    if let Some(inner) = without_escaped_quotes(value) {
        return is_generic_literal(inner);
    }
    // `pub852fa3…`: a Datadog client token, made for browsers and mobile apps (RUM, browser
    // logs), public by design.
    let datadog_client_token = value.len() == 35
        && value.starts_with(b"pub")
        && value[3..].iter().all(|b| b.is_ascii_hexdigit());
    // `SCWBDFF054RNNE8204AJ`: a Scaleway access key's id, the public half of the pair (its
    // secret key is a UUID), as API responses and test recordings list it.
    let scaleway_access_key_id = value.len() == 20
        && value.starts_with(b"SCW")
        && value[3..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    // `pg/varchar@1`: a codec or type id, namespace, type and version.
    let codec_id = memchr::memchr(b'@', value).is_some_and(|at| {
        let (name, version) = (&value[..at], &value[at + 1..]);
        !version.is_empty()
            && version.iter().all(u8::is_ascii_digit)
            && memchr::memchr(b'/', name).is_some_and(|slash| {
                slash > 0
                    && name.iter().all(|b| {
                        b.is_ascii_lowercase()
                            || b.is_ascii_digit()
                            || matches!(b, b'/' | b'_' | b'-')
                    })
            })
    });
    // `@canvas/SET_COMPONENT_CREDENTIALS`: a Redux action type, a scope and a constant's name.
    let action_type = value.strip_prefix(b"@").is_some_and(|v| {
        memchr::memchr(b'/', v).is_some_and(|slash| {
            v[..slash]
                .iter()
                .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_'))
                && is_constant_name(&v[slash + 1..])
        })
    });
    // `$$2a$$05$$Pc…`: a crypt hash with each `$` doubled, as Compose files escape it; and
    // `#jbcrypt:$2a$10$…` (Jenkins), `{CRYPT}$6$…`: one behind a scheme tag. The crypt rule
    // reports hashes only in credential-store lines.
    let escaped_crypt = [
        &b"$$2a$$"[..],
        b"$$2b$$",
        b"$$2y$$",
        b"$$5$$",
        b"$$6$$",
        b"$$1$$",
    ]
    .iter()
    .any(|p| value.starts_with(p))
        || [
            &b"$2a$"[..],
            b"$2b$",
            b"$2y$",
            b"$5$",
            b"$6$",
            b"$1$",
            b"$y$",
        ]
        .iter()
        .any(|p| {
            memchr::memmem::find(value, p).is_some_and(|at| {
                value.len() - at >= 30
                    && value[at..]
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'$'))
            })
        });
    // `NewState#state.access_key`: an Erlang record's field read from a variable.
    let erlang_record_field = memchr::memchr(b'#', value).is_some_and(|hash| {
        let (var, field) = (&value[..hash], &value[hash + 1..]);
        let snake = |p: &[u8]| {
            p.first().is_some_and(u8::is_ascii_lowercase)
                && p.iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        };
        var.first().is_some_and(u8::is_ascii_uppercase)
            && var.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
            && memchr::memchr(b'.', field)
                .is_some_and(|dot| snake(&field[..dot]) && snake(&field[dot + 1..]))
    });
    // `APP_KEY=base64:randomkey`: Laravel's key format filled with a word; a key's base64
    // mixes cases and digits.
    let worded_base64_key = value
        .strip_prefix(b"base64:")
        .is_some_and(|rest| rest.iter().all(u8::is_ascii_lowercase));
    // `token: '$tutor-brand-500'`: a Sass variable (a design token's name), lower-case words
    // and numbers joined by at least two dashes.
    let sass_variable = value.strip_prefix(b"$").is_some_and(|name| {
        name.first().is_some_and(u8::is_ascii_lowercase)
            && name.iter().filter(|&&b| b == b'-').count() >= 2
            && name.split(|&b| b == b'-').all(|w| {
                !w.is_empty()
                    && w.iter()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    });
    // `"group_ids.#"`, `"tags.%"`: a Terraform attribute path counting a list's or map's
    // elements, as provider tests check it (`TestCheckResourceAttr(name, key, path)`).
    let terraform_count_path = value.ends_with(b".#") || value.ends_with(b".%");
    if is_tagged_digest(value)
        || is_abnf_repetition(value)
        || is_namespaced_reference(value)
        || terraform_count_path
        || erlang_record_field
        || sass_variable
        || worded_base64_key
        || action_type
        || codec_id
        || escaped_crypt
        || datadog_client_token
        || scaleway_access_key_id
        || is_sops_value(value)
        || is_ipv4_address(value)
    {
        return false;
    }
    // `tskey-client-abc?ephemeral=false`: a token with options in a query string, as some
    // CLIs take them; the token is the part before the `?`, judged alone.
    if let Some(q) = memchr::memchr(b'?', value)
        && q > 0
        && let query = &value[q + 1..]
        && let Some(eq) = memchr::memchr(b'=', query)
        && eq > 0
        && query[..eq]
            .iter()
            .all(|b| b.is_ascii_lowercase() || *b == b'_')
    {
        return is_generic_literal(&value[..q]);
    }
    // Cheap structural checks first: a candidate rejected here (a `password=x…` run in a
    // 100 MB line yields one per match) skips the identifier checks below.
    // Code, not a value: string concatenation (`"+name+"`), query strings and format strings
    // (`%s&limit=1`), a key=value pair (`Server=localhost`; base64 padding at the end is fine).
    // A random base64 key starts with `+` or `/` one time in 32 (a WireGuard key `+NLZ…=`).
    let base64_key = is_base64_key_shaped(value);
    if (matches!(
        value.first(),
        Some(b'+' | b'&' | b'.' | b'%' | b'=' | b'*' | b')' | b',' | b';' | b']' | b'}')
    ) && !base64_key)
        || value.last() == Some(&b'+')
    {
        return false;
    }
    // Padding: base64 ends in up to two `=`, base32 (TOTP seeds) in up to six.
    let padding = value.iter().rev().take_while(|&&b| b == b'=').count();
    let trimmed = if padding <= 6 {
        &value[..value.len() - padding]
    } else {
        value
    };
    // Only a name before the `=` makes a pair (`Server=localhost`, `abc123&oauth_method=…` in a
    // query string): generated secrets hold `=` among other symbols (`3CF=;@vy`), and a name
    // has one run of digits at most (`sha256sum`, `arg2`), where a random run of letters and
    // digits (`hg40239oirjgBHD9450=Beew123-`, an API key whose alphabet includes `=`) has more.
    let named_pair = |part: &[u8]| {
        part.iter().position(|&b| b == b'=').is_some_and(|eq| {
            let name = &part[..eq];
            let digit_runs = name
                .split(|b| !b.is_ascii_digit())
                .filter(|run| !run.is_empty())
                .count();
            name.first()
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
                && name
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
                && digit_runs < 2
        })
    };
    if trimmed.split(|&b| b == b'&').any(named_pair) {
        return false;
    }
    if value
        .windows(2)
        .any(|w| w[0] == b'%' && matches!(w[1], b's' | b'd' | b'v' | b'q' | b'x' | b'f'))
    {
        return false;
    }
    if (value.starts_with(b"/") && !base64_key)
        // `#/components/schemas/Token`: a JSON pointer (`$ref`), not a value.
        || value.starts_with(b"#/")
        || value.starts_with(b"./")
        || value.starts_with(b"../")
        || value.starts_with(b"~/")
        || is_relative_file_path(value)
        || is_key_file_path(value)
        || !value.iter().any(u8::is_ascii_alphanumeric)
        || is_natural_text(value)
        || PUBLIC_KEY_PREFIXES.iter().any(|p| value.starts_with(p.as_bytes()))
        || is_minisign_public_key(value)
        || is_regex_pattern(value)
        || is_member_access(value)
        // `!local.is_replica`, `!enabled`: a negated expression; `!ImportValue`: a CloudFormation
        // tag. An identifier without digits, where a token would have some.
        || is_negated_expression(value)
        // `_step4$value` (generated JavaScript), `@charset` (a CSS at-rule): code, not values.
        || is_dollar_identifier(value)
        || (value.starts_with(b"@") && value[1..].iter().all(u8::is_ascii_lowercase))
        // `@plain_api_key`, `@user.api_token`: a Ruby instance variable.
        || value.strip_prefix(b"@").is_some_and(|v| {
            v.first().is_some_and(|b| b.is_ascii_lowercase() || *b == b'_')
                && v.iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.'))
        })
        || is_rails_route_target(value)
        || is_shape_id(value)
        || is_call_chain(value)
        || is_member_call(value)
        || is_import_path(value)
        || is_template_method_call(value)
        // `--color-chart-series-2`: a CSS custom property (or a long option) named as a value;
        // `var(--global-dimension-size-250)`: one read (`tokenMinHeight`, a design token).
        || value
            .strip_prefix(b"var(")
            .and_then(|v| v.strip_suffix(b")"))
            .unwrap_or(value)
            .strip_prefix(b"--")
            .is_some_and(|v| {
                v.first().is_some_and(u8::is_ascii_lowercase)
                    && v.contains(&b'-')
                    && v.iter()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            })
        || is_credential_type_name(value)
        || is_numbered_slot_variable(value)
        // `'api_key': ?instance.apiKey,`: a Dart null-aware collection element.
        || value.strip_prefix(b"?").is_some_and(is_member_access)
        // `[SECRET_KEYS.AI21]: '#api_key_ai21'`: a CSS selector of the form field, by id or
        // class, in snake or kebab case.
        || value
            .strip_prefix(b"#")
            .or_else(|| value.strip_prefix(b"."))
            .is_some_and(|v| {
                v.first().is_some_and(u8::is_ascii_lowercase)
                    && v.iter().any(|b| matches!(b, b'_' | b'-'))
                    && v.iter().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-')
                    })
            })
        // `"@wandbcode{"`, `"\\begin{"`: the opening of a markup or template command, as a
        // parser matches it.
        || value.strip_suffix(b"{").is_some_and(|head| {
            let head = head
                .strip_prefix(b"@")
                .or_else(|| head.strip_prefix(b"\\"))
                .unwrap_or(head);
            !head.is_empty() && head.iter().all(|b| b.is_ascii_alphabetic() || *b == b'_')
        })
        || is_duration_expression(value)
        // `@credentials.find`: a method called on a Ruby instance variable.
        || value
            .strip_prefix(b"@")
            .is_some_and(|v| v.contains(&b'.') && is_member_access(v))
        || is_hex_literal(value)
        || is_public_chain_value(value)
        || is_sized_sql_type(value)
        || is_namespaced_class(value)
        || is_header_name(value)
        || is_scp_url(value)
        || is_oid(value)
        // `__WEBPACK_IMPORTED_MODULE_6__output_ast__`: a dunder name in generated code.
        || (value.len() > 4
            && value.starts_with(b"__")
            && value.ends_with(b"__")
            && value.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_'))
        // `` `+expected1+` ``: a template literal closed around a concatenation.
        || value.starts_with(b"`+")
        || value.ends_with(b"+`")
        // `'$S3_ACCESS_KEY'`: a quoted shell variable, taken with its quotes.
        || value.starts_with(b"'$")
        || value.starts_with(b"\"$")
        // `bp.oauth2_credentials:insert`: a Lua method call on a field.
        || (value.contains(&b'.')
            && value.iter().filter(|&&b| b == b':').count() == 1
            && value.split(|&b| b == b':').all(is_member_access_or_name))
        || is_kebab_case_words(value)
        || is_typed_array_or_key_type(value)
        || is_camel_case_identifier(value)
        || is_pascal_case_identifier(value)
        // `kCFBooleanTrue!`: a constant force-unwrapped in Swift, in a keychain query. Words in
        // capitalised parts and no digit: `Summer2024!` and `hunter2!` are passwords.
        || value.strip_suffix(b"!").is_some_and(|v| {
            v.len() >= 10
                && v.iter().all(u8::is_ascii_alphabetic)
                && v.iter().filter(|b| b.is_ascii_uppercase()).count() >= 3
                && !is_generic_literal(v)
        })
        // `Credential#`, `Req#coap_message` (before `{`): an Erlang variable whose map or
        // record is updated; `?REDACT_VAL`: an Erlang macro.
        || memchr::memchr(b'#', value).is_some_and(|at| {
            let (var, record) = (&value[..at], &value[at + 1..]);
            var.first().is_some_and(u8::is_ascii_uppercase)
                && var.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
                && record.iter().all(|b| b.is_ascii_lowercase() || *b == b'_')
        })
        || value.strip_prefix(b"?").is_some_and(|m| {
            m.len() >= 3
                && m.iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        })
        // `el.innerHTML=` (minified code assigning a member), `AWS::Signature4-` (a Perl
        // class method call cut at `->`).
        || value
            .strip_suffix(b"=")
            .is_some_and(|v| v.contains(&b'.') && is_member_access(v))
        || value.strip_suffix(b"-").is_some_and(|v| {
            let text = String::from_utf8_lossy(v);
            text.contains("::")
                && text.split("::").all(|p| {
                    p.starts_with(|c: char| c.is_ascii_uppercase())
                        && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
        })
        // `EC-5Y6569149D2936947` (PayPal's Express Checkout token, in approval URLs): the id of
        // one checkout, not a credential.
        || (value.len() == 20
            && value.starts_with(b"EC-")
            && value[3..].iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
        // `xpub6CUGRUon…`: a BIP 32 extended public key (`tpub` on testnet, `ypub`/`zpub` for
        // SegWit accounts), which wallets share to watch an account; the private ones are `xprv`.
        || (value.len() == 111
            && [&b"xpub"[..], b"tpub", b"ypub", b"zpub", b"upub", b"vpub", b"Ypub", b"Zpub"]
                .iter()
                .any(|p| value.starts_with(p))
            && value.iter().all(u8::is_ascii_alphanumeric))
        // `ssh-ed25519`, `ecdsa-sha2-nistp256`: an SSH key's type, the first word of a public
        // key line assigned whole.
        || matches!(
            value,
            b"ssh-ed25519"
                | b"ssh-rsa"
                | b"ssh-dss"
                | b"ecdsa-sha2-nistp256"
                | b"ecdsa-sha2-nistp384"
                | b"ecdsa-sha2-nistp521"
                | b"sk-ssh-ed25519@openssh.com"
        )
        // `60/minute`, `100/hour`: a rate limit; `0.5309473760000005`: a measurement.
        || is_rate(value)
        || is_decimal_fraction(value)
        // `CLOUDFLARE_ACCESS_KEY!`: a constant with TypeScript's non-null assertion;
        // `a.type==`: a member compared.
        || value.strip_suffix(b"!").is_some_and(is_constant_name)
        || value
            .strip_suffix(b"==")
            .is_some_and(|v| v.contains(&b'.') && is_member_access(v))
        // `01-unpwd-set.cpp`, `test_login.py`: a source file named.
        || is_source_file_name(value)
        // `{s3_creds["aws_access_key_id"]}`: an f-string or template interpolating a lookup.
        || (value.starts_with(b"{")
            && value.ends_with(b"}")
            && memchr::memchr(b'[', value).is_some())
        // `{@power_level}`, `{player.name}`: a message template's placeholder, named.
        || value
            .strip_prefix(b"{")
            .and_then(|v| v.strip_suffix(b"}"))
            .map(|v| v.strip_prefix(b"@").unwrap_or(v))
            .is_some_and(|v| {
                v.len() >= 2
                    && v.first().is_some_and(u8::is_ascii_alphabetic)
                    && v.iter()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
            })
        // `(userAccountControl:1.2.840.113556.1.4.803:=65536)`: an LDAP search filter.
        || (value.starts_with(b"(")
            && value.ends_with(b")")
            && memchr::memchr(b'=', value).is_some()
            && value[1..].first().is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'&' | b'|' | b'!')))
        // `EmitterSubscription|null`: a TypeScript union type in a field declaration.
        || [&b"|null"[..], b"|undefined", b"| null", b"| undefined"]
            .iter()
            .any(|t| value.ends_with(t) && value.len() > t.len())
        // `_mockEncryptedType7String`, `__v1PrivateKey`: a private field's name.
        || value
            .strip_prefix(b"__")
            .or_else(|| value.strip_prefix(b"_"))
            .is_some_and(|v| is_camel_case_identifier(v) || is_pascal_case_identifier(v))
        || is_enc_string(value)
        // `@medusajs/medusa/api-key`: a scoped npm package or module path.
        || (value.starts_with(b"@")
            && value.contains(&b'/')
            && value[1..]
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_./".contains(b)))
        // `CredentialV3` (a type), `keyRSA2048` (a variable), `A128CBC-HS256` (an algorithm).
        || is_pascal_words(value)
        || is_name_with_acronym(value)
        || is_jose_algorithm(value)
        || is_curve_name(value)
        || is_android_resource_reference(value)
        || is_debconf_question(value)
        || is_described_key_phrase(value)
        || is_uncompressed_ec_point(value)
        // `pypi-AgEIcHlwaS5vcmc` alone, `pypi-twine123abc`: PyPI's fixed token header without
        // the macaroon after it (real tokens run to 170 characters and more), as plugins'
        // tests fill a field.
        || (value.starts_with(b"pypi-") && value.len() < 60)
        || is_windows_path(value)
        // `dpapi_machinekey:0x{0}`: a `str.format` template, filled at run time.
        || (memchr::memmem::find(value, b"{0}").is_some() && memchr::memchr(b'}', value).is_some())
        // `#!/usr/bin/env bash`: a script's shebang, in a constant named for a token helper.
        || value.starts_with(b"#!/")
        // `!file:var app/production/private-key`: summon's YAML tags, which fetch the value
        // from a secrets provider; the tag is the first word of a reference.
        || value.strip_prefix(b"!").is_some_and(|tag| {
            !tag.is_empty()
                && tag.split(|&b| b == b':').all(|w| {
                    (2..=8).contains(&w.len()) && w.iter().all(u8::is_ascii_lowercase)
                })
        })
        || is_name_with_versioned_word(value)
        // `PhoneAuthCredential?`, `UITextField!`: an optional or implicitly unwrapped type in a
        // Kotlin or Swift declaration.
        // (A password ends in `!` too: `SuperSecretPassword123!` has digits, a type has none.)
        || value
            .strip_suffix(b"?")
            .or_else(|| {
                value
                    .strip_suffix(b"!")
                    .filter(|t| !t.iter().any(u8::is_ascii_digit))
            })
            .is_some_and(|t| {
            is_pascal_case_identifier(t) || is_camel_case_identifier(t) || is_pascal_case_type(t)
        })
        || is_snake_case_identifier(value)
        || is_decimal_number(value)
        || is_rule_list(value)
        || is_constant_name(value)
        || is_attribute_selector(value)
        // `$argon2id$v=19$...`, `$6$salt$...`: a password hash in PHC / crypt(3) form, which
        // the hash rules judge.
        || is_phc_hash(value)
        || value.strip_prefix(b"\\").is_some_and(|v| is_phc_hash(&unescape_dollars(v)))
        || is_tagged_pbkdf2(value)
        || is_octet_string(value)
        // `ABQIAAAA…`: a Google Maps JavaScript API v2 key, a browser key in every page.
        || (value.starts_with(b"ABQIAAAA") && value.len() >= 80)
        || is_scrypt_container(value)
        || is_printed_java_object(value)
        || is_option_assignment(value)
        || is_library_file_name(value)
        || is_image_reference(value)
        || is_object_path(value)
        || is_encrypted_marker(value)
        // `SWSC…`: a Shopware sales-channel access key, which the storefront sends from the
        // browser (the `SWIA` integration pair is the secret).
        || ((24..=36).contains(&value.len())
            && value.starts_with(b"SWSC")
            && value[4..]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
        // `#1a2b3c4d`: a colour (a theme's `--grist-theme-token-selection: #…`).
        || (value.first() == Some(&b'#')
            && matches!(value.len(), 4 | 5 | 7 | 9)
            && value[1..].iter().all(u8::is_ascii_hexdigit))
        || is_powershell_command(value)
        || is_type_or_symbol(value)
        || is_sigv4_algorithm(value)
        || is_key_file_name(value)
        // `arn:aws:kms:…:key/…`, `arn:aws:iam::…:role/…`: where a key or a role is, not its
        // material.
        || value.starts_with(b"arn:")
        // `123-abc.apps.googleusercontent.com`: a Google OAuth client id, public.
        || value.ends_with(b".apps.googleusercontent.com")
        // `key::ecdsa-sha2-nistp256 AAAA…` (git's `signingkey`), `ssh-ed25519`: a public key.
        || value.starts_with(b"key::")
        || value.starts_with(b"ssh-")
        || value.starts_with(b"ecdsa-sha2-")
        // `{$labels.warning_empty_pwd|escape:'javascript'}`: a Smarty template expression.
        || value.starts_with(b"{$")
        // `\n\n[user](#message)`: text that opens with escaped newlines, a model's stop
        // sequence; a key is one run of characters.
        || value.starts_with(b"\\n")
        // `texlab-build-*`: a glob that names many things.
        || (value.ends_with(b"-*") || value.ends_with(b"_*") || value.ends_with(b".*"))
        // `e.length?new`: a JavaScript conditional expression, cut at its first blank.
        || is_conditional_expression(value)
        || is_entry_point(value)
        || is_encrypted_marker(value)
        // `SAP CDC (Gigya) site API key`: `3_` and 64 base64url characters, which every page
        // using the site's login screens loads; the partner secret signs requests.
        || (value.len() == 66
            && value.starts_with(b"3_")
            && value[2..]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')))
        // `password=foo%29%29%00`: an injection payload (a URL-encoded NUL ends the string a
        // vulnerable parser reads), as a web scanner's tests expect it sent.
        || memchr::memmem::find(value, b"%00").is_some()
        // `@redis-server-url:6380/0?ssl=…`: the rest of a URL after its user info, where the
        // match took `password=` in `user:password=@host` for an assignment.
        || value.strip_prefix(b"@").is_some_and(|rest| {
            let host = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
                .count();
            host >= 3 && matches!(rest.get(host), Some(b':' | b'/'))
        })
        || is_django_hash(value)
        || is_encoded_password_prefix(value)
        || is_version(value)
        // `actions=`, `client_cert=`, `native-value=` (Vue's `:native-value="true"`): a name and
        // an assignment, cut from markup or from a `key= key2=` list with empty values; base64
        // padding follows digits and capitals.
        || (value.ends_with(b"=")
            && value
                .iter()
                .take_while(|&&b| b != b'=')
                .all(|b| b.is_ascii_lowercase() || matches!(b, b'_' | b'-')))
        // `AccountKey=`, `SharedAccessSignature=`: a connection string's field name, as a secret
        // masker searches for it.
        || (value.len() > 4
            && value.ends_with(b"=")
            && value[0].is_ascii_uppercase()
            && value[..value.len() - 1].iter().all(u8::is_ascii_alphabetic)
            && value.iter().skip(1).any(u8::is_ascii_lowercase))
        // `4903985956277797360179…`: a sequence number; keys are not all digits.
        || value.iter().all(u8::is_ascii_digit)
        // `Jobs[-1].JobId`, `items[0]`: an indexed expression.
        || is_indexed_expression(value)
        // `String8192`: a type alias (a capitalised word and a size).
        || is_sized_type_name(value)
        // `credentials.Servers||[]`, `e===v.PLAINTEXT`: an expression in (minified) code;
        // base64 pads with two `=` at most.
        || memchr::memmem::find(value, b"||").is_some()
        || (memchr::memmem::find(value, b"===").is_some() && !is_padded_base32(value))
        || memchr::memmem::find(value, b"!==").is_some()
        // `tableLines=`: a camelCase name and its assignment, cut from code.
        || value
            .strip_suffix(b"=")
            .is_some_and(|name| name.len() >= 6 && is_camel_case_identifier(name))
        || memchr::memmem::find(value, b"&&").is_some()
        // `@dtd-include@`: an Ant or Maven filter token, replaced at build time.
        || (value.len() > 2
            && value.starts_with(b"@")
            && value.ends_with(b"@")
            && value[1..value.len() - 1]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))
        // `gandiv5:` (a label in a log line) and `urn:k8s:secret:db:password` (a reference).
        || value.ends_with(b":")
        || value.starts_with(b"urn:")
        || is_dotted_name(value)
        || is_module_type_path(value)
        || is_numbered_word(value)
        // `#update-email-container`: a CSS id selector.
        || (value.starts_with(b"#")
            && value.len() > 1
            && value[1..].iter().all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_')))
        || is_ternary(value)
        || is_timestamp(value)
        || is_email_address(value)
        || super::checksum::is_jwt_header_only(value)
        // `CiQA…`: a Cloud KMS ciphertext (a protobuf whose first field is the 36-byte key
        // version id), encrypted to be committed, as Cloud Build's `secretEnv` documents it.
        || (value.len() >= 60
            && value.starts_with(b"CiQA")
            && value
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
        // `aws:ec2/getAmi:getAmi`, `azure-native:storage:StorageAccount`: a Pulumi type token
        // (package, module, member).
        || is_pulumi_type_token(value)
        // `tok_ru6xnh53uovethkr2gy3gwpl2a`: a card token (Stripe, Checkout.com), made in the
        // browser from card details and usable once by the merchant who owns the key.
        || (value.starts_with(b"tok_")
            && value[4..].iter().all(u8::is_ascii_alphanumeric)
            && value.len() > 8)
        // `ADYEN_MERCHANT_ACCOUNT=`: the next variable's name, after an empty value.
        // (It has a `_`: base32 with one `=` of padding is capitals and digits too.)
        || value.strip_suffix(b"=").is_some_and(|name| {
            name.len() >= 3
                && name.contains(&b'_')
                && name
                    .iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        })
        // `wx1a2b3c4d5e6f7a8b`: a WeChat AppID, the public half of a mini program's credentials.
        || (value.len() == 18
            && value.starts_with(b"wx")
            && value[2..].iter().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        || is_encoded_text(value)
        // `AKIA…/20210202/us-east-1/s3/aws4_request`: the credential scope of an AWS SigV4
        // `Authorization` header, an access key id and a date, never the secret key; other
        // providers' SigV4 scopes end `goog4_request`, `osc4_request`, `xxx4_request`.
        || memchr::memmem::find(value, b"4_request").is_some()
        // `ops_eyJzaWdu..`: cut short for display; base64, hex and JWTs never hold `..`.
        || memchr::memmem::find(value, b"..").is_some()
        // `Ctrl-Space|Alt-Space`: an editor's key binding (Ace's `bindKey`).
        || [&b"Ctrl-"[..], b"Ctrl+", b"Cmd-", b"Cmd+", b"Alt-", b"Shift-", b"Command-"]
            .iter()
            .any(|m| memchr::memmem::find(value, m).is_some())
        || is_migration_name(value)
        || is_tokenizer_substitution(value)
        || is_word_list(value)
        || is_field_expression(value)
        || is_path_expression(value)
        || is_url_signature(value)
        || is_variable_reference(value)
    {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    // `!!!invalid-base64!!!`, `invalid_token_123`: a value a test makes invalid on purpose.
    if REFERENCE_MARKERS
        .iter()
        .chain(&["invalid"])
        .any(|m| memchr::memmem::find(&lower, m.as_bytes()).is_some())
    {
        return false;
    }
    let symbol = value.iter().any(|b| !b.is_ascii_alphanumeric());
    // Short values (8 or 9 characters) pass only with a symbol: `AbCeFG123` is as likely an
    // identifier as a password, `mycoin!1` is not.
    if value.len() < 10 && !symbol {
        return false;
    }
    value
        .iter()
        .any(|b| b.is_ascii_digit() || b"!@#%^&*+=?~|".contains(b))
}

/// `127.0.0.1:3567`, `10.0.0.12`: an IPv4 address, maybe with a port, where a setting whose
/// name holds a product's name (`supertokens_saas_…`) says where to connect.
fn is_ipv4_address(value: &[u8]) -> bool {
    let (host, port) = match value.iter().position(|&b| b == b':') {
        Some(i) => (&value[..i], Some(&value[i + 1..])),
        None => (value, None),
    };
    std::str::from_utf8(host).is_ok_and(|h| h.parse::<std::net::Ipv4Addr>().is_ok())
        && port.is_none_or(|p| (1..=5).contains(&p.len()) && p.iter().all(u8::is_ascii_digit))
}

/// `0002_auto_20160226_1747`, `0001_initial`: a Django migration, as a migration's
/// `dependencies` name it next to its app (`('authtoken', '0002_auto_…')`).
fn is_migration_name(value: &[u8]) -> bool {
    value.len() > 5
        && value[..4].iter().all(u8::is_ascii_digit)
        && value[4] == b'_'
        && value[5..]
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

/// `keyword.$0`, `comment.keyword.$2`, `keyword.tag-$1`: a syntax highlighter's token class
/// with a capture group substituted in (Monaco's `{token: "keyword.$0"}`).
fn is_tokenizer_substitution(value: &[u8]) -> bool {
    let Some(dollar) = memchr::memchr(b'$', value) else {
        return false;
    };
    let (class, group) = (&value[..dollar], &value[dollar + 1..]);
    let group = group.strip_prefix(b"S").unwrap_or(group);
    let digits = group.iter().take_while(|b| b.is_ascii_digit()).count();
    matches!(class.last(), Some(b'.' | b'-'))
        && class
            .iter()
            .all(|b| b.is_ascii_lowercase() || matches!(b, b'.' | b'-'))
        && digits > 0
        && group[digits..].iter().all(u8::is_ascii_lowercase)
}

/// `br,input,link,meta,!doctype`: a comma-separated list of words (tag names, scopes), split
/// at run time; a generated secret is not four short lower-case words. Markup sigils around a
/// word (`!doctype`, `?xml`, `?=`) are not part of it, and an item of sigils alone is no word
/// either way.
fn is_word_list(value: &[u8]) -> bool {
    let (mut items, mut words) = (0, 0);
    for item in value.split(|&b| b == b',') {
        let core = item
            .strip_prefix(b"!")
            .or_else(|| item.strip_prefix(b"?"))
            .unwrap_or(item);
        let core = core.strip_suffix(b"=").unwrap_or(core);
        if core.is_empty() && !item.is_empty() {
            continue;
        }
        items += 1;
        words += usize::from(core.len() >= 2 && core.iter().all(u8::is_ascii_lowercase));
    }
    items >= 4 && words * 4 >= items * 3
}

/// `?checkpoint.last_account_key`, `%peer.addr`, `private_key_handle.0`: a Rust `tracing`
/// field's Debug (`?`) or Display (`%`) expression, or a tuple field, taken where a value was
/// expected (`tracing::info!(last_account_key = ?checkpoint.last_account_key)`).
fn is_field_expression(value: &[u8]) -> bool {
    let (sigil, rest) = match value.first() {
        Some(b'?' | b'%') => (true, &value[1..]),
        _ => (false, value),
    };
    // Rust names fields and bindings in snake case; a mixed-case word before `.5` is more
    // likely a token cut at a dot (`NuXv1fE5MI.5`).
    let ident = |p: &[u8]| {
        p.first()
            .is_some_and(|b| b.is_ascii_lowercase() || *b == b'_')
            && p.iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
    };
    let parts: Vec<&[u8]> = rest.split(|&b| b == b'.').collect();
    let Some((last, path)) = parts.split_last() else {
        return false;
    };
    !path.is_empty()
        && path.iter().all(|p| ident(p))
        && if sigil {
            ident(last)
        } else {
            (1..=2).contains(&last.len()) && last.iter().all(u8::is_ascii_digit)
        }
}

/// `S3CredentialsConfig::Explicit`, `Auth::Token`, `ROTP::Base32.random`: a path to a type, a
/// variant or a method (Rust, C++, Ruby, PHP), taken where a value was expected.
fn is_path_expression(value: &[u8]) -> bool {
    let mut parts = 0;
    memchr::memmem::find(value, b"::").is_some()
        && value
            .split(|&b| b == b':')
            .filter(|p| !p.is_empty())
            .all(|p| {
                parts += 1;
                p[0].is_ascii_alphabetic()
                    && p.iter()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
            })
        && parts >= 2
}

/// `web_requests#handle_request`, `admin/users#show`: a Rails route's controller and action.
fn is_rails_route_target(value: &[u8]) -> bool {
    let Some(hash) = memchr::memchr(b'#', value) else {
        return false;
    };
    let (controller, action) = (&value[..hash], &value[hash + 1..]);
    let word = |s: &[u8], extra: &[u8]| {
        s.first().is_some_and(u8::is_ascii_lowercase)
            && s.iter()
                .all(|b| b.is_ascii_lowercase() || *b == b'_' || extra.contains(b))
    };
    // A REST action or a `snake_case` one, on a plural or namespaced controller: JWT secrets
    // such as `development#product` are two words too.
    const ACTIONS: &[&[u8]] = &[
        b"index", b"show", b"new", b"create", b"edit", b"update", b"destroy",
    ];
    // A namespaced plural controller (`users/confirmations#confirm`) takes any action.
    let namespaced_plural = controller.contains(&b'/') && controller.ends_with(b"s");
    word(controller, b"/")
        && word(action, b"")
        && (action.contains(&b'_') || ACTIONS.contains(&action) || namespaced_plural)
        && (controller.ends_with(b"s") || controller.contains(&b'/') || controller.contains(&b'_'))
}

/// `Base64(Header).Base64(Data)`, `hmac(key).hexdigest()`: calls on names, as a format is
/// described or an expression written; the parentheses hold a name or nothing.
fn is_call_chain(value: &[u8]) -> bool {
    let ident = |s: &[u8]| {
        s.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    value.ends_with(b")")
        && value.split(|&b| b == b'.').all(|part| {
            let Some((callee, arg)) = part
                .strip_suffix(b")")
                .and_then(|call| memchr::memchr(b'(', call).map(|open| call.split_at(open)))
            else {
                return false;
            };
            let arg = &arg[1..];
            ident(callee) && (arg.is_empty() || ident(arg))
        })
}

/// `@provider.prefix.charAt(0)` (a Razor or Twirl expression), `token.slice(7)`: a method
/// called on a member, with a name, a number or nothing as its argument.
fn is_member_call(value: &[u8]) -> bool {
    let value = value.strip_prefix(b"@").unwrap_or(value);
    let Some((callee, arg)) = value.strip_suffix(b")").and_then(|call| {
        memchr::memrchr(b'(', call).map(|open| (&call[..open], &call[open + 1..]))
    }) else {
        return false;
    };
    is_member_access(callee)
        && arg
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b' ' | b','))
}

/// `aws:ec2/getAmi:getAmi`: a Pulumi type token, `package:module:Member`, the module maybe with
/// a `/file` part.
fn is_pulumi_type_token(value: &[u8]) -> bool {
    let parts: Vec<&[u8]> = value.split(|&b| b == b':').collect();
    let [package, module, member] = parts.as_slice() else {
        return false;
    };
    let word = |s: &[u8], extra: &[u8]| {
        s.first().is_some_and(u8::is_ascii_alphabetic)
            && s.iter()
                .all(|b| b.is_ascii_alphanumeric() || extra.contains(b))
    };
    package.first().is_some_and(u8::is_ascii_lowercase)
        && word(package, b"-")
        && word(module, b"/_-")
        && member.first().is_some_and(u8::is_ascii_alphabetic)
        && word(member, b"")
        && (member[0].is_ascii_uppercase() || module.contains(&b'/'))
}

/// `smithy.api#httpApiKeyAuth`, `com.example.Auth#apiKey`: a member of a dotted namespace, as in
/// Smithy shape ids and Javadoc links. The namespace's dots are what tell it from a
/// `word#word` secret.
fn is_shape_id(value: &[u8]) -> bool {
    let Some(hash) = memchr::memchr(b'#', value) else {
        return false;
    };
    let (namespace, member) = (&value[..hash], &value[hash + 1..]);
    let segment = |s: &[u8]| {
        s.first().is_some_and(u8::is_ascii_alphabetic)
            && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    namespace.contains(&b'.')
        && namespace.split(|&b| b == b'.').all(segment)
        && segment(member)
        && (is_camel_case_identifier(member)
            || is_pascal_case_identifier(member)
            || member.iter().all(|b| b.is_ascii_lowercase() || *b == b'_'))
}

/// `48.hours`, `30.days.ago`: an ActiveSupport duration.
fn is_duration_expression(value: &[u8]) -> bool {
    const UNITS: &[&[u8]] = &[
        b"second",
        b"seconds",
        b"minute",
        b"minutes",
        b"hour",
        b"hours",
        b"day",
        b"days",
        b"week",
        b"weeks",
        b"month",
        b"months",
        b"year",
        b"years",
        b"ago",
        b"from_now",
    ];
    let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0
        && value.get(digits) == Some(&b'.')
        && value[digits + 1..]
            .split(|&b| b == b'.')
            .all(|unit| UNITS.contains(&unit))
}

/// `<access key>:<signature>`: a download URL's signature (Qiniu's `?e=<deadline>&token=`), an
/// access key id and the URL-safe base64 HMAC-SHA1 of that one URL. It opens that file until
/// the deadline and is published wherever the link is; the secret key never appears.
fn is_url_signature(value: &[u8]) -> bool {
    let Some(colon) = memchr::memchr(b':', value) else {
        return false;
    };
    let (id, sig) = (&value[..colon], &value[colon + 1..]);
    let base64url = |s: &[u8]| {
        s.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    };
    id.len() == 40
        && base64url(id)
        && sig.len() == 28
        && sig.ends_with(b"=")
        && base64url(&sig[..27])
}

/// `$CLAUDE_PLUGIN_OPTION_MEM0_API_KEY`, `$apiKey`: a shell, PHP or Perl variable, whole.
fn is_variable_reference(value: &[u8]) -> bool {
    value.len() > 1
        && value[0] == b'$'
        && (value[1].is_ascii_alphabetic() || value[1] == b'_')
        && value[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// `git@github.com:org/repo.git`: a repository address in scp syntax (user, host, path),
/// which holds no password.
fn is_scp_url(value: &[u8]) -> bool {
    let Some(at) = memchr::memchr(b'@', value) else {
        return false;
    };
    let user = &value[..at];
    let rest = &value[at + 1..];
    let Some(colon) = memchr::memchr(b':', rest) else {
        return false;
    };
    let host = &rest[..colon];
    !user.is_empty()
        && user
            .iter()
            .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_'))
        && host.contains(&b'.')
        && host
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        && !rest[colon + 1..].contains(&b'@')
}

/// `X-Minio-Internal-Server-Side-Encryption-Sealed-Key`, `Content-Security-Policy`: an HTTP
/// header name, capitalised words joined by `-`. Random parts are not title case.
fn is_header_name(value: &[u8]) -> bool {
    let mut parts = 0;
    value.split(|&b| b == b'-').all(|part| {
        parts += 1;
        part.first().is_some_and(u8::is_ascii_uppercase)
            && part[1..]
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    }) && parts >= 3
}

/// `密钥Base64编码`, `¡Felicidades!`: words of a language, as translation files hold. Keys
/// and tokens are ASCII; a value with a letter outside ASCII, or with any other character
/// outside ASCII next to a word, is text. (Symbols alone, `A,.:-¨@*¿?!`, occur in passwords.)
fn is_natural_text(value: &[u8]) -> bool {
    if value.is_ascii() {
        return false;
    }
    let text = String::from_utf8_lossy(value);
    let mut run = 0;
    let mut word = false;
    for c in text.chars() {
        if !c.is_ascii() && c.is_alphabetic() {
            return true;
        }
        run = if c.is_ascii_alphabetic() { run + 1 } else { 0 };
        word |= run >= 4;
    }
    word
}

/// `([a-f0-9]{32})`, `[A-Z0-9]+`, `(?i)...`: a pattern that describes secrets, as scanners,
/// validators and their tests hold, not a secret.
fn is_regex_pattern(value: &[u8]) -> bool {
    value
        .windows(2)
        .any(|w| matches!(w, [b']', b'{' | b'+' | b'*' | b'?'] | [b'(', b'?']))
        // `\d{4}-\d{2}`: a character class escape with its count.
        || value.windows(3).any(|w| {
            matches!(
                w,
                [b'\\', b'd' | b'w' | b's' | b'D' | b'W' | b'S', b'{' | b'+' | b'*' | b'?']
            )
        })
        || is_anchored_pattern(value)
}

/// `^.{8,32}$`, `^\d+$`: a pattern for a whole value (a password policy), anchored at both
/// ends and holding a quantifier or an escape.
fn is_anchored_pattern(value: &[u8]) -> bool {
    value.len() > 3
        && value.starts_with(b"^")
        && value.ends_with(b"$")
        && value.windows(2).any(|w| {
            matches!(
                w,
                [b'.' | b']' | b')', b'{' | b'+' | b'*' | b'?'] | [b'\\', _]
            )
        })
}

/// `user2.api_key`, `cfg.authToken`: an attribute read in code. Every dot-separated part is a
/// short identifier and the last names a field (no digit, or words joined by `_`); dotted
/// tokens (`hvs.CAES…`, JWTs) have long random parts.
fn is_member_access(value: &[u8]) -> bool {
    // `MySociety::Util.generate_token`: Ruby's (and C++'s) `::` reads like a dot. Every colon
    // must be half of one (`a:b` is an entry point, judged elsewhere).
    if let Some(at) = memchr::memmem::find(value, b"::") {
        let mut plain = Vec::with_capacity(value.len());
        let mut rest = value;
        while let Some(i) = memchr::memmem::find(rest, b"::") {
            plain.extend_from_slice(&rest[..i]);
            plain.push(b'.');
            rest = &rest[i + 2..];
        }
        plain.extend_from_slice(rest);
        return at > 0 && !plain.contains(&b':') && is_member_access(&plain);
    }
    // `apiKey?.value`: optional chaining reads the same way (a `?` ends a part), and
    // `user?.keys?.` is one cut before its index (`?.[org]`); so is one name alone
    // (`connectionMetadata?.['webhookSecret']`).
    let optional_index = value.ends_with(b"?.");
    let value = value.strip_suffix(b".").unwrap_or(value);
    // `user.PrivateKey!`, `data!.Key`: C#'s and TypeScript's non-null assertions.
    fn bare(p: &[u8]) -> &[u8] {
        let end = p
            .iter()
            .rposition(|&b| b != b'?' && b != b'!')
            .map_or(0, |i| i + 1);
        &p[..end]
    }
    // `$scope.prompt`: `$` starts names in JavaScript and PHP.
    let identifier = |p: &[u8]| {
        let p = bare(p);
        !p.is_empty()
            && (p.len() <= 24
                || is_constant_name(p)
                || (p.len() <= 64 && is_snake_words(p))
                || (p.len() <= 64 && (is_camel_case_identifier(p) || is_pascal_words(p)))
                // `waUserPassword.UserPassword_PBKDF2_HMAC_SHA384`: a generated enum member.
                || (p.len() <= 64 && p.contains(&b'_')))
            && (p[0].is_ascii_alphabetic() || matches!(p[0], b'_' | b'$'))
            && p.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$'))
    };
    let mut parts = value.split(|&b| b == b'.');
    let Some(last) = parts.next_back().map(bare) else {
        return false;
    };
    let mut count = 1;
    for p in parts {
        if !identifier(p) {
            return false;
        }
        count += 1;
    }
    (count >= 2 || optional_index)
        && identifier(last)
        && (!last.iter().any(u8::is_ascii_digit)
            || last.contains(&b'_')
            || is_camel_case_identifier(last)
            || is_pascal_words(last)
            || is_name_with_acronym(last)
            || is_word_with_number(last)
            // `state.ignored.W020`: a lint or error code.
            || (last.len() <= 6
                && last.iter().take_while(|b| b.is_ascii_uppercase()).count() == 1
                && last[1..].iter().all(u8::is_ascii_digit)))
}

/// Standard base64 of 18 or more bytes, whole (a multiple of 4 characters with its padding),
/// mixing capitals, small letters and digits, and with few `/`: a path has one every few
/// characters, random base64 one in 64.
fn is_base64_key_shaped(value: &[u8]) -> bool {
    let body = value
        .strip_suffix(b"==")
        .or_else(|| value.strip_suffix(b"="))
        .unwrap_or(value);
    value.len() >= 24
        && value.len().is_multiple_of(4)
        && body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
        && body.iter().any(u8::is_ascii_uppercase)
        && body.iter().any(u8::is_ascii_lowercase)
        && body.iter().any(u8::is_ascii_digit)
        && body.iter().filter(|&&b| b == b'/').count() * 12 <= body.len()
}

/// `experimental_s3_credentials`: lower-case words joined by `_`, a word maybe with digits.
fn is_snake_words(value: &[u8]) -> bool {
    value.contains(&b'_')
        && value.split(|&b| b == b'_').all(|w| {
            w.first().is_some_and(u8::is_ascii_lowercase)
                && w.iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// `$l10n.get("`: a Velocity (or PHP) variable's method called in a template, cut at the
/// quote of its argument.
fn is_template_method_call(value: &[u8]) -> bool {
    let Some(rest) = value.strip_prefix(b"$") else {
        return false;
    };
    let ident = |s: &[u8]| {
        s.iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count()
    };
    let object = ident(rest);
    let Some(after) = rest.get(object..).and_then(|r| r.strip_prefix(b".")) else {
        return false;
    };
    let method = ident(after);
    object > 0 && rest[0].is_ascii_alphabetic() && method > 0 && after.get(method) == Some(&b'(')
}

/// `github.com/jcmturner/gokrb5/v8/ctxCredentials`: a Go import path (a host name, then two
/// or more path segments), used as a context key's name.
fn is_import_path(value: &[u8]) -> bool {
    let mut parts = value.split(|&b| b == b'/');
    let host = parts.next().unwrap_or_default();
    let labels: Vec<&[u8]> = host.split(|&b| b == b'.').collect();
    let tld = labels.last().copied().unwrap_or_default();
    let segments: Vec<&[u8]> = parts.collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        })
        && tld.len() >= 2
        && tld.iter().all(u8::is_ascii_lowercase)
        && segments.len() >= 2
        && segments.iter().all(|seg| {
            !seg.is_empty()
                && seg
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~'))
        })
}

/// `keyRSA2048`, `x509PrivateKeyRSA2048`, `EncryptionEncA128GCM`: a name ending in an acronym
/// (capitals, maybe with digits), which camelCase splitting would cut into single letters.
fn is_name_with_acronym(value: &[u8]) -> bool {
    let tail = value
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        .count();
    let (head, acronym) = value.split_at(value.len() - tail);
    (2..=8).contains(&tail)
        && acronym.iter().filter(|b| b.is_ascii_uppercase()).count() >= 2
        && head.len() >= 2
        && head.last().is_some_and(u8::is_ascii_lowercase)
        && is_plain_camel_words(head)
}

/// `key`, `x509PrivateKey`, `EncryptionEnc`: a first word (letters, maybe a short number) and
/// capitalised words of two or more lower-case letters, each maybe ending in digits. Stricter
/// than [`is_camel_case_identifier`], which also takes `keyV1orV2`-style words: random text
/// (`kzijN23avp`) passes that.
fn is_plain_camel_words(value: &[u8]) -> bool {
    let mut words = Vec::new();
    let mut start = 0;
    for i in 1..value.len() {
        if value[i].is_ascii_uppercase() {
            words.push(&value[start..i]);
            start = i;
        }
    }
    words.push(&value[start..]);
    words.iter().enumerate().all(|(i, w)| {
        let body = if w[0].is_ascii_uppercase() {
            &w[1..]
        } else {
            &w[..]
        };
        let letters = body.iter().take_while(|b| b.is_ascii_lowercase()).count();
        w[0].is_ascii_alphabetic()
            && (letters >= 2 || (i == 0 && is_word_with_number(&w.to_ascii_lowercase())))
            && body[letters..].iter().all(u8::is_ascii_digit)
    })
}

/// `Fido2Credentials`, `CredentialsEndpointDraft00`: capitalised words, each maybe ending in
/// digits (a member or type name), judged as the camelCase name it would be in lower case.
fn is_pascal_words(value: &[u8]) -> bool {
    value.first().is_some_and(u8::is_ascii_uppercase)
        && is_camel_case_identifier(&[&[value[0].to_ascii_lowercase()], &value[1..]].concat())
}

/// `credentials_model = E2BCredentials`, `token: OAuth2Token`: a class or type named after
/// what it holds, with an acronym or a number that [`is_pascal_words`] does not take: a
/// credential word after a short acronym (`E2B`, `AWS`, `OAuth2`) or after capitalised words.
fn is_credential_type_name(value: &[u8]) -> bool {
    const WORDS: &[&str] = &[
        "Credentials",
        "Credential",
        "Token",
        "Tokens",
        "Secret",
        "Secrets",
        "Password",
        "Key",
        "Keys",
        "Config",
        "Provider",
        "Auth",
    ];
    value.first().is_some_and(u8::is_ascii_uppercase)
        && value.iter().all(u8::is_ascii_alphanumeric)
        && WORDS.iter().any(|w| {
            let Some(head) = value.strip_suffix(w.as_bytes()) else {
                return false;
            };
            let digits = head.iter().filter(|b| b.is_ascii_digit()).count();
            !head.is_empty()
                && digits <= 2
                && ((head.len() <= 6
                    && head.iter().filter(|b| b.is_ascii_uppercase()).count() >= 2)
                    || (head.len() <= 32 && digits == 0 && is_pascal_words(head)))
        })
}

/// `Jobs[-1].JobId`, `items[0]`: an index in brackets.
fn is_indexed_expression(value: &[u8]) -> bool {
    value.windows(2).enumerate().any(|(i, w)| {
        w[0] == b'[' && {
            let rest = &value[i + 1..];
            let digits = rest
                .iter()
                .skip(usize::from(rest.first() == Some(&b'-')))
                .take_while(|b| b.is_ascii_digit())
                .count();
            let sign = usize::from(rest.first() == Some(&b'-'));
            digits > 0 && rest.get(sign + digits) == Some(&b']')
        }
    })
}

/// `String8192`, `Integer64`: a capitalised word of four or more letters and a number.
fn is_sized_type_name(value: &[u8]) -> bool {
    let lower = value.get(1..).map_or(0, |r| {
        r.iter().take_while(|b| b.is_ascii_lowercase()).count()
    });
    value.first().is_some_and(u8::is_ascii_uppercase)
        && lower >= 3
        && value.len() > lower + 1
        && value[lower + 1..].iter().all(u8::is_ascii_digit)
}

/// `oauth2`, `sha256`, `v1`: a lower-case word ending in a short number.
fn is_word_with_number(value: &[u8]) -> bool {
    let letters = value.iter().take_while(|b| b.is_ascii_lowercase()).count();
    letters >= 1
        && (1..=3).contains(&(value.len() - letters))
        && value[letters..].iter().all(u8::is_ascii_digit)
}

/// `v4a`, `k8s`, `b2c`: a letter, a digit and one or two letters, a short name.
fn is_versioned_short_name(value: &[u8]) -> bool {
    matches!(value, [a, d, rest @ ..]
        if a.is_ascii_lowercase()
            && d.is_ascii_digit()
            && (1..=2).contains(&rest.len())
            && rest.iter().all(u8::is_ascii_lowercase))
}

/// `keystoneclient.auth.identity`, `Password`: one side of a Python entry point.
fn is_member_access_or_name(part: &[u8]) -> bool {
    is_member_access(part)
        || (!part.is_empty()
            && part[0].is_ascii_alphabetic()
            && part.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_'))
}

/// `DEFAULT_PRE_SIGNED_SECRET_ACCESS_KEY`, `RSA_2048_KEY`: an upper-case constant of words
/// joined by `_`, after the first maybe a size.
fn is_constant_name(value: &[u8]) -> bool {
    value.len() <= 64
        && value.contains(&b'_')
        && value.split(|&b| b == b'_').enumerate().all(|(i, w)| {
            // Words, not a random part: `API_KEYN2B1NFN5CP6CK5BJHY8B15YF535TP681` is a key.
            ((2..=16).contains(&w.len())
                && w[0].is_ascii_uppercase()
                && w.iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
                || (i > 0 && (1..=5).contains(&w.len()) && w.iter().all(u8::is_ascii_digit))
        })
}

/// `MZXW6YTBOI3DEMRZGQ======`: base32 with its padding, as TOTP seeds are
/// written; base64 pads with two `=` at most.
fn is_padded_base32(value: &[u8]) -> bool {
    let body = value.trim_ascii_end();
    let padding = body.iter().rev().take_while(|&&b| b == b'=').count();
    let body = &body[..body.len() - padding];
    // RFC 4648 base32 (`A-Z2-7`) or its extended-hex alphabet (`0-9A-V`, Erlang and Elixir
    // tokens).
    (3..=6).contains(&padding)
        && !body.is_empty()
        && body
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `2.AOs41Hd8OQiCPXjyJKCiDA==|O6OH…==|iD33…=`: a Bitwarden EncString, ciphertext (type digit,
/// IV, data, MAC) that only the user's key opens, as its clients and tests store keys.
fn is_enc_string(value: &[u8]) -> bool {
    let Some(body) = value
        .strip_prefix(b"2.")
        .or_else(|| value.strip_prefix(b"0."))
        .or_else(|| value.strip_prefix(b"1."))
    else {
        return false;
    };
    let parts: Vec<&[u8]> = body.split(|&b| b == b'|').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            p.len() >= 8
                && p.iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        })
}

/// `"server_key": "BP…="`: a Web Push server's public key (VAPID), an uncompressed P-256 point
/// (65 bytes from 0x04) in base64url, which the server hands to every client.
fn is_uncompressed_ec_point(value: &[u8]) -> bool {
    matches!(value.len(), 86..=88)
        && value.starts_with(b"B")
        && super::checksum::base64url_decode(value).is_some_and(|b| b.len() == 65 && b[0] == 4)
}

/// `integration-test-signing-key-that-is-at-least-32-chars`, `dev-only-do-not-use-in-prod`: a
/// key written as a sentence about itself, long enough for the length check it must pass.
fn is_described_key_phrase(value: &[u8]) -> bool {
    let words: Vec<&[u8]> = value
        .split(|b| matches!(b, b'-' | b'_' | b' ' | b'.'))
        .filter(|w| !w.is_empty())
        .collect();
    let is = |set: &[&[u8]]| {
        words
            .iter()
            .any(|w| set.iter().any(|s| w.eq_ignore_ascii_case(s)))
    };
    words.len() >= 5
        && words.iter().all(|w| {
            w.iter().all(u8::is_ascii_alphabetic)
                || (w.iter().take_while(|b| b.is_ascii_digit()).count() > 0
                    && w.iter().all(|b| b.is_ascii_digit() || *b == b'+'))
        })
        && is(&[b"key", b"secret", b"signing", b"token"])
        && is(&[
            b"test",
            b"dev",
            b"development",
            b"only",
            b"chars",
            b"characters",
            b"long",
            b"least",
            b"min",
            b"minimum",
            b"prod",
            b"production",
            b"change",
            b"replace",
        ])
}

/// `prime256v1`, `secp384r1`: an elliptic curve's name (OpenSSL's and SEC 2's), which a parser
/// puts in a variable called `token` as it reads a group list.
fn is_curve_name(value: &[u8]) -> bool {
    const NAMES: &[&str] = &[
        "prime192v1",
        "prime256v1",
        "secp224r1",
        "secp256r1",
        "secp256k1",
        "secp384r1",
        "secp521r1",
        "brainpoolP256r1",
        "brainpoolP384r1",
        "brainpoolP512r1",
        "X25519",
        "X448",
        "Ed25519",
        "Ed448",
    ];
    NAMES
        .iter()
        .any(|n| n.as_bytes().eq_ignore_ascii_case(value))
}

/// `Oauth2ClientId`, `Base64Encoded`, `sha256Digest`: an identifier whose words include one
/// that carries its version or size (OAuth 2, Base64, SHA-256), as generated enums name their
/// members; read without that number it is plain words.
fn is_name_with_versioned_word(value: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"oauth", b"base", b"sha", b"utf", b"http", b"md", b"aes", b"rsa", b"ipv",
    ];
    if value.len() > 48 || !value.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    let mut plain = Vec::with_capacity(value.len());
    let mut i = 0;
    let mut numbered = false;
    while i < value.len() {
        if value[i].is_ascii_digit() {
            let run = value[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            if !WORDS.iter().any(|w| lower[..i].ends_with(w)) {
                return false;
            }
            numbered = true;
            i += run;
        } else {
            plain.push(value[i]);
            i += 1;
        }
    }
    // `ClientId`: "Id" is a word of two letters, which the camel-case reading wants longer.
    let plain = plain
        .strip_suffix(b"Id")
        .filter(|p| p.len() >= 4)
        .unwrap_or(&plain);
    numbered && (is_pascal_words(plain) || is_camel_case_identifier(plain))
}

/// `A128CBC-HS256`, `RSA-OAEP-256`, `ES384`: a JOSE algorithm name (RFC 7518), as OpenID
/// Connect settings (`id_token_encrypted_response_enc`) name them.
fn is_jose_algorithm(value: &[u8]) -> bool {
    const NAMES: &[&str] = &[
        "A128CBC-HS256",
        "A192CBC-HS384",
        "A256CBC-HS512",
        "A128GCM",
        "A192GCM",
        "A256GCM",
        "A128KW",
        "A192KW",
        "A256KW",
        "A128GCMKW",
        "A192GCMKW",
        "A256GCMKW",
        "RSA-OAEP",
        "RSA-OAEP-256",
        "RSA1_5",
        "ECDH-ES",
        "ECDH-ES+A128KW",
        "ECDH-ES+A192KW",
        "ECDH-ES+A256KW",
        "PBES2-HS256+A128KW",
        "PBES2-HS384+A192KW",
        "PBES2-HS512+A256KW",
    ];
    NAMES.iter().any(|n| n.as_bytes() == value)
}

/// `VARCHAR(80)`, `decimal(10,2)`: a sized SQL column type, as schema arrays map column names
/// (`"client_secret" => "VARCHAR(80)"`) to types; `password(8,)`, `str(1,32)`: a Home Assistant
/// add-on's options schema, a type with its length bounds.
fn is_sized_sql_type(value: &[u8]) -> bool {
    let Some(open) = value.iter().position(|&b| b == b'(') else {
        return false;
    };
    let (name, size) = (&value[..open], &value[open + 1..]);
    let lower = name.to_ascii_lowercase();
    [
        &b"varchar"[..],
        b"nvarchar",
        b"char",
        b"nchar",
        b"varbinary",
        b"binary",
        b"decimal",
        b"numeric",
        b"float",
        b"bit",
        b"int",
        b"integer",
        b"bigint",
        b"tinyint",
        b"smallint",
        b"string",
        b"text",
        b"blob",
        b"character varying",
        b"password",
        b"str",
    ]
    .contains(&lower.as_slice())
        && size.strip_suffix(b")").is_some_and(|n| {
            !n.is_empty()
                && n.iter()
                    .all(|b| b.is_ascii_digit() || matches!(b, b',' | b' '))
        })
}

/// `OAuth2\Storage\ClientCredentialsInterface`: a PHP class name in its namespace, as
/// service maps name the classes that handle credentials.
fn is_namespaced_class(value: &[u8]) -> bool {
    let parts: Vec<&[u8]> = value
        .split(|&b| b == b'\\')
        .filter(|p| !p.is_empty())
        .collect();
    parts.len() >= 2
        && value.contains(&b'\\')
        && parts.iter().all(|p| {
            p[0].is_ascii_uppercase() && p.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        })
}

/// `0x8343…Ce05` (20 bytes), `0x02c7…f506` (a compressed point): an Ethereum address or a
/// secp256k1 public key, public by design. A private key is 32 bytes, 64 hex digits.
fn is_public_chain_value(value: &[u8]) -> bool {
    let Some(hex) = value.strip_prefix(b"0x") else {
        return false;
    };
    hex.iter().all(u8::is_ascii_hexdigit)
        && (hex.len() == 40
            || (hex.len() == 66 && (hex.starts_with(b"02") || hex.starts_with(b"03")))
            || (hex.len() == 130 && hex.starts_with(b"04")))
}

/// Prefixes of Slack tokens. Slack has issued several formats under each over the years
/// (legacy `xoxs-` tokens, short `xoxb-` bot tokens), so a value with one is judged by its
/// body, not by whether a current format matched.
const VENDOR_PREFIXES: &[&str] = &[
    "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xoxe.", "xapp-",
];

/// `xoxb-conversations_list_pagination2`: a vendor's prefix on an identifier, as mock
/// servers route test requests by token; no issued token has a snake_case body.
pub fn is_vendor_prefixed_identifier(value: &[u8]) -> bool {
    VENDOR_PREFIXES.iter().any(|p| {
        value
            .strip_prefix(p.as_bytes())
            .is_some_and(is_snake_case_identifier)
    })
}

/// `!local.is_replica`, `!!opts.withCredentials`, `!enabled`: a negated expression; also
/// `!ImportValue`, a CloudFormation tag. An identifier without digits, where a token would
/// have some.
fn is_negated_expression(value: &[u8]) -> bool {
    let bangs = value.iter().take_while(|&&b| b == b'!').count();
    let rest = &value[bangs..];
    bangs > 0
        && (is_member_access(rest)
            || (!rest.is_empty() && rest.iter().all(|b| b.is_ascii_alphabetic() || *b == b'_')))
}

/// `_step4$value`, `$ctrl`: a JavaScript identifier holding `$`, as compilers generate them.
fn is_dollar_identifier(value: &[u8]) -> bool {
    value.contains(&b'$')
        && value
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'$'))
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$'))
        && value.iter().filter(|b| b.is_ascii_uppercase()).count() * 4 <= value.len()
}

/// `Uint8Array`, `ArrayBuffer`, `CryptoKey`: the type of a key in a TypeScript or Kotlin
/// declaration (`secretKey: Uint8Array`).
fn is_typed_array_or_key_type(value: &[u8]) -> bool {
    const TYPES: &[&str] = &[
        "Uint8Array",
        "Uint8ClampedArray",
        "Uint16Array",
        "Uint32Array",
        "Int8Array",
        "Int32Array",
        "ArrayBuffer",
        "ByteArray",
        "CryptoKey",
        "KeyObject",
        "SecretKey",
        "PrivateKey",
        "SecureString",
        "SecretString",
        "ByteString",
        "CharArray",
    ];
    let bare = value
        .strip_suffix(b"?")
        .or_else(|| value.strip_suffix(b"[]"))
        .unwrap_or(value);
    TYPES.iter().any(|t| t.as_bytes() == bare)
}

/// `NonEmptyMaxLength64String`: a PascalCase type or class name of three or more words (a
/// capital, two or more lower-case letters, optional digits). Random strings have runs of
/// capitals or single letters between them.
fn is_pascal_case_identifier(value: &[u8]) -> bool {
    // A leading acronym (`OAuth2AdvancedParam`, `HTTPClientToken`): its capitals but the last.
    let caps = value.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let start = if caps >= 2 { caps - 1 } else { 0 };
    value.first().is_some_and(u8::is_ascii_uppercase)
        && value.iter().filter(|b| b.is_ascii_uppercase()).count() >= 3
        && value
            .get(start + 1..)
            .is_some_and(|rest| is_camel_case_identifier(&[b"x", rest].concat()))
}

/// `create_api_key_2`, `page_1_executions`: lower-case words and numbers joined by `_`, a
/// variable. Random tokens mix letters and digits inside their parts.
fn is_snake_case_identifier(value: &[u8]) -> bool {
    // `_cmll128_load_enckey`: a symbol, its leading underscores a linkage convention.
    let value = &value[value.iter().take_while(|&&b| b == b'_').count()..];
    // `Githubc2_components_deploy_key`: an OCaml module path, its first letter a capital
    // (`module Deploy_key = …`); three or more parts, so `Summer_rain` is not one.
    let lowered;
    let value = if value.first().is_some_and(u8::is_ascii_uppercase)
        && value.iter().filter(|&&b| b == b'_').count() >= 2
        && !value[1..].iter().any(u8::is_ascii_uppercase)
    {
        lowered = value.to_ascii_lowercase();
        &lowered[..]
    } else {
        value
    };
    let parts: Vec<&[u8]> = value.split(|&b| b == b'_').collect();
    // `ak1_active`, `ak2_last_used_date`: words, one with a number.
    let worded = parts.len() >= 2
        && parts.iter().all(|p| {
            p.len() >= 3 && (p.iter().all(u8::is_ascii_lowercase) || is_word_with_number(p))
        })
        && parts
            .iter()
            .any(|p| p.len() >= 4 && p.iter().all(u8::is_ascii_lowercase));
    worded
        || parts.len() >= 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && word_then_digits(p).is_some())
            && parts
                .iter()
                .filter(|p| p.len() >= 2 && p.iter().all(u8::is_ascii_lowercase))
                .count()
                >= 2
}

/// `markup.heading.1`, `mail.smtp.port`: three or more dot-separated parts, each a word or a
/// number, as scopes, keys of settings and translation ids are written.
fn is_dotted_name(value: &[u8]) -> bool {
    let parts: Vec<&[u8]> = value.split(|&b| b == b'.').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            // `meta.odd-tab.group1`: a word may end in a number (a theme's scope names).
            let letters = p
                .iter()
                .take_while(|b| b.is_ascii_lowercase() || **b == b'_' || **b == b'-')
                .count();
            let numbered = !p.is_empty()
                && (letters == 0 || p[letters..].len() <= 2)
                && p[letters..].iter().all(u8::is_ascii_digit);
            // `o_auth2_resource_server_credentials_keys_api`: a snake_case module name whose
            // words may each end in a number.
            numbered
                || (p.contains(&b'_')
                    && p.split(|&b| b == b'_').all(|w| {
                        let letters = w.iter().take_while(|b| b.is_ascii_lowercase()).count();
                        letters >= 1
                            && w.len() - letters <= 2
                            && w[letters..].iter().all(u8::is_ascii_digit)
                    }))
        })
        && parts.iter().any(|p| p.iter().any(u8::is_ascii_alphabetic))
}

/// `x25519.X25519PrivateKey`, `oauth2client.client.OAuth2Credentials`: a type named through its
/// lower-case modules, as annotations and re-exports write a key's or credential's class.
fn is_module_type_path(value: &[u8]) -> bool {
    const TYPE_ENDINGS: &[&[u8]] = &[
        b"Key",
        b"Keys",
        b"Credential",
        b"Credentials",
        b"Token",
        b"Secret",
        b"Password",
        b"Provider",
        b"Client",
        b"Config",
    ];
    let Some(dot) = memchr::memrchr(b'.', value) else {
        return false;
    };
    let (modules, name) = (&value[..dot], &value[dot + 1..]);
    modules.split(|&b| b == b'.').all(|m| {
        m.first().is_some_and(u8::is_ascii_lowercase)
            && m.iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
    }) && name.first().is_some_and(u8::is_ascii_uppercase)
        && name.iter().all(u8::is_ascii_alphanumeric)
        && name.iter().any(u8::is_ascii_lowercase)
        && TYPE_ENDINGS.iter().any(|e| name.ends_with(e))
}

/// `.types`, `..models.user`: a Python relative import, as generated lazy-import maps pair
/// class names (`"ChangePasswordTicketIdentity": ".types"`) with the module that defines them.
fn is_relative_module(value: &[u8]) -> bool {
    let dots = value.iter().take_while(|&&b| b == b'.').count();
    (1..=3).contains(&dots)
        && value[dots..].split(|&b| b == b'.').all(|p| {
            p.first()
                .is_some_and(|b| b.is_ascii_lowercase() || *b == b'_')
                && p.iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        })
}

/// Words that name what a test does with a password rather than being one.
const TEST_CASE_WORDS: &[&str] = &[
    "short",
    "tooshort",
    "too_short",
    "mismatch",
    "stale",
    "expired",
    "irrelevant",
];

/// Statuses UI kits give progress bars and alerts, which password-strength meters map their
/// levels to: `{ ok: 'success', pass: 'normal', poor: 'exception' }`.
const STATUS_WORDS: &[&str] = &["normal", "exception", "success", "warning", "danger"];

/// The configuration passes of Windows Setup, named in answer files as
/// `<settings pass="windowsPE">`: an XML attribute called `pass` that holds no password.
const UNATTEND_PASSES: &[&str] = &[
    "windowsPE",
    "offlineServicing",
    "generalize",
    "specialize",
    "auditSystem",
    "auditUser",
    "oobeSystem",
];

/// The first word of a `--<word>-password` option that turns a behaviour on or off rather
/// than passing a password: `--disabled-password`, `--no-password`, `--ask-password`.
pub fn is_switch_word(word: &[u8]) -> bool {
    const SWITCHES: &[&[u8]] = &[
        b"disabled",
        b"disable",
        b"enable",
        b"no",
        b"ask",
        b"prompt",
        b"skip",
        b"empty",
        b"random",
        b"generate",
        b"forgot",
        b"show",
        b"hide",
        b"allow",
        b"require",
        b"expire",
        b"lock",
        b"unlock",
        b"interactive",
        b"without",
        b"null",
        b"blank",
        b"expired",
    ];
    SWITCHES.iter().any(|s| word.eq_ignore_ascii_case(s))
}

/// True when a password is the conventional one of an anonymous login (RFC 1635): the FTP
/// user `anonymous` gives `anonymous`, `guest` or an e-mail address, and the server takes any.
/// `anonymous` itself is only ever that courtesy; `guest` and an address only beside the
/// `anonymous` user in `line` (the caller passes the password's line and the one before it),
/// as `guest` alone is RabbitMQ's and others' default.
pub fn is_anonymous_login(value: &[u8], line: &[u8]) -> bool {
    let value = value.to_ascii_lowercase();
    if value == b"anonymous" || value.starts_with(b"anonymous@") {
        return true;
    }
    if !(value == b"guest" || (value.contains(&b'@') && value.len() <= 64)) {
        return false;
    }
    let line = line.to_ascii_lowercase();
    [
        &b"\"anonymous\""[..],
        b"'anonymous'",
        b"=anonymous",
        b"= anonymous",
    ]
    .iter()
    .any(|u| memchr::memmem::find(&line, u).is_some())
}

/// `variable-2`, `string_3`: a word with a small number, as CSS classes and style tokens are
/// named (CodeMirror's `token: "variable-2"`).
fn is_numbered_word(value: &[u8]) -> bool {
    let parts: Vec<&[u8]> = value.split(|&b| b == b'-' || b == b'_').collect();
    let Some((last, words)) = parts.split_last() else {
        return false;
    };
    (1..=3).contains(&last.len())
        && last.iter().all(u8::is_ascii_digit)
        && !words.is_empty()
        && words
            .iter()
            .all(|w| w.len() >= 3 && w.iter().all(u8::is_ascii_lowercase))
}

/// `r?r.index:-1`, `e.timeout??3e4`: a conditional or nullish default in (minified) code.
fn is_ternary(value: &[u8]) -> bool {
    let Some(q) = value.iter().position(|&b| b == b'?') else {
        return false;
    };
    let head = &value[..q];
    !head.is_empty()
        && head
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'!' | b'='))
        && head[0].is_ascii_alphabetic()
        && (value[q + 1..].contains(&b':')
            // `e.withCredentials??!1`: JavaScript's nullish coalescing, a default.
            || (value[q + 1..].starts_with(b"?") && value.len() > q + 2))
}

/// `0.21461681999994653`: a measurement (a duration, a ratio), not a secret.
fn is_decimal_number(value: &[u8]) -> bool {
    let value = value.strip_prefix(b"-").unwrap_or(value);
    let mut parts = value.splitn(2, |&b| b == b'.');
    let (int, frac) = (parts.next().unwrap_or_default(), parts.next());
    !int.is_empty()
        && int.iter().all(u8::is_ascii_digit)
        && frac.is_some_and(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit))
}

/// Hex or base64 that decodes to readable text: a sentence (`7468697320…` is "this should
/// not appear"), a URL, or a small JSON object such as a pagination cursor
/// (`eyJvZmZzZXQiOiI1MCJ9` is `{"offset":"50"}`). Encoded keys decode to random bytes; an
/// encoded document that names a key, secret, token, password or credential still counts
/// (a base64 service-account file, a Docker `auths` blob).
fn is_encoded_text(value: &[u8]) -> bool {
    if value.len() < 16 {
        return false;
    }
    let hex = value.len().is_multiple_of(2) && value.iter().all(u8::is_ascii_hexdigit);
    let decoded = if hex {
        crate::findings::unhex(value)
    } else {
        super::checksum::base64url_decode(value)
    };
    let Some(text) = decoded else {
        return false;
    };
    if text.is_empty()
        || !text
            .iter()
            .all(|&b| b.is_ascii_graphic() || matches!(b, b' ' | b'\n' | b'\t' | b'\r'))
    {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    let names_secret = ["key", "secret", "token", "pass", "credential", "auth"]
        .iter()
        .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some());
    let spaces = text.iter().filter(|&&b| b == b' ').count();
    let sentence = (spaces >= 2
        && text
            .iter()
            .filter(|b| b.is_ascii_alphabetic() || **b == b' ')
            .count()
            * 10
            >= text.len() * 8)
        // `Tm9kZSBSZWRpcw==` is "Node Redis": two words, letters only.
        || (spaces == 1
            && text.len() >= 8
            && text.iter().all(|b| b.is_ascii_alphabetic() || *b == b' '));
    let url =
        (lower.starts_with(b"http://") || lower.starts_with(b"https://")) && !text.contains(&b'@');
    let json = text
        .strip_prefix(b"{")
        .is_some_and(|rest| rest.trim_ascii_start().starts_with(b"\""))
        && text.len() <= 256;
    // `hello world this is not a real key`: a sample's stand-in that says so, even though it
    // names the key it stands for.
    let disowned = sentence
        && (says_it_is_a_stand_in(&text)
            || ["not a real", "not real", "isn't real"]
                .iter()
                .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some()));
    ((sentence || url || json) && !names_secret) || disowned
}

/// `base64PrivateKey`, `sha256Digest`: lower camelCase words, where each capital starts a
/// word of two or more lower-case letters (digits may end a word). A variable, even with its
/// digits; random strings have runs of capitals or single letters between them.
fn is_camel_case_identifier(value: &[u8]) -> bool {
    if !value.first().is_some_and(u8::is_ascii_lowercase)
        || !value.iter().all(u8::is_ascii_alphanumeric)
        || !value.iter().any(u8::is_ascii_uppercase)
    {
        return false;
    }
    // Split before each capital; every word after the first is a capital, 2+ lower-case
    // letters, then optional digits.
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    for &b in value {
        if b.is_ascii_uppercase() && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        current.push(b);
    }
    parts.push(current);
    // After a `v4a`-like first word, only whole words: `x1bC2dE3` is a filler, not a name.
    let words_follow = parts[1..]
        .iter()
        .all(|w| w[1..].iter().take_while(|b| b.is_ascii_lowercase()).count() >= 2);
    parts.iter().enumerate().all(|(i, w)| {
        // `s3AccessKey`, `ec2Client`, `v4aCredentialProvider`: a first word that is a short
        // name with a number.
        if i == 0
            && w.len() <= 4
            && (is_word_with_number(w) || (is_versioned_short_name(w) && words_follow))
        {
            return true;
        }
        let letters = if i == 0 { &w[..] } else { &w[1..] };
        let alpha = letters
            .iter()
            .take_while(|b| b.is_ascii_lowercase())
            .count();
        if alpha >= 2 {
            return letters[alpha..].iter().all(u8::is_ascii_digit);
        }
        // `accessKeyV2`, `keyV1orV2`, `signingX509Credential`: a version or standard word,
        // a capital and one to three digits.
        let digits = letters.iter().take_while(|b| b.is_ascii_digit()).count();
        i > 0
            && (1..=3).contains(&digits)
            && letters[digits..].iter().all(u8::is_ascii_lowercase)
            && letters.len() - digits <= 3
    })
}

/// `2024-08-15T06:33:00.337Z`, `2024-08-15 06:33`: a date, not a secret.
fn is_timestamp(value: &[u8]) -> bool {
    let digits = |r: std::ops::Range<usize>| {
        value
            .get(r)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    digits(0..4)
        && value.get(4) == Some(&b'-')
        && digits(5..7)
        && value.get(7) == Some(&b'-')
        && digits(8..10)
}

/// The bytes a standard-base64 `value` of 8 to `max` characters decodes to, without one
/// trailing newline (`echo x | base64` adds it).
fn decode_short_base64(value: &[u8], max: usize) -> Option<Vec<u8>> {
    if !(8..=max).contains(&value.len())
        || !value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return None;
    }
    let mut decoded = super::checksum::base64url_decode(value)?;
    // `echo value | base64` adds a newline, a Windows editor `\r\n` (`dmFsdWUtMg0KDQo=` is
    // `value-2\r\n\r\n`): line ends after the text are not part of the value.
    while decoded
        .last()
        .is_some_and(|b| matches!(b, b'\n' | b'\r' | b' ' | b'\t'))
    {
        decoded.pop();
    }
    Some(decoded)
}

/// True when `value` is base64 of a single word that is not a secret: the value a
/// Kubernetes Secret's `data:` or a test holds encoded (`dGVzdC1wYXNzd29yZA==` is
/// `test-password`, `U0VDUkVUVkFM` is `SECRETVAL`). The decoded word is judged the way the
/// plain value would be, and in a generic rule's place (a token's) words joined by `-` or `_`
/// without a digit (`hello-world`, `example_app_secret`) are not one either. Encoded
/// documents and pairs (`admin:password`, a `.dockercfg` JSON) are left to the rules: they
/// carry credentials. Random keys decode to bytes, almost never all word characters.
pub fn encodes_non_secret(value: &[u8], password: bool) -> bool {
    if !value.len().is_multiple_of(4) {
        return false;
    }
    let Some(text) = decode_short_base64(value, 88) else {
        return false;
    };
    let text = text.as_slice();
    // `c2VjcmV0IHNlY3JldA==` (`secret secret`): the slot's words, encoded as a test's
    // Kubernetes Secret holds a stand-in.
    if text.contains(&b' ')
        && text.split(|&b| b == b' ').all(|w| {
            matches!(
                w.to_ascii_lowercase().as_slice(),
                b"secret" | b"password" | b"token" | b"key" | b"value" | b"test"
            )
        })
    {
        return true;
    }
    // `aHZzLioqKioqKio=` (`hvs.*******`), `U0NSQU0tU0hBLTI1NiQ…` (`SCRAM-SHA-256$4096:…`): a
    // masked value or a password's verifier, encoded as a Kubernetes Secret stores it.
    if text.len() >= 4
        && text.iter().all(|b| (0x21..0x7f).contains(b))
        && (is_tagged_digest(text)
            || is_phc_hash(text)
            || memchr::memmem::find(text, b"***").is_some())
    {
        return true;
    }
    if text.len() < 4
        || !text
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return false;
    }
    if !is_password_value(text, true) || is_placeholder_password(text) {
        return true;
    }
    !password
        && text.iter().any(|b| matches!(b, b'-' | b'_'))
        && text
            .iter()
            .all(|b| b.is_ascii_alphabetic() || matches!(b, b'-' | b'_'))
}

/// `base64-decoded`, `api-key-v2`: lower-case words joined by `-`, where a word may end in
/// digits; two of them are words of three letters or more. UUIDs and random tokens mix
/// digits into their parts.
fn is_kebab_case_words(value: &[u8]) -> bool {
    let mut worded = 0;
    let mut parts = 0;
    let mut long_word = false;
    // `1st`, `2nd`: an ordinal is a word (`sk-my-openai-1st-key`).
    let ordinal = |p: &[u8]| {
        let digits = p.iter().take_while(|b| b.is_ascii_digit()).count();
        (1..=2).contains(&digits) && matches!(&p[digits..], b"st" | b"nd" | b"rd" | b"th")
    };
    let all = value.split(|&b| b == b'-').all(|p| {
        parts += 1;
        if ordinal(p) {
            return true;
        }
        match word_then_digits(p) {
            Some(letters) if !p.is_empty() => {
                worded += usize::from(letters >= 3);
                long_word |= letters >= 5 && letters == p.len();
                true
            }
            _ => false,
        }
    });
    // `m0-verified`, `sk-literal`: a short key prefix and one word, a test's stand-in for a key.
    all && parts >= 2 && (worded >= 2 || (long_word && value.len() <= 16))
}

/// `s3`, `east`, `1`: lower-case letters then digits, never mixed (`q7v` is not). Returns how
/// many letters lead.
fn word_then_digits(part: &[u8]) -> Option<usize> {
    let letters = part.iter().take_while(|b| b.is_ascii_lowercase()).count();
    part[letters..]
        .iter()
        .all(u8::is_ascii_digit)
        .then_some(letters)
}

/// `2.16.840.1.113730.3.4.4`: an ASN.1 object identifier (an LDAP control, a certificate
/// policy), four or more numbers under one of the three roots.
fn is_oid(value: &[u8]) -> bool {
    matches!(value.first(), Some(b'0'..=b'2'))
        && value.get(1) == Some(&b'.')
        && value.split(|&b| b == b'.').count() >= 4
        && value
            .split(|&b| b == b'.')
            .all(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))
}

/// True when `value` is base64 of a `user:password` pair whose password is a placeholder
/// (`dXNlcm5hbWU6cGFzc3dvcmQ=` is `username:password`), as documentation and tests write HTTP
/// Basic and Docker `auth` values: both halves are the fields' names or placeholders.
pub fn encodes_placeholder_pair(value: &[u8]) -> bool {
    let Some(text) = decode_short_base64(value, 200) else {
        return false;
    };
    let text = text.as_slice();
    if !text.iter().all(u8::is_ascii_graphic) {
        return false;
    }
    let Some(colon) = memchr::memchr(b':', text) else {
        return false;
    };
    let (user, password) = (&text[..colon], &text[colon + 1..]);
    // Both halves stand for themselves: `admin:password` may be a real (weak) account.
    // `some-user`, `any_user`: the same words with a separator.
    let joined = without_word_separators(user);
    let placeholder_user = [
        "user", "username", "login", "name", "myuser", "someuser", "anyuser",
    ]
    .iter()
    .any(|w| w.as_bytes().eq_ignore_ascii_case(&joined))
        || is_placeholder_password(user)
        // `client1:secret`, `user2:password`: a numbered slot, as tests fill several.
        || {
            let digits = joined.iter().rev().take_while(|b| b.is_ascii_digit()).count();
            (1..=2).contains(&digits)
                && ["user", "username", "testuser", "client", "consumer"]
                    .iter()
                    .any(|w| w.as_bytes().eq_ignore_ascii_case(&joined[..joined.len() - digits]))
        }
        // `yourregistryusername`: "your", and the field.
        || (joined.len() > 8
            && joined[..4].eq_ignore_ascii_case(b"your")
            && (joined.to_ascii_lowercase().ends_with(b"user")
                || joined.to_ascii_lowercase().ends_with(b"username")));
    // `oauth_id:oauth_secret`: two fields' names with one prefix, the id's and the secret's.
    if let (Some(u), Some(p)) = (
        user.iter().rposition(|b| matches!(b, b'_' | b'-')),
        password.iter().rposition(|b| matches!(b, b'_' | b'-')),
    ) && u > 0
        && user[..u].eq_ignore_ascii_case(&password[..p])
        && [&b"id"[..], b"user", b"username", b"key"]
            .iter()
            .any(|w| user[u + 1..].eq_ignore_ascii_case(w))
        && [&b"secret"[..], b"pass", b"password", b"token"]
            .iter()
            .any(|w| password[p + 1..].eq_ignore_ascii_case(w))
    {
        return true;
    }
    // `mypassword`, `mysecret`, `some-password`, `any_password`: "my", "some" or "any" and
    // the field, the documentation's "yours here".
    let password_joined = without_word_separators(password);
    let mine = [&b"my"[..], b"some", b"any"].iter().any(|prefix| {
        password_joined
            .get(..prefix.len())
            .is_some_and(|m| m.eq_ignore_ascii_case(prefix))
            && NON_PASSWORDS.iter().any(|w| {
                w.as_bytes()
                    .eq_ignore_ascii_case(&password_joined[prefix.len()..])
            })
    });
    let lower_password = password.to_ascii_lowercase();
    let placeholder_password = NON_PASSWORDS
        .iter()
        .any(|w| w.as_bytes().eq_ignore_ascii_case(password))
        || mine
        || is_placeholder_password(password)
        // `password1`, `test_password_1`: a numbered slot.
        || is_numbered_slot(&lower_password)
        || {
            let joined = without_word_separators(&lower_password);
            is_numbered_slot(joined.strip_prefix(b"test").unwrap_or(&joined))
        };
    !password.is_empty()
        && user
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
        && placeholder_user
        && placeholder_password
}

/// True when `value` is base64 of an htpasswd file (`user1:{SHA}tESs…=\nuser2:$apr1$…`), as
/// a Kubernetes Secret hands one to an ingress or gateway for Basic auth: every line a name and
/// a password hash, no password in clear. The `htpasswd-*` rules report such files written
/// out; in a generic rule's place the encoded list is a hash, not the secret it names.
pub fn encodes_password_hashes(value: &[u8]) -> bool {
    let Some(text) = decode_short_base64(value, 4096) else {
        return false;
    };
    let mut lines = 0;
    let all = text
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .all(|line| {
            lines += 1;
            let Some(colon) = memchr::memchr(b':', line) else {
                return false;
            };
            let (user, hash) = (&line[..colon], &line[colon + 1..]);
            !user.is_empty()
                && user
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
                && hash.len() >= 13
                && hash.iter().all(u8::is_ascii_graphic)
                && (hash.starts_with(b"{SHA}") || hash.starts_with(b"{SSHA}") || is_phc_hash(hash))
        });
    all && lines > 0
}

/// `some-user` as `someuser`: words compared without the `-` or `_` joining them.
fn without_word_separators(words: &[u8]) -> Vec<u8> {
    words
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'-' | b'_'))
        .collect()
}

/// `0x115`, `0xFFFF`: a hexadecimal number literal.
fn is_hex_literal(value: &[u8]) -> bool {
    // `SIOCGLIFTOKEN = -0x3f879678`: a negative constant in generated syscall tables.
    let value = value.strip_prefix(b"-").unwrap_or(value);
    value
        .strip_prefix(b"0x")
        .or_else(|| value.strip_prefix(b"0X"))
        .is_some_and(|d| {
            // `0xAABB_CCDD_EEFF_0011`: digit separators of Rust, Java and C#.
            let digits = d.iter().filter(|&&b| b != b'_').count();
            (1..=16).contains(&digits)
                && d.first().is_some_and(u8::is_ascii_hexdigit)
                && d.iter().all(|&b| b.is_ascii_hexdigit() || b == b'_')
        })
}

/// `keys/jira.pass`, `key/path/some.pass`: a relative path written only with path characters,
/// ending in a name and an extension of letters. Passwords with a `/` mix in other symbols.
fn is_plain_relative_path(value: &[u8]) -> bool {
    is_relative_file_path(value)
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-'))
        && value
            .rsplit(|&b| b == b'.')
            .next()
            .is_some_and(|ext| ext.iter().all(u8::is_ascii_alphabetic))
}

/// `keys/deploy2.pem`, `conf/api.key.json`: a folder and a name with an extension. Base64 and
/// hex secrets have no `.`; a base64 value with `/` and a dotted tail is not one.
fn is_relative_file_path(value: &[u8]) -> bool {
    let Some(slash) = memchr::memrchr(b'/', value) else {
        return false;
    };
    let name = &value[slash + 1..];
    memchr::memrchr(b'.', name).is_some_and(|dot| {
        let ext = &name[dot + 1..];
        (1..=5).contains(&ext.len()) && ext.iter().all(u8::is_ascii_alphanumeric) && dot > 0
    })
}

/// `etc/ssh_host_ed25519_key`, `keys/id_rsa`: a relative path, in lower case, to a key file
/// named the way OpenSSH names them. An encoded key with a `/` has capitals.
fn is_key_file_path(value: &[u8]) -> bool {
    let Some(slash) = memchr::memrchr(b'/', value) else {
        return false;
    };
    let name = &value[slash + 1..];
    value[..slash].split(|&b| b == b'/').all(|dir| {
        !dir.is_empty()
            && dir.iter().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
            })
    }) && (is_snake_words(name) || name == b"id_rsa")
        && [&b"_key"[..], b"_rsa", b"_dsa", b"_ecdsa", b"_ed25519"]
            .iter()
            .any(|end| name.ends_with(end))
}

/// `RWQf6LRCGA9i…`: a minisign public key (`Ed`, an 8-byte key id and the 32-byte Ed25519
/// key, in base64), as software signs its releases and configurations pin the key.
fn is_minisign_public_key(value: &[u8]) -> bool {
    value.len() == 56
        && value.starts_with(b"RW")
        && super::checksum::base64url_decode(value)
            .is_some_and(|key| key.len() == 42 && key.starts_with(b"Ed"))
}

/// Values that sit where a password goes but are not one: type names, empty markers, the
/// name of the field itself. Compared whole and ASCII-case-insensitively.
const NON_PASSWORDS: &[&str] = &[
    "password",
    "passwd",
    "passwort",
    "pass",
    "pwd",
    // `fred:passw@proxy`, `user:pswd@cluster0`: the word cut short, as tests write the slot.
    "passw",
    "pswd",
    "secret",
    "token",
    "changeme",
    "change_me",
    // `password: infected`: the password antivirus vendors ask for on malware-sample ZIPs,
    // public by convention.
    "infected",
    // `password: 'tobechanged'`: the same request, spelled out.
    "tobechanged",
    "to_be_changed",
    "to-be-changed",
    "none",
    // `postgresql://nouser:nopass@127.0.0.1:1/none`: says there is none.
    "nopass",
    "nopassword",
    "no-password",
    "no_password",
    "null",
    "nil",
    "undefined",
    "true",
    "false",
    // `Pass: True/False`: the answer format an LLM prompt asks for.
    "true/false",
    "yes/no",
    "empty",
    "string",
    "str",
    "text",
    "bytes",
    "required",
    "optional",
    "hidden",
    "masked",
    "mask",
    "obscured",
    "invalid",
    // What tests send to see a login refused (`password: 'wrong'`): the word says it fails.
    "wrong",
    "incorrect",
    // `login('joe', 'valid')`, `setPassword("authentication")`: which case a test exercises, or
    // the feature it exercises.
    "valid",
    "non-matching",
    "authentication",
    "auth",
    // `redis-server --requirepass with a short test password`, `a -password suffix`: prose
    // about the option, its next word.
    // `Client(auth=('key_id', 'key_secret'))`: the fields' names where their values go.
    "key_secret",
    "key_id",
    "api_key",
    "api_secret",
    "secret_key",
    "client_secret",
    "access_key",
    "access_token",
    "auth_token",
    // `mysql … | xargs … find . -print`: find's `-print` and `-prune` after a `-p`.
    "rint",
    "rint0",
    "rune",
    // A form's checkbox state under a password setting's name.
    "checked",
    "unchecked",
    "with",
    "both",
    "from",
    "that",
    "when",
    "flag",
    "option",
    "argument",
    "parameter",
    // Perl's `Config.pm` and `config.sh`: `d_grpasswd='define'` says a C function exists.
    "define",
    "undef",
    // `the --username and --password options`: prose about the options (pip's docstrings).
    "flags",
    "options",
    // `use the --auth-user-pass directive`: OpenVPN's documentation names its options so.
    "directive",
    "directives",
    "command",
    "commands",
    "arguments",
    "parameters",
    "suffix",
    "bogus",
    // `"password": "nickname"`: another column's name, as an ORM's upsert maps which column
    // fills which (gogf/gf's `OnDuplicate`).
    "nickname",
    "username",
    // `password varchar`, `'password' => 'binary'`: a column's SQL type, in schemas and in the
    // type maps of database libraries.
    "varchar",
    "nvarchar",
    "vchar",
    "binary",
    "varbinary",
    "blob",
    // `'password' => 'plain'`: which kind of password a test feeds the hasher, plain or hashed.
    "plain",
    "plaintext",
    "cleartext",
    // `password="garbage"`: the wrong password a test tries (electrum's daemon tests).
    "garbage",
    "whatever",
    "too-short",
    "should-not-exist",
    "nomatch",
    "no-match",
    "missing",
    "redacted",
    "removed",
    "unset",
    // `reuse_password: "enable"`, `mac_password_delimiter: "colon"`: a setting about
    // passwords (FortiOS modules' examples), its choice.
    "enable",
    "disable",
    "colon",
    "hyphen",
    "auto-generate",
    // `the password is "typed" in`: a sentence's quoted verb.
    "typed",
    // `style.visibility = 'visible'` on a password field; `'edd_forgot_password' => 'confirm'`,
    // a step of the lost-password form; `"current_pass": "any"`, a product pass's filter.
    "visible",
    "hidden",
    "confirm",
    "any",
    // `password_authentication = "scram-sha-256"`: how a server checks passwords (pg_hba).
    "scram-sha-256",
    "scram-sha-1",
    // `$auth['password'] === 'bearer'`: Composer's auth modes, compared; `{pass: 'through'}`.
    "bearer",
    "custom-headers",
    "private-token",
    "through",
    "something",
    // `sdk.auth.login("customer", "emailpass", {…})`: Medusa's e-mail and password provider.
    "emailpass",
    // `- Password: anything`: a README saying any value is accepted.
    "anything",
    // `'wp_ajax_edd_verify_pass' => 'verify'`: a hook for a product pass, mapped to its
    // handler method.
    "verify",
    "activate",
    "deactivate",
    "delete",
    // `-storepass storepass`: the option's own name, as keytool examples fill it.
    "storepass",
    // `keytool … -storepass keystore`, `-storepass truststore`: the store's kind, named.
    "keystore",
    "truststore",
    "keypass",
    // `password_confirmation: "does-not-match"`: a form test's mismatched confirmation.
    "doesnotmatch",
    // `"smtp_password": "thiswontwork"`: a mocked response's value, saying so.
    "thiswontwork",
    // `"SMTP_PASSWORD": "thisisnotused"`: a local mail catcher takes any.
    "thisisnotused",
    "does-not-match",
    "does_not_match",
    "mismatch",
    // `KEY_PASSWORD: unused`, where a workflow must set a variable a step does not read.
    "unused",
    // `<param name="password" value="not-used"/>`: a gateway that does not register.
    "not-used",
    "not_used",
    "notused",
    "notset",
    "not_set",
    "not-set",
    "default",
    "value",
    "input",
    "prompt",
    "ask",
    "env",
    "environment",
    "file",
    "stdin",
    "keyring",
    "vault",
    "secure",
    "sensitive",
    "confidential",
    "unknown",
    // Model casts and validation rules (`'password' => 'hashed'` in Laravel).
    "hashed",
    "hash",
    "encrypted",
    "bcrypt",
    "confirmed",
    "nullable",
    "sometimes",
    "required",
    // The JDK's documented default password of its cacerts trust store, and the one Google
    // documents for every service account's .p12 key file.
    "changeit",
    "notasecret",
    // Plurals name a kind of object (a Kubernetes resource `passwords`), not one value.
    "passwords",
    "secrets",
    "tokens",
    // GitHub's documented stand-in password when a token is the user name
    // (`https://<token>:x-oauth-basic@github.com`).
    "x-oauth-basic",
    // Outcomes (`pass: failed` in test reports, `'pass' : 'failed'`).
    "failed",
    "passed",
    // Type names (`typeof password === 'number'`, `password: Callable`).
    "number",
    "boolean",
    "object",
    "function",
    "callable",
    "integer",
    // Option values (Ansible's `update_password: always`) and field names
    // (`password_strategy == 'email'`).
    "always",
    "never",
    "disabled",
    "enabled",
    // Name-service sources (`passwd: compat` in nsswitch.conf).
    "compat",
    "files",
    // `use the --password flag` in a message.
    "flag",
    "on_create",
    "random",
    "generate",
    "generated",
    "email",
    "username",
    // The word "password" in other languages, as translation files hold it.
    "contraseña",
    "senha",
    "palavra-passe",
    "wachtwoord",
    "parola",
    "hasło",
    "heslo",
    "jelszó",
    "salasana",
    "lösenord",
    "adgangskode",
    "passord",
    "şifre",
    "пароль",
    "Пароль",
    "şifrə",
    "Şifrə",
    "密码",
    "密碼",
    "パスワード",
    "비밀번호",
    "كلمة المرور",
    "პაროლი",
];

/// The word "password" in other languages, as ASCII-only labels in translation files write
/// it (compared with the value lower-cased).
const TRANSLATED_PASSWORD_WORDS: &[&str] = &[
    "adgangskode",
    "passord",
    "wachtwoord",
    "wagwoord",
    "passwort",
    "kennwort",
    "salasana",
    "losenord",
    "contrasena",
    "contrasenya",
    "lozinka",
    "geslo",
    "jelszo",
    "haslo",
    "heslo",
    "senha",
    "parola",
    "sifre",
    "mot de passe",
    "motdepasse",
    "kodeord",
    "parool",
    "parole",
    "lykilord",
    "kata sandi",
    "katasandi",
    "pasvorto",
    "palavra-chave",
    "palavra chave",
];

/// `Contrase\u00F1a`, `Has\u0142o`: a Java properties file's (or JSON's) `\uXXXX` escapes
/// spelling the word "password" of another language, as translation bundles hold it.
fn unescapes_to_non_password(value: &[u8]) -> bool {
    if memchr::memmem::find(value, b"\\u").is_none() || value.len() > 64 {
        return false;
    }
    let mut text = String::new();
    let mut rest = value;
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'\\'
            && let Some(hex) = tail.strip_prefix(b"u").and_then(|t| t.get(..4))
            && let Some(c) = std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32)
        {
            text.push(c);
            rest = &tail[5..];
        } else {
            text.push(char::from(b));
            rest = tail;
        }
    }
    let text = text.to_lowercase();
    NON_PASSWORDS.iter().any(|w| w.to_lowercase() == text)
}

/// `PasswordRANGE0`, `_@@_FILE0_@@_`: patator's keywords, which it replaces with each value of a
/// range or word list (and its `_@@_` encoding marks); a brute-force run's template.
fn is_brute_force_template(value: &[u8]) -> bool {
    memchr::memmem::find(value, b"_@@_").is_some()
        || [&b"RANGE"[..], b"FILE", b"NET", b"COMBO", b"PROG"]
            .iter()
            .any(|k| {
                memchr::memmem::find_iter(value, k)
                    .any(|i| value.get(i + k.len()).is_some_and(u8::is_ascii_digit))
            })
}

/// `ATTk589914`: an Active Directory attribute's column in NTDS.dit's ESE tables (`ATT`, the
/// syntax letter, the attribute id), as secretsdump maps `unicodePwd` to its column.
fn is_ese_column_id(value: &[u8]) -> bool {
    value.len() >= 9
        && value.len() <= 14
        && value.starts_with(b"ATT")
        && value[3].is_ascii_alphabetic()
        && value[4..].iter().all(u8::is_ascii_digit)
}

/// `C:\windows\system32`: a Windows path, in a variable named `_pwd` (the working directory).
fn is_windows_path(value: &[u8]) -> bool {
    value.len() >= 4
        && value[0].is_ascii_alphabetic()
        && value[1] == b':'
        && value[2] == b'\\'
        && value[3..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'\\' | b'_' | b'-' | b'.' | b' '))
}

/// `?attr/primary_field_03`, `@color/accent`: an Android resource reference, as a layout
/// styles its `passwordToggleTint`; the value is looked up in the theme, it is no literal.
fn is_android_resource_reference(value: &[u8]) -> bool {
    let Some(rest) = value
        .strip_prefix(b"?")
        .or_else(|| value.strip_prefix(b"@"))
    else {
        return false;
    };
    let rest = rest.strip_prefix(b"android:").unwrap_or(rest);
    let rest = rest.strip_prefix(b"+").unwrap_or(rest);
    const TYPES: &[&[u8]] = &[
        b"attr/",
        b"color/",
        b"string/",
        b"drawable/",
        b"dimen/",
        b"style/",
        b"id/",
        b"mipmap/",
        b"layout/",
        b"integer/",
        b"bool/",
        b"array/",
        b"font/",
        b"raw/",
        b"xml/",
        b"anim/",
    ];
    TYPES.iter().any(|t| {
        rest.strip_prefix(*t).is_some_and(|name| {
            !name.is_empty()
                && name
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
        })
    })
}

/// `percona-server-server-5.7/root-pass`, `mysql-server/root_password_again`: a debconf
/// question's name, which a Salt state or a Dockerfile puts in a `debconf_root_password`
/// variable before it feeds `debconf-set-selections` the answer.
fn is_debconf_question(value: &[u8]) -> bool {
    let Some(slash) = memchr::memrchr(b'/', value) else {
        return false;
    };
    let (package, question) = (&value[..slash], &value[slash + 1..]);
    let lower = question.to_ascii_lowercase();
    !package.is_empty()
        && package.iter().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'/')
        })
        && question
            .iter()
            .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_'))
        && (memchr::memmem::find(&lower, b"pass").is_some()
            || memchr::memmem::find(&lower, b"pwd").is_some())
}

/// True when a password rule's value looks like a password someone typed: not a
/// reference (`$DB_PASS`, `%PASSWORD%`, `#{...}`, `process.env.X`), a selector or anchor
/// (`#login-form`), a path, an ARN, punctuation only, or a format string,
/// not masked (`******`) and not one of [`NON_PASSWORDS`]. Unlike [`is_generic_literal`],
/// plain words pass: `blooberry` is a password when it is assigned to one.
/// `literal`: the value sits where only a literal can (see `RuleDef::literal`), so an
/// identifier-shaped value is a password, not a variable.
pub fn is_password_value(value: &[u8], literal: bool) -> bool {
    if let Some(inner) = without_escaped_quotes(value) {
        return is_password_value(inner, literal);
    }
    // `password: "Optional[NonPaginatableList[Field]]"`: a Python type hint, quoted.
    if value.ends_with(b"]")
        && let Some(open) = memchr::memchr(b'[', value)
        && open > 2
        && value[0].is_ascii_uppercase()
        && value[..open].iter().all(u8::is_ascii_alphabetic)
        && value[open..].iter().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'[' | b']' | b',' | b' ' | b'_' | b'.')
        })
    {
        return false;
    }
    // `10300-password`: a form widget's id, its number and the field.
    if let Some(digits) = value.iter().position(|b| !b.is_ascii_digit())
        && digits >= 2
        && matches!(value[digits], b'-' | b'_')
        && [&b"password"[..], b"passwd", b"pass", b"pwd"]
            .iter()
            .any(|w| value[digits + 1..].eq_ignore_ascii_case(w))
    {
        return false;
    }
    // `{foo;bar}`, `foo{bar`: the metasyntactic words around a connection string's quoting
    // characters, as a driver's README shows how it escapes a password (`foobar` alone is a
    // password tests set).
    if value.iter().any(|b| matches!(b, b'{' | b'}' | b';')) {
        let letters: Vec<u8> = value
            .iter()
            .filter(|b| b.is_ascii_alphanumeric())
            .map(u8::to_ascii_lowercase)
            .collect();
        if matches!(letters.as_slice(), b"foobar" | b"foobarbaz" | b"barfoo") {
            return false;
        }
    }
    // `http://foo%3a:bar%3a@[::1]` (a URL parser's test): a percent-escape after a
    // metasyntactic word, which lifts it over the entropy floor that stops `bar`. An escape
    // inside the word (`b%3Dar`, Symfony's proxy test) makes a password.
    let mut word = value;
    while let [rest @ .., b'%', h1, h2] = word
        && h1.is_ascii_hexdigit()
        && h2.is_ascii_hexdigit()
    {
        word = rest;
    }
    if word.len() < value.len()
        && [&b"foo"[..], b"bar", b"baz", b"qux"]
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w))
    {
        return false;
    }
    if is_attack_technique_id(value)
        || is_debconf_question(value)
        || is_android_resource_reference(value)
        || is_brute_force_template(value)
        || is_ese_column_id(value)
        || is_windows_path(value)
        || is_scrypt_container(value)
        || is_printed_java_object(value)
        || is_option_assignment(value)
        || is_library_file_name(value)
        || is_encrypted_marker(value)
        || is_octet_string(value)
        || is_tagged_pbkdf2(value)
        || value
            .strip_prefix(b"\\")
            .is_some_and(|v| is_phc_hash(&unescape_dollars(v)))
        || is_credential_constant_name(value)
        || is_password_attribute_name(value)
        || is_type_or_symbol(value)
        || is_sigv4_algorithm(value)
    {
        return false;
    }
    let Some(&first) = value.first() else {
        return false;
    };
    if matches!(
        first,
        b'$' | b'%'
            | b'{'
            | b'['
            | b'('
            | b')'
            | b','
            | b'@'
            | b'&'
            | b'*'
            | b'+'
            | b'/'
            | b'\\'
            | b'#'
    ) || value.starts_with(b"arn:")
        // ``` ``bool`` ```: a reStructuredText or Markdown inline literal (`:type password:
        // ``bool```), whose outer backticks the rule took as the quotes.
        || value
            .strip_prefix(b"`")
            .filter(|v| v.ends_with(b"`"))
            // One closing backtick, or both of the pair when the value ran on.
            .map(|v| v.strip_suffix(b"``").unwrap_or(&v[..v.len() - 1]))
            .is_some_and(|name| {
                !name.is_empty()
                    && name
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
            })
        || !value.iter().any(u8::is_ascii_alphanumeric)
        || value.starts_with(b"./")
        || value.starts_with(b"../")
        || value.starts_with(b"~/")
        || value.last() == Some(&b'+')
        || value
            .iter()
            .all(|&b| b == b'*' || b == b'x' || b == b'X' || b == b'#')
        // `nacos_config[`, `os.getenv(`: an identifier cut at its index or call, as a value
        // rule's character set stops before the quote or the argument.
        || value.strip_suffix(b"[").or_else(|| value.strip_suffix(b"(")).is_some_and(|name| {
            !name.is_empty()
                && name
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
        })
    {
        return false;
    }
    if value
        .windows(2)
        .any(|w| w[0] == b'%' && matches!(w[1], b's' | b'd' | b'v' | b'q'))
    {
        return false;
    }
    // `password='crypt(1)'`: a manual page named where the value would go (`crypt(3)`,
    // `passwd(5)`), as scripts that set a hash write in their templates.
    if let Some(name) = value.strip_suffix(b")").and_then(|v| {
        let open = v.iter().rposition(|&b| b == b'(')?;
        let section = &v[open + 1..];
        (matches!(section.len(), 1 | 2)
            && section[0].is_ascii_digit()
            && section[1..].iter().all(u8::is_ascii_lowercase))
        .then_some(&v[..open])
    }) && !name.is_empty()
        && name
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
    {
        return false;
    }
    // A Django hash (`md5$<salt>$<hex>` in a fixture's `password` field) is not the password;
    // the hash rules judge it.
    if is_relative_module(value)
        || is_sops_value(value)
        || is_django_hash(value)
        || names_a_digest(value)
        // 128 hex digits: a SHA-512 digest, as user tables store passwords; nobody types one.
        || (value.len() == 128 && value.iter().all(u8::is_ascii_hexdigit))
        || is_sized_sql_type(value)
        || UNATTEND_PASSES.iter().any(|p| p.as_bytes() == value)
    {
        return false;
    }
    // `Pass$RANDOM$RANDOM`, `pw-$HOSTNAME`: a shell or Compose variable expanded into the
    // value, which is built at run time. Capitals and `_` only, three or more: a password's
    // own `$` is followed by anything (`Pe4cock$`, `va$27dC}`).
    if memchr::memchr_iter(b'$', value).any(|i| {
        let name = value[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_uppercase() || **b == b'_')
            .count();
        name >= 3
            && value
                .get(i + 1 + name)
                .is_none_or(|b| !b.is_ascii_lowercase() && !b.is_ascii_digit())
    }) {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    if REFERENCE_MARKERS
        .iter()
        .any(|m| memchr::memmem::find(&lower, m.as_bytes()).is_some())
    {
        return false;
    }
    // A value that says it is fake, or names the field in identifier or path style without a
    // digit (`IAMUserChangePassword`, `new_password`, `sites/passwords#edit`), describes a
    // password instead of being one. Plain lower-case words (`thisismypassword`, `rootpasswd`)
    // are weak passwords people really set, and so is `UserPassword123`.
    let has = |w: &[u8]| memchr::memmem::find(&lower, w).is_some();
    let names_field = (has(b"passw") || has(b"passphrase"))
        && !value.iter().any(u8::is_ascii_digit)
        && !value.iter().all(u8::is_ascii_lowercase);
    // `6WUpex+VZiN05LXu||joWJMuoS…`: NiFi's protected (encrypted) property value, IV `||`
    // ciphertext; `a || b` in code.
    if has(b"||") {
        return false;
    }
    // `$(...)` (shell and PowerShell command substitution) and `#{...}` (Ruby interpolation)
    // build the value at run time: what is in the file is not the password.
    // `passdb/%u`: a Dovecot or Postfix lookup key, where `%u` and `%{user}` stand for the
    // user; a path segment that is only such a variable is a template, not a password.
    let lookup_template = value.split(|&b| b == b'/').skip(1).any(|seg| {
        (seg.len() == 2 && seg[0] == b'%' && seg[1].is_ascii_alphabetic())
            || (seg.starts_with(b"%{") && seg.ends_with(b"}"))
    });
    let interpolated = has(b"$(") || (has(b"#{") && has(b"}")) || lookup_template;
    // ``123`,r.confirm=`123`` in minified JavaScript: the quotes took in code between two
    // template literals.
    let code = value.contains(&b'`') && value.iter().any(|b| b",=();+".contains(b));
    // `drwxr-xr-x`: a file mode in a listing.
    let file_mode = value.len() == 10 && value.iter().all(|b| b"drwxsStTl-".contains(b));
    // `CURRENT`, `PENDING`: an enum value in capitals.
    let enum_word = value.len() >= 4 && value.iter().all(u8::is_ascii_uppercase);
    // `password: "short"`, `password: "stale"`: the case a validation test covers, named. Not
    // "wrong" or "newpassword": tests log in with those, and they are labelled test passwords.
    let test_case = TEST_CASE_WORDS.iter().any(|w| w.as_bytes() == value);
    // `pass: 'normal'`: the status a progress bar shows for a strength level (Ant Design's
    // `normal`, `exception`), not a password.
    let status_word = STATUS_WORDS.iter().any(|w| w.as_bytes() == value);
    // `passwordWeak: 'is-weak'`: a CSS state class (`is-`/`has-` and words), as a strength
    // meter maps its levels to styles.
    // `'pass': 'fa-play'`: a Font Awesome icon class, as status maps pair words with icons.
    let state_class = [&b"is-"[..], b"has-", b"fa-"].iter().any(|p| {
        value.strip_prefix(*p).is_some_and(|rest| {
            !rest.is_empty() && rest.iter().all(|b| b.is_ascii_lowercase() || *b == b'-')
        })
    });
    // `30..52`: an Elixir or Ruby range.
    let range = value
        .split(|&b| b == b'.')
        .filter(|p| !p.is_empty())
        .all(|p| p.iter().all(u8::is_ascii_digit))
        && memchr::memmem::find(value, b"..").is_some()
        && value.first().is_some_and(u8::is_ascii_digit)
        && value.last().is_some_and(u8::is_ascii_digit);
    // `C:/foo/bar`, `C:\\Users`: a Windows path.
    let windows_path = value.len() > 3
        && value[0].is_ascii_alphabetic()
        && value[1] == b':'
        && matches!(value[2], b'/' | b'\\');
    // `6.hours`, `2.days.ago`: a method called on a number (Ruby durations), not a literal.
    let number_call = {
        let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
        digits > 0
            && value.get(digits) == Some(&b'.')
            && value[digits + 1..]
                .iter()
                .all(|b| b.is_ascii_lowercase() || matches!(b, b'_' | b'.'))
            && value.len() > digits + 1
    };
    // `!!result.session.active`, `!enabled`: a negated expression, not a literal.
    let negated = is_negated_expression(value);
    // `pbkdf2_sha256$870000$…`: a Django password hash (its own rule reports it), not the
    // password.
    if [&b"pbkdf2_"[..], b"argon2$", b"bcrypt_sha256$", b"scrypt$"]
        .iter()
        .any(|p| value.starts_with(p))
    {
        return false;
    }
    if is_tagged_digest(value) {
        return false;
    }
    // `'passphrase='.urlencode($x)`: the string ended, and PHP or JavaScript concatenates a
    // call or a variable to it.
    if value.len() > 1
        && value[0] == b'.'
        && (value[1].is_ascii_alphabetic() || value[1] == b'$')
        && value.iter().any(|b| matches!(b, b'(' | b'$'))
    {
        return false;
    }
    // `"password": "PASSWORD=21"`: a mock's value that echoes its own field and a number, so
    // a test can tell which field went where.
    if let Some(eq) = memchr::memchr2(b'=', b':', value)
        && value[..eq].eq_ignore_ascii_case(b"password")
        && eq + 1 < value.len()
        && value[eq + 1..].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    // `v2.Password`, `keystoneclient.auth.identity.v3:Password` (an entry point): code.
    let entry_point = value.iter().filter(|&&b| b == b':').count() == 1
        && value.split(|&b| b == b':').all(is_member_access_or_name);
    if is_member_access(value) || entry_point {
        return false;
    }
    // `^.{8,32}$`: the password policy's pattern; `0x115`: a number (an attribute id in C
    // headers); `keys/jira.pass`: the path of a key in a secret store or a file.
    // `password= database=`: an empty setting, and the next one's name.
    let next_setting = value.len() > 1
        && value.ends_with(b"=")
        && value[..value.len() - 1]
            .iter()
            .all(|b| b.is_ascii_lowercase() || *b == b'_');
    // `]]..passphrase..[[`: Lua long strings closed around a concatenation.
    if next_setting
        || value.starts_with(b"]]..")
        || value.ends_with(b"..[[")
        || is_anchored_pattern(value)
        || is_hex_literal(value)
        || is_plain_relative_path(value)
        || is_oid(value)
    {
        return false;
    }
    // `urn:k8s:secret:redis:password`: a reference to where the password is. `Wachtwoord:`,
    // `PIN码：`: a form label (ASCII or full-width colon), as translation files hold them.
    if value.starts_with(b"urn:")
        || is_version(value)
        || value.ends_with(b":")
        || value.ends_with("\u{ff1a}".as_bytes())
    {
        return false;
    }
    // `yourapppassword`, `yourapikey`: "yours here", written as one word.
    if lower.starts_with(b"your")
        && [&b"pass"[..], b"key", b"token", b"secret"]
            .iter()
            .any(|w| has(w))
    {
        return false;
    }
    // `myPassword`, `mySecret`: the documentation convention for "put yours here".
    let my_placeholder = value.starts_with(b"my")
        && value.get(2).is_some_and(u8::is_ascii_uppercase)
        && value.iter().all(u8::is_ascii_alphabetic);
    // `pm-19976-use-sdk-password-generators` (a feature flag), `password_hash_b64` (an error
    // code): three or more lower-case words, one of them naming the field, name the field.
    // `2.reset-password-key`, `existing-valid-key` likewise, in tests that fill key fields.
    let parts: Vec<&[u8]> = value.split(|&b| matches!(b, b'-' | b'_' | b'.')).collect();
    // `login.activation-link-expired`: a dotted translation or settings key.
    let dotted_key = value.contains(&b'.')
        && parts.len() >= 3
        && parts
            .iter()
            .all(|p| p.len() >= 2 && p.iter().all(u8::is_ascii_lowercase));
    let names_the_field = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts.iter().any(|p| {
            [
                &b"password"[..],
                b"passwd",
                // `ldap-bind-user-pwd`: a parameter's name (CloudBeaver's LDAP settings).
                b"pwd",
                b"passphrase",
                b"secret",
                b"hash",
                b"salt",
                b"token",
                b"key",
            ]
            .contains(p)
        });
    // `MAILER-WACHTWOORD`: a label in capitals, as translation files write field names.
    let caps_label = value.iter().any(|b| matches!(b, b'-' | b'_'))
        && value
            .iter()
            .all(|b| b.is_ascii_uppercase() || matches!(b, b'-' | b'_'))
        && value.iter().filter(|b| b.is_ascii_uppercase()).count() >= 6;
    // `CLIENT_SECRET` in `-p CLIENT_SECRET`: a constant's name standing for the value.
    let names_constant = caps_label
        || is_constant_name(value)
            && [b"secret".as_slice(), b"pass", b"pwd", b"token", b"key"]
                .iter()
                .any(|w| has(w));
    // `パスワードは8文字以上にしてください`: a sentence in a translation file; `CLI密码`: a
    // label holding the word "password" of another language.
    // `App-adgangskode`, `Nytt passord`: a label holding the word "password" of another
    // language, written in ASCII; such labels carry no digit.
    let translated_label = !value.iter().any(u8::is_ascii_digit)
        && TRANSLATED_PASSWORD_WORDS.iter().any(|w| has(w.as_bytes()));
    let sentence = translated_label
        || !value.is_ascii() && {
            let text = String::from_utf8_lossy(value);
            let letters = text
                .chars()
                .filter(|c| !c.is_ascii() && c.is_alphabetic())
                .count();
            letters * 2 >= text.chars().count()
                || NON_PASSWORDS
                    .iter()
                    .any(|w| !w.is_ascii() && text.contains(w))
        };
    if has(b"fake")
        || names_field
        || names_the_field
        || dotted_key
        || interpolated
        || number_call
        || negated
        || code
        || names_constant
        || sentence
        || my_placeholder
        || is_self_describing_password(&lower)
        || is_refused_password(value)
        || is_described_value(&lower)
        // `Password1`, capitalised to pass a complexity rule, is the weak password people set
        // (pen-testing tools' add-computer examples); `password1` in lower case is a slot.
        || (is_numbered_slot(&lower)
            && !(lower.starts_with(b"pass") && value.iter().any(u8::is_ascii_uppercase)))
        // `"change_password": "1/m/user"`: a rate limit on the password form.
        || is_rate(value)
        || file_mode
        || enum_word
        || test_case
        || status_word
        || state_class
        || range
        || windows_path
    {
        return false;
    }
    // A type in an annotation or schema (`password: String!`, `password?: Maybe<...>`, or
    // `` `str` `` in a docstring) is compared without its nullability marks and backticks.
    let bare = lower.trim_ascii_end();
    let bare = bare
        .strip_prefix(b"`")
        .and_then(|b| b.strip_suffix(b"`"))
        .unwrap_or(bare);
    // `-keypass value.` in a sentence: the word and its full stop; `(a -password suffix).`,
    // `` `keyPassword: string;`. ``: the statement, code span and parenthesis closed before it.
    let mut bare = bare;
    while let Some((last, rest)) = bare.split_last()
        && matches!(last, b'!' | b'?' | b'.' | b',' | b';' | b')' | b'`')
    {
        bare = rest;
    }
    !NON_PASSWORDS.iter().any(|w| w.as_bytes() == bare)
        && !unescapes_to_non_password(bare)
        && !is_rule_list(value)
        && !is_attribute_selector(value)
        && !is_label_word(value)
        && !is_pascal_case_type(value)
        && !is_timestamp(value)
        && (literal || !is_identifier_shaped(value))
        && !is_email_address(value)
}

/// `supersecurepw`, `wrongpassword`, `supersecret`: lower-case words that only qualify the
/// field's own name — "strong", "wrong", "some" — as documentation and API examples write
/// "put a good one here". Weak passwords people set name something else (`rootpasswd`,
/// `testpass`, `hunter`), so only these qualifiers count. `mypassword` and `mypass` are left
/// to the password rules: other scanners' test suites count them as passwords, and real
/// configurations do set them; `mysuperpass` is "mine" and a qualifier, and is not.
pub(crate) fn is_self_describing_password(lower: &[u8]) -> bool {
    const FIELD: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"passphrase",
        b"pass",
        b"pwd",
        b"pw",
        b"secret",
        // `some-token` in `https://git:some-token@github.com`: a token's slot, said as words.
        b"token",
    ];
    const QUALIFIERS: &[&[u8]] = &[
        b"your",
        b"our",
        b"the",
        b"some",
        b"super",
        b"secure",
        b"strong",
        b"very",
        b"top",
        b"secret",
        b"wrong",
        // `falsepassword`: the one a test expects a login to refuse.
        b"false",
        b"bad",
        // `hashedpassword`: a mock user's stored hash, named.
        b"hashed",
        b"incorrect",
        b"invalid",
        b"dummy",
        b"sample",
        b"example",
        b"fake",
        // `thisisnotapassword`, `ihaveremovedthepassword`: a sentence about the field. Not
        // "my" after the start: the public set labels `thisismypassword` a password.
        b"this",
        b"is",
        b"not",
        b"a",
        b"i",
        b"have",
        b"removed",
        // `somelongandcomplicatedpassword`, `somethingsecret`: documentation asking for one.
        b"something",
        b"long",
        b"and",
        b"complicated",
        b"complex",
        // `notasecreteither`: a second one, said the same way; `trywithwrongpass`: a test's
        // refused login, said in words.
        b"either",
        b"try",
        b"with",
        // `makesurepasswordissecure`: an instruction to choose one.
        b"make",
        b"sure",
        // `reallysecurepasswordstringhere`: where one goes.
        b"really",
        b"string",
        b"here",
        b"goes",
        // `urlencodedpassword`: a parser test's slot for one that needs escaping.
        b"urlencoded",
        b"encoded",
        // `userpassword`, `authpassword`, `readonlypass`, `randompass`, `dbpassword`: whose or
        // which password the slot takes (labelled false 40 times to 5 over the real-code sets;
        // `dbpassword` and `dbpass` 10 to none over sets JL to MA, the trees on this machine).
        b"db",
        b"user",
        b"auth",
        b"readonly",
        b"random",
        // `definitely-wrong`: a refused one, told apart from the right one.
        b"definitely",
        b"also",
    ];
    // `wrongpin`, `wrongotp`, `wrongvalue`: what a two-factor test sends to be refused. Only
    // with a refusal word: `somepin` and `otppin` are PINs tests set.
    const REFUSED_FIELD: &[&[u8]] = &[b"pin", b"otp", b"value"];
    // `wrong_password2`: a refused one, numbered (one or two digits). A number after other
    // qualifiers makes a password people set (`supersecret1`).
    let digits = lower
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    // `notasecret2`: a denial, numbered, too.
    let refused = [&b"wrong"[..], b"incorrect", b"invalid", b"bad", b"not"]
        .iter()
        .any(|w| memchr::memmem::find(lower, w).is_some());
    let lower = if digits <= 2 && refused {
        &lower[..lower.len() - digits]
    } else {
        lower
    };
    // `wrong0`, `wrong1`: a test's refused passwords, numbered, with no field named.
    if digits > 0 && [&b"wrong"[..], b"incorrect", b"invalid"].contains(&lower) {
        return true;
    }
    // `super_secret`, `some-strong-pass`: the same words with separators.
    if lower.len() > 40
        || !lower
            .iter()
            .all(|b| b.is_ascii_lowercase() || matches!(b, b'_' | b'-'))
    {
        return false;
    }
    let joined: Vec<u8> = lower
        .iter()
        .copied()
        .filter(u8::is_ascii_lowercase)
        .collect();
    let lower = joined.as_slice();
    // `foouser:foopass@host`: the metasyntactic "foo" before the field, as connector docs fill
    // a URL, is "my" too (`passwordfoo`, a test's own, is not).
    let mine = lower
        .strip_prefix(b"my")
        .or_else(|| lower.strip_prefix(b"foo"));
    let lower = mine.unwrap_or(lower);
    if FIELD.contains(&lower) {
        return mine.is_some();
    }
    // `mydbpassword`, `myrootpass`: "my", what the password opens, and the field; the slot's
    // name in a README's example, run together. (Not `mysqlpassword`, MySQL's, a compose
    // file's default; not `myunencryptedpass`, a test's password that says how it is stored.)
    const OPENS: &[&[u8]] = &[
        b"db",
        b"database",
        b"root",
        b"admin",
        b"app",
        b"server",
        b"redis",
        b"mongo",
        b"postgres",
        b"smtp",
        b"mail",
        b"email",
        b"api",
        b"service",
        b"site",
        b"ftp",
        b"ldap",
        b"wifi",
        b"account",
        b"keystore",
        b"truststore",
        b"key",
        b"store",
    ];
    if mine.is_some()
        && [&b"password"[..], b"passwd", b"pass", b"pwd"]
            .iter()
            .any(|w| {
                lower
                    .strip_suffix(*w)
                    .is_some_and(|what| OPENS.contains(&what))
            })
    {
        return true;
    }
    // `changeadmin`, `changethis`: "change" and what to change, as `changeme` says it.
    if lower.strip_prefix(b"change").is_some_and(|what| {
        [
            &b"admin"[..],
            b"root",
            b"user",
            b"this",
            b"password",
            b"pass",
        ]
        .contains(&what)
    }) {
        return true;
    }
    // `serverpasswordhere`: "put the server's password here", run together.
    if let Some(head) = lower.strip_suffix(b"here")
        && [&b"password"[..], b"passwd", b"pass", b"secret", b"token"]
            .iter()
            .any(|w| head.ends_with(w))
    {
        return true;
    }
    // `thesilverpeaspassword`, `theadministratorpassword`: "the" and the field it fills, as
    // an image's documentation names each value it asks for.
    if lower.len() >= 12
        && lower.starts_with(b"the")
        && [&b"password"[..], b"passwd", b"secret", b"token"]
            .iter()
            .any(|w| lower.ends_with(w))
    {
        return true;
    }
    // Segmentation by dynamic programming: reach[i] says how the prefix of length i splits
    // (0 unreachable, 1 by qualifiers only, 2 with a field word among them).
    let mut reach = vec![0u8; lower.len() + 1];
    reach[0] = 1;
    for i in 0..lower.len() {
        if reach[i] == 0 {
            continue;
        }
        let refused_field: &[&[u8]] = if refused { REFUSED_FIELD } else { &[] };
        for (words, field) in [(FIELD, true), (refused_field, true), (QUALIFIERS, false)] {
            for w in words {
                if lower[i..].starts_with(w) {
                    let got = if field { 2 } else { reach[i] };
                    reach[i + w.len()] = reach[i + w.len()].max(got);
                }
            }
        }
    }
    // `definitely-wrong`: qualifiers alone, when one of them refuses.
    reach[lower.len()] == 2
        || (reach[lower.len()] == 1
            && [&b"wrong"[..], b"incorrect", b"invalid"]
                .iter()
                .any(|w| memchr::memmem::find(lower, w).is_some()))
}

/// `WrongPassword123!`, `NotThePassword1!`: a test's refused password, capitalised and given
/// digits and a symbol to pass the complexity check it must get past before being refused.
/// Only with a refusal word: `SuperSecret123!` is a password people set.
fn is_refused_password(value: &[u8]) -> bool {
    let letters = value.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let tail = &value[letters..];
    if letters < 8
        || tail.len() > 5
        || !tail
            .iter()
            .all(|b| b.is_ascii_digit() || b"!@#$%^&*?.".contains(b))
    {
        return false;
    }
    let lower = value[..letters].to_ascii_lowercase();
    [&b"wrong"[..], b"not", b"invalid", b"incorrect", b"bad"]
        .iter()
        .any(|w| lower.starts_with(w))
        && is_self_describing_password(&lower)
}

/// `token1`, `secret2`, `pass_10`, `value-2`: a slot word numbered, as documentation lists
/// `user1:token1`, `user2:token2`, CLI help shows `{"a":"secret1","b":"secret2"}` and ORM
/// tests fill row N with `"pass_N"`. `password1` and `password2` too: a test's first and second
/// user, or a form's mismatched pair (labelled false 32 times to 5 true in waves 46-49, where
/// the earlier sets had called it a password people set); `password12` stays one.
fn is_numbered_slot(lower: &[u8]) -> bool {
    let digits = lower
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    (1..=3).contains(&digits)
        && match &lower[..lower.len() - digits] {
            b"token" | b"secret" | b"apikey" | b"api_key" | b"key" => digits <= 2,
            // `value-2`: a test's second value for a Secret's key.
            b"value" | b"value-" | b"value_" => digits <= 2,
            // `pass123` is a weak password people set, not row 123.
            b"pass" | b"pwd" => digits == 1,
            b"password" | b"passwd" => digits == 1,
            // Net-SNMP's USM examples: `createUser usr-md5-des MD5 authkey1 DES privkey1`.
            b"authkey" | b"privkey" => digits == 1,
            b"pass_" | b"pwd_" => true,
            _ => is_numbered_slot_variable(lower),
        }
}

/// `api_key0`, `h2ogpt_key1`, `username1`: a variable of code (`api_key = api_key0`,
/// `password1 = username1`) named for what it holds and numbered, not a value. The number ends
/// the name here; [`is_numbered_variable`] takes names numbered inside (`srx2_pass`).
fn is_numbered_slot_variable(value: &[u8]) -> bool {
    let digits = value
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let stem = &value[..value.len() - digits];
    // `apns_token_1`: the number set off by a separator.
    let stem = stem.strip_suffix(b"_").unwrap_or(stem);
    (1..=2).contains(&digits)
        && stem
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && (matches!(stem, b"username" | b"user_name" | b"apikey")
            || [
                &b"_key"[..],
                b"_token",
                b"_secret",
                b"_apikey",
                b"_user",
                b"_username",
            ]
            .iter()
            .any(|w| stem.ends_with(w) && stem.len() > w.len()))
}

/// `01-unpwd-set.cpp`, `test_login.py`: one file name (no directory) with a source or
/// configuration extension.
fn is_source_file_name(value: &[u8]) -> bool {
    const EXTENSIONS: &[&[u8]] = &[
        b"c", b"cc", b"cpp", b"h", b"hpp", b"py", b"js", b"mjs", b"ts", b"tsx", b"jsx", b"go",
        b"rs", b"java", b"kt", b"php", b"rb", b"sh", b"pl", b"cs", b"swift", b"scala", b"lua",
    ];
    let Some(dot) = memchr::memrchr(b'.', value) else {
        return false;
    };
    let (stem, ext) = (&value[..dot], &value[dot + 1..]);
    stem.len() >= 2
        && stem
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        && stem.iter().any(u8::is_ascii_alphabetic)
        && EXTENSIONS.contains(&ext)
}

/// `0.5309473760000005`, `-12.25`, `1.5e-07`: a number with a fraction, as pytest's
/// `.test_durations` records each test's seconds under the test's name.
fn is_decimal_fraction(value: &[u8]) -> bool {
    let v = value.strip_prefix(b"-").unwrap_or(value);
    let (mantissa, exponent) = match memchr::memchr2(b'e', b'E', v) {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    let Some(dot) = memchr::memchr(b'.', mantissa) else {
        return false;
    };
    let (int, frac) = (&mantissa[..dot], &mantissa[dot + 1..]);
    !int.is_empty()
        && !frac.is_empty()
        && int.iter().all(u8::is_ascii_digit)
        && frac.iter().all(u8::is_ascii_digit)
        && exponent.is_none_or(|e| {
            let e = e
                .strip_prefix(b"-")
                .or_else(|| e.strip_prefix(b"+"))
                .unwrap_or(e);
            !e.is_empty() && e.iter().all(u8::is_ascii_digit)
        })
}

/// `60/minute`, `15/minute`, `1000/day`: a count per unit of time, as rate limiters are set.
fn is_rate(value: &[u8]) -> bool {
    let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
    // django-ratelimit's `1/m/ip`: the rate, then what it is counted by.
    let unit = value[digits..]
        .strip_prefix(b"/")
        .map(|rest| match memchr::memchr(b'/', rest) {
            Some(i)
                if rest[i + 1..]
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || *b == b'_') =>
            {
                &rest[..i]
            }
            _ => rest,
        });
    digits > 0
        && unit.is_some_and(|unit| {
            matches!(
                unit,
                b"s" | b"sec"
                    | b"second"
                    | b"m"
                    | b"min"
                    | b"minute"
                    | b"h"
                    | b"hour"
                    | b"d"
                    | b"day"
                    | b"week"
                    | b"month"
            )
        })
}

/// `db-value`, `secret_value`, `some-placeholder`: lower-case words whose last one says the
/// string stands for a value, as tests that check which of two sources won label theirs.
fn is_described_value(lower: &[u8]) -> bool {
    let mut words = lower.split(|&b| b == b'-' || b == b'_');
    let Some(last) = words.next_back() else {
        return false;
    };
    lower
        .iter()
        .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_'))
        && matches!(last, b"value" | b"placeholder")
        && words.next().is_some_and(|w| !w.is_empty())
}

/// `Contrasenya`, `Parool`, `Lozinka`: one capitalised word with no digit or symbol, the way
/// a form label or a translation of "Password" is written. Passwords people set have digits
/// or symbols, or are lower-case words.
fn is_label_word(value: &[u8]) -> bool {
    // The capital may be a letter outside ASCII (`Şifre`, `Пароль`).
    value.len() >= 4
        && (value[0].is_ascii_uppercase() || !value[0].is_ascii())
        && value[1..]
            .iter()
            .all(|&b| b.is_ascii_lowercase() || !b.is_ascii())
}

/// `URLPatternComponentResult`, `SecretString`: a PascalCase type name (two or more capitals,
/// letters only) in a type annotation.
fn is_pascal_case_type(value: &[u8]) -> bool {
    value.first().is_some_and(u8::is_ascii_uppercase)
        && value.iter().all(u8::is_ascii_alphabetic)
        && value.iter().filter(|b| b.is_ascii_uppercase()).count() >= 2
        && value.iter().any(u8::is_ascii_lowercase)
}

/// `required|string|min:8`: a validation rule list (Laravel, Rails-style), not a password.
fn is_rule_list(value: &[u8]) -> bool {
    // `'required|confirmed|' . $rule`: a list continued by concatenation ends in `|`.
    let list = value.strip_suffix(b"|").unwrap_or(value);
    let rule_name = |rule: &[u8]| {
        let name = rule.split(|&b| b == b':').next().unwrap_or_default();
        !name.is_empty() && name.iter().all(|b| b.is_ascii_lowercase() || *b == b'_')
    };
    // One sized rule on its own: `min:5`, `max:191`, `between:8,64`.
    let sized = |rule: &[u8]| {
        rule.iter().position(|&b| b == b':').is_some_and(|colon| {
            rule_name(&rule[..colon])
                && colon + 1 < rule.len()
                && rule[colon + 1..]
                    .iter()
                    .all(|b| b.is_ascii_digit() || *b == b',')
        })
    };
    // One conditional rule on its own: `required_unless:mail_driver,log`,
    // `required_if:auth,basic`: Laravel's rule, the field it depends on and its values.
    let conditional = |rule: &[u8]| {
        rule.iter().position(|&b| b == b':').is_some_and(|colon| {
            let name = &rule[..colon];
            [
                "required_",
                "exclude_",
                "prohibited_",
                "present_",
                "missing_",
            ]
            .iter()
            .any(|p| name.starts_with(p.as_bytes()))
                && rule_name(name)
                && colon + 1 < rule.len()
                && rule[colon + 1..]
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.,".contains(b))
        })
    };
    (value.contains(&b'|') && list.split(|&b| b == b'|').all(rule_name))
        || sized(value)
        || conditional(value)
}

/// Passwords everyone tries first, whose digests user-table fixtures store.
const COMMON_PASSWORDS: &[&str] = &[
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "111111",
    "000000",
    "654321",
    "666666",
    "888888",
    "11111111",
    "88888888",
    "123123",
    "abc123",
    "a123456",
    "123abc",
    "abcd1234",
    "abcdef",
    "aaaaaa",
    "123qwe",
    "1q2w3e4r",
    "qwerty",
    "qwerty123",
    "password",
    "password1",
    "password123",
    "Password",
    "Password1",
    "Password123",
    "passw0rd",
    "p@ssw0rd",
    "pass",
    "admin",
    "admin123",
    "Admin123",
    "admin888",
    "root",
    "toor",
    "test",
    "test123",
    "testing",
    "secret",
    "letmein",
    "welcome",
    "iloveyou",
    "monkey",
    "dragon",
    "master",
    "guest",
    "user",
    "demo",
    "changeme",
    "hello",
    "helloworld",
    "foo",
    "bar",
    "foobar",
];

/// `25d55ad283aa400af464c76d713c07ad` (MD5 of `12345678`) as a fixture user's `password`: the
/// MD5, SHA-1 or SHA-256 hex digest of a password everyone tries. What the row stores is the
/// hash, and the password behind it is public knowledge; a hex value that is no such digest
/// may be a hex password or token and stays a candidate.
pub fn is_digest_of_common_password(value: &[u8]) -> bool {
    use sha2::Digest as _;
    static DIGESTS: std::sync::OnceLock<std::collections::HashSet<Vec<u8>>> =
        std::sync::OnceLock::new();
    // MySQL prints its native password hash with a `*` before the hex.
    let value = value.strip_prefix(b"*").unwrap_or(value);
    if !matches!(value.len(), 32 | 40 | 64) || !value.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let digests = DIGESTS.get_or_init(|| {
        COMMON_PASSWORDS
            .iter()
            .flat_map(|p| {
                let p = p.as_bytes();
                [
                    md5::Md5::digest(p).to_vec(),
                    sha1::Sha1::digest(p).to_vec(),
                    // MySQL's `mysql_native_password`: SHA-1 of the SHA-1 (`PASSWORD('admin')`,
                    // as Canal's and other tools' configs store their admin password).
                    sha1::Sha1::digest(sha1::Sha1::digest(p)).to_vec(),
                    sha2::Sha256::digest(p).to_vec(),
                ]
            })
            .collect()
    });
    // The NT and LM hashes of the empty password, which tools print for accounts without one
    // and pass as the "old hash" of a password change.
    value.eq_ignore_ascii_case(b"31d6cfe0d16ae931b73c59d7e0c089c0")
        || value.eq_ignore_ascii_case(b"aad3b435b51404eeaad3b435b51404ee")
        || crate::findings::unhex(value).is_some_and(|bytes| digests.contains(&bytes))
}

/// `e.length?new`, `opts.token?opts`: a member access and `?`, the start of a conditional
/// expression in minified JavaScript.
fn is_conditional_expression(value: &[u8]) -> bool {
    let Some(q) = memchr::memchr(b'?', value) else {
        return false;
    };
    let head = &value[..q];
    head.contains(&b'.')
        && head.split(|&b| b == b'.').all(|p| {
            p.first()
                .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'$'))
                && p.iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$'))
        })
        && value[q + 1..].first().is_some_and(u8::is_ascii_alphabetic)
}

/// `space/2019/12/10/3f9c…`: where an object is stored (an attachment's `token` in
/// APITable's metadata): lower-case words or numbers, then a name. A token's base64 mixes
/// cases in every segment.
fn is_object_path(value: &[u8]) -> bool {
    if memchr::memchr_iter(b'/', value).count() < 3 {
        return false;
    }
    let segments: Vec<&[u8]> = value.split(|&b| b == b'/').collect();
    segments.len() >= 4
        && segments[..segments.len() - 1].iter().all(|s| {
            !s.is_empty()
                && (s.iter().all(u8::is_ascii_digit)
                    || s.iter()
                        .all(|b| b.is_ascii_lowercase() || *b == b'-' || *b == b'_'))
        })
        && segments[..segments.len() - 1]
            .iter()
            .filter(|s| s.iter().all(u8::is_ascii_digit))
            .count()
            >= 2
}

/// `Convert-Base64ToCredentials`, `Get-StoredCredential`: a PowerShell command (an approved
/// verb, a dash, a PascalCase noun), the call that yields the value.
fn is_powershell_command(value: &[u8]) -> bool {
    let Some(dash) = memchr::memchr(b'-', value) else {
        return false;
    };
    let (verb, noun) = (&value[..dash], &value[dash + 1..]);
    [
        &b"Get"[..],
        b"Set",
        b"New",
        b"Convert",
        b"ConvertTo",
        b"ConvertFrom",
        b"Read",
        b"Import",
        b"Export",
        b"Invoke",
        b"Add",
        b"Remove",
        b"Resolve",
    ]
    .contains(&verb)
        && noun.len() >= 4
        && noun[0].is_ascii_uppercase()
        && noun.iter().all(u8::is_ascii_alphanumeric)
        && noun.iter().skip(1).any(u8::is_ascii_lowercase)
}

/// `quay.io/airshipit/keystone:2025.1-ubuntu_jammy`, `ghcr.io/org/app@sha256:…`: a container
/// image on a registry (a host with a dot or a port first), as a chart names the image of its
/// `keystone_credential_setup` job.
fn is_image_reference(value: &[u8]) -> bool {
    let Some(slash) = memchr::memchr(b'/', value) else {
        return false;
    };
    let host = &value[..slash];
    let path = &value[slash + 1..];
    let (repo, tagged) = match memchr::memrchr(b'@', path).or_else(|| memchr::memrchr(b':', path)) {
        Some(at) => (&path[..at], &path[at + 1..]),
        None => return false,
    };
    host.contains(&b'.')
        && host.iter().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b':')
        })
        && host.last().is_some_and(u8::is_ascii_alphanumeric)
        && !repo.is_empty()
        && repo.iter().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'/')
        })
        && !tagged.is_empty()
        && tagged
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
}

/// `openstackclient.identity.v3.ec2creds:CreateEC2Creds`: a Python entry point (a dotted
/// module, a colon, an object in it), as `pyproject.toml` maps a command named after
/// credentials to the class that implements it.
fn is_entry_point(value: &[u8]) -> bool {
    let Some(colon) = memchr::memchr(b':', value) else {
        return false;
    };
    let (module, object) = (&value[..colon], &value[colon + 1..]);
    module.contains(&b'.')
        && module.split(|&b| b == b'.').all(|p| {
            p.first()
                .is_some_and(|b| b.is_ascii_lowercase() || *b == b'_')
                && p.iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        })
        && object
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && object
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
}

/// `!encrypted/pkcs1-oaep` (a Zuul secret), `!vault` (Ansible), `$/aes-192-cbc:<iv>:<data>`
/// (ioBroker): the tag or prefix of an encrypted value, whose ciphertext opens nothing
/// without the key kept elsewhere.
fn is_encrypted_marker(value: &[u8]) -> bool {
    // `2.<iv>|<data>|<mac>`: a Bitwarden encrypted string (type 2, AES-CBC with HMAC), as
    // vault items and their API examples hold every field.
    let bitwarden = value.len() > 2
        && value[0].is_ascii_digit()
        && value[1] == b'.'
        && value[2..].split(|&b| b == b'|').count() == 3
        && value[2..].split(|&b| b == b'|').all(|p| {
            p.len() >= 16
                && p.iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        });
    bitwarden
        || value.starts_with(b"!encrypted/")
        || value == b"!vault"
        || value.strip_prefix(b"$/aes-").is_some_and(|rest| {
            let mut parts = rest.split(|&b| b == b':');
            parts
                .next()
                .is_some_and(|mode| mode.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-'))
                && parts
                    .next()
                    .is_some_and(|iv| iv.len() >= 16 && iv.iter().all(u8::is_ascii_hexdigit))
        })
}

/// `javax.swing.plaf.ActionMapUIResource@5e9f23b4`: what Java's `Object.toString()` prints, a
/// package-qualified class and the object's hash code in hex, as a dump of UI defaults lists
/// under `PasswordField.*` keys.
fn is_printed_java_object(value: &[u8]) -> bool {
    let Some(at) = memchr::memrchr(b'@', value) else {
        return false;
    };
    let (class, hash) = (&value[..at], &value[at + 1..]);
    (1..=8).contains(&hash.len())
        && hash.iter().all(u8::is_ascii_hexdigit)
        && class.first().is_some_and(u8::is_ascii_lowercase)
        && class.split(|&b| b == b'.').count() >= 3
        && class.split(|&b| b == b'.').all(|p| {
            !p.is_empty()
                && p.iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$'))
        })
        && class
            .rsplit(|&b| b == b'.')
            .next()
            .is_some_and(|c| c[0].is_ascii_uppercase())
}

/// `--account=good_account`: a command-line option and its argument, as a table of test cases
/// keys the arguments that should pass (`"pass": …`) and fail.
fn is_option_assignment(value: &[u8]) -> bool {
    value.strip_prefix(b"--").is_some_and(|rest| {
        let name = rest
            .iter()
            .take_while(|b| b.is_ascii_lowercase() || **b == b'-')
            .count();
        // `--pwdscheme`: the option alone, as a console maps attributes to its flags.
        name >= 2 && (rest.get(name) == Some(&b'=') || (name >= 4 && name == rest.len()))
    })
}

/// `passwordstoragescheme`, `passwordmustchange`: a password-policy attribute's name (389
/// Directory Server's `password*` attributes), lower-cased as LDAP tools and mappings write
/// them: the word and more words, no digit.
fn is_password_attribute_name(value: &[u8]) -> bool {
    value.len() >= 14
        && (value.starts_with(b"password") || value.starts_with(b"passwd"))
        && value.iter().all(u8::is_ascii_lowercase)
}

/// `libSciTokens.so.0`, `libcrypto-3-x64.dll`, `libssl.dylib`: a shared library's file name, as
/// C code names the one it loads (`#define LIBSCITOKENS_SO "…"`).
fn is_library_file_name(value: &[u8]) -> bool {
    if !value
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"lib"))
    {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    lower.starts_with(b"lib")
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+'))
        && (memchr::memmem::find(&lower, b".so").is_some_and(|at| {
            lower[at + 3..]
                .iter()
                .all(|b| b.is_ascii_digit() || *b == b'.')
        }) || lower.ends_with(b".dll")
            || lower.ends_with(b".dylib"))
}

/// `$5$salt$hash` written `\$5\$salt\$hash` (a shell or JavaScript string escaping its `$`),
/// without the backslashes.
fn unescape_dollars(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'\\' && value.get(i + 1) == Some(&b'$') {
            i += 1;
        }
        out.push(value[i]);
        i += 1;
    }
    out
}

/// `::String`, `::Integer?` (RBS type signatures, `password: ::String`), `:unset` (a Ruby
/// symbol as a keyword argument's default), `XmlStringMaxLen256`, `__stringMin1Max64PatternS`
/// (AWS API shape names filling generated request syntax): a type, not a value.
fn is_type_or_symbol(value: &[u8]) -> bool {
    let ident = |v: &[u8]| {
        v.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && v.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'?' | b':'))
    };
    value
        .strip_prefix(b"::")
        .is_some_and(|t| t.first().is_some_and(u8::is_ascii_uppercase) && ident(t))
        || value.strip_prefix(b":").is_some_and(|t| {
            t.first().is_some_and(u8::is_ascii_lowercase) && ident(t) && !t.contains(&b':')
        })
        || ((value.starts_with(b"__string") || value.starts_with(b"XmlString"))
            && value
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_'))
}

/// `AWS4-HMAC-SHA256`, `AWS4-ECDSA-P256-SHA256`: a Signature Version 4 request's algorithm,
/// where an `Authorization:` header with no blank after its colon puts the token.
fn is_sigv4_algorithm(value: &[u8]) -> bool {
    value.starts_with(b"AWS4-HMAC-SHA256") || value.starts_with(b"AWS4-ECDSA-P256-SHA256")
}

/// `private-key2.key`, `server.pem`, `client.p12`: the name of the file that holds a key.
fn is_key_file_name(value: &[u8]) -> bool {
    [
        &b".key"[..],
        b".pem",
        b".crt",
        b".p12",
        b".pfx",
        b".jks",
        b".keystore",
    ]
    .iter()
    .any(|ext| {
        value.len() > ext.len() + 1 && value[value.len() - ext.len()..].eq_ignore_ascii_case(ext)
    }) && value
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// `AWS_SECRETE_ACCESS_KEY`, `SMTP_PASSWORD`: a constant's name in capitals, naming a
/// credential, written where the value goes (monit's `password "AWS_SECRET…"`). A password in
/// capitals and underscores with such a word and no digit is a name.
fn is_credential_constant_name(value: &[u8]) -> bool {
    value.contains(&b'_')
        && value.first().is_some_and(u8::is_ascii_uppercase)
        && value.iter().all(|b| b.is_ascii_uppercase() || *b == b'_')
        && value.split(|&b| b == b'_').any(|w| {
            matches!(
                w,
                b"KEY"
                    | b"SECRET"
                    | b"SECRETE"
                    | b"PASSWORD"
                    | b"PASS"
                    | b"PASSWD"
                    | b"TOKEN"
                    | b"PWD"
            )
        })
}

/// `0x01a3f5…` with 17 octets: a RADIUS `CHAP-Password` in hex, the CHAP id and the 16-byte
/// MD5 response, a digest with no password to type. (A hex pre-shared key has 16 or 32.)
fn is_octet_string(value: &[u8]) -> bool {
    value.len() == 36
        && (value.starts_with(b"0x") || value.starts_with(b"0X"))
        && value[2..].iter().all(u8::is_ascii_hexdigit)
}

/// `HMACSHA2+256:10000:c2FsdA==:aGFzaA==`: FreeRADIUS's PBKDF2 hash (the PRF, the iteration
/// count, the salt and the derived key).
fn is_tagged_pbkdf2(value: &[u8]) -> bool {
    let mut parts = value.split(|&b| b == b':');
    parts.next().is_some_and(|prf| prf.starts_with(b"HMACSHA"))
        && parts
            .next()
            .is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit))
        && parts.next().is_some()
}

/// `73637279707400…` (hex) or `c2NyeXB0AA…` (base64): Colin Percival's scrypt container,
/// `scrypt`, format version 0, the cost parameters, salt and MAC, as ajenti and other panels
/// store a password's verifier. Its 96-byte header alone outgrows any typed password.
fn is_scrypt_container(value: &[u8]) -> bool {
    (value.len() >= 192
        && value[..14].eq_ignore_ascii_case(b"73637279707400")
        && value.iter().all(u8::is_ascii_hexdigit))
        || (value.len() >= 128 && value.starts_with(b"c2NyeXB0AA"))
}

/// `$argon2id$v=19$m=65536…`, `$2b$12$…`, `$6$rounds=5000$…`: `$`, a scheme id, `$`.
fn is_phc_hash(value: &[u8]) -> bool {
    value.strip_prefix(b"$").is_some_and(|rest| {
        let id = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        (1..=32).contains(&id) && rest.get(id) == Some(&b'$')
    })
}

/// `existing-hash`, `hashed_user1_password`: words, one of which says the value stands for a
/// hash or a ciphertext (a mock user's stored password), not for a password.
fn names_a_digest(value: &[u8]) -> bool {
    let words: Vec<&[u8]> = value.split(|&b| matches!(b, b'-' | b'_')).collect();
    words.len() >= 2
        && words
            .iter()
            .all(|w| word_then_digits(w).is_some_and(|letters| letters > 0))
        && words.iter().any(|w| {
            matches!(
                *w,
                b"hash" | b"hashed" | b"digest" | b"encrypted" | b"ciphertext"
            )
        })
}

/// `md5$<salt>$<hex>`, `pbkdf2_sha256$870000$<salt>$<hash>`: a hash in Django's
/// `<algorithm>$…$<hash>` form (its current hashers and the legacy ones fixtures still carry).
fn is_django_hash(value: &[u8]) -> bool {
    const HASHERS: &[&[u8]] = &[
        b"pbkdf2_sha256$",
        b"pbkdf2_sha1$",
        b"argon2$",
        b"bcrypt_sha256$",
        b"bcrypt$",
        b"scrypt$",
        b"sha1$",
        b"md5$",
        b"unsalted_sha1$",
        b"unsalted_md5$",
        b"crypt$",
    ];
    HASHERS.iter().any(|h| {
        value.strip_prefix(*h).is_some_and(|rest| {
            let hash = rest.rsplit(|&b| b == b'$').next().unwrap_or_default();
            hash.len() >= 16 && hash.len() < rest.len()
                || (h.starts_with(b"unsalted") && rest.len() >= 32)
        })
    })
}

/// `{bcrypt}$2a$…`, `{SSHA}…`, `{pbkdf2@SpringSecurity_v5_8}…`: a password hash tagged with
/// its scheme, as Spring Security's DelegatingPasswordEncoder and LDAP store them. `{noop}`,
/// `{plain}` and `{cleartext}` tag a password kept as is, which stays a secret.
fn is_encoded_password_prefix(value: &[u8]) -> bool {
    let Some(rest) = value.strip_prefix(b"{") else {
        return false;
    };
    let Some(close) = rest.iter().position(|&b| b == b'}') else {
        return false;
    };
    let id = rest[..close].to_ascii_lowercase();
    (1..=40).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'@' | b'.'))
        && !matches!(id.as_slice(), b"noop" | b"plain" | b"cleartext" | b"clear")
        && rest.len() > close + 1
}

/// `1.8.4`, `2.0.0-rc.1`: a version number.
fn is_version(value: &[u8]) -> bool {
    // `^1.3.0`, `~2.1`, `>=4.0.1`, `~> 7.1` (npm, Composer, Bundler ranges).
    let value = [&b"~>"[..], b">=", b"^", b"~"]
        .iter()
        .find_map(|p| value.strip_prefix(*p))
        .unwrap_or(value);
    let core = value
        .iter()
        .position(|&b| b == b'-' || b == b'+')
        .map_or(value, |i| &value[..i]);
    let parts: Vec<&[u8]> = core.split(|&b| b == b'.').collect();
    (2..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| (1..=4).contains(&p.len()) && p.iter().all(u8::is_ascii_digit))
}

/// `a[href="/logout"]`, `input[name=password]`: a CSS attribute selector (browser tests find
/// the password field with one), not a password.
fn is_attribute_selector(value: &[u8]) -> bool {
    let Some(open) = value.iter().position(|&b| b == b'[') else {
        return false;
    };
    let attr = &value[open + 1..];
    let name = attr
        .iter()
        .take_while(|b| b.is_ascii_lowercase() || **b == b'-')
        .count();
    value[..open]
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'#'))
        && name > 0
        && matches!(
            attr.get(name),
            Some(b'=' | b']' | b'^' | b'*' | b'$' | b'~')
        )
}

/// `apache@localhost`, `ops@keyhound.test`: an address, not a password.
fn is_email_address(value: &[u8]) -> bool {
    let Some(at) = value.iter().position(|&b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&value[..at], &value[at + 1..]);
    // `gmail.com.`: a fully qualified domain, with the root's dot (a parser's test case).
    let domain = domain.strip_suffix(b".").unwrap_or(domain);
    !local.is_empty()
        && local
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(b))
        && (domain == b"localhost"
            || (domain.contains(&b'.')
                && domain
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b".-".contains(b))
                && domain.last().is_some_and(u8::is_ascii_alphabetic)))
}

/// `user_password`, `hashedPassword`, `args.password`: letters joined by `_` or `.`, or
/// camelCase, with no digit or other symbol, or a numbered variable (see
/// [`is_numbered_variable`]). Such a value is a variable, not a password.
fn is_identifier_shaped(value: &[u8]) -> bool {
    if is_numbered_variable(value) {
        return true;
    }
    // `x509Passphrase`, `s3SecretKey`: a variable whose first word is a short name with a
    // number (a standard, a service), then words with no digit.
    let head = value.iter().take_while(|b| !b.is_ascii_uppercase()).count();
    if (3..=4).contains(&head)
        && value[0].is_ascii_lowercase()
        && value[..head].iter().any(u8::is_ascii_digit)
        && value[head..].iter().all(u8::is_ascii_alphabetic)
        && is_camel_case_identifier(value)
    {
        return true;
    }
    if !value
        .iter()
        .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.'))
    {
        return false;
    }
    let inner = value
        .get(1..value.len().saturating_sub(1))
        .unwrap_or_default();
    let joined = inner.iter().any(|b| matches!(b, b'_' | b'.'));
    // camelCase words: a capital starts each word and is followed by lower case. Random
    // letters (`yqDVtkqPECriaLRi`) have runs of capitals.
    let camel = value
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
        && !value
            .windows(2)
            .any(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase());
    joined || camel
}

/// `srx2_pass`, `user2_tok`, `router1_pw`: lower-case snake_case words, the last one naming
/// what the variable holds, as tests number their users and devices. A number alone does not
/// make such a name a password.
pub(crate) fn is_numbered_variable(value: &[u8]) -> bool {
    is_snake_words(value)
        && value.rsplit(|&b| b == b'_').next().is_some_and(|last| {
            [
                &b"pass"[..],
                b"passwd",
                b"password",
                b"pw",
                b"pwd",
                b"tok",
                b"token",
                b"secret",
                b"key",
            ]
            .contains(&last)
        })
}

/// Identifier endings and parts that name something other than a secret value: ids, names,
/// URLs, paths, types, sizes, flags, and collections (`secrets:` introduces a list).
const NON_SECRET_NAME_ENDINGS: &[&str] = &[
    // Plurals name a store or a list (`keyVaultToStoreSecrets`, `tokens:`), not one value.
    "secrets",
    "tokens",
    "passwords",
    // `AUTHENTICATION_APIKEY_USERS='alice@…,bob'`: who may use the keys; roundcube's
    // `password_plesk_user`: the account that changes passwords, and `password_driver`, the
    // plugin that does it.
    "users",
    "user",
    "username",
    "driver",
    // `KRB5_KPASSWD_TGT_SPN = "kadmin/changepw"`: a Kerberos service principal's name.
    "spn",
    // `APNS_TOKEN_EXAMPLE`: a sample value, so named.
    "example",
    // A Helm chart's `database.passwordSecret: obico-db-app` (beside `passwordSecretKey`):
    // the Kubernetes Secret that holds the password. Written as one camelCase word only;
    // `DB_PASSWORD_SECRET` may hold the password itself.
    "passwordsecret",
    // psono's `secret_key_nonce`, `private_key_nonce`: the nonce stored in the clear beside
    // the key it was encrypted with, not the key.
    "nonce",
    // `NumscriptInterpreterFlagsToPass`: what a command passes on, not a password.
    "topass",
    // WSO2's `<InboundAuthKey>`: a service provider's OAuth consumer key or SAML issuer, the
    // client's id.
    "inboundauthkey",
    // `nxencpasswd_CPPFLAGS = -I@top_srcdir@/include`: an Automake program's compiler flags,
    // named after the program.
    "flags",
    "cppflags",
    "cflags",
    "ldflags",
    "ldadd",
    "sources",
    // `encode-password.java-args=-server`: the JVM options of a password tool.
    "java-args",
    "java_args",
    "jvm-args",
    // `#define VM_ENTER_PASS_MACRO "voicemail_enter_pass"`, `SECRET_TAG_COL`: the name of a
    // prompt macro or a table's column.
    "macro",
    "col",
    "column",
    // `HOP_PASSWORD_ENCODER_PLUGIN=AES2`: which plugin encodes passwords.
    "plugin",
    "encoder",
    // `token_dialect: access_token_authz`: which format Auth0 issues.
    "dialect",
    // `this.passwordIssue = 'weak'`: what is wrong with a password, as a label.
    "issue",
    // `"passwordStrength": "no-constraints"`: the policy a password must meet;
    // `passwordRetypeState == 'match'`: a form's state.
    "strength",
    "state",
    // `fieldname.OneTimePassword: "123456"`: a TOTP code, spent in thirty seconds.
    "onetimepassword",
    "one_time_password",
    // `baseTokenAddress`: where a token lives on a chain, public; Solana's `token_mint` and
    // `token_account` (`associated_token_account`) are the addresses of a token and of a
    // holder's balance of it.
    "address",
    "mint",
    "account",
    // `ca.crt`, `tls.crt`, `client-cert` in a Kubernetes Secret: certificates, public.
    "crt",
    "ca",
    "cert",
    "certificate",
    "id",
    "ids",
    // `credential_list_sid`, `CredentialListSid`: a Twilio resource's SID, its identifier in
    // API paths and responses.
    "sid",
    "name",
    "names",
    "type",
    "types",
    "url",
    "urls",
    // `pwdIndex==='close'`: which of a form's password fields is shown.
    "index",
    // `token_uuid`: the id of a token, as APIs list them; `LOGIN_TOKEN_NAMESPACE`: the UUID
    // namespace tokens are derived in (v5 UUIDs), a constant, not the key.
    "uuid",
    "namespace",
    "uri",
    "uris",
    "path",
    "paths",
    "file",
    "filename",
    "files",
    "dir",
    "length",
    "len",
    "size",
    "count",
    "format",
    "mode",
    "version",
    "header",
    "field",
    "prefix",
    "suffix",
    "hint",
    "label",
    "policy",
    "strategy",
    // `endpoint.secretProvisioning === "integrator"`: who provisions a webhook's secret;
    // `secretsChoice !== "inherit"`: which secrets a setting uses; `raw_secret_handling ==
    // "block"`, `secret_failure_kind == "timeout"`: what is done with one, and how it failed.
    "provisioning",
    "choice",
    "handling",
    "kind",
    // `tokenQuota = "per_hour;q=300;…"`: a rate limit's header.
    "quota",
    // AWS concurrency stamps, whole words only (`ChangeToken`, not `exchange_token`): WAF's
    // `ChangeToken`, WAFv2's `LockToken`/`NextLockToken`, Organizations' `PolicyUpdateToken`,
    // Service Catalog's `CopyProductToken`.
    "changetoken",
    "change_token",
    "locktoken",
    "lock_token",
    "policyupdatetoken",
    "policy_update_token",
    "copyproducttoken",
    "copy_product_token",
    // `PasswordConnector = "local"`: which connector checks passwords; `passwordstore_backend:
    // "gopass"` and `passwordstore: "<path>"`: Ansible's lookup of a pass(1) store, where one
    // lives; `htpasswd_password_characters`: which characters a generated one may hold.
    "connector",
    "backend",
    "passwordstore",
    "password_store",
    "characters",
    "chars",
    // `email_password_status = "success"`: the outcome of setting one.
    "status",
    // Buildroot's `DOCKER_CREDENTIAL_GCR_LICENSE = Apache-2.0`: a package's licence, named
    // after a package whose name holds the word.
    "license",
    "licence",
    "license_files",
    // `OBFUSCATION_START_TOKEN = "$^*ENCRYPT="`: the delimiters a parser looks for.
    "start_token",
    "end_token",
    "starttoken",
    "endtoken",
    // `ErrorSchemaWeakPasswordReasons = "length"`, `revokeSessionOnPasswordReset: 'non-bool'`:
    // why a password was refused, and a setting about resets.
    "reason",
    "reasons",
    "reset",
    // `data-password-strength-target`: a Stimulus controller's target, in HTML.
    "target",
    // `password_ldap_host`, `password_charset`, `password_ldap_encodage`, `$token_regexp`,
    // `password_ldap_search_filter`, `AUTH_PASSWORD_BROKER`: settings about the secret.
    "host",
    "charset",
    "encoding",
    "encodage",
    "regexp",
    "filter",
    "broker",
    // `mtoken_gm3000_pcsc.dll`: a library's file name, passed next to another.
    "dll",
    "dylib",
    // `boto3.client("secretsmanager", …)`, `TokenManager`: a service or a class, not a value.
    "manager",
    "created_at",
    "updated_at",
    "expires_at",
    "env",
    "var",
    "variable",
    "endpoint",
    "enabled",
    "required",
    "expire",
    "expires",
    "ttl",
    "timeout",
    "time",
    // `password_modified_date: chrono::Utc`: when a secret changed.
    "date",
    "placeholder",
    "regex",
    "pattern",
    "provider",
    "store",
    "manager",
    "service",
    "class",
    "handler",
    "generator",
    "validator",
    "location",
    "ref",
    "reference",
    "arn",
    "method",
    "scope",
    "scopes",
    "audience",
    "issuer",
    "algorithm",
    "algo",
    "alg",
    // `ApiKeySelectionExpression`: how a key is found, not the key.
    "expression",
    // Password hashing parameters (`Password.PBKDF2.Iterations = 310000`).
    "iterations",
    "rounds",
    "parallelism",
    "memory",
    "variant",
    // `MasterPasswordSalt`: stored beside a hash in the clear, not a credential.
    "salt",
    // `nifi.security.keystorePasswd.protected=aes/gcm/256`: how the value is protected.
    "protected",
    // `"passwordless": "allowed"`: a login method.
    "passwordless",
    // `passwordAttribute = 'unicodepwd'`: the LDAP attribute holding passwords.
    "attribute",
    "attr",
    // `NODE_ATTR_SSH_KEY_PASSPHRASE_OPTION`: the name of a setting.
    "option",
    "options",
    // `GIT_ASKPASS`, `CommandGitAskPass`: the program that asks for a password.
    "askpass",
    // `passwordStrengthColor = 'orange'`: how a password field is shown.
    "color",
    "colour",
    "strength",
    "template",
    "sender",
    "email",
    "hash",
    "hashed",
    "digest",
    // `PWD_SHA = "5baa61e4…"`: a SHA-1 of the password.
    "sha",
    "sha1",
    "sha2",
    "sha256",
    "sha512",
    "md5",
    "scheme",
    "identifier",
    // How passwords are stored (`password_encryption = scram-sha-256` in postgresql.conf).
    "encryption",
    // Page elements in UI tests (`PASSWORD_INPUT_BOX: 'input[name="password"]'`).
    "input",
    "box",
    "selector",
    "button",
    "xpath",
    "locator",
    // UI strings about the field (`fieldPassword.error = "Required."`).
    "error",
    "errors",
    "message",
    "msg",
    "text",
    "title",
    "description",
    "tooltip",
    "caption",
    // LDAP password policy attributes (`pwdMaxAge: 5184000`, `pwdInHistory`).
    "age",
    "history",
    "failure",
    "lockout",
    "duration",
    "quality",
    "warning",
    "interval",
    // A pass of an algorithm (`hwScaleFilterFirstPass`), not a password.
    "firstpass",
    "secondpass",
    "finalpass",
    "renderpass",
    "singlepass",
    "multipass",
    "twopass",
];
// `Postman-Token` is a random id Postman adds to every request it sends, not a credential.
const NON_SECRET_NAME_PARTS: &[&str] = &[
    "public",
    // WebAuthn's `credentialId`, `credentialIDHex`, `credentialPubKey`: a passkey's id and its
    // public key, which the server sends to the browser.
    "credentialid",
    "pubkey",
    // Drone's `from_secret: e2e_data_repo`: the name of a secret the CI server stores.
    "from_secret",
    // AWS Secrets Manager's service name (`boto3.client("secretsmanager", region)`).
    "secretsmanager",
    // `TOKENIZER = "bert-base-uncased"`: a language model's tokenizer, named.
    "tokenizer",
    "tokeniser",
    // `testNegTokenInit`: a SPNEGO negotiation message (RFC 4178), a protocol test vector.
    "negtoken",
    // `commit_w_secret = '<sha>'`: the commit a secret was found in (secret scanners' reports).
    "commit",
    "csrf",
    "xsrf",
    // `ms-mcs-AdmPwdExpirationTime`, `token_expiry_days`: when a secret expires, not the secret.
    "expiration",
    "expiry",
    "authenticity",
    "captcha",
    // Cloudflare Turnstile's site key sits in the page; its secret key is `named_secret`.
    "turnstile",
    // GoCardless's `bank_account_token` (`bat_…`), a stored bank account's reference, and a
    // device's `push_token`, where notifications go.
    "bank_account_token",
    "bankaccounttoken",
    "push_token",
    "pushtoken",
    // Application Insights' instrumentation key, a UUID built into every client bundle that
    // sends telemetry.
    "instrumentation_key",
    "instrumentationkey",
    // Akamai mPulse's `BOOMR_API_key`, in every page that loads the boomerang script.
    "boomr",
    // YouTube's `redir_token`, which signs one outbound link in a public page.
    "redir_token",
    // `uriNoPassword`, `connection_without_password`: what holds no password, by its name.
    "nopassword",
    "no_password",
    "withoutpassword",
    "without_password",
    // `password-bcrypt-base64`, `PasswordBcryptHashBase64Encoded`: a bcrypt hash's field.
    "bcrypt",
    // BitBake's `SRC_URI[jsonwebtoken-10.4.0.sha256sum] = "…"`: a download's checksum.
    "sha256sum",
    "sha512sum",
    "sha1sum",
    "md5sum",
    // `GRAYLOG_SHA256_PASSWORD`, `MD5_PASSWORD`: the password's digest, as the server stores it.
    "sha256_password",
    "sha2_password",
    "sha512_password",
    "sha1_password",
    "md5_password",
    "postman-token",
    // `$skiptoken=…` in an Azure or OData `nextLink`: where the next page of a listing starts.
    "skiptoken",
    // WhatsApp Flows' `flow_token`: the business's own id for one flow session, echoed back in
    // each reply, not a credential.
    "flow_token",
    // etcd's bootstrap cluster id (`ETCD_INITIAL_CLUSTER_TOKEN`), documented as no secret.
    "initial_cluster_token",
    "initial-cluster-token",
    // detect-secrets' baseline records a SHA-1 of each secret it accepted, never the secret;
    // Meteor stores each login token's SHA-256 (`hashedToken`), never the token; a
    // `passwordHash` field holds a hash (its own rules report crypt and Django hashes).
    "hashed_secret",
    "passwordhash",
    "password_hash",
    // Rails' `password_digest`, Redmine's `hashed_password`, Devise's `encrypted_password`:
    // columns that hold a hash, which the hash rules judge by its format.
    "password_digest",
    "hashed_password",
    "hashedpassword",
    "encrypted_password",
    // logto's `passwordEncrypted` and `encryptedPassword` hold a digest of the password.
    "encryptedpassword",
    // SCRAM's `saltedpassword="…"` (Kafka's credential records): the password hashed with its
    // salt and iteration count, from which the server derives its keys.
    "saltedpassword",
    "salted_password",
    "passwordencrypted",
    "password_encrypted",
    "hashedtoken",
    "hashed_token",
    // `DESCRIPTION_MAIL_SERVICE_PASSWORD="wekan's mail-service-password"`: text about a field.
    "description",
    // Tokens that name a request or a page, not a caller: AWS's idempotency tokens
    // (`ClientRequestToken`, `CreationToken`, `IdempotencyToken`) and pagination cursors
    // (`nextToken`, `pageToken`, `ContinuationToken`).
    "idempotency",
    // Square's `version_token`: a payment's optimistic-concurrency stamp.
    "version_token",
    "versiontoken",
    "creationtoken",
    "creation_token",
    "clientrequesttoken",
    "client_request_token",
    "nexttoken",
    "next_token",
    "pagetoken",
    "page_token",
    "paginationtoken",
    "pagination_token",
    "continuationtoken",
    "continuation_token",
    // An Ethereum validator's `withdrawal_credentials`: the public address its stake returns to.
    "withdrawal_credentials",
    "withdrawalcredentials",
    // More AWS request tokens: `LifecycleActionToken` (Auto Scaling), `GrantTokens` (KMS),
    // `taskToken` (a Step Functions callback), and CloudWatch Logs' `nextForwardToken`/
    // `nextBackwardToken` cursors. Not EC2's `ClientToken` (Vault's `client_token` is the
    // token itself) nor WAF's `ChangeToken` (a part of `exchange_token`).
    "lifecycleactiontoken",
    "granttoken",
    "tasktoken",
    "task_token",
    "nextforwardtoken",
    "nextbackwardtoken",
    // Lezer's generated parsers (CodeMirror, in bundled JavaScript): `tokenData:"…"` is a
    // packed automaton.
    "tokendata",
    // LinkedIn's e-mail tracking parameter (`&midToken=AQF…` in links of saved mails).
    "midtoken",
    // `InvalidUppercasePassword = "uppercase"`, `CodeIncorrectPassword = 40069`: why a
    // password is refused, and the code that says so.
    "invalid",
    "incorrect",
    // pgx's `ERRCODE_INVALID_PASSWORD = "28P01"`: the SQLSTATE a server answers with.
    "errcode",
    "error_code",
    "errorcode",
    // Playwright's `PWDEBUG=console`: its debug switch, not a password.
    "pwdebug",
    // `X-Square-Cash-Referrer-Token`: who referred a sign-up, printed in links and mails.
    "referrer",
    // Shopify's `cart_token`, `checkout_token` and a payment's `unique_token`: ids of one
    // cart, checkout or payment, printed in order-status URLs and API responses.
    "cart_token",
    "carttoken",
    "checkout_token",
    "checkouttoken",
    "unique_token",
    "uniquetoken",
    // star-history's `sealed_token=…`, a SealedSecret's `sealedSecret`: sealed is encrypted
    // for one reader, and published on purpose.
    "sealed",
    // Tokens a web page carries for every visitor: Chatwoot's widget `websiteToken`,
    // Cloudflare Web Analytics' beacon `web_analytics_token`, MediaWiki's `wgTrackingToken`.
    "websitetoken",
    "website_token",
    "analytics_token",
    "analyticstoken",
    "trackingtoken",
    "tracking_token",
    // WebGoat's `PASSWORD_SALT_ADMIN`: the salt of a password's hash, not the password.
    "password_salt",
    "passwordsalt",
    "password-salt",
];

/// Products whose names end in "pass" or "password".
const PASSWORD_MANAGER_NAMES: &[&str] = &[
    "onepassword",
    "1password",
    "lastpass",
    "nordpass",
    "keepass",
    "keepassxc",
    "keepassdx",
    "roboform",
    "enpass",
    "passbolt",
    "proton_pass",
    "protonpass",
];

/// True when the identifier a generic rule's value is assigned to names something that is not
/// a secret (`token_url`, `secret_name`, `credentialsId`, `publicToken`, `csrf_token`). Vault's
/// `secret_id` is a credential and stays.
pub fn is_non_secret_name(name: &[u8]) -> bool {
    // EC2's `"ClientToken"` (in `describe-instances` output) makes a request idempotent; in
    // its own capitalisation only: Vault's `client_token` is the token itself.
    if name.trim_ascii() == b"ClientToken" {
        return true;
    }
    // The same in AWS's JSON APIs: Cloud Control's `RequestToken` (which polls an operation)
    // and Network Firewall's `UpdateToken` (optimistic locking), as recorded responses carry
    // them. (`clientToken` is judged by its context: see `is_protocol_nonce`.)
    if matches!(name.trim_ascii(), b"RequestToken" | b"UpdateToken") {
        return true;
    }
    // Secrets Manager's `SecretId`: the name or ARN of a stored secret, which a program passes
    // to `get_secret_value`. In this capitalisation only: Vault's `secret_id` is a credential.
    if name.trim_ascii() == b"SecretId" {
        return true;
    }
    // SES's `VerificationToken` (and services shaped after it): the value a domain's owner
    // publishes in a DNS TXT record to prove ownership. In this capitalisation only: Slack's
    // `verification_token` signs requests and stays a secret.
    if name.trim_ascii() == b"VerificationToken" {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    let lower = lower.trim_ascii();
    // `OnePassword = "bada5566-…"`: password managers by name, as lists of passkey
    // authenticators (their AAGUIDs) and import formats name them.
    if PASSWORD_MANAGER_NAMES.iter().any(|n| n.as_bytes() == lower) {
        return true;
    }
    // `'_token' => '…'`: the CSRF field of Symfony and Laravel forms, as tests fill it.
    if lower == b"_token" || lower == b"'_token'" || lower == b"\"_token\"" {
        return true;
    }
    // `data-secret="…"` (WordPress oEmbed), `data-api-key="pk_…"`: an HTML data attribute is
    // written into the page for every visitor to read.
    if lower.starts_with(b"data-") {
        return true;
    }
    // `RECAPTCHA_SECRET_KEY`: a CAPTCHA's site key is public, its secret key is not; and
    // `CSRF_COOKIE_SECRET` signs the tokens that `csrf_token` fields carry.
    let has = |w: &[u8]| memchr::memmem::find(lower, w).is_some();
    // `skyvern_onepassword_config_get`: a name about a password manager, whose own name holds
    // the word; `onepassword_token` still names a secret.
    if let Some(manager) = PASSWORD_MANAGER_NAMES.iter().find(|n| has(n.as_bytes())) {
        let at = memchr::memmem::find(lower, manager.as_bytes()).unwrap_or(0);
        let rest = [&lower[..at], &lower[at + manager.len()..]].concat();
        if ![
            "pass",
            "pwd",
            "secret",
            "token",
            "key",
            "credential",
            "auth",
        ]
        .iter()
        .any(|w| memchr::memmem::find(&rest, w.as_bytes()).is_some())
        {
            return true;
        }
    }
    // `vaultMock.On("GetKvSecret", "team1/appCredentials1")`: a getter's name, the value its
    // argument. (A setter's literal argument, `Openpay::setApiKey('sk_…')`, is the secret.)
    let trimmed = name.trim_ascii();
    if trimmed.len() > 3
        && [&b"get"[..], b"Get"].iter().any(|p| trimmed.starts_with(p))
        && trimmed[3].is_ascii_uppercase()
        && trimmed.iter().all(u8::is_ascii_alphanumeric)
    {
        return true;
    }
    // `ER_NO_PASSWORD = 251001`, `ERR_INVALID_TOKEN`: an error's code or message, named for
    // the secret it is about.
    if [&b"er_"[..], b"err_", b"error_", b"errors."]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return true;
    }
    // `storefrontToken`, `PUBLIC_STOREFRONT_API_TOKEN`: a Shopify Storefront API public access
    // token, made for browsers and apps; the private storefront token (server side) is not.
    if has(b"storefront") && !has(b"private") {
        return true;
    }
    // `PUSHER_KEY`, `pusherAppKey`: a Pusher Channels app key, which every web client loads
    // beside the cluster name; the app secret is the secret.
    if has(b"pusher") && !has(b"secret") {
        return true;
    }
    // Ghost's `contentApiKey`: the Content API key reads published content only, and Ghost's
    // docs put it in browsers; the Admin API key (`id:secret`) stays a secret.
    if has(b"contentapikey") || has(b"content_api_key") {
        return true;
    }
    let named_secret = has(b"secret") && !has(b"site") && !has(b"public");
    // `X25519_SHARED_SECRET`, `MLKEM768_SECRET`, `premaster_secret`,
    // `client_handshake_traffic_secret`: what a key exchange or the TLS key schedule derives,
    // as TLS libraries' known-answer tests spell out. A key named by its curve
    // (`x25519_private_key`, a KEM's `secret_key`) stays a candidate.
    let key_exchange = [
        &b"x25519"[..],
        b"x448",
        b"secp256r1",
        b"secp384r1",
        b"secp521r1",
        b"ecdh",
        b"mlkem",
        b"kyber",
        b"ffdhe",
    ]
    .iter()
    .any(|w| has(w));
    let derived = has(b"shared")
        || (has(b"secret")
            && !has(b"priv")
            && !has(b"secret_key")
            && !has(b"secretkey")
            && !has(b"secret-key"));
    if (key_exchange && derived)
        || [
            &b"premaster"[..],
            b"traffic_secret",
            b"handshake_secret",
            b"early_secret",
        ]
        .iter()
        .any(|w| has(w))
    {
        return true;
    }
    // `per_commitment_secret`, `local_per_commit_secret`: Lightning's revocation secrets, one
    // per channel state (commitment), not the commit a secret was found in.
    let lightning_commitment = has(b"commitment") || has(b"per_commit");
    if NON_SECRET_NAME_PARTS
        .iter()
        .filter(|p| !(named_secret && matches!(**p, "captcha" | "turnstile" | "csrf" | "xsrf")))
        .filter(|p| !(lightning_commitment && **p == "commit"))
        .any(|p| has(p.as_bytes()))
    {
        return true;
    }
    // Rails' `key_derivation_salt` derives Active Record encryption's keys: it is secret,
    // unlike a hash's salt.
    if lower.ends_with(b"secret_id")
        || lower.ends_with(b"secretid")
        || lower.ends_with(b"secret-id")
        || lower.ends_with(b"derivation_salt")
        || lower.ends_with(b"derivationsalt")
        || lower.ends_with(b"derivation-salt")
        // `secretB64Url`: the secret in base64url, not a URL.
        || lower.ends_with(b"b64url")
        || lower.ends_with(b"base64url")
    {
        return false;
    }
    // `test_secret_key_nonce2`: a second nonce, numbered.
    let unnumbered = lower.trim_ascii_end();
    let digits = unnumbered
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if (1..=2).contains(&digits) && unnumbered[..unnumbered.len() - digits].ends_with(b"_nonce") {
        return true;
    }
    NON_SECRET_NAME_ENDINGS.iter().any(|e| {
        lower.ends_with(e.as_bytes()) && {
            // Only a whole word: `_url`, `.url`, `Url` (camelCase) or the name itself.
            let at = lower.len() - e.len();
            at == 0 || matches!(lower[at - 1], b'_' | b'-' | b'.') || name[at].is_ascii_uppercase()
        }
    })
}

/// `X-Environment-Key: n9fbf9h3…`: Flagsmith's client-side environment key, which its SDKs
/// ship in web pages and apps; its server-side keys start with `ser.`.
pub fn is_public_key_header(name: &[u8], value: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"x-environment-key") && !value.starts_with(b"ser.")
}

/// True when `value`, letters and digits only and lower-cased, is the name it is assigned to,
/// or the end of it (`Passphrase="passphrase"`, `db_api_key = "apikey"`): it describes the
/// field instead of filling it.
pub fn repeats_name(name: &[u8], value: &[u8]) -> bool {
    let norm = |s: &[u8]| -> Vec<u8> {
        s.iter()
            .filter(|b| b.is_ascii_alphanumeric())
            .map(u8::to_ascii_lowercase)
            .collect()
    };
    // Lower case, as a field name is written when it stands in for a value.
    let plain = value
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let plain_words = value
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_'));
    let raw = value;
    // `"CreateKeySigningKey": "route53:CreateKeySigningKey"`: an IAM action (`service:Action`)
    // under its own name, as policy tables list them.
    if let Some(colon) = memchr::memchr(b':', value)
        && let (service, action) = (&value[..colon], &value[colon + 1..])
        && !service.is_empty()
        && service
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && action.len() >= 4
        && action.iter().all(u8::is_ascii_alphanumeric)
        && name == action
    {
        return true;
    }
    // `"E2E_SERVER_KEY": "DEVCYCLE_GITHUB_js-sdks_E2E_SERVER_KEY"`: the name of the store's
    // entry that holds the value (AWS Secrets Manager, Vault), made of the field's own name
    // behind a prefix, as a CI secrets map lists them.
    if name.len() >= 8
        && name.contains(&b'_')
        && name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        && let Some(prefix) = value.strip_suffix(name)
        && matches!(prefix.last(), Some(b'_' | b'-' | b'/'))
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'/'))
    {
        return true;
    }
    let (name, value) = (norm(name), norm(value));
    // `PrivateKey = "privatekey1"`: a long field name, lower-cased and numbered, is still the
    // name; a short one (`password1`) is a password people really choose, and so is one
    // written with capitals (`CleartextPassword1`).
    let digits = value
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let stem = &value[..value.len() - digits];
    // `token: jwt-token`, `credentials: s3_credentials`: two or three lower-case words that
    // end with the field's own word name a kind of it, not a value.
    let words: Vec<&[u8]> = raw.split(|&b| b == b'-' || b == b'_').collect();
    // The other words are words, or short names with a number (`s3`); `hunter2-passphrase`
    // is a password that says where it goes.
    let kind_of_field = plain_words
        && (2..=3).contains(&words.len())
        && words.iter().all(|w| !w.is_empty())
        && words[..words.len() - 1].iter().all(|w| {
            w.iter().all(u8::is_ascii_lowercase) || (w.len() <= 3 && is_word_with_number(w))
        })
        && words
            .last()
            .is_some_and(|last| last.len() >= 5 && name.ends_with(last));
    (value.len() >= 4 && name.ends_with(&value))
        || (plain && stem.len() >= 10 && name.ends_with(stem))
        || kind_of_field
}

/// `codecov.io/gh/org/repo/graph/badge.svg?`: a URL (without its scheme, up to the query
/// parameter) whose token is public by design: a coverage badge, a file's share link.
pub fn is_public_badge_url(url: &[u8]) -> bool {
    // `https:\/\/firebasestorage…`: a URL in a JSON string that escapes its slashes (twice,
    // inside a Java string literal).
    let mut lower = url.to_ascii_lowercase();
    if memchr::memmem::find(&lower, br"\/").is_some() {
        lower = String::from_utf8_lossy(&lower)
            .replace(r"\\/", "/")
            .replace(r"\/", "/")
            .into_bytes();
        for scheme in [&b"https://"[..], b"http://"] {
            if let Some(rest) = lower.strip_prefix(scheme) {
                lower = rest.to_vec();
            }
        }
    }
    let has = |w: &[u8]| memchr::memmem::find(&lower, w).is_some();
    ((lower.starts_with(b"codecov.io/") || lower.starts_with(b"app.codecov.io/"))
        && (has(b"/graph") || has(b"badge")))
        || lower.starts_with(b"img.shields.io/codecov/")
        // Firebase Storage download URLs (`?alt=media&token=<uuid>`): the token makes the
        // URL a share link that apps embed to show the file, and it reads that one file.
        || (lower.starts_with(b"firebasestorage.googleapis.com/") && has(b"alt=media"))
        // QQ group invitations (`qm.qq.com/cgi-bin/qm/qr?k=…&authKey=…`, `jq.qq.com/?k=…`,
        // `shang.qq.com/wpa/qunwpa?idkey=…`): join links a project publishes to be clicked.
        || lower.starts_with(b"qm.qq.com/")
        || lower.starts_with(b"jq.qq.com/")
        || lower.starts_with(b"shang.qq.com/wpa/")
        // OneDrive share links (`onedrive.live.com/download?cid=…&resid=…&authkey=!A…`): the
        // authkey is what makes the link work for whoever it is sent to; malware blocklists
        // list thousands of them.
        || lower.starts_with(b"onedrive.live.com/")
        // GitHub's `private-user-images.githubusercontent.com/…png?jwt=…`: the signed link of
        // one image pasted into an issue or a changelog, which expires within minutes.
        || lower.starts_with(b"private-user-images.githubusercontent.com/")
        // SignalR's `/signalr/connect?transport=…&connectionToken=…`: the id the server gave
        // one connection to a (here public market-data) hub, as recorded feeds keep it.
        || has(b"/signalr/connect?")
        || has(b"/signalr/reconnect?")
        || has(b"/signalr/start?")
        // Zoom meeting links (`<org>.zoom.us/j/<meeting>?pwd=…`): the passcode is embedded in
        // the link a project publishes for its community meetings.
        || (memchr::memmem::find(&lower, b"zoom.us/j/").is_some()
            && lower
                .split(|&b| b == b'/')
                .next()
                .is_some_and(|host| host == b"zoom.us" || host.ends_with(b".zoom.us")))
        // logo.dev's image API (`img.logo.dev/<domain>?token=pk_…`): a publishable key, made
        // to sit in `<img>` tags of public pages.
        || lower.starts_with(b"img.logo.dev/")
        // PayPal's checkout links (`www.paypal.com/checkoutnow?token=9NK6…`,
        // `cgi-bin/webscr?cmd=_express-checkout&token=EC-…`): the token names the order a
        // buyer approves, as every order's `links` in PayPal's API responses show.
        || ["www.paypal.com/", "api.paypal.com/", "www.sandbox.paypal.com/", "api.sandbox.paypal.com/", "sandbox.paypal.com/", "paypal.com/"]
            .iter()
            .any(|host| {
                lower.strip_prefix(host.as_bytes()).is_some_and(|path| {
                    // `paypal.com/donate?token=…`: a public donation button's id.
                    path.starts_with(b"checkoutnow")
                        || path.starts_with(b"cgi-bin/webscr")
                        || path.starts_with(b"donate")
                })
            })
}

/// True when an `apiKey` sits in an Algolia search configuration (`appId`, `apiKey`,
/// `indexName`, as Docusaurus' and DocSearch's `algolia: {…}` blocks hold it): such keys are
/// search-only and published with the site.
pub fn is_search_only_key_config(name: &[u8], around: &[u8]) -> bool {
    let name = name.to_ascii_lowercase();
    let has = |hay: &[u8], w: &[u8]| memchr::memmem::find(hay, w).is_some();
    let lower = around.to_ascii_lowercase();
    (has(&name, b"apikey") || has(&name, b"api_key"))
        && ((has(around, b"indexName")
            && (has(around, b"appId")
                || has(around, b"applicationId")
                || has(&lower, b"algolia")))
            // `algolia: { AppId: "…", ApiKey: "…", Index: "…" }` (Rundeck's plugin search).
            || (has(&lower, b"algolia") && has(&lower, b"appid") && has(&lower, b"index")))
}

/// True when a `token` or `client_secret` is a nonce of a protocol message, named by the
/// fields beside it: Mailgun signs each webhook with `{"timestamp", "token", "signature"}`,
/// the token a random value sent once; a Matrix client makes up the `client_secret` of an
/// e-mail or phone validation (`requestToken` with `send_attempt`, then `sid`) to recognise
/// its own attempt. Neither opens anything.
pub fn is_protocol_nonce(name: &[u8], around: &[u8]) -> bool {
    let has = |w: &[u8]| memchr::memmem::find(around, w).is_some();
    (name.eq_ignore_ascii_case(b"token") && has(b"\"timestamp\"") && has(b"\"signature\""))
        || (name.eq_ignore_ascii_case(b"client_secret")
            && (has(b"send_attempt") || has(b"&sid=") || has(b"\"sid\"")))
        // `<!-- livebook:{"stamp":{"token":"XCP.…","token_signature":"…"}} -->`: a Livebook
        // notebook's stamp, its metadata encrypted and signed by the hub; it opens nothing.
        || ((name == b"token" || name == b"token_signature")
            && has(b"\"stamp\":{")
            && has(b"livebook:"))
        // `"share_type":"invite","token":"…"`: a shared dashboard's link id (Datadog's API
        // responses), which opens a public page, not an account.
        || (name.eq_ignore_ascii_case(b"token") && (has(b"\"share_type\"") || has(b"\"share_token\"")))
        || name.eq_ignore_ascii_case(b"share_token")
        // `GetPendingJobExecutionsResponse(client_token='<uuid>', …)`, `{"clientToken": "<uuid>",
        // "version": 3}`: AWS IoT Jobs and Device Shadow messages carry the id that pairs a
        // reply with its request (Vault's `client_token` elsewhere is the token itself).
        || ((name == b"client_token" || name == b"clientToken") && {
            let lower = around.to_ascii_lowercase();
            [&b"response("[..], b"request(", b"jobexecution", b"shadow"]
                .iter()
                .any(|w| memchr::memmem::find(&lower, w).is_some())
        })
}

/// True when a `token` is the id of a Shopify checkout or order, named by the fields beside it
/// (`cart_token`, `checkout_token`, money sets in shop and presentment currency, a
/// `gid://shopify/` id): the token is printed in order-status and checkout-recovery URLs, as
/// every REST response and its test mocks show it. Also a Razorpay saved-card token object
/// (`"entity": "token"`), whose `token` stands for a customer's card and charges nothing
/// without the merchant's key.
pub fn is_commerce_object_token(name: &[u8], around: &[u8]) -> bool {
    // `checkout.token = "…"`: a Shopify checkout or cart resource's token attribute, set in a
    // client library's tests.
    let ends_with = |suffix: &[u8]| {
        name.len() >= suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    if ends_with(b"checkout.token") || ends_with(b"cart.token") {
        return true;
    }
    if is_payment_object_token(name, around) {
        return true;
    }
    // A Shopify Storefront API access token (`"access_scope": "unauthenticated_read_…"`, a
    // `gid://shopify/StorefrontAccessToken/…` id): made to be shipped in storefront pages and
    // apps, it reads only what the shop publishes.
    if name.eq_ignore_ascii_case(b"access_token")
        && [
            &b"gid://shopify/StorefrontAccessToken"[..],
            b"\"unauthenticated_read_",
        ]
        .iter()
        .any(|w| memchr::memmem::find(around, w).is_some())
    {
        return true;
    }
    name.eq_ignore_ascii_case(b"token")
        && [
            &b"\"cart_token\""[..],
            b"\"checkout_token\"",
            b"gid://shopify/",
            b"\"shop_money\"",
            b"\"presentment_money\"",
            b"\"presentment_currency\"",
            // The checkout's own URL (`web_url`) carries its token: an id in paths.
            b"/checkouts/",
            b"\"taxes_included\"",
            b"\"entity\": \"token\"",
            b"\"entity\":\"token\"",
        ]
        .iter()
        .any(|w| memchr::memmem::find(around, w).is_some())
}

/// True when a `token` (or `paymentToken`, `card_token`, `customer_token`) sits among the
/// fields of a charge, card or refund (`amount`, `currency`, `last4`, an expiry, a masked card
/// number): a gateway's reference to a stored card or a transaction, as payment libraries'
/// mocked responses carry them (`"token": "ch_…"`, `"paymentToken": "P…"`). It charges
/// nothing without the merchant's own key.
fn is_payment_object_token(name: &[u8], around: &[u8]) -> bool {
    let name: Vec<u8> = name
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect();
    if ![
        &b"token"[..],
        b"paymenttoken",
        b"cardtoken",
        b"customertoken",
        b"creditcardtoken",
        b"accounttoken",
        b"fingerprinttoken",
        b"xtoken",
    ]
    .contains(&name.as_slice())
    {
        return false;
    }
    let around = around.to_ascii_lowercase();
    [
        &b"\"amount\""[..],
        b"\"currency\"",
        b"last4",
        b"last_4",
        b"expiry",
        b"expiration",
        b"exp_month",
        b"masked",
        b"card_number",
        b"cardnumber",
        b"\"brand\"",
        b"\"scheme\"",
        b"authorization_code",
        b"\"refund",
        b"\"captured\"",
        b"xauthamount",
    ]
    .iter()
    .filter(|w| memchr::memmem::find(&around, w).is_some())
    .count()
        >= 2
}

/// True when `"pass": "<value>"` is an NGINX Unit destination (`routes`, `routes/main`,
/// `applications/app`, `upstreams/pool`): Unit's configuration names where a listener or a
/// route step passes requests with the key `pass`.
pub fn is_unit_pass_target(name: &[u8], value: &[u8]) -> bool {
    if name != b"pass" {
        return false;
    }
    let kind = value.split(|&b| b == b'/').next().unwrap_or_default();
    matches!(kind, b"routes" | b"applications" | b"upstreams")
        && (value.len() == kind.len()
            || (value.get(kind.len()) == Some(&b'/')
                && value.len() > kind.len() + 1
                && value[kind.len() + 1..]
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-./".contains(b))))
}

/// True when a value is an OpenPGP key's fingerprint or long key id (40 or 16 hex digits)
/// that the code around it hands to `gpg` (`key='A4A9…'; gpg --recv-keys "$key"`, as
/// Dockerfiles pin a release signing key): it names a public key.
pub fn is_pgp_fingerprint(value: &[u8], around: &[u8]) -> bool {
    matches!(value.len(), 16 | 40)
        && value.iter().all(u8::is_ascii_hexdigit)
        && [
            &b"--recv-keys"[..],
            b"--recv-key ",
            b"--keyserver",
            b"gpg --verify",
        ]
        .iter()
        .any(|w| memchr::memmem::find(around, w).is_some())
}

/// True when a `token` is a Cloudflare Web Analytics site token, written into the page's
/// beacon tag (`data-cf-beacon='{"token": "…"}'`): every visitor's browser receives it, and it
/// only lets the page report page views.
pub fn is_analytics_beacon_token(name: &[u8], around: &[u8]) -> bool {
    (name.eq_ignore_ascii_case(b"token") && memchr::memmem::find(around, b"data-cf-beacon").is_some())
        // Civic's Cookie Control banner: `var config = { apiKey: "…", product: "PRO" }` under
        // its script from `cc.cdn.civiccomputing.com`. The key is tied to the site's domain
        // and is in every page that shows the banner.
        || (name.eq_ignore_ascii_case(b"apikey")
            && memchr::memmem::find(around, b"civiccomputing.com/").is_some())
}

/// `machine account password changes`: a host that is one of netrc's own keywords, as prose
/// about a machine account's password reads to the netrc rule.
pub fn is_netrc_keyword(host: &[u8]) -> bool {
    [
        &b"account"[..],
        b"login",
        b"password",
        b"port",
        b"machine",
        b"default",
        b"macdef",
    ]
    .iter()
    .any(|k| host.eq_ignore_ascii_case(k))
}

/// `example.com`, `api.example.org`, `example.net`: domains RFC 2606 reserves for
/// documentation, so credentials for them are never real.
pub fn is_documentation_host(host: &[u8]) -> bool {
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix(b".").unwrap_or(&host);
    [b"example.com".as_slice(), b"example.org", b"example.net"]
        .iter()
        .any(|d| {
            host == *d
                || (host.len() > d.len()
                    && host.ends_with(d)
                    && host[host.len() - d.len() - 1] == b'.')
        })
}

/// Lengths of [`RANDOM_ENTROPY_FLOORS`]' columns.
const FLOOR_LENGTHS: [usize; 10] = [8, 12, 16, 20, 24, 28, 32, 40, 48, 64];

/// The entropy (bits per byte) that 999 in 1000 uniformly random strings reach, by alphabet
/// (hex, lower-case alphanumeric, alphanumeric, base64) and length (the columns of
/// [`FLOOR_LENGTHS`]), from 20,000 samples each. Short strings score low by chance: a random
/// 20-character hex key is under 3.3 bits a third of the time.
const RANDOM_ENTROPY_FLOORS: [[f64; 10]; 4] = [
    [1.54, 2.12, 2.47, 2.70, 2.89, 3.00, 3.12, 3.29, 3.39, 3.55],
    [2.00, 2.58, 2.95, 3.22, 3.45, 3.62, 3.76, 3.97, 4.13, 4.36],
    [2.15, 2.75, 3.15, 3.48, 3.72, 3.93, 4.07, 4.34, 4.51, 4.82],
    [2.15, 2.75, 3.15, 3.48, 3.72, 3.94, 4.09, 4.35, 4.56, 4.82],
];

/// The entropy a random string of `secret`'s alphabet and length reaches with 99.9%
/// probability. A provider rule's `min_entropy` is capped at it, so that the threshold meant
/// to reject words and patterns does not also reject real keys that are short or hex.
pub fn random_entropy_floor(secret: &[u8]) -> f64 {
    let row = if secret
        .iter()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        || secret
            .iter()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b))
    {
        0
    } else if secret
        .iter()
        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        || secret
            .iter()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        1
    } else if secret.iter().all(u8::is_ascii_alphanumeric) {
        2
    } else {
        3
    };
    let column = FLOOR_LENGTHS
        .iter()
        .rposition(|&len| len <= secret.len())
        .unwrap_or(0);
    RANDOM_ENTROPY_FLOORS[row][column]
}

/// Shannon entropy of `data` in bits per byte (0 for empty input).
pub fn entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[usize::from(b)] += 1;
    }
    let len = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// [`entropy`] of a secret as a rule's threshold judges it. A block that spans lines (a PEM
/// key indented in YAML, or split into `"...\n" + "..."` string literals in code) is judged
/// by its characters alone: indentation, quotes and line breaks are layout, and 12 spaces of
/// YAML indent on each line took an OpenSSH key under its rule's 4.0 bits.
pub fn secret_entropy(secret: &[u8]) -> f64 {
    if !secret.contains(&b'\n') {
        return entropy(secret);
    }
    let text: Vec<u8> = secret
        .iter()
        .copied()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'\\'))
        .collect();
    entropy(&text)
}

/// True when `secret` looks like a placeholder rather than a credential. `keywords` are the
/// rule's keywords: a leading keyword (`ghp_`) is stripped before the shape checks, so
/// `ghp_xxxxxxxx…` is recognised as one repeated character.
pub fn is_placeholder(secret: &[u8], keywords: &[String]) -> bool {
    is_placeholder_value(secret, keywords, false) || encodes_placeholder(secret)
}

/// `MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=`: base64 of filler (here the hex digits in
/// order, twice), as an example Azure account key or Kubernetes Secret writes it. Random keys
/// decode to bytes, not to text that is itself a placeholder, judged as a password would be
/// (`userAdmin123456` is a default password). One word only: an encoded document (a
/// `.dockercfg` naming `example` as its registry) still carries its credential.
fn encodes_placeholder(secret: &[u8]) -> bool {
    if !secret.len().is_multiple_of(4) {
        return false;
    }
    decode_short_base64(secret, 172).is_some_and(|text| {
        text.len() >= 12
            && text
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && (is_placeholder_value(&text, &[], true)
                // Hex filler (`0123456789abcdef…`) is judged as a token would be.
                || (text.iter().all(u8::is_ascii_hexdigit)
                    && is_placeholder_value(&text, &[], false)))
    })
}

/// `github-token`, `client-secret`: a value that is the name of what goes there.
pub fn names_its_slot(secret: &[u8]) -> bool {
    // `123456789012-auth-token`: an account number, then the slot's name (moto's ECR
    // authorization token, `AWS:<account>-auth-token`).
    if let Some(digits) = secret.iter().position(|b| !b.is_ascii_digit())
        && digits >= 4
        && secret[digits] == b'-'
        && names_its_slot(&secret[digits + 1..])
    {
        return true;
    }
    // `sk_live_secret-key-12345`: a vendor's key prefix, then the slot's name and a count, as
    // a plugin's tests fill its settings form.
    if let Some(body) = secret
        .get(2..)
        .filter(|_| secret[..2].iter().all(u8::is_ascii_lowercase))
        .and_then(|rest| {
            rest.strip_prefix(b"_live")
                .or_else(|| rest.strip_prefix(b"_test"))
        })
        .and_then(|rest| rest.strip_prefix(b"_").or_else(|| rest.strip_prefix(b"-")))
    {
        let words: Vec<&[u8]> = body.split(|b| matches!(b, b'-' | b'_')).collect();
        let Some((last, names)) = words.split_last() else {
            return false;
        };
        let counting = last.len() >= 3 && last.iter().zip(b"123456789").all(|(a, b)| a == b);
        if counting
            && !names.is_empty()
            && names
                .iter()
                .all(|w| !w.is_empty() && w.iter().all(u8::is_ascii_lowercase))
            && names
                .iter()
                .any(|w| matches!(*w, b"secret" | b"key" | b"token" | b"publishable"))
        {
            return true;
        }
    }
    // `github-token`, `depot-token`, `test_key`: a word and "token" or "key", naming what goes
    // there (labelled 81 false and 2 true over the real-code sets; `admin-secret` and
    // `app-pass` are passwords people set, so only these two words).
    if let Some(sep) = secret.iter().position(|b| matches!(b, b'-' | b'_'))
        && (2..=12).contains(&sep)
        && secret[..sep].iter().all(u8::is_ascii_lowercase)
        && matches!(&secret[sep + 1..], b"token" | b"key")
    {
        return true;
    }
    // `ConvertTo-SecureString 'client-secret'`: OAuth's own field names written where the value
    // goes, as tests of code that passes them on do.
    [
        &b"client-secret"[..],
        b"client_secret",
        // jclouds' stand-ins for a provider's `identity` and `credential`.
        b"credential",
        b"credentials",
        b"access-token",
        b"refresh-token",
    ]
    .iter()
    .any(|n| n.eq_ignore_ascii_case(secret))
}

/// `Password = 7061737300776f7264` (`pass\0word`), `0073006D006500670000` (UTF-16 `smeg`): a
/// password written as the hex of its text with NUL bytes in it, as test-vector files give PBE
/// and PKCS #12 inputs (OpenSSL's `evppbe.txt`, vendored by many projects). Without a NUL, hex
/// that decodes to printable text may still be a generated secret.
fn is_hex_encoded_text(value: &[u8]) -> bool {
    if value.len() < 8 || !value.len().is_multiple_of(2) || !value.iter().all(u8::is_ascii_hexdigit)
    {
        return false;
    }
    let Some(bytes) = crate::findings::unhex(value) else {
        return false;
    };
    let text: Vec<u8> = bytes.iter().copied().filter(|&b| b != 0).collect();
    text.len() < bytes.len()
        && text.len() >= 3
        && text.iter().all(|b| (0x20..0x7f).contains(b))
        && text.iter().filter(|b| b.is_ascii_alphabetic()).count() * 2 >= text.len()
}

/// `unkey_NONEXISTENT_KEY`, `sk-REVOKED-TOKEN`: a vendor's prefix, then words in capitals, as
/// documentation names the key an example sends. No issued token has a body of upper-case words.
fn is_prefixed_shouted_words(value: &[u8]) -> bool {
    let Some(sep) = value.iter().position(|b| matches!(b, b'_' | b'-')) else {
        return false;
    };
    let (head, body) = (&value[..sep], &value[sep + 1..]);
    let words: Vec<&[u8]> = body.split(|b| matches!(b, b'_' | b'-')).collect();
    (2..=10).contains(&head.len())
        && head
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && words.len() >= 2
        && words
            .iter()
            .all(|w| w.len() >= 2 && w.iter().all(u8::is_ascii_uppercase))
}

/// Public values of Bitcoin and the Lightning Network that sit where code keeps a secret: an
/// extended public key (BIP 32's `xpub…`, `tpub…` and SLIP 132's `ypub`/`zpub`/`upub`/`vpub`,
/// 111 base58 characters), which only derives addresses, and a BOLT 11 invoice (`lnbc…`,
/// `lntb…`, `lnbcrt…`: bech32 after a human-readable part), a payment request made to be
/// handed to the payer.
fn is_xpub_or_invoice(value: &[u8]) -> bool {
    const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let xpub = [&b"xpub"[..], b"tpub", b"ypub", b"zpub", b"upub", b"vpub"]
        .iter()
        .any(|p| value.starts_with(p))
        && value.len() == 111
        && value.iter().all(|b| BASE58.contains(b));
    let invoice = [&b"lnbcrt"[..], b"lntbs", b"lnbc", b"lntb", b"lnsb"]
        .iter()
        .any(|p| value.starts_with(p))
        && value.len() >= 100
        && value
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        // The separator `1` ends the human-readable part (`lnbc2500u1…`) within its first chars.
        && value[4..value.len().min(20)].contains(&b'1');
    xpub || invoice
}

/// [`is_placeholder`] for a password a person chose: a run like `123456` is filler in a
/// random token but part of many real passwords (`abuser123456`), so for passwords it counts
/// only when it makes up more than half of the value (`12345678`, `abcdef12`).
pub fn is_placeholder_password(secret: &[u8]) -> bool {
    is_placeholder_value(secret, &[], true)
}

fn is_placeholder_value(secret: &[u8], keywords: &[String], password: bool) -> bool {
    // The value, or a long start of it (`wJalrXUtnFEMI/K7MDENG`, cut short in a README).
    if DOCUMENTATION_VALUES
        .iter()
        .any(|v| v.as_bytes() == secret || (secret.len() >= 16 && v.as_bytes().starts_with(secret)))
        || DOCUMENTATION_PREFIXES
            .iter()
            .any(|p| secret.starts_with(p.as_bytes()))
        || is_dev_chain_key(secret)
        || is_spki_public_key(secret)
    {
        return true;
    }
    // `http://xn--ou-tmc:xn--n-0tb8h@…`: a punycode label (IDNA's `xn--` ACE form), as URL
    // libraries' tests encode internationalised user names and passwords; a password written
    // by a person is not ASCII-compatible encoding.
    let punycode = secret.len() > 5
        && secret.starts_with(b"xn--")
        && secret[4..]
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    if punycode
        || (password && is_hex_encoded_text(secret))
        || names_its_slot(secret)
        || is_xpub_or_invoice(secret)
        || is_prefixed_shouted_words(secret)
    {
        return true;
    }
    // `pi_<id>_secret_<random>`, `seti_…`: a Stripe PaymentIntent's or SetupIntent's client
    // secret, which Stripe hands to the customer's browser to confirm one payment. Over the
    // labelled real-code sets 74 of 75 were mocked API responses; none opened an account.
    if let Some(rest) = secret
        .strip_prefix(b"pi_")
        .or_else(|| secret.strip_prefix(b"seti_"))
        && let Some(at) = memchr::memmem::find(rest, b"_secret_")
        && at >= 14
        && rest[..at].iter().all(u8::is_ascii_alphanumeric)
        && rest[at + 8..].len() >= 16
        && rest[at + 8..].iter().all(u8::is_ascii_alphanumeric)
    {
        return true;
    }
    // `pi_1DqH152eZvKYlo2CFHYZuxkP_secret_…`: an object of Stripe's API reference, made in its
    // documentation account (`acct_1032D82eZvKYlo2C`), whose ids carry that account's tag.
    if memchr::memmem::find(secret, b"2eZvKYlo2C").is_some() {
        return true;
    }
    // The HOTP and TOTP test secrets of RFC 4226 and RFC 6238: the ASCII digits `1234567890`
    // repeated to 20, 32 or 64 bytes, in base32 (`GEZDGNBVGY3TQOJQ` encodes `1234567890`).
    if secret.starts_with(b"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") {
        return true;
    }
    if is_attack_tool_marker(secret) || is_mock_value(secret) {
        return true;
    }
    // `eyJhbGciOiJSUzI1NiJ9.fake-payload.fake-sig`, `header.!!!not-base64!!!.sig`: a token
    // shaped for a parser test, its parts called fake or crossed out. (Parts that are plain
    // words, `….payload.signature`, are judged below.)
    if secret.contains(&b'.') && {
        let mut parts = secret.split(|&b| b == b'.');
        let first = parts.next().unwrap_or_default();
        (first.starts_with(b"eyJ") || first == b"header")
            && parts.any(|p| {
                // Words, not base64, which holds `FaKe` by chance one time in a few thousand.
                (p.iter()
                    .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_'))
                    && memchr::memmem::find(p, b"fake").is_some())
                    // `FakeSignatureThatWillNotValidate`: letters alone (random base64 of a
                    // signature's length has digits or `-`/`_`), saying so.
                    || (p.iter().all(u8::is_ascii_alphabetic)
                        && memchr::memmem::find(&p.to_ascii_lowercase(), b"fake").is_some())
                    // `c2lnbmF0dXJlX3ZhbHVl`: base64 of words (`signature_value`), where a
                    // signature's bytes are random.
                    || (p.len() >= 8
                        && super::checksum::base64url_decode(p).is_some_and(|b| {
                            b.len() >= 6
                                && b.iter().any(u8::is_ascii_lowercase)
                                && b.iter().all(|c| {
                                    c.is_ascii_lowercase() || matches!(c, b'_' | b'-' | b' ')
                                })
                        }))
                    || p.contains(&b'!')
                    || (p.len() >= 3 && p.iter().all(|b| matches!(b, b'x' | b'X')))
            })
    } {
        return true;
    }
    // `pscale_pw_xxx`, `sk-ant-XXX`: a vendor's prefix and crosses where the key would go.
    if let Some(sep) = secret.iter().rposition(|b| matches!(b, b'_' | b'-'))
        && sep > 0
        && secret.len() - sep > 3
        && secret[sep + 1..].iter().all(|b| matches!(b, b'x' | b'X'))
    {
        return true;
    }
    // `Bearer ONE_API_KEY-CHANNEL_ID`: names in capitals standing for what goes there.
    if secret.contains(&b'_')
        && secret
            .split(|&b| matches!(b, b'_' | b'-'))
            .filter(|w| (2..=12).contains(&w.len()) && w.iter().all(u8::is_ascii_uppercase))
            .count()
            >= 3
        && secret
            .iter()
            .all(|b| b.is_ascii_uppercase() || matches!(b, b'_' | b'-'))
    {
        return true;
    }
    // `!BBOX!`, `!SCALE_DENOMINATOR!` (tegola's and MapServer's SQL templates), `@DB_PASS@`
    // (autoconf and CMake's `configure_file`): a name in capitals between the markers a
    // template engine substitutes.
    if secret.len() >= 4
        && let [open, name @ .., close] = secret
        && open == close
        && matches!(open, b'!' | b'@' | b'#')
        && name.iter().any(u8::is_ascii_uppercase)
        && name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
    {
        return true;
    }
    // `#NeedToModify#`: a sentinel word between hashes, which code compares a field with to
    // know it holds no real value yet.
    if secret.len() >= 8
        && let [b'#', word @ .., b'#'] = secret
        && word.iter().all(u8::is_ascii_alphabetic)
        && word.iter().any(u8::is_ascii_lowercase)
        && word.iter().skip(1).any(u8::is_ascii_uppercase)
    {
        return true;
    }
    // `1-e604ea4bf-e0-789c…`: a ZFS send resume token (a version, a checksum, the length,
    // and the zlib-compressed nvlist in hex), the state of an interrupted `zfs send`.
    if let Some(rest) = secret.strip_prefix(b"1-")
        && let mut parts = rest.splitn(3, |&b| b == b'-')
        && let (Some(sum), Some(len), Some(body)) = (parts.next(), parts.next(), parts.next())
        && !sum.is_empty()
        && !len.is_empty()
        && sum.iter().chain(len).all(u8::is_ascii_hexdigit)
        && body.starts_with(b"789c")
        && body.iter().all(u8::is_ascii_hexdigit)
    {
        return true;
    }
    // `?utf-8?b?bGluawo=?=`: an RFC 2047 encoded word (a mail header's text in base64 or
    // quoted-printable), as a snapshot of a "reset password" mail's subject holds it.
    if let Some(rest) = secret
        .strip_prefix(b"?")
        .or_else(|| secret.strip_prefix(b"=?"))
        && rest.ends_with(b"?=")
        && let Some(q) = memchr::memchr(b'?', rest)
        && q > 0
        && rest[..q]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        && matches!(rest.get(q + 1..q + 3), Some(b"b?" | b"B?" | b"q?" | b"Q?"))
    {
        return true;
    }
    // `unicode/1f336.png?v8`: an image's path (docsify's emoji table, whose names include
    // `secret` and `hot_pepper`).
    if let Some(ext_at) =
        memchr::memrchr(b'.', secret.split(|&b| b == b'?').next().unwrap_or(secret))
        && secret.contains(&b'/')
        && {
            let path = secret.split(|&b| b == b'?').next().unwrap_or(secret);
            let ext = path[ext_at + 1..].to_ascii_lowercase();
            matches!(
                ext.as_slice(),
                b"png" | b"jpg" | b"jpeg" | b"gif" | b"svg" | b"webp" | b"ico"
            )
        }
    {
        return true;
    }
    // `$(cvutil_makepasswd 32)`, `` `pwgen 20 1` ``: a shell command substitution, which makes
    // the value when the script runs.
    if (secret.len() > 3 && secret.starts_with(b"$(") && secret.ends_with(b")"))
        || (secret.len() > 2 && secret.starts_with(b"`") && secret.ends_with(b"`"))
    {
        return true;
    }
    // `"APpwd": "base64-string"`, `hex_string`: the type of what goes there, in a sample of
    // a device's JSON.
    if let Some(kind) = secret
        .strip_suffix(b"-string")
        .or_else(|| secret.strip_suffix(b"_string"))
        && ([
            &b"base64"[..],
            b"base32",
            b"hex",
            b"random",
            b"encoded",
            b"some",
            b"any",
            b"secret",
        ]
        .iter()
        .any(|k| kind.eq_ignore_ascii_case(k))
            // `service_account_token_string`, `non-empty-string` (a workflow schema's type):
            // words saying what goes there.
            || (kind.iter().any(|b| matches!(b, b'_' | b'-'))
                && kind
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || matches!(b, b'_' | b'-'))))
    {
        return true;
    }
    // `eyJ***immediate`, `sk-***abcd`: a token masked in a recorded response, its first
    // characters kept and stars for the rest (`Lxl333***` ends in them: a password).
    if let Some(at) = memchr::memmem::find(secret, b"***")
        && (1..=8).contains(&at)
        && secret[at..]
            .iter()
            .skip_while(|&&b| b == b'*')
            .any(u8::is_ascii_alphanumeric)
    {
        return true;
    }
    // `env/NS1_API_KEY`: octoDNS reads the value from that environment variable.
    if secret.strip_prefix(b"env/").is_some_and(|v| {
        !v.is_empty()
            && v.iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
    }) {
        return true;
    }
    // `--fonts-lineHeight-1`: a CSS custom property, named (a design system's token); words
    // joined by `-` after the two (`--agdiuhdpost15` is a password).
    if secret.strip_prefix(b"--").is_some_and(|v| {
        v.first().is_some_and(u8::is_ascii_alphabetic)
            && v.contains(&b'-')
            && v.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    }) && secret.iter().any(u8::is_ascii_lowercase)
    {
        return true;
    }
    // `fb4d3a10-5c1e-4e2a-9b7d`: a UUID cut after its fourth group, as mock records
    // abbreviate ids.
    if secret.len() == 23
        && secret.iter().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18) {
                *b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
    {
        return true;
    }
    // `random24`, `random16`: a deployment template's generator spec (a random value of that
    // length), not the value.
    if let Some(n) = secret.strip_prefix(b"random")
        && (1..=3).contains(&n.len())
        && n.iter().all(u8::is_ascii_digit)
    {
        return true;
    }
    // `eyJhbGciOiJFZERTQSJ9.payload.signature`: a JWT's header with its other parts named in
    // words, as tests write a token they never verify.
    if secret.starts_with(b"eyJ")
        && secret
            .split(|&b| b == b'.')
            .skip(1)
            .any(|part| (3..=16).contains(&part.len()) && part.iter().all(u8::is_ascii_lowercase))
    {
        return true;
    }
    // `header.payload.signature`: a JWT's three parts, named.
    if secret.eq_ignore_ascii_case(b"header.payload.signature") {
        return true;
    }
    // `y0uR_P455woR*d`: "your password" in leetspeak, as API docs fill a curl command. Only
    // values whose first letter is a `y` and that hold a digit are spelled out, which spares
    // the allocation for nearly every candidate.
    // `S0m3R4nd0mStr1ng…` ("some random string", Firefly III's documented `APP_KEY`) starts
    // with an `s`.
    let leet_your = secret
        .iter()
        .find(|b| b.is_ascii_alphabetic() || b"0345@$71".contains(b))
        .is_some_and(|b| b.eq_ignore_ascii_case(&b'y') || b.eq_ignore_ascii_case(&b's'))
        && secret.iter().any(u8::is_ascii_digit);
    let unleet: Vec<u8> = if !leet_your {
        Vec::new()
    } else {
        secret
            .iter()
            .filter_map(|&b| match b {
                b'0' => Some(b'o'),
                b'3' => Some(b'e'),
                b'4' | b'@' => Some(b'a'),
                b'5' | b'$' => Some(b's'),
                b'7' => Some(b't'),
                b'1' => Some(b'i'),
                b if b.is_ascii_alphabetic() => Some(b.to_ascii_lowercase()),
                _ => None,
            })
            .collect()
    };
    if unleet.starts_with(b"somerandom") {
        return true;
    }
    // "your" itself disguised: `Your$tr0ngP@ss!` is a password people set (SQL Server's
    // documentation asks for one like it).
    if unleet.starts_with(b"your")
        && !secret[..4.min(secret.len())].eq_ignore_ascii_case(b"your")
        && unleet.len() > 4
        && secret.iter().any(u8::is_ascii_digit)
        && is_self_describing_password(&unleet)
    {
        return true;
    }
    // `YourPwdShouldBeLongAndSecure!`, `YourApiKey`, `yourS3accesskey`: "your" starting words
    // in camel case.
    if secret
        .get(..4)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"your"))
        && secret.get(4).is_some_and(u8::is_ascii_uppercase)
    {
        return true;
    }
    // `<?=$pconfig['password'];?>`: PHP printing a variable into a template.
    if secret.starts_with(b"<?") {
        return true;
    }
    // `{contactfield=firstname}`, `{assetlink=(.*?)}`: Mautic's mail-merge tokens, a word and
    // `=` or `:` inside braces.
    if let Some(inner) = secret.strip_prefix(b"{")
        && inner.ends_with(b"}")
        && let word = inner
            .iter()
            .take_while(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'-'))
            .count()
        && word >= 3
        && matches!(inner.get(word), Some(b'=' | b':'))
    {
        return true;
    }
    // `Basic YWRtaW46cGFzcw==` (`admin:pass`): HTTP Basic credentials whose password is the
    // slot's own word cut short, as recorded test traffic sends them. Not `admin:password` in
    // full: other scanners' suites count that one, in a Kubernetes Secret, as a leak.
    if secret.len() <= 200
        && secret.len().is_multiple_of(4)
        && let Some(plain) = super::checksum::base64url_decode(secret)
        && plain.iter().all(|b| (0x20..0x7f).contains(b))
        && let Some(colon) = memchr::memchr(b':', &plain)
        && matches!(
            plain[colon + 1..].to_ascii_lowercase().as_slice(),
            b"pass" | b"passwd" | b"pwd" | b"changeme"
        )
    {
        return true;
    }
    // `SENTINEL-3`, `SENTINEL-CRONLY2`: a marker tests plant to see whether it is redacted.
    // (`sentinel`, lower-case, is Redis Sentinel's password in some compose files.)
    if secret.starts_with(b"SENTINEL-") || secret.starts_with(b"SENTINEL_") {
        return true;
    }
    // `<product-name`, `<your`: a slot in angle brackets, cut at its space.
    if let Some(rest) = secret.strip_prefix(b"<")
        && rest.len() >= 3
        && rest
            .iter()
            .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_'))
    {
        return true;
    }
    // `11111111-2222-3333-4444-555555555555`: a UUID typed as one repeated character a group.
    if secret.len() == 36
        && secret
            .split(|&b| b == b'-')
            .map(|g| g.len())
            .eq([8usize, 4, 4, 4, 12])
        && secret
            .split(|&b| b == b'-')
            .all(|g| g.iter().all(|&b| b == g[0] && b.is_ascii_alphanumeric()))
    {
        return true;
    }
    // `{ident}`, `{string}`: a named slot of a template or a grammar (Python's `str.format`,
    // Rust's `format!`, lexers that expand macros), one lower-case word inside braces.
    if let Some(inner) = secret.strip_prefix(b"{").and_then(|s| s.strip_suffix(b"}"))
        && !inner.is_empty()
        && inner.iter().all(|b| b.is_ascii_lowercase() || *b == b'_')
    {
        return true;
    }
    // `{env:DEEPSEEK_API_KEY}`: opencode's (and others') reference to an environment variable.
    if secret.starts_with(b"{env:") && secret.ends_with(b"}") {
        return true;
    }
    // `projects/1234/secrets/PASSWORD/versions/latest`: where Google Secret Manager keeps the
    // value, not the value.
    if secret.starts_with(b"projects/") && memchr::memmem::find(secret, b"/secrets/").is_some() {
        return true;
    }
    if is_signed_with_published_secret(secret) {
        return true;
    }
    // jwt.io's sample claims (`{"sub":"1234567890","name":"John Doe"`) signed with one of its
    // sample keys: a documentation token. Tests that sign the same claims with their own key
    // hold a test token, and it is reported.
    if let Some(at) = memchr::memmem::find(
        secret,
        b".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lI",
    ) && let Some(dot) = memchr::memchr(b'.', &secret[at + 1..])
    {
        let signature = &secret[at + 1 + dot + 1..];
        if JWT_IO_SIGNATURES
            .iter()
            .any(|s| signature.starts_with(s.as_bytes()))
        {
            return true;
        }
    }
    // `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.SflKxwRJSMeKKF2QT`: jwt.io's signature (or a
    // long start of it) pasted after other claims, which it cannot sign: a made-up token.
    if secret.starts_with(b"eyJ")
        && let Some(signature) = secret.splitn(3, |&b| b == b'.').nth(2)
        && signature.len() >= 16
        && JWT_IO_SIGNATURES
            .iter()
            .any(|s| s.as_bytes().starts_with(signature) || signature.starts_with(s.as_bytes()))
    {
        return true;
    }
    // A NATS operator or account JWT (`alg` `ed25519-nkey`, or `ed25519` in the first claims
    // version): signed public claims that servers preload (`resolver_preload`) and anyone may
    // read; what grants access is the nkey seed, which its own rule reports. User JWTs are
    // left: some are bearer tokens.
    let mut parts = secret.split(|&b| b == b'.');
    if let (Some(header), Some(payload)) = (parts.next(), parts.next())
        && header.starts_with(b"eyJ")
        && let Some(header) = crate::engine::checksum::base64url_decode(header)
        && memchr::memmem::find(&header, b"\"ed25519").is_some()
        && let Some(claims) = crate::engine::checksum::base64url_decode(payload)
        && memchr::memmem::find(&claims, b"\"nats\"").is_some()
        && (memchr::memmem::find(&claims, b"\"type\":\"operator\"").is_some()
            || memchr::memmem::find(&claims, b"\"type\":\"account\"").is_some())
    {
        return true;
    }
    // RFC 7515's example JWS (`{"iss":"joe","exp":1300819380,"http://example.com/is_root":true}`),
    // in its several signatures, as JWT libraries' tests spell it.
    if memchr::memmem::find(
        secret,
        b".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
    )
    .is_some()
    {
        return true;
    }
    // `{"some":"payload"}` (PyJWT's README), `{"data":"test"}` and `{"test":"data"}` (ruby-jwt's):
    // a JWT library's documented example, signed over a demo word, which the README's readers
    // copy and license reports quote.
    let mut parts = secret.split(|&b| b == b'.');
    if let (Some(header), Some(payload)) = (parts.next(), parts.next())
        && header.starts_with(b"eyJ")
        && let Some(claims) = crate::engine::checksum::base64url_decode(payload)
        && let compact = claims
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect::<Vec<u8>>()
        && [
            &br#"{"some":"payload"}"#[..],
            br#"{"data":"test"}"#,
            br#"{"test":"data"}"#,
        ]
        .contains(&compact.as_slice())
    {
        return true;
    }
    // jwt.io's RS256, ES256 and ES512 sample private keys (PKCS #8), which JWT libraries'
    // tests sign with.
    if [
        &b"MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQC7VJTUt9Us8cKj"[..],
        b"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgevZzL1gdAFr88hb2",
        b"MIHuAgEAMBAGByqGSM49AgEGBSuBBAAjBIHWMIHTAgEBBEIBiyAa7aRHFDCh2qga",
    ]
    .iter()
    .any(|key| memchr::memmem::find(secret, key).is_some())
    {
        return true;
    }
    // `{"iss":"supabase-demo"`: the anon and service-role keys Supabase publishes for local
    // development and self-hosting, the same in every install that keeps the defaults.
    if memchr::memmem::find(secret, b".eyJpc3MiOiJzdXBhYmFzZS1kZW1vIi").is_some() {
        return true;
    }
    // A Supabase project's anon key (`{"iss":"supabase","ref":…,"role":"anon"}`): made for
    // the browser and the app, where row-level security decides what it reads. The
    // `service_role` key, which bypasses it, stays reported.
    if secret.starts_with(b"eyJ")
        && let Some(payload) = secret.split(|&b| b == b'.').nth(1)
        && let Some(json) = super::checksum::base64url_decode(payload)
    {
        let json: Vec<u8> = json
            .into_iter()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if memchr::memmem::find(&json, br#""iss":"supabase""#).is_some()
            && memchr::memmem::find(&json, br#""role":"anon""#).is_some()
        {
            return true;
        }
    }
    // A multi-line block (a PEM key) is long random base64: short markers such as `xxxx`
    // occur in it by chance (about 0.3% of 4096-bit RSA keys), and a PGP `Comment:` header
    // may hold `<email>`. Only word markers apply to blocks, and only outside `Name: value`
    // header lines: `Comment: dummy-key` in a PuTTY file does not make its key a dummy.
    let (lower, markers) = if secret.contains(&b'\n') {
        let body: Vec<u8> = secret
            .split(|&b| b == b'\n')
            .filter(|line| !line.contains(&b':'))
            .flat_map(|line| line.to_ascii_lowercase())
            .collect();
        (body, &PLACEHOLDER_MARKERS[..WORD_MARKERS])
    } else {
        (secret.to_ascii_lowercase(), PLACEHOLDER_MARKERS)
    };
    if markers
        .iter()
        .any(|m| memchr::memmem::find(&lower, m.as_bytes()).is_some())
    {
        return true;
    }
    // `access_token="ghp_KZCEQlC8***"`: a token shown with its end starred out, as dashboards
    // and CLIs print a stored one and documentation copies it. Not a password: people end
    // theirs with stars (`password: Lxl333***` in a workflow's docker login).
    if !password && secret.ends_with(b"***") {
        return true;
    }
    if !secret.contains(&b'\n')
        && (has_template(secret)
            || has_angle_placeholder(secret)
            || has_fake_inserted(secret, &lower))
    {
        return true;
    }
    // `53e679ea-oRED-ACTED-4f2a`: redacted across a separator, keeping the value's shape.
    if memchr::memmem::find(&lower, b"red").is_some() {
        let joined: Vec<u8> = lower
            .iter()
            .copied()
            .filter(|b| !matches!(b, b'-' | b'_' | b'.'))
            .collect();
        if memchr::memmem::find(&joined, b"redacted").is_some() {
            return true;
        }
    }
    let body = strip_keyword_prefix(secret, keywords);
    // `Aa12345678`, `Qz123456xyz`: a sequence dressed up with both cases to pass a password
    // policy is what people really set; filler is written in one case.
    let mixed_case =
        body.iter().any(u8::is_ascii_uppercase) && body.iter().any(u8::is_ascii_lowercase);
    low_variety(body)
        || (!password || !mixed_case)
            && has_sequence(
                body,
                if password {
                    // A whole short value counts too: `12345`, `abcd`.
                    (body.len() / 2 + 1).max(6).min(body.len().max(4))
                } else {
                    6
                },
            )
        || has_run(secret, 12) && !is_der_block(secret)
        || has_interleaved_sequence(body)
        || is_alphabet_walk(body)
        || is_chain_of_runs(body)
        || is_stepped_repeats(body)
        || is_repeated_block(body.strip_prefix(b"0x").unwrap_or(body))
        || is_counting_bytes(body)
        || is_non_random_uuid(body)
        // `abc123` is a weak password people really set; as a key's body it is a stand-in.
        || (!password && (has_counting_tail(secret) || is_prefixed_count(secret)))
}

/// `sk-12345`, `key_9876`: a short prefix and a counted run of digits, a key written out to
/// show its shape.
fn is_prefixed_count(secret: &[u8]) -> bool {
    let Some(sep) = secret.iter().rposition(|&b| matches!(b, b'-' | b'_')) else {
        return false;
    };
    let (head, tail) = (&secret[..sep], &secret[sep + 1..]);
    // `sk-ant-12345`: the head may be a vendor's prefix of a few short words.
    let words = head.split(|&b| matches!(b, b'-' | b'_'));
    (1..=3).contains(&words.clone().count())
        && words
            .into_iter()
            .all(|w| (1..=4).contains(&w.len()) && w.iter().all(u8::is_ascii_alphabetic))
        && tail.len() >= 4
        && tail.iter().all(u8::is_ascii_digit)
        && (tail.windows(2).all(|w| w[1] == w[0] + 1) || tail.windows(2).all(|w| w[0] == w[1] + 1))
}

/// `standard_abcd1234`, `development.abc123`, `abc123def456`: the last part of the value
/// (after `_`, `-`, `.` or `:`) is runs of counting letters and digits, three or more each,
/// as people type a stand-in for a key; a random part is never that.
fn has_counting_tail(secret: &[u8]) -> bool {
    let tail = secret
        .rsplit(|&b| matches!(b, b'_' | b'-' | b'.' | b':'))
        .next()
        .unwrap_or_default();
    if tail.len() < 6 || !tail.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let mut runs = 0;
    let mut rest = tail;
    while let Some(&first) = rest.first() {
        let digit = first.is_ascii_digit();
        let len = rest
            .iter()
            .take_while(|b| b.is_ascii_digit() == digit)
            .count();
        let counts = rest[..len]
            .windows(2)
            .all(|w| w[1].to_ascii_lowercase() == w[0].to_ascii_lowercase().wrapping_add(1));
        if len < 3 || !counts {
            return false;
        }
        runs += 1;
        rest = &rest[len..];
    }
    runs >= 2
}

/// `0000111122223333…ffff`, `00112233445566778899aabbccddeeff`: each character repeated, then
/// the next one in order, as documentation fills a hex key; random text has no such steps.
fn is_stepped_repeats(body: &[u8]) -> bool {
    let mut steps = 0;
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        let len = body[i..].iter().take_while(|&&b| b == c).count();
        if len < 2 || !c.is_ascii_alphanumeric() {
            return false;
        }
        if i > 0 {
            let prev = body[i - 1].to_ascii_lowercase();
            let step = c.to_ascii_lowercase() == prev + 1
                || (prev == b'9' && matches!(c, b'a' | b'A' | b'0'));
            if !step {
                return false;
            }
            steps += 1;
        }
        i += len;
    }
    steps >= 4
}

/// `abc123def456ghi789…`, `sk-proj-abcd1234efgh5678…`: short ascending runs of letters and of
/// digits one after another (`9` may wrap to `0`, `z` to `a`), as tests fill a token's body.
/// Four runs of three or more must make up most of the letters and digits.
fn is_chain_of_runs(body: &[u8]) -> bool {
    let next = |a: u8, b: u8| {
        b == a + 1
            || (a == b'9' && b == b'0')
            || (a.eq_ignore_ascii_case(&b'z') && b.eq_ignore_ascii_case(&b'a'))
            || (a.is_ascii_alphabetic() && b.to_ascii_lowercase() == a.to_ascii_lowercase() + 1)
    };
    let (mut runs, mut in_runs, mut total) = (0, 0, 0);
    let mut i = 0;
    while i < body.len() {
        if !body[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let digit = body[i].is_ascii_digit();
        let mut j = i + 1;
        while j < body.len()
            && body[j].is_ascii_alphanumeric()
            && body[j].is_ascii_digit() == digit
            && next(body[j - 1], body[j])
        {
            j += 1;
        }
        total += j - i;
        if j - i >= 3 {
            runs += 1;
            in_runs += j - i;
        }
        i = j;
    }
    runs >= 4 && in_runs * 5 >= total * 4
}

/// `AB1C2defGHijkLMNo3PqQRstUvwxyz…`: the alphabet walked in order, in mixed case and with
/// digits dropped in, as documentation fills a long key or passphrase. Random letters follow
/// their predecessor one time in 26; here nearly every pair does.
fn is_alphabet_walk(body: &[u8]) -> bool {
    // One pass, no copy: this runs on every candidate, PEM blocks included.
    let (mut letters, mut steps, mut prev) = (0usize, 0usize, None::<u8>);
    for b in body.iter().filter(|b| b.is_ascii_alphabetic()) {
        let b = b.to_ascii_lowercase();
        if prev.is_some_and(|p| b == p + 1 || (p == b'z' && b == b'a')) {
            steps += 1;
        }
        prev = Some(b);
        letters += 1;
    }
    // Long walks only: shorter ones (`abcdefghijabcdefghijabcd`) are what other scanners' test
    // suites use as format-valid keys.
    letters >= 40 && steps * 5 >= (letters - 1) * 4
}

/// `a1b2c3d4`, `d4c3b2a1`-like fillers: every other character ascends (or descends) for four
/// steps, in both the even and the odd positions.
fn has_interleaved_sequence(body: &[u8]) -> bool {
    let walks = |w: &[u8], fold: bool| {
        let f = |b: u8| if fold { b.to_ascii_lowercase() } else { b };
        [1u8, u8::MAX].iter().any(|&step| {
            (0..2).all(|start| {
                (start..6).step_by(2).all(|i| {
                    w[i].is_ascii_alphanumeric() && f(w[i + 2]) == f(w[i]).wrapping_add(step)
                })
            })
        })
    };
    body.windows(8).any(|w| walks(w, false))
        // `A1b2C3d4…`: the letters alternating case, from the value's start (further in, a
        // format-valid test key's tail).
        || body.get(..8).is_some_and(|w| walks(w, true))
}

/// `000102030405060708090a0b…`, `0x1f1e…0100`: bytes counting up or down, written in hex, as test vectors
/// fill a key, a seed or a salt (RFC 5869's HKDF inputs, BIP 340's and BOLT's vectors).
fn is_counting_bytes(body: &[u8]) -> bool {
    let hex = body.strip_prefix(b"0x").unwrap_or(body);
    if hex.len() < 16 {
        return false;
    }
    let Some(bytes) = crate::findings::unhex(hex) else {
        return false;
    };
    [1u8, u8::MAX]
        .iter()
        .any(|&step| bytes.windows(2).all(|w| w[1] == w[0].wrapping_add(step)))
}

/// One block of 2 to 32 characters repeated (case aside) over most of the value:
/// `abcd1234abcd1234abcd1234`, `12ab12ab12ab12ab`, a 24-digit hex block four times over.
fn is_repeated_block(body: &[u8]) -> bool {
    (2..=32).any(|len| {
        if body.len() < len * 3 {
            return false;
        }
        let block = &body[..len];
        let reps = body
            .chunks_exact(len)
            .take_while(|c| c.eq_ignore_ascii_case(block))
            .count();
        reps >= 3 && reps * len * 5 >= body.len() * 3
    }) || is_tiled_by_repeats(body)
}

/// `abcdabcdabcd123412341234`: the whole value is made of blocks each repeated three times or
/// more, one run after another.
fn is_tiled_by_repeats(body: &[u8]) -> bool {
    let mut at = 0;
    while at < body.len() {
        let rest = &body[at..];
        let Some(run) = (2..=8)
            .filter_map(|len| {
                let block = rest.get(..len)?;
                let reps = rest
                    .chunks_exact(len)
                    .take_while(|c| c.eq_ignore_ascii_case(block))
                    .count();
                (reps >= 3).then_some(reps * len)
            })
            .max()
        else {
            return false;
        };
        at += run;
    }
    body.len() >= 12
}

/// A UUID of version 1, 2, 3 or 5: a timestamp with a MAC address, or a hash of a name. Token
/// generators use random (version 4) UUIDs; these are identifiers.
fn is_non_random_uuid(body: &[u8]) -> bool {
    body.len() == 36
        && body.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
        && matches!(body[14], b'1' | b'2' | b'3' | b'5')
        // A time- or name-based UUID has RFC 9562's variant bits too; a value typed to look
        // like a token (`227e1cce-6bf7-30bb-2d2a-…`, a Vault dev root token) lacks them.
        && matches!(body[19].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b')
}

/// A template or interpolation: `${NAME}`, `#{expr}`, `{{ .Values.x }}`, `%(name)s`. Only complete ones
/// count, and only when the brackets inside balance: Django's key alphabet has `$`, `%` and
/// `(`, so `!%(^+=` in a real key is no template, and neither is `p${e]nob(ody}` in a password
/// typed with symbols.
fn has_template(data: &[u8]) -> bool {
    fn after<'a>(data: &'a [u8], needle: &'static [u8]) -> impl Iterator<Item = &'a [u8]> {
        memchr::memmem::find_iter(data, needle).map(move |i| &data[i + needle.len()..])
    }
    after(data, b"${").any(|rest| {
        rest.iter()
            .position(|&b| b == b'}')
            .is_some_and(|end| end > 0 && brackets_balance(&rest[..end]))
    }) || after(data, b"#{").any(|rest| {
        // Ruby, Groovy and CoffeeScript interpolation: `#{SecureRandom.hex(64)}`.
        rest.iter()
            .position(|&b| b == b'}')
            .is_some_and(|end| end > 0 && brackets_balance(&rest[..end]))
    }) || after(data, b"{$").any(|rest| {
        // PHP's complex interpolation: `"pass{$i}"`, `{$user->name}`.
        let name = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || b"_->[]'\"".contains(b))
            .count();
        name > 0 && rest.get(name) == Some(&b'}')
    }) || after(data, b"@{").any(|rest| {
        // telegraf's secret-store references: `@{store_id:key}`.
        let end = rest.iter().position(|&b| b == b'}');
        end.is_some_and(|end| {
            let inner = &rest[..end];
            inner.iter().filter(|&&b| b == b':').count() == 1
                && inner
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
        })
    }) || after(data, b"{{").any(|rest| {
        memchr::memmem::find(rest, b"}}").is_some_and(|end| brackets_balance(&rest[..end]))
    }) || after(data, b"%(").any(|rest| {
        let name = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        name > 0
            && rest.get(name) == Some(&b')')
            && rest.get(name + 1).is_some_and(u8::is_ascii_alphabetic)
    })
}

/// `CCIPAT_FAKEd5qPreGFAKEaQxBi6i_…`, `FakeeP35…fakeU7S8…`: "FAKE" in capitals, or "fake" twice,
/// written into a format-valid token, as scanners' test suites mark their stand-ins. By chance a
/// random token of 100 characters holds `FAKE` about once in 150,000; multi-line blocks (PEM
/// bodies) are not judged so. `lower` is the secret in lower case.
fn has_fake_inserted(secret: &[u8], lower: &[u8]) -> bool {
    memchr::memmem::find(secret, b"FAKE").is_some()
        || memchr::memmem::find_iter(lower, b"fake").nth(1).is_some()
}

/// `mockPassword-1`, `mockWrappedSigningKey-1`, `FAKE_TOKEN`, `stub-secret-2`: "mock", "fake"
/// or "stub" and the name of the field, maybe numbered, as fixtures name a stand-in; and
/// `Fake-Concur-Pass-24`, `fake_aws_root_88`: "fake" and a separator, whatever follows, as a
/// seeded vault names its items (labelled stand-ins in two sets, 54 to none). `mockingbird`
/// is a word, and `mock_token_9f8e` a test's token.
fn is_mock_value(secret: &[u8]) -> bool {
    const FIELD_WORDS: &[&[u8]] = &[
        b"password",
        b"pass",
        b"pwd",
        b"passphrase",
        b"secret",
        b"token",
        b"key",
        b"private",
        b"public",
        b"signing",
        b"wrapped",
        b"encrypted",
        b"api",
        b"access",
        b"auth",
        b"user",
        b"master",
        b"session",
        b"value",
        b"credential",
        b"credentials",
        b"cert",
    ];
    if secret.len() > 5
        && secret[..4].eq_ignore_ascii_case(b"fake")
        && matches!(secret[4], b'-' | b'_')
    {
        return true;
    }
    let Some(rest) = [&b"mock"[..], b"fake", b"stub"].iter().find_map(|w| {
        (secret.len() > w.len() && secret[..w.len()].eq_ignore_ascii_case(w))
            .then(|| &secret[w.len()..])
    }) else {
        return false;
    };
    if !matches!(rest.first(), Some(b'A'..=b'Z' | b'_' | b'-' | b'.' | b':')) {
        return false;
    }
    // Split into words at separators and before capitals (`WrappedSigningKey`).
    let mut words: Vec<Vec<u8>> = vec![Vec::new()];
    let mut prev = 0u8;
    for &b in rest {
        if matches!(b, b'_' | b'-' | b'.' | b':') {
            words.push(Vec::new());
        } else if !b.is_ascii_alphanumeric() {
            return false;
        } else {
            if b.is_ascii_uppercase() && prev.is_ascii_lowercase() {
                words.push(Vec::new());
            }
            if let Some(word) = words.last_mut() {
                word.push(b.to_ascii_lowercase());
            }
        }
        prev = b;
    }
    let words: Vec<&[u8]> = words
        .iter()
        .map(Vec::as_slice)
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().any(|w| FIELD_WORDS.contains(w))
        && words
            .iter()
            .all(|w| FIELD_WORDS.contains(w) || (w.len() <= 3 && w.iter().all(u8::is_ascii_digit)))
}

/// The markers that password-guessing and fuzzing tools replace with each candidate: hydra's
/// `^USER^` and `^PASS^`, wfuzz's and ffuf's `FUZZ`, `FUZ2Z`, `FUZZ2`, patator's `FILE0`,
/// `NET0`, `RANGE0`, `PROG0` and `COMBO00`. A command line that uses one shows how to attack a
/// login, not a password.
fn is_attack_tool_marker(secret: &[u8]) -> bool {
    // `^PASS^`, or `^PASS^:Incorrect` where a value rule ran on into hydra's failure string.
    if let Some(rest) = secret.strip_prefix(b"^") {
        let name = rest
            .iter()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
            .count();
        return name > 0
            && rest.get(name) == Some(&b'^')
            && rest
                .get(name + 1)
                .is_none_or(|b| !b.is_ascii_alphanumeric());
    }
    let numbered = |prefix: &[u8]| {
        secret.strip_prefix(prefix).is_some_and(|digits| {
            (1..=2).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit)
        })
    };
    secret == b"FUZZ"
        || [&b"FUZZ"[..], b"FILE", b"NET", b"RANGE", b"PROG", b"COMBO"]
            .into_iter()
            .any(numbered)
        || matches!(secret, [b'F', b'U', b'Z', d @ .., b'Z'] if (1..=2).contains(&d.len()) && d.iter().all(u8::is_ascii_digit))
}

/// `()`, `[]` and `{}` nest properly, as they do in a template expression
/// (`${arr[0]}`, `{{ default("x") }}`).
fn brackets_balance(body: &[u8]) -> bool {
    let mut open = Vec::new();
    for &b in body {
        match b {
            b'(' | b'[' | b'{' => open.push(b),
            b')' | b']' | b'}' => {
                let want = match b {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                if open.pop() != Some(want) {
                    return false;
                }
            }
            _ => {}
        }
    }
    open.is_empty()
}

/// `<your token>`, `<API_KEY>`: a value in angle brackets is a slot to fill in. A lone `<` or
/// `>` is just a symbol in a generated password.
fn has_angle_placeholder(data: &[u8]) -> bool {
    memchr::memchr(b'<', data)
        .is_some_and(|start| memchr::memchr(b'>', &data[start + 1..]).is_some())
        // `Password=<your password>` cut at its space: `<your`, a slot opened and a word.
        || data.strip_prefix(b"<").is_some_and(|word| {
            word.len() >= 2 && word.iter().all(|b| b.is_ascii_alphabetic() || *b == b'_')
        })
}

/// `tk_MacOSXGetCGContextForDrawable`, `Bearer contextWithObjectKeys`: after the rule's
/// prefix, letters only, in camelCase or PascalCase words with acronyms: a name from code.
/// Random letters change case every character or two; these words run on in lower case.
pub fn is_code_name_token(secret: &[u8], keywords: &[String]) -> bool {
    let body = strip_keyword_prefix(secret, keywords);
    if body.len() < 16 || !body.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    let upper = body.iter().filter(|b| b.is_ascii_uppercase()).count();
    let lower = body.len() - upper;
    // Runs of lower case between capitals: every one two letters or more, three on average.
    let mut runs = 0;
    for run in body.split(u8::is_ascii_uppercase).filter(|r| !r.is_empty()) {
        if run.len() < 2 {
            return false;
        }
        runs += 1;
    }
    upper >= 2 && lower * 10 >= body.len() * 6 && lower >= 3 * runs
}

/// A PEM block whose DER carries runs of zero and 0xFF bytes: an EC key with explicit
/// curve parameters (the P-256 prime is `FFFFFFFF 00000001 00000000 …`), base64 `AAAA…` and
/// `////…`. A fake key filled with one character is caught by its low variety instead.
fn is_der_block(secret: &[u8]) -> bool {
    secret.starts_with(b"-----BEGIN ") && {
        let mut body = secret.to_vec();
        body.retain(|b| !matches!(b, b'A' | b'/'));
        !has_run(&body, 12)
    }
}

/// `len` identical characters in a row: `XXXXXXXXXXXX` filler in a template key block.
/// Random base64 has one with probability about 1e-20 per position.
fn has_run(data: &[u8], len: usize) -> bool {
    let mut run = 1;
    for pair in data.windows(2) {
        // Dashes and padding are armour; blanks and tabs are indentation (a key in a YAML
        // block scalar, a concatenated string in code), never the filler of a fake value.
        run = if pair[0] == pair[1] && !matches!(pair[0], b'-' | b'=' | b' ' | b'\t') {
            run + 1
        } else {
            1
        };
        if run >= len {
            return true;
        }
    }
    false
}

fn strip_keyword_prefix<'a>(secret: &'a [u8], keywords: &[String]) -> &'a [u8] {
    let mut best = 0;
    for k in keywords {
        let k = k.as_bytes();
        if k.len() > best && k.len() < secret.len() && secret[..k.len()].eq_ignore_ascii_case(k) {
            best = k.len();
        }
    }
    &secret[best..]
}

/// Three or fewer distinct bytes: `aaaa`, `abab…`, `0000-0000`.
fn low_variety(body: &[u8]) -> bool {
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &b in body {
        if !seen[usize::from(b)] {
            seen[usize::from(b)] = true;
            distinct += 1;
            if distinct > 3 {
                return false;
            }
        }
    }
    true
}

/// A run of `len` consecutive ascending or descending alphanumerics (`abcdef`, `654321`):
/// typed by a person, vanishingly rare in random tokens (about 1e-9 per position in base62).
fn has_sequence(body: &[u8], len: usize) -> bool {
    let mut up = 1;
    let mut down = 1;
    for pair in body.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let alnum = a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric();
        up = if alnum && b == a.wrapping_add(1) {
            up + 1
        } else {
            1
        };
        down = if alnum && b.wrapping_add(1) == a {
            down + 1
        } else {
            1
        };
        if up >= len || down >= len {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spki_public_keys_are_not_secrets_and_pkcs8_private_keys_are() {
        // RSA 1024, EC P-256 and Ed25519 public keys (what `openssl pkey -pubout` writes).
        for public in [
            &b"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCu4aJx93OR0bmD658PR6eiU0YtOFzpCBEPYOT2jOnj"[..],
            b"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAECL3CO5Ucjsg0r53UxCO4Tvbs/J8dNotA6gTfdZMdEMcg2Rf8jeYuMfhtBItW1Oy50rU20GIgzr2z7YLqltpV4g==",
            b"MCowBQYDK2VwAyEAgtTby8WGEokizyp3y65FEYVCtNtlYGeMAHvAKwq8H7U=",
        ] {
            assert!(is_spki_public_key(public), "{}", String::from_utf8_lossy(public));
        }
        for private in [
            &b"MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAK7honH3c5HRuYPrnw9Hp6JTRi04XOkI"[..],
            b"MC4CAQAwBQYDK2VwBCIEIBe1JGdx0OyV2gElwk6wOXk6iZU1M8oTd7sdTSVb8HcM",
            b"Mq9vT2xLk7Rw4Zp8Nc3Hb6Jd1Fs5Ya0EqTz8wK2nV5xR7mP3bL6cH9sJ4yF1dG0a",
        ] {
            assert!(
                !is_spki_public_key(private),
                "{}",
                String::from_utf8_lossy(private)
            );
        }
    }

    #[test]
    fn hardhat_development_keys_are_known_with_or_without_0x() {
        assert!(is_dev_chain_key(
            b"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        ));
        assert!(is_dev_chain_key(
            b"DF57089FEBBACF7BA0BC227DAFBFFA9FC08A93FDC68E1E42411A14EFCF23656E"
        ));
        assert!(!is_dev_chain_key(
            b"0x2fa1fdadf83b35b14fb07f9f0bdc27135bde7f938c9a98dc3766a6beaecda7fa"
        ));
    }

    fn kw(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn types_class_names_chain_values_and_names_are_not_secrets() {
        assert!(is_sized_sql_type(b"VARCHAR(80)"));
        assert!(is_sized_sql_type(b"decimal(10,2)"));
        assert!(!is_sized_sql_type(b"Passw(123)"));
        assert!(is_sized_sql_type(b"password(8,)"));
        assert!(is_sized_sql_type(b"password(,10)"));
        assert!(!is_password_value(b"password(5,10)", true));
        assert!(!is_sized_sql_type(b"VARCHAR(abc)"));
        assert!(is_namespaced_class(
            br"OAuth2\Storage\UserCredentialsInterface"
        ));
        assert!(is_namespaced_class(br"App\\Models\\User"));
        assert!(!is_namespaced_class(br"aB3\x9Zq"));
        assert!(is_public_chain_value(
            b"0x8343d2eb2B13A2495De435a1b15e85b98115Ce05"
        ));
        assert!(!is_public_chain_value(
            b"0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
        ));
        assert!(is_constant_name(b"RSA_2048_KEY"));
        assert!(is_name_with_acronym(b"keyRSA2048"));
        assert!(is_name_with_acronym(b"x509PrivateKeyRSA2048"));
        assert!(is_name_with_acronym(b"EncryptionEncA128GCM"));
        assert!(!is_name_with_acronym(b"kzijN23avpJA22"), "random text");
        assert!(is_pascal_words(b"CredentialV3"));
        assert!(is_jose_algorithm(b"A128CBC-HS256"));
        assert!(!is_constant_name(b"2048_KEY"));
        assert!(repeats_name(b"Passphrase", b"passphrase"));
        assert!(repeats_name(b"db_api_key", b"api-key"));
        assert!(!repeats_name(b"Passphrase", b"passphrase-2024!"));
        assert!(!repeats_name(b"key", b"key"), "too short to judge");
        assert!(repeats_name(b"ResetPasswordKey", b"resetpasswordkey1"));
        assert!(
            !repeats_name(b"password", b"password1"),
            "a password people choose"
        );
        assert!(!repeats_name(b"ClearTextPassword", b"CleartextPassword1"));
        assert!(repeats_name(b"token", b"jwt-token"));
        assert!(repeats_name(b"credentials", b"s3_credentials"));
        assert!(!repeats_name(b"passphrase", b"hunter2-passphrase"));
        assert!(!repeats_name(b"password", b"tundra-owl-password9x"));
        assert!(!repeats_name(b"token", b"kx9-mq2-token7"));
        assert!(is_vendor_prefixed_identifier(
            b"xoxb-conversations_list_pagination2"
        ));
        assert!(!is_vendor_prefixed_identifier(
            b"xoxs-416843729158-132049654-5609968301-e708ba56e1"
        ));
    }

    #[test]
    fn random_entropy_floors() {
        // 20 hex characters: below the 3.3 bits some rules asked for, a third of the time.
        assert_eq!(random_entropy_floor(b"3f9c2a7e1b8d4f6a0c5e"), 2.70);
        assert_eq!(random_entropy_floor(b"3F9C2A7E1B8D4F6A0C5E"), 2.70);
        assert_eq!(random_entropy_floor(b"k7vq2mzx9lp4wn8rb3td6hf1"), 3.45);
        assert_eq!(
            random_entropy_floor(b"k7Vq2mZx9Lp4Wn8Rb3Td6Hf1Jc5Ys0Ua"),
            4.07
        );
        assert_eq!(
            random_entropy_floor(b"k7Vq2mZx9Lp4Wn8R+b3Td6Hf1Jc5Ys0U"),
            4.09
        );
        assert_eq!(random_entropy_floor(b"abc"), 1.54);
    }

    #[test]
    fn block_entropy_ignores_layout() {
        let body = "MIICXAIBAAKBgQCa8yzznynA0WY9PXTiJntT2NrdGCJ3";
        let indented = format!("{body}\n{}{body}\n", " ".repeat(24));
        assert!(entropy(indented.as_bytes()) < secret_entropy(indented.as_bytes()));
        assert!((secret_entropy(body.as_bytes()) - entropy(body.as_bytes())).abs() < 1e-9);
        // Indentation is not filler; twelve `X` are.
        assert!(!has_run(indented.as_bytes(), 12));
        assert!(has_run(b"ABXXXXXXXXXXXXCD", 12));
    }

    #[test]
    fn entropy_bounds() {
        assert_eq!(entropy(b""), 0.0);
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(entropy(b"Q8vR2mXk7LpW3nZb9TfYa1B2c3D4e5F6g7H8") > 4.5);
    }

    #[test]
    fn placeholders() {
        let k = kw(&["ghp_"]);
        for p in [
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            // Starred out at the end, as a dashboard shows a stored token.
            "ghp_KZCEQlC8***",
            "fillmein",
            // Published by vendors: gcloud's installed-app client secret, the Supabase CLI's
            // local default key, a Stytch sandbox token, xkcd's passphrase.
            "d-FL95Q19q7MQmFpd7hHD0Ty",
            "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz",
            "DOYoip3rvIMMW5lgItikFK-Ak1CfMsgjuiCyI7uuU94=",
            "correct-horse-battery-staple",
            "ghp_000000000000000000000000000000000000",
            "pscale_pw_xxx",
            "sk-ant-12345",
            "depot-token",
            "test_key",
            "revokedQ8vR2mXk7LpW3nZb9T",
            // jwt.io's HS256 signature, cut short, after claims it did not sign.
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.SflKxwRJSMeKKF2QT",
            "sk-ant-XXXX",
            "ghp_ababababababababababababababababab",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "AKIAIOSFODNN7EXAMPLE",
            "${GITHUB_TOKEN}",
            "{{ secrets.token }}",
            "<your-key>",
            "your_api_key_here",
            "change-me",
            "base64encodedaccountkey",
            "550e8400-e29b-41d4-a716-446655440000",
            "replace-me-with-a-random-string",
            "replacethiswithyourownsecret!",
            "%(password)s",
            "${arr[0]}",
            "#{SecureRandom.hex(64)}",
            "{{ default(\"x\") }}",
            "@{mystore:db_password}",
            "MySampleToken9f8e7d",
            "contoso-pass",
            "barryIsTheBest{$i}",
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
            "Fabrikam!2024",
            "pre-${ENV}-post",
            "px-api-a1b2c3d4-e5f6-g7h8-i8j0-k0l3m3n4o0p5",
            "px-dep-d4c3b2a1-f6e5-h8g7-j1i8-p5o0n5m3l2k1",
            "abcd1234abcd1234abcd1234ABCD1234ABCD1234--__extra",
            "743b294a-cd03-11ec-9d64-0242ac120002",
            "swarm2replace2password",
            "RANDOMCHARS-----DWxgOvPT003r-yFUV49TQYag7_Aod7y0",
            "Mustbe8characters",
            "AKIAIOSFODNN7EXAMPL3",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPL3KEY",
            "insert_random_key_at_least_32_bytes",
            "YourPwdShouldBeLongAndSecure!",
            "akab-c113ntt0k3n4qtari252bfxxbsl-yvsdj",
            "akab-acc35t0k3nodujqunph3w7hzp7-request",
            "C113nt53KR3TN6N90yVuAgICxIRwsObLi0E67/N8eRN=",
            "tr_dev_completely_invalid_key_xyz_not_real",
            "tr_dev_definitely_not_real_key",
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            "random24",
            "redactme01",
            // Template markers (tegola's SQL, autoconf), a standard's one-time password, a
            // library README's example, and JWTs whose signatures are words.
            "!SCALE_DENOMINATOR!",
            "@DB_PASSWORD@",
            "#NeedToModify#",
            "env/NS1_API_KEY",
            "--fonts-lineHeight-1",
            "fb4d3a10-5c1e-4e2a-9b7d",
            "?utf-8?b?bGluawo=?=",
            "y0uR_P455woR*d",
            "c2VjcmV0IGlzIHNlY3VyZQ==",
            "gIkuvaNzQIHg97ATvDxqgjtO",
            "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            "123456789012-auth-token",
            "unicode/1f336.png?v8",
            "y_NbAkKc66ryYTWUXYEu",
            "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
            "1-e604ea4bf-e0-789c63606060a0",
            "755224",
            "s00pers3cret",
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.FakeSignatureThatWillNotValidate",
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX3ZhbHVl",
        ] {
            assert!(
                is_placeholder(p.as_bytes(), &k),
                "{p} should be a placeholder"
            );
        }
    }

    #[test]
    fn spec_example_tokens_are_documentation() {
        assert!(is_placeholder(b"2YotnFZFEjr1zCsicMWpAA", &[]));
        assert!(is_placeholder(
            b"eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.Qm9Xr2LkT7vZp4WnS8dJ3hF6a1Yc5Ue0",
            &[]
        ));
        // A signed token with the same header is a token.
        assert!(!is_placeholder(
            b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdWJqZWN0In0.Qm9Xr2LkT7vZp4WnS8dJ3hF6a1Yc5Ue0",
            &[]
        ));
    }

    #[test]
    fn jwt_libraries_readme_payloads_are_documentation() {
        // PyJWT's README payload, signed here with a key of these tests: still its example.
        assert!(is_placeholder(
            b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzb21lIjoicGF5bG9hZCJ9.XZr2wwmo7hWtpmsq2vpsgosgoIRnwKZ8F1H0_B_q5t0",
            &[]
        ));
        // The same word with a real claim beside it is a token.
        assert!(!is_placeholder(
            b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzb21lIjoicGF5bG9hZCIsInN1YiI6IjQyIn0.KQMBMmeeGrUpgelmCShefRRvvPEP6dM3If-Qfs64NXs",
            &[]
        ));
    }

    #[test]
    fn jwt_io_sample_claims_are_documentation() {
        // jwt.io's sample header and claims with its RS256 sample signature (cut short here).
        let token = b"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.NHVaYe26MbtOYhSKkoKYdFVomg4i8ZJd8_-RU8VNbftc4TSMb4bXP3l3YlNWACwyXPGffz5aXHc6";
        assert!(is_placeholder(token, &[]));
        // Its RS512 sample (header `{"alg":"RS512","typ":"JWT"}`), cut short too.
        let rs512 = b"eyJhbGciOiJSUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.jYW04zLDHfR1v7xdrW3lCGZrMIsVe0vWCfVkN2DRns2c3MN-mcp_-RE6TN9umSBYoNV-mnb3tZq5";
        assert!(is_placeholder(rs512, &[]));
        // The same claims signed with a test suite's own key: a test token.
        let signed = b"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.Qm9Xr2LkT7vZp4WnS8dJ3hF6a1Yc5Ue0";
        assert!(!is_placeholder(signed, &[]));
        // A signature whose base64 spells `FaKe` by chance is no fake.
        assert!(!is_placeholder(
            b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI4ZjJjIn0.gkd66-kxqxFaKeFiExycg5anQm9Xr2LkT7vZp4Wn",
            &[]
        ));
        // The same header with other claims is a token.
        let other = b"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI4ZjJjIiwiaWF0IjoxNzAwMDAwMDAwfQ.Qm9Xr2LkT7vZp4WnS8dJ3hF6a1Yc5Ue0";
        assert!(!is_placeholder(other, &[]));
        // Supabase's published local-development anon key claims.
        let supabase = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24ifQ.Qm9Xr2LkT7vZp4WnS8dJ3hF6a1Yc5Ue0";
        assert!(is_placeholder(supabase, &[]));
        // A project's anon key is made for clients; its service-role key is not.
        let anon = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6ImtxenZid3RwbG14bnJoZGMiLCJyb2xlIjoiYW5vbiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoyMDE1NTc2MDAwfQ.Qm9Xr2LkT7vZp4WnS8dJ3hF6a1Yc5Ue0Lk2Xq9Tz7vP";
        assert!(is_placeholder(anon, &[]));
        let service = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6ImtxenZid3RwbG14bnJoZGMiLCJyb2xlIjoic2VydmljZV9yb2xlIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMTU1NzYwMDB9.Qm9Xr2LkT7vZp4WnS8dJ3hF6a1Yc5Ue0Lk2Xq9Tz7vP";
        assert!(!is_placeholder(service, &[]));
    }

    #[test]
    fn block_headers_do_not_make_a_placeholder() {
        let key = b"PuTTY-User-Key-File-2: ssh-rsa\nComment: dummy-key\nQm9Xr2LkT7vZp4WnS8dJ3hF6a1Yc5Ue0\n";
        assert!(!is_placeholder(key, &[]));
        let fake = b"-----BEGIN RSA PRIVATE KEY-----\nyour-example-key-goes-here\n-----END RSA PRIVATE KEY-----\n";
        assert!(is_placeholder(fake, &[]));
    }

    #[test]
    fn password_sequences() {
        assert!(!is_placeholder_password(b"abuser123456"));
        assert!(!is_placeholder_password(b"Summer2024!"));
        assert!(!is_placeholder_password(b"Lxl333***"));
        assert!(is_placeholder_password(b"12345678"));
        assert!(is_placeholder_password(b"abcdef12"));
        // A short value that is a sequence throughout.
        assert!(is_placeholder_password(b"12345"));
        assert!(is_placeholder_password(b"4321"));
        assert!(!is_placeholder_password(b"x12345"));
        // Both cases: a weak password made to pass a policy, not filler.
        assert!(!is_placeholder_password(b"Aa12345678"));
        assert!(!is_placeholder_password(b"Qz123456xyz"));
        assert!(is_placeholder_password(b"ABCDEF12"));
        assert!(is_placeholder(b"abuser123456", &[]));
    }

    #[test]
    fn call_chains_need_each_part_closed() {
        assert!(is_call_chain(b"Base64(Header).Base64(Data)"));
        // A `(` that does not close its own part, even as the last byte before a dot.
        for v in ["abcd(.ef()", "ab(cd.ef()", "(.x()", "a.b()"] {
            assert!(!is_call_chain(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn code_read_as_a_generic_value() {
        for v in [
            "kCFBooleanTrue!",
            "Credential#",
            "el.innerHTML=",
            "0xAABB_CCDD_EEFF_0011",
            "(userAccountControl:1.2.840.113556.1.4.803:=65536)",
            "(&(objectClass=user)(pwdLastSet=0))",
            "CLOUDFLARE_ACCESS_KEY!",
            "a.type==",
            "01-unpwd-set.cpp",
            "{s3_creds[\"aws_access_key_id\"]}",
            "{@power_level}",
            "{player.name}",
            "EmitterSubscription|null",
            "AWS::Signature4-",
            "60/minute",
            "ssh-ed25519",
            "1/m/ip",
            "xpub6CUGRUonZSQ4TWtTMmzXdrXDtypWKiKrhko4egpiMZbpiaQL2jkwSB1icqYh2cfDfVxdx4df189oLKnC5fSwqPfgyP3hooxujYzAu3fDVmz",
            "EC-5Y6569149D2936947",
            "0.5309473760000005",
            "1.5e-07",
            "1000/day",
            "Credentials0#",
            "Req#coap_message",
            "?SN_RC2_NOT_AUTHORIZE",
            "-0x3f879678",
            "$l10n.get(\"",
            "--color-chart-series-2",
            "localDev.experimental_s3_credentials",
            "local_dev?.experimental_s3_credentials",
            "github.com/jcmturner/gokrb5/v8/ctxCredentials",
            "+name+",
            "/Users/Dev1/Projects/App2/src/Main3/x",
        ] {
            assert!(!is_generic_literal(v.as_bytes()), "{v}");
        }
        // Random base64 starts with `+` or `/` too, and a password with `$` and a dot.
        for v in [
            "$ecret.Pass9",
            // A password that ends with a credential word is not a type name by that alone.
            "MyS3cretPassword",
            "+Yd+MYjAmY3MYDnmjlkiQuQm53G/G1c5EY3YglRggyc=",
            "/Yd+MYjAmY3MYDnmjlkiQuQm53G/G1c5EY3YglRggyc=",
        ] {
            assert!(is_generic_literal(v.as_bytes()), "{v}");
        }
        // A host with one path segment, or a token holding dots and slashes, is no import path.
        for v in ["Xk9q.Lm2/Vb3nZ8pW/7Tq", "k8s.io/Xq9mLv2Tb7Rw4Zp"] {
            assert!(!is_import_path(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn unit_pass_targets_name_a_destination() {
        assert!(is_unit_pass_target(b"pass", b"routes/main"));
        assert!(is_unit_pass_target(b"pass", b"routes"));
        assert!(is_unit_pass_target(b"pass", b"applications/netbox"));
        assert!(is_unit_pass_target(b"pass", b"upstreams/rr-lb"));
        assert!(!is_unit_pass_target(b"pass", b"routes/"));
        assert!(!is_unit_pass_target(b"pass", b"routes#4Kx"));
        assert!(!is_unit_pass_target(b"password", b"routes/main"));
        assert!(!is_unit_pass_target(b"pass", b"Tr0ub4dor&3"));
    }

    #[test]
    fn attack_tool_markers() {
        for m in [
            "^PASS^", "^USER64^", "FUZZ", "FUZZ2", "FUZ2Z", "FILE0", "COMBO00", "NET1",
        ] {
            assert!(is_placeholder_password(m.as_bytes()), "{m}");
        }
        assert!(is_placeholder_password(b"^PASS^:Incorrect"));
        assert!(is_placeholder(b"sk-12345", &[]));
        // RFC 6749's access token and RFC 8037's Ed25519 key, as OAuth and JOSE tests reuse them.
        assert!(is_placeholder(b"2YotnFZFEjr1zCsicMWpAA", &[]));
        assert!(is_placeholder(
            b"kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
            &[]
        ));
        assert!(is_placeholder(b"8f742231b10e8888abcd99yyyzzz85a5", &[]));
        assert!(is_placeholder(b"test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM", &[]));
        assert!(is_placeholder(b"wJalrXUtnFEMI/K7MDENG", &[]));
        assert!(!is_placeholder(b"wJalrXUt", &[]));
        // GitHub's and Agora's documented values, as API fixtures and token-builder ports copy them.
        assert!(is_placeholder(b"ABTLWHOULUVAXGTRYU7OC2876QJ2O", &[]));
        assert!(is_placeholder_password(b"xn--iphne-tce"));
        assert!(is_placeholder_password(b"7061737300776f7264"));
        assert!(is_placeholder_password(b"0073006D006500670000"));
        assert!(!is_placeholder_password(b"9f3ac27be1d84f60"));
        // Printable text without a NUL may be a generated secret's hex.
        assert!(!is_hex_encoded_text(b"286924697e615a672a646a49"));
        assert!(!is_placeholder_password(b"xn-Tr0ub4dor&3"));
        assert!(is_placeholder(
            b"ThisShouldBeAVerySecureAndLongSecretStringNobodyKnows",
            &[]
        ));
        assert!(is_placeholder(b"5cfd2fd1755d40ecb72977518be15d3b", &[]));
        assert!(!is_placeholder(b"ABTLWHOULUVAXGTRYU7OC2876QJ2P", &[]));
        // Base64 of random bytes, and of a real-looking password, is no placeholder.
        assert!(!is_placeholder(
            b"iBqZ9TCmcbvBiT1hOlKiBBzOBjycR0CWwMCm6hI9+LE=",
            &[]
        ));
        assert!(!is_placeholder(b"VHE4dkxtMlJ4OVd6NGtQ", &[]));
        // `userAdmin123456`: a default password with a run in it, as a password is judged.
        assert!(!is_placeholder(b"dXNlckFkbWluMTIzNDU2", &[]));
        // Random text may start with "Your", but not with "Your" and a capital word.
        assert!(!is_placeholder(b"Yourk7Vq2mZx9Lp4Wn8R", &[]));
        // Names in capitals, a Secret Manager path, a "change this" note, published test keys.
        for v in [
            "ONE_API_KEY-CHANNEL_ID",
            "projects/1234/secrets/PASSWORD/versions/latest",
            "CHANGE-THIS!",
            "eyJhbGciOiJSUzI1NiJ9.fake-payload.fake-sig",
            "eyJraWQiOiJva3RhLWFjY2Vzcy10b2tlbiJ9.xxx",
            "header.!!!not-base64!!!.sig",
            "23410913-abewfq.123483",
            "<?=$pconfig[",
            "{env:DEEPSEEK_API_KEY_E2E}",
            "{contactfield=firstname}",
            "{ident}",
            "SomeRandomStringOf32CharsExactly",
            "sk-randomAPIkeyasdsa32ekasd32e",
            "SENTINEL-14",
            "YWRtaW46cGFzcw==",
            "<product-name",
            "11111111-2222-3333-4444-555555555555",
            "{TmdbId:12345}",
            "<your",
            "zuf+tfteSlswRu7BJ86wekitnifILbZam1KYY3TG",
            "5bEYu26084qjSFyclM/f2pz4gviSfoOg+mFwBH39",
            "{assetlink=(.*?)}",
            "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
            "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe",
            "yourS3accesskey",
            "_FLOWISE_BLANK_07167752-1a71-43b1-bf8f-4f32252165db",
            "secret-key-missing!",
            "another_random_string",
            "eyJhbGciOiJFZERTQSJ9.payload.signature",
            "header.payload.signature",
            "abc123def456ghi789jkl012mno345pq",
            "sk-proj-abcd1234efgh5678ijkl9012mnop3456qrst",
            "KEPLOYREDACTabc123",
            "Abd13Kf+sfAk2DzifjafldkThisIsNotARealKeyOMG.",
            "my-api-key!@#$%^&*()",
            "AB1C2defGHijkLMNo3PqQRstUvwxyzaBCDEfghh4ijklMN5opqrStuVWxyzAbCDEfghIJ",
        ] {
            assert!(is_placeholder(v.as_bytes(), &[]), "{v}");
        }
        // Capitals with a digit, or only two words, may be a token.
        // A NATS account JWT is public; a user JWT may be a bearer token. The first claims
        // version's operator JWT: `{"typ":"jwt","alg":"ed25519"}` and a top-level `type`.
        assert!(is_placeholder(b"eyJ0eXAiOiJqd3QiLCJhbGciOiJlZDI1NTE5In0.eyJqdGkiOiJRN1pLMk01WFczIiwiaWF0IjoxNzAwMDAwMDAwLCJpc3MiOiJPRFJRNFRaN0lNUSIsIm5hbWUiOiJhY21lIiwic3ViIjoiT0RSUTRUWjdJTVEiLCJ0eXBlIjoib3BlcmF0b3IiLCJuYXRzIjp7InNpZ25pbmdfa2V5cyI6W119fQ.Xk3v9QmR2TzL8pW4nY6bHc1JfD5sG7aK0uE3iO9wZqVtN2rM8yB4lC6xP1hS5dA7gF0jK3oU9eI2wQ4", &[]));
        assert!(is_placeholder(b"eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJqdGkiOiJRN0tYM1oiLCJpYXQiOjE3MDAwMDAwMDAsImlzcyI6Ik9BQkMiLCJuYW1lIjoib3BzIiwic3ViIjoiQURFRiIsIm5hdHMiOnsidHlwZSI6ImFjY291bnQiLCJ2ZXJzaW9uIjoyfX0.Xk3v9QmR2TzL8pW4nY6bHc1JfD5sG7aK0uE3iO9wZqVtN2rM8yB4lC6xP1hS5dA7gF0jK3oU9eI2wQ4", &[]));
        assert!(!is_placeholder(b"eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJqdGkiOiJRN0tYM1oiLCJpYXQiOjE3MDAwMDAwMDAsImlzcyI6Ik9BQkMiLCJuYW1lIjoib3BzIiwic3ViIjoiQURFRiIsIm5hdHMiOnsidHlwZSI6InVzZXIiLCJ2ZXJzaW9uIjoyfX0.Xk3v9QmR2TzL8pW4nY6bHc1JfD5sG7aK0uE3iO9wZqVtN2rM8yB4lC6xP1hS5dA7gF0jK3oU9eI2wQ4", &[]));
        for v in ["KQ7_ZLMR-WXT9_PLQA", "PROD_XKQZTVRLMW"] {
            assert!(!is_placeholder(v.as_bytes(), &[]), "{v}");
        }
        assert!(is_placeholder(
            b"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
            &[]
        ));
        for m in [
            "mockPassword-1",
            "mockWrappedSigningKey-1",
            "FAKE_TOKEN",
            "fakePrivateKey-1",
            "stub:secret",
        ] {
            assert!(is_placeholder_password(m.as_bytes()), "{m}");
        }
        assert!(is_placeholder_password(b"Fake-Concur-Pass-24"));
        assert!(is_placeholder(
            b"CCIPAT_FAKEd5qPreGxaQxBi6i_914bf0042f4f2d34e1d2ef6615c051a5caf70172",
            &[]
        ));
        assert!(is_placeholder(
            b"k8Ff2fakeU7S8kcOY7NI7ifakeAi8Bbql1mXhMF2t0wQ",
            &[]
        ));
        assert!(!is_placeholder(
            b"k8Ff2fakeU7S8kcOY7NI7i9qAi8Bbql1mXhMF2t0wQ",
            &[]
        ));
        assert!(is_placeholder(b"fake_aws_root_88", &[]));
        assert!(!is_placeholder_password(b"fakeroo-Pass-24"));
        assert!(!is_placeholder_password(b"mock_token_9f8e"));
        assert!(!is_placeholder_password(b"mockingbird42"));
        assert!(!is_placeholder(
            b"FakeValues99cl9bqJFVA3iFUm+yqVe08HxhXFE/",
            &[]
        ));
        assert!(is_placeholder(b"53e679ea-oRED-ACTED-4f2a-9c1d", &[]));
        assert!(!is_placeholder_password(b"Fakes-7Qz!x"));
        assert!(is_placeholder(b"abcdabcdabcd123412341234", &[]));
        assert!(is_placeholder(b"xyxyxyQ7Q7Q7Q7", &[]));
        assert!(!is_placeholder(b"abcdabcdabcdQ8vLm2Tx9Kp4", &[]));
        assert!(is_placeholder(b"key_9876", &[]));
        assert!(!is_placeholder(b"sk-12357", &[]));
        assert!(!is_placeholder(b"live_1739", &[]));
        assert!(!is_placeholder(b"stripe_1234", &[]));
        for p in [
            "^Pass^",
            "^^",
            "^PASS^x",
            "FILE",
            "FILE123",
            "FUZZY2",
            "NETWORK0",
            "Zq^PASS^x",
        ] {
            assert!(!is_attack_tool_marker(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn real_looking_values_pass() {
        let k = kw(&["ghp_"]);
        for s in [
            "ghp_Q8vR2mXk7LpW3nZb9TfYa1B2c3D4e5F6g7H8",
            "hunter2Xq9!",
            "p4$$w0rd-Tz8",
            "django-insecure-_du9e^cmago!%(^+=gr@cu@v9",
            "a${b",
            "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}",
            "Vq>7!mZ2#rT9wK",
            "346a14f2-a672-4668-a892-956a462ab56e",
            "standard_Qz7abc1Xk9",
            "tok_789abc456Xq",
        ] {
            assert!(!is_placeholder(s.as_bytes(), &k), "{s} should pass");
        }
    }

    #[test]
    fn counting_stand_ins() {
        for s in [
            "standard_abcd1234",
            "*:development.abc123",
            "abc123def456",
            "def456ghi789",
            "key-ABC123",
        ] {
            assert!(is_placeholder(s.as_bytes(), &[]), "{s}");
        }
        // A weak password, not a stand-in.
        assert!(!is_placeholder_password(b"abc123"));
        for s in [
            "0000111122223333444455556666777788889999aaaabbbbccccddddeeeeffff",
            "00112233445566778899aabbccddeeff",
        ] {
            assert!(is_placeholder(s.as_bytes(), &[]), "{s}");
        }
        // Names from code after a token's prefix or a Bearer keyword.
        let tk = ["tk_".to_string()];
        assert!(is_code_name_token(b"tk_MacOSXGetCGContextForDrawable", &tk));
        assert!(is_code_name_token(b"contextWithObjectKeys", &[]));
        // Random letters and digits, and random letters alone.
        assert!(!is_code_name_token(
            b"tk_q080nfyj2tahzd3dz4ap27mh4wduu",
            &tk
        ));
        assert!(!is_code_name_token(
            b"tk_AgQdqmVBoFDzQVNRhuMzNIzabcdef",
            &tk
        ));
        assert!(!is_code_name_token(b"yqDVtkqPECriaLRiwBnUxsZe", &[]));
        // Doubled letters in random text do not step through the alphabet.
        assert!(!is_stepped_repeats(b"00113399aaccddee"));
        assert!(!is_stepped_repeats(b"9f3ac27be1d84f60"));
        for v in ["^1.3.0", "~>7.1", ">=4.0.1", "~2.1"] {
            assert!(is_version(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn tagged_digests_and_references_are_not_secrets() {
        for v in [
            "hmac-sha256:bd6dd75911924ab82f9dcfa7adae6b821423f0f6b02a5f00343247bde2671d67",
            "sha1:7c2e90f1aa4b:5d41402abc4b2a76b9719d911017c592aaf42c1e",
            "md5a3556571e93b0d20722ba62be61e8c2d",
            "{AQAAABAAAAAQx8kW2c9GQXo0nVhX3aYf1e+8oV2s6mJ3rT5uW7yZ0bA=}",
            "cattle-global-data:cc-26b5h",
            "pub852fa3e2312391fafa5640b60784e660",
            "rl-sha256:3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a",
            "meta.odd-tab.group1",
            "__encrypt__yFOcJAvns8+JhQK+5/epzw==:txdHCA3C3xriWWFPnOvPjyMVwOdBtuhWDzQv0+TovFU=",
            "1*255TCHAR",
            "1*UTF8-SAFE",
            "*DIGIT",
            "x25519.X25519PrivateKey",
            "rust_openssl.hpke.MLKEM768X25519PrivateKey",
            "oauth2client.client.OAuth2Credentials",
            r#"\"$1$CXKwIUfL$6vLSvatE2TCaM25U4u9Bh1\""#,
        ] {
            assert!(!is_generic_literal(v.as_bytes()), "{v}");
        }
        assert!(!is_password_value(
            b"md5a3556571e93b0d20722ba62be61e8c2d",
            false
        ));
        // A secret that only contains a colon, and a short tag with little after it.
        for v in [
            "Xk9m2Lq7:Vb3nZ8pW",
            "sha1:Xq9",
            "5*9F5Q57mqmlz2#f",
            "1*abcDEF9x",
        ] {
            assert!(is_generic_literal(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn generic_literals() {
        for v in [
            "kzijN23avpJA22",
            "p@ss-Wd!word",
            // A `$` with digits, `::` and commas inside generated secrets.
            "Zt8$0KQ3vM2x!",
            "Qk3::Lm8vT2z!",
            "q7,Vz2m,Kx8L,p4Rw",
            // A leading `?` or a dot is no field expression without an identifier path.
            "?Zt8mQ2vLk9x",
            "Qm7vT2x.Lk9RpW4",
            "NuXv1fE5MI.5",
            // Two words joined by `#` are no Rails route unless they read as one.
            "development#product",
            "prod.key#Xk9QmTp2WvLr7ZsB",
            "A1bC2dE3fH4iJ5kL6mN7oP8qR9sT0u",
            "a1bQ7xZkT9vLm",
            "m0-7f3kQ9vL2xTz",
            "Zm9vYmFy+/=",
            "hvs.CAESIJ4kq9Zt2Lm8Vx7Rb3Wn",
            "aB3kQ.xY9mZp2",
            "!Xk93jd8skQ",
            "API_KEYN2B1NFN5CP6CK5BJHY8B15YF535TP681",
            "{noop}Xk9QmTp2WvLr7ZsB",
            "A,.:-¨@*¿?!",
            "EBrf;_&k>qX??]G&3CF=;@vyrVBp",
            "Zk9#qT¿2mW",
            // Random strings that happen to start like identifiers or encodings stay secrets.
            "Xk9QmTp2WvLr7ZsB",
            "f3a9c1e7b2d84a6f9e0c3b5d7a1f2e4c",
            "q7v_k2m_x9p_w4z3",
            "bada5566-a7aa-401f-bd96-45619a55120d",
            "dXNlcjpwYXNzd29yZA==",
            // A base32 TOTP seed with its padding.
            "MZXW6YTBOI3DEMRZGQ======",
            "C14NGA87EJRR03G4QPR07A9C6G784TSSTHSF4TI5T0GD8D6L0VRG====",
            // A base64 JSON document that names a key is a credential file.
            "eyJ0eXBlIjoic2VydmljZV9hY2NvdW50IiwicHJpdmF0ZV9rZXkiOiJ4In0=",
            // SuperTokens API keys: `=` and `-` are in their alphabet.
            "hg40239oirjgBHD9450=Beew123-dsvfaihjbco3",
        ] {
            assert!(is_generic_literal(v.as_bytes()), "{v}");
        }
        for v in [
            "tableLines=",
            "md5$seasalt$d21c7cd1e6e0d2f7b8c3ad8c6f1bb9e0",
            "pbkdf2_sha256$870000$7gSUtBSjaB07viEMPpghBQ$VPvomg+I9PgkcUM8CoU4frF56R72iHgLQgyW1vBANb8=",
            "127.0.0.1:3567",
            "10.20.30.40",
            "sha256sum=9f2c",
            "Server=localhost",
            "c.MODE.SCRIPT_DATA:e===v.PLAINTEXT",
            "e.crossOrigin===",
            "base64-decoded",
            "'$S3_ACCESS_KEY'",
            "bp.oauth2_credentials:insert",
            "s3_us_east_1_regional_endpoint",
            "2.16.840.1.113730.3.4.4",
            "__WEBPACK_IMPORTED_MODULE_6__output_output_ast__",
            "`+expected1+`",
            "@credentials.find",
            "0x1f4a",
            "client_cert=",
            "X-Minio-Internal-Server-Side-Encryption-S3-Kms-Sealed-Key",
            "git@github.com:argoproj-labs",
            "^.{8,32}$",
            "tokenizer.next_token",
            "/run/secrets/db2",
            "process.env.TOKEN1",
            "https://host:8443/x",
            "SomeTypeName",
            "E2BCredentials",
            "OAuth2Token",
            "api_key0",
            "h2ogpt_key1",
            "?instance.apiKey",
            "#api_key_ai21",
            ".secret-field",
            "SB-Mid-client-q8RkT2mV5xNwZ3aL",
            "AWSCredentials",
            "ServiceAccountCredentials",
            "var(--global-dimension-size-250)",
            "+resIdMatch1+",
            "%s&limit=1",
            "Server=localhost1",
            "user2.api_key",
            "ctx2.authToken",
            "keys/deploy2.pem",
            "([a-f0-9]{32})",
            "ops_eyJzaWdu..",
            "2024-08-15T06:33:00.337Z",
            "base64PrivateKey",
            "apiKey?.value",
            "!local.is_replica",
            "!ImportValue",
            "dev@keyhound.test",
            "dev.team@keyhound.test.",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
            "sha256DigestValue",
            "#/components/schemas/updateSettingsFlowWithLookupMethod",
            "0.21461681999994653",
            "NonEmptyMaxLength64String",
            "create_api_key_2",
            "page_1_executions",
            "rcUser.dashboard?.accessKeys?.",
            "authenticatedData?.accessKeyV2",
            "connectionMetadata?.",
            "accessKeyV1orV2",
            "s3_constants.DEFAULT_PRE_SIGNED_SECRET_ACCESS_KEY",
            "mock_access_key/20210202/us-east-1/s3/aws4_request",
            "xxx/19700101/us-east-1/xxx/xxx4_request",
            "AKIAQ7XK2M4N6P8R3T5V%2F20250110%2Feu-west-1%2Fs3%2Faws4_request",
            // "this should not appear in output\n", hex-encoded.
            "746869732073686f756c64206e6f742061707065617220696e206f75747075740a",
            // {"offset":"50","v":2} and a URL, base64-encoded: cursors, not credentials.
            "eyJvZmZzZXQiOiI1MCIsInYiOjJ9",
            // "Node Redis", base64-encoded.
            "Tm9kZSBSZWRpcw==",
            "aHR0cHM6Ly9zcXMubG9jYWwudGVzdC9xdWV1ZS8x",
            "密钥Base64编码",
            "¡Felicidades!",
            "PhoneAuthCredential?",
            "required|string|max:191",
            "markup.heading.1",
            "r?r.index:-1",
            "e.withCredentials??!1",
            "!!opts.withCredentials",
            "_step4$value",
            "@charset",
            "Uint8Array",
            "variable-2",
            "{ldap}{SSHA}igvD9lOiTXm16dmOw0YWRb9OjK2ThZvdQku",
            "{pbkdf2@SpringSecurity_v5_8}fefe5120467e5d4ccff442dbb2fa86d2",
            "1.8.4",
            "gandiv5:",
            "abc123&oauth_signature_method=HMAC-SHA1",
            "urn:k8s:secret:redis:password",
            "verificationX509Credentials",
            "Saml2X509Credential",
            "itemAuth.oauth2",
            "OAuth2AdvancedParam",
            "scram-sha-256",
            "actions=",
            "credentials.Servers||",
            "),B?Pe.createElement(",
            "49039859562777973601797067008229305122883632487254944921",
            "Jobs[-1].JobId",
            "String8192",
            "0002_auto_20160226_1747",
            "keyword.$0",
            "comment.keyword.$2",
            "keyword.$S2",
            "keyword.tag-$1",
            "br,input,link,meta,!doctype,basefont,base,area",
            "br,input,link,meta,!doctype,basefont,base,area,hr,wbr,param,img,isindex,?xml,embed,?php,?,?=",
            "?checkpoint.last_account_key",
            "%peer_info.remote_addr",
            "private_key_handle.0",
            "S3CredentialsConfig::Explicit",
            "trhI0BY8QfVrIGn9nENop6JAc6l5nZuxhjQ62UfM:1syM2a0D54ljvI8LPam4JSz-zNo=",
            "$CLAUDE_PLUGIN_OPTION_MEM0_API_KEY",
            "m0-verified",
            "sk-literal",
            "@plain_api_key",
            "Ctrl-Space|Ctrl-Shift-Space|Alt-Space",
            "UITextField!",
            "ROTP::Base32.random",
            "web_requests#handle_request",
            "users/confirmations#confirm",
            "tskey-client-abc?ephemeral=false",
            "@provider.prefix.charAt(0)",
            "SCWBDFF054RNNE8204AJ",
            "sk-my-openai-1st-key",
            "@canvas/SET_COMPONENT_CREDENTIALS",
            "pg/varchar@1",
            "$$2a$$05$$PcMNUbJvsk7QHFSfEIDaIOjk1VI9/E7IPjTKx.jkjPxkx2EOKSoPS",
            "#jbcrypt:$2a$10$LP4bMhwyCPnsDm.XRcTZSuBqWYKGAiDAsQXrSrJGYcEd9padaPgsC",
            "\\\\d{4}-\\\\d{2}-\\\\d{2}|today|yesterday",
            "pk.eyJ1IjoibWFwdXNlciIsImEiOiJja3Q5cXo3bWQwMDAxMnBwZ3Z4b2Y4d2VkIn0.Zk3vQ8mTx2LpW7nR4bC9hJ",
            "smithy.api#httpApiKeyAuth",
            "okta.api.o_auth2_resource_server_credentials_keys_api",
            "Base64(Header).Base64(Data).Base64(Signature)",
            "hmac(key).hexdigest()",
            "@wandbcode{",
            "com.example.auth.Credentials#apiKey",
            "v4aCredentialProvider",
            "k8sServiceAccountToken",
            "48.hours",
            "ak1_last_used_date",
            "ak1_active",
            "EC2_PARAMS",
            "project.s3AccessKey",
            "@dtd-include@",
            "ew0KICAiYWxnIjogIm5vbmUiLA0KICAidHlwIjogIkpXVCINCn0",
            "!$scope.prompt",
            "#update-email-container",
            "$argon2id$v=19$m=65536,t=1,p=1$Z3JlZW5hbmRlcnNlY3JldA$Z3JlZW5hbmRlcnNlY3JldA",
            "[name='screen'][value='credential-selection']",
            "phc_Qm9Xr2LkT7vZp4WnS8dJ3hF6a1Yc5Ue0Xk9QmTp2WvL",
            "wx8f3c1e7b2d84a6f9",
            "tok_ru6xnh53uovethkr2gy3gwpl2a",
            "aws:ec2/getAmi:getAmi",
            "azure-native:storage:StorageAccount",
            "ADYEN_MERCHANT_ACCOUNT=",
            "ENC[AES256_GCM,data:Tr9xq2LmVb4=,iv:Qk3zP8vR2xLm7TbW9nYc4Hs6Jd1fG5eA0uI=,tag:Zx8=,type:str]",
            "U2FsdGVkX19Ji6JpgnVHW3V47OtMJwuKi1Yf9nc0aP5Q",
            "CiQAwtE8s7Ac0kRqMfBmYhfvxJ5KnL9pZrW2eT3yU6iO1aS4dF7gH0jK8lZxC5vB2nM=",
        ] {
            assert!(!is_generic_literal(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn documentation_hosts() {
        for h in ["example.com", "API.Example.org", "db.example.net"] {
            assert!(is_documentation_host(h.as_bytes()), "{h}");
        }
        for h in [
            "myexample.com",
            "example.com.evil.test",
            "keyhound.test",
            "10.0.0.1",
        ] {
            assert!(!is_documentation_host(h.as_bytes()), "{h}");
        }
    }

    /// Asserts `f` holds for every value of `yes` and for none of `no`.
    fn judge(f: impl Fn(&[u8]) -> bool, yes: &[&str], no: &[&str]) {
        for v in yes {
            assert!(f(v.as_bytes()), "should hold: {v}");
        }
        for v in no {
            assert!(!f(v.as_bytes()), "should not hold: {v}");
        }
    }

    #[test]
    fn encoded_placeholder_pairs() {
        judge(
            encodes_placeholder_pair,
            // username:password, user:changeme, user:<password>, myuser:mypassword,
            // any-user:any-password, some-user:some-password.
            &[
                "dXNlcm5hbWU6cGFzc3dvcmQ=",
                "dXNlcjpjaGFuZ2VtZQ==",
                "dXNlcjo8cGFzc3dvcmQ+",
                "bXl1c2VyOm15cGFzc3dvcmQ=",
                "YW55LXVzZXI6YW55LXBhc3N3b3Jk",
                "c29tZS11c2VyOnNvbWUtcGFzc3dvcmQ=",
                // client1:secret, with the newline `base64` adds.
                "Y2xpZW50MTpzZWNyZXQK",
                // username1:password1, yourregistryusername:password2,
                // test_user_1:test_password_1, oauth_id:oauth_secret.
                "dXNlcm5hbWUxOnBhc3N3b3JkMQ==",
                "eW91cnJlZ2lzdHJ5dXNlcm5hbWU6cGFzc3dvcmQy",
                "dGVzdF91c2VyXzE6dGVzdF9wYXNzd29yZF8x",
                "b2F1dGhfaWQ6b2F1dGhfc2VjcmV0",
            ],
            // user2:Wq7vJd2pLx9s, deploy:Wq7vJd2pLx9s, myuser:Mypass2024, admin:password, a base64 key, no pair,
            // deploy-bot:Kq8vZ2mXw7.
            &[
                "dXNlcjI6V3E3dkpkMnBMeDlz",
                "ZGVwbG95LWJvdDpLcTh2WjJtWHc3",
                "ZGVwbG95OldxN3ZKZDJwTHg5cw==",
                "bXl1c2VyOk15cGFzczIwMjQ=",
                "YWRtaW46cGFzc3dvcmQ=",
                "NnZmWW5jNjY4SDE1aVJxQXRj",
                "aGVsbG8td29ybGQ=",
                // oauth_id:Kq8vZ2mXw7pL, a real secret under the id's name.
                "b2F1dGhfaWQ6S3E4dloybVh3N3BM",
            ],
        );
    }

    #[test]
    fn encoded_htpasswd_files_are_hashes() {
        // alice:{SHA}… and bob:$apr1$…, one per line.
        assert!(encodes_password_hashes(
            b"YWxpY2U6e1NIQX1HdTBYbHRHM3J4UGF4VkhsK2tRTzdTcUpWYXM9CmJvYjokYXByMSRYcTNiOUxtMiRIZjBjMnVSazF5VmI3VHFTMGFQejQvCg=="
        ));
        // alice:hunter2-fixture, a password in clear; a hash list with one clear line.
        assert!(!encodes_password_hashes(
            b"YWxpY2U6aHVudGVyMi1maXh0dXJlCg=="
        ));
        assert!(!encodes_password_hashes(
            b"YWxpY2U6e1NIQX1HdTBYbHRHM3J4UGF4VkhsK2tRTzdTcUpWYXM9CmJvYjpwbGFpbnRleHQtcGFzcwo="
        ));
    }

    #[test]
    fn encoded_values_are_judged_decoded() {
        // test-password, SECRETVAL, hello-world (in a token's place), 12345678, mypassword.
        for (v, password) in [
            ("dGVzdC1wYXNzd29yZA==", true),
            ("bXlwYXNzd29yZA==", false),
            ("U0VDUkVUVkFM", true),
            ("aGVsbG8td29ybGQ=", false),
            ("MTIzNDU2Nzg=", true),
            // value-2 with Windows line ends after it.
            ("dmFsdWUtMg0KDQo=", false),
            // hvs.******* (masked) and a SCRAM-SHA-256 verifier.
            ("aHZzLioqKioqKio=", false),
            (
                "U0NSQU0tU0hBLTI1NiQ0MDk2OmMyRnNkSE5oYkhRPSRjM1J2Y21Wa09uTmxjblpsY2c9PQ==",
                true,
            ),
        ] {
            assert!(encodes_non_secret(v.as_bytes(), password), "{v}");
        }
        // JKvOKc2NOu, hello-world as a password, admin:password, a .dockercfg document, random
        // bytes, not base64-sized.
        for (v, password) in [
            ("Skt2T0tjMk5PdQ==", true),
            ("aGVsbG8td29ybGQ=", true),
            ("YWRtaW46cGFzc3dvcmQ=", false),
            (
                "eyJhdXRocyI6eyJodHRwczovL3IudGVzdCI6eyJhdXRoIjoiazl4In19fQ==",
                false,
            ),
            ("NnZmWW5jNjY4SDE1aVJxQXRj", false),
            ("c3ZjLW9yZGVyczoxaDg0MG5xSnNvZDNUMmFxdTVUMg==", false),
            ("q8Zr1xT0vB7mWc2N", false),
            ("dGVzdA", true),
        ] {
            assert!(!encodes_non_secret(v.as_bytes(), password), "{v}");
        }
    }

    #[test]
    fn flagsmith_client_keys_are_public() {
        assert!(is_public_key_header(
            b"X-Environment-Key",
            b"n9fbf9h3v4fFgH3U3ngWhb"
        ));
        assert!(!is_public_key_header(
            b"X-Environment-Key",
            b"ser.Kq7vR2xLm9TzW4pN8cBdYs"
        ));
        assert!(!is_public_key_header(
            b"X-Api-Key",
            b"n9fbf9h3v4fFgH3U3ngWhb"
        ));
    }

    #[test]
    fn switch_options_take_no_value() {
        for w in ["disabled", "no", "ASK", "prompt"] {
            assert!(is_switch_word(w.as_bytes()), "{w}");
        }
        for w in ["db", "admin", "http", ""] {
            assert!(!is_switch_word(w.as_bytes()), "{w}");
        }
    }

    #[test]
    fn password_values() {
        for v in [
            "blooberry",
            "team10",
            "super$ecret",
            "P@ssw0rd$1",
            "s3cr3t-Pa55",
            "thisismypassword",
            "rootpasswd",
            "rootpass",
            "testpass",
            "supersecret1",
            "Tr0ub4dor::3",
            // A weak password, not row 123 or a slot.
            "pass123",
            "password12",
            "Password1",
            "SuperSecret123!",
            "Wrongful2024!x",
            // Parentheses and a digit, but no manual page.
            "Kq7(1)",
            "my pass(1)",
        ] {
            assert!(is_password_value(v.as_bytes(), false), "{v}");
        }
        for v in [
            // Row N of an ORM test, and a strength meter's progress status.
            "pass_10",
            "pass1",
            "pwd_2",
            "normal",
            // Manual pages, and an inline literal, named where the value goes.
            "crypt(1)",
            "`bool`",
            "`bool``",
            "passwd(5)",
            "crypt(3c)",
        ] {
            assert!(!is_password_value(v.as_bytes(), false), "{v}");
        }
        // The MD5, SHA-1 and SHA-256 digests of `12345678`, `password` and `admin`, as user
        // tables in fixtures store them, in either case; not hex that is no such digest.
        for v in [
            "25d55ad283aa400af464c76d713c07ad",
            "5F4DCC3B5AA765D61D8327DEB882CF99",
            "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8",
            "8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918",
            // MySQL's PASSWORD('admin'), bare and as MySQL prints it.
            "4ACFE3202A5FF5CF467898FC58AAB1D615029441",
            "*4ACFE3202A5FF5CF467898FC58AAB1D615029441",
        ] {
            assert!(is_digest_of_common_password(v.as_bytes()), "{v}");
        }
        for v in [
            "5f4dcc3b5aa765d61d8327deb882cf98",
            "f3a1c9e07b2d4c8e9a6b5d4c3b2a1f0e9d8c7b6a",
            "25d55ad283aa400af464c76d713c07a",
        ] {
            assert!(!is_digest_of_common_password(v.as_bytes()), "{v}");
        }
        // Words that only qualify the field's name: "put a good one here".
        for v in [
            "supersecret",
            "supersecurepw",
            "supersecurepassword",
            "wrongpassword",
            "somepassword",
            "secretpassword",
            "strongpassword",
            "mysuperpass",
            "super_secret",
            "secretpassphrase",
            "thisisnotapassword",
            "fakepassword",
            "somelongandcomplicatedpassword",
            "somethingsecret",
            "wrong",
            "incorrect",
            "suffix).",
            "key_secret",
            "string;`.",
            "both",
            "wrong_password2",
            "1/m/user",
            "hashedpassword",
            "nomatch",
            "with",
            "token1",
            "secret2",
            "db-value",
            "secret_value",
            "md5$seasalt$d21c7cd1e6e0d2f7b8c3ad8c6f1bb9e0",
            "unsalted_md5$d21c7cd1e6e0d2f7b8c3ad8c6f1bb9e0",
            "existing-hash",
            "notasecret2",
            "wrong1",
            "incorrect2",
            "thesilverpeaspassword",
            "urlencodedpassword",
            "thesmtpadminpassword",
            "notasecreteither",
            "hashed_user1_password",
            "MySociety::Util.generate_token",
            "PASSWORD=21",
            "Contrase\\u00F1a",
            "Has\\u0142o",
            "ba3253876aed6bc22d4a6ff53d8406c6ad864195ed144ab5c87621b6c233b548baeae6956df346ec8c17f5ea10f35ee3cbc514797ed7ddd3145464e2a0bab413",
            "reallysecurepasswordstringhere",
            "makesurepasswordissecure",
            "userpassword",
            "authpassword",
            "readonlypass",
            "randompass",
            "some-token",
            "trywithwrongpass",
            "mypassword",
            "my-pass",
        ] {
            assert!(!is_password_value(v.as_bytes(), false), "{v}");
        }
        for v in [
            "^.{8,32}$",
            "1.3.6.1.4.1.4203.1.9.1.1",
            "]]..passphrase..[[",
            "obscured",
            "database=",
            "value.",
            "0x115",
            "keys/jira.pass",
            "key/path/some.pass",
            "CLI密码",
            "token",
            "nacos_config[",
            "os.getenv(",
            "Pass$RANDOM$RANDOM",
            ".types",
            "..models.user_profile",
            "short",
            "30..52",
            "is-weak",
            "has-error",
            "fa-play",
            "windowsPE",
            "oobeSystem",
            "ENC[AES256_GCM,data:Tr9xq2LmVb4=,iv:Qk3zP8vR2xLm7TbW9nYc4Hs6Jd1fG5eA0uI=,tag:Zx8=,type:str]",
            "unused",
            "garbage",
            "nickname",
            "plaintext",
            "valid",
            "authentication",
            "varchar",
            "passdb/%u",
            "userdb/%{user}",
            // Debconf questions, answered by `debconf-set-selections`.
            "percona-server-server-5.7/root-pass",
            "mysql-server/root_password_again",
            "phpmyadmin/mysql/admin-pass",
            // "my", what it opens, and the field.
            "mydbpassword",
            "myrootpass",
            "dbpassword",
            "dbpass",
            "{foo;bar}",
            "bar%3a",
            "foo{bar",
            "thisisnotused",
            // A test's first and second user's, numbered.
            "password1",
            "passwd2",
            // Net-SNMP's example USM keys; a numbered slot set off by `_`.
            "authkey1",
            "privkey1",
            "apns_token_1",
            // What a two-factor test sends to be refused; a gateway that does not register.
            "wrongpin",
            "wrongotp",
            "wrongvalue",
            "definitely-wrong",
            "not-used",
            "keystore",
        ] {
            assert!(!is_password_value(v.as_bytes(), true), "{v}");
        }
        // MySQL's own name, and passwords with a slash that name no debconf question. PINs a
        // test sets (no refusal word), and a numbered key of more than one digit.
        for v in [
            "foobar",
            "b%3Dar",
            "user",
            "--agdiuhdpost15",
            "somepin",
            "otppin",
            "authkey12",
            "mysqlpassword",
            "mysqlpass",
            "Tq8/vale-pass",
            "pkg/Hunter2pass",
        ] {
            assert!(is_password_value(v.as_bytes(), true), "{v}");
        }
        // A password may hold a `%` as long as no path segment is a lookup variable.
        assert!(is_password_value(b"Xk9%uq2/mT", true));
        // Paths need only path characters; a password with a `/` has other symbols too.
        assert!(is_password_value(b"x9/k!q.pw", true));
        // A leading dot alone makes no module: `.Xk9!q` and `.hunter2!` are passwords.
        assert!(is_password_value(b".Xk9q2mT", true));
        assert!(is_password_value(b".hunter2!", true));
        // Where only a literal can stand, identifier-shaped values are passwords too.
        for v in [
            "dev_admin",
            "specialbill_user",
            "open_sesame",
            "srx2_pass",
            "user2_tok",
        ] {
            assert!(is_password_value(v.as_bytes(), true), "{v}");
            assert!(!is_password_value(v.as_bytes(), false), "{v}");
        }
        // Unquoted, a number and snake_case alone still make a password, and a `!` ends a
        // password (`letMeIn!`), not an unwrapped variable.
        assert!(is_password_value(b"admin2_prod", false));
        assert!(is_password_value(b"letMeIn!", false));
        for v in [
            "$DB_PASSWORD",
            "%PASSWORD%",
            "#{password}",
            "******",
            "xxxxxx",
            "Password",
            "null",
            "String",
            "process.env.DB_PASS",
            "os.environ['PW']",
            "%s",
            "+pass+",
            "",
            "user_password",
            "hashedPassword",
            "args.password",
            "/run/secrets/db",
            "apache@localhost",
            "ops.team@keyhound.test",
            "#add-password",
            "NewPassword",
            "confirm_password",
            "cms/sites/passwords#update",
            "hashed",
            "required|string|min:8|confirmed",
            "number",
            "always",
            "Contraseña",
            "password123!$([System.IO.Path]::GetRandomFileName(",
            "pre#{token}post",
            "Contrasenya",
            "6.hours",
            "2.days.ago",
            "Lykilorð",
            "URLPatternComponentResult",
            "String!",
            "2020-10-15T06:38:00.000+00:00",
            "somefakekey",
            ",.:-@*?!",
            "arn:aws:iam::aws:policy/IAMUserChangePassword",
            "!!result.session.active",
            "!enabled",
            "failed",
            "Şifre",
            "),d?m.default.createElement(",
            "123456789`,r.passwordConfirm=`123456789",
            "`,mfaId:`",
            "パスワードは8文字以上にしてください",
            "Palavra-passe",
            "CLIENT_SECRET",
            "changeit",
            "1.8.4",
            "urn:k8s:secret:oidc:redisPass",
            "MAILER-WACHTWOORD",
            "Wachtwoord:",
            "PIN码：",
            "drwxr-xr-x",
            "PENDING",
            "C:/foo/bar",
            "`+expected1+`",
            "notasecret",
            "v2.Password",
            "keystoneclient.auth.identity.v3:Password",
            "`str`",
            "pbkdf2_sha256$600000$ftko8cy0qUkOVOh7eqPzRw$t1G3jRtIORza4AkYDIc3rWE1RIRXN92Jg5qtYTlkj+Y=",
            "required|confirmed|",
            "min:5",
            "required_unless:mail_driver,log",
            ".urlencode($this->gateway->getConfigField(",
            "sometimes",
            "a[href=",
            "a[aria-label=",
            "input[name=",
            "myPwd",
            "mySecret",
        ] {
            assert!(!is_password_value(v.as_bytes(), false), "{v}");
        }
    }

    #[test]
    fn wave_46_shapes() {
        // Generated enum members, curve names and theme references are no secrets.
        for v in [
            "Oauth2ClientId",
            "Base64Encoded",
            "sha256Digest",
            "prime256v1",
            "secp384r1",
            "?attr/primary_field_03",
            "@color/accent",
            "?android:attr/textColorPrimary",
        ] {
            assert!(!is_generic_literal(v.as_bytes()), "{v}");
        }
        for v in [
            "Oauth2Qx7Vm",
            "Kv8Lq2Zp9Xw4",
            "prime256v2x",
            "?attr/",
            "?colour/Kq8vT2mZ9xLp4",
        ] {
            assert!(is_generic_literal(v.as_bytes()), "{v}");
        }
        assert!(is_member_access(
            b"waUserPassword.UserPassword_PBKDF2_HMAC_SHA384"
        ));
        // Base64 of a sample's text that disowns the key it stands in for.
        assert!(is_encoded_text(
            b"aGVsbG8gd29ybGQgdGhpcyBpcyBub3QgYSByZWFsIGtleQo="
        ));
        // An unquoted `x509Passphrase` is a variable; `dragonFly99` may be a password.
        assert!(!is_password_value(b"x509Passphrase", false));
        assert!(is_password_value(b"dragonFly99", false));
        assert!(!is_generic_literal(b"percona-server-server-5.7/root-pass"));
        assert!(!is_generic_literal(b"#!/usr/bin/env"));
        assert!(!is_generic_literal(
            b"integration-test-signing-key-that-is-at-least-32-chars"
        ));
        assert!(!is_generic_literal(b"pypi-AgEIcHlwaS5vcmc"));
        // Random bytes made here after 0x04: the shape of a Web Push server key.
        assert!(!is_generic_literal(
            b"BMe2OmX0568qKbpvMPTW4dnZzMz1FVcJ4174HDPmKG3Xedv88X7XtnPTRThzYpk78LKchcNInV1LRlsOn_nLJ80"
        ));
        assert!(!is_password_value(
            b"Optional[NonPaginatableList[AccountCreationErrorDetailsField]]",
            true
        ));
        assert!(is_generic_literal(
            b"Kq8vZ2mXw7-pL4RtY9nB-c3Hd6Jf1aG-s5Ue0Io8K-b2Ga7Ns"
        ));
        assert!(!is_generic_literal(b"dpapi_machinekey:0x{0}"));
        for v in [
            "PasswordRANGE0",
            "_@@_FILE0_@@_",
            "ATTk589914",
            "10300-password",
            "mykeystorepassword",
            "WrongPassword123!",
            "NotThePassword1!",
            "C:\\windows\\system32",
            "anything",
        ] {
            assert!(!is_password_value(v.as_bytes(), true), "{v}");
        }
        assert!(is_password_value(b"Kq8vRANGEr", true));
        assert!(is_digest_of_common_password(
            b"31D6CFE0D16AE931B73C59D7E0C089C0"
        ));
        for v in ["scram-sha-256", "bearer", "through", "something"] {
            assert!(!is_password_value(v.as_bytes(), true), "{v}");
        }
        assert!(!is_generic_literal(b"!file:var"));
        assert!(!is_generic_literal(b"!var"));
        assert!(is_generic_literal(b"!Kq8vT2mZ9x"));
        // Name- and time-based UUIDs are ids; a typed one without their variant bits is not.
        assert!(is_non_random_uuid(b"6ba7b810-9dad-11d1-80b4-00c04fd430c8"));
        assert!(!is_non_random_uuid(b"227e1cce-6bf7-30bb-2d2a-acc854318caf"));
        assert!(!is_password_value(b"falsepassword", true));
        assert!(names_its_slot(b"sk_live_secret-key-12345"));
        assert!(names_its_slot(b"sk_test-secret-key-12345"));
        assert!(!names_its_slot(b"sk_test_4eC39HqLyjWDarjtT1zdp7dc"));
        assert!(!names_its_slot(b"sk_live_secret-key-90210"));
        for v in [
            "enable",
            "colon",
            "typed",
            "serverpasswordhere",
            "changeadmin",
        ] {
            assert!(!is_password_value(v.as_bytes(), true), "{v}");
        }
        assert!(is_protocol_nonce(
            b"token_signature",
            b"<!-- livebook:{\"offset\":58,\"stamp\":{\"token\":\"XCP.x\",\"token_signature\":\"y\",\"version\":2}} -->"
        ));
        let shadow = b"{\"state\":{},\"clientToken\":\"0c7e4b19-3f2a-4a8d-9e61-b5d2c8f1a730\"} on the shadow topic";
        assert!(is_protocol_nonce(b"clientToken", shadow));
        assert!(!is_protocol_nonce(
            b"client_token",
            b"{\"auth\": {\"client_token\": \"x\"}}"
        ));
    }

    #[test]
    fn non_secret_names() {
        for n in [
            "token_url",
            "SECRET_NAME",
            "secret_key_nonce",
            "test_private_key_nonce",
            "test_secret_key_nonce2",
            "jobCredentialsId",
            "publicToken",
            "csrf_token",
            "api_key_id",
            "PASSWORD_SCHEME",
            "root_password_sha2",
            "PWD_SHA",
            "saltedpassword",
            "TOKEN_FILE",
            "credentials_identifier",
            "ETCD_INITIAL_CLUSTER_TOKEN",
            "websiteToken",
            "VerificationToken",
            "web_analytics_token",
            "wgTrackingToken",
            "fieldPassword.error",
            "password_message",
            "PASSWORD_INPUT_BOX",
            "passwords",
            "hwScaleFilterFirstPass",
            "pwdMaxAge",
            "pwdInHistory",
            "password_encryption",
            "\"Postman-Token",
            "PASSWORD_HASH_ALGO",
            "passwordStrengthColor",
            "OnePassword",
            "LastPass",
            "NODE_ATTR_SSH_KEY_PASSPHRASE_OPTION",
            "CommandGitAskPass",
            "GIT_ASKPASS",
            "secretsmanager",
            "TokenManager",
            "hashed_password",
            "password_digest",
            "mtoken_gm3000_pcsc.dll",
            "token_uuid",
            "credential_list_sid",
            "CredentialListSid",
            "flow_token",
            "version_token",
            "data-secret",
            "password_modified_date",
            "ms-mcs-AdmPwdExpirationTime",
            "tokenExpiry",
            "_token",
            "email_password_status",
            "ERRCODE_INVALID_PASSWORD",
            "InvalidUppercasePassword",
            "CodeIncorrectPassword",
            "midToken",
            "AUTHENTICATION_APIKEY_USERS",
            "password_plesk_user",
            "ca.crt",
            "tls.ca",
            "client-cert",
            "mockPasswordEncrypted",
            "encryptedPassword",
            "password_strength_driver",
            "TOKEN_USERNAME",
            "baseTokenAddress",
            "tokenData",
            "password-bcrypt-base64",
            "RECAPTCHA_SITE_KEY",
            "recaptcha_site_secret",
            "captchaToken",
            "OBFUSCATION_START_TOKEN",
            "PYTHON_SECRETSTORAGE_LICENSE",
            "SRC_URI[jsonwebtoken-10.4.0.sha256sum]",
            "PolicyUpdateToken",
            "NextLockToken",
            "ChangeToken",
            "LOGIN_TOKEN_NAMESPACE",
            "htpasswd_password_characters",
            "passwordstore_backend",
            "pwdIndex",
            "sealed_token",
            "PASSWORD_SALT_SIMPLE",
            "passwordSalt",
            "PWDEBUG",
            "X-Square-Cash-Referrer-Token",
            "ClientToken",
            "SecretId",
            "testNegTokenInit",
            "contentApiKey",
            "GHOST_CONTENT_API_KEY",
            "token_dialect",
            "passwordIssue",
            "fieldname.OneTimePassword",
            "KRB5_KPASSWD_TGT_SPN",
            "APNS_TOKEN_EXAMPLE",
            "HOP_PASSWORD_ENCODER_PLUGIN",
            "X25519_SHARED_SECRET",
            "MLKEM768_SECRET",
            "ecdhSharedSecret",
            "premaster_secret_hex_in",
            "client_handshake_traffic_secret",
            "token_mint",
            "tokenMint",
            "associated_token_account",
            "secretProvisioning",
            "secretsChoice",
            "GetKvSecret",
            "getApiToken",
            "ER_NO_PASSWORD",
            "ERR_INVALID_TOKEN",
            "tokenQuota",
            "storefrontToken",
            "PUBLIC_STOREFRONT_API_TOKEN",
            "raw_secret_handling",
            "raw_secret_safety_failure_kind",
            "skyvern_onepassword_config_get",
        ] {
            assert!(is_non_secret_name(n.as_bytes()), "{n}");
        }
        for n in [
            "RECAPTCHA_SECRET_KEY",
            "CSRF_COOKIE_SECRET",
            "hcaptcha_secret",
            "password",
            "db_password",
            "apiKey",
            "secret_id",
            "client_secret",
            "AUTH_TOKEN",
            "tokenid_x",
            "secretB64Url",
            "ENCRYPTION_KEY_DERIVATION_SALT",
            "x25519_private_key",
            "MLKEM768_SECRET_KEY",
            "WEBHOOK_SHARED_SECRET",
            "masterSecret",
            "exchange_token",
            "ExchangeToken",
            "unseal_key",
            "SALT_PASSWORD",
            "client_token",
            "clientToken",
            "verification_token",
            "SLACK_VERIFICATION_TOKEN",
            // A word ending in `sid` is no SID.
            "password_apisid",
            "passwd_subsid",
            // Nor one ending in `mint`.
            "secret_peppermint",
            // Lightning's per-commitment secrets are secrets.
            "local_per_commit_secret",
            "per_commitment_secret_seed",
            "PRIVATE_STOREFRONT_API_TOKEN",
            // A password manager's token or password is a secret.
            "onepassword_token",
            "ONEPASSWORD_CONNECT_TOKEN",
            "keepass_master_password",
            // Kinds of a secret that are the secret: not `kind`.
            "secret_kind_key",
        ] {
            assert!(!is_non_secret_name(n.as_bytes()), "{n}");
        }
    }

    #[test]
    fn anonymous_logins_are_no_passwords() {
        let line = br#"login(user = "anonymous", password = "guest")"#;
        assert!(is_anonymous_login(b"guest", line));
        assert!(is_anonymous_login(
            b"ftp@example.net",
            b"user='anonymous' pw='ftp@example.net'"
        ));
        assert!(is_anonymous_login(b"anonymous", b"password = 'anonymous'"));
        assert!(is_anonymous_login(b"Anonymous@", b"$pass = 'Anonymous@';"));
        assert!(!is_anonymous_login(b"guest", b"password = 'guest'"));
        assert!(!is_anonymous_login(b"Kq7vT2mX9zLp", line));
        assert!(!is_anonymous_login(
            b"anonymousKq7vT2",
            b"password = 'anonymousKq7vT2'"
        ));
    }

    #[test]
    fn storefront_tokens_are_public() {
        let around = br#"{"storefront_access_token": {"access_token": "d4e1c2b3a4f5e6d7c8b9a0f1e2d3c4b5", "access_scope": "unauthenticated_read_product_listings", "admin_graphql_api_id": "gid://shopify/StorefrontAccessToken/1003304090"}}"#;
        assert!(is_commerce_object_token(b"access_token", around));
        // An Admin API token beside a shop's other fields is a secret.
        let admin =
            br#"{"access_token": "d4e1c2b3a4f5e6d7c8b9a0f1e2d3c4b5", "scope": "write_orders"}"#;
        assert!(!is_commerce_object_token(b"access_token", admin));
    }

    #[test]
    fn bitcoin_rpcauth_digests() {
        let salted = format!("{}${}", "4f2a".repeat(8), "9c1e".repeat(16));
        assert!(is_tagged_digest(salted.as_bytes()));
        assert!(!is_tagged_digest(
            format!("{}${}", "4f2a".repeat(8), "9c1e".repeat(15)).as_bytes()
        ));
        assert!(!is_tagged_digest(b"Tr0ub4dor&3horse$battery"));
        assert!(is_tagged_digest(b"ENC(dZSxRJoRDuI58eYkWIuH4Q==)"));
        assert!(is_tagged_digest(
            b"hash:ed64b7695a606bc6ab4fcb41fe815b5ddf1063ccbc87afe1fa89756635db520e"
        ));
        let sri = format!("sha512-{}==", "Qx7vL2mT".repeat(10) + "Ab9Zk2");
        assert!(is_tagged_digest(sri.as_bytes()));
        assert!(!is_tagged_digest(b"sha512-Tr0ub4dor3horse"));
        assert!(!is_tagged_digest(b"ENC(x)"));
    }

    #[test]
    fn prefixed_shouted_words() {
        assert!(is_placeholder(b"unkey_NONEXISTENT_KEY", &[]));
        assert!(is_placeholder(b"unkey_KEY_FROM_DISABLED_WORKSPACE", &[]));
        assert!(is_prefixed_shouted_words(b"sk-REVOKED-TOKEN"));
        assert!(!is_prefixed_shouted_words(
            b"unkey_3ZQ8xK1mP7vT5nR2wY6bJ4hL"
        ));
        assert!(!is_prefixed_shouted_words(b"sk_live_QKXNZRPTWMBVYHLC"));
        assert!(!is_prefixed_shouted_words(b"xoxb_AB12_CD"));
    }

    #[test]
    fn public_chain_values() {
        let xpub = "xpub6CUGRUonZSQ4TWtTMmzXdrXDtypWKiKrhko4egpiMZbpiaQL2jkwSB1icqYh2cfDfVxdx4df189oLKnC5fSwqPfgyP3hooxujYzAu3fDVmz";
        assert_eq!(xpub.len(), 111);
        assert!(is_xpub_or_invoice(xpub.as_bytes()));
        assert!(is_placeholder_password(xpub.as_bytes()));
        // A private extended key is a secret.
        let xprv = xpub.replacen("xpub", "xprv", 1);
        assert!(!is_xpub_or_invoice(xprv.as_bytes()));
        let invoice = "lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpuaztrnwngzn3kdzw5hydlzf03qdgm2hdq27cqv3agm2awhz5se903vruatfhq77w3ls4evs3ch9zw97j25emudupq63nyw24cg27h2rspfj9srp";
        assert!(is_xpub_or_invoice(invoice.as_bytes()));
        assert!(!is_xpub_or_invoice(
            b"lnbcd7f3a9c1e5b2d8f4a6c0e9b3d7a1f5c8e2b6d"
        ));
    }

    #[test]
    fn counting_bytes_and_long_repeated_blocks() {
        assert!(is_counting_bytes(b"000102030405060708090a0b0c0d0e0f"));
        assert!(is_counting_bytes(
            b"0x000102030405060708090A0B0C0D0E0F10111213"
        ));
        assert!(is_counting_bytes(b"f0f1f2f3f4f5f6f7f8f9"));
        assert!(is_counting_bytes(b"0x1f1e1d1c1b1a19181716151413121110"));
        assert!(!is_counting_bytes(b"0001020304050607080a"));
        assert!(!is_counting_bytes(b"00010203"));
        assert!(!is_counting_bytes(b"9f3ac27be1d84f60a2c4"));
        assert!(is_placeholder(b"0x000102030405060708090a0b0c0d0e0f", &[]));
        let block = "62c5a39a728e4af5bee0c6b4";
        assert!(is_placeholder(
            format!("0x{}", block.repeat(4)).as_bytes(),
            &[]
        ));
        assert!(!is_placeholder(
            b"0x62c5a39a728e4af5bee0c6b47fe125a2028cf9a5e5c47b64775abc47",
            &[]
        ));
    }

    #[test]
    fn sequences() {
        assert!(has_sequence(b"xx123456yy", 6));
        assert!(has_sequence(b"FEDCBA", 6));
        assert!(!has_sequence(b"12345x6789", 6));
        // Letters and digits taking turns, the letters in either case.
        assert!(has_interleaved_sequence(b"A1b2C3d4E5f6"));
        assert!(has_interleaved_sequence(b"a1b2c3d4"));
        assert!(!has_interleaved_sequence(b"A1x2C3y4E5z6"));
        assert!(!has_interleaved_sequence(b"Q8vRa1B2c3D4e5F6"));
        assert!(is_netrc_keyword(b"Account"));
        assert!(!is_netrc_keyword(b"api.keyhound.test"));
    }

    #[test]
    fn wave_63_and_64_shapes_are_not_secrets() {
        // Verifiers, encrypted values and encodings.
        let scrypt = format!("73637279707400{}", "0a1b2c3d".repeat(24));
        assert!(!is_generic_literal(scrypt.as_bytes()));
        assert!(!is_password_value(scrypt.as_bytes(), true));
        assert!(is_generic_literal(
            format!("7365637265{}", "0a1b2c3d".repeat(24)).as_bytes()
        ));
        assert!(!is_generic_literal(b"!encrypted/pkcs1-oaep"));
        assert!(!is_password_value(
            b"$/aes-192-cbc:9c41e0f7a2b35d8e6f10c4a7b2e9d305:5be1",
            true
        ));
        // Names of other things: a printed Java object, an option, a library, an image, an
        // entry point, a URL's tail.
        assert!(!is_password_value(
            b"javax.swing.plaf.ActionMapUIResource@5e9f23b4",
            false
        ));
        assert!(is_password_value(b"Kx9.mq2@7f", false));
        assert!(!is_password_value(b"--account=good_account", true));
        assert!(is_password_value(b"--Tq8!vz", true));
        assert!(!is_generic_literal(b"libSciTokens.so.0"));
        assert!(!is_generic_literal(b"libcrypto-3-x64.dll"));
        assert!(is_generic_literal(b"lib7Qz0Kp2vW9xR4"));
        assert!(!is_generic_literal(
            b"quay.io/airshipit/keystone:2025.1-ubuntu_jammy"
        ));
        assert!(!is_generic_literal(
            b"openstackclient.identity.v3.ec2creds:CreateEC2Creds"
        ));
        assert!(!is_generic_literal(
            b"@redis-server-url:6380/0?ssl_cert_reqs=CERT_REQUIRED"
        ));
        assert!(!is_generic_literal(b"foo%29%29%00"));
        let gigya = format!("3_{}", "Zq8-Lm_03xVb7Nc2".repeat(4));
        assert!(!is_generic_literal(gigya.as_bytes()));
        // Stand-ins.
        assert!(!is_password_value(b"tobechanged", true));
        assert!(is_placeholder(b"#RELATIVE_TO_CHANGELOG_FILE#", &[]));
        assert!(is_placeholder_password(
            b"supersecret-pw-12345-NOT-A-REAL-CREDENTIAL"
        ));
        assert!(is_placeholder(b"xxj31ZMTZzkVA", &[]));
        // jwt.io's ES256 sample key, cut to its start.
        assert!(is_placeholder(
            b"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgevZzL1gdAFr88hb2",
            &[]
        ));
        assert!(is_placeholder(b"$(cvutil_makepasswd 32)", &[]));
        assert!(is_placeholder(b"`pwgen 20 1`", &[]));
        assert!(is_placeholder(b"base64-string", &[]));
        assert!(!is_placeholder(b"Kq8vLm2xZt-string", &[]));
        assert!(is_placeholder_password(b"TOBESETBYINSTALLER2"));
        assert!(is_placeholder_password(b"fixme_amp_password"));
        assert!(!is_generic_literal(b"Convert-Base64ToCredentials"));
        assert!(is_generic_literal(b"Get-kq8vLm2xZt"));
        assert!(is_non_secret_name(b"test_authtokens_CPPFLAGS"));
        // Wave 66: references, public halves, code and text.
        for value in [
            &b"arn:aws:kms:eu-west-1:123456789012:key/1b2c"[..],
            b"123456789012-q7v2m9x4k8z1l5w3.apps.googleusercontent.com",
            b"key::ecdsa-sha2-nistp256",
            b"{$labels.warning_empty_pwd|escape:'javascript'}",
            b"\\n\\n[user](#message)",
            b"texlab-build-*",
            b"e.length?new",
        ] {
            assert!(
                !is_generic_literal(value),
                "{}",
                String::from_utf8_lossy(value)
            );
        }
        assert!(is_generic_literal(b"Kq8vLm2x?Zt4w"));
        assert!(is_placeholder(b"DEC0DEDITtVwMoyAuTz1LioKkC", &[]));
        assert!(is_placeholder(b"abc___snip___xyz", &[]));
        assert!(!is_password_value(b"infected", true));
        assert!(is_placeholder(b"pleaseletmein", &[]));
        // Wave 67: RADIUS digests and hashes, a Maps v2 browser key, refused passwords.
        assert!(!is_password_value(
            b"0x01a3f59c2e7b4d8e6f1a0c3b5d7e9f2a4c",
            true
        ));
        assert!(is_password_value(
            b"0x5c3a9e71d2b84f06a1e7c39d58b2f4a6",
            true
        ));
        assert!(!is_password_value(
            b"HMACSHA2+256:10000:c2FsdA==:aGFzaA==",
            true
        ));
        assert!(!is_generic_literal(
            b"\\$5\\$Wm8kT3vQ\\$0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
        ));
        assert!(!is_generic_literal(
            format!("ABQIAAAA{}", "q7Vk2mZx9L".repeat(8)).as_bytes()
        ));
        assert!(is_placeholder_password(b"not-used-for-oauth2"));
        assert!(is_placeholder_password(b"ThisIsStillNotRight"));
        assert!(is_placeholder(b"ya29.vF9dft4qmTc2Nvb3Rlcg", &[]));
        // Wave 68.
        assert!(!is_password_value(b"AWS_SECRETE_ACCESS_KEY", true));
        assert!(!is_generic_literal(b"_cmll128_load_enckey"));
        assert!(is_placeholder(b"S0m3R4nd0mStr1ng0fCh4rs", &[]));
        assert!(is_placeholder(b"eyJ***immediate", &[]));
        assert!(is_non_secret_name(b"bank_account_token"));
        assert!(is_non_secret_name(b"UpdateToken"));
        assert!(!is_non_secret_name(b"client_token"));
        assert!(is_non_secret_name(b"REACT_APP_INSTRUMENTATION_KEY"));
        // Wave 69.
        for value in [
            &b"::String"[..],
            b"::Integer?",
            b":unset",
            b"XmlStringMaxLen256",
        ] {
            assert!(
                !is_password_value(value, true),
                "{}",
                String::from_utf8_lossy(value)
            );
        }
        assert!(!is_generic_literal(b"AWS4-ECDSA-P256-SHA256"));
        assert!(!is_generic_literal(b"private-key2.key"));
        assert!(is_placeholder(b"service_account_token_string", &[]));
        assert!(is_password_value(b":Kq8vLm2x", true));
        assert!(encodes_non_secret(b"c2VjcmV0IHNlY3JldA==", false));
        // Wave 70.
        assert!(!is_generic_literal(b"AccountKey="));
        assert!(is_placeholder(b"non-empty-string", &[]));
        assert!(is_placeholder(b"0xYourPrivateKeyHere", &[]));
        assert!(is_placeholder_password(b"notcorrect-password"));
        // Wave 71.
        assert!(!is_generic_literal(
            b"space/2019/12/10/3f9c2a7e1b8d4f6a0c5e9b2d7a1f4c8e"
        ));
        assert!(is_generic_literal(b"k8S/2fQx/9Lm2/vT7pZc8HbD3sFg6JkA1eQw"));
        assert!(!is_generic_literal(b"#1a2b3c4d"));
        assert!(is_non_secret_name(b"window.BOOMR_API_key"));
        assert!(is_non_secret_name(b"passwordStrength"));
        // Wave 72.
        assert!(is_non_secret_name(b"passwordRetypeState"));
        assert!(!is_password_value(
            b"2.q7Vk2mZx9LpT4wRb8nYc3A==|Zq8vLm2xKt4wRp7nYc3bHd9sFg6jUa1e|Kq7vR2mX9zLqT3pW8nZc4B5dE6fG7hJ8",
            true
        ));
        assert!(!is_generic_literal(b"SWSCQ7VK2MZX9LPT4WRB8NYC3A"));
        // Wave 73: an OCaml module path.
        assert!(!is_generic_literal(b"Githubc2_components_deploy_key"));
        assert!(!is_password_value(b"passwordstoragescheme", true));
        assert!(!is_password_value(b"--pwdscheme", true));
        assert!(is_password_value(b"passwordKq8vLm", true));
        assert!(is_generic_literal(b"Kq8vLm2x_Zt4wRp7n"));
        assert!(!encodes_non_secret(b"S3E4diBMbTJ4IFp0NHc=", false));
        // Public or not a secret by name.
        assert!(is_non_secret_name(b"CLOUDFLARE_TURNSTILE_SITE_KEY"));
        assert!(!is_non_secret_name(b"TURNSTILE_SECRET_KEY"));
        assert!(is_non_secret_name(b"PUSHER_KEY"));
        assert!(!is_non_secret_name(b"PUSHER_APP_SECRET"));
        assert!(is_non_secret_name(b"uriNoPassword"));
        // The value restates the name.
        assert!(repeats_name(
            b"E2E_OPTIN_SERVER_KEY",
            b"DEVCYCLE_GITHUB_js-sdks_E2E_OPTIN_SERVER_KEY"
        ));
        assert!(!repeats_name(
            b"E2E_OPTIN_SERVER_KEY",
            b"k7Qz0Kp2vW9xR4E2E_OPTIN_SERVER_KEY"
        ));
    }

    #[test]
    fn jwts_signed_with_jwt_io_secrets_are_documentation() {
        // Made for this test: jwt.io's sample claims signed with its HS384 and HS512 sample
        // secrets, the same claims signed with a key of our own, and our own claims signed
        // with jwt.io's HS256 secret (a test's token).
        for (token, documentation) in [
            (
                "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.bQTnz6AuMJvmXXQsVPrxeQNvzDkimo7VNXxHeSBfClLufmCVZRUuyTwJF311JHuh",
                true,
            ),
            (
                "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.VFb0qJ1LRg_4ujbZoRMXnVkUgiuKq5KxWqNdbKq_G9Vvz-S1zZa9LPxtHWKa64zDl2ofkT8F6jBt_K4riU-fPg",
                true,
            ),
            (
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.U5jj3XjNTSYk0DOpOkI6FcVPhJyEGgwibBnNenC7W1c",
                false,
            ),
            (
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJrZXlob3VuZC1maXh0dXJlIiwiaWF0IjoxNzAwMDAwMDAwfQ.j96ap98JnUzWb8IpfdYmOFfyqOGIuU_Ic-cuq-MSQYg",
                false,
            ),
        ] {
            assert_eq!(
                is_placeholder(token.as_bytes(), &[]),
                documentation,
                "{token}"
            );
        }
    }
}
