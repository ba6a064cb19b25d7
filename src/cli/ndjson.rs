//! `ceh explain --ndjson`: one event a line in, one JSON object a line out, in
//! input order, explained by one worker per core.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};

use serde_json::json;

use super::explanation::ExplanationJson;
use super::failure::Failure;
use super::input::{io_reason, name, size, WithoutBom, COUNTED_PAST_LIMIT};
use cloud_events_handler::Handler;
use cloud_events_handler::DEFAULT_MAX_EVENT_BYTES;

/// Lines explained per worker and round: large enough that threads are
/// not started per event, small enough to keep memory flat.
const CHUNK_LINES: usize = 2048;

/// `--ndjson`: lines are read in rounds, explained by one worker per core,
/// and written in input order.
pub(super) fn run(handler: &Handler, input: &std::path::Path) -> Result<(), Failure> {
    let source: Box<dyn Read> = if input == std::path::Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(input).map_err(|e| {
            Failure::usage(format!(
                "{}: cannot read the events: {}",
                name(input),
                io_reason(&e)
            ))
        })?)
    };
    // A mark at the start of the input, where a saved file has it, is left
    // out as `read_input` does; one that starts a later line is invalid JSON.
    let reader = Box::new(BufReader::with_capacity(1 << 20, WithoutBom::new(source)));
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let write_err = |e: std::io::Error| Failure::event(format!("cannot write the output: {e}"));
    let mut lines = BoundedLines {
        reader,
        done: false,
    }
    .enumerate();
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
type Lines = std::iter::Enumerate<BoundedLines>;

/// One worker's share of a round: lines with their 0-based positions.
type Chunk = Vec<(usize, Line)>;

/// One line of input: its bytes, or, for a line longer than an event may
/// be, how long it was (it is not kept).
enum Line {
    Event(Vec<u8>),
    TooLong { counted: u64, stopped: bool },
}

/// The input's lines, each kept only up to one byte more than an event may
/// have: a line without end (`/dev/zero`) never fills memory.
struct BoundedLines {
    reader: Box<dyn BufRead>,
    /// Set once a line was given up on: the rest of the input is not read.
    done: bool,
}

impl Iterator for BoundedLines {
    type Item = std::io::Result<Line>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let limit = DEFAULT_MAX_EVENT_BYTES;
        let mut line = Vec::new();
        let mut counted: u64 = 0;
        loop {
            let buffer = match self.reader.fill_buf() {
                Ok(buffer) => buffer,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            if buffer.is_empty() {
                // The end of the input: a last line without a newline still counts.
                return match (counted, line.len() > limit) {
                    (0, _) => None,
                    (_, false) => Some(Ok(Line::Event(line))),
                    (_, true) => Some(Ok(Line::TooLong {
                        counted,
                        stopped: false,
                    })),
                };
            }
            // Counting stops where `read_input`'s does: the limit, one byte, and as much again.
            let cap = limit as u64 + 1 + COUNTED_PAST_LIMIT;
            let room = usize::try_from(cap - counted).unwrap_or(usize::MAX);
            let (taken, ended) = match buffer.iter().position(|b| *b == b'\n') {
                Some(at) if at <= room => (at, true),
                _ => (buffer.len().min(room), false),
            };
            if line.len() <= limit {
                line.extend_from_slice(&buffer[..taken.min(limit + 1 - line.len())]);
            }
            counted += taken as u64;
            self.reader.consume(taken + usize::from(ended));
            let stopped = !ended && counted == cap;
            if ended || stopped {
                self.done = stopped;
                return Some(Ok(match line.len() > limit {
                    false => Line::Event(line),
                    true => Line::TooLong { counted, stopped },
                }));
            }
        }
    }
}

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
        if matches!(&line, Line::Event(bytes) if bytes.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        let mark = out.len();
        let line = match line {
            Line::Event(line) => line,
            Line::TooLong { counted, stopped } => {
                let error = format!(
                    "the event is {}, over the limit of {DEFAULT_MAX_EVENT_BYTES} bytes",
                    size(counted, stopped)
                );
                failed += 1;
                let object = json!({"line": index + 1, "error": error});
                let _ = serde_json::to_writer(&mut out, &object);
                out.push(b'\n');
                continue;
            }
        };
        let error = match handler.read_event(line.into(), DEFAULT_MAX_EVENT_BYTES) {
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
