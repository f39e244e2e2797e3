//! The server's RFC 6455 behaviour, driven byte by byte from a client built on the codec.
//! Hand-made frames are the malformed ones; each test names the rule it checks.

mod common;

use common::{frame_bytes, http, tcp, Client, Server};
use std::io::{Read, Write};
use websocket::OpCode;

#[test]
fn page_404_and_refused_handshakes() {
    let server = Server::start(&[]);
    let page = http(server.addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("<title>ws-chat</title>") && page.contains("/chat"));
    let missing = http(server.addr, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");
    let plain = http(server.addr, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        plain.starts_with("HTTP/1.1 426 ") && plain.contains("Sec-WebSocket-Version: 13"),
        "{plain}"
    );
    let old = http(
        server.addr,
        "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
    );
    assert!(
        old.starts_with("HTTP/1.1 426 ") && old.contains("Sec-WebSocket-Version: 13"),
        "{old}"
    );
    let bad_key = http(
        server.addr,
        "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    assert!(
        bad_key.starts_with("HTTP/1.1 400 ") && bad_key.contains("Sec-WebSocket-Key"),
        "{bad_key}"
    );
    let garbage = http(
        server.addr,
        "\x16\x03\x01\x02\x00\x01\x00\x01\x7f\x03\x03\r\n\r\n",
    );
    assert!(garbage.starts_with("HTTP/1.1 400 "), "{garbage}");
}

#[test]
fn rfc_example_handshake_gets_the_rfc_accept() {
    let server = Server::start(&[]);
    let mut stream = tcp(server.addr);
    stream
        .write_all(b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{head}"
    );
    assert!(
        head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
        "{head}"
    );
}

#[test]
fn echo_text_binary_64_bit_length_fragments_and_ping() {
    let server = Server::start(&[]);
    let mut c = Client::connect(server.addr, "/echo");
    c.send(OpCode::Text, true, "héllo".as_bytes());
    assert_eq!(c.recv_text(), "héllo");
    let big: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    c.send(OpCode::Binary, true, &big);
    let echoed = c.recv().unwrap();
    assert_eq!(
        (echoed.header.opcode, echoed.header.payload_len),
        (OpCode::Binary, 70_000)
    );
    assert_eq!(echoed.payload, big);
    // RFC 6455 §5.4: fragments with a ping between them; the pong comes first.
    c.send(OpCode::Text, false, b"Hel");
    c.send(OpCode::Ping, true, b"between");
    c.send(OpCode::Continuation, true, b"lo");
    let pong = c.recv().unwrap();
    assert_eq!(
        (pong.header.opcode, pong.payload.as_slice()),
        (OpCode::Pong, &b"between"[..])
    );
    assert_eq!(c.recv_text(), "Hello");
    // One byte at a time still works.
    for byte in frame_bytes(OpCode::Text, true, b"slow") {
        c.send_raw(&[byte]);
    }
    assert_eq!(c.recv_text(), "slow");
}

#[test]
fn closing_handshake_echoes_the_code() {
    let server = Server::start(&[]);
    for code in [1000u16, 1001, 3000, 4999] {
        let mut c = Client::connect(server.addr, "/echo");
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(b"bye");
        c.send(OpCode::Close, true, &payload);
        assert_eq!(c.expect_close(), code);
        assert!(c.recv().is_none(), "server closes TCP after the handshake");
    }
    let mut c = Client::connect(server.addr, "/echo");
    c.send(OpCode::Close, true, b"");
    let frame = c.recv().unwrap();
    assert_eq!(
        (frame.header.opcode, frame.payload.len()),
        (OpCode::Close, 0)
    );
}

fn close_code_for(server: &Server, bytes: &[u8]) -> u16 {
    let mut c = Client::connect(server.addr, "/echo");
    c.send_raw(bytes);
    c.expect_close()
}

#[test]
fn violations_get_their_close_codes() {
    let server = Server::start(&["--max-message", "1KiB"]);
    let mut unmasked = vec![0x81, 0x02];
    unmasked.extend_from_slice(b"hi");
    assert_eq!(
        close_code_for(&server, &unmasked),
        1002,
        "unmasked client frame"
    );
    assert_eq!(
        close_code_for(&server, &frame_bytes(OpCode::from(0x3), true, b"")),
        1002,
        "reserved opcode"
    );
    let mut rsv = frame_bytes(OpCode::Text, true, b"x");
    rsv[0] |= 0x40;
    assert_eq!(close_code_for(&server, &rsv), 1002, "RSV1 without deflate");
    assert_eq!(
        close_code_for(&server, &frame_bytes(OpCode::Continuation, true, b"x")),
        1002,
        "lone continuation"
    );
    let mut nested = frame_bytes(OpCode::Text, false, b"a");
    nested.extend(frame_bytes(OpCode::Binary, true, b"b"));
    assert_eq!(
        close_code_for(&server, &nested),
        1002,
        "new message inside a fragmented one"
    );
    assert_eq!(
        close_code_for(&server, &frame_bytes(OpCode::Ping, false, b"")),
        1002,
        "fragmented ping"
    );
    assert_eq!(
        close_code_for(&server, &frame_bytes(OpCode::Ping, true, &[0; 126])),
        1002,
        "126-byte ping"
    );
    // Hand-made: masked binary header with the 64-bit length 2^63.
    let huge = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4];
    assert_eq!(close_code_for(&server, &huge), 1002, "2^63 length");
    // Hand-made: 5 in the 16-bit length form.
    assert_eq!(
        close_code_for(&server, &[0x82, 0xFE, 0, 5, 1, 2, 3, 4, 0, 0, 0, 0, 0]),
        1002,
        "non-minimal length"
    );
    assert_eq!(
        close_code_for(
            &server,
            &frame_bytes(OpCode::Text, true, &[b'a', 0xC0, 0xAF])
        ),
        1007,
        "overlong UTF-8"
    );
    assert_eq!(
        close_code_for(&server, &frame_bytes(OpCode::Close, true, &[0x03, 0xED])),
        1002,
        "close code 1005 on the wire"
    );
    assert_eq!(
        close_code_for(
            &server,
            &frame_bytes(OpCode::Close, true, &[0x03, 0xE8, 0xFF])
        ),
        1007,
        "close reason not UTF-8"
    );
    assert_eq!(
        close_code_for(&server, &frame_bytes(OpCode::Binary, true, &[0; 1025])),
        1009,
        "message over --max-message"
    );
}

#[test]
fn invalid_utf8_fails_before_the_message_ends() {
    let server = Server::start(&[]);
    let mut c = Client::connect(server.addr, "/echo");
    c.send(OpCode::Text, false, "κόσμε".as_bytes());
    // Hand-made: ED A0 80 is an encoded surrogate; no later fragment can make it valid.
    c.send(OpCode::Continuation, false, &[0xED, 0xA0, 0x80]);
    assert_eq!(c.expect_close(), 1007);
}

#[test]
fn endless_fragmented_message_gets_1009_and_others_keep_working() {
    let server = Server::start(&["--max-message", "64KiB"]);
    let mut hostile = Client::connect(server.addr, "/echo");
    let mut other = Client::connect(server.addr, "/echo");
    hostile.send(OpCode::Binary, false, &[0; 1000]);
    // 66 fragments of 1000 bytes pass 64 KiB; a few more show the server stopped listening.
    for _ in 0..70 {
        hostile.send(OpCode::Continuation, false, &[0; 1000]);
        other.send(OpCode::Text, true, b"still here");
        assert_eq!(other.recv_text(), "still here");
    }
    assert_eq!(hostile.expect_close(), 1009);
}

#[test]
fn random_bytes_after_the_handshake_fail_only_that_connection() {
    let server = Server::start(&[]);
    let mut other = Client::connect(server.addr, "/echo");
    for seed in 0..20u8 {
        let mut hostile = Client::connect(server.addr, "/echo");
        let junk: Vec<u8> = (0..4096u32)
            .map(|i| {
                (i as u8)
                    .wrapping_mul(31)
                    .wrapping_add(seed.wrapping_mul(17))
            })
            .collect();
        hostile.send_raw(&junk);
        // Whatever the junk decodes to, the server either closes or keeps the connection; it
        // must never crash or stop serving others.
        drop(hostile);
        other.send(OpCode::Text, true, b"ping?");
        assert_eq!(other.recv_text(), "ping?");
    }
    let mut random = Client::connect(server.addr, "/echo");
    let junk: Vec<u8> = (0..65_536).map(|_| rand::random::<u8>()).collect();
    random.send_raw(&junk);
    drop(random);
    other.send(OpCode::Text, true, b"alive");
    assert_eq!(other.recv_text(), "alive");
}

#[test]
fn chat_broadcasts_with_join_and_leave() {
    let server = Server::start(&[]);
    let mut a = Client::connect(server.addr, "/chat");
    let a_joined = a.recv_text();
    assert!(a_joined.ends_with("joined (1 online)"), "{a_joined}");
    let mut b = Client::connect(server.addr, "/chat");
    assert!(a.recv_text().ends_with("joined (2 online)"));
    assert!(b.recv_text().ends_with("joined (2 online)"));
    a.send(OpCode::Text, true, b"hello room");
    let from_a = b.recv_text();
    assert!(from_a.ends_with(": hello room"), "{from_a}");
    assert_eq!(a.recv_text(), from_a, "the sender sees its own line too");
    a.send(OpCode::Close, true, &1000u16.to_be_bytes());
    assert_eq!(a.expect_close(), 1000);
    assert!(b.recv_text().ends_with("left (1 online)"));
    b.send(OpCode::Binary, true, b"\x00");
    assert_eq!(b.expect_close(), 1003, "the chat takes text only");
}

fn shutdown_sends_1001_and_exits_zero(signal: &str) {
    let mut server = Server::start(&["--shutdown-timeout", "2s"]);
    let mut clients: Vec<Client> = (0..3)
        .map(|_| Client::connect(server.addr, "/echo"))
        .collect();
    for c in &mut clients {
        c.send(OpCode::Text, true, b"x");
        assert_eq!(c.recv_text(), "x");
    }
    let answerer = std::thread::spawn({
        let mut c = clients.pop().unwrap();
        move || {
            let code = c.expect_close();
            c.send(OpCode::Close, true, &code.to_be_bytes());
            code
        }
    });
    let status = server.signal(signal);
    assert_eq!(answerer.join().unwrap(), 1001);
    for c in &mut clients {
        // These never answer: the server waits --shutdown-timeout, then goes anyway.
        assert_eq!(c.expect_close(), 1001);
    }
    assert!(status.success(), "{status:?}");
}

#[test]
fn sigterm_sends_1001_and_exits_zero() {
    shutdown_sends_1001_and_exits_zero("TERM");
}

#[test]
fn sigint_sends_1001_and_exits_zero() {
    shutdown_sends_1001_and_exits_zero("INT");
}

#[test]
fn slow_handshake_is_dropped() {
    let server = Server::start(&["--handshake-timeout", "300ms"]);
    let mut stream = tcp(server.addr);
    stream
        .write_all(b"GET /echo HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut buf = [0u8; 64];
    // The server closes without an answer once the timeout passes.
    assert_eq!(stream.read(&mut buf).unwrap_or(0), 0);
}

#[test]
fn idle_connection_is_pinged_then_closed() {
    let server = Server::start(&["--idle-timeout", "200ms"]);
    let mut c = Client::connect(server.addr, "/echo");
    let ping = c.recv().unwrap();
    assert_eq!(ping.header.opcode, OpCode::Ping);
    assert_eq!(c.expect_close(), 1001);
}

#[test]
fn connection_cap_refuses_extra_clients() {
    let server = Server::start(&["--max-conns", "2"]);
    let mut a = Client::connect(server.addr, "/echo");
    let _b = Client::connect(server.addr, "/echo");
    let refused = http(server.addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        refused.is_empty() || refused.starts_with("HTTP/1.1 503 "),
        "{refused}"
    );
    a.send(OpCode::Text, true, b"ok");
    assert_eq!(a.recv_text(), "ok");
}

#[test]
fn many_idle_half_open_connections_leave_the_server_usable() {
    // This measures the cost of a half-open connection, so the handshake budget, which would
    // refuse all but 64 of them from one address, is lifted to the connection cap.
    let server = Server::start(&[
        "--max-conns",
        "20000",
        "--max-handshakes",
        "20000",
        "--max-handshakes-per-ip",
        "20000",
    ]);
    let before = server.rss_kib();
    // 10,000 connections that never finish a handshake. The server inherits this process's
    // open-file limit (20,000 on the project's machines); with a smaller one, use what fits.
    let limit = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse::<usize>().ok()
        })
        .unwrap_or(1024);
    let target = 10_000.min(limit.saturating_sub(512));
    let timeout = std::time::Duration::from_secs(2);
    let idle: Vec<_> = (0..target)
        .map_while(|_| std::net::TcpStream::connect_timeout(&server.addr, timeout).ok())
        .collect();
    assert!(
        idle.len() >= target / 2,
        "opened only {} of {target}",
        idle.len()
    );
    let mut a = Client::connect(server.addr, "/chat");
    let mut b = Client::connect(server.addr, "/chat");
    a.recv_text();
    a.recv_text();
    b.recv_text();
    a.send(OpCode::Text, true, b"over the noise");
    assert!(b.recv_text().ends_with("over the noise"));
    let after = server.rss_kib();
    // Per idle connection: a task, a 1 KiB head buffer and kernel socket state (not in RSS).
    let per_conn = (after.saturating_sub(before)) * 1024 / idle.len() as u64;
    eprintln!(
        "{} idle connections: RSS {before} KiB -> {after} KiB ({per_conn} B each)",
        idle.len()
    );
    assert!(per_conn < 16 * 1024, "{per_conn} bytes per idle connection");
}

#[test]
fn verbose_shows_headers_and_frames() {
    let server = Server::start(&["--verbose"]);
    let mut c = Client::connect(server.addr, "/echo");
    c.send(OpCode::Text, true, b"Hello");
    assert_eq!(c.recv_text(), "Hello");
    c.send(OpCode::Close, true, &1000u16.to_be_bytes());
    assert_eq!(c.expect_close(), 1000);
    assert!(c.recv().is_none());
    let needles = [
        "<- GET /echo HTTP/1.1",
        "<- Sec-WebSocket-Version: 13",
        "-> HTTP/1.1 101 Switching Protocols",
        "-> Sec-WebSocket-Accept: ",
        "<- text fin=1 rsv=000 mask=",
        "len=5 \"Hello\"",
        "message: text, 5 bytes: \"Hello\"",
        "-> text fin=1 rsv=000 unmasked len=5 \"Hello\"",
        "-> close fin=1 rsv=000 unmasked len=2 code=1000 Normal Closure",
    ];
    // The lines reach this process through a pipe and a reader thread, possibly after the
    // socket events above: wait (bounded) for them rather than read once.
    let start = std::time::Instant::now();
    let mut out = server.output().join("\n");
    while !needles.iter().all(|n| out.contains(n)) && start.elapsed() < common::WAIT {
        std::thread::sleep(std::time::Duration::from_millis(20));
        out = server.output().join("\n");
    }
    for needle in needles {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}

#[test]
fn closed_stdout_ends_the_server_cleanly() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ws-chat"))
        .args(["--listen", "127.0.0.1:0", "--verbose"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let addr: std::net::SocketAddr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .parse()
        .unwrap();
    // Like `ws-chat --verbose | head -1`: the reader goes away, then the server has more to say.
    drop(stdout);
    let _ = http(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    // The server learns the reader is gone only from a write that fails, and a write succeeds
    // while any copy of the pipe's read end is open: a process another test is spawning holds
    // one until its exec. So, until the server exits, keep giving it lines to write.
    let start = std::time::Instant::now();
    let mut polls = 0u32;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < common::WAIT,
            "server kept running with stdout closed"
        );
        polls += 1;
        if polls % 10 == 0 {
            if let Ok(mut again) = std::net::TcpStream::connect(addr) {
                let _ = again.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
