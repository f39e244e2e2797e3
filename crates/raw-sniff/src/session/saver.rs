//! The `-w` file, rotated as tcpdump's `-C`, `-G` and `-W` rotate it: checked before each
//! packet is written, so every packet lands in exactly one file, and each file is complete
//! (its own header, and for pcapng its own interface descriptions).

use std::path::Path;

use super::file_names::FileNames;
use super::packet_file::{PacketFile, Recorded};
use super::{SaveOptions, SessionError};
use crate::capture::CapturedFrame;

/// Whether the capture goes on after the check for `-G`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rotation {
    /// Write the packet.
    Continue,
    /// `-G` with `-W` (and no `-C`): the files asked for are complete, and the capture ends
    /// before this packet, as tcpdump's does.
    FileLimitReached,
}

/// The `-w` file or files.
pub(super) struct Saver {
    file: PacketFile,
    names: FileNames,
    options: SaveOptions,
    /// The interface name recorded for frames whose source does not name their own.
    iface: Option<String>,
    /// The interface comment naming the filter.
    comment: Option<String>,
    /// Number of the current file within its `-G` period (tcpdump's `Cflag_count`).
    size_count: u32,
    /// Files `-G` has completed.
    time_count: u32,
    /// When the current `-G` period began, in Unix seconds; it names the files.
    period_start: i64,
    /// `-G` with `-W` ended the capture.
    limit_reached: bool,
}

impl Saver {
    /// Creates the first file. `iface` is the capture's interface name, recorded in pcapng
    /// files for frames whose source does not say.
    pub(super) fn create(
        path: &Path,
        options: &SaveOptions,
        iface: Option<String>,
    ) -> Result<Saver, SessionError> {
        let names = FileNames::new(path, options);
        let period_start = now_secs();
        let file = PacketFile::create(
            &names.name(0, period_start)?,
            options.format,
            options.snaplen,
        )?;
        Ok(Saver {
            file,
            names,
            comment: options
                .filter_text
                .as_ref()
                .map(|f| format!("capture filter: {f}")),
            options: options.clone(),
            iface,
            size_count: 0,
            time_count: 0,
            period_start,
            limit_reached: false,
        })
    }

    /// tcpdump's `-G` check, made before each packet is written: once the period is over, the
    /// file is completed and the next one started, or with `-W` the capture ends. `link` is
    /// the packet's, written into a completed file that got no packet.
    pub(super) fn rotate_on_time(
        &mut self,
        link: wire::LinkType,
    ) -> Result<Rotation, SessionError> {
        let Some(every) = self.options.rotate_seconds else {
            return Ok(Rotation::Continue);
        };
        let now = now_secs();
        if now.saturating_sub(self.period_start) < i64::try_from(every).unwrap_or(i64::MAX) {
            return Ok(Rotation::Continue);
        }
        self.period_start = now;
        self.time_count += 1;
        self.complete(link)?;
        if self.options.rotate_size.is_none()
            && self
                .options
                .file_count
                .is_some_and(|count| self.time_count >= count)
        {
            self.limit_reached = true;
            return Ok(Rotation::FileLimitReached);
        }
        self.size_count = 0;
        self.start_next().map(|()| Rotation::Continue)
    }

    /// Writes a frame; `iface` is the interface name its source gave, if any. With `-C`, a
    /// file already larger than the size is completed first and the frame goes to the next.
    pub(super) fn write(
        &mut self,
        frame: &CapturedFrame<'_>,
        iface: Option<&str>,
    ) -> Result<(), SessionError> {
        if let Some(limit) = self.options.rotate_size {
            if self.file.len() > limit {
                self.size_count += 1;
                if self
                    .options
                    .file_count
                    .is_some_and(|count| self.size_count >= count)
                {
                    self.size_count = 0;
                }
                self.complete(frame.link)?;
                self.start_next()?;
            }
        }
        let recorded = Recorded {
            name: iface.or(self.iface.as_deref()),
            filter: self.options.filter_text.as_deref(),
            comment: self.comment.as_deref(),
        };
        self.file.write(frame, recorded)
    }

    /// How many files `-G` with `-W` completed, if that limit ended the capture.
    pub(super) fn file_limit_reached(&self) -> Option<u32> {
        self.limit_reached.then_some(self.time_count)
    }

    pub(super) fn flush(&mut self) -> Result<(), SessionError> {
        self.file.flush()
    }

    /// Completes the current file; an empty capture still gets a valid header.
    pub(super) fn close(&mut self, link: wire::LinkType) -> Result<(), SessionError> {
        self.complete(link)
    }

    fn complete(&mut self, link: wire::LinkType) -> Result<(), SessionError> {
        let recorded = Recorded {
            name: self.iface.as_deref(),
            filter: self.options.filter_text.as_deref(),
            comment: self.comment.as_deref(),
        };
        self.file.close(link, recorded)
    }

    /// Creates the file `size_count` of the current period (truncating one of that name, as
    /// tcpdump does: a ring reuses its names).
    fn start_next(&mut self) -> Result<(), SessionError> {
        let path = self.names.name(self.size_count, self.period_start)?;
        self.file = PacketFile::create(&path, self.options.format, self.options.snaplen)?;
        Ok(())
    }
}

/// The wall clock in whole seconds, as tcpdump's `time(NULL)` for `-G`.
fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}
