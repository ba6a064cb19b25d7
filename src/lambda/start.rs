//! The Lambda function's lifecycle, from start to shutdown: the settings, the
//! configuration compiled on a thread of its own, the app (in process, or
//! over HTTP, started by ceh or not, waited for or left to finish starting
//! with async init), a failed start said and reported, the registration
//! that brings SIGTERM at shutdown, and the invocations until then.

use std::ffi::OsString;

use super::error::{InitError, LambdaError};
use super::http_app::{self, StartedApp};
use super::serving::{serve_until, shutdown_signal, TraceEnv};
use super::settings::{LambdaSettings, Platform, SettingsError};
use super::{extension, runtime_api};
use crate::app::{SendApp, Upstream};
use crate::statuses::Statuses;
use crate::vars::{LWA_AUTHORIZATION_SOURCE_VAR, LWA_REMOVE_BASE_PATH_VAR};
use crate::{Config, Handler};

/// A Lambda function served by ceh: the one way in for a Rust program and
/// for the `ceh` binary alike, so both get the same lifecycle.
///
/// [`Lambda::from_env`] reads the platform's and ceh's settings once
/// ([`LambdaSettings`]); [`run`](Lambda::run) serves an app in process,
/// [`run_http`](Lambda::run_http) one over HTTP. Either loads the
/// configuration on a thread of its own while the app gets ready, reports a
/// failed start to the runtime API (`Ceh.InvalidConfig`, `Ceh.InitFailed`),
/// registers for SIGTERM at shutdown, and serves until the loop fails or
/// SIGTERM (or SIGINT) arrives; the invocation in flight then finishes.
///
/// ```no_run
/// use cloud_events_handler::lambda::{Lambda, TraceEnv};
/// use cloud_events_handler::Echo;
///
/// # async fn example() -> Result<(), lambda_runtime::Error> {
/// // Nothing in this process reads `_X_AMZN_TRACE_ID`: don't pay for it.
/// Lambda::from_env()?.trace_env(TraceEnv::Skip).run(Echo).await?;
/// # Ok(())
/// # }
/// ```
pub struct Lambda {
    platform: Platform,
    /// Checked when the start begins, so that a bad one is reported.
    settings: Result<LambdaSettings, SettingsError>,
    config: ConfigSource,
    trace_env: TraceEnv,
    on_init_error: Option<SayInitError>,
}

impl std::fmt::Debug for Lambda {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lambda")
            .field("settings", &self.settings)
            .field("trace_env", &self.trace_env)
            .finish_non_exhaustive()
    }
}

/// What says a failed start before it is reported.
type SayInitError = Box<dyn FnOnce(&InitError) + Send>;

/// Where the configuration comes from.
enum ConfigSource {
    /// The file the settings name (`CEH_CONFIG`), or the built-in rules.
    Settings,
    /// One given.
    Given(Box<Config>),
    /// A loader of the caller's (the `ceh` binary's, which checks the file first).
    Loader(Box<dyn FnOnce() -> Result<Config, String> + Send>),
}

impl Lambda {
    /// Reads the platform's settings and ceh's ([`LambdaSettings::from_env`]).
    /// Fails only when this is not a Lambda runtime; a bad setting of ceh's
    /// fails the start, where it is reported.
    pub fn from_env() -> Result<Self, LambdaError> {
        let platform = Platform::from_env().map_err(LambdaError::NotInLambda)?;
        Ok(Self {
            platform,
            settings: LambdaSettings::from_env(),
            config: ConfigSource::Settings,
            trace_env: TraceEnv::default(),
            on_init_error: None,
        })
    }

    /// These settings instead of the environment's.
    pub fn settings(mut self, settings: LambdaSettings) -> Self {
        self.settings = Ok(settings);
        self
    }

    /// This configuration instead of the settings' file.
    pub fn config(mut self, config: Config) -> Self {
        self.config = ConfigSource::Given(Box::new(config));
        self
    }

    /// Whether `_X_AMZN_TRACE_ID` is set for each invocation ([`TraceEnv::Set`] by default).
    pub fn trace_env(mut self, trace_env: TraceEnv) -> Self {
        self.trace_env = trace_env;
        self
    }

    /// The configuration from `load`, run on a thread of its own; its error
    /// fails the start as `Ceh.InvalidConfig`.
    #[doc(hidden)]
    pub fn config_loader(
        mut self,
        load: impl FnOnce() -> Result<Config, String> + Send + 'static,
    ) -> Self {
        self.config = ConfigSource::Loader(Box::new(load));
        self
    }

    /// Called with a failed start before it is reported (the report may
    /// wait on a runtime API that never answers it); logs it by default.
    #[doc(hidden)]
    pub fn on_init_error(mut self, say: impl FnOnce(&InitError) + Send + 'static) -> Self {
        self.on_init_error = Some(Box::new(say));
        self
    }

    /// The async runtime this function runs on: one thread when it serves
    /// one invocation at a time (Lambda's default), a worker per core when
    /// `AWS_LAMBDA_MAX_CONCURRENCY` asks for more.
    pub fn runtime(&self) -> std::io::Result<tokio::runtime::Runtime> {
        super::serving::runtime(self.max_concurrency())
    }

    /// How many invocations the platform asks to serve at once.
    pub(crate) fn max_concurrency(&self) -> u32 {
        self.platform.max_concurrency
    }

    /// Serves invocations with `app`, in this process: any `tower::Service`
    /// from an HTTP request to an HTTP response ([`SendApp`]), an axum
    /// `Router` among them.
    pub async fn run<S: SendApp>(self, app: S) -> Result<(), LambdaError> {
        self.lifecycle(|settings, handler| async move {
            Ok(Started::InProcess(app, handler.await?, Box::new(settings)))
        })
        .await
    }

    /// Serves invocations with an app over HTTP at `url`, started by ceh
    /// with `command` when it is not empty (then the URL defaults to
    /// `http://127.0.0.1:8080`, or `AWS_LWA_PORT`'s), and waited for on its
    /// readiness path.
    pub async fn run_http(
        self,
        url: Option<String>,
        command: Vec<OsString>,
    ) -> Result<(), LambdaError> {
        self.lifecycle(|settings, handler| async move {
            let started = http_app::start(settings, handler, url, command).await?;
            Ok(Started::<Upstream>::Http(Box::new(started)))
        })
        .await
    }

    /// Start (the configuration on a thread, `start` for the app), a failed
    /// start said and reported, registration, then the invocations.
    async fn lifecycle<S, F>(
        self,
        start: impl FnOnce(LambdaSettings, Loading) -> F,
    ) -> Result<(), LambdaError>
    where
        S: SendApp,
        F: std::future::Future<Output = Result<Started<S>, InitError>>,
    {
        let Self {
            platform,
            settings,
            config,
            trace_env,
            on_init_error,
        } = self;
        let started = match settings {
            Ok(settings) => match load_config(config, &settings) {
                // The start and the serving on the heap, not on the stack of
                // the thread that polls them (see `StartedApp::serve`).
                Ok(handler) => Box::pin(start(settings, handler)).await,
                Err(err) => Err(err),
            },
            Err(err) => Err(InitError::config(err)),
        };
        let started = match started {
            Ok(started) => started,
            Err(err) => {
                init_failed(&platform, &err, on_init_error).await;
                return Err(LambdaError::Init(err));
            }
        };
        // During the Init phase, before the first `…/invocation/next`, as Lambda
        // asks; once the rest is ready, so that a start that fails registers
        // nothing. On Lambda it is one round trip on loopback.
        if let Err(err) = extension::register(&platform.api).await {
            tracing::warn!("{err}; ceh serves on without it");
        }
        Box::pin(started.serve(&platform, trace_env)).await
    }
}

/// The configuration, compiled on a thread of its own while the app starts
/// and answers its readiness check, so cold start pays for the longer of the
/// two, not their sum.
type Loading =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Handler, InitError>> + Send>>;

fn load_config(source: ConfigSource, settings: &LambdaSettings) -> Result<Loading, InitError> {
    let file = settings.config.clone();
    let lwa = LwaHttp {
        base_path: settings.remove_base_path.clone(),
        authorization_source: settings.authorization_source.clone(),
        failure_status: settings.failure_status.clone(),
    };
    let load = move || {
        let config = match source {
            ConfigSource::Settings => Config::load_or_default(file).map_err(InitError::config),
            ConfigSource::Given(config) => Ok(*config),
            ConfigSource::Loader(load) => load().map_err(InitError::config),
        }?;
        lwa.apply(config).map(Handler::new)
    };
    let (loaded, loading) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("ceh-config".into())
        .spawn(move || loaded.send(load()))
        .map_err(|e| {
            InitError::failed(format!(
                "cannot start a thread to load the configuration: {e}"
            ))
        })?;
    Ok(Box::pin(async {
        loading.await.map_err(|_| {
            InitError::failed("loading the configuration stopped unexpectedly; run `ceh rules list` with the same CEH_CONFIG to see why")
        })?
    }))
}

/// Lambda Web Adapter's settings that are `[http]` options.
struct LwaHttp {
    base_path: Option<String>,
    authorization_source: Option<String>,
    failure_status: Option<Statuses>,
}

impl LwaHttp {
    /// `AWS_LWA_REMOVE_BASE_PATH` as `[http] base_path`, `AWS_LWA_AUTHORIZATION_SOURCE`
    /// as `authorization_source` and `AWS_LWA_ERROR_STATUS_CODES` as `failure_status`,
    /// each where the configuration sets none.
    fn apply(self, config: Config) -> Result<Config, InitError> {
        let mut http = config.http().clone();
        if let Some(path) = self.base_path.filter(|_| http.base_path().is_none()) {
            http = http.with_base_path(&path).map_err(|e| {
                InitError::config(format!("{LWA_REMOVE_BASE_PATH_VAR}={path:?}: {e}"))
            })?;
        }
        if let Some(name) = self
            .authorization_source
            .filter(|_| http.authorization_source().is_none())
        {
            http = http.with_authorization_source(&name).map_err(|e| {
                InitError::config(format!("{LWA_AUTHORIZATION_SOURCE_VAR}={name:?}: {e}"))
            })?;
        }
        if let Some(statuses) = self.failure_status.filter(|_| !http.has_failure_status()) {
            http = http.with_failure_status(statuses);
        }
        Ok(config.with_http(http))
    }
}

/// Says why the start failed, then reports it to the runtime API, so Lambda
/// says why the function could not start. The line comes first: the report
/// may wait ([`super::INIT_ERROR_WAIT`] at most) on a runtime API that never
/// answers it, as some emulators do not.
async fn init_failed(platform: &Platform, err: &InitError, say: Option<SayInitError>) {
    match say {
        Some(say) => say(err),
        None => tracing::error!(kind = err.kind().error_type(), "{err}"),
    }
    let message = err.to_string();
    let reported = runtime_api::report_init_error(&platform.api, err.kind().error_type(), &message);
    if let Err(report) = reported.await {
        tracing::debug!("{report}");
    }
}

/// What ceh sends the invocations to, once it is ready.
enum Started<S> {
    /// An app in this process.
    InProcess(S, Handler, Box<LambdaSettings>),
    /// An app over HTTP.
    Http(Box<StartedApp>),
}

impl<S: SendApp> Started<S> {
    /// Serves invocations until the loop ends or SIGTERM or SIGINT arrives
    /// (the invocation in flight finishes first).
    async fn serve(self, platform: &Platform, trace_env: TraceEnv) -> Result<(), LambdaError> {
        match self {
            Started::InProcess(app, handler, settings) => {
                let stop = shutdown_signal();
                serve_until(handler, app, platform, &settings, trace_env, stop)
                    .await
                    .map_err(LambdaError::Runtime)
            }
            Started::Http(started) => started.serve(platform, trace_env).await,
        }
    }
}
