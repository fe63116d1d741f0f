//! Parsing and printing what users type: sizes, times, lists and counts.
//!
//! A leaf module: the command line, the plans and the renderers all read
//! and print these, so they live below all of them.

use crate::error::usage;
use anyhow::Result;

/// Splits a comma-separated list, trimming blanks.
pub fn split_list(s: &str) -> Vec<&str> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect()
}

/// Parses a size: `64`, `4KiB`, `4k`, `1MiB`, `1M` (binary units).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let cfg = parse_size::Config::new().with_binary();
    cfg.parse_size(s)
        .map(|v| v as usize)
        .map_err(|_| format!("invalid size '{s}': use bytes or a unit, e.g. 64, 4KiB, 1MiB"))
}

/// Parses a duration: `500ms`, `2s`, `1m`.
pub fn parse_time(s: &str, flag: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s)
        .map_err(|_| format!("invalid {flag} '{s}': use a time such as 500ms, 2s or 1m"))
}

/// Parses a comma-separated list of counts, each at least `min`.
pub fn parse_counts(s: &str, flag: &str, min: usize) -> Result<Vec<usize>> {
    let mut v = Vec::new();
    for x in split_list(s) {
        let n: usize = x.parse().map_err(|_| {
            usage(format!(
                "invalid {flag} '{x}': use whole numbers, e.g. 1,2,4"
            ))
        })?;
        if n < min {
            return Err(usage(format!("invalid {flag} '{x}': at least {min}")));
        }
        v.push(n);
    }
    if v.is_empty() {
        return Err(usage(format!("{flag} is empty: give at least one number")));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_binary_units() {
        assert_eq!(parse_size("8"), Ok(8));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn lists_ignore_blanks() {
        assert_eq!(split_list("pipe, unix,,tcp"), vec!["pipe", "unix", "tcp"]);
    }

    #[test]
    fn counts_parse_and_refuse_nonsense() {
        assert_eq!(
            parse_counts("1, 10,100", "--units", 1).unwrap(),
            vec![1, 10, 100]
        );
        assert!(parse_counts("0", "--units", 1).is_err());
        assert!(parse_counts("x", "--units", 1).is_err());
        assert!(parse_counts("", "--units", 1).is_err());
    }
}
