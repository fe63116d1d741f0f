//! The crate's shape: its top-level modules (the first path component under
//! `src/`) may depend on each other only one way. A circle (cli → faults →
//! python → cli, say) means no module of it can be understood, tested or
//! moved without the others; this test names the circle and the files that
//! make it.
//!
//! Read from the source, not the compiler: every `crate::NAME` path in a
//! file's non-test code (the file cut at its first `#[cfg(test)]`, `//`
//! comments removed) is an edge from the file's top-level module to NAME,
//! as is `super::NAME` where it climbs to the crate root. Hand-written
//! rather than with a crate (syn and a graph library would do it) to keep
//! the dev-dependencies small; the same logic as `cycles.py` in the notes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges between top-level modules, each with the files that make it.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file under `src/`: `experiment/scale/mod.rs` is
/// `["experiment", "scale"]`, `lib.rs` is `["lib"]`.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod.rs") {
        parts.pop();
    } else if let Some(last) = parts.last_mut() {
        *last = last.trim_end_matches(".rs").to_string();
    }
    parts
}

/// The code that ships: `//` comments removed, then everything from the
/// first `#[cfg(test)]` on cut away.
fn non_test_code(source: &str) -> String {
    let code: String = source
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    match code.find("#[cfg(test)]") {
        Some(i) => code[..i].to_string(),
        None => code,
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

/// The leading identifier of `s` (lowercase: a module, not a type).
fn ident(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let end = s.find(|c| !is_ident(c)).unwrap_or(s.len());
    (end > 0 && !s.starts_with(|c: char| c.is_ascii_digit())).then(|| &s[..end])
}

/// The top-level modules named right after each occurrence of `prefix`:
/// `crate::a::b` gives `a`, `crate::{a::x, b}` gives `a` and `b`.
fn named_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        item_start = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if item_start && depth == 1 && !c.is_whitespace() {
                    item_start = false;
                    out.extend(ident(&group[k..]).map(String::from));
                }
            }
        } else {
            out.extend(ident(rest).map(String::from));
        }
    }
    out
}

/// Every edge from one top-level module to another in `src/`.
fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    assert!(!files.is_empty(), "no Rust files under {}", src.display());
    let mut g = Graph::new();
    for f in files {
        let relative = f.strip_prefix(src).expect("a file under src");
        let module = module_of(relative);
        let top = module[0].clone();
        let source =
            std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("reading {}: {e}", f.display()));
        let code = non_test_code(&source);
        let mut names = named_after(&code, "crate::");
        // `super::` as many times as the file is deep reaches the root.
        names.extend(named_after(&code, &"super::".repeat(module.len())));
        for name in names {
            if name != top && name != "self" && name != "super" {
                g.entry(top.clone())
                    .or_default()
                    .entry(name)
                    .or_default()
                    .insert(relative.display().to_string());
            }
        }
    }
    g
}

/// The circles of `g`: its strongly connected components of two or more
/// modules (Tarjan's algorithm), each sorted.
fn circles(g: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.g.get(v).into_iter().flat_map(|e| e.keys()) {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.found
}

/// One circle through `component`'s first module, as `a → b → … → a`
/// (breadth first, so the shortest; the modules caught in other circles of
/// the component named after it), with the files behind each step.
fn describe(g: &Graph, component: &[String]) -> String {
    let start = &component[0];
    let inside: BTreeSet<&String> = component.iter().collect();
    let mut came_from: BTreeMap<&String, &String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut path = Vec::new();
    'search: while let Some(v) = queue.pop_front() {
        for w in g.get(v).into_iter().flat_map(|e| e.keys()) {
            if !inside.contains(w) {
                continue;
            }
            if w == start {
                let mut at = v;
                path.push(at);
                while at != start {
                    at = came_from[at];
                    path.push(at);
                }
                path.reverse();
                path.push(start);
                break 'search;
            }
            if !came_from.contains_key(w) {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    let mut out = path
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" → ");
    if component.len() + 1 > path.len() {
        out.push_str(&format!(
            " (one circle of several among {})",
            component.join(", ")
        ));
    }
    for step in path.windows(2) {
        let files = &g[step[0]][step[1]];
        out.push_str(&format!(
            "\n  {} → {}: {}",
            step[0],
            step[1],
            files.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    out
}

#[test]
fn the_top_level_modules_import_each_other_without_a_circle() {
    let g = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let found = circles(&g);
    let shown: Vec<String> = found.iter().map(|c| describe(&g, c)).collect();
    assert!(
        found.is_empty(),
        "the top-level modules import each other in a circle:\n{}",
        shown.join("\n")
    );
}

#[test]
fn a_circle_is_found_and_named_with_its_files() {
    let mut g = Graph::new();
    for (from, to, file) in [
        ("cli", "faults", "cli.rs"),
        ("faults", "python", "faults/mod.rs"),
        ("python", "cli", "python/mod.rs"),
        ("python", "stats", "python/mod.rs"),
        ("report", "cli", "report/mod.rs"),
    ] {
        g.entry(from.into())
            .or_default()
            .entry(to.into())
            .or_default()
            .insert(file.into());
    }
    let found = circles(&g);
    assert_eq!(found, vec![vec!["cli", "faults", "python"]]);
    let shown = describe(&g, &found[0]);
    assert!(shown.starts_with("cli → faults → python → cli"), "{shown}");
    assert!(shown.contains("python → cli: python/mod.rs"), "{shown}");
}

#[test]
fn paths_name_their_top_level_module_however_they_are_written() {
    let code = non_test_code(
        "use crate::a::X;\nuse crate::{b::Y, c};\n// crate::commented\nfn f() { super::super::d::g(); }\n#[cfg(test)]\nuse crate::test_only;",
    );
    assert_eq!(named_after(&code, "crate::"), ["a", "b", "c"]);
    assert_eq!(named_after(&code, "super::super::"), ["d"]);
    assert_eq!(
        module_of(Path::new("experiment/scale/mod.rs")),
        ["experiment", "scale"]
    );
}
