//! The panels of the services that keep their own tables — the safety fund, login defence,
//! user protection — and of scam-token checks. Their counts come from each service's own
//! store query (`SELECT … GROUP BY` over its tables), so they stay exact when the event log
//! is pruned below its retention anchor; only "recent" lists read the latest events.

use std::sync::Arc;

use custodia_events::{Clock, Event, EventReader};
use custodia_fund::{EntryKind, FundRepo, JournalQuery, PoolActivity, PoolState};
use custodia_login::LoginRepo;
use custodia_protect::ProtectRepo;

use super::{Console, Panel, PanelStatus};
use crate::fund::routes::{decimal as units, signed};

const DAY_MS: i64 = 86_400_000;

/// How many of the latest events a "recent" list looks through, and shows at most.
const RECENT_SCANNED: u32 = 500;
const RECENT_SHOWN: usize = 15;

/// Registers the fund, login, protect and token panels on `console`.
pub fn services<S>(console: &Console, store: S, clock: Arc<dyn Clock>)
where
    S: EventReader + FundRepo + LoginRepo + ProtectRepo + Clone + 'static,
{
    let (s, c) = (store.clone(), clock.clone());
    console.add("fund", "Safety fund and risk provision fund", move || {
        let (s, c) = (s.clone(), c.clone());
        async move {
            let now = c.now();
            let pools = s.pools().await.map_err(|e| e.to_string())?;
            let day = s
                .activity(now.minus_millis(DAY_MS), now.plus_millis(1))
                .await
                .map_err(|e| e.to_string())?;
            Ok(fund_panel(&pools, &day))
        }
    });

    let s = store.clone();
    console.add("fund-journal", "Fund: recent cover and ADL", move || {
        let s = s.clone();
        async move {
            let decimals: std::collections::HashMap<String, u8> = s
                .pools()
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|p| (p.spec.id.as_str().to_owned(), p.spec.decimals))
                .collect();
            let mut lines = Vec::new();
            for kind in [EntryKind::BankruptcyLoss, EntryKind::Adl] {
                let q = JournalQuery {
                    kind: Some(kind),
                    limit: RECENT_SHOWN as u32,
                    ..JournalQuery::default()
                };
                lines.extend(s.journal(&q).await.map_err(|e| e.to_string())?);
            }
            lines.sort_by_key(|l| std::cmp::Reverse(l.id));
            lines.truncate(RECENT_SHOWN);
            let rows: Vec<Vec<String>> = lines
                .iter()
                .map(|l| {
                    let d = decimals.get(l.pool.as_str()).copied().unwrap_or(0);
                    vec![
                        l.at.to_iso8601_millis(),
                        l.pool.as_str().to_owned(),
                        l.adl_type
                            .clone()
                            .unwrap_or_else(|| l.kind.as_str().to_owned()),
                        signed(l.amount, d),
                        units(l.balance, d),
                        l.key.clone(),
                    ]
                })
                .collect();
            let p = Panel::new("fund-journal", "").note(if rows.is_empty() {
                "No deficit covered and no ADL episode yet.".to_owned()
            } else {
                "Deficits the pools covered (bankruptcy_loss) and ADL episodes started and \
                 ended, newest first; the full journal is at GET /api/v5/public/insurance-fund."
                    .to_owned()
            });
            Ok(p.table(
                &["time", "pool", "type", "amount", "balance", "operation"],
                rows,
            ))
        }
    });

    let (s, c) = (store.clone(), clock.clone());
    console.add("login", "Login defence", move || {
        let (s, c) = (s.clone(), c.clone());
        async move {
            let now = c.now();
            let o = s
                .login_overview(now, now.minus_millis(DAY_MS))
                .await
                .map_err(|e| e.to_string())?;
            let rows = recent(&s, &["login."], &["decision", "change"]).await?;
            let mut p = Panel::new("login", "")
                .fact("accounts", o.accounts)
                .fact("locked now", o.locked)
                .fact("allowlist-only withdrawals", o.allowlist_only)
                .fact("failing sources, 24 h", o.failing_sources)
                .fact("accounts with failures, 24 h", o.failing_accounts)
                .fact("security changes, 24 h", o.security_changes)
                .fact("withdrawals allowed, 24 h", o.withdrawals)
                .note(
                    "Counts from the login defence's own tables; the table lists its latest \
                     decisions from the event log, newest first.",
                );
            if o.locked > 0 {
                p = p.status(
                    PanelStatus::Warn,
                    format!("{} account(s) locked after failed logins.", o.locked),
                );
            }
            Ok(p.table(&["seq", "time", "kind", "subject", "decision"], rows))
        }
    });

    let (s, c) = (store.clone(), clock.clone());
    console.add("protect", "User protection", move || {
        let (s, c) = (s.clone(), c.clone());
        async move {
            let o = s
                .protect_overview(c.now())
                .await
                .map_err(|e| e.to_string())?;
            let rows = recent(&s, &["protect."], &["state", "to", "reasons"]).await?;
            let mut p = Panel::new("protect", "")
                .fact("accounts", o.accounts)
                .fact("in cooling-off now", o.cooling_off)
                .fact("knowledge check passed", o.knowledge_passed)
                .fact("deposit addresses in use", o.active_addresses);
            for (state, n) in &o.cases {
                p = p.fact(&format!("cases {state}"), n);
            }
            let open: u64 = o
                .cases
                .iter()
                .filter(|(s, _)| !s.is_closed())
                .map(|(_, n)| n)
                .sum();
            p = p.note(format!(
                "{open} recovery case(s) open. Counts from user protection's own tables; the \
                 table lists its latest decisions from the event log, newest first."
            ));
            Ok(p.table(&["seq", "time", "kind", "subject", "detail"], rows))
        }
    });

    let (s, c) = (store, clock);
    console.add("token", "Scam-token checks", move || {
        let (s, c) = (s.clone(), c.clone());
        async move {
            let now = c.now();
            let day = s
                .count_kind(
                    custodia_token::kinds::TOKEN_ASSESSED,
                    now.minus_millis(DAY_MS),
                    now.plus_millis(1),
                )
                .await
                .map_err(|e| e.to_string())?;
            let rows = recent(&s, &["token."], &["level", "score", "honeypot"]).await?;
            Ok(Panel::new("token", "")
                .fact("tokens assessed, 24 h", day)
                .note(
                    "Token checks keep no table of their own: the count is read from the event \
                     log (since its retention anchor), the table lists the latest verdicts.",
                )
                .table(&["seq", "time", "kind", "subject", "verdict"], rows))
        }
    });
}

/// The pool table and the last day's cover, surplus and ADL counts.
fn fund_panel(pools: &[PoolState], day: &[PoolActivity]) -> Panel {
    // Lines of kind `k` posted in the day, those of ADL split by start and end.
    let count = |k: EntryKind, end: Option<bool>| -> u64 {
        day.iter()
            .filter(|a| a.kind == k)
            .filter(|a| {
                end.is_none_or(|e| (a.adl_type.as_deref() == Some(custodia_fund::ADL_END)) == e)
            })
            .map(|a| a.count)
            .sum()
    };
    let covered = count(EntryKind::BankruptcyLoss, None);
    let surplus = count(EntryKind::LiquidationBalanceDeposit, None);
    let started = count(EntryKind::Adl, Some(false));
    let ended = count(EntryKind::Adl, Some(true));
    let in_adl: Vec<&PoolState> = pools.iter().filter(|p| p.adl.is_some()).collect();
    let rows = pools
        .iter()
        .map(|p| {
            let d = p.spec.decimals;
            let covered: i64 = day
                .iter()
                .filter(|a| a.pool == p.spec.id && a.kind == EntryKind::BankruptcyLoss)
                .map(|a| a.total)
                .sum();
            vec![
                p.spec.id.as_str().to_owned(),
                units(p.balance.units(), d),
                units(p.peak.units(), d),
                units(p.spec.floor.units(), d),
                signed(covered.saturating_neg(), d),
                p.adl.map_or("—".to_owned(), |(t, since)| {
                    format!("{} since {}", t.as_str(), since.to_iso8601_millis())
                }),
            ]
        })
        .collect();
    let mut p = Panel::new("fund", "")
        .fact("pools", pools.len())
        .fact("in ADL now", in_adl.len())
        .fact("deficits covered, 24 h", covered)
        .fact("surpluses received, 24 h", surplus)
        .fact("ADL episodes started, 24 h", started)
        .fact("ADL episodes ended, 24 h", ended)
        .note(
            "Balances and counts from the fund's own journal (exact whatever the event log's \
             retention); top-ups and transfers: `custodia fund top-up|transfer`.",
        );
    if !in_adl.is_empty() {
        let names: Vec<&str> = in_adl.iter().map(|p| p.spec.id.as_str()).collect();
        p = p.status(
            PanelStatus::Warn,
            format!(
                "Auto-deleveraging in force on {}: the pool pays no deficit until it recovers.",
                names.join(", ")
            ),
        );
    } else if pools.is_empty() {
        p = p.status(PanelStatus::Warn, "No pool configured ([fund] pools).");
    }
    p.table(
        &[
            "pool",
            "balance",
            "8 h peak",
            "floor",
            "covered, 24 h",
            "ADL",
        ],
        rows,
    )
}

/// The latest events whose kind starts with one of `prefixes`, newest first, with the first of
/// `fields` their payload holds as the last cell.
async fn recent<S: EventReader>(
    s: &S,
    prefixes: &[&str],
    fields: &[&str],
) -> Result<Vec<Vec<String>>, String> {
    let (head, _) = s.head().await.map_err(|e| e.to_string())?;
    let events = s
        .events_after(
            head.saturating_sub(u64::from(RECENT_SCANNED)),
            RECENT_SCANNED,
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(events
        .iter()
        .rev()
        .filter(|e| prefixes.iter().any(|p| e.body.kind.as_str().starts_with(p)))
        .take(RECENT_SHOWN)
        .map(|e| row(e, fields))
        .collect())
}

fn row(e: &Event, fields: &[&str]) -> Vec<String> {
    let payload = e.body.payload.to_value();
    let detail = fields
        .iter()
        .find_map(|f| match payload.get(*f)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(a) => Some(
                a.iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            v => Some(v.to_string()),
        })
        .unwrap_or_default();
    vec![
        e.seq.to_string(),
        e.body.time.to_iso8601_millis(),
        e.body.kind.as_str().to_owned(),
        e.body.subject.as_str().to_owned(),
        detail,
    ]
}

#[cfg(test)]
mod tests {
    use custodia_events::Timestamp;

    use super::*;
    use custodia_primitives::Amount;

    #[test]
    fn amounts_keep_their_sign_and_decimals() {
        assert_eq!(signed(-1_500_000, 6), "-1.5");
        assert_eq!(signed(1_500_000, 6), "1.5");
        assert_eq!(units(0, 8), "0");
    }

    #[test]
    fn a_pool_in_adl_warns_and_a_calm_one_does_not() {
        let spec = custodia_fund::PoolSpec {
            id: "swap:BTC-USDT:USDT".parse().unwrap(),
            decimals: 6,
            floor: Amount::ZERO,
        };
        let mut s = PoolState::new(spec, Timestamp::from_millis(0));
        s.balance = Amount::new(7_000_000).unwrap();
        let day = [PoolActivity {
            pool: s.spec.id.clone(),
            kind: EntryKind::BankruptcyLoss,
            adl_type: None,
            count: 3,
            total: -2_000_000,
        }];
        let calm = fund_panel(std::slice::from_ref(&s), &day);
        assert_eq!(calm.status, PanelStatus::Ok);
        let t = calm.table.as_ref().unwrap();
        assert_eq!(t.rows[0][1], "7");
        assert_eq!(t.rows[0][4], "2");
        assert!(
            calm.facts
                .iter()
                .any(|f| f.label == "deficits covered, 24 h" && f.value == "3")
        );
        s.adl = Some((custodia_fund::AdlType::Rate, Timestamp::from_millis(5)));
        let hot = fund_panel(&[s], &day);
        assert_eq!(hot.status, PanelStatus::Warn);
        assert!(hot.note.unwrap().contains("swap:BTC-USDT:USDT"));
    }
}
