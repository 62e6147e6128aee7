//! The places the problems of evaluation point at: what evaluation builds
//! its diagnostics with, so each names the line it is about.
//!
//! Points out of range are at the awarded entry of `scores.toml` (its
//! location carries the span); a rule's points out of range at its
//! criterion; missing data at the criterion's input in the tree file, with a
//! label at the data file; a script's failure at its position in the script,
//! with a label at the criterion that calls it.

use std::path::Path;

use crate::diag::{Diagnostic, Location};
use crate::formula::rules::CompiledScript;
use crate::input::model::Node;
use crate::score::eval::rule_input;
use crate::score::ruleset::RuleSet;

use rust_decimal::Decimal;

/// Missing data for input `key` of rule leaf `node`: at the input in the
/// tree file, with a label at the file that should hold the value.
pub fn missing_data(rs: &RuleSet, node: &Node, key: &str, d: Diagnostic) -> Diagnostic {
    let at = node.rule.as_ref().and_then(|r| r.input_location(key)).unwrap_or(&node.location);
    let d = d.at(at.clone());
    if let Some(col) = rs.indicators.column(key) {
        let file = col.file();
        let file = file.strip_prefix(&rs.root).unwrap_or(file);
        return d.label_at(Location::file(file), format!("table `{}` has no value of `{key}` for this unit", col.meta().table));
    }
    let facts = Path::new("fixtures").join(rs.data_year().to_string()).join("facts.toml");
    if rs.sources.contains(&facts) {
        return d.label_at(Location::file(facts), format!("no `{key}` for this unit"));
    }
    d
}

/// A script's failure for rule leaf `node`: with a label at the criterion
/// that calls the script, and at the script's `fn score` when the failure
/// has no position of its own.
pub fn called_by(rs: &RuleSet, d: Diagnostic, node: &Node) -> Diagnostic {
    let d = match d.location.as_ref().filter(|l| l.line.is_none()).map(|l| l.file.clone()) {
        Some(file) => at_score_fn(rs, &file, d),
        None => d,
    };
    match &node.rule {
        Some(r) => d.label_at(r.rule_at.clone(), format!("criterion `{}` calls this rule", node.id)),
        None => d.label_at(node.location.clone(), format!("criterion `{}`", node.id)),
    }
}

/// A failure of `script` run natively for `(leaf, unit, max)`, which has
/// no position of its own: at the place rhai gives for the same failure
/// when the unit is run through the script, else at its `fn score`. The
/// message stays the native one, so the failures of all units read alike.
pub fn native_failure(rs: &RuleSet, (leaf, unit, max): (usize, usize, Decimal), script: &CompiledScript, d: Diagnostic) -> Diagnostic {
    let rhai_at = rule_input(&rs.model, &rs.data, leaf, unit, max)
        .ok()
        .and_then(|x| rs.rules.call(script, x).err())
        .and_then(|e| e.location.filter(|l| l.line.is_some()));
    match rhai_at {
        Some(at) => d.at(at),
        None => in_script(rs, script, d),
    }
}

/// A failure of `script` with no position of its own: at its `fn score`.
pub fn in_script(rs: &RuleSet, script: &CompiledScript, d: Diagnostic) -> Diagnostic {
    at_score_fn(rs, &script.path, d)
}

/// `d` at the `fn score` of the script `path` as read, else at the file.
fn at_score_fn(rs: &RuleSet, path: &Path, d: Diagnostic) -> Diagnostic {
    let Some(file) = rs.sources.file(path) else { return d.at(Location::file(path)) };
    match file.text.find("fn score") {
        Some(at) => d.in_source(file, at..at + "fn score".len()),
        None => d.at(Location::file(path)),
    }
}
