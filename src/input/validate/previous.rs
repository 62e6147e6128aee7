//! Last year's published results (`previous.toml`): of the year the change
//! columns compare with, each unit once, indices in 0–100, ranks from 1.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::{with_help, At};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::input::load::RawYear;
use crate::input::model::Previous;
use crate::input::raw::RawIndexFile;
use crate::input::validate::units::Units;

/// The year the change columns compare with: `previous_year` of the
/// index, or the year before the data's.
pub(super) fn compared_year(raw: &RawYear, index: &RawIndexFile) -> i64 {
    match (&index.index.previous_year, raw.what_if) {
        (Some(y), false) => *y.get_ref(),
        _ => i64::from(raw.data_year) - 1,
    }
}

pub(super) fn from_raw(
    raw: &RawYear,
    ia: &At,
    index: &RawIndexFile,
    units: &Units,
    diags: &mut Diagnostics,
) -> (Option<u16>, Vec<Option<Previous>>) {
    let mut previous: Vec<Option<Previous>> = vec![None; units.list.len()];
    if let Some(y) = &index.index.previous_year {
        if *y.get_ref() >= i64::from(raw.year) || u16::try_from(*y.get_ref()).is_err() {
            diags.push(ia.err(Code::WrongYear, y, format!("`previous_year` is {}, not a year before {}", y.get_ref(), raw.year)));
        }
    }
    let Some((psrc, pfile)) = &raw.previous else {
        return (None, previous);
    };
    let pa = At::new(psrc);
    let expected = compared_year(raw, index);
    let year = *pfile.year.get_ref();
    if year != expected {
        let why = match &index.index.previous_year {
            Some(_) if !raw.what_if => "the `previous_year` of index.toml".to_string(),
            _ => format!("the year before {}", raw.data_year),
        };
        diags.push(
            pa.err(
                Code::WrongYear,
                &pfile.year,
                format!("previous.toml holds the results of {year}, but the change columns compare with {expected}"),
            )
            .help(format!(
                "{expected} is {why}; set `year = {expected}` with that year's results, or name {year} as `previous_year` in index.toml"
            )),
        );
    }
    let mut seen: HashMap<usize, usize> = HashMap::new();
    for p in &pfile.unit {
        let id = p.id.get_ref();
        let Some(ui) = units.get(id) else {
            diags.push(with_help(pa.err(Code::UnknownUnit, &p.id, format!("previous results for unknown unit `{id}`")), units.help(id)));
            continue;
        };
        if let Some(first) = seen.insert(ui, p.id.span().start) {
            diags.push(
                pa.err(Code::Duplicate, &p.id, format!("previous results for unit `{id}` are given twice"))
                    .unit(id.as_str())
                    .help(format!("first given at line {}", pa.loc_at(first).line.unwrap_or(0))),
            );
            continue;
        }
        let index = p.index.get_ref().0;
        if index.is_sign_negative() && !index.is_zero() || index > Decimal::ONE_HUNDRED {
            diags.push(
                pa.err(Code::BadValue, &p.index, format!("unit `{id}` has a previous index of {index}%, outside 0–100"))
                    .unit(id.as_str())
                    .help("an index is a percentage of the unit's scale"),
            );
            continue;
        }
        if *p.rank.get_ref() == 0 {
            diags.push(
                pa.err(Code::BadValue, &p.rank, format!("unit `{id}` has a previous rank of 0")).unit(id.as_str()).help("ranks start at 1"),
            );
            continue;
        }
        previous[ui] = Some(Previous { index, rank: *p.rank.get_ref() });
    }
    for (ui, u) in units.list.iter().enumerate() {
        if !seen.contains_key(&ui) && !raw.what_if {
            diags.push(
                Diagnostic::warning(Code::NoPrevious, format!("unit `{}` has no results of {year} in previous.toml", u.id))
                    .at(units.locations[ui].clone())
                    .unit(&u.id)
                    .help("its change columns are left blank; add `[[unit]] id = ...` to previous.toml if it was evaluated"),
            );
        }
    }
    (u16::try_from(year).ok(), previous)
}
