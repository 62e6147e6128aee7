//! The files that make up a year: one walker and one filter.
//!
//! Loading, the fingerprint, the stamps that tell a reload what changed and
//! the watcher all see the same files: every file under a folder except
//! the scratch files editors and atomic writes leave beside them (hidden,
//! backup, temporary, swap and lock files).

use std::fs::Metadata;
use std::path::{Path, PathBuf};

/// Editors' temporary, backup, lock and swap files, and hidden files.
pub fn is_scratch(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return false };
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".tmp")
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        // vim's probe that a folder is writable
        || name == "4913"
}

/// The files of `dir` that are not scratch, and those of its subfolders when
/// `deep`: paths relative to `dir`, sorted, with their metadata. A link to a
/// file counts as the file; links to folders are not followed.
pub fn files(dir: &Path, deep: bool) -> Vec<(PathBuf, Metadata)> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(sub) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&sub)) else { continue };
        for e in entries.flatten() {
            let rel = sub.join(e.file_name());
            if is_scratch(&rel) {
                continue;
            }
            match e.file_type() {
                Ok(t) if t.is_dir() => {
                    if deep {
                        stack.push(rel);
                    }
                }
                Ok(_) => {
                    if let Ok(meta) = std::fs::metadata(e.path()) {
                        if meta.is_file() {
                            out.push((rel, meta));
                        }
                    }
                }
                Err(_) => {}
            }
        }
    }
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_the_files_and_passes_over_scratch() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("tree/sub")).unwrap();
        for f in ["index.toml", "tree/b.toml", "tree/a.toml", "tree/sub/c.csv", "tree/a.toml~", "tree/.a.toml.swp", ".hidden", "x.tmp"] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        let names = |deep| files(d, deep).into_iter().map(|(p, _)| p.to_string_lossy().replace('\\', "/")).collect::<Vec<_>>();
        assert_eq!(names(true), ["index.toml", "tree/a.toml", "tree/b.toml", "tree/sub/c.csv"]);
        assert_eq!(names(false), ["index.toml"]);
        assert_eq!(files(&d.join("tree"), false).len(), 2);
        assert!(files(&d.join("missing"), true).is_empty());
    }

    #[test]
    fn scratch_files() {
        for p in ["a.toml.tmp", "a.toml~", ".#a.toml", ".a.toml.swp", "4913", "x/.hidden"] {
            assert!(is_scratch(Path::new(p)), "{p}");
        }
        for p in ["a.toml", "fixtures/2023/units.csv", "rules/x.rhai"] {
            assert!(!is_scratch(Path::new(p)), "{p}");
        }
    }
}
