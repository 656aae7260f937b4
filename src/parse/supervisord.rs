//! supervisord's process state log (`supervisor/process.py`):
//!
//! ```text
//! INFO exited: web (exit status 1; not expected)
//! INFO exited: web (terminated by SIGKILL; not expected)
//! WARN stopped: web (exit status 143)              (supervisorctl stop)
//! WARN stopped: web (terminated by SIGTERM)
//! ```
//!
//! Expected exits are records too; a kill by signal is a signal-only record.

use crate::code::Signal;
use crate::parse::util::{self, lead_int};
use crate::record::{Format, Record, State};

pub fn parse(msg: &[u8]) -> Option<Record> {
    let (at, len) = match util::find(msg, b"exited: ") {
        Some(at) => (at, b"exited: ".len()),
        None => (util::find(msg, b"stopped: ")?, b"stopped: ".len()),
    };
    let rest = &msg[at + len..];
    let open = util::find(rest, b" (")?;
    let name = &rest[..open];
    if name.is_empty() || name.contains(&b' ') {
        return None;
    }
    let inner = &rest[open + 2..];
    let mut r = Record::new(Format::Supervisord);
    if let Some(s) = inner.strip_prefix(b"exit status ") {
        r.raw_exit_code = Some(lead_int(s)?);
    } else if let Some(s) = inner.strip_prefix(b"terminated by ") {
        let n = s.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        r.stated_signal = Some(Signal::parse(&String::from_utf8_lossy(&s[..n]))?);
    } else {
        return None;
    }
    r.state = Some(State::Terminated);
    r.container = util::nonempty(name);
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let r = parse(b"2014-05-19 19:49:00,821 INFO exited: nslcd (exit status 0; not expected)").unwrap();
        assert_eq!((r.raw_exit_code, r.container.as_deref()), (Some(0), Some("nslcd")));
        let r = parse(b"INFO exited: web (terminated by SIGKILL; not expected)").unwrap();
        assert_eq!((r.raw_exit_code, r.stated_signal), (None, Some(Signal::KILL)));
        let r = parse(b"2026-11-25 08:17:40,123 WARN stopped: term143 (exit status 143)").unwrap();
        assert_eq!((r.raw_exit_code, r.container.as_deref()), (Some(143), Some("term143")));
        let r = parse(b"WARN stopped: web (terminated by SIGTERM)").unwrap();
        assert_eq!(r.stated_signal, Some(Signal::TERM));
        for no in [&b"INFO spawned: 'nslcd' with pid 553"[..], b"exited: (exit status 1)", b"exited: a (exit status x;"]
        {
            assert!(parse(no).is_none());
        }
    }
}
