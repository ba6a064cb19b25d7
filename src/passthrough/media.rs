//! Media type patterns: which response content types are text.

use std::fmt;

/// The response content types sent as text by default (serverless-wsgi's,
/// apig-wsgi's and lambda_http's lists, merged); other bodies go base64.
///
/// ```
/// use cloud_events_handler::passthrough::{HttpOptions, DEFAULT_TEXT_CONTENT_TYPES};
///
/// assert_eq!(HttpOptions::default().text_content_types(), DEFAULT_TEXT_CONTENT_TYPES);
/// assert!(DEFAULT_TEXT_CONTENT_TYPES.contains(&"application/json"));
/// ```
pub const DEFAULT_TEXT_CONTENT_TYPES: [&str; 8] = [
    "text/*",
    "application/json",
    "application/xml",
    "application/yaml",
    "application/javascript",
    "*/*+json",
    "*/*+xml",
    "image/svg+xml",
];

/// One pattern: `type/subtype`, `type/*`, `*/*`, `type/*+suffix` or
/// `*/*+suffix` (`*+suffix` for short).
#[derive(Clone, PartialEq, Eq)]
pub(super) struct MediaPattern {
    /// `None` for `*`.
    kind: Option<Box<str>>,
    subtype: Subtype,
}

#[derive(Clone, PartialEq, Eq)]
enum Subtype {
    Any,
    Exact(Box<str>),
    Suffix(Box<str>),
}

impl MediaPattern {
    /// Parses a pattern; the error says what to write.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let invalid = || {
            format!(
                "{text:?} is not a media type pattern; write e.g. \"application/json\", \"text/*\" or \"*/*+json\""
            )
        };
        let mut lower = text.trim().to_ascii_lowercase();
        if lower.starts_with("*+") {
            lower.insert_str(0, "*/");
        }
        let (kind, subtype) = lower.split_once('/').ok_or_else(invalid)?;
        let kind = match kind {
            "*" => None,
            _ if is_token(kind) => Some(Box::from(kind)),
            _ => return Err(invalid()),
        };
        let subtype = match subtype {
            "*" => Subtype::Any,
            _ => match subtype.strip_prefix("*+") {
                Some(suffix) if is_token(suffix) => Subtype::Suffix(format!("+{suffix}").into()),
                Some(_) => return Err(invalid()),
                // `*/json` names no real family of types.
                None if kind.is_some() && is_token(subtype) => Subtype::Exact(subtype.into()),
                None => return Err(invalid()),
            },
        };
        Ok(Self { kind, subtype })
    }

    /// Whether a `type/subtype` essence (lowercase, no parameters) matches.
    pub(super) fn matches(&self, essence: &str) -> bool {
        let Some((kind, subtype)) = essence.split_once('/') else {
            return false;
        };
        self.kind.as_deref().is_none_or(|k| k == kind)
            && match &self.subtype {
                Subtype::Any => true,
                // `application/vnd.custom` covers `application/vnd.custom.v2+json` too.
                Subtype::Exact(exact) => subtype
                    .strip_prefix(&**exact)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '+'])),
                Subtype::Suffix(suffix) => {
                    subtype.len() > suffix.len() && subtype.ends_with(&**suffix)
                }
            }
    }
}

/// The `type/subtype` of a `Content-Type` value, lowercase, without parameters.
pub(super) fn essence(content_type: &str) -> Option<String> {
    let mime: mime::Mime = content_type.trim().parse().ok()?;
    Some(mime.essence_str().to_ascii_lowercase())
}

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
}

impl fmt::Display for MediaPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_deref().unwrap_or("*"))?;
        match &self.subtype {
            Subtype::Any => f.write_str("/*"),
            Subtype::Exact(exact) => write!(f, "/{exact}"),
            Subtype::Suffix(suffix) => write!(f, "/*{suffix}"),
        }
    }
}

impl fmt::Debug for MediaPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, content_type: &str) -> bool {
        let pattern = MediaPattern::parse(pattern).unwrap();
        essence(content_type).is_some_and(|e| pattern.matches(&e))
    }

    #[test]
    fn the_wildcard_forms_match_what_they_say() {
        assert!(matches("text/*", "text/html; charset=utf-8"));
        assert!(matches("text/*", "TEXT/Plain"));
        assert!(!matches("text/*", "application/json"));
        assert!(matches(
            "application/json",
            "application/json;charset=UTF-8"
        ));
        assert!(!matches("application/json", "application/jsonx"));
        assert!(matches("*/*+json", "application/vnd.api+json"));
        assert!(matches(
            "*/*+json",
            "application/problem+json; charset=utf-8"
        ));
        assert!(!matches("*/*+json", "application/json"));
        assert!(matches("application/*+xml", "application/atom+xml"));
        assert!(!matches("application/*+xml", "image/svg+xml"));
        assert!(matches("*/*", "image/png"));
        assert!(matches("*+yaml", "application/openapi+yaml"));
        assert!(!matches("text/*", "not a type"));
    }

    #[test]
    fn patterns_round_trip_and_bad_ones_say_what_to_write() {
        for text in DEFAULT_TEXT_CONTENT_TYPES {
            assert_eq!(MediaPattern::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            MediaPattern::parse("json").unwrap_err(),
            "\"json\" is not a media type pattern; write e.g. \"application/json\", \"text/*\" or \"*/*+json\""
        );
        assert!(MediaPattern::parse("*/json").is_err());
        assert!(MediaPattern::parse("text/ html").is_err());
        assert!(MediaPattern::parse("*/*+").is_err());
    }
}
