//! Findings: one per (rule, secret), with every place the secret occurs.
//!
//! The engine yields [`Match`](crate::engine::Match)es per blob; sources turn them into
//! [`Location`]s; the [`Collector`] groups them by rule and secret so a key committed in 40
//! files is one finding with 40 locations. Report writers read only [`Finding`]s.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rules::{Rule, Severity};

/// Where a location was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A file on disk.
    Worktree,
    /// A blob in git history.
    History,
    /// A blob staged for the next commit.
    Staged,
    /// Standard input.
    Stdin,
    /// A blob in the repository that no commit reachable from a ref contains (left behind by
    /// a rebase, an amended commit, a dropped stash): still readable by anyone with a clone.
    Unreachable,
}

/// One place a secret occurs. Lines and columns are 1-based; `end_column` is exclusive (the
/// column after the secret's last character), as in SARIF.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// Where it was seen.
    pub source: SourceKind,
    /// Path relative to the scan root, with `/` separators (absent for stdin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Line of the secret's first character.
    pub line: usize,
    /// Column of the secret's first character.
    pub column: usize,
    /// Line of the secret's last character.
    pub end_line: usize,
    /// Column after the secret's last character.
    pub end_column: usize,
    /// Commit that introduced the blob at this path (history only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Author of that commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Author's email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Commit date, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Git blob id holding the secret (history, unreachable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    /// The rule that recognised the secret here, when the finding belongs to another: one secret
    /// matched by several rules is one finding, owned by the most specific rule, and a place
    /// only a context rule saw (`password: …` in a YAML file, where the owner matched a
    /// command's `--password`) says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<String>,
}

impl Location {
    /// Everything but `matched_by` is equal.
    fn same_place(&self, other: &Location) -> bool {
        (
            self.source,
            &self.path,
            self.line,
            self.column,
            self.end_line,
            self.end_column,
            &self.commit,
            &self.author,
            &self.email,
            &self.date,
            &self.blob,
        ) == (
            other.source,
            &other.path,
            other.line,
            other.column,
            other.end_line,
            other.end_column,
            &other.commit,
            &other.author,
            &other.email,
            &other.date,
            &other.blob,
        )
    }
}

/// A secret of one rule, and every place it occurs.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Rule id.
    pub rule_id: String,
    /// Rule name.
    pub rule_name: String,
    /// Provider name.
    pub provider: String,
    /// Severity.
    pub severity: Severity,
    /// The secret in clear; writers redact it unless told otherwise.
    pub secret: String,
    /// SHA-256 of rule id, a NUL byte and the secret, hex.
    pub fingerprint: String,
    /// Shannon entropy of the secret, bits per byte.
    pub entropy: f64,
    /// Where to rotate.
    pub rotate_url: Option<String>,
    /// What to do.
    pub rotation: String,
    /// Every place, sorted.
    pub locations: Vec<Location>,
    /// `(rule id, fingerprint)` of the other rules that matched the same secret elsewhere and
    /// were folded into this finding (see [`Collector::into_findings`]): a baseline that
    /// holds any of them holds this finding, and `--baseline-out` writes them all.
    pub merged: Vec<(String, String)>,
}

impl Finding {
    /// The secret as writers should show it.
    pub fn shown_secret(&self, show_secrets: bool) -> String {
        if show_secrets {
            self.secret.clone()
        } else {
            redact(&self.secret)
        }
    }

    /// The history location whose commit is the oldest: where the secret entered history.
    /// Locations are sorted by place, not time, so a secret added in `a.py` and later copied
    /// into `b.py` has its oldest commit wherever its path sorts. Dates that do not parse (a
    /// malformed signature) sort last; ties keep the sorted order.
    pub fn introduced(&self) -> Option<&Location> {
        self.locations
            .iter()
            .filter(|l| l.source == SourceKind::History && l.commit.is_some())
            .min_by_key(|l| {
                l.date
                    .as_deref()
                    .and_then(|d| gix::date::parse(d, None).ok())
                    .map_or(i64::MAX, |t| t.seconds)
            })
    }
}

/// Fingerprint of a (rule, secret) pair: stable across runs, lines, files and commits, and
/// safe to store (it does not reveal the secret).
pub fn fingerprint(rule_id: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0u8]);
    h.update(secret);
    hex(&h.finalize())
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        write!(out, "{b:02x}").expect("writing to a String cannot fail");
    }
    out
}

/// The bytes an even-length run of hex digits (either case) stands for; `None` on any other
/// byte or an odd length.
pub(crate) fn unhex(digits: &[u8]) -> Option<Vec<u8>> {
    fn nibble(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// The secret as text. A binary one (a key store file) is shown as its SHA-256, which names
/// the file without dumping bytes that no terminal or report can show.
fn display_secret(secret: &[u8]) -> String {
    match std::str::from_utf8(secret) {
        Ok(text) if !text.contains('\0') => text.to_string(),
        _ => format!("sha256:{}", hex(&Sha256::digest(secret))),
    }
}

/// Shows at most a quarter of the secret, and never more than 8 characters, stopping at a
/// line break, followed by `…` and the length, e.g. `ghp_Q8vR…(40)`. Enough to tell two
/// secrets apart, too little to use one.
pub fn redact(secret: &str) -> String {
    let total = secret.chars().count();
    let keep = (total / 4).min(8);
    let shown: String = secret
        .chars()
        .take(keep)
        .take_while(|c| *c != '\n' && *c != '\r')
        .collect();
    format!("{shown}…({total})")
}

/// Groups matches into findings. One per worker; merge them at the end.
#[derive(Debug, Default)]
pub struct Collector {
    groups: HashMap<(usize, Vec<u8>), Vec<Location>>,
}

impl Collector {
    /// Records that `secret` of rule `rule` occurs at `location`.
    pub fn add(&mut self, rule: usize, secret: &[u8], location: Location) {
        self.groups
            .entry((rule, secret.to_vec()))
            .or_default()
            .push(location);
    }

    /// Absorbs another collector.
    pub fn merge(&mut self, other: Collector) {
        for (key, locs) in other.groups {
            self.groups.entry(key).or_default().extend(locs);
        }
    }

    /// True when nothing was collected.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Keys of the collected (rule, secret) pairs, for callers that filter findings.
    pub fn retain(&mut self, mut keep: impl FnMut(usize, &[u8], &mut Vec<Location>) -> bool) {
        self.groups
            .retain(|(rule, secret), locs| keep(*rule, secret, locs));
    }

    /// Builds the findings, sorted by their first location, then rule id (then the rest of
    /// the first location and the fingerprint, so the order is total).
    pub fn into_findings(self, rules: &[Rule]) -> Vec<Finding> {
        let grouped: Vec<_> = self
            .groups
            .into_iter()
            .map(|((idx, secret), mut locs)| {
                // A path rule reports only the places whose path it names.
                if let Some(path) = &rules[idx].path {
                    locs.retain(|l| l.path.as_deref().is_some_and(|p| path.is_match(p)));
                }
                if let Some(exclude) = &rules[idx].exclude_path {
                    locs.retain(|l| !l.path.as_deref().is_some_and(|p| exclude.is_match(p)));
                }
                if rules[idx].generic || rules[idx].password {
                    locs.retain(|l| {
                        !l.path.as_deref().is_some_and(|p| {
                            is_translation_catalogue(p)
                                || is_api_specification(p)
                                || is_mbedtls_test_data(p)
                        })
                    });
                }
                ((idx, secret), locs)
            })
            .filter(|(_, locs)| !locs.is_empty())
            .collect();
        // A path rule's match claims nothing during the scan (its path is settled only here), so
        // a fallback rule may have reported the same value at the same place (`pass = …` in
        // rclone.conf): one secret, the path rule's, as `drop_generic_overlaps` makes it for
        // every other provider rule. Keyed by the secret, so the fallback rules' locations
        // (thousands in a history scan) are looked up without copying anything.
        type Place = (Option<String>, usize, Option<String>);
        let mut claimed: HashMap<Vec<u8>, Vec<Place>> = HashMap::new();
        for ((idx, secret), locs) in &grouped {
            if rules[*idx].path.is_some() && !rules[*idx].fallback {
                claimed.entry(secret.clone()).or_default().extend(
                    locs.iter()
                        .map(|l| (l.path.clone(), l.line, l.commit.clone())),
                );
            }
        }
        let kept: Vec<Group> = grouped
            .into_iter()
            .map(|((idx, secret), mut locs)| {
                if rules[idx].fallback
                    && let Some(places) = claimed.get(secret.as_slice())
                {
                    locs.retain(|l| {
                        !places.iter().any(|(path, line, commit)| {
                            *path == l.path && *line == l.line && *commit == l.commit
                        })
                    });
                }
                ((idx, secret), locs)
            })
            .filter(|(_, locs)| !locs.is_empty())
            .collect::<Vec<_>>();
        let mut findings: Vec<Finding> = merge_same_secret(rules, kept)
            .into_iter()
            .map(|(((idx, secret), mut locations), merged)| {
                let rule = &rules[idx];
                locations.sort();
                // A place two rules both saw is listed once, as the owner's (no `matched_by`
                // sorts first).
                locations.dedup_by(|later, kept| later.same_place(kept));
                Finding {
                    rule_id: rule.id.clone(),
                    rule_name: rule.name.clone(),
                    provider: rule.provider.clone(),
                    severity: rule.severity,
                    fingerprint: fingerprint(&rule.id, &secret),
                    entropy: (crate::engine::filters::entropy(&secret) * 100.0).round() / 100.0,
                    secret: display_secret(&secret),
                    rotate_url: rule.rotate_url.clone(),
                    rotation: rule.rotation.clone(),
                    locations,
                    merged: merged
                        .into_iter()
                        .map(|i| (rules[i].id.clone(), fingerprint(&rules[i].id, &secret)))
                        .collect(),
                }
            })
            .collect();
        // Two findings can share a first place and a rule (two keys that a file held in turn,
        // first seen at the same line): the rest of the place and the fingerprint decide, so
        // a report does not change order from one run to the next.
        findings.sort_by(|a, b| {
            let (x, y) = (&a.locations[0], &b.locations[0]);
            (&x.path, x.line, x.column, &a.rule_id, x, &a.fingerprint).cmp(&(
                &y.path,
                y.line,
                y.column,
                &b.rule_id,
                y,
                &b.fingerprint,
            ))
        });
        findings
    }
}

/// A grouped `(rule, secret)` pair and its places.
type Group = ((usize, Vec<u8>), Vec<Location>);

/// Folds the groups of one secret matched by several rules into one: a key that
/// `aws-secret-access-key` finds in `config.py` and only `generic-secret` finds in `deploy.sh`
/// (no AWS name there) is one secret to rotate, reported once. The owner is the most specific
/// rule (a provider rule before a password rule before a generic or fallback one), then the
/// more severe, then the one with more places, then the rule id. Returns each owner with the
/// rules folded into it.
fn merge_same_secret(rules: &[Rule], groups: Vec<Group>) -> Vec<(Group, Vec<usize>)> {
    let rank = |((idx, _), locs): &Group| {
        let r = &rules[*idx];
        (
            r.generic || r.fallback,
            r.password,
            r.severity,
            std::cmp::Reverse(locs.len()),
            r.id.as_str(),
        )
    };
    let mut by_secret: HashMap<Vec<u8>, Vec<Group>> = HashMap::new();
    for group in groups {
        by_secret.entry(group.0.1.clone()).or_default().push(group);
    }
    by_secret
        .into_values()
        .map(|mut same| {
            if same.len() == 1 {
                return (same.pop().expect("one group"), Vec::new());
            }
            same.sort_by(|a, b| rank(a).cmp(&rank(b)));
            let mut rest = same.split_off(1);
            let mut owner = same.pop().expect("at least two groups");
            let merged = rest.iter().map(|((idx, _), _)| *idx).collect();
            for ((idx, _), locs) in &mut rest {
                for loc in locs.iter_mut() {
                    loc.matched_by = Some(rules[*idx].id.clone());
                }
                owner.1.append(locs);
            }
            (owner, merged)
        })
        .collect()
}

/// Translation catalogues (`locales/de.json`, `resources/lang/pt/auth.php`, `messages.po`,
/// Roundcube's `localization/de_DE.inc`, OpenCart's `language/fr-fr/common/forgotten.php`,
/// Android's `res/values-fr/strings.xml`) hold the word "password" and its labels in every
/// language, thousands of `"password": "Parol"` pairs and no credentials: the context-word
/// rules, which would read each label as a password, do not report there. Provider rules,
/// which match a token's own shape, still do.
pub fn is_translation_catalogue(path: &str) -> bool {
    static CATALOGUE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(concat!(
            r"(?i)(?:^|[/!])(?:i18n|l10n|locales?|locali[sz]ations?|langs?|languages?|translations?)/",
            r"|\.(?:po|pot|xlf|xliff|strings|stringsdict|arb|ftl)$",
            r"|(?:^|[/!])res/values-[a-z]{2}[^/!]*/strings\.xml$",
            // Java resource bundles per locale (`messages_fr.properties`, `ValidationMessages_pt_BR`).
            r"|(?i:messages|strings|labels|resources|bundle|text)_[a-z]{2}(?:_[A-Z]{2})?\.properties$",
        ))
        .expect("valid regex")
    });
    CATALOGUE.is_match(path)
}

/// OpenAPI and Swagger documents (`openapi.yaml`, `swagger/v1/swagger.json`, Okta's
/// `openapi/management.yaml`) describe an API with example requests and responses: every
/// `client_secret: …`, `password: …` or `token: …` in them is an example for readers, tens of
/// them per spec. The AWS SDKs' service models are the same kind of document
/// (`botocore/data/waf/2015-08-24/examples-1.json`, aws-sdk-js's `apis/*.examples.json`),
/// vendored into Lambda layers by the copy. The context-word rules do not report there;
/// provider rules still do.
pub fn is_api_specification(path: &str) -> bool {
    static SPEC: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(concat!(
            // The document by its name (`openapi.yaml`, `api-swagger.json`, `openapi-v3.1.yml`,
            // `swagger_spec.json`), or any YAML or JSON under an `openapi/` or `swagger/` folder;
            // not a workflow that happens to be called `openapi-diff.yaml`.
            r"(?i)(?:^|[/!])(?:[a-z0-9]+[-_.])?(?:openapi|swagger)",
            r"(?:[-_.]?(?:v?[0-9][0-9a-z.]*|spec|schema|bundled?|full|public|internal))?\.(?:ya?ml|json)$",
            r"|(?:^|[/!])(?:openapi|swagger)(?:[-_.][^/!]*)?/(?:[^!.][^!]*)?\.(?:ya?ml|json)$",
            r"|(?:^|[/!])(?:examples|service|paginators|waiters)-[0-9]+\.json(?:\.gz)?$",
            r"|(?:^|[/!])apis/[^/!]+\.(?:examples|normal|min)\.json$",
            // API Blueprint and RAML documents, the other API description formats.
            r"|\.(?:apib|raml)$",
        ))
        .expect("valid regex")
    });
    SPEC.is_match(path)
}

/// Mbed TLS's test-suite data (`tests/suites/test_suite_psa_crypto.data`), vendored with every
/// copy of the library: one test per line, `derive_output:PSA_ALG_HKDF(…):
/// PSA_KEY_DERIVATION_INPUT_SECRET:"<hex>"`, the published vectors of each algorithm. The
/// context-word rules do not report there; private keys in PEM still are.
pub fn is_mbedtls_test_data(path: &str) -> bool {
    let name = path.rsplit(['/', '!']).next().unwrap_or(path);
    name.starts_with("test_suite_") && name.ends_with(".data")
}

/// True when `data` begins like an OpenAPI or Swagger document: within its first lines, after
/// a YAML document marker, comments or a JSON `{`, an `openapi:` or `swagger:` key whose value
/// is a version number.
pub fn is_api_specification_text(data: &[u8]) -> bool {
    let head = &data[..data.len().min(1024)];
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    head.split(|&b| b == b'\n')
        .take(12)
        .map(|line| {
            // A JSON document's first key may share the line with its `{`.
            let line = line.trim_ascii();
            line.strip_prefix(b"{").unwrap_or(line).trim_ascii_start()
        })
        .find(|line| !line.is_empty() && !line.starts_with(b"#") && *line != b"---")
        .is_some_and(|line| {
            let key = line.strip_prefix(b"\"").unwrap_or(line);
            let rest = key
                .strip_prefix(b"openapi")
                .or_else(|| key.strip_prefix(b"swagger"));
            rest.is_some_and(|rest| {
                let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
                let value = rest
                    .strip_prefix(b":")
                    .map(|v| v.trim_ascii_start())
                    .map(|v| {
                        v.strip_prefix(b"\"")
                            .or_else(|| v.strip_prefix(b"'"))
                            .unwrap_or(v)
                    });
                value.is_some_and(|v| v.first().is_some_and(u8::is_ascii_digit))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_specifications_are_known_by_their_first_key() {
        for doc in [
            "---\nopenapi: 3.0.3\ninfo:\n  title: Admin API\n",
            "# generated\nswagger: \"2.0\"\n",
            "{\n  \"openapi\": \"3.1.0\",\n  \"info\": {}\n}",
            "{\"swagger\":\"2.0\",\"info\":{}}",
        ] {
            assert!(is_api_specification_text(doc.as_bytes()), "{doc}");
        }
        for doc in [
            "openapi: true\n",
            "services:\n  openapi:\n    image: x\n",
            "generator: openapi\nopenapi: 3.0.0\n",
            "password: hunter22\n",
        ] {
            assert!(!is_api_specification_text(doc.as_bytes()), "{doc}");
        }
    }

    #[test]
    fn redaction_hides_most_of_the_secret() {
        assert_eq!(
            redact("ghp_Q8vR2mXk7LpW3nZb9TfYa1B2c3D4e5F6g7H8"),
            "ghp_Q8vR…(40)"
        );
        assert_eq!(redact("hunter2"), "h…(7)");
        assert_eq!(redact("abc"), "…(3)");
        assert_eq!(redact("ab\ncdefghijklmnop"), "ab…(17)");
    }

    #[test]
    fn findings_at_one_place_come_out_in_one_order() {
        // The same rule, path and line, two secrets from two commits: the order must not
        // depend on the collector's hash map (a new random seed each time).
        let rules = crate::RuleSet::builtin().expect("built-in rules load");
        let rule = rules
            .rules()
            .iter()
            .position(|r| r.id == "private-key-pgp")
            .expect("rule exists");
        let place = |commit: &str| Location {
            source: SourceKind::History,
            path: Some("t/keyring.gpg".into()),
            line: 32,
            column: 1,
            end_line: 40,
            end_column: 2,
            commit: Some(commit.into()),
            author: None,
            email: None,
            date: None,
            blob: None,
            matched_by: None,
        };
        let order = |first: bool| {
            let mut c = Collector::default();
            let (a, b) = (
                (b"secret-a".as_slice(), "c1"),
                (b"secret-b".as_slice(), "c2"),
            );
            for (secret, commit) in if first { [a, b] } else { [b, a] } {
                c.add(rule, secret, place(commit));
            }
            c.into_findings(rules.rules())
                .into_iter()
                .map(|f| f.locations[0].commit.clone())
                .collect::<Vec<_>>()
        };
        let expected = vec![Some("c1".to_string()), Some("c2".to_string())];
        for i in 0..32 {
            assert_eq!(order(i % 2 == 0), expected);
        }
    }

    #[test]
    fn fingerprint_depends_on_rule_and_secret_only() {
        let a = fingerprint("r", b"s");
        assert_eq!(a.len(), 64);
        assert_eq!(a, fingerprint("r", b"s"));
        assert_ne!(a, fingerprint("r2", b"s"));
        assert_ne!(a, fingerprint("r", b"s2"));
    }
}
