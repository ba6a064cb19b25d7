//! `HttpOptions`: the `[http]` table of the configuration file.

use std::str::FromStr;

use serde::{Deserialize, Deserializer};

use super::media::{essence, MediaPattern, DEFAULT_TEXT_CONTENT_TYPES};
use crate::config::table::{checked, expected, read_table};

/// How HTTP events pass through: the `[http]` table of the configuration file.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `text_content_types` | `text/*`, `application/json`, `application/xml`, `application/yaml`, `application/javascript`, `*/*+json`, `*/*+xml`, `image/svg+xml` | response content types sent as text; any other body is sent base64-encoded |
/// | `base_path` | none | a path prefix removed from request paths, by whole segments |
/// | `keep_stage` | `false` | keep the API Gateway stage as the first path segment |
/// | `context_headers` | `true` | send `requestContext` and `stageVariables` as `ceh-request-context` / `ceh-stage-variables` |
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
}

const KEYS: &str =
    "text_content_types, base_path, keep_stage, context_headers or allow_event_routes";

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
        }
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
    /// use cloud_events_handler::{Event, HttpFormat};
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
    /// use cloud_events_handler::REQUEST_CONTEXT_HEADER;
    /// use cloud_events_handler::{Event, HttpFormat};
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
            ("colour = 1", "http.colour: unknown key; use text_content_types, base_path, keep_stage, context_headers or allow_event_routes"),
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
