//! A TCP header's options in tcpdump's words (print-tcp.c and print-mptcp.c of 4.99):
//! `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7`, MPTCP subtypes with their fields, Fast Open
//! cookies, and its markers for options it cannot read: `[bad opt]` for a malformed one,
//! `[|tcp]` where the capture cut the header.

use std::fmt::Write as _;

use wire::error::WireError;
use wire::mptcp::{Mptcp, MptcpOption};
use wire::tcp::{option_kind, CutOption, Flags, Packet, RawOption, TcpOption};
use wire::tcp_options::{fixed_data_len, kind, OtherOption};

use crate::output::values::hex;

/// What the words of some options depend on besides their bytes.
pub(in crate::output::line) struct Context {
    /// The segment's flags (which MPTCP forms are valid depends on them).
    pub flags: Flags,
    /// Subtracted from SACK block edges, as tcpdump makes them relative.
    pub sack_base: u32,
    /// Whether the capture holds the whole segment (tcpdump says so of an MD5 signature).
    pub whole_segment_captured: bool,
    /// Whether the capture holds bytes after the header (tcpdump may read one as a length).
    pub bytes_after_header: bool,
}

/// How an option's words ended.
enum Words {
    /// Printed whole.
    Done,
    /// Printed; tcpdump reads the next option from this offset of the header.
    ResumeAt(usize),
    /// Cut by the capture inside what tcpdump reads: its marker ends the line, with `>`
    /// after a first option.
    Cut,
    /// The capture ended where tcpdump reads a kind or length byte: its marker alone.
    Ended,
    /// tcpdump gives up on it with `[bad opt]`, and on the rest of the line.
    Bad,
}

/// Writes `, options [...]`. Returns `None` when tcpdump stops the line inside the list (a
/// bad or cut option), so no `length` follows; else the name its truncation marker uses
/// from here on (`mptcp` once an MPTCP option was read).
pub(in crate::output::line) fn list(
    line: &mut String,
    tcp: &Packet<&[u8]>,
    c: &Context,
) -> Option<&'static str> {
    line.push_str(", options [");
    let mut first = true;
    // tcpdump's truncation marker names the decoder it last entered: after an MPTCP option,
    // that is MPTCP's.
    let mut protocol = "tcp";
    let mut walk = tcp.captured_options();
    loop {
        let raw = walk.peek();
        let Some(item) = walk.next() else { break };
        if !first {
            line.push(',');
        }
        let words = match item {
            Ok(placed) if mis_sized(&placed.option) => match raw {
                Some(raw) => mis_sized_option(line, &raw, c),
                None => Words::Bad,
            },
            Ok(placed) => {
                let words = option(line, &placed.option, placed.len, c);
                if matches!(
                    placed.option,
                    TcpOption::Unknown {
                        kind: kind::MPTCP,
                        ..
                    }
                ) {
                    protocol = "mptcp";
                }
                if placed.option == TcpOption::EndOfList {
                    break;
                }
                words
            }
            // A fixed-size kind cut by the capture: tcpdump reads only its fixed fields,
            // which may all be there though the option's length runs on past the capture.
            Err(WireError::Truncated { .. })
                if raw.is_some_and(|r| r.len.is_some() && reads_without_data(r.kind, r.len)) =>
            {
                match raw {
                    Some(raw) => mis_sized_option(line, &raw, c),
                    None => Words::Bad,
                }
            }
            Err(WireError::Truncated { .. }) => {
                if let Some(cut) = walk.cut() {
                    cut_option(line, &cut, c, protocol, first);
                }
                return None;
            }
            Err(_) => match raw {
                Some(raw) => mis_sized_option(line, &raw, c),
                None => Words::Bad,
            },
        };
        match words {
            Words::Done => {}
            Words::ResumeAt(at) => walk = tcp.captured_options_from(at),
            Words::Cut => {
                let _ = write!(line, " [|{protocol}]");
                if !first {
                    line.push('>');
                }
                return None;
            }
            Words::Ended => {
                let _ = write!(line, " [|{protocol}]");
                return None;
            }
            Words::Bad => {
                line.push_str("[bad opt]");
                if !first {
                    line.push(']');
                }
                return None;
            }
        }
        first = false;
    }
    line.push(']');
    Some(protocol)
}

/// Whether an option kept raw is one of tcpdump's fixed-size kinds with another length: its
/// reading then follows the size, not the length byte.
fn mis_sized(option: &TcpOption<'_>) -> bool {
    match *option {
        TcpOption::Unknown { kind, data } => fixed_data_len(kind).is_some_and(|n| n != data.len()),
        _ => false,
    }
}

/// An option whose length byte does not fit its kind, read as tcpdump reads it: a length
/// below 2 or past the header ends the list; a fixed-size kind reads its fields from the
/// bytes after the length byte, spilling past the option if it is short, notes `[len N]`,
/// and tcpdump goes on reading options right after those fields; a SACK of a length no
/// number of blocks fills is `invalid sack`.
fn mis_sized_option(line: &mut String, raw: &RawOption<'_>, c: &Context) -> Words {
    let Some(len) = raw.len else {
        // The header ends after the kind byte: tcpdump reads the length from the byte after
        // it, which fails the length check if captured and ends the line if not.
        return if c.bytes_after_header {
            Words::Bad
        } else {
            Words::Ended
        };
    };
    let len = usize::from(len);
    if len < 2 || len > raw.header_left {
        return Words::Bad;
    }
    let k = raw.kind;
    let declared = raw.header_left - 2;
    if k == option_kind::SACK {
        let datalen = len - 2;
        line.push_str("sack");
        if datalen % 8 != 0 {
            line.push_str(" invalid sack");
        } else {
            let _ = write!(line, " {} ", datalen / 8);
        }
        return Words::ResumeAt(raw.at + len);
    }
    if k == kind::TCP_AO && len < 4 {
        line.push_str("tcp-ao (invalid)");
        return Words::ResumeAt(raw.at + len);
    }
    let Some(need) = fixed_size(k) else {
        return Words::Bad;
    };
    if need > declared {
        push_name(line, k);
        return Words::Bad;
    }
    let Some(data) = raw.rest.get(..need) else {
        push_name(line, k);
        return Words::Cut;
    };
    match TcpOption::fixed_fields(k, data) {
        Some(o) => {
            option(line, &o, need + 2, c);
            let _ = write!(line, "[len {len}]");
        }
        None => {
            other(line, k, data, len, c);
        }
    }
    Words::ResumeAt(raw.at + 2 + need)
}

/// Whether tcpdump reads an option of this kind and length byte by its kind's fixed size (or,
/// for a SACK no number of blocks fills, not at all) rather than by its length.
fn reads_without_data(k: u8, len: Option<u8>) -> bool {
    let sack_invalid = k == option_kind::SACK && len.is_some_and(|l| l >= 2 && (l - 2) % 8 != 0);
    let ao_invalid = k == kind::TCP_AO && len.is_some_and(|l| l < 4);
    sack_invalid || ao_invalid || fixed_size(k).is_some()
}

/// Data bytes tcpdump reads for a fixed-size kind, whatever its length byte says.
fn fixed_size(k: u8) -> Option<usize> {
    TcpOption::fixed_data_len(k).or_else(|| fixed_data_len(k))
}

/// tcpdump's name for an option kind, or `None` for the kinds it calls `unknown-N`.
fn name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        option_kind::EOL => "eol",
        option_kind::NOP => "nop",
        option_kind::MSS => "mss",
        option_kind::WINDOW_SCALE => "wscale",
        option_kind::SACK_PERMITTED => "sackOK",
        option_kind::SACK => "sack",
        kind::ECHO => "echo",
        kind::ECHO_REPLY => "echoreply",
        option_kind::TIMESTAMPS => "TS",
        kind::CC => "cc",
        kind::CC_NEW => "ccnew",
        kind::CC_ECHO => "",
        kind::MD5 => "md5",
        kind::SCPS => "scps",
        kind::USER_TIMEOUT => "uto",
        kind::TCP_AO => "tcp-ao",
        kind::MPTCP => "mptcp",
        kind::FAST_OPEN => "tfo",
        kind::EXPERIMENT_2 => "exp",
        _ => return None,
    })
}

/// Writes tcpdump's name for an option kind.
fn push_name(line: &mut String, kind: u8) {
    match name(kind) {
        Some(n) => line.push_str(n),
        None => {
            let _ = write!(line, "unknown-{kind}");
        }
    }
}

/// One whole option's words; `len` is what its length byte says.
fn option(line: &mut String, option: &TcpOption<'_>, len: usize, c: &Context) -> Words {
    match *option {
        TcpOption::EndOfList => line.push_str("eol"),
        TcpOption::Nop => line.push_str("nop"),
        TcpOption::Mss(v) => {
            let _ = write!(line, "mss {v}");
        }
        TcpOption::WindowScale(v) => {
            let _ = write!(line, "wscale {v}");
        }
        TcpOption::SackPermitted => line.push_str("sackOK"),
        TcpOption::Sack(blocks) => {
            let n = blocks.iter().flatten().count();
            let _ = write!(line, "sack {n} ");
            for (left, right) in blocks.iter().flatten() {
                sack_block(line, *left, *right, c);
            }
        }
        TcpOption::Timestamps { value, echo } => {
            let _ = write!(line, "TS val {value} ecr {echo}");
        }
        TcpOption::Unknown { kind, data } => return other(line, kind, data, len, c),
    }
    Words::Done
}

fn sack_block(line: &mut String, left: u32, right: u32, c: &Context) {
    let _ = write!(
        line,
        "{{{}:{}}}",
        left.wrapping_sub(c.sack_base),
        right.wrapping_sub(c.sack_base)
    );
}

/// The words of an option `TcpOption` keeps raw.
fn other(line: &mut String, k: u8, data: &[u8], len: usize, c: &Context) -> Words {
    push_name(line, k);
    let Some(o) = OtherOption::parse(k, data, c.flags) else {
        return match k {
            // Too short for their fields (mis-sized ones are read before they get here), or
            // (MPTCP) without even a subtype.
            _ if fixed_data_len(k).is_some() => Words::Bad,
            kind::EXPERIMENT_2 | kind::MPTCP => Words::Bad,
            kind::TCP_AO => {
                line.push_str(" (invalid)");
                Words::Done
            }
            _ => {
                if !data.is_empty() {
                    let _ = write!(line, " 0x{}", hex(data));
                }
                Words::Done
            }
        };
    };
    match o {
        OtherOption::Value32(v) => {
            let _ = write!(line, " {v}");
        }
        OtherOption::Md5 { digest } => {
            // tcpdump checks a signature only with the secret (-M), and the whole segment.
            line.push_str(if c.whole_segment_captured {
                " shared secret not supplied with -M, can't check - "
            } else {
                " snaplen too short, can't check - "
            });
            line.push_str(&hex(digest));
        }
        OtherOption::Scps {
            capabilities,
            connection_id,
        } => {
            let _ = write!(line, " cap {capabilities:02x} id {connection_id}");
        }
        OtherOption::UserTimeout(raw) => {
            let _ = write!(
                line,
                " 0x{raw:x} {}",
                OtherOption::user_timeout_seconds(raw)
            );
        }
        OtherOption::TcpAo {
            key_id,
            rnext_key_id,
            mac,
        } => {
            let _ = write!(line, " keyid {key_id} rnextkeyid {rnext_key_id}");
            if !mac.is_empty() {
                let _ = write!(line, " mac 0x{}", hex(mac));
            }
        }
        OtherOption::Mptcp(m) => return mptcp(line, &m, len),
        OtherOption::FastOpen {
            cookie,
            experimental,
        } => {
            // tcpdump puts a space after `tfo` and another before the cookie's words.
            line.push_str(if experimental { "-tfo" } else { " " });
            if cookie.is_empty() {
                line.push_str(" cookiereq");
            } else if OtherOption::valid_cookie(cookie) {
                let _ = write!(line, " cookie {}", hex(cookie));
            } else {
                line.push_str(" (invalid)");
            }
        }
        OtherOption::Experiment { exid, .. } => {
            let _ = write!(line, "-{exid:04x}");
        }
    }
    if fixed_data_len(k).is_some_and(|n| n + 2 != len) {
        let _ = write!(line, "[len {len}]");
    }
    Words::Done
}

/// tcpdump's names of the MPTCP subtypes; later ones are `unknown`.
const MPTCP_NAMES: [&str; 9] = [
    "capable",
    "join",
    "dss",
    "add-addr",
    "rem-addr",
    "prio",
    "fail",
    "fast-close",
    "unknown",
];

fn mptcp(line: &mut String, m: &MptcpOption<'_>, len: usize) -> Words {
    let name = MPTCP_NAMES[usize::from(m.subtype).min(MPTCP_NAMES.len() - 1)];
    let _ = write!(line, " {len} {name}");
    let Some(body) = m.body else {
        return Words::Bad;
    };
    match body {
        Mptcp::Capable {
            version,
            checksum,
            sender_key,
            receiver_key,
        } => {
            if version > 1 {
                let _ = write!(line, " Unknown Version ({version})");
                return Words::Done;
            }
            let _ = write!(line, " v{version}");
            if checksum {
                line.push_str(" csum");
            }
            if let Some(key) = sender_key {
                let _ = write!(line, " {{{key:#x}");
                if let Some(key) = receiver_key {
                    let _ = write!(line, ",{key:#x}");
                }
                line.push('}');
            }
        }
        Mptcp::JoinSyn {
            backup,
            addr_id,
            token,
            nonce,
        } => {
            backup_and_id(line, backup, addr_id);
            let _ = write!(line, " token {token:#x} nonce {nonce:#x}");
        }
        Mptcp::JoinSynAck {
            backup,
            addr_id,
            hmac,
            nonce,
        } => {
            backup_and_id(line, backup, addr_id);
            let _ = write!(line, " hmac {hmac:#x} nonce {nonce:#x}");
        }
        Mptcp::JoinAck { hmac } => {
            let _ = write!(line, " hmac 0x{}", hex(hmac));
        }
        Mptcp::Dss {
            fin,
            has_ack,
            data_ack,
            has_mapping,
            mapping,
            exact,
        } => {
            // tcpdump prints each field as it reads it, and gives up at the first missing.
            if fin {
                line.push_str(" fin");
            }
            if has_ack {
                line.push_str(" ack ");
                let Some(ack) = data_ack else {
                    return Words::Bad;
                };
                let _ = write!(line, "{ack}");
            }
            if has_mapping {
                line.push_str(" seq ");
                let Some(dsn) = mapping.dsn else {
                    return Words::Bad;
                };
                let _ = write!(line, "{dsn}");
                let Some(subflow_seq) = mapping.subflow_seq else {
                    return Words::Bad;
                };
                let _ = write!(line, " subseq {subflow_seq}");
                let Some(len) = mapping.len else {
                    return Words::Bad;
                };
                let _ = write!(line, " len {len}");
                if let Some(sum) = mapping.checksum {
                    let _ = write!(line, " csum {sum:#x}");
                }
            }
            if !exact {
                return Words::Bad;
            }
        }
        Mptcp::AddAddr {
            echo_bits,
            addr_id,
            addr,
            port,
            hmac,
        } => {
            let version = match echo_bits {
                6 => "v0-ip6",
                4 => "v0-ip4",
                1 => "v1-echo",
                0 => "v1",
                _ => "[bad version/echo]",
            };
            let _ = write!(line, " {version} id {addr_id} {addr}");
            if let Some(port) = port {
                let _ = write!(line, ":{port}");
            }
            if let Some(hmac) = hmac {
                let _ = write!(line, " hmac {hmac:#x}");
            }
        }
        Mptcp::RemoveAddr { ids } => {
            line.push_str(" id");
            for id in ids {
                let _ = write!(line, " {id}");
            }
        }
        Mptcp::Prio { backup, addr_id } => {
            line.push_str(if backup { " backup" } else { " non-backup" });
            if let Some(id) = addr_id {
                let _ = write!(line, " id {id}");
            }
        }
        Mptcp::Fail { dsn } => {
            let _ = write!(line, " seq {dsn}");
        }
        Mptcp::FastClose { key } => {
            let _ = write!(line, " key {key:#x}");
        }
        Mptcp::Other => {}
    }
    Words::Done
}

fn backup_and_id(line: &mut String, backup: bool, addr_id: u8) {
    if backup {
        line.push_str(" backup");
    }
    let _ = write!(line, " id {addr_id}");
}

/// An option the capture cut: tcpdump prints its name once kind and length are in, the
/// parts it reads piece by piece (SACK blocks, an unknown option's bytes, TCP-AO's fields)
/// as far as they go, then its marker; `>` closes it when the option was not the first.
fn cut_option(line: &mut String, cut: &CutOption<'_>, c: &Context, protocol: &str, first: bool) {
    let (Some(k), Some(len)) = (cut.kind, cut.len) else {
        // Not even the kind and length: tcpdump's reading of them fails outright.
        let _ = write!(line, " [|{protocol}]");
        return;
    };
    push_name(line, k);
    let data = cut.data;
    let datalen = usize::from(len).saturating_sub(2);
    match k {
        option_kind::SACK if datalen % 8 == 0 => {
            let _ = write!(line, " {} ", datalen / 8);
            for block in data.chunks_exact(8) {
                let edge = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                sack_block(line, edge(&block[..4]), edge(&block[4..]), c);
            }
        }
        kind::TCP_AO if datalen >= 2 => {
            if let Some(id) = data.first() {
                let _ = write!(line, " keyid {id}");
            }
            if let Some(id) = data.get(1) {
                let _ = write!(line, " rnextkeyid {id}");
                let _ = write!(line, " mac 0x{}", hex(&data[2..]));
            }
        }
        k if is_unnamed(k) => {
            let _ = write!(line, " 0x{}", hex(data));
        }
        _ => {}
    }
    let _ = write!(line, " [|{protocol}]");
    if !first {
        line.push('>');
    }
}

/// Kinds tcpdump prints as `unknown-N` followed by their bytes.
fn is_unnamed(k: u8) -> bool {
    name(k).is_none()
}
