//! `custodia report`: the monthly security report from the store and the round's public folder,
//! and `custodia report verify`, which recomputes a report and checks it is byte-identical.
//! Glue only: folding and rendering are in `custodia-report`; the binary decides which
//! service's tally makes which section (the seed report's order).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use custodia_events::{Checkpoint, CheckpointPublicKey, Digest, EventReader as _, Timestamp};
use custodia_report::{Month, Pin, PorInput, ProofStatus, Report, SectionSpec};
use serde::Serialize;

use crate::Outcome;
use crate::output::Output;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: Option<ReportCommand>,
    #[command(flatten)]
    pub make: MakeArgs,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Recompute a report from the store (and the round's public folder) at the chain head it
    /// cites, and check the JSON is byte-identical. Exit 0: identical; 1: differs; 2: usage,
    /// unreadable input, or events no longer in the store.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct MakeArgs {
    /// The month, `YYYY-MM` (UTC).
    #[arg(long)]
    pub month: Option<String>,
    /// TOML configuration file (store URL).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// The round's public folder (written by `por publish`).
    #[arg(long, value_name = "DIR")]
    pub round: Option<PathBuf>,
    /// Last month's public folder, for the round-over-round change.
    #[arg(long, value_name = "DIR")]
    pub previous_round: Option<PathBuf>,
    /// The exchange's name on the report (default: the name in the round's proof of assets).
    #[arg(long)]
    pub exchange: Option<String>,
    /// Folder to write report.json, report.md and report.html to.
    #[arg(long, default_value = "custodia-out/report")]
    pub out: PathBuf,
    /// Also print the HTML to report.pdf with headless Chromium (`chromium` on PATH, or
    /// `CUSTODIA_CHROMIUM`).
    #[arg(long)]
    pub pdf: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The report's JSON form.
    #[arg(long, value_name = "FILE")]
    pub report: PathBuf,
    /// TOML configuration file (store URL).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// The round's public folder the report cites.
    #[arg(long, value_name = "DIR")]
    pub round: Option<PathBuf>,
    /// The previous round's public folder, when the report shows the change.
    #[arg(long, value_name = "DIR")]
    pub previous_round: Option<PathBuf>,
    /// The exchange's checkpoint public key (64 hex digits, from `custodia audit keygen`): the
    /// checkpoint the report cites must be signed by it. Without it, the public half of the
    /// configured `audit.checkpoint_key_file` is used, else only the key the report names.
    /// (Kept as checked text: the parsed key is large for a command-line argument.)
    #[arg(long = "checkpoint-key", value_name = "PUBKEY_HEX", value_parser = check_public_key)]
    pub checkpoint_key: Option<String>,
}

fn check_public_key(s: &str) -> Result<String, String> {
    CheckpointPublicKey::parse_hex(s.trim())
        .map(|_| s.trim().to_owned())
        .map_err(|e| e.to_string())
}

/// The report's sections in the seed report's order. Services that share a tally split its
/// figures by key prefix (each section folds its own copy).
pub fn sections() -> Vec<SectionSpec> {
    vec![
        SectionSpec {
            id: "fund",
            title: "Safety fund and risk provision fund",
            about: "Pool balances through the month, liquidation deficits the funds covered, and auto-deleveraging episodes.",
            keys: &[],
            tally: Box::new(custodia_fund::FundTally::default()),
        },
        SectionSpec {
            id: "login",
            title: "Anti-phishing and account-takeover defence",
            about: "Logins assessed for risk, stepped up to a second factor or blocked, and withdrawals held or blocked before they left.",
            keys: &[],
            tally: Box::new(custodia_login::LoginTally::default()),
        },
        SectionSpec {
            id: "api_keys",
            title: "API-key security",
            about: "Keys created (bound to IP addresses, allowed to withdraw), purged for idleness, and signed requests refused.",
            keys: &[],
            tally: Box::new(custodia_keys::KeyTally::new()),
        },
        SectionSpec {
            id: "rookie",
            title: "Rookie protection",
            about: "Users in a derivatives cooling-off period and the orders it refused; new-account caps applied.",
            keys: &["protect.cooling_off", "protect.orders_"],
            tally: Box::new(custodia_protect::ProtectTally::default()),
        },
        SectionSpec {
            id: "wrong_deposits",
            title: "Wrong-deposit assistance",
            about: "Deposits sent to the wrong network, token, memo or address: cases opened, recovered and refused, and the value returned.",
            keys: &["protect.cases_", "protect.recovered"],
            tally: Box::new(custodia_protect::ProtectTally::default()),
        },
        SectionSpec {
            id: "tokens",
            title: "Fraudulent-token detection",
            about: "Tokens assessed before listing or use, and those flagged, by reason (honeypots that cannot be sold, hidden owners, taxes…).",
            keys: &[],
            tally: Box::new(custodia_token::TokenTally::default()),
        },
        SectionSpec {
            id: "blacklist",
            title: "Blacklisted addresses and domains",
            about: "Addresses and domains added to the blacklists, and how often they were screened.",
            keys: &[
                "guard.phishing_addresses",
                "guard.black_addresses",
                "guard.risk_domains_recorded",
                "guard.addresses_screened",
                "guard.domains_checked",
            ],
            tally: Box::new(custodia_guard::GuardStats::new()),
        },
        SectionSpec {
            id: "domain_alerts",
            title: "Risk-domain alerts",
            about: "Phishing-domain checks that raised an alert, by level.",
            keys: &[
                "guard.risk_domain_alerts",
                "guard.very_high_risk_domain_alerts",
            ],
            tally: Box::new(custodia_guard::GuardStats::new()),
        },
        SectionSpec {
            id: "poisoning",
            title: "Address-poisoning look-alikes",
            about: "Look-alike addresses caught before a user copied them, and transaction warnings shown.",
            keys: &["guard.similar_addresses", "guard.tx_warnings"],
            tally: Box::new(custodia_guard::GuardStats::new()),
        },
    ]
}

pub fn run(args: ReportArgs, out: &Output) -> Result<Outcome> {
    match args.command {
        Some(ReportCommand::Verify(a)) => verify(a, out),
        None => make(args.make, out),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Runs the verifier over the public folder: the report states its verdict, never assumes it.
fn proof_status(dir: &Path, out: &Output) -> Result<ProofStatus> {
    let quiet = Output::new(out.json(), true);
    let r = crate::verify::round_report(dir, None, &quiet)
        .with_context(|| format!("verifying the round in {}", dir.display()))?;
    Ok(match r.outcome() {
        custodia_verifier::bundle::Outcome::Verified => ProofStatus::Verified {
            detail: r.summary.clone(),
        },
        _ => ProofStatus::Failed {
            reason: r
                .findings
                .iter()
                .map(|f| f.text.clone())
                .collect::<Vec<_>>()
                .join(" "),
        },
    })
}

/// The exchange's name from the round's proof of assets, when published.
fn exchange_from_round(dir: Option<&Path>) -> Option<String> {
    let bytes = std::fs::read(dir?.join("reserves.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("exchange")?.as_str().map(str::to_owned)
}

pub(crate) fn por_input(
    round: Option<&PathBuf>,
    previous: Option<&PathBuf>,
    out: &Output,
) -> Result<Option<custodia_report::PorSection>> {
    let Some(dir) = round else {
        if previous.is_some() {
            bail!("--previous-round needs --round (this month's public folder)");
        }
        return Ok(None);
    };
    let proof = proof_status(dir, out)?;
    let input = PorInput {
        dir: dir.clone(),
        previous: previous.cloned(),
        proof,
    };
    Ok(Some(input.load()?))
}

pub(crate) async fn build_report(
    cfg_path: Option<&PathBuf>,
    exchange: &str,
    month: Month,
    pin: Option<Pin>,
    por: Option<custodia_report::PorSection>,
) -> Result<Report> {
    let cfg = crate::service::load(cfg_path)?;
    let store = crate::service::open_existing(&cfg, custodia_store::Access::ReadOnly).await?;
    let r = custodia_report::build(&store, exchange, month, pin, por, sections()).await;
    store.close().await;
    Ok(r?)
}

#[derive(Serialize)]
struct Written {
    month: String,
    through_seq: u64,
    head_hash: String,
    files: Vec<String>,
    sections_recorded: usize,
    sections_empty: Vec<String>,
}

fn make(a: MakeArgs, out: &Output) -> Result<Outcome> {
    let Some(month) = a.month.as_deref() else {
        bail!("give the month with --month YYYY-MM (e.g. --month 2025-01)");
    };
    let month = Month::parse(month)?;
    let por = por_input(a.round.as_ref(), a.previous_round.as_ref(), out)?;
    let exchange = a
        .exchange
        .clone()
        .or_else(|| exchange_from_round(a.round.as_deref()))
        .unwrap_or_else(|| "Exchange".to_owned());
    let report =
        runtime()?.block_on(build_report(a.config.as_ref(), &exchange, month, None, por))?;

    let mut files = write_report(&report, &a.out)?;
    if a.pdf {
        let pdf = a.out.join("report.pdf");
        print_pdf(&a.out.join("report.html"), &pdf)?;
        files.push(pdf.display().to_string());
    }
    let w = Written {
        month: report.month.clone(),
        through_seq: report.chain.through_seq,
        head_hash: report.chain.head_hash.clone(),
        files,
        sections_recorded: report.sections.iter().filter(|s| s.recorded).count(),
        sections_empty: report
            .sections
            .iter()
            .filter(|s| !s.recorded)
            .map(|s| s.id.clone())
            .collect(),
    };
    out.emit(&w, || {
        let mut s = format!(
            "Security report for {} written (event log read up to seq {}, head {}):",
            month.long_name(),
            w.through_seq,
            w.head_hash
        );
        for f in &w.files {
            s.push_str(&format!("\n  {f}"));
        }
        if !w.sections_empty.is_empty() {
            s.push_str(&format!(
                "\nNothing recorded this month by: {} (those sections say so).",
                w.sections_empty.join(", ")
            ));
        }
        s.push_str(&format!(
            "\nCheck it later with: custodia report verify --report {}",
            a.out.join("report.json").display()
        ));
        for (flag, dir) in [
            ("--round", &a.round),
            ("--previous-round", &a.previous_round),
        ] {
            if let Some(d) = dir {
                s.push_str(&format!(" {flag} {}", d.display()));
            }
        }
        s
    });
    Ok(Outcome::Ok)
}

/// Writes report.json, report.md and report.html to `dir`; returns their paths.
pub(crate) fn write_report(report: &Report, dir: &Path) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut files = Vec::new();
    for (name, text) in [
        ("report.json", report.to_json()),
        ("report.md", custodia_report::render_markdown(report)),
        ("report.html", custodia_report::render_html(report)),
    ] {
        let p = dir.join(name);
        write_atomic(&p, text.as_bytes())?;
        files.push(p.display().to_string());
    }
    Ok(files)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// Prints the HTML to PDF with headless Chromium (the browser's own print engine, so the PDF
/// looks like the page).
fn print_pdf(html: &Path, pdf: &Path) -> Result<()> {
    let chromium = std::env::var_os("CUSTODIA_CHROMIUM").unwrap_or_else(|| "chromium".into());
    let html = std::path::absolute(html)?;
    let pdf_abs = std::path::absolute(pdf)?;
    let status = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--print-to-pdf={}", pdf_abs.display()))
        .arg(format!("file://{}", html.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .with_context(|| {
            format!(
                "cannot start {} for --pdf (install Chromium or set CUSTODIA_CHROMIUM)",
                chromium.to_string_lossy()
            )
        })?;
    let ok = std::fs::metadata(pdf).is_ok_and(|m| m.len() > 4);
    if !status.success() || !ok {
        bail!(
            "{} could not print {} to PDF",
            chromium.to_string_lossy(),
            html.display()
        );
    }
    Ok(())
}

/// Largest report JSON `verify` reads (a month of figures is a few hundred kilobytes).
const MAX_REPORT: u64 = 64 << 20;

#[derive(Serialize)]
pub(crate) struct Verified {
    pub status: &'static str,
    pub month: String,
    pub through_seq: u64,
    /// The cited checkpoint: whose key checked its signature, or why it was refused.
    pub checkpoint: CheckpointCheck,
    pub first_difference: Option<Difference>,
}

#[derive(Serialize)]
pub(crate) struct Difference {
    line: usize,
    report: String,
    recomputed: String,
}

/// What `report verify` found about the checkpoint the report cites.
#[derive(Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub(crate) enum CheckpointCheck {
    /// Signed by `key` (`pinned`: the key came from the operator, not from the report) and the
    /// event at its seq has the hash it signs.
    Verified { seq: u64, key: String, pinned: bool },
    /// The report cites none.
    None,
    /// Refused, with the reason.
    Rejected { reason: String },
}

impl Verified {
    pub(crate) fn ok(&self) -> bool {
        self.first_difference.is_none()
            && !matches!(self.checkpoint, CheckpointCheck::Rejected { .. })
    }
}

fn verify(a: VerifyArgs, out: &Output) -> Result<Outcome> {
    let r = verify_report(&a, out)?;
    out.emit(&r, || {
        let mut s = match &r.checkpoint {
            CheckpointCheck::Verified { seq, key, pinned } => format!(
                "Checkpoint at seq {seq}: signature valid ({} {key}); the log's event {seq} has the hash it signs.\n",
                if *pinned { "the trusted key" } else { "the key the report names, not pinned: give --checkpoint-key to pin it," }
            ),
            CheckpointCheck::None => "The report cites no signed checkpoint.\n".to_owned(),
            CheckpointCheck::Rejected { reason } => format!("REJECTED: {reason}\n"),
        };
        s.push_str(&match &r.first_difference {
            None => format!(
                "IDENTICAL: the report for {} recomputes byte for byte from the store (events up to seq {}).",
                r.month, r.through_seq
            ),
            Some(d) => format!(
                "DIFFERS: the report for {} does not match what the store and files give.\nFirst difference at line {}:\n  report:     {}\n  recomputed: {}",
                r.month, d.line, d.report, d.recomputed
            ),
        });
        s
    });
    Ok(if r.ok() {
        Outcome::Ok
    } else {
        Outcome::Rejected
    })
}

/// The checkpoint the report cites, rebuilt from its JSON fields (hostile input: every field
/// is checked, nothing panics).
fn cited_checkpoint(v: &serde_json::Value) -> Result<Option<Checkpoint>, String> {
    let Some(c) = v.pointer("/chain/checkpoint").filter(|c| !c.is_null()) else {
        return Ok(None);
    };
    let text = |f: &str| {
        c.get(f)
            .and_then(|x| x.as_str())
            .ok_or_else(|| format!("the cited checkpoint has no `{f}`"))
    };
    let seq = c
        .get("seq")
        .and_then(serde_json::Value::as_u64)
        .ok_or("the cited checkpoint has no `seq`")?;
    let head = hex::decode(text("head_hash")?)
        .ok()
        .and_then(|b| Digest::from_slice(&b))
        .ok_or("the cited checkpoint's head_hash is not 64 hex digits")?;
    let time = Timestamp::parse_iso8601_millis(text("time")?)
        .map_err(|e| format!("the cited checkpoint's time: {e}"))?;
    let key = CheckpointPublicKey::parse_hex(text("public_key")?)
        .map_err(|e| format!("the cited checkpoint's public_key: {e}"))?;
    let signature: [u8; 64] = hex::decode(text("signature")?)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the cited checkpoint's signature is not 128 hex digits")?;
    Ok(Some(Checkpoint {
        seq,
        head,
        time,
        key,
        signature,
    }))
}

/// Checks the cited checkpoint's signature with the trusted key, then that the store's event at
/// its seq has the hash it signs (the log was not rewritten under the signature).
async fn check_checkpoint(
    cited: Result<Option<Checkpoint>, String>,
    trusted: Option<CheckpointPublicKey>,
    cfg_path: Option<&PathBuf>,
) -> Result<CheckpointCheck> {
    let c = match cited {
        Err(reason) => return Ok(CheckpointCheck::Rejected { reason }),
        Ok(None) if trusted.is_some() => {
            return Ok(CheckpointCheck::Rejected {
                reason: "a checkpoint key was given but the report cites no signed checkpoint"
                    .into(),
            });
        }
        Ok(None) => return Ok(CheckpointCheck::None),
        Ok(Some(c)) => c,
    };
    let pinned = trusted.is_some();
    let key = trusted.unwrap_or(c.key);
    if let Err(e) = c.verify(&key) {
        return Ok(CheckpointCheck::Rejected {
            reason: format!("the checkpoint the report cites does not verify: {e}"),
        });
    }
    let cfg = crate::service::load(cfg_path)?;
    let store = crate::service::open_existing(&cfg, custodia_store::Access::ReadOnly).await?;
    let at = store.events_after(c.seq.saturating_sub(1), 1).await;
    store.close().await;
    let hash = at?
        .into_iter()
        .next()
        .filter(|e| e.seq == c.seq)
        .map(|e| e.hash);
    Ok(match hash {
        Some(h) if h == c.head => CheckpointCheck::Verified {
            seq: c.seq,
            key: key.to_hex(),
            pinned,
        },
        Some(h) => CheckpointCheck::Rejected {
            reason: format!(
                "the log's event {} has hash {}, the checkpoint signs {}",
                c.seq,
                h.to_hex(),
                c.head.to_hex()
            ),
        },
        None => CheckpointCheck::Rejected {
            reason: format!("the log has no event {} (pruned or never written)", c.seq),
        },
    })
}

/// `report verify` without printing: the checkpoint check and the byte-for-byte recomputation.
pub(crate) fn verify_report(a: &VerifyArgs, out: &Output) -> Result<Verified> {
    let bytes = custodia_verifier::bundle::disk::read_limited(&a.report, MAX_REPORT)
        .map_err(|e| anyhow::anyhow!(e.0))?;
    let text =
        String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", a.report.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", a.report.display()))?;
    let field = |p: &str| v.pointer(p);
    if field("/format").and_then(|f| f.as_str()) != Some(custodia_report::REPORT_FORMAT) {
        bail!(
            "{}: not a Custodia report (format {:?}, expected {:?})",
            a.report.display(),
            field("/format"),
            custodia_report::REPORT_FORMAT
        );
    }
    let month = Month::parse(field("/month").and_then(|m| m.as_str()).unwrap_or(""))?;
    let exchange = field("/exchange")
        .and_then(|e| e.as_str())
        .unwrap_or("")
        .to_owned();
    let through_seq = field("/chain/through_seq")
        .and_then(serde_json::Value::as_u64)
        .context("the report has no chain.through_seq")?;
    let checkpoint_seq = field("/chain/checkpoint/seq").and_then(serde_json::Value::as_u64);
    let cites_round = field("/por")
        .and_then(|p| p.get("round"))
        .and_then(|r| r.as_str());
    let por = match (cites_round, &a.round) {
        (Some(id), None) => {
            bail!("the report cites round {id}: give its public folder with --round")
        }
        (None, Some(_)) => bail!("the report cites no round, but --round was given"),
        _ => por_input(a.round.as_ref(), a.previous_round.as_ref(), out)?,
    };
    let pin = Pin {
        through_seq,
        checkpoint_seq,
    };
    let trusted = match &a.checkpoint_key {
        Some(k) => Some(CheckpointPublicKey::parse_hex(k)?),
        None => {
            let cfg = crate::service::load(a.config.as_ref())?;
            match &cfg.audit.checkpoint_key_file {
                Some(p) => Some(crate::audit::read_key_file(p)?.public()),
                None => None,
            }
        }
    };
    let rt = runtime()?;
    let checkpoint = rt.block_on(check_checkpoint(
        cited_checkpoint(&v),
        trusted,
        a.config.as_ref(),
    ))?;
    let again = rt.block_on(build_report(
        a.config.as_ref(),
        &exchange,
        month,
        Some(pin),
        por,
    ))?;
    let recomputed = again.to_json();
    let diff = (recomputed != text).then(|| first_difference(&text, &recomputed));
    let mut r = Verified {
        status: "identical",
        month: month.to_string(),
        through_seq,
        checkpoint,
        first_difference: diff,
    };
    r.status = if matches!(r.checkpoint, CheckpointCheck::Rejected { .. }) {
        "rejected"
    } else if r.first_difference.is_some() {
        "differs"
    } else {
        "identical"
    };
    Ok(r)
}

fn first_difference(a: &str, b: &str) -> Difference {
    let mut la = a.lines();
    let mut lb = b.lines();
    let mut line = 1;
    loop {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                return Difference {
                    line,
                    report: x.unwrap_or("(end of file)").to_owned(),
                    recomputed: y.unwrap_or("(end of file)").to_owned(),
                };
            }
        }
    }
}
