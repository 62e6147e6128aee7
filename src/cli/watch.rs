//! `parindex watch`: rescoring on every save.

use std::process::ExitCode;

use parindex::lang::Text;
use parindex::live::engine::Snapshot;

use super::*;

/// `parindex watch`: the results, then each reload's new results and changes, or the rejected edit's errors.
pub(crate) fn watch(root: &std::path::Path, year: u16, format: Format, poll: bool, debounce_ms: u64) -> ExitCode {
    use parindex::live::engine::Engine;
    use parindex::live::watch::{clock_utc, Backend, WatchEvent, WatchOptions, Watcher};
    use std::time::Duration;

    fn results(s: &Snapshot, format: Format) -> String {
        match format {
            Format::Table => s.report.to_table(&s.rule_set),
            Format::Json => format!("{}\n", serde_json::to_string_pretty(&s.report.to_json()).unwrap_or_default()),
            // Each rescore a table of its own, without the mark that begins a file.
            Format::Csv => s.report.to_csv(&s.rule_set).trim_start_matches('\u{feff}').to_owned(),
        }
    }
    let engine = match Engine::open(root, year) {
        Ok(e) => std::sync::Arc::new(e),
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    let lang = text_lang();
    let t = move |x: Text| x.get(lang);
    let on_event = move |event: WatchEvent| match event {
        WatchEvent::Reloaded { snapshot, changes } => match format {
            Format::Json => {
                let event =
                    serde_json::json!({ "generation": snapshot.generation, "changes": changes, "report": snapshot.report.to_json() });
                outln!("{event}")
            }
            _ => outln!("\n{}\n{} {}):\n{changes}", results(&snapshot, format), t(Text::ChangedRuleSet), snapshot.generation),
        },
        WatchEvent::Rejected { diagnostics, serving } => {
            outln!(
                "\n{}\n{}{} {}",
                t(Text::RejectedEdit),
                check::rendered(&diagnostics, None, false),
                t(Text::StillServingAt),
                clock_utc(serving.loaded_at())
            )
        }
        WatchEvent::Unchanged { .. } => outln!("{}", t(Text::FilesChangedNoResult)),
        WatchEvent::Error { message } => outln!("{}: {message}", t(Text::WatchError)),
        _ => {}
    };
    let options = WatchOptions { debounce: Duration::from_millis(debounce_ms), poll: poll.then_some(Duration::from_millis(500)) };
    // Watching starts before the results are shown, so no save made after they appear is missed.
    let watcher = match Watcher::spawn(std::sync::Arc::clone(&engine), options, on_event) {
        Ok(w) => w,
        Err(e) => {
            eoutln!("error: cannot watch the files: {e}");
            return ExitCode::FAILURE;
        }
    };
    out!("{}", results(&engine.current(), format));
    let how = match watcher.backend() {
        Backend::Native => "file events".to_string(),
        Backend::Poll(every) => format!("polling every {} ms", every.as_millis()),
    };
    let dirs: Vec<String> = engine.sources().iter().map(|d| d.display().to_string()).collect();
    eoutln!("{} {} ({how}); {}", t(Text::Watching), dirs.join(", "), t(Text::CtrlCToStop));
    loop {
        std::thread::park();
    }
}
