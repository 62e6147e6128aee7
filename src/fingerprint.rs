//! Fingerprint: a SHA-256 of the canonical content of everything a result used.
//!
//! Three parts are hashed separately so a replay can say what changed:
//! - **rules**: the year's criteria files and the rule scripts it names;
//! - **data**: the year's fixture files (units, scores, facts, indicator tables, previous results);
//! - **engine**: the engine's name and version.
//!
//! Content is canonical, not textual: a TOML file is parsed and re-serialised
//! with sorted keys, so whitespace, comments and key order do not count, but
//! every value does; a rhai script loses its comments and runs of whitespace;
//! a CSV file is hashed with normalised line ends. Paths are relative to the
//! root with `/` separators, so the same inputs give the same fingerprint on
//! any machine.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diag::{Code, Diagnostic};

/// The engine's identity as hashed into every fingerprint.
pub const ENGINE: &str = concat!("parindex ", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// SHA-256 over the three parts below, hex.
    pub sha256: String,
    pub rules: String,
    pub data: String,
    pub engine: String,
    /// The engine version hashed into `engine`.
    pub engine_version: String,
}

impl Fingerprint {
    /// The first 12 hex digits, for display.
    pub fn short(&self) -> &str {
        &self.sha256[..12]
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Canonical content of one file by its kind.
pub fn canonical(path: &Path, text: &str) -> Result<String, String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => {
            let v: toml::Value = toml::from_str(text).map_err(|e| e.message().to_string())?;
            serde_json::to_string(&sorted(&v)).map_err(|e| e.to_string())
        }
        Some("rhai") => Ok(strip_script(text)),
        _ => Ok(text.replace("\r\n", "\n")),
    }
}

/// A JSON value with object keys sorted; numbers keep their TOML text.
fn sorted(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::Table(t) => {
            let mut keys: Vec<&String> = t.keys().collect();
            keys.sort();
            let mut m = serde_json::Map::new();
            for k in keys {
                m.insert(k.clone(), sorted(&t[k]));
            }
            serde_json::Value::Object(m)
        }
        toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(sorted).collect()),
        toml::Value::String(s) => serde_json::Value::String(format!("s:{s}")),
        other => serde_json::Value::String(format!("v:{other}")),
    }
}

/// A script without comments, with each run of whitespace outside strings as one space.
fn strip_script(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                pending_space = true;
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for c in chars.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
                pending_space = true;
            }
            '"' | '`' | '\'' => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
                let mut escaped = false;
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c && !escaped {
                        break;
                    }
                    escaped = d == '\\' && !escaped;
                }
            }
            c if c.is_whitespace() => pending_space = true,
            c => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
    }
    out
}

/// All files under `root/rel` (recursively), relative to root, sorted.
fn files_under(root: &Path, rel: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![rel.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&dir)) else { continue };
        for e in entries.flatten() {
            let name = e.file_name();
            let name_s = name.to_string_lossy();
            if name_s.starts_with('.') || name_s.ends_with('~') || name_s.ends_with(".tmp") {
                continue;
            }
            let p = dir.join(&name);
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => out.push(p),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

fn hash_files(root: &Path, files: &[PathBuf]) -> Result<String, Diagnostic> {
    let mut h = Sha256::new();
    for rel in files {
        let text = std::fs::read_to_string(root.join(rel))
            .map_err(|e| Diagnostic::error(Code::Io, format!("cannot read file: {e}")).in_file(rel))?;
        let c = canonical(rel, &text).map_err(|m| Diagnostic::error(Code::TomlSyntax, m).in_file(rel))?;
        let name: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        h.update(name.join("/").as_bytes());
        h.update([0]);
        h.update((c.len() as u64).to_le_bytes());
        h.update(c.as_bytes());
    }
    Ok(hex(&h.finalize()))
}

/// The fingerprint of the criteria of `year` with the data of `data_year`
/// under `root`, and the scripts the criteria name.
pub fn fingerprint(root: &Path, year: u16, data_year: u16, scripts: &[PathBuf]) -> Result<Fingerprint, Diagnostic> {
    let mut rule_files = files_under(root, &Path::new("criteria").join(year.to_string()));
    rule_files.extend(scripts.iter().cloned());
    let rules = hash_files(root, &rule_files)?;
    let data = hash_files(root, &files_under(root, &Path::new("fixtures").join(data_year.to_string())))?;
    let engine = hex(&Sha256::digest(ENGINE.as_bytes()));
    let mut h = Sha256::new();
    for part in [&rules, &data, &engine] {
        h.update(part.as_bytes());
    }
    Ok(Fingerprint { sha256: hex(&h.finalize()), rules, data, engine, engine_version: ENGINE.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_formatting_and_comments_do_not_count_but_values_do() {
        let p = Path::new("a.toml");
        let a = canonical(p, "# c\n[x]\nb = 1.5\na = \"t\"\n").unwrap();
        let b = canonical(p, "[x]\n  a = \"t\"   # other comment\n\n b=1.5").unwrap();
        let c = canonical(p, "[x]\nb = 1.6\na = \"t\"\n").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn script_comments_and_spacing_do_not_count_but_code_and_strings_do() {
        let p = Path::new("r.rhai");
        let a = canonical(p, "// rule\nfn score(x) {\n    x.v * 2 // double\n}\n").unwrap();
        let b = canonical(p, "fn score(x) { /* block */ x.v * 2 }").unwrap();
        let c = canonical(p, "fn score(x) { x.v * 3 }").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(canonical(p, "\"a  b\"").unwrap(), canonical(p, "\"a b\"").unwrap());
    }
}
