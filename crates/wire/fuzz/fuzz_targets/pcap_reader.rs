//! Reads arbitrary bytes as a capture file and decodes every packet it yields: the reader
//! must end with `Ok(None)` or one error, never panic or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::pcap::{Reader, MAX_RECORD_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = Reader::new(data) else { return };
    let mut n = 0usize;
    loop {
        match r.next_packet() {
            Ok(Some(p)) => {
                assert!(p.data.len() <= MAX_RECORD_LEN + 64);
                let d = wire::decode(p.link, p.data);
                let _ = (d.transport_checksum(), d.stop);
                n += 1;
            }
            Ok(None) | Err(_) => break,
        }
    }
    // Each record takes at least 12 bytes of file, so the count is bounded by the input.
    assert!(n <= data.len() / 12 + 1);
    assert!(matches!(r.next_packet(), Ok(None)));
});
