//! `ceh functions` as an Azure Functions custom handler: the test plays the Functions host,
//! POSTing Microsoft's documented invocation payloads (fixtures/azure-functions/) to the real
//! binary, which reads the function.json files of a temporary function app root and sends each
//! invocation to the Flask app; the response payload is what the host would act on.

use std::path::Path;

use serde_json::{json, Value};

use super::harness::{ceh_listening, exchange, flask, free_port, Process};

/// A function app root: host.json (forwarding on or off) and `name/function.json` for each function.
fn function_app(forwarding: bool, functions: &[(&str, Value)]) -> tempfile::TempDir {
    let host = json!({"version": "2.0", "customHandler": {
        "description": {"defaultExecutablePath": "ceh", "arguments": ["functions"]},
        "enableForwardingHttpRequest": forwarding}});
    function_app_with(host, functions)
}

/// A function app root with this host.json and `name/function.json` for each function.
pub(super) fn function_app_with(host: Value, functions: &[(&str, Value)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("host.json"), host.to_string()).unwrap();
    for (name, bindings) in functions {
        std::fs::create_dir(root.path().join(name)).unwrap();
        let file = json!({ "bindings": bindings });
        std::fs::write(
            root.path().join(name).join("function.json"),
            file.to_string(),
        )
        .unwrap();
    }
    root
}

fn ceh_functions(root: &Path, app_port: u16) -> (Process, u16) {
    let root = root.display().to_string();
    let app = format!("http://127.0.0.1:{app_port}");
    ceh_listening(
        &["functions", "--port", "0", "--root", &root, "--app", &app],
        &[],
    )
}

/// POSTs `payload` to `/<function>` as the host does: (status, response payload).
fn invoke(port: u16, function: &str, payload: &[u8]) -> (u16, Value) {
    let headers = [
        ("content-type", "application/json"),
        (
            "x-azure-functions-invocationid",
            "3f6c2a1e-0b8d-4c7e-9a21-5d4e3c2b1a00",
        ),
    ];
    let (status, _, body) = exchange(port, "POST", &format!("/{function}"), &headers, payload);
    let payload = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status, payload)
}

/// The Flask app's report of the request it received, from an output value.
fn seen(value: &Value) -> &Value {
    assert!(value.is_object(), "not the app's report: {value}");
    value
}

fn queue_function() -> (&'static str, Value) {
    (
        "orders",
        json!([
            {"type": "queueTrigger", "direction": "in", "name": "myQueueItem", "queueName": "orders"},
            {"type": "blob", "direction": "in", "name": "template", "path": "templates/order.txt"},
            {"type": "queue", "direction": "out", "name": "$return", "queueName": "shipped"}
        ]),
    )
}

#[test]
fn a_queue_message_reaches_the_app_as_its_text_and_the_answer_is_the_return_value() {
    let (_app, app_port) = flask(0);
    let root = function_app(false, &[queue_function()]);
    let (_ceh, port) = ceh_functions(root.path(), app_port);
    // The host also sends input bindings' data; only the trigger's reaches the app.
    let mut payload: Value =
        serde_json::from_slice(&crate::fixtures::read("azure-functions/queue.json")).unwrap();
    payload["Data"]["template"] = json!("Order {id}");
    let (status, answer) = invoke(port, "orders", payload.to_string().as_bytes());
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["Logs"], json!([]));
    assert_eq!(answer["Outputs"], json!({}));
    let seen = seen(&answer["ReturnValue"]);
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/azure.queue");
    assert_eq!(seen["body"], "{ \"order\": 7, \"note\": \"café\" }");
    let headers = &seen["headers"];
    assert_eq!(
        headers["content-type"],
        json!(["text/plain; charset=utf-8"])
    );
    assert_eq!(headers["ceh-rule"], json!(["azure-functions-queue"]));
    assert_eq!(headers["ceh-function-name"], json!(["orders"]));
    assert_eq!(
        headers["ceh-request-id"],
        json!(["3f6c2a1e-0b8d-4c7e-9a21-5d4e3c2b1a00"])
    );
    assert_eq!(
        headers["ce-id"],
        json!(["800ae4b3-bdd2-4c08-badd-f08e5a34b865"])
    );
    let metadata: Value =
        serde_json::from_str(headers["ceh-metadata"][0].as_str().unwrap()).unwrap();
    assert_eq!(metadata, payload["Metadata"], "the host's Metadata, whole");
}

#[test]
fn a_blob_goes_to_its_one_output_binding_and_a_timer_without_outputs_gets_none() {
    let (_app, app_port) = flask(0);
    let root = function_app(
        false,
        &[
            (
                "invoices",
                json!([
                    {"type": "blobTrigger", "direction": "in", "name": "myBlob", "path": "samples-workitems/{name}"},
                    {"type": "blob", "direction": "out", "name": "outputBlob", "path": "processed/{name}"}
                ]),
            ),
            (
                "nightly",
                json!([{"type": "timerTrigger", "direction": "in", "name": "myTimer", "schedule": "0 */5 * * * *"}]),
            ),
        ],
    );
    let (_ceh, port) = ceh_functions(root.path(), app_port);
    let (status, answer) = invoke(
        port,
        "invoices",
        &crate::fixtures::read("azure-functions/blob.json"),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["ReturnValue"], Value::Null);
    let seen = seen(&answer["Outputs"]["outputBlob"]);
    assert_eq!(seen["path"], "/azure.blob");
    assert_eq!(seen["body"], "id,amount\n7,120.50\n");
    assert_eq!(
        seen["headers"]["ce-subject"],
        json!(["samples-workitems/invoices/invoice-7.csv"])
    );
    assert_eq!(seen["headers"]["ceh-function-name"], json!(["invoices"]));

    let timer = crate::fixtures::read("azure-functions/timer.json");
    let (status, answer) = invoke(port, "nightly", &timer);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer,
        json!({"Outputs": {}, "Logs": [], "ReturnValue": null})
    );
}

/// A Service Bus trigger whose return value is the app's answer.
fn billing_function() -> (&'static str, Value) {
    (
        "billing",
        json!([
            {"type": "serviceBusTrigger", "direction": "in", "name": "mySbMsg", "queueName": "billing"},
            {"type": "http", "direction": "out", "name": "$return"}
        ]),
    )
}

#[test]
fn a_service_bus_message_is_its_text_with_its_metadata() {
    let (_app, app_port) = flask(0);
    let root = function_app(false, &[billing_function()]);
    let (_ceh, port) = ceh_functions(root.path(), app_port);
    let payload = crate::fixtures::read("azure-functions/servicebus.json");
    let (status, answer) = invoke(port, "billing", &payload);
    assert_eq!(status, 200, "{answer}");
    let seen = seen(&answer["ReturnValue"]);
    assert_eq!(seen["path"], "/azure.servicebus");
    assert_eq!(seen["body"], "{\"order\": 7}");
    assert_eq!(
        seen["headers"]["ce-id"],
        json!(["6f3c1a0e9b1d4e7c8a2f5b6d7e8f9a0b"])
    );
    let metadata: Value =
        serde_json::from_str(seen["headers"]["ceh-metadata"][0].as_str().unwrap()).unwrap();
    assert_eq!(metadata["UserProperties"], json!({"tenant": "contoso"}));
}

fn batch_function() -> (&'static str, Value) {
    (
        "readings",
        json!([{"type": "eventHubTrigger", "direction": "in", "name": "events",
                "eventHubName": "readings", "cardinality": "many"}]),
    )
}

#[test]
fn an_event_hubs_batch_is_one_request_per_event_and_one_failure_fails_it_all() {
    let (_app, app_port) = flask(0);
    let root = function_app(false, &[batch_function()]);
    let (_ceh, port) = ceh_functions(root.path(), app_port);
    let batch = crate::fixtures::read("azure-functions/eventhubs-batch.json");
    let (status, answer) = invoke(port, "readings", &batch);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer,
        json!({"Outputs": {}, "Logs": [], "ReturnValue": null})
    );

    // What each event's request is: `ceh explain` shows the plan ceh functions sends.
    let explained = std::process::Command::new(env!("CARGO_BIN_EXE_ceh"))
        .args(["explain", "--format", "json"])
        .arg(crate::fixtures::root().join("azure-functions/eventhubs-batch.json"))
        .env_remove("CEH_CONFIG")
        .output()
        .unwrap();
    let explained: Value = serde_json::from_slice(&explained.stdout).unwrap();
    let requests = explained["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 3, "{explained}");
    assert_eq!(requests[1]["path"], "/azure.eventhubs");
    assert_eq!(requests[1]["body"], "{\"reading\": 22.0}");
    let metadata: Value =
        serde_json::from_str(requests[1]["headers"]["ceh-metadata"].as_str().unwrap()).unwrap();
    assert_eq!(metadata["SequenceNumber"], 1002);
    assert_eq!(metadata["Properties"], json!({"unit": "C"}));
    assert_eq!(metadata["PartitionContext"]["PartitionId"], "0");

    // The second event fails: the host must retry the whole batch, so it gets a 500.
    let mut failing: Value = serde_json::from_slice(&batch).unwrap();
    failing["Data"]["events"][1] = json!("{\"reading\": \"fail\"}");
    let (status, answer) = invoke(port, "readings", failing.to_string().as_bytes());
    assert_eq!(status, 500, "{answer}");
    assert_eq!(answer["Outputs"], json!({}));
    assert_eq!(answer["ReturnValue"], Value::Null);
    // The summary, then one line per failure: the failed event, and the one held back behind it.
    let logs: Vec<&str> = answer["Logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap())
        .collect();
    assert_eq!(logs.len(), 3, "{answer}");
    assert!(
        logs[0].starts_with("function `readings`: rule `azure-functions-eventhubs-batch`: 2 of 3 records failed (first: record 1: the app answered 500"),
        "{}", logs[0]
    );
    // The failure names the path the app was sent and the start of its answer.
    assert!(
        logs[1].starts_with(
            "function `readings`: record 1: the app answered 500 Internal Server Error to POST /azure.eventhubs with \""
        ),
        "{}",
        logs[1]
    );
    assert_eq!(
        logs[2],
        "function `readings`: record 2: held back behind an earlier failure of its sequence"
    );
}

#[test]
fn a_service_bus_batch_fails_as_a_whole() {
    let (_app, app_port) = flask(0);
    let root = function_app(
        false,
        &[(
            "billing",
            json!([{"type": "serviceBusTrigger", "direction": "in", "name": "messages",
                    "queueName": "billing", "cardinality": "many"}]),
        )],
    );
    let (_ceh, port) = ceh_functions(root.path(), app_port);
    let batch = crate::fixtures::read("azure-functions/servicebus-batch.json");
    let (status, answer) = invoke(port, "billing", &batch);
    assert_eq!((status, &answer["Logs"]), (200, &json!([])), "{answer}");
    let mut failing: Value = serde_json::from_slice(&batch).unwrap();
    failing["Data"]["messages"][0] = json!("fail");
    let (status, answer) = invoke(port, "billing", failing.to_string().as_bytes());
    assert_eq!(status, 500, "{answer}");
    assert!(
        answer["Logs"][0]
            .as_str()
            .unwrap()
            .contains("1 of 2 records failed"),
        "{answer}"
    );
}

fn http_function() -> (&'static str, Value) {
    (
        "hello",
        json!([
            {"type": "httpTrigger", "direction": "in", "name": "req", "methods": ["get", "post"], "authLevel": "anonymous"},
            {"type": "http", "direction": "out", "name": "res"}
        ]),
    )
}

#[test]
fn an_http_trigger_in_the_payload_is_its_request_and_the_response_is_its_output() {
    let (_app, app_port) = flask(0);
    let root = function_app(false, &[http_function()]);
    let (_ceh, port) = ceh_functions(root.path(), app_port);
    let (status, answer) = invoke(
        port,
        "hello",
        &crate::fixtures::read("azure-functions/http.json"),
    );
    assert_eq!(status, 200, "{answer}");
    let res = &answer["Outputs"]["res"];
    assert_eq!(res["statusCode"], 200, "{answer}");
    assert_eq!(res["headers"]["content-type"], "application/json");
    let seen: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/api/orders");
    assert_eq!(seen["query"], "id=7");
    assert_eq!(seen["body"], "{\"order\": 7}");
    assert_eq!(seen["headers"]["user-agent"], json!(["curl/8.5.0"]));
    assert_eq!(seen["headers"]["ceh-function-name"], json!(["hello"]));
}

#[test]
fn a_forwarded_http_request_passes_through_as_it_is() {
    let (_app, app_port) = flask(0);
    let root = function_app(true, &[http_function(), queue_function()]);
    let (_ceh, port) = ceh_functions(root.path(), app_port);
    let headers = [
        ("content-type", "text/plain"),
        ("ceh-rule", "spoofed"),
        ("x-trace", "t1"),
    ];
    let (status, response_headers, body) =
        exchange(port, "PUT", "/api/hello?name=ceh", &headers, b"hi there");
    assert_eq!(status, 200, "{body}");
    let seen: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["method"], "PUT");
    assert_eq!(seen["path"], "/api/hello");
    assert_eq!(seen["query"], "name=ceh");
    assert_eq!(seen["body"], "hi there");
    assert_eq!(seen["headers"]["x-trace"], json!(["t1"]));
    assert!(
        seen["headers"].get("ceh-rule").is_none(),
        "a client cannot speak for ceh"
    );
    let cookies: Vec<&String> = response_headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .map(|(_, value)| value)
        .collect();
    assert_eq!(
        cookies.len(),
        2,
        "the app's response as it is: {response_headers:?}"
    );
    // An event route is ceh's, not a client's.
    let (status, _, _) = exchange(port, "POST", "/azure.queue", &[], b"x");
    assert_eq!(status, 404);
    // Other functions still arrive as invocation payloads.
    let (status, answer) = invoke(
        port,
        "orders",
        &crate::fixtures::read("azure-functions/queue.json"),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["ReturnValue"]["path"], "/azure.queue");
}

#[test]
fn a_failing_app_gets_the_host_a_500_with_the_reason_in_logs() {
    let (_app, app_port) = flask(0);
    let root = function_app(false, &[queue_function()]);
    let (_ceh, port) = ceh_functions(root.path(), app_port);
    let mut payload: Value =
        serde_json::from_slice(&crate::fixtures::read("azure-functions/queue.json")).unwrap();
    payload["Data"]["myQueueItem"] = json!("{\"mode\": \"fail\"}");
    let (status, answer) = invoke(port, "orders", payload.to_string().as_bytes());
    assert_eq!(status, 500, "{answer}");
    assert_eq!(answer["Outputs"], json!({}));
    assert_eq!(answer["ReturnValue"], Value::Null);
    let logs = answer["Logs"].as_array().unwrap();
    assert_eq!(logs.len(), 1, "{answer}");
    let line = logs[0].as_str().unwrap();
    assert!(
        line.starts_with("function `orders`: rule `azure-functions-queue`: the app answered 500 Internal Server Error to POST /azure.queue with \""),
        "{line}"
    );
    assert!(
        line.ends_with(", which counts as a failure; the event source will retry the event"),
        "{line}"
    );
}

#[test]
fn an_app_that_is_down_gets_the_host_a_500() {
    let root = function_app(false, &[queue_function()]);
    let (_ceh, port) = ceh_functions(root.path(), free_port());
    let (status, answer) = invoke(
        port,
        "orders",
        &crate::fixtures::read("azure-functions/queue.json"),
    );
    assert_eq!(status, 500, "{answer}");
    let logs = answer["Logs"].as_array().unwrap();
    assert_eq!(logs.len(), 1, "{answer}");
    assert!(
        logs[0].as_str().unwrap().starts_with("function `orders`: "),
        "{answer}"
    );
    assert_eq!(answer["Outputs"], json!({}));
}

#[test]
fn the_hosts_trace_context_reaches_the_app_unless_the_message_has_its_own() {
    // The host's request may carry W3C Trace Context (https://www.w3.org/TR/trace-context/);
    // Azure SDKs put the sender's in the message's `Diagnostic-Id` application property
    // (https://learn.microsoft.com/azure/service-bus-messaging/service-bus-end-to-end-tracing).
    const HOST: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const SENDER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let (_app, app_port) = flask(0);
    let root = function_app(false, &[billing_function()]);
    let (_ceh, port) = ceh_functions(root.path(), app_port);
    let mut payload: Value =
        serde_json::from_slice(&crate::fixtures::read("azure-functions/servicebus.json")).unwrap();
    let headers = [
        ("content-type", "application/json"),
        ("traceparent", HOST),
        ("tracestate", "host=1"),
    ];
    for (own, parent, state) in [(None, HOST, Some("host=1")), (Some(SENDER), SENDER, None)] {
        if let Some(own) = own {
            payload["Metadata"]["UserProperties"]["Diagnostic-Id"] = json!(own);
        }
        let (status, _, body) = exchange(
            port,
            "POST",
            "/billing",
            &headers,
            payload.to_string().as_bytes(),
        );
        assert_eq!(status, 200, "{body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        let seen = seen(&answer["ReturnValue"]);
        assert_eq!(seen["headers"]["traceparent"], json!([parent]), "{own:?}");
        let state = state.map(|s| json!([s]));
        assert_eq!(seen["headers"].get("tracestate"), state.as_ref(), "{own:?}");
    }
}
