//! Who may start a handshake: a budget for connections still in their HTTP handshake, apart
//! from `--max-conns`, and a cap per peer address.
//!
//! A slowloris client opens connections and never finishes the request. Counted only against
//! `--max-conns`, one host could hold every slot for `--handshake-timeout` at a time and lock
//! everyone else out. Here unfinished handshakes have their own smaller budget
//! (`--max-handshakes`), and one address may hold only `--max-handshakes-per-ip` of it, so an
//! attacker from one address costs only its own share. Each check is one hash-map lookup under
//! a lock; the map holds only addresses with a handshake in progress, so it is never larger than
//! the budget and is never scanned.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};

/// Why a handshake may not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The whole handshake budget is in use.
    Busy,
    /// This peer already holds its share.
    PeerCap,
}

/// The handshake budget, shared by the accept loop and every connection task.
#[derive(Debug)]
pub struct Admission {
    max_total: usize,
    max_per_peer: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    total: usize,
    per_peer: HashMap<IpAddr, usize>,
}

/// One handshake in progress; dropping it gives the slot back.
#[derive(Debug)]
pub struct Slot {
    admission: Arc<Admission>,
    peer: IpAddr,
}

impl Admission {
    pub fn new(max_total: usize, max_per_peer: usize) -> Arc<Admission> {
        Arc::new(Admission {
            max_total,
            max_per_peer,
            state: Mutex::default(),
        })
    }

    /// Takes a handshake slot for a connection from `peer`, if the budget and its cap allow.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Slot, Refusal> {
        let peer = peer_key(peer);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let held = state.per_peer.get(&peer).copied().unwrap_or(0);
        if held >= self.max_per_peer {
            return Err(Refusal::PeerCap);
        }
        if state.total >= self.max_total {
            return Err(Refusal::Busy);
        }
        state.total += 1;
        state.per_peer.insert(peer, held + 1);
        Ok(Slot {
            admission: Arc::clone(self),
            peer,
        })
    }

    /// Handshakes in progress now.
    #[cfg(test)]
    fn in_progress(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        (state.total, state.per_peer.len())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self
            .admission
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.total -= 1;
        if let Some(held) = state.per_peer.get_mut(&self.peer) {
            *held -= 1;
            if *held == 0 {
                // Forget idle addresses, so the map stays as small as the handshakes in flight.
                state.per_peer.remove(&self.peer);
            }
        }
    }
}

/// The unit a cap applies to: an IPv4 address, or an IPv6 /64, since one IPv6 host is usually
/// given a whole /64 and could otherwise pick a fresh address for every connection. An
/// IPv4-mapped address (a dual-stack socket) counts as the IPv4 address it is.
fn peer_key(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_gets_its_share_and_others_still_get_in() {
        let admission = Admission::new(5, 2);
        let attacker: IpAddr = "127.0.0.2".parse().unwrap();
        let a = admission.admit(attacker).unwrap();
        let b = admission.admit(attacker).unwrap();
        assert_eq!(admission.admit(attacker).unwrap_err(), Refusal::PeerCap);
        let others: Vec<Slot> = (3..6)
            .map(|i| admission.admit(IpAddr::from([127, 0, 0, i])).unwrap())
            .collect();
        assert_eq!(
            admission.admit("127.0.0.9".parse().unwrap()).unwrap_err(),
            Refusal::Busy
        );
        drop(a);
        assert_eq!(admission.in_progress(), (4, 4));
        drop((b, others));
        assert_eq!(
            admission.in_progress(),
            (0, 0),
            "idle addresses are forgotten"
        );
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let admission = Admission::new(10, 1);
        let _one = admission.admit("2001:db8::1".parse().unwrap()).unwrap();
        assert_eq!(
            admission
                .admit("2001:db8::ffff:1:2".parse().unwrap())
                .unwrap_err(),
            Refusal::PeerCap
        );
        let _other = admission.admit("2001:db8:0:1::1".parse().unwrap()).unwrap();
        let _v4 = admission.admit("10.0.0.1".parse().unwrap()).unwrap();
        assert_eq!(
            admission
                .admit("::ffff:10.0.0.1".parse().unwrap())
                .unwrap_err(),
            Refusal::PeerCap
        );
    }
}
