//! Builds and signs a snapshot from plain list files, for packaging the extension with a
//! sample list and for its browser test (the exchange publishes its own with
//! `POST /v1/admin/guard/snapshots`).
//!
//! usage: sign_snapshot KEY_FILE VERSION BLOCKED_HOSTS ADDRESSES OUT_DIR [BASE_DIR]
//! Writes the compact snapshot the extension ships, OUT_DIR/snapshot.bin and its signature
//! OUT_DIR/snapshot.sig, and the full one, full.bin and full.sig; prints the public key. With
//! BASE_DIR (an earlier OUT_DIR), also the compact delta from that version to this one,
//! OUT_DIR/delta-from-V.bin, as `GET /v1/guard/extension/snapshot/delta?from=V` serves it.

use custodia_guard::{
    Category, CompactSnapshot, ListMeta, Snapshot, SnapshotData, SnapshotSigningKey,
    default_brands, import_address_lines, import_domain_lines,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let (key, version, blocked, addresses, out, base) = match a.as_slice() {
        [k, v, b, ad, o] => (k, v, b, ad, o, None),
        [k, v, b, ad, o, base] => (k, v, b, ad, o, Some(base)),
        _ => {
            return Err(
                "usage: sign_snapshot KEY_FILE VERSION BLOCKED_HOSTS ADDRESSES OUT_DIR [BASE_DIR]"
                    .into(),
            );
        }
    };
    let key = SnapshotSigningKey::from_key_file_text(&std::fs::read_to_string(key)?)?;
    let meta = ListMeta::new("sample", Category::Phishing, None)?;
    let hosts = import_domain_lines(&std::fs::read_to_string(blocked)?, &meta);
    let meta = ListMeta::new("sample", Category::Hack, None)?;
    let addrs = import_address_lines(&std::fs::read_to_string(addresses)?, None, &meta);
    for r in hosts.rejected.iter().chain(&addrs.rejected) {
        eprintln!("skipped: {r:?}");
    }
    let data = SnapshotData {
        addresses: addrs.entries,
        blocked: hosts.entries,
        allowed: vec![],
        brands: default_brands(),
    };
    // A fixed creation time: the same inputs give the same bytes.
    let snap = Snapshot::build(&data, version.parse()?, 1_732_060_800)?;
    std::fs::create_dir_all(out)?;
    std::fs::write(format!("{out}/full.bin"), snap.to_bytes())?;
    std::fs::write(format!("{out}/full.sig"), key.sign(&snap).to_bytes())?;
    let compact = CompactSnapshot::from_snapshot(&snap);
    std::fs::write(format!("{out}/snapshot.bin"), compact.to_bytes())?;
    std::fs::write(
        format!("{out}/snapshot.sig"),
        key.sign_compact(&compact).to_bytes(),
    )?;
    if let Some(base) = base {
        let base = CompactSnapshot::from_bytes(&std::fs::read(format!("{base}/snapshot.bin"))?)?;
        std::fs::write(
            format!("{out}/delta-from-{}.bin", base.version()),
            base.diff(&compact).to_bytes(),
        )?;
    }
    println!("{}", key.public().to_hex());
    Ok(())
}
