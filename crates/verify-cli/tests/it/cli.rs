//! End-to-end tests of the `custodia-verify` binary on a small round built and proven here through
//! the library APIs. Every positive test has a negative twin.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use custodia_air::ProofOptions;
use custodia_air::chain::{Boundary, add_states};
use custodia_hash::Digest;
use custodia_primitives::{AccountId, Amount};
use custodia_prover::{BatchParams, prove_batch};
use custodia_snapshot::Snapshot;
use custodia_snapshot::demo::demo_registry;
use custodia_sumtree::witness::BatchWitness;
use custodia_sumtree::{
    ChainOpenings, ChainState, CommittedPrice, CommittedPrices, InclusionProof, PADDING,
    RoundManifest, TreeShape, build_tree,
};

/// A proven round of two batches, written once per test process.
fn round() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        write_round(dir.path());
        dir
    })
    .path()
}

fn write_round(dir: &Path) {
    write_round_as(dir, "test-1", "2026-01-01T00:00:00Z", None);
}

/// A proven round `id` at `time`, chained to `previous` when given (its manifest names that
/// round and commits to its binding).
pub fn write_round_as(dir: &Path, id: &str, time: &str, previous: Option<&RoundManifest>) {
    let assets = demo_registry(3).expect("registry");
    let users: Vec<AccountId> = (0..40)
        .map(|i| AccountId::new(format!("user-{i:04}")).expect("id"))
        .collect();
    let mut balances = Vec::new();
    for u in 0..users.len() as u64 {
        for a in 0..assets.len() as u64 {
            let e = if (u + a) % 3 == 0 {
                0
            } else {
                1_000 + u * 7_919 + a
            };
            balances.push(Amount::new(e).expect("amount"));
            balances.push(Amount::new(0).expect("amount"));
        }
    }
    let snapshot = Snapshot::from_parts(assets, users, balances).expect("snapshot");
    let log_batch = ProofOptions::STANDARD.min_log_rows();
    let shape =
        TreeShape::for_users(snapshot.num_users(), log_batch, log_batch + 1).expect("shape");
    let built = build_tree(
        &snapshot.users,
        &snapshot.balances,
        snapshot.num_assets(),
        shape,
        &[7u8; 32],
        &custodia_sumtree::round_context(id, &custodia_sumtree::assets_digest(&snapshot.assets)),
    )
    .expect("tree");
    let (equity, debt) = snapshot.totals();
    // One USD per whole unit at scale 8: exact integers 10^(8 − decimals).
    let prices = CommittedPrices {
        scale: 8,
        assets: snapshot
            .assets
            .assets()
            .iter()
            .map(|a| {
                let (debt, collateral) =
                    custodia_sumtree::directed_prices(100_000_000, a.decimals, 8);
                CommittedPrice {
                    asset: a.id.clone(),
                    usd: "1".into(),
                    debt_price: debt as u64,
                    collateral_price: collateral as u64,
                    haircut_bps: 1_000,
                }
            })
            .collect(),
    };
    // The running-total chain, as a round builder lays it: zero, then each batch's sums added,
    // a distinct salt per boundary.
    let witnesses: Vec<BatchWitness> = (0..shape.num_batches())
        .map(|b| BatchWitness::from_tree(&built, &snapshot.balances, snapshot.num_assets(), b))
        .collect();
    let mut boundaries = vec![Boundary::zero(snapshot.num_assets(), Digest([1, 0, 0, 1]))];
    for (b, w) in witnesses.iter().enumerate() {
        let state = add_states(&boundaries[b].state, &custodia_prover::batch_sums(w)).expect("sum");
        boundaries.push(Boundary {
            state,
            salt: Digest([b as u64 + 2, 7, 7, 7]),
        });
    }
    let last = boundaries.last().expect("last");
    let chain = ChainOpenings {
        first_salt: boundaries[0].salt,
        last_salt: last.salt,
        last_state: last
            .state
            .iter()
            .map(|t| ChainState {
                equity_lo: t.equity_lo,
                equity_hi: t.equity_hi,
                debt_lo: t.debt_lo,
                debt_hi: t.debt_hi,
            })
            .collect(),
    };
    let mut m = RoundManifest::for_tree(
        id,
        time,
        &snapshot.assets,
        &built.tree,
        (&equity, &debt),
        Some(prices),
        chain,
    );
    m.previous = previous.map(|p| custodia_sumtree::PreviousRound {
        round: p.round.clone(),
        binding: p.binding().expect("binding"),
    });
    fs::create_dir_all(dir.join("proofs")).expect("mkdir");
    fs::create_dir_all(dir.join("inclusion")).expect("mkdir");
    fs::write(
        dir.join("round.json"),
        serde_json::to_vec_pretty(&m).expect("json"),
    )
    .expect("write");
    for (b, w) in witnesses.iter().enumerate() {
        let params = BatchParams {
            round_binding: m.binding().expect("binding"),
            num_batches: shape.num_batches() as u64,
            assets: custodia_verifier::round::asset_params(&m),
            chain_in: boundaries[b].clone(),
            salt_out: boundaries[b + 1].salt,
        };
        let proven = prove_batch(w, &params, &ProofOptions::STANDARD).expect("prove");
        fs::write(
            dir.join(format!("proofs/batch-{b:05}.json")),
            serde_json::to_vec_pretty(&proven.public).expect("json"),
        )
        .expect("write");
        fs::write(
            dir.join(format!("proofs/batch-{b:05}.proof")),
            &proven.proof,
        )
        .expect("write");
    }
    // One inclusion file per user, as an exchange would hand them out.
    for slot in 0..shape.num_leaves() {
        let u = built.layout.slot_user[slot];
        if u == PADDING {
            continue;
        }
        let u = u as usize;
        let p = InclusionProof::new(
            &m.round,
            snapshot.users[u].clone(),
            built.layout.nonces[u],
            &snapshot.assets,
            snapshot.user_balances(u),
            slot as u64,
            built.tree.path(slot).expect("path"),
            m.root,
        );
        fs::write(
            dir.join(format!("inclusion/{}.json", snapshot.users[u])),
            p.to_json(),
        )
        .expect("write");
    }
}

fn verify(args: &[&Path]) -> (i32, String) {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|p| p.as_os_str()).collect();
    verify_args(&args)
}

fn verify_args(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_custodia-verify"))
        .args(args)
        .output()
        .expect("run custodia-verify");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().expect("exit code"), text)
}

/// A folder holding only what one user was given: their file, round.json and their batch's proof.
fn user_folder(user: &str, tamper: impl FnOnce(&Path)) -> tempfile::TempDir {
    let src = round();
    let d = tempfile::tempdir().expect("tempdir");
    let file = src.join(format!("inclusion/{user}.json"));
    let p = InclusionProof::from_json(&fs::read(&file).expect("read")).expect("parse");
    let b = p.leaf_index >> ProofOptions::STANDARD.min_log_rows();
    fs::copy(&file, d.path().join("my-proof.json")).expect("copy");
    fs::copy(src.join("round.json"), d.path().join("round.json")).expect("copy");
    for ext in ["proof", "json"] {
        let name = format!("batch-{b:05}.{ext}");
        fs::copy(src.join("proofs").join(&name), d.path().join(&name)).expect("copy");
    }
    tamper(d.path());
    d
}

fn first_user() -> String {
    "user-0001".into()
}

#[test]
fn whole_round_folder_verifies() {
    let (code, text) = verify(&[round()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("all 2 batch proofs"), "{text}");
    assert!(
        text.contains("exactly the published per-asset totals"),
        "{text}"
    );
    assert!(text.contains("the balances of user-0001"), "{text}");
}

#[test]
fn user_folder_verifies_and_skips_the_round_check() {
    let d = user_folder(&first_user(), |_| {});
    let (code, text) = verify(&[d.path()]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("VERIFIED: the balances of user-0001"),
        "{text}"
    );
    assert!(text.contains("conjectured security"), "{text}");
    assert!(text.contains("Whole-round check skipped"), "{text}");
}

#[test]
fn files_named_directly_verify() {
    let d = user_folder(&first_user(), |_| {});
    let files: Vec<PathBuf> = fs::read_dir(d.path())
        .expect("ls")
        .map(|e| e.expect("entry").path())
        .collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (code, text) = verify(&refs);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn tampered_balance_is_rejected() {
    let d = user_folder(&first_user(), |dir| {
        let f = dir.join("my-proof.json");
        let mut v: serde_json::Value =
            serde_json::from_slice(&fs::read(&f).expect("read")).expect("json");
        let eq = v["equity"].as_object_mut().expect("equity");
        let (k, _) = eq
            .iter()
            .next()
            .map(|(k, v)| (k.clone(), v.clone()))
            .expect("a balance");
        eq.insert(k, serde_json::Value::String("999999".into()));
        fs::write(&f, v.to_string()).expect("write");
    });
    let (code, text) = verify(&[d.path()]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("REJECTED"), "{text}");
}

#[test]
fn flipped_proof_byte_is_rejected() {
    let d = user_folder(&first_user(), |dir| {
        let proof = fs::read_dir(dir)
            .expect("ls")
            .map(|e| e.expect("entry").path())
            .find(|p| p.extension().is_some_and(|e| e == "proof"))
            .expect("proof");
        let mut bytes = fs::read(&proof).expect("read");
        let i = bytes.len() / 2;
        bytes[i] ^= 1;
        fs::write(&proof, bytes).expect("write");
    });
    let (code, text) = verify(&[d.path()]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("REJECTED"), "{text}");
}

#[test]
fn missing_round_json_is_an_input_error() {
    let d = user_folder(&first_user(), |dir| {
        fs::remove_file(dir.join("round.json")).expect("rm");
    });
    let (code, text) = verify(&[d.path()]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no round.json"), "{text}");
}

#[test]
fn missing_batch_proof_is_an_input_error() {
    let d = user_folder(&first_user(), |dir| {
        for e in fs::read_dir(dir).expect("ls") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|e| e == "proof") {
                fs::remove_file(p).expect("rm");
            }
        }
    });
    let (code, text) = verify(&[d.path()]);
    assert_eq!(code, 2, "{text}");
}

#[test]
fn tampered_round_totals_are_rejected() {
    let d = tempfile::tempdir().expect("tempdir");
    let src = round();
    fs::create_dir_all(d.path().join("proofs")).expect("mkdir");
    for e in fs::read_dir(src.join("proofs")).expect("ls") {
        let p = e.expect("entry").path();
        fs::copy(
            &p,
            d.path().join("proofs").join(p.file_name().expect("name")),
        )
        .expect("copy");
    }
    let mut m: serde_json::Value =
        serde_json::from_slice(&fs::read(src.join("round.json")).expect("read")).expect("json");
    let t = &mut m["totals"][0]["equity"];
    let bumped = t
        .as_str()
        .map(|s| format!("{s}1"))
        .expect("a decimal string");
    *t = serde_json::Value::String(bumped);
    fs::write(d.path().join("round.json"), m.to_string()).expect("write");
    let (code, text) = verify(&[d.path()]);
    assert_eq!(code, 1, "{text}");
}

#[test]
fn no_arguments_and_garbage_are_input_errors() {
    assert_eq!(verify(&[]).0, 2);
    let d = tempfile::tempdir().expect("tempdir");
    let f = d.path().join("x.bin");
    fs::write(&f, [0xffu8; 100]).expect("write");
    assert_eq!(verify(&[&f]).0, 2);
    assert_eq!(verify(&[d.path()]).0, 2);
    assert_eq!(verify(&[&d.path().join("absent")]).0, 2);
}

/// Hostile inputs never panic (the process would exit 101): a bounded smoke run of the decoders
/// on mutated files. The same targets run under libFuzzer in `fuzz/`.
#[test]
fn mutated_inputs_never_panic() {
    let src = round();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let file = src.join(format!("inclusion/{}.json", first_user()));
    let incl = fs::read(&file).expect("read");
    let round_json = fs::read(src.join("round.json")).expect("read");
    for _ in 0..200 {
        let mut a = incl.clone();
        let mut r = round_json.clone();
        for buf in [&mut a, &mut r] {
            for _ in 0..1 + next() % 4 {
                let i = (next() % buf.len() as u64) as usize;
                buf[i] = next() as u8;
            }
        }
        if let Ok(p) = InclusionProof::from_json(&a) {
            let _ = p.verify(&custodia_hash::Digest([0; 4]));
        }
        if let Ok(m) = serde_json::from_slice::<RoundManifest>(&r) {
            let _ = custodia_verifier::round::check_manifest(&m);
            if let Ok(p) = InclusionProof::from_json(&incl) {
                let _ = custodia_verifier::round::verify_user(&m, &p, |_| {
                    Err(custodia_verifier::round::RoundError::Inclusion(
                        "no files".into(),
                    ))
                });
            }
        }
    }
    // Batch proof decoding and verification: truncations and byte flips of a real proof, against
    // its real public inputs. None may verify; none may panic.
    let proof = fs::read(src.join("proofs/batch-00000.proof")).expect("read");
    let public: custodia_air::BatchPublicInputs =
        serde_json::from_slice(&fs::read(src.join("proofs/batch-00000.json")).expect("read"))
            .expect("public");
    for round in 0..40 {
        let mut p = proof.clone();
        if round % 4 == 0 {
            p.truncate((next() % proof.len() as u64) as usize);
        } else {
            let i = (next() % p.len() as u64) as usize;
            p[i] ^= 1 << (next() % 8);
        }
        assert!(
            custodia_verifier::verify_batch(&p, &public).is_err(),
            "mutation {round} verified"
        );
    }
}

/// Zips every file under `dir` (names relative to it), deflated, into `out`.
fn zip_dir(dir: &Path, out: &Path, extra: &[(&str, &[u8])]) {
    fn add(w: &mut zip::ZipWriter<fs::File>, root: &Path, dir: &Path) {
        let mut paths: Vec<PathBuf> = fs::read_dir(dir)
            .expect("ls")
            .map(|e| e.expect("entry").path())
            .collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                add(w, root, &p);
                continue;
            }
            let name = p.strip_prefix(root).expect("under root").to_string_lossy();
            w.start_file(name, deflated()).expect("start");
            std::io::Write::write_all(w, &fs::read(&p).expect("read")).expect("write");
        }
    }
    let mut w = zip::ZipWriter::new(fs::File::create(out).expect("create"));
    add(&mut w, dir, dir);
    for (name, bytes) in extra {
        w.start_file(*name, deflated()).expect("start");
        std::io::Write::write_all(&mut w, bytes).expect("write");
    }
    w.finish().expect("finish");
}

fn deflated() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

#[test]
fn zipped_round_verifies_whole_and_for_a_user() {
    let d = tempfile::tempdir().expect("tempdir");
    let archive = d.path().join("round-test-1.zip");
    zip_dir(round(), &archive, &[]);
    let (code, text) = verify(&[&archive]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("all 2 batch proofs"), "{text}");
    // A download that lost its extension is still recognised by its bytes.
    let renamed = d.path().join("download");
    fs::copy(&archive, &renamed).expect("copy");
    let (code, text) = verify(&[&renamed]);
    assert_eq!(code, 0, "{text}");

    // A user's own folder, zipped, next to nothing else.
    let u = user_folder(&first_user(), |_| {});
    let user_zip = d.path().join("mine.zip");
    zip_dir(u.path(), &user_zip, &[]);
    let (code, text) = verify(&[&user_zip]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("VERIFIED: the balances of user-0001"),
        "{text}"
    );
}

#[test]
fn tampered_file_inside_a_zip_is_rejected() {
    let u = user_folder(&first_user(), |dir| {
        let f = dir.join("my-proof.json");
        let mut v: serde_json::Value =
            serde_json::from_slice(&fs::read(&f).expect("read")).expect("json");
        let eq = v["equity"].as_object_mut().expect("equity");
        let k = eq.keys().next().cloned().expect("a balance");
        eq.insert(k, serde_json::Value::String("123456".into()));
        fs::write(&f, v.to_string()).expect("write");
    });
    let d = tempfile::tempdir().expect("tempdir");
    let archive = d.path().join("mine.zip");
    zip_dir(u.path(), &archive, &[]);
    let (code, text) = verify(&[&archive]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("REJECTED: ") && text.contains("mine.zip:my-proof.json: this inclusion file"),
        "{text}"
    );
}

#[test]
fn hostile_zips_are_input_errors_not_crashes() {
    let d = tempfile::tempdir().expect("tempdir");
    // Not a zip at all, but named like one.
    let fake = d.path().join("round.zip");
    fs::write(&fake, b"PK\x03\x04 this is not an archive").expect("write");
    let (code, text) = verify(&[&fake]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("not a readable zip archive"), "{text}");

    // A zip bomb: round.json inflating past the 64 MiB limit is ignored, not inflated in full,
    // and with nothing else inside the archive that is an input error.
    let bomb = d.path().join("bomb.zip");
    {
        let mut w = zip::ZipWriter::new(fs::File::create(&bomb).expect("create"));
        w.start_file("round.json", deflated()).expect("start");
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..80 {
            std::io::Write::write_all(&mut w, &zeros).expect("write");
        }
        w.finish().expect("finish");
    }
    assert!(fs::metadata(&bomb).expect("meta").len() < 1 << 20);
    let (code, text) = verify(&[&bomb]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("holds no Custodia files"), "{text}");

    // Truncated archive of a real round.
    let archive = d.path().join("cut.zip");
    zip_dir(round(), &archive, &[]);
    let bytes = fs::read(&archive).expect("read");
    fs::write(&archive, &bytes[..bytes.len() / 2]).expect("write");
    let (code, text) = verify(&[&archive]);
    assert_eq!(code, 2, "{text}");

    // The exchange's private folder inside an archive is never read: a second, different
    // round.json there does not make the bundle ambiguous.
    let with_private = d.path().join("with-private.zip");
    let mut other: serde_json::Value =
        serde_json::from_slice(&fs::read(round().join("round.json")).expect("read")).expect("json");
    other["round"] = serde_json::Value::String("other".into());
    let other = other.to_string();
    zip_dir(
        round(),
        &with_private,
        &[("private/round.json", other.as_bytes())],
    );
    let (code, text) = verify(&[&with_private]);
    assert_eq!(code, 0, "{text}");
    // …while the same file outside private/ is ambiguous: an input error.
    let ambiguous = d.path().join("ambiguous.zip");
    zip_dir(
        round(),
        &ambiguous,
        &[("copy/round.json", other.as_bytes())],
    );
    let (code, text) = verify(&[&ambiguous]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("two different round manifests"), "{text}");
}

fn published_root() -> String {
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(round().join("round.json")).expect("read")).expect("json");
    m["root"].as_str().expect("root").to_owned()
}

#[test]
fn the_published_root_is_checked_and_another_one_is_rejected() {
    let root = published_root();
    let r = round().as_os_str();
    let (code, text) = verify_args(&["--root".as_ref(), root.as_ref(), r]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("root the exchange published"), "{text}");
    assert!(!text.contains("Compare this root"), "{text}");
    // The plain-words line comes first.
    assert!(
        text.starts_with("Your balances") || text.starts_with("The balances of"),
        "{text}"
    );
    let (code, text) = verify_args(&[format!("--root=0x{}", root.to_uppercase()).as_ref(), r]);
    assert_eq!(code, 0, "{text}");
    // Negative twins: another root is a rejection; a malformed one a usage error.
    let other = "ab".repeat(32);
    let (code, text) = verify_args(&["--root".as_ref(), other.as_ref(), r]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("is not the root the exchange published"),
        "{text}"
    );
    let (code, _) = verify_args(&["--root".as_ref(), "abc".as_ref(), r]);
    assert_eq!(code, 2);
    let (code, _) = verify_args(&["--root".as_ref()]);
    assert_eq!(code, 2);
}

#[test]
fn json_follows_the_shared_schema() {
    let root = published_root();
    let d = user_folder(&first_user(), |_| {});
    let (code, text) = verify_args(&[
        "--json".as_ref(),
        "--root".as_ref(),
        root.as_ref(),
        d.path().as_os_str(),
    ]);
    assert_eq!(code, 0, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["schema"], "custodia-verify/1");
    assert_eq!(
        (v["status"].as_str(), v["exit_code"].as_u64()),
        (Some("verified"), Some(0))
    );
    assert_eq!(v["user_id"], "user-0001");
    let kinds: Vec<&str> = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["root", "inclusion"]);
    let b = &v["balances"][0];
    for field in [
        "asset",
        "decimals",
        "equity",
        "debt",
        "equity_units",
        "debt_units",
    ] {
        assert!(!b[field].is_null(), "{field}: {b}");
    }
    // Negative twins: a rejection and an input error in the same shape.
    let (code, text) = verify_args(&[
        "--json".as_ref(),
        "--root".as_ref(),
        "00".repeat(32).as_ref(),
        d.path().as_os_str(),
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        (v["status"].as_str(), v["exit_code"].as_u64()),
        (Some("rejected"), Some(1))
    );
    let empty = tempfile::tempdir().expect("tempdir");
    let (code, text) = verify_args(&["--json".as_ref(), empty.path().as_os_str()]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        (v["status"].as_str(), v["exit_code"].as_u64()),
        (Some("error"), Some(2))
    );
    assert!(v["error"].as_str().is_some());
}

#[test]
fn version_and_double_dash() {
    let (code, text) = verify_args(&["--version".as_ref()]);
    assert_eq!(code, 0);
    assert!(text.starts_with("custodia-verify "), "{text}");
    assert!(text.contains("requires CPU features"), "{text}");
    // After `--`, `--json` is a file name (that does not exist: an input error, not JSON).
    let (code, text) = verify_args(&["--".as_ref(), "--json".as_ref()]);
    assert_eq!(code, 2);
    assert!(!text.trim_start().starts_with('{'), "{text}");
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    use std::process::Stdio;
    for (args, want) in [
        (vec![round().as_os_str().to_owned()], 0),
        (
            vec![
                "--root".into(),
                "00".repeat(32).into(),
                round().as_os_str().to_owned(),
            ],
            1,
        ),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_custodia-verify"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Close the reading end before the verifier writes: its write fails with EPIPE.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(want), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
