//! Text from outside (an event, a header, a runtime API's answer) as an error
//! message repeats it: escaped, so the message stays on one line, and cut short.

/// At most `max_chars` characters of `text`, escaped as Rust's `{:?}`
/// escapes them, with `…` when some were cut.
pub(crate) fn shown(text: &str, max_chars: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max_chars)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

/// The most characters of one outside value an error message repeats.
const MAX_SHOWN: usize = 200;

/// An outside value in quotes, escaped and cut short, for an error message.
pub(crate) fn quoted(text: &str) -> String {
    format!("\"{}\"", shown(text, MAX_SHOWN))
}

/// A URI or path for an error message: cut short, and without its query,
/// where secrets (tokens, signatures) live: `/users?token=…` is `/users?…`.
pub(crate) fn redacted(uri: &str) -> String {
    match uri.split_once('?') {
        Some((before, _)) => format!("{}?…", shown(before, MAX_SHOWN)),
        None => shown(uri, MAX_SHOWN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_shown_on_one_line_and_cut_short() {
        assert_eq!(shown("specversion", 40), "specversion");
        assert_eq!(shown("a\r\nb\"c", 40), "a\\r\\nb\\\"c");
        assert_eq!(shown("abcdef", 3), "abc…");
        assert_eq!(shown("abc", 3), "abc");
        assert_eq!(shown("", 3), "");
    }

    #[test]
    fn uris_lose_their_query_and_values_their_length() {
        assert_eq!(
            redacted("http://app/aws.s3?X-Amz-Signature=abc"),
            "http://app/aws.s3?…"
        );
        assert_eq!(redacted("/users/42"), "/users/42");
        assert_eq!(
            redacted(&"/a".repeat(35_000)).chars().count(),
            MAX_SHOWN + 1
        );
        assert_eq!(quoted("a\r\nb"), "\"a\\r\\nb\"");
        assert_eq!(quoted(&"x".repeat(70_000)).chars().count(), MAX_SHOWN + 3);
    }
}
