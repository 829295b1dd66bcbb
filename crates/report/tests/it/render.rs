use custodia_events::EventAppender as _;
use custodia_report::{
    Month, PorInput, ProofStatus, SectionSpec, build, render_html, render_markdown,
};
use serde_json::json;

use crate::por::{public_round, tmp};
use crate::{KIND_A, KIND_B, TestTally, event, store};

fn sections() -> Vec<SectionSpec> {
    vec![SectionSpec {
        id: "active",
        title: "Active service",
        about: "Records events.",
        keys: &[],
        tally: Box::new(TestTally::default()),
    }]
}

async fn report(name: &str, por: bool) -> custodia_report::Report {
    let s = store().await;
    s.append(vec![
        event("2025-01-02T00:00:00.000Z", KIND_A, json!({})),
        event(
            "2025-01-03T00:00:00.000Z",
            KIND_B,
            json!({"units": 12_345_678}),
        ),
    ])
    .await
    .unwrap();
    let por = por.then(|| {
        let d = tmp(name);
        public_round(&d, "2025-01", "1900000000", true);
        PorInput {
            dir: d,
            previous: None,
            proof: ProofStatus::Verified {
                detail: "4 batch proofs".into(),
            },
        }
        .load()
        .unwrap()
    });
    build(
        &s,
        name,
        Month::parse("2025-01").unwrap(),
        None,
        por,
        sections(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn html_has_every_section_its_charts_and_no_outside_reference() {
    let r = report("Demo <Exchange> & \"Co\"", true).await;
    let h = render_html(&r);
    for id in ["por", "active", "faq"] {
        assert!(h.contains(&format!("data-section=\"{id}\"")), "{id}");
    }
    assert!(h.contains("data-chart=\"por.ratios\""));
    assert!(h.contains("data-chart=\"active.counts\""));
    assert!(h.contains("class=\"threshold\""), "the 100% line");
    // USDT is below 100% and drawn as such; BTC is not.
    assert!(h.contains("95.00%") && h.contains("110.00%"));
    assert!(h.contains("12.345678 USDT"));
    // Self-contained: no script, no fetched resource.
    for bad in ["<script", "http://", "https://", "src=", "@import", "url("] {
        let hits: Vec<_> = h.match_indices(bad).collect();
        // The SVG namespace is an identifier, not a fetch.
        let real = hits
            .iter()
            .filter(|(i, _)| !h[*i..].starts_with("http://www.w3.org/2000/svg"))
            .count();
        assert_eq!(real, 0, "{bad}");
    }
    // The exchange name is escaped, never markup.
    assert!(h.contains("Demo &lt;Exchange&gt; &amp; &quot;Co&quot;"));
    assert!(!h.contains("<Exchange>"));
}

#[tokio::test]
async fn without_a_round_the_por_section_says_so() {
    let r = report("X", false).await;
    let h = render_html(&r);
    assert!(h.contains("No proof-of-reserves round was given for January 2025"));
    assert!(!h.contains("data-chart=\"por.ratios\""));
    let m = render_markdown(&r);
    assert!(m.contains("_No proof-of-reserves round was given for January 2025._"));
    assert!(r.faq[0].answer.contains("No round was published"));
}

#[tokio::test]
async fn markdown_and_json_carry_the_same_numbers() {
    let r = report("X", true).await;
    let m = render_markdown(&r);
    assert!(m.contains("| Betas | 1 | 1 (2–2) |"), "{m}");
    assert!(
        m.contains("| USDT | 2,000 | 0 | 2,000 | 1,900 | 95.00% | below100 |"),
        "{m}"
    );
    let j: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(j["format"], "custodia-report/1");
    assert_eq!(j["sections"][0]["figures"][1]["key"], "test.beta");
    assert_eq!(j["sections"][0]["figures"][1]["trace"]["first_seq"], 2);
    assert_eq!(j["por"]["assets"][1]["ratio_bps"], 9500);
    assert_eq!(j["chain"]["through_seq"], 2);
    // The FAQ quotes this month's figures, and names them.
    let faq = &r.faq[0];
    assert!(
        faq.answer.contains("95.00%") && faq.answer.contains("USDT"),
        "{}",
        faq.answer
    );
}
