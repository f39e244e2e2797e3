//! How `tcp-echo server` starts, refuses, times out and stops.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use common::{server_args, Server, BIN};
use test_support::{run_with_input, PATIENCE};

fn run_server_expecting_failure(args: &[&str]) -> String {
    let (status, out, err) = run_with_input(Command::new(BIN).args(server_args(args)), b"");
    assert!(
        !status.success(),
        "server should have failed; stdout: {out:?}"
    );
    assert_eq!(err.lines().count(), 1, "one line of error, got: {err}");
    err
}

on_each_backend!(address_in_use_is_one_clear_line);
fn address_in_use_is_one_clear_line() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = run_server_expecting_failure(&["server", "--listen", &addr]);
    assert!(err.contains("address already in use"), "{err}");
    assert!(err.contains(&addr), "{err}");
}

on_each_backend!(bad_address_syntax_is_one_clear_line);
fn bad_address_syntax_is_one_clear_line() {
    let err = run_server_expecting_failure(&["server", "--listen", "127.0.0.1"]);
    assert!(err.contains("expected IP:PORT"), "{err}");
    let err = run_server_expecting_failure(&["server", "--listen", "1.2.3.4.5:80"]);
    assert!(err.contains("1.2.3.4.5"), "{err}");
}

#[test]
fn low_port_without_privilege_says_how_to_fix_it() {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let unprivileged_start =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
            .ok()
            .and_then(|s| s.trim().parse::<u16>().ok())
            .unwrap_or(1024);
    if unprivileged_start == 0 {
        eprintln!("skipped: this kernel lets anyone bind low ports");
        return;
    }
    let args = ["server", "--listen", "127.0.0.1:1"];
    let (status, _, err) = if is_root {
        // As root, drop to nobody for this one run, the way the recipes do.
        run_with_input(
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
                .args(args),
            b"",
        )
    } else {
        run_with_input(Command::new(BIN).args(args), b"")
    };
    assert!(!status.success());
    assert!(err.contains("permission denied"), "{err}");
    assert!(err.contains("CAP_NET_BIND_SERVICE"), "{err}");
}

on_each_backend!(sigint_stops_with_a_summary_and_exit_zero);
fn sigint_stops_with_a_summary_and_exit_zero() {
    let server = Server::start(&[]);
    for _ in 0..3 {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.write_all(b"0123456789").unwrap();
        let mut back = [0u8; 10];
        s.read_exact(&mut back).unwrap();
    }
    server.signal("INT");
    let (status, out, err) = server.wait();
    assert!(status.success(), "exit {status:?}; stderr {err}");
    assert!(
        out.contains("summary: 3 connections served, 30 bytes echoed"),
        "stdout: {out}"
    );
    assert!(err.contains("SIGINT"), "{err}");
}

on_each_backend!(sigterm_closes_open_connections_and_exits_zero);
fn sigterm_closes_open_connections_and_exits_zero() {
    let server = Server::start(&[]);
    let mut idle = TcpStream::connect(server.addr).unwrap();
    idle.write_all(b"ping").unwrap();
    let mut back = [0u8; 4];
    idle.read_exact(&mut back).unwrap();
    server.signal("TERM");
    // The open connection is closed by the server: end of stream, not a hang.
    idle.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut rest = Vec::new();
    idle.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    let (status, out, _) = server.wait();
    assert!(status.success());
    assert!(
        out.contains("summary: 1 connection served, 4 bytes echoed"),
        "{out}"
    );
}

#[cfg(unix)]
on_each_backend!(a_signal_the_moment_it_is_ready_still_gives_a_summary);
/// `listening on` is a promise that Ctrl-C and SIGTERM are heard: a signal sent the instant the
/// line is read must still end in the summary and exit 0, never in death by the default action.
#[cfg(unix)]
fn a_signal_the_moment_it_is_ready_still_gives_a_summary() {
    for round in 0..30 {
        let (signo, name) = if round % 2 == 0 {
            (libc::SIGTERM, "SIGTERM")
        } else {
            (libc::SIGINT, "SIGINT")
        };
        let server = Server::start(&[]);
        server.signal_now(signo);
        let (status, out, err) = server.wait();
        assert!(
            status.success(),
            "round {round}: {name} right after `listening on` gave {status:?}; stderr: {err}"
        );
        assert!(
            out.contains("summary: 0 connections served"),
            "round {round}: stdout {out:?}"
        );
        assert!(err.contains(name), "round {round}: stderr {err:?}");
    }
}

on_each_backend!(max_conns_accepts_and_closes_the_excess);
fn max_conns_accepts_and_closes_the_excess() {
    let server = Server::start(&["--max-conns", "2"]);
    let mut held = Vec::new();
    for i in 0..2u8 {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.write_all(&[i]).unwrap();
        let mut back = [0u8; 1];
        s.read_exact(&mut back).unwrap();
        held.push(s);
    }
    let mut third = TcpStream::connect(server.addr).unwrap();
    third.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut rest = Vec::new();
    // Closed at once, before anything was sent: end of stream (or a reset), no echo.
    let _ = third.read_to_end(&mut rest);
    assert!(rest.is_empty());

    // Closing one makes room again.
    drop(held.pop());
    let mut fourth = None;
    for _ in 0..50 {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        let _ = s.write_all(b"x");
        let mut back = [0u8; 1];
        if s.read_exact(&mut back).is_ok() {
            fourth = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(fourth.is_some(), "no room after a connection closed");

    server.signal("INT");
    let (status, out, err) = server.wait();
    assert!(status.success());
    assert!(
        err.contains("connections already open (--max-conns)"),
        "{err}"
    );
    assert!(out.contains("refused (--max-conns)"), "{out}");
}

on_each_backend!(idle_timeout_closes_silent_connections);
fn idle_timeout_closes_silent_connections() {
    let server = Server::start(&["--idle-timeout", "300ms", "--verbose"]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    server.signal("INT");
    let (_, _, err) = server.wait();
    assert!(err.contains("idle for 300ms"), "{err}");
}

on_each_backend!(verbose_shows_the_socket_calls_in_order);
fn verbose_shows_the_socket_calls_in_order() {
    let server = Server::start(&["--verbose"]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(b"abc").unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    s.read_to_end(&mut back).unwrap();
    server.signal("INT");
    let (_, _, err) = server.wait();
    let setup = [
        "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)",
        "setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)",
        "bind(127.0.0.1:0)",
        "listen(backlog=1024)",
    ];
    // The io_uring backend names the operations it submits instead of the socket calls.
    let echo = match common::backend() {
        "uring" => [
            "IORING_OP_ACCEPT (multishot) ->",
            "IORING_OP_RECV (multishot) → 3 bytes",
            "IORING_OP_SEND(3 bytes) done",
            "IORING_OP_RECV (multishot) → 0: the client closed its side",
        ],
        _ => [
            "accept() ->",
            "read() = 3 bytes",
            "write(3 bytes)",
            "read() returned 0",
        ],
    };
    let mut at = 0;
    for step in setup.iter().chain(&echo) {
        let found = err[at..].find(step);
        assert!(
            found.is_some(),
            "{step:?} missing or out of order in:\n{err}"
        );
        at += found.unwrap();
    }
}

/// Each backend's run of the test below holds 10,000 client sockets in this one test process;
/// run at once, the two would pass the open-file limit (20,000 here), so they take turns.
#[cfg(unix)]
static TEN_THOUSAND_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(unix)]
on_each_backend!(holds_ten_thousand_connections);
#[cfg(unix)]
fn holds_ten_thousand_connections() {
    const N: usize = 10_000;
    let _turn = TEN_THOUSAND_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap();
    if hard < N as u64 + 100 {
        eprintln!("skipped: the open-file hard limit ({hard}) is below {N} connections");
        return;
    }
    if soft < hard {
        rlimit::Resource::NOFILE.set(hard, hard).unwrap();
    }
    let server = Server::start(&[]);
    let mut streams = Vec::with_capacity(N);
    for _ in 0..N {
        streams.push(TcpStream::connect(server.addr).unwrap());
    }
    // With all of them open, the first and the last still echo.
    for i in [0, N / 2] {
        let s = &mut streams[i];
        s.write_all(b"still here").unwrap();
        let mut back = [0u8; 10];
        s.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"still here");
    }
    let last = streams.last_mut().unwrap();
    last.write_all(b"last").unwrap();
    let mut back = [0u8; 4];
    last.read_exact(&mut back).unwrap();
    drop(streams);
    server.signal("INT");
    let (status, out, _) = server.wait();
    assert!(status.success());
    assert!(
        out.contains(&format!("summary: {N} connections served")),
        "{out}"
    );
}

/// Without `--io` the server runs on io_uring where the kernel allows it; elsewhere one line of
/// stderr says why not, and epoll serves.
#[test]
fn the_default_backend_is_io_uring_or_one_line_says_why_not() {
    let server = Server::start(&["--verbose"]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(b"x").unwrap();
    let mut back = [0u8; 1];
    s.read_exact(&mut back).unwrap();
    drop(s);
    server.signal("INT");
    let (status, _, err) = server.wait();
    assert!(status.success(), "exit {status:?}; stderr {err}");
    let why_not: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("io_uring unavailable: "))
        .collect();
    if why_not.is_empty() {
        assert!(err.contains("IORING_OP_ACCEPT (multishot) ->"), "{err}");
    } else {
        eprintln!("this kernel has no io_uring backend: {}", why_not[0]);
        assert_eq!(why_not.len(), 1, "{err}");
        assert!(why_not[0].ends_with("; using epoll"), "{err}");
        assert!(err.contains("accept() ->"), "{err}");
    }
}

on_each_backend!(drain_timeout_closes_a_connection_whose_echo_cannot_finish);
/// A client that sends and never reads keeps its echo from finishing: on Ctrl-C the server gives
/// it `--drain-timeout`, then closes it, says so, and still exits 0 with the summary.
fn drain_timeout_closes_a_connection_whose_echo_cannot_finish() {
    let server = Server::start(&["--drain-timeout", "300ms"]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_nonblocking(true).unwrap();
    // Until both ends' buffers are full and the server has stopped reading; bounded in count.
    let chunk = [b'z'; 64 * 1024];
    let mut stuck_for = 0;
    for _ in 0..100_000 {
        match s.write(&chunk) {
            Ok(_) => stuck_for = 0,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                stuck_for += 1;
                if stuck_for == 20 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(err) => panic!("write: {err}"),
        }
    }
    assert_eq!(stuck_for, 20, "the server never stopped taking bytes");
    server.signal("INT");
    let (status, out, err) = server.wait();
    assert!(status.success(), "exit {status:?}; stderr {err}");
    assert!(
        err.contains("drain timeout (300ms) passed with 1 connection(s) still busy"),
        "{err}"
    );
    assert!(out.contains("summary: 1 connection served"), "{out}");
}
