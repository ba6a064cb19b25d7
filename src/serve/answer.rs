//! One request to `ceh serve`: checked, read within its limits, its events
//! ingested, handled, and rendered as the app's own response or the reason
//! it was refused.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use tokio::sync::Semaphore;

use super::auth::{self, OidcCheck};
use super::options::ServeOptions;
use super::render::{self, FRONT};
use super::{ingest, transport};
use crate::app::App;
use crate::handler::Handler;
use crate::plan::Classified;
use crate::server::{busy, read_within, refuse};

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
        return refuse(
            FRONT,
            StatusCode::METHOD_NOT_ALLOWED,
            "send events with POST\n",
        );
    }
    if let Some(refused) = unauthorized(request.headers(), options) {
        return refused;
    }
    let (parts, body) = request.into_parts();
    let limits = &options.server;
    let read = read_within(FRONT, &parts.headers, body, limits, budget).await;
    let (bytes, _held) = match read {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    // The slot is taken once the body is in: a client slow to send it holds
    // no slot, so slow senders cannot lock the others out.
    let Ok(_permit) = in_flight.try_acquire() else {
        return busy(
            FRONT,
            &format!(
                "ceh is handling {} requests already, its limit; retry shortly\n",
                limits.max_in_flight
            ),
        );
    };
    let events = match ingest::events(handler, &parts.headers, bytes, limits.max_body) {
        Ok(events) => events,
        Err(reason) => return refuse(FRONT, StatusCode::BAD_REQUEST, &format!("{reason}\n")),
    };
    // Each event is classified once: the rule found is both what `ceh serve`
    // checks it takes and what the event is handled under.
    let classified: Vec<Classified> = events.iter().map(|e| handler.classify(e)).collect();
    if let Some(refused) = refused_by_transport(&classified) {
        return refused;
    }
    let invocation = ingest::invocation(limits, &parts.headers);
    let mut replies = Vec::with_capacity(events.len());
    for event in classified {
        // Boxed: the way to the app (every kind of delivery, the pooled
        // client's futures) is a future of kilobytes, which would otherwise
        // be inside this one and copied whole each time hyper moves it.
        let handling = handler.handle_classified(event, app.clone(), &invocation);
        let outcome = Box::pin(handling).await;
        match render::handled(outcome) {
            Ok(reply) => replies.push(reply),
            Err(failed) => return *failed,
        }
    }
    render::replies(replies)
}

/// The answer refusing a request whose event, or an event of whose batch,
/// `ceh serve` does not take ([`transport::refusal`]): 422, naming the rule
/// (and the item of a batch).
fn refused_by_transport(events: &[Classified]) -> Option<Response<Full<Bytes>>> {
    let (index, reason) = events
        .iter()
        .enumerate()
        .find_map(|(index, event)| Some((index, transport::refusal(event)?)))?;
    let message = match events.len() {
        1 => format!("{reason}\n"),
        _ => format!("item {index} of the batch (from 0): {reason}\n"),
    };
    Some(refuse(FRONT, StatusCode::UNPROCESSABLE_ENTITY, &message))
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
    let mut response = refuse(FRONT, StatusCode::UNAUTHORIZED, &format!("{reason}\n"));
    response.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer"),
    );
    Some(response)
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
