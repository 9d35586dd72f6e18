#!/usr/bin/env python3
"""Benchmark `bucket push --to STORACHA` against the official JS client's `uploadCAR` of the
same CAR, both to a fresh local Storacha upload service (tests/interop/storacha), in the same
run, paired (ours, JS, ours, JS, ...), for a 100 MiB and a 1 GiB bucket of random bytes.

Each upload gets a fresh service (its test context's internal delegation expires 30 s after
start), started untimed. Both sides do the whole job: shard, hash, commP, blob/add + PUT +
conclude + accept per shard, filecoin/offer, index, upload/add. Ours streams each shard from
the block store twice (hash, then PUT); the JS client reads the CAR file (opened as a
file-backed Blob) and holds each shard in memory. Shown: median wall time (min-max), ratio,
peak RSS (GNU time), and whether both made the same shard CIDs.
Target: >= 2x faster than the JS client, peak RSS <= 64 MB.

usage: python3 scripts/bench_storacha.py [--runs N] [--sizes 100,1024] [--workdir DIR]
Binary: $IPFS_KIT_BIN, else $CARGO_TARGET_DIR/release/ipfs-kit, else target/release/ipfs-kit.
"""
import argparse, json, os, random, shutil, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SVC_DIR = os.path.join(ROOT, "tests", "interop", "storacha")
OURS = os.environ.get("IPFS_KIT_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "ipfs-kit")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_hash import run_process  # noqa: E402


def gen(path, mib):
    if os.path.exists(path) and os.path.getsize(path) == mib << 20:
        return
    rng = random.Random(mib)
    with open(path + ".tmp", "wb") as f:
        for _ in range(mib // 16):
            f.write(rng.randbytes(16 << 20))
    os.replace(path + ".tmp", path)


def kit(home, *args):
    p = subprocess.run([OURS, "--home", home, *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"ipfs-kit {args}: {p.stderr}")
    return p.stdout


class Service:
    """storacha-local.mjs on a free loopback port; ends when its stdin closes."""

    def __init__(self, work):
        self.json = os.path.join(work, "service.json")
        self.proc = subprocess.Popen(
            ["node", "storacha-local.mjs", "--out", self.json, "--exit-with-stdin"],
            cwd=SVC_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("storacha-local ready"):
            sys.exit(f"storacha-local.mjs said {line!r}")
        with open(self.json) as f:
            self.info = json.load(f)

    def stop(self):
        self.proc.stdin.close()
        self.proc.kill()
        self.proc.wait()


def ours_once(home, work):
    svc = Service(work)
    try:
        i = svc.info
        subprocess.run([OURS, "--home", home, "remote", "rm", "bench"], capture_output=True)
        kit(home, "remote", "add", "bench", "storacha", "--key", i["agentKey"], "--proof", i["proof"],
            "--service-url", i["url"], "--service-did", i["serviceDid"], "--receipts-url", i["receipts"])
        secs, rss, out = run_process([OURS, "--home", home, "-q", "bucket", "push", "big", "--to", "bench", "--json"])
        return secs, rss, json.loads(out)["shards"]
    finally:
        svc.stop()


def js_once(car, work):
    svc = Service(work)
    try:
        secs, rss, out = run_process(["node", os.path.join(SVC_DIR, "storacha-upload.mjs"), svc.json, car])
        return secs, rss, json.loads(out.splitlines()[-1])["shards"]
    finally:
        svc.stop()


def bench(mib, runs, work):
    data = os.path.join(work, f"random-{mib}mib.bin")
    gen(data, mib)
    home = os.path.join(work, f"home-{mib}")
    if os.path.isdir(home):
        shutil.rmtree(home)
    kit(home, "bucket", "create", "big")
    kit(home, "bucket", "add", "big", data, "-q")
    car = os.path.join(work, f"big-{mib}.car")
    if os.path.exists(car):
        os.remove(car)
    kit(home, "bucket", "export-car", "big", "-o", car)
    ours, js = [], []
    for _ in range(runs):
        ours.append(ours_once(home, work))
        js.append(js_once(car, work))
    med = statistics.median
    o, j = [r[0] for r in ours], [r[0] for r in js]
    same = ours[-1][2] == js[-1][2]
    print(f"{mib} MiB bucket ({os.path.getsize(car)} bytes of CAR, {len(ours[-1][2])} shards), {runs} paired runs:")
    print(f"  ipfs-kit bucket push     {med(o):7.3f} s ({min(o):.3f}-{max(o):.3f})  peak RSS {max(r[1] for r in ours) / 1e6:6.1f} MB")
    print(f"  @storacha/client upload  {med(j):7.3f} s ({min(j):.3f}-{max(j):.3f})  peak RSS {max(r[1] for r in js) / 1e6:6.1f} MB")
    print(f"  => JS / ours: median {med(j) / med(o):.2f}x; same shard CIDs: {same}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="100,1024", help="bucket sizes in MiB")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "ipfs-kit-bench-storacha"))
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    print(f"binary {OURS}")
    for mib in (int(s) for s in args.sizes.split(",")):
        bench(mib, args.runs, args.workdir)


if __name__ == "__main__":
    main()
