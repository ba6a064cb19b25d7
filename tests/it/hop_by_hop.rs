//! The app's hop-by-hop headers describe its connection to ceh, not the
//! answer (RFC 9110 §7.6.1): they never reach a reply, in any source's shape.

use bytes::Bytes;
use cloud_events_handler::{Config, Event, Handler};
use http::{Request, Response};
use http_body_util::Full;
use serde_json::Value;

use crate::fixtures;

/// An app that answers with every kind of hop-by-hop header beside two of its own.
fn chatty_app() -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(|_request: Request<Full<Bytes>>| async {
        let response = Response::builder()
            .header("connection", "keep-alive, x-session")
            .header("keep-alive", "timeout=5, max=100")
            .header("x-session", "s-1")
            .header("upgrade", "h2c")
            .header("transfer-encoding", "chunked")
            .header("trailer", "x-digest")
            .header("proxy-connection", "keep-alive")
            .header("content-type", "application/json")
            .header("x-order", "7")
            .body(Full::new(Bytes::from_static(b"{}")))
            .unwrap();
        Ok(response)
    })
}

/// Every header name a reply carries, whatever its shape: `headers`,
/// `multiValueHeaders` (API Gateway REST, ALB), or a dict reply's `headers`.
fn names(reply: &Value) -> Vec<String> {
    let mut names: Vec<String> = ["headers", "multiValueHeaders"]
        .iter()
        .filter_map(|key| reply.get(key).and_then(Value::as_object))
        .flat_map(|map| map.keys().map(|name| name.to_ascii_lowercase()))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn no_reply_carries_the_apps_hop_by_hop_headers() {
    let handler = Handler::new(Config::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for fixture in [
        "apigw-v1/proxy.json",
        "apigw-v1/console-test.json",
        "apigw-v2/get-cookies.json",
        "alb/request.json",
        "alb/multi-value-request.json",
        "function-url/request.json",
        "s3/put.json",
    ] {
        let event = Event::from_slice(&fixtures::read(fixture)).unwrap();
        let reply = runtime
            .block_on(handler.handle(&event, chatty_app()))
            .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let json = reply.into_json();
        assert_eq!(
            names(&json),
            ["content-type", "x-order"],
            "{fixture}: {json}"
        );
    }
}
