//! The capture loop: open the source, drop privileges, then for each frame filter, save,
//! decode once and print; on Ctrl-C, `-c` or `--duration`, flush everything and summarise.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use wire::pcap::Writer;

use crate::capture::{Capture, Drain, Frame, Next, Timestamp};
use crate::cli::{Opts, OutputKind};
use crate::output::explain::ExplainPrinter;
use crate::output::json::JsonPrinter;
use crate::output::line::LinePrinter;
use crate::output::verbose::VerbosePrinter;
use crate::output::Printer;
use crate::style::Style;
use crate::summary::{Counts, Summary};
use crate::user_filter::{self, UserFilter};
use raw_sniff::filter::Expr;

pub fn run(opts: Opts) -> Result<ExitCode> {
    if opts.list_interfaces {
        crate::interfaces::list()?;
        return Ok(ExitCode::SUCCESS);
    }
    let expr = match opts.filter_text() {
        Some(text) => Some(user_filter::parse(&text)?),
        None => None,
    };

    let mut source = open_source(&opts, expr.as_ref())?;
    if opts.dump_filter {
        let Some(expr) = &expr else {
            bail!("--dump-filter needs a filter expression");
        };
        print!("{}", user_filter::compile(expr, source.link_type())?);
        return Ok(ExitCode::SUCCESS);
    }
    #[cfg(unix)]
    if let Some(user) = &opts.user {
        crate::capture::privileges::drop_to(user)
            .with_context(|| format!("cannot drop privileges to {user}"))?;
    }
    #[cfg(not(unix))]
    if opts.user.is_some() {
        bail!("--user is available on Unix only");
    }
    let mut user_filter = match expr {
        Some(expr) if !source.filters_in_kernel() => {
            // Fail now, not at the first packet, if this link type cannot be filtered.
            user_filter::compile(&expr, source.link_type())?;
            Some(UserFilter::new(expr))
        }
        _ => None,
    };
    // Ready means ready: the file exists and a signal is heard from the ready line on.
    let mut saver = match &opts.write {
        Some(path) => Some(Saver::create(path)?),
        None => None,
    };
    // The handler goes in before the ready line: whoever reads that line may signal at once,
    // and a signal with no handler kills the process before the `-w` file is flushed.
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        // A second Ctrl-C while the first is being handled is simply the same request.
        ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed))
            .context("cannot install the Ctrl-C handler")?;
    }
    eprintln!(
        "raw-sniff: reading from {}, link type {}{}",
        source.describe(),
        source.link_type(),
        if source.filters_in_kernel() {
            ", filter run by the kernel"
        } else if user_filter.is_some() {
            ", filter run here"
        } else {
            ""
        }
    );

    let mut printer = printer_for(&opts);
    let mut counts = Counts::default();
    let deadline = opts.duration.map(|d| Instant::now() + d);
    let mut ws = WsStage::new(&opts);

    let outcome = capture_loop(
        source.as_mut(),
        &opts,
        &mut user_filter,
        &stop,
        deadline,
        &mut saver,
        printer.as_mut(),
        &mut counts,
        &mut ws,
    );
    // What the streams still hold (buffered segments, flows never closed) is reported last.
    let outcome = outcome.and_then(|()| ws.finish(printer.as_mut()));

    // Whatever ended the loop, what was captured is flushed before anything is reported.
    let flushed = finish(&mut saver, source.link_type(), printer.as_mut());
    let summary = Summary {
        counts: &counts,
        kernel: source.stats(),
        written_to: opts.write.as_deref(),
    };
    eprint!("{summary}");
    outcome?;
    flushed?;
    Ok(ExitCode::SUCCESS)
}

// Only the Linux packet socket takes the filter into the kernel.
#[cfg_attr(not(target_os = "linux"), allow(unused_variables))]
fn open_source(opts: &Opts, expr: Option<&Expr>) -> Result<Box<dyn Capture>> {
    if let Some(path) = &opts.read {
        return Ok(Box::new(crate::capture::file::PcapFile::open(path)?));
    }
    if opts.ip_raw {
        #[cfg(target_os = "linux")]
        {
            use crate::capture::sock_raw::{IpProto, SockRaw};
            return Ok(Box::new(SockRaw::open(&[
                IpProto::Tcp,
                IpProto::Udp,
                IpProto::Icmp,
            ])?));
        }
        #[cfg(windows)]
        {
            return Ok(Box::new(crate::capture::windows::RcvAll::open(
                opts.iface.as_deref(),
            )?));
        }
    }
    #[cfg(target_os = "linux")]
    {
        use crate::capture::afpacket::{link_type_for, AfPacket, Options};
        let iface = opts.iface.clone().unwrap_or_else(|| "any".to_owned());
        // The kernel runs the filter on frames as the socket gets them: with their Ethernet
        // header, or for a cooked socket from the network header on, asking the kernel for the
        // protocol the missing link header would have held.
        let link = link_type_for(&iface)?;
        let program = match expr {
            Some(expr) if link == wire::LinkType::Ethernet => {
                Some(user_filter::compile(expr, link)?)
            }
            Some(expr) => Some(
                raw_sniff::filter::compile_for_cooked_socket(expr)
                    .map_err(|err| anyhow::anyhow!("cannot compile the filter: {err}"))?,
            ),
            None => None,
        };
        let filter = program.map(|p| {
            p.instructions()
                .iter()
                .map(|i| socket2::SockFilter::new(i.code, i.jt, i.jf, i.k))
                .collect()
        });
        Ok(Box::new(AfPacket::open(&Options {
            iface,
            promisc: opts.promisc,
            buffer: opts.buffer_size.saturating_mul(1 << 20),
            ring: !opts.no_ring,
            filter,
        })?))
    }
    #[cfg(windows)]
    {
        Ok(Box::new(crate::capture::windows::RcvAll::open(
            opts.iface.as_deref(),
        )?))
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        bail!("live capture is implemented for Linux and Windows; use --read FILE here")
    }
}

fn printer_for(opts: &Opts) -> Box<dyn Printer> {
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let style = Style::new(terminal && !opts.no_color && std::env::var_os("NO_COLOR").is_none());
    if opts.quiet {
        return Box::new(Silent);
    }
    let out = Out::new(terminal);
    match opts.output_kind() {
        OutputKind::Line => Box::new(LinePrinter::new(out, style)),
        OutputKind::Verbose => Box::new(VerbosePrinter::new(out, style)),
        OutputKind::Explain => Box::new(ExplainPrinter::new(out, style)),
        OutputKind::Json => Box::new(JsonPrinter::new(out)),
    }
}

/// After a stop, the longest the loop goes on reading what the kernel captured before it: a
/// full default ring is read many times over in this time, and a source that cannot tell
/// frames captured after the stop from those before (it stamps them when read) still ends.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// A stop request being carried out: reading what was captured before it.
struct Draining {
    drain: Drain,
    since: Instant,
    /// The stop moment on the clock kernel timestamps use.
    at: Timestamp,
}

#[allow(clippy::too_many_arguments)]
fn capture_loop(
    source: &mut dyn Capture,
    opts: &Opts,
    filter: &mut Option<UserFilter>,
    stop: &AtomicBool,
    deadline: Option<Instant>,
    saver: &mut Option<Saver>,
    printer: &mut dyn Printer,
    counts: &mut Counts,
    ws: &mut WsStage,
) -> Result<()> {
    let mut draining: Option<Draining> = None;
    loop {
        if draining.is_none()
            && (stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d))
        {
            // Ctrl-C or --duration: what the kernel captured before this moment may still be
            // on its way (a ring block not handed over yet, a socket queue not read), and it
            // is kept like everything else.
            match source.drain() {
                None => return Ok(()),
                Some(drain) => {
                    draining = Some(Draining {
                        drain,
                        since: Instant::now(),
                        at: crate::capture::now(),
                    })
                }
            }
        }
        if draining
            .as_ref()
            .is_some_and(|d| d.since.elapsed() >= DRAIN_LIMIT)
        {
            return Ok(());
        }
        if opts.count.is_some_and(|c| counts.matched >= c) {
            return Ok(());
        }
        let frame = match source.next() {
            Ok(Next::Frame(frame)) => frame,
            Ok(Next::Idle) => {
                printer.flush()?;
                if let Some(saver) = saver {
                    saver.flush()?;
                }
                // Idle once the settle time is over: every frame from before the stop is in.
                if draining
                    .as_ref()
                    .is_some_and(|d| d.since.elapsed() >= d.drain.settle)
                {
                    return Ok(());
                }
                continue;
            }
            Ok(Next::End) => return Ok(()),
            Err(err) => return Err(err).context("capture failed"),
        };
        if draining
            .as_ref()
            .is_some_and(|d| d.drain.stamped_by_kernel && frame.ts > d.at)
        {
            // Captured after the stop, so neither it nor anything after belongs to this run.
            return Ok(());
        }
        counts.seen += 1;
        if let Some(filter) = filter {
            if !filter.matches(frame.link, frame.data, frame.orig_len)? {
                continue;
            }
        }
        counts.matched += 1;
        if let Some(saver) = saver {
            saver.write(&frame)?;
            counts.written += 1;
        }
        let decoded = wire::decode(frame.link, frame.data);
        counts.count_protocol(&decoded);
        if !opts.ws_only {
            printer.packet(counts.matched, &frame, &decoded)?;
        }
        ws.packet(&frame, &decoded, printer)?;
    }
}

fn finish(
    saver: &mut Option<Saver>,
    link: wire::LinkType,
    printer: &mut dyn Printer,
) -> Result<()> {
    let printed = printer.flush();
    if let Some(saver) = saver {
        saver.close(link)?;
    }
    printed.context("cannot write to stdout")
}

/// The `-w` file. Its header names the link type, known only from the first frame of a file
/// that mixes interfaces, so the pcap writer starts with that frame.
struct Saver {
    file: Option<BufWriter<File>>,
    writer: Option<Writer<BufWriter<File>>>,
    path: std::path::PathBuf,
}

impl Saver {
    fn create(path: &Path) -> Result<Saver> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Saver {
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            writer: None,
            path: path.to_owned(),
        })
    }

    fn start(&mut self, link: wire::LinkType) -> Result<()> {
        if let Some(file) = self.file.take() {
            self.writer = Some(
                Writer::new(file, link, raw_sniff::SNAPLEN, true)
                    .with_context(|| format!("cannot write {}", self.path.display()))?,
            );
        }
        Ok(())
    }

    fn write(&mut self, frame: &Frame<'_>) -> Result<()> {
        self.start(frame.link)?;
        if let Some(writer) = &mut self.writer {
            writer
                .write_packet(frame.ts, frame.data, frame.orig_len)
                .with_context(|| format!("cannot write {}", self.path.display()))?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if let Some(writer) = &mut self.writer {
            writer
                .flush()
                .with_context(|| format!("cannot write {}", self.path.display()))?;
        }
        Ok(())
    }

    /// Completes the file; an empty capture still gets a valid header.
    fn close(&mut self, link: wire::LinkType) -> Result<()> {
        self.start(link)?;
        self.flush()
    }
}

/// Stdout, flushed per packet on a terminal (someone is watching) and in large blocks when
/// piped (something is reading fast).
struct Out {
    inner: BufWriter<io::Stdout>,
    terminal: bool,
}

impl Out {
    fn new(terminal: bool) -> Out {
        Out {
            inner: BufWriter::with_capacity(64 * 1024, io::stdout()),
            terminal,
        }
    }
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if self.terminal && buf.ends_with(b"\n") {
            self.inner.flush()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The second input of the printers: WebSocket events out of reassembled TCP streams.
struct WsStage {
    tracker: crate::ws::Tracker,
    events: Vec<crate::ws::WsEvent>,
    full: bool,
    messages: bool,
    /// With -q nothing would be shown, so streams are not followed at all.
    off: bool,
}

impl WsStage {
    fn new(opts: &Opts) -> WsStage {
        WsStage {
            tracker: crate::ws::Tracker::new(crate::ws::WsConfig {
                ports: opts.ws_port.clone(),
                max_frame: if opts.ws_full {
                    16 << 20
                } else {
                    crate::ws::DEFAULT_MAX_FRAME
                },
                messages: opts.ws_messages,
            }),
            events: Vec::new(),
            full: opts.ws_full,
            messages: opts.ws_messages,
            off: opts.quiet,
        }
    }

    fn packet(
        &mut self,
        frame: &Frame<'_>,
        decoded: &wire::Decoded<'_>,
        printer: &mut dyn Printer,
    ) -> Result<()> {
        if self.off {
            return Ok(());
        }
        let ts = std::time::Duration::new(frame.ts.secs, frame.ts.nanos);
        self.tracker.packet(ts, decoded, &mut self.events);
        self.print(printer)
    }

    fn finish(&mut self, printer: &mut dyn Printer) -> Result<()> {
        self.tracker.finish(&mut self.events);
        if self.tracker.skipped() > 0 {
            eprintln!(
                "raw-sniff: {} TCP connections were not examined for WebSocket ({} were at once)",
                self.tracker.skipped(),
                crate::ws::MAX_EXAMINED
            );
        }
        self.print(printer)
    }

    fn print(&mut self, printer: &mut dyn Printer) -> Result<()> {
        for event in self.events.drain(..) {
            if self.messages && event.is_plain_data_frame() {
                // Its message is printed instead.
                continue;
            }
            printer.ws(&event, self.full)?;
        }
        Ok(())
    }
}

struct Silent;

impl Printer for Silent {
    fn packet(&mut self, _: u64, _: &Frame<'_>, _: &wire::Decoded<'_>) -> io::Result<()> {
        Ok(())
    }

    fn ws(&mut self, _: &crate::ws::WsEvent, _: bool) -> io::Result<()> {
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
