//! The page in a real browser: headless Chromium driven over WebDriver
//! against `parindex serve` on a temporary copy of the 2023 tree.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test says
//! it skipped and passes, unless `PARINDEX_BROWSER_TESTS=required`, when a
//! missing or failing browser fails it (CI sets it). Screenshots of the table
//! and unit pages go to `target/screenshots/`.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

const TREE_8: &str = "criteria/2023/tree/08-tac-dong.toml";
const SIPAS_MAX: &str = "part = \"sipas\"\nmax = 10";
const MARKUP_NAME: &str = "Sở Ngoại vụ <script>alert(1)</script><b class=\\\"injected\\\">x</b>";

/// Chromium's flags: no sandbox (CI runs as root), nothing fetched from the network.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names.iter().find_map(|n| std::env::split_paths(&path).map(|d| d.join(n)).find(|p| p.is_file()))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn screenshots() -> PathBuf {
    let dir = common::repo().join("target").join("screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots");
    dir
}

#[test]
fn the_page_in_a_real_browser() {
    let required = std::env::var("PARINDEX_BROWSER_TESTS").is_ok_and(|v| v == "required");
    let (Some(chromium), Some(driver)) = (find_program(&["chromium", "chromium-browser"]), find_program(&["chromedriver"])) else {
        assert!(!required, "PARINDEX_BROWSER_TESTS=required but `chromium` or `chromedriver` is not installed");
        eprintln!(
            "SKIPPED the_page_in_a_real_browser: no `chromium` and `chromedriver` on PATH (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    if let Err(e) = runtime.block_on(drive(&chromium, &driver)) {
        assert!(!required, "the browser test failed: {e}");
        eprintln!("SKIPPED the_page_in_a_real_browser: the browser could not be driven ({e}); set PARINDEX_BROWSER_TESTS=required to fail instead");
    }
}

/// The steps; `Err` only when the browser itself cannot be started or reached
/// (a wrong page fails an assertion).
async fn drive(chromium: &Path, driver: &Path) -> Result<(), String> {
    let tree = common::temp_tree();
    let root = tree.path();
    common::edit(
        root,
        "fixtures/2023/units.toml",
        "name = \"Sở Ngoại vụ\"",
        &format!("name = \"{MARKUP_NAME}\"\naliases = [\"Sở Ngoại vụ\"]"),
    );
    let profile = tempfile::tempdir().map_err(|e| e.to_string())?;

    let port = free_port();
    let _driver = Killed(
        Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("chromedriver: {e}"))?,
    );
    let (server, url) = serve(root);
    let _server = server;

    let mut args: Vec<String> = FLAGS.iter().map(|s| s.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    args.push("--window-size=1400,1000".into());
    let caps: serde_json::Map<String, Value> =
        serde_json::from_value(json!({ "goog:chromeOptions": { "binary": chromium, "args": args } })).map_err(|e| e.to_string())?;
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let started = Instant::now();
    let c = loop {
        match ClientBuilder::new(connector.clone()).capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => break c,
            Err(e) if started.elapsed() > Duration::from_secs(20) => return Err(format!("cannot start a browser session: {e}")),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    steps(&c, root, &url).await;
    let _ = c.close().await;
    Ok(())
}

/// Starts `parindex serve` on a free port; returns it and the page's address.
fn serve(root: &Path) -> (Killed, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parindex"))
        .args(["--root"])
        .arg(root)
        .args(["serve", "--year", "2023", "--port", "0", "--debounce-ms", "100"])
        .env("PARINDEX_LANG", "vi")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("parindex serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("the address line");
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("an address on the first line").to_string();
    (Killed(child), url)
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap_or(Value::Null)
}

/// The text of the first element matching `css`, if any.
async fn text(c: &Client, css: &str) -> Option<String> {
    let script = format!("var e = document.querySelector({}); return e ? e.textContent.trim() : null;", json!(css));
    js(c, &script).await.as_str().map(str::to_string)
}

/// Waits up to `within` for the text at `css` to satisfy `ok`; returns the last text seen.
async fn wait_text(c: &Client, css: &str, within: Duration, ok: impl Fn(&str) -> bool) -> (bool, Option<String>) {
    let start = Instant::now();
    loop {
        let t = text(c, css).await;
        if t.as_deref().is_some_and(&ok) {
            return (true, t);
        }
        if start.elapsed() > within {
            return (false, t);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn screenshot(c: &Client, name: &str) {
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(screenshots().join(name), png);
    }
}

async fn steps(c: &Client, root: &Path, url: &str) {
    const INDEX: &str = "tr[data-unit=\"so-tttt\"] td.index .value";
    const RANK: &str = "tr[data-unit=\"so-tttt\"] td.rank";
    c.goto(url).await.expect("open the page");
    assert_eq!(text(c, INDEX).await.as_deref(), Some("88.65"), "Sở Thông tin và Truyền thông's published index");
    assert_eq!(text(c, RANK).await.as_deref(), Some("1"), "its published rank");
    assert!(text(c, "h2").await.is_some_and(|h| h.starts_with("Biểu 1")), "the first table is Biểu 1");
    screenshot(c, "tables.png").await;

    // A unit name with markup is shown as text, and none of it runs.
    let name = text(c, "tr[data-unit=\"so-ngv\"] td.name a").await.unwrap_or_default();
    assert!(name.contains("<script>alert(1)</script>"), "the markup is shown as text: {name:?}");
    assert_eq!(js(c, "return document.querySelectorAll('b.injected').length").await, json!(0), "no element comes from a unit's name");

    // A marker that a reload of the page would lose.
    js(c, "window.__kept = 42; return null").await;

    // A broken file: the banner names the file and the line; the last good numbers stay.
    common::edit(root, TREE_8, SIPAS_MAX, "part = \"sipas\"\nmax = = 12");
    let (shown, banner) = wait_text(c, ".banner", Duration::from_secs(3), |b| b.contains("08-tac-dong.toml:77")).await;
    assert!(shown, "the banner names criteria/2023/tree/08-tac-dong.toml and line 77: {banner:?}");
    assert!(banner.as_deref().is_some_and(|b| b.contains("TOML_SYNTAX")), "the banner gives the code: {banner:?}");
    assert_eq!(text(c, INDEX).await.as_deref(), Some("88.65"), "the last good index stays while the edit is rejected");
    screenshot(c, "rejected.png").await;

    // Fixed again: the banner goes.
    common::edit(root, TREE_8, "max = = 12", "max = 10");
    let start = Instant::now();
    while js(c, "return document.querySelector('.banner') !== null").await == json!(true) {
        assert!(start.elapsed() < Duration::from_secs(3), "the banner goes once the files are valid again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A maximum edited: the new index on the same page within 2 s, without a reload.
    common::edit(root, TREE_8, SIPAS_MAX, "part = \"sipas\"\nmax = 12");
    let (moved, seen) = wait_text(c, INDEX, Duration::from_secs(2), |t| t == "86.91").await;
    assert!(moved, "the new index 86.91 within 2 s of the save; saw {seen:?}");
    assert_eq!(js(c, "return window.__kept").await, json!(42), "the page updated without a browser reload");

    // The unit page: 3.4.1's rule, data and points.
    c.goto(&format!("{url}unit/so-tttt")).await.expect("the unit page");
    let node = "tr[data-node=\"3.4.1\"]";
    let rule = text(c, &format!("{node} code.rule")).await;
    assert!(rule.as_deref().is_some_and(|r| !r.is_empty()), "3.4.1 names its rule: {rule:?}");
    let data = text(c, &format!("{node} span.input")).await.unwrap_or_default();
    assert!(data.contains('='), "3.4.1 shows the data it read: {data:?}");
    let points = text(c, &format!("{node} td.points")).await.unwrap_or_default();
    assert!(points.parse::<rust_decimal::Decimal>().is_ok(), "3.4.1 shows its points: {points:?}");
    screenshot(c, "unit.png").await;

    // The HTML report of 2023 (the shipped tree): all 28 units, and it prints to PDF.
    let out = tempfile::tempdir().expect("temp dir");
    let report = out.path().join("2023.html");
    let o = common::run(
        &common::repo(),
        &["--lang", "vi", "report", "--year", "2023", "--format", "html", "--out", report.to_str().expect("utf-8 path")],
    );
    assert!(o.status.success(), "report --format html: {}", common::stderr(&o));
    c.goto(&format!("file://{}", report.display())).await.expect("open the report");
    assert_eq!(js(c, "return document.querySelectorAll('table.results tbody.rows tr').length").await, json!(28), "all 28 units");
    assert_eq!(js(c, "return document.querySelectorAll('script').length").await, json!(0), "the report needs no script");
    screenshot(c, "report.png").await;
    print_to_pdf(&report, &out.path().join("2023.pdf"));
}

fn print_to_pdf(html: &Path, pdf: &Path) {
    let chromium = find_program(&["chromium", "chromium-browser"]).expect("chromium");
    let profile = tempfile::tempdir().expect("profile");
    let o = Command::new(chromium)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg("--no-pdf-header-footer")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium --print-to-pdf");
    assert!(o.status.success(), "chromium --print-to-pdf failed: {}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(pdf).expect("the PDF");
    assert!(bytes.starts_with(b"%PDF") && bytes.len() > 10_000, "a PDF of {} bytes", bytes.len());
}
