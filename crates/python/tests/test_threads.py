"""Long calls release the GIL: two threads doing native work at once finish sooner than one
after the other (the machine running CI has at least 2 cores)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

import ipfs_kit
from conftest import pattern_bytes

SIZE = 256 << 20


@pytest.fixture(scope="module")
def two_big_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("big")
    paths = []
    for seed in (1, 2):
        p = d / f"big{seed}.bin"
        p.write_bytes(pattern_bytes(SIZE, seed))
        paths.append(p)
    yield paths
    shutil.rmtree(d)  # 512 MiB: not left for pytest's kept temp dirs


def _in_threads(calls):
    errors = []

    def run(c):
        try:
            c()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    assert not errors, errors
    return took


def _serial(calls):
    t0 = time.perf_counter()
    for c in calls:
        c()
    return time.perf_counter() - t0


def test_hashes_in_threads_give_the_serial_answers(two_big_files) -> None:
    """No timing here: `hash` already spreads one file over the cores (chunk hashing in worker
    threads), so two at once cannot be much faster than one after the other. The GIL part is
    `test_python_threads_run_while_native_code_works`."""
    a, b = two_big_files
    want = {"a": ipfs_kit.hash(a), "b": ipfs_kit.hash(b)}
    got = {}
    _in_threads([lambda: got.__setitem__("a", ipfs_kit.hash(a)), lambda: got.__setitem__("b", ipfs_kit.hash(b))])
    assert got == want and want["a"] != want["b"]


@pytest.fixture(scope="module")
def two_folders(tmp_path_factory):
    """Two folders of 2,500 distinct 96 KiB files (~235 MiB each)."""
    d = tmp_path_factory.mktemp("folders")
    out = []
    for seed in (1, 2):
        root = d / f"folder{seed}"
        root.mkdir()
        size = 96 << 10
        pat = pattern_bytes(size * 3, seed)
        for i in range(2500):
            off = (i * 7919) % (size * 2)
            (root / f"f{i:05}.bin").write_bytes(i.to_bytes(8, "little") + pat[off:off + size - 8])
        out.append(root)
    yield out
    shutil.rmtree(d)


def test_two_adds_to_two_buckets_run_in_parallel(two_folders, tmp_path: Path) -> None:
    """Folders of many files, not one big file each: the importer already spreads one big file
    over every core (leaf hashing in worker threads), so two big files at once gain little
    whether or not the GIL is held, while a file of one chunk is imported on one thread."""
    assert (os.cpu_count() or 1) >= 2, "this test needs at least 2 cores"
    a, b = two_folders

    # A fresh home for each run, so no run finds the blocks already stored; removed after.
    def run(tag, together):
        h = ipfs_kit.Home(tmp_path / f"home-{tag}", lock_timeout=60)
        one, two = h.create_bucket("one"), h.create_bucket("two")
        calls = [lambda: one.add(a), lambda: two.add(b)]
        took = _in_threads(calls) if together else _serial(calls)
        assert one.stat(a.name).cid == ipfs_kit.hash(a)
        assert two.stat(b.name).cid == ipfs_kit.hash(b)
        assert one.info().files == two.info().files == 2500
        shutil.rmtree(h.path)
        return took

    # Interleaved, best of three each: the machine's other load hits both sides alike.
    serial, parallel = [], []
    for i in range(3):
        serial.append(run(f"s{i}", False))
        parallel.append(run(f"p{i}", True))
    serial, parallel = min(serial), min(parallel)
    print(f"two adds of 2,500 files: serial {serial:.2f}s, two threads {parallel:.2f}s")
    # Held GIL: about 1.0 (or worse); released: about 0.6 on 2 cores. 0.9 leaves room for noise.
    assert parallel < 0.9 * serial, f"serial {serial:.2f}s, two threads {parallel:.2f}s"


def test_python_threads_run_while_native_code_works(two_big_files, tmp_path: Path) -> None:
    """While one thread is inside a long native call, another thread's Python keeps running."""
    a, _ = two_big_files
    done = threading.Event()
    ticks = [0]

    def spin():
        while not done.is_set():
            ticks[0] += 1

    def rate_during(fn):
        ticks[0] = 0
        done.clear()
        t = threading.Thread(target=spin)
        t.start()
        t0 = time.perf_counter()
        try:
            fn()
        finally:
            took = time.perf_counter() - t0
            done.set()
            t.join()
        return ticks[0] / took, took

    alone, _ = rate_during(lambda: time.sleep(0.3))
    bucket = ipfs_kit.Home(tmp_path / "home").create_bucket("b")
    during_add, took = rate_during(lambda: bucket.add(a))
    during_hash, _ = rate_during(lambda: ipfs_kit.hash(a))
    during_cat, _ = rate_during(lambda: bucket.cat(a.name))

    def read_all():
        with bucket.open(a.name) as f:
            while f.read(64 << 20):
                pass

    during_read, _ = rate_during(read_all)
    car = tmp_path / "b.car"
    during_export, _ = rate_during(lambda: bucket.export_car(car))
    during_verify, _ = rate_during(lambda: ipfs_kit.car.verify(car))
    during_import, _ = rate_during(lambda: ipfs_kit.Home(tmp_path / "other").import_car(car, "copy"))
    # A held GIL stops the spinner for the whole call (a rate near 0); a released one leaves it
    # competing only for the cores with the call's own worker threads.
    rates = {"add": during_add, "hash": during_hash, "cat": during_cat, "open().read()": during_read, "export_car": during_export,
             "car.verify": during_verify, "import_car": during_import}
    slow = {k: round(v / alone, 3) for k, v in rates.items() if v < 0.05 * alone}
    assert not slow, f"the spinner ran at these fractions of its free rate: {slow} (add took {took:.2f}s)"


def test_one_home_shared_by_a_reader_and_a_writer_thread(tmp_path: Path) -> None:
    home = ipfs_kit.Home(tmp_path / "home")
    b = home.create_bucket("b")
    src = tmp_path / "src"
    src.mkdir()
    n = 25
    for i in range(n):
        (src / f"f{i:02}.txt").write_text(f"file {i}\n")
    stop = threading.Event()
    seen, errors = [], []

    def reader():
        try:
            while not stop.is_set():
                paths = [e.path for e in b.files()]
                seen.append(len(paths))
                for p in paths[-2:]:
                    assert b.cat(p) == (src / p).read_bytes()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(n):
            b.add(src / f"f{i:02}.txt")
    finally:
        stop.set()
        t.join(30)
    assert not errors, errors
    assert seen and seen == sorted(seen) and seen[-1] <= n
    assert len(list(b.files())) == n
