//! `custodia-verify [--json] [--root HEX] PATH...`: checks a user's Custodia files and says what
//! they prove.

use std::process::ExitCode;

use custodia_verify::{Early, JsonReport, Outcome, parse_args, print_stdout, run, text_report};

const USAGE: &str = "\
usage: custodia-verify [--json] [--root HEX]... [--] PATH...

Checks your inclusion file and the round's proofs. Each PATH may be the round folder as
published, a zip of it, a folder holding your inclusion file with round.json and the proofs, or
the files named directly. When the round's reserves.json and wallets.csv (or wallets.json) are
among them, each wallet's signature is re-checked and the per-asset reserve ratios are shown.

Several rounds at once: give one folder or zip per round (e.g. each month's, each with your
inclusion file). Each round is checked, and so is their chain: every round must name the round
before it and commit to its exact manifest.

  --root HEX   the root the exchange published for the round (64 hex characters): the files are
               rejected if their round.json states another one. Once per round with several.
  --json       print the result as JSON (schema custodia-verify/1, see docs/verify.md)
  --version    print the version and how this binary was built

Exit codes: 0 verified, 1 rejected (a proof, a sum or the root does not check out),
2 nothing could be checked (missing, unreadable or malformed files; bad usage).";

fn main() -> ExitCode {
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(a) => a,
        Err(Early::Help) => {
            print_stdout(USAGE);
            return ExitCode::SUCCESS;
        }
        Err(Early::Version) => {
            print_stdout(&format!(
                "custodia-verify {} ({})",
                env!("CARGO_PKG_VERSION"),
                custodia_verify::build_note()
            ));
            return ExitCode::SUCCESS;
        }
        Err(Early::Usage(msg)) => {
            eprintln!("custodia-verify: {msg}\n\n{USAGE}");
            return ExitCode::from(Outcome::Error.code());
        }
    };
    match run(&args.paths, &args.roots) {
        Ok(report) => {
            if args.json {
                print_stdout(&JsonReport::of(&report).to_json());
            } else {
                print_stdout(&text_report(&report, !args.roots.is_empty()));
            }
            ExitCode::from(report.outcome().code())
        }
        Err(e) => {
            if args.json {
                print_stdout(&JsonReport::error(&e).to_json());
            } else {
                eprintln!("error: {e}");
            }
            ExitCode::from(Outcome::Error.code())
        }
    }
}
