//! The function signatures the analysis recognises, grouped by what they let someone do. The
//! 4-byte selectors are computed here with Keccak-256 from the signatures, never pasted, so a
//! label cannot drift from its selector.

use std::sync::OnceLock;

use custodia_chain::keccak256;

/// What a recognised function lets its caller do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// ERC-20 core (`transfer`, `transferFrom`, `balanceOf`, …).
    Erc20,
    /// Create new supply after deployment.
    Mint,
    /// Stop chosen addresses from trading.
    Blacklist,
    /// Let only chosen addresses trade.
    Whitelist,
    /// Freeze all transfers.
    Pause,
    /// Change the buy/sell/transfer tax.
    SetTax,
    /// Change the tax of one address.
    SetPersonalTax,
    /// Write an arbitrary balance.
    ChangeBalance,
    /// Take ownership back after appearing to give it up.
    TakeBackOwnership,
    /// Change the maximum transaction or wallet size.
    SetLimits,
    /// Read a maximum transaction or wallet size (anti-whale is present).
    Limits,
    /// Switch a trading cooldown.
    Cooldown,
    /// Switch trading on and off.
    TradingSwitch,
    /// Replace the code behind a proxy.
    Upgrade,
    /// Send tokens (or fake Transfer events) to many addresses at once.
    Airdrop,
}

/// The recognised signatures.
pub const SIGNATURES: &[(&str, Capability)] = &[
    ("transfer(address,uint256)", Capability::Erc20),
    ("transferFrom(address,address,uint256)", Capability::Erc20),
    ("balanceOf(address)", Capability::Erc20),
    ("approve(address,uint256)", Capability::Erc20),
    ("totalSupply()", Capability::Erc20),
    ("mint(address,uint256)", Capability::Mint),
    ("mint(uint256)", Capability::Mint),
    ("mintTo(address,uint256)", Capability::Mint),
    ("issue(uint256)", Capability::Mint),
    ("blacklist(address)", Capability::Blacklist),
    ("addBlackList(address)", Capability::Blacklist),
    ("setBlacklist(address,bool)", Capability::Blacklist),
    ("blacklistAddress(address,bool)", Capability::Blacklist),
    ("setBots(address[],bool)", Capability::Blacklist),
    ("addBots(address[])", Capability::Blacklist),
    ("blockBots(address[])", Capability::Blacklist),
    ("setBot(address,bool)", Capability::Blacklist),
    ("addToWhitelist(address)", Capability::Whitelist),
    ("setWhitelist(address,bool)", Capability::Whitelist),
    ("whitelist(address)", Capability::Whitelist),
    ("pause()", Capability::Pause),
    ("unpause()", Capability::Pause),
    ("setPaused(bool)", Capability::Pause),
    ("setFee(uint256)", Capability::SetTax),
    ("setFees(uint256,uint256)", Capability::SetTax),
    ("setTaxFeePercent(uint256)", Capability::SetTax),
    ("setSellFee(uint256)", Capability::SetTax),
    ("setBuyFee(uint256)", Capability::SetTax),
    ("updateFees(uint256,uint256)", Capability::SetTax),
    ("setTaxes(uint256,uint256)", Capability::SetTax),
    ("setTax(uint256)", Capability::SetTax),
    ("setFeeFor(address,uint256)", Capability::SetPersonalTax),
    (
        "setAddressFee(address,uint256,uint256)",
        Capability::SetPersonalTax,
    ),
    ("setBalance(address,uint256)", Capability::ChangeBalance),
    (
        "setBalances(address[],uint256[])",
        Capability::ChangeBalance,
    ),
    ("changeBalance(address,uint256)", Capability::ChangeBalance),
    ("unlock()", Capability::TakeBackOwnership),
    ("lock(uint256)", Capability::TakeBackOwnership),
    ("claimOwnership()", Capability::TakeBackOwnership),
    ("reclaimOwnership()", Capability::TakeBackOwnership),
    ("setMaxTxAmount(uint256)", Capability::SetLimits),
    ("setMaxWalletSize(uint256)", Capability::SetLimits),
    ("setMaxTxPercent(uint256)", Capability::SetLimits),
    ("setMaxWallet(uint256)", Capability::SetLimits),
    ("removeLimits()", Capability::SetLimits),
    ("maxTransactionAmount()", Capability::Limits),
    ("_maxTxAmount()", Capability::Limits),
    ("maxWallet()", Capability::Limits),
    ("_maxWalletSize()", Capability::Limits),
    ("setCooldownEnabled(bool)", Capability::Cooldown),
    ("setCooldown(uint256)", Capability::Cooldown),
    ("openTrading()", Capability::TradingSwitch),
    ("enableTrading()", Capability::TradingSwitch),
    ("setTradingEnabled(bool)", Capability::TradingSwitch),
    ("upgradeTo(address)", Capability::Upgrade),
    ("upgradeToAndCall(address,bytes)", Capability::Upgrade),
    ("airdrop(address[],uint256)", Capability::Airdrop),
    ("airdrop(address,address[],uint256)", Capability::Airdrop),
    ("multiTransfer(address[],uint256[])", Capability::Airdrop),
    ("batchTransfer(address[],uint256)", Capability::Airdrop),
];

/// The 4-byte selector of a signature: the first bytes of its Keccak-256.
pub fn selector(signature: &str) -> [u8; 4] {
    let h = keccak256(signature.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// A recognised function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// Its selector.
    pub selector: [u8; 4],
    /// Its signature.
    pub signature: &'static str,
    /// What it lets its caller do.
    pub capability: Capability,
}

/// Every recognised function, sorted by selector (computed once).
pub fn known() -> &'static [Known] {
    static TABLE: OnceLock<Vec<Known>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut v: Vec<Known> = SIGNATURES
            .iter()
            .map(|&(signature, capability)| Known {
                selector: selector(signature),
                signature,
                capability,
            })
            .collect();
        v.sort_by_key(|k| k.selector);
        v
    })
}

/// The recognised function with this selector.
pub fn lookup(sel: [u8; 4]) -> Option<&'static Known> {
    let t = known();
    t.binary_search_by_key(&sel, |k| k.selector)
        .ok()
        .map(|i| &t[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_the_published_ones() {
        // Published ERC-20 selectors (EIP-20's own examples and every explorer).
        assert_eq!(
            selector("transfer(address,uint256)"),
            [0xa9, 0x05, 0x9c, 0xbb]
        );
        assert_eq!(selector("balanceOf(address)"), [0x70, 0xa0, 0x82, 0x31]);
        assert_eq!(
            selector("approve(address,uint256)"),
            [0x09, 0x5e, 0xa7, 0xb3]
        );
        // The twin: a different signature, a different selector.
        assert_ne!(selector("transfer(address,uint)"), [0xa9, 0x05, 0x9c, 0xbb]);
    }

    #[test]
    fn no_two_signatures_collide() {
        let t = known();
        assert_eq!(t.len(), SIGNATURES.len());
        assert!(t.windows(2).all(|w| w[0].selector != w[1].selector));
        assert_eq!(
            lookup(selector("mint(address,uint256)")).map(|k| k.capability),
            Some(Capability::Mint)
        );
        assert_eq!(lookup([0, 0, 0, 0]), None);
    }
}
