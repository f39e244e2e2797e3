//! Reordering chains of tests, as libpcap's optimiser does (its `or_pullup`/`and_pullup`): in
//! a chain of `or`s (or of `and`s), a test of the value the chain tested last moves up ahead of
//! tests of other values, when everything it reads has already been loaded.
//!
//! `port 1 or port 2` tests, on IPv4, source port 1, destination port 1, source port 2,
//! destination port 2. Testing source port 2 right after source port 1 lets the accumulator
//! keep the source port for both tests, and then the destination port for both: the reloads
//! vanish and the chains of `jeq`s on the destination port become identical enough to share.
//!
//! Swapping two tests is exact on every packet that holds the fields both read. It changes the
//! verdict only on a frame cut inside the field of the test moved later: unoptimised, loading it
//! rejects the frame before the other test runs; reordered, the other test may accept the frame
//! first. Because the rule is libpcap's, so are the verdicts on such frames; see the module docs
//! of `compile` and tests/filter_tcpdump_optimize.rs.

use super::optimize::{block_defs, block_live_in, entry_states, BlockId, Cfg, Exit, State};
use super::optimize::{liveness, Values};

/// Which exit the tests of a chain share: in an `Or` chain each test's true exit, in an `And`
/// chain its false exit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Chain {
    Or,
    And,
}

/// Moves tests of the value a chain just tested ahead of tests of other values, along `or` and
/// `and` chains, one sweep over the blocks.
pub(super) fn pull_up_tests(cfg: &mut Cfg) {
    let (mut values, mut entries) = entry_states(cfg);
    let mut live_in = liveness(cfg);
    let preds = cfg.pred_counts();
    // The unique predecessor of each block that has one, to walk a chain backwards.
    let mut sole_pred: Vec<Option<BlockId>> = vec![None; cfg.blocks.len()];
    let live = cfg.reachable();
    for (b, block) in cfg.blocks.iter().enumerate() {
        if live[b] {
            for s in block.exit.successors() {
                if preds[s] == 1 {
                    sole_pred[s] = Some(b);
                }
            }
        }
    }
    // A swap leaves fewer loads done on the paths into the shared exit, so the entry states
    // from there on are stale until the next round.
    let mut stale_from = cfg.blocks.len();
    for d in 0..cfg.blocks.len() {
        let mut at = d;
        // After a swap the test moved up may move up again, past its new predecessor.
        while at < stale_from {
            let Some(shared) = try_swap(cfg, &mut values, &mut entries, &mut live_in, &preds, at)
            else {
                break;
            };
            if !matches!(cfg.blocks[shared].exit, Exit::Ret(..)) {
                stale_from = stale_from.min(shared);
            }
            match sole_pred[at] {
                Some(p) => at = p,
                None => break,
            }
        }
    }
}

/// A test's `(shared, chained)` exits: the one every test of the chain shares, and the one
/// that goes on to the next test.
fn chained(exit: &Exit, chain: Chain) -> Option<(BlockId, BlockId)> {
    match (exit, chain) {
        (&Exit::Test { t, f, .. }, Chain::Or) => Some((t, f)),
        (&Exit::Test { t, f, .. }, Chain::And) => Some((f, t)),
        _ => None,
    }
}

/// Points a test's chained exit at `to`, keeping its shared exit.
fn set_chained(exit: &mut Exit, chain: Chain, to: BlockId) {
    if let Exit::Test { t, f, .. } = exit {
        match chain {
            Chain::Or => *f = to,
            Chain::And => *t = to,
        }
    }
}

/// Moves a test up past block `d` and the tests of the accumulator that follow it on the
/// chained side (a group that loads once and tests the value several times), if that is safe
/// and useful, and returns the exit the chain shares.
fn try_swap(
    cfg: &mut Cfg,
    values: &mut Values,
    entries: &mut [Option<State>],
    live_in: &mut [u32],
    preds: &[usize],
    d: BlockId,
) -> Option<BlockId> {
    [Chain::Or, Chain::And]
        .into_iter()
        .find_map(|chain| try_swap_on(cfg, values, entries, live_in, preds, d, chain))
}

fn try_swap_on(
    cfg: &mut Cfg,
    values: &mut Values,
    entries: &mut [Option<State>],
    live_in: &mut [u32],
    preds: &[usize],
    d: BlockId,
    chain: Chain,
) -> Option<BlockId> {
    let (shared, mut after) = chained(&cfg.blocks[d].exit, chain)?;
    // Cheap checks first: most blocks are no chain at all.
    match chained(&cfg.blocks[after].exit, chain) {
        Some((s, _)) if s == shared && preds[after] == 1 => {}
        _ => return None,
    }
    let entry = entries[d].clone()?;
    if cfg.blocks[d].stmts.is_empty() {
        // A test of the accumulator alone is part of a chain on the value already loaded:
        // the place tests move to, not one to move past.
        return None;
    }
    // The group: `d`, then tests with the same shared exit whose statements only reload what
    // is already there (the next round drops those).
    let mut group = vec![d];
    let mut sim = entry.clone();
    for &(code, k) in &cfg.blocks[d].stmts {
        sim.step(values, code, k);
    }
    let e = loop {
        let block = &cfg.blocks[after];
        let (s, next) = chained(&block.exit, chain)?;
        if s != shared || preds[after] != 1 {
            return None;
        }
        // Redundant statements leave `sim` as it was; the walk stops at the first other one.
        let reloads = block
            .stmts
            .iter()
            .all(|&(code, k)| sim.step(values, code, k).redundant);
        if !reloads {
            break after;
        }
        group.push(after);
        after = next;
    };
    let (_, next) = chained(&cfg.blocks[e].exit, chain)?;
    // As in libpcap, a test moves up only when it tests the value the test before `d` did,
    // so the two join one chain of tests on that value; and only when it cannot fail there.
    let e_block = cfg.blocks[e].clone();
    let mut at_e = entry.clone();
    let e_fails = e_block
        .stmts
        .iter()
        .any(|&(code, k)| at_e.step(values, code, k).may_fail);
    if e_fails || at_e.a != entry.a {
        return None;
    }
    // Neither may read what the other writes, and what both write must not be read after.
    let group_defs = group
        .iter()
        .fold(0, |acc, &g| acc | block_defs(&cfg.blocks[g]));
    let group_reads = group
        .iter()
        .rev()
        .fold(0, |live, &g| block_live_in(&cfg.blocks[g], live));
    let e_defs = block_defs(&e_block);
    if block_live_in(&e_block, 0) & group_defs != 0
        || group_reads & e_defs != 0
        || (group_defs | e_defs) & live_in[shared] != 0
        || group_defs & e_defs & live_in[next] != 0
    {
        return None;
    }
    // Rotate: `e`'s test takes `d`'s place, and the group moves down one block.
    // Moved, not copied: a group can be a thousand blocks long.
    let mut slots = group;
    slots.push(e);
    let mut carried = cfg.blocks[e].clone();
    for (i, &slot) in slots.iter().enumerate() {
        let to = slots.get(i + 1).copied().unwrap_or(next);
        set_chained(&mut carried.exit, chain, to);
        carried = std::mem::replace(&mut cfg.blocks[slot], carried);
    }
    // The group is now entered after `e`'s statements, which load nothing new.
    let mut moved = entry;
    for &(code, k) in &e_block.stmts {
        moved.step(values, code, k);
    }
    for &slot in &slots[1..] {
        entries[slot] = Some(moved.clone());
    }
    let mut live = live_in[next];
    for &slot in slots.iter().rev() {
        live_in[slot] = block_live_in(&cfg.blocks[slot], live | live_in[shared]);
        live = live_in[slot];
    }
    Some(shared)
}
