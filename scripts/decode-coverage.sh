#!/usr/bin/env bash
# decode-coverage.sh DIR: how many captures in DIR (*.pcap, *.pcapng) wire decodes down to
# the network layer, by link type. A packet counts as decoded when its IPv4/IPv6/ARP header
# was read, or when every link-level header was read and announces no network layer (802.11
# management, PPP LCP, spanning tree); a file counts when all its packets do.
# See crates/wire/examples/link_coverage.rs for the exact rule.
set -euo pipefail
dir=${1:?usage: decode-coverage.sh DIR}
cd "$(dirname "$0")/.."
cargo build --quiet --release --locked -p wire --example link_coverage
bin=target/release/examples/link_coverage
find "$dir" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.pcap.*' \) -print0 |
  sort -z | xargs -0 "$bin" |
  awk -F'\t' '
    { t = $1; files[t]++; pk[t] += $3; net[t] += $4; none[t] += $5; bad[t] += $6
      if ($6 == 0) ok[t]++
      F++; P += $3; N += $4; E += $5; if ($6 == 0) OK++ }
    END {
      printf "%-22s %6s %6s %9s %9s %9s %7s\n", "link type", "files", "fully", "packets", "network", "no-net", "failed"
      for (t in files) printf "%-22s %6d %6d %9d %9d %9d %7d\n", t, files[t], ok[t], pk[t], net[t], none[t], pk[t] - net[t] - none[t] | "sort -k2 -nr"
      close("sort -k2 -nr")
      printf "%-22s %6d %6d %9d %9d %9d %7d\n", "total", F, OK, P, N, E, P - N - E
      printf "files fully decoded: %.1f%%; packets decoded to the network layer or carrying none: %.1f%%\n", 100 * OK / F, 100 * (N + E) / P
    }'
