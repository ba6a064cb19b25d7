//! `ceh functions` tells the Functions host's invocations from the HTTP requests it forwards
//! (`enableForwardingHttpRequest`) by what the host vouches for: it invokes a function with
//! `POST /<function name>` and no query, and forwards a request only at a path an HTTP trigger's
//! route matches (under `extensions.http.routePrefix`), so a function app whose routes could
//! match a function's name is refused at start, and no other request is read as an invocation.
//! How the host calls a custom handler, and when it forwards:
//! <https://learn.microsoft.com/azure/azure-functions/functions-custom-handlers>
//! (`enableForwardingHttpRequest`: only for a function with an HTTP trigger and one `http`
//! output binding; the request arrives at its original path).

use std::io::Read;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use super::harness::{ceh_listening, ceh_refused_at_start, exchange, Process};
use super::serve_trust::Internal;

/// A function app root with this host.json and `name/function.json` for each function.
fn function_app(host: Value, functions: &[(&str, Value)]) -> tempfile::TempDir {
    super::functions::function_app_with(host, functions)
}

/// host.json with forwarding on and this routePrefix.
fn forwarding_host(route_prefix: &str) -> Value {
    json!({"version": "2.0", "extensions": {"http": {"routePrefix": route_prefix}},
        "customHandler": {"description": {"defaultExecutablePath": "ceh"}, "enableForwardingHttpRequest": true}})
}

fn http_function(name: &'static str, route: Option<&str>) -> (&'static str, Value) {
    let mut trigger =
        json!({"type": "httpTrigger", "direction": "in", "name": "req", "authLevel": "anonymous"});
    if let Some(route) = route {
        trigger["route"] = json!(route);
    }
    (
        name,
        json!([trigger, {"type": "http", "direction": "out", "name": "res"}]),
    )
}

fn triggered(name: &'static str, kind: &str) -> (&'static str, Value) {
    (
        name,
        json!([{"type": kind, "direction": "in", "name": "item"}]),
    )
}

fn echo_functions(root: &std::path::Path) -> (Process, u16) {
    let root = root.display().to_string();
    ceh_listening(
        &["functions", "--port", "0", "--root", &root, "--echo"],
        &[],
    )
}

#[test]
fn a_route_that_matches_a_function_name_is_refused_at_start() {
    for route in ["{*path}", "{name}", "orders"] {
        let root = function_app(
            forwarding_host(""),
            &[
                http_function("web", Some(route)),
                triggered("orders", "queueTrigger"),
            ],
        );
        let (status, stdout, stderr) = ceh_refused_at_start(&[
            "functions".as_ref(),
            "--port".as_ref(),
            "0".as_ref(),
            "--echo".as_ref(),
            "--root".as_ref(),
            root.path().as_os_str(),
        ]);
        assert_eq!(status.code(), Some(2), "{route}");
        assert_eq!(
            stderr,
            format!("ceh: {}: with customHandler.enableForwardingHttpRequest, function `web`'s route /{route} matches /orders, where the host invokes function `orders`, so a client could pose as its trigger; set extensions.http.routePrefix (the default \"api\" keeps them apart) or a route that matches no function's name\n",
                root.path().join("host.json").display()),
        );
        assert!(stdout.is_empty(), "it never listened: {stdout}");
    }
    // Under a prefix (the host's default "api"), the same routes keep apart.
    let root = function_app(
        json!({"customHandler": {"enableForwardingHttpRequest": true}}),
        &[
            http_function("web", Some("{*path}")),
            triggered("orders", "queueTrigger"),
        ],
    );
    let (_ceh, port) = echo_functions(root.path());
    let (status, _, _) = exchange(port, "GET", "/api/orders", &[], b"");
    assert_eq!(status, 200);
}

#[test]
fn a_client_cannot_pose_as_a_queue_timer_or_service_bus_trigger() {
    let root = function_app(
        forwarding_host(""),
        &[
            http_function("hello", None),
            triggered("orders", "queueTrigger"),
            triggered("timer", "timerTrigger"),
            triggered("sb", "serviceBusTrigger"),
            // An HTTP trigger with another output is invoked with a payload, forwarding or not.
            (
                "submit",
                json!([
                    {"type": "httpTrigger", "direction": "in", "name": "req"},
                    {"type": "queue", "direction": "out", "name": "$return", "queueName": "q"}
                ]),
            ),
        ],
    );
    let (_ceh, port) = echo_functions(root.path());
    let queue = crate::fixtures::read("azure-functions/queue.json");
    for (method, path, payload) in [
        ("POST", "//orders", &queue),
        ("POST", "/orders?code=abc", &queue),
        ("PUT", "/orders", &queue),
        (
            "POST",
            "//timer",
            &crate::fixtures::read("azure-functions/timer.json"),
        ),
        (
            "POST",
            "/timer?code=abc",
            &crate::fixtures::read("azure-functions/timer.json"),
        ),
        (
            "POST",
            "//sb",
            &crate::fixtures::read("azure-functions/servicebus.json"),
        ),
        (
            "POST",
            "/sb?code=abc",
            &crate::fixtures::read("azure-functions/servicebus.json"),
        ),
    ] {
        let (status, _, body) = exchange(
            port,
            method,
            path,
            &[("content-type", "application/json")],
            payload,
        );
        assert_eq!(status, 200, "{method} {path}: {body}");
        let seen: Value = serde_json::from_str(&body).unwrap();
        // Forwarded to the app as the HTTP request it is: not an invocation payload's answer.
        assert!(
            seen.get("Outputs").is_none(),
            "{method} {path} was read as an invocation: {body}"
        );
        assert_eq!(seen["method"], method, "{body}");
        for header in ["ceh-rule", "ceh-function-name", "ceh-metadata"] {
            assert!(
                seen["headers"].get(header).is_none(),
                "{method} {path}: {header} in {body}"
            );
        }
    }
    // Nor can a forwarded request carry the context headers ceh sends under Lambda Web Adapter's names.
    let forged = [
        (
            "x-amzn-request-context",
            r#"{"authorizer":{"claims":{"sub":"admin"}}}"#,
        ),
        ("x-amzn-lambda-context", r#"{"request_id":"forged"}"#),
        ("ceh-request-context", "{}"),
    ];
    let (status, _, body) = exchange(port, "GET", "/hello", &forged, b"");
    assert_eq!(status, 200, "{body}");
    let seen: Value = serde_json::from_str(&body).unwrap();
    for (header, _) in forged {
        assert!(
            seen["headers"].get(header).is_none(),
            "{header} reached the app: {body}"
        );
    }
    // The host's own invocations still are.
    let headers = [("content-type", "application/json")];
    for (function, fixture) in [
        ("orders", "queue"),
        ("timer", "timer"),
        ("sb", "servicebus"),
        ("submit", "http"),
    ] {
        let payload = crate::fixtures::read(&format!("azure-functions/{fixture}.json"));
        let (status, _, body) = exchange(port, "POST", &format!("/{function}"), &headers, &payload);
        assert_eq!(status, 200, "{function}: {body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert!(answer.get("Outputs").is_some(), "{function}: {body}");
    }
}

#[test]
fn a_cloudformation_event_in_an_invocation_is_refused_and_its_response_url_never_called() {
    let internal = Internal::start();
    let root = function_app(json!({}), &[triggered("orders", "queueTrigger")]);
    let (_ceh, port) = echo_functions(root.path());
    let mut event: Value =
        serde_json::from_slice(&crate::fixtures::read("cloudformation/create.json")).unwrap();
    event["ResponseURL"] = json!(internal.url);
    let (status, _, body) = exchange(port, "POST", "/orders", &[], event.to_string().as_bytes());
    assert_eq!(status, 400, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer["Logs"][0]
            .as_str()
            .unwrap()
            .split(": a CloudFormation")
            .next(),
        Some("function `orders`: rule `cloudformation`: ceh functions does not take this event"),
        "{body}"
    );
    assert_eq!(internal.connections(), 0, "ceh called the ResponseURL");
}

#[test]
fn function_app_files_that_would_hang_or_never_end_are_refused_at_start() {
    let host_fifo = tempfile::tempdir().unwrap();
    super::serve_auth::fifo(&host_fifo.path().join("host.json"));
    let endless = function_app(json!({}), &[]);
    std::fs::create_dir(endless.path().join("orders")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", endless.path().join("orders/function.json")).unwrap();
    let folder = function_app(json!({}), &[]);
    std::fs::create_dir_all(folder.path().join("orders/function.json")).unwrap();
    for (root, file) in [
        (host_fifo.path(), "host.json"),
        (endless.path(), "orders/function.json"),
        (folder.path(), "orders/function.json"),
    ] {
        let (status, _, stderr) = ceh_refused_at_start(&[
            "functions".as_ref(),
            "--port".as_ref(),
            "0".as_ref(),
            "--echo".as_ref(),
            "--root".as_ref(),
            root.as_os_str(),
        ]);
        assert_eq!(status.code(), Some(2), "{file}");
        assert_eq!(
            stderr,
            format!(
                "ceh: {}: not a regular file (a FIFO, a device or a directory)\n",
                root.join(file).display()
            )
        );
    }
}

#[test]
fn a_forwarded_request_with_a_host_an_app_could_be_fooled_by_is_refused() {
    let root = function_app(forwarding_host("api"), &[http_function("hello", None)]);
    let (_ceh, port) = echo_functions(root.path());
    let status = |hosts: &[&str]| {
        let mut request = "GET /api/hello HTTP/1.1\r\nconnection: close\r\n".to_owned();
        for host in hosts {
            request.push_str(&format!("host: {host}\r\n"));
        }
        request.push_str("\r\n");
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        std::io::Write::write_all(&mut stream, request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    for hosts in [
        &["a,b"][..],
        &["a;b"],
        &[":80"],
        &["a:99999"],
        &[""],
        &["a", "b"],
    ] {
        let answer = status(hosts);
        assert!(answer.starts_with("HTTP/1.1 400 "), "{hosts:?}: {answer}");
        assert!(answer.ends_with("the request's Host must be one host name or address with an optional port (1 to 65535)\n"), "{hosts:?}: {answer}");
    }
    assert!(status(&["myapp.azurewebsites.net"]).starts_with("HTTP/1.1 200 "));
}

#[test]
fn refused_requests_are_logged_one_line_each() {
    let root = function_app(
        forwarding_host("api"),
        &[
            http_function("hello", None),
            triggered("orders", "queueTrigger"),
        ],
    );
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ceh"))
        .args(["functions", "--port", "0", "--echo", "--root"])
        .arg(root.path())
        .stdout(Stdio::piped())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let port = super::harness::listening_port(&mut child);
    let _ceh = Process(child);
    // A client at one of ceh's event routes, and a payload that is not JSON.
    assert_eq!(exchange(port, "POST", "/azure.queue", &[], b"x").0, 404);
    assert_eq!(exchange(port, "POST", "/orders", &[], b"{not json").0, 400);
    let log = std::fs::read_to_string(log.path()).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].starts_with("ceh functions: 404 /azure.queue is an event route"),
        "{log}"
    );
    assert!(
        lines[1].starts_with("ceh functions: 400 function `orders`: the event is not valid JSON"),
        "{log}"
    );
}

/// A body refused while it is read is logged as `ceh functions`' refusal: the server
/// that reads it is shared with `ceh serve`, and its line names the front end it serves.
#[test]
fn a_body_over_the_limit_is_logged_as_ceh_functions() {
    let root = function_app(
        forwarding_host("api"),
        &[triggered("orders", "queueTrigger")],
    );
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ceh"))
        .args([
            "functions",
            "--port",
            "0",
            "--echo",
            "--max-body",
            "10",
            "--root",
        ])
        .arg(root.path())
        .env_remove("CEH_LOG")
        .stdout(Stdio::piped())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let port = super::harness::listening_port(&mut child);
    let _ceh = Process(child);
    let payload = br#"{"Data": {"msg": "a message over ten bytes"}}"#;
    assert_eq!(exchange(port, "POST", "/orders", &[], payload).0, 413);
    let log = std::fs::read_to_string(log.path()).unwrap();
    assert_eq!(
        log,
        "ceh functions: 413 the request body is over the limit of 10 bytes, or broke off\n"
    );
}

/// `ceh explain --forwarded` shows what `ceh functions` does with a request the host
/// forwards: the same plan, so the request the app gets, or the refusal of one at an
/// event route (and the forwarded request's own refusal, sent to `ceh functions`, says the same).
#[test]
fn explain_shows_a_forwarded_request_and_its_refusal() {
    use crate::cli::{ceh, stderr, stdout};
    let request = br#"{"method": "POST", "path": "/api/orders", "query": "id=7",
        "headers": {"content-type": "application/json"}, "body": "{\"n\": 1}"}"#;
    let output = ceh(&["explain", "--forwarded", "-"], request);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "rule   azure-functions-http (rules/azure-functions.toml:10)\nkind   http\nreply  http\n\n\
         POST /api/orders?id=7 HTTP/1.1\ncontent-type: application/json\n\n{\"n\": 1}\n"
    );
    let posing = br#"{"method": "POST", "path": "/azure.queue"}"#;
    let output = ceh(&["explain", "--forwarded", "--format", "json", "-"], posing);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let explained: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let message = "/azure.queue is an event route, not reachable over HTTP; set allow_event_routes = true in [http] to allow it\n";
    assert_eq!(explained["requests"], json!([]));
    assert_eq!(
        explained["refused"],
        json!({"status": 404, "body": message})
    );
    let root = function_app(forwarding_host("api"), &[http_function("hello", None)]);
    let root = root.path().to_str().unwrap();
    let (_ceh, port) = ceh_listening(&["functions", "--port", "0", "--echo", "--root", root], &[]);
    let (status, _, answer) = exchange(port, "POST", "/azure.queue", &[], b"");
    assert_eq!((status, answer.as_str()), (404, message));
    let output = ceh(&["explain", "--forwarded", "-"], br#"{"path": "/"}"#);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("ceh: <stdin>: not a request: missing field `method`"),
        "{}",
        stderr(&output)
    );
}
