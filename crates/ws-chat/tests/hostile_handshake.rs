//! Hostile clients against the opening handshake: requests that smuggle frames in a body, and
//! slowloris floods of handshakes that never finish. Small by default; `SOCKLAB_HOSTILE=full`
//! runs the full size. Each test prints one `hostile:` line (see `test_support::hostile_report`).

mod common;

use common::{frame_bytes, tcp, tcp_from, Client, Server};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_support::{hostile_report, proc_cpu_seconds, proc_hwm_kib};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
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

/// The slowloris: one host (127.0.0.2) keeps reconnecting and never finishes a request,
/// at about 670 connections a second, while a legitimate client from another address
/// (127.0.0.3) opens `/echo` again and again. Every legitimate try must get its echo.
#[test]
fn slowloris_from_one_address_leaves_room_for_others() {
    let full = test_support::hostile_full();
    // Small: enough attackers to fill a lowered --max-conns. Full: the 10,000 half-open
    // handshakes against the default --max-conns, attackers returning every 15 s (~670/s).
    // The legitimate tries span more than one pause, so they meet the returning attackers.
    let (attackers, pause, tries, spacing, extra): (usize, Duration, usize, Duration, &[&str]) =
        if full {
            (
                10_500,
                Duration::from_secs(15),
                40,
                Duration::from_millis(500),
                &[],
            )
        } else {
            (
                500,
                Duration::from_secs(1),
                9,
                Duration::from_millis(200),
                &["--max-conns", "400"],
            )
        };
    let server = Server::start(extra);
    let addr = server.addr;
    let attacker: IpAddr = "127.0.0.2".parse().unwrap();
    let stop = CancellationToken::new();
    let attempts = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let attack = {
        let (stop, attempts, refused) = (stop.clone(), Arc::clone(&attempts), Arc::clone(&refused));
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut tasks = tokio::task::JoinSet::new();
                for i in 0..attackers {
                    let (stop, attempts, refused) =
                        (stop.clone(), Arc::clone(&attempts), Arc::clone(&refused));
                    // Spread the first connections over a second, as a real flood ramps up.
                    let start = pause.min(Duration::from_secs(1)) * i as u32 / attackers as u32;
                    tasks.spawn(async move {
                        tokio::time::sleep(start).await;
                        while !stop.is_cancelled() {
                            attempts.fetch_add(1, Ordering::Relaxed);
                            if half_handshake(attacker, addr, &stop).await {
                                refused.fetch_add(1, Ordering::Relaxed);
                            }
                            tokio::select! {
                                () = tokio::time::sleep(pause) => {}
                                () = stop.cancelled() => {}
                            }
                        }
                    });
                }
                while tasks.join_next().await.is_some() {}
            });
        })
    };
    // Let every attacker connect once before the legitimate client starts (bounded).
    let deadline = Instant::now() + Duration::from_secs(30);
    while attempts.load(Ordering::Relaxed) < attackers && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut served = 0;
    let mut errors = Vec::new();
    for i in 0..tries {
        match echo_once(addr, &format!("legitimate {i}")) {
            Ok(()) => served += 1,
            Err(err) => errors.push(err),
        }
        std::thread::sleep(spacing);
    }
    let pid = server.pid();
    let (hwm_mib, cpu) = (proc_hwm_kib(pid) as f64 / 1024.0, proc_cpu_seconds(pid));
    stop.cancel();
    attack.join().unwrap();
    errors.dedup();
    let pass = served == tries && hwm_mib < 64.0;
    hostile_report(
        "slowloris",
        hwm_mib,
        cpu,
        Some(served == tries),
        pass,
        &format!(
            "{attackers} attackers from one address, {} connections ({} refused with 503); fresh client from another address served {served}/{tries}; errors: {:?}",
            attempts.load(Ordering::Relaxed),
            refused.load(Ordering::Relaxed),
            errors
        ),
    );
    assert_eq!(served, tries, "{errors:?}");
    assert!(hwm_mib < 64.0, "peak RSS {hwm_mib:.1} MiB");
}

/// One attacker connection: connects from `from`, sends half a request head and waits until the
/// server closes (or the test ends). Returns whether the server refused it with 503.
async fn half_handshake(from: IpAddr, addr: SocketAddr, stop: &CancellationToken) -> bool {
    let connect = async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(from, 0))?;
        socket.connect(addr).await
    };
    let Ok(mut stream) = connect.await else {
        return false;
    };
    let _ = stream.write_all(b"GET /echo HTTP/1.1\r\nHost: h\r\n").await;
    let mut answer = Vec::new();
    tokio::select! {
        _ = stream.read_to_end(&mut answer) => {}
        () = stop.cancelled() => {}
    }
    answer.starts_with(b"HTTP/1.1 503")
}

/// A legitimate client from 127.0.0.3: opens `/echo`, sends `text`, and checks the echo.
fn echo_once(addr: SocketAddr, text: &str) -> Result<(), String> {
    let stream = tcp_from("127.0.0.3".parse().unwrap(), addr).map_err(|e| e.to_string())?;
    let mut client = Client::handshake(stream, addr, "/echo")?;
    client.send(OpCode::Text, true, text.as_bytes());
    match client.recv() {
        Some(frame) if frame.payload == text.as_bytes() => Ok(()),
        other => Err(format!("no echo: {other:?}")),
    }
}
