//! Allocation-free exact decimal formatting for the writers' hot loops.

/// `10^k` for `k` in `0..=19`.
const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut k = 1;
    while k < 20 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// Appends `units` smallest units at `decimals` decimals, exactly as
/// [`custodia_primitives::Amount::to_decimal`] renders it (`"0"`, `"12"`, `"0.5"`: trailing
/// fractional zeros trimmed), without allocating.
pub(crate) fn write_units(out: &mut Vec<u8>, units: u64, decimals: u8) {
    if units == 0 {
        out.push(b'0');
        return;
    }
    let d = usize::from(decimals);
    if d >= POW10.len() {
        // 10^d exceeds every u64: the integer part is zero.
        let digits = digits_of(units);
        out.extend_from_slice(b"0.");
        out.resize(out.len() + d - digits.len(), b'0');
        out.extend_from_slice(trim_zeros(&digits));
        return;
    }
    let scale = POW10[d];
    let (int, frac) = (units / scale, units % scale);
    out.extend_from_slice(&digits_of(int));
    if frac != 0 {
        out.push(b'.');
        let digits = digits_of(frac);
        out.resize(out.len() + d - digits.len(), b'0');
        out.extend_from_slice(trim_zeros(&digits));
    }
}

/// Decimal digits of `v` (`"0"` for zero), on the stack.
fn digits_of(mut v: u64) -> Digits {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    Digits { buf, start: i }
}

struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl core::ops::Deref for Digits {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let end = d.iter().rposition(|&b| b != b'0').map_or(0, |p| p + 1);
    &d[..end]
}

#[cfg(test)]
mod tests {
    use custodia_primitives::Amount;
    use proptest::prelude::*;

    use super::*;

    fn render(units: u64, decimals: u8) -> String {
        let mut out = Vec::new();
        write_units(&mut out, units, decimals);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn renders_like_to_decimal() {
        assert_eq!(render(0, 8), "0");
        assert_eq!(render(1, 8), "0.00000001");
        assert_eq!(render(150_000_000, 8), "1.5");
        assert_eq!(render(120, 0), "120");
        assert_eq!(render(1, 18), "0.000000000000000001");
        assert_eq!(render(Amount::MAX.units(), 18), "4.611686018427387903");
        assert_eq!(render(10, 1), "1");
    }

    proptest! {
        #[test]
        fn matches_amount_to_decimal(units in 0u64..(1 << 62), decimals in 0u8..=18) {
            let a = Amount::new(units).unwrap();
            prop_assert_eq!(render(units, decimals), a.to_decimal(decimals));
        }
    }
}
