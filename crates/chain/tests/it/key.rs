//! The compact key stored in snapshots and databases: exact bytes, round trips, rejections.

use custodia_chain::{Address, Chain, ChainError, Network};

#[test]
fn mainnet_keys_are_the_stored_format() {
    // These bytes are in existing snapshots and databases: they must never change.
    let evm = Address::parse(Chain::Evm, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").unwrap();
    assert_eq!(
        hex::encode(evm.key_bytes()),
        "01145aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
    );
    let segwit =
        Address::parse(Chain::Bitcoin, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4").unwrap();
    assert_eq!(
        hex::encode(segwit.key_bytes()),
        "041500751e76e8199196d454941c45d1b3a323f1433bd6"
    );
    let tron = Address::parse(Chain::Tron, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap();
    assert_eq!(tron.key_bytes()[..2], [5, 20]);
    let p2sh = Address::parse(Chain::Bitcoin, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy").unwrap();
    assert_eq!(p2sh.key_bytes()[..2], [3, 20]);
}

#[test]
fn keys_round_trip_on_every_network() {
    let program = [7u8; 32];
    for network in Network::ALL {
        for a in [
            Address::segwit(network, 0, &program).unwrap(),
            Address::segwit(network, 1, &program).unwrap(),
            Address::p2pkh(network, [9; 20]),
            Address::p2sh(network, [9; 20]),
        ] {
            let back = Address::from_key_bytes(a.key_bytes()).unwrap();
            assert_eq!(back, a);
            assert_eq!(back.canonical(), a.canonical());
            assert_eq!(back.network(), a.network());
        }
    }
    // Same program, different networks: different addresses.
    assert_ne!(
        Address::segwit(Network::Mainnet, 0, &program).unwrap(),
        Address::segwit(Network::Testnet, 0, &program).unwrap()
    );
}

#[test]
fn bad_keys_are_rejected() {
    for (key, why) in [
        (&[][..], "shorter than 2 bytes"),
        (&[1, 20, 0][..], "length byte does not match"),
        (&[9, 1, 0][..], "unknown tag or wrong payload length"),
        (&[1, 1, 0][..], "unknown tag or wrong payload length"),
        // EVM has no network; regtest base58 does not exist.
        (
            &[[0x41, 20].as_slice(), &[0; 20]].concat()[..],
            "unknown tag or wrong payload length",
        ),
        (
            &[[0x82, 20].as_slice(), &[0; 20]].concat()[..],
            "unknown tag or wrong payload length",
        ),
        // Segwit version 0 with a 16-byte program.
        (
            &[[4, 17, 0].as_slice(), &[0; 16]].concat()[..],
            "unknown tag or wrong payload length",
        ),
    ] {
        assert_eq!(
            Address::from_key_bytes(key).unwrap_err(),
            ChainError::AddressKey {
                key: hex::encode(key),
                why
            }
        );
    }
}
