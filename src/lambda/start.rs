//! The Lambda function's lifecycle, from start to shutdown: the settings, the
//! configuration compiled on a thread of its own, the app (in process, or
//! over HTTP, started by ceh or not, waited for or left to finish starting
//! with async init), a failed start said and reported, the registration
//! that brings SIGTERM at shutdown, and the invocations until then.

use std::ffi::OsString;
use std::time::Duration;

use super::error::{InitError, LambdaError};
use super::init::{ready_within, WhenReady};
use super::serving::{serve_until, TraceEnv};
use super::settings::{LambdaSettings, Platform, SettingsError};
use super::{extension, runtime_api};
use crate::app::{AppProcess, SendApp, Upstream, DEFAULT_READINESS_PATH};
use crate::vars::LWA_REMOVE_BASE_PATH_VAR;
use crate::{Config, Handler};

/// The app's address when ceh starts the app and no URL is given.
const DEFAULT_APP: &str = "http://127.0.0.1:8080";

/// How long the app ceh started has to exit after SIGTERM when ceh stops:
/// inside the 500 ms Lambda leaves a runtime at shutdown
/// ([`super::SHUTDOWN_LIMIT`]), with 100 ms left for ceh to exit itself.
const APP_STOP_GRACE: Duration = Duration::from_millis(400);

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

    /// How many invocations the platform asks to serve at once.
    pub(crate) fn max_concurrency(&self) -> u32 {
        self.platform.max_concurrency
    }

    /// Serves invocations with `app`, in this process: any `tower::Service`
    /// from an HTTP request to an HTTP response ([`SendApp`]), an axum
    /// `Router` among them.
    pub async fn run<S: SendApp>(self, app: S) -> Result<(), LambdaError> {
        self.lifecycle(|settings, handler| async move {
            Ok(Started::InProcess(app, handler.await?, settings))
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
        self.lifecycle(|settings, handler| start_http::<Upstream>(settings, handler, url, command))
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
                Ok(handler) => start(settings, handler).await,
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
        started.serve(&platform, trace_env).await
    }
}

/// The configuration, compiled on a thread of its own while the app starts
/// and answers its readiness check, so cold start pays for the longer of the
/// two, not their sum.
type Loading =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Handler, InitError>> + Send>>;

fn load_config(source: ConfigSource, settings: &LambdaSettings) -> Result<Loading, InitError> {
    let (file, base_path) = (settings.config.clone(), settings.remove_base_path.clone());
    let load = move || {
        let config = match source {
            ConfigSource::Settings => match file {
                Some(file) => Config::load(file).map_err(InitError::config),
                None => Ok(Config::default()),
            },
            ConfigSource::Given(config) => Ok(*config),
            ConfigSource::Loader(load) => load().map_err(InitError::config),
        }?;
        with_base_path(config, base_path).map(Handler::new)
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

/// `AWS_LWA_REMOVE_BASE_PATH` as `[http] base_path`, when the configuration sets none.
fn with_base_path(config: Config, path: Option<String>) -> Result<Config, InitError> {
    match path {
        Some(path) if config.http().base_path().is_none() => {
            let http = config.http().clone().with_base_path(&path).map_err(|e| {
                InitError::config(format!("{LWA_REMOVE_BASE_PATH_VAR}={path:?}: {e}"))
            })?;
            Ok(config.with_http(http))
        }
        _ => Ok(config),
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
    InProcess(S, Handler, LambdaSettings),
    /// An app over HTTP.
    Http(Box<StartedApp>),
}

/// An app over HTTP as the Init phase leaves it.
struct StartedApp {
    handler: Handler,
    settings: LambdaSettings,
    app: Upstream,
    /// The process ceh started for it, if it did.
    process: Option<AppProcess>,
    /// With async init, the readiness path the app has not answered yet.
    pending: Option<String>,
}

/// The app over HTTP, ready (or, with async init, started and left to become
/// ready), and the configuration.
async fn start_http<S>(
    settings: LambdaSettings,
    handler: Loading,
    url: Option<String>,
    command: Vec<OsString>,
) -> Result<Started<S>, InitError> {
    let url = match (url, &settings.app_port, command.is_empty()) {
        (Some(url), _, _) => url,
        // Lambda Web Adapter's setting, for an app that already reads it.
        (None, Some(port), _) => format!("http://127.0.0.1:{port}"),
        (None, None, false) => DEFAULT_APP.to_owned(),
        (None, None, true) => {
            return Err(InitError::config(
                "no app: set APP=http://127.0.0.1:PORT, start one with `ceh lambda -- COMMAND`, or pass --echo",
            ))
        }
    };
    let mut app = Upstream::new(&url).map_err(InitError::config)?;
    if let Some(idle) = settings.pool_idle_timeout {
        app = app.pool_idle_timeout(idle);
    }
    // With async init the wait ends with the Init phase's budget, not in failure.
    let timeout = match settings.async_init {
        Some(_) => Duration::MAX,
        None => settings.readiness_timeout,
    };
    let budget = settings.async_init.unwrap_or(Duration::MAX);
    let readiness_path = settings.readiness_path.clone();
    if command.is_empty() {
        // An app started by something else is waited for only when asked to.
        let ready = async {
            match &readiness_path {
                Some(path) => ready_within(budget, app.wait_ready(path, timeout), path)
                    .await
                    .map_err(InitError::failed),
                None => Ok(None),
            }
        };
        let (handler, pending) = tokio::try_join!(handler, ready)?;
        let started = StartedApp {
            handler,
            settings,
            app,
            process: None,
            pending,
        };
        return Ok(Started::Http(Box::new(started)));
    }
    let mut process = AppProcess::spawn(&command).map_err(InitError::config)?;
    let path = readiness_path.unwrap_or_else(|| DEFAULT_READINESS_PATH.to_owned());
    let ready = async {
        ready_within(budget, process.wait_ready(&app, &path, timeout), &path)
            .await
            .map_err(InitError::failed)
    };
    match tokio::try_join!(handler, ready) {
        Ok((handler, pending)) => {
            let started = StartedApp {
                handler,
                settings,
                app,
                process: Some(process),
                pending,
            };
            Ok(Started::Http(Box::new(started)))
        }
        Err(failure) => {
            process.stop(Duration::from_secs(1)).await;
            Err(failure)
        }
    }
}

impl<S: SendApp> Started<S> {
    /// Serves invocations until the loop ends, SIGTERM or SIGINT arrives (the
    /// invocation in flight finishes first), or the app ceh started exits,
    /// then stops that app.
    async fn serve(self, platform: &Platform, trace_env: TraceEnv) -> Result<(), LambdaError> {
        let StartedApp {
            handler,
            settings,
            app,
            mut process,
            pending,
        } = match self {
            Started::InProcess(app, handler, settings) => {
                let stop = shutdown_signal();
                return serve_until(handler, app, platform, &settings, trace_env, stop)
                    .await
                    .map_err(LambdaError::Runtime);
            }
            Started::Http(started) => *started,
        };
        // The app's exit stops the loop as SIGTERM does: the invocation in flight
        // finishes (its request to the dead app fails, and Lambda hears of it
        // through /error), no other is taken, and ceh stops so that Lambda starts
        // a new execution environment.
        let mut exit: Option<(String, String)> = None;
        let stop = async {
            let exited = async {
                match process.as_mut() {
                    Some(process) => (process.program().to_owned(), process.exited().await),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = shutdown_signal() => {}
                gone = exited => exit = Some(gone),
            }
        };
        let outcome = match pending {
            Some(path) => {
                let app = WhenReady::probing(app, path);
                serve_until(handler, app, platform, &settings, trace_env, stop).await
            }
            None => serve_until(handler, app, platform, &settings, trace_env, stop).await,
        };
        if let Some(process) = process {
            process.stop(APP_STOP_GRACE).await;
        }
        match exit {
            Some((program, status)) => Err(LambdaError::AppExited { program, status }),
            None => outcome.map_err(LambdaError::Runtime),
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
pub(crate) async fn shutdown_signal() {
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
