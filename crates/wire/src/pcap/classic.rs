//! Classic pcap records: a 24-byte file header (read by [`Reader::new`]), then 16-byte record
//! headers in the writer's byte order, with micro- or nanosecond stamps.

use super::{u32_of, Meta, PcapError, Reader, Timestamp, MAX_RECORD_LEN};
use crate::decode::LinkType;
use std::io::Read;

pub(super) const PCAP_MAGIC_US: u32 = 0xa1b2_c3d4;
pub(super) const PCAP_MAGIC_NS: u32 = 0xa1b2_3c4d;

impl<R: Read> Reader<R> {
    pub(super) fn next_pcap(
        &mut self,
        big: bool,
        nanos: bool,
        link: LinkType,
    ) -> Result<Option<Meta>, PcapError> {
        let start = self.offset;
        let head = self.src.take(16)?;
        let n = head.len();
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
        let h = self.src.bytes(head);
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
        let data = self.src.take(incl)?;
        let got = data.len();
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
            data,
            orig_len,
        }))
    }
}
