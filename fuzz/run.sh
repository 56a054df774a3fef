#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and fails on the first crash, leak or
# out-of-memory. Usage: fuzz/run.sh [--quick] [SECONDS] [TARGET...]
#
# By default the targets are release code with overflow checks and debug assertions, under
# AddressSanitizer (which also finds leaks): the thorough run, for a long session. --quick
# builds them unoptimised and without AddressSanitizer, in a few minutes rather than twenty
# on 2 cores: every property, panic, overflow and memory limit is still checked (Skiff's
# code has no `unsafe`, which is what AddressSanitizer watches), at fewer executions per
# second. CI runs `bash fuzz/run.sh --quick 30`.
#
# Toolchain: `cargo +nightly fuzz` when a nightly toolchain is installed, else stable with
# RUSTC_BOOTSTRAP=1 (sanitizers are nightly flags). SKIFF_FUZZ_TOOLCHAIN=stable forces the
# second way. Installs cargo-fuzz if it is missing. Two targets run at a time (2 cores).
#
# The committed seeds (corpus/<target>/seed-*, from seed.sh) are read only; what a run
# adds goes to target/run-corpus/<target>. A crash leaves its input in
# artifacts/<target>/; replay it with `cargo fuzz run TARGET artifacts/TARGET/crash-...`.
set -euo pipefail
cd "$(dirname "$0")"
build=(-a)
if [ "${1:-}" = --quick ]; then
    build=(--dev -s none)
    shift
fi
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(reply pasv feat mlsd list url sftp)

if ! command -v cargo-fuzz >/dev/null; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
if [ "${SKIFF_FUZZ_TOOLCHAIN:-}" != stable ] && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi
echo "== fuzz: ${fuzz[*]} ${build[*]} (${RUSTC_BOOTSTRAP:+RUSTC_BOOTSTRAP=1, }$seconds s per target)"

"${fuzz[@]}" build "${build[@]}"

mkdir -p target/run-corpus target/run-logs
run_one() {
    local target=$1 log=target/run-logs/$1.log
    mkdir -p "target/run-corpus/$target"
    # rss/malloc limits turn unbounded allocation into a failure (AddressSanitizer alone
    # takes a few hundred MiB of rss); -timeout catches stalls.
    if "${fuzz[@]}" run "${build[@]}" "$target" "target/run-corpus/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=64 -timeout=10 \
        -max_len=8192 -print_final_stats=1 >"$log" 2>&1; then
        local execs rate
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
        rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
        echo "fuzz $target: ok, $execs executions, $rate/s"
    else
        echo "fuzz $target: FAILED (log: fuzz/$log)"
        grep -E -A30 'panicked|ERROR: |SUMMARY' "$log" | head -60
        return 1
    fi
}

failed=0
pending=()
for target in "${targets[@]}"; do
    run_one "$target" &
    pending+=($!)
    if [ ${#pending[@]} -ge 2 ]; then
        wait "${pending[0]}" || failed=1
        pending=("${pending[@]:1}")
    fi
done
for pid in "${pending[@]}"; do
    wait "$pid" || failed=1
done
if [ "$failed" -ne 0 ]; then
    echo "fuzz: a target failed; its input is under fuzz/artifacts/" >&2
    exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds} s without a failure"
