"""ipfs-kit from Python, start to finish, in a throwaway home.

Run it as a script (`python examples/python_quickstart.py`) or cell by cell in an editor that
understands `# %%` cells (VS Code, PyCharm, Jupytext). Install the package first:

    pip install ./crates/python        # add pyarrow (and pandas) for the Arrow cell
"""

# %% A throwaway home and a small folder to store
import os
import tempfile
from pathlib import Path

import ipfs_kit

work = Path(tempfile.mkdtemp(prefix="ipfs-kit-quickstart-"))
home = ipfs_kit.Home(work / "home")  # without a path: $IPFS_KIT_HOME, else ~/.ipfs_kit

photos = work / "photos"
(photos / "2024" / "summer").mkdir(parents=True)
(photos / "README.txt").write_text("holiday pictures\n")
(photos / "2024" / "summer" / "beach.jpg").write_bytes(os.urandom(300_000))
(photos / "2024" / "summer" / "caf\u00e9.jpg").write_bytes(os.urandom(1_500_000))
print("home:", home.path)

# %% The CID of a folder, storing nothing (the same CID Kubo, Helia and `ipfs-kit hash` give)
cid = ipfs_kit.hash(photos)
print("photos/ ->", cid)
print("photos/ as CIDv0 ->", ipfs_kit.hash(photos, profile="unixfs-v0-2015"))

# %% A bucket: a named, versioned folder of files with real CIDs
bucket = home.create_bucket("photos")
added = bucket.add(photos)
print(f"added {added.files} files, {added.bytes} bytes; bucket root {added.root}")
assert bucket.stat("photos").cid == cid  # the folder keeps the CID it hashed to

# %% List it
for f in bucket.files():
    print(f"{f.cid}  {f.size:>9}  {f.path}")

# %% Read a file: all at once, or as a seekable file object that checks every block
print(bucket.cat("photos/README.txt").decode(), end="")
with bucket.open("photos/2024/summer/caf\u00e9.jpg") as f:
    f.seek(1_048_570)
    print("12 bytes across the first chunk boundary:", f.read(12).hex())

# %% Snapshot, change, diff
snap = home.snapshot("first import")
print("snapshot", snap.id, "->", snap.buckets)

bucket.rm("photos/README.txt")
(work / "notes.txt").write_text("new notes\n")
bucket.add(work / "notes.txt", to="photos")
bucket.mv("photos/2024/summer/beach.jpg", "photos/2024/beach.jpg")

diff = bucket.diff()  # the latest snapshot against the working state
for c in diff.changes:
    print(f"{c.change:<9} {c.path}")

# %% Back to the snapshot
restored = bucket.restore()
assert bucket.diff().changes == []  # the working state is the snapshot's again
print("restored", restored.files, "files; root", restored.root)

# %% Export a CAR and check it
car = work / "photos.car"
export = bucket.export_car(car)
print(f"wrote {car.name}: {export.blocks} blocks, root {export.root}")
report = ipfs_kit.car.verify(car)
print(f"CARv{report.version}: {report.blocks} blocks, every one matches its CID; complete: {report.complete}")

# %% Errors are exceptions with the CLI's one-line message
try:
    bucket.cat("photos/nope.jpg")
except ipfs_kit.NotFound as e:
    print("NotFound:", e)

# %% The Parquet index as an Arrow table (and a pandas DataFrame)
try:
    table = bucket.to_arrow()
except ImportError:
    print("pip install pyarrow for to_arrow()")
else:
    print(table.num_rows, "rows:", ", ".join(table.column_names[:8]), "...")
    try:
        df = table.to_pandas()
        print(df[["path", "cid_base32", "size_bytes"]])
    except ImportError:
        print(table.select(["path", "cid_base32", "size_bytes"]).to_pylist())

# %% Clean up
import shutil

shutil.rmtree(work)
