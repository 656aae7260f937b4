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

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::record::Record;

/// A fact that is not a termination itself but explains one nearby.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// An OOM kill or event for a container (name or id) or process.
    Oom { container: Option<String>, pid: Option<u64> },
}

/// What the scanner produces, in input order.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Record(Box<Record>),
    Evidence(Evidence),
}

/// The literals the prefilter searches for. Their order defines the bits of [`Hits`].
pub const LITERALS: [&str; 21] = [
    "Exit Code",      // describe
    "exitCode",       // kubelet PLEG, logfmt, docker events, pod JSON/YAML
    "ExitCode",       // docker inspect, podman containerExitCode, get pods ExitCode:N
    "exit_status",    // containerd protobuf text / ctr events
    "ExitStatus",     // containerd &TaskExit{}
    "xited with",     // conmon, compose v2, Spark
    "Exited (",       // docker ps
    " Exit ",         // docker-compose v1 ps
    "exited: ",       // supervisord
    "code=exited",    // systemd
    "code=killed",    // systemd
    "code=dumped",    // systemd
    "Killed process", // kernel OOM killer
    "exit code",      // CRI-O debug, Argo, Spark
    "event=exit",     // Windows libcontainerd
    "RESTARTS",       // kubectl get pods header
    "TaskOOM",        // containerd OOM event (evidence)
    "tasks/oom",      // ctr events OOM (evidence)
    "container oom",  // docker events OOM (evidence)
    "oom-kill:",      // kernel OOM summary (evidence)
    "\"oom\"",        // docker events JSON OOM (evidence)
];

/// Bit set over [`LITERALS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hits(pub u32);

impl Hits {
    pub const DESCRIBE: u32 = 1 << 0;
    pub const EXITCODE_LOWER: u32 = 1 << 1;
    pub const EXITCODE_UPPER: u32 = 1 << 2;
    pub const EXIT_STATUS_US: u32 = 1 << 3;
    pub const EXITSTATUS: u32 = 1 << 4;
    pub const XITED_WITH: u32 = 1 << 5;
    pub const EXITED_PAREN: u32 = 1 << 6;
    pub const COMPOSE_EXIT: u32 = 1 << 7;
    pub const SUPERVISORD: u32 = 1 << 8;
    pub const SYSTEMD: u32 = (1 << 9) | (1 << 10) | (1 << 11);
    pub const KILLED_PROCESS: u32 = 1 << 12;
    pub const EXIT_CODE_LOWER: u32 = 1 << 13;
    pub const EVENT_EXIT: u32 = 1 << 14;
    pub const RESTARTS: u32 = 1 << 15;
    pub const OOM_EVENT: u32 = (1 << 16) | (1 << 17) | (1 << 18) | (1 << 20);
    pub const OOM_KILL: u32 = 1 << 19;

    pub fn any(self, mask: u32) -> bool {
        self.0 & mask != 0
    }
}

/// The shared prefilter automaton.
pub fn prefilter() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        // Standard semantics: the first match to *end* wins, which is all the
        // buffer search needs (it only wants the next line holding any literal),
        // and it allows overlapping iteration for `hits`.
        match AhoCorasickBuilder::new().match_kind(MatchKind::Standard).build(LITERALS) {
            Ok(ac) => ac,
            // The literals are constants; building them cannot fail.
            Err(e) => unreachable!("prefilter literals: {e}"),
        }
    })
}

/// Which literals `msg` holds.
pub fn hits(msg: &[u8]) -> Hits {
    let mut h = 0u32;
    for m in prefilter().find_overlapping_iter(msg) {
        h |= 1 << m.pattern().as_u32();
    }
    Hits(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_cover_every_literal() {
        for (i, lit) in LITERALS.iter().enumerate() {
            assert!(hits(lit.as_bytes()).any(1 << i), "{lit}");
        }
        assert_eq!(hits(b"nothing to see here"), Hits(0));
        let h = hits(b"      Exit Code:    137");
        assert!(h.any(Hits::DESCRIBE));
    }
}
