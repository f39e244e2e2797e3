//! How a live capture starts and ends: privileges dropped before parsing, -c, --duration and
//! Ctrl-C each ending with a complete file and nothing captured lost.

mod common;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::process::Command;

use common::{can_capture, Sniffer};
use test_support::{have, run};

/// The packets of a pcap file raw-sniff wrote, or why it is not a complete file.
fn pcap_packets(path: &std::path::Path) -> Result<u64, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut reader = wire::pcap::Reader::new(std::io::BufReader::new(file))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut n = 0;
    while reader
        .next_packet()
        .map_err(|e| format!("{} after {n} packets: {e}", path.display()))?
        .is_some()
    {
        n += 1;
    }
    Ok(n)
}

/// A listener on loopback and a way to make `n` connections to it (3 packets each at least).
fn loopback_traffic() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn connect_n(port: u16, n: usize) {
    for _ in 0..n {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(b"x").unwrap();
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("raw-sniff-life-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // World-writable, so a capture that dropped to nobody can still write its file here.
    let _ = Command::new("chmod").arg("1777").arg(&dir).status();
    dir
}

#[test]
fn user_drops_root_before_any_packet_is_parsed() {
    if !can_capture() {
        return;
    }
    let (_listener, port) = loopback_traffic();
    let dir = scratch("user");
    let pcap = dir.join("as-nobody.pcap");
    let filter = format!("tcp dst port {port}");
    let sniffer = Sniffer::start(
        &[],
        &[
            "-i",
            "lo",
            "--user",
            "nobody",
            "-c",
            "2",
            "-w",
            pcap.to_str().unwrap(),
            &filter,
        ],
    );
    connect_n(port, 2);
    let (status, out, err) = sniffer.wait();
    assert!(status.success(), "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    // The file was created after the switch, so it belongs to nobody.
    assert_eq!(std::fs::metadata(&pcap).unwrap().uid(), 65534);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn count_and_duration_end_a_capture() {
    if !can_capture() {
        return;
    }
    let (_listener, port) = loopback_traffic();
    let filter = format!("tcp dst port {port}");
    let sniffer = Sniffer::start(&[], &["-i", "lo", "-c", "3", &filter]);
    connect_n(port, 3);
    let (status, out, err) = sniffer.wait();
    assert!(status.success(), "{err}");
    assert_eq!(out.lines().count(), 3);
    assert!(err.contains("3 packets seen, 3 matched"), "{err}");

    let started = std::time::Instant::now();
    let sniffer = Sniffer::start(&[], &["-i", "lo", "--duration", "500ms", &filter]);
    let (status, _, err) = sniffer.wait();
    assert!(status.success(), "{err}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(500));
}

#[test]
fn ctrl_c_leaves_a_complete_file_with_every_packet() {
    if !can_capture() || !have("tcpdump") {
        return;
    }
    let (_listener, port) = loopback_traffic();
    let dir = scratch("sigint");
    let pcap = dir.join("cut.pcap");
    let filter = format!("tcp port {port}");
    let sniffer = Sniffer::start(
        &[],
        &[
            "-i",
            "lo",
            "--no-print",
            "-w",
            pcap.to_str().unwrap(),
            &filter,
        ],
    );
    connect_n(port, 20);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (status, _, err) = sniffer.interrupt();
    assert!(status.success(), "{err}");
    let written: usize = err
        .lines()
        .find_map(|line| {
            let (head, _) = line.split_once(" written to ")?;
            head.rsplit(", ").next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no written count in {err}"));
    assert!(written >= 40, "{err}");
    let read = run(Command::new("tcpdump").args(["-nr", pcap.to_str().unwrap()]));
    assert!(
        read.status.success(),
        "tcpdump: {}",
        String::from_utf8_lossy(&read.stderr)
    );
    assert!(!String::from_utf8_lossy(&read.stderr).contains("truncated"));
    assert_eq!(
        String::from_utf8_lossy(&read.stdout).lines().count(),
        written
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The count in the summary line `N packets seen, M matched, W written to FILE`.
fn summary_count(err: &str, what: &str) -> u64 {
    err.lines()
        .find(|l| l.contains(" packets seen, "))
        .and_then(|l| {
            l.split(", ").find_map(|part| {
                let part = part.split(" to ").next()?;
                let (n, word) = part.rsplit_once(' ').map_or((part, ""), |x| x);
                let n = n.rsplit(' ').next()?;
                (word == what).then(|| n.parse().ok())?
            })
        })
        .unwrap_or_else(|| panic!("no `{what}` count in the summary:\n{err}"))
}

/// A signal the instant the ready line is out must still end the run cleanly: the handler is
/// in place before raw-sniff says it is reading, so the `-w` file is complete and the summary
/// printed. The window, if there is one, is short, so the run is repeated.
#[test]
fn sigint_right_after_the_ready_line_ends_cleanly() {
    if !can_capture() {
        return;
    }
    let dir = scratch("ready");
    for round in 0..40 {
        let pcap = dir.join(format!("ready-{round}.pcap"));
        // A filter nothing matches: this is about the signal, not the packets.
        let sniffer = Sniffer::start(
            &[],
            &[
                "-i",
                "lo",
                "--no-print",
                "-w",
                pcap.to_str().unwrap(),
                "udp port 9",
            ],
        );
        let (status, _, err) = sniffer.interrupt_now();
        assert!(status.success(), "round {round}: {status:?}\n{err}");
        assert!(err.contains(" packets seen, "), "round {round}: {err}");
        assert_eq!(pcap_packets(&pcap), Ok(0), "round {round}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A UDP socket on loopback that datagrams are sent to and read back from.
struct UdpLoop {
    rx: std::net::UdpSocket,
    tx: std::net::UdpSocket,
    port: u16,
}

impl UdpLoop {
    fn new() -> UdpLoop {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_read_timeout(Some(test_support::PATIENCE)).unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = rx.local_addr().unwrap().port();
        UdpLoop { rx, tx, port }
    }

    /// Sends `n` datagrams and reads each back, so every one has passed the packet taps
    /// (they run before IP delivery) when this returns.
    fn delivered(&self, n: usize) {
        let mut buf = [0u8; 64];
        for i in 0..n {
            self.tx
                .send_to(format!("datagram {i}").as_bytes(), ("127.0.0.1", self.port))
                .unwrap();
            self.rx
                .recv(&mut buf)
                .expect("the datagram back on loopback");
        }
    }
}

/// What the kernel captured before the stop must reach the file and the count, even while it
/// sits in a ring block not yet handed to user space (a TPACKET_V3 block is handed over when
/// full or when its timeout runs out): Ctrl-C right after the last packet, and also with
/// `--no-ring`.
#[test]
fn ctrl_c_right_after_traffic_loses_nothing_captured() {
    if !can_capture() {
        return;
    }
    const N: usize = 30;
    let dir = scratch("drain");
    for round in 0..10 {
        for ring in [true, false] {
            let udp = UdpLoop::new();
            let pcap = dir.join(format!("drain-{round}-{ring}.pcap"));
            let filter = format!("udp dst port {}", udp.port);
            let mut args = vec!["-i", "lo", "--no-print", "-w", pcap.to_str().unwrap()];
            if !ring {
                args.push("--no-ring");
            }
            args.push(&filter);
            let sniffer = Sniffer::start(&[], &args);
            udp.delivered(N);
            let (status, _, err) = sniffer.interrupt_now();
            assert!(status.success(), "round {round}, ring {ring}: {err}");
            assert_eq!(
                summary_count(&err, "written"),
                N as u64,
                "round {round}, ring {ring}: {err}"
            );
            assert_eq!(
                pcap_packets(&pcap),
                Ok(N as u64),
                "round {round}, ring {ring}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A reader held off the CPU (as on a loaded machine) while packets trickle in must find them
/// all in the ring afterwards: the ring's size, not the pace of the traffic, should bound what
/// a stall can lose. Each datagram here waits out a ring block's timeout, so each can close a
/// block of its own; 20 of them hold a few kilobytes.
#[test]
fn a_stalled_reader_loses_no_trickling_packets() {
    if !can_capture() {
        return;
    }
    const N: usize = 20;
    let dir = scratch("stall");
    let udp = UdpLoop::new();
    let pcap = dir.join("stall.pcap");
    let filter = format!("udp dst port {}", udp.port);
    let sniffer = Sniffer::start(
        &[],
        &[
            "-i",
            "lo",
            "--no-print",
            "-w",
            pcap.to_str().unwrap(),
            &filter,
        ],
    );
    let pid = libc::pid_t::try_from(sniffer.pid()).unwrap();
    // SAFETY: kill(2) takes plain integers; the child is ours and not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    for _ in 0..N {
        udp.delivered(1);
        // Longer than the block timeout, so the kernel closes a block for this datagram.
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGCONT) }, 0);
    let (status, _, err) = sniffer.interrupt_now();
    assert!(status.success(), "{err}");
    assert!(err.contains(" 0 dropped"), "{err}");
    assert_eq!(summary_count(&err, "written"), N as u64, "{err}");
    assert_eq!(pcap_packets(&pcap), Ok(N as u64));
    std::fs::remove_dir_all(&dir).ok();
}
