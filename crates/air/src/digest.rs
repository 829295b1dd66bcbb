//! The constraint-system digest: what a proof file names and the verifier pins, in place of a
//! bare version number.
//!
//! [`constraint_digest`] evaluates the batch AIR symbolically for a few reference shapes and
//! hashes every constraint and every lookup interaction it emits (with the widths and
//! public-value counts), so any change to a constraint, a column, a bus or the public layout
//! changes the digest. The digest of this build is pinned as [`CONSTRAINT_DIGEST`]; a test
//! recomputes it, so the AIR cannot change without the pin (and the proof format) changing too.

use p3_air::BaseAir;
use p3_air::symbolic::{AirLayout, SymbolicExpr, SymbolicExpression};
use p3_lookup::InteractionSymbolicBuilder;
use p3_symmetric::CryptographicHasher;

use crate::CustodiaAir;
use crate::config::{Challenge, Val};

/// `(assets, log_batch)` shapes the digest evaluates: one asset, the 22 defaults, and a batch
/// large enough for the range tables' other shape.
pub const REFERENCE_SHAPES: [(usize, u32); 3] = [(1, 7), (22, 7), (3, 17)];

/// The digest of this build's constraint system (see [`constraint_digest`]).
pub const CONSTRAINT_DIGEST: [u8; 32] = [
    0xe8, 0xce, 0x6d, 0x38, 0xb1, 0x30, 0x53, 0xf2, 0x0e, 0xaf, 0x10, 0xce, 0x57, 0xb7, 0x7c, 0xf8,
    0xab, 0x4a, 0x92, 0x83, 0x39, 0x54, 0xaf, 0x64, 0x62, 0xf2, 0x40, 0xb1, 0xcf, 0xa4, 0x62, 0x2b,
];

/// Writes expressions into a canonical byte stream. Symbolic expressions are DAGs whose nodes
/// are shared (`Arc`); each node is written once, in first-visit order, and later uses refer to
/// its number, so the stream stays linear in the DAG's size (a tree walk would be exponential).
struct Canon {
    out: Vec<u8>,
    seen: std::collections::HashMap<usize, u64>,
}

impl Canon {
    fn node(&mut self, e: &SymbolicExpression<Val>) -> u64 {
        let id = |c: &mut Self, tag: &str, kids: &[u64]| {
            let n = c.seen.len() as u64 + c.out.len() as u64;
            c.out.extend_from_slice(tag.as_bytes());
            for k in kids {
                c.out.extend_from_slice(&k.to_le_bytes());
            }
            c.out.push(b';');
            n
        };
        match e {
            SymbolicExpr::Leaf(leaf) => {
                let text = format!("L{leaf:?}");
                id(self, &text, &[])
            }
            SymbolicExpr::Add { x, y, .. } => {
                let (a, b) = (self.shared(x), self.shared(y));
                id(self, "+", &[a, b])
            }
            SymbolicExpr::Sub { x, y, .. } => {
                let (a, b) = (self.shared(x), self.shared(y));
                id(self, "-", &[a, b])
            }
            SymbolicExpr::Mul { x, y, .. } => {
                let (a, b) = (self.shared(x), self.shared(y));
                id(self, "*", &[a, b])
            }
            SymbolicExpr::Neg { x, .. } => {
                let a = self.shared(x);
                id(self, "~", &[a])
            }
        }
    }

    fn shared(&mut self, e: &std::sync::Arc<SymbolicExpression<Val>>) -> u64 {
        let key = std::sync::Arc::as_ptr(e) as usize;
        if let Some(&n) = self.seen.get(&key) {
            return n;
        }
        let n = self.node(e);
        self.seen.insert(key, n);
        n
    }

    fn root(&mut self, tag: &str, e: &SymbolicExpression<Val>) {
        let n = self.node(e);
        self.out.extend_from_slice(tag.as_bytes());
        self.out.extend_from_slice(&n.to_le_bytes());
        self.out.push(b'\n');
    }
}

/// Recomputes the digest of the constraint system (a symbolic evaluation per shape; tests and
/// tools only, proofs carry [`CONSTRAINT_DIGEST`]).
pub fn constraint_digest() -> [u8; 32] {
    let mut c = Canon {
        out: b"custodia/batch-air/constraints\n".to_vec(),
        seen: std::collections::HashMap::new(),
    };
    let airs = REFERENCE_SHAPES.iter().flat_map(|&(assets, log_batch)| {
        CustodiaAir::all(assets, log_batch, crate::chain::log_rows(assets, 7))
    });
    for air in airs {
        let (assets, log_batch) = match &air {
            CustodiaAir::Batch(a) => (a.layout().num_assets, a.log_batch()),
            CustodiaAir::Chain(a) => (a.layout().num_assets, a.layout().log_rows),
        };
        let kind = match &air {
            CustodiaAir::Batch(_) => "batch",
            CustodiaAir::Chain(_) => "chain",
        };
        let layout = AirLayout::from_air::<Val>(&air);
        let b = InteractionSymbolicBuilder::<Val, Challenge>::from_air(&air, layout);
        let head = format!(
            "{kind} shape {assets} {log_batch} width {} public {}\n",
            BaseAir::<Val>::width(&air),
            BaseAir::<Val>::num_public_values(&air),
        );
        c.out.extend_from_slice(head.as_bytes());
        for e in b.base_constraints() {
            c.root("C", &e);
        }
        c.out
            .extend_from_slice(format!("ext {}\n", b.extension_constraints().len()).as_bytes());
        for i in b.global_interactions() {
            c.out
                .extend_from_slice(format!("G{} {}\n", i.bus_name, i.count_weight).as_bytes());
            for f in &i.fields {
                c.root("f", f);
            }
            c.root("n", &i.count);
        }
        for i in b.local_interactions() {
            c.out.extend_from_slice(b"Lookup\n");
            for (fields, count) in &i.tuples {
                for f in fields {
                    c.root("f", f);
                }
                let (expr, weight) = count.clone().into_parts();
                c.root(&format!("n{weight}"), &expr);
            }
        }
        // Nodes are numbered per shape.
        c.seen.clear();
    }
    p3_blake3::Blake3.hash_iter(c.out)
}
