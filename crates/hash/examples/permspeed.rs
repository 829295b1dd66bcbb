//! Rough speed of the native permutation, scalar and packed.
fn main() {
    use custodia_hash::{F, WIDTH, permutation, permute};
    use p3_field::{Field, PrimeCharacteristicRing};
    use p3_symmetric::Permutation;
    let mut s = [F::ONE; WIDTH];
    let n = 1_000_000;
    let t = std::time::Instant::now();
    for _ in 0..n {
        permute(&mut s);
    }
    println!("scalar {:?} per permutation ({:?})", t.elapsed() / n, s[0]);
    type P = <F as Field>::Packing;
    let w = <P as p3_field::PackedValue>::WIDTH;
    let mut s = [P::ONE; WIDTH];
    let t = std::time::Instant::now();
    for _ in 0..n / w as u32 {
        permutation().permute_mut(&mut s);
    }
    println!("packed x{w}: {:?} per permutation", t.elapsed() / n);
}
