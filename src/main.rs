//! `ceh`: route cloud events to a web app. See `ceh --help` and docs/.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    cloud_events_handler::cli::main()
}
