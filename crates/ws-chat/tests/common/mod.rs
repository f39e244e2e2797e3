//! Start the real binary on port 0, and a small blocking client built from the `websocket`
//! crate's codec so tests can send exactly the bytes they mean, hostile or not. The harness the
//! other binaries' tests share (/proc readers, hostile reports, skips) is `test-support`.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use websocket::frame::RSV1;
use websocket::handshake::{check_response, client_request, Response};
use websocket::{encode_frame, Decoder, DecoderConfig, Frame, FrameHeader, MaskRule, OpCode};

/// Upper bound for any single wait, so a broken server fails a test instead of hanging it.
pub const WAIT: Duration = Duration::from_secs(10);

/// A running `ws-chat` child, killed on drop.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ws-chat"))
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ws-chat");
        let stdout = test_support::lines_of(child.stdout.take().expect("stdout"));
        let Ok(first) = stdout.recv_timeout(WAIT) else {
            let _ = child.kill();
            panic!("ws-chat printed no first line");
        };
        let addr = test_support::listening_address(&first);
        // Keep reading so a verbose server never blocks on a full pipe.
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in stdout {
                sink.lock().unwrap().push(line);
            }
        });
        Server { child, addr, lines }
    }

    /// Lines printed on stdout after the first.
    pub fn output(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`TERM`, `INT`) and waits (bounded) for the exit status.
    pub fn signal(&mut self, signal: &str) -> ExitStatus {
        test_support::signal(self.child.id(), signal);
        test_support::wait_exit(&mut self.child, WAIT * 2)
            .unwrap_or_else(|| panic!("server did not exit after SIG{signal}"))
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }

    /// Resident memory now, in KiB; 0 if it cannot be read.
    pub fn rss_kib(&self) -> u64 {
        test_support::proc_rss_kib(self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Opens a TCP connection with read and write timeouts.
pub fn tcp(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.set_write_timeout(Some(WAIT)).unwrap();
    stream
}

/// Opens a TCP connection from source address `from` (any of 127.0.0.0/8 on loopback), so a test
/// can play peers at distinct addresses. std cannot bind before connecting; tokio's socket can.
pub fn tcp_from(from: std::net::IpAddr, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(from, 0))?;
        socket.connect(addr).await?.into_std()
    })?;
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(WAIT))?;
    stream.set_write_timeout(Some(WAIT))?;
    Ok(stream)
}

/// Sends a raw HTTP request and returns the whole response (the server closes after it).
pub fn http(addr: SocketAddr, request: &str) -> String {
    let mut stream = tcp(addr);
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A blocking WebSocket client that sends whatever frames a test builds.
pub struct Client {
    pub stream: TcpStream,
    decoder: Decoder,
    pending: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr, path: &str) -> Client {
        Client::connect_offering(addr, path, None).0
    }

    /// Connects offering `extensions` (a `Sec-WebSocket-Extensions` value); returns the client
    /// and whether the server accepted an extension. Frames with RSV1 are then accepted too.
    pub fn connect_offering(
        addr: SocketAddr,
        path: &str,
        extensions: Option<&str>,
    ) -> (Client, bool) {
        Client::handshake_offering(tcp(addr), addr, path, extensions)
            .unwrap_or_else(|err| panic!("{err}"))
    }

    /// Opens `path` over an already connected `stream`; `Err` says what the server answered
    /// instead of a valid 101.
    pub fn handshake(stream: TcpStream, addr: SocketAddr, path: &str) -> Result<Client, String> {
        Client::handshake_offering(stream, addr, path, None).map(|(client, _)| client)
    }

    /// [`Client::handshake`] offering `extensions`; also says whether the server accepted one.
    pub fn handshake_offering(
        mut stream: TcpStream,
        addr: SocketAddr,
        path: &str,
        extensions: Option<&str>,
    ) -> Result<(Client, bool), String> {
        let nonce: [u8; 16] = rand::random();
        let (request, key) = client_request(&addr.to_string(), path, nonce, extensions);
        stream
            .write_all(&request)
            .map_err(|e| format!("send request: {e}"))?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        let (response, n) = loop {
            let n = stream
                .read(&mut chunk)
                .map_err(|e| format!("read handshake: {e}"))?;
            if n == 0 {
                return Err(format!(
                    "closed during handshake: {}",
                    String::from_utf8_lossy(&buf)
                ));
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(found) = Response::parse(&buf).map_err(|e| e.to_string())? {
                break found;
            }
        };
        let offered: Vec<&str> = extensions
            .map(|e| {
                e.split(',')
                    .filter_map(|o| o.split(';').next())
                    .map(str::trim)
                    .collect()
            })
            .unwrap_or_default();
        let accepted = !check_response(&response, &key, &offered)
            .map_err(|e| {
                format!(
                    "{e}: {}",
                    String::from_utf8_lossy(&buf).lines().last().unwrap_or("")
                )
            })?
            .is_empty();
        let config = DecoderConfig {
            mask: MaskRule::Forbidden,
            allowed_rsv: if accepted { RSV1 } else { 0 },
            max_frame_size: 1 << 30,
        };
        let client = Client {
            stream,
            decoder: Decoder::new(config),
            pending: buf[n..].to_vec(),
        };
        Ok((client, accepted))
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        // The server may already have closed on an earlier frame: that is for the test to judge.
        let _ = self.stream.write_all(bytes);
    }

    /// Sends one masked frame.
    pub fn send(&mut self, opcode: OpCode, fin: bool, payload: &[u8]) {
        self.send_raw(&frame_bytes(opcode, fin, payload));
    }

    /// The next frame from the server, or `None` once it closed the TCP connection.
    pub fn recv(&mut self) -> Option<Frame> {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let mut input = &self.pending[..];
            let frame = self
                .decoder
                .decode(&mut input)
                .expect("server frames are valid");
            let used = self.pending.len() - input.len();
            self.pending.drain(..used);
            if let Some(frame) = frame {
                return Some(frame);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    /// Reads past data frames to the server's close frame and returns its code.
    pub fn expect_close(&mut self) -> u16 {
        loop {
            let frame = self
                .recv()
                .expect("a close frame before the connection ends");
            if frame.header.opcode == OpCode::Close {
                assert!(frame.payload.len() >= 2, "close frame carries a code");
                return u16::from_be_bytes([frame.payload[0], frame.payload[1]]);
            }
        }
    }

    /// Reads the next data frame's payload as text.
    pub fn recv_text(&mut self) -> String {
        let frame = self.recv().expect("a frame");
        assert_eq!(frame.header.opcode, OpCode::Text, "{frame:?}");
        String::from_utf8(frame.payload).unwrap()
    }
}

/// A masked frame as a client sends it.
pub fn frame_bytes(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut header = FrameHeader::new(opcode, payload.len() as u64);
    header.fin = fin;
    header.mask = Some(rand::random());
    let mut out = Vec::new();
    encode_frame(&mut out, &header, payload);
    out
}

/// A masked frame with RSV1 set: the first frame of a permessage-deflate message (RFC 7692).
pub fn compressed_frame_bytes(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut header = FrameHeader::new(opcode, payload.len() as u64);
    header.fin = fin;
    header.rsv1 = true;
    header.mask = Some(rand::random());
    let mut out = Vec::new();
    encode_frame(&mut out, &header, payload);
    out
}

/// Where the Python interpreter with `websockets` is, or why the test cannot run. Under CI the
/// absence is a failure, not a skip: CI installs it.
pub fn python() -> Option<String> {
    match std::env::var("SOCKLAB_PYTHON") {
        Ok(path) if !path.is_empty() => Some(path),
        _ => {
            let reason =
                "SOCKLAB_PYTHON is not set (scripts/test.sh sets it to a venv with websockets)";
            test_support::skip(reason, reason);
            None
        }
    }
}

/// Whether Debian's `chromium` is on PATH. Without it the caller skips and says why, except
/// under CI, where scripts/test.sh installs it and its absence is a failure.
pub fn chromium() -> bool {
    let on_path = test_support::on_path("chromium");
    if !on_path {
        test_support::skip(
            "chromium is not installed (apt-get install chromium)",
            "chromium is not installed, and CI must run every test (scripts/test.sh installs it)",
        );
    }
    on_path
}

/// Runs a Python script of `tests/py` with `args`, killed after `limit`; asserts it exited 0
/// (showing both its outputs if not) and returns its standard output, line by line.
pub fn run_script(python: &str, script: &str, args: &[String], limit: Duration) -> Vec<String> {
    let path = format!("{}/tests/py/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(python)
        .arg(&path)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start python");
    if test_support::wait_exit(&mut child, limit).is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script} {args:?}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.lines().map(str::to_owned).collect()
}
