//! Cisco HDLC (link type 104): Cisco's framing of serial links, an address byte, a control
//! byte and an EtherType.

use crate::error::{Layer, Result};
use crate::ethernet::EtherType;
use crate::field::u16_at;
use crate::link::{LinkDef, Next, Parsed};

/// Field table of the 4-byte header.
pub mod field {
    field_table! {
        ADDRESS = "chdlc.address", 0, 1, 0, Kind::Hex, "Address",
            "0x0f unicast, 0x8f broadcast (Cisco HDLC; RFC 1547 §4.3.1).";
        CONTROL = "chdlc.control", 1, 1, 0, Kind::Hex, "Control",
            "Always 0 (Cisco HDLC; RFC 1547 §4.3.1).";
        PROTOCOL = "chdlc.protocol", 2, 2, 0, crate::ethernet::EtherType::KIND, "Protocol",
            "EtherType of the payload; 0x8035 is Cisco's SLARP keepalive, 0xfefe OSI (RFC 1547 §4.3.1).";
    }
}

pub use field::HEADER_LEN;

/// Cisco HDLC in the link registry.
pub static LINK: LinkDef = LinkDef {
    title: "Cisco HDLC",
    key: "chdlc",
    consumer: "read by the router's serial interface driver, which strips it before IP",
    parse: parse_link,
    walk: |_, f| crate::link::walk_table(field::FIELDS, f),
};

fn parse_link(b: &[u8]) -> Result<Parsed> {
    let p = Packet::new_checked(b)?;
    let next = match u16::from(p.protocol()) {
        0x8035 => Next::Named("Cisco SLARP"),
        0xfefe => Next::Named("OSI (IS-IS, ES-IS, CLNP)"),
        0x2000 => Next::Named("Cisco CDP"),
        _ => Next::EtherType(p.protocol()),
    };
    Ok(Parsed {
        len: HEADER_LEN,
        next,
    })
}

packet_view! {
    /// A view of a Cisco HDLC header.
    Packet, fixed HEADER_LEN, Layer::Chdlc
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Address byte.
    pub fn address(&self) -> u8 {
        self.buffer.as_ref()[field::ADDRESS.at]
    }

    /// EtherType of the payload.
    pub fn protocol(&self) -> EtherType {
        EtherType::from(u16_at(self.buffer.as_ref(), field::PROTOCOL))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::WireError;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "chdlc.", HEADER_LEN);
    }

    // Hand-made; tshark (`text2pcap -l 104`) reads `8f 00 08 00` as chdlc.address 0x8f,
    // chdlc.protocol 0x0800, and `0f 00 80 35` as SLARP.
    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&[0x8f, 0, 0x08, 0x00][..]).unwrap();
        assert_eq!((p.address(), p.protocol()), (0x8f, EtherType::Ipv4));
        assert_eq!(
            parse_link(&[0x0f, 0, 0x80, 0x35]).unwrap().next,
            Next::Named("Cisco SLARP")
        );
        assert_eq!(
            Packet::new_checked(&[0x0f, 0, 0x08][..]).unwrap_err(),
            WireError::truncated(Layer::Chdlc, 4, 3)
        );
    }
}
