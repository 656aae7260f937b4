//! Golden pairs: every input in `tests/golden/` beside the JSON records it must
//! produce (`<input>.expected`). One runner walks the folder; `BLESS=1 cargo
//! test --test golden` rewrites the expectations on purpose (review the diff).

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "common/fields.rs"]
mod fields;
use fields::FIELDS;

fn inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/golden")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "expected"))
        .collect();
    v.sort();
    v
}

fn run(input: &Path) -> String {
    let rel = input.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(input);
    let out = Command::new(env!("CARGO_BIN_EXE_exitscan"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--output", "json"])
        .arg(rel)
        .output()
        .expect("run exitscan");
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}: exit {:?}: {}",
        rel.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn golden_pairs() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    let all = inputs();
    assert!(all.len() >= 70, "expected the golden inputs, found {}", all.len());
    for input in all {
        let got = run(&input);
        // Every line is one JSON object with every field of the record.
        for line in got.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
            for field in FIELDS {
                assert!(v.get(field).is_some(), "{}: missing {field}", input.display());
            }
        }
        let expected_path = PathBuf::from(format!("{}.expected", input.display()));
        if bless {
            std::fs::write(&expected_path, &got).expect("write expectation");
            continue;
        }
        let want = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{} missing (run with BLESS=1)", expected_path.display()));
        if want != got {
            let diff: Vec<String> = want
                .lines()
                .zip(got.lines())
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .take(2)
                .map(|(i, (a, b))| format!("  record {}:\n    want {a}\n    got  {b}", i + 1))
                .collect();
            failures.push(format!(
                "{}: {} records expected, {} found\n{}",
                input.display(),
                want.lines().count(),
                got.lines().count(),
                diff.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "golden mismatches:\n{}", failures.join("\n"));
}
