#!/usr/bin/env bash
# /echo round trips per second for ws-chat beside two baselines built in the same run: an echo
# server on tokio-tungstenite and one on fastwebsockets (the binaries of crates/ws-baselines).
# The load client is `ws-chat bench` for all three, so only the server differs.
# Cases: 64-byte messages over 1 and 100 connections (messages/s), 1 MiB messages (MB/s).
# Loopback only; every run is bounded by DURATION (default 5s). The client and the server share
# the machine's cores, so compare the ratios, not the absolute figures, across machines. On a
# busy machine rates swing with other load; the server's CPU time per message (from
# /proc/PID/stat) is the steadier figure and is printed beside them.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-5s}"
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

declare -A RESULT
for server in ws-chat tungstenite fastwebsockets; do
    case "$server" in
        # Every load connection comes from 127.0.0.1, and 100 of them handshake at once: above the
        # per-address cap (64) that keeps one hostile host from taking every handshake slot.
        ws-chat) start_server "$server" "$BIN/ws-chat" --listen 127.0.0.1:0 --max-handshakes-per-ip 1024 ;;
        tungstenite) start_server "$server" "$BIN/echo-tungstenite" 127.0.0.1:0 ;;
        fastwebsockets) start_server "$server" "$BIN/echo-fastwebsockets" 127.0.0.1:0 ;;
    esac
    for case in "1 64" "100 64" "1 1MiB"; do
        read -r conns size <<<"$case"
        before="$(cpu_ticks)"
        line="$("$BIN/ws-chat" bench "ws://$ADDR/echo" --connections "$conns" --size "$size" --duration "$DURATION")"
        after="$(cpu_ticks)"
        messages="$(field "$line" messages)"
        RESULT["$server,$conns,$size,msgs"]="$(field "$line" msgs_per_s)"
        RESULT["$server,$conns,$size,mbs"]="$(field "$line" mb_per_s)"
        RESULT["$server,$conns,$size,cpu"]="$(awk -v t=$((after - before)) -v hz="$HZ" -v m="$messages" \
            'BEGIN { if (m > 0) printf "%.1f", t * 1e6 / hz / m; else print "n/a" }')"
        echo "$server: $line server_cpu_us_per_msg=${RESULT[$server,$conns,$size,cpu]}"
    done
    stop_server
done

echo
printf '%-16s %14s %14s %14s %12s %12s %12s\n' server "64B x1 msg/s" "64B x100 msg/s" "1MiB x1 MB/s" \
    "us/msg x1" "us/msg x100" "us/msg 1MiB"
for server in ws-chat tungstenite fastwebsockets; do
    printf '%-16s %14s %14s %14s %12s %12s %12s\n' "$server" "${RESULT[$server,1,64,msgs]}" \
        "${RESULT[$server,100,64,msgs]}" "${RESULT[$server,1,1MiB,mbs]}" "${RESULT[$server,1,64,cpu]}" \
        "${RESULT[$server,100,64,cpu]}" "${RESULT[$server,1,1MiB,cpu]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
for base in tungstenite fastwebsockets; do
    echo "ws-chat / $base: 64B x1 $(ratio "${RESULT[ws-chat,1,64,msgs]}" "${RESULT[$base,1,64,msgs]}")x," \
        "64B x100 $(ratio "${RESULT[ws-chat,100,64,msgs]}" "${RESULT[$base,100,64,msgs]}")x," \
        "1MiB $(ratio "${RESULT[ws-chat,1,1MiB,mbs]}" "${RESULT[$base,1,1MiB,mbs]}")x"
done
