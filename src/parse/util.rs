//! Small zero-copy helpers the format parsers share: integers, logfmt keys,
//! tokens, trimming and the time conversions every format needs.

use crate::record::Str;
use nom::bytes::complete::take_while1;
use nom::character::complete::char;
use nom::combinator::{opt, recognize};
use nom::{IResult, Parser};

/// `-?[0-9]+` as an `i64` (fails on overflow rather than wrapping).
pub fn int(i: &[u8]) -> IResult<&[u8], i64> {
    let (rest, digits) = recognize((opt(char('-')), take_while1(|b: u8| b.is_ascii_digit()))).parse(i)?;
    match std::str::from_utf8(digits).ok().and_then(|s| s.parse::<i64>().ok()) {
        Some(v) => Ok((rest, v)),
        None => Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Digit))),
    }
}

/// An integer filling the whole of `s` (after trimming blanks).
pub fn whole_int(s: &[u8]) -> Option<i64> {
    let t = trim(s);
    let (neg, digits) = match t.strip_prefix(b"-") {
        Some(d) => (true, d),
        None => (false, t),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // (Accumulated towards the sign, so that i64::MIN fits.)
    digits.iter().try_fold(0i64, |v, &b| {
        let d = i64::from(b - b'0');
        v.checked_mul(10).and_then(|v| if neg { v.checked_sub(d) } else { v.checked_add(d) })
    })
}

/// An integer at the start of `s`, ignoring what follows.
pub fn lead_int(s: &[u8]) -> Option<i64> {
    int(s).ok().map(|(_, v)| v)
}

pub fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

pub fn trim(s: &[u8]) -> &[u8] {
    trim_end(trim_start(s))
}

pub fn trim_start(s: &[u8]) -> &[u8] {
    // (Indentation is spaces, skipped 8 at a time; pretty JSON indents its
    // lines 12 to 24.)
    let k = spaces(s);
    let n = s[k..].iter().take_while(|&&b| is_blank(b) || b == b'\r').count();
    &s[k + n..]
}

pub fn trim_end(s: &[u8]) -> &[u8] {
    let n = s.iter().rev().take_while(|&&b| is_blank(b) || b == b'\r').count();
    &s[..s.len() - n]
}

/// The text of `s` as an owned string (invalid UTF-8 replaced), length-capped.
pub fn text(s: &[u8]) -> Str {
    const CAP: usize = 4096;
    let s = if s.len() > CAP { &s[..CAP] } else { s };
    match lossy(s) {
        std::borrow::Cow::Borrowed(t) => Str::from(t),
        std::borrow::Cow::Owned(t) => Str::from(t),
    }
}

/// `s` as text, borrowed when it is valid UTF-8 ([`String::from_utf8_lossy`]'s
/// answer, found the short way).
#[inline]
pub fn lossy(s: &[u8]) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        // SAFETY: ASCII is UTF-8. (`is_ascii` reads short text a word at a
        // time, where `from_utf8` goes a byte at a time below 16 bytes:
        // names, reasons and ids are mostly that short.)
        return std::borrow::Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(s) });
    }
    // (The lossy path goes chunk by chunk and is only needed for invalid text.)
    match std::str::from_utf8(s) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(s),
    }
}

/// `Some(text)` unless `s` is empty after trimming.
pub fn nonempty(s: &[u8]) -> Option<Str> {
    let s = trim(s);
    if s.is_empty() {
        None
    } else {
        Some(text(s))
    }
}

/// Up to this length a haystack is searched without building a
/// `memmem::Finder` (whose set-up, a few hundred instructions, cost more
/// than searching a log line: 9 % of the CPU on describe text whose Events
/// rows each went through the parsers).
const SHORT_HAY: usize = 512;

/// The first `needle` in `hay` (`memchr::memmem::find`).
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if hay.len() > SHORT_HAY {
        return memchr::memmem::find(hay, needle);
    }
    let Some((at, rare)) = rarest(needle) else { return Some(0) };
    let last = hay.len().checked_sub(needle.len())?;
    let mut from = at;
    while let Some(i) = memchr::memchr(rare, hay.get(from..=last + at)?) {
        let start = from + i - at;
        if hay[start..start + needle.len()] == *needle {
            return Some(start);
        }
        from += i + 1;
    }
    None
}

/// The last `needle` in `hay` (`memchr::memmem::rfind`).
pub fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if hay.len() > SHORT_HAY {
        return memchr::memmem::rfind(hay, needle);
    }
    let Some((at, rare)) = rarest(needle) else { return Some(hay.len()) };
    let last = hay.len().checked_sub(needle.len())?;
    let mut to = last + at + 1;
    // (A candidate at `at + i` starts the needle at `i`.)
    while let Some(i) = memchr::memrchr(rare, hay.get(at..to)?) {
        if hay[i..i + needle.len()] == *needle {
            return Some(i);
        }
        to = at + i;
    }
    None
}

/// Where in `needle` its rarest byte is (by [`COMMONNESS`]; the first of
/// equals), and the byte; `None` for an empty needle. One pass with a table
/// look-up a byte: memchr's own choice (`packedpair::Pair::new`) cost more
/// than the search on lines where every search found something.
#[inline]
fn rarest(needle: &[u8]) -> Option<(usize, u8)> {
    let mut best = (0, *needle.first()?);
    for (i, &b) in needle.iter().enumerate().skip(1) {
        if COMMONNESS[usize::from(b)] < COMMONNESS[usize::from(best.1)] {
            best = (i, b);
        }
    }
    Some(best)
}

/// How common a byte is in log text, roughly (higher: more common): blanks,
/// then lowercase letters (the most frequent English ones above the rest),
/// digits, punctuation that structures log lines, uppercase letters; any
/// other byte is rare.
static COMMONNESS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b' ' => 255,
            b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' => 200,
            b'h' | b'l' | b'd' | b'c' | b'u' | b'm' => 180,
            b'a'..=b'z' => 150,
            b'0'..=b'9' => 140,
            b'"' | b':' | b'=' | b'.' | b',' | b'-' | b'/' | b'_' => 120,
            b'A'..=b'Z' => 80,
            b'\t' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'\'' => 60,
            _ => 10,
        };
        b += 1;
    }
    t
};

/// A container id without its runtime prefix: what follows the last `://`
/// (`containerd://4f2…` → `4f2…`), or all of it.
pub fn without_scheme(id: &str) -> &str {
    let b = id.as_bytes();
    let mut end = b.len();
    while let Some(i) = memchr::memrchr(b':', &b[..end]) {
        if b[i + 1..].starts_with(b"//") {
            return &id[i + 3..];
        }
        end = i;
    }
    id
}

/// The eight bytes of `s` from `at` as a little-endian word, zero-padded
/// past the end of `s`.
#[inline]
pub fn word_at(s: &[u8], at: usize) -> u64 {
    let Some(r) = s.get(at..) else { return 0 };
    if let Some(w) = r.first_chunk::<8>() {
        return u64::from_le_bytes(*w);
    }
    if let Some(last) = s.last_chunk::<8>() {
        // The last eight bytes of `s`, shifted down to the `r.len()` wanted.
        return u64::from_le_bytes(*last).checked_shr(8 * (8 - r.len() as u32)).unwrap_or(0);
    }
    r.iter().rev().fold(0, |w, &b| (w << 8) | u64::from(b))
}

/// `a == b` for short slices (keys), with overlapping word loads instead of
/// a call to `memcmp`, which cost more than the comparison for them.
#[inline]
pub fn short_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let w8 = |s: &[u8], i: usize| s.get(i..).and_then(|r| r.first_chunk::<8>()).map(|w| u64::from_le_bytes(*w));
    let w4 = |s: &[u8], i: usize| s.get(i..).and_then(|r| r.first_chunk::<4>()).map(|w| u32::from_le_bytes(*w));
    if n >= 8 {
        let mut i = 0;
        while i + 8 <= n {
            if w8(a, i) != w8(b, i) {
                return false;
            }
            i += 8;
        }
        i == n || w8(a, n - 8) == w8(b, n - 8)
    } else if n >= 4 {
        w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4)
    } else {
        a == b
    }
}

/// How many spaces `s` starts with, eight bytes at a time (indentation
/// and aligned columns run long).
#[inline]
pub fn spaces(s: &[u8]) -> usize {
    let mut k = 0;
    while let Some(w) = s.get(k..).and_then(|r| r.first_chunk::<8>()) {
        let other = u64::from_le_bytes(*w) ^ 0x2020_2020_2020_2020;
        if other != 0 {
            return k + (other.trailing_zeros() / 8) as usize;
        }
        k += 8;
    }
    k + s[k..].iter().take_while(|&&b| b == b' ').count()
}

/// Where the `\n` bytes of `hay` are, in order, found 64 bytes at a time.
/// For text of short lines (describe's 40 bytes on average) this costs less
/// than a memchr call per line, whose set-up dominates at that length.
pub struct Newlines<'a> {
    hay: &'a [u8],
    /// Start of the block `mask` was taken from.
    block: usize,
    /// One bit per byte of that block that is a `\n` still to report.
    mask: u64,
}

impl<'a> Newlines<'a> {
    pub fn new(hay: &'a [u8]) -> Newlines<'a> {
        Newlines { hay, block: 0, mask: newline_mask(hay) }
    }
}

impl Iterator for Newlines<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.block += 64;
            let rest = self.hay.get(self.block..)?;
            if rest.is_empty() {
                return None;
            }
            self.mask = newline_mask(rest);
        }
        let at = self.block + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// Bit `i` set when `block[i]` is `\n`, for the first 64 bytes of `block`.
#[inline]
fn newline_mask(block: &[u8]) -> u64 {
    match block.first_chunk::<64>() {
        Some(b) => newline_mask64(b),
        None => block.iter().enumerate().fold(0, |m, (i, &c)| m | (u64::from(c == b'\n') << i)),
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn newline_mask64(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    let mut m = 0u64;
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of the x86_64 baseline (every x86_64 target
        // enables it), and the unaligned load reads the 16 bytes of `chunk`.
        let bits = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)))
        };
        m |= u64::from(bits as u16) << (16 * k);
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn newline_mask64(block: &[u8; 64]) -> u64 {
    newline_mask64_swar(block)
}

/// [`newline_mask64`] a word at a time, without SIMD instructions.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn newline_mask64_swar(block: &[u8; 64]) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut m = 0u64;
    for (k, w) in block.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
        // Exact per-byte equality (no carries between bytes): the high bit
        // of each byte that is `\n`, then those 8 bits gathered into one byte.
        let t = w ^ 0x0a0a_0a0a_0a0a_0a0a;
        let high = !(((t & LOW7).wrapping_add(LOW7)) | t | LOW7);
        m |= ((high >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    m
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

/// The value of logfmt key `key` (`key=value` or `key="quoted value"`), where the
/// key starts the line or follows a blank, `(` or `,`. Escaped quotes (`\"`)
/// inside a quoted value are kept as printed.
pub fn logfmt<'a>(line: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(at) = find(&line[from..], key) {
        let start = from + at;
        let end = start + key.len();
        from = end;
        let boundary = start == 0 || matches!(line[start - 1], b' ' | b'\t' | b'(' | b',' | b'{');
        if !boundary || line.get(end) != Some(&b'=') {
            continue;
        }
        let v = &line[end + 1..];
        if let Some(q) = v.strip_prefix(b"\"") {
            let mut i = 0;
            while i < q.len() {
                match q[i] {
                    b'\\' => i += 2,
                    b'"' => return Some(&q[..i]),
                    _ => i += 1,
                }
            }
            return Some(q);
        }
        let n = v.iter().take_while(|&&b| !matches!(b, b' ' | b'\t' | b',' | b')' | b'}')).count();
        return Some(&v[..n]);
    }
    None
}

/// Unquotes `"x"` or `\"x\"`.
pub fn unquote(v: &[u8]) -> &[u8] {
    let v = trim(v);
    let v = v.strip_prefix(b"\\\"").and_then(|x| x.strip_suffix(b"\\\"")).unwrap_or(v);
    v.strip_prefix(b"\"").and_then(|x| x.strip_suffix(b"\"")).unwrap_or(v)
}

/// Splits a table row into fields separated by runs of two or more blanks
/// (single spaces stay inside a field, as in `Exited (1) 5 seconds ago`).
pub fn table_fields(row: &[u8]) -> Vec<&[u8]> {
    let row = trim(row);
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < row.len() {
        if is_blank(row[i]) {
            let run = row[i..].iter().take_while(|&&b| is_blank(b)).count();
            if run >= 2 || row[i] == b'\t' {
                out.push(&row[start..i]);
                start = i + run;
            }
            i += run;
        } else {
            i += 1;
        }
    }
    if start < row.len() {
        out.push(&row[start..]);
    }
    out
}

/// A DNS-1123 label or subdomain (`[a-z0-9]([-a-z0-9.]*[a-z0-9])?`): what a
/// Kubernetes container name looks like.
///
/// `_` is accepted too: API servers that skip validation (and docker names)
/// use it, and no describe key is lowercase.
pub fn is_dns_name(s: &[u8]) -> bool {
    let ok_end = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !s.is_empty()
        && s.len() <= 253
        && s.first().is_some_and(ok_end)
        && s.last().is_some_and(ok_end)
        && s.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'_'))
}

/// Converts the time formats the inputs print into RFC 3339 UTC.
pub mod when {
    use time::format_description::well_known::{Rfc2822, Rfc3339};
    use time::{OffsetDateTime, UtcOffset};

    fn out(t: OffsetDateTime) -> Option<super::Str> {
        // Go's zero time (`0001-01-01`) means "not set".
        if t.year() <= 1 {
            return None;
        }
        t.to_offset(UtcOffset::UTC).format(&Rfc3339).ok().map(super::Str::from)
    }

    /// RFC 3339 / RFC3339Nano with any offset.
    pub fn rfc3339(s: &str) -> Option<super::Str> {
        out(OffsetDateTime::parse(s.trim(), &Rfc3339).ok()?)
    }

    /// kubectl describe's `Mon, 02 Jan 2006 15:04:05 -0700` (RFC 1123Z).
    pub fn rfc1123(s: &str) -> Option<super::Str> {
        let s = s.trim();
        if let Some(utc) = rfc1123_utc(s.as_bytes()) {
            return Some(utc);
        }
        // `time` rejects year 0001 here; that is Go's zero time ("not set") anyway.
        OffsetDateTime::parse(s, &Rfc2822).ok().and_then(out)
    }

    /// [`rfc1123`] of bytes (`None` for text that is not UTF-8), the common
    /// case without checking the bytes as text first.
    pub fn rfc1123_bytes(s: &[u8]) -> Option<super::Str> {
        if let Some(utc) = rfc1123_utc(super::trim(s)) {
            return Some(utc);
        }
        std::str::from_utf8(s).ok().and_then(rfc1123)
    }

    /// The common case of [`rfc1123`] without the general parser: exactly
    /// `Sun, 28 Jan 2024 08:29:21 +0000`, a real date of this century or
    /// the last. `None` sends anything else the general way.
    fn rfc1123_utc(s: &[u8]) -> Option<super::Str> {
        let s: &[u8; 31] = s.try_into().ok()?;
        if &s[3..5] != b", " || s[7] != b' ' || s[11] != b' ' || s[16] != b' ' || &s[25..] != b" +0000" {
            return None;
        }
        if s[19] != b':' || s[22] != b':' {
            return None;
        }
        // Three letters as one number, to compare names whole.
        const fn w3(b: &[u8; 3]) -> u32 {
            u32::from_le_bytes([b[0], b[1], b[2], 0])
        }
        let at3 = |at: usize| u32::from_le_bytes([s[at], s[at + 1], s[at + 2], 0]);
        // (The general parser reads the weekday without checking it.)
        const DAYS: [u32; 7] = [w3(b"Mon"), w3(b"Tue"), w3(b"Wed"), w3(b"Thu"), w3(b"Fri"), w3(b"Sat"), w3(b"Sun")];
        if !DAYS.contains(&at3(0)) {
            return None;
        }
        const MONTHS: [u32; 12] = [
            w3(b"Jan"),
            w3(b"Feb"),
            w3(b"Mar"),
            w3(b"Apr"),
            w3(b"May"),
            w3(b"Jun"),
            w3(b"Jul"),
            w3(b"Aug"),
            w3(b"Sep"),
            w3(b"Oct"),
            w3(b"Nov"),
            w3(b"Dec"),
        ];
        let month = 1 + MONTHS.iter().position(|&m| m == at3(8))? as u32;
        let mm = [b'0' + (month / 10) as u8, b'0' + (month % 10) as u8];
        let d = |at: usize| s[at].is_ascii_digit();
        if !(d(5) && d(6) && d(12) && d(13) && d(14) && d(15) && d(17) && d(18) && d(20) && d(21) && d(23) && d(24)) {
            return None;
        }
        let two = |at: usize| u32::from(s[at] - b'0') * 10 + u32::from(s[at + 1] - b'0');
        let (day, year) = (two(5), two(12) * 100 + two(14));
        if !(1900..=2099).contains(&year) || two(17) > 23 || two(20) > 59 || two(23) > 59 {
            return None;
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if !(1..=days).contains(&day) {
            return None;
        }
        let out = [
            s[12], s[13], s[14], s[15], b'-', mm[0], mm[1], b'-', s[5], s[6], b'T', s[17], s[18], b':', s[20], s[21],
            b':', s[23], s[24], b'Z',
        ];
        // (ASCII: `text` borrows it without a UTF-8 check a byte at a time.)
        Some(super::text(&out))
    }

    /// Go's `time.Time.String()`: `2019-05-16 22:04:19.073921379 +0000 UTC`.
    pub fn go(s: &str) -> Option<super::Str> {
        let mut parts = s.split_whitespace();
        let (date, clock, off) = (parts.next()?, parts.next()?, parts.next()?);
        // `+0000` → `+00:00` (only for ASCII: a crafted value must not split a character).
        let off =
            if off.len() == 5 && off.is_ascii() { format!("{}:{}", &off[..3], &off[3..]) } else { off.to_string() };
        rfc3339(&format!("{date}T{clock}{off}"))
    }

    /// Unix seconds and nanoseconds.
    pub fn unix(secs: i64, nanos: i64) -> Option<super::Str> {
        let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(secs) * 1_000_000_000 + i128::from(nanos)).ok()?;
        out(t)
    }

    /// Whatever of the above fits.
    pub fn any(s: &str) -> Option<super::Str> {
        rfc3339(s).or_else(|| rfc1123(s)).or_else(|| go(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The hand-written `whole_int` reads what the nom parser reads.
        #[test]
        fn whole_ints_like_nom(s in "[ \t\r]{0,2}-{0,2}[0-9]{0,21}[ \t\r]{0,2}[0-9a+-]{0,1}") {
            let nom = match int(trim(s.as_bytes())) {
                Ok((b"", v)) => Some(v),
                _ => None,
            };
            proptest::prop_assert_eq!(whole_int(s.as_bytes()), nom);
        }

        /// `short_eq` is `==`, for slices that differ anywhere or not at all.
        #[test]
        fn short_eq_is_eq(a in proptest::collection::vec(0u8..4, 0..40), flip in proptest::option::of(0usize..40), extra in 0usize..2) {
            let mut b = a.clone();
            if let Some(i) = flip.filter(|&i| i < b.len()) {
                b[i] ^= 1;
            }
            b.extend(std::iter::repeat_n(0, extra));
            proptest::prop_assert_eq!(short_eq(&a, &b), a == b);
            proptest::prop_assert!(short_eq(&a, &a));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 4000, failure_persistence: None, ..Default::default() })]
        /// The short way of `find` and `rfind` answers like memchr's `memmem`,
        /// needles cut from the haystack or made up, below and above
        /// `SHORT_HAY`.
        #[test]
        fn finds_like_memmem(
            hay in proptest::collection::vec(proptest::sample::select(b"ab :e".to_vec()), 0..700),
            made in proptest::collection::vec(proptest::sample::select(b"ab :e".to_vec()), 0..7),
            cut in proptest::option::of((0usize..700, 0usize..9)),
        ) {
            let needle = match cut {
                Some((at, n)) if at < hay.len() => hay[at..(at + n).min(hay.len())].to_vec(),
                _ => made,
            };
            proptest::prop_assert_eq!(find(&hay, &needle), memchr::memmem::find(&hay, &needle));
            proptest::prop_assert_eq!(rfind(&hay, &needle), memchr::memmem::rfind(&hay, &needle));
            proptest::prop_assert_eq!(contains(&hay, &needle), memchr::memmem::find(&hay, &needle).is_some());
        }
    }

    #[test]
    fn words_at_every_offset() {
        let bytes: Vec<u8> = (1..=40).collect();
        for len in 0..bytes.len() {
            let s = &bytes[..len];
            for at in 0..len + 3 {
                let mut want = [0u8; 8];
                for (i, w) in want.iter_mut().enumerate() {
                    *w = s.get(at + i).copied().unwrap_or(0);
                }
                assert_eq!(word_at(s, at), u64::from_le_bytes(want), "len {len} at {at}");
            }
        }
    }

    #[test]
    fn container_ids_without_scheme() {
        for (id, want) in [
            ("containerd://4f2a", "4f2a"),
            ("docker://a://b", "b"),
            ("4f2a", "4f2a"),
            ("cri-o:/x", "cri-o:/x"),
            ("x://", ""),
            ("://", ""),
            (":", ":"),
            ("", ""),
        ] {
            assert_eq!(without_scheme(id), want);
            assert_eq!(without_scheme(id), id.rsplit("://").next().unwrap_or(id));
        }
    }

    #[test]
    fn ints() {
        assert_eq!(whole_int(b" 137 "), Some(137));
        assert_eq!(whole_int(b"-1"), Some(-1));
        assert_eq!(whole_int(b"3221225477"), Some(3221225477));
        assert_eq!(whole_int(b"99999999999999999999999"), None);
        assert_eq!(whole_int(b"12a"), None);
        assert_eq!(whole_int(b""), None);
        assert_eq!(whole_int(b"-"), None);
        assert_eq!(lead_int(b"0(success)."), Some(0));
    }

    #[test]
    fn logfmt_values() {
        let l = br#"time="x" msg="container terminated" namespace=prod pod=a-1 exitCode=137 reason=OOMKilled"#;
        assert_eq!(logfmt(l, b"exitCode"), Some(&b"137"[..]));
        assert_eq!(logfmt(l, b"msg"), Some(&b"container terminated"[..]));
        assert_eq!(logfmt(l, b"pod"), Some(&b"a-1"[..]));
        assert_eq!(logfmt(l, b"code"), None);
        assert_eq!(logfmt(b"(exitCode=137, image=x, name=oom)", b"name"), Some(&b"oom"[..]));
        assert_eq!(logfmt(b"(exitCode=137, image=x, name=oom)", b"exitCode"), Some(&b"137"[..]));
        assert_eq!(logfmt(br#"a="q \"x\" y" b=1"#, b"a"), Some(&br#"q \"x\" y"#[..]));
    }

    #[test]
    fn fields() {
        let row = b"7dc50529899f        busybox:latest      \"sh\"                18 seconds ago      Exited (-127) 3 seconds ago                       loving_jang         ";
        let f = table_fields(row);
        assert_eq!(f.last(), Some(&&b"loving_jang"[..]));
        assert!(f.contains(&&b"Exited (-127) 3 seconds ago"[..]));
    }

    #[test]
    fn spaces_counted() {
        for n in 0..40 {
            for tail in ["", "x", "x y", "\t", "xxxxxxxxxxxx"] {
                let line = format!("{}{tail}", " ".repeat(n));
                assert_eq!(spaces(line.as_bytes()), n, "{line:?}");
            }
        }
    }

    #[test]
    fn newlines_like_memchr() {
        let mut text = Vec::new();
        for i in 0..300u32 {
            text.extend(std::iter::repeat_n(b'x', (i * 7 % 23) as usize));
            text.push(if i % 5 == 0 { 0x8a } else { b'\n' });
        }
        for len in 0..text.len() {
            let hay = &text[..len];
            let want: Vec<usize> = memchr::memchr_iter(b'\n', hay).collect();
            assert_eq!(Newlines::new(hay).collect::<Vec<_>>(), want, "len {len}");
        }
        for block in text.chunks_exact(64) {
            let block: &[u8; 64] = block.try_into().expect("64 bytes");
            assert_eq!(newline_mask64_swar(block), newline_mask64(block));
        }
    }

    #[test]
    fn names() {
        for ok in ["main", "front-end", "a", "init-db.v2", "c0"] {
            assert!(is_dns_name(ok.as_bytes()), "{ok}");
        }
        assert!(is_dns_name(b"stop_ignored_term"));
        for bad in ["Main", "-a", "a-", "", "a b", "EXIT_CODE", "_a"] {
            assert!(!is_dns_name(bad.as_bytes()), "{bad}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { failure_persistence: None, ..Default::default() })]

        /// `trim_start` skips what the byte-at-a-time definition skips.
        #[test]
        fn trim_start_like_bytes(s in "[ \t\rx]{0,40}") {
            let b = s.as_bytes();
            let n = b.iter().take_while(|&&c| is_blank(c) || c == b'\r').count();
            proptest::prop_assert_eq!(trim_start(b), &b[n..]);
        }

        /// The short way through `rfc1123` agrees with the general parser,
        /// wrong weekdays and impossible dates included.
        #[test]
        fn rfc1123_short_way(days in -60_000i64..60_000, secs in 0u32..86_400, wd in 0usize..8, day_shift in 0u32..4) {
            let t = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(days) + time::Duration::seconds(i64::from(secs));
            const DAYS: [&str; 8] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Xyz"];
            let weekday = if wd == 7 { t.weekday().number_days_from_monday() as usize } else { wd };
            let s = format!(
                "{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000",
                DAYS[weekday], u32::from(t.day()) + day_shift * 10, &format!("{:?}", t.month())[..3], t.year(), t.hour(), t.minute(), t.second()
            );
            let general = time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc2822).ok().and_then(|t| {
                (t.year() > 1).then(|| t.format(&time::format_description::well_known::Rfc3339).ok()).flatten()
            });
            proptest::prop_assert_eq!(when::rfc1123(&s).map(String::from), general, "{}", s);
        }
    }

    #[test]
    fn times() {
        assert_eq!(when::rfc1123("Tue, 12 Aug 2025 06:42:07 +0200").as_deref(), Some("2025-08-12T04:42:07Z"));
        assert_eq!(when::rfc1123("Mon, 01 Jan 0001 00:00:00 +0000"), None);
        assert_eq!(when::rfc3339("2024-01-28T09:05:11.123456789Z").as_deref(), Some("2024-01-28T09:05:11.123456789Z"));
        assert_eq!(
            when::go("2019-05-16 22:04:19.073921379 +0000 UTC").as_deref(),
            Some("2019-05-16T22:04:19.073921379Z")
        );
        assert_eq!(when::unix(1699250901, 264293162).as_deref(), Some("2023-11-06T06:08:21.264293162Z"));
        assert_eq!(when::any("garbage"), None);
    }
}
