//! Bad arguments and awkward situations, as a careless user meets them: each gets one clear
//! line, a non-zero exit and no change to the home (issue 14: M4, M8, M10, L11, L14).

mod common;

use std::path::Path;
use std::process::Command;

use common::kit::Kit;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr_of(kit: &Kit, args: &[&str]) -> (bool, String) {
    let out = kit.run(args);
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn cid_base_identity_is_refused_before_any_work() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("a.txt"), b"a").unwrap();
    for args in [
        vec!["bucket", "create", "b", "--cid-base", "identity"],
        vec!["hash", s(src.path()), "--cid-base", "identity"],
        vec!["bucket", "list", "--cid-base", "identity"],
    ] {
        let out = kit.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: a usage error, not a panic (101)");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("identity"), "{err}");
    }
    // Nothing was created by the refused create: not even a home.
    assert_eq!(std::fs::read_dir(kit.path()).unwrap().count(), 0);
}

#[test]
fn names_with_control_characters_are_refused_on_add() {
    let kit = Kit::new();
    kit.ok(&["bucket", "create", "b"]);
    for bad in ["new\nline.txt", "tab\there", "bell\x07", "esc\x1b]0;x\x07"] {
        let src = tempfile::tempdir().unwrap();
        let dir = src.path().join("d");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join(bad), b"x").unwrap();
        let (ok, err) = stderr_of(&kit, &["bucket", "add", "b", s(&dir), "-q"]);
        assert!(!ok, "{bad:?} was accepted");
        assert!(err.contains("control character"), "{err}");
        assert!(!err.trim_end().chars().any(char::is_control), "the name is echoed raw: {err:?}");
    }
    assert_eq!(kit.ok(&["bucket", "files", "b"]), "", "nothing was added");
}

#[test]
fn car_import_to_an_existing_path_needs_replace() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("one.txt"), b"one").unwrap();
    std::fs::write(src.path().join("two.txt"), b"two").unwrap();
    kit.ok(&["bucket", "create", "b"]);
    kit.ok(&["bucket", "add", "b", s(&src.path().join("one.txt"))]);
    kit.ok(&["bucket", "add", "b", s(&src.path().join("two.txt"))]);
    kit.ok(&["bucket", "create", "donor"]);
    kit.ok(&["bucket", "add", "donor", s(&src.path().join("two.txt"))]);
    let car = src.path().join("donor.car");
    kit.ok(&["bucket", "export-car", "donor", "-o", s(&car)]);
    let before = kit.root("b");
    let (ok, err) = stderr_of(&kit, &["car", "import", s(&car), "--bucket", "b", "--to", "one.txt"]);
    assert!(!ok && err.contains("already exists") && err.contains("--replace"), "{err}");
    assert_eq!(kit.root("b"), before, "the bucket did not change");
    kit.ok(&["car", "import", s(&car), "--bucket", "b", "--to", "one.txt", "--replace"]);
    assert_ne!(kit.root("b"), before);
    kit.ok(&["car", "import", s(&car), "--bucket", "b", "--to", "new/place"]);
}

#[test]
fn export_car_does_not_overwrite_without_force() {
    let kit = Kit::new();
    kit.ok(&["bucket", "create", "b"]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.car");
    std::fs::write(&out, b"precious").unwrap();
    let (ok, err) = stderr_of(&kit, &["bucket", "export-car", "b", "-o", s(&out)]);
    assert!(!ok && err.contains("already exists") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    kit.ok(&["bucket", "export-car", "b", "-o", s(&out), "--force"]);
    assert_ne!(std::fs::read(&out).unwrap(), b"precious");
}

#[test]
fn prune_keep_zero_needs_force() {
    let kit = Kit::new();
    kit.ok(&["bucket", "create", "b"]);
    kit.ok(&["bucket", "snapshot"]);
    let (ok, err) = stderr_of(&kit, &["snapshots", "prune", "--keep", "0"]);
    assert!(!ok && err.contains("--force"), "{err}");
    assert_eq!(kit.ok(&["bucket", "snapshots"]).lines().filter(|l| l.starts_with("snapshot_")).count(), 1);
    kit.ok(&["snapshots", "prune", "--keep", "0", "--force"]);
    assert_eq!(kit.ok(&["bucket", "snapshots"]).lines().filter(|l| l.starts_with("snapshot_")).count(), 0);
}

#[test]
fn bucket_names_differing_only_by_case_are_refused() {
    let kit = Kit::new();
    kit.ok(&["bucket", "create", "Photos"]);
    let (ok, err) = stderr_of(&kit, &["bucket", "create", "photos"]);
    assert!(!ok && err.contains("only by case"), "{err}");
    assert_eq!(kit.ok(&["bucket", "list"]).lines().count(), 1);
}

#[test]
fn bad_bucket_name_on_import_stores_nothing() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("f.txt"), b"f").unwrap();
    kit.ok(&["bucket", "create", "donor"]);
    kit.ok(&["bucket", "add", "donor", s(&src.path().join("f.txt"))]);
    let car = src.path().join("d.car");
    kit.ok(&["bucket", "export-car", "donor", "-o", s(&car)]);
    let other = Kit::new();
    let (ok, err) = stderr_of(&other, &["car", "import", s(&car), "--bucket", "../evil"]);
    assert!(!ok && err.contains("invalid bucket name"), "{err}");
    let packs = other.path().join("store/packs");
    let stored = std::fs::read_dir(&packs).map(|d| d.count()).unwrap_or(0);
    assert_eq!(stored, 0, "no pack was written before the name was refused");
}

#[test]
fn unpack_errors_keep_the_os_cause() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir(src.path().join("d")).unwrap();
    std::fs::write(src.path().join("d/f.txt"), b"f").unwrap();
    kit.ok(&["bucket", "create", "b"]);
    kit.ok(&["bucket", "add", "b", s(&src.path().join("d"))]);
    let car = src.path().join("b.car");
    kit.ok(&["bucket", "export-car", "b", "-o", s(&car)]);
    // The output's parent is a file: the OS says "Not a directory", and that must reach the user.
    let blocker = src.path().join("file");
    std::fs::write(&blocker, b"").unwrap();
    let (ok, err) = stderr_of(&kit, &["car", "unpack", s(&car), "-o", s(&blocker.join("out"))]);
    assert!(!ok, "{err}");
    assert!(err.contains("Not a directory"), "{err}");
    assert!(!err.contains("refusing to write outside"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// A full disk, made with a 2 MiB tmpfs in a private mount namespace (needs root, as CI has).
#[test]
fn a_full_disk_is_named_and_the_home_stays_readable() {
    let probe = Command::new("unshare").args(["-m", "true"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(std::env::var("IPFS_KIT_INTEROP").as_deref() != Ok("require"), "unshare -m is needed here");
        eprintln!("skipping: no mount namespaces here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let big = dir.path().join("big.bin");
    std::fs::write(&big, (0..3u32 << 20).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>()).unwrap();
    let script = format!(
        "mount -t tmpfs -o size=2m tmpfs {mnt} && K='{bin} --home {mnt}/h' && $K bucket create b >/dev/null && \
         $K bucket add b {big} -q; echo \"add=$?\"; $K check >/dev/null; echo \"check=$?\"",
        mnt = mnt.display(),
        bin = env!("CARGO_BIN_EXE_ipfs-kit"),
        big = big.display()
    );
    let out = Command::new("unshare").args(["-m", "sh", "-c", &script]).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("add=1"), "{stdout} {stderr}");
    assert!(stderr.contains("the disk is full"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stdout.contains("check=0"), "the home is still consistent: {stdout} {stderr}");
}
