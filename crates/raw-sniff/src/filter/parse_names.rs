//! The values libpcap 1.10 reads for `host`, `net`, `port` and `portrange`, and the `proto`
//! and `protochain` qualifiers: names, abbreviated and hexadecimal IPv4 addresses, masks of
//! any shape, single-port ranges.
//!
//! - A number alone (`host 10`, `dst 0xc0a80001`) is a whole IPv4 address; after `net` it is
//!   a network number whose leading zero bytes are dropped (`net 10` is 10.0.0.0/8).
//! - Two or three dotted parts (`host 10.1`, `net 192.168`) are the leading bytes of a
//!   network, for `host` too (`host 10.1` is 10.1.0.0/16). Every part is decimal, even with a
//!   leading 0 (`010.0.0.1` is 10.0.0.1).
//! - `net A/len` may have spaces around the `/`; `net A mask M` takes any mask, and an
//!   abbreviated one (`mask 255.255` is 255.255.0.0). An IPv6 `host` takes only `/128`.
//! - A host name stands for every address the resolver gives; `ip host` keeps the IPv4
//!   ones and `ip6 host` the IPv6 ones. A network name is looked up in /etc/networks.
//! - A service name is a TCP port if /etc/services lists it for TCP, else a UDP port. Only a
//!   name with the same number for both matches any transport; `port http` (TCP only)
//!   matches TCP alone, and `udp port http` is an error.
//! - `portrange A-B` reads `A-B` as libpcap does: two decimal numbers, or else two names
//!   (or decimal numbers) split at the first `-`; `portrange N` is the range `N-N`.
//! - `decnet host AREA.NODE` (or a number, of which the low 16 bits count) with `src`,
//!   `dst` or both; `gateway` is refused as not supported.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::arith::c_number;
use super::{
    AddrProto, Dir, Expr, Found, IpNet, Kind, ParseError, ParseErrorKind, Parser, PortProto,
    PortRange, Primitive, Proto, Quals, Tok, Token,
};
use crate::filter::resolve::ServiceProto;

/// The transport a service name resolved to, as libpcap's `PROTO_UNDEF` / TCP / UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Real {
    Any,
    Tcp,
    Udp,
}

impl<'a> Parser<'a> {
    /// The value of a `host`/`net`/`port`/`portrange` primitive in the forms only this file
    /// reads; `None` (nothing consumed) leaves it to [`Parser::value`].
    pub(super) fn ip_value(&mut self, q: &Quals) -> Result<Option<Expr>, ParseError> {
        let Some(tok) = self.peek() else {
            return Ok(None);
        };
        let Tok::Word(text) = tok.tok else {
            return Ok(None);
        };
        if matches!(text, "and" | "or" | "not") {
            return Ok(None);
        }
        match q.kind {
            Kind::Host | Kind::Net => {
                let proto = match q.proto {
                    None => AddrProto::Any,
                    Some(Proto::Ip) => AddrProto::Ip,
                    Some(Proto::Ip6) => AddrProto::Ip6,
                    Some(Proto::Arp) => AddrProto::Arp,
                    Some(Proto::Rarp) => AddrProto::Rarp,
                    Some(_) => return Ok(None),
                };
                self.address(q, proto, tok, text)
            }
            Kind::Port | Kind::PortRange => {
                let proto = match q.proto {
                    None => PortProto::Any,
                    Some(Proto::Tcp) => PortProto::Tcp,
                    Some(Proto::Udp) => PortProto::Udp,
                    Some(Proto::Sctp) => PortProto::Sctp,
                    Some(_) => return Ok(None),
                };
                if q.kind == Kind::Port {
                    self.port_value(q, proto, tok, text)
                } else {
                    self.portrange_value(q, proto, tok, text)
                }
            }
            // Ethernet addresses and ethertypes are read by `link_value`.
            Kind::EtherHost | Kind::EtherProto => Ok(None),
        }
    }

    fn address(
        &mut self,
        q: &Quals,
        proto: AddrProto,
        tok: Token<'a>,
        text: &'a str,
    ) -> Result<Option<Expr>, ParseError> {
        let prim = |net: IpNet| {
            let addr = net.addr();
            let full = if addr.is_ipv4() { 32 } else { 128 };
            Expr::Prim(if net.prefix() == full && q.kind == Kind::Host {
                Primitive::Host {
                    proto,
                    dir: q.dir,
                    addr,
                }
            } else {
                Primitive::Net {
                    proto,
                    dir: q.dir,
                    net,
                }
            })
        };
        let (addr_text, _) = text.split_once('/').unwrap_or((text, ""));
        if let Some(name) = text.strip_prefix('\\') {
            self.pos += 1;
            return self.named_address(q, proto, tok, name).map(Some);
        }
        if addr_text.contains(':') {
            let Ok(a) = addr_text.parse::<Ipv6Addr>() else {
                return Ok(None);
            };
            self.pos += 1;
            let len = self.slash_len(tok, text)?;
            self.check_family(proto, q, IpAddr::V6(a), tok)?;
            let Some(len) = len else {
                return Ok(Some(prim(IpNet::new(a.into(), 128).expect("a /128"))));
            };
            if len > 128 {
                return Err(self.err_at(
                    tok,
                    ParseErrorKind::PrefixTooLong {
                        net: text.to_string(),
                        max: 128,
                    },
                ));
            }
            let net = IpNet::new(a.into(), len as u8).ok_or_else(|| {
                self.err_at(
                    tok,
                    ParseErrorKind::HostBitsSet {
                        net: text.to_string(),
                    },
                )
            })?;
            if q.kind == Kind::Host && len != 128 {
                return Err(self.err_at(
                    tok,
                    ParseErrorKind::NetworkNeedsNet {
                        value: text.to_string(),
                    },
                ));
            }
            return Ok(Some(prim(net)));
        }
        if let Some(n) = c_number(text) {
            // A number alone: a whole address, or after `net` a network number.
            let v = n.map_err(|kind| self.err_at(tok, kind))?;
            self.pos += 1;
            self.check_family(proto, q, IpAddr::V4(Ipv4Addr::from(v)), tok)?;
            let (v, mask) = if q.kind == Kind::Net {
                left_justify(v)
            } else {
                (v, u32::MAX)
            };
            return Ok(Some(prim(v4_net(v, mask))));
        }
        if let Some(dotted) = dotted_parts(addr_text) {
            let (v, bits) = dotted.ok_or_else(|| {
                self.err_at(
                    tok,
                    ParseErrorKind::InvalidIpv4 {
                        value: addr_text.to_string(),
                    },
                )
            })?;
            self.pos += 1;
            let v = shift_left(v, 32 - bits);
            self.check_family(proto, q, IpAddr::V4(Ipv4Addr::from(v)), tok)?;
            let masked = |p: &Self, written: String, v: u32, m: u32| {
                if v & !m != 0 {
                    return Err(p.err_at(tok, ParseErrorKind::HostBitsSet { net: written }));
                }
                if q.kind != Kind::Net {
                    return Err(p.err_at(tok, ParseErrorKind::NetworkNeedsNet { value: written }));
                }
                Ok(Some(prim(v4_net(v, m))))
            };
            if let Some(len) = self.slash_len(tok, text)? {
                if len > 32 {
                    return Err(self.err_at(
                        tok,
                        ParseErrorKind::PrefixTooLong {
                            net: text.to_string(),
                            max: 32,
                        },
                    ));
                }
                let m = shift_left(u32::MAX, 32 - len);
                return masked(self, format!("{addr_text}/{len}"), v, m);
            }
            if self.peek_word() == Some("mask") {
                self.pos += 1;
                let mask_tok = self.peek_value("an IPv4 netmask", "mask")?;
                let mt = mask_tok.text();
                let m = match dotted_parts(mt) {
                    Some(Some((m, bits))) => shift_left(m, 32 - bits),
                    Some(None) => {
                        return Err(self.err_at(
                            mask_tok,
                            ParseErrorKind::InvalidIpv4 {
                                value: mt.to_string(),
                            },
                        ))
                    }
                    None => {
                        return Err(self.err_at(
                            mask_tok,
                            ParseErrorKind::ExpectedAfter {
                                expected: "a dotted IPv4 netmask such as 255.255.0.0",
                                after: "mask".to_string(),
                                found: Found::Token(mt.to_string()),
                            },
                        ))
                    }
                };
                self.pos += 1;
                return masked(self, format!("{addr_text} mask {mt}"), v, m);
            }
            let mask = shift_left(u32::MAX, 32 - bits);
            return Ok(Some(prim(v4_net(v, mask))));
        }
        if is_name(text) {
            self.pos += 1;
            return self.named_address(q, proto, tok, text).map(Some);
        }
        Ok(None)
    }

    /// A prefix length written after `/`, in this word or the next one or two
    /// (`10.0.0.0/8`, `10.0.0.0 / 8`, `10.0.0.0/ 8`, `10.0.0.0 /8`); C-style numbers.
    fn slash_len(&mut self, tok: Token<'a>, text: &str) -> Result<Option<u32>, ParseError> {
        let len_tok;
        let len_text = if let Some((_, len)) = text.split_once('/') {
            if len.is_empty() {
                len_tok = self.peek_value("a prefix length", "/")?;
                self.pos += 1;
                len_tok.text()
            } else {
                len_tok = tok;
                len
            }
        } else {
            match self.peek_word() {
                Some("/") => {
                    self.pos += 1;
                    len_tok = self.peek_value("a prefix length", "/")?;
                    self.pos += 1;
                    len_tok.text()
                }
                Some(w) if w.starts_with('/') => {
                    len_tok = self.peek().expect("peeked");
                    self.pos += 1;
                    &w[1..]
                }
                _ => return Ok(None),
            }
        };
        match c_number(len_text) {
            Some(n) => n.map(Some).map_err(|kind| self.err_at(len_tok, kind)),
            None => Err(self.err_at(
                len_tok,
                ParseErrorKind::ExpectedAfter {
                    expected: "a prefix length",
                    after: "/".to_string(),
                    found: Found::Token(len_text.to_string()),
                },
            )),
        }
    }

    /// `host NAME` (every address of it) or `net NAME` (/etc/networks).
    fn named_address(
        &mut self,
        q: &Quals,
        proto: AddrProto,
        tok: Token<'_>,
        name: &str,
    ) -> Result<Expr, ParseError> {
        if q.kind == Kind::Net {
            let number = self.resolver.network(name).filter(|&n| n != 0);
            let Some(number) = number else {
                return Err(self.err_at(
                    tok,
                    ParseErrorKind::UnknownNetwork {
                        name: name.to_string(),
                    },
                ));
            };
            let (v, mask) = left_justify(number);
            self.check_family(proto, q, IpAddr::V4(Ipv4Addr::from(v)), tok)?;
            return Ok(Expr::Prim(Primitive::Net {
                proto,
                dir: q.dir,
                net: v4_net(v, mask),
            }));
        }
        let mut found = None;
        for addr in self.resolver.host(name) {
            let keep = match proto {
                AddrProto::Ip => addr.is_ipv4(),
                AddrProto::Ip6 => addr.is_ipv6(),
                // libpcap refuses an IPv6 address of the name for `arp host`.
                AddrProto::Arp | AddrProto::Rarp => {
                    self.check_family(proto, q, addr, tok)?;
                    true
                }
                AddrProto::Any => true,
            };
            if !keep {
                continue;
            }
            let prim = Expr::Prim(Primitive::Host {
                proto,
                dir: q.dir,
                addr,
            });
            found = Some(match found {
                None => prim,
                Some(e) => Expr::or(e, prim),
            });
        }
        found.ok_or_else(|| {
            self.err_at(
                tok,
                ParseErrorKind::UnknownHost {
                    name: name.to_string(),
                    family: proto != AddrProto::Any,
                },
            )
        })
    }

    fn port_value(
        &mut self,
        q: &Quals,
        proto: PortProto,
        tok: Token<'_>,
        text: &str,
    ) -> Result<Option<Expr>, ParseError> {
        let (port, real) = match self.port_number(tok, text) {
            Some(p) => (p?, Real::Any),
            None if is_name(text) => self.service(text).ok_or_else(|| {
                self.err_at(
                    tok,
                    ParseErrorKind::UnknownPort {
                        name: text.to_string(),
                        range: false,
                    },
                )
            })?,
            None => return Ok(None),
        };
        let proto = self.port_proto(tok, text, proto, real, false)?;
        self.pos += 1;
        Ok(Some(port_prim(q.dir, proto, PortRange::single(port))))
    }

    fn portrange_value(
        &mut self,
        q: &Quals,
        proto: PortProto,
        tok: Token<'_>,
        text: &str,
    ) -> Result<Option<Expr>, ParseError> {
        let unknown = |p: &Self| {
            p.err_at(
                tok,
                ParseErrorKind::UnknownPort {
                    name: text.to_string(),
                    range: true,
                },
            )
        };
        let out_of_range = |p: &Self, v: u64| {
            p.err_at(
                tok,
                ParseErrorKind::PortOutOfRange {
                    value: v.to_string(),
                },
            )
        };
        let (lo, hi, real) = if let Some((a, b)) = scan_two_numbers(text) {
            // sscanf("%d-%d"): decimal, whatever follows the second number.
            let a = u16::try_from(a).map_err(|_| out_of_range(self, a))?;
            let b = u16::try_from(b).map_err(|_| out_of_range(self, b))?;
            (a, b, Real::Any)
        } else if let Some((a, b)) = text.split_once('-').filter(|_| is_name(text)) {
            let (a, ra) = self.range_end(a).ok_or_else(|| unknown(self))?;
            let (b, rb) = self.range_end(b).ok_or_else(|| unknown(self))?;
            (a, b, if ra == rb { ra } else { Real::Any })
        } else {
            match self.port_number(tok, text) {
                Some(p) => {
                    let p = p?;
                    (p, p, Real::Any)
                }
                None if is_name(text) => return Err(unknown(self)),
                None => return Ok(None),
            }
        };
        let proto = self.port_proto(tok, text, proto, real, true)?;
        self.pos += 1;
        Ok(Some(port_prim(
            q.dir,
            proto,
            PortRange {
                lo: lo.min(hi),
                hi: lo.max(hi),
            },
        )))
    }

    /// One end of a `portrange` split at `-`: a decimal number (as `getaddrinfo` reads a
    /// numeric service: any size, kept to 16 bits) or a service name.
    fn range_end(&self, s: &str) -> Option<(u16, Real)> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            let v = s.parse::<u64>().unwrap_or(u64::MAX);
            return Some((v as u16, Real::Any));
        }
        self.service(s)
    }

    /// libpcap's `pcap_nametoport`: the TCP port if there is one, then the UDP port; both
    /// with the same number mean any transport.
    fn service(&self, name: &str) -> Option<(u16, Real)> {
        let tcp = self.resolver.service(name, ServiceProto::Tcp);
        let udp = self.resolver.service(name, ServiceProto::Udp);
        match (tcp, udp) {
            (Some(t), Some(u)) if t == u => Some((t, Real::Any)),
            (Some(t), _) => Some((t, Real::Tcp)),
            (None, Some(u)) => Some((u, Real::Udp)),
            (None, None) => None,
        }
    }

    /// The qualifier, checked against what the service name said.
    fn port_proto(
        &self,
        tok: Token<'_>,
        text: &str,
        proto: PortProto,
        real: Real,
        range: bool,
    ) -> Result<PortProto, ParseError> {
        let named = match real {
            Real::Any => return Ok(proto),
            Real::Tcp => PortProto::Tcp,
            Real::Udp => PortProto::Udp,
        };
        if proto == PortProto::Any || proto == named {
            return Ok(named);
        }
        Err(self.err_at(
            tok,
            ParseErrorKind::PortOfOtherProto {
                name: text.to_string(),
                range,
                proto: if named == PortProto::Tcp {
                    "tcp"
                } else {
                    "udp"
                },
            },
        ))
    }

    /// `proto`, `protochain`, `ip protochain` and `ip6 protochain`, which [`Parser::primitive`]
    /// does not read; `None` (nothing consumed) for anything else.
    pub(super) fn proto_words(&mut self) -> Result<Option<Expr>, ParseError> {
        if let Some(w @ "gateway") = self.peek_word() {
            // `gateway` needs /etc/ethers and link-layer code: not implemented, and it
            // should not read as a typo.
            let t = self.peek().expect("peeked");
            return Err(self.err_at(
                t,
                ParseErrorKind::NotSupported {
                    what: w.to_string(),
                },
            ));
        }
        if let Some(e) = self.decnet()? {
            return Ok(Some(e));
        }
        if let (Some(w @ ("ah" | "esp")), Some(Tok::Sym("["))) = (
            self.peek_word(),
            self.tokens.get(self.pos + 1).map(|t| t.tok),
        ) {
            // libpcap refuses these too ("unsupported index operation").
            let t = self.peek().expect("peeked");
            return Err(self.err_at(
                t,
                ParseErrorKind::NotSupported {
                    what: format!("{w}[…] (a byte load from AH or ESP)"),
                },
            ));
        }
        let repeated = match (self.proto_last, self.last.is_none(), self.peek_word()) {
            (Some((family, keyword, n)), true, Some(w))
                if n + 1 == self.primitives
                    && (c_number(w).is_some() || w.starts_with('\\') || is_name(w)) =>
            {
                Some((family, keyword))
            }
            _ => None,
        };
        let (family, keyword) = match (self.peek_word(), self.tokens.get(self.pos + 1)) {
            _ if repeated.is_some() => repeated.expect("matched"),
            (Some("proto"), _) => (None, "proto"),
            (Some("protochain"), _) => (None, "protochain"),
            (
                Some(f @ ("ip" | "ip6")),
                Some(Token {
                    tok: Tok::Word("protochain"),
                    ..
                }),
            ) => (Some(f == "ip6"), "protochain"),
            _ => return Ok(None),
        };
        if repeated.is_none() {
            self.pos += if family.is_some() { 2 } else { 1 };
        }
        self.last = None;
        let number = self.proto_number(family, keyword)?;
        let prim = |v6: bool| {
            Expr::Prim(if keyword == "proto" {
                Primitive::NetProto { v6, number }
            } else {
                Primitive::ProtoChain { v6, number }
            })
        };
        Ok(Some(match family {
            Some(v6) => prim(v6),
            None => Expr::or(prim(false), prim(true)),
        }))
    }

    /// `decnet [src|dst|src or dst|src and dst] [host|net] A.N`, or a bare value right
    /// after one; `None` (nothing consumed) for anything else, `decnet` alone included.
    fn decnet(&mut self) -> Result<Option<Expr>, ParseError> {
        let word = |p: &Self, i: usize| match p.tokens.get(p.pos + i).map(|t| t.tok) {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        };
        let dir = if word(self, 0) == Some("decnet") {
            let mut i = 1;
            let mut dir = match word(self, 1) {
                Some("src") => Some(Dir::Src),
                Some("dst") => Some(Dir::Dst),
                _ => None,
            };
            if let Some(d) = dir {
                i += 1;
                let other = if d == Dir::Src { "dst" } else { "src" };
                if let (Some(c @ ("and" | "or")), Some(w2)) = (word(self, 2), word(self, 3)) {
                    if w2 == other {
                        dir = Some(if c == "and" {
                            Dir::SrcAndDst
                        } else {
                            Dir::SrcOrDst
                        });
                        i += 2;
                    }
                }
            }
            match word(self, i) {
                Some("host" | "net") => i += 1,
                Some(k @ ("port" | "portrange" | "proto" | "protochain")) => {
                    let t = self.tokens[self.pos + i];
                    return Err(self.err_at(
                        t,
                        ParseErrorKind::BadQualifier {
                            qualifier: "decnet".to_string(),
                            primitive: if k == "port" { "port" } else { "portrange" },
                            hint: "",
                        },
                    ));
                }
                _ if dir.is_none() => return Ok(None),
                _ => {}
            }
            self.pos += i;
            dir.unwrap_or(Dir::SrcOrDst)
        } else {
            match (self.decnet_last, self.last.is_none(), self.peek_word()) {
                (Some((dir, n)), true, Some(w))
                    if n + 1 == self.primitives
                        && (c_number(w).is_some() || dotted_parts(w).is_some()) =>
                {
                    dir
                }
                _ => return Ok(None),
            }
        };
        let after = self.tokens[self.pos.saturating_sub(1)].text().to_string();
        let tok = self.peek_value("a DECnet address such as 1.2", &after)?;
        let text = tok.text();
        let addr = if let Some(n) = c_number(text) {
            // libpcap keeps the low 16 bits of a plain number.
            n.map_err(|kind| self.err_at(tok, kind))? as u16
        } else {
            // sscanf("%d.%d"): area and node, each cut to its field.
            let parts: Vec<&str> = text.split('.').collect();
            let decimal = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
            if dotted_parts(text).is_none() || !decimal(parts[0]) || !decimal(parts[1]) {
                return Err(self.err_at(
                    tok,
                    ParseErrorKind::ExpectedAfter {
                        expected: "a DECnet address such as 1.2",
                        after,
                        found: Found::Token(text.to_string()),
                    },
                ));
            }
            let num = |p: &str| p.parse::<u64>().unwrap_or(u64::MAX) as u32;
            let (area, node) = (num(parts[0]), num(parts[1]));
            ((area.wrapping_shl(10) & 0xfc00) | (node & 0x3ff)) as u16
        };
        self.pos += 1;
        if matches!(self.peek_word(), Some("mask"))
            || matches!(self.peek_word(), Some(w) if w.starts_with('/'))
        {
            let t = self.peek().expect("peeked");
            return Err(self.err_at(
                t,
                ParseErrorKind::NotSupported {
                    what: "a mask on a DECnet address".to_string(),
                },
            ));
        }
        self.last = None;
        self.decnet_last = Some((dir, self.primitives));
        Ok(Some(Expr::Prim(Primitive::DecnetHost { dir, addr })))
    }

    /// The value of `proto`/`protochain`: a number, `\name` or a name that is no keyword,
    /// names from /etc/protocols (the same table for IPv4 and IPv6, as in libpcap).
    pub(super) fn proto_number(
        &mut self,
        v6: Option<bool>,
        keyword: &'static str,
    ) -> Result<u32, ParseError> {
        self.proto_last = Some((v6, keyword, self.primitives));
        let expected = "a protocol number or a backslashed name such as \\tcp";
        let tok = self.peek_value(expected, keyword)?;
        let text = tok.text();
        let number = if let Some(n) = c_number(text) {
            n.map_err(|kind| self.err_at(tok, kind))?
        } else {
            let name = match text.strip_prefix('\\') {
                Some(name) => name,
                None if is_name(text) => text,
                None => {
                    return Err(self.err_at(
                        tok,
                        ParseErrorKind::ExpectedAfter {
                            expected,
                            after: keyword.to_string(),
                            found: Found::Token(text.to_string()),
                        },
                    ))
                }
            };
            self.resolver.protocol(name).ok_or_else(|| {
                self.err_at(
                    tok,
                    ParseErrorKind::UnknownProtoName {
                        family: if v6 == Some(true) { "ip6" } else { "ip" },
                        name: name.to_string(),
                    },
                )
            })?
        };
        self.pos += 1;
        Ok(number)
    }
}

fn port_prim(dir: Dir, proto: PortProto, range: PortRange) -> Expr {
    Expr::Prim(Primitive::Port { proto, dir, range })
}

/// `v << by`, 0 when shifting all bits out.
fn shift_left(v: u32, by: u32) -> u32 {
    v.checked_shl(by).unwrap_or(0)
}

/// A network number moved up until its first byte is not zero, with the mask of the bytes
/// it had (`10` is 10.0.0.0 mask 255.0.0.0), as libpcap promotes `net 10`.
fn left_justify(mut v: u32) -> (u32, u32) {
    let mut mask = u32::MAX;
    while v != 0 && v & 0xff00_0000 == 0 {
        v <<= 8;
        mask <<= 8;
    }
    (v, mask)
}

fn v4_net(v: u32, mask: u32) -> IpNet {
    IpNet::with_mask(
        IpAddr::V4(Ipv4Addr::from(v & mask)),
        IpAddr::V4(Ipv4Addr::from(mask)),
    )
    .expect("masked address")
}

/// Two to four dot-separated numbers, as libpcap's lexer takes them for an address:
/// `None` if `s` is not of that shape; `Some(None)` if it is but libpcap refuses it (a part
/// above 255, or in hex, which its decimal reading cannot take); else the value and the
/// number of bits written.
fn dotted_parts(s: &str) -> Option<Option<(u32, u32)>> {
    let parts: Vec<&str> = s.split('.').collect();
    let is_n = |p: &str| {
        let hex = p
            .strip_prefix("0x")
            .or(p.strip_prefix("0X"))
            .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
        hex || (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    if !(2..=4).contains(&parts.len()) || !parts.iter().all(|p| is_n(p)) {
        return None;
    }
    let mut v = 0u32;
    for p in &parts {
        let decimal = p.bytes().all(|b| b.is_ascii_digit());
        let n = p.trim_start_matches('0');
        if !decimal || n.len() > 3 {
            return Some(None);
        }
        let n: u32 = if n.is_empty() { 0 } else { n.parse().ok()? };
        if n > 255 {
            return Some(None);
        }
        v = (v << 8) | n;
    }
    Some(Some((v, 8 * parts.len() as u32)))
}

/// `sscanf(s, "%d-%d")` for what libpcap's lexer lets through: digits, `-`, digits, and
/// anything after.
fn scan_two_numbers(s: &str) -> Option<(u64, u64)> {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let n1 = digits(s);
    let rest = s[n1..].strip_prefix('-')?;
    let n2 = digits(rest);
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let num = |d: &str| d.parse::<u64>().unwrap_or(u64::MAX);
    Some((num(&s[..n1]), num(&rest[..n2])))
}

/// Whether `w` is a name to libpcap's lexer (letters, digits, `-`, `_`, `.`, not starting
/// or ending with `-`/`_`) and not one of its keywords, so that it is looked up.
fn is_name(w: &str) -> bool {
    let b = w.as_bytes();
    let ok_inner = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
    let ok_edge = |c: &u8| c.is_ascii_alphanumeric() || *c == b'.';
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && ok_edge(&b[b.len() - 1])
        && b.iter().all(ok_inner)
        && !KEYWORDS.contains(&w)
        && dotted_parts(w).is_none()
}

/// libpcap 1.10's keywords, which its lexer never hands over as names.
const KEYWORDS: &[&str] = &[
    "dst",
    "src",
    "host",
    "gateway",
    "net",
    "mask",
    "port",
    "portrange",
    "proto",
    "protochain",
    "arp",
    "rarp",
    "ip",
    "sctp",
    "tcp",
    "udp",
    "icmp",
    "igmp",
    "igrp",
    "pim",
    "vrrp",
    "carp",
    "radio",
    "ip6",
    "icmp6",
    "ah",
    "esp",
    "atalk",
    "aarp",
    "decnet",
    "lat",
    "sca",
    "moprc",
    "mopdl",
    "iso",
    "esis",
    "es-is",
    "isis",
    "is-is",
    "l1",
    "l2",
    "iih",
    "lsp",
    "snp",
    "csnp",
    "psnp",
    "clnp",
    "stp",
    "ipx",
    "netbeui",
    "host",
    "ether",
    "fddi",
    "tr",
    "wlan",
    "ppp",
    "slip",
    "link",
    "inbound",
    "outbound",
    "ifindex",
    "vlan",
    "mpls",
    "pppoed",
    "pppoes",
    "geneve",
    "lane",
    "llc",
    "metac",
    "bcc",
    "oam",
    "oamf4",
    "oamf4ec",
    "oamf4sc",
    "sc",
    "ilmic",
    "vpi",
    "vci",
    "connectmsg",
    "metaconnect",
    "less",
    "greater",
    "byte",
    "broadcast",
    "multicast",
    "and",
    "or",
    "not",
    "len",
    "type",
    "subtype",
    "direction",
    "dir",
    "address1",
    "addr1",
    "address2",
    "addr2",
    "address3",
    "addr3",
    "address4",
    "addr4",
    "ra",
    "ta",
    "on",
    "ifname",
    "rnr",
    "rulenum",
    "reason",
    "rset",
    "ruleset",
    "srnr",
    "subrulenum",
    "action",
    "fisu",
    "lssu",
    "lsu",
    "msu",
    "hfisu",
    "hlssu",
    "hmsu",
    "sio",
    "opc",
    "dpc",
    "sls",
    "hsio",
    "hopc",
    "hdpc",
    "hsls",
];

#[cfg(test)]
mod tests {
    use super::super::parse_with;
    use super::*;
    use crate::filter::resolve::Tables;

    fn names() -> Tables {
        Tables {
            hosts: "10.0.0.7 box\n2001:db8::7 box\n10.0.0.8 v4only\n::9 v6only\n".into(),
            services: "http 80/tcp www\ndomain 53/tcp\ndomain 53/udp\nbootpc 68/udp\n\
                       odd 100/tcp\nodd 101/udp\n"
                .into(),
            networks: "loopback 127.0.0.0\nten 10\nlinklocal 169.254\nzero 0\n".into(),
            protocols: "tcp 6 TCP\nospf 89 OSPFIGP\n".into(),
        }
    }

    /// The expression as the parser reads it, printed back; the print must read the same.
    fn p(s: &str) -> String {
        let names = names();
        let e = parse_with(s, &names).unwrap_or_else(|e| panic!("{}", e.render(s)));
        let again = parse_with(&e.to_string(), &names).expect("printed form parses");
        assert_eq!(again, e, "'{s}' prints as '{e}', which reads differently");
        e.to_string()
    }

    fn err(s: &str) -> String {
        parse_with(s, &names()).expect_err(s).to_string()
    }

    #[test]
    fn numeric_and_abbreviated_ipv4() {
        assert_eq!(p("host 10"), "src or dst host 0.0.0.10");
        assert_eq!(p("dst 443"), "dst host 0.0.1.187");
        assert_eq!(p("host 0xc0a80001"), "src or dst host 192.168.0.1");
        assert_eq!(p("net 10"), "src or dst net 10.0.0.0/8");
        assert_eq!(p("net 0xc0a8"), "src or dst net 192.168.0.0/16");
        assert_eq!(p("net 0xc0a80000"), "src or dst net 192.168.0.0/32");
        assert_eq!(p("net 0"), "src or dst net 0.0.0.0/32");
        assert_eq!(p("net 192.168"), "src or dst net 192.168.0.0/16");
        assert_eq!(p("net 10.1.2"), "src or dst net 10.1.2.0/24");
        assert_eq!(p("host 10.1"), "src or dst net 10.1.0.0/16");
        assert_eq!(p("ip src 10.1.2"), "ip src net 10.1.2.0/24");
        assert_eq!(p("host 010.0.0.1"), "src or dst host 10.0.0.1");
        assert_eq!(err("host 1.2.3.256"), "invalid IPv4 address '1.2.3.256'");
        assert_eq!(err("host 0x1.2"), "invalid IPv4 address '0x1.2'");
        assert_eq!(
            err("ip6 host 10"),
            "'ip6' cannot qualify the IPv4 address '10'"
        );
    }

    #[test]
    fn prefixes_and_masks() {
        for s in [
            "net 10.0.0.0/8",
            "net 10.0.0.0 / 8",
            "net 10.0.0.0/ 8",
            "net 10.0.0.0 /8",
        ] {
            assert_eq!(p(s), "src or dst net 10.0.0.0/8", "{s}");
        }
        assert_eq!(p("net 10.0/0x10"), "src or dst net 10.0.0.0/16");
        assert_eq!(p("net 0.0.0.0/0"), "src or dst net 0.0.0.0/0");
        assert_eq!(
            err("net 10.0.0.0/0"),
            "non-network bits set in '10.0.0.0/0'"
        );
        assert_eq!(
            p("net 10.0.0.0 mask 255.0.255.0"),
            "src or dst net 10.0.0.0 mask 255.0.255.0"
        );
        assert_eq!(p("net 10.0 mask 255.255"), "src or dst net 10.0.0.0/16");
        assert_eq!(
            p("net 172.16.0.0 mask 255.240.0.0"),
            "src or dst net 172.16.0.0/12"
        );
        assert_eq!(p("host ::1/128"), "src or dst host ::1");
        assert_eq!(p("net 2001:db8:: / 32"), "src or dst net 2001:db8::/32");
        assert_eq!(
            err("net 10.0.0.0/33"),
            "prefix length in '10.0.0.0/33' is longer than the address (32 bits)"
        );
        assert_eq!(
            err("net 10.0.0.1/8"),
            "non-network bits set in '10.0.0.1/8'"
        );
        assert_eq!(
            err("net 1.2.3.4 mask 255.255.255.0"),
            "non-network bits set in '1.2.3.4 mask 255.255.255.0'"
        );
        assert_eq!(
            err("host 10.0.0.0/8"),
            "'10.0.0.0/8' is a network: write 'net 10.0.0.0/8'"
        );
        assert_eq!(err("host ::/64"), "'::/64' is a network: write 'net ::/64'");
        assert_eq!(err("host ::1/64"), "non-network bits set in '::1/64'");
        assert_eq!(
            err("net 10.0.0.0 /"),
            "expected a prefix length after '/', found end of expression"
        );
        assert_eq!(
            err("net 10.0.0.0 mask 1.2.3.4.5"),
            "expected a dotted IPv4 netmask such as 255.255.0.0 after 'mask', found '1.2.3.4.5'"
        );
    }

    #[test]
    fn host_and_network_names() {
        assert_eq!(
            p("host box"),
            "(src or dst host 10.0.0.7) or (src or dst host 2001:db8::7)"
        );
        assert_eq!(p("ip src host box"), "ip src host 10.0.0.7");
        assert_eq!(p("ip6 dst box"), "ip6 dst host 2001:db8::7");
        assert_eq!(p("host \\box or v4only"), "((src or dst host 10.0.0.7) or (src or dst host 2001:db8::7)) or (src or dst host 10.0.0.8)");
        assert_eq!(
            err("ip6 host v4only"),
            "unknown host 'v4only' for the specified address family"
        );
        assert_eq!(
            err("arp host box"),
            "'arp' cannot qualify the IPv6 address 'box'"
        );
        assert_eq!(err("host nobox"), "unknown host 'nobox'");
        assert_eq!(p("net loopback"), "src or dst net 127.0.0.0/32");
        // glibc reads `10` in /etc/networks as 10.0.0.0, so libpcap matches that address.
        assert_eq!(p("net ten"), "src or dst net 10.0.0.0/32");
        assert_eq!(p("dst net LinkLocal"), "dst net 169.254.0.0/32");
        assert_eq!(
            err("net zero"),
            "unknown network 'zero' (networks are looked up in /etc/networks)"
        );
        assert_eq!(
            err("net box"),
            "unknown network 'box' (networks are looked up in /etc/networks)"
        );
        assert_eq!(
            err("ip6 net ten"),
            "'ip6' cannot qualify the IPv4 address 'ten'"
        );
    }

    #[test]
    fn service_names_and_ranges() {
        assert_eq!(p("port http"), "tcp src or dst port 80");
        assert_eq!(p("port www"), "tcp src or dst port 80");
        assert_eq!(p("port domain"), "src or dst port 53");
        assert_eq!(p("udp port domain"), "udp src or dst port 53");
        assert_eq!(p("sctp port domain"), "sctp src or dst port 53");
        assert_eq!(p("port bootpc"), "udp src or dst port 68");
        // Different numbers for TCP and UDP: libpcap takes the TCP one.
        assert_eq!(p("port odd"), "tcp src or dst port 100");
        assert_eq!(err("udp port odd"), "port 'odd' is tcp");
        assert_eq!(err("udp port http"), "port 'http' is tcp");
        assert_eq!(err("tcp port bootpc"), "port 'bootpc' is udp");
        assert_eq!(
            err("port HTTP"),
            "unknown port 'HTTP' (names are looked up in /etc/services)"
        );
        assert_eq!(p("portrange 67-bootpc"), "src or dst portrange 67-68");
        assert_eq!(p("portrange http-http"), "tcp src or dst port 80");
        assert_eq!(p("portrange bootpc-http"), "src or dst portrange 68-80");
        assert_eq!(
            p("udp portrange 67-bootpc"),
            "udp src or dst portrange 67-68"
        );
        assert_eq!(p("portrange 7"), "src or dst port 7");
        assert_eq!(p("portrange 0x14"), "src or dst port 20");
        assert_eq!(p("portrange 010-020"), "src or dst portrange 10-20");
        assert_eq!(p("portrange 70000-bootpc"), "src or dst portrange 68-4464");
        assert_eq!(
            err("portrange 1-70000"),
            "port number 70000 is out of range (0-65535)"
        );
        assert_eq!(
            err("portrange http"),
            "unknown port in range 'http' (names are looked up in /etc/services)"
        );
        assert_eq!(
            err("udp portrange http-www"),
            "port in range 'http-www' is tcp"
        );
        assert_eq!(p("sctp portrange 1-2"), "sctp src or dst portrange 1-2");
    }

    #[test]
    fn protocol_words_proto_and_protochain() {
        for w in ["sctp", "igmp", "pim", "vrrp", "carp", "ah", "esp"] {
            assert_eq!(p(w), w);
        }
        assert_eq!(p("proto 6"), "(ip proto 6) or (ip6 proto 6)");
        assert_eq!(p("proto \\tcp"), "(ip proto 6) or (ip6 proto 6)");
        assert_eq!(p("ip proto ospf"), "ip proto 89");
        assert_eq!(p("ip proto 6 or 17"), "(ip proto 6) or (ip proto 17)");
        assert_eq!(
            p("ip6 protochain 6 and not \\ospf"),
            "(ip6 protochain 6) and (not (ip6 protochain 89))"
        );
        assert_eq!(
            p("proto 6 or 17"),
            "((ip proto 6) or (ip6 proto 6)) or ((ip proto 17) or (ip6 proto 17))"
        );
        assert!(parse_with("proto 6 or tcp or 17", &names()).is_err());
        assert_eq!(p("ip6 protochain 6"), "ip6 protochain 6");
        assert_eq!(
            p("protochain \\TCP"),
            "(ip protochain 6) or (ip6 protochain 6)"
        );
        assert_eq!(p("ip protochain 0x33"), "ip protochain 51");
        assert_eq!(p("sctp[0:2] = 80"), "sctp[0 : 2] = 80");
        assert_eq!(p("carp[0] = 0x21"), "carp[0 : 1] = 33");
        assert_eq!(err("proto \\carp"), "unknown ip protocol name 'carp'");
        assert_eq!(
            err("ah[0] = 1"),
            "'ah[…] (a byte load from AH or ESP)' is not supported"
        );
        assert_eq!(err("protochain tcp"), "expected a protocol number or a backslashed name such as \\tcp after 'protochain', found 'tcp'");
        assert_eq!(p(""), "");
        assert_eq!(err("gateway box"), "'gateway' is not supported");
        assert_eq!(p("decnet host 1.2"), "decnet src or dst host 1.2");
        assert_eq!(p("decnet src 63.1023"), "decnet src host 63.1023");
        assert_eq!(
            p("decnet dst and src host 64.1"),
            "decnet src and dst host 0.1"
        );
        assert_eq!(p("decnet net 0x10001"), "decnet src or dst host 0.1");
        assert_eq!(
            p("decnet dst 1.2 or 1.3"),
            "(decnet dst host 1.2) or (decnet dst host 1.3)"
        );
        assert!(parse_with("decnet host 1.2 or tcp or 1.3", &names()).is_err());
        assert_eq!(err("decnet port 1"), "'decnet' cannot qualify 'port'");
        assert_eq!(
            err("decnet host box"),
            "expected a DECnet address such as 1.2 after 'host', found 'box'"
        );
    }

    #[test]
    fn dotted_parts_read_as_libpcap_reads_them() {
        assert_eq!(dotted_parts("10.1"), Some(Some((0x0a01, 16))));
        assert_eq!(dotted_parts("010.0.0.1"), Some(Some((0x0a00_0001, 32))));
        assert_eq!(dotted_parts("1.2.3.256"), Some(None));
        assert_eq!(dotted_parts("0x1.2"), Some(None));
        assert_eq!(dotted_parts("10"), None);
        assert_eq!(dotted_parts("1.2.3.4.5"), None);
        assert_eq!(dotted_parts("a.b"), None);
        assert_eq!(left_justify(10), (0x0a00_0000, 0xff00_0000));
        assert_eq!(left_justify(0xc0a8), (0xc0a8_0000, 0xffff_0000));
        assert_eq!(left_justify(0), (0, u32::MAX));
        assert_eq!(scan_two_numbers("010-020"), Some((10, 20)));
        assert_eq!(scan_two_numbers("1-2x"), Some((1, 2)));
        assert_eq!(scan_two_numbers("67-bootpc"), None);
        assert!(is_name("ftp-data") && is_name("localhost") && !is_name("tcp"));
        assert!(!is_name("a-") && !is_name("-a") && !is_name("a:b"));
    }
}
