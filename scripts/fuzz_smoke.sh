#!/usr/bin/env bash
# Fuzz smoke test: runs every cargo-fuzz target (fuzz/fuzz_targets/) for a short, fixed time.
#
#   scripts/fuzz_smoke.sh                 # all targets, 30 s each
#   FUZZ_SECONDS=120 scripts/fuzz_smoke.sh dag_pb
#
# Needs a nightly toolchain (installed with rustup if missing). cargo-fuzz is installed on first
# use into $CARGO_FUZZ_ROOT (default target/cargo-fuzz-tools, inside the ignored target dir so a
# CI cache of target/ keeps it). Seeds are regenerated from fuzz/make_seeds.py and copied into
# fuzz/corpus/<target>, the working corpus libFuzzer adds to, so fuzz/seeds/ stays clean.
# Exits non-zero if any target crashes, times out or runs out of memory, after printing the
# path of the reproducer libFuzzer saved under fuzz/artifacts/<target>/.
#
# Environment: FUZZ_SECONDS (30), FUZZ_TIMEOUT (per-input seconds, 20), FUZZ_SANITIZER
# (address), CARGO_FUZZ_ROOT, CARGO_FUZZ_VERSION (0.13.2), CARGO_TARGET_DIR (honoured).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ_DIR="$REPO/fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
TIMEOUT="${FUZZ_TIMEOUT:-20}"
SANITIZER="${FUZZ_SANITIZER:-address}"
CARGO_FUZZ_ROOT="${CARGO_FUZZ_ROOT:-$REPO/target/cargo-fuzz-tools}"
CARGO_FUZZ_VERSION="${CARGO_FUZZ_VERSION:-0.13.2}"
TOOLCHAIN="${FUZZ_TOOLCHAIN:-nightly}"

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in "$FUZZ_DIR"/fuzz_targets/*.rs; do
        targets+=("$(basename "$f" .rs)")
    done
fi

if ! rustup run "$TOOLCHAIN" rustc --version >/dev/null 2>&1; then
    echo "fuzz_smoke: installing the $TOOLCHAIN toolchain" >&2
    rustup toolchain install "$TOOLCHAIN" --profile minimal
fi

cargo_fuzz="$CARGO_FUZZ_ROOT/bin/cargo-fuzz"
if ! [ -x "$cargo_fuzz" ] || [ "$("$cargo_fuzz" --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    echo "fuzz_smoke: installing cargo-fuzz $CARGO_FUZZ_VERSION into $CARGO_FUZZ_ROOT" >&2
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" --root "$CARGO_FUZZ_ROOT"
fi
export PATH="$CARGO_FUZZ_ROOT/bin:$PATH"

python3 "$FUZZ_DIR/make_seeds.py"

failed=()
for target in "${targets[@]}"; do
    seeds="$FUZZ_DIR/seeds/$target"
    corpus="$FUZZ_DIR/corpus/$target"
    artifacts="$FUZZ_DIR/artifacts/$target"
    if ! [ -d "$seeds" ]; then
        echo "fuzz_smoke: no seed directory $seeds" >&2
        exit 2
    fi
    mkdir -p "$corpus" "$artifacts"
    cp "$seeds"/* "$corpus"/
    log="$artifacts/smoke.log"
    echo "fuzz_smoke: $target for ${SECONDS_PER_TARGET}s (log: $log)" >&2
    # The first corpus directory is the one libFuzzer writes new inputs to; cargo-fuzz points
    # -artifact_prefix at fuzz/artifacts/<target>/.
    if (cd "$REPO" && cargo "+$TOOLCHAIN" fuzz run --fuzz-dir "$FUZZ_DIR" --sanitizer "$SANITIZER" \
        "$target" "$corpus" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -max_len=1048576 \
        -timeout="$TIMEOUT" -print_final_stats=1) 2>&1 | tee "$log"; then
        echo "fuzz_smoke: $target: no crash" >&2
    else
        failed+=("$target")
        echo "fuzz_smoke: $target FAILED" >&2
        grep -E "Test unit written to|^artifact_prefix" "$log" >&2 || echo "  (no artifact written: build or setup failure?)" >&2
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz_smoke: failing targets: ${failed[*]}" >&2
    echo "fuzz_smoke: reproduce with: cargo +$TOOLCHAIN fuzz run --fuzz-dir fuzz <target> fuzz/artifacts/<target>/<file>" >&2
    exit 1
fi
echo "fuzz_smoke: all targets ran ${SECONDS_PER_TARGET}s without a crash" >&2
