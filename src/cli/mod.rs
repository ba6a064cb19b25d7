//! The `ceh` command line: argument parsing, and the mapping of failures to
//! one line on stderr and an exit code (0 ok, 1 the event or app failed, 2
//! usage or configuration). The binary is one call to [`main`]; everything
//! else here is its own.

mod explain;
mod invoke;
mod lambda;
mod rules;
mod serve;

use std::fmt::Display;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::Config;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Route cloud events (S3, SQS, EventBridge, CloudEvents, API Gateway…) to a web app.
#[derive(Parser)]
#[command(name = "ceh", version, about, max_term_width = 100)]
struct Cli {
    /// With no command, ceh runs as a Lambda bootstrap when AWS_LAMBDA_RUNTIME_API is set.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Show which rule an event matches and the request(s) the app would receive; no app is called.
    Explain(explain::ExplainArgs),
    /// Send an event to the app and print the reply the Lambda would return.
    Invoke(invoke::InvokeArgs),
    /// List the rules in the order they are tried, or check a configuration file.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Serve Lambda invocations (what `ceh` does as a bootstrap), sending events to APP.
    Lambda(lambda::LambdaArgs),
    /// Accept events over HTTP (CloudEvents or raw event JSON) and send them to APP.
    Serve(serve::ServeArgs),
}

/// The configuration file option shared by the commands.
#[derive(Args, Default)]
struct ConfigArg {
    /// Configuration file (user rules, fallback, environment); built-in rules only when unset.
    #[arg(long, short = 'c', value_name = "FILE", env = "CEH_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
enum Format {
    /// For people: an HTTP-like listing.
    #[default]
    Text,
    /// One JSON object.
    Json,
}

/// A failed command: the exit code and the one line said on stderr.
struct Failure {
    code: u8,
    message: String,
}

/// Exit code for an event (or the app) that could not be handled.
const EVENT_FAILED: u8 = 1;
/// Exit code for bad usage or a bad configuration.
const USAGE: u8 = 2;

impl Failure {
    fn event(message: impl Display) -> Self {
        Self {
            code: EVENT_FAILED,
            message: message.to_string(),
        }
    }

    fn usage(message: impl Display) -> Self {
        Self {
            code: USAGE,
            message: message.to_string(),
        }
    }
}

/// Runs `ceh` with the process's arguments, and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            // clap explains over several lines; keep what comes before the usage.
            let text = err.to_string();
            let reason: Vec<&str> = text
                .lines()
                .take_while(|line| !line.starts_with("Usage:"))
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect();
            let reason = reason.join(" ");
            let reason = reason.strip_prefix("error: ").unwrap_or(&reason);
            eprintln!("ceh: {reason} (see ceh --help)");
            return ExitCode::from(USAGE);
        }
    };
    let outcome = match cli.command {
        Some(Command::Explain(args)) => explain::run(args),
        Some(Command::Invoke(args)) => invoke::run(args),
        Some(Command::Rules(command)) => rules::run(command),
        Some(Command::Lambda(args)) => lambda::run(args),
        Some(Command::Serve(args)) => serve::run(args),
        None if crate::lambda::in_lambda() => lambda::run(lambda::LambdaArgs::from_env()),
        None => Err(Failure::usage(
            "no command given; try ceh explain FILE, ceh invoke FILE or ceh --help",
        )),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("ceh: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

impl ConfigArg {
    /// The configuration named by `CEH_CONFIG`, as clap would read it.
    fn from_env() -> Self {
        Self {
            config: std::env::var_os("CEH_CONFIG").map(PathBuf::from),
        }
    }

    fn load(&self) -> Result<Config, Failure> {
        match &self.config {
            Some(path) if !path.as_os_str().is_empty() => {
                Config::load(path).map_err(Failure::usage)
            }
            _ => Ok(Config::default()),
        }
    }
}

/// Reads a whole input: a file, or standard input for `-`.
fn read_input(input: &Path) -> Result<Vec<u8>, Failure> {
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
fn name(input: &Path) -> String {
    if input == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        input.display().to_string()
    }
}

/// An I/O error's reason without the "(os error N)" suffix.
fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_lowercase(),
        None => text.to_lowercase(),
    }
}
