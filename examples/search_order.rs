//! Times the prefilter's buffer search (the packed Teddy searcher over
//! [`SEARCH_PARTS`] in [`SEARCH_ORDER`]) alone, and optionally looks for a
//! faster order:
//!
//!     cargo run --release --example search_order -- [TRIES] FILE...
//!
//! Reads up to 128 MiB of each FILE (genlogs' cri, dockerjson, kubelet,
//! describe and mixed streams: `scripts/throughput.sh` leaves them in
//! `target/throughput`), then prints the best of 5 searches of all of them
//! with today's order and the number of candidate lines it finds. With TRIES
//! (a number as the first argument), it also tries that many random orders
//! and, from the best so far, swaps of two parts, and prints the best order
//! found: a candidate for [`SEARCH_ORDER`]. Every order finds the same lines.

use std::error::Error;
use std::time::Instant;

use aho_corasick::packed;
use exitscan::parse::{SEARCH_ORDER, SEARCH_PARTS};

const SAMPLE: usize = 128 << 20;

fn searcher(order: &[usize]) -> Result<packed::Searcher, Box<dyn Error>> {
    let mut parts: Vec<&str> = Vec::new();
    for &i in order {
        if !parts.contains(&SEARCH_PARTS[i]) {
            parts.push(SEARCH_PARTS[i]);
        }
    }
    packed::Config::new()
        .match_kind(packed::MatchKind::LeftmostFirst)
        .builder()
        .extend(parts)
        .build()
        .ok_or_else(|| "no packed searcher for these parts on this CPU".into())
}

/// Candidate lines found in `hay`, searching as the scanner does: from a hit
/// on to the end of its line.
fn candidates(s: &packed::Searcher, hay: &[u8]) -> usize {
    let mut n = 0;
    let mut at = 0;
    while let Some(m) = s.find(&hay[at..]) {
        n += 1;
        let p = at + m.start();
        at = match memchr::memchr(b'\n', &hay[p..]) {
            Some(nl) => p + nl + 1,
            None => break,
        };
    }
    n
}

/// Best of `rounds` searches of every sample: seconds and candidate lines.
fn time(order: &[usize], samples: &[Vec<u8>], rounds: usize) -> Result<(f64, usize), Box<dyn Error>> {
    let s = searcher(order)?;
    let mut best = f64::MAX;
    let mut lines = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        lines = samples.iter().map(|h| candidates(&s, h)).sum();
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok((best, lines))
}

/// A small xorshift generator: the tries need no more.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let tries = match args.first().map(|a| a.parse::<usize>()) {
        Some(Ok(n)) => {
            args.remove(0);
            n
        }
        _ => 0,
    };
    if args.is_empty() {
        return Err("usage: search_order [TRIES] FILE...".into());
    }
    let mut samples = Vec::new();
    for path in &args {
        let mut data = std::fs::read(path)?;
        data.truncate(SAMPLE);
        samples.push(data);
    }
    let (base, lines) = time(&SEARCH_ORDER, &samples, 5)?;
    println!("today's order: {:.1} ms, {lines} candidate lines", base * 1e3);
    if tries == 0 {
        return Ok(());
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut best = (base, SEARCH_ORDER.to_vec());
    for t in 0..tries {
        let mut order = best.1.clone();
        if t < tries / 2 {
            // Fisher-Yates: a random order.
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i + 1));
            }
        } else {
            let (a, b) = (rng.below(order.len()), rng.below(order.len()));
            order.swap(a, b);
        }
        let (quick, found) = time(&order, &samples, 1)?;
        if found != lines {
            return Err(format!("order {order:?} found {found} lines, not {lines}").into());
        }
        if quick < best.0 {
            let (secs, _) = time(&order, &samples, 3)?;
            if secs < best.0 {
                println!("try {t}: {:.1} ms", secs * 1e3);
                best = (secs, order);
            }
        }
    }
    println!("best: {:.1} ms (today's {:.1} ms)\n{:?}", best.0 * 1e3, base * 1e3, best.1);
    Ok(())
}
