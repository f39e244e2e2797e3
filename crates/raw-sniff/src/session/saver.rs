//! The `-w` file.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use wire::pcap::Writer;

use super::SessionError;
use crate::capture::CapturedFrame;

/// The `-w` file. Its header names the link type, known only from the first frame of a file
/// that mixes interfaces, so the pcap writer starts with that frame.
pub(super) struct Saver {
    file: Option<BufWriter<File>>,
    writer: Option<Writer<BufWriter<File>>>,
    path: PathBuf,
    /// The snap length the header states.
    snaplen: u32,
}

impl Saver {
    pub(super) fn create(path: &Path, snaplen: u32) -> Result<Saver, SessionError> {
        let file = File::create(path).map_err(|source| SessionError::CreateFile {
            path: path.to_owned(),
            source,
        })?;
        Ok(Saver {
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            writer: None,
            path: path.to_owned(),
            snaplen,
        })
    }

    fn start(&mut self, link: wire::LinkType) -> Result<(), SessionError> {
        if let Some(file) = self.file.take() {
            let writer = Writer::new(file, link, self.snaplen, true);
            self.writer = Some(writer.map_err(|err| self.write_error(err))?);
        }
        Ok(())
    }

    pub(super) fn write(&mut self, frame: &CapturedFrame<'_>) -> Result<(), SessionError> {
        self.start(frame.link)?;
        if let Some(writer) = &mut self.writer {
            if let Err(err) = writer.write_packet(frame.ts, frame.data, frame.orig_len) {
                return Err(self.write_error(err));
            }
        }
        Ok(())
    }

    pub(super) fn flush(&mut self) -> Result<(), SessionError> {
        if let Some(writer) = &mut self.writer {
            if let Err(err) = writer.flush() {
                return Err(self.write_error(err));
            }
        }
        Ok(())
    }

    /// Completes the file; an empty capture still gets a valid header.
    pub(super) fn close(&mut self, link: wire::LinkType) -> Result<(), SessionError> {
        self.start(link)?;
        self.flush()
    }

    fn write_error(&self, source: io::Error) -> SessionError {
        SessionError::WriteFile {
            path: self.path.clone(),
            source,
        }
    }
}
