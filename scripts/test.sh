#!/usr/bin/env bash
# The test command: formatting, lints, then every test, with the interop peers required so a
# missing peer fails instead of skipping. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/interop/setup.sh
cargo fmt --all -- --check
# --workspace: the root is also a package, so without it the member crates' own test targets go unlinted.
cargo clippy --release --locked --workspace --all-targets -- -D warnings
# The Python extension is left out here (it has no Rust tests, and linking it costs ~2 min of
# LTO): the wheel build below compiles it once.
IPFS_KIT_INTEROP=require cargo test --release --locked --workspace --exclude ipfs-kit-python
# The Python package: pip builds the abi3 wheel through maturin (PEP 517, the workspace's
# target dir, so only the extension itself is compiled here) into the peers' venv, then its
# pytest suite runs against the CLI and the peers.
tests/interop/.venv/bin/python -m pip install --quiet --disable-pip-version-check ./crates/python
tests/interop/.venv/bin/python -m pytest -q crates/python/tests
# A short crash soak (2 kill -9 trials per writing command, fixed seed): after each kill, check
# is clean and every bucket is in its old or its new state (scripts/crash_soak.sh).
IPFS_KIT_BIN=./target/release/ipfs-kit bash scripts/crash_soak.sh 14 --seed 1
# A short fuzz run of the CAR reader and the dag-pb decoder, seeded with the bad-input fixtures
# (fuzz/make_seeds.py); any crash fails the run and names its reproducer.
FUZZ_SECONDS="${FUZZ_SECONDS:-10}" bash scripts/fuzz_smoke.sh
