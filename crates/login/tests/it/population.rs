//! A synthetic month: 1,000 normal users (homes in ten countries, two logins a day, some
//! travelling, some buying a new phone, some using a VPN at home) must produce at most 1% step-ups;
//! takeovers slipped into the same month must not pass.

use custodia_events::Timestamp;
use custodia_login::{
    Decision, Facts, Feature, GeoInfo, LastLogin, NetworkKind, Observation, Position, Profile,
    RulePolicy, ScoreModel, decide, score,
};

const DAY: i64 = 86_400_000;
const HALF_LIFE: i64 = 90 * DAY;
const T0: i64 = 1_767_225_600_000;

/// A small deterministic generator (xorshift64*), so the month is the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const CITIES: &[(&str, u32, f64, f64)] = &[
    ("FR", 3215, 48.86, 2.35),
    ("DE", 3320, 52.52, 13.40),
    ("US", 7922, 40.71, -74.0),
    ("JP", 2516, 35.68, 139.69),
    ("BR", 28573, -23.55, -46.63),
    ("IN", 9829, 28.61, 77.21),
    ("GB", 2856, 51.51, -0.13),
    ("SG", 7473, 1.35, 103.82),
    ("KR", 4766, 37.57, 126.98),
    ("NG", 37148, 6.52, 3.38),
];

struct Login {
    at: i64,
    city: usize,
    device: String,
    agent: &'static str,
    vpn: bool,
}

fn obs(l: &Login, asn: u32) -> Observation {
    let c = CITIES[l.city];
    let mut o = Observation::new();
    o.insert(Feature::Country, c.0.to_owned());
    o.insert(Feature::Asn, asn.to_string());
    o.insert(Feature::Device, l.device.clone());
    o.insert(Feature::Agent, l.agent.to_owned());
    o.insert(
        Feature::Hour,
        format!("h{}", (l.at / 3_600_000).rem_euclid(24) / 3),
    );
    o
}

struct Outcome {
    logins: u64,
    stepped_up: u64,
    blocked: u64,
}

/// Runs one user's logins through score → decide → learn (a stepped-up login that passes its
/// second factor is learnt too, as a deployment does).
fn run_user(
    logins: &[Login],
    user: &mut Profile,
    pop: &mut Profile,
    model: &ScoreModel,
    rules: &RulePolicy,
    out: &mut Outcome,
) -> Vec<Decision> {
    let mut decisions = Vec::new();
    for l in logins {
        let (_, asn, lat, lon) = CITIES[l.city];
        let asn = if l.vpn { 60_068 } else { asn };
        let o = obs(l, asn);
        let (s, parts) = score(model, user, pop, &o);
        let geo = GeoInfo {
            country: custodia_login::Country::parse(if l.vpn { "NL" } else { CITIES[l.city].0 }),
            asn: Some(asn),
            position: if l.vpn {
                Position::new(52.37, 4.90)
            } else {
                Position::new(lat, lon)
            },
            network: NetworkKind {
                vpn: l.vpn,
                ..NetworkKind::default()
            },
        };
        let f = Facts {
            at: Timestamp::from_millis(l.at),
            geo,
            score: (s, &parts),
            last_success: user.last_success,
            locked_until: None,
            bad_ip: false,
            accounts_failed_from_ip: 0,
            accounts_failed_from_subnet: 0,
            stuffing_accounts: 20,
            spraying_accounts: 50,
        };
        let a = decide(rules, &f);
        out.logins += 1;
        match a.decision {
            Decision::Allow => {}
            Decision::StepUp => out.stepped_up += 1,
            Decision::Block => out.blocked += 1,
        }
        decisions.push(a.decision);
        if a.decision != Decision::Block {
            let at = Timestamp::from_millis(l.at);
            user.observe(&o, at, HALF_LIFE);
            pop.observe(&o, at, HALF_LIFE);
            if !l.vpn {
                user.last_success = Some(LastLogin {
                    at_ms: l.at,
                    lat: Some(lat),
                    lon: Some(lon),
                });
            }
        }
    }
    decisions
}

#[test]
fn a_month_of_normal_users_gets_at_most_one_percent_step_ups_and_takeovers_do_not_pass() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let model = ScoreModel::default();
    let rules = RulePolicy::default();
    let mut pop = Profile::default();
    let mut users: Vec<(usize, Profile)> = Vec::new();
    // Two weeks of history before the month, so profiles exist (cold start is tested apart).
    let mut warm = Outcome {
        logins: 0,
        stepped_up: 0,
        blocked: 0,
    };
    for u in 0..1000 {
        let home = u % CITIES.len();
        let mut p = Profile::default();
        let history: Vec<Login> = (0..28)
            .map(|i| Login {
                at: T0 - 14 * DAY + i * DAY / 2 + rng.below(3_600_000) as i64,
                city: home,
                device: format!("u{u}-laptop"),
                agent: "chrome/windows",
                vpn: false,
            })
            .collect();
        run_user(&history, &mut p, &mut pop, &model, &rules, &mut warm);
        users.push((home, p));
    }
    let mut month = Outcome {
        logins: 0,
        stepped_up: 0,
        blocked: 0,
    };
    for (u, (home, profile)) in users.iter_mut().enumerate() {
        let travels = rng.chance(8);
        let new_phone = rng.chance(10);
        let vpn_user = rng.chance(15);
        let trip_start = T0 + (5 + rng.below(15) as i64) * DAY;
        let dest = (*home + 1 + rng.below(CITIES.len() as u64 - 1) as usize) % CITIES.len();
        let phone_day = T0 + (3 + rng.below(20) as i64) * DAY;
        let mut logins = Vec::new();
        for d in 0..30 {
            for slot in 0..2 {
                let at = T0 + d * DAY + slot * DAY / 2 + rng.below(3_600_000) as i64;
                // Flights take hours: the first login abroad is the next day.
                let away = travels && at >= trip_start + DAY && at < trip_start + 5 * DAY;
                let phone = new_phone && at >= phone_day && slot == 1;
                logins.push(Login {
                    at,
                    city: if away { dest } else { *home },
                    device: if phone {
                        format!("u{u}-phone")
                    } else {
                        format!("u{u}-laptop")
                    },
                    agent: if phone {
                        "safari/ios"
                    } else {
                        "chrome/windows"
                    },
                    vpn: vpn_user && !away && rng.chance(30),
                });
            }
        }
        run_user(&logins, profile, &mut pop, &model, &rules, &mut month);
    }
    let rate = month.stepped_up as f64 / month.logins as f64;
    println!(
        "normal month: {} logins, {} stepped up ({:.3}%), {} blocked",
        month.logins,
        month.stepped_up,
        rate * 100.0,
        month.blocked
    );
    assert!(rate <= 0.01, "step-up rate {rate}");
    assert_eq!(month.blocked, 0, "a normal user was blocked");

    // Takeovers in the same world: minutes after a home login, from another continent, on a
    // device and browser the user never used.
    let mut caught = 0;
    for (u, (home, profile)) in users.iter_mut().enumerate().take(200) {
        let last = profile.last_success.unwrap().at_ms;
        let far = (*home + 5) % CITIES.len();
        let attack = [Login {
            at: last + 10 * 60_000,
            city: far,
            device: format!("attacker-{u}"),
            agent: "firefox/linux",
            vpn: false,
        }];
        let mut out = Outcome {
            logins: 0,
            stepped_up: 0,
            blocked: 0,
        };
        let d = run_user(&attack, profile, &mut pop, &model, &rules, &mut out);
        if d[0] != Decision::Allow {
            caught += 1;
        }
    }
    assert_eq!(caught, 200, "every takeover is stepped up or blocked");

    // The twin: other users minutes later behind a VPN at home (exit abroad) are never blocked:
    // no travel is inferred from a VPN exit. (A first VPN use is a new country and network for
    // the user and may step up once; the month above shows how rarely.)
    for (u, (home, profile)) in users.iter_mut().enumerate().skip(200).take(200) {
        let last = profile.last_success.unwrap().at_ms;
        let vpn = [Login {
            at: last + 10 * 60_000,
            city: *home,
            device: format!("u{u}-laptop"),
            agent: "chrome/windows",
            vpn: true,
        }];
        let mut out = Outcome {
            logins: 0,
            stepped_up: 0,
            blocked: 0,
        };
        let d = run_user(&vpn, profile, &mut pop, &model, &rules, &mut out);
        assert_ne!(d[0], Decision::Block, "user {u} behind a VPN");
    }
}
