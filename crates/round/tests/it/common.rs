//! A small round: two assets (BTC, USDT), a few dozen users, batches of 2^7 leaves.

use std::path::Path;
use std::sync::OnceLock;

use custodia_primitives::{AccountId, Amount, AssetRegistry};
use custodia_round::{BuildParams, FsBlobs, Silent};
use custodia_snapshot::{Price, Prices, Snapshot};

pub const ASSETS_TOML: &str = "[[asset]]\nid = \"BTC\"\nname = \"Bitcoin\"\ndecimals = 8\nchains = [\"bitcoin\"]\n\n[[asset]]\nid = \"USDT\"\nname = \"Tether\"\ndecimals = 6\nchains = [\"tron\"]\n";

pub fn registry() -> AssetRegistry {
    AssetRegistry::from_toml(ASSETS_TOML).expect("registry")
}

/// BTC at 67000 USD with a 5% haircut, USDT at 1 USD (committed at 10^-11 USD per smallest unit
/// as 67_000_000 and 100_000).
pub fn prices() -> Prices {
    Prices::new(
        &registry(),
        vec![
            Price::new(67_000 * 100_000_000, 500).expect("price"),
            Price::new(100_000_000, 0).expect("price"),
        ],
    )
    .expect("prices")
}

/// A snapshot of `rows`: per user `(btc, btc_debt, usdt, usdt_debt)` in smallest units.
pub fn snapshot(rows: &[(u64, u64, u64, u64)]) -> Snapshot {
    let users = (0..rows.len())
        .map(|i| AccountId::new(format!("user-{i:04}")).expect("id"))
        .collect();
    let balances = rows
        .iter()
        .flat_map(|&(a, b, c, d)| [a, b, c, d])
        .map(|v| Amount::new(v).expect("amount"))
        .collect();
    Snapshot::from_parts(registry(), users, balances).expect("snapshot")
}

/// 40 users, some with USDT debt well inside their BTC collateral.
pub fn users() -> Snapshot {
    let rows: Vec<_> = (0..40u64)
        .map(|u| {
            let btc = 1_000_000 * (u % 7);
            let debt = if u % 3 == 0 { btc * 100 } else { 0 };
            (btc, 0, 5_000_000 + u, debt)
        })
        .collect();
    snapshot(&rows)
}

pub fn params(round: &str) -> BuildParams {
    BuildParams {
        round: round.into(),
        snapshot_time: "2026-11-30T23:59:59Z".into(),
        log_batch: 7,
        min_log_leaves: 8,
        seed: [5; 32],
        previous: None,
    }
}

/// A round of two batches, built and every batch proven, once per test process. Tests that
/// change it work on a copy ([`copy_dir`]).
pub fn proven_round() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let snap = users();
        let prices = prices();
        let blobs = FsBlobs::new(dir.path().join("round"));
        custodia_round::build_folder(
            &snap,
            Some(&prices),
            &params("2026-11"),
            &blobs,
            false,
            &Silent,
        )
        .expect("build");
        custodia_round::prove_all(&blobs, false, custodia_round::DEFAULT_JOBS, &Silent)
            .expect("prove");
        dir
    })
    .path()
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

/// A private copy of the proven round.
pub fn copy_of_proven_round() -> (tempfile::TempDir, FsBlobs) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&proven_round().join("round"), &dir.path().join("round"));
    let blobs = FsBlobs::new(dir.path().join("round"));
    (dir, blobs)
}
