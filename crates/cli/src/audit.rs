//! `custodia audit verify` and `custodia audit keygen`, and the service's audit schedulers:
//! signed checkpoints of the chain head and retention. Glue only: the checks and use cases are
//! in `custodia-events`, the tables in `custodia-store`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use custodia_api::audit::AuditConfig;
use custodia_events::{
    AnchoredReport, Checkpoint, CheckpointKey, CheckpointOutcome, CheckpointPublicKey, Digest,
    OsEntropy, SystemClock, VerifyOptions, parse_checkpoint_log, prune_expired, verify_anchored,
    write_checkpoint,
};
use custodia_store::Store;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Outcome;
use crate::output::Output;
use crate::serve::every_until;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the event log: its hash chain from the retention anchor to the head, and, when
    /// given, the signed checkpoints, the external checkpoint file and the head you recorded.
    /// Exit code 0: intact; 1: broken, truncated, recomputed or forged (each problem is
    /// reported); 2: usage or unreadable store.
    Verify(Box<VerifyArgs>),
    /// Write a new checkpoint signing key (ed25519) to a file only you can read, and print its
    /// public key. Point `audit.checkpoint_key_file` at the file; give the public key to
    /// whoever verifies the log.
    Keygen(KeygenArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// TOML configuration file (store URL).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// The checkpoint key's public half (64 hex digits, printed by `audit keygen`): every
    /// stored checkpoint must carry its valid signature, and each checkpointed (seq, hash)
    /// must be on the chain. Repeat it to also trust keys retired by a rotation.
    #[arg(long = "checkpoint-key", value_name = "PUBKEY_HEX", value_parser = parse_public_key)]
    pub checkpoint_keys: Vec<CheckpointPublicKey>,
    /// The external JSON-lines copy of the checkpoints (`audit.checkpoint_log`): finds
    /// checkpoint rows deleted from the database along with the events they signed.
    #[arg(long, value_name = "FILE")]
    pub checkpoints: Option<PathBuf>,
    /// A head recorded elsewhere (e.g. from an earlier `audit verify`): the log must still
    /// have this hash at this seq.
    #[arg(long, value_name = "SEQ:HASH", value_parser = parse_head)]
    pub expect_head: Option<ExpectHead>,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the key (created with mode 0600; an existing file is never overwritten).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `--expect-head SEQ:HASH`.
#[derive(Debug, Clone, Copy)]
pub struct ExpectHead(u64, Digest);

fn parse_public_key(s: &str) -> Result<CheckpointPublicKey, String> {
    CheckpointPublicKey::parse_hex(s).map_err(|e| e.to_string())
}

fn parse_head(s: &str) -> Result<ExpectHead, String> {
    let shape = || format!("expected SEQ:HASH (a seq, a colon, 64 hex digits), got {s:?}");
    let (seq, hash) = s.split_once(':').ok_or_else(shape)?;
    let seq: u64 = seq.trim().parse().map_err(|_| shape())?;
    let hash = hex::decode(hash.trim())
        .ok()
        .and_then(|b| Digest::from_slice(&b))
        .ok_or_else(shape)?;
    Ok(ExpectHead(seq, hash))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn run(cmd: AuditCommand, out: &Output) -> Result<Outcome> {
    match cmd {
        AuditCommand::Verify(a) => verify(*a, out),
        AuditCommand::Keygen(a) => keygen(a, out),
    }
}

#[derive(Serialize)]
struct CheckpointJson {
    seq: u64,
    head_hash: String,
    time: String,
    public_key: String,
}

impl From<&Checkpoint> for CheckpointJson {
    fn from(c: &Checkpoint) -> Self {
        Self {
            seq: c.seq,
            head_hash: c.head.to_hex(),
            time: c.time.to_iso8601_millis(),
            public_key: c.key.to_hex(),
        }
    }
}

#[derive(Serialize)]
struct CheckpointsJson {
    signatures_checked: bool,
    stored: u64,
    external: u64,
    compared: u64,
    below_anchor: u64,
    latest: Option<CheckpointJson>,
}

#[derive(Serialize)]
struct ProblemJson {
    code: &'static str,
    seq: u64,
    message: String,
}

#[derive(Serialize)]
struct AuditJson {
    status: &'static str,
    checked: u64,
    head_seq: u64,
    head_hash: String,
    first_broken_seq: Option<u64>,
    reason: Option<String>,
    anchor_seq: u64,
    anchor: Option<CheckpointJson>,
    checkpoints: CheckpointsJson,
    problems: Vec<ProblemJson>,
}

fn verify(a: VerifyArgs, out: &Output) -> Result<Outcome> {
    let cfg = crate::service::load(a.config.as_ref())?;
    let external = match &a.checkpoints {
        None => Vec::new(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read checkpoint file {}", p.display()))?;
            parse_checkpoint_log(&text)
                .with_context(|| format!("checkpoint file {}", p.display()))?
        }
    };
    let r = runtime()?.block_on(async {
        let store = crate::service::open_existing(&cfg, custodia_store::Access::ReadOnly).await?;
        let opts = VerifyOptions {
            keys: &a.checkpoint_keys,
            external: &external,
            expect_head: a.expect_head.map(|h| (h.0, h.1)),
        };
        let r = verify_anchored(&store, &opts).await?;
        store.close().await;
        anyhow::Ok(r)
    })?;
    let j = json_report(&r);
    out.emit(&j, || human_report(&r, &a.checkpoint_keys));
    Ok(if r.is_intact() {
        Outcome::Ok
    } else {
        Outcome::Rejected
    })
}

fn json_report(r: &AnchoredReport) -> AuditJson {
    let c = &r.chain;
    AuditJson {
        status: if r.is_intact() { "intact" } else { "broken" },
        checked: c.checked,
        head_seq: c.head_seq,
        head_hash: c.head_hash.to_hex(),
        first_broken_seq: c.first_break.as_ref().map(|b| b.seq),
        reason: c.first_break.as_ref().map(|b| b.reason.to_string()),
        anchor_seq: r.anchor.seq,
        anchor: r.anchor.checkpoint.as_ref().map(CheckpointJson::from),
        checkpoints: CheckpointsJson {
            signatures_checked: r.signatures_checked,
            stored: r.stored_checkpoints,
            external: r.external_checkpoints,
            compared: r.compared,
            below_anchor: r.below_anchor,
            latest: r.latest_checkpoint.as_ref().map(CheckpointJson::from),
        },
        problems: r
            .findings
            .iter()
            .map(|f| ProblemJson {
                code: f.code(),
                seq: f.seq(),
                message: f.to_string(),
            })
            .collect(),
    }
}

fn human_report(r: &AnchoredReport, keys: &[CheckpointPublicKey]) -> String {
    let c = &r.chain;
    let mut s = match &c.first_break {
        None => format!(
            "event chain intact: {} events, head seq {} hash {}",
            c.checked,
            c.head_seq,
            c.head_hash.to_hex()
        ),
        Some(b) => format!("event chain BROKEN at seq {}: {}", b.seq, b.reason),
    };
    if let Some(a) = &r.anchor.checkpoint {
        s.push_str(&format!(
            "\npruned up to seq {} (retention anchor, checkpoint of {})",
            a.seq, a.time
        ));
    }
    s.push_str(&format!(
        "\ncheckpoints: {} stored, {} in the file, {} compared with the chain, {} below the anchor",
        r.stored_checkpoints, r.external_checkpoints, r.compared, r.below_anchor
    ));
    match keys {
        [] => s.push_str(
            "; signatures NOT checked (pass --checkpoint-key: without it a database writer could \
             have forged them)",
        ),
        keys => {
            let list: Vec<String> = keys.iter().map(ToString::to_string).collect();
            s.push_str(&format!("; signatures checked against {}", list.join(", ")));
        }
    }
    if let Some(l) = &r.latest_checkpoint {
        s.push_str(&format!(
            "\nlatest checkpoint: seq {} hash {} at {}",
            l.seq, l.head, l.time
        ));
    }
    if !r.findings.is_empty() {
        s.push_str(&format!(
            "\nAUDIT FAILED: {} problem(s) with the log:",
            r.findings.len()
        ));
        for f in &r.findings {
            s.push_str(&format!("\n  - [{}] {f}", f.code()));
        }
    }
    s
}

#[derive(Serialize)]
struct KeygenJson {
    status: &'static str,
    key_file: String,
    public_key: String,
}

fn keygen(a: KeygenArgs, out: &Output) -> Result<Outcome> {
    let key = CheckpointKey::generate(&OsEntropy);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(&a.out).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} exists: refusing to overwrite a key (move it away first if you mean to \
                 replace it; checkpoints it signed stay verifiable only with its public key)",
                a.out.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("cannot create {}", a.out.display()))
        }
    })?;
    f.write_all(key.to_key_file_text().as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", a.out.display()))?;
    let j = KeygenJson {
        status: "ok",
        key_file: a.out.display().to_string(),
        public_key: key.public().to_hex(),
    };
    out.emit(&j, || {
        format!(
            "wrote the checkpoint signing key to {} (mode 0600)\npublic key: {}\n\
             set audit.checkpoint_key_file to the file; verify with \
             `custodia audit verify --checkpoint-key {}`",
            j.key_file, j.public_key, j.public_key
        )
    });
    Ok(Outcome::Ok)
}

/// Reads the checkpoint key file, refusing one that others may read: the key is what makes the
/// log tamper-evident against whoever can write the database.
pub fn read_key_file(path: &Path) -> Result<CheckpointKey> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("audit.checkpoint_key_file: cannot open {}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "audit.checkpoint_key_file: {} is not a regular file",
            path.display()
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            bail!(
                "audit.checkpoint_key_file: {} is accessible to group or others (mode {mode:04o}); \
                 the signing key must be private to the service: run `chmod 600 {}`",
                path.display(),
                path.display()
            );
        }
    }
    let text =
        zeroize::Zeroizing::new(std::fs::read_to_string(path).with_context(|| {
            format!("audit.checkpoint_key_file: cannot read {}", path.display())
        })?);
    CheckpointKey::from_key_file_text(&text)
        .with_context(|| format!("audit.checkpoint_key_file: {}", path.display()))
}

/// The service's checkpoint signer, its external log and retention, loaded at start-up.
pub struct Anchoring {
    key: Arc<CheckpointKey>,
    log: Option<PathBuf>,
    every: Duration,
    retention: Option<(i64, Duration)>,
}

/// Events deleted per transaction by retention.
const PRUNE_BATCH: u32 = 5_000;
/// Transactions per retention call; between calls the job checks for shutdown, so a large
/// first backlog does not hold up a graceful stop.
const PRUNE_BATCHES_PER_CALL: u32 = 20;

impl Anchoring {
    /// `None` when no key is configured (then nothing is signed and nothing pruned: the
    /// configuration refuses retention without a key).
    pub fn load(cfg: &AuditConfig) -> Result<Option<Self>> {
        let Some(path) = &cfg.checkpoint_key_file else {
            return Ok(None);
        };
        let key = read_key_file(path)?;
        tracing::info!(public_key = %key.public(), "audit checkpoints are signed");
        Ok(Some(Self {
            key: Arc::new(key),
            log: cfg.checkpoint_log.clone(),
            every: Duration::from_secs(cfg.checkpoint_interval_secs),
            retention: cfg
                .retention_ms()
                .map(|ms| (ms, Duration::from_secs(cfg.prune_interval_secs))),
        }))
    }

    /// The public key checkpoints verify against.
    pub fn public(&self) -> CheckpointPublicKey {
        self.key.public()
    }

    /// The checkpoint and retention schedules, until `stop`.
    pub fn spawn(&self, store: &Store, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        let mut tasks = Vec::new();
        let (s, key, log) = (store.clone(), self.key.clone(), self.log.clone());
        tasks.push(every_until(self.every, stop.clone(), move || {
            let (s, key, log) = (s.clone(), key.clone(), log.clone());
            async move { checkpoint(&s, &key, log.as_deref()).await }
        }));
        if let Some((keep_ms, every)) = self.retention {
            let (s, public) = (store.clone(), self.key.public());
            let halt = stop.clone();
            tasks.push(every_until(every, stop, move || {
                let (s, halt) = (s.clone(), halt.clone());
                async move { retention(&s, &public, keep_ms, &halt).await }
            }));
        }
        tasks
    }

    /// One last checkpoint at shutdown, after the queued events were written: the final head
    /// is signed too.
    pub async fn last_checkpoint(&self, store: &Store) {
        checkpoint(store, &self.key, self.log.as_deref()).await;
    }
}

/// One retention run: calls the use case until nothing is left to delete or shutdown starts.
async fn retention(
    store: &Store,
    public: &CheckpointPublicKey,
    keep_ms: i64,
    halt: &watch::Receiver<bool>,
) {
    let mut deleted = 0;
    let mut anchored = None;
    loop {
        let step = prune_expired(
            store,
            &SystemClock,
            public,
            keep_ms,
            PRUNE_BATCH,
            PRUNE_BATCHES_PER_CALL,
        )
        .await;
        match step {
            Ok(r) => {
                deleted += r.deleted;
                anchored = r.anchored.map(|c| c.seq).or(anchored);
                if r.complete || *halt.borrow() {
                    break;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "audit retention failed; will retry");
                break;
            }
        }
    }
    if let Some(seq) = anchored {
        tracing::info!(
            anchor_seq = seq,
            deleted,
            "audit retention: pruned up to a signed checkpoint"
        );
    } else if deleted > 0 {
        tracing::info!(deleted, "audit retention: continued an earlier prune");
    }
}

async fn checkpoint(store: &Store, key: &CheckpointKey, log: Option<&Path>) {
    match write_checkpoint(store, key, &SystemClock).await {
        Ok(CheckpointOutcome::Written(c)) => {
            tracing::info!(
                seq = c.seq,
                head = %c.head,
                signature = %hex::encode(c.signature),
                "audit checkpoint signed"
            );
            if let Some(path) = log {
                let (path, line) = (path.to_owned(), c.to_json_line());
                let r = tokio::task::spawn_blocking(move || append_line(&path, &line)).await;
                match r {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        tracing::error!(error = %format!("{e:#}"), "audit checkpoint not copied to audit.checkpoint_log")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "audit checkpoint not copied to audit.checkpoint_log")
                    }
                }
            }
        }
        Ok(CheckpointOutcome::HeadBehind {
            head_seq,
            checkpoint_seq,
        }) => tracing::error!(
            head_seq,
            checkpoint_seq,
            "the event log ends before its latest signed checkpoint: events were removed; \
             run `custodia audit verify --checkpoint-key …`"
        ),
        Ok(CheckpointOutcome::Unchanged { .. } | CheckpointOutcome::Raced { .. }) => {}
        Err(e) => tracing::error!(error = %e, "audit checkpoint failed; will retry"),
    }
}

/// Appends one line and makes it durable before returning.
fn append_line(path: &Path, line: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    f.write_all(format!("{line}\n").as_bytes())
        .and_then(|()| f.sync_data())
        .with_context(|| format!("cannot append to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_head_parses_strictly() {
        let h = "ab".repeat(32);
        let ok = parse_head(&format!("12:{h}")).unwrap();
        assert_eq!((ok.0, ok.1.to_hex()), (12, h.clone()));
        for bad in [
            "12".to_owned(),
            format!("x:{h}"),
            format!("12:{}", &h[..62]),
            format!("-1:{h}"),
            format!("12:{}zz", &h[..62]),
        ] {
            let e = parse_head(&bad).unwrap_err();
            assert!(e.contains("expected SEQ:HASH"), "{bad}: {e}");
        }
    }
}
