//! The arithmetic of relations such as `tcp[13] & 2 != 0` and `len <= 100`: packet loads,
//! numbers and operators, as in pcap-filter(7). Values are unsigned 32-bit and wrap, as BPF's
//! accumulator does.

use std::fmt;

/// An arithmetic expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Arith {
    /// A number (named constants such as `tcp-syn` are read as their values).
    Num(u32),
    /// `len`: the packet's length on the wire.
    Len,
    /// `proto[index:size]`: `size` bytes (1, 2 or 4), big-endian, `index` bytes into the header
    /// `proto` names.
    Load {
        /// Which header the index counts from.
        proto: LoadProto,
        /// The byte offset.
        index: Box<Arith>,
        /// 1, 2 or 4.
        size: u8,
    },
    /// `-a`.
    Neg(Box<Arith>),
    /// `a op b`.
    Bin(ArithOp, Box<Arith>, Box<Arith>),
}

/// The headers a load can count from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadProto {
    /// `link` or `ether`: the start of the frame.
    Link,
    /// `ip`: the IPv4 header (the packet must be IPv4).
    Ip,
    /// `ip6`: the IPv6 fixed header (the packet must be IPv6).
    Ip6,
    /// `arp`: the ARP header (the packet must be ARP).
    Arp,
    /// `tcp`: the TCP header of an IPv4 packet that is not a later fragment, found with the IHL.
    Tcp,
    /// `udp`: as `tcp`, for UDP.
    Udp,
    /// `icmp`: as `tcp`, for ICMP.
    Icmp,
    /// `icmp6`: right after the IPv6 fixed header, when its next header is 58.
    Icmp6,
    /// `rarp`: the RARP header (the packet must be RARP).
    Rarp,
    /// `sctp`: as `tcp`, for SCTP (132).
    Sctp,
    /// `igmp`: as `tcp`, for IGMP (2).
    Igmp,
    /// `igrp`: as `tcp`, for IGRP (9).
    Igrp,
    /// `decnet`, `lat`, `sca`, `moprc`, `mopdl`, `atalk`: the network header of a frame of
    /// that link-layer protocol (for `atalk` at the same offset whether or not SNAP precedes
    /// it, as libpcap reads it).
    LinkWord(super::link::LinkWord),
    /// `pim`: as `tcp`, for PIM (103); IPv4 only, as in libpcap.
    Pim,
    /// `vrrp`: as `tcp`, for VRRP (112).
    Vrrp,
    /// `carp`: as `vrrp` (the same protocol number).
    Carp,
}

impl LoadProto {
    /// The IPv4 protocol number of a header found behind the IHL, or `None` for the others.
    pub fn ipv4_transport(self) -> Option<u32> {
        Some(match self {
            LoadProto::Tcp => 6,
            LoadProto::Udp => 17,
            LoadProto::Icmp => 1,
            LoadProto::Sctp => 132,
            LoadProto::Igmp => 2,
            LoadProto::Igrp => 9,
            LoadProto::Pim => 103,
            LoadProto::Vrrp | LoadProto::Carp => 112,
            _ => return None,
        })
    }
}

/// The binary arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/` (unsigned; a zero divisor at run time rejects the packet).
    Div,
    /// `%`.
    Mod,
    /// `&`.
    And,
    /// `|`.
    Or,
    /// `^`.
    Xor,
    /// `<<`.
    Shl,
    /// `>>`.
    Shr,
}

/// The relations between two arithmetic expressions (unsigned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelOp {
    /// `=` or `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl ArithOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
            ArithOp::And => "&",
            ArithOp::Or => "|",
            ArithOp::Xor => "^",
            ArithOp::Shl => "<<",
            ArithOp::Shr => ">>",
        }
    }

    /// Binding strength as in C (higher binds tighter); all are left-associative. `^` is the
    /// exception in the filter language: libpcap's grammar gives it no precedence, so it takes
    /// the operand just before it and everything after it (`1 ^ 16 | 1` is `1 ^ (16 | 1)`);
    /// the parser handles it apart and the value here only places it among the others.
    pub fn precedence(self) -> u8 {
        match self {
            ArithOp::Mul | ArithOp::Div | ArithOp::Mod => 6,
            ArithOp::Add | ArithOp::Sub => 5,
            ArithOp::Shl | ArithOp::Shr => 4,
            ArithOp::And => 3,
            ArithOp::Xor => 2,
            ArithOp::Or => 1,
        }
    }

    /// The operator a symbol stands for.
    pub fn from_symbol(s: &str) -> Option<Self> {
        Some(match s {
            "+" => ArithOp::Add,
            "-" => ArithOp::Sub,
            "*" => ArithOp::Mul,
            "/" => ArithOp::Div,
            "%" => ArithOp::Mod,
            "&" => ArithOp::And,
            "|" => ArithOp::Or,
            "^" => ArithOp::Xor,
            "<<" => ArithOp::Shl,
            ">>" => ArithOp::Shr,
            _ => return None,
        })
    }
}

impl RelOp {
    /// The operator as written (`=` for equality).
    pub fn symbol(self) -> &'static str {
        match self {
            RelOp::Eq => "=",
            RelOp::Ne => "!=",
            RelOp::Lt => "<",
            RelOp::Le => "<=",
            RelOp::Gt => ">",
            RelOp::Ge => ">=",
        }
    }

    /// The relation a symbol stands for.
    pub fn from_symbol(s: &str) -> Option<Self> {
        Some(match s {
            "=" | "==" => RelOp::Eq,
            "!=" => RelOp::Ne,
            "<" => RelOp::Lt,
            "<=" => RelOp::Le,
            ">" => RelOp::Gt,
            ">=" => RelOp::Ge,
            _ => return None,
        })
    }

    /// Whether the relation holds between `a` and `b`.
    pub fn holds(self, a: u32, b: u32) -> bool {
        match self {
            RelOp::Eq => a == b,
            RelOp::Ne => a != b,
            RelOp::Lt => a < b,
            RelOp::Le => a <= b,
            RelOp::Gt => a > b,
            RelOp::Ge => a >= b,
        }
    }
}

impl fmt::Display for LoadProto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let LoadProto::LinkWord(w) = self {
            return write!(f, "{w}");
        }
        f.write_str(match self {
            LoadProto::LinkWord(_) => unreachable!("written above"),
            LoadProto::Link => "link",
            LoadProto::Ip => "ip",
            LoadProto::Ip6 => "ip6",
            LoadProto::Arp => "arp",
            LoadProto::Tcp => "tcp",
            LoadProto::Udp => "udp",
            LoadProto::Icmp => "icmp",
            LoadProto::Icmp6 => "icmp6",
            LoadProto::Rarp => "rarp",
            LoadProto::Sctp => "sctp",
            LoadProto::Igmp => "igmp",
            LoadProto::Igrp => "igrp",
            LoadProto::Pim => "pim",
            LoadProto::Vrrp => "vrrp",
            LoadProto::Carp => "carp",
        })
    }
}

/// Prints in the filter language with every operation in parentheses, so that reading the text
/// back gives the same tree.
impl fmt::Display for Arith {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arith::Num(n) => write!(f, "{n}"),
            Arith::Len => f.write_str("len"),
            Arith::Load { proto, index, size } => write!(f, "{proto}[{index} : {size}]"),
            Arith::Neg(a) => write!(f, "(- {a})"),
            Arith::Bin(op, a, b) => write!(f, "({a} {} {b})", op.symbol()),
        }
    }
}
