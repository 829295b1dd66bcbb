//! The round-bound ownership message every wallet signs.
//!
//! ```text
//! Custodia proof of reserves | <exchange> | round <id> | height <h> | <address>
//! ```
//!
//! The verifier never trusts the message written in the wallet file: it rebuilds the expected
//! message from its own parameters (exchange name, the round being verified, the row's height,
//! which must be the chain's pinned snapshot height, and the canonical address) and checks the
//! signature over *that*. The file's message is compared first only to give a precise reason.

use crate::{ReservesError, WalletRejection};

/// First field of every ownership message.
pub const MESSAGE_PREFIX: &str = "Custodia proof of reserves";
/// Field separator.
pub const SEPARATOR: &str = " | ";
/// Longest exchange name or round id accepted, in bytes.
pub const MAX_LABEL_LEN: usize = 64;

/// The message the owner of `address` signs for `round` of `exchange` at block `height`.
///
/// `address` must be the canonical spelling ([`crate::chain`]): EIP-55 for EVM chains, lower
/// case for bech32, base58 as is.
pub fn ownership_message(exchange: &str, round: &str, height: u64, address: &str) -> String {
    format!(
        "{MESSAGE_PREFIX}{SEPARATOR}{exchange}{SEPARATOR}round {round}{SEPARATOR}height {height}{SEPARATOR}{address}"
    )
}

/// Checks an exchange name or round id: 1 to [`MAX_LABEL_LEN`] bytes, printable, no `|`, no
/// leading or trailing space (so that the message splits back unambiguously).
pub fn check_label(kind: &'static str, value: &str) -> Result<(), ReservesError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_LABEL_LEN
        && value.trim() == value
        && !value.chars().any(|c| c == '|' || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(ReservesError::BadLabel {
            kind,
            value: value.to_owned(),
            max: MAX_LABEL_LEN,
        })
    }
}

/// Compares the row's message with the expected one and says precisely what differs.
pub(crate) fn check_message(
    got: &str,
    exchange: &str,
    round: &str,
    height: u64,
    address: &str,
) -> Result<(), WalletRejection> {
    let expected = ownership_message(exchange, round, height, address);
    if got == expected {
        return Ok(());
    }
    if got.is_empty() {
        return Err(WalletRejection::MissingMessage);
    }
    let parts: Vec<&str> = got.split(SEPARATOR).collect();
    let round_got = parts.get(2).and_then(|p| p.strip_prefix("round "));
    let height_got = parts.get(3).and_then(|p| p.strip_prefix("height "));
    match (parts.as_slice(), round_got, height_got) {
        ([prefix, ex, _, _, addr], Some(r), Some(h)) if *prefix == MESSAGE_PREFIX => {
            if *ex != exchange {
                Err(WalletRejection::WrongExchange {
                    expected: exchange.to_owned(),
                    got: (*ex).to_owned(),
                })
            } else if r != round {
                Err(WalletRejection::WrongRound {
                    expected: round.to_owned(),
                    got: r.to_owned(),
                })
            } else if h != height.to_string() {
                Err(WalletRejection::MessageHeight {
                    expected: height,
                    got: h.to_owned(),
                })
            } else if *addr != address {
                Err(WalletRejection::MessageAddress {
                    expected: address.to_owned(),
                    got: (*addr).to_owned(),
                })
            } else {
                // Unreachable in practice (every field matched), kept total.
                Err(WalletRejection::MessageMismatch {
                    expected,
                    got: got.to_owned(),
                })
            }
        }
        _ => Err(WalletRejection::MessageMismatch {
            expected,
            got: got.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EX: &str = "Acme Exchange";

    fn check(got: &str, expect: Result<(), &str>) {
        let r = check_message(got, EX, "2026-11", 840_000, "bc1qexample");
        assert_eq!(r.map_err(|e| e.code()), expect, "message {got:?}");
    }

    #[test]
    fn message_shape() {
        assert_eq!(
            ownership_message(EX, "2026-11", 840_000, "bc1qexample"),
            "Custodia proof of reserves | Acme Exchange | round 2026-11 | height 840000 | bc1qexample"
        );
    }

    #[test]
    fn every_field_mismatch_has_its_own_reason() {
        let ok = "Custodia proof of reserves | Acme Exchange | round 2026-11 | height 840000 | bc1qexample";
        check(ok, Ok(()));
        check(
            "Custodia proof of reserves | Other | round 2026-11 | height 840000 | bc1qexample",
            Err("wrong_exchange"),
        );
        check(
            "Custodia proof of reserves | Acme Exchange | round 2026-10 | height 840000 | bc1qexample",
            Err("wrong_round"),
        );
        check(
            "Custodia proof of reserves | Acme Exchange | round 2026-11 | height 839999 | bc1qexample",
            Err("message_height"),
        );
        check(
            "Custodia proof of reserves | Acme Exchange | round 2026-11 | height 840000 | bc1qother",
            Err("message_address"),
        );
        check("", Err("missing_message"));
        check("I am an OKX address", Err("message_mismatch"));
        check(&format!("{ok} "), Err("message_address"));
        check(&format!("{ok} | extra"), Err("message_mismatch"));
        check(
            "custodia proof of reserves | Acme Exchange | round 2026-11 | height 840000 | bc1qexample",
            Err("message_mismatch"),
        );
    }

    #[test]
    fn labels() {
        assert!(check_label("exchange name", "Acme Exchange").is_ok());
        for bad in ["", " Acme", "Acme ", "A|B", "A\nB", &"x".repeat(65)] {
            assert!(check_label("exchange name", bad).is_err(), "{bad:?}");
        }
    }
}
