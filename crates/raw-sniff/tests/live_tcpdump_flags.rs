//! tcpdump's live-capture flags on real sockets, as root: `-Q` on loopback and across a veth
//! pair in namespaces made for the test, `-s` into a `-w` file, and `-L`/`-y` on `any` and
//! `lo`. Every sending loop is bounded in count; nothing here measures time.

mod common;

use std::net::UdpSocket;
use std::process::Command;

use common::{can_capture, NetPair, Sniffer, BIN};
use test_support::run;

/// A UDP port on 127.0.0.1 that something listens on, so datagrams to it draw no ICMP.
fn loopback_port() -> (UdpSocket, u16) {
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = receiver.local_addr().unwrap().port();
    (receiver, port)
}

/// Sends `n` datagrams of `size` bytes to `port` on 127.0.0.1.
fn send_udp(port: u16, n: usize, size: usize) {
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    for _ in 0..n {
        sender
            .send_to(&vec![b'x'; size], ("127.0.0.1", port))
            .unwrap();
    }
}

/// Packet lines in `out`: every line but the dump and WebSocket lines under them.
fn packet_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| !l.starts_with([' ', '\t']))
        .collect()
}

#[test]
fn direction_on_loopback_keeps_the_incoming_copy_as_libpcap_does() {
    if !can_capture() {
        return;
    }
    const N: usize = 10;
    for (direction, expected) in [("in", N), ("out", 0), ("inout", N)] {
        let (_receiver, port) = loopback_port();
        let filter = format!("udp dst port {port}");
        let sniffer = Sniffer::start(&[], &["-i", "lo", "-Q", direction, &filter]);
        send_udp(port, N, 16);
        // The traffic is on its way before the stop, and a stop reads what was captured.
        let (status, out, err) = sniffer.interrupt();
        assert!(status.success(), "{err}");
        assert_eq!(
            packet_lines(&out).len(),
            expected,
            "-Q {direction}:\n{out}\n{err}"
        );
    }
}

#[test]
fn direction_across_a_veth_pair_tells_requests_from_replies() {
    if !can_capture() || !test_support::have("ping") {
        return;
    }
    let pair = NetPair::new(71, None);
    let prefix = pair.exec_in(&pair.a);
    for (direction, kept, left_out) in [
        ("in", "ICMP echo request", "ICMP echo reply"),
        ("out", "ICMP echo reply", "ICMP echo request"),
    ] {
        let sniffer = Sniffer::start(&prefix, &["-i", &pair.a_if, "-Q", direction, "icmp"]);
        let ping = run(Command::new("ip").args([
            "netns",
            "exec",
            &pair.b,
            "ping",
            "-n",
            "-q",
            "-c",
            "3",
            "-i",
            "0.2",
            "-W",
            "2",
            &pair.a_addr,
        ]));
        assert!(
            ping.status.success(),
            "{}",
            String::from_utf8_lossy(&ping.stderr)
        );
        let (status, out, err) = sniffer.interrupt();
        assert!(status.success(), "{err}");
        let lines = packet_lines(&out);
        assert_eq!(lines.len(), 3, "-Q {direction}:\n{out}");
        assert!(
            lines
                .iter()
                .all(|l| l.contains(kept) && !l.contains(left_out)),
            "-Q {direction}:\n{out}"
        );
    }
}

/// The pcap file header's snap length, and each record's captured and original lengths.
fn pcap_lengths(bytes: &[u8]) -> (u32, Vec<(u32, u32)>) {
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    // Little-endian pcap, in microseconds or nanoseconds.
    assert!(
        matches!(u32_at(0), 0xa1b2_c3d4 | 0xa1b2_3c4d),
        "{:#x}",
        u32_at(0)
    );
    let mut records = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let (caplen, len) = (u32_at(at + 8), u32_at(at + 12));
        records.push((caplen, len));
        at += 16 + caplen as usize;
    }
    (u32_at(16), records)
}

#[test]
fn snaplen_cuts_live_frames_and_heads_the_file() {
    if !can_capture() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("raw-sniff-snaplen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("cut.pcap");
    let (_receiver, port) = loopback_port();
    let filter = format!("udp dst port {port}");
    let sniffer = Sniffer::start(
        &[],
        &[
            "-i",
            "lo",
            "-s",
            "60",
            "-U",
            "-w",
            pcap.to_str().unwrap(),
            &filter,
        ],
    );
    send_udp(port, 5, 200);
    let (status, out, err) = sniffer.interrupt();
    assert!(status.success(), "{err}");
    let (snaplen, records) = pcap_lengths(&std::fs::read(&pcap).unwrap());
    assert_eq!(snaplen, 60);
    assert_eq!(records.len(), 5, "{err}");
    // 14 bytes of Ethernet, 20 of IPv4, 8 of UDP, 200 of payload: 60 of them kept.
    assert!(records.iter().all(|&r| r == (60, 242)), "{records:?}");
    // The lines show the cut frames as tcpdump does: the UDP length from the UDP header, the
    // 200 bytes sent, and no note (the headers were all captured).
    assert!(
        packet_lines(&out)
            .iter()
            .all(|l| l.ends_with(": UDP, length 200") && !l.contains("truncated")),
        "{out}"
    );
    // tcpdump reads the header the same way.
    if test_support::have("tcpdump") {
        let read = run(Command::new("tcpdump").arg("-nr").arg(&pcap));
        assert!(
            String::from_utf8_lossy(&read.stderr).contains("snapshot length 60"),
            "{}",
            String::from_utf8_lossy(&read.stderr)
        );
    }
    // Without -s, nothing is cut.
    let (_receiver, port) = loopback_port();
    let filter = format!("udp dst port {port}");
    let whole = dir.join("whole.pcap");
    let sniffer = Sniffer::start(
        &[],
        &[
            "-i",
            "lo",
            "-s",
            "0",
            "-w",
            whole.to_str().unwrap(),
            &filter,
        ],
    );
    send_udp(port, 2, 200);
    let (status, _, err) = sniffer.interrupt();
    assert!(status.success(), "{err}");
    let (snaplen, records) = pcap_lengths(&std::fs::read(&whole).unwrap());
    assert_eq!(snaplen, 262_144);
    assert!(records.iter().all(|&r| r == (242, 242)), "{records:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn link_types_of_any_and_lo_are_listed_and_chosen() {
    let list = |iface: &str| {
        let out = run(Command::new(BIN).args(["-L", "-i", iface]));
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        list("any"),
        "Data link types for any (use option -y to set):\n  LINUX_SLL (Linux cooked v1)\n  LINUX_SLL2 (Linux cooked v2)\n"
    );
    assert_eq!(
        list("lo"),
        "Data link types for lo (use option -y to set):\n  EN10MB (Ethernet)\n"
    );
    // What is not offered is refused in one line, before any capture.
    for (iface, name, says) in [
        (
            "lo",
            "LINUX_SLL2",
            "LINUX_SLL2 is not one of the link types",
        ),
        ("any", "EN10MB", "EN10MB is not one of the link types"),
        ("any", "NO_SUCH", "invalid data link type NO_SUCH"),
    ] {
        let out = run(Command::new(BIN).args(["-i", iface, "-y", name, "-c", "1"]));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn any_captures_with_the_cooked_header_chosen() {
    if !can_capture() {
        return;
    }
    for (link, starts) in [
        ("LINUX_SLL", "IP 127.0.0.1."),
        ("LINUX_SLL2", "lo    In  IP 127.0.0.1."),
    ] {
        let (_receiver, port) = loopback_port();
        let filter = format!("udp dst port {port}");
        let sniffer = Sniffer::start(&[], &["-i", "any", "-y", link, &filter]);
        assert!(
            sniffer.startup().contains(&format!("link type {link}")),
            "{}",
            sniffer.startup()
        );
        send_udp(port, 3, 8);
        let (status, out, err) = sniffer.interrupt();
        assert!(status.success(), "{err}");
        let lines = packet_lines(&out);
        assert_eq!(lines.len(), 3, "{out}");
        // After the time of day: the words of the cooked header, if any, then the packet.
        assert!(
            lines.iter().all(|l| l
                .split_once(' ')
                .is_some_and(|(_, rest)| rest.starts_with(starts))),
            "-y {link}:\n{out}"
        );
    }
}
