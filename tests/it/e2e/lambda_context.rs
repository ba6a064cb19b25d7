//! Lambda Web Adapter's `x-amzn-lambda-context` with `[http] lwa_context_headers = true`:
//! lambda_runtime's whole `Context` as JSON, with the runtime API's
//! `Lambda-Runtime-Client-Context` and `Lambda-Runtime-Cognito-Identity`
//! (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html, the
//! next-invocation headers) and the function's configuration from the Lambda
//! environment (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
//! A client context or identity that is not the JSON expected, or a client
//! context over the header budget, is left out; the invocation is answered.

use std::time::Duration;

use serde_json::{json, Value};

use super::harness::{inner, Process};
use super::lambda_tenant::{ceh_lambda_on, runtime_api_handing_out};

/// A function URL request (API Gateway's payload 2.0), an HTTP event.
fn http_event() -> Vec<u8> {
    crate::fixtures::read("function-url/request.json")
}

/// `ceh lambda --echo` against the runtime API on `port`, with the configuration `config`.
fn ceh(port: u16, config: Option<&std::path::Path>) -> Process {
    let config = config.map(|c| c.display().to_string());
    let mut env = vec![
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/12/07/[1]0123456789abcdef",
        ),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/f"),
    ];
    if let Some(config) = &config {
        env.push(("CEH_CONFIG", config));
    }
    ceh_lambda_on(port, &["--echo"], &env)
}

/// What the app received for each of `count` invocations: the echo of its request.
fn seen(replies: &std::sync::mpsc::Receiver<Value>, count: usize) -> Vec<Value> {
    (0..count)
        .map(|_| {
            let reply = replies.recv_timeout(Duration::from_secs(20)).unwrap();
            assert_eq!(reply["statusCode"], 200, "{reply}");
            inner(&reply, "body")
        })
        .collect()
}

/// The app's `x-amzn-lambda-context`, read as JSON.
fn lambda_context(seen: &Value) -> Value {
    let header = seen["headers"]["x-amzn-lambda-context"]
        .as_str()
        .unwrap_or_else(|| panic!("no x-amzn-lambda-context in {seen}"));
    serde_json::from_str(header).unwrap()
}

#[test]
fn the_app_gets_the_client_context_the_identity_and_the_functions_configuration() {
    // The AWS Mobile SDK's client context: snake-case `client`, its own `env`
    // (which lambda_runtime, and so Lambda Web Adapter, does not read).
    let client_context = r#"{"client": {"installation_id": "i-1", "app_title": "Shop", "app_version_name": "2.1", "app_version_code": "21", "app_package_name": "com.shop"}, "custom": {"cart": "7", "note": "50% caf\u00e9"}, "env": {"platform": "Android"}}"#;
    let identity =
        r#"{"cognitoIdentityId": "us-east-1:abc", "cognitoIdentityPoolId": "us-east-1:pool"}"#;
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let too_big = format!(r#"{{"custom": {{"blob": "{}"}}}}"#, "x".repeat(5000));
    let invocations = vec![
        format!(
            "lambda-runtime-client-context: {client_context}\r\n\
             lambda-runtime-cognito-identity: {identity}\r\n\
             lambda-runtime-trace-id: {trace}\r\n\
             lambda-runtime-aws-tenant-id: tenant-blue\r\n"
        ),
        "lambda-runtime-client-context: {not json\r\n\
         lambda-runtime-cognito-identity: {\"identityId\": 7}\r\n"
            .to_owned(),
        format!(
            "lambda-runtime-client-context: {too_big}\r\nlambda-runtime-cognito-identity: {identity}\r\n"
        ),
    ];
    let (port, replies) = runtime_api_handing_out(
        invocations
            .into_iter()
            .map(|lines| (lines, http_event()))
            .collect(),
    );
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), "[http]\nlwa_context_headers = true\n").unwrap();
    let _ceh = ceh(port, Some(config.path()));
    let seen = seen(&replies, 3);

    let env_config = json!({"function_name": "f", "memory": 128, "version": "1",
        "log_stream": "2026/12/07/[1]0123456789abcdef", "log_group": "/aws/lambda/f"});
    let deadline = |seen: &Value| -> u64 {
        seen["headers"]["ceh-deadline-ms"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        lambda_context(&seen[0]),
        json!({
            "request_id": "r-0",
            "deadline": deadline(&seen[0]),
            "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "xray_trace_id": trace,
            "client_context": {
                "client": {"installationId": "i-1", "appTitle": "Shop", "appVersionName": "2.1",
                    "appVersionCode": "21", "appPackageName": "com.shop"},
                "custom": {"cart": "7", "note": "50% café"},
                "environment": {}
            },
            "identity": {"identityId": "us-east-1:abc", "identityPoolId": "us-east-1:pool"},
            "tenant_id": "tenant-blue",
            "env_config": env_config,
        })
    );
    // Not the JSON expected: left out, and the invocation answered all the same.
    assert_eq!(
        lambda_context(&seen[1]),
        json!({
            "request_id": "r-1",
            "deadline": deadline(&seen[1]),
            "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "xray_trace_id": null,
            "client_context": null,
            "identity": null,
            "tenant_id": null,
            "env_config": env_config,
        })
    );
    // Over the header budget: the client context is left out, the identity kept.
    let third = lambda_context(&seen[2]);
    assert_eq!(third["client_context"], Value::Null, "{third}");
    assert_eq!(third["identity"]["identityId"], "us-east-1:abc", "{third}");
    assert!(
        seen[2]["headers"]["x-amzn-lambda-context"]
            .as_str()
            .unwrap()
            .len()
            <= 4096
    );
}

#[test]
fn without_lwa_context_headers_the_app_gets_no_lambda_context() {
    let identity = r#"{"cognitoIdentityId": "us-east-1:abc", "cognitoIdentityPoolId": "p"}"#;
    let (port, replies) = runtime_api_handing_out(vec![(
        format!("lambda-runtime-cognito-identity: {identity}\r\n"),
        http_event(),
    )]);
    let _ceh = ceh(port, None);
    let seen = seen(&replies, 1);
    assert_eq!(seen[0]["headers"]["ceh-request-id"], "r-0", "{}", seen[0]);
    assert!(
        seen[0]["headers"].get("x-amzn-lambda-context").is_none(),
        "{}",
        seen[0]
    );
}
