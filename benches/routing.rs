//! Routing cost against its floor: classify + synthesize (`Handler::explain`)
//! versus parsing the same bytes into a `serde_json::Value`, per source, and
//! with 1,000 user rules added to the built-in table; and what logging costs
//! when it is off: handling an event with ceh's log subscriber installed at
//! `warn` (a shell's default) or `off`, versus with no subscriber.
//!
//! Beside each ratio stands the least any router that parses into a `Value`
//! could reach for that source: the parse plus assembling the very requests
//! ceh produced from their finished parts (header names and values shared,
//! not copied), with nothing classified, rendered or encoded.
//!
//! `cargo bench --bench routing` measures with criterion, then prints the
//! ratios measured in the same run (and writes them to
//! `target/routing-ratios.csv` for `benches/duel.py`'s chart). Under
//! `cargo test --benches` every benchmark runs once, as a smoke test.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use bytes::Bytes;
use cloud_events_handler::Echo;
use cloud_events_handler::{Config, Event, Handler};
use criterion::{criterion_group, Criterion};
use http::{HeaderMap, Request};
use tracing::Dispatch;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;

/// One fixture per source directory: the first event fixture in it.
fn samples() -> Vec<(String, Vec<u8>)> {
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
        if let Ok(bytes) = std::fs::read(root.join(file)) {
            seen.insert(source, bytes);
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
fn scale_event(samples: &[(String, Vec<u8>)]) -> Vec<u8> {
    samples
        .iter()
        .find(|(source, _)| source == "eventbridge")
        .map(|(_, bytes)| bytes.clone())
        .unwrap_or_default()
}

fn route(handler: &Handler, bytes: &[u8]) -> usize {
    match Event::from_slice(bytes) {
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
    bytes: &[u8],
) -> usize {
    tracing::dispatcher::with_default(dispatch, || {
        let Ok(event) = Event::from_slice(bytes) else {
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

/// The time per call of each of `calls`, each the median of 15 timed
/// batches, the calls taking turns in an order that reverses every round
/// (abc, cba, …) so that the machine's drift falls on all alike: a
/// sub-microsecond call's batch lasts about a millisecond, and timing all of
/// one before the other let a frequency change between them move a small
/// event's ratio by a third.
fn per_call(calls: &mut [&mut dyn FnMut() -> usize]) -> Vec<f64> {
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
    for round in 0..15 {
        let mut order: Vec<usize> = (0..calls.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            times[i].push(batch(&mut *calls[i]));
        }
    }
    times
        .into_iter()
        .map(|mut times| {
            times.sort_by(f64::total_cmp);
            times[times.len() / 2]
        })
        .collect()
}

/// Ratios measured in one run (shared, noisy machines: compare within a run).
fn ratios() {
    if std::env::args().all(|a| a != "--bench") {
        return; // smoke test under `cargo test --benches`
    }
    let handler = Handler::new(Config::default());
    let many = Handler::new(thousand_rules());
    let mut csv = String::from("source,parse_ns,route_ns,ratio,assemble_ns,floor\n");
    println!(
        "\nrouting vs parsing the same bytes ({} cores); floor: the parse plus assembling the same requests",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:<22} {:>10} {:>10} {:>7} {:>7}",
        "source", "parse", "route", "ratio", "floor"
    );
    let samples = samples();
    let (mut within, mut out_of_reach) = (0, 0);
    for (source, bytes) in &samples {
        let event = match Event::from_slice(bytes) {
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
        let times = per_call(&mut [
            &mut || parse(bytes),
            &mut || route(&handler, bytes),
            &mut || assemble(requests),
        ]);
        let (parse_time, route_time, assemble_time) = (times[0], times[1], times[2]);
        let ratio = route_time / parse_time;
        let floor = (parse_time + assemble_time) / parse_time;
        within += usize::from(ratio <= 1.3);
        out_of_reach += usize::from(floor > 1.3);
        println!(
            "{source:<22} {:>8.0}ns {:>8.0}ns {ratio:>6.2}x {floor:>6.2}x",
            parse_time * 1e9,
            route_time * 1e9
        );
        csv.push_str(&format!(
            "{source},{:.0},{:.0},{ratio:.3},{:.0},{floor:.3}\n",
            parse_time * 1e9,
            route_time * 1e9,
            assemble_time * 1e9
        ));
    }
    println!(
        "{within} of {} sources within 1.3x; for {out_of_reach}, assembling the requests alone puts the floor above 1.3x",
        samples.len()
    );
    let custom = scale_event(&samples);
    let times = per_call(&mut [&mut || route(&handler, &custom), &mut || {
        route(&many, &custom)
    }]);
    let (base, scaled) = (times[0], times[1]);
    println!(
        "scale: built-in {:.0}ns, with 1,000 user rules {:.0}ns: {:.2}x",
        base * 1e9,
        scaled * 1e9,
        scaled / base
    );
    csv.push_str(&format!(
        "scale,{:.0},{:.0},{:.3},,\n",
        base * 1e9,
        scaled * 1e9,
        scaled / base
    ));
    let runtime = runtime();
    let (none, off, warn) = (
        subscriber(None),
        subscriber(Some(LevelFilter::OFF)),
        subscriber(Some(LevelFilter::WARN)),
    );
    let times = per_call(&mut [
        &mut || handle(&runtime, &handler, &none, &custom),
        &mut || handle(&runtime, &handler, &off, &custom),
        &mut || handle(&runtime, &handler, &warn, &custom),
    ]);
    println!(
        "logging: handled with no subscriber {:.0}ns; subscriber at off {:.0}ns: {:.2}x; at warn {:.0}ns: {:.2}x",
        times[0] * 1e9,
        times[1] * 1e9,
        times[1] / times[0],
        times[2] * 1e9,
        times[2] / times[0]
    );
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/routing-ratios.csv");
    if std::fs::write(&out, csv).is_ok() {
        println!("wrote {}", out.display());
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
