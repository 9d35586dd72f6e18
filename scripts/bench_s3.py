#!/usr/bin/env python3
"""Benchmark `ipfs-kit serve --s3` with the aws CLI against moto's S3 server, in one run:

- (a) `aws s3 cp` of a 1 GiB random file UP to ipfs-kit's S3 endpoint and to moto_server, and
      DOWN from each (the downloaded file's sha256 is compared with the source's before anything
      is reported); next to them the CLI's own limits on the same machine: `ipfs-kit bucket add`
      of the same file into a fresh home (the limit for up) and `ipfs-kit bucket cat BUCKET
      PATH > /dev/null` (the limit for down);
- (b) `aws s3 sync` of 10,000 files of 1-16 KiB (random sizes, fixed seed, in 100 directories)
      UP to ipfs-kit and to moto, and `ipfs-kit bucket add` of the same tree into a fresh home.
      Afterwards `bucket info` root of the synced bucket (and of the added one) must equal
      `ipfs-kit hash --hidden TREE`, and `aws s3 ls --summarize` of moto's bucket must show the
      same object count and total size;
- (c) the ipfs-kit server's peak RSS over the whole run (VmHWM in /proc/PID/status, read before
      it is stopped).

Each run uses fresh homes and a fresh moto_server; the commands run in the order ipfs-kit, moto,
CLI limit for each transfer, so drift hits all three alike. Every command is timed as a whole
process (time.monotonic() around subprocess.run). aws runs with the defaults of `aws s3` (8 MiB
multipart chunks, 10 concurrent requests), `--only-show-errors`, path-style, region us-east-1, a
temp AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, keys in the environment, no AWS_CA_BUNDLE.

Targets: 1 GiB up and down >= 3x moto's speed and within 1.5x of bucket add / bucket cat's time;
the 10,000-file sync >= 3x moto's speed; peak RSS of the server <= 128 MB.
Not part of CI (it needs minutes and a quiet machine).

Needs a release build (cargo build --release --locked) and the venv of tests/interop/setup.sh
(aws, moto_server).

usage: python3 scripts/bench_s3.py [--runs N] [--quick] [--size-mib N] [--files N] [--workdir DIR] [--keep]
  --quick: 64 MiB and 1,000 files, for a fast check that everything works.
"""
import argparse, hashlib, json, os, random, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(ROOT, "target", "release", "ipfs-kit")
VENV_BIN = os.path.join(ROOT, "tests", "interop", ".venv", "bin")
AWS = os.path.join(VENV_BIN, "aws")
MOTO = os.path.join(VENV_BIN, "moto_server")

SPEED_TARGET = 3.0    # ipfs-kit at least 3x as fast as moto
LIMIT_TARGET = 1.5    # ipfs-kit's S3 time at most 1.5x the CLI's (bucket add / bucket cat)
RSS_TARGET = 128e6
CMD_TIMEOUT = 3600    # seconds for any one command before the run is called failed
MiB = 1 << 20


class BenchError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Data


def gen_big(path, mib):
    """`mib` MiB of seeded pseudo-random bytes; returns its sha256."""
    rng = random.Random(1024)
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = mib
        while left:
            n = min(left, 16)
            chunk = rng.randbytes(n * MiB)
            h.update(chunk)
            f.write(chunk)
            left -= n
    return h.hexdigest()


def gen_tree(root, files, dirs=100):
    """`files` files of 1-16 KiB (seeded sizes and bytes) spread over `dirs` directories;
    returns the total size."""
    rng = random.Random(10_000)
    total = 0
    for i in range(files):
        d = os.path.join(root, f"d{i % dirs:03d}")
        if i < dirs:
            os.makedirs(d)
        n = rng.randint(1024, 16 * 1024)
        with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
            f.write(rng.randbytes(n))
        total += n
    return total


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(MiB):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Processes


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, what, env=None, cwd=None, stdout=subprocess.PIPE, on_fail=None):
    """Runs `cmd` and returns (seconds, completed process); BenchError if it fails or hangs."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout,
                           stderr=subprocess.PIPE, timeout=CMD_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what}: still running after {CMD_TIMEOUT} s, killed"
                         + (f"\n{on_fail()}" if on_fail else ""))
    secs = time.monotonic() - t0
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip()[-3000:]
        raise BenchError(f"{what}: exited {p.returncode} after {secs:.1f} s: {err}"
                         + (f"\n{on_fail()}" if on_fail else ""))
    return secs, p


def kit(home, *args, what=None, **kw):
    return run([OURS, "--home", home, "-q", *args], what or f"ipfs-kit {' '.join(args)}", **kw)


def kit_out(home, *args, **kw):
    return kit(home, *args, **kw)[1].stdout.decode()


def aws_env(work, access, secret):
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("AWS_") or k.lower().endswith("_proxy"))}
    cfg = os.path.join(work, "aws-config")
    with open(cfg, "w") as f:
        f.write("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n")
    env.update({
        "AWS_ACCESS_KEY_ID": access,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": cfg,
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(work, "no-aws-credentials"),
        "AWS_PAGER": "",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    return env


class Endpoint:
    """What both servers share: an endpoint URL, aws with its environment, a log to show."""
    name = "?"
    log_path = None
    url = None
    env = None

    def log_tail(self, n=40):
        try:
            with open(self.log_path, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return f"({self.name} log unreadable)"
        alive = "running" if self.proc.poll() is None else f"exited {self.proc.returncode}"
        return f"--- {self.name} ({alive}), last {min(n, len(lines))} of {len(lines)} lines of {self.log_path}:\n" \
               + "\n".join(lines[-n:])

    def aws(self, *argv, what=None, cwd=None):
        return run([AWS, "--endpoint-url", self.url, *argv], what or f"{self.name}: aws {' '.join(argv)}",
                   env=self.env, cwd=cwd, on_fail=self.log_tail)

    def summarize(self, bucket):
        """(objects, bytes) from `aws s3 ls --recursive --summarize`."""
        out = self.aws("s3", "ls", "--recursive", "--summarize", f"s3://{bucket}")[1].stdout.decode()
        count = size = None
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("Total Objects:"):
                count = int(line.split(":")[1])
            elif line.startswith("Total Size:"):
                size = int(line.split(":")[1])
        return count, size


class KitServer(Endpoint):
    """`ipfs-kit serve --listen 127.0.0.1:0 --s3 --s3-listen 127.0.0.1:0` on `home`."""
    name = "ipfs-kit serve --s3"

    def __init__(self, home, work, access, secret):
        self.log_path = os.path.join(work, "serve.stderr")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([OURS, "--home", home, "serve", "--listen", "127.0.0.1:0",
                                      "--s3", "--s3-listen", "127.0.0.1:0"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.drain = None
        first = self.proc.stdout.readline()
        second = self.proc.stdout.readline()
        if not first.startswith("listening on http://") or not second.startswith("s3 endpoint http://127.0.0.1:"):
            self.stop()
            raise BenchError(f"ipfs-kit serve --s3 printed {first!r} {second!r}\n{self.log_tail()}")
        self.url = second.split()[2]
        # Keep draining stdout so the server never blocks on a full pipe.
        self.drain = subprocess.Popen(["cat"], stdin=self.proc.stdout, stdout=subprocess.DEVNULL)
        self.env = aws_env(work, access, secret)

    def vm(self, key):
        """A figure from /proc/PID/status in bytes (VmHWM: the peak RSS so far)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        return 0

    def cpu(self):
        """User + system CPU seconds the server has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if self.drain:
            self.drain.wait()
        self.log.close()
        return code


class Moto(Endpoint):
    """A fresh `moto_server -H 127.0.0.1 -p PORT` (in memory; any keys work)."""
    name = "moto_server"

    def __init__(self, work):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.env = aws_env(work, "moto", "moto")
        self.log_path = os.path.join(work, "moto.log")
        self.log = open(self.log_path, "w")
        env = {k: v for k, v in self.env.items()}
        env["TMPDIR"] = work  # its spooled objects on the same file system as ours
        self.proc = subprocess.Popen([MOTO, "-H", "127.0.0.1", "-p", str(port)], env=env,
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise BenchError(f"moto_server did not listen on {port}\n{self.log_tail()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ---------------------------------------------------------------------------------------------
# One run


def one_run(n, work, big, big_sha, size, tree, tree_root, tree_files, tree_bytes):
    """Returns {figure: value} for one run; every transfer checked."""
    rdir = os.path.join(work, f"run{n}")
    os.makedirs(rdir)
    home, home_add, home_tree = (os.path.join(rdir, h) for h in ("home", "home-add-big", "home-add-tree"))
    r = {}

    # ipfs-kit: a fresh home with two buckets and a key; the server started before any timing.
    kit(home, "bucket", "create", "big")
    kit(home, "bucket", "create", "tree")
    key = json.loads(kit_out(home, "s3", "key", "create", "--json"))
    server = KitServer(home, rdir, key["access_key_id"], key["secret_access_key"])
    moto = None
    try:
        moto = Moto(rdir)
        moto.aws("s3", "mb", "s3://big")
        moto.aws("s3", "mb", "s3://tree")
        print(f"run {n}: ipfs-kit S3 at {server.url} (pid {server.proc.pid}), moto at {moto.url} "
              f"(pid {moto.proc.pid})", flush=True)

        r["hwm_start"] = server.vm("VmHWM")

        def step(label, fn):
            cpu0 = server.cpu()
            secs = fn()
            cpu = server.cpu() - cpu0
            busy = f" (server CPU {cpu:.2f} s)" if label.startswith(server.name) else ""
            print(f"  {label}: {secs:.2f} s{busy}", flush=True)
            return secs

        # (a) up: S3 (ours, moto), then the CLI's bucket add into a fresh home.
        for ep, k in ((server, "up_ours"), (moto, "up_moto")):
            r[k] = step(f"{ep.name}: aws s3 cp {size // MiB} MiB up",
                        lambda: ep.aws("s3", "cp", "--only-show-errors", big, "s3://big/big.bin")[0])
        kit(home_add, "bucket", "create", "big")
        r["up_cli"] = step(f"ipfs-kit bucket add {size // MiB} MiB (fresh home)",
                           lambda: kit(home_add, "bucket", "add", "big", big)[0])
        r["hwm_up"] = server.vm("VmHWM")

        # (a) down: S3 (ours, moto), each file checked, then `bucket cat > /dev/null`.
        for ep, k in ((server, "down_ours"), (moto, "down_moto")):
            dest = os.path.join(rdir, "down.bin")
            r[k] = step(f"{ep.name}: aws s3 cp {size // MiB} MiB down",
                        lambda: ep.aws("s3", "cp", "--only-show-errors", "s3://big/big.bin", dest)[0])
            got = sha256_file(dest)
            os.remove(dest)
            if got != big_sha:
                raise BenchError(f"{ep.name}: the downloaded file's sha256 is {got}, the source's {big_sha}")
        # bucket cat: its bytes checked once (untimed), then timed to /dev/null.
        cat = subprocess.Popen([OURS, "--home", home, "-q", "bucket", "cat", "big", "big.bin"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        h = hashlib.sha256()
        while chunk := cat.stdout.read(MiB):
            h.update(chunk)
        err = cat.stderr.read().decode(errors="replace")
        if cat.wait() != 0 or h.hexdigest() != big_sha:
            raise BenchError(f"ipfs-kit bucket cat big big.bin: exit {cat.returncode}, sha256 {h.hexdigest()} "
                             f"(source {big_sha}): {err.strip()}")
        r["down_cli"] = step(f"ipfs-kit bucket cat {size // MiB} MiB > /dev/null",
                             lambda: kit(home, "bucket", "cat", "big", "big.bin", stdout=subprocess.DEVNULL)[0])
        r["hwm_down"] = server.vm("VmHWM")

        # (b) sync of the tree: ours, moto, then bucket add of its folders into a fresh home.
        for ep, k in ((server, "sync_ours"), (moto, "sync_moto")):
            r[k] = step(f"{ep.name}: aws s3 sync {tree_files:,} files up",
                        lambda: ep.aws("s3", "sync", "--only-show-errors", tree, "s3://tree")[0])
        kit(home_tree, "bucket", "create", "tree")
        dirs = sorted(os.listdir(tree))
        r["sync_cli"] = step(f"ipfs-kit bucket add {tree_files:,} files (fresh home)",
                             lambda: kit(home_tree, "bucket", "add", "--hidden", "tree", *dirs, cwd=tree)[0])
        r["hwm"] = server.vm("VmHWM")
        r["rss_end"] = server.vm("VmRSS")

        # Checks of (b): the synced bucket is exactly the tree; so is the added one; moto has it all.
        for h_, what in ((home, "the bucket aws s3 sync wrote"), (home_tree, "the bucket bucket add wrote")):
            root = json.loads(kit_out(h_, "bucket", "info", "tree", "--json"))["root"]
            if root != tree_root:
                raise BenchError(f"{what}: root {root}, but ipfs-kit hash --hidden of the tree is {tree_root}")
        count, nbytes = moto.summarize("tree")
        if (count, nbytes) != (tree_files, tree_bytes):
            raise BenchError(f"moto after sync: {count} objects, {nbytes} bytes; the tree has "
                             f"{tree_files} files, {tree_bytes} bytes")
        count, nbytes = server.summarize("tree")
        if (count, nbytes) != (tree_files, tree_bytes):
            raise BenchError(f"ipfs-kit after sync: aws s3 ls says {count} objects, {nbytes} bytes; the tree "
                             f"has {tree_files} files, {tree_bytes} bytes")
        print(f"  checked: bucket roots = hash --hidden of the tree ({tree_root}); moto holds "
              f"{count:,} objects, {nbytes:,} bytes", flush=True)
    except BenchError as e:
        if f"--- {server.name} (" not in e.args[0]:  # the server's stderr with every failure
            e.args = (f"{e.args[0]}\n{server.log_tail()}",)
        raise
    finally:
        if moto:
            moto.stop()
        code = server.stop()
        if code != 0:
            print(f"  note: ipfs-kit serve exited {code} after SIGTERM:\n{server.log_tail()}", flush=True)
        shutil.rmtree(rdir, ignore_errors=True)
    return r


# ---------------------------------------------------------------------------------------------
# Report


def table(rows, head):
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [head] + rows)


def report(label, r, size, tree_files, tree_bytes):
    """Rows of the table for one run (or for the medians of several)."""
    def rate(nbytes, secs):
        return f"{secs:.2f} s {nbytes / secs / 1e6:,.0f} MB/s"

    def files(secs):
        return f"{secs:.2f} s {tree_files / secs:,.0f} files/s"

    def ok(cond):
        return "ok" if cond else "MISSED"

    rows = []
    gib = f"{size / 2**30:g} GiB" if size >= 2**30 else f"{size // MiB} MiB"
    for what, k, cli in (("up", "up", "bucket add"), ("down", "down", "bucket cat")):
        speed = r[f"{k}_moto"] / r[f"{k}_ours"]
        limit = r[f"{k}_ours"] / r[f"{k}_cli"]
        rows.append((f"{label}(a) {gib} {what}", rate(size, r[f"{k}_ours"]), rate(size, r[f"{k}_moto"]),
                     f"{cli} {rate(size, r[f'{k}_cli'])}", f"{speed:.2f}x", f"{limit:.2f}x",
                     f">= {SPEED_TARGET:g}x moto, <= {LIMIT_TARGET:g}x CLI",
                     ok(speed >= SPEED_TARGET and limit <= LIMIT_TARGET)))
    speed = r["sync_moto"] / r["sync_ours"]
    rows.append((f"{label}(b) sync {tree_files:,} files", files(r["sync_ours"]), files(r["sync_moto"]),
                 f"bucket add {files(r['sync_cli'])}", f"{speed:.2f}x", f"{r['sync_ours'] / r['sync_cli']:.2f}x",
                 f">= {SPEED_TARGET:g}x moto", ok(speed >= SPEED_TARGET)))
    rows.append((f"{label}(c) peak RSS of serve", f"{r['hwm'] / 1e6:.1f} MB", "", "", "", "",
                 f"<= {RSS_TARGET / 1e6:.0f} MB", ok(r["hwm"] <= RSS_TARGET)))
    return rows


def main():
    global CMD_TIMEOUT
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1, help="runs, each with fresh homes and a fresh moto (default 1)")
    ap.add_argument("--quick", action="store_true", help="64 MiB and 1,000 files: a fast check")
    ap.add_argument("--size-mib", type=int, help="size of the big file in MiB (default 1024; 64 with --quick)")
    ap.add_argument("--files", type=int, help="files in the tree (default 10,000; 1,000 with --quick)")
    ap.add_argument("--workdir", help="parent of the temp dir (default: target/ of the repository, so the "
                                      "data sits on the file system of the homes)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (big file, tree)")
    ap.add_argument("--timeout", type=int, default=CMD_TIMEOUT, help="seconds any one command may take")
    args = ap.parse_args()
    CMD_TIMEOUT = args.timeout
    mib = args.size_mib or (64 if args.quick else 1024)
    nfiles = args.files or (1000 if args.quick else 10_000)
    for tool, hint in ((OURS, "cargo build --release --locked"), (AWS, "bash tests/interop/setup.sh"),
                       (MOTO, "bash tests/interop/setup.sh")):
        if not os.access(tool, os.X_OK):
            sys.exit(f"{tool} missing: {hint}")
    parent = os.path.abspath(args.workdir or os.path.join(ROOT, "target"))
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-s3-", dir=parent)
    results = []
    try:
        big = os.path.join(work, "big.bin")
        t0 = time.monotonic()
        big_sha = gen_big(big, mib)
        size = os.path.getsize(big)
        tree = os.path.join(work, "tree")
        tree_bytes = gen_tree(tree, nfiles)
        tree_root = kit_out(os.path.join(work, "hash-home"), "hash", "--hidden", tree).strip()
        print(f"data in {work} ({time.monotonic() - t0:.1f} s): {size / MiB:.0f} MiB file, sha256 {big_sha[:16]}…; "
              f"tree of {nfiles:,} files in 100 folders, {tree_bytes:,} bytes, root {tree_root}", flush=True)
        for n in range(1, args.runs + 1):
            results.append(one_run(n, work, big, big_sha, size, tree, tree_root, nfiles, tree_bytes))
    except BenchError as e:
        print(f"\nFAILED: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    rows = []
    for n, r in enumerate(results, 1):
        rows += report(f"run {n} " if len(results) > 1 else "", r, size, nfiles, tree_bytes)
    if len(results) > 1:
        med = {k: statistics.median(r[k] for r in results) for k in results[0] if not k.startswith(("hwm", "rss"))}
        med["hwm"] = max(r["hwm"] for r in results)  # the peak of all runs, not a median
        rows += report("median ", med, size, nfiles, tree_bytes)
    head = ("", "ipfs-kit S3", "moto_server", "ipfs-kit CLI (limit)", "moto/ours", "ours/CLI", "target", "")
    print()
    print(table(rows, head))
    print("\npeak RSS of serve by phase (VmHWM at start / after (a) up / (a) down / (b)): "
          + "; ".join(f"run {n}: {r['hwm_start'] / 1e6:.1f} / {r['hwm_up'] / 1e6:.1f} / {r['hwm_down'] / 1e6:.1f} / "
                      f"{r['hwm'] / 1e6:.1f} MB "
                      f"(VmRSS at the end {r['rss_end'] / 1e6:.1f} MB)" for n, r in enumerate(results, 1)))


if __name__ == "__main__":
    main()
