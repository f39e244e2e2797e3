//! The bench baseline: the smallest reasonable tokio echo server, for `scripts/bench-echo.sh`
//! to measure `tcp-echo server` against. Run it with an address and point the bench at it:
//!
//!     cargo run --release -p tcp-echo --example tokio_echo_baseline -- 127.0.0.1:0
//!     tcp-echo bench --connect ADDR_IT_PRINTED
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:10001".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        // An accept error (such as running out of descriptors) must not end the server.
        let Ok((mut socket, _)) = listener.accept().await else {
            continue;
        };
        // Same as the server under test, so neither pays Nagle's delay on small echoes.
        let _ = socket.set_nodelay(true);
        tokio::spawn(async move {
            let mut buf = vec![0; 4096];
            // A read of 0 is the peer closing; any error ends only this connection.
            while let Ok(n @ 1..) = socket.read(&mut buf).await {
                if socket.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
    }
}
