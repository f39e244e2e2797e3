//! Any bytes, cut at positions the input chooses, through the observer-rule decoder: must
//! never panic, and the frames must not depend on the cuts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use websocket::{Decoder, DecoderConfig};

fn decode(chunks: &[&[u8]]) -> Vec<Result<websocket::Frame, websocket::ProtocolError>> {
    let mut decoder = Decoder::new(DecoderConfig { max_frame_size: 1 << 16, ..DecoderConfig::observer() });
    let mut out = Vec::new();
    for chunk in chunks {
        let mut input = *chunk;
        while !input.is_empty() {
            match decoder.decode(&mut input) {
                Ok(Some(frame)) => out.push(Ok(frame)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e));
                    return out;
                }
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, bytes)) = data.split_first() else { return };
    let at = usize::from(cut).min(bytes.len());
    let whole = decode(&[bytes]);
    let split = decode(&[&bytes[..at], &bytes[at..]]);
    let ones: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(whole, split);
    assert_eq!(whole, decode(&ones));
});
