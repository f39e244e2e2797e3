//! Running the real `raw-sniff` binary, with root where capture needs it, and the network
//! namespaces live tests capture in.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_raw-sniff");
/// Only reached when something is broken; loaded CI machines are slow.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Whether a capture test can run. Without root it is skipped with the reason printed;
/// in CI (CI=true) it must run, so missing root is a failure.
pub fn can_capture() -> bool {
    if is_root() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI must run as root: live-capture tests may not be skipped"
    );
    eprintln!("skipped: live capture needs root (run the tests with sudo to include it)");
    false
}

/// Whether a peer program is installed; missing is a skip, except in CI.
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

/// A raw-sniff run in the background; its stderr is watched so a test can wait until the
/// socket is open before making traffic.
pub struct Sniffer {
    child: Option<Child>,
    stderr: mpsc::Receiver<String>,
    stdout: thread::JoinHandle<Vec<u8>>,
    seen_err: Vec<String>,
}

impl Sniffer {
    /// Starts `prefix... raw-sniff args...` and waits for its "reading from" line.
    pub fn start(prefix: &[&str], args: &[&str]) -> Sniffer {
        let mut cmd = if prefix.is_empty() {
            Command::new(BIN)
        } else {
            let mut c = Command::new(prefix[0]);
            c.args(&prefix[1..]).arg(BIN);
            c
        };
        let mut child = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start raw-sniff");
        let mut out = child.stdout.take().unwrap();
        let stdout = thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = out.read_to_end(&mut bytes);
            bytes
        });
        let err = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut sniffer = Sniffer {
            child: Some(child),
            stderr: rx,
            stdout,
            seen_err: Vec::new(),
        };
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match sniffer.stderr.recv_timeout(left) {
                Ok(line) => {
                    let ready = line.starts_with("raw-sniff: reading from");
                    sniffer.seen_err.push(line);
                    if ready {
                        break;
                    }
                }
                Err(_) => {
                    let _ = sniffer.child.as_mut().unwrap().kill();
                    panic!("raw-sniff did not start: {:?}", sniffer.seen_err);
                }
            }
        }
        sniffer
    }

    /// What raw-sniff printed on stderr while starting.
    pub fn startup(&self) -> String {
        self.seen_err.join("\n")
    }

    /// The process id, to signal it.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Sends SIGINT at once, from this process: `kill(1)` would first fork and exec, and the
    /// moment right after the ready line is what some tests are about.
    pub fn interrupt_now(self) -> (ExitStatus, String, String) {
        let pid = libc::pid_t::try_from(self.pid()).unwrap();
        // SAFETY: kill(2) takes plain integers; the child is ours and not yet reaped, so the
        // pid cannot have been reused.
        let rc = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(rc, 0, "kill -INT {pid}");
        self.wait()
    }

    /// Sends SIGINT (as Ctrl-C would) and collects the run's results.
    pub fn interrupt(self) -> (ExitStatus, String, String) {
        let pid = self.child.as_ref().unwrap().id();
        let _ = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
        self.wait()
    }

    /// Waits for the run to end by itself (-c, --duration, end of file).
    pub fn wait(mut self) -> (ExitStatus, String, String) {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("raw-sniff did not stop within {PATIENCE:?}");
            }
            thread::sleep(Duration::from_millis(20));
        };
        let mut err = std::mem::take(&mut self.seen_err);
        while let Ok(line) = self.stderr.recv_timeout(PATIENCE) {
            err.push(line);
        }
        let stdout = std::mem::replace(&mut self.stdout, thread::spawn(Vec::new));
        let out = String::from_utf8_lossy(&stdout.join().unwrap()).into_owned();
        (status, out, err.join("\n"))
    }
}

impl Drop for Sniffer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs a command to completion, bounded in time.
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
            let _ = Command::new("kill")
                .args(["-KILL", &id.to_string()])
                .status();
            panic!("{cmd:?} did not finish within {PATIENCE:?}");
        }
    }
}

/// Two network namespaces joined by a veth pair, deleted when dropped. Addresses are in
/// 10.201.N.0/24, used only inside these namespaces.
pub struct NetPair {
    pub a: String,
    pub b: String,
    pub a_if: String,
    pub b_if: String,
    pub a_addr: String,
    pub b_addr: String,
}

impl NetPair {
    /// `tag` keeps concurrent tests apart; `mtu` lowers the link MTU when given.
    pub fn new(tag: u8, mtu: Option<u32>) -> NetPair {
        let pid = std::process::id() % 100_000;
        let pair = NetPair {
            a: format!("sl{pid}a{tag}"),
            b: format!("sl{pid}b{tag}"),
            a_if: format!("v{pid}a{tag}"),
            b_if: format!("v{pid}b{tag}"),
            a_addr: format!("10.201.{tag}.1"),
            b_addr: format!("10.201.{tag}.2"),
        };
        let ip = |args: &[&str]| {
            let out = run(Command::new("ip").args(args));
            assert!(
                out.status.success(),
                "ip {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        ip(&["netns", "add", &pair.a]);
        ip(&["netns", "add", &pair.b]);
        ip(&[
            "link", "add", &pair.a_if, "type", "veth", "peer", "name", &pair.b_if,
        ]);
        ip(&["link", "set", &pair.a_if, "netns", &pair.a]);
        ip(&["link", "set", &pair.b_if, "netns", &pair.b]);
        for (ns, dev, addr) in [
            (&pair.a, &pair.a_if, &pair.a_addr),
            (&pair.b, &pair.b_if, &pair.b_addr),
        ] {
            // No IPv6 on the link: router and neighbour solicitations would add packets the
            // test did not make.
            let _ = run(Command::new("ip").args([
                "netns",
                "exec",
                ns,
                "sysctl",
                "-qw",
                &format!("net.ipv6.conf.{dev}.disable_ipv6=1"),
            ]));
            ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev]);
            if let Some(mtu) = mtu {
                ip(&["-n", ns, "link", "set", "dev", dev, "mtu", &mtu.to_string()]);
            }
            ip(&["-n", ns, "link", "set", "dev", dev, "up"]);
            ip(&["-n", ns, "link", "set", "dev", "lo", "up"]);
        }
        pair
    }

    /// `ip netns exec NS` as a command prefix.
    pub fn exec_in<'a>(&self, ns: &'a str) -> Vec<&'a str> {
        vec!["ip", "netns", "exec", ns]
    }
}

impl Drop for NetPair {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth end inside it, and with it the pair.
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip")
                .args(["netns", "delete", ns])
                .stderr(Stdio::null())
                .status();
        }
    }
}
