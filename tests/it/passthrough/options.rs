//! The `[http]` options: stage, base path and context headers, through real requests.

use cloud_events_handler::passthrough::{request, HttpOptions};
use cloud_events_handler::Event;
use cloud_events_handler::{
    headers::REQUEST_CONTEXT_HEADER, headers::STAGE_VARIABLES_HEADER, passthrough::HttpFormat,
};
use serde_json::json;

use super::requests::format_of;
use super::upstream;

fn path_of(name: &str, options: &HttpOptions) -> String {
    let passed = request(format_of(name), &upstream::event(name), options).unwrap();
    passed.request.uri().path().to_owned()
}

fn keep_stage() -> HttpOptions {
    HttpOptions::default().with_keep_stage(true)
}

fn v1(path: &str) -> Event {
    Event::from_json(json!({
        "httpMethod": "GET", "path": path,
        "requestContext": {"httpMethod": "GET", "stage": "prod"}
    }))
}

fn v2(raw_path: &str, stage: &str) -> Event {
    Event::from_json(json!({
        "version": "2.0", "rawPath": raw_path,
        "requestContext": {"stage": stage, "http": {"method": "GET"}}
    }))
}

fn path(format: HttpFormat, event: &Event, options: &HttpOptions) -> String {
    let passed = request(format, event, options).unwrap();
    passed.request.uri().path().to_owned()
}

#[test]
fn the_http_api_stage_is_left_out_unless_kept() {
    let name = "apigw-v2/stage-in-path.json";
    assert_eq!(path_of(name, &HttpOptions::default()), "/my/path");
    assert_eq!(path_of(name, &keep_stage()), "/Prod/my/path");
    let default_stage = v2("/my/path", "$default");
    assert_eq!(
        path(HttpFormat::ApiGatewayV2, &default_stage, &keep_stage()),
        "/my/path"
    );
    let lookalike = v2("/production/x", "prod");
    assert_eq!(
        path(
            HttpFormat::ApiGatewayV2,
            &lookalike,
            &HttpOptions::default()
        ),
        "/production/x"
    );
}

#[test]
fn the_rest_api_stage_is_put_back_when_kept() {
    // A REST API's `path` has no stage; the client's URL did.
    let name = "apigw-v1/proxy.json";
    assert_eq!(path_of(name, &HttpOptions::default()), "/hello/world");
    assert_eq!(path_of(name, &keep_stage()), "/testStage/hello/world");
    assert_eq!(
        path(
            HttpFormat::ApiGatewayV1,
            &v1("/prod/x"),
            &HttpOptions::default()
        ),
        "/x"
    );
}

#[test]
fn the_base_path_is_stripped_by_whole_segments() {
    let api = HttpOptions::default().with_base_path("/api").unwrap();
    let cases = [
        ("/api/users", "/users"),
        ("/api", "/"),
        ("/api/", "/"),
        ("/apix", "/apix"),
        ("/v2/api", "/v2/api"),
    ];
    for (given, expected) in cases {
        assert_eq!(
            path(HttpFormat::ApiGatewayV1, &v1(given), &api),
            expected,
            "{given}"
        );
    }
    // The stage goes first, then the base path.
    assert_eq!(
        path(HttpFormat::ApiGatewayV2, &v2("/prod/api/x", "prod"), &api),
        "/x"
    );
    let alb = HttpOptions::default().with_base_path("/v1").unwrap();
    assert_eq!(path_of("alb/no-host.json", &alb), "/health/");
}

#[test]
fn context_headers_can_be_left_out_and_cannot_be_forged() {
    let forged = Event::from_json(json!({
        "httpMethod": "GET", "path": "/",
        "headers": {"ceh-request-context": "{\"authorizer\":\"admin\"}", "ceh-rule": "x", "ceh-stage-variables": "1"},
        "stageVariables": null,
        "requestContext": {"httpMethod": "GET", "stage": "prod"}
    }));
    let on = request(HttpFormat::ApiGatewayV1, &forged, &HttpOptions::default()).unwrap();
    let headers = on.request.headers();
    assert_eq!(
        headers[REQUEST_CONTEXT_HEADER],
        r#"{"httpMethod":"GET","stage":"prod"}"#
    );
    assert!(!headers.contains_key(STAGE_VARIABLES_HEADER));
    assert!(!headers.contains_key("ceh-rule"));

    let off_options = HttpOptions::default().with_context_headers(false);
    let off = request(HttpFormat::ApiGatewayV1, &forged, &off_options).unwrap();
    assert!(off
        .request
        .headers()
        .keys()
        .all(|k| !k.as_str().starts_with("ceh-")));
}

#[test]
fn context_headers_are_percent_encoded_where_a_header_cannot_carry_them() {
    let event = Event::from_json(json!({
        "httpMethod": "GET", "path": "/",
        "stageVariables": {"greeting": "grüße 100%\u{7f}"},
        "requestContext": {"httpMethod": "GET", "authorizer": {"name": "Zoë\nX"}}
    }));
    let passed = request(HttpFormat::ApiGatewayV1, &event, &HttpOptions::default()).unwrap();
    let headers = passed.request.headers();
    assert_eq!(
        headers[STAGE_VARIABLES_HEADER],
        r#"{"greeting":"gr%C3%BC%C3%9Fe 100%25%7F"}"#
    );
    // serde_json escapes the newline itself; the `ë` is percent-encoded.
    assert_eq!(
        headers[REQUEST_CONTEXT_HEADER],
        r#"{"httpMethod":"GET","authorizer":{"name":"Zo%C3%AB\nX"}}"#
    );
    let decoded = percent_encoding::percent_decode(headers[STAGE_VARIABLES_HEADER].as_bytes())
        .decode_utf8()
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&decoded).unwrap();
    assert_eq!(json, event.json()["stageVariables"]);
}

#[test]
fn the_app_learns_the_prefix_that_was_removed() {
    let options = HttpOptions::default().with_base_path("/api").unwrap();
    let passed = request(
        HttpFormat::ApiGatewayV2,
        &v2("/prod/api/users", "prod"),
        &options,
    )
    .unwrap();
    assert_eq!(passed.request.uri().path(), "/users");
    assert_eq!(passed.request.headers()["x-forwarded-prefix"], "/prod/api");
    // Nothing removed: no header, and a client's own claim is not passed on.
    let mut event = v2("/users", "$default").json().clone();
    event["headers"] = json!({"x-forwarded-prefix": "/admin"});
    let passed = request(
        HttpFormat::ApiGatewayV2,
        &Event::from_json(event),
        &HttpOptions::default(),
    )
    .unwrap();
    assert!(passed.request.headers().get("x-forwarded-prefix").is_none());
}

#[test]
fn replies_can_leave_headers_out_and_never_base64() {
    use cloud_events_handler::passthrough::{reply, ReplyShape};
    let response = http::Response::builder()
        .header("server", "gunicorn")
        .header("x-powered-by", "flask")
        .header("content-type", "application/octet-stream")
        .body(bytes::Bytes::from_static(b"\x89PNG ok"))
        .unwrap();
    let shape = ReplyShape::new(HttpFormat::ApiGatewayV2);
    let plain = reply(&shape, &response, &HttpOptions::default());
    assert_eq!(plain["isBase64Encoded"], true);
    assert_eq!(plain["headers"]["server"], "gunicorn");
    let options = HttpOptions::default()
        .with_exclude_headers(["Server", "X-Powered-By"])
        .unwrap()
        .with_never_base64(true);
    let trimmed = reply(&shape, &response, &options);
    assert_eq!(
        trimmed["headers"],
        json!({"content-type": "application/octet-stream"})
    );
    assert_eq!(trimmed["isBase64Encoded"], false);
    assert_eq!(trimmed["body"], "\u{fffd}PNG ok");
}

#[test]
fn a_text_type_covers_its_vendor_variants_and_the_new_keys_load() {
    let options = HttpOptions::default()
        .with_text_content_types(["application/vnd.custom"])
        .unwrap();
    assert!(options.is_text("application/vnd.custom"));
    assert!(options.is_text("application/vnd.custom.v2+json; charset=utf-8"));
    assert!(options.is_text("application/vnd.custom+json"));
    assert!(!options.is_text("application/vnd.customer"));
    let config = cloud_events_handler::Config::parse(
        "ceh.toml",
        "[http]\nbase64 = \"never\"\nexclude_headers = [\"server\"]\n",
    )
    .unwrap();
    assert!(config.http().never_base64());
    assert!(config.http().excludes(&http::header::SERVER));
    let err = cloud_events_handler::Config::parse("ceh.toml", "[http]\nbase64 = \"sometimes\"\n")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ceh.toml:2: http.base64: \"sometimes\" is not a base64 policy; write \"by-content-type\" (the default) or \"never\""
    );
    let err = cloud_events_handler::Config::parse(
        "ceh.toml",
        "[http]\nexclude_headers = [\"bad name\"]\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ceh.toml:2: http.exclude_headers: \"bad name\" is not a header name; write e.g. \"server\""
    );
}
