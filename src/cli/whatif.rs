//! `parindex whatif`: a year with some of its inputs changed in memory, and
//! what moves: one variant (`--set`), a sweep of one value (`--vary`), or how
//! far the rounding of the council's points can move the ranks
//! (`--rounding-robustness`).

use std::path::Path;
use std::process::ExitCode;

use rayon::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use parindex::diag::{Code, Diagnostic, Diagnostics};
use parindex::live::engine::{Changes, Snapshot, UnitChange};
use parindex::live::variant::rounding::{robustness_steps, robustness_with, Robustness};
use parindex::live::variant::{repeated, variant, Override};
use parindex::report::{align, plain, text};

use super::*;

/// The most variants one `--vary` may ask for.
pub(crate) const MAX_VARIANTS: usize = 10_000;

#[derive(clap::Args)]
pub(crate) struct WhatifArgs {
    #[arg(long)]
    year: u16,
    /// One change, repeatable: `8.2.max=12`, `8.2.max.district=1.5`, `7.3.2.params.target=60`,
    /// `exemption:khong-sipas=off`, `exemption:khong-sipas:so-tttt=on`, `points:so-tttt:1=11`.
    #[arg(long = "set", value_name = "CHANGE")]
    set: Vec<String>,
    /// A sweep of one value: `8.2.max=10..15:0.5` (from, to, step; at most 10000 variants), each on top of every `--set`.
    #[arg(long, value_name = "SWEEP", conflicts_with = "rounding_robustness")]
    vary: Option<String>,
    /// Every council point moved within its published rounding (± half a unit of its last printed
    /// decimal): the ranks that can change and the pairs of units whose order the rounding decides.
    #[arg(long)]
    rounding_robustness: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

fn fail(diags: &Diagnostics, sources: Option<&parindex::source::map::SourceMap>) -> ExitCode {
    eoutln!("the variant has errors:");
    check::show(diags, sources, DiagFormat::Text, true);
    ExitCode::FAILURE
}

fn bad_arg(message: String) -> ExitCode {
    fail(&Diagnostics(vec![Diagnostic::error(Code::BadValue, message)]), None)
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
    if let Some((first, then)) = repeated(&overrides) {
        return bad_arg(format!(
            "`--set {}` and `--set {}` both set `{}`: the first would have no effect; give each change once",
            overrides[first],
            overrides[then],
            overrides[then].target()
        ));
    }
    if let Some(sweep) = &sweep {
        if let Some(o) = overrides.iter().find(|o| o.target() == sweep.target) {
            return bad_arg(format!("`--set {o}` sets what `--vary` varies: it would have no effect; drop one of them"));
        }
    }
    let json = args.format == Format::Json;
    let loading = progress::Progress::spinner("reading data", progress::wanted(json));
    let loaded = load_shown(root, args.year, &loading);
    loading.finish();
    let base = match loaded {
        Ok(b) => b,
        Err(d) => {
            eoutln!("the rule set of {} has errors:", args.year);
            print_diags(&d, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    let sources = Some(&*base.rule_set.sources);
    if args.rounding_robustness {
        let on;
        let of = if overrides.is_empty() {
            &base
        } else {
            match variant(&base, &overrides) {
                Ok(v) => {
                    on = v.snapshot;
                    &on
                }
                Err(d) => return fail(&d, sources),
            }
        };
        let bar = progress::Progress::bar(robustness_steps(of), "rounding robustness", progress::wanted(json));
        let bounds = robustness_with(of, &|| bar.inc());
        bar.finish();
        show_robustness(of, &bounds, &overrides, args.format);
        return ExitCode::SUCCESS;
    }
    let Some(sweep) = sweep else {
        return match variant(&base, &overrides) {
            Ok(v) => {
                show_one(&base, &v.changes, &overrides, args.format);
                ExitCode::SUCCESS
            }
            Err(d) => fail(&d, sources),
        };
    };
    let mut each = Vec::with_capacity(sweep.values.len());
    for v in &sweep.values {
        let mut os = overrides.clone();
        match format!("{}={v}", sweep.what).parse::<Override>() {
            Ok(o) => os.push(o),
            Err(e) => return bad_arg(e),
        }
        each.push(os);
    }
    // Only the changes are kept: each variant's results are dropped as soon as compared.
    let bar = progress::Progress::bar(each.len() as u64, "variants", progress::wanted(json));
    let results: Vec<Result<Changes, Diagnostics>> = each
        .par_iter()
        .map(|os| {
            let changes = variant(&base, os).map(|v| v.changes);
            bar.inc();
            changes
        })
        .collect();
    bar.finish();
    let failed = results.iter().filter(|r| r.is_err()).count();
    show_sweep(&base, &sweep, &overrides, &results, args.format);
    if failed > 0 {
        eoutln!("{failed} of {} variants have errors; the first:", results.len());
        if let Some(Err(d)) = results.iter().find(|r| r.is_err()) {
            check::show(d, sources, DiagFormat::Text, true);
        }
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// A sweep: what is varied and its values.
pub(crate) struct Sweep {
    what: String,
    /// What it sets, as [`Override::target`] gives it.
    target: String,
    values: Vec<Decimal>,
}

/// `8.2.max=10..15:0.5` → `8.2.max` over [10, 10.5, …, 15]; refused when it
/// would make more than [`MAX_VARIANTS`] variants.
pub(crate) fn parse_vary(s: &str) -> Result<Sweep, String> {
    let usage = || format!("`--vary {s}`: write `<what>=<from>..<to>:<step>`, e.g. `8.2.max=10..15:0.5`");
    let (lhs, range) = s.split_once('=').ok_or_else(usage)?;
    let (span, step) = range.split_once(':').ok_or_else(usage)?;
    let (from, to) = span.split_once("..").ok_or_else(usage)?;
    let num = |v: &str| Decimal::from_str_exact(v.trim()).map_err(|_| format!("`--vary {s}`: `{}` is not a number", v.trim()));
    let (from, to, step) = (num(from)?, num(to)?, num(step)?);
    if step <= Decimal::ZERO {
        return Err(format!("`--vary {s}`: the step must be above 0"));
    }
    if to < from {
        return Err(format!("`--vary {s}`: `{to}` is below `{from}`; write the lower value first"));
    }
    // How many values, without stepping through them: ⌊(to − from) / step⌋ + 1.
    let count = to.checked_sub(from).and_then(|d| d.checked_div(step)).map(|q| q.floor());
    let too_many = || format!("`--vary {s}` asks for more than {MAX_VARIANTS} variants: use a larger step or a shorter range");
    match count {
        Some(q) if q < Decimal::from(MAX_VARIANTS) => {}
        _ => return Err(too_many()),
    }
    let mut values = Vec::new();
    let mut v = from;
    while v <= to {
        if values.len() == MAX_VARIANTS {
            return Err(too_many());
        }
        values.push(v.normalize());
        v = v.checked_add(step).ok_or_else(usage)?;
    }
    let what = lhs.trim().to_string();
    // The form is checked once here, not once per value.
    let target = format!("{what}={from}").parse::<Override>()?.target();
    Ok(Sweep { what, target, values })
}

fn moved(u: &UnitChange) -> bool {
    u.scale.is_some() || u.total.is_some() || u.index.is_some() || u.rank.is_some()
}

/// `old → new`, or empty when the value did not move.
fn arrow<T: std::fmt::Display>(m: &Option<parindex::live::engine::Moved<T>>) -> String {
    m.as_ref().map_or(String::new(), |m| format!("{} → {}", m.old, m.new))
}

fn moved_json<T: serde::Serialize>(m: &Option<parindex::live::engine::Moved<T>>) -> Value {
    m.as_ref().map_or(Value::Null, |m| json!({ "old": m.old, "new": m.new }))
}

fn csv_text(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    w.into_inner().ok().and_then(|b| String::from_utf8(b).ok()).unwrap_or_default()
}

fn show_one(base: &Snapshot, c: &Changes, overrides: &[Override], format: Format) {
    let shown: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
    let units: Vec<&UnitChange> = c.units.iter().filter(|u| moved(u)).collect();
    match format {
        Format::Json => {
            let list: Vec<Value> = units
                .iter()
                .map(|u| {
                    json!({
                        "id": u.id, "name": u.name,
                        "scale": moved_json(&u.scale), "total": moved_json(&u.total),
                        "index": moved_json(&u.index), "rank": moved_json(&u.rank),
                    })
                })
                .collect();
            let v = json!({ "year": base.rule_set.model.year, "overrides": shown, "units": list, "changes": c });
            out!("{}", json_text(&v));
        }
        Format::Csv => {
            let rows = units.iter().map(|u| {
                let pair = |m: Option<(String, String)>| m.unwrap_or_default();
                let (so, sn) = pair(u.scale.as_ref().map(|m| (m.old.to_string(), m.new.to_string())));
                let (to, tn) = pair(u.total.as_ref().map(|m| (m.old.to_string(), m.new.to_string())));
                let (io, in_) = pair(u.index.as_ref().map(|m| (m.old.to_string(), m.new.to_string())));
                let (ro, rn) = pair(u.rank.as_ref().map(|m| (m.old.to_string(), m.new.to_string())));
                vec![u.id.to_string(), u.name.to_string(), so, sn, to, tn, io, in_, ro, rn]
            });
            let header =
                ["unit", "name", "scale_old", "scale_new", "total_old", "total_new", "index_old", "index_new", "rank_old", "rank_new"];
            out!("{}", csv_text(&header, rows));
        }
        Format::Table => {
            outln!("what if {}:", if shown.is_empty() { "nothing changed".to_string() } else { shown.join(", ") });
            if units.is_empty() {
                outln!("no unit's scale, total, index or rank moves");
                return;
            }
            let rows: Vec<Vec<String>> =
                units.iter().map(|u| vec![u.id.to_string(), arrow(&u.scale), arrow(&u.total), arrow(&u.index), arrow(&u.rank)]).collect();
            let header: Vec<String> = ["unit", "scale", "total", "index %", "rank"].iter().map(|s| s.to_string()).collect();
            out!("{}", align(&header, &rows));
            for a in &c.averages {
                outln!("average of {}: {}% → {}%", a.kind, a.index.old, a.index.new);
            }
        }
    }
}

/// Per unit of the base report: its rank, and its best and worst over the variants that evaluated.
fn rank_ranges(base: &Snapshot, results: &[Result<Changes, Diagnostics>]) -> Vec<(usize, u32, u32, u32)> {
    let mut range: Vec<(usize, u32, u32, u32)> = base.report.units.iter().map(|r| (r.unit, r.rank, r.rank, r.rank)).collect();
    let mut at = vec![usize::MAX; base.rule_set.model.units.len()];
    for (i, r) in base.report.units.iter().enumerate() {
        at[r.unit] = i;
    }
    let ids: std::collections::HashMap<&str, usize> =
        base.rule_set.model.units.iter().enumerate().map(|(i, u)| (u.id.as_str(), i)).collect();
    for c in results.iter().flatten() {
        for u in &c.units {
            if let (Some(m), Some(&i)) = (&u.rank, ids.get(u.id.as_str())) {
                let e = &mut range[at[i]];
                e.2 = e.2.min(m.new);
                e.3 = e.3.max(m.new);
            }
        }
    }
    range
}

fn first_error(d: &Diagnostics) -> String {
    d.0.iter().find(|d| d.severity == parindex::diag::Severity::Error).map_or_else(String::new, |d| d.message.clone())
}

fn show_sweep(base: &Snapshot, sweep: &Sweep, overrides: &[Override], results: &[Result<Changes, Diagnostics>], format: Format) {
    let model = &base.rule_set.model;
    let ranges = rank_ranges(base, results);
    let each = sweep.values.iter().zip(results).map(|(v, r)| (format!("{}={v}", sweep.what), v, r));
    let rank_moves = |c: &Changes| -> Vec<(String, u32, u32)> {
        c.units.iter().filter_map(|u| u.rank.as_ref().map(|m| (u.id.to_string(), m.old, m.new))).collect()
    };
    let group = |u: usize| model.groups[model.units[u].group].id.clone();
    match format {
        Format::Json => {
            let variants: Vec<Value> = each
                .map(|(o, v, r)| match r {
                    Ok(c) => json!({
                        "override": o, "value": text(*v),
                        "ranks": rank_moves(c).iter().map(|(id, a, b)| json!({ "id": id, "old": a, "new": b })).collect::<Vec<_>>(),
                    }),
                    Err(d) => json!({ "override": o, "value": text(*v), "error": first_error(d) }),
                })
                .collect();
            let units: Vec<Value> = ranges
                .iter()
                .map(|&(u, rank, best, worst)| {
                    let m = &model.units[u];
                    json!({ "id": m.id, "name": m.name, "group": group(u), "rank": rank, "best": best, "worst": worst })
                })
                .collect();
            let shown: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
            let v = json!({ "year": model.year, "overrides": shown, "vary": sweep.what, "variants": variants, "units": units });
            out!("{}", json_text(&v));
        }
        Format::Csv => {
            let mut rows = Vec::new();
            for (o, v, r) in each {
                match r {
                    Ok(c) => rows.extend(
                        rank_moves(c)
                            .into_iter()
                            .map(|(id, a, b)| vec![o.clone(), text(*v), id, a.to_string(), b.to_string(), String::new()]),
                    ),
                    Err(d) => rows.push(vec![o.clone(), text(*v), String::new(), String::new(), String::new(), first_error(d)]),
                }
            }
            out!("{}", csv_text(&["override", "value", "unit", "rank_old", "rank_new", "error"], rows));
        }
        Format::Table => {
            for (o, _, r) in each {
                match r {
                    Ok(c) => {
                        let list: Vec<String> = rank_moves(c).iter().map(|(id, a, b)| format!("{id} {a} → {b}")).collect();
                        outln!("{o}: {}", if list.is_empty() { "no rank moves".to_string() } else { list.join(", ") });
                    }
                    Err(d) => outln!("{o}: error: {}", first_error(d)),
                }
            }
            outln!();
            let header: Vec<String> = ["unit", "group", "rank", "best", "worst"].iter().map(|s| s.to_string()).collect();
            let rows: Vec<Vec<String>> = ranges
                .iter()
                .map(|&(u, r, b, w)| vec![model.units[u].id.to_string(), group(u), r.to_string(), b.to_string(), w.to_string()])
                .collect();
            out!("{}", align(&header, &rows));
        }
    }
}

fn show_robustness(s: &Snapshot, r: &Robustness, overrides: &[Override], format: Format) {
    let model = &s.rule_set.model;
    let (points, index) = (model.rounding.points, model.rounding.index);
    // In the report's order.
    let order: Vec<&parindex::live::variant::rounding::UnitBounds> = s.report.units.iter().map(|row| &r.units[row.unit]).collect();
    let id = |u: usize| model.units[u].id.to_string();
    let group = |g: usize| model.groups[g].id.clone();
    let can_change: Vec<String> = order.iter().filter(|b| b.rank_can_change()).map(|b| id(b.unit)).collect();
    match format {
        Format::Json => {
            let units: Vec<Value> = order
                .iter()
                .map(|b| {
                    json!({
                        "id": id(b.unit), "name": model.units[b.unit].name, "group": group(b.group),
                        "rank": b.rank, "best": b.best, "worst": b.worst, "rank_can_change": b.rank_can_change(),
                        "points": b.points, "scale": plain(b.scale),
                        "total": text(points.apply(b.total)), "total_low": text(points.apply(b.total_low)), "total_high": text(points.apply(b.total_high)),
                        "index_low": text(index.apply(b.index_low)), "index_high": text(index.apply(b.index_high)),
                        "exact": {
                            "total": plain(b.total), "total_low": plain(b.total_low), "total_high": plain(b.total_high),
                            "index_low": plain(b.index_low), "index_high": plain(b.index_high),
                        },
                    })
                })
                .collect();
            let pairs: Vec<Value> = r
                .pairs
                .iter()
                .map(|p| json!({ "group": group(p.group), "ahead": id(p.ahead), "behind": id(p.behind), "swap": p.swap }))
                .collect();
            let shown: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
            let v = json!({
                "year": model.year, "overrides": shown, "units": units, "pairs": pairs, "ranks_that_can_change": can_change,
            });
            out!("{}", json_text(&v));
        }
        Format::Csv => {
            let rows = order.iter().map(|b| {
                let with: Vec<String> = r
                    .pairs
                    .iter()
                    .filter_map(|p| match (p.ahead == b.unit, p.behind == b.unit) {
                        (true, _) => Some(id(p.behind)),
                        (_, true) => Some(id(p.ahead)),
                        _ => None,
                    })
                    .collect();
                vec![
                    id(b.unit),
                    group(b.group),
                    b.rank.to_string(),
                    b.best.to_string(),
                    b.worst.to_string(),
                    text(points.apply(b.total_low)),
                    text(points.apply(b.total_high)),
                    text(index.apply(b.index_low)),
                    text(index.apply(b.index_high)),
                    with.join(" "),
                ]
            });
            let header =
                ["unit", "group", "rank", "best", "worst", "total_low", "total_high", "index_low", "index_high", "order_decided_with"];
            out!("{}", csv_text(&header, rows));
        }
        Format::Table => {
            outln!("rounding robustness of {}: every council point within half a unit of its last printed decimal", model.year);
            let header: Vec<String> =
                ["unit", "group", "rank", "best", "worst", "total", "index %"].iter().map(|s| s.to_string()).collect();
            let rows: Vec<Vec<String>> = order
                .iter()
                .map(|b| {
                    vec![
                        id(b.unit),
                        group(b.group),
                        b.rank.to_string(),
                        b.best.to_string(),
                        b.worst.to_string(),
                        format!("{} .. {}", text(points.apply(b.total_low)), text(points.apply(b.total_high))),
                        format!("{} .. {}", text(index.apply(b.index_low)), text(index.apply(b.index_high))),
                    ]
                })
                .collect();
            out!("{}", align(&header, &rows));
            outln!();
            if r.pairs.is_empty() {
                outln!("no order is decided by rounding");
            } else {
                outln!("orders decided by rounding:");
                for p in &r.pairs {
                    let (a, b) = (&r.units[p.ahead], &r.units[p.behind]);
                    let how = if p.swap { "can swap" } else { "can tie" };
                    outln!("  {}: {} (rank {}) and {} (rank {}) {how}", group(p.group), id(p.ahead), a.rank, id(p.behind), b.rank);
                }
            }
            outln!("{} of {} ranks can change within the rounding", can_change.len(), order.len());
        }
    }
}
