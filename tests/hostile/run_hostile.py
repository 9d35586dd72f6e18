#!/usr/bin/env python3
"""Runs the CLI against every hostile CAR and checks that each command refuses it safely.

    python3 tests/hostile/make_cars.py /tmp/hostile
    python3 tests/hostile/run_hostile.py --bin target/release/ipfs-kit --cars /tmp/hostile [--case NAME]

For each case (from CARS/cases.json) and each command, in a fresh temporary home (`--home`)
and working directory, under `prlimit --as=LIMIT` and a timeout:

  verify   ipfs-kit car verify F
  ls       ipfs-kit car ls F
  unpack   ipfs-kit car unpack F -o OUT
  import   ipfs-kit car import F --bucket b
  restore  ipfs-kit car import F  (setup; may succeed or fail, not judged)
           ipfs-kit bucket restore b --from-cid ROOT

A case with "expect": "refuse" passes a command only if every check holds:

  timeout      the command finished within --timeout
  exit         exit code 1 (not 0, not a panic's 101, not a signal such as SIGABRT on OOM)
  stderr       exactly one line (after stripping one trailing newline), starting "ipfs-kit: "
  no-control   stderr has no byte < 0x20 but the final newline and no 0x7f; stdout none but
               \\n and \\t (names from the CAR must be escaped, not echoed raw)
  rss          peak RSS of the command (os.wait4 on its pid) <= --rss-limit
  clean        nothing written: the working directory holds only the home (no OUT, no
               unpack temp dir, no ~/.ipfs_kit: HOME points there too)
  no-bucket    (import, restore) `bucket list --json` shows no bucket b
  no-blocks    (import) store/blocks.sqlite has no rows; (restore) its row count did not
               change across the restore

A refused case may list commands in "accepted_by" that must accept it instead (symlink-root:
verify and ls). A case with "expect": "accept" needs: no timeout, exit 0, rss, and that the command did its job
(unpack: OUT exists and, for cases marked hash_matches, `ipfs-kit hash OUT` prints the root;
import/restore: bucket b exists with the case's root).

Prints a table (case x command: ok / FAIL), then each failure with its reasons, peak RSS and
time; exits 1 if anything failed. --json FILE also writes every result ('-' for stdout).
"""

import argparse
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

COMMANDS = ["verify", "ls", "unpack", "import", "restore"]
CAPTURE = 64 * 1024  # bytes of stdout/stderr kept per command; the rest is counted, not kept


# ---------------------------------------------------------------- running one command

class Run:
    """What one child process did."""

    def __init__(self, argv):
        self.argv = argv
        self.rc = None          # exit code, or -N for signal N
        self.timed_out = False
        self.stdout = b""
        self.stdout_len = 0
        self.stderr = b""
        self.stderr_len = 0
        self.rss_kib = 0
        self.seconds = 0.0

    def summary(self):
        return {"argv": self.argv, "rc": self.rc, "timed_out": self.timed_out,
                "rss_kib": self.rss_kib, "seconds": round(self.seconds, 3),
                "stdout_bytes": self.stdout_len, "stdout_head": show(self.stdout, 400),
                "stderr_bytes": self.stderr_len, "stderr_head": show(self.stderr, 400)}


def _drain(pipe, sink):
    kept = bytearray()
    total = 0
    while True:
        chunk = pipe.read(65536)
        if not chunk:
            break
        total += len(chunk)
        if len(kept) < CAPTURE:
            kept += chunk[: CAPTURE - len(kept)]
    pipe.close()
    sink.append((bytes(kept), total))


def run(argv, cwd, env, timeout, as_limit):
    """Runs argv under an address-space limit; measures the child's own peak RSS with wait4."""
    r = Run(argv)
    if shutil.which("prlimit"):
        full = ["prlimit", "--as=%d" % as_limit, "--core=0", "--"] + argv  # prlimit execs argv: same pid
        preexec = None
    else:
        full = argv

        def preexec():
            resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    start = time.monotonic()
    p = subprocess.Popen(full, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True, preexec_fn=preexec)
    outs, errs, waited = [], [], []
    readers = [threading.Thread(target=_drain, args=(p.stdout, outs)),
               threading.Thread(target=_drain, args=(p.stderr, errs))]
    for t in readers:
        t.start()
    waiter = threading.Thread(target=lambda: waited.append(os.wait4(p.pid, 0)))
    waiter.start()
    waiter.join(timeout)
    if waiter.is_alive():
        r.timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        waiter.join()
    r.seconds = time.monotonic() - start
    _, status, usage = waited[0]
    r.rc = os.waitstatus_to_exitcode(status)
    p.returncode = r.rc  # reaped by wait4; keep Popen from waiting again
    for t in readers:
        t.join()
    (r.stdout, r.stdout_len), (r.stderr, r.stderr_len) = outs[0], errs[0]
    r.rss_kib = usage.ru_maxrss  # KiB on Linux
    return r


# ---------------------------------------------------------------- helpers

def show(b, limit=160):
    """Bytes as printable text: control bytes as \\xNN, cut at `limit` characters."""
    s = "".join(chr(c) if 0x20 <= c < 0x7F else "\\x%02x" % c for c in b)
    return s if len(s) <= limit else s[:limit] + "..."


def parse_size(text):
    units = {"": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gib": 1 << 30}
    t = text.strip().lower()
    digits = t.rstrip("abcdefghijklmnopqrstuvwxyz")
    return int(digits) * units[t[len(digits):]]


def mib(kib):
    return "%.0f MiB" % (kib / 1024)


def describe_rc(rc):
    if rc is None:
        return "not run"
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = "signal %d" % -rc
        hint = " (allocation failure under the address-space limit?)" if -rc == signal.SIGABRT else ""
        return "killed by %s%s" % (name, hint)
    if rc == 101:
        return "exit 101 (a Rust panic)"
    return "exit %d" % rc


def block_count(home):
    """Rows in store/blocks.sqlite (0 when there is no store yet)."""
    path = os.path.join(home, "store", "blocks.sqlite")
    if not os.path.exists(path):
        return 0
    db = sqlite3.connect(path, timeout=30)
    try:
        return db.execute("SELECT count(*) FROM blocks").fetchone()[0]
    except sqlite3.OperationalError:  # no table yet
        return 0
    finally:
        db.close()


def pack_files(home):
    d = os.path.join(home, "store", "packs")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


class Check:
    def __init__(self, name, ok, detail=""):
        self.name, self.ok, self.detail = name, bool(ok), detail

    def as_json(self):
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


# ---------------------------------------------------------------- the runner

class Runner:
    def __init__(self, args):
        self.bin = os.path.abspath(args.bin)
        self.cars = os.path.abspath(args.cars)
        self.timeout = args.timeout
        self.as_limit = parse_size(args.as_limit)
        self.rss_limit_kib = parse_size(args.rss_limit) // 1024
        self.tmp = tempfile.mkdtemp(prefix="ipfs-kit-hostile-")
        self.keep = args.keep

    def rss_floor(self):
        """Peak RSS that wait4 reports for /bin/true: Linux carries the RSS high-water mark of
        the forked runner across exec, so every measurement is at least this (an upper bound)."""
        return run(["/bin/true"], self.tmp, dict(os.environ), 10, self.as_limit).rss_kib

    def cli(self, work, home, *args, timeout=None):
        env = {k: v for k, v in os.environ.items() if k not in ("IPFS_KIT_HOME", "RUST_BACKTRACE", "RUST_LOG")}
        env["HOME"] = work  # a binary that ignored --home would leave ~/.ipfs_kit here, and fail "clean"
        argv = [self.bin, "--home", home, "--lock-wait", "5"] + list(args)
        return run(argv, work, env, timeout or self.timeout, self.as_limit)

    def buckets(self, work, home):
        """Bucket names and roots from `bucket list --json`, or an error text."""
        r = self.cli(work, home, "bucket", "list", "--json")
        if r.rc != 0 or r.timed_out:
            return None, "`bucket list --json` failed: %s, %s" % (describe_rc(r.rc), show(r.stderr))
        try:
            return {b["name"]: b["root"] for b in json.loads(r.stdout)}, ""
        except (ValueError, KeyError, TypeError) as e:
            return None, "`bucket list --json` printed no bucket list (%s): %s" % (e, show(r.stdout))

    def run_case_command(self, case, command):
        work = tempfile.mkdtemp(prefix="%s-%s-" % (case["name"], command), dir=self.tmp)
        home = os.path.join(work, "home")
        out = os.path.join(work, "out")
        car = os.path.join(self.cars, case["file"])
        refuse = case["expect"] == "refuse" and command not in case.get("accepted_by", [])
        checks = []
        setup = None

        if command == "verify":
            r = self.cli(work, home, "car", "verify", car)
        elif command == "ls":
            r = self.cli(work, home, "car", "ls", car)
        elif command == "unpack":
            r = self.cli(work, home, "car", "unpack", car, "-o", out)
        elif command == "import":
            r = self.cli(work, home, "car", "import", car, "--bucket", "b")
        elif command == "restore":
            setup = self.cli(work, home, "car", "import", car)
            before = block_count(home)
            r = self.cli(work, home, "bucket", "restore", "b", "--from-cid", case["root"])
        else:
            raise ValueError(command)

        checks.append(Check("timeout", not r.timed_out, "" if not r.timed_out else "still running after %ss, killed" % self.timeout))
        rss_ok = r.rss_kib <= self.rss_limit_kib
        checks.append(Check("rss", rss_ok, "" if rss_ok else "peak RSS %s > %s" % (mib(r.rss_kib), mib(self.rss_limit_kib))))

        if refuse:
            checks.append(Check("exit", r.rc == 1, "" if r.rc == 1 else "%s, expected exit 1" % describe_rc(r.rc)))
            err = r.stderr[:-1] if r.stderr.endswith(b"\n") else r.stderr
            one = b"\n" not in err and err.startswith(b"ipfs-kit: ") and r.stderr_len <= CAPTURE
            if one:
                detail = ""
            elif not r.stderr_len:
                detail = "stderr is empty (expected one 'ipfs-kit: ' line)"
            else:
                detail = "stderr is %d line(s), %d bytes: %s" % (err.count(b"\n") + 1, r.stderr_len, show(r.stderr))
            checks.append(Check("stderr", one, detail))
            problems = []
            bad_err = sorted({c for c in err if c < 0x20 and c != 0x0A or c == 0x7F})
            bad_out = sorted({c for c in r.stdout if c < 0x20 and c not in (0x0A, 0x09) or c == 0x7F})
            if bad_err:
                problems.append("raw control bytes %s in stderr" % " ".join("0x%02x" % c for c in bad_err))
            if bad_out:
                problems.append("raw control bytes %s in stdout" % " ".join("0x%02x" % c for c in bad_out))
            # A raw newline or tab is legal output by itself; a CAR's name containing one is not.
            for name in case.get("hostile_names", []):
                raw = name.encode()
                where = [w for w, b in (("stdout", r.stdout), ("stderr", r.stderr)) if raw in b]
                if where:
                    problems.append("name %s echoed raw on %s" % (show(raw), "+".join(where)))
            checks.append(Check("no-control", not problems, "; ".join(problems)))
            left = sorted(set(os.listdir(work)) - {"home"})
            killed = " (after the timeout kill)" if r.timed_out else ""
            checks.append(Check("clean", not left, "" if not left else "left behind in the working dir%s: %s" % (
                killed, ", ".join("out (= OUT)" if e == "out" else e for e in left))))
            if command in ("import", "restore"):
                names, problem = self.buckets(work, home)
                ok = names is not None and "b" not in names
                checks.append(Check("no-bucket", ok, problem if names is None else ("" if ok else "bucket b exists (root %s)" % names["b"])))
                after = block_count(home)
                if command == "import":
                    ok, detail = after == 0, "store gained %d blocks (packs: %s)" % (after, ", ".join(pack_files(home)) or "none")
                else:
                    ok, detail = after == before, "block count went %d -> %d" % (before, after)
                checks.append(Check("no-blocks", ok, "" if ok else detail))
        else:
            checks.append(Check("exit", r.rc == 0, "" if r.rc == 0 else "%s, expected exit 0: %s" % (describe_rc(r.rc), show(r.stderr))))
            if r.rc == 0 and command == "unpack":
                if not os.path.isdir(out):
                    checks.append(Check("output", False, "OUT was not created"))
                elif case.get("hash_matches"):
                    h = self.cli(work, home, "hash", out)
                    got = h.stdout.split()[:1]
                    ok = h.rc == 0 and got == [case["root"].encode()]
                    checks.append(Check("hash", ok, "" if ok else "`hash OUT` gave %s, %s; expected %s" % (
                        show(h.stdout), describe_rc(h.rc), case["root"])))
            if r.rc == 0 and command in ("import", "restore"):
                names, problem = self.buckets(work, home)
                ok = names is not None and names.get("b") == case["root"]
                checks.append(Check("bucket", ok, problem if names is None else (
                    "" if ok else "bucket b is %s, expected root %s" % (names.get("b"), case["root"]))))

        result = {"case": case["name"], "command": command, "expect": case["expect"],
                  "ok": all(c.ok for c in checks), "checks": [c.as_json() for c in checks], "run": r.summary()}
        if setup is not None:
            result["setup"] = setup.summary()
        if not self.keep:
            shutil.rmtree(work, ignore_errors=True)
        return result

    def cleanup(self):
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------- report

def cell(res):
    return ("ok" if res["ok"] else "FAIL") + " " + mib(res["run"]["rss_kib"]).replace(" MiB", "M")


def print_report(cases, commands, results, floor_kib, out=sys.stdout):
    by = {(r["case"], r["command"]): r for r in results}
    out.write("peak RSS per command (floor: %s, the runner's own RSS that wait4 carries over from fork)\n\n" % mib(floor_kib))
    width = max(len(c["name"]) for c in cases) + 2
    out.write("%-*s%-7s" % (width, "case", "expect") + "".join("%-12s" % c for c in commands) + "\n")
    for c in cases:
        row = "%-*s%-7s" % (width, c["name"], c["expect"])
        row += "".join("%-12s" % cell(by[(c["name"], cmd)]) for cmd in commands if (c["name"], cmd) in by)
        out.write(row + "\n")
    failed = [r for r in results if not r["ok"]]
    if failed:
        out.write("\nFailures (case x command: failed checks) [peak RSS, time, exit]:\n")
        for r in failed:
            reasons = "; ".join("%s: %s" % (ch["name"], ch["detail"]) for ch in r["checks"] if not ch["ok"])
            run_ = r["run"]
            out.write("  %s x %s: %s  [%s, %.1fs, %s]\n" % (
                r["case"], r["command"], reasons, mib(run_["rss_kib"]), run_["seconds"], describe_rc(run_["rc"])))
    n = len(results)
    out.write("\n%d of %d case x command checks passed\n" % (n - len(failed), n))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.environ.get("IPFS_KIT_BIN"), help="the ipfs-kit binary (default $IPFS_KIT_BIN)")
    ap.add_argument("--cars", required=True, help="directory written by make_cars.py")
    ap.add_argument("--case", action="append", help="run only this case (repeatable)")
    ap.add_argument("--command", action="append", choices=COMMANDS, help="run only this command (repeatable)")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per command (default 20)")
    ap.add_argument("--as-limit", default="1GiB", help="address-space limit per command (default 1GiB)")
    ap.add_argument("--rss-limit", default="64MiB", help="peak RSS allowed per command (default 64MiB)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON ('-' for stdout)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary homes and outputs")
    args = ap.parse_args()
    if not args.bin:
        ap.error("--bin PATH (or IPFS_KIT_BIN) is required")
    if not os.access(args.bin, os.X_OK):
        ap.error("%s is not an executable" % args.bin)
    with open(os.path.join(args.cars, "cases.json")) as f:
        cases = json.load(f)
    if args.case:
        unknown = set(args.case) - {c["name"] for c in cases}
        if unknown:
            ap.error("unknown case(s): %s" % ", ".join(sorted(unknown)))
        cases = [c for c in cases if c["name"] in args.case]
    commands = args.command or COMMANDS

    runner = Runner(args)
    results = []
    floor = runner.rss_floor()
    try:
        for c in cases:
            for cmd in commands:
                res = runner.run_case_command(c, cmd)
                results.append(res)
                print("%-20s %-8s %s" % (c["name"], cmd, cell(res)), file=sys.stderr, flush=True)
    finally:
        runner.cleanup()
    print_report(cases, commands, results, floor)
    if args.json:
        doc = {"bin": os.path.abspath(args.bin), "timeout": args.timeout, "as_limit": args.as_limit,
               "rss_limit": args.rss_limit, "rss_floor_kib": floor, "results": results}
        if args.json == "-":
            json.dump(doc, sys.stdout, indent=1)
            print()
        else:
            with open(args.json, "w") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")
    sys.exit(0 if all(r["ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
