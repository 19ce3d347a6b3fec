//! Profiling aid: runs the transcript core over files without DuckDB.
//!
//!     cargo run --release --example scan_files -- [--threads N] [--summary | --parts BITS | --fields BITS] [--reps N] FILE...
//!
//! `--fields BITS`: the events with only these fields (a bit mask of [`Fields`], as a number;
//! 0 is the row count alone), as a projection asks for them. The default is every field.
//! `--summary`: the whole summary instead; `--parts BITS`: the summary with only these parts
//! (a bit mask of [`Parts`]).
//! `--reps N` makes N passes and prints each, then the fastest and the median: on a noisy VM,
//! compare two builds by alternating short runs of each and their fastest passes.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use claude_usage::transcript::summary::Parts;
use claude_usage::transcript::{lines, Fields, Needs, SessionScanner};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut threads = 1;
    let mut needs = Needs::events(Fields::ALL);
    if let Some(i) = args.iter().position(|a| a == "--threads") {
        threads = args[i + 1].parse().expect("thread count");
        args.drain(i..i + 2);
    }
    if let Some(i) = args.iter().position(|a| a == "--summary") {
        needs = Needs::SUMMARY;
        args.remove(i);
    }
    if let Some(i) = args.iter().position(|a| a == "--parts") {
        needs = Needs::summary(Parts::from_bits(args[i + 1].parse().expect("a part mask")));
        args.drain(i..i + 2);
    }
    if let Some(i) = args.iter().position(|a| a == "--fields") {
        needs = Needs::events(Fields::from_bits(args[i + 1].parse().expect("a field mask")));
        args.drain(i..i + 2);
    }
    let mut reps = 1;
    if let Some(i) = args.iter().position(|a| a == "--reps") {
        reps = args[i + 1].parse().expect("repetitions");
        args.drain(i..i + 2);
    }
    let mut times: Vec<f64> = (0..reps).map(|_| pass(&args, threads, needs)).collect();
    if reps > 1 {
        times.sort_by(f64::total_cmp);
        println!("fastest {:.3}s, median {:.3}s of {reps}", times[0], times[reps / 2]);
    }
}

/// One pass over `files`; prints and returns its seconds.
fn pass(args: &[String], threads: usize, needs: Needs) -> f64 {
    let next = AtomicUsize::new(0);
    let bytes: u64 = args.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
    let start = Instant::now();
    let events: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0;
                    let mut reader = lines::LineReader::new();
                    while let Some(f) = args.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let file = std::fs::File::open(f).expect("open");
                        let mut sc = SessionScanner::new("x", needs);
                        reader.for_each_line(file, |no, l| sc.push_line(no, l)).expect("read");
                        let out = sc.finish();
                        n += out.events.len() + usize::from(out.summary.is_some());
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    let secs = start.elapsed().as_secs_f64();
    println!("{events} rows, {:.3}s, {:.0} MB/s", secs, bytes as f64 / secs / 1e6);
    secs
}
