#![doc = include_str!("../README.md")]
//!
//! # Security
//!
//! Every input is hostile: files are read with size limits before parsing, folders are walked to a
//! bounded depth and file count, zip entries are inflated through a limit (see
//! `custodia_verifier::bundle`), and nothing in a proof or public-input file is trusted (the
//! verifier compares every public input with `round.json`). The only thing taken on faith is
//! `round.json`'s root, which the user compares with the root the exchange published, or hands
//! over with `--root` so that the verifier compares it.

use std::io::Write;
use std::path::PathBuf;

use custodia_verifier::Digest;
pub use custodia_verifier::bundle::disk::{discover, read_limited};
pub use custodia_verifier::bundle::{
    Added, Bundle, Finding, InputError, JsonReport, Outcome, Report, Source, Step,
};

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Args {
    /// Print [`JsonReport`] instead of text.
    pub json: bool,
    /// The roots the exchange published (`--root`, once per round).
    pub roots: Vec<Digest>,
    /// Files, folders and zips to check.
    pub paths: Vec<PathBuf>,
}

/// What to do instead of checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Early {
    /// Print the usage (exit 0).
    Help,
    /// Print the version (exit 0).
    Version,
    /// A usage error (exit 2).
    Usage(String),
}

/// Parses the arguments (without the program name): `--json`, `--root HEX` (or `--root=HEX`),
/// `--help`, `--version`; `--` ends the options, so a file may be named `--json`.
pub fn parse_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Args, Early> {
    let mut out = Args::default();
    let mut args = args.into_iter();
    let mut options = true;
    let root = |hex: &str| {
        Digest::from_hex(hex.trim()).map_err(|e| Early::Usage(format!("--root `{hex}`: {e}")))
    };
    while let Some(a) = args.next() {
        if !options {
            out.paths.push(PathBuf::from(a));
            continue;
        }
        match a.to_str() {
            Some("--") => options = false,
            Some("--json") => out.json = true,
            Some("-h" | "--help") => return Err(Early::Help),
            Some("-V" | "--version") => return Err(Early::Version),
            Some("--root") => {
                let hex = args.next().ok_or_else(|| {
                    Early::Usage("--root needs the root the exchange published".into())
                })?;
                out.roots.push(root(&hex.to_string_lossy())?);
            }
            Some(s) if s.starts_with("--root=") => out.roots.push(root(&s["--root=".len()..])?),
            Some(s) if s.starts_with('-') && s.len() > 1 => {
                return Err(Early::Usage(format!("unknown option {s}")));
            }
            _ => out.paths.push(PathBuf::from(a)),
        }
    }
    if out.paths.is_empty() {
        return Err(Early::Usage("no files given".into()));
    }
    Ok(out)
}

/// Discovers and checks: the whole program minus argument parsing and printing.
///
/// One round: every path's files together (a round folder, its zip, loose files). Several
/// rounds: when two paths each hold a `round.json` of different rounds, each path is one round
/// (a folder or zip per month), and the rounds' chain is checked too
/// ([`custodia_verifier::bundle::check_rounds`]). `roots`: the roots the exchange published.
pub fn run(paths: &[PathBuf], roots: &[Digest]) -> Result<Report, InputError> {
    if paths.is_empty() {
        return Err(InputError("no paths given".into()));
    }
    if paths.len() > 1 {
        let mut bundles = Vec::with_capacity(paths.len());
        for p in paths {
            bundles.push(discover(std::slice::from_ref(p))?);
        }
        let distinct = {
            let mut rounds: Vec<&[u8]> = bundles.iter().filter_map(Bundle::round_bytes).collect();
            rounds.sort_unstable();
            rounds.dedup();
            rounds.len()
        };
        if distinct > 1 {
            return custodia_verifier::bundle::check_rounds(&bundles, roots, |_, _| {});
        }
    }
    let mut bundle = discover(paths)?;
    match roots {
        [] => {}
        [root] => bundle.expect_root(*root),
        _ => {
            return Err(InputError(
                "several --root values for one round: give one per round".into(),
            ));
        }
    }
    bundle.check(|_| {})
}

/// The text report: the plain-words line first, the details below.
pub fn text_report(report: &Report, root_given: bool) -> String {
    let mut s = format!(
        "{}\n\nRound {}, root {}\n",
        report.summary, report.round, report.root
    );
    if !root_given {
        s.push_str(
            "(Compare this root with the one the exchange published, or pass it with --root: \
             every check below is relative to it.)\n",
        );
    }
    for f in &report.findings {
        s.push_str(&format!("\n{}\n", f.text));
    }
    if !report.rounds.is_empty() {
        s.push_str("\nRounds, oldest first:\n");
        for r in &report.rounds {
            s.push_str(&format!(
                "  {:<10} {}  {}  {}\n",
                r.round,
                r.snapshot_time,
                if r.verified { "verified" } else { "REJECTED" },
                r.previous.as_ref().map_or_else(
                    || "(names no earlier round)".to_owned(),
                    |p| format!("follows {p}")
                )
            ));
        }
    }
    if !report.reserves.is_empty() {
        s.push_str("\nReserves the exchange proves it holds, per asset (whole units):\n");
        for r in &report.reserves {
            s.push_str(&format!(
                "  {:<8} {:>9}  held {:>24}  owed {:>24}{}\n",
                r.asset,
                r.ratio_percent.as_deref().unwrap_or("-"),
                custodia_verifier::bundle::group_digits(&r.held),
                custodia_verifier::bundle::group_digits(r.owed.trim_start_matches('-')),
                if r.wallets_unchecked > 0 {
                    format!(
                        "  (+{} in wallets not re-checked here)",
                        custodia_verifier::bundle::group_digits(&r.held_unchecked)
                    )
                } else {
                    String::new()
                }
            ));
        }
    }
    if !report.totals.is_empty() {
        s.push_str("\nPer-asset totals the proofs establish (whole units):\n");
        for t in &report.totals {
            s.push_str(&format!(
                "  {:<8} equity {:>28}  debt {:>24}\n",
                t.asset,
                custodia_verifier::bundle::group_digits(&t.equity),
                custodia_verifier::bundle::group_digits(&t.debt)
            ));
        }
    }
    for n in &report.notes {
        s.push_str(&format!("\nNote: {n}\n"));
    }
    s.push_str(match report.outcome() {
        Outcome::Verified => "\nResult: VERIFIED",
        _ => "\nResult: REJECTED",
    });
    s
}

/// Writes `text` and a newline to standard output. A reader that went away (`| head`) ends the
/// output quietly: the exit code still says what was found.
pub fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// How this binary was built, for `--version`: the CPU features it requires. A binary for
/// customers is built portable (`dist.sh`: x86-64-v2, no AVX); one built with
/// `target-cpu=native` on an AVX-512 machine says so here, and crashes on older CPUs.
pub fn build_note() -> String {
    let features: &[(&str, bool)] = &[
        ("sse4.2", cfg!(target_feature = "sse4.2")),
        ("avx", cfg!(target_feature = "avx")),
        ("avx2", cfg!(target_feature = "avx2")),
        ("avx512f", cfg!(target_feature = "avx512f")),
    ];
    let used: Vec<&str> = features
        .iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| *name)
        .collect();
    format!(
        "{}; requires CPU features: {}",
        std::env::consts::ARCH,
        if used.is_empty() {
            "baseline only".to_owned()
        } else {
            used.join(", ")
        }
    )
}
