#![no_main]
//! KnowledgeBase::merge_str: a user's --config file (TOML) on top of an empty
//! and on top of the built-in knowledge base. Errors are fine; panics are not,
//! and an error message is one line.

use std::sync::OnceLock;

use exitscan::kb::KnowledgeBase;
use libfuzzer_sys::fuzz_target;

fn builtin() -> &'static KnowledgeBase {
    static KB: OnceLock<KnowledgeBase> = OnceLock::new();
    KB.get_or_init(|| match KnowledgeBase::builtin() {
        Ok(kb) => kb,
        Err(e) => panic!("builtin: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut kb = KnowledgeBase::default();
    if let Err(e) = kb.merge_str("user.toml", text) {
        let s = e.to_string();
        assert!(!s.contains('\n'), "multi-line error: {s}");
    }
    let mut kb = builtin().clone();
    let _ = kb.merge_str("user.toml", text);
});
