#!/usr/bin/env bash
# Measures `tcp-echo server` on both of its I/O backends (`--io uring`, `--io epoll`) beside a
# minimal tokio echo server (the baseline, crates/tcp-echo/examples/tokio_echo_baseline.rs) with
# `tcp-echo bench`, in one run on one machine, and prints markdown tables: messages/s per load
# shape, the CPU each side used per message, the kernel crossings (system calls) each server
# makes per message, and the memory each server spends per idle connection while holding
# 10,000 of them.
#
# Every process talks only to 127.0.0.1, every run is bounded in time, and every process the
# script starts is killed when it exits, however it exits.
#
# Other work on the machine slows runs down unevenly, so each row runs --repeat times per
# server, rotating which goes first, and reports the median with the range (min–max).
# System calls are counted with `perf stat -e raw_syscalls:sys_enter` on one extra run per row
# and server (counting slows the server, so those runs are kept out of the timings).
#
# The load generator runs on io_uring (`tcp-echo bench --io uring`) unless --client-io epoll
# asks for the tokio client: on io_uring it spends about a quarter less CPU per message with
# many connections, CPU it would otherwise take from the server on the shared cores.
#
# usage: scripts/bench-echo.sh [--duration 5s] [--repeat 3] [--idle-conns 10000]
#                              [--client-io uring|epoll]
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=5s
REPEAT=3
IDLE_CONNS=10000
CLIENT_IO=uring
usage() {
    sed -n '2,22s/^# \{0,1\}//p' "$0"
}
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) DURATION=${2:?--duration needs a value such as 5s}; shift 2 ;;
        --repeat) REPEAT=${2:?--repeat needs a number}; shift 2 ;;
        --idle-conns) IDLE_CONNS=${2:?--idle-conns needs a number}; shift 2 ;;
        --client-io) CLIENT_IO=${2:?--client-io needs uring or epoll}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "bench-echo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

case "$CLIENT_IO" in
    uring | epoll) ;;
    *) echo "bench-echo.sh: --client-io must be uring or epoll, not '$CLIENT_IO'" >&2; exit 2 ;;
esac

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
    "$BIN" bench --io "$CLIENT_IO" --connect "$addr" --duration "$DURATION" --json "$@" \
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

# median_of VALUES...: "median min max" of numbers (the middle one, or the mean of the two).
median_of() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) exit; m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              print m, v[1], v[NR] }'
}

# summarise KEY: over runs KEY.1 .. KEY.REPEAT, the median messages/s with its range, and the
# medians of p99, server and client CPU per message and client CPU share.
summarise() {
    local key=$1 r rates=() p99s=() srv=() cli=() share=() errors=0 m e
    for r in $(seq "$REPEAT"); do
        local f="$WORK/$key.$r.json" rate
        rate=$(json msgs_per_sec "$f")
        [ -z "$rate" ] && continue
        m=$(json messages "$f")
        rates+=("$rate")
        p99s+=("$(json p99 "$f")")
        srv+=("$(awk -v c="${SRV_CPU[$key.$r]}" -v m="$m" 'BEGIN { if (m > 0) printf "%.3f", c * 1e6 / m }')")
        cli+=("$(awk -v c="$(json client_cpu_s "$f")" -v m="$m" 'BEGIN { if (m > 0) printf "%.3f", c * 1e6 / m }')")
        share+=("$(awk -v c="$(json client_cpu_s "$f")" -v d="$(json seconds "$f")" \
            'BEGIN { if (d > 0) printf "%.0f", c * 100 / d }')")
        e=$(json errors "$f")
        errors=$((errors + ${e:-1}))
        cp "$WORK/$key.$r.err" "$WORK/$key.err" 2>/dev/null || true
    done
    if [ ${#rates[@]} -eq 0 ]; then
        ERRORS[$key]=1
        return
    fi
    read -r RATE[$key] RATE_MIN[$key] RATE_MAX[$key] <<<"$(median_of "${rates[@]}")"
    P99[$key]=$(median_of "${p99s[@]}" | cut -d' ' -f1)
    SERVER_US[$key]=$(median_of "${srv[@]}" | cut -d' ' -f1)
    CLIENT_US[$key]=$(median_of "${cli[@]}" | cut -d' ' -f1)
    CLIENT_SHARE[$key]=$(median_of "${share[@]}" | cut -d' ' -f1)
    ERRORS[$key]=$errors
}

# count_syscalls RUN SERVER_PID ADDR BENCH_ARGS...: one bench run of $CROSS_DURATION with perf
# counting the server's system calls; sets SYSCALLS[RUN] and CROSS_MSGS[RUN].
count_syscalls() {
    local run=$1 pid=$2 addr=$3
    shift 3
    perf stat -x, -e raw_syscalls:sys_enter -p "$pid" -o "$WORK/$run.perf" &
    local perf_pid=$!
    PIDS+=("$perf_pid")
    sleep 0.3 # perf attaches to every thread of the server before the load starts
    "$BIN" bench --io "$CLIENT_IO" --connect "$addr" --duration "$CROSS_DURATION" --json "$@" \
        >"$WORK/$run.json" 2>"$WORK/$run.err" &
    local bench_pid=$!
    PIDS+=("$bench_pid")
    wait "$bench_pid" || true
    forget "$bench_pid"
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    forget "$perf_pid"
    SYSCALLS[$run]=$(awk -F, '/raw_syscalls:sys_enter/ { print $1 }' "$WORK/$run.perf")
    CROSS_MSGS[$run]=$(json messages "$WORK/$run.json")
}

declare -A SRV_CPU RATE RATE_MIN RATE_MAX P99 SERVER_US CLIENT_US CLIENT_SHARE ERRORS
declare -A SYSCALLS CROSS_MSGS
# label|bench arguments; GOALS holds the ratio to the baseline each row should reach.
ROWS=(
    "1 conn, 64 B ping-pong|--connections 1 --size 64 --mode pingpong"
    "100 conns, 64 B ping-pong|--connections 100 --size 64 --mode pingpong"
    "1000 conns, 64 B ping-pong|--connections 1000 --size 64 --mode pingpong"
    "1 conn, stream, 16 KiB messages|--connections 1 --size 16k --mode stream"
)
GOALS=(1.3 1.3 1.3 1.0)
# The servers, by key: u and e are tcp-echo on each backend, b the baseline.
SIDES=(u e b)
declare -A SIDE_NAME=([u]="tcp-echo --io uring" [e]="tcp-echo --io epoll" [b]="baseline")
CROSS_DURATION=2s
HAVE_PERF=yes
if ! perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
    echo "bench-echo.sh: perf cannot count raw_syscalls:sys_enter here; no system-call counts" >&2
    HAVE_PERF=no
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

echo "== starting servers" >&2
declare -A PID ADDR
start_server uring "$BIN" server --io uring --listen 127.0.0.1:0
PID[u]=$SERVER_PID ADDR[u]=$SERVER_ADDR
if grep -q 'io_uring unavailable' "$WORK/uring.err"; then
    echo "bench-echo.sh: $(cat "$WORK/uring.err"); the uring rows measure epoll" >&2
fi
start_server epoll "$BIN" server --io epoll --listen 127.0.0.1:0
PID[e]=$SERVER_PID ADDR[e]=$SERVER_ADDR
start_server baseline "$BASELINE" 127.0.0.1:0
PID[b]=$SERVER_PID ADDR[b]=$SERVER_ADDR
echo "   uring on ${ADDR[u]}, epoll on ${ADDR[e]}, baseline on ${ADDR[b]}" >&2

for i in "${!ROWS[@]}"; do
    label=${ROWS[$i]%%|*}
    read -r -a args <<<"${ROWS[$i]#*|}"
    echo "== $label ($REPEAT × $DURATION each)" >&2
    for r in $(seq "$REPEAT"); do
        # Rotate which goes first, so drift in machine load does not favour one side.
        for k in 0 1 2; do
            side=${SIDES[$(((i + r + k) % 3))]}
            bench_once "$side$i.$r" "${PID[$side]}" "${ADDR[$side]}" "${args[@]}"
        done
    done
    for side in "${SIDES[@]}"; do
        summarise "$side$i"
        if [ "$HAVE_PERF" = yes ]; then
            count_syscalls "$side$i.sys" "${PID[$side]}" "${ADDR[$side]}" "${args[@]}"
        fi
    done
done
for side in "${SIDES[@]}"; do
    stop_server "${PID[$side]}"
done

# idle_run NAME COMMAND...: a fresh server, RSS before and while IDLE_CONNS connections are open.
declare -A RSS_BEFORE RSS_HELD HELD IDLE_NOTE
idle_run() {
    local name=$1
    shift
    echo "== $name: holding $IDLE_CONNS idle connections" >&2
    start_server "idle-$name" "$@"
    sleep 0.2
    RSS_BEFORE[$name]=$(rss_kib "$SERVER_PID")
    "$BIN" bench --io "$CLIENT_IO" --connect "$SERVER_ADDR" --mode idle --connections "$IDLE_CONNS" \
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
idle_run u "$BIN" server --io uring --listen 127.0.0.1:0
idle_run e "$BIN" server --io epoll --listen 127.0.0.1:0
idle_run b "$BASELINE" 127.0.0.1:0

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report (stdout) ----
ratio() {
    if [ -n "$1" ] && [ -n "$2" ]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
    else
        printf -- "-"
    fi
}

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
# The client backend that ran: a kernel that refuses io_uring makes the bench fall back to epoll.
client_io=$CLIENT_IO
if [ "$CLIENT_IO" = uring ] && grep -qs 'bench: io_uring unavailable' "$WORK"/*.err; then
    client_io="epoll (io_uring unavailable)"
fi
echo "Machine: ${cpu_model:-unknown CPU}, $(nproc) cores, Linux $(uname -r);" \
    "load average ${LOAD_BEFORE} before, ${LOAD_AFTER} after; client: tcp-echo bench --io ${client_io}."
echo "Each cell: the median of ${REPEAT} runs of ${DURATION} (min–max), servers in rotating order," \
    "on the same cores as the client."
echo
rate_cell() {
    if [ -n "${RATE[$1]:-}" ]; then
        printf "%.0f (%.0f–%.0f)" "${RATE[$1]}" "${RATE_MIN[$1]}" "${RATE_MAX[$1]}"
    else
        printf "failed"
    fi
}
echo "| load | uring msg/s | epoll msg/s | baseline msg/s | uring ÷ baseline | epoll ÷ baseline | uring ÷ epoll | goal (÷ baseline) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for i in "${!ROWS[@]}"; do
    label=${ROWS[$i]%%|*}
    echo "| $label | $(rate_cell "u$i") | $(rate_cell "e$i") | $(rate_cell "b$i") |" \
        "$(ratio "${RATE[u$i]:-}" "${RATE[b$i]:-}") | $(ratio "${RATE[e$i]:-}" "${RATE[b$i]:-}") |" \
        "$(ratio "${RATE[u$i]:-}" "${RATE[e$i]:-}") | ≥ ${GOALS[$i]} |"
done
echo
echo "Per verified message: server CPU (µs), the server's system calls (kernel crossings; from"
echo "perf on one extra ${CROSS_DURATION} run), p99 latency (µs). Client: the bench's CPU per message"
echo "and its CPU as a share of one core (median over all servers' runs)."
echo
echo "| load | uring µs/msg | epoll µs/msg | baseline µs/msg | uring syscalls/msg | epoll syscalls/msg | baseline syscalls/msg | p99 uring / epoll / baseline | client µs/msg | client CPU |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
per_msg() { # system calls and messages -> calls per message
    awk -v c="${1:-}" -v m="${2:-0}" 'BEGIN { if (m > 0 && c != "") printf "%.2f", c / m; else print "-" }'
}
for i in "${!ROWS[@]}"; do
    label=${ROWS[$i]%%|*}
    client=$(median_of "${CLIENT_US[u$i]:-}" "${CLIENT_US[e$i]:-}" "${CLIENT_US[b$i]:-}" | cut -d' ' -f1)
    share=$(median_of "${CLIENT_SHARE[u$i]:-}" "${CLIENT_SHARE[e$i]:-}" "${CLIENT_SHARE[b$i]:-}" | cut -d' ' -f1)
    echo "| $label | ${SERVER_US[u$i]:--} | ${SERVER_US[e$i]:--} | ${SERVER_US[b$i]:--} |" \
        "$(per_msg "${SYSCALLS[u$i.sys]:-}" "${CROSS_MSGS[u$i.sys]:-}") |" \
        "$(per_msg "${SYSCALLS[e$i.sys]:-}" "${CROSS_MSGS[e$i.sys]:-}") |" \
        "$(per_msg "${SYSCALLS[b$i.sys]:-}" "${CROSS_MSGS[b$i.sys]:-}") |" \
        "${P99[u$i]:--} / ${P99[e$i]:--} / ${P99[b$i]:--} | ${client:--} | ${share:--}% |"
done
echo
echo "| idle connections | uring | epoll | baseline |"
echo "|---|---:|---:|---:|"
echo "| held of ${IDLE_CONNS} | ${HELD[u]} | ${HELD[e]} | ${HELD[b]} |"
echo "| RSS before / while held (KiB) | ${RSS_BEFORE[u]} / ${RSS_HELD[u]} |" \
    "${RSS_BEFORE[e]} / ${RSS_HELD[e]} | ${RSS_BEFORE[b]} / ${RSS_HELD[b]} |"
per_conn() {
    awk -v a="${RSS_BEFORE[$1]}" -v b="${RSS_HELD[$1]}" -v n="${HELD[$1]}" \
        'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1024 / n; else print "-" }'
}
echo "| RSS per idle connection (bytes; goal: tcp-echo ≤ baseline) | $(per_conn u) | $(per_conn e) | $(per_conn b) |"
for name in "${SIDES[@]}"; do
    if [ -n "${IDLE_NOTE[$name]}" ]; then
        echo
        echo "${SIDE_NAME[$name]} idle run: ${IDLE_NOTE[$name]}"
    fi
done
for i in "${!ROWS[@]}"; do
    for side in "${SIDES[@]}"; do
        if [ "${ERRORS[$side$i]:-1}" != "0" ]; then
            echo
            echo "${ROWS[$i]%%|*} (${SIDE_NAME[$side]}):" \
                "$(tail -n 1 "$WORK/$side$i.err" 2>/dev/null || echo 'no output')"
        fi
    done
done
