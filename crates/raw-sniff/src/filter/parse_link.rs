//! The link-layer part of the grammar, as libpcap reads it:
//!
//! ```text
//! link      := ("ether" | "link" | "fddi" | "tr" | "wlan" | "ppp" | "slip") ether_rest
//!            | "broadcast" | "multicast"
//!            | ("ip" | "ip6") "multicast" | "ip" "broadcast"
//!            | "llc" [llc_type]                               -- llc, llc ui, llc rr, …
//!            | link_word                                      -- stp, ipx, isis, l1, psnp, …
//!            | ("iso" | "isis") "proto" number                -- NLPID, IS-IS PDU type
//! ether_rest := dir ["host"] mac | "host" mac                 -- mac: any libpcap notation, or
//!            | "proto" (number | "\" name)                    --      a name in /etc/ethers
//!            | "broadcast" | "multicast"
//! ```
//!
//! `ether host` and `ether proto` set the qualifiers a following bare value repeats
//! (`ether host A or B`, `ether proto 0x800 or 0x806`), as the other primitives do.

use super::super::ast::{Dir, Expr, LinkPrim, LinkWord, Primitive};
use super::super::link::{ether_proto_name, ethers_lookup, link_word, llc_type, MacAddr};
use super::super::link::{WlanField, WLAN_DIRS, WLAN_SUBTYPES, WLAN_TYPES};
use super::arith::c_number;
use super::{dir_keyword, proto_keyword, Found, Kind, ParseError, ParseErrorKind, Parser, Quals};
use crate::filter::lexer::{Tok, Token};

impl<'a> Parser<'a> {
    fn word_at(&self, i: usize) -> Option<&'a str> {
        match self.tokens.get(i)?.tok {
            Tok::Word(w) => Some(w),
            _ => None,
        }
    }

    fn link(&mut self, l: LinkPrim) -> Result<Option<Expr>, ParseError> {
        Ok(Some(Expr::Prim(Primitive::Link(l))))
    }

    /// Parses a link-layer primitive if the next words start one; `Ok(None)` (with nothing
    /// consumed) if they do not.
    pub(super) fn link_primitive(&mut self) -> Result<Option<Expr>, ParseError> {
        let (Some(t), Some(w)) = (self.peek(), self.peek_word()) else {
            return Ok(None);
        };
        let next = self.word_at(self.pos + 1);
        match (w, next) {
            // libpcap's 802.11 address fields, frame types and directions.
            ("ether" | "link" | "fddi" | "tr" | "wlan" | "ppp" | "slip", Some(field))
                if WlanField::from_word(field).is_some() =>
            {
                self.pos += 2;
                self.wlan_addr(field)
            }
            ("type" | "subtype" | "dir" | "direction", _) => {
                self.pos += 1;
                self.last = None;
                let prim = self.wlan_frame_control(w)?;
                self.link(prim)
            }
            // libpcap reads all of these as the link layer, whatever the capture's type.
            ("ether" | "link" | "fddi" | "tr" | "wlan" | "ppp" | "slip", _) => {
                self.pos += 1;
                self.ether_rest(w)
            }
            ("broadcast", _) => {
                self.pos += 1;
                self.last = None;
                self.link(LinkPrim::Broadcast)
            }
            ("multicast", _) => {
                self.pos += 1;
                self.last = None;
                self.link(LinkPrim::Multicast)
            }
            ("ip" | "ip6", Some("multicast")) => {
                self.pos += 2;
                self.last = None;
                self.link(LinkPrim::IpMulticast { v6: w == "ip6" })
            }
            ("ip", Some("broadcast")) => {
                self.pos += 2;
                self.last = None;
                self.link(LinkPrim::IpBroadcast)
            }
            (_, Some(cast @ ("broadcast" | "multicast")))
                if proto_keyword(w).is_some() || link_word(w).is_some() =>
            {
                let primitive = if cast == "broadcast" {
                    "broadcast"
                } else {
                    "multicast"
                };
                Err(self.err_at(
                    t,
                    ParseErrorKind::BadQualifier {
                        qualifier: w.to_string(),
                        primitive,
                        hint: "; use 'ether', 'ip' or 'ip6'",
                    },
                ))
            }
            ("llc", _) => {
                self.pos += 1;
                self.last = None;
                let ty = match self.peek() {
                    Some(
                        t @ Token {
                            tok: Tok::Word(name),
                            ..
                        },
                    ) if !matches!(name, "and" | "or" | "not") => {
                        self.pos += 1;
                        Some(llc_type(name).ok_or_else(|| {
                            self.err_at(
                                t,
                                ParseErrorKind::UnknownLinkName {
                                    what: "LLC frame type",
                                    name: name.to_string(),
                                },
                            )
                        })?)
                    }
                    _ => None,
                };
                self.link(LinkPrim::Llc(ty))
            }
            _ => {
                let Some(word) = link_word(w) else {
                    return Ok(None);
                };
                if self.tokens.get(self.pos + 1).map(|t| t.tok) == Some(Tok::Sym("[")) {
                    // The words with loads (`decnet[0]`) are relations, read before this;
                    // libpcap has none for the rest either ("unsupported index operation").
                    return Err(self.err_at(
                        t,
                        ParseErrorKind::NotSupported {
                            what: format!("{w}[…] (a byte load from {w})"),
                        },
                    ));
                }
                match next {
                    Some("proto") if matches!(word, LinkWord::Iso | LinkWord::Isis) => {
                        self.pos += 2;
                        self.last = None;
                        let number = self.osi_number()?;
                        let isis = word == LinkWord::Isis;
                        return self.link(LinkPrim::OsiProto { isis, number });
                    }
                    // DECnet addresses (`decnet host 10.23`) are read with the IP-layer values.
                    Some("host" | "src" | "dst" | "net") if word == LinkWord::Decnet => {
                        return Ok(None)
                    }
                    Some("proto") => {
                        return Err(self.err_at(
                            t,
                            ParseErrorKind::NotSupported {
                                what: format!("{w} proto"),
                            },
                        ))
                    }
                    Some(q) if qualified_word(q).is_some() => {
                        return Err(self.err_at(
                            t,
                            ParseErrorKind::BadQualifier {
                                qualifier: w.to_string(),
                                primitive: qualified_word(q).unwrap_or("host"),
                                hint: "",
                            },
                        ))
                    }
                    _ => {}
                }
                self.pos += 1;
                self.last = None;
                self.link(LinkPrim::Word(word))
            }
        }
    }

    /// What follows `ether` (or `link`, which libpcap reads the same way).
    fn ether_rest(&mut self, qualifier: &str) -> Result<Option<Expr>, ParseError> {
        let expected = "'host', 'src', 'dst', 'proto', 'broadcast' or 'multicast'";
        let Some(t) = self.peek() else {
            return Err(self.err_here(|found| ParseErrorKind::ExpectedAfter {
                expected,
                after: qualifier.to_string(),
                found,
            }));
        };
        match self.peek_word() {
            Some("broadcast") => {
                self.pos += 1;
                self.last = None;
                self.link(LinkPrim::Broadcast)
            }
            Some("multicast") => {
                self.pos += 1;
                self.last = None;
                self.link(LinkPrim::Multicast)
            }
            Some("proto") => {
                self.pos += 1;
                let quals = Quals {
                    proto: None,
                    dir: Dir::SrcOrDst,
                    kind: Kind::EtherProto,
                    after: "proto".to_string(),
                };
                let prim = self.link_value(&quals)?;
                self.last = Some(quals);
                Ok(Some(Expr::Prim(prim)))
            }
            Some(w @ ("host" | "src" | "dst")) => {
                let mut after = w.to_string();
                let mut dir = Dir::SrcOrDst;
                if let Some(d) = dir_keyword(w) {
                    self.pos += 1;
                    dir = d;
                    if let (Some(conj), Some(w2)) = (self.peek(), self.word_at(self.pos + 1)) {
                        let other = if d == Dir::Src { "dst" } else { "src" };
                        if w2 == other && (Self::is_and(&conj) || Self::is_or(&conj)) {
                            self.pos += 2;
                            after = w2.to_string();
                            dir = if Self::is_and(&conj) {
                                Dir::SrcAndDst
                            } else {
                                Dir::SrcOrDst
                            };
                        }
                    }
                }
                match self.peek_word() {
                    Some("host") => {
                        self.pos += 1;
                        after = "host".to_string();
                    }
                    Some(k) if qualified_word(k).is_some() => {
                        return Err(self.ether_cannot_qualify(k));
                    }
                    _ => {}
                }
                let quals = Quals {
                    proto: None,
                    dir,
                    kind: Kind::EtherHost,
                    after,
                };
                let prim = self.link_value(&quals)?;
                self.last = Some(quals);
                Ok(Some(Expr::Prim(prim)))
            }
            Some("gateway") => Err(self.err_at(
                t,
                ParseErrorKind::NotSupported {
                    what: format!("{qualifier} gateway"),
                },
            )),
            Some(k) if qualified_word(k).is_some() => Err(self.ether_cannot_qualify(k)),
            _ => Err(self.err_here(|found| ParseErrorKind::ExpectedAfter {
                expected,
                after: qualifier.to_string(),
                found,
            })),
        }
    }

    /// The address after `wlan addr1` … `wlan ta` (and an optional `host`).
    fn wlan_addr(&mut self, field: &str) -> Result<Option<Expr>, ParseError> {
        let mut after = field.to_string();
        if self.peek_word() == Some("host") {
            self.pos += 1;
            after = "host".to_string();
        }
        let quals = Quals {
            proto: None,
            dir: Dir::SrcOrDst,
            kind: Kind::EtherHost,
            after,
        };
        let field = WlanField::from_word(field).expect("checked by the caller");
        self.last = None;
        match self.link_value(&quals)? {
            Primitive::Link(LinkPrim::EtherHost { mac, .. }) => {
                self.link(LinkPrim::WlanAddr { field, mac })
            }
            other => Ok(Some(Expr::Prim(other))),
        }
    }

    /// The value after `type`, `subtype`, `dir` or `direction` (already consumed), and for
    /// `type` an optional `subtype`: names as libpcap spells them, or for `type` and `dir` a
    /// number (`type` as the frame control bits, 0x00, 0x04 or 0x08).
    fn wlan_frame_control(&mut self, keyword: &str) -> Result<LinkPrim, ParseError> {
        let expected = match keyword {
            "type" => "an 802.11 frame type (mgt, ctl, data)",
            "subtype" => "an 802.11 frame subtype such as beacon or qos-data",
            _ => "an 802.11 direction (nods, tods, fromds, dstods) or a number",
        };
        let tok = self.peek_value(expected, keyword)?;
        self.pos += 1;
        let text = tok.text();
        let unknown = |what: &'static str| ParseErrorKind::UnknownLinkName {
            what,
            name: text.to_string(),
        };
        let named = |table: &[(&str, u8)]| table.iter().find(|(n, _)| *n == text).map(|&(_, v)| v);
        let number = || match c_number(text) {
            Some(Ok(n)) => u8::try_from(n).ok(),
            _ => None,
        };
        match keyword {
            "type" => {
                let ty = named(WLAN_TYPES)
                    .or_else(|| number().filter(|n| n & !0x0c == 0 && *n != 0x0c))
                    .ok_or_else(|| self.err_at(tok, unknown("802.11 frame type")))?;
                if self.peek_word() != Some("subtype") {
                    return Ok(LinkPrim::WlanType(ty));
                }
                self.pos += 1;
                let tok = self.peek_value(expected, "subtype")?;
                self.pos += 1;
                let sub = WLAN_SUBTYPES
                    .iter()
                    .find(|(n, v)| *n == tok.text() && v & 0x0c == ty)
                    .ok_or_else(|| {
                        self.err_at(
                            tok,
                            ParseErrorKind::UnknownLinkName {
                                what: "802.11 subtype of that type",
                                name: tok.text().to_string(),
                            },
                        )
                    })?;
                Ok(LinkPrim::WlanSubtype(sub.1))
            }
            "subtype" => named(WLAN_SUBTYPES)
                .map(LinkPrim::WlanSubtype)
                .ok_or_else(|| self.err_at(tok, unknown("802.11 frame subtype"))),
            _ => named(WLAN_DIRS)
                .or_else(number)
                .map(LinkPrim::WlanDir)
                .ok_or_else(|| self.err_at(tok, unknown("802.11 direction"))),
        }
    }

    /// The number after `iso proto` / `isis proto`.
    fn osi_number(&mut self) -> Result<u32, ParseError> {
        let expected = "a number";
        let tok = self.peek_value(expected, "proto")?;
        self.pos += 1;
        match c_number(tok.text()) {
            Some(n) => n.map_err(|kind| self.err_at(tok, kind)),
            None => Err(self.err_at(
                tok,
                ParseErrorKind::ExpectedAfter {
                    expected,
                    after: "proto".to_string(),
                    found: Found::Token(tok.text().to_string()),
                },
            )),
        }
    }

    fn ether_cannot_qualify(&self, word: &str) -> ParseError {
        let kind = ParseErrorKind::BadQualifier {
            qualifier: "ether".to_string(),
            primitive: qualified_word(word).unwrap_or("host"),
            hint: "; use 'ether host', 'ether src', 'ether dst' or 'ether proto'",
        };
        self.err_here(|_| kind)
    }

    /// The value of `ether host` (an address or an /etc/ethers name) or `ether proto` (a
    /// number or a backslashed name), for the qualifiers `q`.
    pub(super) fn link_value(&mut self, q: &Quals) -> Result<Primitive, ParseError> {
        let expected = if q.kind == Kind::EtherProto {
            "an ethertype or SAP number, or a backslashed name such as \\ip"
        } else {
            "an Ethernet address such as aa:bb:cc:dd:ee:ff"
        };
        let tok = self.peek_value(expected, &q.after)?;
        self.pos += 1;
        let text = tok.text();
        if q.kind == Kind::EtherProto {
            let number = if let Some(name) = text.strip_prefix('\\') {
                ether_proto_name(name).ok_or_else(|| {
                    self.err_at(
                        tok,
                        ParseErrorKind::UnknownLinkName {
                            what: "ether proto name",
                            name: name.to_string(),
                        },
                    )
                })?
            } else {
                match c_number(text) {
                    Some(n) => n.map_err(|kind| self.err_at(tok, kind))?,
                    None => {
                        return Err(self.err_at(
                            tok,
                            ParseErrorKind::ExpectedAfter {
                                expected,
                                after: q.after.clone(),
                                found: Found::Token(text.to_string()),
                            },
                        ))
                    }
                }
            };
            return Ok(Primitive::Link(LinkPrim::EtherProto(number)));
        }
        let mac = match MacAddr::parse(text) {
            Some(mac) => mac,
            None => ethers_lookup(text).ok_or_else(|| {
                self.err_at(
                    tok,
                    ParseErrorKind::UnknownEtherHost {
                        name: text.to_string(),
                    },
                )
            })?,
        };
        Ok(Primitive::Link(LinkPrim::EtherHost { dir: q.dir, mac }))
    }
}

/// A qualifier word that would give a link word or `ether` an address or port, as the
/// name of what it qualifies.
fn qualified_word(w: &str) -> Option<&'static str> {
    Some(match w {
        "host" => "host",
        "src" => "src",
        "dst" => "dst",
        "net" => "net",
        "port" => "port",
        "portrange" => "portrange",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::filter::{compile, compile_for_cooked_socket, parse, CompileError, Framing};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Link-layer words in any order: an error or a program for every link type, never a
        /// panic or a program the kernel's checks refuse.
        #[test]
        fn link_words_never_panic(
            words in prop::collection::vec(
                prop::sample::select(vec![
                    "ether", "link", "host", "src", "dst", "proto", "\\ip", "\\stp", "\\x",
                    "broadcast", "multicast", "llc", "ui", "i", "stp", "ipx", "isis", "iso",
                    "l1", "psnp", "rarp", "decnet", "1:2:3:4:5:6", "aabb.ccdd.eeff", "0x800",
                    "42", "10.0.0.1", "and", "or", "not", "(", ")", "ip", "ip6", "gateway",
                    "rarp[7]", "=", "1",
                ]),
                0..10,
            )
        ) {
            let s = words.join(" ");
            match parse(&s) {
                Err(e) => {
                    prop_assert!(e.offset <= s.len());
                    prop_assert!(!e.to_string().contains('\n'));
                }
                Ok(e) => {
                    let framings = [
                        Framing::Ethernet,
                        Framing::LinuxSll,
                        Framing::RawIp,
                        Framing::Ipv4,
                        Framing::Ipv6,
                        Framing::Null { big_endian: false },
                        Framing::Null { big_endian: true },
                        Framing::Loop,
                    ];
                    for framing in framings {
                        let r = compile(&e, framing);
                        prop_assert!(
                            !matches!(r, Err(CompileError::Internal(_))),
                            "{s} on {framing:?}: {r:?}"
                        );
                    }
                    let r = compile_for_cooked_socket(&e);
                    prop_assert!(!matches!(r, Err(CompileError::Internal(_))), "{s}: {r:?}");
                }
            }
        }
    }

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
    fn link_primitives_read_back() {
        assert_eq!(
            p("ether host 0:1b:2c:3d:4e:5f"),
            "ether src or dst host 00:1b:2c:3d:4e:5f"
        );
        assert_eq!(
            p("link src 001b.2c3d.4e5f"),
            "ether src host 00:1b:2c:3d:4e:5f"
        );
        assert_eq!(
            p("ether dst and src host 001B2C3D4E5F"),
            "ether src and dst host 00:1b:2c:3d:4e:5f"
        );
        assert_eq!(
            p("ether dst 1-2-3-4-5-6 or 7.8.9.a.b.c"),
            "(ether dst host 01:02:03:04:05:06) or (ether dst host 07:08:09:0a:0b:0c)"
        );
        assert_eq!(p("ether proto \\stp"), "ether proto 66");
        assert_eq!(
            p("wlan dst 1:2:3:4:5:6"),
            "ether dst host 01:02:03:04:05:06"
        );
        assert_eq!(p("fddi[0] = 1"), "link[0 : 1] = 1");
        assert_eq!(
            p("link proto 0x800 or 0x806"),
            "(ether proto 2048) or (ether proto 2054)"
        );
        assert_eq!(p("rarp"), "rarp");
        assert_eq!(p("rarp src 10.0.0.1"), "rarp src host 10.0.0.1");
        assert_eq!(p("rarp[7] = 3"), "rarp[7 : 1] = 3");
        assert_eq!(p("llc"), "llc");
        assert_eq!(p("llc sabme and stp"), "(llc sabme) and (stp)");
        assert_eq!(
            p("broadcast or link multicast"),
            "(ether broadcast) or (ether multicast)"
        );
        assert_eq!(
            p("ip multicast and not ip broadcast or ip6 multicast"),
            "((ip multicast) and (not (ip broadcast))) or (ip6 multicast)"
        );
        for w in ["decnet", "isis", "l1", "psnp", "ipx", "netbeui"] {
            assert_eq!(p(w), w);
        }
        // Every printed form parses back to the same tree.
        for s in [
            "ether src and dst host 00:1b:2c:3d:4e:5f",
            "ether proto 2048",
            "llc xid",
            "ether broadcast",
            "rarp src or dst net 10.0.0.0/8",
        ] {
            assert_eq!(p(&p(s)), p(s));
        }
    }

    #[test]
    fn link_errors_name_what_is_wrong() {
        assert_eq!(
            err("ether host aa:bb:cc:dd:ee"),
            (
                11,
                "'aa:bb:cc:dd:ee' is neither an Ethernet address such as aa:bb:cc:dd:ee:ff \
                 nor a host name in /etc/ethers"
                    .into()
            )
        );
        assert_eq!(
            err("ether proto \\tcp"),
            (12, "unknown ether proto name 'tcp'".into())
        );
        assert_eq!(
            err("ether proto tcp").1,
            "expected an ethertype or SAP number, or a backslashed name such as \\ip after \
             'proto', found 'tcp'"
        );
        assert_eq!(err("llc foo"), (4, "unknown LLC frame type 'foo'".into()));
        assert_eq!(
            err("clnp proto 1"),
            (0, "'clnp proto' is not supported".into())
        );
        assert_eq!(p("isis proto 0x12"), "isis proto 18");
        assert_eq!(p("iso proto 131 and l1"), "(iso proto 131) and (l1)");
        assert_eq!(p("decnet src 1.1"), "decnet src host 1.1");
        assert_eq!(
            err("ether gateway foo"),
            (6, "'ether gateway' is not supported".into())
        );
        assert_eq!(
            err("stp host 1.2.3.4"),
            (0, "'stp' cannot qualify 'host'".into())
        );
        assert_eq!(
            err("ether net 1:2:3:4:5:6").1,
            "'ether' cannot qualify 'net'; use 'ether host', 'ether src', 'ether dst' or \
             'ether proto'"
        );
        assert_eq!(
            err("ether"),
            (
                5,
                "expected 'host', 'src', 'dst', 'proto', 'broadcast' or 'multicast' after \
                 'ether', found end of expression"
                    .into()
            )
        );
        assert_eq!(
            err("ip6 broadcast"),
            (
                0,
                "'ip6' cannot qualify 'broadcast'; use 'ether', 'ip' or 'ip6'".into()
            )
        );
        assert_eq!(
            err("rarp host ::1"),
            (10, "'rarp' cannot qualify the IPv6 address '::1'".into())
        );
        assert_eq!(
            err("ether proto 0x800 and 1.2.3.4").0,
            22,
            "a bare value after 'ether proto' must be an ethertype"
        );
    }
}
