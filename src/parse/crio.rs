//! CRI-O and conmon. conmon logs the container's exit to the journal:
//!
//! ```text
//! conmon[1234]: conmon 6cf8e5ed7c1b9b0c1a2e <ninfo>: container 1235 exited with status 143
//! ```
//!
//! and CRI-O at debug level reports the code it collected:
//!
//! ```text
//! level=debug msg="Found exit code for <id>: 137" file="oci/runtime_oci.go:911"
//! ```

use crate::parse::util::{self, lead_int};
use crate::record::{Format, Record, State};

pub fn parse(msg: &[u8]) -> Option<Record> {
    if let Some(at) = util::find(msg, b"Found exit code for ") {
        let rest = &msg[at + b"Found exit code for ".len()..];
        let colon = util::find(rest, b": ")?;
        let id = &rest[..colon];
        if id.is_empty() || id.contains(&b' ') {
            return None;
        }
        let code = lead_int(&rest[colon + 2..])?;
        let mut r = Record::new(Format::Crio);
        r.raw_exit_code = Some(code);
        r.state = Some(State::Terminated);
        r.container = util::nonempty(id);
        r.container_id = r.container.clone();
        return Some(r);
    }
    // container <pid> exited with status <N>
    let at = util::find(msg, b" exited with status ")?;
    let before = util::trim_end(&msg[..at]);
    let pid_start = before.iter().rposition(|&b| b == b' ').map_or(0, |p| p + 1);
    let pid = util::whole_int(&before[pid_start..])?;
    if !before[..pid_start].ends_with(b"container ") {
        return None;
    }
    let code = lead_int(&msg[at + b" exited with status ".len()..])?;
    let mut r = Record::new(Format::Crio);
    r.raw_exit_code = Some(code);
    r.state = Some(State::Terminated);
    r.pid = u64::try_from(pid).ok();
    // `conmon <short id> <ninfo>: container ...`
    if let Some(c) = util::find(msg, b"conmon ") {
        let rest = &msg[c + b"conmon ".len()..];
        let n = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if n >= 8 {
            r.container = util::nonempty(&rest[..n]);
            r.container_id = r.container.clone();
        }
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let r = parse(br#"level=debug msg="Found exit code for 35fc612c: 137" file="oci/runtime_oci.go:911""#).unwrap();
        assert_eq!((r.raw_exit_code, r.container.as_deref()), (Some(137), Some("35fc612c")));
        let r = parse(b"conmon 6cf8e5ed7c1b9b0c1a2e <ninfo>: container 1235 exited with status 143").unwrap();
        assert_eq!(
            (r.raw_exit_code, r.container.as_deref(), r.pid),
            (Some(143), Some("6cf8e5ed7c1b9b0c1a2e"), Some(1235))
        );
        let r = parse(b"container 77 exited with status 1").unwrap();
        assert_eq!((r.raw_exit_code, r.container), (Some(1), None));
        for no in [
            &b"Container exited and found: 35fc612c"[..],
            b"the process exited with status 1",
            b"container abc exited with status 1",
            b"Found exit code for : 1",
        ] {
            assert!(parse(no).is_none(), "{}", String::from_utf8_lossy(no));
        }
    }
}
