//! Frame opcodes (RFC 6455 §5.2, §11.8). Conversions are total: reserved values are kept, not
//! lost, so a decoder can name what it rejects.

use std::fmt;

/// The 4-bit opcode of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: first frame of a UTF-8 text message.
    Text,
    /// 0x2: first frame of a binary message.
    Binary,
    /// 0x3–0x7: reserved for future data frames.
    ReservedData(u8),
    /// 0x8: close (RFC 6455 §5.5.1).
    Close,
    /// 0x9: ping (RFC 6455 §5.5.2).
    Ping,
    /// 0xA: pong (RFC 6455 §5.5.3).
    Pong,
    /// 0xB–0xF: reserved for future control frames.
    ReservedControl(u8),
}

impl OpCode {
    /// Control frames have the high bit of the opcode set (RFC 6455 §5.5).
    pub fn is_control(self) -> bool {
        u8::from(self) & 0x8 != 0
    }

    /// Whether this opcode is one of the reserved values.
    pub fn is_reserved(self) -> bool {
        matches!(self, Self::ReservedData(_) | Self::ReservedControl(_))
    }

    /// Lower-case name as a learner sees it in `--verbose` output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Continuation => "continuation",
            Self::Text => "text",
            Self::Binary => "binary",
            Self::ReservedData(_) => "reserved-data",
            Self::Close => "close",
            Self::Ping => "ping",
            Self::Pong => "pong",
            Self::ReservedControl(_) => "reserved-control",
        }
    }
}

impl From<u8> for OpCode {
    /// Takes the low 4 bits, so every byte maps to an opcode and nothing panics.
    fn from(byte: u8) -> Self {
        match byte & 0x0F {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            n @ 0x3..=0x7 => Self::ReservedData(n),
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            n => Self::ReservedControl(n),
        }
    }
}

impl From<OpCode> for u8 {
    fn from(op: OpCode) -> u8 {
        match op {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::ReservedData(n) | OpCode::ReservedControl(n) => n & 0x0F,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }
}

impl fmt::Display for OpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedData(n) | Self::ReservedControl(n) => write!(f, "reserved({n:#x})"),
            _ => f.write_str(self.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nibble_round_trips() {
        for n in 0u8..16 {
            let op = OpCode::from(n);
            assert_eq!(u8::from(op), n);
            assert_eq!(op.is_control(), n >= 8);
            assert_eq!(op.is_reserved(), matches!(n, 3..=7 | 11..=15));
        }
    }

    #[test]
    fn high_bits_are_masked_not_panicking() {
        assert_eq!(OpCode::from(0x81), OpCode::Text);
        assert_eq!(OpCode::from(0xFF), OpCode::ReservedControl(0xF));
    }
}
