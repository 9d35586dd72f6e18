#!/usr/bin/env python3
"""Crash soak for the ipfs-kit CLI; run it through scripts/crash_soak.sh (usage there).

Builds one template home, measures each command un-killed on copies of it (three runs that must
agree: they give the "new" state, and their median time T), then runs N trials rotating through
the commands: copy the command's template, start the command, `kill -9` it after a uniform
random delay in [0, 1.2 T], and require `check --read-data` with no errors, every bucket (root
and path+cid list), the snapshot list and, for gc, the dead-block count all in the old or all in
the new state, and a follow-up `bucket add` that succeeds and shows. Standard library only.
"""

import argparse, json, os, random, shutil, signal, subprocess, sys, tempfile, time

BIN = os.path.abspath(os.environ.get("IPFS_KIT_BIN", "./target/release/ipfs-kit"))
ENV = {k: v for k, v in os.environ.items() if not k.startswith("IPFS_KIT_")}


class KitError(Exception):
    pass


def kit(home, *args, check=True):
    p = subprocess.run([BIN, "--home", home, *args], capture_output=True, text=True, env=ENV)
    if check and p.returncode != 0:
        raise KitError(f"`ipfs-kit {' '.join(args)}` failed ({p.returncode}): {p.stderr.strip()}")
    return p


def kit_json(home, *args):
    return json.loads(kit(home, *args, "--json").stdout)


def make_tree(root, rng, small, big, big_mib=4):
    """`small` files of 50..2000 bytes in 40 sub-folders, plus `big` files of `big_mib` MiB."""
    for i in range(small):
        p = os.path.join(root, f"d{i % 40:02d}", f"f{i:05d}.txt")
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(rng.randbytes(rng.randrange(50, 2000)))
    for i in range(big):
        with open(os.path.join(root, f"big{i}.bin"), "wb") as f:
            f.write(rng.randbytes(big_mib << 20))
    return root


def state(home, gc):
    """What a command may change, as comparable values: {component: value}."""
    s = {"snapshots": [x["global_hash"] for x in kit_json(home, "bucket", "snapshots")]}
    for b in sorted(x["name"] for x in kit_json(home, "bucket", "list")):
        files = [json.loads(l) for l in kit(home, "bucket", "files", b, "--json").stdout.splitlines()]
        root = kit_json(home, "bucket", "info", b)["root"]
        s["bucket " + b] = (root, sorted((f["path"], f["cid"]) for f in files))
    if gc:
        s["dead blocks"] = kit_json(home, "gc", "--dry-run")["dead_blocks"]
    return s


def classify(now, old, new):
    """'old', 'new', or 'CORRUPT: why' (a component in neither state, or old and new mixed)."""
    keys = set(now) | set(old) | set(new)
    bad = [k for k in sorted(keys) if now.get(k) not in (old.get(k), new.get(k))]
    if bad:
        return "CORRUPT: neither old nor new: " + ", ".join(bad)
    if all(now.get(k) == old.get(k) for k in keys):
        return "old"
    if all(now.get(k) == new.get(k) for k in keys):
        return "new"
    return "CORRUPT: mixed old and new: " + ", ".join(k for k in sorted(keys) if old.get(k) != new.get(k))


def check_clean(home):
    """(None or the errors `check --read-data` reports, its repairs and hints)."""
    p = kit(home, "check", "--read-data", "--json", check=False)
    try:
        out = json.loads(p.stdout)
        errors, notes = out["errors"], out["repaired"] + out["hints"]
    except (ValueError, KeyError):
        errors, notes = [p.stderr.strip() or "no JSON"], []
    return (None if p.returncode == 0 and not errors else f"check exit {p.returncode}: {errors}"), notes


def main():
    ap = argparse.ArgumentParser(prog="crash_soak.sh")
    ap.add_argument("trials", type=int)
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: a random one, printed)")
    ap.add_argument("--only", default=None, help="comma-separated command names to run (default: all)")
    ap.add_argument("--delay-ms", type=float, default=None, help="kill at this delay instead of a random one")
    ap.add_argument("--keep", default=os.environ.get("CRASH_SOAK_KEEP", "/tmp/soak-keep"),
                    help="where corrupt homes are copied (default /tmp/soak-keep)")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "big")
    print(f"crash_soak: seed {seed}, {a.trials} trials, binary {BIN}", flush=True)
    if not os.access(BIN, os.X_OK):
        sys.exit(f"crash_soak: no binary at {BIN} (set IPFS_KIT_BIN)")
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="crash-soak.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally below cleans up
    try:
        return run(a, seed, rng, tmp)
    except KitError as e:
        sys.exit(f"crash_soak: {e}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(a, seed, rng, tmp):
    t0 = time.monotonic()
    src, base = os.path.join(tmp, "src"), os.path.join(tmp, "base")
    os.makedirs(src)
    t = lambda name, small, big: make_tree(os.path.join(src, name), rng, small, big)
    w1, w3, w4, o1 = t("w1", 5000, 3), t("w3", 500, 0), t("w4", 3000, 3), t("o1", 800, 1)
    t("w2/keep", 400, 0), t("w2/drop", 1600, 3)
    # Base: bucket data (w1; snapshot s1; w2; snapshot s2; w3 not snapshotted), bucket other.
    kit(base, "bucket", "create", "data")
    kit(base, "bucket", "add", "-q", "data", w1)
    s1 = kit_json(base, "bucket", "snapshot", "-m", "s1")["snapshot_id"]
    kit(base, "bucket", "add", "-q", "data", os.path.join(src, "w2"))
    kit(base, "bucket", "create", "other")
    kit(base, "bucket", "add", "-q", "other", o1)
    kit(base, "bucket", "snapshot", "-m", "s2")
    kit(base, "bucket", "add", "-q", "data", w3)
    kit(base, "bucket", "add", "-q", "other", w3)
    # A CAR whose blocks the base does not have, exported from a home of its own.
    car_home, car = os.path.join(tmp, "car-home"), os.path.join(tmp, "c1.car")
    kit(car_home, "bucket", "create", "src")
    kit(car_home, "bucket", "add", "-q", "src", t("c1", 1000, 2))
    kit(car_home, "bucket", "export-car", "src", "-o", car, "--force")
    # gc's template: the w2/drop and w3 blocks dead (its pack mostly dead: gc copies the rest),
    # and the s1 and s2 snapshots pruned.
    gc_pre = [("bucket", "rm-file", "-r", "data", "w2/drop"),
              ("bucket", "rm-file", "-r", "data", "w3"),
              ("bucket", "rm-file", "-r", "other", "w3"),
              ("bucket", "snapshot", "-m", "s3"),
              ("snapshots", "prune", "--keep", "1")]
    commands = {  # name: (setup steps on the base, the command)
        "bucket add": ([], ("bucket", "add", "-q", "data", w4)),
        "bucket rm-file": ([], ("bucket", "rm-file", "-r", "data", "w1")),
        "bucket mv": ([], ("bucket", "mv", "data", "w1", "w1-moved")),
        "bucket snapshot": ([], ("bucket", "snapshot", "-m", "soak")),
        "bucket restore": ([], ("bucket", "restore", "data", "--snapshot", s1)),
        "gc": (gc_pre, ("gc",)),
        "car import": ([], ("car", "import", car, "--bucket", "imported")),
    }
    if a.only:
        commands = {k: v for k, v in commands.items() if k in a.only.split(",")}
    if not commands:
        sys.exit(f"crash_soak: --only {a.only!r} names no command")
    # Per command: template home, old state, new state (three un-killed runs that must agree), time.
    prep = {}
    for i, (name, (setup, cmd)) in enumerate(commands.items()):
        tpl = os.path.join(tmp, f"tpl{i}")
        subprocess.run(["cp", "-a", base, tpl], check=True)
        for step in setup:
            kit(tpl, *step)
        old, runs = state(tpl, name == "gc"), []
        for r in range(3):
            h = os.path.join(tmp, f"measure{i}.{r}")
            subprocess.run(["cp", "-a", tpl, h], check=True)
            start = time.monotonic()
            kit(h, *cmd)
            runs.append((time.monotonic() - start, state(h, name == "gc")))
            if r == 0 and (err := check_clean(h)[0]) is not None:
                sys.exit(f"crash_soak: un-killed {name}: {err}")
            shutil.rmtree(h)
        if any(r[1] != runs[0][1] for r in runs) or runs[0][1] == old:
            sys.exit(f"crash_soak: {name}: the un-killed runs differ, or change nothing")
        secs = sorted(r[0] for r in runs)[1]  # the median: one slow run on a busy machine is noise
        prep[name] = (tpl, cmd, old, runs[0][1], secs)
        print(f"  {name:16} runs {secs * 1000:7.1f} ms un-killed", flush=True)
    print(f"crash_soak: templates ready in {time.monotonic() - t0:.1f} s", flush=True)
    names, follow = list(prep), os.path.join(src, "followup.txt")
    with open(follow, "w") as f:
        f.write("written after the crash\n")
    tally = {n: {"old": 0, "new": 0, "corrupt": 0, "done": 0, "repaired": 0, "delays": []} for n in names}
    failures = []
    for trial in range(a.trials):
        name = names[trial % len(names)]
        tpl, cmd, old, new, secs = prep[name]
        delay = a.delay_ms / 1000 if a.delay_ms is not None else rng.uniform(0, 1.2 * secs)
        h = os.path.join(tmp, "trial")
        shutil.rmtree(h, ignore_errors=True)
        subprocess.run(["cp", "-a", tpl, h], check=True)
        p = subprocess.Popen([BIN, "--home", h, *cmd], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=ENV)
        time.sleep(delay)
        killed = p.poll() is None
        if killed:
            os.kill(p.pid, signal.SIGKILL)
        rc, notes = p.wait(), []
        if not killed and rc != 0:
            verdict = f"CORRUPT: the un-killed command failed ({rc})"
        else:
            verdict, notes = check_clean(h)
            tally[name]["repaired"] += bool(notes)
            try:
                verdict = "CORRUPT: " + verdict if verdict else classify(state(h, name == "gc"), old, new)
            except KitError as e:
                verdict = f"CORRUPT: {e}"
        if not verdict.startswith("CORRUPT"):
            r = kit(h, "bucket", "add", "-q", "data", follow, check=False)
            listed = kit(h, "bucket", "files", "data", "--prefix", "followup.txt", check=False).stdout
            if r.returncode != 0 or "followup.txt" not in listed:
                verdict = f"CORRUPT: follow-up add failed ({r.returncode}): {r.stderr.strip()}"
        k = verdict.split(":")[0].lower()
        print(f"  trial {trial:4} {name:16} {delay * 1000:7.1f} ms {'killed' if killed else 'done  '} {k:7}"
              + (f" check: {'; '.join(map(str, notes))[:150]}" if notes else ""), flush=True)
        tally[name][k] += 1
        tally[name]["delays"].append(delay)
        if k == "corrupt":
            keep = os.path.join(a.keep, f"seed{seed}-trial{trial}-{name.replace(' ', '-')}")
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(h, keep, symlinks=True)
            failures.append(f"trial {trial} {name} killed at {delay * 1000:.1f} ms: {verdict} (home kept: {keep})")
            print("  " + failures[-1], flush=True)
        tally[name]["done"] += not killed
    print(f"crash_soak: {a.trials} trials, seed {seed}, {time.monotonic() - t0:.1f} s")
    print(f"  {'command':16} {'trials':>6} {'old':>5} {'new':>5} {'corrupt':>7}  kill delay (ms)      un-killed (ms) {'done':>5} {'check':>6}")
    for n in names:
        c, d = tally[n], tally[n]["delays"]
        rng_s = f"{min(d) * 1000:7.1f} - {max(d) * 1000:7.1f}" if d else "-"
        print(f"  {n:16} {len(d):6} {c['old']:5} {c['new']:5} {c['corrupt']:7}  {rng_s:19} {prep[n][4] * 1000:7.1f}        {c['done']:5} {c['repaired']:6}")
    print("  (done: the command had finished before the kill, counted as new; check: trials where check repaired or hinted at something)")
    for f in failures:
        print("CORRUPT " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
