//! Row decoding: stored columns back to domain types.

use custodia_events::{Actor, Digest, Event, EventKind, NewEvent, Payload, Subject, Timestamp};
use custodia_keys::{
    ApiKey, ApiKeyId, IpAllowlist, KeyStatus, Label, PassphraseHash, Permissions, SealedSecret,
};
use custodia_primitives::AccountId;
use sqlx::Row;
use sqlx::any::AnyRow;

use custodia_guard::StoredSnapshot;
use custodia_keys::{OperatorRecord, Role};

use crate::StoreError;

pub(crate) const EVENT_COLUMNS: &str =
    "seq, time_ms, kind, actor, subject, payload, prev_hash, hash";

pub(crate) const KEY_COLUMNS: &str = "id, user_id, label, permissions, ips, passphrase_hash, \
     secret_sealed, created_at, last_used_at, status, status_at";

pub(crate) const OPERATOR_COLUMNS: &str = "id, name, role, token_hash, created_at, revoked_at";

/// A digest column; a wrong length decodes to a value no real hash equals in practice, so the
/// chain check reports the row instead of failing to read it.
pub(crate) fn digest(b: &[u8]) -> Digest {
    Digest::from_slice(b).unwrap_or(Digest([0xff; 32]))
}

pub(crate) fn event(row: &AnyRow) -> Result<Event, StoreError> {
    let seq: i64 = row.try_get("seq")?;
    let prev: Vec<u8> = row.try_get("prev_hash")?;
    let hash: Vec<u8> = row.try_get("hash")?;
    Ok(Event {
        seq: u64::try_from(seq).map_err(|_| StoreError::corrupt("events", "negative seq"))?,
        body: NewEvent {
            time: Timestamp::from_millis(row.try_get("time_ms")?),
            kind: EventKind::from_stored(row.try_get("kind")?),
            actor: Actor::from_stored(row.try_get("actor")?),
            subject: Subject::from_stored(row.try_get("subject")?),
            payload: Payload::from_stored(row.try_get("payload")?),
        },
        prev_hash: digest(&prev),
        hash: digest(&hash),
    })
}

pub(crate) fn api_key(row: &AnyRow) -> Result<ApiKey, StoreError> {
    let c = |e: custodia_keys::KeyError| StoreError::corrupt("api_keys", e);
    let id: String = row.try_get("id")?;
    let user: String = row.try_get("user_id")?;
    let ips: String = row.try_get("ips")?;
    let status: String = row.try_get("status")?;
    let last_used: Option<i64> = row.try_get("last_used_at")?;
    Ok(ApiKey {
        id: ApiKeyId::parse(&id).map_err(c)?,
        user: AccountId::new(user).map_err(|e| StoreError::corrupt("api_keys", e))?,
        label: Label::new(row.try_get::<String, _>("label")?).map_err(c)?,
        permissions: Permissions::from_bits(row.try_get("permissions")?).map_err(c)?,
        ips: IpAllowlist::from_stored(&ips).map_err(c)?,
        passphrase_hash: PassphraseHash::from_stored(row.try_get("passphrase_hash")?).map_err(c)?,
        secret_sealed: SealedSecret(row.try_get("secret_sealed")?),
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        last_used_at: last_used.map(Timestamp::from_millis),
        status: KeyStatus::parse(&status).map_err(c)?,
        status_at: Timestamp::from_millis(row.try_get("status_at")?),
    })
}

pub(crate) fn operator(row: &AnyRow) -> Result<OperatorRecord, StoreError> {
    let role: String = row.try_get("role")?;
    let hash: Vec<u8> = row.try_get("token_hash")?;
    let revoked: Option<i64> = row.try_get("revoked_at")?;
    Ok(OperatorRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::corrupt("operators", "role"))?,
        token_hash: <[u8; 32]>::try_from(hash.as_slice())
            .map_err(|_| StoreError::corrupt("operators", "token hash length"))?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        revoked_at: revoked.map(Timestamp::from_millis),
    })
}

fn guard_category(table: &'static str, s: &str) -> Result<custodia_guard::Category, StoreError> {
    custodia_guard::Category::ALL
        .into_iter()
        .find(|c| c.as_str() == s)
        .ok_or_else(|| StoreError::corrupt(table, format!("category `{s}`")))
}

fn guard_date(
    table: &'static str,
    d: Option<String>,
) -> Result<Option<custodia_guard::Date>, StoreError> {
    d.map(|d| d.parse().map_err(|e| StoreError::corrupt(table, e)))
        .transpose()
}

pub(crate) fn guard_address(row: &AnyRow) -> Result<custodia_guard::AddressEntry, StoreError> {
    const T: &str = "guard_address_entries";
    let key: Vec<u8> = row.try_get("address_key")?;
    let category: String = row.try_get("category")?;
    Ok(custodia_guard::AddressEntry {
        address: custodia_guard::Address::from_key_bytes(&key)
            .map_err(|e| StoreError::corrupt(T, e))?,
        category: guard_category(T, &category)?,
        source: row.try_get("source")?,
        date: guard_date(T, row.try_get("listed_date")?)?,
        label: row.try_get("label")?,
    })
}

pub(crate) fn guard_domain(row: &AnyRow) -> Result<custodia_guard::DomainEntry, StoreError> {
    const T: &str = "guard_domain_entries";
    let category: String = row.try_get("category")?;
    Ok(custodia_guard::DomainEntry {
        host: row.try_get("host")?,
        category: guard_category(T, &category)?,
        source: row.try_get("source")?,
        date: guard_date(T, row.try_get("listed_date")?)?,
    })
}

pub(crate) fn guard_snapshot(row: &AnyRow) -> Result<StoredSnapshot, StoreError> {
    const T: &str = "guard_snapshots";
    let version: i64 = row.try_get("version")?;
    let created: i64 = row.try_get("created")?;
    let sha: Vec<u8> = row.try_get("sha256")?;
    Ok(StoredSnapshot {
        version: u64::try_from(version).map_err(|_| StoreError::corrupt(T, "negative version"))?,
        created: u64::try_from(created).map_err(|_| StoreError::corrupt(T, "negative created"))?,
        sha256: <[u8; 32]>::try_from(sha.as_slice())
            .map_err(|_| StoreError::corrupt(T, "sha256 length"))?,
        bytes: row.try_get("bytes")?,
        published_at: Timestamp::from_millis(row.try_get("published_at")?),
    })
}
