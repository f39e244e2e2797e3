//! Making the listening socket step by step with socket2, so that `--verbose` can show each call
//! the way a C or PHP program makes it: socket(), setsockopt(), bind(), listen().

use std::io;
use std::net::SocketAddr;

use anyhow::{anyhow, Result};
use socket2::{Domain, Protocol, Socket, Type};

use crate::trace::{family, Trace};

/// Creates, configures, binds and listens; returns the socket ready for tokio.
pub fn bind(addr: SocketAddr, backlog: i32, trace: Trace) -> Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .map_err(|err| anyhow!("socket({}) failed: {err}", family(&addr)))?;
    trace.say(format_args!(
        "socket({}, SOCK_STREAM, IPPROTO_TCP)  -> a new, unbound TCP socket",
        family(&addr)
    ));

    if addr.is_ipv6() && addr.ip().is_unspecified() {
        // `[::]` should take IPv4 clients too (as ::ffff:a.b.c.d); some systems default to
        // IPv6-only, so say it explicitly rather than inherit net.ipv6.bindv6only.
        socket
            .set_only_v6(false)
            .map_err(|err| anyhow!("setsockopt(IPV6_V6ONLY, 0) failed: {err}"))?;
        trace.say(format_args!(
            "setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 0)  -> dual stack: IPv4 clients too"
        ));
    }

    // Lets a restarted server bind at once although the old one's connections sit in TIME_WAIT;
    // every PHP socket tutorial sets it for that reason.
    socket
        .set_reuse_address(true)
        .map_err(|err| anyhow!("setsockopt(SO_REUSEADDR) failed: {err}"))?;
    trace.say(format_args!(
        "setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)  -> rebind at once after a restart"
    ));

    // Accepted sockets inherit TCP_NODELAY on Linux; each is set again after accept() for the
    // systems where they do not.
    socket
        .set_tcp_nodelay(true)
        .map_err(|err| anyhow!("setsockopt(TCP_NODELAY) failed: {err}"))?;
    trace.say(format_args!(
        "setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)  -> send small echoes at once, no Nagle delay"
    ));

    socket
        .bind(&addr.into())
        .map_err(|err| bind_error(addr, err))?;
    trace.say(format_args!(
        "bind({addr})  -> the socket now owns this address"
    ));

    socket
        .listen(backlog)
        .map_err(|err| anyhow!("listen({backlog}) on {addr} failed: {err}"))?;
    trace.say(format_args!(
        "listen(backlog={backlog})  -> the kernel now completes handshakes and queues connections"
    ));

    socket
        .set_nonblocking(true)
        .map_err(|err| anyhow!("cannot make the listening socket non-blocking: {err}"))?;
    Ok(socket.into())
}

/// One line that says what went wrong and what to do about it.
fn bind_error(addr: SocketAddr, err: io::Error) -> anyhow::Error {
    match err.kind() {
        io::ErrorKind::AddrInUse => anyhow!(
            "cannot listen on {addr}: address already in use (another program is listening there; \
             stop it or choose another port with --listen)"
        ),
        io::ErrorKind::PermissionDenied => anyhow!(
            "cannot listen on {addr}: permission denied (ports below 1024 need root or \
             CAP_NET_BIND_SERVICE; choose a port from 1024 up with --listen)"
        ),
        io::ErrorKind::AddrNotAvailable => anyhow!(
            "cannot listen on {addr}: address not available (no interface of this machine has \
             {}; try 127.0.0.1 or 0.0.0.0)",
            addr.ip()
        ),
        _ => anyhow!("cannot listen on {addr}: {err}"),
    }
}
