//! Address Resolution Protocol (RFC 826) for Ethernet and IPv4.

use core::fmt;
use std::net::Ipv4Addr;

use crate::error::{Layer, Reason, Result, WireError};
use crate::ethernet::MacAddr;
use crate::field::{set_u16, set_u8, u16_at, u8_at};

/// Field table of an ARP packet for Ethernet/IPv4 (the only pair in use); other address sizes
/// move the address fields, see [`Packet::check_len`].
pub mod field {
    field_table! {
        HTYPE = "arp.hw.type", 0, 2, 0, Kind::Hex, "Hardware type",
            "Link-layer address family, 1 for Ethernet (RFC 826, 'ar$hrd').";
        PTYPE = "arp.proto.type", 2, 2, 0, crate::ethernet::EtherType::KIND, "Protocol type",
            "Network address family as an EtherType, 0x0800 for IPv4 (RFC 826, 'ar$pro').";
        HLEN = "arp.hw.size", 4, 1, 0, Kind::Number, "Hardware size",
            "Length of a hardware address in bytes, 6 for Ethernet (RFC 826, 'ar$hln').";
        PLEN = "arp.proto.size", 5, 1, 0, Kind::Number, "Protocol size",
            "Length of a protocol address in bytes, 4 for IPv4 (RFC 826, 'ar$pln').";
        OPER = "arp.opcode", 6, 2, 0, crate::arp::Operation::KIND, "Opcode",
            "1 request (who has this IP?), 2 reply (I have it) (RFC 826, 'ar$op').";
        SHA = "arp.src.hw_mac", 8, 6, 0, Kind::Mac, "Sender MAC",
            "Hardware address of the sender (RFC 826, 'ar$sha').";
        SPA = "arp.src.proto_ipv4", 14, 4, 0, Kind::Ipv4, "Sender IP",
            "Protocol address of the sender (RFC 826, 'ar$spa').";
        THA = "arp.dst.hw_mac", 18, 6, 0, Kind::Mac, "Target MAC",
            "Hardware address of the target, zero in a request (RFC 826, 'ar$tha').";
        TPA = "arp.dst.proto_ipv4", 24, 4, 0, Kind::Ipv4, "Target IP",
            "Protocol address being asked about or answered to (RFC 826, 'ar$tpa').";
    }
}

pub use field::HEADER_LEN;
use field::{HLEN, HTYPE, OPER, PLEN, PTYPE, SHA, SPA, THA, TPA};

enum_with_unknown! {
    /// ARP operation (RFC 826, RFC 5494 registry).
    pub enum Operation(u16) {
        /// Who has the target protocol address?
        Request = 1 => "request",
        /// The sender has the address asked for.
        Reply = 2 => "reply",
    }
}

impl Operation {
    /// Field kind of a field holding one of these ARP operations.
    pub const KIND: crate::field::Kind = crate::field::Kind::Code {
        hex: false,
        names: Self::NAMES,
    };
}

packet_view! {
    /// A view of an ARP packet.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that the fixed part and the addresses it announces are present.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < 8 {
            return Err(WireError::truncated(Layer::Arp, 8, b.len()));
        }
        let need = self.header_len();
        if b.len() < need {
            return Err(WireError::truncated(Layer::Arp, need, b.len()));
        }
        Ok(())
    }

    /// Length of the whole ARP packet: 8 fixed bytes and the four addresses the two length
    /// fields announce.
    pub fn header_len(&self) -> usize {
        let b = self.buffer.as_ref();
        8 + 2 * (usize::from(b[HLEN.at]) + usize::from(b[PLEN.at]))
    }

    /// Hardware type (1 = Ethernet).
    pub fn hardware_type(&self) -> u16 {
        u16_at(self.buffer.as_ref(), HTYPE)
    }

    /// Protocol type as an EtherType.
    pub fn protocol_type(&self) -> u16 {
        u16_at(self.buffer.as_ref(), PTYPE)
    }

    /// Hardware address length.
    pub fn hardware_len(&self) -> u8 {
        u8_at(self.buffer.as_ref(), HLEN)
    }

    /// Protocol address length.
    pub fn protocol_len(&self) -> u8 {
        u8_at(self.buffer.as_ref(), PLEN)
    }

    /// Operation.
    pub fn operation(&self) -> Operation {
        Operation::from(u16_at(self.buffer.as_ref(), OPER))
    }

    fn addr(&self, index: usize) -> &[u8] {
        let b = self.buffer.as_ref();
        let (h, p) = (usize::from(b[HLEN.at]), usize::from(b[PLEN.at]));
        let starts = [8, 8 + h, 8 + h + p, 8 + 2 * h + p];
        let len = if index % 2 == 0 { h } else { p };
        &b[starts[index]..starts[index] + len]
    }

    /// Sender hardware address, any length.
    pub fn sender_hardware_addr(&self) -> &[u8] {
        self.addr(0)
    }

    /// Sender protocol address, any length.
    pub fn sender_protocol_addr(&self) -> &[u8] {
        self.addr(1)
    }

    /// Target hardware address, any length.
    pub fn target_hardware_addr(&self) -> &[u8] {
        self.addr(2)
    }

    /// Target protocol address, any length.
    pub fn target_protocol_addr(&self) -> &[u8] {
        self.addr(3)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Writes the Ethernet/IPv4 fixed fields.
    fn set_eth_ipv4(&mut self, op: Operation) {
        let b = self.buffer.as_mut();
        set_u16(b, HTYPE, 1);
        set_u16(b, PTYPE, 0x0800);
        set_u8(b, HLEN, 6);
        set_u8(b, PLEN, 4);
        set_u16(b, OPER, op.into());
    }
}

/// A decoded Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Request or reply.
    pub operation: Operation,
    /// Sender MAC.
    pub sender_mac: MacAddr,
    /// Sender IPv4 address.
    pub sender_ip: Ipv4Addr,
    /// Target MAC.
    pub target_mac: MacAddr,
    /// Target IPv4 address.
    pub target_ip: Ipv4Addr,
}

fn ip4(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

impl Repr {
    /// Decodes an Ethernet/IPv4 ARP packet; other hardware or protocol types are reported as
    /// malformed for this representation (the view still reads them).
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        p.check_len()?;
        if p.hardware_type() != 1 {
            return Err(WireError::malformed(
                Layer::Arp,
                HTYPE.at,
                &HTYPE,
                Reason::NotEqual {
                    value: p.hardware_type().into(),
                    expected: 1,
                },
            ));
        }
        if p.protocol_type() != 0x0800 {
            return Err(WireError::malformed(
                Layer::Arp,
                PTYPE.at,
                &PTYPE,
                Reason::NotEqual {
                    value: p.protocol_type().into(),
                    expected: 0x0800,
                },
            ));
        }
        if p.hardware_len() != 6 {
            return Err(WireError::malformed(
                Layer::Arp,
                HLEN.at,
                &HLEN,
                Reason::NotEqual {
                    value: p.hardware_len().into(),
                    expected: 6,
                },
            ));
        }
        if p.protocol_len() != 4 {
            return Err(WireError::malformed(
                Layer::Arp,
                PLEN.at,
                &PLEN,
                Reason::NotEqual {
                    value: p.protocol_len().into(),
                    expected: 4,
                },
            ));
        }
        let b = p.buffer.as_ref();
        Ok(Repr {
            operation: p.operation(),
            sender_mac: MacAddr::from_bytes(&b[SHA.range()]),
            sender_ip: ip4(&b[SPA.range()]),
            target_mac: MacAddr::from_bytes(&b[THA.range()]),
            target_ip: ip4(&b[TPA.range()]),
        })
    }

    /// Length `emit` writes.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the packet into a buffer of at least [`Repr::buffer_len`] bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        p.set_eth_ipv4(self.operation);
        let b = p.buffer.as_mut();
        b[SHA.range()].copy_from_slice(&self.sender_mac.0);
        b[SPA.range()].copy_from_slice(&self.sender_ip.octets());
        b[THA.range()].copy_from_slice(&self.target_mac.0);
        b[TPA.range()].copy_from_slice(&self.target_ip.octets());
    }
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            Operation::Request => write!(
                f,
                "ARP who-has {} tell {} ({})",
                self.target_ip, self.sender_ip, self.sender_mac
            ),
            Operation::Reply => write!(f, "ARP {} is-at {}", self.sender_ip, self.sender_mac),
            other => write!(
                f,
                "ARP {other} {} ({}) -> {} ({})",
                self.sender_ip, self.sender_mac, self.target_ip, self.target_mac
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "arp.", HEADER_LEN);
        assert_eq!(HEADER_LEN, 28);
    }

    // Hand-made (loopback carries no ARP, so the test machine cannot capture one), laid out as
    // RFC 826 says: who has 10.0.2.2? tell 10.0.2.15 at 52:54:00:12:34:56.
    static REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a,
        0x00, 0x02, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x02,
    ];

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&REQUEST[..]).unwrap();
        let r = Repr::parse(&p).unwrap();
        assert_eq!(r.operation, Operation::Request);
        assert_eq!(r.sender_mac, MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56]));
        assert_eq!(r.sender_ip, Ipv4Addr::new(10, 0, 2, 15));
        assert_eq!(r.target_ip, Ipv4Addr::new(10, 0, 2, 2));
        assert_eq!(
            r.to_string(),
            "ARP who-has 10.0.2.2 tell 10.0.2.15 (52:54:00:12:34:56)"
        );
        let mut buf = [0u8; 28];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, REQUEST);
    }

    #[test]
    fn truncated_and_foreign() {
        assert!(Packet::new_checked(&REQUEST[..27]).is_err());
        let mut other = REQUEST;
        other[4] = 8; // hardware size 8: the view copes, the Ethernet representation refuses
        assert!(Packet::new_checked(&other[..]).is_err());
        let mut bigger = [0u8; 32];
        bigger[..28].copy_from_slice(&other);
        let p = Packet::new_checked(&bigger[..]).unwrap();
        assert_eq!(p.sender_hardware_addr().len(), 8);
        assert!(Repr::parse(&p).is_err());
    }
}
