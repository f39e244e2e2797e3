//! Dropping root after the capture socket is open, as `tcpdump -Z` does: the socket keeps
//! working, and the code that parses hostile packets runs as an unprivileged user.

use std::ffi::CString;
use std::io;

/// Why the process could not become the user it was asked to run as.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrivilegeError {
    /// A user name cannot hold a NUL byte.
    #[error("user name {0:?} contains a NUL")]
    NulInName(String),
    /// The user database could not be read.
    #[error("cannot look up user {user}")]
    LookUp {
        /// The user.
        user: String,
        /// Why not.
        #[source]
        source: io::Error,
    },
    /// No account has this name.
    #[error("no such user: {0} (--user needs an existing account, e.g. nobody)")]
    NoSuchUser(String),
    /// `setgroups` failed.
    #[error("setgroups({gid}) failed")]
    SetGroups {
        /// The one group asked for.
        gid: libc::gid_t,
        /// Why not.
        #[source]
        source: io::Error,
    },
    /// `setgid` failed.
    #[error("setgid({gid}) failed")]
    SetGid {
        /// The group asked for.
        gid: libc::gid_t,
        /// Why not.
        #[source]
        source: io::Error,
    },
    /// `setuid` failed.
    #[error("setuid({uid}) failed")]
    SetUid {
        /// The user id asked for.
        uid: libc::uid_t,
        /// Why not.
        #[source]
        source: io::Error,
    },
    /// After the switch, `setuid(0)` still succeeded: root was not really given up.
    #[error("dropping to {0} failed: root could be regained")]
    RootRegainable(String),
}

/// Switches the process to `user`'s uid and gid (and only that gid as supplementary group).
pub fn drop_to(user: &str) -> Result<(), PrivilegeError> {
    let (uid, gid) = lookup(user)?;
    // Groups first, then gid, then uid: once the uid is no longer root the others cannot change.
    // SAFETY: setgroups reads exactly one gid_t from a valid pointer for the call's duration.
    if unsafe { libc::setgroups(1, &gid) } != 0 {
        let source = io::Error::last_os_error();
        return Err(PrivilegeError::SetGroups { gid, source });
    }
    // SAFETY: plain system calls with integer arguments.
    if unsafe { libc::setgid(gid) } != 0 {
        let source = io::Error::last_os_error();
        return Err(PrivilegeError::SetGid { gid, source });
    }
    // SAFETY: as above.
    if unsafe { libc::setuid(uid) } != 0 {
        let source = io::Error::last_os_error();
        return Err(PrivilegeError::SetUid { uid, source });
    }
    // A process that could get root back has not really dropped it.
    // SAFETY: plain system call with integer arguments; its failure is what we want to see.
    if uid != 0 && unsafe { libc::setuid(0) } == 0 {
        return Err(PrivilegeError::RootRegainable(user.to_owned()));
    }
    Ok(())
}

fn lookup(user: &str) -> Result<(libc::uid_t, libc::gid_t), PrivilegeError> {
    let name = CString::new(user).map_err(|_| PrivilegeError::NulInName(user.to_owned()))?;
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
        return Err(PrivilegeError::LookUp {
            user: user.to_owned(),
            source: io::Error::from_raw_os_error(rc),
        });
    }
    if result.is_null() {
        return Err(PrivilegeError::NoSuchUser(user.to_owned()));
    }
    Ok((pwd.pw_uid, pwd.pw_gid))
}
