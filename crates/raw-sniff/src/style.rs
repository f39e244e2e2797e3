//! Colour on a terminal, plain text everywhere else.

use wire::tcp::Flags;

/// How text is painted: with ANSI colours or not at all.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Colours on (`true`) or plain text.
    pub fn new(color: bool) -> Style {
        Style { color }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Whether text is painted at all: where it is not, a printer may write words straight
    /// onto its line rather than through the `String`s these methods return.
    pub fn paints(self) -> bool {
        self.color
    }

    /// Timestamps and other context.
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    /// Problems: bad checksums, truncation, decoding stopped.
    pub fn warn(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    /// Field names in the verbose and explain views.
    pub fn name(self, text: &str) -> String {
        self.paint("36", text)
    }

    /// Layer titles.
    pub fn title(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// TCP flags: opening green, closing red, data plain.
    pub fn flags(self, text: &str, flags: Flags) -> String {
        if flags.contains(Flags::RST) || flags.contains(Flags::FIN) {
            self.paint("31", text)
        } else if flags.contains(Flags::SYN) {
            self.paint("32", text)
        } else {
            text.to_owned()
        }
    }
}
