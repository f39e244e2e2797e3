//! Damaged and hostile capture files: every one decodes, or stops with a clear error after
//! what it could read. None may make raw-sniff panic, in any output format.

mod common;

use std::process::Command;

use common::BIN;
use test_support::{run, Rng};

fn corpus() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../wire/tests/data");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Bytes flipped in the packet data, lengths changed, files cut anywhere.
fn mutations(seed: u64, originals: &[Vec<u8>], count: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|_| {
            let mut file = originals[rng.below(originals.len())].clone();
            match rng.below(4) {
                0 => file.truncate(rng.below(file.len() + 1)),
                1 => {
                    // Keep the file header so the reader gets to the packets.
                    for _ in 0..1 + rng.below(8) {
                        let at = 24 + rng.below(file.len().saturating_sub(24).max(1));
                        if at < file.len() {
                            file[at] = rng.next_u64() as u8;
                        }
                    }
                }
                2 => {
                    // A hostile record length in the first record header.
                    if file.len() > 40 {
                        let len = [0xffu8, 0xff, 0xff, 0x7f];
                        let at = 24 + 8 + rng.below(2) * 4;
                        file[at..at + 4].copy_from_slice(&len);
                    }
                }
                _ => {
                    let junk: Vec<u8> = (0..rng.below(200)).map(|_| rng.next_u64() as u8).collect();
                    let at = rng.below(file.len() + 1);
                    file.splice(at..at, junk);
                }
            }
            file
        })
        .collect()
}

#[test]
fn no_file_makes_it_panic_in_any_output_format() {
    let dir = std::env::temp_dir().join(format!("raw-sniff-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let originals = corpus();
    for (i, file) in mutations(0x5eed_cafe, &originals, 120).iter().enumerate() {
        let path = dir.join(format!("case-{i}.pcap"));
        std::fs::write(&path, file).unwrap();
        for format in ["line", "verbose", "explain", "json"] {
            let out =
                run(Command::new(BIN).args(["-r", path.to_str().unwrap(), "--output", format]));
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "case {i} ({format}) ended with {:?}: {err}",
                out.status
            );
            assert!(!err.contains("panicked"), "case {i} ({format}): {err}");
            if !out.status.success() {
                let last = err.lines().last().unwrap_or_default();
                assert!(last.starts_with("raw-sniff: "), "case {i}: {err}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
