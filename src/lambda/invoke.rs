//! One invocation: the payload becomes an event, the handler's reply the result
//! Lambda returns, or the `errorType` and message it reports.

use bytes::Bytes;
use lambda_runtime::Diagnostic;

use crate::app::App;
use crate::event::DEFAULT_MAX_EVENT_BYTES;
use crate::{ErrorKind, Event, Handler, Invocation, Reply};

/// Handles one invocation: the payload's bytes, uncopied, become the event, and
/// the result is the reply Lambda returns, or the error it reports.
pub(super) async fn invoke<S: App + Clone>(
    handler: &Handler,
    app: S,
    payload: Bytes,
    invocation: &Invocation,
) -> Result<Reply, Diagnostic> {
    let event = ingest(handler, payload)?;
    handler
        .handle_invocation(&event, app, invocation)
        .await
        .map_err(|e| diagnostic(e.kind(), &e))
}

/// The Lambda front end's ingest: an invocation's payload, its bytes
/// uncopied, as the event (`Ceh.InvalidEvent` when it is not one).
pub(crate) fn ingest(handler: &Handler, payload: Bytes) -> Result<Event, Diagnostic> {
    handler
        .read_event(payload, DEFAULT_MAX_EVENT_BYTES)
        .map_err(|e| diagnostic(ErrorKind::InvalidEvent, &e))
}

/// The reply as Lambda receives it, written without building its JSON as a
/// `Value` first; refused with a reason when Lambda would refuse it for its
/// size after the work is done.
pub(super) fn serialize_reply(reply: &Reply) -> Result<Vec<u8>, Diagnostic> {
    let bytes = serde_json::to_vec(reply).map_err(|e| diagnostic(ErrorKind::InvalidReply, &e))?;
    if bytes.len() > MAX_REPLY_BYTES {
        let message = format!(
            "the reply is {} bytes, over Lambda's limit of {MAX_REPLY_BYTES} bytes for a function's result; make the app answer with less",
            bytes.len()
        );
        return Err(diagnostic(ErrorKind::ReplyTooLarge, &message));
    }
    Ok(bytes)
}

/// Lambda's limit for a synchronous invocation's result (6 MB).
///
/// ```
/// use cloud_events_handler::lambda::MAX_REPLY_BYTES;
///
/// assert_eq!(MAX_REPLY_BYTES, 6 * 1024 * 1024);
/// ```
pub const MAX_REPLY_BYTES: usize = 6 * 1024 * 1024;

/// What Lambda reports for a failure of `kind`: its `errorType` and the message.
pub(crate) fn diagnostic(kind: ErrorKind, err: &dyn std::fmt::Display) -> Diagnostic {
    Diagnostic {
        error_type: kind.error_type().to_owned(),
        error_message: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Event};

    #[test]
    fn errors_are_reported_by_kind() -> Result<(), Box<dyn std::error::Error>> {
        let handler = Handler::new(Config::parse("ceh.toml", "[fallback]\nreject = true\n")?);
        let err = handler.explain(&Event::from_slice(b"{}")?).unwrap_err();
        assert_eq!(
            diagnostic(err.kind(), &err).error_type,
            ErrorKind::NoRule.error_type()
        );
        Ok(())
    }
}
