#!/usr/bin/env python3
"""Benchmark `ipfs-kit serve` against nginx serving the same bytes as static files, on loopback,
in one run:

- (i)   requests/s for a 1 KiB raw block, `GET /ipfs/{cid}?format=raw`, with wrk (2 threads,
        64 connections, keep-alive) against nginx serving the same 1 KiB as a file;
- (ii)  time and GB/s to GET a big file (1 GiB by default) through the path gateway,
        `GET /ipfs/{cid}`, against nginx serving the file (curl -o /dev/null, one connection);
- (iii) time and GB/s to GET its CAR, `GET /ipfs/{root}?format=car`, against nginx serving the
        CAR `ipfs-kit bucket export-car` wrote for the same bucket;
- (iv)  the server's peak RSS over all of that (VmHWM in /proc/PID/status, read before it stops).

Each answer is checked once before it is timed (the block's and the file's bytes, the CAR with
`ipfs-kit car verify`). Transfers run in pairs (ours, nginx) --runs times; medians and the
ratio of the pairs are printed. Targets: raw >= 20,000 req/s; file and CAR within 1.5x of
nginx's time; peak RSS <= 64 MB. Not part of CI (it needs minutes and a quiet machine).

Needs a release build and nginx, wrk and curl (`bash tests/interop/setup.sh` installs them).

usage: python3 scripts/bench_serve.py [--size-mib N] [--runs N] [--duration SECS] [--workdir DIR]
"""
import argparse, hashlib, json, os, random, shutil, socket, statistics, subprocess, sys, tempfile, time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_buckets import OURS  # noqa: E402

RAW_TARGET = 20_000
TIME_TARGET = 1.5
RSS_TARGET = 64e6


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gen_file(path, mib):
    """`mib` MiB of seeded pseudo-random bytes (kept between runs when the size is right)."""
    if os.path.exists(path) and os.path.getsize(path) == mib << 20:
        return
    rng = random.Random(1024)
    with open(path + ".tmp", "wb") as f:
        left = mib
        while left:
            n = min(left, 16)
            f.write(rng.randbytes(n << 20))
            left -= n
    os.replace(path + ".tmp", path)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def kit(home, *args):
    p = subprocess.run([OURS, "--home", home, *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"ipfs-kit {' '.join(args)} failed: {p.stderr.strip()}")
    return p.stdout


class Serve:
    """`ipfs-kit serve --listen 127.0.0.1:0` on a home; the URL from its first stdout line."""

    def __init__(self, home, work):
        self.log = open(os.path.join(work, "serve.log"), "w")
        self.proc = subprocess.Popen([OURS, "--home", home, "serve", "--listen", "127.0.0.1:0"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on http://127.0.0.1:"):
            self.stop()
            sys.exit(f"ipfs-kit serve said {line!r}; see {self.log.name}")
        self.url = line.split()[-1]
        # Keep draining stdout so the server never blocks on a full pipe.
        self.drain = subprocess.Popen(["cat"], stdin=self.proc.stdout, stdout=subprocess.DEVNULL)

    def vm(self, key):
        """A figure from /proc/PID/status in bytes (VmHWM: the peak RSS so far)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            code = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if getattr(self, "drain", None):
            self.drain.wait()
        return code


class Nginx:
    """nginx serving `www` on 127.0.0.1, configured in `work/nginx` and run in the foreground."""

    def __init__(self, www, work):
        d = os.path.join(work, "nginx")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # As root, nginx's workers would run as nobody, who cannot read a private temp dir.
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""{user}daemon off;
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types {{ application/vnd.ipld.car car; application/vnd.ipld.raw raw; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{self.port};
        root {www};
    }}
}}
""")
        self.log = os.path.join(d, "error.log")
        nginx = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")
        self.proc = subprocess.Popen([nginx, "-p", d, "-e", self.log, "-c", conf],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    sys.exit(f"nginx exited: {open(self.log).read()}")
                time.sleep(0.05)
        self.stop()
        sys.exit("nginx did not listen in 10 s")

    def stop(self):
        self.proc.terminate()  # SIGTERM: fast shutdown
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.status, r.read()


def wrk(url, duration, threads=2, conns=64):
    """Requests/s from wrk; exits if any answer was not 2xx/3xx or a socket failed."""
    p = subprocess.run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", url], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"wrk {url} failed: {p.stderr}{p.stdout}")
    rps = None
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            rps = float(line.split()[1])
        if line.startswith("Non-2xx or 3xx responses:") or line.startswith("Socket errors:"):
            print(f"  wrk {url}: {line}", flush=True)
            if line.startswith("Non-2xx"):
                sys.exit(f"wrk {url}: {line}")
    if rps is None:
        sys.exit(f"wrk {url}: no Requests/sec line:\n{p.stdout}")
    return rps


def curl_time(url, want_bytes):
    """Seconds for one GET to /dev/null on a fresh connection (curl's own time_total)."""
    p = subprocess.run(["curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{time_total} %{size_download}", url],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"curl {url} failed: {p.stderr.strip()}")
    secs, size = p.stdout.split()
    if int(size) != want_bytes:
        sys.exit(f"curl {url}: {size} bytes, expected {want_bytes}")
    return float(secs)


def paired(runs, ours, theirs):
    a, b = [], []
    for _ in range(runs):
        a.append(ours())
        b.append(theirs())
    return a, b


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=int, default=1024, help="size of the big file in MiB (default 1024)")
    ap.add_argument("--runs", type=int, default=3, help="paired transfers of the big file and of its CAR")
    ap.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "ipfs-kit-bench-serve"))
    args = ap.parse_args()
    for tool in ("nginx", "wrk", "curl"):
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin") is None:
            sys.exit(f"{tool} is not installed: run bash tests/interop/setup.sh")
    if not os.access(OURS, os.X_OK):
        sys.exit(f"{OURS} missing: cargo build --release --locked")
    work = os.path.abspath(args.workdir)
    os.makedirs(work, exist_ok=True)
    www, home = os.path.join(work, "www"), os.path.join(work, "home")
    shutil.rmtree(www, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(www)

    # The data: a 1 KiB block (a single raw leaf: its CID is the block) and the big file, each in
    # a bucket of its own, with nginx's copies beside them (the big one hard-linked).
    tiny = os.path.join(www, "tiny.bin")
    with open(tiny, "wb") as f:
        f.write(random.Random(1).randbytes(1024))
    big_src = os.path.join(work, f"random-{args.size_mib}mib.bin")
    gen_file(big_src, args.size_mib)
    big = os.path.join(www, "big.bin")
    os.link(big_src, big)
    size = os.path.getsize(big)
    kit(home, "bucket", "create", "tiny", "-q")
    kit(home, "bucket", "add", "tiny", tiny, "-q")
    kit(home, "bucket", "create", "big", "-q")
    kit(home, "bucket", "add", "big", big, "-q")
    tiny_cid = kit(home, "hash", tiny).strip()
    big_cid = kit(home, "hash", big).strip()
    root = json.loads(kit(home, "bucket", "info", "big", "--json"))["root"]
    car = os.path.join(www, "big.car")
    kit(home, "bucket", "export-car", "big", "-o", car, "-q")
    car_size = os.path.getsize(car)
    big_sha = sha256_file(big)
    print(f"1 KiB block {tiny_cid}; {size / 2**20:.0f} MiB file {big_cid}; bucket root {root}, "
          f"CAR {car_size} bytes", flush=True)

    serve = nginx = None
    try:
        serve = Serve(home, work)
        nginx = Nginx(www, work)
        print(f"ipfs-kit serve at {serve.url} (pid {serve.proc.pid}), nginx at {nginx.url}", flush=True)
        raw_url = f"{serve.url}/ipfs/{tiny_cid}?format=raw"
        file_url = f"{serve.url}/ipfs/{big_cid}"
        car_url = f"{serve.url}/ipfs/{root}?format=car"

        # Correct answers first (untimed).
        tiny_bytes = open(tiny, "rb").read()
        for url in (raw_url, f"{nginx.url}/tiny.bin"):
            status, body = get(url)
            if status != 200 or body != tiny_bytes:
                sys.exit(f"{url}: status {status}, {len(body)} bytes, not the 1 KiB block")
        got = subprocess.run(f"curl -sS --fail '{file_url}' | sha256sum", shell=True, capture_output=True, text=True)
        if got.returncode != 0 or got.stdout.split()[0] != big_sha:
            sys.exit(f"{file_url}: not the file's bytes ({got.stdout.strip()} {got.stderr.strip()})")
        fetched_car = os.path.join(work, "fetched.car")
        subprocess.run(["curl", "-sS", "--fail", "-o", fetched_car, car_url], check=True)
        served_car_size = os.path.getsize(fetched_car)
        verify = subprocess.run([OURS, "car", "verify", fetched_car], capture_output=True, text=True)
        roots = subprocess.run([OURS, "car", "roots", fetched_car], capture_output=True, text=True)
        os.remove(fetched_car)
        if verify.returncode != 0 or roots.stdout.split() != [root]:
            sys.exit(f"{car_url}: car verify: {verify.stdout.strip()} {verify.stderr.strip()}; "
                     f"roots {roots.stdout.strip()} {roots.stderr.strip()}, expected {root}")
        if served_car_size != car_size:
            print(f"  note: the served CAR is {served_car_size} bytes, export-car's {car_size}", flush=True)
        print(f"answers checked (CAR: {verify.stdout.strip().splitlines()[0]})", flush=True)

        # (i) a 1 KiB raw block, many small requests.
        print(f"wrk -t2 -c64 -d{args.duration}s ...", flush=True)
        raw_ours = wrk(raw_url, args.duration)
        raw_nginx = wrk(f"{nginx.url}/tiny.bin", args.duration)
        hwm_raw = serve.vm("VmHWM")

        # (ii) and (iii) the big file and its CAR, one connection each, in pairs.
        file_ours, file_nginx = paired(args.runs, lambda: curl_time(file_url, size),
                                       lambda: curl_time(f"{nginx.url}/big.bin", size))
        car_ours, car_nginx = paired(args.runs, lambda: curl_time(car_url, served_car_size),
                                     lambda: curl_time(f"{nginx.url}/big.car", car_size))
        hwm = serve.vm("VmHWM")
        rss_now = {k: serve.vm(k) for k in ("VmRSS", "RssAnon", "RssFile")}
    finally:
        code = serve.stop() if serve else None
        if nginx:
            nginx.stop()
    if code != 0:
        print(f"  note: ipfs-kit serve exited {code} after SIGTERM (see {serve.log.name})", flush=True)

    def med(xs):
        return statistics.median(xs)

    def ratio(ours, theirs):
        rs = sorted(o / t for o, t in zip(ours, theirs))
        return med(rs), rs[0], rs[-1]

    rows = []
    ok = raw_ours >= RAW_TARGET
    rows.append(("(i) 1 KiB raw block", f"{raw_ours:,.0f} req/s", f"{raw_nginx:,.0f} req/s",
                 f"{raw_ours / raw_nginx:.2f}x", f">= {RAW_TARGET:,} req/s", ok))
    for name, ours, theirs, nbytes in (("(ii) file, path gateway", file_ours, file_nginx, size),
                                       ("(iii) CAR", car_ours, car_nginx, served_car_size)):
        r, lo, hi = ratio(ours, theirs)
        rows.append((f"{name}, {nbytes / 2**20:.0f} MiB",
                     f"{med(ours):.3f} s {nbytes / med(ours) / 1e9:.2f} GB/s",
                     f"{med(theirs):.3f} s {nbytes / med(theirs) / 1e9:.2f} GB/s",
                     f"{r:.2f}x ({lo:.2f}-{hi:.2f})", f"time <= {TIME_TARGET}x nginx", r <= TIME_TARGET))
    rows.append(("(iv) peak RSS of serve", f"{hwm / 1e6:.1f} MB", "", f"after (i): {hwm_raw / 1e6:.1f} MB",
                 f"<= {RSS_TARGET / 1e6:.0f} MB", hwm <= RSS_TARGET))
    head = ("", "ipfs-kit serve", "nginx", "ratio", "target", "")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(5)]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r[:5], widths)) + "  " + ("ok" if r[5] else "MISSED"))
    print(f"\nruns: file ours {', '.join(f'{x:.3f}' for x in file_ours)} / nginx "
          f"{', '.join(f'{x:.3f}' for x in file_nginx)}; CAR ours {', '.join(f'{x:.3f}' for x in car_ours)} / "
          f"nginx {', '.join(f'{x:.3f}' for x in car_nginx)}; serve at the end: "
          + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in rss_now.items()))


if __name__ == "__main__":
    main()
