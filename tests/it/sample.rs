//! `ceh sample`: every sample is a fixture, byte for byte, and routes as
//! `fixtures/routes.toml` says; the overrides land where they should.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::cli::{ceh, check, stderr, stdout};
use crate::fixtures;

/// What `ceh sample` lists: each sample's name and the flags that apply to it.
fn listed() -> Vec<(String, Vec<String>)> {
    let output = ceh(&["sample"], b"");
    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (flags_at, description_at) = (
        header.find("FLAGS").unwrap(),
        header.find("DESCRIPTION").unwrap(),
    );
    assert!(header.starts_with("NAME "), "{header}");
    lines
        .map(|line| {
            let name = line[..flags_at].trim().to_owned();
            let flags = line[flags_at..description_at]
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            (name, flags)
        })
        .collect()
}

/// A sample's bytes, as `ceh sample NAME ARGS…` prints them.
fn sample(name: &str, args: &[&str]) -> Vec<u8> {
    let output = ceh(&[&["sample", name], args].concat(), b"");
    assert_eq!(stderr(&output), "", "ceh sample {name} {args:?}");
    assert_eq!(output.status.code(), Some(0), "ceh sample {name} {args:?}");
    output.stdout
}

/// `ceh explain --format json -` of an event.
fn explain(event: &[u8]) -> Value {
    let output = ceh(&["explain", "--format", "json", "-"], event);
    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(0));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The fixtures whose bytes these are (a few fixtures are copies of others).
fn fixtures_of(bytes: &[u8]) -> Vec<String> {
    fixtures::all()
        .into_iter()
        .filter(|file| fixtures::read(file) == bytes)
        .collect()
}

#[test]
fn every_sample_is_a_fixture_and_routes_as_the_table_says() {
    let listed = listed();
    let names: Vec<&String> = listed.iter().map(|(name, _)| name).collect();
    assert!(
        names.windows(2).all(|w| w[0] < w[1]),
        "not sorted: {names:?}"
    );
    let expected = fixtures::expected();
    let mut rules = BTreeSet::new();
    for name in names {
        let bytes = sample(name, &[]);
        let files = fixtures_of(&bytes);
        assert!(!files.is_empty(), "{name} is no fixture's bytes");
        let explained = explain(&bytes);
        for file in files {
            let row = &expected[&file];
            let path = explained["requests"][0]["path"].as_str().map(str::to_owned);
            let got = fixtures::Expected {
                rule: explained["rule"].as_str().unwrap().to_owned(),
                kind: explained["kind"].as_str().unwrap().to_owned(),
                path: path.filter(|_| row.kind == "event"),
                refused: None,
            };
            assert_eq!(&got, row, "{name} ({file})");
        }
        rules.insert(explained["rule"].as_str().unwrap().to_owned());
    }
    let table = cloud_events_handler::RuleTable::builtin();
    let unsampled: Vec<&str> = table
        .rules()
        .iter()
        .map(|rule| rule.name())
        .filter(|name| !rules.contains(*name))
        .collect();
    assert!(
        unsampled.is_empty(),
        "built-in rules without a sample: {unsampled:?}"
    );
}

#[test]
fn cargo_package_carries_exactly_the_sampled_fixtures() {
    let manifest = std::fs::read_to_string(fixtures::root().join("../Cargo.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&manifest).unwrap();
    let included: BTreeSet<String> = manifest["package"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry.as_str()?.strip_prefix("/fixtures/"))
        .filter(|file| file.ends_with(".json"))
        .map(str::to_owned)
        .collect();
    let mut embedded = BTreeSet::new();
    for (name, _) in listed() {
        // Of a sample's identical fixtures, the one included is the one embedded.
        let files = fixtures_of(&sample(&name, &[]));
        let packed: Vec<&String> = files.iter().filter(|f| included.contains(*f)).collect();
        assert_eq!(packed.len(), 1, "{name}: {files:?} in Cargo.toml's include");
        embedded.insert(packed[0].clone());
    }
    assert_eq!(
        included, embedded,
        "Cargo.toml includes fixtures no sample embeds"
    );
}

#[test]
fn a_sample_is_its_fixture_byte_for_byte() {
    let put = String::from_utf8(fixtures::read("s3/put.json")).unwrap();
    check(&["sample", "s3/put"], b"", 0, &put, "");
    let sns = String::from_utf8(fixtures::read("sns/notification.json")).unwrap();
    check(&["sample", "sns/basic"], b"", 0, &sns, "");
}

#[test]
fn an_unknown_sample_points_to_the_list() {
    let err = "ceh: no sample named s3/get (s3 has s3/put); ceh sample lists them all\n";
    check(&["sample", "s3/get"], b"", 2, "", err);
    let err =
        "ceh: no sample named kinesis (kinesis has kinesis/basic); ceh sample lists them all\n";
    check(&["sample", "kinesis"], b"", 2, "", err);
    let err = "ceh: no sample named nosuch/thing; ceh sample lists them all\n";
    check(&["sample", "nosuch/thing"], b"", 2, "", err);
}

#[test]
fn a_flag_that_does_not_apply_is_a_usage_error() {
    let err = "ceh: --bucket does not apply to sqs/basic: it is for S3 samples (ceh sample lists each sample's flags)\n";
    check(&["sample", "sqs/basic", "--bucket", "b"], b"", 2, "", err);
    let err = "ceh: --path does not apply to s3/put: it is for HTTP samples (API Gateway, ALB, function URL, VPC Lattice) (ceh sample lists each sample's flags)\n";
    check(
        &["sample", "s3/put", "--key", "k", "--path", "/x"],
        b"",
        2,
        "",
        err,
    );
    let err = "ceh: --body does not apply to websocket/message: it is for SQS and SNS samples (ceh sample lists each sample's flags)\n";
    check(
        &["sample", "websocket/message", "--body", "x"],
        b"",
        2,
        "",
        err,
    );
    let err = "ceh: --path must start with / and carry no query or fragment, e.g. /orders/7\n";
    check(&["sample", "alb/get", "--path", "/a?b=1"], b"", 2, "", err);
    let err = "ceh: --method is not an HTTP method, e.g. GET or POST\n";
    check(&["sample", "alb/get", "--method", "GE T"], b"", 2, "", err);
    let err = "ceh: --source needs a value\n";
    check(
        &["sample", "eventbridge/basic", "--source", ""],
        b"",
        2,
        "",
        err,
    );
}

/// Each flag's value, and what `ceh explain` must then show.
fn overridden(flag: &str) -> &'static str {
    match flag {
        "--bucket" => "photos",
        "--key" => "2026/a b.jpg",
        "--body" => "hello from ceh sample",
        "--source" => "com.example.shop",
        "--detail-type" => "Cart Abandoned",
        "--path" => "/orders/7",
        "--method" => "delete",
        other => panic!("a flag this test does not know: {other}"),
    }
}

#[test]
fn overrides_land_where_intended_and_still_route() {
    let mut tried = BTreeMap::<String, usize>::new();
    for (name, flags) in listed().into_iter().filter(|(_, flags)| !flags.is_empty()) {
        let args: Vec<&str> = flags
            .iter()
            .flat_map(|f| [f.as_str(), overridden(f)])
            .collect();
        let event: Value = serde_json::from_slice(&sample(&name, &args)).unwrap();
        let explained = explain(&serde_json::to_vec(&event).unwrap());
        let request = &explained["requests"][0];
        let header = |name: &str| request["headers"][name].as_str().unwrap_or("").to_owned();
        for flag in &flags {
            *tried.entry(flag.clone()).or_default() += 1;
            let landed = match flag.as_str() {
                "--bucket" => {
                    header("ce-source") == "arn:aws:s3:::photos"
                        && event["Records"][0]["s3"]["bucket"]["arn"] == "arn:aws:s3:::photos"
                }
                "--key" => event["Records"][0]["s3"]["object"]["key"] == "2026/a+b.jpg",
                "--body" => {
                    let record = &event["Records"][0];
                    let body = record.get("body").unwrap_or(&record["Sns"]["Message"]);
                    body == "hello from ceh sample"
                }
                "--source" => request["path"] == "/com.example.shop",
                "--detail-type" => header("ce-type") == "Cart%20Abandoned", // ceh escapes header values
                "--path" => {
                    // The copies events keep: REST's requestContext.path (after the stage), 2.0's http.path.
                    let context = &event["requestContext"];
                    let copy = context["path"]
                        .as_str()
                        .or(context["http"]["path"].as_str());
                    request["path"] == "/orders/7" && copy.is_none_or(|p| p.ends_with("/orders/7"))
                }
                "--method" => request["method"] == "DELETE",
                _ => false,
            };
            assert!(landed, "{name} {flag}: {explained:#}");
        }
        let body = request["body"].as_str().unwrap_or("");
        if flags.contains(&"--body".to_owned()) {
            assert!(body.contains("hello from ceh sample"), "{name}: {body}");
        }
    }
    let expected = [
        ("--body", 2),
        ("--bucket", 1),
        ("--detail-type", 4),
        ("--key", 1),
        ("--method", 8),
        ("--path", 8),
        ("--source", 4),
    ];
    let expected: BTreeMap<String, usize> =
        expected.iter().map(|(f, n)| (f.to_string(), *n)).collect();
    assert_eq!(tried, expected);
}
