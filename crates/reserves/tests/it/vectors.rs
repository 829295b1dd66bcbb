//! Published test vectors: BIP-322 (bitcoin/bips, Bitcoin Core's util_tests), BIP-137 legacy
//! signmessage (Bitcoin Core util_tests), EIP-191 (web3.js docs), TIP-191 (TronWeb's tests).
//! Each positive vector has a negative twin (another message, another address).

use custodia_reserves::chain::default_chains;
use custodia_reserves::sign::{
    BtcAddressKind, SigningKey, btc_address, sign_bip137, sign_bip322_p2tr, sign_bip322_p2wpkh,
    sign_eip191, sign_tip191,
};
use custodia_reserves::{ChainSpec, Scheme, evm, tron, verify_ownership};

const WIF: &str = "L3VFeEujGtevx9w18HD1fhRbCH67Az2dpCymeRE1SoPK6XQtaN2k";
const P2WPKH: &str = "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l";
const P2TR: &str = "bc1ppv609nr0vr25u07u95waq5lucwfm6tde4nydujnu8npg4q75mr5sxq8lt3";
const P2PKH: &str = "14vV3aCHBeStb5bkenkNHbe2YAFinYdXgc";

fn chain(name: &str) -> ChainSpec {
    default_chains()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap()
}

/// One verification: `Ok(scheme)` or the error code.
fn check(chain_name: &str, address: &str, message: &str, sig: &str, expect: Result<Scheme, &str>) {
    let got = verify_ownership(
        &chain(chain_name),
        address,
        message,
        &[sig.to_owned()],
        None,
    );
    assert_eq!(
        got.map_err(|e| e.code()),
        expect,
        "{address} / {message:?} / {sig}"
    );
}

#[test]
fn bip322_official_p2wpkh_vectors() {
    // bitcoin/bips bip-0322.mediawiki, "Message signing": both signatures of each message.
    for (msg, sig) in [
        (
            "",
            "AkcwRAIgM2gBAQqvZX15ZiysmKmQpDrG83avLIT492QBzLnQIxYCIBaTpOaD20qRlEylyxFSeEA2ba9YOixpX8z46TSDtS40ASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI=",
        ),
        (
            "",
            "AkgwRQIhAPkJ1Q4oYS0htvyuSFHLxRQpFAY56b70UvE7Dxazen0ZAiAtZfFz1S6T6I23MWI2lK/pcNTWncuyL8UL+oMdydVgzAEhAsfxIAMZZEKUPYWI4BruhAQjzFT8FSFSajuFwrDL1Yhy",
        ),
        (
            "Hello World",
            "AkcwRAIgZRfIY3p7/DoVTty6YZbWS71bc5Vct9p9Fia83eRmw2QCICK/ENGfwLtptFluMGs2KsqoNSk89pO7F29zJLUx9a/sASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI=",
        ),
        (
            "Hello World",
            "AkgwRQIhAOzyynlqt93lOKJr+wmmxIens//zPzl9tqIOua93wO6MAiBi5n5EyAcPScOjf1lAqIUIQtr3zKNeavYabHyR8eGhowEhAsfxIAMZZEKUPYWI4BruhAQjzFT8FSFSajuFwrDL1Yhy",
        ),
    ] {
        check("bitcoin", P2WPKH, msg, sig, Ok(Scheme::Bip322Simple));
        // Negative twin: the same signature over another message.
        check(
            "bitcoin",
            P2WPKH,
            "Hello World - this should fail",
            sig,
            Err("signature_invalid"),
        );
    }
    // The vector's key signs the same way with libsecp256k1 (RFC 6979): the "alt" signature.
    let key = SigningKey::from_wif(WIF).unwrap();
    assert_eq!(
        btc_address(&key, BtcAddressKind::P2wpkh, bitcoin::Network::Bitcoin).to_string(),
        P2WPKH
    );
    assert_eq!(
        sign_bip322_p2wpkh(&key, "Hello World", false, bitcoin::Network::Bitcoin),
        "AkgwRQIhAOzyynlqt93lOKJr+wmmxIens//zPzl9tqIOua93wO6MAiBi5n5EyAcPScOjf1lAqIUIQtr3zKNeavYabHyR8eGhowEhAsfxIAMZZEKUPYWI4BruhAQjzFT8FSFSajuFwrDL1Yhy"
    );
}

#[test]
fn bip322_official_p2tr_vector() {
    // Bitcoin Core util_tests.cpp (BIP-322 pull request), key-path P2TR, SIGHASH_ALL.
    let sig = "AUHd69PrJQEv+oKTfZ8l+WROBHuy9HKrbFCJu7U1iK2iiEy1vMU5EfMtjc+VSHM7aU0SDbak5IUZRVno2P5mjSafAQ==";
    check(
        "bitcoin",
        P2TR,
        "Hello World",
        sig,
        Ok(Scheme::Bip322Simple),
    );
    check(
        "bitcoin",
        P2TR,
        "Hello World -- This should fail",
        sig,
        Err("signature_invalid"),
    );
    // Another taproot address: the output key differs, the Schnorr check fails.
    check(
        "bitcoin",
        "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
        "Hello World",
        sig,
        Err("signature_invalid"),
    );
    let key = SigningKey::from_wif(WIF).unwrap();
    assert_eq!(
        btc_address(&key, BtcAddressKind::P2tr, bitcoin::Network::Bitcoin).to_string(),
        P2TR
    );
    assert_eq!(
        sign_bip322_p2tr(&key, "Hello World", true, bitcoin::Network::Bitcoin),
        sig
    );
}

#[test]
fn bip322_generated_vectors_p2wsh_multisig() {
    // bitcoin/bips bip-0322/generated-test-vectors.json, simple P2WSH 2-of-2 and 3-of-3.
    let chain = chain("bitcoin");
    let ok = |addr: &str, msg: &str, sig: &str| {
        verify_ownership(&chain, addr, msg, &[sig.to_owned()], None).map_err(|e| e.code())
    };
    let two = "BABIMEUCIQCKl1f9Cj26k0fFWE48+O4ibhYJYPytbDZWJRaaG9BybwIgCbk+3BViWkpuu2RI+41dwtlQ/m/01G860pTFCzDFfokBSDBFAiEA0O77DJsaM7IO+Ht06sp3umzXB64CNNOwf2isZuPfdmwCIGlggOwRSkXsqlPhE1gMdd5hf7ycL33Orfrr4v/XnMGSAUdSIQNsu/OwZurHvJMoiJoSAmmCHLoqIc5Wblh+rek+7rhASCECgYVkUspeAxwRfM6v4GRBhN/gGxTfpPqZuOlBIYZxTJZSrg==";
    assert_eq!(
        ok(
            "bc1qw6g0rgrpuxvj4edkwtvzpmt3c5m08mhp8nuk3mrk4erufvlczp5ssdscjd",
            "G7ZTXXOVJFHGDD6XYJAGBAMT5A",
            two
        ),
        Ok(Scheme::MultisigBip322Simple)
    );
    assert_eq!(
        ok(
            "bc1qw6g0rgrpuxvj4edkwtvzpmt3c5m08mhp8nuk3mrk4erufvlczp5ssdscjd",
            "DL2KXDPQAN63YIQPIP34O3XYVX",
            two
        ),
        Err("signer_not_in_script")
    );
    // The witness script hashes to another address.
    assert_eq!(
        ok(
            "bc1q47vnwr6fsarstmmw89wrkvl89540sn5g79x75ms8aly9rrsnq8eqh3v9gz",
            "G7ZTXXOVJFHGDD6XYJAGBAMT5A",
            two
        ),
        Err("script_mismatch")
    );
    let three = "BQBHMEQCICNI6H6b+VCZV9Z2H6EW5hPrE1buC6SJuy2ljSNmQlGfAiASbm5UrA8KH6TwF6evx7COV+i27ubiq2v9TyLYPOO63gFIMEUCIQCMOFnJbg0sy88G6wUXjv5stjVgfvAokOogWsisdkAnlAIgETfBw7kJhISFu9vIomFcEF/1NsN6c0h3KjNcpmNAZtMBSDBFAiEA/lUU+wBeA3prt8vHRpcQN763OYZ8L61DfN0QI/gkHpMCIB2qHwgoXNTH0sdqeAMD2ah7dSTie2bflax3Q3I/GibQAWlTIQKo003Zjj9Jg/kT7sOA7cTdIKmzsrIYBAuPd9hj8FZuHCEC6BdalMtwbjcx2vJjVelv7BJml0rY7Q5ze+PWen6tb5shAytperlYBs69tbn86t3pINqXy0NzttKZKi6Y8X+USQXaU64=";
    assert_eq!(
        ok(
            "bc1qazhmhwl9sxgjmwnd96hh926s3x5l0cf64yy6hvyn6qms438x550qy5sgva",
            "Z3SB7SRL555ZGOHVMYT5WG7RIZ",
            three
        ),
        Ok(Scheme::MultisigBip322Simple)
    );
    assert_eq!(
        ok(
            "bc1qazhmhwl9sxgjmwnd96hh926s3x5l0cf64yy6hvyn6qms438x550qy5sgva",
            "UKLIJM5HKKQEIFJ44R7UIQFMYL",
            three
        ),
        Err("signer_not_in_script")
    );
}

#[test]
fn bip137_legacy_signmessage_vectors() {
    // Bitcoin Core util_tests.cpp: signmessage with the BIP-322 key on its P2PKH address.
    for (msg, sig) in [
        (
            "Hello World",
            "IOW2xi+ebJLeBtr674l4QH76dqDoVjLV80R9EFKFQX5rBrlCXPIZaYs8Yuayg0ZqjyiCbLy9pzZIS7JWT65/nsU=",
        ),
        (
            "",
            "H0Gm/ylcjvGmj29D/r6ASHKKWAyGA/MEU/Eh+IhFw3ZxFxy9b/dJ8/XFsiutCV8DWlFGnO95m/KoZwFPJTF1qaM=",
        ),
    ] {
        check("bitcoin", P2PKH, msg, sig, Ok(Scheme::Bip137));
        check("bitcoin", P2PKH, "another message", sig, Err("wrong_key"));
        // Electrum-style: the compressed-P2PKH header is accepted for the key's P2WPKH address.
        check("bitcoin", P2WPKH, msg, sig, Ok(Scheme::Bip137));
        // A P2TR address has no BIP-137 form.
        check("bitcoin", P2TR, msg, sig, Err("unsupported_scheme"));
        let key = SigningKey::from_wif(WIF).unwrap();
        assert_eq!(sign_bip137(&key, msg, BtcAddressKind::P2pkh), sig);
    }
}

#[test]
fn eip191_web3_vector() {
    // web3.js docs, web3.eth.accounts.sign("Some data", "0x4c08…2318").
    let key_hex = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    let sig = "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c";
    assert_eq!(
        hex::encode(evm::eip191_hash(b"Some data")),
        "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655"
    );
    let addr = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
    check("ethereum", addr, "Some data", sig, Ok(Scheme::Eip191));
    check("ethereum", addr, "Some other data", sig, Err("wrong_key"));
    check(
        "ethereum",
        "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf",
        "Some data",
        sig,
        Err("wrong_key"),
    );
    let key = SigningKey::from_bytes(hex::decode(key_hex).unwrap().try_into().unwrap()).unwrap();
    assert_eq!(custodia_reserves::sign::evm_address(&key), addr);
    assert_eq!(sign_eip191(&key, "Some data"), sig);
    // The key 0x…01's well-known address.
    let one = SigningKey::from_bytes({
        let mut b = [0u8; 32];
        b[31] = 1;
        b
    })
    .unwrap();
    assert_eq!(
        custodia_reserves::sign::evm_address(&one),
        "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
    );
}

#[test]
fn tip191_tronweb_vector() {
    // TronWeb test/testcases/src/sign-message.ts, first case (key 0x…01, "hello world").
    let sig = "0x0dc0b53d525e0103a6013061cf18e60cf158809149f2b8994a545af65a7004cb1eeaff560e801ab51b28df5d42549aa024c2aa7e9d34de1e01294b9afb5e6c7e1c";
    assert_eq!(
        hex::encode(tron::tip191_hash(b"hello world")),
        "cf02daeb2bea196ed5692322a66ed50080ce74ff8cb711199f1b04f3c13bc10d"
    );
    let addr = "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC";
    check("tron", addr, "hello world", sig, Ok(Scheme::Tip191));
    check("tron", addr, "hello world!", sig, Err("wrong_key"));
    let mut b = [0u8; 32];
    b[31] = 1;
    let key = SigningKey::from_bytes(b).unwrap();
    assert_eq!(custodia_reserves::sign::tron_address(&key), addr);
    assert_eq!(sign_tip191(&key, "hello world"), sig);
    // The EIP-191 signature of the same text is not a TIP-191 signature.
    check(
        "tron",
        addr,
        "hello world",
        &sign_eip191(&key, "hello world"),
        Err("wrong_key"),
    );
}
