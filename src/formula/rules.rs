//! Rules: the one rhai engine, its limits, the helper library, and compiled scripts.
//!
//! A rule script defines `fn score(x)`: `x` is a map holding the leaf's
//! inputs (from the unit's data), its `params`, and `max` (the leaf's maximum
//! for the unit's kind). It returns the points. Numbers are
//! `rust_decimal::Decimal` (literals such as `0.95` are decimals), so a
//! script computes exactly.
//!
//! Scripts are compiled once per load into [`CompiledScript`]s and evaluated
//! many times. The helper library gives the common rule shapes names a
//! non-programmer can read: `tiers`, `proportional`, `checklist`, `on_time`,
//! `deduct`, `ratio`, `percent`, `clamp`.

use std::path::PathBuf;
use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, Position, AST};
use rust_decimal::Decimal;

use crate::diag::{Code, Diagnostic, Location};
use crate::input::load::Source;

/// Every limit a rule script runs under, applied to the one shared engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Operations one call of `score` may run before it is stopped: a script
    /// that loops forever fails with a clear error instead of hanging.
    /// Default 100,000 (a typical rule takes under 100).
    pub max_operations: u64,
    /// Nesting of function calls. Default 16.
    pub max_call_levels: usize,
    /// Nesting of expressions, at compile time. Default 64.
    pub max_expr_depth: usize,
    /// Length of a string, in bytes. Default 4,096.
    pub max_string_size: usize,
    /// Length of an array. Default 1,024.
    pub max_array_size: usize,
    /// Entries of an object map. Default 256.
    pub max_map_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 100_000,
            max_call_levels: 16,
            max_expr_depth: 64,
            max_string_size: 4_096,
            max_array_size: 1_024,
            max_map_size: 256,
        }
    }
}

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

fn rt_err<T>(msg: impl Into<String>) -> RhaiResult<T> {
    Err(Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(msg.into()), Position::NONE)))
}

/// A number from a script value: a decimal, an integer, or a boolean (1/0).
pub fn to_decimal(d: &Dynamic) -> Option<Decimal> {
    if let Ok(v) = d.as_decimal() {
        return Some(v);
    }
    if let Ok(v) = d.as_int() {
        return Some(Decimal::from(v));
    }
    d.as_bool().ok().map(|b| if b { Decimal::ONE } else { Decimal::ZERO })
}

/// A number argument of a helper; a boolean is not one (as for `+` and `*`).
fn num(d: &Dynamic, what: &str) -> RhaiResult<Decimal> {
    match to_decimal(d) {
        Some(v) if !d.is_bool() => Ok(v),
        _ => rt_err(format!("{what} must be a number, not {}", d.type_name())),
    }
}

/// An arithmetic overflow, as rhai reports its own.
fn overflow<T>() -> RhaiResult<T> {
    Err(Box::new(EvalAltResult::ErrorArithmetic("arithmetic overflow".into(), Position::NONE)))
}

fn checked(r: Option<Decimal>) -> RhaiResult<Decimal> {
    r.map_or_else(overflow, Ok)
}

fn truthy(d: &Dynamic) -> bool {
    if let Ok(b) = d.as_bool() {
        return b;
    }
    to_decimal(d).is_some_and(|v| !v.is_zero())
}

fn div(a: Decimal, b: Decimal) -> RhaiResult<Decimal> {
    if b.is_zero() {
        return Err(Box::new(EvalAltResult::ErrorArithmetic("division by zero".into(), Position::NONE)));
    }
    checked(a.checked_div(b))
}

/// `tiers(value, bands)`: the points of the first band whose threshold the
/// value reaches; bands are `[[threshold, points], ...]` from the highest.
pub fn tiers(value: Decimal, bands: &Array, otherwise: Decimal) -> RhaiResult<Decimal> {
    for band in bands {
        let Some(pair) = band.read_lock::<Array>() else {
            return rt_err("each band of `tiers` must be [threshold, points]");
        };
        if pair.len() != 2 {
            return rt_err("each band of `tiers` must be [threshold, points]");
        }
        if value >= num(&pair[0], "a threshold of `tiers`")? {
            return num(&pair[1], "the points of `tiers`");
        }
    }
    Ok(otherwise)
}

/// `proportional(value, target, max)`: `max` times value/target, capped at
/// `max` and never below 0.
pub fn proportional(value: Decimal, target: Decimal, max: Decimal) -> RhaiResult<Decimal> {
    let share = div(value, target)?.min(Decimal::ONE).max(Decimal::ZERO);
    checked(share.checked_mul(max))
}

/// `deduct(max, per_item, count, floor)`: `max` less `per_item` for each
/// counted item, never below `floor`.
pub fn deduct(max: Decimal, per: Decimal, count: Decimal, floor: Decimal) -> RhaiResult<Decimal> {
    Ok(checked(max.checked_sub(checked(per.checked_mul(count))?))?.max(floor))
}

/// `percent(part, whole)`: `part / whole × 100`.
pub fn percent(part: Decimal, whole: Decimal) -> RhaiResult<Decimal> {
    checked(div(part, whole)?.checked_mul(Decimal::ONE_HUNDRED))
}

/// `checklist(items, each)`: `each` for every item done (true or not 0).
pub fn checklist(items: &Array, each: Decimal) -> RhaiResult<Decimal> {
    checked(Decimal::from(items.iter().filter(|i| truthy(i)).count()).checked_mul(each))
}

/// `clamp(value, low, high)`: `value`, raised to `low` and lowered to `high`.
pub fn clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal {
    value.max(low).min(high)
}

/// `on_time(status, full, late)`: `full` for "on_time" (đúng hạn), `late` for
/// "late" (trễ hạn), 0 for "missing" (không thực hiện).
pub fn on_time(status: &str, full: Decimal, late: Decimal) -> RhaiResult<Decimal> {
    match status.trim().to_lowercase().as_str() {
        "on_time" | "đúng hạn" => Ok(full),
        "late" | "trễ hạn" | "chậm" => Ok(late),
        "missing" | "không" | "không thực hiện" => Ok(Decimal::ZERO),
        other => rt_err(format!("`on_time` expects \"on_time\", \"late\" or \"missing\", not \"{other}\"")),
    }
}

fn register_helpers(engine: &mut Engine) {
    use crate::formula::compile::{count_sym, mul_sym, trace_call, trace_count, trace_tiers};
    type R = RhaiResult<Dynamic>;
    let dec = |r: RhaiResult<Decimal>| r.map(Dynamic::from_decimal);
    engine.register_fn("tiers", move |v: Dynamic, bands: Array| -> R {
        if let Some(t) = trace_tiers(&v, &bands, &Dynamic::from_decimal(Decimal::ZERO)) {
            return t;
        }
        dec(tiers(num(&v, "the value of `tiers`")?, &bands, Decimal::ZERO))
    });
    engine.register_fn("tiers", move |v: Dynamic, bands: Array, otherwise: Dynamic| -> R {
        if let Some(t) = trace_tiers(&v, &bands, &otherwise) {
            return t;
        }
        dec(tiers(num(&v, "the value of `tiers`")?, &bands, num(&otherwise, "the otherwise of `tiers`")?))
    });
    engine.register_fn("proportional", move |v: Dynamic, t: Dynamic, m: Dynamic| -> R {
        if let Some(r) = trace_call("proportional", &[&v, &t, &m]) {
            return r;
        }
        dec(proportional(num(&v, "value")?, num(&t, "target")?, num(&m, "max")?))
    });
    engine.register_fn("ratio", move |a: Dynamic, b: Dynamic| -> R {
        if let Some(r) = trace_call("ratio", &[&a, &b]) {
            return r;
        }
        dec(div(num(&a, "part")?, num(&b, "whole")?))
    });
    engine.register_fn("percent", move |a: Dynamic, b: Dynamic| -> R {
        if let Some(r) = trace_call("percent", &[&a, &b]) {
            return r;
        }
        dec(percent(num(&a, "part")?, num(&b, "whole")?))
    });
    engine.register_fn("checklist", move |items: Array, each: Dynamic| -> R {
        if let Some(e) = trace_count(&items) {
            return mul_sym(e?, &each);
        }
        if each.is::<crate::formula::compile::Sym>() {
            let done = items.iter().filter(|i| truthy(i)).count();
            return mul_sym(crate::formula::compile::Expr::Const(Decimal::from(done)), &each);
        }
        dec(checklist(&items, num(&each, "the points of each item")?))
    });
    engine.register_fn("count", |items: Array| -> R {
        if let Some(e) = trace_count(&items) {
            return e.map(count_sym);
        }
        Ok(Dynamic::from_decimal(Decimal::from(items.iter().filter(|i| truthy(i)).count())))
    });
    engine.register_fn("on_time", |s: &str, full: Dynamic, late: Dynamic| -> RhaiResult<Decimal> {
        on_time(s, num(&full, "full")?, num(&late, "late")?)
    });
    engine.register_fn("deduct", move |m: Dynamic, per: Dynamic, count: Dynamic, floor: Dynamic| -> R {
        if let Some(r) = trace_call("deduct", &[&m, &per, &count, &floor]) {
            return r;
        }
        dec(deduct(num(&m, "max")?, num(&per, "per item")?, num(&count, "count")?, num(&floor, "floor")?))
    });
    engine.register_fn("clamp", move |v: Dynamic, lo: Dynamic, hi: Dynamic| -> R {
        if let Some(r) = trace_call("clamp", &[&v, &lo, &hi]) {
            return r;
        }
        dec(Ok(clamp(num(&v, "value")?, num(&lo, "low")?, num(&hi, "high")?)))
    });
}

/// Keywords a rule may not use: each would run code from outside the file
/// (`import`) or from text (`eval`), which no fingerprint or watcher sees.
const REFUSED: &[&str] = &["import", "eval"];

/// Builds the shared engine: limits applied, helpers registered, nothing printed.
pub fn build_engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_levels);
    engine.set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth);
    engine.set_max_string_size(limits.max_string_size);
    engine.set_max_array_size(limits.max_array_size);
    engine.set_max_map_size(limits.max_map_size);
    engine.set_strict_variables(true);
    // A rule reads nothing but its own file: no modules, no `eval` of text.
    engine.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    for word in REFUSED {
        engine.disable_symbol(*word);
    }
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    register_helpers(&mut engine);
    crate::formula::compile::register_tracing(&mut engine);
    engine
}

/// The shared engine with its limits.
#[derive(Clone)]
pub struct Rules {
    pub engine: Arc<Engine>,
    pub limits: Limits,
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules::new(Limits::default())
    }
}

/// One script compiled: its AST, ready to be called many times.
#[derive(Debug, Clone)]
pub struct CompiledScript {
    pub name: String,
    pub path: PathBuf,
    pub ast: Arc<AST>,
    /// The parameters it declares (`// param` lines); empty when it declares none.
    pub params: Vec<crate::formula::params::Param>,
}

/// A rule's arithmetic went beyond the range of decimals; the caller places
/// it at the criterion and unit, as the native evaluator does.
pub fn overflow_error(rule: &str) -> Diagnostic {
    Diagnostic::error(Code::ScriptOverflow, format!("rule `{rule}` overflows: a number beyond the range of decimals"))
        .help("check the unit's data for a misplaced digit or a wrong unit of measure")
}

/// A rule script uses `import` or `eval`.
fn refused(name: &str, word: &str) -> Diagnostic {
    Diagnostic::error(Code::ScriptImport, format!("rule script `{name}` uses `{word}`: a rule may use only its own file"))
        .help("copy the function into the script; every formula a year uses lives in its own rule script")
}

/// Where in a script a runtime error happened, when rhai knows.
fn position_location(path: &std::path::Path, pos: Position) -> Location {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => Location::at(path, l, c),
        (Some(l), None) => Location { line: Some(l), column: None, ..Location::file(path) },
        _ => Location::file(path),
    }
}

impl Rules {
    pub fn new(limits: Limits) -> Self {
        Rules { engine: Arc::new(build_engine(&limits)), limits }
    }

    /// Compiles one script; it must define `fn score(x)`.
    pub fn compile(&self, name: &str, src: &Source) -> Result<CompiledScript, Diagnostic> {
        let ast = self.engine.compile(&src.text).map_err(|e| {
            let pos = e.position();
            let mut d = match e.err_type() {
                rhai::ParseErrorType::Reserved(word) | rhai::ParseErrorType::BadInput(rhai::LexError::ImproperSymbol(word, _))
                    if REFUSED.contains(&word.as_str()) =>
                {
                    refused(name, word)
                }
                other => Diagnostic::error(Code::ScriptCompile, format!("rule script `{name}` does not compile: {other}")),
            };
            d = match (pos.line(), pos.position()) {
                (Some(l), Some(c)) => {
                    d.source_line = src.text.lines().nth(l - 1).map(str::to_owned);
                    d.at(Location::at(&src.path, l, c))
                }
                _ => d.in_file(&src.path),
            };
            d
        })?;
        if !ast.iter_functions().any(|f| f.name == "score" && f.params.len() == 1) {
            return Err(Diagnostic::error(Code::ScriptCompile, format!("rule script `{name}` defines no `fn score(x)`"))
                .in_file(&src.path)
                .help("a rule script defines `fn score(x) { ... }` and returns the points"));
        }
        let params = crate::formula::params::declared(&src.path, &src.text)?;
        Ok(CompiledScript { name: name.to_string(), path: src.path.clone(), ast: Arc::new(ast), params })
    }

    /// Traces `score(x)` for a leaf with `inputs` (in slot order, then `max`)
    /// and constant `params`: a native program when the formula can be compiled.
    pub fn trace(&self, script: &CompiledScript, inputs: &[String], params: &rhai::Map) -> crate::formula::compile::Plan {
        use crate::formula::compile::{Expr, Plan, Program, Sym};
        let mut x = params.clone();
        for (i, name) in inputs.iter().enumerate() {
            x.insert(name.as_str().into(), Dynamic::from(Sym(Arc::new(Expr::Input(i)))));
        }
        x.insert("max".into(), Dynamic::from(Sym(Arc::new(Expr::Input(inputs.len())))));
        let mut scope = rhai::Scope::new();
        let slots = inputs.len() + 1;
        match self.engine.call_fn::<Dynamic>(&mut scope, &script.ast, "score", (Dynamic::from_map(x),)) {
            Ok(v) => {
                if let Some(s) = v.read_lock::<Sym>() {
                    return Plan::Native(Program { expr: (*s.0).clone(), slots });
                }
                match (v.is_bool(), to_decimal(&v)) {
                    (false, Some(d)) => Plan::Native(Program { expr: Expr::Const(d), slots }),
                    _ => Plan::Interpreted(format!("the formula returns {}", v.type_name())),
                }
            }
            Err(e) => Plan::Interpreted(e.to_string()),
        }
    }

    /// Calls `score(x)` and returns the points; errors name the script's line.
    pub fn call(&self, script: &CompiledScript, x: rhai::Map) -> Result<Decimal, Diagnostic> {
        let mut scope = rhai::Scope::new();
        let result: Result<Dynamic, _> = self.engine.call_fn(&mut scope, &script.ast, "score", (Dynamic::from_map(x),));
        match result {
            Ok(v) => to_decimal(&v).filter(|_| !v.is_bool()).ok_or_else(|| {
                Diagnostic::error(Code::ScriptNotNumber, format!("rule `{}` returned {} `{v}`, not a number", script.name, v.type_name()))
                    .at(Location::file(&script.path))
            }),
            Err(mut e) => {
                // The position goes in the location, not in the message:
                // where it happened, inside a function the rule calls too.
                let inner = e.unwrap_inner().position();
                let pos = e.take_position();
                let pos = if inner.is_none() { pos } else { inner };
                let (code, msg) = match *e {
                    EvalAltResult::ErrorTooManyOperations(_) => (
                        Code::ScriptRuntime,
                        format!(
                            "rule `{}` ran more than {} operations and was stopped (does it loop forever?)",
                            script.name, self.limits.max_operations
                        ),
                    ),
                    EvalAltResult::ErrorArithmetic(ref m, _) if m.to_lowercase().contains("overflow") => {
                        return Err(overflow_error(&script.name));
                    }
                    EvalAltResult::ErrorArithmetic(ref m, _) => {
                        (Code::ScriptRuntime, format!("rule `{}` failed: {}", script.name, m.to_lowercase()))
                    }
                    EvalAltResult::ErrorRuntime(ref v, _) => (Code::ScriptRuntime, format!("rule `{}` failed: {v}", script.name)),
                    ref other => (Code::ScriptRuntime, format!("rule `{}` failed: {other}", script.name)),
                };
                Err(Diagnostic::error(code, msg).at(position_location(&script.path, pos)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn src(text: &str) -> Source {
        Source::new("rules/t.rhai", text)
    }

    fn run(rules: &Rules, text: &str, x: rhai::Map) -> Result<Decimal, Diagnostic> {
        let s = rules.compile("t", &src(text))?;
        rules.call(&s, x)
    }

    fn map(pairs: &[(&str, Decimal)]) -> rhai::Map {
        pairs.iter().map(|(k, v)| ((*k).into(), Dynamic::from_decimal(*v))).collect()
    }

    #[test]
    fn helpers_compute_exactly() {
        let r = Rules::default();
        let t = "fn score(x) { tiers(x.v, [[98, 1.0], [95, 0.75], [90, 0.5]]) * x.max }";
        assert_eq!(run(&r, t, map(&[("v", dec!(98.97)), ("max", dec!(2))])).unwrap(), dec!(2.0));
        assert_eq!(run(&r, t, map(&[("v", dec!(95.79)), ("max", dec!(2))])).unwrap(), dec!(1.5));
        assert_eq!(run(&r, t, map(&[("v", dec!(74.10)), ("max", dec!(2))])).unwrap(), dec!(0));
        let p = "fn score(x) { proportional(x.v, 30, x.max) }";
        assert_eq!(run(&r, p, map(&[("v", dec!(27.12)), ("max", dec!(2))])).unwrap(), dec!(1.808));
        assert_eq!(run(&r, p, map(&[("v", dec!(60)), ("max", dec!(2))])).unwrap(), dec!(2));
        let c = "fn score(x) { checklist([true, false, 1, 0, true], 0.2) }";
        assert_eq!(run(&r, c, rhai::Map::new()).unwrap(), dec!(0.6));
        let d = "fn score(x) { deduct(2, 0.5, 5, 0) }";
        assert_eq!(run(&r, d, rhai::Map::new()).unwrap(), dec!(0));
        let o = "fn score(x) { on_time(\"late\", 1, 0.5) }";
        assert_eq!(run(&r, o, rhai::Map::new()).unwrap(), dec!(0.5));
    }

    /// Calls `score(x)` with `x.n = n`, returning rhai's own error.
    fn call_n(r: &Rules, text: &str, n: i64) -> Result<Dynamic, EvalAltResult> {
        let s = r.compile("t", &src(text)).expect("compiles");
        let x: rhai::Map = [("n".into(), Dynamic::from_int(n))].into_iter().collect();
        r.engine.call_fn::<Dynamic>(&mut rhai::Scope::new(), &s.ast, "score", (Dynamic::from_map(x),)).map_err(|e| *e)
    }

    /// The largest `n` in `0..=top` for which `text` succeeds, checking that
    /// every larger `n` up to `top` fails as `fails` says.
    fn boundary(r: &Rules, text: &str, top: i64, fails: impl Fn(&EvalAltResult) -> bool) -> Option<i64> {
        let last = (0..=top).take_while(|&n| call_n(r, text, n).is_ok()).last()?;
        for n in last + 1..=top {
            let e = call_n(r, text, n).expect_err("fails past the boundary");
            assert!(fails(&e), "n = {n}: {e}");
        }
        Some(last)
    }

    #[test]
    fn call_depth_is_limited_at_its_boundary() {
        let text = "fn f(n) { if n <= 0 { 0 } else { f(n - 1) } } fn score(x) { f(x.n) }";
        let overflow = |e: &EvalAltResult| matches!(e, EvalAltResult::ErrorStackOverflow(_));
        let r = Rules::new(Limits { max_call_levels: 8, ..Limits::default() });
        // `f(n)` nests n + 1 calls: f(7) down to f(0) is 8 levels.
        assert_eq!(boundary(&r, text, 12, overflow), Some(7), "8 levels");
        let wider = Rules::new(Limits { max_call_levels: 9, ..Limits::default() });
        assert!(call_n(&wider, text, 8).is_ok(), "one level more allows one call more");
        let e = run(&r, text.replace("x.n", "8").as_str(), rhai::Map::new()).unwrap_err();
        assert_eq!(e.code, Code::ScriptRuntime);
    }

    #[test]
    fn the_operations_limit_stops_a_script_at_its_boundary() {
        let text = "fn score(x) { let s = 0; for i in 0..x.n { s += 1; } s }";
        let too_many = |e: &EvalAltResult| matches!(e, EvalAltResult::ErrorTooManyOperations(_));
        let r = Rules::new(Limits { max_operations: 1_000, ..Limits::default() });
        let last = boundary(&r, text, 1_000, too_many).expect("a short loop runs");
        assert!((100..1_000).contains(&last), "the loop stops near 1,000 operations ({last})");
        let more = Rules::new(Limits { max_operations: 2_000, ..Limits::default() });
        assert!(call_n(&more, text, last + 1).is_ok(), "a larger limit runs one more turn");
        let e = run(&r, "fn score(x) { loop { } }", rhai::Map::new()).unwrap_err();
        assert_eq!(e.code, Code::ScriptRuntime);
        assert!(e.message.contains("1000 operations"), "{}", e.message);
    }

    #[test]
    fn string_array_and_map_sizes_are_limited_at_their_boundary() {
        let r = Rules::new(Limits { max_string_size: 10, max_array_size: 10, max_map_size: 3, ..Limits::default() });
        let too_large = |e: &EvalAltResult| matches!(e, EvalAltResult::ErrorDataTooLarge(..));
        let string = "fn score(x) { let s = \"\"; for i in 0..x.n { s += \"a\"; } s.len() }";
        assert_eq!(boundary(&r, string, 20, too_large), Some(10), "strings of 10 bytes");
        let array = "fn score(x) { let a = []; for i in 0..x.n { a.push(i); } a.len() }";
        assert_eq!(boundary(&r, array, 20, too_large), Some(10), "arrays of 10");
        let map = "fn score(x) { let m = #{}; for i in 0..x.n { m[`k${i}`] = i; } m.len() }";
        assert_eq!(boundary(&r, map, 20, too_large), Some(3), "maps of 3");
        let e = run(&r, "fn score(x) { let m = #{a:1, b:2, c:3}; m.d = 4; 1 }", rhai::Map::new()).unwrap_err();
        assert_eq!(e.code, Code::ScriptRuntime);
    }

    #[test]
    fn expression_depth_is_limited_at_compile_time_at_its_boundary() {
        let nested = |k: usize| src(&format!("fn score(x) {{ {}1{} }}", "(".repeat(k), ")".repeat(k)));
        let deepest = |depth: usize| {
            let r = Rules::new(Limits { max_expr_depth: depth, ..Limits::default() });
            let last = (0..40).take_while(|&k| r.compile("t", &nested(k)).is_ok()).last().expect("shallow compiles");
            assert_eq!(r.compile("t", &nested(last + 1)).unwrap_err().code, Code::ScriptCompile);
            last
        };
        let (at_8, at_16) = (deepest(8), deepest(16));
        assert!(at_8 < 8, "depth 8 allows fewer than 8 nested parentheses ({at_8})");
        assert!(at_16 > at_8 && at_16 < 16, "a deeper limit allows deeper nesting ({at_8}, {at_16})");
    }

    #[test]
    fn compile_errors_and_non_numbers_are_reported() {
        let r = Rules::default();
        let e = r.compile("t", &src("fn score(x) { 1 + }")).unwrap_err();
        assert_eq!(e.code, Code::ScriptCompile);
        assert_eq!(e.location.as_ref().and_then(|l| l.line), Some(1));
        assert_eq!(r.compile("t", &src("fn other(x) { 1 }")).unwrap_err().code, Code::ScriptCompile);
        assert_eq!(run(&r, "fn score(x) { \"high\" }", rhai::Map::new()).unwrap_err().code, Code::ScriptNotNumber);
        assert_eq!(run(&r, "fn score(x) { true }", rhai::Map::new()).unwrap_err().code, Code::ScriptNotNumber);
        assert_eq!(run(&r, "fn score(x) { ratio(1, 0) }", rhai::Map::new()).unwrap_err().code, Code::ScriptRuntime);
    }

    #[test]
    fn imports_and_eval_are_refused_where_they_are_written() {
        let r = Rules::default();
        for text in [
            "import \"/tmp/other\" as o;\nfn score(x) { o::f() }",
            "fn score(x) {\n    import \"helpers\" as h;\n    h::f()\n}",
            "fn score(x) {\n  eval(\"1 + 1\")\n}",
        ] {
            let e = r.compile("t", &src(text)).unwrap_err();
            assert_eq!(e.code, Code::ScriptImport, "{text}: {e:?}");
            let line = e.location.as_ref().and_then(|l| l.line);
            let want = text.lines().position(|l| l.contains("import") || l.contains("eval")).map(|i| i + 1);
            assert_eq!(line, want, "{text}");
        }
    }
}
