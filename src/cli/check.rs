//! `parindex check`: every problem of a year's files; and how every command
//! prints diagnostics.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use parindex::diag::{render, Diagnostics, RenderOptions, SourceMap};

use super::*;

pub(crate) fn check(root: &Path, year: u16, format: DiagFormat) -> ExitCode {
    let loading = progress::Progress::spinner("reading data", progress::wanted(matches!(format, DiagFormat::Json)));
    // A sealed year's changed files first: they explain any other difference.
    let mut diags = parindex::audit::seal::check_sealed(root, year);
    let sources = match load_shown(root, year, &loading) {
        Ok(s) => {
            diags.extend(s.rule_set.warnings.clone());
            diags.extend(s.rule_set.model.consistency.clone());
            Some(Arc::clone(&s.rule_set.sources))
        }
        Err(d) => {
            diags.extend(d);
            None
        }
    };
    loading.set_message("reading statistics and targets");
    diags.extend(parindex::input::stats::load_statistics(root, year).1);
    diags.extend(parindex::input::targets::load_targets(root, year).1);
    loading.finish();
    show(&diags, sources.as_deref(), format, true);
    exit(!diags.has_errors())
}

/// The root the files of diagnostics are relative to.
static ROOT: OnceLock<PathBuf> = OnceLock::new();

pub(crate) fn set_root(root: &Path) {
    let _ = ROOT.set(root.to_path_buf());
}

/// The files the diagnostics point at: those of `loaded` (as they were
/// read), the others read now.
fn source_map(diags: &Diagnostics, loaded: Option<&SourceMap>) -> SourceMap {
    let mut map = loaded.cloned().unwrap_or_default();
    let root = ROOT.get().map_or(Path::new("."), PathBuf::as_path);
    for f in diags.files() {
        map.read(root, f);
    }
    map
}

/// `diags` as text for stdout (no colour), with the lines of their files, in the language of the text output.
pub(crate) fn rendered(diags: &Diagnostics, loaded: Option<&SourceMap>, totals: bool) -> String {
    render(diags, &source_map(diags, loaded), RenderOptions { totals, lang: text_lang(), ..RenderOptions::default() })
}

/// Prints `diags` on stderr: as text (errors first, runs of alike warnings
/// counted, colour on a terminal) or JSON; `totals` ends with the line
/// `N errors, M warnings`.
pub(crate) fn show(diags: &Diagnostics, loaded: Option<&SourceMap>, format: DiagFormat, totals: bool) {
    show_in(diags, loaded, format, totals, text_lang());
}

/// [`show`] in `lang`; JSON keys, codes and messages are never translated.
pub(crate) fn show_in(diags: &Diagnostics, loaded: Option<&SourceMap>, format: DiagFormat, totals: bool, lang: Lang) {
    let map = source_map(diags, loaded);
    match format {
        DiagFormat::Text => {
            // Colour on a terminal, unless `NO_COLOR` is set.
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty());
            let opts = RenderOptions { colour, totals, lang, ..RenderOptions::default() };
            eout!("{}", render(diags, &map, opts));
        }
        DiagFormat::Json => {
            let mut diags = diags.clone();
            diags.resolve(&map);
            eoutln!("{}", serde_json::to_string_pretty(&diags).unwrap_or_default());
            if totals {
                let errors = diags.errors().count();
                eoutln!("{}", parindex::diag::totals(errors, diags.len() - errors, lang));
            }
        }
    }
}
