//! A capture session: open the source, drop privileges, then for each frame filter, save,
//! decode once and print; on a stop request, `count` or `duration`, flush everything and
//! summarise.
//!
//! A [`Session`] is built from a [`Config`] in two steps, so the caller can act between them:
//! [`Session::open`] does everything that can fail before the first packet (the source, the
//! privilege drop, the filter, the `-w` file), and [`Session::run`] reads until told to stop
//! and returns the [`Summary`]. Between the two the caller installs whatever sets the stop
//! flag, then announces the capture (what it says is [`Session::source_description`],
//! [`Session::link_type`] and [`Session::filter_site`]): a signal arriving before its handler
//! exists should end the process, as it always has, not start a drain.
//!
//! The session prints nothing on stderr itself: notes go to the caller's `on_note` as they
//! happen, and the summary and errors are returned.

mod config;
mod error;
mod file_names;
mod graph_stage;
mod open;
mod packet_file;
mod save_options;
mod saver;
mod snap;
mod stdout;
// Several sockets of one PACKET_FANOUT group, each read by its own thread: Linux only.
#[cfg_attr(not(target_os = "linux"), path = "threads_elsewhere.rs")]
mod threads;
mod ws_stage;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub use config::{Config, FlowOptions, Live, Output, Source, WsOptions};
pub use error::SessionError;
pub use save_options::{SaveFormat, SaveOptions};

pub use crate::summary::Summary;

use crate::capture::{Capture, Drain, LinkType, Next, Timestamp};
use crate::filter::Program;
use crate::note::Note;
use crate::output::{PacketNumber, Printer};
use crate::summary::Counts;
use crate::user_filter::{self, UserFilter};
use graph_stage::GraphStage;
use saver::{Rotation, Saver};
use ws_stage::WsStage;

/// After a stop, the longest the loop goes on reading what the kernel captured before it: a
/// full default ring is read many times over in this time, and a source that cannot tell
/// frames captured after the stop from those before (it stamps them when read) still ends.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// The compiled form of `config`'s filter for the link type its source delivers, as
/// `tcpdump -d` shows it; `None` when there is no filter. The source is opened to learn its
/// link type, and closed again; what it says on the way goes to `on_note`.
pub fn filter_program(
    config: &Config,
    on_note: &mut dyn FnMut(Note),
) -> Result<Option<Program>, SessionError> {
    let source = open::open_source(&config.source, config.filter.as_ref(), on_note)?;
    let program = config
        .filter
        .as_ref()
        .map(|expr| match (&config.source, source.link_type()) {
            // What the kernel runs: the same as for a file but for metadata loads.
            #[cfg(target_os = "linux")]
            (Source::Interface(_), wire::LinkType::Ethernet) => open::ethernet_socket_program(expr),
            (_, link) => user_filter::compile_written(expr, link, source.written_big_endian()),
        })
        .transpose()?;
    Ok(program)
}

/// Where a capture's filter runs, for the line announcing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterSite {
    /// In the kernel, attached to the socket: frames that do not match are never copied.
    Kernel,
    /// Here, in the interpreter, on every frame read.
    Here,
}

/// How a capture ended: what it saw, and the error that cut it short if one did. The summary
/// is there either way, as the frames before an error were captured all the same.
#[derive(Debug)]
pub struct Finished {
    /// What the capture saw.
    pub summary: Summary,
    /// `Err` when an error ended the capture; stdout and the `-w` file were flushed anyway.
    pub result: Result<(), SessionError>,
}

/// An open capture, ready to run.
pub struct Session {
    config: Config,
    source: Box<dyn Capture>,
    /// The filter, where the kernel does not run it.
    filter: Option<UserFilter>,
    saver: Option<Saver>,
    printer: Box<dyn Printer>,
    counts: Counts,
    ws: WsStage,
    /// `--graph`'s time-sequence graphs.
    graph: Option<GraphStage>,
    /// The other threads' sockets and every thread's `-w` file, when the capture is read by
    /// several threads (`source` is then the first thread's socket).
    threads: Option<threads::Group>,
}

/// A stop request being carried out: reading what was captured before it.
struct Draining {
    drain: Drain,
    since: Instant,
    /// The stop moment on the clock kernel timestamps use.
    at: Timestamp,
}

impl Draining {
    /// Called once per turn of a capture loop; `false` when the loop is to end now. On a stop
    /// or at the deadline, what the kernel captured before that moment may still be on its way
    /// (a ring block not handed over yet, a socket queue not read), and it is kept like
    /// everything else: the loop goes on draining it for at most `DRAIN_LIMIT`.
    fn keep_going(
        draining: &mut Option<Draining>,
        source: &dyn Capture,
        stop: &AtomicBool,
        deadline: Option<Instant>,
    ) -> bool {
        if draining.is_none()
            && (stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d))
        {
            let Some(drain) = source.drain() else {
                return false;
            };
            *draining = Some(Draining {
                drain,
                since: Instant::now(),
                at: crate::capture::now(),
            });
        }
        !draining
            .as_ref()
            .is_some_and(|d| d.since.elapsed() >= DRAIN_LIMIT)
    }
}

impl Session {
    /// Opens the source, drops privileges to `config.user`, readies the filter and creates
    /// the `-w` file: everything that can fail before the first packet. What the source has
    /// to say on the way (a fallback it took) goes to `on_note`.
    pub fn open(config: Config, on_note: &mut dyn FnMut(Note)) -> Result<Session, SessionError> {
        if matches!(&config.source, Source::Interface(live) if live.threads > 1) {
            return threads::open(config, on_note);
        }
        let source = open::open_source(&config.source, config.filter.as_ref(), on_note)?;
        #[cfg(unix)]
        if let Some(user) = &config.user {
            crate::capture::privileges::drop_to(user).map_err(|source| {
                SessionError::DropPrivileges {
                    user: user.clone(),
                    source,
                }
            })?;
        }
        #[cfg(not(unix))]
        if config.user.is_some() {
            return Err(SessionError::UserUnsupported);
        }
        let filter = match &config.filter {
            Some(expr) if !source.filters_in_kernel() => {
                // Fail now, not at the first packet, if this link type cannot be filtered.
                let link = source.link_type();
                let big_endian = source.written_big_endian();
                let program = user_filter::compile_written_any_length(expr, link, big_endian)?;
                Some(
                    UserFilter::with_program(expr.clone(), link, program)
                        .written_big_endian(big_endian),
                )
            }
            _ => None,
        };
        // Ready means ready: the file exists before the capture is announced.
        let saver = match &config.write {
            Some(path) => Some(Saver::create(
                path,
                &config.save,
                open::interface_name(&config.source),
            )?),
            None => None,
        };
        let quiet = matches!(config.output, Output::Quiet | Output::Count);
        Ok(Session {
            printer: match &config.flow {
                Some(flow) if flow.ladder => stdout::ladder_printer(flow, config.color),
                _ => stdout::printer_for(
                    config.output,
                    config.color,
                    config.line,
                    config.line_buffered,
                    config.time,
                ),
            },
            ws: WsStage::new(&config.ws, quiet, config.output.never_shortens()),
            graph: config
                .flow
                .as_ref()
                .and_then(|f| Some(GraphStage::new(f.graph.clone()?, f.stream))),
            config,
            source,
            filter,
            saver,
            counts: Counts::default(),
            threads: None,
        })
    }

    /// How packets are received, for the line announcing the capture.
    pub fn source_description(&self) -> String {
        self.source.describe()
    }

    /// The link type of the frames (a file may mix several; this is its first).
    pub fn link_type(&self) -> LinkType {
        self.source.link_type()
    }

    /// Where the filter runs; `None` without a filter.
    pub fn filter_site(&self) -> Option<FilterSite> {
        if self.source.filters_in_kernel() {
            Some(FilterSite::Kernel)
        } else if self.filter.is_some() {
            Some(FilterSite::Here)
        } else {
            None
        }
    }

    /// Captures until the source ends, `count` packets have matched, `duration` has passed or
    /// `stop` is set; flushes stdout and the `-w` file and returns the summary, whatever ended
    /// the capture. Notes on the way go to `on_note`.
    pub fn run(mut self, stop: &AtomicBool, on_note: &mut dyn FnMut(Note)) -> Finished {
        if let Some(group) = self.threads.take() {
            return threads::run(self, group, stop, on_note);
        }
        let deadline = self.config.duration.map(|d| Instant::now() + d);
        let outcome = self.capture_loop(stop, deadline);
        if let Some(files) = self.saver.as_ref().and_then(Saver::file_limit_reached) {
            on_note(Note::FileLimitReached(files));
        }
        // What the streams still hold (buffered segments, flows never closed) is reported last.
        let outcome = outcome.and_then(|()| self.ws.finish(self.printer.as_mut(), on_note));
        let outcome = outcome.and_then(|()| match &mut self.graph {
            Some(graph) => graph.finish(on_note),
            None => Ok(()),
        });

        // Whatever ended the loop, what was captured is flushed before anything is reported.
        let flushed = self.finish();
        Finished {
            summary: Summary {
                kernel: self.source.stats(),
                counts: self.counts,
                written_to: self.config.write,
                threads: Vec::new(),
            },
            result: outcome.and(flushed),
        }
    }

    fn capture_loop(
        &mut self,
        stop: &AtomicBool,
        deadline: Option<Instant>,
    ) -> Result<(), SessionError> {
        let mut draining: Option<Draining> = None;
        loop {
            if !Draining::keep_going(&mut draining, &*self.source, stop, deadline) {
                return Ok(());
            }
            if self.config.count.is_some_and(|c| self.counts.matched >= c) {
                return Ok(());
            }
            let (frame, interface_name) = match self.source.next_named() {
                Ok((Next::Frame(frame), name)) => (frame, name),
                Ok((Next::Idle, _)) => {
                    self.printer.flush().map_err(SessionError::Output)?;
                    if let Some(saver) = &mut self.saver {
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
                Ok((Next::End, _)) => return Ok(()),
                Err(err) => return Err(SessionError::Read(err)),
            };
            if draining
                .as_ref()
                .is_some_and(|d| d.drain.stamped_by_kernel && frame.ts > d.at)
            {
                // Captured after the stop, so neither it nor anything after belongs to this run.
                return Ok(());
            }
            self.counts.seen += 1;
            if let Some(filter) = &mut self.filter {
                if !filter.matches(frame.link, frame.data, frame.orig_len)? {
                    continue;
                }
            }
            if let Some(saver) = &mut self.saver {
                if saver.rotate_on_time(frame.link)? == Rotation::FileLimitReached {
                    return Ok(());
                }
            }
            self.counts.matched += 1;
            // `-s`: cut after the filter, which (as in the kernel) sees the whole frame.
            let frame = match self.config.source {
                Source::File(_) => frame,
                _ => snap::cut(frame, self.config.snaplen),
            };
            if let Some(saver) = &mut self.saver {
                saver.write(&frame, interface_name)?;
                self.counts.written += 1;
                if self.config.packet_buffered {
                    saver.flush()?;
                }
            }
            let decoded = wire::decode(frame.link, frame.data);
            self.counts.count_protocol(&decoded);
            if !self.config.ws.only {
                self.printer
                    .packet(
                        PacketNumber {
                            matched: self.counts.matched,
                            in_capture: self.counts.seen,
                        },
                        &frame,
                        &decoded,
                    )
                    .map_err(SessionError::Output)?;
            }
            self.ws.packet(&frame, &decoded, self.printer.as_mut())?;
            if let Some(graph) = &mut self.graph {
                graph.packet(&frame, &decoded)?;
            }
        }
    }

    /// Flushes stdout and completes the `-w` file.
    fn finish(&mut self) -> Result<(), SessionError> {
        let printed = self.printer.finish();
        if let Some(saver) = &mut self.saver {
            saver.close(self.source.link_type())?;
        }
        let printed = printed.map_err(SessionError::FlushOutput);
        match self.config.output {
            Output::Count => printed.and_then(|()| stdout::print_count(self.counts.matched)),
            _ => printed,
        }
    }
}
