//! The optimiser: rewrites the code generator's output, which reloads everything for each
//! primitive, into a program that loads a field once and never tests what is already known.
//!
//! The program is cut into basic blocks (straight-line statements ending in a conditional jump,
//! a `ret`, or a fall-through/`ja` to one block). Every jump in classic BPF goes forward, so the
//! blocks in their original order are a topological order of the graph; every rewrite here only
//! redirects an edge to a block further on, which keeps that order, and the blocks are laid out
//! in it again at the end (the code generator then adds its far-jump trampolines).
//!
//! Each round does, in that order:
//!
//! 1. Liveness (backwards): which of A, X and the 16 scratch slots a block may read before
//!    writing them.
//! 2. A forward pass over the blocks in order, tracking for every register and slot a *value
//!    number*: equal numbers hold equal values on every path, because every load is a pure
//!    function of the packet (`ldh [12]`, `ldh [x + 14]` with X's number, `ldxb 4*([14]&0xf)`),
//!    and constants and arithmetic on known numbers are numbered by what they compute. Along
//!    each edge it also tracks *facts*, what the tests passed on the way say about a value
//!    (equal to one of a set of constants, none of a set, or the outcome of a `jgt`/`jset`), and
//!    which values have been computed on every path (so loading them again cannot fail). With
//!    those:
//!    - a statement that puts into a register or slot the value it already holds is dropped;
//!    - a test whose outcome the facts decide becomes a plain jump (constant folding);
//!    - an edge into a block whose test is decided for the values on that edge goes straight to
//!      the known successor (jump threading), when the skipped block can neither fail (its
//!      loads have all been done before on the path) nor leave behind a register or slot that
//!      the successor reads.
//! 3. Dead statements (results nobody reads) are dropped, when they cannot fail: a load is
//!    dropped only when the same load was done before on every path. A mask and a test of it
//!    (`and #2`, `jeq #0`) become one `jset #2` when the masked value is not read after.
//! 4. Clean-up: a block from which every path ends in `ret #0` becomes that `ret #0` (a load
//!    past the end would reject as well), a test whose two exits are the same block becomes a
//!    jump, identical blocks are merged, and unreachable ones dropped.
//!
//! The optimised program gives the unoptimised one's verdict on every packet that holds the
//! fields the filter reads. On a frame cut short inside one, [`super::pullup`] follows
//! libpcap's optimiser rather than the written order when it reorders chains of tests, and may
//! keep a frame the unoptimised program rejects for a load past its end (never the reverse).
//! Nothing else that could read past the end of the packet is removed or moved. See the module
//! docs of `compile`.

use super::{Ins, Label, NO_LABEL};
use crate::filter::bpf::op;
use std::collections::BTreeSet;
use std::hash::{BuildHasherDefault, Hasher};

/// Maps and sets keyed by value numbers, hashed cheaply: the keys are small integers made
/// here, never chosen by an attacker, and the optimiser hashes millions of them on a long
/// filter.
type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;
type HashSet<K> = std::collections::HashSet<K, BuildHasherDefault<FastHasher>>;

/// A multiply-and-rotate hasher in the style of rustc's `FxHasher`.
#[derive(Default)]
pub(super) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Index of a block in [`Cfg::blocks`]; the order of indices is a topological order.
pub(super) type BlockId = usize;

/// How a block ends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Exit {
    /// `ret` with this opcode (`ret #k` or `ret a`) and constant.
    Ret(u16, u32),
    /// Continue at another block (a fall-through or a `ja`).
    Goto(BlockId),
    /// A conditional jump.
    Test {
        code: u16,
        k: u32,
        t: BlockId,
        f: BlockId,
    },
}

impl Exit {
    /// The blocks this exit continues at.
    pub(super) fn successors(&self) -> Vec<BlockId> {
        match *self {
            Exit::Ret(..) => vec![],
            Exit::Goto(b) => vec![b],
            Exit::Test { t, f, .. } => vec![t, f],
        }
    }

    fn redirect(&mut self, from: BlockId, to: BlockId) {
        match self {
            Exit::Ret(..) => {}
            Exit::Goto(b) => {
                if *b == from {
                    *b = to;
                }
            }
            Exit::Test { t, f, .. } => {
                if *t == from {
                    *t = to;
                }
                if *f == from {
                    *f = to;
                }
            }
        }
    }
}

/// Straight-line statements (no jumps, no `ret`), then an exit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Block {
    pub(super) stmts: Vec<(u16, u32)>,
    pub(super) exit: Exit,
}

/// A program as a graph of basic blocks; block 0 is the entry.
#[derive(Debug, Clone)]
pub(super) struct Cfg {
    pub(super) blocks: Vec<Block>,
}

/// Bound on the rounds of [`optimize`], which keeps its time in check on very long filters.
const MAX_ROUNDS: usize = 64;

/// Optimises the generator's code (`code`, with `labels` giving each label's instruction) and
/// gives back code and labels of the same form, ready for assembly.
pub(super) fn optimize(code: &[Ins], labels: &[Option<usize>]) -> (Vec<Ins>, Vec<Option<usize>>) {
    let mut cfg = Cfg::from_code(code, labels);
    // Each round can open opportunities for the next (a dropped load makes a block skippable,
    // a test moved up makes the next one's load redundant); the rounds stop when one no longer
    // shrinks the program. A chain of N tests moved up needs about N rounds.
    for _ in 0..MAX_ROUNDS {
        let before = cfg.size();
        forward_pass(&mut cfg);
        drop_dead_statements(&mut cfg);
        fold_masks(&mut cfg);
        cfg.clean_up();
        super::pullup::pull_up_tests(&mut cfg);
        cfg.clean_up();
        if cfg.size() >= before {
            break;
        }
    }
    cfg.to_code()
}

/// The first scratch slot the generator's code may read before writing on some path, as the
/// kernel's check (and [`crate::filter::verify`]) sees it. The compiler reports some such
/// reads as unsupported expressions; this lets it find them before the optimiser removes
/// reads that nothing uses.
pub(super) fn slot_read_before_written(code: &[Ins], labels: &[Option<usize>]) -> Option<u32> {
    let cfg = Cfg::from_code(code, labels);
    // Slots written on every path into each block; `None` until an edge reaches it.
    let mut written: Vec<Option<u16>> = vec![None; cfg.blocks.len()];
    written[0] = Some(0);
    for (b, block) in cfg.blocks.iter().enumerate() {
        let Some(mut mask) = written[b] else {
            continue;
        };
        for &(code, k) in &block.stmts {
            let (uses, defs) = uses_defs(code, k);
            let reads = uses & 0xffff;
            if reads & !u32::from(mask) != 0 {
                return Some(reads.trailing_zeros());
            }
            mask |= (defs & 0xffff) as u16;
        }
        for s in block.exit.successors() {
            written[s] = Some(written[s].map_or(mask, |m| m & mask));
        }
    }
    None
}

fn is_jump(code: u16) -> bool {
    code & 0x07 == op::JMP
}

fn is_ret(code: u16) -> bool {
    code & 0x07 == op::RET
}

impl Cfg {
    /// Cuts generated code into blocks: one starts at the entry, at every label and after
    /// every jump or `ret`.
    fn from_code(code: &[Ins], labels: &[Option<usize>]) -> Cfg {
        let mut starts: BTreeSet<usize> = BTreeSet::new();
        starts.insert(0);
        starts.extend(labels.iter().flatten().copied().filter(|&p| p < code.len()));
        for (pc, ins) in code.iter().enumerate() {
            if is_jump(ins.code) || is_ret(ins.code) {
                starts.insert(pc + 1);
            }
        }
        starts.retain(|&p| p < code.len());
        let starts: Vec<usize> = starts.into_iter().collect();
        let block_at = |pc: usize| -> BlockId {
            starts
                .binary_search(&pc)
                .expect("every jump target starts a block")
        };
        let target = |l: Label| block_at(labels[l].expect("labels are placed before assembly"));
        let mut blocks = Vec::with_capacity(starts.len());
        for (i, &start) in starts.iter().enumerate() {
            let end = starts.get(i + 1).copied().unwrap_or(code.len());
            let mut stmts = Vec::new();
            let mut exit = None;
            for ins in &code[start..end] {
                if is_ret(ins.code) {
                    exit = Some(Exit::Ret(ins.code, ins.k));
                } else if ins.code == op::JMP | op::JA {
                    exit = Some(Exit::Goto(target(ins.jt)));
                } else if is_jump(ins.code) {
                    exit = Some(Exit::Test {
                        code: ins.code,
                        k: ins.k,
                        t: target(ins.jt),
                        f: target(ins.jf),
                    });
                } else {
                    stmts.push((ins.code, ins.k));
                }
            }
            // A block that runs into the next one's label falls through to it.
            let exit = exit.unwrap_or(Exit::Goto(i + 1));
            blocks.push(Block { stmts, exit });
        }
        Cfg { blocks }
    }

    /// Instructions the program would have, not counting fall-throughs.
    fn size(&self) -> usize {
        let live = self.reachable();
        self.blocks
            .iter()
            .enumerate()
            .filter(|(b, _)| live[*b])
            .map(|(b, block)| {
                block.stmts.len()
                    + match block.exit {
                        Exit::Goto(to) => usize::from(self.next_live(b, &live) != Some(to)),
                        _ => 1,
                    }
            })
            .sum()
    }

    fn next_live(&self, b: BlockId, live: &[bool]) -> Option<BlockId> {
        (b + 1..self.blocks.len()).find(|&n| live[n])
    }

    /// Which blocks a path from the entry reaches.
    pub(super) fn reachable(&self) -> Vec<bool> {
        let mut live = vec![false; self.blocks.len()];
        live[0] = true;
        for b in 0..self.blocks.len() {
            if live[b] {
                for s in self.blocks[b].exit.successors() {
                    live[s] = true;
                }
            }
        }
        live
    }

    /// Number of edges into each block from reachable blocks.
    pub(super) fn pred_counts(&self) -> Vec<usize> {
        let live = self.reachable();
        let mut n = vec![0; self.blocks.len()];
        for (b, block) in self.blocks.iter().enumerate() {
            if live[b] {
                for s in block.exit.successors() {
                    n[s] += 1;
                }
            }
        }
        n
    }

    /// Tests with both exits alike become jumps; jumps to empty blocks go on to where those
    /// go; identical blocks are merged (into the later one, so every edge still goes forward).
    pub(super) fn clean_up(&mut self) {
        // A block from which every path ends in `ret #0` rejects whatever it loads: a load past
        // the end rejects too. It becomes that `ret #0`, exactly on every frame. (libpcap also
        // drops loads before an accepting `ret`, but not those whose values reach scratch
        // memory; that difference on cut frames is left, see the module docs of `compile`.)
        let mut returns: Vec<Option<u32>> = vec![None; self.blocks.len()];
        for b in (0..self.blocks.len()).rev() {
            let block = &self.blocks[b];
            returns[b] = match block.exit {
                Exit::Ret(code, 0) if code & op::A == 0 => Some(0),
                Exit::Ret(..) => None,
                _ => {
                    let mut rets = block.exit.successors().into_iter().map(|s| returns[s]);
                    let first = rets.next().flatten();
                    first.filter(|_| rets.all(|r| r == first))
                }
            };
            if let Some(k) = returns[b] {
                self.blocks[b] = Block {
                    stmts: Vec::new(),
                    exit: Exit::Ret(op::RET | op::K, k),
                };
            }
        }
        for block in &mut self.blocks {
            if let Exit::Test { t, f, .. } = block.exit {
                if t == f {
                    block.exit = Exit::Goto(t);
                }
            }
        }
        // Backwards, so a chain of empty blocks collapses in one sweep.
        for b in (0..self.blocks.len()).rev() {
            for s in self.blocks[b].exit.successors() {
                if let Block {
                    stmts,
                    exit: Exit::Goto(to),
                } = &self.blocks[s]
                {
                    if stmts.is_empty() {
                        let to = *to;
                        self.blocks[b].exit.redirect(s, to);
                    }
                }
            }
            if let Exit::Test { t, f, .. } = self.blocks[b].exit {
                if t == f {
                    self.blocks[b].exit = Exit::Goto(t);
                }
            }
        }
        // Identical blocks, found from the end: a merge can make earlier blocks identical.
        let live = self.reachable();
        let mut seen: HashMap<Block, BlockId> = HashMap::default();
        for b in (0..self.blocks.len()).rev() {
            if !live[b] {
                continue;
            }
            for s in self.blocks[b].exit.successors() {
                let replacement = self.blocks[s].clone();
                if let Some(&keep) = seen.get(&replacement) {
                    self.blocks[b].exit.redirect(s, keep);
                }
            }
            if let Exit::Test { t, f, .. } = self.blocks[b].exit {
                if t == f {
                    self.blocks[b].exit = Exit::Goto(t);
                }
            }
            seen.entry(self.blocks[b].clone()).or_insert(b);
        }
        // The entry might have been identical to a later block; it stays where it is.
    }

    /// Lays the reachable blocks out in order, each with a label; a jump to the block that
    /// follows becomes a fall-through.
    fn to_code(&self) -> (Vec<Ins>, Vec<Option<usize>>) {
        let live = self.reachable();
        let mut code = Vec::new();
        let mut labels = vec![None; self.blocks.len()];
        for (b, block) in self.blocks.iter().enumerate() {
            if !live[b] {
                continue;
            }
            labels[b] = Some(code.len());
            let stmt = |code: u16, k: u32| Ins {
                code,
                k,
                jt: NO_LABEL,
                jf: NO_LABEL,
            };
            code.extend(block.stmts.iter().map(|&(c, k)| stmt(c, k)));
            match block.exit {
                Exit::Ret(c, k) => code.push(stmt(c, k)),
                Exit::Goto(to) => {
                    if self.next_live(b, &live) != Some(to) {
                        code.push(Ins {
                            code: op::JMP | op::JA,
                            k: 0,
                            jt: to,
                            jf: NO_LABEL,
                        });
                    }
                }
                Exit::Test { code: c, k, t, f } => code.push(Ins {
                    code: c,
                    k,
                    jt: t,
                    jf: f,
                }),
            }
        }
        (code, labels)
    }
}

// ---------------------------------------------------------------------------------------------
// Registers, slots and liveness.

/// What a statement reads and writes: bits 0–15 are the scratch slots, then A and X.
type Regs = u32;
const REG_A: Regs = 1 << 16;
const REG_X: Regs = 1 << 17;

/// The registers and slots a statement reads and the one it writes.
pub(super) fn uses_defs(code: u16, k: u32) -> (Regs, Regs) {
    let slot = 1u32.checked_shl(k).unwrap_or(0) & 0xffff;
    match code & 0x07 {
        op::LD => match code & 0xe0 {
            op::IND => (REG_X, REG_A),
            op::MEM => (slot, REG_A),
            _ => (0, REG_A),
        },
        op::LDX => match code & 0xe0 {
            op::MEM => (slot, REG_X),
            _ => (0, REG_X),
        },
        op::ST => (REG_A, slot),
        op::STX => (REG_X, slot),
        op::ALU => {
            let x = if code & op::X != 0 && code & 0xf0 != op::NEG {
                REG_X
            } else {
                0
            };
            (REG_A | x, REG_A)
        }
        op::MISC if code & 0xf8 == op::TXA => (REG_X, REG_A),
        op::MISC => (REG_A, REG_X),
        _ => (0, 0),
    }
}

/// What an exit reads.
pub(super) fn exit_uses(exit: &Exit) -> Regs {
    match *exit {
        Exit::Ret(code, _) if code & op::A != 0 => REG_A,
        Exit::Ret(..) | Exit::Goto(_) => 0,
        Exit::Test { code, .. } => REG_A | if code & op::X != 0 { REG_X } else { 0 },
    }
}

/// What a block reads before writing, given what its successors read.
pub(super) fn block_live_in(block: &Block, live_out: Regs) -> Regs {
    let mut live = live_out | exit_uses(&block.exit);
    for &(code, k) in block.stmts.iter().rev() {
        let (uses, defs) = uses_defs(code, k);
        live = (live & !defs) | uses;
    }
    live
}

/// Live-in registers of every block, computed backwards over the topological order.
pub(super) fn liveness(cfg: &Cfg) -> Vec<Regs> {
    let mut live_in = vec![0; cfg.blocks.len()];
    for b in (0..cfg.blocks.len()).rev() {
        let block = &cfg.blocks[b];
        let out = block
            .exit
            .successors()
            .iter()
            .fold(0, |acc, &s| acc | live_in[s]);
        live_in[b] = block_live_in(block, out);
    }
    live_in
}

/// What a block writes.
pub(super) fn block_defs(block: &Block) -> Regs {
    block
        .stmts
        .iter()
        .fold(0, |acc, &(c, k)| acc | uses_defs(c, k).1)
}

// ---------------------------------------------------------------------------------------------
// Value numbers.

/// A value number: equal numbers hold equal values wherever both are defined.
type Val = u32;

/// What a value number stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Value {
    Const(u32),
    WireLen,
    /// A packet load at a fixed offset (`ld`, `ldh`, `ldb`), by opcode and offset.
    Load(u16, u32),
    /// A packet load at X + k, with X's value.
    LoadInd(u16, u32, Val),
    /// `ldxb 4*([k]&0xf)`.
    Msh(u32),
    /// An ALU operation on two values (the second is a constant's number for `#k`).
    Alu(u16, Val, Val),
    Neg(Val),
    /// Nothing known: a merge of different values, or a register before it is set.
    Opaque(u32),
}

#[derive(Default)]
pub(super) struct Values {
    ids: HashMap<Value, Val>,
    of: Vec<Value>,
    opaque: u32,
}

impl Values {
    fn number(&mut self, v: Value) -> Val {
        if let Some(&n) = self.ids.get(&v) {
            return n;
        }
        let n = self.of.len() as Val;
        self.ids.insert(v, n);
        self.of.push(v);
        n
    }

    fn fresh(&mut self) -> Val {
        self.opaque += 1;
        self.number(Value::Opaque(self.opaque))
    }

    fn constant(&self, v: Val) -> Option<u32> {
        match self.of[v as usize] {
            Value::Const(c) => Some(c),
            _ => None,
        }
    }

    /// The number of `op(a, b)`, folded when both are constants and folding cannot hide a run
    /// time failure (division by zero).
    fn alu(&mut self, code: u16, a: Val, b: Val) -> Val {
        if let (Some(x), Some(y)) = (self.constant(a), self.constant(b)) {
            if let Some(c) = fold_alu(code & 0xf0, x, y) {
                return self.number(Value::Const(c));
            }
        }
        self.number(Value::Alu(code & 0xf0, a, b))
    }
}

fn fold_alu(alu: u16, a: u32, b: u32) -> Option<u32> {
    Some(match alu {
        op::ADD => a.wrapping_add(b),
        op::SUB => a.wrapping_sub(b),
        op::MUL => a.wrapping_mul(b),
        op::DIV => a.checked_div(b)?,
        op::MOD => a.checked_rem(b)?,
        op::OR => a | b,
        op::AND => a & b,
        op::XOR => a ^ b,
        op::LSH => a.checked_shl(b).unwrap_or(0),
        op::RSH => a.checked_shr(b).unwrap_or(0),
        op::NEG => a.wrapping_neg(),
        _ => return None,
    })
}

/// Evaluates a conditional jump on constants.
pub(super) fn eval_test(code: u16, a: u32, b: u32) -> bool {
    match code & 0xf0 {
        op::JEQ => a == b,
        op::JGT => a > b,
        op::JGE => a >= b,
        _ => a & b != 0,
    }
}

// ---------------------------------------------------------------------------------------------
// Facts and machine states.

/// Most constants a [`Fact`] remembers a value is not, and most other test outcomes: knowing
/// less is always sound, and a long chain of `port` tests would otherwise carry every port it
/// tested along each edge, which makes the pass quadratic.
const MAX_FACTS: usize = 32;

/// What the tests passed on a path say about one value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Fact {
    /// It is one of these constants.
    one_of: Option<BTreeSet<u32>>,
    /// It is none of these.
    not_in: BTreeSet<u32>,
    /// Outcomes of other tests against constants: (opcode, constant, outcome).
    tests: Vec<(u16, u32, bool)>,
}

impl Fact {
    fn decide(&self, code: u16, k: u32) -> Option<bool> {
        if let Some(set) = &self.one_of {
            let mut outcomes = set.iter().map(|&v| eval_test(code, v, k));
            if let Some(first) = outcomes.next() {
                if outcomes.all(|o| o == first) {
                    return Some(first);
                }
            }
        }
        if code & 0xf0 == op::JEQ && self.not_in.contains(&k) {
            return Some(false);
        }
        self.tests
            .iter()
            .find(|&&(c, kk, _)| c & 0xf0 == code & 0xf0 && kk == k)
            .map(|&(_, _, o)| o)
    }

    fn learn(&mut self, code: u16, k: u32, outcome: bool) {
        if let Some(set) = &mut self.one_of {
            set.retain(|&v| eval_test(code, v, k) == outcome);
        }
        if code & 0xf0 == op::JEQ {
            if outcome {
                self.one_of = Some(BTreeSet::from([k]));
            } else if self.one_of.is_none() && self.not_in.len() < MAX_FACTS {
                self.not_in.insert(k);
            }
        } else if self.decide(code, k).is_none() && self.tests.len() < MAX_FACTS {
            self.tests.push((code & 0xf0, k, outcome));
        }
    }

    /// What holds on both of two paths.
    fn meet(&self, other: &Fact) -> Fact {
        let one_of = match (&self.one_of, &other.one_of) {
            (Some(a), Some(b)) => Some(a.union(b).copied().collect()),
            _ => None,
        };
        let mut not_in: BTreeSet<u32> = match (&self.one_of, &other.one_of) {
            (None, None) => self.not_in.intersection(&other.not_in).copied().collect(),
            (Some(a), None) => other.not_in.difference(a).copied().collect(),
            (None, Some(b)) => self.not_in.difference(b).copied().collect(),
            (Some(_), Some(_)) => BTreeSet::new(),
        };
        if one_of.is_some() {
            not_in.clear();
        }
        let tests = self
            .tests
            .iter()
            .filter(|t| other.tests.contains(t) || other.one_of_implies(t))
            .chain(
                other
                    .tests
                    .iter()
                    .filter(|t| !self.tests.contains(t) && self.one_of_implies(t)),
            )
            .copied()
            .collect();
        Fact {
            one_of,
            not_in,
            tests,
        }
    }

    fn one_of_implies(&self, &(code, k, outcome): &(u16, u32, bool)) -> bool {
        self.one_of
            .as_ref()
            .is_some_and(|s| s.iter().all(|&v| eval_test(code, v, k) == outcome))
    }

    fn is_empty(&self) -> bool {
        self.one_of.is_none() && self.not_in.is_empty() && self.tests.is_empty()
    }
}

/// The machine as known on one edge.
#[derive(Debug, Clone)]
pub(super) struct State {
    pub(super) a: Val,
    x: Val,
    mem: [Val; 16],
    facts: HashMap<Val, Fact>,
    /// Values computed on every path here: loading them again cannot fail.
    done: HashSet<Val>,
}

impl State {
    fn entry(values: &mut Values) -> State {
        State {
            a: values.fresh(),
            x: values.fresh(),
            mem: std::array::from_fn(|_| values.fresh()),
            facts: HashMap::default(),
            done: HashSet::default(),
        }
    }

    /// What holds on every one of several incoming edges.
    fn meet(states: &[State], values: &mut Values) -> State {
        let (first, rest) = states
            .split_first()
            .expect("a reachable block has an edge in");
        let mut out = first.clone();
        let same = |a: Val, mut others: std::vec::IntoIter<Val>, values: &mut Values| {
            if others.all(|v| v == a) {
                a
            } else {
                values.fresh()
            }
        };
        let others = |f: &dyn Fn(&State) -> Val| rest.iter().map(f).collect::<Vec<_>>().into_iter();
        out.a = same(first.a, others(&|s| s.a), values);
        out.x = same(first.x, others(&|s| s.x), values);
        for i in 0..16 {
            out.mem[i] = same(first.mem[i], others(&|s| s.mem[i]), values);
        }
        for s in rest {
            out.done.retain(|v| s.done.contains(v));
            out.facts = out
                .facts
                .iter()
                .filter_map(|(v, f)| {
                    let g = s.facts.get(v)?;
                    let m = f.meet(g);
                    (!m.is_empty()).then_some((*v, m))
                })
                .collect();
        }
        out
    }

    /// The registers and slots whose value differs from `before`'s.
    fn changed_since(&self, before: &State) -> Regs {
        let mut changed = 0;
        if self.a != before.a {
            changed |= REG_A;
        }
        if self.x != before.x {
            changed |= REG_X;
        }
        for (i, (m, n)) in self.mem.iter().zip(&before.mem).enumerate() {
            if m != n {
                changed |= 1 << i;
            }
        }
        changed
    }

    /// The outcome of a conditional jump here, if the facts settle it.
    fn decide(&self, values: &Values, code: u16, k: u32) -> Option<bool> {
        let b = if code & op::X != 0 {
            if self.a == self.x {
                return match code & 0xf0 {
                    op::JEQ | op::JGE => Some(true),
                    op::JGT => Some(false),
                    _ => None,
                };
            }
            values.constant(self.x)?
        } else {
            k
        };
        if let Some(a) = values.constant(self.a) {
            return Some(eval_test(code, a, b));
        }
        self.facts.get(&self.a)?.decide(code, b)
    }

    /// Records the outcome of a conditional jump.
    fn learn(&mut self, values: &Values, code: u16, k: u32, outcome: bool) {
        let b = if code & op::X != 0 {
            match values.constant(self.x) {
                Some(c) => c,
                None => return,
            }
        } else {
            k
        };
        if values.constant(self.a).is_none() {
            self.facts
                .entry(self.a)
                .or_default()
                .learn(code, b, outcome);
        }
    }

    /// Runs one statement: the value it produces, and whether running it can fail (a packet
    /// load not done before on this path, or a division by an X that may be zero).
    pub(super) fn step(&mut self, values: &mut Values, code: u16, k: u32) -> StepResult {
        let konst = |values: &mut Values, k| values.number(Value::Const(k));
        let (dest, v, may_fail) = match code & 0x07 {
            op::LD | op::LDX => {
                let dest = if code & 0x07 == op::LD {
                    Dest::A
                } else {
                    Dest::X
                };
                let v = match code & 0xe0 {
                    op::IMM => konst(values, k),
                    op::LEN => values.number(Value::WireLen),
                    op::MEM => self.mem[(k & 15) as usize],
                    op::ABS => values.number(Value::Load(code, k)),
                    op::IND => values.number(Value::LoadInd(code, k, self.x)),
                    _ => values.number(Value::Msh(k)),
                };
                let loads_packet = matches!(code & 0xe0, op::ABS | op::IND | op::MSH);
                (dest, v, loads_packet && !self.done.contains(&v))
            }
            op::ST => (Dest::Mem(k & 15), self.a, false),
            op::STX => (Dest::Mem(k & 15), self.x, false),
            op::ALU => {
                let alu = code & 0xf0;
                if alu == op::NEG {
                    let v = match values.constant(self.a) {
                        Some(c) => konst(values, c.wrapping_neg()),
                        None => values.number(Value::Neg(self.a)),
                    };
                    (Dest::A, v, false)
                } else {
                    let b = if code & op::X != 0 {
                        self.x
                    } else {
                        konst(values, k)
                    };
                    let divides = matches!(alu, op::DIV | op::MOD);
                    let may_fail = divides && values.constant(b).unwrap_or(0) == 0;
                    (Dest::A, values.alu(code, self.a, b), may_fail)
                }
            }
            op::MISC if code & 0xf8 == op::TXA => (Dest::A, self.x, false),
            _ => (Dest::X, self.a, false),
        };
        let old = match dest {
            Dest::A => &mut self.a,
            Dest::X => &mut self.x,
            Dest::Mem(slot) => &mut self.mem[slot as usize],
        };
        let redundant = *old == v && !may_fail;
        *old = v;
        self.done.insert(v);
        StepResult {
            redundant,
            may_fail,
        }
    }
}

enum Dest {
    A,
    X,
    Mem(u32),
}

pub(super) struct StepResult {
    /// The destination already held the value.
    pub(super) redundant: bool,
    /// Running it may reject the packet.
    pub(super) may_fail: bool,
}

// ---------------------------------------------------------------------------------------------
// The forward pass.

/// Value numbering, redundant-statement removal, constant tests and jump threading, in one
/// pass over the blocks in order (see the module docs).
fn forward_pass(cfg: &mut Cfg) {
    let live_in = liveness(cfg);
    let reachable = cfg.reachable();
    let mut values = Values::default();
    let mut incoming: Vec<Vec<State>> = vec![Vec::new(); cfg.blocks.len()];
    incoming[0].push(State::entry(&mut values));
    for b in 0..cfg.blocks.len() {
        if !reachable[b] || incoming[b].is_empty() {
            continue;
        }
        let mut state = State::meet(&std::mem::take(&mut incoming[b]), &mut values);
        let stmts = std::mem::take(&mut cfg.blocks[b].stmts);
        for (code, k) in stmts {
            if !state.step(&mut values, code, k).redundant {
                cfg.blocks[b].stmts.push((code, k));
            }
        }
        if let Exit::Test { t, f, .. } = cfg.blocks[b].exit {
            if t == f {
                cfg.blocks[b].exit = Exit::Goto(t);
            }
        }
        let edges: Vec<(BlockId, State)> = match cfg.blocks[b].exit {
            Exit::Ret(..) => Vec::new(),
            Exit::Goto(to) => vec![(to, state)],
            Exit::Test { code, k, t, f } => match state.decide(&values, code, k) {
                Some(outcome) => {
                    let to = if outcome { t } else { f };
                    cfg.blocks[b].exit = Exit::Goto(to);
                    vec![(to, state)]
                }
                None => {
                    let mut on_true = state.clone();
                    on_true.learn(&values, code, k, true);
                    state.learn(&values, code, k, false);
                    vec![(t, on_true), (f, state)]
                }
            },
        };
        for (side, (to, edge)) in edges.into_iter().enumerate() {
            let to_final = thread(cfg, &live_in, &mut values, &edge, to);
            // Only this edge moves: the other one may go to the same block.
            match &mut cfg.blocks[b].exit {
                Exit::Test { t, .. } if side == 0 => *t = to_final,
                Exit::Test { f, .. } => *f = to_final,
                Exit::Goto(g) => *g = to_final,
                Exit::Ret(..) => {}
            }
            incoming[to_final].push(edge);
        }
        if let Exit::Test { t, f, .. } = cfg.blocks[b].exit {
            if t == f {
                cfg.blocks[b].exit = Exit::Goto(t);
            }
        }
    }
}

/// Where an edge carrying `state` into `to` can go instead: past a run of blocks whose
/// outcomes are known on it and that cannot fail on it, to the furthest block at which nothing
/// those blocks wrote differently is read.
///
/// A block in the run may leave behind what the next one reads (`ldb [20]` then a test of it)
/// as long as the landing block does not read it.
fn thread(cfg: &Cfg, live_in: &[Regs], values: &mut Values, state: &State, to: BlockId) -> BlockId {
    /// How far a run may go past its last possible landing block: bounds the time per edge.
    const MAX_DIRTY_STEPS: usize = 16;
    let mut s = state.clone();
    let (mut at, mut landing, mut dirty) = (to, to, 0);
    // Bounded: each step moves forward in the topological order.
    loop {
        let block = &cfg.blocks[at];
        if block
            .stmts
            .iter()
            .any(|&(code, k)| s.step(values, code, k).may_fail)
        {
            return landing;
        }
        let next = match block.exit {
            Exit::Ret(..) => return landing,
            Exit::Goto(next) => next,
            Exit::Test { code, k, t, f } => match s.decide(values, code, k) {
                Some(true) => t,
                Some(false) => f,
                None => return landing,
            },
        };
        at = next;
        // A write the landing block reads is harmless if it wrote what was there already.
        if s.changed_since(state) & live_in[at] == 0 {
            landing = at;
            dirty = 0;
        } else {
            dirty += 1;
            if dirty > MAX_DIRTY_STEPS {
                return landing;
            }
        }
    }
}

/// The machine at the entry of every reachable block (without facts): which registers hold
/// which values, and which loads have been done on every path.
pub(super) fn entry_states(cfg: &Cfg) -> (Values, Vec<Option<State>>) {
    let reachable = cfg.reachable();
    let mut values = Values::default();
    let mut incoming: Vec<Vec<State>> = vec![Vec::new(); cfg.blocks.len()];
    incoming[0].push(State::entry(&mut values));
    let mut entries = vec![None; cfg.blocks.len()];
    for b in 0..cfg.blocks.len() {
        if !reachable[b] || incoming[b].is_empty() {
            continue;
        }
        let entry = State::meet(&std::mem::take(&mut incoming[b]), &mut values);
        let mut state = entry.clone();
        for &(code, k) in &cfg.blocks[b].stmts {
            state.step(&mut values, code, k);
        }
        state.facts.clear();
        for s in cfg.blocks[b].exit.successors() {
            incoming[s].push(state.clone());
        }
        entries[b] = Some(entry);
    }
    (values, entries)
}

/// Drops statements whose result nothing reads, when running them cannot fail.
fn drop_dead_statements(cfg: &mut Cfg) {
    let reachable = cfg.reachable();
    let (mut values, entries) = entry_states(cfg);
    let safe: Vec<Vec<bool>> = entries
        .into_iter()
        .enumerate()
        .map(|(b, entry)| match entry {
            Some(mut state) => cfg.blocks[b]
                .stmts
                .iter()
                .map(|&(code, k)| !state.step(&mut values, code, k).may_fail)
                .collect(),
            None => Vec::new(),
        })
        .collect();
    let live_in = liveness(cfg);
    for b in 0..cfg.blocks.len() {
        if !reachable[b] {
            continue;
        }
        let block = &mut cfg.blocks[b];
        let mut live = block
            .exit
            .successors()
            .iter()
            .fold(0, |acc, &s| acc | live_in[s])
            | exit_uses(&block.exit);
        let mut keep = vec![true; block.stmts.len()];
        for (i, &(code, k)) in block.stmts.iter().enumerate().rev() {
            let (uses, defs) = uses_defs(code, k);
            if defs & live == 0 && safe[b].get(i).copied().unwrap_or(false) {
                keep[i] = false;
                continue;
            }
            live = (live & !defs) | uses;
        }
        let mut i = 0;
        block.stmts.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
}

/// `and #m` then `jeq #0` (or `jgt #0`, or `jeq #m` for a single bit) becomes `jset #m`, as in
/// libpcap, when nothing after reads the masked value.
fn fold_masks(cfg: &mut Cfg) {
    let live_in = liveness(cfg);
    for block in &mut cfg.blocks {
        let Exit::Test { code, k, t, f } = block.exit else {
            continue;
        };
        let Some(&(last, m)) = block.stmts.last() else {
            continue;
        };
        if last != op::ALU | op::AND | op::K || (live_in[t] | live_in[f]) & REG_A != 0 {
            continue;
        }
        // Which exit `jset #m` (true when a bit of `m` is set) takes for each outcome.
        let (t, f) = match (code, k) {
            (c, 0) if c == op::JMP | op::JEQ | op::K => (f, t),
            (c, 0) if c == op::JMP | op::JGT | op::K => (t, f),
            (c, k) if c == op::JMP | op::JEQ | op::K && k == m && m.is_power_of_two() => (t, f),
            _ => continue,
        };
        block.stmts.pop();
        block.exit = Exit::Test {
            code: op::JMP | op::JSET | op::K,
            k: m,
            t,
            f,
        };
    }
}
