//! Radiotap (link type 127): what a Wi-Fi card in monitor mode reports about each received
//! frame (time, rate, channel, signal), in front of the 802.11 header. The header is a
//! chain of little-endian presence bitmaps followed by the fields they announce, each
//! aligned to its own size; the length field lets a reader skip fields it does not know.

use crate::error::{Layer, Reason, Result, WireError};
use crate::field::{FieldDef, Kind};
use crate::link::{LinkDef, Next, Parsed};

/// Field table of the fixed start: version, pad, length and the first presence word.
pub mod field {
    field_table! {
        VERSION = "radiotap.version", 0, 1, 0, Kind::Number, "Version",
            "Header revision, always 0 (radiotap.org, Header).";
        PAD = "radiotap.pad", 1, 1, 0, Kind::Number, "Pad",
            "Unused, aligns the length field (radiotap.org, Header).";
        LENGTH = "radiotap.length", 2, 2, 0, Kind::LittleEndian { hex: false }, "Length",
            "Little-endian length of the whole radiotap header, fields included: the 802.11 frame starts this many bytes in (radiotap.org, Header).";
        PRESENT = "radiotap.present.word", 4, 4, 0, Kind::LittleEndian { hex: true }, "Present flags",
            "Little-endian bitmap of the fields that follow; bit 31 announces another bitmap word (radiotap.org, Header).";
    }
}

const fn rt(
    name: &'static str,
    label: &'static str,
    meaning: &'static str,
    kind: Kind,
) -> FieldDef {
    FieldDef {
        name,
        at: 0,
        len: 0,
        mask: 0,
        kind,
        label,
        meaning,
    }
}

/// The fields of the radiotap namespace by presence bit: alignment, size and description.
const KNOWN: [(usize, usize, FieldDef); 28] = [
    (8, 8, rt("radiotap.mactime", "TSFT", "Little-endian microsecond timer of the card when the frame's first bit arrived (radiotap.org, TSFT).", Kind::LittleEndian { hex: false })),
    (1, 1, rt("radiotap.flags", "Flags", "0x10 the frame ends with an FCS, 0x02 short preamble, 0x40 failed FCS check (radiotap.org, Flags).", Kind::Hex)),
    (1, 1, rt("radiotap.datarate", "Rate", "Data rate in units of 500 kb/s (radiotap.org, Rate).", Kind::Scaled { times: 1, per: 2, unit: "Mb/s" })),
    (2, 4, rt("radiotap.channel", "Channel", "Little-endian frequency in MHz, then channel flags (2.4/5 GHz, OFDM, CCK) (radiotap.org, Channel).", Kind::Bytes)),
    (2, 2, rt("radiotap.fhss", "FHSS", "Hop set and pattern of frequency-hopping radios (radiotap.org, FHSS).", Kind::Bytes)),
    (1, 1, rt("radiotap.dbm_antsignal", "Signal", "Signal power at the antenna in dBm, a signed byte (radiotap.org, Antenna signal).", Kind::Signed { little_endian: false })),
    (1, 1, rt("radiotap.dbm_antnoise", "Noise", "Noise power at the antenna in dBm, a signed byte (radiotap.org, Antenna noise).", Kind::Signed { little_endian: false })),
    (2, 2, rt("radiotap.quality", "Lock quality", "Barker code lock quality (radiotap.org, Lock quality).", Kind::LittleEndian { hex: false })),
    (2, 2, rt("radiotap.txattenuation", "TX attenuation", "Transmit power below the maximum, unitless (radiotap.org, TX attenuation).", Kind::LittleEndian { hex: false })),
    (2, 2, rt("radiotap.db_txattenuation", "dB TX attenuation", "Transmit power below the maximum in dB (radiotap.org, dB TX attenuation).", Kind::LittleEndian { hex: false })),
    (1, 1, rt("radiotap.txpower", "TX power", "Transmit power in dBm, signed (radiotap.org, dBm TX power).", Kind::Signed { little_endian: false })),
    (1, 1, rt("radiotap.antenna", "Antenna", "Index of the antenna that received the frame (radiotap.org, Antenna).", Kind::Number)),
    (1, 1, rt("radiotap.db_antsignal", "Signal (dB)", "Signal power relative to an arbitrary reference, in dB (radiotap.org, dB antenna signal).", Kind::Number)),
    (1, 1, rt("radiotap.db_antnoise", "Noise (dB)", "Noise power relative to an arbitrary reference, in dB (radiotap.org, dB antenna noise).", Kind::Number)),
    (2, 2, rt("radiotap.rxflags", "RX flags", "Little-endian receive flags: 0x0002 bad PLCP CRC (radiotap.org, RX flags).", Kind::LittleEndian { hex: true })),
    (2, 2, rt("radiotap.txflags", "TX flags", "Little-endian transmit flags of an injected frame (radiotap.org, TX flags).", Kind::LittleEndian { hex: true })),
    (1, 1, rt("radiotap.rts_retries", "RTS retries", "RTS retries of a transmitted frame (radiotap.org, RTS retries).", Kind::Number)),
    (1, 1, rt("radiotap.data_retries", "Data retries", "Data retries of a transmitted frame (radiotap.org, data retries).", Kind::Number)),
    (4, 8, rt("radiotap.xchannel", "Extended channel", "Little-endian flags, frequency, channel number and maximum power (radiotap.org, XChannel).", Kind::Bytes)),
    (1, 3, rt("radiotap.mcs", "MCS", "Known bits, flags (bandwidth, guard interval) and the 802.11n MCS index (radiotap.org, MCS).", Kind::Bytes)),
    (4, 8, rt("radiotap.ampdu", "A-MPDU status", "Reference number and flags of the aggregate the frame arrived in (radiotap.org, A-MPDU status).", Kind::Bytes)),
    (2, 12, rt("radiotap.vht", "VHT", "802.11ac known bits, flags, bandwidth, MCS/NSS per user, coding, group and partial AID (radiotap.org, VHT).", Kind::Bytes)),
    (8, 12, rt("radiotap.timestamp", "Timestamp", "A timestamp with its accuracy, unit and sampling position (radiotap.org, timestamp).", Kind::Bytes)),
    (2, 12, rt("radiotap.he", "HE", "802.11ax data fields (radiotap.org, HE).", Kind::Bytes)),
    (2, 12, rt("radiotap.he_mu", "HE-MU", "802.11ax multi-user fields (radiotap.org, HE-MU).", Kind::Bytes)),
    (2, 6, rt("radiotap.he_mu_user", "HE-MU-other-user", "Per-user fields of another HE-MU user (radiotap.org, HE-MU-other-user).", Kind::Bytes)),
    (1, 1, rt("radiotap.0_length_psdu", "0-length PSDU", "Why no PSDU was captured: sounding, not captured, vendor (radiotap.org, 0-length-PSDU).", Kind::Number)),
    (2, 4, rt("radiotap.lsig", "L-SIG", "The legacy signal field's data and length (radiotap.org, L-SIG).", Kind::Bytes)),
];

/// A later presence word.
const PRESENT_MORE: FieldDef = FieldDef {
    at: 0,
    ..field::PRESENT
};

/// Alignment padding between fields.
const PADDING: FieldDef = rt(
    "radiotap.padding",
    "Alignment",
    "Bytes skipped so the next field starts at a multiple of its size (radiotap.org, Alignment).",
    Kind::Bytes,
);

/// A vendor namespace's header.
const VENDOR: FieldDef = rt(
    "radiotap.vendor_namespace",
    "Vendor namespace",
    "Organisation, sub-namespace and little-endian length of the vendor's fields that follow (radiotap.org, Vendor Namespace).",
    Kind::Bytes,
);

/// Fields this reader does not know, skipped by the length field.
const UNKNOWN: FieldDef = rt(
    "radiotap.unknown",
    "Undecoded fields",
    "Fields of a presence bit this reader does not know the size of, or vendor data; the header length skips them (radiotap.org, Header).",
    Kind::Bytes,
);

/// Radiotap in the link registry.
pub static LINK: LinkDef = LinkDef {
    title: "Radiotap",
    key: "radiotap",
    consumer: "not on the wire: the Wi-Fi driver writes it for monitor-mode captures",
    parse: parse_link,
    walk: walk_link,
};

fn parse_link(b: &[u8]) -> Result<Parsed> {
    let p = Packet::new_checked(b)?;
    Ok(Parsed {
        len: p.header_len(),
        next: Next::Link(&crate::ieee80211::LINK),
    })
}

/// Walks the presence words and the fields they announce, reporting each piece with its
/// offset. Stops, labelling the rest as unknown, at the first field it cannot size.
fn walk_link(b: &[u8], f: &mut dyn FnMut(FieldDef)) {
    let end = b.len();
    for d in &field::FIELDS[..3] {
        f(*d);
    }
    // Presence words.
    let mut words = 0;
    let mut at = 4;
    loop {
        if at + 4 > end {
            if at < end {
                f(placed(UNKNOWN, at, end - at));
            }
            return;
        }
        f(placed(PRESENT_MORE, at, 4));
        words += 1;
        let w = le32(b, at);
        at += 4;
        if w & 0x8000_0000 == 0 {
            break;
        }
    }
    // Fields, word by word; bit 29 returns to the radiotap namespace, bit 30 opens a vendor's.
    let mut vendor = false;
    for i in 0..words {
        let w = le32(b, 4 + 4 * i);
        if vendor {
            let start = align(at, 2);
            if start + 6 > end {
                break;
            }
            pad(f, at, start);
            f(placed(VENDOR, start, 6));
            let skip = usize::from(u16::from_le_bytes([b[start + 4], b[start + 5]]));
            at = start + 6;
            let stop = (at + skip).min(end);
            if stop > at {
                f(placed(UNKNOWN, at, stop - at));
            }
            at = stop;
        } else {
            for bit in 0..29 {
                if w & (1 << bit) == 0 {
                    continue;
                }
                let Some(&(alignment, size, def)) = KNOWN.get(bit) else {
                    if at < end {
                        f(placed(UNKNOWN, at, end - at));
                    }
                    return;
                };
                let start = align(at, alignment);
                if start + size > end {
                    if at < end {
                        f(placed(UNKNOWN, at, end - at));
                    }
                    return;
                }
                pad(f, at, start);
                f(placed(def, start, size));
                at = start + size;
            }
        }
        vendor = match (w & (1 << 29) != 0, w & (1 << 30) != 0) {
            (true, _) => false,
            (false, true) => true,
            (false, false) => vendor,
        };
    }
    if at < end {
        f(placed(UNKNOWN, at, end - at));
    }
}

fn pad(f: &mut dyn FnMut(FieldDef), from: usize, to: usize) {
    if to > from {
        f(placed(PADDING, from, to - from));
    }
}

fn align(at: usize, a: usize) -> usize {
    at.div_ceil(a) * a
}

fn placed(d: FieldDef, at: usize, len: usize) -> FieldDef {
    FieldDef { at, len, ..d }
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

packet_view! {
    /// A view of a radiotap header.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks the version and that the header's stated length is present and sane.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < field::HEADER_LEN {
            return Err(WireError::truncated(
                Layer::Radiotap,
                field::HEADER_LEN,
                b.len(),
            ));
        }
        if b[0] != 0 {
            return Err(WireError::malformed(
                Layer::Radiotap,
                0,
                &field::VERSION,
                Reason::NotEqual {
                    value: b[0].into(),
                    expected: 0,
                },
            ));
        }
        let len = self.header_len();
        if len < field::HEADER_LEN {
            return Err(WireError::malformed(
                Layer::Radiotap,
                field::LENGTH.at,
                &field::LENGTH,
                Reason::Below {
                    value: len as u64,
                    min: field::HEADER_LEN as u64,
                },
            ));
        }
        if b.len() < len {
            return Err(WireError::truncated(Layer::Radiotap, len, b.len()));
        }
        Ok(())
    }

    /// The stated header length.
    pub fn header_len(&self) -> usize {
        let b = self.buffer.as_ref();
        usize::from(u16::from_le_bytes([b[2], b[3]]))
    }

    /// The first presence word.
    pub fn present(&self) -> u32 {
        le32(self.buffer.as_ref(), field::PRESENT.at)
    }

    /// The value of the field announced by presence `bit` of the radiotap namespace, as its
    /// bytes, found by the same walk that labels them.
    pub fn field_bytes(&self, bit: usize) -> Option<&[u8]> {
        let name = KNOWN.get(bit)?.2.name;
        let b = &self.buffer.as_ref()[..self.header_len()];
        let mut found = None;
        walk_link(b, &mut |d| {
            if d.name == name && found.is_none() {
                found = Some(d.range());
            }
        });
        found.map(|r| &b[r])
    }

    /// Data rate in 500 kb/s units, when present.
    pub fn rate(&self) -> Option<u8> {
        self.field_bytes(2).map(|b| b[0])
    }

    /// Channel frequency in MHz, when present.
    pub fn channel_mhz(&self) -> Option<u16> {
        self.field_bytes(3)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    /// Antenna signal in dBm, when present.
    pub fn signal_dbm(&self) -> Option<i8> {
        self.field_bytes(5).map(|b| b[0] as i8)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Hand-made radiotap header: TSFT, flags, rate, channel, signal (present 0x2f), then two
    /// bytes the length covers but no presence bit announces. tshark (`text2pcap -l 127`)
    /// reads radiotap.length 25, radiotap.datarate 6 (Mb/s; 12 on the wire),
    /// radiotap.channel.freq 2437, radiotap.dbm_antsignal -40.
    pub(crate) const HEADER: [u8; 25] = [
        0x00, 0x00, 0x19, 0x00, 0x2f, 0x00, 0x00, 0x00, // version, pad, length 25, present
        1, 2, 3, 4, 5, 6, 7, 8,    // TSFT
        0x00, // flags
        0x0c, // rate
        0x85, 0x09, 0xa0, 0x00, // channel 2437, 2 GHz OFDM
        0xd8, // signal -40 dBm
        0x00, 0x00, // unknown trailing bytes inside the length
    ];

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "radiotap.", 8);
        for (_, size, d) in KNOWN {
            crate::field::table_check::kind_fits(&FieldDef { len: size, ..d });
        }
    }

    #[test]
    fn common_fields() {
        let p = Packet::new_checked(&HEADER[..]).unwrap();
        assert_eq!(p.header_len(), 25);
        assert_eq!(p.rate(), Some(12));
        assert_eq!(p.channel_mhz(), Some(2437));
        assert_eq!(p.signal_dbm(), Some(-40));
        let mut seen = Vec::new();
        walk_link(&HEADER, &mut |d| seen.push((d.name, d.at, d.len)));
        assert_eq!(seen[4], ("radiotap.mactime", 8, 8));
        assert_eq!(seen.last(), Some(&("radiotap.unknown", 23, 2)));
    }

    // Hand-made: two presence words (bit 31 set in the first), the second announcing the
    // antenna signal of a second chain; the fields after an 8-byte-aligned TSFT need padding.
    #[test]
    fn extended_bitmaps_and_alignment() {
        let b = [
            0, 0, 24, 0, // length 24
            0x22, 0, 0, 0xa0, // flags (bit 1), signal (bit 5), radiotap namespace, more words
            0x01, 0, 0, 0, // second word: TSFT
            0x10, 0xd0, // flags, signal
            0, 0, // padding: the TSFT is 8-byte aligned
            0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.present() & 0x8000_0000, 0x8000_0000);
        let mut seen = Vec::new();
        walk_link(&b, &mut |d| seen.push((d.name, d.at, d.len)));
        assert!(seen.contains(&("radiotap.flags", 12, 1)));
        assert!(seen.contains(&("radiotap.dbm_antsignal", 13, 1)));
        assert!(seen.contains(&("radiotap.padding", 14, 2)));
        assert!(seen.contains(&("radiotap.mactime", 16, 8)));
        assert!(Packet::new_checked(&b[..23]).is_err());
    }
}
