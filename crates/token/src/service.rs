//! The use case: assess a token off the executor and record the assessment.

use custodia_events::{Audit, Clock, NewEvent, Offload};
use thiserror::Error;

use crate::error::TokenError;
use crate::events::TokenAssessed;
use crate::input::TokenInput;
use crate::score::{Assessment, assess};

/// Why the service could not assess a token.
#[derive(Debug, Error)]
pub enum TokenServiceError {
    /// The input was rejected.
    #[error(transparent)]
    Input(#[from] TokenError),
    /// The background work did not complete.
    #[error("assessment did not complete: {0}")]
    Offload(String),
}

/// The scam-token service: pure analysis plus simulation, offloaded (a simulation takes
/// milliseconds of CPU), and one `token.assessed` event per assessment through the audit queue
/// (an assessment changes no stored state).
#[derive(Debug, Clone)]
pub struct TokenService<C, O, A> {
    clock: C,
    offload: O,
    audit: A,
}

impl<C: Clock, O: Offload, A: Audit> TokenService<C, O, A> {
    /// A service over its clock, offloader and audit queue.
    pub fn new(clock: C, offload: O, audit: A) -> Self {
        Self {
            clock,
            offload,
            audit,
        }
    }

    /// Assesses `input` and records the result; `actor` names who asked.
    pub async fn assess(
        &self,
        input: TokenInput,
        actor: &str,
    ) -> Result<Assessment, TokenServiceError> {
        let now = self.clock.now();
        let secs = u64::try_from(now.as_secs()).unwrap_or(0);
        let a = self
            .offload
            .run(Box::new(move || assess(&input, secs)))
            .await
            .map_err(|e| TokenServiceError::Offload(e.to_string()))??;
        self.audit.record(NewEvent::typed(
            now,
            actor,
            &format!("token:{}:{}", a.chain, a.address),
            &event_of(&a),
        ));
        Ok(a)
    }
}

/// The event payload of an assessment.
pub fn event_of(a: &Assessment) -> TokenAssessed {
    TokenAssessed {
        chain: a.chain.clone(),
        address: a.address.clone(),
        score: a.score,
        level: a.level.as_str().into(),
        honeypot: a.is_honeypot(),
        simulated: a.simulation.is_some(),
        reasons: a
            .reasons
            .iter()
            .map(|r| {
                serde_json::to_value(r.code)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            })
            .collect(),
    }
}
