//! Exact counts against genlogs' ground truth: every exit event found, no
//! record from its decoys, for every format it generates.

mod common;

use std::collections::BTreeMap;

use common::*;

fn counts(recs: &[serde_json::Value], key: &str) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for r in recs {
        let k = match &r[key] {
            serde_json::Value::Null => "<none>".to_string(),
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        *m.entry(k).or_insert(0) += 1;
    }
    m
}

fn truth_map(t: &serde_json::Value, key: &str) -> BTreeMap<String, u64> {
    t["exit_events"][key].as_object().expect(key).iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0))).collect()
}

fn check(format: &str, size: &str, seed: u32, rate: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = ["--event-rate", rate];
    let (log, truth) = genlogs(dir.path(), format, size, seed, if format == "describe" { &[] } else { &extra });
    let out = run(&["--output", "json", log.to_str().expect("path")]);
    assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
    let recs = records(&out);
    let total = truth["exit_events"]["total"].as_u64().expect("total");
    assert!(total > 20, "{format}: too few events to mean anything ({total})");
    assert_eq!(recs.len() as u64, total, "{format}: record count");
    assert_eq!(counts(&recs, "raw_exit_code"), truth_map(&truth, "by_code"), "{format}: by exit code");
    assert_eq!(counts(&recs, "reason"), truth_map(&truth, "by_reason"), "{format}: by reason");
    // Containers, where genlogs prints them (PLEG lines name only an id).
    let want = truth_map(&truth, "by_container");
    let got = counts(&recs, "container");
    for (c, n) in &want {
        if c != "<none>" {
            assert_eq!(got.get(c), Some(n), "{format}: container {c}");
        }
    }
}

#[test]
fn cri() {
    check("cri", "3M", 11, "0.01");
}

#[test]
fn dockerjson() {
    check("dockerjson", "3M", 12, "0.01");
}

#[test]
fn kubelet() {
    check("kubelet", "3M", 13, "0.01");
}

#[test]
fn describe() {
    check("describe", "4M", 14, "0.01");
}

#[test]
fn mixed() {
    check("mixed", "4M", 15, "0.01");
}

/// The same stream, read through a pipe in one go: stdin behaves like a file.
#[test]
fn stdin_equals_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = genlogs(dir.path(), "mixed", "1M", 21, &["--event-rate", "0.01"]);
    let data = std::fs::read(&log).expect("read log");
    let a = records(&run(&["--output", "json", log.to_str().expect("path")]));
    let b = records(&run_stdin(&["--output", "json"], &data));
    assert!(!a.is_empty());
    let strip = |v: &Vec<serde_json::Value>| -> Vec<String> {
        v.iter()
            .map(|r| {
                let mut r = r.clone();
                r["source"] = serde_json::Value::Null;
                r.to_string()
            })
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));
}
