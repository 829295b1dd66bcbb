//! Signature verification per scheme (one core), and a 1000-wallet file end to end (all cores).
//!
//! `cargo bench -p custodia-reserves --bench signatures`

use bitcoin::Network;
use criterion::{Criterion, criterion_group, criterion_main};
use custodia_reserves::chain::default_chains;
use custodia_reserves::sign::{
    BtcAddressKind, MultisigKind, SigningKey, btc_address, evm_address, multisig_address,
    multisig_script, sign_bip137, sign_bip322_multisig, sign_bip322_p2tr, sign_bip322_p2wpkh,
    sign_eip191, sign_tip191, tron_address,
};
use custodia_reserves::verify_ownership;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

const MSG: &str = "Custodia proof of reserves | Bench | round 1 | height 1 | x";

fn signatures(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let k = SigningKey::generate(&mut rng);
    let chains = default_chains();
    let chain = |n: &str| chains.iter().find(|c| c.name == n).unwrap().clone();
    let (bitcoin, ethereum, tron) = (chain("bitcoin"), chain("ethereum"), chain("tron"));
    let keys: Vec<SigningKey> = (0..3).map(|_| SigningKey::generate(&mut rng)).collect();
    let script = multisig_script(
        2,
        &keys.iter().map(SigningKey::public_key).collect::<Vec<_>>(),
    );
    let p2wsh = multisig_address(&script, MultisigKind::P2wsh, Network::Bitcoin);

    let cases: Vec<(&str, _, String, Vec<String>, Option<String>)> = vec![
        (
            "bip137-p2wpkh",
            bitcoin.clone(),
            btc_address(&k, BtcAddressKind::P2wpkh, Network::Bitcoin).to_string(),
            vec![sign_bip137(&k, MSG, BtcAddressKind::P2wpkh)],
            None,
        ),
        (
            "bip322-p2wpkh",
            bitcoin.clone(),
            btc_address(&k, BtcAddressKind::P2wpkh, Network::Bitcoin).to_string(),
            vec![sign_bip322_p2wpkh(&k, MSG, false, Network::Bitcoin)],
            None,
        ),
        (
            "bip322-p2tr",
            bitcoin.clone(),
            btc_address(&k, BtcAddressKind::P2tr, Network::Bitcoin).to_string(),
            vec![sign_bip322_p2tr(&k, MSG, false, Network::Bitcoin)],
            None,
        ),
        (
            "bip322-p2wsh-2of3",
            bitcoin.clone(),
            p2wsh.to_string(),
            vec![sign_bip322_multisig(
                &[&keys[0], &keys[1]],
                &script,
                &p2wsh,
                MSG,
            )],
            None,
        ),
        (
            "multisig-bip137-p2wsh-2of3",
            bitcoin,
            p2wsh.to_string(),
            keys[..2]
                .iter()
                .map(|k| sign_bip137(k, MSG, BtcAddressKind::P2pkh))
                .collect(),
            Some(script.to_hex_string()),
        ),
        (
            "eip191",
            ethereum,
            evm_address(&k),
            vec![sign_eip191(&k, MSG)],
            None,
        ),
        (
            "tip191",
            tron,
            tron_address(&k),
            vec![sign_tip191(&k, MSG)],
            None,
        ),
    ];
    let mut group = c.benchmark_group("verify_ownership");
    for (name, chain, address, sigs, script) in &cases {
        verify_ownership(chain, address, MSG, sigs, script.as_deref()).expect("valid");
        group.bench_function(*name, |b| {
            b.iter(|| verify_ownership(chain, address, MSG, sigs, script.as_deref()))
        });
    }
    group.finish();
}

fn wallet_file(c: &mut Criterion) {
    let f = custodia_reserves::bench_fixture(1000);
    let mut group = c.benchmark_group("wallet_file");
    group.sample_size(10);
    group.bench_function("verify_1000_wallets", |b| {
        b.iter(|| {
            custodia_reserves::verify_wallets(&f.rows, &f.liabilities, &f.registry, &f.params)
                .expect("valid inputs")
        })
    });
    group.finish();
}

criterion_group!(benches, signatures, wallet_file);
criterion_main!(benches);
