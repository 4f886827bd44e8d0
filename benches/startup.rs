//! Start-up cost: loading the built-in rules and building the engine, in process, as every
//! scan pays it. `cargo bench --bench startup` prints the median and minimum of 50 runs.
//! (Targets: under 20 ms for loading the rules and building the engine.) It also prints
//! what compiling every rule's regex would cost; a scan compiles only those it needs.

use std::time::{Duration, Instant};

fn main() {
    let mut load = Vec::new();
    let mut engine = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let rules = keyhound::RuleSet::builtin().expect("built-in rules load");
        load.push(t.elapsed());
        let t = Instant::now();
        let e = keyhound::engine::Engine::new(&rules).expect("engine builds");
        engine.push(t.elapsed());
        std::hint::black_box(e);
    }
    let stats = |v: &mut Vec<Duration>| {
        v.sort();
        (v[v.len() / 2], v[0])
    };
    let (lm, lmin) = stats(&mut load);
    let (em, emin) = stats(&mut engine);
    let rules = keyhound::RuleSet::builtin().expect("built-in rules load");
    println!(
        "{} rules from {} providers",
        rules.rules().len(),
        rules.provider_count()
    );
    println!("load rules:    median {lm:?}, min {lmin:?}");
    println!("build engine:  median {em:?}, min {emin:?}");
    println!("total:         median {:?}", lm + em);
    // Regexes compile on a rule's first keyword hit, so a scan pays only for the rules its
    // input touches; compiling every one (what `keyhound rules check` does) is the upper bound.
    let t = Instant::now();
    for rule in rules.rules() {
        std::hint::black_box(rule.regex());
    }
    println!(
        "compile every regex (once, lazily per rule in a scan): {:?}",
        t.elapsed()
    );
}
