#!/usr/bin/env bash
# Crash soak: kill -9 the CLI's writing commands at random moments and require a consistent home.
#
#   scripts/crash_soak.sh N [--seed S] [--only 'gc,bucket mv'] [--delay-ms MS] [--keep DIR]
#
# N trials rotate through `bucket add`, `bucket rm-file`, `bucket mv`, `bucket snapshot`, `bucket
# restore`, `gc` and `car import`. Each command is first run un-killed (3 times) on a copy of its
# template home, which gives its run time T (median) and its new state; each trial copies the
# template (cp -a), starts the command and kills it at a uniform random moment in [0, 1.2 T].
# After the kill: `check --read-data` must report no errors, every bucket (root CID from `bucket
# info`, path+cid from `bucket files`), the snapshot list and, for gc, the dead blocks must be
# all in the old state or all in the new one, and a follow-up `bucket add` must succeed. Anything
# else is CORRUPT: the trial, command and delay are printed and the home is copied to --keep
# (default /tmp/soak-keep). Prints per-command old/new/corrupt counts and delay ranges; exits 1
# if any trial was corrupt. The seed (random unless --seed) is printed first.
#
# Environment: IPFS_KIT_BIN (default ./target/release/ipfs-kit), CRASH_SOAK_KEEP. Needs python3.
# Work happens in a mktemp -d directory, removed on exit.
set -euo pipefail
if [ "$#" -lt 1 ]; then
    sed -n '4p' "$0" | sed 's/^# *//' >&2
    exit 2
fi
export IPFS_KIT_BIN="${IPFS_KIT_BIN:-./target/release/ipfs-kit}"
exec python3 "$(dirname "$0")/crash_soak.py" "$@"
