//! Compiled filters attached to real `AF_PACKET` sockets: the kernel must accept every program
//! (its verifier is the one that counts), and must keep exactly the frames our interpreter
//! accepts, so live capture and `--read` cannot disagree.
//!
//! Traffic is sent over loopback while one unfiltered socket and one socket per filter listen.
//! Frames carrying this run's marker are the reference: each filtered socket must hold exactly
//! those the interpreter accepts. Every other frame a filtered socket got (other traffic on the
//! host, TCP handshakes) must be one the interpreter accepts too.
//!
//! Needs root (or CAP_NET_RAW); skipped with a message otherwise, except under `CI=true`.
#![cfg(target_os = "linux")]

use std::collections::BTreeSet;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv6Addr, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use raw_sniff::filter::{compile, parse, run, LinkType, Program, SNAPLEN};
use socket2::{Domain, Protocol, Socket, Type};

/// ETH_P_ALL, in network byte order as `socket(2)` wants it.
const ETH_P_ALL: u16 = 0x0003;

fn packet_socket() -> Option<Socket> {
    let proto = Protocol::from(i32::from(ETH_P_ALL.to_be()));
    match Socket::new(Domain::PACKET, Type::RAW, Some(proto)) {
        Ok(s) => {
            s.set_recv_buffer_size(8 << 20).unwrap();
            Some(s)
        }
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true needs root for the live filter test: {e}");
            }
            eprintln!("skipping: an AF_PACKET socket needs root or CAP_NET_RAW ({e})");
            None
        }
        Err(e) => panic!("AF_PACKET socket: {e}"),
    }
}

/// Reads every queued frame; stops after `idle` without one.
fn drain(s: &Socket, idle: Duration) -> Vec<Vec<u8>> {
    s.set_read_timeout(Some(idle)).unwrap();
    let mut frames = Vec::new();
    let mut buf = vec![0u8; 70_000];
    loop {
        match (&*s).read(&mut buf) {
            Ok(n) => frames.push(buf[..n].to_vec()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return frames
            }
            Err(e) => panic!("read: {e}"),
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn kernel_keeps_what_the_interpreter_accepts() {
    let Some(reference) = packet_socket() else {
        return;
    };
    // Ports: p1 has a UDP listener, p2 is found free and left closed (so ICMP errors come back).
    let listener = UdpSocket::bind("127.0.0.1:0").unwrap();
    let p1 = listener.local_addr().unwrap().port();
    let p2 = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listener6 = UdpSocket::bind((Ipv6Addr::LOCALHOST, p1)).ok();
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let tport = tcp.local_addr().unwrap().port();
    let (lo, hi) = (p1.min(p2), p1.max(p2));

    let long: Vec<String> = (1..60).map(|p| p.to_string()).collect();
    // Each filter, and whether some marked frame must match it (ICMP errors may be rate
    // limited, and IPv6 may be missing on lo, so those cannot be required).
    let filters = [
        (format!("udp dst port {p1}"), true),
        (format!("udp port {p1} or {p2}"), true),
        (format!("ip6 and udp dst port {p1}"), listener6.is_some()),
        ("icmp or icmp6".to_string(), false),
        (format!("tcp port {tport} and host 127.0.0.1"), true),
        ("not udp".to_string(), true),
        ("src host ::1 and not tcp".to_string(), false),
        (format!("port {} or {p1}", long.join(" or ")), true),
        (format!("dst portrange {lo}-{hi}"), true),
        ("net 127.0.0.0/8 and udp".to_string(), true),
    ];
    let mut sockets: Vec<(String, bool, Program, Socket)> = Vec::new();
    for (f, must_match) in &filters {
        let prog = compile(&parse(f).unwrap(), LinkType::Ethernet).unwrap();
        let s = packet_socket().unwrap();
        let insns: Vec<socket2::SockFilter> = prog
            .instructions()
            .iter()
            .map(|i| socket2::SockFilter::new(i.code, i.jt, i.jf, i.k))
            .collect();
        s.attach_filter(&insns)
            .unwrap_or_else(|e| panic!("kernel refused '{f}' ({} insns): {e}", prog.len()));
        // Frames queued between socket() and the attach were not filtered: discard them.
        drain(&s, Duration::from_millis(20));
        sockets.push((f.clone(), *must_match, prog, s));
    }
    drain(&reference, Duration::from_millis(20));

    let marker = format!(
        "filter-live-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    for port in [p1, p2] {
        sender
            .send_to(marker.as_bytes(), ("127.0.0.1", port))
            .unwrap();
    }
    if listener6.is_some() {
        let sender6 = UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).unwrap();
        sender6
            .send_to(marker.as_bytes(), (Ipv6Addr::LOCALHOST, p1))
            .unwrap();
        sender6
            .send_to(marker.as_bytes(), (Ipv6Addr::LOCALHOST, p2))
            .unwrap();
    }
    let mut client = TcpStream::connect(("127.0.0.1", tport)).unwrap();
    let (mut server, _) = tcp.accept().unwrap();
    client.write_all(marker.as_bytes()).unwrap();
    let mut got = vec![0u8; marker.len()];
    server.read_exact(&mut got).unwrap();
    drop((client, server));

    let idle = Duration::from_millis(300);
    let all: BTreeSet<Vec<u8>> = drain(&reference, idle)
        .into_iter()
        .filter(|f| contains(f, marker.as_bytes()))
        .collect();
    assert!(
        all.len() >= 4,
        "expected the marked UDP, ICMP and TCP frames, saw {}",
        all.len()
    );

    let mut failures = Vec::new();
    for (f, must_match, prog, s) in &sockets {
        let frames = drain(s, idle);
        let accepts = |frame: &[u8]| run(prog.instructions(), frame, frame.len() as u32) == SNAPLEN;
        for frame in &frames {
            if !accepts(frame) {
                failures.push(format!(
                    "'{f}': kernel kept a frame we reject: {frame:02x?}"
                ));
            }
        }
        let kept: BTreeSet<Vec<u8>> = frames
            .into_iter()
            .filter(|fr| contains(fr, marker.as_bytes()))
            .collect();
        let want: BTreeSet<Vec<u8>> = all.iter().filter(|fr| accepts(fr)).cloned().collect();
        if kept != want {
            failures.push(format!(
                "'{f}': kernel kept {} marked frames, interpreter accepts {}",
                kept.len(),
                want.len()
            ));
        }
        if *must_match && want.is_empty() {
            failures.push(format!(
                "'{f}' matched no marked frame: the test proves nothing"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
