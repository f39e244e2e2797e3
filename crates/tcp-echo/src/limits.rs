//! The open-file limit: every connection is a file descriptor, so a server meant to hold 10,000
//! connections must raise the soft limit before it accepts them.

/// Raises the soft open-file limit to the hard limit and returns the limit now in force, or
/// `None` where the platform has no such limit.
#[cfg(unix)]
pub fn raise_open_files() -> Option<u64> {
    let (soft, hard) = rlimit::Resource::NOFILE.get().ok()?;
    if soft < hard && rlimit::Resource::NOFILE.set(hard, hard).is_ok() {
        return Some(hard);
    }
    Some(soft)
}

#[cfg(not(unix))]
pub fn raise_open_files() -> Option<u64> {
    None
}

/// File descriptors the process needs besides connections: stdio, the listener, the runtime's
/// own (epoll, eventfd, signal pipe) and some slack for accept's transient use.
pub const RESERVED_FDS: u64 = 32;
