#!/usr/bin/env bash
# Measures raw-sniff beside tcpdump (and netsniff-ng, live) in one run and prints markdown tables.
#
#  1. Offline: decode a pcap of --packets Ethernet/IPv4/TCP packets to one line each, output to
#     /dev/null: raw-sniff -r versus tcpdump -nr. Best of --repeat runs.
#  2. Offline WebSocket: a 100 MB WebSocket conversation decoded frame by frame, raw-sniff
#     --ws-only versus tshark -Y websocket.
#  3. Live: a bounded loopback flood (tcp-echo bench, --seconds long, to 127.0.0.1 only) captured
#     at the same time by raw-sniff -w, tcpdump -w and netsniff-ng, each with the same filter;
#     kernel drops and CPU time per captured packet for each.
#
# Needs root for part 3 (it is skipped otherwise). Usage:
#   scripts/bench-sniff.sh [--packets N] [--repeat N] [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."

packets=1000000
repeat=3
seconds=5
while [ $# -gt 0 ]; do
    case "$1" in
        --packets) packets="$2"; shift 2 ;;
        --repeat) repeat="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        *) echo "usage: $0 [--packets N] [--repeat N] [--seconds N]" >&2; exit 2 ;;
    esac
done

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

cargo build --release --locked -q -p raw-sniff -p tcp-echo
sniff=target/release/raw-sniff
echo_bin=target/release/tcp-echo

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# --- 1. offline decoding -------------------------------------------------------------------
pcap="$work/bench.pcap"
python3 scripts/make-pcap.py "$pcap" "$packets"

best_of() { # command... -> best wall seconds of $repeat runs
    local best=""
    for _ in $(seq "$repeat"); do
        local start end t
        start=$(date +%s.%N)
        "$@" > /dev/null 2>&1
        end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

ours=$(best_of "$sniff" -r "$pcap")
theirs=$(best_of tcpdump -nr "$pcap")
rate() { echo "scale=0; $packets / $1" | bc -l; }
echo "### Offline: $packets Ethernet/IPv4/TCP packets, one line each, to /dev/null (best of $repeat)"
echo
echo "| tool | seconds | packets/s | ratio to tcpdump |"
echo "|---|---:|---:|---:|"
printf '| raw-sniff -r | %.3f | %s | %.2f |\n' "$ours" "$(rate "$ours")" "$(echo "$theirs / $ours" | bc -l)"
printf '| tcpdump -nr | %.3f | %s | 1.00 |\n' "$theirs" "$(rate "$theirs")"
echo

# --- 2. offline WebSocket decoding ---------------------------------------------------------
ws_mb=100
ws_pcap="$work/ws.pcap"
python3 scripts/make-ws-pcap.py "$ws_pcap" "$ws_mb" 1000
ws_frames=$("$sniff" -r "$ws_pcap" --ws-only 2>/dev/null | grep -c '^  ws .*: ' || true)
ws_ours=$(best_of "$sniff" -r "$ws_pcap" --ws-only)
ws_theirs=$(best_of tshark -n -r "$ws_pcap" -d tcp.port==8080,http -Y websocket)
echo "**Offline WebSocket: a $ws_mb MB conversation of 1000-byte text frames, one line per frame, to /dev/null (best of $repeat)**"
echo
echo "| tool | seconds | MB/s | frames/s | ratio to tshark |"
echo "|---|---:|---:|---:|---:|"
ws_row() { printf '| %s | %.3f | %.0f | %.0f | %.2f |\n' "$1" "$2" "$(echo "$ws_mb / $2" | bc -l)" "$(echo "$ws_frames / $2" | bc -l)" "$(echo "$ws_theirs / $2" | bc -l)"; }
ws_row "raw-sniff -r --ws-only" "$ws_ours"
ws_row "tshark -Y websocket" "$ws_theirs"
echo

# --- 3. live capture of a loopback flood ---------------------------------------------------
if [ "$(id -u)" != 0 ]; then
    echo "(live capture comparison skipped: it needs root)"
    exit 0
fi

"$echo_bin" server --listen 127.0.0.1:0 > "$work/server.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/server.out" ] && break; sleep 0.05; done
addr=$(head -1 "$work/server.out" | awk '{print $3}')
port=${addr##*:}
filter="tcp port $port"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

"$sniff" -i lo -q -w "$work/rs.pcap" "$filter" 2> "$work/rs.err" &
rs=$!; pids+=($rs)
tcpdump -i lo --immediate-mode -w "$work/td.pcap" "$filter" 2> "$work/td.err" &
td=$!; pids+=($td)
have_ns=0
if command -v netsniff-ng > /dev/null; then
    netsniff-ng -i lo -o "$work/ns.pcap" -A -M -s -f "$filter" > "$work/ns.err" 2>&1 &
    ns=$!; pids+=($ns); have_ns=1
fi
sleep 1
"$echo_bin" bench --connect "$addr" --connections 50 --size 64 --duration "${seconds}s" > "$work/bench.out" 2>&1 || true
sleep 0.5
rs_cpu=$(cpu_ticks $rs); td_cpu=$(cpu_ticks $td)
[ $have_ns = 1 ] && ns_cpu=$(cpu_ticks "$ns")
kill -INT $rs $td; [ $have_ns = 1 ] && kill -INT "$ns"
wait $rs $td 2>/dev/null || true
[ $have_ns = 1 ] && { wait "$ns" 2>/dev/null || true; }

rs_got=$(grep -oP '^\d+(?= packets seen)' "$work/rs.err" || echo 0)
rs_drop=$(grep -oP '\d+(?= dropped)' "$work/rs.err" || echo "?")
td_got=$(grep -oP '^\d+(?= packets captured)' "$work/td.err" || echo 0)
td_drop=$(grep -oP '^\d+(?= packets dropped by kernel)' "$work/td.err" || echo "?")
hz=$(getconf CLK_TCK)
per_packet() { [ "$2" -gt 0 ] && echo "scale=2; $1 * 1000000 / $hz / $2" | bc -l || echo "-"; }

echo "### Live: $seconds s loopback flood (tcp-echo bench, 50 connections, 64 B), captured by all at once"
echo
echo "| tool | packets captured | kernel drops | CPU µs per packet |"
echo "|---|---:|---:|---:|"
echo "| raw-sniff -w (TPACKET_V3 ring) | $rs_got | $rs_drop | $(per_packet "$rs_cpu" "$rs_got") |"
echo "| tcpdump -w --immediate-mode | $td_got | $td_drop | $(per_packet "$td_cpu" "$td_got") |"
if [ $have_ns = 1 ]; then
    ns_got=$(grep -oP '\d+(?=\s+packets passed filter)' "$work/ns.err" || echo 0)
    ns_drop=$(grep -oP '\d+(?=\s+packets failed filter \(out of space\))' "$work/ns.err" || echo "?")
    echo "| netsniff-ng | $ns_got | $ns_drop | $(per_packet "$ns_cpu" "$ns_got") |"
fi
echo
echo "Captured counts are packets written to the file. Drops are each tool's own kernel count: on lo"
echo "tcpdump's and netsniff-ng's also include the outgoing copy of every packet, which raw-sniff"
echo "(like libpcap) does not keep. Offered load: $(grep -m1 'verified' "$work/bench.out" | sed 's/^ *//')"
