//! `por inclusion --all` without the CLI around it, for timing delivery on a big round with
//! `/usr/bin/time -v` (the CLI calls the same `deliver_all`):
//!
//! ```text
//! cargo build --release -p custodia-round --example deliver
//! /usr/bin/time -v target/release/examples/deliver ROUND_DIR OUT_DIR [pack|files]
//! ```
//!
//! Prints one JSON line: users, seconds, users per second.

use std::path::PathBuf;
use std::time::Instant;

use custodia_round::{FsBlobs, Layout, Silent};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(round), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: deliver ROUND_DIR OUT_DIR [pack|files]");
        std::process::exit(2);
    };
    let layout = match args.next().as_deref() {
        None | Some("pack") => Layout::Pack,
        Some("files") => Layout::Files,
        Some(other) => {
            eprintln!("layout `{other}`: pack or files");
            std::process::exit(2);
        }
    };
    let round = FsBlobs::new(PathBuf::from(round));
    let t = Instant::now();
    let d = match custodia_round::deliver_all(&round, &PathBuf::from(out), layout, &Silent) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{{\"layout\":\"{}\",\"users\":{},\"written\":{},\"seconds\":{secs:.3},\"users_per_second\":{:.0}}}",
        layout.as_str(),
        d.users,
        d.written,
        d.written as f64 / secs
    );
}
