//! Live capture between two network namespaces made for the test: raw-sniff on one end of a
//! veth pair, socat and ping making traffic across it, tshark reading what raw-sniff wrote.

mod common;

use std::process::Command;

use common::{can_capture, NetPair, Sniffer, BIN};
use test_support::{have, run};

/// An echo server in namespace `ns`, killed on drop.
struct Peer(std::process::Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn echo_server(pair: &NetPair, port: u16) -> Peer {
    let peer = Peer(
        Command::new("ip")
            .args(["netns", "exec", &pair.b, "socat"])
            .arg(format!(
                "TCP-LISTEN:{port},bind={},reuseaddr,fork",
                pair.b_addr
            ))
            .arg("EXEC:cat")
            .spawn()
            .unwrap(),
    );
    // Wait until it listens, checking from inside its namespace.
    for _ in 0..200 {
        let out = run(Command::new("ip").args(["netns", "exec", &pair.b, "ss", "-Hltn"]));
        if String::from_utf8_lossy(&out.stdout).contains(&format!(":{port}")) {
            return peer;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("socat did not start listening");
}

fn tcp_exchange(pair: &NetPair, port: u16, payload: &str) {
    let out = run(Command::new("sh").arg("-c").arg(format!(
        "printf '{payload}' | ip netns exec {} socat -t2 - TCP:{}:{port}",
        pair.a, pair.b_addr
    )));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), payload);
}

/// Fields of one tcpdump-style TCP line: (src, dst, flags, seq, ack, length).
fn tcp_fields(line: &str) -> Option<(String, String, String, String, Option<String>, usize)> {
    let rest = line.split_once(" IP ")?.1;
    let (src, rest) = rest.split_once(" > ")?;
    let (dst, rest) = rest.split_once(": Flags [")?;
    let (flags, rest) = rest.split_once(']')?;
    let field = |name: &str| {
        rest.split(", ")
            .find_map(|part| part.strip_prefix(name).map(str::to_owned))
    };
    Some((
        src.to_owned(),
        dst.to_owned(),
        flags.to_owned(),
        field("seq ").unwrap_or_default(),
        field("ack "),
        field("length ")?.parse().ok()?,
    ))
}

#[test]
fn tcp_handshake_data_and_close_across_a_veth_pair() {
    if !can_capture() || !have("socat") {
        return;
    }
    let pair = NetPair::new(1, None);
    let _server = echo_server(&pair, 7007);
    let dir = std::env::temp_dir().join(format!("raw-sniff-veth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("veth.pcap");
    let pcap_arg = pcap.to_str().unwrap().to_owned();

    let prefix = pair.exec_in(&pair.a);
    let sniffer = Sniffer::start(&prefix, &["-i", &pair.a_if, "-w", &pcap_arg]);
    tcp_exchange(&pair, 7007, "hello over veth\n");
    // Let the last ACK arrive before stopping the capture.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (status, out, err) = sniffer.interrupt();
    assert!(status.success(), "raw-sniff failed: {err}");

    let client = format!("{}.", pair.a_addr);
    let lines: Vec<_> = out.lines().filter_map(tcp_fields).collect();
    assert!(lines.len() >= 8, "expected a whole connection, got:\n{out}");
    // The handshake shows absolute numbers, as tcpdump does: the SYN-ACK acknowledges the
    // client's initial sequence number plus one.
    let (src, dst, flags, isn, ack, len) = &lines[0];
    assert!(src.starts_with(&client) && dst.ends_with(".7007"), "{out}");
    assert_eq!((flags.as_str(), ack, *len), ("S", &None, 0), "{out}");
    let isn: u32 = isn.parse().unwrap();
    let (_, _, flags, _, ack, _) = &lines[1];
    assert_eq!(flags, "S.", "{out}");
    assert_eq!(
        ack.as_deref(),
        Some(isn.wrapping_add(1).to_string().as_str()),
        "{out}"
    );
    let (_, _, flags, _, ack, _) = &lines[2];
    assert_eq!((flags.as_str(), ack.as_deref()), (".", Some("1")));
    // The 16 bytes go out as relative bytes 1..17 and come back the same way; the echo acks 17,
    // or 18 when the client's FIN (one sequence number) arrived first.
    let data: Vec<_> = lines.iter().filter(|l| l.5 > 0).collect();
    assert_eq!(data.len(), 2, "{out}");
    assert!(
        data[0].0.starts_with(&client) && data[0].3 == "1:17" && data[0].5 == 16,
        "{out}"
    );
    assert!(
        data[1].1.starts_with(&client)
            && data[1].3 == "1:17"
            && matches!(data[1].4.as_deref(), Some("17" | "18")),
        "{out}"
    );
    let fins = lines.iter().filter(|l| l.2.contains('F')).count();
    assert_eq!(fins, 2, "both sides send FIN:\n{out}");
    assert!(
        err.contains(&format!("{} packets seen", out.lines().count())),
        "{err}"
    );

    if have("tshark") {
        // tshark reads the file we wrote and sees the same packets with the same relative
        // sequence numbers and lengths.
        let t = run(Command::new("tshark").args([
            "-r",
            &pcap_arg,
            "-Y",
            "tcp",
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.len",
            "-e",
            "tcp.seq",
            "-e",
            "tcp.ack",
            "-e",
            "tcp.seq_raw",
            "-e",
            "tcp.ack_raw",
        ]));
        assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
        let tshark: Vec<String> = String::from_utf8_lossy(&t.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(
            tshark.len(),
            lines.len(),
            "packet count differs from tshark's"
        );
        for (ours, theirs) in lines.iter().zip(&tshark) {
            let cols: Vec<&str> = theirs.split('\t').collect();
            let port = ours.0.rsplit('.').next().unwrap();
            assert_eq!(cols[0], port, "{theirs}");
            assert_eq!(cols[1].parse::<usize>().unwrap(), ours.5, "{theirs}");
            // Handshake packets carry absolute numbers (tshark's *_raw), the rest relative.
            let (seq_col, ack_col) = if ours.2.contains('S') { (4, 5) } else { (2, 3) };
            let seq_start = ours.3.split(':').next().unwrap();
            if !seq_start.is_empty() {
                assert_eq!(cols[seq_col], seq_start, "{theirs}");
            }
            if let Some(ack) = &ours.4 {
                assert_eq!(cols[ack_col], ack, "{theirs}");
            }
        }
    }
    if have("tcpdump") {
        // And the file reads back, line for line, as tcpdump prints it.
        let theirs = run(Command::new("tcpdump")
            .env("TZ", "UTC")
            .args(["-nr", &pcap_arg]));
        let ours = run(Command::new(BIN).args(["-r", &pcap_arg]));
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn ip_raw_sockets_hand_over_ip_packets_without_a_link_header() {
    if !can_capture() || !have("socat") {
        return;
    }
    let pair = NetPair::new(2, None);
    let _server = echo_server(&pair, 7008);
    let dir = std::env::temp_dir().join(format!("raw-sniff-ipraw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("ipraw.pcap");
    let pcap_arg = pcap.to_str().unwrap().to_owned();
    let prefix = pair.exec_in(&pair.a);
    let sniffer = Sniffer::start(&prefix, &["--ip-raw", "-w", &pcap_arg]);
    tcp_exchange(&pair, 7008, "raw\n");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (status, out, err) = sniffer.interrupt();
    assert!(status.success(), "{err}");
    assert!(err.contains("link type RAW"), "{err}");
    // Only what this host receives: the server's side of the conversation.
    let lines: Vec<_> = out.lines().filter_map(tcp_fields).collect();
    assert!(!lines.is_empty(), "{out}");
    assert!(
        lines.iter().all(|l| l.0.ends_with(".7008")),
        "only incoming packets:\n{out}"
    );
    if have("tshark") {
        let t = run(Command::new("tshark").args([
            "-r",
            &pcap_arg,
            "-T",
            "fields",
            "-e",
            "frame.protocols",
        ]));
        let protocols = String::from_utf8_lossy(&t.stdout);
        assert!(
            protocols.lines().all(|l| l.starts_with("raw:ip:tcp")),
            "{protocols}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn capture_without_privilege_names_the_fix() {
    if !can_capture() {
        return;
    }
    for args in [&["-i", "lo", "-c", "1"][..], &["--ip-raw", "-c", "1"][..]] {
        let out = run(Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
            .args(args));
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("needs root or CAP_NET_RAW") || err.contains("need root or CAP_NET_RAW"),
            "{err}"
        );
        assert!(err.contains("setcap"), "{err}");
    }
}

#[test]
fn the_kernel_runs_the_filter_live() {
    if !can_capture() || !have("socat") {
        return;
    }
    let pair = NetPair::new(3, None);
    let _server = echo_server(&pair, 7009);
    let prefix = pair.exec_in(&pair.a);
    let sniffer = Sniffer::start(&prefix, &["-i", &pair.a_if, "udp", "port", "9999"]);
    assert!(
        sniffer.startup().contains("filter run by the kernel"),
        "{}",
        sniffer.startup()
    );
    // TCP the filter rejects, then UDP it accepts.
    tcp_exchange(&pair, 7009, "not this\n");
    let out = run(Command::new("sh").arg("-c").arg(format!(
        "printf 'this' | ip netns exec {} socat -u - UDP:{}:9999",
        pair.a, pair.b_addr
    )));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (status, out, err) = sniffer.interrupt();
    assert!(status.success(), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "only the UDP datagram:\n{out}");
    assert!(
        lines[0].contains(&format!("> {}.9999: UDP, length 4", pair.b_addr)),
        "{out}"
    );
    // The kernel dropped the TCP packets before they reached the socket.
    assert!(err.contains("1 packets seen, 1 matched"), "{err}");
}
