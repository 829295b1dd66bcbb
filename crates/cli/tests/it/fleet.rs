//! Distributed proving against real engines on 127.0.0.1: the job queue on PostgreSQL (SQLite
//! when `CUSTODIA_TEST_PG_URL` is unset outside CI) and the objects in an S3-compatible server
//! (`bash .ci/s3.sh` starts moto; a local folder when `CUSTODIA_TEST_S3_ENDPOINT` is unset
//! outside CI). Several worker processes, a SIGKILL mid-batch, a corrupted upload, two
//! aggregators at once, and a witness from another round.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use custodia_objstore::ObjectBlobs;
use custodia_round::Blobs;
use custodia_store::jobs::{JobState, QueueName};
use custodia_store::testkit::{self, TestStore};
use custodia_store::{Access, JobReader, Store};

use crate::cli::{built_round, code, custodia, text};

const KEK: &str = "0101010101010101010101010101010101010101010101010101010101010101";
const OTHER_KEK: &str = "0202020202020202020202020202020202020202020202020202020202020202";

/// Whether CI demands the real engines.
fn required() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
        || std::env::var("CUSTODIA_REQUIRE_PG").as_deref() == Ok("1")
}

/// One distributed round's engines: a queue database and an object store location.
struct Engines {
    rt: tokio::runtime::Runtime,
    queue: TestStore,
    store: String,
    s3: Option<String>,
    _dir: tempfile::TempDir,
}

fn engines(name: &str) -> Engines {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let queue = rt.block_on(async {
        match testkit::postgres(name).await {
            Some(pg) => pg,
            None => testkit::sqlite(name).await,
        }
    });
    let dir = tempfile::tempdir().unwrap();
    static N: AtomicUsize = AtomicUsize::new(0);
    let (store, s3) = match std::env::var("CUSTODIA_TEST_S3_ENDPOINT") {
        Ok(e) if !e.is_empty() => (
            format!(
                "s3://custodia-test/{name}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ),
            Some(e),
        ),
        _ => {
            assert!(
                !required(),
                "CI=true but CUSTODIA_TEST_S3_ENDPOINT is not set: run `export \
                 CUSTODIA_TEST_S3_ENDPOINT=\"$(bash .ci/s3.sh)\"`"
            );
            eprintln!("notice: CUSTODIA_TEST_S3_ENDPOINT not set: objects in a local folder");
            (dir.path().join("store").display().to_string(), None)
        }
    };
    Engines {
        rt,
        queue,
        store,
        s3,
        _dir: dir,
    }
}

impl Engines {
    fn cmd(&self, args: &[&str], kek: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_custodia"));
        c.args(args)
            .env("CUSTODIA_POR_QUEUE", &self.queue.url)
            .env("CUSTODIA_POR_STORE", &self.store)
            .env("CUSTODIA_SECRETS_KEK", kek)
            .env_remove("CUSTODIA_SECRETS_KEK_FILE");
        if let Some(e) = &self.s3 {
            c.env("AWS_ENDPOINT_URL", e)
                .env("AWS_ALLOW_HTTP", "true")
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test")
                .env("AWS_REGION", "us-east-1");
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args, KEK).output().expect("runs custodia")
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let o = self.run(&all);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&o)))
    }

    fn spawn_worker(&self, extra: &[&str]) -> Child {
        let mut args = vec!["--json", "por", "worker", "--poll-secs", "0.2"];
        args.extend_from_slice(extra);
        self.cmd(&args, KEK)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns a worker")
    }

    fn enqueue(&self, round: &Path) -> serde_json::Value {
        let v = self.json(&["por", "enqueue", "--round", round.to_str().unwrap()]);
        assert_eq!(v["status"], "enqueued", "{v}");
        v
    }

    /// The store as the test process sees it (S3 settings passed explicitly: the test does
    /// not touch its own environment).
    fn blobs(&self) -> ObjectBlobs {
        match &self.s3 {
            Some(e) => ObjectBlobs::open_with(
                &self.store,
                [
                    ("aws_endpoint", e.as_str()),
                    ("aws_allow_http", "true"),
                    ("aws_access_key_id", "test"),
                    ("aws_secret_access_key", "test"),
                    ("aws_region", "us-east-1"),
                ],
            )
            .unwrap(),
            None => ObjectBlobs::open(&self.store).unwrap(),
        }
    }

    fn jobs(&self, queue: &str, state: JobState) -> Vec<custodia_store::jobs::Job> {
        self.rt.block_on(async {
            let s = Store::open_existing(&self.queue.url, 1, Access::ReadOnly)
                .await
                .unwrap();
            let q = QueueName::new(queue).unwrap();
            let j = s.jobs(&q, state, None, 1000).await.unwrap();
            s.close().await;
            j
        })
    }
}

fn wait_all(children: Vec<Child>) -> Vec<Output> {
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("worker ends"))
        .collect()
}

fn worker_json(o: &Output) -> serde_json::Value {
    assert_eq!(code(o), 0, "{}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

/// The queue names the binary derives for the round in `round`.
fn queue_names(e: &Engines) -> (String, String) {
    let s = e.json(&["por", "status"]);
    let batches = s["queue"].as_str().unwrap().to_owned();
    (
        batches.clone(),
        batches.replacen("por.batch.", "por.aggr.", 1),
    )
}

#[test]
fn several_workers_finish_a_round_identical_to_one_machine() {
    let dir = tempfile::tempdir().unwrap();
    let (round, root) = built_round(dir.path());
    // The same build, proven on one machine.
    let single = dir.path().join("single");
    copy_tree(&round, &single);
    let o = custodia(&["por", "prove", "--round", single.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = custodia(&["por", "aggregate", "--round", single.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o));

    let e = engines("fleet_several");
    let first = e.enqueue(&round);
    assert_eq!(
        (&first["batches"], &first["jobs_created"]),
        (&4.into(), &4.into())
    );
    // Idempotent: enqueueing again adds nothing and uploads nothing.
    let again = e.enqueue(&round);
    assert_eq!(
        (&again["jobs_created"], &again["sealed_uploaded"]),
        (&0.into(), &0.into())
    );
    let workers: Vec<Child> = (0..2)
        .map(|i| e.spawn_worker(&["--exit-when-idle", "--worker-id", &format!("w{i}")]))
        .collect();
    let reports: Vec<serde_json::Value> = wait_all(workers).iter().map(worker_json).collect();
    let proved: u64 = reports.iter().map(|r| r["proved"].as_u64().unwrap()).sum();
    assert_eq!(proved, 4, "{reports:?}");

    let status = e.json(&["por", "status"]);
    assert_eq!(
        (&status["done"], &status["batches"], &status["aggregate"]),
        (&4.into(), &4.into(), &"pending".into()),
        "{status}"
    );
    let prom = e.run(&["por", "status", "--prometheus"]);
    let prom = String::from_utf8(prom.stdout).unwrap();
    assert!(
        prom.contains("custodia_por_batches{round=\"2026-11\",state=\"done\"} 4"),
        "{prom}"
    );
    assert!(
        prom.contains("custodia_por_progress_ratio{round=\"2026-11\"} 1"),
        "{prom}"
    );

    // The aggregator copies the accepted proofs into the round folder and publishes, then
    // clears the workers' uploads (copies now, or losers').
    assert_eq!(e.blobs().list("attempts").unwrap().len(), 8);
    let agg = e.json(&["por", "aggregate", "--round", round.to_str().unwrap()]);
    assert_eq!(agg["attempts_left"], 0, "{agg}");
    assert!(e.blobs().list("attempts").unwrap().is_empty());
    assert_eq!(
        (&agg["status"], &agg["root"]),
        (&"published".into(), &root.clone().into()),
        "{agg}"
    );
    // Identical to the single-machine round: manifest, statements, aggregate record.
    for key in [
        "round.json",
        "proofs/aggregate.json",
        "proofs/batch-00000.json",
        "proofs/batch-00001.json",
        "proofs/batch-00002.json",
        "proofs/batch-00003.json",
    ] {
        assert_eq!(
            std::fs::read(round.join(key)).unwrap(),
            std::fs::read(single.join(key)).unwrap(),
            "{key}"
        );
    }
    let o = custodia(&["verify", "round", round.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    // The store holds the same round, published.
    let blobs = e.blobs();
    assert_eq!(
        blobs.get("proofs/aggregate.json").unwrap(),
        std::fs::read(single.join("proofs/aggregate.json")).unwrap()
    );
    // Negative twins: a second aggregation publishes nothing new; nothing secret in clear.
    let twice = e.json(&["por", "aggregate"]);
    assert_eq!(twice["status"], "already-published", "{twice}");
    assert_eq!(e.json(&["por", "status"])["aggregate"], "published");
    let sealed = blobs.get("private/batch-00000.sealed").unwrap();
    let witness = std::fs::read(round.join("private/batch-00000.wit")).unwrap();
    let mid = witness.len() / 2;
    let sample = &witness[mid..mid + 32];
    assert!(
        !sealed.windows(32).any(|w| w == sample),
        "the witness is sealed, not stored in clear"
    );
    assert!(!blobs.exists("private/batch-00000.wit").unwrap());
    assert!(!blobs.exists("private/seed").unwrap());
}

fn copy_tree(from: &Path, to: &Path) {
    for sub in ["", "private", "proofs", "inclusion"] {
        let f = from.join(sub);
        if f.is_dir() {
            copy_dir_files(&f, &to.join(sub));
        }
    }
}

fn copy_dir_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn a_worker_killed_mid_batch_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (round, _) = built_round(dir.path());
    let e = engines("fleet_sigkill");
    e.enqueue(&round);
    let (batches, _) = queue_names(&e);
    // The victim claims a batch and holds it; it is killed (SIGKILL) while holding it.
    let mut victim = e.spawn_worker(&[
        "--worker-id",
        "victim",
        "--lease-secs",
        "2",
        "--drill-pause-ms",
        "600000",
    ]);
    let start = Instant::now();
    let held = loop {
        let leased = e.jobs(&batches, JobState::Leased);
        if let Some(j) = leased.first() {
            break j.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the victim never claimed"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    victim.kill().unwrap(); // SIGKILL on Unix
    victim.wait().unwrap();
    assert_eq!(held.worker.as_ref().unwrap().as_str(), "victim");
    // A survivor reclaims the held batch once its lease expires and finishes the round.
    let survivor = e.spawn_worker(&["--exit-when-idle", "--worker-id", "survivor"]);
    let r = worker_json(&wait_all(vec![survivor])[0]);
    assert_eq!(r["proved"], 4, "{r}");
    let done = e.jobs(&batches, JobState::Done);
    assert_eq!(done.len(), 4);
    let redone = done.iter().find(|j| j.id == held.id).unwrap();
    assert_eq!(
        (redone.attempts, redone.worker.as_ref().unwrap().as_str()),
        (2, "survivor"),
        "the killed worker's batch was claimed again"
    );
    let agg = e.json(&["por", "aggregate", "--round", round.to_str().unwrap()]);
    assert_eq!(agg["status"], "published", "{agg}");
    let o = custodia(&["verify", "round", round.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o));
}

#[test]
fn a_corrupted_uploaded_proof_is_detected_and_proved_again() {
    let dir = tempfile::tempdir().unwrap();
    let (round, _) = built_round(dir.path());
    let e = engines("fleet_corrupt");
    e.enqueue(&round);
    let (batches, _) = queue_names(&e);
    worker_json(&wait_all(vec![e.spawn_worker(&["--exit-when-idle"])])[0]);
    // Damage batch 1's accepted proof in the store, after its worker checked its upload.
    let job = e
        .jobs(&batches, JobState::Done)
        .into_iter()
        .find(|j| j.key.as_str() == "batch-00001.job")
        .unwrap();
    let result: serde_json::Value = serde_json::from_slice(job.result.as_ref().unwrap()).unwrap();
    let key = result["proof_key"].as_str().unwrap().to_owned();
    let blobs = e.blobs();
    let mut bytes = blobs.get(&key).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    blobs.put(&key, &bytes).unwrap();

    let agg = e.run(&[
        "--json",
        "por",
        "aggregate",
        "--round",
        round.to_str().unwrap(),
    ]);
    assert_eq!(code(&agg), 1, "{}", text(&agg));
    let v: serde_json::Value = serde_json::from_slice(&agg.stdout).unwrap();
    assert_eq!(
        (&v["status"], &v["batches"]),
        (&"requeued".into(), &serde_json::json!([1]))
    );
    // Negative twin: nothing was published from the damaged round.
    assert!(!blobs.exists("proofs/aggregate.json").unwrap());
    assert!(!round.join("proofs/aggregate.json").exists());
    let status = e.json(&["por", "status"]);
    assert_eq!(
        (&status["done"], &status["queued"]),
        (&3.into(), &1.into()),
        "{status}"
    );

    let r = worker_json(&wait_all(vec![e.spawn_worker(&["--exit-when-idle"])])[0]);
    assert_eq!(
        r["proved"], 1,
        "only the damaged batch is proved again: {r}"
    );
    let agg = e.json(&["por", "aggregate", "--round", round.to_str().unwrap()]);
    assert_eq!(agg["status"], "published", "{agg}");
    let o = custodia(&["verify", "round", round.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    // Proved twice, one accepted artefact: the round's proof is the re-proved one.
    let redone = e
        .jobs(&batches, JobState::Done)
        .into_iter()
        .find(|j| j.key.as_str() == "batch-00001.job")
        .unwrap();
    let result: serde_json::Value =
        serde_json::from_slice(redone.result.as_ref().unwrap()).unwrap();
    assert_ne!(result["proof_key"].as_str().unwrap(), key);
    let published = blobs.get("proofs/batch-00001.proof").unwrap();
    assert_eq!(
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&published)),
        result["proof_sha256"].as_str().unwrap()
    );
    assert_eq!(
        published,
        std::fs::read(round.join("proofs/batch-00001.proof")).unwrap()
    );
    // Both uploads (the damaged one and the re-proved one) are gone once it is published.
    assert!(blobs.list("attempts").unwrap().is_empty());
}

#[test]
fn two_aggregators_cannot_both_publish() {
    let dir = tempfile::tempdir().unwrap();
    let (round, _) = built_round(dir.path());
    let e = engines("fleet_two_aggregators");
    e.enqueue(&round);
    // Before every batch is proven: nothing to publish (exit 1, no aggregate).
    let early = e.run(&["--json", "por", "aggregate"]);
    assert_eq!(code(&early), 1, "{}", text(&early));
    assert!(String::from_utf8_lossy(&early.stdout).contains("\"waiting\""));
    worker_json(&wait_all(vec![e.spawn_worker(&["--exit-when-idle"])])[0]);
    let both: Vec<Child> = (0..2)
        .map(|i| {
            e.cmd(
                &[
                    "--json",
                    "por",
                    "aggregate",
                    "--worker-id",
                    &format!("agg{i}"),
                ],
                KEK,
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let outs = wait_all(both);
    let published = outs
        .iter()
        .filter(|o| code(o) == 0 && String::from_utf8_lossy(&o.stdout).contains("\"published\""))
        .count();
    assert_eq!(published, 1, "{}\n---\n{}", text(&outs[0]), text(&outs[1]));
    // The other one was told: already published, or busy (another aggregator holds it).
    let loser = outs
        .iter()
        .find(|o| !String::from_utf8_lossy(&o.stdout).contains("\"published\""))
        .unwrap();
    let t = text(loser);
    assert!(
        t.contains("already-published") || t.contains("another aggregator"),
        "{t}"
    );
    let (_, aggregate) = queue_names(&e);
    assert_eq!(e.jobs(&aggregate, JobState::Done).len(), 1);
}

#[test]
fn a_worker_refuses_a_witness_from_another_round_or_key() {
    let dir = tempfile::tempdir().unwrap();
    let (round_a, _) = built_round(&dir.path().join("a"));
    // Another round: same id, another build (another seed, so another binding).
    let (round_b, _) = built_round(&dir.path().join("b"));
    let ea = engines("fleet_foreign_a");
    let eb = engines("fleet_foreign_b");
    ea.enqueue(&round_a);
    eb.enqueue(&round_b);
    // Round B's sealed batch 0 placed where round A's belongs.
    let own = ea.blobs().get("private/batch-00000.sealed").unwrap();
    let foreign = eb.blobs().get("private/batch-00000.sealed").unwrap();
    ea.blobs()
        .put("private/batch-00000.sealed", &foreign)
        .unwrap();
    let r = worker_json(&wait_all(vec![ea.spawn_worker(&["--exit-when-idle"])])[0]);
    assert_eq!((&r["proved"], &r["refused"]), (&3.into(), &1.into()), "{r}");
    let (batches, _) = queue_names(&ea);
    let dead = ea.jobs(&batches, JobState::Dead);
    assert_eq!(dead.len(), 1);
    let why = dead[0].last_error.clone().unwrap();
    assert!(
        why.contains("refusing a witness from another round"),
        "{why}"
    );
    // The round cannot be published with a batch missing; status says why (exit 1).
    let st = ea.run(&["por", "status"]);
    assert_eq!(code(&st), 1, "{}", text(&st));
    assert!(text(&st).contains("another round"), "{}", text(&st));
    let agg = ea.run(&["--json", "por", "aggregate"]);
    assert_eq!(code(&agg), 1, "{}", text(&agg));
    assert!(String::from_utf8_lossy(&agg.stdout).contains("\"dead\""));

    // The operator puts the right object back and re-queues the dead batch. Only dead batches
    // move: naming a proven one is refused, and an empty reason too.
    ea.blobs().put("private/batch-00000.sealed", &own).unwrap();
    let o = ea.run(&["por", "requeue", "--batch", "1", "--reason", "restored"]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("batch 1 is not dead"), "{}", text(&o));
    let o = ea.run(&["por", "requeue", "--reason", " "]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    let o = ea.run(&[
        "--json",
        "por",
        "requeue",
        "--reason",
        "restored the sealed input",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["requeued"], serde_json::json!([0]), "{v}");
    let queued = ea.jobs(&batches, JobState::Queued);
    assert!(
        queued[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("restored the sealed input"),
        "{:?}",
        queued[0].last_error
    );
    let r = worker_json(&wait_all(vec![ea.spawn_worker(&["--exit-when-idle"])])[0]);
    assert_eq!(r["proved"], 1, "{r}");
    let agg = ea.run(&["--json", "por", "aggregate"]);
    assert_eq!(code(&agg), 0, "{}", text(&agg));
    assert!(String::from_utf8_lossy(&agg.stdout).contains("\"published\""));
    // Nothing is dead any more: a second requeue has nothing to do.
    let o = ea.run(&["--json", "por", "requeue", "--reason", "again"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["requeued"], serde_json::json!([]), "{v}");

    // Negative twin of the key: round B's own objects, opened with another KEK, are refused.
    let o = eb
        .cmd(
            &[
                "--json",
                "por",
                "worker",
                "--max-batches",
                "1",
                "--poll-secs",
                "0.2",
            ],
            OTHER_KEK,
        )
        .output()
        .unwrap();
    let r = worker_json(&o);
    assert_eq!((&r["proved"], &r["refused"]), (&0.into(), &1.into()), "{r}");
    let (batches_b, _) = queue_names(&eb);
    let dead = eb.jobs(&batches_b, JobState::Dead);
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("cannot be opened with this key-encryption key"),
        "{:?}",
        dead[0].last_error
    );
    // And the right key still proves the rest.
    let r = worker_json(&wait_all(vec![eb.spawn_worker(&["--exit-when-idle"])])[0]);
    assert_eq!(r["proved"], 3, "{r}");
}

#[test]
fn enqueue_refuses_a_store_holding_another_round() {
    let dir = tempfile::tempdir().unwrap();
    let (round_a, _) = built_round(&dir.path().join("a"));
    let (round_b, _) = built_round(&dir.path().join("b"));
    let e = engines("fleet_other_round");
    e.enqueue(&round_a);
    let o = e.run(&["por", "enqueue", "--round", round_b.to_str().unwrap()]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(
        text(&o).contains("use a fresh store prefix"),
        "{}",
        text(&o)
    );
    // Without a key nothing is sealed or enqueued.
    let e2 = engines("fleet_no_kek");
    let o = e2
        .cmd(
            &["por", "enqueue", "--round", round_b.to_str().unwrap()],
            "",
        )
        .env_remove("CUSTODIA_SECRETS_KEK")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(
        text(&o).contains("key-encryption key is required"),
        "{}",
        text(&o)
    );
}
