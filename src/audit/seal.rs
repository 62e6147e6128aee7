//! Sealed years: an archived year's inputs do not change.
//!
//! Once `results/<year>.json` exists, the year is published: its criteria
//! (`criteria/<year>/`), its rule scripts (`rules/<year>/`) and its data
//! (`fixtures/<year>/`) are sealed. The archive's fingerprint holds the
//! digest of every file the result used; [`check_sealed`] compares each with
//! the file now on disk and reports, by file, every one that changed, was
//! removed or was added since. Comments and spacing do not count (digests are
//! of the canonical content), values and formulas do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::audit::archive::{archive_path, read, ArchiveError};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::input::fingerprint::{file_digest, path_key, Fingerprint};

/// The folders of a year whose every file the year's result depends on.
fn sealed_folders(year: u16) -> [PathBuf; 2] {
    let y = year.to_string();
    [Path::new("criteria").join(&y), Path::new("fixtures").join(&y)]
}

/// Every change, since the year was archived, to a file the archived result
/// of `year` depends on: one error per file. Nothing when the year has no
/// archive (it is not sealed yet).
pub fn check_sealed(root: &Path, year: u16) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let path = archive_path(root, year);
    let rel_archive = PathBuf::from("results").join(format!("{year}.json"));
    let archived: Fingerprint = match read(&path) {
        Ok(a) => a.fingerprint,
        Err(ArchiveError::Missing { .. }) => return diags,
        // An edited archive still says what it was made from; its edit is replay's to report.
        Err(ArchiveError::Edited { archive: Some(a), .. }) => a.fingerprint,
        Err(e) => {
            diags.push(
                Diagnostic::error(Code::SealedYearChanged, format!("the archive of {year} cannot be read: {e}"))
                    .in_file(&rel_archive)
                    .help(format!("`parindex replay --year {year}` says more")),
            );
            return diags;
        }
    };
    if archived.files.is_empty() {
        diags.push(
            Diagnostic::warning(
                Code::SealedYearChanged,
                format!("the archive of {year} holds no digest per file; its inputs cannot be checked file by file"),
            )
            .in_file(&rel_archive)
            .help(format!("`parindex replay --year {year}` compares the whole result")),
        );
        return diags;
    }
    let help = format!(
        "{year} is archived in `{}` and sealed: make the change in a later year, or, if the published result itself is corrected, \
         archive it again with `parindex score --year {year} --archive --force`",
        rel_archive.display()
    );
    for (file, digest) in &archived.files {
        let rel = PathBuf::from(file);
        if !root.join(&rel).is_file() {
            diags.push(
                Diagnostic::error(Code::SealedYearChanged, format!("`{file}` was removed since {year} was archived"))
                    .in_file(&rel)
                    .help(help.clone()),
            );
            continue;
        }
        match file_digest(root, &rel) {
            Ok(d) if &d == digest => {}
            Ok(_) => diags.push(
                Diagnostic::error(Code::SealedYearChanged, format!("`{file}` changed since {year} was archived"))
                    .in_file(&rel)
                    .help(help.clone()),
            ),
            Err(d) => diags.push(d),
        }
    }
    let mut present: BTreeMap<String, PathBuf> = BTreeMap::new();
    for dir in sealed_folders(year) {
        for (p, _) in crate::source::files::files(&root.join(&dir), true) {
            let rel = dir.join(p);
            present.insert(path_key(&rel), rel);
        }
    }
    for (key, rel) in present {
        if !archived.files.contains_key(&key) {
            diags.push(
                Diagnostic::error(Code::SealedYearChanged, format!("`{key}` was added since {year} was archived"))
                    .in_file(&rel)
                    .help(help.clone()),
            );
        }
    }
    diags
}
