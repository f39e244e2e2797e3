//! Linux NFLOG (link type 239): packets an iptables/nftables `NFLOG` rule copies to user
//! space, as a 4-byte header and a list of type-length-value attributes, one of which
//! holds the packet itself. Attribute lengths and types are in the capturing host's byte
//! order; families are small, so the order that gives a sane length is taken.

use crate::error::{Layer, Result, WireError};
use crate::field::FieldDef;
use crate::link::{LinkDef, Next, Parsed};

/// Field table of the fixed header and of one attribute's header.
pub mod field {
    field_table! {
        FAMILY = "nflog.family", 0, 1, 0, Kind::Number, "Family",
            "Address family of the logged packet: 2 IPv4, 10 IPv6 (libpcap LINKTYPE_NFLOG; nfgenmsg.nfgen_family).";
        VERSION = "nflog.version", 1, 1, 0, Kind::Number, "Version",
            "Netlink protocol version, 0 (nfgenmsg.version).";
        RES_ID = "nflog.res_id", 2, 2, 0, Kind::Number, "Resource id",
            "The NFLOG group number the rule logged to, big-endian (nfgenmsg.res_id).";
        TLV_LENGTH = "nflog.tlv_length", 4, 2, 0, Kind::LittleEndian { hex: false }, "TLV length",
            "Host-order length of the attribute, its 4-byte header included, before padding to 4 bytes (libpcap LINKTYPE_NFLOG).";
        TLV_TYPE = "nflog.tlv_type", 6, 2, 0, Kind::LittleEndian { hex: false }, "TLV type",
            "Host-order attribute type: 1 hardware protocol, 9 the packet, 10 the log prefix (NFULA_* in nfnetlink_log.h).";
    }
}

/// An attribute's value and padding.
pub const TLV_VALUE: FieldDef = FieldDef {
    name: "nflog.tlv_value",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "TLV value",
    meaning: "The attribute's value (prefix, hook, interface index, timestamp), then padding to a multiple of 4 bytes (libpcap LINKTYPE_NFLOG).",
};

/// Attribute type holding the logged packet.
pub const NFULA_PAYLOAD: u16 = 9;

/// NFLOG in the link registry.
pub static LINK: LinkDef = LinkDef {
    title: "Linux netfilter log (NFLOG)",
    key: "nflog",
    consumer: "not on the wire: netfilter writes it when a firewall rule logs the packet",
    parse: parse_link,
    walk: walk_link,
};

fn parse_link(b: &[u8]) -> Result<Parsed> {
    let p = Packet::new_checked(b)?;
    let mut found = None;
    p.attributes(|at, _, kind| {
        if kind == NFULA_PAYLOAD && found.is_none() {
            found = Some(at + 4);
        }
    });
    let next = |family: u8| match family {
        2 => Next::Ipv4,
        10 => Next::Ipv6,
        _ => Next::Undecoded,
    };
    Ok(match found {
        Some(len) => Parsed {
            len,
            next: next(p.family()),
        },
        None => Parsed {
            len: p.attributes_end(),
            next: Next::Named("NFLOG record without a packet"),
        },
    })
}

fn walk_link(b: &[u8], f: &mut dyn FnMut(FieldDef)) {
    for d in &field::FIELDS[..3] {
        f(*d);
    }
    let end = b.len();
    Packet::new_unchecked(b).attributes(|at, len, _| {
        if at + 4 > end {
            return;
        }
        f(field::TLV_LENGTH.shifted(at - 4));
        f(field::TLV_TYPE.shifted(at - 4));
        let stop = (at + len.div_ceil(4) * 4).min(end);
        if stop > at + 4 {
            f(FieldDef {
                at: at + 4,
                len: stop - at - 4,
                ..TLV_VALUE
            });
        }
    });
}

packet_view! {
    /// A view of an NFLOG record.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks the fixed header and the version.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < 4 {
            return Err(WireError::truncated(Layer::Nflog, 4, b.len()));
        }
        Ok(())
    }

    /// Address family of the logged packet.
    pub fn family(&self) -> u8 {
        self.buffer.as_ref()[0]
    }

    /// The NFLOG group.
    pub fn resource_id(&self) -> u16 {
        crate::field::u16_at(self.buffer.as_ref(), field::RES_ID)
    }

    /// Calls `f(offset, length, type)` for each complete attribute header, in order, and
    /// stops at the packet attribute or at the first length that does not fit.
    pub fn attributes(&self, mut f: impl FnMut(usize, usize, u16)) {
        let b = self.buffer.as_ref();
        let mut at = 4;
        while at + 4 <= b.len() {
            let (len, kind) = host_order(&b[at..at + 4], b.len() - at);
            if len < 4 {
                return;
            }
            f(at, len, kind);
            if kind == NFULA_PAYLOAD {
                return;
            }
            at += len.div_ceil(4) * 4;
        }
    }

    /// Where the walkable attributes end: past the last whole attribute.
    pub fn attributes_end(&self) -> usize {
        let end = self.buffer.as_ref().len();
        let mut last = 4;
        self.attributes(|at, len, _| last = (at + len.div_ceil(4) * 4).min(end));
        last
    }
}

/// Reads an attribute header in the byte order that gives a length that fits.
fn host_order(h: &[u8], room: usize) -> (usize, u16) {
    let le = usize::from(u16::from_le_bytes([h[0], h[1]]));
    let be = usize::from(u16::from_be_bytes([h[0], h[1]]));
    if (4..=room).contains(&le) || !(4..=room).contains(&be) {
        (le, u16::from_le_bytes([h[2], h[3]]))
    } else {
        (be, u16::from_be_bytes([h[2], h[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "nflog.", 8);
        crate::field::table_check::kind_fits(&TLV_VALUE);
    }

    // Hand-made, little-endian attributes: a prefix "ab" (length 6, padded to 8), then the
    // packet attribute. tshark (`text2pcap -l 239`) reads nflog.family 2, nflog.res_id 5,
    // nflog.prefix "ab", nflog.tlv_type 9 and an IPv4 header after it.
    #[test]
    fn attributes_and_packet() {
        let mut b = vec![2, 0, 0, 5];
        b.extend_from_slice(&[6, 0, 10, 0, b'a', b'b', 0, 0]);
        b.extend_from_slice(&[24, 0, 9, 0]);
        b.extend_from_slice(&[
            0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ]);
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!((p.family(), p.resource_id()), (2, 5));
        assert_eq!(
            parse_link(&b).unwrap(),
            Parsed {
                len: 16,
                next: Next::Ipv4
            }
        );
        let mut seen = Vec::new();
        walk_link(&b[..16], &mut |d| seen.push((d.name, d.at, d.len)));
        assert_eq!(seen[5], ("nflog.tlv_value", 8, 4));
        assert_eq!(seen.last(), Some(&("nflog.tlv_type", 14, 2)));
        assert_eq!(
            parse_link(&b[..12]).unwrap().next,
            Next::Named("NFLOG record without a packet")
        );
    }
}
