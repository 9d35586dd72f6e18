#!/usr/bin/env bash
# Installs the independent IPFS implementations the tests compare against, into this folder:
# npm packages (Helia's importer, ipfs-car; js-ipfs and the pinning mock in jsipfs/; the Storacha
# upload service, JS client and CLI in storacha/) and a Python venv (Kubo's importer as a C library).
# Safe to re-run: it skips what is already installed and current.
set -euo pipefail
cd "$(dirname "$0")"

stamp=node_modules/.ipfs-kit-lock
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# js-ipfs 0.66 (a node with the Kubo RPC API) and the Pinning Service API's reference server,
# in a folder of their own: js-ipfs needs npm overrides that must not touch the oracles above.
jstamp=jsipfs/node_modules/.ipfs-kit-lock
if ! cmp -s jsipfs/package-lock.json "$jstamp" 2>/dev/null; then
  # `npm install`, not `npm ci`: js-ipfs pulls electron-eval, whose optional dependency
  # `headless` is a GitHub tarball. No registry serves it, so the lock cannot hold it and
  # `npm ci` refuses the lock; `npm install` installs the locked versions and skips it.
  (cd jsipfs && npm install --no-audit --no-fund --loglevel=error)
  cp jsipfs/package-lock.json "$jstamp"
fi

# The Storacha upload service's test context, the JS client and the storacha CLI, in a folder
# of their own (a different multiformats major than the oracles above).
sstamp=storacha/node_modules/.ipfs-kit-lock
if ! cmp -s storacha/package-lock.json "$sstamp" 2>/dev/null; then
  (cd storacha && npm ci --no-audit --no-fund --loglevel=error)
  cp storacha/package-lock.json "$sstamp"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -m pip freeze 2>/dev/null | grep -qxFf <(grep -v '^#' requirements.txt); then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
fi
echo "interop peers ready: $(node --version), ipfs-car $(node -p 'require("./node_modules/ipfs-car/package.json").version'), kubo-python $(.venv/bin/python -m pip show kubo-python 2>/dev/null | sed -n 's/^Version: //p'), js-ipfs $(node -p 'require("./jsipfs/node_modules/ipfs/package.json").version'), storacha upload-api $(node -p 'require("./storacha/node_modules/@storacha/upload-api/package.json").version')"
