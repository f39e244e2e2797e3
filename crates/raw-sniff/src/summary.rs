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
        Ok(())
    }
}
