#!/usr/bin/env bash
# Runs wire's header decoding bench (crates/wire/benches/decode.rs) once and prints a markdown
# table of the medians criterion measured: ns per packet for wire, pnet_packet and etherparse
# reading the same fields of the same frames, and wire's speed relative to pnet_packet's
# (pnet's time over wire's: 1.0 is as fast, above is faster). The decode rows read every
# header field; the checksum rows decode and verify the IP and TCP checksums (wire with
# `verify_checksums`, and in the "via Decoded" rows with a `Decoded`'s methods).
#
# The libraries do not check the same things: wire checks every length and header-length field
# (IHL, total length against the header, TCP data offset, UDP length) before a view exists;
# etherparse checks about as much; pnet_packet only checks that each fixed header fits in the
# buffer and clamps the rest.
#
# Other work on the machine slows runs down unevenly; the machine and its load average are
# printed under the table. Extra arguments go to criterion (e.g. `decode_` for the decode
# groups only).
#
# usage: scripts/bench-decode.sh [criterion filter...]
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
    -h | --help) sed -n '2,18s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac

TARGET=${CARGO_TARGET_DIR:-$PWD/target}
CRITERION=$TARGET/criterion
load_before=$(uptime)
started=$(date +%s)
echo "== cargo bench -p wire --bench decode $*" >&2
cargo bench --locked -q -p wire --bench decode -- "$@" >&2
load_after=$(uptime)

python3 - "$CRITERION" "$started" <<'EOF'
import json, os, sys

root, started = sys.argv[1], int(sys.argv[2])
libs = ["wire", "pnet_packet", "etherparse"]
frames = ["eth_ipv4_tcp", "eth_ipv6_tcp"]

def median_ns(group, lib):
    """The median of this run; None when the filter skipped it (older results stay on disk)."""
    path = os.path.join(root, group, lib, "new", "estimates.json")
    try:
        if os.path.getmtime(path) < started:
            return None
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except FileNotFoundError:
        return None

print("| frame | wire ns/pkt | pnet_packet ns/pkt | etherparse ns/pkt | wire vs pnet | goal ≥ 1.0 |")
print("|---|---:|---:|---:|---:|---|")
# The checksum rows time wire::verify_checksums; the "via Decoded" rows time the same verdicts
# from decode() and the Decoded's ip_checksum() and transport_checksum(), against the same
# pnet_packet and etherparse measurements.
for kind, wire_lib in [("decode", "wire"), ("checksum", "wire"), ("checksum", "wire_decoded")]:
    for frame in frames:
        group = f"{kind}_{frame}"
        ns = [median_ns(group, lib) for lib in [wire_lib] + libs[1:]]
        if all(n is None for n in ns):
            continue
        cells = ["–" if n is None else f"{n:.1f}" for n in ns]
        wire, pnet = ns[0], ns[1]
        if wire and pnet:
            ratio = pnet / wire
            verdict = "yes" if ratio >= 1.0 else "no"
            ratio = f"{ratio:.2f}"
        else:
            ratio, verdict = "–", "–"
        label = frame if kind == "decode" else f"{frame}, checksums"
        if wire_lib == "wire_decoded":
            label += " via Decoded"
        print(f"| {label} | {' | '.join(cells)} | {ratio} | {verdict} |")
EOF

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
echo
echo "Machine: ${cpu:-unknown CPU}, $(nproc) cores, $(uname -sr)."
echo "Load before: ${load_before##*load average: }; after: ${load_after##*load average: }."
