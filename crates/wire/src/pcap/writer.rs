//! Writing classic pcap, the format every reader (tcpdump, tshark, Wireshark) takes.

use std::io::{self, Write};

use super::classic::{PCAP_MAGIC_NS, PCAP_MAGIC_US};
use super::Timestamp;
use crate::decode::LinkType;

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

    /// The underlying writer, e.g. to see how much has been written to it.
    pub fn get_ref(&self) -> &W {
        &self.inner
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
