//! The Lambda front end: the runtime loop that feeds invocations to the [`Handler`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::value::RawValue;
use serde_json::Value;
use tower::Service;

use crate::app::{AppError, BoxError};
use crate::{Config, Event, HandleError, Handler, Invocation};

/// The setting for the margin kept before the Lambda deadline, in milliseconds.
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::lambda::{Timing, DEADLINE_MARGIN_VAR};
///
/// std::env::set_var(DEADLINE_MARGIN_VAR, "500");
/// assert_eq!(Timing::from_env()?.margin, Duration::from_millis(500));
/// # Ok::<(), lambda_runtime::Error>(())
/// ```
pub const DEADLINE_MARGIN_VAR: &str = "CEH_DEADLINE_MARGIN_MS";
/// The setting for the longest the app may take for one request, in milliseconds.
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::lambda::{Timing, APP_TIMEOUT_VAR};
///
/// std::env::set_var(APP_TIMEOUT_VAR, "2000");
/// assert_eq!(Timing::from_env()?.app_timeout, Some(Duration::from_secs(2)));
/// # Ok::<(), lambda_runtime::Error>(())
/// ```
pub const APP_TIMEOUT_VAR: &str = "CEH_APP_TIMEOUT_MS";

/// The default margin: time left after the app's answer to reply to Lambda.
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::lambda::{Timing, DEFAULT_DEADLINE_MARGIN};
///
/// assert_eq!(DEFAULT_DEADLINE_MARGIN, Duration::from_millis(250));
/// assert_eq!(Timing::default().margin, DEFAULT_DEADLINE_MARGIN);
/// ```
pub const DEFAULT_DEADLINE_MARGIN: Duration = Duration::from_millis(250);

/// Deadlines before this (2001-09-09, 10¹² ms since the epoch) are not real
/// Lambda deadlines: emulators send a fixed number such as `600000`.
const PLAUSIBLE_DEADLINE_MS: u64 = 1_000_000_000_000;

/// How long the app may take: the invocation's deadline less a margin, and
/// at most the app timeout when one is set.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use cloud_events_handler::lambda::Timing;
///
/// let timing = Timing { margin: Duration::from_millis(250), app_timeout: None };
/// // 600000 is no time since the epoch (emulators send it): no deadline.
/// assert_eq!(timing.deadline(600_000), None);
/// let in_a_minute = SystemTime::now() + Duration::from_secs(60);
/// let ms = in_a_minute.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as u64;
/// assert!(timing.deadline(ms).unwrap() < in_a_minute);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Kept back from the deadline, so the reply still reaches Lambda.
    pub margin: Duration,
    /// The longest the app may take for one request, deadline or not.
    pub app_timeout: Option<Duration>,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            margin: DEFAULT_DEADLINE_MARGIN,
            app_timeout: None,
        }
    }
}

impl Timing {
    /// From `CEH_DEADLINE_MARGIN_MS` and `CEH_APP_TIMEOUT_MS`.
    ///
    /// ```
    /// use cloud_events_handler::lambda::{Timing, APP_TIMEOUT_VAR, DEFAULT_DEADLINE_MARGIN};
    ///
    /// std::env::set_var(APP_TIMEOUT_VAR, "soon");
    /// let err = Timing::from_env().unwrap_err();
    /// assert_eq!(err.to_string(), r#"CEH_APP_TIMEOUT_MS="soon" is not a number of milliseconds"#);
    /// std::env::remove_var(APP_TIMEOUT_VAR);
    /// assert_eq!(Timing::from_env()?.margin, DEFAULT_DEADLINE_MARGIN);
    /// # Ok::<(), lambda_runtime::Error>(())
    /// ```
    pub fn from_env() -> Result<Self, lambda_runtime::Error> {
        Ok(Self {
            margin: millis(DEADLINE_MARGIN_VAR)?.unwrap_or(DEFAULT_DEADLINE_MARGIN),
            app_timeout: millis(APP_TIMEOUT_VAR)?,
        })
    }

    /// When the app's answer must have arrived, for an invocation whose
    /// deadline is `deadline_ms` since the epoch.
    pub fn deadline(&self, deadline_ms: u64) -> Option<SystemTime> {
        let lambda = (deadline_ms >= PLAUSIBLE_DEADLINE_MS).then(|| {
            let at = UNIX_EPOCH + Duration::from_millis(deadline_ms);
            at.checked_sub(self.margin).unwrap_or(at)
        });
        let own = self.app_timeout.map(|t| SystemTime::now() + t);
        match (lambda, own) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

fn millis(var: &str) -> Result<Option<Duration>, lambda_runtime::Error> {
    match std::env::var(var) {
        Ok(ms) => ms
            .trim()
            .parse::<u64>()
            .map(|ms| Some(Duration::from_millis(ms)))
            .map_err(|_| format!("{var}={ms:?} is not a number of milliseconds").into()),
        Err(_) => Ok(None),
    }
}

/// Serves Lambda invocations with `app`, configured from the environment
/// (`CEH_CONFIG`, `CEH_DEADLINE_MARGIN_MS`).
///
/// This is the one call a Rust function needs: any `tower::Service` works,
/// an axum `Router` among them.
///
/// ```no_run
/// # async fn example() -> Result<(), lambda_runtime::Error> {
/// // With the built-in echo app; a real function passes its own service.
/// cloud_events_handler::lambda::run(cloud_events_handler::Echo).await
/// # }
/// ```
///
/// When `AWS_LAMBDA_MAX_CONCURRENCY` is above 1, that many invocations are
/// served at once (Lambda Managed Instances); otherwise one at a time.
pub async fn run<S, B>(app: S) -> Result<(), lambda_runtime::Error>
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let handler = Handler::new(Config::from_env()?);
    serve(handler, app, Timing::from_env()?).await
}

/// Serves Lambda invocations with an explicit handler and timing.
///
/// ```no_run
/// use std::time::Duration;
/// use cloud_events_handler::lambda::{self, Timing};
/// use cloud_events_handler::{Config, Echo, Handler};
///
/// # async fn example() -> Result<(), lambda_runtime::Error> {
/// let handler = Handler::new(Config::parse("ceh.toml", "[fallback]\nreject = true\n")?);
/// let timing = Timing { app_timeout: Some(Duration::from_secs(10)), ..Timing::default() };
/// lambda::serve(handler, Echo, timing).await
/// # }
/// ```
pub async fn serve<S, B>(
    handler: Handler,
    app: S,
    timing: Timing,
) -> Result<(), lambda_runtime::Error>
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    check_runtime_env()?;
    let service = service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let handler = handler.clone();
        let app = app.clone();
        async move { invoke(&handler, app, event, timing).await }
    });
    lambda_runtime::run_concurrent(service).await
}

/// Handles one invocation: the payload's exact bytes become the event.
async fn invoke<S, B>(
    handler: &Handler,
    app: S,
    event: LambdaEvent<Box<RawValue>>,
    timing: Timing,
) -> Result<Value, Diagnostic>
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let LambdaEvent { payload, context } = event;
    // The payload's own allocation becomes the event's bytes: no copy.
    let payload = Bytes::from(Box::<str>::from(payload).into_boxed_bytes());
    let event_json = Event::from_bytes(payload).map_err(|e| diagnostic("Ceh.InvalidEvent", &e))?;
    let invocation = Invocation {
        request_id: Some(context.request_id.clone()).filter(|s| !s.is_empty()),
        deadline: timing.deadline(context.deadline),
        function_arn: Some(context.invoked_function_arn.clone()).filter(|s| !s.is_empty()),
        trace_id: context.xray_trace_id.clone(),
    };
    let reply = handler
        .handle_invocation(&event_json, app, &invocation)
        .await
        .map_err(|e| diagnostic(error_type(&e), &e))?;
    // Lambda refuses a larger result after the work is done; say why instead.
    let size = serde_json::to_vec(&reply).map_or(0, |bytes| bytes.len());
    if size > MAX_REPLY_BYTES {
        let message = format!(
            "the reply is {size} bytes, over Lambda's limit of {MAX_REPLY_BYTES} bytes for a function's result; make the app answer with less"
        );
        return Err(diagnostic("Ceh.ReplyTooLarge", &message));
    }
    Ok(reply)
}

/// Lambda's limit for a synchronous invocation's result (6 MB).
///
/// ```
/// use cloud_events_handler::lambda::MAX_REPLY_BYTES;
///
/// assert_eq!(MAX_REPLY_BYTES, 6 * 1024 * 1024);
/// ```
pub const MAX_REPLY_BYTES: usize = 6 * 1024 * 1024;

/// The `errorType` Lambda reports for each way an invocation can fail.
///
/// ```
/// use cloud_events_handler::{lambda, Config, Event, Handler};
///
/// let handler = Handler::new(Config::parse("ceh.toml", "[fallback]\nreject = true\n")?);
/// let err = handler.explain(&Event::from_slice(b"{}")?).unwrap_err();
/// assert_eq!(lambda::error_type(&err), "Ceh.NoRule");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn error_type(err: &HandleError) -> &'static str {
    match err {
        HandleError::Classify(_) => "Ceh.NoRule",
        HandleError::Synthesize(_) => "Ceh.InvalidRequest",
        HandleError::App(AppError::Timeout { .. }) => "Ceh.AppTimeout",
        HandleError::App(AppError::Call(_)) => "Ceh.AppUnreachable",
        HandleError::App(_) => "Ceh.AppFailed",
        HandleError::Failed { .. } => "Ceh.AppFailed",
        HandleError::Batch(_) => "Ceh.BatchFailed",
        HandleError::Reply(_) => "Ceh.InvalidReply",
        HandleError::PassThrough(_) => "Ceh.InvalidHttpEvent",
        HandleError::TooManyRecords { .. } => "Ceh.InvalidEvent",
    }
}

fn diagnostic(error_type: &str, err: &dyn std::fmt::Display) -> Diagnostic {
    Diagnostic {
        error_type: error_type.to_owned(),
        error_message: err.to_string(),
    }
}

/// The settings the Lambda runtime sets for every function, which the runtime loop needs.
///
/// ```
/// use cloud_events_handler::lambda::RUNTIME_VARS;
///
/// assert!(RUNTIME_VARS.contains(&"AWS_LAMBDA_RUNTIME_API"));
/// ```
pub const RUNTIME_VARS: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// Fails, naming them, when settings the runtime loop needs are missing or
/// malformed (lambda_runtime would panic on them).
///
/// ```
/// use cloud_events_handler::lambda::{check_runtime_env, RUNTIME_VARS};
///
/// for var in RUNTIME_VARS {
///     std::env::remove_var(var);
/// }
/// let err = check_runtime_env().unwrap_err();
/// assert!(err.to_string().starts_with("not inside a Lambda runtime: AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME"));
/// for (var, value) in RUNTIME_VARS.into_iter().zip(["127.0.0.1:9001", "orders", "128", "$LATEST"]) {
///     std::env::set_var(var, value);
/// }
/// assert!(check_runtime_env().is_ok());
/// ```
pub fn check_runtime_env() -> Result<(), lambda_runtime::Error> {
    let missing: Vec<&str> = RUNTIME_VARS
        .into_iter()
        .filter(|var| std::env::var(var).map_or(true, |v| v.is_empty()))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "not inside a Lambda runtime: {} unset; run as the function's bootstrap, or use `ceh invoke` locally",
            missing.join(", ")
        )
        .into());
    }
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_default();
    if api.parse::<http::Uri>().is_err() {
        return Err(format!("AWS_LAMBDA_RUNTIME_API={api:?} is not a host:port or URL").into());
    }
    let memory = std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").unwrap_or_default();
    if memory.parse::<i32>().is_err() {
        return Err(format!(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE={memory:?} is not a number of megabytes"
        )
        .into());
    }
    Ok(())
}

/// How many invocations this execution environment serves at once:
/// `AWS_LAMBDA_MAX_CONCURRENCY` (set by Lambda Managed Instances), read as
/// lambda_runtime reads it, and 1 when it is unset, zero or not a number.
///
/// ```
/// use cloud_events_handler::lambda::max_concurrency;
///
/// std::env::remove_var("AWS_LAMBDA_MAX_CONCURRENCY");
/// assert_eq!(max_concurrency(), 1);
/// std::env::set_var("AWS_LAMBDA_MAX_CONCURRENCY", "8");
/// assert_eq!(max_concurrency(), 8);
/// std::env::set_var("AWS_LAMBDA_MAX_CONCURRENCY", "many");
/// assert_eq!(max_concurrency(), 1);
/// ```
pub fn max_concurrency() -> u32 {
    std::env::var("AWS_LAMBDA_MAX_CONCURRENCY")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1)
}

/// The async runtime for a Lambda function that serves `concurrency`
/// invocations at once: one thread when it is 1, Lambda's default, so an
/// invocation, its app request and the reply never wait for a wake-up
/// from another thread; a worker per core otherwise.
///
/// ```
/// use cloud_events_handler::lambda::runtime;
///
/// let sequential = runtime(1)?;
/// assert_eq!(sequential.metrics().num_workers(), 1);
/// assert_eq!(sequential.block_on(async { 6 * 7 }), 42);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn runtime(concurrency: u32) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = if concurrency > 1 {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build()
}

/// Whether this process runs as a Lambda runtime (the runtime API is set).
///
/// ```
/// use cloud_events_handler::lambda::in_lambda;
///
/// std::env::remove_var("AWS_LAMBDA_RUNTIME_API");
/// assert!(!in_lambda());
/// std::env::set_var("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001");
/// assert!(in_lambda());
/// ```
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}
