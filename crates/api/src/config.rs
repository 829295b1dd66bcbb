//! One configuration for the service: TOML file, then `CUSTODIA_*` environment overrides.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use custodia_keys::{Argon2Params, KeyPolicy, SecretString};
use serde::Deserialize;
use thiserror::Error;

/// Why configuration could not be loaded. Messages never include secret values.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown or mistyped keys.
    #[error("invalid configuration: {0}")]
    Toml(String),
    /// An environment override has a value of the wrong type.
    #[error("environment variable {var}: {why}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        why: String,
    },
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The whole configuration. Every field has a default except `secrets.kek`, which `serve` requires.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// HTTP server.
    pub server: ServerConfig,
    /// Database.
    pub store: StoreConfig,
    /// API-key rules and caches.
    pub keys: KeysConfig,
    /// Secrets (print as `***`).
    pub secrets: SecretsConfig,
    /// Logging.
    pub log: LogConfig,
    /// Threat intelligence (`crate::guard`).
    pub guard: crate::guard::GuardConfig,
    /// Pages served to users (`crate::web`).
    pub web: crate::web::WebConfig,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Listen address (`127.0.0.1:8080`).
    pub listen: String,
    /// Seconds to let in-flight requests finish after SIGTERM / ctrl-c.
    pub shutdown_grace_secs: u64,
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// How long a verified operator token stays cached, in seconds (revocation delay).
    pub operator_cache_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            shutdown_grace_secs: 10,
            body_limit_bytes: 256 * 1024,
            operator_cache_secs: 30,
        }
    }
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `sqlite://PATH` (default `sqlite://custodia.db`), `sqlite::memory:` or `postgres://…`.
    pub url: SecretString,
    /// Pool size.
    pub max_connections: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: SecretString::new("sqlite://custodia.db"),
            max_connections: 8,
        }
    }
}

/// `[keys]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// Largest accepted distance between `OK-ACCESS-TIMESTAMP` and server time.
    pub timestamp_window_secs: u64,
    /// Idle days after which unbound trade/withdraw keys expire.
    pub idle_expiry_days: u64,
    /// Seconds between idle purges inside `serve` (0 disables the schedule).
    pub purge_interval_secs: u64,
    /// Most IP entries per key.
    pub max_ips: usize,
    /// Live entries the replay cache holds before it fails closed.
    pub replay_cache_capacity: usize,
    /// Seconds between writes of `last_used_at` and `api_key.used` events.
    pub usage_flush_secs: u64,
    /// Seconds a key (and its decrypted secret) stays cached before being re-read.
    pub key_cache_secs: u64,
    /// Argon2id memory (KiB) for new passphrase hashes.
    pub argon2_memory_kib: u32,
    /// Argon2id iterations.
    pub argon2_iterations: u32,
    /// Argon2id lanes.
    pub argon2_parallelism: u32,
    /// Issuer shown in authenticator apps.
    pub totp_issuer: String,
    /// Wrong TOTP codes per user before a lockout.
    pub totp_max_failures: u32,
    /// Lockout length, in seconds.
    pub totp_lockout_secs: u64,
}

impl Default for KeysConfig {
    fn default() -> Self {
        let a = Argon2Params::default();
        Self {
            timestamp_window_secs: 30,
            idle_expiry_days: 14,
            purge_interval_secs: 3600,
            max_ips: 20,
            replay_cache_capacity: 1_000_000,
            usage_flush_secs: 10,
            key_cache_secs: 5,
            argon2_memory_kib: a.memory_kib,
            argon2_iterations: a.iterations,
            argon2_parallelism: a.parallelism,
            totp_issuer: "Custodia".into(),
            totp_max_failures: 5,
            totp_lockout_secs: 300,
        }
    }
}

impl KeysConfig {
    /// The domain policy these settings describe.
    pub fn policy(&self) -> KeyPolicy {
        KeyPolicy {
            window_ms: (self.timestamp_window_secs as i64).saturating_mul(1000),
            idle_expiry_ms: (self.idle_expiry_days as i64).saturating_mul(86_400_000),
            max_ips: self.max_ips,
            argon2: Argon2Params {
                memory_kib: self.argon2_memory_kib,
                iterations: self.argon2_iterations,
                parallelism: self.argon2_parallelism,
            },
        }
    }
}

/// `[secrets]`: prefer the environment (`CUSTODIA_SECRETS_KEK`, or `…_FILE` pointing at a file).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// Key-encryption key for secrets at rest: 64 hex digits or base64 of 32 bytes.
    pub kek: Option<SecretString>,
    /// If set and no admin exists yet, `serve` creates an admin operator with this bearer token.
    pub bootstrap_admin_token: Option<SecretString>,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Target filter, e.g. `info` or `info,custodia_api=debug`.
    pub filter: String,
    /// `text` or `json`.
    pub format: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            filter: "info".into(),
            format: "text".into(),
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
}

/// Every environment override: `CUSTODIA_<SECTION>_<KEY>`; secrets and the store URL also accept
/// `…_FILE` (the value is read from that file, trailing newline removed).
const ENV: &[(&str, &str, Kind, bool)] = &[
    ("server", "listen", Kind::Str, false),
    ("server", "shutdown_grace_secs", Kind::Int, false),
    ("server", "body_limit_bytes", Kind::Int, false),
    ("server", "operator_cache_secs", Kind::Int, false),
    ("store", "url", Kind::Str, true),
    ("store", "max_connections", Kind::Int, false),
    ("keys", "timestamp_window_secs", Kind::Int, false),
    ("keys", "idle_expiry_days", Kind::Int, false),
    ("keys", "purge_interval_secs", Kind::Int, false),
    ("keys", "max_ips", Kind::Int, false),
    ("keys", "replay_cache_capacity", Kind::Int, false),
    ("keys", "usage_flush_secs", Kind::Int, false),
    ("keys", "key_cache_secs", Kind::Int, false),
    ("keys", "argon2_memory_kib", Kind::Int, false),
    ("keys", "argon2_iterations", Kind::Int, false),
    ("keys", "argon2_parallelism", Kind::Int, false),
    ("keys", "totp_issuer", Kind::Str, false),
    ("keys", "totp_max_failures", Kind::Int, false),
    ("keys", "totp_lockout_secs", Kind::Int, false),
    ("secrets", "kek", Kind::Str, true),
    ("secrets", "bootstrap_admin_token", Kind::Str, true),
    ("log", "filter", Kind::Str, false),
    ("log", "format", Kind::Str, false),
    ("web", "verifier_page", Kind::Str, false),
];

/// The names of every supported environment variable (for docs and `--help`).
pub fn env_var_names() -> Vec<String> {
    ENV.iter()
        .map(|(s, k, _, _)| format!("CUSTODIA_{}_{}", s.to_uppercase(), k.to_uppercase()))
        .collect()
}

impl Config {
    /// Loads `path` (or the defaults when `None`), then applies `CUSTODIA_*` overrides from the
    /// process environment, then validates.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                path: p.to_owned(),
                source,
            })?,
            None => String::new(),
        };
        Self::from_parts(&text, std::env::vars())
    }

    /// [`Config::load`] with the file's text and the environment given explicitly (for tests).
    pub fn from_parts(
        toml_text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut root: toml::Table =
            toml::from_str(toml_text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        let env: Vec<(String, String)> = env.into_iter().collect();
        for (section, key, kind, file_ok) in ENV {
            let var = format!("CUSTODIA_{}_{}", section.to_uppercase(), key.to_uppercase());
            let file_var = format!("{var}_FILE");
            let direct = env.iter().find(|(k, _)| *k == var).map(|(_, v)| v.clone());
            let from_file = if *file_ok {
                env.iter()
                    .find(|(k, _)| *k == file_var)
                    .map(|(_, p)| p.clone())
            } else {
                None
            };
            let raw = match (direct, from_file) {
                (Some(_), Some(_)) => {
                    return Err(ConfigError::Env {
                        var: var.clone(),
                        why: format!("set either {var} or {file_var}, not both"),
                    });
                }
                (Some(v), None) => v,
                (None, Some(p)) => std::fs::read_to_string(&p)
                    .map_err(|e| ConfigError::Env {
                        var: file_var.clone(),
                        why: format!("cannot read {p}: {e}"),
                    })?
                    .trim_end_matches(['\n', '\r'])
                    .to_owned(),
                (None, None) => continue,
            };
            let value = match kind {
                Kind::Str => toml::Value::String(raw),
                Kind::Int => {
                    toml::Value::Integer(raw.trim().parse().map_err(|_| ConfigError::Env {
                        var: var.clone(),
                        why: "expected a whole number".into(),
                    })?)
                }
            };
            let table = root
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match table {
                toml::Value::Table(t) => {
                    t.insert(key.to_string(), value);
                }
                _ => {
                    return Err(ConfigError::Toml(format!("`{section}` must be a table")));
                }
            }
        }
        let cfg: Config = toml::Value::Table(root)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Toml(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.server.listen.parse::<SocketAddr>().is_err() {
            return bad("server.listen must be IP:PORT, e.g. 127.0.0.1:8080");
        }
        let k = &self.keys;
        if k.timestamp_window_secs == 0 || k.timestamp_window_secs > 300 {
            return bad("keys.timestamp_window_secs must be 1 to 300");
        }
        if k.idle_expiry_days == 0 {
            return bad("keys.idle_expiry_days must be at least 1");
        }
        if k.max_ips == 0 || k.max_ips > 100 {
            return bad("keys.max_ips must be 1 to 100");
        }
        if k.replay_cache_capacity < 16 {
            return bad("keys.replay_cache_capacity must be at least 16");
        }
        if k.usage_flush_secs == 0 || k.key_cache_secs == 0 {
            return bad("keys.usage_flush_secs and keys.key_cache_secs must be at least 1");
        }
        if k.argon2_memory_kib < 8 * k.argon2_parallelism.max(1)
            || k.argon2_iterations == 0
            || k.argon2_parallelism == 0
        {
            return bad(
                "keys.argon2_*: memory must be at least 8 KiB per lane, iterations and lanes at least 1",
            );
        }
        if k.totp_issuer.is_empty() || k.totp_issuer.contains(':') {
            return bad("keys.totp_issuer must be non-empty and must not contain ':'");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return bad("log.format must be `text` or `json`");
        }
        if self.store.max_connections == 0 {
            return bad("store.max_connections must be at least 1");
        }
        self.guard.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn defaults_file_and_env_precedence() {
        let c = Config::from_parts("", env(&[])).unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:8080");
        assert_eq!(c.keys.policy(), KeyPolicy::default());
        assert!(c.secrets.kek.is_none());
        let c = Config::from_parts(
            "[server]\nlisten = \"0.0.0.0:9000\"\n[keys]\nidle_expiry_days = 30\n",
            env(&[
                ("CUSTODIA_KEYS_IDLE_EXPIRY_DAYS", "7"),
                ("CUSTODIA_SECRETS_KEK", "abc"),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.server.listen, "0.0.0.0:9000");
        assert_eq!(c.keys.idle_expiry_days, 7, "env wins over the file");
        assert_eq!(c.secrets.kek.as_ref().unwrap().expose(), "abc");
    }

    #[test]
    fn every_documented_variable_maps_to_a_field() {
        let mut pairs = Vec::new();
        for (s, k, kind, _) in ENV {
            let var = format!("CUSTODIA_{}_{}", s.to_uppercase(), k.to_uppercase());
            let v = match (kind, *k) {
                (_, "listen") => "127.0.0.1:1".to_owned(),
                (_, "format") => "json".to_owned(),
                (_, "totp_issuer") => "X".to_owned(),
                (Kind::Int, "argon2_memory_kib") => "64".to_owned(),
                (Kind::Int, "replay_cache_capacity") => "64".to_owned(),
                (Kind::Int, _) => "3".to_owned(),
                (Kind::Str, _) => "v".to_owned(),
            };
            pairs.push((var, v));
        }
        let c = Config::from_parts("", pairs).unwrap();
        assert_eq!(c.keys.max_ips, 3);
        assert_eq!(c.log.format, "json");
        assert_eq!(env_var_names().len(), ENV.len());
    }

    #[test]
    fn secrets_from_files_and_never_printed() {
        let dir = std::env::temp_dir().join(format!("custodia-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("kek");
        std::fs::write(&f, "s3cr3t-kek-value\n").unwrap();
        let c = Config::from_parts(
            "[secrets]\nbootstrap_admin_token = \"tok-very-secret\"\n",
            env(&[("CUSTODIA_SECRETS_KEK_FILE", f.to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(c.secrets.kek.as_ref().unwrap().expose(), "s3cr3t-kek-value");
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("s3cr3t") && !dbg.contains("tok-very-secret"),
            "{dbg}"
        );
        let both = Config::from_parts(
            "",
            env(&[
                ("CUSTODIA_SECRETS_KEK_FILE", "x"),
                ("CUSTODIA_SECRETS_KEK", "y"),
            ]),
        );
        assert!(matches!(both, Err(ConfigError::Env { .. })));
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// `(toml, env, expected error fragment)`.
    #[test]
    fn rejections() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case<'_>] = &[
            ("[server]\nlisten = \"nope\"\n", &[], "server.listen"),
            ("[server]\nlisten = 8080\n", &[], "invalid type"),
            ("[server]\nlistne = \"x\"\n", &[], "unknown field `listne`"),
            ("[nope]\n", &[], "unknown field `nope`"),
            (
                "",
                &[("CUSTODIA_KEYS_MAX_IPS", "many")],
                "expected a whole number",
            ),
            ("", &[("CUSTODIA_KEYS_MAX_IPS", "0")], "keys.max_ips"),
            (
                "",
                &[("CUSTODIA_KEYS_TIMESTAMP_WINDOW_SECS", "0")],
                "timestamp_window_secs",
            ),
            ("", &[("CUSTODIA_LOG_FORMAT", "xml")], "log.format"),
            ("", &[("CUSTODIA_KEYS_TOTP_ISSUER", "a:b")], "totp_issuer"),
            ("not toml", &[], "invalid configuration"),
        ];
        for (toml, e, want) in cases {
            let err = Config::from_parts(toml, env(e)).unwrap_err().to_string();
            assert!(err.contains(want), "{toml:?} {e:?}: {err}");
        }
    }
}
