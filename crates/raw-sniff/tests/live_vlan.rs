//! VLAN and direction filters on a live interface, in two namespaces joined by a veth pair.
//!
//! Tagged frames (VLAN 10, VLAN 20, QinQ 100/10) and untagged ones are written onto one end
//! with a packet socket; raw-sniff captures on the other, where Linux has moved the outer tag
//! of each received frame into metadata before the socket's filter runs. The kernel program
//! must find the tag there, and the frames printed must carry it again. No VLAN device is
//! needed, so the test runs on kernels without 802.1Q support too.

#[path = "filter_packets.rs"]
mod packets;

mod common;

use std::process::Command;

use common::{can_capture, NetPair, Sniffer};
use packets::{v4, Net, Transport};
use test_support::{have, run};

fn ipv4(src: &str, dst: &str, payload: Transport) -> Vec<u8> {
    let proto = if payload == Transport::Echo { 1 } else { 17 };
    Net::V4 {
        src: v4(src),
        dst: v4(dst),
        proto,
        frag_offset: 0,
        more_fragments: false,
        option_words: 0,
        payload,
    }
    .bytes()
}

/// An Ethernet frame to a unicast address nobody has, through the tags `(tpid, tci)` given,
/// outermost first, carrying IPv4.
fn frame(tags: &[(u16, u16)], ip: &[u8]) -> Vec<u8> {
    let mut v = vec![0x02, 0, 0, 0, 0, 0xaa, 0x02, 0, 0, 0, 0, 0xbb];
    for (tpid, tci) in tags {
        v.extend_from_slice(&tpid.to_be_bytes());
        v.extend_from_slice(&tci.to_be_bytes());
    }
    v.extend_from_slice(&0x0800u16.to_be_bytes());
    v.extend_from_slice(ip);
    v
}

/// What is written, in order: `(kind, frame)`.
fn traffic(untagged_net: &str) -> Vec<(&'static str, Vec<u8>)> {
    let echo = |net: &str| ipv4(&format!("{net}1"), &format!("{net}2"), Transport::Echo);
    let udp = |net: &str| {
        ipv4(
            &format!("{net}1"),
            &format!("{net}2"),
            Transport::Udp(4000, 53),
        )
    };
    let mut out = Vec::new();
    for _ in 0..3 {
        out.push(("vlan 10", frame(&[(0x8100, 10)], &echo("10.210.10."))));
        out.push(("vlan 20 icmp", frame(&[(0x8100, 20)], &echo("10.210.20."))));
        out.push(("untagged", frame(&[], &udp(untagged_net))));
    }
    for _ in 0..2 {
        out.push(("vlan 10 udp", frame(&[(0x8100, 10)], &udp("10.210.10."))));
        out.push(("vlan 20 udp", frame(&[(0x8100, 20)], &udp("10.210.20."))));
        out.push((
            "qinq",
            frame(&[(0x88a8, 100), (0x8100, 10)], &echo("10.210.110.")),
        ));
    }
    // Priority 5 in the tag: still VLAN 10.
    out.push((
        "vlan 10 udp",
        frame(&[(0x8100, 0xa00a)], &udp("10.210.10.")),
    ));
    out
}

/// Writes `frames` onto `dev` in namespace `ns` with a packet socket, one each.
fn inject(ns: &str, dev: &str, frames: &[Vec<u8>]) {
    let hex: Vec<String> = frames
        .iter()
        .map(|f| f.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let out = run(Command::new("ip")
        .args(["netns", "exec", ns, "python3", "-c"])
        .arg(
            "import socket, sys\n\
             s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n\
             s.bind((sys.argv[1], 0))\n\
             for h in sys.argv[2:]:\n    s.send(bytes.fromhex(h))\n",
        )
        .arg(dev)
        .args(&hex));
    assert!(
        out.status.success(),
        "injecting frames: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn vlan_filters_keep_exactly_the_tagged_frames_live() {
    if !can_capture() || !have("python3") {
        return;
    }
    let pair = NetPair::new(40, None);
    let prefix = pair.exec_in(&pair.a);
    let sniff = |filter: &[&str], ring: bool| {
        let iface = if filter[0] == "udp" {
            "any"
        } else {
            pair.a_if.as_str()
        };
        // tcpdump, and so raw-sniff, shows a frame's tags with -e only.
        let mut args = vec!["-i", iface, "-e"];
        if !ring {
            args.push("--no-ring");
        }
        args.extend_from_slice(filter);
        Sniffer::start(&prefix, &args)
    };
    // (filter, ring, kinds of frame it keeps, what each printed line shows)
    let cases: Vec<(&str, bool, &[&str], &[&str])> = vec![
        (
            "vlan",
            true,
            &[
                "vlan 10",
                "vlan 10 udp",
                "vlan 20 icmp",
                "vlan 20 udp",
                "qinq",
            ],
            &["vlan "],
        ),
        (
            "vlan 10",
            true,
            &["vlan 10", "vlan 10 udp"],
            &["vlan 10, p ", "10.210.10."],
        ),
        (
            "vlan 10",
            false,
            &["vlan 10", "vlan 10 udp"],
            &["vlan 10, p ", "10.210.10."],
        ),
        (
            "vlan 20 and icmp",
            true,
            &["vlan 20 icmp"],
            &["vlan 20, p ", "ICMP echo"],
        ),
        (
            "vlan 10 and host 10.210.10.2",
            true,
            &["vlan 10", "vlan 10 udp"],
            &["vlan 10, p "],
        ),
        (
            "vlan 100 and vlan 10",
            true,
            &["qinq"],
            &["vlan 100, p ", "10.210.110."],
        ),
        (
            "vlan and vlan 10 and icmp",
            false,
            &["qinq"],
            &["vlan 100, p ", "10.210.110."],
        ),
        ("not vlan", true, &["untagged"], &["10.201.40."]),
        ("not vlan", false, &["untagged"], &["10.201.40."]),
        // After a `vlan` that did not find its tag in metadata, what follows is read 4 bytes
        // on, as libpcap reads it and as a file program reads the frame shown: these keep
        // the same frames the saved capture would.
        (
            "vlan or udp",
            true,
            &[
                "vlan 10",
                "vlan 10 udp",
                "vlan 20 icmp",
                "vlan 20 udp",
                "qinq",
            ],
            &["vlan "],
        ),
        // Parse order: `icmp` is read past both tags, on either path.
        (
            "vlan 100 or vlan 10 and icmp",
            true,
            &["qinq"],
            &["vlan 100, p ", "vlan 10, p ", "ICMP echo"],
        ),
        ("not vlan and udp", true, &[], &[]),
        // A cooked socket: no vlan primitive there (libpcap has none either), but the
        // frames shown carry their tag all the same, inside the cooked header.
        (
            "udp and net 10.210.10.0/24",
            true,
            &["vlan 10 udp"],
            &["vlan 10, p "],
        ),
    ];
    let sniffers: Vec<Sniffer> = cases
        .iter()
        .map(|(filter, ring, _, _)| {
            let words: Vec<&str> = filter.split(' ').collect();
            sniff(&words, *ring)
        })
        .collect();
    for s in &sniffers {
        assert!(
            s.startup().contains("filter run by the kernel"),
            "{}",
            s.startup()
        );
    }
    let traffic = traffic("10.201.40.");
    let frames: Vec<Vec<u8>> = traffic.iter().map(|(_, f)| f.clone()).collect();
    inject(&pair.b, &pair.b_if, &frames);
    std::thread::sleep(std::time::Duration::from_millis(300));

    for ((filter, ring, kinds, shows), sniffer) in cases.iter().zip(sniffers) {
        let name = format!("'{filter}'{}", if *ring { "" } else { " (recvmsg)" });
        let (status, out, err) = sniffer.interrupt();
        assert!(status.success(), "{name}: {err}");
        let want = traffic.iter().filter(|(k, _)| kinds.contains(k)).count();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), want, "{name} keeps {kinds:?}:\n{out}");
        for line in &lines {
            for s in *shows {
                assert!(line.contains(s), "{name}: '{s}' missing from: {line}");
            }
            if kinds == &["untagged"] {
                assert!(!line.contains("vlan"), "{name}: {line}");
            }
        }
    }
}

/// `PINGS` echo requests from namespace a to `dst`, bounded in time too.
fn ping(pair: &NetPair, dst: &str) {
    let out = run(Command::new("ip").args([
        "netns", "exec", &pair.a, "ping", "-n", "-q", "-c", "3", "-i", "0.2", "-w", "5", dst,
    ]));
    assert!(
        out.status.success(),
        "ping {dst}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Echo requests per ping run.
const PINGS: usize = 3;

/// The index of interface `dev` in namespace `ns`.
fn ifindex(ns: &str, dev: &str) -> String {
    let out = run(Command::new("ip").args(["-n", ns, "-o", "link", "show", "dev", dev]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split(':').next().unwrap().trim().to_string()
}

#[test]
fn direction_and_interface_follow_the_kernels_metadata_live() {
    if !can_capture() || !have("ping") {
        return;
    }
    let pair = NetPair::new(41, None);
    let prefix = pair.exec_in(&pair.a);
    let host = pair.b_addr.clone();
    let start = |dir: &str| {
        Sniffer::start(
            &prefix,
            &["-i", &pair.a_if, dir, "and", "icmp", "and", "host", &host],
        )
    };
    let inbound = start("inbound");
    let outbound = start("outbound");
    // The `any` device gives a cooked socket, whose program reads the packet type too.
    let any_out = Sniffer::start(&prefix, &["-i", "any", "outbound", "and", "icmp"]);
    // And the interface index, from the kernel too: the veth's, then loopback's, which the
    // pings do not cross.
    let veth = ifindex(&pair.a, &pair.a_if);
    let any_veth = Sniffer::start(&prefix, &["-i", "any", "ifindex", &veth, "and", "icmp"]);
    let any_lo = Sniffer::start(&prefix, &["-i", "any", "ifindex", "1", "and", "icmp"]);
    ping(&pair, &host);
    std::thread::sleep(std::time::Duration::from_millis(300));
    for (sniffer, want, count) in [
        (inbound, "echo reply", PINGS),
        (outbound, "echo request", PINGS),
        (any_out, "echo request", PINGS),
        (any_veth, "ICMP echo", 2 * PINGS),
        (any_lo, "ICMP echo", 0),
    ] {
        let (status, out, err) = sniffer.interrupt();
        assert!(status.success(), "{err}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), count, "{want}s only:\n{out}");
        assert!(
            lines.iter().all(|l| l.contains(want)),
            "{want}s only:\n{out}"
        );
    }
}
