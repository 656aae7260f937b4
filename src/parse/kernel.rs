//! Kernel OOM-killer lines (`mm/oom_kill.c`, `__oom_kill_process`):
//!
//! ```text
//! Memory cgroup out of memory: Killed process 19903 (crasher) total-vm:33892kB, ...
//! Out of memory: Killed process 1234 (java) ...
//! Killed process 28438 (java) total-vm:20255636kB, ...        (older kernels)
//! oom-kill:constraint=CONSTRAINT_MEMCG,...,task_memcg=/kubepods/.../<id>,task=java,pid=28438,uid=0
//! ```
//!
//! Each `Killed process` line is one kill: a record with no exit code, reason
//! `OOMKilled` and signal 9 (SIGKILL by definition). The victim-selection line
//! (`Kill process ... or sacrifice child`), the `oom-kill:` summary and
//! `oom_reaper` lines are the same kill and give no record; they, and the kill
//! itself, are evidence for the exit 137 the runtime reports next.

use crate::code::Signal;
use crate::parse::util::{self, lead_int};
use crate::parse::Evidence;
use crate::record::{Format, Record, Str};

pub fn parse(msg: &[u8]) -> Option<Record> {
    let at = util::find(msg, b"Killed process ")?;
    let rest = &msg[at + b"Killed process ".len()..];
    let pid = lead_int(rest)?;
    let after = &rest[rest.iter().take_while(|b| b.is_ascii_digit()).count()..];
    let comm = after.strip_prefix(b" (")?;
    let close = memchr::memchr(b')', comm)?;
    let mut r = Record::new(Format::Kernel);
    r.reason = Some("OOMKilled".into());
    r.stated_signal = Some(Signal::KILL);
    r.pid = u64::try_from(pid).ok();
    r.message = util::nonempty(&comm[..close])
        .map(|c| compact_str::format_compact!("process {pid} ({c}) killed by the OOM killer"));
    r.hints.kernel_oom = true;
    Some(r)
}

/// `oom-kill:...task_memcg=/kubepods/.../<container id>,task=java,pid=28438`
pub fn evidence(msg: &[u8]) -> Option<Evidence> {
    let at = util::find(msg, b"oom-kill:")?;
    let rest = &msg[at..];
    let value = |key: &[u8]| -> Option<&[u8]> {
        let p = util::find(rest, key)?;
        let v = &rest[p + key.len()..];
        let n = v.iter().take_while(|&&b| b != b',' && b != b' ').count();
        Some(&v[..n])
    };
    let container = value(b"task_memcg=").and_then(|m| {
        let last = m.rsplit(|&b| b == b'/').next()?;
        // A systemd service's own cgroup (`/system.slice/web.service`): the
        // unit, as its `Main process exited` line names it.
        if last.len() > b".service".len() && last.ends_with(b".service") {
            return Some(Str::from(String::from_utf8_lossy(last)));
        }
        // cri-containerd-<id>.scope / docker-<id>.scope / <id>
        let last = last.strip_suffix(b".scope").unwrap_or(last);
        let id = last.rsplit(|&b| b == b'-').next()?;
        (id.len() >= 12 && id.iter().all(|b| b.is_ascii_hexdigit())).then(|| Str::from(String::from_utf8_lossy(id)))
    });
    let pid = value(b",pid=").and_then(lead_int).and_then(|p| u64::try_from(p).ok());
    if container.is_none() && pid.is_none() {
        return None;
    }
    Some(Evidence::Oom { container, pid })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let ok = [
            "Memory cgroup out of memory: Killed process 19903 (crasher) total-vm:33892kB, anon-rss:32128kB",
            "[Thu Dec  7 00:05:15 2017] Killed process 28438 (java) total-vm:20255636kB, anon-rss:466160kB",
            "kernel: Killed process 18177 (palo_be), UID 0, total-vm:70347780kB",
            "Out of memory: Killed process 1 (init)",
        ];
        for l in ok {
            let r = parse(l.as_bytes()).unwrap_or_else(|| panic!("{l}"));
            assert_eq!(
                (r.raw_exit_code, r.reason.as_deref(), r.stated_signal),
                (None, Some("OOMKilled"), Some(Signal::KILL))
            );
        }
        for no in [
            "Memory cgroup out of memory: Kill process 24572 (java) score 0 or sacrifice child",
            "oom_reaper: reaped process 19903 (crasher), now anon-rss:0kB",
            "Killed process abc (x)",
        ] {
            assert!(parse(no.as_bytes()).is_none(), "{no}");
        }
    }

    #[test]
    fn oom_kill_summary() {
        let l = b"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=x,mems_allowed=0,oom_memcg=/kubepods/pod1,task_memcg=/kubepods/burstable/pod1/6895a3e13439535852d3184ac2aadd26d7363cc035f171545ec7d4ce74073b0b,task=java,pid=28438,uid=0";
        assert_eq!(
            evidence(l),
            Some(Evidence::Oom {
                container: Some("6895a3e13439535852d3184ac2aadd26d7363cc035f171545ec7d4ce74073b0b".into()),
                pid: Some(28438)
            })
        );
        // A systemd service's cgroup names the unit; other cgroups name nothing.
        let unit = b"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/system.slice/web.service,task_memcg=/system.slice/web.service,task=web,pid=4242,uid=0";
        assert_eq!(evidence(unit), Some(Evidence::Oom { container: Some("web.service".into()), pid: Some(4242) }));
        let slice = b"oom-kill:constraint=CONSTRAINT_MEMCG,task_memcg=/user.slice/.service,task=x,pid=7,uid=0";
        assert_eq!(evidence(slice), Some(Evidence::Oom { container: None, pid: Some(7) }));
    }
}
