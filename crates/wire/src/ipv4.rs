//! IPv4 (RFC 791): the fixed header, options, and the header checksum.

use core::fmt;
use std::net::Ipv4Addr;

use crate::checksum::{self, ChecksumStatus};
use crate::error::{Layer, Reason, Result, WireError};
use crate::field::{
    bits16, bits8, set_bits16, set_bits8, set_u16, set_u8, u16_at, u32_at, u8_at, FieldDef,
};
use crate::ip::IpProtocol;

/// Field table of the IPv4 fixed header.
pub mod field {
    field_table! {
        VERSION = "ip.version", 0, 1, 0xf0, Kind::Number, "Version",
            "Always 4 for IPv4 (RFC 791 §3.1).";
        IHL = "ip.hdr_len", 0, 1, 0x0f, Kind::Units { unit: 4, shown_in_bytes: true }, "IHL",
            "Header length in 32-bit words, 5 (20 bytes) to 15 (60 bytes) with options (RFC 791 §3.1).";
        DSCP = "ip.dsfield.dscp", 1, 1, 0xfc, Kind::Number, "DSCP",
            "Differentiated services code point: the traffic class routers may queue by (RFC 2474 §3).";
        ECN = "ip.dsfield.ecn", 1, 1, 0x03, Kind::Number, "ECN",
            "Explicit congestion notification: 0 not capable, 1/2 capable, 3 congestion seen (RFC 3168 §5).";
        TOTAL_LEN = "ip.len", 2, 2, 0, Kind::Number, "Total length",
            "Length of the whole datagram, header and data, in bytes (RFC 791 §3.1).";
        IDENT = "ip.id", 4, 2, 0, Kind::Hex, "Identification",
            "Chosen by the sender so fragments of one datagram can be put back together (RFC 791 §3.1, RFC 6864).";
        FLAG_RB = "ip.flags.rb", 6, 2, 0x8000, Kind::Flag, "Reserved bit",
            "Must be zero (RFC 791 §3.1).";
        FLAG_DF = "ip.flags.df", 6, 2, 0x4000, Kind::Flag, "Don't fragment",
            "Routers must drop rather than fragment this datagram; path MTU discovery relies on it (RFC 791 §3.1, RFC 1191).";
        FLAG_MF = "ip.flags.mf", 6, 2, 0x2000, Kind::Flag, "More fragments",
            "Set on every fragment but the last (RFC 791 §3.1).";
        FRAG_OFFSET = "ip.frag_offset", 6, 2, 0x1fff, Kind::Units { unit: 8, shown_in_bytes: false }, "Fragment offset",
            "Where this fragment's data goes in the original datagram, in 8-byte units (RFC 791 §3.1).";
        TTL = "ip.ttl", 8, 1, 0, Kind::Number, "TTL",
            "Hops left: each router decrements it and drops the datagram at 0, sending ICMP time exceeded (RFC 791 §3.1).";
        PROTOCOL = "ip.proto", 9, 1, 0, crate::ip::IpProtocol::KIND, "Protocol",
            "What the data is: 1 ICMP, 6 TCP, 17 UDP (RFC 791 §3.1, IANA protocol numbers).";
        CHECKSUM = "ip.checksum", 10, 2, 0, Kind::Checksum, "Header checksum",
            "Ones'-complement checksum of the header only, recomputed by every router since TTL changes (RFC 791 §3.1).";
        SRC = "ip.src", 12, 4, 0, Kind::Ipv4, "Source",
            "Address of the sender (RFC 791 §3.1).";
        DST = "ip.dst", 16, 4, 0, Kind::Ipv4, "Destination",
            "Address of the receiver (RFC 791 §3.1).";
    }
}

/// The length byte of an option, at its offset inside the option: named in errors about it.
pub const OPTION_LEN: FieldDef = FieldDef {
    name: "ip.opt.len",
    at: 1,
    len: 1,
    mask: 0,
    kind: crate::field::Kind::Number,
    label: "Option length",
    meaning: "Bytes the option takes, type and length bytes included: at least 2 (RFC 791 §3.1).",
};

pub use field::HEADER_LEN;
use field::{
    CHECKSUM, DSCP, DST, ECN, FLAG_DF, FLAG_MF, FLAG_RB, FRAG_OFFSET, IDENT, IHL, PROTOCOL, SRC,
    TOTAL_LEN, TTL, VERSION,
};

/// Longest header: IHL 15.
pub const MAX_HEADER_LEN: usize = 60;

enum_with_unknown! {
    /// IPv4 option types (IANA "IP Option Numbers"), copy/class/number bits included.
    pub enum OptionKind(u8) {
        /// End of option list (RFC 791).
        EndOfList = 0 => "EOL",
        /// No operation, used for alignment (RFC 791).
        Nop = 1 => "NOP",
        /// Record route (RFC 791).
        RecordRoute = 7 => "RR",
        /// Timestamp (RFC 791).
        Timestamp = 68 => "TS",
        /// Security (RFC 1108).
        Security = 130 => "SEC",
        /// Loose source and record route (RFC 791).
        LooseSourceRoute = 131 => "LSRR",
        /// Stream identifier (RFC 791, deprecated).
        StreamId = 136 => "SID",
        /// Strict source and record route (RFC 791).
        StrictSourceRoute = 137 => "SSRR",
        /// Router alert (RFC 2113).
        RouterAlert = 148 => "RTRALT",
    }
}

/// One IPv4 option as found in the header: its type and its data (without type and length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Option<'a> {
    /// Option type.
    pub kind: OptionKind,
    /// Offset of the option's first byte from the start of the IPv4 header.
    pub at: usize,
    /// Whole length including type (and length byte when present).
    pub len: usize,
    /// Data after the type and length bytes.
    pub data: &'a [u8],
}

impl Ipv4Option<'_> {
    /// A field entry for this option, shaped like the fixed header's entries.
    pub fn field(&self) -> FieldDef {
        FieldDef {
            name: "ip.opt.type",
            at: self.at,
            len: self.len,
            mask: 0,
            kind: crate::field::Kind::Option,
            label: self.kind.name().unwrap_or("unknown option"),
            meaning:
                "An IPv4 option; the type's top bit says whether fragments copy it (RFC 791 §3.1).",
        }
    }
}

/// Walks IPv4 options without allocating.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    bytes: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<Ipv4Option<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.bytes.len() {
            return None;
        }
        let at = HEADER_LEN + self.pos;
        let kind = OptionKind::from(self.bytes[self.pos]);
        match kind {
            OptionKind::EndOfList => {
                // Whatever follows EOL is padding.
                self.done = true;
                Some(Ok(Ipv4Option {
                    kind,
                    at,
                    len: self.bytes.len() - self.pos,
                    data: &[],
                }))
            }
            OptionKind::Nop => {
                self.pos += 1;
                Some(Ok(Ipv4Option {
                    kind,
                    at,
                    len: 1,
                    data: &[],
                }))
            }
            _ => {
                let rest = &self.bytes[self.pos..];
                let Some(&len) = rest.get(1) else {
                    self.done = true;
                    return Some(Err(WireError::malformed(
                        Layer::Ipv4,
                        at,
                        &OPTION_LEN,
                        Reason::Other("missing"),
                    )));
                };
                let len = usize::from(len);
                if len < 2 || len > rest.len() {
                    self.done = true;
                    let reason = if len < 2 {
                        Reason::Below {
                            value: len as u64,
                            min: 2,
                        }
                    } else {
                        Reason::Above {
                            value: len as u64,
                            max: rest.len() as u64,
                        }
                    };
                    return Some(Err(WireError::malformed(
                        Layer::Ipv4,
                        at + 1,
                        &OPTION_LEN,
                        reason,
                    )));
                }
                self.pos += len;
                Some(Ok(Ipv4Option {
                    kind,
                    at,
                    len,
                    data: &rest[2..len],
                }))
            }
        }
    }
}

packet_view! {
    /// A view of an IPv4 datagram.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that the header, as long as IHL says, is in the buffer and IHL ≥ 5. The total
    /// length may still exceed the buffer (a capture cut by its snap length); see
    /// [`Packet::is_truncated`].
    pub fn check_header_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::truncated(Layer::Ipv4, HEADER_LEN, b.len()));
        }
        let ihl = bits8(b, IHL);
        if ihl < 5 {
            return Err(WireError::malformed(
                Layer::Ipv4,
                IHL.at,
                &IHL,
                Reason::Below {
                    value: ihl.into(),
                    min: 5,
                },
            ));
        }
        let hl = usize::from(ihl) * 4;
        if b.len() < hl {
            return Err(WireError::truncated(Layer::Ipv4, hl, b.len()));
        }
        let total = usize::from(u16_at(b, TOTAL_LEN));
        // Total length 0 is what segmentation offload leaves on captured outgoing packets;
        // the length is then the captured length (as Wireshark assumes too).
        if total != 0 && total < hl {
            return Err(WireError::malformed(
                Layer::Ipv4,
                TOTAL_LEN.at,
                &TOTAL_LEN,
                Reason::Below {
                    value: total as u64,
                    min: hl as u64,
                },
            ));
        }
        Ok(())
    }

    /// [`Packet::check_header_len`], and the buffer holds all `total length` bytes.
    pub fn check_len(&self) -> Result<()> {
        self.check_header_len()?;
        let b = self.buffer.as_ref();
        let total = usize::from(self.total_len());
        if total > b.len() {
            return Err(WireError::truncated(Layer::Ipv4, total, b.len()));
        }
        Ok(())
    }

    /// True when the buffer holds fewer bytes than the total length announces.
    pub fn is_truncated(&self) -> bool {
        usize::from(self.total_len()) > self.buffer.as_ref().len()
    }

    /// Version field (4 for a real IPv4 packet).
    pub fn version(&self) -> u8 {
        bits8(self.buffer.as_ref(), VERSION)
    }

    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(bits8(self.buffer.as_ref(), IHL)) * 4
    }

    /// Differentiated services code point.
    pub fn dscp(&self) -> u8 {
        bits8(self.buffer.as_ref(), DSCP)
    }

    /// ECN bits.
    pub fn ecn(&self) -> u8 {
        bits8(self.buffer.as_ref(), ECN)
    }

    /// Total length field as written.
    pub fn total_len_field(&self) -> u16 {
        u16_at(self.buffer.as_ref(), TOTAL_LEN)
    }

    /// Total length in effect: the field, or the buffer length when the field is 0
    /// (segmentation offload).
    pub fn total_len(&self) -> u16 {
        match self.total_len_field() {
            0 => self.buffer.as_ref().len().min(usize::from(u16::MAX)) as u16,
            n => n,
        }
    }

    /// Identification.
    pub fn ident(&self) -> u16 {
        u16_at(self.buffer.as_ref(), IDENT)
    }

    /// The reserved ("evil") bit.
    pub fn reserved_flag(&self) -> bool {
        bits16(self.buffer.as_ref(), FLAG_RB) != 0
    }

    /// Don't fragment.
    pub fn dont_frag(&self) -> bool {
        bits16(self.buffer.as_ref(), FLAG_DF) != 0
    }

    /// More fragments.
    pub fn more_frags(&self) -> bool {
        bits16(self.buffer.as_ref(), FLAG_MF) != 0
    }

    /// Fragment offset in 8-byte units.
    pub fn frag_offset(&self) -> u16 {
        bits16(self.buffer.as_ref(), FRAG_OFFSET)
    }

    /// True for any fragment (first, middle or last) of a fragmented datagram.
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }

    /// Time to live.
    pub fn ttl(&self) -> u8 {
        u8_at(self.buffer.as_ref(), TTL)
    }

    /// Protocol of the payload.
    // Inlined on request: the enum conversion is past the inliner's default size, and
    // callers that compare the result with one constant need it inlined to fold both.
    #[inline]
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol::from(u8_at(self.buffer.as_ref(), PROTOCOL))
    }

    /// Header checksum field.
    pub fn checksum(&self) -> u16 {
        u16_at(self.buffer.as_ref(), CHECKSUM)
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32_at(self.buffer.as_ref(), SRC))
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32_at(self.buffer.as_ref(), DST))
    }

    /// Raw option bytes (between the fixed header and IHL × 4).
    pub fn options_bytes(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.header_len()]
    }

    /// Iterates over the options.
    pub fn options(&self) -> Options<'_> {
        Options {
            bytes: self.options_bytes(),
            pos: 0,
            done: false,
        }
    }

    /// Verifies the header checksum. Needs only the header, so a truncated capture still
    /// gets a verdict.
    // Inlined for nearly every header, which has no options: its 20 bytes are summed without
    // a loop or a call, straight from the caller's registers. Headers with options are
    // judged out of line.
    #[inline]
    pub fn verify_checksum(&self) -> ChecksumStatus {
        let b = self.buffer.as_ref();
        match b.first_chunk::<HEADER_LEN>() {
            Some(fixed) if self.header_len() == HEADER_LEN => {
                checksum::judge_sum(checksum::sum_array(fixed), 0, self.checksum(), false)
            }
            _ => verify_header_checksum(&b[..self.header_len()], self.checksum()),
        }
    }
}

/// [`Packet::verify_checksum`] for a header of any length.
#[inline(never)]
fn verify_header_checksum(header: &[u8], found: u16) -> ChecksumStatus {
    checksum::judge(header, 0, found, false)
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The options, borrowing the captured buffer rather than this view, so they outlive it.
    pub fn buffer_options(&self) -> Options<'a> {
        let b: &'a [u8] = self.buffer.as_ref();
        Options {
            bytes: &b[HEADER_LEN..self.header_len()],
            pos: 0,
            done: false,
        }
    }

    /// The data after the header, up to the total length or the end of the buffer, whichever
    /// comes first (bytes past the total length are link-layer padding).
    pub fn payload(&self) -> &'a [u8] {
        let b = self.buffer.as_ref();
        let end = usize::from(self.total_len()).min(b.len());
        let start = self.header_len().min(end);
        &b[start..end]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets version and IHL from a header length in bytes.
    pub fn set_version_and_header_len(&mut self, version: u8, header_len: usize) {
        let b = self.buffer.as_mut();
        set_bits8(b, VERSION, version);
        set_bits8(b, IHL, (header_len / 4) as u8);
    }

    /// Sets DSCP.
    pub fn set_dscp(&mut self, v: u8) {
        set_bits8(self.buffer.as_mut(), DSCP, v);
    }

    /// Sets ECN.
    pub fn set_ecn(&mut self, v: u8) {
        set_bits8(self.buffer.as_mut(), ECN, v);
    }

    /// Sets the total length.
    pub fn set_total_len(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), TOTAL_LEN, v);
    }

    /// Sets the identification.
    pub fn set_ident(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), IDENT, v);
    }

    /// Sets flags and fragment offset (8-byte units); the reserved bit is cleared.
    pub fn set_frag(&mut self, dont_frag: bool, more_frags: bool, offset: u16) {
        let b = self.buffer.as_mut();
        set_bits16(b, FLAG_RB, 0);
        set_bits16(b, FLAG_DF, dont_frag.into());
        set_bits16(b, FLAG_MF, more_frags.into());
        set_bits16(b, FRAG_OFFSET, offset);
    }

    /// Sets the TTL.
    pub fn set_ttl(&mut self, v: u8) {
        set_u8(self.buffer.as_mut(), TTL, v);
    }

    /// Sets the protocol.
    pub fn set_protocol(&mut self, p: IpProtocol) {
        set_u8(self.buffer.as_mut(), PROTOCOL, p.into());
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), CHECKSUM, v);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[SRC.range()].copy_from_slice(&a.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[DST.range()].copy_from_slice(&a.octets());
    }

    /// Computes and stores the header checksum (IHL must already be set).
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let hl = usize::from(bits8(self.buffer.as_ref(), IHL)) * 4;
        let c = checksum::checksum(&self.buffer.as_ref()[..hl]);
        self.set_checksum(c);
    }

    /// Mutable payload after the header (to the end of the buffer).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = usize::from(bits8(self.buffer.as_ref(), IHL)) * 4;
        &mut self.buffer.as_mut()[hl..]
    }
}

/// A decoded IPv4 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Source address.
    pub src_addr: Ipv4Addr,
    /// Destination address.
    pub dst_addr: Ipv4Addr,
    /// Payload protocol.
    pub protocol: IpProtocol,
    /// Payload length in bytes (total length minus header).
    pub payload_len: usize,
    /// Time to live.
    pub ttl: u8,
    /// DSCP, 6 bits.
    pub dscp: u8,
    /// ECN, 2 bits.
    pub ecn: u8,
    /// Identification.
    pub ident: u16,
    /// Don't fragment.
    pub dont_frag: bool,
    /// More fragments.
    pub more_frags: bool,
    /// Fragment offset, 8-byte units.
    pub frag_offset: u16,
    /// Raw options, a multiple of 4 bytes, at most 40.
    pub options: &'a [u8],
}

impl<'a> Repr<'a> {
    /// Decodes a header: the buffer must hold the whole datagram, the version must be 4 and
    /// the options well-formed. The checksum is not enforced: see [`Packet::verify_checksum`].
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &Packet<&'a T>) -> Result<Repr<'a>> {
        p.check_len()?;
        if p.version() != 4 {
            return Err(WireError::malformed(
                Layer::Ipv4,
                VERSION.at,
                &VERSION,
                Reason::NotEqual {
                    value: p.version().into(),
                    expected: 4,
                },
            ));
        }
        for opt in p.options() {
            opt?;
        }
        let b: &'a [u8] = p.buffer.as_ref();
        Ok(Repr {
            src_addr: p.src_addr(),
            dst_addr: p.dst_addr(),
            protocol: p.protocol(),
            payload_len: usize::from(p.total_len()) - p.header_len(),
            ttl: p.ttl(),
            dscp: p.dscp(),
            ecn: p.ecn(),
            ident: p.ident(),
            dont_frag: p.dont_frag(),
            more_frags: p.more_frags(),
            frag_offset: p.frag_offset(),
            options: &b[HEADER_LEN..p.header_len()],
        })
    }

    fn options_len(&self) -> usize {
        self.options
            .len()
            .min(MAX_HEADER_LEN - HEADER_LEN)
            .div_ceil(4)
            * 4
    }

    /// Header length `emit` writes: 20 bytes plus options padded to 4 bytes (options past 40
    /// bytes are dropped).
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.options_len()
    }

    /// Writes the header and its checksum into a buffer of at least
    /// [`Repr::buffer_len`] bytes; the caller writes the payload after it.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        let hl = self.buffer_len();
        p.set_version_and_header_len(4, hl);
        p.set_dscp(self.dscp);
        p.set_ecn(self.ecn);
        p.set_total_len((hl + self.payload_len).min(usize::from(u16::MAX)) as u16);
        p.set_ident(self.ident);
        p.set_frag(self.dont_frag, self.more_frags, self.frag_offset);
        p.set_ttl(self.ttl);
        p.set_protocol(self.protocol);
        p.set_src_addr(self.src_addr);
        p.set_dst_addr(self.dst_addr);
        let opts = &mut p.buffer.as_mut()[HEADER_LEN..hl];
        let n = self.options.len().min(opts.len());
        opts[..n].copy_from_slice(&self.options[..n]);
        opts[n..].fill(0);
        p.fill_checksum();
    }
}

impl fmt::Display for Repr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IPv4 {} > {} {} ttl {} id {} len {}",
            self.src_addr,
            self.dst_addr,
            self.protocol,
            self.ttl,
            self.ident,
            self.payload_len + self.buffer_len()
        )?;
        if self.dont_frag {
            f.write_str(" DF")?;
        }
        if self.more_frags || self.frag_offset != 0 {
            write!(
                f,
                " frag {}{}",
                u32::from(self.frag_offset) * 8,
                if self.more_frags { "+" } else { "" }
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{ETH_IPV4_ICMP_ECHO, ETH_IPV4_TCP_SYN};
    use proptest::prelude::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "ip.", HEADER_LEN);
        assert_eq!(HEADER_LEN, 20);
    }

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&ETH_IPV4_TCP_SYN[14..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.total_len(), 60);
        assert_eq!(p.ident(), 0x66cb);
        assert!(p.dont_frag() && !p.more_frags() && !p.reserved_flag());
        assert_eq!(p.frag_offset(), 0);
        assert_eq!(p.ttl(), 64);
        assert_eq!(p.protocol(), IpProtocol::Tcp);
        assert_eq!(p.checksum(), 0xd5ee);
        assert_eq!(p.src_addr(), Ipv4Addr::LOCALHOST);
        assert_eq!(p.dst_addr(), Ipv4Addr::LOCALHOST);
        assert_eq!(p.verify_checksum(), ChecksumStatus::Good);
        assert_eq!(p.payload().len(), 40);
        assert_eq!(p.options().count(), 0);
        // Every fixed field reads the same through the table as through its getter.
        let b = &ETH_IPV4_TCP_SYN[14..];
        assert_eq!(TTL.read(b), Some(64));
        assert_eq!(FLAG_DF.read(b), Some(1));
        assert_eq!(IHL.read(b), Some(5));
    }

    #[test]
    fn repr_round_trip_real_packet() {
        let bytes = &ETH_IPV4_ICMP_ECHO[14..];
        let p = Packet::new_checked(bytes).unwrap();
        let r = Repr::parse(&p).unwrap();
        assert_eq!(
            r.to_string(),
            "IPv4 127.0.0.1 > 127.0.0.1 ICMP ttl 64 id 22590 len 40 DF"
        );
        let mut buf = bytes.to_vec();
        buf[..20].fill(0);
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(&buf[..], bytes);
    }

    #[test]
    fn bad_checksum_reports_expected() {
        let mut b = ETH_IPV4_TCP_SYN[14..].to_vec();
        b[10] = 0;
        b[11] = 0;
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(
            p.verify_checksum(),
            ChecksumStatus::Bad {
                found: 0,
                expected: 0xd5ee
            }
        );
    }

    // The malformed headers below are hand-made from the real SYN by breaking one field.
    #[test]
    fn malformed() {
        let mut b = ETH_IPV4_TCP_SYN[14..].to_vec();
        b[0] = 0x43;
        let e = Packet::new_checked(&b[..]).unwrap_err();
        assert_eq!(e.to_string(), "ipv4 at byte 0: ip.hdr_len 3 (< 5)");
        b[0] = 0x4f; // 60-byte header in a 60-byte buffer: present, but the options are garbage
        assert!(Packet::new_checked(&b[..]).is_ok());
        b[0] = 0x45;
        b[2..4].copy_from_slice(&10u16.to_be_bytes());
        assert!(matches!(
            Packet::new_checked(&b[..]),
            Err(WireError::Malformed {
                field: &TOTAL_LEN,
                ..
            })
        ));
        b[2..4].copy_from_slice(&100u16.to_be_bytes());
        let p = Packet::new_unchecked(&b[..]);
        assert!(p.check_header_len().is_ok());
        assert!(p.is_truncated());
        assert_eq!(
            p.check_len(),
            Err(WireError::Truncated {
                layer: Layer::Ipv4,
                offset: 0,
                needed: 100,
                have: 60
            })
        );
        assert_eq!(p.payload().len(), 40);
        b[0] = 0x65;
        b[2..4].copy_from_slice(&60u16.to_be_bytes());
        assert!(matches!(
            Repr::parse(&Packet::new_unchecked(&b[..])),
            Err(WireError::Malformed {
                field: &VERSION,
                ..
            })
        ));
    }

    #[test]
    fn options_walk() {
        // Hand-made: a header with NOP, router alert (RFC 2113: 94 04 00 00), a record route
        // with one empty slot, and EOL padding.
        let opts = [1u8, 0x94, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut b = vec![0u8; 20 + opts.len()];
        let r = Repr {
            src_addr: Ipv4Addr::new(10, 0, 0, 1),
            dst_addr: Ipv4Addr::new(224, 0, 0, 22),
            protocol: IpProtocol::Igmp,
            payload_len: 0,
            ttl: 1,
            dscp: 48,
            ecn: 0,
            ident: 0,
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
            options: &opts,
        };
        r.emit(&mut Packet::new_unchecked(&mut b[..]));
        let p = Packet::new_checked(&b[..]).unwrap();
        let kinds: Vec<OptionKind> = p.options().map(|o| o.unwrap().kind).collect();
        assert_eq!(
            kinds,
            [
                OptionKind::Nop,
                OptionKind::RouterAlert,
                OptionKind::RecordRoute,
                OptionKind::EndOfList
            ]
        );
        let ra = p.options().nth(1).unwrap().unwrap();
        assert_eq!((ra.at, ra.len, ra.data), (21, 4, &[0u8, 0][..]));
        assert_eq!(ra.field().label, "RTRALT");
        assert_eq!(p.verify_checksum(), ChecksumStatus::Good);
        b[26] = 1; // option length 1
        let p = Packet::new_unchecked(&b[..]);
        let e = p.options().find_map(|o| o.err()).unwrap();
        assert_eq!(e.to_string(), "ipv4 at byte 26: ip.opt.len 1 (< 2)");
    }

    /// Everything a `Repr` holds, with the options owned so a strategy can produce them.
    type Fields = (
        Ipv4Addr,
        Ipv4Addr,
        u8,
        usize,
        u8,
        u8,
        u8,
        u16,
        bool,
        bool,
        u16,
        Vec<u8>,
    );

    fn arb_repr() -> impl Strategy<Value = Fields> {
        (
            any::<[u8; 4]>().prop_map(Ipv4Addr::from),
            any::<[u8; 4]>().prop_map(Ipv4Addr::from),
            any::<u8>(),
            0usize..1400,
            any::<u8>(),
            0u8..64,
            0u8..4,
            any::<u16>(),
            any::<bool>(),
            any::<bool>(),
            0u16..0x2000,
            (0usize..=10).prop_flat_map(|n| proptest::collection::vec(Just(1u8), n * 4)),
        )
    }

    proptest! {
        #[test]
        fn emit_parse_identity((src, dst, proto, plen, ttl, dscp, ecn, ident, df, mf, off, opts) in arb_repr()) {
            let r = Repr { src_addr: src, dst_addr: dst, protocol: IpProtocol::from(proto), payload_len: plen, ttl, dscp, ecn, ident, dont_frag: df, more_frags: mf, frag_offset: off, options: &opts };
            let mut buf = vec![0u8; r.buffer_len() + plen];
            r.emit(&mut Packet::new_unchecked(&mut buf[..]));
            let p = Packet::new_checked(&buf[..]).unwrap();
            prop_assert_eq!(p.verify_checksum(), ChecksumStatus::Good);
            prop_assert_eq!(Repr::parse(&p).unwrap(), r);
        }

        #[test]
        fn parse_emit_parse(mut bytes in proptest::collection::vec(any::<u8>(), 20..120)) {
            // Nudge random bytes towards plausible headers so parse accepts some of them.
            bytes[0] = 0x40 | (bytes[0] % 11 + 5);
            let len = bytes.len() as u16;
            bytes[2..4].copy_from_slice(&len.to_be_bytes());
            let p = Packet::new_unchecked(&bytes[..]);
            if let Ok(r) = Repr::parse(&p) {
                let mut out = vec![0u8; r.buffer_len() + r.payload_len];
                r.emit(&mut Packet::new_unchecked(&mut out[..]));
                let r2 = Repr::parse(&Packet::new_unchecked(&out[..])).unwrap();
                prop_assert_eq!(r2, r);
            }
        }
    }
}
