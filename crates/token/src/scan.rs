//! Scans as jobs on the shared queue: a request is validated and enqueued (idempotent: the same
//! request twice is one job), workers anywhere claim scans under a lease, run the assessment
//! off the executor with the request's gas bounds, and store the assessment as the job's
//! result; a worker that dies mid-scan leaves a lease that expires, and the next claim takes
//! the scan over. Forked simulations read the chain through a [`StateSource`] the binary
//! provides (a node per chain).

use std::sync::Arc;
use std::time::Duration;

use custodia_events::{Audit, Clock, NewEvent, Offload, RepoError, WorkQueue};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::disasm::decode_hex;
use crate::error::TokenError;
use crate::fork::{ChainState, ForkSpec, PinnedBlock, RemoteAccount, StateError};
use crate::input::TokenInput;
use crate::score::{Assessment, assess, assess_forked};
use crate::service::event_of;

/// The queue scans run on.
pub const SCAN_QUEUE: &str = "token.scan";

/// Simulating against a chain's state at a block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForkOrder {
    /// The block whose state is read (pinned: the scan is reproducible).
    pub block: u64,
    /// Where to trade.
    #[serde(flatten)]
    pub spec: ForkSpec,
}

/// One scan to run: the token and, optionally, a fork point (then the token is simulated as
/// deployed on chain instead of from creation code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The token.
    pub input: TokenInput,
    /// Simulate on the chain's state at this block.
    #[serde(default)]
    pub fork: Option<ForkOrder>,
}

/// Gives forked simulations their chain state: a node per chain, read at a block.
pub trait StateSource: Send + Sync {
    /// Whether a node is configured for `chain`.
    fn serves(&self, chain: &str) -> bool;
    /// `chain`'s state at `block`.
    fn at(&self, chain: &str, block: u64) -> Result<Box<dyn ChainState>, TokenError>;
}

impl ChainState for Box<dyn ChainState> {
    fn block(&self) -> Result<PinnedBlock, StateError> {
        (**self).block()
    }
    fn account(&self, address: [u8; 20]) -> Result<RemoteAccount, StateError> {
        (**self).account(address)
    }
    fn storage(&self, address: [u8; 20], slot: [u8; 32]) -> Result<[u8; 32], StateError> {
        (**self).storage(address, slot)
    }
    fn block_hash(&self, number: u64) -> Result<[u8; 32], StateError> {
        (**self).block_hash(number)
    }
}

/// No node anywhere: forked scans are refused at submission.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoChainState;

impl StateSource for NoChainState {
    fn serves(&self, _chain: &str) -> bool {
        false
    }
    fn at(&self, chain: &str, _block: u64) -> Result<Box<dyn ChainState>, TokenError> {
        Err(no_node(chain))
    }
}

fn no_node(chain: &str) -> TokenError {
    TokenError::BadInput {
        field: "fork".into(),
        reason: format!("no node is configured for chain {chain:?}"),
    }
}

/// How scans run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanSettings {
    /// How long a worker holds a scan before others may take it over.
    pub lease: Duration,
    /// Claims per scan before it is given up.
    pub max_attempts: u32,
    /// Wait before retrying a scan whose node failed.
    pub retry_after: Duration,
}

impl Default for ScanSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(300),
            max_attempts: 3,
            retry_after: Duration::from_secs(30),
        }
    }
}

/// Why a scan could not be submitted or run.
#[derive(Debug, Error)]
pub enum ScanError {
    /// The request was rejected before it was queued.
    #[error(transparent)]
    Input(#[from] TokenError),
    /// The queue failed.
    #[error("job queue: {0}")]
    Queue(#[from] RepoError),
}

/// A submitted scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScanTicket {
    /// The job's id.
    pub id: u64,
    /// `false`: the same request was already submitted (this is its job).
    pub created: bool,
}

/// Where a scan stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanStatus {
    /// The job's id.
    pub id: u64,
    /// `queued`, `leased`, `done`, `dead`.
    pub state: &'static str,
    /// Claims so far.
    pub attempts: u32,
    /// Claims allowed.
    pub max_attempts: u32,
    /// Why the last attempt failed (for a dead scan: why it was given up).
    pub error: Option<String>,
    /// The assessment, once done.
    pub assessment: Option<Assessment>,
}

/// What one worker step did.
#[derive(Debug, Clone, PartialEq)]
pub enum Worked {
    /// Nothing was due.
    Idle,
    /// A scan finished; its assessment is stored.
    Done {
        /// The job.
        id: u64,
        /// Its score.
        score: u8,
    },
    /// A scan failed; `state` says whether it will be retried (`queued`) or was given up.
    Failed {
        /// The job.
        id: u64,
        /// `queued` or `dead`.
        state: &'static str,
        /// Why.
        reason: String,
    },
    /// The scan was taken over by another worker while this one ran (its lease expired):
    /// this result was dropped.
    LeaseLost {
        /// The job.
        id: u64,
    },
}

/// The scan use case over the shared queue.
pub struct TokenScans<Q, C, O, A> {
    queue: Q,
    clock: C,
    offload: O,
    audit: A,
    states: Arc<dyn StateSource>,
    settings: ScanSettings,
}

/// The job key of a request: chain, address and a digest of the whole request, so the same
/// request is one job and a changed one is another.
pub fn scan_key(req: &ScanRequest) -> String {
    let json = serde_json::to_vec(req).unwrap_or_default();
    let digest = custodia_chain::keccak256(&json);
    format!(
        "{}:{}:{}",
        req.input.chain,
        req.input.address.to_ascii_lowercase(),
        hex::encode(&digest[..16])
    )
}

impl<Q: WorkQueue, C: Clock, O: Offload, A: Audit> TokenScans<Q, C, O, A> {
    /// Scans over `queue`, with forked state from `states`.
    pub fn new(
        queue: Q,
        clock: C,
        offload: O,
        audit: A,
        states: Arc<dyn StateSource>,
        settings: ScanSettings,
    ) -> Self {
        Self {
            queue,
            clock,
            offload,
            audit,
            states,
            settings,
        }
    }

    /// Checks `req` and queues it (the same request again returns the same job).
    pub async fn submit(&self, req: &ScanRequest) -> Result<ScanTicket, ScanError> {
        req.input.validate()?;
        crate::input::evm_address(&req.input.address, "address")?;
        match &req.fork {
            Some(_) if !self.states.serves(&req.input.chain) => {
                return Err(no_node(&req.input.chain).into());
            }
            Some(_) if !req.input.runtime_code.trim().is_empty() => {
                decode_hex(&req.input.runtime_code, "runtime_code")?;
            }
            Some(_) => {}
            None => {
                decode_hex(&req.input.runtime_code, "runtime_code")?;
            }
        }
        let payload = serde_json::to_vec(req).map_err(|e| TokenError::BadInput {
            field: "request".into(),
            reason: e.to_string(),
        })?;
        let t = self
            .queue
            .submit_work(
                SCAN_QUEUE,
                &scan_key(req),
                &payload,
                self.settings.max_attempts,
                self.clock.now(),
            )
            .await?;
        Ok(ScanTicket {
            id: t.id,
            created: t.created,
        })
    }

    /// Where scan `id` stands (`None`: no such scan).
    pub async fn status(&self, id: u64) -> Result<Option<ScanStatus>, ScanError> {
        let Some(s) = self.queue.work_status(SCAN_QUEUE, id).await? else {
            return Ok(None);
        };
        let assessment = match s.result.as_deref() {
            Some(r) => Some(
                serde_json::from_slice(r)
                    .map_err(|e| RepoError::corrupt("jobs", format!("scan {id} result: {e}")))?,
            ),
            None => None,
        };
        Ok(Some(ScanStatus {
            id: s.id,
            state: s.state.as_str(),
            attempts: s.attempts,
            max_attempts: s.max_attempts,
            error: s.last_error,
            assessment,
        }))
    }

    /// Claims one due scan as `worker`, runs it and stores the outcome.
    pub async fn work_once(&self, worker: &str) -> Result<Worked, ScanError> {
        let now = self.clock.now();
        let Some(c) = self
            .queue
            .claim_work(SCAN_QUEUE, worker, self.settings.lease, now)
            .await?
        else {
            return Ok(Worked::Idle);
        };
        let id = c.lease.job;
        let req: ScanRequest = match serde_json::from_slice(&c.payload) {
            Ok(r) => r,
            Err(e) => {
                let why = format!("unreadable scan request: {e}");
                return self.failed(&c.lease, why, None).await;
            }
        };
        let secs = u64::try_from(now.as_secs()).unwrap_or(0);
        let states = self.states.clone();
        let ran = self
            .offload
            .run(Box::new(move || run(&req, secs, states.as_ref())))
            .await;
        let a = match ran {
            Ok(Ok(a)) => a,
            Ok(Err(e @ TokenError::StateUnavailable { .. })) => {
                let retry = now.plus_millis(
                    i64::try_from(self.settings.retry_after.as_millis()).unwrap_or(i64::MAX),
                );
                return self.failed(&c.lease, e.to_string(), Some(retry)).await;
            }
            Ok(Err(e)) => return self.failed(&c.lease, e.to_string(), None).await,
            Err(e) => {
                // The work panicked or the pool is gone: another attempt may do better.
                return self.failed(&c.lease, e.to_string(), Some(now)).await;
            }
        };
        let result = serde_json::to_vec(&a).unwrap_or_default();
        let done_at = self.clock.now();
        match self.queue.complete_work(&c.lease, &result, done_at).await {
            Ok(_) => {}
            Err(RepoError::Conflict { .. }) => return Ok(Worked::LeaseLost { id }),
            Err(e) => return Err(e.into()),
        }
        self.audit.record(NewEvent::typed(
            done_at,
            &format!("worker:{worker}"),
            &format!("token:{}:{}", a.chain, a.address),
            &event_of(&a),
        ));
        Ok(Worked::Done { id, score: a.score })
    }

    async fn failed(
        &self,
        lease: &custodia_events::WorkLease,
        reason: String,
        retry_at: Option<custodia_events::Timestamp>,
    ) -> Result<Worked, ScanError> {
        let id = lease.job;
        match self
            .queue
            .fail_work(lease, &reason, self.clock.now(), retry_at)
            .await
        {
            Ok(s) => Ok(Worked::Failed {
                id,
                state: s.as_str(),
                reason,
            }),
            Err(RepoError::Conflict { .. }) => Ok(Worked::LeaseLost { id }),
            Err(e) => Err(e.into()),
        }
    }
}

/// Runs one scan request to its assessment.
pub fn run(
    req: &ScanRequest,
    now: u64,
    states: &dyn StateSource,
) -> Result<Assessment, TokenError> {
    match &req.fork {
        None => assess(&req.input, now),
        Some(f) => {
            let state = states.at(&req.input.chain, f.block)?;
            assess_forked(&req.input, now, state, &f.spec)
        }
    }
}
