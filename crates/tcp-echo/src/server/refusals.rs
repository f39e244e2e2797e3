//! Refusals under `--max-conns`, summarised on stderr at most once a second: a flood of
//! connections must not become a flood of log lines (one line per refusal once wrote 1.3 MB of
//! stderr for 20,000 refusals in 2.5 s). The accept loops only count; this prints the counts.

use std::time::{Duration, Instant};

use super::stats::Stats;

/// How often refusals are reported while they go on.
pub const EVERY: Duration = Duration::from_secs(1);

pub struct RefusalLog {
    max_conns: usize,
    since: Instant,
}

impl RefusalLog {
    pub fn new(max_conns: usize) -> Self {
        Self {
            max_conns,
            since: Instant::now(),
        }
    }

    /// One line for the refusals since the last report, if there were any.
    pub fn report(&mut self, stats: &Stats) {
        let now = Instant::now();
        let refused = stats.take_unreported_refusals();
        if refused > 0 {
            eprintln!("{}", line(refused, now - self.since, self.max_conns));
        }
        self.since = now;
    }
}

fn line(refused: u64, over: Duration, max_conns: usize) -> String {
    format!(
        "refused {refused} connection{} in the last {:.1}s: {max_conns} connection{} already open \
         (--max-conns)",
        plural(refused),
        over.as_secs_f64(),
        plural(max_conns as u64),
    )
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_counts_every_refusal_since_the_last() {
        assert_eq!(
            line(20_000, Duration::from_millis(1000), 1),
            "refused 20000 connections in the last 1.0s: 1 connection already open (--max-conns)"
        );
        assert_eq!(
            line(1, Duration::from_millis(400), 2),
            "refused 1 connection in the last 0.4s: 2 connections already open (--max-conns)"
        );
    }
}
