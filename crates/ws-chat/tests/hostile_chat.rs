//! Hostile and heavy traffic in the `/chat` room: unpaced bursts from every member at once, and
//! a member that never reads. Small by default; `SOCKLAB_HOSTILE=full` runs the full
//! size. Each test prints one `hostile:` line (see `test_support::hostile_report`).

mod common;

use common::{frame_bytes, Client, Server, WAIT};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_support::{hostile_full, hostile_report, proc_cpu_seconds, proc_hwm_kib};
use websocket::OpCode;

/// Size of every test line, as in the issue.
const LINE_LEN: usize = 200;

/// Line `seq` of member `member`, padded to `len` bytes.
fn line(member: usize, seq: usize, len: usize) -> String {
    let mut text = format!("m{member} {seq} ");
    text.extend(std::iter::repeat('.').take(len.saturating_sub(text.len())));
    text
}

/// Joins `n` members to a room that holds `already`, and reads each one's join notices until it
/// sees everyone online, so the lines that follow reach everyone.
fn join(addr: SocketAddr, n: usize, already: usize) -> Vec<Client> {
    let mut members: Vec<Client> = (0..n).map(|_| Client::connect(addr, "/chat")).collect();
    let everyone = format!("({} online)", n + already);
    for member in &mut members {
        // Answering the server's pings: a short --idle-timeout may send one meanwhile.
        while let Some(frame) = member.recv() {
            match frame.header.opcode {
                OpCode::Text if frame.payload.ends_with(everyone.as_bytes()) => break,
                OpCode::Ping => member.send(OpCode::Pong, true, &frame.payload),
                _ => {}
            }
        }
    }
    members
}

/// Reads chat lines until `expected` test lines arrived; returns them as (member, seq) in the
/// order received, or what went wrong (a close frame, the connection ending, a gap).
fn receive(client: &mut Client, expected: usize) -> Result<Vec<(usize, usize)>, String> {
    let mut got = Vec::with_capacity(expected);
    let deadline = Instant::now() + WAIT * 6;
    while got.len() < expected {
        if Instant::now() > deadline {
            return Err(format!("only {} of {expected} lines in time", got.len()));
        }
        let Some(frame) = client.recv() else {
            return Err(format!("connection ended after {} lines", got.len()));
        };
        match frame.header.opcode {
            OpCode::Text => {}
            OpCode::Close => {
                let code = frame
                    .payload
                    .get(..2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]));
                return Err(format!("closed with {code:?} after {} lines", got.len()));
            }
            _ => continue,
        }
        let text = String::from_utf8_lossy(&frame.payload);
        // `guest-N: mM SEQ ...`; join and leave notices start with `* `.
        let Some((_, body)) = text.split_once(": m") else {
            continue;
        };
        let mut fields = body.split(' ');
        let member = fields.next().and_then(|f| f.parse().ok());
        let seq = fields.next().and_then(|f| f.parse().ok());
        match (member, seq) {
            (Some(member), Some(seq)) => got.push((member, seq)),
            _ => return Err(format!("unexpected line {text:?}")),
        }
    }
    Ok(got)
}

/// Whether each sender's lines came complete and in the order sent.
fn per_sender_in_order(got: &[(usize, usize)], senders: usize, lines: usize) -> bool {
    let mut next = vec![0; senders];
    for &(member, seq) in got {
        if member >= senders || seq != next[member] {
            return false;
        }
        next[member] += 1;
    }
    next.iter().all(|&n| n == lines)
}

/// Sends `lines` test lines of `len` bytes as member `member` on its own clone of the socket,
/// unpaced. Then, until `done`, it sends a ping now and then: a member that only reads is
/// silent, and the server closes silent peers after `--idle-timeout` unless they answer its
/// pings, which the reading thread cannot do without interleaving its writes with these.
fn send_all(
    stream: &TcpStream,
    member: usize,
    lines: usize,
    len: usize,
    done: &Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let mut stream = stream.try_clone().unwrap();
    let done = Arc::clone(done);
    std::thread::spawn(move || {
        for seq in 0..lines {
            if stream
                .write_all(&frame_bytes(
                    OpCode::Text,
                    true,
                    line(member, seq, len).as_bytes(),
                ))
                .is_err()
            {
                return; // the server closed us: the receiving side reports it
            }
        }
        let deadline = Instant::now() + WAIT * 6;
        while !done.load(Ordering::Relaxed) && Instant::now() < deadline {
            if stream
                .write_all(&frame_bytes(OpCode::Ping, true, b"still here"))
                .is_err()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    })
}

/// Every one of `clients` sends `lines` lines of `len` bytes, unpaced, while reading the
/// `clients.len() * lines` lines the room delivers; returns what each member received.
fn exchange(
    clients: Vec<Client>,
    lines: usize,
    len: usize,
) -> Vec<Result<Vec<(usize, usize)>, String>> {
    let expected = clients.len() * lines;
    let done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(i, c)| send_all(&c.stream, i, lines, len, &done))
        .collect();
    let readers: Vec<_> = clients
        .into_iter()
        .map(|mut c| std::thread::spawn(move || receive(&mut c, expected)))
        .collect();
    let results = readers.into_iter().map(|r| r.join().unwrap()).collect();
    done.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    results
}

/// The burst: every member broadcasts unpaced at once, and every member must receive
/// every line, each sender's in order; the room also gives one order to all, so every member
/// must see the very same sequence.
#[test]
fn every_member_of_a_bursting_room_gets_every_line() {
    let (members, lines) = if hostile_full() {
        (10, 2_000)
    } else {
        (10, 300)
    };
    let server = Server::start(&[]);
    let results = exchange(join(server.addr, members, 0), lines, LINE_LEN);
    let pid = server.pid();
    let (hwm_mib, cpu) = (proc_hwm_kib(pid) as f64 / 1024.0, proc_cpu_seconds(pid));
    let counts: Vec<usize> = results
        .iter()
        .map(|r| r.as_ref().map_or(0, Vec::len))
        .collect();
    let errors: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let ordered = results.iter().all(|r| {
        r.as_ref()
            .is_ok_and(|got| per_sender_in_order(got, members, lines))
    });
    let same_order = results.windows(2).all(|w| w[0] == w[1]);
    let pass = errors.is_empty() && ordered && same_order && hwm_mib < 64.0;
    hostile_report(
        "chat-burst",
        hwm_mib,
        cpu,
        Some(errors.is_empty()),
        pass,
        &format!(
            "{members} members x {lines} unpaced {LINE_LEN}-byte lines; received per member {counts:?} of {}; per-sender order {ordered}; same order for all {same_order}; errors {errors:?}",
            members * lines
        ),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        ordered,
        "a sender's lines arrived out of order or incomplete"
    );
    assert!(same_order, "members saw different orders");
    assert!(hwm_mib < 64.0, "peak RSS {hwm_mib:.1} MiB");
}

/// A member that sends to itself alone, unpaced: it must read back every line (the issue saw it
/// kicked after 3,095 of 5,000).
#[test]
fn a_lone_member_flooding_itself_gets_every_line() {
    let lines = if hostile_full() { 20_000 } else { 5_000 };
    let server = Server::start(&[]);
    let result = exchange(join(server.addr, 1, 0), lines, LINE_LEN).remove(0);
    let pid = server.pid();
    let ok = result
        .as_ref()
        .is_ok_and(|got| per_sender_in_order(got, 1, lines));
    let hwm_mib = proc_hwm_kib(pid) as f64 / 1024.0;
    hostile_report(
        "chat-self-flood",
        hwm_mib,
        proc_cpu_seconds(pid),
        None,
        ok,
        &format!(
            "one member, {lines} unpaced lines to itself; {}",
            match &result {
                Ok(got) => format!("received {} in order {ok}", got.len()),
                Err(err) => err.clone(),
            }
        ),
    );
    assert!(ok, "{result:?}");
}

/// A member that never reads while others burst: it is closed once it has stalled for the
/// write timeout (`--idle-timeout`), everyone else gets every line, and memory stays bounded.
#[test]
fn a_member_that_never_reads_is_closed_and_others_get_every_line() {
    let (senders, lines) = if hostile_full() {
        (4, 20_000)
    } else {
        (3, 6_000)
    };
    never_reads("chat-never-reads", senders, lines, LINE_LEN);
}

/// The same with 64 KiB lines, so the queue's byte bound, not its line count, is what holds
/// memory down while the member stalls.
#[test]
fn a_member_that_never_reads_big_lines_is_closed_and_memory_stays_bounded() {
    let (senders, lines) = if hostile_full() { (4, 2_000) } else { (3, 400) };
    never_reads("chat-never-reads-64k", senders, lines, 64 << 10);
}

fn never_reads(case: &str, senders: usize, lines: usize, len: usize) {
    let server = Server::start(&["--idle-timeout", "2s"]);
    // The stalled member shrinks its receive buffer so the server's queue for it fills soon.
    let stalled = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap()
        .block_on(async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.set_recv_buffer_size(4096)?;
            socket.connect(server.addr).await?.into_std()
        })
        .unwrap();
    stalled.set_nonblocking(false).unwrap();
    stalled.set_read_timeout(Some(WAIT)).unwrap();
    let mut stalled = Client::handshake(stalled, server.addr, "/chat").unwrap();
    let results = exchange(join(server.addr, senders, 1), lines, len);
    let pid = server.pid();
    let (hwm_mib, cpu) = (proc_hwm_kib(pid) as f64 / 1024.0, proc_cpu_seconds(pid));
    // Now read what the stalled member was sent: the server must have closed it (bounded).
    let mut sink = vec![0u8; 1 << 16];
    let mut drained = 0usize;
    let deadline = Instant::now() + WAIT;
    let closed = loop {
        match stalled.stream.read(&mut sink) {
            Ok(0) => break true,
            Ok(n) => drained += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
        if Instant::now() > deadline {
            break false;
        }
    };
    let errors: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let ordered = results.iter().all(|r| {
        r.as_ref()
            .is_ok_and(|got| per_sender_in_order(got, senders, lines))
    });
    let pass = errors.is_empty() && ordered && closed && hwm_mib < 64.0;
    hostile_report(
        case,
        hwm_mib,
        cpu,
        Some(errors.is_empty() && ordered),
        pass,
        &format!(
            "{senders} members x {lines} lines of {len} bytes beside one member that never reads; stalled member closed {closed} (had been sent {drained} bytes); others' errors {errors:?}"
        ),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        ordered,
        "a sender's lines arrived out of order or incomplete"
    );
    assert!(closed, "the member that never reads is still connected");
    assert!(hwm_mib < 64.0, "peak RSS {hwm_mib:.1} MiB");
}
