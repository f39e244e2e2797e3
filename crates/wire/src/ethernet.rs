//! Ethernet II (IEEE 802.3 clause 3.1.1 with the DIX type field).

use core::fmt;

use crate::error::{Layer, Result, WireError};
use crate::field::u16_at;

/// Field table of the Ethernet II header.
pub mod field {
    field_table! {
        DST = "eth.dst", 0, 6, 0, Kind::Mac, "Destination",
            "MAC address of the receiving interface; ff:ff:ff:ff:ff:ff reaches every host on the segment (IEEE 802.3 §3.2.4).";
        SRC = "eth.src", 6, 6, 0, Kind::Mac, "Source",
            "MAC address of the sending interface (IEEE 802.3 §3.2.5).";
        TYPE = "eth.type", 12, 2, 0, crate::ethernet::EtherType::KIND, "EtherType",
            "Protocol of the payload, e.g. 0x0800 IPv4, 0x86dd IPv6; values up to 1500 are an 802.3 length instead (IEEE 802.3 §3.2.6).";
    }
}

pub use field::HEADER_LEN;
use field::{DST, SRC, TYPE};

/// Ethernet II in the link registry.
pub static LINK: crate::link::LinkDef = crate::link::LinkDef {
    title: "Ethernet II",
    key: "eth",
    consumer: "read by the network card and driver; the kernel strips it before IP",
    parse: parse_link,
    walk: walk_link,
};

/// The type field of an IEEE 802.3 frame, where it holds the length of what follows.
pub const LENGTH: crate::field::FieldDef = crate::field::FieldDef {
    name: "eth.len",
    kind: crate::field::Kind::Number,
    label: "Length",
    meaning: "Length of the 802.2 LLC data that follows: a type field of 1500 or less is a length, and an LLC header says what the payload is (IEEE 802.3 §3.2.6).",
    ..TYPE
};

fn parse_link(frame: &[u8]) -> Result<crate::link::Parsed> {
    use crate::link::Next;
    let f = Frame::new_checked(frame)?;
    let et = f.ethertype();
    Ok(crate::link::Parsed {
        len: HEADER_LEN,
        next: if et.is_length() {
            Next::Link(&crate::llc::LINK)
        } else {
            Next::EtherType(et)
        },
    })
}

fn walk_link(frame: &[u8], f: &mut dyn FnMut(crate::field::FieldDef)) {
    f(DST);
    f(SRC);
    if Frame::new_unchecked(frame).ethertype().is_length() {
        f(LENGTH);
    } else {
        f(TYPE);
    }
}

/// A 48-bit IEEE MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);

    /// Reads an address from the first six bytes of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> MacAddr {
        let mut a = [0u8; 6];
        a.copy_from_slice(&bytes[..6]);
        MacAddr(a)
    }

    /// True for group (multicast and broadcast) addresses: the I/G bit is set.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            a[0], a[1], a[2], a[3], a[4], a[5]
        )
    }
}

enum_with_unknown! {
    /// The EtherType of a frame or VLAN tag payload (IEEE registry).
    pub enum EtherType(u16) {
        /// Internet Protocol version 4.
        Ipv4 = 0x0800 => "IPv4",
        /// Address Resolution Protocol.
        Arp = 0x0806 => "ARP",
        /// 802.1Q customer VLAN tag.
        Vlan = 0x8100 => "802.1Q",
        /// Internet Protocol version 6.
        Ipv6 = 0x86dd => "IPv6",
        /// 802.1ad service VLAN tag (Q-in-Q outer tag).
        QinQ = 0x88a8 => "802.1ad",
    }
}

impl EtherType {
    /// Field kind of a field holding one of these EtherTypes.
    pub const KIND: crate::field::Kind = crate::field::Kind::Code {
        hex: true,
        names: Self::NAMES,
    };
}

impl EtherType {
    /// True when the field is an 802.3 length rather than a type (values ≤ 1500).
    pub fn is_length(self) -> bool {
        u16::from(self) <= 1500
    }

    /// True for the tags that announce a VLAN header.
    pub fn is_vlan(self) -> bool {
        matches!(self, EtherType::Vlan | EtherType::QinQ)
    }
}

/// A view of an Ethernet II frame (without the trailing FCS, which captures drop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Wraps a buffer without checking it; getters may panic until [`Frame::check_len`] passes.
    pub const fn new_unchecked(buffer: T) -> Frame<T> {
        Frame { buffer }
    }

    /// Wraps a buffer after [`Frame::check_len`]. When emitting into a reused buffer, use
    /// `new_unchecked` instead: the old contents are not a header.
    pub fn new_checked(buffer: T) -> Result<Frame<T>> {
        let f = Self::new_unchecked(buffer);
        f.check_len()?;
        Ok(f)
    }

    /// Checks that the buffer holds the whole header.
    pub fn check_len(&self) -> Result<()> {
        let have = self.buffer.as_ref().len();
        if have < HEADER_LEN {
            return Err(WireError::truncated(Layer::Ethernet, HEADER_LEN, have));
        }
        Ok(())
    }

    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Destination MAC address.
    pub fn dst_addr(&self) -> MacAddr {
        MacAddr::from_bytes(&self.buffer.as_ref()[DST.range()])
    }

    /// Source MAC address.
    pub fn src_addr(&self) -> MacAddr {
        MacAddr::from_bytes(&self.buffer.as_ref()[SRC.range()])
    }

    /// EtherType of the payload.
    // Inlined on request: the enum conversion is past the inliner's default size, and
    // callers that compare the result with one constant need it inlined to fold both.
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(u16_at(self.buffer.as_ref(), TYPE))
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Frame<&'a T> {
    /// Everything after the header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, a: MacAddr) {
        self.buffer.as_mut()[DST.range()].copy_from_slice(&a.0);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, a: MacAddr) {
        self.buffer.as_mut()[SRC.range()].copy_from_slice(&a.0);
    }

    /// Sets the EtherType.
    pub fn set_ethertype(&mut self, t: EtherType) {
        crate::field::set_u16(self.buffer.as_mut(), TYPE, t.into());
    }

    /// Mutable payload.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
}

/// The decoded Ethernet II header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Source address.
    pub src_addr: MacAddr,
    /// Destination address.
    pub dst_addr: MacAddr,
    /// Payload type.
    pub ethertype: EtherType,
}

impl Repr {
    /// Decodes the header of a checked frame.
    pub fn parse<T: AsRef<[u8]>>(frame: &Frame<T>) -> Result<Repr> {
        frame.check_len()?;
        Ok(Repr {
            src_addr: frame.src_addr(),
            dst_addr: frame.dst_addr(),
            ethertype: frame.ethertype(),
        })
    }

    /// Header length `emit` writes.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header; the buffer must hold at least [`Repr::buffer_len`] bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut Frame<T>) {
        frame.set_src_addr(self.src_addr);
        frame.set_dst_addr(self.dst_addr);
        frame.set_ethertype(self.ethertype);
    }
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Ethernet {} > {} type {}",
            self.src_addr, self.dst_addr, self.ethertype
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::ETH_IPV4_TCP_SYN;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "eth.", HEADER_LEN);
        assert_eq!(HEADER_LEN, 14);
    }

    #[test]
    fn deconstruct() {
        let f = Frame::new_checked(&ETH_IPV4_TCP_SYN[..]).unwrap();
        assert_eq!(f.dst_addr(), MacAddr([0; 6]));
        assert_eq!(f.src_addr(), MacAddr([0; 6]));
        assert_eq!(f.ethertype(), EtherType::Ipv4);
        assert_eq!(f.payload().len(), 60);
    }

    #[test]
    fn construct() {
        let repr = Repr {
            src_addr: MacAddr([2, 0, 0, 0, 0, 1]),
            dst_addr: MacAddr::BROADCAST,
            ethertype: EtherType::Arp,
        };
        let mut buf = [0u8; 14];
        repr.emit(&mut Frame::new_unchecked(&mut buf[..]));
        assert_eq!(
            buf,
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06]
        );
        assert_eq!(Repr::parse(&Frame::new_unchecked(&buf[..])).unwrap(), repr);
    }

    #[test]
    fn truncated() {
        let e = Frame::new_checked(&ETH_IPV4_TCP_SYN[..13]).unwrap_err();
        assert_eq!(
            e,
            WireError::Truncated {
                layer: Layer::Ethernet,
                offset: 0,
                needed: 14,
                have: 13
            }
        );
    }

    #[test]
    fn ethertype_names_and_lengths() {
        assert_eq!(EtherType::from(0x86dd).to_string(), "IPv6");
        assert_eq!(EtherType::from(0x1234).to_string(), "unknown (4660)");
        assert!(EtherType::from(46).is_length());
        assert_eq!(u16::from(EtherType::Unknown(0x9000)), 0x9000);
        assert_eq!(
            MacAddr([0xde, 0xad, 0, 1, 2, 0xff]).to_string(),
            "de:ad:00:01:02:ff"
        );
    }
}
