//! docs/deploy.md's Lambda recipes, run: the zip package's `run.sh` with the SAM template's
//! settings under cargo-lambda's emulator, and the readiness path against the Flask example.
//! (`recipes` lints them and checks their paths.)

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use super::examples::flask_example;
use super::harness::{exchange, free_port, root, tools, Emulator, Process};
use crate::recipes::{package, recipe};

/// The SAM template's `Environment.Variables`, as written.
fn sam_variables() -> Vec<(String, String)> {
    let sam = recipe("sam").text;
    let mut lines = sam.lines().skip_while(|l| l.trim() != "Variables:");
    let indent = |l: &str| l.len() - l.trim_start().len();
    let Some(header) = lines.next() else {
        panic!("docs/deploy.md: the SAM template sets no Environment.Variables");
    };
    lines
        .take_while(|l| indent(l) > indent(header))
        .filter_map(|l| l.split('#').next()?.trim().split_once(": "))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

#[test]
fn the_sam_recipes_run_sh_serves_an_s3_event_and_an_sqs_batch() {
    // Lambda unpacks the package into LAMBDA_TASK_ROOT (/var/task) and, with
    // AWS_LAMBDA_EXEC_WRAPPER set, runs the wrapper with the runtime's own start command as its
    // arguments (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html#runtime-wrapper,
    // https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html). Here the task
    // root is a temporary directory holding what the package recipe copies, with this build's
    // ceh for the cross-compiled one, and Flask comes from .venv for the recipe's pip install.
    // Only /var/task and the port 8080 (a free one) differ from the recipes' text.
    let task = tempfile::tempdir().unwrap();
    let task_root = task.path().display().to_string();
    let port = free_port().to_string();
    let (_, files) = package();
    for (source, name) in &files {
        let from = match source.as_str() {
            "target/lambda/ceh/bootstrap" => Path::new(env!("CARGO_BIN_EXE_ceh")).to_path_buf(),
            path => root().join(path),
        };
        std::fs::copy(&from, task.path().join(name))
            .unwrap_or_else(|e| panic!("copying {} into the package: {e}", from.display()));
    }
    let run_sh = task.path().join("run.sh");
    let script = std::fs::read_to_string(&run_sh).unwrap();
    assert_eq!(
        script,
        recipe("run.sh").text,
        "the package's run.sh is the recipe's"
    );
    std::fs::write(&run_sh, script.replace("8080", &port)).unwrap();

    let emulator = Emulator::start();
    let mut command = Command::new(&run_sh);
    command
        .args(["/var/lang/bin/python3.12", "/var/runtime/bootstrap.py"])
        .current_dir(task.path())
        .env_remove("APP")
        .env_remove("CEH_CONFIG")
        .env_remove("CEH_READINESS_PATH")
        .env("LAMBDA_TASK_ROOT", &task_root)
        .env(
            "PATH",
            format!(
                "{}:{}",
                tools().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
    let variables = sam_variables();
    assert!(
        variables
            .iter()
            .any(|(k, _)| k == "AWS_LAMBDA_EXEC_WRAPPER"),
        "the SAM template sets no exec wrapper: {variables:?}"
    );
    for (key, value) in &variables {
        command.env(
            key,
            value
                .replace("/var/task", &task_root)
                .replace("8080", &port),
        );
    }
    for (key, value) in emulator.runtime_env() {
        command.env(key, value);
    }
    let _runtime = Process(
        command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let reply = emulator.invoke_fixture("s3/put.json").unwrap();
    assert_eq!(reply["status_code"], 200, "{reply}");
    assert_eq!(
        serde_json::from_str::<Value>(reply["body"].as_str().unwrap()).unwrap(),
        json!({"handled": "s3", "keys": ["Happy%20Face.jpg"]})
    );
    // ceh.toml's report_item_failures: the failed message alone is retried.
    let batch = json!({"Records": [
        {"messageId": "m-1", "body": "fine", "eventSource": "aws:sqs"},
        {"messageId": "m-2", "body": "fail", "eventSource": "aws:sqs"}
    ]});
    let reply = emulator.invoke(batch.to_string().as_bytes()).unwrap();
    assert_eq!(
        reply,
        json!({"batchItemFailures": [{"itemIdentifier": "m-2"}]})
    );
}

#[test]
fn the_recipes_readiness_path_is_one_the_flask_example_answers() {
    // ceh counts any answer below 500 as ready, a 404 too: a path the app lacks would pass
    // unseen, so the path must be one the app answers 200.
    let mut paths: Vec<String> = sam_variables()
        .into_iter()
        .filter(|(k, _)| k == "CEH_READINESS_PATH")
        .map(|(_, v)| v)
        .collect();
    let container = recipe("container").text;
    paths.extend(
        container
            .split_whitespace()
            .filter_map(|w| w.strip_prefix("CEH_READINESS_PATH="))
            .map(str::to_owned),
    );
    assert_eq!(
        paths.len(),
        2,
        "the SAM and container recipes each set CEH_READINESS_PATH"
    );
    let (_app, url) = flask_example();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    for path in paths {
        let (status, _, body) = exchange(port, "GET", &path, &[], b"");
        assert_eq!(
            status, 200,
            "the Flask example answers GET {path} with {status}: {body}"
        );
    }
}
