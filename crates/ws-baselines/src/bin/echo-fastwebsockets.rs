//! Baseline for scripts/bench-ws.sh: an `/echo` server on fastwebsockets, shaped like its own
//! echo example (a FragmentCollector that writes text/binary frames back). The HTTP upgrade is
//! done with this project's handshake functions instead of hyper, so the comparison is of the
//! frame path alone. Not part of ws-chat.
//!
//! Run: `cargo run --release -p ws-baselines --bin echo-fastwebsockets -- 127.0.0.1:0`

use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use websocket::handshake::{response_101, validate_request, Request};

async fn upgrade(stream: &mut TcpStream) -> Option<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    let (request, n) = loop {
        let got = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..got]);
        if let Some(found) = Request::parse(&buf).ok()? {
            break found;
        }
    };
    // A client that pipelines frames after its request would lose them here; bench clients wait.
    if n != buf.len() {
        return None;
    }
    let upgrade = validate_request(&request).ok()?;
    stream
        .write_all(&response_101(&upgrade.accept, None))
        .await
        .ok()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (mut stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            if upgrade(&mut stream).await.is_none() {
                return;
            }
            let mut ws = FragmentCollector::new(WebSocket::after_handshake(stream, Role::Server));
            while let Ok(frame) = ws.read_frame().await {
                let echo = match frame.opcode {
                    OpCode::Close => return,
                    OpCode::Text | OpCode::Binary => true,
                    _ => false,
                };
                if echo && ws.write_frame(frame).await.is_err() {
                    return;
                }
            }
        });
    }
}
