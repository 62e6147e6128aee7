//! Reloads (issue 3): edits to a temporary copy of the 2023 tree are picked up
//! by a running watcher, applied when valid, rejected when not, and never seen
//! half-done by readers.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parindex::diag::{Code, Diagnostics};
use parindex::live::engine::{Changes, Engine, ReloadOutcome, Snapshot};
use parindex::live::watch::{WatchEvent, WatchOptions, Watcher};
use parindex::report::Report;
use parindex::score::eval::evaluate;

const TIMEOUT: Duration = Duration::from_secs(10);
const DEBOUNCE: Duration = Duration::from_millis(100);
const TREE_8: &str = "criteria/2023/tree/08-tac-dong.toml";
const SIPAS_MAX: &str = "part = \"sipas\"\nmax = 10";

/// Polls `cond` every 10 ms until it holds or the timeout passes.
fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < TIMEOUT {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

struct Running {
    dir: tempfile::TempDir,
    engine: Arc<Engine>,
    watcher: Watcher,
    events: Receiver<WatchEvent>,
}

impl Running {
    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn start(options: WatchOptions) -> Running {
        let dir = common::temp_tree();
        let engine = Arc::new(Engine::open(dir.path(), 2023).expect("the shipped 2023 set opens"));
        let (tx, events) = mpsc::channel();
        let tx = Mutex::new(tx);
        let watcher = Watcher::spawn(Arc::clone(&engine), options, move |e| {
            let _ = tx.lock().unwrap().send(e);
        })
        .expect("watcher starts");
        Running { dir, engine, watcher, events }
    }

    fn new() -> Running {
        Running::start(WatchOptions { debounce: DEBOUNCE, poll: None })
    }

    /// Reads the watcher's events until `pick` takes one; a save that lands
    /// in two bursts may first show a half-written file, which is skipped.
    fn wait_for<T>(&self, what: &str, mut pick: impl FnMut(WatchEvent) -> Option<T>) -> T {
        let start = Instant::now();
        let mut skipped = Vec::new();
        while let Some(left) = TIMEOUT.checked_sub(start.elapsed()) {
            match self.events.recv_timeout(left) {
                Ok(WatchEvent::Error { message }) => panic!("watch error: {message}"),
                Ok(e) => {
                    let text = format!("{e:?}");
                    match pick(e) {
                        Some(t) => return t,
                        None => skipped.push(text),
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no {what} within {TIMEOUT:?}; skipped {} events: {skipped:#?}", skipped.len())
    }

    /// The next applied reload after which `ok` holds for the new snapshot.
    fn applied(&self, ok: impl Fn(&Snapshot) -> bool) -> (Arc<Snapshot>, Changes) {
        self.wait_for("applied reload", |e| match e {
            WatchEvent::Reloaded { snapshot, changes } if ok(&snapshot) => Some((snapshot, changes)),
            _ => None,
        })
    }

    /// The next rejected reload reporting `code`.
    fn rejected(&self, code: Code) -> Diagnostics {
        self.wait_for("rejected reload", |e| match e {
            WatchEvent::Rejected { diagnostics, serving } if codes(&diagnostics).contains(&code) => {
                assert_eq!(serving.generation, 1);
                Some(diagnostics)
            }
            _ => None,
        })
    }
}

fn scale_of(s: &Snapshot, unit: &str) -> String {
    s.report.unit(unit).map(|u| u.scale.to_string()).unwrap_or_default()
}

fn codes(d: &Diagnostics) -> Vec<Code> {
    d.errors().map(|e| e.code).collect()
}

/// The last good set still serves, and its numbers are those it started with.
fn assert_still_serving(r: &Running, original: &Snapshot) {
    let now = r.engine.current();
    assert_eq!(now.generation, original.generation);
    assert_eq!(now.report, original.report);
    assert_eq!(now.report.unit("so-tttt").map(|u| u.index.as_str()), Some("88.65"));
}

#[test]
fn raising_a_maximum_changes_the_scales_and_indices() {
    let r = Running::new();
    let before = r.engine.current();
    common::edit(r.root(), TREE_8, SIPAS_MAX, "part = \"sipas\"\nmax = 12");
    let (after, changes) = r.applied(|s| scale_of(s, "so-tttt") == "102");
    assert_eq!(after.generation, 2);
    assert!(Arc::ptr_eq(&after, &r.engine.current()));
    for unit in before.report.units.iter().filter(|u| u.kind == "department" && u.scale == "100") {
        let new = after.report.unit(&unit.id).expect("same units");
        assert_eq!(new.scale, "102", "{}", unit.id);
        assert_ne!(new.index, unit.index, "{}", unit.id);
        let c = changes.unit(&unit.id).expect("listed as changed");
        assert_eq!(c.scale.as_ref().map(|m| (m.old.as_str(), m.new.as_str())), Some(("100", "102")));
        assert!(c.index.is_some());
        let sipas = c.criteria.iter().find(|c| c.id == "8.2").expect("8.2 listed");
        let max = sipas.max.as_ref().expect("max moved");
        assert_eq!((max.old.map(|d| d.to_string()), max.new.map(|d| d.to_string())), (Some("10".into()), Some("12".into())));
    }
    // Agencies not evaluated on SIPAS keep their scale.
    assert_eq!(after.report.unit("vp-ubnd").map(|u| u.scale.as_str()), Some("65"));
    assert!(changes.unit("vp-ubnd").is_none());
}

#[test]
fn adding_an_exemption_shrinks_that_units_scale() {
    let r = Running::new();
    // so-tttt's points at 1.3 go with it (an exempted criterion keeps no points, awarded or self-assessed;
    // the state between the two saves is rejected and skipped).
    common::edit(r.root(), "fixtures/2023/scores.toml", "\"1.3\" = 1.04  # reconstructed\n", "");
    // And its self-score there.
    let own = std::fs::read_to_string(r.root().join("fixtures/2023/self-assessment.toml")).unwrap();
    let line = own.lines().find(|l| l.starts_with("\"1.3\" = { points = 1.04, evidence = [{ number = \"82/BC-SO-TTTT\"")).unwrap();
    common::edit(r.root(), "fixtures/2023/self-assessment.toml", &format!("{line}\n"), "");
    common::append(
        r.root(),
        "criteria/2023/exemptions.toml",
        "\n[[exemption]]\nid = \"thu-tuyen-truyen\"\nunits = [\"so-tttt\"]\ncriteria = [\"1.3\"]\nreason = \"thử\"\n",
    );
    let (_, changes) = r.applied(|s| scale_of(s, "so-tttt") == "98.5");
    let c = changes.unit("so-tttt").expect("so-tttt changed");
    assert_eq!(c.scale.as_ref().map(|m| m.new.as_str()), Some("98.5"));
    // The scale shrinks by 1.3's maximum of 1.5, the total by its 1.04 points:
    // 87.61 / 98.5 = 88.94%.
    assert_eq!(c.total.as_ref().map(|m| (m.old.as_str(), m.new.as_str())), Some(("88.65", "87.61")));
    assert_eq!(c.index.as_ref().map(|m| m.new.as_str()), Some("88.94"));
    assert_eq!(changes.units.len(), 1, "only so-tttt moves: {changes}");
}

#[test]
fn changing_a_formula_changes_the_leaves_it_scores() {
    let r = Running::new();
    let before = r.engine.current();
    common::edit(
        r.root(),
        "rules/2023/proportional.rhai",
        "proportional(x.value, x.target, x.max)",
        "proportional(x.value, x.target * 2, x.max)",
    );
    let (after, changes) = r.applied(|_| true);
    let c = changes.unit("so-xd").expect("so-xd changed");
    let leaf = c.criteria.iter().find(|c| c.id == "7.3.3").expect("7.3.3 listed");
    let points = leaf.points.as_ref().expect("points moved");
    assert!(points.new < points.old, "{points:?}");
    assert!(c.total.is_some());
    assert_ne!(after.report.unit("so-xd"), before.report.unit("so-xd"));
}

#[test]
fn a_toml_syntax_error_is_rejected_and_the_last_good_set_serves() {
    let r = Running::new();
    let original = r.engine.current();
    common::edit(r.root(), TREE_8, SIPAS_MAX, "part = \"sipas\"\nmax = = 12");
    let d = r.rejected(Code::TomlSyntax);
    assert!(d.errors().all(|e| e.code == Code::TomlSyntax), "{d}");
    assert_still_serving(&r, &original);
    // Undoing the edit gives back the same set: nothing to swap.
    common::edit(r.root(), TREE_8, "max = = 12", "max = 10");
    r.wait_for("unchanged", |e| matches!(e, WatchEvent::Unchanged { generation: 1 }).then_some(()));
    assert_still_serving(&r, &original);
}

#[test]
fn a_script_that_does_not_compile_is_rejected() {
    let r = Running::new();
    let original = r.engine.current();
    common::edit(r.root(), "rules/2023/tiers.rhai", "tiers(x.value, x.bands) * x.max", "tiers(x.value, x.bands) * ");
    let d = r.rejected(Code::ScriptCompile);
    assert_eq!(codes(&d), vec![Code::ScriptCompile], "{d}");
    assert_still_serving(&r, &original);
}

#[test]
fn a_script_that_loops_forever_is_stopped_and_rejected() {
    let r = Running::new();
    let original = r.engine.current();
    common::edit(r.root(), "rules/2023/proportional.rhai", "proportional(x.value, x.target, x.max)", "loop { }");
    let d = r.rejected(Code::ScriptRuntime);
    assert!(codes(&d).iter().all(|c| *c == Code::ScriptRuntime), "{d}");
    assert_still_serving(&r, &original);
}

#[test]
fn a_save_by_writing_a_temp_file_and_renaming_it_is_picked_up() {
    let r = Running::new();
    let scores = r.root().join("fixtures/2023/scores.toml");
    let text = std::fs::read_to_string(&scores).unwrap();
    let edited = text.replacen("\"2.1\" = 2.00  # published", "\"2.1\" = 1.00", 1);
    assert_ne!(edited, text);
    let tmp = r.root().join("fixtures/2023/scores.toml.tmp");
    std::fs::write(&tmp, edited).unwrap();
    std::fs::rename(&tmp, &scores).unwrap();
    let (after, changes) = r.applied(|_| true);
    let c = changes.unit("so-tttt").expect("so-tttt changed");
    assert_eq!(c.total.as_ref().map(|m| (m.old.as_str(), m.new.as_str())), Some(("88.65", "87.65")));
    assert_eq!(after.report.unit("so-tttt").map(|u| u.total.as_str()), Some("87.65"));
}

#[test]
fn a_deleted_and_recreated_file_is_picked_up() {
    let r = Running::new();
    let original = r.engine.current();
    let path = r.root().join(TREE_8);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    // Without the file its criteria are missing: whatever is reported, it is not served.
    r.wait_for("rejected reload", |e| matches!(e, WatchEvent::Rejected { .. }).then_some(()));
    assert_still_serving(&r, &original);
    std::fs::write(&path, text.replacen(SIPAS_MAX, "part = \"sipas\"\nmax = 12", 1)).unwrap();
    assert!(wait_until(|| r.engine.current().report.unit("so-tttt").is_some_and(|u| u.scale == "102")));
}

#[test]
fn twenty_quick_writes_make_few_reloads_and_the_last_wins() {
    let r = Running::start(WatchOptions { debounce: Duration::from_millis(100), poll: None });
    let scores = r.root().join("fixtures/2023/scores.toml");
    let text = std::fs::read_to_string(&scores).unwrap();
    let line = "\"2.1\" = 2.00  # published";
    assert!(text.contains(line));
    for i in 1..=20 {
        // 1.05, 1.10, ..., 2.00 less 0.05 at the end: the last write gives 1.95.
        let points = if i == 20 { "1.95".to_string() } else { format!("1.{:02}", i * 5) };
        std::fs::write(&scores, text.replacen(line, &format!("\"2.1\" = {points}"), 1)).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(wait_until(|| r.engine.current().report.unit("so-tttt").is_some_and(|u| u.total == "88.60")));
    // Let any reload still pending finish, then check the last write still wins.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(r.engine.current().report.unit("so-tttt").map(|u| u.total.as_str()), Some("88.60"));
    let stats = r.watcher.stats();
    assert!(stats.reloads >= 1 && stats.reloads <= 5, "{stats:?}");
}

#[test]
fn polling_picks_up_changes_where_file_events_do_not_arrive() {
    let r = Running::start(WatchOptions { debounce: DEBOUNCE, poll: Some(Duration::from_millis(50)) });
    assert_eq!(r.watcher.backend(), parindex::live::watch::Backend::Poll(Duration::from_millis(50)));
    common::edit(r.root(), TREE_8, SIPAS_MAX, "part = \"sipas\"\nmax = 12");
    r.applied(|s| scale_of(s, "so-tttt") == "102");
}

#[test]
fn scratch_files_and_attribute_changes_do_not_reload() {
    let r = Running::new();
    let tree = r.root().join("criteria/2023/tree");
    for name in ["08-tac-dong.toml.tmp", "08-tac-dong.toml~", ".#08-tac-dong.toml", ".08-tac-dong.toml.swp"] {
        std::fs::write(tree.join(name), "not toml at all = = =").unwrap();
    }
    let path = r.root().join(TREE_8);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    let _ = std::fs::read_to_string(&path).unwrap();
    std::thread::sleep(DEBOUNCE * 6);
    assert_eq!(r.watcher.stats().reloads, 0, "{:?}", r.watcher.stats());
    assert_eq!(r.engine.current().generation, 1);
}

#[test]
fn a_comment_only_edit_changes_nothing() {
    let dir = common::temp_tree();
    let engine = Engine::open(dir.path(), 2023).unwrap();
    common::append(dir.path(), TREE_8, "\n# a note\n");
    assert!(matches!(engine.reload(), ReloadOutcome::Unchanged { generation: 1 }));
}

/// Readers evaluating in a loop while reloads swap the set only ever see a
/// complete set: each snapshot's report is exactly what its own rule set
/// evaluates to, and its scale matches the maximum that set declares.
#[test]
fn concurrent_readers_never_see_a_mix_of_old_and_new() {
    let dir = common::temp_tree();
    let engine = Arc::new(Engine::open(dir.path(), 2023).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (engine, stop) = (Arc::clone(&engine), Arc::clone(&stop));
            std::thread::spawn(move || {
                let (mut reads, mut last_gen, mut scales) = (0u64, 0u64, std::collections::BTreeSet::new());
                while !stop.load(Ordering::Relaxed) || reads == 0 {
                    let s = engine.current();
                    assert!(s.generation >= last_gen, "generations only grow");
                    last_gen = s.generation;
                    assert_eq!(s.report.fingerprint, s.rule_set.fingerprint);
                    let m = &s.rule_set.model;
                    let kind = m.units.iter().find(|u| u.id == "so-tttt").unwrap().kind;
                    let sipas = m.nodes.iter().find(|n| n.id == "8.2").and_then(|n| n.max[kind]).unwrap();
                    let unit = s.report.unit("so-tttt").unwrap();
                    assert_eq!(unit.scale, (rust_decimal::Decimal::from(90) + sipas).normalize().to_string());
                    if reads % 8 == 0 {
                        let outcome = evaluate(&s.rule_set).unwrap();
                        assert_eq!(outcome, s.outcome);
                        assert_eq!(Report::new(&s.rule_set, &outcome), s.report);
                    }
                    scales.insert(unit.scale);
                    reads += 1;
                }
                scales
            })
        })
        .collect();
    let mut applied = 0;
    for i in 0..6 {
        let (from, to) = if i % 2 == 0 { ("max = 10", "max = 12") } else { ("max = 12", "max = 10") };
        common::edit(dir.path(), TREE_8, &format!("part = \"sipas\"\n{from}"), &format!("part = \"sipas\"\n{to}"));
        match engine.reload() {
            ReloadOutcome::Applied { .. } => applied += 1,
            other => panic!("{other:?}"),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    let mut seen = std::collections::BTreeSet::new();
    for r in readers {
        seen.extend(r.join().expect("reader saw only complete sets"));
    }
    assert_eq!(applied, 6);
    assert_eq!(engine.current().generation, 7);
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["100", "102"]);
}

/// `parindex watch` shows the results, the errors of a rejected edit with the
/// set still serving, then the new results and what moved after a valid one.
#[test]
fn the_watch_command_shows_rejected_and_applied_edits() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    /// Stops the watch process however the test ends.
    struct Child(std::process::Child);
    impl Drop for Child {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    let dir = common::temp_tree();
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_parindex"))
            .arg("--root")
            .arg(dir.path())
            .args(["watch", "--year", "2023", "--debounce-ms", "100"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (tx, lines) = mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait_line = |what: &str, ok: &dyn Fn(&str) -> bool| -> String {
        let start = Instant::now();
        while let Some(left) = TIMEOUT.checked_sub(start.elapsed()) {
            match lines.recv_timeout(left) {
                Ok(l) if ok(&l) => return l,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no line {what} within {TIMEOUT:?}");
    };
    // The results are shown once watching has started.
    wait_line("with the fingerprint", &|l| l.starts_with("fingerprint: "));

    common::edit(dir.path(), TREE_8, SIPAS_MAX, "part = \"sipas\"\nmax = = 12");
    wait_line("with the error code", &|l| l.contains("TOML_SYNTAX"));
    let serving = wait_line("saying what still serves", &|l| l.starts_with("still serving the rule set loaded at "));
    let clock = serving.trim_start_matches("still serving the rule set loaded at ");
    assert!(clock.len() == 12 && clock.ends_with(" UTC") && clock.as_bytes()[2] == b':' && clock.as_bytes()[5] == b':', "{serving}");

    common::edit(dir.path(), TREE_8, "max = = 12", "max = 12");
    wait_line("announcing the changes", &|l| l.starts_with("changed (rule set 2)"));
    wait_line("with so-tttt's change", &|l| l == "Sở Thông tin và Truyền thông (so-tttt): scale 100 → 102, index 88.65% → 86.91%");
}

#[test]
fn a_debounce_too_long_for_the_clock_waits_without_panicking() {
    let r = Running::start(WatchOptions { debounce: Duration::MAX, poll: None });
    common::edit(r.root(), TREE_8, SIPAS_MAX, "part = \"sipas\"\nmax = 12");
    std::thread::sleep(DEBOUNCE * 4);
    // The change is seen and waited on, not reloaded and not a panic of the watching thread.
    assert_eq!(r.watcher.stats().reloads, 0, "{:?}", r.watcher.stats());
    assert!(r.events.try_recv().is_err(), "no event while waiting");
    assert_eq!(r.engine.current().generation, 1);
    assert!(r.watcher.is_running(), "the watching thread goes on");
}

#[test]
fn a_debounce_over_a_minute_is_refused_on_the_command_line() {
    for cmd in ["watch", "serve"] {
        let o = common::run(&common::repo(), &[cmd, "--year", "2023", "--debounce-ms", "60001"]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        assert!(common::stderr(&o).contains("not in 0..=60000"), "{cmd}: {}", common::stderr(&o));
    }
}
