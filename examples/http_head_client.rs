//! A TCP client that sends an HTTP `HEAD /` request and prints the response, the PHP manual's
//! socket client example (its "Example #2 Socket example: Simple TCP/IP client"), step by step.
//!
//! ```text
//! cargo run -p ws-chat &                               # or any web server on this machine
//! cargo run --example http_head_client -- 127.0.0.1:8080
//! ```

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};

use socket2::{Domain, Protocol, Socket, Type};

fn main() -> std::io::Result<()> {
    let target = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    // getaddrinfo(): a host name may stand for several addresses; take the first.
    let addr: SocketAddr = target
        .to_socket_addrs()?
        .next()
        .expect("usage: http_head_client HOST:PORT");
    let host = target.rsplit_once(':').map_or(target.as_str(), |(h, _)| h);

    println!("TCP/IP Connection");
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    println!("socket(): OK");

    println!("connect(): attempting to connect to {addr} ...");
    socket.connect(&addr.into())?;
    let local = socket.local_addr()?.as_socket().expect("an IP address");
    println!("connect(): OK, our side is {local} (the kernel chose the port)");

    let mut stream: std::net::TcpStream = socket.into();
    // HTTP/1.1 needs a Host header; "Connection: close" asks the server to close after the
    // response, so reading until end of stream gets exactly one response.
    let request = format!("HEAD / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    println!("Sending HTTP HEAD request...");
    stream.write_all(request.as_bytes())?;
    println!("write(): OK, {} bytes", request.len());

    println!("Reading response:\n");
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    print!("{}", String::from_utf8_lossy(&response));

    println!("\nClosing socket...");
    stream.shutdown(Shutdown::Both).ok();
    println!("OK.");
    Ok(())
}
