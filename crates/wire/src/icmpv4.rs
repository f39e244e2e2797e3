//! ICMP for IPv4 (RFC 792): type and code names, echo identifier and sequence, and the
//! datagram quoted by error messages.

use crate::checksum::ChecksumStatus;
use crate::error::{Layer, Result};
use crate::field::{u16_at, u8_at, FieldDef};
use crate::icmp as common;
use std::net::Ipv4Addr;

/// Field table of the ICMP header, with bytes 4–7 as echo messages use them.
pub mod field {
    field_table! {
        TYPE = "icmp.type", 0, 1, 0, crate::icmpv4::Message::KIND, "Type",
            "Kind of message: 0 echo reply, 3 destination unreachable, 8 echo request, 11 time exceeded (RFC 792).";
        CODE = "icmp.code", 1, 1, 0, Kind::Number, "Code",
            "Detail within the type, e.g. for unreachable 3 = port unreachable (RFC 792).";
        CHECKSUM = "icmp.checksum", 2, 2, 0, Kind::Checksum, "Checksum",
            "Ones'-complement checksum of the whole ICMP message, no pseudo-header (RFC 792).";
        IDENT = "icmp.ident", 4, 2, 0, Kind::Number, "Identifier",
            "Echo: chosen by the sender to match replies to requests, often the process ID (RFC 792).";
        SEQ = "icmp.seq", 6, 2, 0, Kind::Number, "Sequence number",
            "Echo: counts requests so replies can be matched and losses seen (RFC 792).";
    }

    /// Bytes 4–7 of error messages: unused, except next-hop MTU (`icmp.mtu`, RFC 1191),
    /// pointer (`icmp.pointer`) or gateway (`icmp.redir_gw`).
    pub const REST: crate::field::FieldDef = crate::field::FieldDef {
        name: "icmp.rest",
        at: 4,
        len: 4,
        mask: 0,
        kind: crate::field::Kind::Number,
        label: "Rest of header",
        meaning:
            "Type-specific: zero, a next-hop MTU (RFC 1191), a pointer, or a gateway (RFC 792).",
    };
}

pub use field::HEADER_LEN;

enum_with_unknown! {
    /// ICMPv4 message types (IANA "ICMP Type Numbers").
    pub enum Message(u8) {
        /// Echo reply.
        EchoReply = 0 => "echo reply",
        /// Destination unreachable.
        DstUnreachable = 3 => "destination unreachable",
        /// Source quench (deprecated, RFC 6633).
        SourceQuench = 4 => "source quench",
        /// Redirect.
        Redirect = 5 => "redirect",
        /// Echo request.
        EchoRequest = 8 => "echo request",
        /// Router advertisement (RFC 1256).
        RouterAdvert = 9 => "router advertisement",
        /// Router solicitation (RFC 1256).
        RouterSolicit = 10 => "router solicitation",
        /// Time exceeded.
        TimeExceeded = 11 => "time exceeded",
        /// Parameter problem.
        ParamProblem = 12 => "parameter problem",
        /// Timestamp request.
        Timestamp = 13 => "timestamp",
        /// Timestamp reply.
        TimestampReply = 14 => "timestamp reply",
    }
}

impl Message {
    /// Field kind of a field holding one of these ICMP types.
    pub const KIND: crate::field::Kind = crate::field::Kind::Code {
        hex: false,
        names: Self::NAMES,
    };
}

impl Message {
    /// True for error messages, which quote the IP header and first 8 data bytes of the
    /// datagram that caused them (RFC 792, RFC 1812 §4.3.2.3 allows more).
    pub fn is_error(self) -> bool {
        matches!(
            self,
            Message::DstUnreachable
                | Message::SourceQuench
                | Message::Redirect
                | Message::TimeExceeded
                | Message::ParamProblem
        )
    }
}

/// Name of a code for a type, where RFC 792 / RFC 1812 give one.
pub fn code_name(msg: Message, code: u8) -> Option<&'static str> {
    Some(match (msg, code) {
        (Message::DstUnreachable, 0) => "net unreachable",
        (Message::DstUnreachable, 1) => "host unreachable",
        (Message::DstUnreachable, 2) => "protocol unreachable",
        (Message::DstUnreachable, 3) => "port unreachable",
        (Message::DstUnreachable, 4) => "fragmentation needed and DF set",
        (Message::DstUnreachable, 5) => "source route failed",
        (Message::DstUnreachable, 6) => "destination network unknown",
        (Message::DstUnreachable, 7) => "destination host unknown",
        (Message::DstUnreachable, 9) => "network administratively prohibited",
        (Message::DstUnreachable, 10) => "host administratively prohibited",
        (Message::DstUnreachable, 13) => "communication administratively prohibited",
        (Message::Redirect, 0) => "redirect for network",
        (Message::Redirect, 1) => "redirect for host",
        (Message::TimeExceeded, 0) => "TTL exceeded in transit",
        (Message::TimeExceeded, 1) => "fragment reassembly time exceeded",
        (Message::ParamProblem, 0) => "pointer indicates the error",
        _ => return None,
    })
}

packet_view! {
    /// A view of an ICMPv4 message.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks the 8-byte header is present.
    pub fn check_len(&self) -> Result<()> {
        common::check_len(self.buffer.as_ref(), Layer::Icmpv4)
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
        const ECHO: &[FieldDef] = field::FIELDS;
        const OTHER: &[FieldDef] = &[field::TYPE, field::CODE, field::CHECKSUM, field::REST];
        match self.msg_type() {
            Message::EchoRequest
            | Message::EchoReply
            | Message::Timestamp
            | Message::TimestampReply => ECHO,
            _ => OTHER,
        }
    }

    /// Checks the checksum over `len` bytes (the length the IP header gives the message).
    pub fn verify_checksum(&self, len: usize) -> ChecksumStatus {
        common::verify(self.buffer.as_ref(), len, None)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Data after the 8-byte header: echo data, or the quoted datagram of an error.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }

    /// For error messages, the quoted IPv4 datagram (usually cut after 8 data bytes; decode
    /// it with [`crate::decode()`] and `LinkType::Ipv4`, which tolerates that).
    pub fn quoted(&self) -> Option<&'a [u8]> {
        self.msg_type().is_error().then(|| self.payload())
    }
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// The 32 bits at byte `at` of the message, if captured.
    fn u32_at(&self, at: usize) -> Option<u32> {
        let b = self.buffer.as_ref().get(at..at + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Redirect: the gateway to use instead (bytes 4–7, RFC 792).
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(common::rest(self.buffer.as_ref()))
    }

    /// Parameter problem: the pointer to the octet in error (byte 4, RFC 792).
    pub fn pointer(&self) -> u8 {
        self.buffer.as_ref()[4]
    }

    /// Destination unreachable, fragmentation needed: the next-hop MTU (bytes 6–7, RFC 1191
    /// §4; 0 from routers older than it).
    pub fn next_hop_mtu(&self) -> u16 {
        u16_at(self.buffer.as_ref(), field::SEQ)
    }

    /// Address mask reply: the mask (bytes 8–11, RFC 950), if captured.
    pub fn address_mask(&self) -> Option<u32> {
        self.u32_at(8)
    }

    /// Timestamp messages: the originate, receive and transmit timestamps in milliseconds
    /// since midnight UT (bytes 8–19, RFC 792), each if captured.
    pub fn timestamps(&self) -> [Option<u32>; 3] {
        [self.u32_at(8), self.u32_at(12), self.u32_at(16)]
    }

    /// Router advertisement: number of addresses, words per address entry and lifetime in
    /// seconds (bytes 4–7, RFC 1256 §3).
    pub fn router_advert(&self) -> (u8, u8, u16) {
        let b = self.buffer.as_ref();
        (b[4], b[5], u16::from_be_bytes([b[6], b[7]]))
    }

    /// Router advertisement: the `i`th (router address, preference level) entry of two
    /// words, if captured.
    pub fn router_entry(&self, i: usize) -> Option<(Ipv4Addr, u32)> {
        let at = HEADER_LEN + 8 * i;
        Some((Ipv4Addr::from(self.u32_at(at)?), self.u32_at(at + 4)?))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Computes the checksum over the whole buffer.
    pub fn fill_checksum(&mut self) {
        common::fill(self.buffer.as_mut(), None);
    }
}

/// A decoded ICMPv4 message.
pub type Repr<'a> = crate::icmp::Repr<'a, Message>;

impl crate::icmp::MessageType for Message {
    const PROTOCOL: &'static str = "ICMP";
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
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        self.write(p.buffer.as_mut());
        p.fill_checksum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_specific_fields() {
        // Hand-made: a redirect to gateway 192.0.2.9, then a router advertisement of one
        // entry (192.0.2.1, preference 5) with lifetime 1800, cut in its second word.
        let redirect = [5, 1, 0, 0, 192, 0, 2, 9];
        let p = Packet::new_checked(&redirect[..]).unwrap();
        assert_eq!(p.gateway(), Ipv4Addr::new(192, 0, 2, 9));
        assert_eq!((p.pointer(), p.next_hop_mtu()), (192, 0x0209));
        let advert = [9, 0, 0, 0, 1, 2, 0x07, 0x08, 192, 0, 2, 1, 0, 0, 0, 5, 0, 0];
        let p = Packet::new_checked(&advert[..]).unwrap();
        assert_eq!(p.router_advert(), (1, 2, 1800));
        assert_eq!(p.router_entry(0), Some((Ipv4Addr::new(192, 0, 2, 1), 5)));
        assert_eq!(p.router_entry(1), None);
        assert_eq!(p.address_mask(), Some(0xc000_0201));
        assert_eq!(p.timestamps(), [Some(0xc000_0201), Some(5), None]);
    }
    use crate::checksum::Unverified;
    use crate::testdata::{ETH_IPV4_ICMP_ECHO, ETH_IPV4_ICMP_UNREACH};
    use proptest::prelude::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "icmp.", HEADER_LEN);
    }

    #[test]
    fn echo_request() {
        let b = &ETH_IPV4_ICMP_ECHO[34..];
        let p = Packet::new_checked(b).unwrap();
        assert_eq!(
            (p.msg_type(), p.code(), p.echo_ident(), p.echo_seq_no()),
            (Message::EchoRequest, 0, 0x1234, 1)
        );
        assert_eq!(p.verify_checksum(b.len()), ChecksumStatus::Good);
        assert_eq!(
            p.verify_checksum(b.len() + 1),
            ChecksumStatus::Unverified(Unverified::Truncated)
        );
        let r = Repr::parse(&p).unwrap();
        assert_eq!(
            r,
            Repr::EchoRequest {
                ident: 0x1234,
                seq_no: 1,
                data: b"socklab-ping"
            }
        );
        assert_eq!(r.to_string(), "ICMP echo request id 4660 seq 1 len 12");
        let mut out = vec![0u8; r.buffer_len()];
        r.emit(&mut Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, b);
    }

    #[test]
    fn port_unreachable_quotes_the_datagram() {
        let b = &ETH_IPV4_ICMP_UNREACH[34..];
        let p = Packet::new_checked(b).unwrap();
        assert_eq!(p.verify_checksum(b.len()), ChecksumStatus::Good);
        let r = Repr::parse(&p).unwrap();
        assert_eq!(
            r.to_string(),
            "ICMP destination unreachable (port unreachable)"
        );
        let quoted = p.quoted().unwrap();
        assert_eq!(quoted[0], 0x45);
        assert_eq!(&quoted[quoted.len() - 10..], b"udp-hello\n");
        assert_eq!(p.fields().last().unwrap().name, "icmp.rest");
    }

    #[test]
    fn truncated() {
        assert!(Packet::new_checked(&ETH_IPV4_ICMP_ECHO[34..41]).is_err());
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
            r.emit(&mut Packet::new_unchecked(&mut buf[..]));
            let p = Packet::new_checked(&buf[..]).unwrap();
            prop_assert_eq!(p.verify_checksum(buf.len()), ChecksumStatus::Good);
            prop_assert_eq!(Repr::parse(&p).unwrap(), r);
        }
    }
}
