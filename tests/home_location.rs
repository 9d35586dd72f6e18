//! Where the home is, and homes that cannot be written: a read never creates a home, a
//! missing `HOME` is an error rather than a guess, and a home on read-only media reads exactly as
//! it does writable while every write says the home is read-only.

mod common;

use std::path::Path;
use std::process::Command;

use common::kit::Kit;

fn fixture(dir: &Path) -> std::path::PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join("a.txt"), b"hello\n").unwrap();
    std::fs::write(src.join("sub/b.bin"), (0..600_000u32).map(|i| (i * 7 % 253) as u8).collect::<Vec<u8>>()).unwrap();
    src
}

/// Runs each of `commands` (ipfs-kit argument strings) against `home` with the home bind-mounted
/// read-only in a private mount namespace; returns (exit code, stdout, stderr) of each. `None`
/// where mount namespaces are not available.
fn run_read_only(home: &Path, commands: &[String]) -> Option<Vec<(i32, String, String)>> {
    let probe = Command::new("unshare").args(["-m", "true"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(std::env::var("IPFS_KIT_INTEROP").as_deref() != Ok("require"), "unshare -m is needed here");
        eprintln!("skipping: no mount namespaces here");
        return None;
    }
    let out_dir = tempfile::tempdir().unwrap();
    let mut script = format!(
        "set -u; H='{home}'; mount --bind \"$H\" \"$H\" && mount -o remount,ro,bind \"$H\" || exit 99; \
         touch \"$H/probe\" 2>/dev/null && exit 98\n",
        home = home.display()
    );
    for (i, c) in commands.iter().enumerate() {
        let o = out_dir.path().join(i.to_string());
        script.push_str(&format!(
            "'{bin}' --home \"$H\" {c} >'{o}.out' 2>'{o}.err'; echo $? >'{o}.rc'\n",
            bin = env!("CARGO_BIN_EXE_ipfs-kit"),
            o = o.display()
        ));
    }
    let status = Command::new("unshare").args(["-m", "sh", "-c", &script]).status().unwrap();
    assert!(status.success(), "the read-only mount could not be made: {status}");
    Some(
        (0..commands.len())
            .map(|i| {
                let o = out_dir.path().join(i.to_string());
                // `cat` of a binary file: compared as lossy text on both sides.
                let read =
                    |ext: &str| String::from_utf8_lossy(&std::fs::read(o.with_extension(ext)).unwrap()).into_owned();
                (read("rc").trim().parse().unwrap(), read("out"), read("err"))
            })
            .collect(),
    )
}

#[test]
fn a_read_only_home_reads_as_it_does_writable_and_refuses_writes_in_one_line() {
    let kit = Kit::new();
    let work = tempfile::tempdir().unwrap();
    let src = fixture(work.path());
    kit.ok(&["bucket", "create", "docs"]);
    kit.ok(&["bucket", "add", "docs", src.join("a.txt").to_str().unwrap(), src.join("sub").to_str().unwrap(), "-q"]);
    kit.ok(&["bucket", "snapshot"]);
    kit.ok(&["bucket", "cat", "docs", "a.txt"]);
    let listing = kit.ok(&["bucket", "files", "docs", "--json"]);
    let line = listing.lines().find(|l| l.contains("sub/b.bin")).unwrap();
    let file_cid = serde_json::from_str::<serde_json::Value>(line).unwrap()["cid"].as_str().unwrap().to_owned();
    let car = |tag: &str| work.path().join(format!("{tag}.car")).display().to_string();
    let got = |tag: &str| work.path().join(format!("{tag}-get")).display().to_string();
    // Reads, with outputs that name where they write so both runs can write a fresh file.
    let reads = |tag: &str| -> Vec<String> {
        vec![
            "bucket list --json".into(),
            "bucket info docs --json".into(),
            "bucket files docs --json".into(),
            "bucket cat docs sub/b.bin".into(),
            format!("bucket find-cid {file_cid} --json"),
            "bucket snapshots --json".into(),
            "bucket log docs --json".into(),
            "bucket prepare-car docs --json".into(),
            format!("bucket export-car docs -o {}", car(tag)),
            format!("bucket get docs sub -o {}", got(tag)),
            "check --read-data --json".into(),
            "gc --dry-run --json".into(),
        ]
    };
    let writable: Vec<(i32, String)> = reads("rw")
        .iter()
        .map(|c| {
            let out = kit.run(&c.split(' ').collect::<Vec<_>>());
            (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).into_owned())
        })
        .collect();
    // `cat` above counted a read, which `files --json` shows: read the writable counts again
    // after it, as the read-only run sees them (a read-only home counts no reads).
    let files_after = kit.ok(&["bucket", "files", "docs", "--json"]);

    let writes = [
        "bucket create other".to_string(),
        format!("bucket add docs {} --to again", src.join("a.txt").display()),
        "bucket rm-file docs a.txt".into(),
        "bucket mv docs a.txt b.txt".into(),
        "bucket snapshot".into(),
        "gc".into(),
        "check --repair".into(),
        format!("car import {}", car("rw")),
    ];
    let mut all = reads("ro");
    all.extend(writes.iter().cloned());
    let Some(results) = run_read_only(kit.path(), &all) else { return };

    for (i, (command, (rc, stdout, stderr))) in all.iter().zip(&results).enumerate().take(writable.len()) {
        assert_eq!(*rc, 0, "{command} on a read-only home: {stderr}");
        let expected = if command.starts_with("bucket files") { &files_after } else { &writable[i].1 };
        let (stdout, expected) = (
            stdout.replace("-ro", "-XX").replace("ro.car", "XX.car"),
            expected.replace("-rw", "-XX").replace("rw.car", "XX.car"),
        );
        assert_eq!(stdout, expected, "{command} reads differently from a read-only home");
    }
    assert_eq!(std::fs::read(car("ro")).unwrap(), std::fs::read(car("rw")).unwrap(), "the same CAR");
    assert_eq!(
        std::fs::read(Path::new(&got("ro")).join("b.bin")).unwrap(),
        std::fs::read(src.join("sub/b.bin")).unwrap()
    );
    for (command, (rc, _, stderr)) in all.iter().zip(&results).skip(writable.len()) {
        assert_eq!(*rc, 1, "{command} must fail on a read-only home: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{command}: one line: {stderr:?}");
        assert!(stderr.contains("is read-only"), "{command}: {stderr:?}");
    }
    // Writable again, the home is as it was: nothing half-done by the refused writes.
    assert_eq!(kit.ok(&["bucket", "files", "docs", "--json"]), files_after);
    kit.ok(&["check"]);
}

#[test]
fn reads_of_a_missing_home_say_so_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("typo");
    for args in [
        &["bucket", "list"][..],
        &["bucket", "files", "docs"],
        &["bucket", "cat", "docs", "a"],
        &["bucket", "snapshots"],
        &["check"],
        &["gc", "--dry-run"],
        &["bucket", "export-car", "docs"],
    ] {
        let mut all = vec!["--home", home.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = common::ipfs_kit(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} on a missing home must fail");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("no ipfs-kit home at") && stderr.contains("typo"), "{args:?}: {stderr}");
        assert!(!home.exists(), "{args:?} created a home");
    }
    // A write makes the home; then the same reads work.
    common::ipfs_kit_ok(&["--home", home.to_str().unwrap(), "bucket", "create", "docs"]);
    common::ipfs_kit_ok(&["--home", home.to_str().unwrap(), "bucket", "list"]);
}

#[test]
fn without_home_or_a_home_flag_there_is_no_home_to_guess() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["bucket", "list"][..], &["bucket", "create", "docs"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_ipfs-kit"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("HOME")
            .env_remove("IPFS_KIT_HOME")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains("HOME is not set"), "{args:?}: {stderr}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{args:?} wrote into the current folder");
    }
    // IPFS_KIT_HOME alone is enough.
    let out = Command::new(env!("CARGO_BIN_EXE_ipfs-kit"))
        .args(["bucket", "create", "docs"])
        .env_remove("HOME")
        .env("IPFS_KIT_HOME", dir.path().join("h"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
