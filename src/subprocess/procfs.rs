//! What `/proc` says of a process: its parent, its state, its start time,
//! and the processes below it. The guard uses it to find every descendant,
//! the temporary directories to tell a live owner from a recycled pid.

use nix::unistd::Pid;
use std::collections::HashMap;

/// The fields of `/proc/<pid>/stat` pingpong reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// R, S, D, Z…
    pub state: char,
    pub ppid: i32,
    /// Field 22: when the process started, in clock ticks after boot. With
    /// the pid, it names one process: a recycled pid has another start time.
    pub start_time: u64,
}

/// `/proc/<pid>/stat`, or None if there is no such process (or no /proc).
pub fn stat(pid: i32) -> Option<Stat> {
    parse(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Parses a stat line: "pid (comm) state ppid …"; comm may hold spaces and
/// parentheses, so the fields are counted from the last ')'.
fn parse(line: &str) -> Option<Stat> {
    let rest = &line[line.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3 (state), so field n is f[n - 3].
    Some(Stat {
        state: f.first()?.chars().next()?,
        ppid: f.get(1)?.parse().ok()?,
        start_time: f.get(19)?.parse().ok()?,
    })
}

/// Every process now, with its parent.
fn parents() -> HashMap<i32, i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, stat(pid)?.ppid)))
        .collect()
}

/// Every process below `root` now: its children, theirs, and so on.
pub fn descendants(root: Pid) -> Vec<Pid> {
    let parents = parents();
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for (&pid, &ppid) in &parents {
        children.entry(ppid).or_default().push(pid);
    }
    let mut found = Vec::new();
    let mut next = vec![root.as_raw()];
    while let Some(p) = next.pop() {
        for &c in children.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
            found.push(Pid::from_raw(c));
            next.push(c);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_name_with_spaces_and_parentheses_does_not_shift_the_fields() {
        let line =
            "4242 (a (b) c) S 17 4242 4242 0 -1 4194304 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        let s = parse(line).unwrap();
        assert_eq!(s.state, 'S');
        assert_eq!(s.ppid, 17);
        assert_eq!(s.start_time, 987654);
    }

    #[test]
    fn this_process_is_seen_with_its_parent_and_below_it() {
        let me = stat(std::process::id() as i32).unwrap();
        assert_eq!(me.ppid, nix::unistd::getppid().as_raw());
        let parent = Pid::from_raw(me.ppid);
        assert!(descendants(parent).contains(&nix::unistd::getpid()));
    }
}
