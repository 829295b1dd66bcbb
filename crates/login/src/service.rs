//! The login defence's use cases: assess a login, screen a withdrawal, record security changes
//! and allowlists, keep the anti-phishing code. Generic over the storage port and the IP
//! lookup; time enters through `Clock`.

use std::sync::{Arc, Mutex, RwLock};

use custodia_events::{Audit, Clock, NewEvent, RepoError, Timestamp};
use custodia_primitives::AccountId;
use thiserror::Error;

use crate::brute::{BrutePolicy, SprayPolicy};
use crate::decide::{Assessment, Decision, Facts, Reason, RulePolicy, decide};
use crate::events::{AntiPhishingSet, LoginAssessed, SecurityChanged, WithdrawalScreened};
use crate::geo::{GeoInfo, GeoLookup};
use crate::input::{InputError, LoginInput, Outcome};
use crate::ports::{
    DestinationIntel, FailedLogin, LearnedLogin, LoginRepo, LoginState, WithdrawalRequest,
};

/// Most addresses of the user's history sent with one withdrawal.
pub const MAX_RECENT: usize = 1000;
use crate::profile::{Feature, Observation, Profile};
use crate::score::{FeatureRisk, ScoreModel, score};
use crate::withdraw::{SecurityChange, WithdrawDecision, WithdrawPolicy, WithdrawVerdict};

/// Seals and opens small secrets (the anti-phishing code) under the deployment's key; the
/// binary provides it (AES-256-GCM under the KEK).
pub trait Sealer: Send + Sync {
    /// Seals `plain`, bound to `aad`.
    fn seal(&self, plain: &[u8], aad: &[u8]) -> Vec<u8>;
    /// Opens what [`Sealer::seal`] made; `None` when it does not open.
    fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>>;
}

/// What a deployment configures.
#[derive(Debug, Clone)]
pub struct LoginSettings {
    /// The score's parameters.
    pub model: ScoreModel,
    /// The decision's thresholds.
    pub rules: RulePolicy,
    /// Brute-force locks.
    pub brute: BrutePolicy,
    /// Stuffing and spraying thresholds.
    pub spray: SprayPolicy,
    /// Withdrawal locks and limits.
    pub withdraw: WithdrawPolicy,
    /// Half-life of behavioural history.
    pub half_life_ms: i64,
    /// Largest accepted distance between a login's time and the service's clock.
    pub max_skew_ms: i64,
}

impl Default for LoginSettings {
    fn default() -> Self {
        Self {
            model: ScoreModel::default(),
            rules: RulePolicy::default(),
            brute: BrutePolicy::default(),
            spray: SprayPolicy::default(),
            withdraw: WithdrawPolicy::default(),
            half_life_ms: 90 * 86_400_000,
            max_skew_ms: 300_000,
        }
    }
}

/// Why a use case failed.
#[derive(Debug, Error)]
pub enum LoginServiceError {
    /// A field of the request is invalid.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The anti-phishing code breaks its rule.
    #[error("the anti-phishing code must be 4–20 letters or digits")]
    AntiPhishingCode,
    /// The asset symbol is malformed.
    #[error("asset must be 1–16 letters or digits, got {got:?}")]
    Asset {
        /// The first characters of what was sent.
        got: String,
    },
    /// Too many addresses of the user's history in one request.
    #[error("at most {max} addresses in the user's history, got {got}")]
    TooManyRecent {
        /// The limit.
        max: usize,
        /// What was sent.
        got: usize,
    },
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// A stored sealed code does not open (wrong key or tampered row).
    #[error("the stored anti-phishing code of {user} does not open")]
    Sealed {
        /// Whose.
        user: String,
    },
}

/// The login defence. One per process, shared behind an `Arc`.
pub struct LoginService<R, G> {
    repo: R,
    geo: G,
    intel: Arc<dyn DestinationIntel>,
    clock: Arc<dyn Clock>,
    settings: LoginSettings,
    /// The population's history as last loaded, plus what this instance learnt since.
    population: RwLock<Profile>,
    pending: Mutex<Vec<(Observation, Timestamp)>>,
}

fn actor() -> &'static str {
    "service:login"
}

impl<R: LoginRepo, G: GeoLookup> LoginService<R, G> {
    /// A service over `repo`, looking IPs up in `geo` and withdrawal destinations in `intel`.
    pub fn new(
        repo: R,
        geo: G,
        intel: Arc<dyn DestinationIntel>,
        clock: Arc<dyn Clock>,
        settings: LoginSettings,
    ) -> Self {
        Self {
            repo,
            geo,
            intel,
            clock,
            settings,
            population: RwLock::new(Profile::default()),
            pending: Mutex::new(Vec::new()),
        }
    }

    /// The storage.
    pub fn repo(&self) -> &R {
        &self.repo
    }

    /// The IP lookup.
    pub fn geo(&self) -> &G {
        &self.geo
    }

    /// The settings in force.
    pub fn settings(&self) -> &LoginSettings {
        &self.settings
    }

    /// The current time by the service's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Writes what this instance learnt about the population and reloads the shared history
    /// (call at start and periodically). The population is statistics over everyone: a few
    /// seconds' lag, or the loss of them in a crash, moves no decision by a measurable amount,
    /// and batching keeps every login from writing one shared row.
    pub async fn flush_population(&self) -> Result<(), RepoError> {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if !taken.is_empty()
            && let Err(e) = self
                .repo
                .merge_population(&taken, self.settings.half_life_ms)
                .await
        {
            self.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(taken);
            return Err(e);
        }
        let fresh = self.repo.population().await?;
        *self.population.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }

    /// Assesses one login and records it. A failed password moves the account's brute-force
    /// state (atomically, in the store) and counts towards the source's stuffing and spraying
    /// counters; a successful one is scored against the user's history and the hard rules, and
    /// learnt from only when allowed.
    pub async fn assess(
        &self,
        audit: &impl Audit,
        input: &LoginInput,
    ) -> Result<Assessment, LoginServiceError> {
        let g = self.gather(input).await?;
        let Gathered {
            geo,
            ip,
            subnet,
            obs,
            parts,
            ..
        } = &g;
        let (geo, ip, subnet, obs, parts) = (*geo, ip.clone(), subnet.as_str(), obs, parts);
        let brute = &self.settings.brute;
        let event_for = |a: &Assessment, revises: Option<Decision>| {
            NewEvent::typed(
                input.at,
                actor(),
                &format!("user:{}", input.user),
                &LoginAssessed {
                    user: input.user.as_str().to_owned(),
                    outcome: input.outcome.as_str().to_owned(),
                    decision: a.decision.as_str().to_owned(),
                    score: a.score,
                    reasons: a.reasons.iter().map(|r| r.code.to_owned()).collect(),
                    ip: ip.clone(),
                    country: geo.country.map(|c| c.as_str().to_owned()),
                    revises: revises.map(|d| d.as_str().to_owned()),
                },
            )
        };
        let mut facts = self.facts(input, &g);
        match input.outcome {
            Outcome::Failure => {
                // The password was wrong: only the lock and the source's counters matter.
                let failure = FailedLogin {
                    user: &input.user,
                    at: input.at,
                    ip: &ip,
                    subnet,
                    since: input.at.minus_millis(self.settings.spray.window_ms),
                };
                let provisional = failed(&self.settings.rules, &facts);
                let after = self
                    .repo
                    .record_failure(&failure, brute, event_for(&provisional, None))
                    .await?;
                // The counters as of the commit: failures recorded meanwhile by concurrent
                // requests (here or on other instances) count too.
                facts.locked_until = brute.locked(&after.brute, input.at);
                facts.accounts_failed_from_ip = after.accounts_failed_from_ip;
                facts.accounts_failed_from_subnet = after.accounts_failed_from_subnet;
                let a = failed(&self.settings.rules, &facts);
                if a.decision != provisional.decision {
                    // The failure itself tipped a lock: say so in the log as well.
                    audit.record_repeatable(
                        format!("login:{}:{}", input.user, a.decision),
                        event_for(&a, Some(provisional.decision)),
                    );
                }
                Ok(a)
            }
            Outcome::Success => {
                let a = decide(&self.settings.rules, &facts);
                if a.decision == Decision::Allow {
                    let new_device = parts
                        .iter()
                        .any(|p| p.feature == Feature::Device && p.new_for_user);
                    let learned = LearnedLogin {
                        user: &input.user,
                        at: input.at,
                        observation: obs,
                        // A VPN exit says nothing about where the user is.
                        position: geo
                            .position
                            .filter(|_| !geo.network.vpn)
                            .map(|p| (p.lat, p.lon)),
                        half_life_ms: self.settings.half_life_ms,
                        new_device,
                    };
                    let mut events = vec![event_for(&a, None)];
                    if new_device {
                        events.push(NewEvent::typed(
                            input.at,
                            actor(),
                            &format!("user:{}", input.user),
                            &SecurityChanged {
                                user: input.user.as_str().to_owned(),
                                change: SecurityChange::NewDeviceLogin.as_str().to_owned(),
                            },
                        ));
                    }
                    self.repo.record_success(&learned, events).await?;
                    self.pending
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((obs.clone(), input.at));
                } else {
                    self.repo.record_refusal(event_for(&a, None)).await?;
                }
                Ok(a)
            }
        }
    }

    /// What [`LoginService::assess`] would decide for `input` now, without recording anything:
    /// no counter moves, nothing is learnt, no event is written (for operators checking a
    /// user's report from the command line).
    pub async fn preview(&self, input: &LoginInput) -> Result<Assessment, LoginServiceError> {
        let g = self.gather(input).await?;
        let facts = self.facts(input, &g);
        Ok(match input.outcome {
            Outcome::Failure => failed(&self.settings.rules, &facts),
            Outcome::Success => decide(&self.settings.rules, &facts),
        })
    }

    /// Reads what deciding on `input` needs and scores it.
    async fn gather(&self, input: &LoginInput) -> Result<Gathered, RepoError> {
        let geo = self.geo.lookup(input.ip);
        let ip = input.ip.to_string();
        let subnet = input.subnet();
        let since = input.at.minus_millis(self.settings.spray.window_ms);
        let state = self
            .repo
            .login_state(&input.user, &ip, &subnet, since)
            .await?;
        let obs = input.observation(&geo);
        let profile = state.profile.clone().unwrap_or_default();
        let (score, parts) = {
            let pop = self.population.read().unwrap_or_else(|e| e.into_inner());
            score(&self.settings.model, &profile, &pop, &obs)
        };
        Ok(Gathered {
            geo,
            ip,
            subnet,
            state,
            obs,
            profile,
            score,
            parts,
        })
    }

    fn facts<'a>(&self, input: &LoginInput, g: &'a Gathered) -> Facts<'a> {
        Facts {
            at: input.at,
            geo: g.geo,
            score: (g.score, &g.parts),
            last_success: g.profile.last_success,
            locked_until: self.settings.brute.locked(&g.state.brute, input.at),
            bad_ip: g.geo.network.listed,
            accounts_failed_from_ip: g.state.accounts_failed_from_ip,
            accounts_failed_from_subnet: g.state.accounts_failed_from_subnet,
            stuffing_accounts: self.settings.spray.stuffing_accounts,
            spraying_accounts: self.settings.spray.spraying_accounts,
        }
    }

    /// Records a security change (password reset, new second factor, phone or e-mail change).
    pub async fn security_change(
        &self,
        user: &AccountId,
        change: SecurityChange,
    ) -> Result<(), LoginServiceError> {
        let at = self.now();
        let ev = NewEvent::typed(
            at,
            actor(),
            &format!("user:{user}"),
            &SecurityChanged {
                user: user.as_str().to_owned(),
                change: change.as_str().to_owned(),
            },
        );
        self.repo
            .record_security_change(user, change, at, ev)
            .await?;
        Ok(())
    }

    /// Screens a withdrawal and records the verdict (see [`crate::screen`]): the destination is
    /// examined by address intelligence first, then the locks and limits are read and the
    /// withdrawal counted in one transaction, with the intelligence's events and the verdict.
    pub async fn screen_withdrawal(
        &self,
        req: &WithdrawalRequest,
    ) -> Result<WithdrawVerdict, LoginServiceError> {
        if req.asset.is_empty()
            || req.asset.len() > 16
            || !req.asset.bytes().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(LoginServiceError::Asset {
                got: req.asset.chars().take(20).collect(),
            });
        }
        if req.recent.len() > MAX_RECENT {
            return Err(LoginServiceError::TooManyRecent {
                max: MAX_RECENT,
                got: req.recent.len(),
            });
        }
        let intel = self.intel.examine(req, actor());
        let user = req.user.as_str().to_owned();
        let event_for = |f: &crate::withdraw::WithdrawFacts, v: &WithdrawVerdict| {
            NewEvent::typed(
                f.at,
                actor(),
                &format!("user:{user}"),
                &WithdrawalScreened {
                    user: user.clone(),
                    asset: f.asset.clone(),
                    amount: f.amount.to_string(),
                    usd_cents: f.usd_cents,
                    decision: match v.decision {
                        WithdrawDecision::Allow => "allow",
                        WithdrawDecision::Hold { .. } => "hold",
                        WithdrawDecision::Block => "block",
                    }
                    .to_owned(),
                    hold_until: match v.decision {
                        WithdrawDecision::Hold { until } => Some(until.to_iso8601_millis()),
                        _ => None,
                    },
                    reasons: v.reasons.iter().map(|r| r.code.to_owned()).collect(),
                    protected_usd_cents: v.protected_usd_cents,
                },
            )
        };
        Ok(self
            .repo
            .screen_withdrawal(req, &intel, &self.settings.withdraw, &event_for)
            .await?)
    }

    /// Sets the user's anti-phishing code (4–20 letters or digits), sealed at rest.
    pub async fn set_anti_phishing(
        &self,
        sealer: &dyn Sealer,
        user: &AccountId,
        code: &str,
    ) -> Result<(), LoginServiceError> {
        if !(4..=20).contains(&code.chars().count()) || !code.chars().all(char::is_alphanumeric) {
            return Err(LoginServiceError::AntiPhishingCode);
        }
        let sealed = sealer.seal(code.as_bytes(), &phishing_aad(user));
        let ev = NewEvent::typed(
            self.now(),
            actor(),
            &format!("user:{user}"),
            &AntiPhishingSet {
                user: user.as_str().to_owned(),
            },
        );
        self.repo.set_anti_phishing(user, &sealed, ev).await?;
        Ok(())
    }

    /// The user's anti-phishing code, for outbound e-mail templating.
    pub async fn anti_phishing(
        &self,
        sealer: &dyn Sealer,
        user: &AccountId,
    ) -> Result<Option<String>, LoginServiceError> {
        let Some(sealed) = self.repo.anti_phishing(user).await? else {
            return Ok(None);
        };
        let sealed_err = || LoginServiceError::Sealed {
            user: user.as_str().to_owned(),
        };
        let plain = sealer
            .open(&sealed, &phishing_aad(user))
            .ok_or_else(sealed_err)?;
        String::from_utf8(plain).map(Some).map_err(|_| sealed_err())
    }
}

/// What one assessment read, owned, so the decision's facts can borrow from it.
struct Gathered {
    geo: GeoInfo,
    ip: String,
    subnet: String,
    state: LoginState,
    obs: Observation,
    profile: Profile,
    score: u8,
    parts: Vec<FeatureRisk>,
}

fn phishing_aad(user: &AccountId) -> Vec<u8> {
    format!("custodia.login.anti_phishing.v1\0{user}").into_bytes()
}

/// The decision for a failed password: only locks and attack sources speak (the score says
/// nothing about an attempt that did not get in).
fn failed(rules: &RulePolicy, f: &Facts<'_>) -> Assessment {
    let quiet = Facts {
        score: (0, &[]),
        last_success: None,
        ..f.clone()
    };
    let mut a = decide(rules, &quiet);
    a.reasons.retain(|r: &Reason| r.level == Decision::Block);
    a.decision = a.reasons.first().map_or(Decision::Allow, |r| r.level);
    a.score = f.score.0;
    a
}

/// An e-mail as the exchange would send it, with the user's anti-phishing code where users are
/// told to look for it.
pub fn sample_email(code: &str, subject: &str, body: &str) -> String {
    format!(
        "Subject: [{code}] {subject}\r\n\r\nAnti-phishing code: {code}\r\n\r\n{body}\r\n\r\n\
         Emails from us always show your anti-phishing code. If this one does not, it is not from us: \
         do not click its links.\r\n"
    )
}
