//! Comparing raw-sniff's printed lines with tcpdump's, shared by the line tests (included with
//! `#[path = "tcpdump_lines.rs"] mod lines;`, next to `filter_packets.rs` for building
//! captures).
//!
//! Both programs read the same capture file with the same flags and the same `TZ`, and every
//! line must be equal byte for byte; a failure shows each differing pair.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The raw-sniff binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_raw-sniff");

/// A capture file written into a fresh directory, removed with it when dropped.
pub struct Capture {
    dir: PathBuf,
    pub path: PathBuf,
}

impl Capture {
    /// Writes `bytes` (a whole pcap or pcapng file) under a name unique to this test.
    pub fn new(name: &str, bytes: &[u8]) -> Capture {
        let dir = std::env::temp_dir().join(format!(
            "raw-sniff-lines-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let path = dir.join(format!("{name}.pcap"));
        std::fs::write(&path, bytes).expect("write capture");
        Capture { dir, path }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What `tcpdump FLAGS -r FILE` prints on stdout, in time zone `tz`.
pub fn tcpdump_lines(file: &Path, flags: &[&str], tz: &str) -> String {
    let out = Command::new("tcpdump")
        .args(flags)
        .arg("-r")
        .arg(file)
        .env("TZ", tz)
        .output()
        .expect("run tcpdump");
    assert!(
        out.status.success(),
        "tcpdump {flags:?} -r {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tcpdump prints UTF-8 here")
}

/// What `raw-sniff --no-color FLAGS -r FILE` prints on stdout, in time zone `tz`.
pub fn raw_sniff_lines(file: &Path, flags: &[&str], tz: &str) -> String {
    let out = Command::new(BIN)
        .arg("--no-color")
        .args(flags)
        .arg("-r")
        .arg(file)
        .env("TZ", tz)
        .output()
        .expect("run raw-sniff");
    assert!(
        out.status.success(),
        "raw-sniff {flags:?} -r {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("raw-sniff prints UTF-8")
}

/// Asserts that raw-sniff and tcpdump print the same lines for `file`, given the same flags
/// (`-n` is always passed to tcpdump; raw-sniff never resolves names) in time zone `tz`.
pub fn assert_same_lines(file: &Path, flags: &[&str], tz: &str) {
    let mut theirs_flags = vec!["-n"];
    theirs_flags.extend_from_slice(flags);
    let theirs = tcpdump_lines(file, &theirs_flags, tz);
    let ours = raw_sniff_lines(file, flags, tz);
    if ours == theirs {
        return;
    }
    let mut report = String::new();
    let (a, b): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), theirs.lines().collect());
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i).copied(), b.get(i).copied());
        if x != y {
            report.push_str(&format!(
                "line {}:\n  raw-sniff: {}\n  tcpdump:   {}\n",
                i + 1,
                x.unwrap_or("(none)"),
                y.unwrap_or("(none)")
            ));
        }
    }
    panic!(
        "raw-sniff {flags:?} and tcpdump -n {flags:?} differ on {} (TZ={tz}):\n{report}",
        file.display()
    );
}
