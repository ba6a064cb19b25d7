//! `ceh`: route cloud events to a web app. See `ceh --help` and docs/.
//!
//! The binary is the CLI: argument parsing, logging, printing, and the choice
//! of front end (`ceh lambda`, `ceh serve`, `ceh functions`); the library does
//! the rest.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
// The arguments' doc comments are `ceh --help`'s text, where a URL stays bare.
#![allow(rustdoc::bare_urls)]

mod cli;

#[cfg(feature = "cli")]
fn main() -> std::process::ExitCode {
    cli::main()
}

/// The lean Lambda build (`--no-default-features`): see docs/deploy.md.
#[cfg(not(feature = "cli"))]
fn main() -> std::process::ExitCode {
    cli::lean::main()
}
