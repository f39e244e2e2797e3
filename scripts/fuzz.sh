#!/usr/bin/env bash
# Runs every cargo-fuzz target for a while, each from its committed seeds; any crash, panic,
# leak or timeout fails the script. scripts/test.sh runs it briefly so a regression that
# panics fails CI; run it longer by hand to search:
#
#   bash scripts/fuzz.sh                 # every target, 10 s each
#   bash scripts/fuzz.sh 600             # every target, 10 min each
#   bash scripts/fuzz.sh 3600 ws_tracker # one target (or several), an hour each
#
# Only the stable toolchain is needed: cargo-fuzz passes nightly-only flags (-Zsanitizer=address,
# coverage instrumentation) to rustc, and RUSTC_BOOTSTRAP=1 lets the stable compiler accept
# them; the AddressSanitizer runtime ships with stable's standard library. Builds are release
# with debug assertions (-a), so arithmetic overflow panics as in tests. All fuzz workspaces
# share one target directory, so crates they have in common (libfuzzer-sys, wire) build once;
# target names are therefore unique across workspaces. New inputs found go to
# target/fuzz/corpus/<target>, never into the seeds.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
shift || true
wanted=("$@")
workspaces=(crates/wire/fuzz crates/websocket/fuzz crates/raw-sniff/fuzz)
target_dir="$PWD/target/fuzz"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet
fi

failed=()
for ws in "${workspaces[@]}"; do
    crate="${ws%/fuzz}"
    targets=$(cd "$crate" && cargo fuzz list)
    echo "== fuzz: building $ws ($(echo $targets))"
    (cd "$crate" && cargo fuzz build -a --target-dir "$target_dir")
    for target in $targets; do
        if [ "${#wanted[@]}" -gt 0 ] && [[ ! " ${wanted[*]} " =~ " $target " ]]; then
            continue
        fi
        corpus="$target_dir/corpus/$target"
        mkdir -p "$corpus"
        dirs=("$corpus")
        [ -d "$ws/seeds/$target" ] && dirs+=("$PWD/$ws/seeds/$target")
        log="$target_dir/$target.log"
        # -timeout: one input taking this long is a hang, reported as a failure.
        if (cd "$crate" && cargo fuzz run -a --target-dir "$target_dir" "$target" "${dirs[@]}" \
            -- -max_total_time="$seconds" -timeout=20 -print_final_stats=1 \
            -artifact_prefix="$target_dir/artifacts-$target-") >"$log" 2>&1; then
            runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
            echo "fuzz $target: ${seconds}s, $runs inputs, no failure"
        else
            tail -40 "$log"
            echo "fuzz $target FAILED (log: $log; the input is in $target_dir/artifacts-$target-*)" >&2
            failed+=("$target")
        fi
    done
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz targets failed: ${failed[*]}" >&2
    exit 1
fi
