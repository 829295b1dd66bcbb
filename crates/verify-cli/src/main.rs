//! `custodia-verify [--json] PATH...`: checks a user's Custodia files and says what they prove.

use std::path::PathBuf;
use std::process::ExitCode;

use custodia_verify::{Outcome, Report, run};

const USAGE: &str = "\
usage: custodia-verify [--json] PATH...

Checks your inclusion file and the round's proofs. Each PATH may be the round folder, a folder
holding your inclusion file with round.json and the proofs, or the files named directly.

Exit codes: 0 verified, 1 rejected, 2 usage or input error.";

fn json(report: Option<&Report>, outcome: Outcome, error: Option<&str>) -> String {
    let status = match outcome {
        Outcome::Verified => "verified",
        Outcome::Rejected => "rejected",
        Outcome::InputError => "error",
    };
    let v = serde_json::json!({
        "status": status,
        "error": error,
        "round": report.map(|r| r.round.clone()),
        "root": report.map(|r| r.root.clone()),
        "checks": report.map(|r| r.findings.iter().map(|f| serde_json::json!({"ok": f.ok, "text": f.text})).collect::<Vec<_>>()),
        "notes": report.map(|r| r.notes.clone()),
    });
    v.to_string()
}

fn main() -> ExitCode {
    let mut as_json = false;
    let mut paths = Vec::new();
    for a in std::env::args_os().skip(1) {
        match a.to_str() {
            Some("--json") => as_json = true,
            Some("-h" | "--help") => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            Some(s) if s.starts_with("--") => {
                eprintln!("unknown option {s}\n\n{USAGE}");
                return ExitCode::from(Outcome::InputError.code());
            }
            _ => paths.push(PathBuf::from(a)),
        }
    }
    if paths.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(Outcome::InputError.code());
    }
    match run(&paths) {
        Ok(report) => {
            let outcome = if report.verified() {
                Outcome::Verified
            } else {
                Outcome::Rejected
            };
            if as_json {
                println!("{}", json(Some(&report), outcome, None));
            } else {
                println!("Round {}, root {}", report.round, report.root);
                println!(
                    "(Compare this root with the one the exchange published: everything below is relative to it.)"
                );
                for f in &report.findings {
                    println!("\n{}", f.text);
                }
                for n in &report.notes {
                    println!("\nNote: {n}");
                }
                println!(
                    "\n{}",
                    if outcome == Outcome::Verified {
                        "Result: VERIFIED"
                    } else {
                        "Result: REJECTED"
                    }
                );
            }
            ExitCode::from(outcome.code())
        }
        Err(e) => {
            if as_json {
                println!("{}", json(None, Outcome::InputError, Some(&e.0)));
            } else {
                eprintln!("error: {e}");
            }
            ExitCode::from(Outcome::InputError.code())
        }
    }
}
