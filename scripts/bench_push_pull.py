#!/usr/bin/env python3
"""Benchmark `bucket push` and `pull` of a 1 GiB bucket against a js-ipfs node (Kubo RPC API),
each paired in the same run with curl doing the same transfer against the same node:

- push: `ipfs-kit bucket push b --to node` (streams the CAR from the store to `dag/import`,
  roots pinned, then `pin/ls`) against `curl -F file=@bucket.car .../dag/import?pin-roots=true`
  posting the same CAR, exported to a file beforehand (untimed). Before every push, of either
  kind, the root is unpinned and the node's repo collected (untimed), so each writes every block.
- pull: `ipfs-kit pull ROOT --from node --bucket copy` into a fresh home (every block checked
  against its CID and the DAG, stored with fsync, then mounted) against
  `curl .../dag/export?arg=ROOT -o /dev/null`.

The node's own speed is the limit. Targets: push within 1.1x of curl, pull within 1.3x,
peak RSS <= 64 MB for both. Needs `bash tests/interop/setup.sh` (js-ipfs) and a release build.

usage: python3 scripts/bench_push_pull.py [--runs N] [--gib N] [--workdir DIR]
"""
import argparse, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_buckets import OURS, ROOT  # noqa: E402
from bench_hash import gen_big, run_process  # noqa: E402

JSIPFS = os.path.join(ROOT, "tests", "interop", "jsipfs")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """js-ipfs 0.66 in a temp repo, offline, on 127.0.0.1; stopped by PID."""

    def __init__(self, work):
        self.repo = os.path.join(work, "jsipfs-repo")
        shutil.rmtree(self.repo, ignore_errors=True)
        self.port = free_port()
        self.env = dict(os.environ, IPFS_PATH=self.repo,
                        NODE_OPTIONS=f"--require {os.path.join(JSIPFS, 'polyfill.cjs')}")
        bin_ = os.path.join(JSIPFS, "node_modules", ".bin", "jsipfs")
        subprocess.run([bin_, "init", "--profile", "test", "--empty-repo"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        path = os.path.join(self.repo, "config")
        c = json.load(open(path))
        c["Addresses"].update(API=f"/ip4/127.0.0.1/tcp/{self.port}", Gateway="/ip4/127.0.0.1/tcp/0",
                              RPC="/ip4/127.0.0.1/tcp/0", Swarm=["/ip4/127.0.0.1/tcp/0"])
        c["Bootstrap"] = []
        c.setdefault("Discovery", {}).setdefault("MDNS", {})["Enabled"] = False
        c.setdefault("Routing", {})["Type"] = "none"
        c["Preload"] = {"Enabled": False, "Addresses": []}
        json.dump(c, open(path, "w"))
        self.log = open(os.path.join(work, "jsipfs.log"), "w")
        self.proc = subprocess.Popen([bin_, "daemon", "--offline", "--enable-preload=false"], env=self.env,
                                     stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                self.post("version")
                return
            except OSError:
                if self.proc.poll() is not None:
                    sys.exit("jsipfs daemon exited; see jsipfs.log")
                time.sleep(0.2)
        sys.exit("jsipfs daemon not ready in 90 s")

    @property
    def api(self):
        return f"http://127.0.0.1:{self.port}"

    def post(self, path):
        req = urllib.request.Request(f"{self.api}/api/v0/{path}", method="POST")
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.read()

    def forget(self, root):
        """Unpins the root (if pinned) and collects the repo, so the next push writes every block."""
        try:
            self.post(f"pin/rm?arg={root}")
        except urllib.error.HTTPError:
            pass
        self.post("repo/gc")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def paired(runs, before, ours, theirs):
    """Runs (before; ours; before; theirs) `runs` times; returns per-run lists of (secs, rss)."""
    a, b = [], []
    for _ in range(runs):
        before()
        a.append(ours())
        before()
        b.append(theirs())
    return a, b


def show(name, ours, theirs, target):
    om, tm = statistics.median(r[0] for r in ours), statistics.median(r[0] for r in theirs)
    ratios = sorted(o[0] / t[0] for o, t in zip(ours, theirs))
    rss = max(r[1] for r in ours)
    print(f"{name}: ipfs-kit {om:7.2f} s (runs {', '.join(f'{r[0]:.2f}' for r in ours)}), peak RSS {rss / 1e6:.1f} MB")
    print(f"{name}: curl     {tm:7.2f} s (runs {', '.join(f'{r[0]:.2f}' for r in theirs)})")
    print(f"{name}: ratio median {statistics.median(ratios):.2f}x (pairs {ratios[0]:.2f}-{ratios[-1]:.2f}), "
          f"target <= {target}x", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--gib", type=int, default=1)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "ipfs-kit-bench-push"))
    args = ap.parse_args()
    work = args.workdir
    os.makedirs(work, exist_ok=True)
    if not os.path.exists(os.path.join(JSIPFS, "node_modules", "ipfs")):
        sys.exit("js-ipfs is not installed: run bash tests/interop/setup.sh")
    big = os.path.join(work, f"random-{args.gib}gib.bin")
    gen_big(big, args.gib)
    home, pulled, car = (os.path.join(work, n) for n in ("home", "pulled-home", "bucket.car"))
    shutil.rmtree(home, ignore_errors=True)
    if os.path.exists(car):
        os.remove(car)

    def kit(h, *a):
        return subprocess.run([OURS, "--home", h, *a], check=True, capture_output=True, text=True).stdout

    kit(home, "bucket", "create", "b")
    kit(home, "bucket", "add", "b", big, "-q")
    root = json.loads(kit(home, "bucket", "info", "b", "--json"))["root"]
    kit(home, "bucket", "export-car", "b", "-o", car, "-q")
    node = Node(work)
    try:
        kit(home, "remote", "add", "node", "kubo", "--api", node.api)
        print(f"{args.gib} GiB bucket, root {root}, CAR {os.path.getsize(car)} bytes, js-ipfs at {node.api}", flush=True)

        def push_ours():
            secs, rss, out = run_process([OURS, "--home", home, "bucket", "push", "b", "--to", "node", "--json", "-q"])
            assert json.loads(out)["status"] == "pinned", out
            return secs, rss

        def push_curl():
            secs, rss, out = run_process(["curl", "-sS", "--fail", "-X", "POST", "-F",
                                          f"file=@{car};type=application/vnd.ipld.car",
                                          f"{node.api}/api/v0/dag/import?pin-roots=true"])
            assert root in out or "Root" in out, out
            return secs, rss

        show("push", *paired(args.runs, lambda: (node.forget(root), os.sync()), push_ours, push_curl), 1.1)
        node.post(f"pin/add?arg={root}")

        def fresh_pull_home():
            shutil.rmtree(pulled, ignore_errors=True)
            kit(pulled, "remote", "add", "node", "kubo", "--api", node.api)
            os.sync()

        def pull_ours():
            secs, rss, out = run_process([OURS, "--home", pulled, "pull", root, "--from", "node", "--bucket",
                                          "copy", "--json", "-q"])
            assert json.loads(out)["root"] == root, out
            return secs, rss

        def pull_curl():
            secs, rss, _ = run_process(["curl", "-sS", "--fail", "-X", "POST", "-o", "/dev/null",
                                        f"{node.api}/api/v0/dag/export?arg={root}&progress=false"])
            return secs, rss

        show("pull", *paired(args.runs, fresh_pull_home, pull_ours, pull_curl), 1.3)
    finally:
        node.stop()


if __name__ == "__main__":
    main()
