//! A batch's requests as ceh's fan-out sends them, for the null adapter's `FANOUT_REQUESTS` mode:
//! each sequence (an ordered stream's whole batch, or one record of an
//! unordered queue) in order, at most `concurrency` sequences at once, on one pooled client.
//!
//! The requests file: `{"concurrency": 8, "sequences": [[0, 1], [2]], "requests": [{"method",
//! "path", "query", "headers": {…}, "body"}]}` (the requests as `ceh explain --format json` lists
//! them).

use bytes::Bytes;
use futures_util::StreamExt;
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use serde_json::Value;

/// What the binaries return on failure.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// The pooled HTTP/1.1 client both binaries use.
pub type Http = Client<HttpConnector, Full<Bytes>>;

/// A client on a current-thread runtime, no Nagle delay, as ceh's.
pub fn client() -> Http {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector)
}

struct Prepared {
    method: Method,
    uri: Uri,
    headers: Vec<(String, String)>,
    body: Bytes,
}

/// A batch's requests, ready to send again and again.
pub struct Batch {
    prepared: Vec<Prepared>,
    sequences: Vec<Vec<usize>>,
    concurrency: usize,
}

impl Batch {
    /// The batch a requests file describes, addressed to the app at `app`.
    pub fn load(file: &str, app: &str) -> Result<Self, Error> {
        let spec: Value = serde_json::from_slice(&std::fs::read(file)?)?;
        let app = app.trim_end_matches('/');
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
        Ok(Self {
            prepared,
            sequences: serde_json::from_value(spec["sequences"].clone())?,
            concurrency: spec["concurrency"].as_u64().unwrap_or(8) as usize,
        })
    }

    /// Sends every request, each sequence in order; fails if any request does.
    pub async fn send(&self, client: &Http) -> Result<(), Error> {
        let failures: usize = futures_util::stream::iter(self.sequences.iter())
            .map(|sequence| async move {
                for &index in sequence {
                    if self.send_one(client, index).await.is_err() {
                        return 1;
                    }
                }
                0
            })
            .buffer_unordered(self.concurrency.max(1))
            .fold(0, |sum, failed| async move { sum + failed })
            .await;
        match failures {
            0 => Ok(()),
            n => Err(format!("{n} sequences failed").into()),
        }
    }

    async fn send_one(&self, client: &Http, index: usize) -> Result<(), Error> {
        let p = &self.prepared[index];
        let mut builder = Request::builder().method(p.method.clone()).uri(p.uri.clone());
        for (name, value) in &p.headers {
            builder = builder.header(name, value);
        }
        let response = client.request(builder.body(Full::new(p.body.clone()))?).await?;
        let status = response.status();
        response.into_body().collect().await?;
        match status.is_success() {
            true => Ok(()),
            false => Err(format!("the app answered {status}").into()),
        }
    }
}
