//! Sending a signal to a process under test.
#![allow(unsafe_code)]

use std::process::Command;

/// Sends a signal by name (`INT`, `TERM`) with the system's `kill`, as a user would; asserts
/// that `kill` succeeded.
pub fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid} failed");
}

/// Sends signal `signo` with kill(2) itself, so it arrives within microseconds of the call:
/// `kill(1)` would first fork and exec, and the moment right after a ready line is what some
/// tests are about. `pid` must be a child not yet reaped, so it cannot have been reused.
#[cfg(unix)]
pub fn signal_now(pid: u32, signo: i32) {
    let pid = libc::pid_t::try_from(pid).expect("pid fits pid_t");
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    let rc = unsafe { libc::kill(pid, signo) };
    assert_eq!(rc, 0, "kill({pid}, {signo}) failed");
}
