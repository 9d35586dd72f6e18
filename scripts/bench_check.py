#!/usr/bin/env python3
"""Benchmark `ipfs-kit check` on a home of 10 buckets x 100,000 files, each a whole process.

The home is built once and reused (under --work): 10 buckets, each of 1,000 folders x 100 files
of a few bytes, with content of its own (so no bucket shares blocks with another), then one
`bucket snapshot --all`. Then, timed over --runs runs each:

1. `check` (snapshot records and global directories, every DAG against the catalog, every
   Parquet index against the catalog);
2. `check --read-data` (the same, plus every stored byte and the DAGs' structural rules).

usage: python3 scripts/bench_check.py [--runs N] [--work DIR] [--bin PATH] [--json OUT]
Needs: cargo build --release, GNU time (peak RSS).
"""
import argparse, json, os, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_hash import run_process  # noqa: E402

BUCKETS, DIRS, FILES_PER_DIR = 10, 1000, 100
TARGET_SECS, TARGET_RSS = 4.0, 64e6


def write_tree(root, bucket):
    """1,000 folders x 100 files; the bytes name the bucket, so each bucket's blocks are its own."""
    for d in range(DIRS):
        folder = os.path.join(root, f"d{d:03d}")
        os.makedirs(folder, exist_ok=True)
        for f in range(FILES_PER_DIR):
            with open(os.path.join(folder, f"f{f:02d}.txt"), "w") as out:
                out.write(f"bucket {bucket} file {d * FILES_PER_DIR + f}\n")


def build_home(work, kit):
    """The home of 10 x 100,000 files and one snapshot, built once and reused by later runs."""
    home = os.path.join(work, "home-10x100k")
    if os.path.exists(os.path.join(home, ".complete")):
        return home
    shutil.rmtree(home, ignore_errors=True)
    tree = os.path.join(work, "tree")
    for b in range(BUCKETS):
        t = time.perf_counter()
        # One source tree rewritten per bucket: 100,000 files on disk, not a million.
        write_tree(tree, b)
        kit(home, "bucket", "create", f"b{b}")
        kit(home, "bucket", "add", f"b{b}", tree, "-q")
        print(f"  filled b{b} in {time.perf_counter() - t:.1f} s", flush=True)
    kit(home, "bucket", "snapshot", "--all")
    shutil.rmtree(tree)
    open(os.path.join(home, ".complete"), "w").close()
    return home


def median_of(runs, fn):
    # Flush earlier writes first, so one case does not pay for another's dirty pages.
    os.sync()
    results = [fn() for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results), [r[0] for r in results]


def report(label, secs, rss, all_secs):
    ok = "meets" if secs <= TARGET_SECS and rss <= TARGET_RSS else "misses"
    spread = ", ".join(f"{s:.2f}" for s in all_secs)
    print(f"  {label:<24} {secs:7.2f} s   peak RSS {rss / 1e6:6.1f} MB   ({ok} target; runs: {spread} s)", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", default="/tmp/ikbench-check", help="where the home is built and cached")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "ipfs-kit"))
    ap.add_argument("--skip-read-data", action="store_true", help="time plain `check` only")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    for tool in (binary, "/usr/bin/time"):
        if not os.path.exists(tool):
            sys.exit(f"missing {tool}: run cargo build --release (and install GNU time)")

    def kit(home, *argv):
        return run_process([binary, "--home", home, *argv], stdout=subprocess.PIPE)

    os.makedirs(args.work, exist_ok=True)
    print(f"home of {BUCKETS} buckets x {DIRS * FILES_PER_DIR:,} files in {args.work} ...", flush=True)
    home = build_home(args.work, kit)
    print(f"\n{binary}, median of {args.runs} runs; targets: <= {TARGET_SECS:.0f} s, <= {TARGET_RSS / 1e6:.0f} MB peak RSS")
    results = {}
    cases = [("check", ["check", "-q"])]
    if not args.skip_read_data:
        cases.append(("check --read-data", ["check", "--read-data", "-q"]))
    for label, argv in cases:
        secs, rss, all_secs = median_of(args.runs, lambda: kit(home, *argv))
        report(label, secs, rss, all_secs)
        results[label] = {"secs": secs, "rss": rss, "runs": all_secs}
    if args.json:
        json.dump(results, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
