//! Raw facts read by rules (`facts.toml`), per unit and data key.

use std::collections::HashMap;

use super::{with_help, At};
use crate::diag::{Code, Diagnostics};
use crate::input::load::RawYear;
use crate::input::model::{Fact, Value};
use crate::input::raw::RawFact;
use crate::input::validate::units::Units;

pub(super) fn from_raw(raw: &RawYear, units: &Units, diags: &mut Diagnostics) -> Vec<HashMap<String, Fact>> {
    let mut facts: Vec<HashMap<String, Fact>> = vec![HashMap::new(); units.list.len()];
    let Some((fsrc, ffile)) = &raw.facts else {
        return facts;
    };
    let fa = At::new(fsrc);
    for (unit, entries) in ffile {
        let Some(ui) = units.get(unit.get_ref()) else {
            diags.push(with_help(
                fa.err(Code::UnknownUnit, unit, format!("facts for unknown unit `{}`", unit.get_ref())),
                units.help(unit.get_ref()),
            ));
            continue;
        };
        for (key, v) in entries {
            let value = match v.get_ref() {
                RawFact::Bool(b) => Value::Bool(*b),
                RawFact::Number(d) => Value::Number(d.0),
                RawFact::Text(t) => Value::Text(t.clone()),
            };
            let loc = fa.loc(v);
            let source = format!("{}:{}", loc.file.display(), loc.line.unwrap_or(0));
            facts[ui].insert(key.get_ref().clone(), Fact { value, source });
        }
    }
    facts
}
