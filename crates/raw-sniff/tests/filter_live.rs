//! Compiled filters attached to real `AF_PACKET` sockets: the kernel must accept every program
//! (its verifier is the one that counts), and must keep exactly the frames our interpreter
//! accepts, so live capture and `--read` cannot disagree.
//!
//! Traffic is sent over loopback while one unfiltered socket and one socket per filter listen.
//! Frames carrying this run's marker are the reference: each filtered socket must hold exactly
//! those the interpreter accepts. Every other frame a filtered socket got (other traffic on the
//! host, TCP handshakes) must be one the interpreter accepts too.
//!
//! As root each test runs again in a network namespace of its own, so other traffic on the
//! host's loopback cannot crowd out the marked frames.
//!
//! Needs root (or CAP_NET_RAW); skipped with a message otherwise, except under `CI=true`.
#![cfg(target_os = "linux")]

use std::collections::BTreeSet;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv6Addr, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use raw_sniff::filter::{
    compile, compile_for_cooked_socket, parse, run, Framing, Program, SNAPLEN,
};
use socket2::{Domain, Protocol, Socket, Type};

/// ETH_P_ALL, in network byte order as `socket(2)` wants it.
const ETH_P_ALL: u16 = 0x0003;

/// A packet socket of `ty` (`RAW`: frames with their link header; `DGRAM`: network packets).
fn packet_socket(ty: Type) -> Option<Socket> {
    let proto = Protocol::from(i32::from(ETH_P_ALL.to_be()));
    match Socket::new(Domain::PACKET, ty, Some(proto)) {
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

/// Reads every queued frame; stops after `idle` without one, or after `cap`: on a host with
/// other traffic a socket taking all of it (`not udp`) is never idle, and what was queued
/// before the call (all this test sent) is read in far less.
fn drain(s: &Socket, idle: Duration, cap: Duration) -> Vec<Vec<u8>> {
    s.set_read_timeout(Some(idle)).unwrap();
    let mut frames = Vec::new();
    let mut buf = vec![0u8; 70_000];
    let until = std::time::Instant::now() + cap;
    while std::time::Instant::now() < until {
        match (&*s).read(&mut buf) {
            Ok(n) => frames.push(buf[..n].to_vec()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return frames
            }
            Err(e) => panic!("read: {e}"),
        }
    }
    frames
}

/// Frames the kernel dropped for `s` since the last call, because its receive buffer was full.
/// Other traffic on the host (every non-UDP packet for `not udp`) can fill it while a loaded
/// machine keeps this test off the CPU, and a dropped frame makes the comparison meaningless.
fn dropped(s: &Socket) -> u32 {
    use std::os::fd::AsRawFd;
    let mut st = libc::tpacket_stats {
        tp_packets: 0,
        tp_drops: 0,
    };
    let mut len = std::mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
    // SAFETY: `st` is a writable tpacket_stats of `len` bytes for the call's duration.
    let rc = unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_STATISTICS,
            (&mut st as *mut libc::tpacket_stats).cast::<libc::c_void>(),
            &mut len,
        )
    };
    assert_eq!(
        rc,
        0,
        "PACKET_STATISTICS: {}",
        std::io::Error::last_os_error()
    );
    st.tp_drops
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Loopback endpoints for the marked traffic.
struct Peers {
    /// Has a UDP listener (IPv4, and IPv6 when `udp6` is there).
    p1: u16,
    /// Was free when chosen and is left closed, so ICMP errors come back.
    p2: u16,
    /// Held open so `p1` has a listener.
    _udp: UdpSocket,
    udp6: Option<UdpSocket>,
    tcp: TcpListener,
}

impl Peers {
    fn new() -> Self {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p1 = udp.local_addr().unwrap().port();
        let p2 = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Peers {
            p1,
            p2,
            _udp: udp,
            udp6: UdpSocket::bind((Ipv6Addr::LOCALHOST, p1)).ok(),
            tcp: TcpListener::bind("127.0.0.1:0").unwrap(),
        }
    }

    fn tport(&self) -> u16 {
        self.tcp.local_addr().unwrap().port()
    }

    /// Each filter, and whether some marked frame must match it (ICMP errors may be rate
    /// limited, and IPv6 may be missing on lo, so those cannot be required).
    fn filters(&self) -> Vec<(String, bool)> {
        let (p1, p2, tport) = (self.p1, self.p2, self.tport());
        let (lo, hi) = (p1.min(p2), p1.max(p2));
        let long: Vec<String> = (1..60).map(|p| p.to_string()).collect();
        vec![
            (format!("udp dst port {p1}"), true),
            (format!("udp port {p1} or {p2}"), true),
            (format!("ip6 and udp dst port {p1}"), self.udp6.is_some()),
            ("icmp or icmp6".to_string(), false),
            (format!("tcp port {tport} and host 127.0.0.1"), true),
            ("not udp".to_string(), true),
            ("src host ::1 and not tcp".to_string(), false),
            (format!("port {} or {p1}", long.join(" or ")), true),
            (format!("dst portrange {lo}-{hi}"), true),
            ("net 127.0.0.0/8 and udp".to_string(), true),
            // Relations: loads behind the IHL, arithmetic, `len`, and a division by a load
            // that is 0 for UDP (rejecting it) and not for TCP.
            (format!("udp[2:2] = {p1} or udp[2:2] = {p2}"), true),
            (
                "ip proto \\udp and greater 30 and ip[2:2] < 1500".to_string(),
                true,
            ),
            ("ip6 proto 17".to_string(), false),
            ("ip[8] != 0 and ip[8] / (ip[9] - 17) = 0".to_string(), true),
            (
                format!("tcp[tcpflags] & (tcp-syn|tcp-ack) != 0 and tcp[2:2] ^ 0 = {tport}"),
                false,
            ),
            (
                "tcp[((tcp[12:1] & 0xf0) >> 2):4] != 0 and len - 20 > 1".to_string(),
                false,
            ),
            // protochain's unrolled walk, which uses scratch memory and long jump chains;
            // names; masks that are not prefixes; the IP protocol words and DECnet.
            ("protochain 17 and not ip6 protochain 6".to_string(), true),
            ("proto \\udp and host localhost".to_string(), true),
            (
                "udp and src net 127.0.0.0 mask 255.0.255.0 and net 127".to_string(),
                true,
            ),
            (
                "not (sctp or igmp or pim or vrrp or ah or esp) and udp".to_string(),
                true,
            ),
            ("decnet host 1.2 or sctp[0:2] = 1 or udp".to_string(), true),
        ]
    }

    /// UDP to an open and a closed port over IPv4 and IPv6, and a TCP exchange, each carrying
    /// `marker`; returns once the TCP data has arrived.
    fn send(&self, marker: &[u8]) {
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        for port in [self.p1, self.p2] {
            sender.send_to(marker, ("127.0.0.1", port)).unwrap();
        }
        if self.udp6.is_some() {
            let sender6 = UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).unwrap();
            for port in [self.p1, self.p2] {
                sender6
                    .send_to(marker, (Ipv6Addr::LOCALHOST, port))
                    .unwrap();
            }
        }
        let mut client = TcpStream::connect(("127.0.0.1", self.tport())).unwrap();
        let (mut server, _) = self.tcp.accept().unwrap();
        client.write_all(marker).unwrap();
        let mut got = vec![0u8; marker.len()];
        server.read_exact(&mut got).unwrap();
    }
}

fn marker(tag: &str) -> Vec<u8> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("filter-live-{tag}-{}-{nanos}", std::process::id()).into_bytes()
}

/// Attaches `prog`, then discards what was queued before the filter was in place.
fn attach(s: &Socket, f: &str, prog: &Program) {
    let insns: Vec<socket2::SockFilter> = prog
        .instructions()
        .iter()
        .map(|i| socket2::SockFilter::new(i.code, i.jt, i.jf, i.k))
        .collect();
    s.attach_filter(&insns)
        .unwrap_or_else(|e| panic!("kernel refused '{f}' ({} insns): {e}", prog.len()));
    drain(s, Duration::from_millis(20), Duration::from_millis(500));
}

/// Sends the marked traffic and checks each filtered socket against `accepts`, which says
/// whether our side accepts a frame as the socket delivers it.
/// Set in the copy of this test run inside its own network namespace.
const IN_NETNS: &str = "SOCKLAB_FILTER_LIVE_IN_NETNS";

/// Runs the test whose traffic tag is `tag` again, alone, in a network namespace made for it,
/// and returns true once that run passed; false when this is already that run or without root
/// (the test then goes on here, and skips or fails as it says). On the host's `lo`, other
/// programs' traffic (a benchmark, another suite) fills the sockets that take nearly
/// everything (`not udp`) and the kernel drops frames: in a namespace of its own, loopback
/// carries only what this test sends.
fn rerun_in_netns(tag: &str) -> bool {
    if std::env::var_os(IN_NETNS).is_some()
        || !std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
    {
        return false;
    }
    struct Netns(String);
    impl Drop for Netns {
        fn drop(&mut self) {
            let _ = std::process::Command::new("ip")
                .args(["netns", "delete", &self.0])
                .status();
        }
    }
    let test = match tag {
        "raw" => "kernel_keeps_what_the_interpreter_accepts",
        _ => "cooked_socket_keeps_what_the_cooked_frame_filter_accepts",
    };
    let ns = Netns(format!("slfl{}{tag}", std::process::id() % 100_000));
    let ip = |args: &[&str]| {
        let out = std::process::Command::new("ip")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ip(&["netns", "add", &ns.0]);
    ip(&["-n", &ns.0, "link", "set", "dev", "lo", "up"]);
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", &ns.0])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture"])
        .env(IN_NETNS, "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{test} in netns {}:\n{}\n{}",
        ns.0,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

/// Runs [`compare_once`] until no socket had frames dropped by the kernel (a few tries: the
/// drops come from other traffic on a busy host, not from the filters).
fn compare(
    ty: Type,
    tag: &str,
    programs: impl Fn(&str) -> Program,
    accepts: impl Fn(&Program, &str, &[u8]) -> Option<bool>,
) {
    if rerun_in_netns(tag) {
        return;
    }
    for attempt in 1..=3 {
        match compare_once(ty, tag, &programs, &accepts) {
            Ok(()) => return,
            Err(drops) => eprintln!("attempt {attempt}: {drops}; the comparison is repeated"),
        }
    }
    panic!("every attempt had frames dropped by the kernel; the host is too busy to compare");
}

/// Compares once; `Err` when the kernel dropped frames on some socket, so that a missing frame
/// proves nothing.
fn compare_once(
    ty: Type,
    tag: &str,
    programs: &impl Fn(&str) -> Program,
    accepts: &impl Fn(&Program, &str, &[u8]) -> Option<bool>,
) -> Result<(), String> {
    let Some(reference) = packet_socket(ty) else {
        return Ok(());
    };
    let peers = Peers::new();
    let mut sockets = Vec::new();
    for (f, must_match) in peers.filters() {
        let prog = programs(&f);
        let s = packet_socket(ty).unwrap();
        attach(&s, &f, &prog);
        // Frames dropped before the filter was attached do not count (the read resets it).
        dropped(&s);
        sockets.push((f, must_match, prog, s));
    }
    drain(
        &reference,
        Duration::from_millis(20),
        Duration::from_millis(500),
    );
    dropped(&reference);

    let marker = marker(tag);
    peers.send(&marker);
    let idle = Duration::from_millis(300);
    let all: BTreeSet<Vec<u8>> = drain(&reference, idle, Duration::from_secs(5))
        .into_iter()
        .filter(|f| contains(f, &marker))
        .collect();
    assert!(
        all.len() >= 4,
        "expected the marked UDP, ICMP and TCP frames, saw {}",
        all.len()
    );

    let mut failures = Vec::new();
    let mut drops = Vec::new();
    for (f, must_match, prog, s) in &sockets {
        let frames = drain(s, idle, Duration::from_secs(5));
        let lost = dropped(s);
        if lost > 0 {
            drops.push(format!("'{f}': {lost} frames dropped by the kernel"));
        }
        for frame in &frames {
            if accepts(prog, f, frame) == Some(false) {
                failures.push(format!(
                    "'{f}': kernel kept a frame we reject: {frame:02x?}"
                ));
            }
        }
        let kept: BTreeSet<Vec<u8>> = frames
            .into_iter()
            .filter(|fr| contains(fr, &marker))
            .collect();
        let want: BTreeSet<Vec<u8>> = all
            .iter()
            .filter(|fr| accepts(prog, f, fr) == Some(true))
            .cloned()
            .collect();
        if kept != want {
            failures.push(format!(
                "'{f}': kernel kept {} marked frames, we accept {}",
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
    if dropped(&reference) > 0 {
        drops.push("the unfiltered socket dropped frames".to_owned());
    }
    if !drops.is_empty() {
        return Err(drops.join(", "));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

/// Frames with their link header (loopback's is Ethernet-shaped), as `--iface lo` sees them.
#[test]
fn kernel_keeps_what_the_interpreter_accepts() {
    compare(
        Type::RAW,
        "raw",
        |f| compile(&parse(f).unwrap(), Framing::Ethernet).unwrap(),
        |prog, _, frame| Some(run(prog.instructions(), frame, frame.len() as u32) == SNAPLEN),
    );
}

/// Network-layer packets, as `--iface any` gets them: the kernel runs the cooked-socket
/// program, and our side runs the Linux-cooked program on the frame the capture backend would
/// build (a cooked header carrying the packet's protocol, then the packet).
#[test]
fn cooked_socket_keeps_what_the_cooked_frame_filter_accepts() {
    compare(
        Type::DGRAM,
        "dgram",
        |f| compile_for_cooked_socket(&parse(f).unwrap()).unwrap(),
        |_, f, packet| {
            // Loopback carries only IP; the version gives the protocol a cooked header holds.
            let proto: u16 = match packet.first()? >> 4 {
                4 => 0x0800,
                6 => 0x86dd,
                _ => return None,
            };
            let mut frame = vec![0, 0]; // packet type: to us
            frame.extend_from_slice(&772u16.to_be_bytes()); // ARPHRD_LOOPBACK
            frame.extend_from_slice(&[0, 6]); // address length
            frame.extend_from_slice(&[0; 8]); // address, padded to 8
            frame.extend_from_slice(&proto.to_be_bytes());
            frame.extend_from_slice(packet);
            let sll = compile(&parse(f).unwrap(), Framing::LinuxSll).unwrap();
            Some(sll.run(&frame, frame.len() as u32) == SNAPLEN)
        },
    );
}
