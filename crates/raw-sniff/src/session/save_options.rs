//! How the `-w` file is written: its format, when it is rotated, and what it records about the
//! capture.

/// The format of the `-w` file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SaveFormat {
    /// Classic pcap: one link type per file, the header taken from the first frame.
    #[default]
    Pcap,
    /// pcapng: an interface description per link type and interface, the capturing program,
    /// the interface's name and the filter recorded in the file.
    PcapNg,
}

/// How the `-w` file is written and rotated, with tcpdump's `-C`, `-G` and `-W` meanings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveOptions {
    /// The file format.
    pub format: SaveFormat,
    /// Before writing a packet, start a new file if the current one is larger than this many
    /// bytes (tcpdump `-C`). The files are named `NAME`, `NAME1`, `NAME2`, …
    pub rotate_size: Option<u64>,
    /// Before writing a packet, start a new file if this many seconds have passed since the
    /// current one was started (tcpdump `-G`); the name then goes through strftime in local
    /// time.
    pub rotate_seconds: Option<u64>,
    /// With `rotate_size`: a ring of this many files, numbered with leading zeros. With
    /// `rotate_seconds` only: stop once this many files are complete (tcpdump `-W`).
    pub file_count: Option<u32>,
    /// The filter as the user wrote it, recorded in pcapng files (`if_filter`).
    pub filter_text: Option<String>,
    /// The snap length each file's header states (`-s`).
    pub snaplen: u32,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions {
            format: SaveFormat::default(),
            rotate_size: None,
            rotate_seconds: None,
            file_count: None,
            filter_text: None,
            snaplen: crate::SNAPLEN,
        }
    }
}
