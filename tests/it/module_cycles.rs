//! No import cycles between modules (issue 10): reads every `.rs` file under `src/` and
//! `experiments/llm/src/`, builds the graph "module A names module B" and fails naming each cycle.
//!
//! The modules (nodes): in the root crate, each top-level module (`theory`, `figures`, `estimate`,
//! `dist`, ...) and, inside `src/llm/`, each file (`llm::cli`, `llm::tail_probe`, ...; `src/llm/mod.rs`
//! is the node `llm`); in `experiments/llm/src/`, each file-level module (`chat`, `ppo`, ...; a
//! folder `x/` belongs to `x.rs`). `lib.rs` and `main.rs` (the crate roots) are not nodes.
//!
//! The edges: every `crate::a::b…` path (in `use` lines, `crate::{a, b}` groups and inline paths)
//! outside comments and outside test code (files named `tests.rs`, and a file's inline
//! `#[cfg(test)] mod … {`, which by custom ends the file: tests may borrow fixtures from anywhere) gives an edge from the file's node to the node of
//! `a` (or `a::b` when `a` is `llm` and `b` one of its files); a path naming only the crate root's
//! own items (`crate::Result`) gives none. `super::x…` gives an edge only when `x` is a sibling
//! file module (e.g. `super::figures::LlmFigure` in a file of `src/llm/`); any other `super::` path names the
//! file's parent (or, in an inline `mod tests`, the file itself), and a child naming its own parent
//! is not a cycle: the parent declares its children, it does not import them. So the rule is: no
//! cycle of `crate::`/sibling `super::` references between distinct nodes.
//!
//! std only; it reads about 300 files in milliseconds.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Cycles that still exist and are scheduled for removal; the test fails if a cycle appears that is
/// not listed here, and also if a listed one has gone (so the list only shrinks).
const KNOWN_CYCLES: &[&[&str]] = &[
    // None remain (issue 10 removed the last four). A new cycle fails the test.
];

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Removes `//` comments (doc comments included) line by line; string contents containing `//`
/// lose the rest of their line, which can only drop paths, never invent one.
fn strip_comments(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    let mut in_block = false;
    for line in text.lines() {
        let mut l = line;
        if in_block {
            match l.find("*/") {
                Some(i) => {
                    l = &l[i + 2..];
                    in_block = false;
                }
                None => continue,
            }
        }
        if let Some(i) = l.find("/*") {
            if !l[i..].contains("*/") {
                in_block = true;
            }
            l = &l[..i];
        }
        if let Some(i) = l.find("//") {
            l = &l[..i];
        }
        s.push_str(l);
        s.push('\n');
    }
    s
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The leading path segments after each `prefix` (`crate::` or `super::`), one `Vec` per path;
/// a `{a::x, b}` group yields one path per member.
fn paths_after(text: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    while let Some(i) = text[start..].find(prefix) {
        let at = start + i;
        start = at + prefix.len();
        if at > 0 {
            let prev = bytes[at - 1] as char;
            if is_ident(prev) || prev == '$' || prev == ':' {
                continue;
            }
        }
        let rest = &text[start..];
        if let Some(group) = rest.strip_prefix('{') {
            // Find the matching brace, split top-level members.
            let mut depth = 1;
            let mut end = 0;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = k;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let inner = &group[..end];
            let mut depth = 0;
            let mut member = String::new();
            let mut members = Vec::new();
            for c in inner.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        members.push(std::mem::take(&mut member));
                        continue;
                    }
                    _ => {}
                }
                member.push(c);
            }
            members.push(member);
            for m in members {
                let segs = segments(m.trim());
                if !segs.is_empty() {
                    out.push(segs);
                }
            }
        } else {
            let segs = segments(rest);
            if !segs.is_empty() {
                out.push(segs);
            }
        }
    }
    out
}

fn segments(s: &str) -> Vec<String> {
    let mut segs = Vec::new();
    let mut rest = s;
    loop {
        let n = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        if n == 0 {
            break;
        }
        segs.push(rest[..n].to_string());
        match rest[n..].strip_prefix("::") {
            Some(r) if r.starts_with(|c: char| is_ident(c)) => rest = r,
            _ => break,
        }
        if segs.len() == 2 {
            break;
        }
    }
    segs
}

/// Where the file's inline test module (`#[cfg(test)]` then `mod name {`) begins.
fn test_module_start(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find("#[cfg(test)]") {
        let at = from + i;
        let after = text[at + "#[cfg(test)]".len()..].trim_start();
        let after = after.strip_prefix("pub ").unwrap_or(after);
        if let Some(m) = after.strip_prefix("mod ") {
            // `mod tests {` is inline; `mod tests;` only declares a file (skipped by name).
            let head = m.split(|c: char| c == '{' || c == ';').next().unwrap_or("");
            if m[head.len()..].starts_with('{') {
                return Some(at);
            }
        }
        from = at + 1;
    }
    None
}

/// Node of a file, given the crate's source root and which top-level module is split per file.
fn node_of(root: &Path, file: &Path, split: Option<&str>) -> Option<String> {
    let rel = file.strip_prefix(root).unwrap();
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        return None;
    }
    let top = parts[0].clone();
    if Some(top.as_str()) == split {
        if parts.len() == 1 || parts[1] == "mod" {
            return Some(top);
        }
        return Some(format!("{top}::{}", parts[1]));
    }
    Some(top)
}

/// Edges `from -> to` with the files that make them.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn crate_graph(root: &Path, split: Option<&str>) -> Graph {
    let mut files = Vec::new();
    rs_files(root, &mut files);
    let mut nodes = BTreeSet::new();
    for f in &files {
        if let Some(n) = node_of(root, f, split) {
            nodes.insert(n);
        }
    }
    let mut g: Graph = BTreeMap::new();
    for f in &files {
        let Some(from) = node_of(root, f, split) else {
            continue;
        };
        if f.file_stem().is_some_and(|s| s == "tests") {
            continue; // a test module file
        }
        let full = fs::read_to_string(f).unwrap();
        let code = test_module_start(&full).map_or(full.as_str(), |i| &full[..i]);
        let text = strip_comments(code);
        let shown = f.strip_prefix(root).unwrap().display().to_string();
        let mut targets = Vec::new();
        for segs in paths_after(&text, "crate::") {
            let top = &segs[0];
            if !nodes.contains(top) && !nodes.iter().any(|n| n.starts_with(&format!("{top}::"))) {
                continue; // an item of the crate root
            }
            let to = match segs.get(1) {
                Some(b)
                    if Some(top.as_str()) == split && nodes.contains(&format!("{top}::{b}")) =>
                {
                    format!("{top}::{b}")
                }
                _ => top.clone(),
            };
            targets.push(to);
        }
        // `super::x` names a sibling file module only inside a split module's files.
        if let Some((parent, _)) = from.split_once("::") {
            for segs in paths_after(&text, "super::") {
                let sib = format!("{parent}::{}", segs[0]);
                if nodes.contains(&sib) {
                    targets.push(sib);
                }
            }
        }
        for to in targets {
            let is_parent = from.split_once("::").is_some_and(|(p, _)| p == to);
            if to != from && !is_parent {
                g.entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .insert(shown.clone());
            }
        }
    }
    g
}

/// Strongly connected components with more than one node (Tarjan).
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        if let Some(es) = t.g.get(v) {
            for w in es.keys() {
                let w = w.as_str();
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out.sort();
    t.out
}

fn describe(g: &Graph, comp: &[String]) -> String {
    let mut s = format!("cycle among {{{}}}:\n", comp.join(", "));
    for a in comp {
        for b in comp {
            if let Some(files) = g.get(a).and_then(|e| e.get(b)) {
                let files: Vec<_> = files.iter().cloned().collect();
                s.push_str(&format!("  {a} -> {b}  ({})\n", files.join(", ")));
            }
        }
    }
    s
}

#[test]
fn no_import_cycles_between_modules() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    let mut report = String::new();
    for (name, root, split) in [
        ("goodhart", base.join("src"), Some("llm")),
        ("goodhart-llm", base.join("experiments/llm/src"), None),
    ] {
        let g = crate_graph(&root, split);
        assert!(
            g.len() > 5,
            "{name}: only {} modules with imports found",
            g.len()
        );
        for comp in cycles(&g) {
            report.push_str(&format!("{name}: {}", describe(&g, &comp)));
            found.push(comp);
        }
    }
    let known: Vec<Vec<String>> = KNOWN_CYCLES
        .iter()
        .map(|c| c.iter().map(|s| s.to_string()).collect())
        .collect();
    let new: Vec<_> = found.iter().filter(|c| !known.contains(c)).collect();
    let gone: Vec<_> = known.iter().filter(|c| !found.contains(c)).collect();
    assert!(new.is_empty(), "import cycles between modules:\n{report}");
    assert!(
        gone.is_empty(),
        "cycles {gone:?} are gone: remove them from KNOWN_CYCLES"
    );
}

#[test]
fn the_checker_sees_a_cycle() {
    // The parser on a two-module cycle written in the forms the code uses.
    let a = strip_comments("use crate::{b::X, Result};\n// crate::c::Y in a comment\n");
    let b = strip_comments("fn f() { crate::a::g(); }\n");
    let mut g: Graph = BTreeMap::new();
    for (from, text) in [("a", &a), ("b", &b)] {
        for segs in paths_after(text, "crate::") {
            if segs[0] != "Result" {
                g.entry(from.into())
                    .or_default()
                    .entry(segs[0].clone())
                    .or_default()
                    .insert(from.into());
            }
        }
    }
    assert_eq!(cycles(&g), vec![vec!["a".to_string(), "b".to_string()]]);
}
