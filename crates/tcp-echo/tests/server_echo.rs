//! `tcp-echo server` echoing to real clients: std sockets, nc, socat, ncat, many at once.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::Command;
use std::thread;

use common::{random_bytes, Server};
use test_support::{have, run_with_input};

fn echo_once(addr: std::net::SocketAddr, payload: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(payload).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    stream.read_to_end(&mut back).unwrap();
    back
}

on_each_backend!(echoes_bytes_exactly_and_closes_after_the_client_half_closes);
fn echoes_bytes_exactly_and_closes_after_the_client_half_closes() {
    let server = Server::start(&[]);
    // Every byte value, including NUL and CR/LF, comes back untouched.
    let payload: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    assert_eq!(echo_once(server.addr, &payload), payload);
}

on_each_backend!(half_close_still_gets_the_rest_of_the_echo);
fn half_close_still_gets_the_rest_of_the_echo() {
    let server = Server::start(&[]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let payload = random_bytes(300_000);
    let writer_side = stream.try_clone().unwrap();
    let sent = payload.clone();
    let writer = thread::spawn(move || {
        let mut w = writer_side;
        w.write_all(&sent).unwrap();
        // FIN while the server still has echo to send: it must finish, then close.
        w.shutdown(Shutdown::Write).unwrap();
    });
    let mut back = Vec::new();
    stream.read_to_end(&mut back).unwrap();
    writer.join().unwrap();
    assert_eq!(back.len(), payload.len());
    assert!(back == payload);
}

on_each_backend!(ten_mib_stream_with_uneven_partial_writes);
fn ten_mib_stream_with_uneven_partial_writes() {
    let server = Server::start(&[]);
    let stream = TcpStream::connect(server.addr).unwrap();
    let payload = random_bytes(10 << 20);
    let sent = payload.clone();
    let mut writer_side = stream.try_clone().unwrap();
    let writer = thread::spawn(move || {
        // Writes of odd sizes, so segments and the server's reads never line up with them.
        let mut at = 0;
        let mut step = 1usize;
        while at < sent.len() {
            let end = (at + step).min(sent.len());
            writer_side.write_all(&sent[at..end]).unwrap();
            at = end;
            step = (step * 7 + 13) % 70_001 + 1;
        }
        writer_side.shutdown(Shutdown::Write).unwrap();
    });
    let mut back = Vec::with_capacity(payload.len());
    let mut reader = stream;
    reader.read_to_end(&mut back).unwrap();
    writer.join().unwrap();
    assert_eq!(back.len(), payload.len());
    assert!(back == payload, "echo differs from what was sent");
}

on_each_backend!(ipv6_and_dual_stack);
fn ipv6_and_dual_stack() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let v6 = Server::start_with(&["server", "--listen", "[::1]:0"]);
    assert!(v6.addr.is_ipv6());
    assert_eq!(echo_once(v6.addr, b"over IPv6\n"), b"over IPv6\n");

    let dual = Server::start_with(&["server", "--listen", "[::]:0"]);
    let port = dual.addr.port();
    let v4 = format!("127.0.0.1:{port}").parse().unwrap();
    let v6 = format!("[::1]:{port}").parse().unwrap();
    assert_eq!(echo_once(v4, b"IPv4 client\n"), b"IPv4 client\n");
    assert_eq!(echo_once(v6, b"IPv6 client\n"), b"IPv6 client\n");
}

on_each_backend!(nc_gets_its_echo);
fn nc_gets_its_echo() {
    if !have("nc") {
        return;
    }
    let server = Server::start(&[]);
    let payload = b"hello from nc\nsecond line\n";
    // -N: shut down the write side at end of input, then read until the server closes.
    let (status, out, err) = run_with_input(
        Command::new("nc")
            .arg("-N")
            .arg(server.addr.ip().to_string())
            .arg(server.addr.port().to_string()),
        payload,
    );
    assert!(status.success(), "nc failed: {err}");
    assert_eq!(out, payload);
}

on_each_backend!(socat_gets_its_echo);
fn socat_gets_its_echo() {
    if !have("socat") {
        return;
    }
    let server = Server::start(&[]);
    let payload = random_bytes(200_000);
    let (status, out, err) = run_with_input(
        Command::new("socat")
            .arg("-t5")
            .arg("-")
            .arg(format!("TCP:{}", server.addr)),
        &payload,
    );
    assert!(status.success(), "socat failed: {err}");
    assert_eq!(out.len(), payload.len());
    assert!(out == payload);
}

on_each_backend!(ncat_gets_its_echo);
fn ncat_gets_its_echo() {
    if !have("ncat") {
        return;
    }
    let server = Server::start(&[]);
    let payload = b"ncat says hi\n";
    let (status, out, err) = run_with_input(
        Command::new("ncat")
            .arg(server.addr.ip().to_string())
            .arg(server.addr.port().to_string()),
        payload,
    );
    assert!(status.success(), "ncat failed: {err}");
    assert_eq!(out, payload);
}

on_each_backend!(a_thousand_concurrent_clients_get_only_their_own_bytes);
fn a_thousand_concurrent_clients_get_only_their_own_bytes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = Server::start(&[]);
    let addr = server.addr;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let failures = runtime.block_on(async move {
        // All connect first, so all thousand are open at once before any echo.
        let mut streams = Vec::new();
        for _ in 0..1000 {
            streams.push(tokio::net::TcpStream::connect(addr).await.unwrap());
        }
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(1000));
        let mut tasks = Vec::new();
        for (id, mut stream) in streams.into_iter().enumerate() {
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                for round in 0..5 {
                    // Distinct content and length per client and round: cross-talk would show.
                    let mut payload = format!("client {id} round {round}:").into_bytes();
                    payload.extend(random_bytes(1 + (id * 37 + round * 101) % 3000));
                    stream.write_all(&payload).await.unwrap();
                    let mut back = vec![0u8; payload.len()];
                    stream.read_exact(&mut back).await.unwrap();
                    if back != payload {
                        return 1;
                    }
                }
                0
            }));
        }
        let mut failures = 0;
        for task in tasks {
            failures += task.await.unwrap();
        }
        failures
    });
    assert_eq!(
        failures, 0,
        "{failures} clients got bytes that were not theirs"
    );
}
