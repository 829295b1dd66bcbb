//! A deterministic demo wallet file: real seeded keys, real signatures of every accepted
//! scheme, balances giving reserve ratios of 100–115% per asset, and one asset deliberately
//! below 100% so that the flag shows.

use std::collections::BTreeMap;

use bitcoin::Network;
use custodia_primitives::{Amount, AssetId, AssetRegistry};
use rand::{Rng as _, RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::ReservesError;
use crate::chain::{ChainKind, ChainSpec, TokenSpec};
use crate::message::ownership_message;
use crate::model::Liabilities;
use crate::params::VerifyParams;
use crate::report::FULL_BPS;
use crate::sign::{
    BtcAddressKind, Ed25519Key, MultisigKind, SigningKey, Sr25519Key, aptos_account, btc_address,
    cardano_account, coin_address, filecoin_f1_address, filecoin_f4_address, multisig_address,
    multisig_script, polkadot_address, sign_aip62, sign_bip137, sign_bip137_with_header,
    sign_bip322_multisig, sign_bip322_p2tr, sign_bip322_p2wpkh, sign_cip8, sign_coin_message,
    sign_eip191, sign_frc0102, sign_polkadot_bytes, sign_sep53, sign_solana_offchain,
    sign_solana_raw, sign_sui_personal_message, sign_tip191, sign_ton_proof, sign_xrpl_ed25519,
    sign_xrpl_secp256k1, solana_address, stellar_address, sui_address, ton_wallet,
    xrpl_ed25519_account, xrpl_secp256k1_account,
};
use crate::ton::WalletVersion;
use crate::wallet::{WalletFormat, WalletRow, write_wallets};
use custodia_chain::coins::CoinKind;

/// Snapshot heights the demo uses for chains the configuration leaves out.
pub const DEMO_HEIGHTS: [(&str, u64); 19] = [
    ("bitcoin", 840_000),
    ("ethereum", 19_500_000),
    ("arbitrum", 190_000_000),
    ("optimism", 117_000_000),
    ("ethereumclassic", 19_300_000),
    ("tron", 60_000_000),
    ("dogecoin", 5_150_000),
    ("litecoin", 2_680_000),
    ("dash", 2_050_000),
    ("bitcoincash", 840_000),
    ("xrpl", 86_000_000),
    ("solana", 260_000_000),
    ("ton", 37_000_000),
    ("cardano", 10_200_000),
    ("polkadot", 20_000_000),
    ("filecoin", 3_800_000),
    ("aptos", 140_000_000),
    ("sui", 35_000_000),
    ("stellar", 51_000_000),
];

/// The `ton_proof` domain and time the demo's TON wallets sign with.
pub const DEMO_TON_PROOF: (&str, u64) = ("custody.example", 1_764_547_200);

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Exchange name in every message.
    pub exchange: String,
    /// Snapshot height per chain (missing chains: [`DEMO_HEIGHTS`]).
    pub heights: BTreeMap<String, u64>,
    /// RNG seed: the same seed gives the same keys, signatures and file.
    pub seed: u64,
    /// CSV or JSON.
    pub format: WalletFormat,
    /// The asset to leave below 100% (`None`: USDC when verifiable, else the last verifiable
    /// asset with net liabilities).
    pub below_100: Option<AssetId>,
}

impl DemoConfig {
    /// Defaults for `exchange` and `seed`: demo heights, CSV, automatic under-reserved asset.
    pub fn new(exchange: impl Into<String>, seed: u64) -> Self {
        Self {
            exchange: exchange.into(),
            heights: BTreeMap::new(),
            seed,
            format: WalletFormat::Csv,
            below_100: None,
        }
    }
}

/// What [`demo_wallets`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoWallets {
    /// The wallet file's text.
    pub wallet_file: String,
    /// Its format.
    pub format: WalletFormat,
    /// The verifier parameters that go with it (write them with [`VerifyParams::to_toml`]).
    pub params: VerifyParams,
    /// The parsed rows (line numbers as in `wallet_file`).
    pub rows: Vec<WalletRow>,
    /// The reserve ratio aimed at per asset, basis points (the result is this, rounded down).
    pub target_bps: BTreeMap<AssetId, u64>,
    /// The asset left below 100%, if any asset was verifiable.
    pub below_100: Option<AssetId>,
}

/// The demo's verifier parameters: built-in chains and contracts, plus a synthetic contract
/// for every registry token on an EVM or TRON chain that has none (demo tokens `TOKn`), and the
/// heights of `cfg`.
pub fn demo_params(registry: &AssetRegistry, cfg: &DemoConfig) -> VerifyParams {
    let mut p = VerifyParams::new(cfg.exchange.clone());
    for (chain, h) in DEMO_HEIGHTS {
        p.heights.insert(chain.to_owned(), h);
    }
    p.heights.extend(cfg.heights.clone());
    for a in registry.assets() {
        for c in &a.chains {
            let Some(spec) = p.chain(c) else { continue };
            if !spec.kind.has_tokens()
                || spec.native_asset == a.id
                || p.token(c, a.id.as_str()).is_some()
            {
                continue;
            }
            let account: [u8; 20] =
                custodia_chain::keccak256(format!("custodia demo token {c} {}", a.id).as_bytes())
                    [12..]
                    .try_into()
                    .expect("20 bytes");
            let contract = if spec.kind == ChainKind::Tron {
                custodia_chain::tron::to_base58check(&account)
            } else {
                custodia_chain::evm::eip55(&account)
            };
            let token = TokenSpec {
                chain: c.clone(),
                asset: a.id.clone(),
                contract,
                decimals: a.decimals,
            };
            p = p.with_token(token);
        }
    }
    p
}

/// One wallet type the generator can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Btc137(BtcAddressKind),
    Btc322(BtcAddressKind),
    /// P2SH-P2WPKH address, BIP-137 signature with an Electrum-style compressed-P2PKH header.
    BtcElectrum,
    Multisig137(MultisigKind),
    Multisig322(MultisigKind),
    Evm,
    Tron,
    Coin(CoinKind),
    XrplSecp256k1,
    XrplEd25519,
    SolanaOffchain,
    SolanaRaw,
    Ton(WalletVersion),
    Cardano,
    Polkadot,
    FilecoinF1,
    FilecoinF4,
    Aptos,
    Sui,
    Stellar,
    Eos,
    Aelf,
}

/// The wallet types of a chain kind other than Bitcoin, EVM and TRON, one of each in the demo.
pub(crate) fn slots_of(kind: ChainKind) -> Vec<Slot> {
    match kind {
        ChainKind::Litecoin => vec![
            Slot::Coin(CoinKind::P2pkh),
            Slot::Coin(CoinKind::P2sh),
            Slot::Coin(CoinKind::P2wpkh),
        ],
        ChainKind::Dogecoin | ChainKind::Dash | ChainKind::BitcoinCash => {
            vec![Slot::Coin(CoinKind::P2pkh), Slot::Coin(CoinKind::P2pkh)]
        }
        ChainKind::Xrpl => vec![Slot::XrplSecp256k1, Slot::XrplEd25519],
        ChainKind::Solana => vec![Slot::SolanaOffchain, Slot::SolanaRaw],
        ChainKind::Ton => vec![
            Slot::Ton(WalletVersion::V4R2),
            Slot::Ton(WalletVersion::V5R1),
            Slot::Ton(WalletVersion::V3R2),
        ],
        ChainKind::Cardano => vec![Slot::Cardano, Slot::Cardano],
        ChainKind::Polkadot => vec![Slot::Polkadot, Slot::Polkadot],
        ChainKind::Filecoin => vec![Slot::FilecoinF1, Slot::FilecoinF4],
        ChainKind::Aptos => vec![Slot::Aptos, Slot::Aptos],
        ChainKind::Sui => vec![Slot::Sui, Slot::Sui],
        ChainKind::Stellar => vec![Slot::Stellar, Slot::Stellar],
        ChainKind::Eos => vec![Slot::Eos],
        ChainKind::Aelf => vec![Slot::Aelf, Slot::Aelf],
        ChainKind::Evm => vec![Slot::Evm; 3],
        ChainKind::Tron => vec![Slot::Tron; 2],
        _ => BTC_SLOTS.to_vec(),
    }
}

/// The Bitcoin wallet types, one of each in the demo.
pub(crate) const BTC_SLOTS: [Slot; 11] = [
    Slot::Btc137(BtcAddressKind::P2pkhUncompressed),
    Slot::Btc137(BtcAddressKind::P2pkh),
    Slot::Btc137(BtcAddressKind::P2shP2wpkh),
    Slot::Btc137(BtcAddressKind::P2wpkh),
    Slot::BtcElectrum,
    Slot::Btc322(BtcAddressKind::P2wpkh),
    Slot::Btc322(BtcAddressKind::P2shP2wpkh),
    Slot::Btc322(BtcAddressKind::P2tr),
    Slot::Multisig137(MultisigKind::P2sh),
    Slot::Multisig322(MultisigKind::P2wsh),
    Slot::Multisig137(MultisigKind::P2shP2wsh),
];

/// Where a row's signatures are bound.
pub(crate) struct RowContext<'a> {
    pub exchange: &'a str,
    pub round: &'a str,
    pub chain: &'a ChainSpec,
    pub height: u64,
}

/// Builds one signed row of `slot` for a fresh key (or `reuse` for EVM/TRON).
pub(crate) fn signed_row(
    ctx: &RowContext<'_>,
    slot: Slot,
    rng: &mut ChaCha20Rng,
    reuse: Option<&SigningKey>,
    asset: &AssetId,
    balance: String,
) -> WalletRow {
    let network = ctx.chain.kind.bitcoin_network().unwrap_or(Network::Bitcoin);
    let message = |addr: &str| ownership_message(ctx.exchange, ctx.round, ctx.height, addr);
    let key = reuse.cloned().unwrap_or_else(|| SigningKey::generate(rng));
    let (address, signatures, script) = match slot {
        Slot::Btc137(kind) => {
            let a = btc_address(&key, kind, network).to_string();
            let s = sign_bip137(&key, &message(&a), kind);
            (a, vec![s], None)
        }
        Slot::BtcElectrum => {
            let a = btc_address(&key, BtcAddressKind::P2shP2wpkh, network).to_string();
            let s = sign_bip137_with_header(&key, &message(&a), 31);
            (a, vec![s], None)
        }
        Slot::Btc322(BtcAddressKind::P2tr) => {
            let a = btc_address(&key, BtcAddressKind::P2tr, network).to_string();
            let s = sign_bip322_p2tr(&key, &message(&a), rng.random_range(0..2) == 1, network);
            (a, vec![s], None)
        }
        Slot::Btc322(kind) => {
            let nested = kind == BtcAddressKind::P2shP2wpkh;
            let a = btc_address(&key, kind, network).to_string();
            let s = sign_bip322_p2wpkh(&key, &message(&a), nested, network);
            (a, vec![s], None)
        }
        Slot::Multisig137(kind) | Slot::Multisig322(kind) => {
            let keys = [key, SigningKey::generate(rng), SigningKey::generate(rng)];
            let pubs: Vec<_> = keys.iter().map(SigningKey::public_key).collect();
            let script = multisig_script(2, &pubs);
            let addr = multisig_address(&script, kind, network);
            let a = addr.to_string();
            let m = message(&a);
            // Two of the three keys sign; which two is drawn.
            let skip = rng.random_range(0..3usize);
            let signers: Vec<&SigningKey> = keys
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, k)| k)
                .collect();
            let sigs = if matches!(slot, Slot::Multisig137(_)) {
                signers
                    .iter()
                    .map(|k| sign_bip137(k, &m, BtcAddressKind::P2pkh))
                    .collect()
            } else {
                vec![sign_bip322_multisig(&signers, &script, &addr, &m)]
            };
            (a, sigs, Some(script.to_hex_string()))
        }
        Slot::Evm => {
            let a = crate::sign::evm_address(&key);
            let s = sign_eip191(&key, &message(&a));
            (a, vec![s], None)
        }
        Slot::Tron => {
            let a = crate::sign::tron_address(&key);
            let s = sign_tip191(&key, &message(&a));
            (a, vec![s], None)
        }
        Slot::Coin(kind) => {
            let coin = ctx
                .chain
                .kind
                .coin()
                .expect("coin slots are on coin chains");
            let a = coin_address(&key, coin, kind);
            let s = sign_coin_message(&key, coin, kind, &message(&a));
            (a, vec![s], None)
        }
        Slot::XrplSecp256k1 => {
            let (a, kd) = xrpl_secp256k1_account(&key);
            let s = sign_xrpl_secp256k1(&key, &message(&a));
            (a, vec![s], Some(kd))
        }
        Slot::Eos => {
            // An account name of twelve characters; the key is named in the key data (the
            // account's permissions would bind it on chain).
            const NAME_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz12345";
            let a: String = (0..12)
                .map(|_| NAME_CHARS[rng.random_range(0..NAME_CHARS.len())] as char)
                .collect();
            let s = crate::eos::sign_eos(&key, &message(&a));
            (a, vec![s], Some(crate::eos::eos_key_data(&key)))
        }
        Slot::Aelf => {
            let a = crate::aelf::aelf_address(&key);
            let s = crate::aelf::sign_aelf(&key, &message(&a));
            (a, vec![s], None)
        }
        Slot::FilecoinF1 => {
            let a = filecoin_f1_address(&key);
            let s = sign_frc0102(&key, &message(&a));
            (a, vec![s], None)
        }
        Slot::FilecoinF4 => {
            let a = filecoin_f4_address(&key);
            let s = sign_eip191(&key, &message(&a));
            (a, vec![s], None)
        }
        Slot::Polkadot => {
            let sr = Sr25519Key::generate(rng);
            let a = polkadot_address(&sr);
            let mut nonce = [0u8; 32];
            rng.fill_bytes(&mut nonce);
            let s = sign_polkadot_bytes(&sr, &message(&a), nonce);
            (a, vec![s], None)
        }
        ed => {
            let k = Ed25519Key::generate(rng);
            match ed {
                Slot::XrplEd25519 => {
                    let (a, kd) = xrpl_ed25519_account(&k);
                    let s = sign_xrpl_ed25519(&k, &message(&a));
                    (a, vec![s], Some(kd))
                }
                Slot::SolanaOffchain | Slot::SolanaRaw => {
                    let a = solana_address(&k);
                    let s = if ed == Slot::SolanaOffchain {
                        sign_solana_offchain(&k, &message(&a))
                    } else {
                        sign_solana_raw(&k, &message(&a))
                    };
                    (a, vec![s], None)
                }
                Slot::Ton(version) => {
                    let (domain, time) = DEMO_TON_PROOF;
                    let (a, kd) = ton_wallet(&k, version, domain, time);
                    let s = sign_ton_proof(&k, &a, domain, time, &message(&a));
                    (a, vec![s], Some(kd))
                }
                Slot::Cardano => {
                    let (a, kd) = cardano_account(&k);
                    let s = sign_cip8(&k, &a, &message(&a));
                    (a, vec![s], Some(kd))
                }
                Slot::Aptos => {
                    let (a, kd) = aptos_account(&k, ctx.round);
                    let s = sign_aip62(&k, &a, &message(&a), ctx.round);
                    (a, vec![s], Some(kd))
                }
                Slot::Sui => {
                    let a = sui_address(&k);
                    let s = sign_sui_personal_message(&k, &message(&a));
                    (a, vec![s], None)
                }
                Slot::Stellar => {
                    let a = stellar_address(&k);
                    let s = sign_sep53(&k, &message(&a));
                    (a, vec![s], None)
                }
                other => unreachable!("{other:?} is handled above"),
            }
        }
    };
    WalletRow {
        line: 0,
        chain: ctx.chain.name.clone(),
        message: message(&address),
        address,
        asset: asset.to_string(),
        balance,
        height: ctx.height.to_string(),
        signatures,
        script,
    }
}

/// Splits `total` into `parts` pseudo-random shares, each below 2^62.
fn split(total: u128, parts: usize, rng: &mut ChaCha20Rng) -> Vec<Amount> {
    let weights: Vec<u128> = (0..parts).map(|_| rng.random_range(50..=100u128)).collect();
    let sum: u128 = weights.iter().sum();
    let mut out: Vec<u128> = weights.iter().map(|w| total * w / sum).collect();
    let given: u128 = out.iter().sum();
    out[parts - 1] += total - given;
    out.into_iter()
        .map(|u| {
            u64::try_from(u)
                .ok()
                .and_then(Amount::new)
                .expect("enough parts keep each share below 2^62")
        })
        .collect()
}

/// Generates the demo wallet file for a round.
///
/// For every asset of the round with positive net liabilities and at least one verifiable chain,
/// reserves of 100–115% of net liabilities (drawn per asset) are spread over wallets on each of
/// its chains: on Bitcoin one wallet of every accepted kind (P2PKH uncompressed and compressed,
/// P2SH-P2WPKH and P2WPKH with BIP-137 — one with an Electrum-style header — and with BIP-322,
/// P2TR, 2-of-3 P2SH, P2WSH and P2SH-P2WSH multisig); on EVM and TRON chains three accounts
/// shared by the chain's assets. One asset ([`DemoConfig::below_100`]) gets 95–99.5% instead.
pub fn demo_wallets(
    registry: &AssetRegistry,
    liabilities: &Liabilities,
    cfg: &DemoConfig,
) -> Result<DemoWallets, ReservesError> {
    let params = demo_params(registry, cfg);
    params.validate()?;
    let mut rng = ChaCha20Rng::seed_from_u64(cfg.seed);

    // Per asset: the chains it can be verified on.
    let plan: Vec<(&crate::AssetLiability, Vec<&ChainSpec>)> = liabilities
        .assets
        .iter()
        .filter(|l| l.net().is_some())
        .filter_map(|l| {
            let info = registry.get(registry.index_of(l.asset.as_str())?)?;
            let chains: Vec<&ChainSpec> = info
                .chains
                .iter()
                .filter_map(|c| params.chain(c))
                .filter(|s| {
                    s.native_asset == l.asset || params.token(&s.name, l.asset.as_str()).is_some()
                })
                .collect();
            (!chains.is_empty()).then_some((l, chains))
        })
        .collect();
    let below = cfg.below_100.clone().or_else(|| {
        plan.iter()
            .find(|(l, _)| l.asset.as_str() == "USDC")
            .or(plan.last())
            .map(|(l, _)| l.asset.clone())
    });

    let mut accounts: BTreeMap<String, Vec<SigningKey>> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut target_bps = BTreeMap::new();
    for (l, chains) in plan {
        let net = l.net().expect("filtered on positive net").units();
        let bps = if below.as_ref() == Some(&l.asset) {
            rng.random_range(9_500..=9_950u64)
        } else {
            rng.random_range(FULL_BPS..=11_500u64)
        };
        target_bps.insert(l.asset.clone(), bps);
        let target = net * u128::from(bps) / u128::from(FULL_BPS);
        let mut slots: Vec<(&ChainSpec, Slot)> = Vec::new();
        for chain in &chains {
            slots.extend(slots_of(chain.kind).into_iter().map(|s| (*chain, s)));
        }
        let max = u128::from(Amount::MAX.units());
        let needed = usize::try_from(2 * target / max + 1).unwrap_or(usize::MAX);
        let mut i = 0;
        while slots.len() < needed {
            slots.push(slots[i]);
            i += 1;
        }
        let shares = split(target, slots.len(), &mut rng);
        let mut used: BTreeMap<&str, usize> = BTreeMap::new();
        for ((chain, slot), share) in slots.into_iter().zip(shares) {
            let height = params.heights[&chain.name];
            let ctx = RowContext {
                exchange: &cfg.exchange,
                round: &liabilities.round,
                chain,
                height,
            };
            let reuse = if matches!(slot, Slot::Evm | Slot::Tron) {
                let n = used.entry(&chain.name).or_insert(0);
                let pool = accounts.entry(chain.name.clone()).or_default();
                if pool.len() <= *n {
                    pool.push(SigningKey::generate(&mut rng));
                }
                *n += 1;
                Some(pool[*n - 1].clone())
            } else {
                None
            };
            rows.push(signed_row(
                &ctx,
                slot,
                &mut rng,
                reuse.as_ref(),
                &l.asset,
                share.to_decimal(l.decimals),
            ));
        }
    }
    let wallet_file = write_wallets(&rows, cfg.format);
    let rows = crate::wallet::parse_wallets_as(&wallet_file, cfg.format)?;
    Ok(DemoWallets {
        wallet_file,
        format: cfg.format,
        params,
        rows,
        target_bps,
        below_100: below,
    })
}
