//! A WebSocket client in plain blocking code: the HTTP Upgrade handshake, masked frames out, a
//! ping, and the closing handshake, each step printed. The frames are built and read by this
//! project's `websocket` crate; the socket is an ordinary `TcpStream`.
//!
//! ```text
//! cargo run -p ws-chat -- --listen 127.0.0.1:8080 &
//! cargo run --example ws_client -- 127.0.0.1:8080 /echo "hello" "how are you?"
//! ```

use std::io::{Read, Write};
use std::net::TcpStream;

use websocket::handshake::{check_response, client_request, Response};
use websocket::{CloseCode, Config, Connection, Event, Message, Role};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let path = args.next().unwrap_or_else(|| "/echo".to_owned());
    let mut messages: Vec<String> = args.collect();
    if messages.is_empty() {
        messages = vec!["hello".into(), "how are you?".into()];
    }

    let mut stream = TcpStream::connect(&addr)?;
    println!("connect({addr}): OK");

    // 1. The opening handshake is HTTP: a GET with Upgrade headers and a random key.
    let nonce: [u8; 16] = rand::random();
    let (request, key) = client_request(&addr, &path, nonce, None);
    stream.write_all(&request)?;
    println!("-> GET {path} with Sec-WebSocket-Key: {key}");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (response, used) = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err("the server closed the connection during the handshake".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(parsed) = Response::parse(&buf)? {
            break parsed;
        }
    };
    // The server proves it speaks WebSocket by hashing our key with the RFC's fixed GUID.
    check_response(&response, &key, &[])?;
    println!(
        "<- {} Switching Protocols, Sec-WebSocket-Accept: {} (correct)",
        response.status,
        response.header("sec-websocket-accept").unwrap_or_default()
    );
    let mut pending = buf.split_off(used);

    // 2. From here on the connection carries frames; a client masks every frame it sends.
    let mut conn = Connection::new(Config::new(Role::Client), rand::random());
    for text in &messages {
        conn.send_text(text);
        flush(&mut conn, &mut stream)?;
        println!("-> text frame, {} bytes, masked: {text:?}", text.len());
        match next_event(&mut conn, &mut stream, &mut pending)? {
            Event::Message(Message::Text(back)) => println!("<- text frame: {back:?}"),
            other => println!("<- {other:?}"),
        }
    }

    conn.send_ping(b"are you there?");
    flush(&mut conn, &mut stream)?;
    println!("-> ping \"are you there?\"");
    if let Event::Message(Message::Pong(data)) = next_event(&mut conn, &mut stream, &mut pending)? {
        println!("<- pong {:?}", String::from_utf8_lossy(&data));
    }

    // 3. Closing is a handshake too: our close frame, then the server's answer with its code.
    conn.close(CloseCode::Normal, "bye");
    flush(&mut conn, &mut stream)?;
    println!("-> close 1000 \"bye\"");
    if let Event::Closed(frame) = next_event(&mut conn, &mut stream, &mut pending)? {
        match frame {
            Some(f) => println!("<- close {} {:?}", u16::from(f.code), f.reason),
            None => println!("<- close without a status code"),
        }
    }
    Ok(())
}

/// Writes whatever the connection has queued (frames, pong answers, close replies).
fn flush(conn: &mut Connection, stream: &mut TcpStream) -> std::io::Result<()> {
    stream.write_all(conn.output())?;
    conn.clear_output();
    Ok(())
}

/// Feeds bytes from the socket to the decoder until it has a whole message or close.
fn next_event(
    conn: &mut Connection,
    stream: &mut TcpStream,
    pending: &mut Vec<u8>,
) -> Result<Event, Box<dyn std::error::Error>> {
    let mut chunk = [0u8; 4096];
    loop {
        let mut input = &pending[..];
        let event = conn.receive(&mut input)?;
        let used = pending.len() - input.len();
        pending.drain(..used);
        flush(conn, stream)?;
        if let Some(event) = event {
            return Ok(event);
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        pending.extend_from_slice(&chunk[..n]);
    }
}
