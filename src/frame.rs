//! Framing: turning one physical line into the message it carries.
//!
//! - CRI (containerd, CRI-O): `<RFC3339Nano> <stdout|stderr> <P|F>[:tags] <msg>`;
//!   `P` marks a partial piece that the next `F` of the same stream completes.
//! - docker json-file: `{"log":"<msg>\n","stream":"stderr","time":"..."}`; a piece
//!   whose `log` lacks the trailing `\n` is partial.
//! - journald / syslog: `Jan 28 09:05:11 host ident[pid]: <msg>` or the ISO form
//!   `2024-01-28T09:05:11.123+00:00 host ident[pid]: <msg>`.
//! - timestamped: `<RFC3339Nano> <msg>`, what `docker logs -t`, `kubectl logs
//!   --timestamps`, `podman logs -t` and GitHub Actions print (a `host
//!   ident[pid]:` after the time makes it a journal line instead), and
//!   `[<RFC3339>] <msg>` (Jenkins' Timestamper in Pipeline console text).
//! - anything else is plain text: the line is the message.
//!
//! `kubectl logs --prefix` puts `[pod/NAME/CONTAINER] ` before each line (and
//! before the time with `--timestamps`): it is no part of the message either.
//!
//! Joining partial pieces is the scanner's job ([`crate::scan`]); this module
//! only classifies and decodes a single line, without allocating for CRI,
//! journald and plain lines.

use std::borrow::Cow;

use nom::bytes::complete::{tag, take_while1, take_while_m_n};
use nom::character::complete::char;
use nom::combinator::opt;
use nom::{IResult, Parser};

/// How a line was framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    Plain,
    Cri,
    DockerJson,
    Journal,
    Timestamped,
}

impl Framing {
    pub const ALL: [Framing; 5] =
        [Framing::Plain, Framing::Cri, Framing::DockerJson, Framing::Journal, Framing::Timestamped];

    pub fn as_str(self) -> &'static str {
        match self {
            Framing::Plain => "text",
            Framing::Cri => "cri",
            Framing::DockerJson => "docker-json",
            Framing::Journal => "journal",
            Framing::Timestamped => "timestamped",
        }
    }
}

/// The output stream a CRI or docker-json line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One line, unwrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    pub framing: Framing,
    pub stream: Option<Stream>,
    /// A piece that a later line of the same stream completes.
    pub partial: bool,
    /// The line's own timestamp, as printed.
    pub time: Option<&'a [u8]>,
    /// The message, without the framing and without a trailing newline.
    pub msg: Cow<'a, [u8]>,
}

impl<'a> Frame<'a> {
    fn plain(line: &'a [u8]) -> Frame<'a> {
        Frame { framing: Framing::Plain, stream: None, partial: false, time: None, msg: Cow::Borrowed(line) }
    }

    /// A whole line of `framing` with its own time (journal, timestamped).
    fn timed(framing: Framing, time: &'a [u8], msg: &'a [u8]) -> Frame<'a> {
        Frame { framing, stream: None, partial: false, time: Some(time), msg: Cow::Borrowed(msg) }
    }
}

/// Classifies and unwraps `line` (no trailing `\n`; a trailing `\r` is dropped).
pub fn frame(line: &[u8]) -> Frame<'_> {
    let mut f = frame_raw(line);
    // Colors from a terminal capture (`script`, CI logs, kubecolor) are
    // no part of the message.
    if memchr::memchr(0x1b, &f.msg).is_some() {
        f.msg = Cow::Owned(strip_ansi(&f.msg));
    }
    // Nor are the quote marks of a pasted reply or markdown quote. (CRI and
    // docker-json lines may be pieces of a longer message: the scanner
    // removes them from the message it joins.)
    let q = if matches!(f.framing, Framing::Plain | Framing::Journal | Framing::Timestamped) {
        quote_len(&f.msg)
    } else {
        0
    };
    if q > 0 {
        f.msg = match f.msg {
            Cow::Borrowed(m) => Cow::Borrowed(&m[q..]),
            Cow::Owned(mut m) => {
                m.drain(..q);
                Cow::Owned(m)
            }
        };
    }
    f
}

/// The length of `kubectl logs --prefix`'s `[pod/NAME/CONTAINER] ` at the
/// start of `line` (`logs.go`, `addPrefixIfNeeded`), or 0. The names hold no
/// blanks, slashes or brackets; the container may be empty.
pub fn kubectl_prefix_len(line: &[u8]) -> usize {
    let Some(rest) = line.strip_prefix(b"[pod/") else { return 0 };
    let name = |s: &[u8]| s.iter().take_while(|&&b| !matches!(b, b' ' | b'\t' | b'/' | b']' | b'[')).count();
    let pod = name(rest);
    if pod == 0 || rest.get(pod) != Some(&b'/') {
        return 0;
    }
    let after = &rest[pod + 1..];
    let container = name(after);
    if after.get(container..container + 2) != Some(b"] ") {
        return 0;
    }
    b"[pod/".len() + pod + 1 + container + 2
}

/// `msg` without the quote marks it starts with (see [`quote_len`]).
pub fn without_quotes(msg: &[u8]) -> &[u8] {
    &msg[quote_len(msg)..]
}

/// The length of the quote marks `line` starts with: `> ` (e-mail replies,
/// markdown), nested (`> > `, `>> `), or a bare `>` (a quoted blank line).
/// The marker takes one blank; any further blanks are the text's own
/// indentation.
pub fn quote_len(line: &[u8]) -> usize {
    let mut n = 0;
    while line.get(n) == Some(&b'>') && matches!(line.get(n + 1), None | Some(b' ' | b'>')) {
        n += 1;
        if line.get(n) == Some(&b' ') {
            n += 1;
        }
    }
    n
}

/// `bytes` without ANSI escape sequences: CSI (`ESC [ ... m`, cursor moves),
/// control strings (`ESC ] ... BEL` or `ESC ] ... ESC \` hyperlinks, and the
/// same with `_`, `P`, `^`, `X`) and other escapes
/// (`ESC ( B`: ESC, intermediates, a final byte).
pub fn strip_ansi(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(e) = memchr::memchr(0x1b, &bytes[i..]) {
        out.extend_from_slice(&bytes[i..i + e]);
        let mut j = i + e + 1;
        match bytes.get(j) {
            Some(b'[') => {
                j += 1;
                // Parameters and intermediates, then one final byte.
                while bytes.get(j).is_some_and(|b| (0x20..=0x3f).contains(b)) {
                    j += 1;
                }
                if bytes.get(j).is_some_and(|b| (0x40..=0x7e).contains(b)) {
                    j += 1;
                }
            }
            // Control strings: OSC (hyperlinks, titles), APC (Buildkite's
            // `ESC _ bk;t=<ms> BEL` timestamps), DCS, PM, SOS; to BEL or ST.
            Some(b']' | b'_' | b'P' | b'^' | b'X') => {
                j += 1;
                while let Some(&b) = bytes.get(j) {
                    if b == 0x07 {
                        j += 1;
                        break;
                    }
                    if b == 0x1b && bytes.get(j + 1) == Some(&b'\\') {
                        j += 2;
                        break;
                    }
                    j += 1;
                }
            }
            Some(_) => {
                // ESC, intermediates, one final byte (`ESC ( B`, `ESC =`).
                while bytes.get(j).is_some_and(|b| (0x20..=0x2f).contains(b)) {
                    j += 1;
                }
                if bytes.get(j).is_some_and(|b| (0x30..=0x7e).contains(b)) {
                    j += 1;
                }
            }
            None => {}
        }
        i = j;
    }
    out.extend_from_slice(&bytes[i..]);
    out
}

fn frame_raw(line: &[u8]) -> Frame<'_> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = &line[kubectl_prefix_len(line)..];
    match line.first() {
        Some(b'0'..=b'9') => {
            if let Ok((_, f)) = cri(line) {
                return f;
            }
            if let Some(f) = timestamped(line) {
                return f;
            }
        }
        Some(b'[') => {
            if let Some(f) = bracketed(line) {
                return f;
            }
        }
        Some(b'{') if line.starts_with(b"{\"log\":") => {
            if let Some(f) = docker_json(line) {
                return f;
            }
        }
        // No framing starts with a blank or punctuation: most describe and
        // log lines leave here without any parsing.
        Some(b) if (b.is_ascii_alphabetic() || *b >= 0x80) && maybe_syslog_time(line) => {
            if let Some(f) = journal(line) {
                return f;
            }
        }
        _ => {}
    }
    Frame::plain(line)
}

/// True when [`frame`] would find no framing in `line` (a line without its
/// `\r`): the same decision, without building the frame for the common case.
pub fn is_plain(line: &[u8]) -> bool {
    match line.first() {
        Some(b'>') => quote_len(line) == 0,
        Some(b'[') => kubectl_prefix_len(line) == 0 && frame(line).framing == Framing::Plain,
        Some(b'0'..=b'9' | b'{') => frame(line).framing == Framing::Plain,
        Some(b) if b.is_ascii_alphabetic() || *b >= 0x80 => {
            !maybe_syslog_time(line) || frame(line).framing == Framing::Plain
        }
        _ => true,
    }
}

/// Cheap test for `<month token> <day> HH:MM:SS`: a `:` two and five bytes
/// after the day's digits, within the first 24 bytes.
fn maybe_syslog_time(line: &[u8]) -> bool {
    let head = &line[..line.len().min(13)];
    let Some(sp) = head.iter().position(|&b| b == b' ') else { return false };
    let i = sp + crate::parse::util::spaces(&line[sp..]);
    // (Three digits or more are no day.)
    let mut d = 0;
    while d < 3 && line.get(i + d).is_some_and(u8::is_ascii_digit) {
        d += 1;
    }
    (1..=2).contains(&d) && line.get(i + d + 3) == Some(&b':') && line.get(i + d + 6) == Some(&b':')
}

fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`: the timestamp at the start of
/// `i`, and what follows it. Most lines that reach here carry one (every CRI
/// line does), read by [`rfc3339_len`] without nom's combinators; the
/// others get nom's answer (`tests::rfc3339_fast_like_nom` holds the two
/// to the same).
fn rfc3339(i: &[u8]) -> IResult<&[u8], &[u8]> {
    match rfc3339_len(i) {
        Some(n) => Ok((&i[n..], &i[..n])),
        None => rfc3339_nom(i),
    }
}

/// The length of the timestamp [`rfc3339_nom`] reads at the start of `i`,
/// or `None` when it reads none.
#[inline]
fn rfc3339_len(i: &[u8]) -> Option<usize> {
    let head: &[u8; 19] = i.first_chunk()?;
    // `YYYY-MM-DDTHH:MM:SS`: a digit everywhere but at 4, 7, 10, 13 and 16.
    const SEP: [u8; 19] = *b"0000-00-00T00:00:00";
    for (k, (&b, &sep)) in head.iter().zip(&SEP).enumerate() {
        let ok = if matches!(k, 4 | 7 | 10 | 13 | 16) { b == sep } else { b.is_ascii_digit() };
        if !ok {
            return None;
        }
    }
    let mut n = 19;
    if i.get(n) == Some(&b'.') {
        let digits = i[n + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        n += 1 + digits;
    }
    match *i.get(n)? {
        b'Z' => Some(n + 1),
        b'+' | b'-' => {
            let two = |at: usize| i.get(at..at + 2).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
            if !two(n + 1) {
                return None;
            }
            let colon = usize::from(i.get(n + 3) == Some(&b':'));
            two(n + 3 + colon).then_some(n + 5 + colon)
        }
        _ => None,
    }
}

/// [`rfc3339`] by nom's combinators: the definition.
fn rfc3339_nom(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let start = i;
    let (i, _) = (
        take_while_m_n(4, 4, is_digit),
        char('-'),
        take_while_m_n(2, 2, is_digit),
        char('-'),
        take_while_m_n(2, 2, is_digit),
        char('T'),
        take_while_m_n(2, 2, is_digit),
        char(':'),
        take_while_m_n(2, 2, is_digit),
        char(':'),
        take_while_m_n(2, 2, is_digit),
    )
        .parse(i)?;
    let (i, _) = opt((char('.'), take_while1(is_digit))).parse(i)?;
    let (i, _) = nom::branch::alt((
        tag(&b"Z"[..]),
        nom::combinator::recognize((
            nom::character::complete::one_of("+-"),
            take_while_m_n(2, 2, is_digit),
            opt(char(':')),
            take_while_m_n(2, 2, is_digit),
        )),
    ))
    .parse(i)?;
    Ok((i, &start[..start.len() - i.len()]))
}

/// `<RFC3339Nano> <stdout|stderr> <P|F>[:more tags] <msg>`: the common
/// layout (no further tags, a message) read by comparing bytes, anything
/// else by [`cri_nom`] (`tests::cri_short_like_nom` holds the two to the
/// same frames).
fn cri(line: &[u8]) -> IResult<&[u8], Frame<'_>> {
    match cri_short(line) {
        Some(f) => Ok((&[], f)),
        None => cri_nom(line),
    }
}

/// [`cri`] of a line laid out as the runtimes write it: `None` for any
/// other.
#[inline]
fn cri_short(line: &[u8]) -> Option<Frame<'_>> {
    let n = rfc3339_len(line)?;
    let head: &[u8; 10] = line[n..].first_chunk()?;
    let stream = match &head[..8] {
        b" stdout " => Stream::Stdout,
        b" stderr " => Stream::Stderr,
        _ => return None,
    };
    let partial = match head[8..] {
        [b'F', b' '] => false,
        [b'P', b' '] => true,
        _ => return None,
    };
    Some(Frame {
        framing: Framing::Cri,
        stream: Some(stream),
        partial,
        time: Some(&line[..n]),
        msg: Cow::Borrowed(&line[n + 10..]),
    })
}

/// [`cri`] by nom's combinators: the definition.
fn cri_nom(line: &[u8]) -> IResult<&[u8], Frame<'_>> {
    let (i, time) = rfc3339(line)?;
    let (i, _) = char(' ')(i)?;
    let (i, stream) = nom::branch::alt((tag(&b"stdout"[..]), tag(&b"stderr"[..]))).parse(i)?;
    let (i, _) = char(' ')(i)?;
    let (i, flag) = nom::character::complete::one_of("PF")(i)?;
    // Further tags after ':' are allowed by the CRI format and ignored.
    let (i, _) = opt((char(':'), nom::bytes::complete::take_till(|b| b == b' '))).parse(i)?;
    // The message follows one space; an empty message may omit it.
    let msg = i.strip_prefix(b" ").unwrap_or(i);
    if !i.is_empty() && !i.starts_with(b" ") {
        return Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Char)));
    }
    let stream = if stream == b"stdout" { Stream::Stdout } else { Stream::Stderr };
    Ok((
        &[],
        Frame {
            framing: Framing::Cri,
            stream: Some(stream),
            partial: flag == 'P',
            time: Some(time),
            msg: Cow::Borrowed(msg),
        },
    ))
}

#[derive(serde::Deserialize)]
struct DockerLine<'a> {
    #[serde(borrow)]
    log: Cow<'a, str>,
    #[serde(default)]
    stream: Option<&'a str>,
    #[serde(default, borrow)]
    time: Option<Cow<'a, str>>,
}

/// `{"log":"...","stream":"...","time":"..."}`
fn docker_json(line: &[u8]) -> Option<Frame<'_>> {
    let parsed: DockerLine<'_> = serde_json::from_slice(line).ok()?;
    let stream = match parsed.stream {
        Some("stdout") => Some(Stream::Stdout),
        Some("stderr") => Some(Stream::Stderr),
        _ => None,
    };
    // The time is plain ASCII in practice; keep a borrowed slice of the line.
    let time = parsed.time.as_deref().and_then(|t| find_sub(line, t.as_bytes()));
    let (msg, partial) = match parsed.log {
        Cow::Borrowed(s) => {
            let b = s.as_bytes();
            match b.strip_suffix(b"\n") {
                Some(m) => (Cow::Borrowed(m), false),
                None => (Cow::Borrowed(b), true),
            }
        }
        Cow::Owned(s) => {
            let mut v = s.into_bytes();
            let partial = v.last() != Some(&b'\n');
            if !partial {
                v.pop();
            }
            (Cow::Owned(v), partial)
        }
    };
    let msg = match msg {
        Cow::Borrowed(m) => Cow::Borrowed(m.strip_suffix(b"\r").unwrap_or(m)),
        owned => owned,
    };
    Some(Frame { framing: Framing::DockerJson, stream, partial, time, msg })
}

fn find_sub<'a>(hay: &'a [u8], needle: &[u8]) -> Option<&'a [u8]> {
    if needle.is_empty() {
        return None;
    }
    crate::parse::util::find(hay, needle).map(|at| &hay[at..at + needle.len()])
}

/// `<RFC3339Nano> <msg>` (`docker logs -t`, `kubectl logs --timestamps`),
/// or a journal line with an ISO time, or (other times) a journal line.
///
/// After an ISO time, `host ident[pid]: msg` is a journal line. So is `host
/// ident: msg` (rsyslog's `kernel:`), unless the time is UTC's `Z` (docker
/// and the kubelet write that; syslog daemons and journalctl write an offset)
/// or the message after the colon is empty or starts with a second blank:
/// `Start Time:   Sun, 28 Jan 2024` and `Init Containers:` are a `kubectl
/// describe` printed by a container, not a host `Start` and an ident `Time`.
fn timestamped(line: &[u8]) -> Option<Frame<'_>> {
    let Ok((rest, time)) = rfc3339(line) else { return journal(line) };
    let Some(msg) = rest.strip_prefix(b" ") else { return journal(line) };
    if let Some((f, with_pid)) = journal_parts(line) {
        let aligned = f.msg.is_empty() || f.msg.starts_with(b" ");
        if with_pid || !(time.ends_with(b"Z") || aligned) {
            return Some(f);
        }
    }
    Some(Frame::timed(Framing::Timestamped, time, msg))
}

/// `[<RFC3339>] <msg>`, Jenkins' Timestamper in a Pipeline's console text.
fn bracketed(line: &[u8]) -> Option<Frame<'_>> {
    let (rest, time) = rfc3339(line.strip_prefix(b"[")?).ok()?;
    let msg = match rest.strip_prefix(b"]")? {
        [] => &[][..],
        m => m.strip_prefix(b" ")?,
    };
    Some(Frame::timed(Framing::Timestamped, time, msg))
}

/// `Mmm dd HH:MM:SS host ident[pid]: msg`, the ISO variant, and localized month
/// names (`4月 12 16:00:43`, `mai 12 10:19:45`).
fn journal(line: &[u8]) -> Option<Frame<'_>> {
    journal_parts(line).map(|(f, _)| f)
}

/// [`journal`], and whether the ident carries a `[pid]`.
fn journal_parts(line: &[u8]) -> Option<(Frame<'_>, bool)> {
    let (rest, time) = syslog_time(line).ok()?;
    let rest = rest.strip_prefix(b" ")?;
    // host (absent in some pasted journals: `May 16 15:05:02 containerd[29581]: ...`)
    let sp = memchr::memchr(b' ', rest)?;
    if sp == 0 {
        return None;
    }
    if rest[sp - 1] == b':' && memchr::memchr(b'[', &rest[..sp]).is_some() {
        let msg = &rest[sp + 1..];
        let f = Frame::timed(Framing::Journal, time, msg);
        return Some((f, true));
    }
    let after_host = &rest[sp + 1..];
    // ident[pid]: or ident:
    let colon = memchr::memchr(b':', after_host)?;
    let ident = &after_host[..colon];
    if ident.is_empty() || ident.len() > 128 || ident.contains(&b' ') {
        return None;
    }
    let msg = &after_host[colon + 1..];
    let msg = msg.strip_prefix(b" ").unwrap_or(msg);
    let f = Frame::timed(Framing::Journal, time, msg);
    Some((f, ident.ends_with(b"]") && ident.contains(&b'[')))
}

fn syslog_time(i: &[u8]) -> IResult<&[u8], &[u8]> {
    if let Ok(r) = rfc3339(i) {
        return Ok(r);
    }
    let start = i;
    // A month token of 1..=12 bytes without spaces (any language), day, time.
    let (i, _) = take_while_m_n(1, 12, |b: u8| b != b' ' && b != b'\t')(i)?;
    let (i, _) = take_while1(|b| b == b' ')(i)?;
    let (i, _) = take_while_m_n(1, 2, is_digit)(i)?;
    let (i, _) = char(' ')(i)?;
    let (i, _) = (
        take_while_m_n(2, 2, is_digit),
        char(':'),
        take_while_m_n(2, 2, is_digit),
        char(':'),
        take_while_m_n(2, 2, is_digit),
    )
        .parse(i)?;
    let (i, _) = opt((char('.'), take_while1(is_digit))).parse(i)?;
    Ok((i, &start[..start.len() - i.len()]))
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 4000, failure_persistence: None, ..Default::default() })]
        /// The short way reads the timestamps nom's parser reads, of the
        /// same length, and no others.
        #[test]
        fn rfc3339_fast_like_nom(
            head in proptest::prop_oneof![
                3 => "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}",
                1 => "[0-9]{3,5}[-x][0-9]{1,3}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}[:.][0-9]{1,3}",
            ],
            frac in "(\\.[0-9]{0,10}|\\.x|)",
            zone in proptest::prop_oneof![
                2 => "(Z|[+-][0-9]{2}:?[0-9]{2})",
                1 => "([+-][0-9]{0,3}:?[0-9]{0,3}|[+-]|x|)",
            ],
            tail in "( stdout F x|Z|[0-9]|)",
        ) {
            let s = format!("{head}{frac}{zone}{tail}");
            let nom = rfc3339_nom(s.as_bytes()).ok().map(|(_, t)| t.len());
            proptest::prop_assert_eq!(rfc3339_len(s.as_bytes()), nom, "{:?}", s);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 4000, failure_persistence: None, ..Default::default() })]
        /// The short way reads the CRI lines nom's parser reads, into the
        /// same frames, and leaves it the others.
        #[test]
        fn cri_short_like_nom(
            time in "(2024-01-28T09:05:11(\\.[0-9]{1,9})?(Z|[+-]0[0-9]:?00)|2024-01-28 09:05:11|x)",
            stream in "( stdout| stderr| stdin|stdout| Stdout)",
            flag in "( F| P| X|F|)",
            tags in "(:x|:|)",
            msg in "( msg here| |  two|x|)",
        ) {
            let line = format!("{time}{stream}{flag}{tags}{msg}");
            let nom = cri_nom(line.as_bytes()).ok().map(|(_, f)| f);
            proptest::prop_assert_eq!(cri(line.as_bytes()).ok().map(|(_, f)| f), nom, "{:?}", line);
        }
    }

    use super::*;

    fn f(line: &str) -> (Framing, Option<Stream>, bool, Option<String>, String) {
        let fr = frame(line.as_bytes());
        (
            fr.framing,
            fr.stream,
            fr.partial,
            fr.time.map(|t| String::from_utf8_lossy(t).into_owned()),
            String::from_utf8_lossy(&fr.msg).into_owned(),
        )
    }

    #[test]
    fn cri_lines() {
        let valid = [
            ("2024-01-28T09:05:11.123456789Z stderr F msg here", Stream::Stderr, false, "msg here"),
            (
                "2026-11-25T06:32:09.458443737Z stdout P no trailing newline",
                Stream::Stdout,
                true,
                "no trailing newline",
            ),
            ("2026-11-25T06:37:55.610185Z stdout F about to exit 3", Stream::Stdout, false, "about to exit 3"),
            ("2020-01-26T03:17:29.346494690+00:00 stderr F x", Stream::Stderr, false, "x"),
            ("2024-01-28T09:05:11Z stdout F ", Stream::Stdout, false, ""),
            ("2024-01-28T09:05:11Z stdout F", Stream::Stdout, false, ""),
            ("2024-01-28T09:05:11Z stdout F:x  two spaces", Stream::Stdout, false, " two spaces"),
            ("2024-01-28T09:05:11Z stdout F msg\r", Stream::Stdout, false, "msg"),
        ];
        for (line, stream, partial, msg) in valid {
            let (fr, st, p, _, m) = f(line);
            assert_eq!((fr, st, p, m.as_str()), (Framing::Cri, Some(stream), partial, msg), "{line}");
        }
        let invalid = [
            "2024-01-28T09:05:11Z stdin F msg",
            "2024-01-28T09:05:11Z stdout X msg",
            "2024-01-28T09:05:11Z stdout Fmsg",
            "2024-01-28 09:05:11Z stdout F msg",
            "2024-01-28T09:05:11 stdout F msg",
        ];
        for line in invalid {
            assert_ne!(f(line).0, Framing::Cri, "{line}");
        }
    }

    #[test]
    fn ansi_escapes() {
        let cases: [(&[u8], &[u8]); 8] = [
            (b"\x1b[36mweb-1 exited with code 137\x1b[0m", b"web-1 exited with code 137"),
            (b"\x1b[1;31mError\x1b[m: x", b"Error: x"),
            (b"a\x1b]8;;http://x\x07link\x1b]8;;\x1b\\b", b"alinkb"),
            (b"a\x1b(Bb", b"ab"),
            (b"\x1b_bk;t=1706432710123\x07Exit Code:  1", b"Exit Code:  1"),
            (b"\x1bPq#0;2;0;0;0\x1b\\x", b"x"),
            (b"cut at the end \x1b[3", b"cut at the end "),
            (b"no escapes", b"no escapes"),
        ];
        for (raw, want) in cases {
            assert_eq!(strip_ansi(raw), want, "{}", String::from_utf8_lossy(raw));
        }
        // After the framing: a CRI line whose message is colored.
        let f = frame(b"2024-01-28T09:05:11.1Z stdout F \x1b[33mworker-1 exited with code 0\x1b[0m");
        assert_eq!((f.framing, &f.msg[..]), (Framing::Cri, &b"worker-1 exited with code 0"[..]));
    }

    #[test]
    fn quote_marks() {
        for (line, msg) in [
            ("> Exit Code:  1", "Exit Code:  1"),
            (">   terminated:", "  terminated:"),
            ("> > exitCode: 1", "exitCode: 1"),
            (">> exitCode: 1", "exitCode: 1"),
            (">", ""),
            // Not a quote mark.
            (">foo", ">foo"),
            ("a > b", "a > b"),
        ] {
            assert_eq!(f(line).4, msg, "{line}");
            assert_eq!(is_plain(line.as_bytes()), line == msg, "{line}");
        }
        // A CRI line may be the rest of a message split in pieces: the
        // scanner removes quote marks once it has the whole message.
        let f = frame(b"2024-01-28T09:05:11.1Z stdout F > Exited (1) 2 days ago");
        assert_eq!((f.framing, &f.msg[..]), (Framing::Cri, &b"> Exited (1) 2 days ago"[..]));
        assert_eq!(without_quotes(&f.msg), b"Exited (1) 2 days ago");
    }

    #[test]
    fn docker_json_lines() {
        let (fr, st, p, t, m) =
            f(r#"{"log":"hello \u003cworld\u003e\n","stream":"stdout","time":"2026-11-25T06:34:14.103847739Z"}"#);
        assert_eq!((fr, st, p, m.as_str()), (Framing::DockerJson, Some(Stream::Stdout), false, "hello <world>"));
        assert_eq!(t.as_deref(), Some("2026-11-25T06:34:14.103847739Z"));
        let (_, _, p, _, m) = f(r#"{"log":"piece","stream":"stderr","time":"2026-11-25T06:34:14Z"}"#);
        assert!(p);
        assert_eq!(m, "piece");
        // Broken JSON stays plain text.
        assert_eq!(f(r#"{"log":"unterminated"#).0, Framing::Plain);
    }

    #[test]
    fn journal_lines() {
        let cases = [
            ("Jan 28 09:05:11 node-3 kubelet[2231]: I0128 x", "Jan 28 09:05:11", "I0128 x"),
            ("May  8 14:05:27 doris-03 kernel: Killed process 1", "May  8 14:05:27", "Killed process 1"),
            ("4月 12 16:00:43 localhost.localdomain systemd[1]: x", "4月 12 16:00:43", "x"),
            ("mai 12 10:19:45 worker04-k8s containerd[147380]: y", "mai 12 10:19:45", "y"),
            (
                "2026-03-08T09:35:15.691925+00:00 vsa systemd[1]: named.service: z",
                "2026-03-08T09:35:15.691925+00:00",
                "named.service: z",
            ),
        ];
        for (line, time, msg) in cases {
            let (fr, _, _, t, m) = f(line);
            assert_eq!((fr, t.as_deref(), m.as_str()), (Framing::Journal, Some(time), msg), "{line}");
        }
        for plain in ["Containers:", "    State:          Terminated", "hello world: x", ""] {
            assert_eq!(f(plain).0, Framing::Plain, "{plain}");
        }
    }

    /// Lines made of the pieces each framing starts with, and text.
    fn framed_line() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just("2024-01-28T09:05:10.123456789Z "),
            Just("2024-01-28T09:05:10+00:00 "),
            Just("2024-01-28T09:05:10Z"),
            Just("[2024-01-28T09:05:10.123Z] "),
            Just("[2024-01-28T09:05:10Z]"),
            Just("[pod/web-1/web] "),
            Just("[pod/web-1/] "),
            Just("[pod/a b/c] "),
            Just("stdout F "),
            Just("stderr P "),
            Just("Jan 28 09:05:11 "),
            Just("node1 "),
            Just("kubelet[2231]: "),
            Just("kernel: "),
            Just("> "),
            Just(">"),
            Just("  "),
            Just("Init Containers:"),
            Just("Start Time:   Sun"),
            Just("Exit Code:  1"),
            Just("{\"log\":\"x\\n\"}"),
            Just("["),
            Just("]"),
            Just(" "),
            Just("x"),
        ];
        proptest::collection::vec(piece, 0..6).prop_map(|ps| ps.concat().into_bytes())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 4000,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]
        /// `is_plain` is `frame`'s own answer: no framing, and the message is the line.
        #[test]
        fn is_plain_is_frames_answer(line in framed_line()) {
            let f = frame(&line);
            proptest::prop_assert_eq!(
                is_plain(&line),
                f.framing == Framing::Plain && f.msg[..] == line[..],
                "{}", String::from_utf8_lossy(&line)
            );
        }
    }

    #[test]
    fn kubectl_prefixes() {
        for (line, framing, msg) in [
            ("[pod/web-1/web] Name:         web-1", Framing::Plain, "Name:         web-1"),
            ("[pod/web-1/web]       Exit Code:    3", Framing::Plain, "      Exit Code:    3"),
            ("[pod/web-1/] x", Framing::Plain, "x"),
            ("[pod/web-1/web] 2024-01-28T09:05:10.1Z   web:", Framing::Timestamped, "  web:"),
            ("[pod/web-1/web] > Exit Code: 1", Framing::Plain, "Exit Code: 1"),
        ] {
            let (fr, _, _, _, m) = f(line);
            assert_eq!((fr, m.as_str()), (framing, msg), "{line}");
            assert!(!is_plain(line.as_bytes()), "{line}");
        }
        for line in ["[pod/web-1 web] x", "[pod/] x", "[pod/a/b]x", "[pod/a/b/c] x", "[deploy/a/b] x", "[pod/a] x"] {
            assert_eq!(kubectl_prefix_len(line.as_bytes()), 0, "{line}");
            assert_eq!(f(line).4, line, "{line}");
            assert!(is_plain(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn timestamped_lines() {
        // `docker logs -t`, `kubectl logs --timestamps`: the message follows
        // one blank, its own indentation kept.
        let cases = [
            ("2024-01-28T09:05:10.000000002Z Name:         web-1", "Name:         web-1"),
            ("2024-01-28T09:05:10.5Z       Exit Code:    3", "      Exit Code:    3"),
            (
                "2024-01-28T09:05:10Z Start Time:   Sun, 28 Jan 2024 07:59:20 +0000",
                "Start Time:   Sun, 28 Jan 2024 07:59:20 +0000",
            ),
            ("2024-01-28T09:05:10.123456789+01:00 Init Containers:", "Init Containers:"),
            ("2024-01-28T09:05:10.1+00:00 Start Time:   Sun", "Start Time:   Sun"),
            ("2024-01-28T09:05:11.123456789Z web-1 exited with code 137", "web-1 exited with code 137"),
            ("2024-01-28T09:05:11Z node1 kernel: Killed process 1 (x)", "node1 kernel: Killed process 1 (x)"),
            ("2024-01-28T09:05:11Z > Exit Code:  1", "Exit Code:  1"),
            ("2024-01-28T09:05:11Z ", ""),
        ];
        for (line, msg) in cases {
            let (fr, _, p, _, m) = f(line);
            assert_eq!((fr, p, m.as_str()), (Framing::Timestamped, false, msg), "{line}");
            assert!(!is_plain(line.as_bytes()), "{line}");
        }
        let (_, _, _, t, _) = f("2024-01-28T09:05:10.000000002Z Name:  web-1");
        assert_eq!(t.as_deref(), Some("2024-01-28T09:05:10.000000002Z"));
        // A host and an ident after the time make a journal line: with a
        // pid always, without one when the time has an offset.
        for (line, msg) in [
            ("2024-01-28T09:05:11Z node1 kubelet[2231]: I0128 x", "I0128 x"),
            ("2024-01-28T09:05:11.123456+00:00 node1 kernel: Killed process 1 (x)", "Killed process 1 (x)"),
            ("2024-01-28T09:05:11+0000 node1 systemd[1]: a.service: b", "a.service: b"),
        ] {
            let (fr, _, _, _, m) = f(line);
            assert_eq!((fr, m.as_str()), (Framing::Journal, msg), "{line}");
        }
        // Jenkins' Timestamper.
        for (line, msg) in [
            ("[2024-01-28T09:05:10.123Z] + kubectl describe pod x", "+ kubectl describe pod x"),
            ("[2024-01-28T09:05:10.123Z]       Exit Code:    137", "      Exit Code:    137"),
            ("[2024-01-28T09:05:10.123Z]", ""),
        ] {
            let (fr, _, _, t, m) = f(line);
            assert_eq!((fr, t.as_deref(), m.as_str()), (Framing::Timestamped, Some("2024-01-28T09:05:10.123Z"), msg));
            assert!(!is_plain(line.as_bytes()), "{line}");
        }
        for line in
            ["[2024-01-28T09:05:10.123Z]x", "[2024-01-28 09:05:10] x", "[INFO] Exit Code: 1", "[2024-01-28T09:05:10Z"]
        {
            assert_eq!(f(line).0, Framing::Plain, "{line}");
            assert!(is_plain(line.as_bytes()), "{line}");
        }
        // No blank after the time, or no time: not this framing.
        for line in ["2024-01-28T09:05:11Zx", "2024-01-28T09:05:11Z", "2024-01-28 09:05:11 x"] {
            assert_ne!(f(line).0, Framing::Timestamped, "{line}");
        }
    }
}
