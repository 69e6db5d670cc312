//! Finds SQL that joins two guilds' rows: the checker behind `no_query_joins_two_guilds`.
//!
//! It reads the SQL string literals of Rust sources (those that start with SELECT, WITH,
//! INSERT, UPDATE or DELETE; a `concat!` of literals is read as one) and, in each
//! statement, every pair of distributed-table occurrences that are joined — in one FROM
//! clause, one in a subquery (EXISTS, IN, a derived table, a CTE) of the other's query, or
//! in two subqueries or CTEs of one query — must have their `guild_id`s equated: directly (`a.guild_id = b.guild_id`, `USING
//! (guild_id, …)`), through one parameter (`a.guild_id = $1 … b.guild_id = $1`) or through a
//! derived table's output column. Branches of a UNION are not joined with each other. A
//! per-person table must not be joined with a distributed table at all. An INSERT's
//! target is not a join participant (Citus routes it by the row's own `guild_id`).
//!
//! A small tokenizer, not a SQL parser: it knows enough of the statements raidbot writes,
//! and errs towards reporting (an equality it cannot read connects nothing).

use std::collections::{HashMap, HashSet};
use std::path::Path;

/// One SQL text found in a source file.
pub struct Sql {
    pub file: String,
    pub line: usize,
    pub text: String,
}

const SQL_STARTS: &[&str] = &["select", "with", "insert", "update", "delete"];

/// Every SQL literal in the `.rs` files under `dir`.
pub fn sql_literals(dir: &Path) -> Vec<Sql> {
    let mut files = Vec::new();
    collect_rs(dir, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let src = std::fs::read_to_string(&file).unwrap();
        for (line, text) in string_literals(&src) {
            let head = text.trim_start().to_ascii_lowercase();
            if SQL_STARTS.iter().any(|k| {
                head.starts_with(k)
                    && !head[k.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            }) {
                out.push(Sql {
                    file: file.display().to_string(),
                    line,
                    text,
                });
            }
        }
    }
    out
}

fn collect_rs(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// String literals of a Rust source with their line; literals separated only by commas
/// and white space (a `concat!`) are joined with a space.
pub fn string_literals(src: &str) -> Vec<(usize, String)> {
    let b: Vec<char> = src.chars().collect();
    let mut out: Vec<(usize, String)> = Vec::new();
    // Where the last literal ended and whether only ',' and white space followed since.
    let mut joinable = false;
    let mut line = 1;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '\n' {
            line += 1;
        }
        if c == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && b.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                if b[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i += 2;
            continue;
        }
        if c == '\'' {
            // A char literal ('x', '\n', '\'') or a lifetime ('a).
            if b.get(i + 1) == Some(&'\\') {
                i += 2;
                while i < b.len() && b[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
            joinable = false;
            continue;
        }
        let raw_start = (c == 'r' || (c == 'b' && b.get(i + 1) == Some(&'r')))
            && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_'));
        if raw_start {
            let mut j = i + if c == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) == Some(&'"') {
                let start_line = line;
                let mut text = String::new();
                j += 1;
                loop {
                    if j >= b.len() {
                        break;
                    }
                    if b[j] == '"' && (0..hashes).all(|h| b.get(j + 1 + h) == Some(&'#')) {
                        j += 1 + hashes;
                        break;
                    }
                    if b[j] == '\n' {
                        line += 1;
                    }
                    text.push(b[j]);
                    j += 1;
                }
                push_literal(&mut out, &mut joinable, start_line, text);
                i = j;
                continue;
            }
        }
        if c == '"' {
            let start_line = line;
            let mut text = String::new();
            let mut j = i + 1;
            while j < b.len() && b[j] != '"' {
                if b[j] == '\\' {
                    match b.get(j + 1) {
                        Some('\n') => {
                            // Line continuation: skip the newline and leading white space.
                            line += 1;
                            j += 2;
                            while j < b.len() && b[j].is_whitespace() {
                                if b[j] == '\n' {
                                    line += 1;
                                }
                                j += 1;
                            }
                            continue;
                        }
                        Some('n') => text.push('\n'),
                        Some(other) => text.push(*other),
                        None => {}
                    }
                    j += 2;
                    continue;
                }
                if b[j] == '\n' {
                    line += 1;
                }
                text.push(b[j]);
                j += 1;
            }
            push_literal(&mut out, &mut joinable, start_line, text);
            i = j + 1;
            continue;
        }
        if !(c.is_whitespace() || c == ',') {
            joinable = false;
        }
        i += 1;
    }
    out
}

fn push_literal(out: &mut Vec<(usize, String)>, joinable: &mut bool, line: usize, text: String) {
    match out.last_mut() {
        Some((_, prev)) if *joinable => {
            prev.push(' ');
            prev.push_str(&text);
        }
        _ => out.push((line, text)),
    }
    *joinable = true;
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Param(String),
    Number(String),
    Str,
    Op(String),
}

fn tokenize(sql: &str) -> Vec<Tok> {
    let b: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && b.get(i + 1) == Some(&'-') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let s = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(
                b[s..i].iter().collect::<String>().to_lowercase(),
            ));
        } else if c == '"' {
            let s = i + 1;
            i += 1;
            while i < b.len() && b[i] != '"' {
                i += 1;
            }
            out.push(Tok::Ident(
                b[s..i.min(b.len())]
                    .iter()
                    .collect::<String>()
                    .to_lowercase(),
            ));
            i += 1;
        } else if c == '$' && b.get(i + 1).is_some_and(char::is_ascii_digit) {
            let s = i;
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Tok::Param(b[s..i].iter().collect()));
        } else if c.is_ascii_digit() {
            let s = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == '.') {
                i += 1;
            }
            out.push(Tok::Number(b[s..i].iter().collect()));
        } else if c == '\'' {
            i += 1;
            while i < b.len() {
                if b[i] == '\'' && b.get(i + 1) == Some(&'\'') {
                    i += 2;
                } else if b[i] == '\'' {
                    break;
                } else {
                    i += 1;
                }
            }
            i += 1;
            out.push(Tok::Str);
        } else {
            let two: String = b[i..(i + 2).min(b.len())].iter().collect();
            if ["<=", ">=", "<>", "!=", "::", "||", "->", "=>"].contains(&two.as_str()) {
                out.push(Tok::Op(two));
                i += 2;
            } else {
                out.push(Tok::Op(c.to_string()));
                i += 1;
            }
        }
    }
    out
}

const KEYWORDS: &[&str] = &[
    "select",
    "from",
    "where",
    "join",
    "inner",
    "left",
    "right",
    "full",
    "outer",
    "cross",
    "natural",
    "on",
    "using",
    "group",
    "order",
    "limit",
    "offset",
    "having",
    "union",
    "intersect",
    "except",
    "returning",
    "set",
    "for",
    "values",
    "as",
    "and",
    "or",
    "not",
    "lateral",
    "with",
    "window",
    "fetch",
    "into",
    "default",
    "do",
    "conflict",
    "when",
    "then",
    "else",
    "end",
    "case",
    "is",
    "in",
    "only",
    "update",
    "delete",
    "insert",
    "by",
    "all",
    "distinct",
    "ordinality",
    "tablesample",
];

fn is_kw(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// A table occurrence in a statement.
struct Occ {
    table: String,
    block: usize,
    insert_target: bool,
}

/// A query block: one SELECT (one branch of a UNION), or a group of branches.
struct Block {
    parent: Option<usize>,
    /// A query's group of branches (the children are the branches of a UNION, or one).
    group: bool,
    occs: Vec<usize>,
    /// alias (or unaliased table name) -> what it names.
    aliases: HashMap<String, Named>,
}

#[derive(Clone, Copy)]
enum Named {
    Occ(usize),
    /// A derived table or CTE: the group block holding its branches.
    Derived(usize),
}

struct Frame {
    /// None for a parenthesis that is not a query (function arguments, a tuple).
    scope: Option<(usize, usize)>, // (group block, current branch block)
    derived: bool,
}

/// What the checker found in one statement.
#[derive(Debug, PartialEq)]
pub struct Verdict {
    /// Pairs of distributed-table occurrences joined in the statement (checked ones).
    pub joined: usize,
    /// Why the statement joins two guilds' rows, if it does.
    pub problem: Option<String>,
}

/// Checks one statement: see the module's comment.
pub fn check(sql: &str, distributed: &HashSet<String>, per_person: &HashSet<String>) -> Verdict {
    let toks = tokenize(sql);
    let ident = |i: usize| match toks.get(i) {
        Some(Tok::Ident(s)) => Some(s.as_str()),
        _ => None,
    };
    let op = |i: usize, o: &str| matches!(toks.get(i), Some(Tok::Op(x)) if x == o);

    let mut blocks = vec![
        Block {
            parent: None,
            occs: vec![],
            aliases: HashMap::new(),
            group: true,
        },
        Block {
            parent: Some(0),
            occs: vec![],
            aliases: HashMap::new(),
            group: false,
        },
    ];
    let mut occs: Vec<Occ> = Vec::new();
    let mut frames: Vec<Frame> = vec![Frame {
        scope: Some((0, 1)),
        derived: false,
    }];
    // Per token: the branch block it is in.
    let mut tok_block = vec![0usize; toks.len()];
    // Per branch block: whether a FROM list is being read, and whether a table name is due.
    let mut in_from: HashMap<usize, bool> = HashMap::new();
    let mut expect_table: HashMap<usize, bool> = HashMap::new();
    let mut insert_next = false;
    let mut in_select_list: HashMap<usize, bool> = HashMap::new();
    // Derived tables and CTEs whose alias is to be registered: (outer branch, group).
    let mut pending_alias: Option<(usize, usize)> = None;
    // Guild_id references in select lists, as token indexes, per branch.
    let mut export_toks: Vec<(usize, usize)> = Vec::new();
    // USING (… guild_id …) joins: pairs of occurrences.
    let mut using_pairs: Vec<(usize, usize)> = Vec::new();

    let mut i = 0;
    while i < toks.len() {
        let top = frames.last().unwrap();
        let at_top = top.scope.is_some();
        let branch = frames.iter().rev().find_map(|f| f.scope).unwrap().1;
        tok_block[i] = branch;
        if let Some((outer, group)) = pending_alias.take() {
            // The token after a derived table's ')': [AS] alias.
            let mut j = i;
            if ident(j) == Some("as") {
                j += 1;
            }
            if let Some(a) = ident(j).filter(|a| !is_kw(a)) {
                blocks[outer]
                    .aliases
                    .insert(a.to_owned(), Named::Derived(group));
                i = j + 1;
                continue;
            }
        }
        match &toks[i] {
            Tok::Op(o) if o == "(" => {
                let next = ident(i + 1);
                let is_query = matches!(
                    next,
                    Some("select" | "with" | "insert" | "update" | "delete" | "values")
                );
                if is_query {
                    let derived = at_top && *expect_table.get(&branch).unwrap_or(&false);
                    // `name AS (` in a WITH list.
                    let cte = (i >= 2 && ident(i - 1) == Some("as"))
                        .then(|| ident(i - 2).map(str::to_owned))
                        .flatten();
                    let group = blocks.len();
                    blocks.push(Block {
                        parent: Some(branch),
                        occs: vec![],
                        aliases: HashMap::new(),
                        group: true,
                    });
                    let first = blocks.len();
                    blocks.push(Block {
                        parent: Some(group),
                        occs: vec![],
                        aliases: HashMap::new(),
                        group: false,
                    });
                    if let Some(name) = &cte {
                        blocks[branch]
                            .aliases
                            .insert(name.clone(), Named::Derived(group));
                    }
                    frames.push(Frame {
                        scope: Some((group, first)),
                        derived,
                    });
                } else {
                    frames.push(Frame {
                        scope: None,
                        derived: false,
                    });
                }
            }
            Tok::Op(o) if o == ")" && frames.len() > 1 => {
                let f = frames.pop().unwrap();
                if let (Some((group, _)), true) = (f.scope, f.derived) {
                    let outer = frames.iter().rev().find_map(|f| f.scope).unwrap().1;
                    pending_alias = Some((outer, group));
                    expect_table.insert(outer, false);
                }
            }
            Tok::Op(o) if o == "," && at_top && *in_from.get(&branch).unwrap_or(&false) => {
                expect_table.insert(branch, true);
            }
            Tok::Ident(w) if at_top => {
                let w = w.as_str();
                let prev = if i > 0 { ident(i - 1) } else { None };
                match w {
                    "select" => {
                        in_select_list.insert(branch, true);
                        in_from.insert(branch, false);
                    }
                    "from" if prev != Some("distinct") => {
                        in_select_list.insert(branch, false);
                        in_from.insert(branch, true);
                        expect_table.insert(branch, true);
                    }
                    "join" => {
                        in_from.insert(branch, true);
                        expect_table.insert(branch, true);
                    }
                    "update" if !matches!(prev, Some("for" | "key" | "do")) => {
                        in_from.insert(branch, false);
                        expect_table.insert(branch, true);
                    }
                    "into" => {
                        insert_next = true;
                        expect_table.insert(branch, true);
                    }
                    "using" if op(i + 1, "(") => {
                        // JOIN … USING (cols): joins this occurrence with the one before.
                        let mut j = i + 2;
                        let mut has_gid = false;
                        while j < toks.len() && !op(j, ")") {
                            has_gid |= ident(j) == Some("guild_id");
                            j += 1;
                        }
                        let o = &blocks[branch].occs;
                        if has_gid && o.len() >= 2 {
                            using_pairs.push((o[o.len() - 2], o[o.len() - 1]));
                        }
                        in_from.insert(branch, true);
                    }
                    "using" => {
                        in_from.insert(branch, true);
                        expect_table.insert(branch, true);
                    }
                    "union" | "intersect" | "except" => {
                        let frame = frames.iter_mut().rev().find(|f| f.scope.is_some()).unwrap();
                        let (group, _) = frame.scope.unwrap();
                        let nb = blocks.len();
                        blocks.push(Block {
                            parent: Some(group),
                            occs: vec![],
                            aliases: HashMap::new(),
                            group: false,
                        });
                        frame.scope = Some((group, nb));
                        tok_block[i] = nb;
                    }
                    "lateral" | "only" => {}
                    _ if *expect_table.get(&branch).unwrap_or(&false) && !is_kw(w) => {
                        expect_table.insert(branch, false);
                        let is_table = insert_next || (!op(i + 1, "(") && !op(i + 1, "."));
                        let mut j = i + 1;
                        if ident(j) == Some("as") {
                            j += 1;
                        }
                        let alias = ident(j).filter(|a| !is_kw(a));
                        // A CTE's name read as a table: the CTE.
                        let cte = {
                            let mut b = Some(branch);
                            let mut found = None;
                            while let (Some(x), None) = (b, found) {
                                if let Some(Named::Derived(g)) = blocks[x].aliases.get(w) {
                                    found = Some(*g);
                                }
                                b = blocks[x].parent;
                            }
                            found
                        };
                        if let (Some(g), true) = (cte, is_table) {
                            blocks[branch]
                                .aliases
                                .insert(alias.unwrap_or(w).to_owned(), Named::Derived(g));
                        } else if is_table {
                            let idx = occs.len();
                            occs.push(Occ {
                                table: w.to_owned(),
                                block: branch,
                                insert_target: insert_next,
                            });
                            blocks[branch].occs.push(idx);
                            blocks[branch]
                                .aliases
                                .insert(alias.unwrap_or(w).to_owned(), Named::Occ(idx));
                            if alias.is_none() {
                                blocks[branch].aliases.insert(w.to_owned(), Named::Occ(idx));
                            }
                        }
                        insert_next = false;
                        if alias.is_some() && is_table {
                            tok_block[i + 1..=j].iter_mut().for_each(|b| *b = branch);
                            i = j + 1;
                            continue;
                        }
                    }
                    "where" | "group" | "order" | "limit" | "having" | "returning" | "set"
                    | "on" | "for" | "values" | "window" | "offset" => {
                        in_select_list.insert(branch, false);
                        in_from.insert(branch, false);
                        expect_table.insert(branch, false);
                    }
                    _ => {}
                }
                if w == "guild_id" && *in_select_list.get(&branch).unwrap_or(&false) {
                    export_toks.push((branch, i));
                }
            }
            _ => {}
        }
        i += 1;
    }

    let mut nodes = Nodes {
        parent: (0..occs.len()).collect(),
        names: HashMap::new(),
    };
    let ancestors = |mut b: usize| {
        let mut v = vec![b];
        while let Some(p) = blocks[b].parent {
            v.push(p);
            b = p;
        }
        v
    };
    // The node a column reference (its column's token `i`) stands for.
    let resolve = |i: usize, nodes: &mut Nodes| -> Option<usize> {
        let col = ident(i)?;
        let qual = (i >= 2 && op(i - 1, ".")).then(|| ident(i - 2)).flatten();
        let chain = ancestors(tok_block[i]);
        if let Some(q) = qual {
            for b in &chain {
                if let Some(named) = blocks[*b].aliases.get(q) {
                    return Some(match named {
                        Named::Occ(o) if col == "guild_id" => *o,
                        Named::Occ(o) => nodes.node(format!("occ{o}.{col}")),
                        Named::Derived(g) => nodes.node(format!("derived{g}.{col}")),
                    });
                }
            }
            return Some(nodes.node(format!("{q}.{col}")));
        }
        if col != "guild_id" {
            return Some(nodes.node(format!("{}.{col}", tok_block[i])));
        }
        // A bare guild_id: the occurrence of the nearest block that has one.
        for b in &chain {
            let os = &blocks[*b].occs;
            if os.is_empty() {
                continue;
            }
            let dist: Vec<usize> = os
                .iter()
                .copied()
                .filter(|o| distributed.contains(&occs[*o].table))
                .collect();
            return Some(if os.len() == 1 {
                os[0]
            } else if dist.len() == 1 {
                dist[0]
            } else {
                nodes.node(format!("ambiguous{i}"))
            });
        }
        Some(nodes.node("guild_id".to_owned()))
    };
    // Derived tables and CTEs export their select lists' guild_id.
    for (branch, t) in &export_toks {
        if let Some(group) = blocks[*branch].parent {
            let outer = nodes.node(format!("derived{group}.guild_id"));
            // `expr AS guild_id`: the expression (a parameter or a column, maybe cast).
            let mut at = *t;
            if *t >= 2 && ident(t - 1) == Some("as") {
                at = t - 2;
                loop {
                    if at >= 2
                        && ((op(at, "]") && op(at - 1, "["))
                            || (ident(at).is_some() && op(at - 1, "::")))
                    {
                        at -= 2;
                    } else {
                        break;
                    }
                }
            }
            let inner = match &toks[at] {
                Tok::Param(p) => Some(nodes.node(p.clone())),
                Tok::Number(n) => Some(nodes.node(format!("lit{n}"))),
                Tok::Ident(_) => resolve(at, &mut nodes),
                _ => None,
            };
            if let Some(inner) = inner {
                nodes.union(inner, outer);
            }
        }
    }
    for (a, b) in &using_pairs {
        nodes.union(*a, *b);
    }
    // Equalities with guild_id on one side: `x = y` where x or y is a guild_id column.
    let operand = |i: usize, left: bool, nodes: &mut Nodes| -> Option<(usize, bool)> {
        match toks.get(i)? {
            Tok::Param(p) => Some((nodes.node(p.clone()), false)),
            Tok::Number(n) => Some((nodes.node(format!("lit{n}")), false)),
            Tok::Ident(_) => {
                // On the right the column comes after an optional `alias .`.
                let col_at = if !left && op(i + 1, ".") { i + 2 } else { i };
                let col = ident(col_at)?;
                if is_kw(col) || op(col_at + 1, "(") {
                    return None;
                }
                resolve(col_at, nodes).map(|n| (n, col == "guild_id"))
            }
            _ => None,
        }
    };
    for i in 1..toks.len() {
        if !op(i, "=") {
            continue;
        }
        let l = operand(i - 1, true, &mut nodes);
        let r = operand(i + 1, false, &mut nodes);
        if let (Some((a, ga)), Some((b, gb))) = (l, r)
            && (ga || gb)
        {
            nodes.union(a, b);
        }
    }

    // Every joined pair of distributed occurrences must share a guild_id.
    // Joined unless they are in different branches of one UNION (their nearest common
    // block is a group). Sibling subqueries and CTEs count as joined: they meet in one row.
    let joined = |a: &Occ, b: &Occ| {
        let up = ancestors(b.block);
        let common = ancestors(a.block).into_iter().find(|x| up.contains(x));
        common.is_some_and(|c| !blocks[c].group)
    };
    let mut verdict = Verdict {
        joined: 0,
        problem: None,
    };
    for (x, a) in occs.iter().enumerate() {
        for (y, b) in occs.iter().enumerate().skip(x + 1) {
            if a.insert_target || b.insert_target || !joined(a, b) {
                continue;
            }
            let (da, db) = (
                distributed.contains(&a.table),
                distributed.contains(&b.table),
            );
            let problem =
                if (da && per_person.contains(&b.table)) || (db && per_person.contains(&a.table)) {
                    Some(format!(
                        "joins a per-person table with a guild's: {} and {}",
                        a.table, b.table
                    ))
                } else if da && db {
                    verdict.joined += 1;
                    (nodes.find(x) != nodes.find(y)).then(|| {
                        format!(
                            "{} and {} are joined without equating their guild_id",
                            a.table, b.table
                        )
                    })
                } else {
                    None
                };
            if verdict.problem.is_none() {
                verdict.problem = problem;
            }
        }
    }
    verdict
}

/// Union-find over what a guild_id can be equal to: occurrences (their index), parameters,
/// literals and other columns (by name).
struct Nodes {
    parent: Vec<usize>,
    names: HashMap<String, usize>,
}

impl Nodes {
    fn node(&mut self, key: String) -> usize {
        let next = self.parent.len();
        let n = *self.names.entry(key).or_insert(next);
        if n == next {
            self.parent.push(next);
        }
        n
    }

    fn find(&mut self, x: usize) -> usize {
        let mut r = x;
        while self.parent[r] != r {
            r = self.parent[r];
        }
        r
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        self.parent[ra] = rb;
    }
}
