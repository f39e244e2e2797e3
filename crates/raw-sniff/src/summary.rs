//! What the capture saw, for the caller to print on stderr at the end as tcpdump does.

use std::fmt;
use std::path::PathBuf;

use wire::decode::{Network, Transport};
use wire::Decoded;

use crate::capture::Stats;

#[derive(Debug, Default)]
pub struct Counts {
    pub seen: u64,
    pub matched: u64,
    pub written: u64,
    tcp: u64,
    udp: u64,
    icmp: u64,
    icmp6: u64,
    arp: u64,
    other: u64,
}

impl Counts {
    /// Adds another thread's counts to these.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub fn add(&mut self, other: &Counts) {
        self.seen += other.seen;
        self.matched += other.matched;
        self.written += other.written;
        self.tcp += other.tcp;
        self.udp += other.udp;
        self.icmp += other.icmp;
        self.icmp6 += other.icmp6;
        self.arp += other.arp;
        self.other += other.other;
    }

    pub fn count_protocol(&mut self, d: &Decoded<'_>) {
        let slot = match (&d.network, &d.transport) {
            (_, Some((_, Transport::Tcp(_)))) => &mut self.tcp,
            (_, Some((_, Transport::Udp(_)))) => &mut self.udp,
            (_, Some((_, Transport::Icmpv4(_)))) => &mut self.icmp,
            (_, Some((_, Transport::Icmpv6(_)))) => &mut self.icmp6,
            (Some((_, Network::Arp(_))), _) => &mut self.arp,
            _ => &mut self.other,
        };
        *slot += 1;
    }
}

/// The end-of-capture report: packets seen, matched and written, by protocol, and what the
/// kernel dropped where it says. `Display` gives its lines, each ending in a newline.
#[derive(Debug)]
pub struct Summary {
    pub(crate) counts: Counts,
    pub(crate) kernel: Stats,
    pub(crate) written_to: Option<PathBuf>,
    /// Each thread's share when several read the capture (`--threads`): empty for one.
    pub(crate) threads: Vec<ThreadShare>,
}

/// What one thread of a multi-threaded capture took: packets it kept, and its socket's
/// kernel counts.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ThreadShare {
    pub(crate) matched: u64,
    pub(crate) kernel: Stats,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        write!(f, "{} packets seen, {} matched", c.seen, c.matched)?;
        if let Some(path) = &self.written_to {
            write!(f, ", {} written to {}", c.written, path.display())?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "by protocol: tcp {}, udp {}, icmp {}, icmp6 {}, arp {}, other {}",
            c.tcp, c.udp, c.icmp, c.icmp6, c.arp, c.other
        )?;
        if let (Some(received), Some(dropped)) =
            (self.kernel.kernel_received, self.kernel.kernel_dropped)
        {
            writeln!(
                f,
                "kernel: {received} packets received by the socket, {dropped} dropped"
            )?;
        }
        if self.threads.len() > 1 {
            let list = |each: &dyn Fn(&ThreadShare) -> u64| {
                let all: Vec<String> = self.threads.iter().map(|t| each(t).to_string()).collect();
                all.join(" ")
            };
            writeln!(
                f,
                "threads: {}; matched by each: {}; dropped by each socket: {}",
                self.threads.len(),
                list(&|t| t.matched),
                list(&|t| t.kernel.kernel_dropped.unwrap_or(0)),
            )?;
        }
        Ok(())
    }
}
