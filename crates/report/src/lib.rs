#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod build;
mod error;
mod faq;
mod html;
mod markdown;
mod model;
mod month;
mod num;
mod por;
mod svg;

pub use build::{Pin, SectionSpec, build};
pub use error::ReportError;
pub use html::render_html;
pub use markdown::render_markdown;
pub use model::{
    ChainRef, CheckpointRef, FaqEntry, REPORT_FORMAT, Report, Section, SectionFigure, Trace,
};
pub use month::Month;
pub use num::format_units;
pub use por::{AssetLine, AssetsSummary, FileRef, PorInput, PorSection, ProofStatus, RoundChange};
