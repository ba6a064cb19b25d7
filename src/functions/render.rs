//! `ceh functions`' render: the response payload the Functions host expects
//! back from a custom handler, `{"Outputs": {…}, "Logs": […], "ReturnValue": …}`.
//!
//! Where the app's answer goes, by the function's output bindings:
//! - a binding named `$return` gets it as `ReturnValue`;
//! - otherwise a single output binding gets it in `Outputs` under its name;
//! - with several, the answer must be a JSON object, and each of its members
//!   that names an output binding goes to that binding (`$return` too);
//! - without output bindings, it goes nowhere.
//!
//! The answer is the app's body, as JSON when it is JSON and as text
//! otherwise (`null` when empty); for an HTTP trigger, the http output
//! binding's `{statusCode, headers, body}`. A batch's messages have no one
//! answer: their output bindings get nothing.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde_json::{json, Map, Value};

use super::function_app::Function;
use crate::error::HandleError;
use crate::reply::Reply;
use crate::server::{refusal, TARGET};

/// The front end's name in the log.
pub(super) const FRONT: &str = "ceh functions";

/// The most lines a failed batch adds to `Logs`, one per failed message.
const MAX_FAILURE_LINES: usize = 100;

/// The response to an invocation of function `name`: 200 with its outputs,
/// or a 500 with the failure's lines in `Logs` (the host retries, and a
/// queue message goes to poison after its retries), never a success.
pub(crate) fn invocation(
    name: &str,
    function: Option<&Function>,
    outcome: Result<Reply, HandleError>,
) -> Response<Full<Bytes>> {
    let err = match outcome {
        // The host cannot be told which messages failed: the invocation fails whole.
        Ok(Reply::ItemFailures(items)) if !items.is_empty() => {
            let line = format!("function `{name}`: {} messages failed, and the host cannot be told which; the invocation fails so that it is retried", items.len());
            tracing::warn!(target: TARGET, "{FRONT}: 500 {line}");
            return payload_response(StatusCode::INTERNAL_SERVER_ERROR, failure(vec![line]));
        }
        Ok(reply) => return payload_response(StatusCode::OK, success(function, reply)),
        Err(err) => err,
    };
    let line = format!("function `{name}`: {err}");
    refusal(FRONT, &format!("500 {line}"));
    let mut lines = vec![line];
    // And a line for each message of a batch that failed, the first hundred of them.
    if let HandleError::Batch(batch) = &err {
        let more = batch.failures.len().saturating_sub(MAX_FAILURE_LINES);
        lines.extend(
            batch
                .failures
                .iter()
                .take(MAX_FAILURE_LINES)
                .map(|failure| format!("function `{name}`: {failure}")),
        );
        if more > 0 {
            lines.push(format!("function `{name}`: and {more} more records failed"));
        }
    }
    payload_response(StatusCode::INTERNAL_SERVER_ERROR, failure(lines))
}

/// The 400 refusing an invocation ceh does not take: `line` in `Logs`, and logged.
pub(super) fn refused(line: String) -> Response<Full<Bytes>> {
    refusal(FRONT, &format!("400 {line}"));
    payload_response(StatusCode::BAD_REQUEST, failure(vec![line]))
}

fn payload_response(status: StatusCode, payload: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(payload.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The payload for a handled invocation.
fn success(function: Option<&Function>, reply: Reply) -> Value {
    let answer = match reply {
        Reply::Http { reply, .. } => Some(reply),
        Reply::Dict(response) | Reply::Body { response, .. } => Some(body(response.body())),
        Reply::Answer(answer) => Some(answer),
        _ => None,
    };
    let mut outputs = Map::new();
    let mut returned = Value::Null;
    let mut logs = Vec::new();
    let bindings = function.map(Function::outputs).unwrap_or_default();
    match (answer, bindings) {
        (None, _) | (_, []) => {}
        (Some(answer), [one]) if one.name() == "$return" => returned = answer,
        (Some(answer), [one]) => {
            outputs.insert(one.name().to_owned(), answer);
        }
        (Some(Value::Object(members)), several) => {
            for (name, value) in members {
                match several.iter().find(|b| b.name() == name) {
                    Some(_) if name == "$return" => returned = value,
                    Some(_) => {
                        outputs.insert(name, value);
                    }
                    None => {}
                }
            }
        }
        (Some(_), several) => logs.push(format!(
            "ceh: the function has {} output bindings, so the app's body must be a JSON object with a member per binding; nothing was output",
            several.len()
        )),
    }
    json!({"Outputs": outputs, "Logs": logs, "ReturnValue": returned})
}

/// The payload for a failed invocation: one line per failure, nothing output.
fn failure(lines: Vec<String>) -> Value {
    json!({"Outputs": {}, "Logs": lines, "ReturnValue": null})
}

/// The app's body as an output value: JSON when it parses, text otherwise.
fn body(bytes: &Bytes) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}
