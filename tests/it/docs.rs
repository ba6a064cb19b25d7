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

#[test]
fn lambda_md_lists_the_samples() {
    let output = Command::new(env!("CARGO_BIN_EXE_ceh"))
        .arg("sample")
        .output()
        .unwrap();
    assert!(output.status.success());
    let listing = String::from_utf8(output.stdout).unwrap();
    generated_block(
        "docs/lambda.md",
        "sample-list",
        &format!("```text\n{listing}```\n"),
    );
}

fn read_doc(doc: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).unwrap()
}

#[test]
fn replies_md_has_every_builtin_rule_with_its_reply_mode() {
    let text = read_doc("docs/replies.md");
    let table = cloud_events_handler::RuleTable::builtin();
    let mut missing = Vec::new();
    for rule in table.rules().iter().chain(table.fallback()) {
        let name = format!("`{}`", rule.name());
        let row = text
            .lines()
            // The built-in table's rows have five cells; the modes table's have three.
            .filter(|line| line.starts_with('|') && line.split('|').count() == 7)
            .find(|line| {
                line.split('|')
                    .nth(1)
                    .is_some_and(|cell| cell.split(", ").any(|n| n.trim() == name))
            });
        match row {
            Some(row) => {
                let mode = row.split('|').nth(3).unwrap_or("").trim().to_owned();
                if mode != format!("`{}`", rule.reply()) {
                    missing.push(format!(
                        "{name}: the table says {mode}, the rule says `{}`",
                        rule.reply()
                    ));
                }
            }
            None => missing.push(format!("{name}: no row")),
        }
    }
    assert!(
        missing.is_empty(),
        "docs/replies.md is out of date:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_test_docs_replies_md_names_exists() {
    let sources: String = [
        "tests/it/replies.rs",
        "tests/it/delivery.rs",
        "tests/it/classify.rs",
        "tests/it/e2e/lifecycle.rs",
        "tests/it/e2e/routes.rs",
        "tests/it/e2e/http_events.rs",
        "tests/it/azure.rs",
        "tests/it/delivery_attempt.rs",
        "tests/it/trace_context.rs",
        "tests/it/e2e/otel.rs",
    ]
    .iter()
    .map(|f| read_doc(f))
    .collect();
    // docs/tracing.md names its tests the same way.
    for page in ["docs/replies.md", "docs/tracing.md"] {
        let text = read_doc(page);
        for name in text.split('`').filter(|s| s.contains("::")) {
            let function = name.rsplit("::").next().unwrap();
            let module_only = name == "passthrough::replies" || name.ends_with("e2e::otel");
            assert!(
                module_only || sources.contains(&format!("fn {function}(")),
                "{page} names {name}, which is no test"
            );
        }
    }
}

#[test]
fn readme_fixtures_exist() {
    let text = read_doc("README.md");
    for word in text.split(|c: char| c.is_whitespace() || c == '`') {
        if let Some(path) = word.strip_prefix("fixtures/") {
            let path = path.trim_end_matches(|c: char| !c.is_alphanumeric());
            let file = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(format!("{}.json", path.trim_end_matches(".json")));
            assert!(
                file.exists(),
                "README.md names {word}, which does not exist"
            );
        }
    }
}

/// Every `ceh …` command in a code block of the docs, as written (up to `--`, `&`, `|`, `#`).
fn documented_commands() -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    let mut docs = docs_pages();
    docs.push("README.md".into());
    docs.push("examples/README.md".into());
    for doc in docs {
        let blocks = fenced_blocks(&doc);
        for line in blocks.iter().flat_map(|(_, _, text)| text.lines()) {
            // `ceh` as a command word: at the start, after `run --`, or as a program path in JSON/YAML.
            let cleaned = line.replace(['"', ',', '[', ']'], " ");
            let words: Vec<&str> = cleaned.split_whitespace().collect();
            let Some(start) = words
                .iter()
                .position(|w| *w == "ceh" || w.ends_with("/ceh"))
            else {
                continue;
            };
            let args: Vec<String> = words[start + 1..]
                .iter()
                .take_while(|w| !matches!(**w, "--" | "&" | "|" | "#" | "&&"))
                .map(|w| w.to_string())
                .collect();
            if args.first().is_some_and(|a| {
                [
                    "explain", "invoke", "rules", "lambda", "serve", "sample", "man",
                ]
                .contains(&a.as_str())
            }) {
                found.push((doc.clone(), args));
            }
        }
    }
    found
}

#[test]
fn every_documented_ceh_command_parses() {
    let commands = documented_commands();
    assert!(
        commands.len() >= 15,
        "found only {} commands",
        commands.len()
    );
    for (doc, args) in commands {
        // --help after the command's own flags: clap checks them and prints help.
        let output = Command::new(env!("CARGO_BIN_EXE_ceh"))
            .args(&args)
            .arg("--help")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{doc}: `ceh {}` does not parse: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn documented_commands_on_fixtures_run() {
    // The tour's commands that need no app or server of their own run for real.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ran = 0;
    for (doc, args) in documented_commands() {
        let offline = matches!(args[0].as_str(), "explain" | "invoke" | "rules")
            && !args
                .iter()
                .any(|a| a == "--app" || a == "-" || a == "check" || a.ends_with(".toml"));
        let files_exist = args
            .iter()
            .filter(|a| a.ends_with(".json"))
            .all(|a| root.join(a).exists());
        if !offline || !files_exist {
            continue;
        }
        let output = Command::new(env!("CARGO_BIN_EXE_ceh"))
            .args(&args)
            .current_dir(root)
            .env_remove("CEH_CONFIG")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{doc}: `ceh {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 4, "ran only {ran} documented commands");
}

/// The pages under docs/, as `docs/NAME.md`.
fn docs_pages() -> Vec<String> {
    let mut pages: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".md"))
            .map(|name| format!("docs/{name}"))
            .collect();
    pages.sort();
    pages
}

/// The fenced code blocks of a doc: the line its fence opens on, its language, its text.
fn fenced_blocks(doc: &str) -> Vec<(usize, String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String, String)> = None;
    for (index, line) in read_doc(doc).lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (current.take(), fence) {
            (None, Some(lang)) => {
                current = Some((index + 1, lang.trim().to_owned(), String::new()))
            }
            (None, None) => {}
            (Some(block), Some(_)) => blocks.push(block),
            (Some((start, lang, mut text)), None) => {
                text.push_str(line);
                text.push('\n');
                current = Some((start, lang, text));
            }
        }
    }
    assert!(current.is_none(), "{doc}: a code block is never closed");
    blocks
}

/// The blocks of one language in a doc, each with the line its fence opens on.
fn blocks_of(doc: &str, lang: &str) -> Vec<(usize, String)> {
    fenced_blocks(doc)
        .into_iter()
        .filter(|(_, block_lang, _)| block_lang == lang)
        .map(|(line, _, text)| (line, text))
        .collect()
}

#[test]
fn every_documented_config_loads() {
    let mut checked = 0;
    for doc in docs_pages() {
        for (line, text) in blocks_of(&doc, "toml") {
            let origin = format!("{doc}:{line}");
            if let Err(e) = cloud_events_handler::Config::parse(&origin, &text) {
                panic!("{origin}: the documented ceh.toml does not load: {e}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 9, "only {checked} TOML blocks found in docs/");
}

#[test]
fn deploy_md_sam_template_passes_cfn_lint() {
    // cfn-lint (PyPI, installed by .ci/install-tools) checks resource types, properties and
    // the SAM transform offline: what can be checked here without an AWS account.
    let tools = crate::e2e::tools();
    let templates = blocks_of("docs/deploy.md", "yaml");
    assert_eq!(
        templates.len(),
        1,
        "docs/deploy.md should hold one SAM template"
    );
    for (line, template) in templates {
        let file = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
        std::fs::write(file.path(), &template).unwrap();
        let output = Command::new(tools.join("cfn-lint"))
            .args(["--regions", "eu-west-1", "--"])
            .arg(file.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "docs/deploy.md:{line}: cfn-lint finds fault with the SAM template:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Where README.md's links to the crate's own files go: docs.rs's view of the published sources.
const DOCS_RS_SOURCES: &str = "https://docs.rs/crate/cloud-events-handler/latest/source/";

#[test]
fn readme_links_work_on_docs_rs() {
    // docs.rs shows README.md (the crate page, and the crate's root documentation, which
    // includes it) at its own URLs: a relative link there resolves to a page docs.rs does not
    // have. So each link is absolute, and one into the crate names a file the package carries.
    let text = read_doc("README.md");
    let listed = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["package", "--list", "--offline", "--allow-dirty"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        listed.status.success(),
        "cargo package --list: {}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let packaged = String::from_utf8(listed.stdout).unwrap();
    let mut checked = 0;
    for (_, rest) in text
        .match_indices("](")
        .map(|(at, _)| text.split_at(at + 2))
    {
        let target = rest.split(')').next().unwrap_or_default();
        assert!(
            target.starts_with("https://"),
            "README.md links to {target}, which docs.rs cannot follow: link to an absolute URL \
             ({DOCS_RS_SOURCES}PATH for a file of the crate)"
        );
        if let Some(path) = target.strip_prefix(DOCS_RS_SOURCES) {
            assert!(
                packaged
                    .lines()
                    .any(|file| file == path || (path.ends_with('/') && file.starts_with(path))),
                "README.md links to {path}, which `cargo package` leaves out (Cargo.toml's include)"
            );
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} links in README.md");
}

#[test]
fn cargo_toml_says_where_the_documentation_is() {
    let manifest = read_doc("Cargo.toml");
    let manifest: toml::Table = toml::from_str(&manifest).unwrap();
    let package = &manifest["package"];
    assert_eq!(
        package.get("documentation").and_then(|v| v.as_str()),
        Some("https://docs.rs/cloud-events-handler")
    );
    assert_eq!(
        package.get("homepage").and_then(|v| v.as_str()),
        Some(DOCS_RS_SOURCES.trim_end_matches("/source/")),
        "the crate's page on docs.rs, whose sources README.md links to"
    );
}

/// docs/migrating.md's table of Lambda Web Adapter's settings is the code's
/// (`lambda::LWA_SETTINGS`), row for row.
#[test]
fn migrating_md_lists_every_lwa_setting() {
    let mut table = String::from(
        "| variable | deprecated name | Lambda Web Adapter 1.0 | ceh |\n|---|---|---|---|\n",
    );
    for setting in &cloud_events_handler::lambda::LWA_SETTINGS {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            setting.name(),
            setting.alias().map_or("".to_owned(), |a| format!("`{a}`")),
            setting.lwa(),
            setting.ceh()
        ));
    }
    generated_block("docs/migrating.md", "lwa-settings", &table);
}
