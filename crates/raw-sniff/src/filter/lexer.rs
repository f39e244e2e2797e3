//! Splits a filter expression into tokens, each with its byte span.
//!
//! Only the operators are recognised here. Everything else is a word (a run of characters that
//! are neither whitespace nor an operator), and the parser decides what a word means from where
//! it stands. That is how `portrange 80-90`, `10.0.0.0/8` and `::1` stay single tokens, and how
//! an error can say "expected a port number after 'port'" rather than "unexpected letter".
//! The characters `-`, `/` and `:` are operators only inside arithmetic, so they stay in words
//! here and the parser splits them out of a word when it reads arithmetic (`tcp[12:1]`).

use super::error::ParseError;

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
    /// An arithmetic or relational operator, or a bracket: `[ ] & | + * % ^ << >> < > <= >= =
    /// == !=`.
    Sym(&'static str),
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
            Tok::Sym(s) => s,
            Tok::Word(w) => w,
        }
    }
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '(' | ')' | '!' | '&' | '|' | '[' | ']' | '+' | '*' | '%' | '^' | '<' | '>' | '='
        )
}

/// The operators that may follow `c` to make a two-character one, and the one-character
/// operator `c` is alone (`None` where it must be doubled or followed, as `!` before `=`).
fn sym(c: char, next: Option<char>) -> Option<(&'static str, usize)> {
    Some(match (c, next) {
        ('&', Some('&')) | ('|', Some('|')) | ('!', _) => return None,
        ('<', Some('<')) => ("<<", 2),
        ('>', Some('>')) => (">>", 2),
        ('<', Some('=')) => ("<=", 2),
        ('>', Some('=')) => (">=", 2),
        ('=', Some('=')) => ("==", 2),
        ('&', _) => ("&", 1),
        ('|', _) => ("|", 1),
        ('[', _) => ("[", 1),
        (']', _) => ("]", 1),
        ('+', _) => ("+", 1),
        ('*', _) => ("*", 1),
        ('%', _) => ("%", 1),
        ('^', _) => ("^", 1),
        ('<', _) => ("<", 1),
        ('>', _) => (">", 1),
        ('=', _) => ("=", 1),
        _ => return None,
    })
}

/// Tokenises `input`. There are no lexical errors: a lone `&` or `|` is a bitwise operator, and
/// the parser says what it expected where one is out of place.
pub(crate) fn lex(input: &str) -> Result<Vec<Token<'_>>, ParseError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let tok = match (c, next) {
            (c, _) if c.is_whitespace() => continue,
            ('(', _) => Tok::LParen,
            (')', _) => Tok::RParen,
            ('!', Some('=')) => {
                chars.next();
                Tok::Sym("!=")
            }
            ('!', _) => Tok::Bang,
            ('&', Some('&')) => {
                chars.next();
                Tok::AndAnd
            }
            ('|', Some('|')) => {
                chars.next();
                Tok::OrOr
            }
            (c, next) if sym(c, next).is_some() => {
                let (s, n) = sym(c, next).unwrap_or(("", 1));
                if n == 2 {
                    chars.next();
                }
                Tok::Sym(s)
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
    fn arithmetic_operators_are_tokens() {
        assert_eq!(
            toks("tcp[13]&2!=0"),
            vec![
                (Tok::Word("tcp"), 0, 3),
                (Tok::Sym("["), 3, 4),
                (Tok::Word("13"), 4, 6),
                (Tok::Sym("]"), 6, 7),
                (Tok::Sym("&"), 7, 8),
                (Tok::Word("2"), 8, 9),
                (Tok::Sym("!="), 9, 11),
                (Tok::Word("0"), 11, 12),
            ]
        );
        let syms: Vec<_> = toks("<< >> <= >= == = < > | ^ + * % ! &&")
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(
            syms,
            ["<<", ">>", "<=", ">=", "==", "=", "<", ">", "|", "^", "+", "*", "%"]
                .into_iter()
                .map(Tok::Sym)
                .chain([Tok::Bang, Tok::AndAnd])
                .collect::<Vec<_>>()
        );
    }
}
