//! The null adapter: a Lambda runtime-API client that routes nothing and shapes no reply. It asks
//! for the next invocation, POSTs the event to the app as it came, and POSTs the app's body back
//! as the invocation's response. Whatever an adapter adds beyond this is its own work.
//!
//! Settings, as `ceh` takes them: `AWS_LAMBDA_RUNTIME_API` (a `host:port` or a URL), `APP` (the
//! app's base URL) and `READINESS_PATH` (checked until the app answers, before the first `next`).
//!
//! With `FANOUT_REQUESTS` (a requests file, see src/batch.rs), each invocation is a batch: instead
//! of POSTing the event, it sends the file's requests to the app as ceh's fan-out does and answers
//! `{"batchItemFailures": []}`. That is the floor of a batch behind the same runtime API round
//! trip ceh's delivery takes (benches/e2e_duel.py, 2d).

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full};

mod batch;

use batch::{client, Batch, Error, Http};

fn main() -> Result<(), Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), Error> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    let api = api.trim_end_matches('/');
    let api = if api.contains("://") {
        api.to_owned()
    } else {
        format!("http://{api}")
    };
    let app = std::env::var("APP")?;
    let app = app.trim_end_matches('/').to_owned();
    let batch = match std::env::var("FANOUT_REQUESTS") {
        Ok(file) => Some(Batch::load(&file, &app)?),
        Err(_) => None,
    };
    let client = client();
    if let Ok(path) = std::env::var("READINESS_PATH") {
        ready(&client, &format!("{app}{path}")).await;
    }
    let next: Uri = format!("{api}/2018-06-01/runtime/invocation/next").parse()?;
    let to_app: Uri = format!("{app}/").parse()?;
    loop {
        let (id, event) = {
            let response = client.get(next.clone()).await?;
            let id = response
                .headers()
                .get("lambda-runtime-aws-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            (id, response.into_body().collect().await?.to_bytes())
        };
        let answer = match &batch {
            Some(batch) => {
                batch.send(&client).await?;
                Bytes::from_static(br#"{"batchItemFailures": []}"#)
            }
            None => post(&client, to_app.clone(), event).await?,
        };
        let response = format!("{api}/2018-06-01/runtime/invocation/{id}/response").parse()?;
        post(&client, response, answer).await?;
    }
}

/// POSTs `body` to `uri`; returns the answer's body.
async fn post(client: &Http, uri: Uri, body: Bytes) -> Result<Bytes, Error> {
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Full::new(body))?;
    let response = client.request(request).await?;
    Ok(response.into_body().collect().await?.to_bytes())
}

/// Waits until `url` answers at all, as the adapters' readiness checks do.
async fn ready(client: &Http, url: &str) {
    let Ok(uri) = url.parse::<Uri>() else {
        return;
    };
    for _ in 0..2000 {
        if let Ok(response) = client.get(uri.clone()).await {
            if response.into_body().collect().await.is_ok() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
