//! Child processes with every wait bounded: pipes read on threads (a full pipe must never block
//! the binary under test), ready lines awaited with a deadline, runs that cannot hang.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::PATIENCE;

/// Lines of a pipe, read on a thread so a test can wait for them with a deadline. The channel
/// closes at the pipe's end of file.
pub fn lines_of(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// All of a pipe as text, read on a thread; join the handle after the process ended.
pub fn read_to_string(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// All of a pipe as bytes, read on a thread; join the handle after the process ended.
pub fn read_to_end(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Reads `lines` until one satisfies `ready`, for at most `limit` in all. `Ok` holds every line
/// read, the ready one last; `Err` the lines read before the deadline or the end of the pipe.
pub fn wait_for_line(
    lines: &mpsc::Receiver<String>,
    limit: Duration,
    mut ready: impl FnMut(&str) -> bool,
) -> Result<Vec<String>, Vec<String>> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                let done = ready(&line);
                seen.push(line);
                if done {
                    return Ok(seen);
                }
            }
            Err(_) => return Err(seen),
        }
    }
}

/// The lines still to come from a process that has exited: reads until the pipe's end, each
/// wait bounded by `limit` (the reader thread may still hold the last lines).
pub fn drain_lines(lines: &mpsc::Receiver<String>, limit: Duration) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(line) = lines.recv_timeout(limit) {
        out.push(line);
    }
    out
}

/// The address in a server's first line, `listening on ADDR`; panics, quoting the line, on
/// anything else.
pub fn listening_address(line: &str) -> SocketAddr {
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line was {line:?}"))
        .parse()
        .expect("address in the first line")
}

/// Waits up to `limit` for `child` to exit, checking every 20 ms. `None` if it is still running:
/// the caller decides whether to kill it and how to fail.
pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Runs a command with stdin closed to completion, bounded by [`PATIENCE`].
pub fn run(cmd: &mut Command) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let id = child.id();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(PATIENCE) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // The child moved to the waiting thread: kill it by pid.
            let _ = Command::new("kill")
                .args(["-KILL", &id.to_string()])
                .status();
            panic!("{cmd:?} did not finish within {PATIENCE:?}");
        }
    }
}

/// Runs a command with `input` on its stdin, bounded by [`PATIENCE`]; returns its status,
/// stdout and stderr.
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> (ExitStatus, Vec<u8>, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start command");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Fed from a thread: a command that writes before it reads must not deadlock the test.
    let feeder = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = read_to_end(child.stdout.take().unwrap());
    let err = read_to_string(child.stderr.take().unwrap());
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{cmd:?} did not finish within {PATIENCE:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    feeder.join().unwrap();
    (status, out.join().unwrap(), err.join().unwrap())
}

/// Waits until `done()` holds, checking every 20 ms, for at most [`PATIENCE`]; whether it held.
pub fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_line_is_found_among_others() {
        let (tx, rx) = mpsc::channel();
        for line in ["starting", "raw-sniff: reading from lo", "later"] {
            tx.send(line.to_owned()).unwrap();
        }
        let seen = wait_for_line(&rx, PATIENCE, |l| l.starts_with("raw-sniff: reading"));
        assert_eq!(
            seen,
            Ok(vec!["starting".into(), "raw-sniff: reading from lo".into()])
        );
        drop(tx);
        assert_eq!(drain_lines(&rx, PATIENCE), vec!["later".to_owned()]);
    }

    #[test]
    fn a_closed_pipe_ends_the_wait_with_what_was_seen() {
        let (tx, rx) = mpsc::channel();
        tx.send("error: no such device".to_owned()).unwrap();
        drop(tx);
        let seen = wait_for_line(&rx, PATIENCE, |l| l.starts_with("listening on "));
        assert_eq!(seen, Err(vec!["error: no such device".into()]));
    }

    #[test]
    fn the_first_line_names_the_address() {
        let addr = listening_address("listening on 127.0.0.1:4321\n");
        assert_eq!(addr, "127.0.0.1:4321".parse().unwrap());
    }

    #[test]
    fn runs_are_bounded_and_fed() {
        let (status, out, _) = run_with_input(&mut Command::new("cat"), b"echoed\n");
        assert!(status.success());
        assert_eq!(out, b"echoed\n");
        let mut sleeper = Command::new("sleep").arg("5").spawn().unwrap();
        assert_eq!(wait_exit(&mut sleeper, Duration::from_millis(50)), None);
        sleeper.kill().unwrap();
        assert!(wait_exit(&mut sleeper, PATIENCE).is_some());
    }
}
