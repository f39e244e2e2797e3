//! What the kernel says about a process under test, from `/proc`. Each reader gives 0 when the
//! file cannot be read (the process is gone, or this is not Linux): the figures are reported,
//! and only ever bound work done, never wall time.
#![allow(unsafe_code)]

use std::collections::HashSet;
use std::fs;

/// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resident memory of `pid` now (`VmRSS`), in KiB.
pub fn proc_rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS")
}

/// The most resident memory `pid` has ever had (`VmHWM`), in KiB.
pub fn proc_hwm_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM")
}

/// CPU time `pid` has used, user plus system (`/proc/PID/stat` fields 14 and 15), in seconds.
/// CPU time is work done, so unlike wall time it can bound a test on a busy machine.
pub fn proc_cpu_seconds(pid: u32) -> f64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')' the fields start at 3 (state), so utime (14) and stime (15) are at 11 and 12.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    ticks as f64 / clock_ticks_per_second()
}

#[cfg(unix)]
fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf takes an integer and touches no memory of ours.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

#[cfg(not(unix))]
fn clock_ticks_per_second() -> f64 {
    100.0
}

/// TCP connections the process holds open, listening sockets not counted: its socket inodes
/// (`/proc/PID/fd`) that `/proc/net/tcp` or `tcp6` lists in a state other than LISTEN.
pub fn proc_tcp_connections(pid: u32) -> usize {
    let Ok(dir) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    let inodes: HashSet<String> = dir
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let target = fs::read_link(entry.path()).ok()?;
            let target = target.to_string_lossy();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_owned(),
            )
        })
        .collect();
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| fs::read_to_string(table).ok())
        .map(|table| {
            table
                .lines()
                .skip(1)
                .filter(|row| {
                    let fields: Vec<&str> = row.split_whitespace().collect();
                    // Field 3 is the state (0A is LISTEN), field 9 the inode.
                    fields.len() > 9 && fields[3] != "0A" && inodes.contains(fields[9])
                })
                .count()
        })
        .sum()
}

/// Pages of kernel memory held by every TCP socket of the host (`/proc/net/sockstat`, `TCP: …
/// mem N`). Host-wide: other programs' sockets count too, so it is reported, never asserted.
pub fn tcp_mem_pages() -> u64 {
    let Ok(sockstat) = fs::read_to_string("/proc/net/sockstat") else {
        return 0;
    };
    let Some(tcp) = sockstat.lines().find(|l| l.starts_with("TCP:")) else {
        return 0;
    };
    let mut words = tcp.split_whitespace();
    while let Some(word) = words.next() {
        if word == "mem" {
            return words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        }
    }
    0
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_and_has_used_cpu() {
        let me = std::process::id();
        let rss = proc_rss_kib(me);
        assert!(rss > 0);
        assert!(proc_hwm_kib(me) >= rss);
        let spin = std::time::Instant::now();
        while proc_cpu_seconds(me) == 0.0 && spin.elapsed().as_secs() < 10 {}
        assert!(proc_cpu_seconds(me) > 0.0);
    }

    #[test]
    fn a_connection_is_counted_and_a_listener_is_not() {
        let me = std::process::id();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let before = proc_tcp_connections(me);
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let _server = listener.accept().unwrap();
        // Other tests of this binary may hold connections too: at least ours count.
        assert!(proc_tcp_connections(me) >= before + 2);
    }

    #[test]
    fn a_gone_process_reads_as_zero() {
        assert_eq!(proc_rss_kib(u32::MAX), 0);
        assert_eq!(proc_cpu_seconds(u32::MAX), 0.0);
        assert_eq!(proc_tcp_connections(u32::MAX), 0);
    }
}
