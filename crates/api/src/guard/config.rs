//! `[guard]`: protected brands, look-alike policy, poisoning thresholds, which decisions are
//! recorded, list-upload and snapshot limits.

use custodia_guard::{Brand, DomainChecker, DomainPolicy, PoisoningConfig, default_brands};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// `[guard]`.
///
/// ```toml
/// [guard]
/// default_brands = true        # start from the built-in brands (docs/threat-intel.md §3.4)
/// record_clean = false         # clean screenings / `none` verdicts: metrics only, no events
/// max_list_bytes = 268435456   # largest list upload (OFAC's advanced XML is ~100 MB)
/// snapshots_kept = 10          # published snapshots kept for deltas
/// signing_key_file = "/etc/custodia/guard.key"  # `custodia guard keygen`; signs snapshots
///
/// [[guard.brands]]             # added; a brand named like a default one replaces it
/// name = "Example Exchange"
/// domains = ["example-exchange.com"]
/// keywords = ["exex"]          # optional: generic = [...], compound = [...]
///
/// [guard.policy]               # optional overrides of the look-alike policy
/// extra_lure_words = ["bonus"]
/// typo1_min_len = 5
///
/// [guard.poisoning]
/// prefix = 4
/// suffix = 4
/// max_recent = 1000
/// ```
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuardConfig {
    /// Start from `custodia_guard::default_brands()`.
    pub default_brands: bool,
    /// Brands to protect besides (or instead of) the defaults.
    pub brands: Vec<BrandConfig>,
    /// Look-alike policy overrides.
    pub policy: PolicyConfig,
    /// Address-poisoning thresholds.
    pub poisoning: PoisoningSection,
    /// Also record clean results as events (by default only alerts are recorded; clean traffic
    /// is counted in Prometheus).
    pub record_clean: bool,
    /// Largest accepted list upload, in bytes.
    pub max_list_bytes: usize,
    /// Published snapshots kept in the store (deltas can start from any of them).
    pub snapshots_kept: u32,
    /// The Ed25519 key file snapshots are signed with (`custodia guard keygen`); without it the
    /// signature and browser-extension endpoints answer `no_signing_key`.
    pub signing_key_file: Option<std::path::PathBuf>,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            default_brands: true,
            brands: Vec::new(),
            policy: PolicyConfig::default(),
            poisoning: PoisoningSection::default(),
            record_clean: false,
            max_list_bytes: 256 << 20,
            snapshots_kept: 10,
            signing_key_file: None,
        }
    }
}

/// `[[guard.brands]]`: one protected brand.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BrandConfig {
    /// Display name.
    pub name: String,
    /// Official domains (allowlisted with their subdomains).
    pub domains: Vec<String>,
    /// Other official hosts (allowlisted, no keyword derived from them).
    #[serde(default)]
    pub alternates: Vec<String>,
    /// Extra distinctive keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Keywords that are ordinary words (need a lure word to count).
    #[serde(default)]
    pub generic: Vec<String>,
    /// Keywords made of ordinary words.
    #[serde(default)]
    pub compound: Vec<String>,
}

/// `[guard.policy]`: every field optional; absent fields keep the documented defaults.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Replaces the default lure words.
    pub lure_words: Option<Vec<String>>,
    /// Added to the lure words.
    pub extra_lure_words: Vec<String>,
    /// Replaces the default abused TLDs.
    pub abused_tlds: Option<Vec<String>>,
    /// Keywords at least this long tolerate one edit.
    pub typo1_min_len: Option<usize>,
    /// Keywords at least this long tolerate two edits.
    pub typo2_min_len: Option<usize>,
    /// A keyword this long makes any token containing it `high`.
    pub embed_any_min_len: Option<usize>,
    /// Report one edit beyond the tolerance as `medium`.
    pub near_typo: Option<bool>,
    /// Minimum keyword length for the near-typo rule.
    pub near_typo_min_len: Option<usize>,
}

/// `[guard.poisoning]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoisoningSection {
    /// Leading characters compared (after the chain's fixed prefix), at least 3.
    pub prefix: usize,
    /// Trailing characters compared, at least 3.
    pub suffix: usize,
    /// Most recent counterparties one poisoning check may carry.
    pub max_recent: usize,
}

impl Default for PoisoningSection {
    fn default() -> Self {
        let d = PoisoningConfig::default();
        Self {
            prefix: d.prefix,
            suffix: d.suffix,
            max_recent: custodia_guard::MAX_BATCH,
        }
    }
}

fn invalid(m: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(m.into())
}

/// The reason without `GuardError`'s own "invalid configuration:" prefix.
fn why(e: custodia_guard::GuardError) -> String {
    match e {
        custodia_guard::GuardError::Config { why } => why,
        other => other.to_string(),
    }
}

impl GuardConfig {
    /// The brands in effect: the defaults (unless `default_brands = false`), with configured
    /// brands replacing same-named defaults and the rest appended.
    pub fn brand_list(&self) -> Result<Vec<Brand>, ConfigError> {
        let mut out = if self.default_brands {
            default_brands()
        } else {
            Vec::new()
        };
        let mut seen = std::collections::HashSet::new();
        for b in &self.brands {
            // One spelling per brand: `Crypto.com`, `crypto com` and `CryptoCom` are one name.
            let key = custodia_guard::brand_key(&b.name);
            if key.is_empty() {
                return Err(invalid("guard.brands: a brand has an empty `name`"));
            }
            if !seen.insert(key.clone()) {
                return Err(invalid(format!(
                    "guard.brands: brand `{}` is configured twice",
                    b.name
                )));
            }
            if b.domains.is_empty() {
                return Err(invalid(format!(
                    "guard.brands: brand `{}` needs at least one official domain in `domains`",
                    b.name
                )));
            }
            let brand = Brand {
                name: b.name.trim().to_owned(),
                domains: b.domains.clone(),
                alternates: b.alternates.clone(),
                keywords: b.keywords.clone(),
                generic: b.generic.clone(),
                compound: b.compound.clone(),
            };
            match out
                .iter_mut()
                .find(|d| custodia_guard::brand_key(&d.name) == key)
            {
                Some(d) => *d = brand,
                None => out.push(brand),
            }
        }
        if out.is_empty() {
            return Err(invalid(
                "guard: no brand to protect: keep `default_brands = true` or add [[guard.brands]]",
            ));
        }
        Ok(out)
    }

    /// The look-alike policy in effect.
    pub fn domain_policy(&self) -> DomainPolicy {
        let d = DomainPolicy::default();
        let p = &self.policy;
        let mut lure_words = p.lure_words.clone().unwrap_or(d.lure_words);
        lure_words.extend(p.extra_lure_words.iter().cloned());
        DomainPolicy {
            lure_words,
            abused_tlds: p.abused_tlds.clone().unwrap_or(d.abused_tlds),
            typo1_min_len: p.typo1_min_len.unwrap_or(d.typo1_min_len),
            typo2_min_len: p.typo2_min_len.unwrap_or(d.typo2_min_len),
            embed_any_min_len: p.embed_any_min_len.unwrap_or(d.embed_any_min_len),
            near_typo: p.near_typo.unwrap_or(d.near_typo),
            near_typo_min_len: p.near_typo_min_len.unwrap_or(d.near_typo_min_len),
        }
    }

    /// The poisoning thresholds in effect.
    pub fn poisoning_config(&self) -> PoisoningConfig {
        PoisoningConfig {
            prefix: self.poisoning.prefix,
            suffix: self.poisoning.suffix,
            ..PoisoningConfig::default()
        }
    }

    /// The domain checker these settings describe, without lists (they come from the store).
    pub fn checker(&self) -> Result<DomainChecker, ConfigError> {
        let policy = self.domain_policy();
        for (name, w) in policy
            .lure_words
            .iter()
            .map(|w| ("guard.policy lure word", w))
            .chain(
                policy
                    .abused_tlds
                    .iter()
                    .map(|w| ("guard.policy abused TLD", w)),
            )
        {
            let w = w.trim().trim_start_matches('.');
            if w.is_empty() || !w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(invalid(format!(
                    "{name} `{w}` must be non-empty ASCII letters, digits or `-`"
                )));
            }
        }
        if policy.embed_any_min_len < 3 || policy.near_typo_min_len < 3 {
            return Err(invalid(
                "guard.policy: embed_any_min_len and near_typo_min_len must be at least 3",
            ));
        }
        DomainChecker::new(self.brand_list()?, policy)
            .map_err(|e| invalid(format!("guard: {}", why(e))))
    }

    /// Checks every value; the messages name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.checker()?;
        self.poisoning_config()
            .validate()
            .map_err(|e| invalid(format!("guard.poisoning: {}", why(e))))?;
        if self.poisoning.max_recent == 0 || self.poisoning.max_recent > 10_000 {
            return Err(invalid("guard.poisoning.max_recent must be 1 to 10000"));
        }
        if self.max_list_bytes < 1024 || self.max_list_bytes > 2 << 30 {
            return Err(invalid(
                "guard.max_list_bytes must be 1024 to 2147483648 (2 GiB)",
            ));
        }
        if self.snapshots_kept == 0 || self.snapshots_kept > 1000 {
            return Err(invalid("guard.snapshots_kept must be 1 to 1000"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    fn load(toml: &str) -> Result<Config, String> {
        Config::from_parts(toml, Vec::<(String, String)>::new()).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_overrides() {
        let c = load("").unwrap();
        assert!(c.guard.default_brands && !c.guard.record_clean);
        assert_eq!(c.guard.brand_list().unwrap().len(), 25);
        let c = load(
            "[guard]\nrecord_clean = true\n[[guard.brands]]\nname = \"okx\"\ndomains = [\"okx.com\", \"okx.us\"]\n\
             [guard.policy]\nextra_lure_words = [\"bonus\"]\ntypo1_min_len = 4\n[guard.poisoning]\nprefix = 5\n",
        )
        .unwrap();
        let brands = c.guard.brand_list().unwrap();
        assert_eq!(brands.len(), 25, "a same-named brand replaces the default");
        assert_eq!(brands[0].domains, ["okx.com", "okx.us"]);
        let p = c.guard.domain_policy();
        assert!(p.lure_words.iter().any(|w| w == "bonus") && p.lure_words.len() > 100);
        assert_eq!(p.typo1_min_len, 4);
        assert_eq!(c.guard.poisoning_config().prefix, 5);
        assert!(c.guard.record_clean);
    }

    /// `(toml, expected error fragment)`: every rejection names the key.
    #[test]
    fn rejections() {
        let cases = [
            (
                "[guard]\nrecord_clen = true\n",
                "unknown field `record_clen`",
            ),
            ("[guard.policy]\nlure = []\n", "unknown field `lure`"),
            (
                "[guard.poisoning]\nprefix = 2\n",
                "invalid configuration: guard.poisoning: poisoning prefix/suffix must be at least 3",
            ),
            (
                "[guard.poisoning]\nmax_recent = 0\n",
                "guard.poisoning.max_recent",
            ),
            ("[guard]\nmax_list_bytes = 10\n", "guard.max_list_bytes"),
            ("[guard]\nsnapshots_kept = 0\n", "guard.snapshots_kept"),
            ("[guard]\ndefault_brands = false\n", "no brand to protect"),
            (
                "[[guard.brands]]\nname = \"\"\ndomains = [\"a.com\"]\n",
                "empty `name`",
            ),
            (
                "[[guard.brands]]\nname = \"X\"\ndomains = []\n",
                "brand `X` needs at least one official domain",
            ),
            (
                "[[guard.brands]]\nname = \"X\"\ndomains = [\"x1.com\"]\n[[guard.brands]]\nname = \"x\"\ndomains = [\"x2.com\"]\n",
                "brand `x` is configured twice",
            ),
            (
                "[[guard.brands]]\nname = \"X\"\ndomains = [\"com\"]\n",
                "guard:",
            ),
            (
                "[[guard.brands]]\nname = \"X\"\ndomains = [\"xx-brand.com\"]\nkeywords = [\"ab\"]\n",
                "guard:",
            ),
            (
                "[guard.policy]\ntypo1_min_len = 9\ntypo2_min_len = 9\n",
                "typo thresholds",
            ),
            (
                "[guard.policy]\nextra_lure_words = [\"log in\"]\n",
                "guard.policy lure word `log in`",
            ),
            (
                "[guard.policy]\nembed_any_min_len = 1\n",
                "embed_any_min_len",
            ),
        ];
        for (toml, want) in cases {
            let err = load(toml).unwrap_err();
            assert!(err.contains(want), "{toml:?}: {err}");
        }
    }
}
