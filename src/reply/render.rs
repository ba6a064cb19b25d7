//! The typed reply, and how it is rendered for each kind of sender.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, TRANSFER_ENCODING};
use http::{HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

use super::dict::{body, dict};
use super::error::ReplyError;

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
    /// A queue or stream batch: the ids of the records to retry (none when every record was handled).
    ItemFailures(Vec<String>),
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
    /// let reply = Reply::ItemFailures(vec!["m2".into()]);
    /// assert_eq!(reply.into_json(), serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m2"}]}));
    /// ```
    pub fn into_json(self) -> Value {
        match self {
            Reply::Dict(response) => dict(&response),
            Reply::Body { json, .. } => json,
            Reply::ItemFailures(ids) => {
                let items: Vec<Value> = ids
                    .into_iter()
                    .map(|id| json!({ "itemIdentifier": id }))
                    .collect();
                json!({ "batchItemFailures": items })
            }
            Reply::Firehose(records) => {
                let items: Vec<Value> = records
                    .into_iter()
                    .map(|record| {
                        // Firehose reads `metadata` only with dynamic partitioning; empty keys are the neutral value.
                        json!({
                            "recordId": record.record_id,
                            "result": record.result.as_str(),
                            "data": record.data,
                            "metadata": { "partitionKeys": {} },
                        })
                    })
                    .collect();
                json!({ "records": items })
            }
            Reply::CloudFormation(document) | Reply::Answer(document) => document,
            Reply::Ignored { rule } => json!({ "ignored": true, "rule": rule }),
            Reply::Http { reply, .. } => reply,
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
            other => json_response(StatusCode::OK, &other.into_json()),
        }
    }
}

/// A JSON response with `status`.
fn json_response(status: StatusCode, body: &Value) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body.to_string()));
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
