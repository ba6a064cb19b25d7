//! Percent-encoding of event data into the request URI and into header values.
//!
//! Two situations, two functions:
//! - [`raw`] for text the source delivers as it was sent (or may have decoded:
//!   HTTP APIs decode `rawPath`, REST APIs and ALB do not). It keeps valid `%XX`
//!   escapes and encodes only what can never appear literally: the WHATWG
//!   percent-encode sets, non-ASCII, and a `%` that starts no escape.
//! - [`component`] for text the source has decoded for certain (API Gateway's
//!   query parameters): everything but RFC 3986 unreserved characters.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};

/// The WHATWG path percent-encode set: controls, space, `"`, `#`, `<`, `>`, `?`, `` ` ``, `{`, `}`.
pub(super) const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The WHATWG query percent-encode set: controls, space, `"`, `#`, `<`, `>`.
pub(super) const QUERY: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>');

/// A raw query value: the query set, and `&` so the value stays one pair.
pub(super) const QUERY_VALUE: &AsciiSet = &QUERY.add(b'&');

/// A raw query key: a value's set, and `=` so the key stays a key.
pub(super) const QUERY_KEY: &AsciiSet = &QUERY_VALUE.add(b'=');

/// RFC 3986 unreserved characters stay; everything else is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Header values built from event JSON: controls, non-ASCII and `%`, so that
/// percent-decoding the value always gives back the text.
const HEADER_TEXT: &AsciiSet = &CONTROLS.add(b'%');

/// Encodes what cannot appear literally in `set`'s URI part, keeping valid `%XX`.
///
/// `set` must not contain `%`: a `%` is kept when two hex digits follow it,
/// and encoded as `%25` otherwise.
pub(super) fn raw(text: &str, set: &'static AsciiSet) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pieces = text.split('%');
    if let Some(first) = pieces.next() {
        out.extend(utf8_percent_encode(first, set));
    }
    for piece in pieces {
        let escape = piece.as_bytes();
        if escape.len() >= 2 && escape[0].is_ascii_hexdigit() && escape[1].is_ascii_hexdigit() {
            out.push('%');
        } else {
            out.push_str("%25");
        }
        out.extend(utf8_percent_encode(piece, set));
    }
    out
}

/// Encodes decoded text as one query key or value (`a b&c` → `a%20b%26c`).
pub(super) fn component(text: &str) -> impl std::fmt::Display + '_ {
    utf8_percent_encode(text, COMPONENT)
}

/// Text for a header value: controls, non-ASCII and `%` percent-encoded.
pub(super) fn header_text(text: &str) -> String {
    utf8_percent_encode(text, HEADER_TEXT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_keeps_escapes_and_encodes_what_cannot_be_literal() {
        assert_eq!(raw("/a%2Fb/c%20d", PATH), "/a%2Fb/c%20d");
        assert_eq!(raw("/my/path-with space", PATH), "/my/path-with%20space");
        assert_eq!(raw("/100%/x%4", PATH), "/100%25/x%254");
        assert_eq!(raw("/q?x#y", PATH), "/q%3Fx%23y");
        assert_eq!(raw("/ü\r\n", PATH), "/%C3%BC%0D%0A");
        assert_eq!(raw("/a:b@c!$&'()*+,;=", PATH), "/a:b@c!$&'()*+,;=");
        assert_eq!(raw("%", PATH), "%25");
        assert_eq!(raw("a=1&b=%3F?c#", QUERY), "a=1&b=%3F?c%23");
        assert_eq!(raw("k=v&x", QUERY_KEY), "k%3Dv%26x");
        assert_eq!(raw("k=v&x", QUERY_VALUE), "k=v%26x");
    }

    #[test]
    fn components_keep_only_unreserved() {
        assert_eq!(
            component("a b&c=d/é~-._").to_string(),
            "a%20b%26c%3Dd%2F%C3%A9~-._"
        );
    }

    #[test]
    fn header_text_is_reversible() {
        let text = "{\"a\":\"ü 50% \u{7f}\"}";
        let encoded = header_text(text);
        assert_eq!(encoded, "{\"a\":\"%C3%BC 50%25 %7F\"}");
        let decoded = percent_encoding::percent_decode_str(&encoded)
            .decode_utf8()
            .map(|c| c.into_owned());
        assert_eq!(decoded.as_deref(), Ok(text));
    }
}
