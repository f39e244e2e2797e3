//! Code for the IP protocol words (`sctp`, `igmp`, `pim`, `vrrp`, `carp`, `ah`, `esp`), for
//! `protochain` and for DECnet addresses, as libpcap 1.10 generates them.
//!
//! libpcap's `protochain` is a loop: it walks IPv6 extension headers (hop-by-hop 0,
//! destination options 60, routing 43, fragment 44) and AH (51) until it meets the
//! protocol, "no next header" (59) or anything else, with a backward jump. Classic BPF in
//! the kernel allows only forward jumps, so the walk is unrolled here for
//! [`PROTOCHAIN_STEPS`] headers; a chain longer than that does not match, where libpcap's
//! loop (run in user space, since the kernel refuses it) would go on. Each step does what
//! libpcap's does, including its reading of AH: the next offset is `(length + 2) * 4` from
//! the start of the IP header, not from the AH header, so an AH after other headers is
//! read where libpcap reads it.

use super::op;
use super::{Dir, Proto};
use super::{Gen, Label};

/// Headers `protochain` steps over before giving up; libpcap's loop has no limit.
pub const PROTOCHAIN_STEPS: usize = 16;

/// The scratch slot the walk keeps the next header in while it computes the offset.
const SLOT: u32 = 0;

impl Gen {
    /// `sctp`, `igmp`, `pim`, `vrrp`, `carp`, `ah`, `esp`: the IPv4 protocol, and for the
    /// words libpcap also defines on IPv6, the next header (with the fragment-header rule of
    /// `tcp`).
    pub(super) fn ip_word(&mut self, word: Proto, t: Label, f: Label) {
        let (number, v6) = match word {
            Proto::Sctp => (132, true),
            Proto::Pim => (103, true),
            Proto::Ah => (51, true),
            Proto::Esp => (50, true),
            Proto::Igmp => (2, false),
            Proto::Igrp => (9, false),
            // CARP uses VRRP's protocol number; libpcap cannot tell them apart either.
            Proto::Vrrp | Proto::Carp => (112, false),
            _ => unreachable!("not an IP protocol word: {word}"),
        };
        if v6 {
            let try_v6 = self.label();
            self.ipv4_proto(number, t, try_v6);
            self.place(try_v6);
            self.ipv6_proto(number, t, f);
        } else {
            self.ipv4_proto(number, t, f);
        }
    }

    /// `ip protochain N` / `ip6 protochain N`.
    pub(super) fn protochain(&mut self, v6: bool, number: u32, t: Label, f: Label) {
        let nh = self.nh;
        let is_ip = self.label();
        self.ethertype(if v6 { 0x86dd } else { 0x0800 }, is_ip, f);
        self.place(is_ip);
        if v6 {
            self.stmt(op::LD | op::B | op::ABS, nh + 6);
            self.stmt(op::LDX | op::IMM, 40);
        } else {
            self.stmt(op::LD | op::B | op::ABS, nh + 9);
            self.stmt(op::LDX | op::B | op::MSH, nh);
        }
        // A: the header type at X (an offset from the IP header).
        for step in 0..=PROTOCHAIN_STEPS {
            let not_it = self.label();
            self.jump(op::JMP | op::JEQ | op::K, number, t, not_it);
            self.place(not_it);
            if step == PROTOCHAIN_STEPS {
                self.ja(f);
                break;
            }
            let next = self.label();
            let ah = self.label();
            if v6 {
                let ext = self.label();
                for ty in [0, 60, 43, 44] {
                    let other = self.label();
                    self.jump(op::JMP | op::JEQ | op::K, ty, ext, other);
                    self.place(other);
                }
                self.jump(op::JMP | op::JEQ | op::K, 51, ah, f);
                // An extension header: its length counts 8-byte units after the first 8.
                self.place(ext);
                self.stmt(op::LD | op::B | op::IND, nh);
                self.stmt(op::ST, SLOT);
                self.stmt(op::LD | op::B | op::IND, nh + 1);
                self.stmt(op::ALU | op::ADD | op::K, 1);
                self.stmt(op::ALU | op::MUL | op::K, 8);
                self.stmt(op::ALU | op::ADD | op::X, 0);
                self.stmt(op::MISC | op::TAX, 0);
                self.stmt(op::LD | op::MEM, SLOT);
                self.ja(next);
            } else {
                self.jump(op::JMP | op::JEQ | op::K, 51, ah, f);
            }
            // AH: libpcap sets X to (length + 2) * 4, without adding the AH's own offset.
            self.place(ah);
            self.stmt(op::LD | op::B | op::IND, nh);
            self.stmt(op::ST, SLOT);
            self.stmt(op::LD | op::B | op::IND, nh + 1);
            self.stmt(op::ALU | op::ADD | op::K, 2);
            self.stmt(op::ALU | op::MUL | op::K, 4);
            self.stmt(op::MISC | op::TAX, 0);
            self.stmt(op::LD | op::MEM, SLOT);
            self.place(next);
        }
    }

    /// `decnet host`: libpcap's four header shapes for each address field, in its order:
    /// short header without and with a pad byte, then long header without and with one.
    /// The address is little-endian on the wire, so it is compared byte-swapped.
    pub(super) fn decnet_host(&mut self, dir: Dir, addr: u16, t: Label, f: Label) {
        let nh = self.nh;
        let is_decnet = self.label();
        self.ethertype(0x6003, is_decnet, f);
        self.place(is_decnet);
        let want = u32::from(addr.swap_bytes());
        self.dir_fields(dir, t, f, |g, field, t, f| {
            // Offsets of the address after the flags: (short header, long header).
            let (short, long) = if field == 0 { (3, 15) } else { (1, 7) };
            let shapes = [
                (false, 0x02, short),
                (true, 0x8102, short),
                (false, 0x06, long),
                (true, 0x8106, long),
            ];
            for (i, (padded, flags, offset)) in shapes.into_iter().enumerate() {
                let next = if i + 1 == shapes.len() { f } else { g.label() };
                let shape_ok = g.label();
                if padded {
                    g.stmt(op::LD | op::H | op::ABS, nh + 2);
                    g.stmt(op::ALU | op::AND | op::K, 0xff07);
                } else {
                    g.stmt(op::LD | op::B | op::ABS, nh + 2);
                    g.stmt(op::ALU | op::AND | op::K, 0x07);
                }
                g.jump(op::JMP | op::JEQ | op::K, flags, shape_ok, next);
                g.place(shape_ok);
                let at = nh + 2 + offset + u32::from(padded);
                g.stmt(op::LD | op::H | op::ABS, at);
                g.jump(op::JMP | op::JEQ | op::K, want, t, next);
                if next != f {
                    g.place(next);
                }
            }
        });
    }
}
