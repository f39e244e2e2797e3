//! Offsets with a variable part, as libpcap keeps them after `geneve` (the inner frame's link
//! type, link header and network header lie at offsets that the program computes at run time
//! from the Geneve header's option length and protocol) and after the first `vlan` on a live
//! socket (0 or 4 bytes further on, as the tag was in metadata or not): the program stores
//! them in three scratch slots.
//!
//! The rest of the compiler works with constant offsets: it emits `ld [nh + 9]`,
//! `ldxb 4*([nh]&0xf)`, `ld [x + nh + 20]`. After either, `Gen::nh` and the link-type and
//! link-header offsets are *marked* constants: a [`Region`] in bits 28–29 and the constant
//! part below. [`Gen::relocated_stmt`] sees every instruction emitted from then on and turns
//! a load at a marked offset into one relative to the region's slot, as libpcap does:
//!
//! - `ld [mark + c]` becomes `ldx M[r]; ld [x + c]`;
//! - `ldxb 4*([mark + c]&0xf)` becomes `ldx M[r]; ldb [x + c]; and #0xf; lsh #2; add x; tax`,
//!   so X holds the header length plus the variable part;
//! - `ld [x + mark + c]` becomes `ld [x + c]` when X already includes the variable part (it
//!   came from the line above, or from arithmetic on it), and otherwise first adds it:
//!   `txa; ldx M[r]; add x; tax`.
//!
//! Which registers include a variable part is followed instruction by instruction (through
//! `tax`, `txa`, `add x`, and stores to and loads from scratch memory), which is exact for the
//! straight-line sequences the compiler emits between setting X and using it.
//!
//! A live `vlan`'s slots are set to 0 at the program's start, as libpcap sets them. `geneve`
//! writes them only where it matched: a primitive after it that runs on a path where it did
//! not (`geneve or ip`, `not geneve and ip`) would read them unset, which the kernel refuses
//! and libpcap leaves undefined. [`verify`] finds such a read, and the filter is refused as
//! not supported.
//!
//! [`verify`]: crate::filter::verify

use super::*;
use crate::filter::bpf::MEM_WORDS;

/// The three offsets libpcap makes variable (a live `vlan` uses the first and the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Region {
    /// The 16-bit link type (the Geneve protocol field, or the inner Ethernet type).
    LinkType = 1,
    /// The inner link header (just past the Geneve header and its options).
    LinkHeader = 2,
    /// The inner network header.
    Payload = 3,
}

/// The scratch slot of each region: the top three, so arithmetic, which counts up from slot
/// 0, keeps the rest.
const SLOTS: [u32; 3] = [15, 14, 13];
/// Slots below this are free for arithmetic while offsets are variable.
pub(super) const FIRST_RESERVED: u32 = 13;

const REGION_SHIFT: u32 = 28;
const CONSTANT_MASK: u32 = (1 << REGION_SHIFT) - 1;

impl Region {
    fn from_bits(bits: u32) -> Option<Region> {
        match bits {
            1 => Some(Region::LinkType),
            2 => Some(Region::LinkHeader),
            3 => Some(Region::Payload),
            _ => None,
        }
    }

    /// The scratch slot holding this region's variable part.
    pub(super) fn slot(self) -> u32 {
        SLOTS[self as usize - 1]
    }

    /// The marked offset `c` bytes into this region.
    pub(super) fn at(self, c: u32) -> u32 {
        ((self as u32) << REGION_SHIFT) | c
    }
}

/// The region and constant part of a marked offset; `None` for an ordinary one (ancillary
/// offsets, with the top bits set, are never marked).
pub(super) fn unmark(k: u32) -> Option<(Region, u32)> {
    Region::from_bits(k >> REGION_SHIFT).map(|r| (r, k & CONSTANT_MASK))
}

/// The constant part of an offset, marked or not.
pub(super) fn constant_part(k: u32) -> u32 {
    unmark(k).map_or(k, |(_, c)| c)
}

/// Which variable part, if any, a register's value includes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Relocation {
    a: Option<Region>,
    x: Option<Region>,
    mem: [Option<Region>; MEM_WORDS as usize],
}

impl Gen {
    /// Appends an instruction as it is.
    pub(super) fn raw_stmt(&mut self, code: u16, k: u32) {
        self.code.push(Ins {
            code,
            k,
            jt: NO_LABEL,
            jf: NO_LABEL,
        });
    }

    /// [`Gen::stmt`] once offsets have a variable part: see the module docs.
    pub(super) fn relocated_stmt(&mut self, code: u16, k: u32) {
        let Some(mut r) = self.encap.var else {
            return self.raw_stmt(code, k);
        };
        let class = code & 0x07;
        let mode = code & 0xe0;
        let marked = unmark(k);
        match (class, mode, marked) {
            (op::LD, op::ABS, Some((region, c))) => {
                self.raw_stmt(op::LDX | op::MEM, region.slot());
                self.raw_stmt(op::LD | (code & 0x18) | op::IND, c);
                r.a = None;
                r.x = None;
            }
            (op::LDX, op::MSH, Some((region, c))) => {
                self.raw_stmt(op::LDX | op::MEM, region.slot());
                self.raw_stmt(op::LD | op::B | op::IND, c);
                self.raw_stmt(op::ALU | op::AND | op::K, 0xf);
                self.raw_stmt(op::ALU | op::LSH | op::K, 2);
                self.raw_stmt(op::ALU | op::ADD | op::X, 0);
                self.raw_stmt(op::MISC | op::TAX, 0);
                r.a = Some(region);
                r.x = Some(region);
            }
            (op::LD, op::IND, Some((region, c))) => {
                match r.x {
                    Some(x) if x == region => {}
                    None => {
                        self.raw_stmt(op::MISC | op::TXA, 0);
                        self.raw_stmt(op::LDX | op::MEM, region.slot());
                        self.raw_stmt(op::ALU | op::ADD | op::X, 0);
                        self.raw_stmt(op::MISC | op::TAX, 0);
                        r.x = Some(region);
                    }
                    // X counts from another region: no such load is generated.
                    Some(_) => self.defer_unexpected(),
                }
                self.raw_stmt(code, c);
                r.a = None;
            }
            _ => {
                if marked.is_some() {
                    // A marked offset used where no rule above applies: none is generated.
                    self.defer_unexpected();
                }
                self.raw_stmt(code, k);
                self.track(&mut r, code, k);
            }
        }
        self.encap.var = Some(r);
    }

    /// Follows the variable parts through an instruction that is emitted as it is.
    fn track(&mut self, r: &mut Relocation, code: u16, k: u32) {
        let class = code & 0x07;
        let mode = code & 0xe0;
        let slot = |k: u32| usize::try_from(k).ok().filter(|&s| s < MEM_WORDS as usize);
        match class {
            op::LD if mode == op::MEM => r.a = slot(k).and_then(|s| r.mem[s]),
            op::LD => r.a = None,
            op::LDX if mode == op::MEM => r.x = slot(k).and_then(|s| r.mem[s]),
            op::LDX => r.x = None,
            op::ST | op::STX => {
                if k >= FIRST_RESERVED {
                    // Arithmetic nested this deep would overwrite the offsets (which are
                    // stored with `raw_stmt`, not through here).
                    self.defer_too_complex();
                }
                if let Some(s) = slot(k) {
                    r.mem[s] = if class == op::ST { r.a } else { r.x };
                }
            }
            op::ALU => {
                let op_bits = code & 0xf0;
                r.a = match (op_bits, code & op::X != 0) {
                    (op::ADD, true) => match (r.a, r.x) {
                        (Some(_), Some(_)) => {
                            self.defer_unexpected();
                            None
                        }
                        (a, x) => a.or(x),
                    },
                    (op::ADD | op::SUB, false) => r.a,
                    _ => None,
                };
            }
            op::MISC if code & 0xf8 == op::TXA => r.a = r.x,
            op::MISC => r.x = r.a,
            _ => {}
        }
    }

    fn defer_too_complex(&mut self) {
        self.encap.defer_error(CompileError::TooComplex);
    }

    /// Code this module cannot relocate; the compiler never emits it, but a wrong program
    /// must not come of it if it ever does.
    fn defer_unexpected(&mut self) {
        self.encap.defer_error(CompileError::Unsupported {
            reason: "this filter reads the packet after 'geneve' in a way that cannot be \
                     compiled with a run-time offset"
                .into(),
        });
    }
}
