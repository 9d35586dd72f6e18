#!/usr/bin/env python3
"""The aws CLI (v1, the venv's `aws`) against an S3 endpoint: `aws s3` as a user types it.

usage: awscli_flow.py ENDPOINT ACCESS SECRET BUCKET WORKDIR [--ours] [--wrong-secret-check]
                      [--readonly-access RO_ID RO_SECRET]

Asserts, against the endpoint (path-style, region us-east-1; a temp AWS_CONFIG_FILE, nothing from
~/.aws):
- `s3 mb` (if the bucket is missing), and the bucket starts empty;
- `s3 cp` up and down of a small file, a 9 MiB file (multipart: the CLI's threshold is 8 MiB) and
  keys with spaces and unicode, byte for byte; `s3 ls` of a prefix shows their names and sizes;
- `s3 sync` of a local tree (nested folders, a dot file, an empty file, unicode names) uploads
  each file once; a second sync transfers nothing (empty output); `s3 sync` down into another
  folder gives the same tree; after a local file is deleted and another changed,
  `sync --delete` deletes exactly that object and uploads exactly the changed one;
- `s3 mv` between keys moves (source gone, bytes at the destination);
- `s3 rm --recursive` of a prefix removes it and nothing else;
- in a second bucket (BUCKET-rb): `s3 mb`, `s3 cp`, `s3 rb --force` removes it from `s3 ls`;
- with --wrong-secret-check: `s3 cp` with a wrong secret fails with SignatureDoesNotMatch;
- with --readonly-access: the read-only key can `s3 cp` down but not up (AccessDenied);
- with --ours: `s3api head-object` gives Metadata.cid for every final object;
- at the end `s3 ls --recursive` and a `s3 sync` down show exactly the model's keys and bytes.
Leaves WORKDIR/expected (the bucket's final content as a tree) and prints one JSON summary line;
exits 1 with a message on the first failed check.
"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the scripts

from s3common import (Model, check, check_eq, clean_env, fail, parse_args, random_bytes, run_flow, scratch,
                      set_old_mtimes, tree_files, write_tree)

MiB = 1024 * 1024


def main():
    args = parse_args(__doc__.splitlines()[0])
    work = args.workdir
    b = args.bucket
    b2 = f"{b}-rb"
    model = Model()
    # The `aws` next to this Python (the venv's), not one on PATH.
    aws_bin = os.path.join(os.path.dirname(sys.executable), "aws")
    check(os.path.exists(aws_bin), f"no aws CLI at {aws_bin}")

    def env_for(access=None, secret=None):
        env = clean_env(args, access, secret)
        cfg = os.path.join(work, "aws-config")
        with open(cfg, "w") as f:
            f.write("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n")
        env["AWS_CONFIG_FILE"] = cfg
        env["PYTHONIOENCODING"] = "utf-8"
        return env

    env = env_for()

    def aws(*argv, ok=True, env=env):
        cmd = [aws_bin, "--endpoint-url", args.endpoint, *argv]
        p = subprocess.run(cmd, env=env, cwd=work, capture_output=True, text=True, encoding="utf-8", timeout=600)
        if ok and p.returncode != 0:
            fail(f"`aws {' '.join(argv)}` exited {p.returncode}: {p.stderr.strip()[-1500:]}")
        return p

    # aws runs in WORKDIR and names local files relative to it (src/…, synctree/…).
    def lines(p):
        return [l for l in p.stdout.splitlines() if l.strip()]

    def ls_recursive(uri):
        """{key: size} from `aws s3 ls --recursive URI` (bucket-relative keys)."""
        p = aws("s3", "ls", "--recursive", uri, ok=False)
        if p.returncode not in (0, 1) or (p.returncode == 1 and p.stdout.strip()):
            fail(f"`aws s3 ls --recursive {uri}` exited {p.returncode}: {p.stderr.strip()}")
        out = {}
        for line in lines(p):
            _date, _time, size, key = line.split(None, 3)
            out[key] = int(size)
        return out

    def s3_bytes(key):
        dst = os.path.join(work, "one-down.bin")
        aws("s3", "cp", f"s3://{b}/{key}", dst, "--no-progress")
        with open(dst, "rb") as f:
            data = f.read()
        os.remove(dst)
        return data

    # The bucket: made if missing, and empty.
    buckets = [l.split(None, 2)[2] for l in lines(aws("s3", "ls"))]
    if b not in buckets:
        check_eq(lines(aws("s3", "mb", f"s3://{b}")), [f"make_bucket: {b}"], "s3 mb output")
    check_eq(ls_recursive(f"s3://{b}"), {}, "the bucket at the start")

    # cp up and down; ls of a prefix.
    src = scratch(work, "src")
    files = {
        "small.txt": b"a small file for aws s3 cp\n",
        "nine.bin": random_bytes(9 * MiB + 777, 11),
        "with space é.txt": "spaces and é in the key\n".encode(),
        "日本語.txt": "unicode key\n".encode(),
    }
    write_tree(src, files)
    for name, data in files.items():
        out = aws("s3", "cp", os.path.join(src, name), f"s3://{b}/cp/{name}", "--no-progress")
        check_eq(lines(out), [f"upload: src/{name} to s3://{b}/cp/{name}"], f"s3 cp output for {name}")
        model.put(f"cp/{name}", data)
    for name, data in files.items():
        check_eq(s3_bytes(f"cp/{name}"), data, f"s3 cp down of cp/{name}")
    listed = {}
    for line in lines(aws("s3", "ls", f"s3://{b}/cp/")):
        _d, _t, size, name = line.split(None, 3)
        listed[name] = int(size)
    check_eq(listed, {n: len(d) for n, d in files.items()}, "s3 ls of cp/")
    etag = json.loads(aws("s3api", "head-object", "--bucket", b, "--key", "cp/nine.bin").stdout)["ETag"]
    check(etag.strip('"').endswith("-2"), f"cp/nine.bin (9 MiB) was not a 2-part upload: ETag {etag}")

    # sync up, a second sync that does nothing, sync down.
    tree = scratch(work, "synctree")
    tree_content = {
        "top.txt": b"top of the synced tree\n",
        ".dotfile": b"hidden files are synced too\n",
        "empty.txt": b"",
        "sub/a.bin": random_bytes(70_000, 12),
        "sub/deeper/b.txt": b"deeper\n",
        "sub/deeper/ü ñ.txt": "unicode in a synced name\n".encode(),
        "del/me.txt": b"deleted locally, then by sync --delete\n",
        "del/keep.txt": b"kept\n",
        "change.txt": b"before\n",
        "mvme.txt": b"moved with s3 mv\n",
        "rmdir/one.txt": b"removed by s3 rm --recursive\n",
        "rmdir/two/three.txt": b"removed too\n",
        "rmdir-not/stays.txt": b"a sibling prefix that must stay\n",
    }
    write_tree(tree, tree_content)
    set_old_mtimes(tree)
    out = lines(aws("s3", "sync", tree, f"s3://{b}/sync/", "--no-progress"))
    check(all(l.startswith("upload: ") for l in out), f"first sync output {out}")
    check_eq(sorted(l.rsplit(f" to s3://{b}/sync/", 1)[1] for l in out), sorted(tree_content), "files uploaded by sync")
    for rel, data in tree_content.items():
        model.put(f"sync/{rel}", data)
    again = aws("s3", "sync", tree, f"s3://{b}/sync/", "--no-progress")
    check_eq(again.stdout, "", "a second sync of the same tree (must transfer nothing)")
    down = scratch(work, "syncdown")
    aws("s3", "sync", f"s3://{b}/sync/", down, "--no-progress")
    check_eq(tree_files(down), tree_content, "the tree synced down")

    # sync --delete after a local delete and a local change.
    os.remove(os.path.join(tree, "del", "me.txt"))
    with open(os.path.join(tree, "change.txt"), "wb") as f:
        f.write(b"after, and longer\n")
    out = sorted(lines(aws("s3", "sync", tree, f"s3://{b}/sync/", "--delete", "--no-progress")))
    check_eq(out, [f"delete: s3://{b}/sync/del/me.txt",
                   f"upload: synctree/change.txt to s3://{b}/sync/change.txt"],
             "sync --delete output")
    model.delete("sync/del/me.txt")
    model.put("sync/change.txt", b"after, and longer\n")
    check_eq(sorted(ls_recursive(f"s3://{b}/sync/del/")), ["sync/del/keep.txt"], "sync/del/ after sync --delete")
    check_eq(s3_bytes("sync/change.txt"), b"after, and longer\n", "sync/change.txt after sync --delete")

    # mv between keys.
    out = lines(aws("s3", "mv", f"s3://{b}/sync/mvme.txt", f"s3://{b}/moved/mvme.txt", "--no-progress"))
    check_eq(out, [f"move: s3://{b}/sync/mvme.txt to s3://{b}/moved/mvme.txt"], "s3 mv output")
    model.put("moved/mvme.txt", model.objects.pop("sync/mvme.txt"))
    check_eq(ls_recursive(f"s3://{b}/sync/mvme.txt"), {}, "the source of s3 mv")
    check_eq(s3_bytes("moved/mvme.txt"), model.objects["moved/mvme.txt"], "the destination of s3 mv")

    # rm --recursive of a prefix.
    out = sorted(lines(aws("s3", "rm", "--recursive", f"s3://{b}/sync/rmdir/")))
    check_eq(out, [f"delete: s3://{b}/sync/rmdir/one.txt", f"delete: s3://{b}/sync/rmdir/two/three.txt"],
             "s3 rm --recursive output")
    model.delete_prefix("sync/rmdir/")
    check_eq(ls_recursive(f"s3://{b}/sync/rmdir/"), {}, "sync/rmdir/ after rm --recursive")
    check_eq(sorted(ls_recursive(f"s3://{b}/sync/rmdir-not/")), ["sync/rmdir-not/stays.txt"], "the sibling prefix")

    # A second bucket: mb, cp, rb --force.
    check_eq(lines(aws("s3", "mb", f"s3://{b2}")), [f"make_bucket: {b2}"], "s3 mb of the second bucket")
    aws("s3", "cp", os.path.join(src, "small.txt"), f"s3://{b2}/x/small.txt", "--no-progress")
    aws("s3", "cp", os.path.join(src, "nine.bin"), f"s3://{b2}/nine.bin", "--no-progress")
    check_eq(sorted(ls_recursive(f"s3://{b2}")), ["nine.bin", "x/small.txt"], "the second bucket")
    out = lines(aws("s3", "rb", f"s3://{b2}", "--force"))
    check(f"remove_bucket: {b2}" in out, f"s3 rb --force output {out}")
    buckets = [l.split(None, 2)[2] for l in lines(aws("s3", "ls"))]
    check(b2 not in buckets and b in buckets, f"s3 ls after rb: {buckets}")

    if args.wrong_secret_check:
        p = aws("s3", "cp", os.path.join(src, "small.txt"), f"s3://{b}/wrong/secret.txt", ok=False,
                env=env_for(secret=args.secret + "x"))
        check(p.returncode != 0 and "SignatureDoesNotMatch" in p.stderr,
              f"s3 cp with a wrong secret: exit {p.returncode}, {p.stderr.strip()}")
        check_eq(ls_recursive(f"s3://{b}/wrong/"), {}, "after a cp with a wrong secret")

    if args.readonly_access:
        ro = env_for(*args.readonly_access)
        dst = os.path.join(work, "ro-down.txt")
        aws("s3", "cp", f"s3://{b}/cp/small.txt", dst, "--no-progress", env=ro)
        with open(dst, "rb") as f:
            check_eq(f.read(), files["small.txt"], "read-only key: s3 cp down")
        p = aws("s3", "cp", os.path.join(src, "small.txt"), f"s3://{b}/ro/denied.txt", ok=False, env=ro)
        check(p.returncode != 0 and "AccessDenied" in p.stderr,
              f"read-only key: s3 cp up: exit {p.returncode}, {p.stderr.strip()}")
        check_eq(ls_recursive(f"s3://{b}/ro/"), {}, "after the read-only key's cp up")

    # The final content.
    final = scratch(work, "finaldown")
    aws("s3", "sync", f"s3://{b}", final, "--no-progress")
    downloaded = tree_files(final)
    model.assert_matches(ls_recursive(f"s3://{b}"), lambda key: downloaded.get(key))
    check_eq(sorted(downloaded), model.keys(), "files of the final sync down")

    summary = {"bucket": b, "keys": len(model.objects)}
    if args.ours:
        cids = {}
        for key in model.keys():
            head = json.loads(aws("s3api", "head-object", "--bucket", b, "--key", key).stdout)
            cid = head.get("Metadata", {}).get("cid")
            check(cid, f"s3api head-object of {key!r}: no Metadata.cid in {head}")
            cids[key] = cid
        summary["cids"] = cids
    model.write_expected(work)
    return summary


if __name__ == "__main__":
    run_flow(main)
