//! Data: the facts rules read, by data key, one column per key.
//!
//! Facts come from `facts.toml` (typed by hand) and from indicator tables
//! (CSV files such as the national portal's, see [`crate::input::indicators`]).
//! Indicator values are read in place from their columns, never copied, so a
//! national data set costs its compact columns and nothing more. A rule leaf
//! resolves each of its input keys to an [`InputColumn`] once, then reads
//! every unit's value by position.

use std::collections::HashMap;
use std::sync::Arc;

use crate::input::indicators::IndicatorData;
use crate::input::model::{Model, Value};

/// One fact for one unit, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub value: Value,
    /// `file:line`, or `file:line (date)`: shown by `explain`.
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

/// Facts by data key, for the units of one model.
#[derive(Debug, Clone, Default)]
pub struct Data {
    facts: HashMap<String, Vec<Option<Cell>>>,
    indicators: Arc<IndicatorData>,
}

/// The values of one data key over all units.
#[derive(Clone, Copy)]
pub enum InputColumn<'a> {
    Facts(&'a [Option<Cell>]),
    Indicator(crate::input::indicators::ColumnRef<'a>),
}

impl InputColumn<'_> {
    /// A unit's value, if it has one.
    pub fn value(&self, unit: usize) -> Option<Value> {
        match self {
            InputColumn::Facts(c) => c[unit].as_ref().map(|c| c.value.clone()),
            InputColumn::Indicator(c) => c.value(unit).map(Value::Number),
        }
    }

    /// A unit's full cell, with its source, for explanations.
    pub fn cell(&self, unit: usize) -> Option<Cell> {
        match self {
            InputColumn::Facts(c) => c[unit].clone(),
            InputColumn::Indicator(c) => c.measurement(unit).map(|m| Cell {
                value: Value::Number(m.value),
                source: Arc::from(format!("{}:{} ({})", m.file.display(), m.line, m.measured_on)),
            }),
        }
    }
}

impl Data {
    /// The facts typed in `facts.toml` and the model's indicator tables.
    pub fn new(model: &Model, indicators: Arc<IndicatorData>) -> Self {
        let mut facts: HashMap<String, Vec<Option<Cell>>> = HashMap::new();
        let n = model.units.len();
        for (u, fs) in model.facts.iter().enumerate() {
            for (k, f) in fs {
                let col = facts.entry(k.clone()).or_insert_with(|| vec![None; n]);
                col[u] = Some(Cell { value: f.value.clone(), source: Arc::from(f.source.as_str()) });
            }
        }
        Data { facts, indicators }
    }

    /// The column of a data key: facts first, then indicator tables.
    pub fn input(&self, key: &str) -> Option<InputColumn<'_>> {
        match self.facts.get(key) {
            Some(c) => Some(InputColumn::Facts(c)),
            None => self.indicators.column(key).map(InputColumn::Indicator),
        }
    }

    pub fn get(&self, key: &str, unit: usize) -> Option<Cell> {
        self.input(key).and_then(|c| c.cell(unit))
    }

    pub fn has_key(&self, key: &str) -> bool {
        self.facts.contains_key(key) || self.indicators.contains_key(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.facts.keys().map(String::as_str).chain(self.indicators.keys())
    }
}
