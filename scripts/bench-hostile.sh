#!/usr/bin/env bash
# Runs the hostile-client suite at full size and prints one markdown table: for each attack,
# the server's peak resident memory, the CPU time it spent, whether other clients were still
# served during the attack, and the verdict of the test's own bounds.
#
# The cases are the `hostile*` integration tests of tcp-echo and ws-chat: by default they run
# small enough for every CI run; with SOCKLAB_HOSTILE=full they run at the sizes an attacker
# would use (thousands of connections, tens of thousands of frames). Each prints a line
#   hostile: case=NAME peak_rss_mib=F cpu_s=F others_served=yes|no|n/a verdict=pass|FAIL note=TEXT
# which this script gathers. Every attack goes to 127.0.0.0/8 and is bounded in count and time.
#
# usage: scripts/bench-hostile.sh [--small]
#   --small   run the CI sizes instead (a quick check of the script itself)
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE=full
usage() {
    sed -n '2,14s/^# \{0,1\}//p' "$0"
}
while [ $# -gt 0 ]; do
    case "$1" in
        --small) SCALE=small; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "bench-hostile.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

if [ -z "${SOCKLAB_PYTHON:-}" ] && [ -x .venv/bin/python ]; then
    export SOCKLAB_PYTHON=$PWD/.venv/bin/python
fi

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
echo "== building and running the hostile-client suite in release ($SCALE size); this takes minutes" >&2
status=0
# One test at a time: each attack gets the machine to itself, so its figures are its own.
# --no-fail-fast: a case over its bounds is a row of the table, not the end of the run.
SOCKLAB_HOSTILE=$SCALE cargo test --release --locked --no-fail-fast -p tcp-echo -p ws-chat \
    --test 'hostile*' -- --nocapture --test-threads=1 > "$LOG" 2>&1 || status=$?

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
    "Linux $(uname -r), $(date -u +%Y-%m-%d); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| case | server peak RSS (MiB) | server CPU (s) | others served | verdict | note |"
echo "| --- | ---: | ---: | --- | --- | --- |"
python3 - "$LOG" <<'EOF'
import re, sys
rows = 0
for line in open(sys.argv[1], errors="replace"):
    # With --nocapture the line may follow the harness's "test NAME ... " on the same line.
    if "hostile: case=" not in line:
        continue
    line = line[line.index("hostile: case="):]
    fields = dict(re.findall(r"(\w+)=(\S+)", line.split(" note=")[0]))
    note = line.split(" note=", 1)[1].strip() if " note=" in line else ""
    print("| {} | {} | {} | {} | {} | {} |".format(
        fields.get("case", "?"), fields.get("peak_rss_mib", "?"), fields.get("cpu_s", "?"),
        fields.get("others_served", "?"), fields.get("verdict", "?"), note.replace("|", "\\|")))
    rows += 1
if rows == 0:
    print("| (no case reported) | | | | FAIL | |")
EOF
if [ "$status" != 0 ]; then
    echo
    echo "bench-hostile.sh: some cases failed their bounds; the test output follows" >&2
    grep -v 'hostile: case=' "$LOG" | tail -60 >&2
fi
exit "$status"
