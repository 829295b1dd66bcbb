#![doc = include_str!("../README.md")]
//!
//! # Security
//!
//! Every input is hostile: files are read with size limits before parsing, folders are walked to a
//! bounded depth and file count, zip entries are inflated through a limit (see
//! `custodia_verifier::bundle`), and nothing in a proof or public-input file is trusted (the
//! verifier compares every public input with `round.json`). The only thing taken on faith is
//! `round.json`'s root, which the user must compare with the root the exchange published.

use std::path::PathBuf;

pub use custodia_verifier::bundle::disk::{discover, read_limited};
pub use custodia_verifier::bundle::{Added, Bundle, Finding, InputError, Report, Source, Step};

/// Exit status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything checked verified (exit 0).
    Verified,
    /// Something was rejected (exit 1).
    Rejected,
    /// Usage or input error (exit 2).
    InputError,
}

impl Outcome {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Verified => 0,
            Self::Rejected => 1,
            Self::InputError => 2,
        }
    }
}

/// Discovers and checks: the whole program minus argument parsing and printing.
pub fn run(paths: &[PathBuf]) -> Result<Report, InputError> {
    if paths.is_empty() {
        return Err(InputError("no paths given".into()));
    }
    discover(paths)?.check(|_| {})
}
