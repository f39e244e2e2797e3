//! `--graph FILE.svg`: each TCP stream's time-sequence graph, written as the stream ends (or
//! at the end of the capture), so only open streams are held in memory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::SessionError;
use crate::capture::CapturedFrame;
use crate::flow::graph;
use crate::flow::track::{Conversation, Tracker, MAX_CONVERSATIONS};
use crate::note::Note;

/// Most segments a graph keeps of one stream: a bulk transfer's staircase needs many more
/// than a ladder a person reads line by line.
pub const GRAPH_SEGMENTS: usize = 10_000;

/// Follows TCP streams and writes each one's graph.
pub(super) struct GraphStage {
    tracker: Tracker,
    path: PathBuf,
    written: Vec<(u64, PathBuf)>,
    without_data: u64,
}

/// `FILE-N.svg` for `FILE.svg` and stream `n`.
fn numbered(path: &Path, n: u64) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    path.with_file_name(name)
}

impl GraphStage {
    pub(super) fn new(path: PathBuf, stream: Option<u64>) -> GraphStage {
        GraphStage {
            tracker: Tracker::with_cap(stream, GRAPH_SEGMENTS),
            path,
            written: Vec::new(),
            without_data: 0,
        }
    }

    pub(super) fn packet(
        &mut self,
        frame: &CapturedFrame<'_>,
        decoded: &wire::Decoded<'_>,
    ) -> Result<(), SessionError> {
        let ts = Duration::new(frame.ts.secs, frame.ts.nanos);
        self.tracker.packet(ts, decoded);
        for c in self.tracker.take_ended() {
            self.write(&c)?;
        }
        Ok(())
    }

    fn write(&mut self, c: &Conversation) -> Result<(), SessionError> {
        if c.bytes_from(graph::sender(c)) == 0 {
            // No data, no staircase: a graph of nothing would only puzzle.
            self.without_data += 1;
            return Ok(());
        }
        let path = if self.tracker.only().is_some() {
            self.path.clone()
        } else {
            numbered(&self.path, c.stream)
        };
        std::fs::write(&path, graph::svg(c)).map_err(|source| SessionError::WriteFile {
            path: path.clone(),
            source,
        })?;
        self.written.push((c.stream, path));
        Ok(())
    }

    /// Writes the graphs of the streams still open; when there was only one graph it becomes
    /// `FILE.svg` itself. Tells `on_note` what was written and what was not.
    pub(super) fn finish(&mut self, on_note: &mut dyn FnMut(Note)) -> Result<(), SessionError> {
        for c in self.tracker.take_all() {
            self.write(&c)?;
        }
        if let [(_, only)] = self.written.as_mut_slice() {
            if *only != self.path {
                std::fs::rename(&*only, &self.path).map_err(|source| SessionError::WriteFile {
                    path: self.path.clone(),
                    source,
                })?;
                only.clone_from(&self.path);
            }
        }
        for (stream, path) in &self.written {
            on_note(Note::GraphWritten {
                stream: *stream,
                path: path.clone(),
            });
        }
        if self.without_data > 0 {
            on_note(Note::GraphsWithoutData(self.without_data));
        }
        if self.tracker.not_kept > 0 {
            on_note(Note::GraphsNotKept {
                count: self.tracker.not_kept,
                at_once: MAX_CONVERSATIONS,
            });
        }
        if let Some(stream) = self.tracker.only() {
            if self.written.is_empty() && self.without_data == 0 {
                on_note(Note::NoSuchStream {
                    stream,
                    streams: self.tracker.streams(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_files_keep_the_extension() {
        assert_eq!(
            numbered(Path::new("out/tcp.svg"), 3),
            PathBuf::from("out/tcp-3.svg")
        );
        assert_eq!(numbered(Path::new("graph"), 0), PathBuf::from("graph-0"));
    }
}
