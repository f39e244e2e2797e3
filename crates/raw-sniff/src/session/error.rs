//! Why a session could not open, or stopped early.
//!
//! As in [`CaptureError`], the message of each variant leaves out its source, so printing the
//! source chain after it (`anyhow`'s `{:#}`) reads as one sentence. Errors that always stood
//! alone, with nothing to add, are transparent: their text is printed as it is.

use std::io;
use std::path::PathBuf;

use crate::capture::CaptureError;
use crate::user_filter::FilterError;

/// A session that could not open, or a capture that failed before its stop condition.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The source could not be opened.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The filter cannot be used on the source's link type.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// The process could not become the `--user` account.
    #[cfg(unix)]
    #[error("cannot drop privileges to {user}")]
    DropPrivileges {
        /// The account.
        user: String,
        /// Why not.
        #[source]
        source: crate::capture::privileges::PrivilegeError,
    },
    /// `--user` outside Unix.
    #[cfg(not(unix))]
    #[error("--user is available on Unix only")]
    UserUnsupported,
    /// The `-w` file could not be created.
    #[error("cannot create {}", path.display())]
    CreateFile {
        /// The file.
        path: PathBuf,
        /// Why not.
        #[source]
        source: io::Error,
    },
    /// A rotated `-w` file's name could not be made (with `-G`, the name is a strftime
    /// format).
    #[error("cannot make a file name from {}", template.display())]
    FileName {
        /// The `-w` name.
        template: PathBuf,
        /// Why not.
        #[source]
        source: jiff::Error,
    },
    /// Writing the `-w` file failed.
    #[error("cannot write {}", path.display())]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Reading from the source failed (for a file: it is damaged or cut short).
    #[error("capture failed")]
    Read(#[source] io::Error),
    /// Printing a packet or a WebSocket event to stdout failed, a broken pipe included.
    ///
    /// Transparent, so its source chain is the `io::Error`'s, which does not include that
    /// error itself: a caller looking for `BrokenPipe` in the chain takes the `io::Error` out
    /// of this variant first.
    #[error(transparent)]
    Output(io::Error),
    /// A thread of a multi-threaded capture could not be started.
    #[error("cannot start a capture thread")]
    Thread(#[source] io::Error),
    /// `--threads` above 1 where there is no `PACKET_FANOUT` to share an interface's
    /// traffic among sockets (outside Linux).
    #[error("--threads above 1 needs Linux's PACKET_FANOUT: capture with --threads 1 here")]
    ThreadsUnsupported,
    /// The last flush of stdout, after the capture, failed.
    #[error("cannot write to stdout")]
    FlushOutput(#[source] io::Error),
}
