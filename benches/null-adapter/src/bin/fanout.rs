//! A batch's requests sent straight to the app, as ceh's fan-out sends them: each sequence (an
//! ordered stream's whole batch, or one record of an unordered queue) in order, at most
//! `concurrency` sequences at once, on one pooled client and a current-thread runtime.
//!
//!     fanout REQUESTS.json APP_URL ROUNDS
//!
//! REQUESTS.json: `{"concurrency": 8, "sequences": [[0, 1], [2]], "requests": [{"method", "path",
//! "headers": {…}, "body"}]}` (the requests as `ceh explain --format json` lists them). Prints one
//! JSON line: the seconds each round took.

use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, app, rounds] = args.as_slice() else {
        return Err("usage: fanout REQUESTS.json APP_URL ROUNDS".into());
    };
    let spec: Value = serde_json::from_slice(&std::fs::read(file)?)?;
    let rounds: usize = rounds.parse()?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(spec, app.trim_end_matches('/'), rounds))
}

struct Prepared {
    method: Method,
    uri: Uri,
    headers: Vec<(String, String)>,
    body: Bytes,
}

async fn run(spec: Value, app: &str, rounds: usize) -> Result<(), Error> {
    let mut prepared = Vec::new();
    for request in spec["requests"].as_array().ok_or("no requests")? {
        let query = request["query"]
            .as_str()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let headers = request["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .filter(|(name, _)| *name != "host" && *name != "content-length")
                    .map(|(name, value)| (name.clone(), value.as_str().unwrap_or("").to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        prepared.push(Prepared {
            method: request["method"].as_str().unwrap_or("POST").parse()?,
            uri: format!("{app}{}{query}", request["path"].as_str().unwrap_or("/")).parse()?,
            headers,
            body: Bytes::from(request["body"].as_str().unwrap_or("").to_owned()),
        });
    }
    let sequences: Vec<Vec<usize>> = serde_json::from_value(spec["sequences"].clone())?;
    let concurrency = spec["concurrency"].as_u64().unwrap_or(8) as usize;
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(connector);
    let prepared = &prepared;
    let client = &client;
    let mut seconds = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        let failures: usize = futures_util::stream::iter(sequences.iter())
            .map(|sequence| async move {
                let mut failed = 0;
                for &index in sequence {
                    let p = &prepared[index];
                    let mut builder = Request::builder().method(p.method.clone()).uri(p.uri.clone());
                    for (name, value) in &p.headers {
                        builder = builder.header(name, value);
                    }
                    let Ok(request) = builder.body(Full::new(p.body.clone())) else {
                        failed += 1;
                        break;
                    };
                    match client.request(request).await {
                        Ok(response) if response.status().is_success() => {
                            if response.into_body().collect().await.is_err() {
                                failed += 1;
                                break;
                            }
                        }
                        _ => {
                            failed += 1;
                            break;
                        }
                    }
                }
                failed
            })
            .buffer_unordered(concurrency.max(1))
            .fold(0, |sum, failed| async move { sum + failed })
            .await;
        if failures > 0 {
            return Err(format!("{failures} sequences failed").into());
        }
        seconds.push(started.elapsed().as_secs_f64());
    }
    println!("{}", serde_json::json!({ "seconds": seconds }));
    Ok(())
}
