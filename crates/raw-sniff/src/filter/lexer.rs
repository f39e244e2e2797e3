//! Splits a filter expression into tokens, each with its byte span.
//!
//! Only the operators are recognised here. Everything else is a word (a run of characters that
//! are neither whitespace nor `( ) ! & |`), and the parser decides what a word means from where
//! it stands. That is how `portrange 80-90`, `10.0.0.0/8` and `::1` stay single tokens, and how
//! an error can say "expected a port number after 'port'" rather than "unexpected letter".

use super::error::{Found, ParseError, ParseErrorKind};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `!` (the word `not` stays a word: the parser knows it).
    Bang,
    /// `&&`.
    AndAnd,
    /// `||`.
    OrOr,
    /// Anything else.
    Word(&'a str),
}

/// A token and where it is in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub(crate) tok: Tok<'a>,
    /// Byte offset of the first character.
    pub(crate) start: usize,
    /// Byte offset just past the last character.
    pub(crate) end: usize,
}

impl Token<'_> {
    /// The token's text, for error messages.
    pub(crate) fn text(&self) -> &str {
        match self.tok {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::Bang => "!",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Word(w) => w,
        }
    }
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '(' | ')' | '!' | '&' | '|')
}

/// Tokenises `input`; the only lexical error is a single `&` or `|`.
pub(crate) fn lex(input: &str) -> Result<Vec<Token<'_>>, ParseError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let tok = match c {
            c if c.is_whitespace() => continue,
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '!' => Tok::Bang,
            '&' | '|' => {
                if chars.next_if(|&(_, n)| n == c).is_none() {
                    let (want, kind) = if c == '&' {
                        ("'&&'", "&")
                    } else {
                        ("'||'", "|")
                    };
                    return Err(ParseError::new(
                        input,
                        start,
                        start + 1,
                        ParseErrorKind::Unexpected {
                            expected: want,
                            found: Found::Token(kind.to_string()),
                        },
                    ));
                }
                if c == '&' {
                    Tok::AndAnd
                } else {
                    Tok::OrOr
                }
            }
            _ => {
                let mut end = start + c.len_utf8();
                while let Some((i, n)) = chars.next_if(|&(_, n)| is_word_char(n)) {
                    end = i + n.len_utf8();
                }
                tokens.push(Token {
                    tok: Tok::Word(&input[start..end]),
                    start,
                    end,
                });
                continue;
            }
        };
        let end = chars.peek().map_or(input.len(), |&(i, _)| i);
        tokens.push(Token { tok, start, end });
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<(Tok<'_>, usize, usize)> {
        lex(s)
            .unwrap()
            .into_iter()
            .map(|t| (t.tok, t.start, t.end))
            .collect()
    }

    #[test]
    fn splits_operators_from_words() {
        assert_eq!(
            toks("!(port 80)&&ip6||  ::1"),
            vec![
                (Tok::Bang, 0, 1),
                (Tok::LParen, 1, 2),
                (Tok::Word("port"), 2, 6),
                (Tok::Word("80"), 7, 9),
                (Tok::RParen, 9, 10),
                (Tok::AndAnd, 10, 12),
                (Tok::Word("ip6"), 12, 15),
                (Tok::OrOr, 15, 17),
                (Tok::Word("::1"), 19, 22),
            ]
        );
        assert_eq!(
            toks("portrange 1-2"),
            vec![(Tok::Word("portrange"), 0, 9), (Tok::Word("1-2"), 10, 13)]
        );
        assert_eq!(toks(" é "), vec![(Tok::Word("é"), 1, 3)]);
    }

    #[test]
    fn single_ampersand_is_an_error() {
        let err = lex("tcp & udp").unwrap_err();
        assert_eq!(err.offset, 4);
        assert_eq!(err.to_string(), "expected '&&', found '&'");
        assert!(lex("tcp |").is_err());
    }
}
