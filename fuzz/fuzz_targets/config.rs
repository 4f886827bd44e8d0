//! Any text as `.keyhound.toml`: parsing and validation must give a configuration or an
//! error, and applying a valid one to the built-in rules must do the same.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use keyhound::{Config, RuleSet};
use libfuzzer_sys::fuzz_target;

static RULES: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::builtin().expect("built-in rules"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::parse(Path::new(".keyhound.toml"), text) {
        let mut rules = RULES.clone();
        let _ = config.apply(&mut rules);
    }
});
