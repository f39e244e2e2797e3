//! Starting the real `tcp-echo` binary and the real peers the tests talk to.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_tcp-echo");

/// Long enough for a loaded CI machine; only reached when something is broken.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A running `tcp-echo server`, killed if the test ends without stopping it.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    stdout: mpsc::Receiver<String>,
    stderr: thread::JoinHandle<String>,
}

impl Server {
    /// Starts `tcp-echo server --listen 127.0.0.1:0 EXTRA...` and waits for `listening on`.
    pub fn start(extra: &[&str]) -> Server {
        let mut args = vec!["server", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        Server::start_with(&args)
    }

    pub fn start_with(args: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tcp-echo");
        let stdout = lines_of(child.stdout.take().unwrap());
        let mut err_pipe = child.stderr.take().unwrap();
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = err_pipe.read_to_string(&mut text);
            text
        });
        let first = stdout.recv_timeout(PATIENCE);
        let Ok(first) = first else {
            let _ = child.kill();
            let err = stderr.join().unwrap_or_default();
            panic!("server printed no first line; stderr: {err}");
        };
        let addr = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line was {first:?}"))
            .parse()
            .expect("address in the first line");
        Server {
            child: Some(child),
            addr,
            stdout,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Sends a signal by name (INT, TERM) with the system's `kill`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Sends signal `signo` with kill(2) itself, so it arrives within microseconds of the call.
    #[cfg(unix)]
    pub fn signal_now(&self, signo: i32) {
        let pid = libc::pid_t::try_from(self.pid()).expect("pid fits pid_t");
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        let rc = unsafe { libc::kill(pid, signo) };
        assert_eq!(rc, 0, "kill({pid}, {signo}) failed");
    }

    /// Waits for the server to exit by itself and returns its status, stdout after the first
    /// line, and stderr.
    pub fn wait(mut self) -> (ExitStatus, String, String) {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("server did not exit within {PATIENCE:?}");
            }
            thread::sleep(Duration::from_millis(20));
        };
        // The reader thread may still hold the last lines: read until it sees end of file.
        let mut out = Vec::new();
        while let Ok(line) = self.stdout.recv_timeout(PATIENCE) {
            out.push(line);
        }
        let stderr = std::mem::replace(&mut self.stderr, thread::spawn(String::new));
        (status, out.join("\n"), stderr.join().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Lines of a pipe, read on a thread so a test can wait for them with a deadline.
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

/// Whether a peer program is installed. Missing peers skip a test with a reason, except in CI,
/// where the test command installs them and a missing one is a failure.
pub fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{program} is not installed, and CI must run every test (scripts/test.sh installs it)"
        );
        eprintln!("skipped: {program} is not installed (scripts/test.sh installs it)");
    }
    found
}

/// Runs a command with stdin bytes, bounded in time; returns status, stdout, stderr.
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> (ExitStatus, Vec<u8>, String) {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start command");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = out_pipe.read_to_end(&mut bytes);
        bytes
    });
    let err = thread::spawn(move || {
        let mut text = String::new();
        let _ = err_pipe.read_to_string(&mut text);
        text
    });
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

/// A port that was free a moment ago, for peers that cannot be told to pick one themselves.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `addr`.
pub fn wait_for_listener(addr: SocketAddr) {
    let deadline = Instant::now() + PATIENCE;
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "nothing listened on {addr}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Random bytes that differ between calls and connections.
pub fn random_bytes(len: usize) -> Vec<u8> {
    use rand::RngCore;
    let mut bytes = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

// ---- The hostile-client suite's measurements and report line ----

/// Whether hostile tests run at the full size (`SOCKLAB_HOSTILE=full`) or small.
pub fn hostile_full() -> bool {
    std::env::var("SOCKLAB_HOSTILE").as_deref() == Ok("full")
}

/// `small` by default, `full` when `SOCKLAB_HOSTILE=full`.
pub fn hostile_scale(small: usize, full: usize) -> usize {
    if hostile_full() {
        full
    } else {
        small
    }
}

/// The one line per hostile case that `scripts/bench-hostile.sh` tabulates.
pub fn hostile_report(
    case: &str,
    peak_rss_mib: f64,
    cpu_s: f64,
    others_served: Option<bool>,
    pass: bool,
    note: &str,
) {
    let others = match others_served {
        Some(true) => "yes",
        Some(false) => "no",
        None => "n/a",
    };
    let verdict = if pass { "pass" } else { "FAIL" };
    let note = note.replace(['\n', '\r'], " ");
    println!(
        "hostile: case={case} peak_rss_mib={peak_rss_mib:.1} cpu_s={cpu_s:.2} \
         others_served={others} verdict={verdict} note={note}"
    );
}

/// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`).
fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim_start_matches(':')
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Resident memory now, in KiB.
pub fn proc_rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmRSS")
}

/// The most resident memory the process has ever had, in KiB.
pub fn proc_hwm_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmHWM")
}

/// CPU time used so far (user + system), from `/proc/PID/stat`.
pub fn proc_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: count fields after the last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After `)`: state is field 3 of the man page, so utime (14) and stime (15) sit at 11, 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / clock_ticks_per_second())
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf takes an integer and touches no memory of ours.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// TCP connections the process holds open, listening sockets not counted: its socket inodes
/// (`/proc/PID/fd`) that `/proc/net/tcp` or `tcp6` lists in a state other than LISTEN.
pub fn proc_tcp_connections(pid: u32) -> usize {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    let inodes: std::collections::HashSet<String> = dir
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let target = std::fs::read_link(entry.path()).ok()?;
            let target = target.to_string_lossy();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_owned(),
            )
        })
        .collect();
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .map(|table| {
            table
                .lines()
                .skip(1)
                .filter(|row| {
                    let fields: Vec<&str> = row.split_whitespace().collect();
                    // Field 3 is the state (0A is LISTEN), field 9 the inode.
                    fields.len() > 9 && fields[3] != "0A" && inodes.contains(fields[9])
                })
                .count()
        })
        .sum()
}

/// Pages of kernel memory held by every TCP socket of the host (`/proc/net/sockstat`, `TCP: …
/// mem N`). Host-wide: other programs' sockets count too, so it is reported, never asserted.
pub fn tcp_mem_pages() -> Option<u64> {
    let sockstat = std::fs::read_to_string("/proc/net/sockstat").ok()?;
    let tcp = sockstat.lines().find(|l| l.starts_with("TCP:"))?;
    let mut words = tcp.split_whitespace();
    while let Some(word) = words.next() {
        if word == "mem" {
            return words.next()?.parse().ok();
        }
    }
    None
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
