//! `--json` on live traffic: the handshake, data lengths, sequence arithmetic and FIN exchange
//! read back from the fields, across a veth pair and on loopback.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::Command;

use common::{can_capture, NetPair, Sniffer};
use serde_json::Value;
use test_support::{have, run};

fn packets(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn num(p: &Value, layer: &str, field: &str) -> u64 {
    p[layer][field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} missing in {p}"))
}

/// Checks one TCP conversation of `payload_len` bytes echoed back, client first.
fn check_echo_conversation(tcp: &[&Value], client_port: u64, payload_len: u64) {
    let from_client = |p: &&Value| num(p, "tcp", "tcp.srcport") == client_port;
    let flags = |p: &Value| p["tcp"]["tcp.flags.str"].as_str().unwrap().to_owned();
    // Three-way handshake.
    assert_eq!(flags(tcp[0]), "S");
    assert_eq!(flags(tcp[1]), "S.");
    assert_eq!(flags(tcp[2]), ".");
    let client_isn = num(tcp[0], "tcp", "tcp.seq_raw") as u32;
    let server_isn = num(tcp[1], "tcp", "tcp.seq_raw") as u32;
    assert_eq!(
        num(tcp[1], "tcp", "tcp.ack_raw") as u32,
        client_isn.wrapping_add(1)
    );
    assert_eq!(
        num(tcp[2], "tcp", "tcp.ack_raw") as u32,
        server_isn.wrapping_add(1)
    );
    // The data: relative byte 1 onwards in each direction, as long as what was sent.
    let data: Vec<&&Value> = tcp
        .iter()
        .filter(|p| num(p, "tcp", "tcp.len") > 0)
        .collect();
    let sent: u64 = data
        .iter()
        .filter(|p| from_client(p))
        .map(|p| num(p, "tcp", "tcp.len"))
        .sum();
    let echoed: u64 = data
        .iter()
        .filter(|p| !from_client(p))
        .map(|p| num(p, "tcp", "tcp.len"))
        .sum();
    assert_eq!((sent, echoed), (payload_len, payload_len));
    let first_up = data.iter().find(|p| from_client(p)).unwrap();
    assert_eq!(
        num(first_up, "tcp", "tcp.seq_raw") as u32,
        client_isn.wrapping_add(1)
    );
    let first_down = data.iter().find(|p| !from_client(p)).unwrap();
    assert_eq!(
        num(first_down, "tcp", "tcp.seq_raw") as u32,
        server_isn.wrapping_add(1)
    );
    // Both sides close, and each FIN is acknowledged one past its sequence number.
    let fins: Vec<&&Value> = tcp.iter().filter(|p| flags(p).contains('F')).collect();
    assert_eq!(fins.len(), 2, "two FINs");
    for fin in fins {
        let fin_seq = num(fin, "tcp", "tcp.seq_raw") as u32 + num(fin, "tcp", "tcp.len") as u32;
        let acked = tcp.iter().any(|p| {
            from_client(p) != from_client(fin)
                && num(p, "tcp", "tcp.ack_raw") as u32 == fin_seq.wrapping_add(1)
        });
        assert!(acked, "FIN at {fin_seq} acknowledged");
    }
}

#[test]
fn tcp_udp_and_ping_across_a_veth_pair() {
    if !can_capture() || !have("socat") || !have("ping") {
        return;
    }
    let pair = NetPair::new(4, None);
    let mut server = Command::new("ip")
        .args(["netns", "exec", &pair.b, "socat"])
        .arg(format!("TCP-LISTEN:7010,bind={},reuseaddr", pair.b_addr))
        .arg("EXEC:cat")
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let prefix = pair.exec_in(&pair.a);
    let sniffer = Sniffer::start(&prefix, &["-i", &pair.a_if, "--json", "not arp"]);
    let exchange = run(Command::new("sh").arg("-c").arg(format!(
        "printf 'twelve bytes' | ip netns exec {a} socat -t2 - TCP:{b}:7010 && \
         printf 'datagram' | ip netns exec {a} socat -u - UDP:{b}:9999 && \
         ip netns exec {a} ping -c 2 -i 0.2 -W 2 {b}",
        a = pair.a,
        b = pair.b_addr
    )));
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        exchange.status.success(),
        "{}",
        String::from_utf8_lossy(&exchange.stderr)
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (status, out, err) = sniffer.interrupt();
    assert!(status.success(), "{err}");
    let all = packets(&out);

    let tcp: Vec<&Value> = all.iter().filter(|p| p.get("tcp").is_some()).collect();
    let client_port = num(tcp[0], "tcp", "tcp.srcport");
    check_echo_conversation(&tcp, client_port, 12);

    let udp: Vec<&Value> = all.iter().filter(|p| p.get("udp").is_some()).collect();
    assert_eq!(udp.len(), 1);
    assert_eq!(num(udp[0], "udp", "udp.length"), 8 + 8);
    assert_eq!(udp[0]["data"]["data.data"], "646174616772616d");

    let icmp: Vec<u64> = all
        .iter()
        .filter(|p| p.get("icmp").is_some())
        .map(|p| num(p, "icmp", "icmp.type"))
        .collect();
    // Nothing listens on UDP 9999, so the datagram is answered with port unreachable (3);
    // then two echo requests (8) and their replies (0).
    assert_eq!(icmp, [3, 8, 0, 8, 0]);
    for p in &all {
        assert_eq!(p["ip"]["ip.checksum.status"], "good", "{p}");
    }
}

#[test]
fn tcp_on_loopback() {
    if !can_capture() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let echo = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).unwrap();
        s.write_all(&buf).unwrap();
    });
    let filter = format!("tcp port {port}");
    let sniffer = Sniffer::start(&[], &["-i", "lo", "--json", &filter]);
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client.write_all(&[7u8; 3000]).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    client.read_to_end(&mut back).unwrap();
    echo.join().unwrap();
    drop(client);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (status, out, err) = sniffer.interrupt();
    assert!(status.success(), "{err}");
    let all = packets(&out);
    let tcp: Vec<&Value> = all.iter().collect();
    let client_port = num(tcp[0], "tcp", "tcp.srcport");
    assert_ne!(client_port, u64::from(port));
    check_echo_conversation(&tcp, client_port, 3000);
    // Loopback: each packet once, not once going out and once coming in.
    let mut seen = std::collections::HashSet::new();
    for p in &tcp {
        let key = (
            num(p, "tcp", "tcp.srcport"),
            num(p, "tcp", "tcp.seq_raw"),
            num(p, "tcp", "tcp.ack_raw"),
            num(p, "tcp", "tcp.len"),
            p["tcp"]["tcp.flags.str"].to_string(),
        );
        assert!(seen.insert(key), "duplicate packet {p}");
    }
}

#[test]
fn ip_raw_rebuilds_the_ipv6_header_the_kernel_keeps() {
    if !can_capture() || !have("ping") {
        return;
    }
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    }
    let sniffer = Sniffer::start(&[], &["--ip-raw", "--json", "-c", "2", "icmp6"]);
    let out = run(Command::new("ping").args(["-6", "-c", "1", "-W", "2", "::1"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (status, out, err) = sniffer.wait();
    assert!(status.success(), "{err}");
    assert!(err.contains("IPv6 headers rebuilt"), "{err}");
    let all = packets(&out);
    let types: Vec<u64> = all
        .iter()
        .map(|p| num(p, "icmpv6", "icmpv6.type"))
        .collect();
    assert_eq!(types, [128, 129]);
    for p in &all {
        assert_eq!(p["ipv6"]["ipv6.src"], "::1");
        assert_eq!(p["ipv6"]["ipv6.dst"], "::1");
        assert_eq!(num(p, "ipv6", "ipv6.plen"), 64);
        assert_eq!(num(p, "ipv6", "ipv6.hlim"), 64);
        // The checksum covers a pseudo-header of both addresses: it only checks out if the
        // rebuilt header names them right.
        assert_eq!(p["icmpv6"]["icmpv6.checksum.status"], "good", "{p}");
    }
}
