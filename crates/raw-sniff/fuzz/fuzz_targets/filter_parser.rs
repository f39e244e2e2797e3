//! Any text as a capture filter: parsing must end in an expression or a `ParseError` that
//! renders, never a panic. An accepted expression must print back to itself, compile for every
//! link type to a program the kernel's checks accept (or a clear `CompileError`), and run on
//! any bytes with one of the two verdicts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use raw_sniff::filter::resolve::Tables;
use raw_sniff::filter::{
    compile, compile_for_cooked_socket, parse_with, verify, CompileError, Framing,
    ParseErrorKind, Program, SNAPLEN,
};

/// Names from memory: the fuzzer must reach the name paths without asking the system's
/// resolver (and DNS) about every word it makes up.
fn names() -> Tables {
    Tables {
        hosts: "10.0.0.1 a\n2001:db8::1 a\n127.0.0.1 localhost\n".into(),
        services: "http 80/tcp www\ndomain 53/tcp\ndomain 53/udp\nbootpc 68/udp\n".into(),
        networks: "loopback 127.0.0.0\nten 10\n".into(),
        protocols: "tcp 6 TCP\nudp 17 UDP\nospf 89\n".into(),
    }
}

fn check(prog: Result<Program, CompileError>, packet: &[u8]) {
    match prog {
        Ok(prog) => {
            verify(prog.instructions()).expect("a compiled program passes the kernel's checks");
            let verdict = prog.run(packet, packet.len() as u32);
            assert!(verdict == 0 || verdict == SNAPLEN, "verdict {verdict}");
            let _ = prog.to_string();
        }
        // Only these are the input's fault; Internal is a compiler bug.
        Err(
            CompileError::TooLong { .. }
            | CompileError::WrongFamily { .. }
            | CompileError::TooComplex
            | CompileError::NeedsLinkHeader
            | CompileError::DivisionByZero
            | CompileError::ShiftTooFar
            | CompileError::RejectsAll
            | CompileError::Unsupported { .. }
            | CompileError::NotOnLink { .. },
        ) => {}
        Err(err) => panic!("{err}"),
    }
}

fuzz_target!(|data: &[u8]| {
    // The text is the input up to a NUL; what follows is a packet to run the program on.
    let (text, packet) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let names = names();
    let parse = |text: &str| parse_with(text, &names);
    let expr = match parse(text) {
        Ok(expr) => expr,
        Err(err) => {
            let _ = err.render(text);
            return;
        }
    };
    let printed = expr.to_string();
    match parse(&printed) {
        Ok(back) => assert_eq!(back, expr, "{text:?} printed as {printed:?}"),
        // The printed form puts every operand in parentheses to show the grouping, so it
        // nests deeper than the text it came from (`not not ip` prints as
        // `not (not (ip))`) and can pass the parser's nesting limit when the input was
        // just under it. That is the limit working, not a wrong print; anything else is.
        Err(err)
            if matches!(
                err.kind,
                ParseErrorKind::Unexpected {
                    expected: "fewer nested parentheses or negations",
                    ..
                }
            ) => {}
        Err(err) => panic!("{text:?} printed as {printed:?}: {}", err.render(&printed)),
    }
    for link in [
        Framing::Ethernet,
        Framing::LinuxSll,
        Framing::RawIp,
        Framing::Ipv4,
        Framing::Ipv6,
    ] {
        check(compile(&expr, link), packet);
    }
    check(compile_for_cooked_socket(&expr), packet);
});
