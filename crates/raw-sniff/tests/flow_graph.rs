//! `--graph`: time-sequence graphs as SVG. The captures are built by hand (a lost segment
//! SACKed and retransmitted among others), the SVG is read back with a strict XML parser and
//! its marks counted, and headless Chromium renders it to a PNG that must not be blank.

use std::collections::HashSet;
use std::io::Read;
use std::process::{Command, Output};

use packets::*;

#[path = "flow_packets.rs"]
mod packets;

const BIN: &str = env!("CARGO_BIN_EXE_raw-sniff");

fn raw_sniff(args: &[&std::ffi::OsStr]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run raw-sniff");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The `class` of every `path` element, with how many have it.
fn marks(svg: &str) -> std::collections::BTreeMap<String, usize> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let mut counts = std::collections::BTreeMap::new();
    for node in doc.descendants().filter(|n| n.has_tag_name("path")) {
        if let Some(class) = node.attribute("class") {
            *counts.entry(class.to_owned()).or_insert(0) += 1;
        }
    }
    counts
}

/// Every text element's text, in order.
fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn one_stream_with_data_is_one_graph_with_every_mark() {
    let dir = temp_dir("graph-one");
    let file = write_pcap(&dir, "echo.pcap", &echo_and_refused());
    let svg_path = dir.join("tcp.svg");
    let out = raw_sniff(&[
        "-r".as_ref(),
        file.as_os_str(),
        "-q".as_ref(),
        "--graph".as_ref(),
        svg_path.as_os_str(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    // Stream 1 (refused) carried no data: only stream 0 has a graph, so it is FILE itself.
    assert!(
        err.contains(&format!(
            "raw-sniff: wrote the time-sequence graph of TCP stream 0 to {}\n",
            svg_path.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("raw-sniff: no graph for 1 TCP stream(s) that carried no data\n"),
        "{err}"
    );
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(names, ["tcp.svg"]);
    // The client's three data segments, one of them sent again; the server's SACK; one ACK
    // line and one window line.
    let counts = marks(&svg);
    assert_eq!(counts.get("seg"), Some(&2), "{counts:?}");
    assert_eq!(counts.get("seg retrans"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("sack"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("ack"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("window"), Some(&1), "{counts:?}");
    let texts = texts(&svg);
    assert_eq!(
        texts[0],
        "TCP stream 0: data from the client 10.0.0.1:40000 to 10.0.0.2:7"
    );
    assert!(texts
        .iter()
        .any(|t| t == "time since the conversation's first packet (s)"));
    assert!(texts
        .iter()
        .any(|t| t == "relative sequence number (bytes)"));
}

#[test]
fn several_streams_are_numbered_files_and_flow_stream_picks_one() {
    let dir = temp_dir("graph-several");
    let file = write_pcap(&dir, "several.pcap", &several());
    let svg_path = dir.join("g.svg");
    raw_sniff(&[
        "-r".as_ref(),
        file.as_os_str(),
        "-q".as_ref(),
        "--graph".as_ref(),
        svg_path.as_os_str(),
    ]);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    names.sort();
    // Streams 2 and 3 were refused and reset: no data, no graph.
    assert_eq!(names, ["g-0.svg", "g-1.svg"]);
    let ws = std::fs::read_to_string(dir.join("g-1.svg")).unwrap();
    // The WebSocket stream's client sent more: its request and one frame.
    assert_eq!(marks(&ws).get("seg"), Some(&2));
    assert_eq!(
        texts(&ws)[0],
        "TCP stream 1: data from the client 10.0.0.1:40002 to 10.0.0.2:8080"
    );

    let one = dir.join("only.svg");
    let out = raw_sniff(&[
        "-r".as_ref(),
        file.as_os_str(),
        "-q".as_ref(),
        "--graph".as_ref(),
        one.as_os_str(),
        "--flow-stream".as_ref(),
        "1".as_ref(),
    ]);
    let only = std::fs::read_to_string(&one).unwrap();
    assert_eq!(only, ws);
    let missing = dir.join("missing.svg");
    let out_missing = raw_sniff(&[
        "-r".as_ref(),
        file.as_os_str(),
        "-q".as_ref(),
        "--graph".as_ref(),
        missing.as_os_str(),
        "--flow-stream".as_ref(),
        "9".as_ref(),
    ]);
    let missing_written = missing.exists();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(String::from_utf8_lossy(&out.stderr).contains("TCP stream 1 to "));
    assert!(!missing_written);
    assert!(
        String::from_utf8_lossy(&out_missing.stderr)
            .contains("raw-sniff: no TCP stream 9 in this capture: it has 4 (numbered from 0)\n"),
        "{}",
        String::from_utf8_lossy(&out_missing.stderr)
    );
}

/// The distinct colours of a PNG's pixels from row `first_row` down (8-bit RGB or RGBA, not
/// interlaced, as Chromium writes screenshots), decoded here: PNG is zlib data in IDAT
/// chunks, one filter byte per row (PNG spec §9).
fn png_colours(png: &[u8], first_row: usize) -> HashSet<Vec<u8>> {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG signature");
    let (mut width, mut height, mut channels) = (0usize, 0usize, 0usize);
    let mut idat = Vec::new();
    let mut at = 8;
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                height = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!(data[8], 8, "8-bit samples");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    other => panic!("colour type {other}"),
                };
                assert_eq!(data[12], 0, "not interlaced");
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = width * channels;
    assert_eq!(raw.len(), height * (stride + 1));
    let mut prev = vec![0u8; stride];
    let mut colours = HashSet::new();
    for (y, row) in raw.chunks(stride + 1).enumerate() {
        let (filter, line) = (row[0], &row[1..]);
        let mut cur = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= channels { cur[i - channels] } else { 0 };
            let b = prev[i];
            let c = if i >= channels { prev[i - channels] } else { 0 };
            let predicted = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = (
                        (p - i16::from(a)).abs(),
                        (p - i16::from(b)).abs(),
                        (p - i16::from(c)).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                other => panic!("filter type {other}"),
            };
            cur[i] = line[i].wrapping_add(predicted);
        }
        if y >= first_row {
            for px in cur.chunks(channels) {
                colours.insert(px[..3].to_vec());
            }
        }
        prev = cur;
    }
    colours
}

#[test]
fn chromium_renders_the_graph() {
    if !test_support::have("chromium") {
        return;
    }
    let dir = temp_dir("graph-chromium");
    let file = write_pcap(&dir, "echo.pcap", &echo_and_refused());
    let svg_path = dir.join("tcp.svg");
    raw_sniff(&[
        "-r".as_ref(),
        file.as_os_str(),
        "-q".as_ref(),
        "--graph".as_ref(),
        svg_path.as_os_str(),
    ]);
    let png_path = dir.join("tcp.png");
    let profile = dir.join("profile");
    // Bounded by timeout(1), with room for a machine under load.
    let status = Command::new("timeout")
        .arg("90")
        .arg("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
        ])
        .arg("--disable-sync")
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--window-size=960,600", "--virtual-time-budget=3000"])
        .arg(format!("--screenshot={}", png_path.display()))
        .arg(format!("file://{}", svg_path.display()))
        .output()
        .expect("run chromium");
    let png = std::fs::read(&png_path);
    let _ = std::fs::remove_dir_all(&dir);
    let png = png.unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&status.stderr)
        )
    });
    // Below the title and legend (which end at y = 60 in the SVG, drawn at its own size):
    // white, the black axes, the grey grid, and the marks. A blank page would be one colour.
    let colours = png_colours(&png, 70);
    assert!(colours.len() > 5, "{} colours", colours.len());
    // A 1.5-pixel line always covers some pixel whole, so each mark's colour is there
    // exactly: the data, the retransmission, the ACK line, the SACK block.
    for want in [
        [0x1f, 0x4e, 0x9c],
        [0xd6, 0x27, 0x28],
        [0x2c, 0xa0, 0x2c],
        [0x94, 0x67, 0xbd],
    ] {
        assert!(
            colours.contains(want.as_slice()),
            "colour {want:02x?} drawn"
        );
    }
}
