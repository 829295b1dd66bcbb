//! `wallet_template`: from an address list to the rows custody signers sign; the signed rows
//! verify, and every bad line of a list is named.

use custodia_primitives::AssetRegistry;
use custodia_reserves::sign::{
    Ed25519Key, SigningKey, evm_address, sign_eip191, sign_sep53, sign_solana_offchain,
    solana_address, stellar_address,
};
use custodia_reserves::{VerifyParams, verify_ownership, wallet_template};

fn params() -> VerifyParams {
    VerifyParams::new("Acme")
        .with_height("ethereum", 19_500_000)
        .with_height("solana", 260_000_000)
}

fn registry() -> AssetRegistry {
    AssetRegistry::default_assets()
}

#[test]
fn template_rows_carry_the_exact_message_and_verify_once_signed() {
    let reg = registry();
    let evm = SigningKey::from_bytes([7; 32]).unwrap();
    let sol = Ed25519Key::from_seed([8; 32]);
    // Lower-case EVM input: the template writes the canonical EIP-55 spelling.
    let list = format!(
        "chain,address,asset,balance\nethereum,{},ETH,1.5\nethereum,{},USDT,\nsolana,{},SOL,2\n",
        evm_address(&evm).to_lowercase(),
        evm_address(&evm),
        solana_address(&sol),
    );
    let chains = |a: &str| reg.get(reg.index_of(a)?).map(|i| i.chains.as_slice());
    let rows = wallet_template(&list, "2026-11", &params(), chains).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].address, evm_address(&evm));
    assert_eq!(
        rows[0].message,
        format!(
            "Custodia proof of reserves | Acme | round 2026-11 | height 19500000 | {}",
            evm_address(&evm)
        )
    );
    assert_eq!(rows[0].balance, "1.5");
    assert_eq!(rows[1].balance, "");
    assert!(rows.iter().all(|r| r.signatures.is_empty()));
    let p = params();
    let sig = |r: &custodia_reserves::WalletRow| match r.chain.as_str() {
        "ethereum" => sign_eip191(&evm, &r.message),
        _ => sign_solana_offchain(&sol, &r.message),
    };
    for r in &rows {
        let chain = p.chain(&r.chain).unwrap();
        verify_ownership(chain, &r.address, &r.message, &[sig(r)], None).unwrap();
    }
    // Negative twin: a signature over the template's message does not verify for another row's
    // address.
    let chain = p.chain("solana").unwrap();
    let other = stellar_address(&sol); // a valid key, but not a Solana spelling
    assert!(verify_ownership(chain, &other, &rows[2].message, &[sig(&rows[2])], None).is_err());
    let _ = sign_sep53;
}

#[test]
fn every_bad_line_is_named() {
    let reg = registry();
    let chains = |a: &str| reg.get(reg.index_of(a)?).map(|i| i.chains.as_slice());
    let list = "chain,address,asset\n\
                ethereum,0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD,ETH\n\
                near,alice.near,NEAR\n\
                xrpl,rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh,XRP\n\
                ethereum,0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed,BTC\n";
    let e = wallet_template(list, "2026-11", &params(), chains).unwrap_err();
    assert_eq!(e.code(), "address_list");
    let text = e.to_string();
    for want in [
        "line 2: EIP-55 checksum",
        "line 3: chain `near`",
        "line 4: no snapshot height pinned for `xrpl`",
        "line 5: asset BTC is not held on `ethereum`",
    ] {
        assert!(text.contains(want), "{want} missing in {text}");
    }
    // Structural problems fail the list as a whole.
    assert_eq!(
        wallet_template("chain,address\n", "r", &params(), chains)
            .unwrap_err()
            .code(),
        "missing_column"
    );
    assert_eq!(
        wallet_template("chain,address,asset,memo\n", "r", &params(), chains)
            .unwrap_err()
            .code(),
        "unknown_column"
    );
}
