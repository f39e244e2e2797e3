//! What ICMPv4 and ICMPv6 share: an 8-byte header whose first four bytes are type, code and
//! checksum, and whose second four depend on the type, and one decoded form, [`Repr`], for
//! both. Each version adds its own field names, type numbers and checksum rule on top.

use core::fmt;

use crate::checksum::{self, ChecksumStatus, PseudoHeader, Unverified};
use crate::error::{Layer, Result, WireError};

/// Length of the header both versions share.
pub const HEADER_LEN: usize = 8;

pub(crate) fn check_len(b: &[u8], layer: Layer) -> Result<()> {
    if b.len() < HEADER_LEN {
        return Err(WireError::truncated(layer, HEADER_LEN, b.len()));
    }
    Ok(())
}

pub(crate) fn rest(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[4], b[5], b[6], b[7]])
}

/// `len` is the message length given by the IP layer; `protocol` selects the pseudo-header
/// (ICMPv6 has one, ICMPv4 does not).
pub(crate) fn verify(b: &[u8], len: usize, pseudo: Option<(&PseudoHeader, u8)>) -> ChecksumStatus {
    if b.len() < len || len < HEADER_LEN {
        return ChecksumStatus::Unverified(Unverified::Truncated);
    }
    let found = u16::from_be_bytes([b[2], b[3]]);
    let ps = pseudo.map_or(0, |(p, proto)| p.sum(proto, len as u32));
    checksum::judge(&b[..len], ps, found, pseudo.is_some())
}

pub(crate) fn fill(b: &mut [u8], pseudo: Option<(&PseudoHeader, u8)>) {
    b[2] = 0;
    b[3] = 0;
    let ps = pseudo.map_or(0, |(p, proto)| p.sum(proto, b.len() as u32));
    let c = !checksum::fold(checksum::sum(b) + ps);
    b[2..4].copy_from_slice(&c.to_be_bytes());
}

/// What a version's message-type enum tells the shared code.
pub trait MessageType: Copy + Eq + From<u8> + Into<u8> + fmt::Display {
    /// The protocol's name in messages: `ICMP` or `ICMPv6`.
    const PROTOCOL: &'static str;
    /// Echo request (ping).
    const ECHO_REQUEST: Self;
    /// Echo reply.
    const ECHO_REPLY: Self;
    /// Whether messages of this type quote the packet that caused them.
    fn is_error(self) -> bool;
    /// The name of `code` for this type, where it has one.
    fn code_name(self, code: u8) -> Option<&'static str>;
}

/// A decoded ICMP or ICMPv6 message; `M` is the version's message-type enum
/// ([`crate::icmpv4::Message`] or [`crate::icmpv6::Message`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr<'a, M> {
    /// Echo request (ping).
    EchoRequest {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Data echoed back.
        data: &'a [u8],
    },
    /// Echo reply.
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Data echoed back.
        data: &'a [u8],
    },
    /// An error message quoting the datagram that caused it.
    Error {
        /// Type.
        msg_type: M,
        /// Code.
        code: u8,
        /// Bytes 4–7 (MTU, pointer, gateway or zero).
        rest: u32,
        /// The quoted datagram.
        quoted: &'a [u8],
    },
    /// Any other message (neighbour discovery, MLD, timestamps, ...).
    Other {
        /// Type.
        msg_type: M,
        /// Code.
        code: u8,
        /// Bytes 4–7.
        rest: u32,
        /// Data after the header.
        data: &'a [u8],
    },
}

impl<'a, M: MessageType> Repr<'a, M> {
    /// Decodes a message from its header fields and the data after them; the version's
    /// `Packet` has checked the length.
    pub(crate) fn from_parts(msg_type: M, code: u8, rest: u32, data: &'a [u8]) -> Self {
        let (ident, seq_no) = ((rest >> 16) as u16, rest as u16);
        match msg_type {
            t if t == M::ECHO_REQUEST && code == 0 => Repr::EchoRequest {
                ident,
                seq_no,
                data,
            },
            t if t == M::ECHO_REPLY && code == 0 => Repr::EchoReply {
                ident,
                seq_no,
                data,
            },
            t if t.is_error() => Repr::Error {
                msg_type,
                code,
                rest,
                quoted: data,
            },
            _ => Repr::Other {
                msg_type,
                code,
                rest,
                data,
            },
        }
    }

    fn parts(&self) -> (M, u8, u32, &'a [u8]) {
        match *self {
            Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => (
                M::ECHO_REQUEST,
                0,
                (u32::from(ident) << 16) | u32::from(seq_no),
                data,
            ),
            Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => (
                M::ECHO_REPLY,
                0,
                (u32::from(ident) << 16) | u32::from(seq_no),
                data,
            ),
            Repr::Error {
                msg_type,
                code,
                rest,
                quoted,
            } => (msg_type, code, rest, quoted),
            Repr::Other {
                msg_type,
                code,
                rest,
                data,
            } => (msg_type, code, rest, data),
        }
    }

    /// Header plus data.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.parts().3.len()
    }

    /// Writes everything but the checksum, which depends on the version.
    pub(crate) fn write(&self, b: &mut [u8]) {
        let (t, code, rest, data) = self.parts();
        b[0] = t.into();
        b[1] = code;
        b[4..8].copy_from_slice(&rest.to_be_bytes());
        b[8..8 + data.len()].copy_from_slice(data);
    }
}

impl<M: MessageType> fmt::Display for Repr<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = M::PROTOCOL;
        match *self {
            Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => write!(
                f,
                "{proto} echo request id {ident} seq {seq_no} len {}",
                data.len()
            ),
            Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => write!(
                f,
                "{proto} echo reply id {ident} seq {seq_no} len {}",
                data.len()
            ),
            Repr::Error { msg_type, code, .. } | Repr::Other { msg_type, code, .. } => {
                match msg_type.code_name(code) {
                    Some(name) => write!(f, "{proto} {msg_type} ({name})"),
                    None => write!(f, "{proto} {msg_type} code {code}"),
                }
            }
        }
    }
}
