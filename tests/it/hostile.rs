//! Nothing outside can pose as an event, and no event can inject into the request.

use cloud_events_handler::{Config, Echo, Event, Handler};
use serde_json::{json, Value};

fn http_api(path: &str, headers: Value) -> Event {
    Event::from_json(json!({
        "version": "2.0", "rawPath": path, "rawQueryString": "", "headers": headers,
        "requestContext": {"http": {"method": "POST", "sourceIp": "203.0.113.7"}, "stage": "$default", "domainName": "api.example.com",
                           "accountId": "1", "apiId": "a", "requestId": "r", "routeKey": "$default", "time": "t", "timeEpoch": 0}
    }))
}

fn handle(config: Config, event: &Event) -> Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(Handler::new(config).handle(event, Echo))
        .unwrap()
        .into_json()
}

#[test]
fn http_clients_cannot_reach_event_routes() {
    for path in [
        "/aws.s3",
        "/aws.sqs",
        "/aws.s3/extra",
        "/aws.kinesis.firehose",
    ] {
        let reply = handle(
            Config::default(),
            &http_api(path, json!({"host": "api.example.com"})),
        );
        assert_eq!(reply["statusCode"], 404, "{path}");
        assert_eq!(
            reply["body"],
            format!("{path} is an event route, not reachable over HTTP; set allow_event_routes = true in [http] to allow it\n")
        );
    }
    // Paths that only look alike, and the fallback's `/`, stay open.
    for path in ["/aws.s3x", "/", "/hello", "/aws"] {
        let reply = handle(
            Config::default(),
            &http_api(path, json!({"host": "api.example.com"})),
        );
        assert_eq!(reply["statusCode"], 200, "{path}");
    }
    let open = Config::parse("c.toml", "[http]\nallow_event_routes = true\n").unwrap();
    assert_eq!(
        handle(open, &http_api("/aws.s3", json!({})))["statusCode"],
        200
    );
}

#[test]
fn event_routes_follow_base_paths_and_static_prefixes() {
    let config = Config::parse(
        "c.toml",
        "[[rule]]\nname = \"orders\"\npath = \"/orders/{$.type}\"\n[rule.match]\n\"$.order\" = true\n\
         [environment.rule.s3]\nbase_path = \"/hooks\"\n",
    )
    .unwrap();
    assert!(config.is_event_route("/orders/placed"));
    assert!(config.is_event_route("/hooks/aws.s3"));
    assert!(
        !config.is_event_route("/aws.s3"),
        "s3 events go to /hooks/aws.s3 here"
    );
    assert!(config.is_event_route("/aws.sqs"));
    assert!(!config.is_event_route("/"));
}

#[test]
fn http_clients_cannot_send_event_headers() {
    let headers = json!({
        "host": "api.example.com", "ceh-rule": "s3", "ceh-request-id": "forged", "ce-type": "forged",
        "ce-source": "forged", "ce-specversion": "1.0", "x-real": "kept"
    });
    let reply = handle(Config::default(), &http_api("/hello", headers.clone()));
    let seen: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    let names: Vec<&str> = seen["headers"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(names.contains(&"x-real"));
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("ce-") || *n == "ceh-rule"),
        "{names:?}"
    );
    // Allowed, CloudEvents over HTTP pass through; ceh's own headers never do.
    let open = Config::parse("c.toml", "[http]\nallow_event_routes = true\n").unwrap();
    let reply = handle(open, &http_api("/hello", headers));
    let seen: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    assert_eq!(seen["headers"]["ce-type"], "forged");
    assert!(seen["headers"].get("ceh-rule").is_none());
}

#[test]
fn an_app_knows_an_event_by_its_rule_header() {
    let s3 = Event::from_json(json!({"Records": [{"eventSource": "aws:s3"}]}));
    let reply = handle(Config::default(), &s3);
    let seen: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    assert_eq!(seen["headers"]["ceh-rule"], "s3");
}

/// A one-connection server on 127.0.0.1:0 that reads the request head and writes `answer`.
fn fake_app(answer: Vec<u8>) -> (String, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 65536];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(&answer);
    });
    (url, handle)
}

fn upstream_error(answer: Vec<u8>) -> String {
    let (url, server) = fake_app(answer);
    let app = cloud_events_handler::app::Upstream::new(&url).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let event = Event::from_json(json!({"Records": [{"eventSource": "aws:s3"}]}));
    let err = runtime
        .block_on(Handler::new(Config::default()).handle(&event, app))
        .unwrap_err();
    server.join().unwrap();
    err.to_string()
}

#[test]
fn an_app_that_answers_garbage_fails_the_event() {
    let err = upstream_error(b"this is not HTTP\r\n\r\n".to_vec());
    assert!(err.contains("did not answer"), "{err}");
}

#[test]
fn an_app_that_hangs_up_mid_answer_fails_the_event() {
    let err = upstream_error(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part".to_vec());
    assert!(
        err.starts_with("the app's response body broke off"),
        "{err}"
    );
}

#[test]
fn a_huge_answer_is_refused_not_buffered() {
    let size = cloud_events_handler::app::MAX_RESPONSE_BYTES + 1;
    let mut answer = format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n").into_bytes();
    answer.resize(answer.len() + size, b'x');
    let err = upstream_error(answer);
    assert_eq!(
        err,
        format!(
            "the app's response body is over the limit of {} bytes; answer with less",
            size - 1
        )
    );
}

#[test]
fn limits_have_clear_errors() {
    // Records per batch.
    let config = Config::parse("c.toml", "[reply]\nmax_records = 2\n").unwrap();
    let records: Vec<Value> = (0..3)
        .map(|i| json!({"eventSource": "aws:sqs", "messageId": format!("m{i}"), "body": ""}))
        .collect();
    let err = Handler::new(config)
        .explain(&Event::from_json(json!({"Records": records})))
        .unwrap_err();
    assert_eq!(err.to_string(), "rule `sqs`: the batch has 3 records, over the limit of 2; raise max_records in [reply] if that is expected");
    // Template size.
    let long = format!("/{}", "a".repeat(1100));
    let err = Config::parse(
        "c.toml",
        &format!("[[rule]]\nname = \"x\"\npath = \"{long}\"\n[rule.match]\n\"$.x\" = 1\n"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.toml:3: rule `x`: key `rule[0].path`: the template is 1101 bytes, over the limit of 1024"
    );
    // Rule count.
    let many: String = (0..=cloud_events_handler::Config::MAX_RULES)
        .map(|i| format!("[[rule]]\nname = \"r{i}\"\npath = \"/r\"\n[rule.match]\n\"$.r\" = {i}\n"))
        .collect();
    let err = Config::parse("c.toml", &many).unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.toml:1: the file has 10001 rules, over the limit of 10000"
    );
}

/// Explains `event` under the built-in rules (and `config`'s own).
fn explain(config: &str, event: Value) -> Result<Vec<http::Request<bytes::Bytes>>, String> {
    let handler = Handler::new(Config::parse("c.toml", config).unwrap());
    let event = Event::from_json(event);
    handler
        .explain(&event)
        .map(|plan| plan.requests().to_vec())
        .map_err(|err| err.to_string())
}

// https://learn.microsoft.com/en-us/azure/azure-functions/functions-bindings-storage-queue-trigger#message-metadata
fn queue_message(metadata_text: &str) -> Value {
    json!({"Data": {"msg": "hello"}, "Metadata": {"DequeueCount": 1, "PopReceipt": "p", "Id": "1", "Note": metadata_text}})
}

#[test]
fn no_header_ceh_builds_from_event_data_is_longer_than_app_servers_take() {
    let fits = explain("", queue_message(&"x".repeat(3000))).unwrap();
    assert!(fits[0].headers()["ceh-metadata"].len() > 3000);
    assert_eq!(
        explain("", queue_message(&"x".repeat(5000))).unwrap_err(),
        "rule `azure-functions-queue`: the header ceh-metadata would be 5054 bytes, over the limit of 4096; the event is refused rather than sent to be refused by the app's server"
    );
    // Percent-encoding counts: 1,000 non-ASCII letters are 6,000 bytes on the wire.
    let err = explain("", queue_message(&"é".repeat(1000))).unwrap_err();
    assert!(err.contains("the header ceh-metadata would be"), "{err}");

    // A templated header, and all headers together.
    let headers = r#"
        [[rule]]
        name = "big"
        path = "/big"
        headers = { "x-a" = "{$.a}", "x-b" = "{$.b}", "x-c" = "{$.c}" }
        [rule.match]
        "$.big" = true
    "#;
    let long = "y".repeat(4097);
    let err = explain(headers, json!({"big": true, "a": long})).unwrap_err();
    assert!(
        err.starts_with("rule `big`: the header x-a would be 4097 bytes"),
        "{err}"
    );
    let third = "y".repeat(3000);
    let err = explain(
        headers,
        json!({"big": true, "a": third, "b": third, "c": third}),
    )
    .unwrap_err();
    assert!(
        err.starts_with("rule `big`: the header all headers would be"),
        "{err}"
    );
    assert!(explain(headers, json!({"big": true, "a": third, "b": third})).is_ok());
}

#[test]
fn a_batch_record_whose_id_is_too_long_refuses_the_batch_before_the_app_is_called() {
    // https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
    let record = |id: String| json!({"eventSource": "aws:sqs", "messageId": id, "body": "b", "attributes": {}});
    let ok = explain("", json!({"Records": [record("a".into())]})).unwrap();
    assert_eq!(ok[0].headers()["ceh-record-id"], "a");
    let err = explain(
        "",
        json!({"Records": [record("a".into()), record("i".repeat(5000))]}),
    )
    .unwrap_err();
    assert!(
        err.starts_with(
            "rule `sqs`: the header ceh-record-id would be 5000 bytes, over the limit of 4096"
        ),
        "{err}"
    );
}

#[test]
fn a_path_longer_than_app_servers_take_refuses_the_event() {
    // https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
    let event = |source: String| json!({"source": source, "detail-type": "t", "detail": {}});
    assert!(explain("", event(format!("com.example.{}", "a".repeat(2000)))).is_ok());
    let err = explain("", event("a".repeat(2049))).unwrap_err();
    assert_eq!(
        err,
        "rule `eventbridge`: the path the event's values make for /{$.source} would be 2050 bytes, over the limit of 2048; the event is refused"
    );
    let err = explain("", event("é".repeat(400))).unwrap_err();
    assert!(err.contains("would be 2401 bytes"), "{err}");
}
