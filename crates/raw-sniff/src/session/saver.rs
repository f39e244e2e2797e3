//! The `-w` file.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use wire::pcap::Writer;

use crate::capture::CapturedFrame;

/// The `-w` file. Its header names the link type, known only from the first frame of a file
/// that mixes interfaces, so the pcap writer starts with that frame.
pub(super) struct Saver {
    file: Option<BufWriter<File>>,
    writer: Option<Writer<BufWriter<File>>>,
    path: PathBuf,
}

impl Saver {
    pub(super) fn create(path: &Path) -> Result<Saver> {
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
                Writer::new(file, link, crate::SNAPLEN, true)
                    .with_context(|| format!("cannot write {}", self.path.display()))?,
            );
        }
        Ok(())
    }

    pub(super) fn write(&mut self, frame: &CapturedFrame<'_>) -> Result<()> {
        self.start(frame.link)?;
        if let Some(writer) = &mut self.writer {
            writer
                .write_packet(frame.ts, frame.data, frame.orig_len)
                .with_context(|| format!("cannot write {}", self.path.display()))?;
        }
        Ok(())
    }

    pub(super) fn flush(&mut self) -> Result<()> {
        if let Some(writer) = &mut self.writer {
            writer
                .flush()
                .with_context(|| format!("cannot write {}", self.path.display()))?;
        }
        Ok(())
    }

    /// Completes the file; an empty capture still gets a valid header.
    pub(super) fn close(&mut self, link: wire::LinkType) -> Result<()> {
        self.start(link)?;
        self.flush()
    }
}
