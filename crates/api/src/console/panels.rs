//! The panels every service has from the start: health, API keys, recent decisions, the
//! threat-intelligence lists and the operators. The binary adds its own (proof-of-reserves
//! rounds, job queues, the audit chain check).

use std::sync::Arc;

use custodia_events::{Clock, EventReader, StoreHealth, Timestamp};
use custodia_guard::{Catalog, ListImported, ListTotals};
use custodia_keys::{OperatorRepo, kinds as key_kinds};

use super::{Console, Panel, PanelStatus};

/// Event kinds that are bookkeeping, not decisions: left out of "recent decisions".
const NOT_DECISIONS: &[&str] = &[key_kinds::KEY_USED, "audit.repeated"];

/// How many of the latest events "recent decisions" looks through, and shows at most.
const DECISIONS_SCANNED: u32 = 500;
const DECISIONS_SHOWN: usize = 25;

const DAY_MS: i64 = 86_400_000;

/// Registers the built-in panels on `console`.
pub fn builtin<S>(console: &Console, store: S, clock: Arc<dyn Clock>, catalog: Arc<Catalog>)
where
    S: EventReader + StoreHealth + OperatorRepo + Clone + 'static,
{
    let s = store.clone();
    console.add("health", "Service health", move || {
        let s = s.clone();
        async move {
            let (backend, schema) = s.health().await.map_err(|e| e.to_string())?;
            let (head, hash) = s.head().await.map_err(|e| e.to_string())?;
            Ok(Panel::new("health", "")
                .fact("store", backend)
                .fact("schema version", schema)
                .fact("events in the log", head)
                .fact("chain head", format!("{}…", &hash.to_hex()[..16])))
        }
    });

    let (s, c) = (store.clone(), clock.clone());
    console.add("keys", "API keys", move || {
        let (s, c) = (s.clone(), c.clone());
        async move {
            let now = c.now();
            let all = Timestamp::from_millis(0);
            let day = now.minus_millis(DAY_MS);
            let end = now.plus_millis(1);
            let count = |kind: &'static str, from: Timestamp| {
                let s = s.clone();
                async move {
                    s.count_kind(kind, from, end)
                        .await
                        .map_err(|e| e.to_string())
                }
            };
            let created = count(key_kinds::KEY_CREATED, all).await?;
            let deleted = count(key_kinds::KEY_DELETED, all).await?;
            let expired = count(key_kinds::KEY_EXPIRED, all).await?;
            let denied_day = count(key_kinds::REQUEST_DENIED, day).await?;
            let totp_day = count(key_kinds::TOTP_REJECTED, day).await?;
            Ok(Panel::new("keys", "")
                .fact("created", created)
                .fact("deleted", deleted)
                .fact("expired (idle)", expired)
                .fact(
                    "in use",
                    created.saturating_sub(deleted).saturating_sub(expired),
                )
                .fact("signed requests denied, 24 h", denied_day)
                .fact("TOTP codes rejected, 24 h", totp_day)
                .note(
                    "Counted from the event log (since its retention anchor); repeated \
                     denials folded into audit.repeated rows count once.",
                ))
        }
    });

    let s = store.clone();
    console.add("decisions", "Recent security decisions", move || {
        let s = s.clone();
        async move {
            let (head, _) = s.head().await.map_err(|e| e.to_string())?;
            let after = head.saturating_sub(u64::from(DECISIONS_SCANNED));
            let events = s
                .events_after(after, DECISIONS_SCANNED)
                .await
                .map_err(|e| e.to_string())?;
            let rows: Vec<Vec<String>> = events
                .iter()
                .rev()
                .filter(|e| !NOT_DECISIONS.contains(&e.body.kind.as_str()))
                .take(DECISIONS_SHOWN)
                .map(|e| {
                    vec![
                        e.seq.to_string(),
                        e.body.time.to_iso8601_millis(),
                        e.body.kind.as_str().to_owned(),
                        e.body.actor.as_str().to_owned(),
                        e.body.subject.as_str().to_owned(),
                    ]
                })
                .collect();
            let p = Panel::new("decisions", "");
            let p = if rows.is_empty() {
                p.note("No decisions recorded yet.")
            } else {
                p.note(format!(
                    "The latest {} decisions (newest first); the full log is at \
                     GET /v1/audit/events.",
                    rows.len()
                ))
            };
            Ok(p.table(&["seq", "time", "kind", "actor", "subject"], rows))
        }
    });

    let s = store.clone();
    console.add("guard", "Threat-intelligence lists", move || {
        let (s, catalog) = (s.clone(), catalog.clone());
        async move {
            let totals = ListTotals::of(&catalog.current());
            let end = Timestamp::from_millis(i64::MAX);
            let imports = s
                .events_of_kinds(
                    &[custodia_guard::kinds::LIST_IMPORTED],
                    Timestamp::from_millis(0),
                    end,
                    0,
                    10_000,
                )
                .await
                .map_err(|e| e.to_string())?;
            // The latest import of each (list, part).
            let mut latest: std::collections::BTreeMap<(String, String), Vec<String>> =
                Default::default();
            for e in &imports {
                let Some(Ok(p)) = e.decode::<ListImported>() else {
                    continue;
                };
                let part = serde_json::to_value(p.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                latest.insert(
                    (p.source.clone(), part.clone()),
                    vec![
                        p.source,
                        part,
                        p.accepted.to_string(),
                        p.rejected.to_string(),
                        e.body.time.to_iso8601_millis(),
                    ],
                );
            }
            let rows: Vec<Vec<String>> = latest.into_values().collect();
            let mut p = Panel::new("guard", "")
                .fact("listed addresses", totals.addresses)
                .fact("blocked hosts", totals.blocked)
                .fact("allowed hosts", totals.allowed)
                .fact(
                    "published snapshot",
                    catalog
                        .published()
                        .map_or("none".to_owned(), |p| format!("v{}", p.version)),
                );
            if rows.is_empty() {
                p = p.status(
                    PanelStatus::Warn,
                    "No list imported: address screening and domain checks have nothing to \
                     match (POST /v1/admin/guard/lists/…).",
                );
            }
            Ok(p.table(&["list", "part", "accepted", "rejected", "imported"], rows))
        }
    });

    let s = store;
    console.add("operators", "Operators", move || {
        let s = s.clone();
        async move {
            let ops = s.list_operators().await.map_err(|e| e.to_string())?;
            let active = ops.iter().filter(|o| o.revoked_at.is_none()).count();
            let rows = ops
                .iter()
                .map(|o| {
                    vec![
                        o.name.clone(),
                        o.role.as_str().to_owned(),
                        o.created_at.to_iso8601_millis(),
                        o.revoked_at
                            .map_or("active".to_owned(), |t| format!("revoked {t}")),
                    ]
                })
                .collect();
            Ok(Panel::new("operators", "")
                .fact("active", active)
                .fact("revoked", ops.len() - active)
                .note("Manage with `custodia operators create|list|revoke`.")
                .table(&["name", "role", "created", "state"], rows))
        }
    });
}
