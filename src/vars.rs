//! Every setting ceh reads from its process environment, in one place.
//!
//! The `CEH_*` names (and `APP`, `PORT`) are ceh's interface, documented in
//! docs/configuration.md and docs/lambda.md; the `AWS_LAMBDA_*` ones are
//! those the Lambda runtime sets for a custom runtime.

/// The setting that names the configuration file.
///
/// ```
/// use cloud_events_handler::vars::CONFIG_VAR;
///
/// assert_eq!(CONFIG_VAR, "CEH_CONFIG");
/// ```
pub const CONFIG_VAR: &str = "CEH_CONFIG";
/// The setting that names the app's base URL.
///
/// ```
/// use cloud_events_handler::{app::Upstream, vars::APP_VAR};
///
/// assert_eq!(APP_VAR, "APP");
/// let app = std::env::var(APP_VAR).ok().map(|url| Upstream::new(&url)).transpose()?;
/// # let _ = app;
/// # Ok::<(), cloud_events_handler::app::UpstreamError>(())
/// ```
pub const APP_VAR: &str = "APP";
/// The setting for the path probed until the app answers.
///
/// ```
/// use cloud_events_handler::{app::DEFAULT_READINESS_PATH, vars::READINESS_PATH_VAR};
///
/// let path = std::env::var(READINESS_PATH_VAR).unwrap_or_else(|_| DEFAULT_READINESS_PATH.to_owned());
/// assert_eq!(READINESS_PATH_VAR, "CEH_READINESS_PATH");
/// assert!(path.starts_with('/'));
/// ```
pub const READINESS_PATH_VAR: &str = "CEH_READINESS_PATH";
/// The setting for how long the app may take to become ready, in milliseconds.
///
/// ```
/// use cloud_events_handler::vars::READINESS_TIMEOUT_VAR;
///
/// assert_eq!(READINESS_TIMEOUT_VAR, "CEH_READINESS_TIMEOUT_MS");
/// ```
pub const READINESS_TIMEOUT_VAR: &str = "CEH_READINESS_TIMEOUT_MS";
/// The setting for the margin kept before the Lambda deadline, in milliseconds.
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::{lambda::LambdaSettings, vars::DEADLINE_MARGIN_VAR};
///
/// std::env::set_var(DEADLINE_MARGIN_VAR, "500");
/// assert_eq!(LambdaSettings::from_env()?.timing.margin, Duration::from_millis(500));
/// # Ok::<(), cloud_events_handler::lambda::SettingsError>(())
/// ```
pub const DEADLINE_MARGIN_VAR: &str = "CEH_DEADLINE_MARGIN_MS";
/// The setting for the longest the app may take for one request, in milliseconds.
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::{lambda::LambdaSettings, vars::APP_TIMEOUT_VAR};
///
/// std::env::set_var(APP_TIMEOUT_VAR, "2000");
/// assert_eq!(LambdaSettings::from_env()?.timing.app_timeout, Some(Duration::from_secs(2)));
/// # Ok::<(), cloud_events_handler::lambda::SettingsError>(())
/// ```
pub const APP_TIMEOUT_VAR: &str = "CEH_APP_TIMEOUT_MS";

/// The setting for the token `ceh serve` requires as `Authorization: Bearer <token>`.
///
/// ```
/// use cloud_events_handler::vars::SERVE_TOKEN_VAR;
///
/// assert_eq!(SERVE_TOKEN_VAR, "CEH_SERVE_TOKEN");
/// ```
pub const SERVE_TOKEN_VAR: &str = "CEH_SERVE_TOKEN";
/// The port `ceh serve` listens on, on every address, when `--listen` is not given (Knative, Cloud Run).
///
/// ```
/// use cloud_events_handler::vars::PORT_VAR;
///
/// assert_eq!(PORT_VAR, "PORT");
/// ```
pub const PORT_VAR: &str = "PORT";

/// The port `ceh functions` listens on, on 127.0.0.1, when `--port` is not
/// given: the Azure Functions host sets it for its custom handler.
///
/// ```
/// use cloud_events_handler::vars::FUNCTIONS_PORT_VAR;
///
/// assert_eq!(FUNCTIONS_PORT_VAR, "FUNCTIONS_CUSTOMHANDLER_PORT");
/// ```
pub const FUNCTIONS_PORT_VAR: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";

/// The runtime API's `host:port`; its presence means ceh runs as a Lambda runtime.
pub(crate) const RUNTIME_API_VAR: &str = "AWS_LAMBDA_RUNTIME_API";
/// The function's name.
pub(crate) const FUNCTION_NAME_VAR: &str = "AWS_LAMBDA_FUNCTION_NAME";
/// The function's memory, in megabytes.
pub(crate) const MEMORY_SIZE_VAR: &str = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE";
/// The function's version.
pub(crate) const FUNCTION_VERSION_VAR: &str = "AWS_LAMBDA_FUNCTION_VERSION";
/// The function's CloudWatch Logs stream.
pub(crate) const LOG_STREAM_VAR: &str = "AWS_LAMBDA_LOG_STREAM_NAME";
/// The function's CloudWatch Logs group.
pub(crate) const LOG_GROUP_VAR: &str = "AWS_LAMBDA_LOG_GROUP_NAME";
/// How many invocations one execution environment serves at once (Lambda Managed Instances).
pub(crate) const MAX_CONCURRENCY_VAR: &str = "AWS_LAMBDA_MAX_CONCURRENCY";
/// `snap-start` when the function runs with SnapStart.
pub(crate) const INITIALIZATION_TYPE_VAR: &str = "AWS_LAMBDA_INITIALIZATION_TYPE";

/// How the function answers: `buffered` (the default) or `response_stream`
/// for a function URL with `InvokeMode: RESPONSE_STREAM`.
///
/// ```
/// use cloud_events_handler::vars::INVOKE_MODE_VAR;
///
/// assert_eq!(INVOKE_MODE_VAR, "CEH_INVOKE_MODE");
/// ```
pub const INVOKE_MODE_VAR: &str = "CEH_INVOKE_MODE";
/// Lambda Web Adapter's name for [`INVOKE_MODE_VAR`], read when it is unset.
pub(crate) const LWA_INVOKE_MODE_VAR: &str = "AWS_LWA_INVOKE_MODE";

/// Lambda Web Adapter's settings that mean what ceh's do, read where ceh's
/// own are unset, so switching the binary is enough (docs/migrating.md).
///
/// `AWS_LWA_PORT`: the app's port on 127.0.0.1, when `APP` is unset.
pub(crate) const LWA_PORT_VAR: &str = "AWS_LWA_PORT";
/// `AWS_LWA_READINESS_CHECK_PATH`: the readiness path, when `CEH_READINESS_PATH` is unset.
pub(crate) const LWA_READINESS_CHECK_PATH_VAR: &str = "AWS_LWA_READINESS_CHECK_PATH";
/// `AWS_LWA_REMOVE_BASE_PATH`: `[http] base_path`, when the configuration sets none.
pub(crate) const LWA_REMOVE_BASE_PATH_VAR: &str = "AWS_LWA_REMOVE_BASE_PATH";
/// `AWS_LWA_HOST`: the app's host, when `APP` is unset.
pub(crate) const LWA_HOST_VAR: &str = "AWS_LWA_HOST";
/// `AWS_LWA_READINESS_CHECK_PORT`: the port the readiness check probes.
pub(crate) const LWA_READINESS_CHECK_PORT_VAR: &str = "AWS_LWA_READINESS_CHECK_PORT";
/// `AWS_LWA_READINESS_CHECK_PROTOCOL`: `http` (ceh's) or `tcp` (refused).
pub(crate) const LWA_READINESS_CHECK_PROTOCOL_VAR: &str = "AWS_LWA_READINESS_CHECK_PROTOCOL";
/// `AWS_LWA_READINESS_CHECK_HEALTHY_STATUS`: the statuses that mean ready.
pub(crate) const LWA_READINESS_CHECK_HEALTHY_STATUS_VAR: &str =
    "AWS_LWA_READINESS_CHECK_HEALTHY_STATUS";
/// `AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS`: the first status that means not ready
/// (removed in Lambda Web Adapter 1.0).
pub(crate) const LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS_VAR: &str =
    "AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS";
/// `AWS_LWA_ENABLE_COMPRESSION`: whether the adapter compresses replies.
pub(crate) const LWA_ENABLE_COMPRESSION_VAR: &str = "AWS_LWA_ENABLE_COMPRESSION";
/// `AWS_LWA_PASS_THROUGH_PATH`: the one path of every non-HTTP event.
pub(crate) const LWA_PASS_THROUGH_PATH_VAR: &str = "AWS_LWA_PASS_THROUGH_PATH";
/// `AWS_LWA_AUTHORIZATION_SOURCE`: a request header moved to `Authorization`.
pub(crate) const LWA_AUTHORIZATION_SOURCE_VAR: &str = "AWS_LWA_AUTHORIZATION_SOURCE";
/// `AWS_LWA_ERROR_STATUS_CODES`: the app's statuses that fail the invocation.
pub(crate) const LWA_ERROR_STATUS_CODES_VAR: &str = "AWS_LWA_ERROR_STATUS_CODES";
/// `AWS_LWA_LAMBDA_RUNTIME_API_PROXY`: the runtime API to use instead of Lambda's.
pub(crate) const LWA_RUNTIME_API_PROXY_VAR: &str = "AWS_LWA_LAMBDA_RUNTIME_API_PROXY";

/// Lambda Web Adapter's deprecated names (to be removed in its 2.0), read
/// after the `AWS_LWA_*` one of the same meaning, as the adapter reads them.
/// `HOST`: [`LWA_HOST_VAR`]'s.
pub(crate) const LWA_OLD_HOST_VAR: &str = "HOST";
/// `READINESS_CHECK_PORT`: [`LWA_READINESS_CHECK_PORT_VAR`]'s.
pub(crate) const LWA_OLD_READINESS_CHECK_PORT_VAR: &str = "READINESS_CHECK_PORT";
/// `READINESS_CHECK_PATH`: [`LWA_READINESS_CHECK_PATH_VAR`]'s.
pub(crate) const LWA_OLD_READINESS_CHECK_PATH_VAR: &str = "READINESS_CHECK_PATH";
/// `READINESS_CHECK_PROTOCOL`: [`LWA_READINESS_CHECK_PROTOCOL_VAR`]'s.
pub(crate) const LWA_OLD_READINESS_CHECK_PROTOCOL_VAR: &str = "READINESS_CHECK_PROTOCOL";
/// `REMOVE_BASE_PATH`: [`LWA_REMOVE_BASE_PATH_VAR`]'s.
pub(crate) const LWA_OLD_REMOVE_BASE_PATH_VAR: &str = "REMOVE_BASE_PATH";
/// `ASYNC_INIT`: [`LWA_ASYNC_INIT_VAR`]'s.
pub(crate) const LWA_OLD_ASYNC_INIT_VAR: &str = "ASYNC_INIT";

/// Which log events ceh writes to stderr, as a `RUST_LOG`-style filter
/// (`warn`, `debug`, `cloud_events_handler=debug,info`); on Lambda,
/// `AWS_LAMBDA_LOG_LEVEL` comes first.
///
/// ```
/// use cloud_events_handler::vars::LOG_VAR;
///
/// assert_eq!(LOG_VAR, "CEH_LOG");
/// ```
pub const LOG_VAR: &str = "CEH_LOG";
/// Lambda's advanced logging controls: `JSON` or `Text`.
pub const LAMBDA_LOG_FORMAT_VAR: &str = "AWS_LAMBDA_LOG_FORMAT";
/// Lambda's advanced logging controls: `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` or `FATAL`.
pub const LAMBDA_LOG_LEVEL_VAR: &str = "AWS_LAMBDA_LOG_LEVEL";

/// The setting for how long a connection to the app may sit idle in the pool
/// before it is closed rather than reused, in milliseconds; `0` opens a
/// connection for every request.
///
/// ```
/// use cloud_events_handler::{app::DEFAULT_POOL_IDLE_TIMEOUT, vars::POOL_IDLE_TIMEOUT_VAR};
///
/// assert_eq!(POOL_IDLE_TIMEOUT_VAR, "CEH_POOL_IDLE_TIMEOUT_MS");
/// assert_eq!(DEFAULT_POOL_IDLE_TIMEOUT.as_millis(), 1500);
/// ```
pub const POOL_IDLE_TIMEOUT_VAR: &str = "CEH_POOL_IDLE_TIMEOUT_MS";
/// `AWS_LWA_POOL_IDLE_TIMEOUT_SECONDS`: [`POOL_IDLE_TIMEOUT_VAR`] in seconds, when it is unset.
pub(crate) const LWA_POOL_IDLE_TIMEOUT_VAR: &str = "AWS_LWA_POOL_IDLE_TIMEOUT_SECONDS";

/// The setting that lets an app slower than Lambda's 10 s Init phase finish
/// starting during the first invocation: `true` or `false` (the default).
///
/// ```
/// use cloud_events_handler::vars::ASYNC_INIT_VAR;
///
/// assert_eq!(ASYNC_INIT_VAR, "CEH_ASYNC_INIT");
/// ```
pub const ASYNC_INIT_VAR: &str = "CEH_ASYNC_INIT";
/// `AWS_LWA_ASYNC_INIT`: [`ASYNC_INIT_VAR`], when it is unset.
pub(crate) const LWA_ASYNC_INIT_VAR: &str = "AWS_LWA_ASYNC_INIT";
/// The setting for how long, with async init, the Init phase waits for the
/// app before it ends and leaves the wait to the first invocation, in
/// milliseconds.
///
/// ```
/// use cloud_events_handler::{lambda::DEFAULT_ASYNC_INIT_TIMEOUT, vars::ASYNC_INIT_TIMEOUT_VAR};
///
/// assert_eq!(ASYNC_INIT_TIMEOUT_VAR, "CEH_ASYNC_INIT_TIMEOUT_MS");
/// assert_eq!(DEFAULT_ASYNC_INIT_TIMEOUT.as_millis(), 9800);
/// ```
pub const ASYNC_INIT_TIMEOUT_VAR: &str = "CEH_ASYNC_INIT_TIMEOUT_MS";
