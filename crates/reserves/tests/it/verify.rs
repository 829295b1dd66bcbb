//! Wallet verification end to end: every accepted scheme with seeded keys, and a negative twin
//! for every way a wallet can be wrong. Data-driven through one `check(case, row, expect)`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bitcoin::Network;
use custodia_primitives::{AssetId, AssetRegistry, Total};
use custodia_reserves::sign::{
    BtcAddressKind, MultisigKind, SigningKey, btc_address, evm_address, multisig_address,
    multisig_script, sign_bip137, sign_bip137_with_header, sign_bip322_multisig, sign_bip322_p2tr,
    sign_bip322_p2wpkh, sign_eip191, sign_tip191, tron_address,
};
use custodia_reserves::{
    AssetLiability, AssetStatus, Liabilities, ReservesReport, Scheme, VerifyParams, WalletRow,
    ownership_message, verify_wallets,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

const EX: &str = "Acme Exchange";
const ROUND: &str = "2026-11";
const BTC_H: u64 = 840_000;
const ETH_H: u64 = 19_500_000;
const TRON_H: u64 = 60_000_000;

fn key(seed: u64) -> SigningKey {
    SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
}

fn registry() -> AssetRegistry {
    AssetRegistry::default_assets()
}

fn liab(asset: &str, equity: u128, debt: u128) -> AssetLiability {
    let r = registry();
    AssetLiability {
        asset: AssetId::new(asset).unwrap(),
        decimals: r.get(r.index_of(asset).unwrap()).unwrap().decimals,
        equity: Total::from_units(equity),
        debt: Total::from_units(debt),
    }
}

fn liabilities() -> Liabilities {
    Liabilities::new(
        ROUND,
        vec![
            liab("BTC", 10_000_000_000, 0),
            liab("ETH", 500_000_000_000, 100_000_000_000),
            liab("USDT", 9_000_000_000, 1_000_000_000),
            liab("TRX", 1_000_000_000, 0),
            liab("XRP", 5_000_000, 0),
            liab("USDC", 1_000, 2_000),
        ],
    )
    .unwrap()
}

fn params() -> VerifyParams {
    VerifyParams::new(EX)
        .with_height("bitcoin", BTC_H)
        .with_height("ethereum", ETH_H)
        .with_height("tron", TRON_H)
}

/// A claim before signing: what the row says and what its message says.
#[derive(Clone)]
struct Claim {
    chain: &'static str,
    asset: &'static str,
    address: String,
    balance: &'static str,
    height: u64,
    msg_exchange: &'static str,
    msg_round: &'static str,
    msg_height: u64,
    msg_address: Option<String>,
}

impl Claim {
    fn new(chain: &'static str, asset: &'static str, address: String) -> Self {
        let height = match chain {
            "bitcoin" => BTC_H,
            "tron" => TRON_H,
            _ => ETH_H,
        };
        Self {
            chain,
            asset,
            address,
            balance: "1.5",
            height,
            msg_exchange: EX,
            msg_round: ROUND,
            msg_height: height,
            msg_address: None,
        }
    }

    fn message(&self) -> String {
        ownership_message(
            self.msg_exchange,
            self.msg_round,
            self.msg_height,
            self.msg_address.as_deref().unwrap_or(&self.address),
        )
    }

    /// The row, with `sign` applied to this claim's message.
    fn row(&self, sign: impl Fn(&str) -> Vec<String>) -> WalletRow {
        let message = self.message();
        WalletRow {
            line: 2,
            chain: self.chain.into(),
            address: self.address.clone(),
            asset: self.asset.into(),
            balance: self.balance.into(),
            height: self.height.to_string(),
            signatures: sign(&message),
            message,
            script: None,
        }
    }
}

fn verify_rows(rows: &[WalletRow], params: &VerifyParams) -> ReservesReport {
    verify_wallets(rows, &liabilities(), &registry(), params).unwrap()
}

/// Verifies one row: the scheme it was accepted with, or the rejection code.
fn outcome(row: &WalletRow, params: &VerifyParams) -> Result<Scheme, String> {
    let report = verify_rows(std::slice::from_ref(row), params);
    match (report.wallets.as_slice(), report.rejected.as_slice()) {
        ([w], []) => Ok(w.scheme),
        ([], [r]) => Err(r.code.clone()),
        other => panic!("one row in, {other:?} out"),
    }
}

fn check(case: &str, row: &WalletRow, expect: Result<Scheme, &str>) {
    check_with(case, row, &params(), expect);
}

fn check_with(case: &str, row: &WalletRow, params: &VerifyParams, expect: Result<Scheme, &str>) {
    let got = outcome(row, params);
    assert_eq!(got, expect.map_err(str::to_owned), "case: {case}");
}

fn btc(kind: BtcAddressKind, k: &SigningKey) -> String {
    btc_address(k, kind, Network::Bitcoin).to_string()
}

fn one(s: String) -> Vec<String> {
    vec![s]
}

#[test]
fn bitcoin_single_key_schemes() {
    use BtcAddressKind::*;
    let k = key(1);
    let other = key(2);
    for kind in [P2pkhUncompressed, P2pkh, P2shP2wpkh, P2wpkh] {
        let c = Claim::new("bitcoin", "BTC", btc(kind, &k));
        check(
            &format!("bip137 {kind:?}"),
            &c.row(|m| one(sign_bip137(&k, m, kind))),
            Ok(Scheme::Bip137),
        );
        check(
            &format!("bip137 {kind:?} wrong key"),
            &c.row(|m| one(sign_bip137(&other, m, kind))),
            Err("wrong_key"),
        );
    }
    // Electrum-style compressed-P2PKH headers on segwit addresses.
    for kind in [P2shP2wpkh, P2wpkh] {
        let c = Claim::new("bitcoin", "BTC", btc(kind, &k));
        check(
            "electrum header",
            &c.row(|m| one(sign_bip137_with_header(&k, m, 31))),
            Ok(Scheme::Bip137),
        );
    }
    // The header announces another address type.
    let c = Claim::new("bitcoin", "BTC", btc(P2pkh, &k));
    check(
        "p2wpkh header on p2pkh",
        &c.row(|m| one(sign_bip137(&k, m, P2wpkh))),
        Err("header_address_type"),
    );
    let c = Claim::new("bitcoin", "BTC", btc(P2wpkh, &k));
    check(
        "p2sh header on p2wpkh",
        &c.row(|m| one(sign_bip137(&k, m, P2shP2wpkh))),
        Err("header_address_type"),
    );
    // An uncompressed-key signature does not prove the compressed key's address.
    let c = Claim::new("bitcoin", "BTC", btc(P2pkh, &k));
    check(
        "uncompressed header, compressed address",
        &c.row(|m| one(sign_bip137(&k, m, P2pkhUncompressed))),
        Err("wrong_key"),
    );

    // BIP-322 simple.
    for (kind, nested) in [(P2wpkh, false), (P2shP2wpkh, true)] {
        let c = Claim::new("bitcoin", "BTC", btc(kind, &k));
        check(
            "bip322 p2wpkh",
            &c.row(|m| one(sign_bip322_p2wpkh(&k, m, nested, Network::Bitcoin))),
            Ok(Scheme::Bip322Simple),
        );
        check(
            "bip322 p2wpkh wrong key",
            &c.row(|m| one(sign_bip322_p2wpkh(&other, m, nested, Network::Bitcoin))),
            Err("wrong_key"),
        );
    }
    for all in [false, true] {
        let c = Claim::new("bitcoin", "BTC", btc(P2tr, &k));
        check(
            "bip322 p2tr",
            &c.row(|m| one(sign_bip322_p2tr(&k, m, all, Network::Bitcoin))),
            Ok(Scheme::Bip322Simple),
        );
        check(
            "bip322 p2tr wrong key",
            &c.row(|m| one(sign_bip322_p2tr(&other, m, all, Network::Bitcoin))),
            Err("signature_invalid"),
        );
    }
    // BIP-322 is not defined for P2PKH in simple form; BIP-137 is not defined for P2TR.
    let c = Claim::new("bitcoin", "BTC", btc(P2pkh, &k));
    check(
        "bip322 witness on p2pkh",
        &c.row(|m| one(sign_bip322_p2wpkh(&k, m, false, Network::Bitcoin))),
        Err("signature_length"),
    );
}

fn multisig(kind: MultisigKind, seeds: [u64; 3]) -> ([SigningKey; 3], bitcoin::ScriptBuf, String) {
    let keys = seeds.map(key);
    let pubs: Vec<_> = keys.iter().map(SigningKey::public_key).collect();
    let script = multisig_script(2, &pubs);
    let addr = multisig_address(&script, kind, Network::Bitcoin).to_string();
    (keys, script, addr)
}

#[test]
fn bitcoin_multisig() {
    use MultisigKind::*;
    let outsider = key(99);
    for kind in [P2sh, P2wsh, P2shP2wsh] {
        let (keys, script, addr) = multisig(kind, [10, 11, 12]);
        let c = Claim::new("bitcoin", "BTC", addr.clone());
        let with_script = |mut r: WalletRow| {
            r.script = Some(script.to_hex_string());
            r
        };
        let per_key = |signers: &[&SigningKey]| {
            let signers: Vec<SigningKey> = signers.iter().map(|k| (*k).clone()).collect();
            move |m: &str| -> Vec<String> {
                signers
                    .iter()
                    .map(|k| sign_bip137(k, m, BtcAddressKind::P2pkh))
                    .collect()
            }
        };
        let name = |s: &str| format!("{kind:?} {s}");
        check(
            &name("per-key 2 of 3"),
            &with_script(c.row(per_key(&[&keys[2], &keys[0]]))),
            Ok(Scheme::MultisigBip137),
        );
        check(
            &name("per-key all 3"),
            &with_script(c.row(per_key(&[&keys[0], &keys[1], &keys[2]]))),
            Ok(Scheme::MultisigBip137),
        );
        check(
            &name("per-key 1 of 3"),
            &with_script(c.row(per_key(&[&keys[1]]))),
            Err("not_enough_signatures"),
        );
        check(
            &name("per-key same key twice"),
            &with_script(c.row(per_key(&[&keys[1], &keys[1]]))),
            Err("not_enough_signatures"),
        );
        check(
            &name("per-key outsider"),
            &with_script(c.row(per_key(&[&keys[0], &outsider]))),
            Err("signer_not_in_script"),
        );
        check(
            &name("per-key no script"),
            &c.row(per_key(&[&keys[0], &keys[1]])),
            Err("script_required"),
        );
        let (_, other_script, _) = multisig(kind, [20, 21, 22]);
        let mut r = c.row(per_key(&[&keys[0], &keys[1]]));
        r.script = Some(other_script.to_hex_string());
        check(
            &name("script of another address"),
            &r,
            Err("script_mismatch"),
        );

        if kind != P2sh {
            let address = bitcoin::Address::from_str_checked(&addr);
            let address = &address;
            let bip322 = |signers: Vec<SigningKey>| {
                let script = script.clone();
                move |m: &str| -> Vec<String> {
                    let refs: Vec<&SigningKey> = signers.iter().collect();
                    one(sign_bip322_multisig(&refs, &script, address, m))
                }
            };
            check(
                &name("bip322 2 of 3"),
                &c.row(bip322(vec![keys[0].clone(), keys[2].clone()])),
                Ok(Scheme::MultisigBip322Simple),
            );
            check(
                &name("bip322 with the script column"),
                &with_script(c.row(bip322(vec![keys[0].clone(), keys[1].clone()]))),
                Ok(Scheme::MultisigBip322Simple),
            );
            check(
                &name("bip322 out of script order"),
                &c.row(bip322(vec![keys[2].clone(), keys[0].clone()])),
                Err("bip322"),
            );
            check(
                &name("bip322 outsider"),
                &c.row(bip322(vec![keys[0].clone(), outsider.clone()])),
                Err("signer_not_in_script"),
            );
            check(
                &name("bip322 one signature"),
                &c.row(bip322(vec![keys[0].clone()])),
                Err("not_enough_signatures"),
            );
        }
    }
}

trait FromStrChecked {
    fn from_str_checked(s: &str) -> bitcoin::Address;
}

impl FromStrChecked for bitcoin::Address {
    fn from_str_checked(s: &str) -> bitcoin::Address {
        s.parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>()
            .unwrap()
            .require_network(Network::Bitcoin)
            .unwrap()
    }
}

#[test]
fn evm_and_tron() {
    let k = key(3);
    let other = key(4);
    let addr = evm_address(&k);
    for asset in ["ETH", "USDT"] {
        let c = Claim::new("ethereum", asset, addr.clone());
        check(
            asset,
            &c.row(|m| one(sign_eip191(&k, m))),
            Ok(Scheme::Eip191),
        );
        check(
            "evm wrong key",
            &c.row(|m| one(sign_eip191(&other, m))),
            Err("wrong_key"),
        );
        check(
            "tip191 signature on ethereum",
            &c.row(|m| one(sign_tip191(&k, m))),
            Err("wrong_key"),
        );
    }
    // All lower case: no checksum, accepted; the message names the EIP-55 spelling.
    let mut c = Claim::new("ethereum", "ETH", addr.to_ascii_lowercase());
    c.msg_address = Some(addr.clone());
    check(
        "lowercase address",
        &c.row(|m| one(sign_eip191(&k, m))),
        Ok(Scheme::Eip191),
    );
    // A mixed-case address with one letter's case flipped.
    let flipped: String = {
        let mut chars: Vec<char> = addr.chars().collect();
        let i = chars
            .iter()
            .rposition(char::is_ascii_alphabetic)
            .filter(|i| *i > 1)
            .expect("an address has letters");
        chars[i] = if chars[i].is_ascii_uppercase() {
            chars[i].to_ascii_lowercase()
        } else {
            chars[i].to_ascii_uppercase()
        };
        chars.into_iter().collect()
    };
    let c = Claim::new("ethereum", "ETH", flipped);
    check(
        "bad checksum",
        &c.row(|m| one(sign_eip191(&k, m))),
        Err("bad_checksum"),
    );

    let taddr = tron_address(&k);
    for asset in ["TRX", "USDT"] {
        let c = Claim::new("tron", asset, taddr.clone());
        check(
            asset,
            &c.row(|m| one(sign_tip191(&k, m))),
            Ok(Scheme::Tip191),
        );
        check(
            "tron wrong key",
            &c.row(|m| one(sign_tip191(&other, m))),
            Err("wrong_key"),
        );
        check(
            "eip191 signature on tron",
            &c.row(|m| one(sign_eip191(&k, m))),
            Err("wrong_key"),
        );
    }
    let mut bad = taddr.clone();
    bad.pop();
    bad.push(if taddr.ends_with('1') { '2' } else { '1' });
    let c = Claim::new("tron", "TRX", bad);
    check(
        "tron checksum",
        &c.row(|m| one(sign_tip191(&k, m))),
        Err("bad_address"),
    );
}

#[test]
fn round_binding() {
    let k = key(5);
    let addr = btc(BtcAddressKind::P2wpkh, &k);
    let sign = |m: &str| one(sign_bip137(&k, m, BtcAddressKind::P2wpkh));
    let base = Claim::new("bitcoin", "BTC", addr.clone());
    check("baseline", &base.row(sign), Ok(Scheme::Bip137));

    let cases: Vec<(&str, Claim, &str)> = vec![
        (
            "message from another round",
            Claim {
                msg_round: "2026-10",
                ..base.clone()
            },
            "wrong_round",
        ),
        (
            "other exchange name",
            Claim {
                msg_exchange: "Other Exchange",
                ..base.clone()
            },
            "wrong_exchange",
        ),
        (
            "stale height (message and row agree)",
            Claim {
                height: BTC_H - 1,
                msg_height: BTC_H - 1,
                ..base.clone()
            },
            "stale_height",
        ),
        (
            "future height",
            Claim {
                height: BTC_H + 1,
                msg_height: BTC_H + 1,
                ..base.clone()
            },
            "stale_height",
        ),
        (
            "message height differs from the row",
            Claim {
                msg_height: BTC_H - 1,
                ..base.clone()
            },
            "message_height",
        ),
        (
            "message names another address",
            Claim {
                msg_address: Some(btc(BtcAddressKind::P2wpkh, &key(6))),
                ..base.clone()
            },
            "message_address",
        ),
    ];
    for (case, claim, code) in cases {
        check(case, &claim.row(sign), Err(code));
    }

    // The file's message is right but the signature is over last round's message: the verifier
    // checks the signature over the message it builds itself.
    let old = Claim {
        msg_round: "2026-10",
        ..base.clone()
    };
    let mut r = base.row(sign);
    r.signatures = old.row(sign).signatures;
    check(
        "signature over another round's message",
        &r,
        Err("wrong_key"),
    );

    let mut r = base.row(sign);
    r.message = String::new();
    check("missing message", &r, Err("missing_message"));
    let mut r = base.row(sign);
    r.message = "I am an OKX address".into();
    check("foreign message", &r, Err("message_mismatch"));

    // A max_age window accepts a recent height and still refuses an older one.
    let lenient = params().with_max_age("bitcoin", 2);
    let recent = Claim {
        height: BTC_H - 2,
        msg_height: BTC_H - 2,
        ..base.clone()
    };
    check_with(
        "within max_age",
        &recent.row(sign),
        &lenient,
        Ok(Scheme::Bip137),
    );
    let older = Claim {
        height: BTC_H - 3,
        msg_height: BTC_H - 3,
        ..base.clone()
    };
    check_with(
        "beyond max_age",
        &older.row(sign),
        &lenient,
        Err("stale_height"),
    );
}

#[test]
fn row_content_errors() {
    let k = key(7);
    let evm = evm_address(&k);
    let esign = |m: &str| one(sign_eip191(&k, m));
    let wrong_chain =
        |chain: &'static str, asset: &'static str| Claim::new(chain, asset, evm.clone());
    let cases: Vec<(&str, WalletRow, &str)> = vec![
        (
            "BTC on ethereum",
            wrong_chain("ethereum", "BTC").row(esign),
            "asset_not_on_chain",
        ),
        (
            "TRX on ethereum",
            wrong_chain("ethereum", "TRX").row(esign),
            "asset_not_on_chain",
        ),
        (
            "ETH on tron",
            Claim::new("tron", "ETH", tron_address(&k)).row(esign),
            "asset_not_on_chain",
        ),
        (
            "XRP on xrpl, no snapshot height pinned for it",
            Claim::new("xrpl", "XRP", "rEb8TK3gBgk5auZkwc6sHnwrGVJH8DuaLh".into()).row(esign),
            "height_not_pinned",
        ),
        (
            "made-up chain",
            Claim::new("dogechain", "ETH", evm.clone()).row(esign),
            "unknown_chain",
        ),
        (
            "unknown asset",
            wrong_chain("ethereum", "NOPE").row(esign),
            "unknown_asset",
        ),
        (
            "lower-case symbol",
            wrong_chain("ethereum", "eth").row(esign),
            "unknown_asset",
        ),
        (
            "asset not in the round",
            wrong_chain("ethereum", "OKB").row(esign),
            "asset_not_in_round",
        ),
        (
            "no height pinned",
            Claim::new("arbitrum", "ETH", evm.clone()).row(esign),
            "height_not_pinned",
        ),
    ];
    for (case, row, code) in cases {
        check(case, &row, Err(code));
    }
    let base = Claim::new("ethereum", "ETH", evm.clone());
    let mut no_tokens = params();
    no_tokens.tokens.clear();
    check_with(
        "token without a contract",
        &Claim::new("ethereum", "USDT", evm.clone()).row(esign),
        &no_tokens,
        Err("no_token_contract"),
    );
    for (balance, code) in [
        ("1.123456789", "bad_balance"),
        ("-1", "bad_balance"),
        ("1e3", "bad_balance"),
        ("", "bad_balance"),
        ("46116860184.27387904", "bad_balance"),
    ] {
        let mut r = base.row(esign);
        r.balance = balance.into();
        check(balance, &r, Err(code));
    }
    for height in ["84e4", "-1", "", "+19500000", " 1"] {
        let mut r = base.row(esign);
        r.height = height.into();
        check(height, &r, Err("bad_height"));
    }
}

/// `n − s` on 32-byte big-endian numbers (test-side byte arithmetic, to forge a high-S twin).
fn negate_s(s: &[u8]) -> [u8; 32] {
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ];
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(N[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = u8::try_from(d).unwrap();
    }
    out
}

#[test]
fn malformed_signature_encodings() {
    let k = key(8);
    let p2wpkh = Claim::new("bitcoin", "BTC", btc(BtcAddressKind::P2wpkh, &k));
    let p2pkh = Claim::new("bitcoin", "BTC", btc(BtcAddressKind::P2pkh, &k));
    let p2tr = Claim::new("bitcoin", "BTC", btc(BtcAddressKind::P2tr, &k));
    let evm = Claim::new("ethereum", "ETH", evm_address(&k));
    let tron = Claim::new("tron", "TRX", tron_address(&k));
    let good137 = |m: &str| sign_bip137(&k, m, BtcAddressKind::P2wpkh);
    let b64 = |bytes: &[u8]| STANDARD.encode(bytes);
    let decode = |s: &str| STANDARD.decode(s).unwrap();
    let with = |c: &Claim, f: &dyn Fn(&str) -> Vec<String>| c.row(f);

    let cases: Vec<(&str, WalletRow, &str)> = vec![
        ("no signature", with(&p2wpkh, &|_| vec![]), "no_signature"),
        (
            "two signatures",
            with(&p2wpkh, &|m| vec![good137(m), good137(m)]),
            "too_many_signatures",
        ),
        (
            "bad base64",
            with(&p2wpkh, &|_| one("not base64!".into())),
            "bad_base64",
        ),
        (
            "unpadded base64",
            with(&p2wpkh, &|m| {
                one(good137(m).trim_end_matches('=').to_owned())
            }),
            "bad_base64",
        ),
        (
            "truncated BIP-137 (64 bytes) on P2PKH",
            with(&p2pkh, &|m| {
                one(b64(
                    &decode(&sign_bip137(&k, m, BtcAddressKind::P2pkh))[..64]
                ))
            }),
            "signature_length",
        ),
        (
            "header 43",
            with(&p2wpkh, &|m| {
                let mut b = decode(&good137(m));
                b[0] = 43;
                one(b64(&b))
            }),
            "bad_recovery_id",
        ),
        (
            "header 26",
            with(&p2wpkh, &|m| {
                let mut b = decode(&good137(m));
                b[0] = 26;
                one(b64(&b))
            }),
            "bad_recovery_id",
        ),
        (
            "BIP-137 high S",
            with(&p2wpkh, &|m| {
                let mut b = decode(&good137(m));
                let s = negate_s(&b[33..65]);
                b[33..].copy_from_slice(&s);
                b[0] = 39 + ((b[0] - 39) ^ 1);
                one(b64(&b))
            }),
            "high_s",
        ),
        (
            "BIP-137 r = 0",
            with(&p2wpkh, &|m| {
                let mut b = decode(&good137(m));
                b[1..33].fill(0);
                one(b64(&b))
            }),
            "bad_signature",
        ),
        (
            "garbage witness",
            with(&p2wpkh, &|_| one(b64(&[0x02, 0x05, 1, 2]))),
            "bip322",
        ),
        (
            "P2TR signature cut short",
            with(&p2tr, &|m| {
                let b = decode(&sign_bip322_p2tr(&k, m, false, Network::Bitcoin));
                let mut w = vec![0x01, 0x3e];
                w.extend_from_slice(&b[2..64]);
                one(b64(&w))
            }),
            "bad_signature",
        ),
        (
            "P2TR with SIGHASH_NONE",
            with(&p2tr, &|m| {
                let mut b = decode(&sign_bip322_p2tr(&k, m, true, Network::Bitcoin));
                *b.last_mut().unwrap() = 0x02;
                one(b64(&b))
            }),
            "bip322",
        ),
        (
            "BIP-322 P2WPKH high S",
            with(&p2wpkh, &|m| {
                let b = decode(&sign_bip322_p2wpkh(&k, m, false, Network::Bitcoin));
                let w: bitcoin::Witness = bitcoin::consensus::deserialize(&b).unwrap();
                let sig = bitcoin::ecdsa::Signature::from_slice(w.nth(0).unwrap()).unwrap();
                let mut compact = sig.signature.serialize_compact();
                let s = negate_s(&compact[32..]);
                compact[32..].copy_from_slice(&s);
                let high = bitcoin::secp256k1::ecdsa::Signature::from_compact(&compact).unwrap();
                let mut der = high.serialize_der().to_vec();
                der.push(0x01);
                let mut w2 = bitcoin::Witness::new();
                w2.push(der);
                w2.push(w.nth(1).unwrap());
                one(b64(&bitcoin::consensus::serialize(&w2)))
            }),
            "high_s",
        ),
        (
            "EVM not hex",
            with(&evm, &|_| one("0xzz".into())),
            "bad_hex",
        ),
        (
            "EVM 64 bytes",
            with(&evm, &|m| one(sign_eip191(&k, m)[..130].to_owned())),
            "signature_length",
        ),
        (
            "EVM v = 29",
            with(&evm, &|m| {
                let s = sign_eip191(&k, m);
                one(format!("{}1d", &s[..130]))
            }),
            "bad_recovery_id",
        ),
        (
            "EVM high S",
            with(&evm, &|m| {
                let mut b = hex::decode(&sign_eip191(&k, m)[2..]).unwrap();
                let s = negate_s(&b[32..64]);
                b[32..64].copy_from_slice(&s);
                b[64] = if b[64] == 27 { 28 } else { 27 };
                one(format!("0x{}", hex::encode(b)))
            }),
            "high_s",
        ),
        (
            "TRON v = 0/1 accepted, 2 rejected",
            with(&tron, &|m| {
                let s = sign_tip191(&k, m);
                one(format!("{}02", &s[..130]))
            }),
            "bad_recovery_id",
        ),
    ];
    for (case, row, code) in cases {
        check(case, &row, Err(code));
    }
    // v as 0/1 instead of 27/28 is the same signature.
    let r = evm.row(|m| {
        let s = sign_eip191(&k, m);
        let v = u8::from_str_radix(&s[130..], 16).unwrap() - 27;
        one(format!("{}{v:02x}", &s[..130]))
    });
    check("EVM v in 0/1", &r, Ok(Scheme::Eip191));
    // A script on a single-key address.
    let mut r = p2wpkh.row(|m| one(good137(m)));
    r.script = Some("51".into());
    check("script on p2wpkh", &r, Err("unexpected_script"));
    let mut r = evm.row(|m| one(sign_eip191(&k, m)));
    r.script = Some("51".into());
    check("script on an EVM account", &r, Err("unexpected_script"));
    let nested = Claim::new("bitcoin", "BTC", btc(BtcAddressKind::P2shP2wpkh, &k));
    let mut r = nested.row(|m| one(sign_bip137(&k, m, BtcAddressKind::P2shP2wpkh)));
    r.script = Some(format!("0014{}", "00".repeat(20)));
    check(
        "script with a BIP-137 signature",
        &r,
        Err("unexpected_script"),
    );
    let mut r = nested.row(|m| one(sign_bip137(&k, m, BtcAddressKind::P2shP2wpkh)));
    r.script = Some("zz".into());
    check("script not hex", &r, Err("not_multisig"));
}

#[test]
fn duplicates_are_counted_once() {
    let k = key(9);
    let c = Claim::new("ethereum", "ETH", evm_address(&k));
    let first = c.row(|m| one(sign_eip191(&k, m)));
    let mut again = first.clone();
    again.line = 3;
    // The same address spelled in lower case is the same wallet.
    let mut lower = first.clone();
    lower.line = 4;
    lower.address = lower.address.to_ascii_lowercase();
    // Same address, another asset: a different wallet line, counted.
    let usdt = Claim::new("ethereum", "USDT", evm_address(&k));
    let mut token = usdt.row(|m| one(sign_eip191(&k, m)));
    token.line = 5;
    let report = verify_rows(&[first, again, lower, token], &params());
    assert_eq!(report.wallets.len(), 2);
    let lines: Vec<(usize, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.line, r.code.as_str()))
        .collect();
    assert_eq!(lines, [(3, "duplicate_address"), (4, "duplicate_address")]);
    assert_eq!(report.summary.duplicates, 2);
    assert_eq!(
        report.asset("ETH").unwrap().reserves,
        Total::from_units(150_000_000)
    );
}

#[test]
fn reserve_ratios_are_exact() {
    // BTC: net 100 BTC; wallets 115 BTC -> 115.00%. ETH: net 4000 ETH; 3999.99999999 ETH -> below.
    let k = key(11);
    let btc_rows = [("60", 1), ("55", 2)].map(|(bal, seed)| {
        let k = key(100 + seed);
        let c = Claim {
            balance: bal,
            ..Claim::new("bitcoin", "BTC", btc(BtcAddressKind::P2tr, &k))
        };
        c.row(|m| one(sign_bip322_p2tr(&k, m, false, Network::Bitcoin)))
    });
    let eth = Claim {
        balance: "3999.99999999",
        ..Claim::new("ethereum", "ETH", evm_address(&k))
    }
    .row(|m| one(sign_eip191(&k, m)));
    let mut rows = btc_rows.to_vec();
    rows.push(eth);
    for (i, r) in rows.iter_mut().enumerate() {
        r.line = i + 2;
    }
    // A verifier without the XRP Ledger: XRP cannot be measured.
    let mut p = params();
    p.chains.retain(|c| c.name != "xrpl");
    let report = verify_rows(&rows, &p);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let btc = report.asset("BTC").unwrap();
    assert_eq!(btc.reserves, Total::from_units(11_500_000_000));
    assert_eq!(btc.ratio_bps, Some(11_500));
    assert_eq!(btc.ratio_percent.as_deref(), Some("115.00"));
    assert_eq!(btc.status, AssetStatus::Covered);
    let eth = report.asset("ETH").unwrap();
    assert_eq!(eth.net_liabilities, "400000000000");
    assert_eq!(eth.ratio_bps, Some(9_999));
    assert!(eth.below_100);
    assert_eq!(eth.status, AssetStatus::Below100);
    // No wallet for USDT/TRX: 0%, below. XRP: no verifier for xrpl here. USDC: debt > equity.
    assert_eq!(report.asset("USDT").unwrap().ratio_bps, Some(0));
    assert_eq!(
        report.asset("XRP").unwrap().status,
        AssetStatus::NotVerifiable
    );
    assert_eq!(report.asset("XRP").unwrap().ratio_bps, None);
    let usdc = report.asset("USDC").unwrap();
    assert_eq!(usdc.status, AssetStatus::NoNetLiabilities);
    assert_eq!(usdc.net_liabilities, "-1000");
    assert_eq!(usdc.net_liabilities_decimal, "-0.001");
    let below: Vec<&str> = report
        .summary
        .assets_below_100
        .iter()
        .map(AssetId::as_str)
        .collect();
    assert_eq!(below, ["ETH", "USDT", "TRX"]);
    assert!(!report.summary.all_covered);

    // reserves.json round-trips; the table and the chart data agree with it.
    let back: ReservesReport = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(back, report);
    let table = report.render_table();
    assert!(table.contains("115.00%"), "{table}");
    assert!(table.contains("BELOW 100%"), "{table}");
    let chart = report.chart_data();
    assert_eq!(chart.threshold_bps, 10_000);
    assert_eq!(chart.bars[0].ratio_bps, Some(11_500));
    assert_eq!(chart.bars[0].by_chain["bitcoin"], "115");
}

#[test]
fn usd_columns_use_the_given_prices() {
    let k = key(12);
    let row = Claim {
        balance: "2",
        ..Claim::new("bitcoin", "BTC", btc(BtcAddressKind::P2pkh, &k))
    }
    .row(|m| one(sign_bip137(&k, m, BtcAddressKind::P2pkh)));
    let mut p = params();
    p.usd_e8
        .insert(AssetId::new("BTC").unwrap(), 6_701_250_000_000); // $67012.50
    let report = verify_rows(&[row], &p);
    let btc = report.asset("BTC").unwrap();
    assert_eq!(btc.reserves_usd.as_deref(), Some("134025"));
    assert_eq!(btc.net_liabilities_usd.as_deref(), Some("6701250"));
    assert_eq!(report.asset("ETH").unwrap().reserves_usd, None);
}

#[test]
fn fatal_inputs() {
    let bad_params = VerifyParams::new("A|B");
    assert_eq!(
        verify_wallets(&[], &liabilities(), &registry(), &bad_params)
            .unwrap_err()
            .code(),
        "bad_label"
    );
    let wrong_decimals = Liabilities::new(
        ROUND,
        vec![AssetLiability {
            decimals: 18,
            ..liab("ETH", 1, 0)
        }],
    )
    .unwrap();
    assert_eq!(
        verify_wallets(&[], &wrong_decimals, &registry(), &params())
            .unwrap_err()
            .code(),
        "liabilities"
    );
    assert_eq!(
        Liabilities::new("round | 2", vec![]).unwrap_err().code(),
        "bad_label"
    );
    assert_eq!(
        Liabilities::new(ROUND, vec![liab("BTC", 1, 0), liab("BTC", 2, 0)])
            .unwrap_err()
            .code(),
        "liabilities"
    );
}
