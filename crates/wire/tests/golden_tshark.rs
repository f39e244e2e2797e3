//! Golden test against tshark on real traffic: capture loopback traffic with tcpdump, then
//! every packet's fields as this crate decodes them must equal tshark's `-T fields` output
//! for the same file. The file is then written back with this crate's pcap writer and tshark
//! must read the copy identically.
//!
//! Needs root (to capture) and tshark and tcpdump. Without them it prints why and passes,
//! except under `CI=true`, where a missing privilege or tool fails the test: CI must really
//! capture.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wire::decode::{Network, Transport};
use wire::{decode, LinkType};

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Returns why the test cannot run here, or None when it can.
fn cannot_run() -> Option<String> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let reason = if !is_root() {
        Some("not root: capturing on lo needs CAP_NET_RAW".to_string())
    } else if !have("tshark") {
        Some("tshark not installed (apt-get install tshark)".to_string())
    } else if !have("tcpdump") {
        Some("tcpdump not installed (apt-get install tcpdump)".to_string())
    } else {
        None
    };
    if let Some(r) = &reason {
        assert!(!ci, "CI=true but this test cannot capture: {r}");
        println!("skipping golden tshark test: {r}");
    }
    reason
}

/// Starts tcpdump on lo and waits until it says it is listening; immediate mode and -U so
/// nothing is lost when it is stopped.
fn start_tcpdump(file: &Path, link: &[&str], filter: &str) -> Child {
    let mut child = Command::new("tcpdump")
        .args(link)
        .args(["--immediate-mode", "-U", "-n", "-w"])
        .arg(file)
        .arg(filter)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tcpdump");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let n = err.read_line(&mut line).unwrap();
        assert!(n > 0, "tcpdump exited before listening");
        if line.contains("listening on") {
            break;
        }
    }
    // Keep draining stderr so tcpdump never blocks on it.
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = err.read_to_string(&mut sink);
    });
    child
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// TCP both ways with a few writes, UDP, and UDP to a closed port (ICMP unreachable), on
/// IPv4 and IPv6.
fn traffic(tcp: &TcpListener, udp_rx: &UdpSocket, closed: SocketAddr) {
    let addr = tcp.local_addr().unwrap();
    let server = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let (mut c, _) = tcp.accept().unwrap();
            let mut buf = [0u8; 64];
            let n = c.read(&mut buf).unwrap();
            c.write_all(&buf[..n]).unwrap();
            c.write_all(b" and more from the server").unwrap();
        });
        let mut c = TcpStream::connect(addr).unwrap();
        c.write_all(b"hello golden").unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).unwrap();
        h.join().unwrap();
        got
    });
    assert!(server.starts_with(b"hello golden"));
    let local = if addr.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    };
    let tx = UdpSocket::bind(local).unwrap();
    tx.send_to(b"datagram", udp_rx.local_addr().unwrap())
        .unwrap();
    let mut buf = [0u8; 64];
    udp_rx
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let _ = udp_rx.recv_from(&mut buf);
    tx.send_to(b"to nobody", closed).unwrap();
    std::thread::sleep(Duration::from_millis(100));
}

const FIELDS: &[&str] = &[
    "frame.len",
    "ip.src",
    "ip.dst",
    "ip.len",
    "ip.ttl",
    "ip.id",
    "ip.proto",
    "ip.checksum",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.plen",
    "ipv6.nxt",
    "ipv6.hlim",
    "ipv6.flow",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.flags",
    "tcp.window_size_value",
    "tcp.len",
    "tcp.hdr_len",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "icmp.type",
    "icmp.code",
    "icmpv6.type",
    "icmpv6.code",
    "sll.pkttype",
    "sll.hatype",
    "sll.halen",
    "sll.etype",
    "sll.ifindex",
];

/// tshark's rows, one map per packet. `occurrence=f` keeps the outer header's value where
/// an ICMP error also quotes an inner one.
fn tshark_rows(file: &Path) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(file).args([
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "occurrence=f",
    ]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// The same fields as this crate decodes them, formatted as tshark prints them; empty
/// where the packet has no such field.
fn our_row(link: LinkType, frame: &[u8]) -> Vec<String> {
    let d = decode(link, frame);
    assert!(d.stop.is_none(), "decode stopped: {:?}", d.stop);
    let mut row = vec![String::new(); FIELDS.len()];
    let mut set = |name: &str, v: String| {
        let i = FIELDS.iter().position(|f| *f == name).unwrap();
        row[i] = v;
    };
    set("frame.len", frame.len().to_string());
    if let Some(h) = d.link.and_then(|l| l.sll()) {
        set("sll.pkttype", u16::from(h.packet_type()).to_string());
        set("sll.hatype", h.hardware_type().to_string());
        set("sll.halen", h.address_len().to_string());
        set("sll.etype", format!("{:#06x}", u16::from(h.protocol())));
        if let Some(i) = h.ifindex() {
            set("sll.ifindex", i.to_string());
        }
    }
    match d.network {
        Some((_, Network::Ipv4(p))) => {
            set("ip.src", p.src_addr().to_string());
            set("ip.dst", p.dst_addr().to_string());
            set("ip.len", p.total_len().to_string());
            set("ip.ttl", p.ttl().to_string());
            set("ip.id", format!("{:#06x}", p.ident()));
            set("ip.proto", u8::from(p.protocol()).to_string());
            set("ip.checksum", format!("{:#06x}", p.checksum()));
        }
        Some((_, Network::Ipv6(p))) => {
            set("ipv6.src", p.src_addr().to_string());
            set("ipv6.dst", p.dst_addr().to_string());
            set("ipv6.plen", p.payload_len().to_string());
            set("ipv6.nxt", u8::from(p.next_header()).to_string());
            set("ipv6.hlim", p.hop_limit().to_string());
            set("ipv6.flow", format!("{:#08x}", p.flow_label()));
        }
        _ => {}
    }
    match d.transport {
        Some((_, Transport::Tcp(t))) => {
            set("tcp.srcport", t.src_port().to_string());
            set("tcp.dstport", t.dst_port().to_string());
            set("tcp.seq_raw", t.seq_number().to_string());
            set("tcp.ack_raw", t.ack_number().to_string());
            set(
                "tcp.flags",
                format!("{:#06x}", t.flags().0 | (u16::from(t.reserved()) << 9)),
            );
            set("tcp.window_size_value", t.window_len().to_string());
            set("tcp.len", t.payload().len().to_string());
            set("tcp.hdr_len", t.header_len().to_string());
        }
        Some((_, Transport::Udp(u))) => {
            set("udp.srcport", u.src_port().to_string());
            set("udp.dstport", u.dst_port().to_string());
            set("udp.length", u.len().to_string());
        }
        Some((_, Transport::Icmpv4(i))) => {
            set("icmp.type", u8::from(i.msg_type()).to_string());
            set("icmp.code", i.code().to_string());
            // tshark fills the UDP/TCP columns from the quoted datagram.
            if let Some(q) = i.quoted() {
                let inner = decode(LinkType::Ipv4, q);
                if let Some(u) = inner.udp() {
                    set("udp.srcport", u.src_port().to_string());
                    set("udp.dstport", u.dst_port().to_string());
                    set("udp.length", u.len().to_string());
                }
            }
        }
        Some((_, Transport::Icmpv6(i))) => {
            set("icmpv6.type", u8::from(i.msg_type()).to_string());
            set("icmpv6.code", i.code().to_string());
            if let Some(q) = i.quoted() {
                let inner = decode(LinkType::Ipv6, q);
                if let Some(u) = inner.udp() {
                    set("udp.srcport", u.src_port().to_string());
                    set("udp.dstport", u.dst_port().to_string());
                    set("udp.length", u.len().to_string());
                }
            }
        }
        None => {}
    }
    row
}

/// Complete packets in a capture file that may still be being written.
fn count_complete(file: &Path) -> usize {
    let Ok(bytes) = std::fs::read(file) else {
        return 0;
    };
    let Ok(mut r) = wire::pcap::Reader::new(&bytes[..]) else {
        return 0;
    };
    let mut n = 0;
    while let Ok(Some(_)) = r.next_packet() {
        n += 1;
    }
    n
}

fn read_pcap(file: &Path) -> Packets {
    let bytes = std::fs::read(file).unwrap();
    let mut r = wire::pcap::Reader::new(&bytes[..]).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        out.push((p.ts, p.link, p.data.to_vec(), p.orig_len));
    }
    out
}

type Packets = Vec<(wire::pcap::Timestamp, LinkType, Vec<u8>, u32)>;

/// Every packet's fields must equal tshark's, and each field in `needed` must occur.
fn compare_all(packets: &Packets, theirs: &[Vec<String>], needed: &[&str]) {
    assert_eq!(
        packets.len(),
        theirs.len(),
        "packet count differs from tshark's"
    );
    let mut kinds = std::collections::BTreeSet::new();
    for (i, ((_, link, data, _), row)) in packets.iter().zip(theirs).enumerate() {
        let ours = our_row(*link, data);
        for (k, f) in FIELDS.iter().enumerate() {
            let t = row.get(k).map(String::as_str).unwrap_or("");
            assert_eq!(
                ours[k],
                t,
                "packet {} field {f}: ours {:?}, tshark {:?}",
                i + 1,
                ours[k],
                t
            );
            if !t.is_empty() {
                kinds.insert(*f);
            }
        }
    }
    for n in needed {
        assert!(kinds.contains(n), "no packet had {n}");
    }
}

/// Linux cooked captures (`-i any`), versions 1 and 2, of UDP over IPv4 and IPv6.
#[test]
fn cooked_capture_fields_equal_tshark() {
    if cannot_run().is_some() {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    for (dlt, needed) in [
        ("LINUX_SLL", &["sll.pkttype", "sll.etype"][..]),
        ("LINUX_SLL2", &["sll.ifindex", "sll.hatype"][..]),
    ] {
        let file = dir.join(format!("golden-{}-{dlt}.pcap", std::process::id()));
        let rx4 = UdpSocket::bind("127.0.0.1:0").unwrap();
        let rx6 = UdpSocket::bind("[::1]:0").unwrap();
        let filter = format!(
            "udp port {} or udp port {}",
            rx4.local_addr().unwrap().port(),
            rx6.local_addr().unwrap().port()
        );
        let dump = start_tcpdump(&file, &["-i", "any", "-y", dlt], &filter);
        // On `any`, tcpdump reports listening slightly before every interface's socket
        // delivers, so early datagrams may go missing: send rounds until six are in the file
        // (tcpdump -U writes each packet as it comes).
        let tx4 = UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx6 = UdpSocket::bind("[::1]:0").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut n = 0;
        while count_complete(&file) < 6 && Instant::now() < deadline {
            tx4.send_to(&vec![b'x'; 10 + (n % 3) * 100], rx4.local_addr().unwrap())
                .unwrap();
            tx6.send_to(&vec![b'y'; 10 + (n % 3) * 100], rx6.local_addr().unwrap())
                .unwrap();
            n += 1;
            std::thread::sleep(Duration::from_millis(50));
        }
        stop(dump);
        let packets = read_pcap(&file);
        assert!(
            packets.len() >= 6,
            "only {} packets captured",
            packets.len()
        );
        assert!(packets.iter().all(|p| p.1
            == if dlt == "LINUX_SLL" {
                LinkType::LinuxSll
            } else {
                LinkType::LinuxSll2
            }));
        compare_all(&packets, &tshark_rows(&file), needed);
        let _ = std::fs::remove_file(&file);
    }
}

#[test]
fn fields_equal_tshark_on_loopback_capture() {
    if cannot_run().is_some() {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join(format!("golden-{}.pcap", std::process::id()));

    let tcp4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp6 = TcpListener::bind("[::1]:0").unwrap();
    let udp4 = UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp6 = UdpSocket::bind("[::1]:0").unwrap();
    // A port nobody listens on: bind, note it, close.
    let closed4 = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let closed6 = UdpSocket::bind("[::1]:0").unwrap().local_addr().unwrap();
    let ports = [
        tcp4.local_addr(),
        tcp6.local_addr(),
        udp4.local_addr(),
        udp6.local_addr(),
    ]
    .map(|a| a.unwrap().port());
    // ICMP errors only when they quote our datagram to the closed port (byte 30 of the ICMP
    // message is the quoted UDP destination port behind a 20-byte IPv4 header; byte 90 of
    // the IPv6 packet likewise), so other tests' traffic on lo stays out of the file.
    let filter = format!(
        "tcp port {} or tcp port {} or udp port {} or udp port {} or udp port {} or udp port {} \
         or (icmp and icmp[0] = 3 and icmp[30:2] = {}) or (icmp6 and ip6[40] = 1 and ip6[90:2] = {})",
        ports[0],
        ports[1],
        ports[2],
        ports[3],
        closed4.port(),
        closed6.port(),
        closed4.port(),
        closed6.port()
    );
    let dump = start_tcpdump(&file, &["-i", "lo"], &filter);
    traffic(&tcp4, &udp4, closed4);
    traffic(&tcp6, &udp6, closed6);
    std::thread::sleep(Duration::from_millis(200));
    stop(dump);

    let packets = read_pcap(&file);
    let theirs = tshark_rows(&file);
    assert_eq!(
        packets.len(),
        theirs.len(),
        "packet count differs from tshark's"
    );
    // Handshakes, data and FINs on both families, datagrams, and the ICMP errors: which
    // kinds must be present is checked by compare_all.
    assert!(
        packets.len() >= 10,
        "only {} packets captured",
        packets.len()
    );
    compare_all(
        &packets,
        &theirs,
        &[
            "ip.ttl",
            "ipv6.hlim",
            "tcp.seq_raw",
            "udp.length",
            "icmp.type",
            "icmpv6.type",
        ],
    );

    // Write the packets back with this crate's writer: tshark must see the same file.
    let copy = dir.join(format!("golden-{}-copy.pcap", std::process::id()));
    let mut w = wire::pcap::Writer::new(
        std::io::BufWriter::new(std::fs::File::create(&copy).unwrap()),
        packets[0].1,
        262_144,
        true,
    )
    .unwrap();
    for (ts, _, data, orig) in &packets {
        w.write_packet(*ts, data, *orig).unwrap();
    }
    drop(w.into_inner().unwrap());
    assert_eq!(tshark_rows(&copy), theirs);
    // tcpdump must read it too, one line per packet.
    let out = Command::new("tcpdump")
        .args(["-n", "-r"])
        .arg(&copy)
        .output()
        .expect("run tcpdump -r");
    assert!(
        out.status.success(),
        "tcpdump -r failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        packets.len()
    );
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&copy);
}
