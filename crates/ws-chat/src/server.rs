//! The server: an accept loop, the HTTP handshake, and one task per connection.
//!
//! Shape follows tokio's examples: the accept loop `select!`s on shutdown, every connection is a
//! task tracked by a `TaskTracker`, and a `CancellationToken` tells each one to send 1001 Going
//! Away. All protocol work is done by [`websocket::Connection`]; this file only moves bytes,
//! keeps time and routes messages.

use crate::admission::{Admission, Refusal, Slot};
use crate::chat::{Inbox, Room};
use crate::cli::ServerArgs;
use crate::inspect::{Inspector, Inspectors, Report, Reporter, PAYLOAD_BYTES, REPORTS_PER_WRITE};
use anyhow::Context as _;
use bytes::BufMut as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{sleep_until, timeout, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use websocket::deflate::{negotiate, DeflateParams};
use websocket::handshake::{
    error_response, http_response, response_101, validate_request, Request,
};
use websocket::{
    Budget, CloseCode, CloseState, Config, Connection, Event, HandshakeError, Message,
    ProtocolError, Role,
};

/// The chat page, embedded so the binary is all a user needs.
const PAGE: &str = include_str!("page.html");

/// First read buffer of a connection. It doubles while reads fill it, up to [`MAX_READ_BUF`], so
/// ten thousand idle connections cost little and a bulk sender still gets large reads.
const MIN_READ_BUF: usize = 4 * 1024;
const MAX_READ_BUF: usize = 256 * 1024;

/// A frame's payload with at least this much still to come is read straight into the
/// payload's own buffer rather than through the read buffer, saving a copy of every byte of a
/// large message.
const DIRECT_READ_MIN: usize = 64 * 1024;

/// Input handed to the protocol at once. Between two slices a connection yields its worker, so
/// a read full of tiny frames (a 64 KiB slice holds up to ~10,000) cannot keep others waiting.
const WORK_SLICE: usize = 64 * 1024;

/// Message bytes a connection may produce before it yields its worker between two messages:
/// each one may have cost an inflate and an echo's deflate.
const YIELD_AFTER: usize = 1 << 20;

/// How long a closed connection may keep sending before we stop reading and drop it.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);

/// Which WebSocket endpoint a connection asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Chat,
    Echo,
    /// Reports the frames of the page's own chat or echo connection; see [`crate::inspect`].
    Inspect,
}

/// What every connection task shares.
struct Shared {
    /// `--max-buffered`: what all connections' unfinished frames and messages may hold.
    budget: Budget,
    args: ServerArgs,
    room: Room,
    /// Inspector connections whose page has not yet opened the connection they watch.
    inspectors: Inspectors,
    next_id: AtomicU64,
    /// Set just before the connections' token is cancelled; see [`crate::shutdown`].
    stopping: AtomicBool,
}

/// Binds, prints `listening on ADDR`, and serves until Ctrl-C or SIGTERM.
pub async fn run(args: ServerArgs) -> anyhow::Result<()> {
    let listener = listen(&args.listen, args.backlog).await.with_context(|| {
        format!(
            "cannot listen on {} (in use? ports below 1024 need root)",
            args.listen
        )
    })?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    // Handlers first: from the moment `listening on` is read, a signal must mean a graceful
    // shutdown, never death by the signal's default action.
    let mut shutdown =
        support::Signals::install().context("cannot install the SIGINT/SIGTERM handlers")?;
    say!("listening on {addr}");
    // Every connection is a descriptor: take all the room the hard limit allows.
    let files = support::raise_open_file_limit();
    if files.is_some_and(|n| n < args.max_conns as u64 + 64) {
        eprintln!(
            "ws-chat: warning: the open-file limit is {}, below --max-conns {}; accepts will fail past it",
            files.unwrap_or_default(),
            args.max_conns
        );
    }
    let limit = Arc::new(Semaphore::new(args.max_conns));
    let admission = Admission::new(args.max_handshakes, args.max_handshakes_per_ip);
    let shared = Arc::new(Shared {
        // A member whose queue stays full is dropped after the time a blocked write is allowed.
        room: Room::new(args.idle_timeout),
        budget: Budget::new(usize::try_from(args.max_buffered).unwrap_or(usize::MAX)),
        args,
        inspectors: Inspectors::default(),
        next_id: AtomicU64::new(1),
        stopping: AtomicBool::new(false),
    });
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    loop {
        tokio::select! {
            _ = shutdown.recv() => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(err) => {
                        // Out of file descriptors or a connection reset before accept: not fatal.
                        eprintln!("ws-chat: accept: {err}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // The handshake budget first, so a peer over its cap is turned away before it
                // can take one of --max-conns.
                let admitted = admission.admit(peer.ip()).map_err(|refusal| match refusal {
                    Refusal::PeerCap => "too many handshakes from your address",
                    Refusal::Busy => "too many handshakes in progress",
                });
                let (slot, permit) = match admitted {
                    Ok(slot) => match Arc::clone(&limit).try_acquire_owned() {
                        Ok(permit) => (slot, permit),
                        Err(_) => {
                            refuse(&stream, peer, "too many connections", shared.args.verbose);
                            continue;
                        }
                    },
                    Err(why) => {
                        refuse(&stream, peer, why, shared.args.verbose);
                        continue;
                    }
                };
                let shared = Arc::clone(&shared);
                let cancel = cancel.clone();
                tracker.spawn(async move {
                    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
                    handle(stream, peer, id, &shared, cancel, slot).await;
                    drop(permit);
                });
            }
        }
    }
    drop(listener);
    tracker.close();
    eprintln!(
        "ws-chat: shutting down; sending 1001 to {} connections",
        tracker.len()
    );
    crate::shutdown::cancel(&shared.stopping, &cancel);
    let limit = shared.args.shutdown_timeout + DRAIN_TIMEOUT + Duration::from_secs(1);
    if timeout(limit, tracker.wait()).await.is_err() {
        eprintln!(
            "ws-chat: {} connections still open after {limit:?}; exiting",
            tracker.len()
        );
    }
    Ok(())
}

/// Turns a connection away with a 503 naming the limit it hit. Best effort, without waiting:
/// the client may not even read it. Logged only in verbose mode: a flood of refusals must not
/// become a flood of logs.
fn refuse(stream: &TcpStream, peer: SocketAddr, why: &str, verbose: bool) {
    let _ = stream.try_write(&http_response(
        503,
        "text/plain",
        "",
        format!("{why}\n").as_bytes(),
    ));
    if verbose {
        say!("refused {peer}: {why}");
    }
}

/// Binds the first address `listen` names, with a queue of `backlog` connections not yet
/// accepted (`TcpListener::bind` asks for only 128).
async fn listen(listen: &str, backlog: u32) -> std::io::Result<TcpListener> {
    let addr = tokio::net::lookup_host(listen)
        .await?
        .next()
        .ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to bind")
        })?;
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As TcpListener::bind does: a restarted server may bind while old connections linger.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// Serves one TCP connection from accept to close. Errors end only this connection.
async fn handle(
    mut stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    shared: &Shared,
    cancel: CancellationToken,
    slot: Slot,
) {
    let _ = stream.set_nodelay(true);
    let tag = format!("#{id} {peer}");
    let verbose = shared.args.verbose;
    let limit = shared.args.handshake_timeout;
    let mut buf = Vec::with_capacity(1024);
    let (req, head_len) = match timeout(limit, read_request(&mut stream, &mut buf)).await {
        Ok(Ok(pair)) => pair,
        Ok(Err(Some(err))) => {
            if verbose {
                say!("{tag} bad request: {err}");
            }
            respond(&mut stream, &error_response(&err), limit).await;
            return;
        }
        Ok(Err(None)) => return,
        Err(_) => {
            if verbose {
                say!("{tag} no complete request within {limit:?}; dropping");
            }
            return;
        }
    };
    if verbose {
        say!(
            "{tag} <- {} {} HTTP/1.{}",
            req.method,
            req.path,
            req.version
        );
        for (name, value) in &req.headers {
            say!("{tag} <- {name}: {value}");
        }
    }
    let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
    let endpoint = match path {
        "/chat" => Endpoint::Chat,
        "/echo" => Endpoint::Echo,
        "/inspect" => Endpoint::Inspect,
        "/" | "/index.html" if req.method == "GET" && !req.wants_websocket() => {
            log_status(verbose, &tag, 200);
            let page = http_response(
                200,
                "text/html; charset=utf-8",
                "Cache-Control: no-cache\r\n",
                PAGE.as_bytes(),
            );
            respond(&mut stream, &page, limit).await;
            return;
        }
        _ => {
            log_status(verbose, &tag, 404);
            let body = format!("no such page: {path}\n");
            respond(
                &mut stream,
                &http_response(404, "text/plain; charset=utf-8", "", body.as_bytes()),
                limit,
            )
            .await;
            return;
        }
    };
    let upgrade = match validate_request(&req) {
        Ok(upgrade) => upgrade,
        Err(err) => {
            log_status(verbose, &tag, err.status());
            if verbose {
                say!("{tag} refused: {err}");
            }
            respond(&mut stream, &error_response(&err), limit).await;
            return;
        }
    };
    let deflate: Option<(DeflateParams, String)> = if shared.args.deflate {
        negotiate(&upgrade.extensions)
    } else {
        None
    };
    let response = response_101(
        &upgrade.accept,
        deflate.as_ref().map(|(_, value)| value.as_str()),
    );
    // Only a connection that asked to be inspected pays for it. The token is claimed before
    // the 101 goes out, so once a client sees the upgrade, nobody else can claim it.
    let inspect_token = match endpoint {
        Endpoint::Chat | Endpoint::Echo => query_value(query, "inspect"),
        Endpoint::Inspect => None,
    };
    let reporter = inspect_token.and_then(|token| {
        let claimed = shared.inspectors.claim(token, peer.ip());
        match &claimed {
            Ok(reporter) if verbose => say!("{tag} inspected by #{}", reporter.inspector),
            Err(refused) if verbose => say!("{tag} {}", refused.describe()),
            _ => {}
        }
        let reporter = claimed.ok()?;
        reporter.report(Report::Attached {
            conn: id,
            path: if endpoint == Endpoint::Chat {
                "/chat"
            } else {
                "/echo"
            },
            extensions: deflate
                .as_ref()
                .map(|(_, value)| value.clone())
                .unwrap_or_default(),
        });
        Some(reporter)
    });
    if verbose {
        for line in String::from_utf8_lossy(&response)
            .lines()
            .filter(|l| !l.is_empty())
        {
            say!("{tag} -> {line}");
        }
    }
    if !matches!(
        timeout(limit, stream.write_all(&response)).await,
        Ok(Ok(()))
    ) {
        return;
    }
    // The handshake is over: its slot goes back to the budget (early returns drop it too).
    drop(slot);
    let config = Config {
        role: Role::Server,
        max_frame_size: shared.args.max_message,
        max_message_size: usize::try_from(shared.args.max_message).unwrap_or(usize::MAX),
        deflate: deflate.map(|(params, _)| params),
    };
    let mut conn = Connection::new(config, rand::random());
    conn.set_budget(shared.budget.clone());
    if verbose {
        conn.enable_trace();
    }
    let mut inspector = None;
    if endpoint == Endpoint::Inspect {
        let opened = shared.inspectors.open(peer.ip(), id);
        conn.send_text(&opened.hello());
        inspector = Some(opened);
    }
    if reporter.is_some() {
        conn.enable_inspection(PAYLOAD_BYTES);
    }
    // Bytes after the request head are the client's first frames, sent without waiting.
    let early = buf.split_off(head_len);
    let mut session = Session {
        stream,
        conn,
        endpoint,
        tag,
        shared,
        name: format!("guest-{id}"),
        id,
        inbox: None,
        pending: None,
        unread: Vec::new(),
        reporter,
        inspector,
    };
    if endpoint == Endpoint::Chat {
        let (inbox, online) = shared.room.join(id);
        session.inbox = Some(inbox);
        // Sent by the session's loop, which drains this member's inbox while the notice waits
        // for room: the room may be saturated.
        let joined = format!("* {} joined ({online} online)", session.name);
        session.pending = Some(Arc::from(joined));
    }
    session.serve(&early, cancel.clone()).await;
    let left = async {
        if endpoint == Endpoint::Chat {
            let online = shared.room.leave(id);
            let left: Arc<str> = Arc::from(format!("* {} left ({online} online)", session.name));
            // Waits for room like any line, but nobody needs the notice once the server stops.
            tokio::select! {
                () = shared.room.broadcast(&left) => {}
                () = cancel.cancelled() => {}
            }
        }
    };
    tokio::join!(left, close_gracefully(session.stream));
}

fn log_status(verbose: bool, tag: &str, status: u16) {
    if verbose {
        say!("{tag} -> HTTP/1.1 {status}");
    }
}

/// Reads until a whole request head is buffered. `Err(None)` means the peer went away.
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> Result<(Request, usize), Option<HandshakeError>> {
    let mut chunk = [0u8; 2048];
    loop {
        if let Some(found) = Request::parse(buf).map_err(Some)? {
            return Ok(found);
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Err(None),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Sends a whole HTTP response, then closes.
async fn respond(stream: &mut TcpStream, bytes: &[u8], limit: Duration) {
    if matches!(timeout(limit, stream.write_all(bytes)).await, Ok(Ok(()))) {
        let _ = stream.shutdown().await;
        drain(stream).await;
    }
}

/// Closes our side first (RFC 6455 §7.1.1 asks the server to), then reads until the peer
/// closes too, for at most [`DRAIN_TIMEOUT`]: closing with unread data would send a reset, which
/// can destroy the close frame we just sent before the peer reads it.
async fn close_gracefully(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    drain(&mut stream).await;
}

async fn drain(stream: &mut TcpStream) {
    let mut sink = [0u8; 4096];
    let _ = timeout(DRAIN_TIMEOUT, async {
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// One upgraded connection.
struct Session<'a> {
    stream: TcpStream,
    conn: Connection,
    endpoint: Endpoint,
    tag: String,
    shared: &'a Shared,
    name: String,
    id: u64,
    inbox: Option<Inbox>,
    /// A chat line the room had no room for yet. While it waits, this connection is not read
    /// (that is the backpressure), but its inbox is still drained.
    pending: Option<Arc<str>>,
    /// Received bytes not yet decoded because a line was pending.
    unread: Vec<u8>,
    /// Where this connection's frames are reported, if its page asked.
    reporter: Option<Reporter>,
    /// On an `/inspect` connection: the reports to send.
    inspector: Option<Inspector<'a>>,
}

impl Session<'_> {
    async fn serve(&mut self, early: &[u8], cancel: CancellationToken) {
        let args = &self.shared.args;
        let mut read_buf = vec![0u8; MIN_READ_BUF];
        // One timer and one cancellation future for the whole connection, re-armed rather than
        // rebuilt on every message: building them costs a timer-wheel entry and a lock each.
        // Reads only set a flag; the timer looks at it when it fires and, if anything came,
        // waits a whole period again. Silence is thus noticed after one to two periods, without
        // reading the clock on every message.
        let mut heard = false;
        let timer = sleep_until(Instant::now() + args.idle_timeout);
        tokio::pin!(timer);
        // Polled on every wake-up, so it must not take the token's locks each time.
        let cancelled = crate::shutdown::cancelled(&self.shared.stopping, &cancel);
        tokio::pin!(cancelled);
        let mut pinged = false;
        // Set once we sent a close frame: the peer has until then to answer.
        let mut close_deadline: Option<Instant> = None;
        // Armed while a frame or message is arriving: it must be whole by then. Re-armed when
        // a message ended since, so a stream of messages is timed message by message.
        let message_timer = sleep_until(Instant::now());
        tokio::pin!(message_timer);
        let mut message_deadline: Option<Instant> = None;
        let mut messages_seen = 0;
        let mut failed = self.on_bytes(early).await;
        loop {
            let messages = self.conn.messages_received();
            if !self.conn.in_message() {
                message_deadline = None;
            } else if message_deadline.is_none() || messages != messages_seen {
                let deadline = Instant::now() + args.message_timeout;
                message_deadline = Some(deadline);
                message_timer.as_mut().reset(deadline);
            }
            messages_seen = messages;
            if self.conn.state() == CloseState::CloseSent && close_deadline.is_none() {
                let deadline = Instant::now() + args.shutdown_timeout;
                close_deadline = Some(deadline);
                timer.as_mut().reset(deadline);
            }
            if self.flush().await.is_err() {
                self.log("write failed or timed out; dropping");
                return;
            }
            if failed || self.conn.state() == CloseState::Closed {
                return;
            }
            let open = self.conn.state() == CloseState::Open;
            if !open && self.inbox.take().is_some() {
                // A closing member takes no more lines: leave now rather than make senders
                // wait for a queue nobody drains.
                self.shared.room.leave(self.id);
                self.pending = None;
                let unread = std::mem::take(&mut self.unread);
                failed = self.on_bytes(&unread).await;
                continue;
            }
            let blocked = self.pending.is_some();
            if !blocked {
                // Room the budget refuses fails the connection here, as input would (1013).
                if let Err(err) = self.conn.payload_room(DIRECT_READ_MIN, MAX_READ_BUF) {
                    self.fail(&err);
                    failed = true;
                    continue;
                }
            }
            let room = match blocked {
                true => None,
                false => self
                    .conn
                    .payload_room(DIRECT_READ_MIN, MAX_READ_BUF)
                    .ok()
                    .flatten(),
            };
            let stream = &mut self.stream;
            let read = async {
                match room {
                    Some((payload, n)) => stream
                        .read_buf(&mut (&mut *payload).limit(n))
                        .await
                        .map(|got| (got, true)),
                    None => stream.read(&mut read_buf).await.map(|got| (got, false)),
                }
            };
            tokio::select! {
                read = read, if !blocked => match read {
                    Ok((0, _)) | Err(_) => {
                        self.log("connection ended without a close frame (1006 Abnormal Closure)");
                        return;
                    }
                    Ok((_, true)) => {
                        heard = true;
                        pinged = false;
                        failed = self.on_payload_read();
                    }
                    Ok((n, false)) => {
                        heard = true;
                        pinged = false;
                        failed = self.on_bytes(&read_buf[..n]).await;
                        if n == read_buf.len() && read_buf.len() < MAX_READ_BUF {
                            read_buf.resize(read_buf.len() * 2, 0);
                        }
                    }
                },
                line = recv(&mut self.inbox), if open => match line {
                    Some(line) => self.conn.send_text(&line),
                    None => self.conn.close(CloseCode::Policy, "too slow to keep up with the chat"),
                },
                report = next_report(&mut self.inspector), if open => match report {
                    Some(report) => self.send_reports(report),
                    None => self.conn.close(CloseCode::Normal, "the inspected connection closed"),
                },
                () = broadcast(&self.shared.room, self.pending.as_ref()), if blocked => {
                    self.pending = None;
                    let unread = std::mem::take(&mut self.unread);
                    failed = self.on_bytes(&unread).await;
                }
                _ = &mut cancelled, if open => {
                    self.conn.close(CloseCode::GoingAway, "server shutting down");
                }
                _ = &mut message_timer, if open && message_deadline.is_some() => {
                    self.log("message not finished within --message-timeout; closing");
                    let reason = format!("message not finished within {:?}", args.message_timeout);
                    self.conn.close(CloseCode::Policy, &reason);
                }
                _ = &mut timer => {
                    if close_deadline.is_some() {
                        self.log("no close frame in answer to ours; dropping");
                        return;
                    }
                    // While a line waits for room we stop reading, so silence is ours.
                    if heard || blocked {
                        heard = false;
                        timer.as_mut().reset(Instant::now() + args.idle_timeout);
                    } else if pinged {
                        self.conn.close(CloseCode::GoingAway, "idle timeout");
                    } else {
                        // A half-open peer never answers: the next expiry then closes.
                        self.conn.send_ping(b"still there?");
                        pinged = true;
                        timer.as_mut().reset(Instant::now() + args.idle_timeout);
                    }
                }
            }
        }
    }

    /// Feeds received bytes to the protocol; returns true if the connection failed. Yields the
    /// worker between slices of input and after each megabyte of messages, so one connection's
    /// burst costs other connections a short wait at most. Once a chat line is pending, the rest
    /// is kept in `unread` for when it has been delivered.
    async fn on_bytes(&mut self, bytes: &[u8]) -> bool {
        let mut produced = 0;
        for (i, slice) in bytes.chunks(WORK_SLICE).enumerate() {
            if i > 0 {
                tokio::task::yield_now().await;
            }
            let mut input = slice;
            loop {
                if self.pending.is_some() {
                    let decoded = i * WORK_SLICE + (slice.len() - input.len());
                    self.unread.extend_from_slice(&bytes[decoded..]);
                    return false;
                }
                if produced >= YIELD_AFTER {
                    produced = 0;
                    tokio::task::yield_now().await;
                }
                match self.receive(&mut input) {
                    Received::More => break,
                    Received::Message(len) => produced += len,
                    Received::Closed => return false,
                    Received::Failed => return true,
                }
            }
        }
        false
    }

    /// After payload bytes were read straight into their frame (`DIRECT_READ_MIN`): handles
    /// the frame if that finished it. Returns true if the connection failed.
    fn on_payload_read(&mut self) -> bool {
        let mut none: &[u8] = &[];
        loop {
            match self.receive(&mut none) {
                Received::More | Received::Closed => return false,
                Received::Message(_) => {}
                Received::Failed => return true,
            }
        }
    }

    /// One step of [`Session::on_bytes`]: the next event from `input`, handled.
    fn receive(&mut self, input: &mut &[u8]) -> Received {
        match self.conn.receive(input) {
            Ok(None) => Received::More,
            Ok(Some(Event::Message(message))) => {
                let len = match &message {
                    Message::Text(text) => text.len(),
                    Message::Binary(data) => data.len(),
                    _ => 0,
                };
                self.on_message(message);
                Received::Message(len)
            }
            Ok(Some(Event::Closed(frame))) => {
                match frame {
                    Some(f) => self.log(&format!("peer closed: {} {:?}", f.code, f.reason)),
                    None => self.log("peer closed without a code (1005 No Status Received)"),
                }
                Received::Closed
            }
            Err(err) => {
                self.fail(&err);
                Received::Failed
            }
        }
    }

    /// Fails the connection with the error's close code, and says so with `--verbose`.
    fn fail(&mut self, err: &ProtocolError) {
        self.log(&format!(
            "failing the connection with {}: {err}",
            err.close_code()
        ));
        self.conn.fail(err);
    }

    fn on_message(&mut self, message: Message) {
        if self.shared.args.verbose {
            // Frames show wire bytes (compressed ones as hex); this shows what they carried.
            match &message {
                Message::Text(text) => {
                    let preview: String = text.chars().take(48).collect();
                    let more = if preview.len() < text.len() {
                        "…"
                    } else {
                        ""
                    };
                    self.log(&format!(
                        "message: text, {} bytes: {preview:?}{more}",
                        text.len()
                    ));
                }
                Message::Binary(data) => {
                    self.log(&format!("message: binary, {} bytes", data.len()))
                }
                _ => {}
            }
        }
        let open = self.conn.state() == CloseState::Open;
        match (self.endpoint, message) {
            // Given back whole: a small message's buffer takes the next one (no allocation per
            // echo), a large one is written from where it was received (no copy).
            (Endpoint::Echo, message @ (Message::Text(_) | Message::Binary(_))) => {
                self.conn.send_owned(message);
            }
            (Endpoint::Chat, Message::Text(text)) if open => {
                let line: Arc<str> = Arc::from(format!("{}: {text}", self.name));
                self.conn.recycle(Message::Text(text));
                if self.shared.room.try_broadcast(&line).is_err() {
                    self.pending = Some(line);
                }
            }
            (Endpoint::Chat, Message::Binary(_)) => {
                self.conn
                    .close(CloseCode::Unsupported, "the chat takes text messages only");
            }
            (Endpoint::Inspect, Message::Text(_) | Message::Binary(_)) => {
                self.conn
                    .close(CloseCode::Unsupported, "the inspector only sends");
            }
            // Pings are answered inside Connection; pongs and late chat lines need nothing.
            _ => {}
        }
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if self.shared.args.verbose {
            for frame in self.conn.take_trace() {
                say!("{} {frame}", self.tag);
            }
        }
        self.report_frames();
        let [output, body] = self.conn.output_parts();
        if output.is_empty() && body.is_empty() {
            return Ok(());
        }
        // Most writes fit the socket buffer at once; only a full one needs a timed wait, so a
        // peer that stops reading cannot hold the task forever. A large echo's payload follows
        // its header in the same (vectored) write.
        let tried = if body.is_empty() {
            self.stream.try_write(output)
        } else {
            let parts = [std::io::IoSlice::new(output), std::io::IoSlice::new(body)];
            self.stream.try_write_vectored(&parts)
        };
        let written = match tried {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => 0,
            Err(e) => return Err(e),
        };
        if written < output.len() + body.len() {
            let (output, body) = if written < output.len() {
                (&output[written..], body)
            } else {
                (&[][..], &body[written - output.len()..])
            };
            let stream = &mut self.stream;
            let rest = async {
                stream.write_all(output).await?;
                stream.write_all(body).await
            };
            match timeout(self.shared.args.idle_timeout, rest).await {
                Ok(result) => result?,
                Err(elapsed) => return Err(elapsed.into()),
            }
        }
        self.conn.clear_output();
        Ok(())
    }

    /// Hands the frames inspected since the last call to the inspector, if this connection has
    /// one. Never waits: a full queue drops and counts. Once the inspector is gone, stops
    /// inspecting.
    fn report_frames(&mut self) {
        let Some(reporter) = &self.reporter else {
            return;
        };
        let mut gone = false;
        for frame in self.conn.take_inspected() {
            if !reporter.report(Report::Frame(frame)) {
                gone = true;
                break;
            }
        }
        if gone {
            self.reporter = None;
            self.conn.disable_inspection();
            self.log("inspector gone; inspection off");
        }
    }

    /// On an inspector connection: queues `first` and the reports already waiting behind it,
    /// up to [`REPORTS_PER_WRITE`], each as one text message.
    fn send_reports(&mut self, first: Report) {
        let Some(inspector) = self.inspector.as_mut() else {
            return;
        };
        let mut report = Some(first);
        for _ in 0..REPORTS_PER_WRITE {
            let Some(next) = report.take().or_else(|| inspector.try_recv()) else {
                break;
            };
            self.conn.send_text(&inspector.render(&next));
        }
    }

    /// A verbose-mode note, after the frames that led to it.
    fn log(&mut self, what: &str) {
        if self.shared.args.verbose {
            for frame in self.conn.take_trace() {
                say!("{} {frame}", self.tag);
            }
            say!("{} {what}", self.tag);
        }
    }
}

/// Delivers a pending line once the room has room for it, or waits forever if none is pending.
async fn broadcast(room: &Room, line: Option<&Arc<str>>) {
    match line {
        Some(line) => room.broadcast(line).await,
        None => std::future::pending().await,
    }
}

/// What one step of reading did.
enum Received {
    /// The input is used up.
    More,
    /// A data message (of this many bytes) or a control frame was handled.
    Message(usize),
    /// The peer's close frame came; nothing after it counts.
    Closed,
    /// The connection failed; its close frame is queued.
    Failed,
}

/// Waits for the next report, or forever on a connection that is not an inspector.
async fn next_report(inspector: &mut Option<Inspector<'_>>) -> Option<Report> {
    match inspector {
        Some(inspector) => inspector.recv().await,
        None => std::future::pending().await,
    }
}

/// The value of `name` in a query string (`inspect=abc&x=1`), if present and not empty.
fn query_value<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value)
}

/// Waits for the next chat line, or forever on an endpoint without a room.
async fn recv(inbox: &mut Option<Inbox>) -> Option<Arc<str>> {
    match inbox {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
