//! `parindex serve` over plain HTTP (no browser): the JSON endpoints, a
//! rejected edit, escaping, paths that are not routes, the event stream; and
//! `parindex report --format html`.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(root: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parindex"))
        .arg("--root")
        .arg(root)
        .args(["serve", "--year", "2023", "--port", "0", "--debounce-ms", "50"])
        .env("PARINDEX_LANG", "vi")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("parindex serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("the address line");
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("an address").to_string();
    let addr = url.trim_start_matches("http://").trim_end_matches('/').to_string();
    assert!(addr.starts_with("127.0.0.1:"), "listens on 127.0.0.1 by default: {addr}");
    Server { child, addr }
}

/// `GET path` over HTTP/1.0: the status and the body.
fn get(s: &Server, path: &str) -> (u16, String) {
    let mut c = TcpStream::connect(&s.addr).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(c, "GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", s.addr).expect("request");
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).expect("response");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

fn json(s: &Server, path: &str) -> Value {
    let (status, body) = get(s, path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

fn unit<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["units"].as_array().and_then(|u| u.iter().find(|u| u["id"] == id)).unwrap_or(&Value::Null)
}

fn wait_until(what: &str, ok: impl Fn() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < Duration::from_secs(5), "{what} within 5 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_json_endpoints_follow_every_save() {
    let t = common::temp_tree();
    let s = serve(t.path());
    let report = json(&s, "/api/report");
    assert_eq!(unit(&report, "so-tttt")["index"], "88.65");
    assert_eq!(unit(&report, "so-tttt")["rank"], 1);
    assert_eq!(report["generation"], 1);
    assert_eq!(json(&s, "/api/changes")["changes"], Value::Null);

    let u = json(&s, "/api/unit/so-tttt");
    let leaf = u["nodes"].as_array().and_then(|n| n.iter().find(|n| n["id"] == "3.4.1")).expect("3.4.1");
    assert_eq!(leaf["status"], "scored");
    assert!(leaf["rule"]["inputs"].as_array().is_some_and(|i| !i.is_empty()));
    assert_eq!(u["row"]["index"], "88.65");
    assert!(u["history"].as_array().is_some_and(|h| h.iter().any(|h| h["year"] == 2022)), "last year's result: {}", u["history"]);
    assert_eq!(get(&s, "/api/unit/nope").0, 404);

    // A broken file: rejected, with file and line, and the last good numbers stay.
    common::edit(t.path(), "criteria/2023/tree/08-tac-dong.toml", "part = \"sipas\"\nmax = 10", "part = \"sipas\"\nmax = = 12");
    wait_until("the edit rejected", || json(&s, "/api/diagnostics")["rejected"] == true);
    let d = json(&s, "/api/diagnostics");
    let first = &d["diagnostics"][0];
    assert_eq!(first["code"], "TOML_SYNTAX");
    assert_eq!(first["location"]["file"], "criteria/2023/tree/08-tac-dong.toml");
    assert_eq!(first["location"]["line"], 77);
    assert_eq!(d["serving"]["generation"], 1);
    assert_eq!(unit(&json(&s, "/api/report"), "so-tttt")["index"], "88.65");
    let (_, page) = get(&s, "/");
    assert!(page.contains("class=\"banner\"") && page.contains("08-tac-dong.toml:77:7"), "the page shows the banner");

    // A valid edit: applied, the banner goes, the changes are listed.
    common::edit(t.path(), "criteria/2023/tree/08-tac-dong.toml", "max = = 12", "max = 12");
    wait_until("the edit applied", || json(&s, "/api/report")["generation"] == 2);
    assert_eq!(unit(&json(&s, "/api/report"), "so-tttt")["index"], "86.91");
    assert_eq!(json(&s, "/api/diagnostics")["rejected"], false);
    let c = json(&s, "/api/changes");
    assert_eq!(c["changed_at_generation"], 2);
    let moved = c["changes"]["units"].as_array().and_then(|u| u.iter().find(|u| u["id"] == "so-tttt")).expect("so-tttt moved");
    assert_eq!(moved["index"]["old"], "88.65");
    assert_eq!(moved["index"]["new"], "86.91");
    assert!(!get(&s, "/").1.contains("class=\"banner\""), "no banner once the files are valid");
}

#[test]
fn names_are_text_and_paths_are_not_routes() {
    let t = common::temp_tree();
    common::edit(
        t.path(),
        "fixtures/2023/units.toml",
        "name = \"Sở Ngoại vụ\"",
        "name = \"Sở Ngoại vụ <script>alert(1)</script>\"\naliases = [\"Sở Ngoại vụ\"]",
    );
    let s = serve(t.path());
    for path in ["/", "/unit/so-ngv", "/targets", "/changes"] {
        let (status, body) = get(&s, path);
        assert_eq!(status, 200, "{path}");
        assert!(!body.contains("<script>alert(1)"), "{path} has the name as markup");
        assert!(
            path == "/targets" || path == "/changes" || body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path} shows the name as text"
        );
    }
    for path in ["/../../etc/passwd", "/assets/../Cargo.toml", "/criteria/2023/index.toml", "/unit/..%2F..%2Fetc%2Fpasswd"] {
        let (status, body) = get(&s, path);
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("root:") && !body.contains("[package]"), "{path} reads no file");
    }
    let (status, _) = get(&s, "/assets/app.js");
    assert_eq!(status, 200);
    assert_eq!(get(&s, "/api/diff").0, 400, "a diff needs ?to=");
    // A year that is no year is answered in the page's own words and format.
    for to in ["abc", "99999", "%3Cb%3E"] {
        let (status, body) = get(&s, &format!("/api/diff?to={to}"));
        assert_eq!(status, 400, "{to}");
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{to}: not JSON ({e}): {body}"));
        assert!(v["error"].as_str().is_some_and(|e| e.contains("is not a year")), "{to}: {body}");
        let (status, body) = get(&s, &format!("/diff?to={to}"));
        assert_eq!(status, 200, "{to}");
        assert!(body.contains("không phải là một năm"), "{to}: the page says it");
        assert!(!body.contains("<b>"), "{to}: as text");
    }
    let (status, body) = get(&s, "/api/nothing");
    assert_eq!(status, 404);
    assert!(body.contains("\"error\":\"no such address: /api/nothing\""), "{body}");
    assert!(get(&s, "/no-such-page").1.contains("<title>Không có trang này</title>"), "not called a unit");
    assert!(get(&s, "/unit/nope").1.contains("<title>Không có đơn vị này</title>"));
}

#[test]
fn the_event_stream_says_hello_with_the_generation() {
    let t = common::temp_tree();
    let s = serve(t.path());
    let mut c = TcpStream::connect(&s.addr).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(c, "GET /events HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n", s.addr).expect("request");
    let mut r = BufReader::new(c);
    let mut seen = String::new();
    while !seen.contains("\"kind\":\"hello\"") {
        let mut line = String::new();
        assert!(r.read_line(&mut line).expect("a line") > 0, "the stream ended: {seen}");
        seen.push_str(&line);
    }
    assert!(seen.contains("text/event-stream"), "{seen}");
    assert!(seen.contains("event: hello"), "{seen}");
    // A save is announced on the open stream.
    common::append(t.path(), "criteria/2023/tree/08-tac-dong.toml", "\nbroken = = 1\n");
    let mut next = String::new();
    while !next.contains("\"kind\":\"rejected\"") {
        let mut line = String::new();
        assert!(r.read_line(&mut line).expect("a line") > 0, "the stream ended: {next}");
        next.push_str(&line);
    }
    assert!(next.contains("event: update"), "{next}");
}

#[test]
fn the_html_report_is_one_printable_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("2023.html");
    let o = common::run(&common::repo(), &["--lang", "vi", "report", "--year", "2023", "--format", "html", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("href=\"http") && !html.contains("src=\""), "nothing outside the file");
    assert!(html.contains("@page"), "laid out for printing");
    assert_eq!(html.matches("<tr data-unit=").count(), 28, "all 28 units in the tables");
    assert_eq!(html.matches("<section class=\"unit\"").count(), 28, "a page per unit");
    assert!(html.contains("Biểu 1") && html.contains("Biểu 2"));
    let fp: Value =
        serde_json::from_str(&common::stdout(&common::run(&common::repo(), &["score", "--year", "2023", "--format", "json"]))).unwrap();
    let sha = fp["fingerprint"]["sha256"].as_str().unwrap();
    assert!(html.contains("<footer class=\"print\">") && html.contains(sha), "the fingerprint at the foot of the pages");
    assert!(std::fs::read_dir(dir.path()).unwrap().count() == 1, "no temporary file left beside it");

    let en =
        common::run(&common::repo(), &["--lang", "en", "report", "--year", "2023", "--format", "html", "--out", out.to_str().unwrap()]);
    assert!(en.status.success());
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("Table 1"), "in English with --lang en");
}
