//! The lean Lambda build (`--no-default-features`): what the Lambda layer's
//! exec wrapper and a bootstrap need, without clap, the manual page, the
//! completions and the commands run at a shell, which only cost a Lambda
//! binary its size. It understands three command lines, the ones
//! docs/deploy.md gives for it; anything else is a usage error naming them.

use std::ffi::OsString;
use std::process::ExitCode;

use super::failure::Failure;
use super::lambda::{self, LambdaArgs};
use super::{input, logging, VERSION};

/// What the lean build is asked to do.
enum Lean {
    /// `ceh` as a bootstrap (no arguments), or `ceh lambda [-- COMMAND…]`.
    Lambda(LambdaArgs),
    /// `ceh --version` or `ceh -V`.
    Version,
}

/// Reads the command line (without the program's name).
fn parse(args: Vec<OsString>) -> Result<Lean, Failure> {
    let mut args = args.into_iter();
    let first = args.next();
    match first.as_ref().and_then(|a| a.to_str()) {
        None if first.is_none() => Ok(Lean::Lambda(LambdaArgs::from_env())),
        Some("--version" | "-V") if args.len() == 0 => Ok(Lean::Version),
        Some("lambda") => match args.next() {
            None => Ok(Lean::Lambda(LambdaArgs::from_env())),
            Some(dashes) if dashes == "--" && args.len() > 0 => {
                Ok(Lean::Lambda(LambdaArgs::with_command(args.collect())))
            }
            Some(_) => Err(usage()),
        },
        _ => Err(usage()),
    }
}

fn usage() -> Failure {
    Failure::usage(
        "this is ceh's lean Lambda build: it runs with no arguments (a bootstrap), as \
         ceh lambda -- COMMAND, or ceh --version; the full build has every other command and option",
    )
}

/// Runs the lean `ceh` with the process's arguments, and returns its exit code.
pub(crate) fn main() -> ExitCode {
    let outcome = match parse(std::env::args_os().skip(1).collect()) {
        Ok(Lean::Lambda(args)) => {
            let front = logging::Front::Lambda;
            logging::init(front, logging::default_filter(front, false));
            lambda::run(args)
        }
        Ok(Lean::Version) => input::print(&format!("ceh {VERSION} lean\n")),
        Err(failure) => {
            let front = logging::Front::Other;
            logging::init(front, logging::default_filter(front, false));
            Err(failure)
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => ExitCode::from(failure.say().code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn reads_the_three_command_lines_it_has() {
        assert!(matches!(parse(args(&[])), Ok(Lean::Lambda(_))));
        assert!(matches!(parse(args(&["--version"])), Ok(Lean::Version)));
        assert!(matches!(parse(args(&["lambda"])), Ok(Lean::Lambda(_))));
        assert!(matches!(
            parse(args(&["lambda", "--", "./run.sh"])),
            Ok(Lean::Lambda(_))
        ));
    }

    #[test]
    fn refuses_any_other_saying_which_it_has() {
        for line in [
            &["explain", "event.json"][..],
            &["lambda", "--echo"],
            &["lambda", "--"],
            &["--version", "x"],
        ] {
            let failure = parse(args(line)).err().unwrap();
            assert_eq!(failure.code, super::super::failure::USAGE);
            assert!(failure.message.contains("ceh lambda -- COMMAND"));
        }
    }
}
