//! What every socklab binary (`tcp-echo`, `ws-chat`, `raw-sniff`) needs and would otherwise
//! carry its own copy of, so the three behave alike at the edges.
//!
//! # Brief overview
//! * [`is_broken_pipe`]: `main` treats a closed stdout (`… | head`) as a clean exit; this tells
//!   such an error apart from a real failure anywhere in an error's chain.
//! * [`parse_duration`]: the one grammar every `DURATION` option accepts (`10s`, `500ms`,
//!   `2m`, `1h 30m`, `1.5`), with a one-line [`DurationError`] clap shows as is.
//! * [`raise_open_file_limit`]: servers and load generators hold one descriptor per
//!   connection, so they raise the soft limit to the hard one before they start.
//! * `Signals` (feature `signals`, on by default): SIGINT and SIGTERM handlers installed by a
//!   plain call before a binary says it is ready, then awaited wherever it waits for work.
//!
//! ```
//! use std::time::Duration;
//!
//! assert_eq!(support::parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
//! assert_eq!(support::parse_duration("1.5"), Ok(Duration::from_millis(1500)));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod broken_pipe;
mod duration;
mod open_files;
#[cfg(feature = "signals")]
mod signals;

pub use broken_pipe::is_broken_pipe;
pub use duration::{parse_duration, DurationError};
pub use open_files::raise_open_file_limit;
#[cfg(feature = "signals")]
pub use signals::Signals;
