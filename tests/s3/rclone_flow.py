#!/usr/bin/env python3
"""rclone (Debian's, `rclone` on PATH) against an S3 endpoint, configured only through RCLONE_*
environment variables (type s3, provider Other, path-style, region us-east-1, AWS_CA_BUNDLE unset).

usage: rclone_flow.py ENDPOINT ACCESS SECRET BUCKET WORKDIR [--ours] [--wrong-secret-check]
                      [--readonly-access RO_ID RO_SECRET]

Asserts, against the endpoint:
- the bucket exists (`rclone mkdir` if missing) and starts empty;
- `rclone copy` of a small file, a unicode-named file and a 12 MiB file sent multipart
  (`--s3-chunk-size 5M --s3-upload-cutoff 5M`: 3 parts, ETag md5(part md5s)-3);
- `rclone check` (MD5) of the local folder against the remote finds 0 differences and every file
  matching, with no hash left unchecked;
- `rclone cat --offset --count` (from the start and from the end) gives those bytes;
- `rclone moveto` moves (source gone, bytes at the destination);
- `rclone touch` creates an empty object, and `touch -t` sets an existing object's modification
  time (a CopyObject with REPLACE) without changing its bytes;
- `rclone purge` of a prefix removes it and nothing else; `rclone purge` of a second bucket
  (BUCKET-rc2) removes the bucket;
- with --wrong-secret-check: a copy with a wrong secret fails with SignatureDoesNotMatch;
- with --readonly-access: the read-only key can `cat` but not `copy` (AccessDenied);
- with --ours: `lsjson -M` shows the cid metadata (x-amz-meta-cid) of every final object;
- at the end `lsjson -R` and a `copy` down show exactly the model's keys and bytes.
Leaves WORKDIR/expected (the bucket's final content as a tree) and prints one JSON summary line;
exits 1 with a message on the first failed check.
"""
import json
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the scripts

from s3common import (Model, check, check_eq, clean_env, fail, md5_hex, multipart_etag, parse_args,
                      random_bytes, run_flow, scratch, tree_files, write_tree)

MiB = 1024 * 1024
REMOTE = "s3t"


def main():
    args = parse_args(__doc__.splitlines()[0])
    work = args.workdir
    b = args.bucket
    b2 = f"{b}-rc2"
    model = Model()
    rclone_bin = shutil.which("rclone")
    check(rclone_bin, "rclone is not on PATH (tests/interop/setup.sh installs it)")

    def env_for(access=None, secret=None):
        env = clean_env(args, access, secret)
        conf = os.path.join(work, "rclone.conf")
        open(conf, "w").close()
        prefix = f"RCLONE_CONFIG_{REMOTE.upper()}_"
        env.update({
            "RCLONE_CONFIG": conf,
            prefix + "TYPE": "s3",
            prefix + "PROVIDER": "Other",
            prefix + "ENDPOINT": args.endpoint,
            prefix + "ACCESS_KEY_ID": access or args.access,
            prefix + "SECRET_ACCESS_KEY": secret or args.secret,
            prefix + "REGION": "us-east-1",
            prefix + "FORCE_PATH_STYLE": "true",
        })
        return env

    env = env_for()

    def rclone(*argv, ok=True, env=env, binary=False):
        cmd = [rclone_bin, "--retries", "1", "--low-level-retries", "2", *argv]
        p = subprocess.run(cmd, env=env, cwd=work, capture_output=True, timeout=600)
        if ok and p.returncode != 0:
            fail(f"`rclone {' '.join(argv)}` exited {p.returncode}: {p.stderr.decode(errors='replace')[-1500:]}")
        if not binary:
            p.stdout = p.stdout.decode("utf-8")
        p.stderr = p.stderr.decode("utf-8", errors="replace")
        return p

    def r(path=""):
        return f"{REMOTE}:{b}/{path}" if path else f"{REMOTE}:{b}"

    def lsjson(remote, *flags):
        return json.loads(rclone("lsjson", "-R", "--files-only", *flags, remote).stdout)

    def cat(key, *flags):
        return rclone("cat", *flags, r(key), binary=True).stdout

    def buckets():
        return [line.split()[-1] for line in rclone("lsd", f"{REMOTE}:").stdout.splitlines() if line.strip()]

    # Multipart uploads. After one, rclone 1.60 HEADs the object with the versionId the
    # completion answer gave; moto answers `x-amz-version-id: null` for an unversioned bucket and
    # then refuses `?versionId=null` (400), so against moto that HEAD is skipped.
    multipart = ["--s3-chunk-size", "5M", "--s3-upload-cutoff", "5M"] + ([] if args.ours else ["--s3-no-head"])

    # The bucket: made if missing, and empty.
    if b not in buckets():
        rclone("mkdir", r())
    check_eq(lsjson(r()), [], "the bucket at the start")

    # copy: small, unicode-named, and 12 MiB in 5 MiB parts.
    src = scratch(work, "src")
    files = {
        "small.txt": random_bytes(1000, 21),
        "ünï cödé & co.txt": "a unicode name through rclone\n".encode(),
        "big.bin": random_bytes(12 * MiB + 321, 22),
    }
    write_tree(src, files)
    rclone("copy", os.path.join(src, "small.txt"), r("rc/"))
    rclone("copy", os.path.join(src, "ünï cödé & co.txt"), r("rc/"))
    rclone("copy", os.path.join(src, "big.bin"), r("rc/"), *multipart)
    for name, data in files.items():
        model.put(f"rc/{name}", data)
    listed = {e["Path"]: e for e in lsjson(r("rc"), "--hash")}
    check_eq(sorted(listed), sorted(files), "lsjson of rc/ after copy")
    for name, data in files.items():
        check_eq(listed[name]["Size"], len(data), f"lsjson size of rc/{name}")
    etag = head_etag(args, b, "rc/big.bin")
    check_eq(etag, multipart_etag(files["big.bin"], 5 * MiB), "ETag of rc/big.bin (rclone multipart, 5 MiB parts)")
    check_eq(head_etag(args, b, "rc/small.txt"), md5_hex(files["small.txt"]), "ETag of rc/small.txt")

    # check (MD5): every file matched, nothing unchecked.
    p = rclone("check", src, r("rc"), ok=False)
    check(p.returncode == 0 and "0 differences found" in p.stderr, f"rclone check: exit {p.returncode}: {p.stderr}")
    check(f"{len(files)} matching files" in p.stderr, f"rclone check did not match every file: {p.stderr}")
    check("could not be checked" not in p.stderr, f"rclone check left hashes unchecked: {p.stderr}")

    # cat with offset and count.
    big = files["big.bin"]
    check_eq(cat("rc/big.bin", "--offset", "5242000", "--count", "100000"), big[5242000:5342000],
             "cat --offset 5242000 --count 100000")
    check_eq(cat("rc/big.bin", "--offset", "-1000", "--count", "300"), big[-1000:-700],
             "cat --offset -1000 --count 300")
    check_eq(cat("rc/small.txt"), files["small.txt"], "cat of rc/small.txt")

    # moveto.
    rclone("moveto", r("rc/small.txt"), r("rc/moved/small-moved.txt"))
    model.put("rc/moved/small-moved.txt", model.objects.pop("rc/small.txt"))
    check("small.txt" not in [e["Path"] for e in lsjson(r("rc"))], "rc/small.txt still there after moveto")
    check_eq(cat("rc/moved/small-moved.txt"), files["small.txt"], "bytes after moveto")

    # touch: a new empty object, and a new modification time on an existing one.
    rclone("touch", r("rc/touched-new.txt"))
    model.put("rc/touched-new.txt", b"")
    check_eq(cat("rc/touched-new.txt"), b"", "the object touch created")
    rclone("touch", "-t", "2020-01-02T03:04:05", r("rc/moved/small-moved.txt"))
    entry = {e["Path"]: e for e in lsjson(r("rc/moved"))}["small-moved.txt"]
    check(entry["ModTime"].startswith("2020-01-02T03:04:05"), f"ModTime after touch -t: {entry}")
    check_eq(cat("rc/moved/small-moved.txt"), files["small.txt"], "bytes after touch -t")

    # purge of a prefix, and of a second bucket.
    tmp = scratch(work, "tmp-tree")
    write_tree(tmp, {"a.txt": b"purged\n", "deep/b.txt": b"purged too\n"})
    rclone("copy", tmp, r("rc/tmp"))
    write_tree(scratch(work, "keep"), {"keep.txt": b"next to the purged prefix\n"})
    rclone("copy", os.path.join(work, "keep"), r("rc/tmp-not"))
    model.put("rc/tmp-not/keep.txt", b"next to the purged prefix\n")
    check_eq(sorted(e["Path"] for e in lsjson(r("rc/tmp"))), ["a.txt", "deep/b.txt"], "rc/tmp before purge")
    rclone("purge", r("rc/tmp"))
    check_eq(lsjson(r("rc/tmp")), [], "rc/tmp after purge")
    check_eq([e["Path"] for e in lsjson(r("rc/tmp-not"))], ["keep.txt"], "the sibling of the purged prefix")
    rclone("mkdir", f"{REMOTE}:{b2}")
    rclone("copy", src, f"{REMOTE}:{b2}/inside", *multipart)
    check_eq(len(lsjson(f"{REMOTE}:{b2}")), len(files), "files in the second bucket")
    rclone("purge", f"{REMOTE}:{b2}")
    names = buckets()
    check(b2 not in names and b in names, f"buckets after purging {b2}: {names}")

    if args.wrong_secret_check:
        # --no-check-dest: rclone would HEAD the destination first, and a refused HEAD has no
        # body to name the error; the PUT's answer does.
        p = rclone("copy", os.path.join(src, "small.txt"), r("wrong/"), "--s3-no-check-bucket", "--no-check-dest",
                   ok=False, env=env_for(secret=args.secret + "x"))
        check(p.returncode != 0 and "SignatureDoesNotMatch" in p.stderr,
              f"copy with a wrong secret: exit {p.returncode}: {p.stderr[-1500:]}")
        check_eq(lsjson(r("wrong")), [], "after a copy with a wrong secret")

    if args.readonly_access:
        ro = env_for(*args.readonly_access)
        got = rclone("cat", r("rc/moved/small-moved.txt"), env=ro, binary=True).stdout
        check_eq(got, files["small.txt"], "read-only key: cat")
        p = rclone("copy", os.path.join(src, "small.txt"), r("ro/"), "--s3-no-check-bucket", "--no-check-dest",
                   ok=False, env=ro)
        check(p.returncode != 0 and "AccessDenied" in p.stderr,
              f"read-only key: copy: exit {p.returncode}: {p.stderr[-1500:]}")
        check_eq(lsjson(r("ro")), [], "after the read-only key's copy")

    # The final content.
    listing = {e["Path"]: e["Size"] for e in lsjson(r())}
    final = scratch(work, "finaldown")
    rclone("copy", r(), final)
    downloaded = tree_files(final)
    model.assert_matches(listing, lambda key: downloaded.get(key))
    check_eq(sorted(downloaded), model.keys(), "files of the final copy down")

    summary = {"bucket": b, "keys": len(model.objects)}
    if args.ours:
        cids = {}
        for e in lsjson(r(), "-M"):
            cid = (e.get("Metadata") or {}).get("cid")
            check(cid, f"lsjson -M of {e['Path']!r}: no cid metadata: {e}")
            cids[e["Path"]] = cid
        check_eq(sorted(cids), model.keys(), "keys with a cid")
        summary["cids"] = cids
    model.write_expected(work)
    return summary


def head_etag(args, bucket, key):
    """The ETag of an object as a HEAD answer gives it (rclone shows MD5s, not ETags): asked with
    a bare SigV4-signed request through botocore, from the same venv."""
    import boto3
    from botocore.config import Config
    s3 = boto3.client("s3", endpoint_url=args.endpoint, region_name="us-east-1",
                      aws_access_key_id=args.access, aws_secret_access_key=args.secret,
                      config=Config(s3={"addressing_style": "path"}))
    return s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')


if __name__ == "__main__":
    run_flow(main)
