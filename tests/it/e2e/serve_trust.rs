//! `ceh serve` where anyone may reach it: a client cannot make ceh call out (a CloudFormation
//! custom resource's `ResponseURL`), cannot write the request context the app trusts (API
//! Gateway, ALB, VPC Lattice, function URL events), cannot pass other JSON off as CloudEvents,
//! and cannot lock others out by sending slowly. Each refusal is one line on stderr.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::harness::exchange;
use super::serve_limits::start;

/// A server on 127.0.0.1 standing in for an internal endpoint: it answers every
/// connection 200 and counts them, until it is stopped.
pub(super) struct Internal {
    pub(super) url: String,
    stop: Arc<AtomicBool>,
    seen: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Internal {
    pub(super) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!(
            "http://{}/internal-admin?X-Amz-Signature=x",
            listener.local_addr().unwrap()
        );
        let (stop, seen) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicUsize::new(0)),
        );
        let (stopped, counted) = (stop.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        counted.fetch_add(1, Ordering::Relaxed);
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                        let _ = stream.read(&mut [0u8; 4096]);
                        let _ = stream.write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Self {
            url,
            stop,
            seen,
            thread: Some(thread),
        }
    }

    /// Stops the server; how many connections it had.
    pub(super) fn connections(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
        self.seen.load(Ordering::Relaxed)
    }
}

fn fixture(name: &str) -> Value {
    serde_json::from_slice(&crate::fixtures::read(name)).unwrap()
}

#[test]
fn a_cloudformation_event_is_refused_and_its_response_url_never_called() {
    let internal = Internal::start();
    let server = start(&["--echo", "--timeout-ms", "3000"]);
    let mut event = fixture("cloudformation/create.json");
    event["ResponseURL"] = json!(internal.url);
    let body = serde_json::to_vec(&event).unwrap();
    let (status, _, answer) = exchange(server.port, "POST", "/", &[], &body);
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer.starts_with("rule `cloudformation`: ceh serve does not take this event: a CloudFormation custom resource's result goes to the ResponseURL the event names"),
        "{answer}"
    );
    // Nor as an item of a CloudEvents batch: it is not a CloudEvent.
    let batch = serde_json::to_vec(&json!([event])).unwrap();
    let cloudevents = [("content-type", "application/cloudevents-batch+json")];
    let (status, _, answer) = exchange(server.port, "POST", "/", &cloudevents, &batch);
    assert_eq!(status, 400, "{answer}");
    assert!(answer.starts_with("item 0 of the application/cloudevents-batch+json body (from 0) is not a CloudEvent: attribute `specversion` is missing"), "{answer}");
    assert_eq!(internal.connections(), 0, "ceh called the ResponseURL");
    let log = server.log();
    assert!(
        log.contains("ceh serve: 422 rule `cloudformation`: ceh serve does not take this event"),
        "{log}"
    );
    assert!(!log.contains("internal-admin"), "{log}");
}

#[test]
fn http_events_are_refused_so_no_client_writes_the_request_context() {
    let server = start(&["--echo"]);
    let forged = |name: &str| {
        let mut event = fixture(name);
        // What a client would claim: an authorizer's claims and a source address.
        event["requestContext"]["authorizer"] = json!({"claims": {"sub": "admin"}});
        event["requestContext"]["identity"] = json!({"sourceIp": "10.0.0.1"});
        serde_json::to_vec(&event).unwrap()
    };
    for (fixture, rule) in [
        ("apigw-v1/proxy.json", "apigateway-v1"),
        ("apigw-v2/jwt-authorizer.json", "apigateway-v2"),
        ("alb/request.json", "alb"),
        ("function-url/request.json", "function-url"),
        ("vpc-lattice/v2.json", "vpc-lattice-v2"),
        ("vpc-lattice/v1.json", "vpc-lattice-v1"),
    ] {
        let (status, headers, answer) = exchange(server.port, "POST", "/", &[], &forged(fixture));
        assert_eq!(status, 422, "{fixture}: {answer}");
        assert!(
            answer.starts_with(&format!(
                "rule `{rule}`: ceh serve does not take this event: a "
            )),
            "{fixture}: {answer}"
        );
        assert!(
            answer.contains(
                "request context (authorizer claims, source IP) is vouched for only by its source"
            ),
            "{answer}"
        );
        assert!(
            !answer.contains("admin") && !answer.contains("10.0.0.1"),
            "{answer}"
        );
        assert!(
            !headers.iter().any(|(name, _)| name.starts_with("ceh-")),
            "{headers:?}"
        );
    }
    let log = server.log();
    assert_eq!(log.lines().count(), 6, "one line each: {log}");
    assert!(
        log.lines().all(|l| l.starts_with("ceh serve: 422 rule `")),
        "{log}"
    );
}

#[test]
fn cloudevent_typed_bodies_must_be_cloudevents() {
    let server = start(&["--echo"]);
    let batch = [("content-type", "application/cloudevents-batch+json")];
    let cloudevent =
        json!({"specversion": "1.0", "id": "1", "source": "com.example", "type": "t", "data": {}});
    // S3 JSON in a CloudEvents batch does not reach /aws.s3.
    let s3 = serde_json::to_vec(&json!([fixture("s3/put.json")])).unwrap();
    let (status, _, answer) = exchange(server.port, "POST", "/", &batch, &s3);
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer, "item 0 of the application/cloudevents-batch+json body (from 0) is not a CloudEvent: attribute `specversion` is missing\n");
    // Nor do 5 and null reach the fallback.
    let mixed = serde_json::to_vec(&json!([cloudevent, 5, null])).unwrap();
    let (status, _, answer) = exchange(server.port, "POST", "/", &batch, &mixed);
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer, "item 1 of the application/cloudevents-batch+json body (from 0) is not a CloudEvent: it is not a JSON object\n");
    // A structured CloudEvent that is not one.
    let structured = [("content-type", "application/cloudevents+json")];
    let s3 = serde_json::to_vec(&fixture("s3/put.json")).unwrap();
    let (status, _, answer) = exchange(server.port, "POST", "/", &structured, &s3);
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer, "the application/cloudevents+json body is not a CloudEvent: attribute `specversion` is missing\n");
    // Real CloudEvents still go through, each to its source's route.
    let good = serde_json::to_vec(&json!([cloudevent, cloudevent])).unwrap();
    let (status, _, answer) = exchange(server.port, "POST", "/", &batch, &good);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(server.log().lines().count(), 3, "{}", server.log());
}

#[test]
fn a_validation_with_events_after_it_is_refused_not_half_taken() {
    let server = start(&["--echo"]);
    let validation = fixture("eventgrid/subscription-validation.json");
    let created = fixture("eventgrid/blob-created.json");
    let mut delivery = validation.as_array().unwrap().clone();
    let more = created.as_array().unwrap().len();
    delivery.extend(created.as_array().unwrap().iter().cloned());
    let body = serde_json::to_vec(&delivery).unwrap();
    let (status, _, answer) = exchange(server.port, "POST", "/", &[], &body);
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer, format!("rule `eventgrid-validation`: ceh serve does not take this event: a subscription handshake comes alone, and this delivery has {more} more events after it, which ceh would acknowledge without the app seeing them; send them in a delivery of their own\n"));
    // Alone, as Event Grid sends it, it is answered.
    let alone = serde_json::to_vec(&validation).unwrap();
    let (status, _, answer) = exchange(server.port, "POST", "/", &[], &alone);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("validationResponse"), "{answer}");
}

#[test]
fn slow_senders_hold_no_slot() {
    let server = start(&[
        "--echo",
        "--max-in-flight",
        "1",
        "--body-timeout-ms",
        "20000",
    ]);
    // Three clients that send headers and half a body, then nothing more.
    let stalled: Vec<_> = (0..3)
        .map(|_| server.stalled("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"a\":"))
        .collect();
    // Their headers came first: on a server that takes the slot before the body, they hold it.
    let (status, _, answer) = exchange(server.port, "POST", "/", &[], b"{}");
    assert_eq!(status, 200, "{answer}");
    let (status, _, answer) = exchange(server.port, "POST", "/", &[], b"{}");
    assert_eq!(status, 200, "{answer}");
    drop(stalled);
    assert!(!server.log().contains(" 503 "), "{}", server.log());
}

#[test]
fn refusal_lines_are_rate_limited_and_what_is_left_out_is_counted() {
    let server = start(&["--echo"]);
    let garbage = 300;
    for _ in 0..garbage {
        assert_eq!(exchange(server.port, "POST", "/", &[], b"{not json").0, 400);
    }
    // One more once a second has passed: it is logged, with the count of those left out before it.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(exchange(server.port, "POST", "/", &[], b"{not json").0, 400);
    let log = server.log();
    let logged = log
        .lines()
        .filter(|l| l.starts_with("ceh serve: 400 "))
        .count();
    let left_out: usize = log
        .lines()
        .filter_map(|l| {
            l.strip_prefix("ceh serve: ")?.split_once(
                " more refusals in a second were not logged (at most 20 lines a second)",
            )
        })
        .map(|(count, _)| count.parse::<usize>().unwrap())
        .sum();
    assert!(left_out > 0, "nothing was left out: {logged} lines");
    assert_eq!(
        logged + left_out,
        garbage + 1,
        "every refusal is logged or counted: {log}"
    );
    assert_eq!(
        log.lines().count(),
        logged
            + log
                .lines()
                .filter(|l| l.contains(" more refusals "))
                .count()
    );
}

#[test]
fn a_refusal_never_quotes_a_header_value() {
    let server = start(&["--echo"]);
    let attributes = [("ce-id", "1"), ("ce-source", "/s"), ("ce-type", "t")];
    let secret = "S3CRET-in-a-header";
    let version = format!("9.9{secret}");
    let time = format!("x{secret}");
    for bad in [
        ("ce-specversion", version.as_str()),
        ("ce-time", time.as_str()),
    ] {
        let mut headers = attributes.to_vec();
        if bad.0 != "ce-specversion" {
            headers.push(("ce-specversion", "1.0"));
        }
        headers.push(bad);
        let (status, _, answer) = exchange(server.port, "POST", "/", &headers, b"{}");
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer.starts_with("not a valid binary-mode CloudEvent: "),
            "{answer}"
        );
        assert!(!answer.contains(secret), "{} quoted back: {answer}", bad.0);
    }
    let bearer = format!("Bearer {secret}");
    let (status, _, answer) = exchange(
        server.port,
        "POST",
        "/",
        &[("authorization", &bearer)],
        b"{not json",
    );
    assert_eq!(status, 400);
    assert!(!answer.contains(secret), "{answer}");
    assert!(!server.log().contains(secret), "{}", server.log());
}

/// A shape of pipelined requests: its name, the requests, the statuses they must get in order.
type Pipelined = (&'static str, Vec<Vec<u8>>, &'static [&'static str]);

/// Pipelined HTTP/1.1 requests, sent in one write, are each answered in order, whatever the
/// first one met: taken, refused before its body was read (405), refused after (400), a chunked
/// body; and the client may shut its side once it has sent them (on 62c1fb7 only the first was
/// answered then).
#[test]
fn pipelined_requests_are_each_answered_in_order() {
    let server = start(&["--echo"]);
    let event = br#"{"Records":[{"eventSource":"aws:s3","s3":{}}]}"#;
    let post = |auth: bool, body: &[u8]| {
        let mut head = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        if auth {
            head.push_str("Authorization: Bearer wrong\r\n");
        }
        [head.as_bytes(), b"\r\n", body].concat()
    };
    let chunked = [
        &b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
        format!("{:x}\r\n", event.len()).as_bytes(),
        event,
        b"\r\n0\r\n\r\n",
    ]
    .concat();
    let get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    let shapes: [Pipelined; 4] = [
        (
            "taken",
            vec![post(false, event), post(false, event)],
            &["200", "200"],
        ),
        ("405 first", vec![get, post(false, event)], &["405", "200"]),
        (
            "400 first",
            vec![post(false, b"notjs"), post(false, event)],
            &["400", "200"],
        ),
        (
            "chunked first",
            vec![chunked, post(false, event)],
            &["200", "200"],
        ),
    ];
    for (shape, requests, statuses) in shapes {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(&requests.concat()).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answers = Vec::new();
        let _ = stream.read_to_end(&mut answers);
        let text = String::from_utf8_lossy(&answers);
        let seen: Vec<&str> = text
            .match_indices("HTTP/1.1 ")
            .map(|(at, _)| &text[at + 9..at + 12])
            .collect();
        assert_eq!(seen, statuses, "{shape}: {text}");
    }
}

/// CloudEvents' type system through `ceh serve`, both modes (docs/cloudevents.md, "Numbers" and
/// "`dataschema`"): an extension number beyond 32 bits or with a fraction is no CloudEvent (400
/// naming it); in binary mode the same value is a header, a string, and goes through; a
/// `dataschema` of `#`, as Azure Event Grid sends it, goes through in both modes, said once in the
/// log.
#[test]
fn cloudevent_numbers_and_schemas_follow_the_type_system() {
    let server = start(&["--echo"]);
    let structured = [("content-type", "application/cloudevents+json")];
    let event = |member: &str| {
        format!(
            r#"{{"specversion": "1.0", "id": "1", "source": "/orders", "type": "t", {member}}}"#
        )
    };
    for value in ["3000000000", "42.42"] {
        let body = event(&format!(r#""sequence": {value}"#));
        let (status, _, answer) = exchange(server.port, "POST", "/", &structured, body.as_bytes());
        assert_eq!(status, 400, "{value}: {answer}");
        assert!(
            answer.contains("extension `sequence` is a number but no CloudEvents Integer"),
            "{answer}"
        );
    }
    for member in [r#""sequence": 2147483647"#, r##""dataschema": "#""##] {
        let body = event(member);
        let (status, _, answer) = exchange(server.port, "POST", "/", &structured, body.as_bytes());
        assert_eq!(status, 200, "{member}: {answer}");
        let seen: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(seen["path"], "/orders");
        assert_eq!(seen["body"], body, "the app gets the event as it came");
    }
    let binary = |name, value| {
        let headers = [
            ("ce-specversion", "1.0"),
            ("ce-id", "1"),
            ("ce-source", "/orders"),
            ("ce-type", "t"),
            ("content-type", "application/json"),
            (name, value),
        ];
        exchange(server.port, "POST", "/", &headers, b"{}")
    };
    for (name, value) in [
        ("ce-sequence", "3000000000"),
        ("ce-ratio", "42.42"),
        ("ce-dataschema", "#"),
    ] {
        let (status, _, answer) = binary(name, value);
        assert_eq!(status, 200, "{name}: {value}: {answer}");
        let seen: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(seen["path"], "/orders");
        assert!(
            answer.contains(&format!(r#""{name}":"{value}""#)),
            "{answer}"
        );
    }
    let (status, _, answer) = binary("ce-dataschema", "a schema");
    assert_eq!(status, 400, "{answer}");
    let log = server.log();
    assert_eq!(
        log.matches("`dataschema` is a URI-reference").count(),
        1,
        "{log}"
    );
}
