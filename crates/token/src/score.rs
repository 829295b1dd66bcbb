//! The assessment: findings from the bytecode, the simulation and the holder lists, each worth
//! points (a published-methodology style table, TokenSentry's in spirit), summed and capped at
//! 100, with the reasons ordered strongest first and GoPlus's field names for the flags.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analyze::{StaticReport, analyze};
use crate::disasm::decode_hex;
use crate::error::TokenError;
use crate::fork::{ChainState, ForkSpec};
use crate::holders::{HolderReport, holders};
use crate::input::{TokenInput, evm_address};
use crate::selectors::Capability;
use crate::sim::{ForkReport, SimReport, simulate, simulate_fork};

/// Why a token scored what it did: one stable code per finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Fresh buyers could not sell at all.
    Honeypot,
    /// Sells worked at launch and stopped later.
    SellBlockedLater,
    /// Fresh wallets appear to hold tokens they never received.
    FakeBalances,
    /// The sell tax is above 50%.
    ExtremeSellTax,
    /// The owner can rewrite balances.
    OwnerChangeBalance,
    /// Ownership can be taken back after renouncing.
    TakeBackOwnership,
    /// An address no getter shows has privileges.
    HiddenOwner,
    /// The contract can destroy itself.
    Selfdestruct,
    /// Only part of a balance can be sold.
    CannotSellAll,
    /// The buy tax is above 50%.
    ExtremeBuyTax,
    /// The owner can mint.
    Mintable,
    /// Transfers can be paused.
    TransferPausable,
    /// Wallet-to-wallet transfers fail.
    TransferBlocked,
    /// Buying failed.
    CannotBuy,
    /// The sell tax is 10–50%.
    HighSellTax,
    /// Taxes can be changed.
    TaxModifiable,
    /// One address's tax can be changed.
    PersonalTaxModifiable,
    /// Addresses can be blacklisted.
    Blacklist,
    /// The owner or creator holds a large share.
    OwnerConcentration,
    /// Liquidity is not locked.
    LiquidityUnlocked,
    /// The largest holders hold most of the supply.
    HolderConcentration,
    /// An airdrop function that can fake Transfer events.
    AirdropFunction,
    /// The name or symbol is an advert (a link, "claim", "visit").
    AdvertName,
    /// Not a complete ERC-20.
    NotErc20,
    /// A whitelist decides who can trade.
    Whitelist,
    /// The buy tax is 10–50%.
    HighBuyTax,
    /// An upgradeable proxy.
    Proxy,
    /// Source not verified.
    Unverified,
    /// Trading cooldown between buy and sell.
    TradingCooldown,
    /// Transfers call other contracts.
    ExternalCall,
    /// Transfers read the block time or number (and the simulation did not show why).
    TimeDependentTransfer,
    /// Max-transaction / max-wallet limits can be changed.
    AntiWhaleModifiable,
    /// Transfers lose more than 10% on the way.
    HighTransferTax,
    /// Few holders.
    FewHolders,
    /// The simulation could not run.
    NotSimulated,
}

/// One reason with its weight and words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable code.
    pub code: ReasonCode,
    /// Points it added.
    pub points: u8,
    /// What was seen, in plain words.
    pub text: String,
}

/// Risk level from the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 0–33.
    Low,
    /// 34–66.
    Medium,
    /// 67–99.
    High,
    /// 100.
    Critical,
}

impl Level {
    /// The level of a score.
    pub fn of(score: u8) -> Self {
        match score {
            0..=33 => Level::Low,
            34..=66 => Level::Medium,
            67..=99 => Level::High,
            _ => Level::Critical,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// A token's assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// Chain.
    pub chain: String,
    /// Contract address, lowercase.
    pub address: String,
    /// 0 (nothing found) to 100.
    pub score: u8,
    /// The score's band.
    pub level: Level,
    /// Reasons, most points first.
    pub reasons: Vec<Reason>,
    /// GoPlus token-security fields (strings, `"1"`/`"0"`, taxes as fractions); a field is
    /// absent when it was not determined.
    pub goplus: BTreeMap<String, String>,
    /// The bytecode analysis.
    pub static_report: StaticReport,
    /// The implementation's analysis, for a proxy whose implementation was given.
    pub implementation: Option<StaticReport>,
    /// The simulation, when it ran.
    pub simulation: Option<SimReport>,
    /// Why the simulation did not run, when it did not.
    pub simulation_error: Option<String>,
    /// Where a forked simulation read the chain, when it ran on forked state.
    pub fork: Option<ForkReport>,
    /// Holder and liquidity figures.
    pub holders: HolderReport,
}

impl Assessment {
    /// Whether the simulation showed the token cannot be sold.
    pub fn is_honeypot(&self) -> bool {
        self.goplus.get("is_honeypot").is_some_and(|v| v == "1")
    }

    /// The reason codes in order.
    pub fn codes(&self) -> Vec<ReasonCode> {
        self.reasons.iter().map(|r| r.code).collect()
    }
}

fn pct(bps: u32) -> String {
    format!("{}.{:02}%", bps / 100, bps % 100)
}

fn fraction(bps: u32) -> String {
    let s = format!("{}.{:04}", bps / 10_000, bps % 10_000);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn flag(b: bool) -> String {
    if b { "1" } else { "0" }.to_string()
}

/// Assesses one token at `now` (unix seconds; LP locks are judged against it).
///
/// # Errors
/// Only for input that cannot be read (bad hex, oversized or truncated code, bad addresses
/// or amounts). A simulation that cannot set the token up is a reason (`not_simulated`), not
/// an error.
pub fn assess(input: &TokenInput, now: u64) -> Result<Assessment, TokenError> {
    assess_with(input, now, |i| {
        if i.deploy.is_empty() {
            return Ok(None);
        }
        simulate(&i.deploy, &i.simulation).map(|s| Some((s, None)))
    })
}

/// Assesses a deployed token with its simulation on forked chain state (see
/// [`simulate_fork`]): the token is `input.address`, traded against its real pool at
/// `state`'s pinned block; `input.deploy` is ignored. An empty `input.runtime_code` is read
/// from the chain.
///
/// # Errors
/// As [`assess`], and [`TokenError::StateUnavailable`] when the node fails (the assessment
/// would be incomplete: try again). No pool to trade against is a reason (`not_simulated`).
pub fn assess_forked<S: ChainState>(
    input: &TokenInput,
    now: u64,
    state: S,
    spec: &ForkSpec,
) -> Result<Assessment, TokenError> {
    let mut input = input.clone();
    input.validate()?;
    let address = evm_address(&input.address, "address")?;
    if input.runtime_code.trim().is_empty() {
        let mut a = [0u8; 20];
        a.copy_from_slice(&decode_hex(&address, "address")?);
        let acc = state.account(a).map_err(|e| TokenError::StateUnavailable {
            step: "token code".into(),
            reason: e.0,
        })?;
        input.runtime_code = hex::encode(acc.code);
    }
    assess_with(&input, now, move |i| {
        simulate_fork(state, &address, spec, &i.simulation).map(|(s, f)| Some((s, Some(f))))
    })
}

type SimRun = Option<(SimReport, Option<ForkReport>)>;

fn assess_with(
    input: &TokenInput,
    now: u64,
    run: impl FnOnce(&TokenInput) -> Result<SimRun, TokenError>,
) -> Result<Assessment, TokenError> {
    input.validate()?;
    let address = evm_address(&input.address, "address")?;
    let st = analyze(
        decode_hex(&input.runtime_code, "runtime_code")?,
        "runtime_code",
    )?;
    let implementation = match &input.implementation_code {
        Some(c) => Some(analyze(
            decode_hex(c, "implementation_code")?,
            "implementation_code",
        )?),
        None => None,
    };
    let hold = holders(input, now)?;
    let (sim, fork, sim_error) = match run(input) {
        Ok(Some((s, f))) => (Some(s), f, None),
        Ok(None) => (None, None, Some("no creation code given".to_string())),
        Err(e @ (TokenError::BadInput { .. } | TokenError::StateUnavailable { .. })) => {
            return Err(e);
        }
        Err(e) => (None, None, Some(e.to_string())),
    };
    // Capabilities from the contract and, behind a proxy, its implementation.
    let has = |c: Capability| st.has(c) || implementation.as_ref().is_some_and(|i| i.has(c));
    let either = |f: fn(&StaticReport) -> bool| f(&st) || implementation.as_ref().is_some_and(f);

    let mut reasons: Vec<Reason> = Vec::new();
    let mut add =
        |code: ReasonCode, points: u8, text: String| reasons.push(Reason { code, points, text });
    let mut g: BTreeMap<String, String> = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        g.insert(k.to_string(), v);
    };

    // Simulation.
    if let Some(s) = &sim {
        let honeypot = s.cannot_sell();
        set("is_honeypot", flag(honeypot));
        set("cannot_buy", flag(!s.buy.ok));
        set("cannot_sell_all", flag(s.cannot_sell_all()));
        set(
            "trading_cooldown",
            flag(s.cooldown() || has(Capability::Cooldown)),
        );
        if !s.buy.ok {
            add(
                ReasonCode::CannotBuy,
                30,
                "buying through the pair failed".into(),
            );
        } else if s.blocks_sells_later() {
            add(
                ReasonCode::SellBlockedLater,
                100,
                "selling worked right after launch but failed for a buyer who came later".into(),
            );
        } else if honeypot {
            add(
                ReasonCode::Honeypot,
                100,
                "a fresh buyer could not sell, not even half, not even after waiting".into(),
            );
        }
        if s.cannot_sell_all() {
            add(
                ReasonCode::CannotSellAll,
                40,
                "selling the whole balance failed, selling half worked".into(),
            );
        }
        if let Some(t) = s.buy.tax_bps {
            set("buy_tax", fraction(t));
            if t > 5_000 {
                add(ReasonCode::ExtremeBuyTax, 40, format!("buy tax {}", pct(t)));
            } else if t > 1_000 {
                add(ReasonCode::HighBuyTax, 15, format!("buy tax {}", pct(t)));
            }
        } else if !s.buy.ok {
            set("buy_tax", "1".into());
        }
        let sell_tax = s.sell.tax_bps.or(s.sell_after_wait.and_then(|t| t.tax_bps));
        if let Some(t) = sell_tax {
            set("sell_tax", fraction(t));
            if t > 5_000 {
                add(
                    ReasonCode::ExtremeSellTax,
                    60,
                    format!("sell tax {}", pct(t)),
                );
            } else if t > 1_000 {
                add(ReasonCode::HighSellTax, 30, format!("sell tax {}", pct(t)));
            }
        } else if honeypot {
            set("sell_tax", "1".into());
        }
        let transfer = if s.transfer.ok {
            Some(s.transfer)
        } else {
            s.transfer_after_wait
        };
        match transfer.filter(|t| t.ok).and_then(|t| t.tax_bps) {
            Some(t) => {
                set("transfer_tax", fraction(t));
                if t > 1_000 {
                    add(
                        ReasonCode::HighTransferTax,
                        10,
                        format!("transfer tax {}", pct(t)),
                    );
                }
            }
            None if s.buy.ok => {
                add(
                    ReasonCode::TransferBlocked,
                    30,
                    "sending bought tokens to another wallet failed".into(),
                );
            }
            None => {}
        }
        if s.cooldown() {
            add(
                ReasonCode::TradingCooldown,
                10,
                "moving bought tokens failed at first and worked after waiting".into(),
            );
        }
        if s.phantom_balance {
            add(
                ReasonCode::FakeBalances,
                60,
                "a wallet that never received the token shows a balance".into(),
            );
        }
        let advert = |t: &str| {
            let t = t.to_ascii_lowercase();
            [
                "http", "www.", ".com", ".io", ".org", ".xyz", ".net", "claim", "visit",
            ]
            .iter()
            .any(|w| t.contains(w))
        };
        if s.name.as_deref().is_some_and(advert) || s.symbol.as_deref().is_some_and(advert) {
            add(
                ReasonCode::AdvertName,
                20,
                format!(
                    "name {:?} reads like an advert",
                    s.name.clone().unwrap_or_default()
                ),
            );
        }
        if let Some(n) = &s.name {
            set("token_name", n.clone());
        }
        if let Some(n) = &s.symbol {
            set("token_symbol", n.clone());
        }
    } else {
        add(
            ReasonCode::NotSimulated,
            10,
            format!("not simulated: {}", sim_error.clone().unwrap_or_default()),
        );
    }
    let airdrop_scam = sim.as_ref().is_some_and(|s| s.phantom_balance) || has(Capability::Airdrop);
    set("is_airdrop_scam", flag(airdrop_scam));

    // Bytecode.
    let proxy = st.is_proxy();
    set("is_proxy", flag(proxy));
    set("is_mintable", flag(has(Capability::Mint)));
    set("owner_change_balance", flag(has(Capability::ChangeBalance)));
    let take_back = has(Capability::TakeBackOwnership) || either(|r| r.privileges.take_back());
    let hidden_owner = either(|r| r.privileges.hidden_owner());
    set("can_take_back_ownership", flag(take_back));
    set("hidden_owner", flag(hidden_owner));
    set("selfdestruct", flag(either(|r| r.selfdestruct)));
    set(
        "external_call",
        flag(either(|r| r.external_call_in_transfer)),
    );
    set("transfer_pausable", flag(has(Capability::Pause)));
    set("is_blacklisted", flag(has(Capability::Blacklist)));
    set("is_whitelisted", flag(has(Capability::Whitelist)));
    set("slippage_modifiable", flag(has(Capability::SetTax)));
    set(
        "personal_slippage_modifiable",
        flag(has(Capability::SetPersonalTax)),
    );
    set(
        "is_anti_whale",
        flag(has(Capability::Limits) || has(Capability::SetLimits)),
    );
    set("anti_whale_modifiable", flag(has(Capability::SetLimits)));
    if let Some(v) = input.verified_source {
        set("is_open_source", flag(v));
    }
    if has(Capability::ChangeBalance) {
        add(
            ReasonCode::OwnerChangeBalance,
            50,
            "the owner can rewrite any balance".into(),
        );
    }
    if take_back {
        let writers: Vec<String> = std::iter::once(&st)
            .chain(implementation.as_ref())
            .flat_map(|r| r.privileges.owner_writers.iter().cloned())
            .collect();
        let text = if writers.is_empty() {
            "ownership can be taken back after it looks renounced".to_string()
        } else {
            format!(
                "ownership can be taken back after it looks renounced ({} writes the owner)",
                writers.join(", ")
            )
        };
        add(ReasonCode::TakeBackOwnership, 45, text);
    }
    if hidden_owner {
        add(
            ReasonCode::HiddenOwner,
            40,
            "an address no getter shows passes privileged checks (a hidden owner)".into(),
        );
    }
    if either(|r| r.selfdestruct) {
        add(
            ReasonCode::Selfdestruct,
            45,
            "the contract can destroy itself".into(),
        );
    }
    if has(Capability::Mint) {
        add(
            ReasonCode::Mintable,
            35,
            "new supply can be minted after launch".into(),
        );
    }
    if has(Capability::Pause) {
        add(
            ReasonCode::TransferPausable,
            30,
            "transfers can be paused".into(),
        );
    }
    if has(Capability::SetTax) {
        add(
            ReasonCode::TaxModifiable,
            25,
            "buy/sell taxes can be changed after launch".into(),
        );
    }
    if has(Capability::SetPersonalTax) {
        add(
            ReasonCode::PersonalTaxModifiable,
            25,
            "one address's tax can be set on its own".into(),
        );
    }
    if has(Capability::Blacklist) {
        add(
            ReasonCode::Blacklist,
            20,
            "addresses can be blacklisted".into(),
        );
    }
    if has(Capability::Whitelist) {
        add(
            ReasonCode::Whitelist,
            15,
            "a whitelist decides who may trade".into(),
        );
    }
    if has(Capability::Airdrop) {
        add(
            ReasonCode::AirdropFunction,
            20,
            "a bulk airdrop function".into(),
        );
    }
    if proxy {
        add(
            ReasonCode::Proxy,
            15,
            "an upgradeable proxy: its code can be replaced".into(),
        );
    }
    if !proxy && !st.erc20 {
        add(
            ReasonCode::NotErc20,
            20,
            "transfer, transferFrom or balanceOf is missing".into(),
        );
    }
    if either(|r| r.external_call_in_transfer) {
        add(
            ReasonCode::ExternalCall,
            10,
            "transfers call other contracts".into(),
        );
    }
    let time_explained = sim
        .as_ref()
        .is_some_and(|s| s.cooldown() || s.blocks_sells_later());
    if either(|r| r.time_in_transfer) && !time_explained {
        add(
            ReasonCode::TimeDependentTransfer,
            10,
            "transfers read the block time or number".into(),
        );
    }
    if has(Capability::SetLimits) {
        add(
            ReasonCode::AntiWhaleModifiable,
            10,
            "max-transaction or max-wallet limits can be changed".into(),
        );
    }
    if input.verified_source == Some(false) {
        add(
            ReasonCode::Unverified,
            15,
            "source code not verified".into(),
        );
    }

    // Holders.
    if let Some(n) = hold.holder_count {
        set("holder_count", n.to_string());
        if n < 50 {
            add(ReasonCode::FewHolders, 10, format!("{n} holders"));
        }
    }
    let owner_like = hold.owner_bps.max(hold.creator_bps);
    if let Some(b) = owner_like {
        if b > 3_000 {
            add(
                ReasonCode::OwnerConcentration,
                25,
                format!("owner or creator holds {}", pct(b)),
            );
        } else if b > 1_000 {
            add(
                ReasonCode::OwnerConcentration,
                10,
                format!("owner or creator holds {}", pct(b)),
            );
        }
    }
    if let Some(b) = hold.top10_bps {
        if b > 8_000 {
            add(
                ReasonCode::HolderConcentration,
                20,
                format!("top 10 holders hold {}", pct(b)),
            );
        } else if b > 5_000 {
            add(
                ReasonCode::HolderConcentration,
                10,
                format!("top 10 holders hold {}", pct(b)),
            );
        }
    }
    if let Some(b) = hold.lp_locked_bps
        && b < 5_000
    {
        add(
            ReasonCode::LiquidityUnlocked,
            20,
            format!("only {} of the liquidity is locked or burned", pct(b)),
        );
    }
    if let Some(b) = hold.owner_bps {
        set("owner_percent", fraction(b));
    }
    if let Some(b) = hold.creator_bps {
        set("creator_percent", fraction(b));
    }
    if let Some(t) = &input.total_supply {
        set("total_supply", t.clone());
    }
    if let Some(t) = &input.lp_total_supply {
        set("lp_total_supply", t.clone());
    }
    set("lp_holder_count", hold.lp_holder_count.to_string());
    let owner = input
        .owner
        .clone()
        .or_else(|| sim.as_ref().and_then(|s| s.owner.clone()));
    if let Some(o) = owner {
        set("owner_address", o.to_ascii_lowercase());
    }
    if let Some(c) = &input.creator {
        set("creator_address", c.to_ascii_lowercase());
    }

    reasons.sort_by(|a, b| b.points.cmp(&a.points).then(a.code.cmp(&b.code)));
    let total: u32 = reasons.iter().map(|r| u32::from(r.points)).sum();
    let score = total.min(100) as u8;
    Ok(Assessment {
        chain: input.chain.clone(),
        address,
        score,
        level: Level::of(score),
        reasons,
        goplus: g,
        static_report: st,
        implementation,
        simulation: sim,
        simulation_error: sim_error,
        fork,
        holders: hold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_and_levels() {
        assert_eq!(fraction(9_900), "0.99");
        assert_eq!(fraction(100), "0.01");
        assert_eq!(fraction(10_000), "1");
        assert_eq!(fraction(0), "0");
        assert_eq!(Level::of(33), Level::Low);
        assert_eq!(Level::of(34), Level::Medium);
        assert_eq!(Level::of(100), Level::Critical);
    }
}
