//! Templates: text with JSONPath placeholders, such as `/{$.source}`.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

use super::query::Query;

/// The longest template accepted, in bytes.
///
/// ```
/// use cloud_events_handler::rule::{Template, MAX_TEMPLATE_LEN};
///
/// assert!(Template::parse(&"a".repeat(MAX_TEMPLATE_LEN)).is_ok());
/// assert!(Template::parse(&"a".repeat(MAX_TEMPLATE_LEN + 1)).is_err());
/// ```
pub const MAX_TEMPLATE_LEN: usize = 1024;

/// A text with `{JSONPath}` placeholders filled from the event.
///
/// `{{` and `}}` stand for literal braces. A placeholder must select exactly
/// one string in the event; [`Template::resolve`] returns `None` otherwise.
///
/// ```
/// use cloud_events_handler::rule::Template;
/// use serde_json::json;
///
/// let template = Template::parse("/{$.source}/{$['detail-type']}")?;
/// assert_eq!(template.static_prefix(), "/");
/// assert_eq!(template.resolve(&json!({"source": "aws.ec2", "detail-type": "State"})), Some(vec!["aws.ec2", "State"]));
/// assert_eq!(template.resolve(&json!({"source": 1})), None);
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug)]
pub struct Template {
    text: Box<str>,
    parts: Box<[Part]>,
}

/// A piece of a [`Template`].
#[derive(Clone, Debug)]
pub(crate) enum Part {
    /// Text copied as it is.
    Literal(Box<str>),
    /// A value taken from the event.
    Value(Query),
}

impl Template {
    /// Parses a template; the error says what is wrong with it.
    ///
    /// ```
    /// use cloud_events_handler::rule::Template;
    ///
    /// let err = Template::parse("/{$.source").unwrap_err();
    /// assert_eq!(err, "the placeholder `{$.source` is never closed with `}`");
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() > MAX_TEMPLATE_LEN {
            return Err(format!(
                "the template is {} bytes, over the limit of {MAX_TEMPLATE_LEN}",
                text.len()
            ));
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(['{', '}']) {
            literal.push_str(&rest[..at]);
            let brace = &rest[at..];
            if let Some(after) = brace
                .strip_prefix("{{")
                .or_else(|| brace.strip_prefix("}}"))
            {
                literal.push_str(&brace[..1]);
                rest = after;
                continue;
            }
            if brace.starts_with('}') {
                return Err("a `}` closes no placeholder; write `}}` for a literal brace".into());
            }
            let inner = &brace[1..];
            let end = closing_brace(inner)
                .ok_or_else(|| format!("the placeholder `{brace}` is never closed with `}}`"))?;
            let query_text = inner[..end].trim();
            if query_text.is_empty() {
                return Err("an empty placeholder `{}` refers to nothing; write a JSONPath such as `{$.source}`".into());
            }
            let query = Query::parse(query_text).map_err(|e| {
                format!("placeholder `{{{query_text}}}` is not a valid JSONPath: {e}")
            })?;
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal).into()));
            }
            parts.push(Part::Value(query));
            rest = &inner[end + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal.into()));
        }
        Ok(Self {
            text: text.into(),
            parts: parts.into(),
        })
    }

    /// The template as written.
    ///
    /// ```
    /// use cloud_events_handler::rule::Template;
    ///
    /// assert_eq!(Template::parse("/{$.source}")?.as_str(), "/{$.source}");
    /// # Ok::<(), String>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The pieces of the template, in order.
    pub(crate) fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Whether the template has no placeholder.
    ///
    /// ```
    /// use cloud_events_handler::rule::Template;
    ///
    /// assert!(Template::parse("/aws.s3")?.is_static());
    /// assert!(!Template::parse("/{$.source}")?.is_static());
    /// # Ok::<(), String>(())
    /// ```
    pub fn is_static(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// The literal text before the first placeholder.
    ///
    /// ```
    /// use cloud_events_handler::rule::Template;
    ///
    /// assert_eq!(Template::parse("/orders/{$.id}")?.static_prefix(), "/orders/");
    /// assert_eq!(Template::parse("{$.source}")?.static_prefix(), "");
    /// # Ok::<(), String>(())
    /// ```
    pub fn static_prefix(&self) -> &str {
        match self.parts.first() {
            Some(Part::Literal(text)) => text,
            _ => "",
        }
    }

    /// The string each placeholder selects, in order; `None` when one selects
    /// no node, several nodes, or a node that is not a string.
    ///
    /// ```
    /// use cloud_events_handler::rule::Template;
    /// use serde_json::json;
    ///
    /// let template = Template::parse("/{$.source}")?;
    /// assert_eq!(template.resolve(&json!({"source": "../admin"})), Some(vec!["../admin"]), "raw, not escaped");
    /// assert_eq!(template.resolve(&json!({"source": ["a", "b"]})), None);
    /// # Ok::<(), String>(())
    /// ```
    pub fn resolve<'v>(&self, json: &'v Value) -> Option<Vec<&'v str>> {
        self.parts
            .iter()
            .filter_map(|part| match part {
                Part::Value(query) => Some(query.single(json).and_then(Value::as_str)),
                Part::Literal(_) => None,
            })
            .collect()
    }

    /// Fills the template with the raw values, without escaping (for header values,
    /// which are escaped by their own rules). `None` as in [`Template::resolve`].
    ///
    /// ```
    /// use cloud_events_handler::rule::Template;
    /// use serde_json::json;
    ///
    /// let template = Template::parse("aws.s3.{$.eventName}")?;
    /// assert_eq!(template.render_raw(&json!({"eventName": "ObjectCreated:Put"})).as_deref(), Some("aws.s3.ObjectCreated:Put"));
    /// assert_eq!(template.render_raw(&json!({})), None);
    /// # Ok::<(), String>(())
    /// ```
    pub fn render_raw(&self, json: &Value) -> Option<String> {
        self.render(json).map(Cow::into_owned)
    }

    /// Like [`Template::render_raw`], borrowing from the event when the
    /// template is one placeholder (the common case: `{$.source}`), so the
    /// hot path copies nothing it does not have to.
    pub(crate) fn render<'v>(&self, json: &'v Value) -> Option<Cow<'v, str>> {
        let single = |query: &Query| query.single(json).and_then(Value::as_str);
        if let [Part::Value(query)] = &*self.parts {
            return single(query).map(Cow::Borrowed);
        }
        let mut out = String::new();
        for part in self.parts.iter() {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Value(query) => out.push_str(single(query)?),
            }
        }
        Some(Cow::Owned(out))
    }
}

impl Template {
    /// Whether the template can only stand for a positive integer: one
    /// placeholder alone, or a literal positive integer (what a rule may set
    /// `ceh-delivery-attempt` to).
    pub(crate) fn is_integer_form(&self) -> bool {
        match &*self.parts {
            [Part::Value(_)] => true,
            [Part::Literal(text)] => positive_integer(text).is_some(),
            _ => false,
        }
    }

    /// The positive integer the template stands for: its literal, or the one
    /// node its placeholder selects when that is a JSON number or a string of
    /// digits, at least 1; `None` otherwise.
    pub(crate) fn render_positive_integer(&self, json: &Value) -> Option<u64> {
        match &*self.parts {
            [Part::Literal(text)] => positive_integer(text),
            [Part::Value(query)] => match query.single(json)? {
                Value::Number(number) => number.as_u64().filter(|n| *n > 0),
                Value::String(text) => positive_integer(text),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A string of ASCII digits standing for an integer of at least 1.
fn positive_integer(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| *n > 0)
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The index of the `}` that closes a placeholder, skipping braces inside
/// JSONPath string literals (`$['a}b']`).
fn closing_brace(text: &str) -> Option<usize> {
    let mut quote = None;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '}') => return Some(at),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_literals_placeholders_and_escapes() {
        let t = Template::parse("/{$.source}.eventbridge/{{x}}").unwrap();
        assert_eq!(t.static_prefix(), "/");
        assert_eq!(t.parts().len(), 3);
        assert_eq!(
            t.render_raw(&json!({"source": "aws.s3"})).as_deref(),
            Some("/aws.s3.eventbridge/{x}")
        );
        assert!(Template::parse("/aws.s3").unwrap().is_static());
    }

    // The examples the doc comments of `Part` and `Template::parts` carried
    // while they were public.

    #[test]
    fn a_literal_then_a_value() -> Result<(), String> {
        let template = Template::parse("/orders/{$.id}")?;
        assert!(matches!(
            template.parts(),
            [Part::Literal(text), Part::Value(query)] if &**text == "/orders/" && query.as_str() == "$.id"
        ));
        Ok(())
    }

    #[test]
    fn doubled_braces_are_one_literal() -> Result<(), String> {
        let template = Template::parse("/{{literal}}")?;
        assert!(matches!(template.parts(), [Part::Literal(text)] if &**text == "/{literal}"));
        Ok(())
    }

    #[test]
    fn braces_inside_quoted_names() {
        let t = Template::parse("{$['a}b']}").unwrap();
        assert_eq!(t.resolve(&json!({"a}b": "v"})), Some(vec!["v"]));
    }

    #[test]
    fn unresolvable_values() {
        let t = Template::parse("/{$.source}").unwrap();
        assert_eq!(t.resolve(&json!({"source": 42})), None);
        assert_eq!(t.resolve(&json!({})), None);
        assert_eq!(t.resolve(&json!([1])), None);
    }

    #[test]
    fn malformed_templates() {
        for (text, needle) in [
            ("/{}", "empty placeholder"),
            ("/{$.a", "never closed"),
            ("/a}", "closes no placeholder"),
            ("/{$.a[}", "not a valid JSONPath"),
        ] {
            let err = Template::parse(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
