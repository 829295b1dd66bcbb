//! Integration tests of `custodia-round`: build a small round on the filesystem blob store, prove
//! its batches from the manifest and one witness each, aggregate; and every refusal by name.

mod blobs;
mod build;
mod chain;
mod common;
mod delivery;
mod history;
mod jobs;
mod publish;
