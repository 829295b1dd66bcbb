//! What a verifier concluded, and the one JSON shape every verifier prints it in.
//!
//! `custodia-verify --json`, `custodia verify … --json`, `custodia por aggregate --json` and the
//! browser page all print [`JsonReport`] (schema [`SCHEMA`], documented in `docs/verify.md`), so a
//! script reads any of them the same way. The exit-code rule is [`Outcome::code`]: 0 verified,
//! 1 a cryptographic or arithmetic rejection, 2 missing, unreadable or malformed input.

use custodia_primitives::{Amount, Total};
use custodia_sumtree::{RoundManifest, VerifiedInclusion};
use serde::Serialize;

use super::InputError;

/// Schema tag of [`JsonReport`]; a change that removes or renames a field bumps it.
pub const SCHEMA: &str = "custodia-verify/1";

/// How a run ended: the one rule every verifier's exit code follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every check verified (exit 0).
    Verified,
    /// A check was made and failed: a proof, a hash path, a sum, a root (exit 1).
    Rejected,
    /// Nothing could be checked: a file is missing, unreadable or malformed, or the command line
    /// is wrong (exit 2).
    Error,
}

impl Outcome {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Verified => 0,
            Self::Rejected => 1,
            Self::Error => 2,
        }
    }
}

/// What a check was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// `round.json`'s root against the root the exchange published (given with `--root`).
    Root,
    /// A user's balances: the hash path to the root and the proof of the batch holding them.
    Inclusion,
    /// The whole round: every batch proof, the top of the tree, the published totals.
    Round,
    /// The round's link to the round before it.
    History,
    /// The exchange's proof of assets: wallet signatures re-checked, reserve ratios.
    Reserves,
}

/// One check's outcome, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was checked.
    pub kind: CheckKind,
    /// Whether it verified.
    pub ok: bool,
    /// What it established, or why it was rejected.
    pub text: String,
}

/// One asset's amounts, with the unit of every field explicit: `equity`/`debt` are decimals of
/// whole units (`"0.5"` BTC), `equity_units`/`debt_units` integers of the smallest unit
/// (`"50000000"` satoshi), both as strings so no JSON reader rounds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetAmounts {
    /// Asset symbol.
    pub asset: String,
    /// Decimals of the asset's smallest unit.
    pub decimals: u8,
    /// Equity in whole units (decimal).
    pub equity: String,
    /// Debt in whole units (decimal).
    pub debt: String,
    /// Equity in smallest units (integer).
    pub equity_units: String,
    /// Debt in smallest units (integer).
    pub debt_units: String,
}

impl AssetAmounts {
    fn new(asset: &str, decimals: u8, equity: Total, debt: Total) -> Self {
        Self {
            asset: asset.to_owned(),
            decimals,
            equity: equity.to_decimal(decimals),
            debt: debt.to_decimal(decimals),
            equity_units: equity.units().to_string(),
            debt_units: debt.units().to_string(),
        }
    }

    /// `BTC 0.5`, or `USDT 120 (debt 3)`.
    pub fn text(&self) -> String {
        if self.debt_units == "0" {
            format!("{} {}", self.asset, group_digits(&self.equity))
        } else {
            format!(
                "{} {} (debt {})",
                self.asset,
                group_digits(&self.equity),
                group_digits(&self.debt)
            )
        }
    }
}

/// The assets a user holds or owes (zero rows left out), in the round's order.
pub fn user_balances(v: &VerifiedInclusion) -> Vec<AssetAmounts> {
    v.balances
        .iter()
        .filter(|(_, _, e, d)| !(e.is_zero() && d.is_zero()))
        .map(|(id, dec, e, d)| AssetAmounts::new(id.as_str(), *dec, total(*e), total(*d)))
        .collect()
}

fn total(a: Amount) -> Total {
    Total::from_units(u128::from(a.units()))
}

/// The per-asset totals a verified round proves, every asset included.
pub fn round_totals(m: &RoundManifest) -> Vec<AssetAmounts> {
    m.totals
        .iter()
        .map(|t| AssetAmounts::new(t.asset.as_str(), t.decimals, t.equity, t.debt))
        .collect()
}

/// `12345678.5` → `12,345,678.5`: digits grouped for reading, in text only (JSON keeps the plain
/// decimal).
pub fn group_digits(decimal: &str) -> String {
    let (int, frac) = decimal
        .split_once('.')
        .map_or((decimal, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(decimal.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// `1 batch`, `4 batches`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One asset's reserve ratio, re-checked from the published wallet file (amounts are decimals
/// of whole units; ratios in basis points, rounded down, and as percent text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReserveLine {
    /// Asset symbol.
    pub asset: String,
    /// `covered`, `covered_counting_unchecked`, `below100`, `nothing_owed` or `not_measured`.
    pub outcome: custodia_reserves_check::AssetOutcome,
    /// Held in wallets whose signature this verifier re-checked (whole units).
    pub held: String,
    /// Held in wallets the exchange counts that this verifier cannot re-check (whole units).
    pub held_unchecked: String,
    /// Owed to customers net: equity − debt (whole units, signed).
    pub owed: String,
    /// `held ÷ owed`, basis points (positive `owed` only).
    pub ratio_bps: Option<u64>,
    /// `(held + held_unchecked) ÷ owed`, basis points.
    pub ratio_with_unchecked_bps: Option<u64>,
    /// `ratio_with_unchecked_bps` as `103.27%`.
    pub ratio_percent: Option<String>,
    /// Wallets re-checked.
    pub wallets: usize,
    /// Wallets not re-checked here.
    pub wallets_unchecked: usize,
}

impl ReserveLine {
    /// The JSON line of a re-checked asset.
    pub fn of(a: &custodia_reserves_check::AssetCheck) -> Self {
        let dec = |u: u128| Total::from_units(u).to_decimal(a.decimals);
        let owed = dec(a.net.unsigned_abs());
        Self {
            asset: a.asset.clone(),
            outcome: a.outcome,
            held: dec(a.reserves),
            held_unchecked: dec(a.reserves_unchecked),
            owed: if a.net < 0 { format!("-{owed}") } else { owed },
            ratio_bps: a.ratio_bps,
            ratio_with_unchecked_bps: a.ratio_with_unchecked_bps,
            ratio_percent: a
                .ratio_with_unchecked_bps
                .map(custodia_reserves_check::percent),
            wallets: a.wallets,
            wallets_unchecked: a.wallets_unchecked,
        }
    }
}

/// One round of a several-round check ([`super::check_rounds`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundLine {
    /// Round id.
    pub round: String,
    /// Its root.
    pub root: String,
    /// Its snapshot time (RFC 3339 UTC).
    pub snapshot_time: String,
    /// The round its manifest names as the one before it.
    pub previous: Option<String>,
    /// Whether every check of this round verified.
    pub verified: bool,
    /// Its own plain-words line.
    pub summary: String,
}

/// A user whose inclusion verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserBalances {
    /// The account id.
    pub user_id: String,
    /// What the round counts for them.
    pub balances: Vec<AssetAmounts>,
}

/// Everything a verifier concluded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The round id.
    pub round: String,
    /// The root `round.json` states.
    pub root: String,
    /// The first line a customer reads: what the result means for them, without jargon.
    pub summary: String,
    /// Each check, in order.
    pub findings: Vec<Finding>,
    /// Users whose inclusion verified, with their balances.
    pub users: Vec<UserBalances>,
    /// The per-asset totals the round's proofs establish (when the whole round was checked).
    pub totals: Vec<AssetAmounts>,
    /// Per-asset reserve ratios (when the round's proof-of-assets files were given).
    pub reserves: Vec<ReserveLine>,
    /// Each round of a several-round check, oldest first (empty for one round).
    pub rounds: Vec<RoundLine>,
    /// Notes that are neither verified nor rejected (e.g. a check skipped for lack of files).
    pub notes: Vec<String>,
}

impl Report {
    /// True when there was something to check and every check verified.
    pub fn verified(&self) -> bool {
        !self.findings.is_empty() && self.findings.iter().all(|f| f.ok)
    }

    /// [`Outcome::Verified`] or [`Outcome::Rejected`].
    pub fn outcome(&self) -> Outcome {
        if self.verified() {
            Outcome::Verified
        } else {
            Outcome::Rejected
        }
    }
}

/// The JSON every verifier prints (schema [`SCHEMA`]); see `docs/verify.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonReport {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// `verified`, `rejected` or `error`.
    pub status: Outcome,
    /// The exit code the process ends with.
    pub exit_code: u8,
    /// The plain-words first line.
    pub summary: String,
    /// Round id, when a `round.json` was read.
    pub round: Option<String>,
    /// Root `round.json` states, when one was read.
    pub root: Option<String>,
    /// The only user's id, when exactly one user was verified.
    pub user_id: Option<String>,
    /// The only user's balances, when exactly one user was verified (else empty).
    pub balances: Vec<AssetAmounts>,
    /// Every verified user with their balances.
    pub users: Vec<UserBalances>,
    /// Per-asset totals the proofs establish (when the whole round was checked).
    pub totals: Vec<AssetAmounts>,
    /// Per-asset reserve ratios re-checked from the published wallet file.
    pub reserves: Vec<ReserveLine>,
    /// Each round of a several-round check, oldest first.
    pub rounds: Vec<RoundLine>,
    /// Every check made.
    pub checks: Vec<Finding>,
    /// Remarks that are neither verified nor rejected.
    pub notes: Vec<String>,
    /// Why nothing could be checked (status `error`).
    pub error: Option<String>,
}

impl JsonReport {
    /// The JSON of a finished check.
    pub fn of(report: &Report) -> Self {
        let status = report.outcome();
        let only = (report.users.len() == 1).then(|| &report.users[0]);
        Self {
            schema: SCHEMA,
            status,
            exit_code: status.code(),
            summary: report.summary.clone(),
            round: Some(report.round.clone()),
            root: Some(report.root.clone()),
            user_id: only.map(|u| u.user_id.clone()),
            balances: only.map(|u| u.balances.clone()).unwrap_or_default(),
            users: report.users.clone(),
            totals: report.totals.clone(),
            reserves: report.reserves.clone(),
            rounds: report.rounds.clone(),
            checks: report.findings.clone(),
            notes: report.notes.clone(),
            error: None,
        }
    }

    /// The JSON of a run that could not check anything.
    pub fn error(e: &InputError) -> Self {
        Self {
            schema: SCHEMA,
            status: Outcome::Error,
            exit_code: Outcome::Error.code(),
            summary: format!("Nothing could be checked: {e}"),
            round: None,
            root: None,
            user_id: None,
            balances: Vec::new(),
            users: Vec::new(),
            totals: Vec::new(),
            reserves: Vec::new(),
            rounds: Vec::new(),
            checks: Vec::new(),
            notes: Vec::new(),
            error: Some(e.0.clone()),
        }
    }

    /// Compact JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("the report serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_grouped_in_threes_before_the_point_only() {
        for (plain, grouped) in [
            ("0", "0"),
            ("999", "999"),
            ("1000", "1,000"),
            ("79243.84116693", "79,243.84116693"),
            ("701226601866.82", "701,226,601,866.82"),
            ("0.00001", "0.00001"),
        ] {
            assert_eq!(group_digits(plain), grouped);
        }
    }

    #[test]
    fn plurals_follow_the_count() {
        assert_eq!(plural(1, "batch", "batches"), "1 batch");
        assert_eq!(plural(0, "batch", "batches"), "0 batches");
        assert_eq!(plural(4, "batch", "batches"), "4 batches");
    }

    #[test]
    fn an_empty_report_is_not_verified() {
        let r = Report::default();
        assert_eq!(r.outcome(), Outcome::Rejected);
        let mut r = Report::default();
        r.findings.push(Finding {
            kind: CheckKind::Round,
            ok: true,
            text: String::new(),
        });
        assert_eq!(r.outcome(), Outcome::Verified);
        let j = JsonReport::of(&r);
        assert_eq!(j.exit_code, 0);
        let text = j.to_json();
        assert!(
            text.starts_with(r#"{"schema":"custodia-verify/1","status":"verified","exit_code":0"#),
            "{text}"
        );
        assert!(text.contains(r#""kind":"round""#), "{text}");
        let e = JsonReport::error(&InputError("no round.json".into()));
        assert_eq!((e.status, e.exit_code), (Outcome::Error, 2));
    }
}
