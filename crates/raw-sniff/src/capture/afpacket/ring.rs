//! The TPACKET_V3 ring shared with the kernel by `mmap`, as libpcap uses it: the kernel fills
//! whole blocks of packets and flips a status word, so there is no system call and no copy per
//! packet.
//!
//! A block belongs to the kernel until its status says `TP_STATUS_USER`, and goes back when
//! this side writes `TP_STATUS_KERNEL`. Frames are handed out as slices of the current block
//! that borrow the [`Ring`]; the block is released only by a method taking `&mut self`, so the
//! borrow checker itself keeps a released block from being read.

use std::ffi::c_void;
use std::io;
use std::mem::{offset_of, size_of};
use std::os::fd::{AsRawFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::{fence, Ordering};

use socket2::Socket;

use super::socket::setsockopt;
use super::POLL_MS;
use crate::capture::Timestamp;

/// A block the kernel hands over at the latest this long after its first packet, so a quiet
/// link still shows packets at once.
pub(super) const BLOCK_TIMEOUT_MS: u32 = 10;

/// A frame as the ring holds it, borrowed from the ring until it moves on.
pub(super) struct RawFrame<'a> {
    /// The kernel's capture time.
    pub(super) ts: Timestamp,
    /// The captured bytes, inside the current block.
    pub(super) data: &'a [u8],
    /// The frame's length on the wire.
    pub(super) orig_len: u32,
    /// The kernel has not filled the checksum in yet (offload on the sending side).
    pub(super) csum_not_ready: bool,
    /// Where the frame came from and how it was addressed.
    pub(super) addr: libc::sockaddr_ll,
    /// The VLAN tag the kernel took out of the frame, if it did.
    pub(super) vlan: Option<VlanTag>,
}

/// An 802.1Q/802.1ad tag kept in the frame's metadata rather than its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct VlanTag {
    /// The tag protocol identifier (0x8100 when the kernel does not say).
    pub(super) tpid: u16,
    /// The tag control information: priority, drop eligibility, VLAN ID.
    pub(super) tci: u16,
}

impl VlanTag {
    /// The tag a `tpacket3_hdr` describes, judged as libpcap judges it: a non-zero TCI or
    /// `TP_STATUS_VLAN_VALID` means there was one, and the TPID is 802.1Q's unless given.
    pub(super) fn from_header(status: u32, tci: u32, tpid: u16) -> Option<VlanTag> {
        if tci == 0 && status & libc::TP_STATUS_VLAN_VALID == 0 {
            return None;
        }
        let tpid_given = tpid != 0 || status & libc::TP_STATUS_VLAN_TPID_VALID != 0;
        Some(VlanTag {
            tpid: if tpid_given { tpid } else { 0x8100 },
            // The kernel's TCI is 16 bits wide, in a 32-bit field.
            tci: tci as u16,
        })
    }
}

/// Where a frame lies in the current block and what its header says: plain values, so holding
/// one borrows nothing and the ring can move on to the next frame while it is looked at.
struct Slot {
    /// The block it lies in.
    block: usize,
    /// Its bytes: `start..start + len` within the block, checked to lie inside it.
    start: usize,
    len: usize,
    ts: Timestamp,
    orig_len: u32,
    csum_not_ready: bool,
    addr: libc::sockaddr_ll,
    vlan: Option<VlanTag>,
}

/// The TPACKET_V3 ring: `block_nr` blocks of `block_size` bytes.
pub(super) struct Ring {
    base: NonNull<u8>,
    len: usize,
    block_size: usize,
    block_nr: usize,
    /// The block being read or waited for.
    block: usize,
    /// Packets left in the current block and where the next one starts, once it is ours.
    cursor: Option<(u32, usize)>,
}

// SAFETY: the ring is a mapping of its own socket's buffer, reached only through `&mut self`
// (frames borrow it), so moving it to another thread moves the only way to touch it; the
// kernel side of the handshake (status words with acquire/release ordering) does not care
// which thread reads.
unsafe impl Send for Ring {}

impl Ring {
    /// Switches the socket to TPACKET_V3 and maps a ring of about `buffer` bytes.
    pub(super) fn new(socket: &Socket, buffer: usize) -> io::Result<Ring> {
        let fd = socket.as_raw_fd();
        let version = libc::tpacket_versions::TPACKET_V3 as libc::c_int;
        setsockopt(fd, libc::PACKET_VERSION, &version)?;
        // The kernel hands a block over when it is full or when its timeout runs out, so
        // trickling traffic uses a whole block per timeout however little it holds, and a
        // reader held off the CPU for `block_nr` timeouts loses packets with the ring nearly
        // empty. Many small blocks make that stall long (64 × 10 ms with the default 8 MiB)
        // while 128 KiB still holds any single frame whole (64 KiB GSO on `lo`); 64 KiB
        // blocks, tried if the kernel refuses, truncate only such super-packets.
        let mut last = io::Error::from(io::ErrorKind::OutOfMemory);
        for block_size in [1usize << 17, 1 << 16] {
            let block_nr = (buffer / block_size).max(2);
            let frame_size = 2048usize;
            let req = libc::tpacket_req3 {
                tp_block_size: block_size as u32,
                tp_block_nr: block_nr as u32,
                tp_frame_size: frame_size as u32,
                tp_frame_nr: (block_size / frame_size * block_nr) as u32,
                tp_retire_blk_tov: BLOCK_TIMEOUT_MS,
                tp_sizeof_priv: 0,
                tp_feature_req_word: 0,
            };
            if let Err(err) = setsockopt(fd, libc::PACKET_RX_RING, &req) {
                last = err;
                continue;
            }
            let len = block_size * block_nr;
            // SAFETY: a fresh shared mapping of the ring the kernel just allocated for this
            // socket; the kernel checks `len` against it.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    fd,
                    0,
                )
            };
            if base == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
            let base = NonNull::new(base.cast::<u8>()).ok_or_else(io::Error::last_os_error)?;
            return Ok(Ring {
                base,
                len,
                block_size,
                block_nr,
                block: 0,
                cursor: None,
            });
        }
        Err(last)
    }

    /// The next frame that `wanted` accepts, or `None` after waiting with nothing new.
    pub(super) fn next_wanted(
        &mut self,
        fd: RawFd,
        wanted: impl Fn(&libc::sockaddr_ll) -> bool,
    ) -> io::Result<Option<RawFrame<'_>>> {
        loop {
            match self.next_slot(fd)? {
                None => return Ok(None),
                Some(slot) if wanted(&slot.addr) => return Ok(Some(self.frame(slot))),
                Some(_) => {}
            }
        }
    }

    /// The frame a slot of the current block describes, borrowing the ring.
    fn frame(&self, slot: Slot) -> RawFrame<'_> {
        // Slots come only from `next_slot`, for the current block, which is ours until the
        // next `release`; `next_wanted` turns one into a frame before calling anything else.
        debug_assert!(slot.block == self.block && self.cursor.is_some());
        // SAFETY: `slot_at` checked that `start..start + len` lies inside block `slot.block`,
        // so the pointer and length describe bytes of the mapping, which lives until `self` is
        // dropped. That block is the current one and its status said TP_STATUS_USER (read
        // with acquire ordering), so the kernel has finished writing it and writes it again
        // only after `release` hands it back. `release` takes `&mut self`, and the returned
        // slice borrows `&self`: while the slice lives the block can be neither released nor
        // unmapped, so its bytes stay initialised and unchanged for the slice's lifetime.
        let data = unsafe {
            std::slice::from_raw_parts(self.block_ptr(slot.block).add(slot.start), slot.len)
        };
        RawFrame {
            ts: slot.ts,
            data,
            orig_len: slot.orig_len,
            csum_not_ready: slot.csum_not_ready,
            addr: slot.addr,
            vlan: slot.vlan,
        }
    }

    /// The next frame's slot, or `None` after waiting `POLL_MS` with nothing new.
    fn next_slot(&mut self, fd: RawFd) -> io::Result<Option<Slot>> {
        loop {
            if let Some((left, offset)) = self.cursor {
                if left > 0 {
                    match self.slot_at(offset) {
                        // The last packet of a block has next offset 0.
                        Some((0, slot)) => {
                            self.cursor = Some((0, offset));
                            return Ok(Some(slot));
                        }
                        Some((next_offset, slot)) => {
                            self.cursor = Some((left - 1, offset + next_offset));
                            return Ok(Some(slot));
                        }
                        // A header pointing outside the block: give the block back rather than
                        // read past it.
                        None => self.cursor = Some((0, offset)),
                    }
                    continue;
                }
                self.release();
                continue;
            }
            // SAFETY: status_ptr points at this block's status word inside the mapping.
            let status = unsafe { self.status_ptr(self.block).read_volatile() };
            if status & libc::TP_STATUS_USER != 0 {
                // Everything the kernel wrote into the block happens-before its status flip.
                fence(Ordering::Acquire);
                let h1 = offset_of!(libc::tpacket_block_desc, hdr);
                let num =
                    self.read_u32(self.block, h1 + offset_of!(libc::tpacket_hdr_v1, num_pkts));
                let first = self.read_u32(
                    self.block,
                    h1 + offset_of!(libc::tpacket_hdr_v1, offset_to_first_pkt),
                ) as usize;
                self.cursor = Some((num, first));
                continue;
            }
            if !wait(fd)? {
                return Ok(None);
            }
            // Poll can report readiness a moment before the status word is visible, and the
            // block may also time out; either way the loop looks again.
            // SAFETY: status_ptr points at this block's status word inside the mapping.
            let status = unsafe { self.status_ptr(self.block).read_volatile() };
            if status & libc::TP_STATUS_USER == 0 {
                return Ok(None);
            }
        }
    }

    /// The slot of the frame at `offset` in the current block and the offset to the next one,
    /// if its header and data lie inside the block. Only called while the block is ours.
    fn slot_at(&self, offset: usize) -> Option<(usize, Slot)> {
        let block = self.block_ptr(self.block);
        let hdr_len = size_of::<libc::tpacket3_hdr>();
        let ll_at =
            offset + ((hdr_len + libc::TPACKET_ALIGNMENT - 1) & !(libc::TPACKET_ALIGNMENT - 1));
        if ll_at + size_of::<libc::sockaddr_ll>() > self.block_size {
            return None;
        }
        // SAFETY: offset + header length is inside the block (checked above), the header is
        // aligned per TPACKET_ALIGNMENT, and the block is ours (its status said
        // TP_STATUS_USER), so the kernel is not writing it.
        let hdr = unsafe {
            block
                .add(offset)
                .cast::<libc::tpacket3_hdr>()
                .read_volatile()
        };
        // SAFETY: same block, bounds checked; sockaddr_ll follows the aligned header.
        let addr = unsafe {
            block
                .add(ll_at)
                .cast::<libc::sockaddr_ll>()
                .read_unaligned()
        };
        let start = offset + usize::from(hdr.tp_mac);
        let len = hdr.tp_snaplen as usize;
        if start.checked_add(len)? > self.block_size {
            return None;
        }
        Some((
            hdr.tp_next_offset as usize,
            Slot {
                block: self.block,
                start,
                len,
                ts: Timestamp {
                    secs: u64::from(hdr.tp_sec),
                    nanos: hdr.tp_nsec,
                },
                orig_len: hdr.tp_len,
                csum_not_ready: hdr.tp_status & libc::TP_STATUS_CSUMNOTREADY != 0,
                addr,
                vlan: VlanTag::from_header(
                    hdr.tp_status,
                    hdr.hv1.tp_vlan_tci,
                    hdr.hv1.tp_vlan_tpid,
                ),
            },
        ))
    }

    /// Hands the current block back to the kernel and moves to the next.
    fn release(&mut self) {
        // Every read of the block happens-before the kernel may overwrite it.
        fence(Ordering::Release);
        // SAFETY: the status word of a block we own, inside the mapping.
        unsafe {
            self.status_ptr(self.block)
                .write_volatile(libc::TP_STATUS_KERNEL)
        };
        self.block = (self.block + 1) % self.block_nr;
        self.cursor = None;
    }

    fn block_ptr(&self, block: usize) -> *mut u8 {
        // SAFETY: block < block_nr, so the offset stays inside the mapping.
        unsafe { self.base.as_ptr().add(block * self.block_size) }
    }

    fn status_ptr(&self, block: usize) -> *mut u32 {
        let at = offset_of!(libc::tpacket_block_desc, hdr)
            + offset_of!(libc::tpacket_hdr_v1, block_status);
        // SAFETY: the block descriptor sits at the start of each block, inside the mapping.
        unsafe { self.block_ptr(block).add(at).cast::<u32>() }
    }

    fn read_u32(&self, block: usize, at: usize) -> u32 {
        // SAFETY: callers pass offsets of fields inside the block descriptor; the kernel wrote
        // them before setting TP_STATUS_USER, which was read with acquire ordering.
        unsafe { self.block_ptr(block).add(at).cast::<u32>().read_volatile() }
    }
}

/// Waits up to `POLL_MS` for the socket to have a block ready; false when nothing came (or a
/// signal cut the wait short).
fn wait(fd: RawFd) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN | libc::POLLERR,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the call's duration.
    let rc = unsafe { libc::poll(&mut pfd, 1, POLL_MS) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        if err.kind() == io::ErrorKind::Interrupted {
            return Ok(false);
        }
        return Err(err);
    }
    if rc == 0 {
        return Ok(false);
    }
    if pfd.revents & libc::POLLERR != 0 {
        // POLLERR on a packet socket reports a pending socket error; reading it clears it.
        let mut err: libc::c_int = 0;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `err` is a writable int of `len` bytes.
        unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&mut err as *mut libc::c_int).cast::<c_void>(),
                &mut len,
            )
        };
        if err != 0 {
            return Err(io::Error::from_raw_os_error(err));
        }
    }
    Ok(true)
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping made in `new`; frames borrow the ring, so none
        // outlives it.
        unsafe { libc::munmap(self.base.as_ptr().cast::<c_void>(), self.len) };
    }
}
