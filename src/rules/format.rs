//! The rule file format: what `rules/*.toml` and a configuration's `[[rules]]` hold.
//!
//! Kept apart from the rest of the module because `build.rs` compiles this file too: it
//! parses the built-in rule files with these very types at build time and embeds them as
//! JSON, so start-up does not parse TOML (see `RuleSet::builtin`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad a leak of this kind is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Grants broad access to production systems or money.
    Critical,
    /// Grants access to an account or service.
    High,
    /// Limited scope, or test-mode credentials.
    Medium,
    /// Little direct impact.
    Low,
}

impl Severity {
    /// Lower-case name, as written in rule files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Structural checks a secret must pass beyond its regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Checksum {
    /// GitHub / npm: the last 6 characters are the base62 CRC32 of the 30 before them.
    GithubCrc32,
    /// JSON Web Token: the header decodes to a JSON object with an `alg` member.
    Jwt,
    /// A JWT written as concatenated string literals: the `jwt` check on the token's own
    /// characters (base64url and dots), with the quotes, `+` and line breaks between parts
    /// left out.
    JwtJoined,
    /// HTTP Basic credentials: standard base64 of printable `user:password`.
    BasicAuth,
    /// Discord token: the first dot-separated part is base64 of the decimal user id.
    Discord,
    /// PyPI token: `pypi-` and a base64url version-2 macaroon whose binary fields parse.
    PypiMacaroon,
    /// A PEM private key encoded once more in base64 (Kubernetes Secrets, CI variables):
    /// decodes to `-----BEGIN ... PRIVATE KEY-----`.
    Base64PrivateKey,
    /// Grafana legacy API key: base64 of a JSON object naming `k`, `n` and `id` members.
    GrafanaLegacy,
    /// A binary key store (JKS, JCEKS, PKCS #12) that holds a private or secret key, not only
    /// trusted certificates: a trust store is public.
    KeyStoreWithKey,
    /// Stellar secret seed: a StrKey (base32 of version byte 18 << 3, 32 bytes, CRC16-XModem).
    StellarSecretSeed,
    /// NATS nkey seed: base32 of two prefix bytes (seed marker and key type), a 32-byte
    /// ed25519 seed and a CRC16-XModem.
    NatsNkeySeed,
    /// Base36 body (Mailgun's `key-` keys): at least one letter past `f`. Thirty-two hex
    /// digits are an MD5 (`key-` + a cache id), and a random base36 body is all hex one time in
    /// 10^11.
    Base36NotHex,
    /// Cisco IOS type 7: two decimal digits (an offset into Cisco's fixed key) and hex bytes
    /// that, XORed with the key, decode to printable text. Other vendors' `password 7` values
    /// (FS.com switches) are hashes or ciphertexts that do not.
    CiscoType7,
    /// Ceph (cephx) secret key: base64 of a 12-byte header (crypto type, creation time, key
    /// length) and the key, the header's length matching the bytes that follow it.
    CephKey,
    /// Ceph RBD or CephFS mirror peer bootstrap token: base64 of a JSON object naming the
    /// cluster's `fsid` and the peer's `key`.
    CephBootstrapToken,
    /// Seqera Platform (Nextflow Tower) access token: base64 of `{"tid": <token id>}.` and
    /// 40 hex digits.
    SeqeraToken,
    /// Standard Webhooks (Svix) signing secret: `whsec_` and standard base64 of 24 to 64 bytes,
    /// with a `+`, `/` or `=` that Stripe's alphanumeric `whsec_` secrets never have.
    StandardWebhooks,
    /// Junos `$9$` secret: Juniper's keyless substitution cipher, whose published alphabet and
    /// gap encoding decode the value to printable text, every character used.
    JuniperType9,
    /// Base58Check (Bitcoin's encoding of keys and addresses): the last four decoded bytes are
    /// the first four of the double SHA-256 of the rest.
    Base58Check,
    /// Bech32 (BIP 173, as NIP-19 encodes Nostr keys): the BCH checksum over the
    /// human-readable part and the data holds.
    Bech32,
    /// BIP-39 mnemonic: 12 to 24 words (a multiple of 3), all from the English list, whose
    /// last bits are the first bits of the SHA-256 of the entropy the others encode.
    Bip39Mnemonic,
    /// defuse/php-encryption key saved with `Key::saveToAsciiSafeString()`: hex of the header
    /// `DEF00000`, the 32-byte key and the SHA-256 of both.
    DefuseKey,
    /// Laravel Sanctum personal access token (Sanctum 4 and later): 40 random alphanumerics
    /// and the lower-case hex CRC-32 of them, after the token's id, `|` and an optional
    /// application prefix.
    LaravelSanctum,
    /// Matrix access and refresh tokens: `_` and six base62 digits of the CRC-32 of everything
    /// before that `_`; Synapse (`syt_`, `syr_`) writes the digits most significant first, the
    /// Matrix Authentication Service (`mat_`, `mar_`, ...) least significant first.
    MatrixToken,
    /// Cloudflare Tunnel token: standard base64 of cloudflared's JSON `{"a":<account tag>,
    /// "s":<tunnel secret>,"t":<tunnel id>}`, the account tag 32 hex digits.
    CloudflareTunnelToken,
    /// Overseerr or Jellyseerr API key: base64 of a 13-digit millisecond timestamp and a
    /// version-4 UUID, as both servers' `generateApiKey()` build it.
    OverseerrApiKey,
    /// Keeper Secrets Manager configuration in base64: a JSON object naming the client's
    /// `clientId` and `privateKey`.
    KeeperKsmConfig,
    /// rclone obscured password: unpadded base64url of a 16-byte IV and the password encrypted
    /// with AES-256-CTR under the key rclone publishes; it must decrypt to printable text.
    RcloneObscured,
    /// Twenty CRM API key: a JWT (the `jwt` check) whose payload says `"type":"API_KEY"` and
    /// names its `workspaceId`, as Twenty signs them.
    TwentyApiKey,
    /// Gitness (Harness Open Source) token: a JWT whose payload names `"iss":"Gitness"` and the
    /// token it stands for (`"tkn"`).
    GitnessToken,
    /// Concourse access token (fly, skymarshal): unpadded standard base64 of 20 random bytes and
    /// the token's expiry as a little-endian Unix time, which must fall between 2014 and 2100.
    ConcourseAccessToken,
    /// Argo CD token: a JWT (the `jwt` check) whose payload names `"iss":"argocd"`, as Argo CD's
    /// session manager signs its session and account (API) tokens.
    ArgocdToken,
    /// JSR token: `jsr<type>_`, 29 base62 characters and the base62 CRC-32 of everything before
    /// it, zero-padded to 6 (jsr-io/jsr `api/src/token.rs`).
    JsrToken,
    /// Polar token (polarsource/polar `server/polar/kit/crypto.py`, `generate_token`): the last
    /// 43 characters are 37 random base62 characters and the base62 CRC-32 of those 37,
    /// zero-padded to 6, the GitHub scheme with a longer random part.
    PolarToken,
    /// Stack Auth user or team API key (stack-auth `packages/stack-shared/src/utils/
    /// api-keys.tsx`): 102 characters whose last 8 are the lower-case hex CRC-32 of the 94
    /// before them, zero-padded.
    StackAuthApiKey,
    /// Momento v1 API key: base64url of a JSON object naming the `endpoint` and the `api_key`
    /// (momentohq client SDKs' `V1Token`).
    MomentoV1Key,
    /// At least one digit and one letter: a random alphanumeric body of 32 or more characters
    /// lacks a digit less than once in 200, while identifiers, words and camelCase names that
    /// happen to follow a short prefix (`preview…`, `secret-…`) have none.
    HasDigitAndLetter,
}

impl Checksum {
    /// Whether the check covers every character of the value, so that a value passing it is
    /// known to be complete. The others look at a part (a JWT's header, a key's first line).
    pub fn covers_whole_value(self) -> bool {
        matches!(
            self,
            Checksum::GithubCrc32
                | Checksum::StellarSecretSeed
                | Checksum::NatsNkeySeed
                | Checksum::Base58Check
                | Checksum::Bech32
                | Checksum::Bip39Mnemonic
                | Checksum::DefuseKey
                | Checksum::LaravelSanctum
                | Checksum::MatrixToken
                | Checksum::OverseerrApiKey
                | Checksum::ConcourseAccessToken
                | Checksum::JsrToken
                | Checksum::PolarToken
                | Checksum::StackAuthApiKey
        )
    }
}

/// The `[provider]` table of a rule file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderDef {
    /// Display name, e.g. "GitHub".
    pub name: String,
    /// Where to revoke or rotate credentials of this provider.
    #[serde(default)]
    pub rotate_url: Option<String>,
    /// What to do about a leak; `<rotate_url>` is replaced by the URL.
    pub rotation: String,
}

/// One `[[rules]]` entry, as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Unique id, `[a-z0-9-]+`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// How bad a leak is.
    pub severity: Severity,
    /// Literals of which at least one occurs near every match.
    pub keywords: Vec<String>,
    /// The pattern, in `regex` crate syntax (matched on bytes, ASCII classes).
    pub regex: String,
    /// Which capture holds the secret; default 1, or 0 when the regex has no group. When it
    /// takes no part in a match, the first later unnamed group that does holds the secret
    /// (one group per alternative: `"([^"]*)"|'([^']*)'`).
    #[serde(default)]
    pub secret_group: Option<usize>,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Structural check of the secret.
    #[serde(default)]
    pub checksum: Option<Checksum>,
    /// Multi-line rules: bytes after a keyword hit a match may reach.
    #[serde(default)]
    pub window: Option<usize>,
    /// A context-word rule (`password = …`): the value must also look like a literal, not
    /// a reference, call, path or identifier, and a provider-specific match on the same
    /// secret wins over it.
    #[serde(default)]
    pub generic: bool,
    /// The value is a password (`password = "hunter2!"`, `user:pass@host`, `psexec -p …`):
    /// people choose passwords, so words pass where a generic rule wants a digit or symbol,
    /// but references, type names and a short list of non-values (`null`, `string`,
    /// `password`) do not. The `name` group is checked as for `generic`. Implies `fallback`.
    #[serde(default)]
    pub password: bool,
    /// With `password`: the value sits where only a literal can (a command-line argument, a
    /// connection string, an XML element's text), so identifier-shaped values (`dev_admin`)
    /// count as passwords; in code they would be variables.
    #[serde(default)]
    pub literal: bool,
    /// Ids of rules this one is more specific than: where both match the same secret, only
    /// this rule's finding is kept (`clerk-secret-key` over `stripe-secret-key` for an
    /// `sk_live_` key next to the word Clerk).
    #[serde(default)]
    pub overrides: Vec<String>,
    /// A regex over the file's path (relative, `/`-separated): the rule reports only files
    /// whose path matches, in the worktree and in history (a blob no path reaches is not
    /// reported). Secrets that are a whole file, like Rails' `config/master.key`, have nothing
    /// else to anchor them; such a rule may have no keywords, and then its regex must start
    /// with `\A` and is tried on every text blob of at most 4 KiB and every binary one of at
    /// most 1 MiB.
    #[serde(default)]
    pub path: Option<String>,
    /// A regex over the file's path: the rule does not report places whose path matches
    /// (the archive member is part of the path: `tests.zip!fixtures/users.sql`). For shapes
    /// that are credentials in a deployment and routine in tests, like password hashes, which
    /// test suites carry as fixtures by the hundred. A blob no path reaches is still reported.
    /// The match still claims its text, so a fallback rule does not report the same value.
    #[serde(default)]
    pub exclude_path: Option<String>,
    /// The regex matches only values a product publishes as its default (Apache Shiro's
    /// `rememberMe` cipher key, Grafana's `secret_key`): anyone can forge what they sign, so
    /// the value is reported as it is. The entropy and placeholder checks that drop sequences
    /// and filler (`SecretKey0123456789…`) do not apply, and nor may `generic`, `password`,
    /// `min_entropy` or `stopwords`.
    #[serde(default)]
    pub known_value: bool,
    /// A fallback rule (URLs with credentials, generic assignments) yields to provider rules:
    /// where a provider rule matched the same secret, only the provider's finding is kept.
    /// Implied by `generic`.
    #[serde(default)]
    pub fallback: bool,
    /// Secrets containing one of these words (ASCII-case-insensitive) are dropped: common
    /// default passwords and words that show a value is not a real secret.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Overrides the provider's rotation text.
    #[serde(default)]
    pub rotation: Option<String>,
    /// Overrides the provider's rotation URL.
    #[serde(default)]
    pub rotate_url: Option<String>,
    /// Documentation of the format.
    #[serde(default)]
    pub references: Vec<String>,
    /// Texts that must give a finding of this rule.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts that must not give a finding of this rule.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

/// A whole rule file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Who issues these credentials.
    pub provider: ProviderDef,
    /// The rules.
    #[serde(default)]
    pub rules: Vec<RuleDef>,
}
