//! The HTTP fixtures, read from `fixtures/` when they are there, and until
//! then straight from the crates they were copied from, byte for byte:
//! aws_lambda_events 1.2.1 (`src/fixtures/`, MIT) and lambda_http 1.3.2
//! (`tests/data/`, Apache-2.0), as unpacked in Cargo's registry.

use std::path::{Path, PathBuf};

use cloud_events_handler::Event;

const EVENTS: &str = "aws_lambda_events-1.2.1/src/fixtures";
const LAMBDA_HTTP: &str = "lambda_http-1.3.2/tests/data";

/// Each fixture's name under `fixtures/`, and where it was copied from.
const ORIGINS: [(&str, &str, &str); 41] = [
    (
        "apigw-authorizer/token.json",
        EVENTS,
        "example-apigw-custom-auth-request.json",
    ),
    (
        "apigw-v1/catch-all.json",
        EVENTS,
        "example-apigw-request-catch-all.json",
    ),
    (
        "apigw-v1/console-test.json",
        EVENTS,
        "example-apigw-console-test-request.json",
    ),
    (
        "apigw-v1/console.json",
        EVENTS,
        "example-apigw-console-request.json",
    ),
    (
        "apigw-v1/multi-value-parameters.json",
        EVENTS,
        "example-apigw-request-multi-value-parameters.json",
    ),
    (
        "apigw-v1/multi-value-proxy.json",
        LAMBDA_HTTP,
        "apigw_multi_value_proxy_request.json",
    ),
    ("apigw-v1/no-host.json", LAMBDA_HTTP, "apigw_no_host.json"),
    (
        "apigw-v1/openapi.json",
        EVENTS,
        "example-apigw-restapi-openapi-request.json",
    ),
    (
        "apigw-v1/proxy-lambda-http.json",
        LAMBDA_HTTP,
        "apigw_proxy_request.json",
    ),
    ("apigw-v1/proxy.json", EVENTS, "example-apigw-request.json"),
    (
        "apigw-v1/sam-local.json",
        EVENTS,
        "example-apigw-sam-rest-request.json",
    ),
    (
        "apigw-v2/iam.json",
        EVENTS,
        "example-apigw-v2-request-iam.json",
    ),
    (
        "apigw-v2/jwt-authorizer.json",
        EVENTS,
        "example-apigw-v2-request-jwt-authorizer.json",
    ),
    (
        "apigw-v2/lambda-authorizer.json",
        EVENTS,
        "example-apigw-v2-request-lambda-authorizer.json",
    ),
    (
        "apigw-v2/minimal.json",
        LAMBDA_HTTP,
        "apigw_v2_proxy_request_minimal.json",
    ),
    (
        "apigw-v2/multi-value-parameters.json",
        EVENTS,
        "example-apigw-v2-request-multi-value-parameters.json",
    ),
    (
        "apigw-v2/no-authorizer.json",
        EVENTS,
        "example-apigw-v2-request-no-authorizer.json",
    ),
    (
        "apigw-v2/path-with-space.json",
        LAMBDA_HTTP,
        "apigw_request_path_with_space.json",
    ),
    (
        "apigw-v2/proxy.json",
        LAMBDA_HTTP,
        "apigw_v2_proxy_request.json",
    ),
    (
        "apigw-v2/sam-local-lambda-http.json",
        LAMBDA_HTTP,
        "apigw_v2_sam_local.json",
    ),
    (
        "apigw-v2/sam-local.json",
        EVENTS,
        "example-apigw-sam-http-request.json",
    ),
    (
        "apigw-v2/stage-in-path.json",
        LAMBDA_HTTP,
        "apigw_v2_proxy_request_with_stage_in_path.json",
    ),
    (
        "alb/encoded-query.json",
        LAMBDA_HTTP,
        "alb_request_encoded_query_parameters.json",
    ),
    (
        "alb/headers-only.json",
        EVENTS,
        "example-alb-lambda-target-request-headers-only.json",
    ),
    (
        "alb/health-check.json",
        LAMBDA_HTTP,
        "alb_health_check.json",
    ),
    (
        "alb/multi-value-encoded-query.json",
        LAMBDA_HTTP,
        "alb_multi_value_request_encoded_query_parameters.json",
    ),
    (
        "alb/multi-value-headers.json",
        EVENTS,
        "example-alb-lambda-target-request-multivalue-headers.json",
    ),
    (
        "alb/multi-value-request.json",
        LAMBDA_HTTP,
        "alb_multi_value_request.json",
    ),
    ("alb/no-host.json", LAMBDA_HTTP, "alb_no_host.json"),
    ("alb/request.json", LAMBDA_HTTP, "alb_request.json"),
    (
        "function-url/request.json",
        LAMBDA_HTTP,
        "lambda_function_url_request.json",
    ),
    (
        "websocket/disconnect.json",
        EVENTS,
        "example-apigw-websocket-request-disconnect-route.json",
    ),
    (
        "websocket/message.json",
        EVENTS,
        "example-apigw-websocket-request.json",
    ),
    (
        "websocket/without-method.json",
        EVENTS,
        "example-apigw-websocket-request-without-method.json",
    ),
    (
        "vpc-lattice/v1.json",
        EVENTS,
        "example-vpc-lattice-v1-request.json",
    ),
    (
        "vpc-lattice/v2-base64-lambda-http.json",
        LAMBDA_HTTP,
        "vpc_lattice_v2_request_base64.json",
    ),
    (
        "vpc-lattice/v2-base64.json",
        EVENTS,
        "example-vpc-lattice-v2-request-base64.json",
    ),
    (
        "vpc-lattice/v2-encoded-query.json",
        LAMBDA_HTTP,
        "vpc_lattice_v2_request_encoded_query.json",
    ),
    (
        "vpc-lattice/v2-lambda-http.json",
        LAMBDA_HTTP,
        "vpc_lattice_v2_request.json",
    ),
    (
        "vpc-lattice/v2-roles-anywhere.json",
        EVENTS,
        "example-vpc-lattice-v2-request-roles-anywhere.json",
    ),
    (
        "vpc-lattice/v2.json",
        EVENTS,
        "example-vpc-lattice-v2-request.json",
    ),
];

/// The names of every HTTP fixture (authorizer events are not HTTP requests).
pub fn names() -> impl Iterator<Item = &'static str> {
    ORIGINS
        .iter()
        .map(|(name, _, _)| *name)
        .filter(|name| !name.starts_with("apigw-authorizer/"))
}

/// The fixture's bytes.
pub fn read(name: &str) -> Vec<u8> {
    let local = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    if let Ok(bytes) = std::fs::read(&local) {
        return bytes;
    }
    let (_, dir, file) = ORIGINS
        .iter()
        .find(|(n, _, _)| *n == name)
        .unwrap_or_else(|| panic!("{name}: not an HTTP fixture"));
    let path = registry()
        .iter()
        .map(|index| index.join(dir).join(file))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name}: neither fixtures/{name} nor {dir}/{file} in Cargo's registry")
        });
    std::fs::read(path).unwrap()
}

/// The fixture as an event.
pub fn event(name: &str) -> Event {
    Event::from_slice(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `$CARGO_HOME/registry/src/*/`, every index.
fn registry() -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    std::fs::read_dir(home.join("registry").join("src"))
        .map(|dir| dir.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default()
}
