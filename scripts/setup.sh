#!/usr/bin/env bash
# Sets up a fresh machine for ipfs-kit: builds the release binary and installs the interop peers
# the tests and benchmarks compare against (npm and PyPI packages, into tests/interop/).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
bash tests/interop/setup.sh
