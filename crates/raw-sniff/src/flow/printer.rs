//! `--flow`: the printer that draws each TCP conversation as a ladder once it is over (a
//! reset, or both FINs acknowledged), and the ones still open at the end of the capture.

use std::collections::HashMap;
use std::io::{self, Write};
use std::time::Duration;

use wire::Decoded;

use super::ladder::{self, Look};
use super::track::{Key, Tracker, MAX_CONVERSATIONS};
use super::ws_note;
use crate::capture::CapturedFrame;
use crate::output::{PacketNumber, Printer};
use crate::ws::WsEvent;

/// Draws conversations as ladders on `out`.
pub struct LadderPrinter<W: Write> {
    out: W,
    look: Look,
    tracker: Tracker,
    /// The WebSocket tracker's flow numbers, to find the conversation an event belongs to.
    ws_flows: HashMap<u64, Key>,
    only: Option<u64>,
    drawn: u64,
}

impl<W: Write> LadderPrinter<W> {
    /// A printer drawing every conversation, or only stream `only` (tshark's `tcp.stream`).
    pub fn new(out: W, look: Look, only: Option<u64>) -> LadderPrinter<W> {
        LadderPrinter {
            out,
            look,
            tracker: Tracker::new(only),
            ws_flows: HashMap::new(),
            only,
            drawn: 0,
        }
    }

    /// What was written, for tests.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn draw(&mut self, all: bool) -> io::Result<()> {
        let done = if all {
            self.tracker.take_all()
        } else {
            self.tracker.take_ended()
        };
        for c in done {
            if self.drawn > 0 {
                writeln!(self.out)?;
            }
            self.drawn += 1;
            self.out
                .write_all(ladder::draw(&c, &self.look).as_bytes())?;
        }
        Ok(())
    }
}

impl<W: Write> Printer for LadderPrinter<W> {
    fn packet(
        &mut self,
        _: PacketNumber,
        frame: &CapturedFrame<'_>,
        decoded: &Decoded<'_>,
    ) -> io::Result<()> {
        // Drawn now, not when its last packet came: the WebSocket events that packet
        // completed arrive after it, and belong on its arrow.
        self.draw(false)?;
        let ts = Duration::new(frame.ts.secs, frame.ts.nanos);
        self.tracker.packet(ts, decoded);
        Ok(())
    }

    fn ws(&mut self, event: &WsEvent, _full: bool) -> io::Result<()> {
        let key = match event {
            WsEvent::Handshake(hs) => {
                let key = Key::new(hs.client, hs.server);
                self.ws_flows.insert(hs.flow, key);
                Some(key)
            }
            WsEvent::Joined {
                flow,
                client,
                server,
            } => {
                let key = Key::new(*client, *server);
                self.ws_flows.insert(*flow, key);
                Some(key)
            }
            WsEvent::Frame { flow, .. }
            | WsEvent::Message { flow, .. }
            | WsEvent::Note { flow, .. } => self.ws_flows.get(flow).copied(),
            WsEvent::Closed { flow, .. } => {
                self.ws_flows.remove(flow);
                None
            }
        };
        if let (Some(key), Some(note)) = (key, ws_note::note(event)) {
            if let Some(c) = self.tracker.get_mut(&key) {
                c.note_last(note);
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.draw(false)?;
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.draw(true)?;
        if self.tracker.not_kept > 0 {
            writeln!(
                self.out,
                "\nTCP conversations not drawn: {} (each began while {MAX_CONVERSATIONS} others were open)",
                self.tracker.not_kept
            )?;
        }
        match self.only {
            Some(n) if self.drawn == 0 => writeln!(
                self.out,
                "no TCP stream {n} in this capture: it has {} (numbered from 0)",
                match self.tracker.streams() {
                    1 => "1 stream".to_owned(),
                    k => format!("{k} streams"),
                }
            )?,
            None if self.drawn == 0 => writeln!(self.out, "no TCP conversation in this capture")?,
            _ => {}
        }
        self.out.flush()
    }
}
