//! IEEE 802.2 LLC, and the SNAP extension that carries an EtherType inside it (RFC 1042): what
//! follows an 802.3 frame whose type field is a length, and every 802.11 data frame.

use crate::error::{Layer, Result, WireError};
use crate::ethernet::EtherType;
use crate::field::{u16_at, u8_at, FieldDef};
use crate::link::{LinkDef, Next, Parsed};

/// Field table of an LLC header with SNAP; an LLC header without SNAP is its first three
/// entries.
pub mod field {
    field_table! {
        DSAP = "llc.dsap", 0, 1, 0, Kind::Hex, "DSAP",
            "Destination service access point: which protocol above LLC receives the frame, 0xaa SNAP, 0x42 spanning tree, 0xfe OSI (IEEE 802.2 §3.3.1).";
        SSAP = "llc.ssap", 1, 1, 0, Kind::Hex, "SSAP",
            "Source service access point; its low bit marks a response (IEEE 802.2 §3.3.1).";
        CONTROL = "llc.control", 2, 1, 0, Kind::Hex, "Control",
            "Frame format: 0x03 is an unnumbered information (UI) frame, the only kind IP uses (IEEE 802.2 §5.2).";
        OUI = "llc.oui", 3, 3, 0, Kind::Hex, "Organization code",
            "SNAP organisation: 00-00-00 means the next field is an EtherType (RFC 1042; IEEE 802 §9.3).";
        PID = "llc.type", 6, 2, 0, crate::ethernet::EtherType::KIND, "Protocol ID",
            "SNAP protocol: with organisation 00-00-00 an EtherType, 0x0800 IPv4 (RFC 1042).";
    }
}

/// The 2-byte control field of information and supervisory frames.
pub const CONTROL_LONG: FieldDef = FieldDef {
    name: "llc.control",
    at: 2,
    len: 2,
    mask: 0,
    kind: crate::field::Kind::Hex,
    label: "Control",
    meaning: "Frame format and sequence numbers of a numbered (I or S) frame, used by connection-mode LLC such as NetBIOS (IEEE 802.2 §5.2).",
};

/// SAP value announcing a SNAP header.
pub const SAP_SNAP: u8 = 0xaa;

/// LLC in the link registry.
pub static LINK: LinkDef = LinkDef {
    title: "IEEE 802.2 LLC",
    key: "llc",
    consumer: "read by the kernel's 802.2 layer, which hands the payload to the protocol its SAP or SNAP type names",
    parse: parse_link,
    walk: walk_link,
};

fn parse_link(b: &[u8]) -> Result<Parsed> {
    let p = Packet::new_checked(b)?;
    let next = if let (Some(oui), Some(pid)) = (p.oui(), p.pid()) {
        match oui {
            // RFC 1042 and 802.1H bridge tunnel: the PID is an EtherType.
            0 | 0xf8 => Next::EtherType(pid),
            0x0c => Next::Named("Cisco SNAP (CDP, VTP, DTP)"),
            _ => Next::Named("SNAP with an organisation's own protocol"),
        }
    } else {
        match p.dsap() {
            0x06 => Next::Ipv4,
            0x42 => Next::Named("Spanning Tree (STP)"),
            0xfe => Next::Named("OSI (IS-IS, ES-IS, CLNP)"),
            0xe0 => Next::Named("IPX"),
            0xf0 => Next::Named("NetBIOS"),
            0xf4 => Next::Named("LAN management"),
            // Still worth naming: the frame is 802.3 with LLC, just not a SAP known here.
            _ => Next::Named("802.2 LLC"),
        }
    };
    Ok(Parsed {
        len: p.header_len(),
        next,
    })
}

fn walk_link(b: &[u8], f: &mut dyn FnMut(FieldDef)) {
    let p = Packet::new_unchecked(b);
    f(field::DSAP);
    f(field::SSAP);
    if p.control_len() == 2 {
        f(CONTROL_LONG);
    } else {
        f(field::CONTROL);
    }
    if p.is_snap() {
        f(field::OUI);
        f(field::PID);
    }
}

packet_view! {
    /// A view of an LLC header, with its SNAP extension when DSAP and SSAP are 0xaa.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that the header, with its control field's length and SNAP part, is complete.
    pub fn check_len(&self) -> Result<()> {
        let have = self.buffer.as_ref().len();
        if have < field::CONTROL.end() {
            return Err(WireError::truncated(Layer::Llc, field::CONTROL.end(), have));
        }
        let need = self.header_len();
        if have < need {
            return Err(WireError::truncated(Layer::Llc, need, have));
        }
        Ok(())
    }

    /// Destination SAP.
    pub fn dsap(&self) -> u8 {
        u8_at(self.buffer.as_ref(), field::DSAP)
    }

    /// Source SAP.
    pub fn ssap(&self) -> u8 {
        u8_at(self.buffer.as_ref(), field::SSAP)
    }

    /// First control byte.
    pub fn control(&self) -> u8 {
        u8_at(self.buffer.as_ref(), field::CONTROL)
    }

    /// Control field length: 1 for unnumbered frames (low bits 11), else 2.
    pub fn control_len(&self) -> usize {
        if self.control() & 0x03 == 0x03 {
            1
        } else {
            2
        }
    }

    /// True when a SNAP header follows (both SAPs 0xaa, UI frame).
    pub fn is_snap(&self) -> bool {
        self.dsap() & 0xfe == SAP_SNAP && self.ssap() & 0xfe == SAP_SNAP && self.control_len() == 1
    }

    /// Bytes of LLC and SNAP.
    pub fn header_len(&self) -> usize {
        if self.is_snap() {
            field::HEADER_LEN
        } else {
            2 + self.control_len()
        }
    }

    /// SNAP organisation code, when the header has SNAP.
    pub fn oui(&self) -> Option<u32> {
        self.is_snap()
            .then(|| field::OUI.read(self.buffer.as_ref()).unwrap_or(0))
    }

    /// SNAP protocol ID, when the header has SNAP.
    pub fn pid(&self) -> Option<EtherType> {
        self.is_snap()
            .then(|| EtherType::from(u16_at(self.buffer.as_ref(), field::PID)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "llc.", field::HEADER_LEN);
        crate::field::table_check::kind_fits(&CONTROL_LONG);
    }

    // Hand-made; tshark reads `aa aa 03 00 00 00 08 00` as llc.dsap 0xaa, llc.ssap 0xaa,
    // llc.control 0x03, llc.oui 0x000000, llc.type 0x0800.
    #[test]
    fn snap_carries_an_ethertype() {
        let b = [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, 0x45];
        let p = Packet::new_checked(&b[..]).unwrap();
        assert!(p.is_snap());
        assert_eq!(
            (p.oui(), p.pid(), p.header_len()),
            (Some(0), Some(EtherType::Ipv4), 8)
        );
        assert_eq!(
            parse_link(&b).unwrap(),
            Parsed {
                len: 8,
                next: Next::EtherType(EtherType::Ipv4)
            }
        );
        let e = Packet::new_checked(&b[..7]).unwrap_err();
        assert_eq!(e, WireError::truncated(Layer::Llc, 8, 7));
    }

    // Hand-made: spanning tree BPDU LLC (42 42 03) and a NetBIOS I-frame (f0 f0 00 02).
    #[test]
    fn plain_llc() {
        let stp = parse_link(&[0x42, 0x42, 0x03, 0, 0]).unwrap();
        assert_eq!(stp.len, 3);
        assert!(matches!(stp.next, Next::Named(_)));
        let i = [0xf0, 0xf0, 0x00, 0x02];
        assert_eq!(parse_link(&i).unwrap().len, 4);
        let mut names = Vec::new();
        walk_link(&i, &mut |d| names.push((d.name, d.at, d.len)));
        assert_eq!(names[2], ("llc.control", 2, 2));
        assert!(parse_link(&i[..3]).is_err());
    }
}
