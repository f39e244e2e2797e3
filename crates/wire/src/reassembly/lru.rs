//! The flow table: a hash map whose entries also sit on a recency list, so that the least
//! recently seen flow is found, and any flow moved to the recent end, in constant time.
//!
//! Entries live in a slab (`Vec` of slots plus a free list) and link to each other by slot
//! index, an intrusive doubly linked list without pointers or `unsafe`. The map gives a key's
//! slot. Slots are reused but never handed out: callers hold a slot only between two calls
//! that do not remove it, so no generation counter is needed.

use std::collections::HashMap;
use std::hash::Hash;

/// No slot: the end of the list.
const NIL: u32 = u32::MAX;

#[derive(Debug)]
struct Slot<K, V> {
    key: K,
    value: V,
    /// Towards the least recently used end.
    prev: u32,
    /// Towards the most recently used end.
    next: u32,
}

/// A map from `K` to `V` ordered by last use.
#[derive(Debug)]
pub(super) struct LruMap<K, V> {
    index: HashMap<K, u32>,
    slots: Vec<Option<Slot<K, V>>>,
    free: Vec<u32>,
    /// Least recently used.
    head: u32,
    /// Most recently used.
    tail: u32,
    /// Entries looked at to find the least recently used one: the work that a table which
    /// scans to choose a victim would do in proportion to its size.
    examined: u64,
}

impl<K: Copy + Eq + Hash, V> LruMap<K, V> {
    pub(super) fn new() -> LruMap<K, V> {
        LruMap {
            index: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            examined: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.index.len()
    }

    /// The slot of `key`, now the most recently used.
    pub(super) fn touch(&mut self, key: &K) -> Option<u32> {
        let at = *self.index.get(key)?;
        if at != self.tail {
            self.unlink(at);
            self.link_tail(at);
        }
        Some(at)
    }

    /// Adds `key`, which must not be present, as the most recently used; returns its slot.
    pub(super) fn insert(&mut self, key: K, value: V) -> u32 {
        let slot = Slot {
            key,
            value,
            prev: NIL,
            next: NIL,
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
        self.link_tail(at);
        at
    }

    /// The least recently used entry's slot.
    pub(super) fn oldest(&mut self) -> Option<u32> {
        if self.head == NIL {
            return None;
        }
        self.examined += 1;
        Some(self.head)
    }

    pub(super) fn get(&self, at: u32) -> &V {
        &self.slot(at).value
    }

    pub(super) fn get_mut(&mut self, at: u32) -> &mut V {
        &mut self.slot_mut(at).value
    }

    /// Takes the entry in slot `at` out of the map.
    pub(super) fn remove(&mut self, at: u32) -> (K, V) {
        self.unlink(at);
        let slot = self.slots[at as usize].take().expect("slot in use");
        self.index.remove(&slot.key);
        self.free.push(at);
        (slot.key, slot.value)
    }

    /// Every entry, in no particular order.
    pub(super) fn values(&self) -> impl Iterator<Item = (u32, &V)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(at, s)| s.as_ref().map(|s| (at as u32, &s.value)))
    }

    /// See the field.
    #[cfg(test)]
    pub(super) fn examined(&self) -> u64 {
        self.examined
    }

    fn slot(&self, at: u32) -> &Slot<K, V> {
        self.slots[at as usize].as_ref().expect("slot in use")
    }

    fn slot_mut(&mut self, at: u32) -> &mut Slot<K, V> {
        self.slots[at as usize].as_mut().expect("slot in use")
    }

    fn unlink(&mut self, at: u32) {
        let (prev, next) = {
            let s = self.slot(at);
            (s.prev, s.next)
        };
        match prev {
            NIL => self.head = next,
            p => self.slot_mut(p).next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.slot_mut(n).prev = prev,
        }
    }

    fn link_tail(&mut self, at: u32) {
        let tail = self.tail;
        {
            let s = self.slot_mut(at);
            s.prev = tail;
            s.next = NIL;
        }
        match tail {
            NIL => self.head = at,
            t => self.slot_mut(t).next = at,
        }
        self.tail = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys from least to most recently used, walking the links both ways.
    fn order(m: &LruMap<u32, ()>) -> Vec<u32> {
        let mut fwd = Vec::new();
        let mut at = m.head;
        while at != NIL {
            fwd.push(m.slot(at).key);
            at = m.slot(at).next;
        }
        let mut back = Vec::new();
        let mut at = m.tail;
        while at != NIL {
            back.push(m.slot(at).key);
            at = m.slot(at).prev;
        }
        back.reverse();
        assert_eq!(fwd, back, "links disagree");
        assert_eq!(fwd.len(), m.len());
        fwd
    }

    #[test]
    fn touch_moves_to_the_recent_end_and_slots_are_reused() {
        let mut m = LruMap::new();
        let a = m.insert(1, ());
        m.insert(2, ());
        m.insert(3, ());
        assert_eq!(order(&m), [1, 2, 3]);
        assert_eq!(m.touch(&1), Some(a));
        assert_eq!(order(&m), [2, 3, 1]);
        assert_eq!(m.touch(&1), Some(a));
        assert_eq!(m.touch(&9), None);
        let old = m.oldest().unwrap();
        assert_eq!(m.remove(old), (2, ()));
        assert_eq!(order(&m), [3, 1]);
        let mid = m.touch(&3).unwrap();
        m.touch(&1);
        let three = m.touch(&3).unwrap();
        assert_eq!(m.remove(three), (3, ()));
        assert_eq!(order(&m), [1]);
        // The freed slot is the next one used.
        assert_eq!(m.insert(4, ()), mid);
        assert_eq!(order(&m), [1, 4]);
        let all = [m.oldest().unwrap(), m.touch(&4).unwrap()];
        for at in all {
            m.remove(at);
        }
        assert_eq!(order(&m), []);
        assert_eq!(m.oldest(), None);
        assert_eq!(m.examined(), 2);
    }

    proptest::proptest! {
        /// Against a plain vector kept in recency order.
        #[test]
        fn agrees_with_a_vector(ops in proptest::collection::vec((0u8..4, 0u32..8), 0..200)) {
            let mut m = LruMap::new();
            let mut model: Vec<u32> = Vec::new();
            for (op, key) in ops {
                match op {
                    0 if !model.contains(&key) => {
                        m.insert(key, ());
                        model.push(key);
                    }
                    1 => {
                        let got = m.touch(&key).is_some();
                        if let Some(i) = model.iter().position(|k| *k == key) {
                            model.remove(i);
                            model.push(key);
                            proptest::prop_assert!(got);
                        } else {
                            proptest::prop_assert!(!got);
                        }
                    }
                    2 => {
                        if let Some(at) = m.oldest() {
                            proptest::prop_assert_eq!(m.remove(at).0, model.remove(0));
                        } else {
                            proptest::prop_assert!(model.is_empty());
                        }
                    }
                    _ => {
                        if let Some(at) = m.touch(&key) {
                            m.remove(at);
                            model.retain(|k| *k != key);
                        }
                    }
                }
                proptest::prop_assert_eq!(order(&m), model.clone());
            }
        }
    }
}
