//! CPU accounting, to show whether the load generator itself was the bottleneck.

use std::time::Duration;

/// CPU time (user + system) this process has used so far, where the OS tells us cheaply.
#[cfg(target_os = "linux")]
pub fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    cpu_time_from_stat(&stat)
}

#[cfg(not(target_os = "linux"))]
pub fn process_cpu_time() -> Option<Duration> {
    None
}

/// Reads utime and stime from a `/proc/PID/stat` line (proc(5) fields 14 and 15).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn cpu_time_from_stat(stat: &str) -> Option<Duration> {
    // The command name (field 2) is in parentheses and may hold spaces or ')', so count fields
    // from the last ')'. After it come field 3 (state) onward.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    // Linux reports these in USER_HZ ticks, which is 100 per second on every architecture.
    Some(Duration::from_millis((utime + stime) * 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_awkward_command_name() {
        let line = "4242 (tcp echo) (x)) S 1 4242 4242 0 -1 4194560 900 0 0 0 123 45 0 0 20 0 3 0";
        assert_eq!(cpu_time_from_stat(line), Some(Duration::from_millis(1680)));
        assert_eq!(cpu_time_from_stat("4242 (short) S 1"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn own_cpu_time_is_readable() {
        assert!(process_cpu_time().is_some());
    }
}
