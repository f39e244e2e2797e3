//! Turning what the user typed into socket addresses, with errors that say what was expected.

use std::net::{SocketAddr, ToSocketAddrs};

use anyhow::{anyhow, bail, Result};

/// Resolves `IP:PORT`, `[IPv6]:PORT` or `HOST:PORT` to every address it names, literal IPs first
/// so that no resolver is consulted for them.
pub fn resolve(text: &str) -> Result<Vec<SocketAddr>> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(vec![addr]);
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        bail!("bad address '{text}': expected IP:PORT, [IPv6]:PORT or HOST:PORT, e.g. 127.0.0.1:10000");
    };
    if port.parse::<u16>().is_err() {
        bail!("bad address '{text}': port '{port}' is not a number from 0 to 65535");
    }
    if host.is_empty() || host.contains(':') && !host.starts_with('[') {
        bail!("bad address '{text}': write IPv6 addresses in brackets, e.g. [::1]:10000");
    }
    let addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|err| anyhow!("cannot resolve '{host}': {err}"))?
        .collect();
    if addrs.is_empty() {
        bail!("cannot resolve '{host}': no addresses");
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_addresses_parse_without_a_resolver() {
        assert_eq!(
            resolve("127.0.0.1:10000").unwrap(),
            vec!["127.0.0.1:10000".parse().unwrap()]
        );
        assert_eq!(resolve("[::]:0").unwrap(), vec!["[::]:0".parse().unwrap()]);
    }

    #[test]
    fn bad_syntax_says_what_was_expected() {
        let err = resolve("127.0.0.1").unwrap_err().to_string();
        assert!(err.contains("expected IP:PORT"), "{err}");
        let err = resolve("127.0.0.1:99999").unwrap_err().to_string();
        assert!(err.contains("not a number from 0 to 65535"), "{err}");
        let err = resolve("::1:80").unwrap_err().to_string();
        assert!(err.contains("brackets"), "{err}");
    }

    #[test]
    fn localhost_resolves() {
        let addrs = resolve("localhost:7").unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 7));
    }
}
