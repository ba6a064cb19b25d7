//! `ceh explain`: which rule, and which request, without calling the app.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

use crate::describe::RequestDescription;
use crate::{Event, Handler, Plan};
use clap::{Args, ValueEnum};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::json;

use super::failure::Failure;
use super::input::{io_reason, name, read_input, ConfigArg};

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

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
enum Format {
    /// For people: an HTTP-like listing.
    #[default]
    Text,
    /// One JSON object.
    Json,
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
        Format::Json => serde_json::to_writer_pretty(&mut out, &ExplanationJson(&explained))
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Text => write_text(&mut out, &explained),
    };
    written.map_err(|e| Failure::event(format!("cannot write the output: {e}")))
}

/// `{"rule", "kind", "reply", "requests": [...]}`, serialized straight
/// from the explanation (no intermediate `Value`).
pub(super) struct ExplanationJson<'a, 'h, 'e>(pub(super) &'a Plan<'h, 'e>);

impl Serialize for ExplanationJson<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let rule = self.0.rule();
        let requests: Vec<_> = self
            .0
            .requests()
            .iter()
            .map(RequestDescription::new)
            .collect();
        let refusal = self.0.refusal();
        let mut map = serializer.serialize_map(Some(4 + usize::from(refusal.is_some())))?;
        map.serialize_entry("rule", rule.name())?;
        map.serialize_entry("kind", &rule.kind().to_string())?;
        map.serialize_entry("reply", &rule.reply().to_string())?;
        map.serialize_entry("requests", &requests)?;
        if let Some(response) = refusal {
            let refused = json!({
                "status": response.status().as_u16(),
                "body": String::from_utf8_lossy(response.body()),
            });
            map.serialize_entry("refused", &refused)?;
        }
        map.end()
    }
}

fn write_text(out: &mut impl Write, explained: &Plan<'_, '_>) -> std::io::Result<()> {
    let rule = explained.rule();
    writeln!(out, "rule   {} ({})", rule.name(), rule.origin())?;
    writeln!(out, "kind   {}", rule.kind())?;
    writeln!(out, "reply  {}", rule.reply())?;
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

/// Lines explained per worker and round: large enough that threads are
/// not started per event, small enough to keep memory flat.
const CHUNK_LINES: usize = 2048;

/// `--ndjson`: lines are read in rounds, explained by one worker per core,
/// and written in input order.
fn ndjson(handler: &Handler, input: &std::path::Path) -> Result<(), Failure> {
    let reader: Box<dyn BufRead> = if input == std::path::Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(input).map_err(|e| {
            Failure::usage(format!(
                "{}: cannot read the events: {}",
                name(input),
                io_reason(&e)
            ))
        })?;
        Box::new(std::io::BufReader::with_capacity(1 << 20, file))
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let write_err = |e: std::io::Error| Failure::event(format!("cannot write the output: {e}"));
    let mut lines = reader.split(b'\n').enumerate();
    let mut failed = 0usize;
    loop {
        let round = read_round(&mut lines, workers, input)?;
        if round.is_empty() {
            break;
        }
        for (bytes, failures) in explain_round(handler, round)? {
            out.write_all(&bytes).map_err(write_err)?;
            failed += failures;
        }
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

/// Numbered input lines, as `--ndjson` reads them.
type Lines = std::iter::Enumerate<std::io::Split<Box<dyn BufRead>>>;

/// One worker's share of a round: lines with their 0-based positions.
type Chunk = Vec<(usize, Vec<u8>)>;

/// One chunk of lines per worker, fewer at the end of the input; empty when
/// the input is done.
fn read_round(
    lines: &mut Lines,
    workers: usize,
    input: &std::path::Path,
) -> Result<Vec<Chunk>, Failure> {
    let mut round = Vec::with_capacity(workers);
    for _ in 0..workers {
        let mut chunk = Vec::with_capacity(CHUNK_LINES);
        for (index, line) in lines.by_ref().take(CHUNK_LINES) {
            let line = line.map_err(|e| {
                Failure::event(format!(
                    "{}: cannot read line {}: {e}",
                    name(input),
                    index + 1
                ))
            })?;
            chunk.push((index, line));
        }
        if chunk.is_empty() {
            break;
        }
        round.push(chunk);
    }
    Ok(round)
}

/// Explains each chunk on a thread of its own; their outputs in input order.
fn explain_round(handler: &Handler, round: Vec<Chunk>) -> Result<Vec<(Vec<u8>, usize)>, Failure> {
    let joined: Vec<_> = std::thread::scope(|scope| {
        let running: Vec<_> = round
            .into_iter()
            .map(|chunk| scope.spawn(move || explain_lines(handler, chunk)))
            .collect();
        running.into_iter().map(|worker| worker.join()).collect()
    });
    // A worker that panicked would silently drop its lines: stop instead.
    joined
        .into_iter()
        .map(|output| {
            output.map_err(|_| {
                Failure::event(
                    "a worker stopped while explaining events; output ends before its lines",
                )
            })
        })
        .collect()
}

/// One worker's lines: their output lines, and how many failed.
fn explain_lines(handler: &Handler, lines: Chunk) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(lines.len() * 1024);
    let mut failed = 0;
    for (index, line) in lines {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mark = out.len();
        let error = match Event::from_bytes(line.into()) {
            Ok(event) => match handler.explain(&event) {
                Ok(explained) => serde_json::to_writer(&mut out, &ExplanationJson(&explained))
                    .err()
                    .map(|e| format!("cannot describe the request: {e}")),
                Err(error) => Some(error.to_string()),
            },
            Err(error) => Some(error.to_string()),
        };
        if let Some(error) = error {
            failed += 1;
            out.truncate(mark);
            let object = json!({"line": index + 1, "error": error});
            // A `Value` always serializes, and into a `Vec` nothing can fail.
            let _ = serde_json::to_writer(&mut out, &object);
        }
        out.push(b'\n');
    }
    (out, failed)
}
