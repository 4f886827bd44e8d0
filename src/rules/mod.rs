//! Rules: what a secret looks like and how to get rid of it.
//!
//! Rules are data. The built-in ones live in `rules/*.toml` (one file per provider) and are
//! embedded at compile time; users add more of the same shape through a config file. This
//! module owns the file format ([`RuleFile`]), its validation, and the compiled form
//! ([`Rule`]) the engine runs. Loading reports every problem with the file and rule id.

pub mod analysis;
mod check;
mod format;

pub use check::{CheckFailure, check_examples};
pub use format::{Checksum, ProviderDef, RuleDef, RuleFile, Severity};

use std::collections::HashMap;

use regex::bytes::Regex;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Upper bound on a compiled rule regex, so a user rule cannot exhaust memory.
const REGEX_SIZE_LIMIT: usize = 1 << 22;

/// Default number of bytes after a keyword hit a multi-line match may reach (see `window`).
pub const MAX_WINDOW: usize = 65_536;

/// A rule file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file is not valid TOML or does not have the rule file's shape.
    #[error("{file}")]
    Parse {
        /// File the rules came from.
        file: String,
        /// What the TOML parser said, with line and column.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A rule is malformed.
    #[error("{file}: rule `{id}`: {reason}")]
    Invalid {
        /// File the rule came from.
        file: String,
        /// The rule's id.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two rules share an id.
    #[error("{file}: rule `{id}`: id already used in {first}")]
    DuplicateId {
        /// File of the second definition.
        file: String,
        /// The id.
        id: String,
        /// File of the first definition.
        first: String,
    },
    /// The built-in rules embedded at build time do not read back (a bug in the build).
    #[error("built-in rules: {0}")]
    Embedded(String),
}

/// Blobs up to this size are tried against rules without keywords (see [`RuleDef::path`]).
/// Their regexes are anchored at the start, so a blob that does not begin like the secret
/// costs a few bytes of DFA whatever its size; a key store (PKCS #12) is a few KiB.
pub const WHOLE_BLOB_MAX: usize = 1 << 20;

/// A validated, compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique id.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Provider display name.
    pub provider: String,
    /// How bad a leak is.
    pub severity: Severity,
    /// Keywords, as written.
    pub keywords: Vec<String>,
    /// The pattern, as written.
    pub pattern: String,
    /// Every match begins with a literal holding a keyword verbatim (see [`analysis`]).
    pub anchored: bool,
    /// Compiled on first use: most scans never meet most rules' keywords, and the PEM rules'
    /// bounded repetitions take ~10 ms each to compile (70 ms for the whole set, measured),
    /// against an empty-directory scan budget of 20 ms. The syntax is checked at load.
    regex: std::sync::OnceLock<Regex>,
    /// Capture holding the secret.
    pub secret_group: usize,
    /// Minimum entropy of the secret.
    pub min_entropy: Option<f64>,
    /// Structural check.
    pub checksum: Option<Checksum>,
    /// `Some(n)`: multi-line rule whose match may reach `n` bytes past a keyword hit.
    pub window: Option<usize>,
    /// Context-word rule (see [`RuleDef::generic`]).
    pub generic: bool,
    /// Password value (see [`RuleDef::password`]).
    pub password: bool,
    /// Identifier-shaped passwords count (see [`RuleDef::literal`]).
    pub literal: bool,
    /// Rules whose finding on the same secret this one replaces (see [`RuleDef::overrides`]).
    pub overrides: Vec<String>,
    /// Only files whose path matches (see [`RuleDef::path`]).
    pub path: Option<regex::Regex>,
    /// Places whose path matches are not reported (see [`RuleDef::exclude_path`]).
    pub exclude_path: Option<regex::Regex>,
    /// A published default value, reported without filler checks (see
    /// [`RuleDef::known_value`]).
    pub known_value: bool,
    /// Yields to provider rules (see [`RuleDef::fallback`]).
    pub fallback: bool,
    /// Lower-cased stop words (see [`RuleDef::stopwords`]).
    pub stopwords: Vec<Vec<u8>>,
    /// Rotation steps with the URL filled in.
    pub rotation: String,
    /// Where to rotate.
    pub rotate_url: Option<String>,
    /// Documentation links.
    pub references: Vec<String>,
    /// Positive examples.
    pub examples: Vec<String>,
    /// Negative examples.
    pub negative_examples: Vec<String>,
    /// File the rule came from (`github.toml`, or a config path).
    pub origin: String,
}

/// An ordered, id-unique collection of rules.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl Rule {
    /// The compiled pattern.
    pub fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            compile_regex(&self.pattern)
                .expect("rule regexes are compiled once when loaded from a config, and built-in ones by the test suite")
        })
    }
}

impl RuleSet {
    /// The rules embedded in this binary. Their regexes are syntax-checked now and compiled
    /// on first use; `keyhound rules check` and the test suite compile every one.
    pub fn builtin() -> Result<RuleSet, Error> {
        let files: Vec<(String, RuleFile)> = match BUILTIN_RULES_JSON {
            // Written by `build.rs` from these same types: it cannot fail but on a build bug.
            Some(json) => serde_json::from_str(json).map_err(|e| Error::Embedded(e.to_string()))?,
            None => BUILTIN_RULE_FILES
                .iter()
                .map(|(name, text)| {
                    toml::from_str(text)
                        .map(|file| (name.to_string(), file))
                        .map_err(|e| Error::Parse {
                            file: name.to_string(),
                            source: Box::new(e),
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        let mut set = RuleSet::default();
        set.rules
            .reserve(files.iter().map(|(_, f)| f.rules.len()).sum());
        // One id map for all files: `add_defs_with` rebuilds its map per file, which over 200
        // files was a measurable part of start-up.
        let names: Vec<String> = files.iter().map(|(name, _)| name.clone()).collect();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (index, (name, parsed)) in files.into_iter().enumerate() {
            for def in parsed.rules {
                if let Some(first) = seen.insert(def.id.clone(), index) {
                    return Err(Error::DuplicateId {
                        file: name,
                        id: def.id,
                        first: names[first].clone(),
                    });
                }
                set.rules
                    .push(compile(&name, &parsed.provider, def, Compile::Builtin)?);
            }
        }
        Ok(set)
    }

    /// Parses `text` as a rule file named `file` and adds its rules.
    pub fn add_file(&mut self, file: &str, text: &str) -> Result<(), Error> {
        let parsed: RuleFile = toml::from_str(text).map_err(|e| Error::Parse {
            file: file.to_string(),
            source: Box::new(e),
        })?;
        self.add_defs(file, &parsed.provider, parsed.rules)
    }

    /// Validates and adds rules already parsed (from a rule file or a config file),
    /// compiling their regexes now.
    pub fn add_defs(
        &mut self,
        file: &str,
        provider: &ProviderDef,
        defs: Vec<RuleDef>,
    ) -> Result<(), Error> {
        self.add_defs_with(file, provider, defs, Compile::Now)
    }

    fn add_defs_with(
        &mut self,
        file: &str,
        provider: &ProviderDef,
        defs: Vec<RuleDef>,
        how: Compile,
    ) -> Result<(), Error> {
        let mut seen: HashMap<&str, &str> = self
            .rules
            .iter()
            .map(|r| (r.id.as_str(), r.origin.as_str()))
            .collect();
        let mut compiled = Vec::with_capacity(defs.len());
        for def in &defs {
            if let Some(first) = seen.get(def.id.as_str()) {
                return Err(Error::DuplicateId {
                    file: file.to_string(),
                    id: def.id.clone(),
                    first: first.to_string(),
                });
            }
            seen.insert(def.id.as_str(), file);
            compiled.push(compile(file, provider, def.clone(), how)?);
        }
        self.rules.extend(compiled);
        Ok(())
    }

    /// Removes the rules whose id is in `ids`; returns the ids that named no rule.
    pub fn disable(&mut self, ids: &[String]) -> Vec<String> {
        // `--enable-rule` disables every other rule: sets, not a scan of the list per rule.
        let present: std::collections::HashSet<&str> =
            self.rules.iter().map(|r| r.id.as_str()).collect();
        let unknown = ids
            .iter()
            .filter(|id| !present.contains(id.as_str()))
            .cloned()
            .collect();
        let gone: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        self.rules.retain(|r| !gone.contains(r.id.as_str()));
        unknown
    }

    /// Looks a rule up by id.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Rule> {
        self.rules.iter_mut().find(|r| r.id == id)
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Number of distinct providers.
    pub fn provider_count(&self) -> usize {
        let mut names: Vec<&str> = self.rules.iter().map(|r| r.provider.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    }
}

fn invalid(file: &str, id: &str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        file: file.to_string(),
        id: id.to_string(),
        reason: reason.into(),
    }
}

/// Compiles a rule pattern the way the engine runs it: on bytes, with ASCII classes and word
/// boundaries. Unicode-aware `\b` would make the lazy DFA give up on any non-ASCII byte.
pub fn compile_regex(pattern: &str) -> Result<Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

/// When a rule's regex is analysed and compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compile {
    /// Analyse and compile now (rules from a configuration file).
    Now,
    /// Built-in: analysed by `build.rs`, compiled on first use.
    Builtin,
}

fn builtin_analysis(id: &str) -> Option<analysis::Analysis> {
    // Two rules with one id are an error reported by loading; either entry will do here.
    BUILTIN_ANALYSIS
        .binary_search_by(|(rid, _, _)| (*rid).cmp(id))
        .ok()
        .map(|i| {
            let (_, groups, anchored) = BUILTIN_ANALYSIS[i];
            analysis::Analysis { groups, anchored }
        })
}

fn compile(file: &str, provider: &ProviderDef, def: RuleDef, how: Compile) -> Result<Rule, Error> {
    let id = def.id.as_str();
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(invalid(
            file,
            id,
            "id must be non-empty and match [a-z0-9-]+",
        ));
    }
    if def.name.trim().is_empty() {
        return Err(invalid(file, id, "name is empty"));
    }
    let whole_blob = def.keywords.is_empty();
    let path = match &def.path {
        Some(p) => Some(
            regex::Regex::new(p)
                .map_err(|e| invalid(file, id, format!("path regex does not compile: {e}")))?,
        ),
        None => None,
    };
    let exclude_path = match &def.exclude_path {
        Some(p) => Some(regex::Regex::new(p).map_err(|e| {
            invalid(
                file,
                id,
                format!("exclude_path regex does not compile: {e}"),
            )
        })?),
        None => None,
    };
    if def.keywords.is_empty() && path.is_none() {
        return Err(invalid(file, id, "no keywords: at least one is required"));
    }
    if def.keywords.is_empty() && !def.regex.starts_with("\\A") {
        return Err(invalid(
            file,
            id,
            "a rule without keywords runs on whole blobs: its regex must start with \\A",
        ));
    }
    if def.keywords.iter().any(|k| k.is_empty()) {
        return Err(invalid(file, id, "empty keyword"));
    }
    if def.examples.is_empty() {
        return Err(invalid(file, id, "no examples: at least one is required"));
    }
    let precomputed = match how {
        Compile::Builtin => builtin_analysis(id),
        Compile::Now => None,
    };
    let analysis = match precomputed {
        Some(a) => a,
        None => analysis::analyse(&def.regex, &def.keywords)
            .map_err(|e| invalid(file, id, format!("regex does not compile: {e}")))?,
    };
    let regex = std::sync::OnceLock::new();
    if how == Compile::Now {
        let compiled = compile_regex(&def.regex)
            .map_err(|e| invalid(file, id, format!("regex does not compile: {e}")))?;
        regex.set(compiled).expect("a fresh OnceLock is empty");
    }
    let groups = analysis.groups;
    let secret_group = def.secret_group.unwrap_or(if groups > 0 { 1 } else { 0 });
    if secret_group > groups {
        return Err(invalid(
            file,
            id,
            format!("secret_group {secret_group} does not exist: the regex has {groups} group(s)"),
        ));
    }
    if def.literal && !def.password {
        return Err(invalid(
            file,
            id,
            "literal applies only with password = true",
        ));
    }
    if def.known_value
        && (def.generic || def.password || def.min_entropy.is_some() || !def.stopwords.is_empty())
    {
        return Err(invalid(
            file,
            id,
            "known_value matches published values as they are: it takes no generic, password, \
             min_entropy or stopwords",
        ));
    }
    if let Some(e) = def.min_entropy
        && !(0.0..=8.0).contains(&e)
    {
        return Err(invalid(file, id, "min_entropy must be between 0 and 8"));
    }
    if let Some(w) = def.window
        && (w == 0 || w > MAX_WINDOW)
    {
        return Err(invalid(
            file,
            id,
            format!("window must be between 1 and {MAX_WINDOW}"),
        ));
    }
    let rotate_url = def.rotate_url.or_else(|| provider.rotate_url.clone());
    let rotation_text = def.rotation.unwrap_or_else(|| provider.rotation.clone());
    let rotation = match &rotate_url {
        Some(url) => rotation_text.replace("<rotate_url>", url),
        None => rotation_text,
    };
    if rotation.trim().is_empty() {
        return Err(invalid(file, id, "rotation guidance is empty"));
    }
    Ok(Rule {
        id: def.id,
        name: def.name,
        provider: provider.name.clone(),
        severity: def.severity,
        keywords: def.keywords,
        pattern: def.regex,
        anchored: analysis.anchored,
        regex,
        secret_group,
        min_entropy: def.min_entropy,
        checksum: def.checksum,
        // A rule without keywords sees the whole blob (engine: from offset 0, small blobs only).
        window: if whole_blob {
            Some(WHOLE_BLOB_MAX)
        } else {
            def.window
        },
        generic: def.generic,
        password: def.password,
        literal: def.literal,
        overrides: def.overrides,
        path,
        exclude_path,
        known_value: def.known_value,
        fallback: def.fallback || def.generic || def.password,
        stopwords: def
            .stopwords
            .iter()
            .map(|w| w.to_ascii_lowercase().into_bytes())
            .collect(),
        rotation: rotation.trim().to_string(),
        rotate_url,
        references: def.references,
        examples: def.examples,
        negative_examples: def.negative_examples,
        origin: file.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVIDER: &str = "[provider]\nname = \"Acme\"\nrotate_url = \"https://acme.test/keys\"\nrotation = \"Revoke it at <rotate_url>.\"\n";

    fn file(rule: &str) -> String {
        format!("{PROVIDER}\n[[rules]]\n{rule}")
    }

    #[test]
    fn builtin_rules_load() {
        let set = RuleSet::builtin().expect("built-in rules load");
        assert!(set.rules().len() >= 40, "{} rules", set.rules().len());
    }

    #[test]
    fn build_time_analysis_matches_runtime_analysis() {
        let set = RuleSet::builtin().expect("built-in rules load");
        assert_eq!(BUILTIN_ANALYSIS.len(), set.rules().len());
        for rule in set.rules() {
            let now = analysis::analyse(&rule.pattern, &rule.keywords).expect("parses");
            assert_eq!(now.anchored, rule.anchored, "{}", rule.id);
            assert!(rule.secret_group <= now.groups, "{}", rule.id);
        }
    }

    #[test]
    fn embedded_rules_say_what_the_rule_files_say() {
        // `build.rs` embeds the parsed files as JSON; reading them back must give what parsing
        // `rules/*.toml` gives now, every field, entropy thresholds to the last bit (`{:?}`
        // prints an f64 in full), in file-name order.
        let json = BUILTIN_RULES_JSON.expect("every built-in rule file parses at build time");
        let embedded: Vec<(String, RuleFile)> = serde_json::from_str(json).expect("reads back");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("rules/ exists")
            .map(|e| e.expect("readable").path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        assert_eq!(embedded.len(), paths.len());
        for ((name, file), path) in embedded.iter().zip(&paths) {
            assert_eq!(
                name.as_str(),
                path.file_name().expect("named").to_string_lossy()
            );
            let text = std::fs::read_to_string(path).expect("readable");
            let parsed: RuleFile = toml::from_str(&text).expect("parses");
            assert_eq!(format!("{file:?}"), format!("{parsed:?}"), "{name}");
        }
        assert!(embedded.iter().any(|(_, f)| {
            f.rules
                .iter()
                .any(|r| r.min_entropy.is_some_and(|e| e.fract() != 0.0))
        }));
    }

    #[test]
    fn rotation_url_is_substituted() {
        let mut set = RuleSet::default();
        set.add_file(
            "acme.toml",
            &file("id = \"acme\"\nname = \"Acme\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\nregex = '''(acme_[a-z]{8})'''\nexamples = [\"acme_abcdefgh\"]"),
        )
        .expect("valid rule");
        assert_eq!(
            set.rules()[0].rotation,
            "Revoke it at https://acme.test/keys."
        );
        assert_eq!(set.rules()[0].secret_group, 1);
    }

    #[test]
    fn bad_regex_names_file_and_rule() {
        let err = RuleSet::default()
            .add_file(
                "acme.toml",
                &file("id = \"acme-key\"\nname = \"n\"\nseverity = \"high\"\nkeywords = [\"a\"]\nregex = '''(unclosed'''\nexamples = [\"a\"]"),
            )
            .expect_err("bad regex");
        let msg = err.to_string();
        assert!(
            msg.starts_with("acme.toml: rule `acme-key`: regex does not compile"),
            "{msg}"
        );
    }

    #[test]
    fn missing_group_keywords_examples_are_errors() {
        let cases = [
            (
                "keywords = [\"a\"]\nregex = '''a(b)'''\nsecret_group = 2\nexamples = [\"ab\"]",
                "secret_group 2 does not exist",
            ),
            (
                "keywords = []\nregex = '''a'''\nexamples = [\"a\"]",
                "no keywords",
            ),
            (
                "keywords = [\"a\"]\nregex = '''a(b)'''\nliteral = true\nexamples = [\"ab\"]",
                "literal applies only with password = true",
            ),
            (
                "keywords = []\npath = '''x\\.key$'''\nregex = '''a(b)'''\nexamples = [\"ab\"]",
                "its regex must start with \\A",
            ),
            (
                "keywords = []\npath = '''('''\nregex = '''\\A(b)'''\nexamples = [\"b\"]",
                "path regex does not compile",
            ),
            (
                "keywords = [\"a\"]\nexclude_path = '''[z-a]'''\nregex = '''a(b)'''\nexamples = [\"ab\"]",
                "exclude_path regex does not compile",
            ),
            (
                "keywords = [\"a\"]\nregex = '''a(b)'''\nknown_value = true\nmin_entropy = 3.0\nexamples = [\"ab\"]",
                "known_value matches published values as they are",
            ),
            (
                "keywords = [\"a\"]\nregex = '''a(b)'''\nknown_value = true\ngeneric = true\nexamples = [\"ab\"]",
                "known_value matches published values as they are",
            ),
            (
                "keywords = [\"a\"]\nregex = '''a'''\nexamples = []",
                "no examples",
            ),
        ];
        for (body, want) in cases {
            let text = file(&format!(
                "id = \"x\"\nname = \"n\"\nseverity = \"low\"\n{body}"
            ));
            let err = RuleSet::default()
                .add_file("f.toml", &text)
                .expect_err(want);
            assert!(err.to_string().contains(want), "{err} does not say {want}");
        }
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let rule = "id = \"dup\"\nname = \"n\"\nseverity = \"low\"\nkeywords = [\"a\"]\nregex = '''a'''\nexamples = [\"a\"]";
        let mut set = RuleSet::default();
        set.add_file("one.toml", &file(rule)).expect("first");
        let err = set.add_file("two.toml", &file(rule)).expect_err("second");
        assert_eq!(
            err.to_string(),
            "two.toml: rule `dup`: id already used in one.toml"
        );
    }

    #[test]
    fn unknown_keys_are_rejected_with_position() {
        let text = file(
            "id = \"x\"\nname = \"n\"\nseverity = \"low\"\nkeywords = [\"a\"]\nregex = '''a'''\nexamples = [\"a\"]\nbogus = 1",
        );
        let err = RuleSet::default()
            .add_file("f.toml", &text)
            .expect_err("unknown key");
        let msg = format!(
            "{err}: {}",
            std::error::Error::source(&err).expect("has a cause")
        );
        assert!(msg.contains("f.toml") && msg.contains("bogus"), "{msg}");
    }

    #[test]
    fn bad_ids_are_rejected() {
        let text = file(
            "id = \"Bad Id\"\nname = \"n\"\nseverity = \"low\"\nkeywords = [\"a\"]\nregex = '''a'''\nexamples = [\"a\"]",
        );
        let err = RuleSet::default()
            .add_file("f.toml", &text)
            .expect_err("bad id");
        assert!(err.to_string().contains("[a-z0-9-]+"));
    }
}
