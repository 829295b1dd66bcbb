//! Verifying a wallet file against a round: ownership, heights, duplicates, balances.

use std::collections::HashMap;
use std::path::Path;

use custodia_primitives::{Amount, AssetId, AssetRegistry};
use rayon::prelude::*;

use crate::balance::{BalanceQuery, BalanceSource, StatedBalances};
use crate::chain::{ChainAddress, ChainKind, ChainSpec, TokenSpec};
use crate::message::{check_label, check_message, ownership_message};
use crate::model::{
    CheckedWallets, KeyAuthority, Liabilities, RejectedWallet, Scheme, VerifiedWallet,
};
use crate::params::VerifyParams;
use crate::report::ReservesReport;
use crate::wallet::{WalletRow, read_wallet_file};
use crate::{
    ReservesError, WalletRejection, aelf, aptos, btc, cardano, eos, evm, filecoin, polkadot,
    solana, stellar, sui, ton, tron, utxo, xrpl,
};

/// A row that passed every check but the signature.
struct Prepared<'a> {
    chain: &'a ChainSpec,
    address: ChainAddress,
    canonical: String,
    asset: AssetId,
    decimals: u8,
    balance: Amount,
    height: u64,
    message: String,
    token: Option<&'a TokenSpec>,
}

struct Context<'a> {
    liabilities: &'a Liabilities,
    registry: &'a AssetRegistry,
    params: &'a VerifyParams,
}

/// Verifies a wallet file on disk with the file's stated balances. See [`verify_wallets_with`].
pub fn verify_wallet_file(
    path: &Path,
    liabilities: &Liabilities,
    registry: &AssetRegistry,
    params: &VerifyParams,
) -> Result<ReservesReport, ReservesError> {
    let rows = read_wallet_file(path)?;
    verify_wallets(&rows, liabilities, registry, params)
}

/// Verifies parsed wallets with the file's stated balances ([`StatedBalances`]) and builds the
/// report with the per-asset reserve ratios.
pub fn verify_wallets(
    rows: &[WalletRow],
    liabilities: &Liabilities,
    registry: &AssetRegistry,
    params: &VerifyParams,
) -> Result<ReservesReport, ReservesError> {
    let checked = verify_wallets_with(rows, liabilities, registry, params, &StatedBalances)?;
    ReservesReport::build(liabilities, registry, params, checked)
}

/// Verifies every wallet against `source`; [`ReservesReport::build`] turns the result into
/// per-asset reserve ratios.
///
/// For each row, in this order (the first failure is the reason reported):
/// 1. the chain is supported, the asset is in the registry and the round, the registry lists the
///    chain for the asset, and the asset is the chain's native coin or has a token contract;
/// 2. the height is the chain's pinned snapshot height (within `max_age`);
/// 3. the balance is an exact decimal at the asset's ledger decimals, below 2^62 units;
/// 4. the address is valid for the chain (EIP-55 checksum for mixed-case EVM addresses);
/// 5. the row's message is exactly the expected round-bound message;
/// 6. the row is the first with its (chain, canonical address, asset) — later ones are
///    duplicates and never counted;
/// 7. the signature(s) prove control of the address over the *expected* message;
/// 8. `source` reports the stated balance at the stated height.
///
/// Steps 1–5 and 7 run in parallel (rayon); 6 and 8 run in file order.
///
/// # Errors
/// Only invalid parameters or liabilities that disagree with the registry fail the call
/// ([`ReservesError`]); every wallet-level problem is a [`WalletRejection`] recorded as a
/// [`RejectedWallet`].
pub fn verify_wallets_with(
    rows: &[WalletRow],
    liabilities: &Liabilities,
    registry: &AssetRegistry,
    params: &VerifyParams,
    source: &dyn BalanceSource,
) -> Result<CheckedWallets, ReservesError> {
    params.validate()?;
    check_label("round id", &liabilities.round)?;
    for a in &liabilities.assets {
        let info = registry
            .index_of(a.asset.as_str())
            .and_then(|i| registry.get(i))
            .ok_or_else(|| ReservesError::Liabilities {
                asset: a.asset.to_string(),
                message: "not in the asset registry".into(),
            })?;
        if info.decimals != a.decimals {
            return Err(ReservesError::Liabilities {
                asset: a.asset.to_string(),
                message: format!(
                    "round says {} decimals, registry {}",
                    a.decimals, info.decimals
                ),
            });
        }
    }
    let ctx = Context {
        liabilities,
        registry,
        params,
    };

    // 1-5 in parallel.
    let mut prepared: Vec<Result<Prepared<'_>, WalletRejection>> =
        rows.par_iter().map(|r| prepare(r, &ctx)).collect();

    // 6: duplicates, in file order.
    let mut first: HashMap<(String, String, AssetId), usize> = HashMap::with_capacity(rows.len());
    for (row, p) in rows.iter().zip(prepared.iter_mut()) {
        if let Ok(ok) = p {
            let key = (
                ok.chain.name.clone(),
                ok.canonical.clone(),
                ok.asset.clone(),
            );
            if let Some(&first_line) = first.get(&key) {
                *p = Err(WalletRejection::DuplicateAddress { first_line });
            } else {
                first.insert(key, row.line);
            }
        }
    }

    // 7 in parallel.
    let checked: Vec<Result<(Prepared<'_>, Scheme), WalletRejection>> = prepared
        .into_par_iter()
        .zip(rows.par_iter())
        .map(|(p, row)| {
            let p = p?;
            let scheme = verify_signature(&p, row)?;
            Ok((p, scheme))
        })
        .collect();

    // 8 in file order.
    let mut verified = Vec::new();
    let mut rejected = Vec::new();
    let mut signatures = 0usize;
    for (row, result) in rows.iter().zip(checked) {
        let outcome = result.and_then(|(p, scheme)| {
            signatures += row.signatures.len();
            let q = BalanceQuery {
                chain: p.chain,
                address: &p.address,
                canonical: &p.canonical,
                asset: &p.asset,
                ledger_decimals: p.decimals,
                token: p.token,
                height: p.height,
                stated: p.balance,
            };
            if scheme == Scheme::Eip1271 {
                let sig = crate::ed25519::hex(&row.signatures[0])?;
                let digest = evm::eip191_hash(p.message.as_bytes());
                if !source.contract_signature(&q, digest, &sig)? {
                    return Err(WalletRejection::ContractSignatureInvalid { height: p.height });
                }
            }
            let seen = source.balance(&q)?;
            let key_authority = match (&seen.authority, p.chain.kind.keys_can_change()) {
                (crate::balance::SourceAuthority::Revoked { reason }, _) => {
                    return Err(WalletRejection::KeyNotAuthorised {
                        reason: reason.clone(),
                        height: p.height,
                    });
                }
                (crate::balance::SourceAuthority::Holds, true) => KeyAuthority::Checked,
                (_, true) => KeyAuthority::NotChecked,
                (_, false) => KeyAuthority::Intrinsic,
            };
            if seen.height != p.height {
                return Err(WalletRejection::SourceHeight {
                    requested: p.height,
                    node: seen.height,
                });
            }
            if seen.amount != p.balance {
                return Err(WalletRejection::BalanceMismatch {
                    stated: p.balance.to_decimal(p.decimals),
                    observed: seen.amount.to_decimal(p.decimals),
                    height: p.height,
                });
            }
            Ok(VerifiedWallet {
                line: row.line,
                chain: p.chain.name.clone(),
                address: p.canonical,
                balance_decimal: p.balance.to_decimal(p.decimals),
                asset: p.asset,
                balance: p.balance,
                height: p.height,
                scheme,
                signatures: row.signatures.len(),
                token: p.token.map(|t| t.contract.clone()),
                key_authority,
                balance_source: source.source_for(&p.chain.name),
            })
        });
        match outcome {
            Ok(w) => verified.push(w),
            Err(e) => rejected.push(RejectedWallet {
                line: row.line,
                chain: row.chain.clone(),
                address: row.address.clone(),
                asset: row.asset.clone(),
                balance: row.balance.clone(),
                code: e.code().to_owned(),
                reason: e.to_string(),
            }),
        }
    }
    Ok(CheckedWallets {
        verified,
        rejected,
        signatures_checked: signatures,
        balance_source: source.name(),
    })
}

fn prepare<'a>(row: &WalletRow, ctx: &Context<'a>) -> Result<Prepared<'a>, WalletRejection> {
    let params = ctx.params;
    let chain = params.chain(&row.chain).ok_or_else(|| {
        let known = ctx
            .registry
            .assets()
            .iter()
            .any(|a| a.chains.contains(&row.chain));
        if known {
            WalletRejection::UnsupportedChain {
                chain: row.chain.clone(),
                supported: params
                    .chains
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        } else {
            WalletRejection::UnknownChain {
                chain: row.chain.clone(),
            }
        }
    })?;
    let info = ctx
        .registry
        .index_of(&row.asset)
        .and_then(|i| ctx.registry.get(i))
        .ok_or_else(|| WalletRejection::UnknownAsset {
            asset: row.asset.clone(),
        })?;
    let (_, liability) =
        ctx.liabilities
            .get(&row.asset)
            .ok_or_else(|| WalletRejection::AssetNotInRound {
                asset: row.asset.clone(),
                round: ctx.liabilities.round.clone(),
            })?;
    if !info.chains.contains(&row.chain) {
        return Err(WalletRejection::AssetNotOnChain {
            asset: row.asset.clone(),
            chain: row.chain.clone(),
            allowed: info.chains.join(", "),
        });
    }
    let token = if chain.native_asset == info.id {
        None
    } else {
        Some(params.token(&row.chain, &row.asset).ok_or_else(|| {
            WalletRejection::NoTokenContract {
                asset: row.asset.clone(),
                chain: row.chain.clone(),
            }
        })?)
    };
    let height: u64 = row
        .height
        .parse()
        .ok()
        .filter(|_| row.height.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| WalletRejection::BadHeight {
            value: row.height.clone(),
        })?;
    let (min, max) =
        params
            .height_window(&row.chain)
            .ok_or_else(|| WalletRejection::HeightNotPinned {
                chain: row.chain.clone(),
            })?;
    if !(min..=max).contains(&height) {
        return Err(WalletRejection::StaleHeight {
            chain: row.chain.clone(),
            got: height,
            min,
            max,
        });
    }
    let balance = Amount::parse(&row.balance, liability.decimals).map_err(|source| {
        WalletRejection::BadBalance {
            value: row.balance.clone(),
            source,
        }
    })?;
    let address = ChainAddress::parse(chain, &row.address)?;
    let canonical = address.canonical();
    check_message(
        &row.message,
        &params.exchange,
        &ctx.liabilities.round,
        height,
        &canonical,
    )?;
    Ok(Prepared {
        chain,
        message: ownership_message(&params.exchange, &ctx.liabilities.round, height, &canonical),
        address,
        canonical,
        asset: info.id.clone(),
        decimals: liability.decimals,
        balance,
        height,
        token,
    })
}

/// Checks that `signatures` (and `script`, for multisig) prove control of `address` on `chain`
/// over exactly `message` — the signature check alone, for any message (no round binding, no
/// height, no duplicate or balance checks: [`verify_wallets_with`] does those).
pub fn verify_ownership(
    chain: &ChainSpec,
    address: &str,
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    let address = ChainAddress::parse(chain, address)?;
    check_signatures(chain, &address, message, signatures, script)
}

fn verify_signature(p: &Prepared<'_>, row: &WalletRow) -> Result<Scheme, WalletRejection> {
    check_signatures(
        p.chain,
        &p.address,
        &p.message,
        &row.signatures,
        row.script.as_deref(),
    )
}

pub(crate) fn check_signatures(
    chain: &ChainSpec,
    address: &ChainAddress,
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    let one = |what: &str| -> Result<&str, WalletRejection> {
        if script.is_some() {
            return Err(WalletRejection::UnexpectedScript {
                address_type: what.to_owned(),
            });
        }
        match signatures {
            [] => Err(WalletRejection::NoSignature),
            [s] => Ok(s),
            more => Err(WalletRejection::TooManySignatures {
                got: more.len(),
                max: 1,
                address_type: what.to_owned(),
            }),
        }
    };
    if let [only] = signatures
        && let Some(sig) = only.strip_prefix(crate::envelope::ENVELOPE_PREFIX)
    {
        if matches!(address, ChainAddress::Bitcoin(_)) && script.is_some() {
            return Err(WalletRejection::UnexpectedScript {
                address_type: "Custodia envelope".into(),
            });
        }
        return crate::envelope::verify(address, message, sig, script);
    }
    match (address, chain.kind) {
        (ChainAddress::Evm(a), ChainKind::Evm) => {
            // Key data here is only `contract=eip1271`; a script is no EVM thing.
            let kd = crate::keydata::KeyData::parse(script, &["contract"]).map_err(|_| {
                WalletRejection::UnexpectedScript {
                    address_type: "EVM account".into(),
                }
            })?;
            let one = |what: &str| match signatures {
                [] => Err(WalletRejection::NoSignature),
                [s] => Ok(s.as_str()),
                more => Err(WalletRejection::TooManySignatures {
                    got: more.len(),
                    max: 1,
                    address_type: what.to_owned(),
                }),
            };

            match kd.get("contract") {
                None => {}
                Some("eip1271") => {
                    // Checked against the contract at the snapshot block by the balance source
                    // (step 8); here only the encoding.
                    let sig = one("EIP-1271 contract wallet")?;
                    crate::ed25519::hex(sig)?;
                    return Ok(Scheme::Eip1271);
                }
                Some(other) => {
                    return Err(WalletRejection::key_data(format!(
                        "contract `{other}`: only eip1271 is accepted"
                    )));
                }
            }
            evm::verify_personal_sign(a, message, one("EVM account")?)?;
            Ok(Scheme::Eip191)
        }
        (ChainAddress::Tron(a), ChainKind::Tron) => {
            tron::verify_signed_message(a, message, one("TRON account")?)?;
            Ok(Scheme::Tip191)
        }
        (ChainAddress::Bitcoin(a), kind) => btc::verify_ownership(
            a,
            kind.bitcoin_network()
                .expect("bitcoin address on a bitcoin chain"),
            message,
            signatures,
            script,
        ),
        (ChainAddress::Coin { coin, kind, hash }, _) => {
            utxo::verify(*coin, *kind, hash, message, signatures, script)
        }
        (ChainAddress::Xrpl(a), _) => xrpl::verify(a, message, signatures, script),
        (ChainAddress::Solana(k), _) => solana::verify(k, message, signatures, script),
        (ChainAddress::Ton(a), _) => ton::verify(a, message, signatures, script),
        (ChainAddress::Cardano(a), _) => cardano::verify(a, message, signatures, script),
        (ChainAddress::Polkadot(k), _) => polkadot::verify(k, message, signatures, script),
        (ChainAddress::Filecoin(a), _) => filecoin::verify(a, message, signatures, script),
        (ChainAddress::Aptos(a), _) => aptos::verify(a, message, signatures, script),
        (ChainAddress::Sui(a), _) => sui::verify(a, message, signatures, script),
        (ChainAddress::Stellar(k), _) => stellar::verify(k, message, signatures, script),
        // The name is not bound to the key here: the account's permissions do that on chain
        // (key authority `not-checked` unless a source reads them).
        (ChainAddress::Eos(_), _) => eos::verify(message, signatures, script),
        (ChainAddress::Aelf(a), _) => aelf::verify(a, message, signatures, script),
        _ => unreachable!("ChainAddress::parse follows the chain kind"),
    }
}
