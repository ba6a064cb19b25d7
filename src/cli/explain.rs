//! `ceh explain`: which rule, and which request, without calling the app.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

use clap::Args;
use cloud_events_handler::describe::request_json;
use cloud_events_handler::{Event, Explanation, Handler};
use serde_json::{json, Value};

use super::{name, read_input, ConfigArg, Failure, Format};

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
    /// The event: a JSON file, or - for standard input.
    #[arg(value_name = "FILE")]
    input: PathBuf,
}

pub(super) fn run(args: ExplainArgs) -> Result<(), Failure> {
    let handler = Handler::new(args.config.load()?);
    if args.ndjson {
        return ndjson(&handler, &args.input);
    }
    let bytes = read_input(&args.input)?;
    let event = Event::from_bytes(bytes.into())
        .map_err(|e| Failure::event(format!("{}: {e}", name(&args.input))))?;
    let explained = handler
        .explain(&event)
        .map_err(|e| Failure::event(format!("{}: {e}", name(&args.input))))?;
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        Format::Json => writeln!(out, "{:#}", explanation_json(&explained)),
        Format::Text => write_text(&mut out, &explained),
    };
    written.map_err(|e| Failure::event(format!("cannot write the output: {e}")))
}

/// `{"rule", "kind", "reply", "requests": [...]}`.
pub(super) fn explanation_json(explained: &Explanation<'_>) -> Value {
    let rule = explained.rule();
    let requests: Vec<Value> = explained
        .requests()
        .iter()
        .map(|request| {
            let (parts, body) = request.clone().into_parts();
            request_json(&parts, &body)
        })
        .collect();
    json!({
        "rule": rule.name(),
        "kind": rule.kind().to_string(),
        "reply": rule.reply().to_string(),
        "requests": requests,
    })
}

fn write_text(out: &mut impl Write, explained: &Explanation<'_>) -> std::io::Result<()> {
    let rule = explained.rule();
    writeln!(out, "rule   {} ({})", rule.name(), rule.origin())?;
    writeln!(out, "kind   {}", rule.kind())?;
    writeln!(out, "reply  {}", rule.reply())?;
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

fn ndjson(handler: &Handler, input: &std::path::Path) -> Result<(), Failure> {
    let reader: Box<dyn BufRead> = if input == std::path::Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(input).map_err(|e| {
            Failure::usage(format!(
                "{}: cannot read the events: {}",
                name(input),
                super::io_reason(&e)
            ))
        })?;
        Box::new(std::io::BufReader::new(file))
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut failed = 0usize;
    let write_err = |e: std::io::Error| Failure::event(format!("cannot write the output: {e}"));
    for (index, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(|e| {
            Failure::event(format!(
                "{}: cannot read line {}: {e}",
                name(input),
                index + 1
            ))
        })?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let result = Event::from_bytes(line.into())
            .map_err(|e| e.to_string())
            .and_then(|event| {
                handler
                    .explain(&event)
                    .map(|explained| explanation_json(&explained))
                    .map_err(|e| e.to_string())
            });
        let object = result.unwrap_or_else(|error| {
            failed += 1;
            json!({"line": index + 1, "error": error})
        });
        serde_json::to_writer(&mut out, &object).map_err(|e| write_err(e.into()))?;
        out.write_all(b"\n").map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    if failed > 0 {
        return Err(Failure::event(format!(
            "{}: {failed} event(s) could not be explained",
            name(input)
        )));
    }
    Ok(())
}
