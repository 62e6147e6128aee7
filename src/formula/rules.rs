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

fn num(d: &Dynamic, what: &str) -> RhaiResult<Decimal> {
    to_decimal(d).map_or_else(|| rt_err(format!("{what} must be a number, not {}", d.type_name())), Ok)
}

fn truthy(d: &Dynamic) -> bool {
    if let Ok(b) = d.as_bool() {
        return b;
    }
    to_decimal(d).is_some_and(|v| !v.is_zero())
}

fn div(a: Decimal, b: Decimal) -> RhaiResult<Decimal> {
    if b.is_zero() {
        return rt_err("division by zero");
    }
    a.checked_div(b).map_or_else(|| rt_err("division overflow"), Ok)
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
    share.checked_mul(max).map_or_else(|| rt_err("overflow"), Ok)
}

/// `deduct(max, per_item, count, floor)`: `max` less `per_item` for each
/// counted item, never below `floor`.
pub fn deduct(max: Decimal, per: Decimal, count: Decimal, floor: Decimal) -> Decimal {
    (max - per * count).max(floor)
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
        dec(Ok(div(num(&a, "part")?, num(&b, "whole")?)? * Decimal::ONE_HUNDRED))
    });
    engine.register_fn("checklist", move |items: Array, each: Dynamic| -> R {
        if let Some(e) = trace_count(&items) {
            return mul_sym(e?, &each);
        }
        let done = items.iter().filter(|i| truthy(i)).count();
        let each_d = match to_decimal(&each) {
            Some(d) => d,
            None if each.is::<crate::formula::compile::Sym>() => {
                return mul_sym(crate::formula::compile::Expr::Const(Decimal::from(done)), &each)
            }
            None => return rt_err("the points of each item must be a number"),
        };
        dec(Ok(Decimal::from(done) * each_d))
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
        dec(Ok(deduct(num(&m, "max")?, num(&per, "per item")?, num(&count, "count")?, num(&floor, "floor")?)))
    });
    engine.register_fn("clamp", move |v: Dynamic, lo: Dynamic, hi: Dynamic| -> R {
        if let Some(r) = trace_call("clamp", &[&v, &lo, &hi]) {
            return r;
        }
        dec(Ok(num(&v, "value")?.max(num(&lo, "low")?).min(num(&hi, "high")?)))
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

/// A rule script uses `import` or `eval`.
fn refused(name: &str, word: &str) -> Diagnostic {
    Diagnostic::error(Code::ScriptImport, format!("rule script `{name}` uses `{word}`: a rule may use only its own file"))
        .help("copy the function into the script; every formula a year uses lives in its own rule script")
}

/// Where in a script a runtime error happened, when rhai knows.
fn position_location(path: &std::path::Path, pos: Position) -> Location {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => Location::at(path, l, c),
        (Some(l), None) => Location { file: path.to_path_buf(), line: Some(l), column: None, span: None },
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
                // The position goes in the location, not in the message.
                let inner = e.unwrap_inner().position();
                let pos = e.take_position();
                // Where it happened, inside a function the rule calls.
                let pos = if inner.is_none() { pos } else { inner };
                let msg = match *e {
                    EvalAltResult::ErrorTooManyOperations(_) => format!(
                        "rule `{}` ran more than {} operations and was stopped (does it loop forever?)",
                        script.name, self.limits.max_operations
                    ),
                    EvalAltResult::ErrorRuntime(ref v, _) => format!("rule `{}` failed: {v}", script.name),
                    ref other => format!("rule `{}` failed: {other}", script.name),
                };
                Err(Diagnostic::error(Code::ScriptRuntime, msg).at(position_location(&script.path, pos)))
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

    #[test]
    fn an_endless_loop_is_stopped_by_the_operations_limit() {
        let r = Rules::new(Limits { max_operations: 1_000, ..Limits::default() });
        let e = run(&r, "fn score(x) { loop { } }", rhai::Map::new()).unwrap_err();
        assert_eq!(e.code, Code::ScriptRuntime);
        assert!(e.message.contains("1000 operations"), "{}", e.message);
    }

    #[test]
    fn call_depth_is_limited() {
        let r = Rules::new(Limits { max_call_levels: 8, ..Limits::default() });
        let e = run(&r, "fn f(n) { f(n + 1) } fn score(x) { f(0) }", rhai::Map::new()).unwrap_err();
        assert_eq!(e.code, Code::ScriptRuntime);
    }

    #[test]
    fn string_array_and_map_sizes_are_limited() {
        let r = Rules::new(Limits { max_string_size: 10, max_array_size: 10, max_map_size: 3, ..Limits::default() });
        let s = run(&r, "fn score(x) { let s = \"\"; for i in 0..20 { s += \"a\"; } 1 }", rhai::Map::new());
        assert_eq!(s.unwrap_err().code, Code::ScriptRuntime);
        let a = run(&r, "fn score(x) { let a = []; for i in 0..20 { a.push(i); } 1 }", rhai::Map::new());
        assert_eq!(a.unwrap_err().code, Code::ScriptRuntime);
        let m = run(&r, "fn score(x) { let m = #{a:1, b:2, c:3}; m.d = 4; 1 }", rhai::Map::new());
        assert_eq!(m.unwrap_err().code, Code::ScriptRuntime);
    }

    #[test]
    fn expression_depth_is_limited_at_compile_time() {
        let r = Rules::new(Limits { max_expr_depth: 8, ..Limits::default() });
        let deep = format!("fn score(x) {{ {}1{} }}", "(".repeat(20), ")".repeat(20));
        assert_eq!(run(&r, &deep, rhai::Map::new()).unwrap_err().code, Code::ScriptCompile);
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
