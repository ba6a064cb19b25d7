//! ceh's own loop over the Lambda runtime API: one invocation at a time, or
//! with Lambda Managed Instances as many at once as `AWS_LAMBDA_MAX_CONCURRENCY`
//! says, each answered whole or, in streaming mode, streamed.

use std::sync::Arc;

use lambda_runtime_api_client::PooledClient;
use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};

use super::invoke::{invoke, serialize_reply};
use super::runtime_api::{answer, client, next, RuntimeApiError};
use super::settings::{InvokeMode, Platform};
use super::stream;
use super::timing::Timing;
use crate::app::SendApp;
use crate::handler::Handler;

/// Serves invocations from the platform's runtime API, answered as `mode`
/// says, until the runtime API fails or `stop` resolves, with as many loops
/// as the platform's concurrency, each taking one invocation at a time. A
/// stop ends each loop while it waits for its next invocation: an
/// invocation in flight finishes first, within its deadline.
///
/// One loop runs in the caller's task, on its thread. Several are tasks of
/// their own, so that on a multi-thread runtime each is handled on whichever
/// worker is free rather than all on the thread that awaits this; a loop
/// whose runtime API fails ends them all.
pub(super) async fn serve<S: SendApp>(
    handler: Handler,
    app: S,
    platform: &Platform,
    timing: Timing,
    mode: InvokeMode,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), RuntimeApiError>
where
    S::Body: 'static,
{
    let (stopping, stopped) = watch::channel(false);
    let lane = Lane {
        client: Arc::new(client(&platform.api)),
        handler,
        timing,
        env: platform.env_config.clone(),
        mode,
        stopped,
    };
    if platform.max_concurrency <= 1 {
        let mut one = std::pin::pin!(lane.serve(app));
        tokio::select! {
            served = &mut one => return served,
            () = stop => {}
        }
        let _ = stopping.send(true);
        return one.await;
    }
    let mut loops = JoinSet::new();
    for _ in 0..platform.max_concurrency {
        loops.spawn(lane.clone().serve(app.clone()));
    }
    let mut stop = std::pin::pin!(stop);
    let mut stop_sent = false;
    loop {
        tokio::select! {
            ended = loops.join_next() => match ended {
                // Dropping `loops` on an error aborts the other loops.
                Some(ended) => loop_outcome(ended)?,
                None => return Ok(()),
            },
            () = &mut stop, if !stop_sent => {
                stop_sent = true;
                let _ = stopping.send(true);
            }
        }
    }
}

/// What a loop's task ended with: its own outcome, or its panic carried on
/// to the caller as if the loop had run in the caller's task.
fn loop_outcome(
    ended: Result<Result<(), RuntimeApiError>, JoinError>,
) -> Result<(), RuntimeApiError> {
    match ended {
        Ok(served) => served,
        Err(failure) => match failure.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Cancelled: only when the runtime itself shuts down.
            Err(_) => Ok(()),
        },
    }
}

/// What each loop needs, shared between the loops.
#[derive(Clone)]
struct Lane {
    client: Arc<PooledClient>,
    handler: Handler,
    timing: Timing,
    env: Arc<lambda_runtime::Config>,
    mode: InvokeMode,
    stopped: watch::Receiver<bool>,
}

impl Lane {
    /// One loop: the next invocation, its outcome, and again, until a stop.
    async fn serve<S: SendApp>(mut self, app: S) -> Result<(), RuntimeApiError>
    where
        S::Body: 'static,
    {
        let Lane {
            client,
            handler,
            timing,
            env,
            mode,
            stopped,
        } = &mut self;
        loop {
            let next = tokio::select! {
                next = next(client, *timing, env) => next?,
                _ = stopped.wait_for(|stop| *stop) => return Ok(()),
            };
            if *mode == InvokeMode::ResponseStream {
                stream::invoke(client, handler, app.clone(), next).await?;
                continue;
            }
            let outcome = invoke(handler, app.clone(), next.payload, &next.invocation)
                .await
                .and_then(|reply| serialize_reply(&reply));
            answer(client, &next.request_id, next.invocation_id, outcome).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::thread::ThreadId;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use bytes::Bytes;
    use http_body_util::Full;
    use serde_json::Value;

    use super::*;
    use crate::app::BoxError;
    use crate::Config;

    const S3: &[u8] = br#"{"Records": [{"eventSource": "aws:s3", "s3": {}}]}"#;

    /// A runtime API that hands out `invocations` S3 events, then holds
    /// every later `GET …/next` unanswered; each reply posted is passed on.
    fn runtime_api(invocations: usize) -> (http::Uri, tokio::sync::mpsc::UnboundedReceiver<Value>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (replies, received) = tokio::sync::mpsc::unbounded_channel();
        let handed_out = Arc::new(Mutex::new(0..invocations));
        let api = move |method: http::Method, body: Bytes| {
            let (replies, handed_out) = (replies.clone(), handed_out.clone());
            async move {
                if method != http::Method::GET {
                    let _ = replies.send(serde_json::from_slice(&body).unwrap_or(Value::Null));
                    return http::Response::builder()
                        .status(202)
                        .body(String::new())
                        .unwrap();
                }
                let next = handed_out.lock().unwrap().next();
                let Some(n) = next else {
                    // Held until the client goes away.
                    return std::future::pending().await;
                };
                let deadline =
                    SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(60);
                http::Response::builder()
                    .header("lambda-runtime-aws-request-id", format!("r-{n}"))
                    .header(
                        "lambda-runtime-deadline-ms",
                        deadline.as_millis().to_string(),
                    )
                    .header("content-type", "application/json")
                    .body(String::from_utf8_lossy(S3).into_owned())
                    .unwrap()
            }
        };
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let _ = axum::serve(listener, axum::Router::new().fallback(api)).await;
            });
        });
        let api = format!("http://127.0.0.1:{port}").parse().unwrap();
        (api, received)
    }

    /// With a concurrency of 2 the app holds the first request until the
    /// second arrives: both invocations are handled at once, on the
    /// runtime's workers rather than on the thread that awaits `serve`.
    #[test]
    fn two_loops_handle_two_invocations_at_once_on_the_workers() {
        let (api, mut replies) = runtime_api(2);
        let platform = Platform {
            api,
            max_concurrency: 2,
            snap_start: false,
            env_config: Arc::new(lambda_runtime::Config::default()),
        };
        let both = Arc::new(tokio::sync::Barrier::new(2));
        let threads = Arc::new(Mutex::new(Vec::<ThreadId>::new()));
        let app = {
            let threads = threads.clone();
            tower::service_fn(move |_: http::Request<Full<Bytes>>| {
                let (both, threads) = (both.clone(), threads.clone());
                async move {
                    threads.lock().unwrap().push(std::thread::current().id());
                    // A guard against a hang, should one loop wait for the other.
                    tokio::time::timeout(Duration::from_secs(30), both.wait())
                        .await
                        .map_err(|_| "the other invocation never came")?;
                    Ok::<_, BoxError>(http::Response::new(Full::new(Bytes::from("held"))))
                }
            })
        };
        let mut seen = Vec::new();
        let stop = async {
            while seen.len() < 2 {
                match replies.recv().await {
                    Some(reply) => seen.push(reply),
                    None => break,
                }
            }
        };
        let runtime = super::super::serving::runtime(2).unwrap();
        let handler = Handler::new(Config::default());
        let timing = Timing::default();
        let served = runtime.block_on(serve(
            handler,
            app,
            &platform,
            timing,
            InvokeMode::Buffered,
            stop,
        ));
        assert!(served.is_ok(), "{served:?}");
        assert_eq!(seen.len(), 2);
        for reply in &seen {
            assert_eq!(reply["status_code"], 200, "{reply}");
            assert_eq!(reply["body"], "held", "{reply}");
        }
        let threads = threads.lock().unwrap();
        assert_eq!(threads.len(), 2);
        let main = std::thread::current().id();
        assert!(threads.iter().all(|thread| *thread != main), "{threads:?}");
    }
}
