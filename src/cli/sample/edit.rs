//! Where each override lands in an event of each shape: in every record of a
//! batch, and in the copies an event keeps of a field (an S3 bucket's ARN, a
//! REST API's `requestContext.path`). Only fields already there are replaced.

use serde_json::Value;

use super::catalog::Shape;
use super::error::SampleError;

/// `--bucket`: each record's bucket name, and its ARN where there is one.
pub(super) fn bucket(
    event: &mut Value,
    name: &'static str,
    bucket: &str,
) -> Result<(), SampleError> {
    each_record(event, name, |record| {
        set(record, name, &["s3", "bucket", "name"], text(bucket))?;
        let arn = format!("arn:aws:s3:::{bucket}");
        set_present(record, &["s3", "bucket", "arn"], text(&arn));
        Ok(())
    })
}

/// `--key`: each record's object key, encoded as S3 sends it.
pub(super) fn key(event: &mut Value, name: &'static str, key: &str) -> Result<(), SampleError> {
    each_record(event, name, |record| {
        set(record, name, &["s3", "object", "key"], text(&s3_key(key)))
    })
}

/// `--body`: each record's message: SNS's `Sns.Message`, SQS's `body`.
pub(super) fn body(
    event: &mut Value,
    name: &'static str,
    shape: Shape,
    body: &str,
) -> Result<(), SampleError> {
    let at: &[&str] = match shape {
        Shape::Sns => &["Sns", "Message"],
        _ => &["body"],
    };
    each_record(event, name, |record| set(record, name, at, text(body)))
}

/// A top-level field: EventBridge's `source`, `detail-type`.
pub(super) fn top(
    event: &mut Value,
    name: &'static str,
    field: &str,
    value: &str,
) -> Result<(), SampleError> {
    set(event, name, &[field], text(value))
}

/// `--path`: the request's path, in each place the format keeps it.
pub(super) fn path(
    event: &mut Value,
    name: &'static str,
    shape: Shape,
    path: &str,
) -> Result<(), SampleError> {
    match shape {
        Shape::RestApi => {
            // requestContext.path has the stage before the resource path: keep it.
            let old = event.get("path").and_then(Value::as_str).unwrap_or("");
            let full = event
                .pointer("/requestContext/path")
                .and_then(Value::as_str);
            if let Some(stage) = full.and_then(|full| full.strip_suffix(old)) {
                let full = format!("{stage}{path}");
                set(event, name, &["requestContext", "path"], text(&full))?;
            }
            set(event, name, &["path"], text(path))
        }
        Shape::HttpApi => {
            set(event, name, &["requestContext", "http", "path"], text(path))?;
            set(event, name, &["rawPath"], text(path))
        }
        Shape::LatticeV1 => set(event, name, &["raw_path"], text(path)),
        _ => set(event, name, &["path"], text(path)),
    }
}

/// `--method`: the request's method, in each place the format keeps it.
pub(super) fn method(
    event: &mut Value,
    name: &'static str,
    shape: Shape,
    method: &str,
) -> Result<(), SampleError> {
    let method = Value::String(method.to_owned());
    match shape {
        Shape::RestApi => {
            set_present(event, &["requestContext", "httpMethod"], method.clone());
            set(event, name, &["httpMethod"], method)
        }
        Shape::HttpApi => set(event, name, &["requestContext", "http", "method"], method),
        Shape::Alb => set(event, name, &["httpMethod"], method),
        _ => set(event, name, &["method"], method),
    }
}

/// Runs `change` on every record of the event's `Records`.
fn each_record(
    event: &mut Value,
    name: &'static str,
    change: impl FnMut(&mut Value) -> Result<(), SampleError>,
) -> Result<(), SampleError> {
    match event.get_mut("Records") {
        Some(Value::Array(records)) => records.iter_mut().try_for_each(change),
        _ => Err(missing(name, &["Records"])),
    }
}

/// Replaces the field at `at` in `value`, which must be there already.
fn set(value: &mut Value, name: &'static str, at: &[&str], new: Value) -> Result<(), SampleError> {
    let slot = field(value, at).ok_or_else(|| missing(name, at))?;
    *slot = new;
    Ok(())
}

/// Replaces the field at `at` when it is there.
fn set_present(value: &mut Value, at: &[&str], new: Value) {
    if let Some(slot) = field(value, at) {
        *slot = new;
    }
}

/// The field at `at` (object keys), if every step is there.
fn field<'v>(value: &'v mut Value, at: &[&str]) -> Option<&'v mut Value> {
    at.iter()
        .try_fold(value, |value, key| value.as_object_mut()?.get_mut(*key))
}

fn missing(sample: &'static str, at: &[&str]) -> SampleError {
    SampleError::Missing {
        sample,
        field: at.join("."),
    }
}

fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

/// An S3 key as notifications carry it: form-URL-encoded, slashes kept.
fn s3_key(key: &str) -> String {
    let segments: Vec<String> = key
        .split('/')
        .map(|segment| url::form_urlencoded::byte_serialize(segment.as_bytes()).collect())
        .collect();
    segments.join("/")
}
