//! Single-threaded memcpy bandwidth, the yardstick for `shm-ring`: copies a
//! buffer of SIZE bytes (default 1 MiB) into another, repeatedly for about a
//! second, and prints bytes per second. `cargo run --release --example memcpy [SIZE]`.

use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    let size: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1 << 20);
    let src = vec![0x5Au8; size];
    let mut dst = vec![0u8; size];
    // Warm up: fault the pages in.
    dst.copy_from_slice(&src);
    let start = Instant::now();
    let mut copies = 0u64;
    while start.elapsed() < Duration::from_secs(1) {
        for _ in 0..16 {
            dst.copy_from_slice(black_box(&src));
            black_box(&mut dst);
        }
        copies += 16;
    }
    let secs = start.elapsed().as_secs_f64();
    let bps = copies as f64 * size as f64 / secs;
    println!(
        "memcpy {size} bytes: {:.1} MiB/s",
        bps / (1u64 << 20) as f64
    );
}
