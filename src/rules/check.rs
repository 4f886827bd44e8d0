//! `keyhound rules check`: every rule's examples must give a finding of that rule through the
//! whole engine (keywords, window, regex, entropy, checksum, filters), and no negative
//! example may. Built-in rules are also held to the project's bar: two examples, one
//! negative example, references and rotation guidance.

use std::fmt;

use crate::engine::{Engine, Match, Scratch};

/// One problem found by [`check_examples`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    /// Rule id.
    pub rule: String,
    /// File the rule came from.
    pub origin: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: rule `{}`: {}", self.origin, self.rule, self.problem)
    }
}

/// Runs every example and negative example of every rule of `engine`. With `strict`, also
/// reports rules with fewer than 2 examples, no negative example or no references.
pub fn check_examples(engine: &Engine, strict: bool) -> Vec<CheckFailure> {
    let mut failures = Vec::new();
    let mut scratch = Scratch::default();
    let mut matches = Vec::new();
    for (idx, rule) in engine.rules().iter().enumerate() {
        let mut fail = |problem: String| {
            failures.push(CheckFailure {
                rule: rule.id.clone(),
                origin: rule.origin.clone(),
                problem,
            })
        };
        // Built-in regexes are compiled lazily at scan time; compile each here so a pattern
        // over the size limit fails the check instead of a scan.
        if let Err(e) = crate::rules::compile_regex(&rule.pattern) {
            fail(format!("regex does not compile: {e}"));
            continue;
        }
        if strict {
            if rule.examples.len() < 2 {
                fail(format!(
                    "has {} example(s); at least 2 are required",
                    rule.examples.len()
                ));
            }
            if rule.negative_examples.is_empty() {
                fail("has no negative example".to_string());
            }
            if rule.references.is_empty() {
                fail("has no references".to_string());
            }
            for id in &rule.overrides {
                if !engine.rules().iter().any(|r| r.id == *id) {
                    fail(format!("overrides `{id}`, which is not a rule"));
                }
            }
        }
        for (i, example) in rule.examples.iter().enumerate() {
            let Some(bytes) = example_bytes(example)
                .map_err(|e| fail(format!("example {}: {e}", i + 1)))
                .ok()
            else {
                continue;
            };
            scan_example(engine, &bytes, &mut scratch, &mut matches);
            let Some(found) = matches.iter().find(|m| m.rule == idx) else {
                fail(format!(
                    "example {} gives no finding: {}",
                    i + 1,
                    preview(example)
                ));
                continue;
            };
            if strict && let Some(problem) = entropy_too_strict(rule, &bytes[found.secret.clone()])
            {
                fail(format!("example {}: {problem}", i + 1));
            }
            // One secret, one finding: where two rules match it, the report would list it
            // twice with two sets of rotation steps. (A path rule's match is kept or dropped
            // by the file's name, which an example does not have.) Part of the built-in bar:
            // `config check` does not fail a team's rule for a built-in one it overlaps.
            let rules = engine.rules();
            if strict
                && let Some(other) = matches.iter().find(|m| {
                    m.rule != idx
                        && rules[m.rule].path.is_none()
                        && rule.path.is_none()
                        && m.secret.start < found.secret.end
                        && found.secret.start < m.secret.end
                })
            {
                fail(format!(
                    "example {} also gives a finding of `{}` on the same secret; name the less \
                     specific rule in `overrides`",
                    i + 1,
                    rules[other.rule].id
                ));
            }
        }
        for (i, example) in rule.negative_examples.iter().enumerate() {
            let Some(bytes) = example_bytes(example)
                .map_err(|e| fail(format!("negative example {}: {e}", i + 1)))
                .ok()
            else {
                continue;
            };
            scan_example(engine, &bytes, &mut scratch, &mut matches);
            if let Some(m) = matches.iter().find(|m| m.rule == idx) {
                let secret = String::from_utf8_lossy(&bytes[m.secret.clone()]);
                fail(format!(
                    "negative example {} gives a finding ({}): {}",
                    i + 1,
                    preview(&secret),
                    preview(example)
                ));
            }
        }
    }
    failures
}

/// A provider rule whose secrets are hex or lower-case alphanumeric must not ask for more
/// entropy than random keys of that length reach: such a threshold drops real keys by chance
/// (a 32-character random hex key is under 3.3 bits about 1 time in 50). Generic and password
/// rules go by entropy on purpose, and a mixed-alphabet rule's threshold may be what tells its
/// format from a hex digest, so only these alphabets are held to the floor.
fn entropy_too_strict(rule: &crate::rules::Rule, secret: &[u8]) -> Option<String> {
    use crate::engine::filters;
    let min = rule.min_entropy?;
    let narrow = secret
        .iter()
        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        || secret
            .iter()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    let floor = filters::random_entropy_floor(secret);
    (!rule.generic && !rule.password && narrow && !secret.is_empty() && min > floor + 1e-9).then(
        || {
            format!(
                "min_entropy {min} is above what 99.9% of random {}-character keys of its \
                 alphabet reach ({floor}); lower it to at most that",
                secret.len()
            )
        },
    )
}

/// An example's bytes: `hex:` and hex digits (whitespace ignored) for binary formats a TOML
/// string cannot hold (a JKS key store starts FE ED FE ED), else the text itself.
fn example_bytes(example: &str) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    let Some(hex) = example.strip_prefix("hex:") else {
        return Ok(std::borrow::Cow::Borrowed(example.as_bytes()));
    };
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err("hex: an odd number of digits".to_string());
    }
    crate::findings::unhex(&digits)
        .map(std::borrow::Cow::Owned)
        .ok_or_else(|| {
            let bad = digits
                .chunks_exact(2)
                .find(|pair| !pair.iter().all(u8::is_ascii_hexdigit))
                .unwrap_or_default();
            format!("hex: `{}` is not a hex byte", String::from_utf8_lossy(bad))
        })
}

/// Scans an example the way a scan treats a blob: binary ones (a NUL in the first 8 KiB) only
/// against whole-file rules.
fn scan_example(engine: &Engine, bytes: &[u8], scratch: &mut Scratch, matches: &mut Vec<Match>) {
    matches.clear();
    if crate::scan::is_binary(bytes) {
        engine.scan_whole_blob(bytes, scratch, matches);
    } else {
        engine.scan(bytes, scratch, matches);
    }
}

fn preview(text: &str) -> String {
    let one_line: String = text
        .chars()
        .take(80)
        .map(|c| if c == '\n' { '⏎' } else { c })
        .collect();
    if text.chars().count() > 80 {
        format!("{one_line}…")
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn builtin_rules_pass_their_own_examples() {
        let set = RuleSet::builtin().expect("built-in rules load");
        let engine = Engine::new(&set).expect("engine builds");
        let failures = check_examples(&engine, true);
        let text: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert!(
            failures.is_empty(),
            "rule check failures:\n{}",
            text.join("\n")
        );
    }

    #[test]
    fn failing_examples_are_reported() {
        let text = "[provider]\nname = \"T\"\nrotation = \"r\"\n[[rules]]\nid = \"t\"\nname = \"t\"\nseverity = \"high\"\nkeywords = [\"tok_\"]\nregex = '''(tok_[A-Za-z0-9]{10})'''\nexamples = [\"tok_short\"]\nnegative_examples = [\"tok_Q8vR2mXk7L\"]\n";
        let mut set = RuleSet::default();
        set.add_file("t.toml", text).expect("valid");
        let engine = Engine::new(&set).expect("engine");
        let failures = check_examples(&engine, true);
        let problems: Vec<&str> = failures.iter().map(|f| f.problem.as_str()).collect();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].contains("at least 2"));
        assert!(problems[1].contains("no references"));
        assert!(problems[2].starts_with("example 1 gives no finding"));
        assert!(problems[3].starts_with("negative example 1 gives a finding"));
    }

    #[test]
    fn two_rules_on_one_secret_need_an_override() {
        let rule = |id: &str, keyword: &str, extra: &str| {
            format!(
                "[[rules]]\nid = \"{id}\"\nname = \"n\"\nseverity = \"high\"\nkeywords = [\"{keyword}\"]\nregex = '''(?:acme[ =]+)?\\b(tok_[A-Za-z0-9]{{10}})'''\n{extra}references = [\"https://keyhound.test\"]\nexamples = [\"{keyword} tok_Q8vR2mXk7L\", \"{keyword} = tok_W3nB6pZs1D\"]\nnegative_examples = [\"tok_\"]\n"
            )
        };
        let problems = |overrides: &str| -> Vec<String> {
            let text = format!(
                "[provider]\nname = \"T\"\nrotation = \"r\"\n{}{}",
                rule("plain", "tok", ""),
                rule("acme", "acme", overrides)
            );
            let mut set = RuleSet::default();
            set.add_file("t.toml", &text).expect("valid");
            let engine = Engine::new(&set).expect("engine");
            check_examples(&engine, true)
                .into_iter()
                .map(|f| format!("{}: {}", f.rule, f.problem))
                .collect()
        };
        let without = problems("");
        assert!(
            without.iter().any(|p| p
                .starts_with("acme: example 1 also gives a finding of `plain` on the same secret")),
            "{without:?}"
        );
        assert_eq!(problems("overrides = [\"plain\"]\n"), Vec::<String>::new());
    }

    #[test]
    fn hex_rules_may_not_ask_more_entropy_than_random_keys_have() {
        // A rule for 32-character hex keys asking 3.3 bits: 1 real key in 50 falls below.
        let text = "[provider]\nname = \"T\"\nrotation = \"r\"\n[[rules]]\nid = \"t\"\nname = \"t\"\nseverity = \"high\"\nkeywords = [\"hexkey=\"]\nregex = '''hexkey=([0-9a-f]{32})'''\nmin_entropy = 3.3\nreferences = [\"https://keyhound.test\"]\nexamples = [\"hexkey=3f9c2a7e1b8d4f6a0c5e9b2d7a1f4c8e\", \"hexkey=6d1b0e94c2a7f85316e4b9d02a7c5f18\"]\nnegative_examples = [\"hexkey=00000000000000000000000000000000\"]\n";
        let mut set = RuleSet::default();
        set.add_file("t.toml", text).expect("valid");
        let engine = Engine::new(&set).expect("engine");
        let problems: Vec<String> = check_examples(&engine, true)
            .into_iter()
            .map(|f| f.problem)
            .collect();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("min_entropy 3.3 is above") && p.contains("(3.12)")),
            "{problems:?}"
        );
    }

    #[test]
    fn hex_examples_are_bytes() {
        assert_eq!(
            example_bytes("hex:fe ED 00").unwrap().as_ref(),
            &[0xfe, 0xed, 0x00]
        );
        assert_eq!(example_bytes("plain").unwrap().as_ref(), b"plain");
        assert!(example_bytes("hex:abc").unwrap_err().contains("odd"));
        assert!(
            example_bytes("hex:zz")
                .unwrap_err()
                .contains("not a hex byte")
        );
    }
}
