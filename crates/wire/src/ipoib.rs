//! IP over InfiniBand (link type 242, RFC 4391): the capture records two 20-byte InfiniBand
//! hardware addresses, then the 4-byte IPoIB encapsulation header with an EtherType.

use crate::error::{Layer, Result};
use crate::ethernet::EtherType;
use crate::field::u16_at;
use crate::link::{LinkDef, Next, Parsed};

/// Field table of the 44-byte header.
pub mod field {
    field_table! {
        SADDR = "ipoib.saddr", 0, 20, 0, Kind::Bytes, "Source hardware address",
            "A 20-byte InfiniBand hardware address (flags, queue pair, GID) the capture records first; Wireshark does not show it (RFC 4391 §9.1.1).";
        DADDR_FLAGS = "ipoib.daddr.flags", 20, 4, 0xff00_0000, Kind::Hex, "Destination flags",
            "Reserved and flag bits in front of the destination queue pair number (RFC 4391 §9.1.1).";
        DADDR_QPN = "ipoib.daddr.qpn", 20, 4, 0x00ff_ffff, Kind::Hex, "Destination QPN",
            "Queue pair number of the destination, the InfiniBand endpoint (RFC 4391 §9.1.1).";
        DGID = "ipoib.dgid", 24, 16, 0, Kind::Ipv6, "Destination GID",
            "Global identifier of the destination port, written like an IPv6 address (RFC 4391 §9.1.1).";
        TYPE = "ipoib.type", 40, 2, 0, crate::ethernet::EtherType::KIND, "Type",
            "EtherType of the payload (RFC 4391 §6).";
        RESERVED = "ipoib.reserved", 42, 2, 0, Kind::Hex, "Reserved",
            "Must be zero (RFC 4391 §6).";
    }
}

pub use field::HEADER_LEN;

/// IPoIB in the link registry.
pub static LINK: LinkDef = LinkDef {
    title: "IP over InfiniBand",
    key: "ipoib",
    consumer: "read by the InfiniBand adapter and the ib_ipoib driver, which strips it before IP",
    parse: parse_link,
    walk: |_, f| crate::link::walk_table(field::FIELDS, f),
};

fn parse_link(b: &[u8]) -> Result<Parsed> {
    let p = Packet::new_checked(b)?;
    Ok(Parsed {
        len: HEADER_LEN,
        next: Next::EtherType(p.ethertype()),
    })
}

packet_view! {
    /// A view of an IPoIB capture header.
    Packet, fixed HEADER_LEN, Layer::Ipoib
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Destination queue pair number.
    pub fn dst_qpn(&self) -> u32 {
        field::DADDR_QPN.read(self.buffer.as_ref()).unwrap_or(0)
    }

    /// Destination GID.
    pub fn dst_gid(&self) -> std::net::Ipv6Addr {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.buffer.as_ref()[field::DGID.range()]);
        a.into()
    }

    /// EtherType of the payload.
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(u16_at(self.buffer.as_ref(), field::TYPE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "ipoib.", HEADER_LEN);
    }

    // Hand-made; tshark (`text2pcap -l 242`) reads ipoib.daddr.qpn 0x000123,
    // ipoib.dgid fe80::1, ipoib.type 0x0800.
    #[test]
    fn deconstruct() {
        let mut b = [0u8; 44];
        b[20..24].copy_from_slice(&[0x80, 0x00, 0x01, 0x23]);
        b[24] = 0xfe;
        b[25] = 0x80;
        b[39] = 1;
        b[40] = 0x08;
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.dst_qpn(), 0x123);
        assert_eq!(p.dst_gid().to_string(), "fe80::1");
        assert_eq!(p.ethertype(), EtherType::Ipv4);
        assert!(Packet::new_checked(&b[..43]).is_err());
    }
}
