//! Where the printers write: stdout, or nowhere with `--no-print` and `--count`.

use std::io::{self, BufWriter, IsTerminal, Write};

use super::config::Output;
use crate::capture::CapturedFrame;
use crate::flow::{FlowOptions, Glyphs, LadderPrinter, Look};
use crate::output::ek::EkPrinter;
use crate::output::explain::ExplainPrinter;
use crate::output::json::JsonPrinter;
use crate::output::line::{LineOptions, LinePrinter};
use crate::output::time::TimeFormat;
use crate::output::verbose::VerbosePrinter;
use crate::output::{PacketNumber, Printer};
use crate::style::Style;
use crate::ws::WsEvent;

/// The printer for `output`, writing to stdout; `line` is what the one-line output adds,
/// `line_buffered` flushes each line even when stdout is not a terminal (`-l`), and `time` is
/// how the one-line output writes each packet's time.
pub(super) fn printer_for(
    output: Output,
    color: bool,
    line: LineOptions,
    line_buffered: bool,
    time: TimeFormat,
) -> Box<dyn Printer> {
    let style = Style::new(color);
    let out = || Out::new(line_buffered || io::stdout().is_terminal());
    match output {
        Output::Quiet | Output::Count => Box::new(Silent),
        Output::Line => Box::new(LinePrinter::with_options(out(), style, line).with_time(time)),
        Output::Verbose => Box::new(VerbosePrinter::new(out(), style)),
        Output::Explain => Box::new(ExplainPrinter::new(out(), style)),
        Output::Json => Box::new(JsonPrinter::new(out())),
        Output::JsonEk => Box::new(EkPrinter::new(out())),
    }
}

/// Stdout, flushed per packet on a terminal (someone is watching) or with `-l`, and in large
/// blocks when piped (something is reading fast).
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

/// `--count`'s last words, as tcpdump says them: `1 packet`, `2 packets`.
pub(super) fn print_count(matched: u64) -> Result<(), super::SessionError> {
    let plural = if matched == 1 { "" } else { "s" };
    let mut out = io::stdout().lock();
    writeln!(out, "{matched} packet{plural}")
        .and_then(|()| out.flush())
        .map_err(super::SessionError::Output)
}

/// `--no-print` and `--count`: packets are counted and saved, never shown.
struct Silent;

impl Printer for Silent {
    fn packet(
        &mut self,
        _: PacketNumber,
        _: &CapturedFrame<'_>,
        _: &wire::Decoded<'_>,
    ) -> io::Result<()> {
        Ok(())
    }

    fn ws(&mut self, _: &WsEvent, _: bool) -> io::Result<()> {
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `--flow`'s printer, drawing ladders on stdout.
pub(super) fn ladder_printer(flow: &FlowOptions, color: bool) -> Box<dyn Printer> {
    let look = Look {
        width: flow.width,
        glyphs: if flow.ascii {
            Glyphs::ASCII
        } else {
            Glyphs::UNICODE
        },
        style: Style::new(color),
    };
    let out = Out::new(io::stdout().is_terminal());
    Box::new(LadderPrinter::new(out, look, flow.stream))
}
