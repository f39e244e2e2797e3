//! Classic BPF programs: the instruction layout the kernel takes, the checks it applies before
//! accepting a program, and a listing in the format of `tcpdump -d`.
//!
//! Only classic BPF (the `SO_ATTACH_FILTER` dialect) is covered. Of the negative "ancillary"
//! offsets, where the Linux kernel answers from socket-buffer metadata, [`verify`] accepts only
//! those the compiler generates for live sockets ([`SKF_AD_PROTOCOL`], [`SKF_AD_PKTTYPE`],
//! [`SKF_AD_IFINDEX`], [`SKF_AD_VLAN_TAG`], [`SKF_AD_VLAN_TAG_PRESENT`]) and refuses the rest.
//! The interpreter has no such metadata and rejects a packet at any of them.

use std::fmt;

/// One classic BPF instruction, laid out like the kernel's `struct sock_filter`
/// (`linux/filter.h`): opcode, jump-if-true offset, jump-if-false offset, constant.
///
/// `#[repr(C)]` keeps the field order and padding of the C struct (8 bytes, no padding), so a
/// slice of these can be handed to `SO_ATTACH_FILTER` as a `struct sock_fprog`'s `filter`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SockFilter {
    /// Opcode: instruction class, size/operation, and source (see the `BPF_*` constants).
    pub code: u16,
    /// For conditional jumps: how many instructions to skip when the condition holds.
    pub jt: u8,
    /// For conditional jumps: how many instructions to skip when it does not.
    pub jf: u8,
    /// The constant operand: an offset, an immediate, a jump distance (`ja`) or a return value.
    pub k: u32,
}

impl SockFilter {
    /// A non-jump instruction.
    pub const fn stmt(code: u16, k: u32) -> Self {
        SockFilter {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }

    /// A conditional jump instruction.
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Self {
        SockFilter { code, jt, jf, k }
    }
}

/// Opcode parts, with the values of `linux/bpf_common.h` (they are part of the kernel ABI).
pub mod op {
    /// Instruction class: load into the accumulator A.
    pub const LD: u16 = 0x00;
    /// Instruction class: load into the index register X.
    pub const LDX: u16 = 0x01;
    /// Instruction class: store A into scratch memory.
    pub const ST: u16 = 0x02;
    /// Instruction class: store X into scratch memory.
    pub const STX: u16 = 0x03;
    /// Instruction class: arithmetic on A.
    pub const ALU: u16 = 0x04;
    /// Instruction class: jumps.
    pub const JMP: u16 = 0x05;
    /// Instruction class: return (accept this many bytes; 0 rejects).
    pub const RET: u16 = 0x06;
    /// Instruction class: register transfers (`tax`, `txa`).
    pub const MISC: u16 = 0x07;

    /// Load size: 32-bit word.
    pub const W: u16 = 0x00;
    /// Load size: 16-bit half word.
    pub const H: u16 = 0x08;
    /// Load size: byte.
    pub const B: u16 = 0x10;

    /// Load mode: immediate `k`.
    pub const IMM: u16 = 0x00;
    /// Load mode: packet at absolute offset `k`.
    pub const ABS: u16 = 0x20;
    /// Load mode: packet at offset `X + k`.
    pub const IND: u16 = 0x40;
    /// Load mode: scratch memory slot `k`.
    pub const MEM: u16 = 0x60;
    /// Load mode: the packet's length on the wire.
    pub const LEN: u16 = 0x80;
    /// Load mode (`ldx` only): `4 * (P[k] & 0xf)`, the IPv4 header length.
    pub const MSH: u16 = 0xa0;

    /// ALU operation: add.
    pub const ADD: u16 = 0x00;
    /// ALU operation: subtract.
    pub const SUB: u16 = 0x10;
    /// ALU operation: multiply.
    pub const MUL: u16 = 0x20;
    /// ALU operation: unsigned divide.
    pub const DIV: u16 = 0x30;
    /// ALU operation: bitwise or.
    pub const OR: u16 = 0x40;
    /// ALU operation: bitwise and.
    pub const AND: u16 = 0x50;
    /// ALU operation: shift left.
    pub const LSH: u16 = 0x60;
    /// ALU operation: logical shift right.
    pub const RSH: u16 = 0x70;
    /// ALU operation: two's complement negation of A.
    pub const NEG: u16 = 0x80;
    /// ALU operation: unsigned remainder.
    pub const MOD: u16 = 0x90;
    /// ALU operation: bitwise exclusive or.
    pub const XOR: u16 = 0xa0;

    /// Jump operation: always, by `k`.
    pub const JA: u16 = 0x00;
    /// Jump operation: `A == operand`.
    pub const JEQ: u16 = 0x10;
    /// Jump operation: `A > operand` (unsigned).
    pub const JGT: u16 = 0x20;
    /// Jump operation: `A >= operand` (unsigned).
    pub const JGE: u16 = 0x30;
    /// Jump operation: `A & operand != 0`.
    pub const JSET: u16 = 0x40;

    /// Operand source: the constant `k`.
    pub const K: u16 = 0x00;
    /// Operand source: the X register.
    pub const X: u16 = 0x08;
    /// Return source (`ret` only): the accumulator.
    pub const A: u16 = 0x10;

    /// `misc` operation: copy A to X.
    pub const TAX: u16 = 0x00;
    /// `misc` operation: copy X to A.
    pub const TXA: u16 = 0x80;
}

/// The kernel's limit on program length (`BPF_MAXINSNS`).
pub const MAX_INSNS: usize = 4096;

/// Number of 32-bit scratch memory slots (`BPF_MEMWORDS`).
pub const MEM_WORDS: u32 = 16;

/// Every opcode classic BPF defines; the kernel rejects anything else.
const VALID_CODES: &[u16] = &[
    // ld
    0x00, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x60, 0x80, //
    // ldx
    0x01, 0x61, 0x81, 0xb1, //
    // st, stx
    0x02, 0x03, //
    // alu
    0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c,
    0x84, 0x94, 0x9c, 0xa4, 0xac, //
    // jmp
    0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, //
    // ret
    0x06, 0x16, //
    // misc
    0x07, 0x87,
];

/// Why [`verify`] refused a program; each is a check the kernel also makes before attaching.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The program has no instructions.
    #[error("empty program")]
    Empty,
    /// The program is longer than [`MAX_INSNS`].
    #[error("program has {len} instructions, more than the kernel's limit of {MAX_INSNS}")]
    TooLong {
        /// Number of instructions.
        len: usize,
    },
    /// An opcode classic BPF does not define.
    #[error("instruction {pc}: unknown opcode {code:#06x}")]
    BadOpcode {
        /// Index of the instruction.
        pc: usize,
        /// The opcode found.
        code: u16,
    },
    /// A division or remainder by the constant 0.
    #[error("instruction {pc}: division by constant zero")]
    DivByZero {
        /// Index of the instruction.
        pc: usize,
    },
    /// A shift by a constant of 32 or more, which the kernel refuses.
    #[error("instruction {pc}: shift by a constant of 32 or more")]
    ShiftTooFar {
        /// Index of the instruction.
        pc: usize,
    },
    /// A scratch memory slot outside `0..16`.
    #[error("instruction {pc}: scratch memory slot {k} out of range (0-15)")]
    BadSlot {
        /// Index of the instruction.
        pc: usize,
        /// The slot number.
        k: u32,
    },
    /// A scratch memory slot read on some path before anything was stored in it.
    #[error("instruction {pc}: reads M[{k}] before it is written on every path")]
    UninitSlot {
        /// Index of the instruction.
        pc: usize,
        /// The slot number.
        k: u32,
    },
    /// A jump that lands past the last instruction.
    #[error("instruction {pc}: jump lands outside the program")]
    JumpOutOfRange {
        /// Index of the instruction.
        pc: usize,
    },
    /// A load from a negative (ancillary) offset the compiler never generates.
    #[error("instruction {pc}: ancillary load at offset {k:#x} is not supported")]
    Ancillary {
        /// Index of the instruction.
        pc: usize,
        /// The offset.
        k: u32,
    },
    /// The last instruction is not a `ret`, so execution could fall off the end.
    #[error("last instruction is not a return")]
    NoFinalReturn,
}

/// Checks a program the way the kernel does before `SO_ATTACH_FILTER` accepts it: length,
/// known opcodes, no constant division by zero, scratch slots in range and written before read
/// on every path, every jump forward and inside the program, and a final `ret`. Stricter than
/// the kernel in one way: ancillary loads other than those the compiler generates (the
/// protocol, packet type, interface index and VLAN tag) are refused.
///
/// Classic BPF jumps are unsigned offsets, so "forward" holds by construction; what can fail is
/// landing past the end. A program that passes runs to a `ret` in at most `len` steps.
pub fn verify(prog: &[SockFilter]) -> Result<(), VerifyError> {
    let len = prog.len();
    if len > MAX_INSNS {
        return Err(VerifyError::TooLong { len });
    }
    verify_any_length(prog)
}

/// [`verify`] without the length limit: the checks a program must pass to be run safely by
/// [`super::run`] in user space, where a program too long for the kernel is still fine.
pub fn verify_any_length(prog: &[SockFilter]) -> Result<(), VerifyError> {
    let len = prog.len();
    if len == 0 {
        return Err(VerifyError::Empty);
    }
    for (pc, ins) in prog.iter().enumerate() {
        if !VALID_CODES.contains(&ins.code) {
            return Err(VerifyError::BadOpcode { pc, code: ins.code });
        }
        let class = ins.code & 0x07;
        let mode = ins.code & 0xe0;
        match class {
            op::LD | op::LDX if mode == op::MEM && ins.k >= MEM_WORDS => {
                return Err(VerifyError::BadSlot { pc, k: ins.k });
            }
            op::ST | op::STX if ins.k >= MEM_WORDS => {
                return Err(VerifyError::BadSlot { pc, k: ins.k });
            }
            op::LD
                if (mode == op::ABS || mode == op::IND)
                    && (ins.k as i32) < 0
                    && !(mode == op::ABS && ANCILLARY_USED.contains(&ins.k)) =>
            {
                return Err(VerifyError::Ancillary { pc, k: ins.k });
            }
            op::ALU => {
                let alu = ins.code & 0xf0;
                if (alu == op::DIV || alu == op::MOD) && ins.code & op::X == 0 && ins.k == 0 {
                    return Err(VerifyError::DivByZero { pc });
                }
                if (alu == op::LSH || alu == op::RSH) && ins.code & op::X == 0 && ins.k >= 32 {
                    return Err(VerifyError::ShiftTooFar { pc });
                }
            }
            op::JMP => {
                let rest = len - pc - 1;
                if ins.code & 0xf0 == op::JA {
                    if ins.k as usize >= rest {
                        return Err(VerifyError::JumpOutOfRange { pc });
                    }
                } else if ins.jt as usize >= rest || ins.jf as usize >= rest {
                    return Err(VerifyError::JumpOutOfRange { pc });
                }
            }
            _ => {}
        }
    }
    if prog[len - 1].code & 0x07 != op::RET {
        return Err(VerifyError::NoFinalReturn);
    }
    check_memory(prog)
}

/// Forward data flow over scratch memory: a slot counts as written at an instruction only if
/// every path reaching it stored to it. Jumps only go forward, so one pass in order suffices.
fn check_memory(prog: &[SockFilter]) -> Result<(), VerifyError> {
    // `None` marks instructions no path reaches yet; they are never checked.
    let mut written: Vec<Option<u16>> = vec![None; prog.len()];
    written[0] = Some(0);
    for (pc, ins) in prog.iter().enumerate() {
        let Some(mut mask) = written[pc] else {
            continue;
        };
        let class = ins.code & 0x07;
        let mode = ins.code & 0xe0;
        if (class == op::LD || class == op::LDX) && mode == op::MEM && mask & (1 << ins.k) == 0 {
            return Err(VerifyError::UninitSlot { pc, k: ins.k });
        }
        if class == op::ST || class == op::STX {
            mask |= 1 << ins.k;
        }
        let mut flow = |to: usize| {
            // `verify` has checked every target is inside the program.
            if let Some(slot) = written.get_mut(to) {
                *slot = Some(slot.map_or(mask, |m| m & mask));
            }
        };
        match class {
            op::RET => {}
            op::JMP if ins.code & 0xf0 == op::JA => flow(pc + 1 + ins.k as usize),
            op::JMP => {
                flow(pc + 1 + ins.jt as usize);
                flow(pc + 1 + ins.jf as usize);
            }
            _ => flow(pc + 1),
        }
    }
    Ok(())
}

/// Start of the Linux ancillary-data offsets (`SKF_AD_OFF`, -0x1000 as a 32-bit offset).
const SKF_AD_OFF: u32 = 0xffff_f000;

/// The load offset at which the Linux kernel answers with the packet's ethertype
/// (`SKF_AD_OFF + SKF_AD_PROTOCOL`), printed `[proto]`.
pub const SKF_AD_PROTOCOL: u32 = SKF_AD_OFF;

/// `SKF_AD_OFF + SKF_AD_PKTTYPE`: the kernel's packet type (`PACKET_OUTGOING` is 4).
pub const SKF_AD_PKTTYPE: u32 = SKF_AD_OFF + 4;
/// `SKF_AD_OFF + SKF_AD_IFINDEX`: the index of the interface the packet was seen on.
pub const SKF_AD_IFINDEX: u32 = SKF_AD_OFF + 8;
/// `SKF_AD_OFF + SKF_AD_VLAN_TAG`: the tag control information the kernel took out.
pub const SKF_AD_VLAN_TAG: u32 = SKF_AD_OFF + 44;
/// `SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT`: 1 if the kernel took a tag out.
pub const SKF_AD_VLAN_TAG_PRESENT: u32 = SKF_AD_OFF + 48;

/// The ancillary loads [`verify`] lets through: those the compiler generates for live sockets.
const ANCILLARY_USED: [u32; 5] = [
    SKF_AD_PROTOCOL,
    SKF_AD_PKTTYPE,
    SKF_AD_IFINDEX,
    SKF_AD_VLAN_TAG,
    SKF_AD_VLAN_TAG_PRESENT,
];

/// Names tcpdump gives the `SKF_AD_*` offsets, in order, 4 bytes apart (`linux/filter.h`).
const ANCILLARY: &[&str] = &[
    "proto",
    "type",
    "ifidx",
    "nla",
    "nlan",
    "mark",
    "queue",
    "hatype",
    "rxhash",
    "cpu",
    "xor_x",
    "vlan_tci",
    "vlanp",
    "poff",
    "random",
    "vlan_tpid",
];

/// A compiled filter: a classic BPF program that has passed [`verify`].
///
/// `Display` lists it as `tcpdump -d` does, one instruction a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    insns: Vec<SockFilter>,
}

impl Program {
    /// Wraps instructions after checking them with [`verify`].
    pub fn new(insns: Vec<SockFilter>) -> Result<Self, VerifyError> {
        verify(&insns)?;
        Ok(Program { insns })
    }

    /// Wraps instructions after checking them with [`verify_any_length`]: a program that only
    /// the interpreter may run, as it can be too long for the kernel.
    pub fn new_any_length(insns: Vec<SockFilter>) -> Result<Self, VerifyError> {
        verify_any_length(&insns)?;
        Ok(Program { insns })
    }

    /// The instructions, ready for a `struct sock_fprog`.
    pub fn instructions(&self) -> &[SockFilter] {
        &self.insns
    }

    /// Gives the instructions back.
    pub fn into_instructions(self) -> Vec<SockFilter> {
        self.insns
    }

    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    /// Always false: a verified program has at least one instruction.
    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// Runs the program on a packet; see [`super::run`].
    pub fn run(&self, packet: &[u8], wire_len: u32) -> u32 {
        super::interp::run(&self.insns, packet, wire_len)
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (pc, ins) in self.insns.iter().enumerate() {
            writeln!(f, "{}", Listing { pc, ins: *ins })?;
        }
        Ok(())
    }
}

/// One line of a `tcpdump -d` style listing of instruction `ins` at index `pc`.
///
/// Jump targets are printed as absolute instruction numbers, as tcpdump does. The listing
/// works for any instruction, including invalid ones (printed as `unimp`).
#[derive(Debug, Clone, Copy)]
pub struct Listing {
    /// Index of the instruction in its program.
    pub pc: usize,
    /// The instruction.
    pub ins: SockFilter,
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let SockFilter { code, jt, jf, k } = self.ins;
        let pc = self.pc;
        let src_x = code & op::X != 0;
        // tcpdump prints offsets and arithmetic constants as signed decimals (C's `%d`), the
        // Linux ancillary offsets by name, and masks and comparands in hex.
        let sk = k as i32;
        let abs = |k: u32| match k
            .checked_sub(SKF_AD_OFF)
            .and_then(|i| ANCILLARY.get(i as usize / 4))
        {
            Some(name) if k % 4 == 0 => format!("[{name}]"),
            _ => format!("[{}]", k as i32),
        };
        let (name, operand): (&str, String) = match code {
            0x20 => ("ld", abs(k)),
            0x28 => ("ldh", abs(k)),
            0x30 => ("ldb", abs(k)),
            0x40 => ("ld", format!("[x + {sk}]")),
            0x48 => ("ldh", format!("[x + {sk}]")),
            0x50 => ("ldb", format!("[x + {sk}]")),
            0x00 => ("ld", format!("#{k:#x}")),
            0x60 => ("ld", format!("M[{sk}]")),
            0x80 => ("ld", "#pktlen".to_string()),
            0x01 => ("ldx", format!("#{k:#x}")),
            0x61 => ("ldx", format!("M[{sk}]")),
            0x81 => ("ldx", "#pktlen".to_string()),
            0xb1 => ("ldxb", format!("4*([{sk}]&0xf)")),
            0x02 => ("st", format!("M[{sk}]")),
            0x03 => ("stx", format!("M[{sk}]")),
            0x06 => ("ret", format!("#{sk}")),
            0x16 => ("ret", "a".to_string()),
            0x07 => ("tax", String::new()),
            0x87 => ("txa", String::new()),
            0x84 => ("neg", String::new()),
            0x05 => {
                let to = (pc as u64) + 1 + u64::from(k);
                return write!(f, "({pc:03}) {:<8} {to}", "ja");
            }
            _ if code & 0x07 == op::ALU && VALID_CODES.contains(&code) => {
                let name = match code & 0xf0 {
                    op::ADD => "add",
                    op::SUB => "sub",
                    op::MUL => "mul",
                    op::DIV => "div",
                    op::MOD => "mod",
                    op::LSH => "lsh",
                    op::RSH => "rsh",
                    op::OR => "or",
                    op::AND => "and",
                    _ => "xor",
                };
                let hex = matches!(code & 0xf0, op::OR | op::AND | op::XOR);
                let operand = match (src_x, hex) {
                    (true, _) => "x".to_string(),
                    (false, true) => format!("#{k:#x}"),
                    (false, false) => format!("#{sk}"),
                };
                (name, operand)
            }
            _ if code & 0x07 == op::JMP && VALID_CODES.contains(&code) => {
                let name = match code & 0xf0 {
                    op::JEQ => "jeq",
                    op::JGT => "jgt",
                    op::JGE => "jge",
                    _ => "jset",
                };
                let operand = if src_x {
                    "x".to_string()
                } else {
                    format!("#{k:#x}")
                };
                let t = pc + 1 + jt as usize;
                let e = pc + 1 + jf as usize;
                return write!(f, "({pc:03}) {name:<8} {operand:<16} jt {t}\tjf {e}");
            }
            _ => ("unimp", format!("{code:#x}")),
        };
        write!(f, "({pc:03}) {name:<8} {operand}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ret(k: u32) -> SockFilter {
        SockFilter::stmt(op::RET | op::K, k)
    }

    #[test]
    fn layout_matches_struct_sock_filter() {
        assert_eq!(std::mem::size_of::<SockFilter>(), 8);
        assert_eq!(std::mem::align_of::<SockFilter>(), 4);
    }

    #[test]
    fn accepts_minimal_program() {
        assert_eq!(verify(&[ret(0)]), Ok(()));
    }

    #[test]
    fn rejects_what_the_kernel_rejects() {
        assert_eq!(verify(&[]), Err(VerifyError::Empty));
        let long = vec![ret(0); MAX_INSNS + 1];
        assert_eq!(
            verify(&long),
            Err(VerifyError::TooLong { len: MAX_INSNS + 1 })
        );
        assert_eq!(verify(&vec![ret(0); MAX_INSNS]), Ok(()));
        assert_eq!(
            verify(&[SockFilter::stmt(0xff, 0), ret(0)]),
            Err(VerifyError::BadOpcode { pc: 0, code: 0xff })
        );
        assert_eq!(
            verify(&[SockFilter::stmt(op::ALU | op::DIV | op::K, 0), ret(0)]),
            Err(VerifyError::DivByZero { pc: 0 })
        );
        assert_eq!(
            verify(&[SockFilter::stmt(op::ALU | op::LSH | op::K, 32), ret(0)]),
            Err(VerifyError::ShiftTooFar { pc: 0 })
        );
        assert_eq!(
            verify(&[SockFilter::stmt(op::ALU | op::MOD | op::K, 0), ret(0)]),
            Err(VerifyError::DivByZero { pc: 0 })
        );
        // Division by X is checked at run time instead.
        assert_eq!(
            verify(&[SockFilter::stmt(op::ALU | op::DIV | op::X, 0), ret(0)]),
            Ok(())
        );
        assert_eq!(
            verify(&[SockFilter::stmt(op::ST, 16), ret(0)]),
            Err(VerifyError::BadSlot { pc: 0, k: 16 })
        );
        assert_eq!(
            verify(&[SockFilter::stmt(op::LD | op::MEM, 3), ret(0)]),
            Err(VerifyError::UninitSlot { pc: 0, k: 3 })
        );
        assert_eq!(
            verify(&[SockFilter::stmt(op::JMP | op::JA, 1), ret(0)]),
            Err(VerifyError::JumpOutOfRange { pc: 0 })
        );
        assert_eq!(
            verify(&[SockFilter::jump(op::JMP | op::JEQ, 0, 0, 1), ret(0)]),
            Err(VerifyError::JumpOutOfRange { pc: 0 })
        );
        // Of the ancillary loads, only those the compiler generates are let through: the
        // protocol (for cooked sockets), the packet type, the interface index and the VLAN tag.
        let anc = |code: u16, k: u32| verify(&[SockFilter::stmt(code, k), ret(0)]);
        assert_eq!(
            anc(op::LD | op::W | op::ABS, 0xffff_f014),
            Err(VerifyError::Ancillary {
                pc: 0,
                k: 0xffff_f014
            })
        );
        for k in [
            SKF_AD_PKTTYPE,
            SKF_AD_IFINDEX,
            SKF_AD_VLAN_TAG,
            SKF_AD_VLAN_TAG_PRESENT,
        ] {
            assert_eq!(anc(op::LD | op::B | op::ABS, k), Ok(()));
            assert!(anc(op::LD | op::B | op::IND, k).is_err());
        }
        assert_eq!(
            anc(op::LD | op::H | op::IND, 0xffff_f000),
            Err(VerifyError::Ancillary {
                pc: 0,
                k: 0xffff_f000
            })
        );
        assert_eq!(anc(op::LD | op::H | op::ABS, SKF_AD_PROTOCOL), Ok(()));
        assert_eq!(
            verify(&[SockFilter::stmt(op::LD | op::IMM, 0)]),
            Err(VerifyError::NoFinalReturn)
        );
    }

    #[test]
    fn memory_must_be_written_on_every_path() {
        // 0: jeq #1 -> 1 / 2; 1: st M[0]; 2: ld M[0] — reached from 0 without the store.
        let prog = [
            SockFilter::jump(op::JMP | op::JEQ, 1, 0, 1),
            SockFilter::stmt(op::ST, 0),
            SockFilter::stmt(op::LD | op::MEM, 0),
            ret(0),
        ];
        assert_eq!(verify(&prog), Err(VerifyError::UninitSlot { pc: 2, k: 0 }));
        let prog = [
            SockFilter::stmt(op::ST, 0),
            SockFilter::jump(op::JMP | op::JEQ, 1, 0, 1),
            SockFilter::stmt(op::ST, 1),
            SockFilter::stmt(op::LD | op::MEM, 0),
            ret(0),
        ];
        assert_eq!(verify(&prog), Ok(()));
    }

    #[test]
    fn listing_looks_like_tcpdump() {
        // Lines as printed by `tcpdump -d 'ip[2:2] + 3 > 5'` and `tcpdump -d 'len - len = 0'`.
        let lines = [
            (SockFilter::stmt(0x28, 12), "(000) ldh      [12]"),
            (
                SockFilter::jump(0x15, 0x800, 0, 4),
                "(001) jeq      #0x800           jt 2\tjf 6",
            ),
            (SockFilter::stmt(0x04, 3), "(002) add      #3"),
            (SockFilter::stmt(0x07, 0), "(003) tax      "),
            (
                SockFilter::jump(0x1d, 0, 0, 1),
                "(004) jeq      x                jt 5\tjf 6",
            ),
            (SockFilter::stmt(0xb1, 14), "(005) ldxb     4*([14]&0xf)"),
            (SockFilter::stmt(0x06, 262144), "(006) ret      #262144"),
            // `tcpdump -d 'ether[0] * 3000000000 = 1'`, `'ether[0xfffff000] = 1'`,
            // `'ether[0xfffff100] = 1'` and `'ether[0] & 0xf0000000 = 6'`.
            (
                SockFilter::stmt(0x24, 3_000_000_000),
                "(007) mul      #-1294967296",
            ),
            (
                SockFilter::stmt(0x30, 0xffff_f000),
                "(008) ldb      [proto]",
            ),
            (
                SockFilter::stmt(0x28, 0xffff_f03c),
                "(009) ldh      [vlan_tpid]",
            ),
            (
                SockFilter::stmt(0x30, 0xffff_f100),
                "(010) ldb      [-3840]",
            ),
            (
                SockFilter::stmt(0x54, 0xf000_0000),
                "(011) and      #0xf0000000",
            ),
        ];
        for (pc, (ins, want)) in lines.iter().enumerate() {
            assert_eq!(Listing { pc, ins: *ins }.to_string(), *want);
        }
    }
}
