//! The server's lines for the operator, on the one logging channel
//! (`tracing`): one line per refused or failed request, at most
//! [`LINES_PER_SECOND`] a second, so that a client sending garbage as fast
//! as it can does not fill the operator's log (what is left out is counted,
//! and the count logged with the next line after its second is over); and
//! the accept loop's own troubles. Each is an event of target [`TARGET`]
//! whose message is the whole line, `{front}: {what}`, which [`LogLines`]
//! writes as it is.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The most refusal lines written in a second.
pub(crate) const LINES_PER_SECOND: u32 = 20;

/// The target of the server's events.
pub(crate) const TARGET: &str = "cloud_events_handler::server";

/// The current second's window: when it began, lines written, lines left out.
static WINDOW: Mutex<Option<(Instant, u32, u64)>> = Mutex::new(None);

/// Logs `{front}: {line}` as a warning, unless this second's lines are used
/// up; then only counts it.
pub(crate) fn refusal(front: &str, line: &str) {
    let now = Instant::now();
    // A poisoned lock (a panic elsewhere while logging) still holds a usable window.
    let mut window = WINDOW
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (started, written, left_out) = window.get_or_insert((now, 0, 0));
    if now.duration_since(*started) >= Duration::from_secs(1) {
        if *left_out > 0 {
            tracing::warn!(target: TARGET, "{front}: {left_out} more refusals in a second were not logged (at most {LINES_PER_SECOND} lines a second)");
        }
        (*started, *written, *left_out) = (now, 0, 0);
    }
    if *written < LINES_PER_SECOND {
        *written += 1;
        tracing::warn!(target: TARGET, "{front}: {line}");
    } else {
        *left_out += 1;
    }
}

/// A `tracing` event format that writes the server's events (target
/// `cloud_events_handler::server`)
/// as their bare line, `ceh serve: 413 …`, and every other event as `F`
/// does: what the `ceh` binary logs on stderr with.
///
/// ```
/// use cloud_events_handler::serve::LogLines;
///
/// let subscriber = tracing_subscriber::fmt()
///     .event_format(LogLines(tracing_subscriber::fmt::format().with_target(false)))
///     .with_writer(std::io::stderr)
///     .finish();
/// # drop(subscriber);
/// ```
#[derive(Clone, Debug, Default)]
pub struct LogLines<F>(pub F);

impl<S, N, F> FormatEvent<S, N> for LogLines<F>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> fmt::Result {
        if event.metadata().target() != TARGET {
            return self.0.format_event(ctx, writer, event);
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
