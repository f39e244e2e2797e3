//! `tcp-echo bench` against small echo servers run inside the test: one honest, one that
//! corrupts a byte. Checks the report and exit status, never the timings. Each test runs once on
//! each of the load generator's backends (`--io epoll`, `--io uring`).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output};
use std::thread;

/// Starts a thread-per-connection echo server on a free port. `corrupt_at` flips the byte at
/// that offset of every connection's echo.
fn echo_server(corrupt_at: Option<u64>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            thread::spawn(move || echo(conn, corrupt_at));
        }
    });
    addr
}

fn echo(mut conn: TcpStream, corrupt_at: Option<u64>) {
    let _ = conn.set_nodelay(true);
    let mut buf = [0u8; 4096];
    let mut offset = 0u64;
    loop {
        let n = match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if let Some(at) = corrupt_at {
            if (offset..offset + n as u64).contains(&at) {
                buf[(at - offset) as usize] ^= 0x20;
            }
        }
        offset += n as u64;
        if conn.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}

fn bench(addr: SocketAddr, extra: &[&str]) -> (Output, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tcp-echo"))
        .arg("bench")
        .arg("--connect")
        .arg(addr.to_string())
        .args(["--duration", "1s", "--timeout", "10s", "--threads", "2"])
        .args(io_args())
        .args(extra)
        .output()
        .expect("run tcp-echo bench");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "bench panicked:\n{stderr}");
    (out, stdout, stderr)
}

/// `--io BACKEND` for the backend of the running test, nothing outside `on_each_backend!`.
fn io_args() -> Vec<&'static str> {
    common::chosen_backend().map_or(Vec::new(), |backend| vec!["--io", backend])
}

/// The number after `label` in the text report, e.g. `errors       3`.
fn count_after(report: &str, label: &str) -> u64 {
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{report}"));
    line.trim_start()[label.len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"))
}

on_each_backend!(pingpong_against_an_honest_server_reports_and_exits_zero);
fn pingpong_against_an_honest_server_reports_and_exits_zero() {
    let addr = echo_server(None);
    let (out, stdout, stderr) = bench(addr, &["--connections", "4", "--size", "100"]);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.starts_with(&format!(
            "tcp-echo bench: {addr} pingpong, 4 connections, 100-byte messages,"
        )),
        "{stdout}"
    );
    assert!(count_after(&stdout, "messages") > 0, "{stdout}");
    assert!(stdout.contains("msg/s)"), "{stdout}");
    assert!(stdout.contains("MB/s echoed"), "{stdout}");
    for part in ["p50 ", "p99 ", "p99.9 ", "max "] {
        assert!(stdout.contains(part), "no {part:?} in:\n{stdout}");
    }
    assert!(
        stdout.contains("connections  4 of 4 ran clean, 0 failed to connect"),
        "{stdout}"
    );
    assert_eq!(count_after(&stdout, "errors"), 0, "{stdout}");
    assert!(
        stderr.contains("4 of 4 connections established"),
        "{stderr}"
    );
}

on_each_backend!(stream_mode_json_report);
fn stream_mode_json_report() {
    let addr = echo_server(None);
    let (out, stdout, stderr) = bench(addr, &["--mode", "stream", "--size", "1000", "--json"]);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let json = stdout.trim();
    assert!(json.starts_with('{') && json.ends_with('}'), "{json}");
    assert_eq!(json.lines().count(), 1, "{json}");
    for field in [
        "\"mode\":\"stream\"",
        "\"connections\":10",
        "\"size\":1000",
        "\"errors\":0",
        "\"connect_failed\":0",
        "\"clean\":10",
        "\"msgs_per_sec\":",
        "\"latency_us\":{\"p50\":",
    ] {
        assert!(json.contains(field), "no {field} in {json}");
    }
}

on_each_backend!(idle_mode_holds_every_connection);
fn idle_mode_holds_every_connection() {
    let addr = echo_server(None);
    let (out, stdout, stderr) = bench(addr, &["--mode", "idle", "--connections", "50"]);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("connections  50 of 50 held to the end, 0 failed to connect"),
        "{stdout}"
    );
}

on_each_backend!(a_corrupting_server_fails_the_run_with_an_error_count);
fn a_corrupting_server_fails_the_run_with_an_error_count() {
    // Byte 300 of each connection's stream is inside its fifth 64-byte message.
    let addr = echo_server(Some(300));
    let (out, stdout, stderr) = bench(addr, &["--connections", "3"]);
    assert!(
        !out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(count_after(&stdout, "errors"), 3, "{stdout}");
    assert!(
        stdout.contains("echo differs at byte 300: sent"),
        "{stdout}"
    );
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("tcp-echo: 3 echo errors (first: connection "),
        "{stderr}"
    );
}

on_each_backend!(connection_refused_is_one_clear_line);
fn connection_refused_is_one_clear_line() {
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (out, stdout, stderr) = bench(addr, &[]);
    assert!(!out.status.success());
    assert!(stdout.is_empty(), "{stdout}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!(
            "tcp-echo: cannot connect to {addr}: connection refused"
        )),
        "{stderr}"
    );
}

/// Kills the child when the test ends, however it ends.
struct Reaper(std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

on_each_backend!(a_few_hundred_connections_against_tcp_echo_server);
fn a_few_hundred_connections_against_tcp_echo_server() {
    use std::io::BufRead;
    let mut server = Command::new(env!("CARGO_BIN_EXE_tcp-echo"))
        .args(["server", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start tcp-echo server");
    let stdout = server.stdout.take().unwrap();
    let server = Reaper(server);
    let mut first = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .unwrap();
    let addr: SocketAddr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line was {first:?}"))
        .parse()
        .unwrap();

    let (out, stdout, stderr) = bench(addr, &["--connections", "300", "--size", "200"]);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("connections  300 of 300 ran clean, 0 failed to connect"),
        "{stdout}"
    );
    assert_eq!(count_after(&stdout, "errors"), 0, "{stdout}");
    drop(server);
}

#[cfg(unix)]
on_each_backend!(sigterm_ends_the_run_with_the_report);
/// SIGTERM, like Ctrl-C, ends the run early with the report: the handlers are in place before
/// the first connection is made, not whenever the coordinator first yields.
#[cfg(unix)]
fn sigterm_ends_the_run_with_the_report() {
    use std::io::BufRead;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let addr = echo_server(None);
    let mut child = Command::new(env!("CARGO_BIN_EXE_tcp-echo"))
        .args(["bench", "--connect", &addr.to_string()])
        .args(["--duration", "60s", "--connections", "2", "--threads", "1"])
        .args(io_args())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tcp-echo bench");
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("connections established") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "bench ended early"
        );
    }
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "bench ignored SIGTERM");
        thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(status.code().is_some(), "killed by the signal: {status:?}");
    assert!(out.contains("tcp-echo bench:"), "no report: {out:?}");
}

on_each_backend!(a_corrupted_byte_inside_a_stream_write_is_found);
/// In stream mode the echo arrives in pieces of whatever size the kernel hands over; the byte
/// flipped far inside the first 64 KiB write is still found at its exact offset.
fn a_corrupted_byte_inside_a_stream_write_is_found() {
    let addr = echo_server(Some(40_000));
    let (out, stdout, stderr) = bench(
        addr,
        &["--mode", "stream", "--size", "1000", "--connections", "2"],
    );
    assert!(
        !out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(count_after(&stdout, "errors"), 2, "{stdout}");
    assert!(
        stdout.contains("echo differs at byte 40000: sent"),
        "{stdout}"
    );
}

#[test]
fn help_names_both_client_backends() {
    let out = Command::new(env!("CARGO_BIN_EXE_tcp-echo"))
        .args(["bench", "--help"])
        .output()
        .expect("run tcp-echo bench --help");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        help.contains("--io <backend>") && help.contains("uring") && help.contains("epoll"),
        "{help}"
    );
}
