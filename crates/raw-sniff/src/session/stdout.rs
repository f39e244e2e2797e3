//! Where the printers write: stdout, or nowhere with `-q`.

use std::io::{self, BufWriter, IsTerminal, Write};

use super::config::Output;
use crate::capture::CapturedFrame;
use crate::output::explain::ExplainPrinter;
use crate::output::json::JsonPrinter;
use crate::output::line::LinePrinter;
use crate::output::time::TimeFormat;
use crate::output::verbose::VerbosePrinter;
use crate::output::{PacketNumber, Printer};
use crate::style::Style;
use crate::ws::WsEvent;

/// The printer for `output`, writing to stdout.
pub(super) fn printer_for(output: Output, color: bool, time: TimeFormat) -> Box<dyn Printer> {
    let style = Style::new(color);
    let out = || Out::new(io::stdout().is_terminal());
    match output {
        Output::Quiet => Box::new(Silent),
        Output::Line => Box::new(LinePrinter::new(out(), style).with_time(time)),
        Output::Verbose => Box::new(VerbosePrinter::new(out(), style)),
        Output::Explain => Box::new(ExplainPrinter::new(out(), style)),
        Output::Json => Box::new(JsonPrinter::new(out())),
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

/// `-q`: packets are counted and saved, never shown.
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
