//! Profiling aid: times the extension's own glob expansion (what every scan does at bind).
//!
//!     cargo run --release --example expand_glob -- [--reps N] PATTERN...
//!
//! Prints the number of files each pass finds and its time, then the fastest and the median
//! pass. The first pass also warms the kernel's directory caches.
use std::time::Instant;

use claude_usage::paths;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut reps = 5;
    if let Some(i) = args.iter().position(|a| a == "--reps") {
        reps = args[i + 1].parse().expect("repetitions");
        args.drain(i..i + 2);
    }
    assert!(!args.is_empty(), "usage: expand_glob [--reps N] PATTERN...");
    let mut times = Vec::new();
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        let mut files = 0;
        for pattern in &args {
            files += paths::expand(&paths::expand_home(pattern)).expect("a valid pattern").len();
        }
        let ms = t.elapsed().as_secs_f64() * 1e3;
        println!("{files} files, {ms:.2} ms");
        times.push(ms);
    }
    times.sort_by(f64::total_cmp);
    println!("fastest {:.2} ms, median {:.2} ms of {}", times[0], times[times.len() / 2], times.len());
}
