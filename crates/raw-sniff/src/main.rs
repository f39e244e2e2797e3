//! `raw-sniff`: capture on raw sockets and decode every layer by hand.

fn main() {
    eprintln!("raw-sniff: capture is not built yet");
    std::process::exit(2);
}
