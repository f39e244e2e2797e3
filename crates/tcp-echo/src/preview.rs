//! Bytes from a peer shown on one terminal line: quoted text when they are text, hex when not,
//! cut short with `…`. What a learner needs to see when a server answers with something else.

/// Characters of output at most, besides the quotes and the `…`.
const MAX_TEXT: usize = 72;
/// Bytes shown at most in hex (three characters each).
const MAX_HEX: usize = 24;

/// `"\nWelcome to …"` for text (line ends, quotes and backslashes escaped as in a Rust string), or
/// `16 03 01 00 …` for anything with control bytes or invalid UTF-8.
pub fn preview(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if is_text(text) => quoted(text),
        // A multi-byte character cut at the end of a read is still text.
        Err(err) if err.error_len().is_none() && is_text(&text_prefix(bytes, err)) => {
            quoted(&text_prefix(bytes, err))
        }
        _ => hex(bytes),
    }
}

fn text_prefix(bytes: &[u8], err: std::str::Utf8Error) -> String {
    String::from_utf8_lossy(&bytes[..err.valid_up_to()]).into_owned()
}

fn is_text(text: &str) -> bool {
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
}

fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    let mut shown = 0;
    for c in text.chars() {
        // Only what would break the quoting or the line is escaped; quotes inside stay readable.
        let escaped = match c {
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '"' => "\\\"",
            '\\' => "\\\\",
            _ => "",
        };
        let width = if escaped.is_empty() { 1 } else { 2 };
        if shown + width > MAX_TEXT {
            out.push_str("\"…");
            return out;
        }
        shown += width;
        if escaped.is_empty() {
            out.push(c);
        } else {
            out.push_str(escaped);
        }
    }
    out.push('"');
    out
}

fn hex(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes
        .iter()
        .take(MAX_HEX)
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut out = shown.join(" ");
    if bytes.len() > MAX_HEX {
        out.push_str(" …");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_quoted_with_line_ends_visible_and_cut_short() {
        let greeting = b"\nWelcome to the PHP Test Server. \nTo quit, type 'quit'. \
                         To shut down the server type 'shutdown'.\n";
        let shown = preview(greeting);
        assert!(
            shown.starts_with(r#""\nWelcome to the PHP Test Server. \nTo quit"#),
            "{shown}"
        );
        assert!(shown.ends_with("\"…"), "{shown}");
        assert!(shown.chars().count() <= MAX_TEXT + 3, "{shown}");
        assert_eq!(
            preview(b"PHP: You said 'hi'.\r\n"),
            r#""PHP: You said 'hi'.\r\n""#
        );
    }

    #[test]
    fn binary_is_hex() {
        assert_eq!(preview(&[0x16, 0x03, 0x01, 0x00, 0xff]), "16 03 01 00 ff");
        assert_eq!(preview(&[b'a', 0, b'b']), "61 00 62");
        let long = preview(&[0xff; 100]);
        assert!(long.ends_with(" …") && long.len() < 80, "{long}");
    }

    #[test]
    fn a_character_cut_at_the_end_is_still_text() {
        assert_eq!(
            preview("héllo é".as_bytes().split_last().unwrap().1),
            r#""héllo ""#
        );
    }
}
