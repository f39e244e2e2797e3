//! `-L` and `-y`: the link types a live capture can deliver, by tcpdump's names.

use super::{CaptureError, LinkType};

/// The link types a live capture on `iface` can deliver, its default first.
#[cfg(target_os = "linux")]
pub fn offered(iface: &str) -> Result<Vec<LinkType>, CaptureError> {
    super::afpacket::link_types_for(iface)
}

/// The link types a live capture on `iface` can deliver: raw IP, the only one.
#[cfg(not(target_os = "linux"))]
pub fn offered(_iface: &str) -> Result<Vec<LinkType>, CaptureError> {
    Ok(vec![LinkType::Raw])
}

/// libpcap's description of a link type, as `tcpdump -L` prints it after the name.
pub fn description(link: LinkType) -> &'static str {
    match link {
        LinkType::Ethernet => "Ethernet",
        LinkType::LinuxSll => "Linux cooked v1",
        LinkType::LinuxSll2 => "Linux cooked v2",
        LinkType::Raw | LinkType::RawDlt12 | LinkType::RawDlt14 => "Raw IP",
        LinkType::Null => "BSD loopback",
        LinkType::Loop => "OpenBSD loopback",
        LinkType::Ipv4 => "Raw IPv4",
        LinkType::Ipv6 => "Raw IPv6",
        _ => "",
    }
}

/// The link type tcpdump's `-y` calls `name` (any case), if raw-sniff knows it.
pub fn named(name: &str) -> Option<LinkType> {
    // The registry is sparse and small: every number a known name can have is below 300.
    (0..300u32)
        .map(LinkType::from)
        .find(|link| link.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_tcpdumps() {
        assert_eq!(named("LINUX_SLL2"), Some(LinkType::LinuxSll2));
        assert_eq!(named("en10mb"), Some(LinkType::Ethernet));
        assert_eq!(named("NO_SUCH_TYPE"), None);
        assert_eq!(description(LinkType::LinuxSll), "Linux cooked v1");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn any_offers_both_cooked_headers_and_lo_ethernet() {
        assert_eq!(
            offered("any").unwrap(),
            [LinkType::LinuxSll, LinkType::LinuxSll2]
        );
        assert_eq!(offered("lo").unwrap(), [LinkType::Ethernet]);
        assert!(offered("no-such-interface0").is_err());
    }
}
