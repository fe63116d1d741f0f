//! A process's memory from `/proc`: RSS, PSS and USS from
//! `/proc/PID/smaps_rollup`, its virtual size from `/proc/PID/status`, and
//! the family's PSS growth.

use super::Mem;
use anyhow::{Context, Result};

/// Sums the smaps_rollup fields we report.
pub fn parse_rollup(text: &str) -> Option<Mem> {
    let mut m = Mem::default();
    let mut seen = 0;
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let (Some(key), Some(val)) = (it.next(), it.next()) else {
            continue;
        };
        let Ok(v) = val.parse::<u64>() else { continue };
        match key {
            "Rss:" => {
                m.rss_kib = v;
                seen |= 1;
            }
            "Pss:" => {
                m.pss_kib = v;
                seen |= 2;
            }
            "Private_Clean:" | "Private_Dirty:" => {
                m.uss_kib += v;
                seen |= 4;
            }
            _ => {}
        }
    }
    (seen == 7).then_some(m)
}

/// Adds up several processes' figures.
pub fn sum(mems: &[Mem]) -> Mem {
    mems.iter().fold(Mem::default(), |a, m| Mem {
        rss_kib: a.rss_kib + m.rss_kib,
        pss_kib: a.pss_kib + m.pss_kib,
        uss_kib: a.uss_kib + m.uss_kib,
    })
}

/// The family's PSS growth: the parent's change plus every child's PSS.
pub fn family_pss_growth(parent_before: &Mem, parent_after: &Mem, children: &[Mem]) -> i64 {
    parent_after.pss_kib as i64 - parent_before.pss_kib as i64 + sum(children).pss_kib as i64
}

pub(super) fn rollup(pid: &str) -> Result<Mem> {
    let path = format!("/proc/{pid}/smaps_rollup");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_rollup(&text).with_context(|| format!("{path} lacks Rss, Pss or Private_* lines"))
}

pub(super) fn vsz_kib(pid: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmSize:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::super::idle::per;
    use super::*;

    const SAMPLE: &str = "\
55d0c0a0b000-7ffd1c3f2000 ---p 00000000 00:00 0                          [rollup]
Rss:                2048 kB
Pss:                 812 kB
Pss_Dirty:           300 kB
Pss_Anon:            280 kB
Shared_Clean:       1500 kB
Shared_Dirty:         48 kB
Private_Clean:       100 kB
Private_Dirty:       400 kB
Referenced:         2048 kB
Anonymous:           448 kB
Swap:                  0 kB
";

    #[test]
    fn rollup_gives_rss_pss_and_uss() {
        let m = parse_rollup(SAMPLE).unwrap();
        assert_eq!(
            m,
            Mem {
                rss_kib: 2048,
                pss_kib: 812,
                uss_kib: 500
            }
        );
    }

    #[test]
    fn pss_sums_over_children() {
        let m = parse_rollup(SAMPLE).unwrap();
        let t = sum(&[m, m, m]);
        assert_eq!(t.pss_kib, 3 * 812);
        assert_eq!(t.uss_kib, 1500);
        assert_eq!(per(Some(t.pss_kib as i64), 3), Some(812.0));
    }

    #[test]
    fn the_family_counts_what_the_parent_lost_to_sharing() {
        // A parent of 1000 KiB PSS forks two children; it now shares 600 KiB
        // with them (its PSS falls by 400 KiB), and each child holds 200 KiB
        // of PSS plus 30 KiB of its own: the family grew by 60 KiB, not 460.
        let before = Mem {
            rss_kib: 1000,
            pss_kib: 1000,
            uss_kib: 1000,
        };
        let after = Mem {
            rss_kib: 1000,
            pss_kib: 600,
            uss_kib: 400,
        };
        let child = Mem {
            rss_kib: 630,
            pss_kib: 230,
            uss_kib: 30,
        };
        assert_eq!(family_pss_growth(&before, &after, &[child, child]), 60);
    }

    #[test]
    fn a_rollup_without_pss_is_refused() {
        assert_eq!(parse_rollup("Rss: 10 kB\n"), None);
    }
}
