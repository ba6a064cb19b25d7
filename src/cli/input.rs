//! What the user hands a command: the configuration file, and an event to read.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::failure::Failure;
use cloud_events_handler::operator_file;
use cloud_events_handler::vars::CONFIG_VAR;
use cloud_events_handler::Config;
use cloud_events_handler::DEFAULT_MAX_EVENT_BYTES;

/// The configuration file option shared by the commands.
#[derive(Args, Default)]
pub(super) struct ConfigArg {
    /// Configuration file (user rules, fallback, environment); built-in rules only when unset.
    #[arg(long, short = 'c', value_name = "FILE", env = CONFIG_VAR)]
    config: Option<PathBuf>,
}

impl ConfigArg {
    /// The configuration named by `CEH_CONFIG`, as clap would read it.
    pub(super) fn from_env() -> Self {
        Self {
            config: std::env::var_os(CONFIG_VAR).map(PathBuf::from),
        }
    }

    pub(super) fn load(&self) -> Result<Config, Failure> {
        Config::load_or_default(self.config.as_ref()).map_err(Failure::usage)
    }
}

/// Reads a file the operator names (a key set), as the library reads its
/// configuration: a regular file, at most `limit` bytes.
pub(super) fn read_operator_file(path: &Path, limit: u64) -> Result<Vec<u8>, Failure> {
    operator_file::read(path, limit).map_err(Failure::usage)
}

/// Past the event limit nothing more is kept, but this much more is still
/// counted, so that an error can say how large the event was; `/dev/zero`
/// is given up on after it.
pub(super) const COUNTED_PAST_LIMIT: u64 = 4 * DEFAULT_MAX_EVENT_BYTES as u64;

/// Reads a whole event: a file, or standard input for `-`; at most one byte
/// more than an event may have is kept.
pub(super) fn read_input(input: &Path) -> Result<Vec<u8>, Failure> {
    let cannot = |e: std::io::Error| {
        Failure::usage(format!(
            "{}: cannot read the event: {}",
            name(input),
            io_reason(&e)
        ))
    };
    let mut reader: Box<dyn Read> = if input == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(input).map_err(cannot)?)
    };
    let mut bytes = Vec::new();
    let limit = DEFAULT_MAX_EVENT_BYTES as u64;
    (&mut reader)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        let rest = std::io::copy(&mut reader.take(COUNTED_PAST_LIMIT), &mut std::io::sink())
            .map_err(cannot)?;
        return Err(Failure::event(format!(
            "{}: the event is {}, over the limit of {limit} bytes",
            name(input),
            size(bytes.len() as u64 + rest, rest == COUNTED_PAST_LIMIT)
        )));
    }
    Ok(bytes)
}

/// `N bytes`, or `more than N bytes` when counting stopped.
pub(super) fn size(counted: u64, stopped: bool) -> String {
    match stopped {
        true => format!("more than {counted} bytes"),
        false => format!("{counted} bytes"),
    }
}

/// Writes `text` to standard output: a closed or full stdout (`| true`,
/// `> /dev/full`) is a failure with one line, exit 1, never a panic.
pub(super) fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::event(format!("cannot write the output: {}", io_reason(&e))))
}

/// How a file is named in messages.
pub(super) fn name(input: &Path) -> String {
    if input == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        input.display().to_string()
    }
}

/// An I/O error's reason without the "(os error N)" suffix.
pub(super) fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_lowercase(),
        None => text.to_lowercase(),
    }
}
