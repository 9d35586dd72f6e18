#!/usr/bin/env python3
"""Benchmark the bucket commands, each timed as a whole process started from here.

1. `bucket add` of 20,000 small files (1-16 KiB, nested) into a fresh home, against
   `ipfs-car pack` of the same tree, in the same run;
2. `bucket files` on a 100,000-file bucket;
3. `bucket find-cid` over 10 buckets of 100,000 files each;
4. `bucket add` of one file to a 100,000-file bucket;
5. peak RSS of `bucket add` of a 1 GiB file.

usage: python3 scripts/bench_buckets.py [--runs N] [--workdir DIR] [--json OUT]
Needs: cargo build --release, tests/interop/setup.sh (ipfs-car), GNU time (peak RSS).
"""
import argparse, json, os, random, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(ROOT, "target", "release", "ipfs-kit")
IPFS_CAR = os.path.join(ROOT, "tests", "interop", "node_modules", ".bin", "ipfs-car")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_hash import gen_big, gen_small, run_process  # noqa: E402


def gen_100k(root):
    stamp = os.path.join(root, ".complete")
    if os.path.exists(stamp):
        return
    rng = random.Random(100000)
    for i in range(100_000):
        d = os.path.join(root, f"d{i // 1000:03d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:06d}.txt"), "wb") as f:
            f.write(rng.randbytes(rng.randint(100, 2000)))
    open(stamp, "w").close()


def home_10x100k(work, tree100k):
    """The shared home of 10 buckets x 100,000 files, built once and reused by later runs."""
    home = os.path.join(work, "home-10x100k")
    if not os.path.exists(os.path.join(home, ".complete")):
        shutil.rmtree(home, ignore_errors=True)
        for b in range(10):
            kit(home, "bucket", "create", f"b{b}")
            t = time.perf_counter()
            kit(home, "bucket", "add", f"b{b}", tree100k)
            print(f"  filled b{b} in {time.perf_counter() - t:.1f} s", flush=True)
        open(os.path.join(home, ".complete"), "w").close()
    return home


def kit(home, *args, stdout=subprocess.PIPE):
    return run_process([OURS, "--home", home, *args], stdout=stdout)


def median_of(runs, fn):
    # Flush earlier writes first, so one case does not pay for another's dirty pages.
    os.sync()
    results = [fn() for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results), results[-1][2]


def report(label, secs, rss, target=None):
    tail = f"   (target {target})" if target else ""
    print(f"  {label:<52} {secs * 1000:9.1f} ms   peak RSS {rss / 1e6:6.1f} MB{tail}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "ipfs-kit-bench"))
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    for tool in (OURS, IPFS_CAR, "/usr/bin/time"):
        if not os.path.exists(tool):
            sys.exit(f"missing {tool}: run scripts/setup.sh")
    work = args.workdir
    os.makedirs(work, exist_ok=True)
    small, tree100k, big = (os.path.join(work, n) for n in ("small-20000", "tree-100000", "random-1gib.bin"))
    print(f"generating data in {work} ...", flush=True)
    gen_small(small, 20000)
    gen_100k(tree100k)
    gen_big(big, 1)
    results = {}

    print("\n1. add 20,000 small files vs ipfs-car pack")
    homes = tempfile.mkdtemp(dir=work, prefix="homes-")

    def add_small():
        home = tempfile.mkdtemp(dir=homes)
        kit(home, "bucket", "create", "small")
        out = kit(home, "bucket", "add", "small", small)
        shutil.rmtree(home)
        return out

    secs, rss, _ = median_of(args.runs, add_small)
    car, car_rss, _ = median_of(args.runs, lambda: run_process([IPFS_CAR, "pack", small, "--no-wrap"], stdout=subprocess.DEVNULL))
    report("ipfs-kit bucket add (fresh home)", secs, rss)
    report("ipfs-car pack", car, car_rss)
    print(f"  => {car / secs:.1f}x ipfs-car (target >= 3x)")
    results["add_20k"] = {"ipfs_kit_s": secs, "ipfs_car_s": car, "ratio": car / secs, "rss": rss}

    print("\n2-4. a home with 10 buckets of 100,000 files")
    home = home_10x100k(work, tree100k)
    secs, rss, _ = median_of(args.runs, lambda: kit(home, "bucket", "files", "b0", stdout=subprocess.DEVNULL))
    report("bucket files (100,000 files)", secs, rss, "<= 100 ms")
    results["files_100k_s"] = secs
    probe = os.path.join(tree100k, "d050", "f050505.txt")
    cid = run_process([OURS, "hash", probe])[2]
    secs, rss, out = median_of(args.runs, lambda: kit(home, "bucket", "find-cid", cid))
    hits = len(out.splitlines())
    report(f"bucket find-cid over 10 x 100,000 ({hits} hits)", secs, rss, "<= 50 ms")
    results["find_cid_s"] = secs
    counter = [0]

    def add_one():
        counter[0] += 1
        one = os.path.join(work, f"one-{counter[0]}.txt")
        with open(one, "w") as f:
            f.write(f"one more file {time.time()}\n")
        return kit(home, "bucket", "add", "b1", one, "--to", "d042")

    secs, rss, _ = median_of(args.runs, add_one)
    report("bucket add of one file to a 100,000-file bucket", secs, rss, "<= 100 ms")
    results["add_one_s"] = secs

    print("\n5. add a 1 GiB file")
    one_home = tempfile.mkdtemp(dir=homes)
    kit(one_home, "bucket", "create", "big")
    os.sync()
    secs, rss, _ = kit(one_home, "bucket", "add", "big", big)
    report("bucket add of 1 GiB (stored)", secs, rss, "peak RSS <= 64 MB")
    print(f"  => {(1 << 30) / secs / 1e9:.2f} GB/s")
    results["add_1gib"] = {"secs": secs, "rss": rss}
    shutil.rmtree(homes)
    if args.json:
        json.dump(results, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
