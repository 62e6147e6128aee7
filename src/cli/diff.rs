//! `parindex diff`: what changed between two years' rule sets.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use parindex::diag::Diagnostics;
use parindex::formula::rules::Rules;
use parindex::lang::Text;
use parindex::score::ruleset::RuleSet;

use super::*;

pub(crate) fn diff(root: &Path, from: u16, to: u16, data: Option<u16>, format: DiagFormat) -> ExitCode {
    let rules = Rules::default();
    let (a, b) = match (RuleSet::load(root, from, &rules), RuleSet::load(root, to, &rules)) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            for (y, r) in [(from, a.err()), (to, b.err())] {
                if let Some(d) = r {
                    match text_lang() {
                        Lang::En => eoutln!("the rule set of {y} has errors:"),
                        lang => eoutln!("{} {y} {}:", Text::DiffRuleSets.get(lang), Text::RuleSetHasErrors.get(lang)),
                    }
                    print_diags(&d, DiagFormat::Text);
                }
            }
            return ExitCode::FAILURE;
        }
    };
    let (ta, _) = parindex::input::targets::load_targets(root, from);
    let (tb, _) = parindex::input::targets::load_targets(root, to);
    let d = parindex::audit::diff::diff(&a, &b, &ta, &tb);
    let side = data.map(|y| side_by_side(root, from, to, y, text_lang()));
    match format {
        DiagFormat::Text => {
            match text_lang() {
                Lang::En => out!("{}", d.to_text()),
                lang => out!("{}", diff_text(&serde_json::to_value(&d).unwrap_or_default(), lang)),
            }
            if let Some(text) = &side {
                out!("\n{}", text.0);
            }
        }
        DiagFormat::Json => {
            let mut v = serde_json::to_value(&d).unwrap_or_default();
            if let Some(text) = &side {
                v["data"] = text.1.clone();
            }
            out!("{}", json_text(&v));
        }
    }
    // The data asked for but not scored: the diff is shown, the errors after it, exit 1.
    if let Some((_, _, Some(diags))) = &side {
        print_diags(diags, DiagFormat::Text);
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// A rule-set diff as text in `lang`, from its JSON: every list of changes it holds, titled.
fn diff_text(d: &serde_json::Value, lang: Lang) -> String {
    use std::fmt::Write as _;
    let mut out = format!("{} {} → {}\n", Text::DiffRuleSets.get(lang), d["from"], d["to"]);
    let mut any = false;
    for (key, list) in d.as_object().into_iter().flatten().filter_map(|(k, v)| v.as_array().map(|a| (k, a))) {
        if list.is_empty() {
            continue;
        }
        any = true;
        let _ = writeln!(out, "\n{} ({}):", parindex::lang::diff_section(key, lang), list.len());
        for c in list {
            let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
            let _ = writeln!(out, "  {}: {} → {}", what_in(&s("what"), lang), s("before"), s("after"));
        }
    }
    if !any {
        let _ = writeln!(out, "{}", Text::DiffNoDifferences.get(lang));
    }
    out
}

/// What a change is about (`criterion 3.5 rule`), in `lang`; ids stay as written.
fn what_in(what: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return what.to_string();
    }
    let mut s = what.to_string();
    for (en, vi) in [
        ("criterion ", "tiêu chí "),
        ("rounding ", "làm tròn "),
        ("exemption ", "miễn đánh giá "),
        ("target ", "chỉ tiêu "),
        ("unit ", "đơn vị "),
    ] {
        if let Some(rest) = s.strip_prefix(en) {
            s = format!("{vi}{rest}");
        }
    }
    for (en, vi) in
        [(" legal basis", " căn cứ"), (" params", " tham số"), (" inputs", " dữ liệu vào"), (" rule", " quy tắc"), (" part", " phần")]
    {
        if let Some(head) = s.strip_suffix(en) {
            s = format!("{head}{vi}");
        }
    }
    s
}

/// One year's units scored under two rule sets: the text (in `lang`), the
/// JSON, and the errors when either could not score them.
fn side_by_side(root: &Path, from: u16, to: u16, data: u16, lang: Lang) -> (String, serde_json::Value, Option<Diagnostics>) {
    let vi = lang == Lang::Vi;
    let w = |en: &'static str, v: &'static str| if vi { v } else { en };
    let mut text = if vi {
        format!("các đơn vị năm {data} chấm theo bộ tiêu chí {from} và {to}:\n")
    } else {
        format!("units of {data} scored under the rule sets of {from} and {to}:\n")
    };
    let (a, b) = (load_with(root, from, data), load_with(root, to, data));
    let fail = |y: u16, d: &Diagnostics| {
        let units: std::collections::BTreeSet<&str> = d.errors().filter_map(|e| e.unit.as_deref()).collect();
        format!(
            "  the data of {data} cannot be scored under the rule set of {y}: {} errors{}; first: {}\n",
            d.errors().count(),
            if units.is_empty() { String::new() } else { format!(" for {} units", units.len()) },
            d.errors().next().map(|e| e.message.clone()).unwrap_or_default()
        )
    };
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            let mut all = Diagnostics::default();
            for (y, r) in [(from, a), (to, b)] {
                if let Err(d) = r {
                    text.push_str(&fail(y, &d));
                    // The same data fail both rule sets alike: each problem once.
                    for e in d.0 {
                        if !all.0.contains(&e) {
                            all.push(e);
                        }
                    }
                }
            }
            return (text.clone(), serde_json::json!({ "year": data, "error": text }), Some(all));
        }
    };
    let b_rows: std::collections::HashMap<&str, &parindex::report::UnitRow> = b.report.units.iter().map(|u| (u.id.as_str(), u)).collect();
    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    let mut moves = Vec::new();
    for ua in &a.report.units {
        let Some(ub) = b_rows.get(ua.id.as_str()) else { continue };
        let moved = i64::from(ua.rank) - i64::from(ub.rank);
        let (adj_a, adj_b) = (a.outcome.units[ua.unit].adjusted, b.outcome.units[ub.unit].adjusted);
        rows.push(vec![
            ua.id.to_string(),
            ua.scale.to_string(),
            ua.index.to_string(),
            ua.rank.to_string(),
            adj_a.to_string(),
            ub.scale.to_string(),
            ub.index.to_string(),
            ub.rank.to_string(),
            adj_b.to_string(),
            format!("{moved:+}"),
        ]);
        if moved != 0 {
            moves.push((
                format!("  {} ({}): {} {} → {} ({moved:+})\n", ua.id, ua.name, w("rank", "thứ hạng"), ua.rank, ub.rank),
                ua.id.to_string(),
            ));
        }
        json_rows.push(serde_json::json!({
            "id": ua.id,
            "from": { "group": ua.group, "total": ua.total, "scale": ua.scale, "index": ua.index, "rank": ua.rank, "adjusted": adj_a },
            "to": { "group": ub.group, "total": ub.total, "scale": ub.scale, "index": ub.index, "rank": ub.rank, "adjusted": adj_b },
            "rank_move": moved,
        }));
    }
    let (scale, index, rank, adj) = (w("scale", "thang điểm"), w("index", "chỉ số"), w("rank", "thứ hạng"), w("adj.", "đ.chỉnh"));
    let header: Vec<String> = vec![
        w("unit", "đơn vị").into(),
        format!("{scale} {from}"),
        format!("{index} {from}"),
        format!("{rank} {from}"),
        adj.into(),
        format!("{scale} {to}"),
        format!("{index} {to}"),
        format!("{rank} {to}"),
        adj.into(),
        w("rank move", "đổi hạng").into(),
    ];
    text.push_str(&parindex::report::align(&header, &rows));
    text.push_str(w(
        "ranks are within each year's ranking groups; adj.: what-if adjustments, i.e. criteria the data have nothing for \
         (left out of the unit's scale) and awarded points capped at a lower maximum\n",
        "thứ hạng xếp trong từng nhóm của mỗi năm; đ.chỉnh: số điều chỉnh giả định, tức các tiêu chí không có số liệu \
         (bỏ khỏi thang điểm của đơn vị) và điểm chấm vượt điểm tối đa mới được hạ xuống\n",
    ));
    if moves.is_empty() {
        text.push_str(w("no unit's rank moves\n", "không đơn vị nào đổi hạng\n"));
    } else {
        let _ = writeln!(text, "\n{} ({}):", w("units whose rank moves", "các đơn vị đổi hạng"), moves.len());
        for (line, _) in &moves {
            text.push_str(line);
        }
    }
    let moved: Vec<String> = moves.into_iter().map(|(_, id)| id).collect();
    (text, serde_json::json!({ "year": data, "units": json_rows, "rank_moves": moved }), None)
}
