//! What `custodia serve` watches for its operators, beside the HTTP metrics of `custodia-api`:
//! the periodic audit-chain check (`custodia_audit_chain_*`), the job queues
//! (`custodia_jobs*`), and the console panels only the binary can fill (proof-of-reserves
//! rounds on disk, job queues, the chain check's last result).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use custodia_api::console::{Panel, PanelStatus};
use custodia_api::{Config, Services};
use custodia_events::{
    CheckpointPublicKey, Clock as _, SystemClock, Timestamp, VerifyOptions, verify_anchored,
};
use custodia_store::Store;
use custodia_store::jobs::JobReader as _;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::serve::every_until;

/// How often the job-queue gauges are refreshed.
const JOBS_EVERY: Duration = Duration::from_secs(30);
/// Rounds listed on the console at most (the newest by folder name).
const ROUNDS_SHOWN: usize = 24;

/// The last chain check, for the console.
#[derive(Debug, Clone)]
struct ChainStatus {
    intact: bool,
    checked: u64,
    head_seq: u64,
    problems: Vec<String>,
    at: Timestamp,
    took: Duration,
    signatures_checked: bool,
}

/// Starts the watchers and registers the binary's console panels. The tasks end when `stop`
/// turns true.
pub fn start(
    s: &Services<Store>,
    config: &Config,
    checkpoint_key: Option<CheckpointPublicKey>,
    stop: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    let last: Arc<Mutex<Option<ChainStatus>>> = Arc::default();
    let every = config.audit.verify_interval_secs;
    if every > 0 {
        tasks.push(chain_check(
            s,
            checkpoint_key,
            Duration::from_secs(every),
            last.clone(),
            stop.clone(),
        ));
    }
    tasks.push(job_gauges(s, stop));
    console_panels(s, config, last, every);
    tasks
}

fn chain_check(
    s: &Services<Store>,
    key: Option<CheckpointPublicKey>,
    every: Duration,
    last: Arc<Mutex<Option<ChainStatus>>>,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let m = &s.metrics;
    let intact = m.gauge(
        "custodia_audit_chain_intact",
        "1 when the last check of the event log's hash chain (and signed checkpoints) passed, \
         0 when it found a problem; see custodia_audit_chain_last_check_timestamp_seconds",
    );
    let checked = m.gauge(
        "custodia_audit_chain_checked_events",
        "Events the last chain check read",
    );
    let at = m.float_gauge(
        "custodia_audit_chain_last_check_timestamp_seconds",
        "When the last chain check finished (Unix time; 0: none yet)",
    );
    let took = m.float_gauge(
        "custodia_audit_chain_check_duration_seconds",
        "How long the last chain check took",
    );
    let failed = m.counter(
        "custodia_audit_chain_check_errors_total",
        "Chain checks that could not run (the store did not answer)",
    );
    let store = s.store().clone();
    tokio::spawn(async move {
        // Let the service finish starting before the first full read of the log.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let job = every_until(every, stop, move || {
            let (store, key, last) = (store.clone(), key, last.clone());
            let (intact, checked, at, took, failed) = (
                intact.clone(),
                checked.clone(),
                at.clone(),
                took.clone(),
                failed.clone(),
            );
            async move {
                let start = Instant::now();
                let keys: Vec<CheckpointPublicKey> = key.into_iter().collect();
                let opts = VerifyOptions {
                    keys: &keys,
                    external: &[],
                    expect_head: None,
                };
                match verify_anchored(&store, &opts).await {
                    Ok(r) => {
                        let now = SystemClock.now();
                        intact.set(i64::from(r.is_intact()));
                        checked.set(r.chain.checked as i64);
                        at.set(now.as_millis() as f64 / 1000.0);
                        took.set(start.elapsed().as_secs_f64());
                        if !r.is_intact() {
                            tracing::error!(
                                problems = r.findings.len(),
                                first_break = ?r.chain.first_break.as_ref().map(|b| b.seq),
                                "audit chain check FAILED: run `custodia audit verify` for the details"
                            );
                        }
                        let mut problems: Vec<String> =
                            r.findings.iter().map(ToString::to_string).collect();
                        if let Some(b) = &r.chain.first_break {
                            problems.insert(0, format!("broken at seq {}: {}", b.seq, b.reason));
                        }
                        *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(ChainStatus {
                            intact: r.is_intact(),
                            checked: r.chain.checked,
                            head_seq: r.chain.head_seq,
                            problems,
                            at: now,
                            took: start.elapsed(),
                            signatures_checked: r.signatures_checked,
                        });
                    }
                    Err(e) => {
                        failed.inc();
                        tracing::error!(error = %e, "audit chain check could not run; will retry");
                    }
                }
            }
        });
        let _ = job.await;
    })
}

fn job_gauges(s: &Services<Store>, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    let jobs = s.metrics.gauge_vec(
        "custodia_jobs",
        "Jobs in the store's queues, by queue and state",
        &["queue", "state"],
    );
    let waited = s.metrics.gauge_vec(
        "custodia_jobs_oldest_due_age_seconds",
        "How long the oldest due, unclaimed job of each queue has waited (0: none waiting)",
        &["queue"],
    );
    let store = s.store().clone();
    every_until(JOBS_EVERY, stop, move || {
        let (store, jobs, waited) = (store.clone(), jobs.clone(), waited.clone());
        async move {
            let now = SystemClock.now();
            match store.queue_stats(now).await {
                Ok(stats) => {
                    for q in stats {
                        for (state, n) in [
                            ("queued", q.counts.queued),
                            ("leased", q.counts.leased),
                            ("done", q.counts.done),
                            ("dead", q.counts.dead),
                        ] {
                            jobs.with_label_values(&[q.queue.as_str(), state])
                                .set(n as i64);
                        }
                        let age = q
                            .oldest_due
                            .map_or(0, |t| (now.as_millis() - t.as_millis()).max(0) / 1000);
                        waited.with_label_values(&[q.queue.as_str()]).set(age);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "job queue statistics unavailable"),
            }
        }
    })
}

fn console_panels(
    s: &Services<Store>,
    config: &Config,
    last: Arc<Mutex<Option<ChainStatus>>>,
    every: u64,
) {
    s.console.add("audit", "Audit chain", move || {
        let last = last.clone();
        async move {
            let p = Panel::new("audit", "");
            if every == 0 {
                return Ok(p.status(
                    PanelStatus::Warn,
                    "The periodic chain check is off (audit.verify_interval_secs = 0): run \
                     `custodia audit verify`.",
                ));
            }
            let Some(c) = last.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
                return Ok(p.note("The first check is running."));
            };
            let mut p = p
                .fact("state", if c.intact { "intact" } else { "BROKEN" })
                .fact("events checked", c.checked)
                .fact("head seq", c.head_seq)
                .fact("checked at", c.at)
                .fact("took", format!("{:.1} s", c.took.as_secs_f64()))
                .fact(
                    "checkpoint signatures",
                    if c.signatures_checked {
                        "checked"
                    } else {
                        "not checked (no key)"
                    },
                );
            p = if c.intact {
                p.note(format!("Checked every {every} s."))
            } else {
                p.status(
                    PanelStatus::Error,
                    "The event log fails its check: run `custodia audit verify` on the store.",
                )
                .table(
                    &["problem"],
                    c.problems.into_iter().map(|x| vec![x]).collect(),
                )
            };
            Ok(p)
        }
    });

    let store = s.store().clone();
    s.console.add("jobs", "Job queues", move || {
        let store = store.clone();
        async move {
            let now = SystemClock.now();
            let stats = store.queue_stats(now).await.map_err(|e| e.to_string())?;
            let rows: Vec<Vec<String>> = stats
                .iter()
                .map(|q| {
                    vec![
                        q.queue.clone(),
                        q.counts.queued.to_string(),
                        q.counts.leased.to_string(),
                        q.counts.done.to_string(),
                        q.counts.dead.to_string(),
                        q.oldest_due.map_or("—".into(), |t| {
                            format!("{} s", (now.as_millis() - t.as_millis()).max(0) / 1000)
                        }),
                    ]
                })
                .collect();
            let dead: u64 = stats.iter().map(|q| q.counts.dead).sum();
            let mut p = Panel::new("jobs", "").table(
                &[
                    "queue",
                    "queued",
                    "leased",
                    "done",
                    "dead",
                    "oldest due waited",
                ],
                rows,
            );
            if stats.is_empty() {
                p = p.note("No jobs yet.");
            } else if dead > 0 {
                p = p.status(
                    PanelStatus::Warn,
                    format!("{dead} dead job(s): they ran out of attempts."),
                );
            }
            Ok(p)
        }
    });

    let reports = config.console.reports_dir.clone();
    s.console.add("report", "Monthly security report", move || {
        let dir = reports.clone();
        async move {
            let Some(dir) = dir else {
                return Ok(Panel::new("report", "").note(
                    "No reports folder configured (console.reports_dir): set it to the folder \
                     `custodia report --out` writes to.",
                ));
            };
            tokio::task::spawn_blocking(move || report_panel(&dir))
                .await
                .map_err(|e| e.to_string())?
        }
    });

    let dir = config.console.rounds_dir.clone();
    s.console.add("por", "Proof-of-reserves rounds", move || {
        let dir = dir.clone();
        async move {
            let Some(dir) = dir else {
                return Ok(Panel::new("por", "").note(
                    "No rounds folder configured (console.rounds_dir): set it to the folder \
                     that holds the round folders to list them here.",
                ));
            };
            tokio::task::spawn_blocking(move || rounds_panel(&dir))
                .await
                .map_err(|e| e.to_string())?
        }
    });
}

/// The newest monthly report under `dir` (its own `report.json`, or those of its subfolders):
/// its chain position, checkpoint, proof verdict and one row per section with its headline
/// figures. Read from the published JSON on each refresh (a few hundred kilobytes at most).
fn report_panel(dir: &Path) -> Result<Panel, String> {
    let mut candidates = vec![dir.join("report.json")];
    if let Ok(entries) = std::fs::read_dir(dir) {
        candidates.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path().join("report.json")),
        );
    }
    let mut newest: Option<(String, PathBuf, Value)> = None;
    for path in candidates.into_iter().filter(|p| p.is_file()) {
        let Some(v) = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        else {
            continue;
        };
        if v["format"].as_str() != Some(custodia_report::REPORT_FORMAT) {
            continue;
        }
        let month = v["month"].as_str().unwrap_or("").to_owned();
        if newest.as_ref().is_none_or(|(m, _, _)| month > *m) {
            newest = Some((month, path, v));
        }
    }
    let Some((month, path, r)) = newest else {
        return Ok(Panel::new("report", "").note(format!(
            "No report in {} yet: write one with `custodia report --month YYYY-MM --out {}`.",
            dir.display(),
            dir.display()
        )));
    };
    let sections = r["sections"].as_array().cloned().unwrap_or_default();
    let recorded = sections.iter().filter(|s| s["recorded"] == true).count();
    let mut rows = Vec::new();
    for s in &sections {
        let figures: Vec<String> = s["figures"]
            .as_array()
            .map(|fs| {
                fs.iter()
                    .filter_map(|f| {
                        Some(format!(
                            "{}: {}",
                            f["label"].as_str()?,
                            figure_text(&f["value"])?
                        ))
                    })
                    .take(3)
                    .collect()
            })
            .unwrap_or_default();
        rows.push(vec![
            s["title"].as_str().unwrap_or("?").to_owned(),
            if s["recorded"] == true {
                "yes".to_owned()
            } else {
                "nothing recorded".to_owned()
            },
            figures.join("; "),
        ]);
    }
    let checkpoint = match r["chain"]["checkpoint"]["seq"].as_u64() {
        Some(seq) => format!(
            "seq {seq}, key {}",
            r["chain"]["checkpoint"]["public_key"]
                .as_str()
                .map_or("?", |k| &k[..k.len().min(16)])
        ),
        None => "none".to_owned(),
    };
    let proof = r["por"]["proof"]["status"]
        .as_str()
        .unwrap_or("no round cited");
    let mut p = Panel::new("report", "")
        .fact("month", &month)
        .fact("exchange", r["exchange"].as_str().unwrap_or("?"))
        .fact(
            "event log read through seq",
            r["chain"]["through_seq"].as_u64().unwrap_or(0),
        )
        .fact("signed checkpoint", checkpoint)
        .fact("proof of reserves", proof)
        .fact(
            "sections with figures",
            format!("{recorded} of {}", sections.len()),
        )
        .fact("file", path.display())
        .table(&["section", "recorded", "headline figures"], rows);
    if r["por"].is_object() && proof != "verified" {
        p = p.status(
            PanelStatus::Warn,
            format!("The round the {month} report cites did not verify."),
        );
    } else {
        p = p.note(format!(
            "Check it against the store: custodia report verify --report {}",
            path.display()
        ));
    }
    Ok(p)
}

/// A figure's value in words for the console (series are left to the report's charts).
fn figure_text(v: &Value) -> Option<String> {
    match v["type"].as_str()? {
        "count" => Some(v["n"].as_u64()?.to_string()),
        "basis_points" => {
            let bp = v["bp"].as_i64()?;
            Some(format!("{}.{:02} %", bp / 100, (bp % 100).abs()))
        }
        "amount" => {
            let units: u128 = match &v["units"] {
                Value::Number(n) => n.as_u64()?.into(),
                Value::String(s) => s.parse().ok()?,
                _ => return None,
            };
            let decimals = u8::try_from(v["decimals"].as_u64()?).ok()?;
            Some(format!(
                "{} {}",
                custodia_primitives::Total::from_units(units).to_decimal(decimals),
                v["asset"].as_str()?
            ))
        }
        _ => None,
    }
}

/// One row per round folder under `dir` (newest names first), from its public files.
fn rounds_panel(dir: &Path) -> Result<Panel, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut folders: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("round.json").is_file())
        .collect();
    folders.sort();
    folders.reverse();
    let total = folders.len();
    let mut rows = Vec::new();
    let mut unproven = 0;
    let mut below = 0;
    for f in folders.iter().take(ROUNDS_SHOWN) {
        let read = |name: &str| -> Option<Value> {
            serde_json::from_slice(&std::fs::read(f.join(name)).ok()?).ok()
        };
        let Some(round) = read("round.json") else {
            rows.push(vec![
                f.display().to_string(),
                "unreadable round.json".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
            continue;
        };
        let batches = round["batch_roots"].as_array().map_or(0, Vec::len);
        let leaves = round["shape"]["log_leaves"]
            .as_u64()
            .map_or(0, |l| 1u64 << l.min(62));
        let proofs = std::fs::read_dir(f.join("proofs"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".proof"))
                    .count()
            })
            .unwrap_or(0);
        let aggregate = read("proofs/aggregate.json");
        let proven = match &aggregate {
            Some(_) => "aggregated".to_owned(),
            None => {
                unproven += 1;
                format!("{proofs}/{batches} batches proven")
            }
        };
        let reserves = match read("reserves.json") {
            None => "—".to_owned(),
            Some(r) => {
                let low: Vec<String> = r["summary"]["assets_below_100"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                if low.is_empty() {
                    "every asset ≥ 100%".to_owned()
                } else {
                    below += 1;
                    format!("below 100%: {}", low.join(", "))
                }
            }
        };
        rows.push(vec![
            round["round"].as_str().unwrap_or("?").to_owned(),
            round["snapshot_time"].as_str().unwrap_or("?").to_owned(),
            leaves.to_string(),
            batches.to_string(),
            proven,
            reserves,
        ]);
    }
    let mut p = Panel::new("por", "")
        .fact("rounds", total)
        .fact("folder", dir.display())
        .table(
            &[
                "round",
                "snapshot",
                "leaves (padded)",
                "batches",
                "proofs",
                "reserves",
            ],
            rows,
        );
    if below > 0 {
        p = p.status(
            PanelStatus::Warn,
            format!("{below} round(s) with an asset below 100% reserves."),
        );
    } else if unproven > 0 {
        p = p.status(
            PanelStatus::Warn,
            format!("{unproven} round(s) not aggregated yet (custodia por aggregate)."),
        );
    } else if total == 0 {
        p = p.note("No round folders here yet.");
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use custodia_events::{ManualClock, SeededEntropy};
    use custodia_keys::{Kek, SecretString};

    use super::*;

    /// Every `custodia_*` and `process_*` name in `text`, histogram suffixes included.
    fn metric_names(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
            if word(bytes[i]) && (i == 0 || !word(bytes[i - 1])) {
                let start = i;
                while i < bytes.len() && word(bytes[i]) {
                    i += 1;
                }
                let w = &text[start..i];
                if w.starts_with("custodia_") || w.starts_with("process_") {
                    out.push(w.to_owned());
                }
            } else {
                i += 1;
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn exported(name: &str, names: &[String]) -> bool {
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        names.iter().any(|n| n == name || n == base)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dashboard_and_alerts_use_only_metrics_the_service_exports() {
        let store = Store::open("sqlite::memory:", 1).await.unwrap();
        let cfg = Config::from_parts("", Vec::<(String, String)>::new()).unwrap();
        let kek = Kek::parse(&SecretString::new(
            "8f3c1a9e5b7d2f4061a8c3e5b7d9f1a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f4",
        ))
        .unwrap();
        let s = Services::new(
            store,
            Arc::new(ManualClock::new(Timestamp::from_millis(1_767_225_600_000))),
            Arc::new(SeededEntropy::new(3)),
            kek,
            &cfg,
            None,
            crate::serve::login_intel,
        );
        let (tx, rx) = watch::channel(false);
        let tasks = start(&s, &cfg, None, rx);
        let names = s.metrics.names();
        for (file, text) in [
            (
                "deploy/grafana/custodia-dashboard.json",
                include_str!("../../../deploy/grafana/custodia-dashboard.json"),
            ),
            (
                "deploy/prometheus/alerts.yml",
                include_str!("../../../deploy/prometheus/alerts.yml"),
            ),
        ] {
            let used = metric_names(text);
            assert!(used.len() >= 5, "{file}: {used:?}");
            let missing: Vec<&String> = used.iter().filter(|n| !exported(n, &names)).collect();
            assert!(
                missing.is_empty(),
                "{file} uses metrics the service does not export: {missing:?}"
            );
        }
        // The dashboard is JSON Grafana can import: panels with queries.
        let d: Value = serde_json::from_str(include_str!(
            "../../../deploy/grafana/custodia-dashboard.json"
        ))
        .unwrap();
        assert!(
            d["panels"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["targets"][0]["expr"].is_string())
        );
        // The negative twin: a name the service does not export is caught.
        assert!(!exported("custodia_no_such_total", &names));
        assert!(exported(
            "custodia_http_request_duration_seconds_bucket",
            &names
        ));
        tx.send(true).unwrap();
        for t in tasks {
            t.await.unwrap();
        }
    }

    #[test]
    fn rounds_are_listed_from_their_public_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = rounds_panel(dir.path()).unwrap();
        assert_eq!(p.note.as_deref(), Some("No round folders here yet."));
        let r = dir.path().join("2026-11");
        std::fs::create_dir_all(r.join("proofs")).unwrap();
        std::fs::write(
            r.join("round.json"),
            r#"{"round":"2026-11","snapshot_time":"2026-11-30T23:59:59Z","shape":{"log_leaves":10,"log_batch":8},"batch_roots":["a","b","c","d"]}"#,
        )
        .unwrap();
        std::fs::write(r.join("proofs/batch-00000.proof"), b"x").unwrap();
        let p = rounds_panel(dir.path()).unwrap();
        assert_eq!(p.status, PanelStatus::Warn, "not aggregated yet");
        let row = &p.table.as_ref().unwrap().rows[0];
        assert_eq!(
            row[..5],
            [
                "2026-11",
                "2026-11-30T23:59:59Z",
                "1024",
                "4",
                "1/4 batches proven"
            ]
        );
        std::fs::write(r.join("proofs/aggregate.json"), b"{}").unwrap();
        std::fs::write(
            r.join("reserves.json"),
            r#"{"summary":{"assets_below_100":[]}}"#,
        )
        .unwrap();
        let p = rounds_panel(dir.path()).unwrap();
        assert_eq!(p.status, PanelStatus::Ok);
        assert_eq!(
            p.table.as_ref().unwrap().rows[0][4..],
            ["aggregated", "every asset ≥ 100%"]
        );
        assert!(rounds_panel(&dir.path().join("absent")).is_err());
    }

    #[test]
    fn the_newest_report_is_shown_with_its_sections() {
        let dir = tempfile::tempdir().unwrap();
        let p = report_panel(dir.path()).unwrap();
        assert!(p.note.as_deref().unwrap().contains("No report"), "{p:?}");
        let report = |month: &str, proof: &str| {
            format!(
                r#"{{"format":"{}","month":"{month}","exchange":"Demo","chain":{{"through_seq":42,"checkpoint":{{"seq":40,"public_key":"d75a980182b10ab7d54bfed3c964073a"}}}},"por":{{"proof":{{"status":"{proof}"}}}},"sections":[{{"title":"Rookie protection","recorded":true,"figures":[{{"label":"Users in cooling-off","value":{{"type":"count","n":7}}}},{{"label":"Recovered","value":{{"type":"amount","asset":"USDT","units":2500000,"decimals":6}}}}]}},{{"title":"Fraudulent-token detection","recorded":false,"figures":[]}}]}}"#,
                custodia_report::REPORT_FORMAT
            )
        };
        for (m, proof) in [("2026-10", "verified"), ("2026-11", "verified")] {
            std::fs::create_dir_all(dir.path().join(m)).unwrap();
            std::fs::write(dir.path().join(m).join("report.json"), report(m, proof)).unwrap();
        }
        // Not a report: ignored, not shown.
        std::fs::create_dir_all(dir.path().join("2027-01")).unwrap();
        std::fs::write(
            dir.path().join("2027-01/report.json"),
            r#"{"month":"2027-01"}"#,
        )
        .unwrap();
        let p = report_panel(dir.path()).unwrap();
        assert_eq!(p.status, PanelStatus::Ok, "{p:?}");
        assert_eq!(p.facts[0].value, "2026-11");
        assert!(
            p.facts
                .iter()
                .any(|f| f.value == "seq 40, key d75a980182b10ab7")
        );
        let rows = &p.table.as_ref().unwrap().rows;
        assert_eq!(
            rows[0],
            [
                "Rookie protection",
                "yes",
                "Users in cooling-off: 7; Recovered: 2.5 USDT"
            ]
        );
        assert_eq!(rows[1][1], "nothing recorded");
        // The twin: a report whose round did not verify warns.
        std::fs::write(
            dir.path().join("2026-11/report.json"),
            report("2026-11", "failed"),
        )
        .unwrap();
        let p = report_panel(dir.path()).unwrap();
        assert_eq!(p.status, PanelStatus::Warn, "{p:?}");
    }
}
