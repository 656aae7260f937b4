//! kubelet journal lines. The one line that carries an exit code is the PLEG
//! relist's (`pkg/kubelet/pleg/generic.go`):
//!
//! ```text
//! generic.go:334] "Generic (PLEG): container finished" podID="<uid>" containerID="<id>" exitCode=137
//! generic.go:412] "Generic (PLEG): container finished" pod="<ns>/<pod>" podUID="<uid>" containerName="<name>" containerID="<id>" exitCode=137
//! ```
//!
//! `ContainerDied` PLEG events, probe failures and `Killing container` lines
//! carry no code and give no record.

use crate::parse::util::{self, logfmt, unquote};
use crate::record::{Format, Record, State, Str};

/// `"Generic (PLEG): container finished" ... exitCode=N`
pub fn parse(msg: &[u8]) -> Option<Record> {
    if !util::contains(msg, b"container finished") {
        return None;
    }
    let code = util::whole_int(logfmt(msg, b"exitCode")?)?;
    let mut r = Record::new(Format::Kubelet);
    r.log_time = klog_time(msg);
    r.raw_exit_code = Some(code);
    r.state = Some(State::Terminated);
    let id = logfmt(msg, b"containerID").map(unquote).and_then(util::nonempty);
    // kubernetes/kubernetes#139654 adds `containerName="..."` to the line;
    // older kubelets only give the container's id.
    let name = logfmt(msg, b"containerName").map(unquote).and_then(util::nonempty);
    r.container = name.or_else(|| id.clone());
    r.container_id = id;
    // Newer kubelets also print `pod="ns/name"`.
    if let Some(pod) = logfmt(msg, b"pod").map(unquote) {
        if let Some(slash) = memchr::memchr(b'/', pod) {
            r.namespace = util::nonempty(&pod[..slash]);
            r.pod = util::nonempty(&pod[slash + 1..]);
        }
    }
    Some(r)
}

/// The time in a klog header: `I0128 09:05:11.123456    2231 file.go:1] ...`.
fn klog_time(msg: &[u8]) -> Option<Str> {
    let m = util::trim_start(msg);
    let head = m.get(..21)?;
    let ok = matches!(head[0], b'I' | b'W' | b'E' | b'F')
        && head[1..5].iter().all(u8::is_ascii_digit)
        && head[5] == b' '
        && head[14] == b'.';
    ok.then(|| Str::from(String::from_utf8_lossy(&head[1..21])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let ok = [
            (
                r#"I0128 09:05:11.123456    2231 generic.go:334] "Generic (PLEG): container finished" podID="9c1e" containerID="4f2a" exitCode=137"#,
                137,
                "4f2a",
            ),
            (r#"generic.go:334] "Generic (PLEG): container finished" podID="x" containerID="ab" exitCode=0"#, 0, "ab"),
            (
                r#""Generic (PLEG): container finished" pod="shop/web-1" podID="x" containerID="cd" exitCode=-1"#,
                -1,
                "cd",
            ),
        ];
        for (line, code, id) in ok {
            let r = parse(line.as_bytes()).unwrap_or_else(|| panic!("{line}"));
            assert_eq!((r.raw_exit_code, r.container.as_deref()), (Some(code), Some(id)));
        }
        let r = parse(br#"I0128 09:05:11.123456    2231 generic.go:334] "Generic (PLEG): container finished" containerID="cd" exitCode=1"#).unwrap();
        assert_eq!(r.log_time.as_deref(), Some("0128 09:05:11.123456"));
        let r = parse(br#""Generic (PLEG): container finished" pod="shop/web-1" containerID="cd" exitCode=1"#).unwrap();
        assert_eq!((r.namespace.as_deref(), r.pod.as_deref()), (Some("shop"), Some("web-1")));
        // Newer kubelets name the container.
        let r = parse(br#"generic.go:412] "Generic (PLEG): container finished" pod="ns/p" podUID="0137" containerName="my-container" containerID="7992" exitCode=137"#).unwrap();
        assert_eq!((r.container.as_deref(), r.container_id.as_deref()), (Some("my-container"), Some("7992")));
        let no = [
            r#"SyncLoop (PLEG): "x", event: &pleg.PodLifecycleEvent{ID:"2", Type:"ContainerDied", Data:"c5"}"#,
            r#""Probe failed" probeType="Liveness" pod="default/x" probeResult="failure""#,
            r#""Generic (PLEG): container finished" podID="x" containerID="ab" exitCode=abc"#,
            r#"exitCode=137 to be a good indication"#,
        ];
        for line in no {
            assert!(parse(line.as_bytes()).is_none(), "{line}");
        }
    }
}
