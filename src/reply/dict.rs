//! The `dict` and `body` replies, from the app's response.

use bytes::Bytes;
use http::Response;
use serde_json::Value;

use super::error::ReplyError;
use crate::describe::ResponseDescription;

/// The default reply: `{"status_code": int, "body": string, "headers": {…}}`,
/// the shape the Python `cloud-events-handler` returned.
///
/// Repeated headers become arrays; a body that is not UTF-8 is base64, with
/// `"is_base64_encoded": true`.
///
/// ```
/// use cloud_events_handler::reply;
///
/// let response = http::Response::builder()
///     .status(201)
///     .header("content-type", "text/plain")
///     .body(bytes::Bytes::from_static(b"stored"))
///     .unwrap();
/// assert_eq!(
///     reply::dict(&response),
///     serde_json::json!({"status_code": 201, "body": "stored", "headers": {"content-type": "text/plain"}})
/// );
/// ```
pub fn dict(response: &Response<Bytes>) -> Value {
    // A map with string keys always becomes a `Value`.
    serde_json::to_value(ResponseDescription(response)).unwrap_or(Value::Null)
}

/// The app's body as the result, for triggers that act on the Lambda's result
/// (Cognito, Lex, Alexa…): it must be JSON.
///
/// ```
/// use cloud_events_handler::reply;
///
/// let response = http::Response::new(bytes::Bytes::from_static(br#"{"isAuthorized": true}"#));
/// assert_eq!(reply::body("appsync-authorizer", &response)?, serde_json::json!({"isAuthorized": true}));
/// # Ok::<(), reply::ReplyError>(())
/// ```
pub fn body(rule: &str, response: &Response<Bytes>) -> Result<Value, ReplyError> {
    serde_json::from_slice(response.body()).map_err(|e| ReplyError::BodyNotJson {
        rule: rule.to_owned(),
        status: response.status(),
        reason: e.to_string(),
    })
}
