//! The generic Custodia envelope: every chain accepts it with the address derived from the key;
//! each positive case has its twins (another message, another key, a tampered signature,
//! missing key data).

use custodia_chain::coins::{Coin, CoinKind};
use custodia_chain::ss58;
use custodia_reserves::envelope::{sign_envelope_ed25519, sign_envelope_secp256k1};
use custodia_reserves::sign::{
    BtcAddressKind, Ed25519Key, SigningKey, aptos_account, btc_address, cardano_account,
    coin_address, evm_address, filecoin_f1_address, solana_address, stellar_address, sui_address,
    ton_wallet, tron_address, xrpl_ed25519_account, xrpl_secp256k1_account,
};
use custodia_reserves::ton::WalletVersion;
use custodia_reserves::{Scheme, VerifyParams, key_data, verify_ownership};

const MSG: &str = "Custodia proof of reserves | Acme | round 2026-11 | height 1 | X";

fn check(
    chain: &str,
    address: &str,
    message: &str,
    sig: &str,
    kd: Option<&str>,
) -> Result<Scheme, String> {
    let p = VerifyParams::new("Acme");
    verify_ownership(
        p.chain(chain).unwrap(),
        address,
        message,
        &[sig.to_owned()],
        kd,
    )
    .map_err(|e| e.code().to_owned())
}

/// A message signer.
type Signer = Box<dyn Fn(&str) -> String>;

/// One wallet: chain, address, key data, its signer.
type Case = (&'static str, String, Option<String>, Signer);

/// The wallets of one key on every chain.
fn cases(seed: u8) -> Vec<Case> {
    let s = SigningKey::from_bytes([seed; 32]).unwrap();
    let e = Ed25519Key::from_seed([seed; 32]);
    let secp = |k: SigningKey| -> Signer { Box::new(move |m| sign_envelope_secp256k1(&k, m)) };
    let edf = |k: Ed25519Key| -> Signer { Box::new(move |m| sign_envelope_ed25519(&k, m)) };
    let pk_kd = |k: &Ed25519Key| Some(key_data(&[("public_key", &hex::encode(k.public()))]));
    let (xrpl_s, _) = xrpl_secp256k1_account(&s);
    let (xrpl_e, xrpl_e_kd) = xrpl_ed25519_account(&e);
    let (aptos, _) = aptos_account(&e, "n");
    let (cardano, _) = cardano_account(&e);
    let (ton, _) = ton_wallet(&e, WalletVersion::V4R2, "d", 1);
    vec![
        ("ethereum", evm_address(&s), None, secp(s.clone())),
        ("tron", tron_address(&s), None, secp(s.clone())),
        (
            "bitcoin",
            btc_address(&s, BtcAddressKind::P2wpkh, bitcoin::Network::Bitcoin).to_string(),
            None,
            secp(s.clone()),
        ),
        (
            "dogecoin",
            coin_address(&s, Coin::Dogecoin, CoinKind::P2pkh),
            None,
            secp(s.clone()),
        ),
        ("filecoin", filecoin_f1_address(&s), None, secp(s.clone())),
        ("xrpl", xrpl_s, None, secp(s.clone())),
        ("xrpl", xrpl_e, Some(xrpl_e_kd), edf(e.clone())),
        ("solana", solana_address(&e), None, edf(e.clone())),
        ("stellar", stellar_address(&e), None, edf(e.clone())),
        (
            "polkadot",
            ss58::encode(ss58::POLKADOT, &e.public()),
            None,
            edf(e.clone()),
        ),
        ("aptos", aptos, pk_kd(&e), edf(e.clone())),
        ("sui", sui_address(&e), pk_kd(&e), edf(e.clone())),
        ("cardano", cardano, pk_kd(&e), edf(e.clone())),
        (
            "ton",
            ton,
            Some(key_data(&[
                ("public_key", &hex::encode(e.public())),
                ("wallet", "v4r2"),
            ])),
            edf(e.clone()),
        ),
    ]
}

#[test]
fn every_chain_accepts_the_envelope_and_refuses_its_twins() {
    let mine = cases(3);
    let theirs = cases(4);
    for ((chain, address, kd, sign), (_, _, other_kd, other_sign)) in mine.iter().zip(&theirs) {
        let kd = kd.as_deref();
        let sig = sign(MSG);
        assert_eq!(
            check(chain, address, MSG, &sig, kd),
            Ok(Scheme::CustodiaEnvelope),
            "{chain} {address}"
        );
        // Another message.
        assert!(
            check(chain, address, &format!("{MSG}!"), &sig, kd).is_err(),
            "{chain}"
        );
        // Another key's envelope for the same address.
        let other = check(
            chain,
            address,
            MSG,
            &other_sign(MSG),
            other_kd.as_deref().or(kd),
        );
        assert!(other.is_err(), "{chain}: another key accepted");
        // One hex digit changed.
        let mut t = sig.clone().into_bytes();
        let i = t.len() - 10;
        t[i] = if t[i] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(t).unwrap();
        assert!(
            check(chain, address, MSG, &tampered, kd).is_err(),
            "{chain}: tampered"
        );
        // A wallet standard's signature is not an envelope, and the prefix is required.
        let bare = sig.strip_prefix("envelope:").unwrap();
        assert!(
            check(chain, address, MSG, bare, kd).is_err(),
            "{chain}: bare hex"
        );
        // Where the key travels as key data, it is required.
        if kd.is_some() {
            assert!(
                check(chain, address, MSG, &sig, None).is_err(),
                "{chain}: no key data"
            );
        }
    }
}

#[test]
fn secp256k1_envelopes_take_no_key_data() {
    let s = SigningKey::from_bytes([5; 32]).unwrap();
    let sig = sign_envelope_secp256k1(&s, MSG);
    assert_eq!(
        check(
            "ethereum",
            &evm_address(&s),
            MSG,
            &sig,
            Some("public_key=00")
        ),
        Err("key_data".into())
    );
}
