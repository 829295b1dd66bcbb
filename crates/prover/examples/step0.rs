//! Step-0 measurements (see PERF_NOTES.md): our Poseidon2 AIR alone with zero knowledge, the
//! production commitment hash (`default`: Keccak at commit be17d22, BLAKE3 since)
//! vs Poseidon2 Merkle commitments; and the cost of LogUp range lookups per row.
//!
//! `cargo run --release -p custodia-prover --example step0 -- perm <log_rows> <default|poseidon2>`
//! `cargo run --release -p custodia-prover --example step0 -- lookups <log_rows> <lookups_per_row>`

use std::time::Instant;

use custodia_air::ProofOptions;
use custodia_air::air::{PermAir, RANGE16_BUS};
use custodia_air::config::{Challenge, Dft, MaskRng, Val, fri_parameters, make_config};
use custodia_hash::{GenericPoseidon2LinearLayersGoldilocks, air_round_constants};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_batch_stark::{ProverData, StarkInstance};
use p3_challenger::DuplexChallenger;
use p3_commit::ExtensionMmcs;
use p3_field::PrimeCharacteristicRing;
use p3_fri::HidingFriPcs;
use p3_lookup::{InteractionBuilder, LookupBus};
use p3_matrix::dense::RowMajorMatrix;
use p3_merkle_tree::MerkleTreeHidingMmcs;
use p3_symmetric::{PaddingFreeSponge, TruncatedPermutation};
use p3_uni_stark::StarkConfig;
use rand::SeedableRng;
use rand::rngs::StdRng;

type Perm = custodia_hash::Perm;
type P2Mmcs = MerkleTreeHidingMmcs<
    <Val as p3_field::Field>::Packing,
    <Val as p3_field::Field>::Packing,
    PaddingFreeSponge<Perm, 12, 8, 4>,
    TruncatedPermutation<Perm, 2, 4, 12>,
    MaskRng,
    2,
    4,
    4,
>;
type P2ChallengeMmcs = ExtensionMmcs<Val, Challenge, P2Mmcs>;
type P2Pcs = HidingFriPcs<Val, Dft, P2Mmcs, P2ChallengeMmcs, MaskRng>;
type P2Config = StarkConfig<P2Pcs, Challenge, DuplexChallenger<Val, Perm, 12, 8>>;

fn p2_config(o: &ProofOptions) -> P2Config {
    let perm = custodia_hash::permutation().clone();
    let mmcs = P2Mmcs::new(
        PaddingFreeSponge::new(perm.clone()),
        TruncatedPermutation::new(perm.clone()),
        0,
        StdRng::seed_from_u64(1),
    );
    let fri = fri_parameters(o, P2ChallengeMmcs::new(mmcs.clone()));
    let pcs = P2Pcs::new(Dft::default(), mmcs, fri, 4, StdRng::seed_from_u64(2));
    P2Config::new(pcs, DuplexChallenger::new(perm))
}

fn perm_trace(log_rows: usize) -> RowMajorMatrix<Val> {
    let inputs = (0..1u64 << log_rows)
        .map(|i| core::array::from_fn(|j| Val::from_u64(i * 12 + j as u64)))
        .collect();
    p3_poseidon2_air::generate_trace_rows::<
        Val,
        GenericPoseidon2LinearLayersGoldilocks,
        12,
        7,
        1,
        4,
        22,
    >(inputs, &air_round_constants(), 0)
}

/// `n` 16-bit columns, each looked up in the range table.
#[derive(Clone)]
struct LimbsAir(usize);
impl BaseAir<Val> for LimbsAir {
    fn width(&self) -> usize {
        self.0
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}
impl<AB: InteractionBuilder<F = Val>> Air<AB> for LimbsAir {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let row: Vec<AB::Var> = main.current_slice().to_vec();
        for x in row {
            LookupBus::new(RANGE16_BUS).lookup_key(b, [x], 1);
        }
    }
}
/// The 2^16-row table `t` with multiplicity `m`.
#[derive(Clone)]
struct TableAir;
impl BaseAir<Val> for TableAir {
    fn width(&self) -> usize {
        2
    }
}
impl<AB: InteractionBuilder<F = Val>> Air<AB> for TableAir {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let (t, m, t_next) = (
            main.current_slice()[0],
            main.current_slice()[1],
            main.next_slice()[0],
        );
        b.when_first_row().assert_zero(t);
        b.when_transition().assert_eq(t_next, t + AB::F::ONE);
        LookupBus::new(RANGE16_BUS).table_entry(b, [t], m);
    }
}
#[derive(Clone)]
enum Mixed {
    Limbs(LimbsAir),
    Range(TableAir),
}
impl BaseAir<Val> for Mixed {
    fn width(&self) -> usize {
        match self {
            Self::Limbs(a) => a.width(),
            Self::Range(a) => a.width(),
        }
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        match self {
            Self::Limbs(a) => a.main_next_row_columns(),
            Self::Range(a) => a.main_next_row_columns(),
        }
    }
}
impl<AB: InteractionBuilder<F = Val>> Air<AB> for Mixed {
    fn eval(&self, b: &mut AB) {
        match self {
            Self::Limbs(a) => a.eval(b),
            Self::Range(a) => a.eval(b),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let o = ProofOptions::STANDARD;
    let log_rows: usize = args[2].parse().unwrap();
    match args[1].as_str() {
        "perm" => {
            let trace = perm_trace(log_rows);
            let air = PermAir::new(air_round_constants());
            let t = Instant::now();
            let size = if args[3] == "default" {
                let c = make_config(&o, [1; 32]);
                let p = p3_uni_stark::prove(&c, &air, trace, &[]).unwrap();
                postcard::to_allocvec(&p).unwrap().len()
            } else {
                let c = p2_config(&o);
                let p = p3_uni_stark::prove(&c, &air, trace, &[]).unwrap();
                postcard::to_allocvec(&p).unwrap().len()
            };
            let s = t.elapsed().as_secs_f64();
            println!(
                "perm log_rows={log_rows} mmcs={} prove={s:.2}s per_perm={:.2}us proof={size}B",
                args[3],
                s * 1e6 / (1u64 << log_rows) as f64
            );
        }
        "lookups" => {
            let n: usize = args[3].parse().unwrap();
            let rows = 1usize << log_rows;
            let mut counts = vec![0u64; 1 << 16];
            let values: Vec<Val> = (0..rows * n)
                .map(|k| {
                    let v = (k as u64 * 2_654_435_761) & 0xffff;
                    counts[v as usize] += 1;
                    Val::from_u64(v)
                })
                .collect();
            let limbs = RowMajorMatrix::new(values, n);
            let table = RowMajorMatrix::new(
                counts
                    .iter()
                    .enumerate()
                    .flat_map(|(t, &c)| [Val::from_usize(t), Val::from_u64(c)])
                    .collect(),
                2,
            );
            let airs = [Mixed::Limbs(LimbsAir(n)), Mixed::Range(TableAir)];
            let c = make_config(&o, [1; 32]);
            let t = Instant::now();
            let inst = vec![
                StarkInstance {
                    air: &airs[0],
                    trace: &limbs,
                    public_values: vec![],
                },
                StarkInstance {
                    air: &airs[1],
                    trace: &table,
                    public_values: vec![],
                },
            ];
            let pd = ProverData::from_instances(&c, &inst).unwrap();
            let p = p3_batch_stark::prove_batch(&c, &inst, &pd).unwrap();
            let s = t.elapsed().as_secs_f64();
            println!(
                "lookups log_rows={log_rows} per_row={n} aux_cols={} prove={s:.2}s per_row={:.2}us proof={}B",
                pd.common.lookups[0].len(),
                s * 1e6 / rows as f64,
                postcard::to_allocvec(&p).unwrap().len()
            );
        }
        _ => panic!("perm|lookups"),
    }
}
