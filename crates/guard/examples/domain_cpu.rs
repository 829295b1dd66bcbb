//! CPU time per domain check, one thread: the `guard_bench` query mix (a third blocked hosts,
//! a third unlisted hosts, a third brand look-alikes and official sites) against 300,000
//! blocked hosts, checked `PASSES` times over (argument, default 10). Reads the process's CPU
//! time from `/proc/self/stat` around the loop only, so time spent waiting for a core on a
//! busy machine is not counted (wall time is printed beside it). Linux only.
use std::time::Instant;

use custodia_guard::bench::{checker_with_blocklist, domain_queries, synthetic_domains};

/// User + system CPU time of this process, in clock ticks (1/100 s on Linux).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn main() {
    let passes: usize = std::env::args()
        .nth(1)
        .map_or(10, |a| a.parse().expect("PASSES is a number"));
    let blocked = synthetic_domains(300_000, 1);
    let checker = checker_with_blocklist(&blocked);
    let queries = domain_queries(&blocked, 200_000, 1 ^ 0xd0);
    let (cpu0, wall0) = (cpu_ticks(), Instant::now());
    let mut alerts = 0usize;
    for _ in 0..passes {
        for q in &queries {
            alerts += checker.check(q).map_or(0, |v| v.level.is_alert() as usize);
        }
    }
    let (cpu, wall) = (cpu_ticks() - cpu0, wall0.elapsed().as_secs_f64());
    let n = (passes * queries.len()) as f64;
    let cpu_s = cpu as f64 / 100.0;
    println!(
        "{{\"checks\": {n}, \"alerts\": {alerts}, \"cpu_s\": {cpu_s:.2}, \"wall_s\": {wall:.2}, \"cpu_ns_per_check\": {:.0}, \"checks_per_cpu_s\": {:.0}}}",
        cpu_s * 1e9 / n,
        n / cpu_s
    );
}
