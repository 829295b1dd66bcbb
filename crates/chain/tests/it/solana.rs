//! Solana: 32-byte base58 keys (no checksum), and their negative twins.

use custodia_chain::{Address, AddressKind, Chain, Network, solana};

use crate::reject;

#[test]
fn known_accounts() {
    // The USDC mint and the system program (32 zero bytes: 32 `1`s).
    let usdc = Address::parse(
        Chain::Solana,
        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    )
    .unwrap();
    assert_eq!(usdc.kind(), AddressKind::SolanaAccount);
    assert_eq!(
        usdc.canonical(),
        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
    );
    let system = solana::parse("11111111111111111111111111111111").unwrap();
    assert_eq!(system, [0u8; 32]);
    assert_eq!(
        solana::to_base58(&system),
        "11111111111111111111111111111111"
    );
}

#[test]
fn malformed_solana_addresses() {
    for (input, message) in [
        (
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwy",
            "base58 decodes to 29 bytes; a Solana address is 32",
        ),
        (
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDtIv",
            "character 'I' at position 42 is not base58",
        ),
        (
            "1111111111111111111111111111111",
            "base58 decodes to 31 bytes; a Solana address is 32",
        ),
    ] {
        assert_eq!(
            reject(Chain::Solana, Network::Mainnet, input),
            format!("invalid solana address: {message}"),
            "{input}"
        );
    }
}
