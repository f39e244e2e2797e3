//! The server side of the page's frame inspector: `/inspect` hands out a token, a connection
//! that presents it has its frames reported as they were on the wire, nobody else's are, and an
//! inspector that does not read costs the chat nothing but dropped (and counted) reports. Under
//! `--deflate` the reports show RSV1, the compressed length and the inflated size.

mod common;

use common::{tcp_from, Client, Server};
use serde_json::Value;
use std::io::Write;
use std::net::IpAddr;
use websocket::{encode_frame, FrameHeader, OpCode};

/// Opens an inspector and returns it with its token.
fn inspector(server: &Server) -> (Client, String) {
    let mut inspector = Client::connect(server.addr, "/inspect");
    let hello: Value = serde_json::from_str(&inspector.recv_text()).unwrap();
    let token = hello["token"].as_str().expect("a token").to_owned();
    assert_eq!(token.len(), 32, "{hello}");
    assert_eq!(hello["payload_bytes"], 64, "{hello}");
    (inspector, token)
}

/// The next report on an inspector socket, as JSON; `None` once the server closed it.
fn report(inspector: &mut Client) -> Option<Value> {
    let frame = inspector.recv()?;
    match frame.header.opcode {
        OpCode::Text => Some(serde_json::from_slice(&frame.payload).unwrap()),
        OpCode::Close => None,
        other => panic!("unexpected {other:?} on the inspector"),
    }
}

/// A masked text frame with masking key `key`, as the page would send it.
fn masked(text: &str, key: [u8; 4]) -> Vec<u8> {
    let mut header = FrameHeader::new(OpCode::Text, text.len() as u64);
    header.mask = Some(key);
    let mut out = Vec::new();
    encode_frame(&mut out, &header, text.as_bytes());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_page_sees_its_own_frames_as_they_were_on_the_wire() {
    let server = Server::start(&["--verbose"]);
    let (mut inspector, token) = inspector(&server);
    let mut page = Client::connect(server.addr, &format!("/chat?inspect={token}"));
    let joined = page.recv_text();
    let attached = report(&mut inspector).unwrap();
    assert_eq!(attached["attached"]["path"], "/chat", "{attached}");
    let conn = attached["attached"]["conn"].as_u64().unwrap();
    assert!(joined.starts_with(&format!("* guest-{conn} joined")));
    // The join notice the server sent: unmasked, its 7-bit length in the second byte.
    let sent = report(&mut inspector).unwrap();
    let mut expected = vec![0x81, joined.len() as u8];
    assert_eq!(sent["frame"]["from"], "server");
    assert_eq!(sent["frame"]["header"], hex(&expected), "{sent}");
    assert_eq!(sent["frame"]["key"], Value::Null);
    assert_eq!(sent["frame"]["payload"], hex(joined.as_bytes()));

    // A short line and one of 300 bytes (16-bit length form), with keys we chose.
    let long = "x".repeat(300);
    for (text, key) in [
        ("hello", [0x37, 0xfa, 0x21, 0x3d]),
        (&long[..], [1, 2, 3, 4]),
    ] {
        let bytes = masked(text, key);
        page.send_raw(&bytes);
        let line = page.recv_text();
        assert_eq!(line, format!("guest-{conn}: {text}"));
        let got = report(&mut inspector).unwrap();
        let header_len = if text.len() < 126 { 6 } else { 8 };
        assert_eq!(got["frame"]["from"], "page", "{got}");
        assert_eq!(got["frame"]["header"], hex(&bytes[..header_len]));
        assert_eq!(got["frame"]["key"], hex(&key));
        // The payload still masked, as it arrived: the first 64 bytes only.
        let wire = &bytes[header_len..];
        assert_eq!(got["frame"]["payload"], hex(&wire[..wire.len().min(64)]));
        assert_eq!(got["frame"]["len"], text.len());
        assert_eq!(got["frame"]["message"], text.len());
        let echoed = report(&mut inspector).unwrap();
        assert_eq!(echoed["frame"]["from"], "server");
        assert_eq!(echoed["frame"]["len"], line.len(), "{echoed}");
        expected = if line.len() < 126 {
            vec![0x81, line.len() as u8]
        } else {
            [&[0x81, 126][..], &(line.len() as u16).to_be_bytes()].concat()
        };
        assert_eq!(echoed["frame"]["header"], hex(&expected));
    }

    // The closing handshake, codes named; then the inspector is closed too.
    page.send(OpCode::Close, true, &1000u16.to_be_bytes());
    assert_eq!(page.expect_close(), 1000);
    for from in ["page", "server"] {
        let close = report(&mut inspector).unwrap();
        assert_eq!(close["frame"]["from"], from, "{close}");
        assert_eq!(close["frame"]["close"], "1000 Normal Closure");
        assert_eq!(close["dropped"], 0);
    }
    assert!(report(&mut inspector).is_none(), "closed after the reports");
    let log = server.output().join("\n");
    assert!(log.contains(&format!("#{conn} 127.0.0.1:")), "{log}");
    assert!(log.contains(" inspected by #"), "{log}");
}

#[test]
fn nobody_inspects_another_connection() {
    let server = Server::start(&["--verbose"]);
    let (mut inspector, token) = inspector(&server);
    let path = format!("/chat?inspect={token}");
    // The token from another address, a made-up token and a malformed one: not inspected,
    // but chatting as usual.
    let other: IpAddr = "127.0.0.2".parse().unwrap();
    let mut stranger = Client::handshake(tcp_from(other, server.addr).unwrap(), server.addr, &path)
        .expect("the chat still opens");
    stranger.recv_text();
    let mut guesser = Client::connect(server.addr, &format!("/chat?inspect={}", "0".repeat(32)));
    let mut junk = Client::connect(server.addr, "/chat?inspect=%22%3E");
    for (client, text) in [
        (&mut stranger, "from a stranger"),
        (&mut guesser, "from a guesser"),
        (&mut junk, "from junk"),
    ] {
        client.send(OpCode::Text, true, text.as_bytes());
    }
    // The owner presents it; a second claim of the same token is refused.
    let mut owner = Client::connect(server.addr, &path);
    let mut late = Client::connect(server.addr, &path);
    late.send(OpCode::Text, true, b"from a latecomer");
    owner.send(OpCode::Text, true, b"from the owner");
    loop {
        let line = owner.recv_text();
        if line.ends_with(": from the owner") {
            break;
        }
    }
    owner.send(OpCode::Close, true, &1000u16.to_be_bytes());
    owner.expect_close();
    let first = report(&mut inspector).unwrap();
    let conn = first["attached"]["conn"].as_u64().expect("attached first");
    let mut from_page = Vec::new();
    while let Some(report) = report(&mut inspector) {
        let frame = &report["frame"];
        if frame["from"] == "page" {
            from_page.push(frame["len"].as_u64().unwrap());
        }
    }
    // Only the owner's own two frames: its line and its close.
    assert_eq!(from_page, ["from the owner".len() as u64, 2]);
    let log = server.output().join("\n");
    assert!(
        log.contains("inspect token opened from another address; not inspected"),
        "{log}"
    );
    assert_eq!(
        log.matches("unknown or already used inspect token; not inspected")
            .count(),
        3,
        "the guess, the junk and the latecomer: {log}"
    );
    assert_eq!(log.matches(" inspected by #").count(), 1, "{log}");
    let owner_tag = format!("#{conn} ");
    assert!(log.contains(&owner_tag));
}

#[test]
fn an_inspector_that_does_not_read_costs_the_chat_nothing() {
    let full = test_support::hostile_full();
    let messages: usize = if full { 300_000 } else { 100_000 };
    let server = Server::start(&[]);
    // Never read until the chat is done.
    let (mut inspector, token) = inspector(&server);
    let mut page = Client::connect(server.addr, &format!("/chat?inspect={token}"));
    page.recv_text();
    let before = server.rss_kib();
    // 60 bytes per line: each report keeps a whole payload, as a long line's would.
    let text = "y".repeat(60);
    let frame = common::frame_bytes(OpCode::Text, true, text.as_bytes());
    let mut writer = page.stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        for _ in 0..messages {
            if writer.write_all(&frame).is_err() {
                return false;
            }
        }
        true
    });
    // The chat goes on at its own pace: every line comes back while the inspector sleeps.
    for i in 0..messages {
        let line = page.recv_text();
        assert!(line.ends_with(&text), "line {i}: {line}");
    }
    assert!(sender.join().unwrap());
    let grown_mib = server.rss_kib().saturating_sub(before) / 1024;
    page.send(OpCode::Close, true, &1000u16.to_be_bytes());
    assert_eq!(page.expect_close(), 1000);
    // Now read: every frame was either reported or counted as dropped.
    let total = 2 * messages as u64 + 3; // lines both ways, the join notice, two closes
    let mut reported = 0;
    let mut dropped = 0;
    while let Some(report) = report(&mut inspector) {
        if report.get("frame").is_some() {
            reported += 1;
        }
        dropped = report["dropped"].as_u64().unwrap();
    }
    println!(
        "inspect: messages={messages} frames={total} reported={reported} dropped={dropped} \
         rss_growth_mib={grown_mib}"
    );
    assert!(dropped > 0, "the queue must have filled");
    assert_eq!(reported + dropped, total);
    // Unbounded, the reports held would be a few hundred bytes per frame: 20+ MiB here.
    assert!(grown_mib < 8, "server grew {grown_mib} MiB");
}

#[test]
fn an_inspector_that_talks_is_closed_and_the_chat_goes_on() {
    let server = Server::start(&[]);
    let (mut inspector, token) = inspector(&server);
    let mut page = Client::connect(server.addr, &format!("/chat?inspect={token}"));
    page.recv_text();
    inspector.send(OpCode::Text, true, b"let me see someone else's frames");
    loop {
        let Some(frame) = inspector.recv() else {
            panic!("no close frame")
        };
        if frame.header.opcode == OpCode::Close {
            assert_eq!(
                u16::from_be_bytes([frame.payload[0], frame.payload[1]]),
                1003
            );
            break;
        }
    }
    for i in 0..3 {
        page.send(OpCode::Text, true, format!("still here {i}").as_bytes());
        assert!(page.recv_text().ends_with(&format!("still here {i}")));
    }
}

#[test]
fn a_compressed_echo_shows_rsv1_and_both_sizes() {
    let server = Server::start(&["--deflate"]);
    let (mut inspector, token) = inspector(&server);
    let (mut page, accepted) = Client::connect_offering(
        server.addr,
        &format!("/echo?inspect={token}"),
        Some("permessage-deflate"),
    );
    assert!(accepted);
    let attached = report(&mut inspector).unwrap();
    assert_eq!(attached["attached"]["path"], "/echo", "{attached}");
    assert_eq!(attached["attached"]["extensions"], "permessage-deflate");
    let text = "compress me, ".repeat(40);
    let mut compressed = Vec::new();
    websocket::deflate::Deflater::new(false).compress(text.as_bytes(), &mut compressed);
    let bytes = common::compressed_frame_bytes(OpCode::Text, true, &compressed);
    page.send_raw(&bytes);
    let echoed = page.recv().expect("the echo");
    assert!(echoed.header.rsv1);
    for from in ["page", "server"] {
        let got = report(&mut inspector).unwrap();
        let frame = &got["frame"];
        assert_eq!(frame["from"], from, "{got}");
        let header = frame["header"].as_str().unwrap();
        assert!(header.starts_with("c1"), "FIN, RSV1, text: {got}");
        let len = frame["len"].as_u64().unwrap();
        assert_eq!(frame["message"], text.len(), "inflated size: {got}");
        assert!(len < text.len() as u64 / 4, "compressed size: {got}");
        if from == "page" {
            assert_eq!(len, compressed.len() as u64);
            assert_eq!(header, hex(&bytes[..6]));
            assert_eq!(frame["payload"], hex(&bytes[6..]));
        } else {
            assert_eq!(len, echoed.payload.len() as u64);
        }
    }
}
