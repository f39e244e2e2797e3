//! Parser for the tcpdump filter subset, by recursive descent over the lexer's tokens.
//!
//! The grammar follows pcap-filter(7):
//!
//! ```text
//! expr      := unary (("and" | "&&" | "or" | "||") unary)*    -- equal precedence, left to right
//! unary     := ("not" | "!") unary | "(" expr ")" | primitive
//! primitive := relation                                       -- tcp[13] & 2 != 0 (parse_arith.rs)
//!            | "less" number | "greater" number               -- len <= N, len >= N
//!            | ("ip" | "ip6") "proto" (number | "\" name)     -- ip proto 6, ip proto \tcp
//!            | ["ip" | "ip6"] ("proto" | "protochain") value  -- proto 6, ip6 protochain 6
//!            | proto                                          -- tcp, udp, icmp, icmp6, arp, ip, ip6
//!            | encap                                          -- vlan 10, mpls, pppoes (parse_encap.rs)
//!            | [proto] [dir] [type] value                     -- at least one qualifier
//!            | value                                          -- qualifiers of the previous primitive
//! dir       := "src" | "dst" | "src or dst" | "src and dst"
//! type      := "host" | "net" | "portrange" | "port"          -- default: host
//! value     := IPv4 | IPv6 | name | number | a.b | a.b.c      -- host (parse_names.rs)
//!            | IPv4/len | IPv6/len | IPv4 "mask" IPv4 | IP    -- net (a bare IP is /32 or /128)
//!            | number | name | number-number | name-name     -- port, portrange
//!            | (empty expression)                             -- every packet
//! ```
//!
//! Numbers are read as C (and tcpdump) reads them: `0x50` is hex, `0120` is octal.
//!
//! `and` and `or` really do bind equally in tcpdump: `a or b and c` is `(a or b) and c`.
//! A bare value repeats the qualifiers of the primitive written before it, so `port 80 or 443`
//! is `port 80 or port 443` and `not host a and b` is `(not host a) and host b`. As in tcpdump, a
//! bare value after a lone protocol (`tcp and 80`) is an error rather than a guess.

use std::net::{IpAddr, Ipv4Addr};

use super::ast::{
    AddrProto, Arith, ArithOp, Dir, Expr, IpNet, LoadProto, PortProto, PortRange, Primitive, Proto,
    RelOp,
};
use super::lexer::{lex, Tok, Token};
use super::names;

pub use super::error::{Found, ParseError, ParseErrorKind};

#[path = "parse_arith.rs"]
mod arith;
use arith::Start;

#[path = "parse_encap.rs"]
mod encap;

#[path = "parse_link.rs"]
mod link;

#[path = "parse_names.rs"]
mod names_and_forms;
use super::resolve::{Resolve, System};

/// Parses a filter expression into an [`Expr`], looking names up in the system's files and
/// resolver ([`System`]). An empty expression matches every packet, as in tcpdump.
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    parse_with(input, &System)
}

/// [`parse`], with names looked up in `resolver` (a [`super::resolve::Tables`] keeps
/// parsing away from the system).
pub fn parse_with(input: &str, resolver: &dyn Resolve) -> Result<Expr, ParseError> {
    let tokens = lex(input)?;
    let mut p = Parser {
        input,
        tokens,
        pos: 0,
        last: None,
        primitives: 0,
        resolver,
        decnet_last: None,
        proto_last: None,
    };
    if p.tokens.is_empty() {
        return Ok(Expr::Prim(Primitive::Everything));
    }
    let expr = p.expr(0)?;
    match p.peek() {
        None => Ok(expr),
        Some(t) if t.tok == Tok::RParen => Err(p.err_at(t, ParseErrorKind::Unmatched)),
        Some(t) => Err(p.err_at(
            t,
            ParseErrorKind::Unexpected {
                expected: "'and', 'or' or the end of the expression",
                found: Found::Token(t.text().to_string()),
            },
        )),
    }
}

/// The kind of value a primitive takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Host,
    Net,
    Port,
    PortRange,
    /// `ether host`/`ether src`/`ether dst`: an Ethernet address.
    EtherHost,
    /// `ether proto`/`link proto`: an ethertype or SAP.
    EtherProto,
}

/// The qualifiers of a primitive, kept to expand a following bare value.
#[derive(Debug, Clone)]
struct Quals {
    proto: Option<Proto>,
    dir: Dir,
    kind: Kind,
    /// The last qualifier word, for "expected … after 'port'".
    after: String,
}

/// Parentheses deeper than this are refused rather than risking the stack.
const MAX_DEPTH: usize = 200;

/// A longer expression is refused here. The cap bounds how deep the AST is and how long the
/// optimiser works (about a second for 2048 `port` primitives in a release build); with the
/// optimiser, repetitive expressions this long may still fit the kernel's 4096 instructions,
/// and longer ones run in user space.
const MAX_PRIMITIVES: usize = 2048;

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token<'a>>,
    pos: usize,
    /// Qualifiers of the most recent primitive that had a value, or `None` after a lone protocol.
    last: Option<Quals>,
    /// Primitives parsed so far.
    primitives: usize,
    /// Where names are looked up.
    resolver: &'a dyn Resolve,
    /// The direction of the last `decnet host` and the primitive count it was parsed at, so
    /// that a bare value right after it repeats it (`decnet host 1.2 or 1.3`).
    decnet_last: Option<(Dir, usize)>,
    /// The family (`None`: both), keyword and primitive count of the last `proto` or
    /// `protochain`, so that a bare value right after it repeats it (`proto 6 or 17`).
    proto_last: Option<(Option<bool>, &'static str, usize)>,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.pos).copied()
    }

    fn peek_word(&self) -> Option<&'a str> {
        match self.peek()?.tok {
            Tok::Word(w) => Some(w),
            _ => None,
        }
    }

    /// The next token if it can be a primitive's value (a word other than `and`, `or`,
    /// `not`), without consuming it; else "expected `expected` after `after`".
    fn peek_value(&self, expected: &'static str, after: &str) -> Result<Token<'a>, ParseError> {
        match self.peek() {
            Some(
                t @ Token {
                    tok: Tok::Word(w), ..
                },
            ) if !matches!(w, "and" | "or" | "not") => Ok(t),
            _ => Err(self.err_here(|found| ParseErrorKind::ExpectedAfter {
                expected,
                after: after.to_string(),
                found,
            })),
        }
    }

    fn bump(&mut self) -> Option<Token<'a>> {
        let t = self.peek()?;
        self.pos += 1;
        Some(t)
    }

    fn err_at(&self, t: Token<'_>, kind: ParseErrorKind) -> ParseError {
        ParseError::new(self.input, t.start, t.end, kind)
    }

    /// An error at the next token, or at the end of the input if there is none.
    fn err_here(&self, kind: impl FnOnce(Found) -> ParseErrorKind) -> ParseError {
        match self.peek() {
            Some(t) => self.err_at(t, kind(Found::Token(t.text().to_string()))),
            None => {
                let end = self.input.len();
                ParseError::new(self.input, end, end, kind(Found::End))
            }
        }
    }

    fn is_and(t: &Token<'_>) -> bool {
        matches!(t.tok, Tok::AndAnd | Tok::Word("and"))
    }

    fn is_or(t: &Token<'_>) -> bool {
        matches!(t.tok, Tok::OrOr | Tok::Word("or"))
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut lhs = self.unary(depth)?;
        while let Some(t) = self.peek() {
            let and = if Self::is_and(&t) {
                true
            } else if Self::is_or(&t) {
                false
            } else {
                break;
            };
            self.pos += 1;
            let rhs = self.unary(depth)?;
            lhs = if and {
                Expr::and(lhs, rhs)
            } else {
                Expr::or(lhs, rhs)
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, ParseError> {
        // Both `not` and `(` recurse; a long run of either must not overflow the stack.
        if depth > MAX_DEPTH {
            return Err(self.err_here(|found| ParseErrorKind::Unexpected {
                expected: "fewer nested parentheses or negations",
                found,
            }));
        }
        let Some(t) = self.peek() else {
            let after = self
                .pos
                .checked_sub(1)
                .and_then(|i| self.tokens.get(i))
                .map_or("", |t| t.text());
            return Err(self.err_here(|found| ParseErrorKind::ExpectedAfter {
                expected: "a filter primitive",
                after: after.to_string(),
                found,
            }));
        };
        match self.relation_start() {
            Start::Committed => return self.relation(depth).map_err(|(e, _)| e),
            Start::Maybe => {
                let saved = (self.tokens.clone(), self.pos, self.primitives);
                match self.relation(depth) {
                    Ok(e) => return Ok(e),
                    Err((e, true)) => return Err(e),
                    Err((_, false)) => (self.tokens, self.pos, self.primitives) = saved,
                }
            }
            Start::No => {}
        }
        match t.tok {
            Tok::Word(w @ ("less" | "greater")) => {
                self.pos += 1;
                self.count_primitive()?;
                let n = self.number_after(w)?;
                let op = if w == "less" { RelOp::Le } else { RelOp::Ge };
                self.last = None;
                Ok(Expr::Prim(Primitive::Compare {
                    op,
                    lhs: Arith::Len,
                    rhs: Arith::Num(n),
                }))
            }
            Tok::Bang | Tok::Word("not") => {
                self.pos += 1;
                Ok(Expr::not(self.unary(depth + 1)?))
            }
            Tok::LParen => {
                self.pos += 1;
                let inner = self.expr(depth + 1)?;
                match self.peek() {
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    None => Err(self.err_at(t, ParseErrorKind::Unclosed)),
                    Some(_) => Err(self.err_here(|found| ParseErrorKind::Unexpected {
                        expected: "'and', 'or' or ')'",
                        found,
                    })),
                }
            }
            Tok::Word(w) if encap::is_encap_word(w) => self.encap_primitive(),
            Tok::Word(w) if !matches!(w, "and" | "or") => self.primitive(),
            _ => Err(self.err_here(|found| ParseErrorKind::Unexpected {
                expected: "a filter primitive",
                found,
            })),
        }
    }

    /// Counts a primitive (or a node of arithmetic) against [`MAX_PRIMITIVES`].
    fn count_primitive(&mut self) -> Result<(), ParseError> {
        self.primitives += 1;
        if self.primitives > MAX_PRIMITIVES {
            return Err(self.err_here(|_| ParseErrorKind::TooLong {
                max: MAX_PRIMITIVES,
            }));
        }
        Ok(())
    }

    fn primitive(&mut self) -> Result<Expr, ParseError> {
        self.count_primitive()?;
        if let Some(e) = self.link_primitive()? {
            return Ok(e);
        }
        let first = self.peek();
        let mut proto = None;
        let mut proto_tok = None;
        let mut dir = None;
        let mut kind = None;
        let mut after = String::new();

        if let Some(e) = self.proto_words()? {
            return Ok(e);
        }
        if let Some(p) = self.peek_word().and_then(proto_keyword) {
            proto_tok = self.bump();
            proto = Some(p);
            after = p.to_string();
        }
        if let (Some(p @ (Proto::Ip | Proto::Ip6)), Some("proto")) = (proto, self.peek_word()) {
            self.pos += 1;
            self.last = None;
            return self.net_proto(p == Proto::Ip6);
        }
        if let Some(d) = self.peek_word().and_then(dir_keyword) {
            self.pos += 1;
            after = d.to_string();
            dir = Some(d);
            // `src or dst` and `src and dst` are one qualifier; the other order works too.
            if let (Some(conj), Some(Tok::Word(w2))) =
                (self.peek(), self.tokens.get(self.pos + 1).map(|t| t.tok))
            {
                let other = if d == Dir::Src { "dst" } else { "src" };
                if w2 == other && (Self::is_and(&conj) || Self::is_or(&conj)) {
                    self.pos += 2;
                    after = w2.to_string();
                    dir = Some(if Self::is_and(&conj) {
                        Dir::SrcAndDst
                    } else {
                        Dir::SrcOrDst
                    });
                }
            }
        }
        if let Some(k) = self.peek_word().and_then(kind_keyword) {
            self.pos += 1;
            after = self.tokens[self.pos - 1].text().to_string();
            kind = Some(k);
        }

        let quals = match (proto, dir, kind) {
            (Some(p), None, None) => {
                self.last = None;
                return Ok(Expr::Prim(Primitive::Proto(p)));
            }
            (None, None, None) => {
                let Some(t) = first else {
                    return Err(self.err_here(|found| ParseErrorKind::Unexpected {
                        expected: "a filter primitive",
                        found,
                    }));
                };
                match &self.last {
                    Some(q) => q.clone(),
                    None => {
                        let word = t.text().to_string();
                        let looks_like_value =
                            word.starts_with(|c: char| c.is_ascii_digit()) || word.contains(':');
                        let kind = if looks_like_value {
                            ParseErrorKind::MissingQualifier { value: word }
                        } else {
                            ParseErrorKind::UnknownPrimitive { word }
                        };
                        return Err(self.err_at(t, kind));
                    }
                }
            }
            _ => Quals {
                proto,
                dir: dir.unwrap_or(Dir::SrcOrDst),
                kind: kind.unwrap_or(Kind::Host),
                after,
            },
        };

        let expr = match self.ip_value(&quals)? {
            Some(e) => e,
            None => Expr::Prim(self.value(&quals, proto_tok)?),
        };
        self.last = Some(quals);
        Ok(expr)
    }

    /// Parses the value after the qualifiers and builds the primitive.
    fn value(&mut self, q: &Quals, proto_tok: Option<Token<'_>>) -> Result<Primitive, ParseError> {
        if matches!(q.kind, Kind::EtherHost | Kind::EtherProto) {
            return self.link_value(q);
        }
        let keyword = match q.kind {
            Kind::Host => "host",
            Kind::Net => "net",
            Kind::Port => "port",
            Kind::PortRange => "portrange",
            Kind::EtherHost => "host",
            Kind::EtherProto => "proto",
        };
        let bad_qualifier = |p: Proto, hint: &'static str| {
            let kind = ParseErrorKind::BadQualifier {
                qualifier: p.to_string(),
                primitive: keyword,
                hint,
            };
            match proto_tok {
                Some(t) => self.err_at(t, kind),
                None => self.err_here(|_| kind),
            }
        };
        let expected: &'static str = match q.kind {
            Kind::Host => "an IP address",
            Kind::Net => "a network such as 10.0.0.0/8",
            Kind::Port => "a port number",
            Kind::PortRange => "a port range such as 6000-6010",
            Kind::EtherHost => "an Ethernet address",
            Kind::EtherProto => "an ethertype",
        };
        let addr_proto = match (q.kind, q.proto) {
            (Kind::Host | Kind::Net, None) => Some(AddrProto::Any),
            (Kind::Host | Kind::Net, Some(Proto::Ip)) => Some(AddrProto::Ip),
            (Kind::Host | Kind::Net, Some(Proto::Ip6)) => Some(AddrProto::Ip6),
            (Kind::Host | Kind::Net, Some(Proto::Arp)) => Some(AddrProto::Arp),
            (Kind::Host | Kind::Net, Some(Proto::Rarp)) => Some(AddrProto::Rarp),
            (Kind::Host | Kind::Net, Some(p)) => {
                return Err(bad_qualifier(p, "; use 'ip', 'ip6' or 'arp'"))
            }
            _ => None,
        };
        let port_proto = match (q.kind, q.proto) {
            (Kind::Port | Kind::PortRange, None) => Some(PortProto::Any),
            (Kind::Port | Kind::PortRange, Some(Proto::Tcp)) => Some(PortProto::Tcp),
            (Kind::Port | Kind::PortRange, Some(Proto::Udp)) => Some(PortProto::Udp),
            (Kind::Port | Kind::PortRange, Some(p)) => {
                return Err(bad_qualifier(p, "; use 'tcp' or 'udp'"))
            }
            _ => None,
        };

        let tok = self.peek_value(expected, &q.after)?;
        self.pos += 1;
        let text = tok.text();
        let expected_err = || {
            self.err_at(
                tok,
                ParseErrorKind::ExpectedAfter {
                    expected,
                    after: q.after.clone(),
                    found: Found::Token(text.to_string()),
                },
            )
        };

        match q.kind {
            // Read by `link_value` before anything above.
            Kind::EtherHost | Kind::EtherProto => Err(expected_err()),
            Kind::Port | Kind::PortRange => {
                let proto = port_proto.unwrap_or(PortProto::Any);
                let range = if q.kind == Kind::Port {
                    PortRange::single(self.port_number(tok, text).ok_or_else(expected_err)??)
                } else {
                    let (a, b) = text.split_once('-').ok_or_else(expected_err)?;
                    let lo = self.port_number(tok, a).ok_or_else(expected_err)??;
                    let hi = self.port_number(tok, b).ok_or_else(expected_err)??;
                    // tcpdump accepts the bounds in either order.
                    PortRange {
                        lo: lo.min(hi),
                        hi: lo.max(hi),
                    }
                };
                Ok(Primitive::Port {
                    proto,
                    dir: q.dir,
                    range,
                })
            }
            Kind::Host => {
                let proto = addr_proto.unwrap_or(AddrProto::Any);
                let addr: IpAddr = match text.parse() {
                    Ok(a) => a,
                    Err(_) if parse_cidr(text).is_some() => {
                        return Err(self.err_at(
                            tok,
                            ParseErrorKind::NetworkNeedsNet {
                                value: text.to_string(),
                            },
                        ))
                    }
                    Err(_) => return Err(expected_err()),
                };
                self.check_family(proto, q, addr, tok)?;
                Ok(Primitive::Host {
                    proto,
                    dir: q.dir,
                    addr,
                })
            }
            Kind::Net => {
                let proto = addr_proto.unwrap_or(AddrProto::Any);
                let (addr, prefix) = if let Ok(a) = text.parse::<IpAddr>() {
                    if self.peek_word() == Some("mask") {
                        self.pos += 1;
                        let mask_tok = match (self.peek(), self.peek_word()) {
                            (Some(t), Some(w)) if !matches!(w, "and" | "or" | "not") => t,
                            _ => {
                                return Err(self.err_here(|found| ParseErrorKind::ExpectedAfter {
                                    expected: "an IPv4 netmask",
                                    after: "mask".to_string(),
                                    found,
                                }))
                            }
                        };
                        self.pos += 1;
                        let mask = match (a, mask_tok.text().parse::<Ipv4Addr>()) {
                            (IpAddr::V4(_), Ok(m)) => m,
                            _ => {
                                return Err(self.err_at(
                                    mask_tok,
                                    ParseErrorKind::BadMask {
                                        mask: mask_tok.text().to_string(),
                                    },
                                ))
                            }
                        };
                        let m = u32::from(mask);
                        if m.leading_ones() + m.trailing_zeros() != 32 {
                            return Err(self.err_at(
                                mask_tok,
                                ParseErrorKind::BadMask {
                                    mask: mask_tok.text().to_string(),
                                },
                            ));
                        }
                        (a, m.leading_ones() as u8)
                    } else {
                        // A full address without a prefix is a network of one, as in tcpdump.
                        (a, if a.is_ipv4() { 32 } else { 128 })
                    }
                } else {
                    let (a, p) = parse_cidr(text).ok_or_else(expected_err)?;
                    let max: u8 = if a.is_ipv4() { 32 } else { 128 };
                    if p > u32::from(max) {
                        return Err(self.err_at(
                            tok,
                            ParseErrorKind::PrefixTooLong {
                                net: text.to_string(),
                                max,
                            },
                        ));
                    }
                    (a, p as u8)
                };
                self.check_family(proto, q, addr, tok)?;
                let net = IpNet::new(addr, prefix).ok_or_else(|| {
                    self.err_at(
                        tok,
                        ParseErrorKind::HostBitsSet {
                            net: text.to_string(),
                        },
                    )
                })?;
                Ok(Primitive::Net {
                    proto,
                    dir: q.dir,
                    net,
                })
            }
        }
    }

    /// `Some(Ok(port))`, `Some(Err(..))` for a number that is out of range or not valid in its
    /// base, `None` if not a number at all.
    ///
    /// Numbers are read as in C, because tcpdump reads them that way: `0x50` is hexadecimal
    /// and `010` is octal (port 8).
    fn port_number(&self, tok: Token<'_>, s: &str) -> Option<Result<u16, ParseError>> {
        let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
            (h, 16)
        } else if s.len() > 1 && s.starts_with('0') {
            (&s[1..], 8)
        } else {
            (s, 10)
        };
        let valid = |b: u8| match radix {
            16 => b.is_ascii_hexdigit(),
            _ => b.is_ascii_digit(),
        };
        if digits.is_empty() || !digits.bytes().all(valid) {
            return None;
        }
        if radix == 8 && digits.bytes().any(|b| b > b'7') {
            return Some(Err(self.err_at(
                tok,
                ParseErrorKind::BadOctal {
                    value: s.to_string(),
                },
            )));
        }
        Some(u16::from_str_radix(digits, radix).map_err(|_| {
            self.err_at(
                tok,
                ParseErrorKind::PortOutOfRange {
                    value: s.to_string(),
                },
            )
        }))
    }

    fn check_family(
        &self,
        proto: AddrProto,
        q: &Quals,
        addr: IpAddr,
        tok: Token<'_>,
    ) -> Result<(), ParseError> {
        let ok = match proto {
            AddrProto::Any => true,
            AddrProto::Ip | AddrProto::Arp | AddrProto::Rarp => addr.is_ipv4(),
            AddrProto::Ip6 => addr.is_ipv6(),
        };
        if ok {
            return Ok(());
        }
        Err(self.err_at(
            tok,
            ParseErrorKind::WrongFamily {
                qualifier: q.proto.map(|p| p.to_string()).unwrap_or_default(),
                family: if addr.is_ipv4() { "IPv4" } else { "IPv6" },
                addr: tok.text().to_string(),
            },
        ))
    }
}

fn proto_keyword(w: &str) -> Option<Proto> {
    Some(match w {
        "ip" => Proto::Ip,
        "ip6" => Proto::Ip6,
        "arp" => Proto::Arp,
        "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        "icmp" => Proto::Icmp,
        "icmp6" => Proto::Icmp6,
        "rarp" => Proto::Rarp,
        "sctp" => Proto::Sctp,
        "igmp" => Proto::Igmp,
        "igrp" => Proto::Igrp,
        "pim" => Proto::Pim,
        "vrrp" => Proto::Vrrp,
        "carp" => Proto::Carp,
        "ah" => Proto::Ah,
        "esp" => Proto::Esp,
        _ => return None,
    })
}

fn dir_keyword(w: &str) -> Option<Dir> {
    match w {
        "src" => Some(Dir::Src),
        "dst" => Some(Dir::Dst),
        _ => None,
    }
}

fn kind_keyword(w: &str) -> Option<Kind> {
    match w {
        "host" => Some(Kind::Host),
        "net" => Some(Kind::Net),
        "port" => Some(Kind::Port),
        "portrange" => Some(Kind::PortRange),
        _ => None,
    }
}

/// `addr/prefix` with a decimal prefix (range not yet checked).
fn parse_cidr(s: &str) -> Option<(IpAddr, u32)> {
    let (a, p) = s.split_once('/')?;
    if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((a.parse().ok()?, p.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> String {
        parse(s)
            .unwrap_or_else(|e| panic!("{}", e.render(s)))
            .to_string()
    }

    fn err(s: &str) -> (usize, String) {
        let e = parse(s).expect_err(s);
        (e.offset, e.to_string())
    }

    #[test]
    fn every_primitive() {
        for proto in ["ip", "ip6", "arp", "tcp", "udp", "icmp", "icmp6"] {
            assert_eq!(p(proto), proto);
        }
        assert_eq!(p("host 1.2.3.4"), "src or dst host 1.2.3.4");
        assert_eq!(p("host ::1"), "src or dst host ::1");
        assert_eq!(p("src host fe80::1"), "src host fe80::1");
        assert_eq!(p("dst host 10.0.0.1"), "dst host 10.0.0.1");
        assert_eq!(p("src 10.0.0.1"), "src host 10.0.0.1");
        assert_eq!(p("ip host 10.0.0.1"), "ip src or dst host 10.0.0.1");
        assert_eq!(p("ip6 dst host ::2"), "ip6 dst host ::2");
        assert_eq!(p("arp src host 10.0.0.1"), "arp src host 10.0.0.1");
        assert_eq!(p("net 10.0.0.0/8"), "src or dst net 10.0.0.0/8");
        assert_eq!(p("net 10.1.2.3"), "src or dst net 10.1.2.3/32");
        assert_eq!(p("dst net 2001:db8::/32"), "dst net 2001:db8::/32");
        assert_eq!(
            p("net 172.16.0.0 mask 255.240.0.0"),
            "src or dst net 172.16.0.0/12"
        );
        assert_eq!(p("port 80"), "src or dst port 80");
        assert_eq!(p("tcp port 80"), "tcp src or dst port 80");
        assert_eq!(p("udp dst port 53"), "udp dst port 53");
        assert_eq!(p("src port 0"), "src port 0");
        assert_eq!(p("portrange 6000-6010"), "src or dst portrange 6000-6010");
        assert_eq!(p("portrange 90-80"), "src or dst portrange 80-90");
        assert_eq!(p("tcp src portrange 1-1"), "tcp src port 1");
        // C-style numbers, as tcpdump reads them.
        assert_eq!(p("port 0x50"), "src or dst port 80");
        assert_eq!(p("port 010"), "src or dst port 8");
        // libpcap reads a range as sscanf("%d-%d") does: decimal, so 010 is ten here.
        assert_eq!(p("portrange 010-020"), "src or dst portrange 10-20");
        assert!(parse("portrange 0x10-021").is_err());
        assert_eq!(p("port 0"), "src or dst port 0");
        assert_eq!(p("src or dst port 80"), "src or dst port 80");
        assert_eq!(p("src and dst port 80"), "src and dst port 80");
        assert_eq!(p("dst and src host ::1"), "src and dst host ::1");
    }

    #[test]
    fn precedence_is_left_to_right_with_not_binding_tightest() {
        assert_eq!(
            p("port 80 and host 1.2.3.4 or udp"),
            "((src or dst port 80) and (src or dst host 1.2.3.4)) or (udp)"
        );
        // Unlike C, `or` does not bind looser than `and`.
        assert_eq!(p("tcp or udp and icmp"), "((tcp) or (udp)) and (icmp)");
        assert_eq!(p("tcp || udp && icmp"), "((tcp) or (udp)) and (icmp)");
        assert_eq!(p("not tcp port 22"), "not (tcp src or dst port 22)");
        assert_eq!(p("! tcp and udp"), "(not (tcp)) and (udp)");
        assert_eq!(p("not not ip"), "not (not (ip))");
        assert_eq!(
            p("host 10.0.0.1 and (port 80 or port 443)"),
            "(src or dst host 10.0.0.1) and ((src or dst port 80) or (src or dst port 443))"
        );
        assert_eq!(p("((ip))"), "ip");
    }

    #[test]
    fn relations_parse_with_c_precedence() {
        assert_eq!(p("tcp[13] & 2 != 0"), "(tcp[13 : 1] & 2) != 0");
        assert_eq!(p("tcp[tcpflags]&tcp-syn!=0"), "(tcp[13 : 1] & 2) != 0");
        assert_eq!(p("ip[2:2] > 576"), "ip[2 : 2] > 576");
        assert_eq!(p("ether[0:4]==0x10"), "link[0 : 4] = 16");
        assert_eq!(p("1 + 2 * 3 = len"), "(1 + (2 * 3)) = len");
        assert_eq!(p("20 - 8 - 6 = ip[9]"), "((20 - 8) - 6) = ip[9 : 1]");
        assert_eq!(
            p("1 | 2 ^ 3 & 4 << 5 = 0"),
            "(1 | (2 ^ (3 & (4 << 5)))) = 0"
        );
        // libpcap's `^`: the operand before it, and everything after it.
        assert_eq!(p("1 ^ 16 | 1 = 0"), "(1 ^ (16 | 1)) = 0");
        assert_eq!(p("2 * 3 ^ 1 + 1 = 0"), "(2 * (3 ^ (1 + 1))) = 0");
        assert_eq!(p("-1 ^ 7 = 0"), "(- (1 ^ 7)) = 0");
        assert_eq!(p("-1 * 7 = 0"), "((- 1) * 7) = 0");
        assert_eq!(p("-len < -(1)"), "(- len) < (- 1)");
        assert_eq!(p("ip[0]-1 = 010"), "(ip[0 : 1] - 1) = 8");
        assert_eq!(
            p("tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420"),
            "tcp[((tcp[12 : 1] & 240) >> 2) : 4] = 1195725856"
        );
        assert_eq!(p("(tcp[0]) = 1 and tcp"), "(tcp[0 : 1] = 1) and (tcp)");
        assert_eq!(p("((tcp[0] + 1) = 2)"), "(tcp[0 : 1] + 1) = 2");
        assert_eq!(p("less 100"), "len <= 100");
        assert_eq!(p("greater 0x10"), "len >= 16");
        assert_eq!(p("ip proto \\tcp"), "ip proto 6");
        assert_eq!(p("ip6 proto 58"), "ip6 proto 58");
        // A number or a parenthesis may still start a bare value or a group.
        assert_eq!(
            p("port 80 or (443)"),
            "(src or dst port 80) or (src or dst port 443)"
        );
        assert_eq!(p("(tcp) or (1 = 1)"), "(tcp) or (1 = 1)");
    }

    #[test]
    fn relation_errors_point_at_the_bad_token() {
        let e = |s: &str| {
            let e = parse(s).expect_err(s);
            (e.caret(), e.to_string())
        };
        assert_eq!(
            e("tcp[0:3] = 0"),
            (
                "      ^".to_string(),
                "the size of a load must be 1, 2 or 4, found '3'".to_string()
            )
        );
        assert_eq!(e("ip[1:2:3] = 0").0, "      ^");
        assert_eq!(
            e("ip[1/0] = 0"),
            ("     ^".to_string(), "division by zero".to_string())
        );
        assert_eq!(e("ip[0] = 1 % 0").0, "            ^");
        assert_eq!(
            e("len-5 > 0"),
            (
                "^^^^^".to_string(),
                "'len-5' is not a number or a named constant such as 'tcpflags' or 'tcp-syn'; \
                 write spaces around '-' to subtract"
                    .to_string()
            )
        );
        assert_eq!(
            e("ip proto tcp").1,
            "expected a protocol number or a backslashed name such as \\tcp after 'proto', found 'tcp'"
        );
        assert_eq!(
            e("ip6 proto \\icmp6").1,
            "unknown ip6 protocol name 'icmp6'"
        );
        assert_eq!(
            e("tcp[0] =").1,
            "expected a number, 'len', a load such as 'tcp[13]' or '(', found end of expression"
        );
        assert_eq!(
            e("tcp[0] & 1").1,
            "expected a relational operator such as '=' or '>', found end of expression"
        );
        assert_eq!(e("tcp[0").1, "expected ':' or ']', found end of expression");
        assert_eq!(
            e("less").1,
            "expected a number after 'less', found end of expression"
        );
        assert_eq!(
            e("ip[0] = 99999999999").1,
            "'99999999999' does not fit in 32 bits"
        );
        // A lone '&' between primitives is still refused where it stands.
        assert_eq!(err("tcp & udp").0, 4);
        assert!(parse("tcp |").is_err());
    }

    #[test]
    fn bare_values_repeat_the_previous_qualifiers() {
        assert_eq!(
            p("port 80 or 443"),
            "(src or dst port 80) or (src or dst port 443)"
        );
        assert_eq!(
            p("tcp dst port 80 or 443 or 8080"),
            "((tcp dst port 80) or (tcp dst port 443)) or (tcp dst port 8080)"
        );
        // pcap-filter(7)'s own example: `not host vs and ace` is `not host vs and host ace`.
        assert_eq!(
            p("not host 1.1.1.1 and 2.2.2.2"),
            "(not (src or dst host 1.1.1.1)) and (src or dst host 2.2.2.2)"
        );
        assert_eq!(
            p("port 80 or not (443)"),
            "(src or dst port 80) or (not (src or dst port 443))"
        );
        assert_eq!(
            p("src 1.1.1.1 or 2.2.2.2"),
            "(src host 1.1.1.1) or (src host 2.2.2.2)"
        );
        assert_eq!(
            p("net 10.0.0.0/8 or 192.168.0.0/16"),
            "(src or dst net 10.0.0.0/8) or (src or dst net 192.168.0.0/16)"
        );
        // The most recent primitive wins, not the enclosing one.
        assert_eq!(
            p("(host ::1 or port 22) and 23"),
            "((src or dst host ::1) or (src or dst port 22)) and (src or dst port 23)"
        );
    }

    #[test]
    fn errors_point_at_the_bad_token() {
        let names = super::super::resolve::Tables::default();
        let err_offline = |s: &str| {
            let e = parse_with(s, &names).expect_err(s);
            (e.offset, e.to_string())
        };
        assert_eq!(
            err_offline("tcp port http"),
            (
                9,
                "unknown port 'http' (names are looked up in /etc/services)".into()
            )
        );
        assert_eq!(
            err_offline("port 80 or http"),
            (
                11,
                "unknown port 'http' (names are looked up in /etc/services)".into()
            )
        );
        assert_eq!(
            err("port 80 or 8.8"),
            (
                11,
                "expected a port number after 'port', found '8.8'".into()
            )
        );
        assert_eq!(
            err("port"),
            (
                4,
                "expected a port number after 'port', found end of expression".into()
            )
        );
        assert_eq!(
            err("port and tcp"),
            (5, "expected a port number after 'port', found 'and'".into())
        );
        assert_eq!(
            err("port 65536"),
            (5, "port number 65536 is out of range (0-65535)".into())
        );
        assert_eq!(
            err("port 09"),
            (
                5,
                "'09' starts with 0, so it is read as octal (as tcpdump does), but it holds a non-octal digit".into()
            )
        );
        assert_eq!(
            err("port 0x10000"),
            (5, "port number 0x10000 is out of range (0-65535)".into())
        );
        assert_eq!(
            err("portrange 80-"),
            (
                10,
                "expected a port range such as 6000-6010 after 'portrange', found '80-'".into()
            )
        );
        assert_eq!(
            err_offline("host example.com"),
            (5, "unknown host 'example.com'".into())
        );
        assert_eq!(
            err("host a:b"),
            (5, "expected an IP address after 'host', found 'a:b'".into())
        );
        assert_eq!(
            err("src"),
            (
                3,
                "expected an IP address after 'src', found end of expression".into()
            )
        );
        assert_eq!(
            err("host 10.0.0.0/8"),
            (
                5,
                "'10.0.0.0/8' is a network: write 'net 10.0.0.0/8'".into()
            )
        );
        assert_eq!(
            err("net 10.0.0.1/8"),
            (4, "non-network bits set in '10.0.0.1/8'".into())
        );
        assert_eq!(
            err("net ::/129"),
            (
                4,
                "prefix length in '::/129' is longer than the address (128 bits)".into()
            )
        );
        assert_eq!(
            err("net 10.0.0.0 mask 255"),
            (
                18,
                "expected a dotted IPv4 netmask such as 255.255.0.0 after 'mask', found '255'"
                    .into()
            )
        );
        assert_eq!(
            err("tcp host 1.2.3.4"),
            (
                0,
                "'tcp' cannot qualify 'host'; use 'ip', 'ip6' or 'arp'".into()
            )
        );
        assert_eq!(
            err("ip port 80"),
            (0, "'ip' cannot qualify 'port'; use 'tcp' or 'udp'".into())
        );
        assert_eq!(
            err("ip6 host 1.2.3.4"),
            (9, "'ip6' cannot qualify the IPv4 address '1.2.3.4'".into())
        );
        assert_eq!(
            err("1.2.3.4"),
            (
                0,
                "'1.2.3.4' needs a qualifier such as 'host', 'net' or 'port' before it".into()
            )
        );
        assert_eq!(
            err("tcp and 80"),
            (
                8,
                "'80' needs a qualifier such as 'host', 'net' or 'port' before it".into()
            )
        );
        assert_eq!(
            err("bogus 10"),
            (0, "unknown or unsupported primitive 'bogus'".into())
        );
        assert_eq!(
            err("tcp udp"),
            (
                4,
                "expected 'and', 'or' or the end of the expression, found 'udp'".into()
            )
        );
        assert_eq!(err("  (tcp or udp"), (2, "this '(' is never closed".into()));
        assert_eq!(err("tcp)"), (3, "unmatched ')'".into()));
        assert_eq!(
            err("(tcp udp)"),
            (5, "expected 'and', 'or' or ')', found 'udp'".into())
        );
        assert_eq!(
            err("tcp and"),
            (
                7,
                "expected a filter primitive after 'and', found end of expression".into()
            )
        );
        assert_eq!(
            err("tcp or or udp"),
            (7, "expected a filter primitive, found 'or'".into())
        );
        assert_eq!(
            err("not"),
            (
                3,
                "expected a filter primitive after 'not', found end of expression".into()
            )
        );
        assert_eq!(
            err("()"),
            (1, "expected a filter primitive, found ')'".into())
        );
        // An empty expression matches everything, as in tcpdump.
        assert_eq!(parse("   "), Ok(Expr::Prim(Primitive::Everything)));
    }

    #[test]
    fn caret_counts_characters_not_bytes() {
        let e = parse("host ü").unwrap_err();
        assert_eq!(e.offset, 5);
        assert_eq!(e.caret(), "     ^");
        let e = parse("tcp and é").unwrap_err();
        assert_eq!((e.column, e.width), (8, 1));
        assert_eq!(
            e.render("tcp and é"),
            "tcp and é\n        ^\nunknown or unsupported primitive 'é'"
        );
    }

    #[test]
    fn long_expressions_stop_at_the_primitive_limit() {
        let ok = vec!["ip"; MAX_PRIMITIVES].join(" or ");
        let e = parse(&ok).unwrap();
        // The longest accepted expression is still compiled (the optimiser folds the repeats
        // into one test), shown and dropped without exhausting a test thread's stack.
        let prog = crate::filter::compile(&e, crate::filter::Framing::Ethernet).unwrap();
        assert_eq!(prog.len(), 4, "{prog}");
        assert!(e.to_string().len() > ok.len());
        let too_long = vec!["ip"; MAX_PRIMITIVES + 1].join(" or ");
        let err = parse(&too_long).unwrap_err();
        assert_eq!(err.offset, too_long.len() - 2);
        assert_eq!(
            err.kind,
            ParseErrorKind::TooLong {
                max: MAX_PRIMITIVES
            }
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}tcp{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep).is_err());
        let nots = format!("{}tcp", "! ".repeat(10_000));
        assert!(parse(&nots).is_err());
        let ok = format!("{}tcp{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(p(&ok), "tcp");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        // Names come from memory here: made-up words must not go to the system's resolver.
        #[test]
        fn never_panics_on_any_string(s in "\\PC{0,40}") {
            let _ = parse_with(&s, &super::super::resolve::Tables::default());
        }

        #[test]
        fn never_panics_on_filter_like_strings(
            words in prop::collection::vec(
                prop::sample::select(vec![
                    "tcp", "udp", "icmp", "icmp6", "ip", "ip6", "arp", "host", "net", "port",
                    "portrange", "src", "dst", "and", "or", "not", "&&", "||", "!", "(", ")",
                    "mask", "80", "65536", "1-2", "10.0.0.0/8", "10.0.0.1", "::1", "::/0",
                    "255.0.0.0", "&", "|", "é", "", "[", "]", "tcp[", "13]", "0:4", ":", "=",
                    "!=", "<=", ">>", "<<", "-", "/", "%", "*", "+", "^", "len", "less",
                    "greater", "proto", "\\tcp", "tcp-syn", "len-5", "0x10", "0",
                    "protochain", "sctp", "decnet", "10.1", "mask", "/", "http", "67-bootpc",
                ]),
                0..16,
            )
        ) {
            let s = words.join(" ");
            if let Err(e) = parse_with(&s, &super::super::resolve::Tables::default()) {
                prop_assert!(e.offset <= s.len());
                prop_assert!(s.is_char_boundary(e.offset));
                prop_assert!(!e.to_string().contains('\n'));
            }
        }
    }
}
