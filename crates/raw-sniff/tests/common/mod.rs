//! Running the real `raw-sniff` binary, with root where capture needs it, and the network
//! namespaces live tests capture in. The harness the other binaries' tests share (bounded runs,
//! peers, signals) is the `test-support` crate.
#![allow(dead_code)]

use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use test_support::{
    drain_lines, is_root, lines_of, read_to_end, run, wait_exit, wait_for_line, PATIENCE,
};

pub const BIN: &str = env!("CARGO_BIN_EXE_raw-sniff");

/// Whether a capture test can run. Without root it is skipped with the reason printed;
/// in CI (CI=true) it must run, so missing root is a failure.
pub fn can_capture() -> bool {
    if is_root() {
        return true;
    }
    test_support::skip(
        "live capture needs root (run the tests with sudo to include it)",
        "CI must run as root: live-capture tests may not be skipped",
    );
    false
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
        Sniffer::start_within(prefix, args, PATIENCE)
    }

    /// [`Sniffer::start`], waiting up to `patience` for raw-sniff to start: for a start that
    /// does real work first, such as compiling a filter of thousands of instructions in a debug
    /// build on a busy machine.
    pub fn start_within(prefix: &[&str], args: &[&str], patience: Duration) -> Sniffer {
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
        let stdout = read_to_end(child.stdout.take().unwrap());
        let stderr = lines_of(child.stderr.take().unwrap());
        let seen_err = match wait_for_line(&stderr, patience, |line| {
            line.starts_with("raw-sniff: reading from")
        }) {
            Ok(seen) => seen,
            Err(seen) => {
                let _ = child.kill();
                panic!("raw-sniff did not start: {seen:?}");
            }
        };
        Sniffer {
            child: Some(child),
            stderr,
            stdout,
            seen_err,
        }
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
        test_support::signal_now(self.pid(), libc::SIGINT);
        self.wait()
    }

    /// Sends SIGINT (as Ctrl-C would) and collects the run's results.
    pub fn interrupt(self) -> (ExitStatus, String, String) {
        let _ = Command::new("kill")
            .args(["-INT", &self.pid().to_string()])
            .status();
        self.wait()
    }

    /// Waits for the run to end by itself (-c, --duration, end of file).
    pub fn wait(mut self) -> (ExitStatus, String, String) {
        let mut child = self.child.take().unwrap();
        let Some(status) = wait_exit(&mut child, PATIENCE) else {
            let _ = child.kill();
            panic!("raw-sniff did not stop within {PATIENCE:?}");
        };
        let mut err = std::mem::take(&mut self.seen_err);
        err.extend(drain_lines(&self.stderr, PATIENCE));
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
