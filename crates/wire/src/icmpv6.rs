//! ICMP for IPv6 (RFC 4443) and the neighbour discovery / MLD types that share its header:
//! type and code names, echo identifier and sequence, checksum over the IPv6 pseudo-header,
//! and the packet quoted by error messages.

use crate::checksum::{ChecksumStatus, PseudoHeader};
use crate::error::{Layer, Result};
use crate::field::{u16_at, u8_at, FieldDef};
use crate::icmp as common;
use std::net::Ipv6Addr;

/// Protocol number of ICMPv6, used in its pseudo-header.
const PROTOCOL: u8 = 58;

/// Field table of the ICMPv6 header, with bytes 4–7 as echo messages use them.
pub mod field {
    field_table! {
        TYPE = "icmpv6.type", 0, 1, 0, crate::icmpv6::Message::KIND, "Type",
            "Kind of message: below 128 errors (1 unreachable, 2 too big, 3 time exceeded), 128/129 echo, 133–137 neighbour discovery (RFC 4443 §2.1).";
        CODE = "icmpv6.code", 1, 1, 0, Kind::Number, "Code",
            "Detail within the type, e.g. for unreachable 4 = port unreachable (RFC 4443 §3.1).";
        CHECKSUM = "icmpv6.checksum", 2, 2, 0, Kind::Checksum, "Checksum",
            "Ones'-complement checksum of the IPv6 pseudo-header and the whole message (RFC 4443 §2.3).";
        IDENT = "icmpv6.echo.identifier", 4, 2, 0, Kind::Number, "Identifier",
            "Echo: chosen by the sender to match replies to requests (RFC 4443 §4.1).";
        SEQ = "icmpv6.echo.sequence_number", 6, 2, 0, Kind::Number, "Sequence number",
            "Echo: counts requests so replies can be matched (RFC 4443 §4.1).";
    }

    /// Bytes 4–7 of other messages: unused, MTU (packet too big), pointer, or ND flags.
    pub const REST: crate::field::FieldDef = crate::field::FieldDef {
        name: "icmpv6.rest",
        at: 4,
        len: 4,
        mask: 0,
        kind: crate::field::Kind::Number,
        label: "Rest of header",
        meaning: "Type-specific: zero, the next-hop MTU of packet too big (RFC 4443 §3.2), a pointer, or flags (RFC 4861).",
    };
}

pub use field::HEADER_LEN;

enum_with_unknown! {
    /// ICMPv6 message types (IANA "ICMPv6 Parameters").
    pub enum Message(u8) {
        /// Destination unreachable.
        DstUnreachable = 1 => "destination unreachable",
        /// Packet too big.
        PacketTooBig = 2 => "packet too big",
        /// Time exceeded.
        TimeExceeded = 3 => "time exceeded",
        /// Parameter problem.
        ParamProblem = 4 => "parameter problem",
        /// Echo request.
        EchoRequest = 128 => "echo request",
        /// Echo reply.
        EchoReply = 129 => "echo reply",
        /// Multicast listener query (RFC 2710).
        MldQuery = 130 => "multicast listener query",
        /// Multicast listener report (RFC 2710).
        MldReport = 131 => "multicast listener report",
        /// Multicast listener done (RFC 2710).
        MldDone = 132 => "multicast listener done",
        /// Router solicitation (RFC 4861).
        RouterSolicit = 133 => "router solicitation",
        /// Router advertisement (RFC 4861).
        RouterAdvert = 134 => "router advertisement",
        /// Neighbor solicitation (RFC 4861).
        NeighborSolicit = 135 => "neighbor solicitation",
        /// Neighbor advertisement (RFC 4861).
        NeighborAdvert = 136 => "neighbor advertisement",
        /// Redirect (RFC 4861).
        Redirect = 137 => "redirect",
        /// Version 2 multicast listener report (RFC 3810).
        Mldv2Report = 143 => "multicast listener report v2",
    }
}

impl Message {
    /// Field kind of a field holding one of these ICMPv6 types.
    pub const KIND: crate::field::Kind = crate::field::Kind::Code {
        hex: false,
        names: Self::NAMES,
    };
}

impl Message {
    /// Error messages have types below 128 and quote the offending packet (RFC 4443 §2.1).
    pub fn is_error(self) -> bool {
        u8::from(self) < 128
    }
}

/// Name of a code for a type, where RFC 4443 gives one.
pub fn code_name(msg: Message, code: u8) -> Option<&'static str> {
    Some(match (msg, code) {
        (Message::DstUnreachable, 0) => "no route to destination",
        (Message::DstUnreachable, 1) => "administratively prohibited",
        (Message::DstUnreachable, 2) => "beyond scope of source address",
        (Message::DstUnreachable, 3) => "address unreachable",
        (Message::DstUnreachable, 4) => "port unreachable",
        (Message::DstUnreachable, 5) => "source address failed policy",
        (Message::DstUnreachable, 6) => "reject route to destination",
        (Message::TimeExceeded, 0) => "hop limit exceeded in transit",
        (Message::TimeExceeded, 1) => "fragment reassembly time exceeded",
        (Message::ParamProblem, 0) => "erroneous header field",
        (Message::ParamProblem, 1) => "unrecognized next header",
        (Message::ParamProblem, 2) => "unrecognized IPv6 option",
        _ => return None,
    })
}

/// The match-prefix part of a router renumbering command (RFC 2894 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RrMatch {
    /// What to do: 1 add, 2 change, 3 set global.
    pub op_code: u8,
    /// Length of the match part and its use parts, in 8-byte units.
    pub op_length: u8,
    /// Significant bits of the match prefix.
    pub match_len: u8,
    /// The prefix matched against the router's.
    pub prefix: Ipv6Addr,
}

/// A use-prefix part of a router renumbering command (RFC 2894 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RrUse {
    /// Bits of the new prefix to use.
    pub use_len: u8,
    /// Bits of the old prefix to keep.
    pub keep_len: u8,
    /// The first byte of the flags word: 0x80 decrement valid lifetime, 0x40 preferred.
    pub flags: u8,
    /// The new prefix.
    pub prefix: Ipv6Addr,
}

packet_view! {
    /// A view of an ICMPv6 message.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks the 8-byte header is present.
    pub fn check_len(&self) -> Result<()> {
        common::check_len(self.buffer.as_ref(), Layer::Icmpv6)
    }

    /// Message type.
    pub fn msg_type(&self) -> Message {
        Message::from(u8_at(self.buffer.as_ref(), field::TYPE))
    }

    /// Code.
    pub fn code(&self) -> u8 {
        u8_at(self.buffer.as_ref(), field::CODE)
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        u16_at(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// Echo identifier.
    pub fn echo_ident(&self) -> u16 {
        u16_at(self.buffer.as_ref(), field::IDENT)
    }

    /// Echo sequence number.
    pub fn echo_seq_no(&self) -> u16 {
        u16_at(self.buffer.as_ref(), field::SEQ)
    }

    /// Bytes 4–7 as one number.
    pub fn rest_of_header(&self) -> u32 {
        common::rest(self.buffer.as_ref())
    }

    /// The fields of bytes 4–7 as this message's type uses them.
    pub fn fields(&self) -> &'static [FieldDef] {
        const OTHER: &[FieldDef] = &[field::TYPE, field::CODE, field::CHECKSUM, field::REST];
        match self.msg_type() {
            Message::EchoRequest | Message::EchoReply => field::FIELDS,
            _ => OTHER,
        }
    }

    /// Checks the checksum over `len` bytes (the upper-layer length from IPv6).
    pub fn verify_checksum(&self, pseudo: &PseudoHeader, len: usize) -> ChecksumStatus {
        common::verify(self.buffer.as_ref(), len, Some((pseudo, PROTOCOL)))
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Data after the 8-byte header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }

    /// For error messages, the quoted IPv6 packet (decode it with [`crate::decode()`] and
    /// `LinkType::Ipv6`).
    pub fn quoted(&self) -> Option<&'a [u8]> {
        self.msg_type().is_error().then(|| self.payload())
    }

    /// The IPv6 address at byte `at` of the message, if captured.
    fn addr_at(&self, at: usize) -> Option<Ipv6Addr> {
        let b = self.buffer.as_ref().get(at..at + 16)?;
        <[u8; 16]>::try_from(b).ok().map(Ipv6Addr::from)
    }

    /// The 16 bits at byte `at` of the message, if captured.
    fn u16_at(&self, at: usize) -> Option<u16> {
        let b = self.buffer.as_ref().get(at..at + 2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Neighbour solicitation and advertisement, redirect: the target address (bytes 8–23,
    /// RFC 4861 §4.3–4.5), if captured.
    pub fn nd_target(&self) -> Option<Ipv6Addr> {
        self.addr_at(8)
    }

    /// Redirect: the destination redirected (bytes 24–39, RFC 4861 §4.5), if captured.
    pub fn redirect_dst(&self) -> Option<Ipv6Addr> {
        self.addr_at(24)
    }

    /// MLD query, report and done: the multicast address (bytes 8–23, RFC 2710 §3.6), if
    /// captured.
    pub fn mld_address(&self) -> Option<Ipv6Addr> {
        self.addr_at(8)
    }

    /// MLD: the maximum response delay (bytes 4–5, RFC 2710 §3.4; a code in MLDv2 queries).
    pub fn mld_max_delay(&self) -> u16 {
        u16_at(self.buffer.as_ref(), field::IDENT)
    }

    /// MLDv2 report: the number of multicast address records (bytes 6–7, RFC 3810 §5.2.3).
    pub fn mldv2_record_count(&self) -> u16 {
        u16_at(self.buffer.as_ref(), field::SEQ)
    }

    /// MLDv2 query: the number of sources (bytes 26–27, RFC 3810 §5.1.10), if captured.
    pub fn mldv2_query_sources(&self) -> Option<u16> {
        self.u16_at(26)
    }

    /// Node information query and reply: the query type (bytes 4–5, RFC 4620 §4).
    pub fn ni_qtype(&self) -> u16 {
        u16_at(self.buffer.as_ref(), field::IDENT)
    }

    /// Node information: the flags (bytes 6–7, RFC 4620 §4).
    pub fn ni_flags(&self) -> u16 {
        u16_at(self.buffer.as_ref(), field::SEQ)
    }

    /// Router renumbering: the sequence number (bytes 4–7, RFC 2894 §3.1).
    pub fn rr_sequence(&self) -> u32 {
        self.rest_of_header()
    }

    /// Router renumbering command: its match-prefix part (bytes 16–39, RFC 2894 §3.1), if
    /// captured.
    pub fn rr_match(&self) -> Option<RrMatch> {
        let b = self.buffer.as_ref().get(16..40)?;
        Some(RrMatch {
            op_code: b[0],
            op_length: b[1],
            match_len: b[3],
            prefix: self.addr_at(24)?,
        })
    }

    /// Router renumbering command: its `i`th use-prefix part (32 bytes each after the match
    /// part, RFC 2894 §3.1), if captured.
    pub fn rr_use(&self, i: usize) -> Option<RrUse> {
        let at = 40 + 32 * i;
        let b = self.buffer.as_ref().get(at..at + 32)?;
        Some(RrUse {
            use_len: b[0],
            keep_len: b[1],
            flags: b[12],
            prefix: self.addr_at(at + 16)?,
        })
    }

    /// Node information: what follows the 16-byte header and nonce (the query's subject or
    /// the reply's data, RFC 4620 §4).
    pub fn ni_data(&self) -> &'a [u8] {
        self.buffer.as_ref().get(16..).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Computes the checksum over the whole buffer.
    pub fn fill_checksum(&mut self, pseudo: &PseudoHeader) {
        common::fill(self.buffer.as_mut(), Some((pseudo, PROTOCOL)));
    }
}

/// A decoded ICMPv6 message.
pub type Repr<'a> = crate::icmp::Repr<'a, Message>;

impl crate::icmp::MessageType for Message {
    const PROTOCOL: &'static str = "ICMPv6";
    const ECHO_REQUEST: Self = Message::EchoRequest;
    const ECHO_REPLY: Self = Message::EchoReply;

    fn is_error(self) -> bool {
        Message::is_error(self)
    }

    fn code_name(self, code: u8) -> Option<&'static str> {
        code_name(self, code)
    }
}

impl<'a> Repr<'a> {
    /// Decodes a message. The checksum is not enforced: see [`Packet::verify_checksum`].
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &Packet<&'a T>) -> Result<Repr<'a>> {
        p.check_len()?;
        Ok(Repr::from_parts(
            p.msg_type(),
            p.code(),
            p.rest_of_header(),
            p.payload(),
        ))
    }

    /// Writes the message and its checksum into a buffer of exactly [`Repr::buffer_len`] bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>, pseudo: &PseudoHeader) {
        self.write(p.buffer.as_mut());
        p.fill_checksum(pseudo);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::ETH_IPV6_ICMPV6_ECHO;
    use proptest::prelude::*;

    const LO6: PseudoHeader = PseudoHeader::V6 {
        src: Ipv6Addr::LOCALHOST,
        dst: Ipv6Addr::LOCALHOST,
    };

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "icmpv6.", HEADER_LEN);
    }

    #[test]
    fn router_renumbering_parts() {
        // Hand-made: a command with sequence 7, match add fec0::/48, one use part 3ffe::/48/16
        // with the valid-lifetime flag, the second use part missing.
        let mut b = vec![138, 0, 0, 0, 0, 0, 0, 7];
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&[1, 7, 0, 48, 0, 128, 0, 0]);
        b.extend_from_slice(&"fec0::".parse::<Ipv6Addr>().unwrap().octets());
        b.extend_from_slice(&[48, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0]);
        b.extend_from_slice(&"3ffe::".parse::<Ipv6Addr>().unwrap().octets());
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.rr_sequence(), 7);
        let m = p.rr_match().unwrap();
        assert_eq!((m.op_code, m.op_length, m.match_len), (1, 7, 48));
        assert_eq!(m.prefix, "fec0::".parse::<Ipv6Addr>().unwrap());
        let u = p.rr_use(0).unwrap();
        assert_eq!((u.use_len, u.keep_len, u.flags), (48, 16, 0x80));
        assert_eq!(p.rr_use(1), None);
    }

    #[test]
    fn neighbour_discovery_and_mld_bodies() {
        // Hand-made: a neighbour solicitation for 2001:db8::1 with 3 bytes cut off.
        let mut b = vec![135, 0, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.nd_target(), Some("2001:db8::1".parse().unwrap()));
        assert_eq!(p.redirect_dst(), None);
        let cut = Packet::new_checked(&b[..21]).unwrap();
        assert_eq!(cut.nd_target(), None);
        // Hand-made: an MLDv2 report announcing 3 records, and an MLDv2 query with 2 sources.
        let report = [143, 0, 0, 0, 0, 0, 0, 3];
        assert_eq!(
            Packet::new_checked(&report[..])
                .unwrap()
                .mldv2_record_count(),
            3
        );
        let mut query = vec![130, 0, 0, 0, 0x01, 0x2c, 0, 0];
        query.extend_from_slice(&[0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16]);
        query.extend_from_slice(&[0, 0, 0, 2]);
        let q = Packet::new_checked(&query[..]).unwrap();
        assert_eq!(q.mld_max_delay(), 300);
        assert_eq!(q.mld_address(), Some("ff02::16".parse().unwrap()));
        assert_eq!(q.mldv2_query_sources(), Some(2));
        assert_eq!((q.ni_qtype(), q.ni_flags()), (300, 0));
        assert_eq!(q.ni_data().len(), query.len() - 16);
    }

    #[test]
    fn echo_request() {
        let b = &ETH_IPV6_ICMPV6_ECHO[54..];
        let p = Packet::new_checked(b).unwrap();
        assert_eq!(
            (p.msg_type(), p.code(), p.echo_ident(), p.echo_seq_no()),
            (Message::EchoRequest, 0, 0x4321, 7)
        );
        // The kernel filled this one in: raw ICMPv6 sockets always get a computed checksum.
        assert_eq!(p.verify_checksum(&LO6, b.len()), ChecksumStatus::Good);
        let r = Repr::parse(&p).unwrap();
        assert_eq!(
            r,
            Repr::EchoRequest {
                ident: 0x4321,
                seq_no: 7,
                data: b"socklab-ping6"
            }
        );
        let mut out = vec![0u8; r.buffer_len()];
        r.emit(&mut Packet::new_unchecked(&mut out[..]), &LO6);
        assert_eq!(out, b);
        let other = PseudoHeader::V6 {
            src: Ipv6Addr::UNSPECIFIED,
            dst: Ipv6Addr::LOCALHOST,
        };
        assert!(matches!(
            p.verify_checksum(&other, b.len()),
            ChecksumStatus::Bad { .. }
        ));
    }

    #[test]
    fn names() {
        assert!(Message::PacketTooBig.is_error());
        assert!(!Message::NeighborSolicit.is_error());
        let r = Repr::Error {
            msg_type: Message::DstUnreachable,
            code: 4,
            rest: 0,
            quoted: &[],
        };
        assert_eq!(
            r.to_string(),
            "ICMPv6 destination unreachable (port unreachable)"
        );
        assert!(Packet::new_checked(&[1u8, 2, 3][..]).is_err());
    }

    proptest! {
        #[test]
        fn emit_parse_identity(t: u8, code: u8, rest: u32, data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let m = Message::from(t);
            let r = match m {
                Message::EchoRequest if code == 0 => Repr::EchoRequest { ident: (rest >> 16) as u16, seq_no: rest as u16, data: &data },
                Message::EchoReply if code == 0 => Repr::EchoReply { ident: (rest >> 16) as u16, seq_no: rest as u16, data: &data },
                m if m.is_error() => Repr::Error { msg_type: m, code, rest, quoted: &data },
                m => Repr::Other { msg_type: m, code, rest, data: &data },
            };
            let mut buf = vec![0u8; r.buffer_len()];
            r.emit(&mut Packet::new_unchecked(&mut buf[..]), &LO6);
            let p = Packet::new_checked(&buf[..]).unwrap();
            prop_assert_eq!(p.verify_checksum(&LO6, buf.len()), ChecksumStatus::Good);
            prop_assert_eq!(Repr::parse(&p).unwrap(), r);
        }
    }
}
