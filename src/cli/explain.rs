//! `ceh explain`: which rule, and which request, without calling the app.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use cloud_events_handler::describe::request_from_json;
use cloud_events_handler::DEFAULT_MAX_EVENT_BYTES;
use cloud_events_handler::{Handler, Plan};

use super::explanation::ExplanationJson;
use super::failure::Failure;
use super::input::{name, read_input, ConfigArg};

#[derive(Args)]
pub(super) struct ExplainArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Read one event per line and write one JSON object per line (errors as {"line", "error"}).
    #[arg(long)]
    ndjson: bool,
    /// The file is an HTTP request the Azure Functions host forwards as it came (ceh functions with enableForwardingHttpRequest), as --format json describes requests: {"method", "path", "query", "headers", "body"}.
    #[arg(long, conflicts_with = "ndjson")]
    forwarded: bool,
    /// The event: a JSON file, or - for standard input.
    #[arg(value_name = "FILE")]
    input: PathBuf,
}

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub(super) enum Format {
    /// For people: an HTTP-like listing.
    #[default]
    Text,
    /// One JSON object.
    Json,
}

pub(super) fn run(args: ExplainArgs) -> Result<(), Failure> {
    let handler = Handler::new(args.config.load()?);
    if args.ndjson {
        return super::ndjson::run(&handler, &args.input);
    }
    let bytes = read_input(&args.input)?;
    if args.forwarded {
        return explain_forwarded(&handler, &bytes, &args);
    }
    let event = handler
        .read_event(bytes.into(), DEFAULT_MAX_EVENT_BYTES)
        .map_err(|e| Failure::event(format!("{}: {e}", name(&args.input))))?;
    let explained = handler
        .explain(&event)
        .map_err(|e| Failure::event(format!("{}: {e}", name(&args.input))))?;
    show(args.format, &explained)
}

/// `--forwarded`: the plan of a request the Functions host forwards.
fn explain_forwarded(handler: &Handler, bytes: &[u8], args: &ExplainArgs) -> Result<(), Failure> {
    let request = request_from_json(bytes)
        .map_err(|e| Failure::event(format!("{}: not a request: {e}", name(&args.input))))?;
    let explained = Plan::forwarded(handler.config(), request)
        .ok_or_else(|| Failure::usage("no rule takes the Functions host's HTTP triggers (format = \"azure-functions\"), so ceh functions forwards nothing; keep the built-in rules or add one"))?
        .map_err(|e| Failure::event(format!("{}: {e}", name(&args.input))))?;
    show(args.format, &explained)
}

/// Writes `explained` to standard output in `format`.
fn show(format: Format, explained: &Plan<'_, '_>) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    let written = match format {
        Format::Json => serde_json::to_writer_pretty(&mut out, &ExplanationJson(explained))
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Text => write_text(&mut out, explained),
    };
    written.map_err(|e| Failure::event(format!("cannot write the output: {e}")))
}

fn write_text(out: &mut impl Write, explained: &Plan<'_, '_>) -> std::io::Result<()> {
    let rule = explained.rule();
    writeln!(out, "rule   {} ({})", rule.name(), rule.origin())?;
    writeln!(out, "kind   {}", rule.kind())?;
    writeln!(out, "reply  {}", rule.reply())?;
    if rule.path().is_some() {
        // Where each request's traceparent comes from, best first.
        let own: Vec<String> = rule.trace().iter().map(ToString::to_string).collect();
        let delivery = "the delivery's (ceh serve's traceparent, Lambda's X-Ray trace id)";
        match own.as_slice() {
            [] => writeln!(out, "trace  {delivery}")?,
            own => writeln!(out, "trace  {}; else {delivery}", own.join(", "))?,
        }
    }
    if let Some(answer) = explained.answer() {
        // ceh answers the event itself: the app is never called.
        writeln!(out)?;
        writeln!(out, "answer {answer}")?;
    }
    if let Some(response) = explained.refusal() {
        // ceh answers the event itself: the app is never called.
        writeln!(out)?;
        writeln!(out, "refused {}", response.status())?;
        out.write_all(response.body())?;
    }
    for request in explained.requests() {
        let uri = request.uri();
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        writeln!(out)?;
        writeln!(
            out,
            "{} {} {:?}",
            request.method(),
            target,
            request.version()
        )?;
        for (header, value) in request.headers() {
            writeln!(
                out,
                "{header}: {}",
                String::from_utf8_lossy(value.as_bytes())
            )?;
        }
        writeln!(out)?;
        out.write_all(request.body())?;
        if !request.body().ends_with(b"\n") {
            writeln!(out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloud_events_handler::Config;

    fn text_of(plan: &Plan<'_, '_>) -> String {
        let mut out = Vec::new();
        write_text(&mut out, plan).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_forwarded_request_is_shown_as_ceh_functions_sends_it() {
        let config = Config::default();
        let request = http::Request::post("/api/orders?id=1")
            .header("content-type", "application/json")
            .body(bytes::Bytes::from_static(b"{}"))
            .unwrap();
        let plan = Plan::forwarded(&config, request).unwrap().unwrap();
        let shown = text_of(&plan);
        assert!(shown.starts_with("rule   azure-functions-http"), "{shown}");
        assert!(
            shown.contains(
                "\nPOST /api/orders?id=1 HTTP/1.1\ncontent-type: application/json\n\n{}\n"
            ),
            "{shown}"
        );
        let json = serde_json::to_value(ExplanationJson(&plan)).unwrap();
        assert_eq!(json["requests"][0]["path"], "/api/orders");

        // The guard an HTTP event at an event route meets, met by a forwarded one too.
        let posing = http::Request::post("/azure.queue")
            .body(bytes::Bytes::new())
            .unwrap();
        let plan = Plan::forwarded(&config, posing).unwrap().unwrap();
        let shown = text_of(&plan);
        assert!(
            shown.contains("refused 404 Not Found\n/azure.queue is an event route, not reachable over HTTP; set allow_event_routes = true in [http] to allow it\n"),
            "{shown}"
        );
        assert!(!shown.contains("POST"), "the app is never called: {shown}");
    }
}
