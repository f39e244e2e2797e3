//! SLIP as libpcap records it (link type 8): a 16-byte pseudo-header, the direction and a
//! copy of the Van Jacobson compressed header the line carried, then the IP packet.

use crate::error::{Layer, Result};
use crate::link::{LinkDef, Next, Parsed};

/// Field table of the 16-byte pseudo-header.
pub mod field {
    field_table! {
        DIRECTION = "slip.direction", 0, 1, 0, Kind::Number, "Direction",
            "0 received, 1 sent by the capturing host (libpcap LINKTYPE_SLIP, SLX_DIR).";
        COMPRESSION = "slip.compression", 1, 1, 0, Kind::Hex, "Header type",
            "High nibble: 0x40 plain IP, 0x70 uncompressed TCP, 0x80 and above compressed TCP (RFC 1144 §3.2; libpcap SLX_CHDR).";
        CHDR = "slip.chdr", 2, 14, 0, Kind::Bytes, "Compressed header",
            "The rest of the Van Jacobson compressed header as it crossed the line; the IP packet that follows is the reconstructed one (RFC 1144 §3.2).";
    }
}

pub use field::HEADER_LEN;

/// SLIP in the link registry.
pub static LINK: LinkDef = LinkDef {
    title: "SLIP",
    key: "slip",
    consumer:
        "not on the wire: the SLIP driver records direction and compression state for the capture",
    parse: parse_link,
    walk: |_, f| crate::link::walk_table(field::FIELDS, f),
};

fn parse_link(b: &[u8]) -> Result<Parsed> {
    Packet::new_checked(b)?;
    Ok(Parsed {
        len: HEADER_LEN,
        next: Next::Ip,
    })
}

packet_view! {
    /// A view of the SLIP pseudo-header.
    Packet, fixed HEADER_LEN, Layer::Slip
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// True when the capturing host sent the packet.
    pub fn outbound(&self) -> bool {
        self.buffer.as_ref()[field::DIRECTION.at] == 1
    }

    /// The header type byte (its high nibble says how the line compressed it).
    pub fn compression(&self) -> u8 {
        self.buffer.as_ref()[field::COMPRESSION.at]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "slip.", HEADER_LEN);
    }

    // Hand-made: an outbound plain IP packet. tshark has no dissector for this link type;
    // the layout is libpcap's LINKTYPE_SLIP description.
    #[test]
    fn deconstruct() {
        let mut b = [0u8; 17];
        b[0] = 1;
        b[1] = 0x40;
        b[16] = 0x45;
        let p = Packet::new_checked(&b[..]).unwrap();
        assert!(p.outbound());
        assert_eq!(p.compression(), 0x40);
        assert_eq!(
            parse_link(&b).unwrap(),
            Parsed {
                len: 16,
                next: Next::Ip
            }
        );
        assert!(Packet::new_checked(&b[..15]).is_err());
    }
}
