//! Reading an HTTP event as its format's `aws_lambda_events` type, as leniently
//! as real senders need, and naming the JSON path of a field at fault.
//!
//! The types are stricter than what API Gateway's console, ALB and the tools
//! people test with send: `null` for an absent map (the console's test invoke
//! sends `"multiValueHeaders": null`), `pathParameters` as a string, a REST
//! `requestContext` without its own `httpMethod` (the top-level one is the
//! same), or none at all (missing or `null`, as apig-wsgi's tests send it), a
//! WebSocket `requestContext` without `connectedAt`, and `"identity": null` in
//! either context. Objects a request is made of stay required: WebSocket's
//! context, ALB's `requestContext.elb`, the 2.0 formats' `requestContext.http`
//! (the method) and Lattice v2's `requestContext`.
//! Those are read as what they mean; the event the app sees in
//! `ceh-request-context` is the one that was sent, never the one patched here.

use std::borrow::Cow;

use serde::de::value::MapDeserializer;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::PassThroughError;
use super::format::HttpFormat;

/// Top-level members that are maps when present: `null` means absent.
const MAPS: [&str; 6] = [
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
];

/// `json` read as `T`, the event's format type.
pub(super) fn read<T: DeserializeOwned>(
    json: &Value,
    format: HttpFormat,
) -> Result<T, PassThroughError> {
    let lenient = lenient(json, format);
    let plain = match &lenient {
        Some(members) => T::deserialize(members.deserializer()),
        // The usual case: nothing to patch.
        None => T::deserialize(json),
    };
    // Tracking the path costs as much as the read: it is done again,
    // tracked, only to name the field at fault.
    plain.or_else(|_| {
        let tracked = match &lenient {
            Some(members) => serde_path_to_error::deserialize(members.deserializer()),
            None => serde_path_to_error::deserialize(json),
        };
        tracked.map_err(|err| {
            let path = err.path().to_string();
            let reason = err.into_inner().to_string();
            PassThroughError::Shape {
                format,
                reason: at_path(&path, &reason),
            }
        })
    })
}

/// The event's members with what real senders do differently read as what
/// it means: the maps that mean "none" left out, the request context
/// completed. Every member but a completed context is the event's own, not
/// a copy (a body of megabytes is not copied to be read).
struct Lenient<'a>(Vec<(&'a str, Cow<'a, Value>)>);

impl Lenient<'_> {
    /// The members, read as an object.
    fn deserializer(
        &self,
    ) -> MapDeserializer<'_, impl Iterator<Item = (&str, &Value)>, serde_json::Error> {
        MapDeserializer::new(self.0.iter().map(|(name, value)| (*name, value.as_ref())))
    }
}

/// The event as [`Lenient`] reads it, or `None` when it needs none of that.
fn lenient(json: &Value, format: HttpFormat) -> Option<Lenient<'_>> {
    let object = json.as_object()?;
    let rest_style = matches!(
        format,
        HttpFormat::ApiGatewayV1 | HttpFormat::Websocket | HttpFormat::Alb
    );
    let absent =
        |key: &str, value: &Value| rest_style && MAPS.contains(&key) && means_absent(key, value);
    let null_maps = object.iter().any(|(key, value)| absent(key, value));
    // A REST request needs nothing of its context: `"requestContext": null` is none.
    let null_context = format == HttpFormat::ApiGatewayV1
        && object.get("requestContext").is_some_and(Value::is_null);
    let context = object.get("requestContext").filter(|_| !null_context);
    // The caller's identity is optional in both: `null` is none.
    let null_identity = |c: &Value| c.get("identity").is_some_and(Value::is_null);
    let context_needs = match format {
        // Only a request with a method of its own can lend it to its context.
        HttpFormat::ApiGatewayV1 => {
            (object.contains_key("httpMethod")
                && context.is_none_or(|c| c.get("httpMethod").is_none()))
                || context.is_some_and(null_identity)
        }
        HttpFormat::Websocket => {
            context.is_some_and(|c| c.get("connectedAt").is_none() || null_identity(c))
        }
        _ => false,
    };
    if !null_maps && !context_needs && !null_context {
        return None;
    }
    let mut members: Vec<(&str, Cow<'_, Value>)> = object
        .iter()
        .filter(|(key, value)| key.as_str() != "requestContext" && !absent(key, value))
        .map(|(key, value)| (key.as_str(), Cow::Borrowed(value)))
        .collect();
    let context = match context {
        Some(context) if !context_needs => Cow::Borrowed(context),
        // The context alone is copied, to be completed.
        context => {
            let mut context = context
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new()));
            if let Some(context) = context.as_object_mut() {
                if context.get("identity").is_some_and(Value::is_null) {
                    context.remove("identity");
                }
                match format {
                    HttpFormat::ApiGatewayV1 => {
                        if let (None, Some(method)) =
                            (context.get("httpMethod"), object.get("httpMethod"))
                        {
                            context.insert("httpMethod".into(), method.clone());
                        }
                    }
                    HttpFormat::Websocket => {
                        // Only ceh-request-context carries it, and that is the event as sent.
                        context.entry("connectedAt").or_insert(Value::from(0));
                    }
                    _ => {}
                }
            }
            Cow::Owned(context)
        }
    };
    members.push(("requestContext", context));
    Some(Lenient(members))
}

/// Whether a top-level map member means "none": `null`, or a `pathParameters`
/// that is not an object (the request does not use it).
fn means_absent(key: &str, value: &Value) -> bool {
    value.is_null() || (key == "pathParameters" && !value.is_object())
}

/// serde's reason, with the JSON path of the field at fault in front:
/// ``requestContext.httpMethod` is missing`, not ``missing field `httpMethod``.
fn at_path(path: &str, reason: &str) -> String {
    let reason = reason
        .replace("expected a QueryMap", "expected an object")
        .replace("expected a HeaderMap", "expected an object")
        .replace("expected a map", "expected an object");
    let inside = |field: &str| match path {
        "." | "" => field.to_owned(),
        parent => format!("{parent}.{field}"),
    };
    if let Some(field) = reason
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return format!("`{}` is missing", inside(field));
    }
    match path {
        "." | "" => reason,
        path => format!("`{path}`: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_field_by_its_path() {
        assert_eq!(
            at_path("requestContext", "missing field `httpMethod`"),
            "`requestContext.httpMethod` is missing"
        );
        assert_eq!(at_path(".", "missing field `path`"), "`path` is missing");
        assert_eq!(
            at_path(
                "multiValueQueryStringParameters",
                "invalid type: integer `7`, expected a QueryMap"
            ),
            "`multiValueQueryStringParameters`: invalid type: integer `7`, expected an object"
        );
    }
}
