//! One request from the Functions host: an invocation payload, through the
//! rules to the app, answered with the response payload; or, with HTTP
//! forwarding on, an HTTP trigger's original request, passed to the app and
//! its response back as it is.

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

use super::function_app::{Function, FunctionApp};
use super::render::{self, FRONT};
use super::{ingest, transport};
use crate::app::App;
use crate::handler::Handler;
use crate::headers::{
    poses_as, CLOUDEVENT_PREFIX, LWA_LAMBDA_CONTEXT_HEADER, LWA_REQUEST_CONTEXT_HEADER, PREFIX,
};
use crate::invocation::{BrokerHeaders, Invocation};
use crate::passthrough::plain_host;
use crate::plan::{forward as forward_action, Action};
use crate::server::{read_body, refusal, text, ServerOptions};

/// The header the Functions host names an invocation by.
const INVOCATION_ID: &str = "x-azure-functions-invocationid";

/// The answer to one request from the host.
pub(super) async fn answer<S: App + Clone>(
    request: Request<Incoming>,
    handler: &Handler,
    app: S,
    functions: &FunctionApp,
    options: &ServerOptions,
) -> Response<Full<Bytes>> {
    // The host invokes a function with `POST /<name>`; with forwarding on, it
    // sends an HTTP trigger's request itself, at its own path, which the
    // function app's routes keep apart from every `/<name>` (FunctionApp::load).
    let invoked = functions.invoked(request.method(), request.uri());
    let forwarded = functions.forwards_http() && invoked.is_none();
    let name = invoked
        .unwrap_or_else(|| request.uri().path().trim_start_matches('/'))
        .to_owned();
    let function = functions.function(&name);
    let (parts, body) = request.into_parts();
    let bytes = match read_body(FRONT, &parts.headers, body, options).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
    };
    let invocation = Invocation {
        request_id: parts
            .headers
            .get(INVOCATION_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        deadline: Some(std::time::SystemTime::now() + options.timeout),
        function_name: (!forwarded).then(|| name.clone()),
        max_answer_bytes: Some(options.max_body),
        // The host's own trace context, when it sends one; a forwarded
        // request carries its client's as its own headers.
        brokers: match forwarded {
            false => BrokerHeaders::from_request(&parts.headers),
            true => BrokerHeaders::default(),
        },
        ..Invocation::default()
    };
    if forwarded {
        return forward(handler, app, parts, bytes, &invocation).await;
    }
    let binding = function.and_then(Function::trigger).map(|t| t.name());
    let read = |bytes| handler.read_event(bytes, options.max_body);
    let event = match ingest::event(bytes, binding, read) {
        Ok(event) => event,
        Err(err) => {
            return render::refused(format!("function `{name}`: {err}"));
        }
    };
    // Classified once: the rule found is both what `ceh functions` checks it
    // takes and what the event is handled under.
    let classified = handler.classify(&event);
    if let Some(reason) = transport::refusal(&classified) {
        return render::refused(format!("function `{name}`: {reason}"));
    }
    let outcome = handler
        .handle_classified(classified, app, &invocation)
        .await;
    render::invocation(&name, function, outcome)
}

/// An HTTP trigger's forwarded request, to the app as it came (less what
/// only ceh may send); the app's response back as it is.
async fn forward<S: App>(
    handler: &Handler,
    app: S,
    parts: http::request::Parts,
    body: Bytes,
    invocation: &Invocation,
) -> Response<Full<Bytes>> {
    let config = handler.config();
    let keep_ce = config.http().allow_event_routes();
    let mut request = Request::new(body);
    *request.method_mut() = parts.method;
    *request.uri_mut() = parts.uri;
    for (name, value) in &parts.headers {
        // The context headers ceh sends under Lambda Web Adapter's names are ceh's too:
        // an app that reads them must not get a client's own.
        let lwa = *name == LWA_REQUEST_CONTEXT_HEADER || *name == LWA_LAMBDA_CONTEXT_HEADER;
        let ceh_own =
            lwa || poses_as(name, PREFIX) || (!keep_ce && poses_as(name, CLOUDEVENT_PREFIX));
        if !ceh_own && name != TRANSFER_ENCODING {
            request.headers_mut().append(name, value.clone());
        }
    }
    // The event-route guard, as for an HTTP event: the plan's.
    let mut request = match forward_action(config, request) {
        Ok(Action::Forward { request }) => request,
        Ok(Action::Refuse { response, .. }) => {
            let (parts, message) = response.into_parts();
            let message = String::from_utf8_lossy(&message);
            refusal(
                FRONT,
                &format!("{} {}", parts.status.as_u16(), message.trim_end()),
            );
            return text(parts.status, &message);
        }
        // A forwarded request's plan is one of those two; a refusal it cannot build is ceh's fault.
        Ok(_) | Err(_) => {
            let message = "cannot forward the request";
            refusal(FRONT, &format!("500 {message}"));
            return text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{message}\n"));
        }
    };
    let mut hosts = request.headers().get_all(HOST).iter();
    let one_plain_host = hosts.next().is_none_or(|host| plain_host(host.as_bytes()));
    if !one_plain_host || hosts.next().is_some() {
        let message = "the request's Host must be one host name or address with an optional port (1 to 65535)";
        refusal(FRONT, &format!("400 {message}"));
        return text(StatusCode::BAD_REQUEST, &format!("{message}\n"));
    }
    let length = HeaderValue::from(request.body().len());
    request.headers_mut().insert(CONTENT_LENGTH, length);
    if !request.headers().contains_key(HOST) {
        request
            .headers_mut()
            .insert(HOST, HeaderValue::from_static("localhost"));
    }
    match handler.forward(request, app, invocation).await {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            // The hop-by-hop headers went when the answer came (app::call).
            parts.headers.remove(CONTENT_LENGTH);
            Response::from_parts(parts, Full::new(body))
        }
        Err(err) => {
            refusal(FRONT, &format!("502 {err}"));
            text(StatusCode::BAD_GATEWAY, &format!("{err}\n"))
        }
    }
}
