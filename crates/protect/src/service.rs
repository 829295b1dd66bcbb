//! User protection's use cases: the order check, the cooling-off, account facts, the
//! deposit-address book, diagnosis and recovery cases. Generic over the storage port; time and
//! randomness enter through `Clock` and `Entropy`.

use std::sync::Arc;

use custodia_events::{Audit, Clock, Entropy, NewEvent, Timestamp};
use custodia_primitives::AccountId;

use crate::ProtectError;
use crate::case::{Case, CaseAction, CaseId, CaseOutcome, CaseState, Transition, validate_actor};
use crate::cooling::{CoolingOff, CoolingPolicy, DAY_MS, extend_cooling};
use crate::deposit::{Diagnosis, FeeSchedule, Outcome, Transfer, TransferInput, diagnose};
use crate::events::{
    AccountRegistered, CaseAdvanced, CaseClosed, CaseOpened, CoolingOffStarted, DepositAddressSet,
    KnowledgeCheckPassed, OrderDenied,
};
use crate::order::{AccountFacts, NewAccountPolicy, Order, OrderDecision, OrderInput, check_order};
use crate::ports::{AccountState, AddressStatus, DepositAddress, ProtectRepo, Registered};
use crate::registry::{BookKey, NetworkSpec, Registry};

/// What a deployment configures.
#[derive(Debug, Clone, Default)]
pub struct ProtectSettings {
    /// Cooling-off durations.
    pub cooling: CoolingPolicy,
    /// New-account caps.
    pub new_accounts: NewAccountPolicy,
    /// Networks' listings.
    pub registry: Registry,
    /// Recovery fees.
    pub fees: FeeSchedule,
}

/// User protection. One per process, shared behind an `Arc`.
pub struct ProtectService<R> {
    repo: R,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    settings: ProtectSettings,
}

const ACTOR: &str = "service:protect";

fn subject(user: &AccountId) -> String {
    format!("user:{user}")
}

impl<R: ProtectRepo> ProtectService<R> {
    /// A service over `repo`.
    pub fn new(
        repo: R,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
        settings: ProtectSettings,
    ) -> Self {
        Self {
            repo,
            clock,
            entropy,
            settings,
        }
    }

    /// The storage.
    pub fn repo(&self) -> &R {
        &self.repo
    }

    /// The settings in force.
    pub fn settings(&self) -> &ProtectSettings {
        &self.settings
    }

    /// The service's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Checks an order as reported: validates it, then [`ProtectService::check`].
    pub async fn check_order(
        &self,
        audit: &impl Audit,
        input: &OrderInput,
    ) -> Result<(Order, OrderDecision), ProtectError> {
        let order = Order::parse(input)?;
        let d = self.check(audit, &order).await?;
        Ok((order, d))
    }

    /// Checks a validated order against the account's stored state, read now (so a cooling-off
    /// started on any instance binds the very next order). A refusal is recorded through
    /// `audit` as a repeatable decision (one event per user and reason per window, the rest
    /// counted). A store that does not answer is an error: callers deny.
    pub async fn check(
        &self,
        audit: &impl Audit,
        order: &Order,
    ) -> Result<OrderDecision, ProtectError> {
        let st = self.repo.account_state(&order.user).await?;
        let now = self.now();
        let d = check_order(
            &self.settings.new_accounts,
            st.cooling,
            AccountFacts {
                opened_at: st.opened_at,
                knowledge_at: st.knowledge_at,
            },
            now,
            order,
        );
        if !d.allowed() {
            let first = d.reasons[0].code();
            audit.record_repeatable(
                format!("protect:{}:{first}", order.user),
                NewEvent::typed(
                    now,
                    ACTOR,
                    &subject(&order.user),
                    &OrderDenied {
                        user: order.user.as_str().to_owned(),
                        channel: order.channel.as_str().to_owned(),
                        product: order.product.as_str().to_owned(),
                        instrument: order.instrument.clone(),
                        effect: d.effect.as_str().to_owned(),
                        reasons: d.reasons.iter().map(|r| r.code().to_owned()).collect(),
                    },
                ),
            );
        }
        Ok(d)
    }

    /// Starts a cooling-off of `days` (one of the configured durations) or extends the running
    /// one. Nothing ends or shortens a period.
    pub async fn start_cooling_off(
        &self,
        user: &AccountId,
        days: u32,
        actor: &str,
    ) -> Result<CoolingOff, ProtectError> {
        validate_actor(actor)?;
        let now = self.now();
        let policy = &self.settings.cooling;
        let decide = |current: Option<CoolingOff>| {
            let next = extend_cooling(policy, current, now, days)?;
            let previous = current
                .filter(|c| c.active_at(now))
                .map(|c| c.until.to_iso8601_millis());
            let ev = NewEvent::typed(
                now,
                actor,
                &subject(user),
                &CoolingOffStarted {
                    user: user.as_str().to_owned(),
                    days,
                    started_at: next.started_at.to_iso8601_millis(),
                    until: next.until.to_iso8601_millis(),
                    previous_until: previous,
                },
            );
            Ok((next, ev))
        };
        self.repo.extend_cooling_off(user, &decide).await?
    }

    /// The user's running cooling-off, if any.
    pub async fn cooling_off(&self, user: &AccountId) -> Result<Option<CoolingOff>, ProtectError> {
        let now = self.now();
        Ok(self
            .repo
            .account_state(user)
            .await?
            .cooling
            .filter(|c| c.active_at(now)))
    }

    /// The account's stored facts.
    pub async fn account(&self, user: &AccountId) -> Result<AccountState, ProtectError> {
        Ok(self.repo.account_state(user).await?)
    }

    /// Whether the account is under the new-account caps now.
    pub fn is_protected(&self, st: &AccountState) -> bool {
        let p = &self.settings.new_accounts;
        let young = st.opened_at.is_none_or(|t| {
            self.now().as_millis() - t.as_millis() < i64::from(p.min_age_days) * DAY_MS
        });
        young || (p.require_knowledge_check && st.knowledge_at.is_none())
    }

    /// Registers when the account was opened (once; the same time again is accepted, another
    /// is refused).
    pub async fn register_account(
        &self,
        user: &AccountId,
        opened_at: Timestamp,
        actor: &str,
    ) -> Result<Registered, ProtectError> {
        validate_actor(actor)?;
        let now = self.now();
        if opened_at > now {
            return Err(ProtectError::Future {
                field: "opened_at",
                got: opened_at,
                now,
            });
        }
        let ev = NewEvent::typed(
            now,
            actor,
            &subject(user),
            &AccountRegistered {
                user: user.as_str().to_owned(),
                opened_at: opened_at.to_iso8601_millis(),
            },
        );
        match self.repo.register_account(user, opened_at, ev).await? {
            Registered::Different { opened_at: stored } => Err(ProtectError::AccountOpened {
                registered: stored,
                got: opened_at,
            }),
            r => Ok(r),
        }
    }

    /// Records that the account passed the derivatives knowledge check (now).
    pub async fn pass_knowledge_check(
        &self,
        user: &AccountId,
        actor: &str,
    ) -> Result<bool, ProtectError> {
        validate_actor(actor)?;
        let now = self.now();
        let ev = NewEvent::typed(
            now,
            actor,
            &subject(user),
            &KnowledgeCheckPassed {
                user: user.as_str().to_owned(),
            },
        );
        Ok(self.repo.pass_knowledge_check(user, now, ev).await?)
    }

    /// Adds, replaces or retires a deposit address of `user` on `network`.
    pub async fn set_deposit_address(
        &self,
        user: &AccountId,
        network: &str,
        address: &str,
        memo: Option<&str>,
        status: AddressStatus,
        actor: &str,
    ) -> Result<DepositAddress, ProtectError> {
        validate_actor(actor)?;
        let spec = NetworkSpec::find(network)?;
        let canonical = spec.address("address", address)?;
        let memo = spec.memo(memo)?;
        let entry = DepositAddress {
            key: BookKey::of(spec, &canonical),
            memo: memo.clone(),
            user: user.clone(),
            network: spec.name.to_owned(),
            status,
        };
        let now = self.now();
        let ev = NewEvent::typed(
            now,
            actor,
            &subject(user),
            &DepositAddressSet {
                user: user.as_str().to_owned(),
                network: spec.name.to_owned(),
                address: canonical,
                memo,
                status: status.as_str().to_owned(),
            },
        );
        self.repo.put_deposit_address(&entry, now, ev).await?;
        Ok(entry)
    }

    /// Diagnoses a transfer for `claimant` against the listings and the stored book.
    pub async fn diagnose(
        &self,
        input: &TransferInput,
        claimant: Option<&AccountId>,
    ) -> Result<(Transfer, Diagnosis), ProtectError> {
        let t = Transfer::parse(input)?;
        let hit = self.repo.book_hit(&t.book_key(), t.memo.as_deref()).await?;
        let d = diagnose(
            &self.settings.registry,
            &self.settings.fees,
            &t,
            claimant,
            &hit,
        );
        Ok((t, d))
    }

    /// Opens a recovery case for `user`'s transfer: only a recoverable diagnosis opens one;
    /// one case per transfer.
    pub async fn open_case(
        &self,
        input: &TransferInput,
        user: &AccountId,
        actor: &str,
    ) -> Result<Case, ProtectError> {
        validate_actor(actor)?;
        let (t, d) = self.diagnose(input, Some(user)).await?;
        let (fee_units, fee_usd_cents) = match &d.outcome {
            Outcome::Credit { user } => {
                return Err(ProtectError::CreditsAutomatically {
                    user: user.as_str().to_owned(),
                });
            }
            Outcome::NotRecoverable => {
                return Err(ProtectError::NotRecoverable {
                    case: d.case,
                    reason: d.reason,
                });
            }
            Outcome::Recoverable {
                fee_units,
                fee_usd_cents,
                ..
            } => (*fee_units, *fee_usd_cents),
        };
        let now = self.now();
        let mut id = [0u8; 12];
        self.entropy.fill(&mut id);
        let case = Case {
            id: CaseId::from_random(id),
            user: user.clone(),
            kind: d.case,
            network: t.network.name.to_owned(),
            tx_hash: t.tx_hash.clone(),
            token: t.token.clone(),
            to: t.to.clone(),
            memo: t.memo.clone(),
            transfer: t.identity(),
            asset: d.asset.clone(),
            decimals: d.decimals,
            amount: t.amount,
            usd_cents: t.usd_cents.unwrap_or(0),
            fee_units,
            fee_usd_cents,
            reason: d.reason.clone(),
            state: CaseState::Opened,
            outcome: None,
            history: vec![Transition {
                from: None,
                to: CaseState::Opened,
                actor: actor.to_owned(),
                at: now,
                note: None,
            }],
        };
        let ev = NewEvent::typed(
            now,
            actor,
            &subject(user),
            &CaseOpened {
                case: case.id.to_string(),
                user: user.as_str().to_owned(),
                kind: d.case.as_str().to_owned(),
                network: case.network.clone(),
                tx_hash: case.tx_hash.clone(),
                asset: case.asset.clone(),
                amount: case.amount.to_string(),
                usd_cents: case.usd_cents,
                fee_usd_cents,
            },
        );
        match self.repo.open_case(&case, ev).await? {
            Ok(()) => Ok(case),
            Err(existing) => Err(ProtectError::CaseExists {
                id: existing.to_string(),
            }),
        }
    }

    /// A case.
    pub async fn case(&self, id: &CaseId) -> Result<Case, ProtectError> {
        self.repo
            .case(id)
            .await?
            .ok_or_else(|| ProtectError::CaseNotFound { id: id.to_string() })
    }

    /// The user's cases, newest first.
    pub async fn cases_of(&self, user: &AccountId, limit: u32) -> Result<Vec<Case>, ProtectError> {
        Ok(self.repo.cases_of(user, limit.clamp(1, 500)).await?)
    }

    /// Cases by state, in id order after `after`.
    pub async fn cases(
        &self,
        state: Option<CaseState>,
        after: Option<&CaseId>,
        limit: u32,
    ) -> Result<Vec<Case>, ProtectError> {
        Ok(self.repo.cases(state, after, limit.clamp(1, 500)).await?)
    }

    /// Moves a case by `action`, recorded with `actor` (compare-and-set on its state: two
    /// operators acting at once cannot both move it).
    pub async fn act(
        &self,
        id: &CaseId,
        action: &CaseAction,
        actor: &str,
        note: Option<&str>,
    ) -> Result<Case, ProtectError> {
        let mut case = self.case(id).await?;
        let expected = case.state;
        let now = self.now();
        let t = case.apply(action, actor, now, note)?;
        let subj = subject(&case.user);
        let ev = match &case.outcome {
            None => NewEvent::typed(
                now,
                actor,
                &subj,
                &CaseAdvanced {
                    case: case.id.to_string(),
                    user: case.user.as_str().to_owned(),
                    from: expected.as_str().to_owned(),
                    to: case.state.as_str().to_owned(),
                },
            ),
            Some(o) => {
                let (outcome, net, reason) = match o {
                    CaseOutcome::Recovered { net_units, .. } => {
                        ("recovered", net_units.clone(), None)
                    }
                    CaseOutcome::Credited { net_units, .. } => {
                        ("credited", net_units.clone(), None)
                    }
                    CaseOutcome::Rejected { reason } => {
                        ("rejected", "0".to_owned(), Some(reason.clone()))
                    }
                };
                NewEvent::typed(
                    now,
                    actor,
                    &subj,
                    &CaseClosed {
                        case: case.id.to_string(),
                        user: case.user.as_str().to_owned(),
                        kind: case.kind.as_str().to_owned(),
                        outcome: outcome.to_owned(),
                        asset: case.asset.clone(),
                        decimals: case.decimals,
                        amount: case.amount.to_string(),
                        net_units: net,
                        usd_cents: case.usd_cents,
                        reason,
                    },
                )
            }
        };
        if !self
            .repo
            .advance_case(&case, expected, &t, vec![ev])
            .await?
        {
            let now_state = self.case(id).await?.state;
            return Err(ProtectError::CaseChanged {
                id: id.to_string(),
                now: now_state,
            });
        }
        Ok(case)
    }
}
