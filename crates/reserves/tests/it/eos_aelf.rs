//! EOS and aelf beyond the library vectors: key and signature spellings, the key authority each
//! is counted with, and the demo signing both when a registry lists them.

use std::collections::BTreeMap;

use custodia_primitives::{AssetRegistry, Total};
use custodia_reserves::eos::{parse_public_key, public_key_k1, public_key_legacy, sign_eos};
use custodia_reserves::sign::SigningKey;
use custodia_reserves::{
    AssetLiability, DemoConfig, KeyAuthority, Liabilities, Scheme, VerifyParams, demo_wallets,
    verify_ownership, verify_wallets,
};

#[test]
fn eos_key_spellings_match_the_published_development_key() {
    // The key every Antelope tutorial starts nodeos with (private key
    // 5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3); @wharfkit/antelope 1.2.0 spells its
    // public key both ways.
    let legacy = "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";
    let k1 = "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63";
    let a = parse_public_key(legacy).unwrap();
    let b = parse_public_key(k1).unwrap();
    assert_eq!(a, b);
    assert_eq!(public_key_legacy(&a), legacy);
    assert_eq!(public_key_k1(&a), k1);
    // Negative twins: the legacy checksum under the K1 prefix, a typo, an R1 key, another prefix.
    let swapped = format!("PUB_K1_{}", &legacy[3..]);
    for bad in [
        swapped.as_str(),
        "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CW",
        "PUB_R1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63",
        "FIO6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
        "",
    ] {
        assert!(parse_public_key(bad).is_err(), "{bad}");
    }
}

#[test]
fn eos_signature_binds_the_named_key_not_the_account() {
    let p = VerifyParams::new("X");
    let eos = p.chain("eos").unwrap();
    let key = SigningKey::from_bytes([7; 32]).unwrap();
    let other = SigningKey::from_bytes([8; 32]).unwrap();
    let kd = format!("public_key={}", public_key_k1(&key.public_key()));
    let sigs = vec![sign_eos(&key, "hello")];
    let sig = &sigs[0];
    assert_eq!(
        verify_ownership(eos, "custodiaexch", "hello", &sigs, Some(&kd)),
        Ok(Scheme::EosSignMessage)
    );
    // The legacy spelling of the same key is the same key.
    let legacy = format!("public_key={}", public_key_legacy(&key.public_key()));
    assert!(verify_ownership(eos, "custodiaexch", "hello", &sigs, Some(&legacy)).is_ok());
    // Negative twins: another key named, another message, no key data, a bad name, a
    // signature spelled for R1, a flipped checksum character.
    let other_kd = format!("public_key={}", public_key_k1(&other.public_key()));
    let code = |r: Result<Scheme, custodia_reserves::WalletRejection>| r.unwrap_err().code();
    assert_eq!(
        code(verify_ownership(
            eos,
            "custodiaexch",
            "hello",
            &sigs,
            Some(&other_kd)
        )),
        "wrong_key"
    );
    assert_eq!(
        code(verify_ownership(
            eos,
            "custodiaexch",
            "hullo",
            &sigs,
            Some(&kd)
        )),
        "wrong_key"
    );
    assert_eq!(
        code(verify_ownership(eos, "custodiaexch", "hello", &sigs, None)),
        "key_data"
    );
    assert_eq!(
        code(verify_ownership(eos, "Custodia", "hello", &sigs, Some(&kd))),
        "bad_address"
    );
    let r1 = sig.replacen("SIG_K1_", "SIG_R1_", 1);
    assert_eq!(
        code(verify_ownership(
            eos,
            "custodiaexch",
            "hello",
            &[r1],
            Some(&kd)
        )),
        "bad_encoding"
    );
    let mut typo: Vec<char> = sig.chars().collect();
    let last = typo.len() - 1;
    typo[last] = if typo[last] == 'z' { 'y' } else { 'z' };
    let typo: String = typo.into_iter().collect();
    assert_eq!(
        code(verify_ownership(
            eos,
            "custodiaexch",
            "hello",
            &[typo],
            Some(&kd)
        )),
        "bad_encoding"
    );
}

#[test]
fn aelf_accepts_the_chain_qualified_spelling_and_refuses_side_chains() {
    let p = VerifyParams::new("X");
    let aelf = p.chain("aelf").unwrap();
    let key = SigningKey::from_bytes([9; 32]).unwrap();
    let a = custodia_reserves::aelf::aelf_address(&key);
    let sigs = vec![custodia_reserves::aelf::sign_aelf(&key, "hello")];
    let q = format!("ELF_{a}_AELF");
    assert_eq!(
        verify_ownership(aelf, &q, "hello", &sigs, None),
        Ok(Scheme::AelfSign)
    );
    let side = format!("ELF_{a}_tDVV");
    assert_eq!(
        verify_ownership(aelf, &side, "hello", &sigs, None)
            .unwrap_err()
            .code(),
        "bad_address"
    );
    // aelf recovers the key: key data would be a mistake.
    assert_eq!(
        verify_ownership(aelf, &a, "hello", &sigs, Some("public_key=00"))
            .unwrap_err()
            .code(),
        "key_data"
    );
}

const REGISTRY: &str = r#"
[[asset]]
id = "EOS"
name = "EOS"
decimals = 4
chains = ["eos"]

[[asset]]
id = "ELF"
name = "aelf"
decimals = 8
chains = ["aelf"]
"#;

#[test]
fn demo_signs_eos_and_aelf_wallets_when_the_registry_lists_them() {
    let registry = AssetRegistry::from_toml(REGISTRY).unwrap();
    let liab = Liabilities::new(
        "2026-11",
        registry
            .assets()
            .iter()
            .map(|a| AssetLiability {
                asset: a.id.clone(),
                decimals: a.decimals,
                equity: Total::from_units(50_000_000_000),
                debt: Total::from_units(0),
            })
            .collect(),
    )
    .unwrap();
    let mut cfg = DemoConfig::new("Custodia Demo Exchange", 3);
    cfg.heights = BTreeMap::from([("eos".into(), 480_000_000), ("aelf".into(), 260_000_000)]);
    let demo = demo_wallets(&registry, &liab, &cfg).unwrap();
    let report = verify_wallets(&demo.rows, &liab, &registry, &demo.params).unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let mut seen = BTreeMap::new();
    for w in &report.wallets {
        let (scheme, authority) = match w.chain.as_str() {
            "eos" => (Scheme::EosSignMessage, KeyAuthority::NotChecked),
            "aelf" => (Scheme::AelfSign, KeyAuthority::Intrinsic),
            other => panic!("unexpected chain {other}"),
        };
        assert_eq!((w.scheme, w.key_authority), (scheme, authority), "{w:?}");
        *seen.entry(w.chain.clone()).or_insert(0) += 1;
    }
    assert!(seen.get("eos").is_some_and(|n| *n >= 1), "{seen:?}");
    assert!(seen.get("aelf").is_some_and(|n| *n >= 1), "{seen:?}");

    // Negative twin: one EOS row's key data swapped for another key is rejected, not counted.
    let mut rows = demo.rows.clone();
    let i = rows.iter().position(|r| r.chain == "eos").unwrap();
    let other = SigningKey::from_bytes([1; 32]).unwrap();
    rows[i].script = Some(format!("public_key={}", public_key_k1(&other.public_key())));
    let report = verify_wallets(&rows, &liab, &registry, &demo.params).unwrap();
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].code, "wrong_key");
}
