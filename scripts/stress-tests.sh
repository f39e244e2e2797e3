#!/usr/bin/env bash
# Runs every live, signal and shutdown test many times in a row while `stress-ng --cpu 2` keeps
# the machine as busy as a shared CI runner often is. A test that passes alone and fails here has
# a race: in the test (waiting on time instead of on an event) or in the code (a window where a
# signal, a packet or a byte is lost).
#
# The tests are built once; each round then runs every selected test binary from its package
# directory, as `cargo test` would. The script stops at the first failure and prints that run's
# output, unless --keep-going is given; it ends with a table of runs and failures per target.
#
# usage: scripts/stress-tests.sh [--runs 20] [--keep-going] [--no-stress] [--list] [TARGET...]
#   TARGET   an integration-test target name or shell glob (server_lifecycle, 'hostile*');
#            default: every test that starts a server, a sniffer or a real peer
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=20
KEEP_GOING=0
STRESS=1
LIST=0
PATTERNS=()
usage() {
    sed -n '2,13s/^# \{0,1\}//p' "$0"
}
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
        --keep-going) KEEP_GOING=1; shift ;;
        --no-stress) STRESS=0; shift ;;
        --list) LIST=1; shift ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "stress-tests.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
        *) PATTERNS+=("$1"); shift ;;
    esac
done
case "$RUNS" in
    '' | *[!0-9]* | 0) echo "stress-tests.sh: --runs wants a positive number, not '$RUNS'" >&2; exit 2 ;;
esac

# The live tests: each starts a server, a sniffer, a browser or a PHP/Python peer. Tests that
# only read files or check pure functions cannot race with the machine's load and are left out.
if [ "${#PATTERNS[@]}" -eq 0 ]; then
    PATTERNS=(
        # tcp-echo: every test target starts the server or a peer
        server_echo server_lifecycle client php_peers bench 'hostile*'
        # ws-chat
        protocol python_interop chromium signals inspect
        # raw-sniff: live capture on lo and in network namespaces, and the messages a live
        # capture prints before and after it starts
        'live_*' filter_live filter_kernel_refusal ws_live_tshark messages
        # raw-sniff --flow on a live capture, --graph rendered by headless Chromium
        flow_ladder flow_graph
        # examples
        examples_run
    )
fi

if [ "$STRESS" = 1 ] && ! command -v stress-ng >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stress-ng >/dev/null
    else
        echo "stress-tests.sh: stress-ng is missing and only root can install it (or pass --no-stress)" >&2
        exit 1
    fi
fi
if [ -z "${SOCKLAB_PYTHON:-}" ] && [ -x .venv/bin/python ]; then
    export SOCKLAB_PYTHON=$PWD/.venv/bin/python
fi

# Build once, and learn where each test binary is and which package directory it runs from.
echo "== building the tests" >&2
WORK=$(mktemp -d)
cargo test --workspace --locked --no-run --message-format=json 2>/dev/null > "$WORK/build.json" || {
    cargo test --workspace --locked --no-run
    exit 1
}
python3 - "$WORK/build.json" "${PATTERNS[@]}" > "$WORK/targets" <<'EOF'
import fnmatch, json, os, sys
path, patterns = sys.argv[1], sys.argv[2:]
seen = {}
for line in open(path):
    msg = json.loads(line)
    if msg.get("reason") != "compiler-artifact" or not msg.get("executable"):
        continue
    target = msg["target"]
    if target["kind"] != ["test"]:
        continue
    name = target["name"]
    if any(fnmatch.fnmatchcase(name, p) for p in patterns):
        pkg_dir = os.path.dirname(msg["manifest_path"])
        # Two packages may name a target alike (tcp-echo's and ws-chat's `bench`).
        seen[f"{os.path.basename(pkg_dir)}/{name}"] = (pkg_dir, msg["executable"])
for name in sorted(seen):
    pkg_dir, exe = seen[name]
    print(f"{name}\t{pkg_dir}\t{exe}")
EOF
if [ ! -s "$WORK/targets" ]; then
    echo "stress-tests.sh: no test target matches: ${PATTERNS[*]}" >&2
    exit 2
fi
if [ "$LIST" = 1 ]; then
    cut -f1 "$WORK/targets"
    rm -rf "$WORK"
    exit 0
fi

STRESS_PID=
cleanup() {
    if [ -n "$STRESS_PID" ]; then
        kill "$STRESS_PID" 2>/dev/null || true
        wait "$STRESS_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ "$STRESS" = 1 ]; then
    # No timeout of its own: the trap stops it when the runs end, however they end.
    stress-ng --cpu 2 --quiet &
    STRESS_PID=$!
    echo "== stress-ng --cpu 2 running beside the tests (pid $STRESS_PID)" >&2
fi

declare -A FAILS=()
declare -A SECONDS_SPENT=()
while IFS=$'\t' read -r name _ _; do
    FAILS[$name]=0
    SECONDS_SPENT[$name]=0
done < "$WORK/targets"

failed_any=0
for run in $(seq 1 "$RUNS"); do
    while IFS=$'\t' read -r name dir exe; do
        start=$(date +%s)
        if (cd "$dir" && "$exe" --quiet) < /dev/null > "$WORK/out" 2>&1; then
            status=ok
        else
            status=FAILED
            FAILS[$name]=$((FAILS[$name] + 1))
            failed_any=1
        fi
        took=$(($(date +%s) - start))
        SECONDS_SPENT[$name]=$((SECONDS_SPENT[$name] + took))
        printf 'run %2d/%d  %-28s %-6s %3ds\n' "$run" "$RUNS" "$name" "$status" "$took"
        if [ "$status" = FAILED ]; then
            echo "---- output of $name, run $run ----"
            cat "$WORK/out"
            echo "----"
            [ "$KEEP_GOING" = 1 ] || break 2
        fi
    done < "$WORK/targets"
done

echo
echo "| test target | runs | failures | mean seconds |"
echo "| --- | ---: | ---: | ---: |"
while IFS=$'\t' read -r name _ _; do
    printf '| %s | %d | %d | %d |\n' "$name" "$run" "${FAILS[$name]}" $((SECONDS_SPENT[$name] / run))
done < "$WORK/targets"
exit "$failed_any"
