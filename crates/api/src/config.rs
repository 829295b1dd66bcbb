//! One configuration for the service: TOML file, then `CUSTODIA_*` environment overrides.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use custodia_keys::SecretString;
use serde::{Deserialize, Serialize, Serializer};

pub use crate::error::ConfigError;

/// The whole configuration. Every field has a default except `secrets.kek`, which `serve` requires.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// HTTP server.
    pub server: ServerConfig,
    /// Database.
    pub store: StoreConfig,
    /// API-key rules and caches (`crate::keys`).
    pub keys: crate::keys::KeysConfig,
    /// Secrets (print as `***`).
    pub secrets: SecretsConfig,
    /// Logging.
    pub log: LogConfig,
    /// Threat intelligence (`crate::guard`).
    pub guard: crate::guard::GuardConfig,
    /// Account-takeover defence (`crate::login`).
    pub login: crate::login::LoginConfig,
    /// Safety fund and risk provision fund (`crate::fund`).
    pub fund: crate::fund::FundConfig,
    /// Scam-token detection (`crate::token`).
    pub token: crate::token::TokenConfig,
    /// User protection (`crate::protect`).
    pub protect: crate::protect::ProtectConfig,
    /// Pages served to users (`crate::web`).
    pub web: crate::web::WebConfig,
    /// Users' inclusion files (`crate::por`).
    pub por: crate::por::PorConfig,
    /// Audit-log checkpoints and retention (`crate::audit`).
    pub audit: crate::audit::AuditConfig,
    /// The operator console (`crate::console`).
    pub console: crate::console::ConsoleConfig,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
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
    /// Seconds a client has to send a request's headers (and an idle keep-alive connection
    /// lives): slow or silent clients are disconnected after it.
    pub header_timeout_secs: u64,
    /// Seconds a request may take in all, body included, before it is answered `408`.
    pub request_timeout_secs: u64,
    /// Open connections at most; further clients wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Largest accepted request head (request line plus headers), in bytes; larger heads are
    /// answered `431` with a JSON body.
    pub max_header_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            shutdown_grace_secs: 10,
            body_limit_bytes: 256 * 1024,
            operator_cache_secs: 30,
            header_timeout_secs: 10,
            request_timeout_secs: 30,
            max_connections: 4096,
            max_header_bytes: 32 * 1024,
        }
    }
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `sqlite://PATH` (default `sqlite://custodia.db`), `sqlite::memory:` or `postgres://…`.
    #[serde(serialize_with = "redacted")]
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

/// `[secrets]`: prefer the environment (`CUSTODIA_SECRETS_KEK`, or `…_FILE` pointing at a file).
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// Key-encryption key for secrets at rest: 64 hex digits or base64 of 32 bytes.
    #[serde(serialize_with = "redacted_opt")]
    pub kek: Option<SecretString>,
    /// If set and no admin exists yet, `serve` creates an admin operator with this bearer token.
    #[serde(serialize_with = "redacted_opt")]
    pub bootstrap_admin_token: Option<SecretString>,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
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

/// A database URL with its password (in the user part or a `password=` parameter) replaced
/// by `***`; everything else, which an operator needs to see, is kept.
pub fn redact_url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let head = match head.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((user, host)) => {
                let user = user.split_once(':').map_or(user, |(u, _)| u);
                let masked = if rest[..rest.len() - host.len() - 1].contains(':') {
                    format!("{user}:***")
                } else {
                    user.to_owned()
                };
                format!("{scheme}://{masked}@{host}")
            }
            None => head.to_owned(),
        },
        None => head.to_owned(),
    };
    match query {
        None => head,
        Some(q) => {
            let q: Vec<String> = q
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_owned(),
                })
                .collect();
            format!("{head}?{}", q.join("&"))
        }
    }
}

/// Secrets never serialise as themselves.
fn redacted<S: Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("***")
}

fn redacted_opt<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_str("***"),
        None => s.serialize_none(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Str,
    Int,
    Bool,
}

/// One `CUSTODIA_<SECTION>_<KEY>` variable.
#[derive(Debug, Clone)]
struct EnvVar {
    section: String,
    key: String,
    kind: Kind,
}

impl EnvVar {
    fn name(&self) -> String {
        format!(
            "CUSTODIA_{}_{}",
            self.section.to_uppercase(),
            self.key.to_uppercase()
        )
    }
}

/// Every environment override, derived from the configuration's own shape: each scalar field
/// of each section (`[section] key = …`) is `CUSTODIA_<SECTION>_<KEY>`. Optional fields are
/// given a value first so they appear in the shape. Nested tables and lists are file-only.
/// Every string variable also accepts `…_FILE` (the value is read from that file, trailing
/// newline removed): the way to pass secrets without putting them in the environment.
fn env_vars() -> Vec<EnvVar> {
    let mut shape = Config::default();
    shape.secrets.kek = Some(SecretString::new(String::new()));
    shape.secrets.bootstrap_admin_token = Some(SecretString::new(String::new()));
    shape.web.verifier_page = Some(PathBuf::new());
    shape.por.delivery_dir = Some(PathBuf::new());
    shape.audit.checkpoint_key_file = Some(PathBuf::new());
    shape.audit.checkpoint_log = Some(PathBuf::new());
    shape.console.rounds_dir = Some(PathBuf::new());
    shape.console.reports_dir = Some(PathBuf::new());
    let Ok(toml::Value::Table(root)) = toml::Value::try_from(&shape) else {
        unreachable!("the configuration serialises to a table");
    };
    let mut out = Vec::new();
    for (section, v) in root {
        let toml::Value::Table(t) = v else { continue };
        for (key, v) in t {
            let kind = match v {
                toml::Value::String(_) => Kind::Str,
                toml::Value::Integer(_) => Kind::Int,
                toml::Value::Boolean(_) => Kind::Bool,
                _ => continue,
            };
            out.push(EnvVar {
                section: section.clone(),
                key,
                kind,
            });
        }
    }
    out
}

/// The names of every supported environment variable (for docs and `--help`).
pub fn env_var_names() -> Vec<String> {
    env_vars().iter().map(EnvVar::name).collect()
}

/// Prefixes of `CUSTODIA_*` variables that are not settings: the test suite's own
/// (`CUSTODIA_TEST_PG_URL`, `CUSTODIA_REQUIRE_PG`).
const NOT_SETTINGS: &[&str] = &["CUSTODIA_TEST_", "CUSTODIA_REQUIRE_"];

/// A `CUSTODIA_*` variable that names no setting, and the closest one that does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEnvVar {
    /// The variable as set.
    pub name: String,
    /// The supported variable it most resembles, if any is close.
    pub suggestion: Option<String>,
}

impl std::fmt::Display for UnknownEnvVar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is not a Custodia setting and is ignored", self.name)?;
        match &self.suggestion {
            Some(s) => write!(f, " (did you mean {s}?)"),
            None => write!(
                f,
                " (see `custodia serve --help` for the supported variables)"
            ),
        }
    }
}

/// The `CUSTODIA_*` variables in `env` that [`Config::load`] does not read: a typo there would
/// otherwise leave a setting at its default without a word. The supported names come from the
/// configuration's shape (each with its `_FILE` twin for strings), as the loader's do.
pub fn unknown_env_vars(env: impl IntoIterator<Item = (String, String)>) -> Vec<UnknownEnvVar> {
    let vars = env_vars();
    let mut known: Vec<String> = Vec::with_capacity(vars.len() * 2);
    for v in &vars {
        known.push(v.name());
        if v.kind == Kind::Str {
            known.push(format!("{}_FILE", v.name()));
        }
    }
    let mut out: Vec<UnknownEnvVar> = env
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("CUSTODIA_"))
        .filter(|k| !NOT_SETTINGS.iter().any(|p| k.starts_with(p)))
        .filter(|k| !known.contains(k))
        .map(|name| {
            let suggestion = known
                .iter()
                .map(|k| (strsim::levenshtein(k, &name), k))
                .filter(|(d, _)| *d <= 3)
                .min()
                .map(|(_, k)| k.clone());
            UnknownEnvVar { name, suggestion }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
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
        for EnvVar { section, key, kind } in env_vars() {
            let var = EnvVar {
                section: section.clone(),
                key: key.clone(),
                kind,
            }
            .name();
            let file_var = format!("{var}_FILE");
            let direct = env.iter().find(|(k, _)| *k == var).map(|(_, v)| v.clone());
            let from_file = if kind == Kind::Str {
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
                Kind::Bool => match raw.trim() {
                    "true" | "1" => toml::Value::Boolean(true),
                    "false" | "0" => toml::Value::Boolean(false),
                    _ => {
                        return Err(ConfigError::Env {
                            var: var.clone(),
                            why: "expected true or false".into(),
                        });
                    }
                },
            };
            let table = root
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match table {
                toml::Value::Table(t) => {
                    t.insert(key, value);
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

    /// The effective configuration as TOML, every secret shown as `***` and a database
    /// URL's password masked (`custodia serve --print-config`).
    pub fn to_redacted_toml(&self) -> String {
        let mut v = toml::Value::try_from(self).unwrap_or(toml::Value::Table(Default::default()));
        if let toml::Value::Table(root) = &mut v
            && let Some(toml::Value::Table(store)) = root.get_mut("store")
        {
            store.insert(
                "url".into(),
                toml::Value::String(redact_url(self.store.url.expose())),
            );
        }
        toml::to_string(&v).unwrap_or_default()
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.server.listen.parse::<SocketAddr>().is_err() {
            return bad("server.listen must be IP:PORT, e.g. 127.0.0.1:8080");
        }
        self.keys.validate()?;
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return bad("log.format must be `text` or `json`");
        }
        let sv = &self.server;
        if sv.header_timeout_secs == 0 || sv.request_timeout_secs == 0 {
            return bad(
                "server.header_timeout_secs and server.request_timeout_secs must be at least 1",
            );
        }
        if sv.max_connections == 0 {
            return bad("server.max_connections must be at least 1");
        }
        if !(1024..=1024 * 1024).contains(&sv.max_header_bytes) {
            return bad("server.max_header_bytes must be 1024 to 1048576");
        }
        if self.store.max_connections == 0 {
            return bad("store.max_connections must be at least 1");
        }
        self.login.validate()?;
        self.fund.validate()?;
        self.token.validate()?;
        self.protect.validate()?;
        self.audit.validate()?;
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
        assert_eq!(c.keys.policy(), custodia_keys::KeyPolicy::default());
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
        let vars = env_vars();
        for v in &vars {
            let value = match (v.kind, v.key.as_str()) {
                (_, "listen") => "127.0.0.1:1".to_owned(),
                (_, "format") => "json".to_owned(),
                (_, "totp_issuer") => "X".to_owned(),
                (_, "url") => "sqlite::memory:".to_owned(),
                (Kind::Int, "argon2_memory_kib") => "64".to_owned(),
                (Kind::Int, "max_list_bytes") => "4096".to_owned(),
                (Kind::Int, "max_header_bytes") => "4096".to_owned(),
                (Kind::Int, "block_at") => "90".to_owned(),
                (_, "geo_prefer") => "ranges".to_owned(),
                (Kind::Int, _) => "3".to_owned(),
                (Kind::Str, _) => "v".to_owned(),
                (Kind::Bool, _) => "true".to_owned(),
            };
            pairs.push((v.name(), value));
        }
        let c = Config::from_parts("", pairs).unwrap();
        assert_eq!(c.keys.max_ips, 3);
        assert_eq!(c.log.format, "json");
        assert!(c.guard.record_clean);
        assert_eq!(c.guard.snapshots_kept, 3);
        assert_eq!(c.secrets.kek.as_ref().unwrap().expose(), "v");
        assert_eq!(env_var_names().len(), vars.len());
        // Every section's scalars are reachable, the secrets included.
        for name in [
            "CUSTODIA_SERVER_LISTEN",
            "CUSTODIA_STORE_URL",
            "CUSTODIA_KEYS_MAX_IPS",
            "CUSTODIA_SECRETS_KEK",
            "CUSTODIA_SECRETS_BOOTSTRAP_ADMIN_TOKEN",
            "CUSTODIA_LOG_FILTER",
            "CUSTODIA_WEB_VERIFIER_PAGE",
            "CUSTODIA_POR_DELIVERY_DIR",
            "CUSTODIA_GUARD_RECORD_CLEAN",
            "CUSTODIA_AUDIT_CHECKPOINT_KEY_FILE",
            "CUSTODIA_AUDIT_RETENTION_DAYS",
        ] {
            assert!(env_var_names().iter().any(|n| n == name), "{name}");
        }
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

    #[test]
    fn unknown_variables_are_named_with_the_closest_setting() {
        let got = unknown_env_vars(env(&[
            ("CUSTODIA_SERVER_LISTN", "0.0.0.0:1"),
            ("CUSTODIA_SERVER_LISTEN", "0.0.0.0:1"),
            ("CUSTODIA_SECRETS_KEK_FILE", "/k"),
            ("CUSTODIA_TEST_PG_URL", "postgres://x"),
            ("CUSTODIA_WHATEVER", "1"),
            ("PATH", "/bin"),
        ]));
        assert_eq!(
            got,
            vec![
                UnknownEnvVar {
                    name: "CUSTODIA_SERVER_LISTN".into(),
                    suggestion: Some("CUSTODIA_SERVER_LISTEN".into()),
                },
                UnknownEnvVar {
                    name: "CUSTODIA_WHATEVER".into(),
                    suggestion: None,
                },
            ]
        );
        assert!(
            got[0]
                .to_string()
                .contains("did you mean CUSTODIA_SERVER_LISTEN?")
        );
        // Every supported name, and every string setting's `_FILE` twin, is known.
        let all: Vec<(String, String)> = env_vars()
            .iter()
            .flat_map(|v| {
                [
                    (v.name(), String::new()),
                    (format!("{}_FILE", v.name()), String::new()),
                ]
            })
            .filter(|(k, _)| {
                !k.ends_with("_FILE")
                    || env_vars()
                        .iter()
                        .any(|v| v.kind == Kind::Str && format!("{}_FILE", v.name()) == *k)
            })
            .collect();
        assert_eq!(unknown_env_vars(all), Vec::new());
        // An integer setting has no `_FILE` twin.
        assert_eq!(
            unknown_env_vars(env(&[("CUSTODIA_KEYS_MAX_IPS_FILE", "x")])).len(),
            1
        );
    }

    #[test]
    fn printed_configuration_hides_secrets_and_passwords_only() {
        let c = Config::from_parts(
            "[secrets]\nbootstrap_admin_token = \"tok-very-secret-0123456789abcdef012\"\n",
            env(&[
                ("CUSTODIA_SECRETS_KEK", "s3cr3t-kek"),
                (
                    "CUSTODIA_STORE_URL",
                    "postgres://custodia:hunter2@db:5432/custodia?sslmode=require&password=hunter3",
                ),
            ]),
        )
        .unwrap();
        let text = c.to_redacted_toml();
        for secret in ["s3cr3t", "tok-very", "hunter2", "hunter3"] {
            assert!(!text.contains(secret), "{secret} in\n{text}");
        }
        assert!(
            text.contains(
                "url = \"postgres://custodia:***@db:5432/custodia?sslmode=require&password=***\""
            ),
            "{text}"
        );
        assert!(text.contains("kek = \"***\""), "{text}");
        assert!(text.contains("listen = \"127.0.0.1:8080\""), "{text}");
        // What is printed loads back (secrets aside) to the same settings.
        let back = Config::from_parts(&text, env(&[])).unwrap();
        assert_eq!(back.server.listen, c.server.listen);
        assert_eq!(back.keys.idle_expiry_days, c.keys.idle_expiry_days);
        for (url, want) in [
            ("sqlite://custodia.db", "sqlite://custodia.db"),
            ("postgres://u@h/d", "postgres://u@h/d"),
            ("postgres://u:p@h/d", "postgres://u:***@h/d"),
            ("postgres://u:p:q@h/d", "postgres://u:***@h/d"),
        ] {
            assert_eq!(redact_url(url), want);
        }
    }

    /// The shipped example documents every key and says what the defaults are.
    #[test]
    fn the_example_configuration_has_every_key_at_its_default() {
        let text = include_str!("../../../deploy/custodia.toml");
        let example = Config::from_parts(text, env(&[])).unwrap();
        let shown = |c: &Config| toml::to_string(&toml::Value::try_from(c).unwrap()).unwrap();
        assert_eq!(
            shown(&example),
            shown(&Config::default()),
            "a value differs from its default"
        );
        // Every key of the shape, optional ones included, appears in its section, set or
        // commented out.
        let mut shape = Config::default();
        shape.secrets.kek = Some(SecretString::new(String::new()));
        shape.secrets.bootstrap_admin_token = Some(SecretString::new(String::new()));
        shape.web.verifier_page = Some(PathBuf::new());
        shape.audit.checkpoint_key_file = Some(PathBuf::new());
        shape.audit.checkpoint_log = Some(PathBuf::new());
        shape.console.rounds_dir = Some(PathBuf::new());
        shape.console.reports_dir = Some(PathBuf::new());
        shape.login.geo_ranges = Some(PathBuf::new());
        let toml::Value::Table(root) = toml::Value::try_from(&shape).unwrap() else {
            unreachable!()
        };
        let mut missing = Vec::new();
        let mut check = |section: &str, t: &toml::Table| {
            let header = format!("[{section}]");
            let body = text
                .split_once(&format!("\n{header}"))
                .map(|(_, rest)| rest.split("\n[").next().unwrap_or(rest))
                .unwrap_or("");
            for (key, v) in t {
                if v.is_table() {
                    continue; // its own `[section.key]`, checked on its own
                }
                let set = body.lines().any(|l| {
                    let l = l.trim_start_matches(['#', ' ']);
                    l.starts_with(&format!("{key} ="))
                        || l.starts_with(&format!("[[{section}.{key}]]"))
                });
                if !set {
                    missing.push(format!("{section}.{key}"));
                }
            }
        };
        for (section, v) in &root {
            let toml::Value::Table(t) = v else { continue };
            check(section, t);
            for (sub, v) in t {
                if let toml::Value::Table(st) = v {
                    check(&format!("{section}.{sub}"), st);
                }
            }
        }
        assert!(
            missing.is_empty(),
            "deploy/custodia.toml does not document {missing:?}"
        );
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
            (
                "[audit]\nretention_days = 30\n",
                &[],
                "audit.retention_days needs audit.checkpoint_key_file",
            ),
            (
                "[audit]\ncheckpoint_log = \"c.jsonl\"\n",
                &[],
                "audit.checkpoint_log needs",
            ),
            (
                "[audit]\ncheckpoint_key_file = \"k\"\ncheckpoint_interval_secs = 0\n",
                &[],
                "audit.checkpoint_interval_secs",
            ),
        ];
        for (toml, e, want) in cases {
            let err = Config::from_parts(toml, env(e)).unwrap_err().to_string();
            assert!(err.contains(want), "{toml:?} {e:?}: {err}");
        }
    }
}
