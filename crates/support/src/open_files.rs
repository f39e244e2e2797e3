//! The open-file limit: every connection is a file descriptor, so a server meant to hold
//! 10,000 connections (or a load generator making them) must raise the soft limit first.

/// Raises the soft open-file limit to the hard limit and returns the limit now in force, or
/// `None` where the platform has no such limit or it cannot be read.
///
/// Raising the hard limit needs root (`ulimit -Hn`); this never tries.
#[cfg(unix)]
pub fn raise_open_file_limit() -> Option<u64> {
    let (soft, hard) = rlimit::Resource::NOFILE.get().ok()?;
    if soft < hard && rlimit::Resource::NOFILE.set(hard, hard).is_ok() {
        return Some(hard);
    }
    Some(soft)
}

/// Raises the soft open-file limit to the hard limit and returns the limit now in force, or
/// `None` where the platform has no such limit or it cannot be read.
#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Option<u64> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    #[test]
    fn the_limit_in_force_is_the_hard_limit_or_the_untouched_soft_one() {
        let (_, hard) = rlimit::Resource::NOFILE.get().unwrap();
        let limit = super::raise_open_file_limit().expect("unix has an open-file limit");
        let (soft, _) = rlimit::Resource::NOFILE.get().unwrap();
        assert_eq!(limit, soft);
        assert!(limit <= hard);
    }
}
