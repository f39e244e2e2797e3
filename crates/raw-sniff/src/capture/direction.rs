//! `-Q in|out|inout`: which way the packets a live capture keeps were going.

use std::fmt;
use std::str::FromStr;

/// Which packets a live capture keeps, by the way they crossed the interface.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Direction {
    /// Only packets this host received.
    In,
    /// Only packets this host sent.
    Out,
    /// Both (the default).
    #[default]
    InOut,
}

impl Direction {
    /// Whether a packet the kernel says was `outgoing` (or not) is kept.
    pub fn keeps(self, outgoing: bool) -> bool {
        match self {
            Direction::In => !outgoing,
            Direction::Out => outgoing,
            Direction::InOut => true,
        }
    }
}

impl FromStr for Direction {
    type Err = String;

    /// tcpdump's words for `-Q`.
    fn from_str(s: &str) -> Result<Direction, String> {
        match s {
            "in" => Ok(Direction::In),
            "out" => Ok(Direction::Out),
            "inout" => Ok(Direction::InOut),
            other => Err(format!("unknown direction `{other}': use in, out or inout")),
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::InOut => "inout",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_direction_keeps_its_packets() {
        assert!(Direction::In.keeps(false) && !Direction::In.keeps(true));
        assert!(Direction::Out.keeps(true) && !Direction::Out.keeps(false));
        assert!(Direction::InOut.keeps(true) && Direction::InOut.keeps(false));
        assert_eq!("out".parse::<Direction>(), Ok(Direction::Out));
        assert!("sideways".parse::<Direction>().is_err());
    }
}
