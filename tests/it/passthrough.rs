//! HTTP events pass through as the requests they describe; replies take their source's exact shape.

mod handler;
mod hostile;
mod options;
mod replies;
mod requests;
mod upstream;
