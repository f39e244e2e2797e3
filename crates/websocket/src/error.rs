//! Typed errors. Every protocol violation is its own variant so a server can answer with the close
//! code RFC 6455 §7.4.1 asks for, and a learner can read which rule was broken.

use crate::close::CloseCode;

/// A violation of RFC 6455 (or RFC 7692) found in the bytes a peer sent, or a configured limit
/// that the peer went over. After one of these the connection must be failed (RFC 6455 §7.1.7)
/// with [`ProtocolError::close_code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// RSV1–3 bits set that no negotiated extension defines (RFC 6455 §5.2).
    #[error("reserved bits {rsv:#05b} set without an extension that defines them (RFC 6455 §5.2)")]
    ReservedBits {
        /// The three RSV bits, RSV1 as the most significant (`0b100`).
        rsv: u8,
    },
    /// Opcodes 0x3–0x7 and 0xB–0xF are reserved (RFC 6455 §5.2).
    #[error("reserved opcode {0:#x} (RFC 6455 §5.2)")]
    ReservedOpcode(u8),
    /// A length sent in a longer form than needed (RFC 6455 §5.2: "the minimal number of bytes
    /// MUST be used").
    #[error("payload length {len} sent in the {form}-bit form; the shortest form is required (RFC 6455 §5.2)")]
    NonMinimalLength {
        /// The decoded length.
        len: u64,
        /// The form used: 16 or 64.
        form: u8,
    },
    /// The 64-bit length form with its most significant bit set (RFC 6455 §5.2).
    #[error("64-bit payload length has its most significant bit set (RFC 6455 §5.2)")]
    LengthHighBit,
    /// A client-to-server frame without a mask (RFC 6455 §5.1).
    #[error("client frame is not masked (RFC 6455 §5.1)")]
    UnmaskedFrame,
    /// A server-to-client frame with a mask (RFC 6455 §5.1).
    #[error("server frame is masked (RFC 6455 §5.1)")]
    MaskedFrame,
    /// A control frame whose payload is longer than 125 bytes (RFC 6455 §5.5).
    #[error("control frame payload of {0} bytes is over 125 (RFC 6455 §5.5)")]
    ControlFrameTooLong(u64),
    /// A control frame with FIN clear (RFC 6455 §5.5).
    #[error("fragmented control frame (RFC 6455 §5.5)")]
    FragmentedControlFrame,
    /// A continuation frame when no fragmented message is open (RFC 6455 §5.4).
    #[error("continuation frame with no message to continue (RFC 6455 §5.4)")]
    UnexpectedContinuation,
    /// A text or binary frame while a fragmented message is still open (RFC 6455 §5.4).
    #[error("new data frame while a fragmented message is unfinished (RFC 6455 §5.4)")]
    UnfinishedMessage,
    /// A frame whose declared payload is over the configured maximum.
    #[error("frame payload of {len} bytes is over the maximum of {max}")]
    FrameTooLarge {
        /// The declared payload length.
        len: u64,
        /// The configured maximum.
        max: u64,
    },
    /// A message whose size so far is over the configured maximum.
    #[error("message of at least {len} bytes is over the maximum of {max}")]
    MessageTooLarge {
        /// The size reached when the limit was crossed.
        len: u64,
        /// The configured maximum.
        max: u64,
    },
    /// A text message (or close reason) whose bytes can no longer be UTF-8 (RFC 6455 §8.1).
    #[error("invalid UTF-8 in text message at byte {offset} (RFC 6455 §8.1)")]
    InvalidUtf8 {
        /// Offset within the (uncompressed) message of the first byte that cannot be valid.
        offset: u64,
    },
    /// A close frame with a one-byte payload: a code needs two (RFC 6455 §5.5.1).
    #[error("close frame with a 1-byte payload (RFC 6455 §5.5.1)")]
    CloseFrameTooShort,
    /// A close code that may not be sent (RFC 6455 §7.4).
    #[error("close code {0} may not be sent on the wire (RFC 6455 §7.4)")]
    InvalidCloseCode(u16),
    /// A close reason that is not UTF-8 (RFC 6455 §5.5.1).
    #[error("close reason is not valid UTF-8 (RFC 6455 §5.5.1)")]
    InvalidCloseReason,
    /// RSV1 on a continuation or control frame under permessage-deflate (RFC 7692 §6.1).
    #[error("RSV1 set on a {0} frame; only a message's first frame may carry it (RFC 7692 §6.1)")]
    CompressedNonFirstFrame(&'static str),
    /// A compressed message that does not inflate (RFC 7692 §6.2).
    #[error("compressed message does not inflate: {0} (RFC 7692 §6.2)")]
    Inflate(String),
    /// Buffering more of a frame or message would pass the server's memory budget
    /// ([`crate::budget::Budget`]): not the peer's fault alone, so it may try again later.
    #[error("buffering {wanted} bytes would pass the memory budget of {limit} shared by all connections")]
    BudgetSpent {
        /// The buffer size that was refused.
        wanted: u64,
        /// The budget's limit.
        limit: u64,
    },
    /// A data frame after the peer's close frame (RFC 6455 §5.5.1).
    #[error("frame received after the peer's close frame (RFC 6455 §5.5.1)")]
    FrameAfterClose,
}

impl ProtocolError {
    /// The close code RFC 6455 §7.4.1 asks for when failing the connection for this error:
    /// 1007 for bad payload data, 1009 for a message too big, 1013 when the server's memory
    /// budget is spent, 1002 for the rest.
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::InvalidUtf8 { .. } | Self::InvalidCloseReason | Self::Inflate(_) => {
                CloseCode::InvalidPayload
            }
            Self::FrameTooLarge { .. } | Self::MessageTooLarge { .. } => CloseCode::TooBig,
            // RFC 6455 §7.4.1 1009 is for a message too big for the endpoint; this one is not,
            // the server is short of memory for now. IANA's 1013 says exactly that.
            Self::BudgetSpent { .. } => CloseCode::TryAgainLater,
            _ => CloseCode::ProtocolError,
        }
    }
}

/// Why an opening handshake failed. Server-side errors know their HTTP status
/// ([`HandshakeError::status`]); all know a close code for uniformity, though no WebSocket
/// connection exists yet to send it on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// `httparse` rejected the bytes as HTTP.
    #[error("malformed HTTP: {0}")]
    Http(String),
    /// The request or response head is over the size limit.
    #[error("HTTP head is over {0} bytes")]
    TooLarge(usize),
    /// The method is not GET (RFC 6455 §4.1 item 2).
    #[error("method {0} is not GET (RFC 6455 §4.1)")]
    Method(String),
    /// The HTTP version is older than 1.1 (RFC 6455 §4.1 item 2).
    #[error("HTTP version 1.{0} is older than 1.1 (RFC 6455 §4.1)")]
    Version(u8),
    /// No `Host` header (RFC 6455 §4.1 item 4).
    #[error("missing Host header (RFC 6455 §4.1)")]
    MissingHost,
    /// More than one `Host` header: which one names the server is ambiguous (RFC 9112 §3.2).
    #[error("duplicate Host header (RFC 9112 §3.2)")]
    DuplicateHost,
    /// The upgrade request carries a body (`Content-Length` above 0, or `Transfer-Encoding`).
    /// Whatever follows the head must be WebSocket frames, so a body would be read as frames.
    #[error("an upgrade request may not carry a body (Content-Length or Transfer-Encoding)")]
    RequestBody,
    /// No `Upgrade: websocket` (RFC 6455 §4.2.1 item 3).
    #[error("no websocket token in the Upgrade header (RFC 6455 §4.2.1)")]
    NotUpgrade,
    /// No `upgrade` token in `Connection` (RFC 6455 §4.2.1 item 4).
    #[error("no upgrade token in the Connection header (RFC 6455 §4.2.1)")]
    ConnectionNotUpgrade,
    /// `Sec-WebSocket-Version` is missing or not 13 (RFC 6455 §4.2.1 item 6, answered with 426).
    #[error("Sec-WebSocket-Version is {0:?}, only 13 is supported (RFC 6455 §4.4)")]
    UnsupportedVersion(Option<String>),
    /// `Sec-WebSocket-Key` is missing, repeated, or not 16 bytes in base64 (RFC 6455 §4.2.1 item 5).
    #[error("Sec-WebSocket-Key {0:?} is not 16 bytes in base64 (RFC 6455 §4.2.1)")]
    BadKey(Option<String>),
    /// A server's status line is not 101 (RFC 6455 §4.1, client side).
    #[error("server answered {0} instead of 101 Switching Protocols")]
    Status(u16),
    /// A server's `Sec-WebSocket-Accept` does not match our key (RFC 6455 §4.1, client side).
    #[error(
        "Sec-WebSocket-Accept {found:?} does not match the expected {expected:?} (RFC 6455 §4.1)"
    )]
    BadAccept {
        /// What the server sent.
        found: Option<String>,
        /// What sha1(key + GUID) gives.
        expected: String,
    },
    /// The server accepted an extension the client did not offer (RFC 6455 §4.1, client side).
    #[error("server accepted an extension that was not offered: {0}")]
    UnofferedExtension(String),
}

impl HandshakeError {
    /// The HTTP status a server answers this error with: 426 Upgrade Required when the client
    /// asked for another WebSocket version or did not ask to upgrade (RFC 6455 §4.2.2, RFC 9110
    /// §15.5.22), 431 for an oversized head (RFC 6585 §5), otherwise 400 Bad Request.
    pub fn status(&self) -> u16 {
        match self {
            Self::UnsupportedVersion(_) | Self::NotUpgrade | Self::ConnectionNotUpgrade => 426,
            Self::TooLarge(_) => 431,
            _ => 400,
        }
    }

    /// Always 1002: a handshake that goes wrong is a protocol error, though no frame can carry it.
    pub fn close_code(&self) -> CloseCode {
        CloseCode::ProtocolError
    }
}
