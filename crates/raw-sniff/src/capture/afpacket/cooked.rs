//! The Linux cooked header (SLL v1) that `any` captures and link types without an Ethernet-like
//! header get in front of each packet, so they decode and save like libpcap's.

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
