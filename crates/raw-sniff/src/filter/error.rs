//! The errors of reading a filter expression, shared by the lexer and the parser: both point
//! at a token of the same text, so one type serves both and neither imports the other for it.

use std::fmt;

/// A filter expression that could not be parsed, and where.
///
/// `Display` is the one-line message; [`ParseError::caret`] gives the line to print under the
/// expression to point at the token.
///
/// ```
/// use raw_sniff::filter::parse;
/// let expr = "tcp port 8.8";
/// let err = parse(expr).unwrap_err();
/// assert_eq!(err.to_string(), "expected a port number after 'port', found '8.8'");
/// assert_eq!(err.caret(), "         ^^^");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct ParseError {
    /// Byte offset of the offending token in the expression (its length at the end).
    pub offset: usize,
    /// Length of the offending token in bytes (0 at the end of the expression).
    pub len: usize,
    /// Column of the token, counted in characters from 0, for placing a caret.
    pub column: usize,
    /// Width of the token in characters, at least 1.
    pub width: usize,
    /// What went wrong.
    pub kind: ParseErrorKind,
}

impl ParseError {
    pub(crate) fn new(input: &str, start: usize, end: usize, kind: ParseErrorKind) -> Self {
        // Token boundaries always fall on character boundaries; `get` keeps this total anyway.
        let column = input.get(..start).map_or(start, |s| s.chars().count());
        let width = input
            .get(start..end)
            .map_or(end - start, |s| s.chars().count());
        ParseError {
            offset: start,
            len: end - start,
            column,
            width: width.max(1),
            kind,
        }
    }

    /// Spaces then carets under the bad token, to print on the line after the expression.
    pub fn caret(&self) -> String {
        format!("{}{}", " ".repeat(self.column), "^".repeat(self.width))
    }

    /// The expression, the caret line and the message, as three lines (no trailing newline).
    pub fn render(&self, expr: &str) -> String {
        format!("{expr}\n{}\n{self}", self.caret())
    }
}

/// The token an error was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A token, by its text.
    Token(String),
    /// The expression ended.
    End,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Token(t) => write!(f, "'{t}'"),
            Found::End => f.write_str("end of expression"),
        }
    }
}

/// The kinds of parse error, each with a message that names what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// The expression is empty (a caller wanting "match everything" should not filter at all).
    #[error("empty filter expression")]
    Empty,
    /// A keyword needs a value of some kind after it.
    #[error("expected {expected} after '{after}', found {found}")]
    ExpectedAfter {
        /// What should have come, e.g. "a port number".
        expected: &'static str,
        /// The keyword it should have followed.
        after: String,
        /// What came instead.
        found: Found,
    },
    /// Something else should have come here.
    #[error("expected {expected}, found {found}")]
    Unexpected {
        /// What should have come.
        expected: &'static str,
        /// What came instead.
        found: Found,
    },
    /// More primitives than the parser takes: the cap bounds how deep the tree is and how
    /// long compiling takes (about a second at the cap).
    #[error("more than {max} primitives: the filter is too long")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// A `(` with no matching `)`.
    #[error("this '(' is never closed")]
    Unclosed,
    /// A `)` with no matching `(`.
    #[error("unmatched ')'")]
    Unmatched,
    /// A word that is neither a keyword this parser knows nor a value with a qualifier before it.
    #[error("unknown or unsupported primitive '{word}'")]
    UnknownPrimitive {
        /// The word.
        word: String,
    },
    /// A bare value with no `host`/`net`/`port` before it to say what it is.
    #[error("'{value}' needs a qualifier such as 'host', 'net' or 'port' before it")]
    MissingQualifier {
        /// The value.
        value: String,
    },
    /// A protocol qualifier that makes no sense for the primitive (`tcp host`, `ip port`).
    #[error("'{qualifier}' cannot qualify '{primitive}'{hint}")]
    BadQualifier {
        /// The protocol qualifier.
        qualifier: String,
        /// The primitive's keyword.
        primitive: &'static str,
        /// Advice, starting with "; " when present.
        hint: &'static str,
    },
    /// An address of the wrong family for the protocol qualifier (`ip host ::1`).
    #[error("'{qualifier}' cannot qualify the {family} address '{addr}'")]
    WrongFamily {
        /// The protocol qualifier.
        qualifier: String,
        /// "IPv4" or "IPv6".
        family: &'static str,
        /// The address as written.
        addr: String,
    },
    /// A port number above 65535.
    #[error("port number {value} is out of range (0-65535)")]
    PortOutOfRange {
        /// The number as written.
        value: String,
    },
    /// A number with a leading 0 (octal, as in C and tcpdump) holding an 8 or a 9.
    #[error("'{value}' starts with 0, so it is read as octal (as tcpdump does), but it holds a non-octal digit")]
    BadOctal {
        /// The number as written.
        value: String,
    },
    /// A prefix length longer than the address.
    #[error("prefix length in '{net}' is longer than the address ({max} bits)")]
    PrefixTooLong {
        /// The network as written.
        net: String,
        /// The address width.
        max: u8,
    },
    /// A network whose address has bits set past the prefix (tcpdump rejects these too).
    #[error("non-network bits set in '{net}'")]
    HostBitsSet {
        /// The network as written.
        net: String,
    },
    /// A netmask that is not a run of ones followed by zeros.
    #[error("'{mask}' is not a contiguous IPv4 netmask")]
    BadMask {
        /// The mask as written.
        mask: String,
    },
    /// A network (with a prefix) where a host address is required.
    #[error("'{value}' is a network: write 'net {value}'")]
    NetworkNeedsNet {
        /// The value as written.
        value: String,
    },
    /// A word in arithmetic that is neither a number nor a name pcap-filter(7) defines.
    #[error("'{word}' is not a number or a named constant such as 'tcpflags' or 'tcp-syn'{hint}")]
    UnknownName {
        /// The word.
        word: String,
        /// Advice, starting with "; " when present.
        hint: &'static str,
    },
    /// A load size other than 1, 2 or 4 (`tcp[0:3]`).
    #[error("the size of a load must be 1, 2 or 4, found '{value}'")]
    BadLoadSize {
        /// The size as written.
        value: String,
    },
    /// A number too large for the 32-bit arithmetic of BPF.
    #[error("'{value}' does not fit in 32 bits")]
    NumberTooLarge {
        /// The number as written.
        value: String,
    },
    /// `/ 0` or `% 0`: libpcap refuses to compile a division by a constant zero.
    #[error("division by zero")]
    DivisionByZero,
    /// `<< 32` or more: libpcap refuses it, and so does the kernel.
    #[error("shift by more than 31 bits")]
    ShiftTooFar,
    /// `ip proto \name` with a protocol name this parser does not know.
    #[error("unknown {family} protocol name '{name}'")]
    UnknownProtoName {
        /// "ip" or "ip6".
        family: &'static str,
        /// The name as written, without the backslash.
        name: String,
    },
    /// `ether host NAME` with a name that is not an address and not in `/etc/ethers`.
    #[error("'{name}' is neither an Ethernet address such as aa:bb:cc:dd:ee:ff nor a host name in /etc/ethers")]
    UnknownEtherHost {
        /// The value as written.
        name: String,
    },
    /// `ether proto \name` or `llc NAME` with a name libpcap does not define.
    #[error("unknown {what} '{name}'")]
    UnknownLinkName {
        /// What kind of name: "ether proto name", "LLC frame type".
        what: &'static str,
        /// The name as written, without any backslash.
        name: String,
    },
    /// A dotted IPv4 address libpcap cannot read (a part above 255, or in hex).
    #[error("invalid IPv4 address '{value}'")]
    InvalidIpv4 {
        /// The address as written.
        value: String,
    },
    /// A host name the resolver does not know (for the qualifier's address family).
    #[error("unknown host '{name}'{}", if *family { " for the specified address family" } else { "" })]
    UnknownHost {
        /// The name.
        name: String,
        /// Whether an `ip`/`ip6`/`arp` qualifier left out the addresses it has.
        family: bool,
    },
    /// A network name missing from /etc/networks (or listed there as 0).
    #[error("unknown network '{name}' (networks are looked up in /etc/networks)")]
    UnknownNetwork {
        /// The name.
        name: String,
    },
    /// A service name missing from /etc/services.
    #[error("unknown port{} '{name}' (names are looked up in /etc/services)", if *range { " in range" } else { "" })]
    UnknownPort {
        /// The port or range as written.
        name: String,
        /// Whether it was a `portrange`.
        range: bool,
    },
    /// A service name that /etc/services lists only for another transport (`udp port http`).
    #[error("port{} '{name}' is {proto}", if *range { " in range" } else { "" })]
    PortOfOtherProto {
        /// The port or range as written.
        name: String,
        /// Whether it was a `portrange`.
        range: bool,
        /// The transport it is listed for.
        proto: &'static str,
    },
    /// Syntax of libpcap's that this parser does not implement.
    #[error("'{what}' is not supported")]
    NotSupported {
        /// The construct.
        what: String,
    },
    /// A VLAN ID, MPLS label, PPPoE session ID or interface index too large for its field.
    #[error("{what} {value} is out of range (0-{max})")]
    FieldOutOfRange {
        /// What the number is, e.g. "VLAN ID".
        what: &'static str,
        /// The number as written.
        value: String,
        /// The largest value the field holds.
        max: u32,
    },
}
