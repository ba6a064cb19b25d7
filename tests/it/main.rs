//! The integration tests: one binary, a module per area.

mod classify;
mod cli;
mod environment;
mod fixtures;
mod passthrough;
mod rules;
mod synthesize;
