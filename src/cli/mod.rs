//! The `ceh` command line: argument parsing, and the mapping of failures to
//! one line on stderr and an exit code (0 ok, 1 the event or app failed, 2
//! usage or configuration). The binary is one call to [`main`]; everything
//! else here is its own. Without the `cli` feature, the binary is the lean
//! Lambda build (`lean.rs`): the Lambda front end and nothing else.

#[cfg(feature = "cli")]
mod explain;
#[cfg(feature = "cli")]
mod explanation;
mod failure;
#[cfg(feature = "cli")]
mod functions;
// The lean build reads the configuration only; the events are the runtime API's.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
mod input;
#[cfg(feature = "cli")]
mod invoke;
mod lambda;
// Its command line is tested in the full build too, so `cargo test` runs its tests.
#[cfg(any(not(feature = "cli"), test))]
#[cfg_attr(feature = "cli", allow(dead_code))]
pub(crate) mod lean;
#[cfg(feature = "cli")]
mod listening;
mod logging;
#[cfg(feature = "cli")]
mod ndjson;
#[cfg(feature = "cli")]
mod rules;
#[cfg(feature = "cli")]
mod sample;
#[cfg(feature = "cli")]
mod serve;

#[cfg(feature = "cli")]
use std::process::ExitCode;

#[cfg(feature = "cli")]
use clap::{Parser, Subcommand};

#[cfg(feature = "cli")]
use failure::Failure;

#[cfg(feature = "cli")]
/// Route cloud events (S3, SQS, EventBridge, CloudEvents, API Gateway…) to a web app.
#[derive(Parser)]
#[command(name = "ceh", version = VERSION, about, max_term_width = 100)]
struct Cli {
    /// With no command, ceh runs as a Lambda bootstrap when AWS_LAMBDA_RUNTIME_API is set.
    #[command(subcommand)]
    command: Option<Command>,
}

#[cfg(feature = "cli")]
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
    /// Run as an Azure Functions custom handler: every trigger's invocation through the rules to APP.
    Functions(functions::FunctionsArgs),
    /// Print a sample event (s3/put, sqs/basic…) to pipe into explain or invoke; without a name, list them.
    Sample(sample::SampleArgs),
    /// Print a completion script for a shell: bash, zsh, fish, elvish or powershell.
    Completions {
        /// The shell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff, section 1): ceh man | man -l -, or ceh man explain > ceh-explain.1
    Man {
        /// A command's own page (explain, rules list…) instead of ceh's.
        #[arg(value_name = "COMMAND")]
        command: Vec<String>,
    },
}

/// `ceh --version`: the version, and the revision of the built-in rule table it carries.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (rules ",
    env!("CEH_RULES_REVISION"),
    ")"
);

#[cfg(feature = "cli")]
/// Runs `ceh` with the process's arguments, and returns its exit code.
pub(crate) fn main() -> ExitCode {
    // A bootstrap has no arguments: what clap would make of none is known,
    // and building its parser would cost every cold start.
    let parsed = match std::env::args_os().len() {
        0 | 1 => Ok(Cli { command: None }),
        _ => Cli::try_parse(),
    };
    let cli = match parsed {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            at_a_shell();
            // --help and --version, written as any output is: a write that fails is a failure.
            return match input::print(&err.render().to_string()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(failure) => ExitCode::from(failure.say().code),
            };
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
            at_a_shell();
            return ExitCode::from(
                Failure::usage(format!("{reason} (see ceh --help)"))
                    .say()
                    .code,
            );
        }
    };
    let front = match &cli.command {
        Some(Command::Lambda(_)) => logging::Front::Lambda,
        None if cloud_events_handler::lambda::in_lambda() => logging::Front::Lambda,
        _ => logging::Front::Other,
    };
    let serving = matches!(cli.command, Some(Command::Serve(_) | Command::Functions(_)));
    logging::init(front, logging::default_filter(front, serving));
    let outcome = match cli.command {
        Some(Command::Explain(args)) => explain::run(args),
        Some(Command::Invoke(args)) => invoke::run(args),
        Some(Command::Rules(command)) => rules::run(command),
        Some(Command::Lambda(args)) => lambda::run(args),
        Some(Command::Serve(args)) => serve::run(args),
        Some(Command::Functions(args)) => functions::run(args),
        Some(Command::Sample(args)) => sample::run(args),
        Some(Command::Completions { shell }) => completions(shell),
        Some(Command::Man { command }) => man(&command),
        None if cloud_events_handler::lambda::in_lambda() => {
            lambda::run(lambda::LambdaArgs::from_env())
        }
        None => Err(Failure::usage(
            "no command given; try ceh explain FILE, ceh invoke FILE or ceh --help",
        )),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => ExitCode::from(failure.say().code),
    }
}

#[cfg(feature = "cli")]
/// The logging of a command run at a shell, for the failures found before
/// the command is known.
fn at_a_shell() {
    logging::init(
        logging::Front::Other,
        logging::default_filter(logging::Front::Other, false),
    );
}

#[cfg(feature = "cli")]
/// `ceh completions SHELL`: the completion script, generated from the argument definitions.
fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "ceh",
        &mut script,
    );
    input::print(&String::from_utf8_lossy(&script))
}

#[cfg(feature = "cli")]
/// `ceh man [COMMAND]…`: a manual page, generated from the argument
/// definitions: ceh(1), or a command's own (ceh-explain(1), ceh-rules-list(1)),
/// as ceh(1) names them.
fn man(command: &[String]) -> Result<(), Failure> {
    let mut cmd = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    cmd.build(); // names each command's page: ceh-explain, ceh-rules-list
    let mut page = &cmd;
    for name in command {
        page = page.find_subcommand(name).ok_or_else(|| {
            Failure::usage(format!(
                "no command named {}; ceh --help lists them",
                command.join(" ")
            ))
        })?;
    }
    let mut roff = Vec::new();
    clap_mangen::Man::new(page.clone())
        .source(format!("ceh {VERSION}"))
        .render(&mut roff)
        .map_err(|e| Failure::event(format!("cannot render the manual page: {e}")))?;
    input::print(&String::from_utf8_lossy(&roff))
}
