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
