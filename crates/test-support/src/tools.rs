//! Whether what a test needs is here: a peer program, root. A missing one skips the test with
//! the reason printed, except under CI (`CI=true`), where scripts/test.sh installs everything
//! and a skip would hide a test that never ran.

use std::process::{Command, Stdio};

/// Marks a test as skipped: prints `skipped: {reason}` on stderr, or fails with `under_ci`
/// when `CI=true`. The caller returns right after.
pub fn skip(reason: &str, under_ci: &str) {
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{under_ci}");
    eprintln!("skipped: {reason}");
}

/// Whether a peer program is installed (`command -v`); if not, [`skip`]s with the reason.
pub fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        skip(
            &format!("{program} is not installed (scripts/test.sh installs it)"),
            &format!(
                "{program} is not installed, and CI must run every test (scripts/test.sh installs it)"
            ),
        );
    }
    found
}

/// Whether an executable file named `program` is in one of `PATH`'s directories. Unlike
/// [`have`] it says nothing: the caller words the skip (say, which package to install).
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// Whether the tests run as root (`id -u` is 0).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}
