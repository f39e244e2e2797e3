//! The provided-buffer ring: receive buffers the kernel picks from as data arrives, so a
//! connection holds no receive buffer of its own while it waits (10,000 idle connections cost no
//! buffers at all), and one multishot receive serves a connection for as long as it lives.
//!
//! A completed receive names the buffer it filled; its bytes are copied out at once and the
//! buffer goes straight back to the ring, so the ring never runs dry for long.

use std::alloc::{self, Layout};
use std::io;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::types::BufRingEntry;
use io_uring::Submitter;

/// The buffer group every receive names.
pub const GROUP: u16 = 0;
/// Buffers per ring (a power of two, as the kernel requires) and the size of each: 4 MiB per
/// thread. When more receives complete in one turn of the loop than there are buffers, the
/// ring runs dry and receives end with ENOBUFS (and are armed again); while many clients flood
/// the server, a connection can lose that race turn after turn. With 64 buffers a polite client
/// among eight flooding ones was starved past the idle timeout (tests/hostile.rs); 256 serve it.
/// Smaller rings stay in the CPU caches (the kernel writes the buffers in ring order): with 32
/// of 16 KiB a bulk stream cost about 15% less CPU per message than with this one.
pub const COUNT: u16 = 256;
pub const SIZE: usize = 16 * 1024;

/// The ring of buffer descriptors and the buffers, both owned here and registered with a ring.
pub struct BufRing {
    /// `COUNT` descriptors, page-aligned as the kernel requires; the tail shares the first.
    entries: *mut BufRingEntry,
    /// `COUNT * SIZE` bytes of buffers.
    memory: *mut u8,
    /// The tail as this side last published it.
    tail: u16,
}

impl BufRing {
    fn entries_layout() -> Layout {
        Layout::from_size_align(COUNT as usize * std::mem::size_of::<BufRingEntry>(), 4096)
            .expect("a valid layout")
    }

    fn memory_layout() -> Layout {
        Layout::from_size_align(COUNT as usize * SIZE, 4096).expect("a valid layout")
    }

    /// Allocates the buffers, hands all of them to the kernel and registers the ring.
    pub fn register(submitter: &Submitter<'_>) -> io::Result<BufRing> {
        // SAFETY: both layouts have a non-zero size; a null result is checked below.
        let (entries, memory) = unsafe {
            (
                alloc::alloc_zeroed(Self::entries_layout()).cast::<BufRingEntry>(),
                alloc::alloc(Self::memory_layout()),
            )
        };
        if entries.is_null() || memory.is_null() {
            alloc::handle_alloc_error(Self::memory_layout());
        }
        let mut ring = BufRing {
            entries,
            memory,
            tail: 0,
        };
        for bid in 0..COUNT {
            ring.give_back(bid);
        }
        // SAFETY: `entries` points to COUNT page-aligned descriptors that live in `ring`, which
        // the caller keeps until the io_uring instance is gone (see `Worker`'s field order and
        // `forget`), so the kernel never reads freed descriptors.
        unsafe { submitter.register_buf_ring_with_flags(entries as u64, COUNT, GROUP, 0)? };
        Ok(ring)
    }

    /// The bytes the kernel put in buffer `bid`.
    pub fn filled(&self, bid: u16, len: usize) -> &[u8] {
        assert!(
            bid < COUNT && len <= SIZE,
            "the kernel named buffer {bid} of {len} bytes"
        );
        // SAFETY: the completion that named `bid` handed that buffer to this side: the kernel
        // does not write it again until `give_back(bid)` returns it, and the range lies inside
        // `memory`, which lives as long as `self`.
        unsafe { std::slice::from_raw_parts(self.memory.add(bid as usize * SIZE), len) }
    }

    /// Returns buffer `bid` to the kernel for another receive.
    pub fn give_back(&mut self, bid: u16) {
        let mask = COUNT - 1;
        // SAFETY: the slot at `tail` lies inside the COUNT descriptors; the kernel reads it only
        // after the tail below moves past it. The buffer's address is inside `memory`.
        unsafe {
            let entry = &mut *self.entries.add((self.tail & mask) as usize);
            entry.set_addr(self.memory.add(bid as usize * SIZE) as u64);
            entry.set_len(SIZE as u32);
            entry.set_bid(bid);
        }
        self.tail = self.tail.wrapping_add(1);
        // SAFETY: the tail field is the reserved u16 of the first descriptor, aligned for an
        // atomic u16, and lives as long as `self`; the kernel reads it concurrently, hence the
        // atomic store with release ordering after the descriptor is written.
        unsafe {
            let tail = BufRingEntry::tail(self.entries).cast_mut();
            AtomicU16::from_ptr(tail).store(self.tail, Ordering::Release);
        }
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        // SAFETY: allocated in `register` with these layouts. The worker drops this only after
        // its io_uring instance is gone and no receive is in flight, or leaks it instead.
        unsafe {
            alloc::dealloc(self.entries.cast(), Self::entries_layout());
            alloc::dealloc(self.memory, Self::memory_layout());
        }
    }
}
