//! Capture files: reading classic pcap (both byte orders, micro- and nanosecond stamps) and
//! pcapng (section header, interface description, enhanced and simple packet blocks, several
//! interfaces and sections), and writing classic pcap and pcapng.
//!
//! A file cut off mid-record, as a capture killed without flushing leaves it, yields every
//! complete packet and then one [`PcapError::Truncated`] naming the byte where the cut record
//! starts. Lengths read from the file are bounded before anything is allocated, so a hostile
//! file cannot make the reader reserve gigabytes.
//!
//! The reader is one type for both formats: [`Reader::new`] reads the magic number and hands
//! every later record to `classic` or `pcapng`; [`Writer`] (in `writer`) writes classic pcap,
//! and [`NgWriter`] (in `ng_writer`) pcapng, with an interface description per link type.

mod blocks;
mod classic;
mod ng_writer;
mod pcapng;
#[cfg(test)]
mod tests;
mod writer;

use std::io::{self, Read};

use crate::decode::LinkType;

use blocks::Blocks;
use classic::{PCAP_MAGIC_NS, PCAP_MAGIC_US};
pub use ng_writer::{InterfaceInfo, NgWriteError, NgWriter, SectionInfo};
use pcapng::{Interface, NG_SHB};
pub use writer::Writer;

/// Largest record accepted. Real snap lengths are at most 262144; anything bigger is a
/// corrupt length field, and refusing it bounds the reader's memory.
pub const MAX_RECORD_LEN: usize = 1 << 20;

/// Why a capture file could not be read (further).
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    /// The underlying reader failed; the io::Error is the source, so a report that prints
    /// the chain says it once.
    #[error("reading capture")]
    Io(#[from] io::Error),
    /// The file starts with neither a pcap nor a pcapng magic number.
    #[error("not a pcap or pcapng file (magic {0:#010x})")]
    BadMagic(u32),
    /// The file ends inside a header or record.
    #[error("capture file cut off in {what} starting at byte {offset}: need {needed} bytes, have {have}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Byte where it starts.
        offset: u64,
        /// Bytes it needs.
        needed: usize,
        /// Bytes present.
        have: usize,
    },
    /// A header or block holds an impossible value.
    #[error("malformed capture file at byte {offset}: {reason}")]
    Malformed {
        /// Byte where the offending header or block starts.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
}

/// A capture timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub secs: u64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

/// One packet read from a file; `data` borrows the reader's buffer until the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// When it was captured.
    pub ts: Timestamp,
    /// Link type of its interface.
    pub link: LinkType,
    /// Interface index within the file (always 0 for classic pcap).
    pub interface: u32,
    /// The interface's name, where a pcapng interface description gives one (`if_name`).
    pub interface_name: Option<&'a str>,
    /// Captured bytes.
    pub data: &'a [u8],
    /// Length on the wire, which exceeds `data.len()` when the snap length cut it.
    pub orig_len: u32,
}

#[derive(Debug)]
enum Format {
    Pcap {
        big_endian: bool,
        nanos: bool,
        link: LinkType,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// Reads packets from a pcap or pcapng stream. It reads in large blocks of its own and lends
/// each packet out of the block it is in, so a file needs no `BufReader` around it.
#[derive(Debug)]
pub struct Reader<R> {
    src: Blocks<R>,
    format: Format,
    /// The body of the last pcapng block read, in `src`'s block.
    body: core::ops::Range<usize>,
    offset: u64,
    done: bool,
}

fn u16_of(b: &[u8], big: bool) -> u16 {
    let a = [b[0], b[1]];
    if big {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}

fn u32_of(b: &[u8], big: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if big {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

/// The link type sits in the low 16 bits; pcap puts FCS information above it.
fn link_of(v: u32) -> LinkType {
    LinkType::from(v & 0xffff)
}

impl<R: Read> Reader<R> {
    /// Reads the file header and detects the format; for pcapng, also the blocks up to the
    /// first interface description.
    pub fn new(inner: R) -> Result<Reader<R>, PcapError> {
        let mut src = Blocks::new(inner);
        let mut head = [0u8; 24];
        let n = src.read_full(&mut head[..4])?;
        if n < 4 {
            return Err(PcapError::Truncated {
                what: "file header",
                offset: 0,
                needed: 4,
                have: n,
            });
        }
        let le = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let be = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        if le == NG_SHB {
            let mut len = [0u8; 4];
            let n = src.read_full(&mut len)?;
            if n < 4 {
                return Err(PcapError::Truncated {
                    what: "section header block",
                    offset: 0,
                    needed: 12,
                    have: 4 + n,
                });
            }
            let mut r = Reader {
                src,
                format: Format::PcapNg {
                    big_endian: false,
                    interfaces: Vec::new(),
                },
                body: 0..0,
                offset: 0,
                done: false,
            };
            r.read_shb_after_type(len, 0)?;
            r.read_to_first_interface()?;
            return Ok(r);
        }
        let (big_endian, nanos) = match (le, be) {
            (PCAP_MAGIC_US, _) => (false, false),
            (PCAP_MAGIC_NS, _) => (false, true),
            (_, PCAP_MAGIC_US) => (true, false),
            (_, PCAP_MAGIC_NS) => (true, true),
            _ => return Err(PcapError::BadMagic(be)),
        };
        let n = src.read_full(&mut head[4..])?;
        if n < 20 {
            return Err(PcapError::Truncated {
                what: "file header",
                offset: 0,
                needed: 24,
                have: 4 + n,
            });
        }
        let link = link_of(u32_of(&head[20..], big_endian));
        Ok(Reader {
            src,
            format: Format::Pcap {
                big_endian,
                nanos,
                link,
            },
            body: 0..0,
            offset: 24,
            done: false,
        })
    }

    /// Link type of the first interface (the only one in classic pcap). A pcapng file is read
    /// up to its first interface description when opened, so this is `None` only for one
    /// that has none at all.
    pub fn link_type(&self) -> Option<LinkType> {
        match &self.format {
            Format::Pcap { link, .. } => Some(*link),
            Format::PcapNg { interfaces, .. } => interfaces.first().map(|i| i.link),
        }
    }

    /// The name (`if_name`) of interface `id` of the pcapng section being read; `None` for
    /// classic pcap, which names no interface, and for interfaces described without one.
    pub fn interface_name(&self, id: u32) -> Option<&str> {
        match &self.format {
            Format::Pcap { .. } => None,
            Format::PcapNg { interfaces, .. } => {
                interfaces.get(id as usize).and_then(|i| i.name.as_deref())
            }
        }
    }

    /// Whether the file (for pcapng, the section being read) was written big-endian, that is
    /// by a big-endian host. Link headers with host-order fields (BSD loopback's address
    /// family) are read in this order.
    pub fn big_endian(&self) -> bool {
        match self.format {
            Format::Pcap { big_endian, .. } | Format::PcapNg { big_endian, .. } => big_endian,
        }
    }

    /// The next packet, `Ok(None)` at the clean end of the file. After an error the reader
    /// is finished and returns `Ok(None)`.
    pub fn next_packet(&mut self) -> Result<Option<Record<'_>>, PcapError> {
        if self.done {
            return Ok(None);
        }
        let r = match self.format {
            Format::Pcap {
                big_endian,
                nanos,
                link,
            } => self.next_pcap(big_endian, nanos, link),
            Format::PcapNg { .. } => self.next_ng(),
        };
        match r {
            Ok(Some(meta)) => Ok(Some(Record {
                ts: meta.ts,
                link: meta.link,
                interface: meta.interface,
                interface_name: self.interface_name(meta.interface),
                data: self.src.bytes(meta.data.clone()),
                orig_len: meta.orig_len,
            })),
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }
}

/// Where the next record's parts are in the reader's block, before it is lent out as a
/// [`Record`].
struct Meta {
    ts: Timestamp,
    link: LinkType,
    interface: u32,
    data: core::ops::Range<usize>,
    orig_len: u32,
}
