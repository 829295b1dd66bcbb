//! The fund's use cases over its port.

use std::sync::Arc;

use custodia_events::{Clock, Timestamp};
use custodia_primitives::Amount;

use crate::adl::{AdlPolicy, Ranked, rank};
use crate::contract::{Contract, Position, Price};
use crate::error::{FundError, FundResult};
use crate::ledger::{OpKey, Operation, PoolState, Request};
use crate::pool::{PoolId, PoolSpec};
use crate::ports::{FundRepo, JournalQuery, JournalRow, Submitted};

/// Largest batch [`FundService::submit_batch`] takes.
pub const MAX_BATCH: usize = 1_000;

/// The fund's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundSettings {
    /// The pools.
    pub pools: Vec<PoolSpec>,
    /// When ADL starts.
    pub policy: AdlPolicy,
}

/// The fund's use cases.
#[derive(Clone)]
pub struct FundService<R> {
    repo: R,
    clock: Arc<dyn Clock>,
    settings: FundSettings,
}

impl<R: FundRepo> FundService<R> {
    /// A service over `repo`; checks the settings (a valid policy, no pool twice).
    pub fn new(repo: R, clock: Arc<dyn Clock>, settings: FundSettings) -> FundResult<Self> {
        settings.policy.check()?;
        let mut ids: Vec<&PoolId> = settings.pools.iter().map(|p| &p.id).collect();
        ids.sort();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(FundError::InvalidPool {
                text: w[0].as_str().to_owned(),
                why: "configured twice",
            });
        }
        for p in &settings.pools {
            if p.decimals > Amount::MAX_DECIMALS {
                return Err(FundError::OutOfRange {
                    field: "decimals",
                    why: format!("at most 18, got {}", p.decimals),
                });
            }
        }
        Ok(Self {
            repo,
            clock,
            settings,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &FundSettings {
        &self.settings
    }

    /// Creates the configured pools that do not exist yet.
    pub async fn ensure_pools(&self) -> FundResult<()> {
        Ok(self
            .repo
            .ensure_pools(&self.settings.pools, self.clock.now())
            .await?)
    }

    /// Applies one request once.
    pub async fn submit(&self, req: Request) -> FundResult<Submitted> {
        let mut out = self.submit_batch(vec![req]).await?;
        out.pop().unwrap_or(Err(FundError::Overflow {
            what: "empty batch",
        }))
    }

    /// Applies up to [`MAX_BATCH`] requests in order, in one transaction; each has its own
    /// result (a refused one posts nothing and does not stop the others).
    pub async fn submit_batch(&self, reqs: Vec<Request>) -> FundResult<Vec<FundResult<Submitted>>> {
        if reqs.len() > MAX_BATCH {
            return Err(FundError::OutOfRange {
                field: "batch",
                why: format!("at most {MAX_BATCH} operations, got {}", reqs.len()),
            });
        }
        Ok(self
            .repo
            .submit(&reqs, &self.settings.policy, self.clock.now())
            .await?)
    }

    /// The exchange tops up a pool (an operator's decision, recorded as theirs).
    pub async fn top_up(
        &self,
        operator: &str,
        key: OpKey,
        pool: PoolId,
        amount: Amount,
    ) -> FundResult<Submitted> {
        self.submit(Request {
            key,
            actor: format!("operator:{operator}"),
            op: Operation::TopUp { pool, amount },
        })
        .await
    }

    /// Moves funds between pools of one currency, or (with `to` = `None`) back to the exchange.
    pub async fn transfer(
        &self,
        operator: &str,
        key: OpKey,
        from: PoolId,
        to: Option<PoolId>,
        amount: Amount,
    ) -> FundResult<Submitted> {
        let op = match to {
            Some(to) => Operation::Transfer { from, to, amount },
            None => Operation::Withdraw { pool: from, amount },
        };
        self.submit(Request {
            key,
            actor: format!("operator:{operator}"),
            op,
        })
        .await
    }

    /// Every pool.
    pub async fn pools(&self) -> FundResult<Vec<PoolState>> {
        Ok(self.repo.pools().await?)
    }

    /// Journal lines, newest first; the limit is clamped to 1–100.
    pub async fn journal(&self, mut q: JournalQuery) -> FundResult<Vec<JournalRow>> {
        q.limit = q.limit.clamp(1, 100);
        Ok(self.repo.journal(&q).await?)
    }

    /// A pool's balance over time, one point per `step_ms` bucket with a change (at most
    /// 10 000 buckets).
    pub async fn balances(
        &self,
        pool: &PoolId,
        from: Timestamp,
        to: Timestamp,
        step_ms: i64,
    ) -> FundResult<Vec<(Timestamp, u64)>> {
        if step_ms <= 0 {
            return Err(FundError::NotPositive {
                field: "step_ms",
                got: step_ms.into(),
            });
        }
        let span = to.as_millis().saturating_sub(from.as_millis());
        if span <= 0 || span / step_ms > 10_000 {
            return Err(FundError::OutOfRange {
                field: "from..to",
                why: "a positive span of at most 10 000 steps".into(),
            });
        }
        if !self.settings.pools.iter().any(|p| &p.id == pool) {
            return Err(FundError::UnknownPool {
                pool: pool.as_str().to_owned(),
            });
        }
        Ok(self.repo.balances(pool, from, to, step_ms).await?)
    }

    /// The ADL queue of `positions` at `mark` (no state: the engine asks, e.g. to show lights).
    pub fn rank(
        &self,
        contract: &Contract,
        mark: Price,
        positions: &[Position],
    ) -> FundResult<Vec<Ranked>> {
        rank(contract, mark, positions)
    }
}
