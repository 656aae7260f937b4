//! How the `scan` fuzz target turns its first five input bytes into scanner
//! settings. Shared by fuzz/fuzz_targets/scan.rs and tests/regressions.rs
//! (`#[path]`), so a saved fuzz input replays under the settings it was found with.

use exitscan::scan::{InputFormat, ScanConfig};

const MAX_LINES: [usize; 10] = [1, 2, 3, 7, 16, 64, 256, 1024, 4096, 16 << 20];
const LOOKBACKS: [usize; 6] = [0, 1, 16, 256, 4096, 64 << 10];

/// The settings, the chunk size for `Scanner::feed`, and the data after the
/// five setting bytes; `None` for inputs shorter than five bytes.
pub fn decode(input: &[u8]) -> Option<(ScanConfig, usize, &[u8])> {
    if input.len() < 5 {
        return None;
    }
    let (p, data) = input.split_at(5);
    let read_size =
        if p[0] < 192 { 1 + usize::from(p[0] % 64) } else { [128, 4096, 65_536, 1 << 20][usize::from(p[0] % 4)] };
    let max_line = MAX_LINES[usize::from(p[1]) % MAX_LINES.len()];
    let lookback = LOOKBACKS[usize::from(p[2]) % LOOKBACKS.len()];
    let format = if p[3] < 200 {
        None
    } else {
        let names = InputFormat::names();
        InputFormat::parse(names[usize::from(p[3]) % names.len()])
    };
    let chunk = 1 + usize::from(p[4] % 97);
    Some((ScanConfig { format, max_line, lookback, read_size }, chunk, data))
}
