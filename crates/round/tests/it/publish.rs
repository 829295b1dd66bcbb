//! `por publish`: only public files leave the round folder, and the scan that proves it finds
//! every secret when pointed at the round folder itself.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use custodia_round::folder::{AGGREGATE, MANIFEST, PRIVATE_DIR, SEED};
use custodia_round::{Blobs, Error, FsBlobs, Silent};

use crate::common::{copy_of_proven_round, params, prices, users};

/// Every file under `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let blobs = FsBlobs::new(dir);
    blobs
        .list("")
        .unwrap()
        .into_iter()
        .map(|k| {
            let bytes = blobs.get(&k).unwrap();
            (k, bytes)
        })
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The secrets of a round folder: the seed (hex and raw), every 16-byte window of the witness
/// and boundary files that is not a run of repeated bytes (zero padding appears everywhere), and
/// per user the id, the nonce and the balance row as the inclusion file writes them.
struct Secrets {
    texts: Vec<(String, Vec<u8>)>,
    windows: HashSet<[u8; 16]>,
}

fn secrets(round: &Path) -> Secrets {
    let mut texts = Vec::new();
    let seed_hex = fs::read(round.join(SEED)).unwrap();
    texts.push(("seed (hex)".to_owned(), seed_hex.clone()));
    texts.push((
        "seed (raw)".to_owned(),
        hex::decode(&seed_hex).expect("hex seed"),
    ));
    for (key, bytes) in files(&round.join("inclusion")) {
        for line in bytes.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
            let v: serde_json::Value = serde_json::from_slice(line).unwrap();
            let user = v["user_id"].as_str().unwrap().to_owned();
            texts.push((format!("{key}: id {user}"), user.clone().into_bytes()));
            let nonce = v["nonce"].as_str().unwrap().to_owned();
            texts.push((format!("nonce of {user}"), nonce.into_bytes()));
            for side in ["equity", "debt"] {
                // An empty row (`{}`: no debt) is two bytes any file may hold by chance.
                if v[side].as_object().is_some_and(|o| !o.is_empty()) {
                    let row = serde_json::to_vec(&v[side]).unwrap();
                    texts.push((format!("{side} row of {user}"), row));
                }
            }
        }
    }
    // Boundaries 0 and N are public by design (round.json's chain openings); the ones in
    // between hold partial sums and their salts.
    let m = custodia_round::load_manifest(&FsBlobs::new(round)).unwrap();
    for b in 1..m.shape.num_batches() {
        let key = custodia_round::folder::boundary_key(b);
        let v: serde_json::Value =
            serde_json::from_slice(&fs::read(round.join(&key)).unwrap()).unwrap();
        let salt = v["salt"].as_str().expect("salt as hex").to_owned();
        texts.push((format!("salt of {key}"), salt.into_bytes()));
    }
    let mut windows = HashSet::new();
    for (key, bytes) in files(&round.join(PRIVATE_DIR)) {
        if !key.ends_with(".wit") {
            continue;
        }
        for w in bytes.chunks_exact(16) {
            let w: [u8; 16] = w.try_into().unwrap();
            if w.iter().collect::<HashSet<_>>().len() >= 6 {
                windows.insert(w);
            }
        }
    }
    Secrets { texts, windows }
}

/// The secrets found in the files under `dir`.
fn leaks(dir: &Path, s: &Secrets) -> Vec<String> {
    let mut found = Vec::new();
    for (key, bytes) in files(dir) {
        for (what, needle) in &s.texts {
            if contains(&bytes, needle) {
                found.push(format!("{key} holds the {what}"));
            }
        }
        // Every alignment: a secret copied at any offset is found.
        if bytes
            .windows(16)
            .any(|w| s.windows.contains(&<[u8; 16]>::try_from(w).unwrap()))
        {
            found.push(format!("{key} holds witness bytes"));
        }
    }
    found
}

#[test]
fn the_published_folder_holds_no_secret() {
    let (dir, round) = copy_of_proven_round();
    custodia_round::aggregate(&round, &Silent).unwrap().unwrap();
    let out = dir.path().join("public");
    custodia_round::check_publish_paths(round.root(), &out).unwrap();
    let p = custodia_round::publish_public(&round, &FsBlobs::new(&out), false).unwrap();
    assert!(p.aggregate);
    assert!(p.files.contains(&MANIFEST.to_owned()));
    assert!(p.files.contains(&AGGREGATE.to_owned()));
    assert!(p.kept_back.contains(&SEED.to_owned()), "{:?}", p.kept_back);
    assert!(p.kept_back.iter().any(|k| k.starts_with("inclusion/")));
    assert!(p.kept_back.iter().any(|k| k.ends_with(".wit")));
    // Exactly the files reported, and nothing under private/ or inclusion/.
    let written: Vec<String> = files(&out).into_iter().map(|(k, _)| k).collect();
    assert_eq!(written, p.files);
    assert!(!out.join(PRIVATE_DIR).exists() && !out.join("inclusion").exists());

    let s = secrets(round.root());
    assert!(s.texts.len() > 40 * 3 && s.windows.len() > 100);
    let found = leaks(&out, &s);
    assert!(found.is_empty(), "secrets published: {found:?}");
    // Negative twin: the same scan over the round folder finds every kind of secret.
    let found = leaks(round.root(), &s).join("\n");
    for kind in [
        "seed (hex)",
        "equity row of user-0001",
        "id user-0001",
        "nonce of user-0001",
        "witness bytes",
        "salt of private/boundary-00001.json",
    ] {
        assert!(
            found.contains(kind),
            "{kind} not found in the round folder:\n{found}"
        );
    }
    // The published folder is a round the verifier accepts.
    let public = FsBlobs::new(&out);
    let m = custodia_round::load_manifest(&public).unwrap();
    custodia_round::check_round(&public, &m, &Silent).unwrap();
}

#[test]
fn publishing_into_the_round_folder_or_an_unproven_round_is_refused() {
    let (dir, round) = copy_of_proven_round();
    for out in [
        round.root().to_path_buf(),
        round.root().join("public"),
        round.root().join("proofs/../public"),
        dir.path().to_path_buf(),
    ] {
        let e = custodia_round::check_publish_paths(round.root(), &out).unwrap_err();
        assert!(
            matches!(e, Error::PublishOverlap { .. }),
            "{}: {e}",
            out.display()
        );
    }
    // Negative twin: a sibling folder is fine.
    custodia_round::check_publish_paths(round.root(), &dir.path().join("public")).unwrap();

    // An occupied public folder is kept unless replacing is asked for.
    let out = dir.path().join("public");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("keep.txt"), b"x").unwrap();
    let e = custodia_round::publish_public(&round, &FsBlobs::new(&out), false).unwrap_err();
    assert!(matches!(e, Error::FolderNotEmpty { .. }), "{e}");
    custodia_round::publish_public(&round, &FsBlobs::new(&out), true).unwrap();
    assert!(!out.join("keep.txt").exists());

    // A round built but not proven.
    let built = FsBlobs::new(dir.path().join("built"));
    custodia_round::build_folder(
        &users(),
        Some(&prices()),
        &params("u"),
        &built,
        false,
        &Silent,
    )
    .unwrap();
    let e = custodia_round::publish_public(&built, &FsBlobs::new(dir.path().join("p2")), false)
        .unwrap_err();
    assert!(matches!(e, Error::NotProven { batch: 0, .. }), "{e}");
    assert!(!dir.path().join("p2").exists());
}
