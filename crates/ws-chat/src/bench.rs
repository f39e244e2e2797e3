//! `ws-chat bench`: a load client for an `/echo` endpoint, built on the same codec.
//!
//! Every connection is opened and upgraded first (at most [`MAX_CONNECTING`] handshakes at a
//! time); then all start together and, until the duration ends, each sends one binary message
//! and waits for its echo before the next. Each echo is compared with what was sent, byte for
//! byte, and its round trip goes into an HDR histogram. The report is one line on stdout that
//! scripts can parse. Any handshake failure or wrong echo makes the exit status non-zero.

use crate::cli::BenchArgs;
use anyhow::{bail, Context as _};
use hdrhistogram::Histogram;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{timeout, Instant};
use websocket::handshake::{check_response, client_request, Response};
use websocket::{CloseCode, Config, Connection, Event, Message, Role};

/// Handshakes in flight at once, so a burst of SYNs does not overflow the listen backlog.
const MAX_CONNECTING: usize = 256;

/// Bound on any single network wait.
const WAIT: Duration = Duration::from_secs(10);

/// What one connection measured.
struct Tally {
    messages: u64,
    bytes: u64,
    latency_us: Histogram<u64>,
    error: Option<String>,
}

/// Splits `ws://IP:PORT/path`.
fn parse_url(url: &str) -> anyhow::Result<(SocketAddr, String)> {
    let Some(rest) = url.strip_prefix("ws://") else {
        bail!("{url}: only ws:// URLs are supported");
    };
    let (authority, path) = rest.find('/').map_or((rest, "/"), |at| rest.split_at(at));
    let addr = authority.parse().with_context(|| {
        format!("{url}: the host must be an IP address with a port, like 127.0.0.1:8080")
    })?;
    Ok((addr, path.to_owned()))
}

/// Runs the load and prints the report.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let (addr, path) = parse_url(&args.url)?;
    if args.connections == 0 {
        bail!("--connections must be at least 1");
    }
    let size = usize::try_from(args.size).context("--size is too large")?;
    let connecting = std::sync::Arc::new(Semaphore::new(MAX_CONNECTING));
    let start_line = std::sync::Arc::new(Barrier::new(args.connections + 1));
    let mut tasks = JoinSet::new();
    for id in 0..args.connections {
        let (connecting, start_line, path) = (connecting.clone(), start_line.clone(), path.clone());
        let duration = args.duration;
        tasks.spawn(async move {
            let opened = {
                let _permit = connecting.acquire().await;
                timeout(WAIT, open(addr, &path, size))
                    .await
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("handshake timed out")))
            };
            // Everyone waits at the line, even a failed connection, so the barrier completes.
            start_line.wait().await;
            match opened {
                Ok((stream, conn)) => load(stream, conn, id as u64, size, duration).await,
                Err(err) => Tally {
                    messages: 0,
                    bytes: 0,
                    latency_us: histogram(),
                    error: Some(format!("{err:#}")),
                },
            }
        });
    }
    start_line.wait().await;
    let started = Instant::now();
    let mut total = Tally {
        messages: 0,
        bytes: 0,
        latency_us: histogram(),
        error: None,
    };
    let mut failures = 0usize;
    while let Some(joined) = tasks.join_next().await {
        let tally = joined.context("a connection task panicked")?;
        total.messages += tally.messages;
        total.bytes += tally.bytes;
        total
            .latency_us
            .add(&tally.latency_us)
            .context("merging latency histograms")?;
        if let Some(err) = tally.error {
            failures += 1;
            if total.error.is_none() {
                total.error = Some(err);
            }
        }
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let q = |p: f64| total.latency_us.value_at_quantile(p);
    say!(
        "bench {url}: connections={c} size={size} duration={secs:.2}s messages={m} msgs_per_s={rate:.0} \
         mb_per_s={mbs:.2} latency_us p50={p50} p90={p90} p99={p99} max={max} verified={m} failed_connections={failures}",
        url = args.url,
        c = args.connections,
        m = total.messages,
        rate = total.messages as f64 / secs,
        mbs = total.bytes as f64 / secs / 1e6,
        p50 = q(0.5),
        p90 = q(0.9),
        p99 = q(0.99),
        max = total.latency_us.max(),
    );
    if let Some(err) = total.error {
        bail!(
            "{failures} of {} connections failed; first: {err}",
            args.connections
        );
    }
    Ok(())
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 60 s at 3 significant digits; the bounds are constants, so this cannot fail.
    Histogram::new_with_bounds(1, 60_000_000, 3).unwrap_or_else(|_| unreachable!("valid bounds"))
}

/// Connects and upgrades.
async fn open(
    addr: SocketAddr,
    path: &str,
    size: usize,
) -> anyhow::Result<(TcpStream, Connection)> {
    let mut stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connect to {addr}"))?;
    stream.set_nodelay(true)?;
    let (request, key) = client_request(&addr.to_string(), path, rand::random(), None);
    stream.write_all(&request).await?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    let (response, n) = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("server closed during the handshake");
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(found) = Response::parse(&buf)? {
            break found;
        }
    };
    check_response(&response, &key, &[])?;
    if n != buf.len() {
        bail!("server sent frames before any request");
    }
    let limit = size.max(1 << 20);
    let config = Config {
        role: Role::Client,
        max_frame_size: limit as u64,
        max_message_size: limit,
        deflate: None,
    };
    Ok((stream, Connection::new(config, rand::random())))
}

/// Sends and verifies until `duration` has passed.
async fn load(
    mut stream: TcpStream,
    mut conn: Connection,
    id: u64,
    size: usize,
    duration: Duration,
) -> Tally {
    let mut tally = Tally {
        messages: 0,
        bytes: 0,
        latency_us: histogram(),
        error: None,
    };
    let deadline = Instant::now() + duration;
    let mut payload = vec![0u8; size];
    let mut read_buf = vec![0u8; (size + 14).clamp(4096, 256 * 1024)];
    let mut seq: u64 = 0;
    while Instant::now() < deadline {
        // A different pattern per connection and message, so a misrouted or stale echo shows.
        let base = id
            .wrapping_mul(0x9E37_79B9)
            .wrapping_add(seq.wrapping_mul(31)) as u8;
        for (i, b) in payload.iter_mut().enumerate() {
            *b = base.wrapping_add(i as u8);
        }
        let sent = Instant::now();
        conn.send_binary(&payload);
        match round_trip(&mut stream, &mut conn, &mut read_buf).await {
            Ok(echo) if echo == payload => {}
            Ok(echo) => {
                tally.error = Some(format!(
                    "message {seq}: echo of {} bytes differs from the {size} sent",
                    echo.len()
                ));
                return tally;
            }
            Err(err) => {
                tally.error = Some(format!("message {seq}: {err:#}"));
                return tally;
            }
        }
        let micros = sent.elapsed().as_micros().clamp(1, 60_000_000) as u64;
        let _ = tally.latency_us.record(micros);
        tally.messages += 1;
        tally.bytes += size as u64;
        seq += 1;
    }
    conn.close(CloseCode::Normal, "");
    let _ = timeout(WAIT, round_trip(&mut stream, &mut conn, &mut read_buf)).await;
    tally
}

/// Writes what `conn` queued and reads until a binary message (the echo) or the close arrives.
async fn round_trip(
    stream: &mut TcpStream,
    conn: &mut Connection,
    read_buf: &mut [u8],
) -> anyhow::Result<Vec<u8>> {
    timeout(WAIT, stream.write_all(conn.output()))
        .await
        .context("write timed out")??;
    conn.clear_output();
    loop {
        let n = timeout(WAIT, stream.read(read_buf))
            .await
            .context("no echo within 10 s")??;
        if n == 0 {
            bail!("server closed the connection");
        }
        let mut input = &read_buf[..n];
        while let Some(event) = conn.receive(&mut input)? {
            match event {
                Event::Message(Message::Binary(data)) if input.is_empty() => return Ok(data),
                Event::Message(Message::Binary(_)) => bail!("more than one echo for one message"),
                Event::Closed(frame) => bail!("server closed: {frame:?}"),
                _ => {}
            }
        }
        if !conn.output().is_empty() {
            // A pong for a server ping.
            stream.write_all(conn.output()).await?;
            conn.clear_output();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let (addr, path) = parse_url("ws://127.0.0.1:9000/echo").unwrap();
        assert_eq!((addr.port(), path.as_str()), (9000, "/echo"));
        assert_eq!(parse_url("ws://[::1]:80").unwrap().1, "/");
        assert!(parse_url("wss://127.0.0.1:1/").is_err());
        assert!(parse_url("ws://localhost:80/").is_err());
    }
}
