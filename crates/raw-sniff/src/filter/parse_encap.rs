//! The parser's half for encapsulations and packet metadata:
//!
//! ```text
//! primitive := "vlan" [number] | "mpls" [number] | "pppoed" | "pppoes" [number]
//!            | "geneve" [number]
//!            | "inbound" | "outbound" | "ifindex" number
//! ```
//!
//! A number is read as C reads it (`0x10`, `010`) and must fit its field: a 12-bit VLAN ID, a
//! 20-bit MPLS label, a 16-bit PPPoE session ID, a 24-bit Geneve VNI. None of these set
//! qualifiers for a following bare value, so `vlan 10 or 20` is an error, as in libpcap.

use super::*;
use crate::filter::ast::{Direction, Encap};

/// Whether `w` starts one of the primitives this part of the parser reads.
pub(super) fn is_encap_word(w: &str) -> bool {
    matches!(
        w,
        "vlan" | "mpls" | "pppoed" | "pppoes" | "geneve" | "inbound" | "outbound" | "ifindex"
    )
}

impl Parser<'_> {
    /// Parses a primitive that [`is_encap_word`] accepts the first word of.
    pub(super) fn encap_primitive(&mut self) -> Result<Expr, ParseError> {
        self.count_primitive()?;
        let t = self.bump().expect("the caller peeked a word");
        let word = t.text();
        self.last = None;
        let prim = match word {
            "vlan" => Primitive::Encap(Encap::Vlan(
                self.field_number(word, "VLAN ID", 0xfff)?
                    .map(|n| u16::try_from(n).expect("checked against the field's maximum")),
            )),
            "mpls" => Primitive::Encap(Encap::Mpls(self.field_number(
                word,
                "MPLS label",
                0xf_ffff,
            )?)),
            "pppoed" => Primitive::Encap(Encap::Pppoed),
            "pppoes" => Primitive::Encap(Encap::Pppoes(
                self.field_number(word, "PPPoE session ID", 0xffff)?
                    .map(|n| u16::try_from(n).expect("checked against the field's maximum")),
            )),
            "geneve" => Primitive::Encap(Encap::Geneve(self.field_number(
                word,
                "Geneve VNI",
                0xff_ffff,
            )?)),
            "inbound" => Primitive::Direction(Direction::Inbound),
            "outbound" => Primitive::Direction(Direction::Outbound),
            "ifindex" => {
                let n = self.number_after(word)?;
                // libpcap takes the index as a signed int and compares it as such.
                if n > i32::MAX as u32 {
                    return Err(self.err_at(
                        self.tokens[self.pos - 1],
                        ParseErrorKind::FieldOutOfRange {
                            what: "interface index",
                            value: self.tokens[self.pos - 1].text().to_string(),
                            max: i32::MAX as u32,
                        },
                    ));
                }
                Primitive::IfIndex(n)
            }
            _ => unreachable!("is_encap_word accepts only the words above"),
        };
        Ok(Expr::Prim(prim))
    }

    /// The number after `keyword` if one follows (a word starting with a digit), checked to
    /// be at most `max`.
    fn field_number(
        &mut self,
        keyword: &str,
        what: &'static str,
        max: u32,
    ) -> Result<Option<u32>, ParseError> {
        let Some(t) = self.peek() else {
            return Ok(None);
        };
        if !t.text().starts_with(|c: char| c.is_ascii_digit()) {
            return Ok(None);
        }
        let n = self.number_after(keyword)?;
        if n > max {
            return Err(self.err_at(
                t,
                ParseErrorKind::FieldOutOfRange {
                    what,
                    value: t.text().to_string(),
                    max,
                },
            ));
        }
        Ok(Some(n))
    }
}

#[cfg(test)]
mod tests {
    use crate::filter::{
        compile, compile_for_cooked_socket, compile_for_packet_socket, parse, CompileError, Framing,
    };
    use proptest::prelude::*;

    #[test]
    fn encapsulations_parse_and_print_back() {
        for (text, shown) in [
            ("vlan", "vlan"),
            ("vlan 0x14", "vlan 20"),
            ("vlan 010 and ip", "(vlan 8) and (ip)"),
            ("mpls 1048575", "mpls 1048575"),
            ("not pppoes 7", "not (pppoes 7)"),
            ("pppoed or inbound", "(pppoed) or (inbound)"),
            ("outbound and ifindex 2", "(outbound) and (ifindex 2)"),
            ("geneve 0x10 or geneve", "(geneve 16) or (geneve)"),
        ] {
            let e = parse(text).unwrap();
            assert_eq!(e.to_string(), shown);
            assert_eq!(parse(shown).unwrap(), e);
        }
    }

    #[test]
    fn numbers_must_fit_their_field() {
        let err = |s: &str| parse(s).unwrap_err();
        assert_eq!(
            err("vlan 4096").to_string(),
            "VLAN ID 4096 is out of range (0-4095)"
        );
        assert_eq!(err("ip and mpls 0x100000").offset, 12);
        assert_eq!(
            err("pppoes 65536").to_string(),
            "PPPoE session ID 65536 is out of range (0-65535)"
        );
        assert_eq!(
            err("ifindex").to_string(),
            "expected a number after 'ifindex', found end of expression"
        );
        // No qualifiers carry over to a bare value, as in libpcap.
        assert_eq!(
            err("vlan 10 or 20").to_string(),
            "'20' needs a qualifier such as 'host', 'net' or 'port' before it"
        );
        assert_eq!(
            err("geneve 16777216").to_string(),
            "Geneve VNI 16777216 is out of range (0-16777215)"
        );
        assert!(parse("pppoed 3").is_err());
        assert!(parse("vlan 1.2").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any mix of encapsulations, metadata and ordinary words parses or fails with a
        /// one-line error.
        #[test]
        fn encapsulation_words_never_panic(
            words in prop::collection::vec(
                prop::sample::select(vec![
                    "vlan", "mpls", "pppoed", "pppoes", "geneve", "inbound", "outbound",
                    "ifindex", "0", "10", "4095", "4096", "0xfffff", "65535", "and", "or",
                    "not", "(", ")", "ip", "port", "80", "host", "10.0.0.1", "ether[0]", "=",
                ]),
                1..12,
            )
        ) {
            if let Err(e) = parse(&words.join(" ")) {
                prop_assert!(!e.to_string().contains('\n'));
            }
        }

        /// Whatever the order of encapsulations and other primitives, each expression
        /// compiles (or is refused) for every link type and kind of socket, without a panic.
        #[test]
        fn encapsulation_mixes_compile_or_are_refused(
            parts in prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "vlan", "vlan 10", "not vlan", "mpls", "mpls 100", "pppoed",
                        "pppoes", "pppoes 7", "geneve", "geneve 5", "inbound", "outbound",
                        "ifindex 2", "ip", "ip6", "arp", "tcp", "icmp6", "tcp port 80",
                        "host 10.0.0.1", "host ::1", "arp host 10.0.0.1", "net 10.0.0.0/8",
                        "ether[0] = 1", "ip[0] & 0xf > 5", "tcp[13] = 2", "icmp6[0] = 128",
                        "len > 60", "ip proto 17", "(vlan or mpls 3)",
                    ]),
                    prop::sample::select(vec!["and", "or", "and not", "or not"]),
                ),
                1..8,
            )
        ) {
            let mut text = String::new();
            for (i, (prim, conj)) in parts.iter().enumerate() {
                if i > 0 {
                    text.push_str(&format!(" {conj} "));
                }
                text.push_str(prim);
            }
            let e = parse(&text).unwrap();
            let mut results = vec![
                compile_for_packet_socket(&e),
                compile_for_cooked_socket(&e),
            ];
            for link in [
                Framing::Ethernet,
                Framing::LinuxSll,
                Framing::LinuxSll2,
                Framing::RawIp,
                Framing::Ipv4,
                Framing::Ipv6,
            ] {
                results.push(compile(&e, link));
            }
            for r in results {
                // A program that fails the kernel's checks would be a bug here.
                prop_assert!(
                    !matches!(r, Err(CompileError::Internal(_))),
                    "'{}': {:?}", text, r
                );
            }
        }
    }
}
