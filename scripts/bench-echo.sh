#!/usr/bin/env bash
# Measures `tcp-echo server` beside a minimal tokio echo server (the baseline,
# crates/tcp-echo/examples/tokio_echo_baseline.rs) with `tcp-echo bench`, in one run on one
# machine, and prints markdown tables: messages/s per load shape, the CPU each side used, and
# the memory each server spends per idle connection while holding 10,000 of them.
#
# Every process talks only to 127.0.0.1, every run is bounded in time, and every process the
# script starts is killed when it exits, however it exits.
#
# Other work on the machine can only slow a run down, never speed it up, so each row runs
# --repeat times per server (alternating which goes first) and the fastest run is reported.
#
# usage: scripts/bench-echo.sh [--duration 5s] [--repeat 3] [--idle-conns 10000]
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=5s
REPEAT=3
IDLE_CONNS=10000
usage() {
    sed -n '2,13s/^# \{0,1\}//p' "$0"
}
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) DURATION=${2:?--duration needs a value such as 5s}; shift 2 ;;
        --repeat) REPEAT=${2:?--repeat needs a number}; shift 2 ;;
        --idle-conns) IDLE_CONNS=${2:?--idle-conns needs a number}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "bench-echo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

TARGET=${CARGO_TARGET_DIR:-$PWD/target}
echo "== building release binaries" >&2
cargo build --release --locked -q -p tcp-echo --bin tcp-echo --example tokio_echo_baseline >&2
BIN=$TARGET/release/tcp-echo
BASELINE=$TARGET/release/examples/tokio_echo_baseline

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
# forget PID: a process that has been waited for leaves the list, so cleanup can never signal
# an unrelated process that later reuses its number.
forget() {
    local keep=() pid
    for pid in "${PIDS[@]}"; do
        [ "$pid" = "$1" ] || keep+=("$pid")
    done
    PIDS=("${keep[@]}")
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

CLK_TCK=$(getconf CLK_TCK)

# start_server NAME COMMAND...: runs a server that prints `listening on ADDR` first on stdout,
# waits for that line and sets SERVER_PID and SERVER_ADDR.
start_server() {
    local name=$1
    shift
    : >"$WORK/$name.out"
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    local _
    for _ in $(seq 100); do
        SERVER_ADDR=$(sed -n '1s/^listening on //p' "$WORK/$name.out" || true)
        [ -n "$SERVER_ADDR" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench-echo.sh: $name did not print 'listening on ADDR':" >&2
    cat "$WORK/$name.err" >&2
    exit 1
}

stop_server() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    forget "$1"
}

# CPU ticks (user + system) used so far by a process; proc(5) fields 14 and 15, counted after
# the `(comm)` field, which may hold spaces.
cpu_ticks() {
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# json NAME FILE: a number (or null) from the bench's one-line JSON report.
json() {
    sed -n "s/.*\"$1\":\([0-9.a-z]*\).*/\1/p" "$2"
}

# bench_once RUN SERVER_PID ADDR BENCH_ARGS...: runs one bench; its JSON report goes to
# $WORK/RUN.json and the server's CPU seconds over the run (connects included) to SRV_CPU[RUN].
bench_once() {
    local run=$1 pid=$2 addr=$3
    shift 3
    local ticks_before ticks_after
    ticks_before=$(cpu_ticks "$pid")
    # In the background and waited for, so Ctrl-C or SIGTERM reach the trap at once.
    "$BIN" bench --connect "$addr" --duration "$DURATION" --json "$@" \
        >"$WORK/$run.json" 2>"$WORK/$run.err" &
    local bench_pid=$!
    PIDS+=("$bench_pid")
    if ! wait "$bench_pid"; then
        echo "bench-echo.sh: $run: $(tail -n 1 "$WORK/$run.err")" >&2
    fi
    forget "$bench_pid"
    ticks_after=$(cpu_ticks "$pid")
    SRV_CPU[$run]=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$CLK_TCK" \
        'BEGIN { printf "%.2f", t / hz }')
    echo "   $run: $(json msgs_per_sec "$WORK/$run.json") msg/s" >&2
}

# pick_best KEY: of runs KEY.1 .. KEY.REPEAT, keeps the one with the most messages/s.
pick_best() {
    local key=$1 r best="" best_rate=-1 rate
    for r in $(seq "$REPEAT"); do
        rate=$(json msgs_per_sec "$WORK/$key.$r.json")
        [ -z "$rate" ] && continue
        if awk -v a="$rate" -v b="$best_rate" 'BEGIN { exit !(a > b) }'; then
            best=$key.$r best_rate=$rate
        fi
    done
    [ -z "$best" ] && best=$key.1
    SERVER_CPU[$key]=${SRV_CPU[$best]:-}
    RATE[$key]=$(json msgs_per_sec "$WORK/$best.json")
    P99[$key]=$(json p99 "$WORK/$best.json")
    CLIENT_CPU[$key]=$(json client_cpu_s "$WORK/$best.json")
    MESSAGES[$key]=$(json messages "$WORK/$best.json")
    ERRORS[$key]=$(json errors "$WORK/$best.json")
    cp "$WORK/$best.err" "$WORK/$key.err" 2>/dev/null || true
}

declare -A SRV_CPU RATE P99 CLIENT_CPU SERVER_CPU MESSAGES ERRORS
# label|bench arguments; GOALS holds the ratio to the baseline each row should reach.
ROWS=(
    "1 conn, 64 B ping-pong|--connections 1 --size 64 --mode pingpong"
    "100 conns, 64 B ping-pong|--connections 100 --size 64 --mode pingpong"
    "1000 conns, 64 B ping-pong|--connections 1000 --size 64 --mode pingpong"
    "1 conn, stream, 16 KiB messages|--connections 1 --size 16k --mode stream"
)
GOALS=(1.0 1.2 1.2 1.0)

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

echo "== starting servers" >&2
start_server server "$BIN" server --listen 127.0.0.1:0
SRV_PID=$SERVER_PID SRV_ADDR=$SERVER_ADDR
start_server baseline "$BASELINE" 127.0.0.1:0
BASE_PID=$SERVER_PID BASE_ADDR=$SERVER_ADDR
echo "   tcp-echo server on $SRV_ADDR, baseline on $BASE_ADDR" >&2

for i in "${!ROWS[@]}"; do
    label=${ROWS[$i]%%|*}
    read -r -a args <<<"${ROWS[$i]#*|}"
    echo "== $label ($REPEAT × $DURATION each)" >&2
    for r in $(seq "$REPEAT"); do
        # Alternate which goes first, so drift in machine load does not favour one side.
        if [ $(((i + r) % 2)) -eq 0 ]; then
            bench_once "s$i.$r" "$SRV_PID" "$SRV_ADDR" "${args[@]}"
            bench_once "b$i.$r" "$BASE_PID" "$BASE_ADDR" "${args[@]}"
        else
            bench_once "b$i.$r" "$BASE_PID" "$BASE_ADDR" "${args[@]}"
            bench_once "s$i.$r" "$SRV_PID" "$SRV_ADDR" "${args[@]}"
        fi
    done
    pick_best "s$i"
    pick_best "b$i"
done
stop_server "$SRV_PID"
stop_server "$BASE_PID"

# idle_run NAME COMMAND...: a fresh server, RSS before and while IDLE_CONNS connections are open.
declare -A RSS_BEFORE RSS_HELD HELD IDLE_NOTE
idle_run() {
    local name=$1
    shift
    echo "== $name: holding $IDLE_CONNS idle connections" >&2
    start_server "idle-$name" "$@"
    sleep 0.2
    RSS_BEFORE[$name]=$(rss_kib "$SERVER_PID")
    "$BIN" bench --connect "$SERVER_ADDR" --mode idle --connections "$IDLE_CONNS" \
        --duration 3s --timeout 20s --json >"$WORK/idle-$name.json" 2>"$WORK/idle-$name.err" &
    local bench_pid=$!
    PIDS+=("$bench_pid")
    touch "$WORK/idle-$name.err"
    local _
    for _ in $(seq 600); do
        grep -q 'connections established' "$WORK/idle-$name.err" && break
        kill -0 "$bench_pid" 2>/dev/null || break
        sleep 0.1
    done
    # All connections have echoed once; give the server a moment to settle, then measure.
    sleep 1
    RSS_HELD[$name]=$(rss_kib "$SERVER_PID" 2>/dev/null || echo 0)
    if wait "$bench_pid"; then
        IDLE_NOTE[$name]=""
    else
        IDLE_NOTE[$name]=$(tail -n 1 "$WORK/idle-$name.err")
    fi
    forget "$bench_pid"
    HELD[$name]=$(json clean "$WORK/idle-$name.json")
    HELD[$name]=${HELD[$name]:-0}
    stop_server "$SERVER_PID"
}
idle_run server "$BIN" server --listen 127.0.0.1:0
idle_run baseline "$BASELINE" 127.0.0.1:0

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report (stdout) ----
fmt_rate() { if [ -n "$1" ]; then printf "%.0f" "$1"; else printf "failed"; fi; }
ratio() {
    if [ -n "$1" ] && [ -n "$2" ]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
    else
        printf -- "-"
    fi
}
us_per_msg() { # CPU seconds and messages -> CPU microseconds per message
    awk -v c="$1" -v m="$2" 'BEGIN { if (m > 0 && c != "") printf "%.2f", c * 1e6 / m; else print "-" }'
}

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "Machine: ${cpu_model:-unknown CPU}, $(nproc) cores, Linux $(uname -r);" \
    "load average ${LOAD_BEFORE} before, ${LOAD_AFTER} after."
echo "Each row: the fastest of ${REPEAT} runs of ${DURATION} against each server, on the same cores as the client."
echo
echo "| load | tcp-echo server msg/s | baseline msg/s | ratio | goal | server p99 µs | baseline p99 µs |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for i in "${!ROWS[@]}"; do
    label=${ROWS[$i]%%|*}
    echo "| $label | $(fmt_rate "${RATE[s$i]:-}") | $(fmt_rate "${RATE[b$i]:-}") |" \
        "$(ratio "${RATE[s$i]:-}" "${RATE[b$i]:-}") | ≥ ${GOALS[$i]} | ${P99[s$i]:--} | ${P99[b$i]:--} |"
done
echo
echo "CPU per verified message (µs), and the bench client's ceiling: the messages/s it could"
echo "generate if its share of CPU were the only limit (all $(nproc) cores ÷ its CPU per message)."
echo
echo "| load | client µs/msg | server µs/msg | client µs/msg (baseline run) | baseline µs/msg | client ceiling msg/s |"
echo "|---|---:|---:|---:|---:|---:|"
for i in "${!ROWS[@]}"; do
    label=${ROWS[$i]%%|*}
    cs=$(us_per_msg "${CLIENT_CPU[s$i]:-}" "${MESSAGES[s$i]:-0}")
    cb=$(us_per_msg "${CLIENT_CPU[b$i]:-}" "${MESSAGES[b$i]:-0}")
    ss=$(us_per_msg "${SERVER_CPU[s$i]:-}" "${MESSAGES[s$i]:-0}")
    sb=$(us_per_msg "${SERVER_CPU[b$i]:-}" "${MESSAGES[b$i]:-0}")
    ceiling=$(awk -v u="$cs" -v n="$(nproc)" 'BEGIN { if (u + 0 > 0) printf "%.0f", n * 1e6 / u; else print "-" }')
    echo "| $label | $cs | $ss | $cb | $sb | $ceiling |"
done
echo
echo "| idle connections | tcp-echo server | baseline |"
echo "|---|---:|---:|"
echo "| held of ${IDLE_CONNS} | ${HELD[server]} | ${HELD[baseline]} |"
echo "| RSS before / while held (KiB) | ${RSS_BEFORE[server]} / ${RSS_HELD[server]} |" \
    "${RSS_BEFORE[baseline]} / ${RSS_HELD[baseline]} |"
per_conn() {
    awk -v a="${RSS_BEFORE[$1]}" -v b="${RSS_HELD[$1]}" -v n="${HELD[$1]}" \
        'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1024 / n; else print "-" }'
}
echo "| RSS per idle connection (bytes; goal: server ≤ baseline) | $(per_conn server) | $(per_conn baseline) |"
for name in server baseline; do
    if [ -n "${IDLE_NOTE[$name]}" ]; then
        echo
        echo "$name idle run: ${IDLE_NOTE[$name]}"
    fi
done
for i in "${!ROWS[@]}"; do
    for side in s b; do
        if [ "${ERRORS[$side$i]:-1}" != "0" ]; then
            echo
            echo "${ROWS[$i]%%|*} ($([ $side = s ] && echo server || echo baseline)):" \
                "$(tail -n 1 "$WORK/$side$i.err" 2>/dev/null || echo 'no output')"
        fi
    done
done
