//! The survey as the report prints it: per unit the questionnaires sent and
//! returned, the response rate, the points from the answers beside the
//! council's points, and the units below the declared minimum of answers.

use std::fmt::Write as _;

use serde::Serialize;

use super::{csv_line, table};
use crate::input::model::Model;
use crate::lang::Lang;
use crate::report::plain;

#[derive(Debug, Clone, Serialize)]
pub struct SurveyRow {
    pub unit: String,
    pub name: String,
    pub sent: u32,
    pub returned: u32,
    pub rate: Option<String>,
    /// From the answers, under the declared rounding.
    pub points: Option<String>,
    /// The council's points at the survey's criterion (`scores.toml`).
    pub published: Option<String>,
    pub below_minimum: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SurveyReport {
    pub year: u16,
    pub criterion: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub sent: u32,
    pub returned: u32,
    /// `returned / sent × 100` under the declared rounding: 94.62 for 2023.
    pub rate: Option<String>,
    pub min_responses: u32,
    pub units: Vec<SurveyRow>,
}

/// The survey report; `None` when the year has no questionnaires.
pub fn survey(m: &Model) -> Option<SurveyReport> {
    let s = m.survey.as_ref()?;
    let units = s
        .units
        .iter()
        .map(|u| SurveyRow {
            unit: m.units[u.unit].id.to_string(),
            name: m.units[u.unit].name.to_string(),
            sent: u.sent,
            returned: u.returned,
            rate: u.rate.map(|r| r.to_string()),
            points: u.points.map(plain),
            published: m.awarded.get(&(u.unit, s.node)).map(|a| plain(a.points)),
            below_minimum: u.returned < s.min_responses,
        })
        .collect();
    Some(SurveyReport {
        year: m.year,
        criterion: m.nodes[s.node].id.clone(),
        from: s.from.clone(),
        to: s.to.clone(),
        sent: s.sent,
        returned: s.returned,
        rate: s.rate.map(|r| r.to_string()),
        min_responses: s.min_responses,
        units,
    })
}

/// 1321 → "1,321", as the report prints counts.
fn thousands(n: u32) -> String {
    let d = n.to_string();
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl SurveyReport {
    pub fn to_text(&self, lang: Lang) -> String {
        let vi = lang == Lang::Vi;
        let mut out = String::new();
        let period = match (&self.from, &self.to) {
            (Some(f), Some(t)) => format!(", {f} – {t}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{} {} ({} `{}`{period})",
            if vi { "Điều tra xã hội học năm" } else { "Survey" },
            self.year,
            if vi { "tiêu chí" } else { "criterion" },
            self.criterion
        );
        let rate = self.rate.as_deref().unwrap_or("-");
        let line = if vi {
            format!("Phát ra {} phiếu, thu về {} phiếu, đạt {rate}%", thousands(self.sent), thousands(self.returned))
        } else {
            format!("{} questionnaires sent, {} returned: {rate}%", thousands(self.sent), thousands(self.returned))
        };
        let _ = writeln!(out, "{line}\n");
        let mut rows = vec![if vi {
            ["Đơn vị", "Phát ra", "Thu về", "Tỷ lệ %", "Điểm từ phiếu", "Điểm điều tra", "Tên"]
        } else {
            ["unit", "sent", "returned", "rate %", "from answers", "council", "name"]
        }
        .map(String::from)
        .to_vec()];
        for u in &self.units {
            let flag = if u.below_minimum {
                if vi {
                    " (dưới mức tối thiểu)"
                } else {
                    " (below the minimum)"
                }
            } else {
                ""
            };
            rows.push(vec![
                u.unit.clone(),
                u.sent.to_string(),
                format!("{}{flag}", u.returned),
                u.rate.clone().unwrap_or_else(|| "-".into()),
                u.points.clone().unwrap_or_else(|| "-".into()),
                u.published.clone().unwrap_or_else(|| "-".into()),
                u.name.clone(),
            ]);
        }
        out.push_str(&table(&rows));
        out
    }

    pub fn to_csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        out.push_str(&csv_line(&["unit", "sent", "returned", "rate", "points", "council", "below_minimum"].map(String::from)));
        for u in &self.units {
            out.push_str(&csv_line(&[
                u.unit.clone(),
                u.sent.to_string(),
                u.returned.to_string(),
                u.rate.clone().unwrap_or_default(),
                u.points.clone().unwrap_or_default(),
                u.published.clone().unwrap_or_default(),
                u.below_minimum.to_string(),
            ]));
        }
        out
    }
}
