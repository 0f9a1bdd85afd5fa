//! No import cycles between modules, at any level (issue 10): reads every `.rs` file under `src/`
//! and `experiments/llm/src/`, builds the graph "module A names module B" and fails naming each cycle.
//!
//! The modules: every file module, named by its path (`src/theory/imitation/class/model.rs` is
//! `theory::imitation::class::model`; a folder's `mod.rs` names the folder). `lib.rs` and `main.rs`
//! (the crate roots) are not modules here.
//!
//! The references: every `crate::a::b::…` path (in `use` lines, `crate::{a, b}` groups and inline
//! paths) and every `super::…` path, outside comments and outside test code (files named
//! `tests.rs`, and a file's inline `#[cfg(test)] mod … {`, which by custom ends the file: tests may
//! borrow fixtures from anywhere), resolved to the longest prefix that is a file module. A path
//! naming only the crate root's own items (`crate::Result`) gives none.
//!
//! The check runs at every depth d: each module path cut to its first d names is a node, so depth 1
//! is the top-level modules (`theory`, `figures`, `estimate`, ...), depth 2 `theory::goodhart`,
//! `llm::validate`, ..., down to single files. A reference between a module and its own ancestor
//! is not an edge: the parent declares its children (and re-exports them), it does not import them.
//! So the rule is: at no depth a cycle of references between distinct modules.
//!
//! std only; it reads about 400 files in milliseconds.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The root crate's top-level modules, bottom layer first (the crate map in `src/lib.rs`). A module
/// may import only from layers below its own; modules in one layer do not import each other.
const LAYERS: &[&[&str]] = &[
    &["error"],
    &["numerics", "sim"],
    &["report"],
    &["output", "plot", "config"],
    &["prob"],
    &["dist"],
    &["estimate", "env"],
    &["theory"],
    &["figures"],
    &["llm"],
    &["catalogue"],
    &["bench"],
    &["cli"],
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
        if segs.len() == 8 {
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

/// The module path of a file (`src/theory/imitation/class/model.rs` -> `theory::imitation::class::model`,
/// a folder's `mod.rs` names the folder); `None` for the crate roots.
fn module_of(root: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(root).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        return None;
    }
    Some(parts)
}

/// Edges `from -> to` with the files that make them.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// Module-to-module references of a crate, between full module paths: every `crate::a::b::…` path
/// and every `super::…` path, resolved to the longest prefix that is a file module of the crate.
fn references(root: &Path) -> Vec<(Vec<String>, Vec<String>, String)> {
    let mut files = Vec::new();
    rs_files(root, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().filter_map(|f| module_of(root, f)).collect();
    let resolve = |path: Vec<String>| -> Option<Vec<String>> {
        (1..=path.len())
            .rev()
            .map(|k| path[..k].to_vec())
            .find(|p| modules.contains(p))
    };
    let mut out = Vec::new();
    for f in &files {
        let Some(from) = module_of(root, f) else {
            continue;
        };
        if f.file_stem().is_some_and(|s| s == "tests") {
            continue; // a test module file
        }
        let full = fs::read_to_string(f).unwrap();
        let code = test_module_start(&full).map_or(full.as_str(), |i| &full[..i]);
        let text = strip_comments(code);
        let shown = f.strip_prefix(root).unwrap().display().to_string();
        for segs in paths_after(&text, "crate::") {
            if let Some(to) = resolve(segs) {
                out.push((from.clone(), to, shown.clone()));
            }
        }
        // `super::x` in module `p::m` names `p::x`.
        if let Some((_, parent)) = from.split_last() {
            for segs in paths_after(&text, "super::") {
                let mut path = parent.to_vec();
                path.extend(segs);
                if let Some(to) = resolve(path) {
                    out.push((from.clone(), to, shown.clone()));
                }
            }
        }
    }
    out
}

/// The graph at one depth: each module path cut to its first `depth` names is a node (so at depth 1
/// the nodes are the top-level modules, at depth 2 `theory::goodhart`, `estimate::hill`, ...). A
/// reference between a module and its own ancestor is not an edge: a parent declares its children
/// and re-exports them, it does not import them.
fn graph_at_depth(refs: &[(Vec<String>, Vec<String>, String)], depth: usize) -> Graph {
    let mut g: Graph = BTreeMap::new();
    for (from, to, file) in refs {
        let (a, b) = (&from[..from.len().min(depth)], &to[..to.len().min(depth)]);
        let related =
            a.len() <= b.len() && b[..a.len()] == *a || b.len() <= a.len() && a[..b.len()] == *b;
        if !related {
            g.entry(a.join("::"))
                .or_default()
                .entry(b.join("::"))
                .or_default()
                .insert(file.clone());
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
    let mut report = String::new();
    for (name, root) in [
        ("goodhart", base.join("src")),
        ("goodhart-llm", base.join("experiments/llm/src")),
    ] {
        let refs = references(&root);
        assert!(
            refs.len() > 50,
            "{name}: only {} module references found",
            refs.len()
        );
        let deepest = refs
            .iter()
            .map(|(f, t, _)| f.len().max(t.len()))
            .max()
            .unwrap();
        for depth in 1..=deepest {
            let g = graph_at_depth(&refs, depth);
            for comp in cycles(&g) {
                report.push_str(&format!("{name} (depth {depth}): {}", describe(&g, &comp)));
            }
        }
    }
    assert!(
        report.is_empty(),
        "import cycles between modules:\n{report}"
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

#[test]
fn the_checker_sees_a_nested_cycle_through_super() {
    // Two sibling files deep in a folder that name each other, one by `super::`, one by `crate::`:
    // a cycle at depth 2 only (at depth 1 both are the one module `a`).
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("a/b")).unwrap();
    fs::write(root.join("lib.rs"), "pub mod a;\npub mod c;\n").unwrap();
    fs::write(root.join("c.rs"), "use crate::a::b::x::f;\n").unwrap();
    fs::write(root.join("a/mod.rs"), "pub mod b;\npub mod z;\n").unwrap();
    fs::write(root.join("a/z.rs"), "pub fn h() { super::b::y::g(); }\n").unwrap();
    fs::write(root.join("a/b/mod.rs"), "pub mod x;\npub mod y;\n").unwrap();
    fs::write(root.join("a/b/x.rs"), "pub fn f() { super::y::g(); }\n").unwrap();
    fs::write(
        root.join("a/b/y.rs"),
        "pub fn g() { crate::a::b::x::f(); crate::a::z::h(); }\n",
    )
    .unwrap();
    let refs = references(root);
    assert!(cycles(&graph_at_depth(&refs, 1)).is_empty());
    assert_eq!(
        cycles(&graph_at_depth(&refs, 2)),
        vec![vec!["a::b".to_string(), "a::z".to_string()]]
    );
    assert_eq!(
        cycles(&graph_at_depth(&refs, 3)),
        vec![vec![
            "a::b::x".to_string(),
            "a::b::y".to_string(),
            "a::z".to_string()
        ]]
    );
}

#[test]
fn lower_layers_never_import_upper_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer_of = |m: &str| LAYERS.iter().position(|l| l.contains(&m));
    let refs = references(&root);
    let mut bad = BTreeSet::new();
    for (from, to, file) in &refs {
        let (a, b) = (from[0].as_str(), to[0].as_str());
        let la =
            layer_of(a).unwrap_or_else(|| panic!("module `{a}` ({file}) is in no layer of LAYERS"));
        let lb = layer_of(b).unwrap_or_else(|| panic!("module `{b}` is in no layer of LAYERS"));
        if a != b && lb >= la {
            bad.insert(format!("{a} -> {b} ({file})"));
        }
    }
    assert!(
        bad.is_empty(),
        "imports that do not go down the layers:\n{}",
        bad.into_iter().collect::<Vec<_>>().join("\n")
    );
}
