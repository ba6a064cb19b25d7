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
}
