//! `kubectl get pods` tables (any of `-A`, `-o wide`, `get all`'s `pod/` names).
//!
//! The STATUS column is the printer's summary of the pod (kubectl
//! `printPod`): a container's termination reason (`Error`, `Completed`,
//! `OOMKilled`, ...), `ExitCode:N` / `Signal:N` when the reason is empty, an
//! `Init:` prefix for init containers. Those give a record (reason-only,
//! code-only or signal-only); `Running`, `CrashLoopBackOff`, `Pending`,
//! `Terminating`, `Init:0/1` and other waiting states give nothing.
//!
//! The header row fixes which column is STATUS; rows are split on blanks (no
//! column before STATUS can hold one).

use crate::code::Signal;
use crate::parse::util::{self, whole_int};
use crate::record::{Format, Record, State};

const TERMINATION_REASONS: [&str; 7] = [
    "Error",
    "Completed",
    "OOMKilled",
    "ContainerCannotRun",
    "StartError",
    "DeadlineExceeded",
    "ContainerStatusUnknown",
];

/// Column layout learned from the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    status: usize,
    name: usize,
    namespace: Option<usize>,
    restarts: Option<usize>,
    columns: usize,
}

fn words(line: &[u8]) -> Vec<&[u8]> {
    line.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty()).collect()
}

/// Reads a header such as `NAMESPACE  NAME  READY  STATUS  RESTARTS  AGE`.
pub fn header(line: &[u8]) -> Option<Table> {
    let w = words(line);
    let pos = |name: &[u8]| w.iter().position(|x| *x == name);
    let status = pos(b"STATUS")?;
    let name = pos(b"NAME")?;
    pos(b"READY")?;
    let restarts = pos(b"RESTARTS");
    restarts?;
    Some(Table { status, name, namespace: pos(b"NAMESPACE"), restarts, columns: w.len() })
}

/// What a row means. `None` when the line is not a row of this table (the table ended).
pub fn row(t: &Table, line: &[u8]) -> Option<Option<Record>> {
    let w = words(line);
    if w.len() <= t.status || w.len() + 4 < t.columns.min(6) {
        return None;
    }
    // READY looks like `0/1`.
    let ready = w.get(t.status.checked_sub(1)?)?;
    if !ready.contains(&b'/') {
        return None;
    }
    let status = w[t.status];
    let (init, s) = match status.strip_prefix(b"Init:") {
        Some(s) => (true, s),
        None => (false, status),
    };
    let mut r = Record::new(Format::GetPods);
    r.state = Some(State::Terminated);
    r.init = Some(init);
    if let Some(n) = s.strip_prefix(b"ExitCode:") {
        let Some(code) = whole_int(n) else { return Some(None) };
        r.raw_exit_code = Some(code);
    } else if let Some(n) = s.strip_prefix(b"Signal:") {
        let Some(sig) = whole_int(n).and_then(Signal::new) else { return Some(None) };
        r.stated_signal = Some(sig);
    } else if let Some(reason) = TERMINATION_REASONS.iter().find(|x| x.as_bytes() == s) {
        r.reason = Some((*reason).into());
    } else {
        return Some(None);
    }
    // A row too short for the NAME column (NAME after STATUS) is no row.
    let name = *w.get(t.name)?;
    let name = name.strip_prefix(b"pod/").unwrap_or(name);
    r.pod = util::nonempty(name);
    r.namespace = t.namespace.and_then(|i| w.get(i)).and_then(|n| util::nonempty(n));
    r.restart_count = t.restarts.and_then(|i| w.get(i)).and_then(|n| whole_int(n)).and_then(|v| u64::try_from(v).ok());
    Some(Some(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::type_complexity)]
    fn table() {
        let t = header(b"NAMESPACE   NAME      READY   STATUS             RESTARTS        AGE").unwrap();
        let cases: [(&str, Option<(Option<i64>, Option<&str>, Option<u8>, bool)>); 8] = [
            ("default   web-1   0/1   Error   0   1h", Some((None, Some("Error"), None, false))),
            ("default   web-1   0/1   Init:Error   1   6s", Some((None, Some("Error"), None, true))),
            ("default   web-1   0/1   Completed   0   6s", Some((None, Some("Completed"), None, false))),
            ("default   web-1   0/1   Init:ExitCode:3   0   6s", Some((Some(3), None, None, true))),
            ("default   web-1   0/1   Signal:9   0   6s", Some((None, None, Some(9), false))),
            ("default   web-1   1/1   Running   4 (20m ago)   2d", None),
            ("default   web-1   0/1   CrashLoopBackOff   12 (111s ago)   7m", None),
            ("default   web-1   0/1   Init:CrashLoopBackOff   1   12s", None),
        ];
        for (l, want) in cases {
            let got = row(&t, l.as_bytes()).unwrap_or_else(|| panic!("not a row: {l}"));
            let got =
                got.map(|r| (r.raw_exit_code, r.reason.clone(), r.stated_signal.map(|s| s.0), r.init == Some(true)));
            let want = want.map(|(c, re, s, i)| (c, re.map(crate::record::Str::from), s, i));
            assert_eq!(got, want, "{l}");
        }
        assert!(row(&t, b"$ kubectl get pods").is_none());
        assert!(header(b"NAME COMPLETIONS DURATION AGE").is_none());
        let t = header(b"NAME                READY   STATUS      RESTARTS   AGE").unwrap();
        let r = row(&t, b"pod/busybox-rm4wk   0/1     Completed   0          6s").unwrap().unwrap();
        assert_eq!(r.pod.as_deref(), Some("busybox-rm4wk"));
    }
}
