//! Format parsers and the literal prefilter in front of them.
//!
//! Every termination any supported format prints contains one of a few
//! literals ([`LITERALS`]). The scanner searches whole buffers for them with one
//! Aho-Corasick automaton and only looks at the lines that hold one; the
//! literal set of a line ([`Hits`]) then picks the parsers that run on it. A
//! line without a literal costs no parsing and no allocation.
//!
//! One module per format, each a set of small functions over one message
//! (bytes, framing removed), with its grammar in the module doc and a table of
//! valid and invalid inputs beside it. Multi-line formats (`describe`, JSON /
//! YAML documents, `get pods` tables) are state machines the scanner feeds
//! line by line.

pub mod containerd;
pub mod crio;
pub mod describe;
pub mod doc;
pub mod docker;
pub mod getpods;
pub mod kernel;
pub mod kubelet;
pub mod orchestrator;
pub mod supervisord;
pub mod systemd;
pub mod util;

use std::sync::OnceLock;

use aho_corasick::{packed, AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::record::{Record, Str};

/// A fact that is not a termination itself but explains one nearby.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// An OOM kill or event for a container (name or id) or process.
    Oom { container: Option<Str>, pid: Option<u64> },
    /// The kubelet kills a container whose liveness or startup probe failed
    /// (its id, or its pod `ns/name` or `name` and container name).
    ProbeKill { container_id: Option<Str>, pod: Option<Str>, container: Option<Str> },
}

/// What the scanner produces, in input order.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Record(Box<Record>),
    Evidence(Evidence),
}

/// The literals the prefilter searches for. Their order defines the bits of
/// [`Hits`]. Each is as specific as the formats allow, so that look-alikes
/// (`"exitCode":128` in an app's JSON, `exit_status=1` of a hook, `command
/// terminated with exit code 137`) are rejected by the SIMD search itself.
/// Their first bytes matter too: Teddy fingerprints them, and literals that
/// start like common text (`(`, two blanks) slow the search down by a third
/// (measured: `(exit status ` instead of `exited: ` costs 18%).
pub const LITERALS: [&str; 38] = [
    "Exit Code",                                // 0 describe
    "exitCode=",                                // 1 kubelet PLEG, logfmt, docker events text
    "\"exitCode\": ",                           // 2 pretty pod JSON
    "exitCode: ",                               // 3 pod YAML
    "\"exitCode\":\"",                          // 4 docker events JSON attribute
    "\"terminated\":{",                         // 5 compact pod JSON
    "ExitCode",                                 // 6 docker inspect, podman containerExitCode, get pods ExitCode:N
    "exit_status:",                             // 7 containerd protobuf text
    "exit_status\":",                           // 8 ctr events JSON
    "ExitStatus",                               // 9 containerd &TaskExit{}, dockerd's libcontainerd event fields
    "xited with",                               // 10 conmon, compose v2, Spark
    "xited (",                                  // 11 docker ps `Exited (N)`, early compose v2 ps `exited (N)`
    "   Exit ",          // 12 docker-compose v1 ps (and "      Exit Code"); three blanks: column alignment
    "exited: ",          // 13 supervisord
    "code=exited",       // 14 systemd
    "code=killed",       // 15 systemd
    "code=dumped",       // 16 systemd
    "Killed process",    // 17 kernel OOM killer
    "Found exit code",   // 18 CRI-O debug
    "(exit code ",       // 19 Argo
    "exit code:",        // 20 Spark container status
    "event=exit",        // 21 Windows libcontainerd
    "RESTARTS",          // 22 kubectl get pods header
    "TaskOOM",           // 23 containerd OOM event (evidence)
    "tasks/oom",         // 24 ctr events OOM (evidence)
    "container oom",     // 25 docker events OOM (evidence)
    "oom-kill:",         // 26 kernel OOM summary (evidence)
    "\"oom\"",           // 27 docker events JSON OOM (evidence)
    "\"termination\":{", // 28 compact pod JSON, 2014 API
    "\"exit_code\": ",   // 29 CRI status JSON with proto field names
    "stopped: ",         // 30 supervisord (supervisorctl stop)
    "\"type\":\"exit\"", // 31 containerd 0.2 events.log
    "non-zero exit (",   // 32 docker swarm task error
    "'exit_code': ",     // 33 Python's repr of a pod (Airflow, the kubernetes client)
    "\"lastStatus\":\"STOPPED\"", // 34 compact ECS task state change events (EventBridge)
    "failed liveness probe, will be restarted", // 35 the kubelet's kill message (evidence)
    "failed startup probe, will be restarted", // 36 the kubelet's kill message (evidence)
    "xited normally with code", // 37 Fly Machines' init: `Main child exited normally with code: N`
];

/// Bit set over [`LITERALS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hits(pub u64);

impl Hits {
    pub const DESCRIBE: u64 = 1 << 0;
    pub const EXITCODE_KV: u64 = 1 << 1;
    pub const EXITCODE_DOC: u64 = (1 << 2) | (1 << 3) | (1 << 6) | (1 << 29) | (1 << 33);
    pub const JSON_EVENT: u64 = (1 << 4) | (1 << 5) | (1 << 6) | (1 << 27) | (1 << 28) | (1 << 31);
    pub const EXITCODE_UPPER: u64 = 1 << 6;
    pub const COMPACT_TERMINATED: u64 = (1 << 5) | (1 << 28) | (1 << 34);
    pub const CONTAINERD: u64 = (1 << 7) | (1 << 8) | (1 << 9);
    pub const XITED_WITH: u64 = 1 << 10;
    pub const EXITED_PAREN: u64 = 1 << 11;
    pub const COMPOSE_EXIT: u64 = 1 << 12;
    pub const SUPERVISORD: u64 = (1 << 13) | (1 << 30);
    pub const SYSTEMD: u64 = (1 << 14) | (1 << 15) | (1 << 16);
    pub const KILLED_PROCESS: u64 = 1 << 17;
    pub const CRIO_FOUND: u64 = 1 << 18;
    pub const REASON_EXIT_CODE: u64 = 1 << 19;
    pub const STATUS_EXIT_CODE: u64 = 1 << 20;
    pub const EVENT_EXIT: u64 = 1 << 21;
    pub const RESTARTS: u64 = 1 << 22;
    pub const OOM_EVENT: u64 = (1 << 23) | (1 << 24) | (1 << 25) | (1 << 27);
    pub const OOM_KILL: u64 = 1 << 26;
    pub const SWARM_TASK: u64 = 1 << 32;
    pub const PROBE_KILL: u64 = (1 << 35) | (1 << 36);
    pub const FLY: u64 = 1 << 37;

    pub fn any(self, mask: u64) -> bool {
        self.0 & mask != 0
    }
}

/// The shared prefilter automaton.
pub fn prefilter() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        // Leftmost-first lets aho-corasick use its SIMD packed searcher
        // (Teddy); standard semantics would walk the automaton byte by byte.
        match AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostFirst).build(LITERALS) {
            Ok(ac) => ac,
            // The literals are constants; building them cannot fail.
            Err(e) => unreachable!("prefilter literals: {e}"),
        }
    })
}

/// What the buffer search looks for in place of each of [`LITERALS`]: a
/// part of it (so every line holding the literal is found; [`hits`] then
/// checks the whole literals on the line). Teddy fingerprints the first bytes
/// of each pattern, and a part that starts with rarer bytes than the literal
/// (`er oo` for `container oom`, `illed ` for `Killed process`) fails fewer
/// fingerprint checks. Chosen one literal at a time, keeping a part only when
/// it made the search over 64 MiB of each genlogs stream faster with no more
/// lines to look at: 68.5 ms → 53.1 ms in all, kubelet's stream twice as fast.
/// (`type":"e` of events.log's `"type":"exit"`, last but one in [`SEARCH_ORDER`],
/// costs nothing measurable; `pe":"exit"` made the search over 128 MiB of
/// the four runtime streams 18% slower.)
pub const SEARCH_PARTS: [&str; LITERALS.len()] = [
    "Exit Code",
    "exitCode=",
    "exitCode\": ",
    "exitCode: ",
    "\"exitCode\":\"",
    // (Shared with `"termination":{`: one part, a slot for Python's repr.)
    "\"terminat",
    "ExitCode",
    "exit_status:",
    "exit_status\":",
    "ExitStatus",
    // (One part for three literals; a line holding `xited` alone is rare.)
    "xited",
    "xited",
    "  Exi",
    "xited",
    "=exit",
    "code=killed",
    "code=dumped",
    "illed ",
    "Found exit code",
    "(exit code ",
    "exit code:",
    // (`=exit` of `code=exited` finds `event=exit` too: a part shared is
    // searched once, and Teddy stays at 32 patterns, the most its fast
    // variant takes; a 33rd made the search 35% slower.)
    "=exit",
    "RESTARTS",
    "TaskOOM",
    "tasks/oom",
    "er oo",
    "om-ki",
    "\"oom\"",
    "\"terminat",
    "\"exit_code\": ",
    "stopped: ",
    "type\":\"e",
    "n-zero exit (",
    "'exit_code': ",
    "\"lastStatus\":\"STOPPED\"",
    " probe, will be re",
    " probe, will be re",
    // (Shares `xited`: no search part of its own.)
    "xited",
];

/// The order [`SEARCH_PARTS`] are given to Teddy in. Teddy groups patterns
/// into buckets in the order it receives them, and the grouping decides how
/// often a fingerprint match must be verified: random orders varied the search
/// time by a factor of two. The best of random orders and swaps is kept,
/// measured with the packed searcher alone on genlogs' cri, dockerjson,
/// kubelet, describe and mixed streams.
///
/// `examples/search_order.rs` measures an order and looks for better ones.
/// This one came from 1000 tries after Python's `'exit_code': ` and ECS's
/// `"lastStatus":"STOPPED"` joined, `"terminated":{` / `"termination":{`
/// came to share `"terminat` and `xited with` / `xited (` / `exited: ` to
/// share `xited` (the new set took 111 ms in the old order): over 128 MiB
/// of each stream, 6 alternating runs, minimum / median 95.1 / 104.5 ms
/// against 100.0 / 113 ms for the set and order of before, the same lines
/// found. (Merging parts without a new order cost +41 % to +47 %; one part
/// `oom` for the four OOM literals, best of 1000 orders, +20 %.) The kubelet's
/// probe kill part ` probe, will be re` then took the 32nd slot: tuned again
/// on the four streams the prefilter serves (describe pods are read whole),
/// median of 8 alternating runs 79.0 ms against 77.7 ms without it.
pub const SEARCH_ORDER: [usize; LITERALS.len()] = [
    24, 10, 9, 21, 20, 2, 29, 12, 36, 25, 14, 5, 22, 4, 32, 34, 16, 11, 15, 28, 6, 0, 23, 26, 27, 35, 8, 7, 3, 31, 1,
    33, 18, 30, 19, 13, 17, 37,
];

/// The buffer search: a position inside the next line that may hold a literal
/// (inside the literal when it does), or `None` when no line can.
///
/// aho-corasick's packed (Teddy, SIMD) searcher used directly is about a third
/// faster than through the automaton; where the CPU lacks the instructions
/// Teddy needs, the automaton does the job.
pub fn find(hay: &[u8]) -> Option<usize> {
    match packed_search() {
        Some(s) => s.find(hay).map(|m| m.start()),
        None => prefilter().find(hay).map(|m| m.start()),
    }
}

/// The packed searcher over [`SEARCH_PARTS`], when this CPU and the number
/// of patterns allow one.
fn packed_search() -> &'static Option<packed::Searcher> {
    static PACKED: OnceLock<Option<packed::Searcher>> = OnceLock::new();
    PACKED.get_or_init(|| {
        let mut ordered: Vec<&str> = Vec::with_capacity(SEARCH_ORDER.len());
        for part in SEARCH_ORDER.iter().map(|&i| SEARCH_PARTS[i]) {
            if !ordered.contains(&part) {
                ordered.push(part);
            }
        }
        packed::Config::new().match_kind(packed::MatchKind::LeftmostFirst).builder().extend(ordered).build()
    })
}

/// Which literals `msg` holds.
pub fn hits(msg: &[u8]) -> Hits {
    const COMPOSE: usize = 12;
    let mut h = 0u64;
    for m in prefilter().find_iter(msg) {
        let p = m.pattern().as_usize();
        h |= 1 << p;
        // "   Exit " (compose) hides the describe literal of "   Exit Code".
        if p == COMPOSE && msg[m.end()..].starts_with(b"Code") {
            h |= Hits::DESCRIBE;
        }
    }
    Hits(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_order_is_a_permutation() {
        let mut seen = [false; LITERALS.len()];
        for &i in &SEARCH_ORDER {
            assert!(!seen[i], "{i} twice");
            seen[i] = true;
        }
        assert!(seen.iter().all(|&b| b));
        for (l, part) in LITERALS.iter().zip(SEARCH_PARTS) {
            assert!(l.contains(part), "{part:?} is not part of {l:?}");
            // Found inside the literal.
            let at = find(format!("xx {l} yy").as_bytes());
            assert!(at.is_some_and(|p| (3..3 + l.len()).contains(&p)), "{l}: {at:?}");
        }
    }

    /// Teddy takes every part: a literal too many would make it give up
    /// silently and every search fall back to the automaton, a third slower.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_search_is_packed() {
        if std::arch::is_x86_feature_detected!("ssse3") {
            assert!(packed_search().is_some());
        }
        // aho-corasick turns to its slower fat Teddy above 32 patterns.
        let distinct: std::collections::HashSet<&str> = SEARCH_PARTS.iter().copied().collect();
        assert!(distinct.len() <= 32, "{} search parts", distinct.len());
    }

    #[test]
    fn hits_cover_every_literal() {
        for (i, lit) in LITERALS.iter().enumerate() {
            assert!(hits(lit.as_bytes()).any(1 << i), "{lit}");
        }
        assert_eq!(hits(b"nothing to see here"), Hits(0));
        let h = hits(b"      Exit Code:    137");
        assert!(h.any(Hits::DESCRIBE));
        assert!(hits(b"Reason: Error Exit Code: 255").any(Hits::DESCRIBE));
        assert!(hits(b"Exit Code: 1").any(Hits::DESCRIBE));
        let h = hits(b"some-service1   /usr/sbin/entrypoint.sh   Exit 137");
        assert!(h.any(Hits::COMPOSE_EXIT) && !h.any(Hits::DESCRIBE));
        let h = hits(b"The executor with id 1 exited with exit code 137.");
        assert!(h.any(Hits::XITED_WITH));
        for decoy in [
            &br#"{"level":"error","msg":"subprocess finished","cmd":"git fetch --all","exitCode":128}"#[..],
            b"level=warn msg=\"hook failed\" hook=pre-stop exit_status=1 code=ETIMEDOUT",
            b"command terminated with exit code 137",
            b"exit status 2",
            b"GET /api/v1/jobs/42/exit-code HTTP/1.1",
        ] {
            assert_eq!(hits(decoy), Hits(0), "{}", String::from_utf8_lossy(decoy));
        }
    }
}
