//! Never double-count: a fingerprint per termination and a bounded memory of
//! the recent ones (DESIGN.md §3).
//!
//! A fingerprint covers namespace, pod, container, container id (or, for a
//! process, its pid) and code, plus the termination's time: its finished time
//! when printed (the same exit reported as `State` and later as `Last State`
//! has a higher restart count but the same finished time), else its restart
//! count, started time and the log line's own timestamp. A record with no
//! container id or pid and no time of its own, not even its log line's
//! timestamp, has no fingerprint and is never taken for a repeat, but for a
//! docker swarm task's: its pod is the task's ID, and a task runs once.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};

use rustc_hash::FxBuildHasher;
use siphasher::sip::SipHasher13;
use std::hash::{Hash, Hasher};

use crate::record::Record;

/// The hash of everything written to a watch checkpoint (fingerprints, file
/// heads and origins): SipHash-1-3 with zero keys, what std's `DefaultHasher`
/// computes today, pinned here because std leaves its algorithm free to
/// change between Rust releases (a checkpoint must match across upgrades).
pub fn stable_hasher() -> SipHasher13 {
    SipHasher13::new()
}

/// [`stable_hasher`]'s hash of `t`.
pub fn stable_hash<T: Hash + ?Sized>(t: &T) -> u64 {
    let mut h = stable_hasher();
    t.hash(&mut h);
    h.finish()
}

/// The container id a fingerprint covers (without its `runtime://` scheme).
fn fingerprint_id(r: &Record) -> Option<&str> {
    r.container_id.as_deref().map(crate::parse::util::without_scheme)
}

/// A record has a fingerprint when something tells its termination apart:
/// a container id, a pid, a time, or (a docker swarm task's) its task ID.
fn has_identity(r: &Record) -> bool {
    let swarm_task = r.format == crate::record::Format::Docker && r.pod.is_some();
    fingerprint_id(r).is_some()
        || r.pid.is_some()
        || r.finished_at.is_some()
        || r.started_at.is_some()
        || r.log_time.is_some()
        || swarm_task
}

/// The identity of one termination.
pub fn fingerprint(r: &Record) -> Option<u64> {
    if !has_identity(r) {
        return None;
    }
    let id = fingerprint_id(r);
    let time = r.finished_at.as_deref();
    // (The container is left out when a pid identifies the exit: `systemctl
    // status` names the unit only on its header line.)
    let container = if id.is_none() && r.pid.is_some() { None } else { r.container.as_deref() };
    // The bytes `Hash` would give the hasher for
    //   (namespace, pod, container, id, pid), (code, signal, reason), then
    //   (1u8, finished) or (2u8, restarts, started, log time, format),
    // gathered and handed over in a few calls (one per call costs more than
    // the hashing): the same byte stream, so the same fingerprint.
    let mut f = Feed::new();
    for s in [r.namespace.as_deref(), r.pod.as_deref(), container, id] {
        f.opt_str(s);
    }
    f.opt_word(r.pid);
    f.opt_word(r.raw_exit_code.map(|c| c as u64));
    match r.stated_signal {
        None => f.discr(0),
        Some(s) => {
            f.discr(1);
            f.bytes(&[s.0]);
        }
    }
    f.opt_str(r.reason.as_deref());
    match time {
        Some(t) => {
            f.bytes(&[1]);
            f.str(t);
        }
        None => {
            f.bytes(&[2]);
            f.opt_word(r.restart_count);
            f.opt_str(r.started_at.as_deref());
            f.opt_str(r.log_time.as_deref());
            f.str(r.format.as_str());
        }
    }
    Some(f.finish())
}

/// Feeds a [`stable_hasher`] the bytes `Hash` implementations would, from a
/// buffer (SipHash reads a byte stream: how it is cut into calls does not
/// change the result).
struct Feed {
    h: SipHasher13,
    buf: [u8; 256],
    n: usize,
}

impl Feed {
    fn new() -> Feed {
        Feed { h: stable_hasher(), buf: [0; 256], n: 0 }
    }

    fn bytes(&mut self, b: &[u8]) {
        if self.n + b.len() > self.buf.len() {
            self.h.write(&self.buf[..self.n]);
            self.n = 0;
            if b.len() > self.buf.len() {
                self.h.write(b);
                return;
            }
        }
        self.buf[self.n..self.n + b.len()].copy_from_slice(b);
        self.n += b.len();
    }

    /// An enum's discriminant, as `derive(Hash)` writes it (an `isize`).
    fn discr(&mut self, d: isize) {
        self.bytes(&d.to_ne_bytes());
    }

    /// A `str`: its bytes and a `0xff` end mark.
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
        self.bytes(&[0xff]);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.discr(0),
            Some(s) => {
                self.discr(1);
                self.str(s);
            }
        }
    }

    /// An `Option` of a 64-bit integer.
    fn opt_word(&mut self, v: Option<u64>) {
        match v {
            None => self.discr(0),
            Some(v) => {
                self.discr(1);
                self.bytes(&v.to_ne_bytes());
            }
        }
    }

    fn finish(mut self) -> u64 {
        self.h.write(&self.buf[..self.n]);
        self.h.finish()
    }
}

/// The fingerprint of a record from a followed file that has none of its
/// own: the file's identity and the record's line in it.
pub fn origin_fingerprint(origin: u64, r: &Record) -> u64 {
    stable_hash(&(origin, r.line, r.raw_exit_code, r.stated_signal.map(|s| s.0), r.format.as_str()))
}

/// A bounded least-recently-seen memory of fingerprints.
#[derive(Debug)]
pub struct Dedupe {
    capacity: usize,
    /// The fingerprints remembered (the keys are hashes already: a cheap
    /// hasher is enough to spread them).
    seen: HashSet<u64, FxBuildHasher>,
    /// For a fingerprint in `order` more than once (a repeat, rare): how
    /// many times.
    repeated: HashMap<u64, u32, FxBuildHasher>,
    /// Sightings, oldest first. A fingerprint is forgotten when its last
    /// entry here (its latest sighting) leaves the queue. 8 bytes an entry
    /// and 8 a remembered fingerprint: a full memory of 100 000 takes ~2 MiB.
    order: VecDeque<u64>,
}

impl Dedupe {
    pub fn new(capacity: usize) -> Dedupe {
        Dedupe {
            capacity: capacity.max(1),
            seen: HashSet::default(),
            repeated: HashMap::default(),
            order: VecDeque::new(),
        }
    }

    /// True when `fp` was seen before (and remembers it either way).
    pub fn check(&mut self, fp: u64) -> bool {
        let repeat = !self.seen.insert(fp);
        if repeat {
            *self.repeated.entry(fp).or_insert(1) += 1;
        }
        self.order.push_back(fp);
        // Drop stale queue entries, and the least recently seen past capacity.
        while self.order.len() > self.capacity + self.capacity / 4 || self.seen.len() > self.capacity {
            let Some(old) = self.order.pop_front() else { break };
            match self.repeated.entry(old) {
                Entry::Occupied(mut e) => {
                    *e.get_mut() -= 1;
                    if *e.get() <= 1 {
                        e.remove();
                    }
                }
                Entry::Vacant(_) => {
                    self.seen.remove(&old);
                }
            }
        }
        repeat
    }

    /// Marks `r.repeat`; returns it.
    pub fn observe(&mut self, r: &mut Record) -> bool {
        r.repeat = match fingerprint(r) {
            Some(fp) => self.check(fp),
            None => false,
        };
        r.repeat
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// The remembered fingerprints, least recently seen first (for checkpoints).
    pub fn snapshot(&self) -> Vec<u64> {
        // A fingerprint's latest sighting is its last entry in the queue.
        let mut taken = std::collections::HashSet::with_capacity_and_hasher(self.seen.len(), FxBuildHasher);
        let mut v: Vec<u64> = self.order.iter().rev().filter(|&&f| taken.insert(f)).copied().collect();
        v.reverse();
        v
    }

    /// Restores fingerprints from [`Dedupe::snapshot`].
    pub fn restore(&mut self, fps: &[u64]) {
        for &fp in fps {
            self.check(fp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Format, State};

    fn rec(cid: Option<&str>, fin: Option<&str>, restarts: Option<u64>, state: State) -> Record {
        let mut r = Record::new(Format::Describe);
        r.container = Some("app".into());
        r.container_id = cid.map(Into::into);
        r.finished_at = fin.map(Into::into);
        r.restart_count = restarts;
        r.raw_exit_code = Some(137);
        r.state = Some(state);
        r
    }

    #[test]
    fn same_termination_seen_as_state_then_last_state() {
        let a = rec(Some("containerd://abc"), Some("2024-01-01T00:00:00Z"), Some(3), State::Terminated);
        let b = rec(Some("abc"), Some("2024-01-01T00:00:00Z"), Some(4), State::LastTerminated);
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let c = rec(Some("abc"), Some("2024-01-01T00:00:09Z"), Some(4), State::LastTerminated);
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }

    /// Fingerprints, file heads and file origins are written to watch
    /// checkpoints: they must not change between builds. These are the
    /// values every build so far has computed (std's `DefaultHasher` until
    /// 0.1.0, the same SipHash-1-3 since).
    #[test]
    fn persisted_hashes_stay_put() {
        let mut a = rec(Some("containerd://abc"), Some("2024-01-01T00:00:00Z"), Some(3), State::Terminated);
        a.namespace = Some("prod".into());
        a.pod = Some("web-1".into());
        a.stated_signal = crate::code::Signal::new(9);
        a.reason = Some("OOMKilled".into());
        let mut b = rec(None, None, Some(2), State::LastTerminated);
        b.pid = Some(4242);
        b.started_at = Some("2024-01-01T00:00:00Z".into());
        b.log_time = Some("2024-01-01T00:00:01.5Z".into());
        let got = [fingerprint(&a), fingerprint(&b), Some(origin_fingerprint(77, &b))];
        assert_eq!(got, [Some(8643181495548433202), Some(16370318727916789207), Some(12550585350655759838)]);
        // A file's head (its first bytes) and its origin (identity, generation).
        let (head, origin) = (stable_hash(&b"Name:  web-1\n".to_vec()), stable_hash(&((64769u64, 131_075u64), 2u64)));
        assert_eq!([head, origin], [10384891393321864399, 18283051491712903704]);
    }

    /// `fingerprint` as the tuples' own `Hash` gives it.
    fn by_tuples(r: &Record) -> Option<u64> {
        if !has_identity(r) {
            return None;
        }
        let id = fingerprint_id(r);
        let time = r.finished_at.as_deref();
        let mut h = stable_hasher();
        let container = if id.is_none() && r.pid.is_some() { None } else { r.container.as_deref() };
        (r.namespace.as_deref(), r.pod.as_deref(), container, id, r.pid).hash(&mut h);
        (r.raw_exit_code, r.stated_signal.map(|s| s.0), r.reason.as_deref()).hash(&mut h);
        match time {
            Some(t) => (1u8, t).hash(&mut h),
            None => {
                (2u8, r.restart_count, r.started_at.as_deref(), r.log_time.as_deref(), r.format.as_str()).hash(&mut h)
            }
        }
        Some(h.finish())
    }

    proptest::proptest! {
        /// Fingerprints stay what they were before they were fed in bulk (a
        /// checkpoint written by an earlier build still matches).
        #[test]
        fn fed_in_bulk_like_hashed_tuples(
            texts in proptest::collection::vec(proptest::option::of("[a-z0-9:/-]{0,300}"), 8),
            pid in proptest::option::of(proptest::num::u64::ANY),
            code in proptest::option::of(proptest::num::i64::ANY),
            signal in proptest::option::of(1u8..=64),
            restarts in proptest::option::of(proptest::num::u64::ANY),
            format in 0usize..Format::ALL.len(),
        ) {
            let mut r = Record::new(Format::ALL[format]);
            let t = |i: usize| texts[i].as_deref().map(Into::into);
            r.namespace = t(0);
            r.pod = t(1);
            r.container = t(2);
            r.container_id = t(3);
            r.reason = t(4);
            r.finished_at = t(5);
            r.started_at = t(6);
            r.log_time = t(7);
            r.pid = pid;
            r.raw_exit_code = code;
            r.stated_signal = signal.and_then(|s| crate::code::Signal::new(i64::from(s)));
            r.restart_count = restarts;
            proptest::prop_assert_eq!(fingerprint(&r), by_tuples(&r));
        }
    }

    #[test]
    fn nothing_to_go_on_is_never_a_repeat() {
        let mut d = Dedupe::new(10);
        let mut r = rec(None, None, Some(1), State::Terminated);
        assert_eq!(fingerprint(&r), None);
        assert!(!d.observe(&mut r));
        assert!(!d.observe(&mut r));
    }

    /// The memory as it was first written (each sighting with a tick; the
    /// latest one's leaving forgets the fingerprint): the model `Dedupe`
    /// must answer like.
    struct TickModel {
        capacity: usize,
        seen: HashMap<u64, u64>,
        order: VecDeque<(u64, u64)>,
        tick: u64,
    }

    impl TickModel {
        fn check(&mut self, fp: u64) -> bool {
            self.tick += 1;
            let repeat = self.seen.insert(fp, self.tick).is_some();
            self.order.push_back((fp, self.tick));
            while self.order.len() > self.capacity + self.capacity / 4 || self.seen.len() > self.capacity {
                let Some((old, t)) = self.order.pop_front() else { break };
                if self.seen.get(&old) == Some(&t) {
                    self.seen.remove(&old);
                }
            }
            repeat
        }

        fn snapshot(&self) -> Vec<u64> {
            let mut v: Vec<(u64, u64)> = self.seen.iter().map(|(f, t)| (*t, *f)).collect();
            v.sort_unstable();
            v.into_iter().map(|(_, f)| f).collect()
        }
    }

    proptest::proptest! {
        /// Counting sightings forgets and remembers exactly what ticks did,
        /// and snapshots list the same fingerprints in the same order.
        #[test]
        fn counts_answer_like_ticks(capacity in 1usize..12, fps in proptest::collection::vec(0u64..16, 0..300)) {
            let mut d = Dedupe::new(capacity);
            let mut m = TickModel { capacity, seen: HashMap::new(), order: VecDeque::new(), tick: 0 };
            for (i, &fp) in fps.iter().enumerate() {
                proptest::prop_assert_eq!(d.check(fp), m.check(fp), "sighting {}", i);
                proptest::prop_assert_eq!(d.len(), m.seen.len());
            }
            proptest::prop_assert_eq!(d.snapshot(), m.snapshot());
        }
    }

    #[test]
    fn bounded_lru() {
        let mut d = Dedupe::new(3);
        for fp in 0..3 {
            assert!(!d.check(fp));
        }
        assert!(d.check(0)); // refreshes 0
        assert!(!d.check(3)); // evicts 1, the least recently seen
        assert!(d.check(0));
        assert!(!d.check(1));
        assert!(d.len() <= 3);
        for fp in 100..100_000 {
            d.check(fp);
        }
        assert!(d.len() <= 3 && d.order.len() <= 4);
    }
}
