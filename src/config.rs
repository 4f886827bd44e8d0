//! User configuration: `.keyhound.toml` at the scanned root, or `--config FILE`.
//!
//! ```toml
//! disabled_rules = ["jwt"]
//!
//! [allowlist]
//! paths = ["tests/fixtures/**", "**/*.snap"]   # globs on the path relative to the root
//! regexes = ['''^dev-only-''']                  # matched against the secret
//! stopwords = ["localhost"]                     # secrets containing one are dropped
//! commits = ["9fceb02d0ae598e95dc970b74767f19372d61af8"]
//!
//! [overrides.generic-secret]
//! min_entropy = 4.0
//! severity = "low"
//!
//! [[rules]]                                     # same shape as rules/*.toml
//! id = "acme-key"
//! ...
//! ```
//!
//! Unknown keys and bad regexes or globs are errors that name the file, the key and the line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::rules::{self, ProviderDef, RuleDef, RuleSet, Severity};

/// File name looked up at the scan root.
pub const CONFIG_FILE_NAME: &str = ".keyhound.toml";

/// A configuration file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read config {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or has an unknown key.
    #[error("config {}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Parser message, with line and column.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A value is invalid.
    #[error("config {}:{line}: {key}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the value.
        line: usize,
        /// The key holding it.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// An extra rule is invalid.
    #[error(transparent)]
    Rule(#[from] rules::Error),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    allowlist: AllowlistDef,
    #[serde(default)]
    default_skips: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    disabled_rules: Vec<Spanned<String>>,
    #[serde(default)]
    overrides: BTreeMap<String, Spanned<OverrideDef>>,
    #[serde(default)]
    provider: Option<ProviderDef>,
    #[serde(default)]
    rules: Vec<RuleDef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowlistDef {
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    regexes: Vec<Spanned<String>>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    commits: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideDef {
    #[serde(default)]
    min_entropy: Option<f64>,
    #[serde(default)]
    severity: Option<Severity>,
}

/// Kinds of files skipped by default, each with the globs that name them. A configuration's
/// `default_skips = [...]` lists the kinds to keep skipping (`[]` scans everything);
/// `--no-default-skips` turns them all off.
pub const DEFAULT_SKIPS: &[(&str, &[&str])] = &[
    (
        "lockfiles",
        &[
            "**/Cargo.lock",
            "**/package-lock.json",
            "**/npm-shrinkwrap.json",
            "**/yarn.lock",
            // A copy kept beside it (`yarn.lock.backup`, `yarn.lock.orig`).
            "**/yarn.lock.*",
            "**/pnpm-lock.yaml",
            "**/bun.lock",
            "**/poetry.lock",
            "**/Pipfile.lock",
            "**/uv.lock",
            "**/go.sum",
            "**/Gemfile.lock",
            "**/composer.lock",
            "**/packages.lock.json",
            "**/flake.lock",
            "**/mix.lock",
            "**/pubspec.lock",
            "**/Podfile.lock",
            "**/gradle.lockfile",
            // Lingo.dev's translation lock: a checksum per translated string.
            "**/i18n.lock",
        ],
    ),
    // keyhound's own configuration: the examples of its extra rules are fake secrets; and
    // detect-secrets' baseline, which holds SHA-1 digests of accepted secrets, never secrets.
    ("config", &["**/.keyhound.toml", "**/.secrets.baseline"]),
    (
        "minified",
        &[
            "**/*.min.js",
            "**/*.min.mjs",
            "**/*.min.css",
            "**/*.js.map",
            "**/*.css.map",
            // Yarn's own release and plugins, committed minified (`.yarn/releases/yarn-3.3.0.cjs`),
            // and the generated Plug'n'Play loader.
            "**/.yarn/releases/*.cjs",
            "**/.yarn/plugins/**/*.cjs",
            "**/.pnp.cjs",
            "**/.pnp.loader.mjs",
        ],
    ),
    (
        "assets",
        &[
            "**/*.{png,jpg,jpeg,gif,bmp,ico,icns,webp,tif,tiff,psd,heic}",
            "**/*.{woff,woff2,ttf,otf,eot}",
            "**/*.{mp3,mp4,m4a,mov,avi,mkv,wav,ogg,oga,webm,flac}",
            // Archives keyhound cannot open; zip, tar and gzip ones are searched (see
            // `crate::archive`).
            "**/*.{bz2,xz,zst,7z,rar,dmg,iso}",
            "**/*.{pdf,exe,dll,so,dylib,o,a,class,pyc,wasm}",
        ],
    ),
];

/// Globs of the given default-skip kinds.
fn default_skip_globs(kinds: &[&str]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for (kind, globs) in DEFAULT_SKIPS {
        if kinds.contains(kind) {
            for g in *globs {
                b.add(
                    globset::GlobBuilder::new(g)
                        .case_insensitive(true)
                        .build()
                        .expect("built-in default-skip globs are valid"),
                );
            }
        }
    }
    b.build().expect("built-in default-skip globs are valid")
}

/// What the configuration allows: applied to every match before it becomes a finding.
#[derive(Debug, Clone)]
pub struct Allowlist {
    paths: Option<GlobSet>,
    /// `--exclude` globs: kept apart from `paths` because a built `GlobSet` cannot be extended.
    excluded: Option<GlobSet>,
    default_skips: Option<GlobSet>,
    regexes: Vec<Regex>,
    stopwords: Vec<Vec<u8>>,
    commits: Vec<String>,
}

impl Default for Allowlist {
    fn default() -> Self {
        let all: Vec<&str> = DEFAULT_SKIPS.iter().map(|(k, _)| *k).collect();
        Allowlist {
            paths: None,
            excluded: None,
            default_skips: Some(default_skip_globs(&all)),
            regexes: Vec::new(),
            stopwords: Vec::new(),
            commits: Vec::new(),
        }
    }
}

impl Allowlist {
    /// True when findings at `path` (relative, `/`-separated) are allowed.
    pub fn allows_path(&self, path: &str) -> bool {
        self.skip_reason(path).is_some()
    }

    /// Why a file at `path` is not scanned, if it is not.
    pub fn skip_reason(&self, path: &str) -> Option<crate::scan::SkipReason> {
        if self.paths.as_ref().is_some_and(|g| g.is_match(path))
            || self.excluded.as_ref().is_some_and(|g| g.is_match(path))
        {
            Some(crate::scan::SkipReason::Allowlisted)
        } else if self
            .default_skips
            .as_ref()
            .is_some_and(|g| g.is_match(path))
        {
            Some(crate::scan::SkipReason::DefaultSkip)
        } else {
            None
        }
    }

    /// Scans the kinds of files skipped by default (lock files, minified assets, media).
    pub fn without_default_skips(mut self) -> Allowlist {
        self.default_skips = None;
        self
    }

    /// Adds the `--exclude` globs: paths matching one are treated like `[allowlist] paths`
    /// (not scanned, counted as allowlisted, their history locations dropped). An invalid glob
    /// is an error naming it.
    pub fn with_excluded(mut self, globs: &[String]) -> Result<Allowlist, globset::Error> {
        if globs.is_empty() {
            return Ok(self);
        }
        let mut set = GlobSetBuilder::new();
        for g in globs {
            set.add(Glob::new(g)?);
        }
        self.excluded = Some(set.build()?);
        Ok(self)
    }

    /// True when `secret` is allowed by a regex or contains a stop word.
    pub fn allows_secret(&self, _rule_id: &str, secret: &[u8]) -> bool {
        if self.regexes.iter().any(|r| r.is_match(secret)) {
            return true;
        }
        if self.stopwords.is_empty() {
            return false;
        }
        let lower = secret.to_ascii_lowercase();
        self.stopwords
            .iter()
            .any(|w| memchr::memmem::find(&lower, w).is_some())
    }

    /// True when findings introduced by `commit` (full or abbreviated id) are allowed.
    pub fn allows_commit(&self, commit: &str) -> bool {
        self.commits
            .iter()
            .any(|c| c.len() >= 7 && commit.starts_with(c.as_str()))
    }
}

/// A loaded configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it came from, if from a file.
    pub path: Option<PathBuf>,
    /// Allowlists.
    pub allowlist: Allowlist,
    disabled_rules: Vec<(String, usize)>,
    overrides: Vec<(String, usize, OverrideValues)>,
    provider: Option<ProviderDef>,
    rules: Vec<RuleDef>,
}

#[derive(Debug, Clone, Default)]
struct OverrideValues {
    min_entropy: Option<f64>,
    severity: Option<Severity>,
}

impl Config {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Finds `.keyhound.toml` in `root` (a directory) and loads it if present.
    pub fn discover(root: &Path) -> Result<Option<Config>, Error> {
        let candidate = root.join(CONFIG_FILE_NAME);
        if root.is_dir() && candidate.is_file() {
            Config::load(&candidate).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Validates `text` as the contents of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, Error> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            source: Box::new(e),
        })?;
        let line_of = |span: std::ops::Range<usize>| {
            1 + text.as_bytes()[..span.start.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
        };
        let invalid = |span, key: &str, reason: String| Error::Invalid {
            path: path.to_path_buf(),
            line: line_of(span),
            key: key.to_string(),
            reason,
        };
        let mut globs = GlobSetBuilder::new();
        for p in &file.allowlist.paths {
            let glob = Glob::new(p.get_ref())
                .map_err(|e| invalid(p.span(), "allowlist.paths", e.kind().to_string()))?;
            globs.add(glob);
        }
        let paths = if file.allowlist.paths.is_empty() {
            None
        } else {
            Some(
                globs
                    .build()
                    .map_err(|e| invalid(0..0, "allowlist.paths", e.to_string()))?,
            )
        };
        let mut regexes = Vec::new();
        for r in &file.allowlist.regexes {
            let re = rules::compile_regex(r.get_ref()).map_err(|e| {
                invalid(
                    r.span(),
                    "allowlist.regexes",
                    format!("regex does not compile: {e}"),
                )
            })?;
            regexes.push(re);
        }
        let mut overrides = Vec::new();
        for (id, o) in &file.overrides {
            let values = o.get_ref();
            if let Some(e) = values.min_entropy
                && !(0.0..=8.0).contains(&e)
            {
                return Err(invalid(
                    o.span(),
                    &format!("overrides.{id}.min_entropy"),
                    "must be between 0 and 8".to_string(),
                ));
            }
            overrides.push((
                id.clone(),
                line_of(o.span()),
                OverrideValues {
                    min_entropy: values.min_entropy,
                    severity: values.severity,
                },
            ));
        }
        let default_skips = match &file.default_skips {
            None => Allowlist::default().default_skips,
            Some(kinds) => {
                let known: Vec<&str> = DEFAULT_SKIPS.iter().map(|(k, _)| *k).collect();
                for k in kinds {
                    if !known.contains(&k.get_ref().as_str()) {
                        return Err(invalid(
                            k.span(),
                            "default_skips",
                            format!(
                                "unknown kind `{}`: expected one of {}",
                                k.get_ref(),
                                known.join(", ")
                            ),
                        ));
                    }
                }
                let chosen: Vec<&str> = kinds.iter().map(|k| k.get_ref().as_str()).collect();
                (!chosen.is_empty()).then(|| default_skip_globs(&chosen))
            }
        };
        Ok(Config {
            path: Some(path.to_path_buf()),
            allowlist: Allowlist {
                paths,
                excluded: None,
                default_skips,
                regexes,
                stopwords: file
                    .allowlist
                    .stopwords
                    .iter()
                    .map(|w| w.to_ascii_lowercase().into_bytes())
                    .collect(),
                commits: file.allowlist.commits,
            },
            disabled_rules: file
                .disabled_rules
                .iter()
                .map(|d| (d.get_ref().clone(), line_of(d.span())))
                .collect(),
            overrides,
            provider: file.provider,
            rules: file.rules,
        })
    }

    /// Applies extra rules, disabled rules and overrides to `set`.
    pub fn apply(&self, set: &mut RuleSet) -> Result<(), Error> {
        let origin = self
            .path
            .as_ref()
            .map_or_else(|| "config".to_string(), |p| p.display().to_string());
        if !self.rules.is_empty() {
            let provider = self.provider.clone().unwrap_or_else(|| ProviderDef {
                name: "Custom".to_string(),
                rotate_url: None,
                rotation: "Revoke this credential where it was issued, replace it with a new \
                           one kept in a secret store, and purge it from history if the \
                           repository is shared."
                    .to_string(),
            });
            set.add_defs(&origin, &provider, self.rules.clone())?;
        }
        let path = self.path.clone().unwrap_or_default();
        let ids: Vec<String> = self
            .disabled_rules
            .iter()
            .map(|(id, _)| id.clone())
            .collect();
        let unknown = set.disable(&ids);
        if let Some(id) = unknown.first() {
            let line = self
                .disabled_rules
                .iter()
                .find(|(d, _)| d == id)
                .map_or(0, |(_, l)| *l);
            return Err(Error::Invalid {
                path,
                line,
                key: "disabled_rules".to_string(),
                reason: format!("no rule has the id `{id}`"),
            });
        }
        for (id, line, values) in &self.overrides {
            let Some(rule) = set.get_mut(id) else {
                return Err(Error::Invalid {
                    path,
                    line: *line,
                    key: format!("overrides.{id}"),
                    reason: format!("no rule has the id `{id}`"),
                });
            };
            if let Some(e) = values.min_entropy {
                rule.min_entropy = Some(e);
            }
            if let Some(s) = values.severity {
                rule.severity = s;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Error> {
        Config::parse(Path::new("k.toml"), text)
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let err = parse("[allowlist]\npaths = []\nbogus = 1\n").expect_err("unknown key");
        let msg = format!(
            "{err}: {}",
            std::error::Error::source(&err).expect("has a cause")
        );
        assert!(
            msg.contains("k.toml") && msg.contains("bogus") && msg.contains("line 3"),
            "{msg}"
        );
    }

    #[test]
    fn bad_regex_names_key_and_line() {
        let err = parse("[allowlist]\n\nregexes = ['(']\n").expect_err("bad regex");
        assert!(
            err.to_string()
                .starts_with("config k.toml:3: allowlist.regexes: regex does not compile"),
            "{err}"
        );
    }

    #[test]
    fn allowlist_matches() {
        let c = parse("[allowlist]\npaths = ['tests/**']\nregexes = ['^dev-']\nstopwords = ['LOCAL']\ncommits = ['abcdef1']\n")
            .expect("valid");
        assert!(c.allowlist.allows_path("tests/a/b.env"));
        assert!(!c.allowlist.allows_path("src/a.env"));
        assert!(c.allowlist.allows_secret("r", b"dev-123"));
        assert!(c.allowlist.allows_secret("r", b"xlocalx"));
        assert!(!c.allowlist.allows_secret("r", b"prod-123"));
        assert!(c.allowlist.allows_commit("abcdef1234"));
    }

    #[test]
    fn default_skips_and_their_configuration() {
        let all = Allowlist::default();
        for p in [
            "Cargo.lock",
            "web/package-lock.json",
            "static/app.min.js",
            "img/logo.PNG",
            "x/y.png",
            "go.sum",
            ".yarn/releases/yarn-3.3.0.cjs",
            "web/.yarn/plugins/@yarnpkg/plugin-workspace-tools.cjs",
            ".pnp.cjs",
        ] {
            assert!(all.allows_path(p), "{p}");
        }
        assert!(!all.allows_path("src/main.rs"));
        assert!(!all.allows_path("scripts/build.cjs"));
        assert!(!all.without_default_skips().allows_path("Cargo.lock"));
        let some = parse("default_skips = ['minified']\n").expect("valid");
        assert!(!some.allowlist.allows_path("Cargo.lock"));
        assert!(some.allowlist.allows_path("a.min.js"));
        let none = parse("default_skips = []\n").expect("valid");
        assert!(!none.allowlist.allows_path("a.min.js"));
        let err = parse("\ndefault_skips = ['bogus']\n").expect_err("unknown kind");
        assert!(
            err.to_string()
                .contains("k.toml:2: default_skips: unknown kind `bogus`"),
            "{err}"
        );
    }

    #[test]
    fn overrides_and_disabled_rules_apply() {
        let mut set = RuleSet::builtin().expect("builtin");
        let id = set.rules()[0].id.clone();
        let other = set.rules()[1].id.clone();
        let c = parse(&format!(
            "disabled_rules = ['{other}']\n[overrides.{id}]\nseverity = 'low'\nmin_entropy = 5.5\n"
        ))
        .expect("valid");
        c.apply(&mut set).expect("applies");
        assert_eq!(set.rules()[0].severity, Severity::Low);
        assert_eq!(set.rules()[0].min_entropy, Some(5.5));
        assert!(set.rules().iter().all(|r| r.id != other));
        let bad = parse("disabled_rules = ['no-such-rule']\n").expect("parses");
        let err = bad.apply(&mut set).expect_err("unknown id");
        assert!(
            err.to_string()
                .contains("k.toml:1: disabled_rules: no rule has the id `no-such-rule`"),
            "{err}"
        );
    }
}
