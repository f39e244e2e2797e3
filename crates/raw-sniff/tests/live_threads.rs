//! `--threads`: a bounded flood across a veth pair between two namespaces made for the test,
//! captured at once by raw-sniff on one thread, raw-sniff on four (one PACKET_FANOUT group),
//! raw-sniff on four with -c, and tcpdump. The four-thread capture must hold exactly the
//! frames the others hold (none lost, none twice), keep every conversation — both directions,
//! and every fragment of a datagram — in one thread's file, print the same lines in time
//! order, and decode the same WebSocket frames.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{can_capture, NetPair, Sniffer, BIN};
use test_support::{have, lines_of, run, wait_exit, wait_for_line, PATIENCE};

/// TCP connections, each with this many numbered messages echoed back one at a time.
const CONNECTIONS: usize = 240;
const MESSAGES: usize = 6;
/// UDP senders, each its own port, each sending this many datagrams.
const UDP_SENDERS: usize = 200;
const DATAGRAMS: usize = 3;
/// Datagrams larger than the link's MTU, so the kernel fragments them.
const FRAGMENTED: usize = 12;
/// WebSocket connections, each with this many frames each way.
const WS_CONNECTIONS: usize = 4;
const WS_FRAMES: usize = 10;
/// No sending loop runs longer than this.
const TRAFFIC_LIMIT: Duration = Duration::from_secs(60);

const TCP_PORT: u16 = 7100;
const UDP_PORT: u16 = 7101;
const WS_PORT: u16 = 7102;

/// Moves the calling thread into network namespace `ns` (threads it starts go with it).
fn enter(ns: &str) {
    let file = std::fs::File::open(format!("/run/netns/{ns}")).expect("open the namespace");
    use std::os::fd::AsRawFd;
    // SAFETY: setns on a namespace file descriptor that stays open for the call; it changes
    // only this thread's network namespace.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
}

/// The servers in namespace b: a TCP echo, a UDP sink and a WebSocket peer that answers each
/// frame with one of its own. They stop once the clients are done or the time limit passes.
fn servers(ns: String, addr: Ipv4Addr, done: Arc<AtomicUsize>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        enter(&ns);
        let tcp = TcpListener::bind(SocketAddrV4::new(addr, TCP_PORT)).unwrap();
        let ws = TcpListener::bind(SocketAddrV4::new(addr, WS_PORT)).unwrap();
        let udp = UdpSocket::bind(SocketAddrV4::new(addr, UDP_PORT)).unwrap();
        tcp.set_nonblocking(true).unwrap();
        ws.set_nonblocking(true).unwrap();
        udp.set_nonblocking(true).unwrap();
        let started = Instant::now();
        let mut handlers = Vec::new();
        let mut buf = [0u8; 65536];
        while done.load(Ordering::SeqCst) == 0 && started.elapsed() < TRAFFIC_LIMIT {
            let mut idle = true;
            if let Ok((stream, _)) = tcp.accept() {
                idle = false;
                handlers.push(thread::spawn(move || echo(stream)));
            }
            if let Ok((stream, _)) = ws.accept() {
                idle = false;
                handlers.push(thread::spawn(move || ws_server(stream)));
            }
            while udp.recv(&mut buf).is_ok() {
                idle = false;
            }
            if idle {
                thread::sleep(Duration::from_millis(1));
            }
        }
        for h in handlers {
            let _ = h.join();
        }
    })
}

fn echo(mut stream: TcpStream) {
    stream.set_nonblocking(false).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 || stream.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

/// One numbered message of connection `conn`, always 16 bytes.
fn message(conn: usize, n: usize) -> String {
    format!("conn {conn:04} msg {n:02}\n")
}

fn tcp_client(addr: Ipv4Addr, conn: usize) {
    let mut stream = TcpStream::connect_timeout(
        &SocketAddrV4::new(addr, TCP_PORT).into(),
        Duration::from_secs(10),
    )
    .unwrap();
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    for n in 0..MESSAGES {
        let m = message(conn, n);
        stream.write_all(m.as_bytes()).unwrap();
        let mut back = vec![0u8; m.len()];
        stream.read_exact(&mut back).unwrap();
        assert_eq!(back, m.as_bytes());
    }
}

/// A WebSocket frame: FIN, text, masked when `mask` is given.
fn ws_frame(text: &str, mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut f = vec![0x81];
    let len = text.len();
    assert!(len < 126);
    f.push(len as u8 | if mask.is_some() { 0x80 } else { 0 });
    match mask {
        Some(key) => {
            f.extend_from_slice(&key);
            f.extend(text.bytes().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => f.extend_from_slice(text.as_bytes()),
    }
    f
}

fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

fn ws_server(mut stream: TcpStream) {
    stream.set_nonblocking(false).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let head = read_head(&mut stream);
    let key = head
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap()
        .trim();
    let accept = websocket::handshake::accept_key(key);
    write!(
        stream,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .unwrap();
    for n in 0..WS_FRAMES {
        let mut hdr = [0u8; 6];
        stream.read_exact(&mut hdr).unwrap();
        let mut body = vec![0u8; usize::from(hdr[1] & 0x7f)];
        stream.read_exact(&mut body).unwrap();
        stream
            .write_all(&ws_frame(&format!("reply {n:02}"), None))
            .unwrap();
    }
}

fn ws_client(addr: Ipv4Addr, conn: usize) {
    let mut stream = TcpStream::connect(SocketAddrV4::new(addr, WS_PORT)).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "GET /chat HTTP/1.1\r\nHost: peer\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    read_head(&mut stream);
    for n in 0..WS_FRAMES {
        let key = [conn as u8, n as u8, 0x5a, 0xa5];
        stream
            .write_all(&ws_frame(&format!("ws {conn} hello {n:02}"), Some(key)))
            .unwrap();
        let mut reply = [0u8; 10];
        stream.read_exact(&mut reply).unwrap();
    }
}

/// All the clients, from namespace a: TCP connections on a few threads, UDP from many ports
/// (some datagrams fragmented), WebSocket conversations.
fn clients(ns: &str, addr: Ipv4Addr) {
    let ns = ns.to_owned();
    thread::spawn(move || {
        enter(&ns);
        let next = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..6)
            .map(|_| {
                let next = Arc::clone(&next);
                thread::spawn(move || loop {
                    let conn = next.fetch_add(1, Ordering::SeqCst);
                    if conn >= CONNECTIONS {
                        break;
                    }
                    tcp_client(addr, conn);
                })
            })
            .collect();
        let ws: Vec<_> = (0..WS_CONNECTIONS)
            .map(|c| thread::spawn(move || ws_client(addr, c)))
            .collect();
        let to = SocketAddrV4::new(addr, UDP_PORT);
        for s in 0..UDP_SENDERS {
            let sock = UdpSocket::bind("0.0.0.0:0").unwrap();
            for d in 0..DATAGRAMS {
                sock.send_to(format!("udp {s:03} datagram {d}").as_bytes(), to)
                    .unwrap();
            }
        }
        let big = UdpSocket::bind("0.0.0.0:0").unwrap();
        for d in 0..FRAGMENTED {
            big.send_to(&vec![d as u8; 4000], to).unwrap();
        }
        for w in workers.into_iter().chain(ws) {
            w.join().expect("a client failed");
        }
    })
    .join()
    .expect("the clients failed");
}

/// Waits until interface `iface` in namespace `ns` has sent and received nothing for 750 ms
/// (three looks at its counters 250 ms apart), or 20 s have passed.
fn wait_until_quiet(ns: &str, iface: &str) {
    let counters = || {
        let out = run(Command::new("ip").args(["netns", "exec", ns, "cat", "/proc/net/dev"]));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{iface}:")))
            .map(str::to_owned)
    };
    let started = Instant::now();
    let mut last = counters();
    let mut same = 0;
    while same < 3 && started.elapsed() < Duration::from_secs(20) {
        thread::sleep(Duration::from_millis(250));
        let now = counters();
        same = if now == last { same + 1 } else { 0 };
        last = now;
    }
}

/// Whether sorted `part` is a sub-multiset of sorted `whole`.
fn is_within(part: &[Vec<u8>], whole: &[Vec<u8>]) -> bool {
    let mut rest = whole.iter();
    part.iter().all(|frame| rest.by_ref().any(|w| w == frame))
}

/// Every frame of a pcap file, as captured.
fn frames(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = wire::pcap::Reader::new(&bytes[..]).unwrap();
    let mut out = Vec::new();
    while let Some(record) = reader.next_packet().unwrap() {
        out.push(record.data.to_vec());
    }
    out
}

/// The conversation an Ethernet/IPv4 frame belongs to, the same for both directions: the
/// protocol and the two (address, port) ends in order; for a fragment, the datagram (its
/// addresses, protocol and IP id) instead. `None` for anything else (ARP).
fn conversation(frame: &[u8]) -> Option<String> {
    if frame.len() < 34 || frame[12..14] != [0x08, 0x00] {
        return None;
    }
    let ip = &frame[14..];
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let proto = ip[9];
    let (src, dst) = (&ip[12..16], &ip[16..20]);
    let fragment = u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff != 0;
    if fragment {
        let (a, b) = if src < dst { (src, dst) } else { (dst, src) };
        return Some(format!("frag {proto} {a:?} {b:?} id {:?}", &ip[4..6]));
    }
    let ports = ip.get(ihl..ihl + 4)?;
    let one = (src, &ports[..2]);
    let two = (dst, &ports[2..]);
    let (a, b) = if one < two { (one, two) } else { (two, one) };
    Some(format!("{proto} {a:?} {b:?}"))
}

/// The number after `key` in a summary line such as "… 12 matched".
fn summary_number(err: &str, before: &str) -> u64 {
    let at = err
        .find(before)
        .unwrap_or_else(|| panic!("no {before:?} in {err}"));
    err[..at]
        .split(|c: char| !c.is_ascii_digit())
        .rfind(|s| !s.is_empty())
        .unwrap()
        .parse()
        .unwrap()
}

/// A printed line's time (-tt: seconds and microseconds since the epoch); `None` for lines
/// that do not start with one.
fn line_time(line: &str) -> Option<(u64, u64)> {
    let stamp = line.split(' ').next()?;
    let (s, us) = stamp.split_once('.')?;
    Some((s.parse().ok()?, us.parse().ok()?))
}

/// A printed line without its time.
fn after_time(line: &str) -> &str {
    line.split_once(' ').map_or(line, |(_, rest)| rest)
}

/// tcpdump capturing in the namespace, stopped with SIGINT.
struct Tcpdump(std::process::Child, std::sync::mpsc::Receiver<String>);

impl Tcpdump {
    fn start(ns: &str, iface: &str, file: &Path) -> Tcpdump {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, "tcpdump", "-i", iface, "-w"])
            .arg(file)
            .args(["--immediate-mode", "-B", "65536"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = lines_of(child.stderr.take().unwrap());
        wait_for_line(&lines, PATIENCE, |l| l.contains("listening on"))
            .expect("tcpdump did not start");
        Tcpdump(child, lines)
    }

    /// Stops it and returns what it said at the end (its counts).
    fn stop(mut self) -> String {
        test_support::signal_now(self.0.id(), libc::SIGINT);
        assert!(
            wait_exit(&mut self.0, PATIENCE).is_some(),
            "tcpdump did not stop"
        );
        test_support::drain_lines(&self.1, PATIENCE).join("; ")
    }
}

impl Drop for Tcpdump {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn four_threads_capture_exactly_what_one_does_flow_by_flow() {
    if !can_capture() || !have("tcpdump") {
        return;
    }
    let pair = NetPair::new(61, None);
    let dir = std::env::temp_dir().join(format!("raw-sniff-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let prefix = pair.exec_in(&pair.a);
    let b_addr: Ipv4Addr = pair.b_addr.parse().unwrap();
    let big_ring = ["-B", "64"];
    let capture = |threads: &str, file: &str, extra: &[&str]| {
        let mut args = vec!["-i", &pair.a_if, "--threads", threads, "-tt", "-w"];
        let file = path(file);
        let mut args: Vec<String> = args.drain(..).map(str::to_owned).collect();
        args.push(file);
        args.extend(big_ring.iter().chain(extra).map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Sniffer::start(&prefix, &args)
    };
    let one = capture("1", "one.pcap", &[]);
    let four = capture("4", "four.pcap", &[]);
    let counted = capture("4", "counted.pcap", &["-c", "500", "--no-print"]);
    let tcpdump = Tcpdump::start(&pair.a, &pair.a_if, &dir.join("tcpdump.pcap"));
    assert!(
        four.startup().contains("4 AF_PACKET SOCK_RAW sockets")
            && four.startup().contains("PACKET_FANOUT"),
        "{}",
        four.startup()
    );

    let done = Arc::new(AtomicUsize::new(0));
    let server = servers(pair.b.clone(), b_addr, Arc::clone(&done));
    thread::sleep(Duration::from_millis(200));
    clients(&pair.a, b_addr);
    done.store(1, Ordering::SeqCst);
    server.join().unwrap();
    // The captures are stopped one after another: only on a quiet link do they all end with
    // the same last frame (a FIN or ACK sent again on a loaded machine comes late).
    wait_until_quiet(&pair.a, &pair.a_if);

    let (status_one, out_one, err_one) = one.interrupt();
    let (status_four, out_four, err_four) = four.interrupt();
    let (status_counted, _, err_counted) = counted.wait();
    let tcpdump_said = tcpdump.stop();
    assert!(status_one.success() && status_four.success() && status_counted.success());
    eprintln!("one thread:\n{err_one}\nfour threads:\n{err_four}\n-c 500:\n{err_counted}");

    // The same frames, none lost and none twice: as one thread and tcpdump saw them.
    let mut single = frames(&dir.join("one.pcap"));
    let per_thread: Vec<Vec<Vec<u8>>> = (0..4)
        .map(|n| frames(&dir.join(format!("four.pcap.{n}"))))
        .collect();
    let mut threaded: Vec<Vec<u8>> = per_thread.iter().flatten().cloned().collect();
    let mut tcpdumped = frames(&dir.join("tcpdump.pcap"));
    let least = CONNECTIONS * MESSAGES * 2 + UDP_SENDERS * DATAGRAMS + FRAGMENTED * 3;
    assert!(single.len() >= least, "only {} frames", single.len());
    single.sort();
    threaded.sort();
    tcpdumped.sort();
    assert_eq!(single.len(), threaded.len(), "one thread vs four");
    assert!(
        single == threaded,
        "the four threads' frames differ from one thread's"
    );
    // tcpdump's buffer may overflow on a loaded machine (raw-sniff's did not, or the two
    // raw-sniff captures would differ): then what it kept must be among raw-sniff's frames, and
    // what its kernel filter passed, kept or dropped, must be as many.
    let tcpdump_dropped = summary_number(&tcpdump_said, " packets dropped by kernel");
    assert_eq!(
        summary_number(&tcpdump_said, " packets received by filter"),
        single.len() as u64,
        "raw-sniff vs tcpdump ({tcpdump_said})"
    );
    if tcpdump_dropped == 0 {
        assert!(
            single == tcpdumped,
            "raw-sniff's frames differ from tcpdump's"
        );
    } else {
        eprintln!("tcpdump dropped {tcpdump_dropped}: its frames must be among raw-sniff's");
        assert!(
            is_within(&tcpdumped, &single),
            "tcpdump has frames raw-sniff lacks"
        );
    }
    assert_eq!(summary_number(&err_four, " matched"), threaded.len() as u64);

    // Every conversation on one thread (both directions: the kernel's hash is symmetric),
    // every fragmented datagram's fragments together, and the work shared out.
    let mut owner: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (n, frames) in per_thread.iter().enumerate() {
        for frame in frames {
            if let Some(conv) = conversation(frame) {
                owner.entry(conv).or_default().insert(n);
            }
        }
    }
    let split: Vec<_> = owner.iter().filter(|(_, t)| t.len() > 1).collect();
    assert!(
        split.is_empty(),
        "conversations on several threads: {split:?}"
    );
    let fragments = owner.keys().filter(|k| k.starts_with("frag")).count();
    assert_eq!(fragments, FRAGMENTED, "fragmented datagrams");
    assert!(owner.len() >= CONNECTIONS + UDP_SENDERS + WS_CONNECTIONS);
    let busy = per_thread.iter().filter(|f| !f.is_empty()).count();
    assert!(
        busy >= 3,
        "the traffic was not shared out: {busy} threads had frames"
    );
    // The summary's share for each thread is what its file holds.
    let shares = err_four
        .lines()
        .find_map(|l| l.strip_prefix("threads: 4; matched by each: "))
        .expect("per-thread summary line");
    let shares: Vec<usize> = shares
        .split(';')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(shares, per_thread.iter().map(Vec::len).collect::<Vec<_>>());

    // The printed lines: the same as one thread's, merged into time order. Each capture's
    // socket stamps a frame itself as it takes it, so the two captures' times differ by a
    // microsecond here and there: lines are compared after their time.
    let mut lines_one: Vec<&str> = out_one.lines().map(after_time).collect();
    let times: Vec<_> = out_four.lines().filter_map(line_time).collect();
    assert!(times.len() >= least);
    let backwards = times.windows(2).filter(|w| w[1] < w[0]).count();
    let times_one: Vec<_> = out_one.lines().filter_map(line_time).collect();
    let backwards_one = times_one.windows(2).filter(|w| w[1] < w[0]).count();
    eprintln!("backward steps in time: one thread {backwards_one}, four threads {backwards}");
    assert_eq!(
        backwards, 0,
        "the four threads' lines are not in time order"
    );
    let mut sorted_four: Vec<&str> = out_four.lines().map(after_time).collect();
    sorted_four.sort_unstable();
    lines_one.sort_unstable();
    if lines_one != sorted_four {
        let only = |a: &[&str], b: &[&str]| -> Vec<String> {
            let b: BTreeSet<&str> = b.iter().copied().collect();
            a.iter()
                .filter(|l| !b.contains(*l))
                .take(5)
                .map(|l| l.to_string())
                .collect()
        };
        panic!(
            "the four threads print other lines than one: only one thread's {:#?}, only four \
             threads' {:#?}",
            only(&lines_one, &sorted_four),
            only(&sorted_four, &lines_one)
        );
    }

    // WebSocket frames, decoded by whichever thread had the connection, as one thread did:
    // the same lines in the same order, connection by connection.
    // A WebSocket line follows the line of the packet that completed it.
    let ws_lines = |out: &str| -> BTreeMap<String, Vec<String>> {
        let mut by_conn: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut conn = String::new();
        for line in out.lines() {
            if line.starts_with("  ws ") {
                by_conn
                    .entry(conn.clone())
                    .or_default()
                    .push(line.to_owned());
            } else if let Some((_, rest)) = line.split_once(" IP ") {
                let (src, rest) = rest.split_once(" > ").unwrap_or_default();
                let dst = rest.split(':').next().unwrap_or_default();
                conn = if src < dst {
                    format!("{src} {dst}")
                } else {
                    format!("{dst} {src}")
                };
            }
        }
        by_conn
    };
    let (ws_one, ws_four) = (ws_lines(&out_one), ws_lines(&out_four));
    let frames_one: usize = ws_one.values().map(Vec::len).sum();
    assert!(
        frames_one >= WS_CONNECTIONS * WS_FRAMES * 2,
        "WebSocket lines: {ws_one:#?}"
    );
    assert_eq!(ws_one, ws_four);

    // -c over all threads: exactly that many, in the files and the summary.
    let counted: usize = (0..4)
        .map(|n| frames(&dir.join(format!("counted.pcap.{n}"))).len())
        .sum();
    assert_eq!(counted, 500);
    assert_eq!(summary_number(&err_counted, " matched"), 500);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn what_threads_cannot_do_is_refused_in_one_line() {
    for (args, says) in [
        (
            &["--threads", "2", "-r", "x.pcap"][..],
            "--threads applies to a live capture",
        ),
        (&["--threads", "2", "--ip-raw"][..], "not with --ip-raw"),
        (&["--threads", "2", "--flow"][..], "--flow and --graph"),
        (&["--threads", "2", "-ttttt"][..], "-ttt and -ttttt"),
        (&["--threads", "2", "-w", "x", "-C", "1"][..], "no -C or -G"),
    ] {
        let out = run(Command::new(BIN).args(args));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// A slow capture reaches a reader of the pipe as it goes, not when the capture ends: lines
/// trickling in on lo show up on stdout while raw-sniff still runs.
#[test]
fn a_trickle_reaches_a_pipe_while_the_capture_runs() {
    if !can_capture() {
        return;
    }
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sink.local_addr().unwrap().port();
    let filter = format!("udp and dst port {port}");
    let mut child = Command::new(BIN)
        .args(["-i", "lo", "--threads", "2", "-f", &filter])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = lines_of(child.stderr.take().unwrap());
    let out = lines_of(child.stdout.take().unwrap());
    wait_for_line(&err, PATIENCE, |l| l.starts_with("raw-sniff: reading from"))
        .expect("raw-sniff did not start");
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    // One datagram every 50 ms, never a pause long enough for the threads to go quiet, until a
    // line comes out or the patience runs out.
    let started = Instant::now();
    let mut seen = None;
    for n in 0..2000 {
        sender
            .send_to(
                format!("trickle {n}").as_bytes(),
                sink.local_addr().unwrap(),
            )
            .unwrap();
        if let Ok(line) = out.recv_timeout(Duration::from_millis(50)) {
            seen = Some(line);
            break;
        }
        if started.elapsed() > PATIENCE {
            break;
        }
    }
    test_support::signal_now(child.id(), libc::SIGINT);
    let status = wait_exit(&mut child, PATIENCE);
    let _ = child.kill();
    let line = seen.expect("no line reached the pipe while the capture ran");
    assert!(line.contains(&format!(".{port}: UDP")), "{line}");
    assert!(status.is_some_and(|s| s.success()));
}
