//! systemd (`src/core/service.c`, `service_sigchld_event`) and `systemctl status`:
//!
//! ```text
//! web.service: Main process exited, code=exited, status=1/FAILURE
//! web.service: Main process exited, code=killed, status=9/KILL
//! containerd.service: main process exited, code=dumped, status=5/TRAP     (older systemd)
//!     Process: 1234 ExecStart=/usr/bin/web (code=exited, status=1/FAILURE)
//!    Main PID: 1234 (code=killed, signal=KILL)
//! ExecStart={ path=/usr/bin/dockerd ; argv[]=... ; pid=837 ; code=exited ; status=1 }   (systemctl show)
//! Main processes terminated with: code=exited/status=3                    (systemd-run --wait, src/run/run.c)
//! Main processes terminated with: code=killed/status=KILL
//! ```
//!
//! `code=exited` gives the exit code; `killed` / `dumped` give a signal-only
//! record. `Control process exited` (ExecStartPre, ExecStop, ...) is not the
//! service's main process and gives nothing, nor do `Process:` lines of
//! `ExecStartPre=` and friends.

use crate::code::Signal;
use crate::parse::util::{self, lead_int, logfmt};
use crate::record::{Format, Record, State};

pub fn parse(msg: &[u8]) -> Option<Record> {
    if let Some(at) = util::find(msg, b"Main processes terminated with: code=") {
        return run_summary(&msg[at + b"Main processes terminated with: code=".len()..]);
    }
    let mut pid = None;
    // Where `code=` and `status=` are read.
    let mut fields = msg;
    let main = util::find(msg, b"Main process exited, ").or_else(|| util::find(msg, b"main process exited, "));
    let unit = match main {
        Some(at) => {
            let before = util::trim_end(&msg[..at]);
            let before = before.strip_suffix(b":").unwrap_or(before);
            util::nonempty(unit_suffix(before))
        }
        None => {
            let t = util::trim_start(msg);
            // systemctl show: the main process's last run (`ExecStartEx=`
            // repeats it on newer systemd, with the same pid). A unit that
            // has not run shows `code=(null)`.
            if t.starts_with(b"ExecStart={ ") || t.starts_with(b"ExecStartEx={ ") {
                // (After the command line, whose arguments may hold `status=`.)
                let at = util::rfind(msg, b" ; pid=")?;
                fields = &msg[at..];
                pid = logfmt(fields, b"pid").and_then(lead_int).and_then(|p| u64::try_from(p).ok());
            } else {
                // systemctl status: `Main PID: N (code=...)` / `Process: N ExecStart=... (code=...)`
                let rest = t.strip_prefix(b"Main PID: ").or_else(|| t.strip_prefix(b"Process: "));
                let rest = rest?;
                let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                if t.starts_with(b"Process: ") && !rest[n..].starts_with(b" ExecStart=") {
                    return None;
                }
                pid = lead_int(rest).and_then(|p| u64::try_from(p).ok());
            }
            None
        }
    };
    let how = logfmt(fields, b"code")?;
    let status = logfmt(fields, b"status").or_else(|| logfmt(fields, b"signal"))?;
    let mut r = exit(how, status)?;
    r.container = unit;
    // `Process:` and `Main PID:` show the same exit: the pid ties them together.
    r.pid = pid;
    Some(r)
}

/// systemd-run's `code=exited/status=3` (after `code=`): the status is the
/// exit code, or for `killed` / `dumped` the signal's name without `SIG`.
/// The unit is named on its `Running as unit:` line above ([`run_unit`]).
fn run_summary(rest: &[u8]) -> Option<Record> {
    let rest = util::trim_end(rest);
    let slash = memchr::memchr(b'/', rest)?;
    let status = rest[slash + 1..].strip_prefix(b"status=")?;
    if status.is_empty() || status.contains(&b' ') {
        return None;
    }
    exit(&rest[..slash], status)
}

/// The record of a `code=` and its `status=` (or `signal=`).
fn exit(how: &[u8], status: &[u8]) -> Option<Record> {
    let mut r = Record::new(Format::Systemd);
    r.state = Some(State::Terminated);
    match how {
        b"exited" => r.raw_exit_code = Some(lead_int(status)?),
        b"killed" | b"dumped" => {
            let n = lead_int(status).and_then(Signal::new).or_else(|| {
                let name = status.split(|&b| b == b'/').next_back()?;
                Signal::parse(&String::from_utf8_lossy(name))
            })?;
            r.stated_signal = Some(n);
        }
        _ => return None,
    }
    Some(r)
}

/// The unit of systemd-run's `Running as unit: run-u7.service` (since v256
/// followed by `; invocation ID: ...`), which names the unit its summary
/// line is about.
pub fn run_unit(msg: &[u8]) -> Option<&[u8]> {
    let at = util::find(msg, b"Running as unit: ")?;
    let rest = &msg[at + b"Running as unit: ".len()..];
    let n = rest.iter().take_while(|&&b| b != b';' && !b.is_ascii_whitespace()).count();
    let unit = &rest[..n];
    (!unit.is_empty() && unit_suffix(unit).len() == n).then_some(unit)
}

/// The unit systemd names in its own OOM notice (`src/core/unit.c`,
/// `unit_check_oom`; systemd-oomd's kills since v248):
///
/// ```text
/// web.service: A process of this unit has been killed by the OOM killer.
/// web.service: systemd-oomd killed 3 process(es) in this unit.
/// ```
pub fn unit_oom(msg: &[u8]) -> Option<&[u8]> {
    let at = util::find(msg, b": A process of this unit has been killed by the OOM killer")
        .or_else(|| util::find(msg, b": systemd-oomd killed "))?;
    let unit = unit_suffix(&msg[..at]);
    (!unit.is_empty()).then_some(unit)
}

/// What systemd logs about a unit before it signals the unit's main process
/// itself (`src/core/service.c`, `service_dispatch_timer` and
/// `service_dispatch_watchdog`; before v236 the unit and the state were
/// separated by a blank only, `web.service stop-sigterm timed out. Killing.`):
///
/// ```text
/// web.service: A process of this unit has been killed by the OOM killer.   Oom
/// web.service: Watchdog timeout (limit 3min)!                             Watchdog (WatchdogSignal=, SIGABRT)
/// web.service: start operation timed out. Terminating.                    StartTimeout (TimeoutStartSec=)
/// web.service: State 'stop-sigterm' timed out. Killing.                   StopTimeout (TimeoutStopSec=, then SIGKILL)
/// web.service: Stopping timed out. Killing.                               StopTimeout (ExecStop= hung)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Oom,
    Watchdog,
    StartTimeout,
    StopTimeout,
}

/// The notice `msg` holds and the unit it names.
pub fn unit_notice(msg: &[u8]) -> Option<(Notice, &[u8])> {
    if let Some(unit) = unit_oom(msg) {
        return Some((Notice::Oom, unit));
    }
    let watchdog =
        util::find(msg, b"atchdog timeout (limit ").or_else(|| util::find(msg, b"atchdog request (last status: "));
    if let Some(at) = watchdog {
        let w = at.checked_sub(1)?;
        return matches!(msg[w], b'W' | b'w').then(|| unit_before(&msg[..w])).flatten().map(|u| (Notice::Watchdog, u));
    }
    let at = util::find(msg, b" timed out. ")?;
    let then = &msg[at + b" timed out. ".len()..];
    if ![&b"Killing."[..], b"Aborting.", b"Terminating."].iter().any(|a| then.starts_with(a)) {
        return None;
    }
    let before = &msg[..at];
    let (notice, head) = if let Some(h) = before.strip_suffix(b" operation") {
        // `start operation`, `start-pre operation`, ... (`Reload operation`
        // and `Mount operation` kill a control process, not the main one).
        let sp = memchr::memrchr(b' ', h)?;
        if !matches!(&h[sp + 1..], b"start" | b"Start" | b"start-pre" | b"start-post" | b"condition") {
            return None;
        }
        (Notice::StartTimeout, &h[..=sp])
    } else if let Some(h) = before.strip_suffix(b"Stopping") {
        (Notice::StopTimeout, h)
    } else {
        let (state, head) = match before.strip_suffix(b"'") {
            Some(q) => {
                let open = memchr::memrchr(b'\'', q)?;
                (&q[open + 1..], q[..open].strip_suffix(b"State ")?)
            }
            None => {
                let sp = memchr::memrchr(b' ', before)?;
                (&before[sp + 1..], &before[..=sp])
            }
        };
        let stopping =
            [&b"stop-sigterm"[..], b"stop-watchdog", b"stop-final-sigterm", b"final-sigterm", b"final-watchdog"];
        if !stopping.contains(&state) {
            return None;
        }
        (Notice::StopTimeout, head)
    };
    unit_before(head).map(|u| (notice, u))
}

/// The unit that `UNIT: ` (or, before v236, `UNIT `) ends `head` with (a
/// name with its type suffix: `Ignoring watchdog ...` names none).
fn unit_before(head: &[u8]) -> Option<&[u8]> {
    let head = head.strip_suffix(b" ")?;
    let head = head.strip_suffix(b":").unwrap_or(head);
    let unit = unit_suffix(head);
    unit.contains(&b'.').then_some(unit)
}

/// The unit name `text` ends with: the bytes a unit name may hold
/// (`systemd.unit(5)`: letters, digits, `:-_.\`, and `@` of templates), so a
/// quote or a `MESSAGE=` before it (`journalctl -o json-pretty`, `-o
/// verbose`) is no part of it.
fn unit_suffix(text: &[u8]) -> &[u8] {
    let n = text
        .iter()
        .rev()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_' | b'.' | b'\\' | b'@'))
        .count();
    &text[text.len() - n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::type_complexity)]
    fn table() {
        let ok: [(&str, Option<i64>, Option<u8>, Option<&str>); 14] = [
            (
                "exitscan-exit3.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED",
                Some(3),
                None,
                Some("exitscan-exit3.service"),
            ),
            (
                "exitscan-segv.service: Main process exited, code=killed, status=11/SEGV",
                None,
                Some(11),
                Some("exitscan-segv.service"),
            ),
            (
                "containerd.service: main process exited, code=dumped, status=5/TRAP",
                None,
                Some(5),
                Some("containerd.service"),
            ),
            ("x.service: Main process exited, code=exited, status=143/n/a", Some(143), None, Some("x.service")),
            // journalctl -o json-pretty and -o verbose.
            ("\t\"MESSAGE\" : \"web.service: Main process exited, code=killed, status=9/KILL\",", None, Some(9), Some("web.service")),
            ("    MESSAGE=getty@tty1.service: Main process exited, code=exited, status=1/FAILURE", Some(1), None, Some("getty@tty1.service")),
            ("    Process: 1234 ExecStart=/usr/bin/web (code=exited, status=1/FAILURE)", Some(1), None, None),
            ("   Main PID: 1234 (code=killed, signal=KILL)", None, Some(9), None),
            ("   Main PID: 1234 (code=exited, status=0/SUCCESS)", Some(0), None, None),
            // systemctl show (kata-containers/runtime#645), and a command line holding `status=`.
            ("ExecStart={ path=/usr/bin/dockerd ; argv[]=/usr/bin/dockerd -D --add-runtime kata-runtime=/usr/bin/kata-runtime ; ignore_errors=no ; start_time=[Fri 2018-08-24 21:08:43 UTC] ; stop_time=[Fri 2018-08-24 21:08:43 UTC] ; pid=837 ; code=exited ; status=1 }", Some(1), None, None),
            ("ExecStartEx={ path=/bin/app ; argv[]=/bin/app --status=7 code=exited ; flags= ; start_time=[n/a] ; stop_time=[n/a] ; pid=9 ; code=killed ; status=9/KILL }", None, Some(9), None),
            // systemd-run --wait.
            ("Main processes terminated with: code=exited/status=3", Some(3), None, None),
            ("Main processes terminated with: code=killed/status=KILL", None, Some(9), None),
            ("Main processes terminated with: code=dumped/status=SEGV\r", None, Some(11), None),
        ];
        for (l, code, sig, unit) in ok {
            let r = parse(l.as_bytes()).unwrap_or_else(|| panic!("{l}"));
            assert_eq!(
                (r.raw_exit_code, r.stated_signal.map(|s| s.0), r.container.as_deref()),
                (code, sig, unit),
                "{l}"
            );
        }
        for (l, unit) in [
            ("web.service: A process of this unit has been killed by the OOM killer.", Some("web.service")),
            (
                "Jan 28 09:05:12 n systemd[1]: a@1.service: A process of this unit has been killed by the OOM killer.",
                Some("a@1.service"),
            ),
            ("user@1000.service: systemd-oomd killed 3 process(es) in this unit.", Some("user@1000.service")),
            (
                "\"MESSAGE\" : \"web.service: A process of this unit has been killed by the OOM killer.\",",
                Some("web.service"),
            ),
            ("web.service: Failed with result 'oom-kill'.", None),
            (": A process of this unit has been killed by the OOM killer.", None),
        ] {
            assert_eq!(unit_oom(l.as_bytes()), unit.map(str::as_bytes), "{l}");
        }
        use Notice::*;
        for (l, want) in [
            ("web.service: Watchdog timeout (limit 3min)!", Some((Watchdog, "web.service"))),
            (
                "Jan 28 09:05:16 n systemd[1]: a.service: Watchdog request (last status: stuck)!",
                Some((Watchdog, "a.service")),
            ),
            ("web.service watchdog timeout (limit 10s)!", Some((Watchdog, "web.service"))),
            ("web.service: start operation timed out. Terminating.", Some((StartTimeout, "web.service"))),
            ("nginx.service: Start operation timed out. Terminating.", Some((StartTimeout, "nginx.service"))),
            ("db.service: start-pre operation timed out. Killing.", Some((StartTimeout, "db.service"))),
            ("web.service start operation timed out. Terminating.", Some((StartTimeout, "web.service"))),
            ("web.service: State 'stop-sigterm' timed out. Killing.", Some((StopTimeout, "web.service"))),
            ("web.service: State 'stop-sigterm' timed out. Aborting.", Some((StopTimeout, "web.service"))),
            ("web.service: State 'final-sigterm' timed out. Killing.", Some((StopTimeout, "web.service"))),
            ("web.service: Stopping timed out. Killing.", Some((StopTimeout, "web.service"))),
            (
                "Dec 17 12:36:28 h systemd[1]: 5cfe11d6-343e.service stop-sigterm timed out. Killing.",
                Some((StopTimeout, "5cfe11d6-343e.service")),
            ),
            ("web.service: A process of this unit has been killed by the OOM killer.", Some((Oom, "web.service"))),
            // Nothing of the main process, or nothing killed.
            ("web.service: State 'stop-sigterm' timed out. Skipping SIGKILL.", None),
            ("web.service: Reload operation timed out. Killing reload process.", None),
            ("web.service: Mount operation timed out. Killing mount process.", None),
            ("web.service: Watchdog disabled! Ignoring watchdog timeout (limit 3min)!", None),
            ("web.service: State 'stop-post' timed out. Killing.", None),
            ("curl: (28) Operation timed out. Terminating.", None),
            ("web.service: Job web.service/start timed out.", None),
            ("State 'stop-sigterm' timed out. Killing.", None),
        ] {
            let got = unit_notice(l.as_bytes()).map(|(n, u)| (n, String::from_utf8_lossy(u).into_owned()));
            assert_eq!(got, want.map(|(n, u)| (n, u.to_string())), "{l}");
        }
        for no in [
            "named.service: Control process exited, code=exited, status=1/FAILURE",
            "    Process: 99 ExecStartPre=/bin/mkdir -p /x (code=exited, status=0/SUCCESS)",
            "x.service: Failed with result 'timeout'.",
            "x.service: Main process exited, code=weird, status=1",
            // Never ran.
            "ExecStart={ path=/usr/bin/dockerd ; argv[]=/usr/bin/dockerd -H fd:// ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }",
            "ExecStartPre={ path=/bin/mkdir ; argv[]=/bin/mkdir -p /x ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=5 ; code=exited ; status=0 }",
            "Main processes terminated with: code=exited/status=",
            "Main processes terminated with: code=exited/3",
            "Main processes terminated with: code=weird/status=1",
            "Main processes terminated with: code=killed/status=NOPE",
        ] {
            assert!(parse(no.as_bytes()).is_none(), "{no}");
        }
        for (l, unit) in [
            ("Running as unit: run-u123.service", Some("run-u123.service")),
            (
                "Running as unit: run-p42-i43.service; invocation ID: 6f1b0c2d9e8a4b7c8d9e0f1a2b3c4d5e",
                Some("run-p42-i43.service"),
            ),
            ("Running as unit: ", None),
            ("Running as unit: \"x.service\"", None),
        ] {
            assert_eq!(run_unit(l.as_bytes()), unit.map(str::as_bytes), "{l}");
        }
    }
}
