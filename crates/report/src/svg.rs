//! Inline SVG charts: drawn from integers, no script, no external font or stylesheet.

use std::fmt::Write as _;

use custodia_events::Point;

use crate::num::percent;

/// Escapes text for HTML and SVG (element content and attribute values).
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const W: i64 = 720;
const LABEL_W: i64 = 150;
const BAR_H: i64 = 18;
const GAP: i64 = 6;

/// Horizontal bars of reserve ratios with a line at 100 %. Bars under 100 % are drawn in the
/// warning colour; the scale goes to at least 150 % so small differences do not look dramatic.
pub(crate) fn ratio_bars(id: &str, title: &str, rows: &[(String, i64)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(15_000);
    let plot = W - LABEL_W - 70;
    let x = |bp: i64| LABEL_W + bp.clamp(0, max) * plot / max;
    let h = 30 + rows.len() as i64 * (BAR_H + GAP) + 10;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" data-chart="{id}" role="img" aria-label="{t}" viewBox="0 0 {W} {h}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        id = esc(id),
        t = esc(title)
    );
    for (i, (name, bp)) in rows.iter().enumerate() {
        let y = 24 + i as i64 * (BAR_H + GAP);
        let colour = if *bp < 10_000 { "#c0392b" } else { "#2e7d32" };
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" font-size="12">{n}</text><rect class="bar" x="{LABEL_W}" y="{y}" width="{bw}" height="{BAR_H}" fill="{colour}"><title>{n}: {p}</title></rect><text x="{vx}" y="{ty}" font-size="12">{p}</text>"#,
            lx = LABEL_W - 6,
            ty = y + 13,
            n = esc(name),
            bw = (x(*bp) - LABEL_W).max(1),
            p = percent(*bp),
            vx = x(*bp) + 4,
        );
    }
    let hundred = x(10_000);
    let _ = write!(
        s,
        r##"<line class="threshold" x1="{hundred}" y1="14" x2="{hundred}" y2="{y2}" stroke="#222" stroke-dasharray="4 3"/><text x="{hundred}" y="11" text-anchor="middle" font-size="11">100%</text></svg>"##,
        y2 = h - 6
    );
    s
}

/// Horizontal bars of counts.
pub(crate) fn count_bars(id: &str, title: &str, rows: &[(String, u64)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let plot = W - LABEL_W - 260;
    let label_w = W - plot - 80;
    let h = 10 + rows.len() as i64 * (BAR_H + GAP) + 6;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" data-chart="{id}" role="img" aria-label="{t}" viewBox="0 0 {W} {h}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        id = esc(id),
        t = esc(title)
    );
    for (i, (name, n)) in rows.iter().enumerate() {
        let y = 8 + i as i64 * (BAR_H + GAP);
        let bw = (u128::from(*n) * plot as u128 / u128::from(max)) as i64;
        let _ = write!(
            s,
            r##"<text x="{lx}" y="{ty}" text-anchor="end" font-size="12">{l}</text><rect class="bar" x="{label_w}" y="{y}" width="{bw}" height="{BAR_H}" fill="#1f5f99"><title>{l}: {n}</title></rect><text x="{vx}" y="{ty}" font-size="12">{n}</text>"##,
            lx = label_w - 6,
            ty = y + 13,
            l = esc(name),
            bw = bw.max(1),
            vx = label_w + bw.max(1) + 4,
        );
    }
    s.push_str("</svg>");
    s
}

/// A line through values over time (a fund's closing balance per day), with the first and
/// last day and the lowest and highest value marked.
pub(crate) fn line(
    id: &str,
    title: &str,
    points: &[Point],
    fmt: impl Fn(i128) -> String,
) -> String {
    const H: i64 = 200;
    const L: i64 = 120;
    const R: i64 = 20;
    const T: i64 = 16;
    const B: i64 = 30;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" data-chart="{id}" role="img" aria-label="{t}" viewBox="0 0 {W} {H}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        id = esc(id),
        t = esc(title)
    );
    if points.is_empty() {
        s.push_str(r#"<text x="20" y="100" font-size="12">no data</text></svg>"#);
        return s;
    }
    let (t0, t1) = (points[0].time_ms, points[points.len() - 1].time_ms);
    let lo = points.iter().map(|p| p.value).min().unwrap_or(0).min(0);
    let hi = points
        .iter()
        .map(|p| p.value)
        .max()
        .unwrap_or(0)
        .max(lo + 1);
    let px = |t: i64| -> i64 {
        if t1 == t0 {
            L + (W - L - R) / 2
        } else {
            L + ((i128::from(t - t0) * i128::from(W - L - R)) / i128::from(t1 - t0)) as i64
        }
    };
    let py = |v: i128| -> i64 { T + ((hi - v) * i128::from(H - T - B) / (hi - lo)) as i64 };
    let _ = write!(
        s,
        r##"<line x1="{L}" y1="{T}" x2="{L}" y2="{yb}" stroke="#999"/><line x1="{L}" y1="{yb}" x2="{xr}" y2="{yb}" stroke="#999"/><text x="{lx}" y="{ty}" text-anchor="end" font-size="11">{hi}</text><text x="{lx}" y="{yb}" text-anchor="end" font-size="11">{lo}</text>"##,
        yb = H - B,
        xr = W - R,
        lx = L - 4,
        ty = T + 4,
        hi = esc(&fmt(hi)),
        lo = esc(&fmt(lo)),
    );
    let pts: Vec<String> = points
        .iter()
        .map(|p| format!("{},{}", px(p.time_ms), py(p.value)))
        .collect();
    let _ = write!(
        s,
        r##"<polyline class="series" fill="none" stroke="#1f5f99" stroke-width="2" points="{}"/>"##,
        pts.join(" ")
    );
    for p in points {
        let _ = write!(
            s,
            r##"<circle cx="{}" cy="{}" r="2.5" fill="#1f5f99"><title>{}: {}</title></circle>"##,
            px(p.time_ms),
            py(p.value),
            day(p.time_ms),
            esc(&fmt(p.value))
        );
    }
    let _ = write!(
        s,
        r#"<text x="{L}" y="{yt}" font-size="11">{d0}</text><text x="{xr}" y="{yt}" text-anchor="end" font-size="11">{d1}</text></svg>"#,
        yt = H - 10,
        xr = W - R,
        d0 = day(t0),
        d1 = day(t1),
    );
    s
}

/// `YYYY-MM-DD` of a time in ms.
pub(crate) fn day(ms: i64) -> String {
    let iso = custodia_events::Timestamp::from_millis(ms).to_iso8601_millis();
    iso.get(..10).unwrap_or(&iso).to_owned()
}
