#!/usr/bin/env bash
# Installs the independent IPFS implementations the tests compare against, into this folder:
# npm packages (Helia's importer, ipfs-car) and a Python venv (Kubo's importer as a C library).
# Safe to re-run: it skips what is already installed and current.
set -euo pipefail
cd "$(dirname "$0")"

stamp=node_modules/.ipfs-kit-lock
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -m pip freeze 2>/dev/null | grep -qxFf <(grep -v '^#' requirements.txt); then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
fi
echo "interop peers ready: $(node --version), ipfs-car $(node -p 'require("./node_modules/ipfs-car/package.json").version'), kubo-python $(.venv/bin/python -m pip show kubo-python 2>/dev/null | sed -n 's/^Version: //p')"
