//! AWS Lambda Web Adapter (crate `lambda_web_adapter` 1.0.0-rc1), run in process as the function's
//! runtime, configured from the same `AWS_LWA_*` settings as AWS's `lambda-adapter` binary
//! (`AWS_LWA_PORT`, `AWS_LWA_READINESS_CHECK_PATH`, …).
//!
//! One difference: it does not register itself as a Lambda extension, because cargo-lambda's
//! runtime-API emulator serves no extensions API. On Lambda that registration only keeps the
//! adapter's extension slot alive; it plays no part in handling an invocation.

use lambda_web_adapter::{Adapter, AdapterOptions, Error};

fn main() -> Result<(), Error> {
    // Rewrites AWS_LAMBDA_RUNTIME_API from AWS_LWA_LAMBDA_RUNTIME_API_PROXY when that is set; it
    // sets an environment variable, so it runs before the runtime starts any thread.
    Adapter::apply_runtime_proxy_config();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve())
}

/// Waits for the app to pass its readiness check, then serves invocations until the runtime stops.
async fn serve() -> Result<(), Error> {
    // Honours AWS_LAMBDA_LOG_LEVEL / AWS_LAMBDA_LOG_FORMAT, as the released adapter does.
    lambda_web_adapter::tracing::init_default_subscriber();
    let options = AdapterOptions::default();
    let mut adapter = Adapter::new(&options)?;
    adapter.check_init_health().await;
    adapter.run().await
}
