//! `custodia protect` end to end: a cooling-off started from the command line binds, cannot be
//! ended (there is no verb) nor shortened (refused, exit 2), and can be extended.

use crate::cli::{custodia_on as custodia, text};

#[test]
fn a_cooling_off_from_the_command_line_is_extend_only() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let o = custodia(
        &url,
        &[
            "protect",
            "cooling-off",
            "start",
            "--user",
            "alice",
            "--days",
            "7",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("cooling-off until"), "{}", text(&o));
    // No verb ends it.
    for verb in ["end", "stop", "cancel", "delete"] {
        let o = custodia(&url, &["protect", "cooling-off", verb, "--user", "alice"]);
        assert_eq!(o.status.code(), Some(2), "{verb}: {}", text(&o));
    }
    // A shorter period is refused, with the reason.
    let o = custodia(
        &url,
        &[
            "protect",
            "cooling-off",
            "start",
            "--user",
            "alice",
            "--days",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("can only be extended"), "{}", text(&o));
    let o = custodia(
        &url,
        &[
            "protect",
            "cooling-off",
            "start",
            "--user",
            "alice",
            "--days",
            "2",
        ],
    );
    assert!(
        text(&o).contains("lasts one of [1, 3, 7, 14, 30] days"),
        "{}",
        text(&o)
    );
    // Still running; extending works.
    let o = custodia(
        &url,
        &[
            "--json",
            "protect",
            "cooling-off",
            "show",
            "--user",
            "alice",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["active"], true, "{}", text(&o));
    let o = custodia(
        &url,
        &[
            "--json",
            "protect",
            "cooling-off",
            "start",
            "--user",
            "alice",
            "--days",
            "30",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let w: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(w["until"].as_str() > v["until"].as_str(), "{v} {w}");
}
