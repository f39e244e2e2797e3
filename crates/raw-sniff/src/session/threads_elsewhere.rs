//! `--threads` outside Linux: there is no `PACKET_FANOUT` to share an interface's traffic
//! among sockets, so a capture on several threads is refused when the session opens.

use std::convert::Infallible;
use std::sync::atomic::AtomicBool;

use super::{Config, Finished, Session, SessionError};
use crate::note::Note;

/// Never made here: the session's field for it stays `None`.
pub(super) struct Group(Infallible);

/// Refuses: only one thread captures here.
pub(super) fn open(
    _config: Config,
    _on_note: &mut dyn FnMut(Note),
) -> Result<Session, SessionError> {
    Err(SessionError::ThreadsUnsupported)
}

/// Unreachable, as no [`Group`] exists.
pub(super) fn run(
    _session: Session,
    group: Group,
    _stop: &AtomicBool,
    _on_note: &mut dyn FnMut(Note),
) -> Finished {
    match group.0 {}
}
