//! PPP (link type 9) and PPP in HDLC-like framing (link type 50, RFC 1662): an optional
//! address/control pair `ff 03`, then the protocol number (RFC 1661 §2), one byte when the
//! peers agreed on protocol field compression.

use crate::error::{Layer, Result, WireError};
use crate::field::FieldDef;
use crate::link::{LinkDef, Next, Parsed};

/// Field table of the uncompressed header.
pub mod field {
    field_table! {
        ADDRESS = "ppp.address", 0, 1, 0, Kind::Hex, "Address",
            "Always 0xff, the all-stations address: PPP links have only two ends (RFC 1662 §3.1).";
        CONTROL = "ppp.control", 1, 1, 0, Kind::Hex, "Control",
            "Always 0x03, an unnumbered information frame (RFC 1662 §3.1).";
        PROTOCOL = "ppp.protocol", 2, 2, 0, crate::ppp::Protocol::KIND, "Protocol",
            "What the frame carries: 0x0021 IPv4, 0x0057 IPv6, 0xc021 LCP link control (RFC 1661 §2).";
    }
}

/// A protocol field compressed to one byte.
pub const PROTOCOL_SHORT: FieldDef = FieldDef {
    at: 0,
    len: 1,
    ..field::PROTOCOL
};

enum_with_unknown! {
    /// PPP protocol numbers (IANA "PPP DLL Protocol Numbers").
    pub enum Protocol(u16) {
        /// Internet Protocol version 4.
        Ipv4 = 0x0021 => "IPv4",
        /// OSI network layer.
        Osi = 0x0023 => "OSI",
        /// Van Jacobson compressed TCP/IP.
        VjCompressed = 0x002d => "VJ compressed TCP/IP",
        /// Van Jacobson uncompressed TCP/IP.
        VjUncompressed = 0x002f => "VJ uncompressed TCP/IP",
        /// Multilink PPP fragment.
        Multilink = 0x003d => "PPP Multilink",
        /// Internet Protocol version 6.
        Ipv6 = 0x0057 => "IPv6",
        /// MPLS unicast.
        Mpls = 0x0281 => "MPLS",
        /// MPLS multicast.
        MplsMulticast = 0x0283 => "MPLS multicast",
        /// IP control protocol.
        Ipcp = 0x8021 => "PPP IPCP",
        /// OSI control protocol.
        Osicp = 0x8023 => "PPP OSINLCP",
        /// IPv6 control protocol.
        Ipv6cp = 0x8057 => "PPP IPv6CP",
        /// MPLS control protocol.
        Mplscp = 0x8281 => "PPP MPLSCP",
        /// Compression control protocol.
        Ccp = 0x80fd => "PPP CCP",
        /// Link control protocol.
        Lcp = 0xc021 => "PPP LCP",
        /// Password authentication.
        Pap = 0xc023 => "PPP PAP",
        /// Link quality report.
        Lqr = 0xc025 => "PPP LQR",
        /// Bandwidth allocation protocol.
        Bap = 0xc02d => "PPP BAP",
        /// Challenge handshake authentication.
        Chap = 0xc223 => "PPP CHAP",
    }
}

impl Protocol {
    /// Field kind of a field holding a PPP protocol number.
    pub const KIND: crate::field::Kind = crate::field::Kind::Code {
        hex: true,
        names: Self::NAMES,
    };
}

/// PPP in the link registry (link type 9).
pub static LINK: LinkDef = LinkDef {
    title: "PPP",
    key: "ppp",
    consumer: "read by the kernel's PPP driver (pppd's link), which strips it before IP",
    parse: parse_link,
    walk: walk_link,
};

/// PPP in HDLC-like framing in the link registry (link type 50). Some such captures hold
/// Cisco HDLC frames instead; they are read as Cisco HDLC.
pub static LINK_HDLC: LinkDef = LinkDef {
    title: "PPP in HDLC-like framing",
    key: "ppp",
    consumer: "read by the serial line's PPP driver, which strips the framing before IP",
    parse: parse_hdlc,
    walk: walk_hdlc,
};

fn is_cisco(b: &[u8]) -> bool {
    matches!(b.first(), Some(0x0f | 0x8f))
}

fn parse_hdlc(b: &[u8]) -> Result<Parsed> {
    if is_cisco(b) {
        return (crate::chdlc::LINK.parse)(b);
    }
    parse_link(b)
}

fn walk_hdlc(b: &[u8], f: &mut dyn FnMut(FieldDef)) {
    if is_cisco(b) {
        return (crate::chdlc::LINK.walk)(b, f);
    }
    walk_link(b, f)
}

fn parse_link(b: &[u8]) -> Result<Parsed> {
    let p = Packet::new_checked(b)?;
    let next = match p.protocol() {
        Protocol::Ipv4 => Next::Ipv4,
        Protocol::Ipv6 => Next::Ipv6,
        Protocol::Unknown(_) => Next::Undecoded,
        named => Next::Named(named.name().unwrap_or("PPP")),
    };
    Ok(Parsed {
        len: p.header_len(),
        next,
    })
}

fn walk_link(b: &[u8], f: &mut dyn FnMut(FieldDef)) {
    let p = Packet::new_unchecked(b);
    let at = if p.has_address_control() {
        f(field::ADDRESS);
        f(field::CONTROL);
        2
    } else {
        0
    };
    if p.protocol_len() == 1 {
        f(PROTOCOL_SHORT.shifted(at));
        return;
    }
    f(FieldDef {
        at,
        ..field::PROTOCOL
    });
}

packet_view! {
    /// A view of a PPP header, with or without address and control.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that address, control (when present) and protocol are complete.
    pub fn check_len(&self) -> Result<()> {
        let have = self.buffer.as_ref().len();
        let at = if self.has_address_control() { 2 } else { 0 };
        if have <= at {
            return Err(WireError::truncated(Layer::Ppp, at + 1, have));
        }
        let need = self.header_len();
        if have < need {
            return Err(WireError::truncated(Layer::Ppp, need, have));
        }
        Ok(())
    }

    /// True when the frame starts with `ff 03`.
    pub fn has_address_control(&self) -> bool {
        self.buffer.as_ref().starts_with(&[0xff, 0x03])
    }

    /// 1 when the protocol field is compressed (its first byte is odd), else 2.
    pub fn protocol_len(&self) -> usize {
        let at = if self.has_address_control() { 2 } else { 0 };
        match self.buffer.as_ref().get(at) {
            Some(b) if b & 1 == 1 => 1,
            _ => 2,
        }
    }

    /// Header length.
    pub fn header_len(&self) -> usize {
        (if self.has_address_control() { 2 } else { 0 }) + self.protocol_len()
    }

    /// The protocol carried.
    pub fn protocol(&self) -> Protocol {
        let b = self.buffer.as_ref();
        let at = if self.has_address_control() { 2 } else { 0 };
        Protocol::from(if self.protocol_len() == 1 {
            u16::from(b[at])
        } else {
            u16::from_be_bytes([b[at], b[at + 1]])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "ppp.", 4);
    }

    // Hand-made; tshark (`text2pcap -l 9`) reads `ff 03 00 21` as ppp.address 0xff,
    // ppp.control 0x03, ppp.protocol 0x0021, and `c0 21 01` as LCP.
    #[test]
    fn framed_compressed_and_lcp() {
        let p = Packet::new_checked(&[0xff, 0x03, 0x00, 0x21, 0x45][..]).unwrap();
        assert_eq!((p.header_len(), p.protocol()), (4, Protocol::Ipv4));
        let short = Packet::new_checked(&[0x21, 0x45][..]).unwrap();
        assert_eq!((short.header_len(), short.protocol()), (1, Protocol::Ipv4));
        let mut names = Vec::new();
        walk_link(&[0x21], &mut |d| names.push((d.name, d.at, d.len)));
        assert_eq!(names, [("ppp.protocol", 0, 1)]);
        assert_eq!(
            parse_link(&[0xc0, 0x21, 0x01]).unwrap().next,
            Next::Named("PPP LCP")
        );
        assert_eq!(
            Packet::new_checked(&[0xff, 0x03, 0x00][..]).unwrap_err(),
            WireError::truncated(Layer::Ppp, 4, 3)
        );
        // Cisco HDLC inside link type 50.
        assert_eq!(
            parse_hdlc(&[0x0f, 0x00, 0x08, 0x00]).unwrap().next,
            Next::EtherType(crate::ethernet::EtherType::Ipv4)
        );
    }
}
