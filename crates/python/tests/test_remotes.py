"""push and pull from Python against real peers: js-ipfs (the Kubo RPC API) and the Pinning
Service API's reference server, both offline on loopback (installed by tests/interop/setup.sh).
A bucket pushed from one home is pulled into another and read back byte for byte."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

import ipfs_kit
from conftest import INTEROP, TREE_FILES, base32_cid, cli

JSIPFS = INTEROP / "jsipfs"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_env(repo: Path) -> dict:
    opts = f"--require {JSIPFS / 'polyfill.cjs'} --require {JSIPFS / 'exit-with-parent.cjs'}"
    return {**os.environ, "IPFS_PATH": str(repo), "NODE_OPTIONS": opts}


class JsIpfs:
    """A js-ipfs daemon, offline, on loopback, in a temp repo (as tests/common/peers.rs)."""

    def __init__(self, root: Path) -> None:
        exe = JSIPFS / "node_modules/.bin/jsipfs"
        assert exe.exists(), f"{exe} missing: run tests/interop/setup.sh"
        self.repo = root / "repo"
        self.port = _free_port()
        env = _node_env(self.repo)
        env["NODE_OPTIONS"] = f"--require {JSIPFS / 'polyfill.cjs'}"
        init = subprocess.run([str(exe), "init", "--profile", "test", "--empty-repo"], env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert init.returncode == 0, init.stderr
        config_path = self.repo / "config"
        c = json.loads(config_path.read_text())
        c["Addresses"].update({"API": f"/ip4/127.0.0.1/tcp/{self.port}", "Gateway": "/ip4/127.0.0.1/tcp/0",
                               "RPC": "/ip4/127.0.0.1/tcp/0", "Swarm": ["/ip4/127.0.0.1/tcp/0"]})
        c["Bootstrap"] = []
        c["Discovery"]["MDNS"]["Enabled"] = False
        c["Routing"] = {"Type": "none"}
        c["Preload"] = {"Enabled": False, "Addresses": []}
        config_path.write_text(json.dumps(c))
        self.log = open(root / "daemon.log", "wb")
        self.proc = subprocess.Popen([str(exe), "daemon", "--offline", "--enable-preload=false"],
                                     env=_node_env(self.repo), stdin=subprocess.PIPE, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                self.rpc("version")
                return
            except OSError:
                assert self.proc.poll() is None, (root / "daemon.log").read_text()
                time.sleep(0.2)
        raise AssertionError("js-ipfs not ready in 90 s")

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rpc(self, path: str) -> dict:
        req = urllib.request.Request(f"{self.api}/api/v0/{path}", method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read().decode().splitlines()[0])

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    n = JsIpfs(tmp_path_factory.mktemp("jsipfs"))
    yield n
    n.stop()


def test_push_then_pull_into_another_home(node: JsIpfs, bucket: ipfs_kit.Bucket, tmp_path: Path) -> None:
    home = bucket.home
    cli(home.path, "remote", "add", "node", "kubo", "--api", node.api)
    pushed = bucket.push("node")
    assert (pushed.kind, pushed.remote, pushed.root, pushed.bucket) == ("kubo", "node", bucket.root, "docs")
    assert pushed.blocks and pushed.blocks > 0
    # The node says the root is pinned (recursively): what `push` confirmed before recording.
    pins = node.rpc(f"pin/ls?arg={bucket.root}&type=recursive")
    assert [base32_cid(k) for k in pins["Keys"]] == [bucket.root]
    # Recorded as the CLI records it.
    status = json.loads(cli(home.path, "bucket", "status", "docs", "--json").stdout)
    assert "node" in json.dumps(status)

    # Another home pulls it back from the node, mounts it, and reads every byte.
    other = ipfs_kit.Home(tmp_path / "other")
    cli(other.path, "remote", "add", "node", "kubo", "--api", node.api)
    pulled = other.pull(bucket.root, "node", "copy")
    assert (pulled.root, pulled.bucket, pulled.had_all) == (bucket.root, "copy", False)
    assert pulled.blocks > 0 and pulled.new_blocks == pulled.blocks
    copy = other.bucket("copy")
    assert copy.root == bucket.root
    for rel, data in TREE_FILES.items():
        assert copy.cat(f"tree/{rel}") == data, rel
    # A second pull finds the DAG whole already and fetches nothing.
    again = other.pull(bucket.root, "node")
    assert again.had_all and again.blocks == 0


def test_push_to_a_pinning_service(node: JsIpfs, bucket: ipfs_kit.Bucket) -> None:
    token = "secret-token-for-tests"
    svc = subprocess.Popen(["node", "pinsvc-serve.cjs", "0", token], cwd=JSIPFS,
                           env={**os.environ, "NODE_OPTIONS": _node_env(Path("/nonexistent"))["NODE_OPTIONS"]},
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = svc.stdout.readline().strip()
        assert line.startswith("pinsvc listening on "), line
        url = line[len("pinsvc listening on "):]
        home = bucket.home
        cli(home.path, "remote", "add", "node", "kubo", "--api", node.api)
        cli(home.path, "remote", "add", "pins", "pinning", "--endpoint", url, "--token", token, "--kubo", "node")
        # The mock answers by the pin's name: "pinned-…" ends pinned, "failed-…" failed.
        pushed = bucket.push("pins", pin_name="pinned-docs", pin_timeout=60)
        assert (pushed.kind, pushed.status, pushed.root) == ("pinning", "pinned", bucket.root)
        assert pushed.request_id
        with pytest.raises(ipfs_kit.IpfsKitError, match="as failed"):
            bucket.push("pins", pin_name="failed-docs", pin_timeout=60)
    finally:
        svc.kill()
        svc.wait()


def test_push_to_a_node_that_is_down(bucket: ipfs_kit.Bucket) -> None:
    home = bucket.home
    cli(home.path, "remote", "add", "down", "kubo", "--api", f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(ipfs_kit.IpfsKitError) as e:
        bucket.push("down", retries=1, timeout=5)
    assert "\n" not in str(e.value) and str(e.value)
    # Nothing is recorded as pushed.
    status = json.loads(cli(home.path, "bucket", "status", "docs", "--json").stdout)
    assert "down" not in json.dumps(status)


def test_push_to_a_gateway_is_refused(bucket: ipfs_kit.Bucket) -> None:
    cli(bucket.home.path, "remote", "add", "gw", "gateway", "--url", "http://127.0.0.1:9")
    with pytest.raises(ipfs_kit.InvalidInput, match="gateways are read only"):
        bucket.push("gw")
