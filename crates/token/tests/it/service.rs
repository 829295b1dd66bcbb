//! The use case records one typed event per assessment; the tally folds it.

use std::sync::Mutex;

use custodia_events::{
    Audit, Event, GENESIS_HASH, Inline, ManualClock, NewEvent, Tally, Timestamp,
};
use custodia_token::{TokenAssessed, TokenService, TokenTally};

use crate::classify::input;

#[derive(Default)]
struct Recorded(Mutex<Vec<NewEvent>>);
impl Audit for &Recorded {
    fn record(&self, event: NewEvent) {
        self.0.lock().unwrap().push(event);
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    // The use case awaits only the inline offloader: one poll finishes it.
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the inline offloader never waits"),
    }
}

#[test]
fn assessments_are_recorded_and_tallied() {
    let audit = Recorded::default();
    let svc = TokenService::new(
        ManualClock::new(Timestamp::from_millis(1_750_000_000_000)),
        Inline,
        &audit,
    );
    let a = block_on(svc.assess(input("SellBlockHoneypot"), "operator:test")).unwrap();
    assert!(a.is_honeypot());
    let mut plain = input("PlainToken");
    plain.address = "0x00000000000000000000000000000000000000bb".into();
    let b = block_on(svc.assess(plain, "operator:test")).unwrap();
    assert!(!b.is_honeypot());
    let events = audit.0.lock().unwrap().clone();
    assert_eq!(events.len(), 2);
    let mut t = TokenTally::default();
    for (i, e) in events.into_iter().enumerate() {
        let ev = Event::link(i as u64 + 1, GENESIS_HASH, e);
        let p: TokenAssessed = ev.decode().unwrap().unwrap();
        assert!(p.simulated);
        t.record(&ev);
    }
    assert_eq!((t.assessed(), t.flagged(), t.honeypots()), (2, 1, 1));
    // The twin: a rejected input records nothing.
    let mut bad = input("PlainToken");
    bad.runtime_code = "0xzz".into();
    assert!(block_on(svc.assess(bad, "operator:test")).is_err());
    assert_eq!(audit.0.lock().unwrap().len(), 2);
}
