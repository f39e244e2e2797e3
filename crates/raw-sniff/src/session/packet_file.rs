//! One `-w` file, pcap or pcapng, and how many bytes it holds (what `-C` measures).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use wire::pcap::{InterfaceInfo, NgWriteError, NgWriter, SectionInfo, Writer};
use wire::LinkType;

use super::{SaveFormat, SessionError};
use crate::capture::CapturedFrame;

/// What the application is, in every pcapng section header.
const USER_APPL: &str = concat!("raw-sniff ", env!("CARGO_PKG_VERSION"));

/// What a pcapng interface description records about the capture.
#[derive(Debug, Clone, Copy)]
pub(super) struct Recorded<'a> {
    /// The interface's name: the live interface, `any`, or what the input file named it.
    pub(super) name: Option<&'a str>,
    /// The filter as written.
    pub(super) filter: Option<&'a str>,
    /// A comment on the interface naming the filter.
    pub(super) comment: Option<&'a str>,
}

/// A file being written. Classic pcap's header names one link type, known from the first
/// frame, so it is written with that frame; pcapng's section header is written at once and an
/// interface description before the first frame of each link type and interface.
pub(super) struct PacketFile {
    path: PathBuf,
    state: State,
    /// The snap length the header states.
    snaplen: u32,
}

enum State {
    /// Classic pcap before its first frame.
    Pending(Counting<BufWriter<File>>),
    Pcap(Writer<Counting<BufWriter<File>>>),
    PcapNg(NgWriter<Counting<BufWriter<File>>>),
    /// After a write error: the file is abandoned.
    Failed,
}

impl PacketFile {
    /// Creates (or truncates) `path`.
    pub(super) fn create(
        path: &Path,
        format: SaveFormat,
        snaplen: u32,
    ) -> Result<PacketFile, SessionError> {
        let file = File::create(path).map_err(|source| SessionError::CreateFile {
            path: path.to_owned(),
            source,
        })?;
        let out = Counting {
            inner: BufWriter::with_capacity(1 << 20, file),
            written: 0,
        };
        let mut file = PacketFile {
            path: path.to_owned(),
            state: State::Pending(out),
            snaplen,
        };
        if format == SaveFormat::PcapNg {
            let State::Pending(out) = std::mem::replace(&mut file.state, State::Failed) else {
                unreachable!("created pending")
            };
            let section = SectionInfo {
                user_appl: Some(USER_APPL),
                os: Some(std::env::consts::OS),
                comment: None,
            };
            match NgWriter::new(out, &section) {
                Ok(w) => file.state = State::PcapNg(w),
                Err(e) => return Err(file.ng_error(e)),
            }
        }
        Ok(file)
    }

    /// Bytes written so far, buffered ones included (as tcpdump's `ftell` counts them).
    pub(super) fn len(&self) -> u64 {
        match &self.state {
            State::Pending(out) => out.written,
            State::Pcap(w) => w.get_ref().written,
            State::PcapNg(w) => w.get_ref().written,
            State::Failed => 0,
        }
    }

    /// Appends a frame.
    pub(super) fn write(
        &mut self,
        frame: &CapturedFrame<'_>,
        recorded: Recorded<'_>,
    ) -> Result<(), SessionError> {
        self.start(frame.link)?;
        let result = match &mut self.state {
            State::Pcap(w) => w
                .write_packet(frame.ts, frame.data, frame.orig_len)
                .map_err(NgWriteError::Io),
            State::PcapNg(w) => w
                .interface_for(&interface(frame.link, recorded, self.snaplen))
                .and_then(|id| w.write_packet(id, frame.ts, frame.data, frame.orig_len)),
            State::Pending(_) | State::Failed => Ok(()),
        };
        result.map_err(|e| self.ng_error(e))
    }

    /// Writes out what is buffered.
    pub(super) fn flush(&mut self) -> Result<(), SessionError> {
        let result = match &mut self.state {
            State::Pending(out) => out.flush(),
            State::Pcap(w) => w.flush(),
            State::PcapNg(w) => w.flush(),
            State::Failed => Ok(()),
        };
        result.map_err(|e| self.write_error(e))
    }

    /// Completes the file: a file with no frames still gets a valid header, with `link` and
    /// `recorded`'s interface.
    pub(super) fn close(
        &mut self,
        link: LinkType,
        recorded: Recorded<'_>,
    ) -> Result<(), SessionError> {
        self.start(link)?;
        if let State::PcapNg(w) = &mut self.state {
            if w.interface_count() == 0 {
                if let Err(e) = w.add_interface(&interface(link, recorded, self.snaplen)) {
                    return Err(self.ng_error(e));
                }
            }
        }
        self.flush()
    }

    /// Writes the classic pcap header for `link` if it is not written yet.
    fn start(&mut self, link: LinkType) -> Result<(), SessionError> {
        if let State::Pending(_) = self.state {
            let State::Pending(out) = std::mem::replace(&mut self.state, State::Failed) else {
                unreachable!("checked above")
            };
            let writer = Writer::new(out, link, self.snaplen, true);
            self.state = State::Pcap(writer.map_err(|e| self.write_error(e))?);
        }
        Ok(())
    }

    fn ng_error(&self, err: NgWriteError) -> SessionError {
        match err {
            NgWriteError::Io(source) => self.write_error(source),
            other => self.write_error(io::Error::new(io::ErrorKind::InvalidInput, other)),
        }
    }

    fn write_error(&self, source: io::Error) -> SessionError {
        SessionError::WriteFile {
            path: self.path.clone(),
            source,
        }
    }
}

fn interface<'a>(link: LinkType, recorded: Recorded<'a>, snaplen: u32) -> InterfaceInfo<'a> {
    InterfaceInfo {
        link,
        name: recorded.name,
        snaplen,
        filter: recorded.filter,
        comment: recorded.comment,
    }
}

/// A writer that counts the bytes it is given.
struct Counting<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
