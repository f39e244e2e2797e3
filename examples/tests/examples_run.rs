//! The learner examples are run for real: a program meant to be read must also work.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

/// `cargo test` builds the examples next to the test binaries' directory.
fn example(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join("examples").join(name)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn simple_server_echoes_one_client_then_the_next() {
    let mut child = Command::new(example("simple_server"))
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .expect("example built by cargo test");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let _guard = Killed(child);
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "server ended early");
        if let Some(addr) = line.trim().strip_prefix("listen(): listening on ") {
            break addr.to_owned();
        }
    };
    for round in 0..2 {
        let mut stream = TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let msg = format!("hello {round}\n");
        stream.write_all(msg.as_bytes()).unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        let mut back = String::new();
        stream.read_to_string(&mut back).unwrap();
        assert_eq!(back, msg);
    }
}

#[test]
fn http_head_client_prints_the_response() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 512];
        while !request.ends_with(b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0);
            request.extend_from_slice(&buf[..n]);
        }
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nServer: test\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        String::from_utf8(request).unwrap()
    });
    let output = Command::new(example("http_head_client"))
        .arg(addr.to_string())
        .output()
        .expect("example built by cargo test");
    let request = server.join().unwrap();
    assert!(output.status.success());
    assert!(
        request.starts_with("HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
        "{request}"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("HTTP/1.1 200 OK\r\nServer: test"),
        "{stdout}"
    );
    assert!(stdout.contains("connect(): OK"), "{stdout}");
}

/// A one-connection WebSocket echo server built from the same crate, server side.
fn websocket_echo_once(listener: TcpListener) -> Vec<String> {
    use websocket::handshake::{response_101, validate_request, Request};
    use websocket::{Config, Connection, Event, Message, Role};

    let (mut stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (request, used) = loop {
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "client closed during the handshake");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(parsed) = Request::parse(&buf).unwrap() {
            break parsed;
        }
    };
    let upgrade = validate_request(&request).unwrap();
    stream
        .write_all(&response_101(&upgrade.accept, None))
        .unwrap();
    let mut pending = buf.split_off(used);
    let mut conn = Connection::new(Config::new(Role::Server), 0);
    let mut seen = Vec::new();
    loop {
        let mut input = &pending[..];
        let event = conn.receive(&mut input).unwrap();
        let used = pending.len() - input.len();
        pending.drain(..used);
        if let Some(event) = &event {
            seen.push(format!("{event:?}"));
            if let Event::Message(Message::Text(text)) = event {
                conn.send_text(text);
            }
        }
        stream.write_all(conn.output()).unwrap();
        conn.clear_output();
        if matches!(event, Some(Event::Closed(_))) {
            return seen;
        }
        if event.is_none() {
            let n = stream.read(&mut chunk).unwrap();
            assert!(n > 0, "client closed without a close frame");
            pending.extend_from_slice(&chunk[..n]);
        }
    }
}

#[test]
fn ws_client_handshakes_echoes_pings_and_closes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || websocket_echo_once(listener));
    let output = Command::new(example("ws_client"))
        .args([&addr.to_string(), "/echo", "first", "second"])
        .output()
        .expect("example built by cargo test");
    let seen = server.join().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in [
        "(correct)",
        "<- text frame: \"first\"",
        "<- text frame: \"second\"",
        "<- pong \"are you there?\"",
        "<- close 1000",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    assert_eq!(seen.len(), 4, "two texts, a ping, a close: {seen:?}");
    assert!(
        seen[3].contains("Normal") && seen[3].contains("bye"),
        "{seen:?}"
    );
}
