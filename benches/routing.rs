//! Routing cost against its floor: the route from the event's bytes, as the
//! handler takes them (`Handler::read_event`, which checks the bytes and
//! builds what classification reads in one pass, then classify + synthesize:
//! `Handler::explain`), versus parsing the same bytes into a
//! `serde_json::Value`, per source (target 1a), and with 1,000 user rules
//! added to the built-in table (1c); what logging costs when it is off:
//! handling an event with ceh's log subscriber installed at `warn` (a
//! shell's default) or `off`, versus with no subscriber; and, for
//! `benches/duel.py`'s duel with the Python seed (target 4), the in-process
//! handler from an event's bytes to its reply's bytes with a bare app.
//!
//! Beside each ratio stands the least any router that parses into a `Value`
//! could reach for that source: the parse plus assembling the very requests
//! ceh produced from their finished parts (header names and values shared,
//! not copied), with nothing classified, rendered or encoded.
//!
//! `cargo bench --bench routing` measures with criterion, then prints the
//! ratios measured in the same run, in rounds taking turns (the spread is
//! the min–max of the per-round ratios), and writes them to
//! `target/routing-ratios.csv` and `target/routing-figures.json` for
//! `benches/duel.py`. `ROUTING_ROUNDS` sets the rounds (default 21). With
//! `ROUTING_HANDLE_EVENTS=FILE` (one event a line) it only times handling
//! them and prints one JSON line; with `ROUTING_PROFILE=SOURCE` it only
//! routes that source's sample, for a profiler. Under `cargo test --benches` every
//! benchmark runs once, as a smoke test.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use bytes::Bytes;
use cloud_events_handler::Echo;
use cloud_events_handler::{Config, Event, Handler, DEFAULT_MAX_EVENT_BYTES};
use criterion::{criterion_group, Criterion};
use http::Response;
use http::{HeaderMap, Request};
use http_body_util::Full;
use tracing::Dispatch;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;

/// One fixture per source directory: the first event fixture in it that the
/// built-in rules route (a source's first fixture may be one they refuse).
fn samples() -> Vec<(String, Bytes)> {
    let handler = Handler::new(Config::default());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let routes = std::fs::read_to_string(root.join("routes.toml")).unwrap_or_default();
    let mut seen = std::collections::BTreeMap::new();
    for line in routes
        .lines()
        .filter(|l| l.contains("kind = \"event\"") && !l.contains("ResponseURL"))
    {
        let Some(file) = line.split('"').nth(1) else {
            continue;
        };
        let source = file.split('/').next().unwrap_or(file).to_owned();
        if source == "odd" || source == "warmup" || seen.contains_key(&source) {
            continue;
        }
        let Ok(bytes) = std::fs::read(root.join(file)) else {
            continue;
        };
        let routed = Event::from_slice(&bytes).is_ok_and(|e| handler.explain(&e).is_ok());
        if routed {
            seen.insert(source, Bytes::from(bytes));
        }
    }
    seen.into_iter().collect()
}

/// 1,000 realistic user rules: distinct sources and detail types.
fn thousand_rules() -> Config {
    let mut text = String::new();
    for i in 0..1000 {
        text.push_str(&format!(
            "[[rule]]\nname = \"user-{i}\"\npath = \"/orders/{i}\"\n[rule.match]\n\"$.source\" = \"com.example.service{}\"\n\"$['detail-type']\" = \"Event {}\"\n",
            i % 100,
            i / 100
        ));
    }
    Config::parse("bench.toml", &text).unwrap_or_default()
}

/// The event the scale figure routes: the EventBridge sample, which the
/// 1,000 generated rules (distinct sources and detail types) compete for.
fn scale_event(samples: &[(String, Bytes)]) -> Bytes {
    samples
        .iter()
        .find(|(source, _)| source == "eventbridge")
        .map(|(_, bytes)| bytes.clone())
        .unwrap_or_default()
}

/// The route as the handler takes it: from the event's bytes (a `Bytes`
/// buffer, as the Lambda loop and `ceh serve` receive it) to the requests.
fn route(handler: &Handler, bytes: &Bytes) -> usize {
    match handler.read_event(bytes.clone(), DEFAULT_MAX_EVENT_BYTES) {
        Ok(event) => handler.explain(&event).map_or(0, |e| e.requests().len()),
        Err(_) => 0,
    }
}

/// Assembles each request again from its finished parts: a `HeaderMap` of
/// the same size filled with the same (shared) names and values, the same
/// URI, method, version and body. Any router that hands the app these
/// requests does at least this much.
fn assemble(requests: &[Request<Bytes>]) -> usize {
    let mut sink = 0;
    for finished in requests {
        let mut headers = HeaderMap::with_capacity(finished.headers().len());
        for (name, value) in finished.headers() {
            headers.append(name.clone(), value.clone());
        }
        let mut request = Request::new(finished.body().clone());
        *request.method_mut() = finished.method().clone();
        *request.uri_mut() = finished.uri().clone();
        *request.version_mut() = finished.version();
        *request.headers_mut() = headers;
        sink += black_box(request).headers().len();
    }
    sink
}

/// The subscriber `ceh` installs (text format on stderr, a `Targets` filter
/// over a formatter that lets everything through), at `level`, writing to
/// nowhere; or, for `None`, tracing's no-op dispatcher: no subscriber.
fn subscriber(level: Option<LevelFilter>) -> Dispatch {
    match level {
        Some(level) => Dispatch::new(
            tracing_subscriber::fmt()
                .with_max_level(LevelFilter::TRACE)
                .with_target(false)
                .with_writer(std::io::sink)
                .finish()
                .with(Targets::new().with_default(level)),
        ),
        None => Dispatch::none(),
    }
}

/// Handles an event through the built-in echo app (the road the log events
/// are on) with `dispatch` as the thread's subscriber. Each side pays the
/// same for setting it, so the dispatchers can take turns in one process.
fn handle(
    runtime: &tokio::runtime::Runtime,
    handler: &Handler,
    dispatch: &Dispatch,
    bytes: &Bytes,
) -> usize {
    tracing::dispatcher::with_default(dispatch, || {
        let Ok(event) = handler.read_event(bytes.clone(), DEFAULT_MAX_EVENT_BYTES) else {
            return 0;
        };
        runtime
            .block_on(handler.handle(&event, Echo))
            .map_or(0, |reply| usize::from(reply.response().is_some()))
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start the async runtime: {e}"))
}

fn parse(bytes: &[u8]) -> usize {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .map_or(0, |v| v.as_object().map_or(0, |o| o.len()))
}

fn bench(c: &mut Criterion) {
    let handler = Handler::new(Config::default());
    let many = Handler::new(thousand_rules());
    let samples = samples();
    let mut group = c.benchmark_group("floor");
    for (source, bytes) in &samples {
        group.bench_function(format!("{source}/parse"), |b| {
            b.iter(|| parse(black_box(bytes)))
        });
        group.bench_function(format!("{source}/route"), |b| {
            b.iter(|| route(&handler, black_box(bytes)))
        });
    }
    group.finish();
    let custom = scale_event(&samples);
    let mut group = c.benchmark_group("scale");
    group.bench_function("builtin", |b| {
        b.iter(|| route(&handler, black_box(&custom)))
    });
    group.bench_function("builtin+1000", |b| {
        b.iter(|| route(&many, black_box(&custom)))
    });
    group.finish();
    let runtime = runtime();
    let mut group = c.benchmark_group("logging");
    for (name, level) in [
        ("none", None),
        ("off", Some(LevelFilter::OFF)),
        ("warn", Some(LevelFilter::WARN)),
    ] {
        let dispatch = subscriber(level);
        group.bench_function(name, |b| {
            b.iter(|| handle(&runtime, &handler, &dispatch, black_box(&custom)))
        });
    }
    group.finish();
}

/// The rounds of the ratio table: `ROUTING_ROUNDS`, else 21.
fn rounds() -> usize {
    std::env::var("ROUTING_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(21)
}

/// The time per call of each of `calls` in each of `rounds()` timed
/// batches, the calls taking turns in an order that reverses every round
/// (abc, cba, …) so that the machine's drift falls on all alike: a
/// sub-microsecond call's batch lasts about a millisecond, and timing all of
/// one before the other let a frequency change between them move a small
/// event's ratio by a third.
fn per_round(calls: &mut [&mut dyn FnMut() -> usize]) -> Vec<Vec<f64>> {
    let batch = |call: &mut dyn FnMut() -> usize| {
        let started = Instant::now();
        let mut sink = 0;
        for _ in 0..2000 {
            sink += call();
        }
        black_box(sink);
        started.elapsed().as_secs_f64() / 2000.0
    };
    let mut times = vec![Vec::new(); calls.len()];
    for round in 0..rounds() {
        let mut order: Vec<usize> = (0..calls.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            times[i].push(batch(&mut *calls[i]));
        }
    }
    times
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The median of `a ÷ b` and the min–max of the per-round ratios.
fn ratio(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let per_round: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
    let (min, max) = per_round
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
            (lo.min(*r), hi.max(*r))
        });
    (median(a) / median(b), min, max)
}

/// A bare app, as bare as the seed's WSGI app: 200 "ok" to anything. The
/// quotes make it JSON, which the sources whose reply is the app's body
/// (authorizers, AppSync, Alexa…) need.
fn bare_app() -> impl cloud_events_handler::app::App<Body = Full<Bytes>> + Clone {
    tower::service_fn(|_request: Request<Full<Bytes>>| async {
        let mut response = Response::new(Full::new(Bytes::from_static(b"\"ok\"")));
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        Ok::<_, std::convert::Infallible>(response)
    })
}

/// From an event's bytes to its reply's bytes, as the Lambda loop does
/// it, with the bare app in process: `Ok(reply bytes)`, or `Err(error
/// bytes)` when the event is refused (its error serialized as Lambda's
/// error response is, so a refusal costs its output too).
fn handle_to_bytes(
    runtime: &tokio::runtime::Runtime,
    handler: &Handler,
    bytes: &Bytes,
) -> Result<usize, usize> {
    let error = |message: String| {
        let body = serde_json::json!({"errorType": "HandleError", "errorMessage": message});
        serde_json::to_vec(&body).map_or(0, |out| out.len())
    };
    let event = handler
        .read_event(bytes.clone(), DEFAULT_MAX_EVENT_BYTES)
        .map_err(|e| error(e.to_string()))?;
    match runtime.block_on(handler.handle(&event, bare_app())) {
        Ok(reply) => Ok(serde_json::to_vec(&reply).map_or(0, |out| out.len())),
        Err(e) => Err(error(e.to_string())),
    }
}

/// `ROUTING_HANDLE_EVENTS=FILE`: handles each line of FILE once, on one
/// core, and prints `{"events", "seconds", "failed", "parse_seconds"}`
/// (the last: parsing them into a `Value`, the floor). Under callgrind,
/// `--toggle-collect=routing::handle_file` counts only the handling.
#[inline(never)]
fn handle_file(path: &str) {
    let text = std::fs::read(path).unwrap_or_default();
    let events: Vec<Bytes> = text
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(Bytes::copy_from_slice)
        .collect();
    let runtime = runtime();
    let handler = Handler::new(Config::default());
    let started = Instant::now();
    let failed = events
        .iter()
        .filter(|bytes| handle_to_bytes(&runtime, &handler, bytes).is_err())
        .count();
    let seconds = started.elapsed().as_secs_f64();
    // The floor of any JSON-in handler: parsing the same events into a Value.
    let started = Instant::now();
    let parsed: usize = events.iter().map(|bytes| parse(bytes)).sum();
    let parse_seconds = started.elapsed().as_secs_f64();
    black_box(parsed);
    println!(
        "{{\"events\": {}, \"seconds\": {seconds}, \"failed\": {failed}, \"parse_seconds\": {parse_seconds}}}",
        events.len()
    );
}

/// Ratios measured in one run (shared, noisy machines: compare within a run).
fn ratios() {
    if std::env::args().all(|a| a != "--bench") {
        return; // smoke test under `cargo test --benches`
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let handler = Handler::new(Config::default());
    let many = Handler::new(thousand_rules());
    let mut csv = String::from("source,parse_ns,route_ns,ratio,assemble_ns,floor,min,max\n");
    println!(
        "\nroute from the bytes vs parsing the same bytes into a Value ({cores} cores, {} rounds in turns); \
         floor: the parse plus assembling the same requests; spread: min–max of the per-round ratios",
        rounds()
    );
    println!(
        "{:<22} {:>10} {:>10} {:>7} {:>13} {:>7}",
        "source", "parse", "route", "ratio", "spread", "floor"
    );
    let samples = samples();
    let mut ratios = Vec::new();
    for (source, bytes) in &samples {
        let event = match Event::from_bytes(bytes.clone()) {
            Ok(event) => event,
            Err(reason) => {
                println!("{source:<22} not routed: {reason}");
                continue;
            }
        };
        let explained = match handler.explain(&event) {
            Ok(explained) => explained,
            Err(reason) => {
                println!("{source:<22} not routed: {reason}");
                continue;
            }
        };
        let requests = explained.requests();
        let times = per_round(&mut [
            &mut || parse(bytes),
            &mut || route(&handler, bytes),
            &mut || assemble(requests),
        ]);
        let (parse_time, route_time, assemble_time) =
            (median(&times[0]), median(&times[1]), median(&times[2]));
        let (ratio, min, max) = ratio(&times[1], &times[0]);
        let floor = (parse_time + assemble_time) / parse_time;
        ratios.push((source.clone(), ratio, min, max));
        println!(
            "{source:<22} {:>8.0}ns {:>8.0}ns {ratio:>6.2}x {min:>5.2}–{max:<5.2}x {floor:>6.2}x",
            parse_time * 1e9,
            route_time * 1e9
        );
        csv.push_str(&format!(
            "{source},{:.0},{:.0},{ratio:.3},{:.0},{floor:.3},{min:.3},{max:.3}\n",
            parse_time * 1e9,
            route_time * 1e9,
            assemble_time * 1e9
        ));
    }
    let all: Vec<f64> = ratios.iter().map(|(_, r, _, _)| *r).collect();
    let median_ratio = median(&all);
    let worst = ratios
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .cloned()
        .unwrap_or_default();
    let within = all.iter().filter(|r| **r <= 1.5).count();
    let met = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "1a median over {} sources: {median_ratio:.2}x (target ≤ 1.0x: {}); worst {} {:.2}x, {within} of {} within 1.5x (target all: {})",
        all.len(),
        met(median_ratio <= 1.0),
        worst.0,
        worst.1,
        all.len(),
        met(within == all.len())
    );
    let custom = scale_event(&samples);
    let times = per_round(&mut [&mut || route(&handler, &custom), &mut || {
        route(&many, &custom)
    }]);
    let (scale, scale_min, scale_max) = ratio(&times[1], &times[0]);
    println!(
        "1c scale: built-in {:.0}ns, with 1,000 user rules {:.0}ns: {scale:.2}x [{scale_min:.2}–{scale_max:.2}] (target ≤ 1.5x: {})",
        median(&times[0]) * 1e9,
        median(&times[1]) * 1e9,
        met(scale <= 1.5)
    );
    csv.push_str(&format!(
        "scale,{:.0},{:.0},{scale:.3},,,{scale_min:.3},{scale_max:.3}\n",
        median(&times[0]) * 1e9,
        median(&times[1]) * 1e9,
    ));
    let runtime = runtime();
    let (none, off, warn) = (
        subscriber(None),
        subscriber(Some(LevelFilter::OFF)),
        subscriber(Some(LevelFilter::WARN)),
    );
    let times = per_round(&mut [
        &mut || handle(&runtime, &handler, &none, &custom),
        &mut || handle(&runtime, &handler, &off, &custom),
        &mut || handle(&runtime, &handler, &warn, &custom),
    ]);
    let (off_ratio, off_min, off_max) = ratio(&times[1], &times[0]);
    let (warn_ratio, warn_min, warn_max) = ratio(&times[2], &times[0]);
    println!(
        "logging: handled with no subscriber {:.0}ns; subscriber at off {:.0}ns: {off_ratio:.2}x [{off_min:.2}–{off_max:.2}]; at warn {:.0}ns: {warn_ratio:.2}x [{warn_min:.2}–{warn_max:.2}]",
        median(&times[0]) * 1e9,
        median(&times[1]) * 1e9,
        median(&times[2]) * 1e9,
    );
    let figures = serde_json::json!({
        "cores": cores,
        "rounds": rounds(),
        "route_over_parse": {
            "median": median_ratio,
            "worst": {"source": worst.0, "ratio": worst.1, "min": worst.2, "max": worst.3},
            "within_1_5": within,
            "sources": all.len(),
            "spread_of_medians": [
                median(&ratios.iter().map(|r| r.2).collect::<Vec<_>>()),
                median(&ratios.iter().map(|r| r.3).collect::<Vec<_>>()),
            ],
        },
        "scale": {"ratio": scale, "min": scale_min, "max": scale_max},
        "logging": {"off": off_ratio, "warn": warn_ratio},
    });
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    if std::fs::write(target.join("routing-ratios.csv"), csv).is_ok()
        && std::fs::write(target.join("routing-figures.json"), figures.to_string()).is_ok()
    {
        println!("wrote target/routing-ratios.csv and target/routing-figures.json");
    }
}

criterion_group!(benches, bench);

/// `ROUTING_PROFILE=SOURCE` routes that source's sample 2,000 times (and
/// `SOURCE/parse` parses it), for a profiler: under callgrind,
/// `--toggle-collect=routing::profiled` counts only this.
fn profile(what: &str) {
    let handler = Handler::new(Config::default());
    let (source, parse_only) = match what.strip_suffix("/parse") {
        Some(source) => (source, true),
        None => (what, false),
    };
    let Some((_, bytes)) = samples().into_iter().find(|(s, _)| s == source) else {
        return println!("no sample of {source}");
    };
    println!("{what}: {}", profiled(&handler, &bytes, parse_only));
}

#[inline(never)]
fn profiled(handler: &Handler, bytes: &Bytes, parse_only: bool) -> usize {
    let mut sink = 0;
    for _ in 0..2000 {
        sink += if parse_only {
            parse(black_box(bytes))
        } else {
            route(handler, black_box(bytes))
        };
    }
    sink
}

fn main() {
    // The duel's and a profiler's modes: one measurement, no criterion.
    if std::env::args().any(|a| a == "--bench") {
        if let Ok(path) = std::env::var("ROUTING_HANDLE_EVENTS") {
            return handle_file(&path);
        }
        if let Ok(what) = std::env::var("ROUTING_PROFILE") {
            return profile(&what);
        }
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
