//! The harness every binary's integration tests (`crates/*/tests/common`) share: run the real
//! binary or a peer program with every wait bounded, read what the kernel says about a process,
//! and skip a test with its reason when a peer is missing, except under CI.
//!
//! # Brief overview
//! * [`PATIENCE`] bounds every wait: a broken binary fails its test instead of hanging it.
//! * [`process`]: pipes read on threads ([`lines_of`], [`read_to_string`], [`read_to_end`]),
//!   bounded runs ([`run`], [`run_with_input`]), waits for a ready line or an exit, the
//!   `listening on ADDR` line the servers print first, and [`eventually`].
//! * [`signal`]: signals by name through `kill(1)`, or at once through kill(2).
//! * [`procfs`]: resident memory, its high-water mark, CPU seconds and TCP connections of a
//!   process, read from `/proc` (0 when unreadable: they are reported, and bound only work).
//! * [`tools`]: whether a peer program is installed or the tests run as root; a missing one
//!   skips with the reason printed, and is a failure under `CI=true`.
//! * [`net`]: a free port, and a wait for something to listen.
//! * [`hostile`]: the size switch and report line of the hostile-client suites.
//! * [`Rng`]: a seeded generator for tests that draw random cases.
//!
//! ```
//! let out = test_support::run(std::process::Command::new("true").arg("ignored"));
//! assert!(out.status.success());
//! ```
#![deny(missing_docs)]
// Only `signal` and `procfs` call libc, each call with a `// SAFETY:` comment.
#![deny(unsafe_code)]

pub mod frames;
pub mod hostile;
pub mod net;
pub mod process;
pub mod procfs;
pub mod rng;
pub mod signal;
pub mod tools;

use std::time::Duration;

pub use hostile::{hostile_full, hostile_report, hostile_scale};
pub use net::{free_port, wait_for_listener};
pub use process::{
    drain_lines, eventually, lines_of, listening_address, read_to_end, read_to_string, run,
    run_with_input, wait_exit, wait_for_line,
};
pub use procfs::{
    proc_cpu_seconds, proc_hwm_kib, proc_rss_kib, proc_tcp_connections, tcp_mem_pages,
};
pub use rng::Rng;
pub use signal::{signal, signal_now};
pub use tools::{have, is_root, on_path, skip};

/// Long enough for a loaded CI machine; only reached when something is broken.
pub const PATIENCE: Duration = Duration::from_secs(20);
