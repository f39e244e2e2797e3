//! Capture filters: a subset of tcpdump's pcap-filter language, parsed to an AST and compiled to
//! classic BPF so the kernel can drop unwanted packets before they are copied.
//!
//! The same program runs everywhere: the kernel runs it on Linux sockets (`SO_ATTACH_FILTER`),
//! and [`run`] interprets it for capture files and Windows, so a filter means one thing on every
//! capture path.
//!
//! - [`parse`] turns text into an [`Expr`], or a [`ParseError`] that points at the bad token.
//!   Relations such as `tcp[tcpflags] & tcp-syn != 0` hold an [`Arith`] on each side. Names
//!   (`host NAME`, `port NAME`, `net NAME`, `proto NAME`) are looked up where libpcap looks
//!   them up; [`parse_with`] takes a [`resolve::Resolve`] of the caller's instead.
//! - [`compile()`] turns an [`Expr`] into a [`Program`] for a [`Framing`]; the docs of the
//!   [`mod@compile`] module say exactly what each primitive matches, and where that differs
//!   from tcpdump.
//! - [`compile_for_cooked_socket`] makes the kernel-side program for a `SOCK_DGRAM` packet
//!   socket (`--iface any`), which has no link header to read.
//! - [`verify`] applies the kernel's checks to any instruction list; [`run`] interprets one.
//! - `Display` on a [`Program`] lists it as `tcpdump -d` does.
//!
//! ```
//! use raw_sniff::filter::{compile, parse, Framing};
//!
//! let expr = parse("tcp dst port 80 or 443").unwrap();
//! let prog = compile(&expr, Framing::RawIp).unwrap();
//!
//! // A minimal IPv4 header (protocol 6) and the first bytes of a TCP header to port 443.
//! let mut pkt = vec![0x45, 0, 0, 24, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
//! pkt.extend_from_slice(&[0xc0, 0x00, 0x01, 0xbb]);
//! assert_eq!(prog.run(&pkt, pkt.len() as u32), 262_144);
//! assert!(prog.to_string().starts_with("(000) ldb      [0]\n"));
//! ```

pub mod arith;
pub mod ast;
pub mod bpf;
pub mod compile;
pub mod error;
pub mod interp;
mod lexer;
pub mod link;
mod names;
pub mod parser;
pub mod resolve;

pub use crate::SNAPLEN;
pub use ast::{
    AddrProto, Arith, ArithOp, Dir, Expr, IpNet, LoadProto, PortProto, PortRange, Primitive, Proto,
    RelOp,
};
pub use ast::{Direction, Encap};
pub use bpf::{
    verify, verify_any_length, Listing, Program, SockFilter, VerifyError, MAX_INSNS,
    SKF_AD_PROTOCOL,
};
pub use compile::{
    compile, compile_any_length, compile_for_cooked_socket, compile_for_cooked_socket_any_length,
    compile_unoptimized, CompileError, Framing,
};
pub use compile::{compile_for_packet_socket, compile_for_packet_socket_any_length};
pub use error::{Found, ParseError, ParseErrorKind};
pub use interp::{run, run_with_metadata, Metadata};
pub use link::WlanField;
pub use link::{LinkPrim, LinkWord, LlcType, MacAddr};
pub use parser::parse;
pub use parser::parse_with;
