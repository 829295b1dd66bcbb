//! `custodia por enqueue | worker | status` and `por aggregate --queue`: one round proven by
//! many machines.
//!
//! PostgreSQL coordinates through the platform's job queue (`custodia_store::jobs`: claims
//! with `FOR UPDATE SKIP LOCKED`, leases with heartbeats, fencing tokens); an object store
//! (`custodia_objstore`: a folder, or `s3://bucket/prefix`) holds the round's public manifest,
//! each batch's sealed input and the proofs, so workers need no shared disk.
//!
//! Layout of the store (a round folder, plus two kinds of objects of its own):
//!
//! ```text
//! round.json, assets.toml, prices.toml    as in the round folder (public)
//! private/batch-NNNNN.sealed              batch NNNNN's witness and its two chain boundaries,
//!                                         sealed with the KEK (AES-256-GCM); a clear header
//!                                         names the round and the batch and is bound as AAD
//! attempts/batch-NNNNN/lease-T.{proof,json}   what the worker holding lease T uploaded
//! proofs/batch-NNNNN.{proof,json}         the accepted proof, copied by the aggregator
//! proofs/aggregate.json                   the whole round checked
//! ```
//!
//! A worker uploads under its own lease's name and completes its job with the digests of what
//! it uploaded; only the current lease can complete, so whatever stale workers upload, the
//! job's result names exactly one accepted artefact per batch. The aggregator checks every
//! accepted artefact against its digest and the verifier, reopens the jobs of corrupted ones
//! (they are proved again), and publishes under the round's aggregate job, which one
//! aggregator holds at a time.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use custodia_events::{Clock, OsEntropy, SystemClock, Timestamp};
use custodia_keys::{Kek, SecretString};
use custodia_objstore::ObjectBlobs;
use custodia_round::folder::{self, MANIFEST, boundary_key, proof_key, witness_key};
use custodia_round::{Blobs, FsBlobs, MemBlobs};
use custodia_store::jobs::{
    Claimed, Job, JobCounts, JobKey, JobState, Lease, NewJob, QueueName, Retry, WorkerId,
};
use custodia_store::{Access, JobQueue, JobReader, Store, StoreError};
use custodia_sumtree::RoundManifest;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::Outcome;
use crate::output::Output;

/// Format tag of a sealed batch object's header.
pub const SEALED_FORMAT: &str = "custodia-sealed-batch/1";
/// Format tag of a batch job's payload.
const JOB_FORMAT: &str = "custodia-por-job/1";
/// The aggregate job's key in the round's aggregate queue.
const AGGREGATE_KEY: &str = "aggregate";

#[derive(Debug, Args)]
pub struct QueueArgs {
    /// The job queue's database: postgres://user@host/db (sqlite://FILE for one machine);
    /// default: CUSTODIA_POR_QUEUE.
    #[arg(long)]
    pub queue: Option<String>,
    /// Where the round's objects live: a folder, file:///path or s3://bucket/prefix
    /// (S3 settings from AWS_* variables: AWS_ENDPOINT_URL, AWS_REGION, credentials);
    /// default: CUSTODIA_POR_STORE.
    #[arg(long)]
    pub store: Option<String>,
}

/// `given`, else the variable `var`, else a usage error naming both.
fn setting(given: &Option<String>, flag: &str, var: &str) -> Result<String> {
    match given {
        Some(v) => Ok(v.clone()),
        None => std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| anyhow!("{flag} is required (or set {var})")),
    }
}

impl QueueArgs {
    /// The queue URL and the store location.
    fn resolve(&self) -> Result<(String, String)> {
        Ok((
            setting(&self.queue, "--queue", "CUSTODIA_POR_QUEUE")?,
            setting(&self.store, "--store", "CUSTODIA_POR_STORE")?,
        ))
    }
}

#[derive(Debug, Args)]
pub struct KekArg {
    /// File holding the key-encryption key (64 hex digits or base64 of 32 bytes); otherwise
    /// CUSTODIA_SECRETS_KEK_FILE or CUSTODIA_SECRETS_KEK, as for `custodia serve`.
    #[arg(long)]
    pub kek_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EnqueueArgs {
    /// The round folder `por build` wrote (on this machine).
    #[arg(long)]
    pub round: PathBuf,
    #[command(flatten)]
    pub q: QueueArgs,
    #[command(flatten)]
    pub kek: KekArg,
    /// Claims allowed per batch before it is given up (a worker crash costs one).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_attempts: u32,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub q: QueueArgs,
    #[command(flatten)]
    pub kek: KekArg,
    /// This worker's name in the queue (default: host/pid-N).
    #[arg(long)]
    pub worker_id: Option<String>,
    /// Lease length: another worker takes the batch over when this worker has not renewed
    /// its lease for this long (it renews every third of it while proving).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(2..=86_400))]
    pub lease_secs: u64,
    /// Pause between claims when nothing is due.
    #[arg(long, default_value_t = 2.0)]
    pub poll_secs: f64,
    /// Stop once no batch of the round is queued or leased (a batch scheduler's job);
    /// otherwise keep polling (a long-running deployment).
    #[arg(long)]
    pub exit_when_idle: bool,
    /// Stop after this many batches.
    #[arg(long)]
    pub max_batches: Option<u64>,
    /// Crash drills: hold each claimed batch this long before proving it (without renewing
    /// the lease), so a drill can kill the worker while it holds a batch.
    #[arg(long, hide = true, default_value_t = 0)]
    pub drill_pause_ms: u64,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub q: QueueArgs,
    /// Print Prometheus text exposition instead (for node_exporter's textfile collector or a
    /// Pushgateway).
    #[arg(long)]
    pub prometheus: bool,
}

#[derive(Debug, Args)]
pub struct RequeueArgs {
    #[command(flatten)]
    pub q: QueueArgs,
    /// A dead batch to send back to the workers (repeat the flag; default: every dead batch).
    #[arg(long = "batch", value_name = "N")]
    pub batches: Vec<usize>,
    /// Attempts each revived batch gets.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub attempts: u32,
    /// Why: what was fixed (kept with the job, with who revived it).
    #[arg(long)]
    pub reason: String,
    /// Who is reviving them (default: host and process).
    #[arg(long)]
    pub operator: Option<String>,
}

#[derive(Debug, Args)]
pub struct AggregateArgs {
    /// The round folder: without a queue, the round to check (proven on this machine); with
    /// one, also receives the accepted proofs and proofs/aggregate.json.
    #[arg(long)]
    pub round: Option<PathBuf>,
    /// The job queue's database of a distributed round (default: CUSTODIA_POR_QUEUE; with
    /// neither, the round folder alone is aggregated).
    #[arg(long)]
    pub queue: Option<String>,
    /// The distributed round's object store (default: CUSTODIA_POR_STORE).
    #[arg(long)]
    pub store: Option<String>,
    /// Wait until every batch is done (and again after re-queuing corrupted proofs) instead of
    /// stopping with exit 1.
    #[arg(long)]
    pub wait: bool,
    /// Pause between checks with --wait.
    #[arg(long, default_value_t = 5.0)]
    pub poll_secs: f64,
    /// The aggregator's lease on the round's aggregate job.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(2..=86_400))]
    pub lease_secs: u64,
    /// This aggregator's name in the queue (default: host/pid-N).
    #[arg(long)]
    pub worker_id: Option<String>,
}

/// A batch job's payload: which batch of which round. The sealed object carries the inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobPayload {
    format: String,
    round: String,
    binding: String,
    batch: usize,
}

/// What a worker's `complete` records: the one accepted artefact of the batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct JobResult {
    worker: String,
    lease: u64,
    proof_key: String,
    public_key: String,
    proof_sha256: String,
    public_sha256: String,
    proof_bytes: usize,
    prove_seconds: f64,
}

/// The clear header of a sealed batch object (bound into the ciphertext as AAD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedHeader {
    format: String,
    round: String,
    binding: String,
    batch: usize,
}

fn sealed_key(b: usize) -> String {
    format!(
        "{}/{}",
        folder::PRIVATE_DIR,
        folder::batch_file(b, "sealed")
    )
}

fn attempt_key(b: usize, lease: u64, ext: &str) -> String {
    format!("attempts/batch-{b:05}/lease-{lease}.{ext}")
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn now() -> Timestamp {
    SystemClock.now()
}

/// The round's two queues: its batches, and its aggregate job. Named after the round id and
/// its binding, so two rounds (or two builds of one id) never share a queue, and a worker
/// pointed at a store works only on that store's round.
struct RoundQueues {
    batches: QueueName,
    aggregate: QueueName,
}

fn round_queues(m: &RoundManifest) -> Result<RoundQueues> {
    let id: String = m
        .round
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let tag = &m.binding()?.to_hex()[..12];
    Ok(RoundQueues {
        batches: QueueName::new(format!("por.batch.{id}.{tag}"))?,
        aggregate: QueueName::new(format!("por.aggr.{id}.{tag}"))?,
    })
}

fn load_kek(arg: &KekArg) -> Result<Kek> {
    let text = if let Some(path) = &arg.kek_file {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    } else if let Ok(path) = std::env::var("CUSTODIA_SECRETS_KEK_FILE") {
        std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?
    } else if let Ok(k) = std::env::var("CUSTODIA_SECRETS_KEK") {
        k
    } else {
        bail!(
            "a key-encryption key is required to seal or open batch witnesses: pass --kek-file \
             or set CUSTODIA_SECRETS_KEK_FILE or CUSTODIA_SECRETS_KEK (64 hex digits)"
        );
    };
    Kek::parse(&SecretString::new(text)).context("the key-encryption key")
}

fn default_worker_id(given: Option<String>) -> Result<WorkerId> {
    let id = given.unwrap_or_else(|| {
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "worker".into());
        format!("{host}/pid-{}", std::process::id())
    });
    Ok(WorkerId::new(id)?)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// The round in a store: its manifest (checked) and queues.
struct Remote {
    blobs: ObjectBlobs,
    manifest_bytes: Vec<u8>,
    m: RoundManifest,
    binding: String,
    queues: RoundQueues,
}

fn open_remote(store: &str) -> Result<Remote> {
    let blobs = ObjectBlobs::open(store)?;
    let manifest_bytes = blobs
        .get_limited(MANIFEST, folder::MAX_MANIFEST_BYTES)
        .with_context(|| format!("{store} holds no round (run `custodia por enqueue` first)"))?;
    let m = custodia_round::load_manifest(&blobs)?;
    custodia_verifier::round::check_manifest(&m)?;
    let binding = m.binding()?.to_hex();
    let queues = round_queues(&m)?;
    Ok(Remote {
        blobs,
        manifest_bytes,
        m,
        binding,
        queues,
    })
}

// ---------------------------------------------------------------------------------------------
// Sealed batch inputs

fn header_bytes(m: &RoundManifest, binding: &str, b: usize) -> Vec<u8> {
    serde_json::to_vec(&SealedHeader {
        format: SEALED_FORMAT.into(),
        round: m.round.clone(),
        binding: binding.into(),
        batch: b,
    })
    .expect("serialisable header")
}

fn push_part(out: &mut Vec<u8>, part: &[u8]) {
    out.extend_from_slice(&(part.len() as u64).to_le_bytes());
    out.extend_from_slice(part);
}

fn take_part<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, rest) = bytes.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
    if rest.len() < len {
        return None;
    }
    let (part, rest) = rest.split_at(len);
    *bytes = rest;
    Some(part)
}

/// `header ‖ '\n' ‖ seal(boundary b ‖ boundary b+1 ‖ witness)` with the header as AAD: the batch
/// needs nothing else, and a worker holds nothing more.
fn seal_batch(
    kek: &Kek,
    m: &RoundManifest,
    binding: &str,
    b: usize,
    local: &dyn Blobs,
) -> Result<Vec<u8>> {
    // Checks the witness is this batch's before it leaves the machine.
    custodia_round::read_witness(local, m, b)?;
    let mut plain = Vec::new();
    push_part(&mut plain, &local.get(&boundary_key(b))?);
    push_part(&mut plain, &local.get(&boundary_key(b + 1))?);
    push_part(&mut plain, &local.get(&witness_key(b))?);
    let header = header_bytes(m, binding, b);
    let sealed = custodia_keys::seal(kek, &plain, &header, &OsEntropy);
    zeroize::Zeroize::zeroize(&mut plain);
    let mut out = header;
    out.push(b'\n');
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Why a batch job could not be done: bad input (never retried) or bad luck (retried).
#[derive(Debug)]
enum JobError {
    Refused(String),
    Transient(String),
}

/// Opens batch `b`'s sealed object into a folder in memory holding just what proving needs.
fn open_batch(kek: &Kek, r: &Remote, b: usize, bytes: &[u8]) -> Result<MemBlobs, JobError> {
    let key = sealed_key(b);
    let at = r.blobs.location(&key);
    let nl = bytes
        .iter()
        .position(|&c| c == b'\n')
        .ok_or_else(|| JobError::Refused(format!("{at}: not a sealed batch (no header)")))?;
    let (header, sealed) = (&bytes[..nl], &bytes[nl + 1..]);
    let h: SealedHeader = serde_json::from_slice(header)
        .map_err(|e| JobError::Refused(format!("{at}: not a sealed batch header: {e}")))?;
    if h.format != SEALED_FORMAT {
        return Err(JobError::Refused(format!(
            "{at}: format `{}`, expected `{SEALED_FORMAT}`",
            h.format
        )));
    }
    if h.binding != r.binding || h.round != r.m.round || h.batch != b {
        return Err(JobError::Refused(format!(
            "{at}: the witness is batch {} of round {} (binding {}), not batch {b} of round {} \
             (binding {}): refusing a witness from another round",
            h.batch,
            h.round,
            &h.binding[..h.binding.len().min(16)],
            r.m.round,
            &r.binding[..16]
        )));
    }
    let mut plain = custodia_keys::open(kek, sealed, header).map_err(|_| {
        JobError::Refused(format!(
            "{at}: cannot be opened with this key-encryption key (another key, or the object was \
             altered)"
        ))
    })?;
    let mut rest = plain.as_slice();
    let parts = (
        take_part(&mut rest),
        take_part(&mut rest),
        take_part(&mut rest),
    );
    let mem = MemBlobs::new();
    let stored = match parts {
        (Some(chain_in), Some(chain_out), Some(witness)) if rest.is_empty() => mem
            .put(MANIFEST, &r.manifest_bytes)
            .and_then(|()| mem.put(&boundary_key(b), chain_in))
            .and_then(|()| mem.put(&boundary_key(b + 1), chain_out))
            .and_then(|()| mem.put(&witness_key(b), witness))
            .map_err(|e| JobError::Transient(e.to_string())),
        _ => Err(JobError::Refused(format!(
            "{at}: the sealed contents are not three parts"
        ))),
    };
    zeroize::Zeroize::zeroize(&mut plain);
    stored.map(|()| mem)
}

// ---------------------------------------------------------------------------------------------
// enqueue

pub fn enqueue(a: EnqueueArgs, out: &Output) -> Result<Outcome> {
    let (queue_url, store_url) = a.q.resolve()?;
    let local = FsBlobs::new(&a.round);
    let m = custodia_round::load_manifest(&local)?;
    custodia_verifier::round::check_manifest(&m)?;
    if m.prices.is_none() {
        bail!(
            "round {} has no committed prices: it cannot be proven",
            m.round
        );
    }
    let kek = load_kek(&a.kek)?;
    let binding = m.binding()?.to_hex();
    let queues = round_queues(&m)?;
    let remote = ObjectBlobs::open(&store_url)?;
    let manifest_bytes = local.get(MANIFEST)?;
    if remote.exists(MANIFEST)? {
        let there = remote.get(MANIFEST)?;
        if there != manifest_bytes {
            let other = serde_json::from_slice::<RoundManifest>(&there)
                .map(|o| format!("round {}", o.round))
                .unwrap_or_else(|_| "something else".into());
            bail!(
                "{} already holds {other}, not this build of round {}: use a fresh store prefix \
                 per round",
                remote.location(MANIFEST),
                m.round
            );
        }
    }
    let n = m.shape.num_batches();
    let rt = runtime()?;
    let store = rt.block_on(Store::open(&queue_url, 2))?;
    let bar = out.bar(n as u64, "sealing batches");
    let (mut created, mut uploaded) = (0usize, 0usize);
    // The public files first: a worker that starts early finds the manifest.
    remote.put(MANIFEST, &manifest_bytes)?;
    for extra in [folder::ASSETS, folder::PRICES] {
        if local.exists(extra)? {
            remote.put(extra, &local.get(extra)?)?;
        }
    }
    for b in 0..n {
        // Resumable: a sealed object already there is this round's (the manifest matched).
        if !remote.exists(&sealed_key(b))? {
            remote.put(&sealed_key(b), &seal_batch(&kek, &m, &binding, b, &local)?)?;
            uploaded += 1;
        }
        let payload = serde_json::to_vec(&JobPayload {
            format: JOB_FORMAT.into(),
            round: m.round.clone(),
            binding: binding.clone(),
            batch: b,
        })?;
        let job = NewJob {
            queue: queues.batches.clone(),
            key: JobKey::new(folder::batch_file(b, "job"))?,
            payload,
            max_attempts: std::num::NonZeroU32::new(a.max_attempts).expect("range-checked"),
            not_before: now(),
        };
        created += usize::from(rt.block_on(store.enqueue(&job, now()))?.created);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let agg = NewJob {
        queue: queues.aggregate.clone(),
        key: JobKey::new(AGGREGATE_KEY)?,
        payload: binding.clone().into_bytes(),
        // The aggregator gives its job back whenever it must wait for re-proved batches.
        max_attempts: std::num::NonZeroU32::new(1000).expect("non-zero"),
        not_before: now(),
    };
    rt.block_on(store.enqueue(&agg, now()))?;
    rt.block_on(store.close());
    let r = serde_json::json!({
        "status": "enqueued", "round": m.round, "batches": n, "jobs_created": created,
        "sealed_uploaded": uploaded, "queue": queues.batches.as_str(), "store": remote.url(),
    });
    out.emit(&r, || {
        format!(
            "round {}: {n} batch jobs in queue {} ({created} new), {uploaded} sealed inputs \
             uploaded to {}",
            m.round,
            queues.batches,
            remote.url()
        )
    });
    Ok(Outcome::Ok)
}

// ---------------------------------------------------------------------------------------------
// worker

struct WorkerCtx {
    rt: tokio::runtime::Runtime,
    store: Store,
    remote: Remote,
    kek: Kek,
    lease_for: Duration,
}

pub fn worker(a: WorkerArgs, out: &Output) -> Result<Outcome> {
    let (queue_url, store_url) = a.q.resolve()?;
    let kek = load_kek(&a.kek)?;
    let me = default_worker_id(a.worker_id.clone())?;
    let remote = open_remote(&store_url)?;
    let rt = runtime()?;
    let store = rt.block_on(Store::open_existing(&queue_url, 2, Access::ReadWrite))?;
    let ctx = WorkerCtx {
        rt,
        store,
        remote,
        kek,
        lease_for: Duration::from_secs(a.lease_secs),
    };
    let poll = Duration::from_secs_f64(a.poll_secs.clamp(0.05, 3600.0));
    out.note(format!(
        "worker {me}: round {} from {}, queue {}",
        ctx.remote.m.round,
        ctx.remote.blobs.url(),
        ctx.remote.queues.batches
    ));
    let (mut proved, mut refused, mut lost) = (0u64, 0u64, 0u64);
    loop {
        if a.max_batches
            .is_some_and(|max| proved + refused + lost >= max)
        {
            break;
        }
        let claimed = ctx.rt.block_on(ctx.store.claim(
            &ctx.remote.queues.batches,
            &me,
            ctx.lease_for,
            now(),
        ))?;
        let Some(c) = claimed else {
            if a.exit_when_idle {
                let counts = ctx
                    .rt
                    .block_on(ctx.store.job_counts(&ctx.remote.queues.batches))?;
                if counts.queued + counts.leased == 0 {
                    break;
                }
            }
            std::thread::sleep(poll);
            continue;
        };
        if a.drill_pause_ms > 0 {
            out.note(format!("job {}: claimed, holding it (drill)", c.job.id));
            std::thread::sleep(Duration::from_millis(a.drill_pause_ms));
        }
        let b = job_batch(&ctx.remote, &c.job);
        match b.and_then(|b| run_job(&ctx, &c, b).map(|r| (b, r))) {
            Ok((b, Some(r))) => {
                proved += 1;
                out.note(format!(
                    "batch {b}: proven in {:.1} s, {} bytes, accepted (lease {})",
                    r.prove_seconds, r.proof_bytes, r.lease
                ));
            }
            Ok((b, None)) => {
                lost += 1;
                out.note(format!(
                    "batch {b}: lease lost to another worker; this result was dropped"
                ));
            }
            Err(JobError::Refused(why)) => {
                refused += 1;
                give_up(&ctx, &c.lease, &why, Retry::Never)?;
                out.note(format!("job {}: refused: {why}", c.job.id));
            }
            Err(JobError::Transient(why)) => {
                let retry = Retry::At(now().plus_millis(5_000));
                let state = give_up(&ctx, &c.lease, &why, retry)?;
                out.note(format!("job {}: failed ({state}): {why}", c.job.id));
            }
        }
    }
    ctx.rt.block_on(ctx.store.close());
    let r = serde_json::json!({
        "status": "stopped", "worker": me.as_str(), "proved": proved, "refused": refused,
        "lost_leases": lost,
    });
    out.emit(&r, || {
        format!("worker {me}: {proved} batches proven, {refused} refused, {lost} leases lost")
    });
    Ok(Outcome::Ok)
}

fn give_up(ctx: &WorkerCtx, lease: &Lease, why: &str, retry: Retry) -> Result<JobState> {
    match ctx.rt.block_on(ctx.store.fail(lease, why, now(), retry)) {
        Ok(s) => Ok(s),
        // Someone else holds the job now: theirs to finish.
        Err(StoreError::LeaseLost { .. }) => Ok(JobState::Leased),
        Err(e) => Err(e.into()),
    }
}

fn job_batch(r: &Remote, job: &Job) -> Result<usize, JobError> {
    let p: JobPayload = serde_json::from_slice(&job.payload)
        .map_err(|e| JobError::Refused(format!("not a batch job payload: {e}")))?;
    if p.format != JOB_FORMAT || p.binding != r.binding || p.round != r.m.round {
        return Err(JobError::Refused(format!(
            "a job of round {} (binding {}), this store holds round {}",
            p.round,
            &p.binding[..p.binding.len().min(16)],
            r.m.round
        )));
    }
    if p.batch >= r.m.shape.num_batches() {
        return Err(JobError::Refused(format!(
            "batch {} of a round of {}",
            p.batch,
            r.m.shape.num_batches()
        )));
    }
    Ok(p.batch)
}

fn transient(e: impl std::fmt::Display) -> JobError {
    JobError::Transient(e.to_string())
}

/// One claimed batch: open, prove (heartbeating), check, upload, check the upload, complete.
/// `Ok(None)`: the lease was lost on the way and the result dropped.
fn run_job(ctx: &WorkerCtx, c: &Claimed, b: usize) -> Result<Option<JobResult>, JobError> {
    let r = &ctx.remote;
    let sealed = r.blobs.get(&sealed_key(b)).map_err(transient)?;
    let inputs = open_batch(&ctx.kek, r, b, &sealed)?;
    drop(sealed);
    let m = &r.m;
    let refuse = |e: custodia_round::Error| match e {
        custodia_round::Error::Storage { .. } | custodia_round::Error::NotFound { .. } => {
            transient(e)
        }
        other => JobError::Refused(other.to_string()),
    };
    let witness = custodia_round::read_witness(&inputs, m, b).map_err(refuse)?;
    let chain_in = custodia_round::read_boundary(&inputs, m, b).map_err(refuse)?;
    let chain_out = custodia_round::read_boundary(&inputs, m, b + 1).map_err(refuse)?;

    // Prove on another thread; renew the lease here every third of it.
    let started = Instant::now();
    let mut lease = c.lease.clone();
    let mut lease_lost = false;
    let proven = std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel();
        let (witness, chain_in, chain_out) = (&witness, &chain_in, &chain_out);
        s.spawn(move || {
            let _ = tx.send(custodia_round::prove_batch(
                m,
                b,
                witness,
                (chain_in, chain_out),
            ));
        });
        loop {
            match rx.recv_timeout(ctx.lease_for / 3) {
                Ok(p) => break p,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if lease_lost {
                        continue;
                    }
                    let extend = now().plus_millis(ctx.lease_for.as_millis() as i64);
                    match ctx.rt.block_on(ctx.store.heartbeat(&lease, extend)) {
                        Ok(l) => lease = l,
                        Err(StoreError::LeaseLost { .. }) => lease_lost = true,
                        // A database hiccup: keep proving, try again next beat.
                        Err(_) => {}
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    break Err(custodia_round::Error::Randomness(
                        "the proving thread stopped".into(),
                    ));
                }
            }
        }
    });
    let prove_seconds = started.elapsed().as_secs_f64();
    drop(witness);
    if lease_lost {
        return Ok(None);
    }
    let proven = proven.map_err(refuse)?;

    // Check our own proof exactly as the round check will (statement, chain openings, STARK).
    custodia_round::store_proof(&inputs, b, &proven).map_err(transient)?;
    if !custodia_round::has_valid_proof(&inputs, m, b) {
        return Err(transient("the proof just made does not verify"));
    }
    let proof = proven.proof;
    let public = inputs.get(&proof_key(b, "json")).map_err(transient)?;
    drop(inputs);

    let token = lease.token.get();
    let result = JobResult {
        worker: lease.worker.as_str().to_owned(),
        lease: token,
        proof_key: attempt_key(b, token, "proof"),
        public_key: attempt_key(b, token, "json"),
        proof_sha256: sha256_hex(&proof),
        public_sha256: sha256_hex(&public),
        proof_bytes: proof.len(),
        prove_seconds,
    };
    for (key, bytes, digest) in [
        (&result.proof_key, &proof, &result.proof_sha256),
        (&result.public_key, &public, &result.public_sha256),
    ] {
        r.blobs.put(key, bytes).map_err(transient)?;
        // Read back: an upload damaged on the way is found now, not at aggregation.
        let back = r.blobs.get(key).map_err(transient)?;
        if &sha256_hex(&back) != digest {
            return Err(transient(format!(
                "{}: the uploaded object differs from what was sent",
                r.blobs.location(key)
            )));
        }
    }
    let bytes = serde_json::to_vec(&result).map_err(transient)?;
    match ctx.rt.block_on(ctx.store.complete(&lease, &bytes, now())) {
        Ok(_) => Ok(Some(result)),
        Err(StoreError::LeaseLost { .. }) => Ok(None),
        Err(e) => Err(transient(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// status

/// The round's progress as the queue records it.
#[derive(Debug, Clone, Serialize)]
struct RoundStatus {
    round: String,
    queue: String,
    batches: u64,
    queued: u64,
    leased: u64,
    done: u64,
    dead: u64,
    progress: f64,
    /// Batches finished per second between the first and the last finish.
    throughput_per_sec: Option<f64>,
    eta_secs: Option<f64>,
    mean_prove_secs: Option<f64>,
    active_workers: Vec<String>,
    dead_reasons: Vec<String>,
    aggregate: String,
}

async fn all_jobs(store: &Store, q: &QueueName, state: JobState) -> Result<Vec<Job>> {
    let mut out: Vec<Job> = Vec::new();
    loop {
        let page = store.jobs(q, state, out.last().map(|j| j.id), 1000).await?;
        let done = page.len() < 1000;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

async fn round_status(store: &Store, r: &Remote, at: Timestamp) -> Result<RoundStatus> {
    let q = &r.queues.batches;
    let c: JobCounts = store.job_counts(q).await?;
    let done = all_jobs(store, q, JobState::Done).await?;
    let leased = all_jobs(store, q, JobState::Leased).await?;
    let dead = all_jobs(store, q, JobState::Dead).await?;
    let finished: Vec<i64> = done
        .iter()
        .filter_map(|j| j.finished_at.map(Timestamp::as_millis))
        .collect();
    let secs: Vec<f64> = done
        .iter()
        .filter_map(|j| serde_json::from_slice::<JobResult>(j.result.as_deref()?).ok())
        .map(|r| r.prove_seconds)
        .collect();
    let (first, last) = (finished.iter().min(), finished.iter().max());
    let throughput = match (first, last) {
        (Some(f), Some(l)) if finished.len() >= 2 && l > f => {
            Some((finished.len() - 1) as f64 * 1000.0 / (l - f) as f64)
        }
        _ => None,
    };
    let remaining = (c.queued + c.leased) as f64;
    let agg = store
        .jobs(&r.queues.aggregate, JobState::Done, None, 1)
        .await?;
    let total = c.total();
    Ok(RoundStatus {
        round: r.m.round.clone(),
        queue: q.to_string(),
        batches: total,
        queued: c.queued,
        leased: c.leased,
        done: c.done,
        dead: c.dead,
        progress: if total == 0 {
            0.0
        } else {
            c.done as f64 / total as f64
        },
        throughput_per_sec: throughput,
        eta_secs: throughput.map(|t| remaining / t),
        mean_prove_secs: (!secs.is_empty()).then(|| secs.iter().sum::<f64>() / secs.len() as f64),
        active_workers: {
            let mut w: Vec<String> = leased
                .iter()
                .filter(|j| j.lease_expires.is_some_and(|e| e >= at))
                .filter_map(|j| j.worker.as_ref().map(|w| w.to_string()))
                .collect();
            w.sort();
            w.dedup();
            w
        },
        dead_reasons: dead
            .iter()
            .take(5)
            .map(|j| format!("{}: {}", j.key, j.last_error.as_deref().unwrap_or("?")))
            .collect(),
        aggregate: if agg.is_empty() {
            "pending".into()
        } else {
            "published".into()
        },
    })
}

fn prometheus_text(s: &RoundStatus) -> Result<String> {
    use prometheus::{Encoder, GaugeVec, Opts, Registry, TextEncoder};
    let reg = Registry::new();
    let gauge = |name: &str, help: &str, labels: &[&str]| -> Result<GaugeVec> {
        let g = GaugeVec::new(Opts::new(name, help), labels)?;
        reg.register(Box::new(g.clone()))?;
        Ok(g)
    };
    let round = s.round.as_str();
    let batches = gauge(
        "custodia_por_batches",
        "Batch jobs of the round by state",
        &["round", "state"],
    )?;
    for (state, n) in [
        ("queued", s.queued),
        ("leased", s.leased),
        ("done", s.done),
        ("dead", s.dead),
    ] {
        batches.with_label_values(&[round, state]).set(n as f64);
    }
    gauge(
        "custodia_por_progress_ratio",
        "Share of the round's batches proven",
        &["round"],
    )?
    .with_label_values(&[round])
    .set(s.progress);
    if let Some(t) = s.throughput_per_sec {
        gauge(
            "custodia_por_throughput_batches_per_second",
            "Batches finished per second so far",
            &["round"],
        )?
        .with_label_values(&[round])
        .set(t);
    }
    if let Some(e) = s.eta_secs {
        gauge(
            "custodia_por_eta_seconds",
            "Estimated seconds until every batch is proven",
            &["round"],
        )?
        .with_label_values(&[round])
        .set(e);
    }
    if let Some(p) = s.mean_prove_secs {
        gauge(
            "custodia_por_batch_prove_seconds_mean",
            "Mean proving time of one batch",
            &["round"],
        )?
        .with_label_values(&[round])
        .set(p);
    }
    gauge(
        "custodia_por_workers_active",
        "Workers holding an unexpired lease",
        &["round"],
    )?
    .with_label_values(&[round])
    .set(s.active_workers.len() as f64);
    gauge(
        "custodia_por_aggregated",
        "1 once the round's aggregate is published",
        &["round"],
    )?
    .with_label_values(&[round])
    .set(if s.aggregate == "published" { 1.0 } else { 0.0 });
    let mut buf = Vec::new();
    TextEncoder::new().encode(&reg.gather(), &mut buf)?;
    Ok(String::from_utf8(buf)?)
}

pub fn status(a: StatusArgs, out: &Output) -> Result<Outcome> {
    let (queue_url, store_url) = a.q.resolve()?;
    let remote = open_remote(&store_url)?;
    let rt = runtime()?;
    let store = rt.block_on(Store::open_existing(&queue_url, 1, Access::ReadOnly))?;
    let s = rt.block_on(round_status(&store, &remote, now()))?;
    rt.block_on(store.close());
    if a.prometheus {
        crate::output::print_stdout(&prometheus_text(&s)?);
        return Ok(Outcome::Ok);
    }
    out.emit(&s, || {
        let mut t = format!(
            "round {}: {}/{} batches proven ({:.1}%), {} queued, {} being proven, {} dead; \
             aggregate {}",
            s.round,
            s.done,
            s.batches,
            s.progress * 100.0,
            s.queued,
            s.leased,
            s.dead,
            s.aggregate
        );
        if let (Some(tp), Some(eta)) = (s.throughput_per_sec, s.eta_secs) {
            t.push_str(&format!("\nthroughput {tp:.3} batches/s, ETA {eta:.0} s"));
        }
        if let Some(p) = s.mean_prove_secs {
            t.push_str(&format!("\nmean proving time {p:.1} s per batch"));
        }
        if !s.active_workers.is_empty() {
            t.push_str(&format!("\nworkers: {}", s.active_workers.join(", ")));
        }
        for d in &s.dead_reasons {
            t.push_str(&format!("\ndead: {d}"));
        }
        t
    });
    Ok(if s.dead > 0 {
        Outcome::Rejected
    } else {
        Outcome::Ok
    })
}

// ---------------------------------------------------------------------------------------------
// requeue

/// `por requeue`: dead batches back to the workers, once an operator fixed what killed them.
pub fn requeue(a: RequeueArgs, out: &Output) -> Result<Outcome> {
    let (queue_url, store_url) = a.q.resolve()?;
    if a.reason.trim().is_empty() {
        bail!("--reason must say what was fixed");
    }
    let who = default_worker_id(a.operator.clone())?;
    let remote = open_remote(&store_url)?;
    let n = remote.m.shape.num_batches();
    if let Some(b) = a.batches.iter().find(|&&b| b >= n) {
        bail!("--batch {b}: the round has {n} batches (0 to {})", n - 1);
    }
    let rt = runtime()?;
    let store = rt.block_on(Store::open_existing(&queue_url, 1, Access::ReadWrite))?;
    let result = rt.block_on(async {
        let dead = all_jobs(&store, &remote.queues.batches, JobState::Dead).await?;
        let mut by_batch = std::collections::BTreeMap::new();
        for job in dead {
            let b = job_batch(&remote, &job).map_err(|e| anyhow!("job {}: {e:?}", job.id))?;
            by_batch.insert(b, job);
        }
        let wanted: Vec<usize> = if a.batches.is_empty() {
            by_batch.keys().copied().collect()
        } else {
            let mut w = a.batches.clone();
            w.sort_unstable();
            w.dedup();
            if let Some(b) = w.iter().find(|b| !by_batch.contains_key(b)) {
                bail!("batch {b} is not dead: only dead batches are re-queued (see `por status`)");
            }
            w
        };
        let reason = format!("re-queued by {}: {}", who.as_str(), a.reason.trim());
        let mut revived = Vec::new();
        for b in wanted {
            if store
                .revive(by_batch[&b].id, a.attempts, &reason, now())
                .await?
            {
                revived.push(b);
            }
        }
        Ok::<_, anyhow::Error>(revived)
    });
    rt.block_on(store.close());
    let revived = result?;
    let round = &remote.m.round;
    out.emit(
        &serde_json::json!({"round": round, "requeued": revived, "attempts": a.attempts}),
        || match revived.len() {
            0 => format!("round {round}: no dead batch to re-queue"),
            k => format!(
                "round {round}: {k} dead batches queued again with {} attempts each: {revived:?}",
                a.attempts
            ),
        },
    );
    Ok(Outcome::Ok)
}

// ---------------------------------------------------------------------------------------------
// aggregate

/// What one pass of the distributed aggregator found.
enum Pass {
    /// Batches are still queued or being proven.
    Waiting(JobCounts),
    /// Some batches are dead: an operator must look.
    Dead(Vec<String>),
    /// Accepted artefacts were corrupted; their jobs were reopened.
    Reopened(Vec<usize>),
    /// Another aggregator holds the round.
    Busy(String),
    /// Published earlier (by this or another aggregator).
    AlreadyPublished(String),
    /// Published now; the count of attempt uploads that could not be removed afterwards.
    Published(custodia_round::AggregateRecord, usize),
    /// The round check rejected the accepted proofs.
    Rejected(String),
}

pub fn aggregate(a: AggregateArgs, out: &Output) -> Result<Outcome> {
    let queue = setting(&a.queue, "--queue", "CUSTODIA_POR_QUEUE")?;
    let store_url = setting(&a.store, "--store", "CUSTODIA_POR_STORE")?;
    let me = default_worker_id(a.worker_id.clone())?;
    let remote = open_remote(&store_url)?;
    let local = match &a.round {
        Some(dir) => {
            let l = FsBlobs::new(dir);
            if l.get(MANIFEST)? != remote.manifest_bytes {
                bail!("{} is not the round in {store_url}", l.location(MANIFEST));
            }
            Some(l)
        }
        None => None,
    };
    let rt = runtime()?;
    let store = rt.block_on(Store::open_existing(&queue, 2, Access::ReadWrite))?;
    let poll = Duration::from_secs_f64(a.poll_secs.clamp(0.05, 3600.0));
    let lease_for = Duration::from_secs(a.lease_secs);
    let outcome = loop {
        let pass = aggregate_pass(&rt, &store, &remote, local.as_ref(), &me, lease_for)?;
        match pass {
            Pass::Waiting(c) if a.wait => {
                out.note(format!(
                    "waiting: {} of {} batches proven",
                    c.done,
                    c.total()
                ));
                std::thread::sleep(poll);
            }
            Pass::Reopened(b) if a.wait => {
                out.note(format!(
                    "re-queued {} batches whose accepted proof was corrupted: {b:?}",
                    b.len()
                ));
                std::thread::sleep(poll);
            }
            other => break other,
        }
    };
    rt.block_on(store.close());
    let round = &remote.m.round;
    let (json, text, result) = match outcome {
        Pass::Published(rec, left) => (
            serde_json::json!({"status": "published", "round": round, "root": rec.root,
                "batches": rec.batches, "by": me.as_str(), "store": remote.blobs.url(),
                "attempts_left": left}),
            format!(
                "round {round}: {} batches verified, root {}; proofs/aggregate.json published \
                 to {}{}",
                rec.batches,
                rec.root,
                remote.blobs.url(),
                if left == 0 {
                    String::new()
                } else {
                    format!("\n{left} attempt uploads under attempts/ could not be removed")
                }
            ),
            Outcome::Ok,
        ),
        Pass::AlreadyPublished(by) => (
            serde_json::json!({"status": "already-published", "round": round, "by": by}),
            format!("round {round}: already aggregated and published by {by}; nothing to do"),
            Outcome::Ok,
        ),
        Pass::Busy(by) => {
            bail!("round {round}: another aggregator ({by}) is publishing it; only one may")
        }
        Pass::Waiting(c) => (
            serde_json::json!({"status": "waiting", "round": round, "done": c.done,
                "batches": c.total()}),
            format!(
                "round {round}: {} of {} batches proven; run again when all are (or pass --wait)",
                c.done,
                c.total()
            ),
            Outcome::Rejected,
        ),
        Pass::Reopened(b) => (
            serde_json::json!({"status": "requeued", "round": round, "batches": b}),
            format!(
                "round {round}: the accepted proofs of batches {b:?} were corrupted in the store; \
                 their jobs are queued again for the workers"
            ),
            Outcome::Rejected,
        ),
        Pass::Dead(why) => (
            serde_json::json!({"status": "dead", "round": round, "reasons": why}),
            format!(
                "round {round}: {} batches gave up:\n{}",
                why.len(),
                why.join("\n")
            ),
            Outcome::Rejected,
        ),
        Pass::Rejected(why) => (
            serde_json::json!({"status": "rejected", "round": round, "reason": why}),
            format!("round {round}: REJECTED: {why}"),
            Outcome::Rejected,
        ),
    };
    out.emit(&json, || text);
    Ok(result)
}

fn aggregate_pass(
    rt: &tokio::runtime::Runtime,
    store: &Store,
    r: &Remote,
    local: Option<&FsBlobs>,
    me: &WorkerId,
    lease_for: Duration,
) -> Result<Pass> {
    let n = r.m.shape.num_batches();
    let c = rt.block_on(store.job_counts(&r.queues.batches))?;
    if c.total() != n as u64 {
        bail!(
            "queue {} holds {} batch jobs, the round has {n}: run `custodia por enqueue` first",
            r.queues.batches,
            c.total()
        );
    }
    if c.dead > 0 {
        let dead = rt.block_on(all_jobs(store, &r.queues.batches, JobState::Dead))?;
        return Ok(Pass::Dead(
            dead.iter()
                .map(|j| format!("{}: {}", j.key, j.last_error.as_deref().unwrap_or("?")))
                .collect(),
        ));
    }
    // Already published? (Checked before waiting: a finished round answers at once.)
    if let Some(j) = rt
        .block_on(store.jobs(&r.queues.aggregate, JobState::Done, None, 1))?
        .first()
    {
        return Ok(Pass::AlreadyPublished(
            j.worker.as_ref().map_or("?".into(), ToString::to_string),
        ));
    }
    if c.done != n as u64 {
        return Ok(Pass::Waiting(c));
    }
    // The guard: the round's one aggregate job. Whoever holds its lease publishes.
    let Some(claimed) = rt.block_on(store.claim(&r.queues.aggregate, me, lease_for, now()))? else {
        // Another aggregator got there first. Its job moves queued → leased → done (or back to
        // queued with a later start after a failed attempt) while we look, so look at every
        // state, a few times: a job that exists in any of them means "not us", never an error.
        for _ in 0..5 {
            for (state, published) in [
                (JobState::Done, true),
                (JobState::Leased, false),
                (JobState::Queued, false),
            ] {
                if let Some(j) = rt
                    .block_on(store.jobs(&r.queues.aggregate, state, None, 1))?
                    .first()
                {
                    let by = j.worker.as_ref().map_or("?".into(), ToString::to_string);
                    return Ok(if published {
                        Pass::AlreadyPublished(by)
                    } else {
                        Pass::Busy(by)
                    });
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        bail!(
            "queue {} holds no aggregate job: run `custodia por enqueue` again",
            r.queues.aggregate
        );
    };
    let mut lease = claimed.lease;
    let renew = |lease: &Lease| -> Result<Lease> {
        let extend = now().plus_millis(lease_for.as_millis() as i64);
        Ok(rt.block_on(store.heartbeat(lease, extend))?)
    };
    let done = rt.block_on(all_jobs(store, &r.queues.batches, JobState::Done))?;
    let mut reopened = Vec::new();
    let mut accepted: Vec<Option<Accepted>> = (0..n).map(|_| None).collect();
    // Each accepted proof is fetched and verified once, here, on every core; the whole-round
    // check below reuses these verdicts (`aggregate_verified`). The lease is renewed between
    // chunks so a large round does not outlive it.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    for chunk in done.chunks(threads * 4) {
        let checked: Vec<(usize, &Job, Result<Accepted, String>)> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|job| {
                    s.spawn(move || {
                        let b = job_batch(r, job).map_err(|e| anyhow!("job {}: {e:?}", job.id))?;
                        let raw = job.result.as_deref().unwrap_or_default();
                        Ok::<_, anyhow::Error>((b, job, check_accepted(r, b, raw)))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().map_err(|_| anyhow!("a proof check panicked"))?)
                .collect::<Result<_>>()
        })?;
        for (b, job, verdict) in checked {
            match verdict {
                Ok(files) => accepted[b] = Some(files),
                Err(why) => {
                    let raw = job.result.as_deref().unwrap_or_default();
                    if rt.block_on(store.reopen(job.id, raw, &why, now()))? {
                        reopened.push(b);
                    }
                }
            }
        }
        lease = renew(&lease)?;
    }
    if !reopened.is_empty() {
        // Give the round back: the next pass (any aggregator) starts over once re-proved.
        rt.block_on(store.fail(
            &lease,
            "batches re-queued: corrupted accepted proofs",
            now(),
            Retry::At(now()),
        ))?;
        return Ok(Pass::Reopened(reopened));
    }
    // Every batch's accepted proof, in the round folder's place.
    let targets: Vec<&dyn Blobs> = match local {
        Some(l) => vec![&r.blobs as &dyn Blobs, l as &dyn Blobs],
        None => vec![&r.blobs as &dyn Blobs],
    };
    let mut verified = Vec::with_capacity(n);
    for (b, files) in accepted.into_iter().enumerate() {
        let a = files.ok_or_else(|| anyhow!("batch {b} has no done job"))?;
        for t in &targets {
            t.put(&proof_key(b, "proof"), &a.proof)?;
            t.put(&proof_key(b, "json"), &a.public)?;
        }
        verified.push(a.verified);
    }
    lease = renew(&lease)?;
    // The rest of the whole-round check (top of the tree, chain, totals) on the folder nearest
    // at hand; every proof in it was verified above.
    let checked_on: &dyn Blobs = local.map_or(&r.blobs as &dyn Blobs, |l| l as &dyn Blobs);
    let record = match custodia_round::aggregate_verified(checked_on, verified)? {
        Ok(rec) => rec,
        Err(rejected) => {
            rt.block_on(store.fail(&lease, &rejected.to_string(), now(), Retry::Never))?;
            return Ok(Pass::Rejected(rejected.to_string()));
        }
    };
    let bytes = checked_on.get(folder::AGGREGATE)?;
    // Fenced: publish only while this lease is the round's current one.
    lease = renew(&lease)?;
    if local.is_some() {
        r.blobs.put(folder::AGGREGATE, &bytes)?;
    }
    rt.block_on(store.complete(&lease, sha256_hex(&bytes).as_bytes(), now()))?;
    // Published: every attempt's upload is now either a copy under proofs/ or a loser's. Drop
    // them (a round of 100M users keeps ≈ 11 GB there otherwise). Best effort: the round stands
    // whatever happens here, and a later `por aggregate` finds it published and stops.
    let mut left = 0;
    for key in r.blobs.list("attempts").unwrap_or_default() {
        if r.blobs.delete(&key).is_err() {
            left += 1;
        }
    }
    Ok(Pass::Published(record, left))
}

/// A batch's accepted artefact, fetched and verified.
struct Accepted {
    proof: Vec<u8>,
    public: Vec<u8>,
    verified: custodia_verifier::round::VerifiedBatch,
}

/// Fetches batch `b`'s accepted artefact named by its job's result and checks it: digests as
/// recorded, statement as the manifest says, STARK valid. The reason on failure.
fn check_accepted(r: &Remote, b: usize, raw: &[u8]) -> Result<Accepted, String> {
    let res: JobResult =
        serde_json::from_slice(raw).map_err(|e| format!("unreadable job result: {e}"))?;
    let expected = (
        attempt_key(b, res.lease, "proof"),
        attempt_key(b, res.lease, "json"),
    );
    if (res.proof_key.as_str(), res.public_key.as_str())
        != (expected.0.as_str(), expected.1.as_str())
    {
        return Err("the job result names objects outside its lease's place".into());
    }
    let get = |key: &str, limit: usize| {
        r.blobs
            .get_limited(key, limit as u64)
            .map_err(|e| format!("accepted artefact unreadable: {}", e.located_cause()))
    };
    let proof = get(&res.proof_key, custodia_air::format::MAX_PROOF_BYTES)?;
    let public = get(&res.public_key, custodia_verifier::round::MAX_PUBLIC_BYTES)?;
    if sha256_hex(&proof) != res.proof_sha256 || sha256_hex(&public) != res.public_sha256 {
        return Err(format!(
            "accepted proof of batch {b} (lease {}) changed in the store since it was uploaded",
            res.lease
        ));
    }
    let files = custodia_verifier::round::BatchFiles { proof, public };
    let verified = custodia_verifier::round::verify_round_batch(&r.m, b, &files)
        .map_err(|e| format!("accepted proof of batch {b} rejected: {e}"))?;
    Ok(Accepted {
        proof: files.proof,
        public: files.public,
        verified,
    })
}

/// The round folder of a plain `por aggregate --round DIR` (no queue given or configured), or
/// `None` for the distributed aggregation.
pub fn local_only(a: &AggregateArgs) -> Result<Option<&Path>> {
    let distributed = a.queue.is_some()
        || a.store.is_some()
        || std::env::var("CUSTODIA_POR_QUEUE").is_ok_and(|v| !v.is_empty());
    match (distributed, a.round.as_deref()) {
        (false, Some(dir)) => Ok(Some(dir)),
        (false, None) => {
            bail!("--round is required (or --queue and --store for a distributed round)")
        }
        (true, _) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_and_truncation_is_refused() {
        let mut v = Vec::new();
        push_part(&mut v, b"in");
        push_part(&mut v, b"");
        push_part(&mut v, b"witness");
        let mut rest = v.as_slice();
        assert_eq!(take_part(&mut rest), Some(&b"in"[..]));
        assert_eq!(take_part(&mut rest), Some(&b""[..]));
        assert_eq!(take_part(&mut rest), Some(&b"witness"[..]));
        assert!(rest.is_empty());
        // Negative twin: a cut object or a lying length.
        let mut cut = &v[..v.len() - 1];
        take_part(&mut cut);
        take_part(&mut cut);
        assert_eq!(take_part(&mut cut), None);
        let mut short = &v[..5];
        assert_eq!(take_part(&mut short), None);
        let huge = [0xffu8; 9];
        assert_eq!(take_part(&mut &huge[..]), None);
    }

    #[test]
    fn attempt_keys_are_per_batch_and_lease() {
        assert_eq!(
            attempt_key(7, 3, "proof"),
            "attempts/batch-00007/lease-3.proof"
        );
        assert_ne!(attempt_key(7, 3, "proof"), attempt_key(7, 4, "proof"));
        assert_eq!(sealed_key(7), "private/batch-00007.sealed");
        custodia_round::check_key(&attempt_key(0, u64::MAX, "json")).unwrap();
    }
}
