//! What each stage of a one-shot scan costs on one thread, in process, for
//! profiling (`valgrind --tool=callgrind` counts the same instructions on
//! every run, whatever else the machine is doing):
//!
//!     cargo run --release --example profile_stages -- FILE [lines|pods|scan|all] [ROUNDS]
//!
//! `lines` only walks the lines and their indentation (the floor of any
//! reader that visits every line), `pods` reads the describe pods whole
//! the way the reader thread does ahead, `scan` runs the scanner, `all` the scanner
//! and then the pipeline (causes, dedupe, JSON to a sink that drops it).
//! Prints the best time of ROUNDS (default 1) for each stage.

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use exitscan::dedupe::Dedupe;
use exitscan::kb::{KnowledgeBase, Lang};
use exitscan::parse::describe::Describe;
use exitscan::parse::{util, Item};
use exitscan::pipeline::Pipeline;
use exitscan::scan::{scan_bytes, ScanConfig};
use exitscan::sink::{OutputKind, RecordWriter};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: profile_stages FILE [lines|pods|scan|all] [ROUNDS]")?;
    let mode = args.next().unwrap_or_else(|| "all".into());
    let rounds: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(1);
    let data = std::fs::read(&path)?;
    let kb = if mode == "all" { Some(Arc::new(KnowledgeBase::builtin()?)) } else { None };
    let (mut first, mut second) = (f64::MAX, f64::MAX);
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        if mode == "lines" {
            let mut by_indent = [0usize; 4];
            let mut start = 0;
            for nl in util::Newlines::new(&data) {
                let line = &data[start..nl];
                start = nl + 1;
                by_indent[util::spaces(line).min(6) / 2] += 1;
            }
            first = first.min(t.elapsed().as_secs_f64());
            println!("lines by indentation 0, 2, 4, 6+: {by_indent:?}");
            continue;
        }
        if mode == "pods" {
            // Only the describe pods, read whole the way the reader thread
            // reads them ahead (`Describe::read_whole` from each `Name:` line).
            let name = memchr::memmem::Finder::new(b"\nName:");
            let (mut pods, mut records, mut ls) = (0usize, 0usize, 0usize);
            while let Some(le) = memchr::memchr(b'\n', &data[ls..]).map(|e| ls + e) {
                match Describe::read_whole(&data[ls..le], 0, &data[le + 1..]) {
                    Some((mut pod, (at, _, _))) => {
                        pods += 1;
                        records += pod.finish().len();
                        ls = le + 1 + at;
                    }
                    None => match name.find(&data[le..]) {
                        Some(p) => ls = le + p + 1,
                        None => break,
                    },
                }
            }
            first = first.min(t.elapsed().as_secs_f64());
            println!("pods read whole: {pods}, records {records}");
            continue;
        }
        let found = scan_bytes(&path, &data, ScanConfig::default());
        first = first.min(t.elapsed().as_secs_f64());
        if mode == "scan" {
            continue;
        }
        let Some(kb) = &kb else { continue };
        let writer = RecordWriter::new(OutputKind::Json, std::io::sink());
        let mut pipe = Pipeline::new(kb.clone(), Lang::En, Dedupe::new(100_000), writer, None);
        let t = Instant::now();
        for item in found.items {
            if let Item::Record(mut r) = item {
                pipe.record_in_place(&mut r);
            }
        }
        pipe.finish()?;
        second = second.min(t.elapsed().as_secs_f64());
    }
    println!("{mode}: {:.1} ms", first * 1e3);
    if second < f64::MAX {
        println!("pipeline: {:.1} ms", second * 1e3);
    }
    Ok(())
}
