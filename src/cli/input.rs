//! What the user hands a command: the configuration file, and an event to read.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;

use super::failure::Failure;
use crate::vars::CONFIG_VAR;
use crate::Config;

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
        match &self.config {
            Some(path) if !path.as_os_str().is_empty() => {
                Config::load(path).map_err(Failure::usage)
            }
            _ => Ok(Config::default()),
        }
    }
}

/// Reads a whole input: a file, or standard input for `-`.
pub(super) fn read_input(input: &Path) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    let outcome = if input == Path::new("-") {
        std::io::stdin().lock().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(input).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    outcome.map_err(|e| {
        Failure::usage(format!(
            "{}: cannot read the event: {}",
            name(input),
            io_reason(&e)
        ))
    })?;
    Ok(bytes)
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
