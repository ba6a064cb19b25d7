//! The typed reply, and how it is rendered for each kind of sender.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, TRANSFER_ENCODING};
use http::{HeaderValue, Response, StatusCode};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value};

use super::dict::body;
use super::error::ReplyError;
use crate::describe::ResponseDescription;
use crate::rule::ItemIdentifier;

/// What the event source gets for one event.
///
/// ```
/// use cloud_events_handler::{Config, Echo, Event, Handler, Reply};
///
/// let handler = Handler::new(Config::default());
/// let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:s3", "s3": {}}]}"#)?;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let reply = handler.handle(&event, Echo).await?;
/// assert!(matches!(&reply, Reply::Dict(response) if response.status() == 200));
/// assert_eq!(reply.into_json()["status_code"], 200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Reply {
    /// `reply = "dict"`: the app's response, returned to Lambda as
    /// `{"status_code", "body", "headers"}`.
    Dict(Response<Bytes>),
    /// `reply = "body"`: the app's response, whose body is the result.
    Body {
        /// The app's response.
        response: Response<Bytes>,
        /// Its body, parsed: checked to be JSON when the reply was made.
        json: Value,
    },
    /// A queue or stream batch: the records to retry, by the identifier their
    /// source knows them by (none when every record was handled).
    ItemFailures(Vec<ItemIdentifier>),
    /// A Firehose transformation: every record's result.
    Firehose(Vec<FirehoseRecord>),
    /// A CloudFormation custom resource: the document sent to its `ResponseURL`.
    CloudFormation(Value),
    /// ceh answered the event itself with this JSON (`reply = "answer"`).
    Answer(Value),
    /// The event was answered without calling the app (a warm-up ping).
    Ignored {
        /// The rule that matched.
        rule: String,
    },
    /// An HTTP event: the app's response (or ceh's own refusal), and the
    /// reply in the shape its source requires.
    Http {
        /// The response the reply was made from.
        response: Response<Bytes>,
        /// The reply for the source (`statusCode`, `headers`, `body`, …).
        reply: Value,
    },
}

/// One record of a Firehose transformation reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirehoseRecord {
    /// The record's `recordId`.
    pub record_id: Option<String>,
    /// What Firehose does with it.
    pub result: FirehoseResult,
    /// Its data, base64: the app's body, or the original data when dropped or failed.
    pub data: Value,
}

/// A Firehose record's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirehoseResult {
    /// Transformed: the app's body is the new data.
    Ok,
    /// The app answered with an empty body: the record is dropped.
    Dropped,
    /// The app failed it: Firehose keeps it in its error output.
    ProcessingFailed,
}

impl FirehoseResult {
    fn as_str(self) -> &'static str {
        match self {
            FirehoseResult::Ok => "Ok",
            FirehoseResult::Dropped => "Dropped",
            FirehoseResult::ProcessingFailed => "ProcessingFailed",
        }
    }
}

impl Reply {
    /// The reply as the Lambda function returns it.
    ///
    /// ```
    /// use cloud_events_handler::Reply;
    ///
    /// let reply = Reply::ItemFailures(vec![cloud_events_handler::rule::ItemIdentifier::Id("m2".into())]);
    /// assert_eq!(reply.into_json(), serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m2"}]}));
    /// ```
    pub fn into_json(self) -> Value {
        match self {
            Reply::Body { json, .. }
            | Reply::CloudFormation(json)
            | Reply::Answer(json)
            | Reply::Http { reply: json, .. } => json,
            // Maps with string keys: always a `Value`.
            other => serde_json::to_value(&other).unwrap_or(Value::Null),
        }
    }

    /// The app's own response, where the reply was made from one.
    pub fn response(&self) -> Option<&Response<Bytes>> {
        match self {
            Reply::Dict(response) | Reply::Body { response, .. } | Reply::Http { response, .. } => {
                Some(response)
            }
            _ => None,
        }
    }

    /// The reply as an HTTP sender (`ceh serve`'s broker) receives it: the
    /// app's own status, headers and body for an event route, so that a
    /// Knative reply event or an Event Grid validation answer reaches the
    /// sender as the app wrote it; for an HTTP event its status with the
    /// source-shaped reply; for the rest, 200 with the reply's JSON.
    ///
    /// ```
    /// use cloud_events_handler::Reply;
    ///
    /// let app = http::Response::builder().status(202).header("ce-type", "reply").body(bytes::Bytes::from_static(b"ok"))?;
    /// let response = Reply::Dict(app).into_response();
    /// assert_eq!((response.status().as_u16(), response.headers()["ce-type"].to_str()?, &response.body()[..]), (202, "reply", &b"ok"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_response(self) -> Response<Bytes> {
        match self {
            Reply::Dict(response) | Reply::Body { response, .. } => {
                let (mut parts, body) = response.into_parts();
                // The body is complete: the server frames it anew.
                parts.headers.remove(TRANSFER_ENCODING);
                parts.headers.remove(http::header::CONNECTION);
                parts.headers.remove(http::header::CONTENT_LENGTH);
                Response::from_parts(parts, body)
            }
            Reply::Http { response, reply } => json_response(response.status(), &reply),
            other => json_response(StatusCode::OK, &other),
        }
    }
}

/// The reply as [`Reply::into_json`] gives it, written straight to a
/// serializer: what the Lambda loop sends, without building a `Value` of the
/// app's response first.
///
/// ```
/// use cloud_events_handler::Reply;
///
/// let app = http::Response::builder().status(201).header("x", "1").body(bytes::Bytes::from_static(b"made"))?;
/// assert_eq!(serde_json::to_string(&Reply::Dict(app))?, r#"{"status_code":201,"body":"made","headers":{"x":"1"}}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Serialize for Reply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Reply::Dict(response) => ResponseDescription(response).serialize(serializer),
            Reply::Body { json, .. }
            | Reply::CloudFormation(json)
            | Reply::Answer(json)
            | Reply::Http { reply: json, .. } => json.serialize(serializer),
            Reply::ItemFailures(ids) => {
                let items: Vec<ItemFailure<'_>> = ids.iter().map(ItemFailure).collect();
                serializer.collect_map([("batchItemFailures", items)])
            }
            Reply::Firehose(records) => serializer.collect_map([("records", records)]),
            Reply::Ignored { rule } => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("ignored", &true)?;
                map.serialize_entry("rule", rule)?;
                map.end()
            }
        }
    }
}

/// `{"itemIdentifier": id}`: one record for its source to retry.
struct ItemFailure<'a>(&'a ItemIdentifier);

impl Serialize for ItemFailure<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map([("itemIdentifier", self.0)])
    }
}

/// A record of a Firehose transformation's reply: `recordId`, `result`,
/// `data`, and `metadata`, which Firehose reads only with dynamic
/// partitioning (empty keys are the neutral value).
impl Serialize for FirehoseRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("recordId", &self.record_id)?;
        map.serialize_entry("result", self.result.as_str())?;
        map.serialize_entry("data", &self.data)?;
        map.serialize_entry("metadata", &json!({ "partitionKeys": {} }))?;
        map.end()
    }
}

/// A JSON response with `status`.
pub(crate) fn json_response(status: StatusCode, body: &impl Serialize) -> Response<Bytes> {
    // A reply's JSON has string keys only: it always serializes.
    let mut response = Response::new(Bytes::from(serde_json::to_vec(body).unwrap_or_default()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

impl Reply {
    /// The `reply = "body"` reply, refused when the app's body is not JSON.
    pub(crate) fn body(rule: &str, response: Response<Bytes>) -> Result<Self, ReplyError> {
        let json = body(rule, &response)?;
        Ok(Reply::Body { response, json })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes the Lambda loop sends, written straight from the reply, are the
    /// bytes its JSON (the shapes these replies always had) serializes to.
    #[test]
    fn replies_are_written_as_their_json_reads() -> Result<(), Box<dyn std::error::Error>> {
        let app = || {
            Response::builder()
                .status(207)
                .header("set-cookie", "a=1")
                .header("set-cookie", "b=2")
                .header("content-type", "application/octet-stream")
                .body(Bytes::from_static(b"\xff\x00raw"))
        };
        let firehose = |record_id: Option<&str>| FirehoseRecord {
            record_id: record_id.map(str::to_owned),
            result: FirehoseResult::Dropped,
            data: json!("aGk="),
        };
        for (reply, expected) in [
            (
                Reply::Dict(app()?),
                json!({"status_code": 207, "body": "/wByYXc=", "is_base64_encoded": true,
                       "headers": {"set-cookie": ["a=1", "b=2"], "content-type": "application/octet-stream"}}),
            ),
            (
                Reply::ItemFailures(vec![
                    ItemIdentifier::Id("m1".into()),
                    ItemIdentifier::Id("m\"2".into()),
                    ItemIdentifier::Kafka {
                        topic_partition: "orders-0".into(),
                        offset: 15,
                    },
                ]),
                json!({"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m\"2"},
                    {"itemIdentifier": {"topic-partition": "orders-0", "offset": 15}}]}),
            ),
            (
                Reply::ItemFailures(Vec::new()),
                json!({"batchItemFailures": []}),
            ),
            (
                Reply::Firehose(vec![firehose(Some("r1")), firehose(None)]),
                json!({"records": [
                    {"recordId": "r1", "result": "Dropped", "data": "aGk=", "metadata": {"partitionKeys": {}}},
                    {"recordId": null, "result": "Dropped", "data": "aGk=", "metadata": {"partitionKeys": {}}}]}),
            ),
            (
                Reply::Ignored {
                    rule: "warmup".into(),
                },
                json!({"ignored": true, "rule": "warmup"}),
            ),
            (
                Reply::Answer(json!({"z": 1, "a": [2]})),
                json!({"z": 1, "a": [2]}),
            ),
        ] {
            let written = serde_json::to_vec(&reply)?;
            assert_eq!(String::from_utf8(written)?, expected.to_string());
            assert_eq!(reply.into_json(), expected);
        }
        Ok(())
    }
}
