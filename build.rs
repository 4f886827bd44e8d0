//! Embeds `rules/*.toml` into the binary, sorted by file name, so the built-in rule set is
//! fixed at compile time and loads in a stable order. The files are parsed here, with the
//! runtime's own types, and embedded as JSON: parsing 1.6 MB of TOML was two thirds of
//! start-up (about 10 ms of 14), reading the same data as JSON takes about 2.

use std::env;
use std::fs;
use std::path::PathBuf;

#[path = "src/rules/analysis.rs"]
#[allow(dead_code)] // the build uses `analyse` only
mod analysis;

#[path = "src/rules/format.rs"]
#[allow(dead_code)] // the build reads the types, not every method
mod format;

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("rules/ exists at the crate root")
        .map(|e| e.expect("rules/ is readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut parsed: Vec<(String, format::RuleFile)> = Vec::new();
    let mut all_parse = true;
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().expect("a file has a name").to_string_lossy();
        let text = fs::read_to_string(f).expect("rule files are readable");
        match toml::from_str::<format::RuleFile>(&text) {
            Ok(file) => parsed.push((name.into_owned(), file)),
            Err(_) => all_parse = false,
        }
    }
    let mut out = String::new();
    if all_parse {
        let json = out_dir.join("builtin_rules.json");
        fs::write(
            &json,
            serde_json::to_string(&parsed).expect("rule files serialise"),
        )
        .expect("OUT_DIR is writable");
        out.push_str(&format!(
            "/// Built-in rule files as JSON: `[[file name, RuleFile], ...]`, sorted by name.\n\
             pub(crate) static BUILTIN_RULES_JSON: Option<&str> = Some(include_str!({:?}));\n\
             /// Unused: every file parsed at build time.\n\
             pub(crate) static BUILTIN_RULE_FILES: &[(&str, &str)] = &[];\n",
            json.display().to_string()
        ));
    } else {
        // A file that is not valid TOML (or not a rule file) is embedded as text, all of them
        // then, and loading reports the error with its file name as it does for a config.
        out.push_str(
            "pub(crate) static BUILTIN_RULES_JSON: Option<&str> = None;\n\
             /// Built-in rule files: (file name, contents), sorted by name.\n\
             pub(crate) static BUILTIN_RULE_FILES: &[(&str, &str)] = &[\n",
        );
        for f in &files {
            let name = f.file_name().expect("a file has a name").to_string_lossy();
            out.push_str(&format!(
                "    ({name:?}, include_str!({:?})),\n",
                f.display().to_string()
            ));
        }
        out.push_str("];\n");
    }
    // Per built-in rule: (id, capture groups, anchored). A pattern that does not parse, or a
    // file that is not TOML, is left out: loading then reports it with file and rule id.
    out.push_str(
        "/// Built-in rules analysed at build time: (id, capture groups, anchored), by id.\n\
         pub(crate) static BUILTIN_ANALYSIS: &[(&str, usize, bool)] = &[\n",
    );
    // Sorted by id, so loading finds each rule's entry by binary search.
    let mut entries = Vec::new();
    for (_, file) in &parsed {
        for r in &file.rules {
            if let Ok(a) = analysis::analyse(&r.regex, &r.keywords) {
                entries.push((r.id.clone(), a.groups, a.anchored));
            }
        }
    }
    entries.sort();
    for (id, groups, anchored) in entries {
        out.push_str(&format!("    ({id:?}, {groups}, {anchored}),\n"));
    }
    out.push_str("];\n");
    fs::write(out_dir.join("builtin_rules.rs"), out).expect("OUT_DIR is writable");
}
