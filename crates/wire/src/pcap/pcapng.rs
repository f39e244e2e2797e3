//! pcapng blocks: section headers (each may switch byte order), interface descriptions,
//! enhanced, obsolete and simple packet blocks; others are skipped.

use super::{u16_of, u32_of, Format, Meta, PcapError, Reader, Timestamp, MAX_RECORD_LEN};
use crate::decode::LinkType;
use std::io::Read;

pub(super) const NG_SHB: u32 = 0x0a0d_0d0a;
pub(super) const NG_BYTE_ORDER: u32 = 0x1a2b_3c4d;
pub(super) const NG_IDB: u32 = 1;
pub(super) const NG_OPB: u32 = 2;
pub(super) const NG_SPB: u32 = 3;
pub(super) const NG_EPB: u32 = 6;

/// Most interfaces kept per pcapng section, so a hostile file cannot grow the table without
/// bound.
const MAX_INTERFACES: usize = 1024;

/// Longest interface name kept (`if_name`); real ones are far shorter (16 bytes on Linux), and
/// the bound keeps a hostile file's interface table small.
const MAX_NAME_LEN: usize = 256;

#[derive(Debug, Clone)]
pub(super) struct Interface {
    pub(super) link: LinkType,
    /// `if_name`, when the block gives one that is UTF-8 and at most 256 bytes.
    pub(super) name: Option<String>,
    snaplen: u32,
    /// Timestamp units per second, and whether that is a power of two (else ten).
    resol: TsResol,
}

#[derive(Debug, Clone, Copy)]
enum TsResol {
    Pow10(u32),
    Pow2(u32),
}

impl TsResol {
    fn to_timestamp(self, units: u64) -> Timestamp {
        let per_sec: u128 = match self {
            TsResol::Pow10(n) => 10u128.pow(n.min(30)),
            TsResol::Pow2(n) => 1u128 << n.min(100),
        };
        let units = u128::from(units);
        let secs = (units / per_sec).min(u128::from(u64::MAX)) as u64;
        let nanos = ((units % per_sec) * 1_000_000_000 / per_sec) as u32;
        Timestamp { secs, nanos }
    }
}

/// What one pcapng block turned out to be.
enum Block {
    /// A packet to deliver.
    Packet(Meta),
    /// An interface description, now in the interface table.
    Interface,
    /// Anything else: a section header, statistics, names, custom blocks.
    Other,
    /// The clean end of the file.
    End,
}

impl<R: Read> Reader<R> {
    pub(super) fn next_ng(&mut self) -> Result<Option<Meta>, PcapError> {
        loop {
            match self.next_ng_block()? {
                Block::Packet(meta) => return Ok(Some(meta)),
                Block::End => return Ok(None),
                Block::Interface | Block::Other => {}
            }
        }
    }

    /// Reads the blocks before the first interface description, so that the first
    /// interface's link type is known before the first packet is asked for (a reader of the
    /// file needs it to say what it reads and to compile a filter). A packet block before
    /// any interface description is an error, as it would be when read as a packet.
    pub(super) fn read_to_first_interface(&mut self) -> Result<(), PcapError> {
        loop {
            let start = self.offset;
            match self.next_ng_block()? {
                Block::Interface | Block::End => return Ok(()),
                Block::Other => {}
                // Unreachable in practice: a packet block naming an interface not yet
                // described is already an error.
                Block::Packet(_) => {
                    return Err(PcapError::Malformed {
                        offset: start,
                        reason: "packet refers to an interface not yet described",
                    })
                }
            }
        }
    }

    fn next_ng_block(&mut self) -> Result<Block, PcapError> {
        let start = self.offset;
        let mut h = [0u8; 8];
        let n = self.src.read_full(&mut h)?;
        if n == 0 {
            return Ok(Block::End);
        }
        if n < 8 {
            return Err(PcapError::Truncated {
                what: "block header",
                offset: start,
                needed: 8,
                have: n,
            });
        }
        let Format::PcapNg {
            big_endian: big, ..
        } = self.format
        else {
            unreachable!("pcapng reader")
        };
        let block_type = u32_of(&h, big);
        if block_type == NG_SHB {
            // A new section may switch byte order: its own magic decides how to read
            // the length already read.
            let mut len = [0u8; 4];
            len.copy_from_slice(&h[4..]);
            self.read_shb_after_type(len, start)?;
            return Ok(Block::Other);
        }
        let total = u32_of(&h[4..], big) as usize;
        if total < 12 || total % 4 != 0 || total > MAX_RECORD_LEN + 64 {
            return Err(PcapError::Malformed {
                offset: start,
                reason: "block length not a multiple of 4 in 12..=1 MiB",
            });
        }
        self.body = self.src.take(total - 8)?;
        let got = self.body.len();
        if got < total - 8 {
            return Err(PcapError::Truncated {
                what: "block",
                offset: start,
                needed: total,
                have: 8 + got,
            });
        }
        self.offset += total as u64;
        if u32_of(&self.src.bytes(self.body.clone())[total - 12..], big) as usize != total {
            return Err(PcapError::Malformed {
                offset: start,
                reason: "block trailing length differs from leading length",
            });
        }
        let body_len = total - 12;
        match block_type {
            NG_IDB => self
                .read_idb(body_len, big, start)
                .map(|()| Block::Interface),
            NG_EPB | NG_OPB => self
                .read_epb(block_type, body_len, big, start)
                .map(Block::Packet),
            NG_SPB => self.read_spb(body_len, big, start).map(Block::Packet),
            _ => Ok(Block::Other), // statistics, name resolution, custom blocks
        }
    }

    /// Reads a section header block after its type and length; starts a fresh interface
    /// table, since interface numbers are per section.
    pub(super) fn read_shb_after_type(
        &mut self,
        len_bytes: [u8; 4],
        start: u64,
    ) -> Result<(), PcapError> {
        let mut magic = [0u8; 4];
        let n = self.src.read_full(&mut magic)?;
        if n < 4 {
            return Err(PcapError::Truncated {
                what: "section header block",
                offset: start,
                needed: 12,
                have: 8 + n,
            });
        }
        let big = match u32::from_le_bytes(magic) {
            NG_BYTE_ORDER => false,
            m if m.swap_bytes() == NG_BYTE_ORDER => true,
            _ => {
                return Err(PcapError::Malformed {
                    offset: start,
                    reason: "bad pcapng byte-order magic",
                })
            }
        };
        let total = u32_of(&len_bytes, big) as usize;
        if !(28..=MAX_RECORD_LEN).contains(&total) || total % 4 != 0 {
            return Err(PcapError::Malformed {
                offset: start,
                reason: "section header block length",
            });
        }
        let mut rest = vec![0u8; total - 12];
        let got = self.src.read_full(&mut rest)?;
        if got < rest.len() {
            return Err(PcapError::Truncated {
                what: "section header block",
                offset: start,
                needed: total,
                have: 12 + got,
            });
        }
        if u16_of(&rest, big) != 1 {
            return Err(PcapError::Malformed {
                offset: start,
                reason: "unsupported pcapng major version",
            });
        }
        self.offset = start + total as u64;
        self.format = Format::PcapNg {
            big_endian: big,
            interfaces: Vec::new(),
        };
        Ok(())
    }

    fn read_idb(&mut self, body_len: usize, big: bool, start: u64) -> Result<(), PcapError> {
        if body_len < 8 {
            return Err(PcapError::Malformed {
                offset: start,
                reason: "interface description block too short",
            });
        }
        let b = &self.src.bytes(self.body.clone())[..body_len];
        let link = LinkType::from(u32::from(u16_of(b, big)));
        let snaplen = u32_of(&b[4..], big);
        let mut resol = TsResol::Pow10(6);
        let mut name = None;
        // Options: code, length, value padded to 4; code 2 is if_name, 9 if_tsresol.
        let mut opts = &b[8..];
        while opts.len() >= 4 {
            let code = u16_of(opts, big);
            let len = usize::from(u16_of(&opts[2..], big));
            if code == 0 {
                break;
            }
            let padded = len.div_ceil(4) * 4;
            if 4 + padded > opts.len() {
                break;
            }
            if code == 2 && len <= MAX_NAME_LEN {
                // A name may end in NULs (some writers count one); they are not part of it.
                let value = &opts[4..4 + len];
                let value = &value[..value.iter().position(|&c| c == 0).unwrap_or(len)];
                name = std::str::from_utf8(value).ok().map(str::to_owned);
            }
            if code == 9 && len >= 1 {
                let v = opts[4];
                resol = if v & 0x80 != 0 {
                    TsResol::Pow2(u32::from(v & 0x7f))
                } else {
                    TsResol::Pow10(u32::from(v))
                };
            }
            opts = &opts[4 + padded..];
        }
        let Format::PcapNg { interfaces, .. } = &mut self.format else {
            unreachable!("pcapng reader")
        };
        if interfaces.len() >= MAX_INTERFACES {
            return Err(PcapError::Malformed {
                offset: start,
                reason: "more than 1024 interfaces in one section",
            });
        }
        interfaces.push(Interface {
            link,
            name,
            snaplen,
            resol,
        });
        Ok(())
    }

    fn interface(&self, id: u32, start: u64) -> Result<&Interface, PcapError> {
        let Format::PcapNg { interfaces, .. } = &self.format else {
            unreachable!("pcapng reader")
        };
        interfaces.get(id as usize).ok_or(PcapError::Malformed {
            offset: start,
            reason: "packet refers to an interface not yet described",
        })
    }

    fn read_epb(
        &mut self,
        block_type: u32,
        body_len: usize,
        big: bool,
        start: u64,
    ) -> Result<Meta, PcapError> {
        if body_len < 20 {
            return Err(PcapError::Malformed {
                offset: start,
                reason: "packet block too short",
            });
        }
        let b = self.src.bytes(self.body.clone());
        let id = if block_type == NG_OPB {
            u32::from(u16_of(b, big))
        } else {
            u32_of(b, big)
        };
        let ts = (u64::from(u32_of(&b[4..], big)) << 32) | u64::from(u32_of(&b[8..], big));
        let cap = u32_of(&b[12..], big) as usize;
        let orig_len = u32_of(&b[16..], big);
        if 20 + cap > body_len {
            return Err(PcapError::Malformed {
                offset: start,
                reason: "captured length runs past the block",
            });
        }
        let iface = self.interface(id, start)?;
        Ok(Meta {
            ts: iface.resol.to_timestamp(ts),
            link: iface.link,
            interface: id,
            data: self.body.start + 20..self.body.start + 20 + cap,
            orig_len,
        })
    }

    fn read_spb(&mut self, body_len: usize, big: bool, start: u64) -> Result<Meta, PcapError> {
        if body_len < 4 {
            return Err(PcapError::Malformed {
                offset: start,
                reason: "simple packet block too short",
            });
        }
        let orig_len = u32_of(self.src.bytes(self.body.clone()), big);
        let iface = self.interface(0, start)?;
        // The simple block has no captured length: it is the original length cut by the
        // snap length and the block's own size.
        let mut cap = (orig_len as usize).min(body_len - 4);
        if iface.snaplen != 0 {
            cap = cap.min(iface.snaplen as usize);
        }
        Ok(Meta {
            ts: Timestamp::default(),
            link: iface.link,
            interface: 0,
            data: self.body.start + 4..self.body.start + 4 + cap,
            orig_len,
        })
    }
}
