//! The key service's ports: API keys, TOTP enrolments, operator tokens.

use custodia_events::{Event, NewEvent, RepoResult, Timestamp};
use custodia_keys::{
    ApiKey, ApiKeyId, ApiKeyRepo, KeyStatus, OperatorRecord, OperatorRepo, Role, TotpAttempt,
    TotpRecord, TotpRepo,
};
use custodia_primitives::AccountId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{db, is_unique_violation};
use crate::rows::{self, KEY_COLUMNS, OPERATOR_COLUMNS};
use crate::{Store, StoreError};

impl Store {
    async fn fetch_keys(&self, sql: String, bind: KeyQuery<'_>) -> Result<Vec<ApiKey>, StoreError> {
        let q = sqlx::query(&sql);
        let q = match bind {
            KeyQuery::Id(id) => q.bind(id.to_string()),
            KeyQuery::User(u) => q.bind(u.as_str().to_owned()),
            KeyQuery::Idle(cutoff, limit) => q.bind(cutoff.as_millis()).bind(i64::from(limit)),
        };
        let rows: Vec<AnyRow> = q.fetch_all(&self.pool).await?;
        rows.iter().map(rows::api_key).collect()
    }
}

enum KeyQuery<'a> {
    Id(&'a ApiKeyId),
    User(&'a AccountId),
    Idle(Timestamp, u32),
}

/// Trade (2) or withdraw (4), unbound, active, idle since `$1`.
const IDLE_WHERE: &str = "status = 'active' AND ips = '' AND (permissions & 6) <> 0 \
     AND COALESCE(last_used_at, created_at) <= $1";

impl ApiKeyRepo for Store {
    async fn create_key(&self, key: &ApiKey, event: NewEvent) -> RepoResult<Event> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let r = sqlx::query(
                "INSERT INTO api_keys (id, user_id, label, permissions, ips, passphrase_hash, \
                 secret_sealed, created_at, last_used_at, status, status_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(key.id.to_string())
            .bind(key.user.as_str().to_owned())
            .bind(key.label.as_str().to_owned())
            .bind(key.permissions.bits())
            .bind(key.ips.to_stored())
            .bind(key.passphrase_hash.as_str().to_owned())
            .bind(key.secret_sealed.0.clone())
            .bind(key.created_at.as_millis())
            .bind(key.last_used_at.map(Timestamp::as_millis))
            .bind(key.status.as_str())
            .bind(key.status_at.as_millis())
            .execute(&mut *tx)
            .await;
            match r {
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict { what: "API key" });
                }
                other => other?,
            };
            let mut ev = Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(ev.remove(0))
        })
        .await
    }

    async fn key(&self, id: &ApiKeyId) -> RepoResult<Option<ApiKey>> {
        db(async {
            let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1");
            Ok(self.fetch_keys(sql, KeyQuery::Id(id)).await?.pop())
        })
        .await
    }

    async fn keys_of(&self, user: &AccountId) -> RepoResult<Vec<ApiKey>> {
        db(async {
            let sql = format!(
                "SELECT {KEY_COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC, id"
            );
            self.fetch_keys(sql, KeyQuery::User(user)).await
        })
        .await
    }

    async fn end_key(
        &self,
        id: &ApiKeyId,
        user: &AccountId,
        status: KeyStatus,
        at: Timestamp,
        event: NewEvent,
    ) -> RepoResult<bool> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let n = sqlx::query(
                "UPDATE api_keys SET status = $1, status_at = $2 \
                 WHERE id = $3 AND user_id = $4 AND status = 'active'",
            )
            .bind(status.as_str())
            .bind(at.as_millis())
            .bind(id.to_string())
            .bind(user.as_str().to_owned())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    async fn record_usage(
        &self,
        uses: &[(ApiKeyId, Timestamp)],
        events: Vec<NewEvent>,
    ) -> RepoResult<()> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            for (id, t) in uses {
                sqlx::query(
                    "UPDATE api_keys SET last_used_at = $1 \
                     WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
                )
                .bind(t.as_millis())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            }
            Self::append_in(&mut tx, seq, hash, events).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn idle_candidates(&self, cutoff: Timestamp, limit: u32) -> RepoResult<Vec<ApiKey>> {
        db(async {
            let sql = format!(
                "SELECT {KEY_COLUMNS} FROM api_keys WHERE {IDLE_WHERE} ORDER BY created_at, id LIMIT $2"
            );
            self.fetch_keys(sql, KeyQuery::Idle(cutoff, limit)).await
        })
        .await
    }

    async fn expire_idle_key(
        &self,
        id: &ApiKeyId,
        cutoff: Timestamp,
        at: Timestamp,
        event: NewEvent,
    ) -> RepoResult<bool> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let sql = format!(
                "UPDATE api_keys SET status = 'expired', status_at = $2 WHERE {IDLE_WHERE} AND id = $3"
            );
            let n = sqlx::query(&sql)
                .bind(cutoff.as_millis())
                .bind(at.as_millis())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }
}

impl TotpRepo for Store {
    async fn totp(&self, user: &AccountId) -> RepoResult<Option<TotpRecord>> {
        db(async {
            let row =
                sqlx::query("SELECT seed_sealed, last_step FROM user_totp WHERE user_id = $1")
                    .bind(user.as_str().to_owned())
                    .fetch_optional(&self.pool)
                    .await?;
            row.map(|r| -> Result<TotpRecord, StoreError> {
                Ok(TotpRecord {
                    seed_sealed: r.try_get("seed_sealed")?,
                    last_step: r.try_get("last_step")?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn enroll_totp(
        &self,
        user: &AccountId,
        seed_sealed: &[u8],
        at: Timestamp,
        event: NewEvent,
    ) -> RepoResult<bool> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let r = sqlx::query(
                "INSERT INTO user_totp (user_id, seed_sealed, last_step, created_at) VALUES ($1, $2, NULL, $3)",
            )
            .bind(user.as_str().to_owned())
            .bind(seed_sealed.to_vec())
            .bind(at.as_millis())
            .execute(&mut *tx)
            .await;
            match r {
                Err(e) if is_unique_violation(&e) => {
                    tx.rollback().await?;
                    return Ok(false);
                }
                other => other?,
            };
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    async fn consume_totp_step(&self, user: &AccountId, step: i64) -> RepoResult<bool> {
        db(async {
            let n = sqlx::query(
                "UPDATE user_totp SET last_step = $1 \
                 WHERE user_id = $2 AND (last_step IS NULL OR last_step < $1)",
            )
            .bind(step)
            .bind(user.as_str().to_owned())
            .execute(&self.pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
        .await
    }

    async fn begin_totp_attempt(
        &self,
        user: &AccountId,
        at: Timestamp,
        max_attempts: u32,
        lockout_ms: i64,
    ) -> RepoResult<TotpAttempt> {
        db(async {
            // One statement, so concurrent attempts (from any instance) serialise on the row:
            // a lockout that ended starts a new count; under the limit the attempt is counted
            // and the lockout pushed back; at the limit it is refused and nothing moves
            // (`attempts` stays at limit + 1 to say so).
            let row = sqlx::query(
                "INSERT INTO totp_attempts (user_id, attempts, until_ms) VALUES ($1, 1, $2) \
                 ON CONFLICT (user_id) DO UPDATE SET \
                 attempts = CASE WHEN totp_attempts.until_ms <= $3 THEN 1 \
                   WHEN totp_attempts.attempts >= $4 THEN $4 + 1 \
                   ELSE totp_attempts.attempts + 1 END, \
                 until_ms = CASE WHEN totp_attempts.until_ms <= $3 OR totp_attempts.attempts < $4 \
                   THEN $2 ELSE totp_attempts.until_ms END \
                 RETURNING attempts, until_ms",
            )
            .bind(user.as_str().to_owned())
            .bind(at.as_millis().saturating_add(lockout_ms))
            .bind(at.as_millis())
            .bind(i64::from(max_attempts))
            .fetch_one(&self.pool)
            .await?;
            let attempts: i64 = row.try_get("attempts")?;
            let until: i64 = row.try_get("until_ms")?;
            Ok(if attempts <= i64::from(max_attempts) {
                TotpAttempt::Admitted {
                    attempt: u32::try_from(attempts).unwrap_or(u32::MAX),
                }
            } else {
                TotpAttempt::Locked {
                    until: Timestamp::from_millis(until),
                }
            })
        })
        .await
    }

    async fn clear_totp_attempts(&self, user: &AccountId) -> RepoResult<()> {
        db(async {
            sqlx::query("DELETE FROM totp_attempts WHERE user_id = $1")
                .bind(user.as_str().to_owned())
                .execute(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }
}

impl OperatorRepo for Store {
    async fn create_operator(&self, rec: &OperatorRecord, event: NewEvent) -> RepoResult<Event> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let r = sqlx::query(
                "INSERT INTO operators (id, name, role, token_hash, created_at, revoked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(rec.id.clone())
            .bind(rec.name.clone())
            .bind(rec.role.as_str())
            .bind(rec.token_hash.to_vec())
            .bind(rec.created_at.as_millis())
            .bind(rec.revoked_at.map(Timestamp::as_millis))
            .execute(&mut *tx)
            .await;
            match r {
                Err(e) if is_unique_violation(&e) => {
                    tx.rollback().await?;
                    return Err(StoreError::Conflict { what: "operator" });
                }
                other => other?,
            };
            let mut ev = Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(ev.remove(0))
        })
        .await
    }

    async fn operator_by_token_hash(&self, hash: &[u8; 32]) -> RepoResult<Option<OperatorRecord>> {
        db(async {
            let sql = format!(
                "SELECT {OPERATOR_COLUMNS} FROM operators WHERE token_hash = $1 AND revoked_at IS NULL"
            );
            let row = sqlx::query(&sql)
                .bind(hash.to_vec())
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(rows::operator).transpose()
        })
        .await
    }

    async fn count_operators(&self, role: Role) -> RepoResult<u64> {
        db(async {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM operators WHERE role = $1 AND revoked_at IS NULL",
            )
            .bind(role.as_str())
            .fetch_one(&self.pool)
            .await?;
            let n: i64 = row.try_get("n")?;
            Ok(n.max(0) as u64)
        })
        .await
    }

    async fn list_operators(&self) -> RepoResult<Vec<OperatorRecord>> {
        db(async {
            let sql = format!("SELECT {OPERATOR_COLUMNS} FROM operators ORDER BY name");
            let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
            rows.iter().map(rows::operator).collect()
        })
        .await
    }

    async fn revoke_operator(
        &self,
        name: &str,
        at: Timestamp,
        event: NewEvent,
    ) -> RepoResult<Option<OperatorRecord>> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let sql = format!(
                "UPDATE operators SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL \
                 RETURNING {OPERATOR_COLUMNS}"
            );
            let row = sqlx::query(&sql)
                .bind(at.as_millis())
                .bind(name.to_owned())
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                tx.rollback().await?;
                return Ok(None);
            };
            let rec = rows::operator(&row)?;
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(Some(rec))
        })
        .await
    }
}
