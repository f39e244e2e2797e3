//! Code generation for relations (`tcp[13] & 2 != 0`, `len > 100`) and `ip proto N`, as
//! libpcap 1.10 compiles them:
//!
//! - First every header the relation loads from is checked, in the order the loads are
//!   written, and a packet without one of them does not match: `ip[…]` needs IPv4, `ip6[…]`
//!   IPv6, `arp[…]` ARP; `tcp[…]`, `udp[…]` and `icmp[…]` need IPv4 with that protocol and a
//!   fragment offset of 0, and count from the transport header found with the IHL; `icmp6[…]`
//!   needs IPv6 whose fixed header's next header is 58 and counts from just after it.
//!   `link[…]` and `ether[…]` count from the start of the frame and check nothing.
//! - Then the two sides are computed, left first, with the accumulator and scratch memory
//!   (one slot per pending left operand), and compared unsigned. A load past the end of the
//!   packet, or a division by zero at run time, rejects the whole packet, as BPF does.
//! - `len` is the packet's length on the wire.
//! - Parts that read nothing from the packet are folded to constants first, as libpcap's
//!   optimiser folds them: `ip[-1]` reads byte 13 of the frame, a division by `(2 - 2)` is an
//!   error, and a load at a constant offset of 2 GiB or more, which no packet can satisfy,
//!   compiles to `ret #0`.

use super::*;
use crate::filter::ast::{Arith, ArithOp, LinkPrim, LoadProto, RelOp};
use crate::filter::bpf::MEM_WORDS;

/// Bytes a cooked-socket packet lacks compared with the Linux cooked frame built from it.
const SLL_HEADER_LEN: u32 = 16;

impl Gen {
    /// `ip proto N` / `ip6 proto N`.
    pub(super) fn net_proto(&mut self, v6: bool, number: u32, t: Label, f: Label) {
        if v6 {
            self.ipv6_proto(number, t, f);
        } else {
            self.ipv4_proto(number, t, f);
        }
    }

    pub(super) fn compare(
        &mut self,
        op: RelOp,
        lhs: &Arith,
        rhs: &Arith,
        t: Label,
        f: Label,
    ) -> Result<(), CompileError> {
        let mut protos = Vec::new();
        loads(lhs, &mut protos);
        loads(rhs, &mut protos);
        for proto in protos {
            let ok = self.label();
            self.header_check(proto, ok, f)?;
            self.place(ok);
        }
        self.eval(lhs, 0)?;
        let src = if let Some(k) = constant(rhs)? {
            (op::K, k)
        } else {
            self.stmt(op::ST, 0);
            self.eval(rhs, 1)?;
            self.stmt(op::MISC | op::TAX, 0);
            self.stmt(op::LD | op::MEM, 0);
            (op::X, 0)
        };
        let (jmp, t, f) = match op {
            RelOp::Eq => (op::JEQ, t, f),
            RelOp::Ne => (op::JEQ, f, t),
            RelOp::Gt => (op::JGT, t, f),
            RelOp::Ge => (op::JGE, t, f),
            RelOp::Lt => (op::JGE, f, t),
            RelOp::Le => (op::JGT, f, t),
        };
        self.jump(op::JMP | jmp | src.0, src.1, t, f);
        Ok(())
    }

    /// Continues at `t` if the packet has the header `proto` counts from, else at `f`.
    fn header_check(&mut self, proto: LoadProto, t: Label, f: Label) -> Result<(), CompileError> {
        let nh = self.nh;
        match proto {
            LoadProto::Link if self.frames == Frames::CookedSocket => {
                return Err(CompileError::NeedsLinkHeader)
            }
            LoadProto::Link => self.ja(t),
            LoadProto::Ip => self.ethertype(0x0800, t, f),
            LoadProto::Ip6 => self.ethertype(0x86dd, t, f),
            LoadProto::Arp => self.ethertype(0x0806, t, f),
            LoadProto::Rarp => self.ethertype(0x8035, t, f),
            LoadProto::LinkWord(w) => self.link_prim(&LinkPrim::Word(w), t, f)?,
            LoadProto::Tcp
            | LoadProto::Udp
            | LoadProto::Icmp
            | LoadProto::Sctp
            | LoadProto::Igmp
            | LoadProto::Igrp
            | LoadProto::Pim
            | LoadProto::Vrrp
            | LoadProto::Carp => {
                let number = proto.ipv4_transport().unwrap_or(1);
                let first_frag = self.label();
                let proto_ok = self.label();
                self.ipv4_proto(number, proto_ok, f);
                self.place(proto_ok);
                self.stmt(op::LD | op::H | op::ABS, nh + 6);
                self.jump(op::JMP | op::JSET | op::K, 0x1fff, f, first_frag);
                self.place(first_frag);
                self.ja(t);
            }
            LoadProto::Icmp6 => {
                let is_v6 = self.label();
                self.ethertype(0x86dd, is_v6, f);
                self.place(is_v6);
                self.stmt(op::LD | op::B | op::ABS, nh + 6);
                self.jump(op::JMP | op::JEQ | op::K, 58, t, f);
            }
        }
        Ok(())
    }

    /// Leaves the value of `e` in A, using scratch slots from `slot` up.
    fn eval(&mut self, e: &Arith, slot: u32) -> Result<(), CompileError> {
        if let Some(k) = constant(e)? {
            self.stmt(op::LD | op::IMM, k);
            return Ok(());
        }
        match e {
            Arith::Num(k) => self.stmt(op::LD | op::IMM, *k),
            Arith::Len => {
                self.stmt(op::LD | op::W | op::LEN, 0);
                if self.frames == Frames::CookedSocket {
                    // Mean what a Linux cooked frame's length means.
                    self.stmt(op::ALU | op::ADD | op::K, SLL_HEADER_LEN);
                }
            }
            Arith::Load { proto, index, size } => {
                let width = match size {
                    1 => op::B,
                    2 => op::H,
                    _ => op::W,
                };
                let nh = self.nh;
                let behind_ihl = proto.ipv4_transport().is_some();
                let base = match proto {
                    LoadProto::Link => self.encap.link_base,
                    LoadProto::Icmp6 => nh + 40,
                    _ => nh,
                };
                let constant_index = constant(index)?;
                if let (Some(k), Some(_)) = (constant_index, super::varoff::unmark(base)) {
                    // A run-time offset keeps its slot in the constant's top bits, so the
                    // constant part must stay small; no packet is 16 MiB long anyway.
                    if k >= 1 << 24 {
                        return Err(CompileError::Unsupported {
                            reason: "a byte offset of 16 MiB or more inside 'geneve' is not \
                                     supported"
                                .to_string(),
                        });
                    }
                }
                match (constant_index, behind_ihl) {
                    (Some(k), _) if (base.wrapping_add(k) as i32) < 0 => {
                        // Past any packet (and a negative offset to the kernel): the load
                        // fails, so the packet is rejected.
                        self.stmt(op::RET | op::K, 0);
                    }
                    (Some(k), false) => {
                        self.stmt(op::LD | width | op::ABS, base.wrapping_add(k));
                    }
                    (Some(k), true) => {
                        self.stmt(op::LDX | op::B | op::MSH, nh);
                        self.stmt(op::LD | width | op::IND, base.wrapping_add(k));
                    }
                    (None, false) => {
                        self.eval(index, slot)?;
                        self.stmt(op::MISC | op::TAX, 0);
                        self.stmt(op::LD | width | op::IND, base);
                    }
                    (None, true) => {
                        self.eval(index, slot)?;
                        let slot = check_slot(slot)?;
                        self.stmt(op::ST, slot);
                        self.stmt(op::LDX | op::B | op::MSH, nh);
                        self.stmt(op::LD | op::MEM, slot);
                        self.stmt(op::ALU | op::ADD | op::X, 0);
                        self.stmt(op::MISC | op::TAX, 0);
                        self.stmt(op::LD | width | op::IND, base);
                    }
                }
            }
            Arith::Neg(a) => {
                self.eval(a, slot)?;
                self.stmt(op::ALU | op::NEG, 0);
            }
            Arith::Bin(o, a, b) => {
                let alu = alu_op(*o);
                self.eval(a, slot)?;
                if let Some(k) = constant(b)? {
                    if k >= 32 && matches!(o, ArithOp::Shl | ArithOp::Shr) {
                        return Err(CompileError::ShiftTooFar);
                    }
                    self.stmt(op::ALU | alu | op::K, k);
                } else {
                    let slot = check_slot(slot)?;
                    self.stmt(op::ST, slot);
                    self.eval(b, slot + 1)?;
                    self.stmt(op::MISC | op::TAX, 0);
                    self.stmt(op::LD | op::MEM, slot);
                    self.stmt(op::ALU | alu | op::X, 0);
                }
            }
        }
        Ok(())
    }
}

fn alu_op(o: ArithOp) -> u16 {
    match o {
        ArithOp::Add => op::ADD,
        ArithOp::Sub => op::SUB,
        ArithOp::Mul => op::MUL,
        ArithOp::Div => op::DIV,
        ArithOp::Mod => op::MOD,
        ArithOp::And => op::AND,
        ArithOp::Or => op::OR,
        ArithOp::Xor => op::XOR,
        ArithOp::Shl => op::LSH,
        ArithOp::Shr => op::RSH,
    }
}

/// The value of `e` when it reads nothing from the packet, or `None`: wrapping 32-bit
/// arithmetic, shifts by 32 or more giving 0, as libpcap's optimiser folds. A divisor that is
/// constantly 0 is an error, in libpcap too.
fn constant(e: &Arith) -> Result<Option<u32>, CompileError> {
    Ok(match e {
        Arith::Num(k) => Some(*k),
        Arith::Len | Arith::Load { .. } => None,
        Arith::Neg(a) => constant(a)?.map(u32::wrapping_neg),
        Arith::Bin(o, a, b) => {
            let (a, b) = (constant(a)?, constant(b)?);
            if b == Some(0) && matches!(o, ArithOp::Div | ArithOp::Mod) {
                return Err(CompileError::DivisionByZero);
            }
            let (Some(a), Some(b)) = (a, b) else {
                return Ok(None);
            };
            Some(match o {
                ArithOp::Add => a.wrapping_add(b),
                ArithOp::Sub => a.wrapping_sub(b),
                ArithOp::Mul => a.wrapping_mul(b),
                ArithOp::Div => a / b,
                ArithOp::Mod => a % b,
                ArithOp::And => a & b,
                ArithOp::Or => a | b,
                ArithOp::Xor => a ^ b,
                ArithOp::Shl => a.checked_shl(b).unwrap_or(0),
                ArithOp::Shr => a.checked_shr(b).unwrap_or(0),
            })
        }
    })
}

/// `slot`, or an error when the expression needs more scratch memory than BPF has.
fn check_slot(slot: u32) -> Result<u32, CompileError> {
    if slot < MEM_WORDS {
        Ok(slot)
    } else {
        Err(CompileError::TooComplex)
    }
}

/// Adds the headers `e` loads from to `out`, each once, in the order they are written.
fn loads(e: &Arith, out: &mut Vec<LoadProto>) {
    match e {
        Arith::Num(_) | Arith::Len => {}
        Arith::Load { proto, index, .. } => {
            if !out.contains(proto) {
                out.push(*proto);
            }
            loads(index, out);
        }
        Arith::Neg(a) => loads(a, out),
        Arith::Bin(_, a, b) => {
            loads(a, out);
            loads(b, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::filter::{compile, parse, Framing, SNAPLEN};

    fn matches(text: &str, packet: &[u8]) -> bool {
        let prog = compile(&parse(text).unwrap(), Framing::RawIp).unwrap();
        prog.run(packet, packet.len() as u32) == SNAPLEN
    }

    #[test]
    fn constant_offsets_fold_and_unreachable_ones_reject() {
        let pkt = [
            0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        assert!(matches("ip[1 + 2 * 4] = 17 - 0", &pkt));
        // 0x80000000 is past any packet: the load fails and rejects, even under `not`.
        assert!(!matches("link[0x80000000] = 0 or udp", &pkt));
        assert!(!matches("not link[0x80000000] = 0", &pkt));
        assert!(matches("link[0 - 0x80000000 + 0x80000000] = 0x45", &pkt));
        // As libpcap folds it, `ip[-1]` on Ethernet is byte 13 of the frame, the ethertype's
        // low byte.
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00]);
        frame.extend_from_slice(&pkt);
        let prog = compile(&parse("ip[0 - 1] = 0").unwrap(), Framing::Ethernet).unwrap();
        assert_eq!(prog.run(&frame, frame.len() as u32), SNAPLEN);
        assert!(prog.to_string().contains("ldb      [13]"));
    }

    #[test]
    fn folded_bad_divisors_and_shifts_are_errors() {
        use crate::filter::CompileError;
        let err = |t: &str| compile(&parse(t).unwrap(), Framing::Ethernet).unwrap_err();
        assert_eq!(err("ip[0] = 4 / (2 - 2)"), CompileError::DivisionByZero);
        assert_eq!(err("ip[0] % (1 - 1) = 0"), CompileError::DivisionByZero);
        assert_eq!(err("ip[0] << (30 + 2) = 0"), CompileError::ShiftTooFar);
    }
}
