//! Holder and liquidity distribution.

use serde::{Deserialize, Serialize};

use crate::error::TokenError;
use crate::input::{Holder, TokenInput, amount, evm_address};

/// Addresses whose tokens nobody can move: the zero address and the customary dead ones.
pub const BURN_ADDRESSES: &[&str] = &[
    "0x0000000000000000000000000000000000000000",
    "0x000000000000000000000000000000000000dead",
    "0xdead000000000000000042069420694206942069",
];

/// What the holder lists show (shares in basis points of the supply).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolderReport {
    /// Holders, as reported.
    pub holder_count: Option<u64>,
    /// The ten largest holders' share (pools and burn addresses left out).
    pub top10_bps: Option<u32>,
    /// The largest single holder's share (same exclusions).
    pub top1_bps: Option<u32>,
    /// The owner's share.
    pub owner_bps: Option<u32>,
    /// The creator's share.
    pub creator_bps: Option<u32>,
    /// LP tokens burned or under a lock that has not expired, share of the LP supply.
    pub lp_locked_bps: Option<u32>,
    /// When the earliest still-running LP lock ends (unix seconds).
    pub lp_unlock_time: Option<u64>,
    /// LP holders listed.
    pub lp_holder_count: usize,
}

fn share(part: u128, total: u128) -> u32 {
    if total == 0 {
        return 0;
    }
    // part/total in basis points without overflow: scale the larger side down first.
    let bps = if part <= u128::MAX / 10_000 {
        part * 10_000 / total
    } else {
        part / (total / 10_000).max(1)
    };
    u32::try_from(bps.min(10_000)).unwrap_or(10_000)
}

fn is_burn(addr: &str) -> bool {
    BURN_ADDRESSES.contains(&addr)
}

fn balance_of(list: &[Holder], who: &str) -> Result<u128, TokenError> {
    let mut sum = 0u128;
    for (i, h) in list.iter().enumerate() {
        if evm_address(&h.address, "holders.address")? == who {
            sum = sum.saturating_add(amount(&h.balance, &format!("holders[{i}].balance"))?);
        }
    }
    Ok(sum)
}

/// Analyses the holder lists of a validated input at `now` (unix seconds).
pub fn holders(input: &TokenInput, now: u64) -> Result<HolderReport, TokenError> {
    let mut r = HolderReport {
        holder_count: input.holder_count,
        lp_holder_count: input.lp_holders.len(),
        ..HolderReport::default()
    };
    if let Some(total) = input.total_supply.as_deref() {
        let total = amount(total, "total_supply")?;
        let mut balances = Vec::new();
        for (i, h) in input.holders.iter().enumerate() {
            let a = evm_address(&h.address, &format!("holders[{i}].address"))?;
            if h.is_pool || is_burn(&a) {
                continue;
            }
            balances.push(amount(&h.balance, &format!("holders[{i}].balance"))?);
        }
        balances.sort_unstable_by(|a, b| b.cmp(a));
        if !balances.is_empty() {
            let top: u128 = balances
                .iter()
                .take(10)
                .fold(0u128, |s, b| s.saturating_add(*b));
            r.top10_bps = Some(share(top, total));
            r.top1_bps = Some(share(balances[0], total));
        }
        if let Some(o) = input.owner.as_deref() {
            let o = evm_address(o, "owner")?;
            if !is_burn(&o) {
                r.owner_bps = Some(share(balance_of(&input.holders, &o)?, total));
            }
        }
        if let Some(c) = input.creator.as_deref() {
            let c = evm_address(c, "creator")?;
            r.creator_bps = Some(share(balance_of(&input.holders, &c)?, total));
        }
    }
    if !input.lp_holders.is_empty() {
        let mut listed = 0u128;
        let mut locked = 0u128;
        for (i, h) in input.lp_holders.iter().enumerate() {
            let a = evm_address(&h.address, &format!("lp_holders[{i}].address"))?;
            let bal = amount(&h.balance, &format!("lp_holders[{i}].balance"))?;
            listed = listed.saturating_add(bal);
            if is_burn(&a) {
                locked = locked.saturating_add(bal);
                continue;
            }
            let mut held = 0u128;
            for (j, l) in h.locks.iter().enumerate() {
                if l.unlock_time > now {
                    held = held.saturating_add(amount(
                        &l.amount,
                        &format!("lp_holders[{i}].locks[{j}].amount"),
                    )?);
                    r.lp_unlock_time = Some(
                        r.lp_unlock_time
                            .map_or(l.unlock_time, |t| t.min(l.unlock_time)),
                    );
                }
            }
            locked = locked.saturating_add(held.min(bal));
        }
        let total = match input.lp_total_supply.as_deref() {
            Some(t) => amount(t, "lp_total_supply")?,
            None => listed,
        };
        r.lp_locked_bps = Some(share(locked, total));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Lock;

    fn h(addr: u8, bal: u128) -> Holder {
        Holder {
            address: format!("0x{}", hex::encode([addr; 20])),
            balance: bal.to_string(),
            ..Holder::default()
        }
    }

    #[test]
    fn concentration_and_locks() {
        let mut input = TokenInput {
            total_supply: Some("1000".into()),
            holders: vec![h(1, 600), h(2, 100), h(3, 50)],
            owner: Some(format!("0x{}", hex::encode([1u8; 20]))),
            ..TokenInput::default()
        };
        let mut pool = h(9, 200);
        pool.is_pool = true;
        input.holders.push(pool);
        let mut locked = h(7, 80);
        locked.locks = vec![Lock {
            amount: "80".into(),
            unlock_time: 2_000,
        }];
        let mut expired = h(8, 10);
        expired.locks = vec![Lock {
            amount: "10".into(),
            unlock_time: 500,
        }];
        let mut dead = h(0, 10);
        dead.address = BURN_ADDRESSES[1].into();
        input.lp_holders = vec![locked, expired, dead];
        let r = holders(&input, 1_000).unwrap();
        assert_eq!(r.top10_bps, Some(7_500)); // the pool is left out
        assert_eq!(r.top1_bps, Some(6_000));
        assert_eq!(r.owner_bps, Some(6_000));
        assert_eq!(r.lp_locked_bps, Some(9_000)); // 80 locked + 10 burned of 100
        assert_eq!(r.lp_unlock_time, Some(2_000));
        // The twin: after the lock ends only the burned part counts.
        let r = holders(&input, 3_000).unwrap();
        assert_eq!(r.lp_locked_bps, Some(1_000));
        assert_eq!(r.lp_unlock_time, None);
    }

    #[test]
    fn shares_do_not_overflow() {
        assert_eq!(share(u128::MAX, u128::MAX), 10_000);
        assert_eq!(share(1, 3), 3_333);
        assert_eq!(share(5, 0), 0);
    }
}
