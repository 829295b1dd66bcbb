//! Integration tests of `custodia-sumtree`, one binary.

mod tree;
