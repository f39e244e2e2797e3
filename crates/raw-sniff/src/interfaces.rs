//! `-D`: the interfaces a capture can be opened on.

use crate::capture::CaptureError;

/// Prints the interfaces a capture can be opened on, one a line, on stdout.
#[cfg(unix)]
pub fn list() -> Result<(), CaptureError> {
    let mut out = String::new();
    for (i, iface) in pnet_datalink::interfaces().iter().enumerate() {
        let mut flags = vec![if iface.is_up() { "Up" } else { "Down" }];
        if iface.is_running() {
            flags.push("Running");
        }
        if iface.is_loopback() {
            flags.push("Loopback");
        }
        let addrs: Vec<String> = iface.ips.iter().map(|ip| ip.to_string()).collect();
        let mac = iface.mac.map(|m| m.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{}. {} [{}] {} {}\n",
            i + 1,
            iface.name,
            flags.join(", "),
            mac,
            addrs.join(" ")
        ));
    }
    out.push_str("any (all interfaces; frames get a Linux cooked header)\n");
    print!("{out}");
    Ok(())
}

/// Prints the interface addresses a capture can be opened on, one a line, on stdout.
#[cfg(windows)]
pub fn list() -> Result<(), CaptureError> {
    crate::capture::windows::list_interfaces()
}
