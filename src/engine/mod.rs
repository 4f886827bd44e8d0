//! The matcher: keyword prefilter, windowed regex confirmation, and secret checks.
//!
//! An [`Engine`] is built once from a [`RuleSet`] and is read-only and `Sync` afterwards;
//! each worker thread brings its own [`Scratch`]. Scanning a blob is:
//!
//! 1. One Aho-Corasick DFA over every rule's keywords finds every keyword in the blob, in
//!    any ASCII case (see `keywords` for how it is built and walked). Keywords that every
//!    match of their rule provably begins with (see [`anchored_case_sensitively`]: token
//!    prefixes such as `ghp_`) must also appear with their exact case at the hit; context
//!    words (`password`) match in any case. The `Prefilter` type notes the measurements behind
//!    one pass.
//! 2. Only rules with a hit run their regex, and only over windows around the hits. Running
//!    one `RegexSet` over everything measured 0.7 MB/s with 221 rules; keyword-gated regex
//!    over whole blobs costs ~45 s on git/git's history; windows make the regex cost
//!    proportional to the hits, not to the blob.
//! 3. The captured secret must pass the rule's entropy floor, its checksum, and the shared
//!    placeholder filters before it becomes a [`Match`].

mod checksum;
pub mod encoded;
pub mod filters;
mod keywords;
pub mod lines;

use std::ops::Range;

use crate::rules::{Rule, RuleSet};

/// Bytes searched backwards from a hit for the start of its line.
const LINE_BACK: usize = 512;
/// Bytes searched forwards from a hit for the end of its line (single-line rules).
const LINE_FORWARD: usize = 4096;
/// Bytes searched past a multi-line rule's window for the end of a line.
const WINDOW_SLACK: usize = 512;
/// Hits of one rule at most this far apart on one line are stored as one: their windows
/// overlap anyway (a window reaches `LINE_FORWARD` past its hit, or a multi-line rule's
/// `window`), so the regex sees the same bytes.
const HIT_MERGE_GAP: usize = 256;

/// The engine could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The keyword automaton would need more states than its 32-bit table can address
    /// (millions of keyword bytes).
    #[error("cannot build the keyword automaton: {0} states is too many")]
    TooManyKeywords(usize),
}

/// A confirmed secret in a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in [`Engine::rules`].
    pub rule: usize,
    /// Byte range of the secret in the blob.
    pub secret: Range<usize>,
}

/// Per-thread buffers reused across blobs.
#[derive(Debug, Default)]
pub struct Scratch {
    hits: Vec<Vec<Range<usize>>>,
    touched: Vec<usize>,
    windows: Vec<Window>,
    /// Where keywords ended in the blob being scanned.
    keyword_hits: keywords::Hits,
    /// Secret ranges that provider (non-generic) rules matched, whether or not the secret
    /// passed its checks.
    claimed: Vec<Range<usize>>,
}

#[derive(Debug, Clone)]
struct Window {
    range: Range<usize>,
    /// The start was cut mid-line: a match beginning exactly there may be a fragment.
    cut_start: bool,
    /// Likewise for the end.
    cut_end: bool,
}

/// A rule a keyword pattern triggers. `exact` holds the keyword as written when the rule is
/// case-sensitive (its regex provably starts with the keyword): the hit must contain it
/// verbatim in the original bytes.
#[derive(Debug, Clone)]
struct Target {
    rule: usize,
    exact: Option<Box<[u8]>>,
}

/// One automaton over every keyword, matched in any ASCII case, and the rules each wakes.
///
/// Measured on the git and trufflehog working trees (91 MB) with ~200 rules and ~400
/// keywords: one case-sensitive automaton plus one ASCII-case-insensitive one fell back to a
/// plain automaton walk (Teddy takes at most 64 patterns; 81% of scan time, 42 MB/s); 25
/// Teddy groups of 16 ran at 135 MB/s. A single DFA pass, checking the case of case-sensitive
/// keywords only at hits, does one pass instead of many. With 1,777 keywords the
/// `aho-corasick` crate's DFA ran at ~300 MB/s and took 44% of a git/git history scan's CPU
/// time; `keywords::Keywords` walks the same automaton at ~1,050 MB/s.
#[derive(Debug)]
struct Prefilter {
    automaton: keywords::Keywords,
    targets: Vec<Vec<Target>>,
}

/// Compiled rules plus their prefilters.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<Rule>,
    prefilter: Option<Prefilter>,
    /// Per rule, the indices of the rules it overrides (see `RuleDef::overrides`); rules that
    /// are not loaded (disabled by configuration) are left out.
    overrides: Vec<Vec<usize>>,
    /// Rules without keywords (whole-file secrets found by path, see `RuleDef::path`).
    whole_blob: Vec<usize>,
}

impl Engine {
    /// Builds the automata for `rules`.
    pub fn new(rules: &RuleSet) -> Result<Engine, Error> {
        let rules = rules.rules().to_vec();
        let mut keywords: Vec<(String, Target)> = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let exact = anchored_case_sensitively(rule);
            for k in &rule.keywords {
                keywords.push((
                    k.to_ascii_lowercase(),
                    Target {
                        rule: i,
                        exact: exact.then(|| k.as_bytes().into()),
                    },
                ));
            }
        }
        let overrides = rules
            .iter()
            .map(|rule| {
                rule.overrides
                    .iter()
                    .filter_map(|id| rules.iter().position(|r| r.id == *id))
                    .collect()
            })
            .collect();
        let whole_blob = (0..rules.len())
            .filter(|&i| rules[i].keywords.is_empty())
            .collect();
        Ok(Engine {
            prefilter: Prefilter::build(keywords)?,
            rules,
            overrides,
            whole_blob,
        })
    }

    /// The rules, indexed by [`Match::rule`].
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Runs only the whole-file rules (no keywords, found by path) on `data`: the check for a
    /// binary blob, whose text rules cannot apply but which may be a key store (PKCS #12).
    pub fn scan_whole_blob(&self, data: &[u8], scratch: &mut Scratch, out: &mut Vec<Match>) {
        if self.whole_blob.is_empty() || data.len() > crate::rules::WHOLE_BLOB_MAX {
            return;
        }
        if scratch.hits.len() < self.rules.len() {
            scratch.hits.resize_with(self.rules.len(), Vec::new);
        }
        let first = out.len();
        scratch.claimed.clear();
        for &rule in &self.whole_blob {
            // One empty hit at offset 0: the window is the whole blob.
            let mut hits: Vec<Range<usize>> = Vec::with_capacity(1);
            hits.push(0..0);
            self.confirm(
                rule,
                data,
                &mut hits,
                &mut scratch.windows,
                &mut scratch.claimed,
                out,
            );
        }
        out[first..].sort_by_key(|m| (m.secret.start, m.secret.end, m.rule));
    }

    /// Finds the secrets in `data`, appending them to `out` sorted by position.
    pub fn scan(&self, data: &[u8], scratch: &mut Scratch, out: &mut Vec<Match>) {
        if scratch.hits.len() < self.rules.len() {
            scratch.hits.resize_with(self.rules.len(), Vec::new);
        }
        if let Some(pf) = &self.prefilter {
            // Every keyword at every place, in order of where it ends; a keyword inside a
            // longer one (`secret_key` in `hasura_admin_secret_key`) is reported on its own.
            let (hits, touched) = (&mut scratch.hits, &mut scratch.touched);
            pf.automaton
                .for_each_match(data, &mut scratch.keyword_hits, |pattern, m| {
                    for t in &pf.targets[pattern] {
                        if let Some(k) = &t.exact
                            && data[m.clone()] != **k
                        {
                            continue;
                        }
                        let hits = &mut hits[t.rule];
                        match hits.last_mut() {
                            // A hit close after the last one on the same line gets the same
                            // window (see `window`): extend the last hit instead of storing
                            // one more. A line of 10 million `password=` made 1.4 GB of hits.
                            // Keywords that overlap the last hit (`secret_` inside `_secret_`)
                            // are merged into it too; one that ends later may start earlier.
                            Some(last)
                                if m.start <= last.end + HIT_MERGE_GAP
                                    && (m.start <= last.end
                                        || memchr::memchr(b'\n', &data[last.end..m.start])
                                            .is_none()) =>
                            {
                                last.start = last.start.min(m.start);
                                last.end = last.end.max(m.end);
                            }
                            Some(_) => hits.push(m.clone()),
                            None => {
                                touched.push(t.rule);
                                hits.push(m.clone());
                            }
                        }
                    }
                });
        }
        // Whole-file rules start at offset 0; their regexes are anchored (`\A`), so a blob
        // that does not begin like the secret costs a few bytes of DFA. Text files that are one
        // secret are small; trying every text blob up to the binary limit cost 20% of a
        // history scan.
        if data.len() <= WHOLE_TEXT_MAX {
            for &rule in &self.whole_blob {
                scratch.hits[rule].push(0..0);
                scratch.touched.push(rule);
            }
        }
        if scratch.touched.is_empty() {
            return;
        }
        let first = out.len();
        scratch.claimed.clear();
        let mut touched = std::mem::take(&mut scratch.touched);
        touched.sort_unstable();
        for &rule_idx in &touched {
            let mut hits = std::mem::take(&mut scratch.hits[rule_idx]);
            self.confirm(
                rule_idx,
                data,
                &mut hits,
                &mut scratch.windows,
                &mut scratch.claimed,
                out,
            );
            hits.clear();
            scratch.hits[rule_idx] = hits;
        }
        touched.clear();
        scratch.touched = touched;
        let found = &mut out[first..];
        found.sort_by_key(|m| (m.secret.start, m.secret.end, m.rule));
        self.drop_generic_overlaps(out, first, &scratch.claimed);
        self.drop_fallback_duplicates(out, first);
        // An OpenAPI or Swagger document, whatever its file name (`docs/api-reference/
        // admin.yaml`): its example values show what an API returns, not a configuration.
        // Context-word rules skip it, as they skip a document named like one (see
        // `findings::is_api_specification`); provider rules still report real formats in it.
        let rules = &self.rules;
        if out[first..]
            .iter()
            .any(|m| rules[m.rule].generic || rules[m.rule].password)
            && crate::findings::is_api_specification_text(data)
        {
            let mut i = 0;
            out.retain(|m| {
                let earlier = i < first;
                i += 1;
                earlier || !(rules[m.rule].generic || rules[m.rule].password)
            });
        }
    }

    /// Two fallback rules on one value (`DB_PASSWORD=...` is both a generic assignment and a
    /// password line) are one secret: keep the more specific rule's finding — a provider's
    /// rule (Gradle, .netrc, a URL with credentials) over the Generic provider's, a password
    /// rule over the catch-all `generic` one, then the earlier rule.
    fn drop_fallback_duplicates(&self, out: &mut Vec<Match>, first: usize) {
        self.drop_overridden(out, first);
        let rules = &self.rules;
        let rank = |m: &Match| {
            let r = &rules[m.rule];
            (
                u8::from(r.provider == "Generic") * 2 + u8::from(r.generic),
                m.rule,
            )
        };
        // A path rule's match may still be dropped for its path after the scan (see
        // `RuleDef::path`), so it neither beats nor is beaten here.
        let ranked = |m: &Match| rules[m.rule].fallback && rules[m.rule].path.is_none();
        let found = &out[first..];
        if found.iter().filter(|m| ranked(m)).count() < 2 {
            return;
        }
        // Matches are sorted by start, so the ones overlapping `a` from the right are the run
        // after it that starts before `a` ends: one pass over the overlaps, not all pairs.
        let mut beaten = vec![false; found.len()];
        for (i, a) in found.iter().enumerate() {
            if !ranked(a) {
                continue;
            }
            for (j, b) in found.iter().enumerate().skip(i + 1) {
                if b.secret.start >= a.secret.end {
                    break;
                }
                if ranked(b) {
                    match rank(b).cmp(&rank(a)) {
                        std::cmp::Ordering::Less => beaten[i] = true,
                        std::cmp::Ordering::Greater => beaten[j] = true,
                        std::cmp::Ordering::Equal => {}
                    }
                }
            }
        }
        let mut i = 0;
        out.retain(|_| {
            let keep = i < first || !beaten[i - first];
            i += 1;
            keep
        });
    }

    /// Where a rule and a rule it overrides both matched overlapping secrets, keeps only the
    /// more specific one. Matches are sorted by start, so the ones overlapping `a` are a run
    /// around it: after it, those starting before `a` ends; before it, those starting at most
    /// the longest secret's length earlier. (All pairs made a 1 MB line of 60,000
    /// `password=` assignments take seconds: `generic-secret` overrides and matches often.)
    fn drop_overridden(&self, out: &mut Vec<Match>, first: usize) {
        let found = &out[first..];
        if !found.iter().any(|m| !self.overrides[m.rule].is_empty()) {
            return;
        }
        let longest = found.iter().map(|m| m.secret.len()).max().unwrap_or(0);
        let mut beaten = vec![false; found.len()];
        for (i, a) in found.iter().enumerate() {
            let overridden = &self.overrides[a.rule];
            if overridden.is_empty() {
                continue;
            }
            let from = found[..i].partition_point(|b| b.secret.start + longest <= a.secret.start);
            for (j, b) in found.iter().enumerate().skip(from) {
                if b.secret.start >= a.secret.end {
                    break;
                }
                if j != i && overridden.contains(&b.rule) && a.secret.start < b.secret.end {
                    beaten[j] = true;
                }
            }
        }
        let mut i = 0;
        out.retain(|_| {
            let keep = i < first || !beaten[i - first];
            i += 1;
            keep
        });
    }

    fn confirm(
        &self,
        rule_idx: usize,
        data: &[u8],
        hits: &mut [Range<usize>],
        windows: &mut Vec<Window>,
        claimed: &mut Vec<Range<usize>>,
        out: &mut Vec<Match>,
    ) {
        let rule = &self.rules[rule_idx];
        hits.sort_unstable_by_key(|h| h.start);
        windows.clear();
        for hit in hits.iter() {
            let w = window(data, hit, rule.window);
            match windows.last_mut() {
                Some(last) if w.range.start <= last.range.end => {
                    if w.range.end > last.range.end {
                        last.range.end = w.range.end;
                        last.cut_end = w.cut_end;
                    }
                }
                _ => windows.push(w),
            }
        }
        for w in windows.iter() {
            let hay = &data[w.range.clone()];
            for caps in rule.regex().captures_iter(hay) {
                let whole = caps.get(0).expect("group 0 always participates");
                if (w.cut_start && whole.start() == 0) || (w.cut_end && whole.end() == hay.len()) {
                    continue;
                }
                // Alternatives such as `"([^"]*)"|'([^']*)'` each hold the secret in their own
                // group: the first unnamed group from `secret_group` on that took part is it.
                let Some((group_idx, group)) = std::iter::once(rule.secret_group)
                    .chain(
                        (rule.secret_group + 1..caps.len())
                            .filter(|&i| rule.regex().capture_names().nth(i).flatten().is_none()),
                    )
                    .find_map(|i| caps.get(i).map(|g| (i, g)))
                else {
                    continue;
                };
                let start = w.range.start + group.start();
                let secret = without_escaped_quote(
                    &hay[group.range()],
                    &data[w.range.start + group.end()..],
                );
                // A path rule's match may be dropped for its path after the scan, so it claims
                // nothing that would hide another rule's finding.
                if !rule.fallback && rule.path.is_none() {
                    claimed.push(start..start + secret.len());
                }
                // `LS0tLS1CRUdJTi…ZzL3cw...`: a value cut short with an ellipsis shows the
                // format of one and opens nothing. A checksum over the whole value proves it
                // complete, and then a sentence may well end after it.
                let rest = &data[start + secret.len()..];
                if !rule
                    .checksum
                    .is_some_and(crate::rules::Checksum::covers_whole_value)
                    && (rest.starts_with(b"...")
                        || rest.starts_with("\u{2026}".as_bytes())
                        // `[...omitted for brevity...]`
                        || rest.starts_with(b"[..."))
                {
                    continue;
                }
                // `` `E2E_SANDBOX_SECRET_${randomUUID()}` ``, `secret-token:host:${jwk}`: a value
                // cut where a template interpolates the rest; the text is not the secret.
                if secret.ends_with(b"$") && rest.starts_with(b"{") {
                    continue;
                }
                // `Bearer eyJhbGciOiJSUzI1NiJ9`: a JWT's header alone, the same for every token
                // of an issuer, unless the string goes on in a concatenation (`"Bearer eyJ…" ..
                // payload` in Lua).
                if checksum::is_jwt_header_only(secret) && !continues_in_concatenation(rest) {
                    continue;
                }
                // `"handle" => "eyJhbGciOiJIUzI1NiJ9.eyJ0aXRsZSI6IlVQUyBHcm91bmQi…"`: Shopify
                // signs a shipping rate's `handle` (a draft order's line) as a JWT of the rate
                // itself; the handle names a rate, it opens nothing.
                if matches!(rule.checksum, Some(crate::rules::Checksum::Jwt))
                    && assigned_name(data, start).eq_ignore_ascii_case(b"handle")
                {
                    continue;
                }
                // `<PrefInput placeholder="syt_…"/>`: a form field's hint shows what a token
                // looks like; it is the hint text of an empty input, not a token.
                if assigned_name(data, start).eq_ignore_ascii_case(b"placeholder") {
                    continue;
                }
                // A 64-character line of a PEM block's base64 that happens to begin with a
                // token prefix (`EAAA…` inside an ML-DSA key): the block is a key, which the
                // private-key rules report.
                if rule.checksum.is_none() && is_pem_body_line(data, start, start + secret.len()) {
                    continue;
                }
                if (rule.generic || rule.password)
                    && !self.generic_context_ok(rule, data, w.range.start, &caps, group_idx)
                {
                    continue;
                }
                if (rule.generic || rule.password)
                    && is_described_digest(data, start..start + secret.len())
                {
                    continue;
                }
                // A provider rule that names its field (`-H "<name>: <token>"`) drops the
                // names that hold no secret (`Idempotency-Key`), as the generic rules do.
                if !(rule.generic || rule.password)
                    && let Some(name) = caps.name("name")
                    && (filters::is_non_secret_name(name.as_bytes())
                        || filters::is_public_key_header(name.as_bytes(), secret))
                {
                    continue;
                }
                if secret.is_empty()
                    || !self.passes_checks(rule, secret)
                    || is_schema_example(data, start)
                    || is_test_case_object(data, start)
                {
                    continue;
                }
                out.push(Match {
                    rule: rule_idx,
                    secret: start..start + secret.len(),
                });
            }
        }
    }

    /// A provider rule and a generic rule on the same text (`GITHUB_TOKEN=ghp_…`) are one
    /// secret: keep the provider's finding, which knows how to rotate it. When the provider
    /// rule recognised the format but rejected the value (bad checksum, placeholder), the
    /// generic rule must not report it either.
    fn drop_generic_overlaps(&self, out: &mut Vec<Match>, first: usize, specific: &[Range<usize>]) {
        let rules = &self.rules;
        if specific.is_empty() || !out[first..].iter().any(|m| rules[m.rule].fallback) {
            return;
        }
        // Sorted by start, with the furthest end reached by each prefix: a match overlaps a
        // specific range when one of those starting before its end reaches past its start.
        // Two binary searches per match, not a pass over every range (a long line of
        // assignments has thousands of both).
        let mut sorted = specific.to_vec();
        sorted.sort_unstable_by_key(|s| s.start);
        let reach: Vec<usize> = sorted
            .iter()
            .scan(0, |furthest, s| {
                *furthest = (*furthest).max(s.end);
                Some(*furthest)
            })
            .collect();
        let overlaps = |m: &Match| {
            let before_end = sorted.partition_point(|s| s.start < m.secret.end);
            before_end > 0 && reach[before_end - 1] > m.secret.start
        };
        let mut i = 0;
        out.retain(|m| {
            let keep_index = i;
            i += 1;
            keep_index < first || !rules[m.rule].fallback || !overlaps(m)
        });
    }

    /// Checks only generic and password rules need: a URL's host (`host` group) must not be a
    /// documentation domain; the name assigned to (from the regex's `name` group,
    /// extended back to the start of the identifier) must not name a non-secret, and the value
    /// must not be a function being called (`password = utf8_to_utf16_dup(v)` in git's C).
    fn generic_context_ok(
        &self,
        rule: &Rule,
        data: &[u8],
        offset: usize,
        caps: &regex::bytes::Captures<'_>,
        secret_group: usize,
    ) -> bool {
        if let Some(value) = caps.get(secret_group)
            && data.get(offset + value.end()) == Some(&b'(')
        {
            return false;
        }
        // `post 'form/:token' => 'inbound#form'`: a route's path parameter, mapped to the
        // controller action that serves it.
        if let Some(name) = caps.name("name")
            && data[..offset + name.start()].ends_with(b"/:")
        {
            return false;
        }
        // `user_alice="alice-secret"`: a JAAS user's password written as its name and the
        // slot, as Kafka's documentation fills every example.
        if let Some(user) = caps.name("user")
            && let Some(value) = caps.get(secret_group)
            && let Some(rest) = value
                .as_bytes()
                .to_ascii_lowercase()
                .strip_prefix(user.as_bytes().to_ascii_lowercase().as_slice())
                .map(<[u8]>::to_vec)
            && matches!(
                rest.as_slice(),
                b"-secret"
                    | b"secret"
                    | b"_secret"
                    | b"-password"
                    | b"password"
                    | b"-pass"
                    | b"pass"
            )
        {
            return false;
        }
        // `adduser --disabled-password appuser`, `createuser --no-password`, `mysql
        // --connect-expired-password db`: a command-line option named like a password option
        // whose other words make it a switch; the word after it is the command's next argument.
        if let Some(option) = caps.name("option")
            && option
                .as_bytes()
                .split(|&b| b == b'-')
                .filter(|w| !w.is_empty())
                .any(filters::is_switch_word)
        {
            return false;
        }
        // `?api_key=see-the-docs#section=2`, `&access_token=private#receipt`: in a URL's query a
        // `#` starts the fragment, and the value before it is a word or a number, not a token.
        // The `name` group starts at the keyword, so the parameter's name is walked back first.
        if let (Some(name), Some(value)) = (caps.name("name"), caps.get(secret_group))
            && let Some(hash) = memchr::memchr(b'#', value.as_bytes())
            && let param = data[..offset + name.start()]
                .iter()
                .rev()
                .take(64)
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                .count()
            && let Some(&before) = (offset + name.start())
                .checked_sub(param + 1)
                .and_then(|i| data.get(i))
            && matches!(before, b'?' | b'&')
        {
            let head = &value.as_bytes()[..hash];
            if head.len() < 8
                || head.iter().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_')
                })
            {
                return false;
            }
        }
        // `<iframe src="https://…/post-slug/embed/#?secret=C4d8QxYmh3">`: WordPress marks each
        // oEmbed iframe with a random word so the page can match its resize messages; it is in
        // the page's HTML for every visitor.
        if let Some(name) = caps.name("name")
            && name.as_bytes().eq_ignore_ascii_case(b"secret")
            && data[..offset + name.start()].ends_with(b"/embed/#?")
        {
            return false;
        }
        // `<drupal-render-placeholder callback="…" token="…">`, `<css-placeholder token=…>`:
        // the hash that names a placeholder Drupal's renderer fills in later (also inside a
        // BigPipe `data-big-pipe-placeholder-id`), not a credential.
        if let Some(name) = caps.name("name")
            && name.as_bytes().eq_ignore_ascii_case(b"token")
            && let at = offset + name.start()
            && let line_start = memchr::memrchr(b'\n', &data[at.saturating_sub(512)..at])
                .map_or(at.saturating_sub(512), |i| at.saturating_sub(512) + i + 1)
            && memchr::memmem::find(&data[line_start..at], b"-placeholder").is_some()
        {
            return false;
        }
        // ``export DBPWD=`generatepwd` ``: a shell command substitution in backticks, whose
        // output becomes the value when the script runs. A command's name is lower-case
        // words; a JavaScript template literal holding a key (``KEY=`9f2c…` ``) has digits.
        if let Some(value) = caps.get(secret_group)
            && let at = offset + value.start()
            && at >= 2
            && &data[at - 2..at] == b"=`"
            && data.get(offset + value.end()) == Some(&b'`')
            && value
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_'))
        {
            return false;
        }
        // `ALTER USER app WITH PASSWORD :'pgpass';`: psql interpolating the variable `pgpass`
        // (set from the environment by `\set`) as a quoted literal, not a password.
        if let Some(value) = caps.get(secret_group)
            && let at = offset + value.start()
            && at >= 3
            && &data[at - 2..at] == b":'"
            && matches!(data[at - 3], b' ' | b'\t')
            && value
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            return false;
        }
        // `'prefix_' . $name` (PHP), `"key-" + id` (JavaScript, Java, Python): the literal is
        // only the start of a value built at run time.
        if let Some(value) = caps.get(secret_group)
            && let Some(after) = data.get(offset + value.end()..)
            && let Some((&quote, rest)) = after.split_first()
            && matches!(quote, b'"' | b'\'' | b'`')
        {
            // `'{"password": "attempt'$i'"}'`: a shell closing its single quotes to expand a
            // variable into the string; the literal is only its start.
            if quote == b'\'' && rest.first() == Some(&b'$') {
                return false;
            }
            // The operator and its operand are near: a long run of blanks ends the look.
            let rest = rest[..rest.len().min(64)].trim_ascii_start();
            if let Some((&op, operand)) = rest.split_first() {
                let operand = operand.trim_ascii_start();
                // `\str_replace(…)`: a PHP function named from the global namespace.
                let operand = operand.strip_prefix(b"\\").unwrap_or(operand);
                let name = operand
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                let starts_name = operand
                    .first()
                    .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'$' | b'_'));
                // PHP's `.` joins a variable or a call; after a sentence's full stop comes a
                // word (`'admin'. Then`), and a method call on the literal is no join either.
                // `'lite_' . self::get_uuid()`: a static or method call joins a value too (a
                // static property, `Sequence::$incr`, only numbers a test's fixed key).
                let method = |after: &[u8]| {
                    let len = after
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                        .count();
                    len > 0 && after.get(len) == Some(&b'(')
                };
                let called = operand.get(name) == Some(&b'(')
                    || operand[name..].strip_prefix(b"::").is_some_and(method)
                    || operand[name..].strip_prefix(b"->").is_some_and(method);
                let joined = match op {
                    b'.' => {
                        operand.first() == Some(&b'$')
                            || (name > 0
                                && called
                                && rest.get(1).is_some_and(u8::is_ascii_whitespace))
                    }
                    b'+' => starts_name,
                    _ => false,
                };
                if joined {
                    return false;
                }
            }
        }
        // `username, password := "alice", "s3cret"`: a tuple assignment (Go, Python). The first
        // literal belongs to the first name, so a name after a comma would take another's value.
        if let Some(name) = caps.name("name").or_else(|| caps.get(0))
            && let Some(value) = caps.get(secret_group)
            // `cx.user, cx.pass = …`: the name with the fields it is reached through.
            && let start = offset + name.start()
                - data[..offset + name.start()]
                    .iter()
                    .rev()
                    .take(64)
                    .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
                    .count()
            // The names before it are short: look back 256 bytes at most, so a long line with
            // many candidates is not read again for each.
            && let back = start.saturating_sub(256)
            && let line_start = memchr::memrchr(b'\n', &data[back..start]).map_or(back, |i| back + i + 1)
            && let before = data[line_start..start].trim_ascii()
            && before.ends_with(b",")
            && before
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b',' | b' ' | b'\t'))
            // `user.password, user.password_confirmation = "p", "p"`: when the first name holds
            // a password too, so does the first literal.
            && !{
                let first = before.split(|&b| b == b',').next().unwrap_or_default();
                let first = first.to_ascii_lowercase();
                [&b"pass"[..], b"pwd", b"secret", b"token"]
                    .iter()
                    .any(|w| memchr::memmem::find(&first, w).is_some())
            }
            && data
                .get(offset + value.end()..)
                .and_then(|after| {
                    after
                        .strip_prefix(b"\"")
                        .or_else(|| after.strip_prefix(b"'"))
                })
                .and_then(|after| after.trim_ascii_start().strip_prefix(b","))
                // The next item is another literal; a name (`password_ok="…"`) makes the
                // line keyword arguments, each with its own value.
                .is_some_and(|next| matches!(next.trim_ascii_start().first(), Some(b'"' | b'\'')))
        {
            return false;
        }
        // `access_token=user1_tok,` (a keyword argument), `key = api_key2;`: an unquoted
        // identifier before a `,` or `;` is a variable in code; a config file's value would
        // end the line. Not where only a literal can stand: `;` separates the fields of a
        // connection string (`Password=ledger_keeper;`).
        if !rule.literal
            && let Some(value) = caps.get(secret_group)
            && matches!(data.get(offset + value.end()), Some(b',' | b';'))
            && unquoted_at(data, offset + value.start())
            && value
                .as_bytes()
                .first()
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && value
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
            && value.as_bytes().iter().any(|b| b.is_ascii_lowercase())
            // A random token has capitals and no `_` (`= Kt7vQ2mX9zLq9vT3;`).
            && (value.as_bytes().contains(&b'_')
                || !value.as_bytes().iter().any(u8::is_ascii_uppercase))
        {
            return false;
        }
        // `PASS: binutils-all/i386/empty`: a test summary's result line (DejaGnu, Automake),
        // known by a neighbouring line that is one too.
        if let Some(name) = caps.name("name")
            && name.as_bytes() == b"PASS"
            && let start = offset + name.start()
            && (start == 0 || data[start - 1] == b'\n')
            && is_next_to_test_result(data, start)
        {
            return false;
        }
        // `pub const IFLA_INET6_TOKEN: _bindgen_ty_5 = …` (Rust), `token: TokenType = …`
        // (TypeScript): after the colon comes the constant's type, and its value after `=`.
        if let Some(value) = caps.get(secret_group)
            && unquoted_at(data, offset + value.start())
            && value
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'<' | b'>'))
            && let rest = &data[offset + value.end()..]
            // On the same line: a Perl POD `=cut` may open the next one.
            && let blanks = rest
                .iter()
                .take(16)
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count()
            && let rest = &rest[blanks..]
            && rest.first() == Some(&b'=')
            && !matches!(rest.get(1), Some(b'=' | b'>'))
        {
            return false;
        }
        // `json_dict['PathOrToken'] = path_shared1_r`: a subscript set to a variable (Python,
        // PHP, Ruby). A configuration file's keys are not quoted subscripts, and code's literals
        // are quoted.
        if let Some(name) = caps.name("name")
            && let Some(value) = caps.get(secret_group)
            && unquoted_at(data, offset + value.start())
            && value.as_bytes().first().is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && value
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
            // A random token has capitals and no `_` (`$config["api_secret"] = Kt7vQ2mX…;`).
            && (value.as_bytes().contains(&b'_')
                || !value.as_bytes().iter().any(u8::is_ascii_uppercase))
            && let key_start = offset + name.start()
                - data[..offset + name.start()]
                    .iter()
                    .rev()
                    .take(64)
                    .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                    .count()
            && key_start >= 2
            && matches!(&data[key_start - 2..key_start], b"['" | b"[\"")
            && data
                .get(offset + name.end()..offset + name.end() + 2)
                .is_some_and(|close| close == b"']" || close == b"\"]")
        {
            return false;
        }
        // `authorization = TestOAuth2Authorizations` and `.authorization(…)` on the next line:
        // an unquoted name whose call chain goes on below (Java's fluent builders).
        if let Some(value) = caps.get(secret_group)
            && unquoted_at(data, offset + value.start())
            && value.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && value
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
            && let rest = &data[offset + value.end()..]
            && let rest = &rest[..rest.len().min(64)]
            && rest.first().is_some_and(|b| matches!(b, b'\n' | b'\r'))
            // `.name(`, a method called; not a shell's `. ./env.sh` after `PASS=…`.
            && let Some(call) = rest.trim_ascii_start().strip_prefix(b".")
            && let name_len = call
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count()
            && name_len > 0
            && call.get(name_len) == Some(&b'(')
        {
            return false;
        }
        // `andPassword: authpwd`, `withToken: token`: an Objective-C (or Swift) message's
        // argument label and the variable passed, across the lines of a call.
        if let Some(name) = caps.name("name")
            && let name = name.as_bytes()
            && [&b"and"[..], b"with"].iter().any(|p| {
                name.starts_with(p) && name.get(p.len()).is_some_and(u8::is_ascii_uppercase)
            })
            && let Some(value) = caps.get(secret_group)
            && value
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
            && unquoted_at(data, offset + value.start())
        {
            return false;
        }
        // `tools.decryptionPassword=#Decryption password`: H2's console translations mark a
        // label not yet translated with `#`; a `#` word assigned unquoted and followed by more
        // words to the end of the line is the label's text. (Without the `#`, words after a
        // value are a command's arguments: `mysql -uroot -picinga icinga`.)
        if let Some(value) = caps.get(secret_group)
            && (offset + value.start())
                .checked_sub(1)
                .and_then(|i| data.get(i))
                == Some(&b'=')
            && let Some(word) = value.as_bytes().strip_prefix(b"#")
            && !word.is_empty()
            && word.iter().all(u8::is_ascii_alphabetic)
            // A label is short: 256 bytes bound the look (a long line's candidates do not each
            // read it to its end).
            && let rest = &data[offset + value.end()..]
            && let rest = &rest[..rest.len().min(256)]
            && let rest = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())]
            && let rest = rest.strip_suffix(b"\r").unwrap_or(rest)
            && rest.starts_with(b" ")
            && rest.iter().any(u8::is_ascii_alphabetic)
            && rest
                .iter()
                .all(|b| b.is_ascii_alphabetic() || matches!(b, b' ' | b'.' | b',' | b'-' | b'\''))
        {
            return false;
        }
        // `signInWithWeb3(credentials: Web3Credentials)`: an unquoted word closing a parameter
        // list is the parameter's type, not a value. `oauth2clientFields[1].Descriptor()`,
        // `pkg.GCPCredentials{`: an unquoted name before `[` is indexed and before `{` builds a
        // struct, code (before `(` it is called, see above).
        if let Some(value) = caps.get(secret_group)
            && unquoted_at(data, offset + value.start())
        {
            let next = data.get(offset + value.end());
            let name = value.as_bytes();
            if (next == Some(&b')') && !in_command_substitution(data, offset + value.start()))
                || (matches!(next, Some(b'[' | b'{'))
                    && name
                        .first()
                        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
                    && name
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.')))
            {
                return false;
            }
        }
        // `"api_key": "a94a8fe5…"`: the SHA-1 (or MD5, SHA-256) of `test` or another word every
        // test tries, standing in for a key of the same length (Datadog's Cloudflare tests).
        if rule.generic
            && let Some(value) = caps.get(secret_group)
            && filters::is_digest_of_common_password(value.as_bytes())
        {
            return false;
        }
        // `:type oauth2_client_credentials: WebhooksOAuth2ClientCredentialsRelationship`: a
        // Sphinx docstring's field type, in a generated model.
        if let Some(name) = caps.name("name")
            && let before = &data[..offset + name.start()]
            && let whole = before.len()
                - before
                    .iter()
                    .rev()
                    .take(64)
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count()
            && let before = before[..whole].trim_ascii_end()
            && (before.ends_with(b":type")
                || before.ends_with(b":rtype")
                || before.ends_with(b":param"))
        {
            return false;
        }
        // `password="8d3c…"` with `salt="…"` or `encoding="md5"` beside it: a digest of the
        // password, as user tables, seed data and user-mapping files store it (OpenMRS,
        // Liquibase change sets, Guacamole), not the password.
        if (rule.password
            || caps.name("name").is_some_and(|n| {
                memchr::memmem::find(&n.as_bytes().to_ascii_lowercase(), b"pass").is_some()
            }))
            && let Some(value) = caps.get(secret_group)
            // Java's BigInteger hex drops leading zeros (39 and 127 digits in OpenMRS).
            && (30..=128).contains(&value.len())
            && value.as_bytes().iter().all(u8::is_ascii_hexdigit)
        {
            let at = offset + value.start();
            let around = &data[at.saturating_sub(300)..(at + value.len() + 300).min(data.len())];
            let around = around.to_ascii_lowercase();
            // Guacamole's `user-mapping.xml`: `password="<hex>" encoding="md5"` (or sha256).
            let digest_encoding = [&b"encoding=\"md5"[..], b"encoding=\"sha"]
                .iter()
                .any(|e| memchr::memmem::find(&around, e).is_some());
            if digest_encoding
                || memchr::memmem::find(&around, b"salt").is_some()
                || filters::is_digest_of_common_password(value.as_bytes())
            {
                return false;
            }
        }
        // `login(user = "anonymous", password = "guest")`: an anonymous FTP login, whose
        // password is a courtesy any value satisfies. The user may be set on the line before
        // (`server->user = "anonymous";` then `server->password = "busybox@";`).
        if (rule.password
            || caps.name("name").is_some_and(|n| {
                memchr::memmem::find(&n.as_bytes().to_ascii_lowercase(), b"pass").is_some()
            }))
            && let Some(value) = caps.get(secret_group)
            && filters::is_anonymous_login(
                value.as_bytes(),
                near_lines(data, offset + value.start()..offset + value.end(), 256, 1),
            )
        {
            return false;
        }
        // `Token = BlkIo2Request->Token;`: C's `->` member access, whose `-` the value took.
        if rule.generic
            && let Some(value) = caps.get(secret_group)
            && value.as_bytes().last() == Some(&b'-')
            && data.get(offset + value.end()) == Some(&b'>')
        {
            return false;
        }
        // `<input type="hidden" name="token" value="…">` and phpMyAdmin's `?token=…` (in its
        // URLs and so in access logs): a form's anti-CSRF token, valid for one session.
        if rule.generic
            && caps
                .name("name")
                .is_some_and(|n| n.as_bytes().eq_ignore_ascii_case(b"token"))
            && let Some(value) = caps.get(secret_group)
            && is_form_csrf_token(data, offset + value.start())
        {
            return false;
        }
        // OpenSSL's EVP test files (vendored with every copy of OpenSSL): `PrivateKey = RSA-2048`
        // names the PEM block on the next line, and `SharedSecret=<hex>` under `Derive=` and
        // `PeerKey=` is the expected output of a key-agreement test.
        if rule.generic
            && let Some(value) = caps.get(secret_group)
            && (names_next_pem_block(data, offset + value.end())
                || is_key_agreement_test_output(data, offset, value.start(), caps))
        {
            return false;
        }
        // `docsearch({ apiKey: '50fe…', indexName: … })`: Algolia DocSearch's search-only key,
        // which every visitor's browser sends; DocSearch configurations hold no other kind.
        // Algolia's own rule still reports admin keys by name.
        if (rule.generic || rule.fallback)
            && let Some(value) = caps.get(secret_group)
            && value.len() == 32
            && value.as_bytes().iter().all(u8::is_ascii_hexdigit)
        {
            let at = offset + value.start();
            let around = &data[at.saturating_sub(600)..(at + value.len() + 600).min(data.len())];
            if memchr::memmem::find(&around.to_ascii_lowercase(), b"docsearch").is_some() {
                return false;
            }
        }
        // `test "$linkmode,$pass" = "lib,link"`: a shell test comparing an expanded variable,
        // quoted, with a string. (PHP's `$pass = "…"` assigns, and has no quote after the name.)
        if let Some(name) = caps.name("name")
            && let start = offset + name.start()
            && start > 0
            && data[start - 1] == b'$'
            && data.get(offset + name.end()) == Some(&b'"')
            && [&b" = "[..], b" != ", b" == "]
                .iter()
                .any(|op| data[offset + name.end() + 1..].starts_with(op))
        {
            return false;
        }
        // `access_token=user2_tok` (a keyword argument): a numbered test variable assigned
        // with `=`, unquoted, to a lower-case name. After a `:` it is a YAML value
        // (`password: consumer1_pwd`), and after an environment variable's capitals a value
        // too (`JWT_KEY=mirotalkp2p_jwt_secret`).
        if let Some(value) = caps.get(secret_group)
            && filters::is_numbered_variable(value.as_bytes())
            && caps
                .name("name")
                .is_some_and(|n| !n.as_bytes().iter().any(u8::is_ascii_uppercase))
            && data[..offset + value.start()]
                .iter()
                .rev()
                .find(|b| !matches!(b, b' ' | b'\t'))
                == Some(&b'=')
        {
            return false;
        }
        // Credentials for a host reserved for documentation (RFC 2606: example.com, .org,
        // .net) open nothing.
        if let Some(host) = caps.name("host")
            && (filters::is_documentation_host(host.as_bytes())
                || filters::is_netrc_keyword(host.as_bytes()))
        {
            return false;
        }
        // `http://proxy:3128@gateway/`: a port written where a URL's password goes, as a
        // proxy's address reads when it is put before the host it forwards to. (A database
        // URL's `postgres:1234@` is a password.)
        if caps.name("host").is_some()
            && caps
                .get(0)
                .and_then(|m| m.as_bytes().get(..4))
                .is_some_and(|s| s.eq_ignore_ascii_case(b"http"))
            && let Some(value) = caps.get(secret_group)
            && (1..=5).contains(&value.len())
            && value.as_bytes().iter().all(u8::is_ascii_digit)
        {
            return false;
        }
        // `${REDIS_PASSWORD:-redispassword}`, `process.env.DB_PASS || 'dbpass'`: a default that
        // repeats the variable's name.
        if let Some(name) = caps.name("shname").or_else(|| caps.name("jsname"))
            && let Some(value) = caps.get(secret_group)
            && filters::repeats_name(name.as_bytes(), value.as_bytes())
        {
            return false;
        }
        if let Some(name) = caps.name("name") {
            let end = offset + name.end();
            let mut start = offset + name.start();
            while start > 0
                && (data[start - 1].is_ascii_alphanumeric() || b"_-.".contains(&data[start - 1]))
            {
                start -= 1;
            }
            // `"/docs/concepts/credentials": "..."`: a segment of a path or URL used as a key,
            // not an identifier (a `//` comment before a name is not a path).
            let path_segment =
                start > 0 && data[start - 1] == b'/' && (start < 2 || data[start - 2] != b'/');
            // `'Test2::Event::Pass' => '1.302103'` (Perl's Module::CoreList): the last part of a
            // module path written as a string, mapped to its version. Not a class constant
            // (`MfaOrgSettings::DUO_CLIENT_SECRET => '…'`) nor a static member
            // (`Config::password = "…"`), which hold the value.
            let module_path = start >= 2
                && &data[start - 2..start] == b"::"
                && data[start..end].iter().any(u8::is_ascii_lowercase)
                && matches!(data.get(end), Some(b'\'' | b'"'));
            if filters::is_non_secret_name(&data[start..end]) || path_segment || module_path {
                return false;
            }
            // `cond ? 'password' : 'identification'`: the two branches of a ternary, not a key
            // and its value.
            // (A `?` right before the name opens a URL's query string instead.)
            let gap = data[..start]
                .iter()
                .rev()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\'' | b'"'))
                .count();
            if gap > 0 && start > gap && data[start - gap - 1] == b'?' {
                return false;
            }
            // `# Example password: xudmec-4ambyj-…`: a value introduced in prose as an example
            // or a sample (a generator's sample output), not one that is set.
            let blanks = data[..start]
                .iter()
                .rev()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count();
            if blanks > 0
                && let before = &data[..start - blanks]
                && [&b"example"[..], b"sample"].iter().any(|w| {
                    before.len() >= w.len()
                        && before[before.len() - w.len()..].eq_ignore_ascii_case(w)
                        && before
                            .len()
                            .checked_sub(w.len() + 1)
                            .is_none_or(|i| !before[i].is_ascii_alphanumeric())
                })
            {
                return false;
            }
            // `Passphrase="passphrase"`, `api_key: apikey`: the value repeats its own name.
            if let Some(value) = caps.get(secret_group)
                && filters::repeats_name(&data[start..end], value.as_bytes())
            {
                return false;
            }
            // `resetPasswordToken: 'developer'`: a token (here a reset link's), not the
            // password its name mentions, filled with a word as mock user records fill them.
            if rule.password
                && let Some(value) = caps.get(secret_group)
                && data[start..end].to_ascii_lowercase().ends_with(b"token")
                && (3..=16).contains(&value.len())
                && value.as_bytes().iter().all(u8::is_ascii_lowercase)
            {
                return false;
            }
            // `apiKey` next to `appId` and `indexName`: an Algolia DocSearch or InstantSearch
            // configuration, whose key is search-only and meant for the browser.
            let around = &data[start.saturating_sub(300)..(end + 300).min(data.len())];
            if filters::is_search_only_key_config(&data[start..end], around)
                || filters::is_protocol_nonce(&data[start..end], around)
                || filters::is_commerce_object_token(&data[start..end], around)
                || filters::is_analytics_beacon_token(&data[start..end], around)
                || caps
                    .get(secret_group)
                    .is_some_and(|v| filters::is_pgp_fingerprint(v.as_bytes(), around))
            {
                return false;
            }
            // NGINX Unit's `"pass": "routes/main"`: a listener or route step forwards requests to
            // a route, application or upstream named by the value; no password.
            if caps
                .get(secret_group)
                .is_some_and(|v| filters::is_unit_pass_target(&data[start..end], v.as_bytes()))
            {
                return false;
            }
            // Cloud Build's `secrets: - kmsKeyName: … secretEnv: NAME: <ciphertext>`: the value
            // is encrypted with the named KMS key, committed by design.
            let before = &data[start.saturating_sub(400)..start];
            if memchr::memmem::rfind(before, b"secretEnv:").is_some()
                && memchr::memmem::rfind(before, b"kmsKeyName").is_some()
            {
                return false;
            }
            // A Bitnami SealedSecret's `encryptedData:`: ciphertext only the cluster's
            // controller can open, made to be committed.
            let manifest = &data[start.saturating_sub(2048)..start];
            if memchr::memmem::rfind(manifest, b"encryptedData:").is_some()
                && memchr::memmem::rfind(manifest, b"kind: SealedSecret").is_some()
            {
                return false;
            }
            // `?token=` in a URL: not a secret in a badge URL (Codecov's graph token is made
            // to be published in READMEs and only reads coverage images), nor for a host
            // reserved for documentation. The URL may come without its scheme, as adblock
            // filter lists write them (`||onedrive.live.com/download?…&authkey=…`).
            if start > 0 && matches!(data[start - 1], b'?' | b'&') {
                // The URL is within 2 KiB before its parameter: a long line's parameters do
                // not each read it back to its start.
                let back = start.saturating_sub(2048);
                let line_start =
                    memchr::memrchr(b'\n', &data[back..start]).map_or(back, |i| back + i + 1);
                let before = &data[line_start..start];
                let url_start = memchr::memmem::rfind(before, b"://")
                    .map(|scheme| scheme + 3)
                    .or_else(|| {
                        before
                            .iter()
                            .rposition(|b| b.is_ascii_whitespace() || b"\"'`(|<>".contains(b))
                            .map(|i| i + 1)
                    })
                    .or((!before.is_empty()).then_some(0));
                if let Some(url_start) = url_start {
                    let url = &before[url_start..];
                    let authority = url
                        .split(|&b| matches!(b, b'/' | b'?' | b'#'))
                        .next()
                        .unwrap_or_default();
                    let host = authority.rsplit(|&b| b == b'@').next().unwrap_or_default();
                    let host = host.split(|&b| b == b':').next().unwrap_or_default();
                    if filters::is_public_badge_url(url) || filters::is_documentation_host(host) {
                        return false;
                    }
                }
            }
        }
        true
    }

    fn passes_checks(&self, rule: &Rule, secret: &[u8]) -> bool {
        if rule.known_value {
            return true;
        }
        if rule.generic
            && (!filters::is_generic_literal(secret)
                || filters::is_vendor_prefixed_identifier(secret))
        {
            return false;
        }
        if rule.password && !filters::is_password_value(secret, rule.literal) {
            return false;
        }
        if let Some(min) = rule.min_entropy
            && filters::secret_entropy(secret) < min
        {
            return false;
        }
        if let Some(kind) = rule.checksum
            && !checksum::verify(kind, secret)
        {
            return false;
        }
        // A binary key store holds aliases and certificate names (`CN=example.com`,
        // `spring-samples`) that read like placeholder words; they say nothing of its keys.
        if secret.contains(&0) {
            return true;
        }
        if !rule.stopwords.is_empty() {
            let lower = secret.to_ascii_lowercase();
            if rule
                .stopwords
                .iter()
                .any(|w| memchr::memmem::find(&lower, w).is_some())
            {
                return false;
            }
        }
        // Decoding allocates: it runs once the cheap checks have passed.
        if (rule.generic || rule.password) && filters::encodes_non_secret(secret, rule.password) {
            return false;
        }
        if filters::encodes_placeholder_pair(secret) {
            return false;
        }
        if (rule.generic || rule.password) && filters::encodes_password_hashes(secret) {
            return false;
        }
        // Context words (`pass` in a password rule) are not a prefix of the value: stripping
        // them would judge `pass123` by `123` alone.
        if rule.password {
            !filters::is_placeholder_password(secret)
        } else if rule.generic {
            !filters::is_placeholder(secret, &[])
        } else {
            !filters::is_placeholder(secret, &rule.keywords)
                && !filters::is_code_name_token(secret, &rule.keywords)
        }
    }
}

impl Prefilter {
    fn build(keywords: Vec<(String, Target)>) -> Result<Option<Prefilter>, Error> {
        if keywords.is_empty() {
            return Ok(None);
        }
        let mut by_keyword: std::collections::HashMap<String, Vec<Target>> =
            std::collections::HashMap::new();
        for (kw, target) in keywords {
            by_keyword.entry(kw).or_default().push(target);
        }
        let mut patterns: Vec<(String, Vec<Target>)> = by_keyword.into_iter().collect();
        // Sorted, so the automaton's pattern ids do not depend on the hash map's order.
        patterns.sort_by(|a, b| a.0.cmp(&b.0));
        let automaton = keywords::Keywords::new(&patterns.iter().map(|p| &p.0).collect::<Vec<_>>())
            .map_err(Error::TooManyKeywords)?;
        Ok(Some(Prefilter {
            automaton,
            targets: patterns.into_iter().map(|p| p.1).collect(),
        }))
    }
}

/// True when every match of `rule` begins with a literal containing one of its keywords
/// verbatim, so a case-sensitive keyword check cannot miss a match. Decided from the regex's
/// literal prefixes when the rule is loaded (see [`crate::rules::analysis`]); anything the
/// extractor cannot bound (case-insensitive groups, leading classes) is not anchored, and its
/// keywords match in any case.
pub fn anchored_case_sensitively(rule: &Rule) -> bool {
    rule.anchored
}

/// `[{"name": "Valid JWT …", "secret": "…", "token": "…", "valid": true}, …]`: one case of a
/// table of test vectors, a JSON array of objects each named and carrying the verdict the code
/// under test must reach (a webhook signature validator's cases, a token parser's). The values
/// are the published inputs of a test, made up for it. A `successful: true` verdict needs no
/// name: BOLT 3's shachain storage vectors (`{index: …, secret: "…", successful: true}`), as
/// every Lightning implementation's tests carry them in Go, Python or JSON.
fn is_test_case_object(data: &[u8], at: usize) -> bool {
    const REACH: usize = 1024;
    let back = &data[at.saturating_sub(REACH)..at];
    let Some(open) = back.iter().rposition(|&b| b == b'{') else {
        return false;
    };
    if back[open..].contains(&b'}') {
        return false;
    }
    // The object is an element of an array: `[` or `,` before its brace (`{` in a Go slice
    // literal, `[]testCase{{…}, …}`).
    if !matches!(
        back[..open].trim_ascii_end().last(),
        Some(b'[' | b',' | b'{')
    ) {
        return false;
    }
    let ahead = &data[at..(at + REACH).min(data.len())];
    let Some(close) = ahead.iter().position(|&b| b == b'}') else {
        return false;
    };
    if ahead[..close].contains(&b'{') {
        return false;
    }
    let object = [&back[open..], &ahead[..close]].concat();
    let has = |w: &[u8]| memchr::memmem::find(&object, w).is_some();
    let verdict = [
        &b"\"valid\": true"[..],
        b"\"valid\": false",
        b"\"valid\":true",
        b"\"valid\":false",
    ]
    .iter()
    .any(|w| has(w));
    // `"expect-fail": false`: the PASETO specification's test vectors (and libraries that
    // carry them), each named and encrypted or signed with the specification's own keys.
    let verdict = verdict || has_boolean_field(&object, b"\"expect-fail\"");
    (verdict && (has(b"\"name\":") || has(b"\"description\":")))
        || has_boolean_field(&object, b"successful")
}

/// Whether `object` sets the field `name` to a boolean, in JSON, Python or Go
/// (`"successful": true`, `"successful": True`, `successful: false`).
fn has_boolean_field(object: &[u8], name: &[u8]) -> bool {
    memchr::memmem::find_iter(object, name).any(|i| {
        if object[..i]
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            return false;
        }
        let rest = &object[i + name.len()..];
        let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
        let Some(value) = rest.trim_ascii_start().strip_prefix(b":") else {
            return false;
        };
        let value = value.trim_ascii_start();
        [&b"true"[..], b"false", b"True", b"False"].iter().any(|v| {
            value.starts_with(v)
                && value
                    .get(v.len())
                    .is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'_')
        })
    })
}

/// `example: 'eyJ…'`, `"example": "Bearer eyJ…"`, or `example:` ending the line above the
/// value: what an API schema (OpenAPI, open_api_spex, JSON Schema) shows a caller, written
/// into the code or a document that is not named as a specification. Only the lower-case key
/// of those formats: `Example: curl -u admin:admin …` in prose shows a real default.
fn is_schema_example(data: &[u8], at: usize) -> bool {
    let mut before = &data[..at];
    let strip_quote =
        |b: &[u8]| -> usize { usize::from(matches!(b.last(), Some(b'"' | b'\'' | b'`'))) };
    before = &before[..before.len() - strip_quote(before)];
    if before.len() >= 7 && before[before.len() - 7..].eq_ignore_ascii_case(b"bearer ") {
        before = &before[..before.len() - 7];
        before = &before[..before.len() - strip_quote(before)];
    }
    before = before.trim_ascii_end();
    // `/** @example eyJ… */`: JSDoc's example tag, as types generated from an OpenAPI schema
    // carry the schema's examples.
    if before.ends_with(b"@example") {
        return true;
    }
    let before = before
        .strip_suffix(b":")
        .or_else(|| before.strip_suffix(b"="));
    let Some(before) = before.map(<[u8]>::trim_ascii_end) else {
        return false;
    };
    let before = before
        .strip_suffix(b"\"")
        .or_else(|| before.strip_suffix(b"'"))
        .unwrap_or(before);
    let Some(rest) = before
        .strip_suffix(b"x-example")
        .or_else(|| before.strip_suffix(b"example"))
    else {
        return false;
    };
    !rest
        .last()
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
}

/// Whether the line before or after the one starting at `line_start` is a test result
/// (`FAIL: name`, `UNSUPPORTED: name`) or DejaGnu's `Running <file>.exp ...`, as DejaGnu's and
/// Automake's summaries list them.
fn is_next_to_test_result(data: &[u8], line_start: usize) -> bool {
    const RESULTS: [&[u8]; 12] = [
        b"Running ",
        b"PASS: ",
        b"FAIL: ",
        b"XFAIL: ",
        b"XPASS: ",
        b"KFAIL: ",
        b"KPASS: ",
        b"UNRESOLVED: ",
        b"UNSUPPORTED: ",
        b"UNTESTED: ",
        b"ERROR: ",
        b"SKIP: ",
    ];
    let is_result = |line: &[u8]| RESULTS.iter().any(|r| line.starts_with(r));
    let previous = data[..line_start.saturating_sub(1)]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let before = line_start > 0 && is_result(&data[previous..line_start - 1]);
    let next = memchr::memchr(b'\n', &data[line_start..]).map(|i| line_start + i + 1);
    before || next.is_some_and(|n| is_result(&data[n..]))
}

/// True when the value starting at `at` follows no quote: written bare, as code names a variable
/// and a config file writes a value.
fn unquoted_at(data: &[u8], at: usize) -> bool {
    at.checked_sub(1)
        .and_then(|i| data.get(i))
        .is_some_and(|b| !matches!(b, b'"' | b'\'' | b'`'))
}

/// The name a quoted value at `at` is assigned to, in `"name" => "`, `"name": "`,
/// `name = '` and the like (within 64 bytes before it); empty when there is none.
fn assigned_name(data: &[u8], at: usize) -> &[u8] {
    let before = &data[at.saturating_sub(64)..at];
    let Some(before) = before
        .strip_suffix(b"\"")
        .or_else(|| before.strip_suffix(b"'"))
    else {
        return b"";
    };
    let before = before.trim_ascii_end();
    let Some(before) = before
        .strip_suffix(b"=>")
        .or_else(|| before.strip_suffix(b":"))
        .or_else(|| before.strip_suffix(b"="))
    else {
        return b"";
    };
    let before = before.trim_ascii_end();
    let before = before
        .strip_suffix(b"\"")
        .or_else(|| before.strip_suffix(b"'"))
        .unwrap_or(before);
    let name = before
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        .count();
    &before[before.len() - name..]
}

/// The line around `at` is an HTML hidden form field or a phpMyAdmin URL, whose `token` is the
/// form's anti-CSRF token.
fn is_form_csrf_token(data: &[u8], at: usize) -> bool {
    let back = at.saturating_sub(512);
    let start = memchr::memrchr(b'\n', &data[back..at]).map_or(back, |i| back + i + 1);
    let fwd = (at + 512).min(data.len());
    let end = memchr::memchr(b'\n', &data[at..fwd]).map_or(fwd, |i| at + i);
    let line = data[start..end].to_ascii_lowercase();
    let has = |w: &[u8]| memchr::memmem::find(&line, w).is_some();
    has(b"type=\"hidden\"") || has(b"type='hidden'") || has(b"phpmyadmin")
}

/// The bytes `start..end` are a whole line of 64 base64 characters, between lines of a PEM
/// block: a `-----BEGIN` line or a full base64 line before it, and base64 or the `-----END`
/// line after it. Only a few bytes around the match are read, however long its line.
fn is_pem_body_line(data: &[u8], start: usize, end: usize) -> bool {
    const WIDTH: usize = 64;
    // A PEM line, its indentation and `\r` fit in this; a longer line is no PEM body.
    const REACH: usize = 2 * WIDTH;
    let base64 = |line: &[u8]| {
        line.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    };
    // The line holding `at..`, read back and forward at most REACH bytes: `None` when no line
    // break bounds it within that reach (or the data's ends).
    let line_at = |at: usize| -> Option<(usize, usize)> {
        let back = at.saturating_sub(REACH);
        let line_start = match memchr::memrchr(b'\n', &data[back..at]) {
            Some(i) => back + i + 1,
            None if back == 0 => 0,
            None => return None,
        };
        let fwd = (at + REACH).min(data.len());
        let line_end = match memchr::memchr(b'\n', &data[at..fwd]) {
            Some(i) => at + i,
            None if fwd == data.len() => fwd,
            None => return None,
        };
        Some((line_start, line_end))
    };
    if end - start != WIDTH {
        return false;
    }
    let Some((line_start, line_end)) = line_at(start) else {
        return false;
    };
    if line_start == 0 || data[line_start..line_end].trim_ascii() != &data[start..end] {
        return false;
    }
    let Some((prev_start, _)) = line_at(line_start - 1) else {
        return false;
    };
    let prev = data[prev_start..line_start - 1].trim_ascii();
    let next = if line_end < data.len() {
        let Some((next_start, next_end)) = line_at(line_end + 1) else {
            return false;
        };
        data[next_start..next_end].trim_ascii()
    } else {
        &[][..]
    };
    ((prev.len() == WIDTH && base64(prev)) || prev.starts_with(b"-----BEGIN "))
        && (!next.is_empty() && next.len() <= WIDTH && base64(next)
            || next.starts_with(b"-----END "))
}

/// The line after the one `end` is on opens a PEM block (`-----BEGIN …`): a value there is
/// the block's label (`PrivateKey = RSA-2048` in OpenSSL's test files), and the block is
/// judged by the private-key rules.
fn names_next_pem_block(data: &[u8], end: usize) -> bool {
    let rest = &data[end.min(data.len())..];
    let rest = &rest[..rest.len().min(256)];
    let Some(nl) = memchr::memchr(b'\n', rest) else {
        return false;
    };
    // Only a value that ends its line: nothing but spaces, a quote or a `;` after it.
    rest[..nl]
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'"' | b'\'' | b';' | b','))
        && rest[nl + 1..]
            .trim_ascii_start()
            .starts_with(b"-----BEGIN ")
}

/// `SharedSecret=<hex>` in a stanza of OpenSSL's EVP test format, which opens with
/// `Derive=<key>` and names the `PeerKey=` just above: a test's expected output.
fn is_key_agreement_test_output(
    data: &[u8],
    offset: usize,
    value_start: usize,
    caps: &regex::bytes::Captures<'_>,
) -> bool {
    let at = offset + value_start;
    // The rule's `name` group may start inside the identifier (`Shared` + `Secret`).
    let Some(name) = caps.name("name") else {
        return false;
    };
    let (start, end) = (offset + name.start(), offset + name.end());
    let prefix = data[..start]
        .iter()
        .rev()
        .take(32)
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    if !data[start - prefix..end].eq_ignore_ascii_case(b"SharedSecret") {
        return false;
    }
    let before = &data[at.saturating_sub(400)..at];
    [&b"\nDerive"[..], b"\nPeerKey"]
        .iter()
        .any(|k| memchr::memmem::find(before, k).is_some())
}

/// `useradd -p $(openssl passwd -6 <password>)`: the text before `at` on its line opens a shell
/// command substitution that is still open, so a `)` after the value closes the command, not a
/// parameter list.
fn in_command_substitution(data: &[u8], at: usize) -> bool {
    let line = &data[at.saturating_sub(200)..at];
    let line = &line[memchr::memrchr(b'\n', line).map_or(0, |i| i + 1)..];
    memchr::memmem::rfind(line, b"$(").is_some_and(|i| memchr::memchr(b')', &line[i..]).is_none())
}

/// Text blobs up to this size are tried against whole-file rules (see `RuleDef::path`);
/// binary ones (key stores) up to [`crate::rules::WHOLE_BLOB_MAX`].
const WHOLE_TEXT_MAX: usize = 4096;

/// `password=bloggs&quot;`: in HTML-escaped text (a page, a wiki tiddler, an XML attribute) the
/// entity of a closing quote ends the value; the `;` after it stopped the match, so the entity's
/// name is left on the end. `rest` is the text after the value.
fn without_escaped_quote<'a>(secret: &'a [u8], rest: &[u8]) -> &'a [u8] {
    // `"password: secret\n\` in a Rust or C string that spells a YAML file: the line's
    // escaped newline and continuation end the value, they are not part of it.
    if let Some(value) = secret
        .strip_suffix(b"\\n\\")
        .or_else(|| secret.strip_suffix(b"\\n"))
        .filter(|v| !v.is_empty() && !v.ends_with(b"\\"))
    {
        return value;
    }
    if !rest.starts_with(b";") {
        return secret;
    }
    [
        &b"&quot"[..],
        b"&apos",
        b"&#34",
        b"&#39",
        b"&#x27",
        b"&#x22",
    ]
    .iter()
    .find_map(|e| secret.strip_suffix(*e))
    .unwrap_or(secret)
}

/// The bytes of the line holding `span` and of up to `before` lines before it, at most `reach`
/// of them on either side of the span: a check that reads the lines around a value costs the
/// same on a 100 MB minified line.
fn near_lines(data: &[u8], span: Range<usize>, reach: usize, before: usize) -> &[u8] {
    let back = span.start.saturating_sub(reach);
    // Walk back over `before + 1` line breaks: the one ending the line before the value's,
    // then one more for each line wanted; short of them, start at the reach.
    let mut start = span.start;
    for _ in 0..=before {
        match memchr::memrchr(b'\n', &data[back..start]) {
            Some(i) => start = back + i,
            None => {
                start = back;
                break;
            }
        }
    }
    let start = if data.get(start) == Some(&b'\n') && start < span.start {
        start + 1
    } else {
        start
    };
    let fwd = (span.end + reach).min(data.len());
    let end = memchr::memchr(b'\n', &data[span.end..fwd]).map_or(fwd, |i| span.end + i);
    &data[start..end]
}

/// `# This is a MD5 password digest hex encoded` above `admin_password = e97a…`: a value of a
/// digest's length in hex, which its name or a comment line above calls a digest (MD5, SHA).
/// Such a file stores what a password hashes to; the password is not in it.
fn is_described_digest(data: &[u8], span: Range<usize>) -> bool {
    let value = &data[span.clone()];
    if !matches!(value.len(), 32 | 40 | 64 | 128) || !value.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    // Not `hash`: Devise's `# Set up a pepper to generate the hashed password.` stands above
    // a secret pepper.
    let says_digest = |text: &[u8]| {
        let lower = text.to_ascii_lowercase();
        [
            &b"digest"[..],
            b"md5",
            b"sha1",
            b"sha-1",
            b"sha256",
            b"sha-256",
        ]
        .iter()
        .any(|w| memchr::memmem::find(&lower, w).is_some())
    };
    // Its name may say it: `admin_password_md5 = …`.
    if says_digest(assigned_name(data, span.start)) {
        return true;
    }
    // The line above, when it is a comment about the value. Both looks back are bounded: on a
    // 100 MB minified line every candidate would otherwise walk back to the line's start.
    let reach = span.start.saturating_sub(256);
    let Some(newline) = memchr::memrchr(b'\n', &data[reach..span.start]) else {
        return false;
    };
    let line_start = reach + newline + 1;
    let back = (line_start - 1).saturating_sub(200);
    let prev_start =
        memchr::memrchr(b'\n', &data[back..line_start - 1]).map_or(back, |i| back + i + 1);
    let prev = data[prev_start..line_start].trim_ascii();
    [&b"#"[..], b"//", b"--", b";", b"/*", b"*"]
        .iter()
        .any(|c| prev.starts_with(c))
        && says_digest(prev)
}

/// Whether a string literal that just ended goes on in a concatenation: `"…" .. x` (Lua),
/// `"…" + x`, `'…' . $x` (PHP), `"…" & x` (Visual Basic).
fn continues_in_concatenation(rest: &[u8]) -> bool {
    let rest = &rest[rest
        .iter()
        .take(8)
        .take_while(|b| matches!(b, b'"' | b'\'' | b'`' | b' ' | b'\t'))
        .count()..];
    matches!(rest.first(), Some(b'+' | b'.' | b'&'))
}

/// The region around `hit` a rule's regex runs on.
fn window(data: &[u8], hit: &Range<usize>, multiline: Option<usize>) -> Window {
    let back_limit = hit.start.saturating_sub(LINE_BACK);
    let (start, cut_start) = match memchr::memrchr(b'\n', &data[back_limit..hit.start]) {
        Some(i) => (back_limit + i + 1, false),
        None => (back_limit, back_limit > 0),
    };
    let from = match multiline {
        Some(n) => (hit.end + n).min(data.len()),
        None => hit.end,
    };
    let limit = if multiline.is_some() {
        WINDOW_SLACK
    } else {
        LINE_FORWARD
    };
    let fwd_limit = (from + limit).min(data.len());
    let (end, cut_end) = match memchr::memchr(b'\n', &data[from..fwd_limit]) {
        Some(i) => (from + i, false),
        None => (fwd_limit, fwd_limit < data.len()),
    };
    Window {
        range: start..end,
        cut_start,
        cut_end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    fn engine(rule: &str) -> Engine {
        let text = format!(
            "[provider]\nname = \"T\"\nrotation = \"r\"\n[[rules]]\nid = \"t\"\nname = \"t\"\nseverity = \"high\"\nexamples = [\"x\"]\n{rule}"
        );
        engine_from(&text)
    }

    /// An engine from a whole rule file (several rules).
    fn engine_from(text: &str) -> Engine {
        let mut set = RuleSet::default();
        set.add_file("t.toml", text).expect("test rules are valid");
        Engine::new(&set).expect("engine builds")
    }

    #[test]
    fn assigned_names() {
        for (text, name) in [
            (r#"{"handle" => "v"#, "handle"),
            (r#"{"handle": "v"#, "handle"),
            ("handle = 'v", "handle"),
            (r#"token:"v"#, "token"),
            (r#"Bearer "v"#, ""),
            ("handle = v", ""),
        ] {
            assert_eq!(
                assigned_name(text.as_bytes(), text.len() - 1),
                name.as_bytes(),
                "{text}"
            );
        }
    }

    fn secrets(engine: &Engine, data: &str) -> Vec<String> {
        let mut out = Vec::new();
        engine.scan(data.as_bytes(), &mut Scratch::default(), &mut out);
        out.iter()
            .map(|m| data[m.secret.clone()].to_string())
            .collect()
    }

    #[test]
    fn a_digest_said_to_be_one_is_no_password() {
        let engine = engine(
            "keywords = [\"password\"]\nregex = '''password\\s*=\\s*(\\w+)'''\npassword = true\nliteral = true",
        );
        let hex = "4f1c9a0be27d5836a1c04e9b7d2f6a18";
        for said in [
            format!("# This is a MD5 password digest hex encoded\nadmin_password = {hex}\n"),
            format!("admin_password_md5 = {hex}\n"),
        ] {
            assert!(secrets(&engine, &said).is_empty(), "{said}");
        }
        // Not said: a hex password; a digest named on another line that is not a comment.
        for unsaid in [
            format!("admin_password = {hex}\n"),
            format!("checksum_sha256 = abc\nadmin_password = {hex}\n"),
            format!("# Set up a pepper to generate the hashed password.\npassword = {hex}\n"),
        ] {
            assert_eq!(secrets(&engine, &unsaid), [hex], "{unsaid}");
        }
    }

    #[test]
    fn a_drupal_placeholder_token_is_no_secret() {
        let engine = engine(
            "generic = true\nkeywords = [\"token\"]\nregex = '''(?P<name>token)=\"([A-Za-z0-9_-]{20,})\"'''\nsecret_group = 2",
        );
        let token = "Zq8vLm2xKt4wRp7nYc3bHd9sFg6jUa1eQo5iTz0u";
        assert!(
            secrets(
                &engine,
                &format!("<drupal-render-placeholder callback=\"x\" token=\"{token}\">\n")
            )
            .is_empty()
        );
        assert_eq!(
            secrets(&engine, &format!("<meta token=\"{token}\">\n")),
            [token]
        );
    }

    #[test]
    fn a_command_substitution_is_no_password() {
        let engine = engine(
            "keywords = [\"pwd\"]\nregex = '''PWD=`?(\\w+)'''\npassword = true\nliteral = true",
        );
        assert!(secrets(&engine, "export DBPWD=`generatepwd`\n").is_empty());
        assert_eq!(
            secrets(&engine, "export DBPWD=Kq8vLm2xZt\n"),
            ["Kq8vLm2xZt"]
        );
        // A template literal's key, in minified JavaScript.
        assert_eq!(
            secrets(&engine, "x;API_PWD=`9c4e1a7f3b28d6e05a1c`;y\n"),
            ["9c4e1a7f3b28d6e05a1c"]
        );
    }

    #[test]
    fn the_digest_comment_is_looked_for_near_the_value_only() {
        let engine = engine(
            "keywords = [\"password\"]\nregex = '''password\\s*=\\s*(\\w+)'''\npassword = true\nliteral = true",
        );
        let hex = "4f1c9a0be27d5836a1c04e9b7d2f6a18";
        // A value deep in a long (minified) line: the comment above it is not read, so a
        // megabyte line with many candidates costs no walk back to its start for each.
        let far = format!("# MD5 digest\n{}admin_password = {hex}\n", "x".repeat(300));
        assert_eq!(secrets(&engine, &far), [hex]);
    }

    #[test]
    fn the_line_near_a_value_is_bounded() {
        let data = b"a = 1\nuser = \"anonymous\", password = \"guest\"\nb = 2\n";
        let at = data.windows(5).position(|w| w == b"guest").unwrap();
        assert_eq!(
            near_lines(data, at..at + 5, 256, 0),
            &b"user = \"anonymous\", password = \"guest\""[..]
        );
        // With the line before it, as far as the reach allows.
        let two = b"a = 1\nuser = \"anonymous\"\npassword = \"busybox@\"\nb = 2\n";
        let at = two.windows(8).position(|w| w == b"busybox@").unwrap();
        assert_eq!(
            near_lines(two, at..at + 8, 256, 1),
            &b"user = \"anonymous\"\npassword = \"busybox@\""[..]
        );
        assert_eq!(
            near_lines(two, at..at + 8, 256, 5),
            &b"a = 1\nuser = \"anonymous\"\npassword = \"busybox@\""[..]
        );
        assert_eq!(near_lines(two, at..at + 8, 4, 1), &b" = \"busybox@\""[..]);
        // A long line is cut at the reach on either side.
        let long = [vec![b'x'; 1000], b"guest".to_vec(), vec![b'y'; 1000]].concat();
        assert_eq!(
            near_lines(&long, 1000..1005, 8, 0),
            &b"xxxxxxxxguestyyyyyyyy"[..]
        );
    }

    #[test]
    fn shachain_vectors_are_test_cases() {
        let e = engine("keywords = [\"secret\"]\nregex = '''secret\"?: \"([0-9a-f]{36})\"'''");
        let go = "var tests = []testInsert{\n\t{\n\t\tindex: 281474976710655,\n\t\tsecret: \"7f3a9c1e5b2d8f4a6c0e9b3d7a1f5c8e2b6d\" +\n\t\t\t\"e6e8db3be6854c475621e007a5dc\",\n\t\tsuccessful: true,\n\t},\n}\n";
        assert!(secrets(&e, go).is_empty());
        let py = "\"inserts\": [\n  {\"index\": 281474976710654,\n   \"secret\": \"7f3a9c1e5b2d8f4a6c0e9b3d7a1f5c8e2b6d\" +\\\n     \"a8b4b5bec0c4b872abeba4cb8964\",\n   \"successful\": False}]\n";
        assert!(secrets(&e, py).is_empty());
        // Without the verdict, or with a field that only ends in the word, it is reported.
        let plain = "[{\"index\": 1, \"secret\": \"7f3a9c1e5b2d8f4a6c0e9b3d7a1f5c8e2b6d\"}]\n";
        assert_eq!(secrets(&e, plain), ["7f3a9c1e5b2d8f4a6c0e9b3d7a1f5c8e2b6d"]);
        let other =
            "[{\"secret\": \"7f3a9c1e5b2d8f4a6c0e9b3d7a1f5c8e2b6d\", \"unsuccessful\": true}]\n";
        assert_eq!(secrets(&e, other), ["7f3a9c1e5b2d8f4a6c0e9b3d7a1f5c8e2b6d"]);
    }

    #[test]
    fn test_case_objects_hold_test_vectors() {
        let e = engine("keywords = [\"secret\"]\nregex = '''\"secret\": \"([0-9a-f]{32})\"'''");
        let case = |verdict: &str| {
            format!(
                "[\n  {{\n    \"name\": \"valid signature\",\n    \"secret\": \"5f0c2b9d1e7a4c3b8f6d2e1a9c7b5d3f\",\n    {verdict}\n  }}\n]\n"
            )
        };
        assert!(secrets(&e, &case("\"valid\": true")).is_empty());
        assert!(secrets(&e, &case("\"valid\":false")).is_empty());
        assert!(secrets(&e, &case("\"expect-fail\": false")).is_empty());
        // No verdict: an ordinary list of credentials.
        assert_eq!(
            secrets(&e, &case("\"region\": \"eu\"")),
            ["5f0c2b9d1e7a4c3b8f6d2e1a9c7b5d3f"]
        );
        // A lone object, not an element of an array.
        let lone = "{\"name\": \"prod\", \"secret\": \"5f0c2b9d1e7a4c3b8f6d2e1a9c7b5d3f\", \"valid\": true}";
        assert_eq!(secrets(&e, lone), ["5f0c2b9d1e7a4c3b8f6d2e1a9c7b5d3f"]);
    }

    #[test]
    fn a_c_member_access_is_not_a_value() {
        let e = engine(
            "generic = true\nkeywords = [\"token\"]\nregex = '''(?i)token[ \\t]*=[ \\t]*([A-Za-z0-9-]{8,})'''",
        );
        assert!(secrets(&e, "  Token = BlkIo2Request->Token;\n").is_empty());
        assert_eq!(secrets(&e, "token = Kt7vQ2mX9zLq-\n"), ["Kt7vQ2mX9zLq-"]);
    }

    #[test]
    fn a_pem_body_line_is_no_token() {
        let e = engine(
            "keywords = [\"EAAA\"]\nregex = '''\\b(EAAA[A-Za-z0-9_-]{60})(?:[^A-Za-z0-9+/=_-]|$)'''",
        );
        let token = "EAAAlQ7vR2mXk9LpW3nZb8TfYc4Hs6Jd1Ke5Mg0Nq2Ru7Sv3Tw9Ux4Vy6Wz8Xa1Y";
        let body = "MIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEAq7BFUpkGp3+LQmlQ";
        let tail = "Yb3cDe4fGh5iJk6lMn7oPq8rSt9uVw0xYz1aBc2dEf3gHi4jKl5mNo6pQr==";
        let block = format!(
            "-----BEGIN PRIVATE KEY-----\n{body}\n{token}\n{tail}\n-----END PRIVATE KEY-----\n"
        );
        assert!(secrets(&e, &block).is_empty());
        // Right after BEGIN, and as the last line before END.
        let first =
            format!("-----BEGIN PRIVATE KEY-----\n{token}\n{body}\n-----END PRIVATE KEY-----\n");
        assert!(secrets(&e, &first).is_empty());
        let last =
            format!("-----BEGIN PRIVATE KEY-----\n{body}\n{token}\n-----END PRIVATE KEY-----\n");
        assert!(secrets(&e, &last).is_empty());
        // The same token on its own line among settings, and alone in a file.
        assert_eq!(
            secrets(&e, &format!("# square\nSQUARE_TOKEN=\n{token}\n")),
            [token]
        );
        assert_eq!(secrets(&e, &format!("{token}\n")), [token]);
    }

    #[test]
    fn pem_body_lines_are_judged_near_the_match() {
        let e = engine(
            "keywords = [\"EAAA\"]\nregex = '''\\b(EAAA[A-Za-z0-9_-]{60})(?:[^A-Za-z0-9+/=_-]|$)'''",
        );
        let token = "EAAAlQ7vR2mXk9LpW3nZb8TfYc4Hs6Jd1Ke5Mg0Nq2Ru7Sv3Tw9Ux4Vy6Wz8Xa1Y";
        let body = "MIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEAq7BFUpkGp3+LQmlQ";
        // Windows line ends inside the block.
        let crlf = format!(
            "-----BEGIN PRIVATE KEY-----\r\n{body}\r\n{token}\r\n-----END PRIVATE KEY-----\r\n"
        );
        assert!(secrets(&e, &crlf).is_empty());
        // A token after a megabyte-long line of base64-like text and before another: no PEM
        // line is that long, and the check reads only the bytes near the match.
        let long = "QUJD".repeat(1 << 18);
        let text = format!("{long}\n{token}\n{long}\n");
        assert_eq!(secrets(&e, &text), [token]);
    }

    #[test]
    fn an_escaped_newline_ends_a_value() {
        let e =
            engine("password = true\nkeywords = [\"password\"]\nregex = '''password: (\\S{4,})'''");
        assert_eq!(
            secrets(&e, "let yaml = \"user: ci\\npassword: Kq8vZ2mXw7\\n\\\n"),
            ["Kq8vZ2mXw7"]
        );
        assert_eq!(secrets(&e, "password: Kq8vZ2mXw7\\n\n"), ["Kq8vZ2mXw7"]);
        assert_eq!(secrets(&e, "password: Kq8v\\Zm\n"), ["Kq8v\\Zm"]);
    }

    #[test]
    fn a_wordpress_embed_marker_is_no_secret() {
        let e = engine(
            "generic = true\nkeywords = [\"secret\"]\nregex = '''(?i)(?P<name>secret)=([A-Za-z0-9]{10,})'''\nsecret_group = 2",
        );
        let embed = "<iframe src=\\\"https://wordpress.org/news/2019/04/post/embed/#?secret=C4d8QxYmh3\\\"></iframe>\n";
        assert!(secrets(&e, embed).is_empty());
        assert_eq!(
            secrets(&e, "curl https://api.keyhound.test/v1/?secret=C4d8QxYmh3\n"),
            ["C4d8QxYmh3"]
        );
    }

    #[test]
    fn a_form_field_hint_is_no_token() {
        let e = engine("keywords = [\"syt_\"]\nregex = '''\\b(syt_[A-Za-z0-9_]{20,})'''");
        let hint = "  <PrefInput rowName=\"Access token\" placeholder=\"syt_bWF1Ym90_Qx7vT2mZ9kLp4RwYc8Nd_1a2b3c\"/>\n";
        assert!(secrets(&e, hint).is_empty());
        let value = "  <PrefInput rowName=\"Access token\" value=\"syt_bWF1Ym90_Qx7vT2mZ9kLp4RwYc8Nd_1a2b3c\"/>\n";
        assert_eq!(
            secrets(&e, value),
            ["syt_bWF1Ym90_Qx7vT2mZ9kLp4RwYc8Nd_1a2b3c"]
        );
    }

    #[test]
    fn form_csrf_tokens_are_not_secrets() {
        let e = engine(
            "generic = true\nkeywords = [\"token\"]\nregex = '''(?i)(?P<name>token)[\"']?[ \\t]*(?:=|value=)[ \\t]*[\"']?([A-Za-z0-9+/]{16,})'''\nsecret_group = 2",
        );
        let log = "GET /phpmyadmin/tbl_structure.php?db=misc&token=b95affb6f3dfa0bc9c089d9600f9a4d8&table=news HTTP/1.1\n";
        assert!(secrets(&e, log).is_empty());
        let form = "<input type=\"hidden\" name=\"token\" value=\"ohfmIJfhfCnfOw0jkRkCMBPx\">\n";
        assert!(secrets(&e, form).is_empty());
        assert_eq!(
            secrets(
                &e,
                "GET /api/v1/items?token=b95affb6f3dfa0bc9c089d9600f9a4d8 HTTP/1.1\n"
            ),
            ["b95affb6f3dfa0bc9c089d9600f9a4d8"]
        );
    }

    #[test]
    fn openssl_evp_test_stanzas_are_not_secrets() {
        let e = engine(
            "generic = true\nkeywords = [\"secret\", \"key\"]\nregex = '''(?i)[a-z]{0,10}(?P<name>secret|privatekey)[ \\t]*=[ \\t]*([A-Za-z0-9-]{5,})'''\nsecret_group = 2",
        );
        let stanza = "Derive=P-256\nPeerKey=P-256-Peer-PUBLIC\nSharedSecret=E3CC07DFBDDE76A1139811DB9FF5FAF9D17E\n";
        assert!(secrets(&e, stanza).is_empty());
        let label = "PrivateKey = RSA-2048\n-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBg\n";
        assert!(secrets(&e, label).is_empty());
        // The same names outside those shapes are still read.
        assert_eq!(
            secrets(&e, "SharedSecret=E3CC07DFBDDE76A1139811DB9FF5FAF9D17E\n"),
            ["E3CC07DFBDDE76A1139811DB9FF5FAF9D17E"]
        );
        assert_eq!(
            secrets(&e, "PrivateKey = Kt7vQ2mX9zLq\nnext line\n"),
            ["Kt7vQ2mX9zLq"]
        );
    }

    #[test]
    fn a_rule_replaces_the_rules_it_overrides_on_the_same_secret() {
        let text = r#"[provider]
name = "T"
rotation = "r"
[[rules]]
id = "broad"
name = "broad"
severity = "high"
keywords = ["sk_"]
regex = '''\b(sk_[A-Za-z0-9]{20})\b'''
examples = ["x"]
[[rules]]
id = "narrow"
name = "narrow"
severity = "high"
keywords = ["acme"]
regex = '''(?i:acme)[^\n]{0,20}?\b(sk_[A-Za-z0-9]{20})\b'''
overrides = ["broad"]
examples = ["x"]
"#;
        let e = engine_from(text);
        let rules_of = |data: &str| {
            let mut out = Vec::new();
            e.scan(data.as_bytes(), &mut Scratch::default(), &mut out);
            out.iter()
                .map(|m| e.rules()[m.rule].id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(rules_of("ACME_KEY=sk_Q8vR2mXk7LpW3nZb9TfY"), ["narrow"]);
        assert_eq!(rules_of("OTHER_KEY=sk_Q8vR2mXk7LpW3nZb9TfY"), ["broad"]);
        // Another secret on the same line is still the broad rule's.
        assert_eq!(
            rules_of("acme=sk_Q8vR2mXk7LpW3nZb9TfY x=sk_Zt4wR9nB2cF7qLm3Xv8K"),
            ["narrow", "broad"]
        );
    }

    #[test]
    fn a_keyword_overlapping_the_end_of_another_is_still_seen() {
        // `admin_secret` ends where `secret_key` begins: a leftmost-first search that resumes
        // after each match would report the first and never see the second.
        let text = r#"[provider]
name = "T"
rotation = "r"
[[rules]]
id = "admin"
name = "admin"
severity = "high"
keywords = ["admin_secret"]
regex = '''(?i)admin_secret\s*=\s*(adm_[A-Za-z0-9]{12})'''
examples = ["x"]
[[rules]]
id = "key"
name = "key"
severity = "high"
keywords = ["secret_key"]
regex = '''(?i)secret_key[ =]+(key_[A-Za-z0-9]{12})'''
examples = ["x"]
"#;
        let e = engine_from(text);
        let mut out = Vec::new();
        let data = b"HASURA_ADMIN_SECRET_KEY = key_Q8vR2mXk7LpW\nadmin_secret=adm_Zt4wR9nB2cF7\n";
        e.scan(data, &mut Scratch::default(), &mut out);
        let ids: Vec<&str> = out.iter().map(|m| e.rules()[m.rule].id.as_str()).collect();
        assert_eq!(ids, ["key", "admin"]);
    }

    #[test]
    fn keywords_are_found_in_every_part_of_a_long_blob() {
        let e = engine("keywords = [\"tok_\"]\nregex = '''\\b(tok_[A-Za-z0-9]{20})\\b'''");
        let line = "key = tok_Q8vR2mXk7LpW3nZb9TfY\n";
        assert_eq!(secrets(&e, line), ["tok_Q8vR2mXk7LpW3nZb9TfY"]);
        // A long blob is walked in parts; tokens next to each border, cut by it or not, and
        // at both ends are each found once.
        let filler = "x = 1\n".repeat(2000);
        let mut big = String::from(line);
        for _ in 0..7 {
            big.push_str(&filler);
            big.push_str(line);
        }
        assert_eq!(secrets(&e, &big).len(), 8);
        let quarter = big.len() / 4;
        for cut in quarter - 40..quarter + 10 {
            let text = format!("{}{line}{}", "y\n".repeat(cut % 7), &big[..cut]);
            let whole = text.matches("tok_Q8vR2mXk7LpW3nZb9TfY").count();
            assert_eq!(secrets(&e, &text).len(), whole, "cut at {cut}");
        }
    }

    #[test]
    fn prefix_anchored_rules_are_case_sensitive() {
        let e = engine("keywords = [\"tok_\"]\nregex = '''\\b(tok_[A-Za-z0-9]{20})\\b'''");
        assert!(anchored_case_sensitively(&e.rules()[0]));
        let e = engine("keywords = [\"password\"]\nregex = '''(?i)password=([a-z]+)'''");
        assert!(!anchored_case_sensitively(&e.rules()[0]));
    }

    #[test]
    fn finds_only_near_keywords() {
        let e = engine("keywords = [\"tok_\"]\nregex = '''\\b(tok_[A-Za-z0-9]{20})\\b'''");
        let data = "a\nkey = tok_Q8vR2mXk7LpW3nZb9TfY\nb tok_short\n";
        assert_eq!(secrets(&e, data), ["tok_Q8vR2mXk7LpW3nZb9TfY"]);
    }

    #[test]
    fn case_insensitive_keywords_hit_any_case() {
        let e = engine(
            "keywords = [\"password\"]\nregex = '''(?i)password\\s*=\\s*([A-Za-z0-9]{8,})'''",
        );
        assert_eq!(secrets(&e, "PASSWORD = Q8vR2mXk7Lp\n"), ["Q8vR2mXk7Lp"]);
    }

    #[test]
    fn keyword_inside_longer_keyword_still_triggers() {
        let text = "[provider]\nname = \"T\"\nrotation = \"r\"\n\
            [[rules]]\nid = \"short\"\nname = \"s\"\nseverity = \"high\"\nexamples = [\"x\"]\nkeywords = [\"sk-\"]\nregex = '''\\b(sk-[A-Za-z0-9-]{20,40})'''\n\
            [[rules]]\nid = \"long\"\nname = \"l\"\nseverity = \"high\"\nexamples = [\"x\"]\nkeywords = [\"sk-proj-\"]\nregex = '''\\b(sk-proj-[A-Za-z0-9]{20})'''\n";
        let mut set = RuleSet::default();
        set.add_file("t.toml", text).expect("valid");
        let e = Engine::new(&set).expect("engine");
        let mut out = Vec::new();
        e.scan(
            b"k = sk-proj-Q8vR2mXk7LpW3nZb9TfY",
            &mut Scratch::default(),
            &mut out,
        );
        let ids: Vec<&str> = out.iter().map(|m| e.rules()[m.rule].id.as_str()).collect();
        assert_eq!(ids, ["short", "long"]);
    }

    #[test]
    fn multiline_window_reaches_across_lines() {
        let e = engine(
            "keywords = [\"-----BEGIN K\"]\nregex = '''(-----BEGIN K-----\\n(?:[A-Za-z0-9+/]{4,64}\\n){1,50}-----END K-----)'''\nwindow = 2048",
        );
        let data = "x\n-----BEGIN K-----\nQ8vR2mXk7LpW3nZb\n9TfYa1B2c3D4e5F6\n-----END K-----\n";
        assert_eq!(secrets(&e, data).len(), 1);
    }

    #[test]
    fn fragments_at_cut_window_edges_are_dropped() {
        // A 5,000-byte token: its middle must not be reported as a 20-char token.
        let e = engine("keywords = [\"tok_\"]\nregex = '''(tok_[A-Za-z0-9]{20})'''");
        let mut body = String::from("tok_");
        for i in 0..5000 {
            body.push(char::from(b'a' + (i * 7 % 26) as u8));
        }
        let data = format!("x = {body}");
        let found = secrets(&e, &data);
        // The only hit starts the token; its window is cut 4 KiB later, mid-line. The regex
        // matches at the hit (not at the cut edge), so exactly one prefix match is reported.
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("tok_"));
    }

    #[test]
    fn overlapping_fallbacks_keep_the_most_specific() {
        let text = "[provider]\nname = \"Generic\"\nrotation = \"r\"\n\
            [[rules]]\nid = \"catch-all\"\nname = \"c\"\nseverity = \"low\"\nexamples = [\"x\"]\ngeneric = true\nkeywords = [\"pw\"]\nregex = '''pw=([A-Za-z0-9!]{8,})'''\n\
            [[rules]]\nid = \"pw-line\"\nname = \"p\"\nseverity = \"low\"\nexamples = [\"x\"]\npassword = true\nkeywords = [\"pw\"]\nregex = '''pw=([A-Za-z0-9!]{8,})'''\n";
        let mut set = RuleSet::default();
        set.add_file("g.toml", text).expect("valid");
        let e = Engine::new(&set).expect("engine");
        let mut out = Vec::new();
        e.scan(
            b"a pw=Q8vR2mXk7!Lp\nb pw=Zt4Nw9Yc2!Hq\n",
            &mut Scratch::default(),
            &mut out,
        );
        let ids: Vec<&str> = out.iter().map(|m| e.rules()[m.rule].id.as_str()).collect();
        assert_eq!(ids, ["pw-line", "pw-line"]);
    }

    #[test]
    fn a_scan_appends_without_touching_earlier_matches() {
        // `scan` appends to `out`: what an earlier blob found stays, whatever the next blob
        // is (an OpenAPI document drops its own generic matches; a specific rule's claim on a
        // range of its own blob says nothing about another blob's range).
        let text = "[provider]\nname = \"Generic\"\nrotation = \"r\"\n\
            [[rules]]\nid = \"catch-all\"\nname = \"c\"\nseverity = \"low\"\nexamples = [\"x\"]\ngeneric = true\nfallback = true\nkeywords = [\"pw\"]\nregex = '''pw=([A-Za-z0-9!]{8,})'''\n\
            [[rules]]\nid = \"acme\"\nname = \"a\"\nseverity = \"high\"\nexamples = [\"x\"]\nkeywords = [\"acme_\"]\nregex = '''(acme_[A-Za-z0-9]{16})'''\n";
        let e = engine_from(text);
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        e.scan(b"pw=Q8vR2mXk7!Lp\n", &mut scratch, &mut out);
        assert_eq!(out.len(), 1);
        e.scan(
            b"openapi: 3.0.3\npaths:\n  pw=Zt4Nw9Yc2!Hq\n",
            &mut scratch,
            &mut out,
        );
        assert_eq!(
            out.len(),
            1,
            "the document's example goes, the earlier match stays"
        );
        e.scan(
            b"acme_Q8vR2mXk7Lp4Zt4N\npw=Hq7vT2zLk9Wn\n",
            &mut scratch,
            &mut out,
        );
        let ids: Vec<&str> = out.iter().map(|m| e.rules()[m.rule].id.as_str()).collect();
        assert_eq!(ids, ["catch-all", "acme", "catch-all"]);
    }

    #[test]
    fn close_hits_on_one_line_are_all_confirmed() {
        // Hits within HIT_MERGE_GAP on one line are stored as one range; every token in it
        // must still be found, and a hit on the next line keeps its own window.
        let e = engine("keywords = [\"tok_\"]\nregex = '''\\b(tok_[A-Za-z0-9]{20})\\b'''");
        let data =
            "a tok_Q8vR2mXk7LpW3nZb9TfY, tok_Zt4Nw9Yc2mHq7LpW3nZb x\ntok_Kd8Rw2Lq7VbN4mT9cXzP\n";
        assert_eq!(
            secrets(&e, data),
            [
                "tok_Q8vR2mXk7LpW3nZb9TfY",
                "tok_Zt4Nw9Yc2mHq7LpW3nZb",
                "tok_Kd8Rw2Lq7VbN4mT9cXzP"
            ]
        );
    }

    #[test]
    fn an_escaped_closing_quote_is_not_part_of_the_value() {
        let e = engine(
            "keywords = [\"password\"]\nregex = '''password=([^;\\s\"]{4,64})(?:;|\\s|$)'''",
        );
        assert_eq!(
            secrets(&e, "--listen &quot;password=Tq8vLm2Rx9&quot; tls=1"),
            ["Tq8vLm2Rx9"]
        );
        assert_eq!(secrets(&e, "password=Tq8vLm2Rx9&#39;"), ["Tq8vLm2Rx9"]);
        // Without the `;` the entity is not one: the value is what was written.
        assert_eq!(secrets(&e, "password=Tq8v&quotLm2"), ["Tq8v&quotLm2"]);
    }

    #[test]
    fn a_schema_example_value_is_no_secret() {
        let at = |text: &str| text.find("eyJ").expect("a token");
        for text in [
            "example: 'eyJhbGciOiJIUzI1NiJ9.x'",
            "  \"example\": \"Bearer eyJhbGciOiJIUzI1NiJ9.x\"",
            "        example:\n          \"Bearer eyJhbGciOiJIUzI1NiJ9.x\"",
            "x-example: eyJhbGciOiJIUzI1NiJ9.x",
        ] {
            assert!(is_schema_example(text.as_bytes(), at(text)), "{text}");
        }
        for text in [
            "Example: curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x'",
            "counterexample: eyJhbGciOiJIUzI1NiJ9.x",
            "token: eyJhbGciOiJIUzI1NiJ9.x",
            "eyJhbGciOiJIUzI1NiJ9.x",
            "my-example: eyJhbGciOiJIUzI1NiJ9.x",
        ] {
            assert!(!is_schema_example(text.as_bytes(), at(text)), "{text}");
        }
    }

    #[test]
    fn empty_and_binaryish_input() {
        let e = engine("keywords = [\"tok_\"]\nregex = '''(tok_[A-Za-z0-9]{20})'''");
        assert!(secrets(&e, "").is_empty());
        let mut out = Vec::new();
        e.scan(
            &[0xff, 0xfe, b't', b'o', b'k', b'_'],
            &mut Scratch::default(),
            &mut out,
        );
        assert!(out.is_empty());
    }
}
