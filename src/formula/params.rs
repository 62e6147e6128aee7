//! Params: the parameters a rule script declares, and the check of what
//! each criterion passes against them.
//!
//! A script declares each parameter on a comment line of its own, anywhere
//! before `fn score(x)` (usually in the opening comment):
//!
//! ```text
//! // param target: number > 0     the figure that earns the full maximum
//! // param bands: bands           [[threshold, share of the maximum], ...]
//! // param floor: share, optional the least share a unit keeps
//! ```
//!
//! `name: type`, optionally `, optional`, then any description. The types:
//! `number`, `number > 0`, `number >= 0`, `share` (a number from 0 to 1),
//! `bands` (`[[threshold, share], ...]` with thresholds strictly highest
//! first and shares from 0 to 1), `yes/no` and `text`. A script that
//! declares no parameter is not checked; once it declares one, a criterion
//! may pass only what it declares, and must pass every parameter not
//! marked optional.

use rhai::{Dynamic, Map};
use rust_decimal::Decimal;

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics, Location};
use crate::formula::rules::{to_decimal, CompiledScript};
use crate::input::model::Model;

/// What a parameter must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// Any number.
    Number,
    /// A number above 0 (a target, a divisor).
    Positive,
    /// A number of 0 or more.
    NonNegative,
    /// A number from 0 to 1: a share of the maximum.
    Share,
    /// `[[threshold, share], ...]`: thresholds strictly highest first,
    /// shares from 0 to 1.
    Bands,
    /// `true` or `false`.
    YesNo,
    /// Text.
    Text,
}

impl ParamType {
    /// The types as written in a declaration, longest first so that
    /// `number > 0` is not read as `number`.
    const WRITTEN: [(&'static str, ParamType); 7] = [
        ("number >= 0", ParamType::NonNegative),
        ("number > 0", ParamType::Positive),
        ("number", ParamType::Number),
        ("share", ParamType::Share),
        ("bands", ParamType::Bands),
        ("yes/no", ParamType::YesNo),
        ("text", ParamType::Text),
    ];

    fn written(self) -> &'static str {
        Self::WRITTEN.iter().find(|(_, t)| *t == self).map_or("number", |(w, _)| w)
    }
}

/// One declared parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: ParamType,
    pub optional: bool,
    /// The declaration's line in the script.
    pub line: usize,
}

/// Reads the `// param` lines of a script: an empty list when it declares
/// none; an error at the first line that is not a declaration it can read.
pub fn declared(path: &std::path::Path, text: &str) -> Result<Vec<Param>, Diagnostic> {
    let mut out: Vec<Param> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("//") else { continue };
        let Some(rest) = rest.trim_start().strip_prefix("param ") else { continue };
        let bad = |msg: String| {
            Diagnostic::error(Code::ScriptCompile, msg)
                .at(Location::at(path, i + 1, 1))
                .help("write `// param <name>: <type>` with a type of: number, number > 0, number >= 0, share, bands, yes/no, text")
        };
        let Some((name, spec)) = rest.split_once(':') else {
            return Err(bad(format!("parameter declaration `{}` has no `:` before its type", rest.trim())));
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(bad(format!("`{name}` is not a parameter name (letters, digits and `_`)")));
        }
        let spec = spec.trim_start();
        let Some((written, ty)) = ParamType::WRITTEN.iter().find(|(w, _)| spec.starts_with(w)) else {
            return Err(bad(format!("parameter `{name}` has an unknown type `{}`", spec.split_whitespace().next().unwrap_or(""))));
        };
        let after = spec[written.len()..].trim_start();
        let optional = after.strip_prefix(',').map(str::trim_start).is_some_and(|a| a.starts_with("optional"));
        if out.iter().any(|p| p.name == name) {
            return Err(bad(format!("parameter `{name}` is declared twice")));
        }
        out.push(Param { name: name.to_string(), ty: *ty, optional, line: i + 1 });
    }
    Ok(out)
}

/// Every problem with the `params` a criterion passes to a rule declaring
/// `declared`: one message each, lowercase, names in backticks, with the
/// "did you mean" of a misspelt name.
pub fn check(declared: &[Param], params: &Map) -> Vec<(String, Option<String>)> {
    let mut problems = Vec::new();
    if declared.is_empty() {
        return problems;
    }
    let names = || declared.iter().map(|p| p.name.as_str());
    for key in params.keys() {
        if !declared.iter().any(|p| p.name == key.as_str()) {
            let help = match did_you_mean(key, names()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("the rule takes: {}", names().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")),
            };
            problems.push((format!("unknown parameter `{key}`"), Some(help)));
        }
    }
    for p in declared {
        match params.get(p.name.as_str()) {
            None if p.optional => {}
            None => {
                // A misspelt name was reported as unknown, with this one suggested.
                let misspelt = params.keys().any(|k| !names().any(|n| n == k.as_str()) && did_you_mean(k, names()) == Some(&p.name));
                if !misspelt {
                    let help = format!("add `{} = ...` ({}) to the criterion's `params`", p.name, p.ty.written());
                    problems.push((format!("missing parameter `{}`", p.name), Some(help)));
                }
            }
            Some(v) => {
                if let Err(m) = value(p.ty, v) {
                    problems.push((format!("parameter `{}` {m}", p.name), None));
                }
            }
        }
    }
    problems
}

/// Checks the `params` of every rule leaf of `model` against what its
/// script declares: each problem is reported at the criterion, with its
/// line of the tree file (`text` gives a file's text) shown.
pub fn check_criteria<'t>(model: &Model, scripts: &[CompiledScript], text: impl Fn(&std::path::Path) -> Option<&'t str>) -> Diagnostics {
    let mut diags = Diagnostics::default();
    if scripts.len() != model.scripts.len() {
        // A script did not compile: that is reported, and indices would not match.
        return diags;
    }
    for n in &model.nodes {
        let Some(rule) = &n.rule else { continue };
        let Some(script) = scripts.get(rule.script) else { continue };
        for (message, help) in check(&script.params, &rule.params) {
            let mut d = param_error(&n.id, &script.name, &message, help, &n.location);
            if let (Some(line), Some(source)) = (n.location.line, text(&n.location.file)) {
                d.source_line = source.lines().nth(line.saturating_sub(1)).map(str::to_owned);
            }
            diags.push(d);
        }
    }
    diags
}

fn param_error(criterion: &str, rule: &str, message: &str, help: Option<String>, at: &Location) -> Diagnostic {
    let d = Diagnostic::error(Code::RuleParam, format!("criterion `{criterion}`, rule `{rule}`: {message}"))
        .at(at.clone())
        .criterion(criterion);
    match help {
        Some(h) => d.help(h),
        None => d.help(format!("the parameters `{rule}` takes are declared by the `// param` lines of its script")),
    }
}

fn number(v: &Dynamic) -> Result<Decimal, String> {
    match to_decimal(v) {
        Some(d) if !v.is_bool() => Ok(d),
        _ => Err(format!("must be a number, not {}", shown_type(v))),
    }
}

fn shown_type(v: &Dynamic) -> &'static str {
    if v.is_bool() {
        "yes/no"
    } else if v.is_string() {
        "text"
    } else if v.is_array() {
        "a list"
    } else if v.is_map() {
        "a table"
    } else {
        "a number"
    }
}

fn share(d: Decimal) -> bool {
    d >= Decimal::ZERO && d <= Decimal::ONE
}

fn value(ty: ParamType, v: &Dynamic) -> Result<(), String> {
    match ty {
        ParamType::Number => number(v).map(drop),
        ParamType::Positive => match number(v)? {
            d if d > Decimal::ZERO => Ok(()),
            d => Err(format!("must be above 0, not {d}")),
        },
        ParamType::NonNegative => match number(v)? {
            d if d >= Decimal::ZERO => Ok(()),
            d => Err(format!("must be 0 or more, not {d}")),
        },
        ParamType::Share => match number(v)? {
            d if share(d) => Ok(()),
            d => Err(format!("is a share of the maximum: from 0 to 1, not {d}")),
        },
        ParamType::YesNo if v.is_bool() => Ok(()),
        ParamType::YesNo => Err(format!("must be true or false, not {}", shown_type(v))),
        ParamType::Text if v.is_string() => Ok(()),
        ParamType::Text => Err(format!("must be text, not {}", shown_type(v))),
        ParamType::Bands => bands(v),
    }
}

/// `[[threshold, share], ...]`, thresholds strictly highest first, shares 0 to 1.
fn bands(v: &Dynamic) -> Result<(), String> {
    let Some(list) = v.read_lock::<rhai::Array>() else {
        return Err(format!("must be a list of bands [[threshold, share], ...], not {}", shown_type(v)));
    };
    if list.is_empty() {
        return Err("has no band".into());
    }
    let mut previous: Option<Decimal> = None;
    for (i, band) in list.iter().enumerate() {
        let n = i + 1;
        let pair = band.read_lock::<rhai::Array>().filter(|p| p.len() == 2).map(|p| (number(&p[0]), number(&p[1])));
        let (t, s) = match pair {
            Some((Ok(t), Ok(s))) => (t, s),
            _ => return Err(format!("band {n} must be [threshold, share] of two numbers")),
        };
        if !share(s) {
            return Err(format!("band {n} gives a share of {s}: shares of the maximum lie from 0 to 1"));
        }
        if let Some(p) = previous.filter(|p| t >= *p) {
            return Err(format!("band {n} has threshold {t} after {p}: bands go from the highest threshold down"));
        }
        previous = Some(t);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn decls() -> Vec<Param> {
        declared(
            std::path::Path::new("rules/t.rhai"),
            "// Some rule.\n// param target: number > 0   the target\n// param bands: bands\n// param floor: share, optional  a floor\n",
        )
        .unwrap()
    }

    fn map(pairs: Vec<(&str, Dynamic)>) -> Map {
        pairs.into_iter().map(|(k, v)| (k.into(), v)).collect()
    }

    fn d(v: Decimal) -> Dynamic {
        Dynamic::from_decimal(v)
    }

    fn bands(pairs: &[(Decimal, Decimal)]) -> Dynamic {
        Dynamic::from_array(pairs.iter().map(|(t, s)| Dynamic::from_array(vec![d(*t), d(*s)])).collect())
    }

    #[test]
    fn declarations_are_read_with_types_and_lines() {
        let p = decls();
        assert_eq!(
            p.iter().map(|p| (p.name.as_str(), p.ty, p.optional, p.line)).collect::<Vec<_>>(),
            [("target", ParamType::Positive, false, 2), ("bands", ParamType::Bands, false, 3), ("floor", ParamType::Share, true, 4)]
        );
        let path = std::path::Path::new("rules/t.rhai");
        let e = declared(path, "\n// param target: money\n").unwrap_err();
        assert_eq!((e.code, e.location.and_then(|l| l.line)), (Code::ScriptCompile, Some(2)));
        assert!(declared(path, "// param a: number\n// param a: share\n").is_err());
        assert!(declared(path, "// params: target  old style, not a declaration\n").unwrap().is_empty());
    }

    #[test]
    fn what_a_criterion_passes_is_checked() {
        let good = map(vec![("target", d(dec!(30))), ("bands", bands(&[(dec!(98), dec!(1)), (dec!(95), dec!(0.75))]))]);
        assert!(check(&decls(), &good).is_empty());
        let cases: Vec<(Map, &str)> = vec![
            (map(vec![("target", d(dec!(30))), ("bandz", bands(&[(dec!(1), dec!(1))]))]), "unknown parameter `bandz`"),
            (map(vec![("bands", bands(&[(dec!(1), dec!(1))]))]), "missing parameter `target`"),
            (map(vec![("target", d(dec!(-3))), ("bands", bands(&[(dec!(1), dec!(1))]))]), "must be above 0"),
            (map(vec![("target", Dynamic::from("30")), ("bands", bands(&[(dec!(1), dec!(1))]))]), "must be a number"),
            (map(vec![("target", d(dec!(3))), ("bands", bands(&[(dec!(90), dec!(0.5)), (dec!(95), dec!(1))]))]), "highest"),
            (map(vec![("target", d(dec!(3))), ("bands", bands(&[(dec!(90), dec!(0.5)), (dec!(90), dec!(0.2))]))]), "highest"),
            (map(vec![("target", d(dec!(3))), ("bands", bands(&[(dec!(90), dec!(1.5))]))]), "from 0 to 1"),
            (map(vec![("target", d(dec!(3))), ("bands", bands(&[])), ("floor", d(dec!(0.5)))]), "no band"),
            (map(vec![("target", d(dec!(3))), ("bands", bands(&[(dec!(1), dec!(1))])), ("floor", d(dec!(2)))]), "from 0 to 1"),
        ];
        for (params, want) in cases {
            let got = check(&decls(), &params);
            assert_eq!(got.len(), 1, "{want}: {got:?}");
            assert!(got[0].0.contains(want), "{want}: {got:?}");
        }
        let misspelt = check(&decls(), &map(vec![("target", d(dec!(30))), ("bandz", bands(&[(dec!(1), dec!(1))]))]));
        assert_eq!(misspelt[0].1.as_deref(), Some("did you mean `bands`?"));
        assert!(check(&[], &map(vec![("anything", d(dec!(1)))])).is_empty(), "a script declaring nothing is not checked");
    }
}
