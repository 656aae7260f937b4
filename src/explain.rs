//! `exitscan explain <CODE|SIGNAL|NTSTATUS|REASON>`: the knowledge base's
//! entries for one value, as text or JSON.

use crate::code::{ExitClass, RawCode, Signal};
use crate::kb::{Entry, KnowledgeBase, Lang, Text};

/// One knowledge-base entry that applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// `code`, `signal`, `ntstatus`, `reason`
    pub kind: &'static str,
    pub key: String,
    pub text: Text,
}

/// What a query resolved to.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub query: String,
    pub raw_exit_code: Option<i64>,
    pub exit_code: Option<i64>,
    pub class: Option<ExitClass>,
    pub signal: Option<Signal>,
    pub signal_action: Option<&'static str>,
    pub entries: Vec<Found>,
    pub notes: Vec<String>,
}

fn found(kind: &'static str, key: String, e: &Entry, lang: Lang) -> Found {
    Found { kind, key, text: (**e.text(lang)).clone() }
}

fn parse_number(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok();
    }
    s.parse().ok()
}

/// Resolves `what` against the knowledge base; `None` when nothing matches.
pub fn explain(kb: &KnowledgeBase, lang: Lang, what: &str) -> Option<Explanation> {
    let mut x = Explanation {
        query: what.to_string(),
        raw_exit_code: None,
        exit_code: None,
        class: None,
        signal: None,
        signal_action: None,
        entries: Vec::new(),
        notes: Vec::new(),
    };
    if let Some(raw) = parse_number(what) {
        let n = RawCode(raw).normalize();
        x.raw_exit_code = Some(raw);
        x.exit_code = Some(n.code);
        x.class = Some(ExitClass::of(Some(n), None));
        if n.windows {
            match kb.ntstatus.get(&n.code) {
                Some(nt) => x.entries.push(found("ntstatus", nt.name.clone(), &nt.entry, lang)),
                None => {
                    if let Some(e) = kb.causes.get("windows-unknown") {
                        x.entries.push(found("cause", "windows-unknown".into(), e, lang));
                    }
                }
            }
            if raw < 0 {
                x.notes.push(format!("{raw} is NTSTATUS {:#X} printed as a signed 32-bit number", n.code));
            } else {
                x.notes.push(format!("{raw} = {:#X}, a Windows NTSTATUS value", n.code));
            }
            return Some(x);
        }
        if n.wrapped {
            x.notes.push(format!("{raw} is outside 0..=255; the OS reports it as {}", n.code));
            if let Some(e) = kb.causes.get("out-of-range") {
                x.entries.push(found("cause", "out-of-range".into(), e, lang));
            }
        }
        if let Some(e) = kb.codes.get(&n.code) {
            x.entries.push(found("code", n.code.to_string(), e, lang));
        }
        if let Some(sig) = Signal::from_exit_code(n.code) {
            x.signal = Some(sig);
            x.notes.push(format!("{} = 128 + {} ({})", n.code, sig.0, sig.name()));
            if let Some(s) = kb.signals.get(&sig.0) {
                x.signal_action = Some(s.action.as_str());
                x.entries.push(found("signal", s.name.clone(), &s.entry, lang));
            }
        } else if (129..=254).contains(&n.code) {
            if let Some(e) = kb.causes.get("signal-other") {
                x.entries.push(found("cause", "signal-other".into(), e, lang));
            }
        }
        if x.entries.is_empty() && (1..=124).contains(&n.code) {
            if let Some(e) = kb.causes.get("app-error") {
                x.entries.push(found("cause", "app-error".into(), e, lang));
            }
        }
        return Some(x);
    }
    if let Some(sig) = Signal::parse(what) {
        x.signal = Some(sig);
        x.exit_code = Some(128 + i64::from(sig.0));
        x.class = Some(ExitClass::Signal);
        x.notes.push(format!("a process killed by {} exits with {}", sig.name(), 128 + i64::from(sig.0)));
        if let Some(s) = kb.signals.get(&sig.0) {
            x.signal_action = Some(s.action.as_str());
            x.entries.push(found("signal", s.name.clone(), &s.entry, lang));
        }
        return Some(x);
    }
    if let Some((v, nt)) = kb.ntstatus_by_name(what) {
        x.exit_code = Some(v);
        x.class = Some(ExitClass::Windows);
        x.entries.push(found("ntstatus", nt.name.clone(), &nt.entry, lang));
        return Some(x);
    }
    let reason = kb.reasons.iter().find(|(k, _)| k.eq_ignore_ascii_case(what.trim()));
    if let Some((k, e)) = reason {
        x.entries.push(found("reason", k.clone(), e, lang));
        return Some(x);
    }
    if let Some(e) = kb.causes.get(what.trim()) {
        x.entries.push(found("cause", what.trim().to_string(), e, lang));
        return Some(x);
    }
    None
}

/// The explanation for a person.
pub fn to_text(x: &Explanation, lang: Lang) -> String {
    let mut s = String::new();
    if let (Some(code), Some(class)) = (x.exit_code, x.class) {
        if x.raw_exit_code.is_some() {
            s.push_str(&format!("exit code {code} [{}]", class.as_str()));
        } else {
            s.push_str(&format!("{} [{}]", x.query, class.as_str()));
        }
        if let Some(sig) = x.signal {
            s.push_str(&format!(" — {} ({})", sig.name(), sig.0));
            if let Some(a) = x.signal_action {
                s.push_str(&format!(", default action {a}"));
            }
        }
        s.push('\n');
    }
    for n in &x.notes {
        s.push_str(&format!("  {n}\n"));
    }
    let check_head = match lang {
        Lang::En => "What to check:",
        Lang::Zh => "检查项：",
    };
    for e in &x.entries {
        s.push('\n');
        s.push_str(&format!("[{} {}] {}\n", e.kind, e.key, e.text.summary));
        s.push_str(&wrap(&e.text.detail, 78, "  "));
        s.push_str(&format!("  {check_head}\n"));
        for c in &e.text.checks {
            s.push_str(&format!("    - {c}\n"));
        }
    }
    s
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The explanation as one JSON object.
pub fn to_json(x: &Explanation) -> String {
    let mut v = serde_json::Map::new();
    v.insert("query".into(), x.query.clone().into());
    v.insert("exit_code".into(), x.exit_code.into());
    v.insert("raw_exit_code".into(), x.raw_exit_code.into());
    v.insert("class".into(), x.class.map(|c| c.as_str()).into());
    v.insert("signal".into(), x.signal.map(|s| s.0).into());
    v.insert("signal_name".into(), x.signal.map(|s| s.name()).into());
    v.insert("signal_action".into(), x.signal_action.into());
    v.insert("notes".into(), x.notes.clone().into());
    let entries: Vec<serde_json::Value> = x
        .entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "kind": e.kind, "key": e.key, "summary": e.text.summary, "detail": e.text.detail, "checks": e.text.checks
            })
        })
        .collect();
    v.insert("entries".into(), entries.into());
    let mut s = serde_json::Value::Object(v).to_string();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> KnowledgeBase {
        KnowledgeBase::builtin().unwrap()
    }

    #[test]
    fn queries() {
        let kb = kb();
        let x = explain(&kb, Lang::En, "137").unwrap();
        assert_eq!((x.exit_code, x.signal), (Some(137), Some(Signal::KILL)));
        assert_eq!(x.entries.iter().map(|e| e.kind).collect::<Vec<_>>(), vec!["code", "signal"]);
        let x = explain(&kb, Lang::En, "-1").unwrap();
        assert_eq!(x.exit_code, Some(255));
        assert!(x.entries.iter().any(|e| e.kind == "code" && e.key == "255"));
        let x = explain(&kb, Lang::En, "3221225477").unwrap();
        assert_eq!(x.class, Some(ExitClass::Windows));
        assert_eq!(x.entries[0].key, "STATUS_ACCESS_VIOLATION");
        let x = explain(&kb, Lang::En, "-1073741819").unwrap();
        assert_eq!(x.entries[0].key, "STATUS_ACCESS_VIOLATION");
        let x = explain(&kb, Lang::En, "0xC0000005").unwrap();
        assert_eq!(x.entries[0].key, "STATUS_ACCESS_VIOLATION");
        let x = explain(&kb, Lang::En, "SIGSEGV").unwrap();
        assert_eq!((x.exit_code, x.signal_action), (Some(139), Some("Core")));
        let x = explain(&kb, Lang::Zh, "oomkilled").unwrap();
        assert_eq!(x.entries[0].key, "OOMKilled");
        assert_ne!(x.entries[0].text.summary, explain(&kb, Lang::En, "OOMKilled").unwrap().entries[0].text.summary);
        assert!(explain(&kb, Lang::En, "bogus").is_none());
        let j: serde_json::Value = serde_json::from_str(&to_json(&explain(&kb, Lang::En, "143").unwrap())).unwrap();
        assert_eq!(j["signal_name"], "SIGTERM");
        assert!(to_text(&explain(&kb, Lang::En, "143").unwrap(), Lang::En).contains("What to check:"));
    }
}
