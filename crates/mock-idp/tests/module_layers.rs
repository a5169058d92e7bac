//! The modules of `mock-idp` depend in one direction (issue 20).
//!
//! Reads `src/**/*.rs`, collects each top-level module's references to `crate::<module>` (in
//! `use` lines and paths; `#[cfg(test)]` items and comments left out), and checks two things:
//! the graph has no cycle, and no module uses one of a higher layer than its own in [`LAYERS`].
//! A new module must be given a layer here; an upward import fails naming the file and line.
//!
//! Run with `--nocapture` to see the graph, layer by layer.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// Every top-level module and its layer, lowest first. A module may use modules of lower
/// layers, and of its own layer as long as no cycle forms; never one of a higher layer. Keep
/// it in step with the layer list in `lib.rs`.
const LAYERS: &[(&str, u8)] = &[
    // 0: leaves: errors, time, names of endpoints, URL rule, request parsing, HTML helpers, the
    // persona tables and fault plans (both named by the configuration).
    ("error", 0),
    ("clock", 0),
    ("endpoint", 0),
    ("urls", 0),
    ("form", 0),
    ("html", 0),
    ("personas", 0),
    ("faults", 0),
    ("sync", 0),
    ("serde_name", 0),
    ("secret", 0),
    // 1: configuration and what a tenant is made of.
    ("config", 1),
    ("keys", 1),
    ("accounts", 1),
    ("journal", 1),
    ("rotation", 1),
    ("grants", 1),
    // 2: a tenant, the provider's list of them, and resolving a request to one.
    ("tenant", 2),
    ("state", 2),
    ("extract", 2),
    // 3: protocol and test logic over a tenant.
    ("claims", 3),
    ("grant_types", 3),
    ("session", 3),
    ("authorize", 3),
    ("admin", 3),
    ("presets", 3),
    ("mint", 3),
    // 4: HTTP handlers, the control routes and the request layer.
    ("discovery", 4),
    ("jwks", 4),
    ("token", 4),
    ("login", 4),
    ("userinfo", 4),
    ("introspection", 4),
    ("revocation", 4),
    ("end_session", 4),
    ("debugger", 4),
    ("control", 4),
    ("middleware", 4),
    // 5: the router and the listeners.
    ("server", 5),
    ("tls", 5),
    // 6: the in-process handle.
    ("handle", 6),
];

/// Where a reference was found.
#[derive(Debug, Clone)]
struct Site {
    file: String,
    line: usize,
}

type Graph = BTreeMap<String, BTreeMap<String, Site>>;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir).expect("read src").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to: `src/x.rs` and `src/x/**` are `x`; `None` for the root.
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    if rel.components().count() > 1 {
        return Some(first.to_owned());
    }
    let name = first.strip_suffix(".rs")?;
    (name != "lib" && name != "main").then(|| name.to_owned())
}

/// The file's lines with comments and `#[cfg(test)]` items blanked (line numbers kept).
fn code_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let t = line.trim();
        if t == "#[cfg(test)]" {
            out.push(String::new());
            // Skip the item the attribute is on: up to its `;`, or its balanced braces.
            let mut depth = 0i64;
            let mut opened = false;
            for l in lines.by_ref() {
                out.push(String::new());
                let code = strip_comment(l);
                for c in code.chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                let t = code.trim();
                if (opened && depth <= 0) || (!opened && t.ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        out.push(strip_comment(line).to_owned());
    }
    out
}

/// The line without a `//` comment (doc comments included); string literals are not parsed,
/// which is enough for the `use` lines and paths looked at here.
fn strip_comment(line: &str) -> &str {
    match line.trim_start().starts_with("//") {
        true => "",
        false => line.find(" // ").map_or(line, |i| &line[..i]),
    }
}

fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first segment of every `crate::` path on `line`, group imports (`crate::{a, b::c}`) included.
fn crate_refs(line: &str) -> Vec<String> {
    let mut refs = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        let after = &rest[i + "crate::".len()..];
        rest = after;
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 0;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        start = false;
                        refs.push(ident(&group[j..]).to_owned());
                    }
                    _ => {}
                }
            }
        } else {
            refs.push(ident(after).to_owned());
        }
    }
    refs.retain(|r| !r.is_empty() && r != "self");
    refs
}

/// The items `lib.rs` re-exports, by name, with the module each comes from.
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in code_lines(lib) {
        let Some(path) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = path.trim_end_matches(';').split_once("::") else {
            continue;
        };
        for item in items.trim_matches(|c| c == '{' || c == '}').split(',') {
            let name = item.rsplit(" as ").next().unwrap_or(item).trim();
            map.insert(name.to_owned(), module.to_owned());
        }
    }
    map
}

fn graph() -> Graph {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(f.strip_prefix(&src).unwrap())).collect();
    let lib = fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let reexported = reexports(&lib);
    let mut graph: Graph = modules.iter().map(|m| (m.clone(), BTreeMap::new())).collect();
    let mut unknown = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let Some(from) = module_of(rel) else { continue };
        let text = fs::read_to_string(file).expect("read file");
        for (n, line) in code_lines(&text).iter().enumerate() {
            for r in crate_refs(line) {
                let to = if modules.contains(&r) {
                    r
                } else if let Some(m) = reexported.get(&r) {
                    m.clone()
                } else {
                    unknown.push(format!("{}:{}: crate::{r}", rel.display(), n + 1));
                    continue;
                };
                if to != from {
                    let site = Site {
                        file: rel.display().to_string(),
                        line: n + 1,
                    };
                    graph.get_mut(&from).unwrap().entry(to).or_insert(site);
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "references to crate items that are neither a module nor a lib.rs re-export:\n{}",
        unknown.join("\n")
    );
    graph
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            self.index.insert(v, self.next);
            self.low.insert(v, self.next);
            self.next += 1;
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph[v].keys() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let l = self.low[v].min(self.low[w]);
                    self.low.insert(v, l);
                } else if self.on_stack.contains(w) {
                    let l = self.low[v].min(self.index[w]);
                    self.low.insert(v, l);
                }
            }
            if self.low[v] == self.index[v] {
                let mut scc = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    scc.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if scc.len() > 1 {
                    scc.sort();
                    self.out.push(scc);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}

/// One cycle through the first module of `scc`, as a chain of edges with where each is made.
fn one_cycle(graph: &Graph, scc: &[String]) -> String {
    let start = &scc[0];
    let inside: BTreeSet<&String> = scc.iter().collect();
    // Breadth-first from `start` back to `start`, inside the component.
    let mut prev: BTreeMap<&String, &String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut seen = BTreeSet::new();
    'search: while let Some(v) = queue.pop_front() {
        for w in graph[v].keys().filter(|w| inside.contains(w)) {
            if w == start {
                prev.insert(start, v);
                break 'search;
            }
            if seen.insert(w) {
                prev.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    let mut chain = vec![start];
    let mut at = prev[start];
    while at != start {
        chain.push(at);
        at = prev[at];
    }
    chain.push(start);
    chain.reverse();
    let mut out = String::new();
    for pair in chain.windows(2) {
        let site = &graph[pair[0]][pair[1]];
        writeln!(out, "    {} -> {}   ({}:{})", pair[0], pair[1], site.file, site.line).unwrap();
    }
    out
}

fn layer_of(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn printout(graph: &Graph) -> String {
    let mut out = String::from("mock-idp module graph, lowest layer first (module -> modules it uses):\n");
    let top = LAYERS.iter().map(|(_, l)| *l).max().unwrap_or(0);
    for layer in 0..=top {
        writeln!(out, "layer {layer}:").unwrap();
        for (m, _) in LAYERS.iter().filter(|(_, l)| *l == layer) {
            if let Some(deps) = graph.get(*m) {
                let deps: Vec<&str> = deps.keys().map(String::as_str).collect();
                writeln!(out, "  {m} -> {}", if deps.is_empty() { "-".to_owned() } else { deps.join(", ") }).unwrap();
            }
        }
    }
    let unplaced: Vec<&String> = graph.keys().filter(|m| layer_of(m).is_none()).collect();
    if !unplaced.is_empty() {
        writeln!(out, "not in LAYERS: {unplaced:?}").unwrap();
    }
    out
}

#[test]
#[allow(clippy::print_stdout, reason = "the graph is this test's report, shown with --nocapture")]
fn modules_depend_in_one_direction() {
    let graph = graph();
    println!("{}", printout(&graph));
    let mut problems = Vec::new();

    for scc in cycles(&graph) {
        problems.push(format!(
            "import cycle among {} modules: {}\n  one cycle:\n{}",
            scc.len(),
            scc.join(", "),
            one_cycle(&graph, &scc)
        ));
    }

    for m in graph.keys().filter(|m| layer_of(m).is_none()) {
        problems.push(format!("module `{m}` has no layer: add it to LAYERS in tests/module_layers.rs"));
    }
    for (m, _) in LAYERS.iter().filter(|(m, _)| !graph.contains_key(*m)) {
        problems.push(format!("LAYERS names `{m}`, which is no module of src/"));
    }

    for (from, deps) in &graph {
        let Some(lf) = layer_of(from) else { continue };
        for (to, site) in deps {
            let Some(lt) = layer_of(to) else { continue };
            if lt > lf {
                problems.push(format!(
                    "upward import: `{from}` (layer {lf}) uses `{to}` (layer {lt}) at {}:{}; move the item to a lower \
                     module or the user up",
                    site.file, site.line
                ));
            }
        }
    }

    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_reference_scanner_reads_group_imports_and_skips_test_items() {
    assert_eq!(crate_refs("use crate::{a, b::{C, d}, self};"), ["a", "b"]);
    assert_eq!(crate_refs("let x = crate::keys::f(crate::clock::now());"), ["keys", "clock"]);
    assert_eq!(crate_refs("macro_rules! m { () => { $crate::x } }"), Vec::<String>::new());
    let lines = code_lines("use crate::a;\n/// crate::b\n#[cfg(test)]\nmod tests {\n    use crate::c;\n}\nuse crate::d;\n");
    let refs: Vec<String> = lines.iter().flat_map(|l| crate_refs(l)).collect();
    assert_eq!(refs, ["a", "d"]);
}
