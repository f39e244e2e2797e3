//! Ports for peers that cannot be told to pick their own, and waiting for them to listen.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::PATIENCE;

/// A port that was free a moment ago, for peers that cannot be told to pick one themselves.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `addr`, for at most [`PATIENCE`].
pub fn wait_for_listener(addr: SocketAddr) {
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "nothing listened on {addr}");
        thread::sleep(Duration::from_millis(20));
    }
}
