//! The order check: what an order does to the user's position, and whether the cooling-off
//! period or the new-account caps refuse it. Pure functions over facts the service reads from
//! the store; the channel is an input and no channel is exempt.

use std::collections::BTreeMap;

use custodia_events::Timestamp;
use custodia_primitives::AccountId;
use serde::{Deserialize, Serialize};

use crate::ProtectError;
use crate::cooling::{CoolingOff, DAY_MS};
use crate::error::clip;

macro_rules! words {
    ($(#[$m:meta])* $name:ident, $field:literal, { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            const EXPECTED: &'static str = concat!($($s, " "),+);

            /// The stable name (events, JSON, configuration).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            /// Reads the stable name.
            pub fn parse(s: &str) -> Result<Self, ProtectError> {
                match s {
                    $($s => Ok($name::$v),)+
                    _ => Err(ProtectError::Word {
                        field: $field,
                        expected: Self::EXPECTED.trim_ascii_end(),
                        got: clip(s, 32),
                    }),
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

words!(
    /// Where an order comes from. Every channel is checked: the cooling-off binds all of them.
    Channel, "channel", {
        /// The web site.
        Web = "web",
        /// The mobile app.
        App = "app",
        /// REST with an API key.
        Api = "api",
        /// The WebSocket order API.
        WebSocket = "websocket",
        /// The exchange's trading bots (grid, DCA, …).
        Bot = "bot",
        /// Copy trading (the follower's order).
        CopyTrading = "copy_trading",
        /// A broker's app through OAuth.
        BrokerOauth = "broker_oauth",
        /// Strategy orders (TP/SL, iceberg, TWAP) when they fire.
        Strategy = "strategy",
    }
);

words!(
    /// The product traded.
    Product, "product", {
        /// Spot.
        Spot = "spot",
        /// Margin (borrowed spot).
        Margin = "margin",
        /// Perpetual swaps.
        Perpetual = "perpetual",
        /// Expiry (delivery) futures.
        Futures = "futures",
        /// Options.
        Options = "options",
    }
);

words!(
    /// Buy or sell.
    Side, "side", {
        /// Buy.
        Buy = "buy",
        /// Sell.
        Sell = "sell",
    }
);

words!(
    /// Position mode of the order: one net position, or long and short held apart.
    PosSide, "pos_side", {
        /// Net mode: the order moves one signed position.
        Net = "net",
        /// Long/short mode, the long side.
        Long = "long",
        /// Long/short mode, the short side.
        Short = "short",
    }
);

impl Product {
    /// Perpetuals, futures and options: what the cooling-off suspends.
    pub fn is_derivative(self) -> bool {
        matches!(
            self,
            Product::Perpetual | Product::Futures | Product::Options
        )
    }
}

/// What an order does to the position it trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Opens a position where there was none.
    Open,
    /// Makes an existing position larger.
    Increase,
    /// Makes it smaller (reduce-only orders, partial closes).
    Reduce,
    /// Closes it exactly.
    Close,
    /// Closes it and opens the other side with the rest (net mode).
    Flip,
}

impl Effect {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Open => "open",
            Effect::Increase => "increase",
            Effect::Reduce => "reduce",
            Effect::Close => "close",
            Effect::Flip => "flip",
        }
    }

    /// Whether the order takes on risk (opens, increases, or flips into a new position).
    pub fn adds_risk(self) -> bool {
        matches!(self, Effect::Open | Effect::Increase | Effect::Flip)
    }
}

/// An order as the exchange's order path reports it, before validation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderInput {
    /// Account id.
    pub user: String,
    /// [`Channel`] name.
    pub channel: String,
    /// [`Product`] name.
    pub product: String,
    /// Instrument (`BTC-USDT-SWAP`).
    pub instrument: String,
    /// `buy` or `sell`.
    pub side: String,
    /// `net`, `long` or `short`.
    pub pos_side: String,
    /// Size in contracts or base units, a whole number above zero.
    pub size: String,
    /// Whether the order may only reduce.
    pub reduce_only: bool,
    /// The position before the order, in the same units: signed in net mode (negative = short),
    /// the side's size in long/short mode.
    pub position: String,
    /// Leverage as a decimal with at most two places (`"5"`, `"12.5"`).
    pub leverage: String,
    /// The position's notional before the order, USD cents.
    pub position_usd_cents: u64,
    /// The order's notional, USD cents.
    pub order_usd_cents: u64,
}

/// A validated order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The account.
    pub user: AccountId,
    /// Where it came from.
    pub channel: Channel,
    /// What it trades.
    pub product: Product,
    /// The instrument.
    pub instrument: String,
    /// Buy or sell.
    pub side: Side,
    /// Position mode.
    pub pos_side: PosSide,
    /// Size, above zero.
    pub size: u128,
    /// Reduce-only flag.
    pub reduce_only: bool,
    /// Position before the order (signed in net mode, at least zero otherwise).
    pub position: i128,
    /// Leverage in hundredths (`500` = 5×).
    pub leverage_x100: u32,
    /// Position notional before, USD cents.
    pub position_usd_cents: u64,
    /// Order notional, USD cents.
    pub order_usd_cents: u64,
}

/// Largest size or position accepted (2^100: far beyond any real book, far from overflow).
const MAX_SIZE: u128 = 1 << 100;

/// Reads a leverage such as `"5"`, `"12.5"` or `"3.25"` into hundredths (1×–1000×).
pub fn parse_leverage(s: &str) -> Result<u32, ProtectError> {
    let bad = || ProtectError::Number {
        field: "leverage",
        reason: format!(
            "a decimal from 1 to 1000 with at most two places, got {:?}",
            clip(s, 16)
        ),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| !t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (s.contains('.') && (!digits(frac) || frac.len() > 2)) {
        return Err(bad());
    }
    let w: u32 = whole.parse().map_err(|_| bad())?;
    let f: u32 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u32>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    let v = w * 100 + f;
    if !(100..=100_000).contains(&v) {
        return Err(bad());
    }
    Ok(v)
}

fn whole(field: &'static str, s: &str, signed: bool) -> Result<i128, ProtectError> {
    let bad = || ProtectError::Number {
        field,
        reason: format!(
            "a whole number{} of at most 31 digits, got {:?}",
            if signed { ", signed," } else { "" },
            clip(s, 40)
        ),
    };
    let body = if signed {
        s.strip_prefix('-').unwrap_or(s)
    } else {
        s
    };
    if body.is_empty() || body.len() > 31 || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let v: i128 = s.parse().map_err(|_| bad())?;
    if v.unsigned_abs() > MAX_SIZE {
        return Err(bad());
    }
    Ok(v)
}

impl Order {
    /// Validates every field; the first bad one is named.
    pub fn parse(input: &OrderInput) -> Result<Order, ProtectError> {
        let user = AccountId::new(input.user.as_str()).map_err(|e| ProtectError::User {
            reason: e.to_string(),
        })?;
        let channel = Channel::parse(&input.channel)?;
        let product = Product::parse(&input.product)?;
        let i = &input.instrument;
        if i.is_empty()
            || i.len() > 64
            || !i
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
        {
            return Err(ProtectError::Instrument { got: clip(i, 64) });
        }
        let side = Side::parse(&input.side)?;
        let pos_side = PosSide::parse(&input.pos_side)?;
        let size = whole("size", &input.size, false)?;
        if size == 0 {
            return Err(ProtectError::Number {
                field: "size",
                reason: "must be above zero".into(),
            });
        }
        let position = whole("position", &input.position, true)?;
        if pos_side != PosSide::Net && position < 0 {
            return Err(ProtectError::Position {
                reason: "in long/short mode the position is the side's size, never negative",
            });
        }
        if matches!(product, Product::Spot) && pos_side != PosSide::Net {
            return Err(ProtectError::Position {
                reason: "spot orders have no long or short side: use `net`",
            });
        }
        Ok(Order {
            user,
            channel,
            product,
            instrument: i.clone(),
            side,
            pos_side,
            size: size.unsigned_abs(),
            reduce_only: input.reduce_only,
            position,
            leverage_x100: parse_leverage(&input.leverage)?,
            position_usd_cents: input.position_usd_cents,
            order_usd_cents: input.order_usd_cents,
        })
    }
}

/// What `order` does to its position.
///
/// Long/short mode: buying the long side (selling the short side) opens or increases it, the
/// other direction reduces or closes it. Net mode: the signed size moves the signed position;
/// going through zero is a flip (a new position on the other side). A reduce-only order never
/// adds risk: the matching engine trims it to the position.
pub fn effect(order: &Order) -> Effect {
    let size = order.size as i128;
    let reducing = |pos: i128| {
        if size >= pos {
            Effect::Close
        } else {
            Effect::Reduce
        }
    };
    let adding = |pos: i128| {
        if pos == 0 {
            Effect::Open
        } else {
            Effect::Increase
        }
    };
    match order.pos_side {
        PosSide::Long | PosSide::Short if order.reduce_only => reducing(order.position),
        PosSide::Long => match order.side {
            Side::Buy => adding(order.position),
            Side::Sell => reducing(order.position),
        },
        PosSide::Short => match order.side {
            Side::Sell => adding(order.position),
            Side::Buy => reducing(order.position),
        },
        PosSide::Net => {
            let delta = match order.side {
                Side::Buy => size,
                Side::Sell => -size,
            };
            let pos = order.position;
            if order.reduce_only {
                return reducing(pos.abs());
            }
            if pos == 0 {
                Effect::Open
            } else if (pos > 0) == (delta > 0) {
                Effect::Increase
            } else {
                match size.cmp(&pos.abs()) {
                    core::cmp::Ordering::Less => Effect::Reduce,
                    core::cmp::Ordering::Equal => Effect::Close,
                    core::cmp::Ordering::Greater => Effect::Flip,
                }
            }
        }
    }
}

/// Caps on one product for protected accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCap {
    /// Highest leverage, in hundredths (`500` = 5×).
    pub max_leverage_x100: u32,
    /// Largest position notional after the order, USD cents.
    pub max_position_usd_cents: u64,
}

/// New-account protection: caps for accounts younger than `min_age_days`, or that have not
/// passed the derivatives knowledge check, per product (a product without a cap is not capped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccountPolicy {
    /// Accounts younger than this are capped.
    pub min_age_days: u32,
    /// Whether accounts that have not passed the knowledge check are capped too.
    pub require_knowledge_check: bool,
    /// The caps per product.
    pub caps: BTreeMap<Product, ProductCap>,
}

impl Default for NewAccountPolicy {
    fn default() -> Self {
        let cap = |x: u32, usd: u64| ProductCap {
            max_leverage_x100: x * 100,
            max_position_usd_cents: usd * 100,
        };
        Self {
            min_age_days: 30,
            require_knowledge_check: true,
            caps: BTreeMap::from([
                (Product::Margin, cap(3, 5_000)),
                (Product::Perpetual, cap(5, 10_000)),
                (Product::Futures, cap(5, 10_000)),
                (Product::Options, cap(1, 2_000)),
            ]),
        }
    }
}

/// What the store knows of the account, for the caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountFacts {
    /// When the account was opened (`None`: the exchange never registered it).
    pub opened_at: Option<Timestamp>,
    /// When it passed the derivatives knowledge check.
    pub knowledge_at: Option<Timestamp>,
}

/// Why an order is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenyReason {
    /// The user's cooling-off period is running.
    CoolingOff {
        /// When it ends.
        until: Timestamp,
    },
    /// Leverage above the protected-account cap.
    NewAccountLeverage {
        /// The cap, hundredths.
        max_x100: u32,
        /// The order's, hundredths.
        got_x100: u32,
    },
    /// Position after the order above the protected-account cap.
    NewAccountPosition {
        /// The cap, USD cents.
        max_usd_cents: u64,
        /// After the order, USD cents.
        got_usd_cents: u64,
    },
}

impl DenyReason {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            DenyReason::CoolingOff { .. } => "cooling_off",
            DenyReason::NewAccountLeverage { .. } => "new_account_leverage",
            DenyReason::NewAccountPosition { .. } => "new_account_position",
        }
    }

    /// The facts in words, for the user.
    pub fn detail(&self) -> String {
        let x = |v: u32| format!("{}.{:02}x", v / 100, v % 100);
        let usd = |c: u64| format!("{}.{:02} USD", c / 100, c % 100);
        match self {
            DenyReason::CoolingOff { until } => format!(
                "your derivatives cooling-off period runs until {until}: orders that open or \
                 increase a position are refused; reduce-only and closing orders are accepted"
            ),
            DenyReason::NewAccountLeverage { max_x100, got_x100 } => format!(
                "new accounts may use at most {} leverage on this product, the order asks {}",
                x(*max_x100),
                x(*got_x100)
            ),
            DenyReason::NewAccountPosition {
                max_usd_cents,
                got_usd_cents,
            } => format!(
                "new accounts may hold at most {} on this product, the order would make {}",
                usd(*max_usd_cents),
                usd(*got_usd_cents)
            ),
        }
    }
}

/// The order check's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDecision {
    /// What the order does.
    pub effect: Effect,
    /// Why it is refused, cooling-off first; empty: allowed.
    pub reasons: Vec<DenyReason>,
    /// Whether the account is under the new-account caps.
    pub protected_account: bool,
}

impl OrderDecision {
    /// Allowed when nothing refuses it.
    pub fn allowed(&self) -> bool {
        self.reasons.is_empty()
    }
}

/// The check itself: cooling-off first (derivatives that add risk, every channel), then the
/// new-account caps (every capped product, orders that add risk).
pub fn check_order(
    policy: &NewAccountPolicy,
    cooling: Option<CoolingOff>,
    account: AccountFacts,
    now: Timestamp,
    order: &Order,
) -> OrderDecision {
    let eff = effect(order);
    let mut reasons = Vec::new();
    if order.product.is_derivative()
        && eff.adds_risk()
        && let Some(c) = cooling.filter(|c| c.active_at(now))
    {
        reasons.push(DenyReason::CoolingOff { until: c.until });
    }
    let young = match account.opened_at {
        Some(t) => now.as_millis() - t.as_millis() < i64::from(policy.min_age_days) * DAY_MS,
        // Fail closed: an account the exchange never registered is treated as new.
        None => true,
    };
    let unchecked = policy.require_knowledge_check && account.knowledge_at.is_none();
    let protected_account = young || unchecked;
    if protected_account
        && eff.adds_risk()
        && let Some(cap) = policy.caps.get(&order.product)
    {
        if order.leverage_x100 > cap.max_leverage_x100 {
            reasons.push(DenyReason::NewAccountLeverage {
                max_x100: cap.max_leverage_x100,
                got_x100: order.leverage_x100,
            });
        }
        let after = match eff {
            Effect::Increase => order
                .position_usd_cents
                .saturating_add(order.order_usd_cents),
            Effect::Flip => order
                .order_usd_cents
                .saturating_sub(order.position_usd_cents),
            _ => order.order_usd_cents,
        };
        if after > cap.max_position_usd_cents {
            reasons.push(DenyReason::NewAccountPosition {
                max_usd_cents: cap.max_position_usd_cents,
                got_usd_cents: after,
            });
        }
    }
    OrderDecision {
        effect: eff,
        reasons,
        protected_account,
    }
}
