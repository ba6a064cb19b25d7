//! The `[http]` table: how HTTP events pass through.

/// Options for HTTP pass-through, from the configuration file's `[http]` table.
///
/// ```
/// use cloud_events_handler::Config;
///
/// let config = Config::parse("ceh.toml", r#"
///     [http]
///     base_path = "/api"
///     keep_stage = true
///     text_content_types = ["text/*", "application/json", "application/x-ndjson"]
/// "#)?;
/// let http = config.http();
/// assert_eq!(http.base_path(), Some("/api"));
/// assert!(http.is_text("application/x-ndjson"));
/// assert!(!http.is_text("application/xml"));
/// # Ok::<(), cloud_events_handler::LoadError>(())
/// ```
#[derive(Clone, Debug)]
pub struct HttpOptions {
    text_content_types: Vec<String>,
    base_path: Option<String>,
    keep_stage: bool,
    context_headers: bool,
}

/// Content types whose bodies are replied as text (the rest as base64).
pub const DEFAULT_TEXT_CONTENT_TYPES: [&str; 9] = [
    "text/*",
    "application/json",
    "application/xml",
    "application/yaml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "*+json",
    "*+xml",
    "image/svg+xml",
];

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            text_content_types: DEFAULT_TEXT_CONTENT_TYPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            base_path: None,
            keep_stage: false,
            context_headers: true,
        }
    }
}

impl HttpOptions {
    /// A path prefix stripped from request paths, segment by segment.
    pub fn base_path(&self) -> Option<&str> {
        self.base_path.as_deref()
    }

    /// Whether the API Gateway stage stays in the path.
    pub fn keep_stage(&self) -> bool {
        self.keep_stage
    }

    /// Whether the request context and stage variables reach the app as headers.
    pub fn context_headers(&self) -> bool {
        self.context_headers
    }

    /// Whether a response with this `content-type` is text. Patterns are a
    /// full type (`application/json`), `type/*`, or `*+suffix`; parameters
    /// (`; charset=…`) and case are ignored.
    pub fn is_text(&self, content_type: &str) -> bool {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        self.text_content_types.iter().any(|pattern| {
            if let Some(major) = pattern.strip_suffix("/*") {
                essence.split('/').next() == Some(major)
            } else if let Some(suffix) = pattern.strip_prefix('*') {
                essence.ends_with(suffix)
            } else {
                essence == *pattern
            }
        })
    }

    pub(crate) fn from_table(table: toml::Table) -> Result<Self, String> {
        let mut options = Self::default();
        for (key, value) in table {
            match (key.as_str(), value) {
                ("text_content_types", toml::Value::Array(items)) => {
                    options.text_content_types = items
                        .into_iter()
                        .map(|item| match item {
                            toml::Value::String(s) if s.contains('/') || s.starts_with("*+") => Ok(s.to_ascii_lowercase()),
                            _ => Err("http.text_content_types: write content types such as \"text/*\", \"application/json\" or \"*+json\"".to_owned()),
                        })
                        .collect::<Result<_, _>>()?;
                }
                ("base_path", toml::Value::String(path)) => {
                    let trimmed = path.trim_end_matches('/');
                    if !trimmed.is_empty() && !trimmed.starts_with('/') {
                        return Err(format!("http.base_path: {path:?} must start with `/`"));
                    }
                    options.base_path = (!trimmed.is_empty()).then(|| trimmed.to_owned());
                }
                ("keep_stage", toml::Value::Boolean(b)) => options.keep_stage = b,
                ("context_headers", toml::Value::Boolean(b)) => options.context_headers = b,
                ("base_path", _) => return Err("http.base_path: a string such as \"/api\"".into()),
                ("keep_stage" | "context_headers" | "text_content_types", _) => {
                    return Err(format!("http.{key}: wrong type; see docs/http.md"))
                }
                _ => {
                    return Err(format!(
                        "http.{key}: unknown key; use text_content_types, base_path, keep_stage or context_headers"
                    ))
                }
            }
        }
        Ok(options)
    }
}
