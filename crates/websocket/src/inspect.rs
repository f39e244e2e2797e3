//! Frames as they crossed the wire, for a peer that inspects its own connection.
//!
//! A browser script sees only messages: never the header it sent, nor the masking key, nor the
//! masked bytes. A [`WireFrame`] keeps exactly those, copied from the bytes as they arrived (the
//! [`crate::Decoder`] copies them before it unmasks) or as they were written to the output, so
//! a server can report them back to the page that sent them.
//!
//! Capture is off unless asked for ([`crate::Connection::enable_inspection`]); off, it costs a
//! branch per frame and copies nothing.

use crate::frame::{FrameHeader, MAX_HEADER_LEN};

/// One frame's header bytes and the start of its payload, exactly as on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFrame {
    /// Sent by us (`true`) or received.
    pub outgoing: bool,
    /// The header, decoded.
    pub header: FrameHeader,
    header_bytes: [u8; MAX_HEADER_LEN],
    header_len: u8,
    /// The first bytes of the payload as on the wire: still masked when `header.mask` is set,
    /// still compressed when RSV1 is.
    pub payload_start: Vec<u8>,
    /// On the frame that ends a text or binary message: the message's size after inflating
    /// (equal to the payload length when nothing was compressed).
    pub message_len: Option<usize>,
}

impl WireFrame {
    /// A frame whose header occupied `header_bytes` (at most [`MAX_HEADER_LEN`] bytes) on the
    /// wire, and whose payload began with `payload_start`.
    pub fn new(
        outgoing: bool,
        header: FrameHeader,
        header_bytes: &[u8],
        payload_start: Vec<u8>,
    ) -> Self {
        let len = header_bytes.len().min(MAX_HEADER_LEN);
        let mut bytes = [0; MAX_HEADER_LEN];
        bytes[..len].copy_from_slice(&header_bytes[..len]);
        WireFrame {
            outgoing,
            header,
            header_bytes: bytes,
            header_len: len as u8,
            payload_start,
            message_len: None,
        }
    }

    /// The header as it was on the wire, 2 to 14 bytes, masking key last when there is one.
    pub fn header_bytes(&self) -> &[u8] {
        &self.header_bytes[..usize::from(self.header_len)]
    }

    /// The start of the payload with the mask taken off: what the masked bytes carried.
    pub fn unmasked_start(&self) -> Vec<u8> {
        let mut bytes = self.payload_start.clone();
        if let Some(key) = self.header.mask {
            crate::mask::apply_mask(&mut bytes, key, 0);
        }
        bytes
    }
}
