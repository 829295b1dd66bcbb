//! `custodia token`: scam-token assessment, offline, from input files.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use custodia_token::{Assessment, TokenInput, assess};

use crate::Outcome;
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Assess tokens from JSON files (one token object, or an array of them; see
    /// docs/token.md): bytecode analysis, buy/sell simulation when creation code is given,
    /// holder and liquidity figures. Exit code 0: every token below --fail-score; 1: at least
    /// one at or above it; 2: unreadable input.
    Assess(AssessArgs),
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// Input files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Score from which a token counts as flagged (exit code 1).
    #[arg(long, default_value_t = 67)]
    pub fail_score: u8,
}

pub fn run(cmd: TokenCommand, out: &Output) -> Result<Outcome> {
    match cmd {
        TokenCommand::Assess(a) => assess_files(a, out),
    }
}

fn read(path: &PathBuf) -> Result<Vec<TokenInput>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    let list = match v {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    list.into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value(v).with_context(|| format!("{}: token {i}", path.display()))
        })
        .collect()
}

fn human(a: &Assessment) -> String {
    let mut s = format!(
        "{} {}: {} / 100 ({})",
        a.chain,
        a.address,
        a.score,
        a.level.as_str()
    );
    for r in &a.reasons {
        s.push_str(&format!("\n  +{:<3} {}", r.points, r.text));
    }
    s
}

fn assess_files(args: AssessArgs, out: &Output) -> Result<Outcome> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut results = Vec::new();
    for f in &args.files {
        for (i, input) in read(f)?.into_iter().enumerate() {
            let a = assess(&input, now).with_context(|| format!("{}: token {i}", f.display()))?;
            results.push(a);
        }
    }
    let flagged = results.iter().any(|a| a.score >= args.fail_score);
    out.emit(&results, || {
        results.iter().map(human).collect::<Vec<_>>().join("\n")
    });
    Ok(if flagged {
        Outcome::Rejected
    } else {
        Outcome::Ok
    })
}
