//! Aggregation of repeated refusals, so a flood of bad requests costs a bounded number of log
//! rows without losing a single decision.
//!
//! The first refusal of a group (a key and client IP and reason, a user and reason) in a window
//! is recorded as it is: the log keeps one complete example with its actor, subject and
//! payload. Every further refusal of that group in the window is only counted; when the window
//! ends, one [`Repeated`] event records how many there were, between which times, and what the
//! first one said. Groups beyond `max_groups` in a window share one overflow group per event
//! kind, so rows per window stay under `2 × max_groups + kinds` however the attacker varies
//! keys and addresses.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{EventPayload, NewEvent, Timestamp};

/// Payload of [`Repeated::KIND`]: `count` further events like `sample` in `[first, last]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repeated {
    /// The kind of the aggregated events (`gateway.request_denied`, …).
    pub kind: String,
    /// The group they were counted under (`overflow` when the window had too many groups).
    pub group: String,
    /// How many events this row stands for (beyond the one recorded individually).
    pub count: u64,
    /// Time of the first aggregated event (ISO 8601, milliseconds).
    pub first: String,
    /// Time of the last aggregated event.
    pub last: String,
    /// The payload of the group's first event (the one recorded individually).
    pub sample: serde_json::Value,
}

impl EventPayload for Repeated {
    const KIND: &'static str = "audit.repeated";
}

impl Repeated {
    /// The kind, for tallies that match on it.
    pub const KIND: &'static str = <Self as EventPayload>::KIND;
}

struct Group {
    /// The first event (its actor, subject and payload label the summary).
    template: NewEvent,
    window_start: Timestamp,
    count: u64,
    first: Timestamp,
    last: Timestamp,
}

impl Group {
    fn open(template: NewEvent) -> Self {
        let t = template.time;
        Self {
            template,
            window_start: t,
            count: 0,
            first: t,
            last: t,
        }
    }

    fn count(&mut self, at: Timestamp) {
        if self.count == 0 {
            self.first = at;
        }
        self.count += 1;
        self.first = self.first.min(at);
        self.last = self.last.max(at);
    }

    fn summary(&self, group: &str) -> Option<NewEvent> {
        (self.count > 0).then(|| {
            let t = &self.template;
            NewEvent::typed(
                self.last,
                t.actor.as_str(),
                t.subject.as_str(),
                &Repeated {
                    kind: t.kind.as_str().to_owned(),
                    group: group.to_owned(),
                    count: self.count,
                    first: self.first.to_iso8601_millis(),
                    last: self.last.to_iso8601_millis(),
                    sample: t.payload.to_value(),
                },
            )
        })
    }
}

/// Windowed aggregation of repeated events by group (see the module documentation). Pure:
/// time comes from the events and from the caller.
pub struct Repeats {
    window_ms: i64,
    max_groups: usize,
    groups: HashMap<String, Group>,
    /// Per event kind, once `groups` is full.
    overflow: HashMap<String, Group>,
}

/// Group name used for the overflow buckets.
pub const OVERFLOW_GROUP: &str = "overflow";

impl Repeats {
    /// Windows of `window_ms` (at least 1), at most `max_groups` (at least 1) groups at a time.
    pub fn new(window_ms: i64, max_groups: usize) -> Self {
        Self {
            window_ms: window_ms.max(1),
            max_groups: max_groups.max(1),
            groups: HashMap::new(),
            overflow: HashMap::new(),
        }
    }

    /// Groups currently open (metrics).
    pub fn open_groups(&self) -> usize {
        self.groups.len() + self.overflow.len()
    }

    /// Admits `event` of `group`: returns what to record now — the event itself when it opens
    /// a window, preceded by the summary of the group's previous window if that one ended;
    /// nothing when it is counted.
    pub fn admit(&mut self, group: String, event: NewEvent) -> Vec<NewEvent> {
        let at = event.time;
        let mut out = Vec::new();
        if let Some(g) = self.groups.get_mut(&group) {
            if at.as_millis() < g.window_start.as_millis().saturating_add(self.window_ms) {
                g.count(at);
                return out;
            }
            out.extend(g.summary(&group));
            self.groups.remove(&group);
        }
        if self.groups.len() >= self.max_groups {
            let kind = event.kind.as_str().to_owned();
            match self.overflow.get_mut(&kind) {
                Some(g)
                    if at.as_millis()
                        < g.window_start.as_millis().saturating_add(self.window_ms) =>
                {
                    g.count(at);
                    return out;
                }
                Some(g) => {
                    out.extend(g.summary(OVERFLOW_GROUP));
                    self.overflow.remove(&kind);
                }
                None => {}
            }
            self.overflow.insert(kind, Group::open(event.clone()));
            out.push(event);
            return out;
        }
        self.groups.insert(group, Group::open(event.clone()));
        out.push(event);
        out
    }

    /// Closes every window that ended at or before `now` and returns their summaries.
    pub fn drain_due(&mut self, now: Timestamp) -> Vec<NewEvent> {
        let w = self.window_ms;
        let due = |g: &Group| g.window_start.as_millis().saturating_add(w) <= now.as_millis();
        self.drain_where(due)
    }

    /// Closes every window now (flush, shutdown) and returns their summaries.
    pub fn drain_all(&mut self) -> Vec<NewEvent> {
        self.drain_where(|_| true)
    }

    fn drain_where(&mut self, due: impl Fn(&Group) -> bool) -> Vec<NewEvent> {
        let mut out = Vec::new();
        let mut closed: Vec<(String, bool)> = self
            .groups
            .iter()
            .filter(|(_, g)| due(g))
            .map(|(k, _)| (k.clone(), false))
            .collect();
        closed.extend(
            self.overflow
                .iter()
                .filter(|(_, g)| due(g))
                .map(|(k, _)| (k.clone(), true)),
        );
        // Deterministic order: by name here, then (stable) by window start below.
        closed.sort();
        let mut rows: Vec<(i64, NewEvent)> = Vec::new();
        for (k, over) in closed {
            let g = if over {
                self.overflow.remove(&k)
            } else {
                self.groups.remove(&k)
            };
            if let Some(g) = g
                && let Some(e) = g.summary(if over { OVERFLOW_GROUP } else { &k })
            {
                rows.push((g.window_start.as_millis(), e));
            }
        }
        rows.sort_by_key(|(t, _)| *t);
        out.extend(rows.into_iter().map(|(_, e)| e));
        out
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Denied {
        code: String,
    }
    impl EventPayload for Denied {
        const KIND: &'static str = "gateway.request_denied";
    }

    fn ev(ms: i64, code: &str) -> NewEvent {
        NewEvent::typed(
            Timestamp::from_millis(ms),
            "operator:gw",
            "api_key:-",
            &Denied { code: code.into() },
        )
    }

    fn summaries(v: &[NewEvent]) -> Vec<Repeated> {
        v.iter()
            .filter_map(|e| e.decode::<Repeated>().map(|r| r.unwrap()))
            .collect()
    }

    #[test]
    fn a_flood_is_one_row_plus_one_summary_per_window() {
        let mut r = Repeats::new(60_000, 100);
        let mut written = Vec::new();
        for i in 0..10_000 {
            written.extend(r.admit("k|ip|50113".into(), ev(i, "50113")));
        }
        assert_eq!(written.len(), 1, "only the first is written at once");
        written.extend(r.drain_due(Timestamp::from_millis(59_999)));
        assert_eq!(written.len(), 1, "the window is still open");
        written.extend(r.drain_due(Timestamp::from_millis(60_000)));
        let s = summaries(&written);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].count, 9_999, "no refusal is lost: 1 + 9,999");
        assert_eq!(s[0].kind, "gateway.request_denied");
        assert_eq!(s[0].sample["code"], "50113");
        assert_eq!(s[0].first, "1970-01-01T00:00:00.001Z");
        assert_eq!(s[0].last, "1970-01-01T00:00:09.999Z");
        assert_eq!(r.open_groups(), 0);
    }

    #[test]
    fn distinct_groups_are_recorded_separately_and_a_new_window_starts_fresh() {
        let mut r = Repeats::new(1_000, 100);
        let mut w = r.admit("a".into(), ev(0, "1"));
        w.extend(r.admit("b".into(), ev(1, "2")));
        assert_eq!(w.len(), 2, "each group's first event is written");
        w.extend(r.admit("a".into(), ev(2, "1")));
        // A later event of `a` after its window: the old summary, then the event itself.
        let next = r.admit("a".into(), ev(1_500, "1"));
        assert_eq!(next.len(), 2);
        assert_eq!(summaries(&next)[0].count, 1);
        assert_eq!(next[1].time, Timestamp::from_millis(1_500));
        // `b` had no repeats: no summary row for it.
        assert!(summaries(&r.drain_all()).iter().all(|s| s.group != "b"));
    }

    #[test]
    fn groups_beyond_the_cap_share_an_overflow_bucket() {
        let mut r = Repeats::new(60_000, 10);
        let mut rows = Vec::new();
        for i in 0..100_000i64 {
            // Every event its own group, as an attacker rotating addresses would.
            rows.extend(r.admit(format!("ip{i}"), ev(i / 10, "50110")));
        }
        rows.extend(r.drain_all());
        assert!(rows.len() <= 2 * 10 + 2, "rows bounded: {}", rows.len());
        let counted: u64 = summaries(&rows).iter().map(|s| s.count).sum();
        let individual = rows
            .iter()
            .filter(|e| e.decode::<Repeated>().is_none())
            .count();
        assert_eq!(
            counted + individual as u64,
            100_000,
            "every refusal accounted for"
        );
        assert!(summaries(&rows).iter().any(|s| s.group == OVERFLOW_GROUP));
    }
}
