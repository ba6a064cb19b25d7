//! A corpus of sample events (a directory of `*.json` files and the table of their expected
//! routes) and the checks every one of its files must pass. Both test targets include this
//! module: `tests/it` runs the checks on the project's `fixtures/`, `tests/shared_events` on
//! the public repositories' samples in `../shared/events`, so one function checks both.

// Each target uses a part: the Google and conformance checks only the shared corpus has files for.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use cloud_events_handler::{rule::Route, Config, Echo, Event, Handler, Reply, RuleTable};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use serde::Deserialize;
use serde_json::Value;

/// One row of a routes table (`fixtures/routes.toml`, `tests/shared_events/routes.toml`).
#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub rule: String,
    pub kind: String,
    pub path: Option<String>,
    /// The `errorType` of ceh's refusal, for an event it refuses.
    pub refused: Option<String>,
}

/// A directory of events and the table that says how each must route.
pub struct Corpus {
    root: PathBuf,
    routes: PathBuf,
}

impl Corpus {
    /// The events under `root`, their expected routes in the TOML table at `routes`.
    pub fn new(root: PathBuf, routes: PathBuf) -> Self {
        Self { root, routes }
    }

    /// The directory the events are in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every `*.json` file under the root, relative to it, sorted.
    pub fn all(&self) -> Vec<String> {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, base, out);
                } else if path.extension().is_some_and(|e| e == "json") {
                    let relative = path
                        .strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.push(relative);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &self.root, &mut out);
        out.sort();
        out
    }

    /// The expected-route table, keyed by the file's path relative to the root.
    pub fn expected(&self) -> BTreeMap<String, Expected> {
        let text = std::fs::read_to_string(&self.routes)
            .unwrap_or_else(|e| panic!("{}: {e}", self.routes.display()));
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", self.routes.display()))
    }

    /// A file's bytes, by its path relative to the root.
    pub fn read(&self, relative: &str) -> Vec<u8> {
        std::fs::read(self.root.join(relative))
            .unwrap_or_else(|e| panic!("{}: {e}", self.root.join(relative).display()))
    }
}

/// Every file has a row in the table, and every row a file.
pub fn table_matches_files(corpus: &Corpus) {
    let files: std::collections::BTreeSet<String> = corpus.all().into_iter().collect();
    let rows: std::collections::BTreeSet<String> = corpus.expected().into_keys().collect();
    let missing: Vec<_> = files.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(&files).collect();
    let table = corpus.routes.display();
    assert!(
        missing.is_empty(),
        "files without a row in {table}: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows in {table} without a file: {stale:?}"
    );
}

/// Each file, through the built-in rules, matches the rule of its row, of its kind, and an
/// event's first request goes to the row's path (or ceh refuses it with the row's `errorType`).
pub fn routes_as_the_table_says(corpus: &Corpus) {
    let table = RuleTable::builtin();
    let handler = Handler::new(Config::default());
    let mut wrong = Vec::new();
    for (file, expected) in corpus.expected() {
        let event =
            Event::from_slice(&corpus.read(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let found = table
            .classify(&event)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let rule = found.rule();
        let kind = rule.kind();
        let (path, refused) = match rule.route() {
            Route::Event { .. } => match handler.explain(&event) {
                // A rule that ignores its events sends no request.
                Ok(explained) => (
                    explained
                        .requests()
                        .first()
                        .map(|r| r.uri().path().to_owned()),
                    None,
                ),
                Err(err) => (None, Some(err.kind().error_type().to_owned())),
            },
            _ => (None, None),
        };
        let got = Expected {
            rule: rule.name().to_owned(),
            kind: kind.to_owned(),
            path,
            refused,
        };
        if got != expected {
            wrong.push(format!("{file}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} file(s) misrouted:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Every request the app received, as it received it.
pub type Received = Arc<Mutex<Vec<Request<Bytes>>>>;

/// An app that records each request and answers `200 {}` (JSON, so every reply mode takes it).
pub fn recorder(
    received: Received,
) -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(move |request: Request<Full<Bytes>>| {
        let received = received.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            received
                .lock()
                .unwrap()
                .push(Request::from_parts(parts, body));
            Ok(Response::new(Full::new(Bytes::from_static(b"{}"))))
        }
    })
}

/// A runtime for one test's calls.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A request's method, URI, headers and body, to compare two requests whole.
pub fn described(request: &Request<Bytes>) -> String {
    let mut text = format!(
        "{} {} {:?}\n",
        request.method(),
        request.uri(),
        request.version()
    );
    for (name, value) in request.headers() {
        text.push_str(&format!("{name}: {value:?}\n"));
    }
    text.push_str(&String::from_utf8_lossy(request.body()));
    text
}

/// A batch's requests may reach the app in any order across groups: put them in record order.
fn record_order(requests: &mut [Request<Bytes>]) {
    requests.sort_by_key(|request| {
        request
            .headers()
            .get("ceh-record-index")
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .unwrap_or(0)
    });
}

/// On every file, `explain` plans exactly what the Lambda path sends (or refuses it the same
/// way, sending nothing). Returns how many files were planned (not refused).
pub fn explain_and_the_lambda_path_agree(corpus: &Corpus) -> usize {
    let handler = Handler::new(Config::default());
    let runtime = runtime();
    let mut compared = 0;
    for file in corpus.all() {
        let mut json: Value = serde_json::from_slice(&corpus.read(&file)).unwrap();
        if json.get("ResponseURL").is_some() {
            // A custom resource's result goes to its ResponseURL: never off this machine.
            json["ResponseURL"] = "http://127.0.0.1:9/cloudformation".into();
        }
        let event = Event::from_json(json);
        let plan = handler.explain(&event);
        let received = Received::default();
        let outcome = runtime.block_on(handler.handle(&event, recorder(received.clone())));
        let mut sent = std::mem::take(&mut *received.lock().unwrap());
        record_order(&mut sent);
        let plan = match plan {
            Ok(plan) => plan,
            Err(refused) => {
                // The same refusal on both roads, and nothing sent to the app.
                let err = outcome.expect_err(&file);
                assert_eq!(err.to_string(), refused.to_string(), "{file}");
                assert_eq!(err.kind(), refused.kind(), "{file}");
                assert!(sent.is_empty(), "{file}");
                continue;
            }
        };
        let planned: Vec<String> = plan.requests().iter().map(described).collect();
        let delivered: Vec<String> = sent.iter().map(described).collect();
        assert_eq!(planned, delivered, "{file}: rule {}", plan.rule().name());
        if let Some(refusal) = plan.refusal() {
            match outcome {
                Ok(Reply::Http { response, .. }) => {
                    assert_eq!(response.status(), refusal.status(), "{file}");
                    assert_eq!(response.body(), refusal.body(), "{file}");
                }
                other => panic!("{file}: a refused HTTP event got {other:?}"),
            }
        }
        compared += 1;
    }
    compared
}

/// Routing reads only what the rules name: on every file, as the bytes arrived, a handler that
/// builds only that (its own view of the event) plans exactly what a handler reading all of the
/// event's JSON plans — the same rule, the same requests byte for byte, the same refusal. Every
/// file is compared twice (read with its view, and alone); returns how many comparisons.
pub fn pruned_reading_plans_what_whole_reading_plans(corpus: &Corpus) -> usize {
    let pruning = Handler::new(Config::default());
    // Another table: the event's views were built for the first, so this one reads all of it.
    let whole = Handler::new(Config::default());
    let files = corpus.all();
    let mut compared = 0;
    for file in &files {
        let bytes = Bytes::from(corpus.read(file));
        for event in [
            pruning
                .read_event(bytes.clone(), cloud_events_handler::DEFAULT_MAX_EVENT_BYTES)
                .unwrap(),
            Event::from_bytes(bytes.clone()).unwrap(),
        ] {
            let pruned = pruning.explain(&event);
            let full = whole.explain(&event);
            match (pruned, full) {
                (Ok(pruned), Ok(full)) => {
                    assert_eq!(pruned.rule().name(), full.rule().name(), "{file}");
                    let a: Vec<String> = pruned.requests().iter().map(described).collect();
                    let b: Vec<String> = full.requests().iter().map(described).collect();
                    assert_eq!(a, b, "{file}");
                    assert_eq!(pruned.answer(), full.answer(), "{file}");
                    assert_eq!(
                        pruned.refusal().map(|r| (r.status(), r.body().clone())),
                        full.refusal().map(|r| (r.status(), r.body().clone())),
                        "{file}"
                    );
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{file}"),
                (a, b) => panic!("{file}: {:?} against {:?}", a.err(), b.err()),
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 2 * files.len(), "every file, both ways");
    compared
}

/// The first `count` files, each cut short, and each with a stray byte in its middle.
pub fn broken_copies(corpus: &Corpus, count: usize) -> Vec<Vec<u8>> {
    let mut inputs = Vec::new();
    for file in corpus.all().into_iter().take(count) {
        let bytes = corpus.read(&file);
        inputs.push(bytes[..bytes.len() / 2].to_vec());
        let mut stray = bytes.clone();
        let middle = stray.len() / 2;
        stray.insert(middle, b'#');
        inputs.push(stray);
    }
    inputs
}

/// Reading an event and its view in one pass refuses exactly what reading the event alone
/// refuses, with the same error, on each input.
pub fn one_pass_refuses_what_reading_alone_refuses(inputs: Vec<Vec<u8>>) {
    let handler = Handler::new(Config::default());
    for input in inputs {
        let bytes = Bytes::from(input);
        let alone = Event::from_bytes(bytes.clone()).map(|_| ());
        let one_pass = handler
            .read_event(bytes.clone(), cloud_events_handler::DEFAULT_MAX_EVENT_BYTES)
            .map(|_| ());
        assert_eq!(one_pass, alone, "{:?}", String::from_utf8_lossy(&bytes));
    }
}

/// Every request of every event the table says ceh routes (and does not refuse) parses as a
/// CloudEvent in binary mode.
pub fn every_event_request_is_a_cloudevent(corpus: &Corpus) {
    let handler = Handler::new(Config::default());
    for (file, expected) in corpus.expected() {
        if expected.kind != "event" || expected.refused.is_some() {
            continue;
        }
        let event = Event::from_slice(&corpus.read(&file)).unwrap();
        for request in handler.explain(&event).unwrap().requests() {
            let parsed =
                cloudevents::binding::http::to_event(request.headers(), request.body().to_vec())
                    .or_else(|err| sdk_without_relative_dataschema(request, err));
            assert!(parsed.is_ok(), "{file}: {parsed:?}");
        }
    }
}

/// The Rust SDK takes only an absolute `dataschema`, where ceh forwards a structured event whose
/// `dataschema` is a URI-reference (`#`, as Azure Event Grid sends it; see docs/cloudevents.md) as it
/// came: such an event must be a CloudEvent in every other respect.
fn sdk_without_relative_dataschema(
    request: &Request<Bytes>,
    err: cloudevents::message::Error,
) -> Result<cloudevents::Event, cloudevents::message::Error> {
    let mut json: Value = match serde_json::from_slice(request.body()) {
        Ok(json) => json,
        Err(_) => return Err(err),
    };
    let relative = json["dataschema"]
        .as_str()
        .is_some_and(|s| url::Url::parse(s).is_err());
    match json.as_object_mut() {
        Some(members) if relative => {
            members.shift_remove("dataschema");
            let body = serde_json::to_vec(&json).unwrap_or_default();
            cloudevents::binding::http::to_event(request.headers(), body)
        }
        _ => Err(err),
    }
}

/// Every HTTP event reaches the echo app as the request it carries (or, when explain shows a
/// refusal, the Lambda replies 400 with the reason). Returns how many went through.
pub fn every_http_event_reaches_the_echo_app(corpus: &Corpus) -> usize {
    let handler = Handler::new(Config::default());
    let runtime = runtime();
    let mut checked = 0;
    for (file, expected) in corpus.expected() {
        if expected.kind != "http" {
            continue;
        }
        let event = Event::from_slice(&corpus.read(&file)).unwrap();
        let reply: Value = runtime
            .block_on(handler.handle(&event, Echo))
            .map(Reply::into_json)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let explained = handler
            .explain(&event)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        if let Some(refusal) = explained.refusal() {
            // A console test template whose Host is a placeholder is the client's
            // fault: explain shows the refusal, and the Lambda replies 400 with the reason.
            assert_eq!(refusal.status(), 400, "{file}");
            assert_eq!(reply["statusCode"], 400, "{file}: {reply}");
            assert_eq!(
                reply["body"],
                String::from_utf8_lossy(refusal.body()).as_ref(),
                "{file}"
            );
            assert!(explained.requests().is_empty(), "{file}");
            continue;
        }
        assert_eq!(reply["statusCode"], 200, "{file}: {reply}");
        let seen: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
        assert_eq!(seen["path"], explained.requests()[0].uri().path(), "{file}");
        assert_eq!(
            seen["method"],
            explained.requests()[0].method().as_str(),
            "{file}"
        );
        checked += 1;
    }
    checked
}

/// Google's conformance pairs (`gcf/conformance/` of the corpus, the attributes in its
/// `expected.toml`): each legacy background event, in either form, gets the CloudEvent
/// attributes Google's own frameworks give it. Returns how many pairs were checked.
pub fn google_background_events_carry_googles_attributes(corpus: &Corpus) -> usize {
    let handler = Handler::new(Config::default());
    let expected: toml::Table =
        toml::from_str(&String::from_utf8(corpus.read("gcf/conformance/expected.toml")).unwrap())
            .unwrap();
    for (name, attributes) in &expected {
        let file = format!("gcf/conformance/{name}.json");
        let event = Event::from_slice(&corpus.read(&file)).unwrap();
        let explained = handler.explain(&event).unwrap();
        let request = &explained.requests()[0];
        for key in ["id", "source", "type", "subject", "time"] {
            let seen = request
                .headers()
                .get(format!("ce-{key}"))
                .map(|v| v.to_str().unwrap());
            let wanted = attributes.get(key).and_then(|v| v.as_str());
            assert_eq!(seen, wanted, "{file}: ce-{key}");
        }
    }
    expected.len()
}

/// A CloudEvent's data as JSON (`null` when it has none).
pub fn data_json(event: &cloudevents::Event) -> Value {
    use cloudevents::Data;
    match event.data() {
        Some(Data::Json(v)) => v.clone(),
        Some(Data::String(s)) => serde_json::from_str(s).unwrap(),
        Some(Data::Binary(b)) => serde_json::from_slice(b).unwrap(),
        None => Value::Null,
    }
}
