//! Data: the facts rules read, by data key, as one column per key.
//!
//! Facts come from `facts.toml` (typed by hand) and from indicator tables
//! (CSV files such as the national portal's). Each key (`portal.hai_long`)
//! is one column over the year's units, so a rule leaf reads its inputs for
//! all units without string lookups per unit.

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::model::{Model, Value};

/// One fact for one unit, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub value: Value,
    /// `file:line`, or `file` with a date: shown by `explain`.
    pub source: Arc<str>,
}

impl Cell {
    /// The value as shown in explanations.
    pub fn value_text(&self) -> String {
        match &self.value {
            Value::Number(d) => d.normalize().to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Text(t) => format!("{t:?}"),
        }
    }
}

/// Facts by data key; each column has one entry per unit of the model.
#[derive(Debug, Clone, Default)]
pub struct Data {
    columns: HashMap<String, Vec<Option<Cell>>>,
    units: usize,
}

impl Data {
    pub fn new(units: usize) -> Self {
        Data { columns: HashMap::new(), units }
    }

    /// The facts typed in `facts.toml`.
    pub fn from_model(model: &Model) -> Self {
        let mut d = Data::new(model.units.len());
        for (u, facts) in model.facts.iter().enumerate() {
            for (k, f) in facts {
                d.set(k, u, f.value.clone(), Arc::from(f.source.as_str()));
            }
        }
        d
    }

    pub fn set(&mut self, key: &str, unit: usize, value: Value, source: Arc<str>) {
        let n = self.units;
        let col = self.columns.entry(key.to_string()).or_insert_with(|| vec![None; n]);
        col[unit] = Some(Cell { value, source });
    }

    pub fn set_number(&mut self, key: &str, unit: usize, value: Decimal, source: Arc<str>) {
        self.set(key, unit, Value::Number(value), source);
    }

    pub fn column(&self, key: &str) -> Option<&[Option<Cell>]> {
        self.columns.get(key).map(Vec::as_slice)
    }

    pub fn get(&self, key: &str, unit: usize) -> Option<&Cell> {
        self.columns.get(key).and_then(|c| c[unit].as_ref())
    }

    pub fn has_key(&self, key: &str) -> bool {
        self.columns.contains_key(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.columns.keys().map(String::as_str)
    }
}
