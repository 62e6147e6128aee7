//! The stage folders of `src/` import only from the stages before them, in
//! the order of the table in `src/README.md` (and the crate docs). A module
//! that reaches into a later stage fails this test, naming the file, the line
//! and both stages.

use std::path::{Path, PathBuf};

/// Reads the stage order from the table in `src/README.md`: rows that start
/// with "| `name/` |".
fn stages() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/README.md")).expect("src/README.md");
    text.lines().filter_map(|l| l.strip_prefix("| `")?.split_once("/` |").map(|(name, _)| name.to_string())).collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::<stage>` a file names, with its line number; `use crate::{a, b}` groups too.
fn imports(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = group.split('}').next().unwrap_or("");
                for name in group.split(',').map(|s| s.trim().split("::").next().unwrap_or("")) {
                    if !name.is_empty() {
                        found.push((i + 1, name.to_string()));
                    }
                }
            } else {
                let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                found.push((i + 1, name));
            }
        }
    }
    found
}

/// The stage table lists every folder of `src/`, and no stage imports a later one.
#[test]
fn stages_import_only_from_earlier_stages() {
    let stages = stages();
    assert!(stages.len() >= 8, "the stage table of src/README.md lists {stages:?}");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut folders: Vec<String> = std::fs::read_dir(&src)
        .expect("src")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut listed = stages.clone();
    listed.sort();
    assert_eq!(folders, listed, "every folder of src/ is a stage of src/README.md, and every stage a folder");

    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let Some(own) = rel.components().next().filter(|_| rel.components().count() > 1) else { continue };
        let own = own.as_os_str().to_string_lossy().into_owned();
        let own_at = stages.iter().position(|s| *s == own).expect("a stage");
        let text = std::fs::read_to_string(file).expect("read");
        for (line, name) in imports(&text) {
            match stages.iter().position(|s| *s == name) {
                Some(at) if at > own_at => wrong.push(format!("src/{}:{line}: `{own}` imports the later stage `{name}`", rel.display())),
                Some(_) => {}
                None => wrong.push(format!("src/{}:{line}: `crate::{name}` is not a stage", rel.display())),
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the stage order:\n{}", wrong.join("\n"));
}

/// The reader of imports sees what it must: a later stage named in a path or in a group.
#[test]
fn the_import_reader_finds_paths_and_groups() {
    let found = imports("use crate::score::eval::Outcome;\nuse crate::{diag, live::engine};\nlet x = crate::report::align(a);");
    let names: Vec<&str> = found.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["score", "diag", "live", "report"]);
    assert_eq!(found[2].0, 2);
}

/// No source file grows past about 800 lines, except those named here with the reason.
#[test]
fn no_file_is_over_800_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // Each entry says why it is longer; the list shrinks as files are split.
    let allowed: &[&str] = &[];
    let mut long = Vec::new();
    for file in files {
        let lines = std::fs::read_to_string(&file).expect("read").lines().count();
        let rel = file.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        if lines > 800 && !allowed.contains(&rel.as_str()) {
            long.push(format!("src/{rel}: {lines} lines"));
        }
    }
    assert!(long.is_empty(), "files over 800 lines:\n{}", long.join("\n"));
}
