//! End to end: the real `ceh` binary under cargo-lambda's runtime-API emulator,
//! or under a test that plays the Azure Functions host, in front of real apps (Flask
//! over HTTP, axum in process).
//!
//! The tools are installed by `.ci/install-tools` the first time a test needs
//! them; a failed install fails the tests, it never skips them.

mod delivery;
mod esm;
mod examples;
mod faultrun;
mod functions;
mod functions_trust;
mod harness;
mod http_events;
mod in_process;
mod lambda_context;
mod lambda_limits;
mod lambda_tenant;
mod lifecycle;
mod lwa_parity;
mod lwa_settings;
mod otel;
mod platform;
mod platform_lifecycle;
mod recipes;
mod routes;
mod runtime_api;
mod serve;
mod serve_auth;
mod serve_brokers;
mod serve_clouds;
mod serve_limits;
mod serve_trust;
mod streaming;

/// `.venv/bin`, with the tools the tests need, for the other areas too.
pub(crate) use harness::tools;
