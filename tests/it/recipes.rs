//! docs/deploy.md's recipes, checked as a user would paste them: each is the code block after an
//! HTML comment `<!-- recipe: NAME -->`. The linters come from .ci/install-tools (pinned in
//! tests/apps/requirements.txt); one missing fails the test. `e2e::recipes` runs what they build.

use std::path::Path;
use std::process::{Command, Output};

use crate::e2e::tools;

mod consistency;

pub(crate) use consistency::package;

const DOC: &str = "docs/deploy.md";

/// The recipes docs/deploy.md must have, and the language of each.
const EXPECTED: [(&str, &str); 7] = [
    ("package", "sh"),
    ("run.sh", "sh"),
    ("ceh.toml", "toml"),
    ("sam", "yaml"),
    ("container", "dockerfile"),
    ("container-build", "sh"),
    ("start.sh", "sh"),
];

/// Recipes that show a file of the repository in full: the block is the file, byte for byte.
const SHOWN_IN_FULL: [(&str, &str); 3] = [
    ("run.sh", "examples/flask/run.sh"),
    ("ceh.toml", "examples/flask/ceh.toml"),
    ("container", "examples/flask/Dockerfile"),
];

/// Paths a recipe may name that are not in the repository, each with what writes it. A path
/// ending in `/` stands for everything under it; `*` for any part of one file name.
const BUILT: [(&str, &str); 7] = [
    (
        "target/lambda/ceh/bootstrap",
        "cargo lambda build --bin ceh",
    ),
    ("target/function/", "the `package` recipe"),
    ("dist/x86_64/ceh", ".ci/dist"),
    ("dist/aarch64/ceh", ".ci/dist"),
    ("dist/ceh-layer-x86_64.zip", ".ci/dist"),
    ("dist/ceh-layer-aarch64.zip", ".ci/dist"),
    ("dist/*.whl", ".ci/dist"),
];

/// Where a word of a recipe names a file of the repository (or one the build writes).
const REPO_ROOTS: [&str; 10] = [
    "examples/",
    "target/",
    "dist/",
    "fixtures/",
    "packaging/",
    "tests/",
    ".ci/",
    "docs/",
    "src/",
    "rules/",
];

/// A recipe: the line of docs/deploy.md its text starts on, its language, its text.
pub(crate) struct Recipe {
    pub(crate) line: usize,
    pub(crate) lang: String,
    pub(crate) text: String,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every recipe of docs/deploy.md, with its name, in the order they come.
fn recipes() -> Vec<(String, Recipe)> {
    let text = std::fs::read_to_string(root().join(DOC)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(name) = line
            .trim()
            .strip_prefix("<!-- recipe:")
            .and_then(|rest| rest.strip_suffix("-->"))
        else {
            continue;
        };
        let name = name.trim().to_owned();
        let lang = lines
            .get(index + 1)
            .and_then(|next| next.strip_prefix("```"))
            .unwrap_or_else(|| panic!("{DOC}:{}: recipe `{name}` is no code block", index + 2));
        let body: Vec<&str> = lines[index + 2..]
            .iter()
            .take_while(|l| !l.starts_with("```"))
            .copied()
            .collect();
        assert!(
            index + 2 + body.len() < lines.len(),
            "{DOC}: recipe `{name}` is never closed"
        );
        let text = body.iter().map(|l| format!("{l}\n")).collect();
        let line = index + 3;
        let lang = lang.trim().to_owned();
        found.push((name, Recipe { line, lang, text }));
    }
    found
}

/// The recipe called `name`.
pub(crate) fn recipe(name: &str) -> Recipe {
    recipes()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, r)| r)
        .unwrap_or_else(|| panic!("{DOC} has no recipe `{name}`"))
}

fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn deploy_md_marks_each_recipe_once_in_its_language() {
    let found = recipes();
    for (name, lang) in EXPECTED {
        let matching: Vec<&Recipe> = found
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, r)| r)
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "{DOC}: recipe `{name}` should be there once"
        );
        assert_eq!(
            matching[0].lang, lang,
            "{DOC}:{}: recipe `{name}`",
            matching[0].line
        );
    }
    let mut names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), found.len(), "{DOC}: two recipes share a name");
}

#[test]
fn recipes_shown_in_full_are_the_files_of_the_example() {
    for (name, file) in SHOWN_IN_FULL {
        let shown = recipe(name);
        let actual = std::fs::read_to_string(root().join(file)).unwrap();
        assert_eq!(
            shown.text, actual,
            "{DOC}:{}: recipe `{name}` is not {file}",
            shown.line
        );
    }
    let run_sh = std::fs::metadata(root().join("examples/flask/run.sh")).unwrap();
    assert_ne!(
        std::os::unix::fs::PermissionsExt::mode(&run_sh.permissions()) & 0o111,
        0,
        "examples/flask/run.sh must be executable: Lambda runs it"
    );
}

#[test]
fn dockerfile_recipes_pass_hadolint() {
    let hadolint = tools().join("hadolint");
    let mut checked = 0;
    for (name, recipe) in recipes()
        .into_iter()
        .filter(|(_, r)| r.lang == "dockerfile")
    {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("Dockerfile");
        std::fs::write(&file, &recipe.text).unwrap();
        let output = Command::new(&hadolint)
            .arg("--no-color")
            .arg(&file)
            .output()
            .unwrap();
        let said = output_text(&output);
        assert!(
            output.status.success() && said.trim().is_empty(),
            "{DOC}:{}: hadolint finds fault with recipe `{name}`:\n{said}",
            recipe.line
        );
        checked += 1;
    }
    assert!(checked >= 1, "{DOC} has no Dockerfile recipe");
}

#[test]
fn shell_recipes_parse_and_pass_shellcheck() {
    let shellcheck = tools().join("shellcheck");
    let mut checked = 0;
    for (name, recipe) in recipes().into_iter().filter(|(_, r)| r.lang == "sh") {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &recipe.text).unwrap();
        let parsed = Command::new("sh")
            .arg("-n")
            .arg(file.path())
            .output()
            .unwrap();
        assert!(
            parsed.status.success(),
            "{DOC}:{}: recipe `{name}` is no shell script (sh -n):\n{}",
            recipe.line,
            output_text(&parsed)
        );
        let mut command = Command::new(&shellcheck);
        // A snippet without `#!` is pasted into a POSIX shell; a script says its own.
        if !recipe.text.starts_with("#!") {
            command.arg("--shell=sh");
        }
        let output = command.arg(file.path()).output().unwrap();
        assert!(
            output.status.success(),
            "{DOC}:{}: shellcheck finds fault with recipe `{name}`:\n{}",
            recipe.line,
            output_text(&output)
        );
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} shell recipes in {DOC}");
}

/// What `BUILT` says writes `path`, if anything does.
fn built_by(path: &str) -> Option<&'static str> {
    BUILT.iter().find_map(|(pattern, by)| {
        let matches = match pattern.split_once('*') {
            Some((head, tail)) => {
                path.len() >= head.len() + tail.len()
                    && path.starts_with(head)
                    && path.ends_with(tail)
                    && !path[head.len()..path.len() - tail.len()].contains('/')
            }
            None if pattern.ends_with('/') => {
                path.starts_with(pattern) || path == pattern.trim_end_matches('/')
            }
            None => path == *pattern,
        };
        matches.then_some(*by)
    })
}

/// The source paths of a Dockerfile's `COPY` instructions (not those from another image).
pub(crate) fn copy_sources(dockerfile: &str) -> Vec<String> {
    let mut sources = Vec::new();
    for line in dockerfile.lines() {
        let Some(args) = line.strip_prefix("COPY ") else {
            continue;
        };
        if args.contains("--from=") {
            continue;
        }
        let words: Vec<&str> = args
            .split_whitespace()
            .filter(|w| !w.starts_with("--"))
            .collect();
        if let Some((_, from)) = words.split_last() {
            sources.extend(from.iter().map(|w| w.to_string()));
        }
    }
    sources
}

/// The words of a recipe that name a path of the repository.
fn repo_paths(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "\"'`=,[]()".contains(c))
        .filter(|word| REPO_ROOTS.iter().any(|r| word.starts_with(r)))
        .map(|word| word.trim_end_matches([':', '.', ';']).to_owned())
        .collect()
}

#[test]
fn every_path_a_recipe_names_is_in_the_repository_or_built() {
    let mut checked = 0;
    for (name, recipe) in recipes() {
        let mut paths = repo_paths(&recipe.text);
        if recipe.lang == "dockerfile" {
            // Built from the repository root: each source is a path of it.
            paths.extend(copy_sources(&recipe.text));
        }
        for path in paths {
            assert!(
                root().join(&path).exists() || built_by(&path).is_some(),
                "{DOC}:{}: recipe `{name}` names {path}, which is neither in the repository nor \
                 one the build writes (tests/it/recipes.rs: BUILT)",
                recipe.line
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} paths in {DOC}'s recipes");
}
