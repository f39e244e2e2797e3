//! The open-file limit: every connection is a file descriptor, so a server meant to hold 10,000
//! connections must raise the soft limit (`support::raise_open_file_limit`) before it accepts
//! them, and know how many of the descriptors are not for connections.

/// File descriptors the process needs besides connections: stdio, the listener, the runtime's
/// own (epoll, eventfd, signal pipe) and some slack for accept's transient use.
pub const RESERVED_FDS: u64 = 32;
