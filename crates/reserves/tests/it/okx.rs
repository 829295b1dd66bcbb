//! The OKX compatibility reader: OKX's formats verify, and the checks OKX's own verifier skips
//! still reject (one signature used twice in a 2-of-3, a threshold not met, an address that
//! does not decode, an ed25519 key that does not derive the address).

use custodia_reserves::okx::{
    OKX_MESSAGE, OkxScheme, sign_okx_envelope_ed25519, sign_okx_evm, sign_okx_tron_v1,
    verify_okx_file,
};
use custodia_reserves::sign::{
    BtcAddressKind, Ed25519Key, MultisigKind, SigningKey, aptos_account, btc_address, evm_address,
    multisig_address, multisig_script, sign_bip137, sign_tip191, solana_address, tron_address,
};

const HEADER: &str = "coin,Type,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/public key,EOA1,EOA2";

fn row(coin: &str, network: &str, address: &str, s1: &str, s2: &str, key: &str) -> String {
    format!("{coin},hot,{network},840000,{address},1.5,{OKX_MESSAGE},{s1},{s2},{key},,")
}

fn k(n: u8) -> SigningKey {
    SigningKey::from_bytes([n; 32]).unwrap()
}

#[test]
fn okx_formats_verify_and_the_checks_okx_skips_still_reject() {
    let net = bitcoin::Network::Bitcoin;
    let p2pkh = btc_address(&k(1), BtcAddressKind::P2pkh, net).to_string();
    let keys = [k(2), k(3), k(4)];
    let pubs: Vec<_> = keys.iter().map(SigningKey::public_key).collect();
    let script = multisig_script(2, &pubs);
    let ms = multisig_address(&script, MultisigKind::P2wsh, net).to_string();
    let ms_sig = |i: usize| sign_bip137(&keys[i], OKX_MESSAGE, BtcAddressKind::P2pkh);
    let sol = Ed25519Key::from_seed([5; 32]);
    let apt = Ed25519Key::from_seed([6; 32]);
    let (apt_addr, _) = aptos_account(&apt, "n");
    let apt_other = Ed25519Key::from_seed([7; 32]);
    let mut bad_btc = p2pkh.clone().into_bytes();
    bad_btc[5] = if bad_btc[5] == b'A' { b'B' } else { b'A' };
    let bad_btc = String::from_utf8(bad_btc).unwrap();
    let lines = [
        // 2..: valid rows.
        row(
            "BTC",
            "BTC",
            &p2pkh,
            &sign_bip137(&k(1), OKX_MESSAGE, BtcAddressKind::P2pkh),
            "",
            "",
        ),
        row(
            "BTC",
            "BTC",
            &ms,
            &ms_sig(0),
            &ms_sig(2),
            &script.to_hex_string(),
        ),
        row(
            "ETH",
            "ERC20",
            &evm_address(&k(8)),
            &sign_okx_evm(&k(8), OKX_MESSAGE),
            "",
            "",
        ),
        row(
            "TRX",
            "TRC20",
            &tron_address(&k(9)),
            &sign_okx_tron_v1(&k(9), OKX_MESSAGE),
            "",
            "",
        ),
        row(
            "TRX",
            "TRX",
            &tron_address(&k(9)),
            &sign_tip191(&k(9), OKX_MESSAGE),
            "",
            "",
        ),
        row(
            "SOL",
            "SOL",
            &solana_address(&sol),
            &sign_okx_envelope_ed25519(&sol, OKX_MESSAGE),
            "",
            "",
        ),
        row(
            "APT",
            "APT",
            &apt_addr,
            &sign_okx_envelope_ed25519(&apt, OKX_MESSAGE),
            "",
            &hex::encode(apt.public()),
        ),
        // 9..: what OKX's verifier would let through.
        row(
            "BTC",
            "BTC",
            &ms,
            &ms_sig(0),
            &ms_sig(0),
            &script.to_hex_string(),
        ),
        row("BTC", "BTC", &ms, &ms_sig(1), "", &script.to_hex_string()),
        row(
            "BTC",
            "BTC",
            &bad_btc,
            &sign_bip137(&k(1), OKX_MESSAGE, BtcAddressKind::P2pkh),
            "",
            "",
        ),
        row(
            "APT",
            "APT",
            &apt_addr,
            &sign_okx_envelope_ed25519(&apt_other, OKX_MESSAGE),
            "",
            &hex::encode(apt_other.public()),
        ),
        // 13..: other message, unknown network, another key's EVM signature.
        format!(
            "ETH,hot,ERC20,1,{},1,I am an OKY address,{},,,,",
            evm_address(&k(8)),
            sign_okx_evm(&k(8), "I am an OKY address")
        ),
        row("NEAR", "NEAR", "alice.near", "00", "", ""),
        row(
            "ETH",
            "ERC20",
            &evm_address(&k(8)),
            &sign_okx_evm(&k(10), OKX_MESSAGE),
            "",
            "",
        ),
    ];
    let text = format!("{HEADER}\n{}\n", lines.join("\n"));
    let report = verify_okx_file(&text).unwrap();
    let schemes: Vec<Option<OkxScheme>> = report.rows.iter().map(|r| r.scheme).collect();
    assert_eq!(
        schemes[..7],
        [
            Some(OkxScheme::SignedMessage),
            Some(OkxScheme::SignedMessage),
            Some(OkxScheme::EvmHashedPersonal),
            Some(OkxScheme::TronV1),
            Some(OkxScheme::TronV2),
            Some(OkxScheme::EnvelopeEd25519),
            Some(OkxScheme::EnvelopeEd25519),
        ],
        "{:#?}",
        report.rows
    );
    let codes: Vec<&str> = report.rows[7..]
        .iter()
        .map(|r| r.rejected.as_ref().map_or("accepted", |(c, _)| c.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            "not_enough_signatures",
            "not_enough_signatures",
            "bad_address",
            "wrong_key",
            "message_mismatch",
            "unknown_chain",
            "wrong_key",
        ]
    );
    assert_eq!((report.verified, report.rejected), (7, 7));
    assert_eq!(report.by_coin["BTC"], (2, 3));
    assert!(report.caveat.contains("not bound to a round"));
    // A file without OKX's columns fails as a whole.
    assert_eq!(
        verify_okx_file("chain,address\n").unwrap_err().code(),
        "missing_column"
    );
}

#[test]
fn okx_eos_and_elf_rows_verify_and_their_twins_do_not() {
    use custodia_reserves::aelf::aelf_address;
    use custodia_reserves::eos::{public_key_legacy, sign_eos};
    use custodia_reserves::okx::{sign_okx_envelope_secp256k1, sign_okx_eos};
    let eos_key = public_key_legacy(&k(11).public_key());
    let other_eos_key = public_key_legacy(&k(12).public_key());
    let elf = aelf_address(&k(13));
    let lines = [
        // Valid: OKX's EOS form (key in the key column) and its secp256k1 envelope for ELF.
        row(
            "EOS",
            "EOS",
            "okxcustody11",
            &sign_okx_eos(&k(11), OKX_MESSAGE),
            "",
            &eos_key,
        ),
        row(
            "ELF",
            "ELF",
            &elf,
            &sign_okx_envelope_secp256k1(&k(13), OKX_MESSAGE),
            "",
            "",
        ),
        // Twins: another key in the column, no key, a signature without OKX's envelope, an ELF
        // signature by another key.
        row(
            "EOS",
            "EOS",
            "okxcustody11",
            &sign_okx_eos(&k(11), OKX_MESSAGE),
            "",
            &other_eos_key,
        ),
        row(
            "EOS",
            "EOS",
            "okxcustody11",
            &sign_okx_eos(&k(11), OKX_MESSAGE),
            "",
            "",
        ),
        row(
            "EOS",
            "EOS",
            "okxcustody11",
            &sign_eos(&k(11), OKX_MESSAGE),
            "",
            &eos_key,
        ),
        row(
            "ELF",
            "ELF",
            &elf,
            &sign_okx_envelope_secp256k1(&k(14), OKX_MESSAGE),
            "",
            "",
        ),
    ];
    let text = format!("{HEADER}\n{}\n", lines.join("\n"));
    let report = verify_okx_file(&text).unwrap();
    let got: Vec<&str> = report
        .rows
        .iter()
        .map(|r| match (&r.scheme, &r.rejected) {
            (Some(OkxScheme::EnvelopeEos), _) => "envelope-eos",
            (Some(OkxScheme::EnvelopeSecp256k1), _) => "envelope-secp256k1",
            (_, Some((c, _))) => c.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            "envelope-eos",
            "envelope-secp256k1",
            "wrong_key",
            "bad_public_key",
            "wrong_key",
            "wrong_key",
        ]
    );
}
