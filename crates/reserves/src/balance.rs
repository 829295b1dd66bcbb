//! Where wallet balances come from: the file itself (the default) or a node.

use std::collections::BTreeMap;

use custodia_primitives::{Amount, AssetId};

use crate::WalletRejection;
use crate::chain::{ChainAddress, ChainSpec, TokenSpec};

/// What a [`BalanceSource`] is asked about one verified wallet.
#[derive(Debug, Clone, Copy)]
pub struct BalanceQuery<'a> {
    /// The chain.
    pub chain: &'a ChainSpec,
    /// The parsed address.
    pub address: &'a ChainAddress,
    /// Its canonical spelling.
    pub canonical: &'a str,
    /// The asset.
    pub asset: &'a AssetId,
    /// The asset's ledger decimals (the unit of [`BalanceQuery::stated`] and of the answer).
    pub ledger_decimals: u8,
    /// The token contract, or `None` for the chain's native coin.
    pub token: Option<&'a TokenSpec>,
    /// The block height the balance is stated at (the chain's snapshot height).
    pub height: u64,
    /// The balance the wallet file states.
    pub stated: Amount,
}

/// A balance as a source saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedBalance {
    /// In the asset's ledger units, rounded down from the chain's units.
    pub amount: Amount,
    /// The height the source answered for.
    pub height: u64,
    /// What the source read about the signing key's authority at that height.
    pub authority: SourceAuthority,
}

impl ObservedBalance {
    /// A balance with nothing read about key authority.
    pub fn new(amount: Amount, height: u64) -> Self {
        Self {
            amount,
            height,
            authority: SourceAuthority::NotRead,
        }
    }
}

/// The signing key's authority over the account at the snapshot, as a source read it from the
/// chain (XRPL master-key flag, Aptos authentication key, …).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SourceAuthority {
    /// The source does not read key authority.
    #[default]
    NotRead,
    /// The key that derives the address still controlled it at the snapshot.
    Holds,
    /// The key no longer controlled the account at the snapshot (the reason says why).
    Revoked {
        /// What the chain says.
        reason: String,
    },
}

/// Where balances come from.
///
/// The verifier counts a wallet only if the source's balance equals the stated one *at the
/// stated height*; otherwise the wallet is rejected with [`WalletRejection::BalanceMismatch`] or
/// [`WalletRejection::SourceHeight`].
///
/// To implement a source you need to:
/// 1. Decide which chains and assets you answer for; return
///    [`WalletRejection::SourceUnsupported`] for the others (or route with [`ChainSources`]).
/// 2. Read the balance of `query.address` (native coin, or `query.token`'s contract) at block
///    `query.height` — not at the chain tip.
/// 3. Convert the chain's integer units to the ledger's with [`to_ledger_units`] (rounding down:
///    the exchange is never credited with dust it cannot prove).
/// 4. Report the height you actually answered for in [`ObservedBalance::height`].
///
/// # REQUIRED METHODS
/// - [`BalanceSource::balance`]
///
/// # PROVIDED METHODS
/// - [`BalanceSource::name`]: shown in the report.
///
/// # Correctness
/// Sources are called sequentially (some nodes refuse concurrent scans), after every signature
/// has been checked, and only for wallets whose ownership is proven.
pub trait BalanceSource {
    /// The balance of one wallet at the query's height.
    fn balance(&self, query: &BalanceQuery<'_>) -> Result<ObservedBalance, WalletRejection>;

    /// A short name for the report (`stated`, `evm-rpc`, `bitcoind`, …).
    fn name(&self) -> String {
        "custom".into()
    }

    /// Asks an EVM contract wallet at the query's block whether `signature` is valid for
    /// `digest` (EIP-1271 `isValidSignature(bytes32,bytes)` returning `0x1626ba7e`). Sources
    /// without a node cannot: the default refuses, so a contract wallet is never counted on a
    /// stated balance alone.
    fn contract_signature(
        &self,
        query: &BalanceQuery<'_>,
        digest: [u8; 32],
        signature: &[u8],
    ) -> Result<bool, WalletRejection> {
        let _ = (digest, signature);
        Err(WalletRejection::SourceUnsupported {
            what: format!(
                "EIP-1271 contract wallets on `{}` (they need an EVM node)",
                query.chain.name
            ),
        })
    }

    /// The name of the source that answers for `chain` (a router names its route), shown on
    /// every counted wallet.
    fn source_for(&self, chain: &str) -> String {
        let _ = chain;
        self.name()
    }
}

/// The default source: the wallet file's stated balances, taken as data at the stated height.
///
/// # Security
/// Nothing is checked against a chain: the report says `balance_source: "stated"`, and anyone can
/// re-run the verification with a node (the sources of `custodia-chain-rpc`) against the
/// published wallet file.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatedBalances;

impl BalanceSource for StatedBalances {
    fn balance(&self, q: &BalanceQuery<'_>) -> Result<ObservedBalance, WalletRejection> {
        Ok(ObservedBalance::new(q.stated, q.height))
    }

    fn name(&self) -> String {
        "stated".into()
    }
}

/// Routes each chain to its own source (e.g. one EVM node per EVM chain, bitcoind for Bitcoin),
/// with an optional fallback for the rest.
#[derive(Default)]
pub struct ChainSources<'a> {
    by_chain: BTreeMap<String, &'a dyn BalanceSource>,
    fallback: Option<&'a dyn BalanceSource>,
}

impl<'a> ChainSources<'a> {
    /// No routes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes `chain` to `source`.
    pub fn route(mut self, chain: impl Into<String>, source: &'a dyn BalanceSource) -> Self {
        self.by_chain.insert(chain.into(), source);
        self
    }

    /// Uses `source` for every chain without a route.
    pub fn fallback(mut self, source: &'a dyn BalanceSource) -> Self {
        self.fallback = Some(source);
        self
    }
}

impl BalanceSource for ChainSources<'_> {
    fn contract_signature(
        &self,
        q: &BalanceQuery<'_>,
        digest: [u8; 32],
        signature: &[u8],
    ) -> Result<bool, WalletRejection> {
        self.by_chain
            .get(&q.chain.name)
            .copied()
            .or(self.fallback)
            .ok_or_else(|| WalletRejection::SourceUnsupported {
                what: format!("chain `{}`", q.chain.name),
            })?
            .contract_signature(q, digest, signature)
    }

    fn source_for(&self, chain: &str) -> String {
        self.by_chain
            .get(chain)
            .copied()
            .or(self.fallback)
            .map_or_else(|| "none".to_owned(), |s| s.source_for(chain))
    }

    fn balance(&self, q: &BalanceQuery<'_>) -> Result<ObservedBalance, WalletRejection> {
        self.by_chain
            .get(&q.chain.name)
            .copied()
            .or(self.fallback)
            .ok_or_else(|| WalletRejection::SourceUnsupported {
                what: format!("chain `{}`", q.chain.name),
            })?
            .balance(q)
    }

    fn name(&self) -> String {
        let mut parts: Vec<String> = self
            .by_chain
            .iter()
            .map(|(c, s)| format!("{c}={}", s.name()))
            .collect();
        if let Some(f) = self.fallback {
            parts.push(format!("*={}", f.name()));
        }
        parts.join(",")
    }
}

/// Converts `raw` chain units (`chain_decimals`) to ledger units (`ledger_decimals`), rounding
/// down, checked against the [`Amount`] bound.
pub fn to_ledger_units(
    raw: u128,
    chain_decimals: u8,
    ledger_decimals: u8,
) -> Result<Amount, WalletRejection> {
    let overflow = || WalletRejection::Overflow {
        what: format!("{raw} units at {chain_decimals} decimals in ledger units"),
    };
    let units = if chain_decimals >= ledger_decimals {
        let scale = 10u128
            .checked_pow(u32::from(chain_decimals - ledger_decimals))
            .ok_or_else(overflow)?;
        raw / scale
    } else {
        10u128
            .checked_pow(u32::from(ledger_decimals - chain_decimals))
            .and_then(|s| raw.checked_mul(s))
            .ok_or_else(overflow)?
    };
    u64::try_from(units)
        .ok()
        .and_then(Amount::new)
        .ok_or_else(overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_conversion_rounds_down() {
        // 1.234567891234567891 ETH in wei, ledger keeps 8 decimals.
        assert_eq!(
            to_ledger_units(1_234_567_891_234_567_891, 18, 8).unwrap(),
            Amount::new(123_456_789).unwrap()
        );
        assert_eq!(to_ledger_units(5, 6, 8).unwrap(), Amount::new(500).unwrap());
        assert_eq!(to_ledger_units(7, 8, 8).unwrap(), Amount::new(7).unwrap());
        assert_eq!(
            to_ledger_units(u128::MAX, 0, 8).unwrap_err().code(),
            "overflow"
        );
        assert_eq!(
            to_ledger_units(1 << 62, 8, 8).unwrap_err().code(),
            "overflow"
        );
    }
}
