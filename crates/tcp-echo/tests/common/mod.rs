//! Starting the real `tcp-echo` binary. The harness the other binaries' tests share (bounded
//! runs, peers, /proc readers) is the `test-support` crate.
#![allow(dead_code)]

use std::cell::Cell;
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;

use test_support::{lines_of, PATIENCE};

pub const BIN: &str = env!("CARGO_BIN_EXE_tcp-echo");

/// The server's I/O backends (`--io`); every server test runs once on each.
pub const BACKENDS: [&str; 2] = ["epoll", "uring"];

thread_local! {
    /// The backend of the test running on this thread, set by `on_each_backend!`.
    static BACKEND: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Runs `test` with every server it starts on `--io backend`.
pub fn with_backend(backend: &'static str, test: fn()) {
    BACKEND.set(Some(backend));
    test();
}

/// The backend of the running test (`epoll` outside `on_each_backend!`).
pub fn backend() -> &'static str {
    BACKEND.get().unwrap_or("epoll")
}

/// The backend `on_each_backend!` set for the running test, if any.
pub fn chosen_backend() -> Option<&'static str> {
    BACKEND.get()
}

/// A hostile-test case name: as before for epoll, with `/uring` for the io_uring backend.
pub fn case_name(case: &str) -> String {
    match backend() {
        "epoll" => case.to_owned(),
        other => format!("{case}/{other}"),
    }
}

/// `tcp-echo server` arguments with the test's backend: `--io BACKEND` right after `server`;
/// outside `on_each_backend!`, the server chooses its default.
pub fn server_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut args = args.to_vec();
    if let (Some(&"server"), Some(backend)) = (args.first(), BACKEND.get()) {
        args.splice(1..1, ["--io", backend]);
    }
    args
}

/// Makes the test function `$name` run once per backend, as the tests `$name::epoll` and
/// `$name::uring`; every `Server` it starts uses that backend.
#[macro_export]
macro_rules! on_each_backend {
    ($name:ident) => {
        mod $name {
            #[test]
            fn epoll() {
                $crate::common::with_backend("epoll", super::$name);
            }

            #[test]
            fn uring() {
                $crate::common::with_backend("uring", super::$name);
            }
        }
    };
}

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
            .args(server_args(args))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tcp-echo");
        let stdout = lines_of(child.stdout.take().unwrap());
        let stderr = test_support::read_to_string(child.stderr.take().unwrap());
        let first = stdout.recv_timeout(PATIENCE);
        let Ok(first) = first else {
            let _ = child.kill();
            let err = stderr.join().unwrap_or_default();
            panic!("server printed no first line; stderr: {err}");
        };
        Server {
            child: Some(child),
            addr: test_support::listening_address(&first),
            stdout,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Sends a signal by name (INT, TERM) with the system's `kill`.
    pub fn signal(&self, name: &str) {
        test_support::signal(self.pid(), name);
    }

    /// Sends signal `signo` with kill(2) itself, so it arrives within microseconds of the call.
    #[cfg(unix)]
    pub fn signal_now(&self, signo: i32) {
        test_support::signal_now(self.pid(), signo);
    }

    /// Waits for the server to exit by itself and returns its status, stdout after the first
    /// line, and stderr.
    pub fn wait(mut self) -> (ExitStatus, String, String) {
        let mut child = self.child.take().unwrap();
        let Some(status) = test_support::wait_exit(&mut child, PATIENCE) else {
            let _ = child.kill();
            panic!("server did not exit within {PATIENCE:?}");
        };
        let out = test_support::drain_lines(&self.stdout, PATIENCE);
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

/// Random bytes that differ between calls and connections.
pub fn random_bytes(len: usize) -> Vec<u8> {
    use rand::RngCore;
    let mut bytes = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}
