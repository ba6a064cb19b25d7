//! Logs on stderr: `tracing` events, filtered and formatted as the front end's
//! operators expect. On Lambda, its advanced logging controls decide
//! (`AWS_LAMBDA_LOG_FORMAT=JSON` for one JSON object a line with `timestamp`,
//! `level`, `message` and `requestId`; `AWS_LAMBDA_LOG_LEVEL`); elsewhere, and
//! on Lambda without them, `CEH_LOG` is a `RUST_LOG`-style filter. Events never
//! carry bodies, header values or query strings. A command's own line (its
//! failure, a notice) is an event too, whose message is its whole line
//! (`ceh: …`), written bare whatever the format and the filter: every front end says each failure once, this way.

use std::fmt::{Debug, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::{self, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;

use cloud_events_handler::serve::LOG_TARGET;
use cloud_events_handler::vars::{LAMBDA_LOG_FORMAT_VAR, LAMBDA_LOG_LEVEL_VAR, LOG_VAR};

/// The target of the CLI's own lines: a command's failure, a notice. Each is
/// one line, `ceh: {message}`, the one line the README documents, whatever the
/// format of the other events, and no filter leaves it out. (Not a module
/// path: no other event's target starts with it.)
pub(super) const CEH: &str = "ceh-line";

/// The filter each front end starts from: `info` on Lambda and for `ceh
/// serve`; `warn` at a shell.
pub(super) fn default_filter(front: Front, serving: bool) -> Targets {
    match (front, serving) {
        (Front::Lambda, _) | (Front::Other, true) => Targets::new().with_default(LevelFilter::INFO),
        (Front::Other, false) => Targets::new().with_default(LevelFilter::WARN),
    }
}

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
    let filter = filter.with_target(CEH, LevelFilter::WARN);
    let json = front == Front::Lambda
        && std::env::var(LAMBDA_LOG_FORMAT_VAR).is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let installed = if json {
        let events = format::format()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_target(false);
        // The builder's own level (INFO) would hide what the filter lets through.
        let format = tracing_subscriber::fmt()
            .with_max_level(LevelFilter::TRACE)
            .fmt_fields(JsonFields::new())
            .event_format(Lines(events))
            .with_writer(std::io::stderr)
            .finish();
        tracing::subscriber::set_global_default(format.with(filter))
    } else {
        let format = tracing_subscriber::fmt()
            .with_max_level(LevelFilter::TRACE)
            .event_format(Lines(format::format().with_target(false)))
            .with_writer(std::io::stderr)
            .finish();
        tracing::subscriber::set_global_default(format.with(filter))
    };
    if let (Ok(()), Some(err)) = (installed, bad) {
        tracing::warn!("{LOG_VAR}: {err}; logging at the default level");
    }
}

/// Events formatted by `F`, but the lines whose message is the whole line
/// (the CLI's own, target [`CEH`], and the servers', target
/// [`LOG_TARGET`]): that message, bare.
struct Lines<F>(F);

impl<S, N, F> FormatEvent<S, N> for Lines<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        if ![CEH, LOG_TARGET].contains(&event.metadata().target()) {
            return self.0.format_event(ctx, writer, event);
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        writeln!(writer, "{}", message.0)
    }
}

/// An event's message.
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }
}
