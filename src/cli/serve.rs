//! `ceh serve`: events over HTTP, through the same rules, to the app.

use std::time::Duration;

use std::path::PathBuf;

use clap::Args;
use cloud_events_handler::serve::{listen_address, serve, OidcCheck, ServeOptions, ServerOptions};
use cloud_events_handler::vars::SERVE_TOKEN_VAR;
use cloud_events_handler::{Echo, Handler};

use super::failure::Failure;
use super::input::{read_operator_file, ConfigArg};
use super::listening::{run_listening, AppArg};

#[derive(Args)]
pub(super) struct ServeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Address to listen on [default: 0.0.0.0:$PORT when PORT is set, else 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    #[command(flatten)]
    app: AppArg,
    /// The largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = cloud_events_handler::DEFAULT_MAX_EVENT_BYTES)]
    max_body: usize,
    /// The longest the app may take for one event, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    timeout_ms: u64,
    /// The most request headers accepted.
    #[arg(long, value_name = "N", default_value_t = 100)]
    max_headers: usize,
    /// The longest a client may take to send its request headers, in milliseconds; also how long an idle connection is kept.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// The longest a client may take to send its request body, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    body_timeout_ms: u64,
    /// The most requests handled at once; more are answered 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_in_flight: usize,
    /// How long requests in flight may take to finish after SIGTERM, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 20_000)]
    shutdown_timeout_ms: u64,
    /// An origin answered in Azure Event Grid's validation handshake (repeatable; `*` for any).
    #[arg(long, value_name = "ORIGIN", default_values_t = ["eventgrid.azure.net".to_owned()])]
    allow_origin: Vec<String>,
    /// Take Pub/Sub push's OIDC token for this audience (the push subscription's audience, by default its endpoint URL); needs --pubsub-jwks.
    #[arg(long, value_name = "AUDIENCE", requires = "pubsub_jwks")]
    pubsub_audience: Option<String>,
    /// Pub/Sub push's token must be for this service account (its email, verified).
    #[arg(long, value_name = "EMAIL", requires = "pubsub_audience")]
    pubsub_email: Option<String>,
    /// Google's signing keys, a JWKS file (https://www.googleapis.com/oauth2/v3/certs, refreshed by you).
    #[arg(long, value_name = "FILE", requires = "pubsub_audience")]
    pubsub_jwks: Option<PathBuf>,
    /// Take Event Grid's Microsoft Entra ID token for this audience (the Entra application's ID URI or client ID); needs --eventgrid-tenant and --eventgrid-jwks.
    #[arg(long, value_name = "AUDIENCE", requires_all = ["eventgrid_tenant", "eventgrid_jwks"])]
    eventgrid_audience: Option<String>,
    /// The Entra ID tenant that issues Event Grid's token.
    #[arg(long, value_name = "TENANT", requires = "eventgrid_audience")]
    eventgrid_tenant: Option<String>,
    /// Entra ID's signing keys, a JWKS file (https://login.microsoftonline.com/TENANT/discovery/v2.0/keys, refreshed by you).
    #[arg(long, value_name = "FILE", requires = "eventgrid_audience")]
    eventgrid_jwks: Option<PathBuf>,
}

impl ServeArgs {
    /// The OIDC tokens to take, their keys read from their JWKS files.
    fn oidc(&self) -> Result<Vec<OidcCheck>, Failure> {
        let mut checks = Vec::new();
        let keys = |path: &PathBuf| -> Result<String, Failure> {
            let bytes = read_operator_file(path, MAX_JWKS_BYTES)?;
            String::from_utf8(bytes)
                .map_err(|_| Failure::usage(format!("{}: not UTF-8 text", path.display())))
        };
        let bad = |path: &PathBuf, e: String| Failure::usage(format!("{}: {e}", path.display()));
        if let (Some(audience), Some(path)) = (&self.pubsub_audience, &self.pubsub_jwks) {
            let check = OidcCheck::pubsub(&keys(path)?, audience, self.pubsub_email.clone());
            checks.push(check.map_err(|e| bad(path, e))?);
        }
        if let (Some(audience), Some(tenant), Some(path)) = (
            &self.eventgrid_audience,
            &self.eventgrid_tenant,
            &self.eventgrid_jwks,
        ) {
            let check = OidcCheck::eventgrid(&keys(path)?, audience, tenant);
            checks.push(check.map_err(|e| bad(path, e))?);
        }
        Ok(checks)
    }
}

/// The largest JWKS file read: a provider's key set is a few kilobytes.
const MAX_JWKS_BYTES: u64 = 1024 * 1024;

/// `CEH_SERVE_TOKEN`, when set; set but empty is refused, for it would let
/// everyone in while the operator meant to keep them out.
fn token() -> Result<Option<String>, Failure> {
    match std::env::var(SERVE_TOKEN_VAR) {
        Ok(token) if token.trim().is_empty() => Err(Failure::usage(format!(
            "{SERVE_TOKEN_VAR} is set but empty: set it to a secret the senders send as Authorization: Bearer <token>, or unset it"
        ))),
        Ok(token) => Ok(Some(token)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Failure::usage(format!(
            "{SERVE_TOKEN_VAR} is not UTF-8 text"
        ))),
    }
}

pub(super) fn run(args: ServeArgs) -> Result<(), Failure> {
    // A failure is said once, by the front end's own line per refusal.
    let handler = Handler::new(args.config.load()?).without_logging_failures();
    let address = listen_address(args.listen.as_deref()).map_err(Failure::usage)?;
    let oidc = args.oidc()?;
    let server = ServerOptions {
        max_body: args.max_body,
        timeout: Duration::from_millis(args.timeout_ms),
        max_headers: args.max_headers,
        header_timeout: Duration::from_millis(args.header_timeout_ms),
        body_timeout: Duration::from_millis(args.body_timeout_ms),
        max_in_flight: args.max_in_flight,
        shutdown_timeout: Duration::from_millis(args.shutdown_timeout_ms),
    };
    let options = ServeOptions {
        server,
        allowed_origins: args.allow_origin,
        // A secret does not belong on a command line: it comes from the environment.
        token: token()?,
        oidc,
    };
    options.check().map_err(Failure::usage)?;
    let upstream = args.app.upstream()?;
    run_listening(address, |listener| async move {
        let shutdown = super::lambda::shutdown_signal();
        match upstream {
            Some(app) => serve(listener, handler, app, options, shutdown).await,
            None => serve(listener, handler, Echo, options, shutdown).await,
        }
    })
}
