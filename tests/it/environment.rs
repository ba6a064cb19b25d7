//! The default environment and its overrides, including the Python handler's WSGI keys.

use cloud_events_handler::{request::synthesize, Config, Event};

fn request_for(config: &Config, body: &str) -> http::Request<bytes::Bytes> {
    let event = Event::from_slice(body.as_bytes()).unwrap();
    let found = config.rules().classify(&event).unwrap();
    synthesize(&found, &event, config.environment()).unwrap()
}

const S3: &str = r#"{"Records": [{"eventSource": "aws:s3", "s3": {}}]}"#;
const SQS: &str = r#"{"Records": [{"eventSource": "aws:sqs", "body": ""}]}"#;

#[test]
fn defaults_match_the_python_handler() {
    let request = request_for(&Config::default(), S3);
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "http://localhost/aws.s3");
    assert_eq!(request.version(), http::Version::HTTP_11);
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let expected = [
        ("content-type", "application/json"),
        // The event has no request id, bucket or event name: the CloudEvent attributes take their defaults.
        ("ce-specversion", "1.0"),
        ("ce-id", "ceh-a64f57419b979fa1"),
        ("ce-source", "ceh:s3"),
        ("ce-type", "ceh.s3"),
        ("host", "localhost"),
        ("content-length", "50"),
        ("ceh-rule", "s3"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(headers, expected);
    assert_eq!(request.body().as_ref(), S3.as_bytes());
}

#[test]
fn a_wsgi_environ_migrates_as_is() {
    let config = Config::parse(
        "wsgi.toml",
        r#"
        [environment]
        CONTENT_TYPE = "application/vnd.api+json"
        REQUEST_METHOD = "put"
        PATH_INFO = "/books/"
        SCRIPT_NAME = "/api/"
        SERVER_NAME = "books.example.com"
        SERVER_PORT = "8443"
        SERVER_PROTOCOL = "HTTP/1.0"
        QUERY_STRING = "source=lambda"
        HTTP_ACCEPT = "application/vnd.api+json"
        HTTP_X_API_KEY = "k-1"
        "wsgi.url_scheme" = "https"
        "wsgi.version" = [1, 0]
        "wsgi.run_once" = false
        "wsgi.multiprocess" = false
        "wsgi.multithread" = false
        "#,
    )
    .unwrap();
    let request = request_for(&config, S3);
    assert_eq!(request.method(), http::Method::PUT);
    assert_eq!(
        request.uri(),
        "https://books.example.com:8443/api/aws.s3?source=lambda"
    );
    assert_eq!(request.version(), http::Version::HTTP_10);
    let headers = request.headers();
    assert_eq!(headers["content-type"], "application/vnd.api+json");
    assert_eq!(headers["accept"], "application/vnd.api+json");
    assert_eq!(headers["x-api-key"], "k-1");
    assert_eq!(headers["host"], "books.example.com:8443");
}

#[test]
fn our_own_keys_and_per_rule_overrides() {
    let config = Config::parse(
        "env.toml",
        r#"
        [environment]
        host = "app.internal"
        port = 8080
        base_path = "/events"
        headers = { "x-tenant" = "t1" }

        [environment.rule.s3]
        method = "PATCH"
        base_path = "/storage"
        headers = { "x-tenant" = "t2" }
        "#,
    )
    .unwrap();
    let s3 = request_for(&config, S3);
    assert_eq!(s3.method(), http::Method::PATCH);
    assert_eq!(s3.uri(), "http://app.internal:8080/storage/aws.s3");
    assert_eq!(s3.headers()["x-tenant"], "t2");
    let sqs = request_for(&config, SQS);
    assert_eq!(sqs.method(), http::Method::POST);
    assert_eq!(sqs.uri(), "http://app.internal:8080/events/aws.sqs");
    assert_eq!(sqs.headers()["x-tenant"], "t1");
}

#[test]
fn a_rule_method_beats_the_global_environment() {
    let config = Config::parse(
        "env.toml",
        r#"
        [[rule]]
        name = "ping"
        path = "/ping"
        method = "GET"
        [rule.match]
        "$.ping" = true

        [environment]
        method = "PUT"
        "#,
    )
    .unwrap();
    // The environment's method applies to every rule that sets none...
    assert_eq!(request_for(&config, S3).method(), http::Method::PUT);
    // ...but a rule's own method is more specific than the global environment.
    let ping = request_for(&config, r#"{"ping": true}"#);
    assert_eq!(ping.method(), http::Method::GET);
}

#[test]
fn environment_errors_name_the_key() {
    let cases: &[(&str, &str)] = &[
        ("[environment]\nSERVER_PORT = \"eighty\"\n", "e.toml:2: environment.SERVER_PORT: String(\"eighty\") is not a port number (0 to 65535)"),
        ("[environment]\nHOST = \"x\"\n", "e.toml:2: environment.HOST: unknown key; use method, scheme, host, port, protocol, base_path, query, content_type, headers, or the WSGI names (REQUEST_METHOD, wsgi.url_scheme, SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL, SCRIPT_NAME, QUERY_STRING, CONTENT_TYPE, HTTP_*)"),
        ("[environment]\n\"wsgi.url_scheme\" = \"ftp\"\n", "e.toml:2: environment.wsgi.url_scheme: \"ftp\" is not a scheme; use \"http\" or \"https\""),
        ("[environment]\nSCRIPT_NAME = \"/a/../b\"\n", "e.toml:2: environment.SCRIPT_NAME: \"/a/../b\" is not a base path; write e.g. \"/events\" (percent-encoded, no `.` or `..` segments)"),
        ("[environment]\nSERVER_PROTOCOL = \"HTTP/3\"\n", "e.toml:2: environment.SERVER_PROTOCOL: \"HTTP/3\" is not a protocol; use \"HTTP/1.0\", \"HTTP/1.1\" or \"HTTP/2\""),
        ("[environment]\nHTTP_HOST = \"x\"\n", "e.toml:2: environment.HTTP_HOST: `host` is set by ceh itself; use `host` for the host name"),
        ("[environment]\nHTTP_X_BAD = \"a\\nb\"\n", "e.toml:2: environment.HTTP_X_BAD: \"a\\nb\" is not a valid header value (no control characters)"),
        ("[environment]\nSERVER_NAME = \"h:80\"\n", "e.toml:2: environment.SERVER_NAME: \"h:80\" is not a host name; write the port in `port`"),
        ("\n[environment.rule.nope]\nmethod = \"GET\"\n", "e.toml:2: environment.rule.nope: there is no rule named `nope`; `ceh rules list` shows the names"),
    ];
    for (text, expected) in cases {
        assert_eq!(
            Config::parse("e.toml", text).unwrap_err().to_string(),
            *expected,
            "for:\n{text}"
        );
    }
}
