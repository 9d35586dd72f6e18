"""Every exception type from a real failure, with the CLI's one-line message."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

import ipfs_kit
from conftest import GO_CAR, TREE_FILES, cli_error, ipfs_car

MARKER = b"MARKER-ipfs-kit-python-corruption-test-"


def _one_line(e: BaseException) -> str:
    msg = str(e)
    assert msg.strip(), f"{type(e).__name__} with an empty message"
    assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in msg), repr(msg)
    assert not msg.startswith("ipfs-kit: "), msg
    return msg


def test_the_hierarchy() -> None:
    for cls in (ipfs_kit.NotFound, ipfs_kit.Locked, ipfs_kit.Corrupt, ipfs_kit.InvalidInput):
        assert issubclass(cls, ipfs_kit.IpfsKitError)
        assert cls is not ipfs_kit.IpfsKitError
    assert issubclass(ipfs_kit.IpfsKitError, Exception)
    # Distinct classes: catching one does not catch another.
    classes = [ipfs_kit.NotFound, ipfs_kit.Locked, ipfs_kit.Corrupt, ipfs_kit.InvalidInput]
    for a in classes:
        for b in classes:
            assert (a is b) == issubclass(a, b)


# ------------------------------------------------------------------ NotFound


def test_missing_bucket(home: ipfs_kit.Home) -> None:
    home.create_bucket("exists")
    with pytest.raises(ipfs_kit.NotFound) as e:
        home.bucket("nope")
    assert _one_line(e.value) == cli_error(home.path, "bucket", "info", "nope")
    with pytest.raises(ipfs_kit.NotFound):
        home.remove_bucket("nope")
    with pytest.raises(ipfs_kit.NotFound):
        ipfs_kit.Bucket(home, "nope").add(Path(__file__))
    with pytest.raises(ipfs_kit.NotFound):
        list(ipfs_kit.Bucket(home, "nope").files())


def test_missing_path(bucket: ipfs_kit.Bucket, tmp_path: Path) -> None:
    with pytest.raises(ipfs_kit.NotFound) as e:
        bucket.cat("tree/nope.txt")
    assert _one_line(e.value) == cli_error(bucket.home.path, "bucket", "cat", "docs", "tree/nope.txt")
    for call in (
        lambda: bucket.stat("nope"),
        lambda: bucket.open("tree/sub/nope"),
        lambda: bucket.get("nope", tmp_path / "out"),
        lambda: bucket.rm("tree/nope.txt"),
        lambda: bucket.mv("tree/nope.txt", "tree/there.txt"),
    ):
        with pytest.raises(ipfs_kit.NotFound) as e:
            call()
        _one_line(e.value)
    with pytest.raises(ipfs_kit.NotFound):
        ipfs_kit.car.verify(tmp_path / "missing.car")
    with pytest.raises(ipfs_kit.NotFound):
        bucket.home.import_car(tmp_path / "missing.car", "b")
    with pytest.raises(ipfs_kit.NotFound):
        bucket.restore("snapshot_19700101_000000_nope")
    with pytest.raises(ipfs_kit.NotFound):
        bucket.diff("snapshot_19700101_000000_nope")
    with pytest.raises(ipfs_kit.NotFound):
        bucket.home.snapshot("m", ["nope"])


def test_unknown_remote(bucket: ipfs_kit.Bucket) -> None:
    with pytest.raises(ipfs_kit.NotFound) as e:
        bucket.push("no-such-remote")
    assert _one_line(e.value) == cli_error(bucket.home.path, "bucket", "push", "docs", "--to", "no-such-remote")
    with pytest.raises(ipfs_kit.NotFound):
        bucket.home.pull(bucket.root, "no-such-remote")


def test_adding_a_missing_file(bucket: ipfs_kit.Bucket, tmp_path: Path) -> None:
    root = bucket.root
    with pytest.raises(ipfs_kit.IpfsKitError) as e:
        bucket.add(tmp_path / "not-there")
    assert str(tmp_path / "not-there") in _one_line(e.value)
    assert bucket.root == root


# ------------------------------------------------------------------ InvalidInput


@pytest.mark.parametrize("name", ["bad/name", "", "..", "a\nb"])
def test_bad_bucket_name(home: ipfs_kit.Home, name: str) -> None:
    with pytest.raises(ipfs_kit.InvalidInput) as e:
        home.create_bucket(name)
    msg = _one_line(e.value)
    if "\n" not in name:
        assert msg == cli_error(home.path, "bucket", "create", name)
    assert home.buckets() == []


def test_bad_profile(home: ipfs_kit.Home) -> None:
    with pytest.raises(ipfs_kit.InvalidInput) as e:
        home.create_bucket("docs", profile="unixfs-v3")
    assert _one_line(e.value) == cli_error(home.path, "bucket", "create", "docs", "--profile", "unixfs-v3")
    assert home.buckets() == []


def test_bucket_that_exists(home: ipfs_kit.Home) -> None:
    home.create_bucket("docs")
    with pytest.raises(ipfs_kit.IpfsKitError) as e:
        home.create_bucket("docs")
    assert _one_line(e.value) == cli_error(home.path, "bucket", "create", "docs")


def test_bad_paths_inside_a_bucket(bucket: ipfs_kit.Bucket, tree: Path) -> None:
    root = bucket.root
    for bad in ("../escape", "a/../../b"):
        with pytest.raises(ipfs_kit.InvalidInput):
            bucket.add(tree / "a.txt", to=bad)
    assert bucket.root == root


def test_wrong_kind_of_entry(bucket: ipfs_kit.Bucket, tree: Path) -> None:
    root = bucket.root
    for call in (
        lambda: bucket.cat("tree/sub"),
        lambda: bucket.open("tree/sub"),
        lambda: bucket.rm("tree/sub"),  # a folder needs recursive=True
        lambda: bucket.mv("tree/a.txt", "tree/sub"),  # onto an existing entry
        lambda: bucket.mv("tree/sub", "tree/sub/inside"),
        lambda: bucket.add(tree / "a.txt", to="tree/a.txt"),  # into a file
    ):
        with pytest.raises(ipfs_kit.InvalidInput) as e:
            call()
        _one_line(e.value)
    assert bucket.root == root


def test_bad_arguments(home: ipfs_kit.Home, home_dir: Path) -> None:
    for t in (-1, float("nan")):
        with pytest.raises(ipfs_kit.InvalidInput):
            ipfs_kit.Home(home_dir, lock_timeout=t)
    with pytest.raises(ipfs_kit.InvalidInput):
        home.create_bucket("docs", profile="ipfs-car")  # hashes, but keeps no empty folders


def test_bad_cid(home: ipfs_kit.Home) -> None:
    with pytest.raises(ipfs_kit.InvalidInput):
        home.find_cid("not-a-cid")


# ------------------------------------------------------------------ Corrupt


def _flip_marker_in_packs(home_dir: Path) -> None:
    """Flips one bit inside the stored raw block that holds MARKER."""
    flipped = 0
    for pack in glob.glob(str(home_dir / "store" / "packs" / "*")):
        data = bytearray(Path(pack).read_bytes())
        i = data.find(MARKER)
        if i >= 0:
            data[i + 200] ^= 0x01
            Path(pack).write_bytes(bytes(data))
            flipped += 1
    assert flipped == 1, f"marker found in {flipped} packs under {home_dir}/store/packs"


def test_a_flipped_bit_in_the_store_is_corrupt(home_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_bytes(b"fine\n")
    body = MARKER * 2000  # ~80 KB: one raw leaf
    (src / "victim.bin").write_bytes(body)
    home = ipfs_kit.Home(home_dir)
    b = home.create_bucket("docs")
    b.add(src)
    assert b.cat("src/victim.bin") == body
    _flip_marker_in_packs(home_dir)

    with pytest.raises(ipfs_kit.Corrupt) as e:
        b.cat("src/victim.bin")
    msg = _one_line(e.value)
    assert msg == cli_error(home_dir, "bucket", "cat", "docs", "src/victim.bin")
    with pytest.raises(ipfs_kit.Corrupt):
        with b.open("src/victim.bin") as f:
            f.read()
    with pytest.raises(ipfs_kit.Corrupt):
        with b.open("src/victim.bin") as f:
            f.seek(1000)
            f.read(10)
    with pytest.raises(ipfs_kit.Corrupt):
        b.get("src/victim.bin", tmp_path / "out.bin")
    with pytest.raises(ipfs_kit.Corrupt):
        b.export_car(tmp_path / "out.car", verify=True)
    # The other file is still readable.
    assert b.cat("src/good.txt") == b"fine\n"


def test_a_tampered_car_is_corrupt(bucket: ipfs_kit.Bucket, tmp_path: Path) -> None:
    car = tmp_path / "docs.car"
    bucket.export_car(car)
    data = bytearray(car.read_bytes())
    i = data.find(TREE_FILES["sub/d.bin"][:64])
    assert i > 0
    data[i + 10] ^= 0xFF
    bad = tmp_path / "tampered.car"
    bad.write_bytes(bytes(data))

    with pytest.raises(ipfs_kit.Corrupt) as e:
        ipfs_kit.car.verify(bad)
    _one_line(e.value)
    # The peer agrees the CAR is bad.
    assert ipfs_car("unpack", bad, "--output", tmp_path / "peer-out", check=False).returncode != 0

    other = ipfs_kit.Home(tmp_path / "other")
    with pytest.raises(ipfs_kit.Corrupt):
        other.import_car(bad, "copy")
    assert other.buckets() == []
    # The untampered CAR imports fine.
    assert other.import_car(car, "copy").roots == [bucket.root]


@pytest.mark.parametrize("name", ["badheaderlength", "badsectionlength", "sample-v1-tailing-corrupt-section",
                                  "sample-corrupt-pragma"])
def test_go_car_broken_files_are_corrupt(name: str, tmp_path: Path) -> None:
    path = GO_CAR / f"{name}.car"
    assert path.exists(), path
    with pytest.raises(ipfs_kit.Corrupt) as e:
        ipfs_kit.car.verify(path)
    _one_line(e.value)
    home = ipfs_kit.Home(tmp_path / "home")
    with pytest.raises(ipfs_kit.Corrupt):
        home.import_car(path, "b")
    assert home.buckets() == []


def test_go_car_good_and_incomplete_files() -> None:
    rep = ipfs_kit.car.verify(GO_CAR / "sample-v1.car")
    assert (rep.version, rep.blocks, rep.block_bytes, rep.complete) == (1, 1049, 438130, True)
    rep = ipfs_kit.car.verify(GO_CAR / "sample-wrapped-v2.car")
    assert (rep.version, rep.blocks, rep.complete) == (2, 1049, True)
    rep = ipfs_kit.car.verify(GO_CAR / "simple-unixfs-missing-blocks.car")
    assert (rep.complete, rep.missing_blocks) == (False, 3)


# ------------------------------------------------------------------ hostile CARs


def test_hostile_cars_are_refused(hostile_cars, tmp_path: Path) -> None:
    refused = {k: v for k, v in hostile_cars.items() if v["expect"] == "refuse"}
    assert len(refused) >= 15
    for name, case in refused.items():
        home = ipfs_kit.Home(tmp_path / name)
        with pytest.raises((ipfs_kit.InvalidInput, ipfs_kit.Corrupt), match=r".") as e:
            home.import_car(case["path"], "b")
        msg = _one_line(e.value)
        for hostile in case.get("hostile_names") or []:
            assert hostile not in msg, (name, msg)
        assert home.buckets() == [], name


def test_good_hostile_controls_are_accepted(hostile_cars, tmp_path: Path) -> None:
    for name in ("good-small", "good-hamt"):
        case = hostile_cars[name]
        home = ipfs_kit.Home(tmp_path / name)
        imp = home.import_car(case["path"], "b")
        assert imp.roots == [case["root"]]
        assert home.bucket("b").root == case["root"]
        rep = ipfs_kit.car.verify(case["path"])
        assert rep.complete and rep.roots == [case["root"]]
    home = ipfs_kit.Home(tmp_path / "good-small")
    assert home.bucket("b").cat("hello.txt") == b"hello world\n"
