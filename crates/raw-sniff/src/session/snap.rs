//! `-s SNAPLEN`: how much of each frame a live capture keeps.

use crate::capture::CapturedFrame;

/// `frame` with at most `snaplen` bytes kept; its length on the wire stays what it was, so
/// printers and the `-w` file see it as cut short by the capture, as with tcpdump's `-s`.
pub(super) fn cut(frame: CapturedFrame<'_>, snaplen: u32) -> CapturedFrame<'_> {
    let keep = frame.data.len().min(snaplen as usize);
    CapturedFrame {
        data: &frame.data[..keep],
        ..frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{LinkType, Timestamp};

    #[test]
    fn cut_keeps_the_length_on_the_wire() {
        let data = [7u8; 100];
        let frame = CapturedFrame {
            ts: Timestamp { secs: 0, nanos: 0 },
            link: LinkType::Raw,
            data: &data,
            orig_len: 100,
            csum_not_ready: false,
        };
        let short = cut(frame, 60);
        assert_eq!((short.data.len(), short.orig_len), (60, 100));
        assert_eq!(cut(frame, 262_144).data.len(), 100);
    }
}
