//! Embeds `rules/*.toml` into the binary, sorted by file name, so the built-in rule set is
//! fixed at compile time and loads in a stable order.

use std::env;
use std::fs;
use std::path::PathBuf;

#[path = "src/rules/analysis.rs"]
#[allow(dead_code)] // the build uses `analyse` only
mod analysis;

#[derive(serde::Deserialize)]
struct File {
    #[serde(default)]
    rules: Vec<RuleDef>,
}

#[derive(serde::Deserialize)]
struct RuleDef {
    id: String,
    regex: String,
    #[serde(default)]
    keywords: Vec<String>,
}

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
    let mut out = String::from("/// Built-in rule files: (file name, contents), sorted by name.\n");
    out.push_str("pub(crate) static BUILTIN_RULE_FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().expect("a file has a name").to_string_lossy();
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    out.push_str("];\n");
    // Per built-in rule: (id, capture groups, anchored). A pattern that does not parse, or a
    // file that is not TOML, is left out: loading then reports it with file and rule id.
    out.push_str(
        "/// Built-in rules analysed at build time: (id, capture groups, anchored), by id.\n\
         pub(crate) static BUILTIN_ANALYSIS: &[(&str, usize, bool)] = &[\n",
    );
    // Sorted by id, so loading finds each rule's entry by binary search.
    let mut entries = Vec::new();
    for f in &files {
        let text = fs::read_to_string(f).expect("rule files are readable");
        let Ok(parsed) = toml::from_str::<File>(&text) else {
            continue;
        };
        for r in parsed.rules {
            if let Ok(a) = analysis::analyse(&r.regex, &r.keywords) {
                entries.push((r.id, a.groups, a.anchored));
            }
        }
    }
    entries.sort();
    for (id, groups, anchored) in entries {
        out.push_str(&format!("    ({id:?}, {groups}, {anchored}),\n"));
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_rules.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
