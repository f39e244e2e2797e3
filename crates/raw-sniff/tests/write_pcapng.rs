//! `-w FILE.pcapng`: what raw-sniff writes, tshark, tcpdump and raw-sniff read back as the same
//! packets (count, nanosecond timestamps, bytes, original lengths), each under its own link
//! type and interface name, with the filter recorded where capinfos shows it.

mod common;
#[path = "filter_packets.rs"]
mod packets;

use std::path::Path;
use std::process::Command;

use common::BIN;
use packets::{v4, v6, Frame, Link, Net, TempDir, Transport};
use test_support::{have, run};

/// One packet as every reader should report it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Packet {
    /// pcap link-type number.
    link: u32,
    /// The interface name the input gave it, if any.
    iface: Option<&'static str>,
    secs: u64,
    nanos: u32,
    data: Vec<u8>,
    orig_len: u32,
}

fn frame(link: Link, net: Net, caplen: Option<usize>) -> (Vec<u8>, u32) {
    Frame { link, net, caplen }.bytes()
}

fn ipv4_udp(src: &str, dport: u16) -> Net {
    Net::V4 {
        src: v4(src),
        dst: v4("10.0.0.2"),
        proto: 17,
        frag_offset: 0,
        more_fragments: false,
        option_words: 0,
        payload: Transport::Udp(40000, dport),
    }
}

fn ipv6_tcp(dport: u16) -> Net {
    Net::V6 {
        src: v6("fd00::1"),
        dst: v6("fd00::2"),
        ext: Vec::new(),
        proto: 6,
        payload: Transport::Tcp(40000, dport),
    }
}

/// Packets on four interfaces of three link types, interleaved, one cut short by its snap
/// length, each with its own nanosecond stamp.
fn mixed_capture() -> Vec<Packet> {
    let eth = Link::Ethernet { vlan: None };
    type Planned = (Link, Option<&'static str>, (Vec<u8>, u32));
    let plan: [Planned; 7] = [
        (
            eth,
            Some("eth-a"),
            frame(eth, ipv4_udp("10.0.0.1", 53), None),
        ),
        (
            Link::Raw,
            Some("tun-b"),
            frame(Link::Raw, ipv6_tcp(443), None),
        ),
        (
            Link::Sll,
            None,
            frame(Link::Sll, ipv4_udp("10.0.0.3", 123), None),
        ),
        (eth, Some("eth-a"), frame(eth, ipv6_tcp(80), Some(40))),
        (
            eth,
            Some("eth-c"),
            frame(eth, ipv4_udp("10.0.0.4", 9), None),
        ),
        (
            Link::Raw,
            Some("tun-b"),
            frame(Link::Raw, ipv4_udp("10.0.0.5", 7), None),
        ),
        (
            eth,
            Some("eth-a"),
            frame(eth, ipv4_udp("10.0.0.6", 53), None),
        ),
    ];
    plan.into_iter()
        .enumerate()
        .map(|(i, (link, iface, (data, orig_len)))| Packet {
            link: link.pcap_linktype(),
            iface,
            secs: 1_700_000_000 + i as u64,
            nanos: 123_456_789 + i as u32 * 1_001,
            data,
            orig_len,
        })
        .collect()
}

/// A pcapng file of `packets`, built by hand: a section header, an interface description
/// (nanosecond resolution, `if_name` where given) before the first packet of each link type
/// and name, and enhanced packet blocks.
fn pcapng_file(packets: &[Packet]) -> Vec<u8> {
    fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
        let total = 12 + body.len().div_ceil(4) * 4;
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(body);
        out.resize(out.len() + (total - 12 - body.len()), 0);
        out.extend_from_slice(&(total as u32).to_le_bytes());
    }
    fn option(body: &mut Vec<u8>, code: u16, value: &[u8]) {
        body.extend_from_slice(&code.to_le_bytes());
        body.extend_from_slice(&(value.len() as u16).to_le_bytes());
        body.extend_from_slice(value);
        body.resize(body.len().div_ceil(4) * 4, 0);
    }
    let mut out = Vec::new();
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut out, 0x0a0d_0d0a, &shb);
    let mut interfaces: Vec<(u32, Option<&str>)> = Vec::new();
    for p in packets {
        let key = (p.link, p.iface);
        let id = match interfaces.iter().position(|k| *k == key) {
            Some(id) => id,
            None => {
                let mut idb = (p.link as u16).to_le_bytes().to_vec();
                idb.extend_from_slice(&[0, 0]);
                idb.extend_from_slice(&262_144u32.to_le_bytes());
                if let Some(name) = p.iface {
                    option(&mut idb, 2, name.as_bytes());
                }
                option(&mut idb, 9, &[9]);
                option(&mut idb, 0, &[]);
                block(&mut out, 1, &idb);
                interfaces.push(key);
                interfaces.len() - 1
            }
        };
        let units = p.secs * 1_000_000_000 + u64::from(p.nanos);
        let mut epb = (id as u32).to_le_bytes().to_vec();
        epb.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(units as u32).to_le_bytes());
        epb.extend_from_slice(&(p.data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&p.orig_len.to_le_bytes());
        epb.extend_from_slice(&p.data);
        block(&mut out, 6, &epb);
    }
    out
}

fn scratch(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("raw-sniff-pcapng-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// Runs raw-sniff and returns its stderr, failing the test if it fails.
fn sniff(args: &[&str]) -> String {
    let out = run(Command::new(BIN).args(args));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "raw-sniff {args:?}: {err}");
    err
}

/// The packets of a capture file as raw-sniff's own reader (wire's) reads them.
fn read_back(path: &Path) -> Vec<Packet> {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = wire::pcap::Reader::new(&bytes[..]).unwrap();
    let mut out = Vec::new();
    while let Some(r) = reader.next_packet().unwrap() {
        out.push(Packet {
            link: u32::from(r.link),
            // The name is leaked so a read packet compares with the planned ones; a test
            // reads a few.
            iface: r
                .interface_name
                .map(|n| &*Box::leak(n.to_owned().into_boxed_str())),
            secs: r.ts.secs,
            nanos: r.ts.nanos,
            data: r.data.to_vec(),
            orig_len: r.orig_len,
        });
    }
    out
}

/// What tshark reads: per packet, its link type (as tshark's encapsulation number), its
/// interface name, the stamp, the bytes and the original length.
fn tshark_packets(path: &Path) -> Vec<(String, String, String, String, u32)> {
    let out = run(Command::new("tshark")
        .args(["-n", "-T", "json", "-x", "-r"])
        .arg(path));
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let layers = &p["_source"]["layers"];
            let frame = &layers["frame"];
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
            (
                s(&frame["frame.encap_type"]),
                s(&frame["frame.interface_id_tree"]["frame.interface_name"]),
                s(&frame["frame.time_epoch"]),
                s(&layers["frame_raw"][0]),
                s(&frame["frame.len"]).parse().unwrap(),
            )
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// tshark's encapsulation numbers (wtap) for the link types used here.
fn wtap_encap(link: u32) -> &'static str {
    match link {
        1 => "1",    // WTAP_ENCAP_ETHERNET
        101 => "7",  // WTAP_ENCAP_RAW_IP
        113 => "25", // WTAP_ENCAP_SLL
        other => panic!("no wtap number for link type {other}"),
    }
}

#[test]
fn a_mixed_capture_reads_back_the_same_in_tshark_and_raw_sniff() {
    if !have("tshark") {
        return;
    }
    let dir = scratch("mixed");
    let input = dir.0.join("in.pcapng");
    let packets = mixed_capture();
    std::fs::write(&input, pcapng_file(&packets)).unwrap();
    // The input reads as planned (the builder is right), before raw-sniff writes anything.
    assert_eq!(read_back(&input), packets);

    let output = dir.0.join("out.pcapng");
    let err = sniff(&["-r", path(&input), "-q", "-w", path(&output)]);
    assert!(
        err.contains("7 packets seen, 7 matched, 7 written"),
        "{err}"
    );

    // raw-sniff's reader: every packet, under its own link type and name, to the nanosecond.
    assert_eq!(read_back(&output), packets);

    // tshark: the same packets, interfaces and names.
    let seen = tshark_packets(&output);
    assert_eq!(seen.len(), packets.len());
    for (p, (encap, iface, epoch, bytes, len)) in packets.iter().zip(&seen) {
        assert_eq!(encap, wtap_encap(p.link), "{p:?}");
        assert_eq!(iface, p.iface.unwrap_or("unknown"), "{p:?}");
        assert_eq!(epoch, &format!("{}.{:09}", p.secs, p.nanos));
        assert_eq!(bytes, &hex(&p.data));
        assert_eq!(*len, p.orig_len);
    }

    // One description per link type and name, in the order they first appear.
    let info = capinfos(&output);
    assert!(info.contains("Number of interfaces in file: 4"), "{info}");
    let names: Vec<&str> = info
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Name = "))
        .collect();
    assert_eq!(names, ["eth-a", "tun-b", "eth-c"], "{info}");
    assert!(
        info.contains(&format!(
            "Capture application: raw-sniff {}",
            env!("CARGO_PKG_VERSION")
        )),
        "{info}"
    );

    // raw-sniff -r: one line per packet; and what it writes from its own file is that file,
    // byte for byte.
    let out = run(Command::new(BIN).arg("-r").arg(&output));
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 7);
    let again = dir.0.join("again.pcapng");
    sniff(&["-r", path(&output), "-q", "-w", path(&again)]);
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&output).unwrap()
    );
}

#[test]
fn a_filtered_ethernet_capture_reads_back_in_tcpdump_with_its_filter_recorded() {
    if !have("tshark") || !have("tcpdump") || !have("capinfos") {
        return;
    }
    let dir = scratch("filtered");
    let eth = Link::Ethernet { vlan: None };
    let all: Vec<Packet> = mixed_capture()
        .into_iter()
        .filter(|p| p.link == eth.pcap_linktype())
        .collect();
    let input = dir.0.join("in.pcapng");
    std::fs::write(&input, pcapng_file(&all)).unwrap();
    let output = dir.0.join("udp.pcapng");
    sniff(&["-r", path(&input), "-q", "-w", path(&output), "udp"]);
    // All but the second, the IPv6 TCP one.
    let kept: Vec<Packet> = [0, 2, 3].iter().map(|&i| all[i].clone()).collect();
    assert_eq!(read_back(&output), kept);

    // libpcap reads the file, and what it writes back as nanosecond pcap holds the same
    // packets, stamps, bytes and original lengths.
    let copy = dir.0.join("copy.pcap");
    let out = run(Command::new("tcpdump")
        .args(["--time-stamp-precision=nano", "-r"])
        .arg(&output)
        .arg("-w")
        .arg(&copy));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let expected: Vec<Packet> = kept
        .iter()
        .map(|p| Packet {
            iface: None,
            ..p.clone()
        })
        .collect();
    assert_eq!(read_back(&copy), expected);

    // tshark shows each packet's interface, and capinfos the filter and its comment.
    let seen = tshark_packets(&output);
    let names: Vec<&str> = seen.iter().map(|p| p.1.as_str()).collect();
    assert_eq!(names, ["eth-a", "eth-c", "eth-a"]);
    let info = capinfos(&output);
    assert_eq!(info.matches("Filter string = udp\n").count(), 2, "{info}");
    assert_eq!(
        info.matches("Comment = capture filter: udp\n").count(),
        2,
        "{info}"
    );
    assert!(info.contains("Time precision = nanoseconds (9)"), "{info}");
}

#[test]
fn pcapng_is_chosen_by_name_or_flag_and_pcap_stays_pcap() {
    let dir = scratch("format");
    let eth = Link::Ethernet { vlan: None };
    let packets: Vec<Packet> = mixed_capture()
        .into_iter()
        .filter(|p| p.link == eth.pcap_linktype())
        .collect();
    let input = dir.0.join("in.pcap");
    let records: Vec<(Vec<u8>, u32)> = packets
        .iter()
        .map(|p| (p.data.clone(), p.orig_len))
        .collect();
    std::fs::write(&input, packets::pcap_file(1, &records)).unwrap();
    let magic = |p: &Path| std::fs::read(p).unwrap()[..4].to_vec();
    let ng = [0x0a, 0x0d, 0x0d, 0x0a];
    for (name, flag, expect_ng) in [
        ("a.pcapng", None, true),
        ("b.PCAPNG", None, true),
        ("c.cap", Some("--pcapng"), true),
        ("d.pcap", None, false),
        ("e", None, false),
    ] {
        let out = dir.0.join(name);
        let mut args = vec!["-r", path(&input), "-q", "-w", path(&out)];
        args.extend(flag);
        sniff(&args);
        assert_eq!(magic(&out) == ng, expect_ng, "{name}");
        assert_eq!(read_back(&out).len(), packets.len(), "{name}");
    }
    // Classic pcap is what it always was: the input, read and written, byte for byte (a
    // microsecond file written back with nanosecond stamps, as before).
    let classic = std::fs::read(dir.0.join("d.pcap")).unwrap();
    assert_eq!(&classic[..4], &0xa1b2_3c4du32.to_le_bytes());
    assert_eq!(classic.len(), std::fs::read(&input).unwrap().len());
}

fn capinfos(path: &Path) -> String {
    let out = run(Command::new("capinfos").arg(path));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}
