//! Linux cooked capture headers, SLL (link type 113) and SLL2 (link type 276): what a capture
//! on the `any` pseudo-interface yields instead of a real link header.

use core::fmt;

use crate::error::{Layer, Result, WireError};
use crate::ethernet::EtherType;
use crate::field::{u16_at, u32_at, u8_at};

/// Field table of the 16-byte SLL header.
pub mod field {
    field_table! {
        PKTTYPE = "sll.pkttype", 0, 2, 0, Kind::Number, "Packet type",
            "Who the packet was for: 0 to us, 1 broadcast, 2 multicast, 3 another host, 4 sent by us (packet(7), sll_pkttype).";
        HATYPE = "sll.hatype", 2, 2, 0, Kind::Hex, "Link-layer type",
            "ARPHRD_ type of the interface, 1 Ethernet, 772 loopback (packet(7), sll_hatype).";
        HALEN = "sll.halen", 4, 2, 0, Kind::Number, "Address length",
            "How many bytes of the address field are used (packet(7), sll_halen).";
        ADDR = "sll.src.eth", 6, 6, 0, Kind::Mac, "Source address",
            "Link-layer address of the sender; `halen` says how many bytes of the 8-byte field it uses (packet(7), sll_addr).";
        UNUSED = "sll.unused", 12, 2, 0, Kind::Number, "Unused",
            "The last two bytes of the 8-byte address field, unused by 6-byte Ethernet addresses (packet(7), sll_addr).";
        PROTOCOL = "sll.etype", 14, 2, 0, crate::ethernet::EtherType::KIND, "Protocol",
            "EtherType of the payload (packet(7), sll_protocol).";
    }
}

/// Field table of the 20-byte SLL2 header.
pub mod field2 {
    field_table! {
        PROTOCOL = "sll.etype", 0, 2, 0, crate::ethernet::EtherType::KIND, "Protocol",
            "EtherType of the payload (libpcap LINKTYPE_LINUX_SLL2).";
        RESERVED = "sll.reserved", 2, 2, 0, Kind::Number, "Reserved",
            "Must be zero; Wireshark does not show it (libpcap LINKTYPE_LINUX_SLL2).";
        IFINDEX = "sll.ifindex", 4, 4, 0, Kind::Number, "Interface index",
            "Kernel index of the interface the packet crossed, as `ip link` numbers them (packet(7), sll_ifindex).";
        HATYPE = "sll.hatype", 8, 2, 0, Kind::Hex, "Link-layer type",
            "ARPHRD_ type of the interface, 1 Ethernet, 772 loopback (packet(7), sll_hatype).";
        PKTTYPE = "sll.pkttype", 10, 1, 0, Kind::Number, "Packet type",
            "Who the packet was for: 0 to us, 1 broadcast, 2 multicast, 3 another host, 4 sent by us (packet(7), sll_pkttype).";
        HALEN = "sll.halen", 11, 1, 0, Kind::Number, "Address length",
            "How many bytes of the address field are used (packet(7), sll_halen).";
        ADDR = "sll.src.eth", 12, 6, 0, Kind::Mac, "Source address",
            "Link-layer address of the sender; `halen` says how many bytes of the 8-byte field it uses (packet(7), sll_addr).";
        UNUSED = "sll.unused", 18, 2, 0, Kind::Number, "Unused",
            "The last two bytes of the 8-byte address field, unused by 6-byte Ethernet addresses (packet(7), sll_addr).";
    }
}

pub use field::HEADER_LEN;
/// Length of the SLL2 header.
pub const HEADER_LEN_V2: usize = field2::HEADER_LEN;

const CONSUMER: &str = "not on the wire: the kernel writes it for captures on 'any'";

/// SLL in the link registry.
pub static LINK: crate::link::LinkDef = crate::link::LinkDef {
    title: "Linux cooked capture (SLL)",
    key: "sll",
    consumer: CONSUMER,
    parse: |b| parse_link(b, Version::V1),
    walk: |_, f| crate::link::walk_table(field::FIELDS, f),
};

/// SLL2 in the link registry.
pub static LINK_V2: crate::link::LinkDef = crate::link::LinkDef {
    title: "Linux cooked capture v2 (SLL2)",
    key: "sll",
    consumer: CONSUMER,
    parse: |b| parse_link(b, Version::V2),
    walk: |_, f| crate::link::walk_table(field2::FIELDS, f),
};

fn parse_link(frame: &[u8], v: Version) -> Result<crate::link::Parsed> {
    let p = Packet::new_checked(frame, v)?;
    Ok(crate::link::Parsed {
        len: p.header_len(),
        next: crate::link::Next::EtherType(p.protocol()),
    })
}

enum_with_unknown! {
    /// Direction of a packet relative to the capturing host (packet(7) `PACKET_*`).
    pub enum PacketType(u16) {
        /// Addressed to this host.
        Host = 0 => "in",
        /// Link-layer broadcast.
        Broadcast = 1 => "broadcast",
        /// Link-layer multicast.
        Multicast = 2 => "multicast",
        /// Addressed to another host, seen in promiscuous mode.
        OtherHost = 3 => "other host",
        /// Sent by this host.
        Outgoing = 4 => "out",
    }
}

/// Which cooked header a [`Packet`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// LINKTYPE_LINUX_SLL (113).
    V1,
    /// LINKTYPE_LINUX_SLL2 (276).
    V2,
}

/// A view of an SLL or SLL2 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
    version: Version,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T, version: Version) -> Packet<T> {
        Packet { buffer, version }
    }

    /// Wraps a buffer after [`Packet::check_len`].
    pub fn new_checked(buffer: T, version: Version) -> Result<Packet<T>> {
        let p = Self::new_unchecked(buffer, version);
        p.check_len()?;
        Ok(p)
    }

    /// Header length of this version.
    pub const fn header_len(&self) -> usize {
        match self.version {
            Version::V1 => HEADER_LEN,
            Version::V2 => HEADER_LEN_V2,
        }
    }

    /// The version read.
    pub const fn version(&self) -> Version {
        self.version
    }

    /// Checks that the header is complete.
    pub fn check_len(&self) -> Result<()> {
        let have = self.buffer.as_ref().len();
        if have < self.header_len() {
            let layer = if self.version == Version::V1 {
                Layer::Sll
            } else {
                Layer::Sll2
            };
            return Err(WireError::truncated(layer, self.header_len(), have));
        }
        Ok(())
    }

    /// Direction of the packet.
    pub fn packet_type(&self) -> PacketType {
        let b = self.buffer.as_ref();
        PacketType::from(match self.version {
            Version::V1 => u16_at(b, field::PKTTYPE),
            Version::V2 => u16::from(u8_at(b, field2::PKTTYPE)),
        })
    }

    /// ARPHRD_ type of the interface.
    pub fn hardware_type(&self) -> u16 {
        let b = self.buffer.as_ref();
        match self.version {
            Version::V1 => u16_at(b, field::HATYPE),
            Version::V2 => u16_at(b, field2::HATYPE),
        }
    }

    /// Used length of the address field (at most 8 bytes are stored).
    pub fn address_len(&self) -> u16 {
        let b = self.buffer.as_ref();
        match self.version {
            Version::V1 => u16_at(b, field::HALEN),
            Version::V2 => u16::from(u8_at(b, field2::HALEN)),
        }
    }

    /// The used part of the source address.
    pub fn address(&self) -> &[u8] {
        let f = match self.version {
            Version::V1 => field::ADDR,
            Version::V2 => field2::ADDR,
        };
        let n = usize::from(self.address_len()).min(8);
        &self.buffer.as_ref()[f.at..f.at + n]
    }

    /// EtherType of the payload.
    pub fn protocol(&self) -> EtherType {
        let b = self.buffer.as_ref();
        EtherType::from(match self.version {
            Version::V1 => u16_at(b, field::PROTOCOL),
            Version::V2 => u16_at(b, field2::PROTOCOL),
        })
    }

    /// Interface index (SLL2 only).
    pub fn ifindex(&self) -> Option<u32> {
        match self.version {
            Version::V1 => None,
            Version::V2 => Some(u32_at(self.buffer.as_ref(), field2::IFINDEX)),
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Bytes after the header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

/// A decoded cooked header (either version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Which header.
    pub version: Version,
    /// Direction.
    pub packet_type: PacketType,
    /// ARPHRD_ type.
    pub hardware_type: u16,
    /// Used address length, 0..=8.
    pub address_len: u8,
    /// Source address, zero-padded.
    pub address: [u8; 8],
    /// Payload EtherType.
    pub protocol: EtherType,
    /// Interface index (0 for SLL, which has none).
    pub ifindex: u32,
}

impl Repr {
    /// Decodes a header.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        p.check_len()?;
        let mut address = [0u8; 8];
        let a = p.address();
        address[..a.len()].copy_from_slice(a);
        Ok(Repr {
            version: p.version,
            packet_type: p.packet_type(),
            hardware_type: p.hardware_type(),
            address_len: a.len() as u8,
            address,
            protocol: p.protocol(),
            ifindex: p.ifindex().unwrap_or(0),
        })
    }

    /// Header length `emit` writes.
    pub const fn buffer_len(&self) -> usize {
        match self.version {
            Version::V1 => HEADER_LEN,
            Version::V2 => HEADER_LEN_V2,
        }
    }

    /// Writes the header into a buffer of at least [`Repr::buffer_len`] bytes.
    pub fn emit(&self, buf: &mut [u8]) {
        use crate::field::{set_u16, set_u32, set_u8};
        let n = usize::from(self.address_len.min(8));
        match self.version {
            Version::V1 => {
                set_u16(buf, field::PKTTYPE, self.packet_type.into());
                set_u16(buf, field::HATYPE, self.hardware_type);
                set_u16(buf, field::HALEN, n as u16);
                buf[field::ADDR.at..field::ADDR.at + 8].fill(0);
                buf[field::ADDR.at..field::ADDR.at + n].copy_from_slice(&self.address[..n]);
                set_u16(buf, field::PROTOCOL, self.protocol.into());
            }
            Version::V2 => {
                set_u16(buf, field2::PROTOCOL, self.protocol.into());
                set_u16(buf, field2::RESERVED, 0);
                set_u32(buf, field2::IFINDEX, self.ifindex);
                set_u16(buf, field2::HATYPE, self.hardware_type);
                set_u8(buf, field2::PKTTYPE, u16::from(self.packet_type) as u8);
                set_u8(buf, field2::HALEN, n as u8);
                buf[field2::ADDR.at..field2::ADDR.at + 8].fill(0);
                buf[field2::ADDR.at..field2::ADDR.at + n].copy_from_slice(&self.address[..n]);
            }
        }
    }
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Linux cooked ({}) type {}",
            self.packet_type, self.protocol
        )?;
        if self.version == Version::V2 {
            write!(f, " ifindex {}", self.ifindex)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{SLL2_IPV4_UDP, SLL_IPV4_UDP};

    #[test]
    fn tables() {
        crate::field::table_check::check(field::FIELDS, "sll.", HEADER_LEN);
        crate::field::table_check::check(field2::FIELDS, "sll.", HEADER_LEN_V2);
    }

    #[test]
    fn v1_deconstruct_and_emit() {
        let p = Packet::new_checked(&SLL_IPV4_UDP[..], Version::V1).unwrap();
        assert_eq!(p.packet_type(), PacketType::Host);
        assert_eq!(p.hardware_type(), 772); // ARPHRD_LOOPBACK
        assert_eq!(p.address(), &[0u8; 6]);
        assert_eq!(p.protocol(), EtherType::Ipv4);
        assert_eq!(p.payload()[0], 0x45);
        let r = Repr::parse(&p).unwrap();
        let mut buf = [0u8; 16];
        r.emit(&mut buf);
        assert_eq!(buf[..], SLL_IPV4_UDP[..16]);
    }

    #[test]
    fn v2_deconstruct_and_emit() {
        let p = Packet::new_checked(&SLL2_IPV4_UDP[..], Version::V2).unwrap();
        assert_eq!(p.protocol(), EtherType::Ipv4);
        assert_eq!(p.ifindex(), Some(1)); // lo
        assert_eq!(p.hardware_type(), 772);
        assert_eq!(p.packet_type(), PacketType::Host);
        let r = Repr::parse(&p).unwrap();
        let mut buf = [0u8; 20];
        r.emit(&mut buf);
        assert_eq!(buf[..], SLL2_IPV4_UDP[..20]);
    }

    #[test]
    fn truncated() {
        assert!(Packet::new_checked(&SLL_IPV4_UDP[..15], Version::V1).is_err());
        let e = Packet::new_checked(&SLL2_IPV4_UDP[..19], Version::V2).unwrap_err();
        assert_eq!(e.layer(), Layer::Sll2);
    }
}
