//! `--read FILE`: packets from a pcap or pcapng file, decoded exactly as live ones are.

use std::fs::File;
use std::io;
use std::path::Path;

use wire::pcap::{PcapError, Reader};

use super::{Capture, CaptureError, CapturedFrame, Next, Stats};

/// A pcap or pcapng file read to its end.
pub struct PcapFile {
    /// The reader reads the file in large blocks itself and lends packets out of them.
    reader: Reader<File>,
    path: std::path::PathBuf,
    done: bool,
}

impl PcapFile {
    /// Opens the file and reads its header.
    pub fn open(path: &Path) -> Result<PcapFile, CaptureError> {
        let file = File::open(path).map_err(|source| CaptureError::OpenFile {
            path: path.to_owned(),
            source,
        })?;
        let reader = Reader::new(file).map_err(|source| CaptureError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        Ok(PcapFile {
            reader,
            path: path.to_owned(),
            done: false,
        })
    }
}

impl Capture for PcapFile {
    fn next(&mut self) -> io::Result<Next<'_>> {
        self.next_named().map(|(next, _)| next)
    }

    fn next_named(&mut self) -> io::Result<(Next<'_>, Option<&str>)> {
        if self.done {
            return Ok((Next::End, None));
        }
        match self.reader.next_packet() {
            Ok(Some(record)) => Ok((
                Next::Frame(CapturedFrame {
                    ts: record.ts,
                    link: record.link,
                    data: record.data,
                    orig_len: record.orig_len,
                    csum_not_ready: false,
                }),
                record.interface_name,
            )),
            Ok(None) => {
                self.done = true;
                Ok((Next::End, None))
            }
            Err(err) => {
                // Every complete packet before the damage has been handed out; stop here.
                self.done = true;
                Err(match err {
                    PcapError::Io(io) => io,
                    other => io::Error::new(io::ErrorKind::InvalidData, other),
                })
            }
        }
    }

    fn stats(&mut self) -> Stats {
        Stats::default()
    }

    fn link_type(&self) -> wire::LinkType {
        // The reader knows a pcapng file's first interface once opened; a file with none
        // has no packets either, so any answer does.
        self.reader.link_type().unwrap_or(wire::LinkType::Ethernet)
    }

    fn written_big_endian(&self) -> bool {
        self.reader.big_endian()
    }

    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }
}
