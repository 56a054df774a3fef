//! Text from a server made safe to show, in a terminal and in the window.
//!
//! A file name, a reply or an error message can hold control characters (ESC starts the
//! sequences that recolour a terminal, move its cursor or retitle its window; BEL, NUL,
//! DEL and the C1 controls act too) and bidirectional overrides that reorder what is shown
//! (`rtl-\u{202e}txt.exe` reads as "rtl-exe.txt"). Every such character is shown as a
//! visible escape, `\u{1b}` or `\u{202e}` (tab, CR and LF as `\t`, `\r`, `\n`), so what the
//! user reads is what the server sent. JSON output keeps the exact text: JSON escapes
//! what it must, and a program reads it, not a terminal.

use std::borrow::Cow;

/// `text` with control and bidirectional-control characters as visible escapes.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// C0, DEL and C1 controls; the bidirectional marks, embeddings, overrides and isolates;
/// the line and paragraph separators (which some terminals take as a new line).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_become_visible_escapes() {
        assert_eq!(
            visible("esc\x1b[31mred\ttab\r\n"),
            "esc\\u{1b}[31mred\\ttab\\r\\n"
        );
        assert_eq!(
            visible("\x1b]0;owned\x07title"),
            "\\u{1b}]0;owned\\u{7}title"
        );
        assert_eq!(visible("nul\0del\x7f"), "nul\\u{0}del\\u{7f}");
        assert_eq!(visible("c1\u{9b}31m"), "c1\\u{9b}31m", "the one-byte CSI");
    }

    #[test]
    fn bidirectional_overrides_cannot_reorder_a_name() {
        assert_eq!(visible("rtl-\u{202e}txt.exe"), "rtl-\\u{202e}txt.exe");
        for c in [
            '\u{202a}', '\u{202d}', '\u{2066}', '\u{2069}', '\u{200f}', '\u{061c}',
        ] {
            let shown = visible(&format!("a{c}b")).into_owned();
            assert!(
                shown.starts_with("a\\u{") && shown.ends_with("}b"),
                "{shown}"
            );
        }
    }

    #[test]
    fn ordinary_text_of_any_script_is_untouched_and_not_copied() {
        for text in [
            "名前 ok.txt",
            "파일.txt",
            "ファイル",
            "עברית.txt",
            "emoji 👨\u{200d}👩",
            "",
        ] {
            assert!(
                matches!(visible(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }
}
