//! Readiness and signals: once `listening on ADDR` is printed, SIGTERM and SIGINT must already
//! lead to the graceful shutdown (exit 0 and its message), never to death by the signal.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts ws-chat with its stdout fed to a shell that sends `signal` the instant the first line
/// (`listening on ADDR`) arrives: the shell's `read` returns on the newline and `kill` is a
/// builtin, so the signal lands microseconds after readiness is announced, which a test process
/// reading the pipe and spawning `kill` could not do. Returns the exit status and stderr.
fn signal_on_ready(signal: &str) -> (std::process::ExitStatus, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_ws-chat"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ws-chat");
    let pid = server.id();
    let mut shell = Command::new("sh")
        .args([
            "-c",
            &format!("read line && kill -{signal} {pid}; cat >/dev/null"),
        ])
        .stdin(server.stdout.take().expect("stdout"))
        .spawn()
        .expect("start sh");
    let mut stderr = String::new();
    let mut pipe = server.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let _ = pipe.read_to_string(&mut stderr);
        stderr
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = server.kill();
            panic!("ws-chat did not exit after SIG{signal}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = shell.wait();
    (status, reader.join().unwrap())
}

#[test]
fn a_signal_the_instant_ready_is_announced_shuts_down_gracefully() {
    let rounds = if std::env::var("SOCKLAB_HOSTILE").as_deref() == Ok("full") {
        200
    } else {
        40
    };
    for round in 0..rounds {
        let signal = if round % 2 == 0 { "TERM" } else { "INT" };
        let (status, stderr) = signal_on_ready(signal);
        assert!(
            status.success() && stderr.contains("shutting down"),
            "round {round}, SIG{signal}: {status}, stderr {stderr:?}"
        );
    }
}
