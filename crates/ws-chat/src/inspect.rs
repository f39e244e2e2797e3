//! Inspection: the chat page watches the frames of its own connection as the server saw them.
//!
//! Browser JavaScript sees messages, never frames: not the header it sent, nor the masking key,
//! nor the masked bytes. So the page asks the server. It opens `/inspect` first; the server
//! answers with a secret token (128 random bits) on that socket only. The page then opens
//! `/chat?inspect=TOKEN` (or `/echo?inspect=TOKEN`), and from then on every frame of that
//! connection, received or sent, is reported on the inspector socket: header bytes, masking key,
//! the first [`PAYLOAD_BYTES`] payload bytes as on the wire, and the message's inflated size.
//!
//! Whose frames: only the connection that presents the token, once, from the inspector's own
//! address. There is no way to name another connection, and a token is known only to the page
//! that opened the inspector, so no peer can watch another's frames.
//!
//! What it costs: a connection that did not ask for inspection copies and allocates nothing per
//! frame (one branch in the codec). One that did hands each frame to a queue of at most
//! [`REPORT_QUEUE`] reports with `try_send`: when the inspector is slow the report is dropped and
//! counted (the count rides on every later report), and the chat never waits for an inspector.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::mpsc::{self, error::TrySendError};
use websocket::{CloseCode, OpCode, WireFrame};

/// Reports waiting for one inspector before further ones are dropped. A report holds at most a
/// header and [`PAYLOAD_BYTES`], so an inspector that never reads holds about 40 KiB here.
pub const REPORT_QUEUE: usize = 256;

/// Payload bytes reported per frame: enough to see the masking at work and a chat line's start.
pub const PAYLOAD_BYTES: usize = 64;

/// Reports an inspector connection sends in one write when several are waiting.
pub const REPORTS_PER_WRITE: usize = 32;

/// What the inspected connection tells its inspector.
#[derive(Debug)]
pub enum Report {
    /// The connection presented the token: which one, at which path, with which extensions.
    Attached {
        conn: u64,
        path: &'static str,
        extensions: String,
    },
    /// One frame as on the wire.
    Frame(WireFrame),
}

/// Inspectors whose token has not been presented yet.
#[derive(Debug, Default)]
pub struct Inspectors {
    waiting: Mutex<HashMap<u128, Waiting>>,
}

#[derive(Debug)]
struct Waiting {
    tx: mpsc::Sender<Report>,
    dropped: Arc<AtomicU64>,
    peer: IpAddr,
    inspector: u64,
}

/// Why a connection presenting a token is not inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a token any open inspector holds (or it was presented already).
    UnknownToken,
    /// The token's inspector was opened from another address.
    OtherAddress,
}

impl Refused {
    pub fn describe(self) -> &'static str {
        match self {
            Refused::UnknownToken => "unknown or already used inspect token; not inspected",
            Refused::OtherAddress => "inspect token opened from another address; not inspected",
        }
    }
}

impl Inspectors {
    /// Registers a new inspector connection (number `inspector`, from `peer`) and returns its
    /// end, which holds the token to give to its page.
    pub fn open(&self, peer: IpAddr, inspector: u64) -> Inspector<'_> {
        let (tx, rx) = mpsc::channel(REPORT_QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let token = loop {
            // ThreadRng is a CSPRNG: a token cannot be guessed from others.
            let token: u128 = rand::random();
            if !waiting.contains_key(&token) {
                break token;
            }
        };
        waiting.insert(
            token,
            Waiting {
                tx,
                dropped: Arc::clone(&dropped),
                peer: peer.to_canonical(),
                inspector,
            },
        );
        Inspector {
            registry: self,
            token,
            rx,
            dropped,
        }
    }

    /// Hands the inspector holding `token` to the connection presenting it from `peer`: once,
    /// and only from the inspector's own address.
    pub fn claim(&self, token: &str, peer: IpAddr) -> Result<Reporter, Refused> {
        let token = parse_token(token).ok_or(Refused::UnknownToken)?;
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = waiting.get(&token).ok_or(Refused::UnknownToken)?;
        if entry.peer != peer.to_canonical() {
            return Err(Refused::OtherAddress);
        }
        let entry = waiting.remove(&token).ok_or(Refused::UnknownToken)?;
        Ok(Reporter {
            tx: entry.tx,
            dropped: entry.dropped,
            inspector: entry.inspector,
        })
    }

    fn forget(&self, token: u128) {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        waiting.remove(&token);
    }
}

/// A token as the page sends it: exactly 32 hex digits.
fn parse_token(text: &str) -> Option<u128> {
    if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(text, 16).ok()
}

/// The inspected connection's end: reports go in without ever waiting.
#[derive(Debug)]
pub struct Reporter {
    tx: mpsc::Sender<Report>,
    dropped: Arc<AtomicU64>,
    /// The inspector's connection number, for `--verbose`.
    pub inspector: u64,
}

impl Reporter {
    /// Queues `report`, or counts it dropped if the inspector's queue is full. Returns false
    /// once the inspector is gone: the caller then stops inspecting.
    pub fn report(&self, report: Report) -> bool {
        match self.tx.try_send(report) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }
}

/// The inspector connection's end: its token, and the reports to send to its page.
#[derive(Debug)]
pub struct Inspector<'a> {
    registry: &'a Inspectors,
    token: u128,
    rx: mpsc::Receiver<Report>,
    dropped: Arc<AtomicU64>,
}

impl Inspector<'_> {
    /// The first message on the inspector socket: the token, and the limits that apply.
    pub fn hello(&self) -> String {
        format!(
            r#"{{"token":"{:032x}","payload_bytes":{PAYLOAD_BYTES},"queue":{REPORT_QUEUE}}}"#,
            self.token
        )
    }

    /// The next report, or `None` once the inspected connection has ended and its reports are
    /// all taken. Waits forever while no connection has presented the token.
    pub async fn recv(&mut self) -> Option<Report> {
        self.rx.recv().await
    }

    /// A report already waiting, if any.
    pub fn try_recv(&mut self) -> Option<Report> {
        self.rx.try_recv().ok()
    }

    /// `report` as the JSON text message the page reads, with the count of reports dropped so
    /// far.
    pub fn render(&self, report: &Report) -> String {
        render(report, self.dropped.load(Ordering::Relaxed))
    }
}

impl Drop for Inspector<'_> {
    fn drop(&mut self) {
        // An unclaimed token dies with its inspector (a claimed one is gone already).
        self.registry.forget(self.token);
    }
}

/// One report as JSON. Every value is a number or hex digits, so nothing needs escaping except
/// the extensions header, which is checked to be printable ASCII by the handshake and escaped
/// here anyway.
pub fn render(report: &Report, dropped: u64) -> String {
    match report {
        Report::Attached {
            conn,
            path,
            extensions,
        } => format!(
            r#"{{"attached":{{"conn":{conn},"path":"{path}","extensions":"{}"}},"dropped":{dropped}}}"#,
            json_escape(extensions)
        ),
        Report::Frame(frame) => {
            let key = match frame.header.mask {
                Some(key) => format!(r#""{}""#, hex(&key)),
                None => "null".to_owned(),
            };
            let message = frame
                .message_len
                .map_or_else(|| "null".to_owned(), |n| n.to_string());
            let close = close_name(frame);
            format!(
                concat!(
                    r#"{{"frame":{{"from":"{}","header":"{}","key":{},"payload":"{}","#,
                    r#""len":{},"message":{},"close":{}}},"dropped":{}}}"#
                ),
                if frame.outgoing { "server" } else { "page" },
                hex(frame.header_bytes()),
                key,
                hex(&frame.payload_start),
                frame.header.payload_len,
                message,
                close,
                dropped
            )
        }
    }
}

/// For a close frame with a status code, `"1000 Normal Closure"` (the name from the codec's
/// table), else `null`.
fn close_name(frame: &WireFrame) -> String {
    if frame.header.opcode != OpCode::Close {
        return "null".to_owned();
    }
    match frame.unmasked_start().as_slice() {
        [hi, lo, ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            format!(r#""{code} {}""#, CloseCode::from(code).name())
        }
        _ => "null".to_owned(),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn json_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c if c.is_control() => format!("\\u{:04x}", c as u32).chars().collect(),
            c => vec![c],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use websocket::{Config, Connection, Role};

    fn localhost() -> IpAddr {
        "127.0.0.1".parse().unwrap()
    }

    #[test]
    fn a_token_is_claimed_once_and_only_from_the_inspectors_address() {
        let inspectors = Inspectors::default();
        let inspector = inspectors.open(localhost(), 1);
        let token = format!("{:032x}", inspector.token);
        assert!(inspector.hello().contains(&token));
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert_eq!(
            inspectors.claim(&token, other).unwrap_err(),
            Refused::OtherAddress
        );
        assert!(inspectors.claim(&token, localhost()).is_ok());
        assert_eq!(
            inspectors.claim(&token, localhost()).unwrap_err(),
            Refused::UnknownToken,
            "a second claim"
        );
        assert_eq!(
            inspectors.claim("not-a-token", localhost()).unwrap_err(),
            Refused::UnknownToken
        );
    }

    #[test]
    fn a_closed_inspector_forgets_its_token() {
        let inspectors = Inspectors::default();
        let inspector = inspectors.open(localhost(), 1);
        let token = format!("{:032x}", inspector.token);
        drop(inspector);
        assert_eq!(
            inspectors.claim(&token, localhost()).unwrap_err(),
            Refused::UnknownToken
        );
        assert!(inspectors.waiting.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_without_waiting() {
        let inspectors = Inspectors::default();
        let mut inspector = inspectors.open(localhost(), 1);
        let token = format!("{:032x}", inspector.token);
        let reporter = inspectors.claim(&token, localhost()).unwrap();
        let mut conn = Connection::new(Config::new(Role::Server), 1);
        conn.enable_inspection(PAYLOAD_BYTES);
        for _ in 0..REPORT_QUEUE + 10 {
            conn.send_text("x");
        }
        for frame in conn.take_inspected() {
            assert!(reporter.report(Report::Frame(frame)));
        }
        let mut got = 0;
        let mut last = String::new();
        while let Some(report) = inspector.try_recv() {
            got += 1;
            last = inspector.render(&report);
        }
        assert_eq!(got, REPORT_QUEUE);
        assert!(last.ends_with(r#""dropped":10}"#), "{last}");
        drop(inspector);
        assert!(!reporter.report(Report::Frame(WireFrame::new(
            true,
            websocket::FrameHeader::new(OpCode::Text, 0),
            &[0x81, 0],
            Vec::new()
        ))));
    }

    #[test]
    fn reports_read_as_json_with_the_close_code_named() {
        let mut conn = Connection::new(Config::new(Role::Server), 1);
        conn.enable_inspection(PAYLOAD_BYTES);
        // RFC 6455 §5.7's masked "Hello", then a masked close 1001.
        let mut input: &[u8] = &[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58, 0x88, 0x82, 0x01,
            0x02, 0x03, 0x04, 0x02, 0xeb,
        ];
        while conn.receive(&mut input).unwrap().is_some() {}
        let lines: Vec<String> = conn
            .take_inspected()
            .map(|f| render(&Report::Frame(f), 3))
            .collect();
        assert_eq!(
            lines,
            [
                concat!(
                    r#"{"frame":{"from":"page","header":"818537fa213d","key":"37fa213d","#,
                    r#""payload":"7f9f4d5158","len":5,"message":5,"close":null},"dropped":3}"#
                ),
                concat!(
                    r#"{"frame":{"from":"page","header":"888201020304","key":"01020304","#,
                    r#""payload":"02eb","len":2,"message":null,"close":"1001 Going Away"},"dropped":3}"#
                ),
                concat!(
                    r#"{"frame":{"from":"server","header":"8802","key":null,"#,
                    r#""payload":"03e9","len":2,"message":null,"close":"1001 Going Away"},"dropped":3}"#
                ),
            ]
        );
        let attached = Report::Attached {
            conn: 7,
            path: "/chat",
            extensions: "permessage-deflate; \"x\"".into(),
        };
        assert_eq!(
            render(&attached, 0),
            r#"{"attached":{"conn":7,"path":"/chat","extensions":"permessage-deflate; \"x\""},"dropped":0}"#
        );
    }
}
