//! A classic BPF interpreter for the places where the kernel does not run the filter: reading a
//! capture file and Windows' `SIO_RCVALL` sockets. It follows the kernel's run-time rules, so a
//! filter means the same thing on every capture path.

use super::bpf::{
    op, SockFilter, MEM_WORDS, SKF_AD_IFINDEX, SKF_AD_PKTTYPE, SKF_AD_PROTOCOL, SKF_AD_VLAN_TAG,
    SKF_AD_VLAN_TAG_PRESENT,
};

/// Runs `prog` on `packet` (the captured bytes) and returns how many bytes to keep: 0 rejects.
///
/// `wire_len` is the packet's length on the wire, which `ld #pktlen` reads; it may exceed
/// `packet.len()` when the capture was truncated to a snap length.
///
/// Never panics, whatever the program or packet. As in the kernel, a load past the end of the
/// captured bytes and a division by an X of zero reject the packet. Beyond the kernel's
/// run-time behaviour, anything [`super::verify`] would refuse (an unknown opcode, a jump out of
/// the program, a scratch slot out of range, running off the end) also rejects, so unverified
/// programs are safe to run too. Shifts by 32 or more give 0. Ancillary loads such as `[proto]`
/// (see [`super::compile_for_cooked_socket`]) reject too: only the kernel has that metadata.
pub fn run(prog: &[SockFilter], packet: &[u8], wire_len: u32) -> u32 {
    run_with_protocol(prog, packet, wire_len, None)
}

/// [`run`], answering the kernel's `[proto]` ancillary load with `protocol` when given, as the
/// kernel would for a `SOCK_DGRAM` packet socket. Lets the tests run cooked-socket programs.
pub(crate) fn run_with_protocol(
    prog: &[SockFilter],
    packet: &[u8],
    wire_len: u32,
    protocol: Option<u16>,
) -> u32 {
    run_with_metadata(
        prog,
        packet,
        wire_len,
        protocol.map(|protocol| Metadata {
            protocol,
            ..Metadata::default()
        }),
    )
}

/// What the Linux kernel knows about a packet beside its bytes, for the ancillary loads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The ethertype (`[proto]`).
    pub protocol: u16,
    /// The packet type (`[type]`): 0 to this host, 4 sent by it, …
    pub pkttype: u16,
    /// The interface index (`[ifidx]`).
    pub ifindex: u32,
    /// The VLAN tag control information the kernel took out of the frame, if it did
    /// (`[vlanp]`, `[vlan_tci]`).
    pub vlan_tci: Option<u16>,
}

impl Metadata {
    /// The value of the ancillary load at `k`, if it is one of these.
    fn load(&self, k: u32) -> Option<u32> {
        Some(match k {
            SKF_AD_PROTOCOL => u32::from(self.protocol),
            SKF_AD_PKTTYPE => u32::from(self.pkttype),
            SKF_AD_IFINDEX => self.ifindex,
            SKF_AD_VLAN_TAG => u32::from(self.vlan_tci.unwrap_or(0)),
            SKF_AD_VLAN_TAG_PRESENT => u32::from(self.vlan_tci.is_some()),
            _ => return None,
        })
    }
}

/// [`run`], answering the kernel's ancillary loads from `meta` when given, as the kernel
/// would for a packet socket. Lets tests run the programs made for live sockets.
pub fn run_with_metadata(
    prog: &[SockFilter],
    packet: &[u8],
    wire_len: u32,
    meta: Option<Metadata>,
) -> u32 {
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; MEM_WORDS as usize];
    let mut pc: usize = 0;
    // Every step moves pc forward by at least one, so this loop ends within prog.len() steps.
    while let Some(ins) = prog.get(pc) {
        pc += 1;
        let k = ins.k;
        match ins.code {
            // ld / ldh / ldb at an absolute offset, then at X + k.
            0x20 | 0x28 | 0x30 if meta.and_then(|m| m.load(k)).is_some() => {
                a = meta.and_then(|m| m.load(k)).unwrap_or(0);
            }
            0x20 | 0x28 | 0x30 | 0x40 | 0x48 | 0x50 => {
                let base = if ins.code & op::IND != 0 {
                    u64::from(x) + u64::from(k)
                } else {
                    u64::from(k)
                };
                let size = match ins.code & 0x18 {
                    op::W => 4,
                    op::H => 2,
                    _ => 1,
                };
                match load(packet, base, size) {
                    Some(v) => a = v,
                    None => return 0,
                }
            }
            0x00 => a = k,
            0x01 => x = k,
            0x80 => a = wire_len,
            0x81 => x = wire_len,
            0x60 | 0x61 => {
                let Some(&v) = mem.get(k as usize) else {
                    return 0;
                };
                if ins.code == 0x60 {
                    a = v;
                } else {
                    x = v;
                }
            }
            0xb1 => match load(packet, u64::from(k), 1) {
                Some(v) => x = 4 * (v & 0xf),
                None => return 0,
            },
            0x02 | 0x03 => {
                let Some(slot) = mem.get_mut(k as usize) else {
                    return 0;
                };
                *slot = if ins.code == 0x02 { a } else { x };
            }
            0x84 => a = a.wrapping_neg(),
            code if code & 0x07 == op::ALU => {
                let v = if code & op::X != 0 { x } else { k };
                a = match code & 0xf0 {
                    op::ADD => a.wrapping_add(v),
                    op::SUB => a.wrapping_sub(v),
                    op::MUL => a.wrapping_mul(v),
                    op::DIV => match a.checked_div(v) {
                        Some(q) => q,
                        None => return 0,
                    },
                    op::MOD => match a.checked_rem(v) {
                        Some(r) => r,
                        None => return 0,
                    },
                    op::OR => a | v,
                    op::AND => a & v,
                    op::XOR => a ^ v,
                    op::LSH => a.checked_shl(v).unwrap_or(0),
                    op::RSH => a.checked_shr(v).unwrap_or(0),
                    _ => return 0,
                };
            }
            0x05 => {
                pc = match pc.checked_add(k as usize) {
                    Some(to) if to < prog.len() => to,
                    _ => return 0,
                };
            }
            code if code & 0x07 == op::JMP => {
                let v = if code & op::X != 0 { x } else { k };
                let taken = match code & 0xf0 {
                    op::JEQ => a == v,
                    op::JGT => a > v,
                    op::JGE => a >= v,
                    op::JSET => a & v != 0,
                    _ => return 0,
                };
                pc += usize::from(if taken { ins.jt } else { ins.jf });
            }
            0x06 => return k,
            0x16 => return a,
            0x07 => x = a,
            0x87 => a = x,
            _ => return 0,
        }
    }
    0
}

/// Reads `size` bytes big-endian at `at`, or `None` if any of them lies past the end.
fn load(packet: &[u8], at: u64, size: usize) -> Option<u32> {
    let at = usize::try_from(at).ok()?;
    let bytes = packet.get(at..at.checked_add(size)?)?;
    Some(bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(code: u16, k: u32) -> SockFilter {
        SockFilter::stmt(code, k)
    }

    #[test]
    fn loads_are_big_endian_and_bounded() {
        let pkt = [0x12, 0x34, 0x56, 0x78, 0x9a];
        let prog = [s(0x20, 1), s(0x16, 0)];
        assert_eq!(run(&prog, &pkt, 5), 0x3456_789a);
        let prog = [s(0x20, 2), s(0x16, 0)];
        assert_eq!(run(&prog, &pkt, 5), 0, "word at 2 reads past the end");
        let prog = [s(0x01, 3), s(0x48, 0), s(0x16, 0)];
        assert_eq!(run(&prog, &pkt, 5), 0x789a);
        let prog = [s(0x01, u32::MAX), s(0x50, u32::MAX), s(0x06, 1)];
        assert_eq!(run(&prog, &pkt, 5), 0, "X + k must not wrap around");
        let prog = [s(0xb1, 0), s(0x87, 0), s(0x16, 0)];
        assert_eq!(run(&prog, &pkt, 5), 4 * 2);
        let prog = [s(0x80, 0), s(0x16, 0)];
        assert_eq!(run(&prog, &pkt, 1500), 1500);
    }

    #[test]
    fn arithmetic_and_jumps() {
        // A = 7; A *= 6; X = A; A = 5; A = A % X ... exercise each op once.
        let prog = [
            s(0x00, 7),
            s(0x24, 6),    // mul #6 -> 42
            s(0x07, 0),    // tax
            s(0x00, 100),  // ld #100
            s(0x3c, 0),    // div x -> 2
            s(0x64, 4),    // lsh #4 -> 32
            s(0xa4, 0x21), // xor #0x21 -> 1
            SockFilter::jump(0x15, 1, 1, 0),
            s(0x06, 0),
            s(0x06, 99),
        ];
        assert_eq!(run(&prog, &[], 0), 99);
        let div0 = [s(0x01, 0), s(0x3c, 0), s(0x06, 1)];
        assert_eq!(run(&div0, &[], 0), 0);
        let off_end = [s(0x05, 5), s(0x06, 1)];
        assert_eq!(run(&off_end, &[], 0), 0);
        let falls_off = [s(0x00, 1)];
        assert_eq!(run(&falls_off, &[], 0), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics(
            prog in prop::collection::vec(
                (any::<u16>(), any::<u8>(), any::<u8>(), any::<u32>())
                    .prop_map(|(code, jt, jf, k)| SockFilter { code: code & 0xff, jt, jf, k }),
                0..40,
            ),
            packet in prop::collection::vec(any::<u8>(), 0..80),
            wire_len in any::<u32>(),
        ) {
            let _ = run(&prog, &packet, wire_len);
        }
    }
}
