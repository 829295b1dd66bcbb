//! Where text, JSON and progress go.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Output settings of one invocation.
pub struct Output {
    json: bool,
    progress: bool,
}

impl Output {
    pub fn new(json: bool, quiet: bool) -> Self {
        Self {
            json,
            progress: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// Prints a result: `value` as JSON with `--json`, otherwise the text `human`.
    pub fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            print_stdout(&serde_json::to_string_pretty(value).expect("serialisable output"));
        } else {
            print_stdout(&human());
        }
    }

    /// Whether `--json` was given.
    pub fn json(&self) -> bool {
        self.json
    }

    /// A line of human progress narration (stderr; silent with `--json`).
    pub fn note(&self, msg: impl AsRef<str>) {
        if !self.json {
            eprintln!("{}", msg.as_ref());
        }
    }

    pub fn error(&self, e: &anyhow::Error) {
        let text = error_text(e);
        if self.json {
            print_stdout(
                &serde_json::json!({ "status": "error", "exit_code": 2, "error": text })
                    .to_string(),
            );
        } else {
            eprintln!("error: {text}");
        }
    }

    /// A progress bar over `len` steps (hidden when not on a terminal or when quiet).
    pub fn bar(&self, len: u64, what: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new(len);
        pb.set_style(
            ProgressStyle::with_template("{msg:>18} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        pb.set_message(what.to_owned());
        pb
    }

    /// A spinner for a step of unknown length.
    pub fn spinner(&self, what: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new_spinner();
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
        );
        pb.set_message(what.to_owned());
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    }
}

/// Writes `text` and a newline to standard output. A reader that went away (`custodia … | head`)
/// ends the output quietly instead of a panic: the exit code still says what the command found.
pub fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// An error and its causes joined by `: `, each said once: many errors repeat their cause in
/// their own message (`database error: X` caused by `X`), which a plain chain prints twice.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || parts.iter().any(|p| p.contains(&text)) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_is_said_once() {
        let io = std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "No such file or directory (os error 2)",
        );
        let e = anyhow::Error::new(io)
            .context("No such file or directory (os error 2)")
            .context("reading x.toml");
        assert_eq!(
            error_text(&e),
            "reading x.toml: No such file or directory (os error 2)"
        );
        let e = anyhow::anyhow!("cannot connect to db:5432/c (connection refused)")
            .context("opening the store");
        assert_eq!(
            error_text(&e),
            "opening the store: cannot connect to db:5432/c (connection refused)"
        );
    }
}
