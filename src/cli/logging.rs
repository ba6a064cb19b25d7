//! Logs on stderr: `tracing` events, filtered and formatted as the front end's
//! operators expect. On Lambda, its advanced logging controls decide
//! (`AWS_LAMBDA_LOG_FORMAT=JSON` for one JSON object a line with `timestamp`,
//! `level`, `message` and `requestId`; `AWS_LAMBDA_LOG_LEVEL`); elsewhere, and
//! on Lambda without them, `CEH_LOG` is a `RUST_LOG`-style filter. Events never
//! carry bodies, header values or query strings.

use tracing_subscriber::filter::{LevelFilter, Targets};

/// The filter each front end starts from: `info` on Lambda; `info` for
/// `ceh serve` without the handler's failure events, which its own
/// `ceh serve: STATUS reason` line already reports; `warn` at a shell.
pub(super) fn default_filter(front: Front, serving: bool) -> Targets {
    match (front, serving) {
        (Front::Lambda, _) => Targets::new().with_default(LevelFilter::INFO),
        (Front::Other, true) => Targets::new()
            .with_default(LevelFilter::INFO)
            .with_target("cloud_events_handler::handler", LevelFilter::ERROR),
        (Front::Other, false) => Targets::new().with_default(LevelFilter::WARN),
    }
}
use tracing_subscriber::layer::SubscriberExt;

use crate::serve::LogLines;
use crate::vars::{LAMBDA_LOG_FORMAT_VAR, LAMBDA_LOG_LEVEL_VAR, LOG_VAR};

/// Where the logs are read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Front {
    /// The Lambda runtime: CloudWatch Logs.
    Lambda,
    /// `ceh serve`, and the commands run at a shell.
    Other,
}

/// Installs the subscriber for `front`: `default` is the filter when nothing
/// says otherwise. A filter that does not parse is reported once, and the
/// default used.
pub(super) fn init(front: Front, default: Targets) {
    let lambda_level = (front == Front::Lambda)
        .then(|| std::env::var(LAMBDA_LOG_LEVEL_VAR).ok())
        .flatten()
        .map(|level| match level.trim().to_ascii_lowercase().as_str() {
            "fatal" => "error".to_owned(),
            other => other.to_owned(),
        });
    let text = lambda_level.or_else(|| std::env::var(LOG_VAR).ok());
    let (filter, bad) = match text.as_deref().map(str::parse::<Targets>) {
        Some(Ok(filter)) => (filter, None),
        Some(Err(err)) => (default, Some(err.to_string())),
        None => (default, None),
    };
    let json = front == Front::Lambda
        && std::env::var(LAMBDA_LOG_FORMAT_VAR).is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let installed = if json {
        // The builder's own level (INFO) would hide what the filter lets through.
        let format = tracing_subscriber::fmt()
            .with_max_level(LevelFilter::TRACE)
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_target(false)
            .with_writer(std::io::stderr)
            .finish();
        tracing::subscriber::set_global_default(format.with(filter))
    } else {
        // The HTTP servers' lines go out bare, `ceh serve: 413 …`, as operators grep them.
        let lines = LogLines(tracing_subscriber::fmt::format().with_target(false));
        let format = tracing_subscriber::fmt()
            .with_max_level(LevelFilter::TRACE)
            .event_format(lines)
            .with_writer(std::io::stderr)
            .finish();
        tracing::subscriber::set_global_default(format.with(filter))
    };
    if let (Ok(()), Some(err)) = (installed, bad) {
        tracing::warn!("{LOG_VAR}: {err}; logging at the default level");
    }
}
