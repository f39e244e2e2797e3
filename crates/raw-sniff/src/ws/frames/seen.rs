//! What a direction's decoder reports: frames as seen on the wire, whole messages, and notes
//! about gaps, resynchronisation and giving up.

use websocket::FrameHeader;

/// A frame as seen on the wire.
#[derive(Debug, Clone)]
pub struct SeenFrame {
    /// Its header.
    pub header: FrameHeader,
    /// The 7-bit length field as sent: the length, or 126/127 for the extended forms.
    pub len_field: u8,
    /// Header bytes.
    pub header_len: usize,
    /// Payload, unmasked; only the first bytes when `payload.len() < header.payload_len`.
    pub payload: Vec<u8>,
    /// Payload bytes after `payload` that were decoded and checked whole but not kept, as
    /// the printer shows a frame by its first bytes only (see `DirDecoder::previewing`);
    /// 0 otherwise. `payload.len() + elided < header.payload_len` still means bytes were
    /// never decoded at all.
    pub elided: u64,
    /// Payload bytes lost in a capture gap (filled with zeros in `payload`).
    pub lost: u64,
    /// Rules the frame breaks.
    pub violations: Vec<String>,
    /// Whether the payload is (part of) an uncompressed text message.
    pub text: bool,
    /// Stream offset of the frame's first byte.
    pub offset: u64,
    /// On the last frame of a compressed message: the message inflated.
    pub inflated: Option<Vec<u8>>,
    /// When permessage-deflate was negotiated: whether RSV1 marks this frame compressed.
    pub pmc: Option<bool>,
    /// Whether the frame went into a message being assembled (which will stand for it).
    pub assembled: bool,
}

/// A whole data message, fragments joined and inflated.
#[derive(Debug, Clone)]
pub struct SeenMessage {
    /// Text or binary.
    pub text: bool,
    /// The message (inflated when it was compressed).
    pub data: Vec<u8>,
    /// Bytes on the wire when the message was compressed.
    pub compressed_len: Option<u64>,
    /// Frames it came in.
    pub frames: u32,
    /// Stream offset of its first frame.
    pub offset: u64,
}

/// Something a direction has to say besides frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A gap in the capture.
    Gap {
        /// Stream offset of the first byte lost.
        offset: u64,
        /// Bytes lost.
        len: u64,
        /// What the loss did to framing.
        outcome: GapOutcome,
    },
    /// A frame boundary was found again.
    Resync {
        /// Stream offset of the frame header found.
        offset: u64,
        /// Bytes passed over while looking for it.
        skipped: u64,
    },
    /// Decoding of this direction stopped for good.
    GaveUp {
        /// Stream offset where decoding stopped.
        offset: u64,
        /// Why.
        why: String,
    },
}

/// What a gap did to framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapOutcome {
    /// The bytes lost were inside one frame's payload: framing is intact.
    InsidePayload,
    /// Framing is lost; the next plausible frame header is being looked for.
    Hunting,
}

/// What decoding produced, in stream order.
#[derive(Debug, Clone)]
pub enum Output {
    /// A frame, decoded.
    Frame(SeenFrame),
    /// A whole data message, assembled.
    Message(SeenMessage),
    /// Something else worth saying.
    Note(Note),
}
