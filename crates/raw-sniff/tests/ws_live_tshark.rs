//! Real WebSocket traffic on `lo`: `ws-chat` and Python's `websockets` client, captured by
//! raw-sniff (`-w` and `--json` in the same run). Every frame raw-sniff reports must have
//! the fields tshark's WebSocket dissector gives on the same file.
//!
//! Needs root, tshark, the `ws-chat` binary and a Python with `websockets` (`SOCKLAB_PYTHON`,
//! else the workspace's `.venv`). Missing any of them is a skip, except under CI=true.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{can_capture, Sniffer};
use test_support::{have, run};

/// The client: one connection with a small MSS (so frames straddle segments) carrying text,
/// UTF-8, binary, a 16-bit and a 64-bit length, fragments, a ping and close 1000; then one
/// connection per other close code.
const CLIENT: &str = r#"
import asyncio, socket, sys, websockets

async def conversation(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 500)
    sock.connect(("127.0.0.1", port))
    async with websockets.connect(f"ws://127.0.0.1:{port}/echo", sock=sock,
                                  compression=None, max_size=None) as ws:
        for message in ["Hello", "naïve ✓ \"quoted\"\n", bytes(range(40)), "y" * 200,
                        "x" * 70000]:
            await ws.send(message)
            await ws.recv()
        await ws.send(["frag", "mented ", "text"])
        await ws.recv()
        pong = await ws.ping(b"p1")
        await pong
        await ws.close(1000, "bye")

async def closing(port, code):
    async with websockets.connect(f"ws://127.0.0.1:{port}/echo", compression=None) as ws:
        await ws.send(f"closing with {code}")
        await ws.recv()
        await ws.close(code, f"reason {code}")

async def compressed(port):
    async with websockets.connect(f"ws://127.0.0.1:{port}/echo", compression="deflate",
                                  max_size=None) as ws:
        for message in ["Hello Hello Hello Hello", "Hello Hello Hello Hello again",
                        "naïve ✓ " * 50, bytes(300), "z" * 70000,
                        ["compressed ", "in ", "fragments"]]:
            await ws.send(message)
            await ws.recv()
        await ws.close(1000, "bye")

async def main(port, deflate):
    if deflate:
        await asyncio.wait_for(compressed(port), 30)
        return
    await asyncio.wait_for(conversation(port), 30)
    for code in [1001, 1002, 1007, 1009]:
        await asyncio.wait_for(closing(port, code), 30)

asyncio.run(main(int(sys.argv[1]), sys.argv[2] == "deflate"))
"#;

/// Drives headless Chromium through the DevTools protocol: two tabs of ws-chat's page chat
/// (the script `ws-chat`'s own Chromium test runs).
const CHROMIUM_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../ws-chat/tests/py/chromium_chat.py"
);

/// Runs `cmd` to its end or kills it after `limit`; returns success and its stderr.
fn run_bounded(cmd: &mut Command, limit: Duration) -> (bool, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the client");
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut text);
        text
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("client did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.success(), reader.join().unwrap())
}

fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("SOCKLAB_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"));
    let ok = Command::new(&candidate)
        .args(["-c", "import websockets"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must run this test: no Python with websockets at {} (set SOCKLAB_PYTHON)",
            candidate.display()
        );
        eprintln!(
            "skipped: no Python with websockets at {} (set SOCKLAB_PYTHON)",
            candidate.display()
        );
        return None;
    }
    Some(candidate)
}

/// The `ws-chat` binary beside this test's own target directory, or built into a directory
/// of its own (a build in the running `cargo test`'s directory could wait on its lock).
fn ws_chat() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test> → target/<profile>/ws-chat
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let beside = profile_dir.join("ws-chat");
    if beside.exists() {
        return beside;
    }
    let target = profile_dir.join("ws-chat-for-tests");
    let mut child = Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "ws-chat", "--bin", "ws-chat"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .spawn()
        .expect("run cargo build -p ws-chat");
    let deadline = Instant::now() + Duration::from_secs(900);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("cargo build -p ws-chat did not finish");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(status.success(), "cargo build -p ws-chat failed");
    target.join("debug/ws-chat")
}

/// A `ws-chat` server on a free port, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(bin: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ws-chat");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let port = first
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("ws-chat said {first:?}"));
        Server { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One frame's fields as tshark prints them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Fields {
    server_to_client: bool,
    fin: String,
    rsv: String,
    pmc: Option<String>,
    opcode: String,
    mask: String,
    masking_key: Option<String>,
    payload_length: String,
    ext: Option<String>,
    close_code: Option<String>,
    close_reason: Option<String>,
    text: Option<String>,
}

fn strings(layers: &Value, name: &str) -> Vec<String> {
    layers
        .get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// tshark's frames. Several frames in one packet come as one object whose optional fields
/// have no placeholders, so each optional value goes to the next frame that must have it.
fn tshark_frames(pcap: &Path, port: u16) -> Vec<Fields> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-r", pcap.to_str().unwrap()])
        .args(["-d", &format!("tcp.port=={port},http")])
        .args(["-o", "tcp.reassemble_out_of_order:TRUE"])
        .args(["-Y", "websocket", "-T", "json", "--no-duplicate-keys"]);
    for f in [
        "tcp.srcport",
        "websocket.fin",
        "websocket.rsv",
        "websocket.pmc",
        "websocket.opcode",
        "websocket.mask",
        "websocket.masking_key",
        "websocket.payload_length",
        "websocket.payload_length_ext_16",
        "websocket.payload_length_ext_64",
        "websocket.payload.close.status_code",
        "websocket.payload.close.reason",
        "websocket.payload.text",
    ] {
        cmd.args(["-e", f]);
    }
    let out = run(&mut cmd);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let packets: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut frames = Vec::new();
    for p in packets {
        let l = &p["_source"]["layers"];
        let s2c = strings(l, "tcp.srcport") == [port.to_string()];
        let fins = strings(l, "websocket.fin");
        let pmc = strings(l, "websocket.pmc");
        let (rsv, op, mask, len) = (
            strings(l, "websocket.rsv"),
            strings(l, "websocket.opcode"),
            strings(l, "websocket.mask"),
            strings(l, "websocket.payload_length"),
        );
        let mut keys = strings(l, "websocket.masking_key").into_iter();
        let mut e16 = strings(l, "websocket.payload_length_ext_16").into_iter();
        let mut e64 = strings(l, "websocket.payload_length_ext_64").into_iter();
        let mut codes = strings(l, "websocket.payload.close.status_code").into_iter();
        let reasons = strings(l, "websocket.payload.close.reason");
        let texts = strings(l, "websocket.payload.text");
        // Texts are matched only where they cannot be misassigned: each unfragmented text
        // frame of a packet holding no fragments.
        let plain_text: Vec<bool> = (0..fins.len())
            .map(|i| op[i] == "1" && fins[i] == "1")
            .collect();
        let fragments = (0..fins.len()).any(|i| op[i] == "0" || (op[i] == "1" && fins[i] == "0"));
        let closes = op.iter().filter(|o| *o == "8").count();
        let mut texts = texts.into_iter();
        let mut reasons = reasons.into_iter();
        for i in 0..fins.len() {
            let mut f = Fields {
                server_to_client: s2c,
                fin: fins[i].clone(),
                rsv: rsv[i].clone(),
                pmc: pmc.get(i).cloned(),
                opcode: op[i].clone(),
                mask: mask[i].clone(),
                payload_length: len[i].clone(),
                ..Fields::default()
            };
            if f.mask == "1" {
                f.masking_key = keys.next();
            }
            f.ext = match f.payload_length.as_str() {
                "126" => e16.next(),
                "127" => e64.next(),
                _ => None,
            };
            if f.opcode == "8" {
                f.close_code = codes.next();
                if closes == 1 {
                    f.close_reason = reasons.next();
                }
            }
            if plain_text[i] && !fragments {
                f.text = texts.next();
            }
            frames.push(f);
        }
    }
    frames
}

/// raw-sniff's frames with the same fields.
fn our_frames(json_lines: &str) -> Vec<Fields> {
    let ours: Vec<Value> = json_lines
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|v| v.get("websocket").cloned())
        .collect();
    ours.iter()
        .map(|w| {
            let num = |k: &str| w.get(k).map(|v| v.to_string());
            let bit = |k: &str| String::from(if w[k] == true { "1" } else { "0" });
            Fields {
                server_to_client: w["ws.direction"] == "server→client",
                fin: bit("websocket.fin"),
                rsv: format!("0x{:02x}", w["websocket.rsv"].as_u64().unwrap()),
                pmc: w.get("websocket.pmc").map(|_| bit("websocket.pmc")),
                opcode: w["websocket.opcode"].to_string(),
                mask: bit("websocket.mask"),
                masking_key: w
                    .get("websocket.masking_key")
                    .map(|v| v.as_str().unwrap().to_owned()),
                payload_length: w["websocket.payload_length"].to_string(),
                ext: num("websocket.payload_length_ext_16")
                    .or_else(|| num("websocket.payload_length_ext_64")),
                close_code: num("websocket.payload.close.status_code"),
                close_reason: w
                    .get("websocket.payload.close.reason")
                    .map(|v| v.as_str().unwrap().to_owned()),
                text: w
                    .get("websocket.payload.text")
                    .map(|v| v.as_str().unwrap().to_owned()),
            }
        })
        .collect()
}

#[test]
fn frames_equal_tsharks_on_the_same_capture() {
    let Some(out) = capture_and_compare("plain") else {
        return;
    };
    // The capture holds every close code sent, named.
    for code in [1000, 1001, 1002, 1007, 1009] {
        assert!(
            out.contains(&format!("\"websocket.payload.close.status_code\":{code}")),
            "close {code}"
        );
    }
}

#[test]
fn compressed_frames_equal_tsharks_and_inflate() {
    let Some(out) = capture_and_compare("deflate") else {
        return;
    };
    // tshark inflates unfragmented text itself, so the comparison above covered those; the
    // message lines must also give back what the client sent, whatever its framing.
    let messages: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|v| v.get("websocket_message").cloned())
        .filter(|m| m["ws.direction"] == "client→server")
        .collect();
    let texts: Vec<&str> = messages
        .iter()
        .filter_map(|m| m.get("ws.message.text").and_then(Value::as_str))
        .collect();
    let expected = [
        "Hello Hello Hello Hello".to_owned(),
        "Hello Hello Hello Hello again".to_owned(),
        "naïve ✓ ".repeat(50),
        "z".repeat(70000),
        "compressed in fragments".to_owned(),
    ];
    assert_eq!(
        texts,
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let binary = messages
        .iter()
        .find(|m| m["ws.message.type"] == "binary")
        .expect("the binary message");
    assert_eq!(binary["ws.message.length"], 300);
    assert_eq!(binary["ws.message.data"], "00".repeat(300));
    // Only compressed messages come as messages in frame mode; 70,000 z's shrink a lot.
    let zs = messages
        .iter()
        .find(|m| m["ws.message.length"] == 70000)
        .expect("the long message");
    assert!(zs["ws.message.compressed_length"].as_u64().unwrap() < 1000);
}

/// Runs the client against `ws-chat` (with `--deflate` for `mode` "deflate") while raw-sniff
/// captures, compares every frame with tshark's, and returns raw-sniff's JSON lines; `None`
/// when the test is skipped.
fn capture_and_compare(mode: &str) -> Option<String> {
    if !can_capture() || !have("tshark") {
        return None;
    }
    let chromium = mode.starts_with("chromium");
    if chromium && !have("chromium") {
        return None;
    }
    let python = python()?;
    let deflate = mode.ends_with("deflate");
    let server = Server::start(&ws_chat(), if deflate { &["--deflate"][..] } else { &[] });
    let dir = std::env::temp_dir().join(format!("raw-sniff-ws-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join(format!("ws-{mode}.pcap"));
    let port = server.port.to_string();
    let sniffer = Sniffer::start(
        &[],
        &[
            "-i",
            "lo",
            "-w",
            pcap.to_str().unwrap(),
            "--json",
            "--ws-only",
            "--ws-full",
            "tcp",
            "port",
            &port,
        ],
    );
    let mut client = Command::new(&python);
    if chromium {
        client
            .arg(CHROMIUM_SCRIPT)
            .arg(format!("http://127.0.0.1:{port}"));
        if deflate {
            client.arg("--deflate");
        }
    } else {
        client.args(["-c", CLIENT, &port, mode]);
    }
    let (ok, stderr) = run_bounded(&mut client, Duration::from_secs(180));
    assert!(ok, "client: {stderr}");
    // The last close handshake's segments are on the wire once the client has returned;
    // the server's FIN may follow a moment later and is not needed.
    std::thread::sleep(Duration::from_millis(300));
    let (status, out, err) = sniffer.interrupt();
    assert!(status.success(), "{err}");
    let port = server.port;
    drop(server);

    let theirs = tshark_frames(&pcap, port);
    let ours = our_frames(&out);
    // Per direction, as each direction's frames come in stream order in both tools.
    for s2c in [false, true] {
        let t: Vec<Fields> = theirs
            .iter()
            .filter(|f| f.server_to_client == s2c)
            .cloned()
            .collect();
        let o: Vec<Fields> = ours
            .iter()
            .filter(|f| f.server_to_client == s2c)
            .cloned()
            .collect();
        let least = if chromium {
            2
        } else if deflate {
            6
        } else {
            15
        };
        assert!(
            t.len() >= least,
            "tshark saw {} frames server→client={s2c} in {}; raw-sniff said:\n{err}",
            t.len(),
            pcap.display()
        );
        assert_eq!(o.len(), t.len(), "frame count, server→client={s2c}\n{err}");
        for (i, (a, b)) in o.iter().zip(&t).enumerate() {
            // Where tshark's values could not be matched to a frame, ours are not compared.
            let a = Fields {
                text: a.text.clone().filter(|_| b.text.is_some()),
                close_reason: a.close_reason.clone().filter(|_| b.close_reason.is_some()),
                ..a.clone()
            };
            assert_eq!(&a, b, "frame {i}, server→client={s2c}");
        }
    }
    assert!(!out.contains("ws.violations"), "a rule broken in {mode}");
    Some(out)
}

#[test]
fn chromium_frames_equal_tsharks_and_inflate() {
    let Some(out) = capture_and_compare("chromium-deflate") else {
        return;
    };
    // Chromium offers permessage-deflate and ws-chat --deflate accepts: the line typed in
    // tab one goes out compressed and must come back inflated.
    let messages: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|v| v.get("websocket_message").cloned())
        .collect();
    let sent = messages
        .iter()
        .find(|m| {
            m["ws.direction"] == "client→server"
                && m["ws.message.text"]
                    .as_str()
                    .is_some_and(|t| t.contains("hello from tab one, κόσμε"))
        })
        .unwrap_or_else(|| panic!("the line sent, inflated: {messages:?}"));
    assert!(sent.get("ws.message.compressed_length").is_some());
}
