//! The Lambda front end's settings, read from the process environment once,
//! at start, into validated values: the platform's (`AWS_LAMBDA_*`, set by
//! Lambda for a custom runtime) and ceh's own (`CEH_*`, and Lambda Web
//! Adapter's `AWS_LWA_*` where ceh's are unset). Nothing below the front end
//! reads a variable; each name comes from [`crate::vars`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::Uri;

use super::init::DEFAULT_ASYNC_INIT_TIMEOUT;
use super::lwa::{first_set, readiness, refuse_what_ceh_does_not_do};
use super::runtime_api::{endpoint, RuntimeApiError};
use super::timing::{Timing, DEFAULT_DEADLINE_MARGIN};
use crate::app::Readiness;
use crate::app::DEFAULT_READINESS_TIMEOUT;
use crate::statuses::Statuses;
use crate::vars::{
    APP_TIMEOUT_VAR, ASYNC_INIT_TIMEOUT_VAR, ASYNC_INIT_VAR, CONFIG_VAR, DEADLINE_MARGIN_VAR,
    FUNCTION_NAME_VAR, FUNCTION_VERSION_VAR, INITIALIZATION_TYPE_VAR, INVOKE_MODE_VAR,
    LOG_GROUP_VAR, LOG_STREAM_VAR, LWA_ASYNC_INIT_VAR, LWA_AUTHORIZATION_SOURCE_VAR,
    LWA_ERROR_STATUS_CODES_VAR, LWA_HOST_VAR, LWA_INVOKE_MODE_VAR, LWA_OLD_ASYNC_INIT_VAR,
    LWA_OLD_HOST_VAR, LWA_OLD_READINESS_CHECK_PATH_VAR, LWA_OLD_READINESS_CHECK_PORT_VAR,
    LWA_OLD_REMOVE_BASE_PATH_VAR, LWA_POOL_IDLE_TIMEOUT_VAR, LWA_PORT_VAR,
    LWA_READINESS_CHECK_PATH_VAR, LWA_READINESS_CHECK_PORT_VAR, LWA_REMOVE_BASE_PATH_VAR,
    LWA_RUNTIME_API_PROXY_VAR, MAX_CONCURRENCY_VAR, MEMORY_SIZE_VAR, POOL_IDLE_TIMEOUT_VAR,
    PORT_VAR, READINESS_PATH_VAR, READINESS_TIMEOUT_VAR, RUNTIME_API_VAR,
};

/// A setting ceh cannot use: the message names the variable, its value and
/// what it should be.
///
/// ```
/// use cloud_events_handler::lambda::LambdaSettings;
/// use cloud_events_handler::vars::APP_TIMEOUT_VAR;
///
/// std::env::set_var(APP_TIMEOUT_VAR, "soon");
/// let err = LambdaSettings::from_env().unwrap_err();
/// assert_eq!(err.to_string(), r#"CEH_APP_TIMEOUT_MS="soon" is not a number of milliseconds"#);
/// std::env::remove_var(APP_TIMEOUT_VAR);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

/// How the function's invocations are answered.
///
/// ```
/// use cloud_events_handler::lambda::{InvokeMode, LambdaSettings};
///
/// assert_eq!(LambdaSettings::default().invoke_mode, InvokeMode::Buffered);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvokeMode {
    /// The whole reply at once (Lambda's default).
    #[default]
    Buffered,
    /// HTTP events' responses streamed as they arrive (`RESPONSE_STREAM`).
    ResponseStream,
}

/// ceh's own settings for the Lambda front end, each with its default:
/// docs/lambda.md's table of settings, as values.
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::lambda::LambdaSettings;
/// use cloud_events_handler::vars::DEADLINE_MARGIN_VAR;
///
/// std::env::set_var(DEADLINE_MARGIN_VAR, "500");
/// assert_eq!(LambdaSettings::from_env()?.timing.margin, Duration::from_millis(500));
/// std::env::remove_var(DEADLINE_MARGIN_VAR);
/// # Ok::<(), cloud_events_handler::lambda::SettingsError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LambdaSettings {
    /// The configuration file (`CEH_CONFIG`); the built-in rules without one.
    pub config: Option<PathBuf>,
    /// The margin and the app's own timeout (`CEH_DEADLINE_MARGIN_MS`, `CEH_APP_TIMEOUT_MS`).
    pub timing: Timing,
    /// `CEH_INVOKE_MODE`, or `AWS_LWA_INVOKE_MODE`.
    pub invoke_mode: InvokeMode,
    /// With async init, how long the Init phase waits for the app
    /// (`CEH_ASYNC_INIT`, `CEH_ASYNC_INIT_TIMEOUT_MS`); `None` when it is off.
    pub async_init: Option<Duration>,
    /// How long a connection to the app may idle in the pool
    /// (`CEH_POOL_IDLE_TIMEOUT_MS`, or `AWS_LWA_POOL_IDLE_TIMEOUT_SECONDS`);
    /// `None` for the default.
    pub pool_idle_timeout: Option<Duration>,
    /// The app's readiness path (`CEH_READINESS_PATH`, or `AWS_LWA_READINESS_CHECK_PATH`
    /// or its deprecated `READINESS_CHECK_PATH`).
    pub readiness_path: Option<String>,
    /// The port the readiness check probes on the app's host, when not the
    /// app's own (`AWS_LWA_READINESS_CHECK_PORT`, or `READINESS_CHECK_PORT`).
    pub readiness_port: Option<String>,
    /// How the readiness check is made, when not by a `GET` answered below 500
    /// (`AWS_LWA_READINESS_CHECK_PROTOCOL`, `…_HEALTHY_STATUS`, `…_MIN_UNHEALTHY_STATUS`).
    pub readiness: Option<Readiness>,
    /// How long the app may take to become ready (`CEH_READINESS_TIMEOUT_MS`).
    pub readiness_timeout: Duration,
    /// The app's port when no URL is given (`AWS_LWA_PORT`, or `PORT`).
    pub app_port: Option<String>,
    /// The app's host when no URL is given (`AWS_LWA_HOST`, or `HOST`); 127.0.0.1 by default.
    pub app_host: Option<String>,
    /// `[http] base_path` when the configuration sets none (`AWS_LWA_REMOVE_BASE_PATH`,
    /// or `REMOVE_BASE_PATH`).
    pub remove_base_path: Option<String>,
    /// `[http] authorization_source` when the configuration sets none
    /// (`AWS_LWA_AUTHORIZATION_SOURCE`).
    pub authorization_source: Option<String>,
    /// `[http] failure_status` when the configuration sets none (`AWS_LWA_ERROR_STATUS_CODES`).
    pub failure_status: Option<Statuses>,
}

impl Default for LambdaSettings {
    fn default() -> Self {
        Self {
            config: None,
            timing: Timing::default(),
            invoke_mode: InvokeMode::Buffered,
            async_init: None,
            pool_idle_timeout: None,
            readiness_path: None,
            readiness_port: None,
            readiness: None,
            readiness_timeout: DEFAULT_READINESS_TIMEOUT,
            app_port: None,
            app_host: None,
            remove_base_path: None,
            authorization_source: None,
            failure_status: None,
        }
    }
}

impl LambdaSettings {
    /// Reads and checks every setting; the first one ceh cannot use is the
    /// error, and so is a setting of Lambda Web Adapter's that ceh refuses
    /// (`LWA_SETTINGS`).
    pub fn from_env() -> Result<Self, SettingsError> {
        refuse_what_ceh_does_not_do().map_err(SettingsError)?;
        Ok(Self {
            config: std::env::var_os(CONFIG_VAR)
                .filter(|path| !path.is_empty())
                .map(PathBuf::from),
            timing: Timing {
                margin: millis(DEADLINE_MARGIN_VAR)?.unwrap_or(DEFAULT_DEADLINE_MARGIN),
                app_timeout: millis(APP_TIMEOUT_VAR)?,
            },
            invoke_mode: invoke_mode()?,
            async_init: async_init()?,
            pool_idle_timeout: pool_idle_timeout()?,
            readiness_path: first_set(&[
                READINESS_PATH_VAR,
                LWA_READINESS_CHECK_PATH_VAR,
                LWA_OLD_READINESS_CHECK_PATH_VAR,
            ])
            .map(|(_, path)| path),
            readiness_port: trimmed(&[
                LWA_READINESS_CHECK_PORT_VAR,
                LWA_OLD_READINESS_CHECK_PORT_VAR,
            ]),
            readiness: readiness().map_err(SettingsError)?,
            readiness_timeout: millis(READINESS_TIMEOUT_VAR)?.unwrap_or(DEFAULT_READINESS_TIMEOUT),
            app_port: trimmed(&[LWA_PORT_VAR, PORT_VAR]),
            app_host: trimmed(&[LWA_HOST_VAR, LWA_OLD_HOST_VAR]),
            remove_base_path: trimmed(&[LWA_REMOVE_BASE_PATH_VAR, LWA_OLD_REMOVE_BASE_PATH_VAR]),
            authorization_source: trimmed(&[LWA_AUTHORIZATION_SOURCE_VAR]),
            failure_status: trimmed(&[LWA_ERROR_STATUS_CODES_VAR])
                .map(|codes| {
                    Statuses::parse(&codes).map_err(|e| {
                        SettingsError(format!("{LWA_ERROR_STATUS_CODES_VAR}={codes:?}: {e}"))
                    })
                })
                .transpose()?,
        })
    }
}

/// What the Lambda runtime sets for every function, which the runtime loop needs.
#[derive(Clone, Debug)]
pub(crate) struct Platform {
    /// The runtime API's address (`AWS_LAMBDA_RUNTIME_API`).
    pub(crate) api: Uri,
    /// How many invocations run at once (`AWS_LAMBDA_MAX_CONCURRENCY`).
    pub(crate) max_concurrency: u32,
    /// Whether SnapStart runs the function (`AWS_LAMBDA_INITIALIZATION_TYPE`).
    pub(crate) snap_start: bool,
    /// The function's name, memory, version and log stream and group, as
    /// lambda_runtime reads them (the log's names empty when unset), for
    /// `x-amzn-lambda-context`.
    pub(crate) env_config: Arc<lambda_runtime::Config>,
}

/// The settings the Lambda runtime sets for every function, which the runtime loop needs.
pub(crate) const RUNTIME_VARS: [&str; 4] = [
    RUNTIME_API_VAR,
    FUNCTION_NAME_VAR,
    MEMORY_SIZE_VAR,
    FUNCTION_VERSION_VAR,
];

impl Platform {
    /// Fails, naming them, when settings the runtime loop needs are missing or
    /// malformed (lambda_runtime would panic on them).
    pub(crate) fn from_env() -> Result<Self, String> {
        let missing: Vec<&str> = RUNTIME_VARS
            .into_iter()
            .filter(|name| var(name).is_none_or(|v| v.is_empty()))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "not inside a Lambda runtime: {} unset; run as the function's bootstrap, or use `ceh invoke` locally",
                missing.join(", ")
            ));
        }
        // Lambda Web Adapter's proxy, when set, stands between ceh and Lambda's runtime API.
        let (name, address) = first_set(&[LWA_RUNTIME_API_PROXY_VAR, RUNTIME_API_VAR])
            .unwrap_or((RUNTIME_API_VAR, String::new()));
        let api = endpoint(&address).map_err(|e: RuntimeApiError| match name {
            LWA_RUNTIME_API_PROXY_VAR => format!("{name}: {e}"),
            _ => e.to_string(),
        })?;
        let memory = var(MEMORY_SIZE_VAR).unwrap_or_default();
        let Ok(megabytes) = memory.parse::<i32>() else {
            return Err(format!(
                "{MEMORY_SIZE_VAR}={memory:?} is not a number of megabytes"
            ));
        };
        let env_config = lambda_runtime::Config {
            function_name: var(FUNCTION_NAME_VAR).unwrap_or_default(),
            memory: megabytes,
            version: var(FUNCTION_VERSION_VAR).unwrap_or_default(),
            log_stream: var(LOG_STREAM_VAR).unwrap_or_default(),
            log_group: var(LOG_GROUP_VAR).unwrap_or_default(),
        };
        Ok(Self {
            api,
            // Read as lambda_runtime reads it: 1 when unset, zero or not a number.
            max_concurrency: var(MAX_CONCURRENCY_VAR)
                .and_then(|v| v.trim().parse::<u32>().ok())
                .filter(|&n| n > 0)
                .unwrap_or(1),
            snap_start: var(INITIALIZATION_TYPE_VAR).as_deref() == Some("snap-start"),
            env_config: Arc::new(env_config),
        })
    }
}

/// Whether this process runs as a Lambda runtime (the runtime API is set).
pub fn in_lambda() -> bool {
    std::env::var_os(RUNTIME_API_VAR).is_some()
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The first of `names` set to something other than spaces, trimmed.
fn trimmed(names: &[&'static str]) -> Option<String> {
    first_set(names)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn millis(name: &str) -> Result<Option<Duration>, SettingsError> {
    match var(name) {
        Some(ms) => ms
            .trim()
            .parse::<u64>()
            .map(|ms| Some(Duration::from_millis(ms)))
            .map_err(|_| SettingsError(format!("{name}={ms:?} is not a number of milliseconds"))),
        None => Ok(None),
    }
}

/// `CEH_INVOKE_MODE`, or Lambda Web Adapter's `AWS_LWA_INVOKE_MODE`:
/// `buffered` (the default) or `response_stream`, in any case.
fn invoke_mode() -> Result<InvokeMode, SettingsError> {
    let (name, value) = match (var(INVOKE_MODE_VAR), var(LWA_INVOKE_MODE_VAR)) {
        (Some(value), _) => (INVOKE_MODE_VAR, value),
        (None, Some(value)) => (LWA_INVOKE_MODE_VAR, value),
        (None, None) => return Ok(InvokeMode::Buffered),
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "buffered" => Ok(InvokeMode::Buffered),
        "response_stream" | "response-stream" => Ok(InvokeMode::ResponseStream),
        _ => Err(SettingsError(format!(
            "{name}={value:?} is not an invoke mode; write buffered or response_stream"
        ))),
    }
}

/// With async init, how long the Init phase waits for the app; `None` when
/// async init is off.
fn async_init() -> Result<Option<Duration>, SettingsError> {
    let Some((name, value)) =
        first_set(&[ASYNC_INIT_VAR, LWA_ASYNC_INIT_VAR, LWA_OLD_ASYNC_INIT_VAR])
    else {
        return Ok(None);
    };
    let on = match value.trim().to_ascii_lowercase().as_str() {
        "true" => true,
        "false" | "" => false,
        _ => {
            return Err(SettingsError(format!(
                "{name}={value:?} is neither true nor false"
            )))
        }
    };
    if !on {
        return Ok(None);
    }
    Ok(Some(
        millis(ASYNC_INIT_TIMEOUT_VAR)?.unwrap_or(DEFAULT_ASYNC_INIT_TIMEOUT),
    ))
}

/// `CEH_POOL_IDLE_TIMEOUT_MS`, or else Lambda Web Adapter's
/// `AWS_LWA_POOL_IDLE_TIMEOUT_SECONDS`; `None` for the default.
fn pool_idle_timeout() -> Result<Option<Duration>, SettingsError> {
    let (name, value, unit, unit_name) =
        match (var(POOL_IDLE_TIMEOUT_VAR), var(LWA_POOL_IDLE_TIMEOUT_VAR)) {
            (Some(v), _) => (
                POOL_IDLE_TIMEOUT_VAR,
                v,
                Duration::from_millis(1),
                "milliseconds",
            ),
            (None, Some(v)) => (
                LWA_POOL_IDLE_TIMEOUT_VAR,
                v,
                Duration::from_secs(1),
                "seconds",
            ),
            (None, None) => return Ok(None),
        };
    match value.trim().parse::<u32>() {
        Ok(n) => Ok(Some(unit * n)),
        Err(_) => Err(SettingsError(format!(
            "{name}={value:?} is not a number of {unit_name}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings are the process's: one test reads and writes them all, in turn.
    #[test]
    fn the_settings_are_read_and_checked() {
        assert!(RUNTIME_VARS.contains(&"AWS_LAMBDA_RUNTIME_API"));

        for name in RUNTIME_VARS {
            std::env::remove_var(name);
        }
        let err = Platform::from_env().unwrap_err();
        assert!(err.starts_with(
            "not inside a Lambda runtime: AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME"
        ));
        for (name, value) in
            RUNTIME_VARS
                .into_iter()
                .zip(["127.0.0.1:9001", "orders", "128", "$LATEST"])
        {
            std::env::set_var(name, value);
        }
        std::env::set_var(LOG_GROUP_VAR, "/aws/lambda/orders");
        std::env::remove_var(LOG_STREAM_VAR);
        let config = Platform::from_env().unwrap().env_config;
        assert_eq!(
            *config,
            lambda_runtime::Config {
                function_name: "orders".into(),
                memory: 128,
                version: "$LATEST".into(),
                log_stream: String::new(),
                log_group: "/aws/lambda/orders".into(),
            }
        );
        std::env::remove_var(LOG_GROUP_VAR);

        std::env::remove_var("AWS_LAMBDA_MAX_CONCURRENCY");
        assert_eq!(Platform::from_env().unwrap().max_concurrency, 1);
        std::env::set_var("AWS_LAMBDA_MAX_CONCURRENCY", "8");
        assert_eq!(Platform::from_env().unwrap().max_concurrency, 8);
        std::env::set_var("AWS_LAMBDA_MAX_CONCURRENCY", "many");
        assert_eq!(Platform::from_env().unwrap().max_concurrency, 1);

        std::env::remove_var("AWS_LAMBDA_RUNTIME_API");
        assert!(!in_lambda());
        std::env::set_var("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001");
        assert!(in_lambda());

        // Async init: ceh's setting, or Lambda Web Adapter's.
        for name in [ASYNC_INIT_VAR, LWA_ASYNC_INIT_VAR, ASYNC_INIT_TIMEOUT_VAR] {
            std::env::remove_var(name);
        }
        assert_eq!(async_init(), Ok(None));
        std::env::set_var(LWA_ASYNC_INIT_VAR, "True");
        assert_eq!(async_init(), Ok(Some(DEFAULT_ASYNC_INIT_TIMEOUT)));
        std::env::set_var(ASYNC_INIT_VAR, "false");
        assert_eq!(async_init(), Ok(None), "ceh's own comes first");
        std::env::set_var(ASYNC_INIT_VAR, "yes");
        assert_eq!(
            async_init(),
            Err(SettingsError(
                r#"CEH_ASYNC_INIT="yes" is neither true nor false"#.to_owned()
            ))
        );
        std::env::set_var(ASYNC_INIT_VAR, "true");
        std::env::set_var(ASYNC_INIT_TIMEOUT_VAR, "300");
        assert_eq!(async_init(), Ok(Some(Duration::from_millis(300))));
        std::env::set_var(ASYNC_INIT_TIMEOUT_VAR, "soon");
        assert!(async_init().is_err());
        for name in [ASYNC_INIT_VAR, LWA_ASYNC_INIT_VAR, ASYNC_INIT_TIMEOUT_VAR] {
            std::env::remove_var(name);
        }

        // The pool's idle timeout, in ms or, Lambda Web Adapter's, in seconds.
        std::env::remove_var(POOL_IDLE_TIMEOUT_VAR);
        std::env::set_var(LWA_POOL_IDLE_TIMEOUT_VAR, "4");
        assert_eq!(pool_idle_timeout(), Ok(Some(Duration::from_secs(4))));
        std::env::set_var(POOL_IDLE_TIMEOUT_VAR, "0");
        assert_eq!(pool_idle_timeout(), Ok(Some(Duration::ZERO)));
        std::env::remove_var(POOL_IDLE_TIMEOUT_VAR);
        std::env::remove_var(LWA_POOL_IDLE_TIMEOUT_VAR);
        assert_eq!(pool_idle_timeout(), Ok(None));

        // The invoke mode.
        std::env::set_var(LWA_INVOKE_MODE_VAR, "RESPONSE_STREAM");
        assert_eq!(invoke_mode(), Ok(InvokeMode::ResponseStream));
        std::env::set_var(INVOKE_MODE_VAR, "chunked");
        assert!(invoke_mode()
            .unwrap_err()
            .to_string()
            .starts_with(r#"CEH_INVOKE_MODE="chunked" is not an invoke mode"#));
        std::env::remove_var(INVOKE_MODE_VAR);
        std::env::remove_var(LWA_INVOKE_MODE_VAR);
        assert_eq!(invoke_mode(), Ok(InvokeMode::Buffered));
    }
}
