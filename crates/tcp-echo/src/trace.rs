//! The `--verbose` view: each socket call printed as it happens, the way the PHP tutorials echo
//! "Socket create... Socket bind..." so a learner sees the system calls in order.

use std::fmt::Arguments;
use std::io::Write;

/// Prints socket calls on stderr when enabled; stdout stays free for the program's output.
#[derive(Debug, Clone, Copy)]
pub struct Trace {
    enabled: bool,
}

impl Trace {
    pub fn new(enabled: bool) -> Self {
        Self { enabled }
    }

    /// Whether lines are printed: for what costs a system call to find out, like a peer's address.
    pub fn enabled(self) -> bool {
        self.enabled
    }

    /// One line of the trace; callers build it with `format_args!` so nothing is formatted when
    /// the trace is off.
    pub fn say(self, line: Arguments<'_>) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "  {line}");
        }
    }
}

/// `AF_INET` or `AF_INET6`, as the C call would name the address family.
pub fn family(addr: &std::net::SocketAddr) -> &'static str {
    if addr.is_ipv4() {
        "AF_INET"
    } else {
        "AF_INET6"
    }
}
