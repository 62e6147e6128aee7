//! Files of a year's folders that nothing reads, told rather than passed over.
//!
//! A criteria file saved as `09-moi.toml.txt`, put in a subfolder of `tree/`,
//! a second `scores2.toml` beside `scores.toml`, a table in `indicators/`
//! that `indicators.toml` does not name, a rule script no criterion names:
//! each would change nothing, and the user would not know why. They are
//! hashed into the fingerprint like every file of the year's folders, so an
//! archived year still notices them; here each is a warning
//! (`UNREAD_FILE`) naming the file, what is read there instead, and the
//! closest name that would be read. A subfolder of the data that nothing
//! reads is told once, with its count of files; evidence the
//! self-assessment names (`file`, relative to the data folder) is read.
//!
//! The files are those the fingerprint already listed (no folder is read
//! twice), and the scripts of `rules/<year>/`.

use std::path::{Path, PathBuf};

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::input::fingerprint::path_key;
use crate::input::load::READ_BY_NAME;

/// The files a year's criteria folder holds, relative to it.
const CRITERIA_FILES: [&str; 3] = ["index.toml", "exemptions.toml", "targets.toml"];

/// The files of a data folder other commands read by name: the published
/// components (`test`), and the expectations (`expected*.toml`, `test`).
const CHECKED_BY_NAME: [&str; 1] = ["published-components.toml"];

/// What is read from a year's folders besides the files named above.
pub struct Read<'a> {
    pub year: u16,
    pub data_year: u16,
    /// Every file of `criteria/<year>/` and `fixtures/<data_year>/`, as the
    /// fingerprint's keys (relative to the root, `/` separators).
    pub files: &'a mut dyn Iterator<Item = &'a str>,
    /// Files the year's declarations name (indicator tables, the survey's
    /// answers), relative to the root; `None` when the declarations could
    /// not be read, and the files of `indicators/` and `survey/` are not told.
    pub declared: Option<&'a [PathBuf]>,
    /// The evidence files the self-assessment names, relative to the data
    /// folder: asked for only when a file of another subfolder is met (a
    /// year names about a thousand).
    pub evidence: Option<&'a dyn Fn() -> Vec<String>>,
    /// The rule scripts the criteria name, relative to the root; `None`
    /// when the criteria could not be read, and `rules/<year>/` is not told.
    pub scripts: Option<&'a [PathBuf]>,
}

/// A warning for every file of the year's folders that nothing reads.
pub fn unread(root: &Path, read: Read<'_>) -> Diagnostics {
    let criteria = format!("criteria/{}/", read.year);
    let data = format!("fixtures/{}/", read.data_year);
    let declared: Option<Vec<String>> = read.declared.map(|d| d.iter().map(|p| path_key(&normalise(p))).collect());
    let mut out = Diagnostics::default();
    // A folder of the data that nothing reads (documents kept beside the
    // data, say) is told once, with its count of files.
    let mut folders: Vec<(String, usize)> = Vec::new();
    let evidence = std::cell::OnceCell::new();
    let is_evidence = |rel: &str| {
        let named = evidence.get_or_init(|| {
            let files = read.evidence.map(|f| f()).unwrap_or_default();
            files.iter().map(|f| path_key(&normalise(Path::new(f)))).collect::<std::collections::HashSet<String>>()
        });
        named.contains(rel)
    };
    for key in read.files {
        let warning = if let Some(rel) = key.strip_prefix(&criteria) {
            criteria_file(rel)
        } else if let Some(rel) = key.strip_prefix(&data) {
            match rel.split_once('/') {
                Some((dir, _)) if !KNOWN_FOLDERS.contains(&dir) => {
                    if !is_declared(declared.as_deref(), &data, rel) && !is_evidence(rel) {
                        match folders.iter_mut().find(|(d, _)| d == dir) {
                            Some((_, n)) => *n += 1,
                            None => folders.push((dir.to_string(), 1)),
                        }
                    }
                    None
                }
                _ => data_file(rel, declared.as_deref(), &data),
            }
        } else {
            None
        };
        if let Some((what, help)) = warning {
            out.push(
                Diagnostic::warning(Code::UnreadFile, format!("`{key}` is read by nothing: {what}")).in_file(Path::new(key)).help(help),
            );
        }
    }
    for (dir, n) in folders {
        let path = format!("{data}{dir}/");
        let files = if n == 1 { "1 file".to_string() } else { format!("{n} files") };
        let d = Diagnostic::warning(Code::UnreadFile, format!("`{path}` ({files}) is read by nothing: no declaration of the year names its files"))
            .in_file(Path::new(&path))
            .help("indicator tables go into `indicators/` and are named in `indicators.toml`; other documents belong outside the year's folder, or are named as evidence in `self-assessment.toml`");
        out.push(d);
    }
    let Some(scripts) = read.scripts else { return out };
    let rules = Path::new("rules").join(read.year.to_string());
    let scripts: Vec<String> = scripts.iter().map(|p| path_key(p)).collect();
    for (rel, _) in crate::source::files::files(&root.join(&rules), true) {
        let path = rules.join(&rel);
        let key = path_key(&path);
        if scripts.contains(&key) {
            continue;
        }
        let named = if path.extension().is_some_and(|e| e == "rhai") {
            "no criterion names this rule script".to_string()
        } else {
            "rule scripts end in `.rhai`".to_string()
        };
        let d = Diagnostic::warning(Code::UnreadFile, format!("`{key}` is read by nothing: {named}"))
            .in_file(&path)
            .help("a script is read when `scripts` of `index.toml` lists its name (the file's name without `.rhai`) and a criterion names it with `rule = \"<name>\"`");
        out.push(d);
    }
    out
}

/// `indicators/../x.csv` as `x.csv`: declared paths as the folder walk names them.
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Why a file under `criteria/<year>/` is not read (`rel` relative to it), if it is not.
fn criteria_file(rel: &str) -> Option<(String, String)> {
    if CRITERIA_FILES.contains(&rel) {
        return None;
    }
    match rel.split_once('/') {
        Some(("tree", name)) if !name.contains('/') && name.ends_with(".toml") => None,
        Some(("tree", name)) if name.contains('/') => {
            Some(("criteria files are read from `tree/` itself, not from its subfolders".into(), "move the file into `tree/`".into()))
        }
        Some(("tree", _)) => Some(("only `.toml` files of `tree/` are criteria".into(), "name the file `<something>.toml`".into())),
        _ => Some((
            "a year's criteria folder holds `index.toml`, `exemptions.toml`, `targets.toml` and `tree/*.toml`".into(),
            match did_you_mean(rel, CRITERIA_FILES) {
                Some(name) => format!("did you mean `{name}`?"),
                None => "criteria files go into `tree/`".into(),
            },
        )),
    }
}

/// The subfolders of a data folder that hold files of their own kind: each
/// of their files is told apart; files in any other are told by folder.
const KNOWN_FOLDERS: [&str; 3] = ["indicators", "survey", "statistics"];

/// Whether `rel` (relative to the data folder `data`) is among the files the
/// declarations name; with no declarations read, any file may be.
fn is_declared(declared: Option<&[String]>, data: &str, rel: &str) -> bool {
    declared.map_or(true, |declared| declared.iter().any(|d| d.strip_prefix(data) == Some(rel)))
}

/// Why a file under `fixtures/<year>/` is not read (`rel` relative to it), if it is not.
fn data_file(rel: &str, declared: Option<&[String]>, data: &str) -> Option<(String, String)> {
    if READ_BY_NAME.contains(&rel) || CHECKED_BY_NAME.contains(&rel) {
        return None;
    }
    match declared {
        Some(_) if is_declared(declared, data, rel) => return None,
        // Without the declarations, a file of a subfolder may be any they name.
        None if rel.contains('/') && !rel.starts_with("statistics/") => return None,
        _ => {}
    }
    let top = !rel.contains('/');
    if top && rel.starts_with("expected") && rel.ends_with(".toml") {
        return None;
    }
    if let Some(name) = rel.strip_prefix("statistics/") {
        if !name.contains('/') && name.ends_with(".toml") {
            return None;
        }
    }
    if rel.starts_with("indicators/") {
        return Some((
            "`indicators.toml` names no table of this file".into(),
            "declare it as a `[[table]]` with `file = \"...\"`, or move it out of the year's folder".into(),
        ));
    }
    if rel.starts_with("survey/") {
        return Some((
            "`survey.toml` names other answers".into(),
            "name it with `answers = \"...\"`, or move it out of the year's folder".into(),
        ));
    }
    let names = READ_BY_NAME.iter().chain(CHECKED_BY_NAME.iter()).copied().chain(["expected.toml"]);
    let help = match did_you_mean(rel, names) {
        Some(name) => format!("did you mean `{name}`?"),
        None => "move the file out of the year's folder".into(),
    };
    Some(("a year's data folder holds the files named in the README's layout".into(), help))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warned(files: &[&str], declared: &[&str], scripts: &[&str]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let declared: Vec<PathBuf> = declared.iter().map(PathBuf::from).collect();
        let scripts: Vec<PathBuf> = scripts.iter().map(PathBuf::from).collect();
        let mut it = files.iter().copied();
        let evidence = || vec!["minh-chung/so-tc/2.2.pdf".to_string()];
        let read = Read {
            year: 2023,
            data_year: 2023,
            files: &mut it,
            declared: Some(&declared),
            evidence: Some(&evidence),
            scripts: Some(&scripts),
        };
        unread(dir.path(), read).0.into_iter().map(|d| format!("{} | {}", d.message, d.help.unwrap_or_default())).collect()
    }

    #[test]
    fn the_shipped_layout_is_read_whole() {
        let files = [
            "criteria/2023/index.toml",
            "criteria/2023/exemptions.toml",
            "criteria/2023/targets.toml",
            "criteria/2023/tree/01-a.toml",
            "fixtures/2023/units.toml",
            "fixtures/2023/scores.toml",
            "fixtures/2023/expected.toml",
            "fixtures/2023/expected-round-1.toml",
            "fixtures/2023/published-components.toml",
            "fixtures/2023/statistics/ttphvhcc-2023-12-15.toml",
            "fixtures/2023/indicators/portal.csv",
            "fixtures/2023/survey/answers.csv",
        ];
        let declared = ["fixtures/2023/indicators/portal.csv", "fixtures/2023/survey/../survey/answers.csv"];
        assert_eq!(warned(&files, &declared, &[]), Vec::<String>::new());
    }

    #[test]
    fn misnamed_and_misplaced_files_are_told_with_the_name_that_is_read() {
        let files = [
            "criteria/2023/tree/09-moi.toml.txt",
            "criteria/2023/tree/sub/02.toml",
            "criteria/2023/exemption.toml",
            "fixtures/2023/Scores.toml",
            "fixtures/2023/scores2.toml",
            "fixtures/2023/indicators/extra.csv",
            "fixtures/2023/survey/old.csv",
            "fixtures/2023/notes.docx",
        ];
        let w = warned(&files, &[], &[]);
        assert_eq!(w.len(), files.len(), "{w:#?}");
        for (line, file) in w.iter().zip(files) {
            assert!(line.starts_with(&format!("`{file}` is read by nothing: ")), "{line}");
        }
        assert!(w[0].contains("only `.toml` files of `tree/`"), "{}", w[0]);
        assert!(w[1].contains("not from its subfolders"), "{}", w[1]);
        assert!(w[2].ends_with("did you mean `exemptions.toml`?"), "{}", w[2]);
        assert!(w[3].ends_with("did you mean `scores.toml`?"), "{}", w[3]);
        assert!(w[4].ends_with("did you mean `scores.toml`?"), "{}", w[4]);
        assert!(w[5].contains("names no table of this file"), "{}", w[5]);
        assert!(w[6].contains("`survey.toml` names other answers"), "{}", w[6]);
        assert!(w[7].ends_with("move the file out of the year's folder"), "{}", w[7]);
    }

    #[test]
    fn a_folder_nothing_reads_is_told_once_and_named_evidence_is_read() {
        let docs = [
            "fixtures/2023/tai-lieu/a.pdf",
            "fixtures/2023/tai-lieu/b.pdf",
            "fixtures/2023/tai-lieu/c/d.pdf",
            "fixtures/2023/minh-chung/so-tc/2.2.pdf",
        ];
        let w = warned(&docs, &[], &[]);
        assert_eq!(w.len(), 1, "{w:#?}");
        assert!(w[0].starts_with("`fixtures/2023/tai-lieu/` (3 files) is read by nothing"), "{}", w[0]);
    }

    #[test]
    fn scripts_no_criterion_names_are_told() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("rules/2023")).unwrap();
        for f in ["tiers.rhai", "unused.rhai", "notes.txt", "tiers.rhai~"] {
            std::fs::write(dir.path().join("rules/2023").join(f), "").unwrap();
        }
        let scripts = [PathBuf::from("rules/2023/tiers.rhai")];
        let mut none = std::iter::empty();
        let read = Read { year: 2023, data_year: 2023, files: &mut none, declared: None, evidence: None, scripts: Some(&scripts) };
        let w: Vec<String> = unread(dir.path(), read).0.into_iter().map(|d| d.message).collect();
        assert_eq!(
            w,
            [
                "`rules/2023/notes.txt` is read by nothing: rule scripts end in `.rhai`",
                "`rules/2023/unused.rhai` is read by nothing: no criterion names this rule script",
            ]
        );
    }
}
