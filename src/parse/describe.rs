//! `kubectl describe pod` (and `oc describe`) text, following kubectl's
//! describe printer (`k8s.io/kubectl/pkg/describe`, `describeContainerState`):
//!
//! ```text
//! Name:             <pod>                       level 0
//! Namespace:        <ns>
//! Reason:           Evicted                     pod-level reason
//! Init Containers: | Containers: | Ephemeral Containers:
//!   <container>:                                level 1: container header
//!     Container ID:   containerd://...          level 2: container fields
//!     State:          Terminated                level 2: State / Last State
//!       Reason:       OOMKilled                 level 3: Reason, Message, Exit Code,
//!       Message:      text (may span lines)              Signal (only when non-zero),
//!       Exit Code:    137                                Started, Finished
//!       Signal:       9
//!       Started:      Mon, 02 Jan 2006 15:04:05 -0700
//!       Finished:     Mon, 02 Jan 2006 15:04:05 -0700
//!     Restart Count:  4
//! Events:  ... Liveness probe failed ...
//! ```
//!
//! kubectl prints each level two spaces deeper and aligns values with a
//! tabwriter, so any run of blanks may follow `Key:`. The parser is a line
//! state machine that relies on *keys* first and indentation second, so text
//! pasted with damaged spacing (everything flattened, markdown indents) still
//! yields what can be read; [`expand_collapsed`] turns a describe block
//! collapsed onto one line back into lines.
//!
//! `kubectl describe` of any other kind of object (a Tekton TaskRun, ...)
//! goes through kubectl's generic describer (`printUnstructuredContent`):
//! after `Kind:`, the object's fields as nested `Key:  value` lines, keys
//! sorted and split into words (`exitCode` → `Exit Code`), the maps of a
//! list one after another. A container state there is a `Terminated:` map
//! (see [`Generic`]).
//!
//! One record per `Exit Code:` inside a `Terminated` State / Last State block.
//! Records are held until the pod ends, so that `Restart Count` (printed after
//! the state blocks) and pod-level evidence (Events, `Reason: Evicted`) reach them.

use crate::code::Signal;
use crate::parse::util::{self, is_dns_name, nonempty, text, trim, when, whole_int};
use crate::record::{Format, Record, State, Str};

/// What the scanner should do after a line was fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The line belonged to the pod; keep feeding.
    Continue,
    /// The pod ended *before* this line; the scanner handles the line afresh.
    EndBefore,
    /// The pod ended before this line, which starts the next pod (`Name:`).
    NextPod,
}

/// One line seen through the describe grammar.
#[derive(Debug, Clone, Copy)]
pub struct DLine<'a> {
    pub indent: usize,
    /// `Key` of a `Key: value` line.
    pub key: Option<&'a [u8]>,
    pub value: &'a [u8],
    /// The line without indentation.
    pub body: &'a [u8],
}

/// Splits a describe line into indentation, key and value.
pub fn split_line(line: &[u8]) -> DLine<'_> {
    let (mut indent, i) = leading_blanks(line);
    let mut body = util::trim_end(&line[i..]);
    // A bare `>`: a blank line of a quoted paste.
    if body == b">" {
        body = &body[1..];
    }
    // Markdown list or quote markers in pasted text: "- Name: x", "> Exit Code: 1".
    // The blanks after the marker are the text's own indentation.
    if matches!(body.first(), Some(b'-' | b'*' | b'>')) && body.get(1) == Some(&b' ') {
        let (more, j) = leading_blanks(&body[2..]);
        indent += 2 + more;
        body = &body[2 + j..];
    }
    let (key, value) = key_value(body);
    DLine { indent, key, value, body }
}

/// The key and value of a line indented by `k` spaces whose key is one of
/// [`KNOWN_KEYS`]: what [`split_line`] gives for it (its indentation is
/// `k`), found without reading the key a byte at a time. `None` for any
/// other line, which `split_line` then reads.
#[inline]
fn known_line(line: &[u8], k: usize) -> Option<(&[u8], &[u8])> {
    let body = line.get(k..)?;
    let (c, _) = known_prefix(body)?;
    Some((&body[..c], util::trim(&body[c + 1..])))
}

/// [`crate::frame::is_plain`] of a line at column 0 that starts with the key
/// `info` of `len` bytes: no syslog time (`Jan 28 09:05:11`) can start a
/// line whose first blank, in its first 13 bytes, comes after a key of
/// kubectl's and before a letter or the end of the line, so those are
/// plain without the search.
#[inline]
fn col0_plain(line: &[u8], len: usize, info: KeyInfo) -> bool {
    if info.known {
        if info.spaced {
            // (The first blank is inside the key, before a letter.)
            return true;
        }
        match line.get(len + 1) {
            None => return true,
            Some(b' ') if len + 1 >= 13 => return true,
            Some(b' ') => {
                let i = len + 1 + util::spaces(&line[len + 1..]);
                if !line.get(i).is_some_and(u8::is_ascii_digit) {
                    return true;
                }
            }
            _ => {}
        }
    }
    crate::frame::is_plain(line)
}

/// The key and value of a State block's field line (its text after the
/// indentation) when it is one kubectl prints (`Exit Code:    137`): what
/// [`split_line`] finds in it, by comparing the key whole.
#[inline]
fn state_field_line(body: &[u8]) -> Option<(&[u8], &[u8])> {
    let key: &[u8] = match body.first()? {
        b'R' => b"Reason",
        b'E' => b"Exit Code",
        b'S' if body.get(1) == Some(&b'i') => b"Signal",
        b'S' => b"Started",
        b'F' => b"Finished",
        b'M' => b"Message",
        _ => return None,
    };
    let rest = body.get(key.len()..).filter(|_| util::short_eq(&body[..key.len()], key))?.strip_prefix(b":")?;
    if !matches!(rest.first(), None | Some(b' ' | b'\t')) {
        return None;
    }
    Some((key, util::trim(rest)))
}

/// The key and value [`split_line`] finds in a line indented by `k` spaces
/// (kubectl's own keys found the short way, [`known_line`]).
#[inline]
fn line_key(line: &[u8], k: usize) -> Option<(&[u8], &[u8])> {
    known_line(line, k).or_else(|| {
        let d = split_line(line);
        Some((d.key?, d.value))
    })
}

/// Indentation (a tab counts 8) and where the text after it starts.
#[inline]
fn leading_blanks(line: &[u8]) -> (usize, usize) {
    let mut indent = 0;
    let mut i = 0;
    while let Some(&b) = line.get(i) {
        match b {
            b' ' => indent += 1,
            b'\t' => indent += 8,
            _ => break,
        }
        i += 1;
    }
    (indent, i)
}

/// Bytes a describe key may hold: letters, digits, ` -_./()`.
static KEY_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b' ' | b'-' | b'_' | b'.' | b'/' | b'(' | b')');
        b += 1;
    }
    t
};

fn key_value(body: &[u8]) -> (Option<&[u8]>, &[u8]) {
    match key_end(body) {
        Some(i) => (Some(&body[..i]), util::trim_start(&body[i + 1..])),
        None => (None, body),
    }
}

/// Where the `:` ending the key of a `Key: value` line is: the key starts
/// with a letter, holds only [`KEY_BYTE`]s and no two blanks in a row, and
/// the colon is followed by a blank or the end of the line.
///
/// The keys kubectl prints are told apart by their first colon and a
/// comparison of whole words ([`known_key`]); any other text is read a byte
/// at a time. Both ways give the same answer: a known key is a valid one.
#[inline]
fn key_end(body: &[u8]) -> Option<usize> {
    match known_prefix(body) {
        Some((c, _)) => Some(c),
        None => key_end_bytewise(body),
    }
}

/// Where the key of `body` ends, and what it is, when it is one of
/// [`KNOWN_KEYS`] followed by its colon and a blank or the end of the line:
/// [`key_end`]'s short way, shared by the readers that take it.
#[inline]
fn known_prefix(body: &[u8]) -> Option<(usize, KeyInfo)> {
    if !body.first()?.is_ascii_alphabetic() {
        return None;
    }
    let c = first_colon(body)?;
    if !matches!(body.get(c + 1), None | Some(b' ' | b'\t')) {
        return None;
    }
    Some((c, known_key(body, c)?))
}

/// The first `:` in the first 32 bytes of `s` (where kubectl's keys end),
/// looked for a word at a time.
#[inline]
fn first_colon(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut at = 0;
    while at < 32 {
        let w = util::word_at(s, at);
        // The high bit of each byte that is ':' (exact: no carries between bytes).
        let t = w ^ (ONES * u64::from(b':'));
        let hits = !(((t & LOW7).wrapping_add(LOW7)) | t | LOW7);
        if hits != 0 {
            let c = at + (hits.trailing_zeros() / 8) as usize;
            return (c < s.len()).then_some(c);
        }
        at += 8;
        if at >= s.len() {
            return None;
        }
    }
    None
}

/// The keys kubectl's describe printer writes for a pod, its containers,
/// their states and its volumes.
const KNOWN_KEYS: &[&[u8]] = &[
    b"Name",
    b"Namespace",
    b"Priority",
    b"Priority Class Name",
    b"Runtime Class Name",
    b"Service Account",
    b"Node",
    b"Start Time",
    b"Labels",
    b"Annotations",
    b"Status",
    b"Reason",
    b"Message",
    b"SeccompProfile",
    b"IP",
    b"IPs",
    b"Controlled By",
    b"NominatedNodeName",
    b"Init Containers",
    b"Containers",
    b"Ephemeral Containers",
    b"Conditions",
    b"Readiness Gates",
    b"Volumes",
    b"QoS Class",
    b"Node-Selectors",
    b"Tolerations",
    b"Topology Spread Constraints",
    b"Events",
    b"Container ID",
    b"Image",
    b"Image ID",
    b"Port",
    b"Ports",
    b"Host Port",
    b"Host Ports",
    b"Command",
    b"Args",
    b"State",
    b"Last State",
    b"Last Termination State",
    b"Ready",
    b"Restart Count",
    b"Limits",
    b"Requests",
    b"Liveness",
    b"Readiness",
    b"Startup",
    b"Environment",
    b"Environment Variables from",
    b"Mounts",
    b"Devices",
    b"Exit Code",
    b"Signal",
    b"Started",
    b"Finished",
    b"Type",
    b"SizeLimit",
    b"Medium",
    b"ClaimName",
    b"ReadOnly",
    b"TokenExpirationSeconds",
    b"ConfigMapName",
    b"ConfigMapOptional",
    b"SecretName",
    b"Optional",
    b"DownwardAPI",
    b"Path",
    b"HostPathType",
];

/// What the parser asks of a key, decided once per known key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyInfo {
    state_line: Option<State>,
    section: Option<Section>,
    pod_header: bool,
    /// One of [`KNOWN_KEYS`] (none has a digit after a blank).
    known: bool,
    /// The key holds a blank (`Start Time`).
    spaced: bool,
    /// Its index in [`KNOWN_KEYS`], or [`UNKNOWN_KEY`].
    id: u8,
}

/// [`KeyInfo::id`] of a key that is none of [`KNOWN_KEYS`].
const UNKNOWN_KEY: u8 = u8::MAX;

impl KeyInfo {
    fn of(k: &[u8]) -> KeyInfo {
        KeyInfo {
            state_line: is_state_line_key(k),
            section: section_of(k),
            pod_header: is_pod_header_key(k),
            known: false,
            spaced: k.contains(&b' '),
            id: UNKNOWN_KEY,
        }
    }
}

/// A key of [`KNOWN_KEYS`] and what it is.
type KnownKey = (&'static [u8], KeyInfo);

/// [`KNOWN_KEYS`] by length and first letter ([`slot`]), with what they are.
fn known_table() -> &'static [Vec<KnownKey>] {
    static TABLE: std::sync::OnceLock<Vec<Vec<KnownKey>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = vec![Vec::new(); 32 * 32];
        for &e in known_by_id() {
            t[slot(e.0)].push(e);
        }
        t
    })
}

/// [`KNOWN_KEYS`] in their order, with what they are.
fn known_by_id() -> &'static [KnownKey] {
    static BY_ID: std::sync::OnceLock<Vec<KnownKey>> = std::sync::OnceLock::new();
    BY_ID.get_or_init(|| {
        (0u8..).zip(KNOWN_KEYS).map(|(id, &k)| (k, KeyInfo { known: true, id, ..KeyInfo::of(k) })).collect()
    })
}

thread_local! {
    /// For each key (by [`KeyInfo::id`]), the key at column 0 that last
    /// came after it.
    static FOLLOWS: [std::cell::Cell<u8>; 256] = const { [const { std::cell::Cell::new(UNKNOWN_KEY) }; 256] };
}

/// [`key_info`] of a line at column 0 whose key at column 0 before it (in
/// the same pod) was `prev` (`0`, `Name`, for the first), which it updates.
/// kubectl prints a pod's keys in one order, so the key after `prev` is
/// mostly the one that followed it last time, and a comparison with that
/// one decides the line without looking its key up.
#[inline]
fn col0_key<'a>(line: &'a [u8], prev: &mut u8) -> Option<(&'a [u8], KeyInfo)> {
    let guess = FOLLOWS.with(|f| f[usize::from(*prev)].get());
    let hit = known_by_id().get(usize::from(guess)).and_then(|&(k, info)| {
        let n = k.len();
        let key = line.get(..n)?;
        let fits = line.get(n) == Some(&b':')
            && matches!(line.get(n + 1), None | Some(b' ' | b'\t'))
            && util::short_eq(key, k);
        fits.then_some((key, info))
    });
    let (key, info) = match hit {
        Some(found) => found,
        None => {
            let found = key_info(line)?;
            FOLLOWS.with(|f| f[usize::from(*prev)].set(found.1.id));
            found
        }
    };
    *prev = info.id;
    Some((key, info))
}

#[inline]
fn slot(k: &[u8]) -> usize {
    (k.len() & 31) * 32 + usize::from(k.first().map_or(0, |b| b & 31))
}

/// What the first `len` bytes of `body` are, when they are one of [`KNOWN_KEYS`].
#[inline]
fn known_key(body: &[u8], len: usize) -> Option<KeyInfo> {
    let k = body.get(..len).filter(|k| k.len() < 32)?;
    known_table()[slot(k)].iter().find(|(c, _)| util::short_eq(c, k)).map(|(_, i)| *i)
}

/// The key of a `Key: value` line (as [`key_end`] finds it) and what it is.
#[inline]
fn key_info(body: &[u8]) -> Option<(&[u8], KeyInfo)> {
    if let Some((c, info)) = known_prefix(body) {
        return Some((&body[..c], info));
    }
    let k = &body[..key_end_bytewise(body)?];
    Some((k, KeyInfo::of(k)))
}

/// [`key_end`], a byte at a time.
fn key_end_bytewise(body: &[u8]) -> Option<usize> {
    if !body.first()?.is_ascii_alphabetic() {
        return None;
    }
    let mut prev = 0u8;
    for (i, &b) in body.iter().enumerate() {
        if b == b':' {
            let after = body.get(i + 1).copied();
            if !matches!(after, None | Some(b' ') | Some(b'\t')) || prev == b' ' {
                return None;
            }
            return Some(i);
        }
        if !KEY_BYTE[b as usize] || (b == b' ' && prev == b' ') {
            return None;
        }
        prev = b;
    }
    None
}

const STATE_KEYS: [&[u8]; 6] = [b"Reason", b"Message", b"Exit Code", b"Signal", b"Started", b"Finished"];

fn is_state_key(k: &[u8]) -> bool {
    STATE_KEYS.contains(&k)
}

fn is_state_line_key(k: &[u8]) -> Option<State> {
    match k {
        b"State" => Some(State::Terminated),
        b"Last State" | b"Last Termination State" => Some(State::LastTerminated),
        _ => None,
    }
}

fn is_state_line_start(body: &[u8]) -> bool {
    // (Every State line key starts with `S` or `L`: other lines, such as
    // the `Labels:` values under the pod's keys, need no key read.)
    matches!(body.first(), Some(b'S' | b'L')) && key_end(body).is_some_and(|e| is_state_line_key(&body[..e]).is_some())
}

/// True for a container field line (without its indentation) that only
/// matters for closing a State block: a capitalized line that is none of
/// the fields a container keeps.
#[inline]
fn is_passive_field(body: &[u8]) -> bool {
    let keep: &[&[u8]] = match body.first() {
        Some(b'C') => &[b"Container ID:"],
        Some(b'S') => &[b"State:"],
        Some(b'L') => &[b"Last State:", b"Last Termination State:"],
        Some(b'R') => &[b"Restart Count:"],
        Some(b) if b.is_ascii_uppercase() => return true,
        _ => return false,
    };
    !keep.iter().any(|k| body.get(..k.len()).is_some_and(|p| util::short_eq(p, k)))
}

/// Keys kubectl's `describePod` prints above the containers.
fn is_pod_header_key(k: &[u8]) -> bool {
    matches!(
        k,
        b"Namespace"
            | b"Priority"
            | b"Priority Class Name"
            | b"Runtime Class Name"
            | b"Service Account"
            | b"Node"
            | b"Start Time"
            | b"Labels"
            | b"Annotations"
            | b"Status"
            | b"Reason"
            | b"Message"
            | b"SeccompProfile"
            | b"IP"
            | b"IPs"
            | b"Controlled By"
            | b"NominatedNodeName"
    )
}

/// Keys kubectl prints for a container (`describeContainerBasicInfo` and on).
fn is_container_field(k: &[u8]) -> bool {
    matches!(
        k,
        b"Container ID"
            | b"Image"
            | b"Image ID"
            | b"Port"
            | b"Ports"
            | b"Host Port"
            | b"Host Ports"
            | b"Command"
            | b"Args"
            | b"Ready"
            | b"Restart Count"
            | b"Limits"
            | b"Requests"
            | b"Liveness"
            | b"Readiness"
            | b"Startup"
            | b"Environment"
            | b"Environment Variables from"
            | b"Mounts"
            | b"Devices"
    )
}

fn section_of(k: &[u8]) -> Option<Section> {
    match k {
        b"Containers" => Some(Section::App),
        b"Init Containers" => Some(Section::Init),
        b"Ephemeral Containers" => Some(Section::Ephemeral),
        _ => None,
    }
}

/// True for lines that can belong to describe output (used when looking back
/// from an `Exit Code:` line for where the pod starts).
pub fn is_describe_like(line: &[u8]) -> bool {
    let d = split_line(line);
    if d.body.is_empty() {
        // (A bare `>` is a blank line inside a quoted paste.)
        return util::trim(line) == b">";
    }
    d.indent > 0 || d.key.is_some() || is_header_token(d.body) || is_elision(d.body) || is_label(d.body)
}

/// `pod-template-hash=5bbd7fd785`: a label kubectl prints under the first
/// one (aligned with it), here without its indentation.
fn is_label(body: &[u8]) -> bool {
    let Some(eq) = memchr::memchr(b'=', body) else { return false };
    eq > 0
        && body[..eq].iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
        && !body[eq + 1..].iter().any(|&b| util::is_blank(b))
}

/// A line that stands for lines cut out of a paste: `...`, `…`, `[...]`,
/// `(...)`, `<snip>`.
pub fn is_elision(body: &[u8]) -> bool {
    let inner = match (body.first(), body.last()) {
        (Some(b'['), Some(b']')) | (Some(b'('), Some(b')')) | (Some(b'<'), Some(b'>')) if body.len() > 2 => {
            &body[1..body.len() - 1]
        }
        _ => body,
    };
    (inner.len() >= 3 && inner.iter().all(|&b| b == b'.'))
        || inner == "…".as_bytes()
        || inner.eq_ignore_ascii_case(b"snip")
        || inner.eq_ignore_ascii_case(b"snipped")
}

/// True when `line` is a `Name:` line (a pod starts there).
pub fn is_pod_start(line: &[u8]) -> bool {
    split_line(line).key == Some(b"Name")
}

/// True when `line` is a `Name:` line at column 0: where an object printed
/// by kubectl's generic describer starts (its list items have `Name:` lines
/// too, indented).
pub fn is_object_start(line: &[u8]) -> bool {
    line.first().is_some_and(u8::is_ascii_alphabetic) && is_pod_start(line)
}

/// For a pod whose `Name:` line is `name_line` and whose text after that
/// line is `body`: where the next pod's `Name:` line starts and ends in
/// `body`, and the lines before it, when everything in between is
/// [`is_inert_pod`] and that line is complete in `body`. Pods with a
/// termination, the common case, are ruled out by one search for the first
/// `Exit Code`.
///
/// `clear` is how many bytes at the start of `body` are known to hold no
/// start of an `Exit Code` (0 when nothing is known); it is moved on to
/// what the search found out, for the caller to hand on to the next pod
/// (whose text it overlaps: the search looks a window ahead, past the pod).
pub fn inert_until(name_line: &[u8], body: &[u8], clear: &mut usize) -> Option<(usize, usize, u64)> {
    use memchr::memmem::Finder;
    use std::sync::OnceLock;
    static NAME: OnceLock<Finder<'static>> = OnceLock::new();
    let value = name_line.strip_prefix(b"Name:")?;
    if trim(value).is_empty() {
        return None; // a pod without a name would take the next `Name:` as its own
    }
    // The first search for `Exit Code` looks no further than a pod usually
    // reaches: unbounded, each pod of a long run without one would search
    // to the end of the chunk (`describe pods -A` of a mostly healthy
    // cluster: quadratic in the pods per chunk). Where the pod before
    // searched already is not searched again (a window holds several pods).
    let window = &body[..body.len().min(EXIT_WINDOW)];
    let from = (*clear).min(window.len());
    let found = exit_code_finder().find(&window[from..]).map(|f| from + f);
    *clear = match found {
        Some(f) => f,
        None if window.len() == body.len() => body.len(),
        // (One could start in the window's last bytes and end past it.)
        None => from.max(window.len().saturating_sub(b"Exit Code".len() - 1)),
    };
    let upto = found.unwrap_or(body.len());
    let nx = if body.starts_with(b"Name:") {
        0
    } else {
        NAME.get_or_init(|| Finder::new(b"\nName:")).find(&body[..upto])? + 1
    };
    if nx > window.len().saturating_sub(b"Exit Code".len()) && exit_code_finder().find(&body[..nx]).is_some() {
        return None; // a long pod, with an `Exit Code` past the window
    }
    let nx_end = nx + memchr::memchr(b'\n', &body[nx..])?;
    // (`Name:r...` is no `Name:` key: fed line by line, it would end the
    // pod and be looked at afresh, not start the next one.)
    let next = &body[nx..nx_end];
    if !is_pod_start(next.strip_suffix(b"\r").unwrap_or(next)) {
        return None;
    }
    // (No `Exit Code` before `upto`.)
    inert_lines(&body[..nx]).then(|| (nx, nx_end, bytecount::count(&body[..nx], b'\n') as u64))
}

/// True when `pod` can be skipped unread: it is what follows a `Name: <pod>`
/// line at column 0 up to the next such line, and a pod that has just read
/// that `Name:` line and is then fed `pod` line by line would neither yield a
/// record or problem nor end before the next `Name:` line (where it ends with
/// [`Step::NextPod`] because it has a name). `kubectl describe pods` of a
/// namespace is mostly such pods. Decided conservatively, false when in doubt:
///
/// - no `Exit Code` (records and problems come from that line only);
/// - no `Message:` (a message swallows the lines after it, `Name:` lines too,
///   and one that runs too long ends the pod);
/// - every line that starts at column 0 is a plain `Key:` line (any other line
///   there ends the pod) other than a State line (which would open a container
///   at column 0 and change what the lines after it mean);
/// - at most [`MAX_UNKNOWN_RUN`] lines between two lines at column 0 (each of
///   them resets the count of lines the pod does not understand, which ends
///   the pod past that limit).
pub fn is_inert_pod(pod: &[u8]) -> bool {
    exit_code_finder().find(pod).is_none() && inert_lines(pod)
}

/// How far [`inert_until`] first looks for an `Exit Code` (kubectl prints a
/// pod in a few KiB).
const EXIT_WINDOW: usize = 16 << 10;

/// The search for `Exit Code`, which every describe record is under.
fn exit_code_finder() -> &'static memchr::memmem::Finder<'static> {
    static EXIT: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    EXIT.get_or_init(|| memchr::memmem::Finder::new(b"Exit Code"))
}

/// [`is_inert_pod`] of a pod known to hold no `Exit Code`.
fn inert_lines(pod: &[u8]) -> bool {
    use memchr::memmem::Finder;
    use std::sync::OnceLock;
    static MESSAGE: OnceLock<Finder<'static>> = OnceLock::new();
    if MESSAGE.get_or_init(|| Finder::new(b"Message:")).find(pod).is_some() {
        return false;
    }
    if !pod.is_empty() && !pod.ends_with(b"\n") {
        return false;
    }
    let mut run = 0;
    let mut start = 0;
    let mut prev_key = 0;
    for nl in util::Newlines::new(pod) {
        let line = &pod[start..nl];
        start = nl + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match line.first() {
            None | Some(b' ' | b'\t') => {
                run += 1;
                if run > MAX_UNKNOWN_RUN {
                    return false;
                }
            }
            Some(b) if b.is_ascii_uppercase() => {
                let Some((key, info)) = col0_key(line, &mut prev_key) else { return false };
                if info.state_line.is_some() || key == b"Name" || !col0_plain(line, key.len(), info) {
                    return false;
                }
                run = 0;
            }
            Some(_) => return false,
        }
    }
    true
}

fn is_header_token(body: &[u8]) -> bool {
    let name = body.strip_suffix(b":").unwrap_or(body);
    is_dns_name(name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Init,
    App,
    Ephemeral,
    /// Conditions, Volumes, Events, ...: no containers here.
    Other,
}

#[derive(Debug, Default)]
struct Container {
    name: Option<Str>,
    /// Indentation of the header line (`None` for an implicit container).
    header_indent: Option<usize>,
    /// Indentation of the first field line under the header.
    field_indent: Option<usize>,
    id: Option<Str>,
    restart_count: Option<u64>,
    /// Index into `Describe::records` of this container's first record.
    first_record: usize,
}

#[derive(Debug)]
struct StateBlock {
    state: State,
    terminated: bool,
    indent: usize,
    reason: Option<Str>,
    message: Option<Str>,
    /// `Message:` may continue on the following lines until the next state key.
    message_open: bool,
    message_lines: usize,
    exit_code: Option<i64>,
    exit_line: u64,
    signal: Option<Signal>,
    started: Option<Str>,
    finished: Option<Str>,
}

/// A parse problem worth telling the user about (the record is dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub what: String,
}

/// The state machine for one pod's describe text.
#[derive(Debug)]
pub struct Describe {
    base_indent: Option<usize>,
    pod_name: Option<Str>,
    namespace: Option<Str>,
    pod_reason: Option<Str>,
    section: Section,
    section_indent: Option<usize>,
    container: Option<Container>,
    block: Option<StateBlock>,
    records: Vec<Record>,
    in_events: bool,
    liveness_failed: bool,
    /// The object is no pod (`Kind:` names another kind): its indented
    /// lines go to the generic describer's reader.
    generic: Option<Box<Generic>>,
    /// Lines numbered below this were scanned before the pod started (it
    /// reads them again for context): what they hold of other formats was
    /// found then.
    pub context_until: u64,
    /// Lines fed since the last line we recognized as describe.
    unknown_run: usize,
    saw_any: bool,
    pub problems: Vec<Problem>,
}

impl Default for Describe {
    fn default() -> Self {
        Describe::new()
    }
}

/// After this many lines in a row that mean nothing to describe, the pod is over.
const MAX_UNKNOWN_RUN: usize = 64;
/// A `Message:` longer than this is cut (the rest is still consumed).
const MAX_MESSAGE: usize = 4096;
/// A message runs on for at most this many lines (the kubelet keeps 80 lines
/// of logs for FallbackToLogsOnError, and 4096 bytes otherwise): past it, the
/// text was cut off inside a message and what follows is not describe.
pub const MAX_MESSAGE_LINES: usize = 96;
/// Records a single pod may hold back (for its Events and pod-level reason)
/// before they are released without them.
pub const MAX_HELD: usize = 1024;

/// What a line does to the count of lines a pod does not understand, as
/// [`Describe::feed_pod`] bounds it.
#[derive(Debug, Clone, Copy)]
enum Run {
    /// A key on the full path: the count starts again.
    Reset,
    /// Passed over unread: the count stays.
    Same,
    /// Text that may count.
    Count,
}

impl Run {
    fn count_if(counts: bool) -> Run {
        if counts {
            Run::Count
        } else {
            Run::Same
        }
    }
}

impl Describe {
    pub fn new() -> Describe {
        Describe {
            base_indent: None,
            pod_name: None,
            namespace: None,
            pod_reason: None,
            section: Section::None,
            section_indent: None,
            container: None,
            block: None,
            records: Vec::new(),
            in_events: false,
            liveness_failed: false,
            generic: None,
            context_until: 0,
            unknown_run: 0,
            saw_any: false,
            problems: Vec::new(),
        }
    }

    /// An object of kubectl's generic describer read from a line that may
    /// come after its `Name:` and `Kind:` lines (or without them, from a
    /// paste): every indented line is the object's.
    pub fn generic_object() -> Box<Describe> {
        let mut d = Box::<Describe>::default();
        d.saw_any = true;
        d.base_indent = Some(0);
        d.section = Section::Other;
        d.generic = Some(Box::default());
        d
    }

    /// A new pod that has read its first line (its `Name:` line).
    pub fn starting_with(line: &[u8], line_no: u64) -> Box<Describe> {
        let mut d = Box::<Describe>::default();
        match known_line(line, 0) {
            // kubectl's `Name:  web-1`: what feeding it leaves a new pod
            // with (its first line, at column 0, naming the pod).
            Some((b"Name", value)) if !value.is_empty() => {
                d.saw_any = true;
                d.base_indent = Some(0);
                d.pod_name = nonempty(value);
            }
            _ => {
                d.feed(line, line_no);
            }
        }
        d
    }

    /// Feeds one line (framing already removed, no newline).
    #[inline]
    pub fn feed(&mut self, line: &[u8], line_no: u64) -> Step {
        // Most lines of a pod are decided by their indentation alone; they
        // skip the call below. (`skippable` is false while a State block or
        // the Events table is open, which the full path looks at first.)
        if self.skippable(line) {
            return Step::Continue;
        }
        self.feed_line(line, line_no)
    }

    /// A pod started from its `Name:` line (number `line_no`) that has read
    /// `body`, the text after that line, in one go ([`Describe::feed_pod`]),
    /// with where the next pod's `Name:` line starts and ends in `body` and
    /// the number of lines before it.
    pub fn read_whole(name_line: &[u8], line_no: u64, body: &[u8]) -> Option<(Box<Describe>, (usize, usize, u64))> {
        let mut pod = Describe::starting_with(name_line, line_no);
        let whole = pod.feed_pod(body, line_no + 1)?;
        Some((pod, whole))
    }

    /// [`Describe::read_whole`], or, for a pod with nothing to report
    /// ([`inert_until`]), the pod that only read its `Name:` line and where
    /// the next one starts, found without reading its lines one by one.
    /// Either way the pod then holds what feeding its lines would leave it
    /// with, as far as anything it reports is concerned.
    ///
    /// `clear`: what [`inert_until`] takes and gives back.
    pub fn read_whole_or_inert(
        name_line: &[u8],
        line_no: u64,
        body: &[u8],
        clear: &mut usize,
    ) -> Option<(Box<Describe>, (usize, usize, u64))> {
        match inert_until(name_line, body, clear) {
            Some(whole) => Some((Describe::starting_with(name_line, line_no), whole)),
            None => Describe::read_whole(name_line, line_no, body),
        }
    }

    /// Reads the rest of a pod in one go when it is laid out the way kubectl
    /// prints it. `body` follows the pod's `Name:` line, the only line this
    /// pod has read; its first line is number `first_line_no`. Returns where
    /// the next pod's `Name:` line starts in `body`, where it ends (its
    /// `\n`), and how many lines came before it: the pod then holds what
    /// [`feed`](Self::feed)ing those lines one by one leaves it with, and
    /// the next step is its [`Step::NextPod`].
    ///
    /// `None` when a line leaves kubectl's layout (tabs, `\r`, markdown
    /// markers, a field at an indentation kubectl does not use, a problem),
    /// when the pod might end early (text at column 0, a long run of lines it
    /// would not understand, a message that runs on too long), or when
    /// `body` ends first. The lines of a multi-line `Message:` go the full
    /// way, as the line that closes it. The pod is then spent: start it again from its
    /// `Name:` line and feed it line by line.
    ///
    /// Each line is told apart by its indentation and first byte first, as
    /// `skippable` does; only the lines `feed` acts on are split, and they
    /// go to the same methods. `tests::whole_pods_read_like_lines` holds the
    /// two to the same records.
    pub fn feed_pod(&mut self, body: &[u8], first_line_no: u64) -> Option<(usize, usize, u64)> {
        let fresh = self.base_indent == Some(0)
            && self.pod_name.is_some()
            && self.container.is_none()
            && self.block.is_none()
            && self.records.is_empty()
            && self.problems.is_empty()
            && self.section == Section::None
            && !self.in_events;
        if !fresh {
            return None;
        }
        // Lines since one that certainly resets `unknown_run`, counting
        // every line that might raise it: never less than the pod's own count.
        let mut run = 0usize;
        let mut start = 0;
        // Events rows not yet looked at for probe failures: `[from, to)`,
        // searched in one go when the table ends.
        let mut events: Option<(usize, usize)> = None;
        // The last key at column 0 (`Name`, the pod's first, at first).
        let mut prev_key = 0;
        for (this, nl) in (first_line_no..).zip(util::Newlines::new(body)) {
            let line = &body[start..nl];
            let at = start;
            start = nl + 1;
            if self.block.as_ref().is_some_and(|b| b.message_open) {
                // A multi-line Message takes every line, blank and column 0
                // ones too, up to the next state key: the full path's.
                self.whole_pod_message_line(line, this)?;
                continue;
            }
            let k = util::spaces(line);
            let Some(&first) = line.get(k) else { continue };
            if first == b'\t' || line.last() == Some(&b'\r') || (first == b'T' && is_terminated_map(&line[k..])) {
                return None;
            }
            if k == 0 {
                if !first.is_ascii_uppercase() {
                    return None;
                }
                let (key, info) = col0_key(line, &mut prev_key)?;
                if !col0_plain(line, key.len(), info) {
                    return None;
                }
                if let Some((from, to)) = events.take() {
                    self.note_event(&body[from..to]);
                }
                if key == b"Name" {
                    // (A pod holding this many records releases them early.)
                    return (self.records.len() < MAX_HELD).then_some((at, nl, this - first_line_no));
                }
                self.whole_pod_key(key, info, line)?;
                run = 0;
                continue;
            }
            if self.in_events {
                // (A probe failure is one line's text: the rows are searched together.)
                events = Some((events.map_or(at, |(from, _)| from), nl));
                run = 0;
                continue;
            }
            if matches!(first, b'*' | b'>') || (first == b'-' && line.get(k + 1) == Some(&b' ')) {
                return None;
            }
            let run_step = if self.block.is_some() {
                self.whole_pod_block_line(line, k, this)?
            } else if let Some(c) = &self.container {
                match c.field_indent {
                    // The first line under a header sets the field indentation.
                    None if k == 4 => {
                        let (key, value) = line_key(line, k)?;
                        match is_state_line_key(key) {
                            Some(state) => self.open_block(state, value, 4),
                            None => {
                                self.container_mut().field_indent = Some(4);
                                self.container_field(key, value);
                            }
                        }
                        Run::Reset
                    }
                    Some(4) if k > 4 => Run::count_if(first == b'-'),
                    Some(4) if k == 4 => {
                        if !first.is_ascii_uppercase() {
                            return None;
                        }
                        // (What `skippable` decides here, no block being open.)
                        if is_passive_field(&line[4..]) {
                            continue;
                        }
                        let (key, value) = line_key(line, k)?;
                        match is_state_line_key(key) {
                            Some(state) => self.open_block(state, value, 4),
                            None => self.container_field(key, value),
                        }
                        Run::Reset
                    }
                    Some(4) if k == 2 => {
                        self.whole_pod_header(line)?;
                        Run::Reset
                    }
                    _ => return None,
                }
            } else {
                match self.section {
                    Section::App | Section::Init | Section::Ephemeral if k == 2 => {
                        self.whole_pod_header(line)?;
                        Run::Reset
                    }
                    Section::None if self.section_indent.is_none() && is_state_line_start(&line[k..]) => return None,
                    // Skipped, but for `-` lines, which the full path counts.
                    Section::None if self.section_indent.is_none() => Run::count_if(first == b'-'),
                    Section::Other if k > self.section_indent.map_or(0, |si| si + 2) => Run::count_if(first == b'-'),
                    // A key resets the count, other text counts: count both.
                    Section::Other => Run::Count,
                    _ => return None,
                }
            };
            match run_step {
                Run::Reset => run = 0,
                Run::Same => {}
                Run::Count => {
                    run += 1;
                    if run > MAX_UNKNOWN_RUN {
                        return None;
                    }
                }
            }
            if self.records.len() >= MAX_HELD {
                return None;
            }
        }
        None
    }

    /// A line while a State block's `Message:` is open, fed the full way
    /// (after the scanner's check of lines at column 0); `None` when that
    /// ends the pod, finds a problem or leaves the layout `feed_pod` reads.
    /// (Not counted: it leaves the count alone or resets it.)
    fn whole_pod_message_line(&mut self, line: &[u8], line_no: u64) -> Option<()> {
        if line.last() == Some(&b'\r')
            || (!matches!(line.first(), Some(b' ' | b'\t') | None) && !crate::frame::is_plain(line))
        {
            return None;
        }
        if self.feed_line(line, line_no) != Step::Continue || !self.problems.is_empty() {
            return None;
        }
        // The line that closes the message may open a block or a container
        // where kubectl would not.
        let block_ok = self.block.as_ref().is_none_or(|b| b.indent == 4);
        let container_ok = self.container.as_ref().is_none_or(|c| {
            c.header_indent == Some(2)
                && c.field_indent.is_none_or(|f| f == 4)
                && matches!(self.section, Section::App | Section::Init | Section::Ephemeral)
        });
        (block_ok && container_ok && self.records.len() < MAX_HELD).then_some(())
    }

    /// A pod-level key at column 0 (not `Name`), as the full path takes it.
    fn whole_pod_key(&mut self, key: &[u8], info: KeyInfo, line: &[u8]) -> Option<()> {
        // (kubectl prints `Kind:` for objects other than pods.)
        if info.state_line.is_some() || key == b"Kind" {
            return None;
        }
        let value = || util::trim(&line[key.len() + 1..]);
        if let Some(sec) = info.section {
            if !value().is_empty() {
                return None;
            }
            self.enter_section(sec, 0);
            return Some(());
        }
        self.close_container();
        self.section = self.section_after(info.pod_header);
        self.in_events = key == b"Events";
        match key {
            b"Namespace" => self.namespace = nonempty(value()),
            b"Reason" => self.pod_reason = nonempty(first_token(value())),
            _ => {}
        }
        Some(())
    }

    /// `  name:` at indentation 2 in a container section: the next container.
    fn whole_pod_header(&mut self, line: &[u8]) -> Option<()> {
        // kubectl's `  name:` (a DNS label starting with a letter is a key
        // with no value) is read without splitting the line.
        let body = util::trim_end(line.get(2..)?);
        if let Some(name) = body.strip_suffix(b":") {
            if name.first().is_some_and(u8::is_ascii_alphabetic) && is_dns_name(name) {
                self.start_container(name, 2);
                return Some(());
            }
        }
        let d = split_line(line);
        let key = d.key?;
        if !(d.value.is_empty() && is_dns_name(key)) {
            return None;
        }
        self.start_container(key, 2);
        Some(())
    }

    /// A line at indentation `k` while a State block (opened at 4) is open:
    /// every such line takes the full path. Returns whether it may count as
    /// not understood.
    fn whole_pod_block_line(&mut self, line: &[u8], k: usize, line_no: u64) -> Option<Run> {
        if k >= 4 {
            if let Some((key, value)) = state_field_line(&line[k..]) {
                self.state_field(key, value, line_no);
                return if self.problems.is_empty() { Some(Run::Reset) } else { None };
            }
        }
        let (key, value) = match known_line(line, k) {
            Some(kv) => kv,
            None => match split_line(line) {
                DLine { key: Some(key), value, .. } => (key, value),
                // (At 3 or less the text could be a container header.)
                _ => return if k >= 4 { Some(Run::Count) } else { None },
            },
        };
        if k == 2 {
            if value.is_empty() && is_dns_name(key) {
                self.start_container(key, 2);
            } else if is_state_line_key(key).is_some() {
                return None;
            } else {
                self.close_block();
            }
            return Some(Run::Reset);
        }
        if k < 4 {
            return None;
        }
        if is_state_key(key) {
            self.state_field(key, value, line_no);
            return if self.problems.is_empty() { Some(Run::Reset) } else { None };
        }
        if let Some(state) = is_state_line_key(key) {
            if k != 4 {
                return None;
            }
            self.open_block(state, value, 4);
        } else if k == 4 {
            self.container_field(key, value);
        }
        Some(Run::Reset)
    }

    #[inline(never)]
    fn feed_line(&mut self, line: &[u8], line_no: u64) -> Step {
        // A multi-line Message swallows everything up to the next state key.
        if self.block.as_ref().is_some_and(|b| b.message_open) {
            let d = split_line(line);
            let closes = d.key.is_some_and(|k| is_state_key(k) && k != b"Message" || is_state_line_key(k).is_some());
            if !closes && self.block.as_ref().is_some_and(|b| b.message_lines >= MAX_MESSAGE_LINES) {
                // Cut off inside a message: the pod is over; this line is not ours.
                if let Some(b) = self.block.as_mut() {
                    b.message_open = false;
                }
                return Step::EndBefore;
            }
            if !closes {
                if let Some(b) = self.block.as_mut() {
                    b.message_lines += 1;
                    if !b.terminated {
                        // (Only a Terminated block makes a record.)
                        return Step::Continue;
                    }
                    let m = b.message.get_or_insert_with(Str::default);
                    if m.len() < MAX_MESSAGE {
                        m.push('\n');
                        m.push_str(&text(util::trim_end(line)));
                    }
                }
                return Step::Continue;
            }
            if let Some(b) = self.block.as_mut() {
                b.message_open = false;
                if let Some(m) = b.message.as_mut() {
                    let t = m.trim_end().len();
                    m.truncate(t);
                }
            }
        }

        // Events rows: only a probe failure matters (the common case of a
        // pod's tail, decided without splitting the line).
        if self.in_events {
            let (indent, i) = leading_blanks(line);
            if indent > self.base_indent.unwrap_or(0) && line.get(i).is_some_and(|&b| b != b'\r') {
                self.unknown_run = 0;
                self.note_event(line);
                return Step::Continue;
            }
        }
        if self.other_pod_key(line) {
            return Step::Continue;
        }
        let d = split_line(line);
        if d.body.is_empty() || is_elision(d.body) {
            // kubectl prints multi-line Args/Command verbatim, blank lines and
            // all; pods are told apart by their `Name:` line instead. A `...`
            // where a user cut lines out of a paste is passed over the same way.
            return Step::Continue;
        }
        if let Some(base) = self.base_indent {
            if d.indent < base {
                return Step::EndBefore;
            }
        }
        if !self.saw_any
            && d.indent == 0
            && d.value.is_empty()
            && d.key.is_some_and(|k| is_capitalized(k) && section_of(k).is_none())
        {
            // `Output:` above a pasted fragment: prose, not a pod key.
            return Step::Continue;
        }
        let first = !self.saw_any;
        self.saw_any = true;
        if first {
            self.base_indent = Some(d.indent);
        }
        let base = self.base_indent.unwrap_or(0);

        if self.generic.is_none()
            && d.key == Some(b"Terminated")
            && d.value.is_empty()
            && d.indent > base
            && self.container.is_none()
            && self.block.is_none()
        {
            // A generic describer's container state in a fragment without
            // its `Kind:` line (kubectl never prints this for a pod).
            self.generic = Some(Box::default());
        }
        if let Some(g) = self.generic.as_mut() {
            if d.indent > base && !self.in_events {
                self.unknown_run = 0;
                g.feed(&d, line_no, line_no >= self.context_until, &mut self.problems, &mut self.records);
                return Step::Continue;
            }
            g.close(&mut self.records);
        }
        let Some(key) = d.key else {
            return self.non_key_line(&d, line, first);
        };
        self.unknown_run = 0;
        if first && is_container_field(key) {
            // A fragment that starts inside a container. At column 0 its
            // first line may have lost its indentation (copied from the
            // middle of a line): the next field line sets it.
            let indent = d.indent;
            if indent > 0 {
                self.container_mut().field_indent = Some(indent);
            } else {
                self.container_field(key, d.value);
                return Step::Continue;
            }
        }

        // Events rows (`Liveness probe failed: ...` parses like a key) until a
        // pod-level key.
        if self.in_events && d.indent > base {
            self.note_event(line);
            return Step::Continue;
        }

        // Container header: `name:` with no value (names are lowercase DNS
        // labels, so they never collide with describe's capitalized keys).
        if d.value.is_empty() && is_dns_name(key) && self.may_be_header(d.indent) {
            self.start_container(key, d.indent);
            return Step::Continue;
        }

        // Fields of an open State block (at or right of the State line).
        if self.block.as_ref().is_some_and(|b| is_state_key(key) && d.indent >= b.indent) {
            self.state_field(key, d.value, line_no);
            return Step::Continue;
        }

        // A new State / Last State block.
        if let Some(state) = is_state_line_key(key) {
            if self.section != Section::Other {
                self.open_block(state, d.value, d.indent);
            }
            return Step::Continue;
        }

        // Container-level fields.
        let indent = d.indent;
        if let Some(c) = self.container.as_mut() {
            if c.field_indent.is_none() {
                match c.header_indent {
                    Some(h) if indent > h => c.field_indent = Some(indent),
                    // A paste that lost all its indentation: the header and
                    // its fields at one column.
                    Some(h) if indent == h && is_container_field(key) => c.field_indent = Some(indent),
                    Some(_) => {}
                    // A fragment's first line, at column 0 (above).
                    None => c.field_indent = Some(indent),
                }
            }
            // (Flattened, only the keys kubectl prints for a container are
            // the container's: `Conditions:`, `Events:` and `Name:` are the pod's.)
            if c.field_indent == Some(indent) && (c.header_indent != Some(indent) || is_container_field(key)) {
                self.container_field(key, d.value);
                return Step::Continue;
            }
        }

        // Pod-level keys: at the pod's own indentation, or left of the section header.
        let pod_level = d.indent <= base || self.section_indent.is_some_and(|si| d.indent <= si);
        if pod_level && is_capitalized(key) {
            if key == b"Name" && d.indent <= base {
                if !first && self.has_content() {
                    return Step::NextPod;
                }
                self.pod_name = nonempty(d.value);
                return Step::Continue;
            }
            if let Some(sec) = section_of(key) {
                self.enter_section(sec, d.indent);
                // Collapsed `Containers: kubedns:` keeps the header in the value.
                if is_header_token(d.value) && d.value.ends_with(b":") {
                    self.start_container(&d.value[..d.value.len() - 1], d.indent + 2);
                }
                return Step::Continue;
            }
            self.close_container();
            self.section = self.section_after_pod_key(key);
            self.in_events = key == b"Events";
            if d.indent <= base {
                match key {
                    b"Namespace" => self.namespace = nonempty(d.value),
                    b"Reason" => self.pod_reason = nonempty(first_token(d.value)),
                    // The generic describer: `Name:` named the object, not a pod.
                    b"Kind" if d.value != b"Pod" => {
                        if self.generic.is_none() {
                            self.generic = Some(Box::default());
                        }
                        self.pod_name = None;
                        self.section = Section::Other;
                    }
                    _ => {}
                }
            }
            return Step::Continue;
        }

        // Anything else (Limits/Environment children, ...) ends an open block.
        if self.block.as_ref().is_some_and(|b| d.indent <= b.indent) {
            self.close_block();
        }
        Step::Continue
    }

    /// Lines deeper than anything that can matter: children of Limits,
    /// Environment, Mounts, Command/Args, Volumes, Conditions, Labels... Only
    /// their indentation is looked at.
    #[inline]
    fn skippable(&self, line: &[u8]) -> bool {
        if self.block.is_some() || self.in_events || !self.saw_any || self.generic.is_some() {
            return false;
        }
        let indent = util::spaces(line);
        if line.get(indent).is_none_or(|&b| b == b'\t' || b == b'-' || b == b'*' || b == b'>') {
            return false;
        }
        if line.get(indent) == Some(&b'T') && is_terminated_map(&line[indent..]) {
            return false;
        }
        match &self.container {
            // Container fields other than these only matter for closing a State
            // block, and none is open: skip them without splitting the line.
            // (Flattened, a field line may be the pod's next key.)
            Some(c) if c.field_indent == Some(indent) => {
                c.header_indent != Some(indent) && is_passive_field(&line[indent..])
            }
            Some(c) => c.field_indent.is_some_and(|f| indent > f),
            None => {
                matches!(self.section, Section::Other | Section::None)
                    && self.base_indent.is_some_and(|b| indent > b)
                    && self.section_indent.is_none_or(|si| indent > si + 2)
                    // A fragment without its `Containers:` header still has
                    // State lines (deeper than its `Name:` line).
                    && !(self.section == Section::None && is_state_line_start(&line[indent..]))
            }
        }
    }

    /// A pod-level key line at column 0 other than the few that matter
    /// (`Priority:`, `Node:`, `Conditions:`, `QoS Class:`, ...) while no
    /// container is open: it only moves the pod into its other sections.
    /// Decided without splitting the line; the same outcome as the full path.
    fn other_pod_key(&mut self, line: &[u8]) -> bool {
        if self.container.is_some() || self.block.is_some() || self.base_indent != Some(0) || !self.saw_any {
            return false;
        }
        if !line.first().is_some_and(u8::is_ascii_uppercase) {
            return false;
        }
        let Some(end) = key_end(line) else { return false };
        let key = &line[..end];
        if matches!(key, b"Name" | b"Namespace" | b"Reason" | b"Events" | b"Kind")
            || section_of(key).is_some()
            || is_state_line_key(key).is_some()
        {
            return false;
        }
        self.unknown_run = 0;
        self.section = self.section_after_pod_key(key);
        self.in_events = false;
        true
    }

    /// A pod-level key ends the container sections. The keys kubectl prints
    /// above them leave a pod that has not reached one where it is, so that a
    /// pasted fragment without its `Containers:` line (`Name:`, `Namespace:`,
    /// then a container's `State:`) is still read.
    fn section_after_pod_key(&self, key: &[u8]) -> Section {
        self.section_after(is_pod_header_key(key))
    }

    /// [`section_after_pod_key`](Self::section_after_pod_key) of a key
    /// that `is_header` kubectl prints above the containers, or not.
    fn section_after(&self, is_header: bool) -> Section {
        if self.section == Section::None && is_header {
            Section::None
        } else {
            Section::Other
        }
    }

    /// Notes a probe failure in `rows` (one Events row, or several: the
    /// phrases never span lines).
    fn note_event(&mut self, line: &[u8]) {
        if self.liveness_failed {
            return;
        }
        static PROBE: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
        let probe = PROBE.get_or_init(|| memchr::memmem::Finder::new(b" probe"));
        if probe.find(line).is_none() {
            return;
        }
        static PHRASES: std::sync::OnceLock<[memchr::memmem::Finder<'static>; 4]> = std::sync::OnceLock::new();
        let phrases = PHRASES.get_or_init(|| {
            let p: [&[u8]; 4] =
                [b"Liveness probe failed", b"failed liveness probe", b"Startup probe failed", b"failed startup probe"];
            p.map(memchr::memmem::Finder::new)
        });
        if phrases.iter().any(|p| p.find(line).is_some()) {
            self.liveness_failed = true;
        }
    }

    fn non_key_line(&mut self, d: &DLine<'_>, line: &[u8], first: bool) -> Step {
        let base = self.base_indent.unwrap_or(0);
        // A lone container name (`wk64c` from a grep'ed paste) heads a container.
        if is_header_token(d.body) && (first || self.may_be_header(d.indent)) && self.section != Section::Other {
            let name = d.body.strip_suffix(b":").unwrap_or(d.body);
            self.start_container(name, d.indent);
            self.unknown_run = 0;
            return Step::Continue;
        }
        let label =
            matches!(self.section, Section::None | Section::Other) && self.container.is_none() && is_label(d.body);
        if d.indent <= base && !first && !label {
            // Plain text at the pod's own level: not describe any more. (But
            // for the labels of a paste that lost its indentation.)
            return Step::EndBefore;
        }
        if self.in_events {
            self.unknown_run = 0;
            self.note_event(line);
            return Step::Continue;
        }
        self.unknown_run += 1;
        if self.unknown_run > MAX_UNKNOWN_RUN {
            return Step::EndBefore;
        }
        Step::Continue
    }

    fn may_be_header(&self, indent: usize) -> bool {
        if !matches!(self.section, Section::Init | Section::App | Section::Ephemeral | Section::None) {
            return false;
        }
        if self.section == Section::None && self.container.is_some() {
            return false;
        }
        match &self.container {
            None => self.section_indent.is_none_or(|si| indent >= si),
            Some(c) => c.header_indent.is_some_and(|h| indent <= h) || c.field_indent.is_some_and(|f| indent < f),
        }
    }

    fn has_content(&self) -> bool {
        self.pod_name.is_some() || self.container.is_some() || !self.records.is_empty()
    }

    fn enter_section(&mut self, sec: Section, indent: usize) {
        self.close_container();
        self.section = sec;
        self.section_indent = Some(indent);
        self.in_events = false;
    }

    fn start_container(&mut self, name: &[u8], indent: usize) {
        self.close_container();
        self.container = Some(Container {
            name: Some(text(name)),
            header_indent: Some(indent),
            first_record: self.records.len(),
            ..Container::default()
        });
    }

    /// A `State:` / `Last State:` line at `indent` (outside the non-container sections).
    fn open_block(&mut self, state: State, value: &[u8], indent: usize) {
        self.close_block();
        let c = self.container_mut();
        if c.field_indent.is_none() {
            c.field_indent = Some(indent);
        }
        self.block = Some(StateBlock {
            state,
            terminated: first_token(value) == b"Terminated",
            indent,
            reason: None,
            message: None,
            message_open: false,
            message_lines: 0,
            exit_code: None,
            exit_line: 0,
            signal: None,
            started: None,
            finished: None,
        });
    }

    /// A key at the open container's field indentation: it ends a State block.
    fn container_field(&mut self, key: &[u8], value: &[u8]) {
        self.close_block();
        let c = self.container_mut();
        match key {
            b"Container ID" => c.id = nonempty(value),
            b"Restart Count" => c.restart_count = whole_int(without_note(value)).and_then(|v| u64::try_from(v).ok()),
            _ => {}
        }
    }

    fn container_mut(&mut self) -> &mut Container {
        let first = self.records.len();
        self.container.get_or_insert_with(|| Container { first_record: first, ..Container::default() })
    }

    fn state_field(&mut self, key: &[u8], value: &[u8], line_no: u64) {
        let Some(b) = self.block.as_mut() else { return };
        if !b.terminated {
            // Running and Waiting blocks make no record: only a Message
            // matters, for the lines it may run on.
            b.message_open |= key == b"Message";
            return;
        }
        match key {
            b"Reason" => b.reason = nonempty(first_token(value)),
            b"Message" => {
                b.message = nonempty(value);
                b.message_open = true;
            }
            b"Exit Code" => {
                b.exit_line = line_no;
                match whole_int(without_note(value)) {
                    Some(v) => b.exit_code = Some(v),
                    None if b.terminated => self.problems.push(Problem {
                        line: line_no,
                        what: format!("Exit Code is not an integer: {:?}", text(value)),
                    }),
                    None => {}
                }
            }
            b"Signal" => b.signal = whole_int(without_note(value)).and_then(Signal::new),
            b"Started" => b.started = when::rfc1123_bytes(value),
            b"Finished" => b.finished = when::rfc1123_bytes(value),
            _ => {}
        }
    }

    /// Ends the open State block, if any (checked inline: most lines that
    /// could end one find none open).
    #[inline]
    fn close_block(&mut self) {
        if self.block.is_some() {
            self.end_block();
        }
    }

    fn end_block(&mut self) {
        let Some(b) = self.block.take() else { return };
        if !b.terminated {
            return;
        }
        let Some(code) = b.exit_code else { return };
        let init = match self.section {
            Section::Init => Some(true),
            Section::App | Section::Ephemeral => Some(false),
            _ => None,
        };
        let mut r = Record::new(Format::Describe);
        r.line = b.exit_line;
        // (The container's name and id reach its records when it closes.)
        r.init = init;
        r.state = Some(b.state);
        r.raw_exit_code = Some(code);
        r.stated_signal = b.signal;
        r.reason = b.reason;
        r.message = b.message.map(|m| Str::from(m.trim())).filter(|m| !m.is_empty());
        r.started_at = b.started;
        r.finished_at = b.finished;
        self.records.push(r);
    }

    /// Ends the open container, if any, and its State block.
    #[inline]
    fn close_container(&mut self) {
        self.close_block();
        if self.container.is_some() {
            self.end_container();
        }
    }

    fn end_container(&mut self) {
        if let Some(c) = self.container.take() {
            let recs = &mut self.records[c.first_record..];
            let last = recs.len().saturating_sub(1);
            let (mut name, mut id) = (c.name, c.id);
            for (i, r) in recs.iter_mut().enumerate() {
                if r.restart_count.is_none() {
                    r.restart_count = c.restart_count;
                }
                // (The last one takes what the container no longer needs.)
                r.container_id = if i == last { id.take() } else { id.clone() };
                r.container = if i == last { name.take() } else { name.clone() };
            }
        }
    }

    /// Ends the pod: returns its records in order of appearance. The pod is
    /// spent (its name and namespace went to the last record).
    pub fn finish(&mut self) -> Vec<Record> {
        self.close_container();
        if let Some(g) = self.generic.as_mut() {
            g.close(&mut self.records);
        }
        let mut out = std::mem::take(&mut self.records);
        let last = out.len().saturating_sub(1);
        for (i, r) in out.iter_mut().enumerate() {
            if i == last {
                // (A generic object's records name their pods themselves.)
                if r.pod.is_none() {
                    r.pod = self.pod_name.take();
                }
                r.namespace = self.namespace.take();
                self.mark(r);
            } else {
                self.complete(r);
            }
        }
        out
    }

    /// Fills in what the pod knows of a record of it.
    fn complete(&self, r: &mut Record) {
        if r.pod.is_none() {
            r.pod.clone_from(&self.pod_name);
        }
        r.namespace.clone_from(&self.namespace);
        self.mark(r);
    }

    /// The pod's evidence on a record of it.
    fn mark(&self, r: &mut Record) {
        r.hints.liveness_failed |= self.liveness_failed;
        r.hints.evicted |= self.pod_reason.as_deref() == Some("Evicted");
        r.hints.deadline_exceeded |= self.pod_reason.as_deref() == Some("DeadlineExceeded");
    }

    /// Moves the line numbers the pod has noted `by` lines on (a pod read
    /// ahead with its lines numbered from 1, see [`Describe::feed_pod`]).
    pub fn shift_lines(&mut self, by: u64) {
        for r in &mut self.records {
            r.line += by;
        }
        if let Some(b) = self.block.as_mut() {
            b.exit_line += by;
        }
        for p in &mut self.problems {
            p.line += by;
        }
    }

    /// Records of finished containers, released early when a pod holds more
    /// than [`MAX_HELD`] (a pod that never ends must not grow memory).
    pub fn release_if_full(&mut self) -> Vec<Record> {
        let done = match &self.container {
            Some(c) => c.first_record,
            None => self.records.len(),
        };
        if done < MAX_HELD {
            return Vec::new();
        }
        let mut out: Vec<Record> = self.records.drain(..done).collect();
        if let Some(c) = self.container.as_mut() {
            c.first_record = 0;
        }
        for r in &mut out {
            self.complete(r);
        }
        out
    }
}

/// A line (without its indentation) that opens a generic describer's
/// `Terminated:` map (the line path reads it; see [`Generic`]).
#[cold]
fn is_terminated_map(body: &[u8]) -> bool {
    body.starts_with(b"Terminated:") && util::trim(&body[11..]).is_empty()
}

/// Maps nested deeper than this are read as if they were not.
const GENERIC_DEPTH: usize = 32;

/// Reads the indented lines of an object kubectl's generic describer prints
/// (`printUnstructuredContent`): a key without a value opens a map or list
/// whose fields are two spaces deeper; the maps of a list follow one another
/// at one indentation, each with its keys sorted, so a key that sorts before
/// the one above it starts the next map. A container state is a
/// `Terminated:` map (`Container ID`, `Exit Code`, `Finished At`, `Message`,
/// `Reason`, `Signal`, `Started At`). Its container is named by the map
/// holding it (a Tekton step: `Container:`, or `Name:`), or by the map holding
/// its `State:` / `Last State:` (a container status, whose `Name:` and
/// `Restart Count:` come after the state: its records wait for the map's end).
#[derive(Debug, Default)]
pub struct Generic {
    /// Keys without a value around the line: their indentation and whether
    /// the key is `State` (`Some(false)`), `Last State` (`Some(true)`) or
    /// another (`None`).
    frames: Vec<(usize, Option<bool>)>,
    /// The maps being printed, by indentation.
    maps: Vec<GenericMap>,
    /// The open `Terminated:` map: its indentation, the indentation of the
    /// map naming its container, and its record so far.
    block: Option<(usize, usize, Record)>,
    /// Records of closed `Terminated:` maps waiting for the end of the map
    /// naming their container (its indentation).
    pending: Vec<(usize, Record)>,
}

#[derive(Debug, Default)]
struct GenericMap {
    indent: usize,
    /// The last key, without blanks (as the field names were sorted).
    last_key: Vec<u8>,
    container: Option<Str>,
    name: Option<Str>,
    restart_count: Option<u64>,
    /// `Pod Name:` (a TaskRun's status, each TaskRun's in a PipelineRun).
    pod: Option<Str>,
}

impl Generic {
    /// One indented line; records it completes go to `out`. A Tekton
    /// condition's `Message:` (`"step-x" exited with code 1 ...`) is a
    /// record of its own, as outside describe text, when the line is `new`.
    fn feed(&mut self, d: &DLine<'_>, line_no: u64, new: bool, problems: &mut Vec<Problem>, out: &mut Vec<Record>) {
        if self.block.as_ref().is_some_and(|(at, ..)| d.indent <= *at) {
            self.close_block();
        }
        let Some(key) = d.key else { return };
        if let Some((_, _, r)) = self.block.as_mut() {
            let v = d.value;
            match key {
                b"Exit Code" => match whole_int(without_note(v)) {
                    Some(code) => {
                        r.raw_exit_code = Some(code);
                        r.line = line_no;
                    }
                    None => problems
                        .push(Problem { line: line_no, what: format!("Exit Code is not an integer: {:?}", text(v)) }),
                },
                b"Reason" => r.reason = nonempty(first_token(v)),
                b"Message" => r.message = nonempty(v),
                b"Signal" => r.stated_signal = whole_int(without_note(v)).and_then(Signal::new),
                b"Started At" => r.started_at = when::rfc3339(&text(v)),
                b"Finished At" => r.finished_at = when::rfc3339(&text(v)),
                b"Container ID" => r.container_id = nonempty(v),
                _ => {}
            }
            return;
        }
        self.frames.retain(|&(at, _)| at < d.indent);
        while self.maps.last().is_some_and(|m| m.indent > d.indent) {
            self.end_map(out);
        }
        let sorted = || key.iter().copied().filter(|&b| b != b' ');
        let same = self.maps.last().filter(|m| m.indent == d.indent);
        if same.is_some_and(|m| sorted().cmp(m.last_key.iter().copied()).is_le()) {
            // The next map of a list.
            self.end_map(out);
        }
        if self.maps.last().is_none_or(|m| m.indent != d.indent) {
            if self.maps.len() >= GENERIC_DEPTH {
                return;
            }
            self.maps.push(GenericMap { indent: d.indent, ..GenericMap::default() });
        }
        let Some(map) = self.maps.last_mut() else { return };
        map.last_key.clear();
        map.last_key.extend(sorted());
        match key {
            b"Terminated" if d.value.is_empty() => {
                let (holder, last) = match self.frames.last() {
                    Some(&(at, Some(last))) => (at, last),
                    _ => (d.indent, false),
                };
                let mut r = Record::new(Format::Describe);
                r.state = Some(if last { State::LastTerminated } else { State::Terminated });
                r.line = line_no;
                r.pod = self.maps.iter().rev().find_map(|m| m.pod.clone());
                self.block = Some((d.indent, holder, r));
            }
            b"Container" => map.container = nonempty(d.value),
            b"Name" => map.name = nonempty(d.value),
            b"Restart Count" => {
                map.restart_count = whole_int(without_note(d.value)).and_then(|v| u64::try_from(v).ok())
            }
            b"Pod Name" => map.pod = nonempty(d.value),
            b"Message" if new => {
                if let Some(mut r) = crate::parse::orchestrator::tekton_step(d.value) {
                    r.line = line_no;
                    out.push(r);
                }
            }
            _ if d.value.is_empty() && self.frames.len() < GENERIC_DEPTH => {
                let state = match key {
                    b"State" => Some(false),
                    b"Last State" | b"Last Termination State" => Some(true),
                    _ => None,
                };
                self.frames.push((d.indent, state));
            }
            _ => {}
        }
    }

    /// Ends the open `Terminated:` map: its record waits for its container's name.
    fn close_block(&mut self) {
        if let Some((_, holder, r)) = self.block.take() {
            if r.raw_exit_code.is_some() {
                self.pending.push((holder, r));
            }
        }
    }

    /// Ends the innermost map: the records it names go to `out`.
    fn end_map(&mut self, out: &mut Vec<Record>) {
        let Some(m) = self.maps.pop() else { return };
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].0 < m.indent {
                i += 1;
                continue;
            }
            let (_, mut r) = self.pending.remove(i);
            if r.container.is_none() {
                r.container = m.container.clone().or_else(|| m.name.clone());
            }
            if r.restart_count.is_none() {
                r.restart_count = m.restart_count;
            }
            out.push(r);
        }
    }

    /// Ends the object: every record still held goes to `out`.
    fn close(&mut self, out: &mut Vec<Record>) {
        self.close_block();
        while !self.maps.is_empty() {
            self.end_map(out);
        }
        out.extend(self.pending.drain(..).map(|(_, r)| r));
    }
}

/// `137   # 128 + 9 (SIGKILL)`, `137 (SIGKILL)`, `137   ← 128 + 9`: a value
/// with a note someone added to a paste, without the note. The note is
/// what follows the first blank, unless it starts with a digit (`1 2` stays
/// one value, which is no integer).
fn without_note(v: &[u8]) -> &[u8] {
    let v = trim(v);
    let Some(at) = v.iter().position(|&b| util::is_blank(b)) else { return v };
    match util::trim_start(&v[at..]).first() {
        Some(b) if b.is_ascii_digit() => v,
        _ => &v[..at],
    }
}

fn first_token(v: &[u8]) -> &[u8] {
    let v = trim(v);
    let n = v.iter().take_while(|&&b| !util::is_blank(b)).count();
    &v[..n]
}

fn is_capitalized(k: &[u8]) -> bool {
    k.first().is_some_and(|b| b.is_ascii_uppercase())
}

/// Keys that, found inside one collapsed line, start a new virtual line, with
/// the indentation level kubectl would have printed them at.
const COLLAPSED_KEYS: &[(&[u8], usize)] = &[
    (b"Name:", 0),
    (b"Namespace:", 0),
    (b"Init Containers:", 0),
    (b"Ephemeral Containers:", 0),
    (b"Containers:", 0),
    (b"Conditions:", 0),
    (b"Volumes:", 0),
    (b"Events:", 0),
    (b"Container ID:", 4),
    (b"Image ID:", 4),
    (b"Image:", 4),
    (b"Ports:", 4),
    (b"Port:", 4),
    (b"Host Ports:", 4),
    (b"Host Port:", 4),
    (b"Command:", 4),
    (b"Args:", 4),
    (b"Last Termination State:", 4),
    (b"Last State:", 4),
    (b"State:", 4),
    (b"Ready:", 4),
    (b"Restart Count:", 4),
    (b"Reason:", 6),
    (b"Message:", 6),
    (b"Exit Code:", 6),
    (b"Signal:", 6),
    (b"Started:", 6),
    (b"Finished:", 6),
];

/// True when one line holds a whole describe block (`... State: Terminated
/// Reason: Error Exit Code: 255 ...`), as pasted into an issue with its
/// newlines lost.
pub fn is_collapsed(line: &[u8]) -> bool {
    let Some(at) = util::find(line, b"Exit Code:") else { return false };
    util::contains(&line[..at], b"State:")
}

/// Re-expands a collapsed describe line into the lines kubectl printed.
pub fn expand_collapsed(line: &[u8]) -> Vec<Vec<u8>> {
    // Find every key occurrence that starts a token.
    let mut cuts: Vec<(usize, usize, usize)> = Vec::new(); // (start, key_len, indent)
    let mut i = 0;
    while i < line.len() {
        if i == 0 || util::is_blank(line[i - 1]) {
            if let Some(&(k, indent)) = COLLAPSED_KEYS.iter().find(|(k, _)| line[i..].starts_with(k)) {
                // "Last State:" must not also be cut at its inner "State:".
                cuts.push((i, k.len(), indent));
                i += k.len();
                continue;
            }
        }
        i += 1;
    }
    let mut out = Vec::with_capacity(cuts.len() + 1);
    for (n, &(start, klen, indent)) in cuts.iter().enumerate() {
        let end = cuts.get(n + 1).map_or(line.len(), |c| c.0);
        let key = &line[start..start + klen];
        let value = trim(&line[start + klen..end]);
        let mut l = vec![b' '; indent];
        l.extend_from_slice(key);
        if key == b"Containers:" || key == b"Init Containers:" || key == b"Ephemeral Containers:" {
            // `Containers: kubedns: Container ID: ...` — the header hides in the value.
            out.push(l);
            let name = value.strip_suffix(b":").unwrap_or(value);
            if is_dns_name(name) {
                let mut h = vec![b' '; 2];
                h.extend_from_slice(name);
                h.push(b':');
                out.push(h);
            }
            continue;
        }
        l.push(b' ');
        l.extend_from_slice(value);
        out.push(l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Lines pods are made of, the awkward ones included.
    const SAFE: &[&str] = &[
        "Namespace:        prod",
        "Priority:         0",
        "Status:           Running",
        "Reason:           Evicted",
        "Containers:",
        "Init Containers:",
        "  web:",
        "  sidecar-1:",
        "    Container ID:   containerd://aaaa",
        "    Image:          registry.local/web:1.0",
        "    State:          Running",
        "    State:          Terminated",
        "    Last State:     Terminated",
        "      Reason:       Error",
        "      Started:      Sun, 28 Jan 2024 08:54:01 +0000",
        "    Ready:          True",
        "    Restart Count:  3",
        "    Limits:",
        "      memory:  512Mi",
        "      --flag=1",
        "      - item",
        "Conditions:",
        "  Type              Status",
        "  Ready             True",
        "Events:",
        "  Type     Reason     Age   From     Message",
        "  Warning  Unhealthy  5m  kubelet  Liveness probe failed: HTTP probe failed",
        "Events:           <none>",
        "",
        "   ",
        "\tTabbed:  value",
    ];

    /// Lines that make a pod not inert, one way or another.
    const RISKY: &[&str] = &[
        "      Exit Code:    2",
        "      Message:      boom",
        "State:          Terminated",
        "stray text at column zero",
        "Jan 28 09:05:11 node-3 kubelet[2231]: I0128 hello",
        "Weird Key:x",
        "- Name: pasted",
        "Name:",
    ];

    fn pod() -> impl Strategy<Value = Vec<&'static str>> {
        let line = prop_oneof![40 => prop::sample::select(SAFE), 1 => prop::sample::select(RISKY)];
        prop::collection::vec(line, 0..90)
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 4000,
            max_global_rejects: 1_000_000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// What `is_inert_pod` promises: fed after its `Name:` line, an inert
        /// pod keeps going until the next `Name:` line, where it ends, and
        /// has nothing to report.
        #[test]
        fn inert_pods_keep_their_promise(lines in pod(), long in 0usize..4) {
            let mut lines = lines;
            if long > 0 {
                // Runs around the limit of lines not understood (Conditions
                // rows after the containers are such lines).
                let rows = std::iter::repeat_n("  Ready             True", MAX_UNKNOWN_RUN - 2 + long);
                lines.splice(0..0, ["Containers:", "Conditions:"].into_iter().chain(rows));
            }
            let body = lines.join("\n");
            let region = if lines.is_empty() { String::new() } else { format!("{body}\n") };
            prop_assume!(is_inert_pod(region.as_bytes()));
            let mut d = Describe::new();
            prop_assert_eq!(d.feed(b"Name:             web-1", 1), Step::Continue);
            for (i, l) in lines.iter().enumerate() {
                prop_assert_eq!(d.feed(l.as_bytes(), i as u64 + 2), Step::Continue, "line {:?}", l);
            }
            prop_assert_eq!(d.feed(b"Name:             web-2", 999), Step::NextPod);
            prop_assert!(d.finish().is_empty());
            prop_assert!(d.problems.is_empty());
        }
    }

    /// Lines for whole pods: kubectl's own, and ones that take a pod off
    /// its layout or end it early.
    const WHOLE: &[&str] = &[
        "      Exit Code:    137",
        "      Exit Code:    2   # comment",
        "      Exit Code:    x",
        "      Signal:       9",
        "      Finished:     Sun, 28 Jan 2024 08:59:01 +0000",
        "      Reason:       OOMKilled",
        "      Message:      boom",
        "    Reason:         Error",
        "    Exit Code:      1",
        "    Last Termination State:  Terminated",
        "    State:          Waiting",
        "    State:Terminated",
        "    image:  lower",
        "    - item",
        "   Three:  odd",
        "     Five:  odd",
        "  Reason:  at two",
        "  Exit Code:  3",
        "  State:  Terminated",
        "  lone",
        "  web",
        "  Ready:  at two",
        "        Deep:  key",
        "        Exit Code:  5",
        "          deeper text",
        "      --arg",
        "      * star",
        "      > quote",
        "      > Exit Code: 4",
        "  ...",
        "State:          Terminated",
        "Exit Code:    9",
        "stray text at column zero",
        "web:",
        "Containers:  web:",
        "Ephemeral Containers:",
        "Weird Key:x",
        "Jan 28 09:05:11 node-3 kubelet[2231]: I0128 hello",
        "12 Jan 2024 hello",
        "- Name: pasted",
        "Name:             web-3",
        "Name:",
        "  Name:  volume",
        "    Restart Count:  x",
        "Node:  node-1\r",
    ];

    /// A container as kubectl prints it, with one or two State blocks.
    const CONTAINER: &[&str] = &[
        "  web:",
        "    Container ID:   containerd://aaaa",
        "    Image:          registry.local/web:1.0",
        "    Args:",
        "      --flag=1",
        "    State:          Waiting",
        "      Reason:       CrashLoopBackOff",
        "    Last State:     Terminated",
        "      Reason:       Error",
        "      Message:      panic: boom",
        "goroutine 1 [running]:",
        "",
        "Name:  in-a-message",
        "      Exit Code:    1",
        "      Started:      Sun, 28 Jan 2024 08:54:01 +0000",
        "      Finished:     Sun, 28 Jan 2024 08:59:01 +0000",
        "    Ready:          False",
        "    Restart Count:  3",
        "    Limits:",
        "      memory:  512Mi",
        "    Mounts:",
        "      /var/run from x (ro)",
    ];

    /// Pods built from kubectl's layout (header keys, sections, containers,
    /// the tail), with lines of [`SAFE`] and [`WHOLE`] put in and left out.
    fn whole_pod() -> impl Strategy<Value = Vec<&'static str>> {
        let section = prop::sample::select(&["Containers:", "Init Containers:", "Ephemeral Containers:"][..]);
        let container = prop::collection::vec(prop::bool::weighted(0.9), CONTAINER.len())
            .prop_map(|keep| CONTAINER.iter().zip(keep).filter(|(_, k)| *k).map(|(l, _)| *l).collect::<Vec<_>>());
        let part = (section, prop::collection::vec(container, 0..3))
            .prop_map(|(s, cs)| std::iter::once(s).chain(cs.into_iter().flatten()).collect::<Vec<_>>());
        let odd = prop_oneof![3 => prop::sample::select(SAFE), 2 => prop::sample::select(WHOLE)];
        (
            prop::collection::vec(part, 0..3),
            prop::collection::vec((any::<prop::sample::Index>(), odd), 0..3),
            prop::bool::ANY,
            prop_oneof![3 => Just(0usize), 1 => MAX_UNKNOWN_RUN - 3..MAX_UNKNOWN_RUN + 3],
            any::<prop::sample::Index>(),
        )
            .prop_map(|(parts, odd, tail, run, run_at)| {
                let mut lines: Vec<&str> =
                    vec!["Namespace:        prod", "Labels:           app=web", "                  hash=abc"];
                lines.extend(parts.into_iter().flatten());
                if tail {
                    lines.extend([
                        "Conditions:",
                        "  Type   Status",
                        "Volumes:",
                        "  x:",
                        "    Type:  Projected",
                        "Events:",
                    ]);
                    lines.extend(["  Warning  Unhealthy  5m  kubelet  Liveness probe failed: HTTP probe failed"]);
                }
                for (at, l) in odd {
                    let i = at.index(lines.len() + 1);
                    lines.insert(i, l);
                }
                // Around the limit of lines in a row the pod does not understand.
                let i = run_at.index(lines.len() + 1);
                lines.splice(i..i, std::iter::repeat_n("      --flag=1", run));
                lines
            })
    }

    /// Feeds `body` line by line after a `Name:` line, as the scanner's fast
    /// path does: the pod, the number of lines it took, and the step that ended it.
    fn by_lines(body: &str) -> (Describe, usize, Step) {
        let mut d = Describe::new();
        d.feed(b"Name:             web-1", 1);
        for (i, l) in body.split_terminator('\n').enumerate() {
            let step = d.feed(l.strip_suffix('\r').unwrap_or(l).as_bytes(), i as u64 + 2);
            if step != Step::Continue {
                return (d, i, step);
            }
        }
        (d, usize::MAX, Step::Continue)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 6000, failure_persistence: None, ..ProptestConfig::default() })]

        /// `feed_pod` leaves a pod as feeding its lines one by one does: same
        /// lines up to the same next `Name:` line, same records and problems.
        #[test]
        fn whole_pods_read_like_lines(lines in whole_pod(), tail in prop_oneof![8 => Just("Name:  web-2\n"), 1 => Just("Name:  web-2"), 1 => Just("")]) {
            let body = format!("{}{tail}", lines.iter().map(|l| format!("{l}\n")).collect::<String>());
            let mut fast = Describe::new();
            fast.feed(b"Name:             web-1", 1);
            let Some((at, end, n)) = fast.feed_pod(body.as_bytes(), 2) else { return Ok(()) };
            let (mut slow, stopped, step) = by_lines(&body);
            prop_assert_eq!(step, Step::NextPod);
            prop_assert_eq!(stopped as u64, n);
            prop_assert_eq!(body[..at].matches('\n').count() as u64, n);
            prop_assert_eq!(body.as_bytes()[end], b'\n');
            prop_assert!(body[at..end].starts_with("Name:"));
            prop_assert_eq!(fast.finish(), slow.finish());
            prop_assert_eq!(&fast.problems, &slow.problems);
            prop_assert!(fast.problems.is_empty());
        }
    }

    /// Lines that close a multi-line message where kubectl would not print
    /// them: whatever `feed_pod` does, it agrees with line feeding.
    /// Text around kubectl's keys: each key with odd endings, near misses
    /// and prefixes, to hold the short ways of reading a key to the long one.
    fn key_text() -> impl Strategy<Value = Vec<u8>> {
        let key = prop::sample::select(KNOWN_KEYS).prop_map(<[u8]>::to_vec);
        let head = prop_oneof![
            4 => key.clone(),
            1 => key.prop_map(|k| k[..k.len() / 2].to_vec()),
            1 => "[A-Za-z0-9 :_./()-]{0,34}".prop_map(String::into_bytes),
        ];
        let tail = prop_oneof![
            Just(b":".to_vec()),
            Just(b": ".to_vec()),
            Just(b":\t".to_vec()),
            Just(b":x".to_vec()),
            Just(b"  :".to_vec()),
            Just(b" :".to_vec()),
            Just(b"::".to_vec()),
            Just(b"".to_vec()),
            "[ -~\t\r\u{e9}]{0,40}".prop_map(String::into_bytes),
        ];
        let value = prop_oneof![Just(Vec::new()), "[ -~\t\r]{0,30}".prop_map(String::into_bytes)];
        (head, tail, value).prop_map(|(h, t, v)| [h, t, v].concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, failure_persistence: None, ..ProptestConfig::default() })]

        /// `key_end`'s short way for kubectl's keys gives what reading a
        /// byte at a time gives.
        #[test]
        fn known_keys_read_like_bytes(body in key_text()) {
            prop_assert_eq!(key_end(&body), key_end_bytewise(&body));
        }

        /// Telling State lines by their first letter first changes no answer.
        #[test]
        fn state_line_starts_like_keys(body in key_text()) {
            let by_key = key_end(&body).is_some_and(|e| is_state_line_key(&body[..e]).is_some());
            prop_assert_eq!(is_state_line_start(&body), by_key);
        }

        /// A key guessed from the key before it is what looking it up gives,
        /// whatever came before (guesses right and wrong, near misses).
        #[test]
        fn guessed_keys_like_looked_up(lines in prop::collection::vec(key_text(), 1..12), rounds in 1usize..3) {
            let mut prev = 0;
            for body in lines.iter().cycle().take(lines.len() * rounds) {
                let guessed = col0_key(body, &mut prev);
                prop_assert_eq!(guessed, key_info(body));
                if guessed.is_none() {
                    prev = 0;
                }
            }
        }

        /// `known_line` gives the key and value `split_line` gives, or leaves
        /// the line to it.
        #[test]
        fn known_lines_split_like_lines(body in key_text(), k in prop::sample::select(vec![0usize, 2, 4, 6, 9])) {
            let line = [vec![b' '; k], body].concat();
            if let Some((key, value)) = known_line(&line, k) {
                let d = split_line(&line);
                prop_assert_eq!((d.indent, d.key, d.value), (k, Some(key), value));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, failure_persistence: None, ..ProptestConfig::default() })]

        /// The short way of telling a column-0 key line plain agrees with
        /// the framing's own test, syslog-looking values included.
        #[test]
        fn col0_lines_plain_like_frames(
            key in prop::sample::select(KNOWN_KEYS),
            gap in prop::sample::select(vec!["", " ", "   ", "\t", " \t", "             "]),
            value in prop_oneof![
                "[0-9]{1,3} [0-9]{2}:[0-9]{2}:[0-9]{2} host (kubelet|kubelet\\[1\\]): x",
                "[0-9]{1,2}[ :0-9]{0,12}",
                "[ -~]{0,20}",
            ],
        ) {
            let line = [key, b":", gap.as_bytes(), value.as_bytes()].concat();
            if let Some((k, info)) = key_info(&line) {
                prop_assert_eq!(col0_plain(&line, k.len(), info), crate::frame::is_plain(&line));
            }
        }
    }

    proptest! {
        /// A pod started from its `Name:` line the short way is the pod
        /// that line leaves when fed.
        #[test]
        fn pods_start_like_fed(line in "(Name|Namespace|- Name|Name:x|Name) ?:?[ \t]{0,3}[a-z0-9 .-]{0,12}[ \r]?") {
            let mut fed = Describe::new();
            fed.feed(line.as_bytes(), 1);
            let short = Describe::starting_with(line.as_bytes(), 1);
            prop_assert_eq!(format!("{short:?}"), format!("{fed:?}"));
        }
    }

    #[test]
    fn every_known_key_is_a_key() {
        for k in KNOWN_KEYS {
            let line = [*k, b":  value"].concat();
            assert_eq!(key_end_bytewise(&line), Some(k.len()), "{}", String::from_utf8_lossy(k));
            assert_eq!(key_end(&line), Some(k.len()));
            assert!(known_line(&line, 0).is_some());
        }
    }

    #[test]
    fn whole_pods_after_odd_message_ends() {
        let head = "Containers:\n  web:\n    State:  Terminated\n      Message:  boom\nmore of it\n";
        for closing in
            ["  State:  Terminated", "  Last State:  Terminated", "        State:  Terminated", "Exit Code:  4"]
        {
            for next in ["  Exit Code:  3", "  Reason:  Odd", "   Signal:  9", "    Exit Code:  5"] {
                let body = format!("{head}{closing}\n{next}\n      Exit Code:  7\nName:  web-2\n");
                let mut fast = Describe::new();
                fast.feed(b"Name:             web-1", 1);
                let Some((_, _, n)) = fast.feed_pod(body.as_bytes(), 2) else { continue };
                let (mut slow, stopped, step) = by_lines(&body);
                assert_eq!((step, stopped as u64), (Step::NextPod, n), "{body}");
                assert_eq!(fast.finish(), slow.finish(), "{body}");
            }
        }
    }

    /// kubectl's own layout is read in one go, with its records.
    #[test]
    fn whole_pod_of_kubectl() {
        let body = "Namespace:        prod\nPriority:         0\nLabels:           app=web\n                  pod-template-hash=abc\nStatus:           Running\nInit Containers:\n  init:\n    Container ID:   containerd://i1\n    Command:\n      sh\n      -c\n    State:          Terminated\n      Reason:       Completed\n      Exit Code:    0\n      Started:      Sun, 28 Jan 2024 08:29:48 +0000\n      Finished:     Sun, 28 Jan 2024 08:39:54 +0000\n    Ready:          True\n    Restart Count:  0\nContainers:\n  web:\n    Container ID:   containerd://w1\n    Args:\n      --config=/etc/app.yaml\n    State:          Waiting\n      Reason:       CrashLoopBackOff\n    Last State:     Terminated\n      Reason:       OOMKilled\n      Exit Code:    137\n    Ready:          False\n    Restart Count:  7\n    Limits:\n      memory:  512Mi\n    Environment:\n      A:  1\n    Mounts:\n      /var/run from x (ro)\nConditions:\n  Type              Status\n  Ready             False\nVolumes:\n  x:\n    Type:  Projected\nQoS Class:  Burstable\nEvents:\n  Type     Reason     Age  From     Message\n  ----     ------     ---  ----     -------\n  Warning  Unhealthy  5m   kubelet  Liveness probe failed: HTTP probe failed\nName:  next\n";
        let mut d = Describe::new();
        d.feed(b"Name:             web-1", 1);
        let (at, _, n) = d.feed_pod(body.as_bytes(), 2).expect("kubectl's layout");
        assert_eq!(&body[at..at + 5], "Name:");
        assert_eq!(n, body[..at].lines().count() as u64);
        let recs = d.finish();
        let got: Vec<_> = recs
            .iter()
            .map(|r| {
                (r.container.as_deref(), r.raw_exit_code, r.init, r.restart_count, r.line, r.hints.liveness_failed)
            })
            .collect();
        assert_eq!(
            got,
            [
                (Some("init"), Some(0), Some(true), Some(0), 15, true),
                (Some("web"), Some(137), Some(false), Some(7), 29, true)
            ]
        );
        assert_eq!(recs[1].container_id.as_deref(), Some("containerd://w1"));
        assert_eq!(recs[0].started_at.as_deref(), Some("2024-01-28T08:29:48Z"));
    }

    #[test]
    fn inert_pods() {
        let running = "Namespace:  prod\nContainers:\n  web:\n    State:  Running\n      Started:  x\n    Ready:  True\nEvents:  <none>\n\n";
        assert!(is_inert_pod(running.as_bytes()));
        assert!(is_inert_pod(b""));
        assert!(!is_inert_pod(format!("{running}    Last State:  Terminated\n      Exit Code:  1\n").as_bytes()));
        assert!(!is_inert_pod(b"Containers:\n  web:\n    State:  Waiting\n      Message:  back-off\n"));
        assert!(!is_inert_pod(b"Namespace:  prod\nsome text\n"));
        assert!(!is_inert_pod(b"State:  Running\n"));
        let deep = |n: usize| format!("Containers:\n{}", "      x\n".repeat(n));
        assert!(is_inert_pod(deep(MAX_UNKNOWN_RUN).as_bytes()));
        assert!(!is_inert_pod(deep(MAX_UNKNOWN_RUN + 1).as_bytes()));
    }

    /// `inert_until` on pods longer than its first search for `Exit Code`:
    /// one past that window still rules the pod out, wherever it starts
    /// (also straddling the window's end); the next pod's never does.
    #[test]
    fn inert_until_past_the_exit_window() {
        let name = b"Name:  web-1";
        let head = "Namespace:  prod\nContainers:\n  web:\n    State:  Running\n";
        let next = "Name:  web-2\n    Last State:  Terminated\n      Exit Code:  1\n";
        let filler = |len: usize| {
            let mut f = String::new();
            while f.len() + 16 <= len {
                f.push_str("Labels:  a=b\n");
                f.push_str("  x\n");
            }
            f
        };
        for pad in (EXIT_WINDOW - 64..EXIT_WINDOW + 64).step_by(3).chain([0, 100, 3 * EXIT_WINDOW]) {
            let pre = format!("{head}{}", filler(pad));
            let inert = format!("{pre}{next}");
            let want = (pre.len(), pre.len() + "Name:  web-2".len(), pre.matches('\n').count() as u64);
            assert_eq!(inert_until(name, inert.as_bytes(), &mut 0), Some(want), "pad {pad}");
            let exit = format!("{pre}      Exit Code:  1\n{next}");
            assert_eq!(inert_until(name, exit.as_bytes(), &mut 0), None, "pad {pad}");
            assert!(is_inert_pod(pre.as_bytes()), "pad {pad}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

        /// Pod after pod, `inert_until` answers the same whether it is told
        /// what the searches for the pods before found out or not: pods
        /// with and without an `Exit Code`, short and longer than the
        /// search window, the `Exit Code` anywhere in them.
        #[test]
        fn inert_until_remembers_like_it_forgets(pods in prop::collection::vec((0usize..900, prop::option::of(0usize..900)), 1..30)) {
            let mut text = String::new();
            for (i, (lines, exit)) in pods.iter().enumerate() {
                text.push_str(&format!("Name:  web-{i}\nNamespace:  prod\n"));
                for l in 0..*lines {
                    if *exit == Some(l) {
                        text.push_str("    Last State:  Terminated\n      Exit Code:  1\n");
                    }
                    text.push_str(if l % 2 == 0 { "Labels:  a=b\n" } else { "  x\n" });
                }
            }
            let data = text.as_bytes();
            let (mut ls, mut clear) = (0usize, 0usize);
            while let Some(le) = memchr::memchr(b'\n', &data[ls..]).map(|e| ls + e) {
                let body = &data[le + 1..];
                let mut known = clear.saturating_sub(le + 1);
                let got = inert_until(&data[ls..le], body, &mut known);
                clear = le + 1 + known;
                prop_assert_eq!(got, inert_until(&data[ls..le], body, &mut 0), "pod at {}", ls);
                // No `Exit Code` starts where the search says none does.
                prop_assert!(!(le + 1..clear).any(|p| data[p..].starts_with(b"Exit Code")), "pod at {}", ls);
                ls = match got {
                    Some((nx, _, _)) => le + 1 + nx,
                    None => match memchr::memmem::find(&data[le..], b"\nName:") {
                        Some(p) => le + p + 1,
                        None => break,
                    },
                };
            }
        }
    }

    fn run(text: &str) -> Vec<Record> {
        let mut d = Describe::new();
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if d.feed(line.as_bytes(), n as u64 + 1) != Step::Continue {
                out.extend(d.finish());
                d = Describe::new();
                d.feed(line.as_bytes(), n as u64 + 1);
            }
        }
        out.extend(d.finish());
        out
    }

    fn brief(r: &Record) -> (Option<&str>, Option<i64>, Option<&str>, Option<State>) {
        (r.container.as_deref(), r.raw_exit_code, r.reason.as_deref(), r.state)
    }

    #[test]
    fn split_lines() {
        let d = split_line(b"      Exit Code:    137");
        assert_eq!((d.indent, d.key, d.value), (6, Some(&b"Exit Code"[..]), &b"137"[..]));
        let d = split_line(b"    State:\t\tTerminated");
        assert_eq!((d.indent, d.key, d.value), (4, Some(&b"State"[..]), &b"Terminated"[..]));
        let d = split_line(b"  Normal  Pulled  http://x:8080/y");
        assert_eq!(d.key, None);
        let d = split_line(b"    Image:          busybox:1.35");
        assert_eq!(d.value, b"busybox:1.35");
        let d = split_line(b"  main:");
        assert_eq!((d.key, d.value), (Some(&b"main"[..]), &b""[..]));
        let d = split_line(b"- Exit Code: 1");
        assert_eq!((d.indent, d.key), (2, Some(&b"Exit Code"[..])));
        assert_eq!(split_line(b"https://x").key, None);
        // A quoted paste keeps its indentation after the `> ` marker.
        let d = split_line(b">       Exit Code:    0");
        assert_eq!((d.indent, d.key, d.value), (8, Some(&b"Exit Code"[..]), &b"0"[..]));
        assert_eq!(split_line(b">   busybox:").indent, 4);
        assert_eq!(split_line(b"> Name:         busybox").indent, 2);
    }

    #[test]
    fn pasted_noise() {
        assert_eq!(without_note(b"137            # 128 + 9 (SIGKILL)"), b"137");
        assert_eq!(without_note("137          ← 128 + 9: destroyed by SIGKILL".as_bytes()), b"137");
        assert_eq!(without_note(b"137 (SIGKILL)"), b"137");
        assert_eq!(without_note(b" 137 "), b"137");
        assert_eq!(without_note(b"a#b"), b"a#b");
        // Two numbers are no code with a note.
        assert_eq!(without_note(b"1 2"), b"1 2");
        let recs = run("Name:  p\nContainers:\n  app:\n    Last State:  Terminated\n      Reason:  OOMKilled\n      Exit Code:  137 (SIGKILL)\n");
        assert_eq!(recs.iter().map(|r| r.raw_exit_code).collect::<Vec<_>>(), [Some(137)]);
        // An e-mail reply quotes every line and puts a bare `>` between them.
        let recs = run("> Name:  p\n>\n> Containers:\n>\n>   app:\n>\n>     State:  Terminated\n>\n>       Exit Code:  139   # segfault\n");
        assert_eq!(recs.len(), 1);
        assert_eq!((recs[0].container.as_deref(), recs[0].raw_exit_code), (Some("app"), Some(139)));
    }

    /// Pasted fragments that start below the pod's `Containers:` line.
    #[test]
    fn fragments_without_containers_header() {
        let cases = [
            // The pod's header, then a container's fields.
            "Name:  p\nNamespace:  ns\n    Command:\n      run\n    State:  Waiting\n    Last State:  Terminated\n      Reason:  StartError\n      Exit Code:  128\n    Restart Count:  2\n",
            // Starting at a container field.
            "    Host Ports:  0/TCP\n    Command:\n      run\n    State:  Terminated\n      Reason:  Error\n      Exit Code:  128\n    Restart Count:  2\n",
            // Prose ending in a colon just above.
            "Output:\n    State:  Waiting\n    Last State:  Terminated\n      Reason:  StartError\n      Exit Code:  128\n    Restart Count:  2\n",
        ];
        for text in cases {
            let recs = run(text);
            assert_eq!(recs.len(), 1, "{text}");
            assert_eq!((recs[0].raw_exit_code, recs[0].restart_count), (Some(128), Some(2)), "{text}");
        }
        // After the containers, a State line means nothing.
        assert!(run("Name:  p\nConditions:\n    State:  Terminated\n      Exit Code:  1\n").is_empty());
        // Starting at a container field that lost its indentation (copied
        // from the middle of a line), or in a paste that lost all of it.
        for text in [
            "Container ID:   docker://5fb8\n    Image:   nginx\n    State:   Running\n    Last State:  Terminated\n      Reason:  Error\n      Exit Code:  128\n    Restart Count:  2\n",
            "Image: x\nLast State: Terminated\nReason: Error\nExit Code: 128\nRestart Count: 2\n",
        ] {
            let recs = run(text);
            assert_eq!(recs.iter().map(|r| (r.raw_exit_code, r.restart_count)).collect::<Vec<_>>(), [(Some(128), Some(2))], "{text}");
        }
    }

    /// `kubectl describe pod` pasted without any indentation
    /// (kubernetes/kubernetes#93826): header, labels, containers and the
    /// pod's keys after them all at column 0.
    #[test]
    fn flattened_pods() {
        let pod = |name: &str, code: u8| {
            format!("Name: {name}\nNamespace: default\nLabels: app=wordpress\npod-template-hash=5bbd7fd785\nStatus: Running\nContainers:\nwordpress:\nContainer ID: docker://e555\nImage: wordpress:4.8-apache\nState: Running\nStarted: Sun, 09 Aug 2020 12:17:29 +0530\nLast State: Terminated\nReason: Error\nExit Code: {code}\nReady: True\nRestart Count: 19\nEnvironment:\nWORDPRESS_DB_HOST: wordpress-mysql\nConditions:\nType Status\nReady True\nEvents:\nWarning Unhealthy 1m kubelet Liveness probe failed: HTTP probe failed\n")
        };
        // (Event rows at column 0 are not told apart from other text: a
        // flattened pod's liveness failures are not seen.)
        let recs = run(&format!("{}{}", pod("wp-1", 1), pod("wp-2", 2)));
        let got: Vec<_> =
            recs.iter().map(|r| (r.pod.as_deref(), r.container.as_deref(), r.raw_exit_code, r.restart_count)).collect();
        assert_eq!(
            got,
            [
                (Some("wp-1"), Some("wordpress"), Some(1), Some(19)),
                (Some("wp-2"), Some("wordpress"), Some(2), Some(19))
            ]
        );
        assert!(recs
            .iter()
            .all(|r| r.namespace.as_deref() == Some("default") && r.state == Some(State::LastTerminated)));
    }

    #[test]
    fn elisions() {
        for e in ["...", "....", "…", "[...]", "(...)", "<snip>", "[snipped]", "[…]"] {
            assert!(is_elision(e.as_bytes()), "{e}");
        }
        for e in ["..", ".", "[]", "snap", "...x", "Name:", "()"] {
            assert!(!is_elision(e.as_bytes()), "{e}");
        }
        // A `...` where lines were cut keeps the pod and its container open.
        let recs =
            run("Name:  p\n...\nInit Containers:\n  init-a:\n...\n    State:  Terminated\n      Exit Code:  3\n");
        assert_eq!(recs.len(), 1);
        assert_eq!(
            (recs[0].pod.as_deref(), recs[0].container.as_deref(), recs[0].init),
            (Some("p"), Some("init-a"), Some(true))
        );
    }

    #[test]
    fn full_pod_with_restart_count_and_events() {
        let text = "Name:             web-1\nNamespace:        shop\nReason:           Evicted\nContainers:\n  main:\n    Container ID:  containerd://abc\n    State:          Waiting\n      Reason:       CrashLoopBackOff\n    Last State:     Terminated\n      Reason:       OOMKilled\n      Exit Code:    137\n      Started:      Tue, 12 Aug 2025 06:42:07 +0200\n      Finished:     Tue, 12 Aug 2025 06:42:08 +0200\n    Ready:          False\n    Restart Count:  16\nEvents:\n  Warning  Unhealthy  1m  kubelet  Liveness probe failed: HTTP probe failed\n";
        let recs = run(text);
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!(brief(r), (Some("main"), Some(137), Some("OOMKilled"), Some(State::LastTerminated)));
        assert_eq!(r.pod.as_deref(), Some("web-1"));
        assert_eq!(r.namespace.as_deref(), Some("shop"));
        assert_eq!(r.restart_count, Some(16));
        assert_eq!(r.container_id.as_deref(), Some("containerd://abc"));
        assert_eq!(r.finished_at.as_deref(), Some("2025-08-12T04:42:08Z"));
        assert_eq!(r.line, 11);
        assert_eq!(r.init, Some(false));
        assert!(r.hints.liveness_failed && r.hints.evicted);
    }

    #[test]
    fn init_containers_signal_and_multiline_message() {
        let text = "Init Containers:\n  setup:\n    State:      Terminated\n      Reason:   Error\n      Message:  first line\nsecond line\n  third\n      Exit Code:  139\n      Signal:     11\n    Restart Count:  2\nContainers:\n  app:\n    State:  Terminated\n      Reason:  Completed\n      Exit Code:  0\n";
        let recs = run(text);
        assert_eq!(recs.len(), 2);
        assert_eq!(brief(&recs[0]), (Some("setup"), Some(139), Some("Error"), Some(State::Terminated)));
        assert_eq!(recs[0].init, Some(true));
        assert_eq!(recs[0].stated_signal, Some(Signal(11)));
        assert_eq!(recs[0].message.as_deref(), Some("first line\nsecond line\n  third"));
        assert_eq!(recs[0].restart_count, Some(2));
        assert_eq!(brief(&recs[1]), (Some("app"), Some(0), Some("Completed"), Some(State::Terminated)));
        assert_eq!(recs[1].init, Some(false));
    }

    #[test]
    fn blocks_that_yield_nothing() {
        let none = [
            "Containers:\n  a:\n    State:  Running\n      Started:  Tue, 12 Aug 2025 06:42:07 +0200\n",
            "Containers:\n  a:\n    State:  Waiting\n      Reason:  CrashLoopBackOff\n",
            // Truncated before the Exit Code.
            "Containers:\n  a:\n    State:  Terminated\n      Reason:  Error\n",
            // Environment values that look like exit codes.
            "Containers:\n  a:\n    Environment:\n      EXIT_CODE_ON_ERROR:  1\n",
        ];
        for t in none {
            assert!(run(t).is_empty(), "{t}");
        }
    }

    #[test]
    fn bad_exit_code_is_a_problem_not_a_panic() {
        let mut d = Describe::new();
        for (n, l) in ["Containers:", "  a:", "    State:  Terminated", "      Exit Code:  lots"].iter().enumerate() {
            d.feed(l.as_bytes(), n as u64 + 1);
        }
        assert!(d.finish().is_empty());
        assert_eq!(d.problems.len(), 1);
        assert_eq!(d.problems[0].line, 4);
    }

    #[test]
    fn flattened_spacing() {
        let text = "    Init Containers:\n    init-myservice:\n        Command:\n        sh\n        State:          Terminated\n        Reason:       Error\n        Exit Code:    127\n";
        let recs = run(text);
        assert_eq!(recs.len(), 1);
        assert_eq!(brief(&recs[0]), (Some("init-myservice"), Some(127), Some("Error"), Some(State::Terminated)));
    }

    #[test]
    fn collapsed_line() {
        let line = "Containers: kubedns: Container ID: docker://5fb8 Image: x Args: --v=2 State: Running Started: Tue, 27 Aug 2019 10:58:49 +0800 Last State: Terminated Reason: Error Exit Code: 255 Started: Tue, 27 Aug 2019 10:40:42 +0800 Finished: Tue, 27 Aug 2019 10:58:27 +0800 Ready: True Restart Count: 1";
        assert!(is_collapsed(line.as_bytes()));
        let lines = expand_collapsed(line.as_bytes());
        let joined: Vec<String> = lines.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect();
        let recs = run(&joined.join("\n"));
        assert_eq!(recs.len(), 1, "{joined:#?}");
        assert_eq!(brief(&recs[0]), (Some("kubedns"), Some(255), Some("Error"), Some(State::LastTerminated)));
        assert_eq!(recs[0].restart_count, Some(1));
    }

    #[test]
    fn two_pods() {
        let text = "Name: a\nContainers:\n  x:\n    State: Terminated\n      Exit Code: 1\n\nName: b\nContainers:\n  y:\n    State: Terminated\n      Exit Code: 2\n";
        let recs = run(text);
        assert_eq!(
            recs.iter().map(|r| (r.pod.clone(), r.raw_exit_code)).collect::<Vec<_>>(),
            vec![(Some("a".into()), Some(1)), (Some("b".into()), Some(2))]
        );
    }

    /// kubectl's generic describer (`kubectl describe taskrun`, a CRD with
    /// container statuses): `Terminated:` maps, their containers named by
    /// the map holding them, pods by `Pod Name:`, the object's own name no pod.
    #[test]
    fn generic_describer_terminated_maps() {
        let taskrun = "Name: run-1\nNamespace: ci\nKind: TaskRun\nStatus:\n  Pod Name: run-1-pod\n  Steps:\n    Container: step-a\n    Name: a\n    Terminated:\n      Exit Code: 1\n      Reason: Error\n      Started At: 2024-01-28T09:04:02Z\n    Container: step-b\n    Name: b\n    Terminated:\n      Exit Code: 0\n      Reason: Completed\n    Container: step-c\n    Name: c\n    Running:\n      Started At: 2024-01-28T09:04:02Z\n";
        let recs = run(taskrun);
        assert_eq!(
            recs.iter().map(brief).collect::<Vec<_>>(),
            vec![
                (Some("step-a"), Some(1), Some("Error"), Some(State::Terminated)),
                (Some("step-b"), Some(0), Some("Completed"), Some(State::Terminated)),
            ]
        );
        assert!(recs.iter().all(|r| r.pod.as_deref() == Some("run-1-pod") && r.namespace.as_deref() == Some("ci")));
        assert_eq!(recs[0].started_at.as_deref(), Some("2024-01-28T09:04:02Z"));
        assert_eq!(recs[0].line, 10);

        // A container status: `Name:` and `Restart Count:` sort after `Last State:`;
        // a key sorting before the previous one starts the next map of the list.
        let statuses = "Name: w\nKind: Workload\nStatus:\n  Container Statuses:\n    Container ID: containerd://1\n    Last State:\n      Terminated:\n        Exit Code: 137\n        Reason: OOMKilled\n    Name: worker\n    Restart Count: 3\n    Container ID: containerd://2\n    Name: other\n    State:\n      Terminated:\n        Exit Code: 2\n";
        let recs = run(statuses);
        assert_eq!(
            recs.iter().map(brief).collect::<Vec<_>>(),
            vec![
                (Some("worker"), Some(137), Some("OOMKilled"), Some(State::LastTerminated)),
                (Some("other"), Some(2), None, Some(State::Terminated)),
            ]
        );
        assert_eq!((recs[0].restart_count, recs[1].restart_count), (Some(3), None));
        assert!(recs.iter().all(|r| r.pod.is_none()));

        // No exit code, no record; a pod's own describe is untouched by `Kind: Pod`.
        assert!(run("Name: r\nKind: TaskRun\nStatus:\n  Steps:\n    Terminated:\n      Reason: Error\n").is_empty());
        let pod = run("Name: p\nKind: Pod\nContainers:\n  x:\n    State: Terminated\n      Exit Code: 1\n");
        assert_eq!(
            pod.iter().map(|r| (r.pod.as_deref(), r.raw_exit_code)).collect::<Vec<_>>(),
            vec![(Some("p"), Some(1))]
        );
    }

    /// A `Terminated:` map in a fragment without its object's `Kind:` line.
    #[test]
    fn generic_terminated_map_in_a_fragment() {
        let mut d = Describe::generic_object();
        let text = "Status:\n  Pod Name: p-1\n  Steps:\n    Container: step-x\n    Terminated:\n      Exit Code: 3\n";
        for (n, line) in text.lines().enumerate() {
            assert_eq!(d.feed(line.as_bytes(), n as u64 + 1), Step::Continue);
        }
        let recs = d.finish();
        assert_eq!(
            recs.iter().map(brief).collect::<Vec<_>>(),
            vec![(Some("step-x"), Some(3), None, Some(State::Terminated))]
        );
        assert_eq!(recs[0].pod.as_deref(), Some("p-1"));
        // Read line by line from a plain describe reader too (no names known).
        let recs = run("  Steps:\n    Terminated:\n      Exit Code: 4\n");
        assert_eq!(recs.iter().map(|r| r.raw_exit_code).collect::<Vec<_>>(), vec![Some(4)]);
    }
}
