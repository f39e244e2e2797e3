//! Dropping root after the capture socket is open, as `tcpdump -Z` does: the socket keeps
//! working, and the code that parses hostile packets runs as an unprivileged user.

use std::ffi::CString;
use std::io;

use anyhow::{anyhow, bail, Result};

/// Switches the process to `user`'s uid and gid (and only that gid as supplementary group).
pub fn drop_to(user: &str) -> Result<()> {
    let (uid, gid) = lookup(user)?;
    // Groups first, then gid, then uid: once the uid is no longer root the others cannot change.
    // SAFETY: setgroups reads exactly one gid_t from a valid pointer for the call's duration.
    if unsafe { libc::setgroups(1, &gid) } != 0 {
        bail!("setgroups({gid}) failed: {}", io::Error::last_os_error());
    }
    // SAFETY: plain system calls with integer arguments.
    if unsafe { libc::setgid(gid) } != 0 {
        bail!("setgid({gid}) failed: {}", io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::setuid(uid) } != 0 {
        bail!("setuid({uid}) failed: {}", io::Error::last_os_error());
    }
    // A process that could get root back has not really dropped it.
    // SAFETY: plain system call with integer arguments; its failure is what we want to see.
    if uid != 0 && unsafe { libc::setuid(0) } == 0 {
        bail!("dropping to {user} failed: root could be regained");
    }
    Ok(())
}

fn lookup(user: &str) -> Result<(libc::uid_t, libc::gid_t)> {
    let name = CString::new(user).map_err(|_| anyhow!("user name {user:?} contains a NUL"))?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: an all-zero passwd is a valid value of the plain C struct; getpwnam_r fills it.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, `buf.len()` is the buffer's true length, and
    // the strings written into `buf` are not used after it is dropped.
    let rc = unsafe {
        libc::getpwnam_r(
            name.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 {
        bail!(
            "cannot look up user {user}: {}",
            io::Error::from_raw_os_error(rc)
        );
    }
    if result.is_null() {
        bail!("no such user: {user} (--user needs an existing account, e.g. nobody)");
    }
    Ok((pwd.pw_uid, pwd.pw_gid))
}
