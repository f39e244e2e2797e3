//! The final report: one set of facts, printed as text for people or JSON for scripts.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use super::args::Mode;

/// Round-trip latency percentiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    pub p50: Duration,
    pub p99: Duration,
    pub p999: Duration,
    pub max: Duration,
}

/// Everything a run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub addr: SocketAddr,
    pub mode: Mode,
    /// Connections asked for.
    pub connections: u64,
    pub size: usize,
    /// Length of the timed run (shorter than asked when interrupted or every connection failed).
    pub elapsed: Duration,
    /// Messages whose whole echo arrived and matched during the timed run.
    pub messages: u64,
    /// Latency of every verified echo, `None` when there was none.
    pub latency: Option<Latency>,
    /// Connections that completed the handshake (and, in idle mode, a first echo).
    pub established: u64,
    pub connect_failed: u64,
    pub first_connect_error: Option<String>,
    /// Established connections that ran to the end without an error.
    pub clean: u64,
    /// Established connections that stopped on an error: mismatch, early close, timeout, I/O.
    pub errors: u64,
    pub first_error: Option<String>,
    /// CPU time this process used during the timed run, where the OS reports it.
    pub cpu: Option<Duration>,
}

impl Report {
    /// Verified messages per second of the timed run.
    pub fn msgs_per_sec(&self) -> f64 {
        per_second(self.messages as f64, self.elapsed)
    }

    /// Verified echo bytes per second, in MB (10^6 bytes), one direction.
    pub fn mb_per_sec(&self) -> f64 {
        per_second(self.messages as f64 * self.size as f64, self.elapsed) / 1e6
    }

    /// CPU used per second of the run: 1.0 is one core kept busy.
    pub fn cores_busy(&self) -> Option<f64> {
        self.cpu
            .map(|cpu| per_second(cpu.as_secs_f64(), self.elapsed))
    }

    /// True when every connection connected and ran clean.
    pub fn is_clean(&self) -> bool {
        self.errors == 0 && self.connect_failed == 0 && self.clean == self.connections
    }

    /// The human-readable report, several lines ending in a newline.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "tcp-echo bench: {} {}, {} connection{}, {}-byte messages, {:.2} s",
            self.addr,
            self.mode.name(),
            self.connections,
            if self.connections == 1 { "" } else { "s" },
            self.size,
            self.elapsed.as_secs_f64(),
        );
        if self.mode != Mode::Idle {
            let _ = writeln!(
                out,
                "  messages     {} verified ({:.0} msg/s)",
                self.messages,
                self.msgs_per_sec()
            );
            let _ = writeln!(out, "  throughput   {:.2} MB/s echoed", self.mb_per_sec());
        }
        match self.latency {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "  latency      p50 {}  p99 {}  p99.9 {}  max {}",
                    human_duration(l.p50),
                    human_duration(l.p99),
                    human_duration(l.p999),
                    human_duration(l.max)
                );
            }
            None => out.push_str("  latency      no echo completed\n"),
        }
        let held = if self.mode == Mode::Idle {
            "held to the end"
        } else {
            "ran clean"
        };
        let _ = writeln!(
            out,
            "  connections  {} of {} {held}, {} failed to connect",
            self.clean, self.connections, self.connect_failed
        );
        if let Some(first) = &self.first_connect_error {
            let _ = writeln!(out, "               first connect error: {first}");
        }
        let _ = writeln!(out, "  errors       {}", self.errors);
        if let Some(first) = &self.first_error {
            let _ = writeln!(out, "               first: {first}");
        }
        if let (Some(cpu), Some(cores)) = (self.cpu, self.cores_busy()) {
            let _ = writeln!(
                out,
                "  client cpu   {:.2} s ({:.2} cores busy)",
                cpu.as_secs_f64(),
                cores
            );
        }
        out
    }

    /// The report as one line of JSON. Durations are microseconds, rates per second.
    pub fn json(&self) -> String {
        let mut out = String::from("{");
        let _ = write!(
            out,
            "\"addr\":\"{}\",\"mode\":\"{}\",\"connections\":{},\"size\":{},\"seconds\":{:.3},",
            self.addr,
            self.mode.name(),
            self.connections,
            self.size,
            self.elapsed.as_secs_f64()
        );
        let _ = write!(
            out,
            "\"messages\":{},\"msgs_per_sec\":{:.1},\"mb_per_sec\":{:.3},",
            self.messages,
            self.msgs_per_sec(),
            self.mb_per_sec()
        );
        match self.latency {
            Some(l) => {
                let _ = write!(
                    out,
                    "\"latency_us\":{{\"p50\":{:.1},\"p99\":{:.1},\"p99_9\":{:.1},\"max\":{:.1}}},",
                    micros(l.p50),
                    micros(l.p99),
                    micros(l.p999),
                    micros(l.max)
                );
            }
            None => out.push_str("\"latency_us\":null,"),
        }
        let _ = write!(
            out,
            "\"established\":{},\"connect_failed\":{},\"first_connect_error\":{},\
             \"clean\":{},\"errors\":{},\"first_error\":{},",
            self.established,
            self.connect_failed,
            json_string(self.first_connect_error.as_deref()),
            self.clean,
            self.errors,
            json_string(self.first_error.as_deref())
        );
        match self.cpu {
            Some(cpu) => {
                let _ = write!(out, "\"client_cpu_s\":{:.3}", cpu.as_secs_f64());
            }
            None => out.push_str("\"client_cpu_s\":null"),
        }
        out.push('}');
        out
    }
}

fn per_second(amount: f64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        amount / secs
    } else {
        0.0
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Three significant figures in the unit that suits the value: `870 ns`, `38.1 µs`, `2.31 ms`.
pub fn human_duration(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let decimals = if unit == "ns" || value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {unit}")
}

/// A JSON string literal, or `null`.
fn json_string(s: Option<&str>) -> String {
    let Some(s) = s else {
        return "null".to_owned();
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        Report {
            addr: "127.0.0.1:10000".parse().unwrap(),
            mode: Mode::Pingpong,
            connections: 100,
            size: 64,
            elapsed: Duration::from_secs(5),
            messages: 1_000_000,
            latency: Some(Latency {
                p50: Duration::from_nanos(38_140),
                p99: Duration::from_micros(120),
                p999: Duration::from_nanos(410_500),
                max: Duration::from_micros(2_310),
            }),
            established: 100,
            connect_failed: 0,
            first_connect_error: None,
            clean: 100,
            errors: 0,
            first_error: None,
            cpu: Some(Duration::from_millis(3_200)),
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_nanos(870)), "870 ns");
        assert_eq!(human_duration(Duration::from_nanos(38_140)), "38.1 µs");
        assert_eq!(human_duration(Duration::from_nanos(5_250)), "5.25 µs");
        assert_eq!(human_duration(Duration::from_micros(410)), "410 µs");
        assert_eq!(human_duration(Duration::from_micros(2_310)), "2.31 ms");
        assert_eq!(human_duration(Duration::from_millis(1_500)), "1.50 s");
    }

    #[test]
    fn text_report() {
        let expected = "\
tcp-echo bench: 127.0.0.1:10000 pingpong, 100 connections, 64-byte messages, 5.00 s
  messages     1000000 verified (200000 msg/s)
  throughput   12.80 MB/s echoed
  latency      p50 38.1 µs  p99 120 µs  p99.9 410 µs  max 2.31 ms
  connections  100 of 100 ran clean, 0 failed to connect
  errors       0
  client cpu   3.20 s (0.64 cores busy)
";
        assert_eq!(sample().text(), expected);
        assert!(sample().is_clean());
    }

    #[test]
    fn text_report_with_errors_and_idle() {
        let mut r = sample();
        r.mode = Mode::Idle;
        r.connections = 10;
        r.established = 9;
        r.clean = 8;
        r.connect_failed = 1;
        r.first_connect_error = Some("connection refused".into());
        r.errors = 1;
        r.first_error = Some("connection 3: closed by the server".into());
        r.latency = None;
        r.cpu = None;
        let text = r.text();
        assert!(!text.contains("msg/s"), "{text}");
        assert!(
            text.contains("  latency      no echo completed\n"),
            "{text}"
        );
        assert!(
            text.contains("  connections  8 of 10 held to the end, 1 failed to connect\n"),
            "{text}"
        );
        assert!(
            text.contains("first connect error: connection refused\n"),
            "{text}"
        );
        assert!(text.contains("  errors       1\n"), "{text}");
        assert!(
            text.contains("first: connection 3: closed by the server\n"),
            "{text}"
        );
        assert!(!text.contains("client cpu"), "{text}");
        assert!(!r.is_clean());
    }

    #[test]
    fn json_report() {
        let mut r = sample();
        r.first_error = Some("say \"hi\"\\\n\u{1}".into());
        assert_eq!(
            r.json(),
            "{\"addr\":\"127.0.0.1:10000\",\"mode\":\"pingpong\",\"connections\":100,\"size\":64,\
             \"seconds\":5.000,\"messages\":1000000,\"msgs_per_sec\":200000.0,\"mb_per_sec\":12.800,\
             \"latency_us\":{\"p50\":38.1,\"p99\":120.0,\"p99_9\":410.5,\"max\":2310.0},\
             \"established\":100,\"connect_failed\":0,\"first_connect_error\":null,\"clean\":100,\
             \"errors\":0,\"first_error\":\"say \\\"hi\\\"\\\\\\n\\u0001\",\"client_cpu_s\":3.200}"
        );
    }

    #[test]
    fn zero_length_run_has_zero_rates() {
        let mut r = sample();
        r.elapsed = Duration::ZERO;
        assert_eq!(r.msgs_per_sec(), 0.0);
        assert_eq!(r.mb_per_sec(), 0.0);
    }
}
