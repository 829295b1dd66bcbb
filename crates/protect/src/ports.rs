//! The storage user protection needs. `custodia-store` implements it for SQLite and
//! PostgreSQL. Every write runs in one transaction with the events it records; the cooling-off
//! is read and moved under the writers' lock, and the store itself refuses to move its end
//! earlier or to delete it.

use std::future::Future;

use custodia_events::{NewEvent, RepoResult, Timestamp};
use custodia_primitives::AccountId;
use serde::{Deserialize, Serialize};

use crate::ProtectError;
use crate::case::{Case, CaseId, CaseState, Transition};
use crate::cooling::CoolingOff;
use crate::deposit::BookHit;
use crate::registry::BookKey;

/// What the order check reads about an account: one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountState {
    /// When the account was opened (`None`: never registered).
    pub opened_at: Option<Timestamp>,
    /// When it passed the derivatives knowledge check.
    pub knowledge_at: Option<Timestamp>,
    /// Its cooling-off period, past or running.
    pub cooling: Option<CoolingOff>,
}

/// What registering an account did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// First registration (the event was appended).
    New,
    /// Registered before with the same opening time (nothing written).
    Same,
    /// Registered before with another opening time (nothing written).
    Different {
        /// The stored time.
        opened_at: Timestamp,
    },
}

/// Whether a deposit address still takes deposits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressStatus {
    /// In use.
    Active,
    /// Retired: deposits are no longer credited automatically.
    Retired,
}

impl AddressStatus {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressStatus::Active => "active",
            AddressStatus::Retired => "retired",
        }
    }
}

/// One entry of the deposit-address book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositAddress {
    /// Family and canonical address.
    pub key: BookKey,
    /// Memo or tag on shared addresses.
    pub memo: Option<String>,
    /// The owner.
    pub user: AccountId,
    /// The network it was issued for.
    pub network: String,
    /// Active or retired.
    pub status: AddressStatus,
}

/// What the operator console shows of user protection, counted in its own tables (exact
/// whatever the event log's retention).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProtectOverview {
    /// Accounts registered.
    pub accounts: u64,
    /// Accounts in a cooling-off period now.
    pub cooling_off: u64,
    /// Accounts that passed the knowledge check.
    pub knowledge_passed: u64,
    /// Deposit addresses in use.
    pub active_addresses: u64,
    /// Recovery cases per state, every state listed (zero when none).
    pub cases: Vec<(CaseState, u64)>,
}

/// User protection's storage.
pub trait ProtectRepo: Send + Sync {
    /// The account's row (one read; the order check's only query).
    fn account_state(
        &self,
        user: &AccountId,
    ) -> impl Future<Output = RepoResult<AccountState>> + Send;

    /// Registers the account's opening time (once), appending `event` when it is new.
    fn register_account(
        &self,
        user: &AccountId,
        opened_at: Timestamp,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<Registered>> + Send;

    /// Records that the account passed the knowledge check at `at` (the first time counts);
    /// `true` (and `event` appended) when it is new.
    fn pass_knowledge_check(
        &self,
        user: &AccountId,
        at: Timestamp,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<bool>> + Send;

    /// Starts or extends the cooling-off in one transaction holding the writers' lock: reads
    /// the stored period, calls `decide` with it, and when it answers `Ok` stores the new period
    /// (the store refuses an earlier end) and appends its event. There is no way to end or
    /// shorten a period through this port.
    fn extend_cooling_off(
        &self,
        user: &AccountId,
        decide: &(
             dyn Fn(Option<CoolingOff>) -> Result<(CoolingOff, NewEvent), ProtectError> + Sync
         ),
    ) -> impl Future<Output = RepoResult<Result<CoolingOff, ProtectError>>> + Send;

    /// Adds or replaces a deposit address (same key and memo), appending `event`.
    fn put_deposit_address(
        &self,
        entry: &DepositAddress,
        at: Timestamp,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<()>> + Send;

    /// What the book holds for `key` and `memo`.
    fn book_hit(
        &self,
        key: &BookKey,
        memo: Option<&str>,
    ) -> impl Future<Output = RepoResult<BookHit>> + Send;

    /// Stores a new case with its opening transition and event; `Err(existing id)` when a case
    /// for the same transfer exists (nothing written).
    fn open_case(
        &self,
        case: &Case,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<Result<(), CaseId>>> + Send;

    /// Counts for the operator console, cooling-off as of `now`.
    fn protect_overview(
        &self,
        now: Timestamp,
    ) -> impl Future<Output = RepoResult<ProtectOverview>> + Send;

    /// A case with its history.
    fn case(&self, id: &CaseId) -> impl Future<Output = RepoResult<Option<Case>>> + Send;

    /// The user's cases, newest first (at most `limit`).
    fn cases_of(
        &self,
        user: &AccountId,
        limit: u32,
    ) -> impl Future<Output = RepoResult<Vec<Case>>> + Send;

    /// Cases in `state` (any when `None`), by id after `after`, at most `limit`.
    fn cases(
        &self,
        state: Option<CaseState>,
        after: Option<&CaseId>,
        limit: u32,
    ) -> impl Future<Output = RepoResult<Vec<Case>>> + Send;

    /// Moves a case from `expected` to `case.state` (compare-and-set), appends `transition` to
    /// its history and `events` to the log, in one transaction. `false`: the case was not in
    /// `expected` any more (nothing written).
    fn advance_case(
        &self,
        case: &Case,
        expected: CaseState,
        transition: &Transition,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = RepoResult<bool>> + Send;
}
