#!/usr/bin/env python3
"""Benchmark snapshots on a home of 10 buckets x 100,000 files, each a whole process.

1. `bucket snapshot --all` after a one-file change to one bucket (the other nine reuse their
   stored index; the changed one stores its index again);
2. `bucket diff` between two such snapshots of the changed bucket (one file apart);
3. `bucket snapshots` (list every snapshot);
4. `gc --dry-run` and `check` over the whole home, for scale.

usage: python3 scripts/bench_snapshots.py [--runs N] [--workdir DIR] [--json OUT]
Needs: cargo build --release, GNU time. Shares its 10 x 100,000 home with bench_buckets.py.
"""
import argparse, json, os, statistics, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_buckets import OURS, gen_100k, home_10x100k, kit, median_of, report  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "ipfs-kit-bench"))
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    if not os.path.exists(OURS):
        sys.exit(f"missing {OURS}: run scripts/setup.sh")
    work = args.workdir
    os.makedirs(work, exist_ok=True)
    tree100k = os.path.join(work, "tree-100000")
    gen_100k(tree100k)
    home = home_10x100k(work, tree100k)
    results = {}
    secs, rss, _ = kit(home, "bucket", "snapshot", "--all")
    report("bucket snapshot --all (the first stores 10 indexes)", secs, rss)
    results["first_snapshot_s"] = secs

    counter = [0]

    def change_then_snapshot():
        counter[0] += 1
        one = os.path.join(work, f"snap-one-{counter[0]}.txt")
        with open(one, "w") as f:
            f.write(f"one changed file {time.time()}\n")
        kit(home, "bucket", "add", "b3", one, "--to", "d042")
        os.sync()
        return kit(home, "bucket", "snapshot", "--all")

    runs = [change_then_snapshot() for _ in range(args.runs)]
    secs = statistics.median(r[0] for r in runs)
    report("bucket snapshot --all after a one-file change", secs, max(r[1] for r in runs), "<= 200 ms")
    results["snapshot_after_change_s"] = secs

    listing = json.loads(kit(home, "bucket", "snapshots", "--json")[2])
    prev, last = listing[-2]["snapshot_id"], listing[-1]["snapshot_id"]
    secs, rss, out = median_of(args.runs, lambda: kit(home, "bucket", "diff", "b3", prev, last))
    report(f"bucket diff of two snapshots ({len(out.splitlines())} change)", secs, rss, "<= 50 ms")
    results["diff_s"] = secs
    secs, rss, out = median_of(args.runs, lambda: kit(home, "bucket", "snapshots"))
    report(f"bucket snapshots ({len(listing)} snapshots)", secs, rss, "<= 20 ms")
    results["snapshots_s"] = secs
    secs, rss, _ = median_of(1, lambda: kit(home, "gc", "--dry-run"))
    report("gc --dry-run (mark 10 x 100,000 + snapshots)", secs, rss)
    results["gc_dry_run_s"] = secs
    secs, rss, _ = median_of(1, lambda: kit(home, "check"))
    report("check (DAG, catalog and index of every bucket)", secs, rss)
    results["check_s"] = secs
    if args.json:
        json.dump(results, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
