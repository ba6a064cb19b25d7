//! Documentation that is generated from the code must match it.
//! Run with `CEH_BLESS=1` to rewrite the generated parts after a change.

use std::path::Path;
use std::process::Command;

/// Replaces (or checks) the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`.
fn generated_block(doc: &str, name: &str, contents: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(doc);
    let text = std::fs::read_to_string(&path).unwrap();
    let begin = format!("<!-- {name}:begin -->\n");
    let end = format!("<!-- {name}:end -->");
    let start = text
        .find(&begin)
        .unwrap_or_else(|| panic!("{doc} has no {begin}"))
        + begin.len();
    let stop = text[start..]
        .find(&end)
        .unwrap_or_else(|| panic!("{doc} has no {end}"))
        + start;
    if std::env::var_os("CEH_BLESS").is_some() {
        let updated = format!("{}{contents}{}", &text[..start], &text[stop..]);
        std::fs::write(&path, updated).unwrap();
    } else {
        assert_eq!(
            &text[start..stop],
            contents,
            "{doc} is out of date: run `CEH_BLESS=1 cargo test --test it docs::` and commit the result"
        );
    }
}

#[test]
fn rules_md_lists_the_builtin_rules() {
    let output = Command::new(env!("CARGO_BIN_EXE_ceh"))
        .args(["rules", "list"])
        .env_remove("CEH_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success());
    let listing = String::from_utf8(output.stdout).unwrap();
    generated_block(
        "docs/rules.md",
        "rules-list",
        &format!("```text\n{listing}```\n"),
    );
}
