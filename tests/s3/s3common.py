"""Shared support for the S3 client flows in this folder (boto3_flow.py, awscli_flow.py,
rclone_flow.py).

Each flow is run as `FLOW.py ENDPOINT ACCESS SECRET BUCKET WORKDIR [--ours] [--wrong-secret-check]
[--readonly-access RO_ID RO_SECRET]`. Helpers here:

- `parse_args`: that command line.
- `clean_env`: an environment with no dependence on ~/.aws or the machine's AWS settings (the
  credentials and region come from the arguments, AWS_CA_BUNDLE is removed: rclone fails with it
  set on this machine), used for this process and every client it starts.
- `Model`: what the flow believes the bucket holds (key -> bytes). At the end the flow lists and
  reads the bucket back with its own client, `Model.assert_matches` checks that listing against
  the model, and `Model.write_expected` writes WORKDIR/expected, a local tree whose files are the
  bucket's objects (key -> path), so a caller can compare `ipfs-kit hash --hidden` of it with the
  bucket's root.
- `check` / `fail`: assertions that exit non-zero with a message naming the flow.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys

FLOW = os.path.basename(sys.argv[0])


class FlowError(Exception):
    pass


def fail(msg):
    raise FlowError(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def check_eq(got, want, what):
    if got != want:
        fail(f"{what}: got {short(got)}, expected {short(want)}")


def short(v):
    if isinstance(v, (bytes, bytearray)):
        return f"<{len(v)} bytes md5 {hashlib.md5(v).hexdigest()}>"
    text = repr(v)
    return text if len(text) < 600 else text[:600] + "…"


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def multipart_etag(data, part_size):
    """The ETag S3 gives an object uploaded in parts of `part_size` bytes (the last one shorter)."""
    digests = [hashlib.md5(data[i:i + part_size]).digest() for i in range(0, len(data), part_size)]
    return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("endpoint", help="http://127.0.0.1:PORT (path-style, region us-east-1)")
    p.add_argument("access")
    p.add_argument("secret")
    p.add_argument("bucket")
    p.add_argument("workdir")
    p.add_argument("--ours", action="store_true",
                   help="the server is ipfs-kit's: check its headers (x-amz-meta-cid, x-ipfs-kit-root) and its refusals")
    p.add_argument("--wrong-secret-check", action="store_true",
                   help="check that a wrong secret is refused with SignatureDoesNotMatch")
    p.add_argument("--readonly-access", nargs=2, metavar=("RO_ID", "RO_SECRET"),
                   help="a read-only key: check it can read but not write")
    p.add_argument("--no-presigned", action="store_true",
                   help="skip presigned URLs (boto3 flow; for moto with IAM auth on, which fails on them)")
    args = p.parse_args()
    args.endpoint = args.endpoint.rstrip("/")
    args.workdir = os.path.abspath(args.workdir)
    os.makedirs(args.workdir, exist_ok=True)
    return args


def clean_env(args, access=None, secret=None):
    """The environment for this flow and its clients: credentials and region from the arguments,
    no config files, no instance metadata, no CA bundle override, no proxy for loopback."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("AWS_") or k.startswith("RCLONE_") or k.lower().endswith("_proxy"))}
    cfg = os.path.join(args.workdir, "no-aws-config")
    env.update({
        "AWS_ACCESS_KEY_ID": access or args.access,
        "AWS_SECRET_ACCESS_KEY": secret or args.secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.path.join(cfg, "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(cfg, "credentials"),
        "AWS_PAGER": "",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    return env


def use_clean_env(args):
    """Replaces this process's environment by `clean_env` (before boto3 reads it)."""
    env = clean_env(args)
    os.environ.clear()
    os.environ.update(env)


def random_bytes(n, seed):
    """`n` deterministic pseudo-random bytes (so a failing run can be repeated)."""
    import random
    return random.Random(seed).randbytes(n)


class Model:
    """What the bucket should hold: key -> bytes."""

    def __init__(self):
        self.objects = {}

    def put(self, key, data):
        self.objects[key] = bytes(data)

    def delete(self, key):
        self.objects.pop(key, None)

    def delete_prefix(self, prefix):
        for k in [k for k in self.objects if k.startswith(prefix)]:
            del self.objects[k]

    def keys(self):
        return sorted(self.objects)

    def assert_matches(self, listing, read):
        """`listing` is {key: size} as the client listed the whole bucket; `read(key)` its bytes."""
        check_eq(sorted(listing), self.keys(), "the bucket's final keys")
        for key, data in self.objects.items():
            check_eq(listing[key], len(data), f"listed size of {key!r}")
            check_eq(read(key), data, f"final bytes of {key!r}")

    def write_expected(self, workdir):
        """WORKDIR/expected: one file per object, at the object's key; returns its path."""
        root = os.path.join(workdir, "expected")
        if os.path.exists(root):
            shutil.rmtree(root)
        os.makedirs(root)
        for key, data in self.objects.items():
            path = os.path.join(root, *key.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        return root


def tree_files(root):
    """{relative path with '/': bytes} of every file under `root`."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, "rb") as f:
                out[rel] = f.read()
    return out


def write_tree(root, files):
    for rel, data in files.items():
        path = os.path.join(root, *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def set_old_mtimes(root, seconds_ago=3600):
    """Files written just now can be newer than the object the server stores (its LastModified
    has second precision): date them an hour back so size-and-time syncs see them as unchanged."""
    import time
    t = time.time() - seconds_ago
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(dirpath, name), (t, t))


def scratch(workdir, name):
    path = os.path.join(workdir, name)
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    return path


def run_flow(main):
    """Runs `main()`, which returns the summary dict; prints it as one JSON line, or exits 1."""
    try:
        summary = main()
    except FlowError as e:
        sys.stderr.write(f"{FLOW}: FAILED: {e}\n")
        sys.exit(1)
    except Exception as e:  # a client error no check expected: the traceback says where
        import traceback
        traceback.print_exc()
        sys.stderr.write(f"{FLOW}: FAILED: unexpected {type(e).__name__}: {e}\n")
        sys.exit(1)
    print(json.dumps({"flow": FLOW, "ok": True, **summary}, ensure_ascii=False, sort_keys=True))
