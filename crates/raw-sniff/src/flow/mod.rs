//! Pictures of TCP conversations, for a learner who would rather look than read.
//!
//! - [`track`] follows each conversation segment by segment (relative numbers, which side is
//!   the client, retransmissions, how it ended), numbered as tshark's `tcp.stream`.
//! - [`ladder`] draws one conversation as a ladder diagram in the terminal, and
//!   [`LadderPrinter`] is the `--flow` printer that draws each conversation when it ends.
//! - [`graph`] draws one conversation as a time-sequence graph in SVG (`--graph`).
//!
//! Memory is bounded: a conversation keeps its first [`track::MAX_SEGMENTS`] segments, at
//! most [`track::MAX_CONVERSATIONS`] are kept at once, and what is left out is said.

pub mod graph;
pub mod ladder;
mod printer;
pub mod track;
mod ws_note;

use std::path::PathBuf;

pub use ladder::{Glyphs, Look};
pub use printer::LadderPrinter;

/// What `--flow` and its companions ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowOptions {
    /// Draw ladders instead of packet lines (otherwise the packet lines stay, and only the
    /// graphs are made).
    pub ladder: bool,
    /// Only this stream (tshark's `tcp.stream`, 0-based in order of first packet).
    pub stream: Option<u64>,
    /// Only ASCII characters in the drawing.
    pub ascii: bool,
    /// Columns of the drawing.
    pub width: usize,
    /// Write each stream's time-sequence graph: to this file for one, numbered for several.
    pub graph: Option<PathBuf>,
}
