//! IPv6 fixed header (RFC 8200 §3). Extension headers are in [`crate::ipv6_ext`].

use core::fmt;
use std::net::Ipv6Addr;

use crate::error::{Layer, Reason, Result, WireError};
use crate::field::{set_u16, set_u32, set_u8, u16_at, u32_at, u8_at};
use crate::ip::IpProtocol;

/// Field table of the IPv6 fixed header.
pub mod field {
    field_table! {
        VERSION = "ipv6.version", 0, 4, 0xf000_0000, Kind::Number, "Version",
            "Always 6 for IPv6 (RFC 8200 §3).";
        TCLASS = "ipv6.tclass", 0, 4, 0x0ff0_0000, Kind::Number, "Traffic class",
            "DSCP (upper 6 bits) and ECN (lower 2), as in IPv4's former TOS byte (RFC 8200 §7, RFC 2474).";
        FLOW = "ipv6.flow", 0, 4, 0x000f_ffff, Kind::Hex, "Flow label",
            "Chosen by the sender to mark packets of one flow so routers can keep them on one path (RFC 8200 §6, RFC 6437).";
        PAYLOAD_LEN = "ipv6.plen", 4, 2, 0, Kind::Number, "Payload length",
            "Bytes after this 40-byte header, extension headers included (RFC 8200 §3).";
        NEXT_HEADER = "ipv6.nxt", 6, 1, 0, crate::ip::IpProtocol::KIND, "Next header",
            "What follows: an extension header or the upper layer, e.g. 6 TCP, 58 ICMPv6 (RFC 8200 §3).";
        HOP_LIMIT = "ipv6.hlim", 7, 1, 0, Kind::Number, "Hop limit",
            "Hops left, decremented by each router; IPv6's TTL (RFC 8200 §3).";
        SRC = "ipv6.src", 8, 16, 0, Kind::Ipv6, "Source",
            "Address of the sender (RFC 8200 §3).";
        DST = "ipv6.dst", 24, 16, 0, Kind::Ipv6, "Destination",
            "Address of the receiver, or of the next hop of a routing header (RFC 8200 §3).";
    }
}

pub use field::HEADER_LEN;
use field::{DST, FLOW, HOP_LIMIT, NEXT_HEADER, PAYLOAD_LEN, SRC, TCLASS, VERSION};

/// A view of an IPv6 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

fn addr(b: &[u8]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    Ipv6Addr::from(a)
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a buffer after [`Packet::check_len`].
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the fixed header is present; the payload may be cut short
    /// ([`Packet::is_truncated`]).
    pub fn check_header_len(&self) -> Result<()> {
        let have = self.buffer.as_ref().len();
        if have < HEADER_LEN {
            return Err(WireError::truncated(Layer::Ipv6, HEADER_LEN, have));
        }
        Ok(())
    }

    /// [`Packet::check_header_len`], and the whole payload length is in the buffer.
    pub fn check_len(&self) -> Result<()> {
        self.check_header_len()?;
        let need = HEADER_LEN + usize::from(self.payload_len());
        let have = self.buffer.as_ref().len();
        if have < need {
            return Err(WireError::truncated(Layer::Ipv6, need, have));
        }
        Ok(())
    }

    /// True when the buffer ends before the payload length says.
    pub fn is_truncated(&self) -> bool {
        HEADER_LEN + usize::from(self.payload_len()) > self.buffer.as_ref().len()
    }

    fn word0(&self) -> u32 {
        u32_at(self.buffer.as_ref(), VERSION)
    }

    /// Version field (6).
    pub fn version(&self) -> u8 {
        (self.word0() >> 28) as u8
    }

    /// Traffic class.
    pub fn traffic_class(&self) -> u8 {
        ((self.word0() & TCLASS.mask) >> 20) as u8
    }

    /// Flow label, 20 bits.
    pub fn flow_label(&self) -> u32 {
        self.word0() & FLOW.mask
    }

    /// Payload length.
    pub fn payload_len(&self) -> u16 {
        u16_at(self.buffer.as_ref(), PAYLOAD_LEN)
    }

    /// Next header.
    // Inlined on request: the enum conversion is past the inliner's default size, and
    // callers that compare the result with one constant need it inlined to fold both.
    #[inline]
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(u8_at(self.buffer.as_ref(), NEXT_HEADER))
    }

    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        u8_at(self.buffer.as_ref(), HOP_LIMIT)
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        addr(&self.buffer.as_ref()[SRC.range()])
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        addr(&self.buffer.as_ref()[DST.range()])
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The bytes after the fixed header, up to the payload length or the end of the buffer.
    pub fn payload(&self) -> &'a [u8] {
        let b = self.buffer.as_ref();
        let end = (HEADER_LEN + usize::from(self.payload_len())).min(b.len());
        &b[HEADER_LEN.min(end)..end]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets version, traffic class and flow label together (they share one word).
    pub fn set_word0(&mut self, version: u8, traffic_class: u8, flow_label: u32) {
        let w = (u32::from(version) << 28)
            | (u32::from(traffic_class) << 20)
            | (flow_label & FLOW.mask);
        set_u32(self.buffer.as_mut(), VERSION, w);
    }

    /// Sets the payload length.
    pub fn set_payload_len(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), PAYLOAD_LEN, v);
    }

    /// Sets the next header.
    pub fn set_next_header(&mut self, v: IpProtocol) {
        set_u8(self.buffer.as_mut(), NEXT_HEADER, v.into());
    }

    /// Sets the hop limit.
    pub fn set_hop_limit(&mut self, v: u8) {
        set_u8(self.buffer.as_mut(), HOP_LIMIT, v);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[SRC.range()].copy_from_slice(&a.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[DST.range()].copy_from_slice(&a.octets());
    }

    /// Mutable bytes after the fixed header.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
}

/// A decoded IPv6 fixed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Source address.
    pub src_addr: Ipv6Addr,
    /// Destination address.
    pub dst_addr: Ipv6Addr,
    /// First next-header value.
    pub next_header: IpProtocol,
    /// Payload length (extension headers included).
    pub payload_len: usize,
    /// Hop limit.
    pub hop_limit: u8,
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label, 20 bits.
    pub flow_label: u32,
}

impl Repr {
    /// Decodes the fixed header of a complete packet with version 6.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        p.check_len()?;
        if p.version() != 6 {
            return Err(WireError::malformed(
                Layer::Ipv6,
                0,
                &VERSION,
                Reason::NotEqual {
                    value: p.version().into(),
                    expected: 6,
                },
            ));
        }
        Ok(Repr {
            src_addr: p.src_addr(),
            dst_addr: p.dst_addr(),
            next_header: p.next_header(),
            payload_len: usize::from(p.payload_len()),
            hop_limit: p.hop_limit(),
            traffic_class: p.traffic_class(),
            flow_label: p.flow_label(),
        })
    }

    /// Header length `emit` writes.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the fixed header into a buffer of at least 40 bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        p.set_word0(6, self.traffic_class, self.flow_label);
        p.set_payload_len(self.payload_len.min(usize::from(u16::MAX)) as u16);
        p.set_next_header(self.next_header);
        p.set_hop_limit(self.hop_limit);
        p.set_src_addr(self.src_addr);
        p.set_dst_addr(self.dst_addr);
    }
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IPv6 {} > {} {} hlim {} plen {}",
            self.src_addr, self.dst_addr, self.next_header, self.hop_limit, self.payload_len
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::ETH_IPV6_TCP_SYN;
    use proptest::prelude::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "ipv6.", HEADER_LEN);
        assert_eq!(HEADER_LEN, 40);
    }

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&ETH_IPV6_TCP_SYN[14..]).unwrap();
        assert_eq!(p.version(), 6);
        assert_eq!(p.traffic_class(), 0);
        assert_eq!(p.flow_label(), 0xa6b96);
        assert_eq!(p.payload_len(), 40);
        assert_eq!(p.next_header(), IpProtocol::Tcp);
        assert_eq!(p.hop_limit(), 64);
        assert_eq!(p.src_addr(), Ipv6Addr::LOCALHOST);
        assert_eq!(p.dst_addr(), Ipv6Addr::LOCALHOST);
        assert_eq!(p.payload().len(), 40);
        assert_eq!(FLOW.read(&ETH_IPV6_TCP_SYN[14..]), Some(0xa6b96));
        let r = Repr::parse(&p).unwrap();
        let mut buf = [0u8; 40];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf[..], ETH_IPV6_TCP_SYN[14..54]);
    }

    #[test]
    fn truncated() {
        let b = &ETH_IPV6_TCP_SYN[14..60];
        let p = Packet::new_unchecked(b);
        assert!(p.check_header_len().is_ok());
        assert!(p.is_truncated());
        assert_eq!(
            p.check_len(),
            Err(WireError::Truncated {
                layer: Layer::Ipv6,
                offset: 0,
                needed: 80,
                have: 46
            })
        );
        assert_eq!(p.payload().len(), 6);
        assert!(Packet::new_unchecked(&b[..39]).check_header_len().is_err());
    }

    proptest! {
        #[test]
        fn emit_parse_identity(src: [u8; 16], dst: [u8; 16], nh: u8, plen in 0usize..200, hl: u8, tc: u8, fl in 0u32..0x10_0000) {
            let r = Repr { src_addr: src.into(), dst_addr: dst.into(), next_header: nh.into(), payload_len: plen, hop_limit: hl, traffic_class: tc, flow_label: fl };
            let mut buf = vec![0u8; 40 + plen];
            r.emit(&mut Packet::new_unchecked(&mut buf[..]));
            prop_assert_eq!(Repr::parse(&Packet::new_unchecked(&buf[..])).unwrap(), r);
        }
    }
}
