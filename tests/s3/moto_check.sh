#!/usr/bin/env bash
# Runs the S3 client flows of this folder against moto's server, a reference S3 endpoint, to show
# that the flows themselves are right (what they assert holds for a real S3 implementation).
# ipfs-kit's own server is tested with the same flows and `--ours` by tests/s3_clients.rs.
#
# Two rounds, each with a moto of its own:
# 1. moto as it starts (no authentication): every flow as is.
# 2. moto with IAM authentication on (INITIAL_NO_AUTH_ACTION_COUNT): a read-write user and a
#    read-only one made through IAM, and every flow run with `--wrong-secret-check
#    --readonly-access RO_ID RO_SECRET`, so the refusals the flows expect (SignatureDoesNotMatch,
#    AccessDenied) are checked against a real implementation too. `--no-presigned` for boto3
#    there: moto fails (500) on presigned URLs when its auth is on.
#
# usage: tests/s3/moto_check.sh [FLOW…]   (default: boto3 awscli rclone)
# Needs tests/interop/setup.sh (the venv with boto3, awscli and moto; Debian's rclone).
# moto listens on 127.0.0.1 only; it is stopped by its PID. Exits non-zero if a flow fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../interop/.venv"
py="$venv/bin/python"
[ -x "$venv/bin/moto_server" ] || { echo "moto_check: no moto_server in $venv: run tests/interop/setup.sh" >&2; exit 2; }

flows=("$@")
[ "${#flows[@]}" -gt 0 ] || flows=(boto3 awscli rclone)

work="$(mktemp -d)"
moto_pid=""
stop_moto() {
  if [ -n "$moto_pid" ]; then
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
    moto_pid=""
  fi
}
cleanup() {
  stop_moto
  rm -rf "$work"
}
trap cleanup EXIT

# start_moto LOG [VAR=VALUE…]: moto on a free loopback port; sets $endpoint. Readiness is a TCP
# connect, not a request (with auth on, every request counts against the unauthenticated ones).
start_moto() {
  local log="$1"
  shift
  local port
  port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  env -u AWS_CA_BUNDLE AWS_ACCESS_KEY_ID=moto AWS_SECRET_ACCESS_KEY=moto AWS_DEFAULT_REGION=us-east-1 "$@" \
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  moto_pid=$!
  endpoint="http://127.0.0.1:$port"
  for _ in $(seq 150); do
    "$py" -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)" 2>/dev/null && return 0
    kill -0 "$moto_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "moto_check: moto_server did not start:" >&2
  cat "$log" >&2
  exit 2
}

failed=()
# run_flow ROUND FLOW ACCESS SECRET [FLAGS…]: a fresh bucket per flow (the flows create it).
run_flow() {
  local round="$1" flow="$2" access="$3" secret="$4"
  shift 4
  local out
  if out="$("$py" "$here/${flow}_flow.py" "$endpoint" "$access" "$secret" "moto-$round-$flow" \
      "$work/$round-$flow" "$@" 2>&1)"; then
    echo "moto_check: $round: $flow: ok: $(printf '%s\n' "$out" | tail -1)"
  else
    echo "moto_check: $round: $flow: FAILED" >&2
    printf '%s\n' "$out" | tail -20 >&2
    failed+=("$round:$flow")
  fi
}

# The IAM users of round 2: prints "RW_ID RW_SECRET RO_ID RO_SECRET".
make_keys() {
  env -u AWS_CA_BUNDLE AWS_ACCESS_KEY_ID=moto AWS_SECRET_ACCESS_KEY=moto AWS_DEFAULT_REGION=us-east-1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null "$py" -c '
import json, sys
import boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1")
keys = []
# s3:Head*: moto checks HEAD of an object against an s3:Head… action (S3 itself: s3:GetObject).
for user, actions in [("rw", ["s3:*"]), ("ro", ["s3:Get*", "s3:List*", "s3:Head*"])]:
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName=user + "-s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    keys += [key["AccessKeyId"], key["SecretAccessKey"]]
print(" ".join(keys))
' "$endpoint"
}

# Round 1: no authentication.
start_moto "$work/moto-open.log"
for flow in "${flows[@]}"; do
  run_flow open "$flow" AKIAMOTOEXAMPLE moto-secret
done
stop_moto

# Round 2: IAM authentication; the first 6 requests (2 users, 2 policies, 2 keys) go unchecked.
start_moto "$work/moto-auth.log" INITIAL_NO_AUTH_ACTION_COUNT=6
read -r rw_id rw_secret ro_id ro_secret <<<"$(make_keys)"
[ -n "${ro_secret:-}" ] || { echo "moto_check: could not make the IAM keys" >&2; exit 2; }
for flow in "${flows[@]}"; do
  extra=(--wrong-secret-check --readonly-access "$ro_id" "$ro_secret")
  if [ "$flow" = boto3 ]; then extra+=(--no-presigned); fi
  run_flow auth "$flow" "$rw_id" "$rw_secret" "${extra[@]}"
done
stop_moto

if [ "${#failed[@]}" -gt 0 ]; then
  echo "moto_check: failed: ${failed[*]}" >&2
  exit 1
fi
echo "moto_check: all flows passed against moto $("$py" -m pip show moto 2>/dev/null | sed -n 's/^Version: //p') (open, and with IAM auth)"
