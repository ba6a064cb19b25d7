//! docs/deploy.md's recipes agree with each other: the SAM template runs the package the package
//! recipe puts together, and each recipe builds for the architecture the others name.

use super::{copy_sources, recipe, DOC};

/// The function's package as the `package` recipe puts it together: its directory (from
/// `mkdir -p`) and, for each file `cp` puts there, its source and its name in the package.
pub(crate) fn package() -> (String, Vec<(String, String)>) {
    let recipe = recipe("package");
    let dir = recipe
        .text
        .lines()
        .find_map(|l| l.strip_prefix("mkdir -p "))
        .expect("the package recipe makes its directory with mkdir -p")
        .trim()
        .trim_end_matches('/')
        .to_owned();
    let mut files = Vec::new();
    for line in recipe.text.lines() {
        let Some(args) = line.strip_prefix("cp ") else {
            continue;
        };
        let words: Vec<&str> = args.split_whitespace().collect();
        let (to, from) = words.split_last().expect("cp names a destination");
        let file_name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_owned();
        for source in from {
            let name = match to.trim_end_matches('/') {
                d if d == dir => file_name(source),
                d => d
                    .strip_prefix(&format!("{dir}/"))
                    .map(str::to_owned)
                    .unwrap_or_else(|| {
                        panic!("{DOC}: the package recipe copies {source} outside {dir}")
                    }),
            };
            files.push((source.to_string(), name));
        }
    }
    (dir, files)
}

/// The words of `text` right after `prefix`, up to a quote, space or slash.
fn names_after(text: &str, prefix: &str) -> Vec<String> {
    text.match_indices(prefix)
        .map(|(at, _)| {
            text[at + prefix.len()..]
                .split(|c: char| c.is_whitespace() || "\"'/".contains(c))
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn the_sam_template_runs_what_the_package_recipe_puts_together() {
    let (dir, files) = package();
    let sam = recipe("sam");
    let code_uri = sam
        .text
        .lines()
        .find_map(|l| l.trim().strip_prefix("CodeUri:"))
        .and_then(|v| v.split('#').next())
        .map(|v| v.trim().trim_end_matches('/'))
        .expect("the SAM template has a CodeUri");
    assert_eq!(
        code_uri, dir,
        "{DOC}:{}: CodeUri is not the package",
        sam.line
    );
    // Lambda unpacks the package into /var/task, LAMBDA_TASK_ROOT.
    let run_sh = recipe("run.sh");
    let named = names_after(&sam.text, "/var/task/")
        .into_iter()
        .chain(names_after(&run_sh.text, "$LAMBDA_TASK_ROOT/"));
    let mut checked = 0;
    for name in named {
        assert!(
            files.iter().any(|(_, n)| *n == name),
            "{DOC}: the SAM template or run.sh runs /var/task/{name}, which the package recipe \
             does not put into {dir}"
        );
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} files of the package named");

    // One architecture throughout: the function's, ceh's build and Flask's wheels.
    let package = recipe("package").text;
    let arm = sam.text.contains("Architectures: [arm64]");
    assert!(
        arm || sam.text.contains("Architectures: [x86_64]"),
        "{DOC}:{}: the SAM template names no architecture",
        sam.line
    );
    let (flag, wheels) = if arm {
        (true, "--platform manylinux2014_aarch64")
    } else {
        (false, "--platform manylinux2014_x86_64")
    };
    assert_eq!(
        package.contains("cargo lambda build --release --arm64"),
        flag,
        "{DOC}: the package recipe builds ceh for another architecture than the template's"
    );
    assert!(
        package.contains(wheels),
        "{DOC}: the package recipe installs Flask for another architecture than the template's"
    );
}

#[test]
fn the_container_image_is_of_the_architecture_of_the_ceh_it_copies() {
    let container = recipe("container");
    let platform = container
        .text
        .lines()
        .find_map(|l| l.strip_prefix("FROM --platform="))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| {
            panic!(
                "{DOC}:{}: the image's FROM names no platform, so it takes the building \
                 machine's, whatever binary it copies",
                container.line
            )
        });
    let build = recipe("container-build").text;
    let binaries: Vec<String> = copy_sources(&container.text)
        .into_iter()
        .filter(|s| s.ends_with("/bootstrap") || s.ends_with("/ceh"))
        .collect();
    assert_eq!(
        binaries.len(),
        1,
        "{DOC}: the image should copy one ceh: {binaries:?}"
    );
    let arch = match binaries[0].as_str() {
        "dist/aarch64/ceh" => "linux/arm64",
        "dist/x86_64/ceh" => "linux/amd64",
        "target/lambda/ceh/bootstrap" if build.contains("cargo lambda build --release --arm64") => {
            "linux/arm64"
        }
        "target/lambda/ceh/bootstrap" => "linux/amd64",
        other => panic!("{DOC}: the image copies {other}, which no build writes"),
    };
    assert_eq!(
        platform, arch,
        "{DOC}:{}: the image is for {platform}, the ceh it copies for {arch}",
        container.line
    );
}
