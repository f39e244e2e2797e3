//! IPv6 extension headers (RFC 8200 §4): hop-by-hop and destination options, routing,
//! fragment, and the authentication header's length rule (RFC 4302), which is enough to walk
//! the chain from the fixed header to the upper-layer protocol.

use core::fmt;

use crate::error::{Layer, Reason, Result, WireError};
use crate::field::{bits16, u32_at, u8_at, FieldDef};
use crate::ip::IpProtocol;

/// Field table shared by hop-by-hop options headers.
pub mod hbh {
    field_table! {
        NEXT_HEADER = "ipv6.hopopts.nxt", 0, 1, 0, crate::ip::IpProtocol::KIND, "Next header",
            "What follows this header (RFC 8200 §4.3).";
        LEN = "ipv6.hopopts.len", 1, 1, 0, Kind::Number, "Length",
            "Header length in 8-byte units, not counting the first 8 bytes (RFC 8200 §4.3).";
    }
}

/// Field table of destination options headers.
pub mod dstopts {
    field_table! {
        NEXT_HEADER = "ipv6.dstopts.nxt", 0, 1, 0, crate::ip::IpProtocol::KIND, "Next header",
            "What follows this header (RFC 8200 §4.6).";
        LEN = "ipv6.dstopts.len", 1, 1, 0, Kind::Number, "Length",
            "Header length in 8-byte units, not counting the first 8 bytes (RFC 8200 §4.6).";
    }
}

/// Field table of routing headers.
pub mod routing {
    field_table! {
        NEXT_HEADER = "ipv6.routing.nxt", 0, 1, 0, crate::ip::IpProtocol::KIND, "Next header",
            "What follows this header (RFC 8200 §4.4).";
        LEN = "ipv6.routing.len", 1, 1, 0, Kind::Number, "Length",
            "Header length in 8-byte units, not counting the first 8 bytes (RFC 8200 §4.4).";
        TYPE = "ipv6.routing.type", 2, 1, 0, Kind::Number, "Routing type",
            "Variant of routing header, e.g. 4 segment routing (RFC 8754); type 0 is deprecated (RFC 5095).";
        SEGMENTS_LEFT = "ipv6.routing.segleft", 3, 1, 0, Kind::Number, "Segments left",
            "Route segments still to visit before the final destination (RFC 8200 §4.4).";
    }
}

/// Field table of the fragment header.
pub mod fragment {
    field_table! {
        NEXT_HEADER = "ipv6.fragment.nxt", 0, 1, 0, crate::ip::IpProtocol::KIND, "Next header",
            "Type of the fragmentable part, the same in every fragment (RFC 8200 §4.5).";
        RESERVED = "ipv6.fragment.reserved_octet", 1, 1, 0, Kind::Number, "Reserved",
            "Zero on transmission (RFC 8200 §4.5).";
        OFFSET = "ipv6.fragment.offset", 2, 2, 0xfff8, Kind::Units { unit: 8, shown_in_bytes: false }, "Fragment offset",
            "Where this fragment's data goes, in 8-byte units (RFC 8200 §4.5).";
        RES = "ipv6.fragment.reserved_bits", 2, 2, 0x0006, Kind::Number, "Reserved bits",
            "Zero on transmission (RFC 8200 §4.5).";
        MORE = "ipv6.fragment.more", 2, 2, 0x0001, Kind::Flag, "More fragments",
            "Set on every fragment but the last (RFC 8200 §4.5).";
        IDENT = "ipv6.fragment.id", 4, 4, 0, Kind::Number, "Identification",
            "Same value in all fragments of one original packet (RFC 8200 §4.5).";
    }
}

/// The length byte of an option, at its offset inside the option: named in errors about it.
pub const OPTION_LEN: FieldDef = FieldDef {
    name: "ipv6.opt.length",
    at: 1,
    len: 1,
    mask: 0,
    kind: crate::field::Kind::Number,
    label: "Option length",
    meaning: "Bytes of option data after the type and length bytes (RFC 8200 §4.2).",
};

enum_with_unknown! {
    /// Option types in hop-by-hop and destination options headers (IANA "Destination
    /// Options and Hop-by-Hop Options").
    pub enum OptionKind(u8) {
        /// One byte of padding.
        Pad1 = 0 => "Pad1",
        /// Several bytes of padding.
        PadN = 1 => "PadN",
        /// Router alert (RFC 2711).
        RouterAlert = 5 => "Router Alert",
        /// Jumbo payload (RFC 2675).
        Jumbo = 0xc2 => "Jumbo Payload",
        /// Home address (RFC 6275).
        HomeAddress = 0xc9 => "Home Address",
    }
}

/// One option TLV inside a hop-by-hop or destination options header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtOption<'a> {
    /// Option type.
    pub kind: OptionKind,
    /// Offset from the start of the extension header.
    pub at: usize,
    /// Data bytes.
    pub data: &'a [u8],
}

/// Walks option TLVs without allocating.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<ExtOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.bytes.get(self.pos..).filter(|r| !r.is_empty())?;
        let at = 2 + self.pos;
        let kind = OptionKind::from(rest[0]);
        if kind == OptionKind::Pad1 {
            self.pos += 1;
            return Some(Ok(ExtOption {
                kind,
                at,
                data: &[],
            }));
        }
        let Some(&len) = rest.get(1) else {
            self.pos = self.bytes.len();
            return Some(Err(WireError::malformed(
                Layer::Ipv6Ext,
                at,
                &OPTION_LEN,
                Reason::Other("missing"),
            )));
        };
        let len = usize::from(len);
        if 2 + len > rest.len() {
            self.pos = self.bytes.len();
            return Some(Err(WireError::malformed(
                Layer::Ipv6Ext,
                at + 1,
                &OPTION_LEN,
                Reason::Above {
                    value: len as u64,
                    max: rest.len() as u64 - 2,
                },
            )));
        }
        self.pos += 2 + len;
        Some(Ok(ExtOption {
            kind,
            at,
            data: &rest[2..2 + len],
        }))
    }
}

/// A view of one extension header. The kind comes from the previous header's next-header
/// field, since the header itself does not say what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<T: AsRef<[u8]>> {
    buffer: T,
    kind: IpProtocol,
}

impl<T: AsRef<[u8]>> Header<T> {
    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]>> Header<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T, kind: IpProtocol) -> Header<T> {
        Header { buffer, kind }
    }

    /// Wraps a buffer after [`Header::check_len`].
    pub fn new_checked(buffer: T, kind: IpProtocol) -> Result<Header<T>> {
        let h = Self::new_unchecked(buffer, kind);
        h.check_len()?;
        Ok(h)
    }

    /// Checks that `kind` is an extension header this crate walks and that its length is in
    /// the buffer.
    pub fn check_len(&self) -> Result<()> {
        if !self.kind.is_ipv6_extension() {
            return Err(WireError::malformed(
                Layer::Ipv6Ext,
                0,
                &crate::ipv6::field::NEXT_HEADER,
                Reason::Other("not an extension header"),
            ));
        }
        let have = self.buffer.as_ref().len();
        if have < 8 {
            return Err(WireError::truncated(Layer::Ipv6Ext, 8, have));
        }
        let need = self.header_len();
        if have < need {
            return Err(WireError::truncated(Layer::Ipv6Ext, need, have));
        }
        Ok(())
    }

    /// Which extension header this is.
    pub fn kind(&self) -> IpProtocol {
        self.kind
    }

    /// Next header.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(u8_at(self.buffer.as_ref(), hbh::NEXT_HEADER))
    }

    /// Length of this header in bytes.
    pub fn header_len(&self) -> usize {
        let n = usize::from(self.buffer.as_ref()[1]);
        match self.kind {
            IpProtocol::Ipv6Frag => 8,
            IpProtocol::Ah => (n + 2) * 4,
            _ => (n + 1) * 8,
        }
    }

    /// The field table that describes this header's fixed part.
    pub fn fields(&self) -> &'static [FieldDef] {
        match self.kind {
            IpProtocol::HopByHop => hbh::FIELDS,
            IpProtocol::Ipv6Opts => dstopts::FIELDS,
            IpProtocol::Ipv6Route => routing::FIELDS,
            IpProtocol::Ipv6Frag => fragment::FIELDS,
            _ => &[],
        }
    }

    /// Bytes after next-header and length, to the end of this header.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[2..self.header_len()]
    }

    /// Options of a hop-by-hop or destination options header (empty for other kinds).
    pub fn options(&self) -> Options<'_> {
        match self.kind {
            IpProtocol::HopByHop | IpProtocol::Ipv6Opts => Options {
                bytes: self.data(),
                pos: 0,
            },
            _ => Options { bytes: &[], pos: 0 },
        }
    }

    /// Routing type (routing header only).
    pub fn routing_type(&self) -> u8 {
        u8_at(self.buffer.as_ref(), routing::TYPE)
    }

    /// Segments left (routing header only).
    pub fn segments_left(&self) -> u8 {
        u8_at(self.buffer.as_ref(), routing::SEGMENTS_LEFT)
    }

    /// Fragment offset in 8-byte units (fragment header only).
    pub fn frag_offset(&self) -> u16 {
        bits16(self.buffer.as_ref(), fragment::OFFSET)
    }

    /// More fragments (fragment header only).
    pub fn more_frags(&self) -> bool {
        bits16(self.buffer.as_ref(), fragment::MORE) != 0
    }

    /// Identification (fragment header only).
    pub fn frag_ident(&self) -> u32 {
        u32_at(self.buffer.as_ref(), fragment::IDENT)
    }

    /// The length field as written: 8-byte units after the first 8 (RFC 8200 §4.3).
    pub fn len_field(&self) -> u8 {
        self.buffer.as_ref()[1]
    }

    /// Routing header: the 32 bits after segments left, reserved in types 0 and 2 (RFC 2460
    /// §4.4, RFC 6275 §6.4), last entry, flags and tag in type 4 (RFC 8754 §2).
    pub fn routing_word(&self) -> u32 {
        self.buffer
            .as_ref()
            .get(4..8)
            .map_or(0, |w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
    }

    /// Routing header of type 0 or 2: the addresses it lists, 16 bytes each after the first
    /// 8, as many as were captured.
    pub fn routing_addresses(&self) -> impl Iterator<Item = std::net::Ipv6Addr> + '_ {
        let end = self.header_len().min(self.buffer.as_ref().len());
        self.buffer.as_ref()[8.min(end)..end]
            .chunks_exact(16)
            .map(|c| std::net::Ipv6Addr::from(<[u8; 16]>::try_from(c).expect("16 bytes")))
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Header<&'a T> {
    /// Bytes after this header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

/// A decoded extension header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr<'a> {
    /// Hop-by-hop options; `options` is everything after the first two bytes.
    HopByHop {
        /// What follows.
        next_header: IpProtocol,
        /// Option TLVs and padding.
        options: &'a [u8],
    },
    /// Destination options.
    DestOpts {
        /// What follows.
        next_header: IpProtocol,
        /// Option TLVs and padding.
        options: &'a [u8],
    },
    /// Routing header.
    Routing {
        /// What follows.
        next_header: IpProtocol,
        /// Routing type.
        routing_type: u8,
        /// Segments left.
        segments_left: u8,
        /// Type-specific data after the first four bytes.
        data: &'a [u8],
    },
    /// Fragment header.
    Fragment {
        /// What follows (in the reassembled packet).
        next_header: IpProtocol,
        /// Offset, 8-byte units.
        offset: u16,
        /// More fragments follow.
        more: bool,
        /// Identification.
        ident: u32,
    },
    /// Authentication header: only its length matters to walk past it.
    Ah {
        /// What follows.
        next_header: IpProtocol,
        /// Everything after the first two bytes.
        data: &'a [u8],
    },
}

fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

/// Largest extension header: length byte 255 in 8-byte units.
const MAX_LEN: usize = 256 * 8;

impl<'a> Repr<'a> {
    /// Decodes one header; options must be well-formed.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(h: &Header<&'a T>) -> Result<Repr<'a>> {
        h.check_len()?;
        let b: &'a [u8] = h.buffer.as_ref();
        let data = &b[2..h.header_len()];
        let next_header = h.next_header();
        Ok(match h.kind {
            IpProtocol::HopByHop | IpProtocol::Ipv6Opts => {
                for o in h.options() {
                    o?;
                }
                if h.kind == IpProtocol::HopByHop {
                    Repr::HopByHop {
                        next_header,
                        options: data,
                    }
                } else {
                    Repr::DestOpts {
                        next_header,
                        options: data,
                    }
                }
            }
            IpProtocol::Ipv6Route => Repr::Routing {
                next_header,
                routing_type: h.routing_type(),
                segments_left: h.segments_left(),
                data: &data[2..],
            },
            IpProtocol::Ipv6Frag => Repr::Fragment {
                next_header,
                offset: h.frag_offset(),
                more: h.more_frags(),
                ident: h.frag_ident(),
            },
            _ => Repr::Ah { next_header, data },
        })
    }

    /// What follows this header.
    pub fn next_header(&self) -> IpProtocol {
        match *self {
            Repr::HopByHop { next_header, .. }
            | Repr::DestOpts { next_header, .. }
            | Repr::Routing { next_header, .. }
            | Repr::Fragment { next_header, .. }
            | Repr::Ah { next_header, .. } => next_header,
        }
    }

    /// The protocol number announcing this header.
    pub fn kind(&self) -> IpProtocol {
        match self {
            Repr::HopByHop { .. } => IpProtocol::HopByHop,
            Repr::DestOpts { .. } => IpProtocol::Ipv6Opts,
            Repr::Routing { .. } => IpProtocol::Ipv6Route,
            Repr::Fragment { .. } => IpProtocol::Ipv6Frag,
            Repr::Ah { .. } => IpProtocol::Ah,
        }
    }

    /// Length `emit` writes: data padded to the header's unit (8 bytes, 4 for AH), capped at
    /// the largest length the length byte can express.
    pub fn buffer_len(&self) -> usize {
        match *self {
            Repr::HopByHop { options, .. } | Repr::DestOpts { options, .. } => {
                round_up(2 + options.len(), 8).min(MAX_LEN)
            }
            Repr::Routing { data, .. } => round_up(4 + data.len(), 8).min(MAX_LEN),
            Repr::Fragment { .. } => 8,
            Repr::Ah { data, .. } => round_up(2 + data.len(), 8).min(257 * 4),
        }
    }

    /// Writes the header into a buffer of at least [`Repr::buffer_len`] bytes. Padding added
    /// to options is Pad1 bytes (zeros), which readers skip.
    pub fn emit(&self, buf: &mut [u8]) {
        let len = self.buffer_len();
        let buf = &mut buf[..len];
        buf.fill(0);
        buf[0] = self.next_header().into();
        buf[1] = match self {
            Repr::Fragment { .. } => 0,
            Repr::Ah { .. } => (len / 4 - 2) as u8,
            _ => (len / 8 - 1) as u8,
        };
        let copy = |dst: &mut [u8], src: &[u8]| {
            let n = src.len().min(dst.len());
            dst[..n].copy_from_slice(&src[..n]);
        };
        match *self {
            Repr::HopByHop { options, .. } | Repr::DestOpts { options, .. } => {
                copy(&mut buf[2..], options)
            }
            Repr::Ah { data, .. } => copy(&mut buf[2..], data),
            Repr::Routing {
                routing_type,
                segments_left,
                data,
                ..
            } => {
                buf[2] = routing_type;
                buf[3] = segments_left;
                copy(&mut buf[4..], data);
            }
            Repr::Fragment {
                offset,
                more,
                ident,
                ..
            } => {
                let w = (offset << 3) | u16::from(more);
                buf[2..4].copy_from_slice(&w.to_be_bytes());
                buf[4..8].copy_from_slice(&ident.to_be_bytes());
            }
        }
    }
}

impl fmt::Display for Repr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Repr::Fragment {
                offset,
                more,
                ident,
                next_header,
            } => write!(
                f,
                "frag id {ident:#x} offset {}{} next {next_header}",
                u32::from(offset) * 8,
                if more { "+" } else { "" }
            ),
            Repr::Routing {
                routing_type,
                segments_left,
                next_header,
                ..
            } => write!(
                f,
                "routing type {routing_type} segleft {segments_left} next {next_header}"
            ),
            other => write!(
                f,
                "{} len {} next {}",
                other.kind(),
                other.buffer_len(),
                other.next_header()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_type_0_addresses() {
        // Hand-made: routing type 0, two addresses, one segment left, next header ICMPv6.
        let mut b = vec![58, 4, 0, 1, 0, 0, 0, 0];
        b.extend_from_slice(
            &"2001:db8::1"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        b.extend_from_slice(
            &"2001:db8::2"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        let h = Header::new_checked(&b[..], IpProtocol::Ipv6Route).unwrap();
        assert_eq!(
            (h.len_field(), h.routing_type(), h.segments_left()),
            (4, 0, 1)
        );
        assert_eq!(h.routing_word(), 0);
        let addrs: Vec<String> = h.routing_addresses().map(|a| a.to_string()).collect();
        assert_eq!(addrs, ["2001:db8::1", "2001:db8::2"]);
    }
    use proptest::prelude::*;

    #[test]
    fn tables() {
        use crate::field::table_check::check;
        check(hbh::FIELDS, "ipv6.hopopts.", hbh::HEADER_LEN);
        check(dstopts::FIELDS, "ipv6.dstopts.", dstopts::HEADER_LEN);
        check(routing::FIELDS, "ipv6.routing.", routing::HEADER_LEN);
        check(fragment::FIELDS, "ipv6.fragment.", fragment::HEADER_LEN);
        assert_eq!(fragment::HEADER_LEN, 8);
    }

    // Hand-made from RFC 2711 / RFC 3810: the hop-by-hop header MLDv2 reports carry: next
    // header ICMPv6, length 0, Router Alert (value 0 = MLD), PadN of 0 bytes.
    static HBH_ROUTER_ALERT: [u8; 8] = [0x3a, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00];

    #[test]
    fn hop_by_hop() {
        let h = Header::new_checked(&HBH_ROUTER_ALERT[..], IpProtocol::HopByHop).unwrap();
        assert_eq!(h.next_header(), IpProtocol::Icmpv6);
        assert_eq!(h.header_len(), 8);
        let opts: Vec<_> = h.options().map(|o| o.unwrap()).collect();
        assert_eq!(opts.len(), 2);
        assert_eq!(
            (opts[0].kind, opts[0].at, opts[0].data),
            (OptionKind::RouterAlert, 2, &[0u8, 0][..])
        );
        assert_eq!(opts[1].kind, OptionKind::PadN);
        let r = Repr::parse(&h).unwrap();
        let mut buf = [0xffu8; 8];
        r.emit(&mut buf);
        assert_eq!(buf, HBH_ROUTER_ALERT);
    }

    #[test]
    fn fragment_fields() {
        // Hand-made: fragment at offset 1448 (181 units), more fragments, id 0xdeadbeef, of UDP.
        let b = [17u8, 0, 0x05, 0xa9, 0xde, 0xad, 0xbe, 0xef];
        let h = Header::new_checked(&b[..], IpProtocol::Ipv6Frag).unwrap();
        assert_eq!(
            (h.frag_offset(), h.more_frags(), h.frag_ident()),
            (181, true, 0xdead_beef)
        );
        assert_eq!(fragment::OFFSET.read(&b), Some(181));
        let r = Repr::parse(&h).unwrap();
        assert_eq!(r.to_string(), "frag id 0xdeadbeef offset 1448+ next UDP");
        let mut out = [0u8; 8];
        r.emit(&mut out);
        assert_eq!(out, b);
    }

    #[test]
    fn errors() {
        assert!(Header::new_checked(&HBH_ROUTER_ALERT[..7], IpProtocol::HopByHop).is_err());
        let long = [6u8, 1, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            Header::new_checked(&long[..], IpProtocol::Ipv6Opts).unwrap_err(),
            WireError::Truncated {
                layer: Layer::Ipv6Ext,
                offset: 0,
                needed: 16,
                have: 8
            }
        );
        assert!(Header::new_checked(&long[..], IpProtocol::Tcp).is_err());
        let bad_opt = [6u8, 0, 1, 9, 0, 0, 0, 0];
        let h = Header::new_checked(&bad_opt[..], IpProtocol::Ipv6Opts).unwrap();
        assert!(Repr::parse(&h).is_err());
    }

    fn arb_repr() -> impl Strategy<Value = (u8, u8, Vec<u8>, u16, bool, u32, u8, u8)> {
        (
            0u8..4,
            any::<u8>(),
            (0usize..6).prop_map(|n| vec![0u8; n * 8 + 6]),
            0u16..0x2000,
            any::<bool>(),
            any::<u32>(),
            any::<u8>(),
            any::<u8>(),
        )
    }

    proptest! {
        #[test]
        fn emit_parse_identity((which, nh, pad, offset, more, ident, rt, sl) in arb_repr()) {
            // Option areas are Pad1 bytes so they stay well-formed; routing data is 4 bytes short.
            let next_header = IpProtocol::from(nh);
            let r = match which {
                0 => Repr::HopByHop { next_header, options: &pad },
                1 => Repr::DestOpts { next_header, options: &pad },
                2 => Repr::Routing { next_header, routing_type: rt, segments_left: sl, data: &pad[2..] },
                _ => Repr::Fragment { next_header, offset, more, ident },
            };
            let mut buf = vec![0u8; r.buffer_len()];
            r.emit(&mut buf);
            let h = Header::new_checked(&buf[..], r.kind()).unwrap();
            prop_assert_eq!(Repr::parse(&h).unwrap(), r);
        }
    }
}
