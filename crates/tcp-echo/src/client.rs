//! `tcp-echo client`: the PHP manual's client example as a tool. Interactive like a telnet
//! session, or scripted: send once, check the echo byte for byte, and say so in the exit code.
//!
//! Plain blocking sockets and one extra thread: a client talks to one server, and blocking calls
//! map one to one onto the system calls `--verbose` shows.

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use socket2::{Domain, Protocol, Socket, Type};

use crate::cli::ClientArgs;
use crate::preview::preview;
use crate::trace::{family, Trace};

pub fn run(args: ClientArgs) -> Result<()> {
    let trace = Trace::new(args.verbose);
    let addrs = crate::addr::resolve(&args.connect)?;
    let stream = connect(&addrs, args.timeout, trace)?;

    if let Some(message) = args.message {
        let mut payload = message.into_bytes();
        payload.push(b'\n');
        return verify_echo(stream, &payload, args.timeout, trace);
    }
    let stdin = io::stdin();
    if args.interactive || stdin.is_terminal() {
        return interactive(stream, args.timeout, trace);
    }
    let mut payload = Vec::new();
    stdin
        .lock()
        .read_to_end(&mut payload)
        .context("cannot read stdin")?;
    if payload.is_empty() {
        eprintln!("tcp-echo: stdin was empty: nothing to send");
        return Ok(());
    }
    verify_echo(stream, &payload, args.timeout, trace)
}

/// Tries each resolved address in turn, as getaddrinfo-based clients do.
fn connect(addrs: &[SocketAddr], timeout: Duration, trace: Trace) -> Result<TcpStream> {
    let mut last = None;
    for &addr in addrs {
        match connect_one(addr, timeout, trace) {
            Ok(stream) => return Ok(stream),
            Err(err) => last = Some(err),
        }
    }
    Err(last.unwrap_or_else(|| anyhow!("no address to connect to")))
}

fn connect_one(addr: SocketAddr, timeout: Duration, trace: Trace) -> Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .map_err(|err| anyhow!("socket({}) failed: {err}", family(&addr)))?;
    trace.say(format_args!(
        "socket({}, SOCK_STREAM, IPPROTO_TCP)  -> a new TCP socket",
        family(&addr)
    ));
    trace.say(format_args!(
        "connect({addr})  -> SYN sent, waiting for SYN-ACK ..."
    ));
    socket
        .connect_timeout(&addr.into(), timeout)
        .map_err(|err| connect_error(addr, timeout, err))?;
    let stream: TcpStream = socket.into();
    let _ = stream.set_nodelay(true);
    if let Ok(local) = stream.local_addr() {
        trace.say(format_args!(
            "connected: three-way handshake done; getsockname() -> {local} \
             (the kernel picked local port {} for us)",
            local.port()
        ));
    }
    Ok(stream)
}

fn connect_error(addr: SocketAddr, timeout: Duration, err: io::Error) -> anyhow::Error {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => anyhow!(
            "cannot connect to {addr}: connection refused (nothing listens there; start one with \
             `tcp-echo server --listen {addr}`)"
        ),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => anyhow!(
            "cannot connect to {addr}: no answer within {timeout:?} (a firewall may drop the SYN)"
        ),
        _ => anyhow!("cannot connect to {addr}: {err}"),
    }
}

/// Sends `payload` while reading the echo on this thread, so a payload larger than the socket
/// buffers cannot deadlock, and compares every byte as it comes back.
fn verify_echo(stream: TcpStream, payload: &[u8], timeout: Duration, trace: Trace) -> Result<()> {
    let started = Instant::now();
    let mut reader = stream;
    reader
        .set_read_timeout(Some(timeout))
        .context("cannot set the read timeout")?;
    let mut writer = reader.try_clone().context("cannot clone the socket")?;
    let sent = payload.len();

    let received = thread::scope(|scope| -> Result<usize> {
        let sending = scope.spawn(move || -> io::Result<()> {
            // Several writes for a large payload, so the trace shows how the kernel takes it.
            for piece in payload.chunks(256 * 1024) {
                // Said before the call: the echo may be back before write() returns.
                trace.say(format_args!("write({} bytes)", piece.len()));
                writer.write_all(piece)?;
            }
            Ok(())
        });
        let received = read_echo(&mut reader, payload, timeout, trace);
        let wrote = sending
            .join()
            .map_err(|_| anyhow!("the sending thread panicked"))?;
        let received = received?;
        wrote.context("sending failed")?;
        Ok(received)
    })?;
    debug_assert_eq!(received, sent);

    // Our FIN tells the server we are done; an echo server answers with its own.
    reader.shutdown(Shutdown::Write).ok();
    trace.say(format_args!(
        "shutdown(SHUT_WR)  -> FIN sent: nothing more from us"
    ));
    check_nothing_more(&mut reader, timeout.min(Duration::from_secs(1)), trace)?;
    trace.say(format_args!("close()"));
    eprintln!(
        "tcp-echo: {sent} bytes sent, {received} echoed back identical in {:.2} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

/// Reads until every sent byte is back, printing it and failing at the first difference.
fn read_echo(
    reader: &mut TcpStream,
    expected: &[u8],
    timeout: Duration,
    trace: Trace,
) -> Result<usize> {
    let mut out = io::stdout().lock();
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0;
    while got < expected.len() {
        let want = (expected.len() - got).min(buf.len());
        let n = match reader.read(&mut buf[..want]) {
            Ok(0) => bail!(
                "the server closed the connection after echoing {got} of {} bytes",
                expected.len()
            ),
            Ok(n) => n,
            Err(err) if is_timeout(&err) => bail!(
                "no echo for {timeout:?}: got {got} of {} bytes back",
                expected.len()
            ),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => bail!("read() failed after {got} bytes: {err}"),
        };
        trace.say(format_args!("read() = {n} bytes"));
        let want = &expected[got..got + n];
        if let Some(i) = want.iter().zip(&buf[..n]).position(|(a, b)| a != b) {
            // What the server said instead, from the first difference: often a greeting or an
            // error message, which tells a learner more than one byte does.
            let mut instead = buf[i..n].to_vec();
            read_a_little_more(reader, &mut instead);
            bail!(
                "echo mismatch at byte {}: sent 0x{:02x}, got 0x{:02x}; from there the server \
                 sent {} instead of {}",
                got + i,
                want[i],
                buf[i],
                preview(&instead),
                preview(&expected[got + i..]),
            );
        }
        out.write_all(&buf[..n]).context("cannot write to stdout")?;
        got += n;
    }
    out.flush().context("cannot write to stdout")?;
    Ok(got)
}

/// Waits briefly for the rest of a short answer (a greeting may come in pieces), so the error
/// can show a whole line; best effort, since the answer is shown either way.
fn read_a_little_more(reader: &mut TcpStream, instead: &mut Vec<u8>) {
    const ENOUGH: usize = 120;
    reader
        .set_read_timeout(Some(Duration::from_millis(200)))
        .ok();
    let mut buf = [0u8; ENOUGH];
    while instead.len() < ENOUGH {
        match reader.read(&mut buf[..ENOUGH - instead.len()]) {
            Ok(0) | Err(_) => return,
            Ok(n) => instead.extend_from_slice(&buf[..n]),
        }
    }
}

/// After the full echo, anything more from the server means it was not an echo.
fn check_nothing_more(reader: &mut TcpStream, wait: Duration, trace: Trace) -> Result<()> {
    reader.set_read_timeout(Some(wait)).ok();
    let mut buf = [0u8; 1024];
    match reader.read(&mut buf) {
        Ok(0) => {
            trace.say(format_args!(
                "read() = 0  -> the server closed its side too"
            ));
            Ok(())
        }
        Ok(n) => bail!("the server sent {n} bytes more than were sent to it: not an echo"),
        // Some echo servers keep the connection open after our FIN; that is not a failure.
        Err(_) => Ok(()),
    }
}

/// Like a telnet session: stdin lines go out, whatever arrives is printed as it comes.
fn interactive(stream: TcpStream, timeout: Duration, trace: Trace) -> Result<()> {
    let mut writer = stream.try_clone().context("cannot clone the socket")?;
    let mut reader = stream;
    if io::stdin().is_terminal() {
        eprintln!(
            "connected to {}; type lines to send, Ctrl-D to finish",
            peer_name(&reader)
        );
    }

    let (closed_tx, closed_rx) = mpsc::channel();
    thread::spawn(move || {
        let result = print_incoming(&mut reader, trace);
        let _ = closed_tx.send(result);
    });

    let mut stdin = io::stdin().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        if stdin
            .read_until(b'\n', &mut line)
            .context("cannot read stdin")?
            == 0
        {
            break;
        }
        // Stop sending if the server has already gone, and say why.
        if let Ok(result) = closed_rx.try_recv() {
            return result;
        }
        writer
            .write_all(&line)
            .context("write() to the server failed")?;
        trace.say(format_args!("write({} bytes)", line.len()));
    }
    writer.shutdown(Shutdown::Write).ok();
    trace.say(format_args!("stdin ended: shutdown(SHUT_WR)  -> FIN sent"));
    match closed_rx.recv_timeout(timeout) {
        Ok(result) => result,
        Err(_) => {
            eprintln!(
                "tcp-echo: the server kept the connection open {timeout:?} after our FIN; closing"
            );
            Ok(())
        }
    }
}

fn print_incoming(reader: &mut TcpStream, trace: Trace) -> Result<()> {
    let mut out = io::stdout();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => {
                trace.say(format_args!(
                    "read() = 0  -> the server closed the connection"
                ));
                eprintln!("tcp-echo: connection closed by the server");
                return Ok(());
            }
            Ok(n) => {
                trace.say(format_args!("read() = {n} bytes"));
                out.write_all(&buf[..n]).context("cannot write to stdout")?;
                out.flush().context("cannot write to stdout")?;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => bail!("read() from the server failed: {err}"),
        }
    }
}

fn peer_name(stream: &TcpStream) -> String {
    stream
        .peer_addr()
        .map_or_else(|_| "the server".to_owned(), |addr| addr.to_string())
}

fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
