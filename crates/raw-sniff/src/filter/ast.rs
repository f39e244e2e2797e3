//! The parsed form of a filter expression.
//!
//! Every primitive carries all of its qualifiers explicitly, so tcpdump's shorthand (`port 80 or
//! 443`) is already expanded and the compiler never needs context. `Display` prints an
//! expression back in the filter language, fully parenthesised, so `parse(e.to_string())` gives
//! `e` again.

use std::fmt;
use std::net::IpAddr;

pub use super::arith::{Arith, ArithOp, LoadProto, RelOp};
pub use super::link::{LinkPrim, LinkWord, LlcType, MacAddr};

/// A filter expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// A single test such as `tcp` or `dst port 53`.
    Prim(Primitive),
    /// `not e` / `! e`.
    Not(Box<Expr>),
    /// `a and b` / `a && b`: `b` is only evaluated when `a` holds.
    And(Box<Expr>, Box<Expr>),
    /// `a or b` / `a || b`: `b` is only evaluated when `a` does not hold.
    Or(Box<Expr>, Box<Expr>),
}

/// One primitive test.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Primitive {
    /// A protocol alone: `ip`, `ip6`, `arp`, `tcp`, `udp`, `icmp`, `icmp6`.
    Proto(Proto),
    /// `host A`: an address in the source and/or destination field.
    Host {
        /// Which protocol's address fields to look at.
        proto: AddrProto,
        /// Source, destination or both.
        dir: Dir,
        /// The address; IPv4 only with `ip`/`arp`, IPv6 only with `ip6`.
        addr: IpAddr,
    },
    /// `net A/len` or `net A mask M`: an address inside a network.
    Net {
        /// Which protocol's address fields to look at.
        proto: AddrProto,
        /// Source, destination or both.
        dir: Dir,
        /// The network.
        net: IpNet,
    },
    /// `port N` or `portrange A-B`: a TCP, UDP (or SCTP) port in a range.
    Port {
        /// Which transport protocols count.
        proto: PortProto,
        /// Source, destination or both.
        dir: Dir,
        /// The ports, inclusive; `port N` is the range `N-N`.
        range: PortRange,
    },
    /// `ip proto N` / `ip6 proto N`: the IPv4 protocol or IPv6 next header is `number` (for
    /// IPv6 also after a fragment header, as with `tcp`).
    NetProto {
        /// `true` for `ip6 proto`.
        v6: bool,
        /// The protocol number (libpcap takes any number; above 255 nothing matches).
        number: u32,
    },
    /// `ip protochain N` / `ip6 protochain N`: protocol `number` found by walking the IPv6
    /// extension headers (hop-by-hop, destination options, routing, fragment, AH) or, for
    /// IPv4, AH headers, as libpcap does; see the compiler's docs for the walk's limit.
    ProtoChain {
        /// `true` for `ip6 protochain`.
        v6: bool,
        /// The protocol number looked for.
        number: u32,
    },
    /// The empty expression: every packet matches, as with `tcpdump ''`.
    Everything,
    /// `decnet host A.N`: a DECnet address in a DECnet routing header (ethertype 0x6003),
    /// short or long form, with or without padding, as libpcap tests it.
    DecnetHost {
        /// Source, destination or both.
        dir: Dir,
        /// The address: area in the top 6 bits, node in the low 10.
        addr: u16,
    },
    /// A relation between two arithmetic expressions: `tcp[13] & 2 != 0`, `len <= 100`
    /// (`less 100`), `len >= 100` (`greater 100`).
    Compare {
        /// The relation.
        op: RelOp,
        /// The left side.
        lhs: Arith,
        /// The right side.
        rhs: Arith,
    },
    /// A link-layer test: `ether host`, `ether proto`, `stp`, `llc`, `broadcast`, ….
    Link(LinkPrim),
    /// `vlan`, `mpls`, `pppoed`, `pppoes`: a test for an encapsulation that, except for
    /// `pppoed`, moves every later primitive's link type and network header past it.
    Encap(Encap),
    /// `inbound` / `outbound`: the direction the kernel saw the packet go.
    Direction(Direction),
    /// `ifindex N`: the packet was captured on the interface with this index.
    IfIndex(u32),
}

/// An encapsulation primitive, with its optional number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encap {
    /// `vlan [id]`: an 802.1Q/802.1ad tag (TPID 0x8100, 0x88a8 or 0x9100), with this VLAN ID.
    Vlan(Option<u16>),
    /// `mpls [label]`: an MPLS label stack entry, with this 20-bit label.
    Mpls(Option<u32>),
    /// `pppoed`: a PPPoE discovery frame (ethertype 0x8863).
    Pppoed,
    /// `pppoes [id]`: a PPPoE session frame (ethertype 0x8864), with this session ID.
    Pppoes(Option<u16>),
    /// `geneve [vni]`: a Geneve version 0 header in UDP to port 6081, with this 24-bit VNI.
    Geneve(Option<u32>),
}

/// The packet direction primitives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `inbound`: received by this host.
    Inbound,
    /// `outbound`: sent by this host.
    Outbound,
}

/// The protocols that can stand alone as a primitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// IPv4: ethertype 0x0800, or version 4 on raw IP.
    Ip,
    /// IPv6: ethertype 0x86dd, or version 6 on raw IP.
    Ip6,
    /// ARP: ethertype 0x0806 (never on raw IP).
    Arp,
    /// TCP (protocol 6) over IPv4 or IPv6.
    Tcp,
    /// UDP (protocol 17) over IPv4 or IPv6.
    Udp,
    /// ICMP (protocol 1) over IPv4.
    Icmp,
    /// ICMPv6 (next header 58) over IPv6.
    Icmp6,
    /// RARP: ethertype 0x8035 (never on raw IP).
    Rarp,
    /// SCTP (protocol 132) over IPv4 or IPv6, as `tcp`.
    Sctp,
    /// IGMP (protocol 2), over IPv4 only.
    Igmp,
    /// Cisco IGRP (protocol 9), over IPv4 only.
    Igrp,
    /// PIM (protocol 103) over IPv4 or IPv6.
    Pim,
    /// VRRP (protocol 112), over IPv4 only.
    Vrrp,
    /// CARP: protocol 112 too (libpcap cannot tell it from VRRP), over IPv4 only.
    Carp,
    /// IPsec AH (protocol 51) over IPv4 or IPv6.
    Ah,
    /// IPsec ESP (protocol 50) over IPv4 or IPv6.
    Esp,
}

/// The protocol qualifier of `host` and `net`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrProto {
    /// No qualifier. For an IPv4 address tcpdump looks in IPv4, ARP and RARP packets; for an
    /// IPv6 address, in IPv6 packets.
    Any,
    /// `ip host`: IPv4 source/destination only.
    Ip,
    /// `ip6 host`: IPv6 source/destination only.
    Ip6,
    /// `arp host`: the ARP sender/target protocol addresses only.
    Arp,
    /// `rarp host`: the RARP sender/target protocol addresses only.
    Rarp,
}

/// The protocol qualifier of `port` and `portrange`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortProto {
    /// No qualifier: TCP, UDP or SCTP, as in tcpdump.
    Any,
    /// `tcp port`.
    Tcp,
    /// `udp port`.
    Udp,
    /// `sctp port`.
    Sctp,
}

/// The direction qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// No qualifier, or `src or dst`: either field matches.
    SrcOrDst,
    /// `src and dst`: both fields match.
    SrcAndDst,
    /// `src`: the source field matches.
    Src,
    /// `dst`: the destination field matches.
    Dst,
}

/// An IP network: an address and a netmask, with no address bit set outside the mask.
///
/// The mask is usually a prefix (`10.0.0.0/8`), but libpcap takes any IPv4 mask
/// (`net 10.0.0.0 mask 255.0.255.0`), so one that is not a run of ones is kept as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
    /// The netmask as a number of the address's width.
    mask: u128,
}

impl IpNet {
    /// The network `addr/prefix`, or `None` if the prefix is longer than the address or
    /// `addr` has bits set past the prefix (tcpdump refuses `10.0.0.1/8` too).
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Self> {
        let max = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        if prefix > max {
            return None;
        }
        let net = IpNet {
            addr,
            prefix,
            mask: prefix_mask(addr.is_ipv4(), prefix),
        };
        (net.masked_bits() == net.addr_bits()).then_some(net)
    }

    /// The network `addr` with netmask `mask` (same family), contiguous or not, or `None` if
    /// the families differ or `addr` has bits set outside the mask.
    pub fn with_mask(addr: IpAddr, mask: IpAddr) -> Option<Self> {
        let mask = match (addr, mask) {
            (IpAddr::V4(_), IpAddr::V4(m)) => u128::from(u32::from(m)),
            (IpAddr::V6(_), IpAddr::V6(m)) => u128::from(m),
            _ => return None,
        };
        let width = if addr.is_ipv4() { 32 } else { 128 };
        // The ones before the first zero: the whole mask when it is a prefix.
        let prefix = (mask << (128 - width)).leading_ones().min(width) as u8;
        let net = IpNet { addr, prefix, mask };
        (net.masked_bits() == net.addr_bits()).then_some(net)
    }

    /// Whether the mask is a prefix (ones then zeros), so `addr/prefix` says it all.
    pub fn is_prefix(&self) -> bool {
        self.mask == prefix_mask(self.addr.is_ipv4(), self.prefix)
    }

    /// The netmask as an address.
    pub fn mask(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(_) => IpAddr::V4((self.mask as u32).into()),
            IpAddr::V6(_) => IpAddr::V6(self.mask.into()),
        }
    }

    /// The network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length in bits (for a mask that is not a prefix, its leading ones).
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The address as a 128-bit number, IPv4 in the low 32 bits.
    fn addr_bits(&self) -> u128 {
        match self.addr {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        }
    }

    fn masked_bits(&self) -> u128 {
        self.addr_bits() & self.mask_bits()
    }

    /// The netmask as a number of the address's width.
    fn mask_bits(&self) -> u128 {
        self.mask
    }

    /// The netmask as bytes in network order (4 or 16 of them).
    pub fn mask_bytes(&self) -> Vec<u8> {
        let m = self.mask_bits();
        if self.addr.is_ipv4() {
            (m as u32).to_be_bytes().to_vec()
        } else {
            m.to_be_bytes().to_vec()
        }
    }

    /// Whether `bytes` (an address of the same family, network order) is inside the network.
    pub fn contains_bytes(&self, bytes: &[u8]) -> bool {
        let want = match self.addr {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        bytes.len() == want.len()
            && bytes
                .iter()
                .zip(&want)
                .zip(self.mask_bytes())
                .all(|((b, w), m)| b & m == w & m)
    }
}

/// The netmask of a prefix, as a number of the address's width.
fn prefix_mask(v4: bool, prefix: u8) -> u128 {
    let width: u32 = if v4 { 32 } else { 128 };
    let p = u32::from(prefix);
    if p == 0 {
        0
    } else {
        let ones = u128::MAX.checked_shl(128 - p).unwrap_or(0);
        ones >> (128 - width)
    }
}

/// An inclusive range of ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRange {
    /// The lowest port that matches.
    pub lo: u16,
    /// The highest port that matches; the compiler swaps the bounds if `hi < lo`.
    pub hi: u16,
}

impl PortRange {
    /// The range holding only `port`.
    pub fn single(port: u16) -> Self {
        PortRange { lo: port, hi: port }
    }

    /// Whether `port` is in the range (bounds in either order).
    pub fn contains(&self, port: u16) -> bool {
        let (lo, hi) = (self.lo.min(self.hi), self.lo.max(self.hi));
        (lo..=hi).contains(&port)
    }
}

impl Expr {
    /// `a and b`.
    pub fn and(a: Expr, b: Expr) -> Expr {
        Expr::And(Box::new(a), Box::new(b))
    }

    /// `a or b`.
    pub fn or(a: Expr, b: Expr) -> Expr {
        Expr::Or(Box::new(a), Box::new(b))
    }

    /// `not e` (a method rather than `std::ops::Not`, which would read as a bool operation).
    #[allow(clippy::should_implement_trait)]
    pub fn not(e: Expr) -> Expr {
        Expr::Not(Box::new(e))
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Prim(p) => write!(f, "{p}"),
            Expr::Not(e) => write!(f, "not ({e})"),
            Expr::And(a, b) => write!(f, "({a}) and ({b})"),
            Expr::Or(a, b) => write!(f, "({a}) or ({b})"),
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Proto::Ip => "ip",
            Proto::Ip6 => "ip6",
            Proto::Arp => "arp",
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Icmp => "icmp",
            Proto::Icmp6 => "icmp6",
            Proto::Rarp => "rarp",
            Proto::Sctp => "sctp",
            Proto::Igmp => "igmp",
            Proto::Igrp => "igrp",
            Proto::Pim => "pim",
            Proto::Vrrp => "vrrp",
            Proto::Carp => "carp",
            Proto::Ah => "ah",
            Proto::Esp => "esp",
        })
    }
}

impl fmt::Display for Dir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dir::SrcOrDst => "src or dst",
            Dir::SrcAndDst => "src and dst",
            Dir::Src => "src",
            Dir::Dst => "dst",
        })
    }
}

impl fmt::Display for Primitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn addr_proto(p: AddrProto) -> &'static str {
            match p {
                AddrProto::Any => "",
                AddrProto::Ip => "ip ",
                AddrProto::Ip6 => "ip6 ",
                AddrProto::Arp => "arp ",
                AddrProto::Rarp => "rarp ",
            }
        }
        fn port_proto(p: PortProto) -> &'static str {
            match p {
                PortProto::Any => "",
                PortProto::Tcp => "tcp ",
                PortProto::Udp => "udp ",
                PortProto::Sctp => "sctp ",
            }
        }
        match self {
            Primitive::Proto(p) => write!(f, "{p}"),
            Primitive::NetProto { v6, number } => {
                write!(f, "{} proto {number}", if *v6 { "ip6" } else { "ip" })
            }
            Primitive::Compare { op, lhs, rhs } => write!(f, "{lhs} {} {rhs}", op.symbol()),
            Primitive::Link(l) => write!(f, "{l}"),
            Primitive::ProtoChain { v6, number } => {
                write!(f, "{} protochain {number}", if *v6 { "ip6" } else { "ip" })
            }
            Primitive::Everything => Ok(()),
            Primitive::DecnetHost { dir, addr } => {
                write!(f, "decnet {dir} host {}.{}", addr >> 10, addr & 0x3ff)
            }
            Primitive::Net { proto, dir, net } if !net.is_prefix() => write!(
                f,
                "{}{dir} net {} mask {}",
                addr_proto(*proto),
                net.addr(),
                net.mask()
            ),
            Primitive::Encap(e) => write!(f, "{e}"),
            Primitive::Direction(Direction::Inbound) => f.write_str("inbound"),
            Primitive::Direction(Direction::Outbound) => f.write_str("outbound"),
            Primitive::IfIndex(n) => write!(f, "ifindex {n}"),
            Primitive::Host { proto, dir, addr } => {
                write!(f, "{}{dir} host {addr}", addr_proto(*proto))
            }
            Primitive::Net { proto, dir, net } => write!(
                f,
                "{}{dir} net {}/{}",
                addr_proto(*proto),
                net.addr(),
                net.prefix()
            ),
            Primitive::Port { proto, dir, range } if range.lo == range.hi => {
                write!(f, "{}{dir} port {}", port_proto(*proto), range.lo)
            }
            Primitive::Port { proto, dir, range } => write!(
                f,
                "{}{dir} portrange {}-{}",
                port_proto(*proto),
                range.lo,
                range.hi
            ),
        }
    }
}

impl fmt::Display for Encap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (word, number) = match *self {
            Encap::Vlan(id) => ("vlan", id.map(u32::from)),
            Encap::Mpls(label) => ("mpls", label),
            Encap::Pppoed => ("pppoed", None),
            Encap::Pppoes(id) => ("pppoes", id.map(u32::from)),
            Encap::Geneve(vni) => ("geneve", vni),
        };
        match number {
            Some(n) => write!(f, "{word} {n}"),
            None => f.write_str(word),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipnet_rejects_host_bits_and_long_prefixes() {
        let v4 = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(IpNet::new(v4("10.0.0.0"), 8).is_some());
        assert!(IpNet::new(v4("10.0.0.1"), 8).is_none());
        assert!(IpNet::new(v4("10.0.0.1"), 32).is_some());
        assert!(IpNet::new(v4("10.0.0.0"), 33).is_none());
        assert!(IpNet::new(v4("0.0.0.0"), 0).is_some());
        assert!(IpNet::new(v4("2001:db8::"), 32).is_some());
        assert!(IpNet::new(v4("2001:db8:8000::"), 32).is_none());
        assert!(IpNet::new(v4("2001:db8:8000::"), 33).is_some());
        assert!(IpNet::new(v4("::"), 129).is_none());
        let net = IpNet::new(v4("10.128.0.0"), 9).unwrap();
        assert_eq!(net.mask_bytes(), vec![255, 128, 0, 0]);
        assert!(net.contains_bytes(&[10, 200, 1, 1]));
        assert!(!net.contains_bytes(&[10, 1, 1, 1]));
    }
}
