//! `por inclusion --all`: packs with a sorted index (the default) or one file per user in
//! sharded folders; resumable, one round per folder.

use std::fs;

use custodia_primitives::AccountId;
use custodia_round::{Blobs as _, Error, FsBlobs, Layout, Silent};

use crate::common::{params, prices, users};

#[test]
fn every_user_gets_their_own_file_and_a_resumed_run_finishes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let round = FsBlobs::new(dir.path().join("round"));
    let snap = users();
    custodia_round::build_folder(
        &snap,
        Some(&prices()),
        &params("2026-11"),
        &round,
        false,
        &Silent,
    )
    .unwrap();
    let out = dir.path().join("delivery");
    let d = custodia_round::deliver_all(&round, &out, Layout::Files, &Silent).unwrap();
    assert_eq!((d.users, d.written, d.batches_skipped), (40, 40, 0));
    for user in &snap.users {
        let got = custodia_round::read_delivered(&out, "2026-11", user)
            .unwrap()
            .unwrap();
        let want = custodia_round::find_inclusion(&round, user.as_str())
            .unwrap()
            .unwrap();
        let parsed = custodia_sumtree::InclusionProof::from_json(&got).unwrap();
        assert_eq!(parsed, want, "{user}");
        assert!(
            custodia_round::delivery_path(&out, user)
                .starts_with(out.join(custodia_round::shard(user)))
        );
    }
    // Negative twins: a user not in the round, another round's id.
    let stranger = AccountId::new("nobody").unwrap();
    assert_eq!(
        custodia_round::read_delivered(&out, "2026-11", &stranger).unwrap(),
        None
    );
    assert!(custodia_round::read_delivered(&out, "2026-12", &snap.users[0]).is_err());

    // Interrupted: batch 1's marker and one of its files gone. The rerun rewrites that batch only.
    let m = custodia_round::load_manifest(&round).unwrap();
    let in_batch_1 = custodia_round::find_inclusion(&round, "user-0000")
        .unwrap()
        .unwrap();
    let batch_of = |leaf: u64| (leaf >> m.shape.log_batch) as usize;
    let victim = snap
        .users
        .iter()
        .find(|u| {
            let p = custodia_round::find_inclusion(&round, u.as_str())
                .unwrap()
                .unwrap();
            batch_of(p.leaf_index) == batch_of(in_batch_1.leaf_index)
        })
        .unwrap();
    let b = batch_of(in_batch_1.leaf_index);
    fs::remove_file(out.join(format!(".done/batch-{b:05}"))).unwrap();
    fs::remove_file(custodia_round::delivery_path(&out, victim)).unwrap();
    let again = custodia_round::deliver_all(&round, &out, Layout::Files, &Silent).unwrap();
    assert_eq!(again.users, 40);
    assert_eq!(again.batches_skipped, m.shape.num_batches() - 1);
    assert!(again.written > 0 && again.written < 40, "{again:?}");
    assert!(
        custodia_round::read_delivered(&out, "2026-11", victim)
            .unwrap()
            .is_some()
    );

    // Another round's delivery folder, or a folder that is not a delivery, is refused.
    let other = FsBlobs::new(dir.path().join("other"));
    custodia_round::build_folder(
        &snap,
        Some(&prices()),
        &params("2026-12"),
        &other,
        false,
        &Silent,
    )
    .unwrap();
    let e = custodia_round::deliver_all(&other, &out, Layout::Files, &Silent).unwrap_err();
    assert!(
        e.to_string()
            .contains("holds the delivery of round 2026-11"),
        "{e}"
    );
    let e = custodia_round::deliver_all(&other, round.root(), Layout::Files, &Silent).unwrap_err();
    assert!(matches!(e, Error::FolderNotEmpty { .. }), "{e}");
}

#[test]
fn the_pack_serves_every_user_and_resumes_like_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let round = FsBlobs::new(dir.path().join("round"));
    let snap = users();
    custodia_round::build_folder(
        &snap,
        Some(&prices()),
        &params("2026-11"),
        &round,
        false,
        &Silent,
    )
    .unwrap();
    let out = dir.path().join("delivery");
    let d = custodia_round::deliver_all(&round, &out, Layout::Pack, &Silent).unwrap();
    assert_eq!((d.users, d.written, d.batches_skipped), (40, 40, 0));
    let m = custodia_round::load_manifest(&round).unwrap();
    // No per-user files: the batches' packs and one index.
    assert!(out.join("index.bin").is_file());
    assert!(!custodia_round::delivery_path(&out, &snap.users[0]).exists());
    for user in &snap.users {
        let got = custodia_round::read_delivered(&out, "2026-11", user)
            .unwrap()
            .unwrap();
        let want = custodia_round::find_inclusion(&round, user.as_str())
            .unwrap()
            .unwrap();
        assert_eq!(
            custodia_sumtree::InclusionProof::from_json(&got).unwrap(),
            want,
            "{user}"
        );
    }
    // Negative twins: a user not in the round, another round's id.
    let stranger = AccountId::new("nobody").unwrap();
    assert_eq!(
        custodia_round::read_delivered(&out, "2026-11", &stranger).unwrap(),
        None
    );
    assert!(custodia_round::read_delivered(&out, "2026-12", &snap.users[0]).is_err());

    // Interrupted after batch 0: its index (the marker) is gone; the rerun redoes that batch.
    fs::remove_file(out.join("packs/batch-00000.idx")).unwrap();
    fs::remove_file(out.join("index.bin")).unwrap();
    let again = custodia_round::deliver_all(&round, &out, Layout::Pack, &Silent).unwrap();
    assert_eq!(again.users, 40);
    assert_eq!(again.batches_skipped, m.shape.num_batches() - 1);
    assert!(again.written > 0 && again.written < 40, "{again:?}");
    for user in &snap.users {
        assert!(
            custodia_round::read_delivered(&out, "2026-11", user)
                .unwrap()
                .is_some()
        );
    }
    // The same folder in the other layout is refused, not mixed.
    let e = custodia_round::deliver_all(&round, &out, Layout::Files, &Silent).unwrap_err();
    assert!(e.to_string().contains("as pack, not files"), "{e}");

    // Each pack is the round's inclusion file itself (a hard link on one file system): the
    // same bytes, and no copy written.
    let pack = out.join("packs/batch-00000.jsonl");
    let original = round.root().join("inclusion/batch-00000.jsonl");
    let bytes = fs::read(&pack).unwrap();
    assert_eq!(bytes, fs::read(&original).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let (p, o) = (
            fs::metadata(&pack).unwrap(),
            fs::metadata(&original).unwrap(),
        );
        assert_eq!((p.dev(), p.ino()), (o.dev(), o.ino()));
        assert!(o.nlink() >= 2);
    }

    // A pack whose bytes no longer match its index is an error, never another user's file. It
    // is replaced, not written in place (that would write the round's own file through the
    // link; nothing in Custodia writes a round's files in place).
    fs::remove_file(&pack).unwrap();
    fs::write(&pack, &bytes[..bytes.len() / 2]).unwrap();
    assert_eq!(fs::read(&original).unwrap(), bytes);
    let hit = snap
        .users
        .iter()
        .map(|u| custodia_round::read_delivered(&out, "2026-11", u))
        .find(|r| r.is_err());
    assert!(hit.is_some(), "a truncated pack must fail some lookup");
}

#[test]
fn a_round_in_another_store_is_copied_into_the_pack_with_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let on_disk = FsBlobs::new(dir.path().join("round"));
    let snap = users();
    custodia_round::build_folder(
        &snap,
        Some(&prices()),
        &params("2026-11"),
        &on_disk,
        false,
        &Silent,
    )
    .unwrap();
    // The same round in a store with no local files (an object store looks like this).
    let mem = custodia_round::MemBlobs::default();
    for key in on_disk.list("").unwrap() {
        mem.put(&key, &on_disk.get(&key).unwrap()).unwrap();
    }
    assert!(mem.local_file("inclusion/batch-00000.jsonl").is_none());
    assert!(on_disk.local_file("inclusion/batch-00000.jsonl").is_some());
    // Negative twin: a key that is no file has no local file.
    assert!(on_disk.local_file("inclusion/batch-99999.jsonl").is_none());
    let out = dir.path().join("delivery");
    let d = custodia_round::deliver_all(&mem, &out, Layout::Pack, &Silent).unwrap();
    assert_eq!(d.users, 40);
    let m = custodia_round::load_manifest(&on_disk).unwrap();
    for b in 0..m.shape.num_batches() {
        let key = format!("inclusion/batch-{b:05}.jsonl");
        let pack = out.join(format!("packs/batch-{b:05}.jsonl"));
        assert_eq!(
            fs::read(&pack).unwrap(),
            on_disk.get(&key).unwrap(),
            "{key}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            // A copy: its own file.
            assert_eq!(fs::metadata(&pack).unwrap().nlink(), 1);
        }
    }
    for user in &snap.users {
        let got = custodia_round::read_delivered(&out, "2026-11", user)
            .unwrap()
            .unwrap();
        let want = custodia_round::find_inclusion(&on_disk, user.as_str())
            .unwrap()
            .unwrap();
        assert_eq!(
            custodia_sumtree::InclusionProof::from_json(&got).unwrap(),
            want
        );
    }
}
