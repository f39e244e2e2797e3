#!/usr/bin/env bash
# A guided walk through socklab, for a newcomer: an echo server and client showing their socket
# calls, the sniffer showing the packets those calls make (as root), and a WebSocket
# conversation with ws-chat. Every process it starts talks only to 127.0.0.1 and is stopped
# when the demo ends, Ctrl-C included.
#
# usage: scripts/demo.sh [--fast]     (--fast: no pauses, for CI)
set -euo pipefail
cd "$(dirname "$0")/.."

FAST=0
for arg in "$@"; do
    case "$arg" in
        --fast) FAST=1 ;;
        -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

if [ -t 1 ]; then BOLD=$'\e[1m'; DIM=$'\e[2m'; OFF=$'\e[0m'; else BOLD=''; DIM=''; OFF=''; fi
step() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$OFF"; }
say() { printf '%s\n' "$*" | fold -s -w 100; }
show() { sed 's/^/    /' "$@"; }
pause() { [ "$FAST" = 1 ] || sleep "${1:-3}"; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo; echo "demo interrupted; stopping everything it started"; exit 130' INT TERM

# Waits (at most 10 s) until FILE has a line matching PATTERN.
wait_for() {
    for _ in $(seq 200); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "demo.sh: timed out waiting for '$2' in $1" >&2
    exit 1
}

# Stops a background process with SIGINT (as Ctrl-C would) and waits for it.
stop() {
    kill -INT "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

BIN=target/release
if command -v cargo > /dev/null; then
    step "Building the tools (release)"
    cargo build --release --locked -q -p tcp-echo -p raw-sniff -p ws-chat
    cargo build --release --locked -q -p socklab-examples --example ws_client
elif [ -x "$BIN/tcp-echo" ] && [ -x "$BIN/raw-sniff" ] && [ -x "$BIN/ws-chat" ] && [ -x "$BIN/examples/ws_client" ]; then
    # Under sudo, PATH usually loses the user's cargo; the binaries built before are enough.
    step "Using the tools already built in $BIN"
else
    echo "demo.sh: cargo is not on PATH. Build first as yourself, then run the demo as root:" >&2
    echo "  cargo build --release --locked --workspace --examples && sudo bash scripts/demo.sh" >&2
    exit 1
fi
ROOT=0
[ "$(id -u)" = 0 ] && ROOT=1

step "1. An echo server: socket(), bind(), listen(), accept()"
say "tcp-echo server makes its listening socket one system call at a time and, with --verbose, prints each call on stderr (--io epoll: the classic calls; its default on Linux 6.0 and later, --io uring, hands the kernel whole queues of work instead, and its trace names those operations). Port 0 asks the kernel for a free port; the first line on stdout says which."
"$BIN/tcp-echo" server --io epoll --listen 127.0.0.1:0 --verbose > "$WORK/server.out" 2> "$WORK/server.trace" &
SERVER=$!; PIDS+=("$SERVER")
wait_for "$WORK/server.out" "listening on"
ADDR=$(head -1 "$WORK/server.out" | awk '{print $3}')
PORT=${ADDR##*:}
show "$WORK/server.out"
show "$WORK/server.trace"
pause

if [ "$ROOT" = 1 ]; then
    step "2. A sniffer on a raw socket, before anything is sent"
    say "raw-sniff opens an AF_PACKET socket on the loopback interface. It gets every frame with its headers, before the kernel's TCP/IP stack consumes them, and parses them itself. The filter 'tcp port $PORT' runs in the kernel as a BPF program."
    "$BIN/raw-sniff" -i lo -w "$WORK/echo.pcap" "tcp port $PORT" > "$WORK/sniff.out" 2> "$WORK/sniff.err" &
    SNIFF=$!; PIDS+=("$SNIFF")
    wait_for "$WORK/sniff.err" "reading from"
    show "$WORK/sniff.err"
else
    step "2. (skipped) The sniffer needs root"
    say "Capturing needs root or CAP_NET_RAW. Run 'sudo scripts/demo.sh' to see the packets of each step, or once: sudo setcap cap_net_raw,cap_net_admin+ep $BIN/raw-sniff"
fi
pause

step "3. A client: connect(), write(), read(), close()"
say "tcp-echo client sends one line and checks that every byte comes back. The kernel picks the client's port."
"$BIN/tcp-echo" client --connect "$ADDR" --message "hello from the demo" --verbose > "$WORK/client.out" 2>&1
show "$WORK/client.out"
pause

step "4. What the server saw"
say "accept() returned a new socket for this client; read() got the line, write() sent it back; read() returning 0 means the client closed its side."
sleep 0.3
tail -n +8 "$WORK/server.trace" | show
pause

if [ "$ROOT" = 1 ]; then
    step "5. The same conversation as packets"
    say "Those few calls made these segments: the three-way handshake (SYN, SYN-ACK, ACK), the data each way with its acknowledgment, and the two FINs of the close. Sequence numbers are absolute in the handshake and relative after it, as in tcpdump."
    sleep 0.3
    stop "$SNIFF"
    show "$WORK/sniff.out"
    pause
    say "And the first of them byte by byte: what the kernel strips off before recv() ever sees the data."
    "$BIN/raw-sniff" -r "$WORK/echo.pcap" --explain -c 1 2> /dev/null | show
    pause
    say "The same conversation as a ladder: the client on the left, the server on the right, one arrow per segment in time order, with its flags, relative sequence and acknowledgment numbers and length."
    # 76 columns: show indents by four, and the demo assumes an 80-column terminal.
    COLUMNS=76 "$BIN/raw-sniff" -r "$WORK/echo.pcap" --flow 2> /dev/null | show
    pause
fi

step "6. A WebSocket conversation with ws-chat"
say "ws-chat speaks RFC 6455: an HTTP Upgrade handshake, then frames. The client below (examples/ws_client.rs) sends two messages and a ping, then closes; ws-chat --verbose prints the handshake headers and every frame."
"$BIN/ws-chat" --listen 127.0.0.1:0 --verbose > "$WORK/ws.out" 2>&1 &
WS=$!; PIDS+=("$WS")
wait_for "$WORK/ws.out" "listening on"
WSADDR=$(head -1 "$WORK/ws.out" | awk '{print $3}')
WSPORT=${WSADDR##*:}
if [ "$ROOT" = 1 ]; then
    "$BIN/raw-sniff" -i lo --ws-only "tcp port $WSPORT" > "$WORK/ws-sniff.out" 2> "$WORK/ws-sniff.err" &
    WSSNIFF=$!; PIDS+=("$WSSNIFF")
    wait_for "$WORK/ws-sniff.err" "reading from"
fi
"$BIN/examples/ws_client" "$WSADDR" /echo "hello, websocket" "frames are masked from client to server" > "$WORK/ws-client.out" 2>&1
show "$WORK/ws-client.out"
pause
say "What ws-chat printed:"
sleep 0.3
show "$WORK/ws.out"
pause
if [ "$ROOT" = 1 ]; then
    say "And what raw-sniff decoded from the captured TCP stream on its own: it saw the HTTP Upgrade, checked the accept value, then unmasked every client frame. Client frames are always masked, server frames never."
    sleep 0.3
    stop "$WSSNIFF"
    show "$WORK/ws-sniff.out"
    pause
fi

step "7. Stopping"
say "Ctrl-C (SIGINT) makes each server stop accepting, finish what is in flight and print a summary."
stop "$WS"
stop "$SERVER"
show "$WORK/server.out"
step "Done"
say "Next: README.md has a section per tool; the examples/ directory has small programs to read first."
