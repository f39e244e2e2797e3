//! Frame Relay (link type 107): a two-byte Q.922 address, then either the RFC 2427
//! multiprotocol encapsulation (UI control byte, NLPID, SNAP when the NLPID says so) or
//! Cisco's, which puts an EtherType straight after the address.

use crate::error::{Layer, Result, WireError};
use crate::ethernet::EtherType;
use crate::field::FieldDef;
use crate::link::{LinkDef, Next, Parsed};

/// Field table of the Q.922 address and the RFC 2427 header with SNAP.
pub mod field {
    field_table! {
        UPPER_DLCI = "fr.upper_dlci", 0, 1, 0xfc, Kind::Number, "Upper DLCI",
            "High 6 bits of the data link connection identifier, the virtual circuit (ITU-T Q.922 §3.3).";
        CR = "fr.cr", 0, 1, 0x02, Kind::Flag, "C/R",
            "Command/response bit, carried transparently for the end points (ITU-T Q.922 §3.3.4).";
        EA = "fr.ea", 0, 1, 0x01, Kind::Flag, "EA",
            "Address extension: 0 means another address byte follows (ITU-T Q.922 §3.3.1).";
        LOWER_DLCI = "fr.second_dlci", 1, 1, 0xf0, Kind::Number, "Lower DLCI",
            "Low 4 bits of the data link connection identifier (ITU-T Q.922 §3.3).";
        FECN = "fr.fecn", 1, 1, 0x08, Kind::Flag, "FECN",
            "Forward congestion: the network saw congestion on the way here (ITU-T Q.922 §3.3.5).";
        BECN = "fr.becn", 1, 1, 0x04, Kind::Flag, "BECN",
            "Backward congestion: traffic the other way meets congestion (ITU-T Q.922 §3.3.6).";
        DE = "fr.de", 1, 1, 0x02, Kind::Flag, "DE",
            "Discard eligibility: drop this frame first under congestion (ITU-T Q.922 §3.3.7).";
        EA_LAST = "fr.ea_last", 1, 1, 0x01, Kind::Flag, "EA",
            "Address extension: 1 marks the last address byte (ITU-T Q.922 §3.3.1).";
        CONTROL = "fr.control", 2, 1, 0, Kind::Hex, "Control",
            "0x03, an unnumbered information frame (RFC 2427 §2).";
        NLPID = "fr.nlpid", 3, 1, 0, Kind::Hex, "NLPID",
            "Network layer protocol: 0xcc IPv4, 0x8e IPv6, 0x80 SNAP follows, 0x83 IS-IS, 0x08 Q.933 signalling (RFC 2427 §2; ISO/IEC TR 9577).";
        SNAP_OUI = "fr.snap.oui", 4, 3, 0, Kind::Hex, "Organization code",
            "SNAP organisation; 00-00-00 means the protocol ID is an EtherType (RFC 2427 §3.1).";
        SNAP_PID = "fr.snaptype", 7, 2, 0, crate::ethernet::EtherType::KIND, "Protocol ID",
            "SNAP protocol ID, an EtherType under organisation 00-00-00 (RFC 2427 §3.1).";
    }
}

/// The optional pad byte before an NLPID. Wireshark reports it as an NLPID of 0x00, so it
/// carries that field's name.
pub const PAD: FieldDef = FieldDef {
    name: "fr.nlpid",
    at: 3,
    len: 1,
    mask: 0,
    kind: crate::field::Kind::Hex,
    label: "Pad",
    meaning: "A zero byte some senders put before the NLPID to align what follows (RFC 2427 §2).",
};

/// Cisco's encapsulation: an EtherType right after the address.
pub const CISCO_TYPE: FieldDef = FieldDef {
    name: "fr.chdlctype",
    at: 2,
    len: 2,
    mask: 0,
    kind: crate::ethernet::EtherType::KIND,
    label: "Type",
    meaning: "EtherType of the payload in Cisco's Frame Relay encapsulation, which has no control byte or NLPID.",
};

/// A three- or four-byte Q.922 address, shown whole.
pub const LONG_ADDRESS: FieldDef = FieldDef {
    name: "fr.address",
    at: 0,
    len: 3,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Address",
    meaning: "A Q.922 address extended to 3 or 4 bytes by its EA bits, for a longer DLCI (ITU-T Q.922 §3.3.1).",
};

/// Frame Relay in the link registry.
pub static LINK: LinkDef = LinkDef {
    title: "Frame Relay",
    key: "fr",
    consumer: "read by the router's Frame Relay interface, which strips it before IP",
    parse: parse_link,
    walk: walk_link,
};

/// How the payload after the address is encapsulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encapsulation {
    /// RFC 2427 with an NLPID at `at` (after an optional pad byte).
    Nlpid {
        /// Offset of the NLPID.
        at: usize,
    },
    /// Cisco: an EtherType after the address.
    Cisco,
}

fn parse_link(b: &[u8]) -> Result<Parsed> {
    let p = Packet::new_checked(b)?;
    let (len, next) = match p.encapsulation() {
        Encapsulation::Cisco => (p.address_len() + 2, Next::EtherType(p.cisco_type())),
        Encapsulation::Nlpid { at } => match b[at] {
            0xcc => (at + 1, Next::Ipv4),
            0x8e => (at + 1, Next::Ipv6),
            0x80 => {
                let oui = u32::from_be_bytes([0, b[at + 1], b[at + 2], b[at + 3]]);
                let pid = EtherType::from(u16::from_be_bytes([b[at + 4], b[at + 5]]));
                let next = if oui == 0 {
                    Next::EtherType(pid)
                } else {
                    Next::Named("SNAP with an organisation's own protocol")
                };
                (at + 6, next)
            }
            0x81..=0x83 => (at + 1, Next::Named("OSI (IS-IS, ES-IS, CLNP)")),
            0x08 | 0x09 => (at + 1, Next::Named("Q.933 call control")),
            0xb0 | 0xb1 => (
                at + 1,
                Next::Named("Frame Relay fragmentation (FRF.12/FRF.15)"),
            ),
            _ => (at + 1, Next::Undecoded),
        },
    };
    Ok(Parsed { len, next })
}

fn walk_link(b: &[u8], f: &mut dyn FnMut(FieldDef)) {
    let p = Packet::new_unchecked(b);
    let n = p.address_len();
    if n == 2 {
        for d in &field::FIELDS[..8] {
            f(*d);
        }
    } else {
        f(FieldDef {
            len: n,
            ..LONG_ADDRESS
        });
    }
    let shift = n - 2;
    match p.encapsulation() {
        Encapsulation::Cisco => f(CISCO_TYPE.shifted(shift)),
        Encapsulation::Nlpid { at } => {
            f(field::CONTROL.shifted(shift));
            if at == n + 2 {
                f(PAD.shifted(shift));
            }
            f(field::NLPID.shifted(at - 3));
            if b.len() == at + 6 {
                f(field::SNAP_OUI.shifted(at - 3));
                f(field::SNAP_PID.shifted(at - 3));
            }
        }
    }
}

packet_view! {
    /// A view of a Frame Relay header.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks the address and that the encapsulation's header is complete.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        let n = b.iter().take(4).position(|&x| x & 1 == 1);
        let Some(n) = n.filter(|&i| i >= 1).map(|i| i + 1) else {
            if b.len() < 4 {
                return Err(WireError::truncated(Layer::FrameRelay, 4, b.len()));
            }
            return Err(WireError::malformed(
                Layer::FrameRelay,
                0,
                &field::EA,
                crate::error::Reason::Other("no end of the Q.922 address in 2 to 4 bytes"),
            ));
        };
        if b.len() < n + 2 {
            return Err(WireError::truncated(Layer::FrameRelay, n + 2, b.len()));
        }
        if let Encapsulation::Nlpid { at } = self.encapsulation() {
            let need = if b.get(at) == Some(&0x80) {
                at + 6
            } else {
                at + 1
            };
            if b.len() < need {
                return Err(WireError::truncated(Layer::FrameRelay, need, b.len()));
            }
        }
        Ok(())
    }

    /// Bytes of the Q.922 address, 2 to 4 (call after [`Packet::check_len`]).
    pub fn address_len(&self) -> usize {
        let b = self.buffer.as_ref();
        b.iter()
            .take(4)
            .position(|&x| x & 1 == 1)
            .map_or(2, |i| (i + 1).max(2))
    }

    /// The data link connection identifier (of a two-byte address).
    pub fn dlci(&self) -> u16 {
        let b = self.buffer.as_ref();
        (u16::from(b[0] >> 2) << 4) | u16::from(b[1] >> 4)
    }

    /// Which encapsulation follows the address: Cisco's when the two bytes after it are
    /// not a UI control byte and read as an EtherType (above 1500, as tcpdump decides),
    /// else RFC 2427 whatever the control byte holds.
    pub fn encapsulation(&self) -> Encapsulation {
        let b = self.buffer.as_ref();
        let n = self.address_len();
        match (b[n], b[n + 1]) {
            (c, t) if c != 0x03 && u16::from_be_bytes([c, t]) > 1500 => Encapsulation::Cisco,
            (_, 0x00) => Encapsulation::Nlpid { at: n + 2 },
            _ => Encapsulation::Nlpid { at: n + 1 },
        }
    }

    /// The EtherType of Cisco's encapsulation.
    pub fn cisco_type(&self) -> EtherType {
        let b = self.buffer.as_ref();
        let n = self.address_len();
        EtherType::from(u16::from_be_bytes([b[n], b[n + 1]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "fr.", 9);
        crate::field::table_check::kind_fits(&PAD);
        crate::field::table_check::kind_fits(&CISCO_TYPE);
    }

    // Hand-made; tshark (`text2pcap -l 107`) reads `18 41 03 cc` as fr.dlci 100, fr.control
    // 0x03, fr.nlpid 0xcc, and `18 41 03 00 80 00 00 00 86 dd` as fr.snap.pid 0x86dd.
    #[test]
    fn nlpid_snap_and_cisco() {
        let p = Packet::new_checked(&[0x18, 0x41, 0x03, 0xcc][..]).unwrap();
        assert_eq!(p.dlci(), 100);
        assert_eq!(
            parse_link(&[0x18, 0x41, 0x03, 0xcc]).unwrap(),
            Parsed {
                len: 4,
                next: Next::Ipv4
            }
        );
        let snap = [0x18, 0x41, 0x03, 0x00, 0x80, 0, 0, 0, 0x86, 0xdd];
        assert_eq!(
            parse_link(&snap).unwrap(),
            Parsed {
                len: 10,
                next: Next::EtherType(EtherType::Ipv6)
            }
        );
        let mut names = Vec::new();
        walk_link(&snap, &mut |d| names.push(d.name));
        assert_eq!(
            names[8..],
            [
                "fr.control",
                "fr.nlpid",
                "fr.nlpid",
                "fr.snap.oui",
                "fr.snaptype"
            ]
        );
        assert_eq!(
            parse_link(&[0x18, 0x41, 0x08, 0x00]).unwrap().next,
            Next::EtherType(EtherType::Ipv4)
        );
        // Hand-made Cisco encapsulation of IPv6; tshark reads fr.chdlctype 0x86dd.
        assert_eq!(
            parse_link(&[0x48, 0xe1, 0x86, 0xdd]).unwrap().next,
            Next::EtherType(EtherType::Ipv6)
        );
        assert!(Packet::new_checked(&snap[..9]).is_err());
        assert!(Packet::new_checked(&[0x18, 0x40, 0x40, 0x40][..]).is_err());
        // Hand-made three-byte address, then RFC 2427 to OSI.
        let long = [0x18, 0x40, 0x41, 0x03, 0x83];
        assert_eq!(parse_link(&long).unwrap().len, 5);
        let mut names = Vec::new();
        walk_link(&long, &mut |d| names.push((d.name, d.at, d.len)));
        assert_eq!(names[0], ("fr.address", 0, 3));
        assert_eq!(names[2], ("fr.nlpid", 4, 1));
    }
}
