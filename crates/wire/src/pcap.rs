//! Capture files: reading classic pcap (both byte orders, micro- and nanosecond stamps) and
//! pcapng (section header, interface description, enhanced and simple packet blocks, several
//! interfaces and sections), and writing classic pcap.
//!
//! A file cut off mid-record, as a capture killed without flushing leaves it, yields every
//! complete packet and then one [`PcapError::Truncated`] naming the byte where the cut record
//! starts. Lengths read from the file are bounded before anything is allocated, so a hostile
//! file cannot make the reader reserve gigabytes.

use std::io::{self, Read, Write};

use crate::decode::LinkType;

/// Largest record accepted. Real snap lengths are at most 262144; anything bigger is a
/// corrupt length field, and refusing it bounds the reader's memory.
pub const MAX_RECORD_LEN: usize = 1 << 20;

const PCAP_MAGIC_US: u32 = 0xa1b2_c3d4;
const PCAP_MAGIC_NS: u32 = 0xa1b2_3c4d;
const NG_SHB: u32 = 0x0a0d_0d0a;
const NG_BYTE_ORDER: u32 = 0x1a2b_3c4d;
const NG_IDB: u32 = 1;
const NG_OPB: u32 = 2;
const NG_SPB: u32 = 3;
const NG_EPB: u32 = 6;

/// Why a capture file could not be read (further).
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    /// The underlying reader failed.
    #[error("reading capture: {0}")]
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
    /// Captured bytes.
    pub data: &'a [u8],
    /// Length on the wire, which exceeds `data.len()` when the snap length cut it.
    pub orig_len: u32,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link: LinkType,
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

/// Most interfaces kept per pcapng section, so a hostile file cannot grow the table without
/// bound.
const MAX_INTERFACES: usize = 1024;

/// Reads packets from a pcap or pcapng stream (give it a `BufReader` for files).
#[derive(Debug)]
pub struct Reader<R> {
    inner: R,
    format: Format,
    buf: Vec<u8>,
    offset: u64,
    done: bool,
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
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
    /// Reads the file header and detects the format.
    pub fn new(mut inner: R) -> Result<Reader<R>, PcapError> {
        let mut head = [0u8; 24];
        let n = read_full(&mut inner, &mut head[..4])?;
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
            let n = read_full(&mut inner, &mut len)?;
            if n < 4 {
                return Err(PcapError::Truncated {
                    what: "section header block",
                    offset: 0,
                    needed: 12,
                    have: 4 + n,
                });
            }
            let mut r = Reader {
                inner,
                format: Format::PcapNg {
                    big_endian: false,
                    interfaces: Vec::new(),
                },
                buf: Vec::new(),
                offset: 0,
                done: false,
            };
            r.read_shb_after_type(len, 0)?;
            return Ok(r);
        }
        let (big_endian, nanos) = match (le, be) {
            (PCAP_MAGIC_US, _) => (false, false),
            (PCAP_MAGIC_NS, _) => (false, true),
            (_, PCAP_MAGIC_US) => (true, false),
            (_, PCAP_MAGIC_NS) => (true, true),
            _ => return Err(PcapError::BadMagic(be)),
        };
        let n = read_full(&mut inner, &mut head[4..])?;
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
            inner,
            format: Format::Pcap {
                big_endian,
                nanos,
                link,
            },
            buf: Vec::new(),
            offset: 24,
            done: false,
        })
    }

    /// Link type of the first interface (the only one in classic pcap), once known.
    pub fn link_type(&self) -> Option<LinkType> {
        match &self.format {
            Format::Pcap { link, .. } => Some(*link),
            Format::PcapNg { interfaces, .. } => interfaces.first().map(|i| i.link),
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
                data: &self.buf[meta.data.clone()],
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

    fn next_pcap(
        &mut self,
        big: bool,
        nanos: bool,
        link: LinkType,
    ) -> Result<Option<Meta>, PcapError> {
        let start = self.offset;
        let mut h = [0u8; 16];
        let n = read_full(&mut self.inner, &mut h)?;
        if n == 0 {
            return Ok(None);
        }
        if n < 16 {
            return Err(PcapError::Truncated {
                what: "record header",
                offset: start,
                needed: 16,
                have: n,
            });
        }
        let secs = u32_of(&h[0..], big);
        let frac = u32_of(&h[4..], big);
        let incl = u32_of(&h[8..], big) as usize;
        let orig_len = u32_of(&h[12..], big);
        if incl > MAX_RECORD_LEN {
            return Err(PcapError::Malformed {
                offset: start,
                reason: "record length above 1 MiB",
            });
        }
        self.buf.resize(incl, 0);
        let got = read_full(&mut self.inner, &mut self.buf)?;
        if got < incl {
            return Err(PcapError::Truncated {
                what: "packet record",
                offset: start,
                needed: 16 + incl,
                have: 16 + got,
            });
        }
        self.offset += 16 + incl as u64;
        let nanos = if nanos {
            frac
        } else {
            frac.saturating_mul(1000)
        };
        Ok(Some(Meta {
            ts: Timestamp {
                secs: secs.into(),
                nanos,
            },
            link,
            interface: 0,
            data: 0..incl,
            orig_len,
        }))
    }

    fn next_ng(&mut self) -> Result<Option<Meta>, PcapError> {
        loop {
            let start = self.offset;
            let mut h = [0u8; 8];
            let n = read_full(&mut self.inner, &mut h)?;
            if n == 0 {
                return Ok(None);
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
                continue;
            }
            let total = u32_of(&h[4..], big) as usize;
            if total < 12 || total % 4 != 0 || total > MAX_RECORD_LEN + 64 {
                return Err(PcapError::Malformed {
                    offset: start,
                    reason: "block length not a multiple of 4 in 12..=1 MiB",
                });
            }
            self.buf.resize(total - 8, 0);
            let got = read_full(&mut self.inner, &mut self.buf)?;
            if got < total - 8 {
                return Err(PcapError::Truncated {
                    what: "block",
                    offset: start,
                    needed: total,
                    have: 8 + got,
                });
            }
            self.offset += total as u64;
            if u32_of(&self.buf[total - 12..], big) as usize != total {
                return Err(PcapError::Malformed {
                    offset: start,
                    reason: "block trailing length differs from leading length",
                });
            }
            let body_len = total - 12;
            match block_type {
                NG_IDB => self.read_idb(body_len, big, start)?,
                NG_EPB | NG_OPB => {
                    return self.read_epb(block_type, body_len, big, start).map(Some)
                }
                NG_SPB => return self.read_spb(body_len, big, start).map(Some),
                _ => {} // statistics, name resolution, custom blocks: nothing to deliver
            }
        }
    }

    /// Reads a section header block after its type and length; starts a fresh interface
    /// table, since interface numbers are per section.
    fn read_shb_after_type(&mut self, len_bytes: [u8; 4], start: u64) -> Result<(), PcapError> {
        let mut magic = [0u8; 4];
        let n = read_full(&mut self.inner, &mut magic)?;
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
        let got = read_full(&mut self.inner, &mut rest)?;
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
        let b = &self.buf[..body_len];
        let link = LinkType::from(u32::from(u16_of(b, big)));
        let snaplen = u32_of(&b[4..], big);
        let mut resol = TsResol::Pow10(6);
        // Options: code, length, value padded to 4; code 9 is if_tsresol.
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
            snaplen,
            resol,
        });
        Ok(())
    }

    fn interface(&self, id: u32, start: u64) -> Result<Interface, PcapError> {
        let Format::PcapNg { interfaces, .. } = &self.format else {
            unreachable!("pcapng reader")
        };
        interfaces
            .get(id as usize)
            .copied()
            .ok_or(PcapError::Malformed {
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
        let b = &self.buf;
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
            data: 20..20 + cap,
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
        let orig_len = u32_of(&self.buf, big);
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
            data: 4..4 + cap,
            orig_len,
        })
    }
}

struct Meta {
    ts: Timestamp,
    link: LinkType,
    interface: u32,
    data: core::ops::Range<usize>,
    orig_len: u32,
}

/// Writes classic pcap (little-endian). The file header is written at once and each packet
/// with one `write_all`, so the file is complete whenever the writer is flushed.
#[derive(Debug)]
pub struct Writer<W: Write> {
    inner: W,
    nanos: bool,
    snaplen: u32,
}

impl<W: Write> Writer<W> {
    /// Writes the file header. `nanos` selects nanosecond timestamps (magic 0xa1b23c4d),
    /// which tcpdump, tshark and Wireshark all read.
    pub fn new(mut inner: W, link: LinkType, snaplen: u32, nanos: bool) -> io::Result<Writer<W>> {
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&(if nanos { PCAP_MAGIC_NS } else { PCAP_MAGIC_US }).to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        h[16..20].copy_from_slice(&snaplen.to_le_bytes());
        h[20..24].copy_from_slice(&u32::from(link).to_le_bytes());
        inner.write_all(&h)?;
        Ok(Writer {
            inner,
            nanos,
            snaplen,
        })
    }

    /// Appends a packet, cutting `data` to the snap length; `orig_len` is its length on the
    /// wire (at least `data.len()`).
    pub fn write_packet(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let cap = data.len().min(self.snaplen as usize).min(u32::MAX as usize);
        let mut rec = Vec::with_capacity(16 + cap);
        rec.extend_from_slice(&(ts.secs as u32).to_le_bytes());
        let frac = if self.nanos {
            ts.nanos
        } else {
            ts.nanos / 1000
        };
        rec.extend_from_slice(&frac.to_le_bytes());
        rec.extend_from_slice(&(cap as u32).to_le_bytes());
        rec.extend_from_slice(&orig_len.max(cap as u32).to_le_bytes());
        rec.extend_from_slice(&data[..cap]);
        self.inner.write_all(&rec)
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.inner.flush()?;
        Ok(self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static LO_MIXED: &[u8] = include_bytes!("../tests/data/lo-mixed.pcap");
    static SLL2: &[u8] = include_bytes!("../tests/data/any-sll2-udp.pcap");

    /// One record, owned: timestamp, link type, bytes, original length.
    type Owned = (Timestamp, LinkType, Vec<u8>, u32);

    fn all(bytes: &[u8]) -> (Vec<Owned>, Option<PcapError>) {
        let mut r = match Reader::new(bytes) {
            Ok(r) => r,
            Err(e) => return (Vec::new(), Some(e)),
        };
        let mut out = Vec::new();
        loop {
            match r.next_packet() {
                Ok(Some(p)) => out.push((p.ts, p.link, p.data.to_vec(), p.orig_len)),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn reads_tcpdump_file() {
        let (pkts, err) = all(LO_MIXED);
        assert!(err.is_none());
        assert_eq!(pkts.len(), 19);
        assert!(pkts.iter().all(|p| p.1 == LinkType::Ethernet));
        assert_eq!(pkts[0].2.len(), 74);
        assert_eq!(pkts[0].3, 74);
        let (pkts, _) = all(SLL2);
        assert_eq!(pkts[0].1, LinkType::LinuxSll2);
    }

    #[test]
    fn cut_file_yields_complete_packets_then_error() {
        // Every cut point: the packets wholly before it come out, then exactly one error
        // (or none when the cut falls on a record boundary).
        let (full, _) = all(LO_MIXED);
        let mut boundaries = vec![24usize];
        for p in &full {
            boundaries.push(boundaries.last().unwrap() + 16 + p.2.len());
        }
        for cut in 0..LO_MIXED.len() {
            let (pkts, err) = all(&LO_MIXED[..cut]);
            let complete = boundaries.iter().skip(1).filter(|&&b| b <= cut).count();
            assert_eq!(pkts.len(), complete, "cut at {cut}");
            assert_eq!(pkts[..], full[..complete]);
            let on_boundary = boundaries.contains(&cut);
            assert_eq!(err.is_none(), on_boundary, "cut at {cut}: {err:?}");
            if let Some(PcapError::Truncated { offset, .. }) = err {
                if cut >= 24 {
                    assert_eq!(offset as usize, boundaries[complete]);
                }
            }
        }
    }

    #[test]
    fn write_then_read_both_resolutions_and_byte_orders() {
        let (full, _) = all(LO_MIXED);
        for nanos in [false, true] {
            let mut w = Writer::new(Vec::new(), LinkType::Ethernet, 65535, nanos).unwrap();
            for p in &full {
                w.write_packet(p.0, &p.2, p.3).unwrap();
            }
            let bytes = w.into_inner().unwrap();
            let (back, err) = all(&bytes);
            assert!(err.is_none());
            assert_eq!(back, full);
            // The same file in big-endian order must read the same.
            let mut be = bytes.clone();
            swap_pcap(&mut be);
            assert_eq!(all(&be).0, full);
        }
    }

    fn swap_pcap(b: &mut [u8]) {
        for (at, w) in [(0, 4), (4, 2), (6, 2), (8, 4), (12, 4), (16, 4), (20, 4)] {
            b[at..at + w].reverse();
        }
        let mut pos = 24;
        while pos + 16 <= b.len() {
            let incl =
                u32::from_le_bytes([b[pos + 8], b[pos + 9], b[pos + 10], b[pos + 11]]) as usize;
            for k in 0..4 {
                b[pos + 4 * k..pos + 4 * k + 4].reverse();
            }
            pos += 16 + incl;
        }
    }

    #[test]
    fn snaplen_cut_on_write() {
        let mut w = Writer::new(Vec::new(), LinkType::Raw, 10, false).unwrap();
        w.write_packet(
            Timestamp {
                secs: 1,
                nanos: 2_000,
            },
            &[7u8; 30],
            30,
        )
        .unwrap();
        let bytes = w.into_inner().unwrap();
        let (p, _) = all(&bytes);
        assert_eq!(
            p[0],
            (
                Timestamp {
                    secs: 1,
                    nanos: 2_000
                },
                LinkType::Raw,
                vec![7u8; 10],
                30
            )
        );
    }

    /// Builds a pcapng file by hand following the pcapng draft (section 4): SHB, two IDBs
    /// (Ethernet µs, raw IP with if_tsresol 9 = ns), EPBs on both, an unknown block, an SPB.
    pub(crate) fn sample_pcapng(big: bool) -> Vec<u8> {
        let u16b = |v: u16| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32b = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let block = |t: u32, body: &[u8]| {
            let mut body = body.to_vec();
            while body.len() % 4 != 0 {
                body.push(0);
            }
            let total = (12 + body.len()) as u32;
            let mut b = Vec::new();
            b.extend_from_slice(&u32b(t));
            b.extend_from_slice(&u32b(total));
            b.extend_from_slice(&body);
            b.extend_from_slice(&u32b(total));
            b
        };
        let mut f = Vec::new();
        let mut shb = Vec::new();
        shb.extend_from_slice(&u32b(NG_BYTE_ORDER));
        shb.extend_from_slice(&u16b(1));
        shb.extend_from_slice(&u16b(0));
        shb.extend_from_slice(&[0xff; 8]);
        f.extend(block(NG_SHB, &shb));
        let mut idb0 = Vec::new();
        idb0.extend_from_slice(&u16b(1));
        idb0.extend_from_slice(&u16b(0));
        idb0.extend_from_slice(&u32b(262_144));
        f.extend(block(NG_IDB, &idb0));
        let mut idb1 = Vec::new();
        idb1.extend_from_slice(&u16b(101));
        idb1.extend_from_slice(&u16b(0));
        idb1.extend_from_slice(&u32b(0));
        idb1.extend_from_slice(&u16b(9));
        idb1.extend_from_slice(&u16b(1));
        idb1.extend_from_slice(&[9, 0, 0, 0]);
        idb1.extend_from_slice(&[0, 0, 0, 0]);
        f.extend(block(NG_IDB, &idb1));
        let epb = |iface: u32, units: u64, data: &[u8]| {
            let mut e = Vec::new();
            e.extend_from_slice(&u32b(iface));
            e.extend_from_slice(&u32b((units >> 32) as u32));
            e.extend_from_slice(&u32b(units as u32));
            e.extend_from_slice(&u32b(data.len() as u32));
            e.extend_from_slice(&u32b(data.len() as u32 + 1));
            e.extend_from_slice(data);
            block(NG_EPB, &e)
        };
        f.extend(epb(0, 1_700_000_000_123_456, &[1, 2, 3, 4, 5]));
        f.extend(block(0x0000_0bad, &[1, 2, 3, 4]));
        f.extend(epb(1, 1_700_000_000_123_456_789, &[0x45; 20]));
        let mut spb = Vec::new();
        spb.extend_from_slice(&u32b(3));
        spb.extend_from_slice(&[9, 9, 9]);
        f.extend(block(NG_SPB, &spb));
        f
    }

    #[test]
    fn pcapng_both_byte_orders() {
        for big in [false, true] {
            let f = sample_pcapng(big);
            let (p, err) = all(&f);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(p.len(), 3);
            assert_eq!(
                p[0],
                (
                    Timestamp {
                        secs: 1_700_000_000,
                        nanos: 123_456_000
                    },
                    LinkType::Ethernet,
                    vec![1, 2, 3, 4, 5],
                    6
                )
            );
            assert_eq!(
                p[1],
                (
                    Timestamp {
                        secs: 1_700_000_000,
                        nanos: 123_456_789
                    },
                    LinkType::Raw,
                    vec![0x45; 20],
                    21
                )
            );
            assert_eq!(
                (p[2].1, &p[2].2[..], p[2].3),
                (LinkType::Ethernet, &[9u8, 9, 9][..], 3)
            );
            // Cut anywhere: complete packets, then one error unless on a block boundary.
            for cut in 0..f.len() {
                let (q, _) = all(&f[..cut]);
                assert_eq!(q[..], p[..q.len()]);
            }
        }
    }

    // `editcap -F pcapng lo-ping.pcap lo-ping.pcapng` (Wireshark 4.0): a real writer's SHB,
    // IDB and EPBs, with options, for the same four packets.
    #[test]
    fn pcapng_from_editcap_matches_pcap() {
        let ng = all(include_bytes!("../tests/data/lo-ping.pcapng"));
        let classic = all(include_bytes!("../tests/data/lo-ping.pcap"));
        assert!(ng.1.is_none() && classic.1.is_none());
        assert_eq!(ng.0.len(), 4);
        assert_eq!(ng.0, classic.0);
    }

    #[test]
    fn pcapng_sections_switch_byte_order() {
        let mut f = sample_pcapng(false);
        f.extend(sample_pcapng(true));
        let (p, err) = all(&f);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(p.len(), 6);
        assert_eq!(p[4].1, LinkType::Raw);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(
            Reader::new(&b"hello world, not a capture"[..]),
            Err(PcapError::BadMagic(_))
        ));
        let mut f = LO_MIXED[..40].to_vec();
        f[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        let (_, err) = all(&f);
        assert!(matches!(err, Some(PcapError::Malformed { offset: 24, .. })));
    }
}
