//! The knowledge base: what exit codes, signals, reasons, NTSTATUS values and
//! context causes mean, in English and Chinese.
//!
//! It is data (`config/*.toml`, embedded at build time); a user file given
//! with `--config` is read with the same schema and extends or overrides it
//! entry by entry. Everything is validated once, here; the rest of the
//! program sees only [`KnowledgeBase`].

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::code::Signal;

/// Output language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }
}

/// One explanation in one language.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub summary: String,
    pub detail: String,
    pub checks: Vec<String>,
}

/// An explanation in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub en: Arc<Text>,
    pub zh: Arc<Text>,
}

impl Entry {
    pub fn text(&self, lang: Lang) -> &Arc<Text> {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// Default action of a signal (signal(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Action {
    Term,
    Core,
    Ign,
    Stop,
    Cont,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Term => "Term",
            Action::Core => "Core",
            Action::Ign => "Ign",
            Action::Stop => "Stop",
            Action::Cont => "Cont",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalEntry {
    pub name: String,
    pub action: Action,
    pub entry: Entry,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtStatusEntry {
    pub name: String,
    pub entry: Entry,
}

/// Everything exitscan knows, validated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KnowledgeBase {
    pub codes: BTreeMap<i64, Entry>,
    pub signals: BTreeMap<u8, SignalEntry>,
    pub reasons: BTreeMap<String, Entry>,
    pub ntstatus: BTreeMap<i64, NtStatusEntry>,
    pub causes: BTreeMap<String, Entry>,
}

// ---- raw file schema --------------------------------------------------------

struct RawText {
    en: Text,
    zh: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCode {
    code: i64,
    en: Text,
    zh: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignal {
    number: i64,
    name: String,
    action: Action,
    en: Text,
    zh: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReason {
    name: String,
    en: Text,
    zh: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNtStatus {
    value: i64,
    name: String,
    en: Text,
    zh: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCause {
    id: String,
    en: Text,
    zh: Text,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    code: Vec<RawCode>,
    #[serde(default)]
    signal: Vec<RawSignal>,
    #[serde(default)]
    reason: Vec<RawReason>,
    #[serde(default)]
    ntstatus: Vec<RawNtStatus>,
    #[serde(default)]
    cause: Vec<RawCause>,
}

/// A knowledge-base file that could not be used, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: {entry}: {message}")]
    Invalid { file: String, entry: String, message: String },
    #[error("{file}: {reason}")]
    Io { file: String, reason: String },
}

/// The built-in files, in load order.
pub const BUILTIN: [(&str, &str); 5] = [
    ("config/codes.toml", include_str!("../config/codes.toml")),
    ("config/signals.toml", include_str!("../config/signals.toml")),
    ("config/reasons.toml", include_str!("../config/reasons.toml")),
    ("config/ntstatus.toml", include_str!("../config/ntstatus.toml")),
    ("config/causes.toml", include_str!("../config/causes.toml")),
];

fn check_text(file: &str, entry: &str, t: &Text) -> Result<(), KbError> {
    let bad =
        |m: &str| Err(KbError::Invalid { file: file.to_string(), entry: entry.to_string(), message: m.to_string() });
    if t.summary.trim().is_empty() {
        return bad("empty summary");
    }
    if t.summary.contains('\n') {
        return bad("summary must be one line");
    }
    if t.detail.trim().is_empty() {
        return bad("empty detail");
    }
    if t.checks.is_empty() || t.checks.iter().any(|c| c.trim().is_empty()) {
        return bad("checks must be a non-empty list of non-empty strings");
    }
    Ok(())
}

fn entry(file: &str, name: &str, raw: RawText) -> Result<Entry, KbError> {
    check_text(file, &format!("{name} (en)"), &raw.en)?;
    check_text(file, &format!("{name} (zh)"), &raw.zh)?;
    Ok(Entry { en: Arc::new(raw.en), zh: Arc::new(raw.zh) })
}

impl KnowledgeBase {
    /// The embedded knowledge base.
    pub fn builtin() -> Result<KnowledgeBase, KbError> {
        let mut kb = KnowledgeBase::default();
        for (name, text) in BUILTIN {
            kb.merge_str(name, text)?;
        }
        Ok(kb)
    }

    /// The embedded knowledge base extended by a user file.
    pub fn with_user_file(path: &Path) -> Result<KnowledgeBase, KbError> {
        let mut kb = KnowledgeBase::builtin()?;
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| KbError::Io { file: name.clone(), reason: crate::app::io_reason(&e) })?;
        kb.merge_str(&name, &text)?;
        Ok(kb)
    }

    /// Adds (or replaces) the entries of one TOML file.
    pub fn merge_str(&mut self, file: &str, text: &str) -> Result<(), KbError> {
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| KbError::Parse { file: file.to_string(), message: one_line(&e.to_string()) })?;
        for c in raw.code {
            let e = entry(file, &format!("code {}", c.code), RawText { en: c.en, zh: c.zh })?;
            self.codes.insert(c.code, e);
        }
        for s in raw.signal {
            let label = format!("signal {}", s.number);
            let invalid = |m: String| KbError::Invalid { file: file.to_string(), entry: label.clone(), message: m };
            let sig = Signal::new(s.number).ok_or_else(|| invalid("number must be 1..=31 or 34..=64".to_string()))?;
            if sig.name() != s.name {
                return Err(invalid(format!("name {:?} does not match signal {} ({})", s.name, s.number, sig.name())));
            }
            let e = entry(file, &label, RawText { en: s.en, zh: s.zh })?;
            self.signals.insert(sig.0, SignalEntry { name: s.name, action: s.action, entry: e });
        }
        for r in raw.reason {
            if r.name.trim().is_empty() {
                return Err(KbError::Invalid {
                    file: file.to_string(),
                    entry: "reason".into(),
                    message: "empty name".into(),
                });
            }
            let e = entry(file, &format!("reason {}", r.name), RawText { en: r.en, zh: r.zh })?;
            self.reasons.insert(r.name, e);
        }
        for n in raw.ntstatus {
            if crate::code::ntstatus_value(n.value) != Some(n.value) {
                return Err(KbError::Invalid {
                    file: file.to_string(),
                    entry: format!("ntstatus {}", n.name),
                    message: format!("value {:#X} is not an NTSTATUS error code (0xC0000000..=0xFFFFFFFF)", n.value),
                });
            }
            let e = entry(file, &format!("ntstatus {}", n.name), RawText { en: n.en, zh: n.zh })?;
            self.ntstatus.insert(n.value, NtStatusEntry { name: n.name, entry: e });
        }
        for c in raw.cause {
            let e = entry(file, &format!("cause {}", c.id), RawText { en: c.en, zh: c.zh })?;
            self.causes.insert(c.id, e);
        }
        Ok(())
    }

    /// Finds an NTSTATUS by name (`STATUS_ACCESS_VIOLATION`).
    pub fn ntstatus_by_name(&self, name: &str) -> Option<(i64, &NtStatusEntry)> {
        self.ntstatus.iter().find(|(_, e)| e.name.eq_ignore_ascii_case(name)).map(|(v, e)| (*v, e))
    }
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_is_complete() {
        let kb = KnowledgeBase::builtin().expect("built-in knowledge base");
        for code in [0, 1, 2, 125, 126, 127, 128, 130, 134, 137, 139, 143, 255] {
            assert!(kb.codes.contains_key(&code), "code {code}");
        }
        for n in 1u8..=31 {
            let s = kb.signals.get(&n).unwrap_or_else(|| panic!("signal {n}"));
            assert_eq!(s.name, Signal(n).name());
        }
        for r in [
            "OOMKilled",
            "Error",
            "Completed",
            "ContainerCannotRun",
            "StartError",
            "DeadlineExceeded",
            "Evicted",
            "ContainerStatusUnknown",
            "Unknown",
        ] {
            assert!(kb.reasons.contains_key(r), "reason {r}");
        }
        for v in [0xC0000005i64, 0xC00000FD, 0xC0000409, 0xC000013A, 0xC0000135] {
            assert!(kb.ntstatus.contains_key(&v), "ntstatus {v:#X}");
        }
        for id in crate::enrich::CAUSE_IDS {
            assert!(kb.causes.contains_key(*id), "cause {id}");
        }
        // Both languages, and actually different text.
        for e in kb.codes.values().chain(kb.reasons.values()).chain(kb.causes.values()) {
            assert_ne!(e.en.summary, e.zh.summary);
            assert!(e.zh.summary.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{}", e.zh.summary);
        }
        assert_eq!(kb.signals[&9].action, Action::Term);
        assert_eq!(kb.signals[&11].action, Action::Core);
        assert_eq!(kb.signals[&17].action, Action::Ign);
        assert_eq!(kb.signals[&19].action, Action::Stop);
        assert_eq!(kb.signals[&18].action, Action::Cont);
    }

    #[test]
    fn user_file_overrides_and_errors_name_the_entry() {
        let mut kb = KnowledgeBase::builtin().unwrap();
        let over = "[[code]]\ncode = 137\n[code.en]\nsummary = \"ours\"\ndetail = \"d\"\nchecks = [\"c\"]\n[code.zh]\nsummary = \"我们的\"\ndetail = \"d\"\nchecks = [\"c\"]\n";
        kb.merge_str("mine.toml", over).unwrap();
        assert_eq!(kb.codes[&137].en.summary, "ours");

        let err = kb.merge_str("bad.toml", "[[code]]\ncode = 1\nsumary = 2\n").unwrap_err().to_string();
        assert!(err.starts_with("bad.toml: "), "{err}");
        assert!(err.contains("line 3") || err.contains("sumary"), "{err}");

        let err =
            kb.merge_str("bad.toml", &over.replace("summary = \"ours\"", "summary = \"\"")).unwrap_err().to_string();
        assert_eq!(err, "bad.toml: code 137 (en): empty summary");

        let sig = "[[signal]]\nnumber = 9\nname = \"SIGTERM\"\naction = \"Term\"\n[signal.en]\nsummary = \"s\"\ndetail = \"d\"\nchecks = [\"c\"]\n[signal.zh]\nsummary = \"s\"\ndetail = \"d\"\nchecks = [\"c\"]\n";
        let err = kb.merge_str("s.toml", sig).unwrap_err().to_string();
        assert!(err.contains("signal 9") && err.contains("SIGKILL"), "{err}");
    }
}
