//! The committed compiler outputs (`fixtures/build/*.json`), in name order: shared by the
//! criterion bench and the CPU-per-analysis example, so both measure the same set.

use std::path::PathBuf;

/// Every fixture's JSON file, sorted by path.
pub fn fixture_paths() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/build");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/build")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
}
