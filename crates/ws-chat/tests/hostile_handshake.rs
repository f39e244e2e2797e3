//! Hostile clients against the opening handshake: requests that smuggle frames in a body, and
//! slowloris floods of handshakes that never finish. Small by default; `SOCKLAB_HOSTILE=full`
//! runs the full size. Each test prints one `hostile:` line (see `common::hostile_report`).

mod common;

use common::{frame_bytes, hostile_report, proc_cpu_seconds, proc_hwm_kib, tcp, Server};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;
use websocket::OpCode;

/// Sends `request` and returns what came back before the server closed, or before a short
/// silence (a server that wrongly upgraded keeps the connection open).
fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = tcp(addr);
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = stream.read(&mut chunk) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

const UPGRADE: &str = "GET /echo HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

#[test]
fn upgrade_with_a_body_or_two_hosts_is_refused() {
    let server = Server::start(&[]);
    // A masked text frame hidden in the body: echoed back if the body were read as frames.
    let hidden = frame_bytes(OpCode::Text, true, b"smuggled");
    let mut chunked = format!("{:x}\r\n", hidden.len()).into_bytes();
    chunked.extend_from_slice(&hidden);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let cases: [(&str, String, Vec<u8>); 2] = [
        (
            "content-length",
            format!("Content-Length: {}\r\n", hidden.len()),
            hidden.clone(),
        ),
        ("chunked", "Transfer-Encoding: chunked\r\n".into(), chunked),
    ];
    let mut failures = Vec::new();
    for (name, header, body) in cases {
        let mut request = format!("{UPGRADE}{header}\r\n").into_bytes();
        request.extend_from_slice(&body);
        let answer = exchange(server.addr, &request);
        if !answer.starts_with("HTTP/1.1 400 ") || answer.contains("smuggled") {
            failures.push(format!("{name}: {:?}", answer.lines().next().unwrap_or("")));
        }
    }
    let answer = exchange(
        server.addr,
        format!("{UPGRADE}Host: other\r\n\r\n").as_bytes(),
    );
    if !(answer.starts_with("HTTP/1.1 400 ") && answer.contains("duplicate Host")) {
        failures.push(format!(
            "two Hosts: {:?}",
            answer.lines().last().unwrap_or("")
        ));
    }
    let pid = server.pid();
    hostile_report(
        "upgrade-body",
        proc_hwm_kib(pid) as f64 / 1024.0,
        proc_cpu_seconds(pid),
        None,
        failures.is_empty(),
        &format!("Content-Length, chunked body and duplicate Host refused with 400; failures: {failures:?}"),
    );
    assert!(failures.is_empty(), "{failures:?}");
}
