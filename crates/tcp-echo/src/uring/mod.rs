//! What both io_uring backends share, the server's (`tcp-echo server --io uring`) and the load
//! generator's (`tcp-echo bench --io uring`): how a thread's ring is set up, whether this kernel
//! runs them, and the provided-buffer ring multishot receives fill.

mod buffers;

use std::time::Duration;

use io_uring::{opcode, types, IoUring, Probe, SubmissionQueue, Submitter};

pub use buffers::{BufRing, GROUP as BUF_GROUP};

/// Submission and completion queue sizes: a turn of the loop rarely makes more submissions
/// than this, and the completion queue takes the bursts of multishot completions.
const SQ_ENTRIES: u32 = 1024;
const CQ_ENTRIES: u32 = 8192;

/// The oldest kernel with everything the backend uses: multishot receive (6.0); provided
/// buffer rings (5.19) and multishot accept (5.19) come before it.
const OLDEST_KERNEL: (u32, u32) = (6, 0);

/// Hands the kernel what was pushed to `sq` and waits, in the same io_uring_enter(), for at
/// least one completion or `wait`. A wait ended by its timeout (ETIME), a signal (EINTR) or a
/// completion queue with no room (EBUSY: the caller reaps, then calls again) is no error.
pub fn submit_and_wait_for(
    submitter: &Submitter<'_>,
    sq: &mut SubmissionQueue<'_>,
    wait: Duration,
) -> std::io::Result<()> {
    sq.sync();
    let wait = types::Timespec::from(wait);
    let args = types::SubmitArgs::new().timespec(&wait);
    match submitter.submit_with_args(1, &args) {
        Ok(_) => Ok(()),
        Err(err)
            if matches!(
                err.raw_os_error(),
                Some(libc::ETIME | libc::EINTR | libc::EBUSY)
            ) =>
        {
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// A ring for one thread: submitted to by that thread only, which lets the kernel skip
/// locking and run completions when the thread asks for them; plain on kernels without that.
pub fn new_ring() -> std::io::Result<IoUring> {
    IoUring::builder()
        .setup_cqsize(CQ_ENTRIES)
        .setup_single_issuer()
        .setup_coop_taskrun()
        .setup_defer_taskrun()
        .build(SQ_ENTRIES)
        .or_else(|_| {
            IoUring::builder()
                .setup_cqsize(CQ_ENTRIES)
                .build(SQ_ENTRIES)
        })
}

/// `None` when this kernel runs the backend, else why not, in a few words.
pub fn unavailable() -> Option<String> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let release = release.trim();
    if let Some(version) = kernel_version(release) {
        if version < OLDEST_KERNEL {
            return Some(format!(
                "Linux {release} is older than {}.{}, which multishot receive needs",
                OLDEST_KERNEL.0, OLDEST_KERNEL.1
            ));
        }
    }
    let ring = match new_ring() {
        Ok(ring) => ring,
        Err(err) => {
            let hint = if err.raw_os_error() == Some(libc::EPERM) {
                " (kernel.io_uring_disabled or a seccomp filter forbids it)"
            } else {
                ""
            };
            return Some(format!("io_uring_setup() failed: {err}{hint}"));
        }
    };
    if !ring.params().is_feature_ext_arg() {
        return Some(
            "the kernel cannot wait on a ring with a timeout (IORING_FEAT_EXT_ARG)".into(),
        );
    }
    let mut probe = Probe::new();
    if let Err(err) = ring.submitter().register_probe(&mut probe) {
        return Some(format!("IORING_REGISTER_PROBE failed: {err}"));
    }
    for (code, name) in [
        (opcode::AcceptMulti::CODE, "IORING_OP_ACCEPT"),
        (opcode::RecvMulti::CODE, "IORING_OP_RECV"),
        (opcode::Send::CODE, "IORING_OP_SEND"),
        (opcode::AsyncCancel::CODE, "IORING_OP_ASYNC_CANCEL"),
    ] {
        if !probe.is_supported(code) {
            return Some(format!("the kernel lacks {name}"));
        }
    }
    let bufs = match BufRing::register(&ring.submitter()) {
        Ok(bufs) => bufs,
        Err(err) => return Some(format!("registering a provided-buffer ring failed: {err}")),
    };
    // The buffers must outlive their registration: the ring goes first.
    drop(ring);
    drop(bufs);
    None
}

/// `6.1.0-18-amd64` → (6, 1).
fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_versions_parse() {
        assert_eq!(kernel_version("6.18.44-fc-v1300"), Some((6, 18)));
        assert_eq!(kernel_version("5.15.0-91-generic"), Some((5, 15)));
        assert_eq!(kernel_version("6.0"), Some((6, 0)));
        assert_eq!(kernel_version("weird"), None);
        assert!((5, 19) < OLDEST_KERNEL && (6, 1) >= OLDEST_KERNEL);
    }
}
