//! `HttpOptions`: the `[http]` table of the configuration file.

use std::str::FromStr;

use http::HeaderName;
use serde::{Deserialize, Deserializer};

use super::media::{essence, MediaPattern, DEFAULT_TEXT_CONTENT_TYPES};
use crate::config::table::{checked, expected, read_table};
use crate::statuses::Statuses;

/// How HTTP events pass through: the `[http]` table of the configuration file.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `text_content_types` | `text/*`, `application/json`, `application/xml`, `application/yaml`, `application/javascript`, `*/*+json`, `*/*+xml`, `image/svg+xml` | response content types sent as text; any other body is sent base64-encoded |
/// | `base_path` | none | a path prefix removed from request paths, by whole segments |
/// | `keep_stage` | `false` | keep the API Gateway stage as the first path segment |
/// | `context_headers` | `true` | send `requestContext` and `stageVariables` as `ceh-request-context` / `ceh-stage-variables` |
/// | `base64` | `"by-content-type"` | `"never"`: reply bodies are always text (a body that is not UTF-8 has its bad bytes replaced) |
/// | `exclude_headers` | none | response headers left out of every reply, e.g. `["server", "x-powered-by"]` |
/// | `lwa_context_headers` | `false` | also send `x-amzn-request-context` and `x-amzn-lambda-context`, as Lambda Web Adapter does |
/// | `authorization_source` | none | a request header whose value is sent as `Authorization` instead (Lambda Web Adapter's `AWS_LWA_AUTHORIZATION_SOURCE`) |
/// | `failure_status` | none | the app's statuses that fail the invocation instead of being replied, e.g. `[500, "502-504"]` (`AWS_LWA_ERROR_STATUS_CODES`) |
///
/// ```
/// use cloud_events_handler::passthrough::HttpOptions;
///
/// let options = HttpOptions::default().with_base_path("/api/")?;
/// assert_eq!(options.base_path(), Some("/api"));
/// assert!(options.is_text("application/problem+json; charset=utf-8"));
/// assert!(!options.is_text("image/png"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug)]
pub struct HttpOptions {
    text_content_types: Vec<MediaPattern>,
    base_path: Option<String>,
    keep_stage: bool,
    context_headers: bool,
    allow_event_routes: bool,
    never_base64: bool,
    exclude_headers: Vec<HeaderName>,
    lwa_context_headers: bool,
    authorization_source: Option<HeaderName>,
    failure_status: Statuses,
}

const KEYS: &str =
    "text_content_types, base_path, keep_stage, context_headers, allow_event_routes, base64, exclude_headers, lwa_context_headers, authorization_source or failure_status";

impl Default for HttpOptions {
    /// The options of an empty `[http]` table.
    fn default() -> Self {
        Self::compile(RawHttpOptions::default())
    }
}

impl HttpOptions {
    /// Reads the `[http]` table; the error names the key and says what to write.
    pub(crate) fn from_table(table: toml::Table) -> Result<Self, String> {
        Ok(Self::compile(read_table(table, "http", KEYS)?))
    }

    /// The options `raw` sets, with the defaults for what it leaves out.
    fn compile(raw: RawHttpOptions) -> Self {
        Self {
            text_content_types: raw.text_content_types.unwrap_or_else(|| {
                DEFAULT_TEXT_CONTENT_TYPES
                    .iter()
                    .filter_map(|text| MediaPattern::parse(text).ok())
                    .collect()
            }),
            base_path: raw.base_path.flatten(),
            keep_stage: raw.keep_stage.unwrap_or(false),
            context_headers: raw.context_headers.unwrap_or(true),
            allow_event_routes: raw.allow_event_routes.unwrap_or(false),
            never_base64: raw.base64 == Some(Base64::Never),
            exclude_headers: raw.exclude_headers.unwrap_or_default(),
            lwa_context_headers: raw.lwa_context_headers.unwrap_or(false),
            authorization_source: raw.authorization_source,
            failure_status: raw.failure_status.unwrap_or_default(),
        }
    }

    /// Sends the value of the request header `name` as `Authorization`, and
    /// not under its own name, as Lambda Web Adapter's
    /// `AWS_LWA_AUTHORIZATION_SOURCE` does; a request without it is sent as it is.
    ///
    /// ```
    /// use cloud_events_handler::passthrough::HttpOptions;
    ///
    /// let options = HttpOptions::default().with_authorization_source("X-Token")?;
    /// assert_eq!(options.authorization_source().map(|h| h.as_str()), Some("x-token"));
    /// assert!(HttpOptions::default().with_authorization_source("bad name").is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn with_authorization_source(mut self, name: &str) -> Result<Self, String> {
        self.authorization_source = Some(header_name(name)?);
        Ok(self)
    }

    /// The header sent as `Authorization`, if any.
    pub fn authorization_source(&self) -> Option<&HeaderName> {
        self.authorization_source.as_ref()
    }

    /// Fails the invocation when the app answers an HTTP event with one of
    /// `statuses`, instead of replying its response, as Lambda Web Adapter's
    /// `AWS_LWA_ERROR_STATUS_CODES` does (so that Lambda retries an
    /// asynchronous invocation, or an alarm counts the error).
    ///
    /// ```
    /// use cloud_events_handler::{passthrough::HttpOptions, Statuses};
    ///
    /// let options = HttpOptions::default().with_failure_status(Statuses::parse("500,502-504")?);
    /// assert!(options.fails(503) && !options.fails(404));
    /// assert!(!HttpOptions::default().fails(500), "by default every response is replied");
    /// # Ok::<(), String>(())
    /// ```
    pub fn with_failure_status(mut self, statuses: Statuses) -> Self {
        self.failure_status = statuses;
        self
    }

    /// Whether the app's `status` fails an HTTP event's invocation.
    pub fn fails(&self, status: u16) -> bool {
        self.failure_status.contains(status)
    }

    /// Whether any status fails an HTTP event's invocation.
    pub fn has_failure_status(&self) -> bool {
        self.failure_status != Statuses::default()
    }

    /// Also sends the context headers Lambda Web Adapter's apps read:
    /// `x-amzn-request-context` (the event's `requestContext`) and
    /// `x-amzn-lambda-context` (the invocation: request id, deadline, ARN, trace id).
    ///
    /// ```
    /// use cloud_events_handler::passthrough::HttpOptions;
    ///
    /// assert!(!HttpOptions::default().lwa_context_headers());
    /// assert!(HttpOptions::default().with_lwa_context_headers(true).lwa_context_headers());
    /// ```
    pub fn with_lwa_context_headers(mut self, send: bool) -> Self {
        self.lwa_context_headers = send;
        self
    }

    /// Whether Lambda Web Adapter's context headers are sent.
    pub fn lwa_context_headers(&self) -> bool {
        self.lwa_context_headers
    }

    /// Never base64-encodes a reply body (`base64 = "never"`): every body is
    /// sent as text, a byte that is not UTF-8 replaced by U+FFFD.
    ///
    /// ```
    /// use cloud_events_handler::passthrough::HttpOptions;
    ///
    /// assert!(!HttpOptions::default().never_base64());
    /// assert!(HttpOptions::default().with_never_base64(true).never_base64());
    /// ```
    pub fn with_never_base64(mut self, never: bool) -> Self {
        self.never_base64 = never;
        self
    }

    /// Whether reply bodies are always text.
    pub fn never_base64(&self) -> bool {
        self.never_base64
    }

    /// Leaves these response headers out of every reply (names, any case).
    ///
    /// ```
    /// use cloud_events_handler::passthrough::HttpOptions;
    ///
    /// let options = HttpOptions::default().with_exclude_headers(["Server", "x-powered-by"])?;
    /// assert!(options.excludes(&http::header::SERVER));
    /// assert!(!options.excludes(&http::header::CONTENT_TYPE));
    /// assert!(HttpOptions::default().with_exclude_headers(["bad name"]).is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn with_exclude_headers<'a>(
        mut self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, String> {
        self.exclude_headers = names
            .into_iter()
            .map(header_name)
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// Whether `name` is left out of replies.
    pub fn excludes(&self, name: &HeaderName) -> bool {
        self.exclude_headers.contains(name)
    }

    /// Replaces the text content types. Each is `type/subtype`, `type/*`,
    /// `*/*`, `type/*+suffix` or `*/*+suffix`, compared without case.
    ///
    /// ```
    /// use cloud_events_handler::passthrough::HttpOptions;
    ///
    /// let options = HttpOptions::default().with_text_content_types(["text/*", "application/x-ndjson"])?;
    /// assert!(options.is_text("application/x-ndjson"));
    /// assert!(!options.is_text("application/json"));
    /// assert!(HttpOptions::default().with_text_content_types(["json"]).is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn with_text_content_types<'a>(
        mut self,
        patterns: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, String> {
        self.text_content_types = patterns
            .into_iter()
            .map(MediaPattern::parse)
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// Sets the path prefix removed from request paths (`""` or `"/"` for none).
    ///
    /// ```
    /// use cloud_events_handler::passthrough::HttpOptions;
    ///
    /// assert_eq!(HttpOptions::default().with_base_path("/v1/")?.base_path(), Some("/v1"));
    /// assert_eq!(HttpOptions::default().with_base_path("/")?.base_path(), None);
    /// assert!(HttpOptions::default().with_base_path("/a/../b").is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn with_base_path(mut self, path: &str) -> Result<Self, String> {
        self.base_path = base_path(path)?;
        Ok(self)
    }

    /// Keeps (`true`) or removes (`false`, the default) the API Gateway stage in request paths.
    ///
    /// ```
    /// use cloud_events_handler::passthrough::{self, HttpOptions};
    /// use cloud_events_handler::{Event, passthrough::HttpFormat};
    ///
    /// let event = Event::from_slice(br#"{"version": "2.0", "rawPath": "/prod/users", "rawQueryString": "",
    ///     "requestContext": {"stage": "prod", "http": {"method": "GET"}}, "isBase64Encoded": false}"#)?;
    /// let options = HttpOptions::default().with_keep_stage(true);
    /// let passed = passthrough::request(HttpFormat::ApiGatewayV2, &event, &options)?;
    /// assert_eq!(passed.request.uri().path(), "/prod/users");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_keep_stage(mut self, keep: bool) -> Self {
        self.keep_stage = keep;
        self
    }

    /// Sends (`true`, the default) or leaves out the `ceh-request-context` and
    /// `ceh-stage-variables` headers.
    ///
    /// ```
    /// use cloud_events_handler::passthrough::{self, HttpOptions};
    /// use cloud_events_handler::headers::REQUEST_CONTEXT_HEADER;
    /// use cloud_events_handler::{Event, passthrough::HttpFormat};
    ///
    /// let event = Event::from_slice(br#"{"httpMethod": "GET", "path": "/", "requestContext": {"httpMethod": "GET"}}"#)?;
    /// let options = HttpOptions::default().with_context_headers(false);
    /// let passed = passthrough::request(HttpFormat::ApiGatewayV1, &event, &options)?;
    /// assert!(passed.request.headers().get(REQUEST_CONTEXT_HEADER).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_context_headers(mut self, send: bool) -> Self {
        self.context_headers = send;
        self
    }

    /// Lets HTTP clients reach event routes and send `ce-*` headers (`true`);
    /// by default (`false`) such requests get a 404 and `ce-*` headers are
    /// dropped, so only ceh can make a request look like an event.
    ///
    /// ```
    /// use cloud_events_handler::passthrough::HttpOptions;
    ///
    /// assert!(HttpOptions::default().with_allow_event_routes(true).allow_event_routes());
    /// ```
    pub fn with_allow_event_routes(mut self, allow: bool) -> Self {
        self.allow_event_routes = allow;
        self
    }

    /// Whether HTTP clients may reach event routes and send `ce-*` headers.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// assert!(!Config::default().http().allow_event_routes());
    /// let config = Config::parse("ceh.toml", "[http]\nallow_event_routes = true\n")?;
    /// assert!(config.http().allow_event_routes());
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn allow_event_routes(&self) -> bool {
        self.allow_event_routes
    }

    /// The path prefix removed from request paths, without a trailing `/`.
    pub fn base_path(&self) -> Option<&str> {
        self.base_path.as_deref()
    }

    /// Whether the API Gateway stage stays in request paths.
    ///
    /// ```
    /// use cloud_events_handler::passthrough::HttpOptions;
    ///
    /// assert!(!HttpOptions::default().keep_stage());
    /// assert!(HttpOptions::default().with_keep_stage(true).keep_stage());
    /// ```
    pub fn keep_stage(&self) -> bool {
        self.keep_stage
    }

    /// Whether the request context and stage variables are sent as headers.
    ///
    /// ```
    /// use cloud_events_handler::passthrough::HttpOptions;
    ///
    /// assert!(HttpOptions::default().context_headers());
    /// assert!(!HttpOptions::default().with_context_headers(false).context_headers());
    /// ```
    pub fn context_headers(&self) -> bool {
        self.context_headers
    }

    /// The text content types, as written.
    ///
    /// ```
    /// use cloud_events_handler::passthrough::HttpOptions;
    ///
    /// let options = HttpOptions::default().with_text_content_types(["TEXT/*", "*/*+json"])?;
    /// assert_eq!(options.text_content_types(), ["text/*", "*/*+json"]);
    /// # Ok::<(), String>(())
    /// ```
    pub fn text_content_types(&self) -> Vec<String> {
        self.text_content_types
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Whether a `Content-Type` value names a text type (parameters ignored).
    pub fn is_text(&self, content_type: &str) -> bool {
        essence(content_type).is_some_and(|e| self.text_content_types.iter().any(|p| p.matches(&e)))
    }
}

/// The `[http]` table as written, each value checked as it is read.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawHttpOptions {
    #[serde(deserialize_with = "text_content_types")]
    text_content_types: Option<Vec<MediaPattern>>,
    #[serde(deserialize_with = "path")]
    base_path: Option<Option<String>>,
    #[serde(deserialize_with = "flag")]
    keep_stage: Option<bool>,
    #[serde(deserialize_with = "flag")]
    context_headers: Option<bool>,
    #[serde(deserialize_with = "flag")]
    allow_event_routes: Option<bool>,
    #[serde(deserialize_with = "base64")]
    base64: Option<Base64>,
    #[serde(deserialize_with = "header_names")]
    exclude_headers: Option<Vec<HeaderName>>,
    #[serde(deserialize_with = "flag")]
    lwa_context_headers: Option<bool>,
    #[serde(deserialize_with = "authorization_source")]
    authorization_source: Option<HeaderName>,
    #[serde(deserialize_with = "failure_status")]
    failure_status: Option<Statuses>,
}

fn authorization_source<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HeaderName>, D::Error> {
    checked(d, |value| match value.as_str() {
        Some(name) => header_name(name),
        None => Err(expected("a header name, e.g. \"x-token\"", &value)),
    })
}

fn failure_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Statuses>, D::Error> {
    checked(d, |value| {
        let example = "a list of statuses, e.g. [500, \"502-504\"]";
        let toml::Value::Array(items) = &value else {
            return Err(expected(example, &value));
        };
        let texts = items
            .iter()
            .map(|item| match item {
                toml::Value::Integer(code) => Ok(code.to_string()),
                toml::Value::String(text) => Ok(text.clone()),
                other => Err(expected(example, other)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Statuses::from_items(texts.iter().map(String::as_str))
    })
}

/// `base64 =`: when a reply body is base64-encoded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Base64 {
    /// When its content type is not a text type, or it is not UTF-8.
    ByContentType,
    /// Never.
    Never,
}

fn base64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Base64>, D::Error> {
    checked(d, |value| match value.as_str() {
        Some("by-content-type") => Ok(Base64::ByContentType),
        Some("never") => Ok(Base64::Never),
        Some(other) => Err(format!(
            "{other:?} is not a base64 policy; write \"by-content-type\" (the default) or \"never\""
        )),
        None => Err(expected("\"by-content-type\" or \"never\"", &value)),
    })
}

fn header_names<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<HeaderName>>, D::Error> {
    checked(d, |value| {
        let toml::Value::Array(items) = &value else {
            return Err(expected(
                "a list of header names, e.g. [\"server\"]",
                &value,
            ));
        };
        items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| expected("a list of header names", item))
                    .and_then(header_name)
            })
            .collect()
    })
}

/// A header name, in any case; the error says what to write.
fn header_name(text: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(text.trim().as_bytes())
        .map_err(|_| format!("{text:?} is not a header name; write e.g. \"server\""))
}

fn text_content_types<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<MediaPattern>>, D::Error> {
    checked(d, |value| {
        let toml::Value::Array(items) = &value else {
            let example = "a list of strings, e.g. [\"text/*\", \"application/json\"]";
            return Err(expected(example, &value));
        };
        // Every item is a string before any is read as a pattern, as the error says.
        let texts = items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| expected("a list of strings", item))
            })
            .collect::<Result<Vec<_>, _>>()?;
        texts.into_iter().map(MediaPattern::parse).collect()
    })
}

fn path<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    checked(d, |value| match value.as_str() {
        Some(path) => base_path(path),
        None => Err(expected("a string, e.g. \"/api\"", &value)),
    })
}

fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    checked(d, |value| {
        value
            .as_bool()
            .ok_or_else(|| expected("true or false", &value))
    })
}

/// A base path without its trailing `/`, `None` for `""` or `"/"`.
fn base_path(path: &str) -> Result<Option<String>, String> {
    let trimmed = path.trim_end_matches('/');
    let valid = trimmed.is_empty()
        || (trimmed.starts_with('/')
            && !trimmed.contains(['?', '#'])
            && trimmed[1..]
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != "..")
            && http::uri::PathAndQuery::from_str(trimmed).is_ok());
    if !valid {
        return Err(format!(
            "{path:?} is not a base path; write e.g. \"/api\" (a leading `/`, no `.` or `..` segments)"
        ));
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Result<HttpOptions, String> {
        HttpOptions::from_table(toml::from_str(text).map_err(|e| e.to_string())?)
    }

    #[test]
    fn every_key_is_read() {
        let options = table(
            r#"
            text_content_types = ["text/*", "application/x-ndjson"]
            base_path = "/v1/"
            keep_stage = true
            context_headers = false
            "#,
        )
        .unwrap();
        assert_eq!(
            options.text_content_types(),
            ["text/*", "application/x-ndjson"]
        );
        assert_eq!(options.base_path(), Some("/v1"));
        assert!(options.keep_stage());
        assert!(!options.context_headers());
        assert!(!options.is_text("application/json"));
    }

    #[test]
    fn the_lwa_keys_are_read() {
        let options = table(
            r#"
            authorization_source = "X-Token"
            failure_status = [404, "5xx", "300-302"]
            "#,
        )
        .unwrap();
        assert_eq!(options.authorization_source().unwrap(), "x-token");
        for status in [404, 500, 599, 300, 302] {
            assert!(options.fails(status), "{status}");
        }
        assert!(!options.fails(303) && !options.fails(200));
        let err = table("failure_status = [\"5O0\"]").unwrap_err();
        assert!(err.contains(r#""5O0" is not a status"#), "{err}");
        assert!(table("failure_status = \"500\"").is_err());
        assert!(table("authorization_source = 1").is_err());
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let options = table("").unwrap();
        assert_eq!(options.text_content_types(), DEFAULT_TEXT_CONTENT_TYPES);
        assert_eq!(options.base_path(), None);
        assert!(!options.keep_stage());
        assert!(options.context_headers());
    }

    #[test]
    fn errors_name_the_key_and_say_what_to_write() {
        let cases = [
            ("colour = 1", "http.colour: unknown key; use text_content_types, base_path, keep_stage, context_headers, allow_event_routes, base64, exclude_headers, lwa_context_headers, authorization_source or failure_status"),
            ("base_path = \"api\"", "http.base_path: \"api\" is not a base path; write e.g. \"/api\" (a leading `/`, no `.` or `..` segments)"),
            ("base_path = \"/a/../b\"", "http.base_path: \"/a/../b\" is not a base path; write e.g. \"/api\" (a leading `/`, no `.` or `..` segments)"),
            ("base_path = 1", "http.base_path: expected a string, e.g. \"/api\", found integer"),
            ("keep_stage = \"yes\"", "http.keep_stage: expected true or false, found string"),
            ("context_headers = 0", "http.context_headers: expected true or false, found integer"),
            ("text_content_types = \"text/*\"", "http.text_content_types: expected a list of strings, e.g. [\"text/*\", \"application/json\"], found string"),
            ("text_content_types = [1]", "http.text_content_types: expected a list of strings, found integer"),
            ("text_content_types = [\"json\"]", "http.text_content_types: \"json\" is not a media type pattern; write e.g. \"application/json\", \"text/*\" or \"*/*+json\""),
        ];
        for (text, message) in cases {
            assert_eq!(table(text).unwrap_err(), message, "{text}");
        }
    }

    #[test]
    fn an_empty_base_path_is_none() {
        assert_eq!(table("base_path = \"/\"").unwrap().base_path(), None);
        assert_eq!(table("base_path = \"\"").unwrap().base_path(), None);
    }
}
