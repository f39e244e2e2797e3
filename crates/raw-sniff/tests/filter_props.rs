//! Properties of the filter compiler: every expression compiles to a program the kernel would
//! accept, and running that program on a packet gives the same answer as evaluating the
//! expression on the packet directly.
//!
//! The direct evaluator below is written from pcap-filter(7) and the compiler's documented
//! field order, not from the generated code. It models loads as the kernel does: reading a
//! field the capture does not hold rejects the whole packet, so truncated packets are compared
//! too.

#[path = "filter_packets.rs"]
mod packets;

use std::net::IpAddr;

use packets::{Frame, Link, Net, Transport};
use proptest::prelude::*;
use raw_sniff::filter::{
    compile, compile_for_cooked_socket, compile_unoptimized, parse, run, verify, AddrProto, Arith,
    ArithOp, CompileError, Dir, Expr, Framing, IpNet, LoadProto, PortProto, PortRange, Primitive,
    Proto, RelOp, MAX_INSNS, SNAPLEN,
};

/// A load fell outside the captured bytes.
#[derive(Debug, PartialEq, Eq)]
struct Truncated;

type R<T> = Result<T, Truncated>;

struct Pkt<'a> {
    b: &'a [u8],
    /// The length on the wire, for `len`.
    wire: u32,
    link: Framing,
}

impl Pkt<'_> {
    fn nh(&self) -> usize {
        match self.link {
            Framing::Ethernet => 14,
            Framing::LinuxSll => 16,
            Framing::RawIp | Framing::Ipv4 | Framing::Ipv6 => 0,
            Framing::Null { .. } | Framing::Loop => 4,
            Framing::LinuxSll2 => 20,
            other => panic!("no model of {other:?}: the properties generate no such frames"),
        }
    }

    fn bytes(&self, at: usize, n: usize) -> R<u32> {
        let s = self.b.get(at..at + n).ok_or(Truncated)?;
        Ok(s.iter().fold(0, |a, &x| (a << 8) | u32::from(x)))
    }

    fn u8(&self, at: usize) -> R<u32> {
        self.bytes(at, 1)
    }

    fn u16(&self, at: usize) -> R<u32> {
        self.bytes(at, 2)
    }

    fn u32(&self, at: usize) -> R<u32> {
        self.bytes(at, 4)
    }

    fn is(&self, ethertype: u32) -> R<bool> {
        match self.link {
            Framing::Ethernet => Ok(self.u16(12)? == ethertype),
            Framing::LinuxSll => Ok(self.u16(14)? == ethertype),
            Framing::RawIp => match ethertype {
                0x0800 => Ok(self.u8(0)? >> 4 == 4),
                0x86dd => Ok(self.u8(0)? >> 4 == 6),
                _ => Ok(false),
            },
            // The link type alone says which IP version every packet is.
            Framing::Ipv4 => Ok(ethertype == 0x0800),
            Framing::Ipv6 => Ok(ethertype == 0x86dd),
            // The BSD address family: 2 for IPv4, 24, 28 or 30 for IPv6; nothing else.
            Framing::Null { .. } | Framing::Loop => {
                if ethertype != 0x0800 && ethertype != 0x86dd {
                    return Ok(false);
                }
                let word = self.u32(0)?;
                let family = if self.link == (Framing::Null { big_endian: false }) {
                    word.swap_bytes()
                } else {
                    word
                };
                Ok(if ethertype == 0x0800 {
                    family == 2
                } else {
                    matches!(family, 24 | 28 | 30)
                })
            }
            Framing::LinuxSll2 => Ok(self.u16(0)? == ethertype),
            other => panic!("no model of {other:?}: the properties generate no such frames"),
        }
    }

    fn eval(&self, e: &Expr) -> R<bool> {
        Ok(match e {
            Expr::Not(a) => !self.eval(a)?,
            Expr::And(a, b) => self.eval(a)? && self.eval(b)?,
            Expr::Or(a, b) => self.eval(a)? || self.eval(b)?,
            Expr::Prim(p) => self.prim(p)?,
        })
    }

    fn v4_proto(&self, proto: u32) -> R<bool> {
        Ok(self.is(0x0800)? && self.u8(self.nh() + 9)? == proto)
    }

    /// IPv6 upper-layer protocol: in the fixed header or after one fragment header.
    fn v6_proto(&self, proto: u32) -> R<bool> {
        if !self.is(0x86dd)? {
            return Ok(false);
        }
        let next = self.u8(self.nh() + 6)?;
        if next == proto {
            return Ok(true);
        }
        Ok(next == 44 && self.u8(self.nh() + 40)? == proto)
    }

    fn dir(&self, dir: Dir, mut field: impl FnMut(usize) -> R<bool>) -> R<bool> {
        Ok(match dir {
            Dir::Src => field(0)?,
            Dir::Dst => field(1)?,
            Dir::SrcOrDst => field(0)? || field(1)?,
            Dir::SrcAndDst => field(0)? && field(1)?,
        })
    }

    /// Word by word, skipping words outside the prefix; the first mismatch decides.
    fn addr_in(&self, at: usize, net: &IpNet) -> R<bool> {
        let want: Vec<u8> = match net.addr() {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        let mask = net.mask_bytes();
        for (i, (w, m)) in want.chunks(4).zip(mask.chunks(4)).enumerate() {
            if m.iter().all(|&b| b == 0) {
                continue;
            }
            let got = self.u32(at + 4 * i)?.to_be_bytes();
            if got.iter().zip(w).zip(m).any(|((g, w), m)| g & m != w & m) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn ports(&self, at: usize, dir: Dir, range: PortRange) -> R<bool> {
        self.dir(dir, |f| Ok(range.contains(self.u16(at + 2 * f)? as u16)))
    }

    fn prim(&self, p: &Primitive) -> R<bool> {
        let nh = self.nh();
        match *p {
            Primitive::Proto(Proto::Ip) => self.is(0x0800),
            Primitive::Proto(Proto::Ip6) => self.is(0x86dd),
            Primitive::Proto(Proto::Arp) => self.is(0x0806),
            Primitive::Proto(Proto::Icmp) => self.v4_proto(1),
            Primitive::Proto(Proto::Icmp6) => self.v6_proto(58),
            Primitive::Proto(Proto::Tcp) => Ok(self.v4_proto(6)? || self.v6_proto(6)?),
            Primitive::Proto(Proto::Udp) => Ok(self.v4_proto(17)? || self.v6_proto(17)?),
            Primitive::Proto(Proto::Rarp) => self.is(0x8035),
            // Not generated here: tests/filter_tcpdump_link.rs checks these against tcpdump.
            Primitive::Link(_) => unreachable!("no link-layer primitives are generated"),
            Primitive::Proto(Proto::Sctp) => Ok(self.v4_proto(132)? || self.v6_proto(132)?),
            Primitive::Proto(Proto::Pim) => Ok(self.v4_proto(103)? || self.v6_proto(103)?),
            Primitive::Proto(Proto::Ah) => Ok(self.v4_proto(51)? || self.v6_proto(51)?),
            Primitive::Proto(Proto::Esp) => Ok(self.v4_proto(50)? || self.v6_proto(50)?),
            Primitive::Proto(Proto::Igmp) => self.v4_proto(2),
            Primitive::Proto(Proto::Igrp) => self.v4_proto(9),
            Primitive::Proto(Proto::Vrrp | Proto::Carp) => self.v4_proto(112),
            Primitive::ProtoChain { v6, number } => self.protochain(v6, number),
            Primitive::Everything => Ok(true),
            Primitive::DecnetHost { dir, addr } => {
                if !self.is(0x6003)? {
                    return Ok(false);
                }
                let want = u32::from(addr.swap_bytes());
                self.dir(dir, |field| {
                    let (short, long) = if field == 0 { (3, 15) } else { (1, 7) };
                    for (padded, flags, at) in [
                        (0, 0x02, short),
                        (1, 0x8102, short),
                        (0, 0x06, long),
                        (1, 0x8106, long),
                    ] {
                        let got = if padded == 1 {
                            self.u16(nh + 2)? & 0xff07
                        } else {
                            self.u8(nh + 2)? & 0x07
                        };
                        if got == flags && self.u16(nh + 2 + at + padded)? == want {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                })
            }
            Primitive::Host { proto, dir, addr } => {
                let net = IpNet::new(addr, if addr.is_ipv4() { 32 } else { 128 }).unwrap();
                self.addr(proto, dir, &net)
            }
            Primitive::Net { proto, dir, net } => self.addr(proto, dir, &net),
            Primitive::NetProto { v6: false, number } => self.v4_proto(number),
            Primitive::NetProto { v6: true, number } => self.v6_proto(number),
            Primitive::Compare {
                op,
                ref lhs,
                ref rhs,
            } => {
                // Every header a load counts from must be there before anything is computed.
                let mut headers = Vec::new();
                headers_of(lhs, &mut headers);
                headers_of(rhs, &mut headers);
                for h in headers {
                    if !self.has(h)? {
                        return Ok(false);
                    }
                }
                let (a, b) = (self.value(lhs)?, self.value(rhs)?);
                Ok(match op {
                    RelOp::Eq => a == b,
                    RelOp::Ne => a != b,
                    RelOp::Lt => a < b,
                    RelOp::Le => a <= b,
                    RelOp::Gt => a > b,
                    RelOp::Ge => a >= b,
                })
            }
            Primitive::Port { proto, dir, range } => {
                let protos: &[u32] = match proto {
                    PortProto::Any => &[6, 17, 132],
                    PortProto::Tcp => &[6],
                    PortProto::Udp => &[17],
                    PortProto::Sctp => &[132],
                };
                if self.is(0x0800)? {
                    if !protos.contains(&self.u8(nh + 9)?) || self.u16(nh + 6)? & 0x1fff != 0 {
                        return Ok(false);
                    }
                    let ihl = 4 * (self.u8(nh)? & 0xf) as usize;
                    self.ports(nh + ihl, dir, range)
                } else if self.is(0x86dd)? {
                    if !protos.contains(&self.u8(nh + 6)?) {
                        return Ok(false);
                    }
                    self.ports(nh + 40, dir, range)
                } else {
                    Ok(false)
                }
            }
            // Not generated: they move later offsets or need the kernel's metadata.
            Primitive::Encap(_) | Primitive::Direction(_) | Primitive::IfIndex(_) => {
                unreachable!("the model does not cover '{p}'")
            }
        }
    }

    /// libpcap's protochain walk, up to the compiler's 16 headers: IPv6 extension headers
    /// add `(len + 1) * 8` to the offset, AH sets it to `(len + 2) * 4`.
    fn protochain(&self, v6: bool, number: u32) -> R<bool> {
        let nh = self.nh();
        let (mut ty, mut x) = if v6 {
            if !self.is(0x86dd)? {
                return Ok(false);
            }
            (self.u8(nh + 6)?, 40)
        } else {
            if !self.is(0x0800)? {
                return Ok(false);
            }
            (self.u8(nh + 9)?, 4 * (self.u8(nh)? & 0xf) as usize)
        };
        for _ in 0..16 {
            if ty == number {
                return Ok(true);
            }
            let next = match ty {
                0 | 60 | 43 | 44 if v6 => x + (self.u8(nh + x + 1)? as usize + 1) * 8,
                51 => (self.u8(nh + x + 1)? as usize + 2) * 4,
                _ => return Ok(false),
            };
            ty = self.u8(nh + x)?;
            x = next;
        }
        Ok(ty == number)
    }

    /// Whether the header `proto[…]` counts from is in the packet (pcap-filter(7)).
    fn has(&self, proto: LoadProto) -> R<bool> {
        let nh = self.nh();
        let v4_transport = |p: u32| -> R<bool> {
            Ok(self.is(0x0800)? && self.u8(nh + 9)? == p && self.u16(nh + 6)? & 0x1fff == 0)
        };
        match proto {
            LoadProto::Link => Ok(true),
            LoadProto::Ip => self.is(0x0800),
            LoadProto::Ip6 => self.is(0x86dd),
            LoadProto::Arp => self.is(0x0806),
            LoadProto::Rarp => self.is(0x8035),
            LoadProto::Tcp => v4_transport(6),
            LoadProto::Udp => v4_transport(17),
            LoadProto::Icmp => v4_transport(1),
            LoadProto::Icmp6 => Ok(self.is(0x86dd)? && self.u8(nh + 6)? == 58),
            other => v4_transport(other.ipv4_transport().expect("a header behind the IHL")),
        }
    }

    /// An arithmetic value; a division by zero rejects the packet as a short read does.
    fn value(&self, e: &Arith) -> R<u32> {
        let nh = self.nh();
        Ok(match e {
            Arith::Num(n) => *n,
            Arith::Len => self.wire,
            Arith::Load { proto, index, size } => {
                let base = match proto {
                    LoadProto::Link => 0,
                    LoadProto::Ip | LoadProto::Ip6 | LoadProto::Arp => nh as u32,
                    LoadProto::Icmp6 => nh as u32 + 40,
                    LoadProto::Rarp | LoadProto::LinkWord(_) => nh as u32,
                    _ => nh as u32 + 4 * (self.u8(nh)? & 0xf),
                };
                let at = self.value(index)?.checked_add(base).ok_or(Truncated)?;
                self.bytes(at as usize, usize::from(*size))?
            }
            Arith::Neg(a) => self.value(a)?.wrapping_neg(),
            Arith::Bin(op, a, b) => {
                let (a, b) = (self.value(a)?, self.value(b)?);
                match op {
                    ArithOp::Add => a.wrapping_add(b),
                    ArithOp::Sub => a.wrapping_sub(b),
                    ArithOp::Mul => a.wrapping_mul(b),
                    ArithOp::Div => a.checked_div(b).ok_or(Truncated)?,
                    ArithOp::Mod => a.checked_rem(b).ok_or(Truncated)?,
                    ArithOp::And => a & b,
                    ArithOp::Or => a | b,
                    ArithOp::Xor => a ^ b,
                    ArithOp::Shl => a.checked_shl(b).unwrap_or(0),
                    ArithOp::Shr => a.checked_shr(b).unwrap_or(0),
                }
            }
        })
    }

    fn addr(&self, proto: AddrProto, dir: Dir, net: &IpNet) -> R<bool> {
        let nh = self.nh();
        if net.addr().is_ipv6() {
            if !self.is(0x86dd)? {
                return Ok(false);
            }
            return self.dir(dir, |f| self.addr_in(nh + 8 + 16 * f, net));
        }
        if proto != AddrProto::Arp && self.is(0x0800)? {
            return self.dir(dir, |f| self.addr_in(nh + 12 + 4 * f, net));
        }
        if proto != AddrProto::Ip
            && (self.is(0x0806)? || (proto == AddrProto::Any && self.is(0x8035)?))
        {
            return self.dir(dir, |f| self.addr_in(nh + 14 + 10 * f, net));
        }
        Ok(false)
    }
}

// Small pools, so that generated filters and packets often agree on a value.
const V4: &[&str] = &["10.0.0.1", "10.0.0.2", "192.168.1.1", "10.1.0.1"];
const V6: &[&str] = &[
    "2001:db8::1",
    "2001:db8::2",
    "2001:db8:1::1",
    "fe80::1",
    "::1",
];
const PORTS: &[u16] = &[0, 22, 53, 80, 443, 257, 8080, 65535];

/// The headers a relation's loads count from, each once, in the order they are written.
fn headers_of(e: &Arith, out: &mut Vec<LoadProto>) {
    match e {
        Arith::Num(_) | Arith::Len => {}
        Arith::Load { proto, index, .. } => {
            if !out.contains(proto) {
                out.push(*proto);
            }
            headers_of(index, out);
        }
        Arith::Neg(a) => headers_of(a, out),
        Arith::Bin(_, a, b) => {
            headers_of(a, out);
            headers_of(b, out);
        }
    }
}

/// Arithmetic over small offsets and values, so loads land inside the test packets as often
/// as past them; divisors are never the literal 0, which does not compile.
fn arith() -> impl Strategy<Value = Arith> {
    let load_proto = prop::sample::select(vec![
        LoadProto::Link,
        LoadProto::Ip,
        LoadProto::Ip6,
        LoadProto::Arp,
        LoadProto::Tcp,
        LoadProto::Udp,
        LoadProto::Icmp,
        LoadProto::Icmp6,
    ]);
    let leaf = prop_oneof![
        prop_oneof![0..64u32, any::<u32>()].prop_map(Arith::Num),
        Just(Arith::Len),
        (
            load_proto.clone(),
            0..80u32,
            prop::sample::select(vec![1u8, 2, 4])
        )
            .prop_map(|(proto, i, size)| Arith::Load {
                proto,
                index: Box::new(Arith::Num(i)),
                size
            }),
    ];
    let op = prop::sample::select(vec![
        ArithOp::Add,
        ArithOp::Sub,
        ArithOp::Mul,
        ArithOp::Div,
        ArithOp::Mod,
        ArithOp::And,
        ArithOp::Or,
        ArithOp::Xor,
        ArithOp::Shl,
        ArithOp::Shr,
    ]);
    leaf.prop_recursive(3, 12, 2, move |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| Arith::Neg(Box::new(a))),
            (op.clone(), inner.clone(), inner.clone()).prop_map(|(op, a, b)| {
                let b = match (op, b) {
                    // A divisor that folds to 0 does not compile; one that is 0 at run time
                    // (a load) rejects the packet, and stays possible.
                    (ArithOp::Div | ArithOp::Mod, b) => {
                        Arith::Bin(ArithOp::Or, Box::new(b), Box::new(Arith::Num(1)))
                    }
                    // Shifts by 32 or more differ between CPUs in the kernel; keep them small.
                    (ArithOp::Shl | ArithOp::Shr, b) => {
                        Arith::Bin(ArithOp::And, Box::new(b), Box::new(Arith::Num(31)))
                    }
                    (_, b) => b,
                };
                Arith::Bin(op, Box::new(a), Box::new(b))
            }),
            (
                load_proto.clone(),
                inner,
                prop::sample::select(vec![1u8, 2, 4])
            )
                .prop_map(|(proto, i, size)| Arith::Load {
                    proto,
                    index: Box::new(Arith::Bin(
                        ArithOp::And,
                        Box::new(i),
                        Box::new(Arith::Num(63))
                    )),
                    size
                }),
        ]
    })
}

fn ip_addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        prop::sample::select(V4).prop_map(|s| s.parse().unwrap()),
        prop::sample::select(V6).prop_map(|s| s.parse().unwrap()),
    ]
}

fn dir() -> impl Strategy<Value = Dir> {
    prop::sample::select(vec![Dir::SrcOrDst, Dir::SrcAndDst, Dir::Src, Dir::Dst])
}

fn port() -> impl Strategy<Value = u16> {
    prop_oneof![prop::sample::select(PORTS), any::<u16>()]
}

fn primitive() -> impl Strategy<Value = Primitive> {
    let proto = prop::sample::select(vec![
        Proto::Ip,
        Proto::Ip6,
        Proto::Arp,
        Proto::Tcp,
        Proto::Udp,
        Proto::Icmp,
        Proto::Icmp6,
    ])
    .prop_map(Primitive::Proto);
    let host = (ip_addr(), dir(), 0..3u8).prop_map(|(addr, dir, q)| {
        let proto = match (addr.is_ipv4(), q) {
            (_, 0) => AddrProto::Any,
            (true, 1) => AddrProto::Ip,
            (true, _) => AddrProto::Arp,
            (false, _) => AddrProto::Ip6,
        };
        Primitive::Host { proto, dir, addr }
    });
    let net = (ip_addr(), 0..=128u8, dir(), 0..3u8).prop_map(|(addr, p, dir, q)| {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = p % (max + 1);
        let net = masked(addr, prefix).expect("prefix fits the address");
        let addr = net.addr();
        let proto = match (addr.is_ipv4(), q) {
            (_, 0) => AddrProto::Any,
            (true, 1) => AddrProto::Ip,
            (true, _) => AddrProto::Arp,
            (false, _) => AddrProto::Ip6,
        };
        Primitive::Net { proto, dir, net }
    });
    let ports = (
        prop::sample::select(vec![PortProto::Any, PortProto::Tcp, PortProto::Udp]),
        dir(),
        port(),
        prop_oneof![Just(0u16), 1..200u16],
    )
        .prop_map(|(proto, dir, lo, width)| Primitive::Port {
            proto,
            dir,
            range: PortRange {
                lo,
                hi: lo.saturating_add(width),
            },
        });
    let rel = prop::sample::select(vec![
        RelOp::Eq,
        RelOp::Ne,
        RelOp::Lt,
        RelOp::Le,
        RelOp::Gt,
        RelOp::Ge,
    ]);
    let compare =
        (rel, arith(), arith()).prop_map(|(op, lhs, rhs)| Primitive::Compare { op, lhs, rhs });
    let net_proto = (
        any::<bool>(),
        prop::sample::select(vec![1u32, 6, 17, 58, 132, 300]),
    )
        .prop_map(|(v6, number)| Primitive::NetProto { v6, number });
    prop_oneof![4 => proto, 4 => host, 4 => net, 4 => ports, 4 => compare, 1 => net_proto]
}

fn expr() -> impl Strategy<Value = Expr> {
    primitive()
        .prop_map(Expr::Prim)
        .prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                inner.clone().prop_map(Expr::not),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::and(a, b)),
                (inner.clone(), inner).prop_map(|(a, b)| Expr::or(a, b)),
            ]
        })
}

fn transport() -> impl Strategy<Value = (u8, Transport)> {
    (port(), port(), 0..6u8).prop_map(|(s, d, k)| match k {
        0 | 1 => (6, Transport::Tcp(s, d)),
        2 | 3 => (17, Transport::Udp(s, d)),
        4 => (132, Transport::Sctp(s, d)),
        _ => (1, Transport::Echo),
    })
}

fn v4_addr() -> impl Strategy<Value = [u8; 4]> {
    prop_oneof![
        4 => prop::sample::select(V4).prop_map(packets::v4),
        1 => any::<[u8; 4]>()
    ]
}

fn v6_addr() -> impl Strategy<Value = [u8; 16]> {
    prop_oneof![
        4 => prop::sample::select(V6).prop_map(packets::v6),
        1 => any::<[u8; 16]>()
    ]
}

fn net_layer(raw: bool) -> impl Strategy<Value = Net> {
    let v4 = (
        v4_addr(),
        v4_addr(),
        transport(),
        prop_oneof![3 => Just(0u16), 1 => Just(0x1000u16), 1 => 1..0x1fffu16],
        any::<bool>(),
        prop_oneof![3 => Just(0u8), 1 => 1..10u8],
    )
        .prop_map(
            |(src, dst, (proto, payload), frag_offset, mf, opts)| Net::V4 {
                src,
                dst,
                proto,
                frag_offset,
                more_fragments: mf,
                option_words: opts,
                payload,
            },
        );
    let ext = prop::collection::vec((prop::sample::select(vec![0u8, 44]), 0..3u16), 0..3);
    let v6 = (v6_addr(), v6_addr(), ext, transport()).prop_map(|(src, dst, ext, (p, payload))| {
        Net::V6 {
            src,
            dst,
            ext,
            proto: if p == 1 { 58 } else { p },
            payload,
        }
    });
    let arp = (any::<bool>(), v4_addr(), v4_addr()).prop_map(|(rarp, spa, tpa)| Net::Arp {
        rarp,
        spa,
        tpa,
    });
    let other = (
        prop::sample::select(vec![0x88ccu16, 0x8100, 0x0800, 0x86dd, 0x0806]),
        prop::collection::vec(any::<u8>(), 0..60),
    )
        .prop_map(|(ethertype, payload)| Net::Other { ethertype, payload });
    if raw {
        prop_oneof![v4, v6].boxed()
    } else {
        prop_oneof![3 => v4, 3 => v6, 1 => arp, 1 => other].boxed()
    }
}

const ALL_FRAMINGS: [Framing; 5] = [
    Framing::Ethernet,
    Framing::LinuxSll,
    Framing::RawIp,
    Framing::Ipv4,
    Framing::Ipv6,
];

fn frame() -> impl Strategy<Value = (Framing, Frame)> {
    let link = prop_oneof![
        Just((Framing::Ethernet, Link::Ethernet { vlan: None })),
        Just((Framing::Ethernet, Link::Ethernet { vlan: Some(7) })),
        Just((Framing::LinuxSll, Link::Sll)),
        Just((Framing::RawIp, Link::Raw)),
        Just((Framing::Ipv4, Link::Raw)),
        Just((Framing::Ipv6, Link::Raw)),
    ];
    link.prop_flat_map(|(lt, link)| {
        (
            net_layer(link == Link::Raw),
            prop_oneof![3 => Just(None), 1 => (0..100usize).prop_map(Some)],
        )
            .prop_map(move |(net, caplen)| (lt, Frame { link, net, caplen }))
    })
}

/// Every primitive over the value pools: each kind, qualifier and direction.
fn pool_primitives() -> Vec<Primitive> {
    let dirs = [Dir::SrcOrDst, Dir::SrcAndDst, Dir::Src, Dir::Dst];
    let mut out: Vec<Primitive> = [
        Proto::Ip,
        Proto::Ip6,
        Proto::Arp,
        Proto::Tcp,
        Proto::Udp,
        Proto::Icmp,
        Proto::Icmp6,
    ]
    .into_iter()
    .map(Primitive::Proto)
    .collect();
    for dir in dirs {
        for a in V4.iter().chain(V6) {
            let addr: IpAddr = a.parse().unwrap();
            let protos: &[AddrProto] = if addr.is_ipv4() {
                &[AddrProto::Any, AddrProto::Ip, AddrProto::Arp]
            } else {
                &[AddrProto::Any, AddrProto::Ip6]
            };
            for &proto in protos {
                out.push(Primitive::Host { proto, dir, addr });
            }
            let prefixes: &[u8] = if addr.is_ipv4() {
                &[0, 8, 16, 24, 31]
            } else {
                &[0, 16, 32, 48, 64, 127]
            };
            for &prefix in prefixes {
                let net = masked(addr, prefix).expect("prefix fits the address");
                out.push(Primitive::Net {
                    proto: AddrProto::Any,
                    dir,
                    net,
                });
            }
        }
        for proto in [PortProto::Any, PortProto::Tcp, PortProto::Udp] {
            for &p in PORTS {
                out.push(Primitive::Port {
                    proto,
                    dir,
                    range: PortRange::single(p),
                });
            }
            // Bounds taken from the pool, so both ends of a range get hit exactly.
            for (lo, hi) in [(1, 1023), (53, 80), (443, 8080), (0, 22)] {
                out.push(Primitive::Port {
                    proto,
                    dir,
                    range: PortRange { lo, hi },
                });
            }
        }
    }
    out
}

/// The network `addr/prefix` with the bits past the prefix cleared.
fn masked(addr: IpAddr, prefix: u8) -> Option<IpNet> {
    let max: u32 = if addr.is_ipv4() { 32 } else { 128 };
    let bits = match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    };
    let keep = if prefix == 0 {
        0
    } else {
        (u128::MAX << (128 - u32::from(prefix))) >> (128 - max)
    };
    let addr: IpAddr = match addr {
        IpAddr::V4(_) => std::net::Ipv4Addr::from((bits & keep) as u32).into(),
        IpAddr::V6(_) => std::net::Ipv6Addr::from(bits & keep).into(),
    };
    IpNet::new(addr, prefix)
}

/// The compiled program, or for an expression the compiler refuses because nothing can match
/// (as libpcap refuses it), a program that rejects everything: the model must then agree that
/// nothing matches.
fn compile_or_nothing(
    e: &Expr,
    lt: Framing,
) -> Result<raw_sniff::filter::Program, raw_sniff::filter::CompileError> {
    match compile(e, lt) {
        Err(raw_sniff::filter::CompileError::RejectsAll) => {
            let ret0 = raw_sniff::filter::SockFilter::stmt(raw_sniff::filter::bpf::op::RET, 0);
            Ok(raw_sniff::filter::Program::new(vec![ret0]).expect("ret #0 verifies"))
        }
        other => other,
    }
}

fn check(e: &Expr, lt: Framing, frame: &Frame) -> Result<(), TestCaseError> {
    let prog =
        compile_or_nothing(e, lt).map_err(|err| TestCaseError::fail(format!("{e}: {err}")))?;
    let (bytes, wire) = frame.bytes();
    let want = match (Pkt {
        b: &bytes,
        wire,
        link: lt,
    })
    .eval(e)
    {
        Ok(true) => SNAPLEN,
        Ok(false) | Err(Truncated) => 0,
    };
    // Where the expression reads a field the capture does not hold, the code generator's order
    // decides, as the evaluator's does; the optimiser may then test fields already loaded
    // first, as libpcap's does, so only the unoptimised program is held to the evaluator there.
    let truncated = matches!(
        (Pkt {
            b: &bytes,
            wire,
            link: lt,
        })
        .eval(e),
        Err(Truncated)
    );
    let prog = if truncated {
        compile_unoptimized(e, lt).map_err(|err| TestCaseError::fail(format!("{e}: {err}")))?
    } else {
        prog
    };
    let got = run(prog.instructions(), &bytes, wire);
    prop_assert_eq!(
        got,
        want,
        "filter {} on {:?} {:02x?}\n{}",
        e,
        lt,
        bytes,
        prog
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn compiled_programs_pass_the_kernel_checks(e in expr()) {
        for lt in ALL_FRAMINGS {
            let prog = compile_or_nothing(&e, lt).map_err(|err| TestCaseError::fail(format!("{e}: {err}")))?;
            prop_assert!(prog.len() <= MAX_INSNS);
            prop_assert_eq!(verify(prog.instructions()), Ok(()));
        }
        match compile_for_cooked_socket(&e) {
            Ok(cooked) => prop_assert_eq!(verify(cooked.instructions()), Ok(())),
            // A cooked socket has no link header to load from; only that may fail.
            Err(CompileError::NeedsLinkHeader) => prop_assert!(e.to_string().contains("link[")),
            // As on every framing above (where the model checks the claim on frames).
            Err(CompileError::RejectsAll) => {}
            Err(err) => return Err(TestCaseError::fail(format!("{e}: {err}"))),
        }
    }

    #[test]
    fn program_agrees_with_the_expression(e in expr(), (lt, frame) in frame()) {
        check(&e, lt, &frame)?;
    }

    #[test]
    fn every_pool_primitive_agrees_on_random_packets((lt, frame) in frame()) {
        for p in pool_primitives() {
            check(&Expr::Prim(p), lt, &frame)?;
        }
    }

    #[test]
    fn printed_expressions_parse_back_to_themselves(e in expr()) {
        let text = e.to_string();
        let back = parse(&text).map_err(|err| TestCaseError::fail(err.render(&text)))?;
        prop_assert_eq!(back, e);
    }

    #[test]
    fn interpreter_never_panics_on_any_bytes(
        e in expr(),
        bytes in prop::collection::vec(any::<u8>(), 0..120),
        wire in any::<u32>(),
    ) {
        for lt in ALL_FRAMINGS {
            let prog = compile_or_nothing(&e, lt).map_err(|err| TestCaseError::fail(err.to_string()))?;
            let got = run(prog.instructions(), &bytes, wire);
            prop_assert!(got == 0 || got == SNAPLEN);
        }
    }
}

/// A primitive-by-primitive check on packets chosen to hit each field, so a regression shows
/// which primitive broke even when the random search misses it.
#[test]
fn each_primitive_on_a_matching_packet() {
    let tcp80 = Frame {
        link: Link::Ethernet { vlan: None },
        net: Net::V4 {
            src: packets::v4("10.0.0.1"),
            dst: packets::v4("192.168.1.1"),
            proto: 6,
            frag_offset: 0,
            more_fragments: false,
            option_words: 2,
            payload: Transport::Tcp(40000, 80),
        },
        caplen: None,
    };
    let v6_frag_udp = Frame {
        link: Link::Raw,
        net: Net::V6 {
            src: packets::v6("2001:db8::1"),
            dst: packets::v6("fe80::1"),
            ext: vec![(44, 0)],
            proto: 17,
            payload: Transport::Udp(53, 53),
        },
        caplen: None,
    };
    let cases: &[(&str, &Frame, Framing, bool)] = &[
        ("tcp", &tcp80, Framing::Ethernet, true),
        ("ip", &tcp80, Framing::Ethernet, true),
        ("udp", &tcp80, Framing::Ethernet, false),
        ("dst port 80", &tcp80, Framing::Ethernet, true),
        ("src port 80", &tcp80, Framing::Ethernet, false),
        // The options are NOPs: a compiler ignoring the IHL would read port 257 here.
        ("port 257", &tcp80, Framing::Ethernet, false),
        ("tcp portrange 79-81", &tcp80, Framing::Ethernet, true),
        ("udp port 80", &tcp80, Framing::Ethernet, false),
        ("src host 10.0.0.1", &tcp80, Framing::Ethernet, true),
        ("dst net 192.168.0.0/16", &tcp80, Framing::Ethernet, true),
        (
            "src and dst net 10.0.0.0/8",
            &tcp80,
            Framing::Ethernet,
            false,
        ),
        ("arp host 10.0.0.1", &tcp80, Framing::Ethernet, false),
        ("udp", &v6_frag_udp, Framing::RawIp, true),
        ("ip6 and not ip", &v6_frag_udp, Framing::RawIp, true),
        // A port after a fragment header is not looked for, as in tcpdump.
        ("port 53", &v6_frag_udp, Framing::RawIp, false),
        ("src net 2001:db8::/32", &v6_frag_udp, Framing::RawIp, true),
        ("dst host fe80::1", &v6_frag_udp, Framing::RawIp, true),
        ("host 10.0.0.1", &v6_frag_udp, Framing::RawIp, false),
    ];
    for (text, frame, lt, want) in cases {
        let e = parse(text).unwrap();
        let (bytes, wire) = frame.bytes();
        let got = compile_or_nothing(&e, *lt).unwrap().run(&bytes, wire) == SNAPLEN;
        assert_eq!(got, *want, "{text}");
        let direct = (Pkt {
            b: &bytes,
            wire,
            link: *lt,
        })
        .eval(&e)
            == Ok(true);
        assert_eq!(direct, *want, "evaluator on {text}");
    }
}
