#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use custodia_guard::{
    Address, COMPACT_MAGIC, CompactDelta, CompactSnapshot, DomainChecker, DomainPolicy,
    DomainVerdict, GuardError, Host, PoisoningConfig, PoisoningMatch, Reason, RiskLevel, Rule,
    Snapshot, SnapshotPublicKey, SnapshotSignature, check_poisoning,
};
use serde_json::json;
use wasm_bindgen::prelude::wasm_bindgen;

/// A verified snapshot and the domain rules built from its brands and lists.
///
/// JavaScript: `const g = new Guard(snapshotBytes, signatureBytes, "hexkey1 hexkey2")` (throws a
/// string saying why the snapshot is refused), then `JSON.parse(g.checkUrl(url))`.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Guard {
    lists: Lists,
    checker: DomainChecker,
    key_id: String,
}

/// The lists of the loaded snapshot: the full format (every entry, with its source, date and
/// label; the rules' own block and allow lists hold its hosts) or the compact one (fingerprints
/// and categories: what the extension ships, ≤ 5 MB for 1M addresses and 300k hosts).
#[derive(Debug)]
enum Lists {
    Full(Snapshot),
    Compact(CompactSnapshot),
}

/// Parses the trusted keys: 64-hex-digit Ed25519 public keys separated by commas or white space.
pub fn parse_trusted_keys(text: &str) -> Result<Vec<SnapshotPublicKey>, GuardError> {
    let keys = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(SnapshotPublicKey::parse_hex)
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(GuardError::SigningKey {
            why: "no trusted public key configured".into(),
        });
    }
    Ok(keys)
}

impl Guard {
    /// Verifies `signature` with one of `trusted`, then the snapshot, and builds the rules.
    pub fn open(
        snapshot: &[u8],
        signature: &[u8],
        trusted: &[SnapshotPublicKey],
    ) -> Result<Guard, GuardError> {
        let sig = SnapshotSignature::from_bytes(signature)?;
        let (lists, checker) = if snapshot.starts_with(COMPACT_MAGIC) {
            let c = sig.open_compact(snapshot, trusted)?;
            let checker = DomainChecker::new(c.brands().to_vec(), DomainPolicy::default())?;
            (Lists::Compact(c), checker)
        } else {
            let full = sig.open(snapshot, trusted)?;
            let mut checker = DomainChecker::new(full.brands().to_vec(), DomainPolicy::default())?;
            let (block, allow) = full.domain_lists()?;
            *checker.blocklist_mut() = block;
            *checker.allowlist_mut() = allow;
            (Lists::Full(full), checker)
        };
        Ok(Guard {
            lists,
            checker,
            key_id: custodia_hex(&sig.key_id),
        })
    }

    /// The verdict on `input`, with the compact lists applied in the order the full rules
    /// apply theirs: allowlist, official domains, blocklist, look-alike rules.
    pub fn verdict(&self, input: &str) -> Result<DomainVerdict, GuardError> {
        let host = Host::parse(input)?;
        let c = match &self.lists {
            Lists::Full(_) => return Ok(self.checker.check_host(&host)),
            Lists::Compact(c) => c,
        };
        let reason = |rule, level, matched: &str, message: String| Reason {
            rule,
            level,
            brand: None,
            matched: Some(matched.to_owned()),
            part: host.unicode().to_owned(),
            distance: None,
            escalated_by: None,
            message,
        };
        let mut v = self.checker.check_host(&host);
        if let Some(name) = c.find_allowed(&host) {
            v.level = RiskLevel::None;
            v.reasons = vec![reason(
                Rule::Allowlist,
                RiskLevel::None,
                name,
                format!("allowlisted: `{name}` (the exchange's list)"),
            )];
        } else if v.reasons.first().map(|r| r.rule) != Some(Rule::OfficialDomain)
            && let Some((name, category)) = c.find_blocked(&host)
        {
            v.level = RiskLevel::VeryHigh;
            v.reasons.insert(
                0,
                reason(
                    Rule::Blocklist,
                    RiskLevel::VeryHigh,
                    name,
                    format!("blocklisted {category}: `{name}` (the exchange's list)"),
                ),
            );
        }
        Ok(v)
    }
}

/// Applies a compact delta (`GET /v1/guard/extension/snapshot/delta?from=N`) to the compact
/// snapshot `base` and returns the rebuilt newer snapshot's bytes. The delta is unsigned: the
/// result is checked against the hash the delta names here, and its signature must still be
/// checked by opening it with [`Guard::new`].
pub fn apply_compact_delta(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, GuardError> {
    let base = CompactSnapshot::from_bytes(base)?;
    let delta = CompactDelta::from_bytes(delta)?;
    Ok(delta.apply(&base)?.to_bytes())
}

/// Whether `destination` imitates one of `known` (addresses the user used before, remembered on
/// this device only): the same first and last characters, another address. Unparsable entries
/// of `known` are skipped.
pub fn lookalike_of(
    destination: &str,
    known: &[&str],
) -> Result<Option<PoisoningMatch>, GuardError> {
    let d = Address::parse_any(destination.trim())?;
    let known: Vec<Address> = known
        .iter()
        .filter_map(|k| Address::parse_any(k.trim()).ok())
        .collect();
    Ok(check_poisoning(&d, &known, &PoisoningConfig::default()))
}

/// JavaScript: `checkLookalike(address, knownAddressesSeparatedBySpaces)` → JSON
/// `{"status":"ok","address":…,"match":null|{"imitates","prefix_len","suffix_len"}}`, or
/// `{"status":"error","reason":…}` when the text is no address.
#[wasm_bindgen(js_name = checkLookalike)]
pub fn check_lookalike_js(destination: &str, known: &str) -> String {
    let known: Vec<&str> = known.split_whitespace().collect();
    match lookalike_of(destination, &known) {
        Ok(m) => json!({
            "status": "ok",
            "address": Address::parse_any(destination.trim()).ok(),
            "match": m.map(|m| json!({
                "imitates": m.imitates,
                "prefix_len": m.prefix_len,
                "suffix_len": m.suffix_len,
            })),
        })
        .to_string(),
        Err(e) => json!({"status": "error", "reason": e.to_string()}).to_string(),
    }
}

/// JavaScript: `applyCompactDelta(baseBytes, deltaBytes)` → the newer snapshot's bytes (throws
/// a string saying why the delta is refused).
#[wasm_bindgen(js_name = applyCompactDelta)]
pub fn apply_compact_delta_js(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, String> {
    apply_compact_delta(base, delta).map_err(|e| e.to_string())
}

fn custodia_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[wasm_bindgen]
impl Guard {
    /// Verifies and loads a snapshot (see [`Guard::open`]); `trusted_keys` as
    /// [`parse_trusted_keys`] reads them. Throws the reason as a string.
    #[wasm_bindgen(constructor)]
    pub fn new(snapshot: &[u8], signature: &[u8], trusted_keys: &str) -> Result<Guard, String> {
        let keys = parse_trusted_keys(trusted_keys).map_err(|e| e.to_string())?;
        Guard::open(snapshot, signature, &keys).map_err(|e| e.to_string())
    }

    /// The snapshot's data version.
    pub fn version(&self) -> f64 {
        match &self.lists {
            Lists::Full(s) => s.version() as f64,
            Lists::Compact(c) => c.version() as f64,
        }
    }

    /// The snapshot's SHA-256 (hex).
    pub fn hash(&self) -> String {
        match &self.lists {
            Lists::Full(s) => s.hash_hex(),
            Lists::Compact(c) => c.hash_hex(),
        }
    }

    /// Id of the key that signed it (16 hex digits).
    #[wasm_bindgen(js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.key_id.clone()
    }

    /// Section sizes, JSON (`addresses`, `blocked`, `allowed`, … and `format`: `full` or
    /// `compact`).
    pub fn counts(&self) -> String {
        let (mut v, format) = match &self.lists {
            Lists::Full(s) => (serde_json::to_value(s.counts()), "full"),
            Lists::Compact(c) => (serde_json::to_value(c.counts()), "compact"),
        };
        if let Ok(serde_json::Value::Object(m)) = &mut v {
            m.insert("format".into(), format.into());
        }
        v.expect("counts serialise").to_string()
    }

    /// Checks the host of a URL (or a bare host). JSON: `{"status":"ok","block":bool,
    /// "verdict":{host, unicode, level, reasons…}}` where `block` is a high or very-high level,
    /// or `{"status":"error","reason":…}` for something that is not a web host (the extension
    /// lets those through: `chrome://`, `file://`, IP literals are checked as hosts).
    #[wasm_bindgen(js_name = checkUrl)]
    pub fn check_url(&self, url: &str) -> String {
        match self.verdict(url) {
            Ok(v) => json!({
                "status": "ok",
                "block": v.level >= RiskLevel::High,
                "verdict": v,
            })
            .to_string(),
            Err(e) => json!({"status": "error", "reason": e.to_string()}).to_string(),
        }
    }

    /// Looks up text that may be an address (any supported chain, detected from its shape).
    /// From a compact snapshot a hit has only the category (a fingerprint match: about one
    /// unlisted address in a million matches by chance). JSON: `{"status":"ok","address":…,"listed":bool,"hits":[{category, source, date,
    /// label}…]}`, or `{"status":"error","reason":…}` when it is no address.
    #[wasm_bindgen(js_name = screenAddress)]
    pub fn screen_address(&self, text: &str) -> String {
        match Address::parse_any(text.trim()) {
            Ok(a) => {
                let hits: Vec<serde_json::Value> = match &self.lists {
                    Lists::Full(s) => s
                        .lookup_address(&a)
                        .into_iter()
                        .map(|h| json!(h.to_entry(a)))
                        .collect(),
                    Lists::Compact(c) => c
                        .address_category(&a)
                        .map(|cat| json!({"category": cat, "source": "the exchange's list"}))
                        .into_iter()
                        .collect(),
                };
                json!({
                    "status": "ok",
                    "address": a,
                    "listed": !hits.is_empty(),
                    "hits": hits,
                })
                .to_string()
            }
            Err(e) => json!({"status": "error", "reason": e.to_string()}).to_string(),
        }
    }
}
