//! TCP (RFC 9293): header, flags, options and the checksum over the IP pseudo-header.

use core::fmt;

use crate::checksum::{self, ChecksumStatus, PseudoHeader, Unverified};
use crate::error::{Layer, Reason, Result, WireError};
use crate::field::{bits16, set_u16, set_u32, u16_at, u32_at, FieldDef};

/// Field table of the TCP fixed header.
pub mod field {
    field_table! {
        SRC_PORT = "tcp.srcport", 0, 2, 0, Kind::Number, "Source port",
            "Port of the sending socket (RFC 9293 §3.1).";
        DST_PORT = "tcp.dstport", 2, 2, 0, Kind::Number, "Destination port",
            "Port of the receiving socket (RFC 9293 §3.1).";
        SEQ = "tcp.seq_raw", 4, 4, 0, Kind::Number, "Sequence number",
            "Stream position of the first data byte; on SYN, the initial sequence number (RFC 9293 §3.1, §3.4).";
        ACK = "tcp.ack_raw", 8, 4, 0, Kind::Number, "Acknowledgment number",
            "Next sequence number the sender expects to receive, valid when ACK is set (RFC 9293 §3.1).";
        DATA_OFFSET = "tcp.hdr_len", 12, 2, 0xf000, Kind::Units { unit: 4, shown_in_bytes: true }, "Data offset",
            "Header length in 32-bit words, 5 to 15 (RFC 9293 §3.1).";
        RESERVED = "tcp.flags.res", 12, 2, 0x0e00, Kind::Number, "Reserved",
            "Must be zero (RFC 9293 §3.1).";
        FLAG_NS = "tcp.flags.ns", 12, 2, 0x0100, Kind::Flag, "Nonce",
            "ECN nonce, historic (RFC 3540, now RFC 8311 calls it AE).";
        FLAG_CWR = "tcp.flags.cwr", 12, 2, 0x0080, Kind::Flag, "CWR",
            "Congestion window reduced: the sender reacted to an ECN echo (RFC 3168 §6.1).";
        FLAG_ECE = "tcp.flags.ece", 12, 2, 0x0040, Kind::Flag, "ECE",
            "ECN echo: congestion was seen, or on SYN, ECN is supported (RFC 3168 §6.1).";
        FLAG_URG = "tcp.flags.urg", 12, 2, 0x0020, Kind::Flag, "URG",
            "The urgent pointer field is significant (RFC 9293 §3.1).";
        FLAG_ACK = "tcp.flags.ack", 12, 2, 0x0010, Kind::Flag, "ACK",
            "The acknowledgment number is significant; set on all segments after the SYN (RFC 9293 §3.1).";
        FLAG_PSH = "tcp.flags.push", 12, 2, 0x0008, Kind::Flag, "PSH",
            "Push: deliver buffered data to the application now (RFC 9293 §3.9.1).";
        FLAG_RST = "tcp.flags.reset", 12, 2, 0x0004, Kind::Flag, "RST",
            "Reset: abort the connection (RFC 9293 §3.5.2).";
        FLAG_SYN = "tcp.flags.syn", 12, 2, 0x0002, Kind::Flag, "SYN",
            "Synchronize sequence numbers: opens a connection (RFC 9293 §3.5).";
        FLAG_FIN = "tcp.flags.fin", 12, 2, 0x0001, Kind::Flag, "FIN",
            "No more data from the sender: closes its direction (RFC 9293 §3.6).";
        WINDOW = "tcp.window_size_value", 14, 2, 0, Kind::Number, "Window",
            "Bytes the receiver accepts, before scaling by the window scale option (RFC 9293 §3.1, RFC 7323 §2).";
        CHECKSUM = "tcp.checksum", 16, 2, 0, Kind::Checksum, "Checksum",
            "Ones'-complement checksum of pseudo-header, header and data (RFC 9293 §3.1).";
        URGENT = "tcp.urgent_pointer", 18, 2, 0, Kind::Number, "Urgent pointer",
            "Offset from the sequence number to the end of urgent data, if URG (RFC 9293 §3.1).";
    }
}

/// The length byte of an option, at its offset inside the option: named in errors about it.
pub const OPTION_LEN: FieldDef = FieldDef {
    name: "tcp.option_len",
    at: 1,
    len: 1,
    mask: 0,
    kind: crate::field::Kind::Number,
    label: "Option length",
    meaning: "Bytes the option takes, kind and length bytes included: at least 2 (RFC 9293 §3.1).",
};

pub use field::HEADER_LEN;
use field::{ACK, CHECKSUM, DATA_OFFSET, DST_PORT, SEQ, SRC_PORT, URGENT, WINDOW};

/// Longest header: data offset 15.
pub const MAX_HEADER_LEN: usize = 60;

/// The nine TCP flags as one 12-bit value, laid out as on the wire (`tcp.flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u16);

impl Flags {
    /// FIN.
    pub const FIN: Flags = Flags(0x001);
    /// SYN.
    pub const SYN: Flags = Flags(0x002);
    /// RST.
    pub const RST: Flags = Flags(0x004);
    /// PSH.
    pub const PSH: Flags = Flags(0x008);
    /// ACK.
    pub const ACK: Flags = Flags(0x010);
    /// URG.
    pub const URG: Flags = Flags(0x020);
    /// ECE.
    pub const ECE: Flags = Flags(0x040);
    /// CWR.
    pub const CWR: Flags = Flags(0x080);
    /// NS.
    pub const NS: Flags = Flags(0x100);

    /// True when all bits of `other` are set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of two flag sets.
    #[must_use]
    pub const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

impl core::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl fmt::Display for Flags {
    /// tcpdump's letters: S F R P . (ACK) U E W N.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const LETTERS: [(Flags, char); 9] = [
            (Flags::SYN, 'S'),
            (Flags::FIN, 'F'),
            (Flags::RST, 'R'),
            (Flags::PSH, 'P'),
            (Flags::URG, 'U'),
            (Flags::ECE, 'E'),
            (Flags::CWR, 'W'),
            (Flags::NS, 'N'),
            (Flags::ACK, '.'),
        ];
        for (flag, c) in LETTERS {
            if self.contains(flag) {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// Option kinds (IANA "TCP Option Kind Numbers").
pub mod option_kind {
    /// End of option list.
    pub const EOL: u8 = 0;
    /// No operation (padding).
    pub const NOP: u8 = 1;
    /// Maximum segment size (RFC 9293 §3.7.1).
    pub const MSS: u8 = 2;
    /// Window scale (RFC 7323 §2).
    pub const WINDOW_SCALE: u8 = 3;
    /// SACK permitted (RFC 2018).
    pub const SACK_PERMITTED: u8 = 4;
    /// SACK blocks (RFC 2018).
    pub const SACK: u8 = 5;
    /// Timestamps (RFC 7323 §3).
    pub const TIMESTAMPS: u8 = 8;
}

/// One TCP option as found in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// End of list; the rest of the header is padding.
    EndOfList,
    /// No operation.
    Nop,
    /// Maximum segment size.
    Mss(u16),
    /// Window scale shift count.
    WindowScale(u8),
    /// SACK permitted.
    SackPermitted,
    /// Up to four SACK blocks (left edge, right edge).
    Sack([Option<(u32, u32)>; 4]),
    /// Timestamp value and echo reply.
    Timestamps {
        /// TSval.
        value: u32,
        /// TSecr.
        echo: u32,
    },
    /// Anything else, kept raw.
    Unknown {
        /// Option kind.
        kind: u8,
        /// Data after kind and length.
        data: &'a [u8],
    },
}

impl<'a> TcpOption<'a> {
    /// Parses one option from the front of `bytes`, returning what is left after it.
    /// `at` is the option's offset in the TCP header, used in errors.
    pub fn parse(bytes: &'a [u8], at: usize) -> Result<(&'a [u8], TcpOption<'a>)> {
        let Some(&kind) = bytes.first() else {
            return Err(WireError::truncated(Layer::Tcp, at + 1, at));
        };
        match kind {
            option_kind::EOL => return Ok((&[], TcpOption::EndOfList)),
            option_kind::NOP => return Ok((&bytes[1..], TcpOption::Nop)),
            _ => {}
        }
        let Some(&len) = bytes.get(1) else {
            return Err(WireError::malformed(
                Layer::Tcp,
                at,
                &OPTION_LEN,
                Reason::Other("missing"),
            ));
        };
        let len = usize::from(len);
        if len < 2 {
            return Err(WireError::malformed(
                Layer::Tcp,
                at + 1,
                &OPTION_LEN,
                Reason::Below {
                    value: len as u64,
                    min: 2,
                },
            ));
        }
        if len > bytes.len() {
            return Err(WireError::malformed(
                Layer::Tcp,
                at + 1,
                &OPTION_LEN,
                Reason::Above {
                    value: len as u64,
                    max: bytes.len() as u64,
                },
            ));
        }
        let data = &bytes[2..len];
        let want = |n: usize| -> Result<()> {
            if len == n {
                Ok(())
            } else {
                Err(WireError::malformed(
                    Layer::Tcp,
                    at + 1,
                    &OPTION_LEN,
                    Reason::NotEqual {
                        value: len as u64,
                        expected: n as u64,
                    },
                ))
            }
        };
        let be32 = |d: &[u8]| u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
        let opt = match kind {
            option_kind::MSS => {
                want(4)?;
                TcpOption::Mss(u16::from_be_bytes([data[0], data[1]]))
            }
            option_kind::WINDOW_SCALE => {
                want(3)?;
                TcpOption::WindowScale(data[0])
            }
            option_kind::SACK_PERMITTED => {
                want(2)?;
                TcpOption::SackPermitted
            }
            option_kind::SACK => {
                if data.len() % 8 != 0 || data.len() > 32 || data.is_empty() {
                    return Err(WireError::malformed(
                        Layer::Tcp,
                        at + 1,
                        &OPTION_LEN,
                        Reason::Other("not 2 + 8n with 1 ≤ n ≤ 4"),
                    ));
                }
                let mut blocks = [None; 4];
                for (slot, block) in blocks.iter_mut().zip(data.chunks_exact(8)) {
                    *slot = Some((be32(&block[..4]), be32(&block[4..])));
                }
                TcpOption::Sack(blocks)
            }
            option_kind::TIMESTAMPS => {
                want(10)?;
                TcpOption::Timestamps {
                    value: be32(&data[..4]),
                    echo: be32(&data[4..]),
                }
            }
            _ => TcpOption::Unknown { kind, data },
        };
        Ok((&bytes[len..], opt))
    }

    /// Data bytes (after kind and length) of the fixed-size kinds this type names: MSS 2,
    /// window scale 1, SACK permitted 0, timestamps 8.
    pub fn fixed_data_len(kind: u8) -> Option<usize> {
        match kind {
            option_kind::MSS => Some(2),
            option_kind::WINDOW_SCALE => Some(1),
            option_kind::SACK_PERMITTED => Some(0),
            option_kind::TIMESTAMPS => Some(8),
            _ => None,
        }
    }

    /// The fields of a fixed-size kind read from the front of `data`, whatever the option's
    /// length byte said; `None` for other kinds or too few bytes.
    pub fn fixed_fields(kind: u8, data: &[u8]) -> Option<TcpOption<'static>> {
        let need = Self::fixed_data_len(kind)?;
        let d = data.get(..need)?;
        let be32 = |d: &[u8]| u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
        Some(match kind {
            option_kind::MSS => TcpOption::Mss(u16::from_be_bytes([d[0], d[1]])),
            option_kind::WINDOW_SCALE => TcpOption::WindowScale(d[0]),
            option_kind::SACK_PERMITTED => TcpOption::SackPermitted,
            _ => TcpOption::Timestamps {
                value: be32(&d[..4]),
                echo: be32(&d[4..]),
            },
        })
    }

    /// Bytes this option takes when emitted.
    pub fn buffer_len(&self) -> usize {
        match *self {
            TcpOption::EndOfList | TcpOption::Nop => 1,
            TcpOption::Mss(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::Sack(blocks) => 2 + 8 * blocks.iter().flatten().count(),
            TcpOption::Timestamps { .. } => 10,
            TcpOption::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Writes the option at the front of `buf` and returns the rest.
    pub fn emit<'b>(&self, buf: &'b mut [u8]) -> &'b mut [u8] {
        let len = self.buffer_len();
        let (out, rest) = buf.split_at_mut(len);
        match *self {
            TcpOption::EndOfList => out[0] = option_kind::EOL,
            TcpOption::Nop => out[0] = option_kind::NOP,
            TcpOption::Mss(v) => {
                out[..2].copy_from_slice(&[option_kind::MSS, 4]);
                out[2..].copy_from_slice(&v.to_be_bytes());
            }
            TcpOption::WindowScale(v) => out.copy_from_slice(&[option_kind::WINDOW_SCALE, 3, v]),
            TcpOption::SackPermitted => out.copy_from_slice(&[option_kind::SACK_PERMITTED, 2]),
            TcpOption::Sack(blocks) => {
                out[..2].copy_from_slice(&[option_kind::SACK, len as u8]);
                for (chunk, (l, r)) in out[2..].chunks_exact_mut(8).zip(blocks.iter().flatten()) {
                    chunk[..4].copy_from_slice(&l.to_be_bytes());
                    chunk[4..].copy_from_slice(&r.to_be_bytes());
                }
            }
            TcpOption::Timestamps { value, echo } => {
                out[..2].copy_from_slice(&[option_kind::TIMESTAMPS, 10]);
                out[2..6].copy_from_slice(&value.to_be_bytes());
                out[6..].copy_from_slice(&echo.to_be_bytes());
            }
            TcpOption::Unknown { kind, data } => {
                out[..2].copy_from_slice(&[kind, len as u8]);
                out[2..].copy_from_slice(data);
            }
        }
        rest
    }

    /// Wireshark display-filter name for the option (tshark 4.0): its value field where
    /// Wireshark has one, else the option kind.
    pub fn name(&self) -> &'static str {
        match self {
            TcpOption::EndOfList | TcpOption::Nop | TcpOption::SackPermitted => "tcp.option_kind",
            TcpOption::Mss(_) => "tcp.options.mss_val",
            TcpOption::WindowScale(_) => "tcp.options.wscale.shift",
            TcpOption::Sack(_) => "tcp.options.sack_le",
            TcpOption::Timestamps { .. } => "tcp.options.timestamp.tsval",
            TcpOption::Unknown { .. } => "tcp.options.unknown.payload",
        }
    }
}

/// Walks the options of a header without allocating; stops after the first error.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    rest: &'a [u8],
    at: usize,
    /// Option bytes the header's data offset claims beyond the captured ones (snap length).
    missing: usize,
    /// The option the capture cut, once the walk reached it.
    cut: Option<CutOption<'a>>,
}

/// An option the capture cut short: what of it was captured. The walk ends there with a
/// [`WireError::Truncated`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutOption<'a> {
    /// Offset of its first byte (or of where it would start) in the TCP header.
    pub at: usize,
    /// Its kind, if captured.
    pub kind: Option<u8>,
    /// Its length byte, if captured.
    pub len: Option<u8>,
    /// The data bytes captured after kind and length.
    pub data: &'a [u8],
}

/// The option at the front of a walk, its kind and length bytes as found, not judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawOption<'a> {
    /// Offset of its kind byte in the TCP header.
    pub at: usize,
    /// Its kind.
    pub kind: u8,
    /// Its length byte, if captured (EOL and NOP have none, but the byte after them shows).
    pub len: Option<u8>,
    /// The captured bytes after kind and length, to the end of the captured options.
    pub rest: &'a [u8],
    /// Bytes of the header from `at` on, as its data offset says (captured or not).
    pub header_left: usize,
}

impl<'a> Options<'a> {
    /// The option the walk reads next, as raw bytes: for a reader that wants to say more
    /// about a malformed option than that it is malformed.
    pub fn peek(&self) -> Option<RawOption<'a>> {
        let (&kind, after) = self.rest.split_first()?;
        Some(RawOption {
            at: self.at,
            kind,
            len: after.first().copied(),
            rest: after.get(1..).unwrap_or(&[]),
            header_left: self.rest.len() + self.missing,
        })
    }

    /// The option the capture cut, if the walk has reached it.
    pub fn cut(&self) -> Option<CutOption<'a>> {
        self.cut
    }

    /// Whether the option at the front of `rest` runs past the captured bytes but not past
    /// the header: cut by the capture rather than malformed.
    fn cut_here(&self) -> Option<CutOption<'a>> {
        if self.missing == 0 {
            return None;
        }
        let kind = self.rest.first().copied();
        if matches!(kind, Some(option_kind::EOL | option_kind::NOP)) {
            return None;
        }
        let len = self.rest.get(1).copied();
        let within = match len {
            Some(l) => {
                usize::from(l) > self.rest.len() && usize::from(l) <= self.rest.len() + self.missing
            }
            None => true,
        };
        within.then(|| CutOption {
            at: self.at,
            kind,
            len,
            data: self.rest.get(2..).unwrap_or(&[]),
        })
    }
}

/// An option with the offset (in the TCP header) and length it occupies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacedOption<'a> {
    /// Offset of its first byte in the TCP header.
    pub at: usize,
    /// Bytes it occupies (for EOL: through the end of the options).
    pub len: usize,
    /// The option.
    pub option: TcpOption<'a>,
}

impl PlacedOption<'_> {
    /// A field entry for this option, shaped like the fixed header's.
    pub fn field(&self) -> FieldDef {
        FieldDef {
            name: self.option.name(),
            at: self.at,
            len: self.len,
            mask: 0,
            kind: crate::field::Kind::Option,
            label: match self.option {
                TcpOption::EndOfList => "EOL",
                TcpOption::Nop => "NOP",
                TcpOption::Mss(_) => "MSS",
                TcpOption::WindowScale(_) => "Window scale",
                TcpOption::SackPermitted => "SACK permitted",
                TcpOption::Sack(_) => "SACK",
                TcpOption::Timestamps { .. } => "Timestamps",
                TcpOption::Unknown { .. } => "Unknown option",
            },
            meaning: "A TCP option: kind, length and value (RFC 9293 §3.1, IANA TCP option kinds).",
        }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<PlacedOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.cut.is_none() {
            if let Some(cut) = self.cut_here() {
                self.cut = Some(cut);
                let have = self.at + self.rest.len();
                self.rest = &[];
                self.missing = 0;
                return Some(Err(WireError::truncated(Layer::Tcp, have + 1, have)));
            }
        }
        if self.rest.is_empty() {
            return None;
        }
        let before = self.rest.len();
        match TcpOption::parse(self.rest, self.at) {
            Ok((rest, option)) => {
                let len = if option == TcpOption::EndOfList {
                    before
                } else {
                    before - rest.len()
                };
                let placed = PlacedOption {
                    at: self.at,
                    len,
                    option,
                };
                self.at += len;
                self.rest = rest;
                if option == TcpOption::EndOfList {
                    // What follows the end of the list is padding, captured or not.
                    self.missing = 0;
                }
                Some(Ok(placed))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

packet_view! {
    /// A view of a TCP segment.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that the header, as long as its data offset says, is in the buffer, and that
    /// the data offset is at least 5.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::truncated(Layer::Tcp, HEADER_LEN, b.len()));
        }
        let off = bits16(b, DATA_OFFSET);
        if off < 5 {
            return Err(WireError::malformed(
                Layer::Tcp,
                DATA_OFFSET.at,
                &DATA_OFFSET,
                Reason::Below {
                    value: off.into(),
                    min: 5,
                },
            ));
        }
        let hl = usize::from(off) * 4;
        if b.len() < hl {
            return Err(WireError::truncated(Layer::Tcp, hl, b.len()));
        }
        Ok(())
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        u16_at(self.buffer.as_ref(), SRC_PORT)
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        u16_at(self.buffer.as_ref(), DST_PORT)
    }

    /// Sequence number.
    pub fn seq_number(&self) -> u32 {
        u32_at(self.buffer.as_ref(), SEQ)
    }

    /// Acknowledgment number (meaningful when ACK is set).
    pub fn ack_number(&self) -> u32 {
        u32_at(self.buffer.as_ref(), ACK)
    }

    /// Header length in bytes.
    // Inlined on request: the common decode path reads it from a fixed-size array, where
    // inlining removes its bounds check.
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(bits16(self.buffer.as_ref(), DATA_OFFSET)) * 4
    }

    /// The nine flags.
    pub fn flags(&self) -> Flags {
        Flags(u16_at(self.buffer.as_ref(), DATA_OFFSET) & 0x01ff)
    }

    /// The three reserved bits.
    pub fn reserved(&self) -> u8 {
        bits16(self.buffer.as_ref(), field::RESERVED) as u8
    }

    /// Receive window (unscaled).
    pub fn window_len(&self) -> u16 {
        u16_at(self.buffer.as_ref(), WINDOW)
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        u16_at(self.buffer.as_ref(), CHECKSUM)
    }

    /// Urgent pointer.
    pub fn urgent_at(&self) -> u16 {
        u16_at(self.buffer.as_ref(), URGENT)
    }

    /// Raw option bytes.
    pub fn options_bytes(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.header_len()]
    }

    /// Iterates over the options.
    pub fn options(&self) -> Options<'_> {
        Options {
            rest: self.options_bytes(),
            at: HEADER_LEN,
            missing: 0,
            cut: None,
        }
    }

    /// Whether the fixed 20-byte header is in the buffer: after this, the getters of its
    /// fields do not panic, even if the options are cut (see [`Packet::captured_options`]).
    pub fn has_fixed_header(&self) -> bool {
        self.buffer.as_ref().len() >= HEADER_LEN
    }

    /// Sequence space this segment occupies: data bytes plus one each for SYN and FIN.
    pub fn segment_len(&self) -> usize {
        let f = self.flags();
        self.buffer.as_ref().len() - self.header_len()
            + usize::from(f.contains(Flags::SYN))
            + usize::from(f.contains(Flags::FIN))
    }

    /// Verifies the checksum. `segment_len` is the length the IP header gives the segment;
    /// when the buffer is shorter (snap length) the checksum is not judged. A field holding
    /// only the pseudo-header sum is reported as offloaded.
    pub fn verify_checksum(&self, pseudo: &PseudoHeader, segment_len: usize) -> ChecksumStatus {
        let b = self.buffer.as_ref();
        if b.len() < segment_len {
            return ChecksumStatus::Unverified(Unverified::Truncated);
        }
        let seg = &b[..segment_len];
        checksum::judge(
            seg,
            pseudo.sum(6, segment_len as u32),
            self.checksum(),
            true,
        )
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The options, borrowing the captured buffer rather than this view, so they outlive it.
    pub fn buffer_options(&self) -> Options<'a> {
        let b: &'a [u8] = self.buffer.as_ref();
        Options {
            rest: &b[HEADER_LEN..self.header_len()],
            at: HEADER_LEN,
            missing: 0,
            cut: None,
        }
    }

    /// The options as far as they were captured, for a segment whose header the capture may
    /// have cut: the walk ends with a [`WireError::Truncated`] at the first option that runs
    /// past the captured bytes, and [`Options::cut`] then says what of it is there. Empty
    /// when not even the fixed header is in the buffer.
    pub fn captured_options(&self) -> Options<'a> {
        self.captured_options_from(HEADER_LEN)
    }

    /// [`Packet::captured_options`] from offset `at` of the header on (not before the
    /// options start): to go on reading after a malformed option from a chosen place.
    pub fn captured_options_from(&self, at: usize) -> Options<'a> {
        let b: &'a [u8] = self.buffer.as_ref();
        let at = at.max(HEADER_LEN);
        let hl = if b.len() < HEADER_LEN {
            0
        } else {
            self.header_len()
        };
        let end = hl.min(b.len());
        if at >= end {
            return Options {
                rest: &[],
                at,
                missing: hl.saturating_sub(at.max(end)),
                cut: None,
            };
        }
        Options {
            rest: &b[at..end],
            at,
            missing: hl - end,
            cut: None,
        }
    }

    /// The segment's data.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), SRC_PORT, v);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), DST_PORT, v);
    }

    /// Sets the sequence number.
    pub fn set_seq_number(&mut self, v: u32) {
        set_u32(self.buffer.as_mut(), SEQ, v);
    }

    /// Sets the acknowledgment number.
    pub fn set_ack_number(&mut self, v: u32) {
        set_u32(self.buffer.as_mut(), ACK, v);
    }

    /// Sets data offset (from a header length in bytes) and flags together.
    pub fn set_header_len_and_flags(&mut self, header_len: usize, flags: Flags) {
        let v = (((header_len / 4) as u16) << 12) | (flags.0 & 0x01ff);
        set_u16(self.buffer.as_mut(), DATA_OFFSET, v);
    }

    /// Sets the window.
    pub fn set_window_len(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), WINDOW, v);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), CHECKSUM, v);
    }

    /// Sets the urgent pointer.
    pub fn set_urgent_at(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), URGENT, v);
    }

    /// Computes the checksum over the whole buffer (header and data) with `pseudo`.
    pub fn fill_checksum(&mut self, pseudo: &PseudoHeader) {
        self.set_checksum(0);
        let b = self.buffer.as_ref();
        let c = !checksum::fold(checksum::sum(b) + pseudo.sum(6, b.len() as u32));
        self.set_checksum(c);
    }

    /// Mutable data after the header.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        &mut self.buffer.as_mut()[hl..]
    }
}

/// The options `Repr` keeps. Unknown options are visible through [`Packet::options`] but
/// not kept here; this keeps `Repr` small and `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OptionsRepr {
    /// Maximum segment size.
    pub mss: Option<u16>,
    /// Window scale shift.
    pub window_scale: Option<u8>,
    /// SACK permitted.
    pub sack_permitted: bool,
    /// SACK blocks.
    pub sack: [Option<(u32, u32)>; 4],
    /// Timestamps (value, echo).
    pub timestamps: Option<(u32, u32)>,
}

impl OptionsRepr {
    /// Option list in the order `emit` writes them, packed without alignment padding.
    fn list(&self) -> impl Iterator<Item = TcpOption<'static>> {
        [
            self.mss.map(TcpOption::Mss),
            self.window_scale.map(TcpOption::WindowScale),
            self.sack_permitted.then_some(TcpOption::SackPermitted),
            self.timestamps
                .map(|(value, echo)| TcpOption::Timestamps { value, echo }),
            self.sack[0].is_some().then_some(TcpOption::Sack(self.sack)),
        ]
        .into_iter()
        .flatten()
    }

    /// Bytes of options `emit` writes, padded to 4 and capped at 40 (options that do not fit
    /// are left out).
    fn buffer_len(&self) -> usize {
        let mut n = 0;
        for o in self.list() {
            if n + o.buffer_len() <= 40 {
                n += o.buffer_len();
            }
        }
        n.div_ceil(4) * 4
    }
}

/// A decoded TCP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq_number: u32,
    /// Acknowledgment number, as on the wire even when ACK is clear.
    pub ack_number: u32,
    /// The nine flags.
    pub flags: Flags,
    /// Window, unscaled.
    pub window_len: u16,
    /// Urgent pointer.
    pub urgent_at: u16,
    /// Known options.
    pub options: OptionsRepr,
    /// Data.
    pub payload: &'a [u8],
}

impl<'a> Repr<'a> {
    /// Decodes a segment whose header is complete; options must be well-formed. The checksum
    /// is not enforced: see [`Packet::verify_checksum`].
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &Packet<&'a T>) -> Result<Repr<'a>> {
        p.check_len()?;
        let mut options = OptionsRepr::default();
        for o in p.options() {
            match o?.option {
                TcpOption::Mss(v) => options.mss = Some(v),
                TcpOption::WindowScale(v) => options.window_scale = Some(v),
                TcpOption::SackPermitted => options.sack_permitted = true,
                TcpOption::Sack(b) => options.sack = b,
                TcpOption::Timestamps { value, echo } => options.timestamps = Some((value, echo)),
                TcpOption::EndOfList | TcpOption::Nop | TcpOption::Unknown { .. } => {}
            }
        }
        Ok(Repr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            seq_number: p.seq_number(),
            ack_number: p.ack_number(),
            flags: p.flags(),
            window_len: p.window_len(),
            urgent_at: p.urgent_at(),
            options,
            payload: p.payload(),
        })
    }

    /// Header length `emit` writes.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.buffer_len()
    }

    /// Header plus payload.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// Writes header, options, payload and checksum into a buffer of exactly
    /// [`Repr::buffer_len`] bytes (the checksum covers the whole buffer).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>, pseudo: &PseudoHeader) {
        let hl = self.header_len();
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_seq_number(self.seq_number);
        p.set_ack_number(self.ack_number);
        p.set_header_len_and_flags(hl, self.flags);
        p.set_window_len(self.window_len);
        p.set_urgent_at(self.urgent_at);
        {
            let buf = p.buffer.as_mut();
            let opts = &mut buf[HEADER_LEN..hl];
            opts.fill(0);
            let mut rest: &mut [u8] = opts;
            for o in self.options.list() {
                if o.buffer_len() <= rest.len() {
                    rest = o.emit(rest);
                }
            }
            buf[hl..hl + self.payload.len()].copy_from_slice(self.payload);
        }
        p.fill_checksum(pseudo);
    }
}

impl fmt::Display for Repr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TCP {} > {} [{}] seq {}",
            self.src_port, self.dst_port, self.flags, self.seq_number
        )?;
        if self.flags.contains(Flags::ACK) {
            write!(f, " ack {}", self.ack_number)?;
        }
        write!(f, " win {} len {}", self.window_len, self.payload.len())?;
        if let Some(m) = self.options.mss {
            write!(f, " mss {m}")?;
        }
        if let Some(w) = self.options.window_scale {
            write!(f, " wscale {w}")?;
        }
        if self.options.sack_permitted {
            f.write_str(" sackOK")?;
        }
        if let Some((v, e)) = self.options.timestamps {
            write!(f, " TS val {v} ecr {e}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{ETH_IPV4_TCP_DATA, ETH_IPV4_TCP_SYN, ETH_IPV6_TCP_DATA};
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const LO4: PseudoHeader = PseudoHeader::V4 {
        src: Ipv4Addr::LOCALHOST,
        dst: Ipv4Addr::LOCALHOST,
    };
    const LO6: PseudoHeader = PseudoHeader::V6 {
        src: Ipv6Addr::LOCALHOST,
        dst: Ipv6Addr::LOCALHOST,
    };

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "tcp.", HEADER_LEN);
    }

    #[test]
    fn deconstruct_syn() {
        let b = &ETH_IPV4_TCP_SYN[34..];
        let p = Packet::new_checked(b).unwrap();
        assert_eq!((p.src_port(), p.dst_port()), (36778, 47001));
        assert_eq!(p.seq_number(), 0x8c33_1e34);
        assert_eq!(p.ack_number(), 0);
        assert_eq!(p.header_len(), 40);
        assert_eq!(p.flags(), Flags::SYN);
        assert_eq!(p.window_len(), 65495);
        assert_eq!(p.urgent_at(), 0);
        assert_eq!(p.segment_len(), 1);
        assert_eq!(field::FLAG_SYN.read(b), Some(1));
        assert_eq!(field::DATA_OFFSET.read(b), Some(10));
        let opts: Vec<TcpOption<'_>> = p.options().map(|o| o.unwrap().option).collect();
        assert_eq!(
            opts,
            [
                TcpOption::Mss(65495),
                TcpOption::SackPermitted,
                TcpOption::Timestamps {
                    value: 3_826_396_241,
                    echo: 0
                },
                TcpOption::Nop,
                TcpOption::WindowScale(10),
            ]
        );
        // Loopback never completes the checksum: the field holds the pseudo-header sum.
        assert_eq!(
            p.verify_checksum(&LO4, 40),
            ChecksumStatus::Unverified(Unverified::Offloaded)
        );
        let r = Repr::parse(&p).unwrap();
        assert_eq!(r.to_string(), "TCP 36778 > 47001 [S] seq 2352160308 win 65495 len 0 mss 65495 wscale 10 sackOK TS val 3826396241 ecr 0");
    }

    #[test]
    fn emitted_checksum_is_good_and_detects_corruption() {
        let p = Packet::new_checked(&ETH_IPV4_TCP_DATA[34..]).unwrap();
        let r = Repr::parse(&p).unwrap();
        assert_eq!(r.payload, b"hello\n");
        let mut buf = vec![0u8; r.buffer_len()];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]), &LO4);
        let q = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(q.verify_checksum(&LO4, buf.len()), ChecksumStatus::Good);
        assert_eq!(Repr::parse(&q).unwrap(), r);
        let good = q.checksum();
        let last = buf.len() - 1;
        buf[last] ^= 1;
        let q = Packet::new_checked(&buf[..]).unwrap();
        assert!(
            matches!(q.verify_checksum(&LO4, buf.len()), ChecksumStatus::Bad { found, .. } if found == good)
        );
        assert_eq!(
            q.verify_checksum(&LO4, buf.len() + 1),
            ChecksumStatus::Unverified(Unverified::Truncated)
        );
    }

    #[test]
    fn ipv6_data_segment() {
        let p = Packet::new_checked(&ETH_IPV6_TCP_DATA[54..]).unwrap();
        assert_eq!(p.flags(), Flags::PSH | Flags::ACK);
        assert_eq!(p.payload(), b"hello6\n");
        assert_eq!(
            p.verify_checksum(&LO6, p.payload().len() + 32),
            ChecksumStatus::Unverified(Unverified::Offloaded)
        );
    }

    // Malformed cases are hand-made by breaking one field of the real SYN.
    #[test]
    fn malformed() {
        let mut b = ETH_IPV4_TCP_SYN[34..].to_vec();
        b[12] = 0x40;
        assert_eq!(
            Packet::new_checked(&b[..]).unwrap_err().to_string(),
            "tcp at byte 12: tcp.hdr_len 4 (< 5)"
        );
        b[12] = 0xf0;
        assert_eq!(
            Packet::new_checked(&b[..]).unwrap_err(),
            WireError::Truncated {
                layer: Layer::Tcp,
                offset: 0,
                needed: 60,
                have: 40
            }
        );
        assert!(Packet::new_checked(&b[..19]).is_err());
        let mut b = ETH_IPV4_TCP_SYN[34..].to_vec();
        b[21] = 5; // MSS with length 5
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(
            Repr::parse(&p).unwrap_err().to_string(),
            "tcp at byte 21: tcp.option_len 5 (expected 4)"
        );
        b[21] = 0;
        assert!(Repr::parse(&Packet::new_checked(&b[..]).unwrap()).is_err());
        b[21] = 30;
        assert!(Repr::parse(&Packet::new_checked(&b[..]).unwrap()).is_err());
    }

    #[test]
    fn unknown_and_sack_options() {
        // Hand-made option area: SACK with two blocks, an unknown kind 0x1e (MPTCP) with 2
        // data bytes, NOPs, then EOL.
        let mut opts = vec![5u8, 18];
        for v in [1u32, 2, 3, 4] {
            opts.extend_from_slice(&v.to_be_bytes());
        }
        opts.extend_from_slice(&[0x1e, 4, 0xaa, 0xbb, 1, 1, 0, 0, 0, 0]);
        let mut b = vec![0u8; 20 + opts.len()];
        b[12] = (((20 + opts.len()) / 4) as u8) << 4;
        b[20..].copy_from_slice(&opts);
        let p = Packet::new_checked(&b[..]).unwrap();
        let placed: Vec<_> = p.options().map(|o| o.unwrap()).collect();
        assert_eq!(
            placed[0].option,
            TcpOption::Sack([Some((1, 2)), Some((3, 4)), None, None])
        );
        assert_eq!(
            placed[1].option,
            TcpOption::Unknown {
                kind: 0x1e,
                data: &[0xaa, 0xbb]
            }
        );
        assert_eq!((placed[1].at, placed[1].len), (38, 4));
        assert_eq!(placed.last().unwrap().option, TcpOption::EndOfList);
        assert_eq!(placed.last().unwrap().len, 4);
        let covered: usize = placed.iter().map(|o| o.len).sum();
        assert_eq!(covered, opts.len());
    }

    #[test]
    fn options_cut_by_the_capture() {
        // The real SYN's options: mss, sackOK, TS, nop, wscale (data offset 10).
        let b = &ETH_IPV4_TCP_SYN[34..];
        let walk = |n: usize| {
            let p = Packet::new_unchecked(&b[..n]);
            let mut o = p.captured_options();
            let seen: Vec<_> = o.by_ref().collect();
            (seen, o.cut())
        };
        // Whole: five options, no cut.
        let (seen, cut) = walk(40);
        assert_eq!(seen.len(), 5);
        assert!(seen.iter().all(Result::is_ok) && cut.is_none());
        // Cut in the timestamps' data: mss and sackOK, then the cut option.
        let (seen, cut) = walk(30);
        assert_eq!(seen.len(), 3);
        assert!(matches!(seen[2], Err(WireError::Truncated { .. })));
        assert_eq!(
            cut,
            Some(CutOption {
                at: 26,
                kind: Some(option_kind::TIMESTAMPS),
                len: Some(10),
                data: &b[28..30]
            })
        );
        // Cut before an option's kind byte, and before its length byte.
        assert_eq!(walk(20).1.unwrap().kind, None);
        assert_eq!(walk(21).1.unwrap().len, None);
        // Not even the fixed header: nothing to walk.
        assert_eq!(walk(19).0.len(), 0);
        assert!(!Packet::new_unchecked(&b[..19]).has_fixed_header());
        // Reading on from a chosen place, and peeking at a malformed option.
        let p = Packet::new_unchecked(b);
        let mut from = p.captured_options_from(24);
        assert_eq!(
            from.peek().map(|r| (r.at, r.kind, r.len, r.header_left)),
            Some((24, option_kind::SACK_PERMITTED, Some(2), 16))
        );
        assert_eq!(
            from.next().unwrap().unwrap().option,
            TcpOption::SackPermitted
        );
        assert_eq!(p.captured_options_from(40).count(), 0);
        assert_eq!(
            TcpOption::fixed_fields(option_kind::MSS, &[5, 0xb4, 9]),
            Some(TcpOption::Mss(1460))
        );
        assert_eq!(
            TcpOption::fixed_fields(option_kind::TIMESTAMPS, &[0; 7]),
            None
        );
        assert_eq!(TcpOption::fixed_fields(option_kind::SACK, &[0; 8]), None);
        // A length that overruns the header itself is malformed, not cut.
        let mut bad = b[..30].to_vec();
        bad[21] = 60;
        let p = Packet::new_unchecked(&bad[..]);
        let mut o = p.captured_options();
        assert!(matches!(o.next(), Some(Err(WireError::Malformed { .. }))));
        assert_eq!(o.cut(), None);
    }

    fn arb_options() -> impl Strategy<Value = OptionsRepr> {
        (
            proptest::option::of(any::<u16>()),
            proptest::option::of(any::<u8>()),
            any::<bool>(),
            proptest::option::of(any::<(u32, u32)>()),
            proptest::collection::vec(any::<(u32, u32)>(), 0..=2),
        )
            .prop_map(|(mss, window_scale, sack_permitted, timestamps, blocks)| {
                let mut sack = [None; 4];
                for (s, b) in sack.iter_mut().zip(blocks) {
                    *s = Some(b);
                }
                OptionsRepr {
                    mss,
                    window_scale,
                    sack_permitted,
                    sack,
                    timestamps,
                }
            })
    }

    proptest! {
        #[test]
        fn emit_parse_identity(src: u16, dst: u16, seq: u32, ack: u32, flags in 0u16..0x200, win: u16, urg: u16,
                               options in arb_options(), payload in proptest::collection::vec(any::<u8>(), 0..64), v6: bool) {
            let r = Repr { src_port: src, dst_port: dst, seq_number: seq, ack_number: ack, flags: Flags(flags), window_len: win, urgent_at: urg, options, payload: &payload };
            let pseudo = if v6 { LO6 } else { LO4 };
            let mut buf = vec![0u8; r.buffer_len()];
            r.emit(&mut Packet::new_unchecked(&mut buf[..]), &pseudo);
            let p = Packet::new_checked(&buf[..]).unwrap();
            prop_assert_eq!(p.verify_checksum(&pseudo, buf.len()), ChecksumStatus::Good);
            prop_assert_eq!(Repr::parse(&p).unwrap(), r);
        }

        #[test]
        fn parse_emit_parse(mut bytes in proptest::collection::vec(any::<u8>(), 20..100)) {
            bytes[12] = (bytes[12] % 11 + 5) << 4 | (bytes[12] & 1);
            let p = Packet::new_unchecked(&bytes[..]);
            if let Ok(r) = Repr::parse(&p) {
                let mut out = vec![0u8; r.buffer_len()];
                r.emit(&mut Packet::new_unchecked(&mut out[..]), &LO4);
                let r2 = Repr::parse(&Packet::new_unchecked(&out[..])).unwrap();
                prop_assert_eq!(r2, r);
            }
        }
    }
}
