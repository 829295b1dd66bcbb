//! `[audit]`: signed checkpoints of the event chain and retention.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// `[audit]`.
///
/// ```toml
/// [audit]
/// checkpoint_key_file = "/etc/custodia/checkpoint.key"  # from `custodia audit keygen`; mode 0600
/// checkpoint_interval_secs = 300   # sign the chain head this often (only when it moved)
/// checkpoint_log = "/var/log/custodia/checkpoints.jsonl"  # optional copy off the database
/// retention_days = 0               # 0 keeps every event; otherwise prune up to a checkpoint
/// prune_interval_secs = 3600
/// verify_interval_secs = 3600      # check the whole chain this often (0: never); metrics + console
/// ```
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// The ed25519 key that signs checkpoints (`custodia audit keygen --out FILE`). Keep it
    /// off the database host's backups: whoever holds it can sign a rewritten log. Unset: no
    /// checkpoints, and the log is only as trustworthy as the database.
    pub checkpoint_key_file: Option<PathBuf>,
    /// Seconds between checkpoints; one is written only when the head moved.
    pub checkpoint_interval_secs: u64,
    /// JSON-lines file every checkpoint is appended to (best on another machine or a
    /// write-once mount): `custodia audit verify --checkpoints FILE` compares it with the
    /// database, which catches checkpoint rows deleted along with the tail.
    pub checkpoint_log: Option<PathBuf>,
    /// Days of events to keep; 0 keeps everything. Older events are deleted only up to the
    /// newest signed checkpoint older than this, which becomes the chain's anchor.
    pub retention_days: u64,
    /// Seconds between retention runs.
    pub prune_interval_secs: u64,
    /// Seconds between checks of the whole chain by the running service (from the anchor to
    /// the head, checkpoint signatures included when a key is configured), exported as
    /// `custodia_audit_chain_intact` and shown on the console; 0 turns the check off. Each
    /// check reads every event, so keep it long for large logs.
    pub verify_interval_secs: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            checkpoint_key_file: None,
            checkpoint_interval_secs: 300,
            checkpoint_log: None,
            retention_days: 0,
            prune_interval_secs: 3600,
            verify_interval_secs: 3600,
        }
    }
}

/// Longest retention accepted (a century): keeps the period in milliseconds far from overflow.
const MAX_RETENTION_DAYS: u64 = 36_500;

impl AuditConfig {
    /// Checks the section on its own (files are opened by the binary at start-up).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if self.checkpoint_interval_secs == 0 {
            return bad("audit.checkpoint_interval_secs must be at least 1".into());
        }
        if self.prune_interval_secs == 0 {
            return bad("audit.prune_interval_secs must be at least 1".into());
        }
        if self.retention_days > MAX_RETENTION_DAYS {
            return bad(format!(
                "audit.retention_days must be at most {MAX_RETENTION_DAYS}, got {}",
                self.retention_days
            ));
        }
        if self.checkpoint_key_file.is_none() {
            if self.retention_days > 0 {
                return bad(
                    "audit.retention_days needs audit.checkpoint_key_file: events are \
                            pruned only up to a signed checkpoint, so the rest of the log still \
                            verifies"
                        .into(),
                );
            }
            if self.checkpoint_log.is_some() {
                return bad(
                    "audit.checkpoint_log needs audit.checkpoint_key_file (there is \
                            nothing to log without checkpoints)"
                        .into(),
                );
            }
        }
        Ok(())
    }

    /// The retention period in milliseconds; `None` keeps everything.
    pub fn retention_ms(&self) -> Option<i64> {
        (self.retention_days > 0).then(|| self.retention_days as i64 * 86_400_000)
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    #[test]
    fn retention_with_a_key_loads_and_without_one_is_refused() {
        let ok = "[audit]\ncheckpoint_key_file = \"k\"\nretention_days = 30\n";
        let c = Config::from_parts(ok, Vec::<(String, String)>::new()).unwrap();
        assert_eq!(c.audit.retention_ms(), Some(30 * 86_400_000));
        assert_eq!(Config::default().audit.retention_ms(), None, "keep forever");
        let e = Config::from_parts(
            "[audit]\nretention_days = 30\n",
            Vec::<(String, String)>::new(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("checkpoint_key_file"), "{e}");
        let e = Config::from_parts(
            "[audit]\ncheckpoint_key_file = \"k\"\nretention_days = 36501\n",
            Vec::<(String, String)>::new(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("at most 36500"), "{e}");
    }
}
