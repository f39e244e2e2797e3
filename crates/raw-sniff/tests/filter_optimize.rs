//! The optimiser changes no verdict: for random expressions of the language the parser takes,
//! the optimised program and the unoptimised one (`compile_unoptimized`) are run through the
//! interpreter on random and hand-shaped packets and must agree on every packet that holds the
//! fields the filter reads. On frames cut short they may differ only where the unoptimised
//! program fails a load and rejects: the optimised one may then have accepted on a field it
//! tested first (libpcap's programs do the same, see tests/filter_tcpdump_optimize.rs).
//! Every optimised program also passes the kernel's checks.

use proptest::prelude::*;
use raw_sniff::filter::bpf::op;
use raw_sniff::filter::{
    compile, compile_unoptimized, parse, verify, CompileError, Framing, Program, SockFilter,
    MAX_INSNS, SNAPLEN,
};

const V4: &[&str] = &["10.0.0.1", "10.0.0.2", "192.168.1.7", "127.0.0.1"];
const V6: &[&str] = &["2001:db8::1", "2001:db8::2", "::1", "fe80::1"];
const PORTS: &[u16] = &[0, 22, 53, 80, 443, 8080];
const PROTOS: &[u8] = &[1, 6, 17, 58, 132, 44, 47];

fn pick<T: Clone + std::fmt::Debug + 'static>(pool: &'static [T]) -> prop::sample::Select<T> {
    prop::sample::select(pool)
}

fn addr4() -> BoxedStrategy<[u8; 4]> {
    pick(V4)
        .prop_map(|a| a.parse::<std::net::Ipv4Addr>().unwrap().octets())
        .boxed()
}

fn addr6() -> BoxedStrategy<[u8; 16]> {
    pick(V6)
        .prop_map(|a| a.parse::<std::net::Ipv6Addr>().unwrap().octets())
        .boxed()
}

/// One primitive, as text.
fn primitive() -> impl Strategy<Value = String> {
    let dir = prop::sample::select(vec!["", "src ", "dst ", "src or dst ", "src and dst "]);
    let words = prop::sample::select(vec!["ip", "ip6", "arp", "tcp", "udp", "icmp", "icmp6"])
        .prop_map(str::to_string);
    let host = (
        prop::sample::select(vec!["", "ip ", "arp "]),
        dir.clone(),
        pick(V4),
    )
        .prop_map(|(p, d, a)| format!("{p}{d}host {a}"));
    let host6 = (dir.clone(), pick(V6)).prop_map(|(d, a)| format!("{d}host {a}"));
    let net = (
        dir.clone(),
        pick(V4),
        prop::sample::select(vec![0u8, 8, 16, 24, 32]),
    )
        .prop_map(|(d, a, p)| {
            let bits = u32::from(a.parse::<std::net::Ipv4Addr>().unwrap());
            let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
            format!("{d}net {}/{p}", std::net::Ipv4Addr::from(bits & mask))
        });
    let port = (
        prop::sample::select(vec!["", "tcp ", "udp "]),
        dir.clone(),
        prop::collection::vec(pick(PORTS), 1..4),
    )
        .prop_map(|(p, d, ports)| {
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            format!("{p}{d}port {}", list.join(" or "))
        });
    let range = (dir, pick(PORTS), pick(PORTS))
        .prop_map(|(d, a, b)| format!("{d}portrange {}-{}", a.min(b), a.max(b)));
    let proto = (any::<bool>(), pick(PROTOS))
        .prop_map(|(v6, n)| format!("{} proto {n}", if v6 { "ip6" } else { "ip" }));
    let load = (
        prop::sample::select(vec![
            "ether", "link", "ip", "ip6", "tcp", "udp", "icmp", "icmp6", "arp",
        ]),
        0..48u32,
        prop::sample::select(vec!["", ":1", ":2", ":4"]),
    )
        .prop_map(|(p, at, size)| format!("{p}[{at}{size}]"));
    let value = prop_oneof![
        3 => load,
        1 => Just("len".to_string()),
        2 => (0..300u32).prop_map(|v| v.to_string()),
    ];
    let arith = (
        value.clone(),
        prop::sample::select(vec!["", " & 15", " + 1", " >> 2", " * 3", " | 64", " - 20"]),
    )
        .prop_map(|(v, tail)| format!("{v}{tail}"));
    let relation = (
        arith,
        prop::sample::select(vec!["=", "!=", "<", "<=", ">", ">="]),
        value,
    )
        .prop_map(|(a, op, b)| format!("{a} {op} {b}"));
    let size = (prop::sample::select(vec!["less", "greater"]), 0..200u32)
        .prop_map(|(w, n)| format!("{w} {n}"));
    prop_oneof![
        3 => words,
        2 => host,
        1 => host6,
        2 => net,
        4 => port,
        1 => range,
        1 => proto,
        3 => relation,
        1 => size,
        1 => Just("tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn".to_string()),
        1 => Just("tcp[((tcp[12] & 0xf0) >> 2)] = 0x16".to_string()),
        // Encapsulations move the network header (X and scratch memory hold its offset), so
        // they come with what follows them.
        3 => (
            prop::sample::select(vec![
                "vlan", "vlan 7", "mpls", "mpls 100", "pppoes", "pppoes 5", "geneve",
                "vlan and vlan",
            ]),
            prop::sample::select(vec![
                "", " and tcp", " and port 80", " and host 10.0.0.1", " and ip6",
                " and udp port 53 or 443", " and ip[9] = 6",
            ]),
        )
            .prop_map(|(a, b)| format!("({a}{b})")),
        2 => prop::sample::select(vec![
            "ether host 02:00:00:00:00:01", "ether src 02:00:00:00:00:02", "ether proto 0x88cc",
            "broadcast", "multicast", "ip multicast", "ip6 multicast", "protochain 6",
            "ip6 protochain 17", "ip protochain 1", "llc", "stp", "sctp port 80", "decnet",
            "iso", "isis", "atalk", "ipx", "icmp[icmptype] = icmp-echo", "ip proto \\udp",
            "rarp", "pim", "vrrp", "ah", "esp",
        ])
        .prop_map(str::to_string),
    ]
}

/// An expression: primitives joined by `and`, `or` and `not`.
fn expression() -> impl Strategy<Value = String> {
    primitive().prop_recursive(4, 32, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| format!("not {a}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            prop::collection::vec(inner, 2..6).prop_map(|v| v.join(" or ")),
        ]
    })
}

/// The network layer: IPv4 (with options, fragments), IPv6 (with a fragment header), ARP or
/// anything, with addresses, protocols and ports from the pools the expressions use.
fn network() -> impl Strategy<Value = (u16, Vec<u8>)> {
    let ports = (pick(PORTS), pick(PORTS)).prop_map(|(s, d)| {
        let mut v = s.to_be_bytes().to_vec();
        v.extend_from_slice(&d.to_be_bytes());
        v
    });
    let v4 = (
        prop::sample::select(vec![0x45u8, 0x46, 0x4f, 0x44]),
        pick(PROTOS),
        prop::sample::select(vec![0u16, 0x2000, 0x0010, 0x1fff]),
        addr4(),
        addr4(),
        ports.clone(),
    )
        .prop_map(|(vihl, proto, frag, src, dst, ports)| {
            let mut v = vec![vihl, 0, 0, 40, 0, 1];
            v.extend_from_slice(&frag.to_be_bytes());
            v.extend_from_slice(&[64, proto, 0, 0]);
            v.extend_from_slice(&src);
            v.extend_from_slice(&dst);
            // Options up to the IHL, then the transport header.
            v.resize(4 * usize::from(vihl & 0xf).max(5), 1);
            v.extend_from_slice(&ports);
            (0x0800u16, v)
        });
    let v6 = (pick(PROTOS), pick(PROTOS), addr6(), addr6(), ports).prop_map(
        |(next, after, src, dst, ports)| {
            let mut v = vec![0x60, 0, 0, 0, 0, 20, next, 64];
            v.extend_from_slice(&src);
            v.extend_from_slice(&dst);
            if next == 44 {
                v.extend_from_slice(&[after, 0, 0, 0, 0, 0, 0, 1]);
            }
            v.extend_from_slice(&ports);
            (0x86ddu16, v)
        },
    );
    let arp = (
        prop::sample::select(vec![0x0806u16, 0x8035]),
        addr4(),
        addr4(),
    )
        .prop_map(|(ty, spa, tpa)| {
            let mut v = vec![0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1];
            v.extend_from_slice(&spa);
            v.extend_from_slice(&[0; 6]);
            v.extend_from_slice(&tpa);
            (ty, v)
        });
    let other = (
        prop::sample::select(vec![
            0x88ccu16, 0x8100, 0x0800, 0x86dd, 0x8847, 0x8864, 0x88a8,
        ]),
        prop::collection::vec(any::<u8>(), 0..64),
    );
    // A VLAN tag, MPLS label or PPPoE session header in front of IPv4.
    let tagged = (
        prop::sample::select(vec![
            (0x8100u16, vec![0x00, 0x07, 0x08, 0x00]),
            (0x8847, vec![0x00, 0x06, 0x41, 0x40]),
            (0x8864, vec![0x11, 0x00, 0x00, 0x05, 0x00, 0x28, 0x00, 0x21]),
        ]),
        addr4(),
        pick(PORTS),
    )
        .prop_map(|((ty, head), src, port)| {
            let mut v = head;
            v.extend_from_slice(&[0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0]);
            v.extend_from_slice(&src);
            v.extend_from_slice(&[10, 0, 0, 2]);
            v.extend_from_slice(&port.to_be_bytes());
            v.extend_from_slice(&80u16.to_be_bytes());
            (ty, v)
        });
    prop_oneof![4 => v4, 3 => v6, 1 => arp, 1 => other, 2 => tagged]
}

const FRAMINGS: [Framing; 5] = [
    Framing::Ethernet,
    Framing::LinuxSll,
    Framing::RawIp,
    Framing::Ipv4,
    Framing::Ipv6,
];

/// A frame for `link`, padded with random bytes far past any field the expressions read.
fn frame(link: Framing, (ethertype, net): &(u16, Vec<u8>), tail: &[u8]) -> Vec<u8> {
    let mut v = match link {
        Framing::Ethernet => vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1],
        Framing::LinuxSll => vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0],
        _ => Vec::new(),
    };
    if matches!(link, Framing::Ethernet | Framing::LinuxSll) {
        v.extend_from_slice(&ethertype.to_be_bytes());
    }
    v.extend_from_slice(net);
    v.extend_from_slice(tail);
    v
}

fn compiled(
    text: &str,
    link: Framing,
) -> Option<(raw_sniff::filter::Program, raw_sniff::filter::Program)> {
    let expr = parse(text).ok()?;
    match (compile_unoptimized(&expr, link), compile(&expr, link)) {
        (Ok(plain), Ok(opt)) => Some((plain, opt)),
        // The unoptimised program may be too long where the optimised one is not.
        (Err(CompileError::TooLong { .. }), Ok(opt)) => {
            assert!(opt.len() <= MAX_INSNS);
            None
        }
        // The optimiser proved that nothing matches, and the filter is refused as libpcap
        // refuses it: the unoptimised program must reject every packet it is given.
        (Ok(plain), Err(CompileError::RejectsAll)) => {
            let nothing = Program::new(vec![SockFilter::stmt(op::RET | op::K, 0)]).unwrap();
            Some((plain, nothing))
        }
        (Err(a), Err(b)) => {
            assert_eq!(
                std::mem::discriminant(&a),
                std::mem::discriminant(&b),
                "{text}"
            );
            None
        }
        (plain, opt) => panic!("'{text}': unoptimised {plain:?}, optimised {opt:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn optimised_programs_give_the_same_verdicts(
        text in expression(),
        nets in prop::collection::vec(network(), 8),
        tail in prop::collection::vec(any::<u8>(), 300),
        cuts in prop::collection::vec(0..120usize, 8),
    ) {
        for link in FRAMINGS {
            let Some((plain, opt)) = compiled(&text, link) else { continue };
            prop_assert_eq!(verify(opt.instructions()), Ok(()), "{}", text);
            for (net, &cut) in nets.iter().zip(&cuts) {
                let whole = frame(link, net, &tail);
                let wire = whole.len() as u32;
                prop_assert_eq!(
                    opt.run(&whole, wire), plain.run(&whole, wire),
                    "'{}' on {:?} {:02x?}\noptimised:\n{}\nunoptimised:\n{}",
                    text, link, &whole[..whole.len() - tail.len()], opt, plain
                );
                // Cut short: a packet the unoptimised program keeps, the optimised keeps too.
                let cut_frame = &whole[..cut.min(whole.len())];
                let (p, o) = (plain.run(cut_frame, wire), opt.run(cut_frame, wire));
                prop_assert!(
                    p == o || p == 0,
                    "'{}' on {:?} cut to {} bytes: unoptimised {}, optimised {}\n{}",
                    text, link, cut, p, o, opt
                );
            }
        }
    }
}

/// Hand-picked expressions the optimiser rewrites most, on every packet shape.
#[test]
fn long_chains_keep_their_verdicts() {
    let ports: Vec<String> = (1..=20).map(|p| format!("port {p}")).collect();
    let hosts: Vec<String> = (1..=12).map(|h| format!("host 10.0.0.{h}")).collect();
    let exprs = [
        ports.join(" or "),
        format!("not ({})", ports.join(" or ")),
        hosts.join(" or "),
        format!(
            "tcp and ({}) and not host 10.0.0.1",
            ports[..8].join(" or ")
        ),
        "(port 80 and tcp[13] & 2 != 0) or (port 443 and tcp[13] & 2 != 0)".to_string(),
        "port 1 and port 2 and port 3".to_string(),
    ];
    let mut checked = 0;
    for text in &exprs {
        let (plain, opt) = compiled(text, Framing::Ethernet).expect("compiles");
        assert!(
            opt.len() < plain.len(),
            "'{text}': {} !< {}",
            opt.len(),
            plain.len()
        );
        for sport in [1u16, 7, 20, 21, 80, 443] {
            for dport in [2u16, 13, 20, 22, 80, 443] {
                for (ethertype, proto) in
                    [(0x0800u16, 6u8), (0x0800, 17), (0x86dd, 6), (0x86dd, 17)]
                {
                    let mut net = if ethertype == 0x0800 {
                        let mut v = vec![
                            0x45, 0, 0, 40, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 3, 10, 0, 0, 1,
                        ];
                        v.extend_from_slice(&sport.to_be_bytes());
                        v
                    } else {
                        let mut v = vec![0x60, 0, 0, 0, 0, 20, proto, 64];
                        v.extend_from_slice(&[0; 32]);
                        v.extend_from_slice(&sport.to_be_bytes());
                        v
                    };
                    net.extend_from_slice(&dport.to_be_bytes());
                    net.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff]);
                    let whole = frame(Framing::Ethernet, &(ethertype, net), &[0; 40]);
                    let wire = whole.len() as u32;
                    assert_eq!(
                        opt.run(&whole, wire),
                        plain.run(&whole, wire),
                        "'{text}' {sport}->{dport}"
                    );
                    checked += usize::from(plain.run(&whole, wire) == SNAPLEN);
                }
            }
        }
    }
    assert!(
        checked > 50,
        "too few matches ({checked}) to prove anything"
    );
}
