//! Response streaming (`CEH_INVOKE_MODE=response_stream`): a function URL event's response
//! reaches the runtime API as the app writes it. A local stand-in for the runtime API, which
//! speaks the custom-runtime contract, hands ceh one invocation and reads the streamed reply
//! frame by frame; the Flask app writes its second event only once the stand-in has seen the
//! first, so a buffered reply could never pass.

use std::convert::Infallible;
use std::sync::mpsc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use super::harness::{flask, Process};

/// What the stand-in saw of ceh's reply.
enum Seen {
    Headers(HeaderMap),
    Data(Bytes),
    Trailers(HeaderMap),
    End,
}

/// Serves `GET …/next` once with `event`, then holds later calls; hands every frame of
/// `POST …/response` to `seen` as it arrives.
fn stand_in(event: Value, seen: mpsc::Sender<Seen>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let served = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            // Bounded: a handful of connections at most, and the test ends the process.
            for _ in 0..8 {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (event, seen, served) = (event.clone(), seen.clone(), served.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                        let (event, seen, served) = (event.clone(), seen.clone(), served.clone());
                        async move { Ok::<_, Infallible>(answer(request, event, seen, served).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    port
}

async fn answer(
    request: Request<Incoming>,
    event: Value,
    seen: mpsc::Sender<Seen>,
    served: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    if path.starts_with("/2020-01-01/extension/") {
        // A runtime API without the Extensions API: ceh registers for
        // SIGTERM during init, is refused, and serves on.
        return Response::builder()
            .status(404)
            .body(Full::new(Bytes::new()))
            .unwrap();
    }
    if path.ends_with("/invocation/next") {
        if served.swap(true, std::sync::atomic::Ordering::SeqCst) {
            // One invocation is the whole test.
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 60_000;
        return Response::builder()
            .header("lambda-runtime-aws-request-id", "req-1")
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:f",
            )
            .body(Full::new(Bytes::from(event.to_string())))
            .unwrap();
    }
    let (parts, mut body) = request.into_parts();
    let _ = seen.send(Seen::Headers(parts.headers));
    while let Some(Ok(frame)) = body.frame().await {
        let _ = match frame.into_data() {
            Ok(data) => seen.send(Seen::Data(data)),
            Err(frame) => seen.send(Seen::Trailers(frame.into_trailers().unwrap_or_default())),
        };
    }
    let _ = seen.send(Seen::End);
    Response::builder()
        .status(202)
        .body(Full::new(Bytes::new()))
        .unwrap()
}

#[test]
fn a_function_url_response_streams_as_the_app_writes_it() {
    let (_app, app_port) = flask(0);
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("seen-the-first");
    let mut event: Value =
        serde_json::from_slice(&crate::fixtures::read("function-url/request.json")).unwrap();
    event["rawPath"] = json!("/stream");
    event["rawQueryString"] = json!(format!("flag={}", flag.display()));
    let (tell, seen) = mpsc::channel();
    let port = stand_in(event, tell);
    let ceh = std::process::Command::new(env!("CARGO_BIN_EXE_ceh"))
        .arg("lambda")
        .env_remove("CEH_CONFIG")
        .env("APP", format!("http://127.0.0.1:{app_port}"))
        .env("AWS_LWA_INVOKE_MODE", "response_stream")
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "f")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _ceh = Process(ceh);
    let next = || {
        seen.recv_timeout(Duration::from_secs(20))
            .expect("the stand-in heard nothing")
    };
    let Seen::Headers(headers) = next() else {
        panic!("no reply")
    };
    assert_eq!(
        headers["lambda-runtime-function-response-mode"],
        "streaming"
    );
    assert_eq!(
        headers["content-type"],
        "application/vnd.awslambda.http-integration-response"
    );
    let mut body = Vec::new();
    let mut released = false;
    let trailers = loop {
        match next() {
            Seen::Data(data) => body.extend_from_slice(&data),
            Seen::Trailers(trailers) => break Some(trailers),
            Seen::End => break None,
            Seen::Headers(_) => panic!("a second reply"),
        }
        if !released && body.windows(9).any(|w| w == b"data: 1\n\n") {
            // The first event arrived while the app still holds the second: release it.
            std::fs::write(&flag, b"").unwrap();
            released = true;
        }
    };
    assert!(released, "the first event never arrived on its own");
    assert!(trailers.is_none_or(|t| t.get("lambda-runtime-function-error-type").is_none()));
    let split = body
        .windows(8)
        .position(|w| w == [0u8; 8])
        .expect("the delimiter");
    let prelude: Value = serde_json::from_slice(&body[..split]).unwrap();
    assert_eq!(prelude["statusCode"], 200);
    assert_eq!(
        prelude["headers"]["content-type"],
        "text/event-stream; charset=utf-8"
    );
    assert_eq!(&body[split + 8..], b"data: 1\n\ndata: 2\n\n");
}
