//! `tcp-echo client` against echo servers it did not write (socat, ncat), against its own
//! server, and against servers that misbehave on purpose.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::thread;

use common::{random_bytes, Server, BIN};
use test_support::{free_port, have, run_with_input, wait_for_listener};

fn client(args: &[&str], stdin: &[u8]) -> (bool, Vec<u8>, String) {
    let (status, out, err) = run_with_input(Command::new(BIN).arg("client").args(args), stdin);
    (status.success(), out, err)
}

/// A one-connection server on a thread that answers with `respond(received)`.
fn misbehaving_server(respond: fn(&[u8]) -> Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).unwrap();
        let reply = respond(&buf[..n]);
        let _ = stream.write_all(&reply);
        // Keep the connection open a moment so the client decides from the bytes alone.
        thread::sleep(std::time::Duration::from_millis(500));
    });
    addr
}

struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_peer(cmd: &mut Command, port: u16) -> Peer {
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_listener(format!("127.0.0.1:{port}").parse().unwrap());
    Peer(child)
}

#[test]
fn message_is_echoed_and_printed() {
    let server = Server::start(&[]);
    let addr = server.addr.to_string();
    let (ok, out, err) = client(&["--connect", &addr, "--message", "hello"], b"");
    assert!(ok, "{err}");
    assert_eq!(out, b"hello\n");
    assert!(
        err.contains("6 bytes sent, 6 echoed back identical"),
        "{err}"
    );
}

#[test]
fn piped_stdin_is_sent_and_checked() {
    let server = Server::start(&[]);
    let addr = server.addr.to_string();
    let payload = random_bytes(3 << 20);
    let (ok, out, err) = client(&["--connect", &addr], &payload);
    assert!(ok, "{err}");
    assert!(out == payload);
}

#[test]
fn verbose_shows_connect_and_the_local_port() {
    let server = Server::start(&[]);
    let addr = server.addr.to_string();
    let (ok, _, err) = client(&["--connect", &addr, "--message", "x", "--verbose"], b"");
    assert!(ok, "{err}");
    assert!(
        err.contains("socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)"),
        "{err}"
    );
    assert!(err.contains(&format!("connect({addr})")), "{err}");
    assert!(err.contains("the kernel picked local port"), "{err}");
    assert!(
        err.contains("write(2 bytes)") && err.contains("read() = 2 bytes"),
        "{err}"
    );
}

#[test]
fn works_against_a_socat_echo_server() {
    if !have("socat") {
        return;
    }
    let port = free_port();
    let _socat = start_peer(
        Command::new("socat")
            .arg(format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"))
            .arg("EXEC:cat"),
        port,
    );
    let addr = format!("127.0.0.1:{port}");
    let (ok, out, err) = client(&["--connect", &addr, "--message", "via socat"], b"");
    assert!(ok, "{err}");
    assert_eq!(out, b"via socat\n");
}

#[test]
fn works_against_an_ncat_echo_server() {
    if !have("ncat") {
        return;
    }
    let port = free_port();
    let _ncat = start_peer(
        Command::new("ncat").args([
            "-l",
            "127.0.0.1",
            &port.to_string(),
            "--keep-open",
            "--exec",
            "/bin/cat",
        ]),
        port,
    );
    let addr = format!("127.0.0.1:{port}");
    let payload = random_bytes(100_000);
    let (ok, out, err) = client(&["--connect", &addr], &payload);
    assert!(ok, "{err}");
    assert!(out == payload);
}

#[test]
fn a_changed_byte_is_a_mismatch() {
    let addr = misbehaving_server(|got| {
        let mut reply = got.to_vec();
        reply[3] ^= 0x20;
        reply
    });
    let (ok, _, err) = client(&["--connect", &addr, "--message", "abcdef"], b"");
    assert!(!ok);
    assert!(
        err.contains("echo mismatch at byte 3: sent 0x64, got 0x44"),
        "{err}"
    );
}

#[test]
fn a_binary_answer_is_shown_in_hex() {
    let addr = misbehaving_server(|_| vec![0x16, 0x03, 0x01, 0x00, 0xff, 0x00]);
    let (ok, _, err) = client(&["--connect", &addr, "--message", "hi"], b"");
    assert!(!ok);
    assert!(err.contains("sent 0x68, got 0x16"), "{err}");
    assert!(err.contains("16 03 01 00 ff 00"), "{err}");
}

#[test]
fn an_early_close_is_reported() {
    let addr = misbehaving_server(|got| got[..2].to_vec());
    let listener_closes_soon = [
        "--connect",
        &addr,
        "--message",
        "abcdef",
        "--timeout",
        "10s",
    ];
    let (ok, _, err) = client(&listener_closes_soon, b"");
    assert!(!ok);
    assert!(
        err.contains("closed the connection after echoing 2 of 7 bytes"),
        "{err}"
    );
}

#[test]
fn a_silent_server_times_out() {
    let addr = misbehaving_server(|_| Vec::new());
    let (ok, _, err) = client(
        &[
            "--connect",
            &addr,
            "--message",
            "anyone?",
            "--timeout",
            "200ms",
        ],
        b"",
    );
    assert!(!ok);
    assert!(
        err.contains("no echo for 200ms: got 0 of 8 bytes back"),
        "{err}"
    );
}

#[test]
fn extra_bytes_mean_not_an_echo() {
    let addr = misbehaving_server(|got| [got, b"and more"].concat());
    let (ok, _, err) = client(&["--connect", &addr, "--message", "hi"], b"");
    assert!(!ok);
    assert!(err.contains("more than were sent"), "{err}");
}

#[test]
fn connection_refused_is_one_line() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let (ok, _, err) = client(&["--connect", &addr, "--message", "x"], b"");
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("connection refused"), "{err}");
}

#[test]
fn host_names_resolve() {
    let server = Server::start(&[]);
    let addr = format!("localhost:{}", server.addr.port());
    let (ok, out, err) = client(&["--connect", &addr, "--message", "by name"], b"");
    assert!(ok, "{err}");
    assert_eq!(out, b"by name\n");
}
