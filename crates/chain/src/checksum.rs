//! Small checksums of address formats: CRC-16/XMODEM (Stellar strkeys, TON user-friendly
//! addresses) and BLAKE2b of a chosen length (SS58, Filecoin, Cardano key hashes).

use blake2::digest::{Update, VariableOutput};

/// CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection.
pub fn crc16_xmodem(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// BLAKE2b with an `N`-byte output (1..=64) over the concatenation of `parts`.
pub fn blake2b<const N: usize>(parts: &[&[u8]]) -> [u8; N] {
    let mut h = blake2::Blake2bVar::new(N).expect("1..=64 bytes");
    for p in parts {
        h.update(p);
    }
    let mut out = [0u8; N];
    h.finalize_variable(&mut out)
        .expect("output length fixed above");
    out
}
