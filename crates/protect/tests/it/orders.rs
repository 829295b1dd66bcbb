//! The order check per channel and order type: a running cooling-off refuses every order that
//! opens or increases a derivatives position on every channel and lets reduce-only and closing
//! orders through; the new-account caps; bad input.

use custodia_events::Timestamp;
use custodia_protect::{
    AccountFacts, Channel, CoolingOff, DAY_MS, Effect, NewAccountPolicy, Order, OrderInput,
    ProtectError, check_order, effect, parse_leverage,
};

const NOW: Timestamp = Timestamp::from_millis(1_767_225_600_000);

fn input(
    channel: &str,
    product: &str,
    side: &str,
    pos_side: &str,
    size: &str,
    position: &str,
    reduce_only: bool,
) -> OrderInput {
    OrderInput {
        user: "alice".into(),
        channel: channel.into(),
        product: product.into(),
        instrument: "BTC-USDT-SWAP".into(),
        side: side.into(),
        pos_side: pos_side.into(),
        size: size.into(),
        reduce_only,
        position: position.into(),
        leverage: "3".into(),
        position_usd_cents: 100_000,
        order_usd_cents: 100_000,
    }
}

/// An old account that passed the knowledge check: only the cooling-off speaks.
fn veteran() -> AccountFacts {
    AccountFacts {
        opened_at: Some(NOW.minus_millis(400 * DAY_MS)),
        knowledge_at: Some(NOW.minus_millis(300 * DAY_MS)),
    }
}

fn cooling() -> Option<CoolingOff> {
    Some(CoolingOff {
        started_at: NOW.minus_millis(DAY_MS),
        until: NOW.plus_millis(6 * DAY_MS),
    })
}

/// Checks one order: its effect and whether it passes, with and without a cooling-off.
fn check(i: OrderInput, want_effect: Effect, allowed_while_cooling: bool) {
    let o = Order::parse(&i).unwrap_or_else(|e| panic!("{i:?}: {e}"));
    assert_eq!(effect(&o), want_effect, "{i:?}");
    let d = check_order(&NewAccountPolicy::default(), cooling(), veteran(), NOW, &o);
    assert_eq!(d.allowed(), allowed_while_cooling, "{i:?}: {:?}", d.reasons);
    if !d.allowed() {
        assert_eq!(d.reasons[0].code(), "cooling_off");
        assert!(
            d.reasons[0]
                .detail()
                .contains("reduce-only and closing orders are accepted")
        );
    }
    // The twin: without a cooling-off (or after it ends) every order passes.
    assert!(check_order(&NewAccountPolicy::default(), None, veteran(), NOW, &o).allowed());
    let ended = cooling().map(|c| c.until);
    assert!(
        check_order(
            &NewAccountPolicy::default(),
            cooling(),
            veteran(),
            ended.unwrap(),
            &o
        )
        .allowed()
    );
}

#[test]
fn every_channel_refuses_opening_and_passes_closing() {
    for ch in Channel::ALL {
        let c = ch.as_str();
        for product in ["perpetual", "futures", "options"] {
            // Net mode.
            check(
                input(c, product, "buy", "net", "5", "0", false),
                Effect::Open,
                false,
            );
            check(
                input(c, product, "buy", "net", "5", "10", false),
                Effect::Increase,
                false,
            );
            check(
                input(c, product, "sell", "net", "5", "-10", false),
                Effect::Increase,
                false,
            );
            check(
                input(c, product, "sell", "net", "5", "10", false),
                Effect::Reduce,
                true,
            );
            check(
                input(c, product, "sell", "net", "10", "10", false),
                Effect::Close,
                true,
            );
            check(
                input(c, product, "sell", "net", "15", "10", false),
                Effect::Flip,
                false,
            );
            check(
                input(c, product, "buy", "net", "15", "-10", true),
                Effect::Close,
                true,
            );
            check(
                input(c, product, "sell", "net", "3", "10", true),
                Effect::Reduce,
                true,
            );
            // Long/short mode.
            check(
                input(c, product, "buy", "long", "5", "0", false),
                Effect::Open,
                false,
            );
            check(
                input(c, product, "buy", "long", "5", "5", false),
                Effect::Increase,
                false,
            );
            check(
                input(c, product, "sell", "short", "5", "0", false),
                Effect::Open,
                false,
            );
            check(
                input(c, product, "sell", "long", "2", "5", false),
                Effect::Reduce,
                true,
            );
            check(
                input(c, product, "sell", "long", "5", "5", false),
                Effect::Close,
                true,
            );
            check(
                input(c, product, "buy", "short", "9", "5", false),
                Effect::Close,
                true,
            );
            check(
                input(c, product, "buy", "long", "5", "5", true),
                Effect::Close,
                true,
            );
        }
        // Spot and margin are not derivatives: a cooling-off does not touch them.
        check(
            input(c, "spot", "buy", "net", "5", "0", false),
            Effect::Open,
            true,
        );
        check(
            input(c, "margin", "sell", "short", "5", "0", false),
            Effect::Open,
            true,
        );
    }
}

#[test]
fn new_account_caps_per_product() {
    let policy = NewAccountPolicy::default();
    let young = AccountFacts {
        opened_at: Some(NOW.minus_millis(3 * DAY_MS)),
        knowledge_at: Some(NOW),
    };
    let unchecked = AccountFacts {
        opened_at: Some(NOW.minus_millis(400 * DAY_MS)),
        knowledge_at: None,
    };
    let order = |product: &str,
                 leverage: &str,
                 pos_usd: u64,
                 order_usd: u64,
                 side: &str,
                 position: &str| {
        let mut i = input("api", product, side, "net", "5", position, false);
        i.leverage = leverage.into();
        i.position_usd_cents = pos_usd;
        i.order_usd_cents = order_usd;
        Order::parse(&i).unwrap()
    };
    let codes = |facts, o: &Order| -> Vec<&'static str> {
        check_order(&policy, None, facts, NOW, o)
            .reasons
            .iter()
            .map(|r| r.code())
            .collect()
    };
    for facts in [young, unchecked, AccountFacts::default()] {
        // Perpetual: 5x and 10,000 USD.
        assert_eq!(
            codes(facts, &order("perpetual", "5", 0, 1_000_000, "buy", "0")),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes(facts, &order("perpetual", "5.01", 0, 1_000_000, "buy", "0")),
            ["new_account_leverage"]
        );
        assert_eq!(
            codes(
                facts,
                &order("perpetual", "20", 900_000, 200_000, "buy", "10")
            ),
            ["new_account_leverage", "new_account_position"]
        );
        // Reducing is never capped.
        assert_eq!(
            codes(
                facts,
                &order("perpetual", "20", 900_000, 200_000, "sell", "10")
            ),
            Vec::<&str>::new()
        );
        // A flip counts only what it opens on the other side.
        assert_eq!(
            codes(
                facts,
                &order("perpetual", "5", 500_000, 1_400_000, "sell", "4")
            ),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes(
                facts,
                &order("perpetual", "5", 500_000, 1_600_000, "sell", "4")
            ),
            ["new_account_position"]
        );
        // Margin 3x, options 1x.
        assert_eq!(
            codes(facts, &order("margin", "4", 0, 100, "buy", "0")),
            ["new_account_leverage"]
        );
        assert_eq!(
            codes(facts, &order("options", "1", 0, 200_001, "buy", "0")),
            ["new_account_position"]
        );
        // Spot has no cap.
        assert_eq!(
            codes(facts, &order("spot", "1", 0, 100_000_000, "buy", "0")),
            Vec::<&str>::new()
        );
    }
    // The twin: an old account that passed the check is not capped.
    assert_eq!(
        codes(
            veteran(),
            &order("perpetual", "100", 0, 100_000_000, "buy", "0")
        ),
        Vec::<&str>::new()
    );
    // Exactly 30 days old is old enough.
    let thirty = AccountFacts {
        opened_at: Some(NOW.minus_millis(30 * DAY_MS)),
        knowledge_at: Some(NOW),
    };
    assert!(
        check_order(
            &policy,
            None,
            thirty,
            NOW,
            &order("perpetual", "100", 0, 1, "buy", "0")
        )
        .allowed()
    );
    let almost = AccountFacts {
        opened_at: Some(NOW.minus_millis(30 * DAY_MS - 1)),
        knowledge_at: Some(NOW),
    };
    assert!(
        !check_order(
            &policy,
            None,
            almost,
            NOW,
            &order("perpetual", "100", 0, 1, "buy", "0")
        )
        .allowed()
    );
    // Cooling-off comes first when both refuse.
    let d = check_order(
        &policy,
        cooling(),
        young,
        NOW,
        &order("perpetual", "50", 0, 1, "buy", "0"),
    );
    assert_eq!(
        d.reasons.iter().map(|r| r.code()).collect::<Vec<_>>(),
        ["cooling_off", "new_account_leverage"]
    );
}

#[test]
fn leverage_parsing() {
    for (s, want) in [
        ("1", 100),
        ("5", 500),
        ("12.5", 1250),
        ("3.25", 325),
        ("1000", 100_000),
        ("0.99", 0),
    ] {
        match parse_leverage(s) {
            Ok(v) => assert_eq!(v, want, "{s}"),
            Err(_) => assert_eq!(want, 0, "{s} refused"),
        }
    }
    for bad in [
        "", "0", "1001", "5.", ".5", "5.123", "-2", "five", "1e2", "5,5",
    ] {
        assert!(parse_leverage(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn bad_orders_name_the_field() {
    let ok = input("web", "perpetual", "buy", "net", "5", "0", false);
    assert!(Order::parse(&ok).is_ok());
    let cases: Vec<(OrderInput, &str)> = vec![
        (
            OrderInput {
                user: "bad user".into(),
                ..ok.clone()
            },
            "invalid user id",
        ),
        (
            OrderInput {
                channel: "telegram".into(),
                ..ok.clone()
            },
            "channel must be one of",
        ),
        (
            OrderInput {
                product: "nft".into(),
                ..ok.clone()
            },
            "product must be one of",
        ),
        (
            OrderInput {
                side: "hold".into(),
                ..ok.clone()
            },
            "side must be one of",
        ),
        (
            OrderInput {
                pos_side: "both".into(),
                ..ok.clone()
            },
            "pos_side must be one of",
        ),
        (
            OrderInput {
                instrument: "".into(),
                ..ok.clone()
            },
            "instrument",
        ),
        (
            OrderInput {
                instrument: "BTC USDT".into(),
                ..ok.clone()
            },
            "instrument",
        ),
        (
            OrderInput {
                size: "0".into(),
                ..ok.clone()
            },
            "size: must be above zero",
        ),
        (
            OrderInput {
                size: "-1".into(),
                ..ok.clone()
            },
            "size",
        ),
        (
            OrderInput {
                size: "1.5".into(),
                ..ok.clone()
            },
            "size",
        ),
        (
            OrderInput {
                size: "9".repeat(32),
                ..ok.clone()
            },
            "size",
        ),
        (
            OrderInput {
                position: "ten".into(),
                ..ok.clone()
            },
            "position",
        ),
        (
            OrderInput {
                pos_side: "long".into(),
                position: "-3".into(),
                ..ok.clone()
            },
            "never negative",
        ),
        (
            OrderInput {
                product: "spot".into(),
                pos_side: "long".into(),
                ..ok.clone()
            },
            "spot orders",
        ),
        (
            OrderInput {
                leverage: "0".into(),
                ..ok.clone()
            },
            "leverage",
        ),
    ];
    for (i, want) in cases {
        let e: ProtectError = Order::parse(&i).unwrap_err();
        assert!(e.to_string().contains(want), "{i:?}: {e}");
    }
}
