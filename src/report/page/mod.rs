//! HTML views of the results, shared by the live page (`parindex serve`) and
//! the printed report (`parindex report --format html`).
//!
//! Every view is a [`maud`] template: an interpolated value is escaped unless
//! it is wrapped in `PreEscaped`, which only the stylesheet and script of this
//! folder are. A unit named `<script>` shows as text. Bars are inline SVG, so a
//! view reads the same with or without a script. Views that show what later
//! stages compute (an explanation, the changes of a reload, a rule-set diff)
//! read those stages' JSON documents, the same ones the JSON commands print.

mod panels;
mod tables;
mod unit;

use std::time::{SystemTime, UNIX_EPOCH};

use maud::{html, Markup, PreEscaped, DOCTYPE};
use rust_decimal::Decimal;

use crate::lang::{Lang, Text};

pub use panels::{banner, changes_view, diff_view, indicators_view, targets_view, BannerInfo};
pub use tables::tables_view;
pub use unit::{unit_view, HistoryRow};

/// The page's stylesheet, embedded.
pub const STYLE: &str = include_str!("style.css");
/// The live page's script (refresh on server events, sortable columns), embedded.
pub const SCRIPT: &str = include_str!("app.js");

/// How a document is put together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The live page: links between views, the script, the navigation bar.
    Live,
    /// One self-contained printable file: inline CSS, no script, no links out.
    Print,
}

/// A whole HTML document around `body`. In [`Mode::Live`] the body is put in
/// `<main id="live">`, the part the script replaces on every update.
pub fn document(lang: Lang, mode: Mode, title: &str, fingerprint: &str, status: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                @match mode {
                    Mode::Live => link rel="stylesheet" href="/assets/style.css";,
                    Mode::Print => style { (PreEscaped(STYLE)) },
                }
            }
            body {
                @if mode == Mode::Live {
                    header.top {
                        span.title { (Text::AppTitle.get(lang)) }
                        a href="/" { (Text::NavTables.get(lang)) }
                        a href="/targets" { (Text::NavTargets.get(lang)) }
                        a href="/changes" { (Text::NavChanges.get(lang)) }
                        a href="/diff" { (Text::NavDiff.get(lang)) }
                        span.status { (Text::Live.get(lang)) }
                    }
                    div.disconnected { (Text::Disconnected.get(lang)) }
                    main #live { (status) (body) }
                    script src="/assets/app.js" {}
                } @else {
                    main { (status) (body) }
                    footer.print { (Text::Fingerprint.get(lang)) " " code { (fingerprint) } }
                }
            }
        }
    }
}

/// A horizontal bar for a percentage (0–100), as inline SVG; the width is
/// the shown decimal itself, clamped, so no number is converted to a float.
pub fn bar(percent: &str) -> Markup {
    let width = percent.parse::<Decimal>().map(|d| d.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED)).unwrap_or(Decimal::ZERO);
    html! {
        svg.bar width="120" height="10" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=(percent) {
            rect.bg x="0" y="0" width="100" height="10" {}
            rect.fg x="0" y="0" width=(width) height="10" {}
        }
    }
}

/// A signed change, coloured: `+7.36`, `-9.58`, `0`.
pub fn signed(text: &str) -> Markup {
    let value = text.parse::<Decimal>().unwrap_or(Decimal::ZERO);
    let (class, shown) = if value > Decimal::ZERO {
        ("up", format!("+{text}"))
    } else if value < Decimal::ZERO {
        ("down", text.to_string())
    } else {
        ("", text.to_string())
    };
    html! { span class=(class) { (shown) } }
}

/// A time as ISO 8601 UTC (`2026-12-01T09:40:33Z`), for `<time datetime>`:
/// the page's script shows it in the reader's local time.
pub fn iso_utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// A time as `HH:MM:SS UTC`, the text shown before the script localises it.
pub fn clock_text(t: SystemTime) -> String {
    let iso = iso_utc(t);
    format!("{} {} UTC", &iso[..10], &iso[11..19])
}

/// The proleptic Gregorian date of a count of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A time element showing `t`, localised by the page's script.
pub fn time(t: SystemTime) -> Markup {
    html! { time datetime=(iso_utc(t)) { (clock_text(t)) } }
}

/// A string field of a JSON object, or "".
fn s<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    v.get(key).and_then(serde_json::Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        let m = html! { td { ("<script>alert(1)</script>") } };
        assert_eq!(m.into_string(), "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>");
    }

    #[test]
    fn bars_clamp_and_keep_the_decimal() {
        assert!(bar("88.65").into_string().contains("width=\"88.65\""));
        assert!(bar("130").into_string().contains("width=\"100\""));
        assert!(bar("x").into_string().contains("width=\"0\""));
    }

    #[test]
    fn times_are_iso_utc() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_796_118_033);
        assert_eq!(iso_utc(t), "2026-12-01T09:40:33Z");
        assert_eq!(iso_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }
}
