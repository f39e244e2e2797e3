//! The simplest echo server there is: blocking calls, one client at a time, every step printed.
//!
//! This is the shape of the PHP tutorials' SimpleServer.php, written to be read top to bottom.
//! `tcp-echo server` does the same job for thousands of clients at once.
//!
//! Run it, then talk to it from another terminal:
//!
//! ```text
//! cargo run --example simple_server            # listens on 127.0.0.1:10000
//! nc 127.0.0.1 10000                            # type lines; Ctrl-D to finish
//! ```

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use socket2::{Domain, Protocol, Socket, Type};

fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:10000".to_owned())
        .parse()
        .expect("usage: simple_server [IP:PORT]");

    println!("SERVER START");
    // socket(): ask the kernel for a TCP endpoint. It has no address yet.
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    println!("socket(): created");

    // SO_REUSEADDR: without it, restarting the server right after stopping it fails with
    // "address already in use" while old connections linger in TIME_WAIT.
    socket.set_reuse_address(true)?;
    println!("setsockopt(SO_REUSEADDR): set");

    // bind(): claim the address and port. Port 0 would let the kernel pick one.
    socket.bind(&addr.into())?;
    let bound = socket.local_addr()?.as_socket().expect("an IP address");
    println!("bind(): bound to {bound}");

    // listen(): from now on the kernel answers SYNs and queues finished handshakes (up to 5
    // here) until we accept them, even while we are busy with another client.
    socket.listen(5)?;
    println!("listen(): listening on {bound}");

    let listener: std::net::TcpListener = socket.into();
    loop {
        println!("accept(): waiting for a connection...");
        // accept(): take the next queued connection; it gets a socket of its own.
        let (client, peer) = listener.accept()?;
        println!("accept(): {peer} connected");
        if let Err(err) = echo(client) {
            // One client's trouble is not the server's: report it and serve the next.
            println!("{peer}: {err}");
        }
    }
}

/// Sends back everything the client sends until it closes its side.
fn echo(mut client: TcpStream) -> std::io::Result<()> {
    let mut buf = [0u8; 2048];
    loop {
        // read(): blocks until bytes arrive; 0 means the client closed its side.
        let n = client.read(&mut buf)?;
        if n == 0 {
            println!("read(): 0 bytes, the client closed; close()");
            return Ok(());
        }
        println!(
            "read(): {n} bytes: {:?}",
            String::from_utf8_lossy(&buf[..n])
        );
        // write_all(): write() may take only part of the bytes; this repeats until all are sent.
        client.write_all(&buf[..n])?;
        println!("write(): {n} bytes echoed");
    }
}
