//! The hostile-client suites' size switch and the one line per case that
//! `scripts/bench-hostile.sh` tabulates.

/// Whether hostile tests run at the full size (`SOCKLAB_HOSTILE=full`) rather than the
/// small default that keeps `cargo test` fast.
pub fn hostile_full() -> bool {
    std::env::var("SOCKLAB_HOSTILE").as_deref() == Ok("full")
}

/// `small` by default, `full` when `SOCKLAB_HOSTILE=full`.
pub fn hostile_scale(small: usize, full: usize) -> usize {
    if hostile_full() {
        full
    } else {
        small
    }
}

/// Prints the one line `scripts/bench-hostile.sh` tabulates, and returns `pass` so a test can
/// report before it asserts. `others_served` is `None` when the case has no bystander client.
pub fn hostile_report(
    case: &str,
    peak_rss_mib: f64,
    cpu_s: f64,
    others_served: Option<bool>,
    pass: bool,
    note: &str,
) -> bool {
    let others = match others_served {
        Some(true) => "yes",
        Some(false) => "no",
        None => "n/a",
    };
    let verdict = if pass { "pass" } else { "FAIL" };
    let note = note.replace(['\n', '\r'], " ");
    println!(
        "hostile: case={case} peak_rss_mib={peak_rss_mib:.1} cpu_s={cpu_s:.2} \
         others_served={others} verdict={verdict} note={note}"
    );
    pass
}
