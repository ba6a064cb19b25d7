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
use serde_json::{json, Map, Value};

use super::function_app::Function;
use crate::reply::Reply;

/// The payload for a handled invocation.
pub(crate) fn success(function: Option<&Function>, reply: Reply) -> Value {
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
pub(crate) fn failure(lines: Vec<String>) -> Value {
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
