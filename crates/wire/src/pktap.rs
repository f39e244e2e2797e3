//! Apple PKTAP (link type 258; DLT 149 on Darwin): the header macOS `tcpdump -k` prepends
//! with the interface, process and service class of each packet, followed by a frame of the
//! link type it names. Its numbers are in the capturing host's (little-endian) order.

use crate::decode::LinkType;
use crate::error::{Layer, Reason, Result, WireError};
use crate::field::FieldDef;
use crate::link::{LinkDef, Next, Parsed};

/// Field table of the 108-byte header (`struct pktap_header`).
pub mod field {
    field_table! {
        HDRLEN = "pktap.hdrlen", 0, 4, 0, Kind::LittleEndian { hex: false }, "Header length",
            "Little-endian length of this header; the frame starts this many bytes in (Darwin net/pktap.h, pth_length).";
        RECTYPE = "pktap.rectype", 4, 4, 0, Kind::LittleEndian { hex: false }, "Record type",
            "1 for a packet (Darwin net/pktap.h, pth_type_next).";
        DLT = "pktap.dlt", 8, 4, 0, Kind::LittleEndian { hex: false }, "DLT",
            "Link type of the frame that follows, 1 Ethernet (Darwin net/pktap.h, pth_dlt).";
        IFNAME = "pktap.ifname", 12, 24, 0, Kind::Text, "Interface name",
            "Name of the interface the packet crossed, NUL-padded, e.g. en0 (Darwin net/pktap.h, pth_ifname).";
        FLAGS = "pktap.flags", 36, 4, 0, Kind::LittleEndian { hex: true }, "Flags",
            "Direction and other flags: 0x1 in, 0x2 out (Darwin net/pktap.h, pth_flags).";
        PFAMILY = "pktap.pfamily", 40, 4, 0, Kind::LittleEndian { hex: false }, "Protocol family",
            "Address family of the packet, 2 IPv4, 30 IPv6 (Darwin net/pktap.h, pth_protocol_family).";
        LLHDRLEN = "pktap.llhdrlen", 44, 4, 0, Kind::LittleEndian { hex: false }, "Link-layer header length",
            "Bytes of link-layer header in the frame (Darwin net/pktap.h, pth_frame_pre_length).";
        LLTRLRLEN = "pktap.lltrlrlen", 48, 4, 0, Kind::LittleEndian { hex: false }, "Link-layer trailer length",
            "Bytes of link-layer trailer in the frame (Darwin net/pktap.h, pth_frame_post_length).";
        PID = "pktap.pid", 52, 4, 0, Kind::LittleEndian { hex: false }, "Process ID",
            "Process that sent or received the packet, -1 unknown (Darwin net/pktap.h, pth_pid).";
        CMDNAME = "pktap.cmdname", 56, 20, 0, Kind::Text, "Command name",
            "That process's command name (Darwin net/pktap.h, pth_comm).";
        SVC_CLASS = "pktap.svc_class", 76, 4, 0, Kind::LittleEndian { hex: true }, "Service class",
            "Traffic service class of the socket (Darwin net/pktap.h, pth_svc).";
        IFTYPE = "pktap.iftype", 80, 2, 0, Kind::LittleEndian { hex: false }, "Interface type",
            "IFT_ type of the interface (Darwin net/pktap.h, pth_iftype).";
        IFUNIT = "pktap.ifunit", 82, 2, 0, Kind::LittleEndian { hex: false }, "Interface unit",
            "Unit number of the interface, the 0 of en0 (Darwin net/pktap.h, pth_ifunit).";
        EPID = "pktap.epid", 84, 4, 0, Kind::LittleEndian { hex: false }, "Effective process ID",
            "Process on whose behalf the socket acts (Darwin net/pktap.h, pth_epid).";
        ECMDNAME = "pktap.ecmdname", 88, 20, 0, Kind::Text, "Effective command name",
            "That process's command name (Darwin net/pktap.h, pth_ecomm).";
    }
}

pub use field::HEADER_LEN;

/// Header bytes past the fields known here, which a longer header version adds.
const EXTRA: FieldDef = FieldDef {
    name: "pktap.extra",
    at: HEADER_LEN,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Extra header",
    meaning:
        "Header fields of a later PKTAP version, skipped by the header length (Darwin net/pktap.h).",
};

/// PKTAP in the link registry.
pub static LINK: LinkDef = LinkDef {
    title: "Apple PKTAP",
    key: "pktap",
    consumer: "not on the wire: the macOS kernel writes it for captures on the pktap interface",
    parse: parse_link,
    walk: walk_link,
};

fn parse_link(b: &[u8]) -> Result<Parsed> {
    let p = Packet::new_checked(b)?;
    let next = if p.record_type() == 1 {
        crate::link::next_for_link_type(LinkType::from(p.dlt()))
    } else {
        Next::Named("PKTAP record without a packet")
    };
    Ok(Parsed {
        len: p.header_len(),
        next,
    })
}

fn walk_link(b: &[u8], f: &mut dyn FnMut(FieldDef)) {
    crate::link::walk_table(field::FIELDS, f);
    if b.len() > HEADER_LEN {
        f(FieldDef {
            len: b.len() - HEADER_LEN,
            ..EXTRA
        });
    }
}

packet_view! {
    /// A view of a PKTAP header.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that the stated header length covers the known fields and is captured.
    pub fn check_len(&self) -> Result<()> {
        let have = self.buffer.as_ref().len();
        if have < 4 {
            return Err(WireError::truncated(Layer::Pktap, HEADER_LEN, have));
        }
        let len = self.header_len();
        if len < HEADER_LEN {
            return Err(WireError::malformed(
                Layer::Pktap,
                0,
                &field::HDRLEN,
                Reason::Below {
                    value: len as u64,
                    min: HEADER_LEN as u64,
                },
            ));
        }
        if have < len {
            return Err(WireError::truncated(Layer::Pktap, len, have));
        }
        Ok(())
    }

    fn le32(&self, f: FieldDef) -> u32 {
        let b = &self.buffer.as_ref()[f.range()];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }

    /// The stated header length.
    pub fn header_len(&self) -> usize {
        self.le32(field::HDRLEN) as usize
    }

    /// Record type, 1 for a packet.
    pub fn record_type(&self) -> u32 {
        self.le32(field::RECTYPE)
    }

    /// Link type of the frame that follows.
    pub fn dlt(&self) -> u32 {
        self.le32(field::DLT)
    }

    /// Interface name.
    pub fn ifname(&self) -> &[u8] {
        let b = &self.buffer.as_ref()[field::IFNAME.range()];
        let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        &b[..n]
    }

    /// Process ID.
    pub fn pid(&self) -> i32 {
        self.le32(field::PID) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "pktap.", HEADER_LEN);
    }

    // Hand-made; tshark (`text2pcap -l 258`) reads pktap.hdrlen 108, pktap.dlt 1,
    // pktap.ifname "en0", pktap.pid 77, then an Ethernet frame.
    #[test]
    fn deconstruct() {
        let mut b = vec![0u8; 108];
        b[0] = 108;
        b[4] = 1;
        b[8] = 1;
        b[12..15].copy_from_slice(b"en0");
        b[52] = 77;
        b.extend_from_slice(&[0; 12]);
        b.extend_from_slice(&[0x08, 0x00]);
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(
            (p.header_len(), p.dlt(), p.ifname(), p.pid()),
            (108, 1, &b"en0"[..], 77)
        );
        assert_eq!(
            parse_link(&b).unwrap(),
            Parsed {
                len: 108,
                next: Next::Link(&crate::ethernet::LINK)
            }
        );
        assert!(Packet::new_checked(&b[..107]).is_err());
        b[0] = 100;
        assert!(Packet::new_checked(&b[..]).is_err());
    }
}
