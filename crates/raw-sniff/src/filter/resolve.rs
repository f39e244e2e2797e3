//! Names in a filter: hosts, services (ports), networks and IP protocols, looked up where
//! libpcap 1.10 looks them up, so that `port domain` or `net loopback` means what it means to
//! tcpdump on the same machine.
//!
//! - Hosts go through the system resolver (`getaddrinfo`, as libpcap calls it), so
//!   `/etc/hosts` and whatever else the system is configured to ask. Every address counts.
//! - Services come from `/etc/services`, looked up as TCP then as UDP, exactly as libpcap
//!   does; it knows no built-in numbers (its only fallback, for `nfs`, is compiled for
//!   Ultrix and OSF/1 alone), so neither does this.
//! - Networks come from `/etc/networks`, protocols from `/etc/protocols`.
//!
//! [`System`] reads the files and asks the resolver when a name is met; [`Tables`] holds
//! the same information in memory, for tests and for callers that must not touch the system.

use std::net::{IpAddr, ToSocketAddrs};

/// The transport protocols a service name is looked up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceProto {
    /// `name/tcp`.
    Tcp,
    /// `name/udp`.
    Udp,
}

impl ServiceProto {
    fn as_str(self) -> &'static str {
        match self {
            ServiceProto::Tcp => "tcp",
            ServiceProto::Udp => "udp",
        }
    }
}

/// Where the parser looks names up.
pub trait Resolve {
    /// The addresses of a host, in the resolver's order; empty when it has none.
    fn host(&self, name: &str) -> Vec<IpAddr>;
    /// The port of a service for one transport protocol.
    fn service(&self, name: &str, proto: ServiceProto) -> Option<u16>;
    /// The number of a network, as glibc's `getnetbyname` gives it (`127.0.0.0` and `127`
    /// are both `0x7f000000`).
    fn network(&self, name: &str) -> Option<u32>;
    /// The number of an IP protocol.
    fn protocol(&self, name: &str) -> Option<u32>;
}

/// The system's names: `/etc/services`, `/etc/networks`, `/etc/protocols` and the resolver.
#[derive(Debug, Clone, Copy, Default)]
pub struct System;

impl Resolve for System {
    fn host(&self, name: &str) -> Vec<IpAddr> {
        // `getaddrinfo` with a stream socket type, as libpcap asks it; one entry per address.
        let mut addrs: Vec<IpAddr> = match (name, 0).to_socket_addrs() {
            Ok(it) => it.map(|sa| sa.ip()).collect(),
            Err(_) => Vec::new(),
        };
        let mut seen = Vec::new();
        addrs.retain(|a| {
            let new = !seen.contains(a);
            seen.push(*a);
            new
        });
        addrs
    }

    fn service(&self, name: &str, proto: ServiceProto) -> Option<u16> {
        service_in(&read("/etc/services"), name, proto)
    }

    fn network(&self, name: &str) -> Option<u32> {
        network_in(&read("/etc/networks"), name)
    }

    fn protocol(&self, name: &str) -> Option<u32> {
        protocol_in(&read("/etc/protocols"), name)
    }
}

/// A file's text, or nothing if it cannot be read (a missing file knows no names).
fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Names held in memory, in the formats of the system files.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// `/etc/hosts`-style lines: an address, then names.
    pub hosts: String,
    /// `/etc/services`-style lines.
    pub services: String,
    /// `/etc/networks`-style lines.
    pub networks: String,
    /// `/etc/protocols`-style lines.
    pub protocols: String,
}

impl Resolve for Tables {
    fn host(&self, name: &str) -> Vec<IpAddr> {
        entries(&self.hosts)
            .filter(|f| f[1..].iter().any(|n| n.eq_ignore_ascii_case(name)))
            .filter_map(|f| f[0].parse().ok())
            .collect()
    }

    fn service(&self, name: &str, proto: ServiceProto) -> Option<u16> {
        service_in(&self.services, name, proto)
    }

    fn network(&self, name: &str) -> Option<u32> {
        network_in(&self.networks, name)
    }

    fn protocol(&self, name: &str) -> Option<u32> {
        protocol_in(&self.protocols, name)
    }
}

/// The fields of each line that has at least two, comments removed.
fn entries(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() >= 2)
}

/// `name port/proto aliases…`: the first line naming `name` (case matters, as in glibc).
fn service_in(text: &str, name: &str, proto: ServiceProto) -> Option<u16> {
    entries(text).find_map(|f| {
        let (port, p) = f[1].split_once('/')?;
        let named = f[0] == name || f[2..].contains(&name);
        (named && p == proto.as_str())
            .then(|| port.parse().ok())
            .flatten()
    })
}

/// `name number aliases…`: names are compared without case, as glibc's `getnetbyname` does.
/// glibc completes a number of fewer than four parts with `.0` parts before reading it, so
/// `10` is 10.0.0.0 (not the 0x0a that `inet_network("10")` gives).
fn network_in(text: &str, name: &str) -> Option<u32> {
    entries(text).find_map(|f| {
        let named =
            f[0].eq_ignore_ascii_case(name) || f[2..].iter().any(|a| a.eq_ignore_ascii_case(name));
        let parts = f[1].split('.').count();
        let full = format!("{}{}", f[1], ".0".repeat(4usize.saturating_sub(parts)));
        named.then(|| inet_network(&full)).flatten()
    })
}

/// `name number aliases…`: the first line naming `name`, case sensitive.
fn protocol_in(text: &str, name: &str) -> Option<u32> {
    entries(text).find_map(|f| {
        let named = f[0] == name || f[2..].contains(&name);
        named.then(|| f[1].parse().ok()).flatten()
    })
}

/// `inet_network(3)`: up to four dot-separated parts, each decimal, octal (leading 0) or
/// hex (0x), each at most 255, packed from the right (`127` is `0x7f`).
pub(crate) fn inet_network(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    parts.iter().try_fold(0u32, |acc, p| {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or(p.strip_prefix("0X")) {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        let v = u32::from_str_radix(digits, radix)
            .ok()
            .filter(|v| *v <= 255)?;
        Some((acc << 8) | v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_read_the_system_formats() {
        let t = Tables {
            hosts: "10.0.0.1 alpha a\n# 10.0.0.9 alpha\n2001:db8::1 Alpha\n".into(),
            services: "http 80/tcp www # web\nfoo 100/udp\nfoo 101/tcp\nbar 7/udp\n".into(),
            networks: "loopback 127.0.0.0\nten 10 tenet\nbad 300\n".into(),
            protocols: "tcp 6 TCP\n".into(),
        };
        assert_eq!(
            t.host("ALPHA"),
            vec![
                "10.0.0.1".parse::<IpAddr>().unwrap(),
                "2001:db8::1".parse().unwrap()
            ]
        );
        assert!(t.host("beta").is_empty());
        assert_eq!(t.service("www", ServiceProto::Tcp), Some(80));
        assert_eq!(t.service("http", ServiceProto::Udp), None);
        assert_eq!(t.service("HTTP", ServiceProto::Tcp), None);
        assert_eq!(t.service("foo", ServiceProto::Tcp), Some(101));
        assert_eq!(t.service("foo", ServiceProto::Udp), Some(100));
        assert_eq!(t.network("LoopBack"), Some(0x7f00_0000));
        assert_eq!(t.network("tenet"), Some(0x0a00_0000));
        assert_eq!(t.network("bad"), None);
        assert_eq!(t.protocol("TCP"), Some(6));
        assert_eq!(t.protocol("tcP"), None);
    }

    #[test]
    fn inet_network_packs_parts_from_the_right() {
        assert_eq!(inet_network("127.0.0.0"), Some(0x7f00_0000));
        assert_eq!(inet_network("10.1"), Some(0x0a01));
        assert_eq!(inet_network("0x0a.010"), Some(0x0a08));
        assert_eq!(inet_network("256"), None);
        assert_eq!(inet_network("1.2.3.4.5"), None);
        assert_eq!(inet_network("1..2"), None);
    }
}
