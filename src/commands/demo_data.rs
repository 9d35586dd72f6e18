//! The demo's test data, as the earlier design described it: four buckets, nine files, about
//! 169 MB, with plausible names, types and leading bytes. Everything comes from one seeded
//! generator, so every run (on any machine) gives the same bytes and the same CIDs.

use std::io::Write;
use std::path::Path;

/// (bucket, file name, size in bytes, leading magic bytes)
pub const FILES: &[(&str, &str, usize, &[u8])] = &[
    ("documents-bucket", "report-2024.pdf", 2_500_000, b"%PDF-1.7\n"),
    ("documents-bucket", "meeting-notes.md", 40_000, b""),
    ("documents-bucket", "budget-2024.xlsx", 1_200_000, b"PK\x03\x04"),
    ("media-bucket", "product-demo.mp4", 120_000_000, b"\x00\x00\x00\x20ftypisom"),
    ("media-bucket", "cover.jpg", 3_400_000, b"\xff\xd8\xff\xe0\x00\x10JFIF"),
    ("media-bucket", "podcast-episode-01.mp3", 28_000_000, b"ID3\x04\x00"),
    ("backup-bucket", "db-dump-2024-06-01.sql.gz", 12_000_000, b"\x1f\x8b\x08\x00"),
    ("backup-bucket", "config-backup.tar.gz", 1_900_000, b"\x1f\x8b\x08\x00"),
    ("temp-bucket", "scratch.log", 160_000, b""),
];

pub const BUCKETS: [&str; 4] = ["documents-bucket", "media-bucket", "backup-bucket", "temp-bucket"];

/// splitmix64: tiny, fast and fully specified, so the data is the same everywhere.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

const WORDS: &[&str] = &[
    "quarterly",
    "review",
    "storage",
    "bucket",
    "snapshot",
    "budget",
    "team",
    "release",
    "content",
    "address",
    "network",
    "pinning",
    "archive",
    "latency",
    "customer",
    "roadmap",
    "action",
    "item",
    "owner",
    "deadline",
];

/// Writes one file: text files get lines of words, the rest random bytes after their magic.
fn write_file(path: &Path, size: usize, magic: &[u8], seed: u64) -> std::io::Result<()> {
    let mut rng = Generator(seed);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let text = magic.is_empty();
    let mut bytes = magic.to_vec();
    let mut written = 0;
    while written < size {
        while bytes.len() < (1 << 16) {
            if text {
                let word = WORDS[(rng.next() % WORDS.len() as u64) as usize];
                bytes.extend_from_slice(word.as_bytes());
                bytes.push(if rng.next().is_multiple_of(12) { b'\n' } else { b' ' });
            } else {
                bytes.extend_from_slice(&rng.next().to_le_bytes());
            }
        }
        let n = bytes.len().min(size - written);
        out.write_all(&bytes[..n])?;
        written += n;
        bytes.clear();
    }
    out.flush()
}

/// Writes every demo file under `dir/<bucket>/<file>`.
pub fn generate(dir: &Path) -> std::io::Result<()> {
    for (i, (bucket, name, size, magic)) in FILES.iter().enumerate() {
        let folder = dir.join(bucket);
        std::fs::create_dir_all(&folder)?;
        write_file(&folder.join(name), *size, magic, 0x1960_2024 + i as u64)?;
    }
    Ok(())
}
