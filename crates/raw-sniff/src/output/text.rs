//! Numbers and addresses appended to a line without `core::fmt`: a one-line printer writes a
//! dozen numbers per packet, and `write!` with its formatter, padding and `Display` of an
//! `Ipv4Addr` (formatted into a buffer of its own first) cost more than decoding the packet
//! did. Each function writes exactly what the `format!` named in its comment writes; the
//! tests check that over the edges of every width.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

/// `n` in decimal: `format!("{n}")`.
pub fn push_u64(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// `n` in decimal, zero-padded to `width` digits: `format!("{n:0width$}")`.
pub fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n);
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(digits);
}

/// An IPv4 address in dotted decimal: `format!("{addr}")`.
pub fn push_ipv4(out: &mut String, addr: Ipv4Addr) {
    for (i, octet) in addr.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_u64(out, u64::from(octet));
    }
}

/// An IP address as `Display` writes it: IPv4 by hand, IPv6 (with its zero-run and
/// embedded-IPv4 rules) by its own `Display`.
pub fn push_ip(out: &mut String, addr: IpAddr) {
    match addr {
        IpAddr::V4(v4) => push_ipv4(out, v4),
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn with(f: impl FnOnce(&mut String)) -> String {
        let mut s = String::new();
        f(&mut s);
        s
    }

    #[test]
    fn numbers_as_format_writes_them() {
        let mut edges = vec![0, u64::MAX, u64::from(u32::MAX)];
        for p in 0..20 {
            let ten = 10u64.pow(p);
            edges.extend([ten - 1, ten, ten + 1]);
        }
        for n in edges {
            assert_eq!(with(|s| push_u64(s, n)), format!("{n}"));
            for width in [0, 1, 2, 6, 9, 25] {
                assert_eq!(
                    with(|s| push_padded(s, n, width)),
                    format!("{n:0width$}"),
                    "{n} in {width}"
                );
            }
        }
    }

    #[test]
    fn addresses_as_display_writes_them() {
        let mut v4 = vec![
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::BROADCAST,
            Ipv4Addr::LOCALHOST,
        ];
        let mut x = 0x0123_4567u32;
        for _ in 0..1000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            v4.push(Ipv4Addr::from(x));
        }
        for a in v4 {
            assert_eq!(with(|s| push_ip(s, a.into())), a.to_string());
        }
        for a in [
            "::1",
            "::",
            "fe80::1:2",
            "::ffff:10.0.0.1",
            "2001:db8::8a2e:370:7334",
        ] {
            let a: Ipv6Addr = a.parse().unwrap();
            assert_eq!(with(|s| push_ip(s, a.into())), a.to_string());
        }
    }
}
