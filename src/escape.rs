//! Percent-encoding of event data into request URIs and header values: every
//! escape ceh applies, in one place.
//!
//! For event routes, [`push_segments`] writes a value as path segments and
//! [`header_value`] a templated header. CloudEvents `ce-*` headers use
//! [`ce_header_value`], whose set the CloudEvents HTTP binding fixes. The three
//! header sets differ on purpose: `ce-*` values also encode space, templated
//! values `"`, and pass-through's JSON headers ([`header_text`]) neither, so
//! that each stays what its reader expects. Lambda Web Adapter's
//! `x-amzn-lambda-context` is JSON in ASCII instead ([`ascii_json`]), its
//! escapes JSON's own.
//!
//! For HTTP pass-through, two situations, two functions:
//! - [`raw`] for text the source delivers as it was sent (or may have decoded:
//!   HTTP APIs decode `rawPath`, REST APIs and ALB do not). It keeps valid `%XX`
//!   escapes and encodes only what can never appear literally: the WHATWG
//!   percent-encode sets, non-ASCII, and a `%` that starts no escape.
//! - [`component`] for text the source has decoded for certain (API Gateway's
//!   query parameters): everything but RFC 3986 unreserved characters.

use std::borrow::Cow;

use bytes::Bytes;
use http::HeaderValue;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};

/// The WHATWG path percent-encode set: controls, space, `"`, `#`, `<`, `>`, `?`, `` ` ``, `{`, `}`.
pub(crate) const PATH: &AsciiSet = &CONTROLS
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
pub(crate) const QUERY: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>');

/// A raw query value: the query set, and `&` so the value stays one pair.
pub(crate) const QUERY_VALUE: &AsciiSet = &QUERY.add(b'&');

/// A raw query key: a value's set, and `=` so the key stays a key.
pub(crate) const QUERY_KEY: &AsciiSet = &QUERY_VALUE.add(b'=');

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
pub(crate) fn raw(text: &str, set: &'static AsciiSet) -> String {
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
pub(crate) fn component(text: &str) -> impl std::fmt::Display + '_ {
    utf8_percent_encode(text, COMPONENT)
}

/// Text for a header value: controls, non-ASCII and `%` percent-encoded.
pub(crate) fn header_text(text: &str) -> String {
    utf8_percent_encode(text, HEADER_TEXT).to_string()
}

/// Bytes kept as they are in a path segment: RFC 3986 unreserved characters,
/// sub-delimiters, `:` and `@`. Everything else is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Bytes percent-encoded in templated header values: controls, non-ASCII,
/// `"` and `%` (as the CloudEvents HTTP binding does for `ce-` headers).
const HEADER_VALUE: &AsciiSet = &percent_encoding::CONTROLS.add(b'"').add(b'%');

/// Appends a value as path segments: split on `/`, empty segments dropped,
/// each segment percent-encoded. A segment that a server would read as `.`
/// or `..` is refused (`Err`), since no encoding keeps every server from
/// reading it so: RFC 3986 makes `%2E%2E` the same as `..`.
pub(crate) fn push_segments(uri: &mut String, value: &str) -> Result<(), ()> {
    let mut first = true;
    for segment in value.split('/').filter(|s| !s.is_empty()) {
        if reads_as_dot_segment(segment) {
            return Err(());
        }
        if !first {
            uri.push('/');
        }
        first = false;
        uri.extend(utf8_percent_encode(segment, SEGMENT));
    }
    Ok(())
}

/// How many times text is percent-decoded to see what a server reads: an
/// app behind a proxy may decode twice (`%252E` is `%2E`, then `.`).
const MAX_DECODINGS: usize = 4;

/// `text` percent-decoded until it stays the same, at most [`MAX_DECODINGS`]
/// times: what the server that decodes most often reads.
pub(crate) fn decoded_fully(text: &str) -> Cow<'_, str> {
    if !text.contains('%') {
        // Most segments and paths: nothing to decode, so no decoder run to find that out.
        return Cow::Borrowed(text);
    }
    let mut text: Cow<'_, str> = Cow::Borrowed(text);
    for _ in 0..MAX_DECODINGS {
        let decoded = percent_encoding::percent_decode_str(&text).decode_utf8_lossy();
        if decoded == text {
            break;
        }
        text = Cow::Owned(decoded.into_owned());
    }
    text
}

/// Whether a server could read `segment` as `.` or `..`: once percent-decoded
/// ([`decoded_fully`]), split on `/` and `\`, before any `;` parameter.
pub(crate) fn reads_as_dot_segment(segment: &str) -> bool {
    decoded_fully(segment).split(['/', '\\']).any(|piece| {
        let piece = piece.split(';').next().unwrap_or_default();
        piece == "." || piece == ".."
    })
}

/// A path as the loosest common server reads it, to compare routes by: percent-decoded
/// until it stays the same ([`decoded_fully`]), `\\` read as `/`, `;` parameters
/// dropped from each segment, empty and `.` segments dropped, `..` taking the
/// segment before it away (RFC 3986 §5.2.4), and letters case-folded the way a
/// case-insensitive router may compare them (`ſ` as `s`, `K` as `k`, `ı` as `i`).
///
/// ```text
/// /aws.s3   //AWS.S3/   /aws%2Es3   /%2561ws.s3   /aws.s3;x   \aws.s3   /aws.ſ3   all read as   /aws.s3
/// ```
pub(crate) fn route_key(path: &str) -> Cow<'_, str> {
    if is_route_key(path) {
        // Every rule's route and most request paths: nothing to decode, fold or drop.
        return Cow::Borrowed(path);
    }
    Cow::Owned(folded_route_key(path))
}

/// Whether `path` is its own [`route_key`]: a `/`, then segments of lower-case
/// ASCII letters, digits and `-._~`, none empty, `.` or `..`, so nothing in it
/// decodes, folds or goes.
pub(crate) fn is_route_key(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    rest.is_empty()
        || rest.split('/').all(|segment| {
            !matches!(segment, "" | "." | "..")
                && segment
                    .bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~'))
        })
}

/// [`route_key`] the long way, for a path that may need any of its steps.
fn folded_route_key(path: &str) -> String {
    let text = fold_case(&decoded_fully(path).replace('\\', "/"));
    let mut segments: Vec<&str> = Vec::new();
    for segment in text.split('/') {
        match segment.split(';').next().unwrap_or_default() {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            kept => segments.push(kept),
        }
    }
    format!("/{}", segments.join("/"))
}

/// Letters in one case, as any case-insensitive comparison sees them: upper
/// case first, so that letters whose upper case is an ASCII one (`ſ`, `ı`)
/// fold with it, then lower case.
fn fold_case(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.chars()
        .flat_map(char::to_uppercase)
        .flat_map(char::to_lowercase)
        .collect()
}

/// A header value from event data: percent-encoded where `http` would refuse it.
pub(crate) fn header_value(text: &str) -> HeaderValue {
    if text
        .bytes()
        .all(|b| matches!(b, b' '..=b'~') && b != b'"' && b != b'%')
    {
        // The usual case, nothing to encode: one copy, no encoder.
        return HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""));
    }
    let encoded: Cow<'_, str> = utf8_percent_encode(text, HEADER_VALUE).into();
    // Only visible ASCII and spaces remain after encoding, which is always valid.
    let valid = match encoded {
        Cow::Borrowed(text) => HeaderValue::from_str(text),
        Cow::Owned(text) => HeaderValue::from_maybe_shared(Bytes::from(text)),
    };
    valid.unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Bytes percent-encoded in `ce-*` header values, as the CloudEvents HTTP
/// binding requires: everything outside printable ASCII, space, `"` and `%`.
const CE_HEADER: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'%');

/// A `ce-*` header value, percent-encoded as the CloudEvents HTTP binding says.
pub(crate) fn ce_header_value(text: Cow<'_, str>) -> HeaderValue {
    if text
        .bytes()
        .all(|b| matches!(b, b'!'..=b'~') && b != b'"' && b != b'%')
    {
        // The usual case, nothing to encode: the text itself, not a copy when it is owned.
        return HeaderValue::from_maybe_shared(Bytes::from(text.into_owned()))
            .unwrap_or_else(|_| HeaderValue::from_static(""));
    }
    let encoded = match Cow::from(utf8_percent_encode(&text, CE_HEADER)) {
        Cow::Borrowed(_) => text.into_owned(),
        Cow::Owned(encoded) => encoded,
    };
    HeaderValue::from_maybe_shared(Bytes::from(encoded))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A value as JSON for a header: serde_json's text with every non-ASCII
/// character and DEL written as a `\u` escape (controls already are), so
/// the value is always a valid header and any JSON reader gets the very
/// text back, where percent-encoding would leave `%XX` in it.
pub(crate) fn ascii_json<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<HeaderValue, serde_json::Error> {
    let mut out = Vec::new();
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out, AsciiJson,
    ))?;
    HeaderValue::from_maybe_shared(Bytes::from(out)).map_err(serde::ser::Error::custom)
}

/// serde_json's compact format, writing strings in ASCII only.
struct AsciiJson;

impl serde_json::ser::Formatter for AsciiJson {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if c.is_ascii() && c != '\x7f' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..at])?;
            for unit in c.encode_utf16(&mut [0; 2]) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
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
    fn json_for_a_header_is_ascii_and_reads_back_the_same() {
        let value =
            serde_json::json!({"caf\u{e9} \u{1f600}": "50% \"q\"\\\n\u{7f}", "n": [1, null]});
        let header = ascii_json(&value).unwrap();
        assert_eq!(
            header,
            r#"{"caf\u00e9 \ud83d\ude00":"50% \"q\"\\\n\u007f","n":[1,null]}"#
        );
        let read: serde_json::Value = serde_json::from_slice(header.as_bytes()).unwrap();
        assert_eq!(read, value);
    }

    #[test]
    fn text_is_decoded_until_it_stays_the_same_and_borrowed_without_a_percent() {
        assert_eq!(decoded_fully("/%252E%2e/a%2Fb"), "/../a/b");
        assert_eq!(decoded_fully("/100%/x%zz"), "/100%/x%zz");
        assert!(matches!(
            decoded_fully("/caf\u{e9}/a.b"),
            Cow::Borrowed("/caf\u{e9}/a.b")
        ));
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

    fn segments(value: &str) -> String {
        let mut out = String::new();
        match push_segments(&mut out, value) {
            Ok(()) => out,
            Err(()) => "refused".to_owned(),
        }
    }

    #[test]
    fn readable_values_stay_readable() {
        assert_eq!(segments("aws.s3"), "aws.s3");
        assert_eq!(segments("/mycontext/subcontext"), "mycontext/subcontext");
        assert_eq!(
            segments("https://github.com/cloudevents/spec/pull"),
            "https:/github.com/cloudevents/spec/pull"
        );
    }

    #[test]
    fn hostile_values_stay_data() {
        for dots in [
            "../../admin",
            "a/./b",
            "..",
            "%2e%2E",
            "%252e%252e",
            "..;x",
            "a\\..\\b",
            "x%2F..%2Fy",
        ] {
            assert_eq!(segments(dots), "refused", "{dots}");
        }
        assert_eq!(segments("x?y#z"), "x%3Fy%23z");
        assert_eq!(segments("a\r\nb\0"), "a%0D%0Ab%00");
        assert_eq!(segments("ü 100%"), "%C3%BC%20100%25");
        assert_eq!(segments("...."), "....");
    }

    #[test]
    fn every_common_reading_of_a_route_has_one_key() {
        for path in [
            "/aws.s3",
            "aws.s3",
            "//aws.s3//",
            "/AWS.S3",
            "/Aws.S3/",
            "/%61ws.s3",
            "/aws%2Es3",
            "/aws%252Es3",
            "/%2Faws.s3%2F",
            "/x/../aws.s3",
            "/./aws.s3",
            "/aws.s3;jsessionid=1",
            "/aws.s3%3Bx",
            "\\aws.s3",
            "/aws.s3\\",
            "/aws.\u{17f}3",
        ] {
            assert_eq!(route_key(path), "/aws.s3", "{path}");
        }
        assert_eq!(route_key("/azure.\u{212a}ueue"), "/azure.kueue");
        assert_eq!(route_key("/F\u{131}LE"), "/file");
        assert_eq!(route_key(""), "/");
        assert_eq!(route_key("/aws.s3x"), "/aws.s3x");
        assert_eq!(route_key("/a/b"), "/a/b");
    }

    /// The shortcut of [`route_key`] gives what its long way gives, for every
    /// route of the built-in rules and for paths it must leave to the long way.
    #[test]
    fn a_path_that_is_its_own_route_key_needs_no_steps() {
        let table = crate::RuleTable::builtin();
        let mut paths: Vec<String> = table
            .rules()
            .iter()
            .filter_map(|rule| rule.path().map(|path| path.as_str().to_owned()))
            .collect();
        assert!(paths.len() > 50, "{paths:?}");
        paths.extend(
            [
                "/",
                "/aws.s3",
                "/a/b",
                "/a-b_c~d.e",
                "/aws.s3/",
                "//aws.s3",
                "/A",
                "/a/./b",
                "/a/../b",
                "/..",
                "/.",
                "/a%2eb",
                "/a;b",
                "/a\\b",
                "/\u{17f}",
                "a",
                "",
            ]
            .map(String::from),
        );
        let mut shortcuts = 0;
        for path in &paths {
            if is_route_key(path) {
                shortcuts += 1;
                assert_eq!(folded_route_key(path), *path, "{path}");
            }
        }
        assert!(shortcuts > 50, "{shortcuts} of {}", paths.len());
    }

    #[test]
    fn header_values_are_encoded_not_refused() {
        assert_eq!(header_value("Object Created"), "Object Created");
        assert_eq!(header_value("a\r\nSet-Cookie: x"), "a%0D%0ASet-Cookie: x");
        assert_eq!(header_value("naïve \"q\""), "na%C3%AFve %22q%22");
    }

    #[test]
    fn the_shortcut_for_text_with_nothing_to_encode_agrees_with_the_encoder() {
        for byte in 0..=127u8 {
            let text = format!("a{}b", char::from(byte));
            let plain = utf8_percent_encode(&text, HEADER_VALUE).to_string();
            assert_eq!(header_value(&text).as_bytes(), plain.as_bytes(), "{byte}");
            let ce = utf8_percent_encode(&text, CE_HEADER).to_string();
            assert_eq!(
                ce_header_value(Cow::Borrowed(&text)).as_bytes(),
                ce.as_bytes(),
                "{byte}"
            );
            assert_eq!(
                ce_header_value(Cow::Owned(text.clone())).as_bytes(),
                ce.as_bytes(),
                "{byte}"
            );
        }
    }
}
