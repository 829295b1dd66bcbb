//! The storage the login defence needs. `custodia-store` implements it for SQLite and
//! PostgreSQL. Every check-and-record runs inside a transaction that holds the store's write
//! lock (several assessments' records may share one: group commit), so concurrent logins and
//! withdrawals from any instance serialise, and nothing lives only in a process: lockouts,
//! failure counters and histories survive restarts.

use std::future::Future;

use custodia_chain::Address;
use custodia_events::{NewEvent, RepoResult, Timestamp};
use custodia_primitives::AccountId;

use crate::brute::{BrutePolicy, BruteState};
use crate::profile::{Observation, Profile};
use crate::withdraw::{SecurityChange, WithdrawFacts, WithdrawPolicy, WithdrawVerdict};

/// What the assessment of one login reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoginState {
    /// The user's history (`None`: never seen).
    pub profile: Option<Profile>,
    /// The account's brute-force state.
    pub brute: BruteState,
    /// Distinct accounts that failed from this IP since the window start.
    pub accounts_failed_from_ip: u32,
    /// Distinct accounts that failed from this subnet since the window start.
    pub accounts_failed_from_subnet: u32,
}

/// What the store holds about one account, for operators (`custodia login profile`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountView {
    /// The user's history (`None`: never seen).
    pub profile: Option<Profile>,
    /// The account's brute-force state.
    pub brute: BruteState,
    /// Allowlist-only withdrawals.
    pub allowlist_only: bool,
    /// Allowlisted addresses with the time each was added, oldest first.
    pub allowlist: Vec<(String, Timestamp)>,
    /// Security changes since the time asked for, oldest first.
    pub changes: Vec<(SecurityChange, Timestamp)>,
}

/// A failed password check to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedLogin<'a> {
    /// The account.
    pub user: &'a AccountId,
    /// When.
    pub at: Timestamp,
    /// The source IP, as text.
    pub ip: &'a str,
    /// Its /24 or /48.
    pub subnet: &'a str,
    /// Failures from the source count from here (the stuffing and spraying window's start).
    pub since: Timestamp,
}

/// What recording a failed password left: the account's brute-force state and the source's
/// counters, all as of the commit that recorded it (so concurrent failures from other requests
/// and other instances are counted, not only the ones read before).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailureRecorded {
    /// The account's brute-force state after this failure.
    pub brute: BruteState,
    /// Distinct accounts that failed from this IP since [`FailedLogin::since`], this one included.
    pub accounts_failed_from_ip: u32,
    /// Distinct accounts that failed from this subnet since [`FailedLogin::since`], this one
    /// included.
    pub accounts_failed_from_subnet: u32,
}

/// A successful login the service accepted, to learn from.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnedLogin<'a> {
    /// The account.
    pub user: &'a AccountId,
    /// When.
    pub at: Timestamp,
    /// Its feature values.
    pub observation: &'a Observation,
    /// Where it came from, for the next impossible-travel check (`None`: unknown, e.g. behind
    /// a VPN; the previous position is kept).
    pub position: Option<(f64, f64)>,
    /// Profile half-life.
    pub half_life_ms: i64,
    /// Whether the device was new (a security change that locks withdrawals).
    pub new_device: bool,
}

/// A withdrawal to screen: the request as the exchange reports it, its addresses validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalRequest {
    /// The account.
    pub user: AccountId,
    /// When.
    pub at: Timestamp,
    /// Asset symbol.
    pub asset: String,
    /// Amount, smallest units.
    pub amount: u128,
    /// Value in USD cents.
    pub usd_cents: u64,
    /// Destination address.
    pub destination: Address,
    /// Addresses the user sent to before, for look-alike (address poisoning) detection.
    pub recent: Vec<Address>,
}

/// What address intelligence found about a destination, and the events its checks produced
/// (they are appended in the screening's transaction, with the verdict).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntelFindings {
    /// Lists the destination is on (`sanctions`, `hack`, …).
    pub listed: Vec<String>,
    /// The address in the user's history it imitates, if any.
    pub imitates: Option<String>,
    /// The intelligence service's own events (a listed hit, a poisoning flag).
    pub events: Vec<NewEvent>,
}

/// Address intelligence about a withdrawal's destination: sanction and theft lists, and
/// look-alikes of addresses the user sent to before. The binary implements it over the threat
/// intelligence catalog (`custodia-guard`); [`NoIntel`] knows nothing.
///
/// To implement it:
/// 1. look `request.destination` up in every list and report the categories in
///    [`IntelFindings::listed`];
/// 2. compare it with `request.recent` and name the imitated address in
///    [`IntelFindings::imitates`];
/// 3. return the events that record those findings (time `request.at`, actor `actor`): the
///    screening appends them in its own transaction.
///
/// # Correctness
///
/// It is called on the request path and must answer from memory without blocking (lists are
/// snapshots refreshed in the background, as the guard's catalog does). An implementation that
/// cannot answer must say so with a listing (e.g. `"intel_unavailable"`) rather than an empty
/// finding: limits fail closed.
pub trait DestinationIntel: Send + Sync {
    /// What is known about `request.destination`.
    fn examine(&self, request: &WithdrawalRequest, actor: &str) -> IntelFindings;
}

/// No address intelligence: every destination is unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoIntel;

impl DestinationIntel for NoIntel {
    fn examine(&self, _: &WithdrawalRequest, _: &str) -> IntelFindings {
        IntelFindings::default()
    }
}

/// What the operator console shows of the login defence, counted in its own tables (exact
/// whatever the event log's retention).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginOverview {
    /// Accounts the defence holds state for.
    pub accounts: u64,
    /// Accounts locked now.
    pub locked: u64,
    /// Accounts in allowlist-only withdrawal mode.
    pub allowlist_only: u64,
    /// Sources (addresses and subnets) with a failed login in the period.
    pub failing_sources: u64,
    /// Accounts with a failed login in the period.
    pub failing_accounts: u64,
    /// Security changes in the period.
    pub security_changes: u64,
    /// Withdrawals allowed in the period.
    pub withdrawals: u64,
}

/// The login defence's storage.
pub trait LoginRepo: Send + Sync {
    /// What assessing a login of `user` from `ip` (`subnet`) reads; failures count from `since`.
    fn login_state(
        &self,
        user: &AccountId,
        ip: &str,
        subnet: &str,
        since: Timestamp,
    ) -> impl Future<Output = RepoResult<LoginState>> + Send;

    /// Everything held about `user`; security changes from `changes_since` on.
    fn account_view(
        &self,
        user: &AccountId,
        changes_since: Timestamp,
    ) -> impl Future<Output = RepoResult<AccountView>> + Send;

    /// Records a failed password check atomically: the account's brute-force state moves by
    /// `policy` (read under the write lock), the (IP, subnet, account) failure is noted, and
    /// `event` is appended. Returns the new state and the source's counters as of the commit.
    /// The store may commit several assessments' records in one transaction (group commit);
    /// the call returns once its own record is durable.
    fn record_failure(
        &self,
        failure: &FailedLogin<'_>,
        policy: &BrutePolicy,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<FailureRecorded>> + Send;

    /// Records an accepted login in one transaction: the profile learns it, the failure count
    /// starts again, a new device becomes a security change, and `events` are appended.
    fn record_success(
        &self,
        login: &LearnedLogin<'_>,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = RepoResult<()>> + Send;

    /// Records a refused or stepped-up successful login without learning from it.
    fn record_refusal(&self, event: NewEvent) -> impl Future<Output = RepoResult<()>> + Send;

    /// Counts for the operator console: states as of `now`, activity in `[since, now]`.
    fn login_overview(
        &self,
        now: Timestamp,
        since: Timestamp,
    ) -> impl Future<Output = RepoResult<LoginOverview>> + Send;

    /// The population's history (all users), for the score.
    fn population(&self) -> impl Future<Output = RepoResult<Profile>> + Send;

    /// Adds logins to the population's history, in one transaction.
    fn merge_population(
        &self,
        logins: &[(Observation, Timestamp)],
        half_life_ms: i64,
    ) -> impl Future<Output = RepoResult<()>> + Send;

    /// Records a security change (it holds withdrawals for a while) with its event.
    fn record_security_change(
        &self,
        user: &AccountId,
        change: SecurityChange,
        at: Timestamp,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<()>> + Send;

    /// Adds `address` to the user's withdrawal allowlist at `at`, and sets allowlist-only mode.
    fn allowlist(
        &self,
        user: &AccountId,
        address: &str,
        at: Timestamp,
        only: Option<bool>,
    ) -> impl Future<Output = RepoResult<()>> + Send;

    /// Screens and records a withdrawal in one transaction that locks the user's row: gathers
    /// the facts (allowlist, changes, the last 24 h sums), calls `screen` with them, counts the
    /// withdrawal towards the limits if allowed, and appends `intel.events` and the event
    /// `event_for` makes.
    fn screen_withdrawal(
        &self,
        req: &WithdrawalRequest,
        intel: &IntelFindings,
        policy: &WithdrawPolicy,
        event_for: &(dyn Fn(&WithdrawFacts, &WithdrawVerdict) -> NewEvent + Sync),
    ) -> impl Future<Output = RepoResult<WithdrawVerdict>> + Send;

    /// Stores the user's sealed anti-phishing code with its event.
    fn set_anti_phishing(
        &self,
        user: &AccountId,
        sealed: &[u8],
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<()>> + Send;

    /// The user's sealed anti-phishing code.
    fn anti_phishing(
        &self,
        user: &AccountId,
    ) -> impl Future<Output = RepoResult<Option<Vec<u8>>>> + Send;
}
