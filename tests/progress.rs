//! Progress lines on every long operation: drawn on stderr only when it is a terminal (a pty
//! from util-linux `script`), never on stdout, and silenced by `-q`.

mod common;

use std::path::Path;
use std::process::Command;

use common::kit::Kit;
use common::{Rng, write};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `args` under `script` (stdin, stdout and stderr on one pty); returns what the terminal
/// showed. `None` without `script`.
fn on_a_terminal(kit: &Kit, dir: &Path, args: &str) -> Option<String> {
    let script = ["/usr/bin/script", "/bin/script"].into_iter().find(|p| Path::new(p).exists())?;
    let cmd = format!("{} --home {} {args}", env!("CARGO_BIN_EXE_ipfs-kit"), kit.path().display());
    let typescript = dir.join("typescript");
    let status = Command::new(script).arg("-qec").arg(&cmd).arg(&typescript).status().unwrap();
    assert!(status.success(), "{args} under script");
    Some(String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned())
}

#[test]
fn every_long_operation_shows_progress_only_on_a_terminal() {
    let kit = Kit::new();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    write(&src, "big.bin", &Rng::new(9).bytes(8_000_000));
    write(&src, "small.txt", b"small");
    kit.ok(&["bucket", "create", "p"]);
    kit.ok(&["bucket", "add", "p", s(&src), "-q"]);
    let snapshot = kit.json(&["bucket", "snapshot"])["snapshot_id"].as_str().unwrap().to_owned();
    let car = dir.path().join("p.car");
    kit.ok(&["bucket", "export-car", "p", "-o", s(&car)]);
    let out = |name: &str| dir.path().join(name).display().to_string();
    // (label drawn, arguments): each is a long operation of its own kind.
    let cases: Vec<(&str, String)> = vec![
        ("exporting: ", format!("bucket export-car p -o {}", out("again.car"))),
        ("importing: ", format!("car import {} --bucket copy", s(&car))),
        ("unpacking: ", format!("car unpack {} -o {}", s(&car), out("unpacked"))),
        ("verifying: ", format!("car verify {}", s(&car))),
        ("writing: ", format!("bucket get p src -o {}", out("got"))),
        ("restoring: ", format!("bucket restore p --snapshot {snapshot}")),
        ("reading: ", "check --read-data".to_owned()),
        ("marking live blocks: ", "gc".to_owned()),
    ];
    let undo = || {
        for made in ["again.car", "unpacked", "got"] {
            let path = dir.path().join(made);
            let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
        }
        kit.run(&["bucket", "rm", "copy"]);
    };
    for (label, args) in &cases {
        // Not a terminal: no progress on either stream.
        let plain: Vec<&str> = args.split(' ').collect();
        let run = kit.run(&plain);
        let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
        assert!(run.status.success(), "{args}: {stderr}");
        assert!(
            !stderr.contains(label) && !stderr.contains('\r'),
            "{args}: no progress without a terminal: {stderr:?}"
        );
        assert!(!stdout.contains(label), "{args}: {stdout:?}");
        // Undo what the command made, so it can run again.
        undo();
        let Some(screen) = on_a_terminal(&kit, dir.path(), args) else {
            eprintln!("SKIPPED: no `script` to provide a terminal");
            return;
        };
        let line = screen.split('\r').rev().find(|l| l.contains(label)).unwrap_or_else(|| panic!("{args}: {screen:?}"));
        assert!(line.contains("blocks") && line.contains("/s"), "{args}: {line:?}");
        // The last line drawn counts the work done: some blocks, not none.
        let blocks: u64 = line.split("  ").find_map(|f| f.strip_suffix(" blocks")?.parse().ok()).unwrap();
        assert!(blocks > 0, "{args}: {line:?}");
        undo();
        // -q: none on a terminal either.
        let quiet = on_a_terminal(&kit, dir.path(), &format!("-q {args}")).unwrap();
        assert!(!quiet.contains(label), "{args} -q: {quiet:?}");
        undo();
    }
    // A known total gives an ETA and ends at the total: 8 MB of blocks read by check.
    let screen = on_a_terminal(&kit, dir.path(), "check --read-data").unwrap();
    let last = screen.split('\r').rev().find(|l| l.contains("reading: ")).unwrap();
    assert!(last.contains("ETA"), "{last:?}");
}
