#!/usr/bin/env python3
"""Hostile requests against an S3 endpoint, driven by tests/s3_hostile.rs.

usage: hostile.py ENDPOINT ACCESS SECRET
    Reads one JSON command per line on stdin and answers each with one JSON line on stdout
    (commands below). Never retries, never follows a redirect.
usage: hostile.py ENDPOINT ACCESS SECRET slow-put BUCKET KEY DECLARED SEND CHUNK PAUSE THEN [QUERY]
    A SigV4-signed PutObject (or, with QUERY `partNumber=N&uploadId=ID`, UploadPart;
    UNSIGNED-PAYLOAD) on a raw socket declaring `Content-Length:
    DECLARED`, that sends SEND bytes in pieces of CHUNK with PAUSE seconds after each, printing
    `sent N` (flushed) after each piece; then THEN: `close` (closes the socket, prints
    `closed`), `silent` (prints `silent` and sleeps, socket open, until killed) or `answer`
    (prints `waiting`, then the server's answer as one JSON line, as the `raw` command).

Commands (a JSON object with "op"):
- {"op": "boto", "call": NAME, "args": {...}, "body": BODY?, "access"?, "secret"?}: boto3
  `client.NAME(**args)` (path-style, SigV4, one attempt; BODY becomes args["Body"]). Answers
  {"ok": true, "result": {...}} (a streamed Body is read and given as "body_len" and
  "body_sha256"; "headers" are the HTTP headers; "sent_md5" the hex MD5 of a BODY sent) or {"ok": false, "status", "code", "message"}.
- {"op": "raw", "method", "path", "query"?, "headers"?, "body"?, "sign"?: "v4"|"none",
  "payload_hash"?, "sign_path"?, "access"?, "secret"?}: one request on a raw socket, the path
  sent exactly as given (already percent-encoded where wanted). With "v4" it is signed by
  botocore's S3SigV4Auth over that same path (or over "sign_path": the canonical form of a
  path sent with needless escapes, `%2E%2E` for `..`); "payload_hash" replaces the body's SHA-256 in the signature
  and `x-amz-content-sha256` (e.g. "UNSIGNED-PAYLOAD", or a wrong digest). Headers given are
  sent as given ("$md5" and "$crc32" are replaced by the body's Content-MD5 and
  x-amz-checksum-crc32); Content-Length is added only if not given. Answers {"status", "headers",
  "body" (text), "code", "message"} ("code"/"message" from an XML error body, else null).
- {"op": "presign", "call": NAME, "args": {...}, "expires": SECS, "method": "GET",
  "rewrite"?: [[OLD, NEW], ...]}: a SigV4 presigned URL from boto3 (with each OLD text of it
  replaced by NEW), fetched once; answers {"url", and the "raw" answer fields}.

BODY is {"text": STR} or {"file": PATH, "offset"?: N, "len"?: N} (bytes of a file).
"""
import hashlib
import http.client
import json
import os
import re
import socket
import sys
import time
from urllib.parse import urlsplit

sys.dont_write_bytecode = True

ENDPOINT, ACCESS, SECRET = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
NETLOC = urlsplit(ENDPOINT).netloc
HOST, PORT = NETLOC.rsplit(":", 1)
PORT = int(PORT)

for k in [k for k in os.environ if k.startswith("AWS_") or k.lower().endswith("_proxy")]:
    del os.environ[k]
os.environ.update({"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null",
                   "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})


def body_bytes(spec):
    if spec is None:
        return b""
    if "text" in spec:
        return spec["text"].encode("utf-8")
    with open(spec["file"], "rb") as f:
        f.seek(spec.get("offset", 0))
        return f.read(spec["len"]) if "len" in spec else f.read()


def error_fields(text):
    code = re.search(r"<Code>(.*?)</Code>", text, re.S)
    msg = re.search(r"<Message>(.*?)</Message>", text, re.S)
    return (code.group(1).strip() if code else None, msg.group(1) if msg else None)


def computed_header(value, body):
    """A header value, or what "$md5" / "$crc32" stand for: the body's Content-MD5 or its
    x-amz-checksum-crc32 (base64 of the digest)."""
    import base64
    import zlib
    if value == "$md5":
        return base64.b64encode(hashlib.md5(body).digest()).decode()
    if value == "$crc32":
        return base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    return value


def sign_v4(method, path, query, headers, body, payload_hash=None, access=None, secret=None):
    """The headers to send: `headers` plus X-Amz-Date, X-Amz-Content-SHA256 and Authorization,
    signed over `path` exactly as given (the canonical URI is not re-encoded)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    class Auth(S3SigV4Auth):
        def payload(self, request):
            return payload_hash if payload_hash is not None else hashlib.sha256(body).hexdigest()

    url = f"{ENDPOINT}{path}" + (f"?{query}" if query else "")
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    Auth(Credentials(access or ACCESS, secret or SECRET), "s3", "us-east-1").add_auth(req)
    return dict(req.headers.items())


def send_head(sock, method, target, headers):
    lines = [f"{method} {target} HTTP/1.1", f"Host: {NETLOC}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "host"]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))


def read_answer(sock, method):
    resp = http.client.HTTPResponse(sock, method=method)
    resp.begin()
    data = resp.read()
    text = data.decode("utf-8", "replace")
    code, message = error_fields(text)
    return {"status": resp.status, "headers": {k.lower(): v for k, v in resp.getheaders()},
            "body": text[:4000], "code": code, "message": message}


def raw(cmd):
    method = cmd["method"]
    path = cmd["path"]
    query = cmd.get("query", "")
    body = body_bytes(cmd.get("body"))
    headers = {k: computed_header(v, body) for k, v in cmd.get("headers", {}).items()}
    if not any(k.lower() == "content-length" for k in headers) and (body or method in ("PUT", "POST")):
        headers["Content-Length"] = str(len(body))
    if cmd.get("sign", "v4") == "v4":
        headers = sign_v4(method, cmd.get("sign_path", path), query, headers, body, cmd.get("payload_hash"),
                          cmd.get("access"), cmd.get("secret"))
    target = path + (f"?{query}" if query else "")
    with socket.create_connection((HOST, PORT), timeout=120) as sock:
        send_head(sock, method, target, headers)
        if body:
            try:
                sock.sendall(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered early; its answer is read below
        return read_answer(sock, method)


def fetch(url, method):
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    with socket.create_connection((HOST, PORT), timeout=120) as sock:
        send_head(sock, method, target, {"Content-Length": "0"} if method == "PUT" else {})
        return read_answer(sock, method)


def client(access=None, secret=None):
    import boto3
    from botocore.config import Config
    return boto3.client(
        "s3", endpoint_url=ENDPOINT, region_name="us-east-1",
        aws_access_key_id=access or ACCESS, aws_secret_access_key=secret or SECRET,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 1, "mode": "standard"},
                      connect_timeout=30, read_timeout=300))


def jsonable(v):
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if hasattr(v, "read"):
        data = v.read()
        return {"body_len": len(data), "body_sha256": hashlib.sha256(data).hexdigest()}
    return str(v)


def boto(cmd):
    from botocore.exceptions import ClientError
    s3 = client(cmd.get("access"), cmd.get("secret"))
    args = dict(cmd.get("args", {}))
    if "body" in cmd:
        args["Body"] = body_bytes(cmd["body"])
    try:
        out = getattr(s3, cmd["call"])(**args)
    except ClientError as e:
        err = e.response.get("Error", {})
        return {"ok": False, "status": e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                "code": err.get("Code"), "message": err.get("Message")}
    meta = out.pop("ResponseMetadata", {})
    result = jsonable(out)
    if isinstance(result.get("Body"), dict):
        result.update(result.pop("Body"))
    result["headers"] = meta.get("HTTPHeaders", {})
    if "Body" in args:
        result["sent_md5"] = hashlib.md5(args["Body"]).hexdigest()
    return {"ok": True, "status": meta.get("HTTPStatusCode"), "result": result}


def presign(cmd):
    s3 = client(cmd.get("access"), cmd.get("secret"))
    url = s3.generate_presigned_url(cmd["call"], Params=cmd.get("args", {}), ExpiresIn=cmd["expires"])
    for old, new in cmd.get("rewrite", []):
        url = url.replace(old, new)
    out = fetch(url, cmd.get("method", "GET"))
    out["url"] = url
    return out


def serve_commands():
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        try:
            out = {"raw": raw, "boto": boto, "presign": presign}[cmd["op"]](cmd)
        except Exception as e:  # reported, so the test shows what broke
            out = {"exception": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def slow_put(bucket, key, declared, send, chunk, pause, then, query=""):
    from urllib.parse import quote
    path = f"/{quote(bucket)}/{quote(key, safe='/')}"
    headers = sign_v4("PUT", path, query, {"Content-Length": str(declared)}, b"", "UNSIGNED-PAYLOAD")
    sock = socket.create_connection((HOST, PORT), timeout=600)
    send_head(sock, "PUT", path + (f"?{query}" if query else ""), headers)
    piece = os.urandom(chunk)
    sent = 0
    while sent < send:
        n = min(chunk, send - sent)
        try:
            sock.sendall(piece[:n])
        except (BrokenPipeError, ConnectionResetError):
            print("reset", flush=True)  # the server answered early, closed or died
            return
        sent += n
        print(f"sent {sent}", flush=True)
        if pause:
            time.sleep(pause)
    if then == "close":
        sock.close()
        print("closed", flush=True)
        return
    if then == "answer":
        print("waiting", flush=True)
        print(json.dumps(read_answer(sock, "PUT")), flush=True)
        return
    print("silent", flush=True)
    while True:
        time.sleep(60)


def main():
    if len(sys.argv) > 4 and sys.argv[4] == "slow-put":
        b, k, declared, send, chunk, pause, then = sys.argv[5:12]
        query = sys.argv[12] if len(sys.argv) > 12 else ""
        slow_put(b, k, int(declared), int(send), int(chunk), float(pause), then, query)
    else:
        serve_commands()


if __name__ == "__main__":
    main()
