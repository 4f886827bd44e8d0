//! How often each built-in keyword occurs in a tree of ordinary files: every hit wakes its rules'
//! regexes on a window of text (and compiles them on the first), so a keyword that is common in
//! code costs scan time on every repository. `rules check` proves a rule right; this shows what
//! its keywords cost.
//!
//! `cargo bench --bench keyword_hits -- [DIR]` (default: `$BENCH_DIR/trees`, else `.`) walks DIR
//! as a scan does (`.gitignore` honoured, files over 10 MiB skipped) and prints the keywords with
//! the most hits per MiB, and the rules whose keywords hit most. A keyword counts as the engine
//! matches it: verbatim for a rule whose every match starts with it (`anchored`), in any case
//! otherwise.

use std::collections::HashMap;
use std::path::PathBuf;

const TOP: usize = 30;
const MAX_FILE: u64 = 10 << 20;

fn main() {
    // `cargo bench` appends `--bench`; the first other argument is the directory.
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("BENCH_DIR").map(|d| PathBuf::from(d).join("trees")))
        .unwrap_or_else(|| PathBuf::from("."));
    let rules = keyhound::RuleSet::builtin().expect("built-in rules load");

    // A keyword is listed once per way the engine matches it: verbatim for anchored rules (kept
    // as written), in any case otherwise (lower-cased).
    let mut keywords: Vec<(String, bool)> = Vec::new();
    let mut users: HashMap<(String, bool), Vec<String>> = HashMap::new();
    for rule in rules.rules() {
        for kw in &rule.keywords {
            let key = if rule.anchored {
                (kw.clone(), true)
            } else {
                (kw.to_ascii_lowercase(), false)
            };
            let ids = users.entry(key.clone()).or_default();
            if ids.is_empty() {
                keywords.push(key);
            }
            if !ids.contains(&rule.id) {
                ids.push(rule.id.clone());
            }
        }
    }
    // Overlapping counts: a keyword inside a longer one (`sk-` in `sk-proj-`) is woken there too.
    let automaton = |exact: bool| {
        let (patterns, index): (Vec<&str>, Vec<usize>) = keywords
            .iter()
            .enumerate()
            .filter(|(_, (_, anchored))| *anchored == exact)
            .map(|(i, (kw, _))| (kw.as_str(), i))
            .unzip();
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(!exact)
            .build(patterns)
            .expect("keywords build an automaton");
        (ac, index)
    };
    let automata = [automaton(true), automaton(false)];

    let mut hits = vec![0u64; keywords.len()];
    let (mut files, mut bytes) = (0u64, 0u64);
    for entry in ignore::WalkBuilder::new(&dir).build().flatten() {
        let too_big = entry.metadata().map_or(true, |m| m.len() > MAX_FILE);
        if !entry.file_type().is_some_and(|t| t.is_file()) || too_big {
            continue;
        }
        let Ok(data) = std::fs::read(entry.path()) else {
            continue;
        };
        files += 1;
        bytes += data.len() as u64;
        for (ac, index) in &automata {
            for m in ac.find_overlapping_iter(&data) {
                hits[index[m.pattern().as_usize()]] += 1;
            }
        }
    }
    if bytes == 0 {
        eprintln!("no files under {}", dir.display());
        return;
    }
    let mib = bytes as f64 / (1 << 20) as f64;
    println!(
        "{} keywords of {} rules over {} ({files} files, {mib:.1} MiB)",
        keywords.len(),
        rules.rules().len(),
        dir.display()
    );

    let mut order: Vec<usize> = (0..keywords.len()).filter(|&i| hits[i] > 0).collect();
    order.sort_by(|&a, &b| {
        hits[b]
            .cmp(&hits[a])
            .then_with(|| keywords[a].cmp(&keywords[b]))
    });
    println!(
        "\nkeywords with the most hits (hits, per MiB, keyword, rules; = marks a verbatim match):"
    );
    for &i in order.iter().take(TOP) {
        let (kw, exact) = &keywords[i];
        println!(
            "{:>9} {:>9.1}  {}{:<28} {}",
            hits[i],
            hits[i] as f64 / mib,
            if *exact { "=" } else { " " },
            kw,
            users[&keywords[i]].join(", ")
        );
    }

    let mut per_rule: HashMap<&str, u64> = HashMap::new();
    for (i, kw) in keywords.iter().enumerate() {
        for id in &users[kw] {
            *per_rule.entry(id).or_default() += hits[i];
        }
    }
    let mut rules_by_hits: Vec<(&str, u64)> = per_rule.into_iter().filter(|r| r.1 > 0).collect();
    rules_by_hits.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    println!(
        "\nrules woken most ({} of {} rules are woken at all):",
        rules_by_hits.len(),
        rules.rules().len()
    );
    for (id, n) in rules_by_hits.iter().take(TOP) {
        println!("{n:>9} {:>9.1}  {id}", *n as f64 / mib);
    }
}
