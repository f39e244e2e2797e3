#!/usr/bin/env bash
# compare-output.sh OLD NEW DIR...: runs two raw-sniff binaries over every capture in the
# directories, in every output mode (line, -v, --explain, --json, --ws-messages), and lists the
# outputs that differ, by mode, then the first differing files. A refactoring of the decoder or
# the printers should leave the list empty; a change of output should explain every entry.
#
#   scripts/compare-output.sh /tmp/raw-sniff-old target/release/raw-sniff crates/wire/tests/data
#
# Outputs are kept under $COMPARE_OUT (default: a new temporary directory) for `diff -r`.
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,8s/^# \{0,1\}//p' "$0" >&2; exit 2; }
old=$1 new=$2
shift 2
out=${COMPARE_OUT:-$(mktemp -d)}
mkdir -p "$out/old" "$out/new"
snap() { # BIN DEST
    local bin=$1 dest=$2
    for dir in "${dirs[@]}"; do
        find "$dir" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.pcap.*' \)
    done | sort | while read -r f; do
        b=$(basename "$f")
        for mode in line -v --explain --json --ws-messages; do
            args=(--no-color)
            [ "$mode" != line ] && args+=("$mode")
            # The program's own name is not what differs between two builds.
            { timeout 20 "$bin" -r "$f" "${args[@]}" 2>&1; echo "exit status $?"; } |
                sed "s|$bin|raw-sniff|g" > "$dest/$b.$mode"
        done
    done
}
dirs=("$@")
snap "$old" "$out/old"
snap "$new" "$out/new"
changed=$(diff -rq "$out/old" "$out/new" | awk '{print $2}' || true)
total=$(find "$out/old" -type f | wc -l)
echo "outputs: $total; differing: $(printf '%s' "$changed" | grep -c . || true)"
for mode in line -v --explain --json --ws-messages; do
    printf '  %-14s %s\n' "$mode" "$(printf '%s\n' "$changed" | grep -c -- "\.$mode\$" || true)"
done
printf '%s\n' "$changed" | grep . | head -20 | sed "s|^$out/old/|  |"
grep -l "panicked" "$out/new"/* 2>/dev/null | sed 's|^|panicked: |' || true
echo "outputs kept in $out"
