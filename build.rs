//! Turns the built-in rule files (`rules/*.toml`) into JSON for the crate to embed.
//!
//! The rules stay TOML in the source tree, where people read, copy and change
//! them; the binary loads them from JSON, which serde reads several times faster
//! than TOML and which matters at every cold start. Each rule keeps the line it
//! starts on, so messages and `ceh rules list` still point into `rules/`.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;

use toml::Spanned;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=rules");
    let out = Path::new(&std::env::var("OUT_DIR")?).join("rules");
    std::fs::create_dir_all(&out)?;
    let mut files: Vec<_> = std::fs::read_dir("rules")?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    // The built-in rule table's revision, for `ceh --version`: FNV-1a of every rule file.
    let mut revision: u64 = 0xcbf2_9ce4_8422_2325;
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
    {
        for byte in std::fs::read(path)? {
            revision = (revision ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    println!("cargo::rustc-env=CEH_RULES_REVISION={revision:016x}");
    for entry in std::fs::read_dir("rules")? {
        let path = entry?.path();
        if path.extension().is_none_or(|ext| ext != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let mut file: BTreeMap<String, Vec<Spanned<toml::Table>>> = toml::from_str(&text)
            .map_err(|e| format!("{}: {}", path.display(), e.message().trim()))?;
        let rules: Vec<serde_json::Value> = file
            .remove("rule")
            .unwrap_or_default()
            .into_iter()
            .map(|rule| {
                let line = text[..rule.span().start].matches('\n').count() + 1;
                serde_json::json!({ "line": line, "rule": rule.into_inner() })
            })
            .collect::<Vec<_>>();
        let name = path.with_extension("json");
        let name = name.file_name().ok_or("a rule file without a name")?;
        std::fs::write(out.join(name), serde_json::to_string(&rules)?)?;
    }
    Ok(())
}
