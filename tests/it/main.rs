//! The integration tests: one binary, a module per area.

mod bounds;
mod classify;
mod cli;
mod cloudevents;
mod corpus;
mod delivery;
mod docs;
mod e2e;
mod environment;
mod fixtures;
mod fuzz;
mod hostile;
mod invocation;
mod load_errors;
mod man;
mod mutations;
mod passthrough;
mod plan;
mod reads;
mod replies;
mod request;
mod reserved;
mod rules;
mod sample;
mod stderr;
mod synthesize;
