//! A map that also keeps its entries in order of last use, in two tiers, so that the entry to
//! give up first is found, and any entry moved to the recent end, in constant time: the
//! reassembler's flow table, and a bounded table of anything else keyed per flow (the
//! sniffer's relative sequence numbers) that must not cost more per new key than per known
//! one.
//!
//! There are two lists, as in a segmented LRU: entries start on the probation list and move
//! to the protected one when [`LruMap::promote`]d; [`LruMap::oldest`] offers the least
//! recently used entry on probation, and a protected one only when none is on probation.
//! A flood of new keys (a SYN flood, a port scan) therefore only displaces other keys on
//! probation, while the entries a caller promoted (established conversations) stay.
//!
//! Entries live in a slab (`Vec` of slots plus a free list) and link to each other by slot
//! index, an intrusive doubly linked list without pointers or `unsafe`. The map gives a key's
//! slot. Slots are reused and carry no generation: a slot number names its entry only until
//! that entry is removed, so callers hold one only between two calls that do not remove it
//! (a stale slot panics or names another entry; it can never reach freed memory).
//!
//! ```
//! use wire::reassembly::lru::LruMap;
//!
//! // Room for two: the caller evicts before inserting a third.
//! let mut m = LruMap::with_capacity(2);
//! let a = m.insert("established", 1);
//! m.promote(a);
//! m.insert("syn-only", 2);
//! if m.len() >= 2 {
//!     let victim = m.oldest().unwrap();
//!     assert_eq!(m.remove(victim), ("syn-only", 2));
//! }
//! m.insert("scan", 3);
//! let at = m.touch(&"established").unwrap();
//! assert_eq!(*m.get(at), 1);
//! ```

use std::collections::HashMap;
use std::hash::Hash;

/// How keys are hashed: foldhash, seeded at random per table. A flow table hashes a key on
/// every packet, and on keys of a few dozen bytes SipHash (std's default) cost as much as the
/// rest of following the flow. foldhash is only minimally DoS-resistant, but its seed is
/// random and never shown, so crafted addresses still cannot be aimed at one bucket by
/// anyone who does not see the table from the inside.
type Seeded = foldhash::fast::RandomState;

/// No slot: the end of the list.
const NIL: u32 = u32::MAX;

/// Which list an entry is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Where entries start; offered first by [`LruMap::oldest`].
    Probation,
    /// Offered only once no entry is on probation.
    Protected,
}

impl Tier {
    fn index(self) -> usize {
        match self {
            Tier::Probation => 0,
            Tier::Protected => 1,
        }
    }
}

/// The two ends of one list.
#[derive(Debug, Clone, Copy)]
struct Ends {
    /// Least recently used.
    head: u32,
    /// Most recently used.
    tail: u32,
}

#[derive(Debug)]
struct Slot<K, V> {
    key: K,
    value: V,
    /// Towards the least recently used end.
    prev: u32,
    /// Towards the most recently used end.
    next: u32,
    tier: Tier,
}

/// A map from `K` to `V` ordered by last use; see the [module](self) documentation.
#[derive(Debug)]
pub struct LruMap<K, V> {
    index: HashMap<K, u32, Seeded>,
    slots: Vec<Option<Slot<K, V>>>,
    free: Vec<u32>,
    /// One list per [`Tier`].
    lists: [Ends; 2],
    /// Entries looked at to find the least recently used one: the work that a table which
    /// scans to choose a victim would do in proportion to its size.
    examined: u64,
}

impl<K: Copy + Eq + Hash, V> Default for LruMap<K, V> {
    fn default() -> LruMap<K, V> {
        LruMap::new()
    }
}

impl<K: Copy + Eq + Hash, V> LruMap<K, V> {
    /// An empty map that grows as needed.
    pub fn new() -> LruMap<K, V> {
        LruMap::with_capacity(0)
    }

    /// A map that holds `capacity` entries without growing. Growing rehashes every entry
    /// and copies the slab, a pause of tens of milliseconds at tens of thousands of entries
    /// in which a live capture's ring fills. Reserving costs address space, not memory,
    /// until entries are used: only the hash table's control bytes (one per slot) are
    /// written.
    pub fn with_capacity(capacity: usize) -> LruMap<K, V> {
        LruMap {
            index: HashMap::with_capacity_and_hasher(capacity, Seeded::default()),
            slots: Vec::with_capacity(capacity),
            free: Vec::new(),
            lists: [Ends {
                head: NIL,
                tail: NIL,
            }; 2],
            examined: 0,
        }
    }

    /// Entries in the map.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the map has no entry.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The slot of `key`, now the most recently used of its tier.
    pub fn touch(&mut self, key: &K) -> Option<u32> {
        let at = *self.index.get(key)?;
        let tier = self.slot(at).tier;
        if at != self.lists[tier.index()].tail {
            self.unlink(at);
            self.link_tail(at, tier);
        }
        Some(at)
    }

    /// Moves the entry in slot `at` to the protected tier, as its most recently used.
    pub fn promote(&mut self, at: u32) {
        if self.slot(at).tier == Tier::Probation {
            self.unlink(at);
            self.link_tail(at, Tier::Protected);
        }
    }

    /// Adds `key`, which must not be present, on probation as the most recently used;
    /// returns its slot.
    pub fn insert(&mut self, key: K, value: V) -> u32 {
        let slot = Slot {
            key,
            value,
            prev: NIL,
            next: NIL,
            tier: Tier::Probation,
        };
        let at = match self.free.pop() {
            Some(at) => {
                self.slots[at as usize] = Some(slot);
                at
            }
            None => {
                let at = u32::try_from(self.slots.len()).expect("fewer than 2^32 - 1 flows");
                assert!(at != NIL, "fewer than 2^32 - 1 flows");
                self.slots.push(Some(slot));
                at
            }
        };
        let old = self.index.insert(key, at);
        debug_assert!(old.is_none(), "key inserted twice");
        self.link_tail(at, Tier::Probation);
        at
    }

    /// The slot of the entry to give up first: the least recently used on probation, or when
    /// none is, the least recently used protected one.
    pub fn oldest(&mut self) -> Option<u32> {
        self.oldest_in(Tier::Probation)
            .or_else(|| self.oldest_in(Tier::Protected))
    }

    /// The least recently used entry of one tier.
    pub fn oldest_in(&mut self, tier: Tier) -> Option<u32> {
        let head = self.lists[tier.index()].head;
        if head == NIL {
            return None;
        }
        self.examined += 1;
        Some(head)
    }

    /// The value in slot `at`.
    pub fn get(&self, at: u32) -> &V {
        &self.slot(at).value
    }

    /// The value in slot `at`, to change in place.
    pub fn get_mut(&mut self, at: u32) -> &mut V {
        &mut self.slot_mut(at).value
    }

    /// Takes the entry in slot `at` out of the map.
    pub fn remove(&mut self, at: u32) -> (K, V) {
        self.unlink(at);
        let slot = self.slots[at as usize].take().expect("slot in use");
        self.index.remove(&slot.key);
        self.free.push(at);
        (slot.key, slot.value)
    }

    /// Every entry, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = (u32, &V)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(at, s)| s.as_ref().map(|s| (at as u32, &s.value)))
    }

    /// Entries looked at so far to choose one to give up: one per call of [`LruMap::oldest`]
    /// or [`LruMap::oldest_in`] that found one, whatever the map's size. Tests count it to
    /// show that eviction does not scan.
    pub fn examined(&self) -> u64 {
        self.examined
    }

    fn slot(&self, at: u32) -> &Slot<K, V> {
        self.slots[at as usize].as_ref().expect("slot in use")
    }

    fn slot_mut(&mut self, at: u32) -> &mut Slot<K, V> {
        self.slots[at as usize].as_mut().expect("slot in use")
    }

    fn unlink(&mut self, at: u32) {
        let (prev, next, tier) = {
            let s = self.slot(at);
            (s.prev, s.next, s.tier)
        };
        let ends = &mut self.lists[tier.index()];
        match prev {
            NIL => ends.head = next,
            p => self.slot_mut(p).next = next,
        }
        let ends = &mut self.lists[tier.index()];
        match next {
            NIL => ends.tail = prev,
            n => self.slot_mut(n).prev = prev,
        }
    }

    fn link_tail(&mut self, at: u32, tier: Tier) {
        let tail = self.lists[tier.index()].tail;
        {
            let s = self.slot_mut(at);
            s.prev = tail;
            s.next = NIL;
            s.tier = tier;
        }
        match tail {
            NIL => self.lists[tier.index()].head = at,
            t => self.slot_mut(t).next = at,
        }
        self.lists[tier.index()].tail = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys of one tier from least to most recently used, walking the links both ways.
    fn order(m: &LruMap<u32, ()>, tier: Tier) -> Vec<u32> {
        let ends = m.lists[tier.index()];
        let mut fwd = Vec::new();
        let mut at = ends.head;
        while at != NIL {
            assert_eq!(m.slot(at).tier, tier);
            fwd.push(m.slot(at).key);
            at = m.slot(at).next;
        }
        let mut back = Vec::new();
        let mut at = ends.tail;
        while at != NIL {
            back.push(m.slot(at).key);
            at = m.slot(at).prev;
        }
        back.reverse();
        assert_eq!(fwd, back, "links disagree");
        fwd
    }

    fn both(m: &LruMap<u32, ()>) -> [Vec<u32>; 2] {
        let lists = [order(m, Tier::Probation), order(m, Tier::Protected)];
        assert_eq!(lists[0].len() + lists[1].len(), m.len());
        lists
    }

    #[test]
    fn touch_moves_to_the_recent_end_and_slots_are_reused() {
        let mut m = LruMap::new();
        let a = m.insert(1, ());
        m.insert(2, ());
        m.insert(3, ());
        assert_eq!(both(&m), [vec![1, 2, 3], vec![]]);
        assert_eq!(m.touch(&1), Some(a));
        assert_eq!(both(&m), [vec![2, 3, 1], vec![]]);
        assert_eq!(m.touch(&1), Some(a));
        assert_eq!(m.touch(&9), None);
        let old = m.oldest().unwrap();
        assert_eq!(m.remove(old), (2, ()));
        assert_eq!(both(&m), [vec![3, 1], vec![]]);
        let mid = m.touch(&3).unwrap();
        m.touch(&1);
        let three = m.touch(&3).unwrap();
        assert_eq!(m.remove(three), (3, ()));
        assert_eq!(both(&m), [vec![1], vec![]]);
        // The freed slot is the next one used.
        assert_eq!(m.insert(4, ()), mid);
        assert_eq!(both(&m), [vec![1, 4], vec![]]);
        let all = [m.oldest().unwrap(), m.touch(&4).unwrap()];
        for at in all {
            m.remove(at);
        }
        assert_eq!(both(&m), [Vec::<u32>::new(), vec![]]);
        assert_eq!(m.oldest(), None);
        assert_eq!(m.examined(), 2);
    }

    #[test]
    fn protected_entries_are_offered_only_when_none_is_on_probation() {
        let mut m = LruMap::new();
        let a = m.insert(1, ());
        let b = m.insert(2, ());
        m.insert(3, ());
        m.promote(b);
        m.promote(a);
        m.promote(a);
        assert_eq!(both(&m), [vec![3], vec![2, 1]]);
        m.touch(&2);
        assert_eq!(both(&m), [vec![3], vec![1, 2]]);
        let at = m.oldest().unwrap();
        assert_eq!(m.remove(at).0, 3);
        let at = m.oldest().unwrap();
        assert_eq!(m.remove(at).0, 1);
        assert_eq!(both(&m), [vec![], vec![2]]);
    }

    proptest::proptest! {
        /// Against two plain vectors kept in recency order.
        #[test]
        fn agrees_with_two_vectors(ops in proptest::collection::vec((0u8..5, 0u32..8), 0..200)) {
            let mut m = LruMap::new();
            let mut model: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
            let find = |model: &[Vec<u32>; 2], key: u32| {
                (0..2).find_map(|t| model[t].iter().position(|k| *k == key).map(|i| (t, i)))
            };
            for (op, key) in ops {
                match op {
                    0 if find(&model, key).is_none() => {
                        m.insert(key, ());
                        model[0].push(key);
                    }
                    1 => {
                        let got = m.touch(&key).is_some();
                        proptest::prop_assert_eq!(got, find(&model, key).is_some());
                        if let Some((t, i)) = find(&model, key) {
                            model[t].remove(i);
                            model[t].push(key);
                        }
                    }
                    2 => match m.oldest() {
                        Some(at) => {
                            let t = if model[0].is_empty() { 1 } else { 0 };
                            proptest::prop_assert_eq!(m.remove(at).0, model[t].remove(0));
                        }
                        None => proptest::prop_assert!(model.iter().all(Vec::is_empty)),
                    },
                    3 => {
                        if let Some(at) = m.touch(&key) {
                            m.promote(at);
                            let (t, i) = find(&model, key).unwrap();
                            model[t].remove(i);
                            model[1].push(key);
                        }
                    }
                    _ => {
                        if let Some(at) = m.touch(&key) {
                            m.remove(at);
                            let (t, i) = find(&model, key).unwrap();
                            model[t].remove(i);
                        }
                    }
                }
                proptest::prop_assert_eq!(both(&m), model.clone());
            }
        }
    }
}
