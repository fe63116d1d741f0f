//! The cost of checking balls: CRC-32C per byte, measured at start, so a
//! reader can see what verification adds to a round trip (and choose
//! `--verify sample` or `seq` for large balls).

use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChecksumInfo {
    pub algorithm: String,
    /// Whether the CPU's CRC-32C instruction is used.
    pub hardware: bool,
    /// Cost per byte on a 64 KiB buffer in cache, ns.
    pub ns_per_byte: f64,
    /// Cost of checking a 64-byte ball, ns.
    pub ns_per_small_ball: f64,
}

fn hardware() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("sse4.2")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("crc")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

fn time_per_call(buf: &[u8], calls: u32) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let mut acc = 0u32;
        for _ in 0..calls {
            acc ^= crc32c::crc32c(std::hint::black_box(buf));
        }
        std::hint::black_box(acc);
        best = best.min(start.elapsed().as_nanos() as f64 / calls as f64);
    }
    best
}

pub fn measure() -> ChecksumInfo {
    let big = vec![0xA5u8; 64 * 1024];
    let small = [0x5Au8; 64];
    ChecksumInfo {
        algorithm: "crc32c".into(),
        hardware: hardware(),
        ns_per_byte: time_per_call(&big, 20) / big.len() as f64,
        ns_per_small_ball: time_per_call(&small, 20_000),
    }
}
