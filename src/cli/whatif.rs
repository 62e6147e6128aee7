//! `parindex whatif`: a year with some of its inputs changed in memory, and what moves.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use rayon::prelude::*;
use rust_decimal::Decimal;

use parindex::diag::{Code, Diagnostic, Diagnostics};
use parindex::live::engine::{Changes, Snapshot};
use parindex::live::variant::{variant, Override};

use super::*;

/// The most variants one `--vary` may ask for.
const MAX_VARIANTS: usize = 10_000;

#[derive(clap::Args)]
pub(crate) struct WhatifArgs {
    #[arg(long)]
    year: u16,
    /// One change, repeatable: `8.2.max=12`, `8.2.max.district=1.5`, `exemption:khong-sipas=off`, `points:so-tttt:1=11`.
    #[arg(long = "set")]
    set: Vec<String>,
    /// A sweep of one value: `8.2.max=10..15:0.5` (from, to, step), each on top of every `--set`.
    #[arg(long)]
    vary: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

fn fail(diags: &Diagnostics) -> ExitCode {
    eoutln!("the variant has errors:");
    print_diags(diags, DiagFormat::Text);
    ExitCode::FAILURE
}

fn bad_arg(message: String) -> ExitCode {
    fail(&Diagnostics(vec![Diagnostic::error(Code::BadValue, message)]))
}

pub(crate) fn whatif(root: &Path, args: &WhatifArgs) -> ExitCode {
    let mut overrides = Vec::new();
    for s in &args.set {
        match s.parse::<Override>() {
            Ok(o) => overrides.push(o),
            Err(e) => return bad_arg(e),
        }
    }
    let sweep = match args.vary.as_deref().map(parse_vary).transpose() {
        Ok(s) => s,
        Err(e) => return bad_arg(e),
    };
    let base = match load(root, args.year) {
        Ok(b) => b,
        Err(d) => {
            eoutln!("the rule set of {} has errors:", args.year);
            print_diags(&d, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    match sweep {
        None => match variant(&base, &overrides) {
            Ok(v) => {
                show_one(&v.changes, &overrides, args.format);
                ExitCode::SUCCESS
            }
            Err(d) => fail(&d),
        },
        Some((lhs, values)) => {
            let mut all = Vec::with_capacity(values.len());
            for v in &values {
                let mut os = overrides.clone();
                match format!("{lhs}={v}").parse::<Override>() {
                    Ok(o) => os.push(o),
                    Err(e) => return bad_arg(e),
                }
                all.push(os);
            }
            let results: Result<Vec<Changes>, Diagnostics> =
                all.par_iter().map(|os| variant(&base, os).map(|v| v.changes)).collect();
            match results {
                Ok(changes) => {
                    show_sweep(&base, &lhs, &values, &changes, args.format);
                    ExitCode::SUCCESS
                }
                Err(d) => fail(&d),
            }
        }
    }
}

/// `8.2.max=10..15:0.5` → (`8.2.max`, [10, 10.5, …, 15]).
fn parse_vary(s: &str) -> Result<(String, Vec<Decimal>), String> {
    let usage = || format!("`--vary {s}`: write `<what>=<from>..<to>:<step>`, e.g. `8.2.max=10..15:0.5`");
    let (lhs, range) = s.split_once('=').ok_or_else(usage)?;
    let (span, step) = range.split_once(':').ok_or_else(usage)?;
    let (from, to) = span.split_once("..").ok_or_else(usage)?;
    let num = |v: &str| Decimal::from_str_exact(v.trim()).map_err(|_| format!("`{v}` is not a number"));
    let (from, to, step) = (num(from)?, num(to)?, num(step)?);
    if step <= Decimal::ZERO || to < from {
        return Err(format!("`--vary {s}`: the step must be above 0 and `to` at least `from`"));
    }
    let mut values = Vec::new();
    let mut v = from;
    while v <= to {
        if values.len() == MAX_VARIANTS {
            return Err(format!("`--vary {s}` asks for more than {MAX_VARIANTS} variants: use a larger step"));
        }
        values.push(v.normalize());
        v = v.checked_add(step).ok_or_else(usage)?;
    }
    Ok((lhs.trim().to_string(), values))
}

/// One row per unit and moved value: (unit, name, what, old, new).
fn moved_rows(c: &Changes) -> Vec<[String; 5]> {
    let mut rows = Vec::new();
    for u in &c.units {
        let mut push = |what: &str, m: Option<(String, String)>| {
            if let Some((o, n)) = m {
                rows.push([u.id.to_string(), u.name.to_string(), what.to_string(), o, n]);
            }
        };
        push("scale", u.scale.as_ref().map(|m| (m.old.to_string(), m.new.to_string())));
        push("total", u.total.as_ref().map(|m| (m.old.to_string(), m.new.to_string())));
        push("index", u.index.as_ref().map(|m| (m.old.to_string(), m.new.to_string())));
        push("rank", u.rank.as_ref().map(|m| (m.old.to_string(), m.new.to_string())));
    }
    rows
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn show_one(c: &Changes, overrides: &[Override], format: Format) {
    let shown: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
    match format {
        Format::Json => {
            let v = serde_json::json!({ "overrides": shown, "changes": c });
            out!("{}", json_text(&v));
        }
        Format::Csv => {
            outln!("unit,name,what,old,new");
            for r in moved_rows(c) {
                outln!("{}", r.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            }
        }
        Format::Table => {
            outln!("what if {}:", if shown.is_empty() { "nothing changed".to_string() } else { shown.join(", ") });
            let rows: Vec<Vec<String>> = c
                .units
                .iter()
                .filter(|u| u.scale.is_some() || u.total.is_some() || u.index.is_some() || u.rank.is_some())
                .map(|u| {
                    let m = |x: Option<(String, String)>| x.map_or(String::new(), |(o, n)| format!("{o} → {n}"));
                    vec![
                        u.id.to_string(),
                        m(u.scale.as_ref().map(|x| (x.old.to_string(), x.new.to_string()))),
                        m(u.total.as_ref().map(|x| (x.old.to_string(), x.new.to_string()))),
                        m(u.index.as_ref().map(|x| (x.old.to_string(), x.new.to_string()))),
                        m(u.rank.as_ref().map(|x| (x.old.to_string(), x.new.to_string()))),
                    ]
                })
                .collect();
            if rows.is_empty() {
                outln!("no unit's scale, total, index or rank moves");
            } else {
                let header: Vec<String> = ["unit", "scale", "total", "index", "rank"].iter().map(|s| s.to_string()).collect();
                out!("{}", parindex::report::align(&header, &rows));
            }
        }
    }
}

fn show_sweep(base: &Snapshot, lhs: &str, values: &[Decimal], changes: &[Changes], format: Format) {
    // Per unit (in the base report's order): its base rank, then best and worst over the sweep.
    let mut range: BTreeMap<usize, (u32, u32, u32)> = BTreeMap::new();
    let order: Vec<(usize, &str, u32)> = base.report.units.iter().enumerate().map(|(at, r)| (at, r.id.as_str(), r.rank)).collect();
    for (at, _, rank) in &order {
        range.insert(*at, (*rank, *rank, *rank));
    }
    let at_of: std::collections::HashMap<&str, usize> = order.iter().map(|(at, id, _)| (*id, *at)).collect();
    let mut per_variant = Vec::new();
    for (v, c) in values.iter().zip(changes) {
        let mut moved = Vec::new();
        for u in &c.units {
            if let Some(m) = &u.rank {
                moved.push((u.id.to_string(), m.old, m.new));
                if let Some(e) = at_of.get(u.id.as_str()).and_then(|at| range.get_mut(at)) {
                    e.1 = e.1.min(m.new);
                    e.2 = e.2.max(m.new);
                }
            }
        }
        per_variant.push((format!("{lhs}={v}"), moved));
    }
    let units: Vec<(&str, u32, u32, u32)> =
        order.iter().map(|(at, id, _)| (*id, range[at].0, range[at].1, range[at].2)).collect();
    match format {
        Format::Json => {
            let variants: Vec<serde_json::Value> = per_variant
                .iter()
                .map(|(o, m)| {
                    serde_json::json!({
                        "override": o,
                        "ranks": m.iter().map(|(id, a, b)| serde_json::json!({ "id": id, "old": a, "new": b })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let units: Vec<serde_json::Value> =
                units.iter().map(|(id, r, b, w)| serde_json::json!({ "id": id, "rank": r, "best": b, "worst": w })).collect();
            out!("{}", json_text(&serde_json::json!({ "variants": variants, "units": units })));
        }
        Format::Csv => {
            outln!("override,unit,old,new");
            for (o, m) in &per_variant {
                for (id, a, b) in m {
                    outln!("{},{},{a},{b}", csv_field(o), csv_field(id));
                }
            }
        }
        Format::Table => {
            for (o, m) in &per_variant {
                let list: Vec<String> = m.iter().map(|(id, a, b)| format!("{id} {a} → {b}")).collect();
                outln!("{o}: {}", if list.is_empty() { "no rank moves".to_string() } else { list.join(", ") });
            }
            outln!();
            let header: Vec<String> = ["unit", "rank", "best", "worst"].iter().map(|s| s.to_string()).collect();
            let rows: Vec<Vec<String>> =
                units.iter().map(|(id, r, b, w)| vec![id.to_string(), r.to_string(), b.to_string(), w.to_string()]).collect();
            out!("{}", parindex::report::align(&header, &rows));
        }
    }
}
