//! `custodia`: the command-line front end. Glue only: every capability lives in a library crate.

mod audit;
mod bench;
mod demo;
mod demo_month;
mod fleet;
mod fund;
mod guard;
mod health;
mod heap;
mod login;
mod monitor;
mod operators;
mod output;
mod por;
mod protect;
mod prove;
mod report;
mod reserves;
mod round_dir;
mod serve;
mod service;
mod token;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Custodia: prove an exchange's reserves and protect its users.
#[derive(Debug, Parser)]
#[command(name = "custodia", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Hide progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole pipeline on generated demo data, or generate demo data.
    Demo(demo::DemoArgs),
    /// Build and inspect proof-of-reserves rounds (the exchange's side).
    #[command(subcommand)]
    Por(por::PorCommand),
    /// Proof of assets: verify wallet ownership and compute reserve ratios.
    #[command(subcommand)]
    Reserves(reserves::ReservesCommand),
    /// Verify proofs (the user's side).
    #[command(subcommand)]
    Verify(verify::VerifyCommand),
    /// Measure throughput and memory on this machine.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Run the security service (HTTP API, gateway check, idle purge schedule).
    Serve(service::ServeArgs),
    /// API-key maintenance.
    #[command(subcommand)]
    Keys(service::KeysCommand),
    /// The tamper-evident event log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Ask a running service's /healthz (exit 0: healthy; 1: unhealthy; 2: no answer).
    Health(health::HealthArgs),
    /// Operator tokens (admins, analysts, the web back end, the gateway).
    #[command(subcommand)]
    Operators(operators::OperatorsCommand),
    /// The safety fund and risk provision fund: pools, top-ups, transfers, the journal.
    #[command(subcommand)]
    Fund(fund::FundCommand),
    /// Account-takeover defence: assess a login, look IPs up, show a user's history and holds.
    #[command(subcommand)]
    Login(login::LoginCommand),
    /// Scam-token (honeypot) assessment.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// User protection: cooling-off, account facts, deposit addresses, wrong-deposit cases.
    #[command(subcommand)]
    Protect(protect::ProtectCommand),
    /// The monthly security report (HTML, Markdown, JSON, PDF), or check one against the store.
    Report(report::ReportArgs),
    /// Threat intelligence: check hosts, screen addresses, export and sign snapshots.
    #[command(subcommand)]
    Guard(guard::GuardCommand),
}

/// How a command ended, beyond plain success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything checked out.
    Ok,
    /// A proof or input was checked and rejected.
    Rejected,
}

/// The commands that prove batch after batch in one process (see [`heap`]).
fn proves(command: &Command) -> bool {
    matches!(
        command,
        Command::Bench(bench::BenchCommand::Por(_))
            | Command::Por(por::PorCommand::Prove(_) | por::PorCommand::Worker(_))
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if proves(&cli.command) {
        heap::retain_freed_memory();
    }
    let out = output::Output::new(cli.json, cli.quiet);
    let result = match cli.command {
        Command::Demo(args) => demo::run(args, &out),
        Command::Por(cmd) => por::run(cmd, &out),
        Command::Reserves(cmd) => reserves::run(cmd, &out),
        Command::Verify(cmd) => verify::run(cmd, &out),
        Command::Bench(cmd) => bench::run(cmd, &out),
        Command::Serve(args) => service::serve(args, &out),
        Command::Keys(cmd) => service::keys(cmd, &out),
        Command::Audit(cmd) => audit::run(cmd, &out),
        Command::Operators(cmd) => operators::run(cmd, &out),
        Command::Health(args) => health::run(args, &out),
        Command::Fund(cmd) => fund::run(cmd, &out),
        Command::Login(cmd) => login::run(cmd, &out),
        Command::Token(cmd) => token::run(cmd, &out),
        Command::Protect(cmd) => protect::run(cmd, &out),
        Command::Report(args) => report::run(args, &out),
        Command::Guard(cmd) => guard::run(cmd, &out),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Rejected) => ExitCode::from(1),
        Err(e) => {
            out.error(&e);
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Command {
        Cli::try_parse_from(std::iter::once("custodia").chain(args.iter().copied()))
            .expect("parses")
            .command
    }

    #[test]
    fn proving_commands_keep_freed_memory() {
        for args in [
            &["bench", "por", "--users", "1000"][..],
            &["por", "prove", "--round", "r"][..],
        ] {
            assert!(proves(&parsed(args)), "{args:?}");
        }
    }

    #[test]
    fn serving_and_verifying_keep_the_system_heap() {
        for args in [
            &["serve"][..],
            &["por", "prove-batch", "--round", "r", "--batch", "0"][..],
            &["verify", "round", "r"][..],
        ] {
            assert!(!proves(&parsed(args)), "{args:?}");
        }
    }
}
