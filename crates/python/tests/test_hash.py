"""`ipfs_kit.hash` gives the CID the CLI prints and Helia's importer computes."""

from __future__ import annotations

from pathlib import Path

import pytest

import ipfs_kit
from conftest import PROFILES, cli_error, cli_hash, helia_cid, helia_cids, make_tree


@pytest.mark.parametrize("profile", PROFILES)
def test_hash_of_a_tree_equals_cli_and_helia(tree: Path, profile: str) -> None:
    ours = ipfs_kit.hash(tree, profile)
    assert ours == cli_hash(tree, profile)
    assert ours == helia_cid(tree, profile)
    # The default profile is unixfs-v1-2025; a v0 CID is the Qm… form.
    if profile == "unixfs-v0-2015":
        assert ours.startswith("Qm")
    else:
        assert ours.startswith("bafy")
        assert ipfs_kit.hash(tree) == ours


@pytest.mark.parametrize("profile", PROFILES)
def test_hash_of_files_equals_cli_and_helia(tree: Path, profile: str) -> None:
    files = [tree / "big.bin", tree / "empty.txt", tree / "unicod\u00e9-\u00e8\u65e5\u672c.txt", tree / "sub" / "d.bin"]
    ours = [ipfs_kit.hash(f, profile) for f in files]
    assert ours == [cli_hash(f, profile) for f in files]
    assert ours == helia_cids(files, profile)
    assert len(set(ours)) == len(ours)


@pytest.mark.parametrize("profile", PROFILES)
def test_hidden_files_are_skipped_unless_asked(tree: Path, profile: str) -> None:
    visible = ipfs_kit.hash(tree, profile)
    with_hidden = ipfs_kit.hash(tree, profile, hidden=True)
    assert visible != with_hidden
    assert with_hidden == cli_hash(tree, profile, hidden=True)
    assert with_hidden == helia_cid(tree, profile, hidden=True)
    # Without the dot-files on disk at all, the default hash is the same.
    # (a root's own name is not in its CID)
    bare = make_tree(tree.parent / "bare", hidden=False)
    assert ipfs_kit.hash(bare, profile) == visible


def test_hash_accepts_pathlike_and_str(tree: Path) -> None:
    assert ipfs_kit.hash(str(tree)) == ipfs_kit.hash(tree)


def test_hash_stores_nothing(tree: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("IPFS_KIT_HOME", str(tmp_path / "untouched"))
    ipfs_kit.hash(tree)
    assert not (tmp_path / "untouched").exists()


def test_hash_bad_profile_is_invalid_input(tree: Path) -> None:
    with pytest.raises(ipfs_kit.InvalidInput) as e:
        ipfs_kit.hash(tree, "unixfs-v9")
    msg = str(e.value)
    assert msg == cli_error(None, "hash", "--profile", "unixfs-v9", str(tree))
    assert "\n" not in msg


def test_hash_missing_path_raises(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ipfs_kit.IpfsKitError) as e:
        ipfs_kit.hash(missing)
    msg = str(e.value)
    assert msg and "\n" not in msg
    assert str(missing) in msg
