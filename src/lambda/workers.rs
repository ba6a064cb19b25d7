//! ceh's own loop over the Lambda runtime API: one invocation at a time, or
//! with Lambda Managed Instances as many at once as `AWS_LAMBDA_MAX_CONCURRENCY`
//! says, each answered whole or, in streaming mode, streamed.

use std::sync::Arc;

use lambda_runtime_api_client::PooledClient;

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
    let client = client(&platform.api);
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let loops = (0..platform.max_concurrency.max(1)).map(|_| {
        worker(
            &client,
            &handler,
            app.clone(),
            timing,
            &platform.env_config,
            mode,
            stopped.clone(),
        )
    });
    let mut all = std::pin::pin!(futures_util::future::try_join_all(loops));
    tokio::select! {
        served = &mut all => return served.map(drop),
        () = stop => {}
    }
    let _ = stopping.send(true);
    all.await.map(drop)
}

/// One loop: the next invocation, its outcome, and again, until a stop.
async fn worker<S: SendApp>(
    client: &PooledClient,
    handler: &Handler,
    app: S,
    timing: Timing,
    env: &Arc<lambda_runtime::Config>,
    mode: InvokeMode,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> Result<(), RuntimeApiError>
where
    S::Body: 'static,
{
    loop {
        let next = tokio::select! {
            next = next(client, timing, env) => next?,
            _ = stopped.wait_for(|stop| *stop) => return Ok(()),
        };
        if mode == InvokeMode::ResponseStream {
            stream::invoke(client, handler, app.clone(), next).await?;
            continue;
        }
        let outcome = invoke(handler, app.clone(), next.payload, &next.invocation)
            .await
            .and_then(|reply| serialize_reply(&reply));
        answer(client, &next.request_id, next.invocation_id, outcome).await?;
    }
}
