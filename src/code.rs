//! Exit codes and signals as open newtypes: normalization into `0..=255`,
//! Windows NTSTATUS recognition, `128 + N` signal decoding and the class that
//! Prometheus counts by.
//!
//! The rules come from DESIGN.md §2: a printed code outside `0..=255` wraps
//! (`code.rem_euclid(256)`, which is `code % 256` for positives and
//! `256 - (|code| % 256)` for negatives, mapping exact multiples to 0); an
//! NTSTATUS value (`>= 0xC000_0000`, or the same bits printed as a negative
//! `i32`) is recognized *before* wrapping and kept whole.

use serde::Serialize;

/// An exit code exactly as the input printed it (any integer the text held).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RawCode(pub i64);

/// Lowest NTSTATUS error value (severity bits `11`).
pub const NTSTATUS_MIN: i64 = 0xC000_0000;
/// Largest value an NTSTATUS can take.
pub const NTSTATUS_MAX: i64 = 0xFFFF_FFFF;

/// What a printed code means once normalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Normalized {
    /// The code reported as `exit_code`: `0..=255`, or the unsigned NTSTATUS value.
    pub code: i64,
    /// True when the raw value was a Windows NTSTATUS code.
    pub windows: bool,
    /// True when the raw value lay outside `0..=255` and was wrapped.
    pub wrapped: bool,
}

impl RawCode {
    /// Normalizes the printed value (see the module doc).
    pub fn normalize(self) -> Normalized {
        let v = self.0;
        if let Some(status) = ntstatus_value(v) {
            return Normalized { code: status, windows: true, wrapped: false };
        }
        let code = v.rem_euclid(256);
        Normalized { code, windows: false, wrapped: !(0..=255).contains(&v) }
    }
}

/// The unsigned NTSTATUS value when `v` is one, in either printed form.
pub fn ntstatus_value(v: i64) -> Option<i64> {
    if (NTSTATUS_MIN..=NTSTATUS_MAX).contains(&v) {
        return Some(v);
    }
    // The same 32 bits printed as a signed int32: -1073741819 == 0xC0000005.
    // Only large magnitudes count: -1 is `exit(-1)` (255), not 0xFFFFFFFF.
    if (-(1i64 << 30)..=-(1i64 << 24)).contains(&v) {
        return Some(v + (1i64 << 32));
    }
    None
}

/// A Linux signal number (1..=64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(pub u8);

/// Standard signal names by number (x86-64 / ARM numbering, signal(7)).
const SIGNAL_NAMES: [&str; 32] = [
    "",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// Real-time signal names, as glibc's `strsignal`/`kill -l` print them.
const RT_NAMES: [&str; 31] = [
    "SIGRTMIN",
    "SIGRTMIN+1",
    "SIGRTMIN+2",
    "SIGRTMIN+3",
    "SIGRTMIN+4",
    "SIGRTMIN+5",
    "SIGRTMIN+6",
    "SIGRTMIN+7",
    "SIGRTMIN+8",
    "SIGRTMIN+9",
    "SIGRTMIN+10",
    "SIGRTMIN+11",
    "SIGRTMIN+12",
    "SIGRTMIN+13",
    "SIGRTMIN+14",
    "SIGRTMIN+15",
    "SIGRTMAX-14",
    "SIGRTMAX-13",
    "SIGRTMAX-12",
    "SIGRTMAX-11",
    "SIGRTMAX-10",
    "SIGRTMAX-9",
    "SIGRTMAX-8",
    "SIGRTMAX-7",
    "SIGRTMAX-6",
    "SIGRTMAX-5",
    "SIGRTMAX-4",
    "SIGRTMAX-3",
    "SIGRTMAX-2",
    "SIGRTMAX-1",
    "SIGRTMAX",
];

impl Signal {
    pub const HUP: Signal = Signal(1);
    pub const INT: Signal = Signal(2);
    pub const ABRT: Signal = Signal(6);
    pub const KILL: Signal = Signal(9);
    pub const SEGV: Signal = Signal(11);
    pub const TERM: Signal = Signal(15);

    /// A signal from a number if Linux knows it (1..=31 standard, 34..=64 real-time).
    pub fn new(n: i64) -> Option<Signal> {
        match n {
            1..=31 | 34..=64 => Some(Signal(n as u8)),
            _ => None,
        }
    }

    /// The signal an exit code `129..=254` stands for (`code - 128`).
    pub fn from_exit_code(code: i64) -> Option<Signal> {
        if (129..=254).contains(&code) {
            Signal::new(code - 128)
        } else {
            None
        }
    }

    /// `SIGKILL`, `SIGRTMIN+3`, ...
    pub fn name(self) -> &'static str {
        match self.0 {
            n @ 1..=31 => SIGNAL_NAMES[n as usize],
            n @ 34..=64 => RT_NAMES[(n - 34) as usize],
            _ => "",
        }
    }

    /// Parses `SIGKILL`, `KILL`, `sigkill` or `9`.
    pub fn parse(s: &str) -> Option<Signal> {
        let s = s.trim();
        if let Ok(n) = s.parse::<i64>() {
            return Signal::new(n);
        }
        let upper = s.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        let alias = match name {
            "IOT" => "ABRT",
            "POLL" => "IO",
            "CLD" => "CHLD",
            other => other,
        };
        (1u8..=31).chain(34..=64).map(Signal).find(|sig| &sig.name()[3..] == alias)
    }
}

/// What Prometheus counts by (DESIGN.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitClass {
    Success,
    Application,
    Runtime,
    Signal,
    OutOfRange,
    Windows,
    Unknown,
}

impl ExitClass {
    pub const ALL: [ExitClass; 7] = [
        ExitClass::Success,
        ExitClass::Application,
        ExitClass::Runtime,
        ExitClass::Signal,
        ExitClass::OutOfRange,
        ExitClass::Windows,
        ExitClass::Unknown,
    ];

    /// The class of a record from its normalized code and any stated signal.
    pub fn of(code: Option<Normalized>, stated_signal: Option<Signal>) -> ExitClass {
        match code {
            Some(n) if n.windows => ExitClass::Windows,
            Some(n) => match n.code {
                0 => ExitClass::Success,
                1..=124 => ExitClass::Application,
                125..=128 => ExitClass::Runtime,
                129..=254 => ExitClass::Signal,
                _ => ExitClass::OutOfRange,
            },
            None if stated_signal.is_some() => ExitClass::Signal,
            None => ExitClass::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExitClass::Success => "success",
            ExitClass::Application => "application",
            ExitClass::Runtime => "runtime",
            ExitClass::Signal => "signal",
            ExitClass::OutOfRange => "out_of_range",
            ExitClass::Windows => "windows",
            ExitClass::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_edges() {
        let table: &[(i64, i64, bool, bool)] = &[
            // raw, exit_code, windows, wrapped
            (0, 0, false, false),
            (1, 1, false, false),
            (255, 255, false, false),
            (256, 0, false, true),
            (257, 1, false, true),
            (-1, 255, false, true),
            (-127, 129, false, true),
            (-256, 0, false, true),
            (-257, 255, false, true),
            (3221225477, 3221225477, true, false),
            (-1073741819, 3221225477, true, false),
            (3221226505, 3221226505, true, false),
            (0xFFFF_FFFF, 0xFFFF_FFFF, true, false),
            // Large but not NTSTATUS: wraps.
            (0xBFFF_FFFF, 0xFF, false, true),
            (-1073741824, 0xC000_0000, true, false),
            (-1073741825, 255, false, true),
        ];
        for &(raw, code, windows, wrapped) in table {
            let n = RawCode(raw).normalize();
            assert_eq!((n.code, n.windows, n.wrapped), (code, windows, wrapped), "raw {raw}");
        }
    }

    #[test]
    fn signal_decoding() {
        assert_eq!(Signal::from_exit_code(137), Some(Signal::KILL));
        assert_eq!(Signal::from_exit_code(143).map(Signal::name), Some("SIGTERM"));
        assert_eq!(Signal::from_exit_code(139).map(Signal::name), Some("SIGSEGV"));
        assert_eq!(Signal::from_exit_code(128), None);
        assert_eq!(Signal::from_exit_code(255), None);
        // 160 - 128 = 32: glibc reserves 32 and 33, no name.
        assert_eq!(Signal::from_exit_code(160), None);
        assert_eq!(Signal::from_exit_code(162).map(Signal::name), Some("SIGRTMIN"));
        assert_eq!(Signal::from_exit_code(192).map(Signal::name), Some("SIGRTMAX"));
        assert_eq!(Signal::from_exit_code(193), None);
    }

    #[test]
    fn signal_parsing() {
        for (text, n) in [("SIGKILL", 9), ("kill", 9), ("9", 9), ("SIGIOT", 6), ("sigsegv", 11)] {
            assert_eq!(Signal::parse(text), Some(Signal(n)), "{text}");
        }
        for bad in ["SIGFOO", "0", "32", "65", "", "-9"] {
            assert_eq!(Signal::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn classes() {
        let c = |raw: i64| ExitClass::of(Some(RawCode(raw).normalize()), None);
        assert_eq!(c(0), ExitClass::Success);
        assert_eq!(c(1), ExitClass::Application);
        assert_eq!(c(124), ExitClass::Application);
        assert_eq!(c(125), ExitClass::Runtime);
        assert_eq!(c(128), ExitClass::Runtime);
        assert_eq!(c(129), ExitClass::Signal);
        assert_eq!(c(254), ExitClass::Signal);
        assert_eq!(c(255), ExitClass::OutOfRange);
        assert_eq!(c(-1), ExitClass::OutOfRange);
        assert_eq!(c(256), ExitClass::Success);
        assert_eq!(c(3221225477), ExitClass::Windows);
        assert_eq!(ExitClass::of(None, Some(Signal::KILL)), ExitClass::Signal);
        assert_eq!(ExitClass::of(None, None), ExitClass::Unknown);
    }
}
