#!/usr/bin/env python3
"""Benchmark a durable `bucket add` of 1 GiB into a fresh home against the physical limit:
`dd if=FILE of=COPY bs=1M conv=fsync` of the same file to the same disk, in the same run,
paired (dd, add, dd, add, ...).

Both read the source from the page cache (read once before timing) and both end with their
bytes on disk (dd's fsync; the add's fsyncs of its pack and SQLite files). Before every run the
previous output is removed and dirty pages are flushed (`sync`), untimed, so no run pays for
another's writeback. The home is created (`bucket create`) untimed too. Also shown: peak RSS.
Target: bucket add within 1.3x of dd conv=fsync, memory flat.

usage: python3 scripts/bench_add_big.py [--runs N] [--workdir DIR]
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_buckets import OURS, kit  # noqa: E402
from bench_hash import gen_big, run_process  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "ipfs-kit-bench"))
    args = ap.parse_args()
    work = args.workdir
    os.makedirs(work, exist_ok=True)
    big = os.path.join(work, "random-1gib.bin")
    gen_big(big, 1)
    subprocess.run(["cat", big], stdout=subprocess.DEVNULL, check=True)
    copy, home = os.path.join(work, "dd-out.bin"), os.path.join(work, "add-home")

    def fresh():
        for p in (copy, home):
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.remove(p)
        os.sync()

    dd, add, rss = [], [], []
    for _ in range(args.runs):
        fresh()
        dd.append(run_process(["dd", f"if={big}", f"of={copy}", "bs=1M", "conv=fsync", "status=none"])[0])
        fresh()
        kit(home, "bucket", "create", "big")
        os.sync()
        secs, peak, _ = run_process([OURS, "--home", home, "bucket", "add", "big", big, "-q"])
        add.append(secs)
        rss.append(peak)
    fresh()
    ratios = [a / d for a, d in zip(add, dd)]
    med = statistics.median
    print(f"1 GiB, {args.runs} paired runs (median, min-max):")
    print(f"  dd bs=1M conv=fsync        {med(dd):6.3f} s  ({min(dd):.3f}-{max(dd):.3f})")
    print(f"  bucket add (fresh home)    {med(add):6.3f} s  ({min(add):.3f}-{max(add):.3f})  peak RSS {max(rss) / 1e6:.1f} MB")
    print(f"  => add / dd: median {med(ratios):.2f}x (pairs {min(ratios):.2f}-{max(ratios):.2f}; target <= 1.3x)")


if __name__ == "__main__":
    main()
