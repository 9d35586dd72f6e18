#!/usr/bin/env python3
"""Benchmark `bucket export-car -o FILE` of 1 GiB against the physical limit: `cp` of a 1 GiB
file to the same disk, in the same run, paired (cp, export, cp, export, ...).

Both write a new file (the previous output is removed first, untimed) into the same folder and
neither fsyncs; before every run the page cache's dirty pages are flushed (`sync`), so one run
does not pay for another's writeback. The bucket's blocks and the source file are in the page
cache (read once before timing), as they are for cp. Also shown: the export into /dev/null (no
write cost at all). Target: export-car -o within 1.3x of cp.

usage: python3 scripts/bench_export_file.py [--runs N] [--workdir DIR]
"""
import argparse, os, statistics, subprocess, sys, tempfile

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
    home = tempfile.mkdtemp(dir=work, prefix="export-home-")
    kit(home, "bucket", "create", "b")
    kit(home, "bucket", "add", "b", big, "-q")
    out_cp, out_car = os.path.join(work, "cp-out.bin"), os.path.join(work, "export-out.car")
    # Warm both sources into the page cache.
    subprocess.run(["cat", big], stdout=subprocess.DEVNULL, check=True)
    kit(home, "bucket", "export-car", "b", "-o", "-", stdout=subprocess.DEVNULL)

    def fresh(path):
        if os.path.exists(path):
            os.remove(path)
        os.sync()

    cp, car, null = [], [], []
    for _ in range(args.runs):
        fresh(out_cp)
        cp.append(run_process(["cp", big, out_cp])[0])
        fresh(out_car)
        car.append(run_process([OURS, "--home", home, "bucket", "export-car", "b", "-o", out_car])[0])
        os.sync()
        null.append(run_process(["sh", "-c", f'exec "{OURS}" --home "{home}" bucket export-car b -o - >/dev/null'])[0])
    ratios = [c / p for c, p in zip(car, cp)]
    med = statistics.median
    print(f"1 GiB, {args.runs} paired runs (median, min-max):")
    print(f"  cp FILE FILE2                     {med(cp):6.3f} s  ({min(cp):.3f}-{max(cp):.3f})  {(1 << 30) / med(cp) / 1e9:.2f} GB/s")
    print(f"  bucket export-car -o FILE         {med(car):6.3f} s  ({min(car):.3f}-{max(car):.3f})  {(1 << 30) / med(car) / 1e9:.2f} GB/s")
    print(f"  bucket export-car -o - >/dev/null {med(null):6.3f} s  ({min(null):.3f}-{max(null):.3f})")
    print(f"  => export-car -o / cp: median {med(ratios):.2f}x (pairs {min(ratios):.2f}-{max(ratios):.2f}; target <= 1.3x)")
    for p in (out_cp, out_car):
        if os.path.exists(p):
            os.remove(p)
    subprocess.run(["rm", "-rf", home], check=True)


if __name__ == "__main__":
    main()
