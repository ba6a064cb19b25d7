//! `ceh`: route cloud events to a web app. See `ceh --help` and docs/.

#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
