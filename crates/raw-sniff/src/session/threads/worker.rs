//! One thread of a multi-threaded capture: its socket's frames filtered, saved to its own
//! file, decoded, followed for WebSocket and printed into batches of (time, bytes) for the
//! merge. Everything here belongs to the thread; only the packet numbers, `-c`'s total and the
//! channel to the merge are shared.
//!
//! It is the single-socket loop of `Session::capture_loop` with those differences: a packet's
//! numbers and `-c` come from counters all threads take from, and what a packet prints is cut
//! off after it and sent, stamped with its time, so the merge can put it in place.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use super::merge::{earlier, Batch, Message, SETTLE};
use super::Shared;
use crate::capture::{Capture, Next, Timestamp};
use crate::filter::Expr;
use crate::note::Note;
use crate::output::ek::EkPrinter;
use crate::output::explain::ExplainPrinter;
use crate::output::json::JsonPrinter;
use crate::output::line::LinePrinter;
use crate::output::verbose::VerbosePrinter;
use crate::output::{PacketNumber, Printer};
use crate::session::config::{Config, Output};
use crate::session::saver::Saver;
use crate::session::ws_stage::WsStage;
use crate::session::{snap, stdout, Draining, SessionError};
use crate::style::Style;
use crate::summary::Counts;
use crate::user_filter::{self, UserFilter};

/// A batch goes to the merge once it holds this many packets' output…
pub(super) const BATCH_PACKETS: usize = 256;
/// …or this many bytes…
pub(super) const BATCH_BYTES: usize = 256 * 1024;
/// …or spans this much capture time, so a trickle is not held back until the next pause.
pub(super) const BATCH_SPAN: Duration = Duration::from_millis(50);

/// What a thread leaves when it ends.
pub(super) struct WorkerEnd {
    pub(super) counts: Counts,
    pub(super) kernel: crate::capture::Stats,
    pub(super) notes: Vec<Note>,
    pub(super) result: Result<(), SessionError>,
}

/// Where a thread's printer writes: a buffer the thread empties after each packet.
#[derive(Clone, Default)]
struct Printed(Rc<RefCell<Vec<u8>>>);

impl Write for Printed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One capture thread.
pub(super) struct Worker<'a> {
    thread: usize,
    config: &'a Config,
    shared: &'a Shared,
    saver: Option<Saver>,
    filter: Option<UserFilter>,
    to_merge: Option<SyncSender<Message>>,
    counts: Counts,
    notes: Vec<Note>,
}

/// The printing half of a thread, made on the thread itself (it is not `Send`).
struct Printing {
    printer: Box<dyn Printer>,
    printed: Printed,
    ws: WsStage,
    batch: Batch,
    /// The latest capture time read so far (or the clock, when the socket had nothing).
    caught_up: Timestamp,
}

impl<'a> Worker<'a> {
    pub(super) fn new(
        thread: usize,
        config: &'a Config,
        shared: &'a Shared,
        saver: Option<Saver>,
        filter: Option<UserFilter>,
        to_merge: Option<SyncSender<Message>>,
    ) -> Worker<'a> {
        Worker {
            thread,
            config,
            shared,
            saver,
            filter,
            to_merge,
            counts: Counts::default(),
            notes: Vec::new(),
        }
    }

    /// Reads `source` until the stop, the deadline or the halt; then reports what the
    /// streams still hold, closes the `-w` file and says what it saw.
    pub(super) fn run(
        mut self,
        source: &mut dyn Capture,
        stop: &AtomicBool,
        deadline: Option<Instant>,
    ) -> WorkerEnd {
        let quiet = matches!(self.config.output, Output::Quiet | Output::Count);
        let printed = Printed::default();
        let mut printing = Printing {
            printer: printer_into(self.config, printed.clone()),
            printed,
            ws: WsStage::new(&self.config.ws, quiet, self.config.output.never_shortens()),
            batch: Batch::new(self.thread),
            caught_up: Timestamp::default(),
        };
        let mut result = self.capture_loop(source, &mut printing, stop, deadline);
        if result.is_err() {
            self.shared.halt.store(true, Ordering::Relaxed);
        }
        let mut notes = Vec::new();
        let finished = printing
            .ws
            .finish(printing.printer.as_mut(), &mut |n| notes.push(n))
            .and_then(|()| printing.printer.finish().map_err(SessionError::FlushOutput));
        self.notes.extend(notes);
        // What the streams held at the end comes after every packet.
        printing.cut(Timestamp {
            secs: u64::MAX,
            nanos: 0,
        });
        printing.caught_up = Timestamp {
            secs: u64::MAX,
            nanos: 0,
        };
        self.send(&mut printing);
        if let Some(saver) = &mut self.saver {
            let closed = saver.close(source.link_type());
            result = result.and(closed);
        }
        WorkerEnd {
            counts: self.counts,
            kernel: source.stats(),
            notes: self.notes,
            result: result.and(finished),
        }
    }

    fn capture_loop(
        &mut self,
        source: &mut dyn Capture,
        printing: &mut Printing,
        stop: &AtomicBool,
        deadline: Option<Instant>,
    ) -> Result<(), SessionError> {
        if self.filter.is_none() && !source.filters_in_kernel() {
            if let Some(expr) = &self.config.filter {
                self.filter = Some(user_filter(expr, source)?);
            }
        }
        let mut draining: Option<Draining> = None;
        loop {
            if self.shared.halt.load(Ordering::Relaxed) {
                return Ok(());
            }
            if !Draining::keep_going(&mut draining, source, stop, deadline) {
                return Ok(());
            }
            let frame = match source.next() {
                Ok(Next::Frame(frame)) => frame,
                Ok(Next::Idle) => {
                    if let Some(saver) = &mut self.saver {
                        saver.flush()?;
                    }
                    // Nothing was waiting: whatever comes next was captured from about now.
                    printing.caught_up = printing.caught_up.max(crate::capture::now());
                    self.send(printing);
                    if draining
                        .as_ref()
                        .is_some_and(|d| d.since.elapsed() >= d.drain.settle)
                    {
                        return Ok(());
                    }
                    continue;
                }
                Ok(Next::End) => return Ok(()),
                Err(err) => return Err(SessionError::Read(err)),
            };
            if draining
                .as_ref()
                .is_some_and(|d| d.drain.stamped_by_kernel && frame.ts > d.at)
            {
                return Ok(());
            }
            self.counts.seen += 1;
            let in_capture = self.shared.seen.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(filter) = &mut self.filter {
                if !filter.matches(frame.link, frame.data, frame.orig_len)? {
                    continue;
                }
            }
            let matched = self.shared.matched.fetch_add(1, Ordering::Relaxed) + 1;
            if self.config.count.is_some_and(|c| matched > c) {
                // Another thread took the last packet -c allows.
                self.shared.halt.store(true, Ordering::Relaxed);
                return Ok(());
            }
            self.counts.matched += 1;
            let frame = snap::cut(frame, self.config.snaplen);
            if let Some(saver) = &mut self.saver {
                saver.write(&frame, None)?;
                self.counts.written += 1;
                if self.config.packet_buffered {
                    saver.flush()?;
                }
            }
            let decoded = wire::decode(frame.link, frame.data);
            self.counts.count_protocol(&decoded);
            if !self.config.ws.only {
                printing
                    .printer
                    .packet(
                        PacketNumber {
                            matched,
                            in_capture,
                        },
                        &frame,
                        &decoded,
                    )
                    .map_err(SessionError::Output)?;
            }
            printing
                .ws
                .packet(&frame, &decoded, printing.printer.as_mut())?;
            printing.caught_up = printing.caught_up.max(frame.ts);
            printing.cut(frame.ts);
            if printing.batch.due(frame.ts) {
                self.send(printing);
            }
            if self.config.count.is_some_and(|c| matched >= c) {
                self.shared.halt.store(true, Ordering::Relaxed);
                return Ok(());
            }
        }
    }

    /// Sends the batch so far to the merge, with how far this thread has read.
    fn send(&mut self, printing: &mut Printing) {
        let Some(to_merge) = &self.to_merge else {
            return;
        };
        let settled = earlier(printing.caught_up, SETTLE);
        let batch = printing.batch.take(settled);
        if to_merge.send(Message::Batch(batch)).is_err() {
            // The merge has ended (stdout failed): nothing more to print, and the halt it set
            // stops the loop.
            self.to_merge = None;
        }
    }
}

impl Printing {
    /// Everything printed since the last cut is one packet's, captured at `ts`.
    fn cut(&mut self, ts: Timestamp) {
        let mut printed = self.printed.0.borrow_mut();
        if !printed.is_empty() {
            // A copy of the exact size, and the buffer keeps its room for the next packet.
            self.batch.push(ts, printed.to_vec());
            printed.clear();
        }
    }
}

/// Ready to run `expr` here, for a socket the kernel does not filter for.
pub(super) fn user_filter(expr: &Expr, source: &dyn Capture) -> Result<UserFilter, SessionError> {
    let link = source.link_type();
    let program = user_filter::compile_written_any_length(expr, link, false)?;
    Ok(UserFilter::with_program(expr.clone(), link, program))
}

/// The printer `config.output` asks for, writing into `printed` rather than stdout.
fn printer_into(config: &Config, printed: Printed) -> Box<dyn Printer> {
    let style = Style::new(config.color);
    match config.output {
        Output::Quiet | Output::Count => {
            stdout::printer_for(config.output, false, config.line, false, config.time)
        }
        Output::Line => {
            Box::new(LinePrinter::with_options(printed, style, config.line).with_time(config.time))
        }
        Output::Verbose => Box::new(VerbosePrinter::new(printed, style)),
        Output::Explain => Box::new(ExplainPrinter::new(printed, style)),
        Output::Json => Box::new(JsonPrinter::new(printed)),
        Output::JsonEk => Box::new(EkPrinter::new(printed)),
    }
}
