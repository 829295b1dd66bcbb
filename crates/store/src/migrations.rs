//! Forward-only, versioned migrations: one transaction each, recorded in `schema_version`.

/// One schema step, with its DDL for each engine.
#[derive(Debug)]
pub struct Migration {
    /// 1, 2, 3, … without gaps.
    pub version: i64,
    /// Short description.
    pub name: &'static str,
    /// Statements for SQLite.
    pub sqlite: &'static [&'static str],
    /// Statements for PostgreSQL.
    pub postgres: &'static [&'static str],
}

/// The latest schema version this binary knows.
pub const SCHEMA_VERSION: i64 = 8;

/// Every migration, in order. Append only: never edit a released migration.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "event log, operators, TOTP, API keys",
        sqlite: &[
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, kind TEXT NOT NULL, \
         actor TEXT NOT NULL, subject TEXT NOT NULL, payload TEXT NOT NULL, prev_hash BLOB NOT NULL, \
         hash BLOB NOT NULL)",
            "CREATE INDEX events_kind_time ON events (kind, time_ms)",
            "CREATE INDEX events_subject ON events (subject)",
            "CREATE TRIGGER events_no_update BEFORE UPDATE ON events \
         BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
            "CREATE TRIGGER events_no_delete BEFORE DELETE ON events \
         BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
            "CREATE TABLE event_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, \
         hash BLOB NOT NULL)",
            "INSERT INTO event_head (id, seq, hash) VALUES (1, 0, zeroblob(32))",
            "CREATE TABLE operators (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, \
         role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'service')), \
         token_hash BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER)",
            "CREATE TABLE user_totp (user_id TEXT PRIMARY KEY, seed_sealed BLOB NOT NULL, \
         last_step INTEGER, created_at INTEGER NOT NULL)",
            "CREATE TABLE api_keys (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, label TEXT NOT NULL, \
         permissions INTEGER NOT NULL, ips TEXT NOT NULL, passphrase_hash TEXT NOT NULL, \
         secret_sealed BLOB NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER, \
         status TEXT NOT NULL, status_at INTEGER NOT NULL)",
            "CREATE INDEX api_keys_user ON api_keys (user_id)",
            "CREATE INDEX api_keys_status ON api_keys (status)",
        ],
        postgres: &[
            "CREATE TABLE events (seq BIGINT PRIMARY KEY, time_ms BIGINT NOT NULL, kind TEXT NOT NULL, \
         actor TEXT NOT NULL, subject TEXT NOT NULL, payload TEXT NOT NULL, prev_hash BYTEA NOT NULL, \
         hash BYTEA NOT NULL)",
            "CREATE INDEX events_kind_time ON events (kind, time_ms)",
            "CREATE INDEX events_subject ON events (subject)",
            "CREATE FUNCTION custodia_events_append_only() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$",
            "CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events \
         FOR EACH ROW EXECUTE FUNCTION custodia_events_append_only()",
            "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events \
         FOR EACH STATEMENT EXECUTE FUNCTION custodia_events_append_only()",
            "CREATE TABLE event_head (id BIGINT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, \
         hash BYTEA NOT NULL)",
            "INSERT INTO event_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'))",
            "CREATE TABLE operators (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, \
         role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'service')), \
         token_hash BYTEA NOT NULL UNIQUE, created_at BIGINT NOT NULL, revoked_at BIGINT)",
            "CREATE TABLE user_totp (user_id TEXT PRIMARY KEY, seed_sealed BYTEA NOT NULL, \
         last_step BIGINT, created_at BIGINT NOT NULL)",
            "CREATE TABLE api_keys (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, label TEXT NOT NULL, \
         permissions BIGINT NOT NULL, ips TEXT NOT NULL, passphrase_hash TEXT NOT NULL, \
         secret_sealed BYTEA NOT NULL, created_at BIGINT NOT NULL, last_used_at BIGINT, \
         status TEXT NOT NULL, status_at BIGINT NOT NULL)",
            "CREATE INDEX api_keys_user ON api_keys (user_id)",
            "CREATE INDEX api_keys_status ON api_keys (status)",
        ],
    },
    Migration {
        version: 2,
        name: "threat intelligence: listed addresses and hosts, published snapshots",
        sqlite: &[
            // One row per (address, entry source); `list_source` is the list import that owns the
            // row (an import replaces exactly its own rows).
            "CREATE TABLE guard_address_entries (address_key BLOB NOT NULL, source TEXT NOT NULL, \
         list_source TEXT NOT NULL, chain TEXT NOT NULL, address TEXT NOT NULL, \
         category TEXT NOT NULL CHECK (category IN ('sanctions', 'hack', 'mixer', 'phishing', 'scam')), \
         listed_date TEXT, label TEXT, imported_at INTEGER NOT NULL, \
         PRIMARY KEY (address_key, source)) WITHOUT ROWID",
            "CREATE INDEX guard_address_entries_list ON guard_address_entries (list_source)",
            "CREATE TABLE guard_domain_entries (list TEXT NOT NULL CHECK (list IN ('block', 'allow')), \
         host TEXT NOT NULL, source TEXT NOT NULL, list_source TEXT NOT NULL, \
         category TEXT NOT NULL CHECK (category IN ('sanctions', 'hack', 'mixer', 'phishing', 'scam')), \
         listed_date TEXT, imported_at INTEGER NOT NULL, PRIMARY KEY (list, host, source)) WITHOUT ROWID",
            "CREATE INDEX guard_domain_entries_list ON guard_domain_entries (list_source, list)",
            "CREATE TABLE guard_snapshots (version INTEGER PRIMARY KEY, created INTEGER NOT NULL, \
         sha256 BLOB NOT NULL, bytes BLOB NOT NULL, published_at INTEGER NOT NULL)",
        ],
        postgres: &[
            "CREATE TABLE guard_address_entries (address_key BYTEA NOT NULL, source TEXT NOT NULL, \
         list_source TEXT NOT NULL, chain TEXT NOT NULL, address TEXT NOT NULL, \
         category TEXT NOT NULL CHECK (category IN ('sanctions', 'hack', 'mixer', 'phishing', 'scam')), \
         listed_date TEXT, label TEXT, imported_at BIGINT NOT NULL, \
         PRIMARY KEY (address_key, source))",
            "CREATE INDEX guard_address_entries_list ON guard_address_entries (list_source)",
            "CREATE TABLE guard_domain_entries (list TEXT NOT NULL CHECK (list IN ('block', 'allow')), \
         host TEXT NOT NULL, source TEXT NOT NULL, list_source TEXT NOT NULL, \
         category TEXT NOT NULL CHECK (category IN ('sanctions', 'hack', 'mixer', 'phishing', 'scam')), \
         listed_date TEXT, imported_at BIGINT NOT NULL, PRIMARY KEY (list, host, source))",
            "CREATE INDEX guard_domain_entries_list ON guard_domain_entries (list_source, list)",
            "CREATE TABLE guard_snapshots (version BIGINT PRIMARY KEY, created BIGINT NOT NULL, \
         sha256 BYTEA NOT NULL, bytes BYTEA NOT NULL, published_at BIGINT NOT NULL)",
        ],
    },
    Migration {
        version: 3,
        name: "job queue",
        sqlite: &[
            // AUTOINCREMENT: a job id is never reused, so a stale lease can never name a later job.
            // A job is leased exactly when it has a lease expiry (the CHECK keeps the two in step).
            "CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, \
         job_key TEXT NOT NULL, payload BLOB NOT NULL, \
         state TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'done', 'dead')), \
         attempts INTEGER NOT NULL CHECK (attempts >= 0), \
         max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1), not_before INTEGER NOT NULL, \
         created_at INTEGER NOT NULL, worker TEXT, lease_token INTEGER NOT NULL, \
         lease_expires INTEGER, last_error TEXT, result BLOB, finished_at INTEGER, \
         UNIQUE (queue, job_key), CHECK ((state = 'leased') = (lease_expires IS NOT NULL)))",
            // Claim order within a queue and state; also serves counts and listings by state.
            "CREATE INDEX jobs_claim ON jobs (queue, state, not_before, created_at, id)",
        ],
        postgres: &[
            "CREATE TABLE jobs (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
         queue TEXT NOT NULL, job_key TEXT NOT NULL, payload BYTEA NOT NULL, \
         state TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'done', 'dead')), \
         attempts BIGINT NOT NULL CHECK (attempts >= 0), \
         max_attempts BIGINT NOT NULL CHECK (max_attempts >= 1), not_before BIGINT NOT NULL, \
         created_at BIGINT NOT NULL, worker TEXT, lease_token BIGINT NOT NULL, \
         lease_expires BIGINT, last_error TEXT, result BYTEA, finished_at BIGINT, \
         UNIQUE (queue, job_key), CHECK ((state = 'leased') = (lease_expires IS NOT NULL)))",
            "CREATE INDEX jobs_claim ON jobs (queue, state, not_before, created_at, id)",
        ],
    },
    Migration {
        version: 4,
        name: "shared TOTP attempt counts, replay claims, the gateway role",
        sqlite: &[
            // One row per user with attempts since the last correct code; see
            // `TotpRepo::begin_totp_attempt` for the rule the upsert implements.
            "CREATE TABLE totp_attempts (user_id TEXT PRIMARY KEY, attempts INTEGER NOT NULL, \
         until_ms INTEGER NOT NULL) WITHOUT ROWID",
            // Accepted signed requests (key id ‖ signature) under their signed timestamp, kept
            // until they could no longer pass the timestamp check. The timestamp leads the key:
            // claims arrive in time order, so inserts append instead of dirtying random pages.
            "CREATE TABLE replay_claims (signed_ms INTEGER NOT NULL, claim BLOB NOT NULL, \
         expires_ms INTEGER NOT NULL, PRIMARY KEY (signed_ms, claim)) WITHOUT ROWID",
            "CREATE INDEX replay_claims_expiry ON replay_claims (expires_ms)",
            // SQLite cannot alter a CHECK constraint: rebuild the table with the new role.
            "CREATE TABLE operators_v4 (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, \
         role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'service', 'gateway')), \
         token_hash BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER)",
            "INSERT INTO operators_v4 (id, name, role, token_hash, created_at, revoked_at) \
         SELECT id, name, role, token_hash, created_at, revoked_at FROM operators",
            "DROP TABLE operators",
            "ALTER TABLE operators_v4 RENAME TO operators",
        ],
        postgres: &[
            "CREATE TABLE totp_attempts (user_id TEXT PRIMARY KEY, attempts BIGINT NOT NULL, \
         until_ms BIGINT NOT NULL)",
            "CREATE TABLE replay_claims (signed_ms BIGINT NOT NULL, claim BYTEA NOT NULL, \
         expires_ms BIGINT NOT NULL, PRIMARY KEY (signed_ms, claim))",
            "CREATE INDEX replay_claims_expiry ON replay_claims (expires_ms)",
            "ALTER TABLE operators DROP CONSTRAINT operators_role_check",
            "ALTER TABLE operators ADD CONSTRAINT operators_role_check \
         CHECK (role IN ('admin', 'analyst', 'service', 'gateway'))",
        ],
    },
    Migration {
        version: 5,
        name: "audit checkpoints and the retention anchor",
        sqlite: &[
            // Signed heads of the chain. Rows stay until the anchor passes them; the anchor's own
            // row stays for good (its signed head is where the remaining chain starts).
            "CREATE TABLE audit_checkpoints (seq INTEGER PRIMARY KEY, head_hash BLOB NOT NULL, \
         time_ms INTEGER NOT NULL, public_key BLOB NOT NULL, signature BLOB NOT NULL)",
            "CREATE TABLE event_anchor (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL)",
            "INSERT INTO event_anchor (id, seq) VALUES (1, 0)",
            "CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints \
         BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
            "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints \
         WHEN OLD.seq >= COALESCE((SELECT seq FROM event_anchor WHERE id = 1), 0) \
         BEGIN SELECT RAISE(ABORT, 'audit checkpoints at or above the retention anchor are kept'); END",
            "CREATE TRIGGER event_anchor_forward BEFORE UPDATE ON event_anchor \
         WHEN NEW.id <> OLD.id OR NEW.seq <= OLD.seq \
         OR NOT EXISTS (SELECT 1 FROM audit_checkpoints WHERE seq = NEW.seq) \
         BEGIN SELECT RAISE(ABORT, 'the retention anchor only moves forward, to a stored checkpoint'); END",
            "CREATE TRIGGER event_anchor_no_delete BEFORE DELETE ON event_anchor \
         BEGIN SELECT RAISE(ABORT, 'the retention anchor cannot be deleted'); END",
            // Retention deletes the oldest events, and only those the anchor's signed head covers.
            "DROP TRIGGER events_no_delete",
            "CREATE TRIGGER events_no_delete BEFORE DELETE ON events \
         WHEN OLD.seq > COALESCE((SELECT seq FROM event_anchor WHERE id = 1), 0) \
         BEGIN SELECT RAISE(ABORT, 'events are append-only above the retention anchor'); END",
        ],
        postgres: &[
            "CREATE TABLE audit_checkpoints (seq BIGINT PRIMARY KEY, head_hash BYTEA NOT NULL, \
         time_ms BIGINT NOT NULL, public_key BYTEA NOT NULL, signature BYTEA NOT NULL)",
            "CREATE TABLE event_anchor (id BIGINT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL)",
            "INSERT INTO event_anchor (id, seq) VALUES (1, 0)",
            "CREATE FUNCTION custodia_audit_no_truncate() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'audit tables cannot be truncated'; END $$",
            "CREATE FUNCTION custodia_audit_checkpoints_guard() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN \
           IF TG_OP = 'DELETE' AND OLD.seq < (SELECT seq FROM event_anchor WHERE id = 1) THEN \
             RETURN OLD; \
           END IF; \
           RAISE EXCEPTION 'audit checkpoints are append-only at and above the retention anchor'; \
         END $$",
            "CREATE TRIGGER audit_checkpoints_guard BEFORE UPDATE OR DELETE ON audit_checkpoints \
         FOR EACH ROW EXECUTE FUNCTION custodia_audit_checkpoints_guard()",
            "CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints \
         FOR EACH STATEMENT EXECUTE FUNCTION custodia_audit_no_truncate()",
            "CREATE FUNCTION custodia_event_anchor_guard() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN \
           IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.seq > OLD.seq \
              AND EXISTS (SELECT 1 FROM audit_checkpoints WHERE seq = NEW.seq) THEN \
             RETURN NEW; \
           END IF; \
           RAISE EXCEPTION 'the retention anchor only moves forward, to a stored checkpoint'; \
         END $$",
            "CREATE TRIGGER event_anchor_guard BEFORE UPDATE OR DELETE ON event_anchor \
         FOR EACH ROW EXECUTE FUNCTION custodia_event_anchor_guard()",
            "CREATE TRIGGER event_anchor_no_truncate BEFORE TRUNCATE ON event_anchor \
         FOR EACH STATEMENT EXECUTE FUNCTION custodia_audit_no_truncate()",
            // Updates stay forbidden; deletes only at or below the anchor (retention).
            "DROP TRIGGER events_no_update ON events",
            "CREATE TRIGGER events_no_update BEFORE UPDATE ON events \
         FOR EACH ROW EXECUTE FUNCTION custodia_events_append_only()",
            "CREATE FUNCTION custodia_events_delete_guard() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN \
           IF OLD.seq <= (SELECT seq FROM event_anchor WHERE id = 1) THEN RETURN OLD; END IF; \
           RAISE EXCEPTION 'events are append-only above the retention anchor'; \
         END $$",
            "CREATE TRIGGER events_no_delete BEFORE DELETE ON events \
         FOR EACH ROW EXECUTE FUNCTION custodia_events_delete_guard()",
        ],
    },
    Migration {
        version: 6,
        name: "login defence: accounts, population, failure sources, security changes, allowlists, withdrawals",
        sqlite: &[
            // One row per account: behavioural profile (JSON), brute-force state, allowlist
            // mode, sealed anti-phishing code.
            "CREATE TABLE login_accounts (user_id TEXT PRIMARY KEY, profile TEXT, \
         failures INTEGER NOT NULL, last_failure_ms INTEGER NOT NULL, locked_until_ms INTEGER NOT NULL, \
         allowlist_only INTEGER NOT NULL, anti_phishing BLOB) WITHOUT ROWID",
            "CREATE TABLE login_population (id INTEGER PRIMARY KEY CHECK (id = 1), profile TEXT NOT NULL)",
            // Which accounts failed from which source (`ip:…` or `net:…`), latest time each.
            "CREATE TABLE login_failures (source TEXT NOT NULL, user_id TEXT NOT NULL, \
         at_ms INTEGER NOT NULL, PRIMARY KEY (source, user_id)) WITHOUT ROWID",
            "CREATE INDEX login_failures_recent ON login_failures (source, at_ms)",
            "CREATE TABLE login_security_changes (user_id TEXT NOT NULL, kind TEXT NOT NULL, \
         at_ms INTEGER NOT NULL)",
            "CREATE INDEX login_security_changes_user ON login_security_changes (user_id, at_ms)",
            "CREATE TABLE login_allowlist (user_id TEXT NOT NULL, address TEXT NOT NULL, \
         added_ms INTEGER NOT NULL, PRIMARY KEY (user_id, address)) WITHOUT ROWID",
            // Allowed withdrawals, for the rolling limits; amount as decimal text (u128).
            "CREATE TABLE login_withdrawals (user_id TEXT NOT NULL, asset TEXT NOT NULL, \
         amount TEXT NOT NULL, usd_cents INTEGER NOT NULL, at_ms INTEGER NOT NULL)",
            "CREATE INDEX login_withdrawals_user ON login_withdrawals (user_id, at_ms)",
        ],
        postgres: &[
            "CREATE TABLE login_accounts (user_id TEXT PRIMARY KEY, profile TEXT, \
         failures BIGINT NOT NULL, last_failure_ms BIGINT NOT NULL, locked_until_ms BIGINT NOT NULL, \
         allowlist_only BIGINT NOT NULL, anti_phishing BYTEA)",
            "CREATE TABLE login_population (id BIGINT PRIMARY KEY CHECK (id = 1), profile TEXT NOT NULL)",
            "CREATE TABLE login_failures (source TEXT NOT NULL, user_id TEXT NOT NULL, \
         at_ms BIGINT NOT NULL, PRIMARY KEY (source, user_id))",
            "CREATE INDEX login_failures_recent ON login_failures (source, at_ms)",
            "CREATE TABLE login_security_changes (user_id TEXT NOT NULL, kind TEXT NOT NULL, \
         at_ms BIGINT NOT NULL)",
            "CREATE INDEX login_security_changes_user ON login_security_changes (user_id, at_ms)",
            "CREATE TABLE login_allowlist (user_id TEXT NOT NULL, address TEXT NOT NULL, \
         added_ms BIGINT NOT NULL, PRIMARY KEY (user_id, address))",
            "CREATE TABLE login_withdrawals (user_id TEXT NOT NULL, asset TEXT NOT NULL, \
         amount TEXT NOT NULL, usd_cents BIGINT NOT NULL, at_ms BIGINT NOT NULL)",
            "CREATE INDEX login_withdrawals_user ON login_withdrawals (user_id, at_ms)",
        ],
    },
    Migration {
        version: 7,
        name: "safety and risk provision fund: pools, journal legs, idempotency keys",
        sqlite: &[
            // One row per pool: balance, the ADL window's peak, the ADL episode in force.
            "CREATE TABLE fund_pools (pool TEXT PRIMARY KEY, decimals INTEGER NOT NULL, \
         floor INTEGER NOT NULL, balance INTEGER NOT NULL CHECK (balance >= 0), \
         peak INTEGER NOT NULL, peak_ms INTEGER NOT NULL, adl_type TEXT, adl_since_ms INTEGER, \
         backlog INTEGER NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID",
            // Each applied operation once, with the answer a retry gets.
            "CREATE TABLE fund_ops (op_key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, \
         outcome TEXT NOT NULL, at_ms INTEGER NOT NULL) WITHOUT ROWID",
            // Double-entry legs: the legs of one op_key sum to zero; pool legs carry the
            // balance after and the pool's parts for the public filters.
            "CREATE TABLE fund_legs (id INTEGER PRIMARY KEY, op_key TEXT NOT NULL, \
         account TEXT NOT NULL, pool TEXT, line TEXT, family TEXT, ccy TEXT, kind TEXT NOT NULL, \
         delta INTEGER NOT NULL, balance INTEGER CHECK (balance >= 0), adl_type TEXT, \
         max_bal INTEGER, max_bal_ms INTEGER, at_ms INTEGER NOT NULL)",
            "CREATE INDEX fund_legs_pool_time ON fund_legs (pool, at_ms)",
            "CREATE INDEX fund_legs_op ON fund_legs (op_key)",
        ],
        postgres: &[
            "CREATE TABLE fund_pools (pool TEXT PRIMARY KEY, decimals BIGINT NOT NULL, \
         floor BIGINT NOT NULL, balance BIGINT NOT NULL CHECK (balance >= 0), \
         peak BIGINT NOT NULL, peak_ms BIGINT NOT NULL, adl_type TEXT, adl_since_ms BIGINT, \
         backlog BIGINT NOT NULL, created_ms BIGINT NOT NULL)",
            "CREATE TABLE fund_ops (op_key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, \
         outcome TEXT NOT NULL, at_ms BIGINT NOT NULL)",
            "CREATE TABLE fund_legs (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
         op_key TEXT NOT NULL, account TEXT NOT NULL, pool TEXT, line TEXT, family TEXT, ccy TEXT, \
         kind TEXT NOT NULL, delta BIGINT NOT NULL, balance BIGINT CHECK (balance >= 0), \
         adl_type TEXT, max_bal BIGINT, max_bal_ms BIGINT, at_ms BIGINT NOT NULL)",
            "CREATE INDEX fund_legs_pool_time ON fund_legs (pool, at_ms)",
            "CREATE INDEX fund_legs_op ON fund_legs (op_key)",
        ],
    },
    Migration {
        version: 8,
        name: "user protection: accounts and cooling-off, deposit-address book, recovery cases",
        sqlite: &[
            // One row per account: opening time, knowledge check, cooling-off. The order
            // check's one read.
            "CREATE TABLE protect_accounts (user_id TEXT PRIMARY KEY, opened_ms INTEGER, \
         knowledge_ms INTEGER, cooling_start_ms INTEGER, cooling_until_ms INTEGER) WITHOUT ROWID",
            // A cooling-off can only be extended: its end never moves earlier, never goes
            // away, and the row cannot be deleted.
            "CREATE TRIGGER protect_cooling_extend_only BEFORE UPDATE ON protect_accounts \
         WHEN OLD.cooling_until_ms IS NOT NULL AND (NEW.cooling_until_ms IS NULL \
         OR NEW.cooling_until_ms < OLD.cooling_until_ms) \
         BEGIN SELECT RAISE(ABORT, 'a cooling-off period can only be extended'); END",
            "CREATE TRIGGER protect_accounts_no_delete BEFORE DELETE ON protect_accounts \
         BEGIN SELECT RAISE(ABORT, 'a cooling-off period can only be extended'); END",
            // The deposit-address book: family-qualified canonical address and memo ('' when
            // none).
            "CREATE TABLE protect_addresses (address_key TEXT NOT NULL, memo TEXT NOT NULL, \
         user_id TEXT NOT NULL, network TEXT NOT NULL, \
         status TEXT NOT NULL CHECK (status IN ('active', 'retired')), updated_ms INTEGER NOT NULL, \
         PRIMARY KEY (address_key, memo)) WITHOUT ROWID",
            "CREATE INDEX protect_addresses_user ON protect_addresses (user_id)",
            "CREATE TABLE protect_cases (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, \
         transfer TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, network TEXT NOT NULL, \
         tx_hash TEXT NOT NULL, token TEXT, to_address TEXT NOT NULL, memo TEXT, asset TEXT, \
         decimals INTEGER NOT NULL, amount TEXT NOT NULL, usd_cents INTEGER NOT NULL, \
         fee_units TEXT NOT NULL, fee_usd_cents INTEGER NOT NULL, reason TEXT NOT NULL, \
         state TEXT NOT NULL CHECK (state IN ('opened', 'ownership_verified', 'approved', \
         'recovered', 'credited', 'rejected')), outcome TEXT, opened_ms INTEGER NOT NULL, \
         updated_ms INTEGER NOT NULL, \
         CHECK ((state IN ('recovered', 'credited', 'rejected')) = (outcome IS NOT NULL)))",
            "CREATE INDEX protect_cases_user ON protect_cases (user_id, opened_ms)",
            "CREATE INDEX protect_cases_state ON protect_cases (state, id)",
            // Every transition with its actor; append-only.
            "CREATE TABLE protect_case_log (case_id TEXT NOT NULL, seq INTEGER NOT NULL, \
         from_state TEXT, to_state TEXT NOT NULL, actor TEXT NOT NULL, at_ms INTEGER NOT NULL, \
         note TEXT, PRIMARY KEY (case_id, seq)) WITHOUT ROWID",
            "CREATE TRIGGER protect_case_log_no_update BEFORE UPDATE ON protect_case_log \
         BEGIN SELECT RAISE(ABORT, 'the case log is append-only'); END",
            "CREATE TRIGGER protect_case_log_no_delete BEFORE DELETE ON protect_case_log \
         BEGIN SELECT RAISE(ABORT, 'the case log is append-only'); END",
        ],
        postgres: &[
            "CREATE TABLE protect_accounts (user_id TEXT PRIMARY KEY, opened_ms BIGINT, \
         knowledge_ms BIGINT, cooling_start_ms BIGINT, cooling_until_ms BIGINT)",
            "CREATE FUNCTION custodia_protect_cooling_guard() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN \
           IF TG_OP <> 'UPDATE' THEN RAISE EXCEPTION 'a cooling-off period can only be extended'; END IF; \
           IF OLD.cooling_until_ms IS NOT NULL AND (NEW.cooling_until_ms IS NULL \
              OR NEW.cooling_until_ms < OLD.cooling_until_ms) THEN \
             RAISE EXCEPTION 'a cooling-off period can only be extended'; \
           END IF; \
           RETURN NEW; \
         END $$",
            "CREATE TRIGGER protect_cooling_extend_only BEFORE UPDATE OR DELETE ON protect_accounts \
         FOR EACH ROW EXECUTE FUNCTION custodia_protect_cooling_guard()",
            "CREATE TRIGGER protect_accounts_no_truncate BEFORE TRUNCATE ON protect_accounts \
         FOR EACH STATEMENT EXECUTE FUNCTION custodia_protect_cooling_guard()",
            "CREATE TABLE protect_addresses (address_key TEXT NOT NULL, memo TEXT NOT NULL, \
         user_id TEXT NOT NULL, network TEXT NOT NULL, \
         status TEXT NOT NULL CHECK (status IN ('active', 'retired')), updated_ms BIGINT NOT NULL, \
         PRIMARY KEY (address_key, memo))",
            "CREATE INDEX protect_addresses_user ON protect_addresses (user_id)",
            "CREATE TABLE protect_cases (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, \
         transfer TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, network TEXT NOT NULL, \
         tx_hash TEXT NOT NULL, token TEXT, to_address TEXT NOT NULL, memo TEXT, asset TEXT, \
         decimals BIGINT NOT NULL, amount TEXT NOT NULL, usd_cents BIGINT NOT NULL, \
         fee_units TEXT NOT NULL, fee_usd_cents BIGINT NOT NULL, reason TEXT NOT NULL, \
         state TEXT NOT NULL CHECK (state IN ('opened', 'ownership_verified', 'approved', \
         'recovered', 'credited', 'rejected')), outcome TEXT, opened_ms BIGINT NOT NULL, \
         updated_ms BIGINT NOT NULL, \
         CHECK ((state IN ('recovered', 'credited', 'rejected')) = (outcome IS NOT NULL)))",
            "CREATE INDEX protect_cases_user ON protect_cases (user_id, opened_ms)",
            "CREATE INDEX protect_cases_state ON protect_cases (state, id)",
            "CREATE TABLE protect_case_log (case_id TEXT NOT NULL, seq BIGINT NOT NULL, \
         from_state TEXT, to_state TEXT NOT NULL, actor TEXT NOT NULL, at_ms BIGINT NOT NULL, \
         note TEXT, PRIMARY KEY (case_id, seq))",
            "CREATE FUNCTION custodia_protect_log_append_only() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'the case log is append-only'; END $$",
            "CREATE TRIGGER protect_case_log_no_change BEFORE UPDATE OR DELETE ON protect_case_log \
         FOR EACH ROW EXECUTE FUNCTION custodia_protect_log_append_only()",
            "CREATE TRIGGER protect_case_log_no_truncate BEFORE TRUNCATE ON protect_case_log \
         FOR EACH STATEMENT EXECUTE FUNCTION custodia_protect_log_append_only()",
        ],
    },
];

// The count assertion: adding a migration without bumping SCHEMA_VERSION (or the reverse) does
// not compile.
const _: () = assert!(MIGRATIONS.len() as i64 == SCHEMA_VERSION);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_contiguous_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.name);
            assert!(!m.sqlite.is_empty() && !m.postgres.is_empty(), "{}", m.name);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
