//! A closed stdout is the reader's choice (`tcp-echo client | head`), not an error: each
//! binary's `main` exits 0 for it and reports anything else.

use std::error::Error;
use std::io;

/// Whether `err`, or any error in its `source()` chain, is an [`io::Error`] of kind
/// [`io::ErrorKind::BrokenPipe`].
///
/// Takes any error: pass an `anyhow::Error` as `&*err` (its chain is the `source()` chain)
/// or an `io::Error` as `&err`.
pub fn is_broken_pipe(err: &(dyn Error + 'static)) -> bool {
    std::iter::successors(Some(err), |&e| e.source()).any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    fn pipe() -> io::Error {
        io::Error::from(io::ErrorKind::BrokenPipe)
    }

    #[test]
    fn a_broken_pipe_is_seen_at_any_depth() {
        assert!(is_broken_pipe(&pipe()));
        let err = anyhow::Error::from(pipe());
        assert!(is_broken_pipe(&*err));
        let err = Err::<(), _>(pipe())
            .context("cannot write to stdout")
            .context("printing the report")
            .unwrap_err();
        assert!(is_broken_pipe(&*err));
    }

    #[test]
    fn other_errors_are_not_broken_pipes() {
        assert!(!is_broken_pipe(&io::Error::from(
            io::ErrorKind::ConnectionReset
        )));
        let err = anyhow::anyhow!("broken pipe, in words only");
        assert!(!is_broken_pipe(&*err));
        let err = Err::<(), _>(io::Error::from(io::ErrorKind::PermissionDenied))
            .context("cannot open the socket")
            .unwrap_err();
        assert!(!is_broken_pipe(&*err));
    }
}
