#!/usr/bin/env bash
# /echo round trips per second for ws-chat beside two baselines built in the same run: an echo
# server on tokio-tungstenite and one on fastwebsockets (the binaries of crates/ws-baselines).
# The load client is `ws-chat bench` for all three, so only the server differs.
# Cases: 64-byte messages over 1 and 100 connections (messages/s), 1 MiB messages (MB/s).
# Loopback only; every run is bounded by DURATION (default 5s), and there are RUNS rounds
# (default 5). Each round runs the three servers in turn, starting with a different one each
# round, so slow and fast spells of a busy machine fall on all of them alike. Each figure is
# the median of the rounds, with their min–max. The client and the server share the machine's
# cores, so compare the ratios, not the absolute figures, across machines. Rates swing with
# other load; the server's CPU time per message (from /proc/PID/stat) is the steadier figure.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-5s}"
RUNS="${RUNS:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --locked -q -p ws-chat -p ws-baselines --bin ws-chat --bin echo-tungstenite --bin echo-fastwebsockets
BIN="$CARGO_TARGET_DIR/release"
TMP="$(mktemp -d)"
SERVER_PID=""
ADDR=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

start_server() { # name, command...; sets SERVER_PID and ADDR (not in a subshell, so cleanup sees them)
    local name="$1"; shift
    # The previous round's output must go first: the redirection below happens in the child,
    # possibly after the first look for `listening on`.
    rm -f "$TMP/$name.out"
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        if grep -q '^listening on ' "$TMP/$name.out" 2>/dev/null; then
            ADDR="$(sed -n 's/^listening on //p' "$TMP/$name.out" | head -1)"
            return
        fi
        sleep 0.1
    done
    echo "error: $name did not start" >&2
    exit 1
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

HZ="$(getconf CLK_TCK)"
cpu_ticks() { # utime + stime of the server so far
    awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"
}

field() { # line, name
    tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

SERVERS=(ws-chat tungstenite fastwebsockets)
CASES=("1 64" "100 64" "1 1MiB")
# One value per round, space-separated, under RESULT[server,conns,size,rate|cpu].
declare -A RESULT
echo "load average before: $(loadavg); $RUNS rounds of $DURATION per case"
for round in $(seq "$RUNS"); do
    for i in 0 1 2; do
        server="${SERVERS[$(((round - 1 + i) % 3))]}"
        case "$server" in
            # Every load connection comes from 127.0.0.1, and 100 of them handshake at once: above
            # the per-address cap (64) that keeps one hostile host from taking every handshake slot.
            ws-chat) start_server "$server" "$BIN/ws-chat" --listen 127.0.0.1:0 --max-handshakes-per-ip 1024 ;;
            tungstenite) start_server "$server" "$BIN/echo-tungstenite" 127.0.0.1:0 ;;
            fastwebsockets) start_server "$server" "$BIN/echo-fastwebsockets" 127.0.0.1:0 ;;
        esac
        for case in "${CASES[@]}"; do
            read -r conns size <<<"$case"
            before="$(cpu_ticks)"
            line="$("$BIN/ws-chat" bench "ws://$ADDR/echo" --connections "$conns" --size "$size" --duration "$DURATION")"
            after="$(cpu_ticks)"
            messages="$(field "$line" messages)"
            if [ "$size" = 64 ]; then rate="$(field "$line" msgs_per_s)"; else rate="$(field "$line" mb_per_s)"; fi
            cpu="$(awk -v t=$((after - before)) -v hz="$HZ" -v m="$messages" \
                'BEGIN { if (m > 0) printf "%.1f", t * 1e6 / hz / m; else print "nan" }')"
            RESULT["$server,$conns,$size,rate"]+="$rate "
            RESULT["$server,$conns,$size,cpu"]+="$cpu "
            echo "round $round $server: $line server_cpu_us_per_msg=$cpu load=$(loadavg)"
        done
        stop_server
    done
done
echo "load average after: $(loadavg)"

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m }'; }
spread() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
    printf "%s–%s", v[1], v[NR] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo
printf '%-8s %-16s %22s %26s\n' case server "rate median (min–max)" "server µs CPU/msg (min–max)"
for case in "${CASES[@]}"; do
    read -r conns size <<<"$case"
    unit="msg/s"; [ "$size" = 64 ] || unit="MB/s"
    for server in "${SERVERS[@]}"; do
        rates="${RESULT[$server,$conns,$size,rate]}"
        cpus="${RESULT[$server,$conns,$size,cpu]}"
        printf '%-8s %-16s %22s %26s\n' "${size}x$conns" "$server" \
            "$(median "$rates") $unit ($(spread "$rates"))" "$(median "$cpus") ($(spread "$cpus"))"
    done
done

echo
# Goals: 64 B rates at least 1.2x (one connection) and 1.3x (100) both baselines, the 1 MiB
# lead kept, and at 64 B at most 0.8x fastwebsockets' CPU per message.
rate_goal() { # case
    case "$1" in "1 64") echo "≥ 1.2x" ;; "100 64") echo "≥ 1.3x" ;; *) echo "> 1.0x" ;; esac
}
for base in tungstenite fastwebsockets; do
    for case in "${CASES[@]}"; do
        read -r conns size <<<"$case"
        cpu_goal=""
        if [ "$base" = fastwebsockets ] && [ "$size" = 64 ]; then cpu_goal=" (goal ≤ 0.8x)"; fi
        printf 'ws-chat / %-15s %-8s rate %5sx (goal %s)   CPU/msg %5sx%s\n' "$base" "${size}x$conns" \
            "$(ratio "$(median "${RESULT[ws-chat,$conns,$size,rate]}")" "$(median "${RESULT[$base,$conns,$size,rate]}")")" \
            "$(rate_goal "$case")" \
            "$(ratio "$(median "${RESULT[ws-chat,$conns,$size,cpu]}")" "$(median "${RESULT[$base,$conns,$size,cpu]}")")" \
            "$cpu_goal"
    done
done
