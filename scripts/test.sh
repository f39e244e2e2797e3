#!/usr/bin/env bash
# The whole test suite, as CI runs it: install the real peers the tests talk to, then format,
# lint and test the workspace. Safe to run again; installs are skipped when already present.
set -euo pipefail
cd "$(dirname "$0")/.."

# Live-capture tests need root; CI always has it, so a CI run without root is an error, not a skip.
if [ "${CI:-}" = "true" ] && [ "$(id -u)" != "0" ]; then
    echo "error: CI must run as root so the live-capture tests really capture" >&2
    exit 1
fi

need_apt=()
for pair in tshark:tshark tcpdump:tcpdump socat:socat ncat:ncat nc:netcat-openbsd php:php-cli \
    ping:iputils-ping ip:iproute2 ss:iproute2 setpriv:util-linux chromium:chromium; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need_apt+=("${pair#*:}")
done
# The filter tests look names up where libpcap does: netbase provides these files on Debian.
for f in /etc/services /etc/networks /etc/protocols; do
    [ -f "$f" ] || { need_apt+=(netbase); break; }
done
if [ "${#need_apt[@]}" -gt 0 ]; then
    if [ "$(id -u)" = "0" ]; then
        echo "== installing test peers: ${need_apt[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    else
        echo "== not root: cannot install ${need_apt[*]}; tests that need them will skip and say so"
    fi
fi

# Python peers live in a venv so the system Python stays untouched.
VENV="${SOCKLAB_VENV:-$PWD/.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import websockets' 2>/dev/null; then
    "$VENV/bin/pip" install -q websockets
fi
export SOCKLAB_PYTHON="$VENV/bin/python"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked

# Every fuzz target for a few seconds from its seeds: a regression that panics on the kind of
# input the seeds describe fails here, not months later. FUZZ_SECONDS=0 skips them.
if [ "${FUZZ_SECONDS:-5}" != 0 ]; then
    echo "== fuzz targets, ${FUZZ_SECONDS:-5} s each"
    bash scripts/fuzz.sh "${FUZZ_SECONDS:-5}"
fi

echo "== scripts/demo.sh --fast"
demo_log=$(mktemp)
bash scripts/demo.sh --fast > "$demo_log" 2>&1 || { cat "$demo_log"; echo "demo.sh failed" >&2; exit 1; }
expect=("listening on 127.0.0.1:" "bind(127.0.0.1:0)" "bytes sent, " "echoed back identical"
    "accept() ->" "101 Switching Protocols, Sec-WebSocket-Accept:" "(correct)" "<- pong \"are you there?\""
    "code=1000 Normal Closure" "summary: 1 connection served, 20 bytes echoed")
if [ "$(id -u)" = 0 ]; then
    expect+=("Flags [S]" "Flags [S.]" "Flags [F.]" "Ethernet II: read by the network card"
        "ws client→server: text fin=1 rsv=000 masked key=" "ws server→client: pong"
        "(correct)" "closed: both sides sent FIN and both FINs were acknowledged")
fi
for line in "${expect[@]}"; do
    grep -qF -- "$line" "$demo_log" || { cat "$demo_log"; echo "demo.sh output lacks: $line" >&2; exit 1; }
done
echo "demo.sh: ${#expect[@]} expected lines present"
rm -f "$demo_log"
