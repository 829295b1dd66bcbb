//! The Grain LFSR that derives Poseidon and Poseidon2 round constants.
//!
//! This is the derivation the Poseidon authors specify for their reference instances and the one
//! `p3-goldilocks` 0.8 documents for its width 8, 12 and 16 Goldilocks tables. It is kept here
//! so the width-20 table ([`crate::rc20`]) has the same provenance, and a test shows it
//! reproduces every published table bit for bit.
//!
//! - An 80-bit register starts as: field type (2 bits, 1 = prime field), S-box flag (4 bits, 0 =
//!   `x^α`), field size n (12 bits), width t (12 bits), full rounds R_F (10 bits), partial rounds
//!   R_P (10 bits), then 30 ones, each field most significant bit first.
//! - Each step emits `b0 ⊕ b13 ⊕ b23 ⊕ b38 ⊕ b51 ⊕ b62` (oldest bit first) and shifts it in; the
//!   first 160 outputs are discarded.
//! - Output bits are self-shrunk: of each pair, the second is kept when the first is 1.
//! - A field element is 64 kept bits, most significant first, redrawn while it is not below p.
//! - Poseidon2 draws the beginning full rounds' `R_F/2 × t` constants, then one per partial
//!   round, then the ending full rounds' `R_F/2 × t`, in that order.

use p3_field::PrimeField64;

use crate::{F, HALF_FULL_ROUNDS, PARTIAL_ROUNDS};

/// Bits of the register.
const STATE_BITS: usize = 80;

/// The register; `head` is its oldest bit.
struct Grain {
    bits: [bool; STATE_BITS],
    head: usize,
}

impl Grain {
    /// The register for a prime-field, `x^α` instance of `n`-bit elements.
    fn new(n: u16, width: u16, full_rounds: u16, partial_rounds: u16) -> Self {
        let mut bits = [true; STATE_BITS];
        let mut at = 0;
        for (value, len) in [
            (1u16, 2usize),
            (0, 4),
            (n, 12),
            (width, 12),
            (full_rounds, 10),
            (partial_rounds, 10),
        ] {
            for i in (0..len).rev() {
                bits[at] = (value >> i) & 1 == 1;
                at += 1;
            }
        }
        let mut grain = Self { bits, head: 0 };
        for _ in 0..2 * STATE_BITS {
            grain.step();
        }
        grain
    }

    fn step(&mut self) -> bool {
        let bit = |i: usize| self.bits[(self.head + i) % STATE_BITS];
        let new = bit(0) ^ bit(13) ^ bit(23) ^ bit(38) ^ bit(51) ^ bit(62);
        self.bits[self.head] = new;
        self.head = (self.head + 1) % STATE_BITS;
        new
    }

    fn shrunk_bit(&mut self) -> bool {
        loop {
            let keep = self.step();
            let bit = self.step();
            if keep {
                return bit;
            }
        }
    }

    fn element(&mut self) -> F {
        loop {
            let v = (0..64).fold(0u64, |acc, _| (acc << 1) | u64::from(self.shrunk_bit()));
            if v < F::ORDER_U64 {
                return F::new(v);
            }
        }
    }
}

/// Round constants of one Poseidon2 instance: beginning full rounds, partial rounds, ending full
/// rounds.
pub type Poseidon2Constants<const W: usize> = (
    [[F; W]; HALF_FULL_ROUNDS],
    [F; PARTIAL_ROUNDS],
    [[F; W]; HALF_FULL_ROUNDS],
);

/// The Grain-derived constants of the width-`W` Goldilocks Poseidon2 instance with `R_F = 8`
/// and `R_P = 22`.
pub fn goldilocks_poseidon2_constants<const W: usize>() -> Poseidon2Constants<W> {
    let mut g = Grain::new(
        64,
        W as u16,
        2 * HALF_FULL_ROUNDS as u16,
        PARTIAL_ROUNDS as u16,
    );
    let initial = core::array::from_fn(|_| core::array::from_fn(|_| g.element()));
    let internal = core::array::from_fn(|_| g.element());
    let terminal = core::array::from_fn(|_| core::array::from_fn(|_| g.element()));
    (initial, internal, terminal)
}
