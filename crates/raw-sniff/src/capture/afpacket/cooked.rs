//! The Linux cooked header (SLL v1, or v2 with `-y LINUX_SLL2`) that `any` captures and link
//! types without an Ethernet-like header get in front of each packet, so they decode and save
//! like libpcap's.

/// Linux cooked header (SLL v1) length.
pub(super) const SLL_LEN: usize = 16;

/// Writes into `out` an SLL header built from the packet's `sockaddr_ll`, then the packet.
pub(super) fn build_cooked(out: &mut Vec<u8>, ll: &libc::sockaddr_ll, packet: &[u8]) {
    out.clear();
    out.extend_from_slice(&u16::from(ll.sll_pkttype).to_be_bytes());
    out.extend_from_slice(&ll.sll_hatype.to_be_bytes());
    out.extend_from_slice(&u16::from(ll.sll_halen).to_be_bytes());
    out.extend_from_slice(&ll.sll_addr);
    // sll_protocol is already in network byte order.
    out.extend_from_slice(&ll.sll_protocol.to_ne_bytes());
    out.extend_from_slice(packet);
}

/// Linux cooked header v2 (SLL2) length.
pub(super) const SLL2_LEN: usize = 20;

/// Writes into `out` an SLL2 header built from the packet's `sockaddr_ll`, then the packet.
/// SLL2 carries the interface index, which SLL v1 leaves out.
pub(super) fn build_cooked_v2(out: &mut Vec<u8>, ll: &libc::sockaddr_ll, packet: &[u8]) {
    out.clear();
    // sll_protocol is already in network byte order.
    out.extend_from_slice(&ll.sll_protocol.to_ne_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&(ll.sll_ifindex as u32).to_be_bytes());
    out.extend_from_slice(&ll.sll_hatype.to_be_bytes());
    out.push(ll.sll_pkttype);
    out.push(ll.sll_halen);
    out.extend_from_slice(&ll.sll_addr);
    out.extend_from_slice(packet);
}
