//! The blob-store contract, on the filesystem and in memory alike.

use custodia_round::{Blobs, Error, FsBlobs, MemBlobs};

fn contract(blobs: &dyn Blobs) {
    assert!(blobs.is_empty().unwrap());
    assert_eq!(blobs.list("").unwrap(), Vec::<String>::new());
    blobs.put("a/b/c.bin", b"one").unwrap();
    blobs.put("a/d.bin", b"two").unwrap();
    blobs
        .put_with("top.txt", &mut |w| w.write_all(b"streamed"))
        .unwrap();
    assert!(!blobs.is_empty().unwrap());
    assert_eq!(blobs.get("a/b/c.bin").unwrap(), b"one");
    assert_eq!(blobs.get("top.txt").unwrap(), b"streamed");
    blobs.put("a/d.bin", b"three").unwrap();
    assert_eq!(blobs.get("a/d.bin").unwrap(), b"three", "a put replaces");
    assert!(blobs.exists("a/d.bin").unwrap());
    assert!(!blobs.exists("a/e.bin").unwrap());
    assert!(!blobs.exists("a").unwrap(), "a folder is not an object");
    assert_eq!(blobs.list("a").unwrap(), ["a/b/c.bin", "a/d.bin"]);
    assert_eq!(blobs.list("a/").unwrap(), ["a/b/c.bin", "a/d.bin"]);
    assert_eq!(blobs.list("").unwrap(), ["a/b/c.bin", "a/d.bin", "top.txt"]);
    assert_eq!(blobs.list("nowhere").unwrap(), Vec::<String>::new());

    // A missing object is its own error, naming where it was looked for.
    let err = blobs.get("a/missing.bin").unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { location, .. } if location == &blobs.location("a/missing.bin")),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!("reading {}", blobs.location("a/missing.bin"))
    );

    // Keys never climb out of the folder.
    for bad in [
        "",
        "/abs",
        "../up",
        "a/../b",
        "a//b",
        "a/./b",
        "a\\b",
        "trailing/",
    ] {
        assert!(
            matches!(blobs.get(bad), Err(Error::BadKey { .. })),
            "{bad:?} must be refused"
        );
        assert!(
            matches!(blobs.put(bad, b"x"), Err(Error::BadKey { .. })),
            "{bad:?}"
        );
    }

    // A failed publish changes nothing; a successful one replaces the whole folder.
    let err = blobs
        .publish_folder(&mut |staged| {
            staged.put("new.txt", b"half")?;
            Err(Error::NoPrices)
        })
        .unwrap_err();
    assert!(matches!(err, Error::NoPrices));
    assert_eq!(blobs.list("").unwrap(), ["a/b/c.bin", "a/d.bin", "top.txt"]);
    blobs
        .publish_folder(&mut |staged| {
            assert!(staged.is_empty()?, "staging starts empty");
            staged.put("new.txt", b"whole")
        })
        .unwrap();
    assert_eq!(blobs.list("").unwrap(), ["new.txt"]);
    assert_eq!(blobs.get("new.txt").unwrap(), b"whole");
}

#[test]
fn the_filesystem_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = FsBlobs::new(dir.path().join("round"));
    contract(&blobs);
    // Nothing temporary is left beside the folder or inside it.
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no staging folder left"
    );
    assert_eq!(
        blobs.path("new.txt").unwrap(),
        dir.path().join("round").join("new.txt")
    );
    assert_eq!(
        blobs.location(""),
        dir.path().join("round").display().to_string()
    );
}

#[test]
fn the_memory_store_keeps_the_contract() {
    contract(&MemBlobs::new());
}

#[test]
fn a_file_in_the_way_is_an_occupied_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("round"), b"not a folder").unwrap();
    assert!(!FsBlobs::new(dir.path().join("round")).is_empty().unwrap());
    // Twin: a folder that does not exist yet is empty.
    assert!(FsBlobs::new(dir.path().join("other")).is_empty().unwrap());
}

#[test]
fn a_stale_half_written_object_is_not_listed() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = FsBlobs::new(dir.path());
    blobs.put("proofs/batch-00000.proof", b"p").unwrap();
    std::fs::write(dir.path().join("proofs/batch-00001.proof.partial"), b"half").unwrap();
    assert_eq!(blobs.list("proofs").unwrap(), ["proofs/batch-00000.proof"]);
}

#[cfg(unix)]
#[test]
fn regression_a_hostile_round_folder_cannot_exhaust_memory_or_hang() {
    use custodia_round::folder::{MANIFEST, proof_key};
    let dir = tempfile::tempdir().unwrap();
    let blobs = FsBlobs::new(dir.path());
    std::fs::create_dir_all(dir.path().join("proofs")).unwrap();
    // round.json as a link to /dev/zero: refused before a byte is read.
    std::os::unix::fs::symlink("/dev/zero", dir.path().join(MANIFEST)).unwrap();
    let chain = |e: &dyn std::error::Error| {
        let mut text = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            text += &format!(": {c}");
            cause = c.source();
        }
        text
    };
    let err = custodia_round::load_manifest(&blobs).unwrap_err();
    assert!(chain(&err).contains("not a regular file"), "{err:?}");
    // A 512 MiB (sparse) proof file: refused from its size.
    let proof = blobs.path(&proof_key(0, "proof")).unwrap();
    std::fs::File::create(&proof)
        .unwrap()
        .set_len(512 << 20)
        .unwrap();
    std::fs::write(blobs.path(&proof_key(0, "json")).unwrap(), b"{}").unwrap();
    let err = custodia_round::read_batch(&blobs, 0).unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
    // Negative twin: a small regular file is read whole.
    std::fs::File::create(&proof).unwrap().set_len(10).unwrap();
    assert_eq!(
        custodia_round::read_batch(&blobs, 0).unwrap().proof.len(),
        10
    );
}
