//! Payload masking (RFC 6455 §5.3): byte `i` is XORed with `key[i % 4]`.
//!
//! [`apply_mask_simple`] is the definition; [`apply_mask`] does the same eight bytes at a time
//! with safe `u64` arithmetic, and the tests check that both agree at every length, alignment and
//! key phase.

/// The definition, one byte at a time. `phase` is how many payload bytes came before `buf`, so a
/// payload can be unmasked in pieces.
pub fn apply_mask_simple(buf: &mut [u8], key: [u8; 4], phase: usize) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[(i + phase) & 3];
    }
}

/// Same result as [`apply_mask_simple`], a 64-bit word at a time. The key is rotated to `phase`
/// once and doubled into a word; since XOR is bytewise, byte order does not matter as long as the
/// word is built and stored with the same (native) order.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let k = [
        key[phase & 3],
        key[(phase + 1) & 3],
        key[(phase + 2) & 3],
        key[(phase + 3) & 3],
    ];
    let word = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
    }
    // The chunks covered a multiple of 8 (so of 4) bytes: the tail starts at key phase 0 of `k`.
    apply_mask_simple(chunks.into_remainder(), k, 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fast_equals_simple_at_every_length_alignment_and_phase() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let source: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for align in 0..8 {
            for len in 0..=(source.len() - align).min(200) {
                for phase in 0..4 {
                    let mut simple = source.clone();
                    let mut fast = source.clone();
                    apply_mask_simple(&mut simple[align..align + len], key, phase);
                    apply_mask(&mut fast[align..align + len], key, phase);
                    assert_eq!(simple, fast, "align {align} len {len} phase {phase}");
                }
            }
        }
    }

    #[test]
    fn rfc6455_section_5_7_masked_hello() {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d is 7f 9f 4d 51 58.
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }

    #[test]
    fn masking_in_pieces_equals_masking_whole() {
        let key = [1, 2, 3, 4];
        let mut whole = b"the quick brown fox jumps".to_vec();
        let mut pieces = whole.clone();
        apply_mask(&mut whole, key, 0);
        let (a, b) = pieces.split_at_mut(7);
        apply_mask(a, key, 0);
        apply_mask(b, key, 7);
        assert_eq!(whole, pieces);
    }

    proptest! {
        #[test]
        fn fast_equals_simple(data in proptest::collection::vec(any::<u8>(), 0..600),
                              key in any::<[u8; 4]>(), phase in 0usize..8) {
            let mut simple = data.clone();
            let mut fast = data;
            apply_mask_simple(&mut simple, key, phase);
            apply_mask(&mut fast, key, phase);
            prop_assert_eq!(simple, fast);
        }
    }
}
