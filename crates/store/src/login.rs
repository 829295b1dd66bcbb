//! The login defence's port: profiles, brute-force state, failure sources, security changes,
//! allowlists, withdrawals and anti-phishing codes. Every write runs in the event-appending write
//! transaction (`write_tx`), which serialises writers (SQLite `BEGIN IMMEDIATE`, PostgreSQL the
//! event-head row lock): a read-modify-write of an account's state inside it is atomic across
//! instances.

use custodia_events::{NewEvent, RepoResult, Timestamp};
use custodia_login::{
    AccountView, BrutePolicy, BruteState, FailedLogin, IntelFindings, LastLogin, LearnedLogin,
    LoginOverview, LoginRepo, LoginState, Observation, Profile, SecurityChange, WithdrawFacts,
    WithdrawPolicy, WithdrawVerdict, WithdrawalRequest, screen,
};
use custodia_primitives::AccountId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Tx, db};
use crate::{Store, StoreError};

const DAY_MS: i64 = 86_400_000;

fn profile_from(text: Option<String>) -> Result<Option<Profile>, StoreError> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| StoreError::corrupt("login_accounts", e.to_string()))
    })
    .transpose()
}

fn profile_text(p: &Profile) -> Result<String, StoreError> {
    serde_json::to_string(p).map_err(|e| StoreError::corrupt("login_accounts", e.to_string()))
}

/// The account's row, creating it if missing (inside the write transaction).
async fn account(tx: &mut Tx, user: &AccountId) -> Result<AnyRow, StoreError> {
    sqlx::query(
        "INSERT INTO login_accounts (user_id, profile, failures, last_failure_ms, locked_until_ms, \
         allowlist_only, anti_phishing) VALUES ($1, NULL, 0, 0, 0, 0, NULL) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user.as_str().to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query(
        "SELECT profile, failures, last_failure_ms, locked_until_ms, allowlist_only \
         FROM login_accounts WHERE user_id = $1",
    )
    .bind(user.as_str().to_owned())
    .fetch_one(&mut **tx)
    .await?)
}

fn brute_from(r: &AnyRow) -> Result<BruteState, StoreError> {
    let failures: i64 = r.try_get("failures")?;
    Ok(BruteState {
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
        last_failure_ms: r.try_get("last_failure_ms")?,
        locked_until_ms: r.try_get("locked_until_ms")?,
    })
}

async fn distinct_accounts(
    store: &Store,
    source: &str,
    since: Timestamp,
) -> Result<u32, StoreError> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM login_failures WHERE source = $1 AND at_ms >= $2")
            .bind(source.to_owned())
            .bind(since.as_millis())
            .fetch_one(&store.pool)
            .await?;
    let n: i64 = row.try_get("n")?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

impl LoginRepo for Store {
    async fn login_state(
        &self,
        user: &AccountId,
        ip: &str,
        subnet: &str,
        since: Timestamp,
    ) -> RepoResult<LoginState> {
        db(async {
            let row = sqlx::query(
                "SELECT profile, failures, last_failure_ms, locked_until_ms FROM login_accounts \
                 WHERE user_id = $1",
            )
            .bind(user.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?;
            let (profile, brute) = match &row {
                Some(r) => (profile_from(r.try_get("profile")?)?, brute_from(r)?),
                None => (None, BruteState::default()),
            };
            Ok(LoginState {
                profile,
                brute,
                accounts_failed_from_ip: distinct_accounts(self, &format!("ip:{ip}"), since)
                    .await?,
                accounts_failed_from_subnet: distinct_accounts(
                    self,
                    &format!("net:{subnet}"),
                    since,
                )
                .await?,
            })
        })
        .await
    }

    async fn account_view(
        &self,
        user: &AccountId,
        changes_since: Timestamp,
    ) -> RepoResult<AccountView> {
        db(async {
            let id = user.as_str().to_owned();
            let row = sqlx::query(
                "SELECT profile, failures, last_failure_ms, locked_until_ms, allowlist_only \
                 FROM login_accounts WHERE user_id = $1",
            )
            .bind(id.clone())
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else {
                return Ok(AccountView::default());
            };
            let allowlist = sqlx::query(
                "SELECT address, added_ms FROM login_allowlist WHERE user_id = $1 \
                 ORDER BY added_ms, address",
            )
            .bind(id.clone())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| -> Result<(String, Timestamp), StoreError> {
                Ok((
                    r.try_get("address")?,
                    Timestamp::from_millis(r.try_get("added_ms")?),
                ))
            })
            .collect::<Result<Vec<_>, _>>()?;
            let changes = sqlx::query(
                "SELECT kind, at_ms FROM login_security_changes WHERE user_id = $1 \
                 AND at_ms >= $2 ORDER BY at_ms",
            )
            .bind(id)
            .bind(changes_since.as_millis())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| -> Result<(SecurityChange, Timestamp), StoreError> {
                let c: String = r.try_get("kind")?;
                let c = SecurityChange::parse(&c)
                    .ok_or_else(|| StoreError::corrupt("login_security_changes", "change"))?;
                Ok((c, Timestamp::from_millis(r.try_get("at_ms")?)))
            })
            .collect::<Result<Vec<_>, _>>()?;
            let only: i64 = row.try_get("allowlist_only")?;
            Ok(AccountView {
                profile: profile_from(row.try_get("profile")?)?,
                brute: brute_from(&row)?,
                allowlist_only: only != 0,
                allowlist,
                changes,
            })
        })
        .await
    }

    async fn record_failure(
        &self,
        f: &FailedLogin<'_>,
        policy: &BrutePolicy,
        event: NewEvent,
    ) -> RepoResult<BruteState> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let row = account(&mut tx, f.user).await?;
            let next = policy.on_failure(brute_from(&row)?, f.at);
            sqlx::query(
                "UPDATE login_accounts SET failures = $1, last_failure_ms = $2, locked_until_ms = $3 \
                 WHERE user_id = $4",
            )
            .bind(i64::from(next.failures))
            .bind(next.last_failure_ms)
            .bind(next.locked_until_ms)
            .bind(f.user.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
            for source in [format!("ip:{}", f.ip), format!("net:{}", f.subnet)] {
                sqlx::query(
                    "INSERT INTO login_failures (source, user_id, at_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (source, user_id) DO UPDATE SET at_ms = excluded.at_ms",
                )
                .bind(source)
                .bind(f.user.as_str().to_owned())
                .bind(f.at.as_millis())
                .execute(&mut *tx)
                .await?;
            }
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(next)
        })
        .await
    }

    async fn record_success(&self, l: &LearnedLogin<'_>, events: Vec<NewEvent>) -> RepoResult<()> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let row = account(&mut tx, l.user).await?;
            let mut profile = profile_from(row.try_get("profile")?)?.unwrap_or_default();
            profile.observe(l.observation, l.at, l.half_life_ms);
            if let Some((lat, lon)) = l.position {
                profile.last_success = Some(LastLogin {
                    at_ms: l.at.as_millis(),
                    lat: Some(lat),
                    lon: Some(lon),
                });
            }
            let brute = BrutePolicy::default().on_success(brute_from(&row)?);
            sqlx::query(
                "UPDATE login_accounts SET profile = $1, failures = $2, last_failure_ms = $3 \
                 WHERE user_id = $4",
            )
            .bind(profile_text(&profile)?)
            .bind(i64::from(brute.failures))
            .bind(brute.last_failure_ms)
            .bind(l.user.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
            if l.new_device {
                insert_change(&mut tx, l.user, SecurityChange::NewDeviceLogin, l.at).await?;
            }
            Self::append_in(&mut tx, seq, hash, events).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn record_refusal(&self, event: NewEvent) -> RepoResult<()> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn login_overview(&self, now: Timestamp, since: Timestamp) -> RepoResult<LoginOverview> {
        db(async {
            let r = sqlx::query(
                "SELECT (SELECT COUNT(*) FROM login_accounts) AS accounts, \
                 (SELECT COUNT(*) FROM login_accounts WHERE locked_until_ms > $1) AS locked, \
                 (SELECT COUNT(*) FROM login_accounts WHERE allowlist_only <> 0) AS allowlist, \
                 (SELECT COUNT(DISTINCT source) FROM login_failures WHERE at_ms >= $2) AS sources, \
                 (SELECT COUNT(DISTINCT user_id) FROM login_failures WHERE at_ms >= $3) AS failing, \
                 (SELECT COUNT(*) FROM login_security_changes WHERE at_ms >= $4) AS changes, \
                 (SELECT COUNT(*) FROM login_withdrawals WHERE at_ms >= $5) AS withdrawals",
            )
            .bind(now.as_millis())
            .bind(since.as_millis())
            .bind(since.as_millis())
            .bind(since.as_millis())
            .bind(since.as_millis())
            .fetch_one(&self.pool)
            .await?;
            let n = |col: &str| -> Result<u64, StoreError> {
                let v: i64 = r.try_get(col)?;
                u64::try_from(v).map_err(|_| StoreError::corrupt("login_accounts", "count"))
            };
            Ok(LoginOverview {
                accounts: n("accounts")?,
                locked: n("locked")?,
                allowlist_only: n("allowlist")?,
                failing_sources: n("sources")?,
                failing_accounts: n("failing")?,
                security_changes: n("changes")?,
                withdrawals: n("withdrawals")?,
            })
        })
        .await
    }

    async fn population(&self) -> RepoResult<Profile> {
        db(async {
            let row = sqlx::query("SELECT profile FROM login_population WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
            Ok(match row {
                Some(r) => profile_from(r.try_get("profile")?)?.unwrap_or_default(),
                None => Profile::default(),
            })
        })
        .await
    }

    async fn merge_population(
        &self,
        logins: &[(Observation, Timestamp)],
        half_life_ms: i64,
    ) -> RepoResult<()> {
        db(async {
            let (mut tx, _, _) = self.write_tx().await?;
            let row = sqlx::query("SELECT profile FROM login_population WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?;
            let mut pop = match row {
                Some(r) => profile_from(r.try_get("profile")?)?.unwrap_or_default(),
                None => Profile::default(),
            };
            let mut sorted: Vec<&(Observation, Timestamp)> = logins.iter().collect();
            sorted.sort_by_key(|(_, t)| *t);
            for (o, t) in sorted {
                pop.observe(o, *t, half_life_ms);
            }
            sqlx::query(
                "INSERT INTO login_population (id, profile) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET profile = excluded.profile",
            )
            .bind(profile_text(&pop)?)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn record_security_change(
        &self,
        user: &AccountId,
        change: SecurityChange,
        at: Timestamp,
        event: NewEvent,
    ) -> RepoResult<()> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            insert_change(&mut tx, user, change, at).await?;
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn allowlist(
        &self,
        user: &AccountId,
        address: &str,
        at: Timestamp,
        only: Option<bool>,
    ) -> RepoResult<()> {
        db(async {
            let (mut tx, _, _) = self.write_tx().await?;
            account(&mut tx, user).await?;
            sqlx::query(
                "INSERT INTO login_allowlist (user_id, address, added_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, address) DO NOTHING",
            )
            .bind(user.as_str().to_owned())
            .bind(address.to_owned())
            .bind(at.as_millis())
            .execute(&mut *tx)
            .await?;
            if let Some(only) = only {
                sqlx::query("UPDATE login_accounts SET allowlist_only = $1 WHERE user_id = $2")
                    .bind(i64::from(only))
                    .bind(user.as_str().to_owned())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn screen_withdrawal(
        &self,
        req: &WithdrawalRequest,
        intel: &IntelFindings,
        policy: &WithdrawPolicy,
        event_for: &(dyn Fn(&WithdrawFacts, &WithdrawVerdict) -> NewEvent + Sync),
    ) -> RepoResult<WithdrawVerdict> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let user = req.user.as_str().to_owned();
            let destination = req.destination.canonical();
            let acc = account(&mut tx, &req.user).await?;
            let only: i64 = acc.try_get("allowlist_only")?;
            let added = sqlx::query(
                "SELECT added_ms FROM login_allowlist WHERE user_id = $1 AND address = $2",
            )
            .bind(user.clone())
            .bind(destination)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<i64, _>("added_ms"))
            .transpose()?;
            let since = req.at.minus_millis(DAY_MS);
            let changes = sqlx::query(
                "SELECT kind, at_ms FROM login_security_changes WHERE user_id = $1 AND at_ms >= $2",
            )
            .bind(user.clone())
            .bind(req.at.minus_millis(policy.change_lock_ms).as_millis())
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| -> Result<(SecurityChange, Timestamp), StoreError> {
                let c: String = r.try_get("kind")?;
                let c = SecurityChange::parse(&c)
                    .ok_or_else(|| StoreError::corrupt("login_security_changes", "change"))?;
                Ok((c, Timestamp::from_millis(r.try_get("at_ms")?)))
            })
            .collect::<Result<Vec<_>, _>>()?;
            let recent = sqlx::query(
                "SELECT asset, amount, usd_cents FROM login_withdrawals WHERE user_id = $1 AND at_ms > $2",
            )
            .bind(user.clone())
            .bind(since.as_millis())
            .fetch_all(&mut *tx)
            .await?;
            let (mut asset_sum, mut usd_sum) = (0u128, 0u64);
            for r in &recent {
                let usd: i64 = r.try_get("usd_cents")?;
                usd_sum = usd_sum.saturating_add(u64::try_from(usd).unwrap_or(0));
                let asset: String = r.try_get("asset")?;
                if asset == req.asset {
                    let a: String = r.try_get("amount")?;
                    let a: u128 = a
                        .parse()
                        .map_err(|_| StoreError::corrupt("login_withdrawals", "amount"))?;
                    asset_sum = asset_sum.saturating_add(a);
                }
            }
            let facts = WithdrawFacts {
                at: req.at,
                asset: req.asset.clone(),
                amount: req.amount,
                usd_cents: req.usd_cents,
                allowlist_only: only != 0,
                allowlisted_at: added.map(Timestamp::from_millis),
                changes,
                asset_last_24h: asset_sum,
                usd_last_24h: usd_sum,
                listed: intel.listed.clone(),
                imitates: intel.imitates.clone(),
            };
            let verdict = screen(policy, &facts);
            if verdict.decision == custodia_login::WithdrawDecision::Allow {
                sqlx::query(
                    "INSERT INTO login_withdrawals (user_id, asset, amount, usd_cents, at_ms) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(user)
                .bind(req.asset.clone())
                .bind(req.amount.to_string())
                .bind(i64::try_from(req.usd_cents).unwrap_or(i64::MAX))
                .bind(req.at.as_millis())
                .execute(&mut *tx)
                .await?;
            }
            let mut events = intel.events.clone();
            events.push(event_for(&facts, &verdict));
            Self::append_in(&mut tx, seq, hash, events).await?;
            tx.commit().await?;
            Ok(verdict)
        })
        .await
    }

    async fn set_anti_phishing(
        &self,
        user: &AccountId,
        sealed: &[u8],
        event: NewEvent,
    ) -> RepoResult<()> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            account(&mut tx, user).await?;
            sqlx::query("UPDATE login_accounts SET anti_phishing = $1 WHERE user_id = $2")
                .bind(sealed.to_vec())
                .bind(user.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn anti_phishing(&self, user: &AccountId) -> RepoResult<Option<Vec<u8>>> {
        db(async {
            let row = sqlx::query("SELECT anti_phishing FROM login_accounts WHERE user_id = $1")
                .bind(user.as_str().to_owned())
                .fetch_optional(&self.pool)
                .await?;
            Ok(match row {
                Some(r) => r.try_get::<Option<Vec<u8>>, _>("anti_phishing")?,
                None => None,
            })
        })
        .await
    }
}

async fn insert_change(
    tx: &mut Tx,
    user: &AccountId,
    change: SecurityChange,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO login_security_changes (user_id, kind, at_ms) VALUES ($1, $2, $3)")
        .bind(user.as_str().to_owned())
        .bind(change.as_str())
        .bind(at.as_millis())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
