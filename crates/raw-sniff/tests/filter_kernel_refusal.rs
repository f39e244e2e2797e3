//! A capture whose filter the kernel refuses goes on: raw-sniff says so once on stderr and
//! filters every frame in user space, as libpcap does.
//!
//! The kernel really refuses here: a filter of 1200 ports compiles to more instructions than
//! `SO_ATTACH_FILTER` takes (`BPF_MAXINSNS`, 4096), as libpcap's does. (The other refusal,
//! `ENOMEM` for a program larger than `net.core.optmem_max`, cannot be had with a program of
//! at most 4096 instructions under the default of 128 KiB on current kernels.)
//!
//! Needs root; skipped with a message otherwise, except under `CI=true`. Traffic goes only to
//! 127.0.0.1, a handful of datagrams.
#![cfg(target_os = "linux")]

mod common;

use std::time::Duration;

use common::{can_capture, Sniffer};
use raw_sniff::filter::{compile, compile_any_length, parse, CompileError, Framing, MAX_INSNS};

/// UDP ports 40001 to 41200, one `port` primitive each.
fn long_filter() -> String {
    let ports: Vec<String> = (40001..=41200).map(|p| format!("port {p}")).collect();
    format!("udp and ({})", ports.join(" or "))
}

fn send_udp(ports: &[u16]) {
    // The filters match source ports too: a sender whose own port the system happened to pick
    // inside 40000-42000 would have every datagram kept. Pick again until it is outside.
    let socket = (0..100)
        .map(|_| std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket"))
        .find(|s| !(40000..=42000).contains(&s.local_addr().expect("local address").port()))
        .expect("a source port outside 40000-42000 within 100 tries");
    for &port in ports {
        socket
            .send_to(b"refused filter", ("127.0.0.1", port))
            .expect("send on loopback");
    }
}

const REFUSED: &str = "the kernel refused the capture filter";

#[test]
fn the_filter_is_really_too_long_for_the_kernel() {
    let expr = parse(&long_filter()).unwrap();
    let prog = compile_any_length(&expr, Framing::Ethernet).unwrap();
    assert!(prog.len() > MAX_INSNS, "{} instructions", prog.len());
    assert!(matches!(
        compile(&expr, Framing::Ethernet),
        Err(CompileError::TooLong { .. })
    ));
}

/// Real loopback traffic captured with tcpdump: 16 TCP segments on ports 47001 and 47002,
/// and 3 other packets.
const LO_MIXED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../wire/tests/data/lo-mixed.pcap"
);

#[test]
fn a_file_is_filtered_whatever_the_length_of_the_program() {
    // Too long for the kernel, but a file is filtered here anyway, as tcpdump -r does.
    let ports: Vec<String> = (46001..=47200).map(|p| format!("port {p}")).collect();
    let filter = format!("tcp and ({})", ports.join(" or "));
    let out = std::process::Command::new(common::BIN)
        .args(["-r", LO_MIXED, "-f", &filter])
        .output()
        .expect("run raw-sniff");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("19 packets seen, 16 matched"), "{err}");
    assert!(!err.contains(REFUSED), "{err}");
}

#[test]
fn a_refused_filter_runs_in_user_space_and_still_filters() {
    if !can_capture() {
        return;
    }
    let filter = long_filter();
    // Compiling and optimising ~4,100 instructions takes a debug build several seconds of CPU
    // (about 7 s here, 14 s on a busy machine), before raw-sniff can say it started.
    let sniffer = Sniffer::start_within(
        &[],
        &["-i", "lo", "-c", "3", "-f", &filter],
        Duration::from_secs(90),
    );
    let startup = sniffer.startup();
    assert_eq!(startup.matches(REFUSED).count(), 1, "{startup}");
    assert!(
        startup.contains("filtering every packet in user space"),
        "{startup}"
    );
    // Three datagrams the filter keeps, between others it drops.
    send_udp(&[41500, 40001, 41201, 40500, 40000, 42000, 41200]);
    let (status, out, err) = sniffer.wait();
    assert!(status.success(), "{err}");
    let kept: Vec<&str> = out.lines().collect();
    assert_eq!(kept.len(), 3, "{out}");
    for (line, port) in kept.iter().zip([40001, 40500, 41200]) {
        assert!(line.contains(&format!("127.0.0.1.{port}: UDP")), "{out}");
    }
    // Said once, at the start, never per packet.
    assert_eq!(err.matches(REFUSED).count(), 1, "{err}");
}

#[test]
fn a_filter_the_kernel_takes_is_not_reported() {
    if !can_capture() {
        return;
    }
    let sniffer = Sniffer::start(&[], &["-i", "lo", "-c", "1", "-f", "udp port 40002"]);
    send_udp(&[41999, 40002]);
    let (status, out, err) = sniffer.wait();
    assert!(status.success(), "{err}");
    assert!(!err.contains(REFUSED), "{err}");
    assert!(out.contains("127.0.0.1.40002: UDP"), "{out}");
}
