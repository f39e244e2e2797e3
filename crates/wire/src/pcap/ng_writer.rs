//! Writing pcapng: a section header, an interface description per link type and interface as
//! each first appears, and enhanced packet blocks with nanosecond stamps.
//!
//! pcapng is what classic pcap cannot be: one file holding frames of several link types (each
//! packet names its interface, and each interface its link type), with the capturing program,
//! the interface's name and the capture filter recorded in the file itself, where Wireshark,
//! tshark and capinfos show them.

use std::io::{self, Write};

use super::pcapng::{NG_BYTE_ORDER, NG_EPB, NG_IDB, NG_SHB};
use super::Timestamp;
use crate::decode::LinkType;

/// Option codes (pcapng draft, section 3.5 and the block sections).
mod option {
    /// End of options.
    pub const END: u16 = 0;
    /// A UTF-8 comment, allowed in every block.
    pub const COMMENT: u16 = 1;
    /// Section header: the operating system the capture ran on.
    pub const SHB_OS: u16 = 3;
    /// Section header: the application that wrote the section.
    pub const SHB_USERAPPL: u16 = 4;
    /// Interface: its name as the capturing system knows it.
    pub const IF_NAME: u16 = 2;
    /// Interface: timestamp resolution, one byte (a power of ten when the top bit is clear).
    pub const IF_TSRESOL: u16 = 9;
    /// Interface: the capture filter; the first byte says which language (0: libpcap's).
    pub const IF_FILTER: u16 = 11;
}

/// `if_tsresol` value for nanoseconds: 10^-9 s per unit.
const TSRESOL_NANOS: u8 = 9;

/// `if_filter`'s first byte: the filter is a libpcap filter string.
const FILTER_LIBPCAP_STRING: u8 = 0;

/// Why a pcapng block could not be written.
#[derive(Debug, thiserror::Error)]
pub enum NgWriteError {
    /// The underlying writer failed.
    #[error("writing pcapng")]
    Io(#[from] io::Error),
    /// A packet names an interface this section has not described.
    #[error("no interface {0} in this pcapng section")]
    UnknownInterface(u32),
    /// An option value longer than the 16-bit length field of an option can say.
    #[error("pcapng option {option} is {len} bytes, above the 65535 an option holds")]
    OptionTooLong {
        /// Which option.
        option: &'static str,
        /// Its length.
        len: usize,
    },
    /// A packet too long for a block's 32-bit length.
    #[error("packet of {0} bytes is too long for a pcapng block")]
    PacketTooLong(usize),
}

/// What the section header says about the file and its writer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SectionInfo<'a> {
    /// The application that wrote the file (`shb_userappl`), e.g. `raw-sniff 0.1.0`.
    pub user_appl: Option<&'a str>,
    /// The operating system it ran on (`shb_os`).
    pub os: Option<&'a str>,
    /// A comment on the whole section (`opt_comment`; capinfos shows it).
    pub comment: Option<&'a str>,
}

/// One interface the packets came from, as its description block records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceInfo<'a> {
    /// The link type of its frames.
    pub link: LinkType,
    /// Its name (`if_name`), e.g. `lo` or `any`.
    pub name: Option<&'a str>,
    /// Most bytes kept of one frame; longer frames are cut. 0 means no limit.
    pub snaplen: u32,
    /// The capture filter in libpcap's language (`if_filter`).
    pub filter: Option<&'a str>,
    /// A comment on the interface (`opt_comment`).
    pub comment: Option<&'a str>,
}

/// An interface described in the current section: what a packet's interface id refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Described {
    link: LinkType,
    name: Option<String>,
    snaplen: u32,
}

/// Writes one pcapng section (little-endian) to `inner`. Every block is built whole and written
/// with one `write_all`, so the file is complete whenever the writer is flushed.
#[derive(Debug)]
pub struct NgWriter<W: Write> {
    inner: W,
    interfaces: Vec<Described>,
}

impl<W: Write> NgWriter<W> {
    /// Writes the section header block. Its section length is "unknown" (-1), as a file written
    /// as packets arrive cannot know it.
    pub fn new(mut inner: W, section: &SectionInfo<'_>) -> Result<NgWriter<W>, NgWriteError> {
        let mut body = Vec::with_capacity(64);
        body.extend_from_slice(&NG_BYTE_ORDER.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes()); // major version
        body.extend_from_slice(&0u16.to_le_bytes()); // minor version
        body.extend_from_slice(&(-1i64).to_le_bytes());
        let mut opts = Options::new(&mut body);
        opts.text(option::COMMENT, "opt_comment", section.comment)?;
        opts.text(option::SHB_OS, "shb_os", section.os)?;
        opts.text(option::SHB_USERAPPL, "shb_userappl", section.user_appl)?;
        opts.finish();
        inner.write_all(&block(NG_SHB, &body))?;
        Ok(NgWriter {
            inner,
            interfaces: Vec::new(),
        })
    }

    /// Writes an interface description block (nanosecond stamps) and returns its id, the
    /// number packets from it carry.
    pub fn add_interface(&mut self, info: &InterfaceInfo<'_>) -> Result<u32, NgWriteError> {
        let mut body = Vec::with_capacity(64);
        // The link type field is 16 bits; pcapng puts no FCS bits above it as pcap does.
        body.extend_from_slice(&((u32::from(info.link) & 0xffff) as u16).to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes()); // reserved
        body.extend_from_slice(&info.snaplen.to_le_bytes());
        let mut opts = Options::new(&mut body);
        opts.text(option::COMMENT, "opt_comment", info.comment)?;
        opts.text(option::IF_NAME, "if_name", info.name)?;
        opts.push(option::IF_TSRESOL, "if_tsresol", &[TSRESOL_NANOS])?;
        if let Some(filter) = info.filter {
            let mut value = Vec::with_capacity(1 + filter.len());
            value.push(FILTER_LIBPCAP_STRING);
            value.extend_from_slice(filter.as_bytes());
            opts.push(option::IF_FILTER, "if_filter", &value)?;
        }
        opts.finish();
        self.inner.write_all(&block(NG_IDB, &body))?;
        self.interfaces.push(Described {
            link: info.link,
            name: info.name.map(str::to_owned),
            snaplen: info.snaplen,
        });
        Ok(self.interfaces.len() as u32 - 1)
    }

    /// The id of the interface with `info`'s link type and name, described now if this section
    /// has not described it yet: a capture whose frames change link type gets a description
    /// for each, never a packet under the wrong one.
    pub fn interface_for(&mut self, info: &InterfaceInfo<'_>) -> Result<u32, NgWriteError> {
        let found = self
            .interfaces
            .iter()
            .position(|d| d.link == info.link && d.name.as_deref() == info.name);
        match found {
            Some(id) => Ok(id as u32),
            None => self.add_interface(info),
        }
    }

    /// How many interfaces this section has described.
    pub fn interface_count(&self) -> usize {
        self.interfaces.len()
    }

    /// Appends a packet from interface `interface`, cutting `data` to its snap length;
    /// `orig_len` is its length on the wire (at least what was captured).
    pub fn write_packet(
        &mut self,
        interface: u32,
        ts: Timestamp,
        data: &[u8],
        orig_len: u32,
    ) -> Result<(), NgWriteError> {
        let described = self
            .interfaces
            .get(interface as usize)
            .ok_or(NgWriteError::UnknownInterface(interface))?;
        let cap = match described.snaplen {
            0 => data.len(),
            snaplen => data.len().min(snaplen as usize),
        };
        if cap > u32::MAX as usize - 64 {
            return Err(NgWriteError::PacketTooLong(cap));
        }
        let units = u64::from(ts.nanos).saturating_add(ts.secs.saturating_mul(1_000_000_000));
        let mut body = Vec::with_capacity(20 + cap + 3);
        body.extend_from_slice(&interface.to_le_bytes());
        body.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(units as u32).to_le_bytes());
        body.extend_from_slice(&(cap as u32).to_le_bytes());
        body.extend_from_slice(&orig_len.max(cap as u32).to_le_bytes());
        body.extend_from_slice(&data[..cap]);
        pad4(&mut body);
        self.inner.write_all(&block(NG_EPB, &body))?;
        Ok(())
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

/// A block: type, total length, body (already a multiple of 4), total length again.
fn block(block_type: u32, body: &[u8]) -> Vec<u8> {
    let total = (12 + body.len()) as u32;
    let mut b = Vec::with_capacity(total as usize);
    b.extend_from_slice(&block_type.to_le_bytes());
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(body);
    b.extend_from_slice(&total.to_le_bytes());
    b
}

fn pad4(b: &mut Vec<u8>) {
    b.resize(b.len().div_ceil(4) * 4, 0);
}

/// Appends options to a block body, ending the list only if there was one.
struct Options<'b> {
    body: &'b mut Vec<u8>,
    any: bool,
}

impl<'b> Options<'b> {
    fn new(body: &'b mut Vec<u8>) -> Options<'b> {
        Options { body, any: false }
    }

    fn push(&mut self, code: u16, name: &'static str, value: &[u8]) -> Result<(), NgWriteError> {
        let len = u16::try_from(value.len()).map_err(|_| NgWriteError::OptionTooLong {
            option: name,
            len: value.len(),
        })?;
        self.body.extend_from_slice(&code.to_le_bytes());
        self.body.extend_from_slice(&len.to_le_bytes());
        self.body.extend_from_slice(value);
        pad4(self.body);
        self.any = true;
        Ok(())
    }

    fn text(
        &mut self,
        code: u16,
        name: &'static str,
        value: Option<&str>,
    ) -> Result<(), NgWriteError> {
        match value {
            Some(v) => self.push(code, name, v.as_bytes()),
            None => Ok(()),
        }
    }

    fn finish(self) {
        if self.any {
            self.body.extend_from_slice(&option::END.to_le_bytes());
            self.body.extend_from_slice(&0u16.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcap::Reader;

    const TS: Timestamp = Timestamp {
        secs: 1_700_000_000,
        nanos: 123_456_789,
    };

    fn iface(link: LinkType, name: Option<&str>) -> InterfaceInfo<'_> {
        InterfaceInfo {
            link,
            name,
            snaplen: 262_144,
            filter: None,
            comment: None,
        }
    }

    #[test]
    fn section_header_bytes() {
        let w = NgWriter::new(
            Vec::new(),
            &SectionInfo {
                user_appl: Some("raw-sniff 1.2.3"),
                ..SectionInfo::default()
            },
        )
        .unwrap();
        let b = w.into_inner().unwrap();
        // 8 header + 16 fixed + option (4 + 15 padded to 16) + end (4) + 4 trailer = 52.
        assert_eq!(b.len(), 52);
        assert_eq!(&b[0..4], &NG_SHB.to_le_bytes());
        assert_eq!(&b[4..8], &52u32.to_le_bytes());
        assert_eq!(&b[8..12], &[0x4d, 0x3c, 0x2b, 0x1a]);
        assert_eq!(&b[16..24], &[0xff; 8]);
        assert_eq!(&b[24..28], &[4, 0, 15, 0]);
        assert_eq!(&b[28..43], b"raw-sniff 1.2.3");
        assert_eq!(b[43], 0); // padding
        assert_eq!(&b[44..48], &[0, 0, 0, 0]);
        assert_eq!(&b[48..52], &52u32.to_le_bytes());
    }

    #[test]
    fn interface_block_bytes() {
        let mut w = NgWriter::new(Vec::new(), &SectionInfo::default()).unwrap();
        let id = w
            .add_interface(&InterfaceInfo {
                link: LinkType::Ethernet,
                name: Some("lo"),
                snaplen: 65535,
                filter: Some("tcp"),
                comment: None,
            })
            .unwrap();
        assert_eq!(id, 0);
        let b = w.into_inner().unwrap();
        // No options in the section header: 28 bytes.
        let idb = &b[28..];
        assert_eq!(&idb[0..4], &NG_IDB.to_le_bytes());
        let total = u32::from_le_bytes(idb[4..8].try_into().unwrap()) as usize;
        assert_eq!(total, idb.len());
        assert_eq!(&idb[8..10], &1u16.to_le_bytes());
        assert_eq!(&idb[12..16], &65535u32.to_le_bytes());
        // if_name "lo" padded, if_tsresol 9 padded, if_filter [0] "tcp", end.
        assert_eq!(&idb[16..24], &[2, 0, 2, 0, b'l', b'o', 0, 0]);
        assert_eq!(&idb[24..32], &[9, 0, 1, 0, 9, 0, 0, 0]);
        assert_eq!(&idb[32..40], &[11, 0, 4, 0, 0, b't', b'c', b'p']);
        assert_eq!(&idb[40..44], &[0, 0, 0, 0]);
        assert_eq!(total, 48);
    }

    #[test]
    fn packet_block_pads_and_keeps_original_length() {
        let mut w = NgWriter::new(Vec::new(), &SectionInfo::default()).unwrap();
        w.add_interface(&iface(LinkType::Raw, None)).unwrap();
        let start = 28 + 32; // bare section header, interface with if_tsresol only
        w.write_packet(0, TS, &[1, 2, 3, 4, 5], 1500).unwrap();
        let b = w.into_inner().unwrap();
        let epb = &b[start..];
        assert_eq!(&epb[0..4], &NG_EPB.to_le_bytes());
        assert_eq!(epb.len(), 12 + 20 + 8);
        assert_eq!(&epb[4..8], &40u32.to_le_bytes());
        let units = 1_700_000_000_123_456_789u64;
        assert_eq!(&epb[12..16], &((units >> 32) as u32).to_le_bytes());
        assert_eq!(&epb[16..20], &(units as u32).to_le_bytes());
        assert_eq!(&epb[20..24], &5u32.to_le_bytes());
        assert_eq!(&epb[24..28], &1500u32.to_le_bytes());
        assert_eq!(&epb[28..36], &[1, 2, 3, 4, 5, 0, 0, 0]);
    }

    #[test]
    fn mixed_link_types_read_back_under_their_own_interfaces() {
        let mut w = NgWriter::new(Vec::new(), &SectionInfo::default()).unwrap();
        let frames: [(LinkType, Option<&str>, Vec<u8>); 4] = [
            (LinkType::Ethernet, Some("eth0"), vec![0xaa; 60]),
            (LinkType::Raw, None, vec![0x45; 21]),
            (LinkType::Ethernet, Some("eth0"), vec![0xbb; 61]),
            (LinkType::Ethernet, Some("eth1"), vec![0xcc; 62]),
        ];
        let mut ids = Vec::new();
        for (i, (link, name, data)) in frames.iter().enumerate() {
            let id = w.interface_for(&iface(*link, *name)).unwrap();
            ids.push(id);
            let ts = Timestamp {
                secs: TS.secs + i as u64,
                nanos: TS.nanos + i as u32,
            };
            w.write_packet(id, ts, data, data.len() as u32 + 3).unwrap();
        }
        assert_eq!(ids, [0, 1, 0, 2]);
        let bytes = w.into_inner().unwrap();
        let mut r = Reader::new(&bytes[..]).unwrap();
        for (i, (link, name, data)) in frames.iter().enumerate() {
            let p = r.next_packet().unwrap().unwrap();
            assert_eq!(p.link, *link);
            assert_eq!(p.interface, ids[i]);
            assert_eq!(p.interface_name, *name);
            assert_eq!(p.data, &data[..]);
            assert_eq!(p.orig_len, data.len() as u32 + 3);
            assert_eq!(p.ts.secs, TS.secs + i as u64);
            assert_eq!(p.ts.nanos, TS.nanos + i as u32);
        }
        assert!(r.next_packet().unwrap().is_none());
    }

    #[test]
    fn snap_length_cuts_data_not_original_length() {
        let mut w = NgWriter::new(Vec::new(), &SectionInfo::default()).unwrap();
        let mut info = iface(LinkType::Ethernet, None);
        info.snaplen = 10;
        w.add_interface(&info).unwrap();
        w.write_packet(0, TS, &[7; 30], 30).unwrap();
        let bytes = w.into_inner().unwrap();
        let mut r = Reader::new(&bytes[..]).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.data, &[7; 10]);
        assert_eq!(p.orig_len, 30);
    }

    #[test]
    fn the_reader_keeps_names_it_can_use() {
        let long = "n".repeat(257);
        let max = "m".repeat(256);
        let names = [
            Some("eth0\0"),
            Some(long.as_str()),
            Some(max.as_str()),
            Some("\u{e9}t"),
        ];
        let mut w = NgWriter::new(Vec::new(), &SectionInfo::default()).unwrap();
        for (i, name) in names.iter().enumerate() {
            let id = w.add_interface(&iface(LinkType::Ethernet, *name)).unwrap();
            w.write_packet(id, TS, &[i as u8], 1).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        let mut r = Reader::new(&bytes[..]).unwrap();
        let mut read = Vec::new();
        while let Some(p) = r.next_packet().unwrap() {
            read.push(p.interface_name.map(str::to_owned));
        }
        // A NUL some writers count in the length is not part of the name; a name over 256
        // bytes is dropped rather than kept whole.
        let expected = [
            Some("eth0".to_owned()),
            None,
            Some(max.clone()),
            Some("\u{e9}t".to_owned()),
        ];
        assert_eq!(read, expected);
    }

    #[test]
    fn errors_are_typed() {
        let mut w = NgWriter::new(Vec::new(), &SectionInfo::default()).unwrap();
        assert!(matches!(
            w.write_packet(0, TS, &[1], 1),
            Err(NgWriteError::UnknownInterface(0))
        ));
        let long = "x".repeat(70_000);
        let mut info = iface(LinkType::Ethernet, None);
        info.filter = Some(&long);
        let err = w.add_interface(&info).unwrap_err();
        assert!(matches!(
            err,
            NgWriteError::OptionTooLong {
                option: "if_filter",
                len: 70_001
            }
        ));
        assert_eq!(
            err.to_string(),
            "pcapng option if_filter is 70001 bytes, above the 65535 an option holds"
        );
    }
}
