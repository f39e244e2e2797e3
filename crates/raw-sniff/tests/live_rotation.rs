//! `-C`, `-G` and `-W`: the `-w` file rotated as tcpdump rotates it. Against tcpdump itself on
//! a file (the same names and the same bytes, file for file), and live on loopback: every
//! packet sent lands in exactly one file, every file is complete on its own (tshark opens it),
//! and files end where the size or the period says.

mod common;
#[path = "filter_packets.rs"]
mod packets;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{can_capture, Sniffer, BIN};
use packets::TempDir;
use test_support::{have, run};

/// Bytes of UDP payload per datagram sent: each frame on `lo` is 14 + 20 + 8 + this.
const PAYLOAD: usize = 1000;
/// Where the sequence number sits in a captured frame: after the Ethernet, IPv4 and UDP
/// headers.
const SEQ_AT: usize = 14 + 20 + 8;
/// The largest record one of those frames makes: a pcapng enhanced packet block (12 bytes of
/// block framing, 20 of fields, the frame padded to 4); a pcap record is smaller.
const RECORD_MAX: u64 = 12 + 20 + (SEQ_AT + PAYLOAD).div_ceil(4) as u64 * 4;

fn scratch(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("raw-sniff-rotate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // World-writable: tcpdump run as root writes its files as the tcpdump user.
    let _ = Command::new("chmod").arg("1777").arg(&dir).status();
    TempDir(dir)
}

/// The files in `dir`, by name.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A classic pcap of `n` Ethernet frames of 1042 bytes, each different (its number in the
/// payload), for the rotation to cut into files.
fn numbered_capture(n: u32) -> Vec<u8> {
    let records: Vec<(Vec<u8>, u32)> = (0..n)
        .map(|i| {
            let mut frame = vec![0u8; SEQ_AT + PAYLOAD];
            frame[12..14].copy_from_slice(&[0x08, 0x00]);
            frame[SEQ_AT..SEQ_AT + 4].copy_from_slice(&i.to_be_bytes());
            (frame, (SEQ_AT + PAYLOAD) as u32)
        })
        .collect();
    packets::pcap_file(1, &records)
}

/// tcpdump and raw-sniff rotate the same file with the same flags into directories of their
/// own: the same names, and each file the same bytes (tcpdump writing nanosecond pcap, as
/// raw-sniff does).
#[test]
fn size_rotation_names_and_cuts_files_as_tcpdump_does() {
    if !have("tcpdump") {
        return;
    }
    let dir = scratch("vs-tcpdump");
    let input = dir.0.join("in.pcap");
    // 3000 frames of 1058 bytes a record: a little over three files of a million bytes.
    std::fs::write(&input, numbered_capture(3000)).unwrap();
    let cases: [(&str, &[&str]); 7] = [
        ("cap", &["-C", "1"]),
        ("ring", &["-C", "1", "-W", "3"]),
        // Ten files need one digit (0 to 9), eleven two.
        ("ten", &["-C", "1", "-W", "10"]),
        ("wide", &["-C", "1", "-W", "11"]),
        ("one", &["-C", "1", "-W", "1"]),
        // -G with a period longer than the run: the name through strftime, then -C's count.
        ("year-%Y-", &["-C", "1", "-G", "3600"]),
        ("ring-%Y-", &["-C", "1", "-G", "3600", "-W", "12"]),
    ];
    for (name, flags) in cases {
        let theirs = dir.0.join(format!("tcpdump-{}", name.replace('%', "")));
        let ours = dir.0.join(format!("raw-sniff-{}", name.replace('%', "")));
        for d in [&theirs, &ours] {
            std::fs::create_dir_all(d).unwrap();
            let _ = Command::new("chmod").arg("1777").arg(d).status();
        }
        let out = run(Command::new("tcpdump")
            .args(["--time-stamp-precision=nano", "-r"])
            .arg(&input)
            .arg("-w")
            .arg(theirs.join(name))
            .args(flags));
        assert!(
            out.status.success(),
            "tcpdump {flags:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = run(Command::new(BIN)
            .args(["--no-print", "-r"])
            .arg(&input)
            .arg("-w")
            .arg(ours.join(name))
            .args(flags));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "raw-sniff {flags:?}: {err}");
        assert!(
            err.contains("3000 packets seen, 3000 matched, 3000 written"),
            "{err}"
        );

        let names = files_in(&ours);
        assert_eq!(names, files_in(&theirs), "{flags:?}");
        for file in &names {
            assert!(
                std::fs::read(ours.join(file)).unwrap()
                    == std::fs::read(theirs.join(file)).unwrap(),
                "{flags:?}: {file} differs from tcpdump's"
            );
        }
    }
    // The names checked by hand against tcpdump 4.99.3, so a change in both shows too.
    assert_eq!(
        files_in(&dir.0.join("raw-sniff-cap")),
        ["cap", "cap1", "cap2", "cap3"]
    );
    assert_eq!(
        files_in(&dir.0.join("raw-sniff-ring")),
        ["ring0", "ring1", "ring2"]
    );
    assert_eq!(
        files_in(&dir.0.join("raw-sniff-wide")),
        ["wide00", "wide01", "wide02", "wide03"]
    );
    assert_eq!(
        files_in(&dir.0.join("raw-sniff-ten")),
        ["ten0", "ten1", "ten2", "ten3"]
    );
    assert_eq!(files_in(&dir.0.join("raw-sniff-one")), ["one"]);
    let year = jiff::Zoned::now().year();
    assert_eq!(
        files_in(&dir.0.join("raw-sniff-ring-Y-")),
        (0..4)
            .map(|i| format!("ring-{year}-{i:02}"))
            .collect::<Vec<_>>()
    );
}

/// A bounded stream of numbered UDP datagrams to a socket on 127.0.0.1 that receives them (so
/// no ICMP comes back), sent on a thread until `count` are out or `stop` is set.
struct Traffic {
    port: u16,
    stop: Arc<AtomicBool>,
    _receiver: UdpSocket,
}

impl Traffic {
    fn new() -> Traffic {
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        Traffic {
            port: receiver.local_addr().unwrap().port(),
            stop: Arc::new(AtomicBool::new(false)),
            _receiver: receiver,
        }
    }

    fn filter(&self) -> String {
        format!("udp dst port {}", self.port)
    }

    /// Sends `count` datagrams, `gap` apart, on a thread; returns how many it sent.
    fn send(&self, count: u32, gap: Duration) -> std::thread::JoinHandle<u32> {
        let port = self.port;
        let stop = Arc::clone(&self.stop);
        std::thread::spawn(move || {
            let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut payload = vec![0u8; PAYLOAD];
            for seq in 0..count {
                if stop.load(Ordering::Relaxed) {
                    return seq;
                }
                payload[..4].copy_from_slice(&seq.to_be_bytes());
                sock.send_to(&payload, ("127.0.0.1", port)).unwrap();
                std::thread::sleep(gap);
            }
            count
        })
    }
}

/// One rotated file as read back.
struct Written {
    name: String,
    len: u64,
    seqs: Vec<u32>,
    /// Capture stamps, nanoseconds since the epoch.
    stamps: Vec<u128>,
}

/// Reads every file with raw-sniff's reader (which fails on a file cut short), and checks
/// that Wireshark's reader opens each with the same number of packets: capinfos for all of
/// them in one run, and tshark for the last one, which was being written when the capture
/// ended.
fn read_files(dir: &Path, names: &[String]) -> Vec<Written> {
    let files: Vec<Written> = names
        .iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(name)).unwrap();
            let mut reader =
                wire::pcap::Reader::new(&bytes[..]).unwrap_or_else(|e| panic!("{name}: {e}"));
            let (mut seqs, mut stamps) = (Vec::new(), Vec::new());
            while let Some(p) = reader
                .next_packet()
                .unwrap_or_else(|e| panic!("{name}: {e}"))
            {
                seqs.push(u32::from_be_bytes(
                    p.data[SEQ_AT..SEQ_AT + 4].try_into().unwrap(),
                ));
                stamps.push(u128::from(p.ts.secs) * 1_000_000_000 + u128::from(p.ts.nanos));
            }
            Written {
                name: name.clone(),
                len: bytes.len() as u64,
                seqs,
                stamps,
            }
        })
        .collect();
    let out = run(Command::new("capinfos")
        .args(["-T", "-c", "-M"])
        .args(names.iter().map(|n| dir.join(n))));
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "capinfos: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in &files {
        let line = format!("{}\t{}", path(&dir.join(&f.name)), f.seqs.len());
        assert!(table.lines().any(|l| l == line), "{line} not in\n{table}");
    }
    let last = files.last().unwrap();
    let out = run(Command::new("tshark")
        .args(["-n", "-r"])
        .arg(dir.join(&last.name)));
    assert!(
        out.status.success(),
        "tshark -r {}: {}",
        last.name,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        last.seqs.len()
    );
    files
}

/// The count in the summary line `N packets seen, M matched, W written to FILE`.
fn summary_count(err: &str, what: &str) -> u64 {
    let line = err
        .lines()
        .find(|l| l.contains(" packets seen, "))
        .unwrap_or_else(|| panic!("no summary in:\n{err}"));
    line.split(", ")
        .find_map(|part| {
            let mut words = part.split(' ');
            let n = words.next()?.parse().ok()?;
            let word = words.next()?;
            (word == what || (what == "seen" && word == "packets")).then_some(n)
        })
        .unwrap_or_else(|| panic!("no `{what}` count in {line}"))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn size_rotation_on_loopback_keeps_every_packet_once() {
    if !can_capture() || !have("tshark") || !have("capinfos") {
        return;
    }
    const SENT: u32 = 240;
    const SIZE: u64 = 16 * 1024;
    for (ext, format_flag) in [("pcap", None), ("pcapng", None), ("cap", Some("--pcapng"))] {
        let dir = scratch(&format!("size-{ext}"));
        let traffic = Traffic::new();
        let template: PathBuf = dir.0.join(format!("cap.{ext}"));
        let count = SENT.to_string();
        let filter = traffic.filter();
        let mut args = vec!["-i", "lo", "--no-print", "-c", &count, "-C", "16k"];
        args.extend(format_flag);
        args.extend(["-w", path(&template), &filter]);
        let sniffer = Sniffer::start(&[], &args);
        let sender = traffic.send(SENT, Duration::from_micros(500));
        let (status, _, err) = sniffer.wait();
        assert_eq!(sender.join().unwrap(), SENT);
        assert!(status.success(), "{err}");
        assert_eq!(summary_count(&err, "written"), u64::from(SENT), "{err}");

        // cap.EXT, cap.EXT1, cap.EXT2, … with no gap.
        let mut names = files_in(&dir.0);
        names.sort_by_key(|n| n.len());
        let expected: Vec<String> = (0..names.len())
            .map(|i| match i {
                0 => format!("cap.{ext}"),
                i => format!("cap.{ext}{i}"),
            })
            .collect();
        assert_eq!(names, expected);
        let files = read_files(&dir.0, &names);
        let (last, full) = files.split_last().unwrap();
        assert!(full.len() >= 10, "{} files", files.len());
        for f in full {
            // Past the size by less than one packet, as tcpdump checks before each write.
            assert!(
                f.len > SIZE && f.len <= SIZE + RECORD_MAX,
                "{}: {}",
                f.name,
                f.len
            );
        }
        assert!(last.len <= SIZE + RECORD_MAX);
        let seqs: Vec<u32> = files.iter().flat_map(|f| f.seqs.iter().copied()).collect();
        assert_eq!(
            seqs,
            (0..SENT).collect::<Vec<_>>(),
            "lost or repeated packets"
        );
        let magic = std::fs::read(&template).unwrap()[..4].to_vec();
        assert_eq!(magic == [0x0a, 0x0d, 0x0d, 0x0a], ext != "pcap", "{ext}");
        if ext != "pcap" {
            // Each pcapng file describes the live interface and the filter itself.
            for f in &files {
                let out = run(Command::new("capinfos").arg(dir.0.join(&f.name)));
                let info = String::from_utf8_lossy(&out.stdout).into_owned();
                assert!(info.contains("Name = lo\n"), "{}: {info}", f.name);
                assert!(
                    info.contains(&format!("Filter string = {filter}\n")),
                    "{}: {info}",
                    f.name
                );
            }
        }
    }
}

#[test]
fn a_ring_of_files_holds_the_newest_packets() {
    if !can_capture() || !have("tshark") || !have("capinfos") {
        return;
    }
    const SENT: u32 = 200;
    let dir = scratch("ring");
    let traffic = Traffic::new();
    let template = dir.0.join("ring.pcapng");
    let count = SENT.to_string();
    let filter = traffic.filter();
    let args = [
        "-i",
        "lo",
        "--no-print",
        "-c",
        &count,
        "-C",
        "16k",
        "-W",
        "3",
        "-w",
        path(&template),
        &filter,
    ];
    let sniffer = Sniffer::start(&[], &args);
    let sender = traffic.send(SENT, Duration::from_micros(500));
    let (status, _, err) = sniffer.wait();
    assert_eq!(sender.join().unwrap(), SENT);
    assert!(status.success(), "{err}");
    assert_eq!(summary_count(&err, "written"), u64::from(SENT), "{err}");

    let names = files_in(&dir.0);
    assert_eq!(names, ["ring.pcapng0", "ring.pcapng1", "ring.pcapng2"]);
    let mut files = read_files(&dir.0, &names);
    // The ring went round: the files, oldest first, hold the last packets sent, each once.
    files.sort_by_key(|f| f.seqs[0]);
    let seqs: Vec<u32> = files.iter().flat_map(|f| f.seqs.iter().copied()).collect();
    let first = seqs[0];
    assert!(first > 0, "the ring never went round");
    assert_eq!(seqs, (first..SENT).collect::<Vec<_>>());
}

/// Parses the `HHMMSS` in a `-G` file's name into seconds of the day.
fn seconds_of(name: &str, prefix: &str, suffix: &str) -> u32 {
    let hms = name
        .strip_prefix(prefix)
        .and_then(|n| n.strip_suffix(suffix))
        .unwrap_or_else(|| panic!("unexpected file {name}"));
    assert_eq!(hms.len(), 6, "{name}");
    let n: u32 = hms.parse().unwrap();
    n / 10_000 * 3600 + n / 100 % 100 * 60 + n % 100
}

#[test]
fn time_rotation_starts_a_file_each_period() {
    if !can_capture() || !have("tshark") || !have("capinfos") {
        return;
    }
    const SENT: u32 = 36;
    let dir = scratch("time");
    let traffic = Traffic::new();
    let template = dir.0.join("t-%H%M%S.pcapng");
    let count = SENT.to_string();
    let filter = traffic.filter();
    let args = [
        "-i",
        "lo",
        "--no-print",
        "-c",
        &count,
        "-G",
        "1",
        "-w",
        path(&template),
        &filter,
    ];
    let sniffer = Sniffer::start(&[], &args);
    // At least 3.5 s of traffic, so at least three whole seconds begin during it.
    let sender = traffic.send(SENT, Duration::from_millis(100));
    let (status, _, err) = sniffer.wait();
    assert_eq!(sender.join().unwrap(), SENT);
    assert!(status.success(), "{err}");
    assert_eq!(summary_count(&err, "written"), u64::from(SENT), "{err}");

    let files = read_files(&dir.0, &files_in(&dir.0));
    assert!(files.len() >= 3, "{} files", files.len());
    let mut files = files;
    files.sort_by_key(|f| f.stamps.first().copied());
    // Every packet once, in order; each file's packets all before the next file's; and the
    // names (the local time each file began) at least one period apart.
    let seqs: Vec<u32> = files.iter().flat_map(|f| f.seqs.iter().copied()).collect();
    assert_eq!(seqs, (0..SENT).collect::<Vec<_>>());
    for pair in files.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            a.stamps.last() < b.stamps.first(),
            "{} overlaps {}",
            a.name,
            b.name
        );
        let gap = (seconds_of(&b.name, "t-", ".pcapng") + 86_400
            - seconds_of(&a.name, "t-", ".pcapng"))
            % 86_400;
        assert!(gap >= 1, "{} then {}", a.name, b.name);
    }
}

#[test]
fn time_rotation_with_a_file_count_stops_by_itself() {
    if !can_capture() || !have("tshark") || !have("capinfos") {
        return;
    }
    let dir = scratch("time-count");
    let traffic = Traffic::new();
    let template = dir.0.join("w-%H%M%S.pcap");
    let filter = traffic.filter();
    let args = [
        "-i",
        "lo",
        "--no-print",
        "-G",
        "1",
        "-W",
        "2",
        "-w",
        path(&template),
        &filter,
    ];
    let started = Instant::now();
    let sniffer = Sniffer::start(&[], &args);
    // Far more traffic than two one-second files need; it stops when the capture has ended.
    let sender = traffic.send(150, Duration::from_millis(100));
    let (status, _, err) = sniffer.wait();
    traffic.stop.store(true, Ordering::Relaxed);
    let sent = sender.join().unwrap();
    assert!(status.success(), "{err}");
    assert!(
        sent < 150,
        "the capture did not stop by itself ({:?})",
        started.elapsed()
    );

    let names = files_in(&dir.0);
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        err.lines().any(|l| {
            l
            == "raw-sniff: maximum file limit reached: 2 files written, capture ended (-G with -W)"
        }),
        "{err}"
    );
    let files = read_files(&dir.0, &names);
    let in_files: usize = files.iter().map(|f| f.seqs.len()).sum();
    // The packet that would have started a third file is seen, but neither matched nor
    // written: the capture ended before it.
    let written = summary_count(&err, "written");
    assert_eq!(in_files as u64, written, "{err}");
    assert_eq!(summary_count(&err, "matched"), written, "{err}");
    assert_eq!(summary_count(&err, "seen"), written + 1, "{err}");
    let seqs: Vec<u32> = files.iter().flat_map(|f| f.seqs.iter().copied()).collect();
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..in_files as u32).collect::<Vec<_>>());
}

/// The new flags in `-h`, one line each, and every misuse refused with one line on stderr.
#[test]
fn rotation_flags_are_listed_and_misuse_is_one_line() {
    let out = run(Command::new(BIN).arg("-h"));
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    for line in [
        "      --pcapng                    Write the -w file as pcapng",
        "  -C, --file-size <SIZE>          Start a new -w file past SIZE million bytes (like tcpdump -C)",
        "  -G, --rotate-seconds <SECONDS>  Start a new -w file every SECONDS (like tcpdump -G)",
        "  -W, --file-count <COUNT>        A ring of COUNT files with -C; stop after COUNT files with -G",
    ] {
        assert!(help.lines().any(|l| l == line), "{line:?} not in\n{help}");
    }
    let dir = scratch("misuse");
    let input = dir.0.join("in.pcap");
    std::fs::write(&input, numbered_capture(3)).unwrap();
    let w = dir.0.join("out-%!");
    for (args, says) in [
        (vec!["-W", "3"], "-W needs -C or -G"),
        (vec!["-C", "0"], "the size must be at least 1"),
        (vec!["-C", "1x"], "unknown unit 'x'"),
        (vec!["-G", "0"], "invalid value '0'"),
        (vec!["-W", "0", "-C", "1"], "invalid value '0'"),
        (vec!["-G", "5"], "cannot make a file name from"),
    ] {
        let out = run(Command::new(BIN)
            .args(["-r", path(&input), "--no-print", "-w", path(&w)])
            .args(&args));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // Rotation flags without a file to rotate.
    let out = run(Command::new(BIN).args(["-r", path(&input), "-C", "1"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--write <FILE>"));
}
