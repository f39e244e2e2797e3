//! IEEE 802.11 MAC headers (link type 105, and after radiotap): frame control, duration,
//! the addresses the DS bits call for, sequence control, QoS and HT control. Data frames
//! continue into 802.2 LLC; management and control frames are named, not dissected.
//!
//! 802.11 numbers are little-endian, unlike the IP headers that follow: duration and QoS
//! control read as little-endian numbers, as Wireshark shows them, and sequence control is
//! split by masks on its little-endian value into the fragment and sequence numbers.

use crate::error::{Layer, Result, WireError};
use crate::ethernet::MacAddr;
use crate::field::FieldDef;
use crate::link::{LinkDef, Next, Parsed};

/// Field table of the fixed part every frame starts with, and of the three-address header.
pub mod field {
    field_table! {
        SUBTYPE = "wlan.fc.subtype", 0, 1, 0xf0, Kind::Number, "Subtype",
            "What kind of frame within its type: 8 beacon, 4 probe request, 13 ACK, 8 QoS data (IEEE 802.11-2020 §9.2.4.1.3).";
        TYPE = "wlan.fc.type", 0, 1, 0x0c, Kind::Number, "Type",
            "0 management, 1 control, 2 data, 3 extension (IEEE 802.11-2020 §9.2.4.1.3).";
        VERSION = "wlan.fc.version", 0, 1, 0x03, Kind::Number, "Protocol version",
            "Always 0 for 802.11 as deployed (IEEE 802.11-2020 §9.2.4.1.2).";
        ORDER = "wlan.fc.order", 1, 1, 0x80, Kind::Flag, "+HTC/Order",
            "An HT control field follows the QoS control field (IEEE 802.11-2020 §9.2.4.1.10).";
        PROTECTED = "wlan.fc.protected", 1, 1, 0x40, Kind::Flag, "Protected",
            "The body is encrypted (WEP, TKIP, CCMP, GCMP); no LLC header is readable without the key (IEEE 802.11-2020 §9.2.4.1.9).";
        MOREDATA = "wlan.fc.moredata", 1, 1, 0x20, Kind::Flag, "More data",
            "The access point has more frames buffered for a dozing station (IEEE 802.11-2020 §9.2.4.1.8).";
        PWRMGT = "wlan.fc.pwrmgt", 1, 1, 0x10, Kind::Flag, "Power management",
            "The sender goes to sleep after this exchange (IEEE 802.11-2020 §9.2.4.1.7).";
        RETRY = "wlan.fc.retry", 1, 1, 0x08, Kind::Flag, "Retry",
            "A retransmission: the receiver may discard it as a duplicate (IEEE 802.11-2020 §9.2.4.1.6).";
        MOREFRAG = "wlan.fc.frag", 1, 1, 0x04, Kind::Flag, "More fragments",
            "More fragments of this MSDU follow (IEEE 802.11-2020 §9.2.4.1.5).";
        DS = "wlan.fc.ds", 1, 1, 0x03, Kind::Number, "DS status",
            "To DS (bit 0) and From DS (bit 1): which way the frame crosses the distribution system, which decides what each address means (IEEE 802.11-2020 §9.2.4.1.4).";
        DURATION = "wlan.duration", 2, 2, 0, Kind::LittleEndian { hex: false }, "Duration",
            "Microseconds the medium stays reserved, little-endian; other stations set their NAV from it (IEEE 802.11-2020 §9.2.4.2).";
        ADDR1 = "wlan.ra", 4, 6, 0, Kind::Mac, "Receiver address",
            "Address 1: the station that receives the frame over the air (IEEE 802.11-2020 §9.3.2.1).";
        ADDR2 = "wlan.ta", 10, 6, 0, Kind::Mac, "Transmitter address",
            "Address 2: the station that sent the frame over the air (IEEE 802.11-2020 §9.3.2.1).";
        ADDR3 = "wlan.addr3", 16, 6, 0, Kind::Mac, "Address 3",
            "BSSID, final destination or original source, depending on the DS bits (IEEE 802.11-2020 Table 9-30).";
        FRAG = "wlan.frag", 22, 2, 0x000f, Kind::LittleEndian { hex: false }, "Fragment number",
            "Low 4 bits of the little-endian sequence control: which fragment of the MSDU this is, 0 for the first or only one (IEEE 802.11-2020 §9.2.4.4.3).";
        SEQ = "wlan.seq", 22, 2, 0xfff0, Kind::LittleEndian { hex: false }, "Sequence number",
            "High 12 bits of the little-endian sequence control: counts MSDUs modulo 4096, so a receiver can drop duplicates (IEEE 802.11-2020 §9.2.4.4.2).";
    }
}

/// Address 4, present when both DS bits are set (a wireless bridge).
pub const ADDR4: FieldDef = FieldDef {
    name: "wlan.sa",
    at: 24,
    len: 6,
    mask: 0,
    kind: crate::field::Kind::Mac,
    label: "Source address",
    meaning: "Address 4, only in frames between two access points (both DS bits set): the original sender (IEEE 802.11-2020 Table 9-30).",
};

/// QoS control of QoS data frames.
pub const QOS: FieldDef = FieldDef {
    name: "wlan.qos",
    at: 0,
    len: 2,
    mask: 0,
    kind: crate::field::Kind::LittleEndian { hex: true },
    label: "QoS control",
    meaning: "Little-endian: traffic identifier (priority) in the low 4 bits, ack policy, A-MSDU present (IEEE 802.11-2020 §9.2.4.5).",
};

/// HT control, when the Order bit is set on a QoS or management frame.
pub const HTC: FieldDef = FieldDef {
    name: "wlan.htc",
    at: 0,
    len: 4,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "HT control",
    meaning: "Link adaptation and beamforming feedback for high-throughput stations (IEEE 802.11-2020 §9.2.4.6).",
};

/// Frame types.
pub const TYPE_MANAGEMENT: u8 = 0;
/// Control frames.
pub const TYPE_CONTROL: u8 = 1;
/// Data frames.
pub const TYPE_DATA: u8 = 2;

/// 802.11 in the link registry.
pub static LINK: LinkDef = LinkDef {
    title: "IEEE 802.11",
    key: "wlan",
    consumer: "read by the Wi-Fi card and its driver (mac80211 on Linux), which hands the kernel an Ethernet-like frame",
    parse: parse_link,
    walk: walk_link,
};

const MANAGEMENT: [&str; 16] = [
    "802.11 association request",
    "802.11 association response",
    "802.11 reassociation request",
    "802.11 reassociation response",
    "802.11 probe request",
    "802.11 probe response",
    "802.11 timing advertisement",
    "802.11 management (reserved subtype)",
    "802.11 beacon",
    "802.11 ATIM",
    "802.11 disassociation",
    "802.11 authentication",
    "802.11 deauthentication",
    "802.11 action",
    "802.11 action no ack",
    "802.11 management (reserved subtype)",
];

const CONTROL: [&str; 16] = [
    "802.11 control (reserved subtype)",
    "802.11 control (reserved subtype)",
    "802.11 trigger",
    "802.11 TACK",
    "802.11 beamforming report poll",
    "802.11 VHT NDP announcement",
    "802.11 control frame extension",
    "802.11 control wrapper",
    "802.11 block ack request",
    "802.11 block ack",
    "802.11 PS-poll",
    "802.11 RTS",
    "802.11 CTS",
    "802.11 ACK",
    "802.11 CF-end",
    "802.11 CF-end + CF-ack",
];

fn parse_link(b: &[u8]) -> Result<Parsed> {
    let p = Packet::new_checked(b)?;
    let len = p.header_len();
    let next = match p.frame_type() {
        TYPE_MANAGEMENT => Next::Named(MANAGEMENT[usize::from(p.subtype())]),
        TYPE_CONTROL => Next::Named(CONTROL[usize::from(p.subtype())]),
        TYPE_DATA if p.subtype() & 0x04 != 0 => Next::Named("802.11 null data (no payload)"),
        TYPE_DATA if p.protected() => {
            Next::Named("802.11 protected data: the body is encrypted, nothing to decode")
        }
        TYPE_DATA if len == b.len() => Next::Undecoded,
        TYPE_DATA => Next::Link(&crate::llc::LINK),
        _ => Next::Named("802.11 extension frame"),
    };
    Ok(Parsed { len, next })
}

fn walk_link(b: &[u8], f: &mut dyn FnMut(FieldDef)) {
    let p = Packet::new_unchecked(b);
    let fields = if p.frame_type() == TYPE_CONTROL {
        // ACK and CTS carry only the receiver address; the others add the transmitter.
        if p.header_len() == 10 {
            &field::FIELDS[..12]
        } else {
            &field::FIELDS[..13]
        }
    } else {
        field::FIELDS
    };
    for d in fields {
        f(*d);
    }
    let mut at = field::HEADER_LEN;
    if p.frame_type() == TYPE_CONTROL {
        return;
    }
    if p.has_addr4() {
        f(ADDR4);
        at += 6;
    }
    if p.is_qos() {
        f(QOS.shifted(at));
        at += 2;
    }
    if p.has_htc() {
        f(HTC.shifted(at));
    }
}

packet_view! {
    /// A view of an 802.11 MAC header.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that the header this frame's type and flags call for is complete.
    pub fn check_len(&self) -> Result<()> {
        let have = self.buffer.as_ref().len();
        if have < 2 {
            return Err(WireError::truncated(Layer::Ieee80211, 2, have));
        }
        let need = self.header_len();
        if have < need {
            return Err(WireError::truncated(Layer::Ieee80211, need, have));
        }
        Ok(())
    }

    fn fc(&self) -> (u8, u8) {
        let b = self.buffer.as_ref();
        (b[0], b[1])
    }

    /// Frame type: 0 management, 1 control, 2 data, 3 extension.
    pub fn frame_type(&self) -> u8 {
        crate::field::bits8(self.buffer.as_ref(), field::TYPE)
    }

    /// Subtype within the type.
    pub fn subtype(&self) -> u8 {
        crate::field::bits8(self.buffer.as_ref(), field::SUBTYPE)
    }

    /// To DS flag.
    pub fn to_ds(&self) -> bool {
        self.fc().1 & 0x01 != 0
    }

    /// From DS flag.
    pub fn from_ds(&self) -> bool {
        self.fc().1 & 0x02 != 0
    }

    /// The body is encrypted.
    pub fn protected(&self) -> bool {
        self.fc().1 & 0x40 != 0
    }

    fn has_addr4(&self) -> bool {
        self.frame_type() == TYPE_DATA && self.to_ds() && self.from_ds()
    }

    fn is_qos(&self) -> bool {
        self.frame_type() == TYPE_DATA && self.subtype() & 0x08 != 0
    }

    fn has_htc(&self) -> bool {
        self.fc().1 & 0x80 != 0 && (self.is_qos() || self.frame_type() == TYPE_MANAGEMENT)
    }

    /// Length of the MAC header this frame control calls for.
    pub fn header_len(&self) -> usize {
        if self.frame_type() == TYPE_CONTROL {
            return match self.subtype() {
                12 | 13 => 10,
                _ => 16,
            };
        }
        let mut n = field::HEADER_LEN;
        if self.has_addr4() {
            n += 6;
        }
        if self.is_qos() {
            n += 2;
        }
        if self.has_htc() {
            n += 4;
        }
        n
    }

    fn le16(&self, f: FieldDef) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_le_bytes([b[f.at], b[f.at + 1]])
    }

    /// Duration in microseconds.
    pub fn duration(&self) -> u16 {
        self.le16(field::DURATION)
    }

    /// Address `n` (1 to 4), if this frame has it.
    pub fn addr(&self, n: usize) -> Option<MacAddr> {
        let f = match n {
            1 => field::ADDR1,
            2 if self.header_len() >= field::ADDR2.end() => field::ADDR2,
            3 if self.frame_type() != TYPE_CONTROL => field::ADDR3,
            4 if self.has_addr4() => ADDR4,
            _ => return None,
        };
        Some(MacAddr::from_bytes(&self.buffer.as_ref()[f.range()]))
    }

    /// A masked field of a little-endian 16-bit word, shifted down.
    fn le_bits16(&self, f: FieldDef) -> u16 {
        (u32::from(self.le16(f)) & f.mask).wrapping_shr(f.mask.trailing_zeros()) as u16
    }

    /// Sequence number (management and data frames).
    pub fn seq_number(&self) -> Option<u16> {
        (self.frame_type() != TYPE_CONTROL).then(|| self.le_bits16(field::SEQ))
    }

    /// Fragment number (management and data frames).
    pub fn frag_number(&self) -> Option<u8> {
        (self.frame_type() != TYPE_CONTROL).then(|| self.le_bits16(field::FRAG) as u8)
    }

    /// Traffic identifier of a QoS data frame.
    pub fn qos_tid(&self) -> Option<u8> {
        let at = field::HEADER_LEN + if self.has_addr4() { 6 } else { 0 };
        self.is_qos().then(|| self.buffer.as_ref()[at] & 0x0f)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Hand-made QoS data frame to the AP (To DS), TID 5, then LLC/SNAP and an IPv4 header
    /// of 20 bytes. tshark (`text2pcap -l 105`) reads wlan.fc.type 2,
    /// wlan.fc.subtype 8, wlan.fc.ds 1, wlan.duration 44, wlan.seq 291, wlan.frag 0,
    /// wlan.qos.tid 5, wlan.bssid 02:00:00:00:00:01, wlan.sa 02:00:00:00:00:02,
    /// wlan.da 02:00:00:00:00:03, llc.type 0x0800, ip.dst 192.0.2.2.
    pub(crate) const QOS_DATA_IPV4: [u8; 54] = [
        0x88, 0x01, 0x2c, 0x00, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 3, 0x30, 0x12,
        0x05, 0x00, // QoS control
        0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, // LLC/SNAP
        0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0xf6, 0xe3, 192, 0, 2, 1, 192, 0, 2, 2,
    ];

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "wlan.", field::HEADER_LEN);
        for f in [ADDR4, QOS, HTC] {
            crate::field::table_check::kind_fits(&f);
        }
    }

    #[test]
    fn qos_data_frame() {
        let p = Packet::new_checked(&QOS_DATA_IPV4[..]).unwrap();
        assert_eq!((p.frame_type(), p.subtype()), (TYPE_DATA, 8));
        assert!(p.to_ds() && !p.from_ds() && !p.protected());
        assert_eq!(p.duration(), 44);
        assert_eq!(p.seq_number(), Some(291));
        assert_eq!(p.frag_number(), Some(0));
        assert_eq!(p.qos_tid(), Some(5));
        assert_eq!(p.header_len(), 26);
        assert_eq!(p.addr(3), Some(MacAddr([2, 0, 0, 0, 0, 3])));
        assert_eq!(p.addr(4), None);
        let parsed = parse_link(&QOS_DATA_IPV4).unwrap();
        assert_eq!(parsed.len, 26);
        assert_eq!(parsed.next, Next::Link(&crate::llc::LINK));
        let d = crate::decode(crate::LinkType::Ieee80211, &QOS_DATA_IPV4);
        assert_eq!(d.ipv4().unwrap().dst_addr().octets(), [192, 0, 2, 2]);
        assert_eq!(d.links().count(), 2);
    }

    // Hand-made: an ACK (d4 00) is 10 bytes; a beacon is named, a protected data frame stops.
    #[test]
    fn control_management_and_protected() {
        let ack = [0xd4, 0, 0, 0, 2, 0, 0, 0, 0, 1];
        assert_eq!(
            parse_link(&ack).unwrap(),
            Parsed {
                len: 10,
                next: Next::Named("802.11 ACK")
            }
        );
        let mut beacon = [0u8; 30];
        beacon[0] = 0x80;
        assert_eq!(
            parse_link(&beacon).unwrap().next,
            Next::Named("802.11 beacon")
        );
        let mut prot = QOS_DATA_IPV4;
        prot[1] |= 0x40;
        assert!(
            matches!(parse_link(&prot).unwrap().next, Next::Named(s) if s.contains("encrypted"))
        );
        assert_eq!(
            Packet::new_checked(&QOS_DATA_IPV4[..25]).unwrap_err(),
            WireError::truncated(Layer::Ieee80211, 26, 25)
        );
    }
}
