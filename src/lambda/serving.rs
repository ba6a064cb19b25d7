//! The one runtime loop: ceh's own over the runtime API (workers.rs), or
//! lambda_runtime's where the platform needs it (SnapStart's hooks, or
//! `_X_AMZN_TRACE_ID` set for code in this process), and the async runtime
//! it runs on.

use bytes::Bytes;
use lambda_runtime::{service_fn, Context, Diagnostic, LambdaEvent};
use serde_json::value::RawValue;

use super::invoke::{invoke, serialize_reply};
use super::settings::{LambdaSettings, Platform};
use super::timing::Timing;
use super::workers;
use crate::app::SendApp;
use crate::invocation::{ClientApplication, ClientContext, CognitoIdentity};
use crate::{Handler, Invocation};

/// Whether the runtime loop puts each invocation's X-Ray trace id in this
/// process's environment, as `_X_AMZN_TRACE_ID`.
///
/// AWS's custom-runtime contract asks for the variable, for code in the same
/// process: the AWS SDK for Rust carries the trace on from it. It has a cost
/// under glibc, whose `setenv` keeps every distinct value it is given, so a
/// function that sets it grows by about 175 bytes an invocation, a million
/// invocations in one execution environment by about 170 MiB. An app in
/// another process cannot see the variable anyway (it gets the trace id as
/// the `x-amzn-trace-id` header), which is why the `ceh` binary skips it.
///
/// ```
/// use cloud_events_handler::lambda::TraceEnv;
///
/// assert_eq!(TraceEnv::default(), TraceEnv::Set);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TraceEnv {
    /// Set the variable for every invocation, as lambda_runtime does when it
    /// serves one invocation at a time.
    #[default]
    Set,
    /// Leave the environment alone: invocations are served by ceh's own loop
    /// over the runtime API, and memory stays flat. With
    /// `AWS_LAMBDA_MAX_CONCURRENCY` above 1 the variable is never set, whichever
    /// is chosen, since concurrent invocations cannot share one environment.
    Skip,
}

/// The invocations, until the loop fails or `stop` resolves (SIGTERM): the
/// invocation in flight then finishes within its deadline, and no other is
/// taken. ceh's own loop serves unless SnapStart's hooks need
/// lambda_runtime's, also when several invocations are served at once, so a
/// payload that is not JSON is `Ceh.InvalidEvent` however many there are.
/// Buffered or streamed is each invocation's render, not another loop.
pub(super) async fn serve_until<S: SendApp>(
    handler: Handler,
    app: S,
    platform: &Platform,
    settings: &LambdaSettings,
    trace_env: TraceEnv,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), lambda_runtime::Error> {
    let timing = settings.timing;
    if (trace_env == TraceEnv::Skip || platform.max_concurrency > 1) && !platform.snap_start {
        let mode = settings.invoke_mode;
        let served = Box::pin(workers::serve(handler, app, platform, timing, mode, stop));
        return Ok(served.await?);
    }
    let service = service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let handler = handler.clone();
        let app = app.clone();
        async move {
            let LambdaEvent { payload, context } = event;
            // The payload's own allocation becomes the event's bytes: no copy.
            let payload = Bytes::from(Box::<str>::from(payload).into_boxed_bytes());
            let invocation = invocation(context, timing);
            let reply = invoke(&handler, app, payload, &invocation).await?;
            serialize_reply(&reply)?;
            Ok::<_, Diagnostic>(reply)
        }
    });
    // On the heap: lambda_runtime's loop is large, and taken only for SnapStart
    // or a trace variable.
    tokio::select! {
        served = Box::pin(lambda_runtime::run_concurrent(service)) => served,
        () = stop => Ok(()),
    }
}

/// What the app is told about an invocation lambda_runtime's loop took: its
/// `Context`, which lambda_runtime read from the runtime API's headers and
/// (once, at start) the environment. A client context or identity that is
/// not the JSON expected fails the invocation there, before ceh sees it.
pub(super) fn invocation(context: Context, timing: Timing) -> Invocation {
    let client_context = context.client_context.map(|c| ClientContext {
        client: ClientApplication {
            installation_id: c.client.installation_id,
            app_title: c.client.app_title,
            app_version_name: c.client.app_version_name,
            app_version_code: c.client.app_version_code,
            app_package_name: c.client.app_package_name,
        },
        custom: c.custom.into_iter().collect(),
        environment: c.environment.into_iter().collect(),
    });
    let identity = context.identity.map(|i| CognitoIdentity {
        identity_id: i.identity_id,
        identity_pool_id: i.identity_pool_id,
    });
    Invocation {
        request_id: Some(context.request_id).filter(|s| !s.is_empty()),
        deadline: timing.deadline(context.deadline),
        function_arn: Some(context.invoked_function_arn).filter(|s| !s.is_empty()),
        trace_id: context.xray_trace_id,
        tenant_id: context.tenant_id.filter(|s| !s.is_empty()),
        client_context,
        identity,
        env_config: Some(context.env_config),
        ..Invocation::default()
    }
}

/// The async runtime for a Lambda function that serves `concurrency`
/// invocations at once: one thread when it is 1, Lambda's default, so an
/// invocation, its app request and the reply never wait for a wake-up
/// from another thread; a worker per core otherwise.
pub(crate) fn runtime(concurrency: u32) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = if concurrency > 1 {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build()
}

/// Resolves on SIGTERM or SIGINT: how Lambda's shutdown (and a terminal's
/// Ctrl-C) reaches a process that registered for it.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use http::{HeaderMap, HeaderName, HeaderValue};

    use super::super::runtime_api;
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|&(name, value)| {
                (
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    /// Lambda Web Adapter sends lambda_runtime's `Context` as JSON: ceh's own
    /// loop and lambda_runtime's send the very same for the same headers of
    /// `GET …/invocation/next` (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
    /// The client contexts are the AWS Mobile SDK's, in snake case, and in
    /// camel case as other runtimes write it.
    #[test]
    fn the_lambda_context_is_lambda_runtimes() {
        let env = Arc::new(lambda_runtime::Config {
            function_name: "orders".into(),
            memory: 512,
            version: "7".into(),
            log_stream: "2026/12/07/[7]0123456789abcdef".into(),
            log_group: "/aws/lambda/orders".into(),
        });
        let timing = Timing {
            margin: Duration::ZERO,
            app_timeout: None,
        };
        // One line each, as a header carries them.
        let mobile = concat!(
            r#"{"client": {"installation_id": "i-1", "app_title": "Shop", "app_version_name": "2.1", "#,
            r#""app_version_code": "21", "app_package_name": "com.shop"}, "#,
            r#""custom": {"cart": "7", "note": "50% caf\u00e9"}, "env": {"platform": "Android"}, "#,
            r#""environment": {"locale": "fr_FR"}}"#
        );
        let camel = concat!(
            r#"{"client": {"installationId": "i-2", "appTitle": "T", "appVersionName": "1", "#,
            r#""appVersionCode": "1", "appPackageName": "p"}}"#
        );
        let cases: [&[(&'static str, &'static str)]; 7] = [
            &[],
            &[
                (
                    "lambda-runtime-trace-id",
                    "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1",
                ),
                ("lambda-runtime-aws-tenant-id", "tenant-blue"),
            ],
            &[("lambda-runtime-client-context", mobile)],
            &[
                ("lambda-runtime-client-context", camel),
                (
                    "lambda-runtime-cognito-identity",
                    r#"{"cognitoIdentityId": "us-east-1:abc", "cognitoIdentityPoolId": "us-east-1:pool"}"#,
                ),
            ],
            &[(
                "lambda-runtime-cognito-identity",
                r#"{"identity_id": "a", "identity_pool_id": "b"}"#,
            )],
            &[
                ("lambda-runtime-client-context", "{}"),
                ("lambda-runtime-cognito-identity", ""),
            ],
            &[
                ("lambda-runtime-client-context", ""),
                (
                    "lambda-runtime-cognito-identity",
                    r#"{"identityId": "a", "identityPoolId": "b"}"#,
                ),
            ],
        ];
        for extra in cases {
            let mut map = headers(&[
                ("lambda-runtime-aws-request-id", "r-1"),
                ("lambda-runtime-deadline-ms", "1700000000000"),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-2:123456789012:function:orders",
                ),
            ]);
            map.extend(headers(extra));
            let context = lambda_runtime::Context::new("r-1", env.clone(), &map).unwrap();
            let lwa = serde_json::to_value(&context).unwrap();
            let (_, ours) = runtime_api::invocation(&map, timing).unwrap();
            let ours = ours.with_env_config(env.clone()).lwa_context().unwrap();
            let ours: serde_json::Value = serde_json::from_slice(ours.as_bytes()).unwrap();
            assert_eq!(ours, lwa, "{extra:?}");
            let theirs = invocation(context, timing);
            let theirs = theirs.lwa_context().unwrap();
            assert_eq!(
                serde_json::from_slice::<serde_json::Value>(theirs.as_bytes()).unwrap(),
                lwa,
                "{extra:?}"
            );
        }
    }

    #[test]
    fn a_single_invocation_runs_on_one_thread() -> Result<(), std::io::Error> {
        let sequential = runtime(1)?;
        assert_eq!(sequential.metrics().num_workers(), 1);
        assert_eq!(sequential.block_on(async { 6 * 7 }), 42);
        Ok(())
    }
}
