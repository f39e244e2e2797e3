//! How a packet's capture time is written on its line.

/// Time of day (UTC) with microseconds, as tcpdump prints it.
pub fn time_of_day(ts: wire::pcap::Timestamp) -> String {
    let secs = ts.secs % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ts.nanos / 1000
    )
}
