#![no_main]
//! Every single-line parser on each line of the input, framed and unframed:
//! kubelet, containerd (+ oom_evidence), crio, docker (ps_row, compose_v1_row,
//! compose_v2, event_text, oom_event_text, libcontainerd, swarm_task), systemd
//! (parse, run_unit, unit_oom),
//! supervisord, kernel (parse, evidence), orchestrator::*, kubelet status
//! dumps, containerd events.log lines, and the prefilter.

use exitscan::parse::{self, containerd, crio, docker, kernel, kubelet, orchestrator, supervisord, systemd};
use exitscan::record::Record;
use exitscan::sink::JsonEncoder;
use libfuzzer_sys::fuzz_target;

mod common;

fn all(msg: &[u8], out: &mut Vec<Record>) {
    let _ = parse::hits(msg);
    let _ = parse::find(msg);
    out.extend(kubelet::parse(msg));
    out.extend(containerd::parse(msg));
    let _ = containerd::oom_evidence(msg);
    out.extend(crio::parse(msg));
    out.extend(docker::ps_row(msg));
    out.extend(docker::compose_v1_row(msg));
    out.extend(docker::compose_v2(msg));
    out.extend(docker::event_text(msg));
    let _ = docker::oom_event_text(msg);
    out.extend(docker::libcontainerd(msg));
    out.extend(docker::swarm_task(msg));
    out.extend(systemd::parse(msg));
    let _ = systemd::run_unit(msg);
    let _ = systemd::unit_oom(msg);
    out.extend(supervisord::parse(msg));
    out.extend(kernel::parse(msg));
    let _ = kernel::evidence(msg);
    out.extend(orchestrator::logfmt_exit(msg));
    out.extend(orchestrator::exited_with_exit_code(msg));
    out.extend(orchestrator::reason_exit_code(msg));
    out.extend(orchestrator::tekton_step(msg));
    out.extend(orchestrator::gitlab_container(msg));
    out.extend(orchestrator::jenkins_container(msg));
    out.extend(orchestrator::airflow_pod_failed(msg));
    out.extend(orchestrator::nomad_terminated(msg));
    let _ = orchestrator::nomad_task(msg);
    out.extend(kubelet::status_dump(msg));
    let _ = kubelet::probe_kill(msg);
    out.extend(containerd::events_log(&serde_json::from_slice(msg).unwrap_or_default()));
    let _ = orchestrator::status_exit_code(msg);
    let _ = orchestrator::status_container(msg);
    let _ = orchestrator::status_pair(msg);
    if let Some(columns) = orchestrator::argo_table_header(msg) {
        let _ = orchestrator::argo_pod_cell(msg, columns);
    }
    let _ = orchestrator::argo_pod_cell(msg, (msg.len() % 7, msg.len() % 7 + 9));
    let _ = orchestrator::status_reason(msg);
    let _ = orchestrator::is_exec_exit(msg);
}

fuzz_target!(|data: &[u8]| {
    let mut enc = JsonEncoder::default();
    let mut recs = Vec::new();
    // libcontainerd reads across lines: the whole input once.
    recs.extend(docker::libcontainerd(data));
    for line in common::lines(data) {
        all(line, &mut recs);
        let f = exitscan::frame::frame(line);
        if f.msg.as_ref() != line {
            all(&f.msg, &mut recs);
        }
    }
    for r in &recs {
        common::check_json(&mut enc, r);
    }
});
