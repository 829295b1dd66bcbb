//! Money as integers: smallest units shown with their decimals, never through floats.

/// `units` of an asset with `decimals` decimals, as a decimal string without trailing zeros
/// (`format_units(150_000_000, 8)` is `1.5`): the platform's own formatting of totals
/// ([`custodia_primitives::Total::to_decimal`]), never through floats.
pub fn format_units(units: u128, decimals: u8) -> String {
    custodia_primitives::Total::from_units(units).to_decimal(decimals)
}

/// Groups the integer part of a decimal string by thousands (`1234567.5` → `1,234,567.5`).
pub(crate) fn group(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(a, b)| (a, Some(b)));
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// Basis points as a percentage with two decimals (`10927` → `109.27%`).
pub(crate) fn percent(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    let a = bp.unsigned_abs();
    format!("{sign}{}.{:02}%", a / 100, a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_keep_every_digit() {
        assert_eq!(format_units(150_000_000, 8), "1.5");
        assert_eq!(format_units(1, 8), "0.00000001");
        assert_eq!(format_units(0, 6), "0");
        assert_eq!(format_units(1_000_000, 6), "1");
        assert_eq!(
            format_units(u128::MAX, 18),
            "340282366920938463463.374607431768211455"
        );
        assert_eq!(format_units(42, 0), "42");
    }

    #[test]
    fn grouping_and_percent() {
        assert_eq!(group("1234567.50"), "1,234,567.50");
        assert_eq!(group("123"), "123");
        assert_eq!(group("-1234"), "-1,234");
        assert_eq!(percent(10_927), "109.27%");
        assert_eq!(percent(9_699), "96.99%");
        assert_eq!(percent(-5), "-0.05%");
    }
}
