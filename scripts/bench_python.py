#!/usr/bin/env python3
"""Benchmark the Python package against the CLI and pyarrow, in one run.

(a) `ipfs_kit.hash` of one big file (1 GiB by default) from Python against `ipfs-kit hash` on
    the same file, interleaved (py, cli, py-process, ...) after one warm-up of each, warm page
    cache. Python is timed around the call in this process, and also as a whole process
    (`python -c 'ipfs_kit.hash(...)'`, interpreter start-up included) like the CLI, which is
    timed as a whole process started from here. A fresh process pays for touching its buffers
    for the first time (page faults, ~0.2 s of sys time per GiB here), which a warm process
    calling `hash` again does not: compare the process rows for like with like.
    Target: Python / CLI <= 1.05.
(b) Listing a bucket of 100,000 files (built with `ipfs-kit bucket add` of tiny files):
    `list(bucket.files())` against materialising the Parquet index with pyarrow
    (`pq.read_table(index).to_pylist()`) and against the bare `pq.read_table(index)`.
    Target: files() <= 2x the pyarrow materialisation.

Prints a table and, last, one JSON line with every figure.

usage: tests/interop/.venv/bin/python scripts/bench_python.py [--gib N] [--files N] [--runs N]
       [--workdir DIR] [--skip-hash] [--skip-files] [--json OUT]
Needs: cargo build --release; the wheel installed in that venv (pip install ./crates/python),
and pyarrow (in tests/interop/.venv already).

For a whole-process figure of the CLI side with the OS's own accounting (user/sys/peak RSS),
run `/usr/bin/time -v target/release/ipfs-kit hash FILE` beside
`/usr/bin/time -v python -c 'import ipfs_kit,sys; print(ipfs_kit.hash(sys.argv[1]))' FILE`
on the file this script leaves in --workdir (kept when --workdir is given).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIT = os.environ.get("IPFS_KIT_BIN", os.path.join(ROOT, "target", "release", "ipfs-kit"))

try:
    import ipfs_kit
except ImportError:
    sys.exit("ipfs_kit is not installed in this interpreter: pip install ./crates/python")


def gen_big(path: str, mib: int) -> None:
    """`mib` MiB of incompressible random bytes (deterministic)."""
    size = mib << 20
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    rng = random.Random(1024)
    with open(path + ".tmp", "wb") as f:
        for _ in range(mib):
            f.write(rng.randbytes(1 << 20))
    os.replace(path + ".tmp", path)


def gen_small(root: str, count: int) -> None:
    """`count` tiny files (12-40 bytes), 1,000 to a folder."""
    stamp = os.path.join(root, ".complete")
    if os.path.exists(stamp):
        return
    for i in range(count):
        d = os.path.join(root, f"d{i // 1000:03d}")
        if i % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:06d}.txt"), "w") as f:
            f.write(f"file {i} " + "x" * (i % 29) + "\n")
    open(stamp, "w").close()


def cli(*args: str) -> str:
    p = subprocess.run([KIT, "-q", *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"ipfs-kit {' '.join(args)} failed: {p.stderr.strip()}")
    return p.stdout


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def bench_hash(workdir: str, mib: int, runs: int) -> dict:
    big = os.path.join(workdir, f"big-{mib // 1024}g.bin" if mib % 1024 == 0 else f"big-{mib}m.bin")
    print(f"writing {mib} MiB test file ...", file=sys.stderr)
    gen_big(big, mib)
    py = lambda: ipfs_kit.hash(big)  # noqa: E731
    cl = lambda: cli("hash", big).strip()  # noqa: E731
    script = "import ipfs_kit, sys; print(ipfs_kit.hash(sys.argv[1]))"
    pp = lambda: subprocess.run([sys.executable, "-c", script, big], check=True,  # noqa: E731
                                capture_output=True, text=True).stdout.strip()
    # Warm-up (page cache, first import), and the three must agree.
    cid_py, cid_cli, cid_pp = py(), cl(), pp()
    if not cid_py == cid_cli == cid_pp:
        sys.exit(f"CIDs differ: python {cid_py}, cli {cid_cli}, python process {cid_pp}")
    py_t, cli_t, pp_t = [], [], []
    for _ in range(runs):
        py_t.append(timed(py)[0])
        cli_t.append(timed(cl)[0])
        pp_t.append(timed(pp)[0])
    med = statistics.median
    return {
        "bytes": os.path.getsize(big),
        "cid": cid_py,
        "python_s": med(py_t),
        "python_process_s": med(pp_t),
        "cli_s": med(cli_t),
        "python_runs": py_t,
        "python_process_runs": pp_t,
        "cli_runs": cli_t,
        "ratio_median": med([p / c for p, c in zip(py_t, cli_t)]),
        "process_ratio_median": med([p / c for p, c in zip(pp_t, cli_t)]),
    }


def bench_files(workdir: str, count: int, runs: int) -> dict:
    import pyarrow.parquet as pq

    src = os.path.join(workdir, f"small-{count}")
    home = os.path.join(workdir, f"home-{count}")
    print(f"writing {count} tiny files ...", file=sys.stderr)
    gen_small(src, count)
    if not os.path.exists(os.path.join(home, ".built")):
        shutil.rmtree(home, ignore_errors=True)
        print(f"ipfs-kit bucket add of {count} files ...", file=sys.stderr)
        cli("--home", home, "bucket", "create", "many")
        add_s, _ = timed(lambda: cli("--home", home, "bucket", "add", "many", src))
        open(os.path.join(home, ".built"), "w").close()
    else:
        add_s = None
    bucket = ipfs_kit.Home(home).bucket("many")
    index = bucket.index_path

    def files():
        return list(bucket.files())

    def pylist():
        return pq.read_table(index).to_pylist()

    def table():
        return pq.read_table(index)

    n_files = len(files())
    n_rows = len(pylist())
    if n_files != count or n_rows != count:
        sys.exit(f"expected {count} entries: files() gave {n_files}, the index {n_rows}")
    t_files, t_pylist, t_table = [], [], []
    for _ in range(runs):
        t_files.append(timed(files)[0])
        t_pylist.append(timed(pylist)[0])
        t_table.append(timed(table)[0])
    f, p, t = (statistics.median(x) for x in (t_files, t_pylist, t_table))
    return {
        "files": count,
        "cli_add_s": add_s,
        "files_s": f,
        "pyarrow_to_pylist_s": p,
        "pyarrow_read_table_s": t,
        "files_over_to_pylist": f / p,
        "files_over_read_table": f / t,
        "files_runs": t_files,
        "to_pylist_runs": t_pylist,
        "read_table_runs": t_table,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gib", type=int, default=1)
    ap.add_argument("--mib", type=int, help="the big file's size in MiB instead (for a quick try)")
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workdir", help="keep the generated data here (reused by later runs)")
    ap.add_argument("--skip-hash", action="store_true")
    ap.add_argument("--skip-files", action="store_true")
    ap.add_argument("--json", help="also write the JSON result to this file")
    args = ap.parse_args()
    if not os.path.exists(KIT):
        sys.exit(f"{KIT} is missing: cargo build --release (or set IPFS_KIT_BIN)")

    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-python-")
    os.makedirs(workdir, exist_ok=True)
    result = {"ipfs_kit": ipfs_kit.__version__, "python": sys.version.split()[0], "runs": args.runs,
              "cpus": os.cpu_count()}
    try:
        if not args.skip_hash:
            result["hash"] = bench_hash(workdir, args.mib or args.gib * 1024, args.runs)
        if not args.skip_files:
            result["list"] = bench_files(workdir, args.files, args.runs)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(f"{'measure':<46} {'median':>10} {'ratio':>8} {'target':>8}")
    print("-" * 75)
    if "hash" in result:
        h = result["hash"]
        size = f"{h['bytes'] / (1 << 30):g} GiB" if h["bytes"] >= 1 << 30 else f"{h['bytes'] >> 20} MiB"
        print(f"{f'ipfs-kit hash CLI (process), {size}':<46} {h['cli_s']:>9.3f}s")
        print(f"{f'python -c ipfs_kit.hash() (process), {size}':<46} {h['python_process_s']:>9.3f}s "
              f"{h['process_ratio_median']:>7.3f}x {'<=1.05x':>8}")
        print(f"{f'ipfs_kit.hash() in a warm process, {size}':<46} {h['python_s']:>9.3f}s "
              f"{h['ratio_median']:>7.3f}x {'<=1.05x':>8}")
    if "list" in result:
        l = result["list"]
        n = f"{l['files']:,}"
        print(f"{f'pq.read_table(index), {n} rows':<46} {l['pyarrow_read_table_s']:>9.3f}s")
        print(f"{f'pq.read_table(index).to_pylist(), {n} rows':<46} {l['pyarrow_to_pylist_s']:>9.3f}s")
        print(f"{f'list(bucket.files()), {n} files':<46} {l['files_s']:>9.3f}s "
              f"{l['files_over_to_pylist']:>7.3f}x {'<=2x':>8}")
        print(f"{'  (files() / bare read_table)':<46} {'':>10} {l['files_over_read_table']:>7.3f}x")
    line = json.dumps(result, sort_keys=True)
    if args.json:
        with open(args.json, "w") as f:
            f.write(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
