//! Close frames and status codes (RFC 6455 §5.5.1, §7.4, and the IANA "WebSocket Close Code
//! Number" registry).
//!
//! [`CLOSE_CODES`] lists every defined code with its name, meaning and whether it may be sent.
//! [`CloseCode`] converts from any `u16` without loss: named codes get a variant, the rest are
//! bucketed by [`CloseRange`].

use crate::error::ProtocolError;
use std::fmt;

/// A close status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseCode {
    /// 1000 Normal Closure.
    Normal,
    /// 1001 Going Away.
    GoingAway,
    /// 1002 Protocol Error.
    ProtocolError,
    /// 1003 Unsupported Data.
    Unsupported,
    /// 1004 Reserved.
    Reserved,
    /// 1005 No Status Received (never on the wire).
    NoStatus,
    /// 1006 Abnormal Closure (never on the wire).
    Abnormal,
    /// 1007 Invalid Frame Payload Data.
    InvalidPayload,
    /// 1008 Policy Violation.
    Policy,
    /// 1009 Message Too Big.
    TooBig,
    /// 1010 Mandatory Extension.
    MandatoryExtension,
    /// 1011 Internal Error.
    InternalError,
    /// 1012 Service Restart.
    ServiceRestart,
    /// 1013 Try Again Later.
    TryAgainLater,
    /// 1014 Bad Gateway.
    BadGateway,
    /// 1015 TLS Handshake (never on the wire).
    TlsHandshake,
    /// Any other code, kept as sent; see [`CloseCode::range`].
    Other(u16),
}

/// The ranges RFC 6455 §7.4.2 divides close codes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseRange {
    /// 0–999: not used.
    Unused,
    /// 1000–2999: this protocol, its revisions and extensions (IANA, standards action).
    Protocol,
    /// 3000–3999: libraries, frameworks and applications (IANA, first come first served).
    Library,
    /// 4000–4999: private use, by agreement between the two ends.
    Private,
    /// 5000 and above: outside every range.
    Invalid,
}

/// One row of the close code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseCodeInfo {
    /// The number.
    pub code: u16,
    /// The registry's name.
    pub name: &'static str,
    /// What it means, for a learner.
    pub meaning: &'static str,
    /// Whether an endpoint may put it in a close frame.
    pub on_wire: bool,
}

/// Every code defined by RFC 6455 §7.4.1 and the IANA registry, in numeric order.
#[rustfmt::skip]
pub const CLOSE_CODES: &[CloseCodeInfo] = &[
    CloseCodeInfo { code: 1000, name: "Normal Closure", meaning: "the purpose for which the connection was established has been fulfilled", on_wire: true },
    CloseCodeInfo { code: 1001, name: "Going Away", meaning: "an endpoint is going away, such as a server shutting down or a browser leaving the page", on_wire: true },
    CloseCodeInfo { code: 1002, name: "Protocol Error", meaning: "the endpoint is terminating the connection because of a protocol error", on_wire: true },
    CloseCodeInfo { code: 1003, name: "Unsupported Data", meaning: "the endpoint received a type of data it cannot accept (e.g. binary when it only understands text)", on_wire: true },
    CloseCodeInfo { code: 1004, name: "Reserved", meaning: "reserved; a meaning might be defined in the future", on_wire: false },
    CloseCodeInfo { code: 1005, name: "No Status Received", meaning: "reported locally when a close frame carried no status code", on_wire: false },
    CloseCodeInfo { code: 1006, name: "Abnormal Closure", meaning: "reported locally when the connection closed without a close frame", on_wire: false },
    CloseCodeInfo { code: 1007, name: "Invalid Frame Payload Data", meaning: "a message's data was inconsistent with its type (e.g. non-UTF-8 in a text message)", on_wire: true },
    CloseCodeInfo { code: 1008, name: "Policy Violation", meaning: "a message violated the endpoint's policy; used when no more specific code fits", on_wire: true },
    CloseCodeInfo { code: 1009, name: "Message Too Big", meaning: "a message was too big for the endpoint to process", on_wire: true },
    CloseCodeInfo { code: 1010, name: "Mandatory Extension", meaning: "the client expected the server to negotiate extensions it did not", on_wire: true },
    CloseCodeInfo { code: 1011, name: "Internal Error", meaning: "the server met an unexpected condition that prevented it from fulfilling the request", on_wire: true },
    CloseCodeInfo { code: 1012, name: "Service Restart", meaning: "the server is restarting; a client may reconnect after a short randomised delay", on_wire: true },
    CloseCodeInfo { code: 1013, name: "Try Again Later", meaning: "the server is overloaded; a client should connect elsewhere or try again later", on_wire: true },
    CloseCodeInfo { code: 1014, name: "Bad Gateway", meaning: "a gateway or proxy received an invalid response from the upstream server", on_wire: true },
    CloseCodeInfo { code: 1015, name: "TLS Handshake", meaning: "reported locally when the TLS handshake failed", on_wire: false },
];

impl CloseCode {
    /// The range this code falls in.
    pub fn range(self) -> CloseRange {
        match u16::from(self) {
            0..=999 => CloseRange::Unused,
            1000..=2999 => CloseRange::Protocol,
            3000..=3999 => CloseRange::Library,
            4000..=4999 => CloseRange::Private,
            _ => CloseRange::Invalid,
        }
    }

    /// The table row for a defined code.
    pub fn info(self) -> Option<&'static CloseCodeInfo> {
        let code = u16::from(self);
        CLOSE_CODES.iter().find(|row| row.code == code)
    }

    /// The registry name, or a description of the range for codes without one.
    pub fn name(self) -> &'static str {
        match (self.info(), self.range()) {
            (Some(row), _) => row.name,
            (None, CloseRange::Protocol) => "Unassigned",
            (None, CloseRange::Library) => "Library/Framework",
            (None, CloseRange::Private) => "Private Use",
            (None, _) => "Invalid",
        }
    }

    /// Whether an endpoint may send this code in a close frame, and so whether one received is
    /// acceptable: the defined codes except 1004/1005/1006/1015, and 3000–4999. Unassigned
    /// codes in 1016–2999 are refused because no endpoint can know their meaning yet.
    pub fn is_allowed_on_wire(self) -> bool {
        match self.info() {
            Some(row) => row.on_wire,
            None => matches!(self.range(), CloseRange::Library | CloseRange::Private),
        }
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        match code {
            1000 => Self::Normal,
            1001 => Self::GoingAway,
            1002 => Self::ProtocolError,
            1003 => Self::Unsupported,
            1004 => Self::Reserved,
            1005 => Self::NoStatus,
            1006 => Self::Abnormal,
            1007 => Self::InvalidPayload,
            1008 => Self::Policy,
            1009 => Self::TooBig,
            1010 => Self::MandatoryExtension,
            1011 => Self::InternalError,
            1012 => Self::ServiceRestart,
            1013 => Self::TryAgainLater,
            1014 => Self::BadGateway,
            1015 => Self::TlsHandshake,
            n => Self::Other(n),
        }
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> u16 {
        match code {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::ProtocolError => 1002,
            CloseCode::Unsupported => 1003,
            CloseCode::Reserved => 1004,
            CloseCode::NoStatus => 1005,
            CloseCode::Abnormal => 1006,
            CloseCode::InvalidPayload => 1007,
            CloseCode::Policy => 1008,
            CloseCode::TooBig => 1009,
            CloseCode::MandatoryExtension => 1010,
            CloseCode::InternalError => 1011,
            CloseCode::ServiceRestart => 1012,
            CloseCode::TryAgainLater => 1013,
            CloseCode::BadGateway => 1014,
            CloseCode::TlsHandshake => 1015,
            CloseCode::Other(n) => n,
        }
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", u16::from(*self), self.name())
    }
}

/// The decoded payload of a close frame that carried a status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code (first two bytes, network order).
    pub code: CloseCode,
    /// The UTF-8 reason that follows, possibly empty.
    pub reason: String,
}

impl CloseFrame {
    /// Parses a close frame's (unmasked) payload. An empty payload is allowed and gives `None`,
    /// which the receiver reports as 1005 (RFC 6455 §7.1.5). A single byte, a code that may not
    /// be sent, or a reason that is not UTF-8 are errors.
    pub fn parse(payload: &[u8]) -> Result<Option<CloseFrame>, ProtocolError> {
        match Self::split(payload) {
            None if payload.is_empty() => Ok(None),
            None => Err(ProtocolError::CloseFrameTooShort),
            Some((code, reason)) => {
                if !code.is_allowed_on_wire() {
                    return Err(ProtocolError::InvalidCloseCode(code.into()));
                }
                let reason = std::str::from_utf8(reason)
                    .map_err(|_| ProtocolError::InvalidCloseReason)?
                    .to_owned();
                Ok(Some(CloseFrame { code, reason }))
            }
        }
    }

    /// Splits a close payload into its code and raw reason bytes without judging either:
    /// what an observer (a sniffer) shows, where a peer would apply [`CloseFrame::parse`]'s
    /// rules. `None` when the payload is too short to hold a code.
    pub fn split(payload: &[u8]) -> Option<(CloseCode, &[u8])> {
        match payload {
            [hi, lo, reason @ ..] => {
                Some((CloseCode::from(u16::from_be_bytes([*hi, *lo])), reason))
            }
            _ => None,
        }
    }

    /// The close frame payload: code then reason. A reason is cut (at a character boundary) so
    /// the payload fits the 125-byte control frame limit.
    pub fn payload(&self) -> Vec<u8> {
        let mut reason = self.reason.as_str();
        while reason.len() > 123 {
            let mut cut = 123;
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            reason = &reason[..cut];
        }
        let mut out = Vec::with_capacity(2 + reason.len());
        out.extend_from_slice(&u16::from(self.code).to_be_bytes());
        out.extend_from_slice(reason.as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_ordered_and_matches_the_enum() {
        let codes: Vec<u16> = CLOSE_CODES.iter().map(|row| row.code).collect();
        assert_eq!(codes, (1000..=1015).collect::<Vec<_>>());
        for row in CLOSE_CODES {
            let code = CloseCode::from(row.code);
            assert!(
                !matches!(code, CloseCode::Other(_)),
                "{} has no variant",
                row.code
            );
            assert_eq!(u16::from(code), row.code);
            assert_eq!(code.name(), row.name);
            assert!(!row.meaning.is_empty());
        }
    }

    #[test]
    fn never_on_wire_codes() {
        for code in [1004, 1005, 1006, 1015] {
            assert!(!CloseCode::from(code).is_allowed_on_wire(), "{code}");
        }
        for code in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
        ] {
            assert!(CloseCode::from(code).is_allowed_on_wire(), "{code}");
        }
    }

    #[test]
    fn ranges() {
        let cases = [
            (0, CloseRange::Unused, false),
            (999, CloseRange::Unused, false),
            (1016, CloseRange::Protocol, false),
            (2999, CloseRange::Protocol, false),
            (3000, CloseRange::Library, true),
            (3999, CloseRange::Library, true),
            (4000, CloseRange::Private, true),
            (4999, CloseRange::Private, true),
            (5000, CloseRange::Invalid, false),
            (65535, CloseRange::Invalid, false),
        ];
        for (n, range, allowed) in cases {
            let code = CloseCode::from(n);
            assert_eq!(code, CloseCode::Other(n));
            assert_eq!(code.range(), range, "{n}");
            assert_eq!(code.is_allowed_on_wire(), allowed, "{n}");
        }
    }

    #[test]
    fn parse_close_payloads() {
        // Hand-built: 1000 + "bye".
        assert_eq!(
            CloseFrame::parse(&[0x03, 0xE8, b'b', b'y', b'e']),
            Ok(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into()
            }))
        );
        assert_eq!(CloseFrame::parse(&[]), Ok(None));
        assert_eq!(
            CloseFrame::parse(&[0x03]),
            Err(ProtocolError::CloseFrameTooShort)
        );
        // 1005 may never be sent.
        assert_eq!(
            CloseFrame::parse(&[0x03, 0xED]),
            Err(ProtocolError::InvalidCloseCode(1005))
        );
        // 999 is below every range.
        assert_eq!(
            CloseFrame::parse(&[0x03, 0xE7]),
            Err(ProtocolError::InvalidCloseCode(999))
        );
        // A lone continuation byte is not UTF-8: 1007, not 1002.
        let err = CloseFrame::parse(&[0x03, 0xE8, 0x80]).unwrap_err();
        assert_eq!(err, ProtocolError::InvalidCloseReason);
        assert_eq!(err.close_code(), CloseCode::InvalidPayload);
        assert_eq!(
            CloseFrame::parse(&[0x0F, 0xA0]),
            Ok(Some(CloseFrame {
                code: CloseCode::Other(4000),
                reason: String::new()
            }))
        );
    }

    #[test]
    fn payload_is_cut_to_fit_a_control_frame_on_a_char_boundary() {
        let frame = CloseFrame {
            code: CloseCode::GoingAway,
            reason: "é".repeat(100),
        };
        let payload = frame.payload();
        assert!(payload.len() <= 125);
        assert_eq!(payload.len(), 2 + 122);
        let back = CloseFrame::parse(&payload).unwrap().unwrap();
        assert_eq!(back.code, CloseCode::GoingAway);
        assert_eq!(back.reason, "é".repeat(61));
    }
}
