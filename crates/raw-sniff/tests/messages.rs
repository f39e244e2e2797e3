//! What raw-sniff says on stderr when it cannot do what it was asked, letter for letter: the
//! messages are its interface as much as `--help` is, and each names the fix where there is
//! one. A reader whose pipe closes early is not an error at all.

mod common;

use std::process::{Command, Stdio};

use common::BIN;
use test_support::{is_root, run};

/// Real loopback traffic (TCP, UDP, ICMP over IPv4 and IPv6) captured with tcpdump.
const LO_MIXED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../wire/tests/data/lo-mixed.pcap"
);

/// Runs raw-sniff with `args`, returning whether it succeeded and its stderr.
fn stderr_of(args: &[&str]) -> (bool, String) {
    let out = run(Command::new(BIN).args(args));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts a failed run whose stderr is exactly `expected`.
fn fails_with(args: &[&str], expected: &str) {
    let (ok, err) = stderr_of(args);
    assert!(!ok, "raw-sniff {args:?} succeeded: {err}");
    assert_eq!(err, expected, "raw-sniff {args:?}");
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("raw-sniff-messages-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn a_file_that_cannot_be_opened_or_read_is_named() {
    fails_with(
        &["-r", "/nonexistent"],
        "raw-sniff: cannot open /nonexistent: No such file or directory (os error 2)\n",
    );
    let text = temp("not-a-capture.txt");
    std::fs::write(&text, "hello world, not a pcap file at all\n").unwrap();
    let path = text.to_str().unwrap();
    fails_with(
        &["-r", path],
        &format!("raw-sniff: cannot read {path}: not a pcap or pcapng file (magic 0x68656c6c)\n"),
    );
    // A read that fails says so once: the io error is the cause, not repeated after it.
    let dir = std::env::temp_dir();
    let dir = dir.to_str().unwrap();
    fails_with(
        &["-r", dir],
        &format!("raw-sniff: cannot read {dir}: reading capture: Is a directory (os error 21)\n"),
    );
    fails_with(
        &["-r", LO_MIXED, "-w", "/nonexistent/dir/x.pcap"],
        "raw-sniff: cannot create /nonexistent/dir/x.pcap: No such file or directory (os error 2)\n",
    );
}

#[test]
fn a_file_cut_short_is_summarised_before_the_error() {
    // The file header and the first three records of lo-mixed.pcap, then the fourth record's
    // header cut after 14 of its 16 bytes.
    let cut = temp("cut.pcap");
    std::fs::write(&cut, &std::fs::read(LO_MIXED).unwrap()[..300]).unwrap();
    let path = cut.to_str().unwrap();
    fails_with(
        &["-r", path],
        &format!(
            "raw-sniff: reading from file {path}, link type EN10MB\n\
             3 packets seen, 3 matched\n\
             by protocol: tcp 3, udp 0, icmp 0, icmp6 0, arp 0, other 0\n\
             raw-sniff: capture failed: capture file cut off in record header starting at \
             byte 286: need 16 bytes, have 14\n"
        ),
    );
}

#[test]
fn an_interface_that_does_not_exist_is_named_with_where_to_look() {
    fails_with(
        &["-i", "nosuchif0"],
        "raw-sniff: no interface named nosuchif0 (list them with `raw-sniff -D`)\n",
    );
    fails_with(
        &["-i", "nosuchif0", "--dump-filter", "tcp"],
        "raw-sniff: no interface named nosuchif0 (list them with `raw-sniff -D`)\n",
    );
    fails_with(&["-i", "a/b"], "raw-sniff: bad interface name \"a/b\"\n");
}

#[test]
fn a_filter_that_cannot_be_used_says_why() {
    fails_with(
        &["-r", LO_MIXED, "tcp", "port", "8.8"],
        "raw-sniff: bad filter: expected a port number after 'port', found '8.8' (column 10)\n  \
         tcp port 8.8\n           ^^^\n",
    );
    fails_with(
        &["-r", LO_MIXED, "--dump-filter"],
        "raw-sniff: --dump-filter needs a filter expression\n",
    );
    // Optimised, 401 hosts fit in 2163 instructions (libpcap: 2165); 1500 do not. A file is
    // filtered in user space whatever the length (tests/filter_kernel_refusal.rs), so only the
    // listing of a program for the kernel refuses it.
    let hosts: Vec<String> = (0..1500)
        .map(|i| format!("host 10.0.{}.{}", i / 250, i % 250))
        .collect();
    let long = hosts.join(" or ");
    fails_with(
        &["-r", LO_MIXED, "--dump-filter", &long],
        "raw-sniff: cannot compile the filter: the filter compiles to 4511 instructions, more \
         than the kernel's limit of 4096; simplify it\n",
    );
}

#[test]
fn a_filter_on_a_link_type_it_cannot_read_is_refused() {
    // A pcap file header for link type 160, with no packets: the filter is compiled for the
    // file's link type before the first packet.
    let mut header = Vec::new();
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&65_535u32.to_le_bytes());
    header.extend_from_slice(&160u32.to_le_bytes());
    let file = temp("link-160.pcap");
    std::fs::write(&file, header).unwrap();
    let path = file.to_str().unwrap();
    fails_with(
        &["-r", path, "tcp"],
        "raw-sniff: capture filters are not supported on link type unknown (160)\n",
    );
    fails_with(
        &["-r", path, "--dump-filter", "tcp"],
        "raw-sniff: capture filters are not supported on link type unknown (160)\n",
    );
}

#[test]
fn a_user_to_drop_to_that_does_not_exist_is_named() {
    fails_with(
        &["-r", LO_MIXED, "--user", "nosuchuser0"],
        "raw-sniff: cannot drop privileges to nosuchuser0: no such user: nosuchuser0 (--user \
         needs an existing account, e.g. nobody)\n",
    );
}

#[test]
fn capture_without_privileges_names_the_privilege_and_how_to_grant_it() {
    // Only root can become nobody to show the message an ordinary user gets.
    if !is_root() || !test_support::on_path("setpriv") {
        eprintln!("skipped: needs root and setpriv to run raw-sniff as an unprivileged user");
        return;
    }
    let as_nobody = |args: &[&str]| {
        let out = run(Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
            .args(args));
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(
        as_nobody(&["-i", "lo"]),
        (
            false,
            "raw-sniff: capturing on lo needs root or CAP_NET_RAW: run with sudo, or once \
             `sudo setcap cap_net_raw,cap_net_admin+ep $(command -v raw-sniff)`\n"
                .to_owned()
        )
    );
    assert_eq!(
        as_nobody(&["--ip-raw"]),
        (
            false,
            "raw-sniff: raw sockets need root or CAP_NET_RAW: run with sudo, or once \
             `sudo setcap cap_net_raw+ep $(command -v raw-sniff)`\n"
                .to_owned()
        )
    );
}

#[test]
fn a_live_capture_announces_itself_and_notes_a_missing_ring() {
    if !common::can_capture() {
        return;
    }
    let (ok, err) = stderr_of(&["-i", "lo", "--duration", "0"]);
    assert!(ok, "{err}");
    let first = err.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "raw-sniff: reading from AF_PACKET SOCK_RAW socket on lo, TPACKET_V3 mmap ring, link \
         type EN10MB"
    );
    // A ring of 100 000 MiB cannot be had: the capture goes on with recvfrom() and says so
    // before it announces itself.
    let (ok, err) = stderr_of(&["-i", "lo", "-B", "100000", "--duration", "0", "tcp"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = err.lines().take(2).collect();
    assert_eq!(
        lines,
        [
            "raw-sniff: no mmap ring (Cannot allocate memory (os error 12)); falling back to \
             recvfrom()",
            "raw-sniff: reading from AF_PACKET SOCK_RAW socket on lo, recvfrom(), link type \
             EN10MB, filter run by the kernel",
        ]
    );
}

/// Runs raw-sniff on `file` with its stdout closed before it writes, as `raw-sniff | head`
/// does once head has what it wants.
fn with_stdout_closed(file: &str, args: &[&str]) -> (bool, String) {
    let mut child = Command::new(BIN)
        .args(["-r", file])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start raw-sniff");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_reader_that_stops_reading_is_not_an_error() {
    // Output small enough to wait in the buffer: the pipe breaks at the final flush.
    let (ok, err) = with_stdout_closed(LO_MIXED, &[]);
    assert!(ok, "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
    // lo-mixed.pcap's records eight times over: its JSON overflows the output buffer, so the
    // pipe breaks while packets are being printed.
    let full = std::fs::read(LO_MIXED).unwrap();
    let mut big = full.clone();
    for _ in 0..7 {
        big.extend_from_slice(&full[24..]);
    }
    let file = temp("lo-mixed-8.pcap");
    std::fs::write(&file, big).unwrap();
    let (ok, err) = with_stdout_closed(file.to_str().unwrap(), &["--json", "--explain"]);
    assert!(ok, "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
}
