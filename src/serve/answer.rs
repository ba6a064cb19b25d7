//! One request to `ceh serve`: checked, read within its limits, and answered
//! with the app's own response or the reason it was refused.

use base64::Engine as _;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;

use super::auth::{self, OidcCheck};
use super::intake::{self, Unread};
use super::options::ServeOptions;
use super::refusals;
use super::transport;
use crate::app::App;
use crate::error::{ErrorKind, HandleError};
use crate::event::Event;
use crate::handler::Handler;
use crate::invocation::Invocation;
use crate::reply::{json_response, Reply};

/// The answer to one request: the event(s) it carries, through the rules to the app.
pub(super) async fn answer<S: App + Clone>(
    request: Request<Incoming>,
    handler: &Handler,
    app: S,
    options: &ServeOptions,
    in_flight: &Semaphore,
    budget: &Semaphore,
) -> Response<Full<Bytes>> {
    if request.method() == Method::OPTIONS {
        if options.oidc.iter().any(OidcCheck::guards_handshake) {
            if let Some(refused) = unauthorized(request.headers(), options) {
                return refused;
            }
        }
        return handshake(request.headers(), options);
    }
    if request.method() != Method::POST {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "send events with POST\n");
    }
    if let Some(refused) = unauthorized(request.headers(), options) {
        return refused;
    }
    let (parts, body) = request.into_parts();
    let (bytes, _held) = match read_within(&parts.headers, body, options, budget).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    // The slot is taken once the body is in: a client slow to send it holds
    // no slot, so slow senders cannot lock the others out.
    let Ok(_permit) = in_flight.try_acquire() else {
        return busy(&format!(
            "ceh is handling {} requests already, its limit; retry shortly\n",
            options.max_in_flight
        ));
    };
    let events = match events(handler, &parts.headers, bytes, options.max_body) {
        Ok(events) => events,
        Err(reason) => return refuse(StatusCode::BAD_REQUEST, &format!("{reason}\n")),
    };
    if let Some(refused) = refused_by_transport(handler, &events) {
        return refused;
    }
    let invocation = Invocation {
        deadline: Some(std::time::SystemTime::now() + options.timeout),
        // The app's answers are held within the same bound as the bodies.
        max_answer_bytes: Some(options.max_body),
        ..Invocation::default()
    };
    let mut replies = Vec::with_capacity(events.len());
    for event in &events {
        match handler
            .handle_invocation(event, app.clone(), &invocation)
            .await
        {
            // An HTTP sender cannot be told which records failed: the delivery fails whole.
            Ok(Reply::ItemFailures(items)) if !items.is_empty() => {
                return refuse(
                    StatusCode::BAD_GATEWAY,
                    &format!("{} records of the event failed, and an HTTP sender cannot be told which; the delivery fails so that it is retried\n", items.len()),
                )
            }
            Ok(reply) => replies.push(reply),
            Err(err) => return failure(&err),
        }
    }
    match replies.pop() {
        // One event: the sender gets the app's own answer.
        Some(reply) if replies.is_empty() => {
            let taken = matches!(reply, Reply::Dict(_) | Reply::Body { .. });
            let mut response = reply.into_response();
            // An answer ceh took as done (dropped on the app's word, or a status the
            // configuration does not count as failure) is a 2xx every sender acknowledges.
            if taken && !response.status().is_success() {
                *response.status_mut() = StatusCode::ACCEPTED;
            }
            response.map(Full::new)
        }
        // A batch of CloudEvents: every event was taken; one reply each, in order.
        last => {
            replies.extend(last);
            json_response(StatusCode::OK, &replies).map(Full::new)
        }
    }
}

/// The answer refusing a request whose event, or an event of whose batch,
/// `ceh serve` does not take ([`transport::refusal`]): 422, naming the rule
/// (and the item of a batch).
fn refused_by_transport(handler: &Handler, events: &[Event]) -> Option<Response<Full<Bytes>>> {
    let (index, reason) = events
        .iter()
        .enumerate()
        .find_map(|(index, event)| Some((index, transport::refusal(handler, event)?)))?;
    let message = match events.len() {
        1 => format!("{reason}\n"),
        _ => format!("item {index} of the batch (from 0): {reason}\n"),
    };
    Some(refuse(StatusCode::UNPROCESSABLE_ENTITY, &message))
}

/// A request's body, read whole within `options`' size and time limits and
/// the bytes `budget` has left, or the answer that refuses it (413 over the
/// limit, 408 too slow, 503 over the budget).
async fn read_within<'b>(
    headers: &HeaderMap,
    body: Incoming,
    options: &ServeOptions,
    budget: &'b Semaphore,
) -> Result<(Bytes, intake::Held<'b>), Response<Full<Bytes>>> {
    if declared_too_large(headers, options.max_body) {
        return Err(too_large(options.max_body));
    }
    intake::read(body, options.max_body, options.body_timeout, budget)
        .await
        .map_err(|unread| match unread {
            Unread::TooLarge => too_large(options.max_body),
            Unread::TooSlow => too_slow(options),
            Unread::OverBudget => busy(&format!(
                "ceh is holding {} bytes of request bodies already, its limit; retry shortly\n",
                options.max_in_flight.saturating_mul(options.max_body)
            )),
        })
}

/// Whether a request's declared `Content-Length` is over `max_body`: a body
/// that can never be taken is not read.
fn declared_too_large(headers: &HeaderMap, max_body: usize) -> bool {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
        .is_some_and(|len| len > max_body as u64)
}

/// The 503 with `Retry-After: 1` for a request over one of the caps.
fn busy(message: &str) -> Response<Full<Bytes>> {
    let mut response = refuse(StatusCode::SERVICE_UNAVAILABLE, message);
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The answer to a body that did not arrive in time.
fn too_slow(options: &ServeOptions) -> Response<Full<Bytes>> {
    let message = format!(
        "the request body did not arrive within {} ms\n",
        options.body_timeout.as_millis()
    );
    refuse(StatusCode::REQUEST_TIMEOUT, &message)
}

/// A request's body, read whole within `options`' size and time limits, or
/// the answer that refuses it (413 over the limit, 408 too slow).
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Incoming,
    options: &ServeOptions,
) -> Result<Bytes, Response<Full<Bytes>>> {
    if declared_too_large(headers, options.max_body) {
        return Err(too_large(options.max_body));
    }
    let read = tokio::time::timeout(
        options.body_timeout,
        Limited::new(body, options.max_body).collect(),
    );
    match read.await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(_)) => Err(too_large(options.max_body)),
        Err(_) => Err(too_slow(options)),
    }
}

/// The 401 for a request without what `options` require (the shared token,
/// or an OIDC token a check verifies); `None` when it has it, or when
/// nothing is required.
fn unauthorized(headers: &HeaderMap, options: &ServeOptions) -> Option<Response<Full<Bytes>>> {
    if options.token.is_none() && options.oidc.is_empty() {
        return None;
    }
    let offered = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let reason = auth::admit(offered, options.token.as_deref(), &options.oidc).err()?;
    let mut response = refuse(StatusCode::UNAUTHORIZED, &format!("{reason}\n"));
    response.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer"),
    );
    Some(response)
}

/// The events a request carries, as structured JSON.
fn events(
    handler: &Handler,
    headers: &HeaderMap,
    body: Bytes,
    max_body: usize,
) -> Result<Vec<Event>, String> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if headers.contains_key("ce-specversion") {
        // Binary mode: the attributes in ce-* headers, the data in the body.
        if body.len() > max_body {
            return Err(format!(
                "the event is {} bytes, over the limit of {max_body} bytes",
                body.len()
            ));
        }
        // The SDK reads the attributes; the data is added here, parsed once and
        // moved in, rather than copied into the SDK's event and out again.
        let event = cloudevents::binding::http::to_event(headers, Vec::new())
            .map_err(|e| format!("not a valid binary-mode CloudEvent: {}", binary_error(&e)))?;
        let mut structured = serde_json::to_value(&event).map_err(|e| e.to_string())?;
        // The rules read the structured form: JSON data as JSON, other data as base64.
        let json = content_type
            .ends_with("json")
            .then(|| serde_json::from_slice::<serde_json::Value>(&body).ok())
            .flatten();
        let data = match json {
            Some(data) => Some(("data", data)),
            None if body.is_empty() => None,
            None => Some((
                "data_base64",
                serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(&body)),
            )),
        };
        if let (Some(object), Some((member, data))) = (structured.as_object_mut(), data) {
            object.insert(member.to_owned(), data);
        }
        // … and the app gets the event as it came: its attributes, its data byte for byte.
        let attributes: HeaderMap = headers
            .iter()
            .filter(|(name, _)| name.as_str().starts_with("ce-") || *name == CONTENT_TYPE)
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        return Ok(vec![Event::binary_cloudevent(structured, body, attributes)]);
    }
    if content_type == "application/cloudevents-batch+json" {
        let event = Event::from_bytes_limited(body, max_body).map_err(|e| e.to_string())?;
        // Each item goes on as it was sent: a slice of the body, not a re-serialized value.
        let items: Vec<&RawValue> = serde_json::from_slice(event.bytes()).map_err(|_| {
            "an application/cloudevents-batch+json body must be a JSON array of CloudEvents"
        })?;
        return items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                // A borrowed `RawValue` is always a slice of the bytes it was read from.
                let bytes = event.bytes().slice_ref(item.get().as_bytes());
                transport::cloudevent(&bytes).map_err(|reason| {
                    format!("item {index} of the application/cloudevents-batch+json body (from 0) is not a CloudEvent: {reason}")
                })?;
                handler
                    .read_event(bytes, max_body)
                    .map_err(|e| e.to_string())
            })
            .collect();
    }
    let event = handler
        .read_event(body, max_body)
        .map_err(|e| e.to_string())?;
    if content_type == "application/cloudevents+json" {
        transport::claims_cloudevent(event.bytes()).map_err(|reason| {
            format!("the application/cloudevents+json body is not a CloudEvent: {reason}")
        })?;
    }
    Ok(vec![event])
}

/// Why the SDK refused a binary-mode CloudEvent's headers, without quoting a
/// header's value back to the client (the SDK's own message for an unknown
/// specversion does).
fn binary_error(err: &cloudevents::message::Error) -> String {
    match err {
        cloudevents::message::Error::UnknownSpecVersion { .. } => {
            "header ce-specversion is neither 1.0 nor 0.3".to_owned()
        }
        other => other.to_string(),
    }
}

/// Azure Event Grid's CloudEvents webhook validation: an OPTIONS request
/// naming its origin, answered with the origins allowed to deliver.
fn handshake(headers: &HeaderMap, options: &ServeOptions) -> Response<Full<Bytes>> {
    let origin = headers
        .get("webhook-request-origin")
        .and_then(|v| v.to_str().ok());
    let allowed = origin.filter(|o| {
        options.allowed_origins.iter().any(|a| {
            a == "*"
                || o.eq_ignore_ascii_case(a)
                || o.to_ascii_lowercase()
                    .ends_with(&format!(".{}", a.to_ascii_lowercase()))
        })
    });
    let mut response = Response::new(Full::new(Bytes::new()));
    match (origin, allowed) {
        (Some(_), Some(origin)) => {
            if let Ok(value) = HeaderValue::from_str(origin) {
                response
                    .headers_mut()
                    .insert("webhook-allowed-origin", value);
            }
            response
                .headers_mut()
                .insert("webhook-allowed-rate", HeaderValue::from_static("*"));
            response
                .headers_mut()
                .insert("allow", HeaderValue::from_static("POST, OPTIONS"));
        }
        (Some(_), None) => *response.status_mut() = StatusCode::FORBIDDEN,
        (None, _) => {
            response
                .headers_mut()
                .insert("allow", HeaderValue::from_static("POST, OPTIONS"));
        }
    }
    response
}

/// A failed event: 4xx when the event is at fault, 5xx so the sender retries otherwise.
fn failure(err: &HandleError) -> Response<Full<Bytes>> {
    let status = match (err.kind(), err.app_status()) {
        (ErrorKind::NoRule, _) => StatusCode::UNPROCESSABLE_ENTITY,
        (
            ErrorKind::InvalidCloudEvent | ErrorKind::InvalidHttpEvent | ErrorKind::InvalidEvent,
            _,
        ) => StatusCode::BAD_REQUEST,
        // The batch can never be taken: a retry would fail the same way.
        (ErrorKind::TooManyRecords, _) => StatusCode::PAYLOAD_TOO_LARGE,
        (ErrorKind::AppTimeout, _) => StatusCode::GATEWAY_TIMEOUT,
        (ErrorKind::AppFailed, Some(status)) if status.is_server_error() => status,
        // The app refused it (a 404 for a route it lacks, a redirect): a 5xx every
        // sender retries, where the app's own 4xx would make Event Grid or Knative drop it.
        (ErrorKind::AppFailed, Some(_)) => StatusCode::BAD_GATEWAY,
        (ErrorKind::AppUnreachable | ErrorKind::AppFailed | ErrorKind::BatchFailed, None) => {
            StatusCode::BAD_GATEWAY
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refuse(status, &format!("{err}\n"))
}

/// The answer to a body over the limit.
fn too_large(max_body: usize) -> Response<Full<Bytes>> {
    let message = format!("the request body is over the limit of {max_body} bytes, or broke off\n");
    refuse(StatusCode::PAYLOAD_TOO_LARGE, &message)
}

/// A delivery ceh refuses or fails: the plain-text answer, and one line on
/// stderr for the operator (at most [`refusals::LINES_PER_SECOND`] a second). The line is the answer's own text, which names
/// the rule, the status and the cause, never a body or a header's value.
fn refuse(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    refusals::log(
        "ceh serve",
        &format!("{} {}", status.as_u16(), message.trim_end()),
    );
    text(status, message)
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
