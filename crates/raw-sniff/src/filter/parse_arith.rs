//! The parser's half for relations (`tcp[13] & 2 != 0`, `len > 100`) and `ip proto N`.
//!
//! ```text
//! relation := arith relop arith                      -- relop: > < >= <= = == !=
//! arith    := operand (binop operand)*               -- C precedence: * / %, + -, << >>, &, |
//! operand  := unary ["^" arith]                      -- libpcap's `^`: see arith_operand
//! unary    := "-" operand | number | name | "len" | "(" arith ")"
//!           | load-proto "[" arith [":" (1|2|4)] "]"  -- link ether ip ip6 arp tcp udp icmp icmp6
//! ```
//!
//! `-`, `/` and `:` are word characters to the lexer (for `80-90`, `10.0.0.0/8`, `::1`), so a
//! word read as arithmetic is split here as libpcap's scanner splits it: a name or number is a
//! run of letters, digits, `-`, `_` and `.` that does not end in `-`, so `tcp-syn` is one name,
//! `12:1` is three tokens, and `len-5` is an unknown name (libpcap refuses it too).
//!
//! A word starting with a digit, or a `(`, may start a relation or a primitive (`port 80 or
//! 443`, `(tcp)`), so the parser tries a relation first and only keeps its error once the
//! relational operator has been read.

use super::*;
use crate::filter::LinkWord;

/// Whether the next tokens start a relation.
pub(super) enum Start {
    /// Certainly: a load, `len`, a named constant or a minus sign.
    Committed,
    /// Perhaps: a number or a parenthesis.
    Maybe,
    /// No.
    No,
}

/// A relation's error, and whether it came after the relational operator (so the text was
/// surely meant as a relation).
type RelError = (ParseError, bool);

fn load_proto(w: &str) -> Option<LoadProto> {
    Some(match w {
        "link" | "ether" => LoadProto::Link,
        // libpcap's other names for the link layer.
        "fddi" | "tr" | "wlan" | "ppp" | "slip" => LoadProto::Link,
        "ip" => LoadProto::Ip,
        "ip6" => LoadProto::Ip6,
        "arp" => LoadProto::Arp,
        "tcp" => LoadProto::Tcp,
        "udp" => LoadProto::Udp,
        "icmp" => LoadProto::Icmp,
        "icmp6" => LoadProto::Icmp6,
        "rarp" => LoadProto::Rarp,
        "sctp" => LoadProto::Sctp,
        "igmp" => LoadProto::Igmp,
        "igrp" => LoadProto::Igrp,
        "decnet" => LoadProto::LinkWord(LinkWord::Decnet),
        "lat" => LoadProto::LinkWord(LinkWord::Lat),
        "sca" => LoadProto::LinkWord(LinkWord::Sca),
        "moprc" => LoadProto::LinkWord(LinkWord::Moprc),
        "mopdl" => LoadProto::LinkWord(LinkWord::Mopdl),
        "atalk" => LoadProto::LinkWord(LinkWord::Atalk),
        "pim" => LoadProto::Pim,
        "vrrp" => LoadProto::Vrrp,
        "carp" => LoadProto::Carp,
        _ => return None,
    })
}

/// Length of the arithmetic token at the start of `w`: one of `- / :`, or a name or number.
fn piece_len(w: &str) -> usize {
    let b = w.as_bytes();
    if matches!(b[0], b'-' | b'/' | b':') || !b[0].is_ascii_alphanumeric() {
        return w.chars().next().map_or(1, char::len_utf8);
    }
    let run = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')))
        .unwrap_or(b.len());
    // A name does not end in '-': `len- 5` is `len` then `-`.
    b[..run]
        .iter()
        .rposition(|&c| c != b'-')
        .map_or(run, |i| i + 1)
}

/// A C-style number (`0x` hex, leading-0 octal), or `None` if `s` is not one.
pub(super) fn c_number(s: &str) -> Option<Result<u32, ParseErrorKind>> {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    let ok = |c: u8| {
        if radix == 16 {
            c.is_ascii_hexdigit()
        } else {
            c.is_ascii_digit()
        }
    };
    if digits.is_empty() || !digits.bytes().all(ok) {
        return None;
    }
    if radix == 8 && digits.bytes().any(|c| c > b'7') {
        return Some(Err(ParseErrorKind::BadOctal {
            value: s.to_string(),
        }));
    }
    Some(
        u32::from_str_radix(digits, radix).map_err(|_| ParseErrorKind::NumberTooLarge {
            value: s.to_string(),
        }),
    )
}

impl<'a> Parser<'a> {
    pub(super) fn relation_start(&self) -> Start {
        let next_is_bracket = matches!(
            self.tokens.get(self.pos + 1).map(|t| t.tok),
            Some(Tok::Sym("["))
        );
        match self.peek().map(|t| t.tok) {
            Some(Tok::LParen) => Start::Maybe,
            Some(Tok::Word(w)) if load_proto(w).is_some() && next_is_bracket => Start::Committed,
            Some(Tok::Word(w)) => {
                let first = &w[..piece_len(w)];
                // `len-5` is one (unknown) name, as in libpcap; say so rather than "unknown
                // primitive".
                let len_like = first.split('-').next() == Some("len");
                if len_like || first == "-" || names::constant(first).is_some() {
                    Start::Committed
                } else if first.starts_with(|c: char| c.is_ascii_digit()) {
                    Start::Maybe
                } else {
                    Start::No
                }
            }
            _ => Start::No,
        }
    }

    /// The next token for arithmetic, splitting the word it is in first.
    fn arith_peek(&mut self) -> Option<Token<'a>> {
        let t = self.peek()?;
        let Tok::Word(w) = t.tok else {
            return Some(t);
        };
        let n = piece_len(w);
        if n < w.len() {
            let head = Token {
                tok: Tok::Word(&w[..n]),
                start: t.start,
                end: t.start + n,
            };
            let tail = Token {
                tok: Tok::Word(&w[n..]),
                start: t.start + n,
                end: t.end,
            };
            self.tokens[self.pos] = head;
            self.tokens.insert(self.pos + 1, tail);
        }
        self.peek()
    }

    fn arith_sym(&mut self) -> Option<&'a str> {
        match self.arith_peek()?.tok {
            Tok::Sym(s) => Some(s),
            Tok::Word(w @ ("-" | "/" | ":")) => Some(w),
            _ => None,
        }
    }

    /// `arith relop arith`.
    pub(super) fn relation(&mut self, depth: usize) -> Result<Expr, RelError> {
        self.count_primitive().map_err(|e| (e, false))?;
        let lhs = self.arith(0, depth).map_err(|e| (e, false))?;
        let Some(op) = self.arith_sym().and_then(RelOp::from_symbol) else {
            let e = self.err_here(|found| ParseErrorKind::Unexpected {
                expected: "a relational operator such as '=' or '>'",
                found,
            });
            return Err((e, false));
        };
        self.pos += 1;
        let rhs = self.arith(0, depth).map_err(|e| (e, true))?;
        self.last = None;
        Ok(Expr::Prim(Primitive::Compare { op, lhs, rhs }))
    }

    /// Binary operators binding at least as tightly as `min`, by precedence climbing.
    fn arith(&mut self, min: u8, depth: usize) -> Result<Arith, ParseError> {
        let mut lhs = self.arith_operand(depth)?;
        while let Some(op) = self.arith_sym().and_then(ArithOp::from_symbol) {
            if op.precedence() < min {
                break;
            }
            self.pos += 1;
            self.count_primitive()?;
            let rhs_tok = self.arith_peek();
            let rhs = self.arith(op.precedence() + 1, depth)?;
            let t = rhs_tok.expect("a parsed operand has a token");
            match (op, &rhs) {
                (ArithOp::Div | ArithOp::Mod, Arith::Num(0)) => {
                    return Err(self.err_at(t, ParseErrorKind::DivisionByZero))
                }
                (ArithOp::Shl | ArithOp::Shr, Arith::Num(32..)) => {
                    return Err(self.err_at(t, ParseErrorKind::ShiftTooFar))
                }
                _ => {}
            }
            lhs = Arith::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    /// An operand, and a `^` after it with everything to its right.
    ///
    /// libpcap's grammar gives `^` no precedence, so yacc shifts on it: `^` takes only the
    /// operand just before it on its left and the whole rest of the arithmetic on its right.
    /// `1 ^ 16 | 1` is 16 to tcpdump (17 in C), `2 * 3 ^ 1` is 4 (7 in C), `-1 ^ 7` is -6.
    fn arith_operand(&mut self, depth: usize) -> Result<Arith, ParseError> {
        let lhs = self.arith_unary(depth)?;
        if self.arith_sym() != Some("^") {
            return Ok(lhs);
        }
        self.pos += 1;
        self.count_primitive()?;
        let rhs = self.arith(0, depth + 1)?;
        Ok(Arith::Bin(ArithOp::Xor, Box::new(lhs), Box::new(rhs)))
    }

    fn arith_unary(&mut self, depth: usize) -> Result<Arith, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err_here(|found| ParseErrorKind::Unexpected {
                expected: "fewer nested parentheses or negations",
                found,
            }));
        }
        let expected = "a number, 'len', a load such as 'tcp[13]' or '('";
        let Some(t) = self.arith_peek() else {
            return Err(self.err_here(|found| ParseErrorKind::Unexpected { expected, found }));
        };
        match t.tok {
            Tok::Word("-") => {
                self.pos += 1;
                self.count_primitive()?;
                // Unary minus binds tighter than every operator but `^` (see arith_operand).
                Ok(Arith::Neg(Box::new(self.arith_operand(depth + 1)?)))
            }
            Tok::LParen => {
                self.pos += 1;
                let inner = self.arith(0, depth + 1)?;
                match self.arith_peek() {
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err(self.err_here(|found| ParseErrorKind::Unexpected {
                        expected: "an operator or ')'",
                        found,
                    })),
                }
            }
            Tok::Word("len") => {
                self.pos += 1;
                Ok(Arith::Len)
            }
            Tok::Word(w) => {
                if let Some(proto) = load_proto(w) {
                    if matches!(
                        self.tokens.get(self.pos + 1).map(|t| t.tok),
                        Some(Tok::Sym("["))
                    ) {
                        self.pos += 2;
                        return self.load(proto, depth);
                    }
                }
                self.pos += 1;
                if let Some(n) = c_number(w) {
                    return n.map(Arith::Num).map_err(|kind| self.err_at(t, kind));
                }
                if let Some(n) = names::constant(w) {
                    return Ok(Arith::Num(n));
                }
                Err(self.err_at(
                    t,
                    ParseErrorKind::UnknownName {
                        word: w.to_string(),
                        hint: if w.contains('-') {
                            "; write spaces around '-' to subtract"
                        } else {
                            ""
                        },
                    },
                ))
            }
            _ => Err(self.err_here(|found| ParseErrorKind::Unexpected { expected, found })),
        }
    }

    /// The rest of `proto[index]` or `proto[index:size]`, after the `[`.
    fn load(&mut self, proto: LoadProto, depth: usize) -> Result<Arith, ParseError> {
        self.count_primitive()?;
        let index = self.arith(0, depth + 1)?;
        let mut size = 1;
        if self.arith_sym() == Some(":") {
            self.pos += 1;
            let t = self.arith_peek();
            let value = match t.map(|t| t.tok) {
                Some(Tok::Word(w)) => w,
                _ => {
                    return Err(self.err_here(|found| ParseErrorKind::ExpectedAfter {
                        expected: "a size of 1, 2 or 4",
                        after: ":".to_string(),
                        found,
                    }))
                }
            };
            size = match value {
                "1" => 1,
                "2" => 2,
                "4" => 4,
                _ => {
                    return Err(self.err_here(|_| ParseErrorKind::BadLoadSize {
                        value: value.to_string(),
                    }))
                }
            };
            self.pos += 1;
        }
        if self.arith_sym() != Some("]") {
            return Err(self.err_here(|found| ParseErrorKind::Unexpected {
                expected: if size == 1 { "':' or ']'" } else { "']'" },
                found,
            }));
        }
        self.pos += 1;
        Ok(Arith::Load {
            proto,
            index: Box::new(index),
            size,
        })
    }

    /// The number or `\name` after `ip proto` / `ip6 proto`.
    pub(super) fn net_proto(&mut self, v6: bool) -> Result<Expr, ParseError> {
        // Numbers, `\name` and plain names, from /etc/protocols as libpcap reads them.
        let number = self.proto_number(Some(v6), "proto")?;
        Ok(Expr::Prim(Primitive::NetProto { v6, number }))
    }

    /// The number after `less` or `greater`.
    pub(super) fn number_after(&mut self, keyword: &str) -> Result<u32, ParseError> {
        let expected_err = |p: &Self| {
            p.err_here(|found| ParseErrorKind::ExpectedAfter {
                expected: "a number",
                after: keyword.to_string(),
                found,
            })
        };
        let Some(t) = self.peek() else {
            return Err(expected_err(self));
        };
        match c_number(t.text()) {
            Some(Ok(n)) if matches!(t.tok, Tok::Word(_)) => {
                self.pos += 1;
                Ok(n)
            }
            Some(Err(kind)) => Err(self.err_at(t, kind)),
            _ => Err(expected_err(self)),
        }
    }
}
