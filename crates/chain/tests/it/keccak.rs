//! Keccak-256 known answers (the original Keccak padding, not SHA3-256).

use custodia_chain::{keccak256, keccak256_concat};

#[test]
fn known_answers() {
    for (input, digest) in [
        (
            &b""[..],
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
        ),
        (
            b"abc",
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
        ),
    ] {
        assert_eq!(hex::encode(keccak256(input)), digest);
    }
    // Negative twin: SHA3-256("") differs in the padding byte and so in every output bit.
    assert_ne!(
        hex::encode(keccak256(b"")),
        "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
    );
}

#[test]
fn concat_is_the_hash_of_the_concatenation() {
    let parts: [&[u8]; 3] = [b"\x19Ethereum Signed Message:\n", b"5", b"hello"];
    assert_eq!(
        keccak256_concat(&parts),
        keccak256(b"\x19Ethereum Signed Message:\n5hello")
    );
    assert_ne!(
        keccak256_concat(&parts),
        keccak256(b"\x19Ethereum Signed Message:\n5hellO")
    );
}
