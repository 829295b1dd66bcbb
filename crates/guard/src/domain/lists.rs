//! Allowlists and blocklists of hosts with label-suffix semantics, and their importers (plain
//! host lists, JSON arrays, MetaMask eth-phishing-detect configurations).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::host::Host;
use crate::error::echo;
use crate::import::{Import, Location, json_array, json_kind, strip_comment};
use crate::{Category, Date, GuardError, ListMeta};

/// One listed host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainEntry {
    /// Normalised host (lowercase ASCII/punycode, no trailing dot, no scheme or path).
    pub host: String,
    /// Why it is listed (ignored in allowlists).
    pub category: Category,
    /// Which list says so.
    pub source: String,
    /// Since when, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
}

/// Normalises a list entry: a host or URL (scheme, user info, port, path dropped: the host is
/// what resolves), `*.` wildcard prefix allowed (the semantics are label-suffix anyway). Refuses hosts that are a public suffix
/// (`com`, `co.uk`, `pages.dev`): listing one would cover every site under it.
pub fn normalize_list_host(entry: &str) -> Result<String, GuardError> {
    let s = entry.trim();
    let s = s.strip_prefix("*.").unwrap_or(s);
    let host = Host::parse(s)?;
    if !host.is_ip() && host.registrable().is_none() {
        return Err(GuardError::Entry {
            entry: echo(entry),
            why: "is a public suffix (or has no registrable domain); listing it would cover every site under it".into(),
        });
    }
    Ok(host.ascii().to_owned())
}

#[derive(Debug, Clone, Copy)]
struct Record {
    category: Category,
    source: u16,
    date: Option<Date>,
}

/// A match of a host against a [`DomainList`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainMatch<'a> {
    /// The list entry that matched (the host itself or a parent domain).
    pub entry: &'a str,
    /// Its category.
    pub category: Category,
    /// Its source.
    pub source: &'a str,
    /// Its date.
    pub date: Option<Date>,
}

/// A set of hosts where an entry matches itself and every subdomain of it (`okx.com` matches
/// `okx.com` and `www.okx.com`, not `notokx.com`) — MetaMask's semantics. IP entries match
/// exactly. Lookup walks the host's parents down to its registrable domain: a few hash probes.
#[derive(Debug, Clone, Default)]
pub struct DomainList {
    map: HashMap<Box<str>, Record>,
    sources: Vec<Box<str>>,
    source_ids: HashMap<Box<str>, u16>,
}

impl DomainList {
    /// An empty list.
    pub fn new() -> DomainList {
        DomainList::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Adds (or replaces) an entry. `entry.host` must already be normalised
    /// ([`normalize_list_host`]); the importers do that.
    pub fn insert(&mut self, entry: &DomainEntry) -> Result<bool, GuardError> {
        let source = match self.source_ids.get(entry.source.as_str()) {
            Some(&id) => id,
            None => {
                let id = u16::try_from(self.sources.len()).map_err(|_| GuardError::Config {
                    why: "more than 65535 distinct domain-list sources".into(),
                })?;
                self.sources.push(entry.source.as_str().into());
                self.source_ids.insert(entry.source.as_str().into(), id);
                id
            }
        };
        Ok(self
            .map
            .insert(
                entry.host.as_str().into(),
                Record {
                    category: entry.category,
                    source,
                    date: entry.date,
                },
            )
            .is_none())
    }

    /// Adds many entries; returns how many were new.
    pub fn extend<'a>(
        &mut self,
        entries: impl IntoIterator<Item = &'a DomainEntry>,
    ) -> Result<usize, GuardError> {
        let mut n = 0;
        for e in entries {
            n += self.insert(e)? as usize;
        }
        Ok(n)
    }

    /// Removes an entry (exact host); returns whether it was present.
    pub fn remove(&mut self, host: &str) -> bool {
        self.map.remove(host).is_some()
    }

    /// The entry covering `host` (itself or the nearest listed parent).
    pub fn find(&self, host: &Host) -> Option<DomainMatch<'_>> {
        for name in host.match_candidates() {
            if let Some((k, r)) = self.map.get_key_value(name) {
                return Some(DomainMatch {
                    entry: k,
                    category: r.category,
                    source: &self.sources[r.source as usize],
                    date: r.date,
                });
            }
        }
        None
    }

    /// Every entry, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = DomainEntry> + '_ {
        self.map.iter().map(|(h, r)| DomainEntry {
            host: h.to_string(),
            category: r.category,
            source: self.sources[r.source as usize].to_string(),
            date: r.date,
        })
    }
}

fn push_host(
    import: &mut Import<DomainEntry>,
    seen: &mut HashSet<String>,
    at: Location,
    raw: &str,
    meta: &ListMeta,
) {
    match normalize_list_host(raw) {
        Ok(host) => {
            if seen.insert(host.clone()) {
                import.entries.push(DomainEntry {
                    host,
                    category: meta.category,
                    source: meta.source.clone(),
                    date: meta.date,
                });
            } else {
                import.duplicates += 1;
            }
        }
        Err(error) => import.rejected.push(crate::Rejected { at, error }),
    }
}

/// Imports a plain host list: one host or URL per line (OpenPhish feeds are URLs), `#`, `//`
/// or `;` comments and blank lines ignored.
pub fn import_domain_lines(text: &str, meta: &ListMeta) -> Import<DomainEntry> {
    let mut import = Import::default();
    let mut seen = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let s = strip_comment(line.trim_start_matches('\u{feff}'));
        if s.is_empty() {
            continue;
        }
        push_host(&mut import, &mut seen, Location::Line(i + 1), s, meta);
    }
    import
}

/// Imports a JSON array of host strings (ScamSniffer `domains.json`, MetaMask list arrays).
pub fn import_domain_json(text: &str, meta: &ListMeta) -> Result<Import<DomainEntry>, GuardError> {
    let items = json_array(text, "JSON host array")?;
    Ok(hosts_from_values(&items, meta))
}

fn hosts_from_values(items: &[Value], meta: &ListMeta) -> Import<DomainEntry> {
    let mut import = Import::default();
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) => push_host(&mut import, &mut seen, Location::Entry(i), s, meta),
            other => import.rejected.push(crate::Rejected {
                at: Location::Entry(i),
                error: GuardError::Entry {
                    entry: echo(&other.to_string()),
                    why: format!("expected a host string, got {}", json_kind(other)),
                },
            }),
        }
    }
    import
}

/// One configuration of a MetaMask eth-phishing-detect file, its lists normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaMaskList {
    /// `name` of the configuration (`"legacy"` for the v2 object shape).
    pub name: String,
    /// `version` of the configuration (as text).
    pub version: String,
    /// Levenshtein tolerance MetaMask applies to the fuzzylist (3 when absent, as in
    /// eth-phishing-detect). Kept for reference; this crate's own look-alike rules apply.
    pub tolerance: u32,
    /// `allowlist` (v2: `whitelist`).
    pub allow: Import<DomainEntry>,
    /// `blocklist` (v2: `blacklist`).
    pub block: Import<DomainEntry>,
    /// `fuzzylist`: domains MetaMask protects against look-alikes.
    pub fuzzy: Import<DomainEntry>,
}

/// Imports a MetaMask eth-phishing-detect configuration: either the legacy v2 object
/// `{"version":2,"tolerance":2,"fuzzylist":[…],"whitelist":[…],"blacklist":[…]}` or the newer
/// array of `{name, version, allowlist, blocklist, fuzzylist, tolerance}` configurations
/// (precedence = order; name and version required, as MetaMask's validator requires).
///
/// Entries are sourced `<meta.source>:<name>@<version>`; blocklist entries take
/// `meta.category`.
pub fn import_metamask_config(
    text: &str,
    meta: &ListMeta,
) -> Result<Vec<MetaMaskList>, GuardError> {
    const FORMAT: &str = "MetaMask config";
    let v: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        GuardError::Format {
            format: FORMAT,
            location: format!("line {} column {}", e.line(), e.column()),
            why: e.to_string(),
        }
    })?;
    let fail = |location: String, why: String| GuardError::Format {
        format: FORMAT,
        location,
        why,
    };
    let list = |o: &serde_json::Map<String, Value>,
                keys: &[&str],
                at: &str,
                meta: &ListMeta|
     -> Result<Import<DomainEntry>, GuardError> {
        for k in keys {
            match o.get(*k) {
                None => continue,
                Some(Value::Array(items)) => return Ok(hosts_from_values(items, meta)),
                Some(other) => {
                    return Err(fail(
                        at.to_owned(),
                        format!("`{k}` must be an array, got {}", json_kind(other)),
                    ));
                }
            }
        }
        Ok(Import::default())
    };
    let tolerance = |o: &serde_json::Map<String, Value>, at: &str| -> Result<u32, GuardError> {
        match o.get("tolerance") {
            None => Ok(3),
            Some(t) => t
                .as_u64()
                .and_then(|t| u32::try_from(t).ok())
                .ok_or_else(|| {
                    fail(
                        at.to_owned(),
                        "`tolerance` must be a non-negative integer".into(),
                    )
                }),
        }
    };
    let one = |o: &serde_json::Map<String, Value>,
               name: String,
               version: String,
               legacy: bool,
               at: &str|
     -> Result<MetaMaskList, GuardError> {
        let sub = ListMeta {
            source: format!("{}:{name}@{version}", meta.source),
            ..meta.clone()
        };
        let (allow_keys, block_keys): (&[&str], &[&str]) = if legacy {
            (&["whitelist", "allowlist"], &["blacklist", "blocklist"])
        } else {
            (&["allowlist"], &["blocklist"])
        };
        Ok(MetaMaskList {
            tolerance: tolerance(o, at)?,
            allow: list(o, allow_keys, at, &sub)?,
            block: list(o, block_keys, at, &sub)?,
            fuzzy: list(o, &["fuzzylist"], at, &sub)?,
            name,
            version,
        })
    };
    match &v {
        Value::Object(o) => {
            let version = match o.get("version") {
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::String(s)) => s.clone(),
                _ => "2".to_owned(),
            };
            Ok(vec![one(o, "legacy".into(), version, true, "top level")?])
        }
        Value::Array(configs) => configs
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let at = format!("configuration #{i}");
                let Value::Object(o) = c else {
                    return Err(fail(
                        at,
                        format!("expected an object, got {}", json_kind(c)),
                    ));
                };
                let name = match o.get("name") {
                    Some(Value::String(s)) if !s.is_empty() => s.clone(),
                    _ => return Err(fail(at, "`name` must be a non-empty string".into())),
                };
                let version = match o.get("version") {
                    Some(Value::Number(n)) => n.to_string(),
                    Some(Value::String(s)) if !s.is_empty() => s.clone(),
                    _ => {
                        return Err(fail(
                            at,
                            "`version` must be a number or a non-empty string".into(),
                        ));
                    }
                };
                if o.contains_key("tolerance") && !o.contains_key("fuzzylist") {
                    return Err(fail(at, "`tolerance` given without `fuzzylist`".into()));
                }
                one(o, name, version, false, &at)
            })
            .collect(),
        other => Err(fail(
            "top level".into(),
            format!(
                "expected an object (v2) or an array of configurations, got {}",
                json_kind(other)
            ),
        )),
    }
}
