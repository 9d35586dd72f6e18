#!/usr/bin/env python3
"""boto3 against an S3 endpoint: the calls a Python program makes, checked byte for byte.

usage: boto3_flow.py ENDPOINT ACCESS SECRET BUCKET WORKDIR [--ours] [--wrong-secret-check]
                     [--readonly-access RO_ID RO_SECRET] [--no-presigned]

Asserts, against the endpoint (path-style, region us-east-1, SigV4 unless said otherwise):
- the bucket exists (created if missing) and starts empty;
- `upload_file` of a 1 KiB file (one PutObject) and of a 20 MiB file (multipart, 8 MiB parts)
  give ETags md5(bytes) and md5(part md5s)-3; `download_file` brings both back byte for byte, the
  big one with several ranged GETs; explicit ranges (middle, suffix, open-ended) give the right
  bytes and Content-Range;
- `list_objects_v2` through a paginator with Delimiter='/' and MaxKeys=2 sees each key and
  CommonPrefix once, in order, at most 2 per page; a Delimiter listing at the root gives the
  folders and root keys the model says (a prefix whose last object was deleted is gone);
- head_object (size, ETag; 404 for a missing key), copy_object (also from a key that needs
  URL-encoding), delete_object, delete_objects of several keys (each reported Deleted);
- presigned GET URLs signed with SigV4 and SigV2, fetched with urllib, give the bytes; presigned
  PUTs (SigV4, SigV2) store them (unless --no-presigned);
- keys with `&+-é"`, spaces, `%`, unicode and emoji round-trip through put/get/list/copy;
- with --wrong-secret-check: a wrong secret (client or presigned URL) is refused with
  SignatureDoesNotMatch and writes nothing;
- with --readonly-access: the read-only key reads, and its put/delete are refused with
  AccessDenied and change nothing;
- with --ours (ipfs-kit's server): PUT/GET/HEAD answers carry x-amz-meta-cid (the same CID for the
  same key), writes carry x-ipfs-kit-root, `../x` and `a/../b` are refused 400 InvalidArgument, a
  key under an existing object's name (and the reverse) is refused 409;
- at the end the bucket, listed and read back, holds exactly the model's keys and bytes.
Leaves WORKDIR/expected (the bucket's final content as a tree) and prints one JSON summary line
({"flow", "ok", "keys", "cids" (--ours: key -> x-amz-meta-cid), "last_root" (--ours: the
x-ipfs-kit-root of the last write), …}); exits 1 with a message on the first failed check.
"""
import os
import sys
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ next to the scripts

from s3common import (Model, check, check_eq, fail, md5_hex, multipart_etag, parse_args, random_bytes,
                      run_flow, scratch, use_clean_env)

MiB = 1024 * 1024
PART = 8 * MiB
WRITE_OPS = {"PutObject", "CopyObject", "DeleteObject", "DeleteObjects", "CompleteMultipartUpload"}
OBJECT_OPS = {"PutObject", "GetObject", "HeadObject"}
SPECIAL_KEYS = [
    'odd &+-é"q.txt',
    "sp ace/ü file.txt",
    "uni/日本語 ñ-😀.txt",
    "100% sure=yes,no;maybe.txt",
    "it's (paren) [br] ~tilde!.txt",
]


def main():
    args = parse_args(__doc__.splitlines()[0])
    use_clean_env(args)
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config
    from botocore.exceptions import ClientError

    def client(access=args.access, secret=args.secret, sig="s3v4"):
        return boto3.client(
            "s3", endpoint_url=args.endpoint, region_name="us-east-1",
            aws_access_key_id=access, aws_secret_access_key=secret,
            config=Config(signature_version=sig, s3={"addressing_style": "path"},
                          retries={"max_attempts": 2, "mode": "standard"}))

    s3 = client()
    b = args.bucket
    model = Model()
    work = args.workdir

    # Every answer, for the --ours header checks: (operation, status, headers).
    answers = []

    def record(http_response, model, **_):
        answers.append((model.name, http_response.status_code, dict(http_response.headers)))

    s3.meta.events.register("after-call.s3", record)
    ranges = []
    s3.meta.events.register("before-send.s3.GetObject",
                            lambda request, **_: ranges.append(request.headers.get("Range")))

    def error_of(fn, *a, **kw):
        """(code, HTTP status) of the ClientError `fn` raises; fails if it succeeds."""
        try:
            fn(*a, **kw)
        except ClientError as e:
            return e.response["Error"].get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"]
        fail(f"{getattr(fn, '__name__', fn)}{kw} succeeded, expected an error")

    def exists(key):
        try:
            s3.head_object(Bucket=b, Key=key)
            return True
        except ClientError as e:
            if e.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                return False
            raise

    def get(key, **kw):
        return s3.get_object(Bucket=b, Key=key, **kw)["Body"].read()

    def put(key, data):
        r = s3.put_object(Bucket=b, Key=key, Body=data)
        check_eq(r["ETag"].strip('"'), md5_hex(data), f"PutObject ETag of {key!r}")
        model.put(key, data)
        return r

    # The bucket: created if missing, and empty.
    try:
        s3.head_bucket(Bucket=b)
    except ClientError as e:
        check_eq(e.response["ResponseMetadata"]["HTTPStatusCode"], 404, "head_bucket of a missing bucket")
        s3.create_bucket(Bucket=b)
        s3.head_bucket(Bucket=b)
    check(b in [x["Name"] for x in s3.list_buckets()["Buckets"]], f"list_buckets lacks {b}")
    check_eq(s3.list_objects_v2(Bucket=b)["KeyCount"], 0, "objects in the bucket at the start")

    # upload_file / download_file: one PutObject, and a multipart upload of 8 MiB parts.
    src = scratch(work, "src")
    small = random_bytes(1024, 1)
    big = random_bytes(20 * MiB + 12_345, 2)
    tc = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART)
    for name, data in [("small.bin", small), ("big.bin", big)]:
        with open(os.path.join(src, name), "wb") as f:
            f.write(data)
        s3.upload_file(os.path.join(src, name), b, f"files/{name}", Config=tc)
        model.put(f"files/{name}", data)
    ops = [a[0] for a in answers]
    check("PutObject" in ops, "upload_file of 1 KiB did no PutObject")
    check_eq(ops.count("UploadPart"), 3, "UploadPart calls for 20 MiB in 8 MiB parts")
    check("CompleteMultipartUpload" in ops, "no CompleteMultipartUpload")
    h = s3.head_object(Bucket=b, Key="files/small.bin")
    check_eq(h["ContentLength"], len(small), "head_object size of files/small.bin")
    check_eq(h["ETag"].strip('"'), md5_hex(small), "ETag of files/small.bin")
    h = s3.head_object(Bucket=b, Key="files/big.bin")
    check_eq(h["ContentLength"], len(big), "head_object size of files/big.bin")
    check_eq(h["ETag"].strip('"'), multipart_etag(big, PART), "multipart ETag of files/big.bin")
    check_eq(error_of(s3.head_object, Bucket=b, Key="files/missing.bin")[1], 404, "head_object of a missing key")
    check_eq(error_of(s3.get_object, Bucket=b, Key="files/missing.bin")[0], "NoSuchKey", "get_object of a missing key")

    down = scratch(work, "down")
    for name, data in [("small.bin", small), ("big.bin", big)]:
        ranges.clear()
        s3.download_file(b, f"files/{name}", os.path.join(down, name), Config=tc)
        with open(os.path.join(down, name), "rb") as f:
            check_eq(f.read(), data, f"download_file of files/{name}")
        if name == "big.bin":
            ranged = [r for r in ranges if r]
            check(len(ranged) >= 3, f"download_file of 20 MiB made {ranges}, expected ranged GETs")
            big_ranges = len(ranged)
    for rng, want, content_range in [
        ("bytes=100-199", big[100:200], f"bytes 100-199/{len(big)}"),
        ("bytes=-10", big[-10:], f"bytes {len(big) - 10}-{len(big) - 1}/{len(big)}"),
        (f"bytes={len(big) - 5000}-", big[-5000:], f"bytes {len(big) - 5000}-{len(big) - 1}/{len(big)}"),
    ]:
        r = s3.get_object(Bucket=b, Key="files/big.bin", Range=rng)
        check_eq(r["ResponseMetadata"]["HTTPStatusCode"], 206, f"status of Range {rng}")
        check_eq(r["ContentRange"], content_range, f"Content-Range of Range {rng}")
        check_eq(r["Body"].read(), want, f"bytes of Range {rng}")

    # Keys that need encoding, in the path and in listings (boto3 lists with encoding-type=url).
    for i, key in enumerate(SPECIAL_KEYS):
        put(key, f"special {i}: {key}\n".encode())
    for key in SPECIAL_KEYS:
        check_eq(get(key), model.objects[key], f"get_object of {key!r}")
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]]
    for key in SPECIAL_KEYS:
        check(key in listed, f"list_objects_v2 lacks {key!r}: {listed}")
    got = [o["Key"] for o in s3.list_objects_v2(Bucket=b, Prefix="sp ace/").get("Contents", [])]
    check_eq(got, ["sp ace/ü file.txt"], "list_objects_v2 Prefix='sp ace/'")

    # Listing: paginator, Delimiter='/', MaxKeys=2.
    for name in ["a.txt", "b.txt", "c.txt", "sub1/x.txt", "sub2/y.txt", "sub2/deeper/w.txt", "z.txt"]:
        put(f"list/{name}", f"listing {name}\n".encode())
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=b, Prefix="list/", Delimiter="/", MaxKeys=2))
    seen, keys, prefixes = [], [], []
    for page in pages:
        contents = [o["Key"] for o in page.get("Contents", [])]
        cps = [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        check(len(contents) + len(cps) <= 2, f"a page with MaxKeys=2 has {contents} {cps}")
        check_eq(page["KeyCount"], len(contents) + len(cps), "KeyCount of a page")
        keys += contents
        prefixes += cps
        seen += sorted(contents + cps)
    check_eq(keys, ["list/a.txt", "list/b.txt", "list/c.txt", "list/z.txt"], "keys listed under list/")
    check_eq(prefixes, ["list/sub1/", "list/sub2/"], "CommonPrefixes under list/")
    check_eq(seen, sorted(seen), "order across pages")
    check(len(pages) >= 3, f"6 entries with MaxKeys=2 came in {len(pages)} pages")
    full = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=b, Prefix="list/", MaxKeys=2)
            for o in p.get("Contents", [])]
    check_eq(full, sorted(k for k in model.keys() if k.startswith("list/")), "paginated list/ without delimiter")

    # copy_object, delete_object, delete_objects.
    r = s3.copy_object(Bucket=b, Key="copies/small-copy.bin", CopySource={"Bucket": b, "Key": "files/small.bin"})
    check_eq(r["CopyObjectResult"]["ETag"].strip('"'), md5_hex(small), "CopyObject ETag")
    model.put("copies/small-copy.bin", small)
    check_eq(get("copies/small-copy.bin"), small, "bytes of the copy")
    s3.copy_object(Bucket=b, Key="copies/odd copy é+&.txt", CopySource={"Bucket": b, "Key": SPECIAL_KEYS[0]})
    model.put("copies/odd copy é+&.txt", model.objects[SPECIAL_KEYS[0]])
    check_eq(get("copies/odd copy é+&.txt"), model.objects[SPECIAL_KEYS[0]], "copy from a key that needs encoding")

    put("gone/only.txt", b"the only object under gone/\n")
    put("tmp/one.txt", b"one\n")
    s3.delete_object(Bucket=b, Key="tmp/one.txt")
    s3.delete_object(Bucket=b, Key="gone/only.txt")
    model.delete("tmp/one.txt")
    model.delete("gone/only.txt")
    check(not exists("tmp/one.txt"), "tmp/one.txt still there after delete_object")
    several = [f"tmp/d{i}.txt" for i in range(1, 6)]
    for key in several:
        put(key, f"{key}\n".encode())
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in several[:4]]})
    check_eq(sorted(d["Key"] for d in r.get("Deleted", [])), several[:4], "delete_objects Deleted")
    check_eq(r.get("Errors", []), [], "delete_objects Errors")
    for key in several[:4]:
        model.delete(key)
    got = [o["Key"] for o in s3.list_objects_v2(Bucket=b, Prefix="tmp/").get("Contents", [])]
    check_eq(got, ["tmp/d5.txt"], "tmp/ after delete_objects")

    # The root, listed with a delimiter: the model's folders (gone/ is gone) and root keys.
    root = s3.list_objects_v2(Bucket=b, Delimiter="/")
    check_eq(sorted(p["Prefix"] for p in root.get("CommonPrefixes", [])),
             sorted({k.split("/")[0] + "/" for k in model.keys() if "/" in k}), "CommonPrefixes at the root")
    check_eq(sorted(o["Key"] for o in root.get("Contents", [])), [k for k in model.keys() if "/" not in k],
             "keys at the root")

    # Presigned URLs: GET with SigV4 and SigV2, PUT with both.
    presigned = {}
    for sig in [] if args.no_presigned else ["s3v4", "s3"]:
        c = client(sig=sig)
        for key in ["files/small.bin", "sp ace/ü file.txt"]:
            url = c.generate_presigned_url("get_object", Params={"Bucket": b, "Key": key}, ExpiresIn=600)
            check(("X-Amz-Signature=" in url) == (sig == "s3v4"), f"{sig} presigned URL {url}")
            with urllib.request.urlopen(url, timeout=60) as resp:
                check_eq(resp.read(), model.objects[key], f"presigned {sig} GET of {key!r}")
        key = f"presigned/put-{sig}.bin"
        data = random_bytes(3000, 3 if sig == "s3" else 4)
        url = c.generate_presigned_url("put_object", ExpiresIn=600, Params={
            "Bucket": b, "Key": key, "ContentType": "application/octet-stream"})
        req = urllib.request.Request(url, data=data, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            check_eq(resp.status, 200, f"presigned {sig} PUT status")
            presigned[sig] = dict(resp.headers)
        model.put(key, data)
        check_eq(get(key), data, f"bytes stored by the presigned {sig} PUT")

    if args.wrong_secret_check:
        bad = client(secret=args.secret + "x")
        check_eq(error_of(bad.put_object, Bucket=b, Key="wrong/secret.txt", Body=b"no"),
                 ("SignatureDoesNotMatch", 403), "put_object with a wrong secret")
        check_eq(error_of(bad.get_object, Bucket=b, Key="files/small.bin"),
                 ("SignatureDoesNotMatch", 403), "get_object with a wrong secret")
        check(not exists("wrong/secret.txt"), "a put with a wrong secret stored something")
        for sig in [] if args.no_presigned else ["s3v4", "s3"]:
            url = client(secret=args.secret + "x", sig=sig).generate_presigned_url(
                "get_object", Params={"Bucket": b, "Key": "files/small.bin"}, ExpiresIn=600)
            try:
                urllib.request.urlopen(url, timeout=60)
                fail(f"a {sig} presigned URL with a wrong secret was served")
            except urllib.error.HTTPError as e:
                body = e.read().decode(errors="replace")
                check(e.code == 403 and "SignatureDoesNotMatch" in body,
                      f"{sig} presigned URL with a wrong secret: {e.code} {body[:300]}")

    if args.readonly_access:
        ro = client(*args.readonly_access)
        check_eq(ro.get_object(Bucket=b, Key="files/small.bin")["Body"].read(), small, "read-only key: get_object")
        check("Contents" in ro.list_objects_v2(Bucket=b, MaxKeys=1), "read-only key: list_objects_v2")
        check_eq(error_of(ro.put_object, Bucket=b, Key="ro/denied.txt", Body=b"no"),
                 ("AccessDenied", 403), "read-only key: put_object")
        check_eq(error_of(ro.delete_object, Bucket=b, Key="files/small.bin"),
                 ("AccessDenied", 403), "read-only key: delete_object")
        check(not exists("ro/denied.txt"), "the read-only key's put stored something")
        check(exists("files/small.bin"), "the read-only key's delete removed files/small.bin")

    if args.ours:
        for key in ["../x", "a/../b"]:
            check_eq(error_of(s3.put_object, Bucket=b, Key=key, Body=b"escape"), ("InvalidArgument", 400),
                     f"put_object of {key!r}")
        put("clash", b"a file named clash\n")
        check_eq(error_of(s3.put_object, Bucket=b, Key="clash/inner.txt", Body=b"x")[1], 409,
                 "put_object under an existing object's name")
        put("clash2/inner.txt", b"inside clash2\n")
        check_eq(error_of(s3.put_object, Bucket=b, Key="clash2", Body=b"x")[1], 409,
                 "put_object of a key that is a folder of other keys")
        check_eq(get("clash"), model.objects["clash"], "clash after the refused put")

    # The last write: its x-ipfs-kit-root is the bucket's final root.
    last = put("zz-last.txt", b"the last write of the boto3 flow\n")

    # The final content, listed and read back.
    listing = {o["Key"]: o["Size"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=b)
               for o in p.get("Contents", [])}
    model.assert_matches(listing, get)

    summary = {"bucket": b, "keys": len(model.objects), "big_download_ranged_gets": big_ranges}
    if args.ours:
        summary.update(ours_checks(s3, b, model, answers, presigned, last))
    model.write_expected(work)
    return summary


def ours_checks(s3, b, model, answers, presigned, last):
    """ipfs-kit's headers: x-amz-meta-cid on object answers, x-ipfs-kit-root on writes."""
    ok = [(op, st, {k.lower(): v for k, v in h.items()}) for op, st, h in answers if 200 <= st < 300]
    for op, _st, h in ok:
        if op in OBJECT_OPS:
            check(h.get("x-amz-meta-cid", "").startswith("b"), f"{op} answer without x-amz-meta-cid: {h}")
        if op in WRITE_OPS:
            check(h.get("x-ipfs-kit-root", "").startswith("b"), f"{op} answer without x-ipfs-kit-root: {h}")
    for sig, h in presigned.items():
        h = {k.lower(): v for k, v in h.items()}
        check("x-amz-meta-cid" in h and "x-ipfs-kit-root" in h, f"presigned {sig} PUT answer headers {h}")
    cids = {}
    for key in model.keys():
        cid = s3.head_object(Bucket=b, Key=key)["Metadata"].get("cid")
        check(cid, f"head_object of {key!r}: no Metadata['cid']")
        check_eq(s3.get_object(Bucket=b, Key=key)["Metadata"].get("cid"), cid, f"get_object cid of {key!r}")
        cids[key] = cid
    headers = last["ResponseMetadata"]["HTTPHeaders"]
    check_eq(headers.get("x-amz-meta-cid"), cids["zz-last.txt"], "PutObject x-amz-meta-cid vs head_object")
    return {"cids": cids, "last_root": headers.get("x-ipfs-kit-root")}


if __name__ == "__main__":
    run_flow(main)
