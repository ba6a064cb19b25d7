//! The shared corpus: the public repositories' sample events the project does not carry
//! (`../shared/events`, their expected routes in `tests/shared_events/routes.toml`) and the
//! CloudEvents conformance cases (`../shared/conformance/cloudevents`), checked by the same
//! functions that check `fixtures/` in `tests/it` (`tests/it/corpus.rs`, `tests/it/mutations.rs`).
//!
//! Not part of plain `cargo test` (the target is `test = false`): run it with
//! `cargo test --test shared_events [FILTER]`. `CEH_SHARED_DIR` names the shared directory
//! (default: `../shared` beside the repository). Without it, the run fails with one line
//! saying where the corpus is expected. Its own small harness runs the checks one after
//! another and reports each as the standard one does.

#[path = "../it/corpus.rs"]
mod corpus;
#[path = "../it/mutations.rs"]
mod mutations;

mod conformance;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cloud_events_handler::{Config, Event, Handler};
use corpus::Corpus;
use proptest::prelude::*;
use serde_json::Value;

/// The shared directory: `CEH_SHARED_DIR`, or `../shared` beside the repository.
fn shared_dir() -> PathBuf {
    std::env::var_os("CEH_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let repository = Path::new(env!("CARGO_MANIFEST_DIR"));
            repository.parent().unwrap_or(repository).join("shared")
        })
}

/// What the checks read.
struct Shared {
    /// `events/`, with `tests/shared_events/routes.toml`.
    events: Corpus,
    /// `conformance/cloudevents/`.
    conformance: PathBuf,
}

impl Shared {
    /// The shared directory's corpus, or the one line that says where it is expected.
    fn find() -> Result<Self, String> {
        let dir = shared_dir();
        let events = dir.join("events");
        let conformance = dir.join("conformance").join("cloudevents");
        if !events.is_dir() || !conformance.is_dir() {
            return Err(format!(
                "shared_events: no shared corpus at {}: it is expected to hold events/ and \
                 conformance/cloudevents/ (../shared beside the repository, or set CEH_SHARED_DIR)",
                dir.display()
            ));
        }
        let routes = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/shared_events/routes.toml");
        Ok(Self {
            events: Corpus::new(events, routes),
            conformance,
        })
    }
}

fn every_event_has_an_expected_route_and_every_route_an_event(shared: &Shared) {
    corpus::table_matches_files(&shared.events);
}

fn every_event_routes_as_the_table_says(shared: &Shared) {
    corpus::routes_as_the_table_says(&shared.events);
}

fn explain_and_the_lambda_path_agree_on_every_event(shared: &Shared) {
    let compared = corpus::explain_and_the_lambda_path_agree(&shared.events);
    assert!(compared >= 200, "only {compared} events compared");
}

fn reading_only_what_the_rules_name_plans_what_reading_everything_plans(shared: &Shared) {
    let compared = corpus::pruned_reading_plans_what_whole_reading_plans(&shared.events);
    assert!(compared >= 460, "only {compared} compared");
}

fn reading_in_one_pass_refuses_what_reading_alone_refuses(shared: &Shared) {
    let inputs = corpus::broken_copies(&shared.events, 60);
    assert_eq!(inputs.len(), 120);
    corpus::one_pass_refuses_what_reading_alone_refuses(inputs);
}

fn every_event_request_is_a_cloudevent(shared: &Shared) {
    corpus::every_event_request_is_a_cloudevent(&shared.events);
}

fn every_http_event_reaches_the_echo_app_as_its_request(shared: &Shared) {
    let checked = corpus::every_http_event_reaches_the_echo_app(&shared.events);
    assert!(checked >= 30, "only {checked} HTTP events passed through");
}

fn google_background_events_carry_the_attributes_googles_mapping_gives(shared: &Shared) {
    let pairs = corpus::google_background_events_carry_googles_attributes(&shared.events);
    assert!(
        pairs >= 17,
        "the conformance pairs are all here: only {pairs}"
    );
}

fn every_conformance_case_goes_through_in_and_out(shared: &Shared) {
    let feature = shared
        .conformance
        .join("features/http-protocol-binding.feature");
    conformance::every_conformance_case_goes_through_in_and_out(&feature);
}

/// The shared files are not also in `fixtures/`: the project carries none of them (issue 31).
/// Only the Apache-2.0 licence text is in both, since fixtures from registry packages need it.
fn no_shared_file_is_also_a_fixture(shared: &Shared) {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(shared.events.root(), &mut files);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let both: Vec<String> = files
        .iter()
        .map(|file| file.strip_prefix(shared.events.root()).unwrap())
        .filter(|relative| *relative != Path::new("LICENSE-Apache-2.0"))
        .filter(|relative| *relative != Path::new("README.md"))
        .filter(|relative| fixtures.join(relative).exists())
        .map(|relative| relative.display().to_string())
        .collect();
    assert!(files.len() >= 230, "only {} shared files", files.len());
    assert!(
        both.is_empty(),
        "in fixtures/ and the shared corpus: {both:?}"
    );
}

/// Any mutation of any shared event through classify and synthesize (`PROPTEST_CASES` cases).
fn any_mutation_of_any_shared_event(shared: &Shared) {
    let handler = Handler::new(Config::default());
    let events: Vec<Value> = shared
        .events
        .expected()
        .into_keys()
        .map(|file| serde_json::from_slice(&shared.events.read(&file)).unwrap())
        .collect();
    // No file of regressions: this harness has no source file to put one beside.
    let config = proptest::test_runner::Config {
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let strategy = (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        mutations::json_value(),
    );
    runner
        .run(&strategy, |(pick, at, replacement)| {
            let event = Event::from_json(mutations::mutated(&events, pick, at, replacement));
            mutations::check(&handler, &event)
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A check and its name, as the filter on the command line matches it.
type Check = (&'static str, fn(&Shared));

const CHECKS: &[Check] = &[
    (
        "every_event_has_an_expected_route_and_every_route_an_event",
        every_event_has_an_expected_route_and_every_route_an_event,
    ),
    (
        "every_event_routes_as_the_table_says",
        every_event_routes_as_the_table_says,
    ),
    (
        "explain_and_the_lambda_path_agree_on_every_event",
        explain_and_the_lambda_path_agree_on_every_event,
    ),
    (
        "reading_only_what_the_rules_name_plans_what_reading_everything_plans",
        reading_only_what_the_rules_name_plans_what_reading_everything_plans,
    ),
    (
        "reading_in_one_pass_refuses_what_reading_alone_refuses",
        reading_in_one_pass_refuses_what_reading_alone_refuses,
    ),
    (
        "every_event_request_is_a_cloudevent",
        every_event_request_is_a_cloudevent,
    ),
    (
        "every_http_event_reaches_the_echo_app_as_its_request",
        every_http_event_reaches_the_echo_app_as_its_request,
    ),
    (
        "google_background_events_carry_the_attributes_googles_mapping_gives",
        google_background_events_carry_the_attributes_googles_mapping_gives,
    ),
    (
        "every_conformance_case_goes_through_in_and_out",
        every_conformance_case_goes_through_in_and_out,
    ),
    (
        "no_shared_file_is_also_a_fixture",
        no_shared_file_is_also_a_fixture,
    ),
    (
        "any_mutation_of_any_shared_event",
        any_mutation_of_any_shared_event,
    ),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The standard harness's flags (`--nocapture`, `--test-threads=1`…) change nothing here;
    // the first other argument filters the checks by name.
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
    let selected: Vec<&Check> = CHECKS
        .iter()
        .filter(|(name, _)| filter.as_deref().is_none_or(|f| name.contains(f)))
        .collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in &selected {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    let shared = match Shared::find() {
        Ok(shared) => shared,
        Err(line) => {
            eprintln!("{line}");
            return ExitCode::FAILURE;
        }
    };
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for (name, check) in &selected {
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&shared)));
        println!(
            "test {name} ... {}",
            if outcome.is_ok() { "ok" } else { "FAILED" }
        );
        if outcome.is_err() {
            failed.push(*name);
        }
    }
    let passed = selected.len() - failed.len();
    if failed.is_empty() {
        println!("\ntest result: ok. {passed} passed; 0 failed\n");
        ExitCode::SUCCESS
    } else {
        println!("\nfailures:\n    {}", failed.join("\n    "));
        println!(
            "\ntest result: FAILED. {passed} passed; {} failed\n",
            failed.len()
        );
        ExitCode::FAILURE
    }
}
