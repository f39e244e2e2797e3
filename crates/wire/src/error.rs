//! Typed decoding errors that say which layer failed and at which absolute byte.

use core::fmt;

use crate::field::FieldDef;

/// The protocol layer an error or a field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Ethernet II header.
    Ethernet,
    /// 802.1Q / 802.1ad VLAN tag.
    Vlan,
    /// Address Resolution Protocol.
    Arp,
    /// Linux cooked capture, version 1.
    Sll,
    /// Linux cooked capture, version 2.
    Sll2,
    /// BSD loopback / null header.
    Null,
    /// IEEE 802.2 LLC header, with SNAP when it has one.
    Llc,
    /// IEEE 802.11 MAC header.
    Ieee80211,
    /// Radiotap capture header.
    Radiotap,
    /// PPP header (with or without HDLC-like framing).
    Ppp,
    /// Cisco HDLC header.
    Chdlc,
    /// libpcap's SLIP pseudo-header.
    Slip,
    /// Frame Relay Q.922 address and encapsulation.
    FrameRelay,
    /// Linux NFLOG header and TLVs.
    Nflog,
    /// IP over InfiniBand header.
    Ipoib,
    /// Apple PKTAP header.
    Pktap,
    /// IPv4 header.
    Ipv4,
    /// IPv6 fixed header.
    Ipv6,
    /// An IPv6 extension header.
    Ipv6Ext,
    /// TCP header.
    Tcp,
    /// UDP header.
    Udp,
    /// ICMP for IPv4.
    Icmpv4,
    /// ICMP for IPv6.
    Icmpv6,
}

impl Layer {
    /// The lowercase name used in messages, matching Wireshark's protocol filter names.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Ethernet => "eth",
            Layer::Vlan => "vlan",
            Layer::Arp => "arp",
            Layer::Sll => "sll",
            Layer::Sll2 => "sll2",
            Layer::Null => "null",
            Layer::Llc => "llc",
            Layer::Ieee80211 => "wlan",
            Layer::Radiotap => "radiotap",
            Layer::Ppp => "ppp",
            Layer::Chdlc => "chdlc",
            Layer::Slip => "slip",
            Layer::FrameRelay => "fr",
            Layer::Nflog => "nflog",
            Layer::Ipoib => "ipoib",
            Layer::Pktap => "pktap",
            Layer::Ipv4 => "ipv4",
            Layer::Ipv6 => "ipv6",
            Layer::Ipv6Ext => "ipv6 extension",
            Layer::Tcp => "tcp",
            Layer::Udp => "udp",
            Layer::Icmpv4 => "icmp",
            Layer::Icmpv6 => "icmpv6",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a field's value was rejected. Kept as data (not a `String`) so that reporting garbage
/// never allocates on the capture path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The value is below the smallest the protocol allows.
    Below {
        /// The value found.
        value: u64,
        /// The smallest value allowed.
        min: u64,
    },
    /// The value is above the largest the protocol allows.
    Above {
        /// The value found.
        value: u64,
        /// The largest value allowed.
        max: u64,
    },
    /// The value must be exactly one thing.
    NotEqual {
        /// The value found.
        value: u64,
        /// The value required.
        expected: u64,
    },
    /// Anything else, as a fixed phrase.
    Other(&'static str),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Reason::Below { value, min } => write!(f, "{value} (< {min})"),
            Reason::Above { value, max } => write!(f, "{value} (> {max})"),
            Reason::NotEqual { value, expected } => write!(f, "{value} (expected {expected})"),
            Reason::Other(text) => f.write_str(text),
        }
    }
}

/// A decoding failure. `offset` is absolute in the frame once [`crate::decode()`] has shifted it;
/// a protocol's own `parse` reports offsets relative to its own first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The buffer ends before the header (or what a length field promises) does.
    #[error("{layer} at byte {offset}: truncated, need {needed} bytes, have {have}")]
    Truncated {
        /// Layer being decoded.
        layer: Layer,
        /// Where that layer starts.
        offset: usize,
        /// Bytes that layer needs.
        needed: usize,
        /// Bytes left in the buffer from `offset`.
        have: usize,
    },
    /// A field holds a value the protocol forbids.
    #[error("{layer} at byte {offset}: {} {reason}", field.name)]
    Malformed {
        /// Layer being decoded.
        layer: Layer,
        /// Absolute offset of the offending field.
        offset: usize,
        /// The field's entry in its layer's table, whose `name` is Wireshark's.
        field: &'static FieldDef,
        /// What is wrong with it.
        reason: Reason,
    },
}

impl WireError {
    /// Shifts the offset by `base`: inner parsers report positions relative to their own
    /// start, and the caller that knows where that start is adds it.
    #[must_use]
    pub fn add_offset(self, base: usize) -> Self {
        match self {
            WireError::Truncated {
                layer,
                offset,
                needed,
                have,
            } => WireError::Truncated {
                layer,
                offset: offset.saturating_add(base),
                needed,
                have,
            },
            WireError::Malformed {
                layer,
                offset,
                field,
                reason,
            } => WireError::Malformed {
                layer,
                offset: offset.saturating_add(base),
                field,
                reason,
            },
        }
    }

    /// The layer that failed.
    pub fn layer(&self) -> Layer {
        match *self {
            WireError::Truncated { layer, .. } | WireError::Malformed { layer, .. } => layer,
        }
    }

    /// The byte the failure is reported at.
    pub fn offset(&self) -> usize {
        match *self {
            WireError::Truncated { offset, .. } | WireError::Malformed { offset, .. } => offset,
        }
    }

    pub(crate) fn truncated(layer: Layer, needed: usize, have: usize) -> Self {
        WireError::Truncated {
            layer,
            offset: 0,
            needed,
            have,
        }
    }

    pub(crate) fn malformed(
        layer: Layer,
        offset: usize,
        field: &'static FieldDef,
        reason: Reason,
    ) -> Self {
        WireError::Malformed {
            layer,
            offset,
            field,
            reason,
        }
    }
}

/// Result type of this crate's parsers.
pub type Result<T> = core::result::Result<T, WireError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_layer_and_offset() {
        let e = WireError::malformed(
            Layer::Ipv4,
            0,
            &crate::ipv4::field::IHL,
            Reason::Below { value: 3, min: 5 },
        )
        .add_offset(14);
        assert_eq!(e.to_string(), "ipv4 at byte 14: ip.hdr_len 3 (< 5)");
        let t = WireError::truncated(Layer::Tcp, 20, 7).add_offset(34);
        assert_eq!(
            t.to_string(),
            "tcp at byte 34: truncated, need 20 bytes, have 7"
        );
        assert_eq!(t.offset(), 34);
        assert_eq!(t.layer(), Layer::Tcp);
    }
}
