#!/usr/bin/env python3
"""Benchmark CAR export against `ipfs-car pack` of the same trees, in one run.

1. `bucket export-car` of a bucket holding one 1 GiB file, and `ipfs-car pack` of that file;
2. the same for a bucket of 20,000 small files (1-16 KiB, nested);
3. `bucket prepare-car` on a 100,000-file bucket (the home bench_buckets.py builds).

Each is a whole process, median of N runs, peak RSS from GNU time. Exports are timed twice:
to a file (`-o`: a temp file renamed into place, not fsynced, like ipfs-car's) and to stdout into
/dev/null (the export alone, as `ipfs-car pack` without `-o` writes it). ipfs-car must hash
every byte to build the DAG; an export reads the DAG we already built and checks every block
against its size (and, with --verify, its CID; then it hashes every byte twice: once per block,
once for the CAR's own CID).

usage: python3 scripts/bench_car.py [--runs N] [--workdir DIR] [--json OUT]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_buckets import IPFS_CAR, OURS, gen_100k, kit, report  # noqa: E402
from bench_hash import gen_big, gen_small, run_process  # noqa: E402


def median_of(runs, fn, out=None):
    # Before every run (untimed): remove the previous output, since replacing an existing file
    # makes ext4 write the new one back at once (auto_da_alloc), and flush dirty pages, since on
    # this VM a few GiB of pending writeback slows any large write several-fold, whoever makes it.
    results = []
    for _ in range(runs):
        if out and os.path.exists(out):
            os.remove(out)
        os.sync()
        results.append(fn())
    return statistics.median(r[0] for r in results), max(r[1] for r in results), results[-1][2]


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
    small, big = os.path.join(work, "small-20000"), os.path.join(work, "random-1gib.bin")
    print(f"generating data in {work} ...", flush=True)
    gen_small(small, 20000)
    gen_big(big, 1)
    homes = tempfile.mkdtemp(dir=work, prefix="car-homes-")
    out = os.path.join(homes, "out.car")
    results = {}
    for label, data, size in (("1 GiB file", big, 1 << 30), ("20,000 files", small, None)):
        home = os.path.join(homes, label.split()[0])
        kit(home, "bucket", "create", "b")
        kit(home, "bucket", "add", "b", data)
        print(f"\n{label}")
        to_file = median_of(args.runs, lambda: kit(home, "bucket", "export-car", "b", "-o", out), out)
        to_null = median_of(args.runs, lambda: run_process(["sh", "-c", f'exec "{OURS}" --home "{home}" bucket export-car b -o - > /dev/null']))
        verified = median_of(args.runs, lambda: run_process(["sh", "-c", f'exec "{OURS}" --home "{home}" bucket export-car b --verify -o - > /dev/null']))
        car = median_of(args.runs, lambda: run_process([IPFS_CAR, "pack", data, "--no-wrap", "-o", out], stdout=subprocess.DEVNULL), out)
        car_null = median_of(args.runs, lambda: run_process(["sh", "-c", f'exec "{IPFS_CAR}" pack "{data}" --no-wrap > /dev/null']))
        report("ipfs-kit bucket export-car -o FILE", to_file[0], to_file[1])
        report("ipfs-kit bucket export-car -o - > /dev/null", to_null[0], to_null[1])
        report("ipfs-kit bucket export-car --verify -o - > /dev/null", verified[0], verified[1])
        report("ipfs-car pack -o FILE", car[0], car[1])
        report("ipfs-car pack > /dev/null", car_null[0], car_null[1])
        row = {"export_file_s": to_file[0], "export_stdout_s": to_null[0], "ipfs_car_file_s": car[0],
               "ipfs_car_stdout_s": car_null[0], "rss_file": to_file[1], "rss_stdout": to_null[1],
               "export_verify_stdout_s": verified[0]}
        print(f"  => {car[0] / to_file[0]:.1f}x ipfs-car to a file, {car_null[0] / to_null[0]:.1f}x to stdout (target >= 5x), "
              f"{car_null[0] / verified[0]:.1f}x with --verify; "
              f"peak RSS {max(to_file[1], to_null[1]) / 1e6:.1f} MB (target <= 64 MB)")
        if size:
            gbps = (size / to_file[0] / 1e9, size / to_null[0] / 1e9)
            print(f"  => {gbps[0]:.2f} GB/s to a file, {gbps[1]:.2f} GB/s to stdout, "
                  f"{size / verified[0] / 1e9:.2f} GB/s with --verify (target >= 1 GB/s)")
            row["gbps_file"], row["gbps_stdout"] = gbps
        results[label] = row
        shutil.rmtree(home)

    home = os.path.join(work, "home-10x100k")
    if os.path.exists(os.path.join(home, ".complete")):
        print("\n100,000-file bucket")
        secs, rss, _ = median_of(args.runs, lambda: kit(home, "bucket", "prepare-car", "b0"))
        report("bucket prepare-car (100,000 files)", secs, rss, "<= 100 ms")
        results["prepare_car_100k_s"] = secs
    else:
        print("\n(skipping prepare-car on 100,000 files: run scripts/bench_buckets.py first)")
    shutil.rmtree(homes)
    if args.json:
        json.dump(results, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
