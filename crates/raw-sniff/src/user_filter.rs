//! The capture filter where the kernel does not run it: capture files, Windows, and cooked
//! (`any`) captures. The same compiled BPF program runs in the interpreter, so a filter means
//! the same thing on every path.

use crate::filter::{self, CompileError, Expr, ParseError, Program};

/// A filter the user gave that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The expression does not parse. The message shows it with a caret under the bad token,
    /// so the parse error is part of the message rather than its source: a source would be
    /// printed after the caret line, and a second time.
    #[error(
        "bad filter: {error} (column {})\n  {text}\n  {}",
        error.column + 1,
        error.caret()
    )]
    Parse {
        /// The expression as given.
        text: String,
        /// What is wrong with it, and where (boxed: it is large, and every `Result` carrying
        /// this error would be as large).
        error: Box<ParseError>,
    },
    /// The compiler has no framing for this link type.
    #[error("capture filters are not supported on link type {0}")]
    UnsupportedLink(wire::LinkType),
    /// The expression parses but cannot be compiled.
    #[error("cannot compile the filter")]
    Compile(#[source] CompileError),
}

/// The filter's link type for a capture's, where the compiler supports it.
pub fn filter_link(link: wire::LinkType) -> Option<filter::Framing> {
    match link {
        wire::LinkType::Ethernet => Some(filter::Framing::Ethernet),
        wire::LinkType::LinuxSll => Some(filter::Framing::LinuxSll),
        wire::LinkType::Raw => Some(filter::Framing::RawIp),
        // libpcap trusts these link types rather than the version nibble; so does the
        // filter, so that it matches what tcpdump matches.
        wire::LinkType::Ipv4 => Some(filter::Framing::Ipv4),
        wire::LinkType::Ipv6 => Some(filter::Framing::Ipv6),
        // libpcap reads link type 12 as raw IP, the version nibble deciding.
        wire::LinkType::RawDlt12 => Some(filter::Framing::RawIp),
        // The address family is in the capturing host's byte order: here a little-endian
        // one, as for nearly every capture; `filter_link_written` takes the byte order.
        wire::LinkType::Null => Some(filter::Framing::Null { big_endian: false }),
        wire::LinkType::Loop => Some(filter::Framing::Loop),
        wire::LinkType::LinuxSll2 => Some(filter::Framing::LinuxSll2),
        wire::LinkType::Slip => Some(filter::Framing::Slip),
        wire::LinkType::Ppp => Some(filter::Framing::Ppp),
        wire::LinkType::PppHdlc => Some(filter::Framing::PppHdlc),
        wire::LinkType::CHdlc => Some(filter::Framing::CHdlc),
        wire::LinkType::FrameRelay => Some(filter::Framing::FrameRelay),
        wire::LinkType::Ieee80211 => Some(filter::Framing::Ieee80211),
        wire::LinkType::Radiotap => Some(filter::Framing::Radiotap),
        wire::LinkType::Nflog => Some(filter::Framing::Nflog),
        wire::LinkType::Ipoib => Some(filter::Framing::Ipoib),
        wire::LinkType::Pktap => Some(filter::Framing::Pktap),
        // libpcap does not read link type 14 (OpenBSD's raw IP) from a file at all, so there
        // is no filter of its to follow.
        _ => None,
    }
}

/// The filter's link type for frames written by a host of the given byte order: only BSD
/// loopback (NULL), whose address family is in host order, depends on it.
pub fn filter_link_written(link: wire::LinkType, big_endian: bool) -> Option<filter::Framing> {
    match link {
        wire::LinkType::Null => Some(filter::Framing::Null { big_endian }),
        _ => filter_link(link),
    }
}

/// Parses a filter; the error names the bad token and shows it with a caret underneath.
pub fn parse(text: &str) -> Result<Expr, FilterError> {
    filter::parse(text).map_err(|error| FilterError::Parse {
        text: text.to_owned(),
        error: Box::new(error),
    })
}

/// Compiles for one link type, with an error that says which.
pub fn compile(expr: &Expr, link: wire::LinkType) -> Result<Program, FilterError> {
    compile_written(expr, link, false)
}

/// Compiles for one link type, written by a host of the given byte order (see
/// [`filter_link_written`]).
pub fn compile_written(
    expr: &Expr,
    link: wire::LinkType,
    big_endian: bool,
) -> Result<Program, FilterError> {
    let Some(target) = filter_link_written(link, big_endian) else {
        return Err(FilterError::UnsupportedLink(link));
    };
    filter::compile(expr, target).map_err(FilterError::Compile)
}

/// [`compile_written`] without the kernel's length limit, for a program only the interpreter
/// runs.
pub fn compile_written_any_length(
    expr: &Expr,
    link: wire::LinkType,
    big_endian: bool,
) -> Result<Program, FilterError> {
    let Some(target) = filter_link_written(link, big_endian) else {
        return Err(FilterError::UnsupportedLink(link));
    };
    filter::compile_any_length(expr, target).map_err(FilterError::Compile)
}

/// A filter applied in user space, one compiled program per link type met (a pcapng file may
/// mix interfaces).
pub struct UserFilter {
    expr: Expr,
    programs: Vec<(wire::LinkType, Program)>,
    big_endian: bool,
}

impl UserFilter {
    /// A filter for `expr`, compiled for each link type when first met.
    pub fn new(expr: Expr) -> UserFilter {
        UserFilter {
            expr,
            programs: Vec::new(),
            big_endian: false,
        }
    }

    /// A filter for `expr` with its program for `link` already compiled, so a long filter is
    /// not compiled twice.
    pub fn with_program(expr: Expr, link: wire::LinkType, program: Program) -> UserFilter {
        UserFilter {
            expr,
            programs: vec![(link, program)],
            big_endian: false,
        }
    }

    /// The same filter for frames written by a big-endian host (or not).
    pub fn written_big_endian(mut self, big_endian: bool) -> UserFilter {
        self.big_endian = big_endian;
        self
    }

    /// Whether the frame passes; fails if the filter cannot be compiled for `link`.
    pub fn matches(
        &mut self,
        link: wire::LinkType,
        data: &[u8],
        orig_len: u32,
    ) -> Result<bool, FilterError> {
        let program = match self.programs.iter().position(|(l, _)| *l == link) {
            Some(i) => &self.programs[i].1,
            None => {
                let program = compile_written_any_length(&self.expr, link, self.big_endian)?;
                self.programs.push((link, program));
                &self.programs[self.programs.len() - 1].1
            }
        };
        Ok(program.run(data, orig_len) != 0)
    }
}
