//! The shared real-world corpus, scored by `../shared/tools/corpus-score`:
//! every sample exact. (The samples are also golden inputs in `tests/golden/`.)

mod common;

use std::process::Command;

use common::*;

#[test]
fn every_corpus_sample_is_exact() {
    let out = Command::new("python3")
        .arg(shared().join("tools/corpus-score"))
        .args(["--bin", bin(), "--verbose"])
        .output()
        .expect("run corpus-score");
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    let (exact, total) = last
        .split("exact ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.split_once('/'))
        .map(|(a, b)| (a.parse::<u32>().unwrap_or(0), b.parse::<u32>().unwrap_or(u32::MAX)))
        .unwrap_or((0, 1));
    assert!(total >= 60, "corpus too small? {last}");
    assert_eq!(exact, total, "corpus-score:\n{text}");
    assert!(last.contains("precision 1.000") && last.contains("recall 1.000"), "{last}");
}
