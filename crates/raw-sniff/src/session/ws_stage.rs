//! The second input of the printers: WebSocket events out of reassembled TCP streams.

use super::config::WsOptions;
use super::SessionError;
use crate::capture::CapturedFrame;
use crate::note::Note;
use crate::output::Printer;
use crate::ws::{Tracker, WsConfig, WsEvent, DEFAULT_MAX_FRAME};

/// Largest frame decoded whole with `--ws-full` (and for JSON).
const FULL_MAX_FRAME: u64 = 16 << 20;

/// Follows TCP streams for WebSocket and hands what it finds to the printer.
pub(super) struct WsStage {
    tracker: Tracker,
    events: Vec<WsEvent>,
    full: bool,
    messages: bool,
    /// With --no-print or --count nothing would be shown, so streams are not followed at all.
    off: bool,
}

impl WsStage {
    /// `whole` when the output is for machines (JSON), which never shortens a payload: frames
    /// are then decoded whole up to the cap `--ws-full` uses, and shown whole.
    pub(super) fn new(opts: &WsOptions, quiet: bool, whole: bool) -> WsStage {
        let full = opts.full || whole;
        WsStage {
            tracker: Tracker::new(WsConfig {
                ports: opts.ports.clone(),
                max_frame: if full {
                    FULL_MAX_FRAME
                } else {
                    DEFAULT_MAX_FRAME
                },
                messages: opts.messages,
                max_conns: opts.max_conns,
                // A line shows a frame's first bytes only: nothing else need be kept.
                preview: (!full).then_some(crate::output::ws::SHOWN),
            }),
            events: Vec::new(),
            full,
            messages: opts.messages,
            off: quiet,
        }
    }

    pub(super) fn packet(
        &mut self,
        frame: &CapturedFrame<'_>,
        decoded: &wire::Decoded<'_>,
        printer: &mut dyn Printer,
    ) -> Result<(), SessionError> {
        if self.off {
            return Ok(());
        }
        let ts = std::time::Duration::new(frame.ts.secs, frame.ts.nanos);
        self.tracker.packet(ts, decoded, &mut self.events);
        self.print(printer)
    }

    /// Reports what the streams still hold, and tells `on_note` if connections went
    /// unexamined.
    pub(super) fn finish(
        &mut self,
        printer: &mut dyn Printer,
        on_note: &mut dyn FnMut(Note),
    ) -> Result<(), SessionError> {
        self.tracker.finish(&mut self.events);
        if self.tracker.skipped() > 0 {
            on_note(Note::WsNotExamined {
                skipped: self.tracker.skipped(),
                at_once: self.tracker.max_conns(),
            });
        }
        self.print(printer)
    }

    fn print(&mut self, printer: &mut dyn Printer) -> Result<(), SessionError> {
        for event in self.events.drain(..) {
            if self.messages && event.is_plain_data_frame() {
                // Its message is printed instead.
                continue;
            }
            printer
                .ws(&event, self.full)
                .map_err(SessionError::Output)?;
        }
        Ok(())
    }
}
